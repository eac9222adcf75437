"""The machinery every marketplace adapter shares: values, the spec shape, one request pipeline.

A marketplace module (``toss.py``, and later ``imweb.py``, ``x2bee.py``) fills in one
:class:`MarketplaceSpec`: the endpoint, method and body builder of each action, how to unwrap its
envelope, which error codes mean what, how to read its lists, and the wire status codes. Nothing
else differs between marketplaces; the control flow lives here, once:

- every call is a :class:`Call`, built by pure functions from the spec;
- a composite operation (page through date windows, read one order product from two lists) is a
  *flow*: a generator that yields calls and receives their results, like an ``httpx.Auth`` flow.
  :class:`Client` drives flows with ``client.send``, :class:`AsyncClient` with
  ``await client.send``; that is the only difference between the two;
- :func:`map_transport_errors` is the one place where httpx's exceptions become claimflow's (as
  ``map_httpcore_exceptions`` is in httpx), and :func:`parse_response` the one place where an
  answer becomes a value or an error;
- :class:`RetryPolicy` retries with ``stamina``, only what is safe: a connection that was never
  made, a rate-limit answer (honouring ``Retry-After``), a read that failed or got HTTP 5xx. A write
  that may have reached the marketplace is never repeated: it becomes
  :class:`~claimflow.exceptions.OutcomeUnknownError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import math
import types
import urllib.parse
from collections.abc import (
    AsyncIterator,
    Callable,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs
import httpx
import stamina

from .._values import Params, parse_enum
from .._vocab import Action, ClaimStatus, ClaimType, Marketplace, PaymentChannel, Status
from ..exceptions import (
    AuthenticationError,
    InvalidInputError,
    MarketplaceError,
    MarketplaceRefusedError,
    MarketplaceUnavailableError,
    NotSupportedError,
    OutcomeUnknownError,
    RateLimitedError,
    TransportError,
    UnexpectedResponseError,
)
from . import _boundary

__all__ = [
    "ActionResult",
    "Adapter",
    "AsyncAdapter",
    "AsyncClient",
    "Call",
    "ClaimQuery",
    "Client",
    "Emit",
    "Endpoint",
    "Envelope",
    "Fields",
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
    "check_base_url",
    "map_transport_errors",
    "parse_response",
]

log = logging.getLogger("claimflow.adapters")

T = TypeVar("T")
Q = TypeVar("Q")
Q_contra = TypeVar("Q_contra", contravariant=True)


# --- secrets ----------------------------------------------------------------------------------


class Secret:
    """A credential or token that never shows in a repr, a log line or an exception text.

    ``reveal()`` is the one way to read it, used where it goes on the wire.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            msg = "a secret must be a non-empty string"
            raise InvalidInputError(msg, field="secret")
        self._value = value

    def reveal(self) -> str:
        """The secret itself: only for the request that carries it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def check_base_url(url: str, field: str = "base_url") -> str:
    """*url* without a trailing slash; https is required except for a loopback host."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as e:
        msg = f"{field}: not a URL: {_boundary.redact_url(str(url))!r} ({e})"
        raise InvalidInputError(msg, field=field) from None
    _boundary.refuse_url_credentials(url, field)
    loopback = parsed.host in {"localhost", "::1"} or parsed.host.startswith("127.")
    if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
        msg = f"{field}: {url!r} must use https (plain http only for 127.0.0.1 / localhost)"
        raise InvalidInputError(msg, field=field)
    return url.rstrip("/")


# --- values -----------------------------------------------------------------------------------


def _str_tuple(value: Sequence[str]) -> tuple[str, ...]:
    return tuple(value)


def _to_marketplace(value: Marketplace | str) -> Marketplace:
    return parse_enum(Marketplace, value, "marketplace")


def _to_action(value: Action | str) -> Action:
    return parse_enum(Action, value, "action")


@attrs.frozen
class OrderRef:
    """Where to find one order product on its marketplace.

    Marketplaces address order products differently: Toss has no "get one" call, so reading one
    back needs the order id and the day it was ordered (to page the orders of that day); imweb
    needs the order number. :attr:`RemoteOrderProduct.ref` gives a complete one.
    """

    order_product_id: str
    order_id: str | None = None
    ordered_on: dt.date | None = None


