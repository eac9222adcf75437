"""Crash tests: a worker process SIGKILLed at each step of the commit protocol, with real processes.

Each run takes a fresh order product with a buyer's cancel request (Toss, imweb) or an unpaid-out
order line (x2bee, the storefront cancel), all three emulators served on 127.0.0.1 by this process
with ~40 % of API calls faulted (:data:`claimflow.testing._emulated.SOAK_FAULTS`: HTTP 503,
rate limits, commit-then-drop). An **actor** process carries out one refunding action (Toss and
imweb ``cancel.approve``, x2bee ``cancel.request``) through the store's protocol and kills itself
with SIGKILL at one step:

- ``before_intent_commit``: inside the transaction that inserts the intent, before COMMIT;
- ``after_intent_commit``: the intent is SENT, nothing was sent;
- ``during_call``: at a random moment while the write is on its way (the emulator answers after
  0.2 s): before it left, while the marketplace works on it, or after it answered;
- ``after_accepted``: the marketplace accepted, nothing committed locally;
- ``before_final_commit``: inside the transaction of step 3, before COMMIT;
- ``during_effects``: the action committed; the effect handler recorded a delivery, then the
  process died before settling it.

Then a **reconcile worker** process drains: it judges the SENT intents (by the intent) and
delivers the effects (recording each delivery) until nothing is in flight. Checked per run: at
most one marketplace-accepted write per intent (the emulator's version moved by 0 or 1), local
state == the marketplace's, local REFUND events == the marketplace's refunds (0 lost, 0 doubled),
every effect DONE or DEAD; duplicate deliveries (same idempotency key twice) are counted.

Processes are forked from a **zygote** (``python tests/store/test_crash.py --zygote``) that has
imported claimflow once, so a run costs milliseconds of start-up, not seconds. CI runs
``CLAIMFLOW_CRASH_RUNS`` (default 1) runs per step and engine; the thorough profile is::

    python tests/store/test_crash.py --runs 200 [--store-url URL]

which prints the figures per step.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

import claimflow as cf
from claimflow import EffectKind, Marketplace
from claimflow.adapters import OrderRef, RetryPolicy, apply_remote
from claimflow.emulators import serve_in_thread
from claimflow.emulators.imweb import ImwebEmulator
from claimflow.emulators.toss import TossEmulator
from claimflow.emulators.x2bee import X2beeEmulator
from claimflow.exceptions import MarketplaceError, OutcomeUnknownError
from claimflow.store import (
    EffectStatus,
    IntentOutcome,
    Store,
    make_adapter,
    reconcile_pending,
    run_effects,
)
from claimflow.store._schema import IN_FLIGHT as HELD
from claimflow.store._schema import intents
from claimflow.testing import SOAK_FAULTS

STEPS = (
    "before_intent_commit",
    "after_intent_commit",
    "during_call",
    "after_accepted",
    "before_final_commit",
    "during_effects",
)
LEASE = 0.15  # seconds: intents and effects a dead process held come back this soon
IN_FLIGHT = 0.3  # seconds a write without an answer may still arrive (the emulator: 0.2 s)
LATENCY = 0.2
MARKETPLACES = ("toss", "imweb", "x2bee")


# --- the processes (run in children of the zygote) ------------------------------------------------


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _adapters(urls: Mapping[str, str]) -> dict[Any, Any]:

    fast = RetryPolicy(attempts=12, timeout=20.0, wait_initial=0.001, wait_max=0.01, wait_jitter=0)
    return {
        Marketplace(mp): make_adapter(mp, url, emulator=True, retry=fast, timeout=2.0)
        for mp, url in urls.items()
    }


def actor(cmd: Mapping[str, Any]) -> int:
    """Carry out the run's action through the store's protocol, dying at ``cmd["step"]``."""

    step = cmd["step"]
    mp = Marketplace(cmd["marketplace"])
    store = Store.open(cmd["store_url"])
    adapter = _adapters(cmd["urls"])[mp]
    armed: list[bool] = []

    @sa.event.listens_for(store.engine, "commit")
    def _on_commit(_conn: Any) -> None:
        if armed:
            _die()

    op_id = cmd["order_product_id"]
    row = store.row(op_id)
    ref = OrderRef(op_id, row.order_id, row.ordered_on)
    if mp is Marketplace.X2BEE:
        action, who = "cancel.request", "BUYER"
        try:
            params = {"reason": "변심", **adapter.calculate_cost(ref).params}
        except MarketplaceError:
            return 5  # could not even read the cost: nothing done
    else:
        action, who, params = "cancel.approve", "SELLER", {}
    if step == "before_intent_commit":
        armed.append(True)
    intent = store.begin_intent(op_id, action, who, lease=dt.timedelta(seconds=LEASE), **params)
    if step == "after_intent_commit":
        _die()
    if step == "during_call":
        threading.Timer(random.uniform(0.0, LATENCY + 0.1), _die).start()
    try:
        done = apply_remote(
            adapter,
            intent.order_product,
            intent.action,
            intent.actor,
            ref=ref,
            expected_version=intent.base_version,
            **params,
        )
    except OutcomeUnknownError:
        store.finish_intent(intent, IntentOutcome.UNKNOWN)
        return 3
    except MarketplaceError:
        store.finish_intent(intent, IntentOutcome.REFUSED)
        return 4
    if step == "after_accepted":
        _die()
    if step == "before_final_commit":
        armed.append(True)
    store.finish_intent(intent, IntentOutcome.APPLIED, applied=done)
    if step == "during_effects":
        log = Path(cmd["deliveries"])

        def deliver_then_die(effect: Any) -> None:
            with log.open("a") as f:
                f.write(effect.key + "\n")
                f.flush()
                os.fsync(f.fileno())
            _die()

        run_effects(
            store, dict.fromkeys(EffectKind, deliver_then_die), lease=dt.timedelta(seconds=LEASE)
        )
    return 0


def drainer(cmd: Mapping[str, Any]) -> int:
    """The reconcile worker: judge SENT intents and deliver effects until nothing is in flight."""

    store = Store.open(cmd["store_url"])
    adapters = _adapters(cmd["urls"])
    log = Path(cmd["deliveries"])

    def deliver(effect: Any) -> None:
        with log.open("a") as f:
            f.write(effect.key + "\n")

    handlers = dict.fromkeys(EffectKind, deliver)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        reconcile_pending(
            store, adapters, lease=dt.timedelta(seconds=LEASE), in_flight_for=IN_FLIGHT
        )
        run_effects(store, handlers, lease=dt.timedelta(seconds=LEASE))
        with store.transaction() as conn:
            held = conn.execute(
                sa.select(sa.func.count()).select_from(intents).where(intents.c.status.in_(HELD))
            ).scalar_one()
        open_effects = [
            e for e in store.effects() if e.status not in (EffectStatus.DONE, EffectStatus.DEAD)
        ]
        if not held and not open_effects:
            return 0
        time.sleep(0.05)
    return 7


def zygote() -> None:
    """Read JSON commands on stdin; fork a child for each, answer with how it ended. (This
    module imported claimflow already, so a child starts in milliseconds.)"""
    logging.disable(logging.WARNING)  # retries and reconcile notes: the figures say enough

    for line in sys.stdin:
        cmd = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the child: a real process of its own
            code = 1
            try:
                random.seed(cmd.get("seed"))
                code = (actor if cmd["role"] == "actor" else drainer)(cmd)
            except BaseException:
                traceback.print_exc()
                code = 9
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        code = -9 if killed else os.waitstatus_to_exitcode(status)
        sys.stdout.write(json.dumps({"code": code}) + "\n")
        sys.stdout.flush()


# --- the harness (this process) ------------------------------------------------------------------


class Zygote:
    """The zygote process, and sending it commands."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, cmd: Mapping[str, Any]) -> int:
        """Fork a child for *cmd*; its exit status (-9: SIGKILLed)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            msg = "the zygote died"
            raise RuntimeError(msg)
        code: int = json.loads(answer)["code"]
        return code

    def close(self) -> None:
        """Stop the zygote."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


