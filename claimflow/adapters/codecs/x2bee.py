"""x2bee (Plateer X2BEE) wire format: the one place that knows it.

The adapter (:mod:`claimflow.adapters.x2bee`) sends with :func:`spec_for` / :data:`SPEC` and the
read flows below; the emulator (:mod:`claimflow.emulators.x2bee`) serves the paths of
:data:`ROUTES` and :data:`READS` and reads their bodies with the same tables;
``tests/golden/x2bee/`` holds the documented requests and answers this module is checked against.

Sources: ``shared/seeds/002_…`` and ``shared/spec/marketplaces.md`` §3 and §5.3 (§5 wins), and
x2bee's published OpenAPI pages (tech.x2bee.com, x2bee.gitbook.io) where they name fields
([doc: page]). Every fact carries its tag: [doc], [client] or [inferred].
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from ..._money import ClaimDelivery, LineMoney
from ..._values import CandidateItem, Claim
from ..._vocab import SEOUL, Action, ClaimStatus, ClaimType, Marketplace, Status
from ...exceptions import (
    AuthenticationError,
    InvalidInputError,
    MarketplaceError,
    MarketplaceUnavailableError,
    NotSupportedError,
    RateLimitedError,
)
from .. import _boundary
from .._codec import (
    Endpoint,
    Envelope,
    StatusCode,
    Unsupported,
    WireFieldError,
    wire_list,
    wire_obj,
    wire_opt_datetime,
    wire_opt_int,
    wire_opt_str,
    wire_str,
)
from .._spec import (
    Call,
    Flow,
    ListEndpoint,
    MarketplaceSpec,
    single_flow,
)
from .._values import (
    ActionResult,
    ItemResult,
    OrderQuery,
    OrderRef,
    Page,
    RemoteAction,
    RemoteClaim,
    RemoteOrderProduct,
    check_base_url,
)
from ._base import From, Refusal, Template, TemplateMismatch, Unused

__all__ = [
    "ACTIONS",
    "CANCEL_REASONS",
    "CLAIM_DELIVERY_ORIGIN",
    "CLAIM_STATUS_CODES",
    "CLAIM_TYPE_CODES",
    "DEFAULT_BO_URL",
    "DEFAULT_GOODS_URL",
    "DEFAULT_ORDER_URL",
    "ENVELOPE_KEYS",
    "ERROR_CODES",
    "HTTP_ERRORS",
    "LINE_MONEY_ORIGIN",
    "MARKETPLACE",
    "MONEY_FIELDS",
    "ORDER_DETAIL_KINDS",
    "ORDER_STATUS_CODES",
    "ORDER_STATUS_FIELD",
    "PICKUP_STEPS",
    "READS",
    "REFUND_RESULT_CODES",
    "REFUSALS",
    "RETURN_COMPLETION",
    "ROUTES",
    "SALE_STATUS_CODES",
    "SPEC",
    "UNSUPPORTED",
    "Bare",
    "CancelTargets",
    "ClaimLine",
    "CostCalculation",
    "Hosts",
    "OrderLine",
    "Route",
    "cancel_popup_flow",
    "candidates_flow",
    "claim_delivery",
    "claim_status_code",
    "cost_flow",
    "decode_pickup",
    "encode_cancel_popup",
    "encode_cost",
    "encode_details",
    "encode_error",
    "encode_other_items",
    "encode_refusal",
    "encode_success",
    "line_money",
    "order_status_code",
    "parse_details",
    "read_flow",
    "read_token",
    "spec_for",
    "unwrap",
]

DEFAULT_ORDER_URL = "https://api-order.x2bee.com/api/order"  # [doc]
DEFAULT_BO_URL = "https://api-bo.x2bee.com/api/bo"  # [doc]
DEFAULT_GOODS_URL = "https://api-goods.x2bee.com/api/goods"  # [inferred] host; prefix [doc]

A, S, CS, CT = Action, Status, ClaimStatus, ClaimType
MP = Marketplace.X2BEE

# --- wire status codes ------------------------------------------------------------------------

MARKETPLACE = MP
T = TypeVar("T")

#: 주문내역상태 ``ordDtlStatCd`` (x2bee common code OM005). Documented [doc, §5.3]: **22 출고지시,
#: 23 출고대기, 36 회수완료, 37 반품완료**. Every other code below is **[inferred]**: x2bee does
#: not publish it, claimflow needs one for each state to read an order line back (the codes 60-74
#: used before were invented and are gone). A pending return or exchange request folds into one
#: code (접수, [inferred]) like Toss's; the pickup codes serve returns and exchanges alike, told
#: apart by the open claim's type (``per_claim_type``).
ORDER_STATUS_CODES: dict[str, StatusCode] = {
    sc.code: sc
    for sc in (
        StatusCode("11", S.PAID, tag="inferred", note="주문완료 (OM003 11 is the kind [doc])"),
        StatusCode("22", S.PREPARING, tag="doc", note="출고지시 (the mapping is inferred)"),
        StatusCode("23", S.PREPARING, tag="doc", note="출고대기 (the mapping is inferred)"),
        StatusCode("30", S.SHIPPING, tag="inferred", note="배송중"),
        StatusCode("40", S.DELIVERED, tag="inferred", note="배송완료"),
        StatusCode("50", S.CONFIRMED, tag="inferred", note="구매확정"),
        StatusCode("19", S.CANCELED, tag="inferred", note="취소완료"),
        StatusCode("33", None, None, CS.REQUESTED, tag="inferred", note="반품/교환 접수"),
        StatusCode("35", None, None, CS.APPROVED, tag="inferred", note="회수지시",
                   per_claim_type=((CT.RETURN, S.RETURN_COLLECTING),
                                   (CT.EXCHANGE, S.EXCHANGE_COLLECTING))),
        StatusCode("36", None, None, CS.COLLECTED, tag="doc",
                   note="회수완료 [doc]; that an exchange's pickup shows it too is inferred",
                   per_claim_type=((CT.RETURN, S.RETURN_COLLECTED),
                                   (CT.EXCHANGE, S.EXCHANGE_COLLECTED))),
        StatusCode("37", S.RETURNED, CT.RETURN, CS.COMPLETED, tag="doc", note="반품완료"),
        StatusCode("38", S.REDELIVERING, CT.EXCHANGE, CS.REDELIVERING, tag="inferred",
                   note="교환배송중"),
        StatusCode("39", S.EXCHANGED, CT.EXCHANGE, CS.COMPLETED, tag="inferred", note="교환완료"),
    )
}  # fmt: skip

#: the field carrying an order line's ``ordDtlStatCd`` [doc, §5.3: the pickup call's field]
ORDER_STATUS_FIELD = "ordDtlStatCd"

#: 주문내역구분 (OM003) [doc, §5.3]: 11 주문완료, 20 반품.
ORDER_DETAIL_KINDS: dict[str, str] = {"11": "주문완료", "20": "반품"}
#: 환불처리결과 (OM049) [doc, §5.3]: 10 미처리, 20 성공, 30 실패.
REFUND_RESULT_CODES: dict[str, str] = {"10": "미처리", "20": "성공", "30": "실패"}

_STATUS_OUT: dict[Status, str] = {
    S.PAID: "11",
    S.PREPARING: "22",
    S.SHIPPING: "30",
    S.DELIVERED: "40",
    S.CONFIRMED: "50",
    S.CANCELED: "19",
    S.RETURN_COLLECTING: "35",
    S.RETURN_COLLECTED: "36",
    S.RETURNED: "37",
    S.EXCHANGE_COLLECTING: "35",
    S.EXCHANGE_COLLECTED: "36",
    S.REDELIVERING: "38",
    S.EXCHANGED: "39",
}
_REQUESTED_OUT: dict[ClaimType, str] = {CT.RETURN: "33", CT.EXCHANGE: "33"}


def order_status_code(status: Status, open_claim: tuple[ClaimType, ClaimStatus] | None) -> str:
    """The ``ordDtlStatCd`` x2bee shows for *status* with *open_claim* ``(type, status)``.

    A pending return or exchange request folds into the code 33 (접수) [inferred].
    """
    if open_claim is not None and open_claim[1] is CS.REQUESTED and open_claim[0] in _REQUESTED_OUT:
        return _REQUESTED_OUT[open_claim[0]]
    try:
        return _STATUS_OUT[status]
    except KeyError:
        msg = f"x2bee has no order status code for {status}"
        raise InvalidInputError(msg, field="status") from None


#: 클레임 업무 유형 ``claimBusinessType`` [doc: the field, on the 주문교환 BO page, whose example
#: is 20]; the values are [inferred] (20 for an exchange, after that example).
CLAIM_TYPE_CODES: dict[str, ClaimType] = {
    "10": CT.CANCEL,
    "20": CT.EXCHANGE,
    "30": CT.RETURN,
    "40": CT.OPTION_CHANGE,
}
_CLAIM_TYPE_OUT = {v: k for k, v in CLAIM_TYPE_CODES.items()}

#: A claim's status ``claimStatCd`` in ``claimDetailsInfoFO``'s answer [inferred]: one code per
#: claimflow status, so that reading a claim back needs no guessing.
CLAIM_STATUS_CODES: dict[str, ClaimStatus] = {
    "11": CS.REQUESTED,  # 접수
    "21": CS.APPROVED,  # 회수지시
    "22": CS.COLLECTED,  # 회수완료
    "23": CS.REDELIVERING,  # 교환배송
    "30": CS.COMPLETED,  # 완료
    "41": CS.WITHDRAWN,  # 철회
    "51": CS.REJECTED,  # 거부
    "52": CS.COLLECTION_REJECTED,  # 반려
}
_CLAIM_STATUS_OUT = {v: k for k, v in CLAIM_STATUS_CODES.items()}
_OPEN = frozenset({CS.REQUESTED, CS.APPROVED, CS.COLLECTED, CS.REDELIVERING})


def claim_status_code(claim_type: ClaimType, status: ClaimStatus) -> str:
    """The ``claimStatCd`` x2bee shows for a claim in *status* [inferred]."""
    try:
        return _CLAIM_STATUS_OUT[status]
    except KeyError:
        msg = f"x2bee has no claim status for {claim_type} {status}"
        raise InvalidInputError(msg, field="claim_status") from None


#: A candidate item's ``saleStatCd`` [inferred]: whether it is on sale.
SALE_STATUS_CODES: dict[str, bool] = {
    "10": True,  # 판매중
    "11": False,  # 일시품절
    "20": False,  # 판매중지
    "30": False,  # 판매종료
}

#: ``saveWithdrawStatUpdateProcess``: (current, target) ``ordDtlStatCd`` of each pickup step. The
#: call and its two fields are [doc, §5.3]; 회수완료 36 is [doc]; 접수 33 and 회수지시 35 are
#: [inferred] (see :data:`ORDER_STATUS_CODES`), and so is 회수지시 standing for approval.
PICKUP_STEPS: dict[Action, tuple[str, str]] = {
    A.RETURN_APPROVE: ("33", "35"),  # 반품접수 -> 회수지시
    A.RETURN_COLLECT: ("35", "36"),  # 회수지시 -> 회수완료
    A.EXCHANGE_APPROVE: ("33", "35"),  # 교환접수 -> 회수지시
    A.EXCHANGE_COLLECT: ("35", "36"),  # 회수지시 -> 회수완료
}

#: ``saveRefundBundleApproMgmt``'s fixed fields [doc, §5.3]: ``claimBusinessType`` 22 is
#: 반품완료 [doc]; ``systemType`` is required [doc], its value 10 is the published example of the
#: BO claim pages [inferred meaning].
RETURN_COMPLETION: dict[str, str] = {"claimBusinessType": "22", "systemType": "10"}


# --- request bodies as data -----------------------------------------------------------------

ORD_NO, ORD_SEQ, CLAIM_NO = From("order_id"), From("order_product_id"), From("claim_id")


def _body(template: object) -> Template:
    """An x2bee request body: the shared :class:`~claimflow.adapters.codecs.Template`."""
    return Template(template, "x2bee")


@attrs.frozen
class Route:
    """Where one call goes: the host (``order``, ``bo``, ``goods``), the path, the body, the
    spec's confidence in them. All x2bee calls are ``POST``."""

    host: str
    path: str
    body: Template | None = None
    tag: str = "doc"

    def url(self, hosts: Hosts) -> str:
        """The absolute URL on *hosts*."""
        return hosts.url(self.host) + self.path


