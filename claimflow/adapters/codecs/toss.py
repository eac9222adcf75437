"""Toss Shopping ("shopping-fep") wire format: the one place that knows it.

The adapter (:mod:`claimflow.adapters.toss`) sends with :data:`SPEC`; the emulator
(:mod:`claimflow.emulators.toss`) reads requests with :func:`decode_action` and answers with
:func:`encode_success`, :func:`encode_fail`, :func:`encode_claim_item`, :func:`encode_order_row`;
``tests/golden/toss/`` holds the documented requests and answers this module is checked against.

Sources: ``shared/seeds/000_…`` (cancel), ``001_…`` (return), ``003_…`` (exchange) and
``shared/spec/marketplaces.md`` §1 and §5.1 (§5 wins). Every fact carries its tag: [doc],
[client] or [inferred] (``Endpoint.tag``, ``StatusCode.tag``, the comments of the tables).
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..._money import ClaimDelivery, DeliveryRegion, LineMoney
from ..._values import Claim, OrderProduct
from ..._vocab import SEOUL, Action, ClaimStatus, ClaimType, Marketplace, Status
from ...exceptions import (
    AuthenticationError,
    InvalidInputError,
    IPNotAllowedError,
    MarketplaceError,
    MarketplaceRefusedError,
    MarketplaceUnavailableError,
    RateLimitedError,
    UnexpectedResponseError,
)
from .._codec import (
    Endpoint,
    Envelope,
    StatusCode,
    Unsupported,
    WireFieldError,
    fee_kind,
    wire_get,
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
    FlowList,
    ListEndpoint,
    MarketplaceSpec,
    advance,
    page_call,
    page_guard,
)
from .._values import (
    ActionResult,
    ClaimQuery,
    ItemResult,
    OrderQuery,
    OrderRef,
    Page,
    RemoteAction,
    RemoteClaim,
    RemoteOrderProduct,
)
from ._base import (
    DecodedAction,
    From,
    Refusal,
    Template,
    TemplateMismatch,
    day_of,
    decode_body,
    end_of_day,
)

__all__ = [
    "ACTIONS",
    "API_PREFIX",
    "CANCEL_STATUS_CODES",
    "CLAIMS_PAGE_MAX",
    "CLAIMS_QUERY",
    "CLAIMS_WINDOW_DAYS",
    "CLAIM_DELIVERY_ORIGIN",
    "CLAIM_STATUS_CODES",
    "CLAIM_TYPES",
    "DEFAULT_BASE_URL",
    "DEFAULT_TOKEN_URL",
    "ENVELOPE_KEYS",
    "ERROR_CODES",
    "HTTP_ERRORS",
    "LINE_MONEY_ORIGIN",
    "MARKETPLACE",
    "MAX_STATUS_IDS",
    "MONEY_FIELDS",
    "ORDERS_PAGE_MAX",
    "ORDERS_QUERY",
    "ORDERS_WINDOW_DAYS",
    "ORDER_STATUS_CODES",
    "REFUSALS",
    "SCOPE",
    "SPEC",
    "STATUS_CHANGE_TARGETS",
    "TOSS_REGIONS",
    "UNSUPPORTED",
    "DecodedAction",
    "claim_delivery",
    "claim_status_code",
    "decode_action",
    "decode_claim_status",
    "encode_claim_item",
    "encode_claims_page",
    "encode_fail",
    "encode_order_row",
    "encode_orders_page",
    "encode_refusal",
    "encode_status_result",
    "encode_success",
    "encode_token",
    "line_money",
    "order_status_code",
    "read_token",
    "split_status_call",
    "unwrap",
]

MARKETPLACE = Marketplace.TOSS
DEFAULT_BASE_URL = "https://shopping-fep.toss.im"  # [doc]; test host shopping-fep-alpha [client]
DEFAULT_TOKEN_URL = "https://oauth2.cert.toss.im/token"  # [client]
API_PREFIX = "/api/v3/shopping-fep"  # [doc]
SCOPE = "toss-shopping-fep:write"  # [client]

A, S, CS, CT = Action, Status, ClaimStatus, ClaimType

# --- wire status codes ------------------------------------------------------------------------

#: ``orderProductStatus`` codes [client, with Korean labels from a client UI]. Mapping the
#: guides' states onto them, and every folded claim code, is [inferred].
ORDER_STATUS_CODES: dict[str, StatusCode] = {
    sc.code: sc
    for sc in (
        StatusCode("PAID", S.PAID, tag="client"),
        StatusCode("PREPARING_PRODUCT", S.PREPARING, tag="client"),
        StatusCode("DELAY_SHIPPING", S.DELAYED, tag="client"),
        StatusCode("DELIVERING", S.SHIPPING, tag="client"),
        StatusCode("DELIVERED", S.DELIVERED, tag="client"),
        StatusCode("CONFIRMED_ORDER", S.CONFIRMED, tag="client"),
        StatusCode("CANCELED_PAYMENT", S.CANCELED, tag="client"),
        StatusCode(
            "CLAIM_REQUESTED_CANCEL",
            None,
            CT.CANCEL,
            CS.REQUESTED,
            tag="inferred",
            note="the status under a pending request is its origin (rules.md)",
        ),
        StatusCode(
            "CLAIM_REJECTED_CANCEL",
            S.SHIPPING,
            CT.CANCEL,
            CS.REJECTED,
            tag="inferred",
            note="a rejected cancel ships at once (000_… guide)",
        ),
        StatusCode("REQUESTED_RETURN", None, CT.RETURN, CS.REQUESTED, tag="inferred"),
        StatusCode("ONGOING_RETURN", S.RETURN_COLLECTING, CT.RETURN, CS.APPROVED, tag="inferred"),
        StatusCode("COMPLETED_RETURN", S.RETURNED, CT.RETURN, CS.COMPLETED, tag="client"),
        StatusCode(
            "CLAIM_REJECTED_RETURN",
            None,
            CT.RETURN,
            CS.REJECTED,
            tag="inferred",
            note="back to the origin status, which the code does not show",
        ),
        StatusCode("REQUESTED_EXCHANGE", None, CT.EXCHANGE, CS.REQUESTED, tag="inferred"),
        StatusCode(
            "ONGOING_EXCHANGE", S.EXCHANGE_COLLECTING, CT.EXCHANGE, CS.APPROVED, tag="inferred"
        ),
        StatusCode("COMPLETED_EXCHANGE", S.EXCHANGED, CT.EXCHANGE, CS.COMPLETED, tag="client"),
        StatusCode("CLAIM_REJECTED_EXCHANGE", None, CT.EXCHANGE, CS.REJECTED, tag="inferred"),
        StatusCode(
            "CLAIM_COLLECTING",
            None,
            None,
            CS.APPROVED,
            tag="inferred",
            per_claim_type=((CT.RETURN, S.RETURN_COLLECTING), (CT.EXCHANGE, S.EXCHANGE_COLLECTING)),
            note="수거중 / 교환수거중",
        ),
        StatusCode(
            "CLAIM_COLLECTED",
            None,
            None,
            CS.COLLECTED,
            tag="inferred",
            per_claim_type=((CT.RETURN, S.RETURN_COLLECTED), (CT.EXCHANGE, S.EXCHANGE_COLLECTED)),
            note="반품수거완료 / 교환수거완료",
        ),
        StatusCode(
            "CLAIM_DELIVERING",
            S.REDELIVERING,
            CT.EXCHANGE,
            CS.REDELIVERING,
            tag="inferred",
            note="재배송중",
        ),
        StatusCode(
            "REVOKED_REQUEST",
            None,
            None,
            CS.WITHDRAWN,
            tag="client",
            note="the buyer withdrew: back to the origin status, which the code does not show",
        ),
        StatusCode("BEFORE_PAYMENT", None, tag="client", note="not paid yet: no claimflow status"),
    )
}

_STATUS_OUT: dict[Status, str] = {
    S.PAID: "PAID",
    S.PREPARING: "PREPARING_PRODUCT",
    S.DELAYED: "DELAY_SHIPPING",
    S.SHIPPING: "DELIVERING",
    S.DELIVERED: "DELIVERED",
    S.CANCELED: "CANCELED_PAYMENT",
    S.RETURN_COLLECTING: "CLAIM_COLLECTING",
    S.RETURN_COLLECTED: "CLAIM_COLLECTED",
    S.RETURNED: "COMPLETED_RETURN",
    S.EXCHANGE_COLLECTING: "CLAIM_COLLECTING",
    S.EXCHANGE_COLLECTED: "CLAIM_COLLECTED",
    S.REDELIVERING: "CLAIM_DELIVERING",
    S.EXCHANGED: "COMPLETED_EXCHANGE",
    S.CONFIRMED: "CONFIRMED_ORDER",
}
_REQUESTED_OUT: dict[ClaimType, str] = {
    CT.CANCEL: "CLAIM_REQUESTED_CANCEL",
    CT.RETURN: "REQUESTED_RETURN",
    CT.EXCHANGE: "REQUESTED_EXCHANGE",
}


def order_status_code(status: Status, open_claim: tuple[ClaimType, ClaimStatus] | None) -> str:
    """The ``orderProductStatus`` Toss shows for *status* with *open_claim* ``(type, status)``.

    A pending request folds into the code (``REQUESTED_RETURN``) [inferred].
    """
    if open_claim is not None and open_claim[1] is CS.REQUESTED:
        return _REQUESTED_OUT[open_claim[0]]
    return _STATUS_OUT[status]


#: The claims list's ``status`` codes, wire -> vocabulary. REQUESTED, APPROVED, REJECTED [doc],
#: COMPLETED [client]; WITHDRAWN and CANCELED (closed by a seller cancel) are [inferred]. A cancel
#: is the exception: see :data:`CANCEL_STATUS_CODES`.
CLAIM_STATUS_CODES: dict[str, ClaimStatus] = {
    "REQUESTED": CS.REQUESTED,
    "APPROVED": CS.APPROVED,
    "REJECTED": CS.REJECTED,
    "COMPLETED": CS.COMPLETED,
    "WITHDRAWN": CS.WITHDRAWN,
    "CANCELED": CS.CLOSED_BY_SELLER_CANCEL,
}

#: A cancel claim's ``status``: an approved buyer cancel reads back ``COMPLETED`` [client, real
#: capture: ``"type":"CANCEL","status":"COMPLETED"``, marketplaces.md §5.1]; claimflow records it
#: as APPROVED (the order product is 결제취소), so COMPLETED and APPROVED both mean APPROVED.
CANCEL_STATUS_CODES: dict[str, ClaimStatus] = {
    **CLAIM_STATUS_CODES,
    "APPROVED": CS.APPROVED,  # [doc] the cancel guide's result
    "COMPLETED": CS.APPROVED,  # [client] real capture
}


def decode_claim_status(claim_type: ClaimType, code: str) -> ClaimStatus | None:
    """The claimflow status of a claim of *claim_type* whose wire ``status`` is *code*."""
    table = CANCEL_STATUS_CODES if claim_type is CT.CANCEL else CLAIM_STATUS_CODES
    return table.get(code)


# vocabulary -> wire: every step after approval shows as APPROVED, 반려 as REJECTED [inferred]
_CLAIM_STATUS_OUT: dict[ClaimStatus, str] = {
    CS.REQUESTED: "REQUESTED",
    CS.APPROVED: "APPROVED",
    CS.COLLECTED: "APPROVED",
    CS.REDELIVERING: "APPROVED",
    CS.COMPLETED: "COMPLETED",
    CS.REJECTED: "REJECTED",
    CS.COLLECTION_REJECTED: "REJECTED",
    CS.WITHDRAWN: "WITHDRAWN",
    CS.CLOSED_BY_SELLER_CANCEL: "CANCELED",
}

# open claims: a cancel is open while requested; returns and exchanges until closed [doc]
_OPEN = frozenset(
    {
        (CT.CANCEL, "REQUESTED"),
        (CT.RETURN, "REQUESTED"),
        (CT.RETURN, "APPROVED"),
        (CT.EXCHANGE, "REQUESTED"),
        (CT.EXCHANGE, "APPROVED"),
    }
)
CLAIM_TYPES = {t.value: t for t in (CT.CANCEL, CT.RETURN, CT.EXCHANGE)}  # [doc]


def claim_status_code(claim_type: ClaimType, status: ClaimStatus) -> str:
    """The claims list's ``status`` Toss shows for a claim in *status*.

    An approved cancel is ``COMPLETED`` [client, real capture]: the cancel is done at approval.
    """
    if claim_type is CT.CANCEL and status is CS.APPROVED:
        return "COMPLETED"
    try:
        return _CLAIM_STATUS_OUT[status]
    except KeyError:
        msg = f"toss has no claim status for {claim_type} {status}"
        raise InvalidInputError(msg, field="claim_status") from None


# --- actions ------------------------------------------------------------------------------------

# the claim actions' bodies [doc]: the carrier and tracking number of a rejected cancel and of a
# redelivery, the reason of a rejection
_DELIVERY = Template(
    {"deliveryCompany": From("carrier"), "shippingTrackingNumber": From("tracking_number")},
    "toss",
)
_REQUEST_REJECT = Template({"requestRejectReason": From("reason")}, "toss")
_REJECT_COLLECTED = Template({"rejectReason": From("reason")}, "toss")
# deliveryPenaltyCharger USER [doc] / MERCHANT [client]; reason ≤100, detailReason ≤250 [client]
_SELLER_CANCEL = Template(
    {
        "deliveryPenaltyCharger": From("fee_payer"),
        "reason": From("reason"),
        "detailReason": From("detail_reason", optional=True),
    },
    "toss",
)


#: ``PUT /orders/products/status``'s ``status`` values [client, §5.1]; CANCELED_PAYMENT is a
#: seller cancel, which claimflow sends as ``seller-cancel`` [doc] (it names who bears the fee).
STATUS_CHANGE_TARGETS: dict[str, Status] = {
    "PREPARING_PRODUCT": S.PREPARING,
    "DELAY_SHIPPING": S.DELAYED,
    "DELIVERED": S.DELIVERED,
    "CANCELED_PAYMENT": S.CANCELED,
}
#: at most this many ``orderProductIds`` in one status call [client, §5.1]
MAX_STATUS_IDS = 100


def _status(target: str) -> Template:
    """``{orderProductIds: [...], status, shippingDeadlineAt}`` [client, §5.1]; the deadline is
    required for DELAY_SHIPPING, sent as the end of the chosen day in KST [inferred format];
    ``delayReasonType`` is left out (its values are not published) [inferred: optional]."""
    body: dict[str, object] = {"orderProductIds": [From("order_product_id")], "status": target}
    if target == "DELAY_SHIPPING":
        body["shippingDeadlineAt"] = From("shipping_deadline", wire=end_of_day, read=day_of)
    return Template(body, "toss")


#: ``PUT /orders/products/delivery`` [client, §5.1]: the invoice; the order product becomes 배송중
_INVOICE = Template(
    {
        "orderProductId": From("order_product_id"),
        "deliveryCompany": From("carrier"),  # the Korean carrier name, e.g. "CJ대한통운"
        "trackingNumber": From("tracking_number"),
    },
    "toss",
)


def _claim_action(group: str, verb: str, body: Template | None = None) -> Endpoint:
    return Endpoint("POST", f"/claims/{{claim_id}}/{group}/{verb}", body)


ACTIONS: dict[Action, Endpoint] = {
    A.CANCEL_APPROVE: _claim_action("cancel", "approval"),
    A.CANCEL_REJECT: _claim_action("cancel", "rejection", _DELIVERY),
    A.CANCEL_BY_SELLER: Endpoint(
        "POST", "/order-products/{order_product_id}/seller-cancel", _SELLER_CANCEL
    ),
    A.RETURN_APPROVE: _claim_action("return", "approval"),
    A.RETURN_REJECT: _claim_action("return", "rejection", _REQUEST_REJECT),
    A.RETURN_COLLECT: _claim_action("return", "collection"),
    A.RETURN_COMPLETE: _claim_action("return", "completion"),
    A.RETURN_REJECT_COLLECTED: _claim_action("return", "collection-rejection", _REJECT_COLLECTED),
    A.EXCHANGE_APPROVE: _claim_action("exchange", "approval"),
    A.EXCHANGE_REJECT: _claim_action("exchange", "rejection", _REQUEST_REJECT),
    A.EXCHANGE_COLLECT: _claim_action("exchange", "collection"),
    A.EXCHANGE_REDELIVER: _claim_action("exchange", "delivery", _DELIVERY),
    A.EXCHANGE_COMPLETE: _claim_action("exchange", "completion"),
    A.EXCHANGE_REJECT_COLLECTED: _claim_action(
        "exchange", "collection-rejection", _REJECT_COLLECTED
    ),
    # fulfilment [client, §5.1]: the status call for 상품준비중, 발송지연, 배송완료; 배송중 only
    # through the invoice call
    A.ORDER_PREPARE: Endpoint(
        "PUT", "/orders/products/status", _status("PREPARING_PRODUCT"), "client"
    ),
    A.ORDER_DELAY: Endpoint("PUT", "/orders/products/status", _status("DELAY_SHIPPING"), "client"),
    A.ORDER_DELIVER: Endpoint("PUT", "/orders/products/status", _status("DELIVERED"), "client"),
    A.ORDER_SHIP: Endpoint("PUT", "/orders/products/delivery", _INVOICE, "client"),
}

_BUYER = Unsupported(
    "the buyer does this in the Toss app; the seller API has no call for it (it shows up in "
    "the claims list: read it and reconcile)"
)
UNSUPPORTED: dict[Action, Unsupported] = {
    A.CANCEL_REQUEST: _BUYER,
    A.RETURN_REQUEST: _BUYER,
    A.RETURN_WITHDRAW: _BUYER,
    A.EXCHANGE_REQUEST: _BUYER,
    A.EXCHANGE_WITHDRAW: _BUYER,
    A.EXCHANGE_CHANGE_INVOICE: Unsupported(
        "Toss documents a 교환 송장번호 변경 API (003_… guide) but does not publish its path; "
        "claimflow does not guess one",
        documented=True,
    ),
    A.ORDER_CONFIRM: Unsupported("the buyer or Toss confirms the purchase"),
}

# --- envelope -----------------------------------------------------------------------------------


#: the top-level keys of Toss's envelope, success and error [doc]: JSON sharing none of them is
#: a gateway's or a proxy's own
ENVELOPE_KEYS = frozenset({"resultType", "success", "error"})


def unwrap(_status: int, body: object) -> Envelope:
    """Toss's ``resultType`` envelope (always HTTP 200) [doc]; error fields ``errorCode`` [doc],
    ``reason`` / ``title`` [client]."""
    result_type = wire_str(body, "resultType")
    if result_type == "SUCCESS":
        return Envelope(True, wire_get(body, "success"))
    if result_type == "FAIL":
        error = wire_obj(body, "error")
        message = wire_opt_str(error, "reason", "error") or wire_opt_str(error, "title", "error")
        return Envelope(False, code=wire_str(error, "errorCode", "error"), message=message or "")
    raise WireFieldError("resultType", f"unknown value {result_type!r}")


ERROR_CODES: dict[str, type[MarketplaceError]] = {
    "TOO_MANY_REQUEST": RateLimitedError,  # [client]: a rate limit is 200 + FAIL
    "INVALID_REQUEST": MarketplaceRefusedError,  # [client, §5.1]: a malformed call is refused
    "500": MarketplaceUnavailableError,  # [doc] example: errorCode "500" Internal Server Error
}
HTTP_ERRORS: dict[int, type[MarketplaceError]] = {
    401: AuthenticationError,  # [client] token invalid (re-issued once by TossTokenAuth first)
    403: IPNotAllowedError,  # [client, §5.1]: the caller's IP is not on the shop's allow-list
    429: RateLimitedError,  # a gateway's answer; Toss itself says TOO_MANY_REQUEST
}

# --- lists --------------------------------------------------------------------------------------


def _claim(item: object, where: str) -> RemoteClaim:
    type_code = wire_str(item, "type", where)
    claim_type = CLAIM_TYPES.get(type_code)
    if claim_type is None:
        raise WireFieldError(f"{where}.type", f"unknown claim type {type_code!r}")
    wire_status = wire_str(item, "status", where)
    status = decode_claim_status(claim_type, wire_status)
    if status is None:
        raise WireFieldError(f"{where}.status", f"unknown claim status {wire_status!r}")
    assert isinstance(item, dict)  # wire_str checked it
    order = wire_obj(item, "order", where)
    return RemoteClaim(
        id=wire_str(item, "id", where),
        type=claim_type,
        status=status,
        wire_status=wire_status,
        is_open=(claim_type, wire_status) in _OPEN,
        order_product_id=wire_str(order, "orderProductId", f"{where}.order"),
        order_id=wire_opt_str(order, "id", f"{where}.order"),
        requested_at=wire_opt_datetime(item, "requestedDt", where, tz=SEOUL),
        reason=wire_opt_str(item, "requestReason", where),
        money=_money(item, MONEY_FIELDS["claim"], where),
        fee_payer=wire_opt_str(item, "requestDeliveryPenaltyCharger", where),
    )


#: The money facts codecs decode into ``money`` (won), by where they sit [client, §5.1: real
#: capture for the claim item, public client types for the order row].
MONEY_FIELDS: Mapping[str, tuple[str, ...]] = {
    "claim": ("refundOneWayDeliveryFee", "roundTripDeliveryFee", "claimDeliveryPaymentAmount"),
    "order": (
        "originPrice",
        "totalDiscountPrice",
        "tossShoppingDiscount",
        "tossPayDiscount",
        "tossPayPoint",
        "deliveryFee",
        "jejuDeliveryFee",
        "mountainDeliveryFee",
    ),
}


def _money(obj: Mapping[str, Any], names: Sequence[str], where: str) -> dict[str, int]:
    out = {}
    for name in names:
        value = wire_opt_int(obj, name, where)
        if value is not None:
            out[name] = value
    return out


def _claims_page(payload: object) -> Page[RemoteClaim]:
    items = wire_list(payload, "items", "success")
    claims = tuple(_claim(item, f"success.items[{i}]") for i, item in enumerate(items))
    has_next = wire_get(payload, "hasNext", "success")
    if not isinstance(has_next, bool):
        raise WireFieldError("success.hasNext", f"expected true or false, got {has_next!r}")
    assert isinstance(payload, dict)
    token = wire_opt_str(payload, "nextToken", "success")
    if has_next and token is None:
        raise WireFieldError("success.nextToken", "missing while hasNext is true")
    return Page(claims, token if has_next else None)


#: ``GET /claims``' query parameters, claimflow's name -> the wire's: ``type`` and ``status``
#: [doc], the rest [client] (§1, §5.1); dates ``yyyy-MM-dd``, a window of at most
#: :data:`CLAIMS_WINDOW_DAYS` days, at most :data:`CLAIMS_PAGE_MAX` claims a page.
CLAIMS_QUERY: Mapping[str, str] = {
    "claim_type": "type",
    "claim_status": "status",
    "since": "fromRequestDate",
    "until": "toRequestDate",
    "order_ids": "orderIds",  # a comma list [inferred]
    "cursor": "nextToken",
    "size": "size",
}
CLAIMS_WINDOW_DAYS = 7  # [client, §5.1]
CLAIMS_PAGE_MAX = 100  # [client]
#: ``GET /orders/v2``' query parameters [doc path, client details]: at most
#: :data:`ORDERS_WINDOW_DAYS` days apart, pages of 1 to :data:`ORDERS_PAGE_MAX`.
ORDERS_QUERY: Mapping[str, str] = {
    "since": "startDate",
    "until": "endDate",
    "cursor": "nextCursor",
    "size": "limit",
}
ORDERS_WINDOW_DAYS = 31  # [client]
ORDERS_PAGE_MAX = 50  # [client]


def _claims_query(query: ClaimQuery, cursor: str | None) -> list[tuple[str, str]]:
    """The claims list's query. ``type`` and ``status`` filter only together [client, §5.1]: one
    without the other is not sent (:func:`_claims_pages` filters the page instead)."""
    q = CLAIMS_QUERY
    out: list[tuple[str, str]] = []
    if query.claim_type is not None and query.claim_type.value not in CLAIM_TYPES:
        msg = f"toss has no {query.claim_type} claims"
        raise InvalidInputError(msg, field="claim_type")
    if query.claim_status is not None:  # a status Toss does not have is refused here
        claim_status_code(query.claim_type or CT.RETURN, query.claim_status)
    if query.claim_type is not None and query.claim_status is not None:
        out.append((q["claim_type"], query.claim_type.value))
        out.append((q["claim_status"], claim_status_code(query.claim_type, query.claim_status)))
    if query.since is not None:
        out.append((q["since"], query.since.isoformat()))
    if query.until is not None:
        out.append((q["until"], query.until.isoformat()))
    if query.order_ids:
        out.append((q["order_ids"], ",".join(query.order_ids)))
    if cursor is not None:
        out.append((q["cursor"], cursor))
    out.append((q["size"], str(query.page_size or CLAIMS_PAGE_MAX)))
    return out


def _order_row(row: object, where: str) -> RemoteOrderProduct:
    code = wire_str(row, "orderProductStatus", where)
    status_code = ORDER_STATUS_CODES.get(code)
    if status_code is None:
        raise WireFieldError(f"{where}.orderProductStatus", f"unknown status code {code!r}")
    assert isinstance(row, dict)
    return RemoteOrderProduct(
        id=wire_str(row, "orderProductId", where),
        wire_status=code,
        status=status_code.status,
        order_id=wire_str(row, "orderId", where),
        ordered_at=wire_opt_datetime(row, "orderedAt", where, tz=SEOUL),  # [client, §5.1]
        item_id=wire_opt_str(row, "productId", where),  # [inferred] field
        name=wire_opt_str(row, "productName", where),
        unit_price=wire_opt_int(row, "price", where),
        quantity=wire_opt_int(row, "quantity", where),
        money=_money(row, MONEY_FIELDS["order"], where),
        delivery_location=wire_opt_str(row, "deliveryLocationType", where),  # [client, §5.1]
        shipping_deadline=_deadline(row, where),
    )


def _deadline(row: Mapping[str, Any], where: str) -> dt.date | None:
    """``shippingDeadlineAt`` [client, §5.1] (Asia/Seoul, the end of the day) as its day."""
    at = wire_opt_datetime(row, "shippingDeadlineAt", where, tz=SEOUL)
    return at.astimezone(SEOUL).date() if at is not None else None


def _one_row(payload: object) -> RemoteOrderProduct:
    """``GET /orders/products/{orderProductId}``'s ``success``: one order row [client: the call,
    §5.1; inferred: that its fields are the orders list's]."""
    return _order_row(payload, "success")


