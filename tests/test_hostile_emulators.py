"""The emulators as servers people run: hostile requests over ASGI never get a 500 or a traceback.

Every route of the three emulators (the marketplace API and the ``/_emulator/`` control API) gets
requests broken in many ways: bodies nested 100,000 deep, NaN, invalid UTF-8, more than the body
limit, every JSON type where an object is expected, fields of the wrong type, ``"²"`` and huge
numbers in queries and path parameters, no credentials, wrong ones, valid ones. The corpus is
drawn from a seeded RNG: its size follows the hypothesis profile (``ci``: 900 requests a run,
``thorough``: 9,000; ``CLAIMFLOW_HYPOTHESIS_PROFILE``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from claimflow.adapters.codecs import Refusal
from claimflow.adapters.codecs import imweb as imweb_codec
from claimflow.adapters.codecs import toss as toss_codec
from claimflow.adapters.codecs import x2bee as x2bee_codec
from claimflow.emulators import Fault, Faults
from claimflow.emulators import imweb as imweb_wiring
from claimflow.emulators import toss as toss_wiring
from claimflow.emulators._core import (
    CAMEL_KEYS,
    CONTROL_TOKEN_HEADER,
    MAX_BODY,
    EmulatorControls,
)
from claimflow.emulators.imweb import ImwebEmulator
from claimflow.emulators.imweb import seed_orders as seed_imweb
from claimflow.emulators.toss import TossEmulator
from claimflow.emulators.toss import seed_orders as seed_toss
from claimflow.emulators.x2bee import DEFAULT_TOKEN, X2beeEmulator
from claimflow.emulators.x2bee import seed_orders as seed_x2bee

PROFILE = os.environ.get("CLAIMFLOW_HYPOTHESIS_PROFILE", "ci")
#: requests per emulator per run
PER_EMULATOR = 3_000 if PROFILE == "thorough" else 300

DEEP = b"[" * 100_000 + b"]" * 100_000
HOSTILE_BODIES: list[bytes] = [
    DEEP,
    b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    b"NaN",
    b'{"ordNo": NaN, "ordSeq": Infinity}',
    b"\xff\xfe\xfd",
    b'{"x": "\xed\xa0\x80"}',
    b"[]",
    b'"text"',
    b"12",
    b"null",
    b"true",
    b"{",
    b"<html><body>hi</body></html>",
    b"1" * 5_000,
    b'{"action": ["a:b"], "params": "x"}',
    b'{"inject": "latency", "times": "x"}',
    b'{"inject": "nope"}',
    b'{"latency": -1}',
    b'{"latency": 1e309}',
    b'{"error_rate": "NaN"}',
    b'{"token_ttl": true}',
    b'{"status": 12, "unitPrice": "1000", "quantity": -5, "orderedAt": "yesterday"}',
    b'{"status": "DELIVERED", "unitPrice": 100000000000000000000}',
    b'{"itemId": null, "unitPrice": "x", "stock": 1e20}',
    b'{"action": "cancel.request", "actor": "GOD", "params": {"at": "x"}}',
    b'{"action": "return.request", "params": {"reason": {"deep": [1, 2]}}}',
    b'{"statuses": "PAID"}',
    b'{"statuses": [1, 2]}',
    b'{"prod_order_no": ["a:b"], "order_no": "\xc2\xb2"}',
    b'{"ordNo": ["x"], "ordSeq": {"a": 1}, "claimNo": 1e400}',
    b'{"ordNo": "O0000001", "ordSeq": "\xc2\xb2", "rfdAmt": 1000000000000000000000}',
    b'[{"ordNo": 1}, null, "x"]',
    b'{"deliveryCompany": 5, "shippingTrackingNumber": ["x"]}',
    b'{"' + b"k" * 10_000 + b'": 1}',
]
HOSTILE_TEXT = [
    "²",
    "t²",
    "t" + "9" * 5_000,
    "-1",
    "0",
    "a:b",
    "%00",
    "x" * 3_000,
    "1e400",
    "NaN",
    "../../etc",
    "١٢٣",
    "",
]
QUERY_NAMES = [
    "nextToken",
    "size",
    "type",
    "status",
    "fromRequestDate",
    "toRequestDate",
    "orderIds",
    "offset",
    "limit",
    "order_date_from",
    "order_date_to",
    "claim_status",
    "claim_type",
    "status",
    "fromDate",
    "nextCursor",
]
CONTROL_PATHS = [
    "/_emulator/faults",
    "/_emulator/tokens",
    "/_emulator/order-products",
    "/_emulator/orders",
    "/_emulator/order-products/{order_product_id}",
    "/_emulator/order-products/{order_product_id}/actions",
    "/_emulator/goods/{goods_no}/items",
    "/_emulator/nothing-here",
]


def _emulators() -> dict[str, EmulatorControls]:
    toss = TossEmulator(seed=1)
    imweb = ImwebEmulator(seed=1)
    x2bee = X2beeEmulator(seed=1)
    seed_toss(toss, 6)
    seed_imweb(imweb, 6)
    seed_x2bee(x2bee, 6)
    return {"toss": toss, "imweb": imweb, "x2bee": x2bee}


async def _credentials(name: str, client: httpx.AsyncClient) -> dict[str, str]:
    if name == "toss":
        form = {
            "grant_type": "client_credentials",
            "client_id": toss_wiring.CREDENTIALS[0],
            "client_secret": toss_wiring.CREDENTIALS[1],
        }
        token = (await client.post("/token", data=form)).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}
    if name == "imweb":
        key, secret = imweb_wiring.CREDENTIALS
        body = {"key": key, "secret": secret}
        token = (await client.post("/v2/auth", json=body)).json()["access_token"]
        return {"access-token": token}
    return {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


def _paths(emulator: EmulatorControls) -> list[tuple[str, list[str]]]:
    """Every route of the emulator's app (path template, methods), the control paths too."""
    out = []
    for route in emulator.app.routes:
        # expiring the tokens takes no input, and would turn the rest of the run into 401s
        if isinstance(route, Route) and route.path != "/_emulator/tokens/expire":
            out.append((route.path, sorted((route.methods or {"GET"}) - {"HEAD"})))
    return out + [(p, ["POST", "GET"]) for p in CONTROL_PATHS]


