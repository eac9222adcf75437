"""claimflow.store: order products, history, the intent protocol, bad input — on both engines."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

import claimflow as cf
from claimflow.exceptions import (
    BusyError,
    CorruptRowError,
    DuplicateOrderProductError,
    InvalidStoreURLError,
    StaleVersionError,
    StoreUnavailableError,
    UnknownOrderProductError,
)
from claimflow.store import (
    AsyncStore,
    EffectStatus,
    IntentOutcome,
    IntentStatus,
    Shard,
    Store,
    bucket_of,
    make_engine,
    metadata,
)
from claimflow.store._schema import events, intents, order_products

REASON = {"reason": "단순 변심"}


def delivered(op_id: str = "OP-1", marketplace: str = "toss") -> cf.OrderProduct:
    """A delivered order product, version 0."""
    return cf.OrderProduct(op_id, marketplace, cf.Status.DELIVERED, "ITEM-A", 12_000)


def requested(store: Store, op_id: str = "OP-1", order_id: str = "O-1") -> cf.OrderProduct:
    """A stored order product with a return requested by the buyer (version 1)."""
    store.put(delivered(op_id), order_id=order_id)
    return store.apply_local(op_id, "return.request", "BUYER", **REASON).order_product


def collected(store: Store, op_id: str = "OP-1", order_id: str = "O-1") -> cf.OrderProduct:
    """A stored order product whose return was collected (version 3): complete refunds."""
    requested(store, op_id, order_id)
    store.apply_local(op_id, "return.approve", "SELLER")
    return store.apply_local(op_id, "return.collect", "SELLER").order_product


def count(store: Store, table: sa.Table) -> int:
    """Rows in *table*."""
    with store.transaction() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


class TestOrderProducts:
    def test_put_get_round_trip(self, store: Store) -> None:
        """A stored order product reads back equal, with its order id and bucket."""
        op = delivered()
        store.put(op, order_id="O-9", marketplace_ids={"claim": "X"})
        assert op == store.get("OP-1")
        row = store.row("OP-1")
        assert ("O-9", bucket_of("O-9"), {"claim": "X"}) == (
            row.order_id,
            row.bucket,
            dict(row.marketplace_ids),
        )

    def test_money_and_time_round_trip(self, store: Store) -> None:
        """An order product with its money (M1), delivery terms and times (D1-D5) reads back
        equal, and so does a return's history event with its quote and coupons to restore."""
        kst = dt.timezone(dt.timedelta(hours=9))
        money = cf.LineMoney(
            coupon_discount=1_000, points_used=500, delivery_fee=3_000, delivery_fee_kind="PAID",
            region="JEJU",
            regional_fee=3_000, return_one_way_fee=3_000, round_trip_fee=6_000,
            coupon_ids=("CP-1",),
        )  # fmt: skip
        op = cf.OrderProduct(
            "OP-1", "toss", cf.Status.DELIVERED, "ITEM-A", 12_000, quantity=2, money=money,
            paid_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=kst),
            delivered_at=dt.datetime(2026, 3, 5, 18, 0, tzinfo=kst),
            shipping_deadline=dt.date(2026, 3, 4),
        )  # fmt: skip
        store.put(op)
        assert op == store.get("OP-1")
        applied = store.apply_local("OP-1", "return.request", "BUYER", **REASON, fee_payer="USER")
        assert applied.order_product == store.get("OP-1")
        [event] = store.history("OP-1")
        assert applied.event == event
        assert [e.quote for e in applied.event.effects] == [e.quote for e in event.effects]

    def test_put_twice_is_refused(self, store: Store) -> None:
        """Putting an order product that is stored raises and changes nothing."""
        store.put(delivered())
        store.apply_local("OP-1", "return.request", "BUYER", **REASON)
        with pytest.raises(DuplicateOrderProductError, match="OP-1"):
            store.put(delivered())
        assert 1 == store.get("OP-1").version

    def test_unknown_id(self, store: Store) -> None:
        """Reading or acting on an id that is not stored names the id."""
        with pytest.raises(UnknownOrderProductError, match="NOPE") as e:
            store.get("NOPE")
        assert "NOPE" == e.value.order_product_id
        with pytest.raises(UnknownOrderProductError, match="NOPE"):
            store.apply_local("NOPE", "return.request", "BUYER", **REASON)
        with pytest.raises(UnknownOrderProductError, match="NOPE"):
            store.begin_intent("NOPE", "return.request", "BUYER", **REASON)

    def test_unreadable_row(self, store: Store) -> None:
        """A row whose state cannot be read raises CorruptRowError naming table and key."""
        store.put(delivered())
        with store.transaction() as conn:
            conn.execute(order_products.update().values(state={"id": "OP-1", "status": "??"}))
        with pytest.raises(CorruptRowError, match="claimflow_order_products") as e:
            store.get("OP-1")
        assert ("claimflow_order_products", "OP-1") == (e.value.table, e.value.key)

    def test_order_products_pages_by_id(self, store: Store) -> None:
        """order_products() yields every stored order product once, by id, at its current
        version, across page boundaries (5 products, pages of 2 and of exactly 5)."""
        for op_id in ("OP-3", "OP-1", "OP-5", "OP-2", "OP-4"):
            store.put(delivered(op_id), order_id=f"O-{op_id}")
        store.apply_local("OP-2", "return.request", "BUYER", **REASON)
        expected = [("OP-1", 0), ("OP-2", 1), ("OP-3", 0), ("OP-4", 0), ("OP-5", 0)]
        for size in (2, 5, 500):
            assert expected == [(op.id, op.version) for op in store.order_products(page_size=size)]

    def test_order_products_one_query_per_page(self, store: Store) -> None:
        """Listing 5 order products in pages of 2 runs 3 SELECTs on the order products table
        (2 + 2 + 1) and writes nothing."""
        for i in range(5):
            store.put(delivered(f"OP-{i}"))
        statements: list[str] = []

        def seen(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        sa.event.listen(store.engine, "before_cursor_execute", seen)
        try:
            assert 5 == len(list(store.order_products(page_size=2)))
        finally:
            sa.event.remove(store.engine, "before_cursor_execute", seen)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert (3, []) == (
            len(selects),
            [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))],
        )

    def test_order_products_empty_and_bad_page_size(self, store: Store) -> None:
        """An empty store lists nothing; a page size that is not a positive integer is refused
        by name before any query."""
        assert [] == list(store.order_products())
        for bad in (0, -1, True):
            with pytest.raises(cf.InvalidInputError, match="page_size") as e:
                list(store.order_products(page_size=bad))
            assert "page_size" == e.value.field

    def test_async_order_products(self, store_url: str) -> None:
        """The async twin lists the same order products, by id, across pages."""

        async def ids() -> list[str]:
            s = await AsyncStore.open(store_url)
            try:
                for op_id in ("OP-B", "OP-C", "OP-A"):
                    await s.put(delivered(op_id))
                return [op.id async for op in s.order_products(page_size=2)]
            finally:
                await s.close()

        assert ["OP-A", "OP-B", "OP-C"] == asyncio.run(ids())


