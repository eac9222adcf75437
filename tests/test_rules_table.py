"""Every row of every table in ``shared/spec/rules.md``, through the public API.

Each row is reached by walking allowed actions with :func:`claimflow.apply` from a fresh order
product at ``PAID`` (the walk itself proves the path is allowed), then checked and applied. Row ids
(F1-F5, T1-T21, I1-I16, X1-X3) are the pytest ids, suffixed where a row has several cases.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest

import claimflow as cf
from claimflow._vocab import SEOUL

A, S, CT, CS, EK, Tag = cf.Action, cf.Status, cf.ClaimType, cf.ClaimStatus, cf.EffectKind, cf.Tag
TOSS, IMWEB, X2BEE = "toss", "imweb", "x2bee"
BUYER, SELLER, SYSTEM = "BUYER", "SELLER", "SYSTEM"

# Where rules come from: the seed documents in shared/seeds/ and the specs.
SRC_TOSS_CANCEL = "000_b8ffbd5e3cd8d420.txt"
SRC_TOSS_RETURN = "001_bfb9ffe909c38c72.txt"
SRC_X2BEE = "002_8a63ed91a20c054f.txt"
SRC_TOSS_EXCHANGE = "003_7140c7cc6d3a31ab.txt"
SRC_IMWEB_RETURN = "004_3422198187a96187.txt"
SRC_MARKETPLACES = "spec/marketplaces.md"
SRC_RULES = "spec/rules.md"

UNIT_PRICE, QUANTITY = 12_000, 2
AMOUNT = UNIT_PRICE * QUANTITY
DEADLINE = dt.datetime.now(SEOUL).date() + dt.timedelta(days=3)

DELIVERY = {"carrier": "CJ대한통운", "tracking_number": "6012-3456-7890"}
NEW_INVOICE = {"carrier": "롯데택배", "tracking_number": "2400-1234-5678"}
REASON = {"reason": "단순 변심"}
SELLER_CANCEL = {"fee_payer": "USER", "reason": "재고 소진"}

REFUND = cf.Effect(EK.REFUND, amount=AMOUNT)
REGISTER = cf.Effect(EK.REGISTER_DELIVERY, carrier="CJ대한통운", tracking_number="6012-3456-7890")
REGISTER_NEW = cf.Effect(EK.REGISTER_DELIVERY, carrier="롯데택배", tracking_number="2400-1234-5678")
RESTORE = (
    cf.Effect(EK.RESTORE_COUPONS, restore=cf.Restore()),
    cf.Effect(EK.RESTORE_STOCK, restore=cf.Restore(item_id="ITEM-A", quantity=QUANTITY)),
)
NOTIFY = cf.Effect(EK.NOTIFY_BUYER)

# --- walking to a state ---------------------------------------------------------------------

Step = tuple[str, str, Mapping[str, Any]]
Path = tuple[Step, ...]

PREPARE: Step = ("order.prepare", SELLER, {})
DELAY: Step = ("order.delay", SELLER, {"shipping_deadline": DEADLINE})
SHIP: Step = ("order.ship", SELLER, DELIVERY)
DELIVER: Step = ("order.deliver", SYSTEM, {})
RETURN_STAGES: dict[str, Path] = {
    "REQUESTED": (),
    "APPROVED": (("return.approve", SELLER, {}),),
    "COLLECTED": (("return.approve", SELLER, {}), ("return.collect", SELLER, {})),
}
# imweb only: return.complete leaves the claim REFUNDING until the gateway answers (I13, I14)
RETURN_STAGES["REFUNDING"] = (*RETURN_STAGES["COLLECTED"], ("return.complete", SELLER, {}))
RETURN_STAGES["REFUND_FAILED"] = (
    *RETURN_STAGES["REFUNDING"],
    ("return.refund_failed", SYSTEM, {}),
)
EXCHANGE_STAGES: dict[str, Path] = {
    "REQUESTED": (),
    "APPROVED": (("exchange.approve", SELLER, {}),),
    "COLLECTED": (("exchange.approve", SELLER, {}), ("exchange.collect", SELLER, {})),
    "REDELIVERING": (
        ("exchange.approve", SELLER, {}),
        ("exchange.collect", SELLER, {}),
        ("exchange.redeliver", SELLER, DELIVERY),
    ),
}


def request(mp: str) -> dict[str, Any]:
    """The parameters of a buyer's request: imweb wants one of its reason codes."""
    return {"reason_code": "INTENT_CHANGED"} if mp == IMWEB else dict(REASON)


def settled(mp: str, status: str) -> Path:
    """A path from PAID to *status* with no open claim."""
    paths: dict[str, Path] = {
        "PAID": (),
        "PREPARING": (PREPARE,),
        "DELAYED": (PREPARE, DELAY),
        "SHIPPING": (SHIP,),
        "DELIVERED": (SHIP, DELIVER),
    }
    if status == "EXCHANGED":
        return (*exchanging(mp, "REDELIVERING"), ("exchange.complete", SELLER, {}))
    return paths[status]


def canceling(mp: str, origin: str = "PREPARING") -> Path:
    """A path to an open CANCEL request made in *origin*."""
    return (*settled(mp, origin), ("cancel.request", BUYER, request(mp)))


def returning(mp: str, stage: str = "REQUESTED", origin: str = "DELIVERED") -> Path:
    """A path to an open RETURN claim in *stage*, requested in *origin*."""
    return (*settled(mp, origin), ("return.request", BUYER, request(mp)), *RETURN_STAGES[stage])


def exchanging(mp: str, stage: str = "REQUESTED", origin: str = "DELIVERED") -> Path:
    """A path to an open EXCHANGE claim in *stage*, requested in *origin*."""
    return (
        *settled(mp, origin),
        ("exchange.request", BUYER, request(mp)),
        *EXCHANGE_STAGES[stage],
    )


def held(mp: str, kind: str, stage: str) -> Path:
    """A path to a RETURN or EXCHANGE claim put on hold in *stage* (imweb)."""
    base = returning(mp, stage) if kind == "return" else exchanging(mp, stage)
    return (*base, (f"{kind}.hold", SELLER, {"reason": "수거 확인 중"}))


def fresh(mp: str, **fields: Any) -> cf.OrderProduct:
    """A new order product at PAID: 2 x 12,000 won, paid by card unless *fields* say otherwise."""
    values: dict[str, Any] = {
        "id": "OP-1",
        "marketplace": mp,
        "status": "PAID",
        "item_id": "ITEM-A",
        "unit_price": UNIT_PRICE,
        "quantity": QUANTITY,
    }
    return cf.OrderProduct(**(values | fields))


def walk(mp: str, path: Path, **fields: Any) -> cf.OrderProduct:
    """The order product after applying each (action, actor, params) of *path* from fresh()."""
    op = fresh(mp, **fields)
    for action, actor, params in path:
        op = cf.apply(op, action, actor, **params).order_product
    return op


def open_of(op: cf.OrderProduct) -> tuple[cf.ClaimType, cf.ClaimStatus, cf.Status] | None:
    """The open claim as (type, status, origin), or None."""
    c = op.open_claim
    return None if c is None else (c.type, c.status, c.origin_status)


def claim_of(d: cf.Decision) -> tuple[cf.ClaimType | None, cf.ClaimStatus | None] | None:
    """The claim a decision leads to as (type, status), or None."""
    if d.claim_type is None and d.claim_status is None:
        return None
    return (d.claim_type, d.claim_status)


# --- the allowed rows -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Row:
    """One allowed case of a rules.md row and what it must lead to."""

    mp: str
    path: Path
    action: str
    actor: str
    params: Mapping[str, Any]
    to_status: cf.Status
    claim: tuple[cf.ClaimType, cf.ClaimStatus] | None
    effects: tuple[cf.Effect, ...]
    rule_id: str
    tag: cf.Tag
    source: str
    open_after: tuple[cf.ClaimType, cf.ClaimStatus, cf.Status] | None
    closed_after: tuple[tuple[cf.ClaimType, cf.ClaimStatus], ...] = ()
    fields: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    codes: tuple[str, ...] = ("ALLOWED",)


def row(  # noqa: PLR0917 - one positional argument per rules.md column, as in _rules.py
    case_id: str,
    mp: str,
    path: Path,
    action: str,
    actor: str,
    params: Mapping[str, Any],
    *,
    to: cf.Status,
    claim: tuple[cf.ClaimType, cf.ClaimStatus] | None = None,
    effects: tuple[cf.Effect, ...] = (),
    rule: str,
    tag: cf.Tag = Tag.DOCUMENTED,
    source: str,
    open_after: tuple[cf.ClaimType, cf.ClaimStatus, cf.Status] | None = None,
    closed: tuple[tuple[cf.ClaimType, cf.ClaimStatus], ...] = (),
    fields: Mapping[str, Any] | None = None,
    codes: tuple[str, ...] = ("ALLOWED",),
) -> Any:
    """A pytest param for one allowed case, with *case_id* as its test id."""
    return pytest.param(
        Row(mp, path, action, actor, params, to, claim, effects, rule, tag, source, open_after,
            closed, fields or {}, codes),
        id=case_id,
    )


def _fulfilment_rows() -> list[Any]:
    rows = [
        row("F1", TOSS, (), "order.prepare", SELLER, {}, to=S.PREPARING, rule="F1",
            source=SRC_MARKETPLACES),
        row("F1-imweb", IMWEB, (), "order.prepare", SELLER, {}, to=S.PREPARING, rule="F1",
            source=SRC_MARKETPLACES),
        row("F2", TOSS, (PREPARE,), "order.delay", SELLER, {"shipping_deadline": DEADLINE},
            to=S.DELAYED, effects=(NOTIFY,), rule="F2", source=SRC_MARKETPLACES),
        row("F4", TOSS, (SHIP,), "order.deliver", SYSTEM, {}, to=S.DELIVERED, rule="F4",
            source=SRC_MARKETPLACES),
        row("F4-pending-return", TOSS, returning(TOSS, origin="SHIPPING"), "order.deliver",
            SYSTEM, {}, to=S.DELIVERED, claim=(CT.RETURN, CS.REQUESTED), rule="F4",
            tag=Tag.DECIDED, source=SRC_RULES,
            open_after=(CT.RETURN, CS.REQUESTED, S.DELIVERED)),
        row("F4-pending-exchange-imweb", IMWEB, exchanging(IMWEB, origin="SHIPPING"),
            "order.deliver", SYSTEM, {}, to=S.DELIVERED, claim=(CT.EXCHANGE, CS.REQUESTED),
            rule="F4", tag=Tag.DECIDED, source=SRC_RULES,
            open_after=(CT.EXCHANGE, CS.REQUESTED, S.DELIVERED)),
        row("F5-buyer", TOSS, settled(TOSS, "DELIVERED"), "order.confirm", BUYER, {},
            to=S.CONFIRMED, rule="F5", tag=Tag.DECIDED, source=SRC_MARKETPLACES),
        row("F5-system", TOSS, settled(TOSS, "DELIVERED"), "order.confirm", SYSTEM, {},
            to=S.CONFIRMED, rule="F5", tag=Tag.DECIDED, source=SRC_MARKETPLACES),
        row("F5-from-EXCHANGED", X2BEE, settled(X2BEE, "EXCHANGED"), "order.confirm", BUYER, {},
            to=S.CONFIRMED, rule="F5", tag=Tag.DECIDED, source=SRC_MARKETPLACES),
    ]
    for mp, status in ((TOSS, "PAID"), (TOSS, "PREPARING"), (TOSS, "DELAYED"),
                       (IMWEB, "PAID"), (IMWEB, "PREPARING"), (X2BEE, "PREPARING")):
        rows.append(row(f"F3-{mp}-from-{status}", mp, settled(mp, status), "order.ship", SELLER,
                        DELIVERY, to=S.SHIPPING, effects=(REGISTER,), rule="F3",
                        source=SRC_MARKETPLACES))
    return rows


PENALTY = ("ALLOWED", "PENALTY_POINTS")  # T5: a seller cancel costs 3 penalty points (client)


