"""Money (rules.md M1-M8): what a line paid, what a claim refunds or charges, to the won.

Worked examples give exact amounts and name the rule each number follows; property tests walk
random sequences on every marketplace with random prices, discounts, points and fees and check
the M8 invariants and that every quote adds up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

import claimflow as cf

A, S, CS, CT, EK = cf.Action, cf.Status, cf.ClaimStatus, cf.ClaimType, cf.EffectKind
BUYER, SELLER, SYSTEM = "BUYER", "SELLER", "SYSTEM"
AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
DELIVERY = {"carrier": "CJ대한통운", "tracking_number": "6012-3456-7890"}
REASON = {"reason": "단순 변심"}

# 2 x 12,000 won; coupon 2,000, Toss discount 1,000, 500 points, paid delivery 3,000 (M1)
MONEY = cf.LineMoney(
    coupon_discount=2_000,
    marketplace_discount=1_000,
    points_used=500,
    delivery_fee=3_000,
    delivery_fee_kind="PAID",
    return_one_way_fee=3_000,
    round_trip_fee=6_000,
    coupon_ids=("CPN-1",),
)


def line(mp: str, money: cf.LineMoney | None = MONEY, **fields: Any) -> cf.OrderProduct:
    """A fresh order product at PAID: 2 x 12,000 won with *money*."""
    values: dict[str, Any] = {"unit_price": 12_000, "quantity": 2, "money": money}
    return cf.OrderProduct("OP-1", mp, "PAID", "ITEM-A", **(values | fields))


def go(op: cf.OrderProduct, *steps: tuple[str, str, dict[str, Any]]) -> cf.OrderProduct:
    """*op* after each (action, actor, params) of *steps*."""
    for action, actor, params in steps:
        op = cf.apply(op, action, actor, at=AT, **params).order_product
    return op


def delivered(mp: str, money: cf.LineMoney | None = MONEY, **fields: Any) -> cf.OrderProduct:
    """The line shipped and delivered, no claim open."""
    op = line(mp, money, **fields)
    return go(op, ("order.ship", SELLER, DELIVERY), ("order.deliver", SYSTEM, {}))


def collected(mp: str, request: dict[str, Any], money: cf.LineMoney | None = MONEY) -> Any:
    """A return requested with *request*, approved and collected."""
    return go(
        delivered(mp, money),
        ("return.request", BUYER, request),
        ("return.approve", SELLER, {}),
        ("return.collect", SELLER, {}),
    )


def amounts(d: cf.Decision) -> tuple[tuple[cf.EffectKind, int | None], ...]:
    """The money effects of a decision as (kind, amount)."""
    money = {EK.REFUND, EK.CHARGE_EXTRA, EK.REFUND_POINTS}
    return tuple((e.kind, e.amount) for e in d.effects if e.kind in money)


class TestLineMoney:
    def test_paid_m1(self) -> None:
        """M1: paid = 24,000 - 3,000 discounts - 500 points + 3,000 delivery = 23,500 won."""
        assert 23_500 == line("toss").paid

    def test_paid_without_money_is_the_price(self) -> None:
        """M1: with no money facts a line paid its sale price, 24,000 won."""
        assert 24_000 == line("toss", None).paid

    @pytest.mark.parametrize(
        ("money", "field"),
        [
            pytest.param(
                {"delivery_fee": -1, "delivery_fee_kind": "PAID"},
                "money.delivery_fee",
                id="negative-fee",
            ),
            pytest.param(
                {"coupon_discount": 24_001}, "money.coupon_discount", id="coupon-over-price"
            ),
            pytest.param(
                {"coupon_discount": 20_000, "marketplace_discount": 5_000},
                "money.marketplace_discount",
                id="discounts-over-price",
            ),
            pytest.param({"points_used": 24_001}, "money.points_used", id="points-over-paid"),
            pytest.param({"delivery_fee": 3_000}, "money.delivery_fee", id="fee-on-free"),
            pytest.param({"regional_fee": 3_000}, "money.regional_fee", id="region-normal"),
            pytest.param(
                {"delivery_fee_kind": "POSTPAID"}, "money.delivery_fee_kind", id="unknown-kind"
            ),
            pytest.param({"points_used": 1.5}, "money.points_used", id="float-points"),
            pytest.param({"coupon_ids": ("",)}, "money.coupon_ids", id="empty-coupon-id"),
        ],
    )
    def test_bad_money_is_a_typed_error(self, money: dict[str, Any], field: str) -> None:
        """Bad money facts raise InvalidInputError naming the field (negative fee, discount
        over the price, points over what was payable, a fee on a free delivery, ...)."""
        with pytest.raises(cf.InvalidInputError) as e:
            line("toss", cf.LineMoney(**money))

        assert field == e.value.field
        assert field in str(e.value)

    def test_unknown_fee_payer(self) -> None:
        """A claim's delivery facts refuse an unknown payer, naming the field."""
        with pytest.raises(cf.InvalidInputError) as e:
            cf.ClaimDelivery("NOBODY")

        assert "claim.delivery.fee_payer" == e.value.field


