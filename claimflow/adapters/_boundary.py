"""Where the adapters meet a hostile or broken marketplace: limits, one deadline, redaction.

Everything an answer, a slow server or an exception chain can do to a caller is bounded here:

- :func:`parse_json_body` reads a body under a size and a nesting limit (the nesting is checked
  *before* :func:`json.loads`, whose recursion would otherwise end in ``RecursionError``); every
  problem (too large, too deep, not UTF-8, not JSON, ``NaN``) is a typed
  :class:`MalformedBodyError`, which is an :class:`~claimflow.exceptions.UnexpectedResponseError`
  (and a ``ValueError``, so code catching what ``response.json()`` raises keeps working);
- :func:`wire_int` reads an integer field within bounds ("²".isdigit() is True, ``int("²")``
  raises; ``10**400`` overflows every ``float`` and ``datetime``);
- :func:`call_scope` is one overall deadline for a call: connect, write, read and retries. httpx's
  timeouts are per operation, so a server trickling one byte every 100 ms never trips them; the
  scope clamps every socket read and write to the time left (:func:`install`), checks it between
  body chunks and refuses to send once it has passed. It also records whether the API request
  itself was sent: a failure before that (the token endpoint down or answering HTML, DNS, a
  refused connection) is "nothing sent", never "outcome unknown";
- :func:`redact_headers`, :func:`redacted_request`, :func:`scrub_exception`: credentials
  (``Authorization``, imweb's ``access-token``, cookies, any header a codec names) never travel in
  a request object inside an exception chain; :func:`redact_url` / :func:`refuse_url_credentials`
  keep ``user:password@`` out of reprs and messages;
- :class:`PageGuard` ends a paged read that does not advance (a repeated cursor) or that exceeds
  a maximum number of pages, with a typed :class:`PagingError`.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import json
import math
import re
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

import httpcore  # httpx's own dependency
import httpx

from ..exceptions import InvalidInputError, TransportError, UnexpectedResponseError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_PAGES",
    "SECRET_HEADERS",
    "CallScope",
    "MalformedBodyError",
    "PageGuard",
    "PagingError",
    "WireFieldError",
    "call_scope",
    "current_scope",
    "error_shaped",
    "foreign_json",
    "install",
    "json_too_deep",
    "not_sent",
    "paging_limit",
    "parse_json_body",
    "redact_headers",
    "redact_text",
    "redact_url",
    "redacted_request",
    "refuse_url_credentials",
    "scrub_exception",
    "wire_int",
    "within_deadline",
]


class WireFieldError(Exception):
    """A field of an answer is missing or malformed; the pipeline turns it into
    :class:`~claimflow.exceptions.UnexpectedResponseError` with the call's context."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


#: the largest answer body read (bytes); marketplace pages are tens of kilobytes
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
#: the deepest JSON nesting accepted; the documented envelopes are under 10 levels deep
DEFAULT_MAX_DEPTH = 64
#: the most pages one paged read follows before it is refused as endless
DEFAULT_MAX_PAGES = 10_000
#: the largest magnitude :func:`wire_int` accepts by default (JSON's safe integers)
SAFE_INT = 2**53

#: headers that carry a credential (lower case); a codec adds its own with ``extra``
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "access-token",  # imweb [doc]
        "x-api-key",
        "x-emulator-control-token",  # claimflow's emulators
    }
)
REDACTED = "***"


# --- bodies -------------------------------------------------------------------------------------


class MalformedBodyError(UnexpectedResponseError, ValueError):
    """An answer's body could not be read as JSON within the limits; ``problem`` says why."""

    def __init__(self, problem: str, *, marketplace: str = "unknown", field: str = "body") -> None:
        super().__init__(
            f"{marketplace}: unexpected answer: {field}: {problem}",
            marketplace=marketplace,
            field=field,
        )
        self.problem = problem