_PICKUP_PARCEL = Unused("claimflow's pickup steps take no carrier or invoice")


def _pickup(action: Action) -> Template:
    current, target = PICKUP_STEPS[action]
    return _body(
        {
            ORDER_STATUS_FIELD: current,  # [doc: page]
            "updateTargetOrdDtlStatCd": target,  # [doc: page]
            # [doc: page] the list; its items' fields [inferred]
            "withdrawStatUpdateSaveInfoList": [
                {
                    "ordNo": ORD_NO,
                    "ordSeq": ORD_SEQ,
                    "claimNo": CLAIM_NO,
                    # a pickup's carrier and invoice [inferred names]: x2bee's delivery pages
                    # name them hdcCd / invNo; claimflow's pickup steps take neither
                    "hdcCd": _PICKUP_PARCEL,
                    "invNo": _PICKUP_PARCEL,
                }
            ],
        }
    )


_WITHDRAW = "/v1/delivery/withdrawProcess/saveWithdrawStatUpdateProcess"

#: The call carrying out each action x2bee's sources document (paths [doc]).
ROUTES: dict[Action, Route] = {
    A.CANCEL_REQUEST: Route(
        "order",
        "/v1/claim/orderCancel/cancelFO",
        _body(
            {  # [inferred] field names
                "ordNo": ORD_NO,
                "ordSeq": ORD_SEQ,
                "claimRsnCont": From("reason"),
                # the amounts the buyer confirmed, from claimCalculateCostFO
                "rfdAmt": From("refund_amount", optional=True),
                "addPayAmt": From("extra_payment", optional=True),
            }
        ),
    ),
    A.OPTION_CHANGE: Route(
        "order",
        "/v1/claim/orderChange/ordChangeFO",
        _body({"ordNo": ORD_NO, "ordSeq": ORD_SEQ, "chgItmNo": From("new_item", pick="item_id")}),
    ),
    # the order API's path [doc: page]; the BO API forwards to it
    A.RETURN_APPROVE: Route("order", _WITHDRAW, _pickup(A.RETURN_APPROVE)),
    A.RETURN_COLLECT: Route("order", _WITHDRAW, _pickup(A.RETURN_COLLECT)),
    A.EXCHANGE_APPROVE: Route("order", _WITHDRAW, _pickup(A.EXCHANGE_APPROVE)),
    A.EXCHANGE_COLLECT: Route("order", _WITHDRAW, _pickup(A.EXCHANGE_COLLECT)),
    # [doc, §5.3]: ordNo, claimNo, claimBusinessType (22 반품완료), systemType are required;
    # allowed only for a return (OM003 20) at 회수완료 (OM005 36), which becomes 반품완료 (37).
    # The body being a list of claims ("대상 클레임들") is [inferred].
    A.RETURN_COMPLETE: Route(
        "order",  # the order API's page [doc]
        "/v1/payment/saveRefundBundleApproMgmt",
        _body([{"ordNo": ORD_NO, "claimNo": CLAIM_NO, **RETURN_COMPLETION}]),
    ),
}

