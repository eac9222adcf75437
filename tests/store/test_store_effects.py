"""The effect outbox: at-least-once delivery with a key, retries, DEAD, in-transaction handlers."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

import claimflow as cf
from claimflow.store import (
    EffectStatus,
    PermanentEffectError,
    Settlement,
    Store,
    StoredEffect,
    backoff,
    deliver_effects,
    run_effects,
)
from claimflow.store._schema import effects, events

REASON = {"reason": "단순 변심"}


def refunded(store: Store, op_id: str = "OP-1") -> cf.Applied:
    """Store an order product and take it through a return to ``return.complete`` (REFUND)."""
    store.put(cf.OrderProduct(op_id, "toss", cf.Status.DELIVERED, "ITEM-A", 12_000))
    store.apply_local(op_id, "return.request", "BUYER", **REASON)
    store.apply_local(op_id, "return.approve", "SELLER")
    store.apply_local(op_id, "return.collect", "SELLER")
    return store.apply_local(op_id, "return.complete", "SELLER")


def make_due(store: Store) -> None:
    """Move every retry to now (instead of waiting out the backoff)."""
    with store.transaction() as conn:
        conn.execute(
            effects.update()
            .where(effects.c.status == EffectStatus.PENDING.value)
            .values(next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )


class TestDelivery:
    def test_delivered_once_and_done(self, store: Store) -> None:
        """A handler gets the REFUND once with key {op}:{version}:REFUND; it ends DONE."""
        refunded(store)
        seen: list[tuple[str, int | None]] = []
        report = run_effects(
            store, {cf.EffectKind.REFUND: lambda e: seen.append((e.key, e.effect.amount))}
        )
        assert [("OP-1:4:REFUND", 12_000)] == seen
        assert (1, 0, 0) == (report.done, report.retried, report.dead)
        assert [EffectStatus.DONE] == [e.status for e in store.effects("OP-1")]
        assert 0 == run_effects(store, {cf.EffectKind.REFUND: seen.append}).delivered

    def test_retry_then_dead(self, store_url: str) -> None:
        """A failing handler is retried with backoff and goes DEAD after max_attempts; visible."""
        store = Store.open(store_url, max_attempts=3)
        refunded(store)
        calls: list[int] = []

        def failing(e: StoredEffect) -> None:
            calls.append(e.attempts)
            raise RuntimeError("payment gateway down")

        reports = []
        for _ in range(4):
            reports.append(run_effects(store, {cf.EffectKind.REFUND: failing}))
            make_due(store)
        assert [1, 2, 3] == calls
        assert [1, 1, 0, 0] == [r.retried for r in reports]
        (dead,) = store.effects(status=EffectStatus.DEAD)
        assert ("OP-1:4:REFUND", 3) == (dead.key, dead.attempts)
        assert "payment gateway down" in (dead.last_error or "")
        store.close()

    def test_permanent_error_is_dead_at_once(self, store: Store) -> None:
        """A handler raising PermanentEffectError sends the effect DEAD on the first attempt."""
        refunded(store)

        def refuse(_e: StoredEffect) -> None:
            raise PermanentEffectError("card closed")

        assert 1 == run_effects(store, {cf.EffectKind.REFUND: refuse}).dead
        assert [EffectStatus.DEAD] == [e.status for e in store.effects("OP-1")]

    def test_retry_waits_for_its_time(self, store: Store) -> None:
        """A retried effect is not claimed again before its next_attempt_at."""
        refunded(store)
        (e,) = store.claim_effects()
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        assert EffectStatus.PENDING == store.settle_effect(e, Settlement.RETRY, retry_at=later)
        assert [] == store.claim_effects()

    def test_expired_claim_is_delivered_again(self, store: Store) -> None:
        """A worker that died holding a claim: after the lease, another delivers it again with
        the same key (at least once), and the dead worker's late settle is refused."""
        refunded(store)
        (first,) = store.claim_effects(lease=dt.timedelta(seconds=-1))  # already expired
        (second,) = store.claim_effects()
        assert (first.key, 2) == (second.key, second.attempts)
        assert store.settle_effect(first, Settlement.DONE) is None
        assert EffectStatus.DONE == store.settle_effect(second, Settlement.DONE)

    def test_only_registered_kinds(self, store: Store) -> None:
        """claim_effects(kinds) leaves other kinds alone."""
        refunded(store)
        assert [] == store.claim_effects([cf.EffectKind.NOTIFY_BUYER])
        assert 1 == len(store.claim_effects([cf.EffectKind.REFUND]))

    def test_backoff_grows_and_is_capped(self) -> None:
        """Backoff ceilings double per attempt and stop at the cap."""
        assert all(backoff(1) <= dt.timedelta(seconds=1) for _ in range(50))
        assert all(backoff(30, cap=5) <= dt.timedelta(seconds=5) for _ in range(50))
        assert max(backoff(6) for _ in range(200)) > dt.timedelta(seconds=1)


class TestLoop:
    def test_deliver_until_stopped(self, store: Store) -> None:
        """deliver_effects delivers what is due, then idles on the stop event until it is set."""
        refunded(store)
        stop = threading.Event()
        seen: list[str] = []

        def handler(e: StoredEffect) -> None:
            seen.append(e.key)
            stop.set()  # the next idle wait returns at once

        report = deliver_effects(store, {cf.EffectKind.REFUND: handler}, stop=stop, idle=0.05)
        assert (["OP-1:4:REFUND"], 1) == (seen, report.done)


class TestInTransaction:
    def test_on_commit_handler_runs_exactly_once(self, store: Store) -> None:
        """An in-transaction handler runs inside the commit; the effect is stored DONE."""
        seen: list[str] = []
        store.on_commit(cf.EffectKind.REFUND, lambda _conn, e: seen.append(e.key))
        refunded(store)
        assert ["OP-1:4:REFUND"] == seen
        assert [EffectStatus.DONE] == [e.status for e in store.effects("OP-1")]
        assert 0 == run_effects(store, {cf.EffectKind.REFUND: seen.append}).delivered

    def test_failing_handler_undoes_the_commit(self, store: Store) -> None:
        """An in-transaction handler that raises rolls back the event and the state with it."""

        def boom(_conn: sa.Connection, _e: StoredEffect) -> None:
            raise RuntimeError("stock table locked")

        store.put(cf.OrderProduct("OP-1", "toss", cf.Status.DELIVERED, "ITEM-A", 12_000))
        for action, actor, params in [
            ("return.request", "BUYER", REASON),
            ("return.approve", "SELLER", {}),
            ("return.collect", "SELLER", {}),
        ]:
            store.apply_local("OP-1", action, actor, **params)
        store.on_commit(cf.EffectKind.REFUND, boom)
        with pytest.raises(RuntimeError, match="stock table locked"):
            store.apply_local("OP-1", "return.complete", "SELLER")
        assert 3 == store.get("OP-1").version
        with store.transaction() as conn:
            n = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
        assert (3, []) == (n, store.effects("OP-1"))

    def test_commit_hook_sees_every_event(self, store: Store) -> None:
        """A commit hook is called with each committed event, inside its transaction."""
        seen: list[int] = []
        store.add_commit_hook(lambda _conn, ev: seen.append(ev.version))
        refunded(store)
        assert [1, 2, 3, 4] == seen
