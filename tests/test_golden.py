"""The codecs against golden samples written from the documents (tests/golden/, see its README).

A golden sample is the outside truth: each file names the fact of ``shared/spec/marketplaces.md``
(or a seed) it encodes and its tag. When a codec and a golden sample disagree, the codec is wrong
unless a source says otherwise. Three checks:

(a) the adapter sends exactly the documented request for every action (method, path, body);
(b) it parses every documented answer (the real captured Toss claim item included);
(c) the emulator reads the documented requests with the same codec and answers in the
    documented shapes.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

import claimflow as cf
from claimflow import exceptions
from claimflow.adapters import OrderQuery, OrderRef, RemoteAction, imweb, toss, x2bee
from claimflow.adapters.codecs import imweb as imweb_codec
from claimflow.adapters.codecs import toss as toss_codec
from claimflow.adapters.codecs import x2bee as x2bee_codec
from claimflow.emulators import toss as toss_emulator_module
from claimflow.emulators import x2bee as x2bee_emulator_module
from claimflow.emulators.imweb import ImwebEmulator
from claimflow.emulators.toss import TossEmulator
from claimflow.emulators.x2bee import X2beeEmulator

GOLDEN = pathlib.Path(__file__).parent / "golden"
FAST = cf.adapters.RetryPolicy(attempts=1, timeout=1.0, wait_initial=0.0, wait_max=0.0)
MARKETPLACES = ("toss", "imweb", "x2bee")


def _samples(prefix: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for mp in MARKETPLACES:
        for path in sorted((GOLDEN / mp).glob(f"{prefix}*.json")):
            out.append((mp, json.loads(path.read_text(encoding="utf-8"))))
    return out


def _id(sample: tuple[str, dict[str, Any]]) -> str:
    mp, doc = sample
    return f"{mp}:{doc.get('action') or doc.get('kind')}:{doc['tag']}"


REQUESTS = _samples("request_")
RESPONSES = _samples("response_")
UNSUPPORTED = _samples("unsupported_")


def _params(raw: dict[str, Any]) -> tuple[tuple[str, object], ...]:
    values = dict(raw)
    if "shipping_deadline" in values:
        values["shipping_deadline"] = dt.date.fromisoformat(values["shipping_deadline"])
    return tuple(sorted(values.items()))


def _action(mp: str, doc: dict[str, Any]) -> RemoteAction:
    ids = doc.get("ids", {})
    return RemoteAction(
        mp,
        doc["action"],
        ids["order_product_id"],
        claim_id=ids.get("claim_id"),
        order_id=ids.get("order_id"),
        item_ids=tuple(ids.get("item_ids", ())),
        params=_params(doc.get("params", {})),
    )


Handler = Callable[[httpx.Request], httpx.Response]


def _token_or(handler: Handler) -> Handler:
    """Answers the token endpoints, then *handler*."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3599})
        if request.url.path == "/v2/auth":
            return httpx.Response(200, json={"msg": "SUCCESS", "code": 200, "access_token": "t"})
        return handler(request)

    return answer


def _client(mp: str, handler: Handler) -> Any:
    transport = httpx.MockTransport(_token_or(handler))
    if mp == "toss":
        return toss.make_client("id", "secret", retry=FAST, transport=transport)
    if mp == "imweb":
        return imweb.make_client("key", "secret", retry=FAST, transport=transport)
    return x2bee.make_client("token", retry=FAST, transport=transport)


_SUCCESS: dict[str, Callable[[RemoteAction], httpx.Response]] = {
    "toss": lambda a: httpx.Response(200, json={"resultType": "SUCCESS", "success": {}}),
    "imweb": lambda a: httpx.Response(
        200,
        json={"msg": "SUCCESS", "code": 200, "data": {"success": [a.order_id], "failed": []}},
    ),
    "x2bee": lambda a: httpx.Response(200),
}