def _toss_cancel_rows() -> list[Any]:
    rows = [
        row("T1", TOSS, (), "cancel.request", BUYER, REASON, to=S.CANCELED, effects=(REFUND,),
            rule="T1", source=SRC_TOSS_CANCEL),
        row("T3", TOSS, canceling(TOSS), "cancel.approve", SELLER, {}, to=S.CANCELED,
            claim=(CT.CANCEL, CS.APPROVED), effects=(REFUND,), rule="T3", source=SRC_TOSS_CANCEL,
            closed=((CT.CANCEL, CS.APPROVED),)),
        # T3 by SYSTEM: automatic approval after 7 business days (client, marketplaces.md §5.1)
        row("T3-system", TOSS, canceling(TOSS, "DELAYED"), "cancel.approve", SYSTEM, {},
            to=S.CANCELED, claim=(CT.CANCEL, CS.APPROVED), effects=(REFUND,), rule="T3",
            tag=Tag.CLIENT, source=SRC_MARKETPLACES, closed=((CT.CANCEL, CS.APPROVED),)),
        row("T4", TOSS, canceling(TOSS, "DELAYED"), "cancel.reject", SELLER, DELIVERY,
            to=S.SHIPPING, claim=(CT.CANCEL, CS.REJECTED), effects=(REGISTER,), rule="T4",
            source=SRC_TOSS_CANCEL, closed=((CT.CANCEL, CS.REJECTED),)),
    ]
    for status in ("PREPARING", "DELAYED"):
        rows.append(row(f"T2-from-{status}", TOSS, settled(TOSS, status), "cancel.request", BUYER,
                        REASON, to=S(status), claim=(CT.CANCEL, CS.REQUESTED), rule="T2",
                        source=SRC_TOSS_CANCEL,
                        open_after=(CT.CANCEL, CS.REQUESTED, S(status))))
    for status in ("PAID", "DELAYED", "DELIVERED"):
        rows.append(row(f"T5-from-{status}-no-claim", TOSS, settled(TOSS, status),
                        "cancel.by_seller", SELLER, SELLER_CANCEL, to=S.CANCELED,
                        effects=(REFUND,), rule="T5", source=SRC_TOSS_CANCEL,
                        codes=PENALTY))
    for case_id, path, ctype in (
        ("T5-from-PREPARING-open-cancel", canceling(TOSS), CT.CANCEL),
        ("T5-from-SHIPPING-open-return", returning(TOSS, origin="SHIPPING"), CT.RETURN),
        ("T5-from-DELIVERED-open-exchange", exchanging(TOSS), CT.EXCHANGE),
        # "클레임 진행 중인 주문도 취소가 가능": also once the claim moved the line on
        ("T5-from-RETURN_COLLECTING", returning(TOSS, "APPROVED"), CT.RETURN),
        ("T5-from-RETURN_COLLECTED", returning(TOSS, "COLLECTED"), CT.RETURN),
        ("T5-from-EXCHANGE_COLLECTING", exchanging(TOSS, "APPROVED"), CT.EXCHANGE),
        ("T5-from-EXCHANGE_COLLECTED", exchanging(TOSS, "COLLECTED"), CT.EXCHANGE),
        ("T5-from-REDELIVERING", exchanging(TOSS, "REDELIVERING"), CT.EXCHANGE),
    ):
        rows.append(row(case_id, TOSS, path, "cancel.by_seller", SELLER,
                        {"fee_payer": "MERCHANT", "reason": "품절", "detail_reason": "입고 지연"},
                        to=S.CANCELED, claim=(ctype, CS.CLOSED_BY_SELLER_CANCEL),
                        effects=(REFUND,), rule="T5", source=SRC_TOSS_CANCEL,
                        closed=((ctype, CS.CLOSED_BY_SELLER_CANCEL),), codes=PENALTY))
    return rows


def _return_rows(mp: str, prefix: str, src: str) -> list[Any]:
    """T6-T12 on Toss (prefix ""), and on x2bee as X3 (prefix "X3.")."""
    complete = (REFUND, *RESTORE, NOTIFY) if mp == X2BEE else (REFUND,)
    rows = [
        row(f"{prefix}T7", mp, returning(mp), "return.withdraw", BUYER, {}, to=S.DELIVERED,
            claim=(CT.RETURN, CS.WITHDRAWN), rule=f"{prefix}T7", source=src,
            closed=((CT.RETURN, CS.WITHDRAWN),)),
        row(f"{prefix}T8", mp, returning(mp), "return.approve", SELLER, {},
            to=S.RETURN_COLLECTING, claim=(CT.RETURN, CS.APPROVED), rule=f"{prefix}T8",
            source=src, open_after=(CT.RETURN, CS.APPROVED, S.DELIVERED)),
        row(f"{prefix}T10", mp, returning(mp, "APPROVED"), "return.collect", SELLER, {},
            to=S.RETURN_COLLECTED, claim=(CT.RETURN, CS.COLLECTED), rule=f"{prefix}T10",
            source=src, open_after=(CT.RETURN, CS.COLLECTED, S.DELIVERED)),
        row(f"{prefix}T11", mp, returning(mp, "COLLECTED"), "return.complete", SELLER, {},
            to=S.RETURNED, claim=(CT.RETURN, CS.COMPLETED), effects=complete,
            rule=f"{prefix}T11", source=src, closed=((CT.RETURN, CS.COMPLETED),)),
    ]
    for origin in ("SHIPPING", "DELIVERED", "EXCHANGED"):
        rows += [
            row(f"{prefix}T6-from-{origin}", mp, settled(mp, origin), "return.request", BUYER,
                REASON, to=S(origin), claim=(CT.RETURN, CS.REQUESTED), rule=f"{prefix}T6",
                source=src, open_after=(CT.RETURN, CS.REQUESTED, S(origin))),
            row(f"{prefix}T9-origin-{origin}", mp, returning(mp, origin=origin), "return.reject",
                SELLER, {"reason": "반품 기간 경과"}, to=S(origin),
                claim=(CT.RETURN, CS.REJECTED), rule=f"{prefix}T9", source=src,
                closed=((CT.RETURN, CS.REJECTED),)),
            row(f"{prefix}T12-origin-{origin}", mp, returning(mp, "COLLECTED", origin),
                "return.reject_collected", SELLER, {"reason": "사용 흔적"}, to=S(origin),
                claim=(CT.RETURN, CS.COLLECTION_REJECTED), rule=f"{prefix}T12", source=src,
                closed=((CT.RETURN, CS.COLLECTION_REJECTED),)),
        ]
    return rows


def _exchange_rows(mp: str, prefix: str, src: str) -> list[Any]:
    """T13-T21 on Toss (prefix ""), and on x2bee as X3 (prefix "X3.")."""
    # x2bee documents no buyer withdrawal call (marketplaces.md §5.3): decided, as on Toss
    withdraw_tag, withdraw_src = Tag.DECIDED, SRC_RULES
    rows = [
        row(f"{prefix}T14", mp, exchanging(mp), "exchange.withdraw", BUYER, {}, to=S.DELIVERED,
            claim=(CT.EXCHANGE, CS.WITHDRAWN), rule=f"{prefix}T14", tag=withdraw_tag,
            source=withdraw_src, closed=((CT.EXCHANGE, CS.WITHDRAWN),)),
        row(f"{prefix}T15", mp, exchanging(mp), "exchange.approve", SELLER, {},
            to=S.EXCHANGE_COLLECTING, claim=(CT.EXCHANGE, CS.APPROVED), rule=f"{prefix}T15",
            source=src, open_after=(CT.EXCHANGE, CS.APPROVED, S.DELIVERED)),
        row(f"{prefix}T17", mp, exchanging(mp, "APPROVED"), "exchange.collect", SELLER, {},
            to=S.EXCHANGE_COLLECTED, claim=(CT.EXCHANGE, CS.COLLECTED), rule=f"{prefix}T17",
            source=src, open_after=(CT.EXCHANGE, CS.COLLECTED, S.DELIVERED)),
        row(f"{prefix}T18", mp, exchanging(mp, "COLLECTED"), "exchange.redeliver", SELLER,
            DELIVERY, to=S.REDELIVERING, claim=(CT.EXCHANGE, CS.REDELIVERING),
            effects=(REGISTER,), rule=f"{prefix}T18", source=src,
            open_after=(CT.EXCHANGE, CS.REDELIVERING, S.DELIVERED)),
        row(f"{prefix}T20", mp, exchanging(mp, "REDELIVERING"), "exchange.change_invoice",
            SELLER, NEW_INVOICE, to=S.REDELIVERING, claim=(CT.EXCHANGE, CS.REDELIVERING),
            effects=(REGISTER_NEW,), rule=f"{prefix}T20", source=src,
            open_after=(CT.EXCHANGE, CS.REDELIVERING, S.DELIVERED)),
        row(f"{prefix}T21", mp, exchanging(mp, "REDELIVERING"), "exchange.complete", SELLER, {},
            to=S.EXCHANGED, claim=(CT.EXCHANGE, CS.COMPLETED), rule=f"{prefix}T21", source=src,
            closed=((CT.EXCHANGE, CS.COMPLETED),)),
    ]
    for origin in ("SHIPPING", "DELIVERED", "EXCHANGED"):
        rows += [
            row(f"{prefix}T13-from-{origin}", mp, settled(mp, origin), "exchange.request", BUYER,
                REASON, to=S(origin), claim=(CT.EXCHANGE, CS.REQUESTED), rule=f"{prefix}T13",
                source=src, open_after=(CT.EXCHANGE, CS.REQUESTED, S(origin))),
            row(f"{prefix}T16-origin-{origin}", mp, exchanging(mp, origin=origin),
                "exchange.reject", SELLER, {"reason": "교환 불가 상품"}, to=S(origin),
                claim=(CT.EXCHANGE, CS.REJECTED), rule=f"{prefix}T16", source=src,
                closed=((CT.EXCHANGE, CS.REJECTED),)),
            row(f"{prefix}T19-origin-{origin}", mp, exchanging(mp, "COLLECTED", origin),
                "exchange.reject_collected", SELLER, {"reason": "사용 흔적"}, to=S(origin),
                claim=(CT.EXCHANGE, CS.COLLECTION_REJECTED), rule=f"{prefix}T19", source=src,
                closed=((CT.EXCHANGE, CS.COLLECTION_REJECTED),)),
        ]
    return rows


def cancel_refunding() -> Path:
    """imweb: a cancel request approved, its refund under way (I3, wire CANCELING)."""
    return (*canceling(IMWEB), ("cancel.approve", SELLER, {}))


def cancel_refund_failed() -> Path:
    """imweb: an approved cancel whose refund failed (I3a, wire CANCEL_FAILED)."""
    return (*cancel_refunding(), ("cancel.refund_failed", SYSTEM, {}))


REFUND_FAILED_CANCEL = {
    "status": "PREPARING",
    "open_claim": cf.Claim("c", "CANCEL", "REFUND_FAILED", "PREPARING"),
}
NO_AUTO_REFUND = {"auto_refundable": False}
NPAY = {"payment_channel": "npay"}
IMWEB_EXTRAS = {"extra_charge": 3_000, "refund_points": 500, "memo": "반품 배송비 차감"}
# M6: the seller's extra charge (etc_price) is deducted from the refund; CHARGE_EXTRA only for
# what the refund cannot cover
IMWEB_EXTRA_EFFECTS = (
    cf.Effect(EK.REFUND, amount=AMOUNT - 3_000),
    cf.Effect(EK.REFUND_POINTS, amount=500),
)


