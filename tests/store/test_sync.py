"""claimflow.store.sync: the marketplaces' lists into the store, idempotent, with a durable cursor.

Against the emulators in-process (ASGI), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import claimflow as cf
from claimflow._vocab import SEOUL
from claimflow.adapters import ClaimQuery, Client, OrderRef, RemoteClaim, RetryPolicy, consistent
from claimflow.emulators.imweb import ImwebEmulator
from claimflow.emulators.imweb import seed_orders as seed_imweb
from claimflow.emulators.toss import TossEmulator
from claimflow.emulators.toss import seed_orders as seed_toss
from claimflow.emulators.x2bee import X2beeEmulator
from claimflow.store import Store, make_adapter, read_cursor, sync
from claimflow.store._schema import remote_claims
from claimflow.testing import SyncASGITransport

FAST = RetryPolicy(attempts=6, timeout=10.0, wait_initial=0.0005, wait_max=0.002, wait_jitter=0)
AppEmulator = TossEmulator | ImwebEmulator | X2beeEmulator


def in_process(emulator: AppEmulator) -> Client:
    """An adapter talking to *emulator* in-process (ASGI), with quick retries."""
    return make_adapter(
        emulator.store.marketplace,
        "http://127.0.0.1",
        emulator=True,
        retry=FAST,
        transport=SyncASGITransport(emulator.app),
    )


def agree(store: Store, adapter: Client, emulator: AppEmulator) -> list[str]:
    """The emulator's order products the store lacks or shows otherwise than the wire."""
    wrong = []
    for record in emulator.store.records():
        try:
            local = store.get(record.op.id)
        except cf.ClaimflowError:
            wrong.append(f"{record.op.id}: missing")
            continue
        ref = OrderRef(record.op.id, record.order_id, record.ordered_at.date())
        if not consistent(adapter.spec, local, adapter.read(ref)):
            wrong.append(f"{record.op.id}: {local.status} vs {record.op.status}")
    return wrong


def all_events(store: Store, emulator: AppEmulator) -> list[cf.HistoryEvent]:
    """Every stored event of the emulator's order products."""
    return [e for r in emulator.store.records() for e in store.history(r.op.id)]


class EdgeRepeating:
    """An adapter whose claims list returns every claim twice, as Toss does at window edges."""

    def __init__(self, inner: Client) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def iter_claims(self, query: ClaimQuery) -> Iterator[RemoteClaim]:
        """Each claim, then the same claim again."""
        for c in self._inner.iter_claims(query):
            yield c
            yield c


