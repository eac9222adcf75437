"""claimflow.store.sync writes a batch in parts, inside the batch's one transaction.

Against the Toss emulator in-process (ASGI), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import claimflow as cf
from claimflow._vocab import SEOUL
from claimflow.adapters import Client, RetryPolicy
from claimflow.emulators.toss import TossEmulator
from claimflow.store import Store, make_adapter, sync
from claimflow.store._schema import events, order_products
from claimflow.store._sync import FLUSH_EVERY
from claimflow.testing import SyncASGITransport

FAST = RetryPolicy(attempts=6, timeout=10.0, wait_initial=0.0005, wait_max=0.002, wait_jitter=0)
COUNT = FLUSH_EVERY + FLUSH_EVERY // 2  # one batch, written in two parts


def requests(count: int) -> TossEmulator:
    """*count* Toss order products ordered today, each with a buyer's cancel request."""
    emulator = TossEmulator()
    now = dt.datetime.now(SEOUL).replace(microsecond=0)
    for i in range(count):
        record = emulator.add("PREPARING", id=f"F{i:05d}", ordered_at=now, unit_price=10_000)
        emulator.buyer(record.op.id, "cancel.request", reason="변심", at=now)
    return emulator


def in_process(emulator: TossEmulator) -> Client:
    """An adapter talking to *emulator* in-process (ASGI), with quick retries."""
    return make_adapter(
        cf.Marketplace.TOSS,
        "http://127.0.0.1",
        emulator=True,
        retry=FAST,
        transport=SyncASGITransport(emulator.app),
    )


def rows(store: Store) -> tuple[int, int]:
    """How many order products and events the store holds."""
    with store.transaction() as conn:
        ops = conn.execute(sa.select(sa.func.count()).select_from(order_products)).scalar_one()
        evs = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    return ops, evs


class TestBatchInParts:
    def test_commit_hooks_see_every_event_after_the_writes(self, store: Store) -> None:
        """A batch larger than one part calls the commit hooks once per event, each seeing its
        order product written (every part of the batch is written before the hooks run)."""
        emulator = requests(COUNT)
        seen: list[tuple[str, int]] = []

        def hook(conn: sa.Connection, event: cf.HistoryEvent) -> None:
            n = conn.execute(
                sa.select(sa.func.count())
                .select_from(order_products)
                .where(order_products.c.id == event.order_product_id)
            ).scalar_one()
            seen.append((event.order_product_id, n))

        store.add_commit_hook(hook)
        with in_process(emulator) as adapter:
            report = sync(store, adapter, batch=COUNT)
        expected = [(f"F{i:05d}", 1) for i in range(COUNT)]
        assert (COUNT, expected) == (report.events, sorted(seen))

    def test_a_failure_after_the_first_part_writes_nothing(self, store: Store) -> None:
        """A batch that fails after its first part was written (here a commit hook raising) is
        rolled back whole: the next pass finds nothing recorded and records it all once."""
        emulator = requests(COUNT)

        def refuse(_conn: sa.Connection, _event: cf.HistoryEvent) -> None:
            msg = "refused by the test"
            raise RuntimeError(msg)

        store.add_commit_hook(refuse)
        with in_process(emulator) as adapter, pytest.raises(RuntimeError):
            sync(store, adapter, batch=COUNT)
        assert (0, 0) == rows(store)
        store.core.commit_hooks.clear()
        with in_process(emulator) as adapter:
            report = sync(store, adapter, batch=COUNT)
        assert ((COUNT, COUNT), COUNT) == (rows(store), report.events)
