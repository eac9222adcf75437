"""claimflow.testing's oracle: coverage sweep, effect data, counterexamples, broken bindings,
the runner outside pytest, and the planted bugs of the Toss and imweb example systems."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import claimflow as cf
from claimflow import testing as cft
from claimflow.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "examples"))

import imweb_oms_bugs
import toss_oms_bugs
from engine_binding import EngineBinding
from imweb_oms import ImwebOMSBinding
from rules_compat import binding_for, engine_rows
from sqlite_binding import SqliteTossBinding
from toss_oms import TossOMSBinding

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
NEW_IMWEB_ROWS = engine_rows()["REFUND_IS_ASYNC"]


class TestSweep:
    @pytest.mark.parametrize("mp", list(cf.Marketplace))
    def test_the_sweep_asks_every_reachable_triple(self, mp: cf.Marketplace) -> None:
        """The sweep reaches every state reachable by actions and asks every (state, actor,
        action) there, allowed and refused: 100 % of each."""
        report = cft.sweep(EngineBinding, mp)
        assert report.complete
        assert report.states_reachable == report.states_seen
        assert report.transitions_reachable == report.transitions_seen
        assert report.refusals_reachable == report.refusals_seen
        assert report.triples_reachable == report.triples_seen
        assert len({p.state for p in cft.state_paths(mp)}) == report.states_reachable

    def test_states_no_action_leads_to_are_reported(self) -> None:
        """States reachable_states lists but no action reaches (entry-only) are named."""
        listed = {name for _, _, name in cf.reachable_states("imweb")}
        driven = {p.state for p in cft.state_paths("imweb")}
        report = cft.Coverage("imweb").report()
        assert sorted(listed - driven) == list(report.entry_only_states)

    def test_every_path_leads_where_it_says(self) -> None:
        """Driving the model along each shortest path ends in the state the path names."""
        for mp in cf.Marketplace:
            for path in cft.state_paths(mp):
                op = cf.OrderProduct(
                    "p",
                    mp,
                    "PAID",
                    "SKU",
                    1000,
                    2,
                    payment_channel=path.profile.payment_channel,
                    auto_refundable=path.profile.auto_refundable,
                )
                for action, actor in path.steps:
                    params = cf._engine.example_params(op, action)
                    op = cf.apply(op, action, actor, **params).order_product
                assert path.state == cf._machine.state_name(cf._machine.state_key(op))


class TestEffectData:
    def test_a_wrong_tracking_number_is_a_disagreement_naming_the_field(self) -> None:
        """Effects are compared with their data: a delivery registered with another tracking
        number fails, showing both values and the rule."""

        class WrongTracking(EngineBinding):
            def perform(self, handle: str, action: Any, actor: Any, params: Any) -> Any:
                outcome = super().perform(handle, action, actor, params)
                if isinstance(outcome, cft.Performed):
                    return cft.Performed(
                        [
                            {"kind": e.kind, "tracking_number": "0000-0000-0000"}
                            if e.kind is cf.EffectKind.REGISTER_DELIVERY
                            else e
                            for e in outcome.effects
                        ]
                    )
                return outcome

        with pytest.raises(cft.DisagreementError) as exc:
            cft.sweep(WrongTracking, "toss")
        cx = exc.value.counterexample
        assert cx is not None
        assert ["REGISTER_DELIVERY.tracking_number"] == [m.what for m in cx.mismatches]
        assert "'0000-0000-0000'" == cx.mismatches[0].system
        assert "F3" == cx.rule_ids[0]

    def test_kinds_alone_are_compared_by_kind(self) -> None:
        """A system that reports effect kinds only is compared by kind (the Toss example)."""
        assert () == cft._oracle.compare_effects(
            [cf.Effect(cf.EffectKind.REFUND, amount=1000)], ["REFUND"]
        )

    def test_an_unknown_effect_field_is_a_binding_error(self) -> None:
        """A mapping naming a field effects do not have is reported as a broken binding."""
        with pytest.raises(cft._oracle._BrokenError, match="nonsense"):
            cft._oracle.compare_effects(
                [cf.Effect(cf.EffectKind.REFUND)], [{"kind": "REFUND", "nonsense": 1}]
            )


class TestBrokenBinding:
    @pytest.mark.parametrize(
        ("broken", "says"),
        [
            ("raises", "perform(.*) raised RuntimeError: database is down"),
            ("garbage", "perform returned 'ok'"),
            ("read", "read returned None"),
        ],
    )
    def test_a_broken_binding_is_reported_on_its_first_step(self, broken: str, says: str) -> None:
        """A binding that raises or returns garbage fails at once with a BindingError that says
        what the binding did, within the first two events."""

        class Broken(EngineBinding):
            def perform(self, handle: str, action: Any, actor: Any, params: Any) -> Any:
                if broken == "raises":
                    raise RuntimeError("database is down")
                if broken == "garbage":
                    return "ok"
                return super().perform(handle, action, actor, params)

            def read(self, handle: str) -> Any:
                return None if broken == "read" else super().read(handle)

        began = time.perf_counter()
        with pytest.raises(cft.BindingError, match=says) as exc:
            cft.run_oracle(Broken, "toss", steps=100)
        assert time.perf_counter() - began < 5
        assert exc.value.counterexample is not None
        assert exc.value.counterexample.length <= 2

    def test_the_state_machine_reports_a_broken_binding_first_too(self) -> None:
        """The pytest TestCase sweeps first, so a broken binding fails on its first step."""

        class Raises(EngineBinding):
            def create(self, order_product: cf.OrderProduct) -> str:
                raise KeyError("no such table")

        case = cft.oracle(Raises, marketplace="imweb").TestCase()
        with pytest.raises(cft.BindingError, match=r"create\(op-.*\) raised KeyError"):
            case.runTest()


class TestRunner:
    def test_a_budget_is_required(self) -> None:
        """run_oracle refuses to run without a budget in steps or seconds."""
        with pytest.raises(ValueError, match="budget"):
            cft.run_oracle(EngineBinding, "toss", steps=None, seconds=None)

    def test_the_runner_counts_its_steps_and_coverage(self) -> None:
        """After the sweep, the runner takes the random steps asked for (finishing the start of
        its last order product), and reports them."""
        result = cft.run_oracle(EngineBinding, "x2bee", steps=500, seed=3)
        assert result.coverage.complete
        assert result.steps == result.coverage.steps
        swept = cft.sweep(EngineBinding, "x2bee", seed=3).steps
        # the last journey may finish driving an order product to its start state
        longest = max(len(p.steps) for p in cft.state_paths("x2bee"))
        assert swept + 500 <= result.steps <= swept + 500 + longest

    def test_the_factory_is_called_again_for_every_replay(self) -> None:
        """Minimizing replays the journey through new systems from the factory."""
        made: list[object] = []
        bug = binding_for(toss_oms_bugs.BUGGY["RejectionAfterCollectionToDelivered"])

        def factory() -> Any:
            made.append(object())
            return bug()

        with pytest.raises(cft.DisagreementError):
            cft.run_oracle(factory, "toss", steps=0)
        assert len(made) > 2

    def test_a_database_backed_binding_passes_with_a_fresh_database_per_replay(self) -> None:
        """The SQLite example binding agrees with the model; every instance has its own file."""
        a, b = SqliteTossBinding(), SqliteTossBinding()
        assert a.tmp.name != b.tmp.name
        result = cft.run_oracle(binding_for(SqliteTossBinding), "toss", steps=300)
        assert result.coverage.complete


class TestCounterexample:
    def test_the_counterexample_is_data(self) -> None:
        """A disagreement carries its journey, rule ids and values side by side as data."""
        with pytest.raises(cft.DisagreementError) as exc:
            cft.sweep(binding_for(toss_oms_bugs.BUGGY["BuyerCancelWhileShipping"]), "toss")
        cx = exc.value.counterexample
        assert cx is not None
        assert 3 == cx.length
        assert cx.steps[0].startswith("create #0 at PAID")
        assert "BUYER cancel.request" in cx.steps[-1]
        assert ("T1", "T2") == cx.rule_ids[:2]
        assert "allowed" == cx.mismatches[0].what
        assert str(cx) == str(exc.value)


class TestPlantedBugs:
    @pytest.mark.parametrize("bug", sorted(toss_oms_bugs.BUGGY))
    def test_every_toss_bug_is_caught_by_the_test_case(self, bug: str) -> None:
        """Under the loaded (ci) profile, the oracle's TestCase catches each planted Toss bug."""
        case = cft.oracle(binding_for(toss_oms_bugs.BUGGY[bug]), marketplace="toss").TestCase()
        with pytest.raises(cft.DisagreementError) as exc:
            case.runTest()
        assert exc.value.counterexample is not None
        assert 2 <= exc.value.counterexample.length <= 8

    @pytest.mark.parametrize("bug", sorted(imweb_oms_bugs.BUGGY))
    def test_every_imweb_bug_is_caught(self, bug: str) -> None:
        """Each planted imweb bug (held claims, refunds, origins, amounts) is caught with a
        journey of at most 8 events."""
        if bug in imweb_oms_bugs.NEEDS_NEW_ENGINE and not NEW_IMWEB_ROWS:
            pytest.skip("lives in imweb rows I3a/I4 the engine follows after its update")
        case = cft.oracle(binding_for(imweb_oms_bugs.BUGGY[bug]), marketplace="imweb").TestCase()
        with pytest.raises(cft.DisagreementError) as exc:
            case.runTest()
        assert exc.value.counterexample is not None
        assert 2 <= exc.value.counterexample.length <= 8

    def test_the_correct_imweb_example_passes(self) -> None:
        """The imweb example OMS, written from rules.md alone, agrees with the model."""
        result = cft.run_oracle(binding_for(ImwebOMSBinding), "imweb", steps=3000)
        assert result.coverage.complete

    def test_the_correct_toss_example_passes_the_test_case(self) -> None:
        """The Toss example passes the whole TestCase (sweep, then hypothesis) under ci."""
        cft.oracle(binding_for(TossOMSBinding), marketplace="toss").TestCase().runTest()


