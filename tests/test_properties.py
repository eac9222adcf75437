"""Property-based tests: random action sequences on every marketplace keep the engine's promises.

A *walk* starts from a fresh order product at 결제완료 (or from any reachable state) and takes a
random sequence of turns. A turn is one move, drawn 3 times in 4 from what some actor may do now
and otherwise from every action the marketplace offers by every actor, with parameters valid most
of the time and sometimes missing or malformed; or a trip along the shortest allowed path to a
random reachable state, so that walks get deep (collection, refund failure, holds, 반려) from a
fresh order product. Each step records what ``check`` said and what ``apply`` did, and each test
states one property of them. Where a property is about every path (one REFUND at most), an
exhaustive search over the state graph backs up the sampled walks.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import claimflow as cf
from claimflow._machine import state_key, state_name

MARKETPLACES = list(cf.Marketplace)
AT = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
MAX_STEPS = 20

TERMINAL_STATUS = "TERMINAL_STATUS"
REJECTIONS = {
    cf.Action.RETURN_REJECT: cf.ClaimStatus.REJECTED,
    cf.Action.EXCHANGE_REJECT: cf.ClaimStatus.REJECTED,
    cf.Action.RETURN_REJECT_COLLECTED: cf.ClaimStatus.COLLECTION_REJECTED,
    cf.Action.EXCHANGE_REJECT_COLLECTED: cf.ClaimStatus.COLLECTION_REJECTED,
}
REQUESTS = {
    cf.Action.CANCEL_REQUEST,
    cf.Action.RETURN_REQUEST,
    cf.Action.EXCHANGE_REQUEST,
    cf.Action.OPTION_CHANGE,
}
TERMINAL = {cf.Status.CANCELED, cf.Status.RETURNED, cf.Status.CONFIRMED}
# a refund the gateway reported failed was not paid out: a retry (imweb I4) is not a second one
REFUND_FAILURES = {cf.Action.CANCEL_REFUND_FAILED, cf.Action.RETURN_REFUND_FAILED}
# rules.md: the statuses a claim of each type may be requested in (its possible origins).
ORIGINS = {
    cf.ClaimType.CANCEL: {cf.Status.PAID, cf.Status.PREPARING, cf.Status.DELAYED},
    cf.ClaimType.RETURN: {cf.Status.SHIPPING, cf.Status.DELIVERED, cf.Status.EXCHANGED},
    cf.ClaimType.EXCHANGE: {cf.Status.SHIPPING, cf.Status.DELIVERED, cf.Status.EXCHANGED},
}
# statuses that only exist while a claim of this type is open
CLAIM_ONLY = {
    cf.Status.RETURN_COLLECTING: cf.ClaimType.RETURN,
    cf.Status.RETURN_COLLECTED: cf.ClaimType.RETURN,
    cf.Status.EXCHANGE_COLLECTING: cf.ClaimType.EXCHANGE,
    cf.Status.EXCHANGE_COLLECTED: cf.ClaimType.EXCHANGE,
    cf.Status.REDELIVERING: cf.ClaimType.EXCHANGE,
}


def offered(mp: cf.Marketplace) -> list[cf.Action]:
    """The actions *mp* offers, in vocabulary order."""
    mine = {info.action for info in cf.rules(mp)}
    return [a for a in cf.Action if a in mine]


OFFERED = {mp: offered(mp) for mp in MARKETPLACES}
MOVES = {mp: [(a, actor) for a in OFFERED[mp] for actor in cf.Actor] for mp in MARKETPLACES}


# --- walks --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Step:
    """One move of a walk: the order product before, the question, and both answers."""

    before: cf.OrderProduct
    snapshot: cf.OrderProduct  # a deep copy of ``before`` taken before check and apply ran
    action: cf.Action
    actor: cf.Actor
    params: dict[str, Any]
    decision: cf.Decision
    applied: cf.Applied | None
    refused: cf.ActionRefusedError | None

    @property
    def after(self) -> cf.OrderProduct:
        """The order product after this step (the same one when refused)."""
        return self.applied.order_product if self.applied is not None else self.before


def draw_start(
    data: st.DataObject, mp: cf.Marketplace, make: Any, *, fresh: bool = False
) -> cf.OrderProduct:
    """A fresh order product at PAID, or (unless *fresh*) one in any reachable state."""
    fields = {
        "auto_refundable": data.draw(st.booleans(), label="auto_refundable"),
        "payment_channel": data.draw(st.sampled_from(list(cf.PaymentChannel)), label="channel"),
        "quantity": data.draw(st.integers(1, 3), label="quantity"),
        "unit_price": data.draw(st.sampled_from((12_000, 0, 990, 39_900)), label="unit_price"),
    }
    if fresh or data.draw(st.booleans(), label="start at PAID"):
        return make(mp, cf.Status.PAID, **fields)
    status, template, _ = data.draw(st.sampled_from(cf.reachable_states(mp)), label="start")
    claim = None
    if template is not None:
        claim = cf.Claim(
            "OP-1-C1",
            template.type,
            template.status,
            template.origin_status,
            held_from=template.held_from,
        )
    return make(mp, status, open_claim=claim, **fields)


def allowed_moves(op: cf.OrderProduct) -> list[tuple[cf.Action, cf.Actor]]:
    """Every (action, actor) the engine says is allowed now, parameters aside."""
    return [(a, actor) for actor in cf.Actor for a in cf.allowed_actions(op, actor)]


def draw_params(
    data: st.DataObject, op: cf.OrderProduct, action: cf.Action, action_params: Any
) -> dict[str, Any]:
    """Valid parameters most of the time; sometimes broken ones, sometimes none at all."""
    kind = data.draw(st.sampled_from(("valid",) * 8 + ("broken", "none")), label="params kind")
    if kind == "none":
        return {}
    strategy = action_params.valid if kind == "valid" else action_params.invalid
    return data.draw(strategy(op, action), label=f"{action} params")


def draw_move(
    data: st.DataObject, op: cf.OrderProduct, action_params: Any
) -> tuple[cf.Action, cf.Actor, dict[str, Any]]:
    """An (action, actor, params): 3 in 4 from the allowed moves, else from all offered ones."""
    allowed = allowed_moves(op)
    pool = allowed if allowed and data.draw(st.integers(0, 3), label="bias") else None
    action, actor = data.draw(st.sampled_from(pool or MOVES[op.marketplace]), label="move")
    return action, actor, draw_params(data, op, action, action_params)


def take(op: cf.OrderProduct, action: cf.Action, actor: cf.Actor, params: dict[str, Any]) -> Step:
    """Ask check, then apply; record both answers."""
    snapshot = copy.deepcopy(op)
    decision = cf.check(op, action, actor, **params)
    applied = refused = None
    try:
        applied = cf.apply(op, action, actor, at=AT, **params)
    except cf.ActionRefusedError as e:
        refused = e
    return Step(op, snapshot, action, actor, dict(params), decision, applied, refused)


_PATHS: dict[tuple[cf.Marketplace, bool, cf.PaymentChannel, str], dict[str, tuple[Any, ...]]] = {}


def shortest_paths(op: cf.OrderProduct, action_params: Any) -> dict[str, tuple[Any, ...]]:
    """The shortest (action, actor) path from *op*'s state to every state reachable from it.

    Found by breadth-first search over the engine's own allowed moves (with valid parameters);
    cached per marketplace, payment and state. Walks follow these paths to reach deep states
    (refund failures, 반려, holds) from a fresh order product far more often than chance would.
    """
    start = state_name(state_key(op))
    cache_key = (op.marketplace, op.auto_refundable, op.payment_channel, start)
    if cache_key not in _PATHS:
        paths: dict[str, tuple[Any, ...]] = {start: ()}
        frontier = [op]
        while frontier:
            later = []
            for cur in frontier:
                here = paths[state_name(state_key(cur))]
                for action, actor in allowed_moves(cur):
                    params = action_params.example(cur, action)
                    try:
                        new = cf.apply(cur, action, actor, at=AT, **params).order_product
                    except cf.ActionRefusedError:
                        continue
                    name = state_name(state_key(new))
                    if name not in paths:
                        paths[name] = (*here, (action, actor))
                        later.append(new)
            frontier = later
        _PATHS[cache_key] = paths
    return _PATHS[cache_key]


def deep_goals(paths: dict[str, tuple[Any, ...]]) -> list[str]:
    """The states worth a trip: not here, and not terminal (single moves get there easily)."""
    terminal = {t.value for t in TERMINAL}
    return sorted(name for name, path in paths.items() if path and name not in terminal)


def walk(
    data: st.DataObject,
    mp: cf.Marketplace,
    make: Any,
    action_params: Any,
    *,
    fresh: bool = False,
) -> list[Step]:
    """A random walk on *mp*, ending one move after a terminal status.

    Each turn is a single move (see :func:`draw_move`) or, one time in two, a trip along the
    shortest path to a non-terminal state drawn from those reachable from here, with valid
    parameters drawn on the way.
    """
    op = draw_start(data, mp, make, fresh=fresh)
    steps: list[Step] = []
    for _ in range(data.draw(st.integers(1, MAX_STEPS), label="length")):
        if op.status in TERMINAL:
            steps.append(take(op, *draw_move(data, op, action_params)))
            break  # one move tried on a terminal order product is enough
        paths = shortest_paths(op, action_params)
        goals = deep_goals(paths)
        turn = data.draw(st.sampled_from(("move", "go to")), label="turn") if goals else "move"
        if turn == "move":
            moves = [draw_move(data, op, action_params)]
        else:
            goal = data.draw(st.sampled_from(goals), label="go to")
            moves = [(a, actor, None) for a, actor in paths[goal]]
        for action, actor, drawn in moves:
            params = drawn
            if params is None:  # on a trip: valid parameters for the op as it is now
                params = data.draw(action_params.valid(op, action), label=f"{action} params")
            step = take(op, action, actor, params)
            steps.append(step)
            op = step.after
            if step.applied is None:
                break
    note(" -> ".join(f"{s.action}/{s.actor}:{'ok' if s.applied else 'refused'}" for s in steps))
    return steps


def applied_steps(steps: list[Step]) -> list[tuple[Step, cf.Applied]]:
    """The steps that were applied, with what apply returned."""
    return [(s, s.applied) for s in steps if s.applied is not None]


walks = pytest.mark.parametrize("mp", MARKETPLACES, ids=str)


# --- (a) check and apply agree ------------------------------------------------------------


class TestCheckAndApplyAgree:
    """apply does exactly what check said it would."""

    @walks
    @given(data=st.data())
    def test_allowed_iff_apply_succeeds(self, mp, data, make_order_product, action_params):
        """An action is applied exactly when check allows it, with the very decision check gave."""
        for s in walk(data, mp, make_order_product, action_params):
            assert s.decision.allowed == (s.applied is not None)
            assert (s.applied is None) == (s.refused is not None)
            answer = s.applied.decision if s.applied is not None else s.refused.decision
            assert s.decision == answer

    @walks
    @given(data=st.data())
    def test_new_state_is_the_decided_one(self, mp, data, make_order_product, action_params):
        """The new order product has the decided status, and the decided claim type and status."""
        for s, a in applied_steps(walk(data, mp, make_order_product, action_params)):
            new, d = a.order_product, s.decision
            assert d.to_status == new.status
            if new.open_claim is not None:
                assert (d.claim_type, d.claim_status) == (
                    new.open_claim.type,
                    new.open_claim.status,
                )
            elif d.claim_type is not None:
                closed = new.closed_claims[-1]
                assert (d.claim_type, d.claim_status) == (closed.type, closed.status)
            else:
                assert (None, s.before.closed_claims) == (d.claim_status, new.closed_claims)

    @walks
    @given(data=st.data())
    def test_history_event_matches_decision(self, mp, data, make_order_product, action_params):
        """The history event records the decided action, rule, statuses, claim, effects, params."""
        for s, a in applied_steps(walk(data, mp, make_order_product, action_params)):
            e, d, new = a.event, s.decision, a.order_product
            claim = (
                new.open_claim
                if new.open_claim is not None
                else (
                    new.closed_claims[-1]
                    if len(new.closed_claims) > len(s.before.closed_claims)
                    else None
                )
            )
            expected = (
                s.before.id,
                new.version,
                mp,
                s.action,
                s.actor,
                d.rule_id,
                s.before.status,
                d.to_status,
                claim.id if claim else None,
                d.claim_type,
                d.claim_status,
                d.effects,
                d.params,
                AT,
            )
            actual = (
                e.order_product_id,
                e.version,
                e.marketplace,
                e.action,
                e.actor,
                e.rule_id,
                e.from_status,
                e.to_status,
                e.claim_id,
                e.claim_type,
                e.claim_status_after,
                e.effects,
                e.params,
                e.at,
            )
            assert expected == actual
            assert d.effects == a.effects


# --- (b) a refused apply changes nothing --------------------------------------------------


class TestRefusal:
    """A refused action is an ActionRefusedError and leaves the order product as it was."""

    @walks
    @given(data=st.data())
    def test_refused_apply_changes_nothing(self, mp, data, make_order_product, action_params):
        """A refused apply raises ActionRefusedError and the order product equals its deep copy."""
        for s in walk(data, mp, make_order_product, action_params):
            assert s.snapshot == s.before
            if not s.decision.allowed:
                assert isinstance(s.refused, cf.ActionRefusedError)
                assert s.decision == s.refused.decision
                assert s.snapshot == s.after
                assert (None, False) == (s.decision.to_status, not s.decision.reasons)


# --- (c) one open claim; closed claims are history ----------------------------------------


class TestClaims:
    """At most one claim is open, and a closed claim is never touched again."""

    @walks
    @given(data=st.data())
    def test_at_most_one_open_claim(self, mp, data, make_order_product, action_params):
        """No request opens a claim beside an open one; a claim that stops being open is closed."""
        for s, a in applied_steps(walk(data, mp, make_order_product, action_params)):
            old, new = s.before.open_claim, a.order_product
            if old is not None:
                assert s.action not in REQUESTS, f"{s.action} allowed beside an open claim"
                if new.open_claim is None or new.open_claim.id != old.id:
                    assert old.id == new.closed_claims[-1].id
            ids = [c.id for c in new.closed_claims]
            if new.open_claim is not None:
                ids.append(new.open_claim.id)
            assert len(set(ids)) == len(ids)

    @walks
    @given(data=st.data())
    def test_closed_claims_never_modified(self, mp, data, make_order_product, action_params):
        """Each step's closed claims begin with the previous step's, and grow by at most one."""
        for s in walk(data, mp, make_order_product, action_params):
            before, after = s.before.closed_claims, s.after.closed_claims
            assert before == after[: len(before)]
            assert len(after) - len(before) in (0, 1)


# --- (d) rejection and 반려 go back to the origin -----------------------------------------


class TestOrigin:
    """A claim remembers its origin status, and rejection and 반려 return there."""

    @walks
    @given(data=st.data())
    def test_rejection_restores_origin(self, mp, data, make_order_product, action_params):
        """reject and reject_collected put the order product back in the claim's origin status."""
        for s, a in applied_steps(walk(data, mp, make_order_product, action_params)):
            if s.action not in REJECTIONS:
                continue
            old, new = s.before.open_claim, a.order_product
            assert old is not None
            closed = new.closed_claims[-1]
            assert (old.origin_status, None) == (new.status, new.open_claim)
            assert (old.id, old.origin_status, REJECTIONS[s.action]) == (
                closed.id,
                closed.origin_status,
                closed.status,
            )

    @walks
    @given(data=st.data())
    def test_open_claim_keeps_its_origin(self, mp, data, make_order_product, action_params):
        """An open claim's origin changes only by delivery (F4); return.to_exchange carries it."""
        for s, a in applied_steps(walk(data, mp, make_order_product, action_params)):
            old, new = s.before.open_claim, a.order_product.open_claim
            if old is None or new is None:
                continue
            delivered = s.action is cf.Action.ORDER_DELIVER
            expected = cf.Status.DELIVERED if delivered else old.origin_status
            assert expected == new.origin_status


