"""claimflow.store.sync against the raw work it cannot avoid: the same paged GETs plus one bulk
INSERT of the same rows.

Run from the repository root::

    python benchmarks/bench_sync.py                    # 20,000 claims, SQLite, best of 2
    python benchmarks/bench_sync.py --claims 100000 --rounds 1   # the issue's figure (~1 min)
    python benchmarks/bench_sync.py --store-url postgresql://user@127.0.0.1/bench_db   # emptied!

A Toss emulator (in-process, ASGI: no sockets) holds *N* order products, each with a buyer's
cancel request made today. Both sides read the same pages through the same adapter (claims in
7-day windows of 100, orders in 31-day windows of 50):

- **raw**: the pages only, then one transaction inserting the same rows sync writes (one
  order-product row, one history-event row and one claim-state row per claim) with
  ``executemany``: what a hand-written ingester that judged nothing would write;
- **sync**: :func:`claimflow.store.sync` into an empty store (creates each order product, finds
  the buyer's request as its event, records the claim's id and state, writes the cursor).

The ratio sync / raw is the figure (target ≤ 1.5). The emulator indexes its lists, so a page
costs O(log N + page) and both sides grow linearly with N; the emulator runs in this process, so
its objects are in every full pass of the garbage collector, for both sides alike. Each side runs
on a fresh emulator built the same way; the sides alternate for ``--rounds`` rounds and the best
time of each is compared (the machine's load varies: CPU is printed too).
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
from claimflow._vocab import SEOUL
from claimflow.adapters import ClaimQuery, OrderQuery, RetryPolicy
from claimflow.emulators.toss import TossEmulator
from claimflow.store import Store, bucket_of, make_adapter, metadata, sync
from claimflow.testing import SyncASGITransport

# the tables the raw side writes, by their schema names (claimflow.store.metadata)
events, order_products, remote_claims = (
    metadata.tables[f"claimflow_{name}"] for name in ("events", "order_products", "remote_claims")
)

#: CPU seconds of this process per side (the emulator runs in it too; PostgreSQL does not)
CPU: dict[str, list[float]] = {"raw": [], "sync": []}

FAST = RetryPolicy(attempts=3, timeout=30.0, wait_initial=0.001, wait_max=0.01, wait_jitter=0)


def emulator(n: int) -> TossEmulator:
    """*n* order products ordered today, each with a buyer's cancel request."""
    em = TossEmulator()
    now = dt.datetime.now(SEOUL).replace(microsecond=0)
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
    today = dt.datetime.now(SEOUL).date()
    since = today - dt.timedelta(days=30)
    with Store.open(url) as store, adapter_for(em) as adapter:
        started = time.perf_counter()
        cpu = time.process_time()
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
        claim_rows = [
            {
                "marketplace": "toss",
                "claim_id": c.id,
                "state": f"{c.type}:{c.wire_status}",
                "order_product_id": c.order_product_id,
                "version": 1,
                "seen_at": now,
            }
            for c in claims
        ]
        with store.transaction() as conn:
            conn.execute(order_products.insert(), op_rows)
            conn.execute(events.insert(), ev_rows)
            conn.execute(remote_claims.insert(), claim_rows)
        CPU["raw"].append(time.process_time() - cpu)
        return time.perf_counter() - started, len(op_rows) + len(ev_rows) + len(claim_rows)


def ours(em: TossEmulator, url: str, batch: int) -> tuple[float, int]:
    """claimflow.store.sync into an empty store; (seconds, events)."""
    with Store.open(url) as store, adapter_for(em) as adapter:
        started = time.perf_counter()
        cpu = time.process_time()
        report = sync(store, adapter, batch=batch)
        seconds = time.perf_counter() - started
        CPU["sync"].append(time.process_time() - cpu)
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
    """Run both sides, alternating, and print the best times and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=20_000, help="default 20,000")
    parser.add_argument(
        "--store-url",
        help="a database of its own: claimflow's tables in it are emptied before each side "
        "(default: SQLite files in a temporary directory)",
    )
    parser.add_argument("--batch", type=int, default=500, help="order products per transaction")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; best of each")
    args = parser.parse_args(argv)
    n = args.claims
    print(f"claimflow sync benchmark: {n:,} claims; Python {platform.python_version()}")
    raw_times: list[float] = []
    sync_times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            url_raw = args.store_url or f"sqlite:///{tmp}/raw{r}.db"
            url_ours = args.store_url or f"sqlite:///{tmp}/sync{r}.db"
            if args.store_url:
                Store.open(url_raw).close()
                _empty(url_raw)
            raw_s, raw_rows = raw(emulator(n), url_raw)
            raw_times.append(raw_s)
            if args.store_url:
                _empty(url_ours)
            sync_s, evs = ours(emulator(n), url_ours, args.batch)
            sync_times.append(sync_s)
            print(f"  round {r + 1}: raw {raw_s:.2f} s ({raw_rows:,} rows), sync {sync_s:.2f} s "
                  f"({evs:,} events)", flush=True)  # fmt: skip
    best_raw, best_sync = min(raw_times), min(sync_times)
    print(f"  raw  (paged GETs + bulk INSERT): {best_raw:8.2f} s  (best of {args.rounds})")
    print(f"  sync (claimflow.store.sync):     {best_sync:8.2f} s  (best of {args.rounds})")
    print(f"  ratio sync / raw: {best_sync / best_raw:.2f}  (target <= 1.5)")
    cpu_raw, cpu_sync = min(CPU["raw"]), min(CPU["sync"])
    print(f"  CPU of this process: raw {cpu_raw:.2f} s, sync {cpu_sync:.2f} s, "
          f"ratio {cpu_sync / cpu_raw:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
