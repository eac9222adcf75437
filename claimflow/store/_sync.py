"""Ingest what happens on the marketplace: :func:`sync` polls its lists into the store.

There are no webhooks on Toss, imweb or x2bee: buyers request cancels, returns and exchanges in
the marketplaces' apps and the marketplaces move order products by themselves, so a seller's
system polls. :func:`sync` reads the lists each marketplace documents, creates the order products
the store does not know yet, and records every remote change as history events (actor BUYER,
SYSTEM, or SELLER for a change made in the marketplace's web console) with their effects, origin
``SYNC``. It is idempotent: a change already recorded is found IN_SYNC and writes nothing, and the
``(marketplace, claim id, claim state)`` rows of ``claimflow_remote_claims`` are written once.

The pass follows the lists the marketplace documents (its adapter module's ``LISTS``, read
through :data:`claimflow.adapters.MODULES`; its pauses from ``LIST_PACE``), so per marketplace
(``shared/spec/marketplaces.md`` §5):

- **Toss**: ``GET /claims`` in windows of at most 7 days by request date and ``GET /orders/v2`` in
  windows of at most 31 days by order date [client]; a window's edges may return the same claim
  twice, so claims are keyed by their id. An order product whose order row lies outside the
  polled order window is read back alone.
- **imweb**: the order list (``GET /orders``, paged, rate limit 1/s for list-all calls) with each
  order's item orders (``GET /orders/{order_no}/prod-orders``, 5/s): each page is followed by a
  pause (``pace``, default one second), and the worker's imweb adapter leaves 0.2 s between any
  two calls (``MIN_INTERVAL``, :class:`~claimflow.store.PacedTransport`) [doc: rate limits; client:
  pacing]. imweb's item orders carry their current claim, so no second list is needed.
- **x2bee**: no list API is documented, so only the order products the store knows can be synced:
  each non-terminal one is read with ``claimDetailsInfoFO`` (paced, ``pace`` per read).

The cursor is durable (``claimflow_sync_cursors``, one row per marketplace): where the next sync
starts its date windows (the oldest request date of a claim still open, the oldest order date of
an order product not yet final, never later than today less ``overlap_days``), or for x2bee the
last order product read. It is written only after a complete pass, so a sync killed half-way
polls the same windows again: nothing is missed, and nothing is recorded twice (IN_SYNC).

An order product with an intent in flight belongs to the reconcile worker and is skipped (the next
sync sees it). A remote state no chain of actions leads to is counted in ``unexplained`` and left
as it is (an operator must look).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from .._values import Applied, HistoryEvent, OrderProduct
from .._vocab import SEOUL, Actor, ClaimType, Marketplace, PaymentChannel, Status
from ..adapters import (
    MODULES,
    Adapter,
    ClaimQuery,
    MarketplaceSpec,
    OrderQuery,
    OrderRef,
    RemoteClaim,
    RemoteOrderProduct,
    adopt,
    consistent,
    explain,
    line_money,
)
from ..exceptions import ClaimflowError, MarketplaceError, StaleVersionError
from . import _codec, _effects
from ._schema import (
    IN_FLIGHT,
    bucket_of,
    events,
    intents,
    order_products,
    remote_claims,
    sync_cursors,
)
from ._store import Store

__all__ = ["SyncReport", "read_cursor", "sync"]

#: Who changes an order product on the marketplace's side, in the order sync tries them: the
#: buyer in the app, the marketplace by itself, the seller in the web console.
SYNC_ACTORS = (Actor.BUYER, Actor.SYSTEM, Actor.SELLER)

#: Where a new order product's claims may have started from, tried in this order after the status
#: the wire shows (a code that folds a pending claim in hides it; a claim that ended moved it).
_BASES = (
    Status.DELIVERED,
    Status.SHIPPING,
    Status.PREPARING,
    Status.DELAYED,
    Status.PAID,
    Status.EXCHANGED,
)


#: Where a claim of each type is usually requested from (tried first for a new order product).
_ORIGINS: Mapping[ClaimType, tuple[Status, ...]] = {
    ClaimType.CANCEL: (Status.PREPARING, Status.PAID, Status.DELAYED),
    ClaimType.RETURN: (Status.DELIVERED, Status.SHIPPING),
    ClaimType.EXCHANGE: (Status.DELIVERED, Status.EXCHANGED),
    ClaimType.OPTION_CHANGE: (Status.PAID,),
}


@attrs.frozen
class SyncReport:
    """What one :func:`sync` pass did."""

    marketplace: Marketplace
    seen: int  # order products looked at
    created: int  # order products the store did not know
    changed: int  # order products with new events
    events: int  # history events recorded
    unexplained: int  # remote states no chain of actions leads to (left as they were)
    busy: int  # skipped: an intent in flight (the reconcile worker's)
    unreadable: int  # could not be read back (left for the next pass)
    conflicts: int  # the store holds another marketplace's order product under the same id
    cursor: Mapping[str, Any]  # the cursor written at the end of the pass
    seconds: float

    def summary(self) -> str:
        """One line for a log."""
        return (
            f"{self.marketplace}: {self.seen} seen, {self.created} new, {self.changed} changed "
            f"({self.events} events), {self.unexplained} unexplained, {self.busy} busy, "
            f"{self.unreadable} unreadable"
            + (f", {self.conflicts} id conflicts" if self.conflicts else "")
            + f" in {self.seconds:.2f} s"
        )


# --- the cursor -----------------------------------------------------------------------------------


def read_cursor(store: Store, marketplace: Marketplace) -> dict[str, Any]:
    """The stored cursor of *marketplace* (empty before the first complete pass)."""
    with store.transaction() as conn:
        value = conn.execute(
            sa.select(sync_cursors.c.value).where(
                sync_cursors.c.marketplace == marketplace.value, sync_cursors.c.name == "sync"
            )
        ).scalar_one_or_none()
    return dict(value) if isinstance(value, dict) else {}


def _write_cursor(store: Store, marketplace: Marketplace, value: Mapping[str, Any]) -> None:
    now = dt.datetime.now(dt.UTC)
    key = (sync_cursors.c.marketplace == marketplace.value) & (sync_cursors.c.name == "sync")
    with store.transaction() as conn:
        n = conn.execute(
            sync_cursors.update().where(key).values(value=dict(value), updated_at=now)
        ).rowcount
        if n == 0:
            conn.execute(
                sync_cursors.insert().values(
                    marketplace=marketplace.value, name="sync", value=dict(value), updated_at=now
                )
            )


# --- one batch of remote order products into the store -------------------------------------------


def _new_order_product(
    spec_mp: Marketplace, remote: RemoteOrderProduct, status: Status
) -> OrderProduct:
    # where the wire's order time is when the order was paid (Toss orderedAt [client, §5.1];
    # rules.md D3 counts the shipping deadline from it); the others' are not said to be
    paid_at = remote.ordered_at if MODULES[spec_mp].ORDERED_AT_IS_PAID_AT else None
    return OrderProduct(
        remote.id,
        spec_mp,
        status,
        remote.item_id or remote.name or "unknown",
        remote.unit_price if remote.unit_price is not None else 0,
        remote.quantity or 1,
        payment_channel=remote.payment_channel or PaymentChannel.NORMAL,
        auto_refundable=remote.auto_refundable if remote.auto_refundable is not None else True,
        paid_at=paid_at,
        money=line_money(spec_mp, remote),  # rules.md M1, from the wire's money facts
        shipping_deadline=remote.shipping_deadline,  # Toss shippingDeadlineAt [client, §5.1]
    )


def _create(
    adapter: Adapter, remote: RemoteOrderProduct, at: dt.datetime, memo: dict[Hashable, Any]
) -> tuple[OrderProduct, tuple[Applied, ...]]:
    """A new order product for *remote*: a status without claims (version 0; the one the wire
    shows, else the first of :data:`_BASES` a chain of actions leads from), then that chain to
    what the marketplace shows; without one, the remote state taken over as version 0."""
    spec = adapter.spec
    shown = (remote.status,) if remote.status is not None else ()
    first_claim = remote.claims[0] if remote.claims else None
    likely: tuple[Status, ...] = ()
    if first_claim is not None:
        likely = (
            (first_claim.origin_status,)
            if first_claim.origin_status is not None
            else _ORIGINS.get(first_claim.type, ())
        )
    bases = tuple(dict.fromkeys(shown + likely + (_BASES if remote.claims else ())))
    first: OrderProduct | None = None
    for status in bases or _BASES:
        base = _new_order_product(spec.marketplace, remote, status)
        first = first or base
        try:
            steps = explain(spec, base, remote, actors=SYNC_ACTORS, at=at, memo=memo)
        except ClaimflowError:
            steps = None
        if steps is not None:
            return base, steps
    assert first is not None
    try:
        taken = attrs.evolve(adopt(spec, first, remote), version=0)
    except ClaimflowError:
        taken = first
    return taken, ()


def _load_rows(conn: sa.Connection, ids: Sequence[str]) -> dict[str, OrderProduct]:
    out: dict[str, OrderProduct] = {}
    for chunk in _chunks(ids, 500):
        rows = conn.execute(
            sa.select(order_products.c.id, order_products.c.state).where(
                order_products.c.id.in_(chunk)
            )
        ).all()
        for r in rows:
            out[r.id] = _codec.load(r.state, OrderProduct, table=order_products.name, key=r.id)
    return out


def _held(conn: sa.Connection, ids: Sequence[str]) -> set[str]:
    held: set[str] = set()
    for chunk in _chunks(ids, 500):
        held.update(
            conn.execute(
                sa.select(intents.c.order_product_id).where(
                    intents.c.order_product_id.in_(chunk), intents.c.status.in_(IN_FLIGHT)
                )
            ).scalars()
        )
    return held


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _claim_keys(remote: RemoteOrderProduct) -> set[tuple[str, str]]:
    return {(c.id, f"{c.type}:{c.wire_status}") for c in remote.claims}


#: Order products gathered before their rows are written (still inside the batch's one
#: transaction): a whole batch held until its end kept its objects alive long enough to be
#: promoted, and the garbage collector's extra full passes cost more than the rest of the row
#: handling (bench_sync, 20,000 claims, batch 500: 6 full collections, 1.1 s; written every
#: 100: 3, 0.5 s).
FLUSH_EVERY = 100


@attrs.define
class _Writes:
    """What a part of one batch writes, gathered first and written with one statement per
    table (:func:`_write`), then emptied for the next part of the same transaction."""

    new: list[dict[str, Any]] = attrs.Factory(list)  # order products the store did not know
    moved: list[dict[str, Any]] = attrs.Factory(list)  # known ones that changed
    events: list[dict[str, Any]] = attrs.Factory(list)
    effects: list[tuple[str, int, str, int, tuple[Any, ...]]] = attrs.Factory(list)
    claims: dict[tuple[str, str], dict[str, Any]] = attrs.Factory(dict)
    pending: int = 0  # order products gathered since the last write

    def clear(self) -> None:
        """Forget what was written (the history for the commit hooks is kept apart)."""
        self.new, self.moved, self.events, self.effects = [], [], [], []
        self.claims = {}
        self.pending = 0


def _op_row(op: OrderProduct, ref: OrderRef, now: dt.datetime) -> dict[str, Any]:
    oid = ref.order_id or op.id
    return {
        "id": op.id,
        "marketplace": op.marketplace.value,
        "order_id": oid,
        "bucket": bucket_of(oid),
        "ordered_on": ref.ordered_on,
        "marketplace_ids": {},
        "status": op.status.value,
        "version": op.version,
        "state": _codec.dump_order_product(op),
        "updated_at": now,
    }


def _gather(
    w: _Writes,
    ref: OrderRef,
    base: OrderProduct,
    steps: Sequence[Applied],
    *,
    created: bool,
    now: dt.datetime,
    history: list[HistoryEvent] | None,
) -> None:
    """Add the rows of *steps* from *base* (an order product *created* now, or known) to *w*;
    each event to *history* too, when the store has commit hooks to call with it."""
    oid = ref.order_id or base.id
    final = steps[-1].order_product if steps else base
    if created:
        w.new.append(_op_row(final, ref, now))
    elif steps:
        w.moved.append(
            {
                "b_id": base.id,
                "b_version": base.version,
                "state": _codec.dump_order_product(final),
                "status": final.status.value,
                "version": final.version,
                "updated_at": now,
            }
        )
    for step in steps:
        e = step.event
        if history is not None:
            history.append(e)
        w.events.append(
            {
                "order_product_id": e.order_product_id,
                "version": e.version,
                "order_id": oid,
                "action": e.action.value,
                "actor": e.actor.value,
                "origin": "SYNC",
                "intent_id": None,
                "event": _codec.dump_event(e),
                "at": e.at,
            }
        )
        if e.effects:
            w.effects.append((e.order_product_id, e.version, oid, bucket_of(oid), e.effects))


def _gather_claims(
    w: _Writes, mp: Marketplace, remote: RemoteOrderProduct, version: int, now: dt.datetime
) -> None:
    """The ``(claim id, claim state)`` rows *remote* shows, each once (the first seen wins)."""
    for cid, state in _claim_keys(remote):
        w.claims.setdefault(
            (cid, state),
            {
                "marketplace": mp.value,
                "claim_id": cid,
                "state": state,
                "order_product_id": remote.id,
                "version": version,
                "seen_at": now,
            },
        )


def _write(
    store: Store, conn: sa.Connection, mp: Marketplace, w: _Writes, now: dt.datetime
) -> None:
    """Write what *w* gathered, inside the batch's transaction: new order products, the guarded
    updates (``UPDATE … WHERE version =``; a row another worker moved first fails the batch,
    which the next pass does again), events, effects (through the store, for its in-transaction
    handlers), claim rows not written yet (also not by an earlier part of this batch)."""
    if w.new:
        conn.execute(order_products.insert(), w.new)
    if w.moved:
        stmt = (
            order_products.update()
            .where(
                order_products.c.id == sa.bindparam("b_id"),
                order_products.c.version == sa.bindparam("b_version"),
            )
            .values(
                state=sa.bindparam("state"),
                status=sa.bindparam("status"),
                version=sa.bindparam("version"),
                updated_at=sa.bindparam("updated_at"),
            )
        )
        n = conn.execute(stmt, w.moved).rowcount
        if n != len(w.moved):
            msg = (
                f"{mp}: {len(w.moved) - n} of {len(w.moved)} order products changed while the "
                "sync read them; nothing of this batch was written (the next pass does it again)"
            )
            raise StaleVersionError(msg, expected=len(w.moved), actual=n)
    if w.events:
        conn.execute(events.insert(), w.events)
    for op_id, version, oid, bucket, items in w.effects:
        _effects.insert_effects(
            conn,
            order_product_id=op_id,
            version=version,
            order_id=oid,
            bucket=bucket,
            items=items,
            in_transaction=store.core.in_transaction,
            now=now,
        )
    if w.claims:
        seen: set[tuple[str, str]] = set()
        ids = sorted({cid for cid, _ in w.claims})
        for chunk in _chunks(ids, 500):
            seen.update(
                (r.claim_id, r.state)
                for r in conn.execute(
                    sa.select(remote_claims.c.claim_id, remote_claims.c.state).where(
                        remote_claims.c.marketplace == mp.value,
                        remote_claims.c.claim_id.in_(chunk),
                    )
                )
            )
        rows = [row for key, row in w.claims.items() if key not in seen]
        if rows:
            conn.execute(remote_claims.insert(), rows)
    w.clear()


def _judge_known(  # noqa: PLR0917 - private; the batch's pieces
    spec: MarketplaceSpec,
    op: OrderProduct,
    remote: RemoteOrderProduct,
    held: set[str],
    now: dt.datetime,
    memo: dict[Hashable, Any],
) -> tuple[Applied, ...] | str:
    """The changes to record for *op*, known to the store, or why none are recorded: the tally
    it counts in ("" when it is in sync)."""
    if op.marketplace is not spec.marketplace:  # another marketplace's order product, same id
        return "conflict"
    if remote.id in held:
        return "busy"
    if consistent(spec, op, remote):
        return ""
    try:
        found = explain(spec, op, remote, actors=SYNC_ACTORS, at=now, memo=memo)
    except ClaimflowError:
        found = None
    return "unexplained" if found is None else found


def _ingest(
    store: Store,
    adapter: Adapter,
    batch: Sequence[tuple[RemoteOrderProduct, OrderRef]],
    tally: Counter[str],
    memo: dict[Hashable, Any],
) -> None:
    """One transaction: create, judge and record every order product of *batch*. *memo*: the
    pass's path searches (:func:`claimflow.adapters.explain`), shared by its batches."""
    spec = adapter.spec
    mp = spec.marketplace
    now = dt.datetime.now(dt.UTC)
    ids = list(dict.fromkeys(r.id for r, _ in batch))
    repeated = {i for i, n in Counter(r.id for r, _ in batch).items() if n > 1}
    w = _Writes()
    hooks = store.core.commit_hooks
    history: list[HistoryEvent] | None = [] if hooks else None
    with store.transaction() as conn:
        local = _load_rows(conn, ids)
        held = _held(conn, [i for i in ids if i in local])
        for remote, ref in batch:
            tally["seen"] += 1
            op = local.get(remote.id)
            created = op is None
            if op is None:
                op, steps = _create(adapter, remote, now, memo)
                tally["created"] += 1
            else:
                judged = _judge_known(spec, op, remote, held, now, memo)
                if isinstance(judged, str):
                    if judged:
                        tally[judged] += 1
                    continue
                steps = judged
            _gather(w, ref, op, steps, created=created, now=now, history=history)
            final = steps[-1].order_product if steps else op
            if op.id in repeated:  # the batch lists it again: judge that from this state
                local[op.id] = final
            else:
                local.pop(op.id, None)
            if steps:
                tally["changed"] += 1
                tally["events"] += len(steps)
            _gather_claims(w, mp, remote, final.version, now)
            w.pending += 1
            if w.pending >= FLUSH_EVERY:
                _write(store, conn, mp, w, now)
        _write(store, conn, mp, w, now)
        for hook in hooks:
            for event in history or ():
                hook(conn, event)


