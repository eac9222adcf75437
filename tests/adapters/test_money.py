"""Wire money facts as LineMoney / ClaimDelivery (M1, M4, M7): ``claimflow.adapters.line_money``
and ``claimflow.adapters.claim_delivery``.

Read from the golden samples (tests/golden/, written from marketplaces.md §5) through the real
adapters, then quoted by the engine: the won amounts below follow M1 (what was paid), M4 (the
return shipping the buyer bears) and M7 (the marketplace's own figure).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import pathlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import claimflow as cf
from claimflow.adapters import (
    OrderRef,
    RemoteClaim,
    RemoteOrderProduct,
    RetryPolicy,
    adopt,
    claim_delivery,
    imweb,
    line_money,
    toss,
)
from claimflow.exceptions import UnexpectedResponseError

GOLDEN = pathlib.Path(__file__).parent.parent / "golden"
FAST = RetryPolicy(attempts=2, timeout=5.0, wait_initial=0.0005, wait_max=0.001, wait_jitter=0)
TOSS, IMWEB, X2BEE = cf.Marketplace.TOSS, cf.Marketplace.IMWEB, cf.Marketplace.X2BEE


def golden(mp: str, name: str) -> dict[str, Any]:
    """The body of a golden answer."""
    loaded: dict[str, Any] = json.loads((GOLDEN / mp / f"{name}.json").read_text("utf-8"))
    return loaded["body"]  # type: ignore[no-any-return]


def _adapter(mp: str, answer: Callable[[httpx.Request], dict[str, Any]]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3599})
        if request.url.path == "/v2/auth":
            return httpx.Response(200, json={"msg": "SUCCESS", "code": 200, "access_token": "t"})
        return httpx.Response(200, json=answer(request))

    transport = httpx.MockTransport(handler)
    if mp == "toss":
        return toss.make_client("id", "secret", retry=FAST, transport=transport)
    return imweb.make_client("key", "secret", retry=FAST, transport=transport)


def _no_claims() -> dict[str, Any]:
    return {
        "resultType": "SUCCESS",
        "success": {"items": [], "hasNext": False, "nextToken": None},
        "error": None,
    }


def toss_row(**changes: object) -> RemoteOrderProduct:
    """The golden Toss order product (price 12000 x 2) read by the adapter, fields changed."""
    body = copy.deepcopy(golden("toss", "response_order_product"))
    for name, value in changes.items():
        if value is None:
            body["success"].pop(name)
        else:
            body["success"][name] = value

    def answer(request: httpx.Request) -> dict[str, Any]:
        return _no_claims() if request.url.path.endswith("/claims") else body

    with _adapter("toss", answer) as adapter:
        remote: RemoteOrderProduct = adapter.read(OrderRef("OP-1001"))
    return remote


def toss_claim(**changes: object) -> RemoteClaim:
    """The captured Toss claim item (fees 3000 / 6000) read by the adapter, fields changed."""
    body = copy.deepcopy(golden("toss", "response_claims_captured_cancel"))
    item = body["success"]["items"][0]
    for name, value in changes.items():
        if value is None:
            item.pop(name)
        else:
            item[name] = value
    with _adapter("toss", lambda _r: body) as adapter:
        claims: list[RemoteClaim] = list(adapter.list_claims().items)
    return claims[0]


def returned(money: cf.LineMoney | None, delivery: cf.ClaimDelivery | None) -> cf.OrderProduct:
    """The golden line (12000 x 2) collected back from the buyer, ready for return.complete."""
    claim = cf.Claim(
        "25123001",
        cf.ClaimType.RETURN,
        cf.ClaimStatus.COLLECTED,
        cf.Status.DELIVERED,
        delivery=delivery,
    )
    return cf.OrderProduct(
        "OP-1001",
        TOSS,
        cf.Status.RETURN_COLLECTED,
        "PRD-7",
        12000,
        2,
        open_claim=claim,
        money=money,
    )


def quote_return(op: cf.OrderProduct) -> cf.Quote:
    """The seller's return.complete quote."""
    q = cf.quote(op, "return.complete", "SELLER")
    assert q is not None
    return q


