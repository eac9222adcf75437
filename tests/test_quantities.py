"""Quantities (rules.md Q1-Q3): claiming part of a line.

On x2bee, when the order allows a partial claim (``sctnCnclPsbYn``), the claimed units become their
own line; Toss (Q3) and imweb (Q2) take whole lines and refuse a partial quantity naming the rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

import claimflow as cf

S, CS, CT, EK = cf.Status, cf.ClaimStatus, cf.ClaimType, cf.EffectKind
BUYER, SELLER, SYSTEM = "BUYER", "SELLER", "SYSTEM"
AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
DELIVERY = {"carrier": "CJ대한통운", "tracking_number": "6012-3456-7890"}
REASON = {"reason": "단순 변심"}


def line(mp: str = "x2bee", *, partial: bool = True, **fields: Any) -> cf.OrderProduct:
    """A fresh line at PAID: 3 x 10,000 won, a 1,000 won coupon."""
    values: dict[str, Any] = {
        "unit_price": 10_000,
        "quantity": 3,
        "partial_claims": partial,
        "money": cf.LineMoney(coupon_discount=1_000, coupon_ids=("CPN-9",)),
    }
    return cf.OrderProduct("OP-1", mp, "PAID", "ITEM-A", **(values | fields))


def delivered(mp: str = "x2bee", **fields: Any) -> cf.OrderProduct:
    """The line shipped and delivered."""
    op = line(mp, **fields)
    for action, actor, params in (("order.ship", SELLER, DELIVERY), ("order.deliver", SYSTEM, {})):
        op = cf.apply(op, action, actor, at=AT, **params).order_product
    return op


class TestSplit:
    def test_claimed_units_become_their_own_line(self) -> None:
        """Q1: a return of 1 of 3 units splits the line: the rest keeps 2 units, its status and
        no claim, one version on; the new line has 1 unit, the open return and version 1."""
        op = delivered()

        applied = cf.apply(op, "return.request", BUYER, quantity=1, at=AT, **REASON)
        rest = applied.order_product
        assert applied.split_off is not None
        part = applied.split_off.order_product

        assert ("OP-1", 2, S.DELIVERED, None, op.version + 1) == (
            rest.id,
            rest.quantity,
            rest.status,
            rest.open_claim,
            rest.version,
        )
        assert part.open_claim is not None
        assert (f"OP-1#{rest.version}", 1, S.DELIVERED, CT.RETURN, 1) == (
            part.id,
            part.quantity,
            part.status,
            part.open_claim.type,
            part.version,
        )
        assert (rest, part) == applied.lines

    def test_history_records_the_split(self) -> None:
        """Q1: the rest's event is rule Q1 naming the new line; the new line's event is the
        request's rule naming the line it came from."""
        applied = cf.apply(delivered(), "return.request", BUYER, quantity=1, at=AT, **REASON)
        assert applied.split_off is not None
        part = applied.split_off

        assert ("Q1", part.order_product.id, (), None) == (
            applied.event.rule_id,
            applied.event.split_with,
            applied.event.effects,
            applied.event.claim_id,
        )
        assert ("X3.T6", "OP-1", part.order_product.id, CT.RETURN) == (
            part.event.rule_id,
            part.event.split_with,
            part.event.order_product_id,
            part.event.claim_type,
        )

    def test_money_is_shared_by_largest_remainder(self) -> None:
        """M2 with Q1: the 1,000 won coupon over 1 and 2 units is 333.3 and 666.7: the larger
        remainder takes the won left, so 333 and 667; the coupon's id stays with the rest."""
        applied = cf.apply(delivered(), "return.request", BUYER, quantity=1, at=AT, **REASON)
        assert applied.split_off is not None
        part, rest = applied.split_off.order_product, applied.order_product

        assert part.money is not None and rest.money is not None
        assert (333, 667, (), ("CPN-9",)) == (
            part.money.coupon_discount,
            rest.money.coupon_discount,
            part.money.coupon_ids,
            rest.money.coupon_ids,
        )
        assert 29_000 == part.paid + rest.paid

    def test_partial_cancel_refunds_the_units(self) -> None:
        """Q1 with X1 and M3: cancelling 2 of 3 units refunds 20,000 - 667 = 19,333 won and
        restores 2 units of stock; the rest (1 unit) stays PAID."""
        applied = cf.apply(line(), "cancel.request", BUYER, quantity=2, at=AT, **REASON)
        assert applied.split_off is not None
        part = applied.split_off.order_product

        assert cf.Effect(EK.REFUND, amount=19_333) == applied.decision.effect(EK.REFUND)
        restore = applied.decision.effect(EK.RESTORE_STOCK)
        assert restore is not None
        assert cf.Restore(item_id="ITEM-A", quantity=2) == restore.restore
        assert (S.CANCELED, S.PAID, 1) == (
            part.status,
            applied.order_product.status,
            applied.order_product.quantity,
        )

    def test_rest_can_be_claimed_later(self) -> None:
        """Q1: the rest may be claimed later, whole (no further split)."""
        first = cf.apply(delivered(), "return.request", BUYER, quantity=1, at=AT, **REASON)

        second = cf.apply(first.order_product, "return.request", BUYER, quantity=2, at=AT, **REASON)

        assert None is second.split_off
        assert second.order_product.open_claim is not None

    def test_whole_quantity_does_not_split(self) -> None:
        """Q1: naming every unit is a claim on the whole line: no split."""
        applied = cf.apply(delivered(), "return.request", BUYER, quantity=3, at=AT, **REASON)

        assert (None, 3) == (applied.split_off, applied.order_product.quantity)

    def test_split_id_is_deterministic(self) -> None:
        """Q1: the same history gives the same new line id."""
        a = cf.apply(delivered(), "return.request", BUYER, quantity=1, at=AT, **REASON)
        b = cf.apply(delivered(), "return.request", BUYER, quantity=1, at=AT, **REASON)

        assert a.split_off is not None and b.split_off is not None
        assert a.split_off.order_product.id == b.split_off.order_product.id


