"""The commit protocol around a marketplace call, as steps on one open transaction each.

1. :func:`begin_intent`: load the order product, ``claimflow.check`` the action, insert an intent
   (SENT, base version, lease). The unique partial index on in-flight intents turns a second
   worker on the same order product into a :class:`~claimflow.exceptions.BusyError`.
2. The caller calls the marketplace (outside any transaction).
3. :func:`finish_intent`: APPLIED → ``UPDATE … WHERE version = base`` (0 rows:
   :class:`~claimflow.StaleVersionError`), history event and effects inserted, intent APPLIED;
   REFUSED → intent NOT_APPLIED, state unchanged; UNKNOWN → intent stays SENT with its lease
   ended, for the reconcile worker (:func:`pending_intents`).

Every function here takes a SQLAlchemy ``Connection`` inside a transaction the caller opened
(:class:`~claimflow.store.Store` opens one per step), so the async twin runs the same code.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from .._engine import apply, check
from .._values import Applied, HistoryEvent, OrderProduct, Params
from .._vocab import Action, Actor
from ..exceptions import ActionRefusedError, BusyError, StaleVersionError
from . import _codec
from ._schema import IN_FLIGHT, IntentStatus, intents

if TYPE_CHECKING:
    from ._store import Row, StoreCore

__all__ = [
    "Intent",
    "IntentOutcome",
    "Shard",
    "begin_intent",
    "finish_intent",
    "pending_intents",
]


class IntentOutcome(StrEnum):
    """How a marketplace call ended, as :meth:`Store.finish_intent` is told."""

    APPLIED = "APPLIED"  # the marketplace accepted it: commit locally
    REFUSED = "REFUSED"  # it did not take effect (refused, or nothing was sent): NOT_APPLIED
    UNKNOWN = "UNKNOWN"  # no answer: stays SENT for the reconcile worker
    FAILED = "FAILED"  # given up on (an operator must look); releases the order product


@attrs.frozen
class Shard:
    """A worker's share of the work: the rows whose ``bucket % count == index``.

    ``bucket`` is CRC-32 of the order id (:func:`claimflow.store.bucket_of`), so all rows of one
    order fall in the same share.
    """

    index: int
    count: int

    def __attrs_post_init__(self) -> None:
        if not (self.count >= 1 and 0 <= self.index < self.count):
            msg = f"shard: index must be in 0..{self.count - 1} and count ≥ 1, got {self!r}"
            raise ValueError(msg)


@attrs.frozen
class Intent:
    """A marketplace call about to be made (or made, outcome unknown), as stored.

    ``order_product`` is the order product at ``base_version``: what the action was decided on.
    ``attempts`` counts how often it was claimed (1 by :meth:`Store.begin_intent`, +1 per claim
    by the reconcile worker).
    """

    id: str
    order_product: OrderProduct
    base_version: int
    action: Action
    actor: Actor
    params: Params
    status: IntentStatus
    lease_until: dt.datetime
    attempts: int
    order_id: str
    result: Mapping[str, Any] | None = None

    @property
    def order_product_id(self) -> str:
        """The id of the order product this intent is about."""
        return self.order_product.id

    def kwargs(self) -> dict[str, Any]:
        """The action's parameters as keyword arguments (for ``claimflow.apply`` and adapters)."""
        return dict(self.params)


def _intent(row: Any) -> Intent:
    key = str(row.id)
    return Intent(
        id=key,
        order_product=_codec.load(row.base_state, OrderProduct, table="claimflow_intents", key=key),
        base_version=row.base_version,
        action=_codec.load(row.action, Action, table="claimflow_intents", key=key),
        actor=_codec.load(row.actor, Actor, table="claimflow_intents", key=key),
        params=_codec.load(row.params, Params, table="claimflow_intents", key=key),
        status=_codec.load(row.status, IntentStatus, table="claimflow_intents", key=key),
        lease_until=row.lease_until,
        attempts=row.attempts,
        order_id=row.order_id,
        result=row.result,
    )


