"""Marketplace adapters: carry out decided actions on Toss Shopping, imweb and x2bee, list and
read back claims and order products, commit locally only after success.

Needs the ``adapters`` extra (httpx, stamina)::

    from claimflow.adapters import apply_remote, reconcile, toss

    with toss.make_client(client_id, client_secret) as adapter:
        done = apply_remote(adapter, op, "return.approve", "SELLER")
        op = done.order_product

Every marketplace module has the same shape: a docstring listing its quirks, ``__all__``, a
``SPEC`` (:class:`MarketplaceSpec`: endpoints, bodies, envelope, error codes, status codes as
data) and the ``make_client()`` / ``make_async_client()`` factories. The adapters they return
satisfy the :class:`Adapter` / :class:`AsyncAdapter` protocols.
"""

from __future__ import annotations

try:  # without the extra, say which one instead of a bare ModuleNotFoundError deep inside
    import httpx  # noqa: F401
    import stamina  # noqa: F401
except ImportError as e:
    from ..exceptions import MissingExtraError

    msg = (
        f"claimflow.adapters needs the 'adapters' extra ({e.name or 'httpx/stamina'} is "
        "missing): pip install 'claimflow[adapters]'"
    )
    raise MissingExtraError(msg, extra="adapters") from None

from . import codecs, imweb, toss, x2bee
from ._boundary import MalformedBodyError, PagingError, paging_limit
from ._clients import (
    Adapter,
    AsyncAdapter,
    AsyncClient,
    Client,
    RetryPolicy,
)
from ._codec import (
    Endpoint,
    Envelope,
    StatusCode,
    Unsupported,
)
from ._commit import (
    BatchApplied,
    BatchItem,
    PendingAction,
    PendingBatch,
    Reconciled,
    ReconcileOutcome,
    RemoteApplied,
    apply_remote,
    apply_remote_async,
    apply_remote_many,
    apply_remote_many_async,
    consistent,
    reconcile,
    reconcile_async,
)
from ._spec import (
    FlowList,
    ListEndpoint,
    MarketplaceSpec,
    PagedList,
)
from ._values import (
    ActionResult,
    ClaimQuery,
    ItemResult,
    OrderQuery,
    OrderRef,
    Page,
    RemoteAction,
    RemoteClaim,
    RemoteOrderProduct,
    Secret,
    check_base_url,
)

__all__ = [
    "ActionResult",
    "Adapter",
    "AsyncAdapter",
    "AsyncClient",
    "BatchApplied",
    "BatchItem",
    "ClaimQuery",
    "Client",
    "Endpoint",
    "Envelope",
    "FlowList",
    "ItemResult",
    "ListEndpoint",
    "MalformedBodyError",
    "MarketplaceSpec",
    "OrderQuery",
    "OrderRef",
    "Page",
    "PagedList",
    "PagingError",
    "PendingAction",
    "PendingBatch",
    "ReconcileOutcome",
    "Reconciled",
    "RemoteAction",
    "RemoteApplied",
    "RemoteClaim",
    "RemoteOrderProduct",
    "RetryPolicy",
    "Secret",
    "StatusCode",
    "Unsupported",
    "apply_remote",
    "apply_remote_async",
    "apply_remote_many",
    "apply_remote_many_async",
    "check_base_url",
    "codecs",
    "consistent",
    "imweb",
    "paging_limit",
    "reconcile",
    "reconcile_async",
    "toss",
    "x2bee",
]