@attrs.frozen
class RemoteAction:
    """One decided action, for one order product (or a batch of items of one order, for imweb).

    ``params`` are the engine's checked values (from :attr:`claimflow.Decision.params`);
    ``claim_id`` is the marketplace's id of the open claim the action concerns (Toss ``claimId``);
    ``item_ids`` name the order products of a batch (imweb ``prod_order_no``), empty for one.
    """

    marketplace: Marketplace = attrs.field(converter=_to_marketplace)
    action: Action = attrs.field(converter=_to_action)
    order_product_id: str
    claim_id: str | None = None
    order_id: str | None = None
    item_ids: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    params: Params = ()

    @property
    def items(self) -> tuple[str, ...]:
        """The order products the action is for."""
        return self.item_ids or (self.order_product_id,)

    def param(self, name: str) -> object:
        """The value of parameter *name*, or None."""
        return dict(self.params).get(name)


@attrs.frozen
class ItemResult:
    """How one order product of an action fared: ``ok``, or the marketplace's code and message."""

    order_product_id: str
    ok: bool
    code: str | None = None
    message: str | None = None


@attrs.frozen
class ActionResult:
    """The marketplace's answer to a :class:`RemoteAction`, item by item."""

    action: RemoteAction
    items: tuple[ItemResult, ...]

    @property
    def ok(self) -> bool:
        """Whether every item succeeded."""
        return all(i.ok for i in self.items)

    @property
    def succeeded(self) -> tuple[str, ...]:
        """The order products the action was carried out for."""
        return tuple(i.order_product_id for i in self.items if i.ok)

    @property
    def failed(self) -> tuple[ItemResult, ...]:
        """The items the marketplace refused."""
        return tuple(i for i in self.items if not i.ok)

    def item(self, order_product_id: str) -> ItemResult | None:
        """The result for *order_product_id*, if the answer names it."""
        for i in self.items:
            if i.order_product_id == order_product_id:
                return i
        return None


@attrs.frozen
class RemoteClaim:
    """A claim as the marketplace shows it, mapped onto claimflow's vocabulary.

    ``wire_status`` is the marketplace's own code; ``status`` its meaning, as precise as the wire
    allows (Toss's claims list says ``APPROVED`` for every step after approval; :meth:`Client.read`
    refines it from the order-product status).
    """

    id: str
    type: ClaimType
    status: ClaimStatus
    wire_status: str
    is_open: bool
    order_product_id: str
    order_id: str | None = None
    requested_at: dt.datetime | None = None
    reason: str | None = None
    #: the order-product status the claim was requested in, where the wire shows it (imweb keeps
    #: the order's status under a claim); None: only the local side knows it (Toss)
    origin_status: Status | None = None
    #: for a claim on hold (``status`` HELD): the claim status the hold interrupted
    held_from: ClaimStatus | None = None


@attrs.frozen
class RemoteOrderProduct:
    """An order product as the marketplace shows it.

    ``status`` is None when the wire code does not show it: a code that folds a pending claim
    into the status (Toss ``REQUESTED_RETURN``) hides the status underneath, which is the claim's
    origin and known only locally; a code with no claimflow meaning (Toss ``BEFORE_PAYMENT``)
    has none. An unknown code is never silently mapped: reading it raises
    :class:`~claimflow.exceptions.UnexpectedResponseError`.
    """

    id: str
    wire_status: str
    status: Status | None
    order_id: str | None = None
    ordered_at: dt.datetime | None = None
    item_id: str | None = None
    name: str | None = None
    unit_price: int | None = None
    quantity: int | None = None
    claims: tuple[RemoteClaim, ...] = ()
    #: how the order was paid, where the list shows it (imweb order ``type``; the Naver Pay guard
    #: of return holds reads it) and whether that payment can be refunded automatically
    payment_channel: PaymentChannel | None = None
    auto_refundable: bool | None = None

    @property
    def open_claim(self) -> RemoteClaim | None:
        """The newest open claim, if any."""
        for c in reversed(self.claims):
            if c.is_open:
                return c
        return None

    @property
    def ref(self) -> OrderRef:
        """Where to read this order product again."""
        return OrderRef(self.id, self.order_id, self.ordered_at.date() if self.ordered_at else None)


@attrs.frozen
class Page(Generic[T]):
    """One page of a list; ``next_cursor`` (opaque) is None on the last page."""

    items: tuple[T, ...]
    next_cursor: str | None = None


def _opt_claim_type(value: ClaimType | str | None) -> ClaimType | None:
    return None if value is None else parse_enum(ClaimType, value, "claim_type")


