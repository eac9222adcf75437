"""Adapter layer 5, the clients: :class:`RetryPolicy` (stamina), the :class:`Adapter` /
:class:`AsyncAdapter` protocols and their two drivers, :class:`Client` and
:class:`AsyncClient`, which run the spec's flows over httpx."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs
import httpx
import stamina

from .._vocab import Marketplace
from ..exceptions import RateLimitedError, TransportError
from . import _boundary
from ._errors import map_transport_errors, parse_response
from ._spec import Call, Emit, Flow, MarketplaceSpec, PagedList, action_call, iter_flow, single_flow
from ._values import (
    ActionResult,
    ClaimQuery,
    OrderQuery,
    OrderRef,
    Page,
    RemoteAction,
    RemoteClaim,
    RemoteOrderProduct,
)

T = TypeVar("T")
Q = TypeVar("Q")

# --- retries ----------------------------------------------------------------------------------


@attrs.frozen
class RetryPolicy:
    """How the adapters retry, with ``stamina``: exponential backoff with jitter, a
    ``Retry-After`` honoured up to ``max_retry_after`` seconds, at most ``attempts`` tries within
    ``timeout`` seconds. Only what is safe is retried (see the module docstring).

    ``timeout`` is also each call's overall deadline (connect, write, read, waits and retries):
    a server trickling its answer cannot hold a call longer (see ``_boundary.call_scope``)."""

    attempts: int = 5
    timeout: float = 45.0
    wait_initial: float = 0.1
    wait_max: float = 5.0
    wait_jitter: float = 0.5
    max_retry_after: float = 60.0

    def should_retry(self, exc: Exception) -> bool | float:
        """stamina's backoff hook: False, True (backoff), or the seconds to wait."""
        if isinstance(exc, RateLimitedError):
            if exc.retry_after is None:
                return True
            wait = min(exc.retry_after, self.max_retry_after)
            return _boundary.within_deadline(wait)
        if isinstance(exc, TransportError):
            return exc.retryable
        return False

    def attempts_of(self, started: float | None = None) -> Any:
        """A fresh ``stamina.retry_context`` (iterate it with ``for`` or ``async for``).

        With *started* (a ``time.monotonic()`` reading), the context replaces calls whose first
        attempt already ran since then: its timeout is what is left of ``timeout``, so the whole
        call keeps the same budget as a context made before the first attempt."""
        timeout = self.timeout
        if started is not None:
            timeout = max(timeout - (time.monotonic() - started), 1e-9)
        return stamina.retry_context(
            on=self.should_retry,
            attempts=self.attempts,
            timeout=timeout,
            wait_initial=self.wait_initial,
            wait_max=self.wait_max,
            wait_jitter=self.wait_jitter,
        )


# --- the adapter interface and its two drivers --------------------------------------------------


class Adapter(Protocol):
    """A marketplace's seller API, synchronously: carry out actions, list and read back."""

    @property
    def spec(self) -> MarketplaceSpec:
        """The marketplace's spec (its wire codes are needed to compare states)."""
        ...

    def perform(self, action: RemoteAction) -> ActionResult:
        """Carry out one decided action."""
        ...

    def list_claims(self, query: ClaimQuery = ..., cursor: str | None = None) -> Page[RemoteClaim]:
        """One page of claims."""
        ...

    def iter_claims(self, query: ClaimQuery = ...) -> Iterator[RemoteClaim]:
        """Every claim the query matches, following pages and date windows."""
        ...

    def list_order_products(
        self, query: OrderQuery, cursor: str | None = None
    ) -> Page[RemoteOrderProduct]:
        """One page of order products."""
        ...

    def iter_order_products(self, query: OrderQuery) -> Iterator[RemoteOrderProduct]:
        """Every order product the query matches."""
        ...

    def read(self, ref: OrderRef) -> RemoteOrderProduct:
        """One order product with its claims."""
        ...


class AsyncAdapter(Protocol):
    """The same as :class:`Adapter`, with coroutines and async iterators."""

    @property
    def spec(self) -> MarketplaceSpec:
        """The marketplace's spec."""
        ...

    async def perform(self, action: RemoteAction) -> ActionResult:
        """Carry out one decided action."""
        ...

    async def list_claims(
        self, query: ClaimQuery = ..., cursor: str | None = None
    ) -> Page[RemoteClaim]:
        """One page of claims."""
        ...

    def iter_claims(self, query: ClaimQuery = ...) -> AsyncIterator[RemoteClaim]:
        """Every claim the query matches."""
        ...

    async def list_order_products(
        self, query: OrderQuery, cursor: str | None = None
    ) -> Page[RemoteOrderProduct]:
        """One page of order products."""
        ...

    def iter_order_products(self, query: OrderQuery) -> AsyncIterator[RemoteOrderProduct]:
        """Every order product the query matches."""
        ...

    async def read(self, ref: OrderRef) -> RemoteOrderProduct:
        """One order product with its claims."""
        ...