class TestAllocate:
    def test_largest_remainder_m2(self) -> None:
        """M2: 1,000 won over 3 equal units is 334 + 333 + 333; the first remainder wins ties."""
        assert (334, 333, 333) == cf.allocate(1_000, (1, 1, 1))

    def test_parts_add_up(self) -> None:
        """M2: 1,001 won over weights 1 and 2 is 334 and 667, summing to 1,001."""
        assert (334, 667) == cf.allocate(1_001, (1, 2))

    @given(
        total=st.integers(0, 10**7),
        weights=st.lists(st.integers(0, 50), min_size=1, max_size=8).filter(any),
    )
    def test_always_adds_up(self, total: int, weights: list[int]) -> None:
        """M2: whatever the weights, the shares add up to the total and differ from the exact
        proportion by less than one won."""
        shares = cf.allocate(total, weights)

        assert total == sum(shares)
        assert all(
            abs(s * sum(weights) - total * w) < sum(weights)
            for s, w in zip(shares, weights, strict=True)
        )


class TestCancelM3:
    def test_toss_cancel_at_paid(self) -> None:
        """M3 (T1): 24,000 - 3,000 discounts - 500 points + 3,000 delivery = 23,500 won back,
        and the 500 points as points."""
        d = cf.check(line("toss"), "cancel.request", BUYER, **REASON)

        assert ((EK.REFUND, 23_500), (EK.REFUND_POINTS, 500)) == amounts(d)
        assert d.quote is not None
        assert (cf.MoneyRule.CANCEL, 24_000, 3_000, 500, 3_000, 0, 23_500, True) == (
            d.quote.rule,
            d.quote.item_amount,
            d.quote.discounts,
            d.quote.points,
            d.quote.delivery_fee_refunded,
            d.quote.return_shipping,
            d.quote.refund,
            d.quote.adds_up,
        )

    def test_jeju_extra_is_refunded(self) -> None:
        """M3: a Jeju extra of 3,000 on a 3,000 delivery is refunded too: 24,000 + 6,000."""
        money = cf.LineMoney(
            delivery_fee=3_000, delivery_fee_kind="PAID", regional_fee=3_000, region="JEJU"
        )

        d = cf.check(line("toss", money), "cancel.request", BUYER, **REASON)

        assert ((EK.REFUND, 30_000),) == amounts(d)

    def test_cash_on_delivery_fee_is_not_refunded(self) -> None:
        """M3: a delivery paid at the door (착불) was never paid to the shop: 24,000 back."""
        money = cf.LineMoney(delivery_fee=3_000, delivery_fee_kind="CASH_ON_DELIVERY")

        d = cf.check(line("toss", money), "cancel.request", BUYER, **REASON)

        assert ((EK.REFUND, 24_000),) == amounts(d)

    def test_imweb_approve_then_retry_refunds_the_same(self) -> None:
        """M3, M6 (I3, I4): approve with a 1,000 extra charge quotes 22,500; the retry after a
        failed refund quotes the same 22,500, the extra charge remembered."""
        op = go(line("imweb"), ("cancel.request", BUYER, {"reason_code": "INTENT_CHANGED"}))

        approve = cf.check(op, "cancel.approve", SELLER, extra_charge=1_000)
        failed = go(
            op,
            ("cancel.approve", SELLER, {"extra_charge": 1_000}),
            ("cancel.refund_failed", SYSTEM, {}),
        )
        retry = cf.check(failed, "cancel.retry_refund", SELLER)

        assert ((EK.REFUND, 22_500), (EK.REFUND_POINTS, 500)) == amounts(approve)
        assert approve.quote == retry.quote
        assert amounts(approve)[:1] == amounts(retry)[:1]