def _orders_page(payload: object) -> Page[RemoteOrderProduct]:
    rows = wire_list(payload, "results", "success")
    assert isinstance(payload, dict)
    return Page(
        tuple(_order_row(row, f"success.results[{i}]") for i, row in enumerate(rows)),
        wire_opt_str(payload, "nextCursor", "success"),
    )


def _orders_query(query: OrderQuery, cursor: str | None) -> list[tuple[str, str]]:
    if query.since is None or query.until is None:
        msg = "toss orders/v2 needs since and until (startDate, endDate)"
        raise InvalidInputError(msg, field="since")
    for name in ("order_ids", "status", "claim_type", "claim_status"):
        if getattr(query, name):
            msg = f"toss orders/v2 cannot filter by {name}"
            raise InvalidInputError(msg, field=name)
    q = ORDERS_QUERY
    out = [(q["since"], query.since.isoformat()), (q["until"], query.until.isoformat())]
    if cursor is not None:
        out.append((q["cursor"], cursor))
    out.append((q["size"], str(query.page_size or ORDERS_PAGE_MAX)))
    return out


def _locate(ref: OrderRef) -> OrderQuery:
    day = ref.ordered_on or dt.datetime.now(SEOUL).date()
    return OrderQuery(since=day, until=day)


def _claims_pages(
    spec: MarketplaceSpec, query: ClaimQuery, cursor: str | None
) -> Flow[Page[RemoteClaim]]:
    """One page of claims; a ``type`` or ``status`` filter alone is applied here, not on the
    wire (Toss takes the two only together [client, §5.1])."""
    page: Page[RemoteClaim] = yield page_call(spec, _CLAIMS, query, cursor)
    if (query.claim_type is None) == (query.claim_status is None):
        return page
    kept = tuple(
        c
        for c in page.items
        if (query.claim_type is None or c.type is query.claim_type)
        and (query.claim_status is None or c.status is query.claim_status)
    )
    return Page(kept, page.next_cursor)


