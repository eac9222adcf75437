"""imweb shop API v2 seller adapter.

The wire format lives in :mod:`claimflow.adapters.codecs.imweb`; this module adds the token and
the client factories. Sources: ``shared/seeds/004_…`` (return) and
``shared/spec/marketplaces.md`` §2 and §5.2, whose confidence tags ([doc], [client], [inferred])
the codec keeps on every endpoint, status code and field.

Quirks:

- Base ``https://api.imweb.me/v2/shop`` [doc]. A token comes from ``POST
  https://api.imweb.me/v2/auth`` with ``key`` and ``secret`` (JSON [client]) and goes in an
  ``access-token`` header [doc]; its lifetime is not documented, so :class:`ImwebTokenAuth`
  keeps it until an answer says it is bad (``-2`` or HTTP 401), then re-issues it once.
- One envelope ``{msg, code, request_count, version, data}``; ``code`` 200 is success, HTTP
  statuses and the negative error codes travel in the body [doc] (see :data:`ERROR_CODES`, each
  mapped deliberately). A body that says '자동환불불가' is
  :class:`~claimflow.exceptions.MarketplaceRefusedError` with code ``AUTO_REFUND_IMPOSSIBLE``.
- Actions are ``PATCH /orders/{order_no}/{cancel|return|exchange}/{status}`` with
  ``{"prod_order_no": [...], "etc": {...}}`` [doc]; ``etc`` only when the status takes data. One
  call may name several item orders of one order, and **partial success is normal**:
  ``data.success`` lists the order numbers that went through, ``data.failed[].prod_order_list``
  the items refused, with ``msg`` and ``detail_msg`` [doc].
  :func:`~claimflow.adapters.apply_remote_many` commits only the items that succeeded. An order
  number in neither list leaves the outcome unknown.
- **Ids**: imweb addresses an order product by two numbers, the order's ``order_no`` and the
  item order's ``prod_order_no``. claimflow's order product id is ``"{order_no}:{prod_order_no}"``
  (:class:`ImwebRef`), so every action and read finds its order without an extra ``OrderRef``.
- The wire has **no claim ids and no claim history**: an item order shows its current claim as
  ``claim_type`` + ``claim_status`` [doc]. The spec sets ``claims_by_id=False``: reconciling
  compares the open claim by type and status. :class:`~claimflow.adapters.RemoteClaim` ids are
  made up as ``"{order product id}:{claim type}"``.
- imweb's ``status`` does not move while a claim runs: ``RETURN_COLLECTING`` etc. are
  ``claim_status`` codes beside it [doc]. The claimflow status comes from the claim code when it
  has one (반품수거중 …), else from ``status``; the ``status`` under a claim is its origin
  [inferred].
- ``HELD`` is not a ``claim_status`` on the wire and no documented field shows a hold (§5.2):
  a held claim reads as its underlying status with ``hold_known=False`` (unknown, not "not
  held").
- Naver Pay is known only by listing orders with ``type=npay`` (``OrderQuery(channel=...)``):
  the order list has no ``order_type`` field [doc, §5.2]; unfiltered rows have
  ``payment_channel`` None.
- ``etc_price`` / ``refund_point`` are per item: one entry on the action's own item, never the
  amount repeated per item [doc, §5.2]. ``parcel_code`` is a carrier code
  (``codecs.imweb.CARRIER_CODES``, [inferred] values); ``exchange.reject`` sends
  ``parcel_code``/``invoice_no`` [doc] and is refused before sending without them.
- ``return.to_exchange`` is ``return/reject`` (the doc: "반품 거부하거나 교환으로 변경") with
  ``etc.claim_type = "EXCHANGE"`` beside ``etc.reason`` [inferred: the doc does not name the
  field; ``claim_type``/``EXCHANGE`` are the doc's own words for it].
- ``PAY_WAIT`` (입금대기) has no claimflow status: read as an explicit unknown (``status``
  None, ``wire_status`` ``"PAY_WAIT"``), as Toss's ``BEFORE_PAYMENT``. Every other unknown code
  raises :class:`~claimflow.exceptions.UnexpectedResponseError` naming the field.
- ``CANCELING`` (취소요청중: accepted, the gateway refunding) reads as the open cancel
  ``REFUNDING`` and ``CANCEL_FAILED`` (취소실패) as ``REFUND_FAILED`` (rules.md I3/I3a) [doc].
- Lists: ``GET /orders`` pages by ``offset`` (page number from 1) and ``limit`` (≤ 100), with
  ``data.list`` and ``data.pagenation`` (sic [client]; ``pagination`` accepted) [doc]; at most
  one of ``status``/``claim_type``/``claim_status`` filters a call [doc]. Item orders come from
  ``GET /orders/{order_no}/prod-orders`` [doc], one call per order, so a page of order products
  is a :class:`~claimflow.adapters.FlowList` page of several calls. There is no claims list:
  claims are the item orders' current claims.
- Rate limits: 1/s for list-all calls, 5/s for the others; exceeding them can get the key
  blocked [doc]. Answer ``-7`` is :class:`~claimflow.exceptions.RateLimitedError`, retried with a
  backoff starting at one second (:data:`RETRY`).
- The buyer requests cancels, returns and exchanges in the storefront; the payment gateway
  settles refunds (``CANCELING`` → 결제취소 or ``CANCEL_FAILED``, ``RETURN_REFUNDING`` → 반품완료
  or ``RETURN_REFUND_FAILED``): no seller call
  for either; read them back and reconcile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import httpx

from .._vocab import Marketplace
from ..exceptions import (
    AuthenticationError,
    MarketplaceUnavailableError,
    RateLimitedError,
    UnexpectedResponseError,
)
from ._auth import CachedTokenAuth
from ._clients import (
    AsyncClient,
    Client,
    RetryPolicy,
)
from ._codec import (
    WireFieldError,
    wire_opt_str,
    wire_str,
)
from ._errors import response_json
from ._values import (
    Secret,
    check_base_url,
)
from ._wiring import Lists, check_credentials
from .codecs.imweb import (
    ACTIONS,
    AUTO_REFUND_IMPOSSIBLE,
    CLAIM_STATUS_CODES,
    DEFAULT_AUTH_URL,
    DEFAULT_BASE_URL,
    ENVELOPE_STATUSES,
    ERROR_CODES,
    EXCHANGE_HOLD_REASONS,
    HTTP_ERRORS,
    NO_AUTO_REFUND_PAY_TYPES,
    ORDER_STATUS_CODES,
    SPEC,
    UNSUPPORTED,
    ImwebRef,
    WireState,
    claim_status_code,
    parse_action,
    unwrap,
    wire_state,
)
from .codecs.imweb import body_code as _code

__all__ = [
    "ACTIONS",
    "AUTO_REFUND_IMPOSSIBLE",
    "CLAIM_STATUS_CODES",
    "CREDENTIAL_ENV",
    "DEFAULT_AUTH_URL",
    "DEFAULT_BASE_URL",
    "DEFAULT_URL",
    "ENVELOPE_STATUSES",
    "ERROR_CODES",
    "EXCHANGE_HOLD_REASONS",
    "HTTP_ERRORS",
    "LISTS",
    "LIST_PACE",
    "MARKETPLACE",
    "MIN_INTERVAL",
    "NO_AUTO_REFUND_PAY_TYPES",
    "ORDERED_AT_IS_PAID_AT",
    "ORDER_STATUS_CODES",
    "RETRY",
    "SHOWS_HOLDS",
    "SPEC",
    "UNSUPPORTED",
    "ImwebRef",
    "ImwebTokenAuth",
    "WireState",
    "base_urls",
    "claim_status_code",
    "client_for",
    "make_async_client",
    "make_client",
    "parse_action",
    "unwrap",
    "wire_state",
]

#: imweb asks for at most 1 list-all call a second [doc]: back off from one second, not 0.1.
RETRY = RetryPolicy(wait_initial=1.0, wait_max=10.0)

# --- auth ---------------------------------------------------------------------------------------

_BAD_TOKEN_CODES = frozenset({-2, 401})


def _body_code(response: httpx.Response) -> int | None:
    try:
        return _code(response_json(response, Marketplace.IMWEB))
    except (ValueError, WireFieldError):
        return None


class ImwebTokenAuth(CachedTokenAuth):
    """imweb's access token (:class:`~claimflow.adapters._auth.CachedTokenAuth`): issued on
    first use from ``key`` and ``secret``, sent as the ``access-token`` header [doc], re-issued
    once when an answer says the token is bad (code ``-2``, or HTTP / body 401).

    imweb does not document the token's lifetime, so it is kept until refused. Neither the secret
    nor the token appears in its repr or in any error it raises.
    """

    def __init__(self, key: str, secret: Secret, *, auth_url: str = DEFAULT_AUTH_URL) -> None:
        super().__init__()
        self._key = Secret(key)
        self._secret = secret
        self._auth_url = auth_url

    def __repr__(self) -> str:
        return f"ImwebTokenAuth(auth_url={self._auth_url!r}, token={self._token!r})"

    def token_request(self) -> httpx.Request:
        """``key`` and ``secret`` as JSON [client]."""
        return httpx.Request(
            "POST",
            self._auth_url,
            json={"key": self._key.reveal(), "secret": self._secret.reveal()},
            headers={"Accept": "application/json"},
        )

    def apply(self, request: httpx.Request, token: Secret) -> None:
        """The ``access-token`` header [doc]."""
        request.headers["access-token"] = token.reveal()

    def token_refused(self, response: httpx.Response) -> bool:
        """HTTP 401, or the envelope's code ``-2`` / 401 [doc]."""
        if response.status_code == 401:
            return True
        content = response.content  # parse the body only when it can hold a bad-token code
        return (b"-2" in content or b"401" in content) and _body_code(response) in _BAD_TOKEN_CODES

    def parse_token(self, response: httpx.Response) -> tuple[Secret, float | None]:
        """``access_token`` of a code-200 envelope; kept until refused (no lifetime)."""
        mp = Marketplace.IMWEB
        if response.status_code >= 500:
            msg = f"imweb: auth endpoint unavailable (HTTP {response.status_code})"
            raise MarketplaceUnavailableError(msg, marketplace=mp, status_code=response.status_code)
        try:
            body: Any = response_json(response, mp)  # under the body limits (issue 13)
            code = _code(body)
            said = f"HTTP {response.status_code}, code {code}"
            if code == 200:
                return Secret(wire_str(body, "access_token")), None
        except (ValueError, WireFieldError) as e:
            field = e.field if isinstance(e, WireFieldError) else "body"
            msg = f"imweb: auth endpoint: unexpected answer (HTTP {response.status_code}): {field}"
            raise UnexpectedResponseError(msg, marketplace=mp, field=field) from None
        if code in {-7, 429}:
            msg = f"imweb: auth endpoint: rate limited ({said})"
            raise RateLimitedError(msg, marketplace=mp)
        message = wire_opt_str(body, "msg") or ""
        msg = f"imweb: the auth endpoint refused the key and secret ({said}): {message}"
        raise AuthenticationError(msg, marketplace=mp)