#: the claim type of each pickup step (returns and exchanges share the codes)
_PICKUP_TYPES: dict[Action, ClaimType] = {
    A.RETURN_APPROVE: CT.RETURN,
    A.RETURN_COLLECT: CT.RETURN,
    A.EXCHANGE_APPROVE: CT.EXCHANGE,
    A.EXCHANGE_COLLECT: CT.EXCHANGE,
}
_PICKUP_LIST = "withdrawStatUpdateSaveInfoList"  # [doc: page]


def decode_pickup(body: object) -> tuple[dict[ClaimType, Action], list[dict[str, object]]]:
    """``saveWithdrawStatUpdateProcess`` read back with the pickup templates of :data:`ROUTES`
    (the emulator's side): the step of each claim type its (current, target) codes are (returns
    and exchanges share the codes: the open claim's type tells which), and the ids of each of its
    one or more targets. :class:`~claimflow.adapters.codecs.TemplateMismatch` otherwise."""
    if not isinstance(body, dict):
        raise TemplateMismatch("body", "expected an object")
    codes = (str(body.get(ORDER_STATUS_FIELD)), str(body.get("updateTargetOrdDtlStatCd")))
    steps = {_PICKUP_TYPES[a]: a for a, step in PICKUP_STEPS.items() if step == codes}
    if not steps:
        raise TemplateMismatch(
            "body.updateTargetOrdDtlStatCd", f"no pickup step {codes[0]} -> {codes[1]}"
        )
    entries = body.get(_PICKUP_LIST)
    if not isinstance(entries, list) or not entries:
        raise TemplateMismatch(f"body.{_PICKUP_LIST}", "expected an array of one or more")
    template = ROUTES[next(iter(steps.values()))].body
    assert template is not None
    return steps, [template.parse({**body, _PICKUP_LIST: [entry]}) for entry in entries]