def _imweb_rows() -> list[Any]:
    rq = request(IMWEB)
    rows = [
        row("I1-with-text", IMWEB, (), "cancel.request", BUYER, {**rq, "reason": "단순 변심"},
            to=S.PAID, claim=(CT.CANCEL, CS.REQUESTED), rule="I1", source=SRC_MARKETPLACES,
            open_after=(CT.CANCEL, CS.REQUESTED, S.PAID)),
        row("I2", IMWEB, canceling(IMWEB), "cancel.reject", SELLER, DELIVERY, to=S.SHIPPING,
            claim=(CT.CANCEL, CS.REJECTED), effects=(REGISTER,), rule="I2",
            source=SRC_MARKETPLACES, closed=((CT.CANCEL, CS.REJECTED),)),
        row("I3", IMWEB, canceling(IMWEB), "cancel.approve", SELLER, {}, to=S.PREPARING,
            claim=(CT.CANCEL, CS.REFUNDING), effects=(REFUND,), rule="I3",
            source=SRC_MARKETPLACES, open_after=(CT.CANCEL, CS.REFUNDING, S.PREPARING)),
        row("I3-extra-charge-and-points", IMWEB, canceling(IMWEB, "PAID"), "cancel.approve",
            SELLER, IMWEB_EXTRAS, to=S.PAID, claim=(CT.CANCEL, CS.REFUNDING),
            effects=IMWEB_EXTRA_EFFECTS, rule="I3", source=SRC_MARKETPLACES,
            open_after=(CT.CANCEL, CS.REFUNDING, S.PAID)),
        row("I3a-refund-succeeded", IMWEB, cancel_refunding(), "cancel.refund_succeeded",
            SYSTEM, {}, to=S.CANCELED, claim=(CT.CANCEL, CS.COMPLETED), rule="I3a",
            source=SRC_MARKETPLACES, closed=((CT.CANCEL, CS.COMPLETED),)),
        row("I3a-refund-failed", IMWEB, cancel_refunding(), "cancel.refund_failed", SYSTEM, {},
            to=S.PREPARING, claim=(CT.CANCEL, CS.REFUND_FAILED), rule="I3a",
            source=SRC_MARKETPLACES, open_after=(CT.CANCEL, CS.REFUND_FAILED, S.PREPARING)),
        row("I4", IMWEB, (), "cancel.retry_refund", SELLER, {}, to=S.PREPARING,
            claim=(CT.CANCEL, CS.REFUNDING), effects=(REFUND,), rule="I4",
            source=SRC_MARKETPLACES, open_after=(CT.CANCEL, CS.REFUNDING, S.PREPARING),
            fields=REFUND_FAILED_CANCEL),
        row("I4-after-I3a", IMWEB, cancel_refund_failed(), "cancel.retry_refund", SELLER, {},
            to=S.PREPARING, claim=(CT.CANCEL, CS.REFUNDING), effects=(REFUND,), rule="I4",
            source=SRC_MARKETPLACES, open_after=(CT.CANCEL, CS.REFUNDING, S.PREPARING)),
        row("I5-after-I3a", IMWEB, cancel_refund_failed(), "cancel.force", SELLER, {},
            to=S.CANCELED, claim=(CT.CANCEL, CS.COMPLETED), rule="I5", source=SRC_MARKETPLACES,
            closed=((CT.CANCEL, CS.COMPLETED),)),
        row("I5-from-REQUESTED", IMWEB, canceling(IMWEB), "cancel.force", SELLER, {},
            to=S.CANCELED, claim=(CT.CANCEL, CS.COMPLETED), rule="I5", source=SRC_MARKETPLACES,
            closed=((CT.CANCEL, CS.COMPLETED),)),
        row("I5-from-REQUESTED-no-auto-refund", IMWEB, canceling(IMWEB), "cancel.force", SELLER,
            {}, to=S.CANCELED, claim=(CT.CANCEL, CS.COMPLETED), rule="I5",
            source=SRC_MARKETPLACES, closed=((CT.CANCEL, CS.COMPLETED),), fields=NO_AUTO_REFUND),
        row("I5-from-REFUND_FAILED", IMWEB, (), "cancel.force", SELLER, {}, to=S.CANCELED,
            claim=(CT.CANCEL, CS.COMPLETED), rule="I5", source=SRC_MARKETPLACES,
            closed=((CT.CANCEL, CS.COMPLETED),), fields=REFUND_FAILED_CANCEL),
        row("I9", IMWEB, returning(IMWEB), "return.approve", SELLER, {},
            to=S.RETURN_COLLECTING, claim=(CT.RETURN, CS.APPROVED), rule="I9",
            source=SRC_IMWEB_RETURN, open_after=(CT.RETURN, CS.APPROVED, S.DELIVERED)),
        row("I10", IMWEB, returning(IMWEB, "APPROVED"), "return.collect", SELLER, {},
            to=S.RETURN_COLLECTED, claim=(CT.RETURN, CS.COLLECTED), rule="I10",
            source=SRC_IMWEB_RETURN, open_after=(CT.RETURN, CS.COLLECTED, S.DELIVERED)),
        row("I13", IMWEB, returning(IMWEB, "COLLECTED"), "return.complete", SELLER, {},
            to=S.RETURN_COLLECTED, claim=(CT.RETURN, CS.REFUNDING), effects=(REFUND,),
            rule="I13", source=SRC_IMWEB_RETURN,
            open_after=(CT.RETURN, CS.REFUNDING, S.DELIVERED)),
        row("I13-extra-charge-and-points", IMWEB, returning(IMWEB, "COLLECTED"),
            "return.complete", SELLER, IMWEB_EXTRAS, to=S.RETURN_COLLECTED,
            claim=(CT.RETURN, CS.REFUNDING), effects=IMWEB_EXTRA_EFFECTS, rule="I13",
            source=SRC_IMWEB_RETURN, open_after=(CT.RETURN, CS.REFUNDING, S.DELIVERED)),
        row("I14-refund-failed", IMWEB, returning(IMWEB, "REFUNDING"), "return.refund_failed",
            SYSTEM, {}, to=S.RETURN_COLLECTED, claim=(CT.RETURN, CS.REFUND_FAILED), rule="I14",
            source=SRC_IMWEB_RETURN, open_after=(CT.RETURN, CS.REFUND_FAILED, S.DELIVERED)),
        row("I14-refund-succeeded", IMWEB, returning(IMWEB, "REFUNDING"),
            "return.refund_succeeded", SYSTEM, {}, to=S.RETURNED,
            claim=(CT.RETURN, CS.COMPLETED), rule="I14", source=SRC_IMWEB_RETURN,
            closed=((CT.RETURN, CS.COMPLETED),)),
        row("I15-from-REFUNDING", IMWEB, returning(IMWEB, "REFUNDING"), "return.force_complete",
            SELLER, {}, to=S.RETURNED, claim=(CT.RETURN, CS.COMPLETED), rule="I15",
            source=SRC_IMWEB_RETURN, closed=((CT.RETURN, CS.COMPLETED),)),
        row("I15-from-REFUND_FAILED", IMWEB, returning(IMWEB, "REFUND_FAILED"),
            "return.force_complete", SELLER, {}, to=S.RETURNED, claim=(CT.RETURN, CS.COMPLETED),
            rule="I15", source=SRC_IMWEB_RETURN, closed=((CT.RETURN, CS.COMPLETED),)),
        row("I15-from-RETURN_COLLECTED-no-auto-refund", IMWEB, returning(IMWEB, "COLLECTED"),
            "return.force_complete", SELLER, {}, to=S.RETURNED, claim=(CT.RETURN, CS.COMPLETED),
            rule="I15", tag=Tag.DECIDED, source=SRC_RULES, closed=((CT.RETURN, CS.COMPLETED),),
            fields=NO_AUTO_REFUND),
        # I16: exchanges as Toss T13-T21 with imweb names, and a hold open to every channel
        row("I16-request", IMWEB, settled(IMWEB, "DELIVERED"), "exchange.request", BUYER, rq,
            to=S.DELIVERED, claim=(CT.EXCHANGE, CS.REQUESTED), rule="I16.T13",
            source=SRC_MARKETPLACES, open_after=(CT.EXCHANGE, CS.REQUESTED, S.DELIVERED)),
        row("I16-request-from-EXCHANGED", IMWEB, settled(IMWEB, "EXCHANGED"), "exchange.request",
            BUYER, rq, to=S.EXCHANGED, claim=(CT.EXCHANGE, CS.REQUESTED), rule="I16.T13",
            source=SRC_MARKETPLACES, open_after=(CT.EXCHANGE, CS.REQUESTED, S.EXCHANGED)),
        row("I16-approve", IMWEB, exchanging(IMWEB), "exchange.approve", SELLER, {},
            to=S.EXCHANGE_COLLECTING, claim=(CT.EXCHANGE, CS.APPROVED), rule="I16.T15",
            source=SRC_MARKETPLACES, open_after=(CT.EXCHANGE, CS.APPROVED, S.DELIVERED)),
        # I16: imweb's exchange.reject ships the item back: carrier + invoice, as T4/I2
        row("I16-reject-origin-SHIPPING", IMWEB, exchanging(IMWEB, origin="SHIPPING"),
            "exchange.reject", SELLER, DELIVERY, to=S.SHIPPING, claim=(CT.EXCHANGE, CS.REJECTED),
            effects=(REGISTER,), rule="I16.T16", source=SRC_MARKETPLACES,
            closed=((CT.EXCHANGE, CS.REJECTED),)),
        row("I16-reject-with-reason", IMWEB, exchanging(IMWEB), "exchange.reject", SELLER,
            {**DELIVERY, **REASON}, to=S.DELIVERED, claim=(CT.EXCHANGE, CS.REJECTED),
            effects=(REGISTER,), rule="I16.T16", source=SRC_MARKETPLACES,
            closed=((CT.EXCHANGE, CS.REJECTED),)),
        row("I16-collect", IMWEB, exchanging(IMWEB, "APPROVED"), "exchange.collect", SELLER, {},
            to=S.EXCHANGE_COLLECTED, claim=(CT.EXCHANGE, CS.COLLECTED), rule="I16.T17",
            source=SRC_MARKETPLACES, open_after=(CT.EXCHANGE, CS.COLLECTED, S.DELIVERED)),
        row("I16-redeliver", IMWEB, exchanging(IMWEB, "COLLECTED"), "exchange.redeliver",
            SELLER, DELIVERY, to=S.REDELIVERING, claim=(CT.EXCHANGE, CS.REDELIVERING),
            effects=(REGISTER,), rule="I16.T18", source=SRC_MARKETPLACES,
            open_after=(CT.EXCHANGE, CS.REDELIVERING, S.DELIVERED)),
        row("I16-complete", IMWEB, exchanging(IMWEB, "REDELIVERING"), "exchange.complete",
            SELLER, {}, to=S.EXCHANGED, claim=(CT.EXCHANGE, CS.COMPLETED), rule="I16.T21",
            source=SRC_MARKETPLACES, closed=((CT.EXCHANGE, CS.COMPLETED),)),
        row("I16-hold-any-channel", IMWEB, exchanging(IMWEB, "APPROVED"), "exchange.hold",
            SELLER, REASON, to=S.EXCHANGE_COLLECTING, claim=(CT.EXCHANGE, CS.HELD),
            rule="I16.HOLD", source=SRC_MARKETPLACES,
            open_after=(CT.EXCHANGE, CS.HELD, S.DELIVERED)),
        row("I16-release", IMWEB, held(IMWEB, "exchange", "APPROVED"), "exchange.release",
            SELLER, {}, to=S.EXCHANGE_COLLECTING, claim=(CT.EXCHANGE, CS.APPROVED),
            rule="I16.RELEASE", source=SRC_MARKETPLACES,
            open_after=(CT.EXCHANGE, CS.APPROVED, S.DELIVERED)),
    ]
    for status in ("PAID", "PREPARING"):
        rows.append(row(f"I1-from-{status}", IMWEB, settled(IMWEB, status), "cancel.request",
                        BUYER, rq, to=S(status), claim=(CT.CANCEL, CS.REQUESTED), rule="I1",
                        source=SRC_MARKETPLACES, open_after=(CT.CANCEL, CS.REQUESTED, S(status))))
    rows.append(row("I6-from-EXCHANGED", IMWEB, settled(IMWEB, "EXCHANGED"), "return.request",
                    BUYER, rq, to=S.EXCHANGED, claim=(CT.RETURN, CS.REQUESTED), rule="I6",
                    tag=Tag.DECIDED, source=SRC_RULES,
                    open_after=(CT.RETURN, CS.REQUESTED, S.EXCHANGED)))
    for origin in ("SHIPPING", "DELIVERED"):
        rows += [
            row(f"I6-from-{origin}", IMWEB, settled(IMWEB, origin), "return.request", BUYER, rq,
                to=S(origin), claim=(CT.RETURN, CS.REQUESTED), rule="I6",
                source=SRC_IMWEB_RETURN, open_after=(CT.RETURN, CS.REQUESTED, S(origin))),
            row(f"I7-origin-{origin}", IMWEB, returning(IMWEB, origin=origin), "return.reject",
                SELLER, REASON, to=S(origin), claim=(CT.RETURN, CS.REJECTED), rule="I7",
                source=SRC_IMWEB_RETURN, closed=((CT.RETURN, CS.REJECTED),)),
            row(f"I8-origin-{origin}", IMWEB, returning(IMWEB, origin=origin),
                "return.to_exchange", SELLER, {"reason": "교환으로 변경"}, to=S(origin),
                claim=(CT.EXCHANGE, CS.REQUESTED), rule="I8", source=SRC_IMWEB_RETURN,
                open_after=(CT.EXCHANGE, CS.REQUESTED, S(origin)),
                closed=((CT.RETURN, CS.REJECTED),)),
        ]
    for stage, status in (("REQUESTED", S.DELIVERED), ("APPROVED", S.RETURN_COLLECTING),
                          ("COLLECTED", S.RETURN_COLLECTED)):
        rows += [
            row(f"I11-hold-{stage}", IMWEB, returning(IMWEB, stage), "return.hold", SELLER,
                {"reason": "수거 확인 중"}, to=status, claim=(CT.RETURN, CS.HELD), rule="I11",
                source=SRC_IMWEB_RETURN, open_after=(CT.RETURN, CS.HELD, S.DELIVERED),
                fields=NPAY),
            row(f"I12-release-to-{stage}", IMWEB, held(IMWEB, "return", stage),
                "return.release", SELLER, {}, to=status, claim=(CT.RETURN, CS(stage)),
                rule="I12", source=SRC_IMWEB_RETURN,
                open_after=(CT.RETURN, CS(stage), S.DELIVERED), fields=NPAY),
        ]
    return rows