class TestReturnM4:
    def test_buyer_bears_one_way_after_paid_delivery(self) -> None:
        """M4: the buyer bears the return (USER) and paid the delivery: 24,000 - 3,000 - 500 -
        3,000 one-way = 17,500 won; the initial delivery is not refunded."""
        op = collected("toss", {**REASON, "fee_payer": "USER"})

        d = cf.check(op, "return.complete", SELLER)

        assert ((EK.REFUND, 17_500), (EK.REFUND_POINTS, 500)) == amounts(d)
        assert d.quote is not None
        assert (0, 3_000, "BUYER_ONE_WAY") == (
            d.quote.delivery_fee_refunded,
            d.quote.return_shipping,
            d.quote.return_shipping_reason,
        )

    def test_buyer_bears_round_trip_after_free_delivery(self) -> None:
        """M4: the buyer bears the return and delivery was free: 24,000 - 6,000 round trip."""
        money = cf.LineMoney(return_one_way_fee=3_000, round_trip_fee=6_000)

        d = cf.check(
            collected("toss", {**REASON, "fee_payer": "USER"}, money), "return.complete", SELLER
        )

        assert ((EK.REFUND, 18_000),) == amounts(d)
        assert d.quote is not None
        assert "BUYER_ROUND_TRIP" == d.quote.return_shipping_reason
        assert "왕복" in d.quote.shipping_reason_ko

    def test_seller_bears_nothing_deducted(self) -> None:
        """M4: the seller bears the return (MERCHANT): 24,000 - 3,000 - 500 = 20,500 won."""
        op = collected("toss", {**REASON, "fee_payer": "MERCHANT"})

        d = cf.check(op, "return.complete", SELLER)

        assert ((EK.REFUND, 20_500), (EK.REFUND_POINTS, 500)) == amounts(d)

    def test_payer_unknown_nothing_deducted(self) -> None:
        """M4: who bears it unknown: nothing deducted, and the quote says why."""
        d = cf.check(collected("toss", REASON), "return.complete", SELLER)

        assert d.quote is not None
        assert (20_500, "PAYER_UNKNOWN") == (d.quote.refund, d.quote.return_shipping_reason)

    @pytest.mark.parametrize(
        ("code", "refund"),
        [
            pytest.param("INTENT_CHANGED", 17_500, id="buyer-fault"),
            pytest.param("BROKEN", 20_500, id="seller-fault"),
        ],
    )
    def test_imweb_reason_code_decides(self, code: str, refund: int) -> None:
        """M4 (I13): imweb's buyer-fault reason codes make the buyer bear the one-way fee
        (17,500); a seller-fault code deducts nothing (20,500)."""
        op = collected("imweb", {"reason_code": code})

        d = cf.check(op, "return.complete", SELLER)

        assert ((EK.REFUND, refund), (EK.REFUND_POINTS, 500)) == amounts(d)

    def test_seller_cancel_after_shipment_is_quoted_as_a_return(self) -> None:
        """M4 (T5): a seller cancel of a delivered line with deliveryPenaltyCharger USER deducts
        the one-way fee (17,500); before shipment it is a cancel (M3, 23,500)."""
        after = cf.check(
            delivered("toss"), "cancel.by_seller", SELLER, fee_payer="USER", reason="품절"
        )
        before = cf.check(line("toss"), "cancel.by_seller", SELLER, fee_payer="USER", reason="품절")

        assert ((EK.REFUND, 17_500), (EK.REFUND_POINTS, 500)) == amounts(after)
        assert ((EK.REFUND, 23_500), (EK.REFUND_POINTS, 500)) == amounts(before)


class TestExchangeM5:
    def test_buyer_bears_round_trip_charge(self) -> None:
        """M5 (T15): an exchange the buyer bears is charged the 6,000 round trip, no refund."""
        op = go(delivered("toss"), ("exchange.request", BUYER, {**REASON, "fee_payer": "USER"}))

        d = cf.check(op, "exchange.approve", SELLER)

        assert ((EK.CHARGE_EXTRA, 6_000),) == amounts(d)
        assert d.quote is not None
        assert (0, 6_000, True) == (d.quote.refund, d.quote.extra_payment, d.quote.adds_up)

    def test_seller_bears_no_charge(self) -> None:
        """M5: an exchange the seller bears charges nothing."""
        op = go(delivered("toss"), ("exchange.request", BUYER, {**REASON, "fee_payer": "MERCHANT"}))

        assert () == amounts(cf.check(op, "exchange.approve", SELLER))


