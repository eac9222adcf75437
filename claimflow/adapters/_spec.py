"""Adapter layer 3, the spec and its flows: :class:`MarketplaceSpec` (everything that makes one
marketplace different, as data), the lists, and the pure functions that turn an action or a query
into :class:`Call` values (``action_call``, ``page_call``) and composite operations into flows
(generators of calls, driven by the clients). :func:`advance` is the one place paging moves its
cursor."""

from __future__ import annotations

import datetime as dt
import types
import urllib.parse
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

import attrs

from .._vocab import Action, ClaimStatus, ClaimType, Marketplace
from ..exceptions import (
    InvalidInputError,
    MarketplaceError,
    NotSupportedError,
    UnexpectedResponseError,
)
from . import _boundary
from ._codec import Endpoint, Envelope, Unsupported, WireFieldError
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
)

T = TypeVar("T")
Q = TypeVar("Q")
Q_contra = TypeVar("Q_contra", contravariant=True)


def _mapping(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return types.MappingProxyType(dict(value))


@attrs.frozen
class ListEndpoint(Generic[Q, T]):
    """A paged list: its path, the query parameters for a query and a cursor, the page parser.

    ``max_days`` splits a ``since``..``until`` query into windows of at most that many days.
    """

    path: str
    query: Callable[[Q, str | None], list[tuple[str, str]]]
    parse: Callable[[object], Page[T]]
    max_days: int | None = None
    #: for a path that depends on the query (imweb ``/orders/{order_no}/prod-orders``)
    path_for: Callable[[Q], str] | None = None

    def page(self, spec: MarketplaceSpec, query: Q, cursor: str | None, /) -> Flow[Page[T]]:
        """The flow of one page: a single call."""
        return single_flow(page_call(spec, self, query, cursor))


@attrs.frozen
class FlowList(Generic[Q, T]):
    """A list whose page takes several calls: ``pages(spec, query, cursor)`` is the flow of one
    page (imweb: a page of the order list, then the item orders of each order on it)."""

    pages: Callable[[MarketplaceSpec, Q, str | None], Flow[Page[T]]]
    max_days: int | None = None

    def page(self, spec: MarketplaceSpec, query: Q, cursor: str | None, /) -> Flow[Page[T]]:
        """The flow of one page."""
        return self.pages(spec, query, cursor)


class PagedList(Protocol[Q_contra, T]):
    """What the drivers need of a list: the flow of one page, and the longest date window one
    query may span (None: any). :class:`ListEndpoint` and :class:`FlowList` are the two kinds."""

    @property
    def max_days(self) -> int | None:
        """Split a ``since``..``until`` query into windows of at most this many days."""
        ...

    def page(self, spec: MarketplaceSpec, query: Q_contra, cursor: str | None, /) -> Flow[Page[T]]:
        """The flow of one page."""
        ...


def _single_item(action: RemoteAction, payload: object) -> ActionResult:
    if payload is not None and not isinstance(payload, dict):  # a junk 200 is not a success
        raise WireFieldError(
            "body", f"expected an object or no content, got {type(payload).__name__}"
        )
    return ActionResult(action, tuple(ItemResult(i, True) for i in action.items))


@attrs.frozen
class MarketplaceSpec:
    """Everything that makes one marketplace different from another, as data.

    - ``actions``: the :class:`Endpoint` of each action the seller API performs;
      ``unsupported``: why the others have none (a typed
      :class:`~claimflow.exceptions.NotSupportedError` is raised before anything is sent);
    - ``unwrap(http_status, body)``: the envelope of an answer whose HTTP status is in
      ``envelope_statuses`` (body None when empty; x2bee's business errors are HTTP 900);
    - ``error_codes``: marketplace error code -> error class (others are
      :class:`~claimflow.exceptions.MarketplaceRefusedError`); ``http_errors``: the same for HTTP
      statuses outside ``envelope_statuses`` (5xx is always "unavailable");
    - ``parse_action``: the per-item result of an action (imweb reports partial success);
      ``max_items``: how many order products one call may carry (None: any); ``address``: the
      action completed with what the marketplace addresses it by, before anything is built
      (imweb: the order number, from the order product ids);
    - ``claims``, ``order_products``: the lists (:class:`PagedList`); ``locate`` turns an
      :class:`OrderRef` into the order query that finds it, ``assemble`` joins an order product
      with its claims, ``read`` is the flow that reads one back (by default: locate it, then list
      its claims);
    - ``claim_status_code``: a claim status as the wire shows it;
    - ``claims_by_id``: True when the wire names claims by id and keeps the closed ones (Toss);
      False when it shows only the current claim of an order product, without an id (imweb):
      reconciling then compares the open claim by type and status (see ``_commit.consistent``);
    - ``envelope_keys``: the top-level keys of the marketplace's envelopes, success and error
      (empty: not known). JSON sharing none of them is not the marketplace's answer (a gateway's
      or a proxy's own), so an error status carrying it is judged by the status alone.
    """

    marketplace: Marketplace
    base_url: str
    api_prefix: str
    actions: Mapping[Action, Endpoint] = attrs.field(converter=_mapping)
    unsupported: Mapping[Action, Unsupported] = attrs.field(converter=_mapping)
    unwrap: Callable[[int, object], Envelope]
    envelope_statuses: frozenset[int]
    error_codes: Mapping[str, type[MarketplaceError]] = attrs.field(converter=_mapping)
    http_errors: Mapping[int, type[MarketplaceError]] = attrs.field(converter=_mapping)
    claims: PagedList[ClaimQuery, RemoteClaim]
    order_products: PagedList[OrderQuery, RemoteOrderProduct]
    locate: Callable[[OrderRef], OrderQuery]
    assemble: Callable[[RemoteOrderProduct, Sequence[RemoteClaim]], RemoteOrderProduct]
    claim_status_code: Callable[[ClaimType, ClaimStatus], str]
    parse_action: Callable[[RemoteAction, object], ActionResult] = _single_item
    max_items: int | None = 1
    read: Callable[[MarketplaceSpec, OrderRef], Flow[RemoteOrderProduct]] = attrs.field(
        factory=lambda: read_via_lists
    )
    address: Callable[[RemoteAction], RemoteAction] = attrs.field(factory=lambda: _as_given)
    claims_by_id: bool = True
    envelope_keys: frozenset[str] = frozenset()


def _as_given(action: RemoteAction) -> RemoteAction:
    return action


# --- calls and flows --------------------------------------------------------------------------


@attrs.frozen
class Call(Generic[T]):
    """One HTTP request and how to read its answer; built by pure functions from the spec."""

    method: str
    path: str
    parse: Callable[[object], T] = attrs.field(repr=False)
    params: tuple[tuple[str, str], ...] = ()
    json: object = None  # None: no body
    order_product_id: str | None = None
    action: Action | None = None

    @property
    def idempotent(self) -> bool:
        """Whether repeating the request cannot change anything (reads)."""
        return self.method in {"GET", "HEAD"}

    @property
    def label(self) -> str:
        """``POST /path`` for messages and logs (no query, no body: nothing secret)."""
        return f"{self.method} {self.path}"


@attrs.frozen
class Emit(Generic[T]):
    """A flow step handing items to the caller of an ``iter_...`` method."""

    items: tuple[T, ...]


#: A composite operation: yields :class:`Call` (answered with its parsed result) or
#: :class:`Emit`, returns its result.
Flow = Generator["Call[Any] | Emit[Any]", Any, T]


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def action_call(spec: MarketplaceSpec, action: RemoteAction) -> Call[ActionResult]:
    """The request carrying out *action*; raises before anything is sent when it cannot be."""
    if action.marketplace is not spec.marketplace:
        msg = f"a {action.marketplace} action cannot be sent to {spec.marketplace}"
        raise InvalidInputError(msg, field="marketplace")
    endpoint = spec.actions.get(action.action)
    if endpoint is not None:
        action = spec.address(action)
    if endpoint is None:
        gap = spec.unsupported.get(action.action)
        why = gap.why if gap else f"{spec.marketplace} has no seller-API call for {action.action}"
        msg = f"{spec.marketplace}: cannot carry out {action.action}: {why}"
        raise NotSupportedError(
            msg,
            marketplace=spec.marketplace,
            documented=gap.documented if gap else False,
            order_product_id=action.order_product_id,
            action=action.action,
        )
    if spec.max_items is not None and len(action.items) > spec.max_items:
        msg = (
            f"{spec.marketplace}: {action.action} takes at most {spec.max_items} order "
            f"product(s) per call, got {len(action.items)}"
        )
        raise InvalidInputError(msg, field="item_ids")
    slots = {
        "claim_id": action.claim_id,
        "order_product_id": action.order_product_id,
        "order_id": action.order_id,
    }
    values = {}
    for name, value in slots.items():
        if "{" + name + "}" not in endpoint.path:
            continue
        if not value:
            msg = (
                f"{spec.marketplace}: {action.action} needs {name} (the marketplace's id) for "
                f"{endpoint.path}; read the order product or its claims first"
            )
            raise InvalidInputError(msg, field=name)
        values[name] = _quote(value)
    return Call(
        endpoint.method,
        spec.api_prefix + endpoint.path.format(**values),
        lambda payload: spec.parse_action(action, payload),
        json=endpoint.body(action) if endpoint.body else None,
        order_product_id=action.order_product_id,
        action=action.action,
    )


def page_call(
    spec: MarketplaceSpec, endpoint: ListEndpoint[Q, T], query: Q, cursor: str | None
) -> Call[Page[T]]:
    """The request for one page of a list."""
    path = endpoint.path_for(query) if endpoint.path_for else endpoint.path
    return Call("GET", spec.api_prefix + path, endpoint.parse, tuple(endpoint.query(query, cursor)))


def _windows(max_days: int | None, query: Any) -> Iterator[Any]:
    since, until = query.since, query.until
    if since is not None and until is not None and since > until:
        msg = f"since ({since}) is after until ({until})"
        raise InvalidInputError(msg, field="since")
    if max_days is None or since is None or until is None:
        yield query
        return
    start = since
    while start <= until:
        end = min(until, start + dt.timedelta(days=max_days - 1))
        yield attrs.evolve(query, since=start, until=end)
        start = end + dt.timedelta(days=1)


def page_guard(spec: MarketplaceSpec, what: str = "list") -> _boundary.PageGuard:
    """A fresh guard for one paged read of *spec*'s *what* (see :func:`advance`)."""
    return _boundary.PageGuard(spec.marketplace, what)


def advance(page: Page[Any], guard: _boundary.PageGuard) -> str | None:
    """The cursor of the page after *page*, None after the last one: the one place every paging
    loop (``iter_flow``, ``read_via_lists``, the codecs' reads) moves its cursor. *guard* (one
    per paged read, :func:`page_guard`) refuses a repeated cursor and more pages than
    :func:`~claimflow.adapters.paging_limit` allows with
    :class:`~claimflow.adapters.PagingError`: a marketplace that pages forever cannot hold a read
    forever."""
    cursor = page.next_cursor
    return None if cursor is None else guard.advance(cursor)


def single_flow(call: Call[T]) -> Flow[T]:
    """A flow of one call."""
    result: T = yield call
    return result


def iter_flow(spec: MarketplaceSpec, endpoint: PagedList[Q, T], query: Q) -> Flow[None]:
    """Every item of a list: window by window, page by page."""
    for window in _windows(endpoint.max_days, query):
        cursor: str | None = None
        guard = page_guard(spec)
        while True:
            page: Page[T] = yield from endpoint.page(spec, window, cursor)
            yield Emit(page.items)
            cursor = advance(page, guard)
            if cursor is None:
                break


def read_via_lists(spec: MarketplaceSpec, ref: OrderRef) -> Flow[RemoteOrderProduct]:
    """Read one order product: find it in the order list, then list its claims, then assemble."""
    query = spec.locate(ref)
    row: RemoteOrderProduct | None = None
    for window in _windows(spec.order_products.max_days, query):
        cursor: str | None = None
        guard = page_guard(spec, "order list")
        while row is None:
            page: Page[RemoteOrderProduct] = yield from spec.order_products.page(
                spec, window, cursor
            )
            row = next((r for r in page.items if r.id == ref.order_product_id), None)
            cursor = advance(page, guard)
            if cursor is None:
                break
    if row is None:
        msg = (
            f"{spec.marketplace}: order product {ref.order_product_id!r} is not in the order "
            f"list for {query.since}..{query.until}"
        )
        raise UnexpectedResponseError(
            msg,
            marketplace=spec.marketplace,
            field="orderProductId",
            order_product_id=ref.order_product_id,
        )
    claims: list[RemoteClaim] = []
    claim_query = ClaimQuery(order_ids=(row.order_id,) if row.order_id else ())
    cursor = None
    guard = page_guard(spec, "claims")
    while True:
        claim_page: Page[RemoteClaim] = yield from spec.claims.page(spec, claim_query, cursor)
        claims += [c for c in claim_page.items if c.order_product_id == row.id]
        cursor = advance(claim_page, guard)
        if cursor is None:
            break
    return spec.assemble(row, claims)
