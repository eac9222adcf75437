"""The adapters against hostile and broken marketplaces: every failure typed, every loop bounded.

Answers come through ``httpx.MockTransport``: valid payloads from :mod:`claimflow.testing`
broken in every way (a leaf replaced by a huge, negative, non-ASCII-digit, NaN or mistyped
value, a key dropped, the bytes truncated or made invalid UTF-8, nested 100,000 deep, an HTML
page, any HTTP status), the malformed payloads :func:`claimflow.testing.malformed_payloads`
knows, and the hostile shapes of issue 13 one by one (repeated cursors, a page that does not
advance, token endpoints answering HTML or timing out during a write, imweb's 401 without its
envelope, error bodies with HTTP 200 on writes). The slow-server test uses a real socket on
127.0.0.1. Sizes follow the hypothesis profile (``CLAIMFLOW_HYPOTHESIS_PROFILE``: ``ci`` 12
broken answers per marketplace and kind, ``thorough`` 400).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from wire_serving import DAY, ONCE, READ, Answer, call, mock_client, serving

import claimflow as cf
from claimflow.adapters import (
    ClaimQuery,
    MalformedBodyError,
    OrderQuery,
    OrderRef,
    PagingError,
    RemoteAction,
    RetryPolicy,
    imweb,
    paging_limit,
    toss,
    x2bee,
)
from claimflow.adapters._boundary import WireFieldError, parse_json_body, redact_headers, wire_int
from claimflow.testing import KINDS, WirePayload, malformed_payloads, wire_payloads

MP = cf.Marketplace
PROFILE = os.environ.get("CLAIMFLOW_HYPOTHESIS_PROFILE", "ci")
#: broken answers per marketplace and kind: a few seconds in CI, hundreds in a thorough run
EXAMPLES = {"ci": 12, "dev": 60, "thorough": 400}.get(PROFILE, 12)
ALL_KINDS = [(mp.value, kind) for mp, kinds in KINDS.items() for kind in kinds]
DEEP = b"[" * 100_000 + b"]" * 100_000

# --- serving answers to real adapters (as tests/test_wire.py does) -----------------------------


def _outcome(call: Callable[[], object]) -> str:
    """``ok``, or the claimflow error class *call* raised; anything else propagates (untyped)."""
    with paging_limit(50):
        try:
            call()
        except cf.ClaimflowError as e:
            return type(e).__name__
    return "ok"


# --- breaking valid payloads ----------------------------------------------------------------------

HOSTILE_VALUES: list[object] = [
    10**20,
    10**400,
    -(2**63),
    -1,
    0,
    0.5,
    1e308,
    "²",
    "١٢",
    "9" * 500,
    "",
    "x" * 10_000,
    None,
    True,
    [],
    {},
    [[[[[]]]]],
    {"a": {"b": None}},
]
STATUSES = [200, 201, 204, 301, 400, 401, 403, 404, 409, 418, 429, 500, 502, 503, 900, 999]


def _spots(node: object, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside *node* (keys and indexes)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from _spots(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*path, i)
            yield from _spots(value, (*path, i))


def _replaced(node: Any, path: tuple[Any, ...], value: object, *, drop: bool = False) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        copy = dict(node)
        if drop and not rest:
            del copy[head]
        else:
            copy[head] = _replaced(node[head], rest, value, drop=drop)
        return copy
    copy_list = list(node)
    if drop and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _replaced(node[head], rest, value, drop=drop)
    return copy_list


@st.composite
def _broken(draw: st.DrawFn, p: WirePayload) -> tuple[int, bytes]:
    """*p*'s answer broken in one hostile way: (HTTP status, body bytes)."""
    how = draw(
        st.sampled_from(
            ["leaf", "leaf", "leaf", "drop", "nan", "truncate", "utf8", "deep", "html", "status"]
        )
    )
    status = p.http_status
    spots = list(_spots(p.body))
    if how in {"leaf", "drop", "nan"} and spots:
        spot = draw(st.sampled_from(spots))
        if how == "drop":
            return status, json.dumps(_replaced(p.body, spot, None, drop=True)).encode()
        value = float("nan") if how == "nan" else draw(st.sampled_from(HOSTILE_VALUES))
        return status, json.dumps(_replaced(p.body, spot, value)).encode()
    content = p.content or b"{}"
    if how == "truncate":
        return status, content[: draw(st.integers(0, max(0, len(content) - 1)))]
    if how == "utf8":
        cut = draw(st.integers(0, len(content)))
        return status, content[:cut] + b"\xff\xfe" + content[cut:]
    if how == "deep":
        return status, DEEP
    if how == "html":
        return 200, b"<!doctype html><html><body>maintenance</body></html>"
    return draw(st.sampled_from(STATUSES)), content


