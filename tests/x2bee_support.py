"""Helpers for the x2bee adapter tests: adapters for an emulator served on 127.0.0.1, and order
products set up on both sides. The fixtures are in ``conftest_adapters_x2bee.py``."""

from __future__ import annotations

from adapters_support import FAST, Setup

import claimflow as cf
from claimflow.adapters import OrderRef, reconcile
from claimflow.adapters.x2bee import (
    READS,
    X2beeAsyncClient,
    X2beeClient,
    make_async_client,
    make_client,
)
from claimflow.emulators import LoggedRequest, RunningServer
from claimflow.emulators.x2bee import X2beeEmulator

#: the access token the module's emulator accepts (never to appear in a repr, error or log)
TOKEN = "x2bee-jwt-s3cr3t-never-shown"
#: the paths of the reads x2bee sends as POST
READ_PATHS = frozenset(f"/api/{r.host}{r.path}" for r in READS.values())


def urls(server: RunningServer) -> dict[str, str]:
    """The emulator's three API base URLs (one server stands in for every x2bee host)."""
    return {
        "order_url": server.url + "/api/order",
        "bo_url": server.url + "/api/bo",
        "goods_url": server.url + "/api/goods",
    }


def make_sync(server: RunningServer, token: object = TOKEN, **kw: object) -> X2beeClient:
    """A synchronous x2bee adapter for *server*."""
    options: dict[str, object] = {**urls(server), "retry": FAST, "timeout": 5.0, **kw}
    return make_client(token, **options)  # type: ignore[arg-type]


def make_async(server: RunningServer, token: object = TOKEN, **kw: object) -> X2beeAsyncClient:
    """An asynchronous x2bee adapter for *server*."""
    options: dict[str, object] = {**urls(server), "retry": FAST, "timeout": 5.0, **kw}
    return make_async_client(token, **options)  # type: ignore[arg-type]


def start(x2bee: X2beeEmulator, status: str, **kw: object) -> Setup:
    """A new order product in *status* on the emulator, and the same one locally."""
    record = x2bee.add(status, **kw)
    local = cf.OrderProduct(
        record.op.id,
        "x2bee",
        status,
        item_id=record.op.item_id,
        unit_price=record.op.unit_price,
        quantity=record.op.quantity,
    )
    return Setup(local, OrderRef(record.op.id, record.order_id))


def requested(
    x2bee: X2beeEmulator, adapter: X2beeClient, status: str, action: str, **params: object
) -> Setup:
    """An order product in *status* where the buyer made a request in the storefront (x2bee
    documents no call for it); the local side learned of it by reconciling."""
    s = start(x2bee, status)
    x2bee.buyer(s.op.id, action, **params)
    synced = reconcile(adapter, s.op, ref=s.ref)
    return Setup(synced.order_product, s.ref)


def api_requests(x2bee: X2beeEmulator) -> list[LoggedRequest]:
    """The API requests the emulator received (since the last reset), control calls aside."""
    return [r for r in x2bee.core.requests if r.path.startswith("/api/")]


def writes(x2bee: X2beeEmulator) -> list[LoggedRequest]:
    """The write requests the emulator received (since the last reset)."""
    return [r for r in api_requests(x2bee) if r.path not in READ_PATHS]