NEW_ITEM = cf.CandidateItem("ITEM-B", UNIT_PRICE, True, 5)


DIFFERS = ("ALLOWED", "MARKETPLACE_FIGURE_DIFFERS")  # M7: the stated figure is not the quote


def _x2bee_rows() -> list[Any]:
    x1 = (REFUND, *RESTORE, NOTIFY)
    return [
        row("X1-from-PAID", X2BEE, (), "cancel.request", BUYER, REASON, to=S.CANCELED,
            claim=(CT.CANCEL, CS.COMPLETED), effects=x1, rule="X1", source=SRC_X2BEE,
            closed=((CT.CANCEL, CS.COMPLETED),)),
        row("X1-from-PREPARING", X2BEE, (PREPARE,), "cancel.request", BUYER, REASON,
            to=S.CANCELED, claim=(CT.CANCEL, CS.COMPLETED), effects=x1, rule="X1",
            source=SRC_X2BEE, closed=((CT.CANCEL, CS.COMPLETED),)),
        row("X1-refund-amount-from-cost", X2BEE, (), "cancel.request", BUYER,
            {**REASON, "refund_amount": 20_000}, to=S.CANCELED, claim=(CT.CANCEL, CS.COMPLETED),
            effects=(cf.Effect(EK.REFUND, amount=20_000), *RESTORE, NOTIFY), rule="X1",
            source=SRC_X2BEE, closed=((CT.CANCEL, CS.COMPLETED),), codes=DIFFERS),
        row("X1-extra-payment", X2BEE, (), "cancel.request", BUYER,
            {**REASON, "extra_payment": 3_000}, to=S.CANCELED, claim=(CT.CANCEL, CS.COMPLETED),
            effects=(cf.Effect(EK.CHARGE_EXTRA, amount=3_000), *RESTORE, NOTIFY), rule="X1",
            source=SRC_X2BEE, closed=((CT.CANCEL, CS.COMPLETED),), codes=DIFFERS),
        row("X2", X2BEE, (), "option.change", BUYER, {"new_item": NEW_ITEM}, to=S.PAID,
            claim=(CT.OPTION_CHANGE, CS.COMPLETED), rule="X2", source=SRC_X2BEE,
            closed=((CT.OPTION_CHANGE, CS.COMPLETED),)),
        row("X3.T11-exchange-mid-return", X2BEE, returning(X2BEE, "COLLECTED"),
            "return.complete", SELLER, {"exchange_mid_return": True}, to=S.RETURNED,
            claim=(CT.RETURN, CS.COMPLETED), effects=(REFUND, RESTORE[0], NOTIFY),
            rule="X3.T11", source=SRC_MARKETPLACES, closed=((CT.RETURN, CS.COMPLETED),)),
        *_return_rows(X2BEE, "X3.", SRC_MARKETPLACES),
        *_exchange_rows(X2BEE, "X3.", SRC_MARKETPLACES),
    ]


ALLOWED_ROWS = [
    *_fulfilment_rows(),
    *_toss_cancel_rows(),
    *_return_rows(TOSS, "", SRC_TOSS_RETURN),
    *_exchange_rows(TOSS, "", SRC_TOSS_EXCHANGE),
    *_imweb_rows(),
    *_x2bee_rows(),
]


@pytest.mark.parametrize("row", ALLOWED_ROWS)
class TestAllowedRows:
    def test_listed_as_allowed(self, row: Row) -> None:
        """The row's action is among the actions its actor may take in the row's state."""
        op = walk(row.mp, row.path, **row.fields)

        assert cf.Action(row.action) in cf.allowed_actions(op, row.actor)

    def test_check_gives_the_outcome(self, row: Row) -> None:
        """check allows the action and says the status, claim and effects it leads to."""
        op = walk(row.mp, row.path, **row.fields)

        d = cf.check(op, row.action, row.actor, **row.params)

        assert (True, row.codes) == (d.allowed, d.codes)
        assert row.to_status == d.to_status
        assert row.claim == claim_of(d)
        assert row.effects == d.effects

    def test_check_names_the_rule(self, row: Row) -> None:
        """The allowing reason names the row's rule id, whether it is documented or decided, and
        its source document."""
        op = walk(row.mp, row.path, **row.fields)

        d = cf.check(op, row.action, row.actor, **row.params)

        assert row.rule_id == d.rule_id
        assert (row.rule_id, row.tag, row.source) == (
            d.reasons[0].rule_id,
            d.reasons[0].tag,
            d.reasons[0].source,
        )

    def test_apply_moves_the_order_product(self, row: Row) -> None:
        """apply leads to the row's status, open claim and newly closed claims, one version on."""
        op = walk(row.mp, row.path, **row.fields)

        new = cf.apply(op, row.action, row.actor, **row.params).order_product

        assert row.to_status == new.status
        assert row.open_after == open_of(new)
        assert op.closed_claims == new.closed_claims[: len(op.closed_claims)]
        assert row.closed_after == tuple(
            (c.type, c.status) for c in new.closed_claims[len(op.closed_claims) :]
        )
        assert op.version + 1 == new.version

    def test_apply_decides_as_check(self, row: Row) -> None:
        """The decision apply acted on is the one check gives for the same question."""
        op = walk(row.mp, row.path, **row.fields)

        applied = cf.apply(op, row.action, row.actor, **row.params)

        assert cf.check(op, row.action, row.actor, **row.params) == applied.decision


# --- the refusals around each row ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Refusal:
    """An action a rules.md row does not allow here, and the reason code it must give."""

    mp: str
    path: Path
    action: str
    actor: str
    params: Mapping[str, Any]
    code: str
    field: str | None
    rule_id: str | None
    fields: Mapping[str, Any]


def refusal(  # noqa: PLR0917 - one positional argument per column, as row()
    case_id: str,
    mp: str,
    path: Path,
    action: str,
    actor: str,
    params: Mapping[str, Any],
    code: str,
    *,
    rule: str | None,
    field: str | None = None,
    fields: Mapping[str, Any] | None = None,
) -> Any:
    """A pytest param for one refused case; *rule* must be among the reason's rule ids."""
    return pytest.param(
        Refusal(mp, path, action, actor, params, code, field, rule, fields or {}), id=case_id
    )


ACTOR = "ACTOR_NOT_ALLOWED"
WRONG_STATUS = "WRONG_STATUS"
TERMINAL = "TERMINAL_STATUS"
NO_OPEN_CLAIM = "NO_OPEN_CLAIM"
CLAIM_OPEN = "CLAIM_OPEN"
WRONG_CLAIM_STATUS = "WRONG_CLAIM_STATUS"
CLAIM_HELD = "CLAIM_HELD"
MISSING = "MISSING_PARAMETER"
INVALID = "INVALID_PARAMETER"
NOT_OFFERED = "NOT_OFFERED"
PARAMETER_CODES = {MISSING, INVALID}

CANCELED_PATH: Path = (("cancel.request", BUYER, REASON),)
CONFIRMED_PATH: Path = (*settled(TOSS, "DELIVERED"), ("order.confirm", BUYER, {}))
TODAY = dt.datetime.now(SEOUL).date()
IM = request(IMWEB)