_CLAIMS: ListEndpoint[ClaimQuery, RemoteClaim] = ListEndpoint(
    "/claims", _claims_query, _claims_page, max_days=CLAIMS_WINDOW_DAYS
)


def _read(spec: MarketplaceSpec, ref: OrderRef) -> Flow[RemoteOrderProduct]:
    """One order product: ``GET /orders/products/{orderProductId}`` [client, §5.1], then its
    order's claims (no date window needed)."""
    path = f"{spec.api_prefix}/orders/products/{urllib.parse.quote(ref.order_product_id, safe='')}"
    row: RemoteOrderProduct = yield Call("GET", path, _one_row)
    claims: list[RemoteClaim] = []
    query = ClaimQuery(order_ids=(row.order_id,) if row.order_id else ())
    cursor: str | None = None
    guard = page_guard(spec, "claims")
    while True:
        page: Page[RemoteClaim] = yield from spec.claims.page(spec, query, cursor)
        claims += [c for c in page.items if c.order_product_id == row.id]
        cursor = advance(page, guard)
        if cursor is None:
            break
    return _assemble(row, claims)


def parse_action(action: RemoteAction, payload: object) -> ActionResult:
    """Per-item results. Claim actions answer ``success: {}`` [doc]; the status call answers
    ``totalCount``, ``failedCount`` and ``failedReasons`` [client, §5.1], whose items' fields
    (``orderProductId``, ``reason``) are [inferred]."""
    if not isinstance(payload, dict) or "failedReasons" not in payload:
        return ActionResult(action, tuple(ItemResult(i, True) for i in action.items))
    failed: dict[str, str] = {}
    for i, entry in enumerate(wire_list(payload, "failedReasons", "success")):
        where = f"success.failedReasons[{i}]"
        op_id = wire_str(entry, "orderProductId", where)
        assert isinstance(entry, dict)
        failed[op_id] = wire_opt_str(entry, "reason", where) or ""
    return ActionResult(
        action,
        tuple(
            ItemResult(i, False, "FAILED", failed[i]) if i in failed else ItemResult(i, True)
            for i in action.items
        ),
    )