def _opt_claim_status(value: ClaimStatus | str | None) -> ClaimStatus | None:
    return None if value is None else parse_enum(ClaimStatus, value, "claim_status")


def _opt_status(value: Status | str | None) -> Status | None:
    return None if value is None else parse_enum(Status, value, "status")


def _date_or_none(value: dt.date | None) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    msg = f"must be a date or None, got {value!r}"
    raise InvalidInputError(msg, field="since/until")


@attrs.frozen
class ClaimQuery:
    """Which claims to list. ``since``/``until`` are request dates (inclusive, the marketplace's
    calendar); a marketplace that limits the window (Toss: 7 days) is paged window by window."""

    claim_type: ClaimType | None = attrs.field(default=None, converter=_opt_claim_type)
    claim_status: ClaimStatus | None = attrs.field(default=None, converter=_opt_claim_status)
    since: dt.date | None = attrs.field(default=None, converter=_date_or_none)
    until: dt.date | None = attrs.field(default=None, converter=_date_or_none)
    order_ids: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    page_size: int | None = None


@attrs.frozen
class OrderQuery:
    """Which order products to list. ``since``/``until`` are order dates (inclusive)."""

    since: dt.date | None = attrs.field(default=None, converter=_date_or_none)
    until: dt.date | None = attrs.field(default=None, converter=_date_or_none)
    order_ids: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    status: Status | None = attrs.field(default=None, converter=_opt_status)
    claim_type: ClaimType | None = attrs.field(default=None, converter=_opt_claim_type)
    claim_status: ClaimStatus | None = attrs.field(default=None, converter=_opt_claim_status)
    page_size: int | None = None


# --- reading the wire -------------------------------------------------------------------------


class WireFieldError(Exception):
    """A field of an answer is missing or malformed; the pipeline turns it into
    :class:`~claimflow.exceptions.UnexpectedResponseError` with the call's context."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def wire_obj(obj: object, key: str, where: str = "") -> Mapping[str, Any]:
    """``obj[key]``, which must be a JSON object."""
    value = wire_get(obj, key, where)
    if not isinstance(value, dict):
        raise WireFieldError(_path(where, key), f"expected an object, got {type(value).__name__}")
    return value


def wire_get(obj: object, key: str, where: str = "") -> object:
    """``obj[key]``, which must be present (it may be null)."""
    if not isinstance(obj, dict):
        raise WireFieldError(where or "body", f"expected an object, got {type(obj).__name__}")
    try:
        return obj[key]
    except KeyError:
        raise WireFieldError(_path(where, key), "missing") from None


def wire_str(obj: object, key: str, where: str = "") -> str:
    """``obj[key]`` as a non-empty string (JSON numbers are accepted for ids)."""
    value = wire_get(obj, key, where)
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise WireFieldError(_path(where, key), f"expected a non-empty string, got {value!r}")


def wire_opt_str(obj: Mapping[str, Any], key: str, where: str = "") -> str | None:
    """``obj[key]`` as a string, or None when absent or null."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise WireFieldError(_path(where, key), f"expected a string, got {value!r}")


def wire_opt_int(obj: Mapping[str, Any], key: str, where: str = "") -> int | None:
    """``obj[key]`` as an integer (won, counts), or None when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return _boundary.wire_int(value, _path(where, key))
    raise WireFieldError(_path(where, key), f"expected an integer, got {value!r}")


def wire_list(obj: object, key: str, where: str = "") -> list[Any]:
    """``obj[key]``, which must be a JSON array."""
    value = wire_get(obj, key, where)
    if not isinstance(value, list):
        raise WireFieldError(_path(where, key), f"expected an array, got {type(value).__name__}")
    return value


def wire_opt_datetime(
    obj: Mapping[str, Any], key: str, where: str = "", *, tz: dt.tzinfo = dt.UTC
) -> dt.datetime | None:
    """``obj[key]`` as an ISO 8601 date-time (naive ones are taken in *tz*), or None."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    raise WireFieldError(_path(where, key), f"expected an ISO 8601 date-time, got {value!r}")


