"""What is Toss Shopping's own, against the Toss emulator over real HTTP on 127.0.0.1 (and
``httpx.MockTransport`` for answers it never gives). What every adapter does is in
``test_contract.py`` (``TestTossContract``).

Every seller action of rules.md's Toss table end to end (buyer actions through the emulator's
control path) with the request shapes against the documented paths and bodies, buyer withdrawals,
the unpublished T20 path, Toss's filters, its malformed answers, windows and cursors of its
pagination, its folded status codes, reads by id, one item per call, and ``claimflow emulate``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest

import claimflow as cf
from claimflow._vocab import SEOUL
from claimflow.adapters import (
    ActionResult,
    ClaimQuery,
    Client,
    ItemResult,
    OrderQuery,
    OrderRef,
    ReconcileOutcome,
    RemoteAction,
    apply_remote,
    apply_remote_async,
    apply_remote_many,
    reconcile,
    reconcile_async,
    toss,
)
from claimflow.emulators import toss as toss_emulator
from claimflow.emulators.toss import TossEmulator

from .kits import FAST, TOSS, Setup

KIT = TOSS
start, requested, writes, api_requests = TOSS.start, TOSS.requested, TOSS.writes, TOSS.api_requests

P = "/api/v3/shopping-fep"
CARRIER, TRACKING = "CJ대한통운", "1022-5765-4265"
REASON = "태그 뜯음"

#: The documented request of each seller action (marketplaces.md §1 and the seeds), written out
#: independently of the adapter's spec: method, path template, JSON body (None: no body).
DOCUMENTED: dict[str, tuple[str, str, dict[str, str] | None]] = {
    "cancel.approve": ("POST", "/claims/{claimId}/cancel/approval", None),
    "cancel.reject": (
        "POST",
        "/claims/{claimId}/cancel/rejection",
        {"deliveryCompany": CARRIER, "shippingTrackingNumber": TRACKING},
    ),
    "cancel.by_seller": (
        "POST",
        "/order-products/{orderProductId}/seller-cancel",
        {"deliveryPenaltyCharger": "USER", "reason": "재고 부족"},
    ),
    "return.approve": ("POST", "/claims/{claimId}/return/approval", None),
    "return.reject": (
        "POST",
        "/claims/{claimId}/return/rejection",
        {"requestRejectReason": REASON},
    ),
    "return.collect": ("POST", "/claims/{claimId}/return/collection", None),
    "return.complete": ("POST", "/claims/{claimId}/return/completion", None),
    "return.reject_collected": (
        "POST",
        "/claims/{claimId}/return/collection-rejection",
        {"rejectReason": REASON},
    ),
    "exchange.approve": ("POST", "/claims/{claimId}/exchange/approval", None),
    "exchange.reject": (
        "POST",
        "/claims/{claimId}/exchange/rejection",
        {"requestRejectReason": REASON},
    ),
    "exchange.collect": ("POST", "/claims/{claimId}/exchange/collection", None),
    "exchange.redeliver": (
        "POST",
        "/claims/{claimId}/exchange/delivery",
        {"deliveryCompany": CARRIER, "shippingTrackingNumber": TRACKING},
    ),
    "exchange.complete": ("POST", "/claims/{claimId}/exchange/completion", None),
    "exchange.reject_collected": (
        "POST",
        "/claims/{claimId}/exchange/collection-rejection",
        {"rejectReason": REASON},
    ),
}

PARAMS: dict[str, dict[str, object]] = {
    "cancel.reject": {"carrier": CARRIER, "tracking_number": TRACKING},
    "cancel.by_seller": {"fee_payer": "USER", "reason": "재고 부족"},
    "return.reject": {"reason": REASON},
    "return.reject_collected": {"reason": REASON},
    "exchange.reject": {"reason": REASON},
    "exchange.redeliver": {"carrier": CARRIER, "tracking_number": TRACKING},
    "exchange.reject_collected": {"reason": REASON},
}


@attrs.frozen
class Scenario:
    """A walk through rules.md's Toss table: a start, a buyer request, seller steps, the end."""

    rules: str
    status: str
    request: str | None
    steps: tuple[str, ...]
    final_status: str
    final_claim: str | None  # the status of the claim concerned at the end