class TestApplyLocal:
    def test_history_is_versions_one_to_n(self, store: Store) -> None:
        """Each local apply adds the next version; the history reads back in order."""
        store.put(delivered())
        a = store.apply_local("OP-1", "return.request", "BUYER", **REASON)
        b = store.apply_local("OP-1", "return.approve", "SELLER", expected_version=1)
        assert [a.event, b.event] == list(store.history("OP-1"))
        assert 2 == store.get("OP-1").version

    def test_effects_queued_with_the_event(self, store: Store) -> None:
        """An action's effects are queued with keys {op}:{version}:{kind}, PENDING."""
        collected(store)
        done = store.apply_local("OP-1", "return.complete", "SELLER", expected_version=3)
        queued = store.effects("OP-1")
        expected = sorted(f"OP-1:4:{e.kind.value}" for e in done.effects)
        assert expected == sorted(e.key for e in queued)
        assert {EffectStatus.PENDING} == {e.status for e in queued}
        assert any(e.kind is cf.EffectKind.REFUND for e in queued)

    def test_refused_writes_nothing(self, store: Store) -> None:
        """A refused action raises ActionRefusedError and leaves every table as it was."""
        store.put(delivered())
        with pytest.raises(cf.ActionRefusedError):
            store.apply_local("OP-1", "return.approve", "SELLER")
        assert (0, 0, 0) == (store.get("OP-1").version, count(store, events), count(store, intents))

    def test_stale_expected_version(self, store: Store) -> None:
        """An expected version that is not current raises StaleVersionError; nothing written."""
        requested(store)
        with pytest.raises(StaleVersionError) as e:
            store.apply_local("OP-1", "return.approve", "SELLER", expected_version=0)
        assert (0, 1) == (e.value.expected, e.value.actual)
        assert 1 == len(store.history("OP-1"))


