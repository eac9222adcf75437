"""Commit after success: decide with the engine, call the marketplace, then commit locally.

:func:`apply_remote` answers Spree's critique of state machines that call payment gateways inside
their transitions: the decision is a value first (``claimflow.check``), the marketplace call
comes next, and the local transition (``claimflow.apply``) is computed only after the marketplace
accepted the call. Order products are frozen values, so a refused or failed call cannot have
changed the local one. When a write's outcome is unknown, :func:`reconcile` reads the remote state
and brings the local one in line, so that retrying never applies an action twice.

:func:`reconcile` **judges by the intent** (the :class:`PendingAction`: the one action attempted on
this order product, on the version it was decided on):

- a remote change that matches the intent is the intent's (``APPLIED``: exactly what
  :func:`claimflow.apply` makes of it, with the marketplace's claim id where it opened a claim);
- a remote change that does not match is someone else's (a seller clicking in the marketplace's
  web console, the buyer in the app, the marketplace by itself): ``ADOPTED`` as the actions that
  lead there, each with its own history event and its own effects, so a refund the marketplace
  made is recorded once, by the change that made it;
- no remote change is ``NOT_APPLIED`` (safe to try again) only when the write is known not to be
  in flight any more: the marketplace answered it (HTTP 5xx, an unreadable answer), or it was sent
  more than ``in_flight_for`` seconds ago. Until then the outcome is ``IN_FLIGHT``: nothing is
  decided and a retry is not safe; reconcile again later.

Claim ids are the marketplace's: an action that opens a claim takes the id from the action's
answer (``ItemResult.claim_id`` where the adapter reports one) or else reads the order product back
(x2bee's documented cancel flow ends with ``claimDetailsInfoFO``), so no claim id is invented and
later adopted a second time.

``expected_version`` (every function here): the version the caller's store holds. An order product
at another version is refused with :class:`~claimflow.StaleVersionError` before any call.

The sync and async functions share everything but the ``await``: deciding, judging the remote
state and committing are the pure functions below.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import deque
from collections.abc import Hashable, Mapping, MutableMapping, Sequence
from enum import StrEnum
from typing import Any

import attrs

from .._engine import allowed_actions, apply, check, example_params
from .._rules import rules_for
from .._time import delay_window_open
from .._values import (
    Applied,
    CandidateItem,
    Claim,
    Decision,
    HistoryEvent,
    OrderProduct,
    Params,
)
from .._vocab import Action, Actor, ClaimStatus, ClaimType, Marketplace, Status
from ..exceptions import (
    ActionRefusedError,
    ClaimflowError,
    InvalidInputError,
    MarketplaceError,
    MarketplaceRefusedError,
    OutcomeUnknownError,
    StaleVersionError,
    UnexpectedResponseError,
)
from ._clients import Adapter, AsyncAdapter
from ._money import claim_delivery
from ._spec import MarketplaceSpec
from ._values import ActionResult, ItemResult, OrderRef, RemoteAction, RemoteOrderProduct

__all__ = [
    "IN_FLIGHT_SECONDS",
    "BatchApplied",
    "BatchItem",
    "PendingAction",
    "PendingBatch",
    "ReconcileOutcome",
    "Reconciled",
    "RemoteApplied",
    "apply_remote",
    "apply_remote_async",
    "apply_remote_many",
    "apply_remote_many_async",
    "explain",
    "pending_action",
    "reconcile",
    "reconcile_async",
]

#: How long a write sent without an answer (a timeout, a dropped connection) may still be on its
#: way to the marketplace: until then :func:`reconcile` does not call it NOT_APPLIED.
IN_FLIGHT_SECONDS = 60.0

#: The longest chain of actions :func:`reconcile` looks for between the local and the remote
#: state (an external change is usually one or two actions: a request, an approval).
MAX_ADOPTED_STEPS = 4
_MAX_SEARCHED = 4000  # states looked at, at most, while searching for that chain


@attrs.frozen
class PendingAction:
    """An action whose outcome on the marketplace is unknown: what :func:`reconcile` needs."""

    order_product: OrderProduct  # the local order product before the action
    action: Action
    actor: Actor
    params: Params  # as the caller gave them
    remote: RemoteAction
    ref: OrderRef
    #: when the write was sent (None: the caller vouches that nothing is in flight)
    sent_at: dt.datetime | None = None
    #: the marketplace answered the write (HTTP 5xx, an unreadable answer): it is not in flight
    answered: bool = False

    def in_flight(self, now: dt.datetime, in_flight_for: float = IN_FLIGHT_SECONDS) -> bool:
        """Whether the write may still reach the marketplace at *now*."""
        if self.answered or self.sent_at is None:
            return False
        return (now - self.sent_at).total_seconds() < in_flight_for


@attrs.frozen
class PendingBatch:
    """A batch action (:func:`apply_remote_many`) whose outcome is unknown: one
    :class:`PendingAction` per order product. Pass it as ``pending`` to :func:`reconcile` with
    each order product of the batch; some items may have taken effect and others not."""

    items: tuple[PendingAction, ...]
    remote: RemoteAction

    def of(self, order_product_id: str) -> PendingAction:
        """The pending action of *order_product_id*."""
        for p in self.items:
            if p.order_product.id == order_product_id:
                return p
        msg = f"order product {order_product_id!r} is not in this batch"
        raise InvalidInputError(msg, field="pending")


@attrs.frozen
class RemoteApplied:
    """The marketplace accepted the action and it was committed locally."""

    order_product: OrderProduct
    event: HistoryEvent
    decision: Decision
    result: ActionResult


@attrs.frozen
class BatchItem:
    """One order product of a batch: committed (``applied``) or left as it was."""

    order_product: OrderProduct
    result: ItemResult
    applied: Applied | None = None


@attrs.frozen
class BatchApplied:
    """A batch action's outcome, item by item; only the items that succeeded were committed."""

    items: tuple[BatchItem, ...]
    result: ActionResult

    @property
    def ok(self) -> bool:
        """Whether every item succeeded."""
        return self.result.ok


