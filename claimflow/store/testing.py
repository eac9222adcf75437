"""Store conformance: does claimflow.store keep its guarantees on *your* database?

Point it at a database URL (an empty database or schema you can write to; the store creates its
tables there and adds order products with ids ``conformance-…``)::

    python -m claimflow.store.testing postgresql://app@db-1/claims_check
    python -m claimflow.store.testing sqlite:///check.db --workers 8 --steps 60

or from pytest: ``CLAIMFLOW_STORE_URL=… pytest tests/store/test_store_conformance.py``.

Checks (each prints PASS/FAIL with what it saw):

- the schema opens at this code's version;
- at most one in-flight intent per order product is a *schema* fact (a raw second insert is
  refused by the unique partial index, not only by the code);
- the history's ``(order product, version)`` key refuses a duplicate version;
- ``UPDATE … WHERE version`` turns a stale write into ``StaleVersionError``;
- ``FOR UPDATE SKIP LOCKED`` hands two concurrent claimers disjoint intents (PostgreSQL wire);
- a SAVEPOINT inside the caller's transaction undoes only the failed step;
- timestamps read back as the same UTC instant;
- a race of real worker processes on conflicting actions: exactly one winner per version, a
  history 1..N without gaps, no lost update (:func:`race`).

On CockroachDB, run it with the cluster's SERIALIZABLE isolation: a failed check there is most
often a 40001 retry the caller must wrap (see docs/scaling.md).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import multiprocessing as mp
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from .._engine import allowed_actions, apply, example_params
from .._values import OrderProduct
from .._vocab import Actor, Status
from ..exceptions import (
    ActionRefusedError,
    BusyError,
    StaleVersionError,
)
from ._protocol import IntentOutcome
from ._schema import SCHEMA_VERSION, IntentStatus, bucket_of, events, intents
from ._store import Store

__all__ = ["CheckResult", "RaceReport", "check_store", "main", "race"]

ACTORS = (Actor.SELLER, Actor.BUYER)


@attrs.frozen
class CheckResult:
    """One conformance check: its name, whether it passed, what was seen."""

    name: str
    passed: bool
    detail: str


@attrs.frozen
class RaceReport:
    """What a race of worker processes did, and what the store holds after it.

    Each round all workers read one version and try to commit a conflicting action on it.
    ``rounds`` counts rounds, ``wins`` committed actions reported by the workers, ``versions``
    the history events stored; ``double_winners`` the versions two workers both claim to have
    written, ``lost`` the reported wins missing from the history plus stored events nobody
    reported, ``gaps`` the order products whose versions are not exactly 1..N.
    """

    workers: int
    mode: str
    order_products: int
    rounds: int
    wins: int
    versions: int
    double_winners: int
    lost: int
    gaps: int
    conflicts: Counter[str]
    seconds: float

    @property
    def ok(self) -> bool:
        """Exactly one winner per version, no gaps, no lost update."""
        return (
            self.double_winners == 0
            and self.lost == 0
            and self.gaps == 0
            and self.wins == self.versions == self.rounds
        )

    def summary(self) -> str:
        """One line for a log."""
        conflicts = ", ".join(f"{k} {v}" for k, v in sorted(self.conflicts.items()))
        return (
            f"K={self.workers} {self.mode}: {self.rounds} rounds, {self.versions} versions on "
            f"{self.order_products} order products, {self.wins} wins reported, "
            f"double winners {self.double_winners}, "
            f"gaps {self.gaps}, lost updates {self.lost}; conflicts: {conflicts or 'none'}; "
            f"{self.seconds:.1f} s"
        )


# --- the race ---------------------------------------------------------------------------------


def _choices(op: OrderProduct, *, look_ahead: bool = True) -> list[tuple[str, Actor]]:
    """The (action, actor) pairs allowed now; with *look_ahead*, those that do not end the
    order product's life (so a race runs many versions), unless only such ones are left."""
    out: list[tuple[str, Actor]] = []
    for actor in ACTORS:
        out.extend((a.value, actor) for a in allowed_actions(op, actor))
    if not look_ahead:
        return out
    alive = [
        (a, actor)
        for a, actor in out
        if _choices(apply(op, a, actor, **example_params(op, a)).order_product, look_ahead=False)
    ]
    return alive or out


