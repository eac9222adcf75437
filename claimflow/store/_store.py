"""The synchronous store: :class:`Store` over a SQLAlchemy ``Engine`` or ``Connection``.

:class:`StoreCore` holds what runs on an open connection (load, put, history, the commit of one
change); :class:`Store` opens one transaction per step around it. The async twin
(:mod:`claimflow.store._async`) runs the same :class:`StoreCore` through
``AsyncConnection.run_sync``.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

import attrs
import sqlalchemy as sa

from .._engine import apply
from .._values import Applied, HistoryEvent, OrderProduct
from .._vocab import Action, Actor, EffectKind
from ..exceptions import (
    ActionRefusedError,
    CorruptRowError,
    DuplicateOrderProductError,
    InvalidInputError,
    InvalidStoreURLError,
    MarketplaceRefusedError,
    NotSupportedError,
    OutcomeUnknownError,
    StaleVersionError,
    StoreUnavailableError,
    TransportError,
    UnknownOrderProductError,
)
from . import _codec, _effects, _migrate, _protocol
from ._effects import Settlement, StoredEffect
from ._protocol import Intent, IntentOutcome, Shard
from ._schema import IN_FLIGHT, EffectStatus, bucket_of, events, intents, order_products

__all__ = ["CommitHook", "InTransactionHandler", "Row", "Store", "StoreCore", "make_engine"]

#: Runs inside the commit transaction of every history event (exactly once with it).
CommitHook = Callable[[sa.Connection, HistoryEvent], None]
#: Delivers one effect kind inside the commit transaction (exactly once with it).
InTransactionHandler = Callable[[sa.Connection, StoredEffect], None]

ORIGINS = ("LOCAL", "REMOTE", "ADOPTED", "SYNC")


#: SQLSTATEs after which the whole transaction may simply run again: serialization failure
#: (CockroachDB's and YugabyteDB's "restart transaction", PostgreSQL SERIALIZABLE) and deadlock.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})

P = ParamSpec("P")
R = TypeVar("R")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlstate(e: sa.exc.DBAPIError) -> str | None:
    code = getattr(e.orig, "sqlstate", None) or getattr(e.orig, "pgcode", None)
    return code if isinstance(code, str) else None


def _retrying(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Run a one-transaction store step again (up to ``store.retries`` times, with a short
    jittered backoff) when the database asks for it (:data:`RETRYABLE_SQLSTATES`). Only when the
    store owns the transaction: on the caller's Connection the caller must retry its own."""

    @functools.wraps(method)
    def step(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        attempt = 1
        while True:
            try:
                return method(self, *args, **kwargs)
            except sa.exc.DBAPIError as e:
                if (
                    attempt >= self.retries
                    or not isinstance(self._bind, sa.Engine)
                    or _sqlstate(e) not in RETRYABLE_SQLSTATES
                ):
                    raise
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
            attempt += 1

    return step


@attrs.frozen
class Row:
    """A stored order product with what the store keeps beside it."""

    order_product: OrderProduct
    order_id: str
    bucket: int
    ordered_on: dt.date | None
    marketplace_ids: Mapping[str, Any]


# --- engines ------------------------------------------------------------------------------------


def _sqlite_hooks(engine: sa.Engine) -> None:
    """WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for every transaction (the pysqlite recipe
    from SQLAlchemy's SQLite dialect docs: the driver's own BEGIN handling is switched off)."""
    if engine.dialect.name != "sqlite" or engine.dialect.driver not in ("pysqlite", "aiosqlite"):
        return
    if sa.event.contains(engine, "begin", _begin_immediate):
        return

    sa.event.listen(engine, "connect", _sqlite_connect)
    sa.event.listen(engine, "begin", _begin_immediate)
    engine.dispose()  # connections made before the hooks would not have them


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA busy_timeout = 60000")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.close()


def _begin_immediate(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _check_sqlite_connection(conn: sa.Connection) -> None:
    """pysqlite's own transaction handling breaks SAVEPOINTs (SQLAlchemy's pysqlite docs): a
    Connection of a SQLite engine must come from an engine with the store's hooks."""
    engine = conn.engine
    if engine.dialect.name == "sqlite" and not sa.event.contains(engine, "begin", _begin_immediate):
        msg = (
            "store: this SQLite Connection's engine lacks the store's transaction hooks "
            "(pysqlite would break SAVEPOINTs); make the engine with "
            "claimflow.store.make_engine(url), or pass it once to Store.open(engine)"
        )
        raise InvalidStoreURLError(msg, field="url")


def _url(url: str, *, asynchronous: bool) -> sa.URL:
    try:
        u = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError, TypeError):
        msg = (
            "store URL is not a database URL; expected e.g. sqlite:///claims.db or "
            "postgresql://user@host/dbname"
        )
        raise InvalidStoreURLError(msg, field="url") from None
    backend = u.get_backend_name()
    if backend == "sqlite":
        if not u.database or u.database == ":memory:":
            msg = (
                f"store URL {u.render_as_string(hide_password=True)!r} names no database file; "
                "an in-memory SQLite database cannot be shared: give a file path"
            )
            raise InvalidStoreURLError(msg, field="url")
        return u.set(drivername="sqlite+aiosqlite" if asynchronous else "sqlite+pysqlite")
    if backend in ("postgresql", "postgres"):
        if not u.database:
            msg = f"store URL {u.render_as_string(hide_password=True)!r} names no database"
            raise InvalidStoreURLError(msg, field="url")
        return u.set(
            drivername="postgresql+psycopg_async" if asynchronous else "postgresql+psycopg"
        )
    msg = (
        f"store URL {u.render_as_string(hide_password=True)!r}: unsupported database "
        f"{backend!r}; claimflow.store runs on sqlite and postgresql (and PostgreSQL-wire engines "
        "through a postgresql:// URL)"
    )
    raise InvalidStoreURLError(msg, field="url")


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """A SQLAlchemy engine for a store URL (``sqlite:///file.db`` or ``postgresql://…``).

    PostgreSQL goes through psycopg 3; SQLite gets WAL and ``BEGIN IMMEDIATE``. A malformed or
    unsupported URL raises :class:`~claimflow.exceptions.InvalidStoreURLError` (password hidden).
    """
    u = _url(url, asynchronous=False)
    try:
        engine = sa.create_engine(u, **kwargs)
    except ModuleNotFoundError as e:
        msg = f"the driver for {u.get_backend_name()} is not installed ({e.name}): " + (
            "pip install 'claimflow[postgres]'" if e.name and "psycopg" in e.name else ""
        )
        raise InvalidStoreURLError(msg, field="url") from None
    except (sa.exc.ArgumentError, TypeError, ValueError) as e:
        msg = f"store URL {u.render_as_string(hide_password=True)!r}: {type(e).__name__}"
        raise InvalidStoreURLError(msg, field="url") from None
    _sqlite_hooks(engine)
    return engine


# --- what runs on an open connection --------------------------------------------------------

_LOAD = sa.select(order_products).where(order_products.c.id == sa.bindparam("b_id"))
_LOAD_FOR_UPDATE = _LOAD.with_for_update()
_UPDATE = (
    order_products.update()
    .where(
        order_products.c.id == sa.bindparam("b_id"),
        order_products.c.version == sa.bindparam("b_version"),
    )
    .values(
        state=sa.bindparam("state", type_=sa.JSON),
        status=sa.bindparam("status"),
        version=sa.bindparam("version"),
        updated_at=sa.bindparam("updated_at", type_=order_products.c.updated_at.type),
    )
    .returning(order_products.c.order_id, order_products.c.bucket)
)
_UPDATE_UNHELD = _UPDATE.where(
    ~sa.exists().where(
        intents.c.order_product_id == sa.bindparam("b_id"), intents.c.status.in_(IN_FLIGHT)
    )
)
_INSERT_EVENT = events.insert()


def _row(row: Any) -> Row:
    """A stored ``order_products`` row as a :class:`Row` (CorruptRowError when unreadable)."""
    op = _codec.load(row.state, OrderProduct, table=order_products.name, key=row.id)
    if op.version != row.version or op.id != row.id:
        msg = (
            f"{order_products.name} row {row.id!r} cannot be read: its state says "
            f"{op.id!r} version {op.version}, the row version {row.version}"
        )
        raise CorruptRowError(msg, table=order_products.name, key=row.id)
    ids = row.marketplace_ids if isinstance(row.marketplace_ids, dict) else {}
    return Row(op, row.order_id, row.bucket, row.ordered_on, ids)


@attrs.define
class StoreCore:
    """The store's steps on an open ``Connection`` (the caller owns the transaction)."""

    commit_hooks: list[CommitHook] = attrs.field(factory=list)
    in_transaction: dict[EffectKind, InTransactionHandler] = attrs.field(factory=dict)
    max_attempts: int = 8

    def load(self, conn: sa.Connection, order_product_id: str, *, for_update: bool = False) -> Row:
        """The stored order product *order_product_id* (locked for update on PostgreSQL)."""
        query = _LOAD_FOR_UPDATE if for_update and conn.dialect.name == "postgresql" else _LOAD
        row = conn.execute(query, {"b_id": order_product_id}).first()
        if row is None:
            msg = f"order product {order_product_id!r} is not in the store"
            raise UnknownOrderProductError(msg, order_product_id=order_product_id)
        return _row(row)

    def page(self, conn: sa.Connection, after: str | None, limit: int) -> list[OrderProduct]:
        """Up to *limit* stored order products with an id after *after* (all when None), by id:
        one query, keyset paging on the primary key."""
        query = sa.select(order_products).order_by(order_products.c.id).limit(limit)
        if after is not None:
            query = query.where(order_products.c.id > after)
        return [_row(r).order_product for r in conn.execute(query)]

    def put(
        self,
        conn: sa.Connection,
        op: OrderProduct,
        *,
        order_id: str | None,
        ordered_on: dt.date | None,
        marketplace_ids: Mapping[str, Any] | None,
        now: dt.datetime,
    ) -> None:
        """Insert a new order product as it is (no history event: its history starts here)."""
        oid = order_id or op.id
        try:
            with conn.begin_nested():
                conn.execute(
                    order_products.insert().values(
                        id=op.id,
                        marketplace=op.marketplace.value,
                        order_id=oid,
                        bucket=bucket_of(oid),
                        ordered_on=ordered_on,
                        marketplace_ids=dict(marketplace_ids or {}),
                        status=op.status.value,
                        version=op.version,
                        state=_codec.dump_order_product(op),
                        updated_at=now,
                    )
                )
        except sa.exc.IntegrityError:
            msg = f"order product {op.id!r} is already in the store; nothing was written"
            raise DuplicateOrderProductError(msg, order_product_id=op.id) from None

    def history(self, conn: sa.Connection, order_product_id: str) -> tuple[HistoryEvent, ...]:
        """The stored history events of *order_product_id*, by version."""
        rows = conn.execute(
            sa.select(events.c.version, events.c.event)
            .where(events.c.order_product_id == order_product_id)
            .order_by(events.c.version)
        ).all()
        return tuple(
            _codec.load(
                r.event, HistoryEvent, table=events.name, key=f"{order_product_id}:{r.version}"
            )
            for r in rows
        )

    def commit_change(
        self,
        conn: sa.Connection,
        *,
        base_version: int,
        new: OrderProduct,
        event: HistoryEvent,
        origin: str,
        intent_id: str | None,
        now: dt.datetime,
        marketplace_ids: Mapping[str, Any] | None = None,
        unheld: bool = False,
    ) -> None:
        """``UPDATE … WHERE version = base``, then the history event and its effects, then the
        in-transaction handlers and commit hooks: all in the caller's one transaction.

        *unheld*: the update also requires that no intent holds the order product (the check is
        part of the ``UPDATE``, so it costs no extra round trip); else
        :class:`~claimflow.exceptions.BusyError`."""
        if origin not in ORIGINS:
            msg = f"origin must be one of {', '.join(ORIGINS)}, got {origin!r}"
            raise ValueError(msg)
        if new.version != base_version + 1 or event.version != new.version:
            msg = (
                f"a change of {new.id!r} from version {base_version} must produce version "
                f"{base_version + 1}, got order product {new.version} / event {event.version}"
            )
            raise ValueError(msg)
        values: dict[str, Any] = {
            "b_id": new.id,
            "b_version": base_version,
            "state": _codec.dump_order_product(new),
            "status": new.status.value,
            "version": new.version,
            "updated_at": now,
        }
        if marketplace_ids is not None:
            values["marketplace_ids"] = dict(marketplace_ids)
        # prebuilt statements with bind parameters: compiled once, cached by SQLAlchemy
        update = _UPDATE_UNHELD if unheld else _UPDATE
        if marketplace_ids is not None:
            update = update.values(marketplace_ids=sa.bindparam("marketplace_ids"))
        res = conn.execute(update, values).first()
        if res is None:
            holder = _protocol.in_flight(conn, new.id) if unheld else None
            if holder is not None:
                raise _protocol.busy(new.id, holder)
            actual = conn.execute(
                sa.select(order_products.c.version).where(order_products.c.id == new.id)
            ).scalar_one_or_none()
            if actual is None:
                msg = f"order product {new.id!r} is not in the store"
                raise UnknownOrderProductError(msg, order_product_id=new.id)
            msg = (
                f"order product {new.id!r} is at version {actual}, not {base_version}: another "
                "worker changed it first; nothing was written"
            )
            raise StaleVersionError(msg, expected=base_version, actual=actual)
        conn.execute(
            _INSERT_EVENT,
            {
                "order_product_id": new.id,
                "version": new.version,
                "order_id": res.order_id,
                "action": event.action.value,
                "actor": event.actor.value,
                "origin": origin,
                "intent_id": intent_id,
                "event": _codec.dump_event(event),
                "at": event.at,
            },
        )
        _effects.insert_effects(
            conn,
            order_product_id=new.id,
            version=new.version,
            order_id=res.order_id,
            bucket=res.bucket,
            items=event.effects,
            in_transaction=self.in_transaction,
            now=now,
        )
        for hook in self.commit_hooks:
            hook(conn, event)

    def apply_local(
        self,
        conn: sa.Connection,
        order_product_id: str,
        action: Action | str,
        actor: Actor | str,
        params: Mapping[str, Any],
        *,
        expected_version: int | None,
        claim_id: str | None,
        at: dt.datetime | None,
        now: dt.datetime,
    ) -> Applied:
        """Load, apply, commit: one transaction."""
        # PostgreSQL, READ COMMITTED: the row lock first; the in-flight check then runs inside
        # the UPDATE, a later statement, so it sees an intent committed while we waited
        op = self.load(conn, order_product_id, for_update=True).order_product
        done = apply(
            op,
            action,
            actor,
            expected_version=expected_version,
            claim_id=claim_id,
            at=at if at is not None else now,
            **params,
        )
        self.commit_change(
            conn,
            base_version=op.version,
            new=done.order_product,
            event=done.event,
            origin="LOCAL",
            intent_id=None,
            now=now,
            unheld=True,
        )
        return done


# --- the synchronous store ----------------------------------------------------------------------


class Store:
    """claimflow's durable store: order products, history, intents and the effect outbox.

    Open with :meth:`open`. Every method is one transaction: on an ``Engine`` it begins and
    commits its own; on a ``Connection`` already in a transaction it runs in a SAVEPOINT inside
    the caller's transaction (the caller commits), so an OMS can commit claimflow's rows with its
    own.
    """

    def __init__(
        self,
        bind: sa.Engine | sa.Connection,
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

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        target: str | sa.Engine | sa.Connection,
        *,
        create: bool = True,
        upgrade: bool = False,
        max_attempts: int = 8,
        retries: int = 5,
        **engine_kwargs: Any,
    ) -> Store:
        """Open the store at a URL (``sqlite:///claims.db``, ``postgresql://user@host/db``), on
        an ``Engine`` or on a ``Connection``, and check its schema version.

        *create*: create the tables in an empty database. *upgrade*: bring an older schema up to
        this code's (:mod:`claimflow.store._migrate`); without it an older schema raises
        :class:`~claimflow.exceptions.SchemaVersionError`, as a newer one always does.
        *max_attempts*: deliveries of an effect before it goes DEAD. *retries*: attempts of one
        step when the database asks for a retry (SQLSTATE 40001 serialization failure, e.g.
        CockroachDB's "restart transaction", or 40P01 deadlock); only on an Engine or URL.
        """
        owns = isinstance(target, str)
        if isinstance(target, str):
            bind: sa.Engine | sa.Connection = make_engine(target, **engine_kwargs)
        elif isinstance(target, sa.Engine):
            bind = target
            _sqlite_hooks(target)
        elif isinstance(target, sa.Connection):
            bind = target
            _check_sqlite_connection(target)
        else:
            msg = f"store: expected a URL, an Engine or a Connection, got {type(target).__name__}"
            raise InvalidStoreURLError(msg, field="url")
        store = cls(bind, owns_engine=owns, max_attempts=max_attempts, retries=retries)
        try:
            with store.transaction() as conn:
                _migrate.ensure(conn, create=create, upgrade=upgrade)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        """Release the engine's connections (when the store made the engine)."""
        if self._owns_engine and isinstance(self._bind, sa.Engine):
            self._bind.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._bind.dialect.name

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine."""
        return self._bind if isinstance(self._bind, sa.Engine) else self._bind.engine

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One transaction (a SAVEPOINT inside the caller's when the store is on a Connection)."""
        try:
            if isinstance(self._bind, sa.Engine):
                with self._bind.begin() as conn:
                    yield conn
            elif self._bind.in_transaction():
                with self._bind.begin_nested():
                    yield self._bind
            else:
                with self._bind.begin():
                    yield self._bind
        except sa.exc.OperationalError as e:
            if _sqlstate(e) not in RETRYABLE_SQLSTATES and _connection_problem(e):
                msg = (
                    f"the store's database cannot be reached ({self.dialect}): "
                    f"{type(e.orig).__name__}"
                )
                raise StoreUnavailableError(msg) from None
            raise

    # -- hooks -------------------------------------------------------------------------------

    def on_commit(self, kind: EffectKind | str, handler: InTransactionHandler) -> None:
        """Deliver effects of *kind* inside the commit transaction: *handler* gets the open
        ``Connection`` and the effect (with its key) and must only write that database. The
        effect is stored DONE with its event, or neither is written: exactly once."""
        self.core.in_transaction[EffectKind(kind)] = handler

    def add_commit_hook(self, hook: CommitHook) -> None:
        """Call *hook(connection, event)* inside the transaction that commits each event."""
        self.core.commit_hooks.append(hook)

    # -- order products ------------------------------------------------------------------------

    @_retrying
    def put(
        self,
        order_product: OrderProduct,
        *,
        order_id: str | None = None,
        ordered_on: dt.date | None = None,
        marketplace_ids: Mapping[str, Any] | None = None,
    ) -> OrderProduct:
        """Store a new order product as it is. *order_id* is the shard key (default: its id).

        Raises :class:`~claimflow.exceptions.DuplicateOrderProductError` if already stored.
        """
        with self.transaction() as conn:
            self.core.put(
                conn,
                order_product,
                order_id=order_id,
                ordered_on=ordered_on,
                marketplace_ids=marketplace_ids,
                now=_now(),
            )
        return order_product

    @_retrying
    def get(self, order_product_id: str) -> OrderProduct:
        """The stored order product (:class:`~claimflow.exceptions.UnknownOrderProductError`
        when there is none; :class:`~claimflow.exceptions.CorruptRowError` when unreadable)."""
        with self.transaction() as conn:
            return self.core.load(conn, order_product_id).order_product

    def order_products(self, *, page_size: int = 500) -> Iterator[OrderProduct]:
        """Every stored order product, by id: read-only, one query (one transaction) per page of
        *page_size*, so a large store is never held in memory or in one long transaction. A
        product stored or changed while iterating shows up as of the page that reads it."""
        _check_page_size(page_size)
        after: str | None = None
        while True:
            page = self._page(after, page_size)
            yield from page
            if len(page) < page_size:
                return
            after = page[-1].id

    @_retrying
    def _page(self, after: str | None, limit: int) -> list[OrderProduct]:
        with self.transaction() as conn:
            return self.core.page(conn, after, limit)

    @_retrying
    def row(self, order_product_id: str) -> Row:
        """The stored order product with its order id, bucket and marketplace ids."""
        with self.transaction() as conn:
            return self.core.load(conn, order_product_id)

    @_retrying
    def history(self, order_product_id: str) -> tuple[HistoryEvent, ...]:
        """Its history events, version 1, 2, … (the primary key makes it gapless)."""
        with self.transaction() as conn:
            return self.core.history(conn, order_product_id)

    @_retrying
    def apply_local(
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
        """Apply an action with no marketplace call, durably: one transaction of load,
        ``claimflow.apply``, ``UPDATE … WHERE version``, history event and effects.

        Raises :class:`~claimflow.ActionRefusedError`, :class:`~claimflow.StaleVersionError`
        (another worker was first), :class:`~claimflow.exceptions.BusyError` (an intent is in
        flight); nothing is written then.
        """
        with self.transaction() as conn:
            return self.core.apply_local(
                conn,
                order_product_id,
                action,
                actor,
                params,
                expected_version=expected_version,
                claim_id=claim_id,
                at=at,
                now=_now(),
            )

    @_retrying
    def record_change(
        self,
        new: OrderProduct,
        event: HistoryEvent,
        *,
        expected_version: int,
        origin: str = "ADOPTED",
        intent: Intent | None = None,
        intent_outcome: IntentOutcome = IntentOutcome.REFUSED,
        marketplace_ids: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a change that did not come from :meth:`apply_local` or an intent: a remote
        change adopted by reconcile (``ADOPTED``) or ingested by sync (``SYNC``). One transaction:
        ``UPDATE … WHERE version = expected_version``, the event, its effects; with *intent*, that
        intent is closed in the same transaction (*intent_outcome*: REFUSED → NOT_APPLIED, or
        FAILED)."""
        now = _now()
        with self.transaction() as conn:
            if intent is not None:
                _protocol.finish_intent(
                    self.core,
                    conn,
                    intent,
                    intent_outcome,
                    applied=None,
                    claim_id=None,
                    error=f"superseded by an {origin} change",
                    at=None,
                    now=now,
                )
            self.core.commit_change(
                conn,
                base_version=expected_version,
                new=new,
                event=event,
                origin=origin,
                intent_id=intent.id if intent is not None else None,
                now=now,
                marketplace_ids=marketplace_ids,
            )

    # -- the protocol around a marketplace call ------------------------------------------------

    @_retrying
    def begin_intent(
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
        """Step 1: load, ``claimflow.check``, record the intent SENT with a lease, in one
        transaction. Raises :class:`~claimflow.exceptions.BusyError` when another intent on this
        order product is in flight, :class:`~claimflow.ActionRefusedError` when the engine
        refuses, :class:`~claimflow.StaleVersionError` when *expected_version* is not current."""
        with self.transaction() as conn:
            return _protocol.begin_intent(
                self.core,
                conn,
                order_product_id,
                action,
                actor,
                params,
                expected_version=expected_version,
                lease=lease,
                now=_now(),
            )

    @_retrying
    def finish_intent(
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
        """Step 3, one transaction. APPLIED: ``UPDATE … WHERE version = base`` (0 rows:
        :class:`~claimflow.StaleVersionError`), event + effects, intent APPLIED; *applied* is the
        adapters' result (``RemoteApplied``/``Applied``) or None to compute it with *claim_id*
        (the marketplace's claim id). REFUSED: intent NOT_APPLIED. UNKNOWN: stays SENT, lease
        ended, for the reconcile worker. FAILED: given up. Returns the Applied for APPLIED."""
        with self.transaction() as conn:
            return _protocol.finish_intent(
                self.core,
                conn,
                intent,
                IntentOutcome(outcome),
                applied=applied,
                claim_id=claim_id,
                error=error,
                at=at,
                now=_now(),
            )

    @_retrying
    def pending_intents(
        self,
        lease_expired_before: dt.datetime | None = None,
        *,
        shard: Shard | None = None,
        limit: int = 20,
        lease: dt.timedelta = dt.timedelta(seconds=60),
    ) -> list[Intent]:
        """Claim in-flight intents whose lease ended (default: before now) for reconciling; each
        gets a new *lease* and one more attempt. ``FOR UPDATE SKIP LOCKED`` on PostgreSQL."""
        now = _now()
        with self.transaction() as conn:
            return _protocol.pending_intents(
                conn,
                lease_expired_before=lease_expired_before or now,
                shard=shard,
                limit=limit,
                lease=lease,
                now=now,
            )

    @_retrying
    def intent(self, intent_id: str) -> Intent | None:
        """The stored intent, or None."""
        with self.transaction() as conn:
            return _protocol.get_intent(conn, intent_id)

    @_retrying
    def intents(self, order_product_id: str) -> list[Intent]:
        """Every intent of the order product, oldest first."""
        with self.transaction() as conn:
            return _protocol.intents_of(conn, order_product_id)

    def apply_remote(
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
        """The whole protocol: :meth:`begin_intent`, the marketplace call through
        :func:`claimflow.adapters.apply_remote`, :meth:`finish_intent`.

        Marketplace refused (or nothing sent): intent NOT_APPLIED, the error re-raised, state as
        it was. Outcome unknown: intent left SENT for the reconcile worker, the
        :class:`~claimflow.OutcomeUnknownError` re-raised.
        """
        from ..adapters import apply_remote  # noqa: PLC0415 - the adapters extra is optional

        intent = self.begin_intent(
            order_product_id, action, actor, lease=lease, expected_version=None, **params
        )
        try:
            done = apply_remote(
                adapter,
                intent.order_product,
                intent.action,
                intent.actor,
                ref=ref,
                expected_version=intent.base_version,
                **params,
            )
        except OutcomeUnknownError as e:
            self.finish_intent(intent, IntentOutcome.UNKNOWN, error=_safe(e))
            raise
        except (
            MarketplaceRefusedError,
            NotSupportedError,
            TransportError,
            ActionRefusedError,
        ) as e:
            self.finish_intent(intent, IntentOutcome.REFUSED, error=_safe(e))
            raise
        result = self.finish_intent(intent, IntentOutcome.APPLIED, applied=done)
        assert result is not None
        return result

    # -- effects -------------------------------------------------------------------------------

    @_retrying
    def claim_effects(
        self,
        kinds: Collection[EffectKind | str] | None = None,
        *,
        limit: int = 20,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        shard: Shard | None = None,
    ) -> list[StoredEffect]:
        """Claim due effects (of *kinds*) for delivery, each with a lease and one more attempt."""
        with self.transaction() as conn:
            return _effects.claim_effects(
                conn,
                kinds=None if kinds is None else [EffectKind(k) for k in kinds],
                limit=limit,
                lease=lease,
                shard=shard,
                now=_now(),
            )

    @_retrying
    def settle_effect(
        self,
        effect: StoredEffect,
        settlement: Settlement | str = Settlement.DONE,
        /,
        *,
        error: str | None = None,
        retry_at: dt.datetime | None = None,
    ) -> EffectStatus | None:
        """Settle a claimed effect in its own transaction: DONE, RETRY (PENDING again after a
        backoff; DEAD once ``max_attempts`` deliveries failed) or DEAD. Returns the new status,
        or None when the claim was lost to another worker after its lease ended."""
        with self.transaction() as conn:
            return _effects.settle_effect(
                conn,
                effect,
                Settlement(settlement),
                error=error,
                retry_at=retry_at,
                max_attempts=self.core.max_attempts,
                now=_now(),
            )

    @_retrying
    def effects(
        self, order_product_id: str | None = None, *, status: EffectStatus | str | None = None
    ) -> list[StoredEffect]:
        """Queued effects (all, or of one order product / one status; DEAD ones stay visible)."""
        with self.transaction() as conn:
            return _effects.list_effects(
                conn,
                order_product_id=order_product_id,
                status=None if status is None else EffectStatus(status),
            )


def _check_page_size(page_size: int) -> None:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        msg = f"page_size must be a positive integer, got {page_size!r}"
        raise InvalidInputError(msg, field="page_size")


def _safe(e: BaseException) -> str:
    # claimflow's errors never carry credentials (see claimflow.exceptions)
    return f"{type(e).__name__}: {e}"[:2000]


def _connection_problem(e: sa.exc.OperationalError) -> bool:
    text = str(e.orig).lower()
    return e.connection_invalidated or any(
        w in text
        for w in ("connection", "could not connect", "server closed", "unable to open database")
    )