SCENARIOS = [
    Scenario("T2 T3", "PREPARING", "cancel.request", ("cancel.approve",), "CANCELED", "APPROVED"),
    Scenario("T2 T4", "DELAYED", "cancel.request", ("cancel.reject",), "SHIPPING", "REJECTED"),
    Scenario("T5", "DELIVERED", None, ("cancel.by_seller",), "CANCELED", None),
    Scenario(
        "T6 T5", "SHIPPING", "return.request", ("cancel.by_seller",), "CANCELED",
        "CLOSED_BY_SELLER_CANCEL",
    ),
    Scenario(
        "T6 T8 T10 T11", "DELIVERED", "return.request",
        ("return.approve", "return.collect", "return.complete"), "RETURNED", "COMPLETED",
    ),
    Scenario("T6 T9", "SHIPPING", "return.request", ("return.reject",), "SHIPPING", "REJECTED"),
    Scenario(
        "T6 T8 T10 T12", "DELIVERED", "return.request",
        ("return.approve", "return.collect", "return.reject_collected"), "DELIVERED",
        "COLLECTION_REJECTED",
    ),
    Scenario(
        "T13 T15 T17 T18 T21", "DELIVERED", "exchange.request",
        ("exchange.approve", "exchange.collect", "exchange.redeliver", "exchange.complete"),
        "EXCHANGED", "COMPLETED",
    ),
    Scenario(
        "T13 T16", "SHIPPING", "exchange.request", ("exchange.reject",), "SHIPPING", "REJECTED"
    ),
    Scenario(
        "T13 T15 T17 T19", "DELIVERED", "exchange.request",
        ("exchange.approve", "exchange.collect", "exchange.reject_collected"), "DELIVERED",
        "COLLECTION_REJECTED",
    ),
]  # fmt: skip


def shape(op: cf.OrderProduct) -> tuple[object, ...]:
    """What the two sides must agree on: status, open claim, closed claims (ids, types, states)."""

    def claim(c: cf.Claim | None) -> tuple[object, ...] | None:
        return None if c is None else (c.id, c.type, c.status, c.origin_status)

    return (op.status, claim(op.open_claim), tuple(claim(c) for c in op.closed_claims))


def expected_request(action: str, setup: Setup) -> tuple[str, str, object]:
    """The documented method, path and body of *action* on *setup*'s order product."""
    method, template, body = DOCUMENTED[action]
    claim_id = setup.op.open_claim.id if setup.op.open_claim else "-"
    path = P + template.format(claimId=claim_id, orderProductId=setup.op.id)
    return method, path, body


def sent(emulator: TossEmulator) -> tuple[str, str, object]:
    """The last write request the emulator received."""
    last = writes(emulator)[-1]
    return last.method, last.path, last.json