#: The reads (all ``POST``; paths [doc]) and their request bodies: the field names are
#: [inferred] unless marked (x2bee's pages name ``ordNo``/``ordSeq``/``claimNo`` across the claim
#: APIs, ``goodsNo``/``itmNo`` across the goods APIs).
READS: dict[str, Route] = {
    "cancel_popup": Route("order", "/v1/claim/orderCancel/cancelPopupFO", _body({"ordNo": ORD_NO})),
    # claimBusinessType [doc: the field]; 10 for a cancel [inferred] (CLAIM_TYPE_CODES)
    "calculate_cost": Route(
        "order",
        "/v1/claim/common/claimCalculateCostFO",
        _body(
            {"ordNo": ORD_NO, "ordSeq": ORD_SEQ, "claimBusinessType": _CLAIM_TYPE_OUT[CT.CANCEL]}
        ),
    ),
    "claim_details": Route(
        "order",
        "/v1/claim/common/claimDetailsInfoFO",
        _body({"ordNo": ORD_NO, "ordSeq": ORD_SEQ, "claimNo": From("claim_id", optional=True)}),
    ),
    # "다건 상품 itmNo별 단품정보": a list of {goodsNo, itmNo} [doc: page names, inferred shape]
    "other_items": Route(
        "goods",
        "/v1/detail/otherItms",
        _body([{"goodsNo": From("goods_no"), "itmNo": From("item_id", optional=True)}]),
    ),
}

_NO_PATH = (
    "marketplaces.md §3: x2bee's return request/approve and exchange submit paths were not found, "
    "and claimflow does not guess one"
)
_NOT_IN_SOURCES = Unsupported(
    "no x2bee call for it is in the documents claimflow's x2bee adapter is built from "
    "(shared/seeds/002_…, marketplaces.md §3); do it in x2bee's back office"
)
_FULFILMENT = Unsupported(
    "x2bee documents no seller call for 상품준비 or 발송 (marketplaces.md §3, §5.3): its BO "
    "결품처리 page moves 22 출고지시 <-> 23 출고대기 only, which is no claimflow action"
)
#: Why the other actions x2bee's rules offer have no call (NotSupportedError, nothing sent).
UNSUPPORTED: dict[Action, Unsupported] = {
    A.RETURN_REQUEST: Unsupported(f"the buyer's 반품신청 in the storefront: {_NO_PATH}"),
    A.EXCHANGE_REQUEST: Unsupported(f"the buyer's 교환신청 in the storefront: {_NO_PATH}"),
    A.RETURN_WITHDRAW: _NOT_IN_SOURCES,
    A.RETURN_REJECT: _NOT_IN_SOURCES,
    A.RETURN_REJECT_COLLECTED: _NOT_IN_SOURCES,
    A.EXCHANGE_REJECT: _NOT_IN_SOURCES,
    A.EXCHANGE_REJECT_COLLECTED: _NOT_IN_SOURCES,
    A.EXCHANGE_REDELIVER: _NOT_IN_SOURCES,
    A.EXCHANGE_CHANGE_INVOICE: _NOT_IN_SOURCES,
    A.EXCHANGE_COMPLETE: _NOT_IN_SOURCES,
    A.EXCHANGE_WITHDRAW: Unsupported(
        "the buyer's 교환 철회 has no documented x2bee call: withdrawalExchange "
        "(wthdFnshWaitProcCaus, 회수완료 대기처리 사유) is a pickup-side step, not the buyer's "
        "withdrawal (marketplaces.md §5.3)"
    ),
    A.ORDER_PREPARE: _FULFILMENT,
    A.ORDER_SHIP: _FULFILMENT,
    A.ORDER_DELIVER: Unsupported("delivery is marked by x2bee's carrier tracking"),
    A.ORDER_CONFIRM: Unsupported("the buyer or x2bee confirms the purchase"),
}

# --- envelope -----------------------------------------------------------------------------------


@attrs.frozen
class Bare:
    """A 200 answer that is not x2bee's ``Response`` envelope: the DTO of a read as §3 describes
    it [doc, §3]; for a write it is not a success (§5.3): :func:`parse_action` refuses it."""

    body: object


_ENVELOPE_KEYS = frozenset({"code", "message", "isProcess", "payload", "error"})
#: every top-level key of x2bee's answers [doc]: the ``Response`` envelope (§5.3) and Spring's
#: error body; JSON sharing none of them is a gateway's or a proxy's own
ENVELOPE_KEYS = frozenset(
    {"timestamp", "code", "message", "isProcess", "payload", "error", "errors", "status"}
)


def _dto(payload: object) -> object:
    """A read's DTO: the envelope's ``payload``, or the bare answer."""
    return payload.body if isinstance(payload, Bare) else payload


