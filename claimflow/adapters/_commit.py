"""Commit after success: decide with the engine, call the marketplace, then commit locally.

:func:`apply_remote` answers Spree's critique of state machines that call payment gateways inside
their transitions: the decision is a value first (``claimflow.check``), the marketplace call
comes next, and the local transition (``claimflow.apply``) is computed only after the marketplace
accepted the call. Order products are frozen values, so a refused or failed call cannot have
changed the local one. When a write's outcome is unknown, :func:`reconcile` reads the remote state
and brings the local one in line, so that retrying never applies an action twice.

The sync and async functions share everything but the ``await``: deciding, judging the remote
state and committing are the pure functions below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import attrs

from .._engine import allowed_actions, apply, check
from .._values import (
    Applied,
    Claim,
    Decision,
    HistoryEvent,
    OrderProduct,
    Params,
)
from .._vocab import Action, Actor, ClaimStatus, ClaimType, Marketplace, Status
from ..exceptions import (
    ActionRefusedError,
    InvalidInputError,
    MarketplaceRefusedError,
    OutcomeUnknownError,
    UnexpectedResponseError,
)
from ._core import (
    ActionResult,
    Adapter,
    AsyncAdapter,
    ItemResult,
    MarketplaceSpec,
    OrderRef,
    RemoteAction,
    RemoteOrderProduct,
)

__all__ = [
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
    "reconcile",
    "reconcile_async",
]


@attrs.frozen
class PendingAction:
    """An action whose outcome on the marketplace is unknown: what :func:`reconcile` needs."""

    order_product: OrderProduct  # the local order product before the action
    action: Action
    actor: Actor
    params: Params  # as the caller gave them
    remote: RemoteAction
    ref: OrderRef


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


@attrs.frozen
class Reconciled:
    """The local order product brought in line with the marketplace."""

    order_product: OrderProduct
    outcome: ReconcileOutcome
    remote: RemoteOrderProduct
    applied: Applied | None = None  # for APPLIED: exactly what apply() produces


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


def _apply(p: PendingAction) -> Applied:
    """What :func:`claimflow.apply` makes of the pending action (a new value; nothing changes)."""
    params: dict[str, Any] = dict(p.params)
    return apply(
        p.order_product, p.action, p.actor, expected_version=p.order_product.version, **params
    )


def _unknown(
    e: OutcomeUnknownError | UnexpectedResponseError, p: PendingAction | PendingBatch
) -> Exception:
    text = str(e)
    if isinstance(e, UnexpectedResponseError):
        text += "; the action may have been carried out: reconcile before retrying"
    first = p.items[0] if isinstance(p, PendingBatch) else p
    return OutcomeUnknownError(
        text,
        marketplace=e.marketplace,
        pending=p,
        order_product_id=first.order_product.id,
        action=first.action,
    )


def _commit(p: PendingAction, result: ActionResult) -> RemoteApplied:
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
    done = _apply(p)
    return RemoteApplied(done.order_product, done.event, done.decision, result)


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
    ro, lo = remote.open_claim, op.open_claim
    if (ro is None) != (lo is None):
        return False
    if not spec.claims_by_id:
        # imweb shows the current claim's type and status (and a hold) without an id, and no
        # closed claims: compare what it shows
        return (
            ro is None
            or lo is None
            or (
                (ro.type, ro.status, ro.held_from) == (lo.type, lo.status, lo.held_from)
                and ro.origin_status in {None, lo.origin_status}
            )
        )
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


def adopt(spec: MarketplaceSpec, op: OrderProduct, remote: RemoteOrderProduct) -> OrderProduct:
    """*op* taken over to the remote state (one version later), keeping what only the local side
    knows (a claim's origin status, which Toss's folded codes hide)."""
    if not spec.claims_by_id:
        return _adopt_current(op, remote)
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
        )
    closed = list(op.closed_claims)
    closed += [  # closed claims the local side never heard of, e.g. a withdrawn buyer request
        Claim(rc.id, rc.type, rc.status, status, reason=rc.reason)
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
        op, status=status, open_claim=open_claim, closed_claims=closed, version=op.version + 1
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


def _judge(
    spec: MarketplaceSpec,
    op: OrderProduct,
    pending: PendingAction | None,
    remote: RemoteOrderProduct,
) -> Reconciled:
    if pending is not None:
        expected = _apply(pending)
        if consistent(spec, expected.order_product, remote):
            return Reconciled(
                expected.order_product, ReconcileOutcome.APPLIED, remote, applied=expected
            )
    if consistent(spec, op, remote):
        outcome = ReconcileOutcome.NOT_APPLIED if pending else ReconcileOutcome.IN_SYNC
        return Reconciled(op, outcome, remote)
    return Reconciled(adopt(spec, op, remote), ReconcileOutcome.ADOPTED, remote)


def _reconcile_args(
    spec: MarketplaceSpec,
    op: OrderProduct,
    ref: OrderRef | None,
    pending: PendingAction | PendingBatch | None,
) -> tuple[OrderRef, PendingAction | None]:
    _same_marketplace(spec.marketplace, op)
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


# --- sync ---------------------------------------------------------------------------------------


def apply_remote(
    adapter: Adapter,
    order_product: OrderProduct,
    action: Action | str,
    actor: Actor | str,
    /,
    *,
    ref: OrderRef | None = None,
    **params: object,
) -> RemoteApplied:
    """Decide *action* with the engine, carry it out on the marketplace, then commit it locally.

    Refused by the engine: :class:`~claimflow.ActionRefusedError`, nothing sent. Refused or failed
    on the marketplace: its :class:`~claimflow.MarketplaceError`; *order_product* is as it was.
    Outcome unknown: :class:`~claimflow.OutcomeUnknownError` whose ``pending`` goes to
    :func:`reconcile`. *ref* locates the order product where the marketplace needs more than its
    id (Toss: the order id and order date; imweb: the order number).
    """
    p = _decide(adapter.spec, order_product, action, actor, ref=ref, params=params)
    try:
        result = adapter.perform(p.remote)
    except (OutcomeUnknownError, UnexpectedResponseError) as e:
        raise _unknown(e, p) from e
    return _commit(p, result)


def apply_remote_many(
    adapter: Adapter,
    order_products: Sequence[OrderProduct],
    action: Action | str,
    actor: Actor | str,
    /,
    *,
    refs: Sequence[OrderRef] | None = None,
    **params: object,
) -> BatchApplied:
    """One action for several order products of one order in one call (imweb ``prod_order_no``).

    Every item is decided first (one refusal: nothing sent). The marketplace may accept some items
    and refuse others: only the items that succeeded are committed. When the outcome is unknown,
    the :class:`~claimflow.OutcomeUnknownError`'s ``pending`` is a :class:`PendingBatch`.
    """
    pendings, remote = _decide_batch(
        adapter.spec, order_products, action, actor, refs=refs, params=params
    )
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
) -> Reconciled:
    """Read the order product from the marketplace and bring the local one in line.

    With *pending* (from :class:`~claimflow.OutcomeUnknownError`): if the action took effect
    remotely, the result is exactly what :func:`claimflow.apply` produces (``APPLIED``); if not,
    the order product is returned unchanged (``NOT_APPLIED``: safe to try again). Otherwise the
    remote state is taken over (``ADOPTED``), or nothing differs (``IN_SYNC``). A
    :class:`PendingBatch` (from :func:`apply_remote_many`) is reconciled item by item: call this
    once per order product of the batch.
    """
    where, one = _reconcile_args(adapter.spec, order_product, ref, pending)
    return _judge(adapter.spec, order_product, one, adapter.read(where))


# --- async --------------------------------------------------------------------------------------


async def apply_remote_async(
    adapter: AsyncAdapter,
    order_product: OrderProduct,
    action: Action | str,
    actor: Actor | str,
    /,
    *,
    ref: OrderRef | None = None,
    **params: object,
) -> RemoteApplied:
    """:func:`apply_remote` for an :class:`~claimflow.adapters.AsyncAdapter`."""
    p = _decide(adapter.spec, order_product, action, actor, ref=ref, params=params)
    try:
        result = await adapter.perform(p.remote)
    except (OutcomeUnknownError, UnexpectedResponseError) as e:
        raise _unknown(e, p) from e
    return _commit(p, result)


async def apply_remote_many_async(
    adapter: AsyncAdapter,
    order_products: Sequence[OrderProduct],
    action: Action | str,
    actor: Actor | str,
    /,
    *,
    refs: Sequence[OrderRef] | None = None,
    **params: object,
) -> BatchApplied:
    """:func:`apply_remote_many` for an :class:`~claimflow.adapters.AsyncAdapter`."""
    pendings, remote = _decide_batch(
        adapter.spec, order_products, action, actor, refs=refs, params=params
    )
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
) -> Reconciled:
    """:func:`reconcile` for an :class:`~claimflow.adapters.AsyncAdapter`."""
    where, one = _reconcile_args(adapter.spec, order_product, ref, pending)
    return _judge(adapter.spec, order_product, one, await adapter.read(where))