REFUSALS = [
    # fulfilment
    refusal("F1-wrong-actor", TOSS, (), "order.prepare", BUYER, {}, ACTOR, rule="F1"),
    refusal("F1-wrong-status", TOSS, (SHIP,), "order.prepare", SELLER, {}, WRONG_STATUS,
            rule="F1"),
    refusal("F1-terminal", TOSS, CANCELED_PATH, "order.prepare", SELLER, {}, TERMINAL, rule="F1"),
    refusal("F2-missing-deadline", TOSS, (PREPARE,), "order.delay", SELLER, {}, MISSING,
            rule="F2", field="shipping_deadline"),
    refusal("F2-deadline-today", TOSS, (PREPARE,), "order.delay", SELLER,
            {"shipping_deadline": TODAY}, INVALID, rule="F2", field="shipping_deadline"),
    refusal("F2-wrong-status", TOSS, (), "order.delay", SELLER, {"shipping_deadline": DEADLINE},
            WRONG_STATUS, rule="F2"),
    refusal("F2-wrong-actor", TOSS, (PREPARE,), "order.delay", BUYER,
            {"shipping_deadline": DEADLINE}, ACTOR, rule="F2"),
    refusal("F2-open-claim", TOSS, canceling(TOSS), "order.delay", SELLER,
            {"shipping_deadline": DEADLINE}, CLAIM_OPEN, rule="F2"),
    refusal("F2-not-offered-x2bee", X2BEE, (PREPARE,), "order.delay", SELLER, {}, NOT_OFFERED,
            rule=None),
    refusal("F2-not-offered-imweb", IMWEB, (PREPARE,), "order.delay", SELLER, {}, NOT_OFFERED,
            rule=None),
    refusal("F3-open-cancel-request", TOSS, canceling(TOSS), "order.ship", SELLER, DELIVERY,
            CLAIM_OPEN, rule="F3"),
    refusal("F3-open-cancel-request-imweb", IMWEB, canceling(IMWEB, "PAID"), "order.ship",
            SELLER, DELIVERY, CLAIM_OPEN, rule="F3"),
    refusal("F3-missing-tracking-number", TOSS, (), "order.ship", SELLER,
            {"carrier": "CJ대한통운"}, MISSING, rule="F3", field="tracking_number"),
    refusal("F3-bad-tracking-number", TOSS, (), "order.ship", SELLER,
            {"carrier": "CJ대한통운", "tracking_number": "12"}, INVALID, rule="F3",
            field="tracking_number"),
    refusal("F3-wrong-status", TOSS, settled(TOSS, "DELIVERED"), "order.ship", SELLER, DELIVERY,
            WRONG_STATUS, rule="F3"),
    refusal("F3-wrong-actor", TOSS, (), "order.ship", BUYER, DELIVERY, ACTOR, rule="F3"),
    refusal("F4-wrong-actor", TOSS, (SHIP,), "order.deliver", SELLER, {}, ACTOR, rule="F4"),
    refusal("F4-wrong-status", TOSS, (), "order.deliver", SYSTEM, {}, WRONG_STATUS, rule="F4"),
    refusal("F4-return-approved", TOSS, returning(TOSS, "APPROVED", "SHIPPING"), "order.deliver",
            SYSTEM, {}, WRONG_STATUS, rule="F4"),
    refusal("F5-wrong-actor", TOSS, settled(TOSS, "DELIVERED"), "order.confirm", SELLER, {},
            ACTOR, rule="F5"),
    refusal("F5-open-claim", TOSS, returning(TOSS), "order.confirm", BUYER, {}, CLAIM_OPEN,
            rule="F5"),
    refusal("F5-wrong-status", TOSS, (SHIP,), "order.confirm", BUYER, {}, WRONG_STATUS,
            rule="F5"),
    # Toss cancel
    refusal("T1-wrong-actor", TOSS, (), "cancel.request", SELLER, REASON, ACTOR, rule="T1"),
    refusal("T1-missing-reason", TOSS, (), "cancel.request", BUYER, {}, MISSING, rule="T1",
            field="reason"),
    refusal("T1-wrong-status", TOSS, settled(TOSS, "DELIVERED"), "cancel.request", BUYER, REASON,
            WRONG_STATUS, rule="T1"),
    refusal("T2-second-request", TOSS, canceling(TOSS), "cancel.request", BUYER, REASON,
            CLAIM_OPEN, rule="T2"),
    refusal("T2-missing-reason", TOSS, (PREPARE, DELAY), "cancel.request", BUYER, {}, MISSING,
            rule="T2", field="reason"),
    refusal("T3-wrong-actor", TOSS, canceling(TOSS), "cancel.approve", BUYER, {}, ACTOR,
            rule="T3"),
    refusal("T3-no-open-claim", TOSS, (PREPARE,), "cancel.approve", SELLER, {}, NO_OPEN_CLAIM,
            rule="T3"),
    refusal("T3-return-open", TOSS, returning(TOSS), "cancel.approve", SELLER, {}, CLAIM_OPEN,
            rule="T3"),
    refusal("T4-missing-carrier", TOSS, canceling(TOSS), "cancel.reject", SELLER,
            {"tracking_number": "6012-3456-7890"}, MISSING, rule="T4", field="carrier"),
    refusal("T4-wrong-actor", TOSS, canceling(TOSS), "cancel.reject", BUYER, DELIVERY, ACTOR,
            rule="T4"),
    refusal("T5-terminal-CANCELED", TOSS, CANCELED_PATH, "cancel.by_seller", SELLER,
            SELLER_CANCEL, TERMINAL, rule="T5"),
    refusal("T5-terminal-CONFIRMED", TOSS, CONFIRMED_PATH, "cancel.by_seller", SELLER,
            SELLER_CANCEL, TERMINAL, rule="T5"),
    refusal("T5-EXCHANGED-without-claim", TOSS, settled(TOSS, "EXCHANGED"), "cancel.by_seller",
            SELLER, SELLER_CANCEL, WRONG_STATUS, rule="T5"),
    refusal("T5-missing-fee-payer-in-claim", TOSS, returning(TOSS, "COLLECTED"),
            "cancel.by_seller", SELLER, REASON, MISSING, rule="T5", field="fee_payer"),
    refusal("T3-system-no-open-claim", TOSS, (PREPARE,), "cancel.approve", SYSTEM, {},
            NO_OPEN_CLAIM, rule="T3"),
    refusal("T5-unknown-fee-payer", TOSS, (), "cancel.by_seller", SELLER,
            {"fee_payer": "NOBODY", "reason": "재고 소진"}, INVALID, rule="T5", field="fee_payer"),
    refusal("T5-missing-fee-payer", TOSS, canceling(TOSS), "cancel.by_seller", SELLER, REASON,
            MISSING, rule="T5", field="fee_payer"),
    refusal("T5-reason-over-100", TOSS, (), "cancel.by_seller", SELLER,
            {"fee_payer": "USER", "reason": "가" * 101}, INVALID, rule="T5", field="reason"),
    refusal("T5-wrong-actor", TOSS, (), "cancel.by_seller", BUYER, SELLER_CANCEL, ACTOR,
            rule="T5"),
    refusal("T5-not-offered-imweb", IMWEB, (), "cancel.by_seller", SELLER, {}, NOT_OFFERED,
            rule=None),
    refusal("T5-not-offered-x2bee", X2BEE, (), "cancel.by_seller", SELLER, {}, NOT_OFFERED,
            rule=None),
    # Toss return
    refusal("T6-wrong-status", TOSS, (), "return.request", BUYER, REASON, WRONG_STATUS,
            rule="T6"),
    refusal("T6-exchange-open", TOSS, exchanging(TOSS), "return.request", BUYER, REASON,
            CLAIM_OPEN, rule="T6"),
    refusal("T6-second-request", TOSS, returning(TOSS), "return.request", BUYER, REASON,
            CLAIM_OPEN, rule="T6"),
    refusal("T6-wrong-actor", TOSS, settled(TOSS, "DELIVERED"), "return.request", SELLER, REASON,
            ACTOR, rule="T6"),
    refusal("T6-missing-reason", TOSS, settled(TOSS, "DELIVERED"), "return.request", BUYER, {},
            MISSING, rule="T6", field="reason"),
    refusal("T7-wrong-actor", TOSS, returning(TOSS), "return.withdraw", SELLER, {}, ACTOR,
            rule="T7"),
    refusal("T7-after-approve", TOSS, returning(TOSS, "APPROVED"), "return.withdraw", BUYER, {},
            WRONG_CLAIM_STATUS, rule="T7"),
    refusal("T7-no-open-claim", TOSS, settled(TOSS, "DELIVERED"), "return.withdraw", BUYER, {},
            NO_OPEN_CLAIM, rule="T7"),
    refusal("T7-not-offered-imweb", IMWEB, returning(IMWEB), "return.withdraw", BUYER, {},
            NOT_OFFERED, rule=None),
    refusal("T8-wrong-actor", TOSS, returning(TOSS), "return.approve", BUYER, {}, ACTOR,
            rule="T8"),
    refusal("T8-no-open-claim", TOSS, settled(TOSS, "DELIVERED"), "return.approve", SELLER, {},
            NO_OPEN_CLAIM, rule="T8"),
    refusal("T9-missing-reason", TOSS, returning(TOSS), "return.reject", SELLER, {}, MISSING,
            rule="T9", field="reason"),
    refusal("T9-wrong-actor", TOSS, returning(TOSS), "return.reject", BUYER, REASON, ACTOR,
            rule="T9"),
    refusal("T10-wrong-status", TOSS, returning(TOSS, "COLLECTED"), "return.collect", SELLER, {},
            WRONG_STATUS, rule="T10"),
    refusal("T10-wrong-actor", TOSS, returning(TOSS, "APPROVED"), "return.collect", BUYER, {},
            ACTOR, rule="T10"),
    refusal("T11-wrong-status", TOSS, returning(TOSS, "APPROVED"), "return.complete", SELLER, {},
            WRONG_STATUS, rule="T11"),
    refusal("T11-wrong-actor", TOSS, returning(TOSS, "COLLECTED"), "return.complete", BUYER, {},
            ACTOR, rule="T11"),
    refusal("T12-missing-reason", TOSS, returning(TOSS, "COLLECTED"), "return.reject_collected",
            SELLER, {}, MISSING, rule="T12", field="reason"),
    refusal("T12-wrong-status", TOSS, returning(TOSS), "return.reject_collected", SELLER, REASON,
            WRONG_STATUS, rule="T12"),
    refusal("T12-not-offered-imweb", IMWEB, returning(IMWEB, "COLLECTED"),
            "return.reject_collected", SELLER, REASON, NOT_OFFERED, rule=None),
    # Toss exchange
    refusal("T13-wrong-status", TOSS, (PREPARE,), "exchange.request", BUYER, REASON,
            WRONG_STATUS, rule="T13"),
    refusal("T13-return-open", TOSS, returning(TOSS), "exchange.request", BUYER, REASON,
            CLAIM_OPEN, rule="T13"),
    refusal("T13-missing-reason", TOSS, (SHIP,), "exchange.request", BUYER, {}, MISSING,
            rule="T13", field="reason"),
    refusal("T14-wrong-actor", TOSS, exchanging(TOSS), "exchange.withdraw", SELLER, {}, ACTOR,
            rule="T14"),
    refusal("T14-after-approve", TOSS, exchanging(TOSS, "APPROVED"), "exchange.withdraw", BUYER,
            {}, WRONG_CLAIM_STATUS, rule="T14"),
    refusal("T14-not-offered-imweb", IMWEB, exchanging(IMWEB), "exchange.withdraw", BUYER, {},
            NOT_OFFERED, rule=None),
    refusal("T15-wrong-actor", TOSS, exchanging(TOSS), "exchange.approve", BUYER, {}, ACTOR,
            rule="T15"),
    refusal("T15-no-open-claim", TOSS, settled(TOSS, "DELIVERED"), "exchange.approve", SELLER,
            {}, NO_OPEN_CLAIM, rule="T15"),
    refusal("T16-missing-reason", TOSS, exchanging(TOSS), "exchange.reject", SELLER, {}, MISSING,
            rule="T16", field="reason"),
    refusal("T17-wrong-status", TOSS, exchanging(TOSS, "COLLECTED"), "exchange.collect", SELLER,
            {}, WRONG_STATUS, rule="T17"),
    refusal("T18-missing-tracking-number", TOSS, exchanging(TOSS, "COLLECTED"),
            "exchange.redeliver", SELLER, {"carrier": "CJ대한통운"}, MISSING, rule="T18",
            field="tracking_number"),
    refusal("T18-wrong-status", TOSS, exchanging(TOSS, "APPROVED"), "exchange.redeliver", SELLER,
            DELIVERY, WRONG_STATUS, rule="T18"),
    refusal("T19-missing-reason", TOSS, exchanging(TOSS, "COLLECTED"),
            "exchange.reject_collected", SELLER, {}, MISSING, rule="T19", field="reason"),
    refusal("T19-not-offered-imweb", IMWEB, exchanging(IMWEB, "COLLECTED"),
            "exchange.reject_collected", SELLER, REASON, NOT_OFFERED, rule=None),
    refusal("T20-missing-carrier", TOSS, exchanging(TOSS, "REDELIVERING"),
            "exchange.change_invoice", SELLER, {"tracking_number": "2400-1234-5678"}, MISSING,
            rule="T20", field="carrier"),
    refusal("T20-wrong-status", TOSS, exchanging(TOSS, "COLLECTED"), "exchange.change_invoice",
            SELLER, NEW_INVOICE, WRONG_STATUS, rule="T20"),
    refusal("T20-not-offered-imweb", IMWEB, exchanging(IMWEB, "REDELIVERING"),
            "exchange.change_invoice", SELLER, NEW_INVOICE, NOT_OFFERED, rule=None),
    refusal("T21-wrong-status", TOSS, exchanging(TOSS, "COLLECTED"), "exchange.complete",
            SELLER, {}, WRONG_STATUS, rule="T21"),
    refusal("T21-wrong-actor", TOSS, exchanging(TOSS, "REDELIVERING"), "exchange.complete",
            BUYER, {}, ACTOR, rule="T21"),
    # imweb
    refusal("I1-missing-reason-code", IMWEB, (), "cancel.request", BUYER, {}, MISSING, rule="I1",
            field="reason_code"),
    refusal("I1-unknown-reason-code", IMWEB, (), "cancel.request", BUYER,
            {"reason_code": "BORED"}, INVALID, rule="I1", field="reason_code"),
    refusal("I1-wrong-status", IMWEB, (SHIP,), "cancel.request", BUYER, IM, WRONG_STATUS,
            rule="I1"),
    refusal("I1-wrong-actor", IMWEB, (), "cancel.request", SELLER, IM, ACTOR, rule="I1"),
    refusal("I2-missing-tracking-number", IMWEB, canceling(IMWEB), "cancel.reject", SELLER,
            {"carrier": "CJ대한통운"}, MISSING, rule="I2", field="tracking_number"),
    refusal("I3-no-auto-refund", IMWEB, canceling(IMWEB), "cancel.approve", SELLER, {},
            "AUTO_REFUND_IMPOSSIBLE", rule="I3", fields=NO_AUTO_REFUND),
    refusal("I3-negative-extra-charge", IMWEB, canceling(IMWEB), "cancel.approve", SELLER,
            {"extra_charge": -1}, INVALID, rule="I3", field="extra_charge"),
    refusal("I3-wrong-actor", IMWEB, canceling(IMWEB), "cancel.approve", BUYER, {}, ACTOR,
            rule="I3"),
    refusal("I4-from-REQUESTED", IMWEB, canceling(IMWEB), "cancel.retry_refund", SELLER, {},
            WRONG_CLAIM_STATUS, rule="I4"),
    refusal("I4-from-REFUNDING", IMWEB, cancel_refunding(), "cancel.retry_refund", SELLER, {},
            WRONG_CLAIM_STATUS, rule="I4"),
    refusal("I4-wrong-actor", IMWEB, cancel_refund_failed(), "cancel.retry_refund", SYSTEM, {},
            ACTOR, rule="I4"),
    refusal("I3-twice", IMWEB, cancel_refunding(), "cancel.approve", SELLER, {},
            WRONG_CLAIM_STATUS, rule="I3"),
    refusal("I3a-wrong-actor", IMWEB, cancel_refunding(), "cancel.refund_succeeded", SELLER, {},
            ACTOR, rule="I3a"),
    refusal("I3a-not-refunding", IMWEB, canceling(IMWEB), "cancel.refund_failed", SYSTEM, {},
            WRONG_CLAIM_STATUS, rule="I3a"),
    refusal("I3a-after-failure", IMWEB, cancel_refund_failed(), "cancel.refund_succeeded",
            SYSTEM, {}, WRONG_CLAIM_STATUS, rule="I3a"),
    refusal("I3a-not-offered-toss", TOSS, canceling(TOSS), "cancel.refund_succeeded", SYSTEM,
            {}, NOT_OFFERED, rule=None),
    refusal("I5-from-REFUNDING", IMWEB, cancel_refunding(), "cancel.force", SELLER, {},
            WRONG_CLAIM_STATUS, rule="I5"),
    refusal("I4-not-offered-toss", TOSS, canceling(TOSS), "cancel.retry_refund", SELLER, {},
            NOT_OFFERED, rule=None),
    refusal("I5-wrong-actor", IMWEB, canceling(IMWEB), "cancel.force", BUYER, {}, ACTOR,
            rule="I5"),
    refusal("I5-no-open-claim", IMWEB, (PREPARE,), "cancel.force", SELLER, {}, NO_OPEN_CLAIM,
            rule="I5"),
    refusal("I5-not-offered-toss", TOSS, canceling(TOSS), "cancel.force", SELLER, {},
            NOT_OFFERED, rule=None),
    refusal("I6-wrong-status", IMWEB, (), "return.request", BUYER, IM, WRONG_STATUS, rule="I6"),
    refusal("I6-missing-reason-code", IMWEB, (SHIP,), "return.request", BUYER,
            {"reason": "단순 변심"}, MISSING, rule="I6", field="reason_code"),
    refusal("I7-missing-reason", IMWEB, returning(IMWEB), "return.reject", SELLER, {}, MISSING,
            rule="I7", field="reason"),
    refusal("I8-after-approve", IMWEB, returning(IMWEB, "APPROVED"), "return.to_exchange",
            SELLER, REASON, WRONG_CLAIM_STATUS, rule="I8"),
    refusal("I8-wrong-actor", IMWEB, returning(IMWEB), "return.to_exchange", BUYER, REASON,
            ACTOR, rule="I8"),
    refusal("I8-missing-reason", IMWEB, returning(IMWEB), "return.to_exchange", SELLER, {},
            MISSING, rule="I8", field="reason"),
    refusal("I8-not-offered-toss", TOSS, returning(TOSS), "return.to_exchange", SELLER, REASON,
            NOT_OFFERED, rule=None),
    refusal("I9-held", IMWEB, held(IMWEB, "return", "REQUESTED"), "return.approve", SELLER, {},
            CLAIM_HELD, rule="I9", fields=NPAY),
    refusal("I7-held", IMWEB, held(IMWEB, "return", "REQUESTED"), "return.reject", SELLER,
            REASON, CLAIM_HELD, rule="I7", fields=NPAY),
    refusal("I10-held", IMWEB, held(IMWEB, "return", "APPROVED"), "return.collect", SELLER, {},
            CLAIM_HELD, rule="I10", fields=NPAY),
    refusal("I11-not-naver-pay", IMWEB, returning(IMWEB), "return.hold", SELLER, REASON,
            "NAVER_PAY_ONLY", rule="I11"),
    refusal("I11-talkpay", IMWEB, returning(IMWEB), "return.hold", SELLER, REASON,
            "NAVER_PAY_ONLY", rule="I11", fields={"payment_channel": "talkpay"}),
    refusal("I11-already-held", IMWEB, held(IMWEB, "return", "REQUESTED"), "return.hold",
            SELLER, REASON, CLAIM_HELD, rule="I11", fields=NPAY),
    refusal("I11-missing-reason", IMWEB, returning(IMWEB), "return.hold", SELLER, {}, MISSING,
            rule="I11", field="reason", fields=NPAY),
    refusal("I11-no-open-claim", IMWEB, settled(IMWEB, "DELIVERED"), "return.hold", SELLER,
            REASON, NO_OPEN_CLAIM, rule="I11", fields=NPAY),
    refusal("I11-wrong-actor", IMWEB, returning(IMWEB), "return.hold", BUYER, REASON, ACTOR,
            rule="I11", fields=NPAY),
    # I11 (decided): a hold stops a return before the money moves, not while it is refunding
    refusal("I11-while-REFUNDING", IMWEB, returning(IMWEB, "REFUNDING"), "return.hold", SELLER,
            REASON, WRONG_CLAIM_STATUS, rule="I11", fields=NPAY),
    refusal("I11-after-REFUND_FAILED", IMWEB, returning(IMWEB, "REFUND_FAILED"), "return.hold",
            SELLER, REASON, WRONG_CLAIM_STATUS, rule="I11", fields=NPAY),
    refusal("I11-not-offered-toss", TOSS, returning(TOSS), "return.hold", SELLER, REASON,
            NOT_OFFERED, rule=None),
    refusal("I12-not-held", IMWEB, returning(IMWEB), "return.release", SELLER, {},
            WRONG_CLAIM_STATUS, rule="I12", fields=NPAY),
    refusal("I13-no-auto-refund", IMWEB, returning(IMWEB, "COLLECTED"), "return.complete",
            SELLER, {}, "AUTO_REFUND_IMPOSSIBLE", rule="I13", fields=NO_AUTO_REFUND),
    refusal("I13-held", IMWEB, held(IMWEB, "return", "COLLECTED"), "return.complete", SELLER, {},
            CLAIM_HELD, rule="I13", fields=NPAY),
    refusal("I14-wrong-actor", IMWEB, returning(IMWEB, "REFUNDING"), "return.refund_succeeded",
            SELLER, {}, ACTOR, rule="I14"),
    refusal("I14-not-refunding", IMWEB, returning(IMWEB, "COLLECTED"), "return.refund_failed",
            SYSTEM, {}, WRONG_CLAIM_STATUS, rule="I14"),
    refusal("I15-auto-refundable", IMWEB, returning(IMWEB, "COLLECTED"), "return.force_complete",
            SELLER, {}, "AUTO_REFUND_POSSIBLE", rule="I15"),
    refusal("I15-from-APPROVED", IMWEB, returning(IMWEB, "APPROVED"), "return.force_complete",
            SELLER, {}, WRONG_CLAIM_STATUS, rule="I15", fields=NO_AUTO_REFUND),
    refusal("I16-held", IMWEB, held(IMWEB, "exchange", "REQUESTED"), "exchange.approve", SELLER,
            {}, CLAIM_HELD, rule="I16.T15"),
    refusal("I16-missing-reason-code", IMWEB, (SHIP,), "exchange.request", BUYER, REASON,
            MISSING, rule="I16.T13", field="reason_code"),
    refusal("I16-reject-missing-carrier", IMWEB, exchanging(IMWEB), "exchange.reject", SELLER,
            {"tracking_number": "6012-3456-7890", **REASON}, MISSING, rule="I16.T16",
            field="carrier"),
    refusal("I16-reject-missing-tracking-number", IMWEB, exchanging(IMWEB), "exchange.reject",
            SELLER, {"carrier": "CJ대한통운", **REASON}, MISSING, rule="I16.T16",
            field="tracking_number"),
    refusal("I16-release-not-held", IMWEB, exchanging(IMWEB), "exchange.release", SELLER, {},
            WRONG_CLAIM_STATUS, rule="I16.RELEASE"),
    # I16 (decided): an exchange hold only before the replacement ships
    refusal("I16-hold-while-REDELIVERING", IMWEB, exchanging(IMWEB, "REDELIVERING"),
            "exchange.hold", SELLER, REASON, WRONG_CLAIM_STATUS, rule="I16.HOLD"),
    refusal("I6-wrong-status-CONFIRMED", IMWEB, (*settled(IMWEB, "DELIVERED"),
            ("order.confirm", BUYER, {})), "return.request", BUYER, IM, TERMINAL, rule="I6"),
    refusal("I16-hold-not-offered-toss", TOSS, exchanging(TOSS), "exchange.hold", SELLER,
            REASON, NOT_OFFERED, rule=None),
    # x2bee
    refusal("X1-wrong-status", X2BEE, (SHIP,), "cancel.request", BUYER, REASON, WRONG_STATUS,
            rule="X1"),
    refusal("X1-wrong-actor", X2BEE, (), "cancel.request", SELLER, REASON, ACTOR, rule="X1"),
    refusal("X1-missing-reason", X2BEE, (), "cancel.request", BUYER, {}, MISSING, rule="X1",
            field="reason"),
    refusal("X1-negative-refund", X2BEE, (), "cancel.request", BUYER,
            {**REASON, "refund_amount": -1}, INVALID, rule="X1", field="refund_amount"),
    refusal("X1-cancel-approve-not-offered", X2BEE, (), "cancel.approve", SELLER, {},
            NOT_OFFERED, rule=None),
    refusal("X2-same-item", X2BEE, (), "option.change", BUYER,
            {"new_item": cf.CandidateItem("ITEM-A", UNIT_PRICE, True, 5)}, INVALID, rule="X2",
            field="new_item"),
    refusal("X2-not-on-sale", X2BEE, (), "option.change", BUYER,
            {"new_item": cf.CandidateItem("ITEM-B", UNIT_PRICE, False, 5)}, INVALID, rule="X2",
            field="new_item"),
    refusal("X2-no-stock", X2BEE, (), "option.change", BUYER,
            {"new_item": cf.CandidateItem("ITEM-B", UNIT_PRICE, True, QUANTITY - 1)}, INVALID,
            rule="X2", field="new_item"),
    refusal("X2-different-price", X2BEE, (), "option.change", BUYER,
            {"new_item": cf.CandidateItem("ITEM-B", UNIT_PRICE + 1_000, True, 5)}, INVALID,
            rule="X2", field="new_item"),
    refusal("X2-reservation-item", X2BEE, (), "option.change", BUYER,
            {"new_item": cf.CandidateItem("ITEM-B", UNIT_PRICE, True, 5, reservation=True)},
            INVALID, rule="X2", field="new_item"),
    refusal("X2-not-an-item", X2BEE, (), "option.change", BUYER, {"new_item": "ITEM-B"},
            INVALID, rule="X2", field="new_item"),
    refusal("X2-missing-item", X2BEE, (), "option.change", BUYER, {}, MISSING, rule="X2",
            field="new_item"),
    refusal("X2-wrong-status", X2BEE, (PREPARE,), "option.change", BUYER, {"new_item": NEW_ITEM},
            WRONG_STATUS, rule="X2"),
    refusal("X2-wrong-actor", X2BEE, (), "option.change", SELLER, {"new_item": NEW_ITEM}, ACTOR,
            rule="X2"),
    refusal("X2-not-offered-toss", TOSS, (), "option.change", BUYER, {"new_item": NEW_ITEM},
            NOT_OFFERED, rule=None),
    refusal("X3.T11-wrong-status", X2BEE, returning(X2BEE, "APPROVED"), "return.complete",
            SELLER, {}, WRONG_STATUS, rule="X3.T11"),
    refusal("X3.T11-exchange-mid-return-not-a-bool", X2BEE, returning(X2BEE, "COLLECTED"),
            "return.complete", SELLER, {"exchange_mid_return": "Y"}, INVALID, rule="X3.T11",
            field="exchange_mid_return"),
    refusal("X3.T14-wrong-actor", X2BEE, exchanging(X2BEE), "exchange.withdraw", SELLER, {},
            ACTOR, rule="X3.T14"),
    refusal("X3-return-hold-not-offered", X2BEE, returning(X2BEE), "return.hold", SELLER,
            REASON, NOT_OFFERED, rule=None),
]