def _body(request: httpx.Request) -> object:
    return json.loads(request.content) if request.content else None


def _where(mp: str, request: httpx.Request) -> str:
    """The path as the golden sample writes it (x2bee: the absolute URL; it has three hosts)."""
    url = request.url
    return f"{url.scheme}://{url.host}{url.path}" if mp == "x2bee" else url.path


class TestRequests:
    @pytest.mark.parametrize(("mp", "doc"), REQUESTS, ids=[_id(s) for s in REQUESTS])
    def test_the_adapter_sends_the_documented_request(self, mp: str, doc: dict[str, Any]) -> None:
        """The adapter, encoding through its codec, sends exactly the documented method, path and
        JSON body for the action."""
        action = _action(mp, doc)
        sent: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return _SUCCESS[mp](action)

        with _client(mp, answer) as adapter:
            adapter.perform(action)

        [request] = sent
        expected = doc["request"]
        assert (expected["method"], expected["path"], expected["body"]) == (
            request.method,
            _where(mp, request),
            _body(request),
        )

    @pytest.mark.parametrize(("mp", "doc"), UNSUPPORTED, ids=[_id(s) for s in UNSUPPORTED])
    def test_undocumented_calls_are_refused_before_sending(
        self, mp: str, doc: dict[str, Any]
    ) -> None:
        """An action with no documented call raises NotSupportedError naming the missing fact,
        and nothing is sent."""
        sent: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return httpx.Response(500)

        with _client(mp, answer) as adapter, pytest.raises(cf.NotSupportedError) as e:
            adapter.perform(_action(mp, doc))
        assert [] == sent
        expect = doc["expect"]
        if "documented" in expect:
            assert expect["documented"] == e.value.documented
        if "says" in expect:
            assert expect["says"] in str(e.value)

    def test_every_action_with_an_endpoint_has_a_golden_request(self) -> None:
        """No codec endpoint goes unchecked: every action a codec sends has a golden sample."""
        covered = {(mp, doc["action"]) for mp, doc in REQUESTS}
        actions = {("toss", str(a)) for a in toss_codec.ACTIONS} | {
            ("imweb", str(a)) for a in imweb_codec.ACTIONS
        }
        x2bee_golden = {("x2bee", a) for mp, a in covered if mp == "x2bee"}
        assert set() == actions - covered
        # x2bee's storefront calls (cancelFO, ordChangeFO) have no documented body: their field
        # names are [inferred] and have no golden sample; the documented ones do
        assert {("x2bee", "return.complete"), ("x2bee", "return.collect")} <= x2bee_golden


def _check_claims(expect: list[dict[str, Any]], claims: Any) -> None:
    actual = [
        {
            "id": c.id,
            "type": str(c.type),
            "status": str(c.status),
            "wire_status": c.wire_status,
            "is_open": c.is_open,
            "order_product_id": c.order_product_id,
            "order_id": c.order_id,
            "reason": c.reason,
            "fee_payer": c.fee_payer,
            "money": dict(c.money),
        }
        for c in claims
    ]
    assert expect == actual


def _row_view(r: Any, keys: Any) -> dict[str, Any]:
    values = {
        "id": r.id,
        "order_id": r.order_id,
        "wire_status": r.wire_status,
        "status": None if r.status is None else str(r.status),
        "ordered_at": None if r.ordered_at is None else r.ordered_at.isoformat(),
        "unit_price": r.unit_price,
        "quantity": r.quantity,
        "name": r.name,
        "money": dict(r.money),
    }
    if "claim" in keys:
        c = r.open_claim
        values["claim"] = (
            None
            if c is None
            else {
                "type": str(c.type),
                "status": str(c.status),
                "origin_status": None if c.origin_status is None else str(c.origin_status),
                "hold_known": c.hold_known,
            }
        )
    return {k: values[k] for k in keys}


