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

import contextlib
import datetime as dt
import functools
import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import httpx
import sqlalchemy as sa

from .._vocab import EffectKind, Marketplace
from ..adapters import (
    IN_FLIGHT_SECONDS,
    MODULES,
    Client,
    OrderRef,
    Reconciled,
    ReconcileOutcome,
    RetryPolicy,
    credentials_from_env,
    pending_action,
    reconcile,
)
from ..exceptions import (
    ActionRefusedError,
    ClaimflowError,
    InvalidInputError,
    MarketplaceError,
    MissingExtraError,
    StaleVersionError,
    StoreError,
)
from . import _protocol
from ._effects import EffectHandler, StoredEffect, run_effects
from ._protocol import Intent, IntentOutcome, Shard
from ._schema import intents
from ._store import Store

__all__ = [
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
]

log = logging.getLogger("claimflow.worker")


class PacedTransport(httpx.BaseTransport):
    """An httpx transport that leaves at least *interval* seconds between two requests (a client
    kept under a marketplace's rate limit). Thread-safe."""

    def __init__(self, inner: httpx.BaseTransport, interval: float) -> None:
        self._inner = inner
        self._interval = interval
        self._lock = threading.Lock()
        self._next = 0.0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Wait for this request's turn, then send it."""
        with self._lock:  # one request at a time through the gate: never two closer
            wait = self._next - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._next = time.monotonic() + self._interval
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the inner transport."""
        self._inner.close()


def make_adapter(
    marketplace: Marketplace | str,
    base_url: str,
    *,
    credentials: tuple[str, ...] | None = None,
    emulator: bool = False,
    retry: RetryPolicy | None = None,
    timeout: float = 10.0,
    transport: Any = None,
    min_interval: float | None = None,
) -> Client:
    """A synchronous adapter for *marketplace* at *base_url* (the root URL of its API, or of a
    ``claimflow emulate`` server when *emulator*), built by the marketplace's module
    (:data:`claimflow.adapters.MODULES`).

    *credentials*: in the order of the module's ``CREDENTIAL_ENV`` (Toss client id and secret,
    imweb key and secret, x2bee token); default: those environment variables, or with *emulator*
    the emulator's own (``claimflow.emulators.<mp>.CREDENTIALS``; needs the ``emulators``
    extra). *min_interval*: seconds between two calls (default: the module's ``MIN_INTERVAL``
    for a real marketplace, none for an emulator).
    """
    mp = Marketplace(marketplace)
    module = MODULES[mp]
    interval = (
        min_interval if min_interval is not None else (0.0 if emulator else module.MIN_INTERVAL)
    )
    if interval > 0:
        transport = PacedTransport(transport or httpx.HTTPTransport(), interval)
    base = base_url.rstrip("/")
    if emulator:
        try:
            from ..emulators import MODULES as EMULATORS  # noqa: PLC0415 - the emulators extra
        except ImportError as e:
            msg = (
                f"{mp}: an emulator's URLs and credentials need the 'emulators' extra "
                f"({e.name} is missing): pip install 'claimflow[emulators]'"
            )
            raise MissingExtraError(msg, extra="emulators") from None
        served = EMULATORS[mp]
        urls = served.adapter_urls(base)
        credentials = credentials if credentials is not None else served.CREDENTIALS
    else:
        urls = module.base_urls(base)
        if credentials is None:
            credentials = credentials_from_env(mp, module.CREDENTIAL_ENV, os.environ)
    return module.client_for(credentials, urls, retry=retry, timeout=timeout, transport=transport)


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
    max_attempts: int = 50,
    stats: Counter[str] | None = None,
) -> int:
    """One round of the reconcile loop: claim up to *limit* intents whose lease ended and judge
    each with its marketplace's adapter. Returns how many were claimed. An intent that cannot be
    judged now (the marketplace unreachable, no adapter for it here) waits for its new lease;
    after *max_attempts* claims it is marked FAILED for an operator (its order product is
    released, the intent stays visible)."""
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
            if intent.attempts >= max_attempts:  # visible for an operator, never dropped
                with contextlib.suppress(StaleVersionError, StoreError):
                    store.finish_intent(
                        intent,
                        IntentOutcome.FAILED,
                        error=f"reconcile gave up after {intent.attempts} attempts: "
                        f"{type(e).__name__}",
                    )
                stats["reconcile:failed"] += 1
            continue
        stats[f"reconcile:{synced.outcome}"] += 1
    return len(claimed)


# --- one process: the three loops -----------------------------------------------------------------


@attrs.frozen
class WorkerConfig:
    """How a :class:`Worker` paces its loops.

    *reconcile_every* / *sync_every*: seconds between rounds (``sync_every`` None: no sync loop);
    *idle* / *max_idle*: the sleep after a round that found nothing to do, doubling up to
    *max_idle* (no busy loop); *lease*: the lease of claimed intents and effects; *in_flight_for*:
    how long a write without an answer may still arrive (:func:`claimflow.adapters.reconcile`);
    *shard*: this worker's share of the order ids; *limit*: intents / effects per round;
    *sync_options*: keyword arguments for :func:`claimflow.store.sync` (``pace``, ``batch``, …).
    """

    reconcile_every: float = 1.0
    sync_every: float | None = 60.0
    idle: float = 0.2
    max_idle: float = 5.0
    lease: dt.timedelta = dt.timedelta(seconds=60)
    in_flight_for: float = IN_FLIGHT_SECONDS
    shard: Shard | None = None
    limit: int = 20
    sync_options: Mapping[str, Any] = attrs.field(factory=dict)


class Worker:
    """The reconcile, sync and effect loops of one process, interleaved in one thread.

    *adapters*: one per marketplace this worker serves; *handlers*: the OMS's effect handler per
    effect kind (none: no effect loop). :meth:`run` goes round until *stop* is set (SIGTERM and
    SIGINT set it under :func:`run_worker`); ``stats`` counts what each round did.
    """

    def __init__(
        self,
        store: Store,
        adapters: Client | Mapping[Marketplace, Client],
        *,
        handlers: Mapping[EffectKind, EffectHandler] | None = None,
        config: WorkerConfig | None = None,
    ) -> None:
        self.store = store
        self.adapters = _by_marketplace(adapters)
        self.handlers = dict(handlers or {})
        self.config = config or WorkerConfig()
        self.stats: Counter[str] = Counter()
        self._next_sync = 0.0
        self._next_reconcile = 0.0

    def round(self) -> int:
        """One round of each loop that is due; returns how much work it found."""
        cfg = self.config
        work = 0
        now = time.monotonic()
        if now >= self._next_reconcile:
            self._next_reconcile = now + cfg.reconcile_every
            work += self._guarded(
                "reconcile",
                lambda: reconcile_pending(
                    self.store,
                    self.adapters,
                    shard=cfg.shard,
                    limit=cfg.limit,
                    lease=cfg.lease,
                    in_flight_for=cfg.in_flight_for,
                    stats=self.stats,
                ),
            )
        if cfg.sync_every is not None and now >= self._next_sync:
            self._next_sync = now + cfg.sync_every
            for adapter in self.adapters.values():
                work += self._guarded("sync", functools.partial(self._sync, adapter))
        if self.handlers:
            work += self._guarded(
                "effects",
                lambda: (
                    run_effects(
                        self.store, self.handlers, limit=cfg.limit, lease=cfg.lease, shard=cfg.shard
                    ).delivered
                ),
            )
        return work

    def _sync(self, adapter: Client) -> int:
        from ._sync import sync  # noqa: PLC0415 - sync imports this module's neighbours

        report = sync(self.store, adapter, **dict(self.config.sync_options))
        self.stats["sync:events"] += report.events
        self.stats["sync:created"] += report.created
        return report.events + report.created

    def _guarded(self, loop: str, step: Callable[[], int]) -> int:
        """Run one loop's step; a failure is counted and logged, the worker goes on."""
        try:
            n = step()
        except (ClaimflowError, sa.exc.SQLAlchemyError, OSError) as e:
            self.stats[f"{loop}:failed"] += 1
            log.warning("%s round failed: %s", loop, type(e).__name__)
            return 0
        self.stats[f"{loop}:rounds"] += 1
        return n

    def run(self, stop: threading.Event) -> Counter[str]:
        """Go round until *stop* is set; an idle round sleeps, doubling up to ``max_idle``."""
        wait = self.config.idle
        while not stop.is_set():
            if self.round():
                wait = self.config.idle
                continue
            stop.wait(wait)
            wait = min(self.config.max_idle, wait * 2)
        return self.stats


