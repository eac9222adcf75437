"""What every marketplace adapter must do, as one contract class run once per marketplace (the
pattern of zarr's ``StoreTests``). A marketplace's own test file keeps only its quirks.

:class:`AdapterContract` holds the behaviours every adapter shares, against the marketplace's
emulator over HTTP (``conftest.py``) and, for answers the emulators never give, over
``httpx.MockTransport``: errors (refused credentials, rate limits, HTTP statuses, 5xx on a read and
on a write, malformed answers), retries, unknown outcomes and reconcile, timeouts, secrets, the
async twin, plain-http URLs. :class:`IssuedTokenContract` adds what marketplaces that issue tokens
share (Toss, imweb: caching, re-issue once); :class:`ListingContract` what marketplaces with list
calls share (pagination). Each ``Test<Marketplace>Contract`` names only its kit (``kits.py``) and
the marketplace's answers.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
import stamina

import claimflow as cf
from claimflow.adapters import (
    ClaimQuery,
    Client,
    OrderQuery,
    OrderRef,
    ReconcileOutcome,
    RemoteAction,
    RetryPolicy,
    apply_remote,
    apply_remote_async,
    check_base_url,
    reconcile,
    reconcile_async,
)
from claimflow.emulators import Fault, Faults, RunningServer

from .kits import FAST, IMWEB, MOCK_TOKEN, TOSS, X2BEE, Handler, Kit, Setup

KST = dt.timezone(dt.timedelta(hours=9), "KST")


def _auth_repr(adapter: Any) -> str:
    """The repr of the adapter's ``httpx.Auth`` (where the credentials live)."""
    return repr(adapter._http.auth)


@pytest.fixture
def retry_waits() -> Iterator[list[float]]:
    """The waits stamina schedules before each retry, while the test runs."""
    waits: list[float] = []
    stamina.instrumentation.set_on_retry_hooks([lambda details: waits.append(details.wait_for)])
    yield waits
    stamina.instrumentation.set_on_retry_hooks(None)