def unwrap(status: int, body: object) -> Envelope:
    """x2bee's answers [doc]:

    - the ``Response`` envelope ``{timestamp, code, message, isProcess, payload, error,
      errors[]}`` (§5.3): ``error: true`` (any HTTP status) is a refusal with ``code`` and
      ``message`` (its field errors appended as ``[field: reason, ...]``), else success with
      ``payload``;
    - HTTP 900 is a business error in that envelope (§3);
    - Spring's own error body ``{"status": 500, "error": "Internal Server Error"}`` in a 200 is
      a failure with code ``str(status)`` (§5.3: not a success);
    - the error envelope's fields without the rest of the envelope (``code`` with ``message``
      or ``errors``, ``error`` not false) in a 200 are a refusal too, not a DTO [inferred];
    - HTTP 200 with no content (§3: "often no content") is a success with None; any other JSON
      is :class:`Bare` (a read's DTO; not a success for a write).
    """
    if (
        isinstance(body, dict)
        and isinstance(body.get("status"), int)
        and isinstance(body.get("error"), str)
    ):
        message = wire_opt_str(body, "message") or body["error"]
        return Envelope(False, code=str(body["status"]), message=str(message))
    enveloped = isinstance(body, dict) and body.keys() >= _ENVELOPE_KEYS
    refusal = (
        not enveloped
        and _boundary.error_shaped(body, ("code",), ("message", "errors"))
        and isinstance(body, dict)
        and body.get("error") is not False
    )
    if status == 200 and not enveloped and not refusal:
        return Envelope(True, None if body is None else Bare(body))
    if status == 200 and enveloped and isinstance(body, dict) and body.get("error") is False:
        return Envelope(True, body.get("payload"))
    if enveloped and isinstance(body, dict) and status == 200 and body.get("error") is not True:
        raise WireFieldError("error", f"expected true or false, got {body.get('error')!r}")
    code = wire_str(body, "code")
    assert isinstance(body, dict)  # wire_str checked it
    message = wire_opt_str(body, "message") or ""
    errors = body.get("errors") or []
    if not isinstance(errors, list):
        raise WireFieldError("errors", f"expected an array, got {type(errors).__name__}")
    details = []
    for i, item in enumerate(errors):
        where = f"errors[{i}]"
        field = wire_str(item, "field", where)
        assert isinstance(item, dict)
        # Spring's field errors say it as reason, message or defaultMessage [inferred]
        said = next(
            (wire_opt_str(item, k, where) for k in ("reason", "message", "defaultMessage")
             if item.get(k)),
            None,
        )  # fmt: skip
        details.append(f"{field}: {said}" if said else field)
    if details:
        message = f"{message} [{', '.join(details)}]".strip()
    return Envelope(False, code=code, message=message)


def parse_action(action: RemoteAction, payload: object) -> ActionResult:
    """A write succeeded: HTTP 200 with no content or the envelope with ``error: false``
    [doc]. A bare JSON answer is not x2bee's envelope: not a success (§5.3)."""
    if isinstance(payload, Bare):
        raise WireFieldError(
            "body", "not x2bee's Response envelope: the write's outcome is unknown"
        )
    return ActionResult(action, tuple(ItemResult(i, True) for i in action.items))


def encode_success(payload: object = None) -> dict[str, object]:
    """A success in the ``Response`` envelope [doc, §5.3]."""
    return {"timestamp": None, "code": "0000", "message": "성공", "isProcess": True,
            "payload": payload, "error": False, "errors": []}  # fmt: skip


def encode_error(
    code: str, message: str, errors: Sequence[tuple[str, object, str]] = (), timestamp: str = ""
) -> dict[str, object]:
    """A business error (HTTP 900) in the ``Response`` envelope [doc]."""
    return {
        "timestamp": timestamp,
        "code": code,
        "message": message,
        "isProcess": False,
        "payload": None,
        "error": True,
        "errors": [{"field": f, "value": v, "reason": r} for f, v, r in errors],
    }


#: How x2bee refuses a request before any action: HTTP status and ``code`` of the ``Response``
#: envelope. HTTP 401 for a refused token [doc]; the codes are the emulator's own [inferred]: x2bee
#: publishes none (every refusal is the envelope, §5.3).
REFUSALS: Mapping[Refusal, tuple[int, str]] = {
    Refusal.UNAUTHORIZED: (401, "UNAUTHORIZED"),
    Refusal.RATE_LIMITED: (429, "TOO_MANY_REQUESTS"),  # a gateway's 429 [inferred]
    Refusal.MALFORMED: (900, "INVALID_REQUEST"),  # a business error is HTTP 900 [doc, §3]
    Refusal.TOO_LARGE: (413, "INVALID_REQUEST"),  # a front server's 413 [inferred]
    Refusal.FAILED: (500, "INTERNAL_SERVER_ERROR"),
}


def encode_refusal(
    refusal: Refusal, message: str, timestamp: str = ""
) -> tuple[int, dict[str, object]]:
    """The HTTP status and ``Response`` envelope of a request refused for *refusal* (see
    :data:`REFUSALS`)."""
    status, code = REFUSALS[refusal]
    return status, encode_error(code, message, timestamp=timestamp)


def read_token(headers: Mapping[str, str]) -> str:
    """The access token a request carries: ``Authorization: Bearer`` [doc]; empty when none."""
    auth = headers.get("authorization", "")
    return auth[7:] if auth.startswith("Bearer ") else ""


#: x2bee's business codes are not published; Spring's error body in a 200 carries an HTTP status
ERROR_CODES: dict[str, type[MarketplaceError]] = {
    "500": MarketplaceUnavailableError,  # §5.3's example: {"status":500,"error":"Internal ..."}
    "502": MarketplaceUnavailableError,
    "503": MarketplaceUnavailableError,
}
HTTP_ERRORS: dict[int, type[MarketplaceError]] = {
    401: AuthenticationError,  # [doc] the access token is refused
    403: AuthenticationError,
    429: RateLimitedError,  # a gateway's answer [inferred]
}

# --- reads ----------------------------------------------------------------------------------------


@attrs.frozen
class _Read(Call[T]):
    """A ``POST`` that only reads (x2bee sends its reads as POST): safe to repeat."""

    @property
    def idempotent(self) -> bool:
        """Always: repeating a read cannot change anything."""
        return True


@attrs.frozen
class CostCalculation:
    """What ``claimCalculateCostFO`` says cancelling one order product costs, in won: a refund or
    an extra payment (one of the two is 0).

    ``params`` goes to :func:`claimflow.check` (the preview shows REFUND or CHARGE_EXTRA with this
    amount) and to :func:`~claimflow.adapters.apply_remote` (``cancelFO`` carries it).
    """

    order_product_id: str
    order_id: str
    refund_amount: int
    extra_payment: int

    @property
    def params(self) -> dict[str, int]:
        """``refund_amount`` and ``extra_payment``, for ``cancel.request``."""
        return {"refund_amount": self.refund_amount, "extra_payment": self.extra_payment}