@pytest.mark.parametrize("case", REFUSALS)
class TestRefusals:
    def test_check_refuses_with_the_code(self, case: Refusal) -> None:
        """check refuses with the expected reason code first, naming the parameter if any."""
        op = walk(case.mp, case.path, **case.fields)

        d = cf.check(op, case.action, case.actor, **case.params)

        assert (False, case.code, case.field) == (
            d.allowed,
            d.reasons[0].code,
            d.reasons[0].field,
        )
        assert (None, None, None, ()) == (d.to_status, d.claim_type, d.claim_status, d.effects)

    def test_reason_names_the_rule(self, case: Refusal) -> None:
        """The refusal names the rule it comes from (none when the marketplace lacks the action)."""
        op = walk(case.mp, case.path, **case.fields)

        reason = cf.check(op, case.action, case.actor, **case.params).reasons[0]

        if case.rule_id is None:
            assert None is reason.rule_id
        else:
            assert reason.rule_id is not None
            assert case.rule_id in reason.rule_id.split(", ")

    def test_listed_as_refused(self, case: Refusal) -> None:
        """Unless only the parameters are wrong, the action is absent from allowed_actions."""
        op = walk(case.mp, case.path, **case.fields)

        allowed = cf.allowed_actions(op, case.actor)

        expected = case.code in PARAMETER_CODES
        assert expected == (cf.Action(case.action) in allowed)

    def test_apply_raises_and_changes_nothing(self, case: Refusal) -> None:
        """apply raises ActionRefusedError carrying check's decision; the order product stays."""
        op = walk(case.mp, case.path, **case.fields)
        snapshot = copy.deepcopy(op)

        with pytest.raises(cf.ActionRefusedError) as e:
            cf.apply(op, case.action, case.actor, **case.params)

        assert cf.check(op, case.action, case.actor, **case.params) == e.value.decision
        assert snapshot == op


