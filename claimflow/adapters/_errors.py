"""Adapter layer 4, the error boundary: httpx's exceptions and answers become claimflow values
and errors, here only. :func:`response_json` is the one function that turns an answer's body into
JSON (the seam where body size and nesting limits plug in); :func:`map_transport_errors` the one
place httpx's exceptions are translated (as ``map_httpcore_exceptions`` is in httpx)."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import math
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx

from .._vocab import Marketplace
from ..exceptions import (
    AuthenticationError,
    IPNotAllowedError,
    MarketplaceError,
    MarketplaceRefusedError,
    MarketplaceUnavailableError,
    OutcomeUnknownError,
    RateLimitedError,
    TransportError,
    UnexpectedResponseError,
)
from . import _boundary
from ._codec import WireFieldError
from ._spec import Call, MarketplaceSpec

log = logging.getLogger("claimflow.adapters")

T = TypeVar("T")

# --- the boundary: httpx exceptions and answers become claimflow values and errors -----------

# Raised before the request left this machine: repeating it cannot do anything twice.
_NOTHING_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.ProxyError,
)


@contextlib.contextmanager
def map_transport_errors(
    marketplace: Marketplace, call: Call[Any], scope: _boundary.CallScope | None = None
) -> Iterator[None]:
    """Turn httpx's exceptions raised while sending *call* into claimflow's.

    Nothing sent: :class:`TransportError` (retryable). Possibly sent (read timeout, dropped
    connection, undecodable answer): a read is a retryable :class:`TransportError`, a write an
    :class:`OutcomeUnknownError` (the marketplace may have carried it out). With the call's
    *scope* (``_boundary.call_scope``): whatever failed before the API request itself was sent
    (the token endpoint) is "nothing sent", and a passed deadline is not retried. Requests in the
    exception chain are scrubbed of credentials, URLs in the message of ``user:password@``.
    """
    try:
        yield
    except UnexpectedResponseError as exc:
        if scope is None or scope.api_sent:
            raise
        raise _boundary.not_sent(exc, call.label) from None
    except MarketplaceError:
        raise
    except httpx.HTTPError as exc:
        _boundary.scrub_exception(exc)
        ctx: dict[str, Any] = {"order_product_id": call.order_product_id, "action": call.action}
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        what = _boundary.redact_text(what)
        if isinstance(exc, _NOTHING_SENT) or (scope is not None and not scope.api_sent):
            msg = f"{marketplace}: {call.label}: not sent ({what}); safe to retry"
            retryable = scope is None or not scope.expired()
            raise TransportError(msg, marketplace=marketplace, retryable=retryable, **ctx) from exc
        if call.idempotent:
            msg = f"{marketplace}: {call.label}: no answer ({what})"
            retryable = scope is None or not scope.expired()
            raise TransportError(msg, marketplace=marketplace, retryable=retryable, **ctx) from exc
        msg = (
            f"{marketplace}: {call.label}: sent, but no answer came back ({what}); the "
            "marketplace may or may not have carried it out: reconcile before retrying"
        )
        raise OutcomeUnknownError(msg, marketplace=marketplace, **ctx) from exc


def response_json(response: httpx.Response, marketplace: str = "unknown") -> object:
    """The JSON value of *response*'s body: the one place an answer's body is parsed, under the
    size and nesting limits of :func:`._boundary.parse_json_body`. Anything else (too large, too
    deep, not UTF-8, not JSON, ``NaN``) is :class:`~claimflow.adapters.MalformedBodyError`, an
    :class:`~claimflow.exceptions.UnexpectedResponseError` and a ``ValueError``."""
    return _boundary.parse_json_body(response, marketplace=marketplace)


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds, decimals tolerated, or an HTTP date)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def parse_response(spec: MarketplaceSpec, call: Call[T], response: httpx.Response) -> T:
    """The value of *response* to *call*, or the claimflow error it amounts to."""
    status = response.status_code
    if status in spec.envelope_statuses and not _judged_by_status(spec, response):
        body: object = None
        if response.content:  # x2bee answers many writes with HTTP 200 and no content
            try:
                body = response_json(response, spec.marketplace)
            except _boundary.MalformedBodyError as e:
                raise _unexpected(spec, call, response, "body", e.problem) from None
        try:
            envelope = spec.unwrap(status, body)
            if envelope.ok:
                result = call.parse(envelope.payload)
                log.debug("%s %s -> %s", spec.marketplace, call.label, status)
                return result
        except WireFieldError as e:
            raise _unexpected(spec, call, response, e.field, e.problem) from None
        cls = spec.error_codes.get(envelope.code or "", MarketplaceRefusedError)
        raise _error(spec, call, response, cls, code=envelope.code, message=envelope.message)
    cls_ = spec.http_errors.get(status)
    if cls_ is None and 500 <= status < 600:
        cls_ = MarketplaceUnavailableError
    if cls_ is None:
        raise _unexpected(spec, call, response, "status_code", f"unexpected HTTP {status}")
    raise _error(spec, call, response, cls_, code=None, message=None)


def _judged_by_status(spec: MarketplaceSpec, response: httpx.Response) -> bool:
    """An error status that usually carries the envelope (imweb: HTTP 401 with code -2) but came
    without it (a gateway's page, a proxy's JSON) is judged by the status alone."""
    status = response.status_code
    if status not in spec.http_errors and not 500 <= status < 600:
        return False
    try:
        body = response_json(response, spec.marketplace)
    except ValueError:
        return True
    try:
        spec.unwrap(status, body)
    except WireFieldError as e:  # JSON that is not the envelope at all: a proxy's own
        return e.field == "body" or _boundary.foreign_json(spec.envelope_keys, body)
    return False


def _unexpected(
    spec: MarketplaceSpec, call: Call[Any], response: httpx.Response, field: str, problem: str
) -> UnexpectedResponseError:
    msg = (
        f"{spec.marketplace}: {call.label} -> HTTP {response.status_code}: unexpected answer: "
        f"{field}: {problem}"
    )
    return UnexpectedResponseError(
        msg,
        marketplace=spec.marketplace,
        field=field,
        status_code=response.status_code,
        order_product_id=call.order_product_id,
        action=call.action,
    )


def _error(
    spec: MarketplaceSpec,
    call: Call[Any],
    response: httpx.Response,
    cls: type[MarketplaceError],
    *,
    code: str | None,
    message: str | None,
) -> MarketplaceError:
    mp = spec.marketplace
    ctx: dict[str, Any] = {
        "marketplace": mp,
        "order_product_id": call.order_product_id,
        "action": call.action,
    }
    said = f"HTTP {response.status_code}" + (f", {code}" if code else "")
    head = f"{mp}: {call.label}" + (
        f" ({call.action} on order product {call.order_product_id!r})" if call.action else ""
    )
    if issubclass(cls, RateLimitedError):
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        msg = f"{head}: rate limited ({said}); retry after {retry_after or 'a backoff'} s"
        return cls(msg, retry_after=retry_after, **ctx)
    if issubclass(cls, MarketplaceUnavailableError):
        if not call.idempotent:
            msg = (
                f"{head}: the marketplace failed ({said}) answering a write; it may or may "
                "not have carried it out: reconcile before retrying"
            )
            return OutcomeUnknownError(msg, **ctx)
        msg = f"{head}: the marketplace is unavailable ({said})"
        return cls(msg, status_code=response.status_code, **ctx)
    if issubclass(cls, IPNotAllowedError):
        msg = (
            f"{head}: IP not allow-listed ({said}): the marketplace refuses calls from this "
            "machine's address; add it to the shop's allow-list"
        )
        return cls(msg, **ctx)
    if issubclass(cls, AuthenticationError):
        msg = f"{head}: authentication failed ({said}); check the credentials"
        return cls(msg, **ctx)
    if issubclass(cls, MarketplaceRefusedError):
        text = message or ""
        msg = f"{head}: refused by the marketplace ({said}): {text}"
        return cls(msg, code=code or str(response.status_code), message=text, **ctx)
    msg = f"{head}: {cls.__name__} ({said}): {message or ''}"
    return cls(msg, **ctx)