# every byte but the five that shape JSON's nesting: quote and brackets (UTF-8 never puts an
# ASCII byte inside a multi-byte character, so this is safe on any UTF-8 text)
_NOT_STRUCTURAL = bytes(b for b in range(256) if b not in b'"[]{}')
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_too_deep(text: str | bytes, max_depth: int) -> bool:
    """Whether *text* nests arrays and objects deeper than *max_depth* (strings ignored).

    A scan of the brackets outside strings, in C-speed bytes operations (no regex, no Python loop
    over characters): cheap, and it cannot recurse. Escaped backslashes and quotes are dropped
    first, so what is left of every string lies between two quotes; the brackets between an
    even and the next odd quote are the ones outside strings. On a valid prefix of a JSON text
    this is exactly JSON's tokenisation, so any nesting ``json.loads`` would reach is seen.
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return False
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    # dropping two adjacent quotes changes no bracket's side: most strings (keys, values
    # without brackets) go here, and with them most of the work of the split
    outside = raw.translate(None, _NOT_STRUCTURAL).replace(b'""', b"")
    if b'"' in outside:
        outside = b"".join(outside.split(b'"')[::2])
    if outside.count(b"[") + outside.count(b"{") <= max_depth:
        return False
    return max(itertools.accumulate(map(_STEP.__getitem__, outside))) > max_depth


def _refuse_constant(name: str) -> object:
    msg = f"{name} is not a JSON number"
    raise ValueError(msg)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as inf, which no JSON encoder writes back
        msg = f"the number {text[:40]} is out of range"
        raise ValueError(msg)
    return value


# json.loads with hooks builds a new JSONDecoder on every call: one, shared (it keeps no state)
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def parse_json_body(
    source: httpx.Response | bytes | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    marketplace: str = "unknown",
) -> object:
    """The JSON value of *source* (a response, its bytes or text), or :class:`MalformedBodyError`
    naming the problem: too large, nested too deep, not UTF-8, not JSON, ``NaN``/``Infinity`` or
    a number out of a float's range."""
    raw = source.content if isinstance(source, httpx.Response) else source
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > max_bytes:
        problem = f"too large: {size} bytes, the limit is {max_bytes}"
        raise MalformedBodyError(problem, marketplace=marketplace)
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            problem = f"not UTF-8 (byte {e.start})"
            raise MalformedBodyError(problem, marketplace=marketplace) from None
    else:
        text = raw
    if not text.strip():
        raise MalformedBodyError("empty, not JSON", marketplace=marketplace)
    if json_too_deep(raw, max_depth):  # on the bytes when there are bytes: no re-encoding
        problem = f"nested deeper than {max_depth} levels"
        raise MalformedBodyError(problem, marketplace=marketplace)
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as e:
        problem = f"not JSON ({e.msg} at line {e.lineno} column {e.colno})"
        raise MalformedBodyError(problem, marketplace=marketplace) from None
    except RecursionError:  # a backstop: the scan above refuses any nesting loads would reach
        problem = f"nested deeper than {max_depth} levels"
        raise MalformedBodyError(problem, marketplace=marketplace) from None
    except ValueError as e:  # NaN, an integer of more than 4,300 digits
        problem = f"not JSON ({str(e)[:120]})"
        raise MalformedBodyError(problem, marketplace=marketplace) from None


def wire_int(value: object, field: str, lo: int = -SAFE_INT, hi: int = SAFE_INT) -> int:
    """*value* (a JSON integer, or a string of ASCII digits) as an int in ``lo..hi``.

    Raises :class:`~claimflow.adapters.WireFieldError` naming *field*; never ``ValueError`` or
    ``OverflowError``.
    """
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        if lo <= value <= hi:  # the common case, first: no import, no string work
            return value
        number = value
    elif isinstance(value, str):
        digits = value[1:] if value[:1] == "-" else value
        # "²", "١" and "፩" are str.isdigit() but int() refuses or misreads them: ASCII only
        if 0 < len(digits) <= 20 and digits.isascii() and digits.isdigit():
            number = int(value)

    if number is None:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
        raise WireFieldError(field, f"expected an integer, got {shown}")
    if not lo <= number <= hi:
        shown = str(number) if len(str(number)) <= 40 else f"a {len(str(number))}-digit number"
        raise WireFieldError(field, f"expected an integer from {lo} to {hi}, got {shown}")
    return number


def error_shaped(body: object, required: Iterable[str], any_of: Iterable[str]) -> bool:
    """Whether *body* is an object with every key of *required* and one of *any_of*: a
    marketplace's error envelope, even when it came with HTTP 200."""
    return (
        isinstance(body, dict)
        and all(k in body for k in required)
        and any(k in body for k in any_of)
    )


