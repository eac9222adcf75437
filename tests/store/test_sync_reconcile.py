"""reconcile judges by the intent; apply_remote / reconcile take expected_version.

The issue's failures, reproduced against the emulators (in-process, through the adapters):

- two workers racing ``return.complete`` where one call gets a 503: exactly one REFUND event in
  the history, as many as the marketplace's refunds;
- a lost answer to an x2bee ``cancel.request``: the refund reaches the local history (APPLIED
  with x2bee's claim number, not ADOPTED under an invented one);
- a timeout while the write is in flight is IN_FLIGHT, never "safe to retry";
- ``expected_version`` refuses a stale copy before any call.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest

import claimflow as cf
from claimflow.adapters import (
    Client,
    OrderRef,
    ReconcileOutcome,
    RetryPolicy,
    apply_remote,
    apply_remote_many,
    pending_action,
    reconcile,
)
from claimflow.emulators import Fault, Faults, serve_in_thread
from claimflow.emulators.imweb import ImwebEmulator
from claimflow.emulators.toss import TossEmulator
from claimflow.emulators.x2bee import X2beeEmulator
from claimflow.exceptions import BusyError
from claimflow.store import IntentStatus, Store, make_adapter, reconcile_pending
from claimflow.testing import SyncASGITransport

FAST = RetryPolicy(attempts=6, timeout=10.0, wait_initial=0.0005, wait_max=0.002, wait_jitter=0)
REFUND = cf.EffectKind.REFUND


def in_process(emulator: TossEmulator | ImwebEmulator | X2beeEmulator) -> Client:
    """An adapter talking to *emulator* in-process (ASGI), with quick retries."""
    mp = emulator.store.marketplace
    return make_adapter(
        mp, "http://127.0.0.1", emulator=True, retry=FAST, transport=SyncASGITransport(emulator.app)
    )


def writes(emulator: TossEmulator | X2beeEmulator) -> int:
    """How many write requests the emulator received (token requests aside)."""
    return sum(
        1
        for r in emulator.core.requests
        if r.method == "POST" and r.path != "/token" and "Details" not in r.path
    )


def toss_line(
    emulator: TossEmulator, adapter: Client, *steps: tuple[str, str]
) -> tuple[cf.OrderProduct, OrderRef]:
    """A delivered Toss order product with a buyer's return request and *steps* (action, actor)
    done on Toss; the local copy learned of them by reconciling."""
    record = emulator.add("DELIVERED")
    emulator.buyer(record.op.id, "return.request", reason="사이즈")
    for action, actor in steps:
        emulator.store.act(record.op.id, action, actor)
    local = cf.OrderProduct(
        record.op.id, "toss", "DELIVERED", record.op.item_id, record.op.unit_price
    )
    ref = OrderRef(record.op.id, record.order_id, record.ordered_at.date())
    return reconcile(adapter, local, ref=ref).order_product, ref


def refund_events(events: tuple[cf.HistoryEvent, ...]) -> int:
    """REFUND effects among *events*."""
    return sum(1 for e in events for x in e.effects if x.kind is REFUND)


@pytest.fixture
def toss() -> Iterator[tuple[TossEmulator, Client]]:
    """A Toss emulator and an in-process adapter to it."""
    emulator = TossEmulator()
    with in_process(emulator) as adapter:
        yield emulator, adapter


@pytest.fixture
def x2bee() -> Iterator[tuple[X2beeEmulator, Client]]:
    """An x2bee emulator and an in-process adapter to it."""
    emulator = X2beeEmulator()
    with in_process(emulator) as adapter:
        yield emulator, adapter


class TestExpectedVersion:
    def test_apply_remote_refuses_a_stale_copy_before_any_call(
        self, toss: tuple[TossEmulator, Client]
    ) -> None:
        """apply_remote with an expected_version other than the copy's raises
        StaleVersionError and sends nothing."""
        emulator, adapter = toss
        op, ref = toss_line(emulator, adapter)
        before = len(emulator.core.requests)

        with pytest.raises(cf.StaleVersionError) as e:
            apply_remote(
                adapter, op, "return.approve", "SELLER", ref=ref, expected_version=op.version + 1
            )

        assert (op.version + 1, op.version) == (e.value.expected, e.value.actual)
        assert before == len(emulator.core.requests)

    def test_reconcile_refuses_a_stale_copy_before_any_call(
        self, toss: tuple[TossEmulator, Client]
    ) -> None:
        """reconcile with an expected_version other than the copy's raises StaleVersionError
        and reads nothing."""
        emulator, adapter = toss
        op, ref = toss_line(emulator, adapter)
        before = len(emulator.core.requests)

        with pytest.raises(cf.StaleVersionError):
            reconcile(adapter, op, ref=ref, expected_version=op.version - 1)

        assert before == len(emulator.core.requests)

    def test_apply_remote_many_refuses_one_stale_item(self) -> None:
        """apply_remote_many takes one expected version per order product; one stale item
        refuses the whole batch before anything is sent."""
        emulator = ImwebEmulator()
        order = emulator.add_order("PREPARING", "PREPARING")
        ops = [
            cf.OrderProduct(i, "imweb", "PREPARING", f"P{n}", 12_000)
            for n, i in enumerate(order.items, 1)
        ]
        with in_process(emulator) as adapter:
            before = len(emulator.core.requests)
            with pytest.raises(cf.StaleVersionError):
                apply_remote_many(
                    adapter,
                    ops,
                    "order.ship",
                    "SELLER",
                    expected_version=[0, 5],
                    carrier="CJ대한통운",
                    tracking_number="1234",
                )
            assert before == len(emulator.core.requests)


class TestRacingComplete:
    def test_two_copies_one_503_give_one_refund_event(
        self, toss: tuple[TossEmulator, Client]
    ) -> None:
        """Two workers on copies of the same version race return.complete; one call gets a 503.
        The one that reconciles after the other committed is refused as stale: the history has
        one REFUND event, the marketplace one refund (the issue saw two events in 40 of 40)."""
        emulator, adapter = toss
        op, ref = toss_line(
            emulator, adapter, ("return.approve", "SELLER"), ("return.collect", "SELLER")
        )
        history: list[cf.HistoryEvent] = []
        version = op.version  # the shared history's version (what a store holds)
        emulator.inject(Fault.SERVER_ERROR, on="write")

        with pytest.raises(cf.OutcomeUnknownError) as a:  # worker A: 503
            apply_remote(
                adapter, op, "return.complete", "SELLER", ref=ref, expected_version=version
            )
        done = apply_remote(
            adapter, op, "return.complete", "SELLER", ref=ref, expected_version=version
        )
        history.append(done.event)  # worker B commits first
        version = done.order_product.version
        with pytest.raises(cf.StaleVersionError):  # worker A reconciles its stale copy
            reconcile(adapter, op, pending=a.value.pending, expected_version=version)

        assert 1 == refund_events(tuple(history))
        assert [op.unit_price] == emulator.store.refunds(op.id)

    @pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.DROP_AFTER_COMMIT])
    def test_store_keeps_one_refund_event(
        self, toss: tuple[TossEmulator, Client], store: Store, fault: Fault
    ) -> None:
        """Through the store: A's return.complete gets a 503 (nothing done) or a dropped answer
        (done); B is refused as busy while A's intent is in flight; the reconcile worker judges
        A's intent; B's retry then completes it or is refused. One REFUND event, one refund."""
        emulator, adapter = toss
        op, ref = toss_line(
            emulator, adapter, ("return.approve", "SELLER"), ("return.collect", "SELLER")
        )
        store.put(op, order_id=ref.order_id, ordered_on=ref.ordered_on)
        emulator.inject(fault, on="write")
        intent = store.begin_intent(op.id, "return.complete", "SELLER")

        with pytest.raises(cf.OutcomeUnknownError):
            apply_remote(adapter, op, "return.complete", "SELLER", ref=ref)
        store.finish_intent(intent, "UNKNOWN")
        with pytest.raises(BusyError):
            store.apply_remote(adapter, op.id, "return.complete", "SELLER", ref=ref)
        assert 1 == reconcile_pending(store, adapter, in_flight_for=0.0)
        try:
            store.apply_remote(adapter, op.id, "return.complete", "SELLER", ref=ref)
        except cf.ActionRefusedError:
            assert fault is Fault.DROP_AFTER_COMMIT

        assert cf.Status.RETURNED == store.get(op.id).status
        assert 1 == refund_events(store.history(op.id))
        assert [op.unit_price] == emulator.store.refunds(op.id)


class TestLostAnswer:
    def test_lost_cancel_answer_reaches_the_history(
        self, x2bee: tuple[X2beeEmulator, Client]
    ) -> None:
        """x2bee cancels but the answer is lost: reconcile finds the intent applied, with
        x2bee's claim number and the REFUND, instead of adopting an unknown claim without one."""
        emulator, adapter = x2bee
        record = emulator.add("PAID")
        op = cf.OrderProduct(record.op.id, "x2bee", "PAID", record.op.item_id, record.op.unit_price)
        ref = OrderRef(op.id, record.order_id)
        cost = adapter.calculate_cost(ref)  # type: ignore[attr-defined]
        emulator.inject(Fault.DROP_AFTER_COMMIT, on="write")

        with pytest.raises(cf.OutcomeUnknownError) as e:
            apply_remote(
                adapter, op, "cancel.request", "BUYER", ref=ref, reason="변심", **cost.params
            )
        synced = reconcile(adapter, op, pending=e.value.pending)

        claim_no = emulator.store.get(op.id).op.closed_claims[-1].id
        assert ReconcileOutcome.APPLIED == synced.outcome
        assert synced.applied is not None
        assert claim_no == synced.applied.event.claim_id
        assert [cf.Effect(REFUND, amount=op.amount)] == [
            x for x in synced.applied.event.effects if x.kind is REFUND
        ]
        assert ReconcileOutcome.IN_SYNC == reconcile(adapter, synced.order_product, ref=ref).outcome

    def test_cancel_carries_the_marketplace_claim_number(
        self, x2bee: tuple[X2beeEmulator, Client]
    ) -> None:
        """A cancel x2bee answers with no content is committed under x2bee's claim number (read
        back), so the next reconcile finds nothing to adopt."""
        emulator, adapter = x2bee
        record = emulator.add("PAID")
        op = cf.OrderProduct(record.op.id, "x2bee", "PAID", record.op.item_id, record.op.unit_price)
        ref = OrderRef(op.id, record.order_id)
        cost = adapter.calculate_cost(ref)  # type: ignore[attr-defined]

        done = apply_remote(
            adapter, op, "cancel.request", "BUYER", ref=ref, reason="변심", **cost.params
        )

        assert emulator.store.get(op.id).op.closed_claims[-1].id == done.event.claim_id
        assert ReconcileOutcome.IN_SYNC == reconcile(adapter, done.order_product, ref=ref).outcome


