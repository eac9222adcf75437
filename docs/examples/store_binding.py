"""A database-backed binding on claimflow's store: every replay gets a fresh SQLite database.

The system under test here is what an OMS built on claimflow runs in production: claimflow's
engine deciding, :mod:`claimflow.store` persisting (``Store.open("sqlite:///…")``, the store's
embedded default, then ``put``, ``apply_local``, ``get``). Nothing is kept in Python between
steps: ``perform`` reports the effects the store queued in its outbox for the new version, and
``read`` loads the order product back from the database, so the oracle checks the store itself —
every reachable state survives a round trip through its rows, every action is one transaction,
a refusal writes nothing, the outbox holds exactly the model's effects with their amounts.

The oracle calls the factory again for every journey and for every replay of a shortened
journey while it minimizes a counterexample, so each call must give a system with nothing in it:
each :class:`StoreBinding` opens a store on a new file in its own temporary directory (removed
with the binding). With PostgreSQL, create a database or schema per call the same way.

For an OMS that decides with its *own* rules and its own tables, see ``sqlite_binding.py``.
"""

from __future__ import annotations

import tempfile
import weakref
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from claimflow import ActionRefusedError, OrderProduct
from claimflow.store import Store, make_engine
from claimflow.testing import Observed, Performed, Refused


def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
    # a throwaway test database: no need to wait for the disk on every commit
    dbapi_connection.execute("PRAGMA synchronous = OFF")


def _remove(engine: sa.Engine, tmp: tempfile.TemporaryDirectory[str]) -> None:
    engine.dispose()
    tmp.cleanup()


class StoreBinding:
    """claimflow's engine + store on a fresh SQLite file per instance (one per replay)."""

    def __init__(self) -> None:
        tmp = tempfile.TemporaryDirectory(prefix="claimflow-oracle-")
        self.path = Path(tmp.name) / "claims.db"
        engine = make_engine(f"sqlite:///{self.path}")  # the store's SQLite default (WAL)
        sa.event.listen(engine, "connect", _no_fsync)
        self.store = Store.open(engine)  # creates the tables
        weakref.finalize(self, _remove, engine, tmp)

    def create(self, order_product: OrderProduct) -> str:
        self.store.put(order_product)
        return order_product.id

    def perform(self, handle: str, action: Any, actor: Any, params: Any) -> Any:
        try:
            done = self.store.apply_local(handle, action, actor, **params)
        except ActionRefusedError as e:  # nothing was written
            return Refused(e.decision.codes[0])
        version = done.order_product.version
        queued = self.store.effects(handle)  # read back from the outbox, not from `done`
        return Performed([e.effect for e in queued if e.version == version])

    def read(self, handle: str) -> Observed:
        op = self.store.get(handle)  # loaded from the database
        c = op.open_claim
        return Observed(op.status, c.type if c else None, c.status if c else None)
