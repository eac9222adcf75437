"""The compiled table (check / apply) agrees with the ``transitions`` machines, state by state.

``transitions`` is the source of truth the engine's flat table is read from. This test drives the
machines directly (``machine.events[action].trigger(model, ...)`` on a plain model) in every
reachable state of every marketplace, for every action, actor, payment and parameter variant, and
compares each answer with :func:`claimflow.check` and :func:`claimflow.apply`. It is exhaustive,
not sampled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from transitions import MachineError

import claimflow as cf
from claimflow._machine import RuleTransition, state_key, state_name, target
from claimflow._rules import DEFINITIONS

MARKETPLACES = list(cf.Marketplace)
PAYMENTS = [
    (auto_refundable, channel)
    for auto_refundable in (True, False)
    for channel in (cf.PaymentChannel.NORMAL, cf.PaymentChannel.NPAY)
]


class Model:
    """A plain object with a ``state``, never attached to a machine."""

    def __init__(self, state: str) -> None:
        self.state = state


def offered(mp: cf.Marketplace) -> list[cf.Action]:
    """The actions *mp* offers, in vocabulary order."""
    mine = {info.action for info in cf.rules(mp)}
    return [a for a in cf.Action if a in mine]


def transitions_of(mp: cf.Marketplace) -> Iterator[tuple[str, str, RuleTransition]]:
    """Every (machine name, event name, transition) of *mp*'s machines."""
    for group, machine in cf.machines(mp).items():
        for name, event in machine.events.items():
            for ts in event.transitions.values():
                for t in ts:
                    assert isinstance(t, RuleTransition)
                    yield group, name, t


def machine_verdict(
    op: cf.OrderProduct, action: cf.Action, actor: cf.Actor, params: dict[str, Any]
) -> str | None:
    """The state the machine owning *action* moves to from *op*'s state, or None if it refuses."""
    mp, state = op.marketplace, state_name(state_key(op))
    owners = [m for m in cf.machines(mp).values() if action.value in m.events]
    assert len(owners) <= 1, f"{action} is an event of {len(owners)} machines"
    if not owners:
        return None
    machine = owners[0]
    if state not in machine.states:
        return None
    model = Model(state)
    try:
        moved = machine.events[action.value].trigger(model, op=op, actor=actor, params=params)
    except MachineError:
        return None
    if not moved:
        assert state == model.state, "a refused trigger moved the model"
        return None
    return model.state


def param_variants(
    op: cf.OrderProduct, action: cf.Action, offered_here: bool, example: Callable[..., Any]
) -> list[dict[str, Any]]:
    """No parameters, the required ones, and all of them (required and optional)."""
    if not offered_here:
        return [{}]
    variants = [{}, example(op, action), example(op, action, optional=True)]
    unique: list[dict[str, Any]] = []
    for v in variants:
        if v not in unique:
            unique.append(v)
    return unique


class TestMachineAgreesWithTable:
    """check / apply answer exactly as the transitions machines do."""

    @pytest.mark.parametrize("mp", MARKETPLACES, ids=str)
    def test_every_reachable_state(self, mp, make_order_product, action_params):
        """Every reachable state, action, actor, payment and parameter set is decided alike."""
        mine = set(offered(mp))
        mismatches: list[str] = []
        compared = 0
        for status, claim_template, name in cf.reachable_states(mp):
            for auto_refundable, channel in PAYMENTS:
                claim = None
                if claim_template is not None:
                    claim = cf.Claim(
                        "OP-1-C1",
                        claim_template.type,
                        claim_template.status,
                        claim_template.origin_status,
                        held_from=claim_template.held_from,
                    )
                op = make_order_product(
                    mp,
                    status,
                    open_claim=claim,
                    auto_refundable=auto_refundable,
                    payment_channel=channel,
                )
                assert name == state_name(state_key(op))
                for action in cf.Action:
                    variants = param_variants(op, action, action in mine, action_params.example)
                    for actor in cf.Actor:
                        for params in variants:
                            compared += 1
                            where = (
                                f"{name} auto_refundable={auto_refundable} {channel}: "
                                f"{action} by {actor} with {sorted(params)}"
                            )
                            dest = machine_verdict(op, action, actor, params)
                            decision = cf.check(op, action, actor, **params)
                            if (dest is not None) != decision.allowed:
                                mismatches.append(
                                    f"{where}: transitions moves to {dest}, "
                                    f"check says {decision.explain()}"
                                )
                                continue
                            if dest is None:
                                with pytest.raises(cf.ActionRefusedError):
                                    cf.apply(op, action, actor, **params)
                                continue
                            new = cf.apply(op, action, actor, **params).order_product
                            if dest != state_name(state_key(new)):
                                mismatches.append(
                                    f"{where}: transitions moves to {dest}, apply to "
                                    f"{state_name(state_key(new))}"
                                )
        assert [] == mismatches
        assert compared > 1000

    @pytest.mark.parametrize("mp", MARKETPLACES, ids=str)
    def test_offered_actions_are_machine_events(self, mp):
        """The actions the rules offer are exactly the events of the marketplace's machines."""
        events = {name for m in cf.machines(mp).values() for name in m.events}
        assert {a.value for a in offered(mp)} == events

    @pytest.mark.parametrize("mp", MARKETPLACES, ids=str)
    def test_machine_states_are_reachable_states(self, mp):
        """The machines' states are exactly the reachable states of the marketplace."""
        names = {name for _, _, name in cf.reachable_states(mp)}
        in_machines = {s for m in cf.machines(mp).values() for s in m.states}
        assert names == in_machines


