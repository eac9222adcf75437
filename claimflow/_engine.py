"""check, quote, allowed_actions, refused_actions and apply: the questions an OMS asks.

All answers come from the table compiled from the ``transitions`` machines
(:mod:`claimflow._machine`). ``check`` is pure; ``apply`` returns a *new* order product, so a
refused action (or a failed marketplace call the caller wraps around it) leaves the old one
untouched. A decision that moves money carries a :class:`~claimflow.Quote` (rules.md M1-M7,
:mod:`claimflow._money`); a request for part of a line's units splits it (Q1) in the same step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import attrs

from . import _params, _time
from ._guides import GUIDES, SRC_RULES
from ._korean import attach
from ._machine import COMPILED, Compiled, StateKey, Step, state_key, state_name
from ._money import ClaimDelivery, MoneyRule, Quote, Restore, quote_money
from ._params import ImwebReasonCode
from ._rules import Outcome, Rule, rules_for
from ._values import (
    Applied,
    CandidateItem,
    Claim,
    Decision,
    Effect,
    HistoryEvent,
    OrderProduct,
    Params,
    Reason,
    aware,
    claim_id_arg,
    order_product_arg,
    version_arg,
)
from ._vocab import (
    Action,
    Actor,
    ClaimStatus,
    EffectKind,
    FeePayer,
    Marketplace,
    PaymentChannel,
    Status,
    Tag,
    parse_enum,
)
from .exceptions import (
    ActionRefusedError,
    InconsistentStateError,
    StaleVersionError,
    UnknownParameterError,
)

__all__ = ["allowed_actions", "apply", "check", "example_params", "quote", "refused_actions"]

NOT_OFFERED = "NOT_OFFERED"
TERMINAL = "TERMINAL_STATUS"
WRONG_STATUS = "WRONG_STATUS"
CLAIM_OPEN = "CLAIM_OPEN"
NO_OPEN_CLAIM = "NO_OPEN_CLAIM"
WRONG_CLAIM_STATUS = "WRONG_CLAIM_STATUS"
CLAIM_HELD = "CLAIM_HELD"
ACTOR_NOT_ALLOWED = "ACTOR_NOT_ALLOWED"
PARTIAL_QUANTITY = "PARTIAL_QUANTITY"
INVALID = _params.INVALID

# Which money rule an action that moves money follows (rules.md M3-M5); a seller cancel after
# shipment is quoted as a return (M4: deliveryPenaltyCharger decides the return shipping).
MONEY_RULES: Mapping[Action, MoneyRule] = {
    Action.CANCEL_REQUEST: MoneyRule.CANCEL,
    Action.CANCEL_APPROVE: MoneyRule.CANCEL,
    Action.CANCEL_RETRY_REFUND: MoneyRule.CANCEL,
    Action.CANCEL_BY_SELLER: MoneyRule.CANCEL,
    Action.RETURN_COMPLETE: MoneyRule.RETURN,
    Action.EXCHANGE_APPROVE: MoneyRule.EXCHANGE,
}
_NOT_SHIPPED = frozenset({Status.PAID, Status.PREPARING, Status.DELAYED})
_MONEY_EFFECTS = frozenset({EffectKind.REFUND, EffectKind.CHARGE_EXTRA, EffectKind.REFUND_POINTS})
# imweb reason codes of the buyer's fault: the buyer pays shipping (marketplaces.md §2)
_BUYER_FAULT = frozenset(
    {ImwebReasonCode.INTENT_CHANGED, ImwebReasonCode.COLOR_AND_SIZE, ImwebReasonCode.WRONG_ORDER}
)


def check(
    order_product: OrderProduct, action: Action | str, actor: Actor | str, /, **params: object
) -> Decision:
    """May *actor* do *action* on *order_product* now, with these parameters? Never mutates.

    Returns a :class:`Decision`; refusals are values, not exceptions. Raises only for input that
    is not a question at all: an unknown action or actor string, a parameter the action does not
    take, an order product in a state its marketplace's rules cannot produce.
    """
    op = order_product_arg(order_product)
    return _decide(op, _action(action), _actor(actor), params)[0]


def quote(
    order_product: OrderProduct, action: Action | str, actor: Actor | str, /, **params: object
) -> Quote | None:
    """What *action* would refund or charge, part by part, without acting (the preview a buyer
    or an operator sees before confirming). None when the action moves no money.

    Raises :class:`ActionRefusedError` (carrying the decision, with its reasons) when the action
    is refused: a refused action has no quote.
    """
    decision = check(order_product, action, actor, **params)
    if not decision.allowed:
        raise ActionRefusedError(decision)
    return decision.quote


def apply(
    order_product: OrderProduct,
    action: Action | str,
    actor: Actor | str,
    /,
    *,
    expected_version: int | None = None,
    claim_id: str | None = None,
    at: dt.datetime | None = None,
    **params: object,
) -> Applied:
    """Decide, and if allowed return the order product after *action* with its history event.

    *expected_version*, when given, must equal ``order_product.version`` (optimistic concurrency).
    *claim_id* names a claim the action opens (a marketplace's claim id, unique on the order
    product); by default it is ``"{order product id}-C{n}"``. *at* (an aware datetime) is when the
    action happens: it stamps the event, ``delivered_at`` on ``order.deliver`` and the
    ``requested_at`` of a claim the action opens (default: :func:`claimflow.decide_as_of`'s moment,
    else now, UTC).

    Raises :class:`ActionRefusedError` (carrying the Decision) when refused and
    :class:`StaleVersionError` for a stale version; the given order product is never changed.
    A malformed argument (not an order product, a version that is no int, a naive or non-datetime
    *at*, a claim id already used) raises :class:`InvalidInputError` naming it.
    """
    order_product = order_product_arg(order_product)
    if expected_version is not None:
        expected_version = version_arg(expected_version)
    if claim_id is not None:
        claim_id = claim_id_arg(order_product, claim_id)
    at = _time.decision_now(dt.UTC) if at is None else aware(at, "at")  # D1–D5 remember it
    if expected_version is not None and expected_version != order_product.version:
        msg = (
            f"order product {order_product.id!r} is at version {order_product.version}, "
            f"not the expected {expected_version}: re-read it and decide again"
        )
        raise StaleVersionError(msg, expected=expected_version, actual=order_product.version)
    decision, step = _decide(order_product, _action(action), _actor(actor), params)
    if step is None:
        raise ActionRefusedError(decision)
    units = dict(decision.params).get("quantity", order_product.quantity)
    assert isinstance(units, int)
    if units < order_product.quantity:
        return _split(order_product, step, decision, claim_id, at, units)
    return _applied(order_product, step, decision, claim_id, at)


def _applied(  # noqa: PLR0917 - private; the pieces apply already holds
    op: OrderProduct,
    step: Step,
    decision: Decision,
    claim_id: str | None,
    at: dt.datetime,
    split_with: str | None = None,
) -> Applied:
    new, claim, before = _commit(op, step, decision, claim_id)
    new = _time.stamped(op, new, decision.action, at, decision.params)
    event = HistoryEvent(
        order_product_id=op.id,
        version=new.version,
        marketplace=op.marketplace,
        action=decision.action,
        actor=decision.actor,
        rule_id=step.rule.id,
        from_status=op.status,
        to_status=new.status,
        claim_id=claim.id if claim else None,
        claim_type=claim.type if claim else None,
        claim_status_before=before,
        claim_status_after=claim.status if claim else None,
        effects=decision.effects,
        params=decision.params,
        at=at,
        split_with=split_with,
    )
    return Applied(new, event, decision)


def _split(  # noqa: PLR0917 - private; the pieces apply already holds
    op: OrderProduct,
    step: Step,
    decision: Decision,
    claim_id: str | None,
    at: dt.datetime,
    units: int,
) -> Applied:
    """Q1: the claimed *units* become their own line, the action applied to it; the rest keeps
    its status, one version on. The new line's id is ``"{id}#{version}"`` with the version the
    rest reaches (unique, and the same for the same history)."""
    part_money, rest_money = (
        (None, None) if op.money is None else op.money.split(units, op.quantity)
    )
    rest = attrs.evolve(op, quantity=op.quantity - units, money=rest_money, version=op.version + 1)
    part = attrs.evolve(
        op, id=f"{op.id}#{rest.version}", quantity=units, money=part_money, version=0
    )
    claimed = _applied(part, step, decision, claim_id, at, split_with=op.id)
    event = HistoryEvent(
        order_product_id=op.id,
        version=rest.version,
        marketplace=op.marketplace,
        action=decision.action,
        actor=decision.actor,
        rule_id="Q1",
        from_status=op.status,
        to_status=op.status,
        claim_id=None,
        claim_type=None,
        claim_status_before=None,
        claim_status_after=None,
        effects=(),
        params=decision.params,
        at=at,
        split_with=part.id,
    )
    return Applied(rest, event, decision, split_off=claimed)


def allowed_actions(order_product: OrderProduct, actor: Actor | str) -> tuple[Action, ...]:
    """The actions *actor* may take now, parameters aside (a form supplies those).

    In vocabulary order. Use :func:`check` with the parameters before acting.
    """
    order_product = order_product_arg(order_product)
    actor = _actor(actor)
    c = COMPILED[order_product.marketplace]
    entry = c.by_state_actor.get((state_key(order_product), actor))
    if entry is None:
        _known_key(order_product)  # raises: a state the rules cannot produce
        return ()
    return tuple(
        a
        for a, steps in entry
        if steps is None or any(all(g.test(order_product) for g in s.guards) for s in steps)
    )


def refused_actions(
    order_product: OrderProduct, actor: Actor | str
) -> Mapping[Action, tuple[Reason, ...]]:
    """Every other action the marketplace offers, with why *actor* may not take it now.

    For a UI that greys buttons out with a tooltip; parameters aside, as for
    :func:`allowed_actions`.
    """
    order_product = order_product_arg(order_product)
    actor = _actor(actor)
    allowed = set(allowed_actions(order_product, actor))
    c = COMPILED[order_product.marketplace]
    out: dict[Action, tuple[Reason, ...]] = {}
    for action in Action:
        if action in c.offered and action not in allowed:
            out[action] = _decide(order_product, action, actor, {}, check_params=False)[0].reasons
    return out


def example_params(order_product: OrderProduct, action: Action | str) -> dict[str, Any]:
    """Valid values for every parameter *action* requires on this order product's marketplace.

    For walks, traces and generated examples; a real caller passes its own values.
    """
    order_product = order_product_arg(order_product)
    specs = COMPILED[order_product.marketplace].param_specs.get(_action(action), ())
    return {s.name: _params.example(s, order_product) for s in specs if s.required}


# --- deciding ---------------------------------------------------------------------------------


def _action(action: Action | str) -> Action:
    return action if isinstance(action, Action) else parse_enum(Action, action, "action")


def _actor(actor: Actor | str) -> Actor:
    return actor if isinstance(actor, Actor) else parse_enum(Actor, actor, "actor")


def _known_key(op: OrderProduct) -> StateKey:
    key = state_key(op)
    if key not in COMPILED[op.marketplace].states:
        msg = (
            f"order product {op.id!r}: {state_name(key)} cannot arise under "
            f"{op.marketplace} rules (status {op.status} with open claim "
            f"{'none' if op.open_claim is None else op.open_claim.type}); check status and "
            "open_claim"
        )
        raise InconsistentStateError(msg, field="status")
    return key


def _decide(
    op: OrderProduct,
    action: Action,
    actor: Actor,
    params: Mapping[str, object],
    *,
    check_params: bool = True,
) -> tuple[Decision, Step | None]:
    c = COMPILED[op.marketplace]
    if params and check_params:
        _reject_unknown_params(c, action, params)
    key = state_key(op)
    steps = c.table.get((key, action))
    if steps is None:
        why = _why_not(
            op.marketplace, _known_key(op), action, actor, op.auto_refundable, op.payment_channel
        )
        return _refused(op, action, actor, why), None
    reasons: list[Reason] = []
    for step in steps:  # as transitions does: the first transition whose conditions pass wins
        rule = step.rule
        if actor not in step.actors:
            reasons.append(_actor_reason(rule, step.actors, actor))
            continue
        failed = (
            [
                Reason(g.code, g.message_ko, g.message_en, *step.rule_ref)
                for g in step.guards
                if not g.test(op)
            ]
            if step.guards
            else ()
        )
        if check_params and step.params:
            values, problems = _params.validate(
                step.params, params, op, action, step.rule_ref, known=step.param_names
            )
        else:
            # no parameters to check (names were checked on entry), or a caller asking without
            values, problems = (), ()
        if failed or problems:
            reasons += failed
            reasons += problems
            continue
        if check_params and values:
            why = _partial_or_overpaid(op, values)
            if why:
                return _refused(op, action, actor, why), None
        return _allowed(op, action, actor, step, values), step
    return _refused(op, action, actor, tuple(dict.fromkeys(reasons))), None


def _partial_or_overpaid(op: OrderProduct, values: Params) -> tuple[Reason, ...]:
    """Refusals that need more than one parameter at a time: a partial quantity where the
    marketplace takes whole lines (Q1-Q3), and money beyond what was paid or used (M8)."""
    v = dict(values)
    units = v.get("quantity")
    guide = GUIDES[op.marketplace]
    if (
        isinstance(units, int)
        and units < op.quantity
        and not (guide.partial_by_order and op.partial_claims)
    ):
        q = guide.partial
        return (
            Reason(
                PARTIAL_QUANTITY,
                f"수량 {units}개만 클레임할 수 없습니다: {q.message_ko} [{q.rule_id}]",
                f"a claim of {units} of {op.quantity} units is refused: {q.message_en} "
                f"[{q.rule_id}]",
                q.rule_id,
                q.source,
                q.tag,
                field="quantity",
            ),
        )
    out: list[Reason] = []
    stated = v.get("refund_amount")
    if isinstance(stated, int):
        paid = _part_paid(op, units)
        if stated > paid:
            out.append(_m8("refund_amount", stated, f"결제 금액({paid:,}원)", f"paid ({paid} won)"))
    points = v.get("refund_points")
    if isinstance(points, int) and op.money is not None and points > op.money.points_used:
        used = op.money.points_used
        out.append(
            _m8("refund_points", points, f"사용 포인트({used:,})", f"the points used ({used})")
        )
    return tuple(out)


def _part_paid(op: OrderProduct, units: object) -> int:
    """What the buyer paid for *units* of the line (all of it when None)."""
    if not isinstance(units, int) or units >= op.quantity:
        return op.paid
    if op.money is None:
        return op.unit_price * units
    part, _ = op.money.split(units, op.quantity)
    return part.paid(op.unit_price, units)


def _m8(field: str, value: int, ko: str, en: str) -> Reason:
    return Reason(
        INVALID,
        f"{field} {value:,}: {ko}보다 많이 돌려줄 수 없습니다 [M8]",
        f"parameter {field!r} {value} exceeds {en} [M8]",
        "M8",
        SRC_RULES,
        Tag.DECIDED,
        field=field,
    )


def _refused(
    op: OrderProduct, action: Action, actor: Actor, reasons: tuple[Reason, ...]
) -> Decision:
    return Decision(False, op.marketplace, action, actor, op.status, reasons)


def _allowed(
    op: OrderProduct, action: Action, actor: Actor, step: Step, values: Params
) -> Decision:
    rule = step.rule
    dest = step.dest
    reasons = step.allowed_because
    q: Quote | None = None
    effects: tuple[Effect, ...] = ()
    if rule.effects:
        if not _MONEY_EFFECTS.isdisjoint(rule.effects):
            q = _quote(op, action, values)
            if q.difference:
                reasons += (_differs(q),)
        effects = _effects(rule, op, values, q)
    return Decision(
        True,
        op.marketplace,
        action,
        actor,
        op.status,
        reasons,
        to_status=dest[0],
        claim_type=step.claim.type,
        claim_status=step.claim.status,
        effects=effects,
        rule_id=rule.id,
        params=values,
        quote=q,
    )


def _quote(op: OrderProduct, action: Action, values: Params) -> Quote:
    """The quote of an allowed money-moving action (rules.md M1-M7)."""
    v = dict(values)
    claim = op.open_claim
    if claim is not None and action is Action.CANCEL_RETRY_REFUND:
        v = dict(claim.params) | v  # I4 refunds what I3 decided (its extra charge and points)
    rule = MONEY_RULES.get(action, MoneyRule.CANCEL)
    delivery = claim.delivery if claim is not None else None
    if action is Action.CANCEL_BY_SELLER:
        payer = v.get("fee_payer")  # T5 deliveryPenaltyCharger
        delivery = None if payer is None else ClaimDelivery(FeePayer(str(payer)))
        if op.status not in _NOT_SHIPPED:
            rule = MoneyRule.RETURN
    units = v.get("quantity", op.quantity)
    assert isinstance(units, int)
    money = op.money
    if units < op.quantity and money is not None:
        money, _ = money.split(units, op.quantity)  # Q1: the claimed units' own share (M2)
    extra_charge, refund_points = v.get("extra_charge", 0), v.get("refund_points")
    stated_refund, stated_extra = v.get("refund_amount"), v.get("extra_payment")
    assert isinstance(extra_charge, int)
    assert refund_points is None or isinstance(refund_points, int)
    assert stated_refund is None or isinstance(stated_refund, int)
    assert stated_extra is None or isinstance(stated_extra, int)
    return quote_money(
        rule,
        op.unit_price,
        units,
        money,
        delivery,
        extra_charge,
        refund_points,
        stated_refund,
        stated_extra,
    )


def _differs(q: Quote) -> Reason:
    """M7: the marketplace's figure is what is refunded; the difference is said, not hidden."""
    mine = q.computed_refund - q.computed_extra_payment
    return Reason(
        "MARKETPLACE_FIGURE_DIFFERS",
        f"마켓 금액({q.stated_by})이 claimflow 견적({mine:,}원)과 {q.difference:+,}원 다릅니다. "
        "마켓 금액대로 처리합니다",
        f"the marketplace's figure ({q.stated_by}) differs from claimflow's quote ({mine} won) "
        f"by {q.difference:+} won; the marketplace's figure is used",
        "M7",
        SRC_RULES,
        Tag.DECIDED,
    )


