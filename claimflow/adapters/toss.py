"""Toss Shopping ("shopping-fep") seller API adapter.

Sources: ``shared/seeds/000_…`` (cancel), ``001_…`` (return), ``003_…`` (exchange) and
``shared/spec/marketplaces.md`` §1, whose confidence tags ([doc], [client], [inferred]) are kept
on every endpoint (``Endpoint.tag``) and status code (``StatusCode.tag``) below.

Quirks:

- Every answer is HTTP 200, success or failure: ``{"resultType": "SUCCESS"|"FAIL", "success":
  ..., "error": {"errorCode", "reason", ...}}`` [doc]. A rate limit is ``200 + FAIL
  TOO_MANY_REQUEST`` [client]; HTTP 5xx only in outages; HTTP 401 means the token is invalid: it
  is re-issued once and the request repeated [client].
- The token comes from another host (``https://oauth2.cert.toss.im/token``) by client
  credentials (form ``grant_type``, ``client_id``, ``client_secret``, ``scope``) and lives about an
  hour [client]; :class:`TossTokenAuth` caches it until shortly before it expires.
- Claim actions are addressed by ``claimId`` (the claims list's ``items[].id``), seller cancel by
  ``orderProductId`` [doc].
- The buyer requests (and withdraws) cancels, returns and exchanges in the Toss app: the seller
  API has no call for them; they show up in the claims list.
- "교환 송장번호 변경 API" exists but its path is not published: ``exchange.change_invoice``
  raises :class:`~claimflow.exceptions.NotSupportedError` (``documented=True``) instead of
  guessing one.
- There is no "get one order product" call: :meth:`~claimflow.adapters.Client.read` pages the
  orders of the day it was ordered (``OrderRef.ordered_on``), then lists its order's claims.
- ``orderProductStatus`` folds a pending claim into the status (``REQUESTED_RETURN``): the status
  underneath is then not on the wire (it is the claim's origin). The claims list's ``status`` says
  ``APPROVED`` for every step after approval; the order-product status tells which
  (``CLAIM_COLLECTING``, ``CLAIM_COLLECTED``, ``CLAIM_DELIVERING``) [inferred].
- Claims are listed in windows of at most 7 days with ``size=100`` and ``nextToken`` pages
  [client]; orders in windows of at most 31 days, ``limit`` ≤ 50, ``nextCursor`` pages [doc/client].
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Sequence

import attrs
import httpx

from .._params import KST
from .._vocab import Action, ClaimStatus, ClaimType, Marketplace, Status
from ..exceptions import (
    AuthenticationError,
    InvalidInputError,
    MarketplaceError,
    MarketplaceUnavailableError,
    RateLimitedError,
    UnexpectedResponseError,
)
from . import _boundary
from ._core import (
    AsyncClient,
    ClaimQuery,
    Client,
    Endpoint,
    Envelope,
    Fields,
    ListEndpoint,
    MarketplaceSpec,
    OrderQuery,
    OrderRef,
    Page,
    RemoteClaim,
    RemoteOrderProduct,
    RetryPolicy,
    Secret,
    StatusCode,
    Unsupported,
    WireFieldError,
    check_base_url,
    wire_get,
    wire_list,
    wire_obj,
    wire_opt_datetime,
    wire_opt_int,
    wire_opt_str,
    wire_str,
)

__all__ = [
    "CLAIM_STATUS_CODES",
    "DEFAULT_BASE_URL",
    "DEFAULT_TOKEN_URL",
    "ORDER_STATUS_CODES",
    "SCOPE",
    "SPEC",
    "TossTokenAuth",
    "claim_status_code",
    "make_async_client",
    "make_client",
    "order_status_code",
]

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
#: COMPLETED [client]; WITHDRAWN and CANCELED (closed by a seller cancel) are [inferred].
CLAIM_STATUS_CODES: dict[str, ClaimStatus] = {
    "REQUESTED": CS.REQUESTED,
    "APPROVED": CS.APPROVED,
    "REJECTED": CS.REJECTED,
    "COMPLETED": CS.COMPLETED,
    "WITHDRAWN": CS.WITHDRAWN,
    "CANCELED": CS.CLOSED_BY_SELLER_CANCEL,
}

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
_CLAIM_TYPES = {t.value: t for t in (CT.CANCEL, CT.RETURN, CT.EXCHANGE)}  # [doc]


def claim_status_code(claim_type: ClaimType, status: ClaimStatus) -> str:
    """The claims list's ``status`` Toss shows for a claim in *status*."""
    try:
        return _CLAIM_STATUS_OUT[status]
    except KeyError:
        msg = f"toss has no claim status for {claim_type} {status}"
        raise InvalidInputError(msg, field="claim_status") from None


# --- actions ------------------------------------------------------------------------------------

