"""What is imweb's own, against the imweb emulator over real HTTP on 127.0.0.1 (and
``httpx.MockTransport`` for answers it never gives). What every adapter does is in
``test_contract.py`` (``TestImwebContract``).

Every imweb action of rules.md (I1-I16) end to end, sync and async (buyer and payment-gateway
actions through the emulator's control API), the request shapes against the documented paths and
bodies, partial success item by item, '자동환불불가', Naver Pay holds, each body code, its
malformed answers, offset pagination, and ``{order_no}:{prod_order_no}`` ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest

import claimflow as cf
from claimflow._vocab import SEOUL
from claimflow.adapters import (
    ClaimQuery,
    Client,
    OrderQuery,
    OrderRef,
    PendingBatch,
    ReconcileOutcome,
    RemoteAction,
    apply_remote,
    apply_remote_async,
    apply_remote_many,
    apply_remote_many_async,
    imweb,
    reconcile,
    reconcile_async,
)
from claimflow.emulators import Fault, RunningServer, serve_in_thread
from claimflow.emulators.imweb import ImwebEmulator, make_app

from .kits import FAST, IMWEB, IMWEB_KEY, IMWEB_SECRET

KIT = IMWEB
start, requested, local_twin = IMWEB.start_order, IMWEB.requested_order, IMWEB.local_twin
writes, api_requests, make_sync, make_async = (
    IMWEB.writes,
    IMWEB.api_requests,
    IMWEB.make_sync,
    IMWEB.make_async,
)

CARRIER, TRACKING = "CJGLS", "1022-5765-4265"
REASON, MEMO = "포장 훼손", "환불 안내드립니다"
HOLD_REASON = "EXCHANGE_DELIVERYFEE: 배송비 미입금"

#: The documented request of each imweb seller action (marketplaces.md §2, 004_…), written out
#: independently of the adapter's spec: method, path under /v2/shop, JSON body with {P} for the
#: item order's number.
DOCUMENTED: dict[str, tuple[str, str, dict[str, Any]]] = {
    "cancel.reject": (
        "PATCH",
        "/orders/{order_no}/cancel/reject",
        {"prod_order_no": ["{P}"], "etc": {"parcel_code": CARRIER, "invoice_no": TRACKING}},
    ),
    "cancel.approve": (
        "PATCH",
        "/orders/{order_no}/cancel/accept",
        {
            "prod_order_no": ["{P}"],
            "etc": {
                "etc_price": [{"prod_order_no": "{P}", "price": 1000}],
                "refund_point": [{"prod_order_no": "{P}", "price": 500}],
                "claim_memo": MEMO,
            },
        },
    ),
    "cancel.retry_refund": ("PATCH", "/orders/{order_no}/cancel/retry", {"prod_order_no": ["{P}"]}),
    "cancel.force": ("PATCH", "/orders/{order_no}/cancel/force_cancel", {"prod_order_no": ["{P}"]}),
    "return.reject": (
        "PATCH",
        "/orders/{order_no}/return/reject",
        {"prod_order_no": ["{P}"], "etc": {"reason": REASON}},
    ),
    "return.to_exchange": (  # the "exchange" field is claimflow's [inferred] choice
        "PATCH",
        "/orders/{order_no}/return/reject",
        {"prod_order_no": ["{P}"], "etc": {"reason": REASON, "claim_type": "EXCHANGE"}},
    ),
    "return.approve": ("PATCH", "/orders/{order_no}/return/accept", {"prod_order_no": ["{P}"]}),
    "return.collect": (
        "PATCH",
        "/orders/{order_no}/return/collect_done",
        {"prod_order_no": ["{P}"]},
    ),
    "return.hold": ("PATCH", "/orders/{order_no}/return/withhold", {"prod_order_no": ["{P}"]}),
    "return.release": (
        "PATCH",
        "/orders/{order_no}/return/releasehold",
        {"prod_order_no": ["{P}"]},
    ),
    "return.complete": (
        "PATCH",
        "/orders/{order_no}/return/return_done",
        {
            "prod_order_no": ["{P}"],
            "etc": {
                "etc_price": [{"prod_order_no": "{P}", "price": 1000}],
                "refund_point": [{"prod_order_no": "{P}", "point": 500}],
                "claim_memo": MEMO,
            },
        },
    ),
    "return.force_complete": (
        "PATCH",
        "/orders/{order_no}/return/return_force_done",
        {"prod_order_no": ["{P}"]},
    ),
    "exchange.reject": ("PATCH", "/orders/{order_no}/exchange/reject", {"prod_order_no": ["{P}"]}),
    "exchange.approve": ("PATCH", "/orders/{order_no}/exchange/accept", {"prod_order_no": ["{P}"]}),
    "exchange.collect": (
        "PATCH",
        "/orders/{order_no}/exchange/collect_done",
        {"prod_order_no": ["{P}"]},
    ),
    "exchange.hold": (
        "PATCH",
        "/orders/{order_no}/exchange/withhold",
        {
            "prod_order_no": ["{P}"],
            "etc": {"reason_code": "EXCHANGE_DELIVERYFEE", "reason_detail": "배송비 미입금"},
        },
    ),
    "exchange.release": (
        "PATCH",
        "/orders/{order_no}/exchange/releasehold",
        {"prod_order_no": ["{P}"]},
    ),
    "exchange.redeliver": (
        "PATCH",
        "/orders/{order_no}/exchange/resend",
        {
            "prod_order_no": ["{P}"],
            "etc": {"method": "DELIVERY", "parcel_code": CARRIER, "invoice_no": TRACKING},
        },
    ),
    "exchange.complete": (
        "PATCH",
        "/orders/{order_no}/exchange/exchange_done",
        {"prod_order_no": ["{P}"]},
    ),
}

PARAMS: dict[str, dict[str, object]] = {
    "cancel.reject": {"carrier": CARRIER, "tracking_number": TRACKING},
    "cancel.approve": {"extra_charge": 1000, "refund_points": 500, "memo": MEMO},
    "return.reject": {"reason": REASON},
    "return.to_exchange": {"reason": REASON},
    "return.hold": {"reason": "반품 배송비 미입금"},
    "return.complete": {"extra_charge": 1000, "refund_points": 500, "memo": MEMO},
    "exchange.reject": {"reason": REASON},
    "exchange.hold": {"reason": HOLD_REASON},
    "exchange.redeliver": {"carrier": CARRIER, "tracking_number": TRACKING},
}


@attrs.frozen
class Scenario:
    """A walk through rules.md's imweb table: a start, a buyer request, seller steps (and
    ``SYSTEM:`` steps of imweb's payment gateway), the end."""

    rules: str
    status: str
    request: str
    steps: tuple[str, ...]
    final_status: str
    final_claim: str  # the status of the claim the buyer opened, at the end
    order: tuple[tuple[str, str], ...] = ()  # add_order options: order_type, pay_type