def in_flight(conn: sa.Connection, order_product_id: str) -> Any | None:
    """The in-flight intent of *order_product_id*, if any."""
    return conn.execute(
        sa.select(intents.c.id, intents.c.lease_until).where(
            intents.c.order_product_id == order_product_id,
            intents.c.status.in_(IN_FLIGHT),
        )
    ).first()


def busy(order_product_id: str, holder: Any | None) -> BusyError:
    """The BusyError for an order product held by *holder* (an in-flight intent row)."""
    if holder is None:
        msg = (
            f"order product {order_product_id!r} is held by another worker's intent "
            "(it was taken a moment ago); nothing was written"
        )
        return BusyError(msg, order_product_id=order_product_id)
    msg = (
        f"order product {order_product_id!r} is held by intent {holder.id!r} until "
        f"{holder.lease_until.isoformat()} (a marketplace call in flight); nothing was written"
    )
    return BusyError(
        msg, order_product_id=order_product_id, intent_id=holder.id, lease_until=holder.lease_until
    )


def begin_intent(  # noqa: PLR0917 - mirrors Store.begin_intent's positional arguments
    core: StoreCore,
    conn: sa.Connection,
    order_product_id: str,
    action: Action | str,
    actor: Actor | str,
    params: Mapping[str, object],
    *,
    expected_version: int | None,
    lease: dt.timedelta,
    now: dt.datetime,
) -> Intent:
    """Step 1: load, check, insert the intent SENT with its lease. See the module docstring."""
    row: Row = core.load(conn, order_product_id, for_update=True)
    op = row.order_product
    if expected_version is not None and expected_version != op.version:
        msg = (
            f"order product {op.id!r} is at version {op.version}, not the expected "
            f"{expected_version}: re-read it and decide again"
        )
        raise StaleVersionError(msg, expected=expected_version, actual=op.version)
    holder = in_flight(conn, op.id)
    if holder is not None:
        raise busy(op.id, holder)
    decision = check(op, action, actor, **params)
    if not decision.allowed:
        raise ActionRefusedError(decision)
    intent = Intent(
        id=uuid.uuid4().hex,
        order_product=op,
        base_version=op.version,
        action=decision.action,
        actor=decision.actor,
        params=tuple(params.items()),
        status=IntentStatus.SENT,
        lease_until=now + lease,
        attempts=1,
        order_id=row.order_id,
    )
    try:
        with conn.begin_nested():
            conn.execute(
                intents.insert().values(
                    id=intent.id,
                    order_product_id=op.id,
                    order_id=row.order_id,
                    bucket=row.bucket,
                    marketplace=op.marketplace.value,
                    base_version=op.version,
                    action=intent.action.value,
                    actor=intent.actor.value,
                    params=_codec.dump_params(intent.params),
                    base_state=_codec.dump_order_product(op),
                    status=IntentStatus.SENT.value,
                    lease_until=intent.lease_until,
                    attempts=1,
                    result=None,
                    created_at=now,
                    updated_at=now,
                )
            )
    except sa.exc.IntegrityError:
        raise busy(op.id, in_flight(conn, op.id)) from None
    return intent


def _close(
    conn: sa.Connection,
    intent: Intent,
    status: IntentStatus,
    result: Mapping[str, Any] | None,
    now: dt.datetime,
    *,
    lease_until: dt.datetime | None = None,
) -> None:
    values: dict[str, Any] = {"status": status.value, "updated_at": now}
    if result is not None:
        values["result"] = dict(result)
    if lease_until is not None:
        values["lease_until"] = lease_until
    n = conn.execute(
        intents.update()
        .where(intents.c.id == intent.id, intents.c.status.in_(IN_FLIGHT))
        .values(**values)
    ).rowcount
    if n != 1:
        current = conn.execute(
            sa.select(intents.c.status).where(intents.c.id == intent.id)
        ).scalar_one_or_none()
        msg = (
            f"intent {intent.id!r} ({intent.action} on {intent.order_product_id!r}) is no longer "
            f"in flight (status {current}): another worker finished it; nothing was written"
        )
        raise StaleVersionError(msg, expected=intent.base_version, actual=intent.base_version + 1)