def _answering(mp: str, doc: dict[str, Any]) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        if mp == "toss" and doc["kind"] == "order_product" and request.url.path.endswith("/claims"):
            empty = {"items": [], "hasNext": False, "nextToken": None}
            return httpx.Response(200, json={"resultType": "SUCCESS", "success": empty})
        if doc["body"] is None:
            return httpx.Response(doc["status"])
        return httpx.Response(doc["status"], json=doc["body"])

    return answer


def _call(mp: str, doc: dict[str, Any], adapter: Any) -> Any:
    kind = doc["kind"]
    if kind == "claims_page":
        return adapter.list_claims()
    if kind == "orders_page":
        day = dt.date(2026, 11, 29)
        return adapter.list_order_products(OrderQuery(since=day, until=day))
    if kind == "order_product":
        return adapter.read(OrderRef("OP-1001"))
    if kind == "prod_orders":
        return adapter.read(OrderRef("202611290001:2026112900011"))
    if kind == "action" or (kind == "error" and "action" in doc):
        ids = doc.get("ids") or {"order_product_id": "OP-1001", "claim_id": "25123001"}
        return adapter.perform(_action(mp, {**doc, "ids": ids}))
    # an error answer to a read
    return adapter.list_claims() if mp == "toss" else adapter.read(OrderRef("1:11"))


class TestResponses:
    @pytest.mark.parametrize(("mp", "doc"), RESPONSES, ids=[_id(s) for s in RESPONSES])
    def test_the_codec_parses_the_documented_answer(self, mp: str, doc: dict[str, Any]) -> None:
        """Every documented answer parses into the values it means, or the typed error it
        means (class, code, message)."""
        expect = doc["expect"]
        with _client(mp, _answering(mp, doc)) as adapter:
            if doc["kind"] == "error":
                cls = getattr(exceptions, expect["class"])
                with pytest.raises(cls) as e:
                    _call(mp, doc, adapter)
                for key in ("code", "message"):
                    if key in expect:
                        assert expect[key] == getattr(e.value, key)
                if "says" in expect:
                    assert expect["says"] in str(e.value)
                return
            result = _call(mp, doc, adapter)
        if "claims" in expect:
            _check_claims(expect["claims"], result.items)
            assert expect["next_cursor"] == result.next_cursor
        if "rows" in expect:
            rows = result.items if hasattr(result, "items") else [result]
            keys = expect["rows"][0].keys()
            assert expect["rows"] == [_row_view(r, keys) for r in rows]
        if "ok" in expect:
            assert expect["ok"] == result.ok
            failed = [[i.order_product_id, i.code, i.message] for i in result.failed]
            assert expect.get("failed", []) == failed
            if "succeeded" in expect:
                assert expect["succeeded"] == list(result.succeeded)


# --- (c) the emulators: the same codec reads the documented requests; answers in the documented
# shapes


