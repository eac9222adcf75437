"""claimflow.testing: strategies, and the oracle against the example OMS and its planted bugs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

import claimflow as cf
from claimflow import testing as cft

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "examples"))

from rules_compat import binding_for
from toss_oms import TossOMSBinding
from toss_oms_bugs import BUGGY

# Finding a planted bug needs no shrinking: the oracle minimizes the journey itself.
HUNT = settings(
    max_examples=1500,
    stateful_step_count=30,
    derandomize=True,
    deadline=None,
    print_blob=False,
    report_multiple_bugs=False,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


class TestStrategies:
    @given(op=cft.order_products())
    def test_order_products_are_in_reachable_states(self, op: cf.OrderProduct) -> None:
        """Walked order products are in a state the engine knows (no InconsistentStateError)."""
        names = {name for _, _, name in cf.reachable_states(op.marketplace)}
        assert cf._machine.state_name(cf._machine.state_key(op)) in names
        cf.allowed_actions(op, cf.Actor.SELLER)

    @given(data=st.data())
    def test_valid_params_make_allowed_actions_allowed(self, data: st.DataObject) -> None:
        """params_for gives parameters with which every allowed action is allowed."""
        op = data.draw(cft.order_products())
        for actor in cf.Actor:
            for action in cf.allowed_actions(op, actor):
                params = data.draw(cft.params_for(op, action))
                decision = cf.check(op, action, actor, **params)
                assert decision.allowed, decision.explain()

    @given(data=st.data())
    def test_invalid_params_are_refused_naming_the_field(self, data: st.DataObject) -> None:
        """invalid_params spoils one required parameter; the engine refuses it naming the field."""
        op = data.draw(cft.order_products())
        choices = [
            (a, actor)
            for actor in cf.Actor
            for a in cf.allowed_actions(op, actor)
            if cf._engine.example_params(op, a)
        ]
        if not choices:
            return
        action, actor = data.draw(st.sampled_from(choices))
        params = data.draw(cft.invalid_params(op, action))
        decision = cf.check(op, action, actor, **params)
        assert not decision.allowed
        assert {"MISSING_PARAMETER", "INVALID_PARAMETER"} >= set(decision.codes)
        assert all(r.field for r in decision.reasons)

    def test_refused_pairs_are_refused(self) -> None:
        """Every pair refused_pairs lists is refused by check, parameters given or not."""
        op = cf.OrderProduct("o", "toss", "DELIVERED", "SKU", 1000)
        for action, actor in cft.refused_pairs(op):
            params = cf._engine.example_params(op, action)
            assert not cf.check(op, action, actor, **params).allowed


class TestOracle:
    def test_the_correct_example_oms_passes(self) -> None:
        """The example OMS written from the Toss guides agrees with the model on every step of
        hypothesis' journeys (the sweep is tested in test_oracle.py)."""
        run_state_machine_as_test(
            cft.oracle(binding_for(TossOMSBinding), marketplace="toss"),
            settings=settings(HUNT, max_examples=100),
        )

    def test_the_engine_itself_passes(self) -> None:
        """A binding that is claimflow's own engine agrees with the model on every marketplace."""

        class EngineBinding:
            def __init__(self) -> None:
                self.ops: dict[str, cf.OrderProduct] = {}

            def create(self, order_product: cf.OrderProduct) -> str:
                self.ops[order_product.id] = order_product
                return order_product.id

            def perform(self, handle, action, actor, params):  # type: ignore[no-untyped-def]
                d = cf.check(self.ops[handle], action, actor, **params)
                if not d.allowed:
                    return cft.Refused(d.codes[0])
                done = cf.apply(self.ops[handle], action, actor, **params)
                self.ops[handle] = done.order_product
                return cft.Performed([e.kind for e in d.effects])

            def read(self, handle: str) -> cft.Observed:
                op = self.ops[handle]
                c = op.open_claim
                return cft.Observed(op.status, c.type if c else None, c.status if c else None)

        for mp in cf.Marketplace:
            run_state_machine_as_test(
                cft.oracle(EngineBinding, marketplace=mp), settings=settings(HUNT, max_examples=30)
            )

    @pytest.mark.parametrize("bug", sorted(BUGGY))
    def test_every_planted_bug_is_caught_with_a_short_journey(self, bug: str) -> None:
        """Each planted bug fails the oracle, and the report is a minimized numbered journey."""
        with pytest.raises(AssertionError) as exc:
            run_state_machine_as_test(
                cft.oracle(binding_for(BUGGY[bug]), marketplace="toss"), settings=HUNT
            )
        text = str(exc.value)
        assert "shortest journey found" in text
        steps = [line for line in text.splitlines() if line.startswith("  ") and ". " in line]
        assert 2 <= len(steps) <= 8, text
        assert "model " in steps[-1]

    def test_the_report_names_the_rules(self) -> None:
        """The counterexample for a buyer cancel in 배송중 cites the cancel rules T1 and T2."""
        with pytest.raises(AssertionError) as exc:
            run_state_machine_as_test(
                cft.oracle(binding_for(BUGGY["BuyerCancelWhileShipping"]), marketplace="toss"),
                settings=HUNT,
            )
        last = str(exc.value).splitlines()[-1]
        assert "BUYER cancel.request" in last
        assert "rules T1, T2" in last


class TestProfiles:
    def test_profile_is_chosen_by_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """CLAIMFLOW_HYPOTHESIS_PROFILE picks the profile load_profile loads."""
        monkeypatch.setenv("CLAIMFLOW_HYPOTHESIS_PROFILE", "thorough")
        try:
            assert "thorough" == cft.load_profile()
            assert 2500 == settings().max_examples
        finally:
            monkeypatch.setenv("CLAIMFLOW_HYPOTHESIS_PROFILE", "ci")
            cft.load_profile()