class TestTossLineMoney:
    def test_the_golden_order_row_maps_to_line_money(self) -> None:
        """Golden row: totalDiscountPrice 3000 with tossShopping 1000 + tossPay 500 inside it
        (read: the shop's coupon is the 1500 beyond them), deliveryFee 3000 paid, JEJU with
        jejuDeliveryFee 3000, tossPayPoint 0."""
        expected = cf.LineMoney(
            coupon_discount=1500,
            marketplace_discount=1500,
            points_used=0,
            delivery_fee=3000,
            delivery_fee_kind=cf.DeliveryFeeKind.PAID,
            regional_fee=3000,
            region=cf.DeliveryRegion.JEJU,
        )
        assert expected == line_money(TOSS, toss_row())

    def test_paid_is_price_minus_discounts_plus_delivery(self) -> None:
        """M1 on the golden row: 24000 - 3000 discounts - 0 points + 3000 + 3000 Jeju = 27000."""
        remote = toss_row()
        op = cf.OrderProduct(
            "OP-1001", TOSS, cf.Status.PREPARING, "PRD-7", 12000, 2, money=line_money(TOSS, remote)
        )
        assert 27000 == op.paid

    def test_the_shipping_deadline_and_region_are_read(self) -> None:
        """shippingDeadlineAt 2026-12-02T23:59:59 (KST) is the day 2026-12-02."""
        remote = toss_row()
        assert (dt.date(2026, 12, 2), "JEJU") == (
            remote.shipping_deadline,
            remote.delivery_location,
        )

    def test_marketplace_discounts_above_the_total_are_never_subtracted_less(self) -> None:
        """tossShopping 1000 + tossPay 2500 = 3500 > total 3000: all 3500 are discounts (never
        less than documented), none counted twice (no coupon on top)."""
        money = line_money(TOSS, toss_row(tossPayDiscount=2500))
        assert money is not None
        assert (0, 3500, 3500) == (
            money.coupon_discount,
            money.marketplace_discount,
            money.discounts,
        )

    def test_points_and_the_mountain_fee(self) -> None:
        """tossPayPoint 2000 is points used; MOUNTAIN takes mountainDeliveryFee, not Jeju's."""
        money = line_money(
            TOSS,
            toss_row(tossPayPoint=2000, deliveryLocationType="MOUNTAIN", mountainDeliveryFee=5000),
        )
        assert money is not None
        assert (2000, cf.DeliveryRegion.MOUNTAIN, 5000) == (
            money.points_used,
            money.region,
            money.regional_fee,
        )

    def test_a_row_without_money_facts_has_no_money(self) -> None:
        """No money field and no region on the wire: None, nothing invented."""
        names = (
            "originPrice totalDiscountPrice tossShoppingDiscount tossPayDiscount tossPayPoint "
            "deliveryFee jejuDeliveryFee mountainDeliveryFee deliveryLocationType "
            "shippingDeadlineAt"
        )
        remote = toss_row(**dict.fromkeys(names.split()))
        assert (None, None) == (line_money(TOSS, remote), remote.shipping_deadline)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"deliveryLocationType": "MARS"}, "deliveryLocationType"),
            ({"tossPayPoint": 999_999}, "tossPayPoint"),
            ({"totalDiscountPrice": 30_000}, "totalDiscountPrice"),
            ({"tossShoppingDiscount": 30_000}, "tossShoppingDiscount/tossPayDiscount"),
        ],
    )
    def test_a_value_that_does_not_fit_is_a_typed_error_naming_the_wire_field(
        self, changes: dict[str, object], field: str
    ) -> None:
        """Unknown region, points above what was payable, discounts above the price 24000."""
        with pytest.raises(UnexpectedResponseError) as e:
            line_money(TOSS, toss_row(**changes))
        assert (field, "toss", "OP-1001") == (
            e.value.field,
            e.value.marketplace,
            e.value.order_product_id,
        )