@attrs.frozen
class StatusCode:
    """What one wire status code means in claimflow's vocabulary.

    ``status`` None: the code does not show the order-product status (see
    :class:`RemoteOrderProduct`); ``per_claim_type`` then may tell it from the open claim's type
    (Toss ``CLAIM_COLLECTING`` is 반품수거중 or 교환수거중). ``claim_type``/``claim_status``: the
    claim the code speaks of. ``tag`` is the spec's confidence: ``doc``, ``client`` or
    ``inferred``.
    """

    code: str
    status: Status | None
    claim_type: ClaimType | None = None
    claim_status: ClaimStatus | None = None
    per_claim_type: tuple[tuple[ClaimType, Status], ...] = ()
    tag: str = "doc"
    note: str = ""

    def resolve(self, claim_type: ClaimType | None) -> Status | None:
        """The status, using the open claim's type where the code alone does not tell."""
        if self.status is not None:
            return self.status
        return dict(self.per_claim_type).get(claim_type) if claim_type else None


# --- the spec a marketplace module fills in -------------------------------------------------


def _mapping(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return types.MappingProxyType(dict(value))


class BodyBuilder(Protocol):
    """Builds the JSON body of an action from its :class:`RemoteAction`; None for no body."""

    def __call__(self, action: RemoteAction, /) -> object: ...


@attrs.frozen
class Fields:
    """A flat JSON body: ``wire name -> claimflow parameter name``; *optional* ones may be absent.

    ``Fields({"deliveryCompany": "carrier", "shippingTrackingNumber": "tracking_number"})``
    """

    names: Mapping[str, str] = attrs.field(converter=_mapping)
    optional: frozenset[str] = frozenset()

    def __call__(self, action: RemoteAction, /) -> object:
        """The body for *action*."""
        values = dict(action.params)
        body: dict[str, object] = {}
        for wire, param in self.names.items():
            value = values.get(param)
            if value is None:
                if param in self.optional:
                    continue
                msg = f"{action.action} needs parameter {param!r} for the body field {wire!r}"
                raise InvalidInputError(msg, field=param)
            body[wire] = value
        return body


@attrs.frozen
class Endpoint:
    """How one action is carried out: ``method`` and ``path`` (a template over the
    :class:`RemoteAction` fields ``{claim_id}``, ``{order_product_id}``, ``{order_id}``), the body
    builder, and the spec's confidence in them."""

    method: str
    path: str
    body: BodyBuilder | None = None
    tag: str = "doc"


@attrs.frozen
class Unsupported:
    """Why an action has no seller-API call: it is not published (``documented`` True: the
    marketplace says the call exists), or the buyer / the marketplace does it, not the seller."""

    why: str
    documented: bool = False


@attrs.frozen
class Envelope:
    """An answer unwrapped: ``ok`` and its payload, or the marketplace's error code and message."""

    ok: bool
    payload: object = None
    code: str | None = None
    message: str | None = None


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
      reconciling then compares the open claim by type and status (see ``_commit.consistent``).
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


def single_flow(call: Call[T]) -> Flow[T]:
    """A flow of one call."""
    result: T = yield call
    return result


def iter_flow(spec: MarketplaceSpec, endpoint: PagedList[Q, T], query: Q) -> Flow[None]:
    """Every item of a list: window by window, page by page."""
    for window in _windows(endpoint.max_days, query):
        cursor: str | None = None
        guard = _boundary.PageGuard(spec.marketplace)
        while True:
            page: Page[T] = yield from endpoint.page(spec, window, cursor)
            yield Emit(page.items)
            if page.next_cursor is None:
                break
            cursor = guard.advance(page.next_cursor)


def read_via_lists(spec: MarketplaceSpec, ref: OrderRef) -> Flow[RemoteOrderProduct]:
    """Read one order product: find it in the order list, then list its claims, then assemble."""
    query = spec.locate(ref)
    row: RemoteOrderProduct | None = None
    for window in _windows(spec.order_products.max_days, query):
        cursor: str | None = None
        guard = _boundary.PageGuard(spec.marketplace, "order list")
        while row is None:
            page: Page[RemoteOrderProduct] = yield from spec.order_products.page(
                spec, window, cursor
            )
            row = next((r for r in page.items if r.id == ref.order_product_id), None)
            if page.next_cursor is None:
                break
            cursor = guard.advance(page.next_cursor)
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
    guard = _boundary.PageGuard(spec.marketplace, "claims")
    while True:
        claim_page: Page[RemoteClaim] = yield from spec.claims.page(spec, claim_query, cursor)
        claims += [c for c in claim_page.items if c.order_product_id == row.id]
        if claim_page.next_cursor is None:
            break
        cursor = guard.advance(claim_page.next_cursor)
    return spec.assemble(row, claims)


# --- the boundary: httpx exceptions and answers become claimflow values and errors -----------

# Raised before the request left this machine: repeating it cannot do anything twice.
_NOTHING_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.ProxyError,
)