# --- (e) one refund at most -----------------------------------------------------------------


class TestRefund:
    """Money goes back once."""

    @walks
    @given(data=st.data())
    def test_refund_at_most_once(self, mp, data, make_order_product, action_params):
        """From a fresh order product at PAID, no sequence of actions emits REFUND twice, a
        refund the gateway reported failed (I3a, I14) not counting."""
        steps = walk(data, mp, make_order_product, action_params, fresh=True)
        refunds = [
            (s.action, e.amount)
            for s, a in applied_steps(steps)
            for e in a.effects
            if e.kind is cf.EffectKind.REFUND
        ]
        failed = [s.action for s, _ in applied_steps(steps) if s.action in REFUND_FAILURES]
        assert len(refunds) - len(failed) <= 1, refunds

    @walks
    @pytest.mark.parametrize("auto_refundable", [True, False], ids=["auto", "manual"])
    @pytest.mark.parametrize("channel", list(cf.PaymentChannel), ids=str)
    def test_no_path_refunds_twice(
        self, mp, auto_refundable, channel, make_order_product, action_params
    ):
        """Exhaustively: along no path of allowed moves from PAID is REFUND emitted twice (a
        failed refund retried counts once)."""
        start = make_order_product(
            mp, cf.Status.PAID, auto_refundable=auto_refundable, payment_channel=channel
        )
        seen = {(state_name(state_key(start)), 0)}
        frontier: list[tuple[cf.OrderProduct, int, tuple[str, ...]]] = [(start, 0, ())]
        twice = []
        while frontier:
            op, refunds, path = frontier.pop()
            for action, actor in allowed_moves(op):
                for optional in (False, True):
                    params = action_params.example(op, action, optional=optional)
                    applied = cf.apply(op, action, actor, at=AT, **params)
                    n = (
                        refunds
                        + sum(e.kind is cf.EffectKind.REFUND for e in applied.effects)
                        - (action in REFUND_FAILURES)
                    )
                    new = applied.order_product
                    if n > 1:
                        twice.append((*path, action.value))
                    elif (state_name(state_key(new)), n) not in seen:
                        seen.add((state_name(state_key(new)), n))
                        frontier.append((new, n, (*path, action.value)))
        assert [] == twice
        assert len(seen) > 5