def _assemble(row: RemoteOrderProduct, claims: Sequence[RemoteClaim]) -> RemoteOrderProduct:
    """Join an order row with its claims: resolve codes that depend on the open claim's type, and
    refine an approved claim's step from the order-product status."""
    ordered = sorted(claims, key=lambda c: (c.requested_at is None, c.requested_at, c.id))
    open_claim = next((c for c in reversed(ordered) if c.is_open), None)
    code = ORDER_STATUS_CODES[row.wire_status]
    status = code.resolve(open_claim.type if open_claim else None)
    if (
        open_claim is not None
        and open_claim.status is CS.APPROVED
        and code.claim_status in {CS.COLLECTED, CS.REDELIVERING}
    ):
        refined = attrs.evolve(open_claim, status=code.claim_status)
        ordered = [refined if c is open_claim else c for c in ordered]
    return attrs.evolve(row, status=status, claims=tuple(ordered))


SPEC = MarketplaceSpec(
    marketplace=Marketplace.TOSS,
    base_url=DEFAULT_BASE_URL,
    api_prefix=API_PREFIX,
    actions=ACTIONS,
    unsupported=UNSUPPORTED,
    unwrap=unwrap,
    envelope_keys=ENVELOPE_KEYS,
    envelope_statuses=frozenset({200}),
    error_codes=ERROR_CODES,
    http_errors=HTTP_ERRORS,
    claims=FlowList(_claims_pages, max_days=CLAIMS_WINDOW_DAYS),
    order_products=ListEndpoint(
        "/orders/v2", _orders_query, _orders_page, max_days=ORDERS_WINDOW_DAYS
    ),
    locate=_locate,
    assemble=_assemble,
    claim_status_code=claim_status_code,
    parse_action=parse_action,
    max_items=1,
    read=_read,
)


