"""x2bee (Plateer X2BEE) order, back-office and goods API adapter.

Sources: ``shared/seeds/002_…`` (the storefront guide: cancel flow with cost calculation, option
change) and ``shared/spec/marketplaces.md`` §3, whose confidence tags ([doc], [client],
[inferred]) are kept on every endpoint (``Endpoint.tag``), status code (``StatusCode.tag``) and
body field (the comments of the tables below). x2bee is a shop's own commerce platform: the
storefront (FO) calls act for the buyer, the back-office (BO) calls for the shop's staff.

Quirks:

- Three hosts, all configurable: the order API ``https://api-order.x2bee.com/api/order`` and the
  BO API ``https://api-bo.x2bee.com/api/bo`` [doc]; the goods API, where ``otherItms`` lives, by
  x2bee's host-per-service pattern ``https://api-goods.x2bee.com/api/goods`` [inferred: the
  ``/api/goods/`` prefix is documented, the host is not]. An :class:`Endpoint` therefore carries an
  absolute URL, and :func:`spec_for` builds the spec for a set of :class:`Hosts`.
- ``Authorization: Bearer <JWT>`` [doc]; x2bee documents no token endpoint, so the caller gives
  the token, or a callable returning the current one (asked again once after an HTTP 401).
  :class:`X2beeBearerAuth` never shows it in a repr.
- Every call is ``POST``, reads included. Success is HTTP 200 with the DTO itself or no content
  [doc]; a business error is HTTP **900** with ``{timestamp, code, message, isProcess, payload,
  error, errors: [{field, ...}]}`` [doc] and becomes
  :class:`~claimflow.exceptions.MarketplaceRefusedError` whose ``message`` ends with the field
  errors (``[field: reason, ...]``). x2bee's error ``code`` values are not published. HTTP 401 is
  :class:`~claimflow.exceptions.AuthenticationError`, 429
  :class:`~claimflow.exceptions.RateLimitedError` (retried, ``Retry-After`` honoured).
- The reads sent as ``POST`` (``cancelPopupFO``, ``claimCalculateCostFO``, ``claimDetailsInfoFO``,
  ``otherItms``) are marked safe to repeat: a failure is retried and HTTP 5xx is "unavailable",
  not "outcome unknown". ``claimCalculateCostFO`` also writes the cost rows the cancel then uses;
  repeating it recomputes them [inferred].
- Cancel (X1) is processed at once: ``cancelPopupFO`` → ``claimCalculateCostFO`` → ``cancelFO`` →
  ``claimDetailsInfoFO`` [doc]. :meth:`X2beeClient.calculate_cost` returns the refund or the extra
  payment; pass ``**cost.params`` to :func:`claimflow.check` (the preview) and to
  :func:`~claimflow.adapters.apply_remote` (the cancel).
- Option change (X2) ``ordChangeFO`` [doc] to a candidate of :meth:`X2beeClient.option_candidates`
  (``otherItms`` [doc]) as :class:`claimflow.CandidateItem` values: the engine checks the
  guide's rules (on sale, in stock, same price, not the same item) before anything is sent.
- Returns and exchanges (X3): pickup instruct and pickup done are one call,
  ``saveWithdrawStatUpdateProcess``, with the current and the target 주문내역상태 (OM005) codes
  [doc]; claimflow sends ``return.approve`` / ``exchange.approve`` as 회수지시 and
  ``return.collect`` / ``exchange.collect`` as 회수완료 (:data:`PICKUP_STEPS`; the code values are
  [inferred]). ``return.complete`` is ``saveRefundBundleApproMgmt`` [doc], ``exchange.withdraw``
  the BO's ``withdrawalExchange`` [doc]. Return request and withdrawal, rejections, 반려, exchange
  submit, redelivery, completion and invoice change have no path in claimflow's sources: they
  raise :class:`~claimflow.exceptions.NotSupportedError` before anything is sent.
- There is no list API in the sources: ``list_claims`` / ``list_order_products`` and their
  ``iter_`` forms raise :class:`~claimflow.exceptions.NotSupportedError`. ``read`` asks
  ``claimDetailsInfoFO`` for one order line (its answer's fields are [inferred]).
- An order line is ``ordNo`` + ``ordSeq``: claimflow's order product id is sent as ``ordSeq`` and
  the order number comes from ``OrderRef.order_id`` (required) [inferred]. Claims are
  ``claimNo`` [doc name].
- Body and answer field names: the seeds and the spec give none. Where x2bee's published OpenAPI
  pages (tech.x2bee.com, x2bee.gitbook.io) show them they are used and marked [doc: page]:
  ``withdrawalExchange`` (``systemType``, ``claimBusinessType``, ``ordMediaCd``, ``ordNo``,
  ``claimNo``), ``saveWithdrawStatUpdateProcess`` (``ordDtlStatCd``,
  ``updateTargetOrdDtlStatCd``, ``withdrawStatUpdateSaveInfoList``), ``sctnCnclPsbYn``,
  ``goodsNo``/``itmNo``/``salePrc``/``claimQty``. Every other field name is [inferred].
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

import attrs
import httpx

from .._params import KST
from .._values import CandidateItem
from .._vocab import Action, ClaimStatus, ClaimType, Marketplace, Status
from ..exceptions import (
    AuthenticationError,
    InvalidInputError,
    MarketplaceError,
    NotSupportedError,
    RateLimitedError,
)
from . import _boundary
from ._core import (
    AsyncClient,
    Call,
    Client,
    Endpoint,
    Envelope,
    Flow,
    ListEndpoint,
    MarketplaceSpec,
    OrderQuery,
    OrderRef,
    Page,
    RemoteAction,
    RemoteClaim,
    RemoteOrderProduct,
    RetryPolicy,
    Secret,
    StatusCode,
    Unsupported,
    WireFieldError,
    check_base_url,
    single_flow,
    wire_list,
    wire_obj,
    wire_opt_datetime,
    wire_opt_int,
    wire_opt_str,
    wire_str,
)

__all__ = [
    "CLAIM_STATUS_CODES",
    "CLAIM_TYPE_CODES",
    "DEFAULT_BO_URL",
    "DEFAULT_GOODS_URL",
    "DEFAULT_ORDER_URL",
    "ORDER_STATUS_CODES",
    "PICKUP_STEPS",
    "READS",
    "ROUTES",
    "SALE_STATUS_CODES",
    "SPEC",
    "UNSUPPORTED",
    "WITHDRAWAL_CODES",
    "Body",
    "CancelTargets",
    "CostCalculation",
    "From",
    "Hosts",
    "Route",
    "TokenSource",
    "X2beeAsyncClient",
    "X2beeBearerAuth",
    "X2beeClient",
    "claim_status_code",
    "make_async_client",
    "make_client",
    "order_status_code",
    "spec_for",
]

T = TypeVar("T")

DEFAULT_ORDER_URL = "https://api-order.x2bee.com/api/order"  # [doc]
DEFAULT_BO_URL = "https://api-bo.x2bee.com/api/bo"  # [doc]
DEFAULT_GOODS_URL = "https://api-goods.x2bee.com/api/goods"  # [inferred] host; prefix [doc]

A, S, CS, CT = Action, Status, ClaimStatus, ClaimType
MP = Marketplace.X2BEE

# --- wire status codes ------------------------------------------------------------------------

#: 주문내역상태 ``ordDtlStatCd`` (x2bee common code OM005 [doc: the code group]). Only 22 출고지시
#: and 23 출고대기 are published (BO 결품처리 page); every other value, and what a pending claim
#: shows, is [inferred]. Like Toss, a pending return or exchange request folds into the code
#: (반품접수 / 교환접수): the status underneath is the claim's origin.
ORDER_STATUS_CODES: dict[str, StatusCode] = {
    sc.code: sc
    for sc in (
        StatusCode("11", S.PAID, tag="inferred", note="주문완료"),
        StatusCode("22", S.PREPARING, tag="doc", note="출고지시 (the mapping is inferred)"),
        StatusCode("23", S.PREPARING, tag="doc", note="출고대기 (the mapping is inferred)"),
        StatusCode("30", S.SHIPPING, tag="inferred", note="배송중"),
        StatusCode("40", S.DELIVERED, tag="inferred", note="배송완료"),
        StatusCode("50", S.CONFIRMED, tag="inferred", note="구매확정"),
        StatusCode("19", S.CANCELED, tag="inferred", note="취소완료"),
        StatusCode("60", None, CT.RETURN, CS.REQUESTED, tag="inferred", note="반품접수"),
        StatusCode("61", S.RETURN_COLLECTING, CT.RETURN, CS.APPROVED, tag="inferred",
                   note="회수지시"),
        StatusCode("62", S.RETURN_COLLECTED, CT.RETURN, CS.COLLECTED, tag="inferred",
                   note="회수완료"),
        StatusCode("63", S.RETURNED, CT.RETURN, CS.COMPLETED, tag="inferred", note="반품완료"),
        StatusCode("70", None, CT.EXCHANGE, CS.REQUESTED, tag="inferred", note="교환접수"),
        StatusCode("71", S.EXCHANGE_COLLECTING, CT.EXCHANGE, CS.APPROVED, tag="inferred",
                   note="교환회수지시"),
        StatusCode("72", S.EXCHANGE_COLLECTED, CT.EXCHANGE, CS.COLLECTED, tag="inferred",
                   note="교환회수완료"),
        StatusCode("73", S.REDELIVERING, CT.EXCHANGE, CS.REDELIVERING, tag="inferred",
                   note="교환배송중"),
        StatusCode("74", S.EXCHANGED, CT.EXCHANGE, CS.COMPLETED, tag="inferred", note="교환완료"),
    )
}  # fmt: skip

_STATUS_OUT: dict[Status, str] = {
    S.PAID: "11",
    S.PREPARING: "22",
    S.SHIPPING: "30",
    S.DELIVERED: "40",
    S.CONFIRMED: "50",
    S.CANCELED: "19",
    S.RETURN_COLLECTING: "61",
    S.RETURN_COLLECTED: "62",
    S.RETURNED: "63",
    S.EXCHANGE_COLLECTING: "71",
    S.EXCHANGE_COLLECTED: "72",
    S.REDELIVERING: "73",
    S.EXCHANGED: "74",
}
_REQUESTED_OUT: dict[ClaimType, str] = {CT.RETURN: "60", CT.EXCHANGE: "70"}


def order_status_code(status: Status, open_claim: tuple[ClaimType, ClaimStatus] | None) -> str:
    """The ``ordDtlStatCd`` x2bee shows for *status* with *open_claim* ``(type, status)``.

    A pending return or exchange request folds into the code (반품접수, 교환접수) [inferred].
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
#: call and its two codes are [doc]; their values, and 회수지시 standing for approval, [inferred].
PICKUP_STEPS: dict[Action, tuple[str, str]] = {
    A.RETURN_APPROVE: ("60", "61"),  # 반품접수 -> 회수지시
    A.RETURN_COLLECT: ("61", "62"),  # 회수지시 -> 회수완료
    A.EXCHANGE_APPROVE: ("70", "71"),  # 교환접수 -> 교환회수지시
    A.EXCHANGE_COLLECT: ("71", "72"),  # 교환회수지시 -> 교환회수완료
}