def finish_intent(
    core: StoreCore,
    conn: sa.Connection,
    intent: Intent,
    outcome: IntentOutcome,
    *,
    applied: Applied | Any | None,
    claim_id: str | None,
    error: str | None,
    at: dt.datetime | None,
    now: dt.datetime,
) -> Applied | None:
    """Step 3. Returns the committed :class:`~claimflow.Applied` for APPLIED, else None."""
    if outcome is IntentOutcome.APPLIED:
        if applied is None:
            applied = apply(
                intent.order_product,
                intent.action,
                intent.actor,
                expected_version=intent.base_version,
                claim_id=claim_id,
                at=at if at is not None else now,
                **intent.kwargs(),
            )
        new: OrderProduct = applied.order_product
        event: HistoryEvent = applied.event
        if new.id != intent.order_product_id or event.version != intent.base_version + 1:
            msg = (
                f"the applied result is for {new.id!r} version {event.version}, not for intent "
                f"{intent.id!r} ({intent.order_product_id!r} version {intent.base_version + 1})"
            )
            raise ValueError(msg)
        result = {"claim_id": event.claim_id} if event.claim_id else {}
        _close(conn, intent, IntentStatus.APPLIED, result, now)
        core.commit_change(
            conn,
            base_version=intent.base_version,
            new=new,
            event=event,
            origin="REMOTE",
            intent_id=intent.id,
            now=now,
        )
        if isinstance(applied, Applied):
            return applied
        return Applied(new, event, applied.decision)
    if outcome is IntentOutcome.REFUSED:
        _close(conn, intent, IntentStatus.NOT_APPLIED, {"error": error} if error else None, now)
    elif outcome is IntentOutcome.FAILED:
        _close(conn, intent, IntentStatus.FAILED, {"error": error} if error else None, now)
    else:  # UNKNOWN: stays SENT, lease ended so that the reconcile worker takes it now
        _close(
            conn,
            intent,
            IntentStatus.SENT,
            {"unknown": error} if error else None,
            now,
            lease_until=now,
        )
    return None


def pending_intents(
    conn: sa.Connection,
    *,
    lease_expired_before: dt.datetime,
    shard: Shard | None,
    limit: int,
    lease: dt.timedelta,
    now: dt.datetime,
) -> list[Intent]:
    """Claim up to *limit* in-flight intents whose lease ended before *lease_expired_before*.

    Each claimed intent gets a new lease (``now + lease``) and one more attempt, in this one
    transaction; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL lets many reconcile workers claim
    disjoint intents (SQLite's ``BEGIN IMMEDIATE`` serialises them). The lease update is
    conditional on the lease read, so an engine without ``SKIP LOCKED`` is still correct.
    """
    query = (
        sa.select(intents)
        .where(intents.c.status.in_(IN_FLIGHT), intents.c.lease_until < lease_expired_before)
        .order_by(intents.c.lease_until)
        .limit(limit)
    )
    if shard is not None:
        query = query.where(intents.c.bucket % shard.count == shard.index)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed: list[Intent] = []
    for row in conn.execute(query).all():
        n = conn.execute(
            intents.update()
            .where(intents.c.id == row.id, intents.c.lease_until == row.lease_until)
            .values(lease_until=now + lease, attempts=row.attempts + 1, updated_at=now)
        ).rowcount
        if n == 1:
            claimed.append(
                attrs.evolve(_intent(row), lease_until=now + lease, attempts=row.attempts + 1)
            )
    return claimed


def get_intent(conn: sa.Connection, intent_id: str) -> Intent | None:
    """The stored intent *intent_id*, or None."""
    row = conn.execute(sa.select(intents).where(intents.c.id == intent_id)).first()
    return None if row is None else _intent(row)


def intents_of(conn: sa.Connection, order_product_id: str) -> list[Intent]:
    """Every intent of *order_product_id*, oldest first."""
    rows = conn.execute(
        sa.select(intents)
        .where(intents.c.order_product_id == order_product_id)
        .order_by(intents.c.created_at, intents.c.id)
    ).all()
    return [_intent(r) for r in rows]
