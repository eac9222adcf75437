"""Compatibility: the adapter machinery used to live here, in one 1,300-line module. It is now
five layers, each importing only those below it:

- :mod:`._values`: ids, actions, results, what the marketplace shows, queries, pages, secrets;
- :mod:`._codec`: the codec base (wire field readers, status codes, endpoints, body fields);
- :mod:`._spec`: :class:`MarketplaceSpec` and the pure call/flow builders (paging: ``advance``);
- :mod:`._errors`: the error boundary (``response_json``, ``map_transport_errors``,
  ``parse_response``);
- :mod:`._clients`: retries and the sync/async drivers;

with :mod:`._auth` (the cached-token ``httpx.Auth``) beside them and one codec per marketplace in
:mod:`.codecs`. This module re-exports the old names so ``_commit`` and older imports keep working.
"""

from __future__ import annotations

from ._clients import (
    Adapter,
    AsyncAdapter,
    AsyncClient,
    Client,
    RetryPolicy,
)
from ._codec import (
    BodyBuilder,
    Endpoint,
    Envelope,
    StatusCode,
    Unsupported,
    WireFieldError,
    wire_get,
    wire_list,
    wire_obj,
    wire_opt_datetime,
    wire_opt_int,
    wire_opt_str,
    wire_str,
)
from ._errors import (
    map_transport_errors,
    parse_response,
    parse_retry_after,
    response_json,
)
from ._spec import (
    Call,
    Emit,
    Flow,
    FlowList,
    ListEndpoint,
    MarketplaceSpec,
    PagedList,
    action_call,
    advance,
    iter_flow,
    page_call,
    page_guard,
    read_via_lists,
    single_flow,
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
    "BodyBuilder",
    "Call",
    "ClaimQuery",
    "Client",
    "Emit",
    "Endpoint",
    "Envelope",
    "Flow",
    "FlowList",
    "ItemResult",
    "ListEndpoint",
    "MarketplaceSpec",
    "OrderQuery",
    "OrderRef",
    "Page",
    "PagedList",
    "RemoteAction",
    "RemoteClaim",
    "RemoteOrderProduct",
    "RetryPolicy",
    "Secret",
    "StatusCode",
    "Unsupported",
    "WireFieldError",
    "action_call",
    "advance",
    "check_base_url",
    "iter_flow",
    "map_transport_errors",
    "page_call",
    "page_guard",
    "parse_response",
    "parse_retry_after",
    "read_via_lists",
    "response_json",
    "single_flow",
    "wire_get",
    "wire_list",
    "wire_obj",
    "wire_opt_datetime",
    "wire_opt_int",
    "wire_opt_str",
    "wire_str",
]
