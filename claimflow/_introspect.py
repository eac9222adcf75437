"""Read-only views of the rules and machines, for docs, diagrams and tests."""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from transitions import Machine

from ._guides import GUIDES
from ._machine import COMPILED, iter_states, state_name
from ._rules import Target, rules_for
from ._values import Claim
from ._vocab import Action, Actor, ClaimStatus, ClaimType, EffectKind, Marketplace, Status, Tag

__all__ = [
    "MoneyRuleInfo",
    "RuleInfo",
    "machines",
    "money_rules",
    "reachable_states",
    "return_shipping_ko",
    "rules",
]


@attrs.frozen
class RuleInfo:
    """One rule as operators read it (a row of a generated transition table)."""

    id: str
    marketplace: Marketplace
    action: Action
    actors: tuple[Actor, ...]
    from_statuses: tuple[Status, ...] | None  # None: whatever status the open claim is in
    claim_condition: str  # e.g. "an open RETURN claim in REQUESTED", "no open claim"
    claim_condition_ko: str  # the same in Korean
    to_status: Status | None  # None when ``to`` is relative (see to)
    to: str  # a status id, "same" or "origin"
    claim_type: ClaimType | None
    claim_status: ClaimStatus | None
    outcome: str
    required_params: tuple[str, ...]
    optional_params: tuple[str, ...]
    guards: tuple[str, ...]
    effects: tuple[EffectKind, ...]
    tag: Tag
    source: str
    note: str
    penalty_points: int = 0  # what the marketplace imposes on the shop (Toss T5: 3, client)


def rules(marketplace: Marketplace | str | None = None) -> tuple[RuleInfo, ...]:
    """The rules of one marketplace, or of all, in table order."""
    mps = list(Marketplace) if marketplace is None else [Marketplace(marketplace)]
    out = []
    for mp in mps:
        for r in rules_for(mp):
            out.append(
                RuleInfo(
                    id=r.id,
                    marketplace=mp,
                    action=r.action,
                    actors=tuple(a for a in Actor if a in r.actors),
                    from_statuses=None
                    if r.statuses is None
                    else tuple(s for s in Status if s in r.statuses),
                    claim_condition=r.claim.describe()[1],
                    claim_condition_ko=r.claim.describe()[0],
                    to_status=None if isinstance(r.to, Target) else r.to,
                    to=r.to.value,
                    claim_type=r.claim_type,
                    claim_status=r.claim_status,
                    outcome=r.outcome.value,
                    required_params=tuple(p.name for p in r.params if p.required),
                    optional_params=tuple(p.name for p in r.params if not p.required),
                    guards=tuple(g.code for g in r.guards),
                    effects=r.effects,
                    tag=r.tag,
                    source=r.source,
                    note=r.note,
                    penalty_points=r.penalty_points,
                )
            )
    return tuple(out)


def machines(marketplace: Marketplace | str) -> Mapping[str, Machine]:
    """The ``transitions`` machines of a marketplace, by definition (``order``, ``cancel``, ...).

    They are the source of truth the engine's table is compiled from. Attach no models to them:
    drive one with ``machine.events[action].trigger(model, op=..., actor=..., params={...})``
    on any object whose ``state`` is a state name.
    """
    return COMPILED[Marketplace(marketplace)].machines


def reachable_states(
    marketplace: Marketplace | str,
) -> tuple[tuple[Status, Claim | None, str], ...]:
    """Every state an order product of this marketplace can be in: (status, open claim, name).

    The open claim is a template (id ``"-"``): its type, status, origin and ``held_from``.
    """
    out = []
    for key in iter_states(Marketplace(marketplace)):
        status, ctype, cstatus, origin, held = key
        claim = (
            None
            if ctype is None or cstatus is None or origin is None
            else Claim("-", ctype, cstatus, origin, held_from=held)
        )
        out.append((status, claim, state_name(key)))
    return tuple(out)


@attrs.frozen
class MoneyRuleInfo:
    """One row of rules.md's money table (M1-M8), for docs and the ops guide."""

    id: str
    tags: tuple[Tag, ...]  # M4 and M6 rest on documented fields and on a decision
    summary_en: str
    summary_ko: str
    actions: tuple[Action, ...]  # the actions whose quote follows this rule (none: all of them)


_MONEY_ROWS = (
    MoneyRuleInfo(
        "M1",
        (Tag.DOCUMENTED,),
        "paid = sale price x quantity - discounts - points + delivery fee share",
        "결제 금액 = 판매가 x 수량 - 할인 - 사용 포인트 + 배송비 몫",
        (),
    ),
    MoneyRuleInfo(
        "M2",
        (Tag.DECIDED,),
        "part of a line is quoted pro rata; won that do not divide go by largest remainder",
        "일부 수량은 비례로 나누고, 나누어떨어지지 않는 원은 큰 나머지 순으로 배정합니다",
        (),
    ),
    MoneyRuleInfo(
        "M3",
        (Tag.DECIDED,),
        "cancel before shipment: the paid amount, the delivery fee, used points as points",
        "발송 전 취소: 결제 금액과 배송비를 환불하고, 사용 포인트는 포인트로 돌려줍니다",
        (Action.CANCEL_REQUEST, Action.CANCEL_APPROVE, Action.CANCEL_RETRY_REFUND),
    ),
    MoneyRuleInfo(
        "M4",
        (Tag.DOCUMENTED, Tag.DECIDED),
        "return: the paid amount without the first delivery; the buyer's return shipping is "
        "deducted (one way if the buyer paid the delivery, round trip if it was free)",
        "반품: 첫 배송비를 뺀 결제 금액을 환불합니다. 구매자 부담이면 반품 배송비를 차감합니다"
        "(첫 배송비를 냈으면 편도, 무료배송이었으면 왕복)",
        (Action.RETURN_COMPLETE, Action.CANCEL_BY_SELLER),
    ),
    MoneyRuleInfo(
        "M5",
        (Tag.DECIDED,),
        "exchange: no refund; the buyer's round trip is charged",
        "교환: 환불하지 않고, 구매자 부담이면 왕복 배송비를 추가 청구합니다",
        (Action.EXCHANGE_APPROVE,),
    ),
    MoneyRuleInfo(
        "M6",
        (Tag.DOCUMENTED, Tag.DECIDED),
        "the seller's extra charge is deducted; what the refund cannot cover is charged",
        "판매자의 추가 청구액은 환불액에서 빼고, 모자라는 금액은 추가 청구합니다",
        (),
    ),
    MoneyRuleInfo(
        "M7",
        (Tag.DECIDED,),
        "a marketplace's own figure is what is refunded; a difference is reported",
        "마켓이 알려 준 금액대로 처리하고, claimflow 견적과 다르면 그 차이를 알립니다",
        (),
    ),
    MoneyRuleInfo(
        "M8",
        (Tag.DECIDED,),
        "never more money than paid, never more points than used; a unit is refunded once",
        "결제 금액보다 많이, 사용 포인트보다 많이 돌려주지 않으며 같은 수량은 한 번만 환불합니다",
        (),
    ),
)


def money_rules() -> tuple[MoneyRuleInfo, ...]:
    """The money rules M1-M8 (rules.md), in order."""
    return _MONEY_ROWS


def return_shipping_ko(marketplace: Marketplace | str) -> str:
    """Who pays the return shipping on *marketplace*, and how much is deducted, in Korean."""
    return GUIDES[Marketplace(marketplace)].return_shipping_ko