class AdapterContract:
    """The behaviours every adapter shares. Subclasses name their kit and fill in the answers
    of their marketplace that the emulator never gives."""

    kit: ClassVar[Kit]
    #: an action the marketplace's seller API has no call for
    unsupported: ClassVar[str]
    #: the code of the marketplace's refusal of an action on a claim it sees in another state
    stale_code: ClassVar[str]

    def mock_write(self) -> RemoteAction:
        """A write the adapter can send (to a mock transport)."""
        raise NotImplementedError

    def mock_op(self) -> cf.OrderProduct:
        """The local order product :meth:`mock_write` acts on, in a state that allows it."""
        raise NotImplementedError

    def written(self, request: httpx.Request) -> httpx.Response:
        """The marketplace's success answer to :meth:`mock_write`."""
        raise NotImplementedError

    def rate_limited(self) -> httpx.Response:
        """The marketplace's own rate-limit answer."""
        raise NotImplementedError

    # --- helpers --------------------------------------------------------------------------------

    def collected(self, emulator: Any, adapter: Client) -> Setup:
        """A return the buyer asked for, approved and collected: the next step refunds."""
        s = self.kit.requested(emulator, adapter, "DELIVERED", "return.request")
        for action in ("return.approve", "return.collect"):
            done = apply_remote(adapter, s.op, action, "SELLER", ref=s.ref)
            s = Setup(done.order_product, s.ref)
        return s

    def _counting(self, answers: list[httpx.Response]) -> tuple[Handler, list[httpx.Request]]:
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return answers[min(len(seen), len(answers)) - 1]

        return handler, seen

    # --- the engine and the seller API ----------------------------------------------------------

    def test_engine_refusal_sends_nothing(self, emulator: Any, adapter: Client) -> None:
        """An action the engine refuses raises ActionRefusedError and never reaches the
        marketplace."""
        s = self.kit.start(emulator, "DELIVERED")

        with pytest.raises(cf.ActionRefusedError) as e:
            apply_remote(adapter, s.op, "return.approve", "SELLER", ref=s.ref)

        assert "NO_OPEN_CLAIM" in e.value.decision.codes
        assert [] == self.kit.api_requests(emulator)

    def test_a_buyer_request_arrives_by_reconcile(self, emulator: Any, adapter: Client) -> None:
        """What the buyer does in the storefront reaches the local side by reading it back, as
        one version, with the status under the request as the claim's origin."""
        s = self.kit.start(emulator, "SHIPPING")
        emulator.buyer(s.op.id, "exchange.request", **self.kit.buyer_params)

        synced = reconcile(adapter, s.op, ref=s.ref)

        assert ReconcileOutcome.ADOPTED == synced.outcome
        claim = synced.order_product.open_claim
        assert claim is not None
        assert (cf.ClaimType.EXCHANGE, cf.ClaimStatus.REQUESTED, cf.Status.SHIPPING) == (
            claim.type,
            claim.status,
            claim.origin_status,
        )
        assert s.op.version + 1 == synced.order_product.version

    def test_a_buyer_request_has_no_seller_call(self, emulator: Any, adapter: Client) -> None:
        """A buyer's request through the seller adapter is refused before anything is sent: the
        marketplace documents no seller call for it."""
        s = self.kit.start(emulator, "DELIVERED")

        with pytest.raises(cf.NotSupportedError) as e:
            apply_remote(
                adapter, s.op, "return.request", "BUYER", ref=s.ref, **self.kit.buyer_params
            )

        assert (False, self.kit.marketplace, cf.Action.RETURN_REQUEST) == (
            e.value.documented,
            e.value.marketplace,
            e.value.action,
        )
        assert [] == self.kit.writes(emulator)

    def test_an_action_without_a_documented_call_sends_nothing(self) -> None:
        """An action the marketplace has no call for is NotSupportedError naming it; nothing is
        sent."""
        handler, seen = self._counting([httpx.Response(500)])
        write = self.mock_write()
        action = RemoteAction(
            self.kit.marketplace,
            self.unsupported,
            write.order_product_id,
            claim_id="C1",
            order_id=write.order_id,
        )
        with self.kit.mock(handler) as adapter, pytest.raises(cf.NotSupportedError) as e:
            adapter.perform(action)
        assert (self.kit.marketplace, cf.Action(self.unsupported)) == (
            e.value.marketplace,
            e.value.action,
        )
        assert [] == seen

    def test_a_marketplace_refusal_leaves_local_state(self, emulator: Any, adapter: Client) -> None:
        """When the marketplace refuses (its side moved on meanwhile), the error carries its
        code, the order product and the action; the local order product is unchanged; reconcile
        then adopts the marketplace's state."""
        s = self.kit.requested(emulator, adapter, "DELIVERED", "return.request")
        emulator.store.act(s.op.id, "return.approve", "SELLER")  # in the back office
        before = s.op

        with pytest.raises(cf.MarketplaceRefusedError) as e:
            apply_remote(adapter, s.op, "return.approve", "SELLER", ref=s.ref)

        assert (self.stale_code, self.kit.marketplace, s.op.id, cf.Action.RETURN_APPROVE) == (
            e.value.code,
            e.value.marketplace,
            e.value.order_product_id,
            e.value.action,
        )
        assert before == s.op
        synced = reconcile(adapter, s.op, ref=s.ref)
        assert (ReconcileOutcome.ADOPTED, cf.Status.RETURN_COLLECTING) == (
            synced.outcome,
            synced.order_product.status,
        )

    # --- credentials and URLs -------------------------------------------------------------------

    def test_refused_credentials(self, emulator: Any, server: RunningServer) -> None:
        """Refused credentials raise AuthenticationError saying what the marketplace answered,
        never showing the credentials; nothing is repeated."""
        s = self.kit.start(emulator, "PAID")
        refused, secret = self.kit.refused(server)
        with refused as adapter, pytest.raises(cf.AuthenticationError) as e:
            adapter.read(s.ref)
        assert self.kit.refused_text in str(e.value)
        assert [] == [t for t in (secret, *self.kit.secrets(emulator)) if t in str(e.value)]
        assert self.kit.requests_before_refusal == len(self.kit.api_requests(emulator))

    def test_http_401_is_an_authentication_error(self) -> None:
        """HTTP 401 (a gateway page, no envelope) on every answer is AuthenticationError naming
        the marketplace: after one re-issued token where the marketplace issues them, at once
        where the caller brings the token; the token never shows."""
        handler, seen = self._counting([httpx.Response(401, content=b"<html>401</html>")])
        write = self.mock_write()
        with self.kit.mock(handler) as adapter, pytest.raises(cf.AuthenticationError) as e:
            adapter.read(OrderRef(write.order_product_id, write.order_id))
        assert (self.kit.marketplace, 2 if self.kit.issues_tokens else 1) == (
            e.value.marketplace,
            len(seen),
        )
        assert MOCK_TOKEN not in str(e.value)

    def test_plain_http_only_on_loopback(self, server: RunningServer) -> None:
        """A plain-http URL is refused, naming it, except on 127.0.0.1 / localhost."""
        for option, url in self.kit.insecure.items():
            with pytest.raises(cf.InvalidInputError) as e:
                self.kit.make_sync_at("http://127.0.0.1", **{option: url})
            assert option == e.value.field
        with self.kit.make_sync(server) as adapter:
            assert "127.0.0.1" in repr(adapter)

    def test_secrets_never_shown(
        self, emulator: Any, server: RunningServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Neither the credentials nor any token the marketplace issued appear in reprs, error
        texts, pending actions or logs, through token expiry, an unknown outcome, a refusal and
        refused credentials."""
        caplog.set_level(logging.DEBUG)
        texts: list[str] = []
        with self.kit.make_sync(server) as adapter:
            s = self.kit.requested(emulator, adapter, "DELIVERED", "return.request")
            if self.kit.issues_tokens:
                emulator.expire_tokens()
            approved = apply_remote(adapter, s.op, "return.approve", "SELLER", ref=s.ref)
            texts += [repr(adapter), _auth_repr(adapter), repr(adapter._http.headers)]
            emulator.inject(Fault.SERVER_ERROR, on="write")
            with pytest.raises(cf.OutcomeUnknownError) as unknown:
                apply_remote(adapter, approved.order_product, "return.collect", "SELLER", ref=s.ref)
            with pytest.raises(cf.MarketplaceRefusedError) as refused:  # a stale local state
                apply_remote(adapter, s.op, "return.approve", "SELLER", ref=s.ref)
            texts += [str(unknown.value), repr(unknown.value), repr(unknown.value.pending)]
            texts += [str(refused.value), repr(refused.value)]
        bad, _ = self.kit.refused(server)
        with bad, pytest.raises(cf.AuthenticationError) as auth_error:
            bad.read(s.ref)
        texts += [str(auth_error.value), repr(bad), _auth_repr(bad)]
        texts += [r.getMessage() for r in caplog.records]
        secrets = self.kit.secrets(emulator)

        assert len(secrets) >= 1
        assert [] == [(secret, t) for secret in secrets for t in texts if secret in t]

    # --- retries and errors ---------------------------------------------------------------------

    def test_rate_limited_after_retries(self, emulator: Any, adapter: Client) -> None:
        """The marketplace's rate-limit answer on every attempt ends in RateLimitedError with
        the Retry-After, after the policy's attempts."""
        s = self.kit.start(emulator, "PAID")
        emulator.faults = Faults(retry_after=0.01)
        emulator.inject(Fault.RATE_LIMIT, times=FAST.attempts)

        with pytest.raises(cf.RateLimitedError) as e:
            adapter.read(s.ref)

        assert 0.01 == e.value.retry_after
        assert FAST.attempts == len(self.kit.api_requests(emulator))

    def test_rate_limit_then_success_on_a_write(self, emulator: Any, adapter: Client) -> None:
        """A rate-limited write was not carried out, so it is retried and then carried out once:
        one refund."""
        s = self.collected(emulator, adapter)
        writes = len(self.kit.writes(emulator))
        emulator.inject(Fault.RATE_LIMIT, times=2, on="write")

        done = apply_remote(adapter, s.op, "return.complete", "SELLER", ref=s.ref)

        assert cf.apply(s.op, "return.complete", "SELLER").order_product == done.order_product
        assert writes + 3 == len(self.kit.writes(emulator))
        assert [s.op.unit_price] == emulator.store.refunds(s.op.id)

    def test_a_rate_limit_is_retried_then_the_call_succeeds(self) -> None:
        """The marketplace's own rate-limit answer (not the emulator's) is retried; the write
        then goes through once."""
        answers: list[httpx.Response] = []

        def handler(request: httpx.Request) -> httpx.Response:
            answers.append(self.rate_limited() if not answers else self.written(request))
            return answers[-1]

        with self.kit.mock(handler) as adapter:
            result = adapter.perform(self.mock_write())
        assert (True, 2) == (result.ok, len(answers))

    def test_http_429_honours_retry_after(self, retry_waits: list[float]) -> None:
        """HTTP 429 with Retry-After (no envelope) is retried after that wait, then succeeds."""
        answers: list[httpx.Response] = []

        def handler(request: httpx.Request) -> httpx.Response:
            first = httpx.Response(429, headers={"Retry-After": "0.02"})
            answers.append(first if not answers else self.written(request))
            return answers[-1]

        with self.kit.mock(handler) as adapter:
            result = adapter.perform(self.mock_write())
        assert (True, 2) == (result.ok, len(answers))
        assert [0.02] == [round(w, 3) for w in retry_waits]

    def test_server_error_then_success_on_a_read(self, emulator: Any, adapter: Client) -> None:
        """A read answered with HTTP 503 is safe to repeat: it is retried and succeeds."""
        s = self.kit.start(emulator, "PAID")
        adapter.read(s.ref)
        plain = len(self.kit.api_requests(emulator))  # a read may take more than one request
        emulator.reset()
        emulator.inject(Fault.SERVER_ERROR, times=1, on="read")

        remote = adapter.read(s.ref)

        assert (s.op.id, cf.Status.PAID) == (remote.id, remote.status)
        assert plain + 1 == len(self.kit.api_requests(emulator))

    def test_server_error_on_a_read_after_retries(self, emulator: Any, adapter: Client) -> None:
        """HTTP 5xx on every attempt of a read ends in MarketplaceUnavailableError (not an
        unknown outcome), after the policy's attempts."""
        s = self.kit.start(emulator, "PAID")
        emulator.inject(Fault.SERVER_ERROR, times=FAST.attempts)

        with pytest.raises(cf.MarketplaceUnavailableError) as e:
            adapter.read(s.ref)

        assert 503 == e.value.status_code
        assert FAST.attempts == len(self.kit.api_requests(emulator))

    def test_server_error_on_a_write_is_never_retried(self, emulator: Any, adapter: Client) -> None:
        """HTTP 503 to a write may have been carried out: OutcomeUnknownError after exactly one
        request; reconcile says it did not happen, and the retry then refunds exactly once."""
        s = self.collected(emulator, adapter)
        writes = len(self.kit.writes(emulator))
        emulator.inject(Fault.SERVER_ERROR, on="write")

        with pytest.raises(cf.OutcomeUnknownError) as e:
            apply_remote(adapter, s.op, "return.complete", "SELLER", ref=s.ref)

        assert writes + 1 == len(self.kit.writes(emulator))
        synced = reconcile(adapter, s.op, pending=e.value.pending)
        assert (ReconcileOutcome.NOT_APPLIED, s.op) == (synced.outcome, synced.order_product)
        done = apply_remote(adapter, synced.order_product, "return.complete", "SELLER", ref=s.ref)
        assert cf.apply(s.op, "return.complete", "SELLER").order_product == done.order_product
        assert [s.op.unit_price] == emulator.store.refunds(s.op.id)

    def test_connection_refused_is_a_transport_error(self) -> None:
        """A port nobody listens on gives a retryable TransportError after the retries."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with (
            self.kit.make_sync_at(f"http://127.0.0.1:{port}") as adapter,
            pytest.raises(cf.TransportError) as e,
        ):
            adapter.read(OrderRef(self.mock_write().order_product_id, self.mock_write().order_id))
        assert (True, self.kit.marketplace) == (e.value.retryable, e.value.marketplace)
        assert "ConnectError" in str(e.value)

    # --- answers that do not parse --------------------------------------------------------------

    def test_an_answer_that_is_not_json_names_the_body(self) -> None:
        """A 200 that is not JSON is UnexpectedResponseError naming ``body``."""
        handler, _ = self._counting([httpx.Response(200, content=b"<html>gateway</html>")])
        write = self.mock_write()
        with self.kit.mock(handler) as adapter, pytest.raises(cf.UnexpectedResponseError) as e:
            adapter.read(OrderRef(write.order_product_id, write.order_id))
        assert ("body", self.kit.marketplace) == (e.value.field, e.value.marketplace)

    def test_an_unknown_http_status_names_the_status(self) -> None:
        """An HTTP status the marketplace never documents is UnexpectedResponseError naming
        ``status_code``."""
        handler, _ = self._counting([httpx.Response(418, json={"teapot": True})])
        write = self.mock_write()
        with self.kit.mock(handler) as adapter, pytest.raises(cf.UnexpectedResponseError) as e:
            adapter.read(OrderRef(write.order_product_id, write.order_id))
        assert ("status_code", self.kit.marketplace) == (e.value.field, e.value.marketplace)

    # --- unknown outcomes -----------------------------------------------------------------------

    def test_dropped_answer_then_reconcile_no_double_refund(
        self, emulator: Any, adapter: Client
    ) -> None:
        """The marketplace completes the return but the answer is lost: OutcomeUnknownError,
        the local order product as it was; reconcile commits exactly what apply would have; a
        retry is refused by the engine; one refund only; both sides then agree."""
        s = self.collected(emulator, adapter)
        emulator.inject(Fault.DROP_AFTER_COMMIT, on="write")

        with pytest.raises(cf.OutcomeUnknownError) as e:
            apply_remote(adapter, s.op, "return.complete", "SELLER", ref=s.ref)

        assert "RemoteProtocolError" in str(e.value)
        assert cf.Status.RETURN_COLLECTED == s.op.status
        synced = reconcile(adapter, s.op, pending=e.value.pending)
        assert ReconcileOutcome.APPLIED == synced.outcome
        assert cf.apply(s.op, "return.complete", "SELLER").order_product == synced.order_product
        with pytest.raises(cf.ActionRefusedError):
            apply_remote(adapter, synced.order_product, "return.complete", "SELLER", ref=s.ref)
        assert [s.op.unit_price] == emulator.store.refunds(s.op.id)
        assert (
            ReconcileOutcome.IN_SYNC == reconcile(adapter, synced.order_product, ref=s.ref).outcome
        )

    def test_timeout_after_send_then_reconcile(self, emulator: Any, server: RunningServer) -> None:
        """A write that times out after it was sent (emulator latency) is an unknown outcome,
        which reconcile resolves once the marketplace has carried it out."""
        with self.kit.make_sync(server, timeout=0.2) as adapter:
            s = self.kit.requested(emulator, adapter, "DELIVERED", "exchange.request")
            emulator.faults = Faults(latency=0.3)  # answers after the adapter gave up
            with pytest.raises(cf.OutcomeUnknownError) as e:
                apply_remote(adapter, s.op, "exchange.approve", "SELLER", ref=s.ref)
            emulator.faults = Faults()
            deadline = time.monotonic() + 3
            while emulator.store.get(s.op.id).op.status is not cf.Status.EXCHANGE_COLLECTING:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            synced = reconcile(adapter, s.op, pending=e.value.pending)
        assert "ReadTimeout" in str(e.value)
        assert (ReconcileOutcome.APPLIED, cf.Status.EXCHANGE_COLLECTING) == (
            synced.outcome,
            synced.order_product.status,
        )

    def test_unreadable_answer_to_a_write_is_an_unknown_outcome(self) -> None:
        """A write whose answer cannot be read may have happened: OutcomeUnknownError naming the
        body, with the pending action to reconcile."""
        handler, seen = self._counting([httpx.Response(200, content=b"<html>gateway</html>")])
        write = self.mock_write()
        ref = OrderRef(write.order_product_id, write.order_id)
        with self.kit.mock(handler) as adapter, pytest.raises(cf.OutcomeUnknownError) as e:
            apply_remote(adapter, self.mock_op(), write.action, "SELLER", ref=ref)
        assert "body" in str(e.value)
        assert e.value.pending is not None
        assert 1 == len(seen)

    # --- the async twin -------------------------------------------------------------------------

    @pytest.mark.anyio
    async def test_async_walk_with_a_dropped_answer(
        self, emulator: Any, server: RunningServer
    ) -> None:
        """The async adapter adopts a buyer's return, approves it, and resolves a dropped answer
        to the collection by reconcile."""
        s = self.kit.start(emulator, "SHIPPING")
        emulator.buyer(s.op.id, "return.request", **self.kit.buyer_params)
        async with self.kit.make_async(server) as adapter:
            adopted = await reconcile_async(adapter, s.op, ref=s.ref)
            done = await apply_remote_async(
                adapter, adopted.order_product, "return.approve", "SELLER", ref=s.ref
            )
            emulator.inject(Fault.DROP_AFTER_COMMIT, on="write")
            with pytest.raises(cf.OutcomeUnknownError) as e:
                await apply_remote_async(
                    adapter, done.order_product, "return.collect", "SELLER", ref=s.ref
                )
            synced = await reconcile_async(adapter, done.order_product, pending=e.value.pending)
        assert ReconcileOutcome.ADOPTED == adopted.outcome
        assert (ReconcileOutcome.APPLIED, cf.Status.RETURN_COLLECTED) == (
            synced.outcome,
            synced.order_product.status,
        )
        assert cf.Status.RETURN_COLLECTED == emulator.store.get(s.op.id).op.status

    @pytest.mark.anyio
    async def test_async_server_error_on_a_write_is_sent_once(
        self, emulator: Any, async_adapter: Any
    ) -> None:
        """The async adapter, too, never repeats a write answered 5xx: an unknown outcome after
        one request, which reconcile finds not carried out."""
        s = self.kit.start(emulator, "DELIVERED")
        emulator.buyer(s.op.id, "return.request", **self.kit.buyer_params)
        op = (await reconcile_async(async_adapter, s.op, ref=s.ref)).order_product
        emulator.inject(Fault.SERVER_ERROR, on="write")

        with pytest.raises(cf.OutcomeUnknownError) as e:
            await apply_remote_async(async_adapter, op, "return.approve", "SELLER", ref=s.ref)

        assert 1 == len(self.kit.writes(emulator))
        synced = await reconcile_async(async_adapter, op, pending=e.value.pending)
        assert (ReconcileOutcome.NOT_APPLIED, op) == (synced.outcome, synced.order_product)

    @pytest.mark.anyio
    async def test_in_process_through_asgi_transport(self) -> None:
        """The emulator app runs in-process through httpx.ASGITransport, with no server: a
        buyer's return is adopted and approved on both sides."""
        emulator = self.kit.emulator()
        s = self.kit.start(emulator, "DELIVERED")
        emulator.buyer(s.op.id, "return.request", **self.kit.buyer_params)
        async with self.kit.in_process(emulator.app) as adapter:
            synced = await reconcile_async(adapter, s.op, ref=s.ref)
            done = await apply_remote_async(
                adapter, synced.order_product, "return.approve", "SELLER", ref=s.ref
            )
        assert (cf.Status.RETURN_COLLECTING, cf.Status.RETURN_COLLECTING) == (
            done.order_product.status,
            emulator.store.get(s.op.id).op.status,
        )


class IssuedTokenContract(AdapterContract):
    """What the adapters of marketplaces that issue access tokens share (one cached-token
    ``httpx.Auth``)."""

    def test_token_is_cached(self, emulator: Any, server: RunningServer) -> None:
        """One token serves many requests; the token request carries the documented fields."""
        s = self.kit.start(emulator, "PAID")
        before = emulator.core.tokens_issued
        with self.kit.make_sync(server) as adapter:
            for _ in range(3):
                adapter.read(s.ref)
        assert 1 == emulator.core.tokens_issued - before
        token_requests = [r for r in emulator.core.requests if r.path == self.kit.token_path]
        assert [self.kit.token_form_keys] == [r.form_keys for r in token_requests]

    def test_token_expiry_mid_run(self, emulator: Any, adapter: Client) -> None:
        """When the token expires between two actions, the refusal leads to one re-issue and
        the call is repeated and carried out once."""
        s = self.kit.requested(emulator, adapter, "DELIVERED", "return.request")
        before = emulator.core.tokens_issued
        emulator.expire_tokens()

        done = apply_remote(adapter, s.op, "return.approve", "SELLER", ref=s.ref)

        assert cf.Status.RETURN_COLLECTING == done.order_product.status
        assert 1 == emulator.core.tokens_issued - before
        assert 2 == len(self.kit.writes(emulator))  # the refusal, then the new token's request
        assert ReconcileOutcome.IN_SYNC == reconcile(adapter, done.order_product, ref=s.ref).outcome

    def test_token_reissued_only_once(self, emulator: Any, server: RunningServer) -> None:
        """Tokens that are refused at once lead to one re-issue, then AuthenticationError."""
        s = self.kit.start(emulator, "PAID")
        emulator.faults = Faults(token_ttl=0)
        before = emulator.core.tokens_issued
        with self.kit.make_sync(server) as adapter, pytest.raises(cf.AuthenticationError):
            adapter.read(s.ref)
        assert 2 == emulator.core.tokens_issued - before
        assert 2 == len(self.kit.api_requests(emulator))

    def test_the_auth_shows_its_token_masked(self, emulator: Any, adapter: Client) -> None:
        """Once it holds a token, the token ``httpx.Auth`` shows it only as ``***``."""
        adapter.read(self.kit.start(emulator, "PAID").ref)
        assert "Secret('***')" in _auth_repr(adapter)

    def test_mock_token_never_shown(self) -> None:
        """A token the marketplace handed out shows neither in the adapter's repr nor in an
        error of a write answered 5xx."""
        with self.kit.mock(lambda _: httpx.Response(503)) as adapter:
            with pytest.raises(cf.OutcomeUnknownError) as e:
                adapter.perform(self.mock_write())
            shown = repr(adapter) + _auth_repr(adapter) + str(e.value) + repr(e.value.pending)
        assert MOCK_TOKEN not in shown


class ListingContract(AdapterContract):
    """What the adapters of marketplaces with list calls share: pagination."""

    #: a day on which only :meth:`test_order_products_over_pages` orders
    listing_day: ClassVar[dt.datetime]

    def test_order_products_over_pages(self, emulator: Any, adapter: Client) -> None:
        """The order products of one day come over several pages, every one once."""
        ids = {
            self.kit.start(emulator, "PAID", ordered_at=self.listing_day).op.id for _ in range(7)
        }
        day = self.listing_day.date()

        rows = list(adapter.iter_order_products(OrderQuery(since=day, until=day, page_size=3)))

        assert ids == {r.id for r in rows}
        assert len(ids) == len(rows)
        assert {cf.Status.PAID} == {r.status for r in rows}

    @pytest.mark.anyio
    async def test_async_claims_of_an_order(self, emulator: Any, async_adapter: Any) -> None:
        """The async adapter lists an order's claims (async iteration over the pages)."""
        s = self.kit.start(emulator, "DELIVERED")
        emulator.buyer(s.op.id, "return.request", **self.kit.buyer_params)
        order_id = s.ref.order_id or s.op.id.split(":")[0]

        claims = [c async for c in async_adapter.iter_claims(ClaimQuery(order_ids=(order_id,)))]

        assert [(s.op.id, cf.ClaimType.RETURN, cf.ClaimStatus.REQUESTED)] == [
            (c.order_product_id, c.type, c.status) for c in claims
        ]


# --- the marketplaces -----------------------------------------------------------------------------


class TestTossContract(IssuedTokenContract, ListingContract):
    kit = TOSS
    unsupported = "exchange.change_invoice"
    stale_code = "INVALID_REQUEST"
    listing_day = dt.datetime(2022, 6, 1, 10, tzinfo=KST)

    def mock_write(self) -> RemoteAction:
        return RemoteAction("toss", "return.approve", "OP1", claim_id="C1")

    def mock_op(self) -> cf.OrderProduct:
        claim = cf.Claim("C1", "RETURN", "REQUESTED", "DELIVERED")
        return cf.OrderProduct("OP1", "toss", "DELIVERED", "I", 1000, open_claim=claim)

    def written(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"resultType": "SUCCESS", "success": {}})

    def rate_limited(self) -> httpx.Response:
        error = {"errorCode": "TOO_MANY_REQUEST", "reason": "요청이 너무 많습니다"}
        return httpx.Response(200, json={"resultType": "FAIL", "success": None, "error": error})