SCENARIOS = [
    Scenario("I1 I2", "PREPARING", "cancel.request", ("cancel.reject",), "SHIPPING", "REJECTED"),
    Scenario(
        "I1 I3 I3a", "PAID", "cancel.request",
        ("cancel.approve", "SYSTEM:cancel.refund_succeeded"), "CANCELED", "COMPLETED",
    ),
    Scenario(
        "I1 I5", "PREPARING", "cancel.request", ("cancel.force",), "CANCELED", "COMPLETED",
        (("pay_type", "virtual"),),
    ),
    Scenario(
        "I1 I3 I3a I4", "PAID", "cancel.request",
        ("cancel.approve", "SYSTEM:cancel.refund_failed", "cancel.retry_refund",
         "SYSTEM:cancel.refund_succeeded"),
        "CANCELED", "COMPLETED",
    ),
    Scenario(
        "I1 I5 after failure", "PREPARING", "cancel.request",
        ("cancel.approve", "SYSTEM:cancel.refund_failed", "cancel.force"), "CANCELED", "COMPLETED",
    ),
    Scenario("I6 I7", "DELIVERED", "return.request", ("return.reject",), "DELIVERED", "REJECTED"),
    Scenario(
        "I6 I8 I16", "SHIPPING", "return.request", ("return.to_exchange", "exchange.approve"),
        "EXCHANGE_COLLECTING", "REJECTED",
    ),
    Scenario(
        "I6 I9 I10 I13 I14", "DELIVERED", "return.request",
        ("return.approve", "return.collect", "return.complete", "SYSTEM:return.refund_succeeded"),
        "RETURNED", "COMPLETED",
    ),
    Scenario(
        "I13 I14 I15", "DELIVERED", "return.request",
        ("return.approve", "return.collect", "return.complete", "SYSTEM:return.refund_failed",
         "return.force_complete"),
        "RETURNED", "COMPLETED",
    ),
    Scenario(
        "I15 no auto refund", "DELIVERED", "return.request",
        ("return.approve", "return.collect", "return.force_complete"), "RETURNED", "COMPLETED",
        (("pay_type", "virtual"),),
    ),
    Scenario(
        "I11 I12 npay", "SHIPPING", "return.request",
        ("return.hold", "return.release", "return.approve", "return.hold", "return.release",
         "return.collect"),
        "RETURN_COLLECTED", "COLLECTED", (("order_type", "npay"),),
    ),
    Scenario(
        "I16 exchange", "DELIVERED", "exchange.request",
        ("exchange.approve", "exchange.hold", "exchange.release", "exchange.collect",
         "exchange.redeliver", "exchange.complete"),
        "EXCHANGED", "COMPLETED",
    ),
]  # fmt: skip


def shape(op: cf.OrderProduct) -> tuple[object, ...]:
    """What the two sides must agree on (imweb has no claim ids): status, the open claim, the
    closed claims' types and statuses."""

    def claim(c: cf.Claim | None) -> tuple[object, ...] | None:
        return None if c is None else (c.type, c.status, c.origin_status, c.held_from)

    return (op.status, claim(op.open_claim), tuple(claim(c) for c in op.closed_claims))


def expected_request(action: str, op: cf.OrderProduct) -> tuple[str, str, object]:
    """The documented method, path and body of *action* on *op*."""
    method, template, body = DOCUMENTED[action]
    ref = imweb.ImwebRef.parse(op.id)
    filled = _fill(body, ref.prod_order_no)
    return method, "/v2/shop" + template.format(order_no=ref.order_no), filled


def _fill(value: object, prod: str) -> object:
    if isinstance(value, dict):
        return {k: _fill(v, prod) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, prod) for v in value]
    return prod if value == "{P}" else value


def sent(emulator: ImwebEmulator) -> tuple[str, str, object]:
    """The last write request the emulator received."""
    last = writes(emulator)[-1]
    return last.method, last.path, last.json


def gateway(emulator: ImwebEmulator, op_id: str, action: str) -> None:
    """imweb's payment gateway settles a refund (not a seller call)."""
    emulator.system(op_id, action)


