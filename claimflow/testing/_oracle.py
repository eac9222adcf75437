"""The stateful oracle: drive an order system under test and the claimflow model side by side.

In the style of hypothesis' ``DatabaseComparison`` example and zarr's shipped stateful tests: the
model is assumed perfect, the system under test (SUT) is reached through a small binding the user
writes, and after every step the two must agree: allowed exactly when performed, the same effects
*with their data* (amounts, carrier, tracking number, ... every field of :class:`claimflow.Effect`),
then the same status and open claim.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Collection, Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

import attrs
from hypothesis import HealthCheck, Phase, note, settings, target
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
)

from .._engine import apply, check, example_params
from .._machine import state_key, state_name
from .._values import Decision, Effect, OrderProduct
from .._vocab import Action, Actor, ClaimStatus, ClaimType, EffectKind, Marketplace, Status
from ._coverage import Coverage, state_paths
from ._strategies import Step, fresh_order_products, invalid_params, refused_pairs, steps

__all__ = [
    "BindingError",
    "Counterexample",
    "DisagreementError",
    "Mismatch",
    "Observed",
    "OrderSystem",
    "Performed",
    "Refused",
    "load_profile",
    "oracle",
]

SystemEffect = EffectKind | str | Effect | Mapping[str, Any]

#: Parameters that are the marketplace's facts, not the seller's choice: the figures it states
#: (rules.md M7: x2bee ``claimCalculateCostFO``) and whether a return was made during an exchange
#: (x2bee ``exchMidRtnYn``, X3). Drawn at random they test an OMS that is told them; a binding
#: to a marketplace's API learns them from the marketplace instead (``marketplace_params``).
MARKETPLACE_FACTS = frozenset({"refund_amount", "extra_payment", "exchange_mid_return"})


@attrs.frozen
class Performed:
    """The SUT carried the action out; *effects* are what it caused (any order).

    Each effect is either a kind (``"REFUND"``: compared by kind only), a
    :class:`claimflow.Effect` (every field compared: amount, carrier, tracking number, and
    whatever data later versions add), or a mapping with ``kind`` and the fields your system
    knows (``{"kind": "REFUND", "amount": 24680}``: each field given is compared).
    """

    # SystemEffect items; typed loosely so bindings that build them from their own data type-check
    effects: Collection[Any] = ()


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

    The factory you give :func:`oracle` is called again for every journey and every replay of a
    shortened journey: each call must return a system with nothing in it (a fresh database).

    Optional fourth method, for a binding backed by a marketplace's API:
    ``marketplace_params(handle, action, actor, params)`` returns *params* with the facts the
    marketplace states (``refund_amount`` and ``extra_payment``, rules.md M7;
    ``exchange_mid_return``, x2bee ``exchMidRtnYn``) as your system learns them from the
    marketplace; both the model and ``perform`` are given what it returns. It may change only
    those parameters.
    """

    def create(self, order_product: OrderProduct) -> Any: ...

    def perform(
        self, handle: Any, action: Action, actor: Actor, params: Mapping[str, Any]
    ) -> Performed | Refused: ...

    def read(self, handle: Any) -> Observed: ...


@attrs.frozen
class Mismatch:
    """One value the model and the system disagree on, side by side."""

    what: str  # "allowed", "effects", "REFUND.amount", "status", "claim", ...
    model: str
    system: str


