"""The effect outbox: queued with the history event, delivered at least once, settled once.

Every applied action's effects (REFUND, RESTORE_STOCK, NOTIFY_BUYER, ...) are inserted in the
same transaction as its history event, one row each, keyed by the idempotency key
``{order product}:{version}:{kind}``. A delivery worker claims due rows (:func:`claim_effects`:
``FOR UPDATE SKIP LOCKED`` on PostgreSQL), calls the OMS's handler for the kind with the key, and
settles the row (:func:`settle_effect`) in its own transaction: DONE, RETRY (after a backoff
computed into ``next_attempt_at``), or DEAD after the last attempt. A worker that dies between the
handler and the settle leaves the row CLAIMED; when its lease ends another worker delivers it
again with the same key: **at least once**. A handler that only writes the OMS's own database can
instead run inside the commit transaction (:meth:`Store.on_commit`): **exactly once**.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable, Collection, Mapping
from enum import StrEnum
from typing import Any

import attrs
import sqlalchemy as sa

from .._values import Effect
from .._vocab import EffectKind
from . import _codec
from ._protocol import Shard
from ._schema import EffectStatus, effects

__all__ = [
    "DeliveryReport",
    "EffectHandler",
    "Settlement",
    "StoredEffect",
    "backoff",
    "claim_effects",
    "deliver_effects",
    "effect_key",
    "run_effects",
    "settle_effect",
]

log = logging.getLogger("claimflow.store.effects")


def effect_key(order_product_id: str, version: int, kind: EffectKind | str) -> str:
    """The idempotency key of an effect: ``{order product}:{version}:{kind}``."""
    return f"{order_product_id}:{version}:{EffectKind(kind).value}"


class Settlement(StrEnum):
    """How a delivery ended, as :meth:`Store.settle_effect` is told."""

    DONE = "DONE"  # delivered
    RETRY = "RETRY"  # try again later (DEAD instead once the attempts are used up)
    DEAD = "DEAD"  # give up now (a permanent failure); stays visible


@attrs.frozen
class StoredEffect:
    """An effect as queued: its idempotency ``key`` (hand it to the payment / stock system),
    the order product and version whose event caused it, the :class:`~claimflow.Effect` data,
    its status and how many deliveries were attempted (this one included, once claimed)."""

    key: str
    order_product_id: str
    version: int
    order_id: str
    effect: Effect
    status: EffectStatus
    attempts: int
    next_attempt_at: dt.datetime
    lease_until: dt.datetime | None = None
    last_error: str | None = None

    @property
    def kind(self) -> EffectKind:
        """The effect's kind."""
        return self.effect.kind


#: An OMS's handler for one effect kind: raise to have the delivery retried.
EffectHandler = Callable[[StoredEffect], None]


def backoff(attempts: int, *, base: float = 1.0, cap: float = 600.0) -> dt.timedelta:
    """Delay before the next delivery after *attempts* failed ones: exponential with full jitter
    (``uniform(0, min(cap, base·2^(attempts-1)))``, at least 10 ms)."""
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=max(0.01, random.uniform(0, ceiling)))


def _stored(row: Any) -> StoredEffect:
    return StoredEffect(
        key=row.key,
        order_product_id=row.order_product_id,
        version=row.version,
        order_id=row.order_id,
        effect=_codec.load(row.data, Effect, table="claimflow_effects", key=row.key),
        status=_codec.load(row.status, EffectStatus, table="claimflow_effects", key=row.key),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        lease_until=row.lease_until,
        last_error=row.last_error,
    )


def insert_effects(
    conn: sa.Connection,
    *,
    order_product_id: str,
    version: int,
    order_id: str,
    bucket: int,
    items: Collection[Effect],
    in_transaction: Mapping[EffectKind, Callable[[sa.Connection, StoredEffect], None]],
    now: dt.datetime,
) -> None:
    """Queue *items* (one transaction with their event); kinds with an in-transaction handler run
    here and are stored DONE."""
    rows: list[dict[str, Any]] = []
    for e in items:
        key = effect_key(order_product_id, version, e.kind)
        handler = in_transaction.get(e.kind)
        status = EffectStatus.PENDING
        if handler is not None:
            handler(
                conn,
                StoredEffect(
                    key, order_product_id, version, order_id, e, EffectStatus.CLAIMED, 1, now
                ),
            )
            status = EffectStatus.DONE
        rows.append(
            {
                "key": key,
                "order_product_id": order_product_id,
                "version": version,
                "kind": e.kind.value,
                "order_id": order_id,
                "bucket": bucket,
                "data": _codec.dump_effect(e),
                "status": status.value,
                "attempts": 1 if handler is not None else 0,
                "next_attempt_at": now,
                "lease_until": None,
                "last_error": None,
                "created_at": now,
                "settled_at": now if handler is not None else None,
            }
        )
    if rows:
        conn.execute(effects.insert(), rows)