class TestActions:
    @pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.rules)
    def test_every_imweb_action_end_to_end(
        self, emulator: ImwebEmulator, adapter: Client, scenario: Scenario
    ) -> None:
        """Each seller action is sent as documented, accepted and committed locally; what the
        gateway does arrives by reconcile; at the end both sides agree and reconcile is idle."""
        [op] = requested(
            emulator, adapter, scenario.status, scenario.request, **dict(scenario.order)
        )
        for step in scenario.steps:
            if step.startswith("SYSTEM:"):
                gateway(emulator, op.id, step.removeprefix("SYSTEM:"))
                synced = reconcile(adapter, op)
                assert ReconcileOutcome.ADOPTED == synced.outcome
                op = synced.order_product
                continue
            done = apply_remote(adapter, op, step, "SELLER", **PARAMS.get(step, {}))
            assert expected_request(step, op) == sent(emulator)
            assert (True, (op.id,)) == (done.result.ok, done.result.succeeded)
            op = done.order_product

        remote = emulator.store.get(op.id).op
        assert scenario.final_status == op.status
        assert shape(remote) == shape(op)
        first = (*op.closed_claims, op.open_claim)[0]
        assert first is not None
        assert scenario.final_claim == first.status
        assert ReconcileOutcome.IN_SYNC == reconcile(adapter, op).outcome

    def test_refunds_follow_the_effects(self, emulator: ImwebEmulator, adapter: Client) -> None:
        """cancel.approve refunds the price less the extra charge; cancel.force refunds nothing
        automatically (the seller refunds by hand)."""
        [approved] = requested(emulator, adapter, "PAID", "cancel.request")
        [forced] = requested(emulator, adapter, "PAID", "cancel.request", pay_type="cash")

        apply_remote(adapter, approved, "cancel.approve", "SELLER", extra_charge=2000)
        apply_remote(adapter, forced, "cancel.force", "SELLER")

        assert [approved.unit_price - 2000] == emulator.store.refunds(approved.id)
        assert [] == emulator.store.refunds(forced.id)

    def test_delivery_during_a_request_moves_its_origin(
        self, emulator: ImwebEmulator, adapter: Client
    ) -> None:
        """imweb marks delivery itself (F4): a pending return's origin becomes 배송완료 locally."""
        [op] = requested(emulator, adapter, "SHIPPING", "return.request")
        emulator.system(op.id, "order.deliver")

        synced = reconcile(adapter, op)

        assert ReconcileOutcome.ADOPTED == synced.outcome
        assert shape(emulator.store.get(op.id).op) == shape(synced.order_product)
        assert cf.Status.DELIVERED == synced.order_product.status

    def test_no_seller_call_for_the_gateway(self, emulator: ImwebEmulator, adapter: Client) -> None:
        """A payment-gateway action through the seller adapter is refused before anything is
        sent, saying which action (the buyer's storefront requests are the contract's)."""
        [op] = requested(emulator, adapter, "DELIVERED", "return.request")
        for step in ("return.approve", "return.collect", "return.complete"):
            op = apply_remote(adapter, op, step, "SELLER").order_product
        before = len(writes(emulator))

        with pytest.raises(cf.NotSupportedError) as e:
            apply_remote(adapter, op, "return.refund_succeeded", "SYSTEM")

        assert cf.Action.RETURN_REFUND_SUCCEEDED == e.value.action
        assert before == len(writes(emulator))


