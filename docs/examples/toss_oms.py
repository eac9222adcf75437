"""A small order-management service for Toss Shopping, written from the Toss seller guides alone.

It does NOT import claimflow's rules: it is the kind of hand-written code an OMS team has, and
``docs/testing.md`` shows how ``claimflow.testing`` checks it. Statuses and actions use the same
names as claimflow so the binding at the bottom stays a few lines.

Rules, from the guides (취소 000_…, 반품 001_…, 교환 003_…):
- buyer cancel in 결제완료 is immediate (refund, no claim); in 상품준비중/발송지연 it is a request
  the seller approves (refund) or rejects with an invoice (→ 배송중); Toss itself approves a request
  left 7 business days (the integration notes);
- the seller may cancel directly up to 배송완료, even with a claim in progress, also once that
  claim moved the line on (수거중, 수거완료, 재배송중);
- returns and exchanges are requested in 배송중/배송완료 (and 교환완료), approved, collected, then
  completed (return: refund) or rejected after collection (반려: back to where they started).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

PAID, PREPARING, DELAYED = "PAID", "PREPARING", "DELAYED"
SHIPPING, DELIVERED, CANCELED = "SHIPPING", "DELIVERED", "CANCELED"
RC, RCD, RETURNED = "RETURN_COLLECTING", "RETURN_COLLECTED", "RETURNED"
EC, ECD, REDELIVERING, EXCHANGED = (
    "EXCHANGE_COLLECTING",
    "EXCHANGE_COLLECTED",
    "REDELIVERING",
    "EXCHANGED",
)
CONFIRMED = "CONFIRMED"


class NotAllowedError(Exception):
    """The OMS refuses an action."""


@dataclass
class Line:
    """One order line as the OMS stores it."""

    id: str
    price: int
    status: str = PAID
    claim: dict[str, Any] | None = None  # {"type", "status", "origin"}
    history: list[dict[str, Any]] = field(default_factory=list)


class TossOMS:
    """The OMS: one method per thing a person or Toss can do. Each returns the effects caused."""

    def __init__(self) -> None:
        self.lines: dict[str, Line] = {}

    # -- helpers ---------------------------------------------------------------------------
    def _need(self, cond: bool, why: str) -> None:
        if not cond:
            raise NotAllowedError(why)

    def _open(self, line: Line, ctype: str) -> None:
        line.claim = {"type": ctype, "status": "REQUESTED", "origin": line.status}

    def _close(self, line: Line, status: str) -> None:
        assert line.claim is not None
        line.history.append({**line.claim, "status": status})
        line.claim = None

    def _claim_is(self, line: Line, ctype: str, status: str) -> bool:
        return line.claim is not None and (line.claim["type"], line.claim["status"]) == (
            ctype,
            status,
        )

    # -- fulfilment --------------------------------------------------------------------------
    def prepare(self, line: Line) -> list[str]:
        self._need(line.status == PAID and line.claim is None, "prepare only when paid")
        line.status = PREPARING
        return []

    def delay(self, line: Line, deadline: Any) -> list[str]:
        self._need(line.status == PREPARING and line.claim is None, "delay only when preparing")
        line.status = DELAYED
        return ["NOTIFY_BUYER"]

    def ship(self, line: Line, carrier: str, tracking: str) -> list[str]:
        self._need(line.status in (PAID, PREPARING, DELAYED), "already shipped")
        self._need(line.claim is None, "answer the cancel request first")
        line.status = SHIPPING
        return ["REGISTER_DELIVERY"]

    def deliver(self, line: Line) -> list[str]:
        self._need(line.status == SHIPPING, "not shipping")
        if line.claim is not None:
            self._need(line.claim["status"] == "REQUESTED", "claim in progress")
            line.claim["origin"] = DELIVERED
        line.status = DELIVERED
        return []

    def confirm(self, line: Line) -> list[str]:
        self._need(line.status in (DELIVERED, EXCHANGED) and line.claim is None, "cannot confirm")
        line.status = CONFIRMED
        return []

    # -- cancel ------------------------------------------------------------------------------
    def buyer_cancel(self, line: Line) -> list[str]:
        self._need(line.claim is None, "a claim is open")
        if line.status == PAID:
            line.status = CANCELED
            return ["REFUND"]
        self._need(line.status in (PREPARING, DELAYED), "cancel only before shipping")
        self._open(line, "CANCEL")
        return []

    def approve_cancel(self, line: Line) -> list[str]:
        self._need(self._claim_is(line, "CANCEL", "REQUESTED"), "no cancel request")
        self._close(line, "APPROVED")
        line.status = CANCELED
        return ["REFUND"]

    def reject_cancel(self, line: Line) -> list[str]:
        self._need(self._claim_is(line, "CANCEL", "REQUESTED"), "no cancel request")
        self._close(line, "REJECTED")
        line.status = SHIPPING
        return ["REGISTER_DELIVERY"]

    def seller_cancel(self, line: Line) -> list[str]:
        before_delivery_ends = (PAID, PREPARING, DELAYED, SHIPPING, DELIVERED)
        moved_by_a_claim = (RC, RCD, EC, ECD, REDELIVERING)
        self._need(
            line.status in before_delivery_ends
            or (line.claim is not None and line.status in moved_by_a_claim),
            "too late",
        )
        if line.claim is not None:
            self._close(line, "CLOSED_BY_SELLER_CANCEL")
        line.status = CANCELED
        return ["REFUND"]

    # -- return and exchange (same shape) ---------------------------------------------------
    def request(self, line: Line, ctype: str) -> list[str]:
        self._need(line.claim is None, "a claim is open")
        self._need(line.status in (SHIPPING, DELIVERED, EXCHANGED), "not delivered yet")
        self._open(line, ctype)
        return []

    def withdraw(self, line: Line, ctype: str) -> list[str]:
        self._need(self._claim_is(line, ctype, "REQUESTED"), "nothing to withdraw")
        self._close(line, "WITHDRAWN")
        return []

    def approve(self, line: Line, ctype: str) -> list[str]:
        self._need(self._claim_is(line, ctype, "REQUESTED"), "nothing to approve")
        assert line.claim is not None
        line.claim["status"] = "APPROVED"
        line.status = RC if ctype == "RETURN" else EC
        return []

    def reject(self, line: Line, ctype: str) -> list[str]:
        self._need(self._claim_is(line, ctype, "REQUESTED"), "nothing to reject")
        assert line.claim is not None
        line.status = line.claim["origin"]
        self._close(line, "REJECTED")
        return []

    def collect(self, line: Line, ctype: str) -> list[str]:
        self._need(self._claim_is(line, ctype, "APPROVED"), "not being collected")
        assert line.claim is not None
        line.claim["status"] = "COLLECTED"
        line.status = RCD if ctype == "RETURN" else ECD
        return []

    def reject_collected(self, line: Line, ctype: str) -> list[str]:
        self._need(self._claim_is(line, ctype, "COLLECTED"), "not collected")
        assert line.claim is not None
        line.status = line.claim["origin"]  # 반려: back to where the claim started
        self._close(line, "COLLECTION_REJECTED")
        return []

    def complete_return(self, line: Line) -> list[str]:
        self._need(self._claim_is(line, "RETURN", "COLLECTED"), "not collected")
        self._close(line, "COMPLETED")
        line.status = RETURNED
        return ["REFUND"]

    def redeliver(self, line: Line, carrier: str, tracking: str) -> list[str]:
        self._need(self._claim_is(line, "EXCHANGE", "COLLECTED"), "not collected")
        assert line.claim is not None
        line.claim["status"] = "REDELIVERING"
        line.status = REDELIVERING
        return ["REGISTER_DELIVERY"]

    def change_invoice(self, line: Line, carrier: str, tracking: str) -> list[str]:
        self._need(self._claim_is(line, "EXCHANGE", "REDELIVERING"), "not redelivering")
        return ["REGISTER_DELIVERY"]

    def complete_exchange(self, line: Line) -> list[str]:
        self._need(self._claim_is(line, "EXCHANGE", "REDELIVERING"), "not redelivering")
        self._close(line, "COMPLETED")
        line.status = EXCHANGED
        return []


# --- the binding claimflow.testing drives (the only place that knows claimflow) ------------------

from claimflow.testing import Observed, Performed, Refused  # noqa: E402 - the binding's own import

SELLER_ONLY = {
    "order.prepare",
    "order.delay",
    "order.ship",
    "cancel.approve",
    "cancel.reject",
    "cancel.by_seller",
    "return.approve",
    "return.reject",
    "return.collect",
    "return.complete",
    "return.reject_collected",
    "exchange.approve",
    "exchange.reject",
    "exchange.collect",
    "exchange.redeliver",
    "exchange.change_invoice",
    "exchange.complete",
    "exchange.reject_collected",
}
BUYER_ONLY = {
    "cancel.request",
    "return.request",
    "return.withdraw",
    "exchange.request",
    "exchange.withdraw",
}


class TossOMSBinding:
    """Lets claimflow.testing.oracle drive TossOMS."""

    oms_class: type[TossOMS] = TossOMS

    def __init__(self) -> None:
        self.oms = self.oms_class()

    def create(self, order_product: Any) -> str:
        self.oms.lines[order_product.id] = Line(order_product.id, order_product.amount)
        return str(order_product.id)

    def perform(self, handle: str, action: Any, actor: Any, params: Any) -> Any:
        line, oms, a, who = self.oms.lines[handle], self.oms, str(action), str(actor)
        toss_approves = a == "cancel.approve" and who == "SYSTEM"  # after 7 business days
        if (a in SELLER_ONLY and who != "SELLER" and not toss_approves) or (
            a in BUYER_ONLY and who != "BUYER"
        ):
            return Refused(f"{who} may not {a}")
        if a == "order.deliver" and who != "SYSTEM":
            return Refused("only the carrier delivers")
        if a == "order.confirm" and who == "SELLER":
            return Refused("the seller cannot confirm a purchase")
        group, _, verb = a.partition(".")
        ctype = group.upper()
        try:
            p = dict(params)
            required = {
                "cancel.request": ["reason"],
                "return.request": ["reason"],
                "exchange.request": ["reason"],
                "return.reject": ["reason"],
                "exchange.reject": ["reason"],
                "return.reject_collected": ["reason"],
                "exchange.reject_collected": ["reason"],
                "order.delay": ["shipping_deadline"],
                "cancel.by_seller": ["fee_payer", "reason"],
            }.get(a, [])
            if a in (
                "order.ship",
                "cancel.reject",
                "exchange.redeliver",
                "exchange.change_invoice",
            ):
                required = ["carrier", "tracking_number"]
            for name in required:
                if not _valid(name, p.get(name)):
                    return Refused(f"bad {name}")
            calls = {
                "order.prepare": lambda: oms.prepare(line),
                "order.delay": lambda: oms.delay(line, p["shipping_deadline"]),
                "order.ship": lambda: oms.ship(line, p["carrier"], p["tracking_number"]),
                "order.deliver": lambda: oms.deliver(line),
                "order.confirm": lambda: oms.confirm(line),
                "cancel.request": lambda: oms.buyer_cancel(line),
                "cancel.approve": lambda: oms.approve_cancel(line),
                "cancel.reject": lambda: oms.reject_cancel(line),
                "cancel.by_seller": lambda: oms.seller_cancel(line),
                "return.complete": lambda: oms.complete_return(line),
                "exchange.redeliver": lambda: oms.redeliver(
                    line, p["carrier"], p["tracking_number"]
                ),
                "exchange.change_invoice": lambda: oms.change_invoice(
                    line, p["carrier"], p["tracking_number"]
                ),
                "exchange.complete": lambda: oms.complete_exchange(line),
            }
            if a in calls:
                effects = calls[a]()
            elif verb in (
                "request",
                "withdraw",
                "approve",
                "reject",
                "collect",
                "reject_collected",
            ):
                effects = getattr(oms, verb)(line, ctype)
            else:
                return Refused(f"{a} is not a Toss action")
        except NotAllowedError as e:
            return Refused(str(e))
        if p.get("extra_payment"):  # Toss stated that the buyer pays more: a charge, no refund
            effects = ["CHARGE_EXTRA" if e == "REFUND" else e for e in effects]
        return Performed(effects)

    def read(self, handle: str) -> Any:
        line = self.oms.lines[handle]
        c = line.claim
        return Observed(line.status, c["type"] if c else None, c["status"] if c else None)


def _valid(name: str, value: Any) -> bool:
    if name == "tracking_number":
        return isinstance(value, str) and bool(re.fullmatch(r"[0-9A-Za-z-]{4,40}", value.strip()))
    if name == "fee_payer":
        return value in ("USER", "MERCHANT")
    if name == "shipping_deadline":
        return isinstance(value, dt.date) and value > dt.date.today()
    if name == "reason":
        return isinstance(value, str) and 0 < len(value.strip()) <= 250
    return isinstance(value, str) and bool(value.strip())