@attrs.define
class Tally:
    """The figures of the runs of one step."""

    runs: int = 0
    killed: int = 0
    exits: Counter[int] = attrs.Factory(Counter)
    applied: int = 0  # runs whose action the marketplace carried out
    refunds_remote: int = 0
    refunds_local: int = 0
    effects: int = 0
    duplicate_deliveries: int = 0
    violations: list[str] = attrs.Factory(list)

    def line(self, step: str) -> str:
        """One line of the report."""
        return (
            f"{step:22} runs {self.runs:4}  killed {self.killed:4}  carried out {self.applied:4}  "
            f"refunds marketplace {self.refunds_remote:4} / local {self.refunds_local:4}  "
            f"effects {self.effects:5}  duplicate deliveries {self.duplicate_deliveries:3}  "
            f"violations {len(self.violations)}  exits {dict(sorted(self.exits.items()))}"
        )


class Harness:
    """The three emulators (faults on), the zygote, and one store."""

    def __init__(self, stack: contextlib.ExitStack) -> None:

        self.faults = SOAK_FAULTS
        faults = SOAK_FAULTS
        self.emulators: dict[str, Any] = {
            "toss": TossEmulator(faults=faults, seed=11),
            "imweb": ImwebEmulator(faults=faults, seed=12),
            "x2bee": X2beeEmulator(faults=faults, seed=13),
        }
        self.calls: Counter[str] = Counter()  # API calls by kind, and those faulted
        for em in self.emulators.values():
            self._count_faults(em.core)
        self.urls = {
            mp: stack.enter_context(serve_in_thread(e.app)).url for mp, e in self.emulators.items()
        }
        # uvicorn configures its loggers when it starts: quiet the dropped connections after
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
        self.zygote = Zygote()
        stack.callback(self.zygote.close)
        self.tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        self.counter = 0

    def _count_faults(self, core: Any) -> None:
        plan = core.plan

        def counted(kind: str) -> Any:
            p = plan(kind)
            self.calls[kind] += 1
            if p.server_error or p.rate_limit or p.drop_after_commit:
                self.calls[f"{kind}:faulted"] += 1
            return p

        core.plan = counted

    def fault_share(self) -> str:
        """Injected faults among the API calls, by kind."""
        parts = []
        for kind in ("read", "write"):
            n, f = self.calls[kind], self.calls[f"{kind}:faulted"]
            parts.append(f"{kind}s {f}/{n} ({f / n:.0%})" if n else f"{kind}s 0")
        n = self.calls["read"] + self.calls["write"]
        f = self.calls["read:faulted"] + self.calls["write:faulted"]
        parts.append(f"all {f}/{n} ({f / n:.0%})" if n else "all 0")
        return "faults injected: " + ", ".join(parts)

    def line(self, store: Any, mp: str) -> tuple[str, int]:
        """A fresh order product on *mp*'s emulator and in *store*; (id, emulator version)."""

        self.counter += 1
        em = self.emulators[mp]
        if mp == "imweb":
            order = em.add_order("PREPARING", unit_price=15_000)
            op_id = order.items[0]
            em.buyer(op_id, "cancel.request", reason_code="INTENT_CHANGED", reason="변심")
            record = em.store.get(op_id)
        elif mp == "toss":
            record = em.add("PREPARING", id=f"T{self.counter:06d}-{os.getpid()}", unit_price=15_000)
            em.buyer(record.op.id, "cancel.request", reason="변심")
            record = em.store.get(record.op.id)
        else:
            record = em.add("PAID", id=f"X{self.counter:06d}-{os.getpid()}", unit_price=15_000)
        op: cf.OrderProduct = record.op
        store.put(op, order_id=record.order_id, ordered_on=record.ordered_at.date())
        return op.id, op.version

    def run(self, store: Any, store_url: str, step: str, seed: int, tally: Tally) -> None:
        """One run: actor killed at *step*, drain, check."""

        mp = MARKETPLACES[seed % 3]
        op_id, base = self.line(store, mp)
        # the write takes a while only where the kill must land while it is on its way
        latency = LATENCY if step == "during_call" else self.faults.latency
        self.emulators[mp].faults = attrs.evolve(self.faults, latency=latency)
        deliveries = self.tmp / f"deliveries-{seed}-{step}.log"
        deliveries.touch()
        common = {"store_url": store_url, "urls": self.urls, "deliveries": str(deliveries)}
        code = self.zygote.run(
            {**common, "role": "actor", "step": step, "marketplace": mp,
             "order_product_id": op_id, "seed": seed}
        )  # fmt: skip
        tally.runs += 1
        tally.exits[code] += 1
        tally.killed += code == -9
        drained = self.zygote.run({**common, "role": "drain", "seed": seed})
        em = self.emulators[mp]
        remote = em.store.get(op_id).op
        local = store.get(op_id)
        where = f"{step} run {seed} ({mp} {op_id}, actor exit {code})"
        if drained != 0:
            tally.violations.append(f"{where}: the drain did not finish ({drained})")
        moved = remote.version - base
        tally.applied += moved
        if moved > 1:
            tally.violations.append(f"{where}: the marketplace accepted {moved} writes")

        def state(op: cf.OrderProduct) -> tuple[Any, ...]:
            c = op.open_claim
            return (op.status, c.type if c else None, c.status if c else None)

        if state(local) != state(remote):
            tally.violations.append(f"{where}: local {state(local)} != marketplace {state(remote)}")
        remote_refunds = len(em.store.refunds(op_id))
        local_refunds = sum(
            1 for e in store.history(op_id) for x in e.effects if x.kind is cf.EffectKind.REFUND
        )
        tally.refunds_remote += remote_refunds
        tally.refunds_local += local_refunds
        if remote_refunds != local_refunds:
            tally.violations.append(
                f"{where}: {local_refunds} REFUND events, {remote_refunds} refunds"
            )
        effects = store.effects(op_id)
        tally.effects += len(effects)
        for e in effects:
            if e.status not in (EffectStatus.DONE, EffectStatus.DEAD):
                tally.violations.append(f"{where}: effect {e.key} ended {e.status}")
        keys = Counter(deliveries.read_text().split())
        tally.duplicate_deliveries += sum(n - 1 for n in keys.values() if n > 1)