@contextlib.contextmanager
def map_transport_errors(
    marketplace: Marketplace, call: Call[Any], scope: _boundary.CallScope | None = None
) -> Iterator[None]:
    """Turn httpx's exceptions raised while sending *call* into claimflow's.

    Nothing sent: :class:`TransportError` (retryable). Possibly sent (read timeout, dropped
    connection, undecodable answer): a read is a retryable :class:`TransportError`, a write an
    :class:`OutcomeUnknownError` (the marketplace may have carried it out). With the call's
    *scope*: whatever failed before the API request itself was sent (the token endpoint) is
    "nothing sent", and a passed deadline is not retried.
    """
    try:
        yield
    except UnexpectedResponseError as exc:
        if scope is None or scope.api_sent:
            raise
        raise _boundary.not_sent(exc, call.label) from None
    except MarketplaceError:
        raise
    except httpx.HTTPError as exc:
        _boundary.scrub_exception(exc)
        ctx: dict[str, Any] = {"order_product_id": call.order_product_id, "action": call.action}
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        what = _boundary.redact_text(what)
        if isinstance(exc, _NOTHING_SENT) or (scope is not None and not scope.api_sent):
            msg = f"{marketplace}: {call.label}: not sent ({what}); safe to retry"
            retryable = scope is None or not scope.expired()
            raise TransportError(msg, marketplace=marketplace, retryable=retryable, **ctx) from exc
        if call.idempotent:
            msg = f"{marketplace}: {call.label}: no answer ({what})"
            retryable = scope is None or not scope.expired()
            raise TransportError(msg, marketplace=marketplace, retryable=retryable, **ctx) from exc
        msg = (
            f"{marketplace}: {call.label}: sent, but no answer came back ({what}); the "
            "marketplace may or may not have carried it out: reconcile before retrying"
        )
        raise OutcomeUnknownError(msg, marketplace=marketplace, **ctx) from exc


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds, decimals tolerated, or an HTTP date)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def parse_response(spec: MarketplaceSpec, call: Call[T], response: httpx.Response) -> T:
    """The value of *response* to *call*, or the claimflow error it amounts to."""
    status = response.status_code
    if status in spec.envelope_statuses and not _judged_by_status(spec, response):
        body: object = None
        if response.content:  # x2bee answers many writes with HTTP 200 and no content
            try:
                body = _boundary.parse_json_body(response, marketplace=spec.marketplace)
            except _boundary.MalformedBodyError as e:
                raise _unexpected(spec, call, response, "body", e.problem) from None
        try:
            envelope = spec.unwrap(status, body)
            if envelope.ok:
                result = call.parse(envelope.payload)
                log.debug("%s %s -> %s", spec.marketplace, call.label, status)
                return result
        except WireFieldError as e:
            raise _unexpected(spec, call, response, e.field, e.problem) from None
        cls = spec.error_codes.get(envelope.code or "", MarketplaceRefusedError)
        raise _error(spec, call, response, cls, code=envelope.code, message=envelope.message)
    cls_ = spec.http_errors.get(status)
    if cls_ is None and 500 <= status < 600:
        cls_ = MarketplaceUnavailableError
    if cls_ is None:
        raise _unexpected(spec, call, response, "status_code", f"unexpected HTTP {status}")
    raise _error(spec, call, response, cls_, code=None, message=None)


def _judged_by_status(spec: MarketplaceSpec, response: httpx.Response) -> bool:
    """An error status that usually carries the envelope (imweb: HTTP 401 with code -2) but came
    without it (a gateway's page, a proxy's JSON) is judged by the status alone."""
    status = response.status_code
    if status not in spec.http_errors and not 500 <= status < 600:
        return False
    try:
        body = _boundary.parse_json_body(response, marketplace=spec.marketplace)
    except ValueError:
        return True
    try:
        spec.unwrap(status, body)
    except WireFieldError as e:  # JSON that is not the envelope at all: a proxy's own
        return e.field == "body" or _boundary.foreign_json(spec.marketplace, body)
    return False