def foreign_json(envelope_keys: Iterable[str], body: object) -> bool:
    """Whether *body* is a JSON object sharing no key with a marketplace's envelopes (the
    top-level keys of its success and error envelopes, each codec's ``ENVELOPE_KEYS``): a
    gateway's or a proxy's own JSON. Without known keys, nothing is foreign."""
    keys = frozenset(envelope_keys)
    return isinstance(body, dict) and bool(keys) and not body.keys() & keys


# --- one deadline per call ------------------------------------------------------------------------


class CallScope:
    """One call's deadline and what happened so far (see :func:`call_scope`)."""

    def __init__(
        self,
        seconds: float | None,
        *,
        marketplace: str = "unknown",
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Any = time.monotonic,
    ) -> None:
        self.clock = clock
        self.seconds = seconds
        self.at = None if seconds is None else clock() + seconds
        self.marketplace = marketplace
        self.max_bytes = max_bytes
        self.request: httpx.Request | None = None
        #: whether the API request itself left (or may have left) this machine
        self.api_sent = False

    def remaining(self) -> float | None:
        """Seconds left (never below 0), or None without a deadline."""
        return None if self.at is None else max(0.0, self.at - self.clock())

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.at is not None and self.clock() >= self.at

    def attempt(self, request: httpx.Request) -> CallScope:
        """Start an attempt sending *request* (the API request; a token request is not it)."""
        self.request = request
        self.api_sent = False
        return self

    def clamp(self, timeout: float | None) -> float | None:
        """*timeout* no longer than the time left."""
        left = self.remaining()
        if left is None:
            return timeout
        return left if timeout is None else min(timeout, left)


_SCOPE: contextvars.ContextVar[CallScope | None] = contextvars.ContextVar(
    "claimflow_call_scope", default=None
)


def current_scope() -> CallScope | None:
    """The scope of the call in progress in this thread or task, if any."""
    return _SCOPE.get()