# --- (f) terminal statuses ----------------------------------------------------------------


class TestTerminal:
    """CANCELED, RETURNED and CONFIRMED end the life of an order product."""

    @walks
    @given(data=st.data())
    def test_walk_stops_at_terminal(self, mp, data, make_order_product, action_params):
        """Once an order product is terminal, every action is refused for a terminal status."""
        for s in walk(data, mp, make_order_product, action_params):
            if s.before.status in TERMINAL:
                assert (False, (TERMINAL_STATUS,)) == (s.decision.allowed, s.decision.codes)
                assert [] == allowed_moves(s.before)

    @walks
    def test_terminal_states_refuse_everything(self, mp, make_order_product, action_params):
        """In every reachable terminal state, every offered action by every actor is refused."""
        terminal = [st_ for st_, _, _ in cf.reachable_states(mp) if st_ in TERMINAL]
        assert TERMINAL == set(terminal)
        accepted = []
        for status in terminal:
            op = make_order_product(mp, status)
            for action, actor in MOVES[mp]:
                for params in ({}, action_params.example(op, action, optional=True)):
                    if cf.check(op, action, actor, **params).allowed:
                        accepted.append((status, action, actor))
        assert [] == accepted


# --- (g) versions ---------------------------------------------------------------------------


class TestVersion:
    """The version counts applied actions."""

    @walks
    @given(data=st.data())
    def test_version_increments_by_one(self, mp, data, make_order_product, action_params):
        """Each applied action adds exactly one to the version; a refused one adds nothing."""
        steps = walk(data, mp, make_order_product, action_params)
        for s in steps:
            assert s.before.version + (s.applied is not None) == s.after.version
        assert steps[0].before.version + len(applied_steps(steps)) == steps[-1].after.version


