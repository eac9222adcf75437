"""Money: what the buyer paid for a line (rules.md M1) and what a claim refunds or charges (M2-M8).

A REFUND of "the line's price" is wrong as soon as a coupon, points, a delivery fee or a return
shipping fee is involved. :class:`LineMoney` holds what the buyer paid for one order line as the
wire gives it, :class:`ClaimDelivery` who bears a claim's delivery cost, and :func:`quote_money`
turns them into a :class:`Quote`: a breakdown in integer won whose parts add up exactly to the
refund (or to the extra payment). Amounts that do not divide (a partial claim, a split line) are
allocated by largest remainder (:func:`allocate`, M2), so the parts of a line always add up to the
whole, to the won.

Which money rule applies is the action's business (:data:`MONEY_RULES`): a cancel before shipment
(M3), a return (M4), an exchange (M5); extra charges given by the seller and the "never negative"
rule (M6) and a marketplace's own figure (M7) apply to all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import attrs

from ._vocab import FeePayer, parse_enum
from .exceptions import InvalidInputError

__all__ = [
    "ClaimDelivery",
    "DeliveryFeeKind",
    "DeliveryRegion",
    "LineMoney",
    "MoneyRule",
    "Quote",
    "Restore",
    "allocate",
]


class DeliveryFeeKind(StrEnum):
    """How the initial delivery was charged (Toss ``deliveryFeeType``; imweb ``deliv_pay_type``)."""

    FREE = "FREE"
    PAID = "PAID"  # paid in advance with the order (imweb ``price`` 선결제)
    CONDITIONALLY_FREE = "CONDITIONALLY_FREE"  # free above a threshold: the fee says which
    CASH_ON_DELIVERY = "CASH_ON_DELIVERY"  # paid to the carrier at the door (imweb 착불)

    @property
    def label(self) -> str:
        """The Korean label."""
        return _FEE_KIND_LABELS[self]


_FEE_KIND_LABELS = {
    DeliveryFeeKind.FREE: "무료배송",
    DeliveryFeeKind.PAID: "유료배송",
    DeliveryFeeKind.CONDITIONALLY_FREE: "조건부 무료배송",
    DeliveryFeeKind.CASH_ON_DELIVERY: "착불",
}


class DeliveryRegion(StrEnum):
    """Where the line is delivered (Toss ``deliveryLocationType``); regions cost extra."""

    NORMAL = "NORMAL"
    JEJU = "JEJU"  # Toss jejuDeliveryFee
    MOUNTAIN = "MOUNTAIN"  # islands and mountains: Toss mountainDeliveryFee, imweb island_price


class MoneyRule(StrEnum):
    """Which rules.md money rule a quote follows."""

    CANCEL = "M3"  # cancel before shipment
    RETURN = "M4"  # return (and a seller cancel after shipment)
    EXCHANGE = "M5"  # exchange: no refund; the buyer may pay the round trip


def _won(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value < 0:
        msg = f"money.{attribute.name}: must be a non-negative integer amount in won, got {value!r}"
        raise InvalidInputError(msg, field=f"money.{attribute.name}")


def _won_or_none(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _won(inst, attribute, value)


def _ids(value: object) -> tuple[str, ...]:
    if isinstance(value, (tuple, list)) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    msg = f"money.coupon_ids: must be a sequence of non-empty strings, got {value!r}"
    raise InvalidInputError(msg, field="money.coupon_ids")


def _to_fee_kind(value: object) -> DeliveryFeeKind:
    return parse_enum(DeliveryFeeKind, value, "money.delivery_fee_kind")


def _to_region(value: object) -> DeliveryRegion:
    return parse_enum(DeliveryRegion, value, "money.region")


def _to_fee_payer(value: object) -> FeePayer:
    return parse_enum(FeePayer, value, "claim.delivery.fee_payer")


@attrs.frozen
class LineMoney:
    """What the buyer paid for one order line beyond its sale price (M1), in integer won.

    The sale price and quantity are the order product's ``unit_price`` and ``quantity``; the
    amounts here are for the whole line (all its units). Adapters fill them from the wire: Toss
    order rows (``totalDiscountPrice``, ``tossShoppingDiscount``, ``tossPayDiscount``,
    ``tossPayPoint``, ``deliveryFee``, ``jejuDeliveryFee``/``mountainDeliveryFee``) and products
    (``refundOneWayDeliveryFee``, ``exchangeRoundTripDeliveryFee``); imweb item orders
    (``coupon``, ``point``, ``deliv_price``, ``island_price``); x2bee's cost calculation.
    Whether the amounts fit the price is checked by the order product (:meth:`check_fits`).
    """

    coupon_discount: int = attrs.field(default=0, validator=_won)  # the shop's coupons
    marketplace_discount: int = attrs.field(default=0, validator=_won)  # e.g. tossPayDiscount
    points_used: int = attrs.field(default=0, validator=_won)  # paid with points, not money
    delivery_fee: int = attrs.field(default=0, validator=_won)  # the line's share
    delivery_fee_kind: DeliveryFeeKind = attrs.field(
        default=DeliveryFeeKind.FREE,
        converter=_to_fee_kind,
    )
    regional_fee: int = attrs.field(default=0, validator=_won)  # Jeju / island-mountain extra
    region: DeliveryRegion = attrs.field(default=DeliveryRegion.NORMAL, converter=_to_region)
    return_one_way_fee: int = attrs.field(default=0, validator=_won)  # 편도 반품배송비
    round_trip_fee: int = attrs.field(default=0, validator=_won)  # 왕복 배송비
    coupon_ids: tuple[str, ...] = attrs.field(default=(), converter=_ids)  # RESTORE_COUPONS

    def __attrs_post_init__(self) -> None:
        if self.delivery_fee_kind is DeliveryFeeKind.FREE and self.delivery_fee:
            msg = f"money.delivery_fee: {self.delivery_fee} won on a FREE delivery; use PAID"
            raise InvalidInputError(msg, field="money.delivery_fee")
        if self.regional_fee and self.region is DeliveryRegion.NORMAL:
            msg = f"money.regional_fee: {self.regional_fee} won for a NORMAL region"
            raise InvalidInputError(msg, field="money.regional_fee")

    @property
    def discounts(self) -> int:
        """Coupon and marketplace discounts together."""
        return self.coupon_discount + self.marketplace_discount

    @property
    def delivery_paid(self) -> int:
        """The delivery the buyer paid through the marketplace (nothing when paid at the door)."""
        if self.delivery_fee_kind is DeliveryFeeKind.CASH_ON_DELIVERY:
            return 0
        return self.delivery_fee + self.regional_fee

    @property
    def buyer_paid_delivery(self) -> bool:
        """Whether the buyer paid for the initial delivery (M4: then a return costs one way)."""
        kind = self.delivery_fee_kind
        if kind is DeliveryFeeKind.CONDITIONALLY_FREE:
            return self.delivery_fee > 0
        return kind is not DeliveryFeeKind.FREE

    def check_fits(self, unit_price: int, quantity: int) -> None:
        """Raise :class:`InvalidInputError` naming the field when the amounts exceed the price."""
        price = unit_price * quantity
        if self.coupon_discount > price:
            msg = f"money.coupon_discount: {self.coupon_discount} won exceeds the price {price}"
            raise InvalidInputError(msg, field="money.coupon_discount")
        if self.discounts > price:
            msg = (
                f"money.marketplace_discount: discounts of {self.discounts} won exceed the "
                f"price {price}"
            )
            raise InvalidInputError(msg, field="money.marketplace_discount")
        payable = price - self.discounts + self.delivery_paid
        if self.points_used > payable:
            msg = f"money.points_used: {self.points_used} points exceed what was payable, {payable}"
            raise InvalidInputError(msg, field="money.points_used")

    def paid(self, unit_price: int, quantity: int) -> int:
        """Money the buyer paid for the line (M1): price - discounts - points + delivery."""
        return unit_price * quantity - self.discounts - self.points_used + self.delivery_paid

    def split(self, part: int, quantity: int) -> tuple[LineMoney, LineMoney]:
        """The money of *part* of *quantity* units and of the rest, by largest remainder (M2).

        Discounts and points are shared pro rata; the delivery fee stays with the rest (the rest
        still ships, so no unit of the shipment has left it: M3), and so do the coupons' ids.
        """
        weights = (part, quantity - part)

        def share(total: int) -> tuple[int, int]:
            a, b = allocate(total, weights)
            return a, b

        coupon = share(self.coupon_discount)
        market = share(self.marketplace_discount)
        points = share(self.points_used)
        mine = attrs.evolve(
            self,
            coupon_discount=coupon[0],
            marketplace_discount=market[0],
            points_used=points[0],
            delivery_fee=0,
            regional_fee=0,
            coupon_ids=(),
        )
        rest = attrs.evolve(
            self, coupon_discount=coupon[1], marketplace_discount=market[1], points_used=points[1]
        )
        return mine, rest


@attrs.frozen
class ClaimDelivery:
    """Who bears a claim's delivery cost, and the fees when the claim states its own.

    Toss claim items carry ``requestDeliveryPenaltyCharger`` (``USER``/``MERCHANT``),
    ``refundOneWayDeliveryFee`` and ``roundTripDeliveryFee``; imweb's reason code says who is at
    fault (``INTENT_CHANGED``, ``COLOR_AND_SIZE``, ``WRONG_ORDER``: the buyer). A fee left None is
    the line's (:attr:`LineMoney.return_one_way_fee`, :attr:`LineMoney.round_trip_fee`).
    """

    fee_payer: FeePayer = attrs.field(converter=_to_fee_payer)
    one_way_fee: int | None = attrs.field(default=None, validator=_won_or_none)
    round_trip_fee: int | None = attrs.field(default=None, validator=_won_or_none)
    # Toss claimDeliveryPaymentAmount: what the marketplace says the buyer pays for this claim's
    # delivery; when known it is what is deducted (M7), and a difference from the quote is said
    payment_amount: int | None = attrs.field(default=None, validator=_won_or_none)


@attrs.frozen
class Restore:
    """What a RESTORE_COUPONS / RESTORE_STOCK effect gives back: the item, units and coupons."""

    item_id: str | None = None  # RESTORE_STOCK
    quantity: int = 0  # RESTORE_STOCK: units back in stock
    coupon_ids: tuple[str, ...] = ()  # RESTORE_COUPONS


# Why return shipping was (or was not) deducted: codes with Korean and English text.
SHIPPING_REASONS: dict[str, tuple[str, str]] = {
    "NONE": ("반송 배송비가 없는 클레임입니다", "no return shipping in this claim"),
    "SELLER_BEARS": ("판매자 부담: 배송비를 차감하지 않습니다", "the seller bears it: nothing"),
    "PAYER_UNKNOWN": (
        "배송비 부담 주체를 알 수 없어 차감하지 않았습니다",
        "who bears it is unknown: nothing deducted",
    ),
    "BUYER_ONE_WAY": (
        "구매자 부담: 첫 배송비를 냈으므로 편도 반품배송비를 차감합니다",
        "the buyer bears it and paid the first delivery: the one-way fee",
    ),
    "BUYER_ROUND_TRIP": (
        "구매자 부담: 무료배송이었으므로 왕복 배송비를 차감합니다",
        "the buyer bears it and the first delivery was free: the round-trip fee",
    ),
}


@attrs.frozen
class Quote:
    """What an action refunds or charges, part by part, in integer won (rules.md M1-M7).

    ``item_amount - discounts - points + delivery_fee_refunded - return_shipping - extra_charges``
    is the *net*; claimflow's own result is ``computed_refund`` (when the net is positive) or
    ``computed_extra_payment`` (when deductions leave something unpaid, M6), never both. Points
    are refunded as points (``points_refunded``, REFUND_POINTS), not as money. ``refund`` and
    ``extra_payment`` are what is refunded or charged: claimflow's figures, or the marketplace's
    when it states its own (M7, ``stated_by`` names the wire figure) — then ``difference`` (the
    marketplace's net minus claimflow's) says by how much they disagree; it is never hidden.
    """

    rule: MoneyRule
    quantity: int  # units quoted
    item_amount: int  # sale price x units
    discounts: int  # coupon and marketplace discounts on those units
    points: int  # points used on those units
    delivery_fee_refunded: int  # M3
    return_shipping: int  # M4 deducted, M5 charged
    return_shipping_reason: str  # a key of SHIPPING_REASONS
    extra_charges: int  # M6: given by the seller (imweb etc_price)
    points_refunded: int
    computed_refund: int
    computed_extra_payment: int
    refund: int
    extra_payment: int
    stated_by: str | None = None  # M7: the marketplace's figure (parameter name)
    difference: int = 0  # M7: marketplace net - claimflow net

    @property
    def net(self) -> int:
        """Refund (positive) or extra payment (negative) the parts add up to."""
        return (
            self.item_amount
            - self.discounts
            - self.points
            + self.delivery_fee_refunded
            - self.return_shipping
            - self.extra_charges
        )

    @property
    def adds_up(self) -> bool:
        """Whether the parts add up exactly to claimflow's result (they always should)."""
        return (
            self.computed_refund - self.computed_extra_payment == self.net
            and min(self.computed_refund, self.computed_extra_payment) == 0
        )

    @property
    def shipping_reason_ko(self) -> str:
        """Why return shipping was or was not deducted, in Korean."""
        return SHIPPING_REASONS[self.return_shipping_reason][0]

    @property
    def shipping_reason_en(self) -> str:
        """Why return shipping was or was not deducted, in English."""
        return SHIPPING_REASONS[self.return_shipping_reason][1]