def _race_worker(  # noqa: PLR0917 - a multiprocessing target takes its arguments positionally
    url: str,
    index: int,
    op_ids: Sequence[str],
    max_version: int,
    mode: str,
    barrier: Any,
    out: Any,
) -> None:
    """One racing process. Round after round, every worker reads the order product at the same
    version (a barrier), picks an allowed action by its own index (so workers pick conflicting
    ones: approve vs reject, complete vs reject_collected), and tries to commit it at the version
    read; then all meet again. Reports its wins and the conflicts it saw."""
    store = Store.open(url, create=False)
    wins: list[tuple[str, int, str, str]] = []
    conflicts: Counter[str] = Counter()
    rounds = 0
    for op_id in op_ids:
        while True:
            barrier.wait()  # everyone has finished the last round
            op = store.get(op_id)
            choices = _choices(op)
            if not choices or op.version >= max_version:
                break
            action, actor = choices[index % len(choices)]
            params = example_params(op, action)
            barrier.wait()  # everyone has read the same version
            rounds += 1
            try:
                if mode == "intent":
                    intent = store.begin_intent(
                        op_id, action, actor, expected_version=op.version, **params
                    )
                    done = store.finish_intent(intent, IntentOutcome.APPLIED)
                    assert done is not None
                else:
                    done = store.apply_local(
                        op_id, action, actor, expected_version=op.version, **params
                    )
            except (StaleVersionError, BusyError, ActionRefusedError) as e:
                conflicts[type(e).__name__] += 1
                continue
            wins.append((op_id, done.event.version, action, actor.value))
    store.close()
    out.put((wins, dict(conflicts), rounds))


def race(
    url: str,
    *,
    workers: int = 4,
    order_products: int = 3,
    max_version: int = 12,
    mode: str = "local",
    timeout: float = 300.0,
) -> RaceReport:
    """Race *workers* real processes over *order_products* fresh order products (each driven up
    to *max_version* or a terminal status) with conflicting actions, then compare what they
    reported with the stored history. *mode*: ``local`` (``apply_local``) or ``intent``
    (``begin_intent`` + ``finish_intent``)."""
    if mode not in ("local", "intent"):
        msg = f"mode must be 'local' or 'intent', got {mode!r}"
        raise ValueError(msg)
    store = Store.open(url)
    tag = uuid.uuid4().hex[:8]
    op_ids = [f"conformance-{tag}-{n}" for n in range(order_products)]
    for n, op_id in enumerate(op_ids):
        status = Status.DELIVERED if n % 2 == 0 else Status.PAID
        store.put(OrderProduct(op_id, "toss", status, "ITEM-A", 10_000), order_id=f"O-{tag}-{n}")
    # real processes; the forkserver imports claimflow.store once and forks each worker from it
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["claimflow.store.testing"])
    barrier = ctx.Barrier(workers)
    out = ctx.Queue()
    procs = [
        ctx.Process(
            target=_race_worker,
            args=(url, i, op_ids, max_version, mode, barrier, out),
            daemon=True,
        )
        for i in range(workers)
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get(timeout=timeout) for _ in procs]
    seconds = time.perf_counter() - started
    for p in procs:
        p.join(timeout=30)
    reported: Counter[tuple[str, int]] = Counter()
    claimed: set[tuple[str, int, str, str]] = set()
    conflicts: Counter[str] = Counter()
    rounds = max(r for _w, _s, r in results)
    for wins, seen, _r in results:
        conflicts.update(seen)
        for w in wins:
            reported[(w[0], w[1])] += 1
            claimed.add(w)
    stored: set[tuple[str, int, str, str]] = set()
    gaps = 0
    for op_id in op_ids:
        history = store.history(op_id)
        if [e.version for e in history] != list(range(1, len(history) + 1)):
            gaps += 1
        if store.get(op_id).version != len(history):
            gaps += 1
        stored |= {(op_id, e.version, e.action.value, e.actor.value) for e in history}
    store.close()
    return RaceReport(
        workers=workers,
        mode=mode,
        order_products=order_products,
        rounds=rounds,
        wins=sum(reported.values()),
        versions=len(stored),
        double_winners=sum(1 for n in reported.values() if n > 1),
        lost=len(claimed ^ stored),
        gaps=gaps,
        conflicts=conflicts,
        seconds=seconds,
    )