# --- reading each marketplace's lists -------------------------------------------------------------


Sleep = Callable[[float], None]


def _claims_and_orders_pass(
    store: Store,
    adapter: Adapter,
    cursor: Mapping[str, Any],
    *,
    until: dt.date,
    batch: int,
    tally: Counter[str],
    overlap: dt.timedelta,
) -> dict[str, Any]:
    """A claims list and an order list (Toss): claims by request date, order rows by order date,
    joined by order product; one whose order row lies outside the window is read back alone."""
    memo: dict[Hashable, Any] = {}  # the pass's path searches, by signature
    claims_from = dt.date.fromisoformat(cursor["claims_from"])
    orders_from = dt.date.fromisoformat(cursor["orders_from"])
    claims: dict[str, dict[str, RemoteClaim]] = {}
    for c in adapter.iter_claims(ClaimQuery(since=claims_from, until=until)):
        claims.setdefault(c.order_product_id, {})[c.id] = c  # window edges repeat a claim
    rows: dict[str, RemoteOrderProduct] = {}
    for listed_row in adapter.iter_order_products(OrderQuery(since=orders_from, until=until)):
        rows[listed_row.id] = listed_row
    pending: list[tuple[RemoteOrderProduct, OrderRef]] = []
    open_since = until - overlap
    orders_since = until - overlap
    for op_id in list(rows) + [i for i in claims if i not in rows]:
        row = rows.get(op_id)
        listed = claims.get(op_id, {})
        if row is None:  # ordered before the order window: read it back alone
            try:
                ref = _stored_ref(store, op_id, listed)
                remote = adapter.read(ref)
            except (MarketplaceError, ClaimflowError):
                tally["unreadable"] += 1
                continue
        else:
            remote = adapter.spec.assemble(row, sorted(listed.values(), key=_claim_order))
            ref = remote.ref
        for c in remote.claims:
            if c.is_open and c.requested_at is not None:
                open_since = min(open_since, _day(c.requested_at) - overlap)
        if remote.ordered_at is not None and (remote.status is None or not remote.status.terminal):
            orders_since = min(orders_since, _day(remote.ordered_at) - overlap)
        pending.append((remote, ref))
        if len(pending) >= batch:
            _ingest(store, adapter, pending, tally, memo)
            pending = []
    if pending:
        _ingest(store, adapter, pending, tally, memo)
    return {
        "claims_from": max(claims_from, open_since).isoformat(),
        "orders_from": max(orders_from, orders_since).isoformat(),
    }


