"""The values claimflow passes around: order products, claims, decisions, effects, history.

All are frozen ``attrs`` classes: applying an action returns a *new* order product, so a refused
or failed action cannot have changed anything. Money is integer won (KRW has no minor unit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from ._money import ClaimDelivery, LineMoney, Quote, Restore
from ._vocab import (
    Action,
    Actor,
    ClaimStatus,
    ClaimType,
    EffectKind,
    Marketplace,
    PaymentChannel,
    Status,
    Tag,
    parse_enum,
)
from .exceptions import InvalidInputError

__all__ = [
    "Applied",
    "CandidateItem",
    "Claim",
    "Decision",
    "Effect",
    "HistoryEvent",
    "OrderProduct",
    "Reason",
]

Params = tuple[tuple[str, object], ...]


def _to_marketplace(value: object) -> Marketplace:
    return parse_enum(Marketplace, value, "marketplace")


def _to_status(value: object) -> Status:
    return parse_enum(Status, value, "status")


def _to_channel(value: object) -> PaymentChannel:
    return parse_enum(PaymentChannel, value, "payment_channel")


def _to_claim_type(value: object) -> ClaimType:
    return parse_enum(ClaimType, value, "claim.type")


def _to_claim_status(value: object) -> ClaimStatus:
    return parse_enum(ClaimStatus, value, "claim.status")


def _to_origin(value: object) -> Status:
    return parse_enum(Status, value, "claim.origin_status")


def _to_held_from(value: object) -> ClaimStatus | None:
    return None if value is None else parse_enum(ClaimStatus, value, "claim.held_from")


def _to_claims(value: object) -> tuple[Claim, ...]:
    if not isinstance(value, (tuple, list)) or not all(isinstance(c, Claim) for c in value):
        msg = f"closed_claims: must be a sequence of Claim, got {value!r}"
        raise InvalidInputError(msg, field="closed_claims")
    return tuple(value)


def _claim_or_none(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Claim):
        msg = f"{attribute.name}: must be a Claim or None, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)


def _to_params(value: object) -> Params:
    # a claim's parameters: name -> value pairs (a mapping is taken in its own order)
    pairs: tuple[object, ...] | None = None
    if isinstance(value, Mapping):
        pairs = tuple(value.items())
    elif isinstance(value, (tuple, list)):
        pairs = tuple(value)
    if pairs is not None and all(
        isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in pairs
    ):
        return pairs  # type: ignore[return-value]  # checked just above
    msg = f"claim.params: must be (name, value) pairs with str names, got {value!r}"
    raise InvalidInputError(msg, field="claim.params")


def _optional_str(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        msg = f"{attribute.name}: must be a string or None, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)


def aware(value: object, field: str) -> dt.datetime:
    """*value* if it is a datetime with a time zone, else an InvalidInputError naming *field*.

    A naive datetime is refused: claimflow cannot know whether it means Seoul or UTC.
    """
    if isinstance(value, dt.datetime) and value.utcoffset() is not None:
        return value
    what = "a naive datetime" if isinstance(value, dt.datetime) else repr(value)
    msg = f"{field}: must be a datetime with a time zone (e.g. Asia/Seoul), got {what}"
    raise InvalidInputError(msg, field=field)


def _aware_or_none(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        aware(value, attribute.name)


def _date_or_none(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, dt.datetime) or not isinstance(value, dt.date)):
        msg = f"{attribute.name}: must be a date (not a datetime) or None, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)


def _to_effect_kind(value: object) -> EffectKind:
    return parse_enum(EffectKind, value, "effect.kind")


def _to_tag(value: object) -> Tag | None:
    return None if value is None else parse_enum(Tag, value, "tag")


def _to_action(value: object) -> Action:
    return parse_enum(Action, value, "action")


def _to_actor(value: object) -> Actor:
    return parse_enum(Actor, value, "actor")


def _to_from_status(value: object) -> Status:
    return parse_enum(Status, value, "from_status")


def _to_to_status(value: object) -> Status:
    return parse_enum(Status, value, "to_status")


def _to_to_status_or_none(value: object) -> Status | None:
    return None if value is None else parse_enum(Status, value, "to_status")


def _to_claim_type_or_none(value: object) -> ClaimType | None:
    return None if value is None else parse_enum(ClaimType, value, "claim_type")


def _to_claim_status_or_none(value: object) -> ClaimStatus | None:
    return None if value is None else parse_enum(ClaimStatus, value, "claim_status")


def _to_status_before(value: object) -> ClaimStatus | None:
    return None if value is None else parse_enum(ClaimStatus, value, "claim_status_before")


def _to_status_after(value: object) -> ClaimStatus | None:
    return None if value is None else parse_enum(ClaimStatus, value, "claim_status_after")


def _sequence_of(cls: type[Any], value: object, field: str) -> tuple[Any, ...]:
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, cls) for v in value):
        msg = f"{field}: must be a sequence of {cls.__name__}, got {value!r:.200}"
        raise InvalidInputError(msg, field=field)
    return tuple(value)


def _to_reasons(value: object) -> tuple[Reason, ...]:
    return _sequence_of(Reason, value, "reasons")


def _to_effects(value: object) -> tuple[Effect, ...]:
    return _sequence_of(Effect, value, "effects")


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    aware(value, attribute.name)


def _instance_of(cls: type[Any]) -> Any:
    """A validator: the value is a *cls* (typed error naming the field otherwise)."""

    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, cls):
            msg = f"{attribute.name}: must be a {cls.__name__}, got {value!r:.200}"
            raise InvalidInputError(msg, field=attribute.name)

    return check


def _optional_instance_of(cls: type[Any]) -> Any:
    """A validator: the value is None or a *cls* (typed error naming the field otherwise)."""
    check = _instance_of(cls)

    def optional(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            check(inst, attribute, value)

    return optional


def _str(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        msg = f"{attribute.name}: must be a string, got {value!r:.200}"
        raise InvalidInputError(msg, field=attribute.name)


def _won_or_none(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _won(inst, attribute, value)


def _non_empty_str(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        msg = f"{attribute.name}: must be a non-empty string, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)


def _won(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value < 0:
        msg = f"{attribute.name}: must be a non-negative integer amount in won, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)


def _positive_int(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value < 1:
        msg = f"{attribute.name}: must be a positive integer, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)


def _bool(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not bool:
        msg = f"{attribute.name}: must be True or False, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)


def _version(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value < 0:
        msg = f"{attribute.name}: must be a non-negative integer, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)


@attrs.frozen
class Claim:
    """A claim on one order product: open while it sits beside the status, closed once decided.

    ``origin_status`` is the order-product status when the claim was requested: rejection and 반려
    go back there. ``held_from`` is the claim status a hold interrupted (imweb ``withhold``).
    ``requested_at`` (aware) is when it was asked for: :func:`claimflow.apply` sets it, and
    :func:`claimflow.due` counts the D1/D4 deadlines from it.
    """

    id: str = attrs.field(validator=_non_empty_str)
    type: ClaimType = attrs.field(converter=_to_claim_type)
    status: ClaimStatus = attrs.field(converter=_to_claim_status)
    origin_status: Status = attrs.field(converter=_to_origin)
    reason: str | None = attrs.field(default=None, validator=_optional_str)
    params: Params = attrs.field(default=(), converter=_to_params)
    held_from: ClaimStatus | None = attrs.field(default=None, converter=_to_held_from)
    # who bears this claim's delivery cost, and its fees (rules.md M4/M5; Toss claim items)
    delivery: ClaimDelivery | None = attrs.field(
        default=None,
        validator=_optional_instance_of(ClaimDelivery),
    )
    # rules.md D1/D4: when the buyer asked (set by apply(at=...); adapters from the wire)
    requested_at: dt.datetime | None = attrs.field(default=None, validator=_aware_or_none)

    def param(self, name: str) -> object:
        """The value of parameter *name* this claim was given, or None."""
        if not isinstance(name, str):
            msg = f"name: a parameter name is a string, got {name!r:.200}"
            raise InvalidInputError(msg, field="name")
        return dict(self.params).get(name)


def _money_fits(inst: OrderProduct, _attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, LineMoney):
        msg = f"money: must be a LineMoney or None, got {value!r}"
        raise InvalidInputError(msg, field="money")
    value.check_fits(inst.unit_price, inst.quantity)


@attrs.frozen
class OrderProduct:
    """One order line on one marketplace, with its open claim and its history of closed claims.

    ``version`` increases by one with every applied action (optimistic concurrency: pass it as
    ``expected_version`` to :func:`claimflow.apply`). Strings are accepted for the enum fields and
    checked: an unknown status raises :class:`UnknownValueError` naming ``status``.

    ``paid_at`` and ``delivered_at`` (aware datetimes) and ``shipping_deadline`` (a date) are what
    :func:`claimflow.due` counts from (rules.md D1-D5): the caller or the adapter fills
    ``paid_at`` (and Toss's ``shippingDeadlineAt``); ``order.deliver`` sets ``delivered_at`` and
    ``order.delay`` the new ``shipping_deadline``. Every field is validated: a wrong type is an
    :class:`InvalidInputError` naming it.
    """

    id: str = attrs.field(validator=_non_empty_str)
    marketplace: Marketplace = attrs.field(converter=_to_marketplace)
    status: Status = attrs.field(converter=_to_status)
    item_id: str = attrs.field(validator=_non_empty_str)
    unit_price: int = attrs.field(validator=_won)
    quantity: int = attrs.field(default=1, validator=_positive_int)
    payment_channel: PaymentChannel = attrs.field(
        default=PaymentChannel.NORMAL,
        converter=_to_channel,
    )
    # card and easy-pay: True; bank transfer and virtual account: False (imweb force_cancel note)
    auto_refundable: bool = attrs.field(default=True, validator=_bool)
    open_claim: Claim | None = attrs.field(default=None, validator=_claim_or_none)
    # claim ids are not checked unique here: imweb's wire has no claim ids and the adapter's
    # stand-ins ("{item}:{type}") repeat; apply() refuses a caller's claim_id that is taken
    closed_claims: tuple[Claim, ...] = attrs.field(default=(), converter=_to_claims)
    version: int = attrs.field(default=0, validator=_version)
    # rules.md M1: what the buyer paid beyond the sale price (None: nothing but the price)
    money: LineMoney | None = attrs.field(default=None, validator=_money_fits)
    # rules.md Q1: x2bee sctnCnclPsbYn, the order allows claiming part of the line's units
    partial_claims: bool = attrs.field(default=False, validator=_bool)
    # rules.md D1–D5 (claimflow._time): when things happened, aware datetimes
    paid_at: dt.datetime | None = attrs.field(default=None, validator=_aware_or_none)
    delivered_at: dt.datetime | None = attrs.field(default=None, validator=_aware_or_none)
    # the day the seller must ship by (Toss shippingDeadlineAt; order.delay sets the new one)
    shipping_deadline: dt.date | None = attrs.field(default=None, validator=_date_or_none)

    @property
    def amount(self) -> int:
        """The line's sale price: unit price x quantity, in won."""
        return self.unit_price * self.quantity

    @property
    def paid(self) -> int:
        """Money the buyer paid for this line (rules.md M1): the price less discounts and points,
        plus the delivery fee share."""
        m = self.money
        return (
            self.unit_price * self.quantity if m is None else m.paid(self.unit_price, self.quantity)
        )


@attrs.frozen
class CandidateItem:
    """An item an x2bee option change may switch to (from ``POST /v1/detail/otherItms``)."""

    item_id: str = attrs.field(validator=_non_empty_str)
    unit_price: int = attrs.field(validator=_won)
    on_sale: bool = attrs.field(validator=_bool)
    stock: int = attrs.field(validator=_version)
    # a reservation (예약) item is no option-change target (x2bee guide, marketplaces.md §5.3)
    reservation: bool = attrs.field(default=False, validator=_bool)


@attrs.frozen
class Effect:
    """Something the outside world must do because of an action (data, carried out by adapters)."""

    kind: EffectKind = attrs.field(converter=_to_effect_kind)
    # won, for REFUND / CHARGE_EXTRA / REFUND_POINTS when known
    amount: int | None = attrs.field(default=None, validator=_won_or_none)
    carrier: str | None = attrs.field(default=None, validator=_optional_str)  # REGISTER_DELIVERY
    tracking_number: str | None = attrs.field(default=None, validator=_optional_str)
    # REFUND / CHARGE_EXTRA / REFUND_POINTS: the decision's breakdown, for a handler that gets
    # only the effect (equality compares the amount; Decision.quote compares the breakdown)
    quote: Quote | None = attrs.field(
        default=None,
        eq=False,
        repr=False,
        validator=_optional_instance_of(Quote),
    )
    # RESTORE_COUPONS / RESTORE_STOCK: what to give back
    restore: Restore | None = attrs.field(default=None, validator=_optional_instance_of(Restore))


@attrs.frozen
class Reason:
    """Why an action is allowed or refused: a stable code, messages, and the rule behind it."""

    code: str = attrs.field(validator=_non_empty_str)
    message_ko: str = attrs.field(validator=_str)
    message_en: str = attrs.field(validator=_str)
    rule_id: str | None = attrs.field(default=None, validator=_optional_str)
    source: str | None = attrs.field(default=None, validator=_optional_str)
    tag: Tag | None = attrs.field(default=None, converter=_to_tag)
    # the parameter concerned, for parameter problems
    field: str | None = attrs.field(default=None, validator=_optional_str)


@attrs.frozen
class Decision:
    """The answer to "may this actor do this action on this order product now?".

    When ``allowed``, ``to_status``, ``claim_type``/``claim_status`` and ``effects`` say what the
    action leads to, and ``reasons`` holds the rule that allows it. When refused, ``reasons`` says
    why (several when several things are wrong) and the ``to_*`` fields are None.
    """

    allowed: bool = attrs.field(validator=_bool)
    marketplace: Marketplace = attrs.field(converter=_to_marketplace)
    action: Action = attrs.field(converter=_to_action)
    actor: Actor = attrs.field(converter=_to_actor)
    from_status: Status = attrs.field(converter=_to_from_status)
    reasons: tuple[Reason, ...] = attrs.field(converter=_to_reasons)
    to_status: Status | None = attrs.field(default=None, converter=_to_to_status_or_none)
    claim_type: ClaimType | None = attrs.field(default=None, converter=_to_claim_type_or_none)
    claim_status: ClaimStatus | None = attrs.field(default=None, converter=_to_claim_status_or_none)
    effects: tuple[Effect, ...] = attrs.field(default=(), converter=_to_effects)
    rule_id: str | None = attrs.field(default=None, validator=_optional_str)
    params: Params = attrs.field(default=(), converter=_to_params)
    # when the action moves money (rules.md M1–M7)
    quote: Quote | None = attrs.field(default=None, validator=_optional_instance_of(Quote))

    @property
    def codes(self) -> tuple[str, ...]:
        """The reason codes, in order."""
        return tuple(r.code for r in self.reasons)

    def effect(self, kind: EffectKind) -> Effect | None:
        """The effect of this *kind*, if the action causes one."""
        for e in self.effects:
            if e.kind is kind:
                return e
        return None

    def explain(self, lang: str = "en") -> str:
        """One line for a log or a tooltip, in English (``en``) or Korean (``ko``)."""
        verdict = (
            ("allowed" if self.allowed else "refused")
            if lang == "en"
            else ("가능" if self.allowed else "불가")
        )
        parts = [
            (r.message_en if lang == "en" else r.message_ko)
            + (f" [{r.rule_id}]" if r.rule_id else "")
            for r in self.reasons
        ]
        return f"{self.marketplace} {self.action} by {self.actor}: {verdict}: " + "; ".join(parts)


@attrs.frozen
class HistoryEvent:
    """What one applied action did, for the caller to persist."""

    order_product_id: str = attrs.field(validator=_non_empty_str)
    # the version the order product has after this event
    version: int = attrs.field(validator=_version)
    marketplace: Marketplace = attrs.field(converter=_to_marketplace)
    action: Action = attrs.field(converter=_to_action)
    actor: Actor = attrs.field(converter=_to_actor)
    rule_id: str = attrs.field(validator=_non_empty_str)
    from_status: Status = attrs.field(converter=_to_from_status)
    to_status: Status = attrs.field(converter=_to_to_status)
    claim_id: str | None = attrs.field(validator=_optional_str)
    claim_type: ClaimType | None = attrs.field(converter=_to_claim_type_or_none)
    claim_status_before: ClaimStatus | None = attrs.field(converter=_to_status_before)
    claim_status_after: ClaimStatus | None = attrs.field(converter=_to_status_after)
    effects: tuple[Effect, ...] = attrs.field(converter=_to_effects)
    params: Params = attrs.field(converter=_to_params)
    at: dt.datetime = attrs.field(validator=_aware)
    # rules.md Q1: the other line of a split (the claimed units' line on the rest's event, and
    # the line they came from on theirs)
    split_with: str | None = attrs.field(default=None, validator=_optional_str)


def _split_off(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # Applied is looked up when the validator runs: the class is not defined yet here
    if value is not None and not isinstance(value, Applied):
        msg = f"{attribute.name}: must be an Applied or None, got {value!r:.200}"
        raise InvalidInputError(msg, field=attribute.name)


@attrs.frozen
class Applied:
    """What :func:`claimflow.apply` returns: the new order product, its event, the decision.

    A partial claim (rules.md Q1) splits the line: ``order_product`` is then the rest, with
    fewer units and its status unchanged, and ``split_off`` the claimed units' own line with
    the action applied to it (its own id, status, claims and version).
    """

    order_product: OrderProduct = attrs.field(validator=_instance_of(OrderProduct))
    event: HistoryEvent = attrs.field(validator=_instance_of(HistoryEvent))
    decision: Decision = attrs.field(validator=_instance_of(Decision))
    split_off: Applied | None = attrs.field(default=None, validator=_split_off)

    @property
    def lines(self) -> tuple[OrderProduct, ...]:
        """Every line after the action: the order product, and the split-off one if any."""
        if self.split_off is None:
            return (self.order_product,)
        return (self.order_product, self.split_off.order_product)

    @property
    def effects(self) -> tuple[Effect, ...]:
        """The effects the outside world must carry out."""
        return self.decision.effects


def order_product_arg(value: object) -> OrderProduct:
    """*value* if it is an :class:`OrderProduct`, else an InvalidInputError naming the argument."""
    if not isinstance(value, OrderProduct):
        msg = f"order_product: must be an OrderProduct, got {type(value).__name__} {value!r:.80}"
        raise InvalidInputError(msg, field="order_product")
    return value


def version_arg(value: object) -> int:
    """An expected version: a non-negative int (not a bool, a float or a string)."""
    if type(value) is not int or value < 0:
        msg = f"expected_version: must be a non-negative integer, got {value!r:.80}"
        raise InvalidInputError(msg, field="expected_version")
    return value


def claim_id_arg(op: OrderProduct, value: object) -> str:
    """A caller's id for the claim an action opens: a non-empty string no claim of *op* has."""
    if not isinstance(value, str) or not value.strip():
        msg = f"claim_id: must be a non-empty string, got {value!r:.80}"
        raise InvalidInputError(msg, field="claim_id")
    taken = {c.id for c in op.closed_claims}
    if op.open_claim is not None:
        taken.add(op.open_claim.id)
    if value in taken:
        msg = f"claim_id: order product {op.id!r} already has a claim {value!r}; ids are unique"
        raise InvalidInputError(msg, field="claim_id")
    return value


def params_dict(params: Params) -> Mapping[str, object]:
    """Parameters as a mapping."""
    return dict(params)