def _fill(template: str, rnd: random.Random, ids: list[str]) -> str:
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        value = rnd.choice([*ids, *HOSTILE_TEXT, "cancel", "return", "approve", "1"])
        path = path[:start] + httpx.URL("/" + value).raw_path.decode()[1:] + path[end + 1 :]
    return path


def _requests(
    emulator: EmulatorControls, rnd: random.Random, count: int, good: dict[str, str]
) -> Iterator[tuple[str, str, dict[str, str], bytes, list[tuple[str, str]]]]:
    """*count* hostile requests: (method, path, headers, body, query)."""
    routes = _paths(emulator)
    ids = [r.op.id for r in emulator.store.records()] + [
        r.order_id for r in emulator.store.records()
    ]
    bad_auth = [
        {},
        {"Authorization": "Bearer nope"},
        {"access-token": "nope"},
        {"Authorization": ""},
    ]
    for _ in range(count):
        template, methods = rnd.choice(routes)
        method = rnd.choice(methods) if rnd.random() < 0.9 else rnd.choice(["PUT", "DELETE"])
        headers = dict(good) if rnd.random() < 0.7 else dict(rnd.choice(bad_auth))
        if rnd.random() < 0.5:
            headers["content-type"] = "application/json"
        body = rnd.choice(HOSTILE_BODIES) if rnd.random() < 0.85 else b""
        query = [
            (rnd.choice(QUERY_NAMES), rnd.choice(HOSTILE_TEXT)) for _ in range(rnd.randrange(0, 4))
        ]
        yield method, _fill(template, rnd, ids), headers, body, query