# --- the behaviours rules.md singles out ----------------------------------------------------


class TestCancelAtPaid:
    def test_t1_creates_no_claim(self) -> None:
        """T1: a buyer's cancel at 결제완료 cancels at once, with no claim open or recorded."""
        applied = cf.apply(fresh(TOSS), "cancel.request", BUYER, **REASON)

        assert (S.CANCELED, None, ()) == (
            applied.order_product.status,
            applied.order_product.open_claim,
            applied.order_product.closed_claims,
        )
        assert (None, None, None) == (
            applied.event.claim_id,
            applied.event.claim_type,
            applied.event.claim_status_after,
        )


class TestSellerCancel:
    @pytest.mark.parametrize(
        ("path", "ctype"),
        [
            pytest.param(canceling(TOSS), CT.CANCEL, id="T5-cancel-request"),
            pytest.param(returning(TOSS, origin="SHIPPING"), CT.RETURN, id="T5-return-request"),
            pytest.param(exchanging(TOSS), CT.EXCHANGE, id="T5-exchange-request"),
        ],
    )
    def test_t5_closes_the_open_claim(self, path: Path, ctype: cf.ClaimType) -> None:
        """T5: a seller cancel closes the open claim as CLOSED_BY_SELLER_CANCEL, keeping its id
        and origin, and opens no new claim."""
        op = walk(TOSS, path)
        claim = op.open_claim
        assert claim is not None

        new = cf.apply(op, "cancel.by_seller", SELLER, **SELLER_CANCEL).order_product

        assert (S.CANCELED, None) == (new.status, new.open_claim)
        assert (
            (claim.id, ctype, CS.CLOSED_BY_SELLER_CANCEL, claim.origin_status),
        ) == tuple((c.id, c.type, c.status, c.origin_status) for c in new.closed_claims)


class TestSellerCancelPenalty:
    @pytest.mark.parametrize(
        "path",
        [pytest.param((), id="PAID"), pytest.param(returning(TOSS, "COLLECTED"), id="in-claim")],
    )
    def test_t5_decision_says_three_penalty_points(self, path: Path) -> None:
        """T5: the allowed decision says the seller cancel costs the shop 3 penalty points, a
        client fact (marketplaces.md §5.1), in Korean and English."""
        op = walk(TOSS, path)

        d = cf.check(op, "cancel.by_seller", SELLER, **SELLER_CANCEL)
        penalty = d.reasons[1]

        assert ("PENALTY_POINTS", "T5", Tag.CLIENT, SRC_MARKETPLACES) == (
            penalty.code,
            penalty.rule_id,
            penalty.tag,
            penalty.source,
        )
        assert "벌점 3점이" in penalty.message_ko
        assert "3 penalty points" in penalty.message_en

    def test_other_actions_carry_no_penalty(self) -> None:
        """Only T5 names penalty points: a buyer's cancel at PAID (T1) does not."""
        d = cf.check(fresh(TOSS), "cancel.request", BUYER, **REASON)

        assert ("ALLOWED",) == d.codes


class TestImwebCancelRefunding:
    def test_retry_refund_is_reachable(self) -> None:
        """I3, I3a, I4: approve -> REFUNDING, the gateway fails -> REFUND_FAILED, retry ->
        REFUNDING, the gateway succeeds -> CANCELED; each action reached by a walk."""
        op = walk(IMWEB, cancel_refund_failed())

        retried = cf.apply(op, "cancel.retry_refund", SELLER).order_product
        done = cf.apply(retried, "cancel.refund_succeeded", SYSTEM).order_product

        assert (A.CANCEL_RETRY_REFUND, A.CANCEL_FORCE) == cf.allowed_actions(op, SELLER)
        assert (A.CANCEL_REFUND_FAILED, A.CANCEL_REFUND_SUCCEEDED) == cf.allowed_actions(
            retried, SYSTEM
        )
        assert (S.CANCELED, None, CS.COMPLETED) == (
            done.status,
            done.open_claim,
            done.closed_claims[-1].status,
        )

    def test_refunding_allows_the_seller_nothing(self) -> None:
        """I3: while the refund is under way the seller waits for the gateway (I3a)."""
        op = walk(IMWEB, cancel_refunding())

        assert () == cf.allowed_actions(op, SELLER)


class TestBackToOrigin:
    @pytest.mark.parametrize("origin", ["SHIPPING", "DELIVERED", "EXCHANGED"])
    @pytest.mark.parametrize(
        ("row_id", "kind", "stage", "action"),
        [
            ("T9", "return", "REQUESTED", "return.reject"),
            ("T12", "return", "COLLECTED", "return.reject_collected"),
            ("T16", "exchange", "REQUESTED", "exchange.reject"),
            ("T19", "exchange", "COLLECTED", "exchange.reject_collected"),
        ],
    )
    def test_rejection_returns_to_origin(
        self, row_id: str, kind: str, stage: str, action: str, origin: str
    ) -> None:
        """T9/T12/T16/T19: rejection and 반려 put the order product back where the claim began."""
        path = returning(TOSS, stage, origin) if kind == "return" else exchanging(
            TOSS, stage, origin
        )
        op = walk(TOSS, path)

        d = cf.check(op, action, SELLER, reason="거절")

        assert (row_id, S(origin)) == (d.rule_id, d.to_status)

    def test_delivery_while_requested_moves_the_origin(self) -> None:
        """F4: delivered while a return request is pending, its rejection goes to DELIVERED."""
        op = walk(TOSS, (*returning(TOSS, origin="SHIPPING"), DELIVER))

        new = cf.apply(op, "return.reject", SELLER, reason="거절").order_product

        assert S.DELIVERED == new.status
        assert S.DELIVERED == new.closed_claims[-1].origin_status


class TestClosedClaimsDoNotBlock:
    @pytest.mark.parametrize(
        ("path", "again"),
        [
            pytest.param((*returning(TOSS), ("return.reject", SELLER, REASON)), "return.request",
                         id="T9-then-T6"),
            pytest.param((*returning(TOSS), ("return.withdraw", BUYER, {})), "return.request",
                         id="T7-then-T6"),
            pytest.param((*returning(TOSS, "COLLECTED"),
                          ("return.reject_collected", SELLER, REASON)), "return.request",
                         id="T12-then-T6"),
            pytest.param((*exchanging(TOSS), ("exchange.reject", SELLER, REASON)),
                         "exchange.request", id="T16-then-T13"),
            pytest.param((*exchanging(TOSS), ("exchange.withdraw", BUYER, {})),
                         "exchange.request", id="T14-then-T13"),
            pytest.param((*exchanging(TOSS), ("exchange.withdraw", BUYER, {})),
                         "return.request", id="T14-then-T6"),
            pytest.param((*canceling(TOSS), ("cancel.reject", SELLER, DELIVERY)),
                         "return.request", id="T4-then-T6"),
        ],
    )
    def test_new_request_after_closed_claim(self, path: Path, again: str) -> None:
        """A rejected or withdrawn claim does not block a new request (다시 반품 요청할 수
        있습니다); the new claim gets a new id and the old one stays closed."""
        op = walk(TOSS, path)

        new = cf.apply(op, again, BUYER, **REASON).order_product

        assert new.open_claim is not None
        assert (1, "OP-1-C2", CS.REQUESTED) == (
            len(new.closed_claims),
            new.open_claim.id,
            new.open_claim.status,
        )


class TestShipWithOpenCancelRequest:
    def test_f3_points_to_cancel_reject(self) -> None:
        """F3: shipping with an open cancel request is refused and points to cancel.reject, which
        ships with the invoice instead."""
        op = walk(TOSS, canceling(TOSS))

        d = cf.check(op, "order.ship", SELLER, **DELIVERY)

        assert "CLAIM_OPEN" == d.reasons[0].code
        assert "cancel.reject" in d.reasons[0].message_en
        assert "cancel.reject" in d.reasons[0].message_ko
        assert cf.check(op, "cancel.reject", SELLER, **DELIVERY).allowed


class TestDeliveryWithPendingRequest:
    @pytest.mark.parametrize("kind", ["return", "exchange"])
    def test_f4_moves_origin_to_delivered(self, kind: str) -> None:
        """F4: delivery is allowed with a pending request, whose origin becomes DELIVERED."""
        path = returning(TOSS, origin="SHIPPING") if kind == "return" else exchanging(
            TOSS, origin="SHIPPING"
        )
        op = walk(TOSS, path)
        assert op.open_claim is not None

        new = cf.apply(op, "order.deliver", SYSTEM).order_product

        assert new.open_claim is not None
        assert (S.DELIVERED, op.open_claim.id, CS.REQUESTED, S.DELIVERED) == (
            new.status,
            new.open_claim.id,
            new.open_claim.status,
            new.open_claim.origin_status,
        )


class TestImwebAutoRefund:
    def test_i3_refused_without_auto_refund(self) -> None:
        """I3: cancel.approve is refused with AUTO_REFUND_IMPOSSIBLE for a payment that cannot be
        refunded automatically, pointing to cancel.force, which is allowed."""
        op = walk(IMWEB, canceling(IMWEB), auto_refundable=False)

        d = cf.check(op, "cancel.approve", SELLER)

        assert ("AUTO_REFUND_IMPOSSIBLE", "I3") == (d.reasons[0].code, d.reasons[0].rule_id)
        assert "cancel.force" in d.reasons[0].message_en
        assert "cancel.force" in d.reasons[0].message_ko
        assert (A.CANCEL_REJECT, A.CANCEL_FORCE) == cf.allowed_actions(op, SELLER)

    def test_i13_refused_without_auto_refund(self) -> None:
        """I13: return.complete is refused with AUTO_REFUND_IMPOSSIBLE, pointing to
        return.force_complete (I15), which is allowed from RETURN_COLLECTED only then."""
        op = walk(IMWEB, returning(IMWEB, "COLLECTED"), auto_refundable=False)

        d = cf.check(op, "return.complete", SELLER)
        forced = cf.check(op, "return.force_complete", SELLER)

        assert ("AUTO_REFUND_IMPOSSIBLE", "I13") == (d.reasons[0].code, d.reasons[0].rule_id)
        assert "return.force_complete" in d.reasons[0].message_en
        assert (True, "I15", Tag.DECIDED) == (forced.allowed, forced.rule_id, forced.reasons[0].tag)

    def test_i15_not_from_collected_when_auto_refundable(self) -> None:
        """I15: with an auto-refundable payment, force_complete from RETURN_COLLECTED is refused;
        return.complete is the way."""
        op = walk(IMWEB, returning(IMWEB, "COLLECTED"))

        allowed = cf.allowed_actions(op, SELLER)

        assert A.RETURN_COMPLETE in allowed
        assert A.RETURN_FORCE_COMPLETE not in allowed


