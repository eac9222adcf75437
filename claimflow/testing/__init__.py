"""claimflow.testing: check your own order system against claimflow's rules with hypothesis.

Strategies build marketplaces, order products in reachable states, steps with valid and invalid
parameters; :func:`oracle` builds a stateful test that drives your system (through a three-method
:class:`OrderSystem` binding) and the claimflow model side by side; :func:`run_oracle` and
:func:`sweep` do the same outside pytest, with a budget. See ``docs/testing.md``.
Needs the ``testing`` extra (hypothesis).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._coverage import Coverage, CoverageReport, Profile, StatePath, state_paths
from ._oracle import (
    BindingError,
    Counterexample,
    DisagreementError,
    Mismatch,
    Observed,
    OrderSystem,
    Performed,
    Refused,
    load_profile,
    oracle,
)
from ._runner import OracleResult, run_oracle, sweep
from ._runner import command as oracle_command
from ._strategies import (
    Step,
    actions,
    bad_values,
    fresh_order_products,
    invalid_params,
    marketplaces,
    order_products,
    parameters_markdown,
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
    "BindingError",
    "Counterexample",
    "Coverage",
    "CoverageReport",
    "DisagreementError",
    "EmulatedMarketplace",
    "Malformed",
    "Mismatch",
    "Observed",
    "OracleResult",
    "OrderSystem",
    "Performed",
    "Problem",
    "Profile",
    "Refused",
    "SoakReport",
    "StatePath",
    "Step",
    "SyncASGITransport",
    "WirePayload",
    "actions",
    "bad_values",
    "fresh_order_products",
    "invalid_params",
    "load_profile",
    "malformed_payloads",
    "marketplaces",
    "oracle",
    "oracle_command",
    "order_products",
    "parameters_markdown",
    "params_for",
    "refused_pairs",
    "run_oracle",
    "soak",
    "state_paths",
    "steps",
    "sweep",
    "wire_payloads",
]