class TestMalformedAnswers:
    @pytest.mark.parametrize(("marketplace", "kind"), ALL_KINDS)
    @settings(
        max_examples=EXAMPLES,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def test_every_broken_answer_is_typed(
        self, marketplace: str, kind: str, data: st.DataObject
    ) -> None:
        """A valid answer broken in a hostile way ends in a value or a claimflow error: never
        RecursionError, OverflowError, ValueError or an endless loop."""
        p = data.draw(wire_payloads(marketplace, kind))
        status, content = data.draw(_broken(p))

        def main() -> httpx.Response:
            return httpx.Response(status, content=content)

        with mock_client(p.marketplace, serving(main, p, by_id=False)) as adapter:
            outcome = _outcome(lambda: call(adapter, p, every_page=True))
        event(outcome)  # --hypothesis-show-statistics: how the broken answers ended
        assert True is isinstance(outcome, str)

    @pytest.mark.parametrize(("marketplace", "kind"), ALL_KINDS)
    @settings(max_examples=max(EXAMPLES // 2, 5), suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_every_malformed_payload_is_typed(
        self, marketplace: str, kind: str, data: st.DataObject
    ) -> None:
        """Every payload claimflow.testing knows to be malformed raises a claimflow error."""
        m = data.draw(malformed_payloads(marketplace, kind))
        with mock_client(m.valid.marketplace, serving(m.response, m.valid, by_id=False)) as adapter:
            outcome = _outcome(lambda: call(adapter, m.valid, every_page=True))
        event(outcome)
        assert ("ok" != outcome, outcome) == (True, outcome)


# --- the hostile shapes of issue 13, one by one ---------------------------------------------------


def _toss_claims(token: str | None, has_next: bool = True) -> dict[str, object]:
    success = {"items": [], "hasNext": has_next, "nextToken": token}
    return {"resultType": "SUCCESS", "success": success, "error": None}


def _imweb(data: object, code: int = 200) -> dict[str, object]:
    return {"msg": "SUCCESS", "code": code, "request_count": 1, "version": "v2", "data": data}


def _fixed(body: object, status: int = 200) -> Answer:
    def answer(_request: httpx.Request) -> httpx.Response:
        if isinstance(body, bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    return answer


class TestHostileShapes:
    @pytest.mark.parametrize("mp", list(MP))
    def test_deep_nesting_names_the_body(self, mp: cf.Marketplace) -> None:
        """An answer nested 100,000 deep is UnexpectedResponseError naming the body."""
        with (
            mock_client(mp, _fixed(DEEP)) as adapter,
            pytest.raises(cf.UnexpectedResponseError) as e,
        ):
            READ[mp](adapter)
        assert ("body", mp.value) == (e.value.field, e.value.marketplace)

    @pytest.mark.parametrize(
        ("paging", "field"),
        [
            ({"current_page": 1, "total_page": "²"}, "data.pagenation.total_page"),
            ({"current_page": "١", "total_page": 3}, "data.pagenation.current_page"),
            ({"current_page": 1, "total_page": 10**30}, "data.pagenation.total_page"),
        ],
    )
    def test_imweb_counts_are_bounded_ascii_integers(
        self, paging: dict[str, object], field: str
    ) -> None:
        """imweb page counts that are not small ASCII integers name the field."""
        body = _imweb({"list": [], "pagenation": paging})
        with (
            mock_client(MP.IMWEB, _fixed(body)) as adapter,
            pytest.raises(cf.UnexpectedResponseError) as e,
        ):
            adapter.list_order_products(OrderQuery())
        assert field == e.value.field

    def test_imweb_order_time_out_of_range(self) -> None:
        """An imweb order_time of 10**20 seconds is an error naming it, not OverflowError."""
        body = _imweb(
            {
                "list": [{"order_no": "1", "order_time": 10**20}],
                "pagenation": {"current_page": 1, "total_page": 1},
            }
        )
        with (
            mock_client(MP.IMWEB, _fixed(body)) as adapter,
            pytest.raises(cf.UnexpectedResponseError) as e,
        ):
            adapter.list_order_products(OrderQuery())
        assert "data.list[0].order_time" == e.value.field

    def test_toss_token_lifetime_of_400_digits(self) -> None:
        """A Toss token answer whose expires_in has 400 digits fails typed, and nothing was
        sent, so it is a TransportError."""
        big = b'{"access_token": "tok", "expires_in": ' + b"9" * 400 + b"}"
        with (
            mock_client(MP.TOSS, _fixed(_toss_claims(None, False)), tokens=_fixed(big)) as adapter,
            pytest.raises(cf.TransportError) as e,
        ):
            adapter.list_claims()
        assert "expires_in" in str(e.value)

    def test_toss_repeated_next_token_ends(self) -> None:
        """A Toss claims list that sends the same nextToken again ends in PagingError, in
        iter_claims and in read (which reads the order product, then pages its claims)."""
        with (
            mock_client(MP.TOSS, _fixed(_toss_claims("same"))) as adapter,
            pytest.raises(PagingError) as listed,
        ):
            list(adapter.iter_claims())
        row = {"orderId": "O1", "orderProductId": "OP1", "orderProductStatus": "PAID"}

        def answer(request: httpx.Request) -> httpx.Response:
            if "/orders/products/" in request.url.path:
                return httpx.Response(
                    200, json={"resultType": "SUCCESS", "success": row, "error": None}
                )
            return httpx.Response(200, json=_toss_claims("same"))

        with (
            mock_client(MP.TOSS, answer) as adapter,
            pytest.raises(PagingError) as read,
        ):
            adapter.read(OrderRef("OP1", "O1", DAY))
        assert ("next_cursor", "next_cursor") == (listed.value.field, read.value.field)

    def test_toss_endless_new_tokens_stop_at_the_page_limit(self) -> None:
        """A list that always has a new next page stops at the configured maximum of pages."""
        counter = iter(range(10**6))

        def answer(_request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json=_toss_claims(f"t{next(counter)}"))

        with (
            mock_client(MP.TOSS, answer) as adapter,
            paging_limit(7),
            pytest.raises(PagingError) as e,
        ):
            list(adapter.iter_claims())
        assert (7, "more than 7 pages") == (next(counter), str(e.value).split(": ")[-1][:17])

    def test_imweb_page_that_does_not_advance_ends(self) -> None:
        """imweb answering current_page 1 of 5 to every page ends in PagingError."""
        body = _imweb({"list": [], "pagenation": {"current_page": 1, "total_page": 5}})
        with mock_client(MP.IMWEB, _fixed(body)) as adapter:
            with pytest.raises(PagingError):
                list(adapter.iter_order_products(OrderQuery()))
            with pytest.raises(PagingError):
                list(adapter.iter_claims(ClaimQuery()))

    @pytest.mark.parametrize("mp", [MP.TOSS, MP.IMWEB])
    @pytest.mark.parametrize("failure", ["html", "refused", "timeout", "deep"])
    def test_token_failure_during_a_write_is_not_outcome_unknown(
        self, mp: cf.Marketplace, failure: str
    ) -> None:
        """A token endpoint that fails while a write is being sent (HTML 200, connection
        refused, read timeout, a hostile answer) means nothing was sent: TransportError, never
        OutcomeUnknownError, and the API is never called."""
        api_calls: list[str] = []

        def tokens(request: httpx.Request) -> httpx.Response:
            if failure == "html":
                return httpx.Response(200, content=b"<html>login</html>")
            if failure == "deep":
                return httpx.Response(200, content=DEEP)
            if failure == "refused":
                raise httpx.ConnectError("connection refused", request=request)
            raise httpx.ReadTimeout("timed out", request=request)

        def api(request: httpx.Request) -> httpx.Response:
            api_calls.append(request.url.path)
            return httpx.Response(200, json={})

        action = _write(mp)
        with (
            mock_client(mp, api, tokens=tokens) as adapter,
            pytest.raises(cf.MarketplaceError) as e,
        ):
            adapter.perform(action)
        assert (cf.TransportError, False, []) == (
            type(e.value),
            isinstance(e.value, cf.OutcomeUnknownError),
            api_calls,
        )

    @pytest.mark.parametrize(
        "body", [b"<html>401 Unauthorized</html>", b'{"error": "unauthorized"}', b""]
    )
    def test_imweb_401_without_envelope_is_authentication(self, body: bytes) -> None:
        """imweb's HTTP 401 without its envelope (a gateway page, foreign JSON, nothing) is
        AuthenticationError."""
        with (
            mock_client(MP.IMWEB, _fixed(body, 401)) as adapter,
            pytest.raises(cf.AuthenticationError),
        ):
            adapter.list_order_products(OrderQuery())


WRITES: dict[cf.Marketplace, tuple[str, str, str]] = {  # action, order product, order
    MP.TOSS: ("cancel.approve", "OP1", "O1"),
    MP.IMWEB: ("cancel.approve", "202400000001:100001", "202400000001"),
    MP.X2BEE: ("return.approve", "OP1", "O1"),  # exchange.withdraw: not supported since issue 9
}


def _write(mp: cf.Marketplace) -> RemoteAction:
    """An action the adapter of *mp* sends without parameters."""
    action, op_id, order_id = WRITES[mp]
    return RemoteAction(mp, action, op_id, claim_id="145000", order_id=order_id)


ERROR_BODIES: dict[cf.Marketplace, list[object]] = {
    MP.TOSS: [
        {
            "resultType": "FAIL",
            "success": None,
            "error": {"errorType": 1, "errorCode": "INVALID_REQUEST", "reason": "no"},
        },
        {"resultType": "FAIL"},
        {"error": "internal"},
    ],
    MP.IMWEB: [_imweb(None, -10), _imweb(None, -99), {"code": -1, "msg": "no"}],
    MP.X2BEE: [
        {
            "timestamp": "2024-05-01T00:00:00",
            "code": "ERR",
            "message": "no",
            "isProcess": False,
            "payload": None,
            "error": True,
            "errors": [{"field": "ordNo", "reason": "bad"}],
        },
        {"code": "E1", "message": "실패"},
        {"code": "E1", "errors": []},
    ],
}
JUNK: list[bytes] = [b'"ok"', b"[1, 2]", b"1", b"true", b"<html>error</html>", b"{", DEEP]


class TestWritesOnErrorBodies:
    @pytest.mark.parametrize("mp", list(MP))
    @settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_no_success_from_an_error_or_junk_200(
        self, mp: cf.Marketplace, data: st.DataObject
    ) -> None:
        """A write answered HTTP 200 with the marketplace's error envelope or junk is never a
        success (apply_remote commits only on success): a claimflow error, or no item done."""
        p = data.draw(wire_payloads(mp, "action"))
        body = data.draw(st.sampled_from([*ERROR_BODIES[mp], *JUNK]))
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        with mock_client(mp, lambda _r: httpx.Response(200, content=content)) as adapter:
            try:
                result = adapter.perform(p.action)
            except cf.ClaimflowError:
                committed: tuple[str, ...] = ()
            else:
                committed = result.succeeded
        assert () == committed


# --- the boundary's helpers ---------------------------------------------------------------------


class TestBoundary:
    @pytest.mark.parametrize(
        ("raw", "problem"),
        [
            (DEEP, "nested deeper than 64 levels"),
            (b"\xff", "not UTF-8 (byte 0)"),
            (b"NaN", "not JSON (NaN is not a JSON number)"),
            (b"[1e400]", "not JSON (the number 1e400 is out of range)"),
            (
                b"{",
                "not JSON (Expecting property name enclosed in double quotes at line 1 column 2)",
            ),
            (b"", "empty, not JSON"),
            (b"1" * 20, "too large: 20 bytes, the limit is 10"),
        ],
    )
    def test_parse_json_body_names_the_problem(self, raw: bytes, problem: str) -> None:
        """Every refused body is a MalformedBodyError (a ValueError too) naming the problem."""
        with pytest.raises(MalformedBodyError) as e:
            parse_json_body(raw, max_bytes=10 if len(raw) == 20 else 10**6)
        assert (problem, True) == (e.value.problem, isinstance(e.value, ValueError))

    def test_brackets_inside_strings_do_not_count(self) -> None:
        """A string full of brackets is not nesting."""
        assert ["[[[[" * 100] == parse_json_body(json.dumps(["[[[[" * 100]).encode())

    @pytest.mark.parametrize("value", ["²", "١٢", "1" * 30, 10**400, True, 1.5, "1e3", "", None])
    def test_wire_int_refuses_with_the_field(self, value: object) -> None:
        """wire_int refuses non-ASCII digits, huge numbers, bools, floats with WireFieldError."""
        with pytest.raises(WireFieldError) as e:
            wire_int(value, "total_page")
        assert "total_page" == e.value.field

    def test_redacted_headers(self) -> None:
        """Credential headers, and any a codec names, read *** in a redacted copy."""
        headers = {"Authorization": "Bearer t", "access-token": "t", "X-Shop-Key": "k", "A": "1"}
        shown = redact_headers(headers, extra=["x-shop-key"])
        assert ["***", "***", "***", "1"] == [shown[k] for k in headers]

    def test_wire_int_reads_ascii_digits(self) -> None:
        """A numeric string or an int within bounds is read."""
        assert [12, -3, 0] == [wire_int("12", "f"), wire_int("-3", "f"), wire_int(0, "f", 0, 1)]


# --- a server that trickles its answer, on a real socket ---------------------------------------


class Trickle:
    """A server on 127.0.0.1 that answers every request one byte every *interval* seconds
    (headers included, or only the body with *fast_headers*)."""

    def __init__(self, interval: float = 0.1, *, fast_headers: bool = False) -> None:
        body = b'{"ordNo": "O1", "ordSeq": "OP1"}' + b" " * 200
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        self.head, self.body, self.interval, self.fast_headers = head, body, interval, fast_headers
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                if self.fast_headers:
                    conn.sendall(self.head)
                for byte in self.body if self.fast_headers else self.head + self.body:
                    if self.stop.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(self.interval)
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()

    def urls(self) -> dict[str, str]:
        base = f"http://127.0.0.1:{self.port}"
        return {"order_url": base + "/api/order", "bo_url": base + "/api/bo", "goods_url": base}


DEADLINE = RetryPolicy(attempts=3, timeout=1.0, wait_initial=0.01, wait_max=0.05)


class TestDeadline:
    @pytest.mark.parametrize("fast_headers", [False, True])
    @pytest.mark.parametrize("write", [False, True])
    def test_trickling_server_cannot_stretch_a_call(self, fast_headers: bool, write: bool) -> None:
        """A server sending one byte every 100 ms holds a call with a 1 s deadline less than
        2 s: a read ends in TransportError, a write in OutcomeUnknownError."""
        server = Trickle(fast_headers=fast_headers)
        try:
            with x2bee.make_client("token", retry=DEADLINE, timeout=5.0, **server.urls()) as a:
                started = time.monotonic()
                with pytest.raises(cf.MarketplaceError) as e:
                    if write:
                        a.perform(_write(MP.X2BEE))
                    else:
                        a.calculate_cost(OrderRef("OP1", "O1"))
                took = time.monotonic() - started
        finally:
            server.close()
        expected = cf.OutcomeUnknownError if write else cf.TransportError
        assert (True, expected) == (took < 2.0, type(e.value))

    def test_async_trickling_server_cannot_stretch_a_call(self) -> None:
        """The same deadline holds for the asynchronous adapter."""
        server = Trickle()

        async def call() -> float:
            client = x2bee.make_async_client("token", retry=DEADLINE, timeout=5.0, **server.urls())
            async with client as a:
                started = time.monotonic()
                with pytest.raises(cf.TransportError):
                    await a.calculate_cost(OrderRef("OP1", "O1"))
                return time.monotonic() - started

        try:
            took = asyncio.run(call())
        finally:
            server.close()
        assert True is (took < 2.0)


# --- secrets: a canary scan -----------------------------------------------------------------------

CANARIES = {
    "toss_secret": "canary-toss-secret-7f3a",
    "toss_token": "canary-toss-token-91bc",
    "imweb_key": "canary-imweb-key-2d8e",
    "imweb_secret": "canary-imweb-secret-c41f",
    "imweb_token": "canary-imweb-token-6b07",
    "x2bee_token": "canary-x2bee-token-e93d",
    "url_password": "canary-url-pw-55e1",
}


def _canary_tokens(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/token":
        return httpx.Response(200, json={"access_token": CANARIES["toss_token"], "expires_in": 60})
    body = {"msg": "SUCCESS", "code": 200, "access_token": CANARIES["imweb_token"]}
    return httpx.Response(200, json=body)


def _canary_client(mp: cf.Marketplace, answer: Answer) -> Any:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path in {"/token", "/v2/auth"}:
            return _canary_tokens(request)
        return answer(request)

    transport = httpx.MockTransport(handle)
    c = CANARIES
    if mp is MP.TOSS:
        return toss.make_client("client", c["toss_secret"], retry=ONCE, transport=transport)
    if mp is MP.IMWEB:
        return imweb.make_client(c["imweb_key"], c["imweb_secret"], retry=ONCE, transport=transport)
    return x2bee.make_client(c["x2bee_token"], retry=ONCE, transport=transport)


def _texts(exc: BaseException | None) -> Iterator[str]:
    """Everything an exception shows: its text, repr and attributes, along its __cause__ and
    __context__ chain, with the headers, URL and body of every request and response in it."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield str(exc)
        yield repr(exc)
        yield repr(vars(exc))
        for name in ("request", "response"):
            try:
                message = getattr(exc, name, None)
            except RuntimeError:  # an httpx error made without a request
                continue
            if isinstance(message, httpx.Response):
                yield from _message_texts(message)
                message = message.request
            if isinstance(message, httpx.Request):
                yield from _message_texts(message)
        exc = exc.__cause__ or exc.__context__


def _message_texts(message: httpx.Request | httpx.Response) -> Iterator[str]:
    yield repr(message.headers.multi_items())
    if isinstance(message, httpx.Request):
        yield str(message.url)
    with contextlib.suppress(httpx.RequestNotRead, httpx.ResponseNotRead):
        yield message.content.decode("utf-8", "replace")


def _raising(error: type[Exception]) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error("failed", request=request)  # type: ignore[call-arg]

    return answer


class TestSecrets:
    @pytest.mark.parametrize("mp", list(MP))
    def test_no_canary_in_logs_reprs_errors_or_chains(
        self, mp: cf.Marketplace, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Credentials and tokens never show in DEBUG logs, reprs, error texts or exception
        chains (with the requests they carry), whatever fails: a write that times out (outcome
        unknown), a refused connection, an answer 5xx, 401 twice, an unreadable body."""
        caplog.set_level(logging.DEBUG)
        texts: list[str] = []
        failures: list[Answer] = [
            _raising(httpx.ReadTimeout),
            _raising(httpx.ConnectError),
            _raising(httpx.RemoteProtocolError),
            _fixed(b"<html>oops</html>", 503),
            _fixed({"code": -2, "msg": "token"}, 401),
            _fixed(b"not json"),
            _fixed(DEEP),
        ]
        for answer in failures:
            with _canary_client(mp, answer) as adapter:
                texts += [repr(adapter), repr(adapter._http.auth)]
                for call in (lambda: adapter.perform(_write(mp)), lambda: READ[mp](adapter)):
                    try:
                        call()
                    except cf.ClaimflowError as e:
                        texts += list(_texts(e))
        texts += [record.getMessage() for record in caplog.records]
        texts += [repr(record.args) for record in caplog.records]
        found = sorted({name for name, c in CANARIES.items() for t in texts if c in t})
        assert ([], True) == (found, len(texts) > 50)

    def test_imweb_token_not_in_an_outcome_unknown_chain(self) -> None:
        """The imweb access-token is not in OutcomeUnknownError's chain of requests."""
        with (
            _canary_client(MP.IMWEB, _raising(httpx.ReadTimeout)) as adapter,
            pytest.raises(cf.OutcomeUnknownError) as e,
        ):
            adapter.perform(_write(MP.IMWEB))
        cause = e.value.__cause__
        assert isinstance(cause, httpx.ReadTimeout)
        assert ("***", False) == (
            cause.request.headers["access-token"],
            any(CANARIES["imweb_token"] in t for t in _texts(e.value)),
        )

    @pytest.mark.parametrize("field", ["base_url", "token_url"])
    def test_password_in_a_url_is_refused_and_never_shown(self, field: str) -> None:
        """A URL with user:password@ is refused, and the error shows it redacted."""
        url = f"https://user:{CANARIES['url_password']}@example.com/api"
        with pytest.raises(cf.InvalidInputError) as e:
            toss.make_client("client", "secret", **{field: url})
        assert (field, False, True) == (
            e.value.field,
            CANARIES["url_password"] in str(e.value),
            "***@example.com" in str(e.value),
        )

    def test_repr_of_a_client_built_by_hand_hides_the_password(self) -> None:
        """A Client over an httpx.Client whose base URL carries a password shows it redacted."""
        from claimflow.adapters import Client  # noqa: PLC0415

        http = httpx.Client(base_url=f"https://user:{CANARIES['url_password']}@example.com/")
        client = Client(toss.SPEC, http)
        try:
            shown = repr(client)
        finally:
            client.close()
        assert (False, True) == (CANARIES["url_password"] in shown, "***@example.com" in shown)