class TestExtraChargesM6:
    def test_deductions_beyond_the_refund_become_an_extra_charge(self) -> None:
        """M6: 1 x 1,000 won returned with a 3,000 extra charge: refund 0 is never negative;
        the 2,000 left unpaid is a CHARGE_EXTRA."""
        money = cf.LineMoney()
        op = go(
            line("imweb", money, unit_price=1_000, quantity=1),
            ("order.ship", SELLER, DELIVERY),
            ("order.deliver", SYSTEM, {}),
            ("return.request", BUYER, {"reason_code": "BROKEN"}),
            ("return.approve", SELLER, {}),
            ("return.collect", SELLER, {}),
        )

        d = cf.check(op, "return.complete", SELLER, extra_charge=3_000)

        assert ((EK.CHARGE_EXTRA, 2_000),) == amounts(d)
        assert d.quote is not None
        assert (0, 2_000, -2_000, True) == (
            d.quote.refund,
            d.quote.extra_payment,
            d.quote.net,
            d.quote.adds_up,
        )


class TestMarketplaceFigureM7:
    def test_stated_refund_wins_and_the_difference_is_said(self) -> None:
        """M7 (X1): x2bee's cost calculation says 20,000; claimflow quotes 23,500: 20,000 is
        refunded and the -3,500 difference is on the quote and in a reason."""
        d = cf.check(line("x2bee"), "cancel.request", BUYER, refund_amount=20_000, **REASON)

        assert d.quote is not None
        assert (20_000, 23_500, -3_500, "refund_amount") == (
            d.quote.refund,
            d.quote.computed_refund,
            d.quote.difference,
            d.quote.stated_by,
        )
        assert (EK.REFUND, 20_000) == amounts(d)[0]
        assert ("MARKETPLACE_FIGURE_DIFFERS", "M7") == (d.reasons[1].code, d.reasons[1].rule_id)

    def test_same_figure_no_reason(self) -> None:
        """M7: a stated figure equal to the quote is not reported as a difference."""
        d = cf.check(line("x2bee"), "cancel.request", BUYER, refund_amount=23_500, **REASON)

        assert ("ALLOWED",) == d.codes
        assert d.quote is not None
        assert 0 == d.quote.difference

    def test_toss_claim_delivery_payment_amount_wins(self) -> None:
        """M7 (T11): Toss states 5,000 as the claim's delivery payment (claimDeliveryPaymentAmount,
        on the claim item the adapter read); claimflow's one-way fee is 3,000: 15,500 is refunded
        instead of 17,500, and the -2,000 difference is said."""
        claim = cf.Claim(
            "CLM-1",
            "RETURN",
            "COLLECTED",
            "DELIVERED",
            delivery=cf.ClaimDelivery("USER", payment_amount=5_000),
        )
        op = attrs.evolve(line("toss"), status="RETURN_COLLECTED", open_claim=claim)

        d = cf.check(op, "return.complete", SELLER)

        assert d.quote is not None
        assert (15_500, 17_500, -2_000, "claimDeliveryPaymentAmount") == (
            d.quote.refund,
            d.quote.computed_refund,
            d.quote.difference,
            d.quote.stated_by,
        )
        assert "MARKETPLACE_FIGURE_DIFFERS" in d.codes

    def test_event_carries_the_quote(self) -> None:
        """M7: the history event's REFUND effect carries the quote with its difference."""
        applied = cf.apply(line("x2bee"), "cancel.request", BUYER, refund_amount=20_000, **REASON)

        refund = applied.event.effects[0]
        assert refund.quote is not None
        assert (-3_500, applied.decision.quote) == (refund.quote.difference, refund.quote)