class ReconcileOutcome(StrEnum):
    """What :func:`reconcile` found."""

    IN_SYNC = "in_sync"  # no pending action; the remote state is the local one
    APPLIED = "applied"  # the pending action took effect remotely; committed locally (once)
    NOT_APPLIED = "not_applied"  # the pending action did not take effect: safe to try again
    ADOPTED = "adopted"  # the remote state moved otherwise (e.g. a buyer request): taken over
    IN_FLIGHT = "in_flight"  # no change yet, but the write may still arrive: reconcile later


@attrs.frozen
class Reconciled:
    """The local order product brought in line with the marketplace.

    ``applied``: for APPLIED, exactly what :func:`claimflow.apply` makes of the pending action.
    ``adopted``: the external changes found after it (or instead of it, for ADOPTED), as the
    actions that lead to the remote state, each with its own event and effects, in order. When no
    chain of actions the rules know leads there, ``adopted`` is empty and ``order_product`` is
    the remote state taken over (one version later, :func:`adopt`) without an event.
    """

    order_product: OrderProduct
    outcome: ReconcileOutcome
    remote: RemoteOrderProduct
    applied: Applied | None = None
    adopted: tuple[Applied, ...] = ()

    @property
    def steps(self) -> tuple[Applied, ...]:
        """Every change to record, in order: the intent's (if applied), then the external ones."""
        return ((self.applied,) if self.applied else ()) + self.adopted

    @property
    def events(self) -> tuple[HistoryEvent, ...]:
        """The history events of :attr:`steps`."""
        return tuple(a.event for a in self.steps)


# --- pure steps ---------------------------------------------------------------------------------


def _ref(op: OrderProduct, ref: OrderRef | None) -> OrderRef:
    if ref is None:
        return OrderRef(op.id)
    if ref.order_product_id != op.id:
        msg = f"ref is for order product {ref.order_product_id!r}, not {op.id!r}"
        raise InvalidInputError(msg, field="ref")
    return ref


def _same_marketplace(mp: Marketplace, op: OrderProduct) -> None:
    if op.marketplace is not mp:
        msg = f"order product {op.id!r} is on {op.marketplace}, the adapter talks to {mp}"
        raise InvalidInputError(msg, field="marketplace")


def _decide(
    spec: MarketplaceSpec,
    op: OrderProduct,
    action: Action | str,
    actor: Actor | str,
    *,
    ref: OrderRef | None,
    params: Mapping[str, object],
) -> PendingAction:
    _same_marketplace(spec.marketplace, op)
    ref = _ref(op, ref)
    decision = check(op, action, actor, **params)
    if not decision.allowed:
        raise ActionRefusedError(decision)
    remote = RemoteAction(
        op.marketplace,
        decision.action,
        op.id,
        claim_id=op.open_claim.id if op.open_claim else None,
        order_id=ref.order_id,
        params=decision.params,
    )
    return PendingAction(op, decision.action, decision.actor, tuple(params.items()), remote, ref)


def _apply(
    p: PendingAction, *, claim_id: str | None = None, at: dt.datetime | None = None
) -> Applied:
    """What :func:`claimflow.apply` makes of the pending action (a new value; nothing changes);
    *claim_id* names a claim it opens (the marketplace's id)."""
    params: dict[str, Any] = dict(p.params)
    return apply(
        p.order_product,
        p.action,
        p.actor,
        expected_version=p.order_product.version,
        claim_id=claim_id,
        at=at,
        **params,
    )