class TestBatches:
    def test_partial_success_commits_only_the_items_that_succeeded(
        self, emulator: ImwebEmulator, adapter: Client
    ) -> None:
        """One call for three item orders; imweb refuses the last: the two others are committed,
        the last is reported with imweb's message and left as it was on both sides."""
        ops = requested(emulator, adapter, "DELIVERED", "return.request", items=3)
        emulator.inject(Fault.PARTIAL_FAILURE, on="write")

        batch = apply_remote_many(adapter, ops, "return.approve", "SELLER")

        prods = [imweb.ImwebRef.parse(op.id).prod_order_no for op in ops]
        assert [("PATCH", {"prod_order_no": prods})] == [
            (r.method, r.json) for r in writes(emulator)
        ]
        assert not batch.ok
        assert [cf.Status.RETURN_COLLECTING, cf.Status.RETURN_COLLECTING, cf.Status.DELIVERED] == [
            i.order_product.status for i in batch.items
        ]
        failed = batch.items[2]
        assert (None, ops[2]) == (failed.applied, failed.order_product)
        assert ("ITEM_FAILED", "처리할 수 없습니다: emulator: injected") == (
            failed.result.code,
            failed.result.message,
        )
        assert [shape(i.order_product) for i in batch.items] == [
            shape(emulator.store.get(op.id).op) for op in ops
        ]

    def test_marketplace_refuses_an_item_it_sees_differently(
        self, emulator: ImwebEmulator, adapter: Client
    ) -> None:
        """An item already approved in imweb's admin is refused by imweb with its reason; the
        other is committed; reconcile then adopts the refused one."""
        ops = requested(emulator, adapter, "DELIVERED", "exchange.request", items=2)
        emulator.store.act(ops[1].id, "exchange.approve", "SELLER")

        batch = apply_remote_many(adapter, ops, "exchange.approve", "SELLER")

        assert [True, False] == [i.result.ok for i in batch.items]
        refused = batch.items[1].result
        assert "처리할 수 없는 상태입니다" == (refused.message or "").split(":")[0]
        assert "WRONG_CLAIM_STATUS" not in (refused.code or "")
        synced = reconcile(adapter, batch.items[1].order_product)
        assert (ReconcileOutcome.ADOPTED, cf.Status.EXCHANGE_COLLECTING) == (
            synced.outcome,
            synced.order_product.status,
        )

    def test_auto_refund_impossible(self, emulator: ImwebEmulator, adapter: Client) -> None:
        """A virtual-account order cannot be refunded automatically: imweb refuses accept with
        '자동환불불가' (code AUTO_REFUND_IMPOSSIBLE), nothing is committed, and once the local
        side knows the payment the engine points to cancel.force, which goes through."""
        ops = requested(emulator, adapter, "PAID", "cancel.request", items=2, pay_type="virtual")
        stale = [attrs.evolve(op, auto_refundable=True) for op in ops]  # not yet known locally

        with pytest.raises(cf.MarketplaceRefusedError) as e:
            apply_remote(adapter, stale[0], "cancel.approve", "SELLER")
        batch = apply_remote_many(adapter, stale, "cancel.approve", "SELLER")

        assert (imweb.AUTO_REFUND_IMPOSSIBLE, "imweb") == (e.value.code, e.value.marketplace)
        assert e.value.message.startswith("자동환불불가")
        assert [imweb.AUTO_REFUND_IMPOSSIBLE] * 2 == [i.result.code for i in batch.items]
        assert [None, None] == [i.applied for i in batch.items]
        refused = cf.check(ops[0], "cancel.approve", "SELLER")
        assert "AUTO_REFUND_IMPOSSIBLE" in refused.codes
        forced = apply_remote_many(adapter, ops, "cancel.force", "SELLER")
        assert forced.ok
        assert [[], []] == [emulator.store.refunds(op.id) for op in ops]

    def test_items_of_two_orders_are_refused_before_sending(
        self, emulator: ImwebEmulator, adapter: Client
    ) -> None:
        """One imweb call is for the items of one order; a batch across orders sends nothing."""
        first = requested(emulator, adapter, "DELIVERED", "return.request")
        second = requested(emulator, adapter, "DELIVERED", "return.request")

        with pytest.raises(cf.InvalidInputError) as e:
            apply_remote_many(adapter, first + second, "return.approve", "SELLER")

        assert "item_ids" == e.value.field
        assert [] == writes(emulator)

    def test_unknown_batch_outcome_reconciles_item_by_item(
        self, emulator: ImwebEmulator, adapter: Client
    ) -> None:
        """A batch return_done whose answer was dropped is an unknown outcome carrying every
        item; reconcile finds each applied, and no item is ever refunded twice."""
        ops = requested(emulator, adapter, "DELIVERED", "return.request", items=2)
        for step in ("return.approve", "return.collect"):
            ops = [i.order_product for i in apply_remote_many(adapter, ops, step, "SELLER").items]
        emulator.inject(Fault.DROP_AFTER_COMMIT, on="write")

        with pytest.raises(cf.OutcomeUnknownError) as e:
            apply_remote_many(adapter, ops, "return.complete", "SELLER")

        pending = e.value.pending
        assert isinstance(pending, PendingBatch)
        outcomes = [reconcile(adapter, op, pending=pending) for op in ops]
        assert [ReconcileOutcome.APPLIED] * 2 == [o.outcome for o in outcomes]
        assert [cf.ClaimStatus.REFUNDING] * 2 == [
            o.order_product.open_claim.status if o.order_product.open_claim else None
            for o in outcomes
        ]
        with pytest.raises(cf.ActionRefusedError):
            apply_remote(adapter, outcomes[0].order_product, "return.complete", "SELLER")
        assert [[op.unit_price] for op in ops] == [emulator.store.refunds(op.id) for op in ops]


class TestHolds:
    def test_return_hold_is_for_naver_pay_only(
        self, emulator: ImwebEmulator, adapter: Client
    ) -> None:
        """A return hold on an ordinary order is refused by the engine and nothing is sent."""
        [op] = requested(emulator, adapter, "DELIVERED", "return.request")

        with pytest.raises(cf.ActionRefusedError) as e:
            apply_remote(adapter, op, "return.hold", "SELLER", reason="배송비")

        assert "NAVER_PAY_ONLY" in e.value.decision.codes
        assert [] == writes(emulator)

    def test_a_hold_is_not_on_the_wire(self, emulator: ImwebEmulator, adapter: Client) -> None:
        """imweb documents no hold field (§5.2; ``is_hold`` was an inference): a held claim shows
        its claim_status, reads back with the hold unknown (``hold_known`` False), every seller
        action but release is refused locally, and after release it goes on."""
        [op] = requested(emulator, adapter, "DELIVERED", "return.request", order_type="npay")
        op = apply_remote(adapter, op, "return.approve", "SELLER").order_product
        op = apply_remote(adapter, op, "return.hold", "SELLER", reason="배송비").order_product

        wire = emulator.wire(op.id)
        remote = adapter.read(OrderRef(op.id))
        assert "RETURN_COLLECTING" == wire.claim_status
        assert remote.open_claim is not None
        assert (cf.ClaimStatus.APPROVED, None, False) == (
            remote.open_claim.status,
            remote.open_claim.held_from,
            remote.open_claim.hold_known,
        )
        assert "CLAIM_HELD" in cf.check(op, "return.collect", "SELLER").codes
        op = apply_remote(adapter, op, "return.release", "SELLER").order_product
        done = apply_remote(adapter, op, "return.collect", "SELLER")
        assert cf.Status.RETURN_COLLECTED == done.order_product.status

    def test_a_local_hold_reconciles_in_sync(
        self, emulator: ImwebEmulator, adapter: Client
    ) -> None:
        """A hold the wire cannot show is neither confirmed nor contradicted: reconcile keeps it
        (in sync)."""
        [op] = requested(emulator, adapter, "DELIVERED", "return.request", order_type="npay")
        op = apply_remote(adapter, op, "return.hold", "SELLER", reason="배송비").order_product

        assert ReconcileOutcome.IN_SYNC == reconcile(adapter, op).outcome


