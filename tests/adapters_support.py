"""Helpers for the adapter tests: adapters for an emulator served on 127.0.0.1, and order
products set up on both sides. The fixtures are in ``conftest_adapters.py``."""

from __future__ import annotations

import datetime as dt

import attrs

import claimflow as cf
from claimflow._vocab import SEOUL
from claimflow.adapters import (
    AsyncClient,
    Client,
    OrderRef,
    RetryPolicy,
    reconcile,
    toss,
)
from claimflow.emulators import LoggedRequest, RunningServer
from claimflow.emulators.toss import TossEmulator

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "s3cr3t-never-shown"

#: fast retries for tests: small waits, few attempts
FAST = RetryPolicy(attempts=3, timeout=5.0, wait_initial=0.01, wait_max=0.02, wait_jitter=0.0)


def make_sync(server: RunningServer, **kw: object) -> Client:
    """A synchronous Toss adapter for *server*."""
    options: dict[str, object] = {
        "base_url": server.url,
        "token_url": server.url + "/token",
        "retry": FAST,
        "timeout": 5.0,
    }
    options.update(kw)
    secret = options.pop("client_secret", CLIENT_SECRET)
    return toss.make_client(CLIENT_ID, secret, **options)  # type: ignore[arg-type]


def make_async(server: RunningServer, **kw: object) -> AsyncClient:
    """An asynchronous Toss adapter for *server*."""
    options: dict[str, object] = {
        "base_url": server.url,
        "token_url": server.url + "/token",
        "retry": FAST,
        "timeout": 5.0,
    }
    options.update(kw)
    return toss.make_async_client(CLIENT_ID, CLIENT_SECRET, **options)  # type: ignore[arg-type]


@attrs.frozen
class Setup:
    """An order product on the emulator and its local twin (and where to read it)."""

    op: cf.OrderProduct
    ref: OrderRef


def start(emulator: TossEmulator, status: str, **kw: object) -> Setup:
    """A new order product in *status* on the emulator, and the same one locally."""
    record = emulator.add(status, **kw)  # type: ignore[arg-type]
    local = cf.OrderProduct(
        record.op.id,
        "toss",
        status,
        item_id=record.op.item_id,
        unit_price=record.op.unit_price,
        quantity=record.op.quantity,
    )
    return Setup(local, OrderRef(record.op.id, record.order_id, record.ordered_at.date()))


def requested(
    emulator: TossEmulator, adapter: Client, status: str, action: str, **params: object
) -> Setup:
    """An order product in *status* where the buyer made a request in the Toss app; the local
    side learned of it by reconciling (as a seller's system reading the claims list would)."""
    s = start(emulator, status)
    emulator.buyer(s.op.id, action, **params)
    synced = reconcile(adapter, s.op, ref=s.ref)
    return Setup(synced.order_product, s.ref)


def writes(emulator: TossEmulator) -> list[LoggedRequest]:
    """The write requests the emulator received (since the last reset)."""
    return [r for r in emulator.core.requests if r.method == "POST" and r.path != "/token"]


def api_requests(emulator: TossEmulator) -> list[LoggedRequest]:
    """The API requests the emulator received, token requests aside."""
    return [r for r in emulator.core.requests if r.path != "/token"]


def days_ago(n: int) -> dt.datetime:
    """A moment *n* days before now, in KST."""
    return dt.datetime.now(SEOUL) - dt.timedelta(days=n)
