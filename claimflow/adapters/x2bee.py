"""x2bee (Plateer X2BEE) order, back-office and goods API adapter.

The wire format lives in :mod:`claimflow.adapters.codecs.x2bee`; this module adds the bearer
token and the clients (with the cancel-cost, cancel-target and option-candidate reads).

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
  ``return.collect`` / ``exchange.collect`` as 회수완료 36 (:data:`PICKUP_STEPS`; 36 is [doc], the
  other codes [inferred]). ``return.complete`` is ``saveRefundBundleApproMgmt`` with ``ordNo``,
  ``claimNo``, ``claimBusinessType`` 22 and ``systemType`` [doc, §5.3]. ``exchange.withdraw`` has
  no documented call (``withdrawalExchange`` is a pickup-side step, §5.3). Return request and
  withdrawal, rejections, 반려, exchange submit, redelivery, completion and invoice change have no
  path in claimflow's sources: they raise :class:`~claimflow.exceptions.NotSupportedError` before
  anything is sent.
- A 200 whose body is the envelope with ``error: true``, or Spring's error body, is a failure; a
  write answered by a JSON body that is not the envelope is an unexpected answer (§5.3).
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
from typing import Final, TypeAlias

import httpx

from .._values import CandidateItem
from .._vocab import Marketplace
from ..exceptions import AuthenticationError, InvalidInputError
from ._clients import (
    AsyncClient,
    Client,
    RetryPolicy,
)
from ._spec import (
    MarketplaceSpec,
)
from ._values import (
    OrderRef,
    Secret,
)
from ._wiring import Lists, check_credentials
from .codecs.x2bee import (
    CLAIM_STATUS_CODES,
    CLAIM_TYPE_CODES,
    DEFAULT_BO_URL,
    DEFAULT_GOODS_URL,
    DEFAULT_ORDER_URL,
    ORDER_STATUS_CODES,
    PICKUP_STEPS,
    READS,
    ROUTES,
    SALE_STATUS_CODES,
    SPEC,
    UNSUPPORTED,
    CancelTargets,
    CostCalculation,
    Hosts,
    Route,
    cancel_popup_flow,
    candidates_flow,
    claim_status_code,
    cost_flow,
    order_status_code,
    spec_for,
)

MARKETPLACE: Final = Marketplace.X2BEE
MP = MARKETPLACE

__all__ = [
    "CLAIM_STATUS_CODES",
    "CLAIM_TYPE_CODES",
    "CREDENTIAL_ENV",
    "DEFAULT_BO_URL",
    "DEFAULT_GOODS_URL",
    "DEFAULT_ORDER_URL",
    "DEFAULT_URL",
    "LISTS",
    "LIST_PACE",
    "MARKETPLACE",
    "MIN_INTERVAL",
    "ORDERED_AT_IS_PAID_AT",
    "ORDER_STATUS_CODES",
    "PICKUP_STEPS",
    "READS",
    "ROUTES",
    "SALE_STATUS_CODES",
    "SHOWS_HOLDS",
    "SPEC",
    "UNSUPPORTED",
    "CancelTargets",
    "CostCalculation",
    "Hosts",
    "Route",
    "TokenSource",
    "X2beeAsyncClient",
    "X2beeBearerAuth",
    "X2beeClient",
    "base_urls",
    "claim_status_code",
    "client_for",
    "make_async_client",
    "make_client",
    "order_status_code",
    "spec_for",
]

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


# --- wiring (the same names in every marketplace module: claimflow.adapters._wiring) -----------

#: the access token
CREDENTIAL_ENV: Final = ("CLAIMFLOW_X2BEE_TOKEN",)
DEFAULT_URL: Final = DEFAULT_ORDER_URL
MIN_INTERVAL: Final = 0.0  # no rate limit published
LIST_PACE: Final = 0.0
LISTS: Final[Lists] = "none"  # no list API in the sources: read back the known lines [doc]
ORDERED_AT_IS_PAID_AT: Final = False
SHOWS_HOLDS: Final = True  # x2bee's rules have no hold


def base_urls(root: str) -> dict[str, str]:
    """The order API at *root* (the BO and goods APIs stay at their default hosts)."""
    return {"order_url": root}


def client_for(
    credentials: Sequence[str],
    urls: Mapping[str, str] | None = None,
    *,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> Client:
    """:func:`make_client` with (token,) and the URL keywords *urls* (``order_url``,
    ``bo_url``, ``goods_url``; default :func:`base_urls` of :data:`DEFAULT_URL`)."""
    check_credentials(MARKETPLACE, credentials, CREDENTIAL_ENV)
    (token,) = credentials
    where = dict(urls if urls is not None else base_urls(DEFAULT_URL))
    return make_client(token, **where, retry=retry, timeout=timeout, transport=transport)