class TestAdoption:
    def test_console_refund_is_adopted_with_its_own_event(
        self, toss: tuple[TossEmulator, Client]
    ) -> None:
        """The seller completes the return in Toss's web console: reconcile adopts it as the
        return.complete it was, with its REFUND effect, one version later."""
        emulator, adapter = toss
        op, ref = toss_line(
            emulator, adapter, ("return.approve", "SELLER"), ("return.collect", "SELLER")
        )
        emulator.store.act(op.id, "return.complete", "SELLER")

        synced = reconcile(adapter, op, ref=ref)

        assert ReconcileOutcome.ADOPTED == synced.outcome
        assert [(cf.Action.RETURN_COMPLETE, cf.Actor.SELLER)] == [
            (e.action, e.actor) for e in synced.events
        ]
        assert 1 == refund_events(synced.events)
        assert op.version + 1 == synced.order_product.version

    def test_a_change_other_than_the_intent_is_adopted(
        self, toss: tuple[TossEmulator, Client]
    ) -> None:
        """The intent (반려, answered with a 503) did not take effect, but the console completed
        the return meanwhile: ADOPTED as return.complete with its refund; nothing applied."""
        emulator, adapter = toss
        op, ref = toss_line(
            emulator, adapter, ("return.approve", "SELLER"), ("return.collect", "SELLER")
        )
        emulator.inject(Fault.SERVER_ERROR, on="write")
        with pytest.raises(cf.OutcomeUnknownError) as e:
            apply_remote(adapter, op, "return.reject_collected", "SELLER", ref=ref, reason="훼손")
        emulator.store.act(op.id, "return.complete", "SELLER")

        synced = reconcile(adapter, op, pending=e.value.pending)

        assert (ReconcileOutcome.ADOPTED, None) == (synced.outcome, synced.applied)
        assert [cf.Action.RETURN_COMPLETE] == [ev.action for ev in synced.events]
        assert 1 == refund_events(synced.events)

    def test_the_intent_then_an_external_change(self, toss: tuple[TossEmulator, Client]) -> None:
        """The intent (approve, answer lost) took effect and the console collected the return
        after it: APPLIED for the intent, the collection adopted as its own SELLER event."""
        emulator, adapter = toss
        op, ref = toss_line(emulator, adapter)
        emulator.inject(Fault.DROP_AFTER_COMMIT, on="write")
        with pytest.raises(cf.OutcomeUnknownError) as e:
            apply_remote(adapter, op, "return.approve", "SELLER", ref=ref)
        emulator.store.act(op.id, "return.collect", "SELLER")

        synced = reconcile(adapter, op, pending=e.value.pending)

        assert ReconcileOutcome.APPLIED == synced.outcome
        assert [
            (cf.Action.RETURN_APPROVE, op.version + 1),
            (cf.Action.RETURN_COLLECT, op.version + 2),
        ] == [(ev.action, ev.version) for ev in synced.events]
        assert cf.Status.RETURN_COLLECTED == synced.order_product.status

    def test_each_buyer_step_is_its_own_event(self, toss: tuple[TossEmulator, Client]) -> None:
        """A request and its withdrawal made in the Toss app while nobody looked are adopted as
        two BUYER events, versions 1 and 2."""
        emulator, adapter = toss
        record = emulator.add("DELIVERED")
        emulator.buyer(record.op.id, "return.request", reason="사이즈")
        emulator.buyer(record.op.id, "return.withdraw")
        local = cf.OrderProduct(record.op.id, "toss", "DELIVERED", record.op.item_id, 12_000)

        synced = reconcile(
            adapter, local, ref=OrderRef(local.id, record.order_id, record.ordered_at.date())
        )

        assert [
            (cf.Action.RETURN_REQUEST, cf.Actor.BUYER, 1),
            (cf.Action.RETURN_WITHDRAW, cf.Actor.BUYER, 2),
        ] == [(e.action, e.actor, e.version) for e in synced.events]

    def test_an_adopted_option_change_keeps_the_new_item(
        self, store: Store, x2bee: tuple[X2beeEmulator, Client]
    ) -> None:
        """The buyer's storefront option change (X2), adopted by reconcile and recorded with
        record_change, leaves the store on the new item with its unit price, and the stored
        event names that item."""
        emulator, adapter = x2bee
        record = emulator.add("PAID", item_id="SKU-1")
        emulator.buyer(
            record.op.id,
            "option.change",
            new_item=cf.CandidateItem("SKU-2", record.op.unit_price, True, 5),
        )
        local = cf.OrderProduct(record.op.id, "x2bee", "PAID", "SKU-1", record.op.unit_price)
        store.put(local, order_id=record.order_id)

        synced = reconcile(adapter, local, ref=OrderRef(local.id, record.order_id))
        for step in synced.adopted:
            store.record_change(
                step.order_product, step.event, expected_version=step.order_product.version - 1
            )

        stored = store.get(local.id)
        [event] = store.history(local.id)
        assert ReconcileOutcome.ADOPTED == synced.outcome
        assert synced.order_product == stored
        assert ("SKU-2", record.op.unit_price, 1) == (
            stored.item_id,
            stored.unit_price,
            stored.version,
        )
        assert (cf.Action.OPTION_CHANGE, "SKU-2") == (
            event.action,
            dict(event.params)["new_item"].item_id,
        )