@attrs.frozen
class CancelTargets:
    """``cancelPopupFO``'s answer: the order lines that may be cancelled and the reasons offered.

    ``partial_cancel_allowed`` is the order's ``sctnCnclPsbYn`` [doc: page]; the rest of the
    answer's fields are [inferred].
    """

    order_id: str
    partial_cancel_allowed: bool
    order_product_ids: tuple[str, ...]
    reasons: tuple[tuple[str, str], ...]  # (code, label)


def _fill(route: Route, **values: object) -> object:
    """A read's request body from its template."""
    assert route.body is not None
    return route.body.fill(values, route.path.rsplit("/", 1)[-1])


def _ref_ids(ref: OrderRef) -> tuple[str, str]:
    if not ref.order_id:
        msg = (
            f"x2bee addresses order product {ref.order_product_id!r} by its order number "
            "(ordNo): give OrderRef(order_product_id, order_id=...)"
        )
        raise InvalidInputError(msg, field="order_id")
    return ref.order_id, ref.order_product_id


def _won(obj: Mapping[str, Any], key: str) -> int:
    value = wire_opt_int(obj, key)
    if value is None or value < 0:
        raise WireFieldError(key, f"expected an amount in won (an integer >= 0), got {value!r}")
    return value


def _yn(obj: Mapping[str, Any], key: str, where: str = "") -> bool:
    value = wire_str(obj, key, where)
    if value not in {"Y", "N"}:
        raise WireFieldError(f"{where}.{key}" if where else key, f"expected Y or N, got {value!r}")
    return value == "Y"


def cost_flow(hosts: Hosts, ref: OrderRef) -> Flow[CostCalculation]:
    """``claimCalculateCostFO`` for cancelling the order product of *ref*."""
    order_id, op_id = _ref_ids(ref)

    def parse(payload: object) -> CostCalculation:
        obj = wire_obj({"payload": _dto(payload)}, "payload")  # the DTO must be an object
        refund, extra = _won(obj, "rfdAmt"), _won(obj, "addPayAmt")  # [inferred] names
        if refund and extra:
            raise WireFieldError("addPayAmt", f"both a refund ({refund}) and an extra payment")
        return CostCalculation(op_id, order_id, refund, extra)

    route = READS["calculate_cost"]
    body = _fill(route, order_id=order_id, order_product_id=op_id)
    call = _Read("POST", route.url(hosts), parse, json=body, order_product_id=op_id)
    return single_flow(call)


def cancel_popup_flow(hosts: Hosts, order_id: str) -> Flow[CancelTargets]:
    """``cancelPopupFO`` for order *order_id*."""

    def parse(payload: object) -> CancelTargets:
        obj = wire_obj({"payload": _dto(payload)}, "payload")
        targets = wire_list(obj, "cancelTargetList")
        reasons = wire_list(obj, "claimRsnList")
        return CancelTargets(
            wire_str(obj, "ordNo"),
            _yn(obj, "sctnCnclPsbYn"),
            tuple(wire_str(t, "ordSeq", f"cancelTargetList[{i}]") for i, t in enumerate(targets)),
            tuple(
                (
                    wire_str(r, "claimRsnCd", f"claimRsnList[{i}]"),
                    wire_str(r, "claimRsnNm", f"claimRsnList[{i}]"),
                )
                for i, r in enumerate(reasons)
            ),
        )

    route = READS["cancel_popup"]
    call = _Read("POST", route.url(hosts), parse, json=_fill(route, order_id=order_id))
    return single_flow(call)


def _candidate(item: object, where: str) -> CandidateItem:
    code = wire_str(item, "saleStatCd", where)
    if code not in SALE_STATUS_CODES:
        raise WireFieldError(f"{where}.saleStatCd", f"unknown sale status {code!r}")
    assert isinstance(item, dict)
    price, stock = wire_opt_int(item, "salePrc", where), wire_opt_int(item, "stkQty", where)
    if price is None or price < 0:
        raise WireFieldError(f"{where}.salePrc", f"expected an amount in won, got {price!r}")
    if stock is None or stock < 0:
        raise WireFieldError(f"{where}.stkQty", f"expected a count, got {stock!r}")
    return CandidateItem(wire_str(item, "itmNo", where), price, SALE_STATUS_CODES[code], stock)


def candidates_flow(hosts: Hosts, goods_no: str, item_id: str) -> Flow[tuple[CandidateItem, ...]]:
    """``otherItms`` [doc]: the items (단품) of goods *goods_no*, *item_id* (ordered) included."""

    def parse(payload: object) -> tuple[CandidateItem, ...]:
        payload = _dto(payload)
        if not isinstance(payload, list):
            raise WireFieldError("body", f"expected an array, got {type(payload).__name__}")
        return tuple(_candidate(item, f"[{i}]") for i, item in enumerate(payload))

    route = READS["other_items"]
    call = _Read(
        "POST", route.url(hosts), parse, json=_fill(route, goods_no=goods_no, item_id=item_id)
    )
    return single_flow(call)


def _claim(item: object, where: str, order_id: str, op_id: str) -> RemoteClaim:
    type_code = wire_str(item, "claimBusinessType", where)
    claim_type = CLAIM_TYPE_CODES.get(type_code)
    if claim_type is None:
        raise WireFieldError(f"{where}.claimBusinessType", f"unknown claim type {type_code!r}")
    wire_status = wire_str(item, "claimStatCd", where)
    status = CLAIM_STATUS_CODES.get(wire_status)
    if status is None:
        raise WireFieldError(f"{where}.claimStatCd", f"unknown claim status {wire_status!r}")
    assert isinstance(item, dict)
    return RemoteClaim(
        id=wire_str(item, "claimNo", where),
        type=claim_type,
        status=status,
        wire_status=wire_status,
        is_open=status in _OPEN,
        order_product_id=op_id,
        order_id=order_id,
        requested_at=wire_opt_datetime(item, "claimReqDtm", where, tz=SEOUL),
        reason=wire_opt_str(item, "claimRsnCont", where),
    )