def run_worker(
    store: Store,
    adapters: Client | Mapping[Marketplace, Client],
    *,
    handlers: Mapping[EffectKind, EffectHandler] | None = None,
    config: WorkerConfig | None = None,
    stop: threading.Event | None = None,
) -> Counter[str]:
    """Run a :class:`Worker` in this process until SIGTERM or SIGINT (or *stop*): the signal
    ends the current round, then this returns the worker's stats (graceful shutdown)."""
    stop = stop or threading.Event()
    previous = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        return Worker(store, adapters, handlers=handlers, config=config).run(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def describe_effect(effect: StoredEffect) -> str:
    """One line for an effect: its idempotency key, kind, amount or delivery."""
    e = effect.effect
    amount = f" {e.amount:,}원" if e.amount is not None else ""
    delivery = f" {e.carrier} {e.tracking_number}" if e.carrier else ""
    return f"  effect {effect.key}: {e.kind}{amount}{delivery}"


def print_effect(effect: StoredEffect) -> None:
    """An effect handler that prints the effect with its idempotency key (for demos)."""
    print(describe_effect(effect), flush=True)


# --- claimflow worker -----------------------------------------------------------------------------


def _handlers(spec: str | None, print_all: bool) -> dict[EffectKind, EffectHandler]:
    """The effect handlers of ``--handlers module:attr`` (a mapping, or a callable returning
    one) and ``--print-effects``."""
    import importlib  # noqa: PLC0415

    out: dict[EffectKind, EffectHandler] = {}
    if print_all:
        out = dict.fromkeys(EffectKind, print_effect)
    if spec:
        module, _, attr = spec.partition(":")
        if not module or not attr:
            msg = f"--handlers {spec!r}: expected MODULE:ATTRIBUTE"
            raise InvalidInputError(msg, field="handlers")
        found = getattr(importlib.import_module(module), attr)
        table = found() if callable(found) else found
        out.update({EffectKind(k): v for k, v in dict(table).items()})
    return out


def _base_urls(items: list[str], marketplaces: list[Marketplace]) -> dict[Marketplace, str]:
    urls: dict[Marketplace, str] = {}
    for item in items:
        name, sep, url = item.partition("=")
        if sep and name in {m.value for m in Marketplace}:
            urls[Marketplace(name)] = url
        elif len(marketplaces) == 1:
            urls[marketplaces[0]] = item
        else:
            msg = f"--base-url {item!r}: with several marketplaces write MARKETPLACE=URL"
            raise InvalidInputError(msg, field="base_url")
    return urls


def worker_command(args: Any) -> int:
    """``claimflow worker``: parse what :func:`add_worker_arguments` declared and run."""
    mps = [Marketplace(m) for m in dict.fromkeys(args.marketplace)]
    urls = _base_urls(args.base_url, mps)
    shard = None
    if args.shard:
        index, _, count = args.shard.partition("/")
        shard = Shard(int(index), int(count))
    config = WorkerConfig(
        reconcile_every=args.reconcile_every,
        sync_every=args.sync_every or None,
        lease=dt.timedelta(seconds=args.lease),
        in_flight_for=args.in_flight_for,
        shard=shard,
        sync_options={"pace": args.pace} if args.pace is not None else {},
    )
    handlers = _handlers(args.handlers, args.print_effects)
    adapters = {
        mp: make_adapter(mp, urls.get(mp, MODULES[mp].DEFAULT_URL), emulator=args.emulator)
        for mp in mps
    }
    with Store.open(args.store, upgrade=args.upgrade) as store:
        if args.once:
            worker = Worker(store, adapters, handlers=handlers, config=config)
            worker.round()
            stats = worker.stats
        else:
            log.info("claimflow worker: %s on %s", ", ".join(mps), store.dialect)
            stats = run_worker(store, adapters, handlers=handlers, config=config)
    for adapter in adapters.values():
        adapter.close()
    print(
        "claimflow worker: " + (", ".join(f"{k} {v}" for k, v in sorted(stats.items())) or "idle")
    )
    return 0