def allocate(total: int, weights: Sequence[int]) -> tuple[int, ...]:
    """*total* won split in proportion to *weights* by largest remainder (M2); sums to *total*.

    Floors first; the won left over go one each to the largest remainders, ties to the earlier
    weight, so the same question always gets the same answer.
    """
    whole = sum(weights)
    if whole <= 0:
        if total:
            msg = f"cannot allocate {total} won over weights {tuple(weights)}"
            raise InvalidInputError(msg, field="weights")
        return tuple(0 for _ in weights)
    shares = [total * w // whole for w in weights]
    rests = [total * w % whole for w in weights]
    left = total - sum(shares)
    for i in sorted(range(len(weights)), key=lambda i: (-rests[i], i))[:left]:
        shares[i] += 1
    return tuple(shares)


def quote_money(  # noqa: PLR0917 - one argument per fact the quote reads
    rule: MoneyRule,
    unit_price: int,
    quantity: int,
    money: LineMoney | None,
    delivery: ClaimDelivery | None,
    extra_charge: int,
    refund_points: int | None,
    stated_refund: int | None,
    stated_extra_payment: int | None,
) -> Quote:
    """The quote of *rule* for a whole line of *quantity* units (a partial claim is split first).

    *refund_points* overrides the points refunded (imweb ``refund_point``); *stated_refund* /
    *stated_extra_payment* are the marketplace's own result (M7).
    """
    m = money if money is not None else _NO_MONEY
    exchange = rule is MoneyRule.EXCHANGE
    item = 0 if exchange else unit_price * quantity
    discounts = 0 if exchange else m.discounts
    points = 0 if exchange else m.points_used
    fee_back = m.delivery_paid if rule is MoneyRule.CANCEL else 0
    shipping, why = 0, "NONE"
    if rule is not MoneyRule.CANCEL:
        payer = delivery.fee_payer if delivery is not None else None
        if payer is None:
            why = "PAYER_UNKNOWN"
        elif payer is FeePayer.MERCHANT:
            why = "SELLER_BEARS"
        else:
            one_way = (
                delivery.one_way_fee
                if delivery is not None and delivery.one_way_fee is not None
                else m.return_one_way_fee
            )
            round_trip = (
                delivery.round_trip_fee
                if delivery is not None and delivery.round_trip_fee is not None
                else m.round_trip_fee
            )
            if not exchange and m.buyer_paid_delivery:
                shipping, why = one_way, "BUYER_ONE_WAY"
            else:
                shipping, why = round_trip, "BUYER_ROUND_TRIP"
    net = item - discounts - points + fee_back - shipping - extra_charge
    computed_refund, computed_extra = max(net, 0), max(-net, 0)
    refund, extra, stated_by = computed_refund, computed_extra, None
    if stated_extra_payment:
        refund, extra, stated_by = 0, stated_extra_payment, "extra_payment"
    elif stated_refund is not None:
        refund, extra, stated_by = stated_refund, 0, "refund_amount"
    elif (
        rule is not MoneyRule.CANCEL
        and delivery is not None
        and delivery.payment_amount is not None
        and delivery.fee_payer is FeePayer.USER
    ):
        stated_net = net + shipping - delivery.payment_amount
        refund, extra = max(stated_net, 0), max(-stated_net, 0)
        stated_by = "claimDeliveryPaymentAmount"
    return Quote(
        rule=rule,
        quantity=quantity,
        item_amount=item,
        discounts=discounts,
        points=points,
        delivery_fee_refunded=fee_back,
        return_shipping=shipping,
        return_shipping_reason=why,
        extra_charges=extra_charge,
        points_refunded=points if refund_points is None else refund_points,
        computed_refund=computed_refund,
        computed_extra_payment=computed_extra,
        refund=refund,
        extra_payment=extra,
        stated_by=stated_by,
        difference=(refund - extra) - net if stated_by is not None else 0,
    )


_NO_MONEY = LineMoney()
