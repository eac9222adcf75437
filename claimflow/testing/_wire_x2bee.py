"""x2bee's wire payloads: valid answers rendered through its codec
(:mod:`claimflow.adapters.codecs.x2bee`) and the spots a malformed one breaks. ``BUILDERS`` (kind ->
strategy), ``SPOTS`` (kind -> spots) and ``WRONG_ENVELOPE`` are what :mod:`._wire` dispatches on;
every marketplace module has the same three names."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from .._engine import allowed_actions
from .._values import CandidateItem, OrderProduct
from .._vocab import Action, Actor
from ..adapters import ActionResult, ItemResult, OrderRef, RemoteAction
from ..adapters.codecs import x2bee
from ._strategies import fresh_order_products
from ._wire_base import (
    _IDS,
    _MOMENTS,
    _NAMES,
    _NOT_DATETIME,
    _NOT_INT,
    _NOT_LIST,
    _NOT_OBJ,
    _NOT_OPT_STR,
    _OPTIONS,
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
    _open_pair,
    _required_code,
    _required_str,
    _same_meaning,
    _Spot,
    _typed,
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
    # 200 with no content [doc §3], or the Response envelope with error false [doc §5.3]
    body = draw(
        st.sampled_from([None, x2bee.encode_success(), x2bee.encode_success({"claimNo": claim_id})])
    )
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
    body = x2bee.encode_error(code, message, timestamp=_iso(draw(_MOMENTS), True))
    body["errors"] = errors
    # x2bee appends the field errors to the message: "message [field: reason, ...]"
    said = f"{message} [{', '.join(details)}]".strip() if details else message
    return WirePayload(
        MP.X2BEE, "error", body, http_status=900, error_code=code, error_message=said
    )


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


BUILDERS = {
    "details": _x2bee_details,
    "cost": _x2bee_cost,
    "cancel_targets": _x2bee_cancel_targets,
    "candidates": _x2bee_candidates,
    "action": _x2bee_action,
    "error": _x2bee_error,
}
SPOTS = {
    "details": _x2bee_details_spots,
    "cost": _x2bee_cost_spots,
    "cancel_targets": _x2bee_cancel_targets_spots,
    "candidates": _x2bee_candidates_spots,
    "action": _x2bee_action_spots,
    "error": _x2bee_error_spots,
}
WRONG_ENVELOPE = _x2bee_wrong_envelope