# --- the checks -----------------------------------------------------------------------------


def _check(name: str, fn: Callable[[], str]) -> CheckResult:
    try:
        return CheckResult(name, True, fn())
    except Exception as e:  # a conformance run reports every failure, it does not stop
        return CheckResult(name, False, f"{type(e).__name__}: {e}")


def _fresh(store: Store, tag: str, n: int) -> str:
    op_id = f"conformance-{tag}-{n}"
    store.put(OrderProduct(op_id, "toss", Status.DELIVERED, "ITEM-A", 10_000), order_id=op_id)
    store.apply_local(op_id, "return.request", "BUYER", reason="conformance")
    return op_id


@attrs.frozen
class _Context:
    store: Store
    url: str
    tag: str
    workers: int
    steps: int


def _one_in_flight(c: _Context) -> str:
    op_id = _fresh(c.store, c.tag, 1)
    intent = c.store.begin_intent(op_id, "return.approve", "SELLER")
    try:
        c.store.begin_intent(op_id, "return.reject", "SELLER", reason="x")
    except BusyError:
        pass
    else:
        raise AssertionError("a second begin_intent was not refused")
    now = dt.datetime.now(dt.UTC)
    try:
        with c.store.transaction() as conn:
            conn.execute(
                intents.insert().values(
                    id=uuid.uuid4().hex,
                    order_product_id=op_id,
                    order_id=op_id,
                    bucket=bucket_of(op_id),
                    marketplace="toss",
                    base_version=1,
                    action="return.reject",
                    actor="SELLER",
                    params=[],
                    base_state={},
                    status=IntentStatus.PENDING.value,
                    lease_until=now,
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                )
            )
    except sa.exc.IntegrityError:
        c.store.finish_intent(intent, IntentOutcome.REFUSED)
        return "a raw second in-flight insert is refused by the unique partial index"
    raise AssertionError("the database accepted two in-flight intents for one product")


def _history_key(c: _Context) -> str:
    op_id = _fresh(c.store, c.tag, 2)
    try:
        with c.store.transaction() as conn:
            conn.execute(
                events.insert().values(
                    order_product_id=op_id,
                    version=1,
                    order_id=op_id,
                    action="x",
                    actor="SYSTEM",
                    origin="LOCAL",
                    event={},
                    at=dt.datetime.now(dt.UTC),
                )
            )
    except sa.exc.IntegrityError:
        return "a second event at version 1 is refused by the primary key"
    raise AssertionError("the database accepted two events at one version")


def _stale(c: _Context) -> str:
    op_id = _fresh(c.store, c.tag, 3)
    try:
        c.store.apply_local(op_id, "return.approve", "SELLER", expected_version=0)
    except StaleVersionError:
        pass
    else:
        raise AssertionError("a stale expected_version was accepted")
    intent = c.store.begin_intent(op_id, "return.approve", "SELLER")
    c.store.finish_intent(intent, IntentOutcome.REFUSED)
    c.store.apply_local(op_id, "return.reject", "SELLER", reason="first")
    try:
        c.store.finish_intent(intent, IntentOutcome.APPLIED)
    except StaleVersionError:
        return "UPDATE … WHERE version refuses stale writes"
    raise AssertionError("a finished intent was applied again")