class TestTossClaimDelivery:
    def test_the_captured_claim_item_maps_to_claim_delivery(self) -> None:
        """USER bears it; one way 3000, round trip 6000, claimDeliveryPaymentAmount 0."""
        expected = cf.ClaimDelivery(
            cf.FeePayer.USER, one_way_fee=3000, round_trip_fee=6000, payment_amount=0
        )
        assert expected == claim_delivery(TOSS, toss_claim())

    def test_buyer_borne_return_deducts_the_one_way_fee(self) -> None:
        """M4: the buyer paid the first delivery (deliveryFee 3000), so a buyer-borne return
        deducts the one-way 3000: 24000 - 3000 discounts - 0 points - 3000 = 18000."""
        delivery = claim_delivery(TOSS, toss_claim(claimDeliveryPaymentAmount=None))
        q = quote_return(returned(line_money(TOSS, toss_row()), delivery))
        assert (3000, "BUYER_ONE_WAY", 18000, None) == (
            q.return_shipping,
            q.return_shipping_reason,
            q.refund,
            q.stated_by,
        )

    def test_free_first_delivery_deducts_the_round_trip_fee(self) -> None:
        """M4: deliveryFee 0 (free), buyer bears it: round trip 6000 off: 24000 - 3000 - 6000."""
        delivery = claim_delivery(TOSS, toss_claim(claimDeliveryPaymentAmount=None))
        money = line_money(TOSS, toss_row(deliveryFee=0))
        q = quote_return(returned(money, delivery))
        assert (6000, 15000) == (q.return_shipping, q.refund)

    def test_seller_borne_return_deducts_nothing(self) -> None:
        """M4: MERCHANT bears it: 24000 - 3000 = 21000."""
        delivery = claim_delivery(
            TOSS,
            toss_claim(requestDeliveryPenaltyCharger="MERCHANT", claimDeliveryPaymentAmount=None),
        )
        q = quote_return(returned(line_money(TOSS, toss_row()), delivery))
        assert (0, "SELLER_BEARS", 21000) == (q.return_shipping, q.return_shipping_reason, q.refund)

    def test_the_stated_payment_amount_wins_and_the_difference_is_said(self) -> None:
        """M7: claimDeliveryPaymentAmount 0 is what the buyer pays: 21000 refunded, and the
        3000 claimflow would have deducted is reported as the difference."""
        delivery = claim_delivery(TOSS, toss_claim())
        q = quote_return(returned(line_money(TOSS, toss_row()), delivery))
        assert ("claimDeliveryPaymentAmount", 21000, 3000) == (q.stated_by, q.refund, q.difference)

    def test_no_payer_on_the_wire_means_no_delivery_facts(self) -> None:
        """Without requestDeliveryPenaltyCharger nothing says who bears it: None."""
        assert claim_delivery(TOSS, toss_claim(requestDeliveryPenaltyCharger=None)) is None

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"requestDeliveryPenaltyCharger": "NOBODY"}, "requestDeliveryPenaltyCharger"),
            ({"refundOneWayDeliveryFee": -3000}, "refundOneWayDeliveryFee"),
            ({"claimDeliveryPaymentAmount": -1}, "claimDeliveryPaymentAmount"),
        ],
    )
    def test_a_bad_claim_value_is_a_typed_error_naming_the_wire_field(
        self, changes: dict[str, object], field: str
    ) -> None:
        """An unknown payer or a negative fee: UnexpectedResponseError naming the wire field."""
        with pytest.raises(UnexpectedResponseError) as e:
            claim_delivery(TOSS, toss_claim(**changes))
        assert (field, "OP-1001") == (e.value.field, e.value.order_product_id)

    def test_adopt_carries_the_claim_delivery_onto_the_claim(self) -> None:
        """Taking the remote state over (store sync, reconcile) puts the item's delivery facts on
        the claim it opens."""
        claim = toss_claim(type="RETURN", status="REQUESTED")
        remote = RemoteOrderProduct(
            "OP-1001", "RETURN_REQUESTED", None, order_id="ORD-1", claims=(claim,)
        )
        op = cf.OrderProduct("OP-1001", TOSS, cf.Status.DELIVERED, "PRD-7", 12000, 2)
        with _adapter("toss", lambda _r: _no_claims()) as adapter:
            new = adopt(adapter.spec, op, remote)
        assert new.open_claim is not None
        assert claim_delivery(TOSS, claim) == new.open_claim.delivery


