"""The wire's money facts as the engine's values (rules.md M1, M4, M7).

The codecs decode a marketplace's documented money fields into ``RemoteOrderProduct.money`` /
``RemoteClaim.money`` (won, keyed by wire name); this module turns them into
:class:`~claimflow.LineMoney` (``OrderProduct.money``) and :class:`~claimflow.ClaimDelivery`
(``Claim.delivery``), one small mapping per marketplace. A fact the wire does not carry stays
None/0 as :class:`~claimflow.LineMoney` allows; nothing is invented. A value the engine refuses (a
negative fee, discounts above the price, points above what was payable) is the marketplace's
answer being wrong: :class:`~claimflow.exceptions.UnexpectedResponseError` naming the wire field.

Tags: doc / client / inferred, as in ``shared/spec/marketplaces.md`` §5.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .._money import ClaimDelivery, DeliveryFeeKind, DeliveryRegion, LineMoney
from .._vocab import Marketplace
from ..exceptions import InvalidInputError, UnexpectedResponseError
from ._values import RemoteClaim, RemoteOrderProduct

__all__ = ["claim_delivery", "line_money"]

#: Toss ``deliveryLocationType`` [client, §5.1] and the fee field of each region [client, §5.1]
TOSS_REGIONS: Mapping[str, tuple[DeliveryRegion, str | None]] = {
    "NORMAL": (DeliveryRegion.NORMAL, None),
    "JEJU": (DeliveryRegion.JEJU, "jejuDeliveryFee"),
    "MOUNTAIN": (DeliveryRegion.MOUNTAIN, "mountainDeliveryFee"),
}

# which wire field a LineMoney field came from, to name it in an error
_TOSS_ORIGIN = {
    "coupon_discount": "totalDiscountPrice",
    "marketplace_discount": "tossShoppingDiscount/tossPayDiscount",
    "points_used": "tossPayPoint",
    "delivery_fee": "deliveryFee",
    "regional_fee": "jejuDeliveryFee/mountainDeliveryFee",
    "region": "deliveryLocationType",
}
_IMWEB_ORIGIN = {
    "coupon_discount": "coupon",
    "points_used": "point",
    "delivery_fee": "deliv_price",
    "regional_fee": "island_price",
}
_CLAIM_ORIGIN = {
    "fee_payer": "requestDeliveryPenaltyCharger",
    "one_way_fee": "refundOneWayDeliveryFee",
    "round_trip_fee": "roundTripDeliveryFee",
    "payment_amount": "claimDeliveryPaymentAmount",
}


def _wire_error(
    mp: Marketplace, e: InvalidInputError, origin: Mapping[str, str], op_id: str
) -> UnexpectedResponseError:
    name = (e.field or "").removeprefix("money.").removeprefix("claim.delivery.")
    wire = origin.get(name, name or "money")
    msg = f"{mp}: order product {op_id!r}: the wire's {wire} is not a valid amount: {e}"
    return UnexpectedResponseError(msg, marketplace=mp.value, field=wire, order_product_id=op_id)


def _fee_kind(fee: int) -> DeliveryFeeKind:
    # [inferred] the order row and item order carry the fee, not its kind (Toss deliveryFeeType
    # sits on the product): a fee paid is PAID, none is FREE
    return DeliveryFeeKind.PAID if fee else DeliveryFeeKind.FREE


def _toss(remote: RemoteOrderProduct) -> LineMoney | None:
    m = remote.money
    region_code = remote.delivery_location
    if not m and region_code is None:
        return None
    total = m.get("totalDiscountPrice", 0)
    marketplace = m.get("tossShoppingDiscount", 0) + m.get("tossPayDiscount", 0)
    # [inferred] the sources do not say whether totalDiscountPrice includes tossShoppingDiscount
    # and tossPayDiscount. Read so that a refund is never overstated by counting a discount
    # twice nor subtracts less than any documented figure: the line's discounts are the larger of
    # the total and the two marketplace discounts; what the total has beyond them is the shop's
    # (coupon) discount.
    coupon = max(0, total - marketplace)
    region, fee_field = DeliveryRegion.NORMAL, None
    if region_code is not None:
        known = TOSS_REGIONS.get(region_code)
        if known is None:
            msg = f"toss: order product {remote.id!r}: unknown deliveryLocationType {region_code!r}"
            raise UnexpectedResponseError(
                msg, marketplace="toss", field="deliveryLocationType", order_product_id=remote.id
            )
        region, fee_field = known
    delivery = m.get("deliveryFee", 0)
    return LineMoney(
        coupon_discount=coupon,
        marketplace_discount=marketplace,
        points_used=m.get("tossPayPoint", 0),
        delivery_fee=delivery,
        delivery_fee_kind=_fee_kind(delivery),
        regional_fee=m.get(fee_field, 0) if fee_field else 0,
        region=region,
    )


def _imweb(remote: RemoteOrderProduct) -> LineMoney | None:
    # [doc, §5.2] per item: point, coupon, deliv_price, island_price
    m = remote.money
    if not m:
        return None
    island = m.get("island_price", 0)
    delivery = m.get("deliv_price", 0)
    return LineMoney(
        coupon_discount=m.get("coupon", 0),
        points_used=m.get("point", 0),
        delivery_fee=delivery,
        delivery_fee_kind=_fee_kind(delivery),
        # [inferred] island_price is the islands/mountains extra: region MOUNTAIN when charged
        regional_fee=island,
        region=DeliveryRegion.MOUNTAIN if island else DeliveryRegion.NORMAL,
    )


_LINE: Mapping[Marketplace, tuple[Callable[[RemoteOrderProduct], LineMoney | None], dict[str, str]]]
_LINE = {Marketplace.TOSS: (_toss, _TOSS_ORIGIN), Marketplace.IMWEB: (_imweb, _IMWEB_ORIGIN)}


def line_money(mp: Marketplace, remote: RemoteOrderProduct) -> LineMoney | None:
    """*remote*'s money facts as a :class:`~claimflow.LineMoney` (M1), checked against its price.

    None when the wire carries no money fact for the line (and always on x2bee: no money field of
    an order line is documented there; its cost calculation is a claim-time figure). Raises
    :class:`~claimflow.exceptions.UnexpectedResponseError` naming the wire field when a value does
    not fit (negative, discounts above the price, points above what was payable).
    """
    entry = _LINE.get(mp)
    if entry is None:
        return None
    build, origin = entry
    try:
        money = build(remote)
        if money is not None:  # the price the store takes for the line (0 when not shown)
            money.check_fits(remote.unit_price or 0, remote.quantity or 1)
    except InvalidInputError as e:
        raise _wire_error(mp, e, origin, remote.id) from None
    return money


def claim_delivery(mp: Marketplace, claim: RemoteClaim) -> ClaimDelivery | None:
    """A Toss claim item's delivery facts as a :class:`~claimflow.ClaimDelivery` (M4, M7).

    [client, §5.1 real capture] ``requestDeliveryPenaltyCharger`` → ``fee_payer``,
    ``refundOneWayDeliveryFee`` → ``one_way_fee``, ``roundTripDeliveryFee`` →
    ``round_trip_fee``, ``claimDeliveryPaymentAmount`` → ``payment_amount`` (M7: the
    marketplace's own figure). None when the item does not say who bears the cost, and on imweb
    and x2bee (their claims carry no such fields; imweb's fault classes are read from the reason).
    """
    if mp is not Marketplace.TOSS or claim.fee_payer is None:
        return None
    m = claim.money
    try:
        return ClaimDelivery(
            claim.fee_payer,
            one_way_fee=m.get("refundOneWayDeliveryFee"),
            round_trip_fee=m.get("roundTripDeliveryFee"),
            payment_amount=m.get("claimDeliveryPaymentAmount"),
        )
    except InvalidInputError as e:
        raise _wire_error(mp, e, _CLAIM_ORIGIN, claim.order_product_id) from None