class TestInFlight:
    def test_no_change_is_in_flight_until_the_window_passed(
        self, toss: tuple[TossEmulator, Client]
    ) -> None:
        """With no remote change, a write sent without an answer is IN_FLIGHT while it may still
        arrive, NOT_APPLIED after the window or once the marketplace answered it."""
        emulator, adapter = toss
        op, ref = toss_line(emulator, adapter)
        now = dt.datetime.now(dt.UTC)

        def judge(sent_at: dt.datetime, answered: bool = False) -> ReconcileOutcome:
            p = pending_action(
                adapter.spec,
                op,
                "return.approve",
                "SELLER",
                ref=ref,
                sent_at=sent_at,
                answered=answered,
            )
            return reconcile(adapter, op, pending=p, in_flight_for=30.0).outcome

        assert ReconcileOutcome.IN_FLIGHT == judge(now)
        assert ReconcileOutcome.NOT_APPLIED == judge(now - dt.timedelta(seconds=31))
        assert ReconcileOutcome.NOT_APPLIED == judge(now, answered=True)

    def test_timeout_while_the_write_is_in_flight(self) -> None:
        """Over HTTP, a write that times out while the marketplace is still working on it is
        IN_FLIGHT (not "safe to retry"); once Toss carried it out it is APPLIED."""
        emulator = TossEmulator()
        with serve_in_thread(emulator.app) as server:
            adapter = make_adapter("toss", server.url, emulator=True, retry=FAST, timeout=0.3)
            with adapter:
                op, ref = toss_line(emulator, adapter)
                emulator.faults = Faults(latency=0.9)
                with pytest.raises(cf.OutcomeUnknownError) as e:
                    apply_remote(adapter, op, "return.approve", "SELLER", ref=ref)
                emulator.faults = Faults()
                early = reconcile(adapter, op, pending=e.value.pending)
                deadline = time.monotonic() + 5
                while emulator.store.get(op.id).op.status is not cf.Status.RETURN_COLLECTING:
                    assert time.monotonic() < deadline
                    time.sleep(0.02)
                late = reconcile(adapter, op, pending=e.value.pending)

        assert ReconcileOutcome.IN_FLIGHT == early.outcome
        assert op == early.order_product
        assert ReconcileOutcome.APPLIED == late.outcome