class TestActions:
    @pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.rules)
    def test_every_seller_action_end_to_end(
        self, emulator: TossEmulator, adapter: Client, scenario: Scenario
    ) -> None:
        """Each seller action is sent as documented, accepted, and committed locally; at the end
        the local order product is the emulator's, and reconcile finds nothing to do."""
        if scenario.request:
            s = requested(emulator, adapter, scenario.status, scenario.request, reason="고객 요청")
        else:
            s = start(emulator, scenario.status)
        concerned = s.op.open_claim.id if s.op.open_claim else None
        for action in scenario.steps:
            done = apply_remote(
                adapter, s.op, action, "SELLER", ref=s.ref, **PARAMS.get(action, {})
            )
            assert expected_request(action, s) == sent(emulator)
            assert done.result.ok
            s = Setup(done.order_product, s.ref)

        remote = emulator.store.get(s.op.id).op
        assert scenario.final_status == s.op.status
        assert shape(remote) == shape(s.op)
        claims = {c.id: c for c in s.op.closed_claims}
        if s.op.open_claim:
            claims[s.op.open_claim.id] = s.op.open_claim
        assert scenario.final_claim == (claims[concerned].status if concerned else None)
        assert ReconcileOutcome.IN_SYNC == reconcile(adapter, s.op, ref=s.ref).outcome

    @pytest.mark.parametrize(
        "case",
        [
            ("T1", "PAID", ("cancel.request",), "CANCELED", None),
            ("T6 T7", "DELIVERED", ("return.request", "return.withdraw"), "DELIVERED", "WITHDRAWN"),
            (
                "T13 T14", "SHIPPING", ("exchange.request", "exchange.withdraw"), "SHIPPING",
                "WITHDRAWN",
            ),
        ],
    )  # fmt: skip
    def test_buyer_actions_arrive_by_reconcile(
        self, emulator: TossEmulator, adapter: Client, case: tuple[Any, ...]
    ) -> None:
        """What the buyer does in the Toss app reaches the local side by reading it back."""
        _rules, status, buyer_actions, final_status, final_claim = case
        s = start(emulator, status)
        for action in buyer_actions:
            params = {"reason": "변심"} if action.endswith("request") else {}
            emulator.buyer(s.op.id, action, **params)

        synced = reconcile(adapter, s.op, ref=s.ref)

        assert ReconcileOutcome.ADOPTED == synced.outcome
        assert final_status == synced.order_product.status
        closed = synced.order_product.closed_claims
        assert final_claim == (closed[-1].status if closed else None)
        # reconcile adopts the buyer's actions one by one (store's _commit: the shortest chain
        # of actions that explains the remote state), one version each
        assert s.op.version + len(buyer_actions) == synced.order_product.version

    def test_change_exchange_invoice_is_not_guessed(
        self, emulator: TossEmulator, adapter: Client
    ) -> None:
        """T20's path is not published: a typed error says so, and nothing is sent."""
        s = requested(emulator, adapter, "DELIVERED", "exchange.request", reason="사이즈")
        for action in ("exchange.approve", "exchange.collect", "exchange.redeliver"):
            s = Setup(
                apply_remote(
                    adapter, s.op, action, "SELLER", ref=s.ref, **PARAMS.get(action, {})
                ).order_product,
                s.ref,
            )
        before = len(writes(emulator))

        with pytest.raises(cf.NotSupportedError) as e:
            apply_remote(
                adapter, s.op, "exchange.change_invoice", "SELLER", ref=s.ref,
                carrier=CARRIER, tracking_number="9999-0000",
            )  # fmt: skip

        assert e.value.documented
        assert "does not publish its path" in str(e.value)
        assert before == len(writes(emulator))


class TestErrors:
    def test_marketplace_refusal_leaves_local_state(
        self, emulator: TossEmulator, adapter: Client
    ) -> None:
        """When Toss refuses (the buyer withdrew meanwhile), the error carries Toss's code and
        message, the local order product is unchanged, and reconcile adopts the withdrawal."""
        s = requested(emulator, adapter, "DELIVERED", "return.request", reason="변심")
        emulator.buyer(s.op.id, "return.withdraw")
        before = s.op

        with pytest.raises(cf.MarketplaceRefusedError) as e:
            apply_remote(adapter, s.op, "return.approve", "SELLER", ref=s.ref)

        assert "INVALID_REQUEST" == e.value.code
        assert "toss" == e.value.marketplace
        assert s.op.id == e.value.order_product_id
        assert cf.Action.RETURN_APPROVE == e.value.action
        assert before == s.op
        synced = reconcile(adapter, s.op, ref=s.ref)
        assert cf.ClaimStatus.WITHDRAWN == synced.order_product.closed_claims[-1].status

    def test_unsupported_filter_is_input_error(self, adapter: Client) -> None:
        """A claim status Toss does not have is refused before anything is sent."""
        with pytest.raises(cf.InvalidInputError) as e:
            adapter.list_claims(ClaimQuery(claim_status=cf.ClaimStatus.HELD))
        assert "claim_status" == e.value.field


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> Client:
    return TOSS.mock(handler)