class TestIntentProtocol:
    def test_applied(self, store: Store) -> None:
        """begin → APPLIED commits the action at base+1, with its event and effects."""
        collected(store)
        intent = store.begin_intent("OP-1", "return.complete", "SELLER")
        assert (IntentStatus.SENT, 3, 1) == (intent.status, intent.base_version, intent.attempts)
        done = store.finish_intent(intent, IntentOutcome.APPLIED)
        assert done is not None
        assert done.order_product == store.get("OP-1")
        assert done.event == store.history("OP-1")[-1]
        stored = store.intent(intent.id)
        assert stored is not None
        assert IntentStatus.APPLIED == stored.status
        assert len(done.effects) == len(store.effects("OP-1"))

    def test_second_worker_is_busy(self, store: Store) -> None:
        """While an intent is in flight, a second begin_intent and apply_local raise BusyError."""
        requested(store)
        intent = store.begin_intent("OP-1", "return.approve", "SELLER")
        with pytest.raises(BusyError, match=intent.id) as e:
            store.begin_intent("OP-1", "return.reject", "SELLER", **REASON)
        assert ("OP-1", intent.id) == (e.value.order_product_id, e.value.intent_id)
        with pytest.raises(BusyError):
            store.apply_local("OP-1", "return.reject", "SELLER", **REASON)
        assert 1 == count(store, intents)

    def test_refused_releases(self, store: Store) -> None:
        """REFUSED: intent NOT_APPLIED, state unchanged, the product free again."""
        requested(store)
        intent = store.begin_intent("OP-1", "return.approve", "SELLER")
        assert store.finish_intent(intent, IntentOutcome.REFUSED, error="E1: no") is None
        stored = store.intent(intent.id)
        assert stored is not None
        assert IntentStatus.NOT_APPLIED == stored.status
        assert 1 == store.get("OP-1").version
        again = store.begin_intent("OP-1", "return.reject", "SELLER", **REASON)
        assert 1 == again.base_version

    def test_unknown_goes_to_reconcile(self, store: Store) -> None:
        """UNKNOWN: the intent stays SENT with its lease ended; pending_intents claims it once."""
        requested(store)
        intent = store.begin_intent("OP-1", "return.approve", "SELLER")
        assert [] == store.pending_intents()  # its lease has not ended
        store.finish_intent(intent, IntentOutcome.UNKNOWN, error="timeout")
        claimed = store.pending_intents()
        assert [intent.id] == [i.id for i in claimed]
        assert (IntentStatus.SENT, 2) == (claimed[0].status, claimed[0].attempts)
        assert claimed[0].order_product == intent.order_product
        assert [] == store.pending_intents()  # now leased to the first claimer
        with pytest.raises(BusyError):
            store.begin_intent("OP-1", "return.approve", "SELLER")

    def test_finishing_twice_commits_once(self, store: Store) -> None:
        """The original worker and a reconciler both finishing APPLIED: one event, one error."""
        collected(store)
        intent = store.begin_intent("OP-1", "return.complete", "SELLER")
        store.finish_intent(intent, IntentOutcome.UNKNOWN)
        (claimed,) = store.pending_intents()
        store.finish_intent(claimed, IntentOutcome.APPLIED)
        with pytest.raises(StaleVersionError, match="no longer in flight"):
            store.finish_intent(intent, IntentOutcome.APPLIED)
        assert [1, 2, 3, 4] == [e.version for e in store.history("OP-1")]

    def test_stale_base_version(self, store: Store) -> None:
        """APPLIED when the row moved past the base (an adopted change): StaleVersionError."""
        op = requested(store)
        intent = store.begin_intent("OP-1", "return.approve", "SELLER")
        moved = cf.apply(op, "return.reject", "SELLER", **REASON)
        store.record_change(moved.order_product, moved.event, expected_version=1, origin="ADOPTED")
        with pytest.raises(StaleVersionError) as e:
            store.finish_intent(intent, IntentOutcome.APPLIED)
        assert (1, 2) == (e.value.expected, e.value.actual)
        stored = store.intent(intent.id)
        assert stored is not None
        assert IntentStatus.SENT == stored.status  # the failed step wrote nothing

    def test_record_change_closes_the_intent(self, store: Store) -> None:
        """An adopted change recorded with the intent closes it in the same transaction."""
        op = requested(store)
        intent = store.begin_intent("OP-1", "return.approve", "SELLER")
        moved = cf.apply(op, "return.reject", "SELLER", **REASON)
        store.record_change(moved.order_product, moved.event, expected_version=1, intent=intent)
        stored = store.intent(intent.id)
        assert stored is not None
        assert IntentStatus.NOT_APPLIED == stored.status
        assert moved.order_product == store.get("OP-1")

    def test_record_change_updates_marketplace_ids(self, store: Store) -> None:
        """A synced change may carry the marketplace's ids; they are stored with the state."""
        op = requested(store)
        moved = cf.apply(op, "return.approve", "SELLER")
        store.record_change(
            moved.order_product,
            moved.event,
            expected_version=1,
            origin="SYNC",
            marketplace_ids={"claim_no": "X-77"},
        )
        row = store.row("OP-1")
        assert (2, {"claim_no": "X-77"}) == (row.order_product.version, dict(row.marketplace_ids))

    def test_shards_split_the_work(self, store: Store) -> None:
        """Two shards claim disjoint intents that together are all of them."""
        ids = [f"OP-{n}" for n in range(12)]
        for n, op_id in enumerate(ids):
            requested(store, op_id, order_id=f"O-{n}")
            i = store.begin_intent(op_id, "return.approve", "SELLER")
            store.finish_intent(i, IntentOutcome.UNKNOWN)
        a = {i.order_product_id for i in store.pending_intents(shard=Shard(0, 2), limit=100)}
        b = {i.order_product_id for i in store.pending_intents(shard=Shard(1, 2), limit=100)}
        assert (set(ids), set()) == (a | b, a & b)
        assert {op for op in ids if bucket_of(f"O-{ids.index(op)}") % 2 == 0} == a