def _day(at: dt.datetime) -> dt.date:
    """The marketplace's calendar day of *at* (KST), one day earlier for a time given in another
    zone, so that a window never starts after it whichever day the list files it under."""
    day = at.astimezone(SEOUL).date()
    return day if at.utcoffset() == SEOUL.utcoffset(None) else min(day, at.date())


def _claim_order(c: RemoteClaim) -> tuple[bool, dt.datetime | None, str]:
    return (c.requested_at is None, c.requested_at, c.id)


def _stored_ref(store: Store, op_id: str, listed: Mapping[str, RemoteClaim]) -> OrderRef:
    row = store.row(op_id)  # UnknownOrderProductError: no order date to find it by
    order_id = next((c.order_id for c in listed.values() if c.order_id), row.order_id)
    return OrderRef(op_id, order_id, row.ordered_on)


def _orders_pass(
    store: Store,
    adapter: Adapter,
    cursor: Mapping[str, Any],
    *,
    until: dt.date,
    batch: int,
    tally: Counter[str],
    overlap: dt.timedelta,
    pace: float,
    sleep: Sleep,
) -> dict[str, Any]:
    """Order products from the order list (their rows carry the current claim), a pause of
    *pace* seconds after each page (imweb's 1/s for list-all calls [doc])."""
    memo: dict[Hashable, Any] = {}  # the pass's path searches, by signature
    orders_from = dt.date.fromisoformat(cursor["orders_from"])
    query = OrderQuery(since=orders_from, until=until)
    orders_since = until - overlap
    page_cursor: str | None = None
    while True:
        page = adapter.list_order_products(query, page_cursor)
        found = [(r, r.ref) for r in page.items]
        for r, _ref in found:
            if r.ordered_at is not None and (r.status is None or not r.status.terminal):
                orders_since = min(orders_since, _day(r.ordered_at) - overlap)
        for i in range(0, len(found), batch):
            _ingest(store, adapter, found[i : i + batch], tally, memo)
        if page.next_cursor is None:
            break
        page_cursor = page.next_cursor
        sleep(pace)
    return {"orders_from": max(orders_from, orders_since).isoformat()}