class TestErrors:
    def test_unknown_order_is_refused_with_no_data(self, adapter: Client) -> None:
        """An order imweb does not have is code -11, for a read and for a write alike."""
        ghost = cf.OrderProduct(
            "209901010000001:20990101000000101",
            "imweb",
            "PREPARING",
            "P",
            1000,
            open_claim=cf.Claim("c", "CANCEL", "REQUESTED", "PREPARING"),
        )

        with pytest.raises(cf.MarketplaceRefusedError) as read:
            adapter.read(OrderRef(ghost.id))
        with pytest.raises(cf.MarketplaceRefusedError) as write:
            apply_remote(adapter, ghost, "cancel.force", "SELLER")

        assert ("-11", "-11") == (read.value.code, write.value.code)
        assert (ghost.id, cf.Action.CANCEL_FORCE) == (
            write.value.order_product_id,
            write.value.action,
        )

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            (OrderQuery(status="DELAYED"), "status"),
            (OrderQuery(status="PAID", claim_type="CANCEL"), "claim_type"),
            (OrderQuery(claim_status="REQUESTED"), "claim_type"),
            (ClaimQuery(since=dt.date(2024, 1, 1)), "since"),
            (ClaimQuery(claim_status="REQUESTED"), "claim_type"),
            (OrderQuery(page_size=101), "page_size"),
        ],
    )
    def test_impossible_filters_are_input_errors(
        self, emulator: ImwebEmulator, adapter: Client, query: Any, field: str
    ) -> None:
        """A filter imweb cannot express is refused before anything is sent."""
        lister = (
            adapter.list_claims if isinstance(query, ClaimQuery) else adapter.list_order_products
        )
        with pytest.raises(cf.InvalidInputError) as e:
            lister(query)
        assert field == e.value.field
        assert [] == api_requests(emulator)


# --- answers the emulator never gives, through httpx.MockTransport --------------------------


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> Client:
    return imweb.make_client(
        IMWEB_KEY, IMWEB_SECRET, retry=FAST, transport=httpx.MockTransport(handler)
    )


def _envelope(data: object = None, code: int = 200, msg: str = "SUCCESS") -> dict[str, object]:
    return {"msg": msg, "code": code, "request_count": 1, "version": "v2", "data": data}


def _answer(body: object, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/auth":
            return httpx.Response(200, json={"msg": "SUCCESS", "code": 200, "access_token": "t"})
        if isinstance(body, bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    return handler


def _row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {"order_no": "11", "status": "COMPLETE", "claim_status": None}
    row.update(changes)
    return row


def _read(body: object, status: int = 200) -> Any:
    with _mock(_answer(body, status)) as adapter:
        return adapter.read(OrderRef("1:11"))


OP = cf.OrderProduct(
    "1:11",
    "imweb",
    "PREPARING",
    "P",
    1000,
    open_claim=cf.Claim("c", "CANCEL", "REQUESTED", "PREPARING"),
)


class TestErrorCodes:
    @pytest.mark.parametrize(
        ("code", "error"),
        [
            (-1, cf.AuthenticationError),
            (-5, cf.AuthenticationError),
            (-6, cf.AuthenticationError),
            (-7, cf.RateLimitedError),
            (-10, cf.MarketplaceRefusedError),
            (-11, cf.MarketplaceRefusedError),
            (-19, cf.MarketplaceUnavailableError),
            (-98, cf.MarketplaceRefusedError),
            (-99, cf.MarketplaceRefusedError),
            (-999, cf.MarketplaceUnavailableError),
            (404, cf.MarketplaceRefusedError),
        ],
    )
    def test_each_code_on_a_read(self, code: int, error: type[cf.MarketplaceError]) -> None:
        """Every documented body code of a read becomes its claimflow error (after retries
        where retrying is safe)."""
        with pytest.raises(error) as e:
            _read(_envelope(code=code, msg="오류"))
        assert type(e.value) is error
        if isinstance(e.value, cf.MarketplaceRefusedError):
            assert (str(code), "오류") == (e.value.code, e.value.message)

    @pytest.mark.parametrize("code", [-19, -999])
    def test_outage_codes_on_a_write_are_unknown_outcomes(self, code: int) -> None:
        """An internal error or maintenance answer to a write is never taken on trust: the
        outcome is unknown and reconcile decides."""
        with (
            _mock(_answer(_envelope(code=code))) as adapter,
            pytest.raises(cf.OutcomeUnknownError) as e,
        ):
            apply_remote(adapter, OP, "cancel.force", "SELLER")
        assert e.value.pending is not None

    def test_auto_refund_impossible_for_the_whole_call(self) -> None:
        """A whole-call '자동환불불가' is refused with code AUTO_REFUND_IMPOSSIBLE."""
        body = _envelope(code=-10, msg="자동환불불가 주문입니다")
        with _mock(_answer(body)) as adapter, pytest.raises(cf.MarketplaceRefusedError) as e:
            apply_remote(adapter, OP, "cancel.approve", "SELLER")
        assert imweb.AUTO_REFUND_IMPOSSIBLE == e.value.code
        assert "code -10" in e.value.message

    def test_http_401_without_json_reissues_once_then_fails(self) -> None:
        """HTTP 401 (a gateway page, no envelope) re-issues the token once, then raises
        AuthenticationError."""
        tokens: list[str] = []

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/v2/auth":
                tokens.append("t")
                return httpx.Response(200, json={"code": 200, "access_token": f"t{len(tokens)}"})
            return httpx.Response(401, content=b"<html>401</html>")

        with _mock(handler) as adapter, pytest.raises(cf.AuthenticationError):
            adapter.read(OrderRef("1:11"))
        assert 2 == len(tokens)


class TestUnexpectedResponses:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"msg": "SUCCESS"}, "code"),
            (_envelope({"list": []}), "data"),
            (_envelope([_row(status="TELEPORTED")]), "data[0].status"),
            (_envelope([_row(claim_status="RETURN_LOST")]), "data[0].claim_status"),
            (
                _envelope([_row(claim_status="RETURN_REQUEST", claim_type="EXCHANGE")]),
                "data[0].claim_type",
            ),
            (_envelope([{"status": "COMPLETE"}]), "data[0].order_no"),
        ],
    )
    def test_names_the_field(self, body: object, field: str) -> None:
        """A missing field, an unknown code, a claim status of another type: a typed error
        naming the field, never a default (a body that is not JSON is the contract's)."""
        with pytest.raises(cf.UnexpectedResponseError) as e:
            _read(body)
        assert (field, "imweb") == (e.value.field, e.value.marketplace)

    def test_naver_pay_is_known_by_the_type_filter(self) -> None:
        """The order list has no order_type field (§5.2): a row read unfiltered has no channel;
        listed with OrderQuery(channel=NPAY) the call carries type=npay and every row is npay."""
        page = {"list": [{"order_no": "1"}], "pagenation": {"current_page": 1, "total_page": 1}}
        items = _envelope([_row(order_no="11")])
        sent: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/v2/auth":
                token = {"msg": "SUCCESS", "code": 200, "access_token": "t"}
                return httpx.Response(200, json=token)
            sent.append(request)
            body = page if request.url.path.endswith("/orders") else items["data"]
            return httpx.Response(200, json=_envelope(body))

        with _mock(answer) as adapter:
            [plain] = adapter.list_order_products(OrderQuery()).items
            [npay] = adapter.list_order_products(OrderQuery(channel=cf.PaymentChannel.NPAY)).items
        assert (None, cf.PaymentChannel.NPAY) == (plain.payment_channel, npay.payment_channel)
        assert [None, "npay"] == [
            r.url.params.get("type") for r in sent if r.url.path.endswith("/orders")
        ]

    def test_missing_pagination(self) -> None:
        """An order list without its pagination is an error naming it."""
        with (
            _mock(_answer(_envelope({"list": []}))) as adapter,
            pytest.raises(cf.UnexpectedResponseError) as e,
        ):
            adapter.list_order_products(OrderQuery())
        assert "data.pagenation" == e.value.field

    def test_action_answer_naming_neither_list_is_unknown_outcome(self) -> None:
        """An action answer that names the order in neither success nor failed may have been
        carried out: OutcomeUnknownError with the pending action."""
        body = _envelope({"success": [], "failed": []})
        with _mock(_answer(body)) as adapter, pytest.raises(cf.OutcomeUnknownError) as e:
            apply_remote(adapter, OP, "cancel.force", "SELLER")
        assert "data.success" in str(e.value)
        assert e.value.pending is not None

    def test_failed_order_with_no_item_list_fails_every_item(self) -> None:
        """An order listed as failed without its items fails all of them [inferred]."""
        body = _envelope({"success": [], "failed": [{"order_no": 1}]})
        with _mock(_answer(body)) as adapter, pytest.raises(cf.MarketplaceRefusedError) as e:
            apply_remote(adapter, OP, "cancel.force", "SELLER")
        assert "ITEM_FAILED" == e.value.code