#: ``withdrawalExchange``'s code fields [doc: page]: the published examples, whose meanings x2bee
#: does not give [inferred values].
WITHDRAWAL_CODES: dict[str, str] = {
    "systemType": "10",
    "claimBusinessType": "20",
    "ordMediaCd": "20",
}

# --- request bodies as data -----------------------------------------------------------------

_SLOTS = {
    "order_id": "the order number (ordNo): give ref=OrderRef(order_product_id, order_id=...)",
    "order_product_id": "the order product id (ordSeq)",
    "claim_id": "the claim number (claimNo): read the order product first",
}


@attrs.frozen
class From:
    """A body value taken from the :class:`RemoteAction`: an id (``order_id`` is ``ordNo``,
    ``order_product_id`` ``ordSeq``, ``claim_id`` ``claimNo``) or a parameter; ``pick`` reads one
    attribute of it (``From("new_item", pick="item_id")``)."""

    name: str
    optional: bool = False
    pick: str | None = None


ORD_NO, ORD_SEQ, CLAIM_NO = From("order_id"), From("order_product_id"), From("claim_id")
_OMIT = object()


@attrs.frozen
class Body:
    """A JSON body template: objects, arrays and constants as they go on the wire, with
    :class:`From` leaves filled in from the action. A missing required value is refused before
    anything is sent, naming the field."""

    template: object

    def __call__(self, action: RemoteAction, /) -> object:
        """The body for *action*."""
        return _render(self.template, action, "")