def _unexpected(
    spec: MarketplaceSpec, call: Call[Any], response: httpx.Response, field: str, problem: str
) -> UnexpectedResponseError:
    msg = (
        f"{spec.marketplace}: {call.label} -> HTTP {response.status_code}: unexpected answer: "
        f"{field}: {problem}"
    )
    return UnexpectedResponseError(
        msg,
        marketplace=spec.marketplace,
        field=field,
        status_code=response.status_code,
        order_product_id=call.order_product_id,
        action=call.action,
    )


def _error(
    spec: MarketplaceSpec,
    call: Call[Any],
    response: httpx.Response,
    cls: type[MarketplaceError],
    *,
    code: str | None,
    message: str | None,
) -> MarketplaceError:
    mp = spec.marketplace
    ctx: dict[str, Any] = {
        "marketplace": mp,
        "order_product_id": call.order_product_id,
        "action": call.action,
    }
    said = f"HTTP {response.status_code}" + (f", {code}" if code else "")
    head = f"{mp}: {call.label}" + (
        f" ({call.action} on order product {call.order_product_id!r})" if call.action else ""
    )
    if issubclass(cls, RateLimitedError):
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        msg = f"{head}: rate limited ({said}); retry after {retry_after or 'a backoff'} s"
        return cls(msg, retry_after=retry_after, **ctx)
    if issubclass(cls, MarketplaceUnavailableError):
        if not call.idempotent:
            msg = (
                f"{head}: the marketplace failed ({said}) answering a write; it may or may "
                "not have carried it out: reconcile before retrying"
            )
            return OutcomeUnknownError(msg, **ctx)
        msg = f"{head}: the marketplace is unavailable ({said})"
        return cls(msg, status_code=response.status_code, **ctx)
    if issubclass(cls, AuthenticationError):
        msg = f"{head}: authentication failed ({said}); check the credentials"
        return cls(msg, **ctx)
    if issubclass(cls, MarketplaceRefusedError):
        text = message or ""
        msg = f"{head}: refused by the marketplace ({said}): {text}"
        return cls(msg, code=code or str(response.status_code), message=text, **ctx)
    msg = f"{head}: {cls.__name__} ({said}): {message or ''}"
    return cls(msg, **ctx)


# --- retries ----------------------------------------------------------------------------------


@attrs.frozen
class RetryPolicy:
    """How the adapters retry, with ``stamina``: exponential backoff with jitter, a
    ``Retry-After`` honoured up to ``max_retry_after`` seconds, at most ``attempts`` tries within
    ``timeout`` seconds. Only what is safe is retried (see the module docstring).

    ``timeout`` is also each call's overall deadline (connect, write, read, waits and retries):
    a server trickling its answer cannot hold a call longer (see ``_boundary.call_scope``)."""

    attempts: int = 5
    timeout: float = 45.0
    wait_initial: float = 0.1
    wait_max: float = 5.0
    wait_jitter: float = 0.5
    max_retry_after: float = 60.0

    def should_retry(self, exc: Exception) -> bool | float:
        """stamina's backoff hook: False, True (backoff), or the seconds to wait."""
        if isinstance(exc, RateLimitedError):
            if exc.retry_after is None:
                return True
            wait = min(exc.retry_after, self.max_retry_after)
            return _boundary.within_deadline(wait)
        if isinstance(exc, TransportError):
            return exc.retryable
        return False

    def attempts_of(self) -> Any:
        """A fresh ``stamina.retry_context`` (iterate it with ``for`` or ``async for``)."""
        return stamina.retry_context(
            on=self.should_retry,
            attempts=self.attempts,
            timeout=self.timeout,
            wait_initial=self.wait_initial,
            wait_max=self.wait_max,
            wait_jitter=self.wait_jitter,
        )


# --- the adapter interface and its two drivers --------------------------------------------------


class Adapter(Protocol):
    """A marketplace's seller API, synchronously: carry out actions, list and read back."""

    @property
    def spec(self) -> MarketplaceSpec:
        """The marketplace's spec (its wire codes are needed to compare states)."""
        ...

    def perform(self, action: RemoteAction) -> ActionResult:
        """Carry out one decided action."""
        ...

    def list_claims(self, query: ClaimQuery = ..., cursor: str | None = None) -> Page[RemoteClaim]:
        """One page of claims."""
        ...

    def iter_claims(self, query: ClaimQuery = ...) -> Iterator[RemoteClaim]:
        """Every claim the query matches, following pages and date windows."""
        ...

    def list_order_products(
        self, query: OrderQuery, cursor: str | None = None
    ) -> Page[RemoteOrderProduct]:
        """One page of order products."""
        ...

    def iter_order_products(self, query: OrderQuery) -> Iterator[RemoteOrderProduct]:
        """Every order product the query matches."""
        ...

    def read(self, ref: OrderRef) -> RemoteOrderProduct:
        """One order product with its claims."""
        ...