def _answer(body: object, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    return handler


def _claim_item(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "id": 1,
        "type": "RETURN",
        "status": "REQUESTED",
        "requestedDt": "2024-05-01T10:00:00",
        "order": {"id": "O1", "orderProductId": "OP1"},
    }
    item.update(changes)
    return item


class TestUnexpectedResponses:
    @pytest.mark.parametrize(
        ("body", "status", "field"),
        [
            ({"resultType": "MAYBE"}, 200, "resultType"),
            ({"success": {}}, 200, "resultType"),
            (
                {"resultType": "SUCCESS", "success": {"items": [_claim_item(status="LOST")]}},
                200,
                "success.items[0].status",
            ),
            (
                {"resultType": "SUCCESS", "success": {"items": [_claim_item(order={})]}},
                200,
                "success.items[0].order.orderProductId",
            ),
            (
                {"resultType": "SUCCESS", "success": {"items": [], "hasNext": True}},
                200,
                "success.nextToken",
            ),
        ],
    )
    def test_names_the_field(self, body: object, status: int, field: str) -> None:
        """A missing field, an unknown code, a page with more and no token: a typed error naming
        it (a body that is not JSON and an unknown HTTP status are the contract's)."""
        with (
            _mock(_answer(body, status)) as adapter,
            pytest.raises(cf.UnexpectedResponseError) as e,
        ):
            adapter.list_claims()
        assert field == e.value.field
        assert "toss" == e.value.marketplace

    def test_unknown_order_status_code(self) -> None:
        """An orderProductStatus Toss never documented is an error naming it, not a default."""
        row = {"orderId": "O1", "orderProductId": "OP1", "orderProductStatus": "TELEPORTED"}
        body = {"resultType": "SUCCESS", "success": {"results": [row], "nextCursor": None}}
        day = dt.date(2024, 5, 1)
        with _mock(_answer(body)) as adapter, pytest.raises(cf.UnexpectedResponseError) as e:
            adapter.list_order_products(OrderQuery(since=day, until=day))
        assert "success.results[0].orderProductStatus" == e.value.field
        assert "TELEPORTED" in str(e.value)


class TestPagination:
    def test_claims_over_windows_and_pages(self, emulator: TossEmulator, adapter: Client) -> None:
        """Claims over 10 days come in two windows (7 + 3 days), each over several nextToken
        pages, every claim once."""
        first = dt.datetime(2021, 3, 1, 9, tzinfo=SEOUL)
        ids = []
        for i in range(23):
            s = start(emulator, "DELIVERED", ordered_at=first - dt.timedelta(days=3))
            emulator.buyer(
                s.op.id,
                "return.request",
                reason="변심",
                at=first + dt.timedelta(days=i % 10, minutes=i),
            )
            ids.append(s.op.id)
        query = ClaimQuery(since=first.date(), until=first.date() + dt.timedelta(days=9),
                           claim_type=cf.ClaimType.RETURN, page_size=4)  # fmt: skip

        claims = list(adapter.iter_claims(query))

        assert sorted(ids) == sorted(c.order_product_id for c in claims)
        sent_queries = [dict(r.query) for r in api_requests(emulator)]
        windows = {(q["fromRequestDate"], q["toRequestDate"]) for q in sent_queries}
        assert {("2021-03-01", "2021-03-07"), ("2021-03-08", "2021-03-10")} == windows
        assert 7 == len(sent_queries)  # 17 claims in 5 pages, then 6 in 2
        # Toss takes type and status only together (§5.1): a type alone is filtered locally
        assert all("type" not in q and q["size"] == "4" for q in sent_queries)
        assert 5 == sum("nextToken" in q for q in sent_queries)

    def test_orders_over_pages(self, emulator: TossEmulator, adapter: Client) -> None:
        """Order products of one day come over several nextCursor pages."""
        day = dt.datetime(2021, 4, 2, 10, tzinfo=SEOUL)
        ids = {start(emulator, "PAID", ordered_at=day).op.id for _ in range(12)}

        rows = list(adapter.iter_order_products(
            OrderQuery(since=day.date(), until=day.date(), page_size=5)))  # fmt: skip

        assert ids == {r.id for r in rows}
        assert {cf.Status.PAID} == {r.status for r in rows}
        queries = [dict(r.query) for r in api_requests(emulator)]
        assert [None, "c5", "c10"] == [q.get("nextCursor") for q in queries]
        assert {("2021-04-02", "2021-04-02", "5")} == {
            (q["startDate"], q["endDate"], q["limit"]) for q in queries
        }

    def test_one_page_and_its_cursor(self, emulator: TossEmulator, adapter: Client) -> None:
        """list_claims returns one page and the cursor of the next."""
        day = dt.datetime(2021, 5, 3, 10, tzinfo=SEOUL)
        for _ in range(3):
            s = start(emulator, "SHIPPING", ordered_at=day)
            emulator.buyer(s.op.id, "exchange.request", reason="사이즈", at=day)
        query = ClaimQuery(
            claim_type="EXCHANGE", claim_status="REQUESTED", since=day.date(), until=day.date(),
            page_size=2,
        )  # fmt: skip

        page = adapter.list_claims(query)
        rest = adapter.list_claims(query, page.next_cursor)

        first, second = (dict(r.query) for r in api_requests(emulator))
        assert {"type": "EXCHANGE", "status": "REQUESTED", "size": "2"}.items() <= first.items()
        assert page.next_cursor == second["nextToken"]
        assert 2 == len(page.items)
        assert (1, None) == (len(rest.items), rest.next_cursor)
        assert {cf.ClaimStatus.REQUESTED} == {c.status for c in (*page.items, *rest.items)}


class TestReading:
    def test_read_maps_folded_codes(self, emulator: TossEmulator, adapter: Client) -> None:
        """REQUESTED_RETURN hides the status under the request; CLAIM_COLLECTED with a return
        claim is 반품수거완료 with the claim COLLECTED."""
        s = requested(emulator, adapter, "DELIVERED", "return.request", reason="변심")
        remote = adapter.read(s.ref)
        assert ("REQUESTED_RETURN", None) == (remote.wire_status, remote.status)
        assert remote.open_claim is not None
        assert cf.ClaimStatus.REQUESTED == remote.open_claim.status

        for action in ("return.approve", "return.collect"):
            s = Setup(apply_remote(adapter, s.op, action, "SELLER", ref=s.ref).order_product, s.ref)
        remote = adapter.read(s.ref)

        assert ("CLAIM_COLLECTED", cf.Status.RETURN_COLLECTED) == (
            remote.wire_status,
            remote.status,
        )
        assert remote.open_claim is not None
        assert ("APPROVED", cf.ClaimStatus.COLLECTED) == (
            remote.open_claim.wire_status,
            remote.open_claim.status,
        )

    def test_the_readme_example_works(self, emulator: TossEmulator, adapter: Client) -> None:
        """README's adapter example, as written: a local order product (known by its id only)
        learns of the buyer's return by reconcile, then apply_remote approves it on Toss."""
        s = start(emulator, "DELIVERED")
        emulator.buyer(s.op.id, "return.request", reason="변심")
        op = reconcile(adapter, s.op).order_product  # no OrderRef, no date window

        done = apply_remote(adapter, op, "return.approve", "SELLER")  # the README's line
        op = done.order_product

        assert cf.Status.RETURN_COLLECTING == op.status
        assert cf.Status.RETURN_COLLECTING == emulator.store.get(op.id).op.status

    def test_read_by_id_alone(self, emulator: TossEmulator, adapter: Client) -> None:
        """One order product is read by its id alone (GET /orders/products/{id}, §5.1): no
        order day needed; an unknown id is the marketplace's refusal."""
        s = start(emulator, "PAID", ordered_at=dt.datetime(2021, 2, 3, 9, tzinfo=SEOUL))

        remote = adapter.read(OrderRef(s.op.id))

        assert (s.op.id, cf.Status.PAID) == (remote.id, remote.status)
        assert dt.datetime(2021, 2, 3, 9, tzinfo=SEOUL) == remote.ordered_at
        with pytest.raises(cf.MarketplaceRefusedError) as e:
            adapter.read(OrderRef("OP-x"))
        assert "ORDER_PRODUCT_NOT_FOUND" == e.value.code

    def test_status_tables_round_trip(self) -> None:
        """Every status and open claim the engine can produce on Toss maps to a wire code that
        maps back to it (given the claim's type and origin)."""
        for status, claim, name in cf.reachable_states("toss"):
            code = toss.order_status_code(status, (claim.type, claim.status) if claim else None)
            back = toss.ORDER_STATUS_CODES[code].resolve(claim.type if claim else None)
            assert back in {status, None}, (name, code)
            if back is None:  # hidden only under a pending request, whose origin is the status
                assert claim is not None
                assert (cf.ClaimStatus.REQUESTED, status) == (claim.status, claim.origin_status)


class TestAsync:
    @pytest.mark.anyio
    async def test_cancel_rejection_ships_with_the_invoice(self) -> None:
        """A cancel rejected with a carrier and tracking number (in-process, through
        httpx.ASGITransport) ships the order on Toss with that invoice."""
        emulator = TOSS.emulator()
        s = start(emulator, "PREPARING")
        emulator.buyer(s.op.id, "cancel.request", reason="변심")
        async with TOSS.in_process(emulator.app) as adapter:
            synced = await reconcile_async(adapter, s.op, ref=s.ref)
            done = await apply_remote_async(
                adapter, synced.order_product, "cancel.reject", "SELLER", ref=s.ref,
                carrier=CARRIER, tracking_number=TRACKING,
            )  # fmt: skip
        assert cf.Status.SHIPPING == done.order_product.status
        assert ("DELIVERING", (CARRIER, TRACKING)) == (
            emulator.wire_status(s.op.id),
            emulator.store.get(s.op.id).delivery,
        )


class TestFramework:
    def test_one_item_per_call(self) -> None:
        """Toss takes one order product per call; a batch is refused before anything is sent."""
        ops = [cf.OrderProduct(f"OP{i}", "toss", "DELIVERED", "I", 1000) for i in range(2)]
        with _mock(_answer({})) as adapter, pytest.raises(cf.InvalidInputError) as e:
            apply_remote_many(
                adapter, ops, "cancel.by_seller", "SELLER", fee_payer="USER", reason="x"
            )
        assert "item_ids" == e.value.field

    def test_partial_success_commits_only_the_items_that_succeeded(self) -> None:
        """With a marketplace that reports items (as imweb does), only succeeded items commit."""
        spec = attrs.evolve(
            toss.SPEC,
            max_items=None,
            parse_action=_items_result,
        )
        ops = [cf.OrderProduct(f"OP{i}", "toss", "DELIVERED", "I", 1000) for i in range(3)]
        answer = {"resultType": "SUCCESS", "success": {"failed": ["OP1"]}}
        with Client(spec, _mock(_answer(answer))._http, retry=FAST) as adapter:
            batch = apply_remote_many(
                adapter, ops, "cancel.by_seller", "SELLER", fee_payer="USER", reason="x"
            )
        assert not batch.ok
        assert [cf.Status.CANCELED, cf.Status.DELIVERED, cf.Status.CANCELED] == [
            i.order_product.status for i in batch.items
        ]
        assert [True, False, True] == [i.applied is not None for i in batch.items]


def _items_result(action: RemoteAction, payload: Any) -> ActionResult:
    failed = set(payload["failed"])
    return ActionResult(
        action,
        tuple(
            ItemResult(i, i not in failed, *(("E1", "품절") if i in failed else (None, None)))
            for i in action.items
        ),
    )


class TestCli:
    def test_emulate_serves_the_token_endpoint(self, tmp_path: Any) -> None:
        """`claimflow emulate toss --port N` serves Toss's token endpoint on 127.0.0.1."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, "-m", "claimflow", "emulate", "toss", "--port", str(port),
             "--orders", "5", "--fault", "latency=0.001"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ},
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    response = httpx.post(
                        f"http://127.0.0.1:{port}/token",
                        data={
                            "grant_type": "client_credentials",
                            "client_id": toss_emulator.CREDENTIALS[0],
                            "client_secret": toss_emulator.CREDENTIALS[1],
                            "scope": "toss-shopping-fep:write",
                        },
                    )
                    break
                except httpx.ConnectError:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(10)
        assert 200 == response.status_code
        assert {"access_token", "expires_in", "scope", "token_type"} == set(
            json.loads(response.text)
        )
