"""The wire's money facts as the engine's values (rules.md M1, M4, M7).

Each codec decodes its marketplace's documented money fields (``codecs.<mp>.line_money``,
``claim_delivery``, with the wire field behind each value in ``LINE_MONEY_ORIGIN`` /
``CLAIM_DELIVERY_ORIGIN``); this module checks what they decode against the engine's own
validation. A fact the wire does not carry stays None/0 as :class:`~claimflow.LineMoney` allows;
nothing is invented. A value the engine refuses (a negative fee, discounts above the price,
points above what was payable) is the marketplace's answer being wrong:
:class:`~claimflow.exceptions.UnexpectedResponseError` naming the wire field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .._money import ClaimDelivery, LineMoney
from .._vocab import Marketplace
from ..exceptions import InvalidInputError, UnexpectedResponseError
from ._values import RemoteClaim, RemoteOrderProduct

__all__ = ["claim_delivery", "line_money"]


if TYPE_CHECKING:
    from .codecs import CodecModule


def _codec(mp: Marketplace) -> CodecModule:
    from .codecs import CODECS  # noqa: PLC0415 - the codecs import the layers this one is in

    return CODECS[mp]


def _wire_error(
    mp: Marketplace, e: InvalidInputError, origin: Mapping[str, str], op_id: str
) -> UnexpectedResponseError:
    name = (e.field or "").removeprefix("money.").removeprefix("claim.delivery.")
    wire = origin.get(name, name or "money")
    msg = f"{mp}: order product {op_id!r}: the wire's {wire} is not a valid amount: {e}"
    return UnexpectedResponseError(msg, marketplace=mp.value, field=wire, order_product_id=op_id)


def line_money(mp: Marketplace, remote: RemoteOrderProduct) -> LineMoney | None:
    """*remote*'s money facts as a :class:`~claimflow.LineMoney` (M1), checked against its price.

    None when the wire carries no money fact for the line (and always on x2bee: no money field of
    an order line is documented there; its cost calculation is a claim-time figure). Raises
    :class:`~claimflow.exceptions.UnexpectedResponseError` naming the wire field when a value does
    not fit (negative, discounts above the price, points above what was payable).
    """
    codec = _codec(mp)
    try:
        money: LineMoney | None = codec.line_money(remote)
        if money is not None:  # the price the store takes for the line (0 when not shown)
            money.check_fits(remote.unit_price or 0, remote.quantity or 1)
    except InvalidInputError as e:
        raise _wire_error(mp, e, codec.LINE_MONEY_ORIGIN, remote.id) from None
    return money


def claim_delivery(mp: Marketplace, claim: RemoteClaim) -> ClaimDelivery | None:
    """A claim item's delivery facts as a :class:`~claimflow.ClaimDelivery` (M4, M7): on Toss
    who bears the cost and the fees it states; None where the claim does not say (imweb reads
    its fault classes from the reason code; x2bee states its figures in the cost calculation)."""
    codec = _codec(mp)
    try:
        delivery: ClaimDelivery | None = codec.claim_delivery(claim)
    except InvalidInputError as e:
        raise _wire_error(mp, e, codec.CLAIM_DELIVERY_ORIGIN, claim.order_product_id) from None
    return delivery
