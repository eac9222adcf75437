"""The worker: one process running the reconcile, sync and effect loops (``claimflow worker``).

Workers here are real processes (``python -m claimflow worker``) talking over HTTP to an emulator
served on 127.0.0.1 by this test process, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

import claimflow as cf
from claimflow.adapters import MODULES, Client, OrderRef, RetryPolicy
from claimflow.emulators import Fault, RunningServer, serve_in_thread
from claimflow.emulators.toss import TossEmulator
from claimflow.store import (
    EffectStatus,
    IntentStatus,
    PacedTransport,
    Store,
    StoredEffect,
    Worker,
    WorkerConfig,
    make_adapter,
    reconcile_pending,
    sync,
)

FAST = RetryPolicy(attempts=6, timeout=10.0, wait_initial=0.001, wait_max=0.005, wait_jitter=0)


@pytest.fixture
def toss() -> Iterator[tuple[TossEmulator, RunningServer]]:
    """A Toss emulator served on 127.0.0.1."""
    emulator = TossEmulator()
    with serve_in_thread(emulator.app) as server:
        yield emulator, server


def worker_cli(store_url: str, server: RunningServer, *extra: str) -> list[str]:
    """The command line of a Toss worker process against *server*."""
    return [
        sys.executable,
        "-m",
        "claimflow",
        "worker",
        "--store",
        store_url,
        "--marketplace",
        "toss",
        "--base-url",
        server.url,
        "--emulator",
        *extra,
    ]


def lost_cancel(store: Store, emulator: TossEmulator, adapter: Client) -> str:
    """A stored Toss order product whose seller cancel.approve was carried out but whose answer
    was lost: its intent is left SENT for the reconcile worker."""
    record = emulator.add("PREPARING")
    emulator.buyer(record.op.id, "cancel.request", reason="변심")
    ref = OrderRef(record.op.id, record.order_id, record.ordered_at.date())
    local = cf.OrderProduct(record.op.id, "toss", "PREPARING", record.op.item_id, 12_000)
    store.put(local, order_id=ref.order_id, ordered_on=ref.ordered_on)
    sync(store, adapter)
    emulator.inject(Fault.DROP_AFTER_COMMIT, on="write")
    with pytest.raises(cf.OutcomeUnknownError):
        store.apply_remote(adapter, record.op.id, "cancel.approve", "SELLER", ref=ref)
    return record.op.id


class TestWorkerProcess:
    def test_once_reconciles_a_lost_answer(
        self, toss: tuple[TossEmulator, RunningServer], store: Store, store_url: str
    ) -> None:
        """`claimflow worker --once` (a real process) claims the SENT intent whose answer was
        lost, finds it carried out, and commits it: one REFUND event, one refund."""
        emulator, server = toss
        with make_adapter("toss", server.url, emulator=True, retry=FAST) as adapter:
            op_id = lost_cancel(store, emulator, adapter)

        done = subprocess.run(
            worker_cli(store_url, server, "--once", "--in-flight-for", "0", "--sync-every", "0"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

        assert 0 == done.returncode, done.stderr
        assert "reconcile:applied 1" in done.stdout
        assert cf.Status.CANCELED == store.get(op_id).status
        refunds = [
            x for e in store.history(op_id) for x in e.effects if x.kind is cf.EffectKind.REFUND
        ]
        assert 1 == len(refunds) == len(emulator.store.refunds(op_id))

    def test_sigterm_stops_it_gracefully(
        self, toss: tuple[TossEmulator, RunningServer], store: Store, store_url: str
    ) -> None:
        """A running worker syncs, delivers effects by printing them, and on SIGTERM finishes
        its round and exits 0 with its counts."""
        emulator, server = toss
        record = emulator.add("PREPARING")
        emulator.buyer(record.op.id, "cancel.request", reason="변심")
        emulator.store.act(record.op.id, "cancel.approve", "SELLER")  # the console refunds
        proc = subprocess.Popen(
            worker_cli(store_url, server, "--sync-every", "0.2", "--print-effects"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not [e for e in store.effects(record.op.id) if e.status is EffectStatus.DONE]:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.1)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()

        assert 0 == proc.returncode, err
        assert f"effect {record.op.id}:2:REFUND: REFUND 12,000원" in out
        assert "sync:rounds" in out
        assert [cf.Action.CANCEL_REQUEST, cf.Action.CANCEL_APPROVE] == [
            e.action for e in store.history(record.op.id)
        ]


class TestLoops:
    def test_an_idle_worker_sleeps(
        self, toss: tuple[TossEmulator, RunningServer], store: Store
    ) -> None:
        """With nothing to do, rounds back off (idle, doubling up to max_idle): no busy loop."""
        _emulator, server = toss
        config = WorkerConfig(reconcile_every=0.0, sync_every=None, idle=0.05, max_idle=0.4)
        stop = threading.Event()
        with make_adapter("toss", server.url, emulator=True, retry=FAST) as adapter:
            worker = Worker(
                store, adapter, handlers={cf.EffectKind.REFUND: lambda _e: None}, config=config
            )
            timer = threading.Timer(1.5, stop.set)
            timer.start()
            stats = worker.run(stop)

        assert stats["reconcile:rounds"] <= 9  # 0.05 + 0.1 + 0.2 + 0.4 + 0.4 + ... in 1.5 s

    def test_effects_are_delivered_with_their_key(
        self, toss: tuple[TossEmulator, RunningServer], store: Store
    ) -> None:
        """The effect loop hands each effect to the handler of its kind with its idempotency
        key and settles it DONE."""
        emulator, server = toss
        got: list[str] = []

        def refund(effect: StoredEffect) -> None:
            got.append(effect.key)

        with make_adapter("toss", server.url, emulator=True, retry=FAST) as adapter:
            op_id = lost_cancel(store, emulator, adapter)
            worker = Worker(
                store,
                adapter,
                handlers={cf.EffectKind.REFUND: refund},
                config=WorkerConfig(sync_every=None, in_flight_for=0.0),
            )
            worker.round()
            worker.round()

        assert [f"{op_id}:2:REFUND"] == got
        assert [EffectStatus.DONE] == [e.status for e in store.effects(op_id)]


def test_credentials_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --emulator the worker reads credentials from the environment, and says which
    variable is missing (never taking a secret on the command line)."""
    monkeypatch.delenv("CLAIMFLOW_TOSS_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("CLAIMFLOW_TOSS_CLIENT_ID", "id")

    with pytest.raises(cf.InvalidInputError) as e:
        make_adapter("toss", "https://example.invalid")

    assert "CLAIMFLOW_TOSS_CLIENT_SECRET" in str(e.value)
    assert "id" not in os.environ.get("CLAIMFLOW_TOSS_CLIENT_SECRET", "")


@pytest.mark.parametrize("mp", list(cf.Marketplace))
def test_each_marketplace_reads_its_own_variables(
    mp: cf.Marketplace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """make_adapter reads each marketplace's CREDENTIAL_ENV (the adapter module's wiring) and
    builds a client for that marketplace; without the last variable it names it."""
    names = MODULES[mp].CREDENTIAL_ENV
    for i, name in enumerate(names):
        monkeypatch.setenv(name, f"value-{i}")
    with make_adapter(mp, "https://api.example.test/") as adapter:
        assert mp == adapter.spec.marketplace
    monkeypatch.delenv(names[-1])
    with pytest.raises(cf.InvalidInputError) as e:
        make_adapter(mp, "https://api.example.test/")
    assert names[-1] in str(e.value)


def test_an_emulator_without_the_extra_says_which(monkeypatch: pytest.MonkeyPatch) -> None:
    """--emulator without the emulators extra is a MissingExtraError naming the extra, not a
    bare ImportError."""
    monkeypatch.setitem(sys.modules, "claimflow.emulators", None)
    with pytest.raises(cf.MissingExtraError) as e:
        make_adapter("toss", "http://127.0.0.1:9", emulator=True)
    assert "emulators" == e.value.extra


def test_an_intent_that_cannot_be_judged_ends_failed(
    toss: tuple[TossEmulator, RunningServer], store: Store
) -> None:
    """An intent whose order product the marketplace cannot show is retried each lease, then
    marked FAILED for an operator (visible, its order product released), not retried forever."""
    _emulator, server = toss
    ghost = cf.OrderProduct("T-GHOST", "toss", "PREPARING", "ITEM", 12_000)
    store.put(ghost, order_id="O-GHOST", ordered_on=dt.date(2026, 11, 1))
    intent = store.begin_intent(
        ghost.id, "order.ship", "SELLER", lease=dt.timedelta(0), carrier="CJ대한통운",
        tracking_number="1022-5765",
    )  # fmt: skip
    stats: Counter[str] = Counter()
    with make_adapter("toss", server.url, emulator=True, retry=FAST) as adapter:
        for _ in range(3):
            reconcile_pending(store, adapter, lease=dt.timedelta(0), max_attempts=3, stats=stats)

    assert [IntentStatus.FAILED] == [i.status for i in store.intents(ghost.id)]
    assert intent.id == store.intents(ghost.id)[0].id
    assert 1 == stats["reconcile:failed"]


def test_paced_transport_keeps_the_interval() -> None:
    """PacedTransport leaves at least its interval between two requests (imweb's 5 calls a
    second), and passes every request on."""
    sent: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        return httpx.Response(200, json={})

    paced = PacedTransport(httpx.MockTransport(answer), 0.1)
    with httpx.Client(transport=paced) as client:
        for _ in range(5):
            client.get("https://example.invalid/")

    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert 5 == len(sent)
    assert all(g >= 0.09 for g in gaps), gaps  # thread scheduling jitter aside