# --- the other direction: reading requests and writing answers (the emulator's side) -----------


def decode_action(method: str, path: str, body: object) -> DecodedAction | None:
    """The action a request to *path* (with the API prefix) carries out, read with
    :data:`ACTIONS` (see :func:`claimflow.adapters.codecs.decode_body`)."""
    return decode_body(ACTIONS, method, path, body, prefix=API_PREFIX)


def encode_success(payload: object) -> dict[str, object]:
    """A success answer: ``{"resultType": "SUCCESS", "success": payload, "error": null}`` [doc]."""
    return {"resultType": "SUCCESS", "success": payload, "error": None}


def encode_fail(code: str, reason: str) -> dict[str, object]:
    """A failure answer (HTTP 200): ``errorCode`` [doc], ``errorType``, ``reason``, ``title``
    [client]."""
    error = {"errorType": 1, "errorCode": code, "reason": reason, "title": reason}
    return {"resultType": "FAIL", "success": None, "error": error}


#: How Toss refuses a request before any action: HTTP status and ``errorCode`` of the ``FAIL``
#: envelope (the emulator answers with them).
REFUSALS: Mapping[Refusal, tuple[int, str]] = {
    Refusal.UNAUTHORIZED: (401, "UNAUTHORIZED"),  # [client] HTTP 401; the body's code [inferred]
    Refusal.RATE_LIMITED: (200, "TOO_MANY_REQUEST"),  # [client]: a rate limit is 200 + FAIL
    Refusal.MALFORMED: (200, "INVALID_REQUEST"),  # [client, §5.1]: a malformed call, 200 + FAIL
    Refusal.TOO_LARGE: (413, "INVALID_REQUEST"),  # [inferred]: a front server's 413
    Refusal.FAILED: (500, "500"),  # [doc] example: errorCode "500" Internal Server Error
}


