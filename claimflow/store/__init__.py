"""claimflow.store: durable claims shared by many workers (SQLite by default, PostgreSQL for many).

Needs the ``store`` extra (SQLAlchemy 2 Core, cattrs); PostgreSQL also the ``postgres`` extra
(psycopg 3). One schema (:data:`metadata`) for both engines.

API
===

Opening::

    from claimflow.store import Store
    store = Store.open("sqlite:///claims.db")             # embedded default: WAL, BEGIN IMMEDIATE
    store = Store.open("postgresql://app@db/claims")       # many workers (psycopg 3)
    store = Store.open(engine)                             # a SQLAlchemy Engine you made
    store = Store.open(connection)                         # inside the OMS's own transaction

``Store.open(target, create=True, upgrade=False)`` checks the schema version
(:class:`~claimflow.exceptions.SchemaVersionError` when older — open with ``upgrade=True`` — or
newer). Every method below is **one transaction**; on a ``Connection`` already in a transaction it
is a SAVEPOINT inside it and the OMS commits. When the store owns the transaction, a step the
database asks to retry (SQLSTATE 40001 / 40P01) runs again, up to ``retries`` times.

Order products and history::

    store.put(op, order_id="O-1")         # a new order product; order_id is the shard key
    store.get("OP-1") -> OrderProduct     # UnknownOrderProductError / CorruptRowError
    store.history("OP-1") -> (HistoryEvent, ...)   # versions 1..n, gapless by primary key
    store.apply_local("OP-1", "return.approve", "SELLER", expected_version=3) -> Applied

The protocol around a marketplace call::

    intent = store.begin_intent("OP-1", "return.complete", "SELLER")   # (1) BusyError if held
    ... call the marketplace ...                                        # (2)
    store.finish_intent(intent, IntentOutcome.APPLIED, applied=done)    # (3) StaleVersionError
    store.finish_intent(intent, IntentOutcome.REFUSED, error="...")     #     NOT_APPLIED
    store.finish_intent(intent, IntentOutcome.UNKNOWN)                  #     stays SENT
    store.apply_remote(adapter, "OP-1", "return.complete", "SELLER")   # (1)+(2)+(3)

    store.pending_intents(lease_expired_before=now, shard=Shard(0, 4)) -> [Intent]  # reconcile
    store.record_change(new_op, event, expected_version=v, origin="ADOPTED", intent=intent)

The effect outbox (REFUND, RESTORE_STOCK, NOTIFY_BUYER, ...; key ``{op}:{version}:{kind}``)::

    for e in store.claim_effects([EffectKind.REFUND], limit=10):   # lease + attempt
        pay.refund(e.effect.amount, idempotency_key=e.key)
        store.settle_effect(e, Settlement.DONE)                    # or RETRY / DEAD
    run_effects(store, {EffectKind.REFUND: handler})               # the same, as a loop step
    store.on_commit(EffectKind.RESTORE_STOCK, fn)   # fn(conn, effect) inside the commit: once
    store.add_commit_hook(fn)                       # fn(conn, event) inside every commit

The async twin :class:`AsyncStore` has the same methods (``await``), over SQLAlchemy's async
engine (aiosqlite, psycopg async).

Guarantees, and only these: a history event, its order product's new version and its effects are
written in one transaction or not at all (``exactly once`` holds inside that transaction, hence
for :meth:`Store.on_commit` handlers); at most one intent is in flight per order product (a unique
partial index); an effect is delivered **at least once** with its idempotency key. The store uses
only row-level primitives (keys, ``UPDATE … WHERE version =``, ``FOR UPDATE SKIP LOCKED`` filtered
by the order id's bucket): no table locks, no advisory locks, no global sequence. See
``docs/scaling.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ..exceptions import (
    BusyError,
    CorruptRowError,
    DuplicateOrderProductError,
    InvalidStoreURLError,
    MissingExtraError,
    SchemaVersionError,
    StoreError,
    StoreUnavailableError,
    UnknownOrderProductError,
)
from ._async import AsyncStore
from ._effects import (
    DeliveryReport,
    EffectHandler,
    PermanentEffectError,
    Settlement,
    StoredEffect,
    backoff,
    deliver_effects,
    effect_key,
    run_effects,
)
from ._migrate import create_version, schema_version
from ._protocol import Intent, IntentOutcome, Shard
from ._schema import (
    SCHEMA_VERSION,
    EffectStatus,
    IntentStatus,
    bucket_of,
    metadata,
)
from ._store import CommitHook, InTransactionHandler, Row, Store, make_engine

if TYPE_CHECKING:  # imported on first use: they need the adapters extra
    from ._sync import SyncReport, read_cursor, sync
    from ._worker import (
        PacedTransport,
        Worker,
        WorkerConfig,
        describe_effect,
        make_adapter,
        print_effect,
        reconcile_intent,
        reconcile_pending,
        ref_of,
        run_worker,
        worker_command,
    )

#: The names of the sync and the worker, by module: both need the adapters extra (httpx).
_LAZY = {
    "_sync": frozenset({"SyncReport", "read_cursor", "sync"}),
    "_worker": frozenset(
        {
            "PacedTransport",
            "Worker",
            "WorkerConfig",
            "describe_effect",
            "make_adapter",
            "print_effect",
            "reconcile_intent",
            "reconcile_pending",
            "ref_of",
            "run_worker",
            "worker_command",
        }
    ),
}


def __getattr__(name: str) -> object:
    """The sync and the worker, imported on first use (they need the adapters extra)."""
    for module, names in _LAZY.items():
        if name in names:
            try:
                loaded = importlib.import_module(f".{module}", __name__)
            except MissingExtraError:
                raise
            except ImportError as e:  # httpx and the adapters: not installed with [store] alone
                msg = (
                    f"claimflow.store.{name} needs the adapters extra ({e.name} is not "
                    "installed): pip install 'claimflow[store,adapters]'"
                )
                raise MissingExtraError(msg, extra="adapters") from None
            return getattr(loaded, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "SCHEMA_VERSION",
    "AsyncStore",
    "BusyError",
    "CommitHook",
    "CorruptRowError",
    "DeliveryReport",
    "DuplicateOrderProductError",
    "EffectHandler",
    "EffectStatus",
    "InTransactionHandler",
    "Intent",
    "IntentOutcome",
    "IntentStatus",
    "InvalidStoreURLError",
    "PacedTransport",
    "PermanentEffectError",
    "Row",
    "SchemaVersionError",
    "Settlement",
    "Shard",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "StoredEffect",
    "SyncReport",
    "UnknownOrderProductError",
    "Worker",
    "WorkerConfig",
    "backoff",
    "bucket_of",
    "create_version",
    "deliver_effects",
    "describe_effect",
    "effect_key",
    "make_adapter",
    "make_engine",
    "metadata",
    "print_effect",
    "read_cursor",
    "reconcile_intent",
    "reconcile_pending",
    "ref_of",
    "run_effects",
    "run_worker",
    "schema_version",
    "sync",
    "worker_command",
]