def parse_details(payload: object) -> RemoteOrderProduct:
    """One order line from ``claimDetailsInfoFO``'s answer [inferred fields]."""
    obj = wire_obj({"payload": _dto(payload)}, "payload")
    code = wire_str(obj, "ordDtlStatCd")
    status_code = ORDER_STATUS_CODES.get(code)
    if status_code is None:
        raise WireFieldError("ordDtlStatCd", f"unknown status code {code!r}")
    order_id, op_id = wire_str(obj, "ordNo"), wire_str(obj, "ordSeq")
    claims = [
        _claim(c, f"claimList[{i}]", order_id, op_id)
        for i, c in enumerate(wire_list(obj, "claimList"))
    ]
    row = RemoteOrderProduct(
        id=op_id,
        wire_status=code,
        status=status_code.status,
        order_id=order_id,
        ordered_at=wire_opt_datetime(obj, "ordDtm", tz=SEOUL),
        item_id=wire_opt_str(obj, "itmNo"),
        name=wire_opt_str(obj, "goodsNm"),
        unit_price=wire_opt_int(obj, "salePrc"),
        quantity=wire_opt_int(obj, "ordQty"),
    )
    return _assemble(row, claims)


def _assemble(row: RemoteOrderProduct, claims: Sequence[RemoteClaim]) -> RemoteOrderProduct:
    """Claims oldest first; a folded code (반품접수) resolved by the open claim's type."""
    ordered = sorted(claims, key=lambda c: (c.requested_at is None, c.requested_at, c.id))
    open_claim = next((c for c in reversed(ordered) if c.is_open), None)
    status = ORDER_STATUS_CODES[row.wire_status].resolve(open_claim.type if open_claim else None)
    return attrs.evolve(row, status=status, claims=tuple(ordered))


def read_flow(hosts: Hosts, ref: OrderRef) -> Flow[RemoteOrderProduct]:
    """Read one order product back with ``claimDetailsInfoFO`` (``ordNo`` + ``ordSeq``)."""
    order_id, op_id = _ref_ids(ref)

    def parse(payload: object) -> RemoteOrderProduct:
        row = parse_details(payload)
        if (row.order_id, row.id) != (order_id, op_id):
            msg = f"answer is for {row.order_id}/{row.id}, not {order_id}/{op_id}"
            # the field that differs: the order (ordNo) before the line in it (ordSeq)
            raise WireFieldError("ordNo" if row.order_id != order_id else "ordSeq", msg)
        return row

    route = READS["claim_details"]
    body = _fill(route, order_id=order_id, order_product_id=op_id)
    call = _Read("POST", route.url(hosts), parse, json=body, order_product_id=op_id)
    return single_flow(call)


# --- lists: none documented ---------------------------------------------------------------------


def _no_list(what: str) -> Callable[[Any, str | None], list[tuple[str, str]]]:
    def query(_query: object, _cursor: str | None) -> list[tuple[str, str]]:
        msg = (
            f"x2bee: no {what} list API is in claimflow's sources (marketplaces.md §3); read one "
            "order product with read(OrderRef(order_product_id, order_id=...)) instead"
        )
        raise NotSupportedError(msg, marketplace=MP, documented=False)

    return query


def _never(_payload: object) -> Page[Any]:  # pragma: no cover - _no_list raises first
    raise AssertionError("x2bee has no list API")


def _locate(ref: OrderRef) -> OrderQuery:
    return OrderQuery(order_ids=(_ref_ids(ref)[0],))


# --- the spec -----------------------------------------------------------------------------------


def _order_url(url: str) -> str:
    return check_base_url(url, "order_url")


def _bo_url(url: str) -> str:
    return check_base_url(url, "bo_url")


def _goods_url(url: str) -> str:
    return check_base_url(url, "goods_url")


@attrs.frozen
class Hosts:
    """x2bee's three API base URLs (https, or http on a loopback host), without a trailing
    slash: ``order`` and ``bo`` [doc], ``goods`` [inferred host]."""

    order: str = attrs.field(default=DEFAULT_ORDER_URL, converter=_order_url)
    bo: str = attrs.field(default=DEFAULT_BO_URL, converter=_bo_url)
    goods: str = attrs.field(default=DEFAULT_GOODS_URL, converter=_goods_url)

    def url(self, host: str) -> str:
        """The base URL of *host* (``order``, ``bo`` or ``goods``)."""
        return {"order": self.order, "bo": self.bo, "goods": self.goods}[host]


def spec_for(hosts: Hosts) -> MarketplaceSpec:
    """The x2bee spec with every endpoint on *hosts*."""
    return MarketplaceSpec(
        marketplace=MP,
        base_url=hosts.order,
        api_prefix="",  # endpoints carry absolute URLs: x2bee has several hosts
        actions={a: Endpoint("POST", r.url(hosts), r.body, r.tag) for a, r in ROUTES.items()},
        unsupported=UNSUPPORTED,
        unwrap=unwrap,
        envelope_keys=ENVELOPE_KEYS,
        envelope_statuses=frozenset({200, 900}),
        error_codes=ERROR_CODES,
        http_errors=HTTP_ERRORS,
        claims=ListEndpoint("", _no_list("claims"), _never),
        order_products=ListEndpoint("", _no_list("order products"), _never),
        locate=_locate,
        assemble=_assemble,
        claim_status_code=claim_status_code,
        parse_action=parse_action,
        max_items=1,
        read=lambda _spec, ref: read_flow(hosts, ref),
    )


SPEC = spec_for(Hosts())
ACTIONS = SPEC.actions

#: x2bee's money facts decoded into ``money``: none yet (the details answer's fields are
#: [inferred]; ``rfdAmt``/``addPayAmt`` are read by :func:`cost_flow`)
MONEY_FIELDS: Mapping[str, tuple[str, ...]] = {"claim": (), "order": ()}


# --- the other direction: answers (the emulator's side) ----------------------------------------
# The answers' field names are those the reads above parse ([inferred] unless marked: x2bee's
# pages name the calls and a few fields, not the DTOs).