def encode_refusal(refusal: Refusal, message: str) -> tuple[int, dict[str, object]]:
    """The HTTP status and ``FAIL`` body of a request refused for *refusal* (see
    :data:`REFUSALS`)."""
    status, code = REFUSALS[refusal]
    return status, encode_fail(code, message)


def read_token(headers: Mapping[str, str]) -> str:
    """The access token a request carries: ``Authorization: Bearer {ACCESS_TOKEN}`` [doc];
    empty when none."""
    auth = headers.get("authorization", "")
    return auth[7:] if auth.startswith("Bearer ") else ""


def _naive(moment: dt.datetime) -> str:
    """Toss's local date-times: KST without an offset [client, captured ``requestedDt``]."""
    return moment.astimezone(SEOUL).replace(tzinfo=None).isoformat(timespec="seconds")


def encode_order_row(
    op: OrderProduct,
    *,
    order_id: str,
    ordered_at: dt.datetime,
    name: str | None = None,
    option_name: str | None = None,
    delivery: tuple[str, str] | None = None,
    money: Mapping[str, int] | None = None,
) -> dict[str, object]:
    """One row of ``GET /orders/v2`` (and the ``success`` of ``GET /orders/products/{id}``)
    [client, §1 and §5.1]: ``orderedAt``, not ``createdDt``."""
    oc = op.open_claim
    carrier, tracking = delivery or (None, None)
    return {
        "orderId": order_id,
        "orderProductId": op.id,
        "productId": op.item_id,  # [inferred] field
        "productName": name,
        "optionName": option_name,
        "quantity": op.quantity,
        "price": op.unit_price,
        "orderProductStatus": order_status_code(op.status, (oc.type, oc.status) if oc else None),
        "deliveryCompanyCode": carrier,
        "shippingTrackingNumber": tracking,
        "deliveryFee": 0,
        "orderedAt": _naive(ordered_at),
        **(money or {}),
    }