def claim_effects(
    conn: sa.Connection,
    *,
    kinds: Collection[EffectKind] | None,
    limit: int,
    lease: dt.timedelta,
    shard: Shard | None,
    now: dt.datetime,
) -> list[StoredEffect]:
    """Claim up to *limit* due effects: PENDING ones whose ``next_attempt_at`` has come, and
    CLAIMED ones whose lease ended (their worker died). Each gets a lease and one more attempt."""
    due = sa.or_(
        sa.and_(effects.c.status == EffectStatus.PENDING.value, effects.c.next_attempt_at <= now),
        sa.and_(effects.c.status == EffectStatus.CLAIMED.value, effects.c.lease_until < now),
    )
    query = sa.select(effects).where(due).order_by(effects.c.next_attempt_at).limit(limit)
    if kinds is not None:
        query = query.where(effects.c.kind.in_([EffectKind(k).value for k in kinds]))
    if shard is not None:
        query = query.where(effects.c.bucket % shard.count == shard.index)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    out: list[StoredEffect] = []
    for row in conn.execute(query).all():
        n = conn.execute(
            effects.update()
            .where(
                effects.c.key == row.key,
                effects.c.status == row.status,
                effects.c.attempts == row.attempts,
            )
            .values(
                status=EffectStatus.CLAIMED.value,
                lease_until=now + lease,
                attempts=row.attempts + 1,
            )
        ).rowcount
        if n == 1:
            out.append(
                attrs.evolve(
                    _stored(row),
                    status=EffectStatus.CLAIMED,
                    lease_until=now + lease,
                    attempts=row.attempts + 1,
                )
            )
    return out


def settle_effect(
    conn: sa.Connection,
    effect: StoredEffect,
    settlement: Settlement,
    *,
    error: str | None,
    retry_at: dt.datetime | None,
    max_attempts: int,
    now: dt.datetime,
) -> EffectStatus | None:
    """Settle a claimed effect. Returns its new status, or None when this claim was lost (its
    lease ended and another worker claimed it again: that worker settles it)."""
    status = EffectStatus.DONE
    values: dict[str, Any] = {"lease_until": None, "last_error": error}
    if settlement is Settlement.DONE:
        values["settled_at"] = now
    elif settlement is Settlement.DEAD or effect.attempts >= max_attempts:
        status = EffectStatus.DEAD
        values["settled_at"] = now
    else:
        status = EffectStatus.PENDING
        values["next_attempt_at"] = (
            retry_at if retry_at is not None else now + backoff(effect.attempts)
        )
    values["status"] = status.value
    n = conn.execute(
        effects.update()
        .where(
            effects.c.key == effect.key,
            effects.c.status == EffectStatus.CLAIMED.value,
            effects.c.attempts == effect.attempts,
        )
        .values(**values)
    ).rowcount
    return status if n == 1 else None


def list_effects(
    conn: sa.Connection, *, order_product_id: str | None, status: EffectStatus | None
) -> list[StoredEffect]:
    """Queued effects, filtered, by order product and version."""
    query = sa.select(effects).order_by(
        effects.c.order_product_id, effects.c.version, effects.c.kind
    )
    if order_product_id is not None:
        query = query.where(effects.c.order_product_id == order_product_id)
    if status is not None:
        query = query.where(effects.c.status == status.value)
    return [_stored(r) for r in conn.execute(query).all()]


# --- the delivery loop ------------------------------------------------------------------------


@attrs.define
class DeliveryReport:
    """What :func:`run_effects` did: deliveries settled DONE, put back for a retry, DEAD, and
    settles that found their claim lost."""

    done: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0

    @property
    def delivered(self) -> int:
        """How many handler calls were made."""
        return self.done + self.retried + self.dead + self.lost


def run_effects(
    store: Any,
    handlers: Mapping[EffectKind, EffectHandler],
    *,
    limit: int = 50,
    lease: dt.timedelta = dt.timedelta(seconds=60),
    shard: Shard | None = None,
) -> DeliveryReport:
    """Claim the due effects of the kinds in *handlers* and deliver each once; settle each in its
    own transaction. A handler that raises gets the delivery retried after a backoff (DEAD after
    the store's ``max_attempts``); one that raises :class:`PermanentEffectError` goes DEAD now."""
    report = DeliveryReport()
    claimed = store.claim_effects(kinds=list(handlers), limit=limit, lease=lease, shard=shard)
    for item in claimed:
        try:
            handlers[item.kind](item)
        except PermanentEffectError as e:
            outcome = store.settle_effect(item, Settlement.DEAD, error=_text(e))
        except Exception as e:
            log.warning("effect %s failed (attempt %d): %s", item.key, item.attempts, _text(e))
            outcome = store.settle_effect(item, Settlement.RETRY, error=_text(e))
        else:
            outcome = store.settle_effect(item, Settlement.DONE)
        if outcome is None:
            report.lost += 1
        elif outcome is EffectStatus.DONE:
            report.done += 1
        elif outcome is EffectStatus.DEAD:
            report.dead += 1
        else:
            report.retried += 1
    return report


def deliver_effects(
    store: Any,
    handlers: Mapping[EffectKind, EffectHandler],
    *,
    stop: threading.Event,
    idle: float = 1.0,
    max_idle: float = 10.0,
    limit: int = 50,
    lease: dt.timedelta = dt.timedelta(seconds=60),
    shard: Shard | None = None,
) -> DeliveryReport:
    """Run :func:`run_effects` until *stop* is set. When nothing is due it sleeps (*idle*
    seconds, doubling up to *max_idle*), so an idle worker does not spin."""
    total = DeliveryReport()
    wait = idle
    while not stop.is_set():
        r = run_effects(store, handlers, limit=limit, lease=lease, shard=shard)
        total.done += r.done
        total.retried += r.retried
        total.dead += r.dead
        total.lost += r.lost
        if r.delivered:
            wait = idle
            continue
        stop.wait(wait)
        wait = min(max_idle, wait * 2)
    return total


class PermanentEffectError(Exception):
    """Raised by an effect handler when retrying cannot help: the effect goes DEAD at once."""


def _text(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"[:2000]