class TestReconcileWorker:
    def test_intent_and_later_console_change_recorded_in_order(
        self, toss: tuple[TossEmulator, Client], store: Store
    ) -> None:
        """The reconcile worker records the intent's change and the console's change after it
        as versions n+1 and n+2, releases the order product, and a second round finds nothing."""
        emulator, adapter = toss
        op, ref = toss_line(emulator, adapter)
        store.put(op, order_id=ref.order_id, ordered_on=ref.ordered_on)
        emulator.inject(Fault.DROP_AFTER_COMMIT, on="write")
        with pytest.raises(cf.OutcomeUnknownError):
            store.apply_remote(adapter, op.id, "return.approve", "SELLER", ref=ref)
        emulator.store.act(op.id, "return.collect", "SELLER")

        assert 1 == reconcile_pending(store, adapter, in_flight_for=0.0)
        assert 0 == reconcile_pending(store, adapter, in_flight_for=0.0)

        assert [
            (cf.Action.RETURN_APPROVE, op.version + 1),
            (cf.Action.RETURN_COLLECT, op.version + 2),
        ] == [(e.action, e.version) for e in store.history(op.id)]
        assert cf.Status.RETURN_COLLECTED == store.get(op.id).status
        assert [IntentStatus.APPLIED] == [i.status for i in store.intents(op.id)]
