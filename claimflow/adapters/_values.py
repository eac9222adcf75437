"""Adapter layer 1, values: what the adapters hand in and out (ids, actions, results, what the
marketplace shows, queries, pages) and the :class:`Secret` wrapper. No I/O, no wire format."""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Mapping, Sequence
from typing import Generic, TypeVar

import attrs
import httpx

from .._values import Params
from .._vocab import Action, ClaimStatus, ClaimType, Marketplace, PaymentChannel, Status, parse_enum
from ..exceptions import InvalidInputError
from . import _boundary

T = TypeVar("T")

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


def _money(value: Mapping[str, int]) -> Mapping[str, int]:
    return types.MappingProxyType(dict(value))


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
    #: the claim's money facts as the wire names them, in won (Toss ``refundOneWayDeliveryFee``,
    #: ``roundTripDeliveryFee``, ``claimDeliveryPaymentAmount``); see the codec's ``MONEY_FIELDS``
    money: Mapping[str, int] = attrs.field(factory=dict, converter=_money, hash=False)
    #: who bears the claim's delivery cost, as the wire says it (Toss
    #: ``requestDeliveryPenaltyCharger``: ``USER`` / ``MERCHANT``)
    fee_payer: str | None = None
    #: False when the wire cannot show a hold (imweb documents no hold field): ``status`` is then
    #: the claim's underlying status, and a local HELD is neither confirmed nor contradicted
    hold_known: bool = True


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
    #: the order product's money facts as the wire names them, in won (Toss ``originPrice``,
    #: ``tossPayPoint``…, imweb ``point``, ``coupon``…); see the codec's ``MONEY_FIELDS``
    money: Mapping[str, int] = attrs.field(factory=dict, converter=_money, hash=False)
    #: where the line is delivered, as the wire says it (Toss ``deliveryLocationType``
    #: ``NORMAL``/``JEJU``/``MOUNTAIN`` [client, §5.1]); the region's fee is in ``money``
    delivery_location: str | None = None
    #: the day the line must ship by (Toss ``shippingDeadlineAt`` [client, §5.1]), in Asia/Seoul
    shipping_deadline: dt.date | None = None

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
    #: only orders of this payment channel (imweb: the ``type`` filter, the documented way to
    #: know a Naver Pay order); the rows read then carry it as ``payment_channel``
    channel: PaymentChannel | None = None
