"""claimflow.store.sync against the raw work it cannot avoid: the same paged GETs plus one bulk
INSERT of the same rows.

Run from the repository root::

    python benchmarks/bench_sync.py                    # 20,000 claims, SQLite
    python benchmarks/bench_sync.py --claims 100000    # the issue's figure (minutes: see below)
    python benchmarks/bench_sync.py --store-url postgresql://claimflow:claimflow@127.0.0.1/claimflow_test

A Toss emulator (in-process, ASGI: no sockets) holds *N* order products, each with a buyer's
cancel request made today. Both sides read the same pages through the same adapter (claims in
7-day windows of 100, orders in 31-day windows of 50):

- **raw**: the pages only, then one transaction inserting the order-product rows and one
  history-event row per claim with ``executemany`` (what a hand-written ingester would write);
- **sync**: :func:`claimflow.store.sync` into an empty store (creates each order product, finds
  the buyer's request as its event, records the claim's id and state, writes the cursor).

The ratio sync / raw is the figure (target ≤ 1.5). The emulator's list pages cost O(N) each (it
filters its whole store per page), so the absolute times grow faster than N; both sides pay that
equally. Each side runs on a fresh emulator built from the same seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import tempfile
import time
from typing import Any

import sqlalchemy as sa

from claimflow import Marketplace
from claimflow._params import KST
from claimflow.adapters import ClaimQuery, OrderQuery, RetryPolicy
from claimflow.emulators.toss import TossEmulator
from claimflow.store import Store, bucket_of
from claimflow.store._schema import events, order_products
from claimflow.store._sync import sync
from claimflow.store._worker import make_adapter
from claimflow.testing._emulated import SyncASGITransport

FAST = RetryPolicy(attempts=3, timeout=30.0, wait_initial=0.001, wait_max=0.01, wait_jitter=0)


def emulator(n: int) -> TossEmulator:
    """*n* order products ordered today, each with a buyer's cancel request."""
    em = TossEmulator()
    now = dt.datetime.now(KST).replace(microsecond=0)
    for i in range(n):
        r = em.add("PREPARING", id=f"B{i:07d}", ordered_at=now, unit_price=10_000 + i % 50 * 100)
        em.buyer(r.op.id, "cancel.request", reason="변심", at=now)
    return em


def adapter_for(em: TossEmulator) -> Any:
    """An in-process adapter to *em*."""
    return make_adapter(
        Marketplace.TOSS,
        "http://127.0.0.1",
        emulator=True,
        retry=FAST,
        timeout=120.0,
        transport=SyncASGITransport(em.app),
    )


def raw(em: TossEmulator, url: str) -> tuple[float, int]:
    """The pages, then one bulk INSERT of the same rows; (seconds, rows)."""
    today = dt.datetime.now(KST).date()
    since = today - dt.timedelta(days=30)
    with Store.open(url) as store, adapter_for(em) as adapter:
        started = time.perf_counter()
        claims = list(adapter.iter_claims(ClaimQuery(since=since, until=today)))
        rows = list(adapter.iter_order_products(OrderQuery(since=since, until=today)))
        now = dt.datetime.now(dt.UTC)
        op_rows = [
            {
                "id": r.id,
                "marketplace": "toss",
                "order_id": r.order_id,
                "bucket": bucket_of(r.order_id or r.id),
                "ordered_on": r.ordered_at.date() if r.ordered_at else None,
                "marketplace_ids": {},
                "status": str(r.status or r.wire_status),
                "version": 1,
                "state": {"wire_status": r.wire_status, "price": r.unit_price},
                "updated_at": now,
            }
            for r in rows
        ]
        ev_rows = [
            {
                "order_product_id": c.order_product_id,
                "version": 1,
                "order_id": c.order_id or c.order_product_id,
                "action": "cancel.request",
                "actor": "BUYER",
                "origin": "SYNC",
                "intent_id": None,
                "event": {"claim_id": c.id, "status": c.wire_status},
                "at": now,
            }
            for c in claims
        ]
        with store.transaction() as conn:
            conn.execute(order_products.insert(), op_rows)
            conn.execute(events.insert(), ev_rows)
        return time.perf_counter() - started, len(op_rows) + len(ev_rows)


def ours(em: TossEmulator, url: str, batch: int) -> tuple[float, int]:
    """claimflow.store.sync into an empty store; (seconds, events)."""
    with Store.open(url) as store, adapter_for(em) as adapter:
        started = time.perf_counter()
        report = sync(store, adapter, batch=batch)
        seconds = time.perf_counter() - started
        assert report.created == report.events == len(em.store.records()), report.summary()
        return seconds, report.events


def _empty(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        for table in (
            "claimflow_remote_claims",
            "claimflow_sync_cursors",
            "claimflow_effects",
            "claimflow_events",
            "claimflow_intents",
            "claimflow_order_products",
        ):
            conn.execute(sa.text(f"DELETE FROM {table}"))  # fmt: skip
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run both sides and print the times and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=20_000, help="default 20,000")
    parser.add_argument("--store-url", help="default: SQLite files in a temporary directory")
    parser.add_argument("--batch", type=int, default=500, help="order products per transaction")
    args = parser.parse_args(argv)
    n = args.claims
    print(f"claimflow sync benchmark: {n:,} claims; Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        url_raw = args.store_url or f"sqlite:///{tmp}/raw.db"
        url_ours = args.store_url or f"sqlite:///{tmp}/sync.db"
        t0 = time.perf_counter()
        em = emulator(n)
        print(f"  emulator seeded in {time.perf_counter() - t0:.1f} s")
        if args.store_url:
            Store.open(url_raw).close()
            _empty(url_raw)
        raw_s, raw_rows = raw(em, url_raw)
        print(f"  raw  (paged GETs + bulk INSERT of {raw_rows:,} rows): {raw_s:8.2f} s")
        em = emulator(n)
        if args.store_url:
            _empty(url_ours)
        sync_s, evs = ours(em, url_ours, args.batch)
        print(f"  sync (claimflow.store.sync, {evs:,} events):        {sync_s:8.2f} s")
        print(f"  ratio sync / raw: {sync_s / raw_s:.2f}  (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
