"""The store's tables: one SQLAlchemy ``MetaData`` for SQLite and PostgreSQL.

Uniqueness lives in the schema, not in code:

- ``claimflow_events`` has the primary key ``(order_product_id, version)``: two workers cannot both
  write version *n* of one order product, so a gapless history is a schema fact;
- ``claimflow_intents`` has a unique *partial* index on ``order_product_id`` over the in-flight
  statuses (PENDING, SENT): at most one marketplace call in flight per order product (partial
  indexes exist on SQLite ≥ 3.8, PostgreSQL, CockroachDB, YugabyteDB and Citus);
- ``claimflow_effects`` is keyed by its idempotency key ``{order product}:{version}:{kind}`` and
  has the unique key ``(order_product_id, version, kind)``: an effect is queued once.

Every row carries the order id (``order_id``, the shard key) and ``bucket``, a stable hash of it
(CRC-32), so a worker can take a share of the work with ``bucket % count = index`` and a sharded
deployment can place an order's rows together. No table needs a global sequence: ids are the
marketplace's ids or UUIDs.

``SCHEMA_VERSION`` is the version this code writes; the ``claimflow_meta`` row ``schema`` holds the
database's. :mod:`claimflow.store._migrate` upgrades an older database step by step.
"""

from __future__ import annotations

import datetime as dt
import zlib
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

__all__ = [
    "IN_FLIGHT",
    "SCHEMA_VERSION",
    "EffectStatus",
    "IntentStatus",
    "bucket_of",
    "effects",
    "events",
    "intents",
    "meta",
    "metadata",
    "order_products",
    "remote_claims",
    "sync_cursors",
]

#: The schema version this code reads and writes (see claimflow.store._migrate for the history).
SCHEMA_VERSION = 2


class IntentStatus(StrEnum):
    """Where a marketplace call stands.

    PENDING: recorded, not sent yet; SENT: the call may be on its way (outcome unknown until it is
    finished or reconciled); APPLIED: the marketplace accepted it and the local state moved;
    NOT_APPLIED: it did not take effect (refused, or reconciled as not carried out);
    FAILED: given up on (the reconcile worker could not judge it; an operator must look).
    """

    PENDING = "PENDING"
    SENT = "SENT"
    APPLIED = "APPLIED"
    NOT_APPLIED = "NOT_APPLIED"
    FAILED = "FAILED"


#: Statuses in which an intent holds its order product (the unique partial index covers these).
IN_FLIGHT = (IntentStatus.PENDING, IntentStatus.SENT)


class EffectStatus(StrEnum):
    """Where a queued effect stands: PENDING (to deliver, maybe after a retry delay), CLAIMED (a
    worker is delivering it under a lease), DONE (delivered), DEAD (gave up after the last
    attempt; stays visible for an operator)."""

    PENDING = "PENDING"
    CLAIMED = "CLAIMED"
    DONE = "DONE"
    DEAD = "DEAD"


def bucket_of(order_id: str) -> int:
    """The shard bucket of an order id: CRC-32 of its UTF-8 bytes (stable across processes)."""
    return zlib.crc32(order_id.encode()) & 0x7FFFFFFF


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A UTC timestamp on every engine: aware in Python, UTC in the database (SQLite has no zone
    type, so it stores naive UTC text there, which still sorts and compares correctly)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            msg = f"timestamps must be timezone-aware datetimes, got {value!r}"
            raise TypeError(msg)
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


metadata = sa.MetaData()

_TS = UTCDateTime()

meta = sa.Table(
    "claimflow_meta",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)

order_products = sa.Table(
    "claimflow_order_products",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("marketplace", sa.String(16), nullable=False),
    # the shard key: the marketplace's order id (the order product id when none is known)
    sa.Column("order_id", sa.String(200), nullable=False),
    sa.Column("bucket", sa.Integer, nullable=False),
    sa.Column("ordered_on", sa.Date, nullable=True),
    # the marketplace's own ids for this line (e.g. x2bee's claim numbers), as a JSON object
    sa.Column("marketplace_ids", sa.JSON, nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # the whole OrderProduct as cattrs unstructures it
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
    sa.Index("ix_claimflow_order_products_order", "order_id"),
)

events = sa.Table(
    "claimflow_events",
    metadata,
    sa.Column("order_product_id", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("order_id", sa.String(200), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("actor", sa.String(16), nullable=False),
    # LOCAL (apply_local), REMOTE (an intent the marketplace accepted), ADOPTED (an external
    # change found by reconcile), SYNC (ingested from the marketplace's lists)
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("intent_id", sa.String(64), nullable=True),
    sa.Column("event", sa.JSON, nullable=False),
    sa.Column("at", _TS, nullable=False),
)

intents = sa.Table(
    "claimflow_intents",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("order_product_id", sa.String(200), nullable=False),
    sa.Column("order_id", sa.String(200), nullable=False),
    sa.Column("bucket", sa.Integer, nullable=False),
    sa.Column("marketplace", sa.String(16), nullable=False),
    sa.Column("base_version", sa.Integer, nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("actor", sa.String(16), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    # the order product as it was at base_version (the reconcile worker judges against it)
    sa.Column("base_state", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("lease_until", _TS, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    # what the marketplace answered that the local commit needs (e.g. a new claim id), or why not
    sa.Column("result", sa.JSON, nullable=True),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
    sa.Index(
        "ux_claimflow_intents_in_flight",
        "order_product_id",
        unique=True,
        sqlite_where=sa.text("status IN ('PENDING', 'SENT')"),
        postgresql_where=sa.text("status IN ('PENDING', 'SENT')"),
    ),
    sa.Index("ix_claimflow_intents_status_lease", "status", "lease_until"),
)

effects = sa.Table(
    "claimflow_effects",
    metadata,
    # the idempotency key handed to the handler: "{order product}:{version}:{kind}"
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("order_product_id", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("order_id", sa.String(200), nullable=False),
    sa.Column("bucket", sa.Integer, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", _TS, nullable=False),
    sa.Column("lease_until", _TS, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("settled_at", _TS, nullable=True),
    sa.UniqueConstraint("order_product_id", "version", "kind", name="uq_claimflow_effects_once"),
    sa.Index("ix_claimflow_effects_due", "status", "next_attempt_at"),
)

# --- added in schema version 2 (for the marketplace sync; see _migrate.py) ---------------------

sync_cursors = sa.Table(
    "claimflow_sync_cursors",
    metadata,
    sa.Column("marketplace", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)

remote_claims = sa.Table(
    "claimflow_remote_claims",
    metadata,
    # one row per (marketplace claim id, state) seen: ingesting it twice is a key violation
    sa.Column("marketplace", sa.String(16), primary_key=True),
    sa.Column("claim_id", sa.String(200), primary_key=True),
    sa.Column("state", sa.String(80), primary_key=True),
    sa.Column("order_product_id", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("seen_at", _TS, nullable=False),
)