def _known_pass(
    store: Store,
    adapter: Adapter,
    cursor: Mapping[str, Any],
    *,
    batch: int,
    tally: Counter[str],
    pace: float,
    sleep: Sleep,
    limit: int | None,
) -> dict[str, Any]:
    """No list to poll (x2bee): read back each live order product the store knows, after the
    cursor's id, a pause of *pace* seconds after each read; at most *limit* reads a pass."""
    memo: dict[Hashable, Any] = {}  # the pass's path searches, by signature
    after = str(cursor.get("after", ""))
    with store.transaction() as conn:
        rows = conn.execute(
            sa.select(order_products.c.id, order_products.c.order_id, order_products.c.status)
            .where(
                order_products.c.marketplace == adapter.spec.marketplace.value,
                order_products.c.id > after,
            )
            .order_by(order_products.c.id)
        ).all()
    live = [r for r in rows if not Status(r.status).terminal]
    if limit is not None:
        live = live[:limit]
    pending: list[tuple[RemoteOrderProduct, OrderRef]] = []
    last = after
    for r in live:
        try:
            remote = adapter.read(OrderRef(r.id, r.order_id))
        except MarketplaceError:
            tally["unreadable"] += 1
            continue
        pending.append((remote, OrderRef(r.id, r.order_id)))
        last = r.id
        if len(pending) >= batch:
            _ingest(store, adapter, pending, tally, memo)
            pending = []
        if pace:
            sleep(pace)
    if pending:
        _ingest(store, adapter, pending, tally, memo)
    done = limit is None or len(live) < limit
    return {"after": "" if done else last}


