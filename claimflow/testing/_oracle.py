"""The stateful oracle: drive an order system under test and the claimflow model side by side.

In the style of hypothesis' ``DatabaseComparison`` example and zarr's shipped stateful tests: the
model is assumed perfect, the system under test (SUT) is reached through a small binding the user
writes, and after every step the two must agree.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
)

from .._engine import apply, check, example_params
from .._values import Decision, OrderProduct
from .._vocab import Action, Actor, ClaimStatus, ClaimType, EffectKind, Marketplace, Status
from ._strategies import Step, fresh_order_products, invalid_params, refused_pairs, steps

__all__ = [
    "Observed",
    "OrderSystem",
    "Performed",
    "Refused",
    "load_profile",
    "oracle",
]


@attrs.frozen
class Performed:
    """The SUT carried the action out; *effects* are the effect kinds it caused (any order)."""

    effects: Collection[EffectKind | str] = ()


@attrs.frozen
class Refused:
    """The SUT refused the action; *reason* is free text shown when the model disagrees."""

    reason: str = ""


@attrs.frozen
class Observed:
    """What the SUT says an order product looks like now: status and open claim."""

    status: Status | str
    claim_type: ClaimType | str | None = None
    claim_status: ClaimStatus | str | None = None


@runtime_checkable
class OrderSystem(Protocol):
    """The binding to your order system: three methods.

    ``create`` gets a new order product at 결제완료 (read its id, marketplace, item, price,
    quantity and payment from the claimflow value) and returns your handle for it. ``perform``
    asks your system to do one action and returns :class:`Performed` or :class:`Refused` (never
    raise for a refusal). ``read`` returns what your system now holds for that order product.
    """

    def create(self, order_product: OrderProduct) -> Any: ...

    def perform(
        self, handle: Any, action: Action, actor: Actor, params: Mapping[str, Any]
    ) -> Performed | Refused: ...

    def read(self, handle: Any) -> Observed: ...


def _rules_of(d: Decision) -> str:
    return ", ".join(r.rule_id for r in d.reasons if r.rule_id) or "-"


def _verdict(d: Decision) -> str:
    if d.allowed:
        return f"allowed by {d.rule_id} → {d.to_status}" + (
            f", {d.claim_type} {d.claim_status}" if d.claim_type else ""
        )
    return f"refused ({', '.join(d.codes)}; rules {_rules_of(d)})"


class DisagreementError(AssertionError):
    """The system under test and the claimflow model disagree."""


@attrs.frozen
class _Create:
    op: OrderProduct


@attrs.frozen
class _Act:
    index: int
    step: Step


_Event = _Create | _Act


class _Runner:
    """Runs events against a fresh system and the model side by side; raises on disagreement.

    The state machine drives one; the minimizer replays shorter event lists through new ones.
    """

    def __init__(self, system: OrderSystem, mp: Marketplace) -> None:
        self.system = system
        self.mp = mp
        self.models: list[OrderProduct] = []
        self.handles: list[Any] = []
        self.lines: list[str] = []

    def run(self, event: _Event) -> str:
        if isinstance(event, _Create):
            return self.create(event.op)
        return self.act(event.index, event.step)

    def create(self, op: OrderProduct) -> str:
        self.models.append(op)
        self.handles.append(self.system.create(op))
        line = (
            f"create #{len(self.models) - 1} at {op.status} ({op.unit_price}원 x {op.quantity}, "
            f"{op.payment_channel}, auto_refundable={op.auto_refundable})"
        )
        self.lines.append(line)
        return line

    def act(self, i: int, step: Step) -> str:
        model = self.models[i]
        decision = check(model, step.action, step.actor, **step.params)
        outcome = self.system.perform(self.handles[i], step.action, step.actor, step.params)
        line = f"#{i} {_state(_key(model))}: {step} → model {_verdict(decision)}; system {outcome}"
        self.lines.append(line)
        if decision.allowed != isinstance(outcome, Performed):
            verb = "refused" if decision.allowed else "performed"
            rule = "allows" if decision.allowed else "refuses"
            raise DisagreementError(f"the system {verb} {step.action} but the model {rule} it")
        if isinstance(outcome, Performed):
            expected = sorted(e.kind.value for e in decision.effects)
            actual = sorted(EffectKind(e).value for e in outcome.effects)
            if expected != actual:
                raise DisagreementError(f"effects differ: model {expected}, system {actual}")
            self.models[i] = apply(model, step.action, step.actor, **step.params).order_product
        self.compare(i)
        return line

    def compare(self, i: int) -> None:
        seen = self.system.read(self.handles[i])
        expected = _key(self.models[i])
        actual = (
            Status(seen.status),
            None if seen.claim_type is None else ClaimType(seen.claim_type),
            None if seen.claim_status is None else ClaimStatus(seen.claim_status),
        )
        if expected != actual:
            msg = f"#{i}: state differs: model {_state(expected)}, system {_state(actual)}"
            raise DisagreementError(msg)


def _fails(events: list[_Event], make_system: Callable[[], OrderSystem], mp: Marketplace) -> str:
    """The disagreement *events* lead to, or "" when they run clean (or no longer make sense)."""
    runner = _Runner(make_system(), mp)
    try:
        for e in events:
            if isinstance(e, _Act) and e.index >= len(runner.models):
                return ""
            runner.run(e)
    except DisagreementError as d:
        return str(d)
    except Exception:  # a shortened journey may make no sense to the system: not this bug
        return ""
    return ""


def minimize(
    events: list[_Event], make_system: Callable[[], OrderSystem], mp: Marketplace
) -> tuple[list[_Event], str]:
    """Drop events one at a time while the journey still ends in a disagreement.

    Hypothesis shrinks too, but its stateful shrinking replays the whole machine thousands of
    times; this greedy pass over the recorded journey gives a readable counterexample in a few
    hundred cheap replays, and hypothesis can then skip its shrink phase (see docs/testing.md).
    """
    what = _fails(events, make_system, mp)
    if not what:
        return events, ""
    changed = True
    while changed:
        changed = False
        for j in range(len(events) - 2, -1, -1):  # the failing last event stays
            candidate = events[:j] + events[j + 1 :]
            if isinstance(events[j], _Create):  # drop its order product's steps, renumber
                k = _nth(events, j)
                candidate = [
                    _Act(e.index - 1, e.step) if isinstance(e, _Act) and e.index > k else e
                    for e in candidate
                    if not (isinstance(e, _Act) and e.index == k)
                ]
            found = _fails(candidate, make_system, mp)
            if found:
                events, what, changed = candidate, found, True
                break
    return events, what


def _nth(events: list[_Event], j: int) -> int:
    """The order-product index the creation at *events[j]* made."""
    return sum(1 for e in events[:j] if isinstance(e, _Create))


def report(events: list[_Event], make_system: Callable[[], OrderSystem], mp: Marketplace) -> str:
    """The minimized journey as numbered steps with the rule ids involved."""
    short, what = minimize(events, make_system, mp)
    runner = _Runner(make_system(), mp)
    with contextlib.suppress(DisagreementError):
        for e in short:
            runner.run(e)
    steps_ = "\n".join(f"  {n}. {line}" for n, line in enumerate(runner.lines, 1))
    return f"{mp}: {what}\nshortest journey found ({len(short)} of {len(events)} events):\n{steps_}"


def oracle(
    make_system: Callable[[], OrderSystem],
    *,
    marketplace: Marketplace | str,
    invalid_rate: float = 0.1,
) -> type[RuleBasedStateMachine]:
    """A hypothesis state machine checking the system *make_system* builds against claimflow.

    Use its ``TestCase`` in pytest::

        TestMyOMS = oracle(MyBinding, marketplace="toss").TestCase

    Every step draws an action (mostly one the model allows, sometimes one it refuses, sometimes
    with a missing or malformed parameter), asks both, and asserts they agree: allowed exactly
    when the system performed, the same effects, then the same status and open claim. Another
    rule asks the system every action the model refuses in the current state. A failure is
    minimized and printed as numbered steps with the rule ids involved.
    """
    mp = Marketplace(marketplace)

    class ClaimOracle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.runner = _Runner(make_system(), mp)
            self.events: list[_Event] = []

        @initialize(op=fresh_order_products(mp))
        def first(self, op: OrderProduct) -> None:
            self._do(_Create(op))

        @precondition(lambda self: len(self.runner.models) < MAX_ORDER_PRODUCTS)
        @rule(op=fresh_order_products(mp))
        def another(self, op: OrderProduct) -> None:
            self._do(_Create(op))

        @rule(data=st.data())
        def act(self, data: st.DataObject) -> None:
            """One step, drawn mostly among what the model allows now."""
            i = data.draw(st.integers(0, len(self.runner.models) - 1), label="order product")
            model = self.runner.models[i]
            step = data.draw(steps(model), label="step")
            if data.draw(st.floats(0, 1), label="corrupt") < invalid_rate:
                with contextlib.suppress(ValueError):  # no parameter to spoil
                    step = Step(
                        step.action,
                        step.actor,
                        data.draw(invalid_params(model, step.action), label="bad"),
                    )
            self._do(_Act(i, step))

        @rule(data=st.data())
        def probe_refusals(self, data: st.DataObject) -> None:
            """Every action the model refuses now, asked of the system: it must refuse each."""
            i = data.draw(st.integers(0, len(self.runner.models) - 1), label="order product")
            model = self.runner.models[i]
            for action, actor in refused_pairs(model):
                step = Step(action, actor, example_params(model, action))
                if check(model, action, actor, **step.params).allowed:
                    continue  # refused for want of parameters only: act covers those
                self._do(_Act(i, step), record=False)

        def _do(self, event: _Event, *, record: bool = True) -> None:
            try:
                line = self.runner.run(event)
            except DisagreementError:
                self.events.append(event)
                raise DisagreementError(report(self.events, make_system, mp)) from None
            if record:  # a probe both sides refused changed nothing: no need to replay it
                self.events.append(event)
                note(line)

    ClaimOracle.__name__ = ClaimOracle.__qualname__ = f"ClaimOracle_{mp}"
    return ClaimOracle


def _key(op: OrderProduct) -> tuple[Any, Any, Any]:
    c = op.open_claim
    return (op.status, c.type if c else None, c.status if c else None)


def _state(t: tuple[Any, Any, Any]) -> str:
    status, ctype, cstatus = t
    return f"{status}" + (f" + {ctype} {cstatus}" if ctype else "")


PROFILE_ENV = "CLAIMFLOW_HYPOTHESIS_PROFILE"
MAX_ORDER_PRODUCTS = 3


def load_profile(default: str = "ci") -> str:
    """Register claimflow's hypothesis profiles and load the one ``CLAIMFLOW_HYPOTHESIS_PROFILE``
    names (``ci``: fast and derandomized; ``dev``; ``thorough``: long local runs).

    Returns the profile name loaded.
    """
    common: dict[str, Any] = {
        "deadline": None,
        "print_blob": True,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    }
    # ci: the same journeys every run, nothing written to a local example database
    settings.register_profile(
        "ci", max_examples=100, stateful_step_count=50, derandomize=True, database=None, **common
    )
    settings.register_profile("dev", max_examples=400, stateful_step_count=60, **common)
    settings.register_profile("thorough", max_examples=2500, stateful_step_count=100, **common)
    name = os.environ.get(PROFILE_ENV, default)
    settings.load_profile(name)
    return name
