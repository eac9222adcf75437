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
satisfy the :class:`Adapter` / :class:`AsyncAdapter` protocols. Each also exports the same
**wiring names** (:class:`MarketplaceModule`: ``MARKETPLACE``, ``CREDENTIAL_ENV``,
``DEFAULT_URL``, ``base_urls``, ``client_for``, ...); :data:`MODULES` holds one module per
marketplace, for code that serves any of them, and :func:`client_from_env` builds a client for
any of them from the environment::

    from claimflow.adapters import client_from_env

    adapter = client_from_env(marketplace, os.environ)
"""

from __future__ import annotations

try:  # without the extra, say which one instead of a bare ModuleNotFoundError deep inside
    import httpx
    import stamina  # noqa: F401
except ImportError as e:
    from ..exceptions import MissingExtraError

    msg = (
        f"claimflow.adapters needs the 'adapters' extra ({e.name or 'httpx/stamina'} is "
        "missing): pip install 'claimflow[adapters]'"
    )
    raise MissingExtraError(msg, extra="adapters") from None

from collections.abc import Mapping
from types import MappingProxyType

from .._vocab import Marketplace, parse_enum
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
    IN_FLIGHT_SECONDS,
    BatchApplied,
    BatchItem,
    PendingAction,
    PendingBatch,
    Reconciled,
    ReconcileOutcome,
    RemoteApplied,
    adopt,
    apply_remote,
    apply_remote_async,
    apply_remote_many,
    apply_remote_many_async,
    consistent,
    explain,
    pending_action,
    reconcile,
    reconcile_async,
)
from ._money import claim_delivery, line_money
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
from ._wiring import Lists, MarketplaceModule, check_credentials, credentials_from_env

__all__ = [
    "IN_FLIGHT_SECONDS",
    "MODULES",
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
    "Lists",
    "MalformedBodyError",
    "MarketplaceModule",
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
    "adopt",
    "apply_remote",
    "apply_remote_async",
    "apply_remote_many",
    "apply_remote_many_async",
    "check_base_url",
    "check_credentials",
    "claim_delivery",
    "client_from_env",
    "codecs",
    "consistent",
    "credentials_from_env",
    "explain",
    "imweb",
    "line_money",
    "paging_limit",
    "pending_action",
    "reconcile",
    "reconcile_async",
    "toss",
    "x2bee",
]

#: The adapter module of every marketplace, in :class:`~claimflow.Marketplace` order: the one place
#: the code around the adapters looks a marketplace up (mypy checks each module against
#: :class:`MarketplaceModule` here).
MODULES: Mapping[Marketplace, MarketplaceModule] = MappingProxyType(
    {toss.MARKETPLACE: toss, imweb.MARKETPLACE: imweb, x2bee.MARKETPLACE: x2bee}
)


def client_from_env(
    marketplace: Marketplace | str,
    environ: Mapping[str, str],
    root: str | None = None,
    *,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> Client:
    """A client for *marketplace*'s API at *root* (default its ``DEFAULT_URL``) with the
    credentials its ``CREDENTIAL_ENV`` names in *environ* (:class:`~claimflow.InvalidInputError`
    naming the variables that are missing, never a value)."""
    mp = parse_enum(Marketplace, marketplace, "marketplace")
    module = MODULES[mp]
    credentials = credentials_from_env(mp, module.CREDENTIAL_ENV, environ)
    urls = module.base_urls(root or module.DEFAULT_URL)
    return module.client_for(credentials, urls, retry=retry, timeout=timeout, transport=transport)
