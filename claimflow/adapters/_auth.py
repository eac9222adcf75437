"""The one cached-token ``httpx.Auth`` of the adapters (Toss and imweb share it).

:class:`CachedTokenAuth` holds what every issued-token scheme needs once: a lock, the cached token
and its expiry, issuing on first use, and re-issuing **once** when an answer says the token was
refused (that request was refused before anything was done, so repeating it is safe). A
marketplace says only how to ask for a token (:meth:`CachedTokenAuth.token_request`), how to read
the answer (:meth:`CachedTokenAuth.parse_token`), where the token goes on a request
(:meth:`CachedTokenAuth.apply`) and what a refusal looks like
(:meth:`CachedTokenAuth.token_refused`). Neither the credentials nor the token appear in a repr,
a log line or an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator

import httpx

from ._values import Secret

__all__ = ["CachedTokenAuth"]


class CachedTokenAuth(httpx.Auth):
    """A token issued by the marketplace, cached until shortly before it expires (or, without a
    lifetime, until refused), re-issued once on a refusal. ``issued`` counts the tokens issued."""

    requires_response_body = True

    def __init__(
        self, *, leeway: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._leeway = leeway
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Secret | None = None
        self._expires_at = 0.0
        self.issued = 0  # how many tokens were issued (for monitoring and tests)

    # --- what a marketplace fills in ---------------------------------------------------------

    def token_request(self) -> httpx.Request:
        """The request that issues a token."""
        raise NotImplementedError

    def parse_token(self, response: httpx.Response) -> tuple[Secret, float | None]:
        """The token in the answer to :meth:`token_request` and its lifetime in seconds (None:
        until refused); raises the claimflow error the answer means otherwise."""
        raise NotImplementedError

    def apply(self, request: httpx.Request, token: Secret) -> None:
        """Put *token* on *request* (default: ``Authorization: Bearer``)."""
        request.headers["Authorization"] = f"Bearer {token.reveal()}"

    def token_refused(self, response: httpx.Response) -> bool:
        """Whether *response* says the token was refused (default: HTTP 401)."""
        return response.status_code == 401

    # --- the shared part -----------------------------------------------------------------------

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the token; on a refusal, re-issue it once and send the request again."""
        token = self._current()
        if token is None:
            token = self._store((yield self.token_request()))
        self.apply(request, token)
        response = yield request
        if self.token_refused(response):
            with self._lock:
                if self._token == token:
                    self._token = None
            token = self._store((yield self.token_request()))
            self.apply(request, token)
            yield request

    def invalidate(self) -> None:
        """Forget the cached token: the next request gets a new one."""
        with self._lock:
            self._token = None

    def _current(self) -> Secret | None:
        with self._lock:
            if self._token is not None and self._clock() < self._expires_at:
                return self._token
            return None

    def _store(self, response: httpx.Response) -> Secret:
        token, ttl = self.parse_token(response)
        with self._lock:
            self._token = token
            self._expires_at = (
                float("inf") if ttl is None else self._clock() + ttl - min(self._leeway, ttl / 10)
            )
            self.issued += 1
        return token