def _render(node: object, action: RemoteAction, wire: str) -> object:
    if isinstance(node, dict):
        rendered = {k: _render(v, action, k) for k, v in node.items()}
        return {k: v for k, v in rendered.items() if v is not _OMIT}
    if isinstance(node, list):
        return [_render(v, action, wire) for v in node]
    if not isinstance(node, From):
        return node
    value = getattr(action, node.name) if node.name in _SLOTS else action.param(node.name)
    if value is None:
        if node.optional:
            return _OMIT
        what = _SLOTS.get(node.name, f"parameter {node.name!r}")
        msg = f"x2bee: {action.action} needs {what} for the body field {wire!r}"
        raise InvalidInputError(msg, field=node.name)
    return getattr(value, node.pick) if node.pick else value


@attrs.frozen
class Route:
    """Where one call goes: the host (``order``, ``bo``, ``goods``), the path, the body, the
    spec's confidence in them. All x2bee calls are ``POST``."""

    host: str
    path: str
    body: Body | None = None
    tag: str = "doc"

    def url(self, hosts: Hosts) -> str:
        """The absolute URL on *hosts*."""
        return hosts.url(self.host) + self.path


def _pickup(action: Action) -> Body:
    current, target = PICKUP_STEPS[action]
    return Body(
        {
            "ordDtlStatCd": current,  # [doc: page]
            "updateTargetOrdDtlStatCd": target,  # [doc: page]
            # [doc: page] the list; its items' fields [inferred]
            "withdrawStatUpdateSaveInfoList": [
                {"ordNo": ORD_NO, "ordSeq": ORD_SEQ, "claimNo": CLAIM_NO}
            ],
        }
    )