_DELIVERY = Fields({"deliveryCompany": "carrier", "shippingTrackingNumber": "tracking_number"})
_REQUEST_REJECT = Fields({"requestRejectReason": "reason"})
_REJECT_COLLECTED = Fields({"rejectReason": "reason"})
# deliveryPenaltyCharger USER [doc] / MERCHANT [client]; reason ≤100, detailReason ≤250 [client]
_SELLER_CANCEL = Fields(
    {"deliveryPenaltyCharger": "fee_payer", "reason": "reason", "detailReason": "detail_reason"},
    optional=frozenset({"detail_reason"}),
)


def _claim_action(group: str, verb: str, body: Fields | None = None) -> Endpoint:
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
}

_BUYER = Unsupported(
    "the buyer does this in the Toss app; the seller API has no call for it (it shows up in "
    "the claims list: read it and reconcile)"
)
_NOT_IN_SOURCES = Unsupported(
    "fulfilment calls are not in the documents claimflow's Toss adapter is built from"
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
    A.ORDER_PREPARE: _NOT_IN_SOURCES,
    A.ORDER_DELAY: _NOT_IN_SOURCES,
    A.ORDER_SHIP: _NOT_IN_SOURCES,
    A.ORDER_DELIVER: Unsupported("Toss marks delivery itself"),
    A.ORDER_CONFIRM: Unsupported("the buyer or Toss confirms the purchase"),
}

# --- envelope -----------------------------------------------------------------------------------


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
    "500": MarketplaceUnavailableError,  # [doc] example: errorCode "500" Internal Server Error
}
HTTP_ERRORS: dict[int, type[MarketplaceError]] = {
    401: AuthenticationError,  # [client] token invalid (re-issued once by TossTokenAuth first)
    403: AuthenticationError,
    429: RateLimitedError,  # a gateway's answer; Toss itself says TOO_MANY_REQUEST
}

# --- lists --------------------------------------------------------------------------------------


def _claim(item: object, where: str) -> RemoteClaim:
    type_code = wire_str(item, "type", where)
    claim_type = _CLAIM_TYPES.get(type_code)
    if claim_type is None:
        raise WireFieldError(f"{where}.type", f"unknown claim type {type_code!r}")
    wire_status = wire_str(item, "status", where)
    status = CLAIM_STATUS_CODES.get(wire_status)
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
        requested_at=wire_opt_datetime(item, "requestedDt", where, tz=KST),
        reason=wire_opt_str(item, "requestReason", where),
    )


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


def _claims_query(query: ClaimQuery, cursor: str | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if query.claim_type is not None:
        if query.claim_type.value not in _CLAIM_TYPES:
            msg = f"toss has no {query.claim_type} claims"
            raise InvalidInputError(msg, field="claim_type")
        out.append(("type", query.claim_type.value))
    if query.claim_status is not None:
        ctype = query.claim_type or CT.RETURN
        out.append(("status", claim_status_code(ctype, query.claim_status)))
    if query.since is not None:
        out.append(("fromRequestDate", query.since.isoformat()))  # yyyy-MM-dd [client]
    if query.until is not None:
        out.append(("toRequestDate", query.until.isoformat()))
    if query.order_ids:
        out.append(("orderIds", ",".join(query.order_ids)))  # [client]; comma list [inferred]
    if cursor is not None:
        out.append(("nextToken", cursor))
    out.append(("size", str(query.page_size or 100)))
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
        ordered_at=wire_opt_datetime(row, "createdDt", where, tz=KST),  # [inferred] field
        item_id=wire_opt_str(row, "productId", where),  # [inferred] field
        name=wire_opt_str(row, "productName", where),
        unit_price=wire_opt_int(row, "price", where),
        quantity=wire_opt_int(row, "quantity", where),
    )


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
    out = [("startDate", query.since.isoformat()), ("endDate", query.until.isoformat())]
    if cursor is not None:
        out.append(("nextCursor", cursor))
    out.append(("limit", str(query.page_size or 50)))  # 1-50 [client]
    return out


def _locate(ref: OrderRef) -> OrderQuery:
    if ref.ordered_on is None:
        msg = (
            f"toss has no call to read order product {ref.order_product_id!r} alone: give the "
            "day it was ordered (OrderRef.ordered_on) so the orders of that day can be paged"
        )
        raise InvalidInputError(msg, field="ordered_on")
    return OrderQuery(since=ref.ordered_on, until=ref.ordered_on)


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
    envelope_statuses=frozenset({200}),
    error_codes=ERROR_CODES,
    http_errors=HTTP_ERRORS,
    claims=ListEndpoint("/claims", _claims_query, _claims_page, max_days=7),
    order_products=ListEndpoint("/orders/v2", _orders_query, _orders_page, max_days=31),
    locate=_locate,
    assemble=_assemble,
    claim_status_code=claim_status_code,
    max_items=1,
)

