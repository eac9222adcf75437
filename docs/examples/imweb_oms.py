"""A small order-management service for imweb, written from the imweb rules table alone.

It does NOT import claimflow's rules: it was written from the imweb table of
``spec/rules.md`` (rows I1-I16 and the fulfilment rows F1-F5), the way an OMS team writes its
own claim handling, and ``docs/testing.md`` shows how ``claimflow.testing`` checks it. Statuses
and actions use the same names as claimflow so the binding at the bottom stays short.

What it implements, row by row:
- fulfilment: prepare (결제완료 → 상품준비중), ship (→ 배송중, registers the delivery), the
  carrier's delivery (→ 배송완료; a pending return or exchange request now starts from 배송완료),
  purchase confirmation;
- cancel (I1-I5): the buyer requests before shipping; the seller rejects with an invoice (ships),
  approves (the refund goes out: 환불중 until the gateway answers, I3/I3a; refused when the payment
  cannot be refunded automatically), retries a failed refund (I4) or force-cancels (I5);
- return (I6-I15): requested in 배송중/배송완료/교환완료; rejected, turned into an exchange,
  approved, collected, held and released (Naver Pay only), completed with an automatic refund
  (환불중, then the gateway's success or failure) or force-completed (manual refund);
- exchange (I16): as Toss but imweb's names; the rejection ships the item back (carrier and
  invoice); a hold is possible for any payment, before the replacement ships.

Three class attributes name the rows ``spec/rules.md`` changed this turn (I3/I3a/I4, I6, M6),
so that the same code can be checked against an engine that has not caught up yet (see
``rules_compat.py``); I16's rejection with an invoice is what the engine does now, unflagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

PAID, PREPARING, SHIPPING, DELIVERED = "PAID", "PREPARING", "SHIPPING", "DELIVERED"
CANCELED, CONFIRMED = "CANCELED", "CONFIRMED"
RC, RCD, RETURNED = "RETURN_COLLECTING", "RETURN_COLLECTED", "RETURNED"
EC, ECD, REDELIVERING, EXCHANGED = (
    "EXCHANGE_COLLECTING",
    "EXCHANGE_COLLECTED",
    "REDELIVERING",
    "EXCHANGED",
)
HOLDABLE = ("REQUESTED", "APPROVED", "COLLECTED")  # before any money or replacement moves
REASON_CODES = {
    "INTENT_CHANGED",
    "COLOR_AND_SIZE",
    "WRONG_ORDER",
    "PRODUCT_UNSATISFIED",
    "DELAYED_DELIVERY",
    "DROPPED_DELIVERY",
    "SOLD_OUT",
    "BROKEN",
    "INCORRECT_INFO",
    "WRONG_DELIVERY",
    "WRONG_OPTION",
}  # marketplaces.md, imweb reason codes


class NotAllowedError(Exception):
    """The OMS refuses an action."""


@dataclass
class Item:
    """One imweb item order (prod_order) as the OMS stores it."""

    id: str
    unit_price: int
    quantity: int
    channel: str  # normal / npay / talkpay
    auto_refundable: bool  # card, easy-pay: yes; bank transfer, virtual account: no
    status: str = PAID
    claim: dict[str, Any] | None = None  # type, status, origin, held (the status a hold stopped)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def paid(self) -> int:
        return self.unit_price * self.quantity


Effects = list[dict[str, Any]]


class ImwebOMS:
    """The OMS: one method per thing a person, the carrier or the gateway does; effects out."""

    # rows rules.md changed this turn (I3/I3a/I4, I6, M6)
    REFUND_IS_ASYNC = True  # I3: approve → 환불중; I3a: the gateway answers; I4: retry → 환불중
    RETURN_FROM_EXCHANGED = True  # I6: a return may be requested in 교환완료
    CHARGE_EXTRA_IS_REMAINDER = True  # M6: only what the refund cannot cover is charged

    def __init__(self) -> None:
        self.items: dict[str, Item] = {}

    # -- helpers -----------------------------------------------------------------------------
    def _need(self, cond: bool, why: str) -> None:
        if not cond:
            raise NotAllowedError(why)

    def _is(self, it: Item, ctype: str, *statuses: str) -> bool:
        return it.claim is not None and it.claim["type"] == ctype and it.claim["status"] in statuses

    def _open(self, it: Item, ctype: str, origin: str | None = None) -> None:
        it.claim = {"type": ctype, "status": "REQUESTED", "origin": origin or it.status}

    def _close(self, it: Item, status: str) -> None:
        assert it.claim is not None
        it.history.append({**it.claim, "status": status})
        it.claim = None

    def _refund(self, it: Item, extra_charge: int, points: int) -> Effects:
        effects: Effects
        if not self.CHARGE_EXTRA_IS_REMAINDER:
            effects = [{"kind": "REFUND", "amount": max(it.paid - extra_charge, 0)}]
            if extra_charge:
                effects.append({"kind": "CHARGE_EXTRA"})
        elif extra_charge > it.paid:  # M6: what the refund cannot cover is charged
            effects = [{"kind": "CHARGE_EXTRA", "amount": extra_charge - it.paid}]
        else:
            effects = [{"kind": "REFUND", "amount": it.paid - extra_charge}]
        if points:
            effects.append({"kind": "REFUND_POINTS", "amount": points})
        return effects

    def _not_held(self, it: Item) -> None:
        # the Naver rule: a held claim takes no seller action but release
        self._need(it.claim is None or it.claim["status"] != "HELD", "on hold: release it first")

    # -- fulfilment (F1, F3-F5) --------------------------------------------------------------
    def prepare(self, it: Item) -> Effects:
        self._need(it.status == PAID and it.claim is None, "prepare only when paid")
        it.status = PREPARING
        return []

    def ship(self, it: Item, carrier: str, tracking: str) -> Effects:
        self._need(it.status in (PAID, PREPARING), "already shipped")
        self._need(it.claim is None, "answer the cancel request first")
        it.status = SHIPPING
        return [{"kind": "REGISTER_DELIVERY", "carrier": carrier, "tracking_number": tracking}]

    def deliver(self, it: Item) -> Effects:
        self._need(it.status == SHIPPING, "not shipping")
        if it.claim is not None:
            self._need(it.claim["status"] == "REQUESTED", "claim in progress")
            it.claim["origin"] = DELIVERED
        it.status = DELIVERED
        return []

    def confirm(self, it: Item) -> Effects:
        self._need(it.status in (DELIVERED, EXCHANGED) and it.claim is None, "cannot confirm")
        it.status = CONFIRMED
        return []

    # -- cancel (I1-I5) ----------------------------------------------------------------------
    def cancel_request(self, it: Item) -> Effects:
        self._need(it.claim is None, "a claim is open")
        self._need(it.status in (PAID, PREPARING), "cancel only before shipping")
        self._open(it, "CANCEL")
        return []

    def cancel_reject(self, it: Item, carrier: str, tracking: str) -> Effects:
        self._need(self._is(it, "CANCEL", "REQUESTED"), "no cancel request")
        self._close(it, "REJECTED")
        it.status = SHIPPING
        return [{"kind": "REGISTER_DELIVERY", "carrier": carrier, "tracking_number": tracking}]

    def cancel_approve(self, it: Item, extra_charge: int, points: int) -> Effects:
        self._need(self._is(it, "CANCEL", "REQUESTED"), "no cancel request")
        self._need(it.auto_refundable, "auto refund impossible: use cancel.force")
        effects = self._refund(it, extra_charge, points)
        assert it.claim is not None
        # a retry sends the same refund again (I4)
        it.claim["refund"] = sum(e["amount"] for e in effects if e["kind"] == "REFUND")
        if self.REFUND_IS_ASYNC:
            it.claim["status"] = "REFUNDING"
        else:
            self._close(it, "COMPLETED")
            it.status = CANCELED
        return effects

    def cancel_refund_result(self, it: Item, succeeded: bool) -> Effects:
        self._need(self.REFUND_IS_ASYNC, "no asynchronous cancel refunds")
        self._need(self._is(it, "CANCEL", "REFUNDING"), "no cancel refund under way")
        assert it.claim is not None
        if succeeded:
            self._close(it, "COMPLETED")
            it.status = CANCELED
        else:
            it.claim["status"] = "REFUND_FAILED"
        return []

    def cancel_retry(self, it: Item) -> Effects:
        self._need(self._is(it, "CANCEL", "REFUND_FAILED"), "no failed cancel refund")
        assert it.claim is not None
        amount = it.claim.get("refund", it.paid)
        if self.REFUND_IS_ASYNC:
            it.claim["status"] = "REFUNDING"
        else:
            self._close(it, "COMPLETED")
            it.status = CANCELED
        return [{"kind": "REFUND", "amount": amount}]

    def cancel_force(self, it: Item) -> Effects:
        self._need(self._is(it, "CANCEL", "REQUESTED", "REFUND_FAILED"), "nothing to force")
        self._close(it, "COMPLETED")
        it.status = CANCELED
        return []  # the seller refunds by hand

    # -- return (I6-I15) ---------------------------------------------------------------------
    def return_request(self, it: Item) -> Effects:
        self._need(it.claim is None, "a claim is open")
        allowed = (
            (SHIPPING, DELIVERED, EXCHANGED)
            if self.RETURN_FROM_EXCHANGED
            else (
                SHIPPING,
                DELIVERED,
            )
        )
        self._need(it.status in allowed, "not delivered yet")
        self._open(it, "RETURN")
        return []

    def return_reject(self, it: Item) -> Effects:
        self._need(self._is(it, "RETURN", "REQUESTED"), "no return request")
        assert it.claim is not None
        it.status = it.claim["origin"]
        self._close(it, "REJECTED")
        return []

    def return_to_exchange(self, it: Item) -> Effects:
        self._need(self._is(it, "RETURN", "REQUESTED"), "no return request")
        assert it.claim is not None
        origin = it.claim["origin"]
        self._close(it, "REJECTED")
        self._open(it, "EXCHANGE", origin)
        return []

    def return_approve(self, it: Item) -> Effects:
        self._need(self._is(it, "RETURN", "REQUESTED"), "no return request")
        assert it.claim is not None
        it.claim["status"] = "APPROVED"
        it.status = RC
        return []

    def return_collect(self, it: Item) -> Effects:
        self._need(self._is(it, "RETURN", "APPROVED"), "not being collected")
        assert it.claim is not None
        it.claim["status"] = "COLLECTED"
        it.status = RCD
        return []

    def hold(self, it: Item, ctype: str) -> Effects:
        self._need(self._is(it, ctype, *HOLDABLE), "nothing to hold")
        if ctype == "RETURN":
            self._need(it.channel == "npay", "return holds are for Naver Pay orders only")
        assert it.claim is not None
        it.claim["held"] = it.claim["status"]
        it.claim["status"] = "HELD"
        return []

    def release(self, it: Item, ctype: str) -> Effects:
        self._need(self._is(it, ctype, "HELD"), "not on hold")
        assert it.claim is not None
        it.claim["status"] = it.claim.pop("held")
        return []

    def return_complete(self, it: Item, extra_charge: int, points: int) -> Effects:
        self._need(self._is(it, "RETURN", "COLLECTED"), "not collected")
        self._need(it.auto_refundable, "auto refund impossible: use return.force_complete")
        assert it.claim is not None
        it.claim["status"] = "REFUNDING"
        return self._refund(it, extra_charge, points)

    def return_refund_result(self, it: Item, succeeded: bool) -> Effects:
        self._need(self._is(it, "RETURN", "REFUNDING"), "no return refund under way")
        assert it.claim is not None
        if succeeded:
            self._close(it, "COMPLETED")
            it.status = RETURNED
        else:
            it.claim["status"] = "REFUND_FAILED"
        return []

    def return_force_complete(self, it: Item) -> Effects:
        manual = self._is(it, "RETURN", "COLLECTED") and not it.auto_refundable
        self._need(manual or self._is(it, "RETURN", "REFUNDING", "REFUND_FAILED"), "cannot force")
        self._close(it, "COMPLETED")
        it.status = RETURNED
        return []  # the seller refunds by agreement

    # -- exchange (I16) ----------------------------------------------------------------------
    def exchange_request(self, it: Item) -> Effects:
        self._need(it.claim is None, "a claim is open")
        self._need(it.status in (SHIPPING, DELIVERED, EXCHANGED), "not delivered yet")
        self._open(it, "EXCHANGE")
        return []

    def exchange_reject(self, it: Item, carrier: str, tracking: str) -> Effects:
        """I16: the item ships back, so the rejection registers carrier and invoice."""
        self._need(self._is(it, "EXCHANGE", "REQUESTED"), "no exchange request")
        assert it.claim is not None
        it.status = it.claim["origin"]
        self._close(it, "REJECTED")
        return [{"kind": "REGISTER_DELIVERY", "carrier": carrier, "tracking_number": tracking}]

    def exchange_approve(self, it: Item) -> Effects:
        self._need(self._is(it, "EXCHANGE", "REQUESTED"), "no exchange request")
        assert it.claim is not None
        it.claim["status"] = "APPROVED"
        it.status = EC
        return []

    def exchange_collect(self, it: Item) -> Effects:
        self._need(self._is(it, "EXCHANGE", "APPROVED"), "not being collected")
        assert it.claim is not None
        it.claim["status"] = "COLLECTED"
        it.status = ECD
        return []

    def exchange_redeliver(self, it: Item, carrier: str, tracking: str) -> Effects:
        self._need(self._is(it, "EXCHANGE", "COLLECTED"), "not collected")
        assert it.claim is not None
        it.claim["status"] = "REDELIVERING"
        it.status = REDELIVERING
        return [{"kind": "REGISTER_DELIVERY", "carrier": carrier, "tracking_number": tracking}]

    def exchange_complete(self, it: Item) -> Effects:
        self._need(self._is(it, "EXCHANGE", "REDELIVERING"), "not redelivering")
        self._close(it, "COMPLETED")
        it.status = EXCHANGED
        return []


# --- the binding claimflow.testing drives (the only place that knows claimflow) ------------------

from claimflow.testing import Observed, Performed, Refused  # noqa: E402 - the binding's own import

ACTORS = {  # who may press each button
    "order.prepare": "SELLER",
    "order.ship": "SELLER",
    "order.deliver": "SYSTEM",
    "cancel.request": "BUYER",
    "cancel.reject": "SELLER",
    "cancel.approve": "SELLER",
    "cancel.refund_succeeded": "SYSTEM",
    "cancel.refund_failed": "SYSTEM",
    "cancel.retry_refund": "SELLER",
    "cancel.force": "SELLER",
    "return.request": "BUYER",
    "return.refund_succeeded": "SYSTEM",
    "return.refund_failed": "SYSTEM",
    "exchange.request": "BUYER",
}
_TRACKING = re.compile(r"[0-9A-Za-z-]{4,40}")


class ImwebOMSBinding:
    """Lets claimflow.testing.oracle drive ImwebOMS."""

    oms_class: type[ImwebOMS] = ImwebOMS

    def __init__(self) -> None:
        self.oms = self.oms_class()

    def create(self, order_product: Any) -> str:
        op = order_product
        self.oms.items[op.id] = Item(
            op.id, op.unit_price, op.quantity, str(op.payment_channel), op.auto_refundable
        )
        return str(op.id)

    def perform(self, handle: str, action: Any, actor: Any, params: Any) -> Any:
        it, oms, a, who, p = self.oms.items[handle], self.oms, str(action), str(actor), params
        if a == "order.confirm":
            if who == "SELLER":
                return Refused("the seller cannot confirm a purchase")
        elif who != ACTORS.get(a, "SELLER"):
            return Refused(f"{who} may not {a}")
        problem = _check_params(a, p, it)
        if problem:
            return Refused(problem)
        extra, points = p.get("extra_charge", 0), p.get("refund_points", 0)
        calls = {
            "order.prepare": lambda: oms.prepare(it),
            "order.ship": lambda: oms.ship(it, p["carrier"], p["tracking_number"]),
            "order.deliver": lambda: oms.deliver(it),
            "order.confirm": lambda: oms.confirm(it),
            "cancel.request": lambda: oms.cancel_request(it),
            "cancel.reject": lambda: oms.cancel_reject(it, p["carrier"], p["tracking_number"]),
            "cancel.approve": lambda: oms.cancel_approve(it, extra, points),
            "cancel.refund_succeeded": lambda: oms.cancel_refund_result(it, True),
            "cancel.refund_failed": lambda: oms.cancel_refund_result(it, False),
            "cancel.retry_refund": lambda: oms.cancel_retry(it),
            "cancel.force": lambda: oms.cancel_force(it),
            "return.request": lambda: oms.return_request(it),
            "return.reject": lambda: oms.return_reject(it),
            "return.to_exchange": lambda: oms.return_to_exchange(it),
            "return.approve": lambda: oms.return_approve(it),
            "return.collect": lambda: oms.return_collect(it),
            "return.hold": lambda: oms.hold(it, "RETURN"),
            "return.release": lambda: oms.release(it, "RETURN"),
            "return.complete": lambda: oms.return_complete(it, extra, points),
            "return.refund_succeeded": lambda: oms.return_refund_result(it, True),
            "return.refund_failed": lambda: oms.return_refund_result(it, False),
            "return.force_complete": lambda: oms.return_force_complete(it),
            "exchange.request": lambda: oms.exchange_request(it),
            "exchange.reject": lambda: oms.exchange_reject(
                it, p["carrier"], p["tracking_number"]
            ),
            "exchange.approve": lambda: oms.exchange_approve(it),
            "exchange.collect": lambda: oms.exchange_collect(it),
            "exchange.redeliver": lambda: oms.exchange_redeliver(
                it, p["carrier"], p["tracking_number"]
            ),
            "exchange.complete": lambda: oms.exchange_complete(it),
            "exchange.hold": lambda: oms.hold(it, "EXCHANGE"),
            "exchange.release": lambda: oms.release(it, "EXCHANGE"),
        }
        if a not in calls:
            return Refused(f"{a} is not an imweb action")
        try:
            if who == "SELLER" and not a.endswith(".release"):
                oms._not_held(it)
            return Performed(calls[a]())
        except NotAllowedError as e:
            return Refused(str(e))

    def read(self, handle: str) -> Any:
        it = self.oms.items[handle]
        c = it.claim
        return Observed(it.status, c["type"] if c else None, c["status"] if c else None)


def _check_params(action: str, p: Any, item: Item) -> str:
    """What is wrong with the parameters, or ""."""
    needed: list[str] = []
    if action in ("cancel.request", "return.request", "exchange.request"):
        needed = ["reason_code"]
    elif action in ("return.reject", "return.to_exchange", "return.hold", "exchange.hold"):
        needed = ["reason"]
    elif action in ("order.ship", "cancel.reject", "exchange.reject", "exchange.redeliver"):
        needed = ["carrier", "tracking_number"]  # I16: an exchange rejection ships it back
    for name in needed:
        if p.get(name) is None:
            return f"{name} is required"
    if "quantity" in p and p["quantity"] != item.quantity:  # Q2: a claim takes the whole item
        return f"imweb claims take the whole item order ({item.quantity}), not {p['quantity']!r}"
    for name, value in p.items():
        ok = {
            "reason_code": lambda v: v in REASON_CODES,
            "reason": lambda v: isinstance(v, str) and 0 < len(v.strip()) <= 250,
            "carrier": lambda v: isinstance(v, str) and 0 < len(v.strip()) <= 50,
            "tracking_number": _tracking_ok,
            "extra_charge": lambda v: type(v) is int and v >= 0,
            "refund_points": lambda v: type(v) is int and v >= 0,
            "memo": lambda v: isinstance(v, str) and 0 < len(v.strip()) <= 500,
        }.get(name, lambda v: True)(value)
        if not ok:
            return f"bad {name}: {value!r}"
    return ""


def _tracking_ok(value: Any) -> bool:
    return isinstance(value, str) and bool(_TRACKING.fullmatch(value.strip()))