@contextlib.contextmanager
def harness() -> Iterator[Harness]:
    """A :class:`Harness` for the block."""
    with contextlib.ExitStack() as stack:
        yield Harness(stack)


# --- the pytest side ------------------------------------------------------------------------------

if __name__ != "__main__":
    RUNS = int(os.environ.get("CLAIMFLOW_CRASH_RUNS", "1"))

    @pytest.fixture(scope="module")
    def crash_harness() -> Iterator[Harness]:
        """Emulators and the zygote, shared by the module's tests."""
        if not hasattr(os, "fork"):
            pytest.skip("the crash tests fork worker processes (POSIX only)")
        with harness() as h:
            yield h

    class TestCrash:
        @pytest.mark.parametrize("step", STEPS)
        def test_killed_worker_loses_and_doubles_nothing(
            self, crash_harness: Harness, store: Store, store_url: str, step: str
        ) -> None:
            """A worker SIGKILLed at this step, then the reconcile worker drains: at most one
            accepted write per intent, local == marketplace, REFUND events == refunds, every
            effect DONE or DEAD."""
            tally = Tally()
            for n in range(RUNS):
                crash_harness.run(store, store_url, step, STEPS.index(step) * 1000 + n, tally)

            assert [] == tally.violations
            assert RUNS == tally.runs
            assert tally.refunds_local == tally.refunds_remote


def main(argv: list[str] | None = None) -> int:
    """The thorough profile: ``--runs`` per step on one store; prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--zygote", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=200, help="runs per step (default 200)")
    parser.add_argument("--store-url", help="default: a SQLite file in a temporary directory")
    parser.add_argument("--step", action="append", choices=STEPS, help="default: every step")
    args = parser.parse_args(argv)
    if args.zygote:
        zygote()
        return 0
    failed = False
    with harness() as h:
        url = args.store_url or f"sqlite:///{h.tmp}/crash.db"
        with Store.open(url) as store:
            print(f"store {store.dialect}; faults: SOAK_FAULTS (+ {LATENCY} s latency for "
                  f"during_call); {args.runs} runs per step")  # fmt: skip
            for step in args.step or STEPS:
                tally = Tally()
                started = time.perf_counter()
                for n in range(args.runs):
                    h.run(store, url, step, STEPS.index(step) * 100_000 + n, tally)
                print(tally.line(step) + f"  {time.perf_counter() - started:.0f} s", flush=True)
                for v in tally.violations[:10]:
                    print("   ", v)
                failed = failed or bool(tally.violations)
            print(h.fault_share())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