class TestToss:
    def test_sync_creates_and_records_buyer_requests(self, store: Store) -> None:
        """A first sync creates every order product Toss lists, with each buyer request as a
        BUYER event; the store then shows what the wire shows."""
        emulator = TossEmulator(seed=3)
        seed_toss(emulator, 25)
        with in_process(emulator) as adapter:
            report = sync(store, adapter)
            wrong = agree(store, adapter, emulator)

        requests = sum(1 for r in emulator.store.records() if r.op.open_claim is not None)
        events = all_events(store, emulator)
        assert (25, 25) == (report.seen, report.created)
        assert [] == wrong
        assert requests == sum(1 for e in events if e.actor is cf.Actor.BUYER)
        assert 0 == report.unexplained

    def test_sync_takes_the_payment_time_from_ordered_at(self, store: Store) -> None:
        """A Toss order product created by sync is paid when its order row says (orderedAt),
        the time the shipping deadline counts from (rules.md D3)."""
        emulator = TossEmulator(seed=3)
        seed_toss(emulator, 5)
        with in_process(emulator) as adapter:
            sync(store, adapter)

        expected = {r.op.id: r.ordered_at for r in emulator.store.records()}
        assert expected == {i: store.get(i).paid_at for i in expected}

    def test_second_sync_records_nothing_twice(self, store: Store) -> None:
        """Syncing again without a remote change writes no event and no claim row twice, even
        when the list repeats claims at window edges."""
        emulator = TossEmulator(seed=4)
        seed_toss(emulator, 20)
        with in_process(emulator) as adapter:
            sync(store, adapter)
            before = len(all_events(store, emulator))
            again = sync(store, EdgeRepeating(adapter))  # type: ignore[arg-type]
        with store.transaction() as conn:
            rows = conn.execute(sa.select(remote_claims)).all()

        assert (0, 0, 0) == (again.created, again.changed, again.events)
        assert before == len(all_events(store, emulator))
        assert len(rows) == len({(r.claim_id, r.state) for r in rows})

    def test_remote_changes_become_events_once(self, store: Store) -> None:
        """Changes made on Toss after a sync (a buyer's withdrawal, the seller's console
        approving a cancel) arrive with the next sync as their own events, once."""
        emulator = TossEmulator(seed=5)
        a = emulator.add("DELIVERED")
        b = emulator.add("PREPARING")
        emulator.buyer(a.op.id, "return.request", reason="사이즈")
        emulator.buyer(b.op.id, "cancel.request", reason="변심")
        with in_process(emulator) as adapter:
            sync(store, adapter)
            emulator.buyer(a.op.id, "return.withdraw")
            emulator.store.act(b.op.id, "cancel.approve", "SELLER")
            report = sync(store, adapter)
            sync(store, adapter)

        assert (2, 2) == (report.changed, report.events)
        assert [cf.Action.RETURN_REQUEST, cf.Action.RETURN_WITHDRAW] == [
            e.action for e in store.history(a.op.id)
        ]
        assert [cf.Action.CANCEL_REQUEST, cf.Action.CANCEL_APPROVE] == [
            e.action for e in store.history(b.op.id)
        ]
        assert cf.Status.CANCELED == store.get(b.op.id).status

    def test_cursor_is_durable_and_keeps_open_claims_in_reach(
        self, store_url: str, store: Store
    ) -> None:
        """The cursor is stored after a complete pass; a store opened again (a restarted worker)
        starts from it, and an old open claim keeps the claim window open back to its date."""
        emulator = TossEmulator(seed=6)
        old = emulator.add("DELIVERED", ordered_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=12))
        emulator.buyer(
            old.op.id,
            "return.request",
            reason="사이즈",
            at=dt.datetime.now(dt.UTC) - dt.timedelta(days=10),
        )
        with in_process(emulator) as adapter:
            sync(store, adapter)
            cursor = read_cursor(store, cf.Marketplace.TOSS)
            emulator.store.act(old.op.id, "return.approve", "SELLER")
            with Store.open(store_url) as restarted:
                report = sync(restarted, adapter)

        [requested_at] = old.claim_times.values()
        assert requested_at.astimezone(SEOUL).date() >= dt.date.fromisoformat(cursor["claims_from"])
        assert (1, 1) == (report.changed, report.events)
        assert cf.Status.RETURN_COLLECTING == store.get(old.op.id).status

    def test_a_sync_killed_half_way_misses_nothing_and_repeats_nothing(self, store: Store) -> None:
        """A pass that fails half-way writes no cursor; the next one finishes the work with
        exactly the events a clean pass records."""
        emulator = TossEmulator(seed=7)
        seed_toss(emulator, 30)
        with in_process(emulator) as adapter:
            with pytest.raises(RuntimeError):
                sync(store, Failing(adapter, after=12), batch=5)  # type: ignore[arg-type]
            assert {} == read_cursor(store, cf.Marketplace.TOSS)
            sync(store, adapter, batch=5)
            sync(store, adapter, batch=5)
            wrong = agree(store, adapter, emulator)

        requests = sum(1 for r in emulator.store.records() if r.op.open_claim is not None)
        assert [] == wrong
        assert requests == len(all_events(store, emulator))

    def test_an_order_product_held_by_an_intent_is_left_alone(self, store: Store) -> None:
        """Sync skips an order product whose intent is in flight (the reconcile worker's)."""
        emulator = TossEmulator(seed=8)
        a = emulator.add("PREPARING")
        with in_process(emulator) as adapter:
            sync(store, adapter)
            store.begin_intent(
                a.op.id, "order.ship", "SELLER", carrier="CJ대한통운", tracking_number="1022-5765"
            )
            emulator.buyer(a.op.id, "cancel.request", reason="변심")
            report = sync(store, adapter)

        assert (1, 0) == (report.busy, report.events)
        assert 0 == store.get(a.op.id).version


