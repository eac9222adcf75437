"""The whole-loop demo (``claimflow demo``, ``claimflow demo --store PATH``): offline, SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

import claimflow as cf
from claimflow._demo import _CostsCancels, run_store_demo
from claimflow.cli import main
from claimflow.store import Store, make_adapter


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

    def test_the_buyers_cancel_states_the_cost_the_marketplace_calculated(
        self, tmp_path: Path
    ) -> None:
        """Where the marketplace's adapter calculates a cancel's cost (x2bee, X1), the demo prints
        that cost first, then makes the buyer's storefront cancel through the store with it: one
        BUYER cancel.request stating the calculated amounts, refunding the calculated refund."""
        lines: list[str] = []
        path = tmp_path / "claims.db"

        assert 0 == run_store_demo(str(path), out=lines.append)

        with Store.open(f"sqlite:///{path}") as store:
            [event] = store.history("X-3001")
        cost = (
            "  x2bee X-3001: calculate_cost before the buyer's cancel.request: refund 29,000원, "
            "extra payment 0원"
        )
        made = "  x2bee X-3001: cancel.request → 결제취소(CANCELED) v1"
        assert lines.index(cost) < lines.index(made)
        assert (cf.Action.CANCEL_REQUEST, cf.Actor.BUYER) == (event.action, event.actor)
        assert {"refund_amount": 29_000, "extra_payment": 0}.items() <= dict(event.params).items()
        assert [29_000] == [e.amount for e in event.effects if e.kind is cf.EffectKind.REFUND]

    def test_the_cost_calculation_is_found_by_what_an_adapter_offers(self) -> None:
        """The demo asks an adapter for a cancel's cost when the adapter offers calculate_cost
        (x2bee's does), not by the marketplace's name."""
        offers: dict[cf.Marketplace, bool] = {}
        for mp in cf.Marketplace:
            with make_adapter(mp, "http://127.0.0.1:9", emulator=True) as adapter:
                offers[mp] = isinstance(adapter, _CostsCancels)

        assert {
            cf.Marketplace.TOSS: False,
            cf.Marketplace.IMWEB: False,
            cf.Marketplace.X2BEE: True,
        } == offers

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