# --- (h) allowed_actions / refused_actions ----------------------------------------------------


class TestAllowedActions:
    """allowed_actions and refused_actions agree with check."""

    @walks
    @given(data=st.data())
    def test_allowed_and_refused_actions_match_check(
        self, mp, data, make_order_product, action_params
    ):
        """allowed_actions is what check allows with valid parameters; refused_actions the rest."""
        steps = walk(data, mp, make_order_product, action_params)
        for op in [s.before for s in steps] + [steps[-1].after]:
            for actor in cf.Actor:
                decisions = {
                    a: cf.check(op, a, actor, **action_params.example(op, a)) for a in OFFERED[mp]
                }
                allowed = cf.allowed_actions(op, actor)
                refused = cf.refused_actions(op, actor)
                assert [a for a in OFFERED[mp] if decisions[a].allowed] == list(allowed)
                assert {a for a in OFFERED[mp] if a not in allowed} == set(refused)
                assert {a: decisions[a].reasons for a in refused} == dict(refused)


# --- (i) the same as a hypothesis state machine -----------------------------------------------


class ClaimMachine(RuleBasedStateMachine):
    """One order product on one marketplace, driven by random allowed and arbitrary moves."""

    def __init__(self, mp: cf.Marketplace, make: Any, action_params: Any) -> None:
        super().__init__()
        self.mp = mp
        self.make = make
        self.action_params = action_params
        self.op: cf.OrderProduct | None = None
        self.refunds = 0
        self.fresh = False

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        """Start fresh at PAID, or in any reachable state."""
        self.op = draw_start(data, self.mp, self.make)
        self.fresh = self.op.status is cf.Status.PAID and self.op.open_claim is None

    def _move(self, action: cf.Action, actor: cf.Actor, params: dict[str, Any]) -> None:
        assert self.op is not None
        s = take(self.op, action, actor, params)
        assert s.decision.allowed == (s.applied is not None)
        assert s.snapshot == s.before
        assert s.before.version + (s.applied is not None) == s.after.version
        assert s.before.closed_claims == s.after.closed_claims[: len(s.before.closed_claims)]
        if s.before.status in TERMINAL:
            assert s.applied is None
        if s.applied is not None:
            new = s.applied.order_product
            assert s.decision.to_status == new.status
            if s.action in REJECTIONS:
                assert s.before.open_claim is not None
                assert s.before.open_claim.origin_status == new.status
            if s.before.open_claim is not None and s.action in REQUESTS:
                raise AssertionError(f"{s.action} allowed beside an open claim")
            self.refunds += sum(e.kind is cf.EffectKind.REFUND for e in s.applied.effects)
            self.refunds -= s.action in REFUND_FAILURES
        self.op = s.after

    @rule(data=st.data())
    def act_allowed(self, data: st.DataObject) -> None:
        """Take a move some actor is allowed now, with valid parameters."""
        assert self.op is not None
        moves = allowed_moves(self.op)
        if not moves:
            return
        action, actor = data.draw(st.sampled_from(moves), label="allowed move")
        params = data.draw(self.action_params.valid(self.op, action), label="params")
        self._move(action, actor, params)

    @rule(data=st.data())
    def go_to(self, data: st.DataObject) -> None:
        """Follow the shortest allowed path to a reachable state, with valid parameters."""
        assert self.op is not None
        paths = shortest_paths(self.op, self.action_params)
        goals = deep_goals(paths)
        if not goals:
            return
        goal = data.draw(st.sampled_from(goals), label="go to")
        for action, actor in paths[goal]:
            params = data.draw(self.action_params.valid(self.op, action), label="params")
            self._move(action, actor, params)

    @rule(data=st.data())
    def act_any(self, data: st.DataObject) -> None:
        """Try any offered action by any actor, with any parameters."""
        assert self.op is not None
        action, actor = data.draw(st.sampled_from(MOVES[self.mp]), label="move")
        self._move(action, actor, draw_params(data, self.op, action, self.action_params))

    @invariant()
    @precondition(lambda self: self.op is not None)
    def one_open_claim(self) -> None:
        """Claim ids are unique; claim-only statuses have their claim; terminal ones none."""
        op = self.op
        assert op is not None
        ids = [c.id for c in op.closed_claims]
        if op.open_claim is not None:
            ids.append(op.open_claim.id)
        assert len(set(ids)) == len(ids)
        open_type = op.open_claim.type if op.open_claim is not None else None
        if op.status in CLAIM_ONLY:
            assert CLAIM_ONLY[op.status] == open_type
        if op.status in TERMINAL:
            assert open_type is None
        cf.allowed_actions(op, cf.Actor.SELLER)  # raises for a state the rules cannot produce

    @invariant()
    @precondition(lambda self: self.op is not None)
    def origin_is_a_request_status(self) -> None:
        """An open claim's origin is a status its type may be requested in."""
        assert self.op is not None
        claim = self.op.open_claim
        if claim is not None:
            assert claim.origin_status in ORIGINS[claim.type], claim

    @invariant()
    @precondition(lambda self: self.fresh)
    def one_refund(self) -> None:
        """Started fresh at PAID, the order product has had at most one REFUND."""
        assert self.refunds <= 1


class TestStateMachine:
    """The properties above, as a hypothesis rule-based state machine per marketplace."""

    @walks
    def test_claim_machine(self, mp, make_order_product, action_params):
        """Random allowed and arbitrary moves keep one open claim, origins and single refunds."""
        run_state_machine_as_test(lambda: ClaimMachine(mp, make_order_product, action_params))