class TestReading:
    def test_pay_wait_is_an_explicit_unknown(self) -> None:
        """입금대기 has no claimflow status: status None, wire_status PAY_WAIT."""
        remote = _read(_envelope([_row(status="PAY_WAIT")]))
        assert ("PAY_WAIT", None) == (remote.wire_status, remote.status)

    def test_doc_misprint_is_accepted(self) -> None:
        """EXCHANGE_COLLECTIN (the doc's misprint) reads as EXCHANGE_COLLECTING."""
        remote = _read(_envelope([_row(claim_status="EXCHANGE_COLLECTIN", claim_type="EXCHANGE")]))
        assert remote.open_claim is not None
        assert (cf.Status.EXCHANGE_COLLECTING, cf.ClaimStatus.APPROVED, cf.Status.DELIVERED) == (
            remote.status,
            remote.open_claim.status,
            remote.open_claim.origin_status,
        )

    def test_canceling_reads_as_a_refunding_cancel(self) -> None:
        """CANCELING (취소요청중: the gateway refunding after accept) is the open cancel in
        REFUNDING on an unchanged line (rules.md I3), and reconcile takes a pending cancel
        request over to it."""
        body = _envelope([_row(status="STANDBY", claim_status="CANCELING", claim_type="CANCEL")])
        with _mock(_answer(body)) as adapter:
            remote = adapter.read(OrderRef("1:11"))
            synced = reconcile(adapter, OP)
        assert remote.open_claim is not None
        assert (cf.Status.PREPARING, cf.ClaimStatus.REFUNDING) == (
            remote.status,
            remote.open_claim.status,
        )
        assert synced.order_product.open_claim is not None
        assert (cf.Status.PREPARING, cf.ClaimStatus.REFUNDING) == (
            synced.order_product.status,
            synced.order_product.open_claim.status,
        )

    def test_item_fields_and_payment(self, emulator: ImwebEmulator, adapter: Client) -> None:
        """An item order reads with its product, price, count, order time and payment."""
        when = dt.datetime(2024, 3, 5, 10, 30, tzinfo=SEOUL)
        [op] = start(emulator, "SHIPPING", pay_type="virtual", ordered_at=when, unit_price=9900)

        remote = adapter.read(imweb.ImwebRef.parse(op.id).ref)

        assert (op.id, "DELIVERING", cf.Status.SHIPPING) == (
            remote.id,
            remote.wire_status,
            remote.status,
        )
        assert (op.item_id, 9900, 1) == (remote.item_id, remote.unit_price, remote.quantity)
        # prod-orders says nothing of the order: its time and payment come with the order list
        assert (None, None, None) == (
            remote.ordered_at,
            remote.payment_channel,
            remote.auto_refundable,
        )
        [listed] = adapter.list_order_products(
            OrderQuery(since=when.date(), until=when.date(), channel=cf.PaymentChannel.NORMAL)
        ).items
        assert (when, cf.PaymentChannel.NORMAL, False) == (
            listed.ordered_at,
            listed.payment_channel,
            listed.auto_refundable,
        )

    def test_status_tables_round_trip(self) -> None:
        """Every state the engine can produce on imweb is shown by wire_state and read back as
        the same status and open claim (with its origin and hold)."""
        states = cf.reachable_states("imweb")
        rows = []
        for i, (status, claim, _name) in enumerate(states):
            op = cf.OrderProduct(f"1:{i}", "imweb", status, "P", 1000, open_claim=claim)
            wire = imweb.wire_state(op)
            rows.append(
                _row(
                    order_no=str(i),
                    status=wire.status,
                    claim_status=wire.claim_status,
                    claim_type=wire.claim_type,
                )
            )
        with _mock(_answer(_envelope(rows))) as adapter:
            for i, (status, claim, name) in enumerate(states):
                remote = adapter.read(OrderRef(f"1:{i}"))
                got = remote.open_claim
                assert status == remote.status, name
                assert (claim is None) == (got is None), name
                if claim is not None and got is not None:
                    # a hold is not on the wire (§5.2): a held claim reads as what it holds
                    shown = claim.held_from if claim.status is cf.ClaimStatus.HELD else claim.status
                    assert (claim.type, shown, claim.origin_status, False) == (
                        got.type,
                        got.status,
                        got.origin_status,
                        got.hold_known,
                    ), name


