"""claimflow.testing: check your own order system against claimflow's rules with hypothesis.

Strategies build marketplaces, order products in reachable states, steps with valid and invalid
parameters; :func:`oracle` builds a stateful test that drives your system (through a three-method
:class:`OrderSystem` binding) and the claimflow model side by side. See ``docs/testing.md``.
Needs the ``testing`` extra (hypothesis).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._oracle import Observed, OrderSystem, Performed, Refused, load_profile, oracle
from ._strategies import (
    Step,
    actions,
    fresh_order_products,
    invalid_params,
    marketplaces,
    order_products,
    params_for,
    refused_pairs,
    steps,
)

if TYPE_CHECKING:  # imported on first use: they need the adapters / emulators extras
    from ._emulated import SOAK_FAULTS, EmulatedMarketplace, SoakReport, SyncASGITransport, soak
    from ._wire import KINDS, Malformed, Problem, WirePayload, malformed_payloads, wire_payloads

_WIRE = frozenset(
    {"KINDS", "Malformed", "Problem", "WirePayload", "malformed_payloads", "wire_payloads"}
)

# the emulator binding and the soak need the emulators extra (starlette, uvicorn)
_EMULATED = frozenset(
    {"SOAK_FAULTS", "EmulatedMarketplace", "SoakReport", "SyncASGITransport", "soak"}
)


def __getattr__(name: str) -> object:
    """The wire payload strategies, imported on first use (they need the adapters extra)."""
    if name in _WIRE:
        return getattr(importlib.import_module("._wire", __name__), name)
    if name in _EMULATED:
        return getattr(importlib.import_module("._emulated", __name__), name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "KINDS",
    "SOAK_FAULTS",
    "EmulatedMarketplace",
    "Malformed",
    "Observed",
    "OrderSystem",
    "Performed",
    "Problem",
    "Refused",
    "SoakReport",
    "Step",
    "SyncASGITransport",
    "WirePayload",
    "actions",
    "fresh_order_products",
    "invalid_params",
    "load_profile",
    "malformed_payloads",
    "marketplaces",
    "oracle",
    "order_products",
    "params_for",
    "refused_pairs",
    "soak",
    "steps",
    "wire_payloads",
]