_WITHDRAW = "/v1/delivery/withdrawProcess/saveWithdrawStatUpdateProcess"

#: The call carrying out each action x2bee's sources document (paths [doc]).
ROUTES: dict[Action, Route] = {
    A.CANCEL_REQUEST: Route(
        "order",
        "/v1/claim/orderCancel/cancelFO",
        Body(
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
        Body({"ordNo": ORD_NO, "ordSeq": ORD_SEQ, "chgItmNo": From("new_item", pick="item_id")}),
    ),
    A.EXCHANGE_WITHDRAW: Route(
        "bo",
        "/v1/claim/exchange/withdrawalExchange",
        Body({**WITHDRAWAL_CODES, "ordNo": ORD_NO, "claimNo": CLAIM_NO}),  # [doc: page]
    ),
    # the order API's path [doc: page]; the BO API forwards to it
    A.RETURN_APPROVE: Route("order", _WITHDRAW, _pickup(A.RETURN_APPROVE)),
    A.RETURN_COLLECT: Route("order", _WITHDRAW, _pickup(A.RETURN_COLLECT)),
    A.EXCHANGE_APPROVE: Route("order", _WITHDRAW, _pickup(A.EXCHANGE_APPROVE)),
    A.EXCHANGE_COLLECT: Route("order", _WITHDRAW, _pickup(A.EXCHANGE_COLLECT)),
    A.RETURN_COMPLETE: Route(
        "order",  # [inferred] host: /v1/payment/ is an order-API group
        "/v1/payment/saveRefundBundleApproMgmt",
        Body([{"ordNo": ORD_NO, "ordSeq": ORD_SEQ, "claimNo": CLAIM_NO}]),  # [inferred] a bundle
    ),
}

#: The reads (all ``POST``) and their bodies' field names [inferred unless marked].
READS: dict[str, Route] = {
    "cancel_popup": Route("order", "/v1/claim/orderCancel/cancelPopupFO"),
    "calculate_cost": Route("order", "/v1/claim/common/claimCalculateCostFO"),
    "claim_details": Route("order", "/v1/claim/common/claimDetailsInfoFO"),
    "other_items": Route("goods", "/v1/detail/otherItms"),
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
    "fulfilment calls are not in the documents claimflow's x2bee adapter is built from"
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
    A.ORDER_PREPARE: _FULFILMENT,
    A.ORDER_SHIP: _FULFILMENT,
    A.ORDER_DELIVER: Unsupported("delivery is marked by x2bee's carrier tracking"),
    A.ORDER_CONFIRM: Unsupported("the buyer or x2bee confirms the purchase"),
}

# --- envelope -----------------------------------------------------------------------------------


def unwrap(status: int, body: object) -> Envelope:
    """HTTP 200: the DTO itself, or None for no content [doc]. HTTP 900: x2bee's error envelope
    [doc], its field errors appended to the message as ``[field: reason, ...]``."""
    if status == 200 and not _boundary.error_shaped(body, ("code",), ("message", "errors")):
        return Envelope(True, body)  # a 200 carrying the error envelope is an error [inferred]
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


ERROR_CODES: dict[str, type[MarketplaceError]] = {}  # x2bee's codes are not published
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
        obj = wire_obj({"payload": payload}, "payload")  # the DTO must be an object
        refund, extra = _won(obj, "rfdAmt"), _won(obj, "addPayAmt")  # [inferred] names
        if refund and extra:
            raise WireFieldError("addPayAmt", f"both a refund ({refund}) and an extra payment")
        return CostCalculation(op_id, order_id, refund, extra)

    body = {"ordNo": order_id, "ordSeq": op_id, "claimBusinessType": _CLAIM_TYPE_OUT[CT.CANCEL]}
    call = _Read("POST", READS["calculate_cost"].url(hosts), parse, json=body,
                 order_product_id=op_id)  # fmt: skip
    return single_flow(call)


def cancel_popup_flow(hosts: Hosts, order_id: str) -> Flow[CancelTargets]:
    """``cancelPopupFO`` for order *order_id*."""

    def parse(payload: object) -> CancelTargets:
        obj = wire_obj({"payload": payload}, "payload")
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

    call = _Read("POST", READS["cancel_popup"].url(hosts), parse, json={"ordNo": order_id})
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
        if not isinstance(payload, list):
            raise WireFieldError("body", f"expected an array, got {type(payload).__name__}")
        return tuple(_candidate(item, f"[{i}]") for i, item in enumerate(payload))

    # "다건 상품 itmNo별 단품정보": a list of {goodsNo, itmNo} [doc: page names, inferred shape]
    body = [{"goodsNo": goods_no, "itmNo": item_id}]
    call = _Read("POST", READS["other_items"].url(hosts), parse, json=body)
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
        requested_at=wire_opt_datetime(item, "claimReqDtm", where, tz=KST),
        reason=wire_opt_str(item, "claimRsnCont", where),
    )


