"""claimflow.testing: check your own order system against claimflow's rules with hypothesis.

Strategies build marketplaces, order products in reachable states, steps with valid and invalid
parameters; :func:`oracle` builds a stateful test that drives your system (through a three-method
:class:`OrderSystem` binding) and the claimflow model side by side. See ``docs/testing.md``.
Needs the ``testing`` extra (hypothesis).
"""

from __future__ import annotations

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

__all__ = [
    "Observed",
    "OrderSystem",
    "Performed",
    "Refused",
    "Step",
    "actions",
    "fresh_order_products",
    "invalid_params",
    "load_profile",
    "marketplaces",
    "oracle",
    "order_products",
    "params_for",
    "refused_pairs",
    "steps",
]