class TestInvariantsM8:
    def test_stated_refund_over_paid_is_refused(self) -> None:
        """M8: a refund beyond the 23,500 paid is refused, naming refund_amount and M8."""
        d = cf.check(line("x2bee"), "cancel.request", BUYER, refund_amount=23_501, **REASON)

        assert (False, "INVALID_PARAMETER", "refund_amount", "M8") == (
            d.allowed,
            d.reasons[0].code,
            d.reasons[0].field,
            d.reasons[0].rule_id,
        )

    def test_points_over_used_are_refused(self) -> None:
        """M8: refunding 501 points when 500 were used is refused, naming refund_points."""
        op = go(line("imweb"), ("cancel.request", BUYER, {"reason_code": "INTENT_CHANGED"}))

        d = cf.check(op, "cancel.approve", SELLER, refund_points=501)

        assert (False, "refund_points", "M8") == (
            d.allowed,
            d.reasons[0].field,
            d.reasons[0].rule_id,
        )


class TestRestoreEffects:
    def test_x1_says_what_to_restore(self) -> None:
        """X1: RESTORE_COUPONS names the coupons, RESTORE_STOCK the item and its 2 units."""
        d = cf.check(line("x2bee"), "cancel.request", BUYER, **REASON)

        assert cf.Restore(coupon_ids=("CPN-1",)) == d.effect(EK.RESTORE_COUPONS).restore  # type: ignore[union-attr]
        assert (
            cf.Restore(item_id="ITEM-A", quantity=2)
            == d.effect(  # type: ignore[union-attr]
                EK.RESTORE_STOCK
            ).restore
        )


class TestQuotePreview:
    def test_quote_is_the_decisions(self) -> None:
        """quote() previews exactly the quote check gives, without acting."""
        op = line("toss")

        assert cf.check(op, "cancel.request", BUYER, **REASON).quote == cf.quote(
            op, "cancel.request", BUYER, **REASON
        )

    def test_no_money_no_quote(self) -> None:
        """An action that moves no money has no quote."""
        assert None is cf.quote(line("toss"), "order.prepare", SELLER)

    def test_refused_raises_with_the_decision(self) -> None:
        """A refused action has no quote: ActionRefusedError carries the reasons."""
        with pytest.raises(cf.ActionRefusedError) as e:
            cf.quote(delivered("toss"), "cancel.request", BUYER, **REASON)

        assert "WRONG_STATUS" == e.value.decision.reasons[0].code


class TestMoneyRulesData:
    def test_money_rules_are_m1_to_m8(self) -> None:
        """money_rules() lists M1-M8 in order, each with Korean and English text."""
        rows = cf.money_rules()

        assert [f"M{i}" for i in range(1, 9)] == [r.id for r in rows]
        assert all(r.summary_ko and r.summary_en for r in rows)

    def test_actions_match_the_engine(self) -> None:
        """The actions listed under M3-M5 are those whose quote follows that rule."""
        op = line("toss")
        by_id = {r.id: r.actions for r in cf.money_rules()}

        d = cf.check(op, "cancel.request", BUYER, **REASON)

        assert d.quote is not None
        assert A.CANCEL_REQUEST in by_id[d.quote.rule.value]

    @pytest.mark.parametrize(
        ("mp", "word"),
        [
            ("toss", "requestDeliveryPenaltyCharger"),
            ("imweb", "INTENT_CHANGED"),
            ("x2bee", "claimCalculateCostFO"),
        ],
    )
    def test_who_pays_return_shipping_in_korean(self, mp: str, word: str) -> None:
        """return_shipping_ko says, per marketplace, what decides who pays the return."""
        text = cf.return_shipping_ko(mp)

        assert word in text
        assert "부담" in text

    def test_rule_info_says_penalty_points(self) -> None:
        """RuleInfo carries T5's 3 penalty points, and 0 elsewhere."""
        penalties = {(r.id, r.penalty_points) for r in cf.rules("toss") if r.penalty_points}

        assert {("T5", 3)} == penalties


class TestPublicNames:
    def test_money_names_exported(self) -> None:
        """The money values and functions are public claimflow names."""
        expected = {
            "ClaimDelivery",
            "DeliveryFeeKind",
            "DeliveryRegion",
            "LineMoney",
            "MoneyRule",
            "Quote",
            "Restore",
            "allocate",
            "quote",
        }

        assert expected <= set(cf.__all__)


# --- properties: M8 over random sequences -----------------------------------------------------