def parse_details(payload: object) -> RemoteOrderProduct:
    """One order line from ``claimDetailsInfoFO``'s answer [inferred fields]."""
    obj = wire_obj({"payload": payload}, "payload")
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
        ordered_at=wire_opt_datetime(obj, "ordDtm", tz=KST),
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
            raise WireFieldError("ordSeq", msg)
        return row

    call = _Read("POST", READS["claim_details"].url(hosts), parse,
                 json={"ordNo": order_id, "ordSeq": op_id}, order_product_id=op_id)  # fmt: skip
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
        envelope_statuses=frozenset({200, 900}),
        error_codes=ERROR_CODES,
        http_errors=HTTP_ERRORS,
        claims=ListEndpoint("", _no_list("claims"), _never),
        order_products=ListEndpoint("", _no_list("order products"), _never),
        locate=_locate,
        assemble=_assemble,
        claim_status_code=claim_status_code,
        max_items=1,
        read=lambda _spec, ref: read_flow(hosts, ref),
    )


SPEC = spec_for(Hosts())

# --- auth ---------------------------------------------------------------------------------------

#: The access token, or a callable returning the current one.
TokenSource: TypeAlias = str | Secret | Callable[[], str | Secret]


class X2beeBearerAuth(httpx.Auth):
    """The caller's access token as ``Authorization: Bearer …``: a fixed one, or a callable that
    returns the current one (asked for every request, and once more after an HTTP 401; it should
    answer from a cache). Neither the token nor the callable appears in its repr."""

    def __init__(self, token: TokenSource) -> None:
        self._fixed: Secret | None = None
        self._provider: Callable[[], str | Secret] | None = None
        if isinstance(token, Secret):
            self._fixed = token
        elif isinstance(token, str):
            self._fixed = Secret(token)
        elif callable(token):
            self._provider = token
        else:
            msg = "token: a string, a Secret or a callable returning one"
            raise InvalidInputError(msg, field="token")

    def __repr__(self) -> str:
        return f"X2beeBearerAuth(token={'<provider>' if self._provider else self._fixed!r})"

    def _token(self) -> Secret:
        if self._fixed is not None:
            return self._fixed
        assert self._provider is not None
        value = self._provider()
        if isinstance(value, Secret):
            return value
        if isinstance(value, str) and value:
            return Secret(value)
        msg = "x2bee: the token provider returned no token"
        raise AuthenticationError(msg, marketplace=MP)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the bearer token; after a 401, ask the provider once more for a newer one."""
        token = self._token()
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        response = yield request
        if response.status_code == 401 and self._provider is not None:
            fresh = self._token()
            if fresh != token:
                request.headers["Authorization"] = f"Bearer {fresh.reveal()}"
                yield request


# --- the adapters -------------------------------------------------------------------------------


class X2beeClient(Client):
    """The synchronous x2bee adapter, with x2bee's storefront reads besides the
    :class:`~claimflow.adapters.Adapter` protocol."""

    def __init__(
        self,
        spec: MarketplaceSpec,
        http: httpx.Client,
        *,
        hosts: Hosts,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(spec, http, retry=retry)
        self._hosts = hosts

    def __enter__(self) -> X2beeClient:
        return self

    def calculate_cost(self, ref: OrderRef) -> CostCalculation:
        """The refund or extra payment cancelling *ref*'s order product comes to."""
        return self._drive(cost_flow(self._hosts, ref))

    def cancel_targets(self, order_id: str) -> CancelTargets:
        """What of order *order_id* may be cancelled, and the reasons offered."""
        return self._drive(cancel_popup_flow(self._hosts, order_id))

    def option_candidates(self, goods_no: str, item_id: str) -> tuple[CandidateItem, ...]:
        """The items of goods *goods_no* an option change may pick (the engine checks them)."""
        return self._drive(candidates_flow(self._hosts, goods_no, item_id))