def _fuzz(name: str, emulator: EmulatorControls, count: int, seed: int) -> list[tuple[str, int]]:
    """Send *count* hostile requests; the (request, status) of every answer that is a 500 or
    shows a traceback."""

    async def run() -> list[tuple[str, int]]:
        transport = httpx.ASGITransport(emulator.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            good = await _credentials(name, client)
            bad: list[tuple[str, int]] = []
            for method, path, headers, body, query in _requests(
                emulator, random.Random(seed), count, good
            ):
                response = await client.request(
                    method, path, headers=headers, content=body, params=query
                )
                # x2bee answers business errors with HTTP 900 by design: 5xx is what counts
                if 500 <= response.status_code < 600 or b"Traceback" in response.content:
                    bad.append((f"{method} {path} {body[:60]!r}", response.status_code))
            return bad

    return asyncio.run(run())


def _still_serving(name: str, emulator: EmulatorControls) -> int:
    """The status of a valid API read after the fuzzing."""

    async def run() -> int:
        transport = httpx.ASGITransport(emulator.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            good = await _credentials(name, client)
            if name == "x2bee":  # the fuzzing may have expired the fixed token: issue one
                emulator.core.control_token = "ctl"
                issued = await client.post(
                    "/_emulator/tokens", headers={CONTROL_TOKEN_HEADER: "ctl"}
                )
                good = {"Authorization": f"Bearer {issued.json()['access_token']}"}
            if name == "toss":
                response = await client.get("/api/v3/shopping-fep/claims", headers=good)
            elif name == "imweb":
                response = await client.get("/v2/shop/orders", headers=good)
            else:
                op = emulator.store.records()[0]
                response = await client.post(
                    "/api/order/v1/claim/orderCancel/cancelPopupFO",
                    headers=good,
                    json={"ordNo": op.order_id},
                )
            return response.status_code

    return asyncio.run(run())


class TestHostileRequests:
    @pytest.mark.parametrize("name", ["toss", "imweb", "x2bee"])
    def test_no_500_and_still_serving(self, name: str) -> None:
        """Hundreds of hostile requests (API and control API) get no HTTP 500 and no traceback,
        and the emulator answers a valid read afterwards."""
        emulator = _emulators()[name]
        bad = _fuzz(name, emulator, PER_EMULATOR, seed=13)
        assert ([], 200) == (bad[:5], _still_serving(name, emulator))

    def test_corpus_size(self) -> None:
        """A run sends at least 800 hostile requests over the three emulators."""
        emulators = _emulators()
        sizes = [
            len(list(_requests(e, random.Random(13), PER_EMULATOR, {}))) for e in emulators.values()
        ]
        assert True is (sum(sizes) >= 800)


def _call(
    emulator: EmulatorControls,
    method: str,
    path: str,
    *,
    content: bytes = b"",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(emulator.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            return await client.request(method, path, content=content, headers=headers)

    return asyncio.run(run())


class TestControlApi:
    def test_bad_fault_spec_is_refused_and_not_stored(self) -> None:
        """A fault spec with a bad count is refused with 400, and later API calls are unharmed."""
        emulator = _emulators()["toss"]
        refused = _call(
            emulator, "POST", "/_emulator/faults", content=b'{"inject":"latency","times":"x"}'
        )
        assert (400, []) == (refused.status_code, emulator.core._scripted)
        assert 200 == _still_serving("toss", emulator)

    def test_empty_spec_clears_faults(self) -> None:
        """``{}`` clears the fault rates and the scripted faults."""
        emulator = _emulators()["imweb"]
        emulator.faults = Faults(error_rate=1.0)
        emulator.inject(Fault.SERVER_ERROR, times=5)
        cleared = _call(emulator, "POST", "/_emulator/faults", content=b"{}")
        assert (200, Faults(), []) == (
            cleared.status_code,
            emulator.faults,
            emulator.core._scripted,
        )

    @pytest.mark.parametrize(
        "body",
        [
            b'{"inject": "latency", "times": 0}',
            b'{"inject": "latency", "times": true}',
            b'{"inject": "teleport"}',
            b'{"inject": "latency", "on": "sometimes"}',
            b'{"inject": "latency", "extra": 1}',
            b'{"latency": "slow"}',
            b'{"error_rate": 2}',
            b'{"colour": "red"}',
            b"[1]",
            b"NaN",
        ],
    )
    def test_every_bad_spec_is_a_400(self, body: bytes) -> None:
        """Each malformed fault spec answers 400 with a JSON error naming the problem."""
        emulator = _emulators()["x2bee"]
        before = (emulator.faults, list(emulator.core._scripted))
        response = _call(emulator, "POST", "/_emulator/faults", content=body)
        after = (emulator.faults, list(emulator.core._scripted))
        assert (400, True, before) == (response.status_code, "error" in response.json(), after)

    def test_control_token_protects_the_control_api(self) -> None:
        """With a control token set, /_emulator/ paths answer 401 without it and work with it."""
        emulator = _emulators()["toss"]
        emulator.core.control_token = "ctl-secret"
        refused = _call(emulator, "POST", "/_emulator/faults", content=b"{}")
        wrong = _call(
            emulator,
            "POST",
            "/_emulator/faults",
            content=b"{}",
            headers={CONTROL_TOKEN_HEADER: "ctl-guess"},
        )
        allowed = _call(
            emulator,
            "POST",
            "/_emulator/faults",
            content=b"{}",
            headers={CONTROL_TOKEN_HEADER: "ctl-secret"},
        )
        statuses = (refused.status_code, wrong.status_code, allowed.status_code)
        assert (401, 401, 200) == statuses

    def test_x2bee_tokens_need_credentials(self) -> None:
        """x2bee's POST /_emulator/tokens issues a token only to a caller holding the emulator's
        token (or the control token)."""
        emulator = _emulators()["x2bee"]
        anonymous = _call(emulator, "POST", "/_emulator/tokens")
        holder = _call(
            emulator,
            "POST",
            "/_emulator/tokens",
            headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
        )
        assert (401, 201) == (anonymous.status_code, holder.status_code)

    def test_serve_makes_a_control_token_off_loopback(self) -> None:
        """Bound to a non-loopback address, serve() protects the control API with a token of its
        own (checked without starting a server: uvicorn.run is replaced)."""
        from claimflow.emulators import _core  # noqa: PLC0415

        emulator = _emulators()["imweb"]
        calls: list[object] = []
        original = _core.uvicorn.run
        _core.uvicorn.run = lambda *a, **k: calls.append(k["host"])  # type: ignore[assignment]
        try:
            _core.serve(emulator.app, 0, host="0.0.0.0")
        finally:
            _core.uvicorn.run = original  # type: ignore[assignment]
        token = emulator.core.control_token
        assert (["0.0.0.0"], True) == (calls, isinstance(token, str) and len(token) >= 16)


AT = "2024-05-01T10:00:00+09:00"
#: each emulator's seeding call: path and body, in snake_case (the one convention)
SEEDING: dict[str, tuple[str, dict[str, object]]] = {
    "toss": (
        "/_emulator/order-products",
        {"order_id": "O-K", "status": "DELIVERED", "unit_price": 5_000, "ordered_at": AT},
    ),
    "imweb": (
        "/_emulator/orders",
        {
            "statuses": ["DELIVERED"],
            "order_no": "2024050199",
            "unit_price": 5_000,
            "ordered_at": AT,
        },
    ),
    "x2bee": (
        "/_emulator/order-products",
        {"order_id": "O-K", "goods_no": "G-K", "unit_price": 5_000, "ordered_at": AT},
    ),
}


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def _seeded(name: str, body: dict[str, object]) -> tuple[int, dict[str, Any], list[Any]]:
    """Seed a fresh emulator through the control API: the status, the answer, and the records
    added as (id, order id, unit price, ordered at)."""
    emulator = _emulators()[name]
    before = {r.op.id for r in emulator.store.records()}
    response = _call(emulator, "POST", SEEDING[name][0], content=json.dumps(body).encode())
    added = [
        (r.op.id, r.order_id, r.op.unit_price, r.ordered_at.isoformat())
        for r in emulator.store.records()
        if r.op.id not in before
    ]
    return response.status_code, response.json(), added


def _state(name: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The order product's state in a seeding answer (imweb answers the order's items)."""
    return dict(answer["items"][0]) if name == "imweb" else answer


def _snake_only(answer: dict[str, Any]) -> dict[str, Any]:
    """*answer* without the deprecated camelCase aliases (at the top and in imweb's items)."""
    out = {k: v for k, v in answer.items() if k not in CAMEL_KEYS}
    if "items" in out:
        out["items"] = [_snake_only(i) for i in out["items"]]
    return out


class TestControlKeys:
    @pytest.mark.parametrize("name", ["toss", "imweb", "x2bee"])
    def test_snake_case_seeds_and_answers(self, name: str) -> None:
        """Seeding with snake_case keys stores what they say (order id, unit price, order time),
        and the answer names the order product's state in snake_case."""
        body = SEEDING[name][1]
        status, answer, added = _seeded(name, body)
        state = _snake_only(_state(name, answer))
        order_id = body.get("order_id", body.get("order_no"))
        keys = {"order_product_id", "status", "open_claim", "version", "refunds"}
        assert (201, [(state["order_product_id"], order_id, 5_000, AT)]) == (status, added)
        assert keys == keys & set(state)
        assert [] == [k for k in state if k != k.lower()]

    @pytest.mark.parametrize("name", ["toss", "imweb", "x2bee"])
    def test_camel_case_is_still_accepted(
        self, name: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        """For the deprecation release, the old camelCase keys seed what their snake_case
        spelling seeds (same answer and record), a warning names them, and the answer carries
        the old keys beside the new ones."""
        snake = SEEDING[name][1]
        camel = {_camel(k): v for k, v in snake.items()}
        with caplog.at_level("WARNING", logger="claimflow.emulators"):
            old = _seeded(name, camel)
        new = _seeded(name, snake)
        state = _state(name, old[1])
        renamed = sorted(k for k in camel if k in CAMEL_KEYS)
        warned = [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()]
        assert new == old
        assert (state["order_product_id"], state["open_claim"]) == (
            state["orderProductId"],
            state["openClaim"],
        )
        assert (1, True) == (len(warned), all(k in warned[0] for k in renamed))

    def test_a_key_given_both_ways_is_refused(self) -> None:
        """A key given both in snake_case and in its old camelCase spelling is a 400 naming the
        snake_case key, and nothing is stored."""
        status, answer, added = _seeded("toss", {"order_id": "O-1", "orderId": "O-2"})
        assert (400, [], True) == (status, added, "order_id is given twice" in answer["error"])

    def test_x2bee_token_answer_is_snake_case(self) -> None:
        """x2bee's POST /_emulator/tokens answers access_token and expires_in (and, for the
        deprecation release, accessToken / expiresIn too); the token is accepted."""
        emulator = _emulators()["x2bee"]
        bearer = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        issued = _call(emulator, "POST", "/_emulator/tokens", headers=bearer).json()
        assert (True, issued["access_token"], issued["expires_in"]) == (
            emulator.accepts_token(issued["access_token"]),
            issued["accessToken"],
            issued["expiresIn"],
        )


class TestApiBoundaries:
    def test_auth_is_checked_before_the_body_is_parsed(self) -> None:
        """An unauthenticated request with a 100,000-deep body gets the marketplace's 401 answer,
        and its body is not kept in the request log."""
        emulator = _emulators()["toss"]
        response = _call(
            emulator, "POST", "/api/v3/shopping-fep/claims/1/return/approve", content=DEEP
        )
        logged = emulator.core.requests[-1]
        assert (401, None, False) == (response.status_code, logged.json, logged.authorized)

    def test_oversized_body_is_refused(self) -> None:
        """A body above the limit answers 413 in the marketplace's envelope and is not logged."""
        emulator = _emulators()["imweb"]
        before = len(emulator.core.requests)
        response = _call(
            emulator, "PATCH", "/v2/shop/orders/1/cancel/accept", content=b"x" * (MAX_BODY + 1)
        )
        assert (413, True, before) == (
            response.status_code,
            "msg" in response.json(),
            len(emulator.core.requests),
        )

    @pytest.mark.parametrize(
        ("name", "codec", "method", "path"),
        [
            ("toss", toss_codec, "GET", "/api/v3/shopping-fep/claims"),
            ("imweb", imweb_codec, "GET", "/v2/shop/orders"),
            ("x2bee", x2bee_codec, "POST", "/api/order/v1/claim/orderCancel/cancelPopupFO"),
        ],
    )
    def test_a_failing_handler_answers_the_codecs_refusal(
        self, name: str, codec: Any, method: str, path: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An exception escaping a handler is answered by the guard with the marketplace's own
        FAILED refusal (its codec's status, code and envelope), never a traceback."""
        emulator = _emulators()[name]

        def broken(*_args: object) -> list[Any]:
            raise RuntimeError("secret internals")

        monkeypatch.setattr(emulator.store, "records", broken)
        monkeypatch.setattr(emulator.store, "of_order", broken)  # x2bee's cancelPopupFO
        monkeypatch.setattr(emulator, "_order_row", broken, raising=False)  # imweb's list

        async def run() -> httpx.Response:
            transport = httpx.ASGITransport(emulator.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
                headers = await _credentials(name, client)
                return await client.request(method, path, json={"ordNo": "1"}, headers=headers)

        response = asyncio.run(run())
        status, code = codec.REFUSALS[Refusal.FAILED]
        envelope = codec.unwrap(200, response.json())
        assert (status, False, str(code)) == (response.status_code, envelope.ok, envelope.code)
        assert b"secret internals" not in response.content

    @pytest.mark.parametrize(
        ("name", "codec"), [("toss", toss_codec), ("imweb", imweb_codec), ("x2bee", x2bee_codec)]
    )
    def test_an_oversized_body_is_the_codecs_too_large_refusal(self, name: str, codec: Any) -> None:
        """A body above the limit is answered with the codec's TOO_LARGE refusal (413 in the
        marketplace's envelope)."""
        response = _call(_emulators()[name], "POST", "/anything", content=b"x" * (MAX_BODY + 1))
        status, code = codec.REFUSALS[Refusal.TOO_LARGE]
        envelope = codec.unwrap(200, response.json())
        assert (status, False, str(code)) == (response.status_code, envelope.ok, envelope.code)

    def test_request_log_is_bounded(self) -> None:
        """100 refused 1 MB POSTs add no bodies to the request log."""
        emulator = _emulators()["x2bee"]
        payload = json.dumps({"ordNo": "x" * (MAX_BODY - 100)}).encode()
        for _ in range(100):
            _call(emulator, "POST", "/api/order/v1/claim/orderCancel/cancelFO", content=payload)
        kept = sum(len(json.dumps(r.json)) for r in emulator.core.requests if r.json is not None)
        assert 0 == kept

    def test_log_keeps_the_newest_entries(self) -> None:
        """The log drops its oldest entries beyond its entry bound."""
        from claimflow.emulators import _core  # noqa: PLC0415
        from claimflow.emulators._core import LoggedRequest  # noqa: PLC0415

        core = _emulators()["toss"].core
        core.clear_log()
        for i in range(_core.MAX_LOG_ENTRIES + 5):
            core.log(LoggedRequest("GET", f"/{i}", ()))
        paths = [r.path for r in core.requests]
        assert (_core.MAX_LOG_ENTRIES, "/5") == (len(paths), paths[0])


class TestCommandLine:
    def test_emulate_control_token(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """`claimflow emulate toss --control-token T` serves the app with T protecting the
        control API (uvicorn.run is replaced: nothing is started)."""
        from claimflow import cli  # noqa: PLC0415
        from claimflow.emulators import _core  # noqa: PLC0415

        served: list[Any] = []
        monkeypatch.setattr(_core.uvicorn, "run", lambda app, **_kw: served.append(app))
        code = cli.main(["emulate", "toss", "--port", "0", "--control-token", "ctl-T"])
        emulator = served[0].state.emulator
        refused = _call(emulator, "POST", "/_emulator/faults", content=b"{}")
        assert (0, "ctl-T", 401) == (code, emulator.core.control_token, refused.status_code)

    def test_emulate_help_reads_each_modules_credentials(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The emulate help (in `claimflow --help` and `claimflow emulate --help`) names every
        emulator module's CREDENTIALS, read from its source as the modules define them."""
        from claimflow import cli  # noqa: PLC0415
        from claimflow.emulators import MODULES  # noqa: PLC0415

        monkeypatch.setenv("COLUMNS", "1000")  # argparse wraps at hyphens otherwise

        read = {mp: cli._emulator_credentials(mp) for mp in MODULES}
        said = " ".join(cli._parser().format_help().split())
        with pytest.raises(SystemExit), contextlib.redirect_stdout(io.StringIO()) as out:
            cli.main(["emulate", "--help"])
        described = " ".join(out.getvalue().split())
        expected = {mp: m.CREDENTIALS for mp, m in MODULES.items()}
        listed = [f"{mp.value} {' / '.join(m.CREDENTIALS)}" for mp, m in MODULES.items()]
        assert expected == read
        assert (listed, listed) == (
            [x for x in listed if x in said],
            [x for x in listed if x in described],
        )

    @pytest.mark.parametrize("port", ["99999", "-1", "http"])
    def test_a_port_out_of_range_is_a_usage_error(
        self, port: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """emulate --port outside 0-65535 is a usage error naming it (exit 2), not a bind
        traceback."""
        from claimflow import cli  # noqa: PLC0415

        with pytest.raises(SystemExit) as e:
            cli.main(["emulate", "imweb", "--port", port])
        assert (2, True) == (e.value.code, "not a TCP port" in capsys.readouterr().err)

    def test_building_the_parser_imports_no_emulator(self) -> None:
        """Building the command line's parser (so `--help`) imports neither the emulators nor
        their extra (starlette, uvicorn)."""
        import subprocess  # noqa: PLC0415
        import sys  # noqa: PLC0415

        code = (
            "import sys; from claimflow import cli; cli._parser(); "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'claimflow.emulators') "
            "if m in sys.modules))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert "[]\n" == done.stdout

    def test_unreadable_credentials_leave_the_help_without_them(
        self, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A module whose CREDENTIALS is not literal strings (or whose source is missing) is left
        out of the help, which still builds."""
        from claimflow import cli  # noqa: PLC0415
        from claimflow._vocab import Marketplace  # noqa: PLC0415

        (tmp_path / "emulators").mkdir()
        (tmp_path / "emulators" / "toss.py").write_text("CREDENTIALS = (make(),)\n")
        (tmp_path / "emulators" / "imweb.py").write_text('KEY = "k"\nCREDENTIALS = (KEY, "s")\n')
        monkeypatch.setattr(cli, "__file__", str(tmp_path / "cli.py"))
        read = [cli._emulator_credentials(mp) for mp in Marketplace]
        help_text = cli._emulate_help()
        assert ([None, ("k", "s"), None], True) == (read, "credentials: imweb k / s (" in help_text)
