"""The worker: one process running the reconcile loop, the sync loop and the effect loop.

``claimflow worker --store URL --marketplace toss`` (see :func:`run_worker`) runs, until SIGTERM or
SIGINT:

- the **reconcile loop**: claims SENT intents whose lease ended (:meth:`Store.pending_intents`:
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), reads the order product
  back and judges by the intent (:func:`claimflow.adapters.reconcile`): APPLIED commits the
  intent's change (and any external change after it), NOT_APPLIED releases the order product,
  ADOPTED records the external change with its own events and effects and releases it, IN_FLIGHT
  leaves the intent to a later round (its lease);
- the **sync loop**: :func:`claimflow.store.sync` every ``sync_every`` seconds;
- the **effect loop**: :func:`claimflow.store.deliver_effects` with the handlers an OMS registers
  per effect kind (each delivered at least once with its idempotency key, DEAD after the store's
  ``max_attempts``).

No loop spins: an idle round sleeps (``idle``, doubling up to ``max_idle``), a failing one backs
off. SIGTERM ends the current round, then the process exits 0. Every store step is one
transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections import Counter
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .._vocab import Marketplace
from ..adapters import Client, OrderRef, Reconciled, ReconcileOutcome, RetryPolicy, reconcile
from ..adapters._commit import IN_FLIGHT_SECONDS, pending_action
from ..exceptions import (
    ActionRefusedError,
    InvalidInputError,
    MarketplaceError,
    StaleVersionError,
    StoreError,
)
from . import _protocol
from ._protocol import Intent, IntentOutcome, Shard
from ._schema import intents
from ._store import Store

__all__ = [
    "CREDENTIAL_ENV",
    "make_adapter",
    "reconcile_intent",
    "reconcile_pending",
    "ref_of",
]

log = logging.getLogger("claimflow.worker")

#: Where :func:`make_adapter` reads each marketplace's credentials (never from the command line,
#: where other users of the machine could read them).
CREDENTIAL_ENV: Mapping[Marketplace, tuple[str, ...]] = {
    Marketplace.TOSS: ("CLAIMFLOW_TOSS_CLIENT_ID", "CLAIMFLOW_TOSS_CLIENT_SECRET"),
    Marketplace.IMWEB: ("CLAIMFLOW_IMWEB_KEY", "CLAIMFLOW_IMWEB_SECRET"),
    Marketplace.X2BEE: ("CLAIMFLOW_X2BEE_TOKEN",),
}

#: The credentials claimflow's emulators accept (``claimflow emulate``): not secrets.
EMULATOR_CREDENTIALS: Mapping[Marketplace, tuple[str, ...]] = {
    Marketplace.TOSS: ("emulator-client", "emulator-secret"),
    Marketplace.IMWEB: ("emulator-key", "emulator-secret"),
    Marketplace.X2BEE: ("emulator-token",),
}


def make_adapter(
    marketplace: Marketplace | str,
    base_url: str,
    *,
    credentials: tuple[str, ...] | None = None,
    emulator: bool = False,
    retry: RetryPolicy | None = None,
    timeout: float = 10.0,
    transport: Any = None,
) -> Client:
    """A synchronous adapter for *marketplace* at *base_url* (the root URL of its API, or of a
    ``claimflow emulate`` server when *emulator*).

    *credentials*: Toss (client id, secret), imweb (key, secret), x2bee (token); default: the
    environment variables of :data:`CREDENTIAL_ENV`, or the emulators' own with *emulator*.
    """
    from ..adapters import imweb, toss, x2bee  # noqa: PLC0415 - the adapters extra

    mp = Marketplace(marketplace)
    if credentials is None:
        if emulator:
            credentials = EMULATOR_CREDENTIALS[mp]
        else:
            names = CREDENTIAL_ENV[mp]
            missing = [n for n in names if not os.environ.get(n)]
            if missing:
                msg = f"{mp}: set {', '.join(missing)} in the environment (the credentials)"
                raise InvalidInputError(msg, field="credentials")
            credentials = tuple(os.environ[n] for n in names)
    base = base_url.rstrip("/")
    options: dict[str, Any] = {"retry": retry, "timeout": timeout, "transport": transport}
    if mp is Marketplace.TOSS:
        extra: dict[str, Any] = {"base_url": base}
        if emulator:
            extra["token_url"] = base + "/token"
        return toss.make_client(credentials[0], credentials[1], **extra, **options)
    if mp is Marketplace.IMWEB:
        extra = {"base_url": base}
        if emulator:
            extra = {"base_url": base + "/v2/shop", "auth_url": base + "/v2/auth"}
        return imweb.make_client(credentials[0], credentials[1], **extra, **options)
    hosts: dict[str, Any] = (
        {
            "order_url": base + "/api/order",
            "bo_url": base + "/api/bo",
            "goods_url": base + "/api/goods",
        }
        if emulator
        else {"order_url": base}
    )
    return x2bee.make_client(credentials[0], **hosts, **options)


def ref_of(store: Store, order_product_id: str) -> OrderRef:
    """Where the marketplace finds the stored order product (its order id and order date)."""
    row = store.row(order_product_id)
    return OrderRef(order_product_id, row.order_id, row.ordered_on)


# --- the reconcile loop ---------------------------------------------------------------------------


def _sent_at(store: Store, intent: Intent) -> dt.datetime | None:
    with store.transaction() as conn:
        value = conn.execute(
            sa.select(intents.c.created_at).where(intents.c.id == intent.id)
        ).scalar_one_or_none()
    return value if isinstance(value, dt.datetime) else None


def reconcile_intent(
    store: Store,
    adapter: Client,
    intent: Intent,
    *,
    in_flight_for: float = IN_FLIGHT_SECONDS,
) -> Reconciled:
    """Judge one claimed intent by reading its order product back, and record the outcome in one
    transaction (see the module docstring). IN_FLIGHT records nothing: the intent stays SENT and
    its lease (set when it was claimed) brings it back later."""
    ref = ref_of(store, intent.order_product_id)
    pending = pending_action(
        adapter.spec,
        intent.order_product,
        intent.action,
        intent.actor,
        ref=ref,
        sent_at=_sent_at(store, intent),
        **intent.kwargs(),
    )
    synced = reconcile(
        adapter,
        intent.order_product,
        ref=ref,
        pending=pending,
        expected_version=intent.base_version,
        in_flight_for=in_flight_for,
    )
    outcome = synced.outcome
    if outcome is ReconcileOutcome.IN_FLIGHT:
        return synced
    now = dt.datetime.now(dt.UTC)
    with store.transaction() as conn:
        version = intent.base_version
        if synced.applied is not None:
            _protocol.finish_intent(
                store.core,
                conn,
                intent,
                IntentOutcome.APPLIED,
                applied=synced.applied,
                claim_id=None,
                error=None,
                at=None,
                now=now,
            )
            version += 1
        elif outcome is ReconcileOutcome.ADOPTED and not synced.adopted:
            # the remote state is not one the rules lead to from here: an operator must look
            _protocol.finish_intent(
                store.core,
                conn,
                intent,
                IntentOutcome.FAILED,
                applied=None,
                claim_id=None,
                error="reconcile: the marketplace shows a state no chain of actions leads to",
                at=None,
                now=now,
            )
        else:  # NOT_APPLIED, or ADOPTED: someone else's change instead of the intent
            _protocol.finish_intent(
                store.core,
                conn,
                intent,
                IntentOutcome.REFUSED,
                applied=None,
                claim_id=None,
                error=f"reconcile: {outcome}",
                at=None,
                now=now,
            )
        for step in synced.adopted:
            store.core.commit_change(
                conn,
                base_version=version,
                new=step.order_product,
                event=step.event,
                origin="ADOPTED",
                intent_id=None,
                now=now,
            )
            version += 1
    return synced


def _by_marketplace(adapters: Client | Mapping[Marketplace, Client]) -> dict[Marketplace, Client]:
    if isinstance(adapters, Client):
        return {adapters.spec.marketplace: adapters}
    return {Marketplace(m): a for m, a in adapters.items()}


def reconcile_pending(
    store: Store,
    adapters: Client | Mapping[Marketplace, Client],
    *,
    shard: Shard | None = None,
    limit: int = 20,
    lease: dt.timedelta = dt.timedelta(seconds=60),
    in_flight_for: float = IN_FLIGHT_SECONDS,
    stats: Counter[str] | None = None,
) -> int:
    """One round of the reconcile loop: claim up to *limit* intents whose lease ended and judge
    each with its marketplace's adapter. Returns how many were claimed. An intent that cannot be
    judged now (the marketplace unreachable, no adapter for it here) waits for its new lease."""
    stats = stats if stats is not None else Counter()
    by_mp = _by_marketplace(adapters)
    claimed = store.pending_intents(shard=shard, limit=limit, lease=lease)
    for intent in claimed:
        adapter = by_mp.get(intent.order_product.marketplace)
        if adapter is None:
            stats["reconcile:no_adapter"] += 1
            continue
        try:
            synced = reconcile_intent(store, adapter, intent, in_flight_for=in_flight_for)
        except (MarketplaceError, StoreError, StaleVersionError, ActionRefusedError) as e:
            stats[f"reconcile:error:{type(e).__name__}"] += 1
            log.warning("reconcile of intent %s: %s", intent.id, type(e).__name__)
            continue
        stats[f"reconcile:{synced.outcome}"] += 1
    return len(claimed)
