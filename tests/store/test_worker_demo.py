"""The whole-loop demo (``claimflow demo``, ``claimflow demo --store PATH``): offline, SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

import claimflow as cf
from claimflow._demo import run_store_demo
from claimflow.cli import main
from claimflow.store import Store


class TestStoreDemo:
    def test_the_whole_loop_lands_in_the_sqlite_file(self, tmp_path: Path) -> None:
        """The demo syncs the emulators' claims, acts, reconciles the lost answer, prints the
        effects and leaves the history in the file: REFUND events == the marketplaces' refunds."""
        lines: list[str] = []
        path = tmp_path / "claims.db"

        assert 0 == run_store_demo(str(path), out=lines.append)

        text = "\n".join(lines)
        with Store.open(f"sqlite:///{path}") as store:
            history = store.history("T-1001")
        assert "reconcile:applied: 1" in text
        assert "refunds: on the marketplaces 3, REFUND events in the store 3" in text
        assert "effect T-1001:2:REFUND: REFUND 29,000원" in text
        assert [
            (cf.Action.CANCEL_REQUEST, cf.Actor.BUYER),
            (cf.Action.CANCEL_APPROVE, cf.Actor.SELLER),
        ] == [(e.action, e.actor) for e in history]

    def test_an_existing_file_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`claimflow demo --store PATH` writes a new file only: an existing one is refused
        untouched, with the reason."""
        path = tmp_path / "mine.db"
        path.write_bytes(b"not a demo")

        assert 2 == main(["demo", "--store", str(path)])  # bad input: exit 2, as the CLI's

        assert b"not a demo" == path.read_bytes()
        assert "exists" in capsys.readouterr().err

    def test_the_store_url_names_the_same_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`--store sqlite:///PATH` (the URL `claimflow check --store` takes) is that file; an
        existing one is refused the same way, and a server URL is refused with the reason."""
        path = tmp_path / "mine.db"
        path.write_bytes(b"not a demo")

        assert 2 == main(["demo", "--store", f"sqlite:///{path}"])
        assert "exists" in capsys.readouterr().err
        assert 2 == main(["demo", "--store", "postgresql://u@127.0.0.1/db"])
        assert "not a SQLite file" in capsys.readouterr().err