H = TypeVar("H", httpx.Client, httpx.AsyncClient)


class _Base(Generic[H]):
    """What :class:`Client` and :class:`AsyncClient` share: the spec, the httpx client (its
    boundary installed), the retry policy, a repr without secrets, and the flows they drive."""

    _kind = "Client"  # what the repr calls it (a marketplace's subclass keeps the name)

    def __init__(self, spec: MarketplaceSpec, http: H, *, retry: RetryPolicy | None = None) -> None:
        self._spec = spec
        self._http: H = http
        self._retry = retry or RetryPolicy()
        _boundary.install(http)

    def __repr__(self) -> str:
        base_url = _boundary.redact_url(self._http.base_url)
        return f"<claimflow {self._spec.marketplace} {self._kind} base_url={base_url!r}>"

    @property
    def spec(self) -> MarketplaceSpec:
        """The marketplace's spec."""
        return self._spec

    @property
    def marketplace(self) -> Marketplace:
        """The marketplace this client talks to."""
        return self._spec.marketplace

    def _action_flow(self, action: RemoteAction) -> Flow[ActionResult]:
        return single_flow(action_call(self._spec, action))

    def _page_flow(self, endpoint: PagedList[Q, T], query: Q, cursor: str | None) -> Flow[Any]:
        return endpoint.page(self._spec, query, cursor)

    def _read_flow(self, ref: OrderRef | str) -> Flow[RemoteOrderProduct]:
        return self._spec.read(self._spec, OrderRef(ref) if isinstance(ref, str) else ref)


class Client(_Base[httpx.Client]):
    """An :class:`Adapter` over an ``httpx.Client`` (made by a marketplace's ``make_client``)."""

    def perform(self, action: RemoteAction) -> ActionResult:
        """Carry out one decided action (see :func:`claimflow.adapters.apply_remote`)."""
        return self._drive(self._action_flow(action))

    def list_claims(
        self, query: ClaimQuery = ClaimQuery(), cursor: str | None = None
    ) -> Page[RemoteClaim]:
        """One page of claims; pass ``page.next_cursor`` for the next."""
        result: Page[RemoteClaim] = self._drive(self._page_flow(self._spec.claims, query, cursor))
        return result

    def iter_claims(self, query: ClaimQuery = ClaimQuery()) -> Iterator[RemoteClaim]:
        """Every claim the query matches, following pages and date windows."""
        return self._iterate(iter_flow(self._spec, self._spec.claims, query))

    def list_order_products(
        self, query: OrderQuery, cursor: str | None = None
    ) -> Page[RemoteOrderProduct]:
        """One page of order products (without their claims: :meth:`read` joins them)."""
        result: Page[RemoteOrderProduct] = self._drive(
            self._page_flow(self._spec.order_products, query, cursor)
        )
        return result

    def iter_order_products(self, query: OrderQuery) -> Iterator[RemoteOrderProduct]:
        """Every order product the query matches."""
        return self._iterate(iter_flow(self._spec, self._spec.order_products, query))

    def read(self, ref: OrderRef | str) -> RemoteOrderProduct:
        """One order product with its claims, statuses mapped onto the vocabulary."""
        return self._drive(self._read_flow(ref))

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # the only code that differs from AsyncClient: `send` is not awaited

    def _send(self, call: Call[T]) -> T:
        with _boundary.call_scope(self._retry.timeout, self._spec.marketplace) as scope:
            # The first attempt runs bare: most calls succeed or fail for good, and a stamina
            # context costs more than the rest of the client's work. Only after a retryable
            # failure is the context made, and that failure replayed as its first attempt, so
            # stamina counts it, backs off, logs and gives up exactly as if it had run it.
            started = time.monotonic()
            try:
                return self._attempt(call, scope)
            except Exception as exc:
                if not self._retry.should_retry(exc):
                    raise
                first: Exception | None = exc
            for attempt in self._retry.attempts_of(started):
                with attempt:
                    if first is not None:
                        replay, first = first, None
                        raise replay
                    return self._attempt(call, scope)
        raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover

    def _attempt(self, call: Call[T], scope: _boundary.CallScope) -> T:
        request = self._http.build_request(
            call.method, call.path, params=call.params or None, json=call.json
        )
        with map_transport_errors(self._spec.marketplace, call, scope.attempt(request)):
            response = self._http.send(request)
        return parse_response(self._spec, call, response)

    def _drive(self, flow: Flow[T]) -> T:
        answer: object = None
        while True:
            try:
                step = flow.send(answer)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            answer = self._send(step) if isinstance(step, Call) else None

    def _iterate(self, flow: Flow[Any]) -> Iterator[Any]:
        answer: object = None
        while True:
            try:
                step = flow.send(answer)
            except StopIteration:
                return
            if isinstance(step, Emit):
                yield from step.items
                answer = None
            else:
                answer = self._send(step)


