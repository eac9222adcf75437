"""claimflow.store benchmark: durable local apply vs a hand-written transaction; PG worker scaling.

Run from the repository root (PostgreSQL as in .ci/run, or point ``--pg-url`` elsewhere)::

    python benchmarks/bench_store.py             # both parts (~1-2 min on 2 cores)
    python benchmarks/bench_store.py --quick     # fewer rounds, shorter throughput runs
    python benchmarks/bench_store.py --no-pg     # SQLite only

Part 1 — **one durable local apply**, side by side on the same engine, round by round (the two
sides alternate in shuffled order within a round; each side works on its own fresh order
products, so neither waits for the other):

* **store**: ``Store.apply_local(op_id, action, actor)``: one transaction of load (``SELECT …
  FOR UPDATE`` on PostgreSQL) + in-flight check, ``claimflow.apply``, ``UPDATE … WHERE version``,
  history event, effects;
* **hand-written**: the order product already in memory, ``claimflow.apply``, ``json.dumps`` of
  ``attrs.asdict``, then one transaction of ``UPDATE … WHERE version = :v`` + ``INSERT`` of the
  event (+ ``INSERT`` of the effect rows for the case that has effects), on the same engine
  (SQLite: the same WAL + ``BEGIN IMMEDIATE`` connection settings) and the same tables, with
  statements built once with bind parameters (as the store's are).

Wall-clock time (a commit waits for the disk); µs are medians over rounds, a ratio is the median of
the per-round ratios. Target: store ≤ 1.5 x hand-written on SQLite and on PostgreSQL.

Part 2 — **throughput with 1, 4, 16 PostgreSQL worker processes**: each process runs
``apply_local`` on its own order products (distinct orders, as workers sharded by order id would)
for a fixed time; reported as applies per second in total. The machine has 2 cores shared with
other work: read the scaling, not the absolute numbers.

Exit status 1 when a target fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa

import claimflow as cf
from claimflow.store import Store, bucket_of, metadata

# the tables the raw side writes, by their schema names (claimflow.store.metadata)
effects, events, order_products = (
    metadata.tables[f"claimflow_{name}"] for name in ("effects", "events", "order_products")
)

DEFAULT_PG = os.environ.get(
    "CLAIMFLOW_TEST_PG_URL", "postgresql://claimflow:claimflow@127.0.0.1:5432/claimflow_test"
)
CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    # name: (action, actor, params); every product starts PAID
    "order.prepare (no effects)": ("order.prepare", "SELLER", {}),
    "cancel.by_seller (REFUND effect)": (
        "cancel.by_seller",
        "SELLER",
        {"reason": "품절", "fee_payer": "MERCHANT"},
    ),
}


def fresh(store: Store, n: int, tag: str) -> list[str]:
    """*n* new PAID order products; their ids."""
    ids = [f"bench-{tag}-{i}" for i in range(n)]
    with store.transaction() as conn:
        conn.execute(
            order_products.insert(),
            [
                {
                    "id": op_id,
                    "marketplace": "toss",
                    "order_id": op_id,
                    "bucket": bucket_of(op_id),
                    "ordered_on": None,
                    "marketplace_ids": {},
                    "status": "PAID",
                    "version": 0,
                    "state": _dump(cf.OrderProduct(op_id, "toss", "PAID", "ITEM-A", 10_000)),
                    "updated_at": dt.datetime.now(dt.UTC),
                }
                for op_id in ids
            ],
        )
    return ids


def _dump(op: cf.OrderProduct) -> dict[str, Any]:
    from claimflow.store._codec import dump_order_product  # noqa: PLC0415

    return dump_order_product(op)


def _plain(value: Any) -> Any:
    # the hand-written side's serializer: attrs.asdict + str() for enums and timestamps
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# the hand-written side's statements: built once, with bind parameters (compiled once)
_HAND_UPDATE = (
    order_products.update()
    .where(
        order_products.c.id == sa.bindparam("b_id"),
        order_products.c.version == sa.bindparam("b_version"),
    )
    .values(
        state=sa.bindparam("state", type_=sa.JSON),
        version=sa.bindparam("version"),
        status=sa.bindparam("status"),
        updated_at=sa.bindparam("updated_at", type_=order_products.c.updated_at.type),
    )
)


def hand_written(engine: sa.Engine, op: cf.OrderProduct, case: str) -> None:
    """The baseline: apply in memory, then UPDATE … WHERE version + INSERT event (+ effects)."""
    action, actor, params = CASES[case]
    done = cf.apply(op, action, actor, **params)
    new, event = done.order_product, done.event
    with engine.begin() as conn:
        n = conn.execute(
            _HAND_UPDATE,
            {
                "b_id": op.id,
                "b_version": op.version,
                "state": _plain(attrs.asdict(new)),
                "version": new.version,
                "status": new.status.value,
                "updated_at": event.at,
            },
        ).rowcount
        if n != 1:
            raise RuntimeError("lost the race in a benchmark")
        conn.execute(
            events.insert(),
            {
                "order_product_id": op.id,
                "version": new.version,
                "order_id": op.id,
                "action": event.action.value,
                "actor": event.actor.value,
                "origin": "LOCAL",
                "intent_id": None,
                "event": _plain(attrs.asdict(event)),
                "at": event.at,
            },
        )
        if event.effects:
            conn.execute(
                effects.insert(),
                [
                    {
                        "key": f"{op.id}:{new.version}:{e.kind.value}",
                        "order_product_id": op.id,
                        "version": new.version,
                        "kind": e.kind.value,
                        "order_id": op.id,
                        "bucket": bucket_of(op.id),
                        "data": _plain(attrs.asdict(e)),
                        "status": "PENDING",
                        "attempts": 0,
                        "next_attempt_at": event.at,
                        "lease_until": None,
                        "last_error": None,
                        "created_at": event.at,
                        "settled_at": None,
                    }
                    for e in event.effects
                ],
            )


def compare(url: str, *, rounds: int, per_round: int) -> list[dict[str, Any]]:
    """Part 1 on one engine: one row per case."""
    store = Store.open(url)
    engine = store.engine
    rows = []
    for case, (action, actor, params) in CASES.items():
        store_us: list[float] = []
        hand_us: list[float] = []
        ratios: list[float] = []
        for r in range(rounds + 1):  # round 0 warms up
            a_ids = fresh(store, per_round, uuid.uuid4().hex[:8])
            b_ops = [
                cf.OrderProduct(i, "toss", "PAID", "ITEM-A", 10_000)
                for i in fresh(store, per_round, uuid.uuid4().hex[:8])
            ]
            sides = ["store", "hand"]
            random.shuffle(sides)
            took: dict[str, float] = {}
            for name in sides:
                t0 = time.perf_counter()
                if name == "store":
                    for i in a_ids:
                        store.apply_local(i, action, actor, **params)
                else:
                    for op in b_ops:
                        hand_written(engine, op, case)
                took[name] = (time.perf_counter() - t0) / per_round * 1e6
            if r == 0:
                continue
            store_us.append(took["store"])
            hand_us.append(took["hand"])
            ratios.append(took["store"] / took["hand"])
        q = statistics.quantiles(ratios, n=4) if len(ratios) >= 2 else [ratios[0]] * 3
        rows.append(
            {
                "engine": store.dialect,
                "case": case,
                "store_us": statistics.median(store_us),
                "hand_us": statistics.median(hand_us),
                "ratio": statistics.median(ratios),
                "q1": q[0],
                "q3": q[2],
            }
        )
    store.close()
    return rows


def _throughput_worker(url: str, seconds: float, barrier: Any, out: Any) -> None:
    store = Store.open(url, create=False)
    ids = fresh(store, 4000, uuid.uuid4().hex[:8])
    barrier.wait()
    n = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and n < len(ids):
        store.apply_local(ids[n], "order.prepare", "SELLER")
        n += 1
    store.close()
    out.put(n)


def throughput(url: str, workers: int, seconds: float) -> float:
    """Part 2: applies per second with *workers* processes on their own order products."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["claimflow.store"])
    barrier = ctx.Barrier(workers + 1)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_throughput_worker, args=(url, seconds, barrier, out))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    barrier.wait()
    t0 = time.perf_counter()
    total = sum(out.get(timeout=seconds + 120) for _ in procs)
    took = time.perf_counter() - t0
    for p in procs:
        p.join()
    return total / took


