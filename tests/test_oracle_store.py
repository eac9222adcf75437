"""The database-backed example binding on claimflow's store (docs/examples/store_binding.py):
the oracle passes it, and every binding instance — hence every replay — has its own database."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

import claimflow as cf
from claimflow import testing as cft

pytest.importorskip("sqlalchemy")

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
sys.path.insert(0, str(EXAMPLES))

from store_binding import StoreBinding  # noqa: E402 - needs the examples on sys.path

# ~15-35 s each on the 2 shared cores (three SQLAlchemy transactions a step): opt-in
SLOW = pytest.mark.skipif(
    not os.environ.get("CLAIMFLOW_ORACLE_SLOW"), reason="set CLAIMFLOW_ORACLE_SLOW=1 to run it"
)


def _paid(op_id: str = "OP-1") -> cf.OrderProduct:
    return cf.OrderProduct(op_id, "toss", "PAID", item_id="SKU-1", unit_price=12_000, quantity=2)


class TestStoreBinding:
    @SLOW
    def test_the_oracle_testcase_passes_it_under_the_ci_profile(self) -> None:
        """The oracle's TestCase as a user runs it (the sweep, then hypothesis' journeys under
        the loaded `ci` profile, 100 x 50 steps, derandomized) finds no disagreement between the
        model and engine + store on SQLite."""
        assert 100 == settings().max_examples
        machine = cft.oracle(StoreBinding, marketplace="toss")
        run_state_machine_as_test(machine, settings=settings(phases=[Phase.generate]))

    def test_journeys_reach_every_state_through_the_database(self) -> None:
        """Seeded random journeys (1,500 steps, order products started in the least visited
        reachable states) agree with the model and pass through every reachable Toss state."""
        result = cft.run_oracle(StoreBinding, "toss", steps=1_500, sweep_first=False)
        report = result.coverage
        assert report.states_reachable == report.states_seen
        assert result.steps >= 1_500

    @SLOW
    def test_the_sweep_passes_through_the_database(self) -> None:
        """Every reachable (state, actor, action) of Toss, asked through the store, agrees with
        the model: each reachable state survives the round trip through the store's rows."""
        report = cft.sweep(StoreBinding, "toss")
        assert report.complete

    def test_two_instances_do_not_share_a_database(self) -> None:
        """Two bindings (two replays) have two database files: the same order product goes into
        both, and an action on one leaves the other's row as it was."""
        a, b = StoreBinding(), StoreBinding()
        assert a.path != b.path
        assert a.create(_paid()) == b.create(_paid())  # no DuplicateOrderProductError
        assert isinstance(a.perform("OP-1", "order.prepare", "SELLER", {}), cft.Performed)
        assert cf.Status.PREPARING == a.read("OP-1").status
        assert cf.Status.PAID == b.read("OP-1").status
        assert 1 == len(a.store.history("OP-1"))
        assert () == b.store.history("OP-1")

    def test_the_factory_makes_a_new_database_for_every_replay(self) -> None:
        """While the oracle minimizes a disagreement it replays through new systems: each one
        opens a database file no earlier one used."""
        paths: list[Path] = []

        class Lossy(StoreBinding):
            """Forgets the refund of a seller cancel (a planted bug the oracle must find)."""

            def __init__(self) -> None:
                super().__init__()
                paths.append(self.path)

            def perform(self, handle, action, actor, params):  # type: ignore[no-untyped-def]
                outcome = super().perform(handle, action, actor, params)
                if str(action) == "cancel.by_seller" and isinstance(outcome, cft.Performed):
                    return cft.Performed([])
                return outcome

        with pytest.raises(cft.DisagreementError) as exc:
            cft.sweep(Lossy, "toss")
        assert "cancel.by_seller" in str(exc.value)
        assert len(paths) > 2
        assert len(paths) == len(set(paths))


class TestStoreBindingDocs:
    def test_docs_show_the_tested_binding(self) -> None:
        """docs/testing.md's StoreBinding block is the class the tests above run, verbatim."""
        doc = (EXAMPLES.parent / "testing.md").read_text(encoding="utf-8")
        block = re.search(r"```python\n(class StoreBinding:.*?)```", doc, re.S)
        assert block is not None
        source = (EXAMPLES / "store_binding.py").read_text(encoding="utf-8")
        assert block.group(1) in source