def _skip_locked(c: _Context) -> str:
    if c.store.dialect != "postgresql":
        return "not PostgreSQL wire: BEGIN IMMEDIATE serialises claimers instead"
    ids = [_fresh(c.store, c.tag, 10 + n) for n in range(4)]
    for op_id in ids:
        i = c.store.begin_intent(op_id, "return.approve", "SELLER")
        c.store.finish_intent(i, IntentOutcome.UNKNOWN)
    query = (
        sa.select(intents.c.id)
        .where(intents.c.order_product_id.in_(ids), intents.c.status == "SENT")
        .limit(2)
        .with_for_update(skip_locked=True)
    )
    with c.store.engine.connect() as a, c.store.engine.connect() as b:
        ta, tb = a.begin(), b.begin()
        got_a = set(a.execute(query).scalars())
        got_b = set(b.execute(query).scalars())
        ta.rollback()
        tb.rollback()
    if got_a & got_b or len(got_a | got_b) != 4:
        raise AssertionError(f"claimers saw {sorted(got_a)} and {sorted(got_b)}")
    return "two concurrent claimers got disjoint intents"


def _savepoint(c: _Context) -> str:
    op_id = _fresh(c.store, c.tag, 4)
    with c.store.engine.connect() as conn:
        conn.begin()
        inner = Store.open(conn)
        inner.apply_local(op_id, "return.approve", "SELLER")
        with contextlib.suppress(ActionRefusedError):
            inner.apply_local(op_id, "return.approve", "SELLER")
        conn.commit()
    version = c.store.get(op_id).version
    if version != 2:
        raise AssertionError(f"version {version} after one good and one refused step")
    return "a failed step inside the caller's transaction undid only itself"


def _timestamps(c: _Context) -> str:
    op_id = _fresh(c.store, c.tag, 5)
    intent = c.store.begin_intent(op_id, "return.approve", "SELLER")
    stored = c.store.intent(intent.id)
    c.store.finish_intent(intent, IntentOutcome.REFUSED)
    if stored is None or stored.lease_until != intent.lease_until:
        seen = stored.lease_until if stored else None
        raise AssertionError(f"wrote {intent.lease_until}, read {seen}")
    return "lease timestamps read back as the same UTC instant"


def _racing(c: _Context) -> str:
    report = race(c.url, workers=c.workers, max_version=c.steps)
    if not report.ok:
        raise AssertionError(report.summary())
    return report.summary()


def check_store(url: str, *, workers: int = 4, steps: int = 12) -> list[CheckResult]:
    """Run every conformance check against *url*; one result per check."""
    results: list[CheckResult] = []
    tag = uuid.uuid4().hex[:8]
    opened: list[Store] = []

    def schema() -> str:
        opened.append(Store.open(url))
        return f"schema version {SCHEMA_VERSION} on {opened[0].dialect}"

    results.append(_check("schema opens", schema))
    if not opened:
        return results
    c = _Context(opened[0], url, tag, workers, steps)
    checks: list[tuple[str, Callable[[_Context], str]]] = [
        ("one intent in flight per order product", _one_in_flight),
        ("history key (order product, version)", _history_key),
        ("UPDATE … WHERE version", _stale),
        ("FOR UPDATE SKIP LOCKED", _skip_locked),
        ("SAVEPOINT in the caller's transaction", _savepoint),
        ("UTC timestamps", _timestamps),
        (f"race of {workers} worker processes", _racing),
    ]
    for name, fn in checks:
        results.append(_check(name, lambda fn=fn: fn(c)))  # type: ignore[misc]
    opened[0].close()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m claimflow.store.testing URL``: run the checks, print them, exit 1 on a
    failure."""
    parser = argparse.ArgumentParser(
        prog="python -m claimflow.store.testing", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("url", help="database URL (an empty database or schema)")
    parser.add_argument("--workers", type=int, default=4, help="racing processes (default 4)")
    parser.add_argument("--steps", type=int, default=12, help="versions per order product")
    args = parser.parse_args(argv)
    results = check_store(args.url, workers=args.workers, steps=args.steps)
    for r in results:
        print(f"{'PASS' if r.passed else 'FAIL'}  {r.name}: {r.detail}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