def _claim_id(value: str) -> int | str:
    """A claim id as the wire shows it: a number when it is one (ASCII digits that fit a long;
    "²".isdigit() is True, int("²") raises), else the text."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else value


def encode_claim_item(
    claim: Claim,
    op: OrderProduct,
    *,
    requested_at: dt.datetime,
    order_id: str,
    ordered_at: dt.datetime,
    name: str | None = None,
    option_name: str | None = None,
    delivery: tuple[str, str] | None = None,
    fee_payer: str = "USER",
    money: Mapping[str, int] | None = None,
) -> dict[str, object]:
    """One item of ``GET /claims`` in the captured shape [client, real capture, §1 and §5.1]."""
    carrier, tracking = delivery or (None, None)
    fees = {
        "refundOneWayDeliveryFee": 0,
        "roundTripDeliveryFee": 0,
        "claimDeliveryPaymentAmount": 0,
    }
    fees.update(money or {})
    return {
        "id": _claim_id(claim.id),
        "requestedDt": _naive(requested_at),
        "type": claim.type.value,
        "status": claim_status_code(claim.type, claim.status),
        "requestReason": claim.reason,
        "requestDetailReason": None,
        "requestImages": [],
        "requestDeliveryPenaltyCharger": fee_payer,
        **fees,
        "returnAddress": None,
        "order": {
            "id": order_id,
            "orderProductId": op.id,
            "ordererName": "구매자",
            "ordererPhoneNumber": "010-0000-0000",
            "receiverName": "구매자",
            "receiverPhoneNumber": "010-0000-0000",
            "deliveryCompany": carrier,
            "shippingTrackingNumber": tracking,
            "address": "서울특별시",
            "price": op.unit_price,
            "createdDt": _naive(ordered_at),  # the claim item's order says createdDt [client]
        },
        "product": {
            "id": op.item_id,
            "name": name,
            "optionName": option_name,
            "quantity": op.quantity,
        },
    }


def encode_status_result(total: int, failed: Mapping[str, str]) -> dict[str, object]:
    """``PUT /orders/products/status``'s ``success`` [client, §5.1; item fields inferred]."""
    return {
        "totalCount": total,
        "failedCount": len(failed),
        "failedReasons": [{"orderProductId": k, "reason": v} for k, v in failed.items()],
    }