class TestPagination:
    def test_order_products_over_offset_pages(
        self, emulator: ImwebEmulator, adapter: Client
    ) -> None:
        """Seven orders of two item orders each, three orders a page: three offset pages,
        each followed by the item orders of its orders, every order product once."""
        day = dt.datetime(2021, 4, 2, 10, tzinfo=SEOUL)  # no other test orders on that day
        ids = set()
        for n in range(7):
            order = emulator.add_order("PAID", "SHIPPING", ordered_at=day + dt.timedelta(minutes=n))
            ids |= set(order.items)

        rows = list(
            adapter.iter_order_products(OrderQuery(since=day.date(), until=day.date(), page_size=3))
        )

        assert ids == {r.id for r in rows}
        assert 14 == len(rows)
        lists = [dict(r.query) for r in api_requests(emulator) if r.path == "/v2/shop/orders"]
        assert [("1", "3"), ("2", "3"), ("3", "3")] == [(q["offset"], q["limit"]) for q in lists]
        start_ts = int(day.replace(hour=0).timestamp())
        assert {(str(start_ts), str(start_ts + 86_399))} == {
            (q["order_date_from"], q["order_date_to"]) for q in lists
        }
        assert 7 == sum(r.path.endswith("/prod-orders") for r in api_requests(emulator))

    def test_claims_by_status_over_pages(self) -> None:
        """Claims are the item orders' current claims: a claim_status filter goes on the wire,
        pages follow, and only the matching items of each order come back."""
        emulator = IMWEB.emulator()
        wanted = set()
        for _ in range(5):
            order = emulator.add_order("DELIVERED", "DELIVERED")
            emulator.buyer(order.items[0], "return.request", reason_code="BROKEN")
            emulator.store.act(order.items[0], "return.approve", "SELLER")
            emulator.buyer(order.items[1], "exchange.request", reason_code="WRONG_OPTION")
            wanted.add(order.items[0])
        emulator.add_order("PAID")  # no claim: not on the filtered list
        query = ClaimQuery(claim_type="RETURN", claim_status="APPROVED", page_size=2)
        with serve_in_thread(emulator.app) as server, make_sync(server) as adapter:
            first = adapter.list_claims(query)
            claims = list(adapter.iter_claims(query))
        assert "2" == first.next_cursor
        assert wanted == {c.order_product_id for c in claims}
        assert {("RETURN_COLLECTING", cf.ClaimStatus.APPROVED)} == {
            (c.wire_status, c.status) for c in claims
        }
        lists = [dict(r.query) for r in api_requests(emulator) if r.path == "/v2/shop/orders"]
        assert {"RETURN_COLLECTING"} == {q["claim_status"] for q in lists}

    def test_status_filter_uses_the_claim_code(
        self, emulator: ImwebEmulator, adapter: Client
    ) -> None:
        """반품수거중 is a claim_status on imweb: the one filter is claim_status, and the page
        holds only the matching item orders."""
        day = dt.datetime(2020, 1, 7, 9, tzinfo=SEOUL)
        ops = requested(emulator, adapter, "DELIVERED", "return.request", items=2, ordered_at=day)
        apply_remote(adapter, ops[0], "return.approve", "SELLER")
        emulator.reset()

        page = adapter.list_order_products(
            OrderQuery(status="RETURN_COLLECTING", since=day.date(), until=day.date())
        )

        assert [ops[0].id] == [r.id for r in page.items]
        assert "RETURN_COLLECTING" == dict(api_requests(emulator)[0].query)["claim_status"]

    def test_named_orders_need_no_list_call(self, emulator: ImwebEmulator, adapter: Client) -> None:
        """Order products of named orders come straight from their prod-orders, one page."""
        ops = start(emulator, "PAID", "PREPARING", "SHIPPING")
        order_no = imweb.ImwebRef.parse(ops[0].id).order_no

        page = adapter.list_order_products(OrderQuery(order_ids=(order_no,)))

        assert ([op.id for op in ops], None) == ([r.id for r in page.items], page.next_cursor)
        assert [f"/v2/shop/orders/{order_no}/prod-orders"] == [
            r.path for r in api_requests(emulator)
        ]