class TestImwebContract(IssuedTokenContract, ListingContract):
    kit = IMWEB
    unsupported = "order.prepare"
    stale_code = "ITEM_FAILED"
    listing_day = dt.datetime(2022, 6, 2, 10, tzinfo=KST)

    def mock_write(self) -> RemoteAction:
        return RemoteAction("imweb", "return.approve", "1:11", order_id="1")

    def mock_op(self) -> cf.OrderProduct:
        claim = cf.Claim("c", "RETURN", "REQUESTED", "DELIVERED")
        return cf.OrderProduct("1:11", "imweb", "DELIVERED", "P", 1000, open_claim=claim)

    def written(self, request: httpx.Request) -> httpx.Response:
        data = {"success": ["1"], "failed": []}
        return httpx.Response(200, json={"msg": "SUCCESS", "code": 200, "data": data})

    def rate_limited(self) -> httpx.Response:
        return httpx.Response(200, json={"msg": "TOO MANY REQUEST", "code": -7, "data": None})


class TestX2beeContract(AdapterContract):
    kit = X2BEE
    unsupported = "exchange.withdraw"
    stale_code = "CLAIM_NOT_ALLOWED"

    def mock_write(self) -> RemoteAction:
        return RemoteAction("x2bee", "return.complete", "2", claim_id="C1", order_id="O1")

    def mock_op(self) -> cf.OrderProduct:
        claim = cf.Claim("C1", "RETURN", "COLLECTED", "DELIVERED")
        return cf.OrderProduct("2", "x2bee", "RETURN_COLLECTED", "I", 1000, open_claim=claim)

    def written(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200)

    def rate_limited(self) -> httpx.Response:
        return httpx.Response(429)