def sync(
    store: Store,
    adapter: Adapter,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    lookback_days: int = 30,
    overlap_days: int = 1,
    batch: int = 200,
    pace: float | None = None,
    limit: int | None = None,
    sleep: Sleep = time.sleep,
) -> SyncReport:
    """One pass over *adapter*'s marketplace into *store* (see the module docstring).

    *since*: where to start the first time (default: *lookback_days* before today; later passes
    start at the stored cursor, or at *since* if that is earlier); *until*: the last day (default:
    today, KST). *batch*: order products per transaction. *pace*: seconds to wait between list
    pages (imweb) or reads (x2bee); None: the marketplace's default. *limit*: x2bee reads per pass.
    """
    started = time.perf_counter()
    mp = adapter.spec.marketplace
    today = dt.datetime.now(SEOUL).date()
    until = until or today
    first = since or (today - dt.timedelta(days=lookback_days))
    stored = read_cursor(store, mp)
    cursor: dict[str, Any] = {
        "claims_from": min(first, dt.date.fromisoformat(stored["claims_from"])).isoformat()
        if "claims_from" in stored and since is not None
        else stored.get("claims_from", first.isoformat()),
        "orders_from": min(first, dt.date.fromisoformat(stored["orders_from"])).isoformat()
        if "orders_from" in stored and since is not None
        else stored.get("orders_from", first.isoformat()),
        "after": stored.get("after", ""),
    }
    tally: Counter[str] = Counter()
    overlap = dt.timedelta(days=overlap_days)
    lists = MODULES[mp].LISTS  # the lists the marketplace documents: how it is polled
    if lists == "claims_and_orders":
        new = _claims_and_orders_pass(
            store, adapter, cursor, until=until, batch=batch, tally=tally, overlap=overlap
        )
    elif lists == "orders":
        new = _orders_pass(
            store,
            adapter,
            cursor,
            until=until,
            batch=batch,
            tally=tally,
            overlap=overlap,
            pace=pace if pace is not None else MODULES[mp].LIST_PACE,
            sleep=sleep,
        )
    else:
        new = _known_pass(
            store,
            adapter,
            cursor,
            batch=batch,
            tally=tally,
            pace=pace if pace is not None else MODULES[mp].LIST_PACE,
            sleep=sleep,
            limit=limit,
        )
    _write_cursor(store, mp, new)
    return SyncReport(
        mp,
        seen=tally["seen"],
        created=tally["created"],
        changed=tally["changed"],
        events=tally["events"],
        unexplained=tally["unexplained"],
        busy=tally["busy"],
        unreadable=tally["unreadable"],
        conflicts=tally["conflict"],
        cursor=new,
        seconds=time.perf_counter() - started,
    )