class AsyncClient(_Base[httpx.AsyncClient]):
    """An :class:`AsyncAdapter` over an ``httpx.AsyncClient`` (made by ``make_async_client``)."""

    _kind = "AsyncClient"

    async def perform(self, action: RemoteAction) -> ActionResult:
        """Carry out one decided action (see :func:`claimflow.adapters.apply_remote_async`)."""
        return await self._drive(self._action_flow(action))

    async def list_claims(
        self, query: ClaimQuery = ClaimQuery(), cursor: str | None = None
    ) -> Page[RemoteClaim]:
        """One page of claims; pass ``page.next_cursor`` for the next."""
        result: Page[RemoteClaim] = await self._drive(
            self._page_flow(self._spec.claims, query, cursor)
        )
        return result

    def iter_claims(self, query: ClaimQuery = ClaimQuery()) -> AsyncIterator[RemoteClaim]:
        """Every claim the query matches, following pages and date windows."""
        return self._iterate(iter_flow(self._spec, self._spec.claims, query))

    async def list_order_products(
        self, query: OrderQuery, cursor: str | None = None
    ) -> Page[RemoteOrderProduct]:
        """One page of order products (without their claims: :meth:`read` joins them)."""
        result: Page[RemoteOrderProduct] = await self._drive(
            self._page_flow(self._spec.order_products, query, cursor)
        )
        return result

    def iter_order_products(self, query: OrderQuery) -> AsyncIterator[RemoteOrderProduct]:
        """Every order product the query matches."""
        return self._iterate(iter_flow(self._spec, self._spec.order_products, query))

    async def read(self, ref: OrderRef | str) -> RemoteOrderProduct:
        """One order product with its claims, statuses mapped onto the vocabulary."""
        return await self._drive(self._read_flow(ref))

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # the only code that differs from Client: `send` is awaited

    async def _send(self, call: Call[T]) -> T:
        with _boundary.call_scope(self._retry.timeout, self._spec.marketplace) as scope:
            # The first attempt runs bare: most calls succeed or fail for good, and a stamina
            # context costs more than the rest of the client's work. Only after a retryable
            # failure is the context made, and that failure replayed as its first attempt, so
            # stamina counts it, backs off, logs and gives up exactly as if it had run it.
            started = time.monotonic()
            try:
                return await self._attempt(call, scope)
            except Exception as exc:
                if not self._retry.should_retry(exc):
                    raise
                first: Exception | None = exc
            async for attempt in self._retry.attempts_of(started):
                with attempt:
                    if first is not None:
                        replay, first = first, None
                        raise replay
                    return await self._attempt(call, scope)
        raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover

    async def _attempt(self, call: Call[T], scope: _boundary.CallScope) -> T:
        request = self._http.build_request(
            call.method, call.path, params=call.params or None, json=call.json
        )
        with map_transport_errors(self._spec.marketplace, call, scope.attempt(request)):
            response = await self._http.send(request)
        return parse_response(self._spec, call, response)

    async def _drive(self, flow: Flow[T]) -> T:
        answer: object = None
        while True:
            try:
                step = flow.send(answer)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            answer = await self._send(step) if isinstance(step, Call) else None

    async def _iterate(self, flow: Flow[Any]) -> AsyncIterator[Any]:
        answer: object = None
        while True:
            try:
                step = flow.send(answer)
            except StopIteration:
                return
            if isinstance(step, Emit):
                for item in step.items:
                    yield item
                answer = None
            else:
                answer = await self._send(step)


if TYPE_CHECKING:  # the two drivers satisfy the protocols (checked by mypy, free at run time)

    def _is_adapter(client: Client) -> Adapter:
        return client

    def _is_async_adapter(client: AsyncClient) -> AsyncAdapter:
        return client