class TestImwebHold:
    @pytest.mark.parametrize("channel", ["normal", "talkpay"])
    def test_i11_naver_pay_only(self, channel: str) -> None:
        """I11: a return hold is refused (NAVER_PAY_ONLY) unless the order was paid by Naver Pay."""
        op = walk(IMWEB, returning(IMWEB), payment_channel=channel)

        d = cf.check(op, "return.hold", SELLER, reason="확인 중")

        assert (False, "NAVER_PAY_ONLY") == (d.allowed, d.reasons[0].code)
        assert A.RETURN_HOLD not in cf.allowed_actions(op, SELLER)

    @pytest.mark.parametrize("stage", ["REQUESTED", "APPROVED", "COLLECTED"])
    def test_held_claim_remembers_and_allows_only_release(self, stage: str) -> None:
        """A held claim remembers the status it held, and release is the one seller action."""
        op = walk(IMWEB, held(IMWEB, "return", stage), payment_channel="npay")

        assert op.open_claim is not None
        assert (CS.HELD, CS(stage)) == (op.open_claim.status, op.open_claim.held_from)
        assert (A.RETURN_RELEASE,) == cf.allowed_actions(op, SELLER)

    @pytest.mark.parametrize(
        ("action", "params"),
        [("return.approve", {}), ("return.reject", REASON), ("return.to_exchange", REASON)],
    )
    def test_held_claim_refuses_decisions(self, action: str, params: dict[str, Any]) -> None:
        """A held return request refuses approve, reject and to_exchange with CLAIM_HELD."""
        op = walk(IMWEB, held(IMWEB, "return", "REQUESTED"), payment_channel="npay")

        d = cf.check(op, action, SELLER, **params)

        assert (False, "CLAIM_HELD") == (d.allowed, d.reasons[0].code)

    @pytest.mark.parametrize("stage", ["REQUESTED", "APPROVED", "COLLECTED"])
    def test_release_returns_to_held_status(self, stage: str) -> None:
        """I12: release puts the claim back in the status it held, and then it can be decided."""
        op = walk(IMWEB, held(IMWEB, "return", stage), payment_channel="npay")

        new = cf.apply(op, "return.release", SELLER).order_product

        assert new.open_claim is not None
        assert (CS(stage), None, op.status) == (
            new.open_claim.status,
            new.open_claim.held_from,
            new.status,
        )
        assert [] != list(cf.allowed_actions(new, SELLER))
        assert A.RETURN_RELEASE not in cf.allowed_actions(new, SELLER)

    def test_exchange_hold_any_channel(self) -> None:
        """I16: an exchange hold is not limited to Naver Pay; the held exchange allows only
        release."""
        op = walk(IMWEB, held(IMWEB, "exchange", "REQUESTED"))

        assert op.open_claim is not None
        assert (CS.HELD, CS.REQUESTED) == (op.open_claim.status, op.open_claim.held_from)
        assert (A.EXCHANGE_RELEASE,) == cf.allowed_actions(op, SELLER)


class TestReturnToExchange:
    def test_i8_converts_with_same_origin(self) -> None:
        """I8: return.to_exchange closes the return and opens an exchange request with the same
        origin, under a new claim id."""
        op = walk(IMWEB, returning(IMWEB, origin="SHIPPING"))
        old = op.open_claim
        assert old is not None

        applied = cf.apply(op, "return.to_exchange", SELLER, reason="교환으로 변경")
        new = applied.order_product

        assert new.open_claim is not None
        assert (CT.EXCHANGE, CS.REQUESTED, old.origin_status) == (
            new.open_claim.type,
            new.open_claim.status,
            new.open_claim.origin_status,
        )
        assert old.id != new.open_claim.id
        assert ((old.id, CT.RETURN),) == tuple((c.id, c.type) for c in new.closed_claims)
        assert (new.open_claim.id, CT.EXCHANGE, CS.REQUESTED) == (
            applied.event.claim_id,
            applied.event.claim_type,
            applied.event.claim_status_after,
        )
        assert A.EXCHANGE_APPROVE in cf.allowed_actions(new, SELLER)


class TestImwebRefunding:
    def test_i13_then_refund_succeeded(self) -> None:
        """I13 then I14: return_done leaves the claim REFUNDING; the gateway's success returns."""
        op = walk(IMWEB, returning(IMWEB, "COLLECTED"))

        refunding = cf.apply(op, "return.complete", SELLER).order_product
        done = cf.apply(refunding, "return.refund_succeeded", SYSTEM).order_product

        assert refunding.open_claim is not None
        assert (S.RETURN_COLLECTED, CS.REFUNDING) == (
            refunding.status,
            refunding.open_claim.status,
        )
        assert (A.RETURN_REFUND_FAILED, A.RETURN_REFUND_SUCCEEDED) == cf.allowed_actions(
            refunding, SYSTEM
        )
        assert (A.RETURN_FORCE_COMPLETE,) == cf.allowed_actions(refunding, SELLER)
        assert (S.RETURNED, None, CS.COMPLETED) == (
            done.status,
            done.open_claim,
            done.closed_claims[-1].status,
        )

    def test_i14_refund_failed_then_force_complete(self) -> None:
        """I14 then I15: after a failed refund only force_complete remains, and it returns."""
        op = walk(IMWEB, returning(IMWEB, "REFUND_FAILED"))

        done = cf.apply(op, "return.force_complete", SELLER)

        assert op.open_claim is not None
        assert (S.RETURN_COLLECTED, CS.REFUND_FAILED) == (op.status, op.open_claim.status)
        assert (A.RETURN_FORCE_COMPLETE,) == cf.allowed_actions(op, SELLER)
        assert () == cf.allowed_actions(op, SYSTEM)
        assert (S.RETURNED, ()) == (done.order_product.status, done.effects)


class TestImwebCancelRefundFailed:
    def test_entry_state_allows_retry_and_force(self) -> None:
        """A cancel read from imweb as REFUND_FAILED allows cancel.retry_refund and cancel.force."""
        op = fresh(IMWEB, **REFUND_FAILED_CANCEL)

        assert (A.CANCEL_RETRY_REFUND, A.CANCEL_FORCE) == cf.allowed_actions(op, SELLER)

    def test_retry_refunds_and_force_does_not(self) -> None:
        """I4 retries the refund (REFUND effect); I5 marks it refunded manually (no effect)."""
        op = fresh(IMWEB, **REFUND_FAILED_CANCEL)

        retry = cf.check(op, "cancel.retry_refund", SELLER)
        force = cf.check(op, "cancel.force", SELLER)

        assert ((REFUND,), ()) == (retry.effects, force.effects)


class TestX2beeCancel:
    def test_x1_immediate_with_restores(self) -> None:
        """X1: the storefront cancel is done at once: CANCELED, a COMPLETED cancel claim recorded,
        with refund, coupon and stock restore and a buyer notice."""
        applied = cf.apply(fresh(X2BEE), "cancel.request", BUYER, **REASON)

        assert (REFUND, *RESTORE, NOTIFY) == applied.effects
        assert (S.CANCELED, None) == (
            applied.order_product.status,
            applied.order_product.open_claim,
        )
        assert ((CT.CANCEL, CS.COMPLETED, S.PAID),) == tuple(
            (c.type, c.status, c.origin_status) for c in applied.order_product.closed_claims
        )

    def test_x1_extra_payment_replaces_refund(self) -> None:
        """X1: with extra_payment the preview carries CHARGE_EXTRA instead of REFUND."""
        d = cf.check(fresh(X2BEE), "cancel.request", BUYER, extra_payment=4_500, **REASON)

        assert None is d.effect(EK.REFUND)
        assert cf.Effect(EK.CHARGE_EXTRA, amount=4_500) == d.effect(EK.CHARGE_EXTRA)
        kinds = {e.kind for e in d.effects}
        assert {EK.RESTORE_COUPONS, EK.RESTORE_STOCK, EK.NOTIFY_BUYER} <= kinds


class TestOptionChange:
    def test_x2_changes_the_item(self) -> None:
        """X2: after the option change the order product carries the new item, same price."""
        new = cf.apply(fresh(X2BEE), "option.change", BUYER, new_item=NEW_ITEM).order_product

        assert ("ITEM-B", UNIT_PRICE, S.PAID, None) == (
            new.item_id,
            new.unit_price,
            new.status,
            new.open_claim,
        )

    @pytest.mark.parametrize(
        "item",
        [
            pytest.param(cf.CandidateItem("ITEM-A", UNIT_PRICE, True, 5), id="same-item"),
            pytest.param(cf.CandidateItem("ITEM-B", UNIT_PRICE, False, 5), id="not-on-sale"),
            pytest.param(cf.CandidateItem("ITEM-B", UNIT_PRICE, True, 0), id="no-stock"),
            pytest.param(cf.CandidateItem("ITEM-B", UNIT_PRICE - 1, True, 5), id="cheaper"),
        ],
    )
    def test_x2_refuses_bad_items(self, item: cf.CandidateItem) -> None:
        """X2: the same item, one not on sale, out of stock or of another price is refused."""
        d = cf.check(fresh(X2BEE), "option.change", BUYER, new_item=item)

        assert (False, "INVALID_PARAMETER", "new_item") == (
            d.allowed,
            d.reasons[0].code,
            d.reasons[0].field,
        )


class TestX2beeReturnComplete:
    def test_x3_restores_coupons_and_stock(self) -> None:
        """X3: return.complete also restores coupons and stock (and only from RETURN_COLLECTED)."""
        op = walk(X2BEE, returning(X2BEE, "COLLECTED"))

        d = cf.check(op, "return.complete", SELLER)

        assert (True, "X3.T11") == (d.allowed, d.rule_id)
        assert {EK.REFUND, EK.RESTORE_COUPONS, EK.RESTORE_STOCK} <= {e.kind for e in d.effects}


TERMINALS = [
    pytest.param(mp, path, id=f"{mp}-{name}")
    for mp in (TOSS, IMWEB, X2BEE)
    for name, path in (
        ("CANCELED", (*canceling(mp), ("cancel.approve", SELLER, {}))
         + ((("cancel.refund_succeeded", SYSTEM, {}),) if mp == IMWEB else ())
         if mp != X2BEE else CANCELED_PATH),
        ("RETURNED", returning(mp, "COLLECTED") + (
            (("return.complete", SELLER, {}), ("return.refund_succeeded", SYSTEM, {}))
            if mp == IMWEB else (("return.complete", SELLER, {}),)
        )),
        ("CONFIRMED", (*settled(mp, "DELIVERED"), ("order.confirm", BUYER, {}))),
    )
]


class TestTerminalStatuses:
    @pytest.mark.parametrize(("mp", "path"), TERMINALS)
    @pytest.mark.parametrize("actor", [BUYER, SELLER, SYSTEM])
    def test_nothing_allowed(self, mp: str, path: Path, actor: str) -> None:
        """CANCELED, RETURNED and CONFIRMED allow no action to anyone."""
        op = walk(mp, path)

        assert op.status.terminal
        assert () == cf.allowed_actions(op, actor)

    @pytest.mark.parametrize(("mp", "path"), TERMINALS)
    def test_every_refusal_says_terminal(self, mp: str, path: Path) -> None:
        """Every action the marketplace offers is refused with TERMINAL_STATUS."""
        op = walk(mp, path)

        codes = {r.code for reasons in cf.refused_actions(op, SELLER).values() for r in reasons}

        assert {"TERMINAL_STATUS"} == codes


class TestExchanged:
    @pytest.mark.parametrize("mp", [TOSS, X2BEE])
    def test_exchanged_allows_new_requests(self, mp: str) -> None:
        """EXCHANGED is not terminal: the buyer may request a return or a new exchange, or
        confirm."""
        op = walk(mp, settled(mp, "EXCHANGED"))

        assert (A.RETURN_REQUEST, A.EXCHANGE_REQUEST, A.ORDER_CONFIRM) == cf.allowed_actions(
            op, BUYER
        )

    def test_exchanged_allows_new_exchange_on_imweb(self) -> None:
        """I16: on imweb, too, an exchanged order product may be exchanged again."""
        op = walk(IMWEB, settled(IMWEB, "EXCHANGED"))

        assert A.EXCHANGE_REQUEST in cf.allowed_actions(op, BUYER)