class TestRulesAreTransitions:
    """Every rule definition is carried by the machines, with its id, tag and source."""

    def test_no_dead_rule(self):
        """Every rule of DEFINITIONS is on at least one transition of its marketplace's machines."""
        carried = {id(t.rule) for mp in MARKETPLACES for _, _, t in transitions_of(mp)}
        dead = [
            (group, r.id, str(r.marketplace), str(r.action))
            for group, rules in DEFINITIONS.items()
            for r in rules
            if id(r) not in carried
        ]
        assert [] == dead

    @pytest.mark.parametrize("mp", MARKETPLACES, ids=str)
    def test_rule_ids_listed_with_tag_and_source(self, mp):
        """The (id, action, tag, source) of every rule of a marketplace is on its transitions."""
        expected = {(r.id, r.action, r.tag, r.source) for r in cf.rules(mp)}
        actual = {
            (t.rule.id, cf.Action(name), t.rule.tag, t.rule.source)
            for _, name, t in transitions_of(mp)
        }
        assert expected == actual

    @pytest.mark.parametrize("mp", MARKETPLACES, ids=str)
    def test_transitions_sit_in_their_own_machine(self, mp):
        """A transition carries a rule of its machine's definition, marketplace and event."""
        misplaced = [
            (group, name, t.rule.id)
            for group, name, t in transitions_of(mp)
            if t.rule.marketplace is not mp
            or t.rule not in DEFINITIONS[group]
            or t.rule.action.value != name
        ]
        assert [] == misplaced

    @pytest.mark.parametrize("mp", MARKETPLACES, ids=str)
    def test_transition_destinations_follow_the_rule(self, mp):
        """Each transition leads where its rule says it leads from its source state."""
        keys = {name: (status, claim) for status, claim, name in cf.reachable_states(mp)}
        wrong = []
        for _, name, t in transitions_of(mp):
            status, claim = keys[t.source]
            key = (
                (status, None, None, None, None)
                if claim is None
                else (status, claim.type, claim.status, claim.origin_status, claim.held_from)
            )
            if state_name(target(t.rule, key)) != t.dest:
                wrong.append((name, t.rule.id, t.source, t.dest))
        assert [] == wrong


class TestClaimAfter:
    """``_machine.claim_after``: the one reading of a rule's outcome for the claim."""

    @staticmethod
    def _step(mp: cf.Marketplace, status: cf.Status, action: cf.Action) -> Any:
        from claimflow._machine import COMPILED  # noqa: PLC0415

        key = state_key(cf.OrderProduct("op", mp, status, "SKU-1", 10_000))
        (step, *_) = COMPILED[mp].table[(key, action)]
        return step

    def test_a_request_opens_a_claim(self):
        """A buyer's return request leaves an open RETURN claim in REQUESTED, not closed."""
        step = self._step(cf.Marketplace.TOSS, cf.Status.DELIVERED, cf.Action.RETURN_REQUEST)
        assert (cf.ClaimType.RETURN, cf.ClaimStatus.REQUESTED, False) == (
            step.claim.type,
            step.claim.status,
            step.claim.closed,
        )
        assert "RETURN REQUESTED" == step.claim.label()

    def test_a_claim_recorded_closed_at_once(self):
        """x2bee's storefront cancel (X1) leaves no open claim but records a closed CANCEL."""
        step = self._step(cf.Marketplace.X2BEE, cf.Status.PAID, cf.Action.CANCEL_REQUEST)
        assert step.dest[1] is None
        assert (cf.ClaimType.CANCEL, True) == (step.claim.type, step.claim.closed)
        assert step.claim.label().endswith("(closed)")

    def test_no_claim_concerned(self):
        """A fulfilment step (prepare) concerns no claim: an empty label."""
        step = self._step(cf.Marketplace.TOSS, cf.Status.PAID, cf.Action.ORDER_PREPARE)
        assert (None, None, False, "") == (
            step.claim.type,
            step.claim.status,
            step.claim.closed,
            step.claim.label(),
        )

    @pytest.mark.parametrize("mp", list(cf.Marketplace))
    def test_the_engine_reports_what_the_step_does(self, mp, action_params):
        """For every allowed action from every paid-without-claim state, the decision's claim
        type/status are the step's ``claim_after``."""
        from claimflow._machine import COMPILED  # noqa: PLC0415

        seen = 0
        for (key, action), steps in COMPILED[mp].table.items():
            if key[1] is not None:
                continue
            op = cf.OrderProduct("op", mp, key[0], "SKU-1", 10_000)
            for actor in cf.Actor:
                d = cf.check(op, action, actor, **action_params.example(op, action))
                if d.allowed and d.rule_id == steps[0].rule.id:
                    assert (steps[0].claim.type, steps[0].claim.status) == (
                        d.claim_type,
                        d.claim_status,
                    )
                    seen += 1
        assert seen > 0