class AsyncAdapter(Protocol):
    """The same as :class:`Adapter`, with coroutines and async iterators."""

    @property
    def spec(self) -> MarketplaceSpec:
        """The marketplace's spec."""
        ...

    async def perform(self, action: RemoteAction) -> ActionResult:
        """Carry out one decided action."""
        ...

    async def list_claims(
        self, query: ClaimQuery = ..., cursor: str | None = None
    ) -> Page[RemoteClaim]:
        """One page of claims."""
        ...

    def iter_claims(self, query: ClaimQuery = ...) -> AsyncIterator[RemoteClaim]:
        """Every claim the query matches."""
        ...

    async def list_order_products(
        self, query: OrderQuery, cursor: str | None = None
    ) -> Page[RemoteOrderProduct]:
        """One page of order products."""
        ...

    def iter_order_products(self, query: OrderQuery) -> AsyncIterator[RemoteOrderProduct]:
        """Every order product the query matches."""
        ...

    async def read(self, ref: OrderRef) -> RemoteOrderProduct:
        """One order product with its claims."""
        ...


class _Base:
    _spec: MarketplaceSpec
    _retry: RetryPolicy

    @property
    def spec(self) -> MarketplaceSpec:
        """The marketplace's spec."""
        return self._spec

    @property
    def marketplace(self) -> Marketplace:
        """The marketplace this client talks to."""
        return self._spec.marketplace

    def _action_flow(self, action: RemoteAction) -> Flow[ActionResult]:
        return single_flow(action_call(self._spec, action))

    def _page_flow(self, endpoint: PagedList[Q, T], query: Q, cursor: str | None) -> Flow[Any]:
        return endpoint.page(self._spec, query, cursor)

    def _read_flow(self, ref: OrderRef | str) -> Flow[RemoteOrderProduct]:
        return self._spec.read(self._spec, OrderRef(ref) if isinstance(ref, str) else ref)


class Client(_Base):
    """An :class:`Adapter` over an ``httpx.Client`` (made by a marketplace's ``make_client``)."""

    def __init__(
        self, spec: MarketplaceSpec, http: httpx.Client, *, retry: RetryPolicy | None = None
    ) -> None:
        self._spec = spec
        self._http = http
        self._retry = retry or RetryPolicy()
        _boundary.install(http)

    def __repr__(self) -> str:
        base_url = _boundary.redact_url(self._http.base_url)
        return f"<claimflow {self._spec.marketplace} Client base_url={base_url!r}>"

    def perform(self, action: RemoteAction) -> ActionResult:
        """Carry out one decided action (see :func:`claimflow.adapters.apply_remote`)."""
        return self._drive(self._action_flow(action))

    def list_claims(
        self, query: ClaimQuery = ClaimQuery(), cursor: str | None = None
    ) -> Page[RemoteClaim]:
        """One page of claims; pass ``page.next_cursor`` for the next."""
        result: Page[RemoteClaim] = self._drive(self._page_flow(self._spec.claims, query, cursor))
        return result

    def iter_claims(self, query: ClaimQuery = ClaimQuery()) -> Iterator[RemoteClaim]:
        """Every claim the query matches, following pages and date windows."""
        return self._iterate(iter_flow(self._spec, self._spec.claims, query))

    def list_order_products(
        self, query: OrderQuery, cursor: str | None = None
    ) -> Page[RemoteOrderProduct]:
        """One page of order products (without their claims: :meth:`read` joins them)."""
        result: Page[RemoteOrderProduct] = self._drive(
            self._page_flow(self._spec.order_products, query, cursor)
        )
        return result

    def iter_order_products(self, query: OrderQuery) -> Iterator[RemoteOrderProduct]:
        """Every order product the query matches."""
        return self._iterate(iter_flow(self._spec, self._spec.order_products, query))

    def read(self, ref: OrderRef | str) -> RemoteOrderProduct:
        """One order product with its claims, statuses mapped onto the vocabulary."""
        return self._drive(self._read_flow(ref))

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # the only code that differs from AsyncClient: `send` is not awaited

    def _send(self, call: Call[T]) -> T:
        with _boundary.call_scope(self._retry.timeout, self._spec.marketplace) as scope:
            for attempt in self._retry.attempts_of():
                with attempt:
                    request = self._http.build_request(
                        call.method, call.path, params=call.params or None, json=call.json
                    )
                    with map_transport_errors(self._spec.marketplace, call, scope.attempt(request)):
                        response = self._http.send(request)
                    return parse_response(self._spec, call, response)
        raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover

    def _drive(self, flow: Flow[T]) -> T:
        answer: object = None
        while True:
            try:
                step = flow.send(answer)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            answer = self._send(step) if isinstance(step, Call) else None

    def _iterate(self, flow: Flow[Any]) -> Iterator[Any]:
        answer: object = None
        while True:
            try:
                step = flow.send(answer)
            except StopIteration:
                return
            if isinstance(step, Emit):
                yield from step.items
                answer = None
            else:
                answer = self._send(step)


