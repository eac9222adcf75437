"""The wiring every marketplace module exports, and the registry of those modules.

A marketplace is its rules (``claimflow._rules``), its codec (``claimflow.adapters.codecs.<mp>``)
and one adapter module (``claimflow.adapters.<mp>``). Besides its own factories, each adapter
module exports the same **wiring names**, as cattrs' ``preconf`` modules do; the code around the
adapters (the store's worker and sync, the emulator binding, the demo) reads them through
:data:`claimflow.adapters.MODULES` and never names a marketplace:

- ``MARKETPLACE``: which one; ``SPEC``: its :class:`~claimflow.adapters.MarketplaceSpec`;
- ``CREDENTIAL_ENV``: the environment variables holding its credentials, in the order
  ``client_for`` takes them (never the command line, where other users could read them);
- ``DEFAULT_URL``: the API root a client uses unless told otherwise; ``base_urls(root)``: the URL
  keywords of its ``make_client`` for an API at *root*;
- ``client_for(credentials, urls, ...)``: a client from credentials in ``CREDENTIAL_ENV``'s
  order and URL keywords (default ``base_urls(DEFAULT_URL)``); for any marketplace,
  :func:`claimflow.adapters.client_from_env` reads the credentials from the environment;
- ``make_client`` / ``make_async_client``: its own factories (their arguments are the
  marketplace's);
- the few facts the code around needs: ``MIN_INTERVAL`` (seconds between two calls, from its
  documented rate limit; 0: none), ``LIST_PACE`` (seconds between two pages of a list-all call),
  ``LISTS`` (the lists it documents, which is how a sync polls it), ``ORDERED_AT_IS_PAID_AT``
  (whether an order row's time is the payment's), ``SHOWS_HOLDS`` (whether its wire shows a held
  claim).

:class:`MarketplaceModule` is that contract as a protocol: mypy checks each module against it
where :data:`~claimflow.adapters.MODULES` is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

import httpx

from .._vocab import Marketplace
from ..exceptions import InvalidInputError
from ._clients import AsyncClient, Client, RetryPolicy
from ._spec import MarketplaceSpec

__all__ = ["Lists", "MarketplaceModule", "check_credentials", "credentials_from_env"]

#: The lists a marketplace documents: claims and order products (Toss), order products carrying
#: their current claim (imweb), none (x2bee: only the order products already known can be read).
Lists = Literal["claims_and_orders", "orders", "none"]


class MarketplaceModule(Protocol):
    """What every ``claimflow.adapters.<marketplace>`` module exports (see the module docstring)."""

    @property
    def MARKETPLACE(self) -> Marketplace: ...  # noqa: N802 - a module constant
    @property
    def SPEC(self) -> MarketplaceSpec: ...  # noqa: N802
    @property
    def CREDENTIAL_ENV(self) -> tuple[str, ...]: ...  # noqa: N802
    @property
    def DEFAULT_URL(self) -> str: ...  # noqa: N802
    @property
    def MIN_INTERVAL(self) -> float: ...  # noqa: N802
    @property
    def LIST_PACE(self) -> float: ...  # noqa: N802
    @property
    def LISTS(self) -> Lists: ...  # noqa: N802
    @property
    def ORDERED_AT_IS_PAID_AT(self) -> bool: ...  # noqa: N802
    @property
    def SHOWS_HOLDS(self) -> bool: ...  # noqa: N802

    def base_urls(self, root: str) -> dict[str, str]:
        """The URL keywords of ``make_client`` for the API at *root*."""
        ...

    def client_for(
        self,
        credentials: Sequence[str],
        urls: Mapping[str, str] | None = None,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | httpx.Timeout = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> Client:
        """A client from *credentials* (in ``CREDENTIAL_ENV``'s order) and URL keywords."""
        ...

    def make_client(self, *args: Any, **kwargs: Any) -> Client:
        """The marketplace's own synchronous factory."""
        ...

    def make_async_client(self, *args: Any, **kwargs: Any) -> AsyncClient:
        """The marketplace's own asynchronous factory."""
        ...


def credentials_from_env(
    marketplace: Marketplace, names: Sequence[str], environ: Mapping[str, str]
) -> tuple[str, ...]:
    """The values of *names* in *environ*; :class:`~claimflow.exceptions.InvalidInputError`
    naming every one that is missing or empty (never a value)."""
    missing = [n for n in names if not environ.get(n)]
    if missing:
        msg = f"{marketplace}: set {', '.join(missing)} in the environment (the credentials)"
        raise InvalidInputError(msg, field="credentials")
    return tuple(environ[n] for n in names)


def check_credentials(
    marketplace: Marketplace, credentials: Sequence[str], names: Sequence[str]
) -> None:
    """:class:`~claimflow.exceptions.InvalidInputError` unless there is one credential per name
    of *names* (saying how many, never what they are)."""
    if isinstance(credentials, str) or len(credentials) != len(names):
        count = 1 if isinstance(credentials, str) else len(credentials)
        msg = f"{marketplace}: credentials: {len(names)} expected ({', '.join(names)}), got {count}"
        raise InvalidInputError(msg, field="credentials")