class TestAsync:
    @pytest.mark.anyio
    async def test_async_walk_batch_and_drop(
        self, emulator: ImwebEmulator, server: RunningServer
    ) -> None:
        """The async adapter walks a Naver Pay return with a hold, commits a partial batch and
        resolves a dropped answer by reconcile."""
        ops = start(emulator, "DELIVERED", "DELIVERED", "DELIVERED", order_type="npay")
        for op in ops:
            emulator.buyer(op.id, "return.request", reason_code="BROKEN")
        async with make_async(server) as adapter:
            ops = [(await reconcile_async(adapter, op)).order_product for op in ops]
            emulator.inject(Fault.PARTIAL_FAILURE, on="write")
            batch = await apply_remote_many_async(adapter, ops, "return.approve", "SELLER")
            op = batch.items[0].order_product
            for step in ("return.hold", "return.release"):
                params = {"reason": "추가 비용"} if step == "return.hold" else {}
                op = (await apply_remote_async(adapter, op, step, "SELLER", **params)).order_product
            emulator.inject(Fault.DROP_AFTER_COMMIT, on="write")
            with pytest.raises(cf.OutcomeUnknownError) as e:
                await apply_remote_async(adapter, op, "return.collect", "SELLER")
            synced = await reconcile_async(adapter, op, pending=e.value.pending)
            claims = [
                c
                async for c in adapter.iter_claims(ClaimQuery(order_ids=(ops[0].id.split(":")[0],)))
            ]
        assert [True, True, False] == [i.result.ok for i in batch.items]
        assert (ReconcileOutcome.APPLIED, cf.Status.RETURN_COLLECTED) == (
            synced.outcome,
            synced.order_product.status,
        )
        assert [cf.ClaimStatus.COLLECTED, cf.ClaimStatus.APPROVED, cf.ClaimStatus.REQUESTED] == [
            c.status for c in claims
        ]

    @pytest.mark.anyio
    async def test_async_every_step_of_an_exchange(
        self, emulator: ImwebEmulator, async_adapter: Any
    ) -> None:
        """Every exchange step of I16 goes through the async adapter as documented."""
        [op] = start(emulator, "DELIVERED")
        emulator.buyer(op.id, "exchange.request", reason_code="COLOR_AND_SIZE")
        op = (await reconcile_async(async_adapter, op)).order_product
        steps = ("exchange.approve", "exchange.hold", "exchange.release", "exchange.collect",
                 "exchange.redeliver", "exchange.complete")  # fmt: skip
        for step in steps:
            done = await apply_remote_async(
                async_adapter, op, step, "SELLER", **PARAMS.get(step, {})
            )
            assert expected_request(step, op) == sent(emulator)
            op = done.order_product
        assert cf.Status.EXCHANGED == op.status
        assert ReconcileOutcome.IN_SYNC == (await reconcile_async(async_adapter, op)).outcome

    @pytest.mark.anyio
    async def test_cancel_rejection_records_the_carrier(self) -> None:
        """A cancel rejected with a carrier (in-process, through httpx.ASGITransport) ships the
        order; the carrier travels as imweb's parcel code and is recorded by its name."""
        emulator = IMWEB.emulator()
        [op] = start(emulator, "PREPARING")
        emulator.buyer(op.id, "cancel.request", reason_code="INTENT_CHANGED")
        async with IMWEB.in_process(emulator.app) as adapter:
            synced = await reconcile_async(adapter, op)
            done = await apply_remote_async(
                adapter, synced.order_product, "cancel.reject", "SELLER",
                carrier=CARRIER, tracking_number=TRACKING,
            )  # fmt: skip
        assert cf.Status.SHIPPING == done.order_product.status
        # parcel_code travels as imweb's carrier code and is recorded as the carrier's name
        assert ("DELIVERING", ("CJ대한통운", TRACKING)) == (
            emulator.wire(op.id).status,
            emulator.store.get(op.id).delivery,
        )


class TestFramework:
    def test_ids_carry_the_order_number(self) -> None:
        """An imweb order product id is '{order_no}:{prod_order_no}'; others are refused."""
        ref = imweb.ImwebRef.parse("202401010001:P7")
        assert ("202401010001", "P7", "202401010001:P7") == (
            ref.order_no,
            ref.prod_order_no,
            ref.id,
        )
        for bad in ("P7", ":P7", "1:", "1:2:3"):
            with pytest.raises(cf.InvalidInputError) as e:
                imweb.ImwebRef.parse(bad)
            assert "order_product_id" == e.value.field

    def test_order_id_must_match_the_id(self) -> None:
        """An OrderRef naming another order than the id's is refused before sending."""
        action = RemoteAction("imweb", "return.approve", "1:11", order_id="2")
        with _mock(_answer({})) as adapter, pytest.raises(cf.InvalidInputError) as e:
            adapter.perform(action)
        assert "order_id" == e.value.field

    def test_claim_status_codes_both_ways(self) -> None:
        """A hold is no claim_status on the wire; open claims map to their code."""
        assert "RETURN_COLLECT_DONE" == imweb.claim_status_code(
            cf.ClaimType.RETURN, cf.ClaimStatus.COLLECTED
        )
        with pytest.raises(cf.InvalidInputError):
            imweb.claim_status_code(cf.ClaimType.RETURN, cf.ClaimStatus.HELD)

    def test_make_app_seeds_orders(self) -> None:
        """The serve factory builds an app with seeded orders of several item orders."""
        app = make_app(orders=6, seed=3)
        emulator: ImwebEmulator = app.state.emulator
        assert 6 == len(emulator.orders())
        assert len(emulator.store.records()) >= 6