class TestTransactions:
    def test_inside_the_oms_transaction(self, store_url: str) -> None:
        """On a Connection, claimflow's rows commit or roll back with the OMS's transaction."""
        Store.open(store_url).close()  # the schema, committed
        engine = make_engine(store_url)
        with engine.connect() as conn:
            conn.begin()
            s = Store.open(conn)
            s.put(delivered())
            conn.rollback()
            conn.begin()
            s.put(delivered("OP-2"))
            s.apply_local("OP-2", "return.request", "BUYER", **REASON)
            conn.commit()
        engine.dispose()
        fresh = Store.open(store_url)
        with pytest.raises(UnknownOrderProductError):
            fresh.get("OP-1")
        assert 1 == fresh.get("OP-2").version

    def test_failed_step_inside_oms_transaction_keeps_it_usable(self, store_url: str) -> None:
        """A claimflow error inside the OMS's transaction undoes only claimflow's step."""
        engine = Store.open(store_url).engine
        with engine.connect() as conn:
            conn.begin()
            s = Store.open(conn)
            s.put(delivered())
            with pytest.raises(DuplicateOrderProductError):
                s.put(delivered())
            s.apply_local("OP-1", "return.request", "BUYER", **REASON)
            conn.commit()
        assert 1 == Store.open(store_url).get("OP-1").version


class TestBadInput:
    def test_sqlite_connection_without_hooks(self, tmp_path: Any) -> None:
        """A SQLite Connection from a plain engine is refused, saying how to make one."""
        engine = sa.create_engine(f"sqlite:///{tmp_path}/x.db")
        with engine.connect() as conn, pytest.raises(InvalidStoreURLError, match="make_engine"):
            Store.open(conn)
        engine.dispose()

    @pytest.mark.parametrize(
        "url",
        ["not a url", "mysql://u@h/db", "sqlite://", "postgresql://user:hunter2@localhost"],
    )
    def test_bad_urls(self, url: str) -> None:
        """Malformed or unsupported URLs raise InvalidStoreURLError without the password."""
        with pytest.raises(InvalidStoreURLError) as e:
            Store.open(url)
        assert "hunter2" not in str(e.value)
        assert "url" == e.value.field

    def test_unreachable_database(self) -> None:
        """A database that cannot be reached raises StoreUnavailableError, password hidden."""
        with pytest.raises(StoreUnavailableError) as e:
            Store.open("postgresql://u:hunter2@127.0.0.1:1/x", connect_args={"connect_timeout": 2})
        assert "hunter2" not in str(e.value)
        assert e.value.__cause__ is None
        assert e.value.__suppress_context__

    def test_wrong_type(self) -> None:
        """Something that is neither URL, Engine nor Connection is refused by name."""
        with pytest.raises(InvalidStoreURLError, match="int"):
            Store.open(42)  # type: ignore[arg-type]