class TestShared:
    """What the adapters share that needs no marketplace."""

    def test_retry_policy_retries_only_what_is_safe(self) -> None:
        """Rate limits (with their wait) and transport errors are retried; the rest is not."""
        policy = RetryPolicy(max_retry_after=1.0)
        mp = "toss"
        assert 0.5 == policy.should_retry(cf.RateLimitedError("x", marketplace=mp, retry_after=0.5))
        assert 1.0 == policy.should_retry(cf.RateLimitedError("x", marketplace=mp, retry_after=9))
        assert policy.should_retry(cf.TransportError("x", marketplace=mp)) is True
        for error in (
            cf.OutcomeUnknownError("x", marketplace=mp),
            cf.AuthenticationError("x", marketplace=mp),
            cf.MarketplaceRefusedError("x", marketplace=mp, code="C", message="m"),
            cf.TransportError("x", marketplace=mp, retryable=False),
        ):
            assert policy.should_retry(error) is False

    def test_base_url_needs_https_except_loopback(self) -> None:
        """check_base_url keeps https URLs (without the trailing slash) and plain http only on
        127.0.0.1 / localhost."""
        assert "https://shopping-fep.toss.im" == check_base_url("https://shopping-fep.toss.im/")
        assert "http://127.0.0.1:8080" == check_base_url("http://127.0.0.1:8080")
        with pytest.raises(cf.InvalidInputError):
            check_base_url("http://shopping-fep.toss.im")

    def test_remote_action_names_its_values(self) -> None:
        """RemoteAction accepts strings for marketplace and action and checks them."""
        action = RemoteAction("toss", "return.approve", "OP1", claim_id="7")
        assert (cf.Marketplace.TOSS, cf.Action.RETURN_APPROVE) == (
            action.marketplace,
            action.action,
        )
        with pytest.raises(cf.UnknownValueError):
            RemoteAction("toss", "return.teleport", "OP1")