class AsyncClient(_Base):
    """An :class:`AsyncAdapter` over an ``httpx.AsyncClient`` (made by ``make_async_client``)."""

    def __init__(
        self, spec: MarketplaceSpec, http: httpx.AsyncClient, *, retry: RetryPolicy | None = None
    ) -> None:
        self._spec = spec
        self._http = http
        self._retry = retry or RetryPolicy()
        _boundary.install(http)

    def __repr__(self) -> str:
        return (
            f"<claimflow {self._spec.marketplace} AsyncClient "
            f"base_url={_boundary.redact_url(self._http.base_url)!r}>"
        )

    async def perform(self, action: RemoteAction) -> ActionResult:
        """Carry out one decided action (see :func:`claimflow.adapters.apply_remote_async`)."""
        return await self._drive(self._action_flow(action))

    async def list_claims(
        self, query: ClaimQuery = ClaimQuery(), cursor: str | None = None
    ) -> Page[RemoteClaim]:
        """One page of claims; pass ``page.next_cursor`` for the next."""
        result: Page[RemoteClaim] = await self._drive(
            self._page_flow(self._spec.claims, query, cursor)
        )
        return result

    def iter_claims(self, query: ClaimQuery = ClaimQuery()) -> AsyncIterator[RemoteClaim]:
        """Every claim the query matches, following pages and date windows."""
        return self._iterate(iter_flow(self._spec, self._spec.claims, query))

    async def list_order_products(
        self, query: OrderQuery, cursor: str | None = None
    ) -> Page[RemoteOrderProduct]:
        """One page of order products (without their claims: :meth:`read` joins them)."""
        result: Page[RemoteOrderProduct] = await self._drive(
            self._page_flow(self._spec.order_products, query, cursor)
        )
        return result

    def iter_order_products(self, query: OrderQuery) -> AsyncIterator[RemoteOrderProduct]:
        """Every order product the query matches."""
        return self._iterate(iter_flow(self._spec, self._spec.order_products, query))

    async def read(self, ref: OrderRef | str) -> RemoteOrderProduct:
        """One order product with its claims, statuses mapped onto the vocabulary."""
        return await self._drive(self._read_flow(ref))

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # the only code that differs from Client: `send` is awaited

    async def _send(self, call: Call[T]) -> T:
        with _boundary.call_scope(self._retry.timeout, self._spec.marketplace) as scope:
            async for attempt in self._retry.attempts_of():
                with attempt:
                    request = self._http.build_request(
                        call.method, call.path, params=call.params or None, json=call.json
                    )
                    with map_transport_errors(self._spec.marketplace, call, scope.attempt(request)):
                        response = await self._http.send(request)
                    return parse_response(self._spec, call, response)
        raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover

    async def _drive(self, flow: Flow[T]) -> T:
        answer: object = None
        while True:
            try:
                step = flow.send(answer)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            answer = await self._send(step) if isinstance(step, Call) else None

    async def _iterate(self, flow: Flow[Any]) -> AsyncIterator[Any]:
        answer: object = None
        while True:
            try:
                step = flow.send(answer)
            except StopIteration:
                return
            if isinstance(step, Emit):
                for item in step.items:
                    yield item
                answer = None
            else:
                answer = await self._send(step)


if TYPE_CHECKING:  # the two drivers satisfy the protocols (checked by mypy, free at run time)

    def _is_adapter(client: Client) -> Adapter:
        return client

    def _is_async_adapter(client: AsyncClient) -> AsyncAdapter:
        return client