def _check_version(op: OrderProduct, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != op.version:
        msg = (
            f"order product {op.id!r} is at version {op.version}, not the expected "
            f"{expected_version}: re-read it and decide again (nothing was sent)"
        )
        raise StaleVersionError(msg, expected=expected_version, actual=op.version)


def _check_versions(ops: Sequence[OrderProduct], expected: Sequence[int] | None) -> None:
    if expected is None:
        return
    if len(expected) != len(ops):
        msg = f"{len(expected)} expected versions for {len(ops)} order products"
        raise InvalidInputError(msg, field="expected_version")
    for op, version in zip(ops, expected, strict=True):
        _check_version(op, version)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _answered(e: OutcomeUnknownError | UnexpectedResponseError) -> bool:
    """Whether the marketplace answered the write (so it is not in flight any more): an answer it
    could not read, or an HTTP 5xx. A timeout or a dropped connection (an httpx error as the
    cause) leaves it possibly in flight."""
    return isinstance(e, UnexpectedResponseError) or e.__cause__ is None


def _unknown(
    e: OutcomeUnknownError | UnexpectedResponseError, p: PendingAction | PendingBatch
) -> Exception:
    text = str(e)
    if isinstance(e, UnexpectedResponseError):
        text += "; the action may have been carried out: reconcile before retrying"
    answered = _answered(e)
    if isinstance(p, PendingBatch):
        p = attrs.evolve(p, items=tuple(attrs.evolve(i, answered=answered) for i in p.items))
    else:
        p = attrs.evolve(p, answered=answered)
    first = p.items[0] if isinstance(p, PendingBatch) else p
    return OutcomeUnknownError(
        text,
        marketplace=e.marketplace,
        pending=p,
        order_product_id=first.order_product.id,
        action=first.action,
    )


def _known_claims(op: OrderProduct) -> set[str]:
    return {c.id for c in (*op.closed_claims, *((op.open_claim,) if op.open_claim else ()))}


def _result_item(p: PendingAction, result: ActionResult) -> ItemResult:
    item = result.item(p.order_product.id)
    if item is None:
        msg = (
            f"{p.remote.marketplace}: the answer to {p.action} does not name {p.order_product.id!r}"
        )
        raise UnexpectedResponseError(
            msg,
            marketplace=p.remote.marketplace,
            field="items",
            order_product_id=p.order_product.id,
            action=p.action,
        )
    if not item.ok:
        raise _item_refused(p.remote, item)
    return item


def _needs_read_back(spec: MarketplaceSpec, p: PendingAction, result: ActionResult) -> bool:
    """Whether the action opened a claim whose marketplace id the answer does not carry, on a
    marketplace that names claims by id (x2bee's cancelFO answers with no content)."""
    item = _result_item(p, result)
    if not spec.claims_by_id or getattr(item, "claim_id", None):
        return False
    event = _apply(p).event
    return event.claim_id is not None and event.claim_id not in _known_claims(p.order_product)


def _new_claim_id(
    spec: MarketplaceSpec,
    op: OrderProduct,
    claim_type: ClaimType | None,
    remote: RemoteOrderProduct,
    taken: set[str],
) -> str | None:
    """The marketplace's id of the claim of *claim_type* that *op* does not know yet (the
    oldest such on the wire), or None. imweb shows no ids: its current claim's made-up one."""
    candidates = [c for c in remote.claims if c.id not in _known_claims(op) and c.id not in taken]
    for c in candidates:
        if claim_type is None or c.type is claim_type:
            return c.id
    return None


def _commit(
    spec: MarketplaceSpec,
    p: PendingAction,
    result: ActionResult,
    remote: RemoteOrderProduct | None = None,
) -> RemoteApplied:
    item = _result_item(p, result)
    claim_id: str | None = getattr(item, "claim_id", None)
    if claim_id is None and remote is not None:
        claim_id = _new_claim_id(spec, p.order_product, _apply(p).event.claim_type, remote, set())
    done = _apply(p, claim_id=claim_id)
    return RemoteApplied(done.order_product, done.event, done.decision, result)


def _read_back_failed(p: PendingAction, e: ClaimflowError) -> OutcomeUnknownError:
    msg = (
        f"{p.remote.marketplace}: {p.action} on order product {p.order_product.id!r} was "
        f"carried out, but its claim could not be read back ({type(e).__name__}): reconcile "
        "with this pending action to record it with the marketplace's claim id"
    )
    return OutcomeUnknownError(
        msg,
        marketplace=p.remote.marketplace,
        pending=attrs.evolve(p, answered=True),
        order_product_id=p.order_product.id,
        action=p.action,
    )


def _item_refused(remote: RemoteAction, item: ItemResult) -> MarketplaceRefusedError:
    msg = (
        f"{remote.marketplace}: {remote.action} on order product {item.order_product_id!r}: "
        f"refused by the marketplace: {item.code}: {item.message}"
    )
    return MarketplaceRefusedError(
        msg,
        marketplace=remote.marketplace,
        code=item.code or "",
        message=item.message or "",
        order_product_id=item.order_product_id,
        action=remote.action,
    )


def _decide_batch(
    spec: MarketplaceSpec,
    ops: Sequence[OrderProduct],
    action: Action | str,
    actor: Actor | str,
    *,
    refs: Sequence[OrderRef] | None,
    params: Mapping[str, object],
) -> tuple[list[PendingAction], RemoteAction]:
    if not ops:
        msg = "a batch needs at least one order product"
        raise InvalidInputError(msg, field="order_products")
    if refs is not None and len(refs) != len(ops):
        msg = f"{len(refs)} refs for {len(ops)} order products"
        raise InvalidInputError(msg, field="refs")
    pendings = [
        _decide(spec, op, action, actor, ref=refs[i] if refs else None, params=params)
        for i, op in enumerate(ops)
    ]
    first = pendings[0].remote
    remote = attrs.evolve(first, item_ids=tuple(op.id for op in ops))
    return pendings, remote


def _commit_batch(pendings: list[PendingAction], result: ActionResult) -> BatchApplied:
    items: list[BatchItem] = []
    for p in pendings:
        item = result.item(p.order_product.id) or ItemResult(
            p.order_product.id, False, "MISSING", "the answer does not name this item"
        )
        applied = None
        if item.ok:
            applied = _apply(p)
        items.append(
            BatchItem(applied.order_product if applied else p.order_product, item, applied)
        )
    return BatchApplied(tuple(items), result)


def consistent(spec: MarketplaceSpec, op: OrderProduct, remote: RemoteOrderProduct) -> bool:
    """Whether *op* is what the marketplace shows, as far as its wire can tell."""
    if remote.status is not None and remote.status is not op.status:
        return False
    if _shown_item(spec, op, remote) is not None:  # the buyer changed the option (x2bee X2)
        return False
    ro, lo = remote.open_claim, op.open_claim
    if (ro is None) != (lo is None):
        return False
    if not spec.claims_by_id:
        # imweb shows the current claim's type and status without an id, and no closed claims:
        # compare what it shows. A wire that cannot show a hold (hold_known False) shows a held
        # claim at the status it holds: a local hold is neither confirmed nor contradicted
        if ro is None or lo is None:
            return True
        if ro.hold_known:
            here: tuple[object, ...] = (lo.type, lo.status, lo.held_from)
            shown: tuple[object, ...] = (ro.type, ro.status, ro.held_from)
        else:
            held = lo.status is ClaimStatus.HELD and lo.held_from is not None
            here = (lo.type, lo.held_from if held else lo.status)
            shown = (ro.type, ro.status)
        return here == shown and ro.origin_status in {None, lo.origin_status}
    if (
        ro is not None
        and lo is not None
        and (ro.id, ro.type, ro.status)
        != (
            lo.id,
            lo.type,
            lo.status,
        )
    ):
        return False
    known = {c.id: c for c in (*op.closed_claims, *((lo,) if lo else ()))}
    for rc in remote.claims:
        local = known.get(rc.id)
        if local is None:  # a claim the local side never heard of (the buyer's, say)
            return False
        if spec.claim_status_code(local.type, local.status) != rc.wire_status:
            return False
    return True


@functools.cache
def _changes_items(mp: Marketplace) -> bool:
    """Whether a rule of *mp* moves an order product to another item (x2bee ``option.change``,
    rule X2): only there is the wire's item id the local one, to compare and to take over."""
    return any(r.changes_item for r in rules_for(mp))


def _shown_item(
    spec: MarketplaceSpec, op: OrderProduct, remote: RemoteOrderProduct
) -> CandidateItem | None:
    """The item the marketplace shows *op* on when it is not *op*'s (the buyer changed the
    option in the storefront), as the ``new_item`` of the change that got it there; else None.

    The wire shows the item id (x2bee ``itmNo``) and perhaps a price (``salePrc``, an
    [inferred] field): the change keeps the ordered price (X2: only to an item of the same price),
    so a price read from the wire is never taken over; one that differs contradicts the rules and
    is :class:`~claimflow.exceptions.UnexpectedResponseError` naming it, not a refund computed
    from an inferred figure. On sale and in stock for the line is what X2 required of the item
    when the change was made, not a fact the wire states.
    """
    if not _changes_items(spec.marketplace):
        return None
    if remote.item_id is None or remote.item_id == op.item_id:
        return None
    if remote.unit_price is not None and remote.unit_price != op.unit_price:
        msg = (
            f"{spec.marketplace}: order product {op.id!r} shows item {remote.item_id!r} at "
            f"{remote.unit_price} won, but an option change keeps the price ({op.unit_price} won, "
            "rules.md X2)"
        )
        raise UnexpectedResponseError(
            msg, marketplace=spec.marketplace.value, field="unit_price", order_product_id=op.id
        )
    return CandidateItem(remote.item_id, op.unit_price, True, op.quantity)


def _item_taken_over(
    spec: MarketplaceSpec, op: OrderProduct, remote: RemoteOrderProduct
) -> dict[str, Any]:
    """The ``item_id`` and ``unit_price`` :func:`adopt` takes over, as ``option.change`` sets
    them (``claimflow._engine._commit``): none when the item is the same."""
    item = _shown_item(spec, op, remote)
    if item is None:
        return {}
    return {"item_id": item.item_id, "unit_price": item.unit_price}


def adopt(spec: MarketplaceSpec, op: OrderProduct, remote: RemoteOrderProduct) -> OrderProduct:
    """*op* taken over to the remote state (one version later), keeping what only the local side
    knows (a claim's origin status, which Toss's folded codes hide). An item the marketplace shows
    in place of *op*'s (x2bee option change, X2) is taken over with its unit price."""
    if not spec.claims_by_id:
        return attrs.evolve(_adopt_current(op, remote), **_item_taken_over(spec, op, remote))
    known = {c.id: c for c in (*op.closed_claims, *((op.open_claim,) if op.open_claim else ()))}
    ro = remote.open_claim
    status = remote.status
    if status is None:
        # the code hides the status: a pending request keeps it; a closed request went back to
        # its claim's origin
        latest = remote.claims[-1] if remote.claims else None
        if ro is None and latest is not None and latest.id in known:
            status = known[latest.id].origin_status
        else:
            status = op.status
    open_claim: Claim | None = None
    if ro is not None:
        before = known.get(ro.id)
        open_claim = Claim(
            ro.id,
            ro.type,
            ro.status,
            before.origin_status if before else status,
            reason=before.reason if before else ro.reason,
            params=before.params if before else (),
            delivery=claim_delivery(spec.marketplace, ro) or (before.delivery if before else None),
        )
    closed = list(op.closed_claims)
    closed += [  # closed claims the local side never heard of, e.g. a withdrawn buyer request
        Claim(
            rc.id,
            rc.type,
            rc.status,
            status,
            reason=rc.reason,
            delivery=claim_delivery(spec.marketplace, rc),
        )
        for rc in remote.claims
        if rc.id not in known and not rc.is_open
    ]
    lo = op.open_claim
    if lo is not None and (ro is None or ro.id != lo.id):
        gone = next((c for c in remote.claims if c.id == lo.id), None)
        if gone is None:
            msg = (
                f"{spec.marketplace}: the open claim {lo.id!r} of order product {op.id!r} is "
                "not in the marketplace's claims list"
            )
            raise UnexpectedResponseError(
                msg, marketplace=spec.marketplace, field="claims", order_product_id=op.id
            )
        closed.append(attrs.evolve(lo, status=gone.status, held_from=None))
    new = attrs.evolve(
        op,
        status=status,
        open_claim=open_claim,
        closed_claims=closed,
        version=op.version + 1,
        **_item_taken_over(spec, op, remote),
    )
    allowed_actions(new, Actor.SELLER)  # raises InconsistentStateError for a state rules forbid
    return new


# how a claim of each type ends when it completes (for a claim that vanished from imweb's wire)
_COMPLETED_AS = {
    ClaimType.CANCEL: Status.CANCELED,
    ClaimType.RETURN: Status.RETURNED,
    ClaimType.EXCHANGE: Status.EXCHANGED,
}


def _adopt_current(op: OrderProduct, remote: RemoteOrderProduct) -> OrderProduct:
    """:func:`adopt` for a marketplace that shows only the current claim, without an id (imweb).

    An open claim of the same type is the local one, moved on (its id, reason and parameters
    stay). A local open claim the wire no longer shows has closed: as the wire's closed claim of
    that type says, else COMPLETED when the status is that type's end (반품완료 for a return),
    else REJECTED (decided: imweb has no buyer withdrawal, so the seller turned it down; a return
    turned into an exchange closes REJECTED too, as ``return.to_exchange`` does).
    """
    status = remote.status if remote.status is not None else op.status
    ro, lo = remote.open_claim, op.open_claim
    closed = list(op.closed_claims)
    open_claim: Claim | None = None
    if ro is not None and lo is not None and ro.type is lo.type:
        open_claim = attrs.evolve(
            lo,
            status=ro.status,
            held_from=ro.held_from,
            origin_status=ro.origin_status or lo.origin_status,
        )
    else:
        shown_closed = {c.type: c for c in remote.claims if not c.is_open}
        if lo is not None:
            ended = shown_closed.pop(lo.type, None)
            how = (
                ended.status
                if ended is not None
                else ClaimStatus.COMPLETED
                if status is _COMPLETED_AS.get(lo.type)
                else ClaimStatus.REJECTED
            )
            closed.append(attrs.evolve(lo, status=how, held_from=None))
        closed += [  # claims that opened and closed while the local side was not looking
            Claim(c.id, c.type, c.status, c.origin_status or op.status, reason=c.reason)
            for c in shown_closed.values()
        ]
        if ro is not None:
            open_claim = Claim(
                ro.id,
                ro.type,
                ro.status,
                ro.origin_status or status,
                reason=ro.reason,
                held_from=ro.held_from,
            )
    new = attrs.evolve(
        op, status=status, open_claim=open_claim, closed_claims=closed, version=op.version + 1
    )
    allowed_actions(new, Actor.SELLER)  # raises InconsistentStateError for a state rules forbid
    return new


# --- judging by the intent ----------------------------------------------------------------------

#: who may have acted, in order of preference: reconcile looks at the seller's console first
_ACTORS = (Actor.SELLER, Actor.BUYER, Actor.SYSTEM)


def _key(op: OrderProduct) -> tuple[object, ...]:
    c = op.open_claim
    return (
        op.status,
        None if c is None else (c.id, c.type, c.status, c.origin_status, c.held_from),
        tuple((x.id, x.type, x.status) for x in op.closed_claims),
    )


def _with_claim_id(
    spec: MarketplaceSpec,
    op: OrderProduct,
    remote: RemoteOrderProduct,
    done: Applied,
    redo: Any,
) -> Applied | None:
    """*done* again with the marketplace's id for the claim it opens (``redo(claim_id)``), or
    None when the marketplace shows no such claim (on a marketplace that names claims by id)."""
    event = done.event
    if event.claim_id is None or event.claim_id in _known_claims(op):
        return done
    claim_id = _new_claim_id(spec, op, event.claim_type, remote, set())
    if claim_id is None:
        return None if spec.claims_by_id else done
    again: Applied = redo(claim_id)
    return again


def _intent(
    spec: MarketplaceSpec, p: PendingAction, remote: RemoteOrderProduct, at: dt.datetime
) -> Applied | None:
    """The pending action applied as the marketplace would show it, or None if it cannot be."""
    try:
        plain = _apply(p, at=at)
        return _with_claim_id(
            spec,
            p.order_product,
            remote,
            plain,
            lambda claim_id: _apply(p, claim_id=claim_id, at=at),
        )
    except ClaimflowError:
        return None


def _external_step(
    spec: MarketplaceSpec,
    op: OrderProduct,
    /,
    action: Action,
    actor: Actor,
    *,
    remote: RemoteOrderProduct,
    at: dt.datetime,
) -> Applied | None:
    """*action* by *actor* on *op*, as an external change would have made it (the rules' example
    parameters, the marketplace's claim id and reason, the item it shows for an option change),
    or None if it cannot have happened."""
    params = example_params(op, action)
    shown_item = _shown_item(spec, op, remote)
    if "new_item" in params and shown_item is not None:
        params["new_item"] = shown_item  # the wire's item, not the rules' made-up example

    def redo(claim_id: str | None) -> Applied:
        values = dict(params)
        shown = next((c for c in remote.claims if c.id == claim_id), None)
        if "reason" in values and shown is not None and shown.reason:
            values["reason"] = shown.reason
        try:
            return apply(op, action, actor, claim_id=claim_id, at=at, **values)
        except ActionRefusedError:  # the wire's reason does not fit: the rules' example
            return apply(op, action, actor, claim_id=claim_id, at=at, **params)

    try:
        # guess the claim it may open: the oldest the wire shows that op does not know (the
        # engine uses the id only for an action that opens a claim), checked right after
        known = _known_claims(op)
        guess = next((c.id for c in remote.claims if c.id not in known), None)
        first = redo(guess)
        opened = first.event.claim_id
        if opened is None or opened in known:
            return first
        wanted = _new_claim_id(spec, op, first.event.claim_type, remote, set())
        if wanted == opened:
            return first
        return _with_claim_id(spec, op, remote, first, redo)
    except ClaimflowError:
        return None


#: What a path search is remembered by (:func:`_signature`) and what it remembers: per step of
#: the chain found, the action, the actor and the state it led to (claim ids as in _signature).
PathMemo = MutableMapping[Hashable, Any]


def _claim_shape(
    c: Claim, wire_ids: Mapping[str, int]
) -> tuple[object, ClaimType, ClaimStatus, Status, ClaimStatus | None]:
    # a claim's id only as where the wire lists it (-1: not on the wire): ids differ per row
    return (wire_ids.get(c.id, -1), c.type, c.status, c.origin_status, c.held_from)


def _state_shape(op: OrderProduct, wire_ids: Mapping[str, int]) -> tuple[object, ...]:
    """:func:`_key` with each claim id replaced by its place on the wire."""
    c = op.open_claim
    return (
        op.status,
        None if c is None else _claim_shape(c, wire_ids),
        tuple(_claim_shape(x, wire_ids) for x in op.closed_claims),
    )


def _signature(
    spec: MarketplaceSpec, op: OrderProduct, remote: RemoteOrderProduct
) -> tuple[dict[str, int], tuple[object, ...]]:
    """The wire's claim ids by place, and what the path search from *op* to *remote* depends on
    besides the row's own ids, amounts and dates: the state (claim ids by their place on the
    wire), what the rules' guards read (auto refund, payment channel, the D5 delay window),
    what the example parameters are checked against (quantity, a refund of the line's amount
    within what was paid: M8, the item the wire shows and whether its price is the line's: X2),
    and the wire's state (status, code, each claim's type, status, code, openness, origin, hold).
    """
    wire_ids = {c.id: i for i, c in enumerate(remote.claims)}
    shown = _shown_item(spec, op, remote)
    return wire_ids, (
        spec.marketplace,
        _state_shape(op, wire_ids),
        op.auto_refundable,
        op.payment_channel,
        op.quantity,
        op.partial_claims,
        op.amount <= op.paid,
        op.paid_at is None or delay_window_open(op),
        None if shown is None else shown.unit_price == op.unit_price,
        remote.status,
        remote.wire_status,
        tuple(
            (c.type, c.status, c.wire_status, c.is_open, c.origin_status, c.held_from, c.hold_known)
            for c in remote.claims
        ),
    )


def _replay(
    spec: MarketplaceSpec,
    op: OrderProduct,
    remote: RemoteOrderProduct,
    at: dt.datetime,
    *,
    chain: tuple[tuple[Action, Actor, tuple[object, ...]], ...],
    wire_ids: Mapping[str, int],
    first: Applied | None,
) -> tuple[Applied, ...] | None:
    """*chain* (remembered for another order product of the same signature) applied to *op*, as
    the search would apply it; None when a step does not go as it went there (the search then
    runs): refused, another state, or what the wire shows reached before the last step.
    *first*: the search's first try from *op*, already made (used when the chain starts so)."""
    path: list[Applied] = []
    current = op
    for i, (action, actor, shape) in enumerate(chain):
        tried = first if i == 0 else None
        done: Applied | None
        if tried is not None and (tried.event.action, tried.event.actor) == (action, actor):
            done = tried
        else:
            done = _external_step(spec, current, action, actor, remote=remote, at=at)
        if done is None:
            return None
        current = done.order_product
        if _state_shape(current, wire_ids) != shape:
            return None
        if consistent(spec, current, remote) != (i == len(chain) - 1):
            return None
        path.append(done)
    return tuple(path)


def _find_path(
    spec: MarketplaceSpec,
    op: OrderProduct,
    remote: RemoteOrderProduct,
    at: dt.datetime,
    *,
    max_steps: int = MAX_ADOPTED_STEPS,
    actors: Sequence[Actor] = _ACTORS,
    memo: PathMemo | None = None,
) -> tuple[Applied, ...] | None:
    """The shortest chain of actions (by anyone) leading from *op* to what *remote* shows, each
    as :func:`claimflow.apply` makes it; () when they agree already; None when none is found.

    *memo*: chains found before, by :func:`_signature`: one found for another order product of
    the same signature is replayed (its applies only, each checked to lead where it led there)
    instead of searched again; one that does not replay is searched for.
    """
    if consistent(spec, op, remote):
        return ()
    if memo is None or max_steps < 1:
        return _search(spec, op, remote, at, max_steps=max_steps, actors=actors)
    # the search's first try: when it leads there (a buyer's request, most often), it is the
    # answer, found as fast as a replay would find it
    first = _first_try(spec, op, remote, at, actors)
    if first is not None and consistent(spec, first.order_product, remote):
        return (first,)
    wire_ids, signature = _signature(spec, op, remote)
    key = (signature, max_steps, tuple(actors))
    chain = memo.get(key)
    if chain is not None:
        replayed = _replay(spec, op, remote, at, chain=chain, wire_ids=wire_ids, first=first)
        if replayed is not None:
            return replayed
    found = _search(spec, op, remote, at, max_steps=max_steps, actors=actors)
    if found and chain is None:
        memo[key] = tuple(
            (a.event.action, a.event.actor, _state_shape(a.order_product, wire_ids)) for a in found
        )
    return found


def _first_try(
    spec: MarketplaceSpec,
    op: OrderProduct,
    remote: RemoteOrderProduct,
    at: dt.datetime,
    actors: Sequence[Actor],
) -> Applied | None:
    """The step :func:`_search` tries first: the first action the first actor who has any may
    take (None if it cannot have happened, or nobody may act)."""
    for actor in actors:
        actions = allowed_actions(op, actor)
        if actions:
            return _external_step(spec, op, actions[0], actor, remote=remote, at=at)
    return None


def _search(
    spec: MarketplaceSpec,
    op: OrderProduct,
    remote: RemoteOrderProduct,
    at: dt.datetime,
    *,
    max_steps: int,
    actors: Sequence[Actor],
) -> tuple[Applied, ...] | None:
    """:func:`_find_path`'s breadth-first search, for an *op* not consistent with *remote*."""
    queue: deque[tuple[OrderProduct, tuple[Applied, ...]]] = deque([(op, ())])
    seen = {_key(op)}
    searched = 0
    while queue:
        current, path = queue.popleft()
        if len(path) >= max_steps:
            continue
        for actor in actors:
            for action in allowed_actions(current, actor):
                searched += 1
                if searched > _MAX_SEARCHED:
                    return None
                done = _external_step(spec, current, action, actor, remote=remote, at=at)
                if done is None:
                    continue
                after = done.order_product
                if consistent(spec, after, remote):
                    return (*path, done)
                key = _key(after)
                if key not in seen:
                    seen.add(key)
                    queue.append((after, (*path, done)))
    return None


def explain(
    spec: MarketplaceSpec,
    order_product: OrderProduct,
    remote: RemoteOrderProduct,
    *,
    actors: Sequence[Actor | str] = _ACTORS,
    at: dt.datetime | None = None,
    max_steps: int = MAX_ADOPTED_STEPS,
    memo: PathMemo | None = None,
) -> tuple[Applied, ...] | None:
    """The shortest chain of actions (by *actors*, tried in that order) that leads from
    *order_product* to what *remote* shows, each as :func:`claimflow.apply` makes it with the
    marketplace's claim ids and the rules' example parameters: ``()`` when they agree already,
    None when no chain of at most *max_steps* actions does. For ingesting remote changes.

    *memo*: a dict to share between calls (one sync pass, say): a chain found for one order
    product is replayed for the next one in the same state, showing the same on the wire (the
    same guards, the same checks of the example parameters), rather than searched for again.
    The answer is the same with or without it."""
    who = tuple(Actor(a) for a in actors)
    return _find_path(
        spec, order_product, remote, at or _now(), max_steps=max_steps, actors=who, memo=memo
    )


def _judge(
    spec: MarketplaceSpec,
    op: OrderProduct,
    pending: PendingAction | None,
    remote: RemoteOrderProduct,
    *,
    in_flight: bool = False,
    at: dt.datetime | None = None,
) -> Reconciled:
    at = at or _now()
    mine: Applied | None = None
    if pending is not None:
        mine = _intent(spec, pending, remote, at)
        if mine is not None and consistent(spec, mine.order_product, remote):
            return Reconciled(mine.order_product, ReconcileOutcome.APPLIED, remote, applied=mine)
    if consistent(spec, op, remote):
        if pending is None:
            return Reconciled(op, ReconcileOutcome.IN_SYNC, remote)
        outcome = ReconcileOutcome.IN_FLIGHT if in_flight else ReconcileOutcome.NOT_APPLIED
        return Reconciled(op, outcome, remote)
    after: tuple[Applied, ...] | None = None
    if mine is not None:  # the intent took effect, and more happened since
        after = _find_path(spec, mine.order_product, remote, at)
    if in_flight and after is None:
        return Reconciled(op, ReconcileOutcome.IN_FLIGHT, remote)
    # someone else's change: the shortest explanation wins, the intent's on a tie
    limit = MAX_ADOPTED_STEPS if after is None else len(after)
    others = _find_path(spec, op, remote, at, max_steps=limit)
    if mine is not None and after is not None and (others is None or len(after) < len(others)):
        return Reconciled(
            after[-1].order_product, ReconcileOutcome.APPLIED, remote, applied=mine, adopted=after
        )
    if others:
        return Reconciled(
            others[-1].order_product, ReconcileOutcome.ADOPTED, remote, adopted=others
        )
    # no chain of actions the rules know leads there: take the remote state over as it is
    return Reconciled(adopt(spec, op, remote), ReconcileOutcome.ADOPTED, remote)


def _reconcile_args(
    spec: MarketplaceSpec,
    op: OrderProduct,
    ref: OrderRef | None,
    pending: PendingAction | PendingBatch | None,
    expected_version: int | None,
) -> tuple[OrderRef, PendingAction | None]:
    _same_marketplace(spec.marketplace, op)
    _check_version(op, expected_version)
    if isinstance(pending, PendingBatch):
        pending = pending.of(op.id)
    if pending is not None:
        if pending.order_product != op:
            msg = (
                f"the pending {pending.action} was decided on version "
                f"{pending.order_product.version} of {pending.order_product.id!r}, not on this "
                f"order product (version {op.version})"
            )
            raise InvalidInputError(msg, field="pending")
        return ref or pending.ref, pending
    return _ref(op, ref), None


def _in_flight(p: PendingAction | None, in_flight_for: float) -> bool:
    return p is not None and p.in_flight(_now(), in_flight_for)


def pending_action(
    spec: MarketplaceSpec,
    order_product: OrderProduct,
    action: Action | str,
    actor: Actor | str,
    /,
    *,
    ref: OrderRef | None = None,
    sent_at: dt.datetime | None = None,
    answered: bool = False,
    **params: object,
) -> PendingAction:
    """The :class:`PendingAction` of *action* on *order_product* (the version it was decided
    on), rebuilt from a durable record of it (a store's intent) for :func:`reconcile`.

    *sent_at*: when the write was sent; *answered*: whether the marketplace answered it. Raises
    :class:`~claimflow.ActionRefusedError` if the engine refuses the action on that version.
    """
    p = _decide(spec, order_product, action, actor, ref=ref, params=params)
    return attrs.evolve(p, sent_at=sent_at, answered=answered)


# --- sync ---------------------------------------------------------------------------------------


def apply_remote(
    adapter: Adapter,
    order_product: OrderProduct,
    action: Action | str,
    actor: Actor | str,
    /,
    *,
    ref: OrderRef | None = None,
    expected_version: int | None = None,
    **params: object,
) -> RemoteApplied:
    """Decide *action* with the engine, carry it out on the marketplace, then commit it locally.

    Refused by the engine: :class:`~claimflow.ActionRefusedError`, nothing sent. *order_product*
    not at *expected_version*: :class:`~claimflow.StaleVersionError`, nothing sent. Refused or
    failed on the marketplace: its :class:`~claimflow.MarketplaceError`; *order_product* is as it
    was. Outcome unknown: :class:`~claimflow.OutcomeUnknownError` whose ``pending`` goes to
    :func:`reconcile`. *ref* locates the order product where the marketplace needs more than its
    id (Toss: the order id and order date; imweb: the order number). An action that opens a claim
    carries the marketplace's claim id (read back when the answer does not say it).
    """
    _check_version(order_product, expected_version)
    p = _decide(adapter.spec, order_product, action, actor, ref=ref, params=params)
    p = attrs.evolve(p, sent_at=_now())
    try:
        result = adapter.perform(p.remote)
    except (OutcomeUnknownError, UnexpectedResponseError) as e:
        raise _unknown(e, p) from e
    remote = None
    if _needs_read_back(adapter.spec, p, result):
        try:
            remote = adapter.read(p.ref)
        except (MarketplaceError, InvalidInputError) as e:
            raise _read_back_failed(p, e) from e
    return _commit(adapter.spec, p, result, remote)


def apply_remote_many(
    adapter: Adapter,
    order_products: Sequence[OrderProduct],
    action: Action | str,
    actor: Actor | str,
    /,
    *,
    refs: Sequence[OrderRef] | None = None,
    expected_version: Sequence[int] | None = None,
    **params: object,
) -> BatchApplied:
    """One action for several order products of one order in one call (imweb ``prod_order_no``).

    Every item is decided first (one refusal, or one order product not at its
    *expected_version*, one per order product: nothing sent). The marketplace may accept some
    items and refuse others: only the items that succeeded are committed. When the outcome is
    unknown, the :class:`~claimflow.OutcomeUnknownError`'s ``pending`` is a
    :class:`PendingBatch`.
    """
    _check_versions(order_products, expected_version)
    pendings, remote = _decide_batch(
        adapter.spec, order_products, action, actor, refs=refs, params=params
    )
    now = _now()
    pendings = [attrs.evolve(p, sent_at=now) for p in pendings]
    try:
        result = adapter.perform(remote)
    except (OutcomeUnknownError, UnexpectedResponseError) as e:
        raise _unknown(e, PendingBatch(tuple(pendings), remote)) from e
    return _commit_batch(pendings, result)


def reconcile(
    adapter: Adapter,
    order_product: OrderProduct,
    /,
    *,
    ref: OrderRef | None = None,
    pending: PendingAction | PendingBatch | None = None,
    expected_version: int | None = None,
    in_flight_for: float = IN_FLIGHT_SECONDS,
) -> Reconciled:
    """Read the order product from the marketplace and bring the local one in line, judging by
    the intent (see the module docstring).

    With *pending* (from :class:`~claimflow.OutcomeUnknownError`, or :func:`pending_action`): if
    the action took effect remotely, the result is exactly what :func:`claimflow.apply` produces
    (``APPLIED``), plus any external change after it (``adopted``); if nothing changed, the order
    product is returned unchanged: ``NOT_APPLIED`` (safe to try again) once the write cannot be in
    flight any more, else ``IN_FLIGHT``. A change that is not the intent's is ``ADOPTED``, with
    the events and effects of the actions that lead there; with no *pending*, nothing differing is
    ``IN_SYNC``. A :class:`PendingBatch` (from :func:`apply_remote_many`) is reconciled item by
    item: call this once per order product of the batch. *expected_version*: the version the
    caller's store holds (:class:`~claimflow.StaleVersionError` before any call otherwise).
    """
    where, one = _reconcile_args(adapter.spec, order_product, ref, pending, expected_version)
    in_flight = _in_flight(one, in_flight_for)
    return _judge(adapter.spec, order_product, one, adapter.read(where), in_flight=in_flight)


# --- async --------------------------------------------------------------------------------------


async def apply_remote_async(
    adapter: AsyncAdapter,
    order_product: OrderProduct,
    action: Action | str,
    actor: Actor | str,
    /,
    *,
    ref: OrderRef | None = None,
    expected_version: int | None = None,
    **params: object,
) -> RemoteApplied:
    """:func:`apply_remote` for an :class:`~claimflow.adapters.AsyncAdapter`."""
    _check_version(order_product, expected_version)
    p = _decide(adapter.spec, order_product, action, actor, ref=ref, params=params)
    p = attrs.evolve(p, sent_at=_now())
    try:
        result = await adapter.perform(p.remote)
    except (OutcomeUnknownError, UnexpectedResponseError) as e:
        raise _unknown(e, p) from e
    remote = None
    if _needs_read_back(adapter.spec, p, result):
        try:
            remote = await adapter.read(p.ref)
        except (MarketplaceError, InvalidInputError) as e:
            raise _read_back_failed(p, e) from e
    return _commit(adapter.spec, p, result, remote)


async def apply_remote_many_async(
    adapter: AsyncAdapter,
    order_products: Sequence[OrderProduct],
    action: Action | str,
    actor: Actor | str,
    /,
    *,
    refs: Sequence[OrderRef] | None = None,
    expected_version: Sequence[int] | None = None,
    **params: object,
) -> BatchApplied:
    """:func:`apply_remote_many` for an :class:`~claimflow.adapters.AsyncAdapter`."""
    _check_versions(order_products, expected_version)
    pendings, remote = _decide_batch(
        adapter.spec, order_products, action, actor, refs=refs, params=params
    )
    now = _now()
    pendings = [attrs.evolve(p, sent_at=now) for p in pendings]
    try:
        result = await adapter.perform(remote)
    except (OutcomeUnknownError, UnexpectedResponseError) as e:
        raise _unknown(e, PendingBatch(tuple(pendings), remote)) from e
    return _commit_batch(pendings, result)


async def reconcile_async(
    adapter: AsyncAdapter,
    order_product: OrderProduct,
    /,
    *,
    ref: OrderRef | None = None,
    pending: PendingAction | PendingBatch | None = None,
    expected_version: int | None = None,
    in_flight_for: float = IN_FLIGHT_SECONDS,
) -> Reconciled:
    """:func:`reconcile` for an :class:`~claimflow.adapters.AsyncAdapter`."""
    where, one = _reconcile_args(adapter.spec, order_product, ref, pending, expected_version)
    in_flight = _in_flight(one, in_flight_for)
    return _judge(adapter.spec, order_product, one, await adapter.read(where), in_flight=in_flight)
