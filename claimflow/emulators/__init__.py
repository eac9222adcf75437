"""Marketplace emulators: ASGI apps implementing the documented endpoints, bodies and envelopes
on top of the claimflow engine, with fault injection. For tests, demos and benchmarks.

Needs the ``emulators`` extra (starlette, uvicorn, python-multipart) and the ``adapters`` one (the
emulators read requests and write answers with the codecs, :mod:`claimflow.adapters.codecs`)::

    from claimflow.emulators import serve_in_thread
    from claimflow.emulators.toss import TossEmulator

    emulator = TossEmulator()
    with serve_in_thread(emulator.app) as server:
        ...  # server.url is http://127.0.0.1:<port>

Or from the shell: ``claimflow emulate toss --port 8080``. In-process, hand the app to
``httpx.ASGITransport``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol

from .._values import OrderProduct
from .._vocab import Marketplace
from ..adapters import OrderRef
from . import imweb, toss, x2bee
from ._core import (
    ConnectionDropped,
    EmulatorCore,
    Fault,
    FaultPlan,
    Faults,
    LoggedRequest,
    Record,
    RunningServer,
    Store,
    serve,
)
from ._serve import serve_in_thread

__all__ = [
    "EMULATORS",
    "ConnectionDropped",
    "EmulatorCore",
    "Fault",
    "FaultPlan",
    "Faults",
    "LoggedRequest",
    "Record",
    "RunningServer",
    "Store",
    "serve",
    "serve_in_thread",
]

#: ``claimflow emulate NAME``: the module whose ``make_app(faults=, seed=, orders=)`` builds it.
EMULATORS: dict[str, str] = {
    "toss": "claimflow.emulators.toss",
    "imweb": "claimflow.emulators.imweb",
    "x2bee": "claimflow.emulators.x2bee",
}

# --- wiring: one emulator module per marketplace ---------------------------------------------


__all__ += ["MODULES", "EmulatorModule"]


class EmulatorModule(Protocol):
    """What every ``claimflow.emulators.<marketplace>`` module exports besides its emulator class:
    ``MARKETPLACE``; ``CREDENTIALS``, the credentials its emulator accepts by default (in the
    order of the adapter module's ``CREDENTIAL_ENV``, so
    ``adapters.MODULES[mp].client_for(CREDENTIALS, adapter_urls(root))`` is a client for it);
    ``make_emulator(faults=, seed=)``; ``adapter_urls(root)``, the adapter's URL keywords for the
    emulator served at *root*; ``seed_order_product(emulator, op, keep_id=)``, *op* seeded as the
    marketplace would hold it, with where the adapter finds it; ``make_app`` and
    ``seed_orders`` (``claimflow emulate``)."""

    @property
    def MARKETPLACE(self) -> Marketplace: ...  # noqa: N802 - a module constant
    @property
    def CREDENTIALS(self) -> tuple[str, ...]: ...  # noqa: N802

    def make_emulator(self, *, faults: Faults | None = None, seed: int = 0) -> Any:
        """A new emulator (its class is the marketplace's)."""
        ...

    def adapter_urls(self, root: str) -> dict[str, str]:
        """The adapter's URL keywords for the emulator served at *root*."""
        ...

    def seed_order_product(
        self, emulator: Any, op: OrderProduct, *, keep_id: bool = False
    ) -> tuple[Record, OrderRef]:
        """Seed *op* (status, item, price, quantity, payment); the record and its ref."""
        ...

    def make_app(self, *, faults: Faults | None = None, seed: int = 0, orders: int = 0) -> Any:
        """The ASGI app of a new emulator with *orders* random order products."""
        ...

    def seed_orders(self, emulator: Any, count: int) -> None:
        """*count* random order products, some with a buyer claim."""
        ...


#: The emulator module of every marketplace, in :class:`~claimflow.Marketplace` order.
MODULES: Mapping[Marketplace, EmulatorModule] = MappingProxyType(
    {toss.MARKETPLACE: toss, imweb.MARKETPLACE: imweb, x2bee.MARKETPLACE: x2bee}
)