def _effects(rule: Rule, op: OrderProduct, values: Params, q: Quote | None) -> tuple[Effect, ...]:
    v = dict(values)
    out: list[Effect] = []
    for kind in rule.effects:
        if kind is EffectKind.REFUND:
            assert q is not None
            if q.extra_payment:
                # M6: what deductions leave unpaid is charged (x2bee's 추가 결제)
                out.append(Effect(EffectKind.CHARGE_EXTRA, amount=q.extra_payment, quote=q))
            else:
                out.append(Effect(kind, amount=q.refund, quote=q))
            if (
                q.points_refunded
                and EffectKind.REFUND_POINTS not in rule.effects
                and rule.action is not Action.CANCEL_RETRY_REFUND  # I3 gave the points back
            ):
                # M3/M4: used points go back as points, on every marketplace
                out.append(Effect(EffectKind.REFUND_POINTS, amount=q.points_refunded, quote=q))
        elif kind is EffectKind.CHARGE_EXTRA:
            assert q is not None
            if q.extra_payment and EffectKind.REFUND not in rule.effects:  # M5
                out.append(Effect(kind, amount=q.extra_payment, quote=q))
        elif kind is EffectKind.REFUND_POINTS:
            assert q is not None
            if q.points_refunded:
                out.append(Effect(kind, amount=q.points_refunded, quote=q))
        elif kind is EffectKind.REGISTER_DELIVERY:
            carrier, tracking = v["carrier"], v["tracking_number"]
            assert isinstance(carrier, str) and isinstance(tracking, str)
            out.append(Effect(kind, carrier=carrier, tracking_number=tracking))
        elif kind is EffectKind.RESTORE_STOCK:
            if v.get("exchange_mid_return"):
                continue  # X3: a return made during an exchange (exchMidRtnYn) restores no stock
            units = v.get("quantity", op.quantity)
            assert isinstance(units, int)
            out.append(Effect(kind, restore=Restore(item_id=op.item_id, quantity=units)))
        elif kind is EffectKind.RESTORE_COUPONS:
            ids = op.money.coupon_ids if op.money is not None else ()
            out.append(Effect(kind, restore=Restore(coupon_ids=ids)))
        else:
            out.append(Effect(kind))
    return tuple(out)