class TestRefused:
    @pytest.mark.parametrize(
        ("mp", "action", "params", "rule_id"),
        [
            pytest.param("toss", "return.request", REASON, "Q3", id="Q3-toss"),
            pytest.param("imweb", "return.request", {"reason_code": "BROKEN"}, "Q2", id="Q2-imweb"),
        ],
    )
    def test_whole_line_marketplaces_refuse_part(
        self, mp: str, action: str, params: dict[str, Any], rule_id: str
    ) -> None:
        """Q2/Q3: imweb and Toss refuse a partial quantity with a reason naming the rule."""
        op = delivered(mp)

        d = cf.check(op, action, BUYER, quantity=1, **params)

        assert (False, "PARTIAL_QUANTITY", rule_id, "quantity") == (
            d.allowed,
            d.reasons[0].code,
            d.reasons[0].rule_id,
            d.reasons[0].field,
        )
        assert rule_id in d.reasons[0].message_ko

    def test_x2bee_order_without_partial_claims(self) -> None:
        """Q1: an x2bee order that does not allow partial claims refuses one, naming Q1."""
        d = cf.check(delivered(partial=False), "return.request", BUYER, quantity=1, **REASON)

        assert ("PARTIAL_QUANTITY", "Q1") == (d.reasons[0].code, d.reasons[0].rule_id)

    @pytest.mark.parametrize("quantity", [0, 4, -1, 1.0, "1"])
    def test_bad_quantity(self, quantity: object) -> None:
        """A quantity that is not 1..the line's units is an invalid parameter."""
        d = cf.check(delivered(), "return.request", BUYER, quantity=quantity, **REASON)

        assert ("INVALID_PARAMETER", "quantity") == (d.reasons[0].code, d.reasons[0].field)

    def test_refused_split_changes_nothing(self) -> None:
        """A refused partial claim raises and leaves the line as it was."""
        op = delivered("toss")

        with pytest.raises(cf.ActionRefusedError):
            cf.apply(op, "return.request", BUYER, quantity=1, **REASON)

        assert (3, None, 2) == (op.quantity, op.open_claim, op.version)


class TestConservation:
    @given(data=st.data())
    def test_units_are_conserved(self, data: st.DataObject, action_params: Any) -> None:
        """Q1: over random moves with random partial quantities on x2bee, the lines' units
        always add up to what was ordered, ids are unique, and each line has at least 1 unit."""
        quantity = data.draw(st.integers(1, 6), label="quantity")
        first = line(quantity=quantity)
        lines = {first.id: first}
        for _ in range(data.draw(st.integers(1, 12), label="length")):
            op = lines[data.draw(st.sampled_from(sorted(lines)), label="line")]
            moves = [(a, actor) for actor in cf.Actor for a in cf.allowed_actions(op, actor)]
            if not moves:
                continue
            action, actor = data.draw(st.sampled_from(moves), label="move")
            params = data.draw(action_params.valid(op, action), label="params")
            applied = cf.apply(op, action, actor, at=AT, **params)
            note(f"{op.id} {action} {params}")
            for new in applied.lines:
                assert new.id not in lines or new.id == op.id
                lines[new.id] = new

        assert quantity == sum(o.quantity for o in lines.values())
        assert all(o.quantity >= 1 for o in lines.values())