@attrs.frozen
class Counterexample:
    """A journey that ends in a disagreement, shortest found, as data.

    ``steps`` are the numbered lines of the report (without numbers), ``rule_ids`` the rules the
    model cited along it (the failing step's first), ``mismatches`` the values side by side.
    ``found_after`` is how many events the journey had before it was minimized.
    """

    marketplace: Marketplace
    problem: str
    steps: tuple[str, ...]
    rule_ids: tuple[str, ...]
    mismatches: tuple[Mismatch, ...] = ()
    found_after: int = 0

    @property
    def length(self) -> int:
        """How many events the counterexample has (creations included)."""
        return len(self.steps)

    def __str__(self) -> str:
        lines = [f"{self.marketplace}: {self.problem}"]
        if self.rule_ids:
            lines[0] += f" (rules {', '.join(self.rule_ids)})"
        if self.mismatches:
            width = max(len(m.what) for m in self.mismatches)
            lines += [
                f"  {m.what:<{width}}  model: {m.model}\n  {'':<{width}}  system: {m.system}"
                for m in self.mismatches
            ]
        lines.append(f"shortest journey found ({self.length} of {self.found_after} events):")
        lines += [f"  {n}. {line}" for n, line in enumerate(self.steps, 1)]
        return "\n".join(lines)


class DisagreementError(AssertionError):
    """The system under test and the claimflow model disagree.

    ``counterexample`` holds the minimized journey as data (:class:`Counterexample`); the message
    is its text.
    """

    def __init__(self, message: str, counterexample: Counterexample | None = None) -> None:
        super().__init__(message)
        self.counterexample = counterexample


class BindingError(DisagreementError):
    """The binding itself is broken: a method raised or returned something it must not.

    Reported on the step where it happened (usually the first), without minimizing.
    """


