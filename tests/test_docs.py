"""The generated documents under docs/ are what the code generates, and cover every rule."""

from __future__ import annotations

from pathlib import Path

import pytest

import claimflow as cf
from claimflow.cli import generated_docs, main

DOCS = Path(__file__).resolve().parent.parent / "docs"


class TestGeneratedDocs:
    @pytest.mark.parametrize("name", sorted(generated_docs()))
    def test_checked_in_copy_is_fresh(self, name: str) -> None:
        """docs/<name> equals what `claimflow docs` generates now."""
        assert generated_docs()[name] == (DOCS / name).read_text(encoding="utf-8")

    def test_ops_guide_covers_every_marketplace_and_rule(self) -> None:
        """The Korean ops guide has a section per marketplace and a row per rule."""
        guide = generated_docs()["ops-guide.ko.md"]
        for mp in cf.Marketplace:
            assert f"## {mp.label} ({mp})" in guide
        for rule in cf.rules():
            assert f"| {rule.id} |" in guide

    def test_api_reference_lists_every_public_name(self) -> None:
        """Every name in claimflow.__all__ has a heading in the API reference."""
        api = generated_docs()["api.md"]
        for name in cf.__all__:
            assert f"### `{name}" in api

    def test_check_reports_a_stale_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`claimflow docs --check` exits 1 naming a file that was edited by hand."""
        assert 0 == main(["docs", "--out", str(tmp_path)])
        assert 0 == main(["docs", "--check", "--out", str(tmp_path)])
        (tmp_path / "api.md").write_text("edited\n", encoding="utf-8")
        assert 1 == main(["docs", "--check", "--out", str(tmp_path)])
        assert "api.md: differs" in capsys.readouterr().err