@contextlib.contextmanager
def call_scope(
    seconds: float | None, marketplace: str = "unknown", *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[CallScope]:
    """Run one call (all its attempts) under an overall deadline of *seconds*.

    Effective on an ``httpx.Client``/``AsyncClient`` passed through :func:`install`.
    """
    scope = CallScope(seconds, marketplace=marketplace, max_bytes=max_bytes)
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def within_deadline(wait: float) -> float | bool:
    """*wait* seconds, or False (no retry) when waiting them would pass the call's deadline."""
    scope = _SCOPE.get()
    left = None if scope is None else scope.remaining()
    return wait if left is None or wait < left else False


def not_sent(exc: UnexpectedResponseError, label: str) -> TransportError:
    """*exc*, raised before the API request was sent (by the token endpoint), as what it means
    for the call: nothing was sent, so nothing can have happened (never "outcome unknown")."""
    msg = f"{exc.marketplace}: {label}: not sent: {exc}"
    return TransportError(
        msg,
        marketplace=exc.marketplace,
        retryable=False,
        order_product_id=exc.order_product_id,
        action=exc.action,
    )


def _deadline_passed(request: httpx.Request) -> httpx.ConnectTimeout:
    # ConnectTimeout: the request did not leave, so it is "nothing sent" at the boundary
    return httpx.ConnectTimeout("the call's overall deadline passed", request=request)


def _before_request(request: httpx.Request) -> None:
    scope = _SCOPE.get()
    if scope is None:
        return
    left = None if scope.at is None else scope.at - scope.clock()  # one clock read per request
    if left is not None and left <= 0:
        raise _deadline_passed(request)
    if request is scope.request:
        scope.api_sent = True
    timeouts = dict(request.extensions.get("timeout", {}))
    for key in ("connect", "read", "write", "pool"):
        timeout = timeouts.get(key)
        timeouts[key] = timeout if left is None else left if timeout is None else min(timeout, left)
    request.extensions["timeout"] = timeouts


class _BoundedStream(httpx.SyncByteStream):
    def __init__(self, inner: Any, scope: CallScope, request: httpx.Request) -> None:
        self._inner, self._scope, self._request = inner, scope, request

    def __iter__(self) -> Iterator[bytes]:
        size = 0
        for chunk in self._inner:
            size += len(chunk)
            _check_chunk(self._scope, self._request, size)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _AsyncBoundedStream(httpx.AsyncByteStream):
    def __init__(self, inner: Any, scope: CallScope, request: httpx.Request) -> None:
        self._inner, self._scope, self._request = inner, scope, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        size = 0
        async for chunk in self._inner:
            size += len(chunk)
            _check_chunk(self._scope, self._request, size)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def _check_chunk(scope: CallScope, request: httpx.Request, size: int) -> None:
    if size > scope.max_bytes:
        problem = f"too large: more than {scope.max_bytes} bytes"
        raise MalformedBodyError(problem, marketplace=scope.marketplace)
    if scope.expired():
        msg = "the call's overall deadline passed while reading the answer"
        raise httpx.ReadTimeout(msg, request=request)


def _on_response(response: httpx.Response) -> None:
    scope = _SCOPE.get()
    if scope is not None:
        response.stream = _BoundedStream(response.stream, scope, response.request)


async def _before_request_async(request: httpx.Request) -> None:
    _before_request(request)


async def _on_response_async(response: httpx.Response) -> None:
    scope = _SCOPE.get()
    if scope is not None:
        response.stream = _AsyncBoundedStream(response.stream, scope, response.request)


def _remaining_for(timeout: float | None, kind: type[Exception]) -> float | None:
    # every socket read and write comes here: one context lookup and one clock read
    scope = _SCOPE.get()
    if scope is None or scope.at is None:
        return timeout
    left: float = scope.at - scope.clock()
    if left <= 0:
        msg = "the call's overall deadline passed"
        raise kind(msg)
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """A socket stream whose every read and write waits at most the call's time left: a server
    sending one byte per read cannot stretch the call past its deadline."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = self._inner.read(max_bytes, _remaining_for(timeout, httpcore.ReadTimeout))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining_for(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: Any = None
    ) -> Any:
        clamped = _remaining_for(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, clamped))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _AsyncDeadlineStream:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        clamped = _remaining_for(timeout, httpcore.ReadTimeout)
        data: bytes = await self._inner.read(max_bytes, clamped)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, _remaining_for(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: Any = None
    ) -> Any:
        clamped = _remaining_for(timeout, httpcore.ConnectTimeout)
        inner = await self._inner.start_tls(ssl_context, server_hostname, clamped)
        return _AsyncDeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: Any = None, *args: Any, **kw: Any) -> Any:
        clamped = _remaining_for(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_tcp(host, port, clamped, *args, **kw))

    def connect_unix_socket(self, path: str, timeout: Any = None, *args: Any, **kw: Any) -> Any:
        clamped = _remaining_for(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, clamped, *args, **kw))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncDeadlineBackend:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def connect_tcp(
        self, host: str, port: int, timeout: Any = None, *args: Any, **kw: Any
    ) -> Any:
        clamped = _remaining_for(timeout, httpcore.ConnectTimeout)
        return _AsyncDeadlineStream(await self._inner.connect_tcp(host, port, clamped, *args, **kw))

    async def connect_unix_socket(
        self, path: str, timeout: Any = None, *args: Any, **kw: Any
    ) -> Any:
        clamped = _remaining_for(timeout, httpcore.ConnectTimeout)
        stream = await self._inner.connect_unix_socket(path, clamped, *args, **kw)
        return _AsyncDeadlineStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _wrap_backend(transport: object, *, is_async: bool) -> None:
    # httpx builds its connection pool without a way to pass a network backend, so the pool's
    # backend is wrapped in place (httpcore's `_network_backend`). A transport of another kind
    # (MockTransport, ASGITransport, a user's) keeps the per-chunk and per-request checks only.
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None or isinstance(backend, _DeadlineBackend | _AsyncDeadlineBackend):
        return
    wrapper = _AsyncDeadlineBackend(backend) if is_async else _DeadlineBackend(backend)
    pool._network_backend = wrapper  # type: ignore[union-attr]


def install(http: httpx.Client | httpx.AsyncClient) -> None:
    """Make *http* honour :func:`call_scope`: request and response hooks, and deadline-clamped
    sockets on httpx's own transports (idempotent)."""
    hooks = http.event_hooks
    is_async = isinstance(http, httpx.AsyncClient)
    before: Any = _before_request_async if is_async else _before_request
    after: Any = _on_response_async if is_async else _on_response
    if before in hooks["request"]:
        return
    http.event_hooks = {
        "request": [*hooks["request"], before],
        "response": [*hooks["response"], after],
    }
    transports = [getattr(http, "_transport", None)]
    transports += list(getattr(http, "_mounts", {}).values())
    for transport in transports:
        _wrap_backend(transport, is_async=is_async)


# --- secrets --------------------------------------------------------------------------------------


def redact_headers(
    headers: httpx.Headers | Mapping[str, str], extra: Iterable[str] = ()
) -> httpx.Headers:
    """A copy of *headers* with every credential-bearing value replaced by ``***``."""
    secret = SECRET_HEADERS | {h.lower() for h in extra}
    items = headers.multi_items() if isinstance(headers, httpx.Headers) else headers.items()
    return httpx.Headers([(k, REDACTED if k.lower() in secret else v) for k, v in items])


def redacted_request(request: httpx.Request, extra: Iterable[str] = ()) -> httpx.Request:
    """A copy of *request* safe to keep in an exception: redacted headers and URL, no body (a
    token request's body holds the client secret)."""
    copy = httpx.Request(
        request.method,
        redact_url(str(request.url)),
        headers=redact_headers(request.headers, extra),
    )
    copy.extensions = {}
    return copy


def scrub_exception(exc: BaseException | None, extra: Iterable[str] = ()) -> None:
    """Replace, along *exc*'s ``__cause__``/``__context__`` chain, every httpx request (and the
    request of every response) by a :func:`redacted_request` copy."""
    seen: set[int] = set()
    extra = tuple(extra)
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, httpx.RequestError | httpx.HTTPStatusError):
            with contextlib.suppress(RuntimeError):  # an error made without a request
                exc.request = redacted_request(exc.request, extra)
        if isinstance(exc, httpx.HTTPStatusError):
            exc.response.request = exc.request
        exc = exc.__cause__ or exc.__context__