class _FoundError(Exception):
    """Raised inside a run: what differs (turned into a DisagreementError by the caller)."""

    def __init__(
        self, problem: str, mismatches: tuple[Mismatch, ...] = (), rules: tuple[str, ...] = ()
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.mismatches = mismatches
        self.rules = rules


class _BrokenError(_FoundError):
    """The binding misbehaved."""


def new_system(make_system: Callable[[], OrderSystem]) -> OrderSystem:
    """A system from *make_system*, or a :class:`BindingError` saying the factory failed."""
    try:
        return make_system()
    except Exception as e:
        msg = f"the system factory {make_system!r} raised {type(e).__name__}: {e}"
        raise BindingError(msg) from e


def _rule_ids(d: Decision) -> tuple[str, ...]:
    ids = [d.rule_id] if d.allowed and d.rule_id else []
    ids += [i for r in d.reasons if r.rule_id for i in r.rule_id.split(", ")]
    return tuple(dict.fromkeys(ids))


def _verdict(d: Decision) -> str:
    if d.allowed:
        return f"allowed by {d.rule_id} → {d.to_status}" + (
            f", {d.claim_type} {d.claim_status}" if d.claim_type else ""
        )
    return f"refused ({', '.join(d.codes)}; rules {', '.join(_rule_ids(d)) or '-'})"


@attrs.frozen
class _Create:
    op: OrderProduct


@attrs.frozen
class _Act:
    index: int
    step: Step


_Event = _Create | _Act

# the data fields of an effect, read from the attrs class so new fields (quotes) count at once
_EFFECT_FIELDS = tuple(f.name for f in attrs.fields(Effect) if f.name != "kind")


def _effect_text(kind: str, data: Mapping[str, Any] | None) -> str:
    if data is None:
        return kind
    shown = ", ".join(f"{k}={v!r}" for k, v in data.items() if v is not None)
    return f"{kind}({shown})" if shown else kind


def _model_effect(e: Effect) -> tuple[str, dict[str, Any]]:
    return e.kind.value, {name: getattr(e, name) for name in _EFFECT_FIELDS}


def _system_effect(e: object) -> tuple[str, dict[str, Any] | None]:
    """(kind, data) from what a binding returned; data None: only the kind is known."""
    if isinstance(e, Effect):
        return _model_effect(e)
    if isinstance(e, Mapping):
        if "kind" not in e:
            raise _BrokenError(f"an effect mapping without 'kind': {dict(e)!r}")
        unknown = sorted(set(e) - {"kind", *_EFFECT_FIELDS})
        if unknown:
            raise _BrokenError(
                f"effect field(s) {', '.join(unknown)} unknown; an effect has "
                f"{', '.join(_EFFECT_FIELDS)}"
            )
        return _kind(e["kind"]), {k: v for k, v in e.items() if k != "kind"}
    return _kind(e), None


def _kind(value: object) -> str:
    try:
        return EffectKind(value).value  # type: ignore[arg-type]
    except ValueError:
        known = ", ".join(k.value for k in EffectKind)
        raise _BrokenError(f"unknown effect {value!r}; expected one of {known}") from None


def compare_effects(
    model: Collection[Effect], system: Collection[SystemEffect]
) -> tuple[Mismatch, ...]:
    """The differences between the model's effects and the system's, kind and data."""
    want = sorted((_model_effect(e) for e in model), key=lambda p: p[0])
    got = sorted((_system_effect(e) for e in system), key=lambda p: p[0])
    if [k for k, _ in want] != [k for k, _ in got]:
        return (
            Mismatch(
                "effects",
                str([_effect_text(k, d) for k, d in want]),
                str([_effect_text(k, d) for k, d in got]),
            ),
        )
    out = []
    for (kind, wanted), (_, given) in zip(want, got, strict=True):
        if given is None:
            continue  # the system reports the kind only
        for name, value in given.items():
            if value != wanted.get(name):
                out.append(Mismatch(f"{kind}.{name}", repr(wanted.get(name)), repr(value)))
    return tuple(out)


class _Runner:
    """Runs events through one system and the model side by side; _FoundError on a mismatch.

    The state machine, the sweep and the random runner drive one; the minimizer replays shorter
    event lists through new ones.
    """

    def __init__(
        self, system: OrderSystem, mp: Marketplace, coverage: Coverage | None = None
    ) -> None:
        self.system = system
        self.mp = mp
        self.coverage = coverage
        self.models: list[OrderProduct] = []
        self.handles: list[Any] = []
        self.lines: list[str] = []
        self.rules: list[tuple[str, ...]] = []

    def run(self, event: _Event) -> str:
        if isinstance(event, _Create):
            return self.create(event.op)
        return self.act(event.index, event.step)

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self.system, method)(*args)
        except AssertionError as e:  # the binding's own check failed (e.g. the emulator binding)
            raise _FoundError(f"the binding's {method} found: {e}") from e
        except Exception as e:  # the binding's own failure, reported as such
            shown = ", ".join(repr(a) if not isinstance(a, OrderProduct) else a.id for a in args)
            msg = f"the binding's {method}({shown}) raised {type(e).__name__}: {e}"
            raise _BrokenError(msg) from e

    def create(self, op: OrderProduct) -> str:
        line = (
            f"create #{len(self.models)} at {op.status} ({op.unit_price}원 x {op.quantity}, "
            f"{op.payment_channel}, auto_refundable={op.auto_refundable})"
        )
        self.lines.append(line)
        self.rules.append(())
        self.models.append(op)
        self.handles.append(self._call("create", op))
        self.compare(len(self.models) - 1)
        return line

    def act(self, i: int, step: Step) -> str:
        model = self.models[i]
        step = self._stated(i, step)
        decision = check(model, step.action, step.actor, **step.params)
        before = state_name(state_key(model))
        line = f"#{i} {_state(_key(model))}: {step} → model {_verdict(decision)}; system "
        self.lines.append(line + "…")
        rules = _rule_ids(decision)
        self.rules.append(rules)
        outcome = self._call("perform", self.handles[i], step.action, step.actor, step.params)
        if not isinstance(outcome, Performed | Refused):
            msg = (
                f"the binding's perform returned {outcome!r} ({type(outcome).__name__}); "
                "it must return Performed(effects) or Refused(reason)"
            )
            raise _BrokenError(msg, rules=rules)
        self.lines[-1] = line + _outcome_text(outcome)
        if self.coverage is not None:
            self.coverage.record(before, step.actor, step.action, allowed=decision.allowed)
        if decision.allowed != isinstance(outcome, Performed):
            verb = "refused" if decision.allowed else "performed"
            says = "allows" if decision.allowed else "refuses"
            reason = outcome.reason if isinstance(outcome, Refused) else "performed"
            raise _FoundError(
                f"the system {verb} {step.action} but the model {says} it",
                (Mismatch("allowed", _verdict(decision), reason or "refused"),),
                rules,
            )
        if isinstance(outcome, Performed):
            diff = compare_effects(decision.effects, outcome.effects)
            if diff:
                what = "effects differ" if diff[0].what == "effects" else "effect data differs"
                raise _FoundError(f"{step.action}: {what}", diff, rules)
            self.models[i] = apply(model, step.action, step.actor, **step.params).order_product
        self.compare(i, rules)
        return self.lines[-1]

    def _stated(self, i: int, step: Step) -> Step:
        """*step* with the marketplace's facts as the system learns them (``marketplace_params``,
        when the binding has it); a change to any other parameter is the binding's fault."""
        if not callable(getattr(self.system, "marketplace_params", None)):
            return step
        given = step.params
        params = dict(
            self._call("marketplace_params", self.handles[i], step.action, step.actor, given)
        )
        missing = object()
        changed = {
            k
            for k in given.keys() | params.keys()
            if given.get(k, missing) != params.get(k, missing)
        }
        if changed - MARKETPLACE_FACTS:
            msg = (
                f"the binding's marketplace_params changed {sorted(changed - MARKETPLACE_FACTS)}; "
                f"only the marketplace's facts ({', '.join(sorted(MARKETPLACE_FACTS))}) may change"
            )
            raise _BrokenError(msg)
        return step if not changed else Step(step.action, step.actor, params)

    def compare(self, i: int, rules: tuple[str, ...] = ()) -> None:
        seen = self._call("read", self.handles[i])
        if not isinstance(seen, Observed):
            msg = f"the binding's read returned {seen!r}; it must return an Observed"
            raise _BrokenError(msg, rules=rules)
        try:
            actual = (
                Status(seen.status),
                None if seen.claim_type is None else ClaimType(seen.claim_type),
                None if seen.claim_status is None else ClaimStatus(seen.claim_status),
            )
        except ValueError as e:
            raise _BrokenError(f"the binding's read returned {seen!r}: {e}", rules=rules) from None
        expected = _key(self.models[i])
        if expected != actual:
            diff = []
            if expected[0] != actual[0]:
                diff.append(Mismatch("status", str(expected[0]), str(actual[0])))
            if expected[1:] != actual[1:]:
                diff.append(Mismatch("open claim", _claim(expected), _claim(actual)))
            msg = f"#{i}: state differs: model {_state(expected)}, system {_state(actual)}"
            raise _FoundError(msg, tuple(diff), rules)