class Failing:
    """An adapter whose order list fails after *after* rows (a sync killed half-way)."""

    def __init__(self, inner: Client, after: int) -> None:
        self._inner = inner
        self._after = after

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def iter_order_products(self, query: Any) -> Iterator[Any]:
        """The inner list, then a failure."""
        for n, row in enumerate(self._inner.iter_order_products(query)):
            if n == self._after:
                msg = "killed"
                raise RuntimeError(msg)
            yield row


class TestImweb:
    def test_sync_pages_with_pauses(self, store: Store) -> None:
        """imweb's order list is read page by page with a pause after each (the 1/s and 5/s
        rate limits); every item order arrives with its current claim."""
        emulator = ImwebEmulator(seed=2)
        seed_imweb(emulator, 12)
        pauses: list[float] = []
        with in_process(emulator) as adapter:
            report = sync(store, adapter, sleep=pauses.append, batch=7)
            wrong = agree(store, adapter, emulator)
            again = sync(store, adapter, sleep=pauses.append)

        items = len(emulator.store.records())
        assert (items, items) == (report.seen, report.created)
        assert [] == wrong
        assert all(p >= 1.0 for p in pauses)
        assert (0, 0) == (again.created, again.events)


class TestX2bee:
    def test_sync_reads_the_known_order_products(self, store: Store) -> None:
        """x2bee documents no list: sync reads back the order products the store knows that are
        not final, and records what the buyer did in the storefront."""
        emulator = X2beeEmulator(seed=1)
        live = emulator.add("DELIVERED")
        done = emulator.add("PAID")
        emulator.buyer(
            done.op.id,
            "cancel.request",
            reason="변심",
            refund_amount=done.op.unit_price,
            extra_payment=0,
        )
        for r in (live, done):
            store.put(
                cf.OrderProduct(
                    r.op.id,
                    "x2bee",
                    "DELIVERED" if r is live else "PAID",
                    r.op.item_id,
                    r.op.unit_price,
                ),
                order_id=r.order_id,
            )
        emulator.buyer(live.op.id, "return.request", reason="파손")
        with in_process(emulator) as adapter:
            report = sync(store, adapter, pace=0)
            again = sync(store, adapter, pace=0)

        assert (2, 2) == (report.seen, report.changed)
        assert [cf.Action.RETURN_REQUEST] == [e.action for e in store.history(live.op.id)]
        assert 1 == sum(
            1
            for e in store.history(done.op.id)
            for x in e.effects
            if x.kind is cf.EffectKind.REFUND
        )
        assert (0, 1) == (again.events, again.seen)  # the canceled one is final: not read again

    def test_sync_takes_over_an_option_change(self, store: Store) -> None:
        """The buyer's storefront option change (X2) arrives with the next sync as the BUYER's
        option.change to the item the wire shows; the stored line is on that item, and a
        second sync records nothing."""
        emulator = X2beeEmulator(seed=2)
        r = emulator.add("PAID", item_id="SKU-1")
        local = cf.OrderProduct(r.op.id, "x2bee", "PAID", "SKU-1", r.op.unit_price)
        store.put(local, order_id=r.order_id)
        new_item = cf.CandidateItem("SKU-2", r.op.unit_price, True, 5)
        emulator.buyer(r.op.id, "option.change", new_item=new_item)
        with in_process(emulator) as adapter:
            report = sync(store, adapter, pace=0)
            again = sync(store, adapter, pace=0)

        [event] = store.history(r.op.id)
        stored = store.get(r.op.id)
        assert (1, 1) == (report.changed, report.events)
        assert (cf.Action.OPTION_CHANGE, cf.Actor.BUYER, "SKU-2") == (
            event.action,
            event.actor,
            dict(event.params)["new_item"].item_id,
        )
        assert ("SKU-2", r.op.unit_price, 1) == (stored.item_id, stored.unit_price, stored.version)
        assert (1, 0) == (again.seen, again.events)