class TestImwebLineMoney:
    def test_the_golden_item_order_maps_to_line_money(self) -> None:
        """Golden item order [doc, per item]: coupon 1000, point 500, deliv_price 3000 paid,
        island_price 0; paid for 12000 x 1 = 12000 - 1000 - 500 + 3000 = 13500 (M1)."""
        body = golden("imweb", "response_prod_orders")
        with _adapter("imweb", lambda _r: body) as adapter:
            remote = adapter.read(OrderRef("202611290001:2026112900011"))
        money = line_money(IMWEB, remote)
        expected = cf.LineMoney(
            coupon_discount=1000,
            points_used=500,
            delivery_fee=3000,
            delivery_fee_kind=cf.DeliveryFeeKind.PAID,
        )
        assert (expected, 13500) == (money, money.paid(12000, 1) if money else None)

    def test_an_island_price_is_the_mountain_regional_fee(self) -> None:
        """island_price 4000: region MOUNTAIN with a 4000 regional fee."""
        remote = RemoteOrderProduct(
            "1:1", "PAY_COMPLETE", None, unit_price=12000, quantity=1, money={"island_price": 4000}
        )
        money = line_money(IMWEB, remote)
        assert money is not None
        assert (cf.DeliveryRegion.MOUNTAIN, 4000) == (money.region, money.regional_fee)

    def test_a_coupon_above_the_price_is_a_typed_error_naming_coupon(self) -> None:
        """coupon 20000 on a 12000 item: UnexpectedResponseError naming ``coupon``."""
        remote = RemoteOrderProduct(
            "1:1", "PAY_COMPLETE", None, unit_price=12000, quantity=1, money={"coupon": 20000}
        )
        with pytest.raises(UnexpectedResponseError) as e:
            line_money(IMWEB, remote)
        assert ("coupon", "imweb") == (e.value.field, e.value.marketplace)


class TestX2bee:
    def test_x2bee_documents_no_line_money(self) -> None:
        """x2bee documents no money field on an order line: None even with facts present."""
        remote = RemoteOrderProduct("O:1", "11", None, unit_price=1000, money={"x": 1})
        assert (None, None) == (
            line_money(X2BEE, remote),
            claim_delivery(
                X2BEE,
                RemoteClaim(
                    "C",
                    cf.ClaimType.RETURN,
                    cf.ClaimStatus.REQUESTED,
                    "10",
                    True,
                    "O:1",
                    fee_payer="USER",
                ),
            ),
        )


class TestStoreSync:
    def test_a_synced_toss_line_carries_its_money_deadline_and_payment_time(self) -> None:
        """The store's sync builds the order product with the golden row's LineMoney (paid 27000,
        M1), shippingDeadlineAt's day and orderedAt as paid_at."""
        sync = pytest.importorskip("claimflow.store._sync")
        remote = toss_row()
        op = sync._new_order_product(TOSS, remote, cf.Status.PREPARING)
        assert (line_money(TOSS, remote), 27000, dt.date(2026, 12, 2), remote.ordered_at) == (
            op.money,
            op.paid,
            op.shipping_deadline,
            op.paid_at,
        )
