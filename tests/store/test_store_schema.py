"""Schema versions: create, refuse older/newer, upgrade from the first version; the async twin."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

import claimflow as cf
from claimflow.exceptions import BusyError, SchemaVersionError
from claimflow.store import (
    SCHEMA_VERSION,
    AsyncStore,
    IntentOutcome,
    Store,
    create_version,
    make_engine,
    schema_version,
)
from claimflow.store._schema import meta

REASON = {"reason": "단순 변심"}


def set_version(store: Store, version: int) -> None:
    """Overwrite the schema version row."""
    with store.transaction() as conn:
        conn.execute(meta.update().values(value=version))


class TestVersions:
    def test_fresh_database_gets_current_version(self, store: Store) -> None:
        """Opening an empty database creates the schema at SCHEMA_VERSION."""
        with store.transaction() as conn:
            assert SCHEMA_VERSION == schema_version(conn)

    def test_newer_schema_is_refused(self, store: Store, store_url: str) -> None:
        """A database at a newer version than the code raises SchemaVersionError."""
        set_version(store, SCHEMA_VERSION + 1)
        with pytest.raises(SchemaVersionError, match="newer") as e:
            Store.open(store_url)
        assert (SCHEMA_VERSION + 1, SCHEMA_VERSION) == (e.value.found, e.value.expected)

    def test_older_schema_needs_upgrade(self, store_url: str) -> None:
        """A version-1 database is refused without upgrade=True, naming the way out."""
        engine = make_engine(store_url)
        with engine.begin() as conn:
            create_version(conn, 1)
        with pytest.raises(SchemaVersionError, match="upgrade=True") as e:
            Store.open(engine)
        assert (1, SCHEMA_VERSION) == (e.value.found, e.value.expected)
        engine.dispose()

    def test_upgrade_from_first_version_keeps_data(self, store_url: str) -> None:
        """Data written by a version-1 schema survives the upgrade, and the new tables work."""
        engine = make_engine(store_url)
        with engine.begin() as conn:
            create_version(conn, 1)
            assert not sa.inspect(conn).has_table("claimflow_sync_cursors")
        # the version-1 tables are those the store's order-product path uses
        v1 = Store(engine)
        v1.put(cf.OrderProduct("OP-1", "toss", cf.Status.DELIVERED, "ITEM-A", 9_000))
        v1.apply_local("OP-1", "return.request", "BUYER", **REASON)
        upgraded = Store.open(engine, upgrade=True)
        with upgraded.transaction() as conn:
            assert SCHEMA_VERSION == schema_version(conn)
            assert sa.inspect(conn).has_table("claimflow_sync_cursors")
            assert sa.inspect(conn).has_table("claimflow_remote_claims")
        assert [1] == [e.version for e in upgraded.history("OP-1")]
        assert 2 == upgraded.apply_local("OP-1", "return.approve", "SELLER").event.version
        engine.dispose()

    def test_tables_without_version_row(self, store_url: str) -> None:
        """claimflow tables without a version row are reported, not overwritten."""
        engine = make_engine(store_url)
        with engine.begin() as conn:
            create_version(conn, SCHEMA_VERSION)
            conn.execute(meta.delete())
            conn.execute(sa.text("DROP TABLE claimflow_meta"))
        with pytest.raises(SchemaVersionError, match="no schema version row"):
            Store.open(engine)
        engine.dispose()

    def test_no_create(self, store_url: str) -> None:
        """create=False on an empty database raises instead of creating tables."""
        with pytest.raises(SchemaVersionError, match="create=True"):
            Store.open(store_url, create=False)


class TestAsyncTwin:
    def test_same_protocol(self, store_url: str) -> None:
        """The async store runs the same steps: put, apply, intent, busy, finish, effects."""

        async def scenario() -> tuple[int, int, list[str]]:
            s = await AsyncStore.open(store_url)
            try:
                await s.put(cf.OrderProduct("OP-1", "toss", cf.Status.DELIVERED, "I", 5_000))
                await s.apply_local("OP-1", "return.request", "BUYER", **REASON)
                await s.apply_local("OP-1", "return.approve", "SELLER")
                await s.apply_local("OP-1", "return.collect", "SELLER")
                intent = await s.begin_intent("OP-1", "return.complete", "SELLER")
                with pytest.raises(BusyError):
                    await s.begin_intent("OP-1", "return.complete", "SELLER")
                done = await s.finish_intent(intent, IntentOutcome.APPLIED)
                assert done is not None
                history = await s.history("OP-1")
                claimed = await s.claim_effects()
                for e in claimed:
                    await s.settle_effect(e)
                return done.event.version, len(history), [e.key for e in claimed]
            finally:
                await s.close()

        assert (4, 4, ["OP-1:4:REFUND"]) == asyncio.run(scenario())
        assert 4 == Store.open(store_url).get("OP-1").version

    def test_serialization_failure_is_retried(self, store_url: str) -> None:
        """SQLSTATE 40001 in an async step: the transaction runs again and commits once."""

        class FakeSerializationError(Exception):
            sqlstate = "40001"

        calls: list[int] = []

        def hook(_conn: sa.Connection, event: cf.HistoryEvent) -> None:
            calls.append(event.version)
            if len(calls) == 1:
                raise sa.exc.OperationalError("COMMIT", {}, FakeSerializationError("restart"))

        async def scenario() -> list[int]:
            s = await AsyncStore.open(store_url)
            try:
                s.add_commit_hook(hook)
                await s.put(cf.OrderProduct("OP-1", "toss", cf.Status.DELIVERED, "I", 5_000))
                await s.apply_local("OP-1", "return.request", "BUYER", **REASON)
                return [e.version for e in await s.history("OP-1")]
            finally:
                await s.close()

        assert ([1], [1, 1]) == (asyncio.run(scenario()), calls)