def encode_claims_page(items: Sequence[object], next_token: str | None) -> dict[str, object]:
    """``GET /claims``'s ``success``: ``items``, ``hasNext``, ``nextToken`` [client] (read by
    the claims flow)."""
    return {"items": list(items), "hasNext": next_token is not None, "nextToken": next_token}


def encode_orders_page(rows: Sequence[object], next_cursor: str | None) -> dict[str, object]:
    """``GET /orders/v2``'s ``success``: ``results``, ``nextCursor`` (null on the last page)
    [doc path, client details]."""
    return {"results": list(rows), "nextCursor": next_cursor}


def encode_token(token: str, ttl: int) -> dict[str, object]:
    """The token endpoint's answer: ``access_token`` [client], its lifetime and scope."""
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "scope": SCOPE}


_STATUS_IDS = "orderProductIds"  # [client, §5.1]


def split_status_call(body: object) -> list[dict[str, object]]:
    """``PUT /orders/products/status`` read one order product at a time (the emulator's side):
    the body once per id of its ``orderProductIds`` (1 to :data:`MAX_STATUS_IDS` [client,
    §5.1]), each read back with :func:`decode_action`. :class:`TemplateMismatch` otherwise."""
    if not isinstance(body, dict):
        raise TemplateMismatch("body", "expected an object")
    ids = body.get(_STATUS_IDS)
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_STATUS_IDS:
        raise TemplateMismatch(f"body.{_STATUS_IDS}", f"expected 1 to {MAX_STATUS_IDS} ids")
    return [{**body, _STATUS_IDS: [op_id]} for op_id in ids]


# --- money facts as the engine's values (rules.md M1, M4, M7) ------------------------------------

#: Toss ``deliveryLocationType`` [client, §5.1] and the fee field of each region [client, §5.1]
TOSS_REGIONS: Mapping[str, tuple[DeliveryRegion, str | None]] = {
    "NORMAL": (DeliveryRegion.NORMAL, None),
    "JEJU": (DeliveryRegion.JEJU, "jejuDeliveryFee"),
    "MOUNTAIN": (DeliveryRegion.MOUNTAIN, "mountainDeliveryFee"),
}

#: the wire field each LineMoney field is read from (an error names it)
LINE_MONEY_ORIGIN = {
    "coupon_discount": "totalDiscountPrice",
    "marketplace_discount": "tossShoppingDiscount/tossPayDiscount",
    "points_used": "tossPayPoint",
    "delivery_fee": "deliveryFee",
    "regional_fee": "jejuDeliveryFee/mountainDeliveryFee",
    "region": "deliveryLocationType",
}
#: the wire field each ClaimDelivery field is read from
CLAIM_DELIVERY_ORIGIN = {
    "fee_payer": "requestDeliveryPenaltyCharger",
    "one_way_fee": "refundOneWayDeliveryFee",
    "round_trip_fee": "roundTripDeliveryFee",
    "payment_amount": "claimDeliveryPaymentAmount",
}


def line_money(remote: RemoteOrderProduct) -> LineMoney | None:
    """An order product's money facts (M1) as a :class:`~claimflow.LineMoney`, or None when the
    wire carries none. The caller checks the figures fit the price (``adapters.line_money``)."""
    m = remote.money
    region_code = remote.delivery_location
    if not m and region_code is None:
        return None
    total = m.get("totalDiscountPrice", 0)
    marketplace = m.get("tossShoppingDiscount", 0) + m.get("tossPayDiscount", 0)
    # [inferred] the sources do not say whether totalDiscountPrice includes tossShoppingDiscount
    # and tossPayDiscount. Read so that a refund is never overstated by counting a discount
    # twice nor subtracts less than any documented figure: the line's discounts are the larger of
    # the total and the two marketplace discounts; what the total has beyond them is the shop's
    # (coupon) discount.
    coupon = max(0, total - marketplace)
    region, fee_field = DeliveryRegion.NORMAL, None
    if region_code is not None:
        known = TOSS_REGIONS.get(region_code)
        if known is None:
            msg = f"toss: order product {remote.id!r}: unknown deliveryLocationType {region_code!r}"
            raise UnexpectedResponseError(
                msg, marketplace="toss", field="deliveryLocationType", order_product_id=remote.id
            )
        region, fee_field = known
    delivery = m.get("deliveryFee", 0)
    return LineMoney(
        coupon_discount=coupon,
        marketplace_discount=marketplace,
        points_used=m.get("tossPayPoint", 0),
        delivery_fee=delivery,
        delivery_fee_kind=fee_kind(delivery),
        regional_fee=m.get(fee_field, 0) if fee_field else 0,
        region=region,
    )


def claim_delivery(claim: RemoteClaim) -> ClaimDelivery | None:
    """A claim item's delivery facts as a :class:`~claimflow.ClaimDelivery` (M4, M7), None when
    the item does not say who bears the cost.

    [client, §5.1 real capture] ``requestDeliveryPenaltyCharger`` → ``fee_payer``,
    ``refundOneWayDeliveryFee`` → ``one_way_fee``, ``roundTripDeliveryFee`` →
    ``round_trip_fee``, ``claimDeliveryPaymentAmount`` → ``payment_amount`` (M7: the
    marketplace's own figure).
    """
    if claim.fee_payer is None:
        return None
    m = claim.money
    return ClaimDelivery(
        claim.fee_payer,
        one_way_fee=m.get("refundOneWayDeliveryFee"),
        round_trip_fee=m.get("roundTripDeliveryFee"),
        payment_amount=m.get("claimDeliveryPaymentAmount"),
    )
