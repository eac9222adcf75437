"""The store conformance suite (claimflow.store.testing) on SQLite, PostgreSQL, and your database.

Set ``CLAIMFLOW_STORE_URL`` to run it against another database too (an empty database or
schema): ``CLAIMFLOW_STORE_URL=postgresql://app@db/check pytest tests/store``
``-k test_your_database``.
"""

from __future__ import annotations

import os

import pytest

from claimflow.store.testing import check_store


def _assert_all_pass(url: str) -> None:
    results = check_store(url, workers=2, steps=6)
    failed = [f"{r.name}: {r.detail}" for r in results if not r.passed]
    assert [] == failed
    assert 8 == len(results)


class TestConformance:
    def test_every_check_passes(self, store_url: str) -> None:
        """Every conformance check passes on the engine under test."""
        _assert_all_pass(store_url)

    @pytest.mark.skipif(
        not os.environ.get("CLAIMFLOW_STORE_URL"), reason="CLAIMFLOW_STORE_URL is not set"
    )
    def test_your_database(self) -> None:
        """Every conformance check passes on the database CLAIMFLOW_STORE_URL names."""
        _assert_all_pass(os.environ["CLAIMFLOW_STORE_URL"])

    def test_a_broken_database_fails_loudly(self, tmp_path: object) -> None:
        """A URL that cannot be opened yields a failed first check, not an exception."""
        results = check_store(f"sqlite:///{tmp_path}/missing-dir/x.db")
        assert [("schema opens", False)] == [(r.name, r.passed) for r in results]


class TestCommandLine:
    def test_exit_status(self, tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
        """python -m claimflow.store.testing prints FAIL and exits 1 when a check fails."""
        from claimflow.store.testing import main  # noqa: PLC0415

        assert 1 == main([f"sqlite:///{tmp_path}/missing-dir/x.db"])
        assert capsys.readouterr().out.startswith("FAIL  schema opens:")
