"""What every marketplace adapter must do, as one contract class run once per marketplace (the
pattern of zarr's ``StoreTests``). A marketplace's own test file keeps only its quirks.

Each subclass says how its marketplace answers (a success, a rate limit, a read and a write to
make, an action it cannot send); the contract's tests are the same for all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import httpx
import pytest

import claimflow as cf
from claimflow.adapters import OrderRef, RemoteAction, RetryPolicy, imweb, toss, x2bee

Handler = Callable[[httpx.Request], httpx.Response]
FAST = RetryPolicy(attempts=3, timeout=5.0, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)
SECRET = "s3cr3t-do-not-log"


def _tokens(handler: Handler) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": SECRET, "expires_in": 3599})
        if request.url.path == "/v2/auth":
            return httpx.Response(200, json={"msg": "SUCCESS", "code": 200, "access_token": SECRET})
        return handler(request)

    return answer


class AdapterContract:
    """The behaviours every adapter shares. Subclasses fill in the marketplace's answers."""

    marketplace: ClassVar[str]
    #: an action the seller API has no documented call for
    unsupported: ClassVar[str]

    def client(self, handler: Handler) -> Any:
        """A sync adapter over an ``httpx.MockTransport`` answering with *handler*."""
        raise NotImplementedError

    def write(self) -> RemoteAction:
        """A write the adapter can send."""
        raise NotImplementedError

    def read(self, adapter: Any) -> object:
        """A read through *adapter*."""
        raise NotImplementedError

    def written(self, request: httpx.Request) -> httpx.Response:
        """The marketplace's success answer to :meth:`write`."""
        raise NotImplementedError

    def rate_limited(self) -> httpx.Response:
        """The marketplace's rate-limit answer."""
        raise NotImplementedError

    # --- the contract ---------------------------------------------------------------------------

    def _counting(self, answers: list[httpx.Response]) -> tuple[Handler, list[httpx.Request]]:
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return answers[min(len(seen), len(answers)) - 1]

        return handler, seen

    def test_a_write_answered_5xx_is_outcome_unknown_and_not_repeated(self) -> None:
        """A write answered with HTTP 503 may have been carried out: OutcomeUnknownError, sent
        exactly once."""
        handler, seen = self._counting([httpx.Response(503)])
        with self.client(handler) as adapter, pytest.raises(cf.OutcomeUnknownError):
            adapter.perform(self.write())
        assert 1 == len(seen)

    def test_a_read_answered_5xx_is_retried_then_unavailable(self) -> None:
        """A read answered 5xx is repeated by the retry policy, then MarketplaceUnavailableError."""
        handler, seen = self._counting([httpx.Response(503)])
        with self.client(handler) as adapter, pytest.raises(cf.MarketplaceUnavailableError):
            self.read(adapter)
        assert FAST.attempts == len(seen)

    def test_a_rate_limit_is_retried_then_the_call_succeeds(self) -> None:
        """The marketplace's own rate-limit answer is retried; the write then goes through once."""
        answers: list[httpx.Response] = []

        def handler(request: httpx.Request) -> httpx.Response:
            answers.append(self.rate_limited() if not answers else self.written(request))
            return answers[-1]

        with self.client(handler) as adapter:
            result = adapter.perform(self.write())
        assert (True, 2) == (result.ok, len(answers))

    def test_an_answer_that_is_not_json_names_the_body(self) -> None:
        """A 200 that is not JSON is UnexpectedResponseError naming ``body``."""
        handler, _ = self._counting([httpx.Response(200, content=b"<html>gateway</html>")])
        with self.client(handler) as adapter, pytest.raises(cf.UnexpectedResponseError) as e:
            self.read(adapter)
        assert ("body", self.marketplace) == (e.value.field, e.value.marketplace)

    def test_an_action_without_a_documented_call_sends_nothing(self) -> None:
        """An action the marketplace documents no call for is NotSupportedError, nothing sent."""
        handler, seen = self._counting([httpx.Response(500)])
        action = RemoteAction(
            self.marketplace,
            self.unsupported,
            self.write().order_product_id,
            claim_id="C1",
            order_id=self.write().order_id,
        )
        with self.client(handler) as adapter, pytest.raises(cf.NotSupportedError):
            adapter.perform(action)
        assert [] == seen

    def test_no_secret_in_reprs_or_errors(self) -> None:
        """Neither the token nor the credentials show in the adapter's repr or in an error."""
        handler, _ = self._counting([httpx.Response(503)])
        with self.client(handler) as adapter:
            with pytest.raises(cf.OutcomeUnknownError) as e:
                adapter.perform(self.write())
            shown = repr(adapter) + repr(adapter._http.auth) + str(e.value)
        assert SECRET not in shown


class TestTossContract(AdapterContract):
    marketplace = "toss"
    unsupported = "exchange.change_invoice"

    def client(self, handler: Handler) -> Any:
        transport = httpx.MockTransport(_tokens(handler))
        return toss.make_client("id", SECRET, retry=FAST, transport=transport)

    def write(self) -> RemoteAction:
        return RemoteAction("toss", "return.approve", "OP1", claim_id="C1")

    def read(self, adapter: Any) -> object:
        return adapter.list_claims()

    def written(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"resultType": "SUCCESS", "success": {}})

    def rate_limited(self) -> httpx.Response:
        error = {"errorCode": "TOO_MANY_REQUEST", "reason": "요청이 너무 많습니다"}
        return httpx.Response(200, json={"resultType": "FAIL", "success": None, "error": error})


class TestImwebContract(AdapterContract):
    marketplace = "imweb"
    unsupported = "order.prepare"

    def client(self, handler: Handler) -> Any:
        transport = httpx.MockTransport(_tokens(handler))
        return imweb.make_client("key", SECRET, retry=FAST, transport=transport)

    def write(self) -> RemoteAction:
        return RemoteAction("imweb", "return.approve", "1:11", order_id="1")

    def read(self, adapter: Any) -> object:
        return adapter.read(OrderRef("1:11"))

    def written(self, request: httpx.Request) -> httpx.Response:
        data = {"success": ["1"], "failed": []}
        return httpx.Response(200, json={"msg": "SUCCESS", "code": 200, "data": data})

    def rate_limited(self) -> httpx.Response:
        return httpx.Response(200, json={"msg": "TOO MANY REQUEST", "code": -7, "data": None})


class TestX2beeContract(AdapterContract):
    marketplace = "x2bee"
    unsupported = "exchange.withdraw"

    def client(self, handler: Handler) -> Any:
        transport = httpx.MockTransport(handler)
        return x2bee.make_client(SECRET, retry=FAST, transport=transport)

    def write(self) -> RemoteAction:
        return RemoteAction("x2bee", "return.complete", "2", claim_id="C1", order_id="O1")

    def read(self, adapter: Any) -> object:
        return adapter.read(OrderRef("2", "O1"))

    def written(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200)

    def rate_limited(self) -> httpx.Response:
        return httpx.Response(429)