class TestDocs:
    def test_the_parameter_table_in_docs_is_generated_from_the_rules(self) -> None:
        """docs/testing.md's parameter table is what parameters_markdown() generates now."""
        text = (EXAMPLES.parent / "testing.md").read_text(encoding="utf-8")
        block = re.search(
            r"<!-- BEGIN parameters -->\n(.*?)<!-- END parameters -->", text, re.DOTALL
        )
        assert block is not None
        assert cft.parameters_markdown() == block.group(1)

    def test_every_parameter_of_the_rules_has_its_values_described(self) -> None:
        """No parameter the rules take is missing from the oracle's value descriptions."""
        names = {
            spec.name
            for mp in cf.Marketplace
            for specs in cf._machine.COMPILED[mp].param_specs.values()
            for spec in specs
        }
        assert set() == names - set(cft._strategies.VALID_VALUES)

    def test_every_public_name_has_a_docstring(self) -> None:
        """Every class and function claimflow.testing exports says what it is."""
        missing = [
            name
            for name in cft.__all__
            if callable(getattr(cft, name)) and not (getattr(cft, name).__doc__ or "").strip()
        ]
        assert [] == missing


class TestCommandLine:
    def test_claimflow_oracle_passes_a_correct_system(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`claimflow oracle module:factory` exits 0 and prints the coverage."""
        assert 0 == main(
            ["oracle", "rules_compat:TossOMSBinding", "--marketplace", "toss", "--steps", "50"]
        )
        assert "(state, actor, action) 2400/2400 (100 %)" in capsys.readouterr().out

    def test_claimflow_oracle_prints_the_counterexample(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A planted bug exits 1 with the numbered journey."""
        bug = binding_for(toss_oms_bugs.BUGGY["ShipDespiteCancelRequest"])
        monkeypatch.setattr(toss_oms_bugs, "ShipDespite", bug, raising=False)
        assert 1 == main(["oracle", "toss_oms_bugs:ShipDespite", "--marketplace", "toss"])
        assert "SELLER order.ship" in capsys.readouterr().out.splitlines()[-1]

    def test_claimflow_oracle_says_what_it_cannot_load(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A factory that is not there exits 2 naming it."""
        assert 2 == main(["oracle", "toss_oms:Nope", "--marketplace", "toss"])
        assert "cannot load 'toss_oms:Nope'" in capsys.readouterr().out