def _naive(moment: dt.datetime) -> str:
    """x2bee's local date-times: KST without an offset [inferred]."""
    return moment.astimezone(SEOUL).replace(tzinfo=None).isoformat(timespec="seconds")


@attrs.frozen
class OrderLine:
    """What the emulator shows of one order line (주문내역) in x2bee's answers."""

    order_product_id: str
    order_id: str
    status_code: str  # ordDtlStatCd (OM005)
    goods_no: str
    item_id: str
    unit_price: int
    quantity: int
    name: str | None = None
    ordered_at: dt.datetime | None = None


#: ``cancelPopupFO``'s reasons (``claimRsnList``): the emulator's [inferred] codes and labels
CANCEL_REASONS: tuple[tuple[str, str], ...] = (
    ("10", "단순 변심"),
    ("20", "주문 실수"),
    ("30", "배송 지연"),
)


def encode_cancel_popup(
    order_id: str, lines: Sequence[OrderLine], *, partial_cancel: bool = True
) -> dict[str, object]:
    """``cancelPopupFO``'s answer: the lines that may be cancelled (``cancelTargetList``), the
    reasons (``claimRsnList``), ``sctnCnclPsbYn`` [doc: page] (read by
    :func:`cancel_popup_flow`)."""
    return {
        "ordNo": order_id,
        "sctnCnclPsbYn": "Y" if partial_cancel else "N",
        "cancelTargetList": [
            {
                "ordSeq": line.order_product_id,
                "goodsNo": line.goods_no,
                "itmNo": line.item_id,
                "salePrc": line.unit_price,
                "ordQty": line.quantity,
                "ordDtlStatCd": line.status_code,
            }
            for line in lines
        ],
        "claimRsnList": [{"claimRsnCd": c, "claimRsnNm": n} for c, n in CANCEL_REASONS],
    }


def encode_cost(
    order_id: str, order_product_id: str, refund: int, extra: int, lost_benefit: int
) -> dict[str, object]:
    """``claimCalculateCostFO``'s answer: ``rfdAmt`` / ``addPayAmt`` (read by :func:`cost_flow`)
    and the cost rows (``claimCostList``)."""
    return {
        "ordNo": order_id,
        "ordSeq": order_product_id,
        "rfdAmt": refund,  # [inferred] names, as cost_flow reads them
        "addPayAmt": extra,  # [inferred]
        # [inferred] the emulator's own breakdown, read by nobody: the lost benefit (쿠폰 혜택 등)
        "claimCostList": [{"costTypCd": "LOST_BENEFIT", "amt": lost_benefit}],
    }


@attrs.frozen
class ClaimLine:
    """One claim of an order line, as ``claimDetailsInfoFO`` lists it."""

    claim: Claim
    requested_at: dt.datetime | None = None


def encode_details(
    line: OrderLine,
    claims: Sequence[ClaimLine] = (),
    *,
    refunds: Sequence[int | None] = (),
    extra_payments: Sequence[int | None] = (),
    delivery: tuple[str, str] | None = None,
) -> dict[str, object]:
    """``claimDetailsInfoFO``'s answer for one order line (read by :func:`parse_details`): the
    line, its claims (``claimList``), refund and payment lines, delivery info."""
    carrier, tracking = delivery or (None, None)
    return {
        "ordNo": line.order_id,
        "ordSeq": line.order_product_id,
        "ordDtlStatCd": line.status_code,
        "goodsNo": line.goods_no,
        "itmNo": line.item_id,
        "goodsNm": line.name,
        "salePrc": line.unit_price,
        "ordQty": line.quantity,
        "ordDtm": None if line.ordered_at is None else _naive(line.ordered_at),
        "claimList": [
            {
                "claimNo": c.claim.id,
                "claimBusinessType": _CLAIM_TYPE_OUT[c.claim.type],
                "claimStatCd": claim_status_code(c.claim.type, c.claim.status),
                "claimReqDtm": None if c.requested_at is None else _naive(c.requested_at),
                "claimRsnCont": c.claim.reason,  # [inferred] as parse_details reads it
            }
            for c in claims
        ],
        # [inferred] the refund and extra-payment lines and the delivery info of a claim: read
        # back by parse_details for the money and the invoice (hdcCd/invNo, named as the pickup
        # call names them)
        "refundList": [{"rfdAmt": a} for a in refunds],
        "addPayList": [{"addPayAmt": a} for a in extra_payments],
        "deliveryInfo": {"hdcCd": carrier, "invNo": tracking},
    }


_SALE_OUT = {True: "10", False: "20"}  # 판매중 / 판매중지 (SALE_STATUS_CODES) [inferred]


def encode_other_items(goods_no: str, items: Sequence[CandidateItem]) -> list[dict[str, object]]:
    """``otherItms``' answer: the items of goods *goods_no* (read by :func:`candidates_flow`)."""
    return [
        {
            "goodsNo": goods_no,
            "itmNo": item.item_id,
            "salePrc": item.unit_price,
            "saleStatCd": _SALE_OUT[item.on_sale],  # [inferred], as candidates_flow reads it
            "stkQty": item.stock,  # [inferred]
        }
        for item in items
    ]


# --- money facts as the engine's values -----------------------------------------------------------

#: no money field of an order line is documented: the cost calculation is a claim-time figure
LINE_MONEY_ORIGIN: Mapping[str, str] = {}
CLAIM_DELIVERY_ORIGIN: Mapping[str, str] = {}


def line_money(remote: RemoteOrderProduct) -> LineMoney | None:
    """None: x2bee documents no money field of an order line (its cost calculation,
    ``claimCalculateCostFO``, is a claim-time figure)."""
    return None


def claim_delivery(claim: RemoteClaim) -> ClaimDelivery | None:
    """None: x2bee claims carry no delivery facts."""
    return None