class X2beeAsyncClient(AsyncClient):
    """The asynchronous x2bee adapter (see :class:`X2beeClient`)."""

    def __init__(
        self,
        spec: MarketplaceSpec,
        http: httpx.AsyncClient,
        *,
        hosts: Hosts,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(spec, http, retry=retry)
        self._hosts = hosts

    async def __aenter__(self) -> X2beeAsyncClient:
        return self

    async def calculate_cost(self, ref: OrderRef) -> CostCalculation:
        """The refund or extra payment cancelling *ref*'s order product comes to."""
        return await self._drive(cost_flow(self._hosts, ref))

    async def cancel_targets(self, order_id: str) -> CancelTargets:
        """What of order *order_id* may be cancelled, and the reasons offered."""
        return await self._drive(cancel_popup_flow(self._hosts, order_id))

    async def option_candidates(self, goods_no: str, item_id: str) -> tuple[CandidateItem, ...]:
        """The items of goods *goods_no* an option change may pick (the engine checks them)."""
        return await self._drive(candidates_flow(self._hosts, goods_no, item_id))


# --- factories ----------------------------------------------------------------------------------


def make_client(
    token: TokenSource,
    *,
    order_url: str = DEFAULT_ORDER_URL,
    bo_url: str = DEFAULT_BO_URL,
    goods_url: str = DEFAULT_GOODS_URL,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> X2beeClient:
    """A synchronous x2bee adapter. *token* is the access token (or a callable returning it);
    https is required except for a loopback host."""
    hosts = Hosts(order_url, bo_url, goods_url)
    http = httpx.Client(
        base_url=hosts.order,
        auth=X2beeBearerAuth(token),
        timeout=timeout,
        transport=transport,
        headers={"Accept": "application/json"},
    )
    return X2beeClient(spec_for(hosts), http, hosts=hosts, retry=retry)


def make_async_client(
    token: TokenSource,
    *,
    order_url: str = DEFAULT_ORDER_URL,
    bo_url: str = DEFAULT_BO_URL,
    goods_url: str = DEFAULT_GOODS_URL,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> X2beeAsyncClient:
    """An asynchronous x2bee adapter (see :func:`make_client`)."""
    hosts = Hosts(order_url, bo_url, goods_url)
    http = httpx.AsyncClient(
        base_url=hosts.order,
        auth=X2beeBearerAuth(token),
        timeout=timeout,
        transport=transport,
        headers={"Accept": "application/json"},
    )
    return X2beeAsyncClient(spec_for(hosts), http, hosts=hosts, retry=retry)