def _keys(obj: object) -> object:
    """The key structure of a JSON value (objects' keys, recursively; the first array item)."""
    if isinstance(obj, dict):
        return {k: _keys(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_keys(obj[0])] if obj else []
    return None


def _golden(mp: str, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((GOLDEN / mp / f"{name}.json").read_text("utf-8"))
    return loaded


@pytest.fixture
def toss_emulator() -> Iterator[tuple[TossEmulator, TestClient]]:
    """A Toss emulator in process, with an authorized raw httpx client."""
    emulator = TossEmulator()
    http = TestClient(emulator.app, base_url="http://t")
    client_id, client_secret = toss_emulator_module.CREDENTIALS
    form = {"grant_type": "client_credentials", "client_id": client_id}
    form["client_secret"] = client_secret
    token = http.post("/token", data=form).json()["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"
    with http:
        yield emulator, http


class TestEmulators:
    @pytest.mark.parametrize(
        ("mp", "doc"),
        [s for s in REQUESTS if s[0] == "toss"],
        ids=[_id(s) for s in REQUESTS if s[0] == "toss"],
    )
    def test_toss_emulator_reads_the_documented_request(self, mp: str, doc: dict[str, Any]) -> None:
        """The Toss emulator's reading of each documented request (the codec's decode_action)
        is the action with its parameters and ids."""
        req = doc["request"]
        decoded = toss_codec.decode_action(req["method"], req["path"], req["body"])
        assert decoded is not None
        params = {k: str(v) for k, v in decoded.params.items()}
        assert (doc["action"], {k: str(v) for k, v in doc["params"].items()}) == (
            str(decoded.action),
            params,
        )
        for name, value in decoded.ids.items():
            expected = doc["ids"][name]
            assert expected == (value[0] if isinstance(value, list) else value)

    @pytest.mark.parametrize(
        ("mp", "doc"),
        [s for s in REQUESTS if s[0] == "imweb"],
        ids=[_id(s) for s in REQUESTS if s[0] == "imweb"],
    )
    def test_imweb_emulator_reads_the_documented_request(
        self, mp: str, doc: dict[str, Any]
    ) -> None:
        """The imweb emulator's reading of each documented body gives back the action, and the
        per-item amounts land on one item only."""
        req = doc["request"]
        group, verb = req["path"].rsplit("/", 2)[1:]
        route = imweb_codec.ACTION_ROUTES[(group, verb)]
        prods = req["body"]["prod_order_no"]
        action, per_item = imweb_codec.decode_action(route, req["body"].get("etc", {}), prods)
        assert doc["action"] == str(action)
        amounts = [p for p in per_item.values() if "extra_charge" in p]
        assert len(amounts) == (1 if "extra_charge" in doc["params"] else 0)
        if "carrier" in doc["params"]:
            assert all(doc["params"]["carrier"] == p["carrier"] for p in per_item.values())

    def test_x2bee_emulator_reads_the_documented_refund_request(self) -> None:
        """The x2bee emulator reads saveRefundBundleApproMgmt's documented body with the codec's
        template, and refuses it without claimBusinessType 22."""
        doc = _golden("x2bee", "request_return_complete")
        template = x2bee_codec.ROUTES[cf.Action.RETURN_COMPLETE].body
        assert template is not None
        assert {"order_id": "O2611290001", "claim_id": "C2611300001"} == template.parse(
            doc["request"]["body"]
        )
        wrong = [{**doc["request"]["body"][0], "claimBusinessType": "20"}]
        with pytest.raises(ValueError, match="claimBusinessType"):
            template.parse(wrong)

    def test_toss_answers_in_the_documented_shapes(
        self, toss_emulator: tuple[TossEmulator, TestClient]
    ) -> None:
        """The Toss emulator's claim item has exactly the captured item's fields; its order rows
        carry the documented fields (orderedAt, not createdDt); an approved buyer cancel reads
        back COMPLETED; a claim action answers the documented success."""
        emulator, http = toss_emulator
        record = emulator.add("PREPARING")
        emulator.buyer(record.op.id, "cancel.request", reason="단순 변심")
        claim = emulator.store.get(record.op.id).op.open_claim
        assert claim is not None
        approved = http.post(f"{toss_codec.API_PREFIX}/claims/{claim.id}/cancel/approval")
        items = http.get(f"{toss_codec.API_PREFIX}/claims").json()["success"]["items"]
        day = record.ordered_at.date().isoformat()
        rows = http.get(
            f"{toss_codec.API_PREFIX}/orders/v2", params={"startDate": day, "endDate": day}
        ).json()["success"]["results"]

        captured = _golden("toss", "response_claims_captured_cancel")["body"]
        assert _keys(captured["success"]["items"][0]) == _keys(items[0])
        assert ("CANCEL", "COMPLETED") == (items[0]["type"], items[0]["status"])
        assert {"resultType": "SUCCESS", "success": {}} == {
            k: v for k, v in approved.json().items() if k != "error"
        }
        documented = {"orderId", "orderProductId", "productName", "optionName", "quantity"}
        documented |= {"price", "orderProductStatus", "deliveryCompanyCode", "orderedAt"}
        documented |= {"shippingTrackingNumber", "deliveryFee"}
        assert documented <= rows[0].keys()
        assert "createdDt" not in rows[0]

    def test_toss_serves_the_fulfilment_calls(
        self, toss_emulator: tuple[TossEmulator, TestClient]
    ) -> None:
        """The documented status call answers totalCount/failedCount/failedReasons per item; the
        invoice call makes the order product 배송중; one order product reads by id."""
        emulator, http = toss_emulator
        ok, other = emulator.add("PAID"), emulator.add("DELIVERED")
        body = _golden("toss", "request_order_prepare")["request"]["body"]
        answer = http.put(
            f"{toss_codec.API_PREFIX}/orders/products/status",
            json={**body, "orderProductIds": [ok.op.id, other.op.id]},
        ).json()["success"]
        ship = _golden("toss", "request_order_ship")["request"]["body"]
        shipped = http.put(
            f"{toss_codec.API_PREFIX}/orders/products/delivery",
            json={**ship, "orderProductId": ok.op.id},
        )
        one = http.get(f"{toss_codec.API_PREFIX}/orders/products/{ok.op.id}").json()["success"]

        partial = _golden("toss", "response_status_change_partial")["body"]["success"]
        assert _keys(partial) == _keys(answer)
        assert (2, 1, other.op.id) == (
            answer["totalCount"],
            answer["failedCount"],
            answer["failedReasons"][0]["orderProductId"],
        )
        assert "SUCCESS" == shipped.json()["resultType"]
        assert "DELIVERING" == one["orderProductStatus"]

    def test_imweb_answers_in_the_documented_shapes(self) -> None:
        """The imweb emulator answers an action with data.success/failed as documented, and its
        item orders carry the documented fields and no undocumented hold or order type."""
        emulator = ImwebEmulator(key="k", secret="s")
        order = emulator.add_order("PREPARING", "PREPARING")
        emulator.buyer(order.items[0], "cancel.request", reason_code="INTENT_CHANGED")
        prod = imweb.ImwebRef.parse(order.items[0]).prod_order_no
        body = _golden("imweb", "request_cancel_reject")["request"]["body"]
        http = TestClient(emulator.app, base_url="http://i")
        with http:
            token = http.post("/v2/auth", json={"key": "k", "secret": "s"}).json()["access_token"]
            http.headers["access-token"] = token
            acted = http.patch(
                f"/v2/shop/orders/{order.order_no}/cancel/reject",
                json={**body, "prod_order_no": [prod, "nope"]},
            ).json()
            rows = http.get(f"/v2/shop/orders/{order.order_no}/prod-orders").json()["data"]
        golden = _golden("imweb", "response_partial_success")["body"]
        assert _keys(golden) == _keys(acted)
        documented = {"order_no", "status", "claim_type", "claim_status", "parcel_code"}
        assert documented | {"invoice_no"} <= rows[0].keys()
        assert set() == {"is_hold", "order_type"} & rows[0].keys()

    def test_x2bee_answers_in_the_documented_shapes(self) -> None:
        """The x2bee emulator's refusal is the Response envelope with exactly the documented
        fields (HTTP 900)."""
        emulator = X2beeEmulator()
        http = TestClient(emulator.app, base_url="http://x")
        with http:
            answer = http.post(
                "/api/order/v1/payment/saveRefundBundleApproMgmt",
                json=_golden("x2bee", "request_return_complete")["request"]["body"],
                headers={"Authorization": f"Bearer {x2bee_emulator_module.CREDENTIALS[0]}"},
            )
        golden = _golden("x2bee", "response_write_900_field_errors")["body"]
        assert 900 == answer.status_code
        assert _keys(golden) == _keys(answer.json())
