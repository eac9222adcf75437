"""What is x2bee's own, against the x2bee emulator over real HTTP on 127.0.0.1 (and
``httpx.MockTransport`` for answers it never gives). What every adapter does is in
``test_contract.py`` (``TestX2beeContract``).

X1 (cancel with the cost calculation feeding the decision), X2 (option change to a candidate,
refused by the engine before sending and by the emulator), the X3 actions x2bee documents a call
for, NotSupportedError for the others, request shapes against the documented paths and the
(inferred) bodies, HTTP 900 refusals with field errors, token providers, no list API, the order
number every call needs, a dropped cancel, the async cost calculation and option change, and
x2bee's malformed answers.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import claimflow as cf
from claimflow.adapters import (
    OrderQuery,
    OrderRef,
    ReconcileOutcome,
    RemoteAction,
    RemoteOrderProduct,
    adopt,
    apply_remote,
    apply_remote_async,
    consistent,
    reconcile,
    toss,
    x2bee,
)
from claimflow.adapters.x2bee import (
    CLAIM_STATUS_CODES,
    ORDER_STATUS_CODES,
    PICKUP_STEPS,
    ROUTES,
    UNSUPPORTED,
    Hosts,
    X2beeAsyncClient,
    X2beeClient,
    claim_status_code,
    make_async_client,
    make_client,
    order_status_code,
)
from claimflow.emulators import Fault, RunningServer
from claimflow.emulators import x2bee as x2bee_emulator
from claimflow.emulators.x2bee import X2beeEmulator, make_app

from .kits import FAST, X2BEE, X2BEE_TOKEN, Setup

KIT = X2BEE
TOKEN = X2BEE_TOKEN
start, requested, writes, api_requests = (
    X2BEE.start,
    X2BEE.requested,
    X2BEE.writes,
    X2BEE.api_requests,
)
make_sync, urls = X2BEE.make_sync, X2BEE.urls

# The documented paths (marketplaces.md §3, seeds/002_…), written out independently of the
# adapter's tables, under the emulator's stand-ins for the three hosts.
O, B, G = "/api/order", "/api/bo", "/api/goods"
CANCEL_POPUP = O + "/v1/claim/orderCancel/cancelPopupFO"
CALCULATE_COST = O + "/v1/claim/common/claimCalculateCostFO"
CANCEL = O + "/v1/claim/orderCancel/cancelFO"
CLAIM_DETAILS = O + "/v1/claim/common/claimDetailsInfoFO"
OPTION_CHANGE = O + "/v1/claim/orderChange/ordChangeFO"
OTHER_ITEMS = G + "/v1/detail/otherItms"
WITHDRAW_STATUS = O + "/v1/delivery/withdrawProcess/saveWithdrawStatUpdateProcess"
REFUND_BUNDLE = O + "/v1/payment/saveRefundBundleApproMgmt"

#: 주문내역상태 (OM005, current, target) of each pickup step: 36 회수완료 is documented (§5.3),
#: 33 접수 and 35 회수지시 are [inferred]
PICKUP = {
    "return.approve": ("33", "35"),
    "return.collect": ("35", "36"),
    "exchange.approve": ("33", "35"),
    "exchange.collect": ("35", "36"),
}
REASON = "단순 변심"


def sent(emulator: X2beeEmulator) -> tuple[str, object]:
    """The path and body of the last write the emulator received."""
    last = writes(emulator)[-1]
    return last.path, last.json


def line(s: Setup, **more: object) -> dict[str, object]:
    """``{ordNo, ordSeq, ...}`` of *s*'s order product."""
    return {"ordNo": s.ref.order_id, "ordSeq": s.op.id, **more}


def claim_no(s: Setup) -> str:
    """The x2bee claim number of *s*'s open claim."""
    assert s.op.open_claim is not None
    return s.op.open_claim.id


def pickup_body(s: Setup, action: str) -> dict[str, object]:
    """The documented (and inferred) body of a pickup step."""
    current, target = PICKUP[action]
    return {
        "ordDtlStatCd": current,
        "updateTargetOrdDtlStatCd": target,
        "withdrawStatUpdateSaveInfoList": [line(s, claimNo=claim_no(s))],
    }


def step(adapter: X2beeClient, s: Setup, action: str, actor: str = "SELLER") -> Setup:
    """*s* after *action*, carried out remotely and committed locally."""
    return Setup(apply_remote(adapter, s.op, action, actor, ref=s.ref).order_product, s.ref)


def shape(op: cf.OrderProduct) -> tuple[object, ...]:
    """What the two sides must agree on: status, item, open claim, closed claim types/states."""
    oc = op.open_claim
    return (
        op.status,
        op.item_id,
        None if oc is None else (oc.id, oc.type, oc.status),
        tuple((c.type, c.status) for c in op.closed_claims),
    )