class TestSqliteSettings:
    def test_wal_and_immediate(self, tmp_path: Any) -> None:
        """The SQLite default runs in WAL mode and begins writers with BEGIN IMMEDIATE."""
        s = Store.open(f"sqlite:///{tmp_path}/x.db")
        seen: list[str] = []
        sa.event.listen(
            s.engine, "before_cursor_execute", lambda *a: seen.append(str(a[2]).strip())
        )
        with s.transaction() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        assert "wal" == mode
        assert "BEGIN IMMEDIATE" == seen[0]


class TestSchema:
    def test_tables(self) -> None:
        """One MetaData holds the store's tables."""
        assert {
            "claimflow_meta",
            "claimflow_order_products",
            "claimflow_events",
            "claimflow_intents",
            "claimflow_effects",
            "claimflow_sync_cursors",
            "claimflow_remote_claims",
        } == set(metadata.tables)

    def test_timestamps_are_utc(self, store: Store) -> None:
        """Lease timestamps read back timezone-aware, in UTC, equal to what was written."""
        requested(store)
        intent = store.begin_intent("OP-1", "return.approve", "SELLER")
        stored = store.intent(intent.id)
        assert stored is not None
        assert intent.lease_until == stored.lease_until
        assert dt.UTC == stored.lease_until.tzinfo


class FakeSerializationError(Exception):
    """What a driver raises for SQLSTATE 40001 (psycopg sets ``sqlstate``)."""

    sqlstate = "40001"


def restart_once(calls: list[int]) -> Any:
    """A commit hook that fails the first transaction as a serialization failure would."""

    def hook(_conn: sa.Connection, event: cf.HistoryEvent) -> None:
        calls.append(event.version)
        if len(calls) == 1:
            raise sa.exc.OperationalError("COMMIT", {}, FakeSerializationError("restart"))

    return hook


class TestRetries:
    def test_serialization_failure_is_retried(self, store: Store) -> None:
        """SQLSTATE 40001 in a step: the whole transaction runs again, and commits once."""
        store.put(delivered())
        calls: list[int] = []
        store.add_commit_hook(restart_once(calls))
        done = store.apply_local("OP-1", "return.request", "BUYER", **REASON)
        assert ([1, 1], 1) == (calls, done.event.version)
        assert [1] == [e.version for e in store.history("OP-1")]

    def test_not_retried_inside_the_callers_transaction(self, store_url: str) -> None:
        """On the caller's Connection the error goes back to the caller, who owns the retry."""
        engine = Store.open(store_url).engine
        with engine.connect() as conn:
            conn.begin()
            s = Store.open(conn)
            s.put(delivered())
            calls: list[int] = []
            s.add_commit_hook(restart_once(calls))
            with pytest.raises(sa.exc.OperationalError):
                s.apply_local("OP-1", "return.request", "BUYER", **REASON)
            assert ([1], 0) == (calls, s.get("OP-1").version)
            conn.rollback()


class TestNoSideEffects:
    def test_attrs_annotations_stay_as_declared(self, store: Store) -> None:
        """Using the store (cattrs) leaves the values' attrs annotations as declared, so the
        generated API reference does not depend on whether the store ran first."""
        requested(store)
        store.history("OP-1")
        import attrs  # noqa: PLC0415

        assert ("Status", "Claim | None", "ClaimType") == (
            attrs.fields(cf.OrderProduct).status.type,
            attrs.fields(cf.OrderProduct).open_claim.type,
            attrs.fields(cf.Claim).type.type,
        )


class TestLazyNames:
    def test_lazy_names_are_the_sync_and_worker_modules_names(self) -> None:
        """The names claimflow.store imports on first use are exactly what its sync and worker
        modules export, and all of them are in claimflow.store.__all__."""
        from claimflow import store  # noqa: PLC0415
        from claimflow.store import _sync, _worker  # noqa: PLC0415

        lazy = store._LAZY
        assert (set(_sync.__all__), set(_worker.__all__)) == (
            set(lazy["_sync"]),
            set(lazy["_worker"]),
        )
        assert set() == set().union(*lazy.values()) - set(store.__all__)

    def test_without_the_adapters_extra_a_lazy_name_is_a_typed_error(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With only the store extra (httpx missing), a worker name is a MissingExtraError naming
        the adapters extra, not a raw ModuleNotFoundError."""
        import sys  # noqa: PLC0415

        from claimflow import store  # noqa: PLC0415

        monkeypatch.setitem(sys.modules, "httpx", None)  # import httpx now raises ImportError
        monkeypatch.delitem(sys.modules, "claimflow.store._worker", raising=False)
        with pytest.raises(cf.MissingExtraError) as e:
            _ = store.Worker
        assert ("adapters", True) == (e.value.extra, "claimflow[store,adapters]" in str(e.value))
