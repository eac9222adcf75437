"""The command line and the offline demo."""

from __future__ import annotations

import subprocess
import sys

import pytest

from claimflow.cli import main


class TestDemo:
    def test_demo_walks_every_marketplace(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The demo prints a cancel, a return and an exchange for each of the three marketplaces."""
        assert 0 == main(["demo"])
        out = capsys.readouterr().out
        for mp in ("토스쇼핑 (toss)", "아임웹 (imweb)", "x2bee (x2bee)"):
            assert mp in out
        assert 9 == out.count("--- ")  # 3 walks x 3 marketplaces

    def test_demo_shows_refusals_in_korean_and_english(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """At least one refused step is printed with its reason in both languages."""
        main(["demo"])
        out = capsys.readouterr().out
        assert "✗ 불가 / refused  order.ship by SELLER" in out
        assert "ko: order.ship(발송)의 조건은" in out
        assert "en: order.ship needs no open claim" in out
        assert "en: imweb does not offer return.reject_collected" in out

    def test_demo_shows_collection_rejection_back_to_origin(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """반려 after collection goes back to the status the return was requested in."""
        main(["demo"])
        out = capsys.readouterr().out
        expected = (
            "✓ return.reject_collected by SELLER: → DELIVERED, claim RETURN → COLLECTION_REJECTED"
        )
        assert expected in out
        assert "✓ exchange.change_invoice by SELLER: → REDELIVERING" in out

    def test_console_entry_point_runs(self) -> None:
        """`python -m claimflow demo` exits 0 without network or credentials."""
        done = subprocess.run(
            [sys.executable, "-m", "claimflow", "demo"], capture_output=True, text=True, check=False
        )
        assert 0 == done.returncode, done.stderr
        assert "rule T12" in done.stdout

    def test_unknown_command_is_an_error(self) -> None:
        """An unknown sub-command exits with argparse's usage error."""
        with pytest.raises(SystemExit) as exc:
            main(["nonsense"])
        assert 2 == exc.value.code