class TestCancel:
    def test_refund_from_cost_calculation_end_to_end(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """The cost calculation's refund fills the preview and the cancel; cancelFO refunds it,
        restores coupons and stock, notifies; the claim details read it back."""
        s = start(emulator, "PAID", lost_benefit=3_000)

        cost = adapter.calculate_cost(s.ref)
        preview = cf.check(s.op, "cancel.request", "BUYER", reason=REASON, **cost.params)
        done = apply_remote(
            adapter, s.op, "cancel.request", "BUYER", ref=s.ref, reason=REASON, **cost.params
        )

        assert (9_000, 0) == (cost.refund_amount, cost.extra_payment)
        assert cf.Effect(cf.EffectKind.REFUND, amount=9_000) == preview.effect(cf.EffectKind.REFUND)
        assert preview.effects == done.decision.effects
        assert [
            (CALCULATE_COST, line(s, claimBusinessType="10")),
            (CANCEL, line(s, claimRsnCont=REASON, rfdAmt=9_000, addPayAmt=0)),
            (CLAIM_DETAILS, line(s)),  # cancelFO names no claim: read back for its claimNo
        ] == [(r.path, r.json) for r in api_requests(emulator)]
        assert (cf.Status.CANCELED, cf.ClaimType.CANCEL, cf.ClaimStatus.COMPLETED) == (
            done.order_product.status,
            done.order_product.closed_claims[-1].type,
            done.order_product.closed_claims[-1].status,
        )
        assert [9_000] == emulator.store.refunds(s.op.id)
        for kind in (
            cf.EffectKind.RESTORE_COUPONS,
            cf.EffectKind.RESTORE_STOCK,
            cf.EffectKind.NOTIFY_BUYER,
        ):
            assert [None] == emulator.effects(s.op.id, kind)
        remote = adapter.read(s.ref)
        assert ("19", cf.Status.CANCELED) == (remote.wire_status, remote.status)
        assert [(cf.ClaimType.CANCEL, cf.ClaimStatus.COMPLETED, False)] == [
            (c.type, c.status, c.is_open) for c in remote.claims
        ]
        assert (CLAIM_DETAILS, line(s)) == (
            api_requests(emulator)[-1].path,
            api_requests(emulator)[-1].json,
        )

    def test_extra_payment_instead_of_refund(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """When cancelling loses more benefit than the line cost, the decision and the cancel
        charge the buyer the difference instead of refunding."""
        s = start(emulator, "PREPARING", unit_price=10_000, lost_benefit=13_000)

        cost = adapter.calculate_cost(s.ref)
        preview = cf.check(s.op, "cancel.request", "BUYER", reason=REASON, **cost.params)
        apply_remote(
            adapter, s.op, "cancel.request", "BUYER", ref=s.ref, reason=REASON, **cost.params
        )

        assert (0, 3_000) == (cost.refund_amount, cost.extra_payment)
        assert preview.effect(cf.EffectKind.REFUND) is None
        assert cf.Effect(cf.EffectKind.CHARGE_EXTRA, amount=3_000) == preview.effect(
            cf.EffectKind.CHARGE_EXTRA
        )
        assert ([], [3_000]) == (
            emulator.store.refunds(s.op.id),
            emulator.effects(s.op.id, cf.EffectKind.CHARGE_EXTRA),
        )
        assert line(s, claimRsnCont=REASON, rfdAmt=0, addPayAmt=3_000) == sent(emulator)[1]

    def test_cancel_targets(self, emulator: X2beeEmulator, adapter: X2beeClient) -> None:
        """cancelPopupFO lists the lines of the order that may still be cancelled."""
        paid = start(emulator, "PAID", order_id="O-POPUP")
        start(emulator, "SHIPPING", order_id="O-POPUP")

        targets = adapter.cancel_targets("O-POPUP")

        assert ("O-POPUP", True, (paid.op.id,)) == (
            targets.order_id,
            targets.partial_cancel_allowed,
            targets.order_product_ids,
        )
        assert ("10", "단순 변심") == targets.reasons[0]
        assert [(CANCEL_POPUP, {"ordNo": "O-POPUP"})] == [
            (r.path, r.json) for r in api_requests(emulator)
        ]

    def test_cancel_needs_the_cost_calculation(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """cancelFO without the cost rows claimCalculateCostFO writes is refused with HTTP 900;
        nothing changes on either side."""
        s = start(emulator, "PAID")

        with pytest.raises(cf.MarketplaceRefusedError) as e:
            apply_remote(adapter, s.op, "cancel.request", "BUYER", ref=s.ref, reason=REASON)

        assert ("COST_NOT_CALCULATED", "x2bee", cf.Action.CANCEL_REQUEST) == (
            e.value.code,
            e.value.marketplace,
            e.value.action,
        )
        assert "HTTP 900" in str(e.value)
        assert cf.Status.PAID == emulator.store.get(s.op.id).op.status

    def test_amounts_other_than_calculated_name_the_fields(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """A refund other than the calculated one is refused; the 900 envelope's field errors
        name rfdAmt; the local order product is as it was."""
        s = start(emulator, "PAID", lost_benefit=2_000)
        adapter.calculate_cost(s.ref)

        with pytest.raises(cf.MarketplaceRefusedError) as e:
            apply_remote(
                adapter, s.op, "cancel.request", "BUYER", ref=s.ref, reason=REASON,
                refund_amount=s.op.amount, extra_payment=0,
            )  # fmt: skip

        assert "COST_MISMATCH" == e.value.code
        assert "[rfdAmt: 계산된 금액은 10000원입니다]" in e.value.message
        assert ([], cf.Status.PAID) == (emulator.store.refunds(s.op.id), s.op.status)

    def test_cost_changed_since_calculation(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """A benefit lost after the calculation makes x2bee refuse the old amounts: calculate
        again, and the new amount goes through."""
        s = start(emulator, "PAID")
        old = adapter.calculate_cost(s.ref)
        emulator.set_lost_benefit(s.op.id, 5_000)

        with pytest.raises(cf.MarketplaceRefusedError) as e:
            apply_remote(
                adapter,
                s.op,
                "cancel.request",
                "BUYER",
                ref=s.ref,
                reason=REASON,
                **old.params,
            )
        new = adapter.calculate_cost(s.ref)
        apply_remote(
            adapter, s.op, "cancel.request", "BUYER", ref=s.ref, reason=REASON, **new.params
        )

        assert "COST_MISMATCH" == e.value.code
        assert [7_000] == emulator.store.refunds(s.op.id)

    def test_engine_refusal_sends_nothing(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """Once shipped, the engine refuses the cancel before anything reaches x2bee."""
        s = start(emulator, "SHIPPING")

        with pytest.raises(cf.ActionRefusedError) as e:
            apply_remote(adapter, s.op, "cancel.request", "BUYER", ref=s.ref, reason=REASON)

        assert ("WRONG_STATUS",) == e.value.decision.codes
        assert [] == api_requests(emulator)

    def test_reconcile_takes_over_the_claim_number(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """cancelFO answers with no content: apply_remote reads the claim back and records the
        cancel under x2bee's claimNo (store's _commit), so reconcile finds both sides agree."""
        s = start(emulator, "PAID")
        cost = adapter.calculate_cost(s.ref)
        done = apply_remote(
            adapter, s.op, "cancel.request", "BUYER", ref=s.ref, reason=REASON, **cost.params
        )

        synced = reconcile(adapter, done.order_product, ref=s.ref)

        remote_no = emulator.store.get(s.op.id).op.closed_claims[-1].id
        assert remote_no == done.order_product.closed_claims[-1].id
        assert ReconcileOutcome.IN_SYNC == synced.outcome
        assert [s.op.amount] == emulator.store.refunds(s.op.id)


_GOODS = itertools.count(1)


def with_catalog(emulator: X2beeEmulator, item_id: str) -> tuple[Setup, str]:
    """A 주문완료 line of new goods whose catalog has one valid candidate (ALT-OK) and one of
    each kind the guide forbids."""
    goods = f"G-OPT-{next(_GOODS)}"
    s = start(emulator, "PAID", goods_no=goods, item_id=item_id)
    price = s.op.unit_price
    emulator.add_item(goods, "ALT-OK", price, stock=3)
    emulator.add_item(goods, "ALT-STOPPED", price, on_sale=False)
    emulator.add_item(goods, "ALT-SOLD-OUT", price, stock=0)
    emulator.add_item(goods, "ALT-PRICIER", price + 3_000)
    return s, goods


def _candidate(candidates: tuple[cf.CandidateItem, ...], item_id: str) -> cf.CandidateItem:
    return next(c for c in candidates if c.item_id == item_id)


class TestOptionChange:
    def test_candidates_then_change(self, emulator: X2beeEmulator, adapter: X2beeClient) -> None:
        """otherItms gives CandidateItem values; ordChangeFO switches the line to a valid one on
        both sides, and the stock moves with it."""
        s, goods = with_catalog(emulator, "ITEM-OPT")

        candidates = adapter.option_candidates(goods, s.op.item_id)
        chosen = _candidate(candidates, "ALT-OK")
        done = apply_remote(adapter, s.op, "option.change", "BUYER", ref=s.ref, new_item=chosen)

        assert cf.CandidateItem("ALT-OK", s.op.unit_price, True, 3) == chosen
        assert {"ITEM-OPT", "ALT-OK", "ALT-STOPPED", "ALT-SOLD-OUT", "ALT-PRICIER"} == {
            c.item_id for c in candidates
        }
        assert [
            (OTHER_ITEMS, [{"goodsNo": goods, "itmNo": "ITEM-OPT"}]),
            (OPTION_CHANGE, line(s, chgItmNo="ALT-OK")),
            (CLAIM_DETAILS, line(s)),  # ordChangeFO names no claim: read back for its claimNo
        ] == [(r.path, r.json) for r in api_requests(emulator)]
        assert ("ALT-OK", cf.Status.PAID) == (
            done.order_product.item_id,
            done.order_product.status,
        )
        assert (cf.ClaimType.OPTION_CHANGE, cf.ClaimStatus.COMPLETED) == (
            done.order_product.closed_claims[-1].type,
            done.order_product.closed_claims[-1].status,
        )
        assert shape(done.order_product)[:3] == shape(emulator.store.get(s.op.id).op)[:3]
        assert {"ALT-OK": 2, "ITEM-OPT": 11} == {
            i.item_id: i.stock
            for i in emulator.catalog(goods)
            if i.item_id in {"ALT-OK", "ITEM-OPT"}
        }

    @pytest.mark.parametrize(
        ("item_id", "problem"),
        [
            ("ITEM-OPT2", "is the item already ordered"),
            ("ALT-STOPPED", "is not on sale"),
            ("ALT-SOLD-OUT", "has stock 0"),
            ("ALT-PRICIER", "costs 15000 won"),
        ],
    )
    def test_engine_refuses_each_kind_before_sending(
        self, emulator: X2beeEmulator, adapter: X2beeClient, item_id: str, problem: str
    ) -> None:
        """The same item, one not on sale, out of stock or at another price: refused by the
        engine naming new_item; only the candidates were read."""
        s, goods = with_catalog(emulator, "ITEM-OPT2")
        candidates = adapter.option_candidates(goods, s.op.item_id)

        with pytest.raises(cf.ActionRefusedError) as e:
            apply_remote(
                adapter,
                s.op,
                "option.change",
                "BUYER",
                ref=s.ref,
                new_item=_candidate(candidates, item_id),
            )

        reason = e.value.decision.reasons[0]
        assert ("INVALID_PARAMETER", "new_item") == (reason.code, reason.field)
        assert problem in reason.message_en
        assert [] == writes(emulator)

    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            ({"on_sale": False}, "판매 중인 단품이 아닙니다"),
            ({"stock": 0}, "재고(0)가 주문 수량(1)보다 적습니다"),
            ({"unit_price": 11_000}, "가격(11000원)이 주문 단품 가격(12000원)과 다릅니다"),
        ],
    )
    def test_emulator_refuses_a_stale_candidate(
        self,
        emulator: X2beeEmulator,
        adapter: X2beeClient,
        change: dict[str, Any],
        problem: str,
    ) -> None:
        """A candidate that changed since it was read passes the engine but x2bee refuses it
        with HTTP 900 naming chgItmNo; the local line keeps its item."""
        s, goods = with_catalog(emulator, "ITEM-OPT3")
        candidate = _candidate(adapter.option_candidates(goods, s.op.item_id), "ALT-OK")
        fields = {"unit_price": candidate.unit_price, "on_sale": True, "stock": 3, **change}
        emulator.add_item(goods, "ALT-OK", fields.pop("unit_price"), **fields)

        with pytest.raises(cf.MarketplaceRefusedError) as e:
            apply_remote(adapter, s.op, "option.change", "BUYER", ref=s.ref, new_item=candidate)

        assert "CLAIM_NOT_ALLOWED" == e.value.code
        assert "[chgItmNo: 변경할 단품(new_item) " in e.value.message
        assert problem in e.value.message
        assert "ITEM-OPT3" == emulator.store.get(s.op.id).op.item_id

    def test_emulator_refuses_the_item_already_ordered(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """When the line was switched meanwhile (the local side has not read it), switching it to
        the same item passes the engine locally but x2bee refuses it naming chgItmNo."""
        s, goods = with_catalog(emulator, "ITEM-OPT4")
        candidate = _candidate(adapter.option_candidates(goods, s.op.item_id), "ALT-OK")
        emulator.buyer(s.op.id, "option.change", new_item=candidate)

        with pytest.raises(cf.MarketplaceRefusedError) as e:
            apply_remote(adapter, s.op, "option.change", "BUYER", ref=s.ref, new_item=candidate)

        assert "CLAIM_NOT_ALLOWED" == e.value.code
        assert "[chgItmNo: " in e.value.message
        assert "현재와 같은 단품으로는 변경할 수 없습니다" in e.value.message

    def test_reconcile_adopts_a_storefront_option_change(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """The buyer switched the item in the storefront: reconcile adopts it as the BUYER's
        option.change to the item the wire shows (not the rules' example item), one version
        later, and then finds the line in sync."""
        s, goods = with_catalog(emulator, "ITEM-OPT5")
        candidate = _candidate(adapter.option_candidates(goods, s.op.item_id), "ALT-OK")
        emulator.buyer(s.op.id, "option.change", new_item=candidate)

        synced = reconcile(adapter, s.op, ref=s.ref)
        again = reconcile(adapter, synced.order_product, ref=s.ref)

        [event] = synced.events
        new_item = dict(event.params)["new_item"]
        assert ReconcileOutcome.ADOPTED == synced.outcome
        assert (cf.Action.OPTION_CHANGE, cf.Actor.BUYER) == (event.action, event.actor)
        assert ("ALT-OK", s.op.unit_price) == (new_item.item_id, new_item.unit_price)
        assert ("ALT-OK", s.op.unit_price, s.op.version + 1) == (
            synced.order_product.item_id,
            synced.order_product.unit_price,
            synced.order_product.version,
        )
        assert shape(emulator.store.get(s.op.id).op) == shape(synced.order_product)
        assert ReconcileOutcome.IN_SYNC == again.outcome

    def test_adopt_takes_over_the_item_at_the_ordered_price(self) -> None:
        """An item the wire shows in place of the local one makes the line inconsistent; adopt
        takes the wire's item over at the ordered price (X2 keeps the price)."""
        op = cf.OrderProduct("L-1", "x2bee", "PAID", "ITEM-A", 12_000)
        remote = RemoteOrderProduct(
            "L-1", "11", cf.Status.PAID, order_id="O-1", item_id="ITEM-B", unit_price=12_000
        )

        taken = adopt(x2bee.SPEC, op, remote)

        assert not consistent(x2bee.SPEC, op, remote)
        assert ("ITEM-B", 12_000) == (taken.item_id, taken.unit_price)
        assert consistent(x2bee.SPEC, taken, remote)

    def test_a_changed_price_on_the_wire_is_an_unexpected_answer(self) -> None:
        """A wire showing the new item at another price contradicts X2 (the same price): the
        inferred salePrc is never taken over into the local price a refund is computed from;
        UnexpectedResponseError names unit_price, and nothing is adopted."""
        op = cf.OrderProduct("L-1", "x2bee", "PAID", "ITEM-A", 12_000)
        remote = RemoteOrderProduct(
            "L-1", "11", cf.Status.PAID, order_id="O-1", item_id="ITEM-B", unit_price=13_000
        )

        with pytest.raises(cf.UnexpectedResponseError) as e:
            adopt(x2bee.SPEC, op, remote)

        assert ("unit_price", "x2bee", "L-1") == (
            e.value.field,
            e.value.marketplace,
            e.value.order_product_id,
        )

    def test_a_marketplace_without_option_change_keeps_its_item(self) -> None:
        """Toss has no rule that changes the item: its wire's product id is neither compared
        with the local item id nor taken over by adopt."""
        op = cf.OrderProduct("L-2", "toss", "PAID", "SKU-LOCAL", 12_000)
        remote = RemoteOrderProduct(
            "L-2", "PAID", cf.Status.PAID, item_id="P-123", unit_price=9_000
        )

        taken = adopt(toss.SPEC, op, remote)

        assert consistent(toss.SPEC, op, remote)
        assert ("SKU-LOCAL", 12_000) == (taken.item_id, taken.unit_price)

    def test_only_before_preparation(self, emulator: X2beeEmulator, adapter: X2beeClient) -> None:
        """X2 is open only in 주문완료: once preparing, the engine refuses and nothing is sent."""
        s = start(emulator, "PREPARING")
        item = cf.CandidateItem("ALT", s.op.unit_price, True, 5)

        with pytest.raises(cf.ActionRefusedError):
            apply_remote(adapter, s.op, "option.change", "BUYER", ref=s.ref, new_item=item)

        assert [] == api_requests(emulator)


class TestReturnsAndExchanges:
    def test_return_pickup_then_refund(self, emulator: X2beeEmulator, adapter: X2beeClient) -> None:
        """회수지시, 회수완료 and the refund approval are sent as documented, refund once with
        coupons and stock restored, and leave both sides in sync."""
        s = requested(emulator, adapter, "DELIVERED", "return.request", reason=REASON)
        claim = claim_no(s)
        for action in ("return.approve", "return.collect"):
            expected = (WITHDRAW_STATUS, pickup_body(s, action))
            s = step(adapter, s, action)
            assert expected == sent(emulator)
            assert PICKUP[action][1] == emulator.wire_status(s.op.id)

        s = step(adapter, s, "return.complete")

        documented = {"ordNo": s.ref.order_id, "claimNo": claim, "claimBusinessType": "22"}
        assert (REFUND_BUNDLE, [{**documented, "systemType": "10"}]) == sent(emulator)
        assert "37" == emulator.wire_status(s.op.id)  # 반품완료 [doc]
        assert (cf.Status.RETURNED, cf.ClaimStatus.COMPLETED) == (
            s.op.status,
            s.op.closed_claims[-1].status,
        )
        assert [s.op.unit_price] == emulator.store.refunds(s.op.id)
        assert [None] == emulator.effects(s.op.id, cf.EffectKind.RESTORE_STOCK)
        assert shape(emulator.store.get(s.op.id).op) == shape(s.op)
        assert ReconcileOutcome.IN_SYNC == reconcile(adapter, s.op, ref=s.ref).outcome

    def test_exchange_pickup(self, emulator: X2beeEmulator, adapter: X2beeClient) -> None:
        """교환 회수지시 and 회수완료 go through saveWithdrawStatUpdateProcess; redelivery has no
        documented call."""
        s = requested(emulator, adapter, "SHIPPING", "exchange.request", reason="사이즈")
        for action in ("exchange.approve", "exchange.collect"):
            expected = (WITHDRAW_STATUS, pickup_body(s, action))
            s = step(adapter, s, action)
            assert expected == sent(emulator)
        before = len(writes(emulator))

        with pytest.raises(cf.NotSupportedError) as e:
            apply_remote(
                adapter,
                s.op,
                "exchange.redeliver",
                "SELLER",
                ref=s.ref,
                carrier="CJ대한통운",
                tracking_number="1022-5765-4265",
            )

        assert cf.Status.EXCHANGE_COLLECTED == s.op.status
        assert (False, before) == (e.value.documented, len(writes(emulator)))
        assert ReconcileOutcome.IN_SYNC == reconcile(adapter, s.op, ref=s.ref).outcome

    def test_exchange_withdrawal_has_no_documented_call(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """교환 철회 by the buyer has no documented x2bee call (withdrawalExchange is a
        pickup-side step, §5.3): refused before sending, naming the missing fact; the local rule
        stays."""
        s = requested(emulator, adapter, "DELIVERED", "exchange.request", reason="색상")
        before = len(writes(emulator))

        with pytest.raises(cf.NotSupportedError) as e:
            apply_remote(adapter, s.op, "exchange.withdraw", "BUYER", ref=s.ref)

        assert before == len(writes(emulator))
        assert "withdrawalExchange" in str(e.value) and "pickup-side" in str(e.value)
        assert cf.check(s.op, "exchange.withdraw", "BUYER").allowed

    @pytest.mark.parametrize(
        ("action", "field"),
        [("return.complete", "claimNo"), ("return.collect", "ordDtlStatCd")],
    )
    def test_emulator_checks_the_state_itself(
        self, emulator: X2beeEmulator, adapter: X2beeClient, action: str, field: str
    ) -> None:
        """Sent straight to the adapter (no engine), a refund before 회수완료 or a pickup step
        from the wrong status is refused with HTTP 900 naming the field."""
        s = requested(emulator, adapter, "DELIVERED", "return.request", reason=REASON)
        if action == "return.complete":
            s = step(adapter, s, "return.approve")
        remote = RemoteAction("x2bee", action, s.op.id, claim_no(s), s.ref.order_id)

        with pytest.raises(cf.MarketplaceRefusedError) as e:
            adapter.perform(remote)

        assert "CLAIM_NOT_ALLOWED" == e.value.code
        assert f"[{field}: " in e.value.message
        assert [] == emulator.store.refunds(s.op.id)

    @pytest.mark.parametrize("action", sorted(UNSUPPORTED))
    def test_undocumented_actions_send_nothing(
        self, emulator: X2beeEmulator, adapter: X2beeClient, action: cf.Action
    ) -> None:
        """Every action with no call in x2bee's sources raises NotSupportedError, nothing sent."""
        remote = RemoteAction("x2bee", action, "OP-none", claim_id="C1", order_id="O1")

        with pytest.raises(cf.NotSupportedError) as e:
            adapter.perform(remote)

        assert (False, "x2bee", action) == (e.value.documented, e.value.marketplace, e.value.action)
        assert [] == api_requests(emulator)

    def test_return_request_is_the_buyers_storefront_call(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """The engine allows a return request, but its path is not in the sources: refused
        without guessing one."""
        s = start(emulator, "DELIVERED")

        with pytest.raises(cf.NotSupportedError) as e:
            apply_remote(adapter, s.op, "return.request", "BUYER", ref=s.ref, reason=REASON)

        assert "paths were not found" in str(e.value)
        assert [] == api_requests(emulator)

    def test_every_offered_action_is_covered_or_explained(self) -> None:
        """Each action x2bee's rules offer has a documented call or a reason why not."""
        offered = {r.action for r in cf.rules("x2bee")}

        assert offered == set(ROUTES) | set(UNSUPPORTED)
        assert set() == set(ROUTES) & set(UNSUPPORTED)


class TestErrors:
    def test_token_provider_asked_again_after_401(
        self, emulator: X2beeEmulator, server: RunningServer
    ) -> None:
        """With a token provider, a 401 asks it once more and the request goes through with the
        newer token."""
        s = start(emulator, "PAID")
        tokens = iter(["expired-jwt", TOKEN])
        asked: list[int] = []

        def provider() -> str:
            asked.append(1)
            return next(tokens)

        with make_sync(server, token=provider) as adapter:
            remote = adapter.read(s.ref)

        assert cf.Status.PAID == remote.status
        assert (2, 2) == (len(asked), len(api_requests(emulator)))

    def test_token_provider_without_a_better_token(
        self, emulator: X2beeEmulator, server: RunningServer
    ) -> None:
        """A provider that gives the same refused token after a 401 causes no second request:
        AuthenticationError."""
        s = start(emulator, "PAID")
        with (
            make_sync(server, token=lambda: "revoked-jwt") as adapter,
            pytest.raises(cf.AuthenticationError),
        ):
            adapter.read(s.ref)
        assert 1 == len(api_requests(emulator))

    def test_server_error_on_a_post_read_is_retried(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """The reads x2bee sends as POST are safe to repeat: HTTP 503 is retried."""
        s = start(emulator, "PAID")
        emulator.inject(Fault.SERVER_ERROR, on="read")

        cost = adapter.calculate_cost(s.ref)

        assert s.op.amount == cost.refund_amount
        assert 2 == len(api_requests(emulator))

    def test_no_list_api(self, emulator: X2beeEmulator, adapter: X2beeClient) -> None:
        """x2bee documents no claims or orders list: a typed error, nothing sent."""
        with pytest.raises(cf.NotSupportedError) as claims:
            adapter.list_claims()
        with pytest.raises(cf.NotSupportedError):
            list(adapter.iter_order_products(OrderQuery()))

        assert "read(OrderRef(order_product_id, order_id=...))" in str(claims.value)
        assert [] == api_requests(emulator)

    def test_order_number_is_required(self, emulator: X2beeEmulator, adapter: X2beeClient) -> None:
        """x2bee addresses a line by ordNo + ordSeq: without the order number, an input error
        naming order_id before anything is sent."""
        s = start(emulator, "DELIVERED")
        emulator.buyer(s.op.id, "exchange.request", reason=REASON)
        local = reconcile(adapter, s.op, ref=s.ref).order_product
        emulator.reset()

        with pytest.raises(cf.InvalidInputError) as read:
            adapter.read(OrderRef(s.op.id))
        with pytest.raises(cf.InvalidInputError) as act:
            apply_remote(adapter, local, "exchange.approve", "SELLER")

        assert ("order_id", "order_id") == (read.value.field, act.value.field)
        assert "ordNo" in str(act.value)
        assert [] == api_requests(emulator)


class TestOutcomeUnknown:
    def test_cancel_dropped_then_reconciled_once(
        self, emulator: X2beeEmulator, adapter: X2beeClient
    ) -> None:
        """x2bee cancels but the answer is lost: reconcile recognises the pending cancel as
        carried out (APPLIED, with x2bee's claim number), the retry is refused by the engine, the
        buyer is refunded once."""
        s = start(emulator, "PAID")
        cost = adapter.calculate_cost(s.ref)
        emulator.inject(Fault.DROP_AFTER_COMMIT, on="write")

        with pytest.raises(cf.OutcomeUnknownError) as e:
            apply_remote(
                adapter,
                s.op,
                "cancel.request",
                "BUYER",
                ref=s.ref,
                reason=REASON,
                **cost.params,
            )

        assert "RemoteProtocolError" in str(e.value)
        synced = reconcile(adapter, s.op, pending=e.value.pending)
        assert (ReconcileOutcome.APPLIED, cf.Status.CANCELED) == (
            synced.outcome,
            synced.order_product.status,
        )
        with pytest.raises(cf.ActionRefusedError):
            apply_remote(
                adapter,
                synced.order_product,
                "cancel.request",
                "BUYER",
                ref=s.ref,
                reason=REASON,
                **cost.params,
            )
        assert [s.op.amount] == emulator.store.refunds(s.op.id)


class TestSecrets:
    def test_token_never_shown(
        self,
        emulator: X2beeEmulator,
        server: RunningServer,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Neither the token nor a provider's tokens appear in reprs, errors or logs."""
        caplog.set_level(logging.DEBUG)
        issued = emulator.issue_token()
        texts: list[str] = []
        with make_sync(server, token=lambda: issued) as adapter:
            s = requested(emulator, adapter, "DELIVERED", "return.request", reason=REASON)
            texts += [repr(adapter), repr(adapter._http.auth), repr(adapter._http.headers)]
            emulator.inject(Fault.SERVER_ERROR, on="write")
            with pytest.raises(cf.OutcomeUnknownError) as unknown:
                step(adapter, s, "return.approve")
            with pytest.raises(cf.MarketplaceRefusedError) as refused:
                adapter.perform(
                    RemoteAction("x2bee", "return.complete", s.op.id, claim_no(s), s.ref.order_id)
                )
            texts += [str(unknown.value), repr(unknown.value.pending), str(refused.value)]
        with make_sync(server) as fixed:
            texts += [repr(fixed), repr(fixed._http.auth)]
        with (
            make_sync(server, token="rejected-" + TOKEN) as bad,
            pytest.raises(cf.AuthenticationError) as auth_error,
        ):
            bad.read(s.ref)
        texts += [str(auth_error.value), repr(bad)]
        texts += [r.getMessage() for r in caplog.records]

        assert len(texts) > 10
        assert [] == [(t, text) for t in (TOKEN, issued) for text in texts if t in text]


class TestAsync:
    @pytest.mark.anyio
    async def test_async_cancel_and_option_change(
        self, emulator: X2beeEmulator, async_adapter: X2beeAsyncClient
    ) -> None:
        """The async adapter runs the cost calculation, the cancel, the candidates read and the
        option change over HTTP."""
        cancel = start(emulator, "PREPARING", lost_benefit=15_000)
        change = start(emulator, "PAID", goods_no="G-ASYNC", item_id="ITEM-ASYNC")
        emulator.add_item("G-ASYNC", "ITEM-ASYNC-B", change.op.unit_price)
        adapter = async_adapter

        cost = await adapter.calculate_cost(cancel.ref)
        cancelled = await apply_remote_async(
            adapter,
            cancel.op,
            "cancel.request",
            "BUYER",
            ref=cancel.ref,
            reason=REASON,
            **cost.params,
        )
        candidates = await adapter.option_candidates("G-ASYNC", change.op.item_id)
        changed = await apply_remote_async(
            adapter, change.op, "option.change", "BUYER", ref=change.ref, new_item=candidates[-1]
        )
        remote = await adapter.read(change.ref)

        assert (0, 3_000) == (cost.refund_amount, cost.extra_payment)
        assert cf.Status.CANCELED == cancelled.order_product.status
        assert [3_000] == emulator.effects(cancel.op.id, cf.EffectKind.CHARGE_EXTRA)
        assert ("ITEM-ASYNC-B", "ITEM-ASYNC-B") == (changed.order_product.item_id, remote.item_id)

    @pytest.mark.anyio
    async def test_in_process_through_asgi_transport(self) -> None:
        """make_app's seeded emulator runs in-process through httpx.ASGITransport."""
        app = make_app(orders=6, seed=3)
        emulator: X2beeEmulator = app.state.emulator
        record = emulator.store.records()[0]
        adapter = make_async_client(
            *x2bee_emulator.CREDENTIALS,
            order_url="http://127.0.0.1/api/order",
            bo_url="http://127.0.0.1/api/bo",
            goods_url="http://127.0.0.1/api/goods",
            transport=httpx.ASGITransport(app),
            retry=FAST,
        )
        async with adapter:
            remote = await adapter.read(OrderRef(record.op.id, record.order_id))
        assert 6 == len(emulator.store.records())
        assert (emulator.wire_status(record.op.id), record.op.item_id) == (
            remote.wire_status,
            remote.item_id,
        )


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> X2beeClient:
    return make_client("tok-mock", transport=httpx.MockTransport(handler), retry=FAST)


def _answer(body: object, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    def handler(_request: httpx.Request) -> httpx.Response:
        if isinstance(body, bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    return handler


REF = OrderRef("OP1", "O1")
CALLS: dict[str, Callable[[X2beeClient], object]] = {
    "cost": lambda a: a.calculate_cost(REF),
    "read": lambda a: a.read(REF),
    "candidates": lambda a: a.option_candidates("G1", "I1"),
}


def _details(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "ordNo": "O1",
        "ordSeq": "OP1",
        "ordDtlStatCd": "40",
        "claimList": [],
    }
    body.update(changes)
    return body


def _claim(**changes: object) -> dict[str, object]:
    claim: dict[str, object] = {"claimNo": "C1", "claimBusinessType": "30", "claimStatCd": "11"}
    claim.update(changes)
    return claim


class TestWire:
    @pytest.mark.parametrize(
        ("call", "body", "status", "field"),
        [
            ("cost", {"rfdAmt": 1_000, "addPayAmt": 500}, 200, "addPayAmt"),
            ("cost", {"rfdAmt": -1, "addPayAmt": 0}, 200, "rfdAmt"),
            ("cost", None, 200, "payload"),
            ("cost", {"message": "no code"}, 900, "code"),
            ("cost", {"code": "E1", "errors": [{"reason": "no field"}]}, 900, "errors[0].field"),
            ("read", _details(ordDtlStatCd="99"), 200, "ordDtlStatCd"),
            ("read", _details(claimList=[_claim(claimStatCd="77")]), 200,
             "claimList[0].claimStatCd"),
            ("read", _details(claimList=[_claim(claimBusinessType="X")]), 200,
             "claimList[0].claimBusinessType"),
            ("read", _details(ordSeq="OP2"), 200, "ordSeq"),
            ("candidates", [{"itmNo": "I", "salePrc": 1, "saleStatCd": "99", "stkQty": 1}], 200,
             "[0].saleStatCd"),
            ("candidates", [{"itmNo": "I", "salePrc": 1, "saleStatCd": "10"}], 200,
             "[0].stkQty"),
            ("candidates", {"items": []}, 200, "body"),
        ],
    )  # fmt: skip
    def test_unexpected_answers_name_the_field(
        self, call: str, body: object, status: int, field: str
    ) -> None:
        """A missing or malformed field, an unknown code, a 900 without its code: a typed error
        naming the field, never a silent default (a body that is not JSON and an unknown HTTP
        status are the contract's)."""
        with (
            _mock(_answer(body, status)) as adapter,
            pytest.raises(cf.UnexpectedResponseError) as e,
        ):
            CALLS[call](adapter)
        assert (field, "x2bee") == (e.value.field, e.value.marketplace)

    def test_error_envelope_with_field_errors(self) -> None:
        """HTTP 900's code and message reach MarketplaceRefusedError, its field errors appended."""
        envelope = {
            "timestamp": "2024-05-01T10:00:00.000+09:00",
            "code": "ORD-4001",
            "message": "잘못된 요청입니다",
            "isProcess": False,
            "payload": None,
            "error": True,
            "errors": [
                {"field": "ordNo", "value": "", "reason": "필수 값입니다"},
                {"field": "claimNo", "defaultMessage": "형식이 다릅니다"},
            ],
        }
        op = cf.OrderProduct("OP1", "x2bee", "PAID", "I1", 1_000)
        with (
            _mock(_answer(envelope, 900)) as adapter,
            pytest.raises(cf.MarketplaceRefusedError) as e,
        ):
            apply_remote(adapter, op, "cancel.request", "BUYER", ref=REF, reason=REASON)
        assert (
            "ORD-4001",
            "잘못된 요청입니다 [ordNo: 필수 값입니다, claimNo: 형식이 다릅니다]",
        ) == (
            e.value.code,
            e.value.message,
        )

    def test_the_900_answer_on_the_wire(
        self, emulator: X2beeEmulator, server: RunningServer
    ) -> None:
        """The emulator answers a business error with HTTP 900 and x2bee's envelope fields."""
        s = start(emulator, "PAID")
        response = httpx.post(
            server.url + CANCEL,
            json=line(s, claimRsnCont=REASON),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert 900 == response.status_code
        assert {"timestamp", "code", "message", "isProcess", "payload", "error", "errors"} == set(
            response.json()
        )

    def test_status_tables_round_trip(self) -> None:
        """Every state the engine can produce on x2bee maps to a 주문내역상태 code that maps back
        to it (a pending request hides the status under it, which is the claim's origin)."""
        for status, claim, name in cf.reachable_states("x2bee"):
            code = order_status_code(status, (claim.type, claim.status) if claim else None)
            back = ORDER_STATUS_CODES[code].resolve(claim.type if claim else None)
            assert back in {status, None}, (name, code)
            if back is None:
                assert claim is not None
                assert (cf.ClaimStatus.REQUESTED, status) == (claim.status, claim.origin_status)
        for claim_status in {r.claim_status for r in cf.rules("x2bee")} - {None}:
            assert claim_status is not None
            code = claim_status_code(cf.ClaimType.RETURN, claim_status)
            assert claim_status == CLAIM_STATUS_CODES[code]

    def test_pickup_steps_follow_the_status_codes(self) -> None:
        """Each pickup step goes from the code of the claim's state to the code of the next."""
        for action, (current, target) in PICKUP_STEPS.items():
            before, after = ORDER_STATUS_CODES[current], ORDER_STATUS_CODES[target]
            group = cf.ClaimType(action.value.split(".")[0].upper())
            assert before.claim_type in {None, group}  # 33 접수 serves both kinds
            assert group in {after.claim_type, *dict(after.per_claim_type)}
            assert (before.claim_status, after.claim_status) in {
                (cf.ClaimStatus.REQUESTED, cf.ClaimStatus.APPROVED),
                (cf.ClaimStatus.APPROVED, cf.ClaimStatus.COLLECTED),
            }

    def test_hosts_are_configurable(self) -> None:
        """The three base URLs default to x2bee's hosts, any of them configurable (a plain-http
        URL is refused by the contract)."""
        assert (
            "https://api-order.x2bee.com/api/order",
            "https://api-bo.x2bee.com/api/bo",
            "https://api-goods.x2bee.com/api/goods",
        ) == (Hosts().order, Hosts().bo, Hosts().goods)
        assert "http://127.0.0.1:9/api/bo" == Hosts(bo="http://127.0.0.1:9/api/bo/").bo

    def test_control_api_over_http(self, emulator: X2beeEmulator, server: RunningServer) -> None:
        """The emulator's own /_emulator/ paths seed order products, issue tokens (to a caller
        holding the emulator's credentials) and make buyer requests happen; refusals answer 409."""
        base = server.url + "/_emulator"
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        token = httpx.post(base + "/tokens", headers=bearer).json()["access_token"]
        created = httpx.post(
            base + "/order-products", json={"status": "DELIVERED", "goods_no": "G-CTL"}
        ).json()
        op_id = created["order_product_id"]
        acted = httpx.post(
            base + f"/order-products/{op_id}/actions",
            json={"action": "return.request", "params": {"reason": REASON}},
        )
        refused = httpx.post(
            base + f"/order-products/{op_id}/actions",
            json={"action": "cancel.request", "params": {"reason": REASON}},
        )

        with make_client(token, **urls(server.url), retry=FAST) as adapter:
            remote = adapter.read(OrderRef(op_id, created["order_id"]))
        assert (200, 409) == (acted.status_code, refused.status_code)
        assert ("33", None) == (remote.wire_status, remote.status)
        assert remote.open_claim is not None
        assert cf.ClaimType.RETURN == remote.open_claim.type
        assert "G-CTL" == emulator.goods_no(op_id)
