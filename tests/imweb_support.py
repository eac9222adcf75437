"""Helpers for the imweb adapter tests: adapters for an emulator served on 127.0.0.1, and order
products set up on both sides. The fixtures are in ``conftest_adapters_imweb.py``."""

from __future__ import annotations

import claimflow as cf
from claimflow.adapters import AsyncClient, Client, RetryPolicy, imweb, reconcile
from claimflow.emulators import LoggedRequest, RunningServer
from claimflow.emulators.imweb import ImwebEmulator

KEY = "test-imweb-key"
SECRET = "imweb-s3cr3t-never-shown"

#: fast retries for tests: small waits, few attempts
FAST = RetryPolicy(attempts=3, timeout=5.0, wait_initial=0.01, wait_max=0.02, wait_jitter=0.0)


def make_sync(server: RunningServer, **kw: object) -> Client:
    """A synchronous imweb adapter for *server*."""
    options: dict[str, object] = {
        "base_url": server.url + "/v2/shop",
        "auth_url": server.url + "/v2/auth",
        "retry": FAST,
        "timeout": 5.0,
    }
    options.update(kw)
    secret = options.pop("secret", SECRET)
    return imweb.make_client(KEY, secret, **options)  # type: ignore[arg-type]


def make_async(server: RunningServer, **kw: object) -> AsyncClient:
    """An asynchronous imweb adapter for *server*."""
    options: dict[str, object] = {
        "base_url": server.url + "/v2/shop",
        "auth_url": server.url + "/v2/auth",
        "retry": FAST,
        "timeout": 5.0,
    }
    options.update(kw)
    return imweb.make_async_client(KEY, SECRET, **options)  # type: ignore[arg-type]


def start(emulator: ImwebEmulator, *statuses: str, **order: object) -> list[cf.OrderProduct]:
    """A new order on the emulator with an item order per status, and the same order products
    locally (payment channel and auto refund as the order says)."""
    placed = emulator.add_order(*statuses, **order)  # type: ignore[arg-type]
    return [local_twin(emulator, op_id) for op_id in placed.items]


def local_twin(emulator: ImwebEmulator, op_id: str) -> cf.OrderProduct:
    """The order product *op_id* as a seller's system first records it: status, item, payment;
    no claims (those arrive by reconciling)."""
    op = emulator.store.get(op_id).op
    return cf.OrderProduct(
        op.id,
        "imweb",
        op.status,
        op.item_id,
        op.unit_price,
        op.quantity,
        payment_channel=op.payment_channel,
        auto_refundable=op.auto_refundable,
    )


def requested(
    emulator: ImwebEmulator,
    adapter: Client,
    status: str,
    action: str,
    *,
    items: int = 1,
    **order: object,
) -> list[cf.OrderProduct]:
    """An order of *items* item orders in *status*, each with the buyer's *action* request in
    the storefront; the local side learned of them by reconciling."""
    ops = start(emulator, *[status] * items, **order)
    for op in ops:
        emulator.buyer(op.id, action, reason_code="INTENT_CHANGED")
    return [reconcile(adapter, op).order_product for op in ops]


def writes(emulator: ImwebEmulator) -> list[LoggedRequest]:
    """The write requests the emulator received (since the last reset)."""
    return [r for r in emulator.core.requests if r.method == "PATCH"]


def api_requests(emulator: ImwebEmulator) -> list[LoggedRequest]:
    """The API requests the emulator received, token requests aside."""
    return [r for r in emulator.core.requests if r.path != "/v2/auth"]
