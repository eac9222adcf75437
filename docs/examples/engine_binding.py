"""claimflow's own engine bound as the system under test: it must agree with the model everywhere.

The smallest binding there is (three methods over a dict of order products); the oracle's tests use
it as the control that passes, and ``benchmarks/bench_oracle.py`` times the oracle against it.
"""

from __future__ import annotations

from typing import Any

import claimflow as cf
from claimflow import testing as cft


class EngineBinding:
    """A binding that is claimflow's own engine: it must agree with the model everywhere."""

    def __init__(self) -> None:
        self.ops: dict[str, cf.OrderProduct] = {}

    def create(self, order_product: cf.OrderProduct) -> str:
        self.ops[order_product.id] = order_product
        return order_product.id

    def perform(self, handle: str, action: Any, actor: Any, params: Any) -> Any:
        d = cf.check(self.ops[handle], action, actor, **params)
        if not d.allowed:
            return cft.Refused(d.codes[0])
        self.ops[handle] = cf.apply(self.ops[handle], action, actor, **params).order_product
        return cft.Performed(d.effects)

    def read(self, handle: str) -> cft.Observed:
        op = self.ops[handle]
        c = op.open_claim
        return cft.Observed(op.status, c.type if c else None, c.status if c else None)
