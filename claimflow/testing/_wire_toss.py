"""Toss's wire payloads: valid answers rendered through its codec
(:mod:`claimflow.adapters.codecs.toss`) and the spots a malformed one breaks. ``BUILDERS`` (kind ->
strategy), ``SPOTS`` (kind -> spots) and ``WRONG_ENVELOPE`` are what :mod:`._wire` dispatches on;
every marketplace module has the same three names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from .._values import Claim
from ..adapters import ActionResult, ItemResult, RemoteAction
from ..adapters.codecs import toss
from ._wire_base import (
    _IDS,
    _NOT_BOOL,
    _NOT_DATETIME,
    _NOT_INT,
    _NOT_LIST,
    _NOT_OBJ,
    _NOT_OPT_STR,
    _TEXT,
    MP,
    Path,
    Problem,
    WirePayload,
    _action_for,
    _claims_of,
    _Draws,
    _iso,
    _missing,
    _place,
    _Placed,
    _plain,
    _required_code,
    _required_str,
    _same_meaning,
    _Spot,
    _typed,
    _unknown_at,
)


def _toss_envelope(success: object) -> dict[str, Any]:
    return toss.encode_success(success)


def _toss_claim_item(draw: st.DrawFn, p: _Placed, claim: Claim, k: int) -> dict[str, Any]:
    requested = p.ordered_at + dt.timedelta(hours=k + 1)
    assert p.ref.order_id is not None
    item = toss.encode_claim_item(
        claim,
        p.op,
        requested_at=requested,
        order_id=p.ref.order_id,
        ordered_at=p.ordered_at,
        name=p.name,
        option_name=p.option,
        fee_payer=draw(st.sampled_from(["USER", "MERCHANT"])),
        money={"roundTripDeliveryFee": draw(st.sampled_from([0, 3_000, 6_000]))},
    )
    item["id"] = claim.id
    item["requestedDt"] = _iso(requested, draw(st.booleans()))
    return item


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
    assert p.ref.order_id is not None
    row = toss.encode_order_row(
        op,
        order_id=p.ref.order_id,
        ordered_at=p.ordered_at,
        name=p.name,
        option_name=p.option,
        money={"deliveryFee": draw(st.sampled_from([0, 3_000]))},
    )
    code = str(row["orderProductStatus"])
    row["orderProductStatus"] = draw(st.sampled_from(_same_meaning(toss.ORDER_STATUS_CODES, code)))
    row["orderedAt"] = _iso(p.ordered_at, draw(st.booleans()))
    return row


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


def _toss_wrong_envelope(payload: WirePayload) -> list[_Spot]:
    inner = payload.body.get("success")
    bare = inner if isinstance(inner, dict) else {"errorCode": "E"}  # the payload, unwrapped
    imweb_like = {"msg": "SUCCESS", "code": 200, "request_count": 1, "version": "v2", "data": inner}
    envelopes = st.sampled_from([imweb_like, bare])
    return [_Spot((), Problem.WRONG_ENVELOPE, envelopes, "resultType", _plain(payload))]


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
            *_required_code((*at, "type"), toss.CLAIM_TYPES),
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
            _typed((*at, "orderedAt"), _NOT_DATETIME),  # not createdDt (§5.1)
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


BUILDERS = {
    "claims_page": _toss_claims_page,
    "orders_page": _toss_orders_page,
    "action": _toss_action,
    "error": _toss_error,
}
SPOTS = {
    "claims_page": _toss_claims_spots,
    "orders_page": _toss_orders_spots,
    "action": _toss_action_spots,
    "error": _toss_error_spots,
}
WRONG_ENVELOPE = _toss_wrong_envelope