_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s?#]*)@")


def redact_text(text: str) -> str:
    """*text* with the ``user:password@`` of any URL in it replaced by ``***@``."""
    return _URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)


def redact_url(url: str | httpx.URL) -> str:
    """*url* without its credentials (``https://***@host/``)."""
    return redact_text(str(url))


def refuse_url_credentials(url: str, field: str) -> None:
    """Refuse a URL carrying ``user:password@``: credentials go in the adapter's arguments, where
    they stay out of reprs and logs. The error shows the URL redacted."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        parsed = None
    if (parsed is not None and parsed.userinfo) or _URL_USERINFO.search(str(url)):
        msg = (
            f"{field}: {redact_url(url)!r} carries credentials (user:password@); pass them as "
            "the adapter's credentials instead"
        )
        raise InvalidInputError(msg, field=field)


# --- paging -------------------------------------------------------------------------------------


class PagingError(UnexpectedResponseError):
    """A paged read that does not end: a repeated cursor, or more pages than allowed."""


_MAX_PAGES: contextvars.ContextVar[int] = contextvars.ContextVar(
    "claimflow_max_pages", default=DEFAULT_MAX_PAGES
)


@contextlib.contextmanager
def paging_limit(max_pages: int) -> Iterator[None]:
    """Follow at most *max_pages* pages per paged read inside the block."""
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
        msg = f"max_pages: a positive integer, got {max_pages!r}"
        raise InvalidInputError(msg, field="max_pages")
    token = _MAX_PAGES.set(max_pages)
    try:
        yield
    finally:
        _MAX_PAGES.reset(token)


class PageGuard:
    """Follows the cursors of one paged read; :meth:`advance` refuses a cursor seen before and a
    page beyond ``max_pages`` with :class:`PagingError`."""

    def __init__(self, marketplace: str, what: str = "list", max_pages: int | None = None) -> None:
        self.marketplace = marketplace
        self.what = what
        self.max_pages = max_pages if max_pages is not None else _MAX_PAGES.get()
        self.pages = 1
        self._seen: set[str] = set()

    def advance(self, cursor: str) -> str:
        """*cursor*, the next page's, after checking that the read moves on."""
        if cursor in self._seen:
            shown = cursor if len(cursor) <= 40 else cursor[:40] + "..."
            msg = (
                f"{self.marketplace}: {self.what}: the marketplace sent cursor {shown!r} again "
                f"after {self.pages} page(s); the paging does not advance"
            )
            raise PagingError(msg, marketplace=self.marketplace, field="next_cursor")
        if self.pages >= self.max_pages:
            msg = (
                f"{self.marketplace}: {self.what}: more than {self.max_pages} pages; refused as "
                "endless (raise the limit with claimflow.adapters.paging_limit)"
            )
            raise PagingError(msg, marketplace=self.marketplace, field="next_cursor")
        self._seen.add(cursor)
        self.pages += 1
        return cursor
