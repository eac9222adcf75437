"""The async twin of :class:`~claimflow.store.Store`, over SQLAlchemy's async engine.

The steps are the very same code as the sync store's (:class:`~claimflow.store._store.StoreCore`
and the protocol functions), run on the async connection through ``AsyncConnection.run_sync``;
only the transaction handling and the marketplace call are ``await``-ed. Drivers: aiosqlite for
SQLite (``BEGIN IMMEDIATE`` as in the sync store), psycopg 3's async mode for PostgreSQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import random
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from .._values import Applied, HistoryEvent, OrderProduct
from .._vocab import Action, Actor, EffectKind
from ..exceptions import (
    ActionRefusedError,
    InvalidStoreURLError,
    MarketplaceRefusedError,
    NotSupportedError,
    OutcomeUnknownError,
    StoreUnavailableError,
    TransportError,
)
from . import _effects, _migrate, _protocol
from ._effects import Settlement, StoredEffect
from ._protocol import Intent, IntentOutcome, Shard
from ._schema import EffectStatus
from ._store import (
    RETRYABLE_SQLSTATES,
    CommitHook,
    InTransactionHandler,
    StoreCore,
    _check_page_size,
    _connection_problem,
    _now,
    _safe,
    _sqlite_hooks,
    _sqlstate,
    _url,
)

__all__ = ["AsyncStore"]

T = TypeVar("T")


class AsyncStore:
    """:class:`~claimflow.store.Store` with ``await``: the same methods, the same transactions."""

    def __init__(
        self,
        bind: AsyncEngine | AsyncConnection,
        *,
        owns_engine: bool = False,
        max_attempts: int = 8,
        retries: int = 5,
    ) -> None:
        self._bind = bind
        self._owns_engine = owns_engine
        self.core = StoreCore(max_attempts=max_attempts)
        #: attempts per step when the database asks for a retry (SQLSTATE 40001 / 40P01)
        self.retries = retries

    @classmethod
    async def open(
        cls,
        target: str | AsyncEngine | AsyncConnection,
        *,
        create: bool = True,
        upgrade: bool = False,
        max_attempts: int = 8,
        retries: int = 5,
        **engine_kwargs: Any,
    ) -> AsyncStore:
        """As :meth:`Store.open <claimflow.store.Store.open>`, for an async URL, ``AsyncEngine``
        or ``AsyncConnection`` (``sqlite:///…`` and ``postgresql://…`` pick the async drivers)."""
        if isinstance(target, str):
            u = _url(target, asynchronous=True)
            try:
                bind: AsyncEngine | AsyncConnection = create_async_engine(u, **engine_kwargs)
            except ModuleNotFoundError as e:
                msg = f"the async driver for {u.get_backend_name()} is not installed ({e.name})"
                raise InvalidStoreURLError(msg, field="url") from None
        elif isinstance(target, (AsyncEngine, AsyncConnection)):
            bind = target
        else:
            msg = f"store: expected a URL, an AsyncEngine or an AsyncConnection, got {target!r}"
            raise InvalidStoreURLError(msg, field="url")
        if isinstance(bind, AsyncEngine):
            _sqlite_hooks(bind.sync_engine)
        store = cls(
            bind, owns_engine=isinstance(target, str), max_attempts=max_attempts, retries=retries
        )
        try:
            async with store.transaction() as conn:
                await conn.run_sync(lambda c: _migrate.ensure(c, create=create, upgrade=upgrade))
        except BaseException:
            await store.close()
            raise
        return store

    async def close(self) -> None:
        """Release the engine's connections (when the store made the engine)."""
        if self._owns_engine and isinstance(self._bind, AsyncEngine):
            await self._bind.dispose()

    async def __aenter__(self) -> AsyncStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._bind.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction (a SAVEPOINT inside the caller's when on an AsyncConnection)."""
        try:
            if isinstance(self._bind, AsyncEngine):
                async with self._bind.begin() as conn:
                    yield conn
            elif self._bind.in_transaction():
                async with self._bind.begin_nested():
                    yield self._bind
            else:
                async with self._bind.begin():
                    yield self._bind
        except sa.exc.OperationalError as e:
            if _sqlstate(e) not in RETRYABLE_SQLSTATES and _connection_problem(e):
                msg = f"the store's database cannot be reached ({self.dialect})"
                raise StoreUnavailableError(msg) from None
            raise

    async def _run(self, fn: Callable[[sa.Connection], T]) -> T:
        """One step in one transaction; run again (up to ``retries`` times) when the database
        asks for it (SQLSTATE 40001 / 40P01) and the store owns the transaction."""
        attempt = 1
        while True:
            try:
                async with self.transaction() as conn:
                    return await conn.run_sync(fn)
            except sa.exc.DBAPIError as e:
                if (
                    attempt >= self.retries
                    or not isinstance(self._bind, AsyncEngine)
                    or _sqlstate(e) not in RETRYABLE_SQLSTATES
                ):
                    raise
            await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
            attempt += 1

    # -- hooks ---------------------------------------------------------------------------------

    def on_commit(self, kind: EffectKind | str, handler: InTransactionHandler) -> None:
        """As :meth:`Store.on_commit`: *handler* runs (sync) inside the commit transaction."""
        self.core.in_transaction[EffectKind(kind)] = handler

    def add_commit_hook(self, hook: CommitHook) -> None:
        """As :meth:`Store.add_commit_hook`."""
        self.core.commit_hooks.append(hook)

    # -- order products ------------------------------------------------------------------------

    async def put(
        self,
        order_product: OrderProduct,
        *,
        order_id: str | None = None,
        ordered_on: dt.date | None = None,
        marketplace_ids: Mapping[str, Any] | None = None,
    ) -> OrderProduct:
        """As :meth:`Store.put`."""
        now = _now()
        await self._run(
            lambda c: self.core.put(
                c,
                order_product,
                order_id=order_id,
                ordered_on=ordered_on,
                marketplace_ids=marketplace_ids,
                now=now,
            )
        )
        return order_product

    async def get(self, order_product_id: str) -> OrderProduct:
        """As :meth:`Store.get`."""
        return await self._run(lambda c: self.core.load(c, order_product_id).order_product)

    async def order_products(self, *, page_size: int = 500) -> AsyncIterator[OrderProduct]:
        """As :meth:`Store.order_products` (``async for``): one query per page."""
        _check_page_size(page_size)
        after: str | None = None
        while True:
            page = await self._run(functools.partial(self.core.page, after=after, limit=page_size))
            for op in page:
                yield op
            if len(page) < page_size:
                return
            after = page[-1].id

    async def history(self, order_product_id: str) -> tuple[HistoryEvent, ...]:
        """As :meth:`Store.history`."""
        return await self._run(lambda c: self.core.history(c, order_product_id))

    async def apply_local(
        self,
        order_product_id: str,
        action: Action | str,
        actor: Actor | str,
        /,
        *,
        expected_version: int | None = None,
        claim_id: str | None = None,
        at: dt.datetime | None = None,
        **params: Any,
    ) -> Applied:
        """As :meth:`Store.apply_local`."""
        now = _now()
        return await self._run(
            lambda c: self.core.apply_local(
                c,
                order_product_id,
                action,
                actor,
                params,
                expected_version=expected_version,
                claim_id=claim_id,
                at=at,
                now=now,
            )
        )

    # -- the protocol --------------------------------------------------------------------------

    async def begin_intent(
        self,
        order_product_id: str,
        action: Action | str,
        actor: Actor | str,
        /,
        *,
        expected_version: int | None = None,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        **params: Any,
    ) -> Intent:
        """As :meth:`Store.begin_intent`."""
        now = _now()
        return await self._run(
            lambda c: _protocol.begin_intent(
                self.core,
                c,
                order_product_id,
                action,
                actor,
                params,
                expected_version=expected_version,
                lease=lease,
                now=now,
            )
        )

    async def finish_intent(
        self,
        intent: Intent,
        outcome: IntentOutcome | str,
        /,
        *,
        applied: Any = None,
        claim_id: str | None = None,
        error: str | None = None,
        at: dt.datetime | None = None,
    ) -> Applied | None:
        """As :meth:`Store.finish_intent`."""
        now = _now()
        return await self._run(
            lambda c: _protocol.finish_intent(
                self.core,
                c,
                intent,
                IntentOutcome(outcome),
                applied=applied,
                claim_id=claim_id,
                error=error,
                at=at,
                now=now,
            )
        )

    async def pending_intents(
        self,
        lease_expired_before: dt.datetime | None = None,
        *,
        shard: Shard | None = None,
        limit: int = 20,
        lease: dt.timedelta = dt.timedelta(seconds=60),
    ) -> list[Intent]:
        """As :meth:`Store.pending_intents`."""
        now = _now()
        return await self._run(
            lambda c: _protocol.pending_intents(
                c,
                lease_expired_before=lease_expired_before or now,
                shard=shard,
                limit=limit,
                lease=lease,
                now=now,
            )
        )

    async def apply_remote(
        self,
        adapter: Any,
        order_product_id: str,
        action: Action | str,
        actor: Actor | str,
        /,
        *,
        ref: Any = None,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        **params: Any,
    ) -> Applied:
        """As :meth:`Store.apply_remote`, with an async adapter."""
        from ..adapters import apply_remote_async  # noqa: PLC0415 - optional extra

        intent = await self.begin_intent(order_product_id, action, actor, lease=lease, **params)
        try:
            done = await apply_remote_async(
                adapter,
                intent.order_product,
                intent.action,
                intent.actor,
                ref=ref,
                expected_version=intent.base_version,
                **params,
            )
        except OutcomeUnknownError as e:
            await self.finish_intent(intent, IntentOutcome.UNKNOWN, error=_safe(e))
            raise
        except (
            MarketplaceRefusedError,
            NotSupportedError,
            TransportError,
            ActionRefusedError,
        ) as e:
            await self.finish_intent(intent, IntentOutcome.REFUSED, error=_safe(e))
            raise
        result = await self.finish_intent(intent, IntentOutcome.APPLIED, applied=done)
        assert result is not None
        return result

    # -- effects -------------------------------------------------------------------------------

    async def claim_effects(
        self,
        kinds: Collection[EffectKind | str] | None = None,
        *,
        limit: int = 20,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        shard: Shard | None = None,
    ) -> list[StoredEffect]:
        """As :meth:`Store.claim_effects`."""
        now = _now()
        wanted = None if kinds is None else [EffectKind(k) for k in kinds]
        return await self._run(
            lambda c: _effects.claim_effects(
                c, kinds=wanted, limit=limit, lease=lease, shard=shard, now=now
            )
        )

    async def settle_effect(
        self,
        effect: StoredEffect,
        settlement: Settlement | str = Settlement.DONE,
        /,
        *,
        error: str | None = None,
        retry_at: dt.datetime | None = None,
    ) -> EffectStatus | None:
        """As :meth:`Store.settle_effect`."""
        now = _now()
        return await self._run(
            lambda c: _effects.settle_effect(
                c,
                effect,
                Settlement(settlement),
                error=error,
                retry_at=retry_at,
                max_attempts=self.core.max_attempts,
                now=now,
            )
        )

    async def effects(
        self, order_product_id: str | None = None, *, status: EffectStatus | str | None = None
    ) -> list[StoredEffect]:
        """As :meth:`Store.effects`."""
        wanted = None if status is None else EffectStatus(status)
        return await self._run(
            lambda c: _effects.list_effects(c, order_product_id=order_product_id, status=wanted)
        )
