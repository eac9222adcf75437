"""Serving wire payloads to real adapters over ``httpx.MockTransport``: what ``test_wire.py``
(valid and malformed answers) and ``test_hostile_adapters.py`` (hostile ones) both need.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx

import claimflow as cf
from claimflow.adapters import (
    AsyncClient,
    Client,
    OrderQuery,
    OrderRef,
    RetryPolicy,
    imweb,
    toss,
    x2bee,
)
from claimflow.testing import WirePayload

MP = cf.Marketplace
Answer = Callable[[httpx.Request], httpx.Response]
#: one attempt, no waits: a served answer is read exactly once
ONCE = RetryPolicy(attempts=1, timeout=5.0, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)
DAY = dt.date(2024, 5, 1)
_TOKEN_PATHS = frozenset({"/token", "/v2/auth"})  # Toss's token host, imweb's


def token(request: httpx.Request) -> httpx.Response | None:
    """A token for Toss's and imweb's token calls; None for any other request."""
    if request.url.path == "/token":
        return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
    if request.url.path == "/v2/auth":
        return httpx.Response(200, json={"msg": "SUCCESS", "code": 200, "access_token": "tok"})
    return None


def transport(answer: Answer, *, tokens: Answer | None = None) -> httpx.MockTransport:
    """*answer* for every call, token calls aside (answered by *tokens*, else :func:`token`)."""

    def handle(request: httpx.Request) -> httpx.Response:
        issued = (tokens or token)(request) if request.url.path in _TOKEN_PATHS else None
        return issued or answer(request)

    return httpx.MockTransport(handle)


def mock_client(mp: cf.Marketplace, answer: Answer, *, tokens: Answer | None = None) -> Client:
    """*mp*'s sync adapter over :func:`transport`."""
    served = transport(answer, tokens=tokens)
    if mp is MP.TOSS:
        return toss.make_client("client-id", "secret", retry=ONCE, transport=served)
    if mp is MP.IMWEB:
        return imweb.make_client("key", "secret", retry=ONCE, transport=served)
    return x2bee.make_client("token", retry=ONCE, transport=served)


def mock_async_client(mp: cf.Marketplace, answer: Answer) -> AsyncClient:
    """*mp*'s async adapter over the same answers."""
    sync = transport(answer)

    class Async(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await request.aread()
            return sync.handle_request(request)

    if mp is MP.TOSS:
        return toss.make_async_client("client-id", "secret", retry=ONCE, transport=Async())
    if mp is MP.IMWEB:
        return imweb.make_async_client("key", "secret", retry=ONCE, transport=Async())
    return x2bee.make_async_client("token", retry=ONCE, transport=Async())


def serving(
    main: Callable[[], httpx.Response], payload: WirePayload, *, by_id: bool = True
) -> Answer:
    """*main* for every call, except the companions' calls: Toss's claims list beside an orders
    page, imweb's prod-orders of each order on a page; with *by_id*, also Toss's read of one order
    product by id (§5.1): its row of *payload*'s page."""

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if by_id and payload.kind == "orders_page" and "/orders/products/" in path:
            op_id = path.rsplit("/", 1)[1]
            rows = payload.body["success"]["results"]
            row = next(r for r in rows if r["orderProductId"] == op_id)
            return httpx.Response(200, json={"resultType": "SUCCESS", "success": row})
        for companion in payload.companions:
            if companion.kind == "claims_page" and path.endswith("/claims"):
                return companion.response()
            order = companion.refs[0].order_id if companion.refs else None
            if companion.kind == "prod_orders" and path == f"/v2/shop/orders/{order}/prod-orders":
                return companion.response()
        return main()

    return answer


#: a read for the answers valid for any call (errors): one each marketplace's tests use
READ: dict[cf.Marketplace, Callable[[Any], object]] = {
    MP.TOSS: lambda a: a.list_claims(),
    MP.IMWEB: lambda a: a.read(OrderRef("202400000001:100001")),
    MP.X2BEE: lambda a: a.calculate_cost(OrderRef("OP1", "O1")),
}


def call(adapter: Any, p: WirePayload, *, every_page: bool = False) -> Any:
    """The adapter call that reads payload *p* (a page, one order product, an action ...); with
    *every_page*, lists are read to their end (``iter_*``) rather than one page (``list_*``)."""
    mp, kind = p.marketplace, p.kind
    if kind == "action":
        return adapter.perform(p.action)
    if kind == "error":
        return READ[mp](adapter)
    toss_orders = OrderQuery(since=DAY, until=DAY)
    lists: dict[tuple[cf.Marketplace, str], Callable[[], object]] = (
        {
            (MP.TOSS, "claims_page"): lambda: list(adapter.iter_claims()),
            (MP.TOSS, "orders_page"): lambda: list(adapter.iter_order_products(toss_orders)),
            (MP.IMWEB, "orders_page"): lambda: list(adapter.iter_order_products(OrderQuery())),
        }
        if every_page
        else {
            (MP.TOSS, "claims_page"): adapter.list_claims,
            (MP.TOSS, "orders_page"): lambda: adapter.list_order_products(toss_orders),
            (MP.IMWEB, "orders_page"): lambda: adapter.list_order_products(OrderQuery()),
        }
    )
    calls: dict[tuple[cf.Marketplace, str], Callable[[], object]] = {
        **lists,
        (MP.IMWEB, "prod_orders"): lambda: [adapter.read(ref) for ref in p.refs],
        (MP.X2BEE, "details"): lambda: adapter.read(p.refs[0]),
        (MP.X2BEE, "cost"): lambda: adapter.calculate_cost(p.refs[0]),
        (MP.X2BEE, "cancel_targets"): lambda: adapter.cancel_targets(p.refs[0].order_id),
        (MP.X2BEE, "candidates"): lambda: adapter.option_candidates("G1", p.sources[0].item_id),
    }
    return calls[(mp, kind)]()
