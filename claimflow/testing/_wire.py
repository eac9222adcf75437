"""Hypothesis strategies for the marketplaces' wire payloads, valid and malformed.

Valid payloads are *rendered from claimflow states*: the order products are reachable ones
(walked by :func:`~claimflow.testing.order_products`, or set into one of
:func:`~claimflow.reachable_states`) and their wire codes come from the adapters' own tables
(``toss.order_status_code``, ``imweb.wire_state``, ``x2bee.claim_status_code`` ...), so every
valid payload maps back to the state it was drawn from.
Malformed payloads take a valid one and break it in exactly one way (a missing required field, a
wrong type, an unknown status code, not-JSON bytes, another marketplace's envelope, an HTTP status
the marketplace never answers with), each paired with the field the adapter's
:class:`~claimflow.exceptions.UnexpectedResponseError` must name.

Field names, codes and envelopes are imported from the adapters wherever they are data (status
tables, error-code tables, HTTP statuses of the spec); the fields the parsers require are listed
here, per kind, so a change in an adapter's parsing shows up as a failing test rather than
silently diverging.

Needs the ``testing`` and ``adapters`` extras (hypothesis, httpx).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import string
from collections.abc import Callable, Collection, Mapping, Sequence
from enum import StrEnum
from typing import Any

import attrs
import httpx
from hypothesis import strategies as st

from .._engine import allowed_actions
from .._introspect import reachable_states
from .._params import KST
from .._values import CandidateItem, Claim, OrderProduct
from .._vocab import Action, Actor, ClaimStatus, ClaimType, Marketplace, PaymentChannel, Status
from ..adapters import imweb, toss, x2bee
from ..adapters._core import ActionResult, ItemResult, OrderRef, RemoteAction, StatusCode
from ..exceptions import InvalidInputError
from ._strategies import fresh_order_products, order_products, params_for

__all__ = [
    "KINDS",
    "Malformed",
    "Problem",
    "WirePayload",
    "malformed_payloads",
    "wire_payloads",
]

MP = Marketplace

#: The answers each adapter reads, by marketplace: what :func:`wire_payloads` can draw.
#:
#: - ``toss``: ``claims_page`` (``GET /claims``), ``orders_page`` (``GET /orders/v2``), ``action``
#:   (``SUCCESS`` to a claim action or seller cancel), ``error`` (``FAIL`` with an
#:   ``errorCode``, ``TOO_MANY_REQUEST`` included);
#: - ``imweb``: ``orders_page`` (``GET /orders``), ``prod_orders`` (``GET
#:   /orders/{order_no}/prod-orders``), ``action`` (``data.success`` / ``data.failed``, partial
#:   success included), ``error`` (negative codes and HTTP statuses in the body);
#: - ``x2bee``: ``details`` (``claimDetailsInfoFO``), ``cost`` (``claimCalculateCostFO``),
#:   ``cancel_targets`` (``cancelPopupFO``), ``candidates`` (``otherItms``), ``action`` (HTTP 200,
#:   no content or a DTO), ``error`` (HTTP 900 envelope).
KINDS: Mapping[Marketplace, tuple[str, ...]] = {
    MP.TOSS: ("claims_page", "orders_page", "action", "error"),
    MP.IMWEB: ("orders_page", "prod_orders", "action", "error"),
    MP.X2BEE: ("details", "cost", "cancel_targets", "candidates", "action", "error"),
}

_SPECS = {MP.TOSS: toss.SPEC, MP.IMWEB: imweb.SPEC, MP.X2BEE: x2bee.SPEC}


class Problem(StrEnum):
    """How a :class:`Malformed` payload is broken."""

    MISSING = "missing"  # a required field is absent
    WRONG_TYPE = "wrong_type"  # a field has the wrong JSON type (or an empty id)
    UNKNOWN_CODE = "unknown_code"  # a status / type code the adapter's tables do not know
    INCONSISTENT = "inconsistent"  # well-typed fields that contradict each other or the call
    NOT_JSON = "not_json"  # the body is not JSON at all
    WRONG_ENVELOPE = "wrong_envelope"  # another marketplace's envelope, or none
    HTTP_STATUS = "http_status"  # an HTTP status the marketplace never answers with


def _content(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    return b"" if body is None else json.dumps(body, ensure_ascii=False).encode()


def _response(status: int, content: bytes) -> httpx.Response:
    headers = {"Content-Type": "application/json"} if content else {}
    return httpx.Response(status, content=content, headers=headers)


@attrs.frozen
class WirePayload:
    """A valid answer of *marketplace* of *kind*, and what it was rendered from.

    - ``body``: the JSON value (None: no content, as x2bee answers many writes);
      ``http_status``: the HTTP status it comes with;
    - ``sources``: the order products (claimflow states) it shows, ``refs`` where each is found
      (order id, the day it was ordered); ids are the marketplace's (imweb:
      ``"{order_no}:{prod_order_no}"``);
    - ``next_cursor``: for a page, the cursor the adapter must return (None: the last page);
    - ``action``: for ``action`` answers, the :class:`~claimflow.adapters.RemoteAction` answered;
    - ``expected``: where the wire carries the whole value, what the adapter must return:
      :class:`~claimflow.adapters.ActionResult` (``action``; item messages left out: None),
      :class:`~claimflow.adapters.x2bee.CostCalculation` (``cost``),
      :class:`~claimflow.adapters.x2bee.CancelTargets` (``cancel_targets``), a tuple of
      :class:`~claimflow.CandidateItem` (``candidates``);
    - ``error_code`` / ``error_message``: for ``error`` answers, the marketplace's code and the
      text the error's message must contain;
    - ``companions``: the other answers reading these order products back needs (Toss: the
      claims page beside an orders page; imweb: each order's ``prod_orders`` beside an orders
      page).
    """

    marketplace: Marketplace
    kind: str
    body: Any
    http_status: int = 200
    sources: tuple[OrderProduct, ...] = ()
    refs: tuple[OrderRef, ...] = ()
    next_cursor: str | None = None
    action: RemoteAction | None = None
    expected: object = None
    error_code: str | None = None
    error_message: str | None = None
    companions: tuple[WirePayload, ...] = ()

    @property
    def content(self) -> bytes:
        """The body as it goes on the wire (UTF-8 JSON; empty for no content)."""
        return _content(self.body)

    def response(self) -> httpx.Response:
        """The answer as an ``httpx.Response`` (for an ``httpx.MockTransport`` handler)."""
        return _response(self.http_status, self.content)


@attrs.frozen
class Malformed:
    """A payload broken in one way: ``body`` (a JSON value, or ``bytes`` that are not JSON),
    ``http_status``, and ``field``, the name the adapter's
    :class:`~claimflow.exceptions.UnexpectedResponseError` must carry
    (``"success.items[0].status"``, ``"body"``, ``"status_code"`` ...). ``valid`` is the payload
    it was broken from (its ``refs`` and ``action`` say which call to make)."""

    body: Any
    field: str
    http_status: int
    problem: Problem
    valid: WirePayload

    @property
    def content(self) -> bytes:
        """The body as it goes on the wire."""
        return _content(self.body)

    def response(self) -> httpx.Response:
        """The answer as an ``httpx.Response``."""
        return _response(self.http_status, self.content)


# --- public strategies --------------------------------------------------------------------------


def wire_payloads(
    marketplace: Marketplace | str,
    kind: str,
    *,
    sources: st.SearchStrategy[OrderProduct] | None = None,
    min_items: int | None = None,
    max_items: int = 3,
) -> st.SearchStrategy[WirePayload]:
    """Valid answers of *marketplace* of *kind* (see :data:`KINDS`), rendered from claimflow
    states with the adapter's own status tables.

    *sources* draws the order products shown. By default they are reachable ones: half walked
    from a fresh one by :func:`~claimflow.testing.order_products` (with the closed claims behind
    them), half set straight into one of the engine's :func:`~claimflow.reachable_states`, so
    that every state shows up; x2bee ``cost`` defaults to fresh ones, which may be cancelled.
    Their ids are replaced by the marketplace's where its ids have a shape (imweb). Pages and
    batches show *min_items* to *max_items* of them (the minimum defaults to 0 for a page, 1
    where the marketplace always shows one); single-item answers show one; ``error`` answers
    show none.
    """
    mp = _marketplace(marketplace)
    build = _BUILDERS[mp].get(kind)
    if build is None:
        known = ", ".join(KINDS[mp])
        msg = f"{mp} has no wire payload kind {kind!r}; expected one of {known}"
        raise InvalidInputError(msg, field="kind")
    return build(_Draws(mp, kind, sources, min_items, max_items))


def malformed_payloads(
    marketplace: Marketplace | str,
    kind: str,
    *,
    sources: st.SearchStrategy[OrderProduct] | None = None,
    min_items: int | None = None,
    max_items: int = 3,
) -> st.SearchStrategy[Malformed]:
    """Answers of *marketplace* of *kind* broken in exactly one way, each with the field the
    adapter's :class:`~claimflow.exceptions.UnexpectedResponseError` must name.

    Built from :func:`wire_payloads` (same arguments, but pages and batches show at least one
    order product unless *min_items* says otherwise): one spot of a valid payload is removed,
    mistyped, given an unknown code or made inconsistent, or the whole answer is replaced (not
    JSON, another marketplace's envelope) or sent with an HTTP status the marketplace never uses.
    """
    mp = _marketplace(marketplace)
    low = 1 if min_items is None else min_items  # an item to break
    valid = wire_payloads(mp, kind, sources=sources, min_items=low, max_items=max_items)
    spots = _SPOTS[mp][kind]

    def breaks(payload: WirePayload) -> st.SearchStrategy[Malformed]:
        return st.sampled_from([*spots(payload), *_common_spots(payload)]).flatmap(
            lambda spot: _break(payload, spot)
        )

    return valid.flatmap(breaks)


def _marketplace(value: Marketplace | str) -> Marketplace:
    try:
        return Marketplace(value)
    except ValueError:
        msg = f"unknown marketplace {value!r}"
        raise InvalidInputError(msg, field="marketplace") from None


# --- shared pieces --------------------------------------------------------------------------------


@attrs.frozen
class _Draws:
    """What a builder is asked for."""

    mp: Marketplace
    kind: str
    sources: st.SearchStrategy[OrderProduct] | None
    min_items: int | None
    max_items: int

    def ops(self, min_default: int) -> st.SearchStrategy[list[OrderProduct]]:
        """The order products of a page or batch."""
        low = min_default if self.min_items is None else self.min_items
        return st.lists(
            self.one(),
            min_size=low,
            max_size=max(low, self.max_items),
            unique_by=lambda op: op.id,
        )

    def one(
        self, default: st.SearchStrategy[OrderProduct] | None = None
    ) -> st.SearchStrategy[OrderProduct]:
        """One order product of the marketplace."""
        base = self.sources if self.sources is not None else default
        if base is None:
            base = order_products(self.mp) | _in_reachable_states(self.mp)
        return base.map(lambda op: _own(op, self.mp))


def _in_reachable_states(mp: Marketplace) -> st.SearchStrategy[OrderProduct]:
    """Fresh order products set straight into one of the states the engine can reach."""
    return st.builds(_into, st.sampled_from(_templates(mp)), fresh_order_products(mp))


@functools.cache
def _templates(mp: Marketplace) -> tuple[tuple[Status, Claim | None], ...]:
    return tuple((status, claim) for status, claim, _name in reachable_states(mp))


def _into(template: tuple[Status, Claim | None], fresh: OrderProduct) -> OrderProduct:
    status, claim = template
    open_claim = None if claim is None else attrs.evolve(claim, id=f"{fresh.id}-C1")
    return attrs.evolve(fresh, status=status, open_claim=open_claim)


def _own(op: OrderProduct, mp: Marketplace) -> OrderProduct:
    if op.marketplace is not mp:
        msg = f"a {op.marketplace} order product cannot be rendered as a {mp} answer"
        raise InvalidInputError(msg, field="sources")
    return op


_NAMES = st.sampled_from(["기본 반팔 티셔츠", "와이드 데님 팬츠", "러닝화 270", "텀블러 500ml"])
_OPTIONS = st.sampled_from(["블랙 / M", "화이트 / L", "기본", None])
_TEXT = st.sampled_from(["단순 변심", "사이즈가 맞지 않음", "상품 불량", "재고 없음", "오배송"])
_MOMENTS = st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2025, 12, 31)).map(
    lambda m: m.replace(microsecond=0)
)  # naive, KST wall time
_IDS = st.integers(100_000, 9_000_000)


def _iso(moment: dt.datetime, offset: bool) -> str:
    """A KST wall time as the marketplaces write it: naive, or with ``+09:00``."""
    aware = moment.replace(tzinfo=KST)
    return (aware if offset else moment).isoformat(timespec="seconds")


def _claims_of(op: OrderProduct) -> list[Claim]:
    """Every claim of *op*, oldest first (closed ones, then the open one)."""
    return [*op.closed_claims, *((op.open_claim,) if op.open_claim else ())]


def _open_pair(op: OrderProduct) -> tuple[ClaimType, ClaimStatus] | None:
    oc = op.open_claim
    return (oc.type, oc.status) if oc else None


def _same_meaning(table: Mapping[str, StatusCode], code: str) -> list[str]:
    """*code* and the codes of *table* that mean exactly the same (x2bee 22/23 출고지시/출고대기,
    imweb's documented misprint ``EXCHANGE_COLLECTIN``)."""
    ref = table[code]

    def meaning(sc: StatusCode) -> tuple[object, ...]:
        return (sc.status, sc.claim_type, sc.claim_status, sc.per_claim_type)

    return sorted(c for c, sc in table.items() if meaning(sc) == meaning(ref))


def _action_for(
    draw: st.DrawFn, op: OrderProduct, offered: Collection[Action]
) -> tuple[Action, dict[str, Any]]:
    """An action the adapter can send for *op*: one the rules allow now where there is one."""
    allowed = {a for actor in Actor for a in allowed_actions(op, actor)}
    pool = sorted((a for a in offered if a in allowed), key=list(Action).index) or sorted(
        offered, key=list(Action).index
    )
    action = draw(st.sampled_from(pool))
    return action, draw(params_for(op, action))


# --- Toss -----------------------------------------------------------------------------------------


@attrs.frozen
class _Placed:
    """An order product with where the marketplace shows it."""

    op: OrderProduct
    ref: OrderRef
    ordered_at: dt.datetime  # naive KST
    name: str
    option: str | None


def _place(draw: st.DrawFn, ops: Sequence[OrderProduct]) -> list[_Placed]:
    base = draw(_IDS)
    out = []
    for i, op in enumerate(ops):
        moment = draw(_MOMENTS)
        ref = OrderRef(op.id, str(base + i), moment.date())
        out.append(_Placed(op, ref, moment, draw(_NAMES), draw(_OPTIONS)))
    return out


def _toss_envelope(success: object) -> dict[str, Any]:
    return {"resultType": "SUCCESS", "success": success, "error": None}


def _toss_claim_item(draw: st.DrawFn, p: _Placed, claim: Claim, k: int) -> dict[str, Any]:
    op = p.op
    requested = p.ordered_at + dt.timedelta(hours=k + 1)
    return {
        "id": claim.id,
        "requestedDt": _iso(requested, draw(st.booleans())),
        "type": claim.type.value,
        "status": toss.claim_status_code(claim.type, claim.status),
        "requestReason": claim.reason,
        "requestDetailReason": None,
        "requestImages": [],
        "requestDeliveryPenaltyCharger": "USER",
        "refundOneWayDeliveryFee": 0,
        "roundTripDeliveryFee": draw(st.sampled_from([0, 3_000, 6_000])),
        "returnAddress": None,
        "claimDeliveryPaymentAmount": 0,
        "order": {
            "id": p.ref.order_id,
            "orderProductId": op.id,
            "ordererName": "구매자",
            "ordererPhoneNumber": "010-0000-0000",
            "receiverName": "수령인",
            "receiverPhoneNumber": "010-0000-0000",
            "deliveryCompany": None,
            "shippingTrackingNumber": None,
            "address": "서울특별시 중구 세종대로 110",
            "price": op.unit_price,
            "createdDt": _iso(p.ordered_at, False),
        },
        "product": {
            "id": op.item_id,
            "name": p.name,
            "optionName": p.option,
            "quantity": op.quantity,
        },
    }


def _toss_claims_body(
    draw: st.DrawFn, placed: Sequence[_Placed], *, last: bool
) -> tuple[dict[str, Any], str | None]:
    items = [
        _toss_claim_item(draw, p, claim, k)
        for p in placed
        for k, claim in enumerate(_claims_of(p.op))
    ]
    has_next = False if last else draw(st.booleans())
    token = draw(st.from_regex(r"[A-Za-z0-9]{8,16}", fullmatch=True))
    page: dict[str, Any] = {"items": items, "hasNext": has_next}
    shown = draw(st.sampled_from(["token", "null", "absent"])) if not has_next else "token"
    if shown != "absent":
        page["nextToken"] = token if shown == "token" else None
    return _toss_envelope(page), token if has_next else None


@st.composite
def _toss_claims_page(draw: st.DrawFn, d: _Draws) -> WirePayload:
    placed = _place(draw, draw(d.ops(0)))
    body, cursor = _toss_claims_body(draw, placed, last=False)
    return WirePayload(
        MP.TOSS,
        "claims_page",
        body,
        sources=tuple(p.op for p in placed),
        refs=tuple(p.ref for p in placed),
        next_cursor=cursor,
    )


def _toss_order_row(draw: st.DrawFn, p: _Placed) -> dict[str, Any]:
    op = p.op
    code = toss.order_status_code(op.status, _open_pair(op))
    return {
        "orderId": p.ref.order_id,
        "orderProductId": op.id,
        "productId": op.item_id,
        "productName": p.name,
        "optionName": p.option,
        "quantity": op.quantity,
        "price": op.unit_price,
        "orderProductStatus": draw(st.sampled_from(_same_meaning(toss.ORDER_STATUS_CODES, code))),
        "deliveryCompanyCode": None,
        "shippingTrackingNumber": None,
        "deliveryFee": draw(st.sampled_from([0, 3_000])),
        "createdDt": _iso(p.ordered_at, draw(st.booleans())),
    }


@st.composite
def _toss_orders_page(draw: st.DrawFn, d: _Draws) -> WirePayload:
    placed = _place(draw, draw(d.ops(0)))
    cursor = draw(st.none() | st.from_regex(r"c[0-9]{1,6}", fullmatch=True))
    body = _toss_envelope(
        {"results": [_toss_order_row(draw, p) for p in placed], "nextCursor": cursor}
    )
    claims, _ = _toss_claims_body(draw, placed, last=True)
    ops, refs = tuple(p.op for p in placed), tuple(p.ref for p in placed)
    companion = WirePayload(MP.TOSS, "claims_page", claims, sources=ops, refs=refs)
    return WirePayload(
        MP.TOSS,
        "orders_page",
        body,
        sources=ops,
        refs=refs,
        next_cursor=cursor,
        companions=(companion,),
    )


@st.composite
def _toss_action(draw: st.DrawFn, d: _Draws) -> WirePayload:
    op = draw(d.one())
    action, params = _action_for(draw, op, toss.ACTIONS)
    claim_id = op.open_claim.id if op.open_claim else str(draw(_IDS))
    remote = RemoteAction(
        MP.TOSS, action, op.id, claim_id=claim_id, params=tuple(sorted(params.items()))
    )
    body: dict[str, Any] = {"resultType": "SUCCESS", "success": {}}
    if draw(st.booleans()):
        body["error"] = None
    return WirePayload(
        MP.TOSS,
        "action",
        body,
        sources=(op,),
        action=remote,
        expected=ActionResult(remote, (ItemResult(op.id, True),)),
    )


#: every code Toss's adapter maps, the documented refusals, and codes nobody documented
_TOSS_REFUSALS = {"INVALID_REQUEST", "CLAIM_NOT_FOUND", "ORDER_PRODUCT_NOT_FOUND"}
_TOSS_CODES = st.sampled_from(
    [*sorted({*toss.ERROR_CODES, *_TOSS_REFUSALS}), "UNDOCUMENTED_CODE", "E1234"]
)


@st.composite
def _toss_error(draw: st.DrawFn, _d: _Draws) -> WirePayload:
    code = draw(_TOSS_CODES)
    reason = draw(st.none() | _TEXT)
    title = draw(st.none() | st.just("요청을 처리할 수 없습니다"))
    error: dict[str, Any] = {"errorType": draw(st.integers(0, 2)), "errorCode": code}
    if reason is not None:
        error["reason"] = reason
    if title is not None:
        error["title"] = title
    if draw(st.booleans()):
        error["data"] = None
    body = {"resultType": "FAIL", "success": None, "error": error}
    return WirePayload(MP.TOSS, "error", body, error_code=code, error_message=reason or title or "")


# --- imweb ----------------------------------------------------------------------------------------

_REFUNDABLE_PAY_TYPES = [
    t for t in ("card", "phone", "kakaopay") if t not in imweb.NO_AUTO_REFUND_PAY_TYPES
]


@attrs.frozen
class _ImwebOrder:
    order_no: str
    ops: tuple[OrderProduct, ...]  # ids "{order_no}:{prod_order_no}"
    ordered_at: dt.datetime  # naive KST
    pay_type: str
    name: str

    @property
    def channel(self) -> PaymentChannel:
        return self.ops[0].payment_channel


def _imweb_group(
    draw: st.DrawFn, ops: Sequence[OrderProduct], *, one_order: bool
) -> list[_ImwebOrder]:
    """Order products grouped into imweb orders, re-numbered ``{order_no}:{prod_order_no}``.

    An order's payment is one: only order products paid alike (channel, auto refund) share one.
    """
    order_base, prod_base = draw(st.integers(1, 99_999_999)), draw(_IDS)
    groups: list[list[OrderProduct]] = []
    for op in ops:
        last = groups[-1] if groups else None
        alike = last is not None and (last[0].payment_channel, last[0].auto_refundable) == (
            op.payment_channel,
            op.auto_refundable,
        )
        if last is not None and (one_order or (alike and draw(st.booleans()))):
            last.append(op)
        else:
            groups.append([op])
    orders = []
    for g, group in enumerate(groups):
        order_no = f"2024{order_base + g:08d}"
        renamed = tuple(
            attrs.evolve(op, id=f"{order_no}:{prod_base + 10 * g + i}")
            for i, op in enumerate(group)
        )
        first = renamed[0]
        pay_types = (
            _REFUNDABLE_PAY_TYPES
            if first.auto_refundable
            else sorted(imweb.NO_AUTO_REFUND_PAY_TYPES)
        )
        orders.append(
            _ImwebOrder(
                order_no, renamed, draw(_MOMENTS), draw(st.sampled_from(pay_types)), draw(_NAMES)
            )
        )
    return orders


def _imweb_envelope(draw: st.DrawFn, data: object) -> dict[str, Any]:
    return {
        "msg": "SUCCESS",
        "code": draw(st.sampled_from([200, "200"])),
        "request_count": draw(st.integers(1, 500)),
        "version": draw(st.sampled_from(["v2", "latest"])),
        "data": data,
    }


def _imweb_item_row(draw: st.DrawFn, order: _ImwebOrder, op: OrderProduct) -> dict[str, Any]:
    wire = imweb.wire_state(op)
    prod_no = imweb.ImwebRef.parse(op.id).prod_order_no
    row: dict[str, Any] = {
        "order_no": draw(st.sampled_from([prod_no, int(prod_no)])),
        "status": wire.status,
        "claim_status": (
            None
            if wire.claim_status is None
            else draw(st.sampled_from(_same_meaning(imweb.CLAIM_STATUS_CODES, wire.claim_status)))
        ),
        "parcel_code": None,
        "invoice_no": None,
        "pay_time": int(order.ordered_at.replace(tzinfo=KST).timestamp()),
        "items": [
            {
                "prod_no": op.item_id,
                "prod_name": order.name,
                "payment": {"count": op.quantity, "price": op.unit_price},
            }
        ],
    }
    if wire.claim_type is not None or draw(st.booleans()):
        row["claim_type"] = wire.claim_type
    if wire.is_hold or draw(st.booleans()):
        row["is_hold"] = wire.is_hold
    return row


def _imweb_prod_orders_payload(draw: st.DrawFn, order: _ImwebOrder) -> WirePayload:
    rows = [_imweb_item_row(draw, order, op) for op in order.ops]
    return WirePayload(
        MP.IMWEB,
        "prod_orders",
        _imweb_envelope(draw, rows),
        sources=order.ops,
        refs=tuple(OrderRef(op.id, order.order_no) for op in order.ops),
    )


@st.composite
def _imweb_prod_orders(draw: st.DrawFn, d: _Draws) -> WirePayload:
    (order,) = _imweb_group(draw, draw(d.ops(1)), one_order=True)
    return _imweb_prod_orders_payload(draw, order)


@st.composite
def _imweb_orders_page(draw: st.DrawFn, d: _Draws) -> WirePayload:
    orders = _imweb_group(draw, draw(d.ops(0)), one_order=False)
    rows = [
        {
            "order_no": order.order_no,
            "order_type": order.channel.value,
            "order_time": int(order.ordered_at.replace(tzinfo=KST).timestamp()),
            "orderer": {"name": "구매자", "call": "010-0000-0000"},
            "payment": {
                "pay_type": order.pay_type,
                "payment_amount": sum(op.amount for op in order.ops),
            },
        }
        for order in orders
    ]
    current = draw(st.integers(1, 5))
    total = current if not rows else draw(st.integers(current, current + 3))
    size = len(rows) if current < total else draw(st.integers(max(1, len(rows)), 100))
    count = (total - 1) * size + (len(rows) if current == total else size)
    as_count = st.sampled_from([int, str])
    paging = {
        "data_count": draw(as_count)(count),
        "current_page": draw(as_count)(current),
        "total_page": draw(as_count)(total),
        "pagesize": size,
    }
    key = draw(st.sampled_from(["pagenation", "pagination"]))  # sic [client]; both accepted
    ops = tuple(op for order in orders for op in order.ops)
    return WirePayload(
        MP.IMWEB,
        "orders_page",
        _imweb_envelope(draw, {"list": rows, key: paging}),
        sources=ops,
        refs=tuple(OrderRef(op.id, order.order_no) for order in orders for op in order.ops),
        next_cursor=str(current + 1) if current < total else None,
        companions=tuple(_imweb_prod_orders_payload(draw, order) for order in orders),
    )


_FAILURE_TEXT = st.sampled_from(
    [
        ("처리할 수 없는 상태입니다", "이미 처리된 주문입니다"),
        (imweb._AUTO_REFUND_TEXT, "무통장 입금 주문"),  # '자동환불불가' [doc]
        ("", "재고 부족"),
        ("요청 실패", ""),
    ]
)


@st.composite
def _imweb_action(draw: st.DrawFn, d: _Draws) -> WirePayload:
    (order,) = _imweb_group(draw, draw(d.ops(1)), one_order=True)
    first = order.ops[0]
    action, params = _action_for(draw, first, imweb.ACTIONS)
    ids = tuple(op.id for op in order.ops)
    remote = RemoteAction(
        MP.IMWEB,
        action,
        first.id,
        order_id=draw(st.sampled_from([None, order.order_no])),
        item_ids=ids if len(ids) > 1 else (),
        params=tuple(sorted(params.items())),
    )
    ok = [draw(st.booleans()) for _ in ids]
    failures = {i: draw(_FAILURE_TEXT) for i, good in enumerate(ok) if not good}
    as_number = st.sampled_from([str, int])
    order_no = draw(as_number)(order.order_no)
    whole = not any(ok) and draw(st.booleans())  # the whole order failed, no item list [inferred]
    results = []
    prods = []
    for i, op_id in enumerate(ids):
        if ok[i]:
            results.append(ItemResult(op_id, True))
            continue
        msg, detail = failures[i]
        code = "ITEM_FAILED"
        if not whole:
            prod = imweb.ImwebRef.parse(op_id).prod_order_no
            prods.append({"prod_order_no": draw(as_number)(prod), "msg": msg, "detail_msg": detail})
            if imweb._AUTO_REFUND_TEXT in msg + detail:
                code = imweb.AUTO_REFUND_IMPOSSIBLE
        results.append(ItemResult(op_id, False, code))
    failed: list[dict[str, Any]] = []
    if whole:
        entry: dict[str, Any] = {"order_no": order_no}
        shown = draw(st.sampled_from(["empty", "null", "absent"]))
        if shown != "absent":
            entry["prod_order_list"] = [] if shown == "empty" else None
        failed.append(entry)
    elif prods:
        failed.append({"order_no": order_no, "prod_order_list": prods})
    success = [order_no] if any(ok) else []
    return WirePayload(
        MP.IMWEB,
        "action",
        _imweb_envelope(draw, {"success": success, "failed": failed}),
        sources=order.ops,
        refs=tuple(OrderRef(op.id, order.order_no) for op in order.ops),
        action=remote,
        expected=ActionResult(remote, tuple(results)),
    )


#: HTTP statuses imweb writes into ``code`` that also come back as the HTTP status [doc]
_IMWEB_HTTP_CODES = frozenset(str(s) for s in imweb.ENVELOPE_STATUSES if s != 200)


#: every code imweb's adapter maps [doc], and codes nobody documented
_IMWEB_CODES = st.sampled_from([*sorted(imweb.ERROR_CODES, key=int), "-3", "-30"])


@st.composite
def _imweb_error(draw: st.DrawFn, _d: _Draws) -> WirePayload:
    code = draw(_IMWEB_CODES)
    auto_refund = code == "-10" and draw(st.booleans())
    msg = (
        f"{imweb._AUTO_REFUND_TEXT} 주문입니다"
        if auto_refund
        else draw(st.sampled_from(["잘못된 요청입니다", "권한이 없습니다", "오류", ""]))
    )
    status = int(code) if code in _IMWEB_HTTP_CODES and draw(st.booleans()) else 200
    body = {
        "msg": msg,
        "code": draw(st.sampled_from([int, str]))(int(code)),
        "request_count": draw(st.integers(1, 500)),
        "version": "v2",
        "data": None,
    }
    return WirePayload(
        MP.IMWEB,
        "error",
        body,
        http_status=status,
        error_code=imweb.AUTO_REFUND_IMPOSSIBLE if auto_refund else code,
        error_message=msg,
    )


# --- x2bee ----------------------------------------------------------------------------------------

_X2BEE_TYPE_OUT = {t: code for code, t in x2bee.CLAIM_TYPE_CODES.items()}


def _x2bee_ref(draw: st.DrawFn, op: OrderProduct) -> OrderRef:
    return OrderRef(op.id, f"{draw(st.integers(2023, 2025))}{draw(_IDS):08d}")


@st.composite
def _x2bee_details(draw: st.DrawFn, d: _Draws) -> WirePayload:
    op = draw(d.one())
    ref = _x2bee_ref(draw, op)
    ordered = draw(_MOMENTS)
    code = x2bee.order_status_code(op.status, _open_pair(op))
    claims = [
        {
            "claimNo": claim.id,
            "claimBusinessType": _X2BEE_TYPE_OUT[claim.type],
            "claimStatCd": x2bee.claim_status_code(claim.type, claim.status),
            "claimReqDtm": _iso(ordered + dt.timedelta(hours=k + 1), draw(st.booleans())),
            "claimRsnCont": claim.reason,
        }
        for k, claim in enumerate(_claims_of(op))
    ]
    body = {
        "ordNo": ref.order_id,
        "ordSeq": op.id,
        "ordDtlStatCd": draw(st.sampled_from(_same_meaning(x2bee.ORDER_STATUS_CODES, code))),
        "goodsNo": f"G{draw(_IDS)}",
        "itmNo": op.item_id,
        "goodsNm": draw(_NAMES),
        "salePrc": op.unit_price,
        "ordQty": op.quantity,
        "ordDtm": _iso(ordered, draw(st.booleans())),
        "claimList": claims,
        "refundList": [],
        "addPayList": [],
        "deliveryInfo": {"hdcCd": None, "invNo": None},
    }
    return WirePayload(MP.X2BEE, "details", body, sources=(op,), refs=(ref,))


@st.composite
def _x2bee_cost(draw: st.DrawFn, d: _Draws) -> WirePayload:
    op = draw(d.one(fresh_order_products(MP.X2BEE)))
    ref = _x2bee_ref(draw, op)
    lost = draw(st.integers(0, op.amount + 20_000))  # benefits the cancel takes back
    refund, extra = max(op.amount - lost, 0), max(lost - op.amount, 0)
    body = {"ordNo": ref.order_id, "ordSeq": op.id, "rfdAmt": refund, "addPayAmt": extra}
    assert ref.order_id is not None
    return WirePayload(
        MP.X2BEE,
        "cost",
        body,
        sources=(op,),
        refs=(ref,),
        expected=x2bee.CostCalculation(op.id, ref.order_id, refund, extra),
    )


_REASONS = st.lists(
    st.sampled_from(
        [("10", "단순 변심"), ("20", "주문 실수"), ("30", "배송 지연"), ("40", "기타")]
    ),
    max_size=4,
    unique=True,
)


@st.composite
def _x2bee_cancel_targets(draw: st.DrawFn, d: _Draws) -> WirePayload:
    ops = draw(d.ops(1))
    order_id = _x2bee_ref(draw, ops[0]).order_id
    assert order_id is not None
    cancellable = [op for op in ops if Action.CANCEL_REQUEST in allowed_actions(op, Actor.BUYER)]
    partial = draw(st.booleans())
    reasons = draw(_REASONS)
    body = {
        "ordNo": order_id,
        "sctnCnclPsbYn": "Y" if partial else "N",  # [doc: page]
        "cancelTargetList": [
            {
                "ordSeq": op.id,
                "ordDtlStatCd": x2bee.order_status_code(op.status, _open_pair(op)),
                "ordQty": op.quantity,
            }
            for op in cancellable
        ],
        "claimRsnList": [{"claimRsnCd": c, "claimRsnNm": n} for c, n in reasons],
    }
    return WirePayload(
        MP.X2BEE,
        "cancel_targets",
        body,
        sources=tuple(ops),
        refs=tuple(OrderRef(op.id, order_id) for op in ops),
        expected=x2bee.CancelTargets(
            order_id, partial, tuple(op.id for op in cancellable), tuple(reasons)
        ),
    )


_SALE_CODES = {
    on_sale: sorted(c for c, v in x2bee.SALE_STATUS_CODES.items() if v is on_sale)
    for on_sale in (True, False)
}


@st.composite
def _x2bee_candidates(draw: st.DrawFn, d: _Draws) -> WirePayload:
    op = draw(d.one())
    others = draw(
        st.lists(
            st.builds(
                CandidateItem,
                item_id=st.from_regex(r"SKU-ALT-[0-9]{1,3}", fullmatch=True),
                unit_price=st.sampled_from([op.unit_price, op.unit_price + 1_000]),
                on_sale=st.booleans(),
                stock=st.integers(0, 50),
            ),
            max_size=max(0, d.max_items),
            unique_by=lambda c: c.item_id,
        )
    )
    items = (CandidateItem(op.item_id, op.unit_price, True, draw(st.integers(0, 50))), *others)
    goods = f"G{draw(_IDS)}"
    body = [
        {
            "goodsNo": goods,
            "itmNo": c.item_id,
            "itmNm": draw(_OPTIONS) or "기본",
            "salePrc": c.unit_price,
            "saleStatCd": draw(st.sampled_from(_SALE_CODES[c.on_sale])),
            "stkQty": c.stock,
        }
        for c in items
    ]
    return WirePayload(
        MP.X2BEE,
        "candidates",
        body,
        sources=(op,),
        refs=(OrderRef(op.id),),
        expected=items,
    )


@st.composite
def _x2bee_action(draw: st.DrawFn, d: _Draws) -> WirePayload:
    op = draw(d.one())
    ref = _x2bee_ref(draw, op)
    action, params = _action_for(draw, op, x2bee.ROUTES)
    claim_id = op.open_claim.id if op.open_claim else f"CL{draw(_IDS)}"
    remote = RemoteAction(
        MP.X2BEE,
        action,
        op.id,
        claim_id=claim_id,
        order_id=ref.order_id,
        params=tuple(sorted(params.items())),
    )
    body = draw(
        st.sampled_from([None, {}, {"ordNo": ref.order_id, "claimNo": claim_id}])
    )  # 200 with no content, or a DTO the adapter does not read [doc]
    return WirePayload(
        MP.X2BEE,
        "action",
        body,
        sources=(op,),
        refs=(ref,),
        action=remote,
        expected=ActionResult(remote, (ItemResult(op.id, True),)),
    )


_REASON_KEYS = st.sampled_from([None, "reason", "message", "defaultMessage"])


@st.composite
def _x2bee_error(draw: st.DrawFn, _d: _Draws) -> WirePayload:
    code = draw(st.from_regex(r"[A-Z]{2,4}-[0-9]{3,4}", fullmatch=True))
    message = draw(st.sampled_from(["잘못된 요청입니다", "처리할 수 없는 주문입니다", ""]))
    errors, details = [], []
    for field in draw(st.lists(st.sampled_from(["ordNo", "ordSeq", "claimNo"]), max_size=2)):
        key, said = draw(_REASON_KEYS), draw(_TEXT)
        error: dict[str, Any] = {"field": field, "value": ""}
        if key is not None:
            error[key] = said
        errors.append(error)
        details.append(f"{field}: {said}" if key else field)
    body = {
        "timestamp": _iso(draw(_MOMENTS), True),
        "code": code,
        "message": message,
        "isProcess": False,
        "payload": None,
        "error": True,
        "errors": errors,
    }
    # x2bee appends the field errors to the message: "message [field: reason, ...]"
    said = f"{message} [{', '.join(details)}]".strip() if details else message
    return WirePayload(
        MP.X2BEE, "error", body, http_status=900, error_code=code, error_message=said
    )


_Builder = Callable[[_Draws], st.SearchStrategy[WirePayload]]
_BUILDERS: Mapping[Marketplace, Mapping[str, _Builder]] = {
    MP.TOSS: {
        "claims_page": _toss_claims_page,
        "orders_page": _toss_orders_page,
        "action": _toss_action,
        "error": _toss_error,
    },
    MP.IMWEB: {
        "orders_page": _imweb_orders_page,
        "prod_orders": _imweb_prod_orders,
        "action": _imweb_action,
        "error": _imweb_error,
    },
    MP.X2BEE: {
        "details": _x2bee_details,
        "cost": _x2bee_cost,
        "cancel_targets": _x2bee_cancel_targets,
        "candidates": _x2bee_candidates,
        "action": _x2bee_action,
        "error": _x2bee_error,
    },
}

# --- breaking a valid payload ---------------------------------------------------------------------

Path = tuple[str | int, ...]


@attrs.frozen
class _Spot:
    """One way to break a payload: at ``path``, delete the key (``values`` None) or put one of
    ``values``; ``field`` is what the adapter must name (default: the path, written as the
    adapters write it); ``status`` replaces the HTTP status."""

    path: Path
    problem: Problem
    values: st.SearchStrategy[Any] | None = None
    field: str | None = None
    status: st.SearchStrategy[int] | None = None


def _field(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _copy(body: Any) -> Any:
    return json.loads(json.dumps(body))


def _set(body: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    out = _copy(body)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return out


def _delete(body: Any, path: Path) -> Any:
    out = _copy(body)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return out


def _break(payload: WirePayload, spot: _Spot) -> st.SearchStrategy[Malformed]:
    field = spot.field if spot.field is not None else _field(spot.path)
    bodies = (
        st.just(_delete(payload.body, spot.path))
        if spot.values is None
        else spot.values.map(lambda v: _set(payload.body, spot.path, v))
    )
    statuses = st.just(payload.http_status) if spot.status is None else spot.status
    return st.tuples(bodies, statuses).map(
        lambda bs: Malformed(bs[0], field, bs[1], spot.problem, payload)
    )


# wrong JSON types, per what the adapters accept (wire_str takes ints for ids; "" is no id)
_NOT_STR: st.SearchStrategy[Any] = st.sampled_from([True, False, 1.5, [], {}, ["x"], ""])
_NOT_OPT_STR: st.SearchStrategy[Any] = st.sampled_from([True, False, 1.5, [], {"a": 1}, ["x"]])
_NOT_INT: st.SearchStrategy[Any] = st.sampled_from(["1000", "12", 1.5, True, [], {}])
_NOT_DATETIME: st.SearchStrategy[Any] = st.sampled_from(
    [123, True, "yesterday", "2024-13-01T00:00:00", [], "01/05/2024"]
)
_NOT_BOOL: st.SearchStrategy[Any] = st.sampled_from(["true", "Y", 1, 0, None, []])
_NOT_LIST: st.SearchStrategy[Any] = st.sampled_from([None, "x", 1, {"a": 1}, True])
_NOT_OBJ: st.SearchStrategy[Any] = st.sampled_from([None, "x", 1, [], True])
_NOT_JSON = st.sampled_from(
    [
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b'{"resultType": "SUCC',
        b"Service Temporarily Unavailable",
        b"\xef\xbb\xbf\x00\xff",
        b"{'single': 'quotes'}",
    ]
) | st.binary(min_size=1, max_size=24).filter(lambda b: not _is_json(b))


def _is_json(content: bytes) -> bool:
    try:
        json.loads(content)
    except ValueError:
        return False
    return True


def _unknown(known: Collection[str]) -> st.SearchStrategy[str]:
    """Codes an adapter's table does not know (derived from the table itself)."""
    return (
        st.sampled_from(["TELEPORTED", "LOST", "99", "unknown", "REQUESTED_SOMETHING"])
        | st.text(string.ascii_uppercase + string.digits + "_", min_size=1, max_size=12)
    ).filter(lambda code: code not in known)


def _missing(path: Path, field: str | None = None) -> _Spot:
    return _Spot(path, Problem.MISSING, None, field)


def _typed(path: Path, values: st.SearchStrategy[Any], field: str | None = None) -> _Spot:
    return _Spot(path, Problem.WRONG_TYPE, values, field)


def _unknown_at(path: Path, known: Collection[str]) -> _Spot:
    return _Spot(path, Problem.UNKNOWN_CODE, _unknown(known))


def _required_str(path: Path) -> list[_Spot]:
    return [_missing(path), _typed(path, _NOT_STR)]


def _required_code(path: Path, known: Collection[str]) -> list[_Spot]:
    return [*_required_str(path), _unknown_at(path, known)]


_UNUSED_STATUSES = (201, 202, 204, 301, 302, 402, 405, 409, 410, 418, 422, 451)


def _common_spots(payload: WirePayload) -> list[_Spot]:
    """Not JSON; an HTTP status the marketplace never answers with; another envelope."""
    spec = _SPECS[payload.marketplace]
    statuses = [
        s for s in _UNUSED_STATUSES if s not in spec.envelope_statuses and s not in spec.http_errors
    ]
    # an error status without JSON is judged by the status alone (a gateway's page), not the body
    plain = payload.http_status if payload.http_status not in spec.http_errors else 200
    spots = [
        _Spot((), Problem.NOT_JSON, _NOT_JSON, "body", st.just(plain)),
        _Spot(
            (), Problem.HTTP_STATUS, st.just(payload.body), "status_code", st.sampled_from(statuses)
        ),
    ]
    return spots + _WRONG_ENVELOPES[payload.marketplace](payload)


def _toss_wrong_envelope(payload: WirePayload) -> list[_Spot]:
    inner = payload.body.get("success")
    bare = inner if isinstance(inner, dict) else {"errorCode": "E"}  # the payload, unwrapped
    imweb_like = {"msg": "SUCCESS", "code": 200, "request_count": 1, "version": "v2", "data": inner}
    envelopes = st.sampled_from([imweb_like, bare])
    return [_Spot((), Problem.WRONG_ENVELOPE, envelopes, "resultType", _plain(payload))]


def _plain(payload: WirePayload) -> st.SearchStrategy[int]:
    """The status a foreign body comes with: an error status with JSON that is not the
    marketplace's envelope is judged by the status alone (issue 13), so it is sent with 200."""
    spec = _SPECS[payload.marketplace]
    return st.just(payload.http_status if payload.http_status not in spec.http_errors else 200)


def _imweb_wrong_envelope(payload: WirePayload) -> list[_Spot]:
    data = payload.body.get("data")
    toss_like = {"resultType": "SUCCESS", "success": data, "error": None}
    return [_Spot((), Problem.WRONG_ENVELOPE, st.just(toss_like), "code", _plain(payload))]


def _x2bee_wrong_envelope(payload: WirePayload) -> list[_Spot]:
    """x2bee's 200 answers are the DTO itself: one wrapped in an envelope misses the first field
    the parser reads; an HTTP 900 answer with Toss's envelope misses ``code``."""
    wrapped = {"resultType": "SUCCESS", "success": payload.body, "error": None}
    first = {
        "details": "ordDtlStatCd",
        "cost": "rfdAmt",
        "cancel_targets": "cancelTargetList",
        "candidates": "body",
    }
    if payload.kind in first:
        return [_Spot((), Problem.WRONG_ENVELOPE, st.just(wrapped), first[payload.kind])]
    if payload.kind == "error":
        toss_like = {"resultType": "FAIL", "success": None, "error": {"errorCode": "E"}}
        return [_Spot((), Problem.WRONG_ENVELOPE, st.just(toss_like), "code")]
    return []  # action: any DTO (or none) is a valid answer to a write


_WRONG_ENVELOPES: Mapping[Marketplace, Callable[[WirePayload], list[_Spot]]] = {
    MP.TOSS: _toss_wrong_envelope,
    MP.IMWEB: _imweb_wrong_envelope,
    MP.X2BEE: _x2bee_wrong_envelope,
}

# --- Toss spots -------------------------------------------------------------------------------


def _toss_result_type() -> list[_Spot]:
    path: Path = ("resultType",)
    return [*_required_str(path), _unknown_at(path, {"SUCCESS", "FAIL"})]


def _toss_success(with_type: bool = True) -> list[_Spot]:
    spots = [_missing(("success",))]
    return [*spots, _typed(("success",), _NOT_OBJ)] if with_type else spots


def _toss_claims_spots(payload: WirePayload) -> list[_Spot]:
    page = payload.body["success"]
    spots = [
        *_toss_result_type(),
        *_toss_success(),
        _missing(("success", "items")),
        _typed(("success", "items"), _NOT_LIST),
        _missing(("success", "hasNext")),
        _typed(("success", "hasNext"), _NOT_BOOL),
        _typed(("success", "nextToken"), _NOT_OPT_STR),
    ]
    if page["hasNext"]:
        spots += [
            _missing(("success", "nextToken")),
            _Spot(("success", "nextToken"), Problem.INCONSISTENT, st.sampled_from([None, ""])),
        ]
    for i, _item in enumerate(page["items"]):
        at: Path = ("success", "items", i)
        spots += [
            _typed(at, _NOT_OBJ),
            *_required_code((*at, "type"), toss._CLAIM_TYPES),
            *_required_code((*at, "status"), toss.CLAIM_STATUS_CODES),
            *_required_str((*at, "id")),
            _missing((*at, "order")),
            _typed((*at, "order"), _NOT_OBJ),
            *_required_str((*at, "order", "orderProductId")),
            _typed((*at, "order", "id"), _NOT_OPT_STR),
            _typed((*at, "requestedDt"), _NOT_DATETIME),
            _typed((*at, "requestReason"), _NOT_OPT_STR),
        ]
    return spots


def _toss_orders_spots(payload: WirePayload) -> list[_Spot]:
    page = payload.body["success"]
    spots = [
        *_toss_result_type(),
        *_toss_success(),
        _missing(("success", "results")),
        _typed(("success", "results"), _NOT_LIST),
        _typed(("success", "nextCursor"), _NOT_OPT_STR),
    ]
    for i, _row in enumerate(page["results"]):
        at: Path = ("success", "results", i)
        spots += [
            _typed(at, _NOT_OBJ),
            *_required_code((*at, "orderProductStatus"), toss.ORDER_STATUS_CODES),
            *_required_str((*at, "orderProductId")),
            *_required_str((*at, "orderId")),
            _typed((*at, "createdDt"), _NOT_DATETIME),
            _typed((*at, "productId"), _NOT_OPT_STR),
            _typed((*at, "productName"), _NOT_OPT_STR),
            _typed((*at, "price"), _NOT_INT),
            _typed((*at, "quantity"), _NOT_INT),
        ]
    return spots


def _toss_action_spots(_payload: WirePayload) -> list[_Spot]:
    return [*_toss_result_type(), *_toss_success(with_type=False)]


def _toss_error_spots(payload: WirePayload) -> list[_Spot]:
    spots = [
        *_toss_result_type(),
        _missing(("error",)),
        _typed(("error",), _NOT_OBJ),
        *_required_str(("error", "errorCode")),
        _typed(("error", "reason"), _NOT_OPT_STR),
    ]
    if not payload.body["error"].get("reason"):  # title is read only without a reason
        spots.append(_typed(("error", "title"), _NOT_OPT_STR))
    return spots


# --- imweb spots ------------------------------------------------------------------------------

_NOT_CODE: st.SearchStrategy[Any] = st.sampled_from([True, "abc", "", 1.5, [], None, "200a"])
_NOT_COUNT: st.SearchStrategy[Any] = st.sampled_from(["x", -1, "-1", 1.5, True, None, "1.0"])
_NOT_HOLD: st.SearchStrategy[Any] = st.sampled_from(["Y", "true", 1, 0, []])


def _imweb_envelope_spots(payload: WirePayload) -> list[_Spot]:
    spots = [
        _missing(("code",)),
        _typed(("code",), _NOT_CODE),
        _typed(("msg",), _NOT_OPT_STR),
    ]
    if payload.kind != "error":
        odd = sorted(imweb.ENVELOPE_STATUSES - {200, 401})  # 401 would re-issue the token first
        spots += [
            _missing(("data",)),
            _Spot(("code",), Problem.INCONSISTENT, st.just(200), "code", st.sampled_from(odd)),
        ]
    return spots


def _imweb_orders_spots(payload: WirePayload) -> list[_Spot]:
    data = payload.body["data"]
    key = "pagenation" if "pagenation" in data else "pagination"
    spots = [
        *_imweb_envelope_spots(payload),
        _typed(("data",), _NOT_OBJ),
        _missing(("data", "list")),
        _typed(("data", "list"), _NOT_LIST),
        _missing(("data", key), "data.pagenation"),  # neither spelling: named as imweb spells it
        _typed(("data", key), _NOT_OBJ),
    ]
    for name in ("current_page", "total_page"):
        spots += [_missing(("data", key, name)), _typed(("data", key, name), _NOT_COUNT)]
    channels = [c.value for c in PaymentChannel]
    for i, _row in enumerate(data["list"]):
        at: Path = ("data", "list", i)
        spots += [
            _typed(at, _NOT_OBJ),
            *_required_str((*at, "order_no")),
            _unknown_at((*at, "order_type"), channels),
            _typed((*at, "order_type"), _NOT_OPT_STR),
            _typed((*at, "order_time"), _NOT_INT),
            _typed((*at, "payment", "pay_type"), _NOT_OPT_STR),
        ]
    return spots


def _imweb_prod_orders_spots(payload: WirePayload) -> list[_Spot]:
    spots = [
        *_imweb_envelope_spots(payload),
        _typed(("data",), st.sampled_from([None, {"list": []}, "x", 1])),
    ]
    for i, row in enumerate(payload.body["data"]):
        at: Path = ("data", i)
        spots += [
            _typed(at, _NOT_OBJ),
            _missing((*at, "order_no")),
            _typed((*at, "order_no"), st.sampled_from([True, 1.5, [], {}, ""])),
            *_required_code((*at, "status"), imweb.ORDER_STATUS_CODES),
            _unknown_at((*at, "claim_status"), imweb.CLAIM_STATUS_CODES),
            _typed((*at, "claim_status"), _NOT_OPT_STR),
            _typed((*at, "is_hold"), _NOT_HOLD),
            _typed((*at, "items", 0, "prod_no"), _NOT_OPT_STR),
            _typed((*at, "items", 0, "prod_name"), _NOT_OPT_STR),
            _typed((*at, "items", 0, "payment", "price"), _NOT_INT),
            _typed((*at, "items", 0, "payment", "count"), _NOT_INT),
        ]
        claim_code = row.get("claim_status")
        if claim_code is None:
            spots.append(_Spot((*at, "is_hold"), Problem.INCONSISTENT, st.just(True)))
        else:
            own = imweb.CLAIM_STATUS_CODES[claim_code].claim_type
            others = sorted(c for c, t in imweb._CLAIM_TYPES.items() if t is not own)
            spots += [
                _Spot((*at, "claim_type"), Problem.INCONSISTENT, st.sampled_from(others)),
                _typed((*at, "claim_type"), _NOT_OPT_STR),
            ]
    return spots


def _imweb_action_spots(payload: WirePayload) -> list[_Spot]:
    data = payload.body["data"]
    spots = [
        *_imweb_envelope_spots(payload),
        _typed(("data",), _NOT_OBJ),
        _missing(("data", "success")),
        _typed(("data", "success"), _NOT_LIST),
        _missing(("data", "failed")),
        _typed(("data", "failed"), _NOT_LIST),
    ]
    for j, _no in enumerate(data["success"]):
        spots.append(_typed(("data", "success", j), st.sampled_from([True, 1.5, [], None, ""])))
    for k, entry in enumerate(data["failed"]):
        at: Path = ("data", "failed", k)
        spots += [
            _typed(at, _NOT_OBJ),
            _missing((*at, "order_no")),
            _typed((*at, "order_no"), st.sampled_from([True, 1.5, [], None, ""])),
            _typed((*at, "prod_order_list"), st.sampled_from(["x", 1, {"a": 1}, True])),
        ]
        for j, _prod in enumerate(entry.get("prod_order_list") or ()):
            item: Path = (*at, "prod_order_list", j)
            spots += [
                _typed(item, _NOT_OBJ),
                _missing((*item, "prod_order_no")),
                _typed((*item, "prod_order_no"), st.sampled_from([True, 1.5, [], None, ""])),
                _typed((*item, "msg"), _NOT_OPT_STR),
                _typed((*item, "detail_msg"), _NOT_OPT_STR),
            ]
    assert isinstance(payload.expected, ActionResult)
    if payload.expected.succeeded:  # the order's success dropped: its outcome is unknown
        spots.append(_Spot(("data", "success"), Problem.INCONSISTENT, st.just([])))
    return spots


def _imweb_error_spots(payload: WirePayload) -> list[_Spot]:
    return _imweb_envelope_spots(payload)


# --- x2bee spots ------------------------------------------------------------------------------

_NOT_WON: st.SearchStrategy[Any] = st.sampled_from([None, -1, -500, "1000", 1.5, True])


def _x2bee_dto(field: str) -> _Spot:
    """The answer is not a JSON object (or no content)."""
    return _typed((), st.sampled_from([None, [], "x", 1]), field)


def _x2bee_details_spots(payload: WirePayload) -> list[_Spot]:
    body = payload.body
    spots = [
        _x2bee_dto("payload"),
        *_required_code(("ordDtlStatCd",), x2bee.ORDER_STATUS_CODES),
        *_required_str(("ordNo",)),
        *_required_str(("ordSeq",)),
        # an answer for another order line than the one asked for
        _Spot(("ordNo",), Problem.INCONSISTENT, st.just(body["ordNo"] + "0")),
        _Spot(("ordSeq",), Problem.INCONSISTENT, st.just(body["ordSeq"] + "0")),
        _missing(("claimList",)),
        _typed(("claimList",), _NOT_LIST),
        _typed(("ordDtm",), _NOT_DATETIME),
        _typed(("itmNo",), _NOT_OPT_STR),
        _typed(("goodsNm",), _NOT_OPT_STR),
        _typed(("salePrc",), _NOT_INT),
        _typed(("ordQty",), _NOT_INT),
    ]
    for i, _claim in enumerate(body["claimList"]):
        at: Path = ("claimList", i)
        spots += [
            _typed(at, _NOT_OBJ),
            *_required_code((*at, "claimBusinessType"), x2bee.CLAIM_TYPE_CODES),
            *_required_code((*at, "claimStatCd"), x2bee.CLAIM_STATUS_CODES),
            *_required_str((*at, "claimNo")),
            _typed((*at, "claimReqDtm"), _NOT_DATETIME),
            _typed((*at, "claimRsnCont"), _NOT_OPT_STR),
        ]
    return spots


def _x2bee_cost_spots(_payload: WirePayload) -> list[_Spot]:
    return [
        _x2bee_dto("payload"),
        _missing(("rfdAmt",)),
        _typed(("rfdAmt",), _NOT_WON),
        _missing(("addPayAmt",)),
        _typed(("addPayAmt",), _NOT_WON),
        # a refund and an extra payment at once
        _Spot((), Problem.INCONSISTENT, st.just({"rfdAmt": 1_000, "addPayAmt": 500}), "addPayAmt"),
    ]


def _x2bee_cancel_targets_spots(payload: WirePayload) -> list[_Spot]:
    body = payload.body
    spots = [
        _x2bee_dto("payload"),
        *_required_str(("ordNo",)),
        *_required_str(("sctnCnclPsbYn",)),
        _Spot(("sctnCnclPsbYn",), Problem.UNKNOWN_CODE, st.sampled_from(["y", "n", "YES", "X"])),
        _missing(("cancelTargetList",)),
        _typed(("cancelTargetList",), _NOT_LIST),
        _missing(("claimRsnList",)),
        _typed(("claimRsnList",), _NOT_LIST),
    ]
    for i, _t in enumerate(body["cancelTargetList"]):
        spots += [_typed(("cancelTargetList", i), _NOT_OBJ)]
        spots += _required_str(("cancelTargetList", i, "ordSeq"))
    for i, _r in enumerate(body["claimRsnList"]):
        spots += [_typed(("claimRsnList", i), _NOT_OBJ)]
        spots += _required_str(("claimRsnList", i, "claimRsnCd"))
        spots += _required_str(("claimRsnList", i, "claimRsnNm"))
    return spots


def _x2bee_candidates_spots(payload: WirePayload) -> list[_Spot]:
    spots = [_typed((), st.sampled_from([None, {"items": []}, "x", 1]), "body")]
    for i, _c in enumerate(payload.body):
        spots += [
            _typed((i,), _NOT_OBJ),
            *_required_code((i, "saleStatCd"), x2bee.SALE_STATUS_CODES),
            _missing((i, "salePrc")),
            _typed((i, "salePrc"), _NOT_WON),
            _missing((i, "stkQty")),
            _typed((i, "stkQty"), _NOT_WON),
            *_required_str((i, "itmNo")),
        ]
    return spots


def _x2bee_action_spots(_payload: WirePayload) -> list[_Spot]:
    return []  # any JSON (or none) answers a write: only not-JSON and the HTTP status break it


def _x2bee_error_spots(payload: WirePayload) -> list[_Spot]:
    spots = [
        *_required_str(("code",)),
        _typed(("message",), _NOT_OPT_STR),
        # x2bee reads a falsy `errors` as none
        _typed(("errors",), st.sampled_from(["x", 1, {"a": 1}, True])),
    ]
    for i, error in enumerate(payload.body["errors"]):
        at: Path = ("errors", i)
        spots += [_typed(at, _NOT_OBJ), *_required_str((*at, "field"))]
        said = next((k for k in ("reason", "message", "defaultMessage") if error.get(k)), None)
        if said is not None:
            spots.append(_typed((*at, said), st.sampled_from([[1], {"a": 1}, True, 1.5])))
    return spots


_SpotsOf = Callable[[WirePayload], list[_Spot]]
_SPOTS: Mapping[Marketplace, Mapping[str, _SpotsOf]] = {
    MP.TOSS: {
        "claims_page": _toss_claims_spots,
        "orders_page": _toss_orders_spots,
        "action": _toss_action_spots,
        "error": _toss_error_spots,
    },
    MP.IMWEB: {
        "orders_page": _imweb_orders_spots,
        "prod_orders": _imweb_prod_orders_spots,
        "action": _imweb_action_spots,
        "error": _imweb_error_spots,
    },
    MP.X2BEE: {
        "details": _x2bee_details_spots,
        "cost": _x2bee_cost_spots,
        "cancel_targets": _x2bee_cancel_targets_spots,
        "candidates": _x2bee_candidates_spots,
        "action": _x2bee_action_spots,
        "error": _x2bee_error_spots,
    },
}
