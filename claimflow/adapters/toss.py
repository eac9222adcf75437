"""Toss Shopping ("shopping-fep") seller API adapter.

The wire format lives in :mod:`claimflow.adapters.codecs.toss` (tagged [doc], [client],
[inferred] fact by fact); this module adds the token and the client factories. Sources:
``shared/seeds/000_…`` (cancel), ``001_…`` (return), ``003_…`` (exchange) and
``shared/spec/marketplaces.md`` §1 and §5.1.

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
- :meth:`~claimflow.adapters.Client.read` reads one order product with
  ``GET /orders/products/{orderProductId}`` [client, §5.1], then lists its order's claims: no
  date window is needed.
- Fulfilment: ``order.prepare`` / ``order.delay`` / ``order.deliver`` are
  ``PUT /orders/products/status`` (PREPARING_PRODUCT, DELAY_SHIPPING with ``shippingDeadlineAt``,
  DELIVERED), ``order.ship`` is ``PUT /orders/products/delivery`` (the invoice) [client, §5.1].
- HTTP 403 means the caller's IP is not on the shop's allow-list:
  :class:`~claimflow.exceptions.IPNotAllowedError` [client, §5.1].
- An approved buyer cancel reads back as claim ``status`` ``COMPLETED`` [client, real capture].
- ``orderProductStatus`` folds a pending claim into the status (``REQUESTED_RETURN``): the status
  underneath is then not on the wire (it is the claim's origin). The claims list's ``status`` says
  ``APPROVED`` for every step after approval; the order-product status tells which
  (``CLAIM_COLLECTING``, ``CLAIM_COLLECTED``, ``CLAIM_DELIVERING``) [inferred].
- Claims are listed in windows of at most 7 days with ``size=100`` and ``nextToken`` pages
  [client]; orders in windows of at most 31 days, ``limit`` ≤ 50, ``nextCursor`` pages [doc/client].
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Final

import httpx

from .._vocab import Marketplace
from ..exceptions import AuthenticationError, MarketplaceUnavailableError, UnexpectedResponseError
from ._auth import CachedTokenAuth
from ._clients import (
    AsyncClient,
    Client,
    RetryPolicy,
)
from ._codec import (
    WireFieldError,
    wire_opt_int,
    wire_str,
)
from ._errors import response_json
from ._values import (
    Secret,
    check_base_url,
)
from ._wiring import Lists, check_credentials
from .codecs.toss import (
    ACTIONS,
    API_PREFIX,
    CLAIM_STATUS_CODES,
    DEFAULT_BASE_URL,
    DEFAULT_TOKEN_URL,
    ORDER_STATUS_CODES,
    SCOPE,
    SPEC,
    UNSUPPORTED,
    claim_status_code,
    order_status_code,
)

__all__ = [
    "ACTIONS",
    "API_PREFIX",
    "CLAIM_STATUS_CODES",
    "CREDENTIAL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_TOKEN_URL",
    "DEFAULT_URL",
    "LISTS",
    "LIST_PACE",
    "MARKETPLACE",
    "MIN_INTERVAL",
    "ORDERED_AT_IS_PAID_AT",
    "ORDER_STATUS_CODES",
    "SCOPE",
    "SHOWS_HOLDS",
    "SPEC",
    "UNSUPPORTED",
    "TossTokenAuth",
    "base_urls",
    "claim_status_code",
    "client_for",
    "make_async_client",
    "make_client",
    "order_status_code",
]

# --- auth ---------------------------------------------------------------------------------------


class TossTokenAuth(CachedTokenAuth):
    """Toss's client-credentials token (:class:`~claimflow.adapters._auth.CachedTokenAuth`):
    ``POST`` form ``grant_type=client_credentials``, ``client_id``, ``client_secret``, ``scope``
    to the token URL [client]; cached for its ``expires_in`` (3599 s, §5.1) less a leeway,
    re-issued once when an answer is HTTP 401.

    Neither the secret nor the token appears in its repr or in any error it raises.
    """

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
        super().__init__(leeway=leeway, clock=clock)
        self._client_id = Secret(client_id)
        self._client_secret = client_secret
        self._token_url = token_url
        self._scope = scope

    def __repr__(self) -> str:
        return f"TossTokenAuth(token_url={self._token_url!r}, token={self._token!r})"

    def token_request(self) -> httpx.Request:
        """The client-credentials form [client]."""
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

    def parse_token(self, response: httpx.Response) -> tuple[Secret, float | None]:
        """``access_token`` and ``expires_in`` (about an hour when absent [client])."""
        mp = Marketplace.TOSS
        if response.status_code >= 500:
            msg = f"toss: token endpoint unavailable (HTTP {response.status_code})"
            raise MarketplaceUnavailableError(msg, marketplace=mp, status_code=response.status_code)
        try:
            body = response_json(response, mp)  # under the body limits (issue 13)
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
        return token, float(expires_in if expires_in is not None else 3600)


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


# --- wiring (the same names in every marketplace module: claimflow.adapters._wiring) -----------

MARKETPLACE: Final = Marketplace.TOSS
#: client id, client secret
CREDENTIAL_ENV: Final = ("CLAIMFLOW_TOSS_CLIENT_ID", "CLAIMFLOW_TOSS_CLIENT_SECRET")
DEFAULT_URL: Final = DEFAULT_BASE_URL
MIN_INTERVAL: Final = 0.0  # no rate limit published; TOO_MANY_REQUEST is retried [client]
LIST_PACE: Final = 0.0
LISTS: Final[Lists] = "claims_and_orders"  # GET /claims, GET /orders/v2 [doc/client]
ORDERED_AT_IS_PAID_AT: Final = True  # orderedAt is when the order was paid [client, §5.1]
SHOWS_HOLDS: Final = True  # the claim item's status says HOLD [doc]


def base_urls(root: str) -> dict[str, str]:
    """The seller API at *root* (the token still comes from :data:`DEFAULT_TOKEN_URL`)."""
    return {"base_url": root}


def client_for(
    credentials: Sequence[str],
    urls: Mapping[str, str] | None = None,
    *,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> Client:
    """:func:`make_client` with (client id, client secret) and the URL keywords *urls*
    (``base_url``, ``token_url``; default :func:`base_urls` of :data:`DEFAULT_URL`)."""
    check_credentials(MARKETPLACE, credentials, CREDENTIAL_ENV)
    client_id, client_secret = credentials
    where = dict(urls if urls is not None else base_urls(DEFAULT_URL))
    return make_client(
        client_id, client_secret, **where, retry=retry, timeout=timeout, transport=transport
    )