@st.composite
def money_lines(draw: st.DrawFn, mp: cf.Marketplace) -> cf.OrderProduct:
    """A fresh line at PAID with random price, quantity, discounts, points and fees."""
    unit_price = draw(st.sampled_from((0, 990, 12_000, 39_900)), label="unit_price")
    quantity = draw(st.integers(1, 4), label="quantity")
    price = unit_price * quantity
    coupon = draw(st.integers(0, price), label="coupon")
    market = draw(st.integers(0, price - coupon), label="market")
    kind = draw(st.sampled_from(list(cf.DeliveryFeeKind)), label="fee kind")
    fee = 0 if kind is cf.DeliveryFeeKind.FREE else draw(st.integers(0, 5_000), label="fee")
    region = draw(st.sampled_from(list(cf.DeliveryRegion)), label="region")
    regional = 0 if region is cf.DeliveryRegion.NORMAL else draw(st.integers(0, 5_000))
    money = cf.LineMoney(
        coupon_discount=coupon,
        marketplace_discount=market,
        delivery_fee=fee,
        delivery_fee_kind=kind,
        regional_fee=regional,
        region=region,
        return_one_way_fee=draw(st.integers(0, 4_000), label="one way"),
        round_trip_fee=draw(st.integers(0, 8_000), label="round trip"),
        coupon_ids=draw(st.sampled_from(((), ("CPN-1",))), label="coupons"),
    )
    payable = price - coupon - market + money.delivery_paid
    money = cf.LineMoney(**{**_fields(money), "points_used": draw(st.integers(0, payable))})
    return cf.OrderProduct(
        "OP-1",
        mp,
        "PAID",
        "ITEM-A",
        unit_price,
        quantity=quantity,
        money=money,
        auto_refundable=draw(st.booleans(), label="auto refund"),
        payment_channel=draw(st.sampled_from(list(cf.PaymentChannel)), label="channel"),
        partial_claims=draw(st.booleans(), label="partial claims"),
    )


def _fields(money: cf.LineMoney) -> dict[str, Any]:
    return attrs.asdict(money, recurse=False)


REFUND_FAILURES = {A.CANCEL_REFUND_FAILED, A.RETURN_REFUND_FAILED}


@pytest.mark.parametrize("mp", list(cf.Marketplace), ids=str)
class TestMoneyProperties:
    @given(data=st.data())
    def test_m8_over_random_sequences(
        self, mp: cf.Marketplace, data: st.DataObject, action_params: Any
    ) -> None:
        """M8 and M2 over random allowed moves with random money and partial quantities: every
        quote adds up; per line money refunded <= paid and points refunded <= points used, each
        line (so each unit) refunded at most once; the lines' units add up to what was ordered
        and their paid amounts to the line's."""
        first = data.draw(money_lines(mp), label="line")
        lines = {first.id: first}
        paid = {first.id: first.paid}
        refunds: dict[str, list[int]] = {first.id: []}
        points: dict[str, int] = {first.id: 0}
        for _ in range(data.draw(st.integers(1, 15), label="length")):
            op = lines[data.draw(st.sampled_from(sorted(lines)), label="line id")]
            moves = [(a, actor) for actor in cf.Actor for a in cf.allowed_actions(op, actor)]
            if not moves:
                continue
            action, actor = data.draw(st.sampled_from(moves), label="move")
            params = data.draw(action_params.valid(op, action), label="params")
            try:
                applied = cf.apply(op, action, actor, at=AT, **params)
            except cf.ActionRefusedError:
                continue
            note(f"{op.id} {action} {actor} {params}")
            q = applied.decision.quote
            assert q is None or q.adds_up, q
            lines[applied.order_product.id] = applied.order_product
            target = applied.order_product.id
            if applied.split_off is not None:
                part = applied.split_off.order_product
                lines[part.id] = part
                paid[part.id], refunds[part.id], points[part.id] = part.paid, [], 0
                paid[op.id] = applied.order_product.paid
                target = part.id
            for e in applied.effects:
                if e.kind is EK.REFUND:
                    assert e.amount is not None
                    refunds[target].append(e.amount)
                elif e.kind is EK.REFUND_POINTS:
                    assert e.amount is not None
                    points[target] += e.amount
            if action in REFUND_FAILURES:
                refunds[target].pop()  # the gateway paid nothing out
        assert first.quantity == sum(o.quantity for o in lines.values())
        assert first.paid == sum(paid.values())
        for line_id, got in refunds.items():
            assert len(got) <= 1, (line_id, got)
            assert sum(got) <= paid[line_id], (line_id, got, paid[line_id])
        assert first.money is not None
        assert sum(points.values()) <= first.money.points_used