def _reject_unknown_params(c: Compiled, action: Action, params: Mapping[str, object]) -> None:
    """A typo in a parameter name is an error even when the state refuses the action anyway.

    An action the marketplace does not offer takes nothing; its NOT_OFFERED refusal says more.
    """
    names = c.param_names.get(action)
    if names is None or names.issuperset(params):
        return
    extra = sorted(set(params) - names)
    takes = ", ".join(sorted(names)) or "no parameters"
    msg = f"{action} does not take {', '.join(map(repr, extra))}; it takes {takes}"
    raise UnknownParameterError(msg, field=extra[0])


@lru_cache(maxsize=4096)
def _why_not(  # noqa: PLR0917 - positional so that lru_cache keys stay cheap
    mp: Marketplace,
    key: StateKey,
    action: Action,
    actor: Actor,
    auto_refundable: bool,
    channel: PaymentChannel,
) -> tuple[Reason, ...]:
    """Why no transition for *action* leaves state *key*: the slow path, cached per state."""
    c = COMPILED[mp]
    offered = {s.rule for steps in c.table.values() for s in steps if s.rule.action is action}
    rules = [r for r in rules_for(mp) if r in offered]  # in table order
    if not rules:
        return (
            Reason(
                NOT_OFFERED,
                f"{mp.label}에는 '{action.label}'({action}) 기능이 없습니다",
                f"{mp} does not offer {action}",
            ),
        )
    status, ctype, cstatus, _, held = key
    ids = ", ".join(dict.fromkeys(r.id for r in rules))
    sources = ", ".join(dict.fromkeys(r.source for r in rules))
    tags = {r.tag for r in rules}
    # rules of mixed tags (F4 documented + F4 decided): the answer rests on a decision too
    tag = tags.pop() if len(tags) == 1 else Tag.DECIDED
    probe = OrderProduct(
        "-",
        mp,
        status,
        "-",
        0,
        auto_refundable=auto_refundable,
        payment_channel=channel,
        open_claim=None if ctype is None else Claim("-", ctype, cstatus, key[3], held_from=held),
    )
    alternatives = allowed_actions(probe, actor)
    alt_ko = alt_en = ""
    if alternatives:
        listed = ", ".join(a.value for a in alternatives)
        alt_ko = f" 지금 가능한 작업: {listed}"
        alt_en = f" Allowed now: {listed}."

    def reason(code: str, ko: str, en: str) -> tuple[Reason, ...]:
        return (Reason(code, ko + alt_ko, en + alt_en, ids, sources, tag),)

    if status.terminal:
        return reason(
            TERMINAL,
            attach(f"{status.label}({status})", "은/는")
            + " 종료 상태라 더 이상 처리할 수 없습니다.",
            f"{status} is terminal: no action is possible.",
        )
    if cstatus is ClaimStatus.HELD:
        return reason(
            CLAIM_HELD,
            f"{ctype.label if ctype else ''} 클레임이 보류 중입니다. 먼저 보류를 해제하세요.",
            f"the open {ctype} claim is on hold: release it first.",
        )
    if not any(actor in r.actors for r in rules):
        # never this actor's action, in any state: that is the reason, not the status
        actors = frozenset(a for r in rules for a in r.actors)
        first = _actor_reason(rules[0], actors, actor)
        return (attrs.evolve(first, rule_id=ids, source=sources, tag=tag),)
    status_ok = [r for r in rules if r.statuses is None or status in r.statuses]
    if status_ok:
        want_ko, want_en = status_ok[0].claim.describe()
        if ctype is None:
            code = NO_OPEN_CLAIM
            have_ko, have_en = "진행 중인 클레임이 없습니다", "there is none"
        elif not any(r.claim.types for r in status_ok) or all(
            ctype not in r.claim.types for r in status_ok
        ):
            code = CLAIM_OPEN
            cs_ko = cstatus.label if cstatus else ""
            have_ko = f"진행 중인 {ctype.label}({cs_ko}) 클레임이 있습니다"
            have_en = f"an open {ctype} claim ({cstatus}) is in the way"
        else:
            code = WRONG_CLAIM_STATUS
            have_ko = f"현재 {ctype.label} 클레임은 {cstatus.label if cstatus else ''} 상태입니다"
            have_en = f"the open {ctype} claim is {cstatus}"
        return reason(
            code,
            f"{action}({action.label})의 조건은 '{want_ko}'인데 {have_ko}.",
            f"{action} needs {want_en}, but {have_en}.",
        )
    mine = [r for r in rules if actor in r.actors] or rules
    allowed_in = [s for s in Status if any(r.statuses and s in r.statuses for r in mine)]
    who = "/".join(sorted({a.value for r in mine for a in r.actors}))
    who_ko = "/".join(sorted({a.label for r in mine for a in r.actors}))
    return reason(
        WRONG_STATUS,
        f"{attach(who_ko, '은/는')} {', '.join(s.label for s in allowed_in)} 상태에서만 "
        f"{action.label}할 수 "
        f"있습니다. 이 주문상품은 {status.label}입니다.",
        f"{who} may {action} only in {', '.join(s.value for s in allowed_in)}; "
        f"this order product is {status}.",
    )