def _outcome_text(outcome: Performed | Refused) -> str:
    if isinstance(outcome, Refused):
        return f"Refused({outcome.reason!r})"
    try:
        shown = [_effect_text(*_system_effect(e)) for e in outcome.effects]
    except _FoundError:
        shown = [repr(e) for e in outcome.effects]
    return f"Performed(effects={shown})"


def _claim(t: tuple[Any, Any, Any]) -> str:
    return "none" if t[1] is None else f"{t[1]} {t[2]}"


def _fails(
    events: list[_Event], make_system: Callable[[], OrderSystem], mp: Marketplace
) -> type[_FoundError] | None:
    """What kind of disagreement *events* lead to, or None when they run clean."""
    runner = _Runner(make_system(), mp)
    try:
        for e in events:
            if isinstance(e, _Act) and e.index >= len(runner.models):
                return None
            runner.run(e)
    except _FoundError as d:
        return type(d)
    except Exception:  # a shortened journey may make no sense to the model: not this bug
        return None
    return None


def minimize(
    events: list[_Event], make_system: Callable[[], OrderSystem], mp: Marketplace
) -> list[_Event]:
    """Drop events while the journey still ends in the same kind of disagreement.

    Hypothesis shrinks too, but its stateful shrinking replays the whole machine thousands of
    times; this pass over the recorded journey (chunks first, then single events) gives a
    readable counterexample in a few hundred cheap replays.
    """
    kind = _fails(events, make_system, mp)
    if kind is None:
        return events
    chunk = max(1, (len(events) - 1) // 2)
    while True:
        changed = False
        j = len(events) - 1 - chunk  # the failing last event stays
        while j >= 0:
            candidate = _without(events, j, min(j + chunk, len(events) - 1))
            if candidate is not None and _fails(candidate, make_system, mp) is kind:
                events, changed = candidate, True
            j -= chunk
        if chunk == 1 and not changed:
            return events
        if not changed or chunk > 1:
            chunk = max(1, chunk // 2)


def _without(events: list[_Event], lo: int, hi: int) -> list[_Event] | None:
    """*events* without events[lo:hi], dropping the steps of any order product created there."""
    if lo >= hi:
        return None
    gone = {_nth(events, j) for j in range(lo, hi) if isinstance(events[j], _Create)}
    out: list[_Event] = []
    for e in events[:lo] + events[hi:]:
        if isinstance(e, _Act):
            if e.index in gone:
                continue
            out.append(_Act(e.index - sum(1 for g in gone if g < e.index), e.step))
        else:
            out.append(e)
    return out


def _nth(events: list[_Event], j: int) -> int:
    """The order-product index the creation at *events[j]* made."""
    return sum(1 for e in events[:j] if isinstance(e, _Create))


def disagreement(
    found: _FoundError,
    events: list[_Event],
    make_system: Callable[[], OrderSystem],
    mp: Marketplace,
    runner: _Runner | None = None,
) -> DisagreementError:
    """The error to raise for *found*: minimized journey (not for a broken binding) as data."""
    if isinstance(found, _BrokenError):
        lines = runner.lines if runner is not None else []
        cx = Counterexample(
            mp, found.problem, tuple(lines), found.rules, found.mismatches, len(events)
        )
        return BindingError(str(cx), cx)
    short = minimize(events, make_system, mp)
    replay = _Runner(make_system(), mp)
    last = found
    try:
        for e in short:
            replay.run(e)
    except _FoundError as f:  # the replay stops at the failing event: its details are shown
        last = f
    rules = tuple(dict.fromkeys([*last.rules, *(r for rs in replay.rules for r in rs)]))
    cx = Counterexample(mp, last.problem, tuple(replay.lines), rules, last.mismatches, len(events))
    return DisagreementError(str(cx), cx)


def oracle(
    make_system: Callable[[], OrderSystem],
    *,
    marketplace: Marketplace | str,
    invalid_rate: float = 0.1,
    sweep: bool = True,
    seed: int = 0,
) -> type[RuleBasedStateMachine]:
    """A hypothesis state machine checking the system *make_system* builds against claimflow.

    Use its ``TestCase`` in pytest::

        TestMyOMS = oracle(MyBinding, marketplace="toss").TestCase

    The ``TestCase`` first runs the coverage :func:`sweep` (every reachable state, every
    (action, actor) there, allowed and refused, with valid and invalid parameters; a second or
    so; its prices, quantities and parameter values vary with *seed*), then hypothesis' random
    journeys. Each journey starts its order products in reachable
    states, preferring those it has not visited, by driving the system along the shortest
    path there. Every step draws an action (mostly one the model allows, sometimes one it
    refuses, sometimes with a missing or malformed parameter), asks both, and asserts they
    agree: allowed exactly when the system performed, the same effects with the same data,
    then the same status and open claim. Another rule asks the system every action the model
    refuses in the current state. A failure raises :class:`DisagreementError` with the
    minimized journey as a :class:`Counterexample`.

    *make_system* is called again for every journey and for every replay while minimizing.
    """
    mp = Marketplace(marketplace)
    paths = state_paths(mp)

    class ClaimOracle(RuleBasedStateMachine):
        found: ClassVar[dict[tuple[type[_FoundError], str], DisagreementError]] = {}

        def __init__(self) -> None:
            super().__init__()
            self.coverage = Coverage(mp)
            self.runner = _Runner(new_system(make_system), mp, self.coverage)
            self.events: list[_Event] = []

        @initialize(data=st.data())
        def first(self, data: st.DataObject) -> None:
            self._start(data)

        @precondition(lambda self: len(self.runner.models) < MAX_ORDER_PRODUCTS)
        @rule(data=st.data())
        def another(self, data: st.DataObject) -> None:
            self._start(data)

        def _start(self, data: st.DataObject) -> None:
            """A new order product, driven along the shortest path to a reachable state."""
            op = data.draw(fresh_order_products(mp), label="order product")
            # a quarter of the order products start fresh at 결제완료; the others in a state drawn
            # uniformly among those this journey has not visited (sampled_from would lean toward
            # the first few), with one of the payment profiles that reach it
            rnd = data.draw(st.randoms(use_true_random=False), label="at")
            names = sorted({p.state for p in paths if not self.coverage.visits(p.state)})
            name = Status.PAID.value if rnd.random() < 0.25 or not names else rnd.choice(names)
            path = rnd.choice([p for p in paths if p.state == name])
            op = attrs.evolve(
                op,
                payment_channel=path.profile.payment_channel,
                auto_refundable=path.profile.auto_refundable,
            )
            self._do(_Create(op))
            i = len(self.runner.models) - 1
            for action, actor in path.steps:
                params = example_params(self.runner.models[i], action)
                self._do(_Act(i, Step(action, actor, params)))

        @rule(data=st.data())
        def act(self, data: st.DataObject) -> None:
            """One step, drawn mostly among what the model allows now, new ones first."""
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

        def teardown(self) -> None:
            # steer hypothesis' targeting phase toward journeys that ask more distinct things
            target(float(len(self.coverage.allowed) + len(self.coverage.refused)), label="asked")

        def _do(self, event: _Event, *, record: bool = True) -> None:
            try:
                line = self.runner.run(event)
            except _FoundError as found:
                self.events.append(event)
                # hypothesis replays a failing journey many times while it shrinks: minimize the
                # first time, then report the same minimized journey for the same disagreement
                key = (type(found), found.problem)
                known = ClaimOracle.found.get(key)
                if known is None:
                    known = disagreement(found, self.events, make_system, mp, self.runner)
                    ClaimOracle.found[key] = known
                raise type(known)(str(known), known.counterexample) from None
            if record:  # a probe both sides refused changed nothing: no need to replay it
                self.events.append(event)
                note(line)

        @classmethod
        def _to_test_case(cls) -> Any:  # type: ignore[override]
            base = super()._to_test_case()

            def run_test(self: Any) -> None:
                from ._runner import sweep as run_sweep  # noqa: PLC0415 - avoids an import cycle

                if sweep:
                    run_sweep(make_system, mp, seed=seed)
                base.runTest(self)

            run_test.is_hypothesis_test = True  # type: ignore[attr-defined]
            # the oracle minimizes a failing journey itself: hypothesis' shrink phase only costs
            no_shrink = settings(base.settings, phases=[p for p in Phase if p is not Phase.shrink])
            return type(base.__name__, (base,), {"runTest": run_test, "settings": no_shrink})

    ClaimOracle.__name__ = ClaimOracle.__qualname__ = f"ClaimOracle_{mp}"
    ClaimOracle.make_system = staticmethod(make_system)
    ClaimOracle.marketplace = mp
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