# --- auth ---------------------------------------------------------------------------------------


class TossTokenAuth(httpx.Auth):
    """Toss's client-credentials token as an ``httpx.Auth``: issued on first use, cached until
    shortly before it expires, re-issued once when an answer is HTTP 401.

    Neither the secret nor the token appears in its repr or in any error it raises.
    """

    requires_response_body = True

    def __init__(
        self,
        client_id: str,
        client_secret: Secret,
        *,
        token_url: str = DEFAULT_TOKEN_URL,
        scope: str = SCOPE,
        leeway: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_id = Secret(client_id)
        self._client_secret = client_secret
        self._token_url = token_url
        self._scope = scope
        self._leeway = leeway
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Secret | None = None
        self._expires_at = 0.0
        self.issued = 0  # how many tokens were issued (for monitoring and tests)

    def __repr__(self) -> str:
        return f"TossTokenAuth(token_url={self._token_url!r}, token={self._token!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the bearer token; on 401, re-issue it once and send the request again."""
        token = self._current()
        if token is None:
            token = self._store((yield self._token_request()))
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        response = yield request
        if response.status_code == 401:
            with self._lock:
                if self._token == token:
                    self._token = None
            token = self._store((yield self._token_request()))
            request.headers["Authorization"] = f"Bearer {token.reveal()}"
            yield request

    def invalidate(self) -> None:
        """Forget the cached token: the next request gets a new one."""
        with self._lock:
            self._token = None

    def _current(self) -> Secret | None:
        with self._lock:
            if self._token is not None and self._clock() < self._expires_at:
                return self._token
            return None

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            self._token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self._client_id.reveal(),
                "client_secret": self._client_secret.reveal(),
                "scope": self._scope,
            },
            headers={"Accept": "application/json"},
        )

    def _store(self, response: httpx.Response) -> Secret:
        mp = Marketplace.TOSS
        if response.status_code >= 500:
            msg = f"toss: token endpoint unavailable (HTTP {response.status_code})"
            raise MarketplaceUnavailableError(msg, marketplace=mp, status_code=response.status_code)
        try:
            body = _boundary.parse_json_body(response, marketplace=mp)
        except ValueError:
            body = None
        if response.status_code != 200:
            code = body.get("error") if isinstance(body, dict) else None
            said = f"HTTP {response.status_code}" + (f", {code}" if isinstance(code, str) else "")
            msg = f"toss: the token endpoint refused the client credentials ({said})"
            raise AuthenticationError(msg, marketplace=mp)
        try:
            token = Secret(wire_str(body, "access_token"))
            expires_in = wire_opt_int(body, "expires_in") if isinstance(body, dict) else None
        except WireFieldError as e:
            msg = f"toss: token endpoint: unexpected answer: {e.field}: {e.problem.split(',')[0]}"
            raise UnexpectedResponseError(msg, marketplace=mp, field=e.field) from None
        ttl = float(expires_in if expires_in is not None else 3600)  # "about 1 hour" [client]
        with self._lock:
            self._token = token
            self._expires_at = self._clock() + ttl - min(self._leeway, ttl / 10)
            self.issued += 1
        return token


# --- factories ----------------------------------------------------------------------------------


def _auth(client_id: str, client_secret: str | Secret, token_url: str, scope: str) -> TossTokenAuth:
    secret = client_secret if isinstance(client_secret, Secret) else Secret(client_secret)
    return TossTokenAuth(
        client_id, secret, token_url=check_base_url(token_url, "token_url"), scope=scope
    )


def make_client(
    client_id: str,
    client_secret: str | Secret,
    *,
    base_url: str = DEFAULT_BASE_URL,
    token_url: str = DEFAULT_TOKEN_URL,
    scope: str = SCOPE,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> Client:
    """A synchronous Toss Shopping adapter. https is required except for a loopback host."""
    http = httpx.Client(
        base_url=check_base_url(base_url),
        auth=_auth(client_id, client_secret, token_url, scope),
        timeout=timeout,
        transport=transport,
        headers={"Accept": "application/json"},
    )
    return Client(SPEC, http, retry=retry)


def make_async_client(
    client_id: str,
    client_secret: str | Secret,
    *,
    base_url: str = DEFAULT_BASE_URL,
    token_url: str = DEFAULT_TOKEN_URL,
    scope: str = SCOPE,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncClient:
    """An asynchronous Toss Shopping adapter. https is required except for a loopback host."""
    http = httpx.AsyncClient(
        base_url=check_base_url(base_url),
        auth=_auth(client_id, client_secret, token_url, scope),
        timeout=timeout,
        transport=transport,
        headers={"Accept": "application/json"},
    )
    return AsyncClient(SPEC, http, retry=retry)