def _pg_schema(base: str) -> tuple[str, Callable[[], None]]:
    name = "bench_" + uuid.uuid4().hex[:10]
    u = base if "+psycopg" in base else base.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(u)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    sep = "&" if "?" in base else "?"

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()

    return f"{base}{sep}options=-csearch_path%3D{name}", drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, shorter runs")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL URL (a schema is made)")
    parser.add_argument("--sqlite-dir", default=None, help="where the SQLite file goes")
    args = parser.parse_args()
    rounds, per_round, seconds = (5, 100, 4.0) if args.quick else (11, 200, 8.0)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"claimflow {commit or '?'}; Python {platform.python_version()}, SQLAlchemy "
        f"{sa.__version__}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}"
    )
    rows: list[dict[str, Any]] = []
    sqlite_dir = Path(args.sqlite_dir or f"/tmp/claimflow-bench-{uuid.uuid4().hex[:6]}")
    sqlite_dir.mkdir(parents=True, exist_ok=True)
    rows += compare(f"sqlite:///{sqlite_dir}/bench.db", rounds=rounds, per_round=per_round)
    drops: list[Callable[[], None]] = []
    pg_url = None
    if not args.no_pg:
        pg_url, drop = _pg_schema(args.pg_url)
        drops.append(drop)
        rows += compare(pg_url, rounds=rounds, per_round=per_round)
    print(f"\n### Durable local apply ({rounds} rounds × {per_round} applies a side)\n")
    print("| engine | case | store µs | hand-written µs | store / hand (quartiles) | target |")
    print("|---|---|---:|---:|---:|---|")
    failed = False
    for r in rows:
        ok = r["ratio"] <= 1.5
        failed |= not ok
        print(
            f"| {r['engine']} | {r['case']} | {r['store_us']:.0f} | {r['hand_us']:.0f} | "
            f"**{r['ratio']:.2f}×** ({r['q1']:.2f}–{r['q3']:.2f}) | ≤ 1.5× "
            f"{'PASS' if ok else 'FAIL'} |"
        )
    if pg_url is not None:
        print(f"\n### PostgreSQL throughput, apply_local on disjoint orders ({seconds:.0f} s)\n")
        print("| worker processes | applies / s | vs 1 worker |")
        print("|---:|---:|---:|")
        base = None
        for k in (1, 4, 16):
            Store.open(pg_url).close()
            tps = throughput(pg_url, k, seconds)
            base = base or tps
            print(f"| {k} | {tps:,.0f} | {tps / base:.2f}× |")
    for d in drops:
        d()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