# --- factories ----------------------------------------------------------------------------------


def _auth(key: str, secret: str | Secret, auth_url: str) -> ImwebTokenAuth:
    secret = secret if isinstance(secret, Secret) else Secret(secret)
    return ImwebTokenAuth(key, secret, auth_url=check_base_url(auth_url, "auth_url"))


def make_client(
    key: str,
    secret: str | Secret,
    *,
    base_url: str = DEFAULT_BASE_URL,
    auth_url: str = DEFAULT_AUTH_URL,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> Client:
    """A synchronous imweb adapter. https is required except for a loopback host."""
    http = httpx.Client(
        base_url=check_base_url(base_url),
        auth=_auth(key, secret, auth_url),
        timeout=timeout,
        transport=transport,
        headers={"Accept": "application/json"},
    )
    return Client(SPEC, http, retry=retry or RETRY)


def make_async_client(
    key: str,
    secret: str | Secret,
    *,
    base_url: str = DEFAULT_BASE_URL,
    auth_url: str = DEFAULT_AUTH_URL,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncClient:
    """An asynchronous imweb adapter. https is required except for a loopback host."""
    http = httpx.AsyncClient(
        base_url=check_base_url(base_url),
        auth=_auth(key, secret, auth_url),
        timeout=timeout,
        transport=transport,
        headers={"Accept": "application/json"},
    )
    return AsyncClient(SPEC, http, retry=retry or RETRY)


# --- wiring (the same names in every marketplace module: claimflow.adapters._wiring) -----------

MARKETPLACE: Final = Marketplace.IMWEB
#: key, secret
CREDENTIAL_ENV: Final = ("CLAIMFLOW_IMWEB_KEY", "CLAIMFLOW_IMWEB_SECRET")
DEFAULT_URL: Final = DEFAULT_BASE_URL
MIN_INTERVAL: Final = 0.2  # 5 calls a second [doc: rate limits]
LIST_PACE: Final = 1.0  # 1 list-all call a second [doc: rate limits]
LISTS: Final[Lists] = "orders"  # GET /orders with the item orders' current claims [doc]
ORDERED_AT_IS_PAID_AT: Final = False  # order_time is not said to be the payment's [doc]
SHOWS_HOLDS: Final = False  # no documented field shows a hold [doc, §5.2]


def base_urls(root: str) -> dict[str, str]:
    """The shop API at *root* (the token still comes from :data:`DEFAULT_AUTH_URL`)."""
    return {"base_url": root}


def client_for(
    credentials: Sequence[str],
    urls: Mapping[str, str] | None = None,
    *,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> Client:
    """:func:`make_client` with (key, secret) and the URL keywords *urls* (``base_url``,
    ``auth_url``; default :func:`base_urls` of :data:`DEFAULT_URL`)."""
    check_credentials(MARKETPLACE, credentials, CREDENTIAL_ENV)
    key, secret = credentials
    where = dict(urls if urls is not None else base_urls(DEFAULT_URL))
    return make_client(key, secret, **where, retry=retry, timeout=timeout, transport=transport)
