"""imweb's wire payloads: valid answers rendered through its codec
(:mod:`claimflow.adapters.codecs.imweb`) and the spots a malformed one breaks. ``BUILDERS`` (kind ->
strategy), ``SPOTS`` (kind -> spots) and ``WRONG_ENVELOPE`` are what :mod:`._wire` dispatches on;
every marketplace module has the same three names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs
from hypothesis import strategies as st

from .._values import OrderProduct
from .._vocab import SEOUL, Action, PaymentChannel
from ..adapters import ActionResult, ItemResult, OrderRef, RemoteAction
from ..adapters.codecs import imweb
from ._wire_base import (
    _IDS,
    _MOMENTS,
    _NAMES,
    _NOT_INT,
    _NOT_LIST,
    _NOT_OBJ,
    _NOT_OPT_STR,
    MP,
    Path,
    Problem,
    WirePayload,
    _action_for,
    _Draws,
    _missing,
    _plain,
    _required_code,
    _required_str,
    _same_meaning,
    _Spot,
    _typed,
    _unknown_at,
)

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
        "pay_time": int(order.ordered_at.replace(tzinfo=SEOUL).timestamp()),
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
    for key in imweb.MONEY_FIELDS["order"]:  # per-item money facts [doc, §5.2]
        if draw(st.booleans()):
            row[key] = draw(st.sampled_from([0, 500, 3_000]))
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
            "order_time": int(order.ordered_at.replace(tzinfo=SEOUL).timestamp()),
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
        (imweb.AUTO_REFUND_TEXT, "무통장 입금 주문"),  # '자동환불불가' [doc]
        ("", "재고 부족"),
        ("요청 실패", ""),
    ]
)


@st.composite
def _imweb_action(draw: st.DrawFn, d: _Draws) -> WirePayload:
    (order,) = _imweb_group(draw, draw(d.ops(1)), one_order=True)
    first = order.ops[0]
    action, params = _action_for(draw, first, imweb.ACTIONS)
    if action is Action.EXCHANGE_REJECT:  # the documented call ships the item back [doc, §5.2]
        params = {**params, "carrier": draw(st.sampled_from(sorted(imweb.CARRIER_CODES)))}
        params["tracking_number"] = "1022-5765-4265"
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
            if imweb.AUTO_REFUND_TEXT in msg + detail:
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
        f"{imweb.AUTO_REFUND_TEXT} 주문입니다"
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


def _imweb_wrong_envelope(payload: WirePayload) -> list[_Spot]:
    data = payload.body.get("data")
    toss_like = {"resultType": "SUCCESS", "success": data, "error": None}
    return [_Spot((), Problem.WRONG_ENVELOPE, st.just(toss_like), "code", _plain(payload))]


# --- imweb spots ------------------------------------------------------------------------------

_NOT_CODE: st.SearchStrategy[Any] = st.sampled_from([True, "abc", "", 1.5, [], None, "200a"])
_NOT_COUNT: st.SearchStrategy[Any] = st.sampled_from(["x", -1, "-1", 1.5, True, None, "1.0"])


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
    for i, _row in enumerate(data["list"]):
        at: Path = ("data", "list", i)
        spots += [
            _typed(at, _NOT_OBJ),
            *_required_str((*at, "order_no")),
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
            _typed((*at, "items", 0, "prod_no"), _NOT_OPT_STR),
            _typed((*at, "items", 0, "prod_name"), _NOT_OPT_STR),
            _typed((*at, "items", 0, "payment", "price"), _NOT_INT),
            _typed((*at, "items", 0, "payment", "count"), _NOT_INT),
        ]
        claim_code = row.get("claim_status")
        if claim_code is not None:
            own = imweb.CLAIM_STATUS_CODES[claim_code].claim_type
            others = sorted(c for c, t in imweb.CLAIM_TYPES.items() if t is not own)
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


BUILDERS = {
    "orders_page": _imweb_orders_page,
    "prod_orders": _imweb_prod_orders,
    "action": _imweb_action,
    "error": _imweb_error,
}
SPOTS = {
    "orders_page": _imweb_orders_spots,
    "prod_orders": _imweb_prod_orders_spots,
    "action": _imweb_action_spots,
    "error": _imweb_error_spots,
}
WRONG_ENVELOPE = _imweb_wrong_envelope