def _actor_reason(rule: Rule, actors: frozenset[Actor], actor: Actor) -> Reason:
    who = "/".join(sorted(a.value for a in actors))
    who_ko = "/".join(sorted(a.label for a in actors))
    return Reason(
        ACTOR_NOT_ALLOWED,
        f"{attach(rule.action.label, '은/는')} {who_ko}만 할 수 있습니다({actor.label} 불가)",
        f"{rule.action} is done by {who}, not {actor}",
        rule.id,
        rule.source,
        rule.tag,
    )


# --- committing -------------------------------------------------------------------------------


def _claim_delivery(values: Params) -> ClaimDelivery | None:
    """Who bears a new claim's delivery cost: the request's fee_payer (Toss, x2bee), or the
    fault class of imweb's reason code (INTENT_CHANGED, COLOR_AND_SIZE, WRONG_ORDER: the buyer)."""
    v = dict(values)
    payer = v.get("fee_payer")
    if payer is not None:
        return ClaimDelivery(FeePayer(str(payer)))
    code = v.get("reason_code")
    if code is not None:
        buyer = code in _BUYER_FAULT
        return ClaimDelivery(FeePayer.USER if buyer else FeePayer.MERCHANT)
    return None


def _commit(
    op: OrderProduct, step: Step, decision: Decision, claim_id: str | None
) -> tuple[OrderProduct, Claim | None, ClaimStatus | None]:
    """The order product after *step*; the claim concerned and its status before."""
    rule, dest = step.rule, step.dest
    status, ctype, cstatus, origin, held = dest
    old = op.open_claim
    closed = op.closed_claims
    values = decision.params
    reason = dict(values).get("reason")
    reason_s = reason if isinstance(reason, str) else None
    new_id = claim_id or f"{op.id}-C{len(closed) + (old is not None) + 1}"
    o = rule.outcome
    claim: Claim | None
    open_claim: Claim | None
    after = step.claim  # the one reading of the rule's outcome for the claim (_machine)
    if after.type is None:
        claim = open_claim = None
    elif after.closed:  # closed now, or recorded closed at once (x2bee's storefront cancel)
        assert after.status is not None
        if old is not None:
            claim = attrs.evolve(old, status=after.status, held_from=None)
        else:
            claim = Claim(new_id, after.type, after.status, op.status, reason_s, values)
        closed = (*closed, claim)
        open_claim = None
    elif o in (Outcome.CREATE, Outcome.CONVERT):
        assert ctype is not None and cstatus is not None and origin is not None
        delivery = _claim_delivery(values)
        if o is Outcome.CONVERT:
            assert old is not None and rule.claim_status is not None
            closed = (*closed, attrs.evolve(old, status=rule.claim_status))
            delivery = old.delivery  # I8: the exchange keeps the return's delivery facts
        claim = open_claim = Claim(new_id, ctype, cstatus, origin, reason_s, values)
        if delivery is not None:
            claim = open_claim = attrs.evolve(claim, delivery=delivery)
    else:  # MOVE, HOLD, RELEASE, RETARGET_ORIGIN: the open claim takes the destination's fields
        assert old is not None and cstatus is not None and origin is not None
        claim = open_claim = attrs.evolve(old, status=cstatus, origin_status=origin, held_from=held)
        if decision.quote is not None and values:
            # a refund under way (imweb I3): its retry (I4) refunds what was decided here
            merged = dict(old.params) | dict(values)
            claim = open_claim = attrs.evolve(claim, params=tuple(merged.items()))
    changes: dict[str, object] = {}
    if rule.changes_item:
        item = dict(values)["new_item"]
        assert isinstance(item, CandidateItem)
        changes = {"item_id": item.item_id, "unit_price": item.unit_price}
    new = attrs.evolve(
        op,
        status=status,
        open_claim=open_claim,
        closed_claims=list(closed),
        version=op.version + 1,
        **changes,  # type: ignore[arg-type]
    )
    return (
        new,
        claim,
        (old.status if old is not None and claim is not None and claim.id == old.id else None),
    )
