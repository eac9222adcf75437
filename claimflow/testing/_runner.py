"""The oracle outside pytest: a deterministic coverage sweep, then seeded random journeys.

:func:`sweep` visits every state reachable from 결제완료 (by driving the system along the shortest
path there) and asks every (action, actor) pair of the marketplace in it: allowed and refused,
with valid parameters and with one required parameter missing or malformed. :func:`run_oracle`
runs the sweep, then random journeys aimed at what the run has visited least, until a budget in
steps or seconds is spent. Both raise :class:`DisagreementError` with a minimized
:class:`Counterexample`, and report coverage.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from typing import Any

import attrs

from .._engine import allowed_actions, check, example_params
from .._machine import COMPILED, state_key, state_name
from .._params import ImwebReasonCode, example
from .._values import CandidateItem, OrderProduct
from .._vocab import SEOUL, Action, Actor, FeePayer, Marketplace, Status
from ._coverage import Coverage, CoverageReport, StatePath, Triple, offered_pairs, state_paths
from ._oracle import (
    DisagreementError,
    OrderSystem,
    _Act,
    _Create,
    _Event,
    _FoundError,
    _Runner,
    disagreement,
    new_system,
)
from ._strategies import Step, bad_values

__all__ = ["OracleResult", "command", "run_oracle", "sweep"]


@attrs.frozen
class OracleResult:
    """What :func:`run_oracle` did: steps asked, seconds spent, coverage reached."""

    marketplace: Marketplace
    steps: int
    seconds: float
    coverage: CoverageReport

    def __str__(self) -> str:
        rate = self.steps / self.seconds if self.seconds else 0.0
        return (
            f"{self.marketplace}: no disagreement in {self.steps} steps, {self.seconds:.1f} s "
            f"({rate:,.0f} steps/s)\n{self.coverage}"
        )


_TEXT = ["단순 변심", "사이즈가 맞지 않음", "상품 불량", "재고 없음", "x"]
_CARRIERS = ["CJ대한통운", "롯데택배", "한진택배", "우체국택배"]


def random_params(rng: random.Random, op: OrderProduct, action: Action) -> dict[str, Any]:
    """Valid parameters for *action* on *op*: every required one, each optional one half the time.

    The same values :func:`claimflow.testing.params_for` draws (see docs/testing.md); a
    parameter this module does not know gets the engine's example value.
    """
    today = dt.datetime.now(SEOUL).date()
    makers: dict[str, Callable[[], object]] = {
        "reason": lambda: rng.choice(_TEXT),
        "detail_reason": lambda: rng.choice(_TEXT),
        "memo": lambda: rng.choice(_TEXT),
        "reason_code": lambda: rng.choice(list(ImwebReasonCode)),
        "carrier": lambda: rng.choice(_CARRIERS),
        "tracking_number": lambda: "-".join(f"{rng.randrange(10_000):04d}" for _ in range(3)),
        "fee_payer": lambda: rng.choice(list(FeePayer)),
        "shipping_deadline": lambda: today + dt.timedelta(days=rng.randint(1, 30)),
        "extra_charge": lambda: rng.randint(0, max(op.amount, 0)),
        "refund_points": lambda: rng.randint(0, 5_000),
        "new_item": lambda: CandidateItem(
            rng.choice(["SKU-ALT-1", "SKU-ALT-2"]),
            op.unit_price,
            True,
            rng.randint(op.quantity, op.quantity + 10),
        ),
        "refund_amount": lambda: rng.randint(0, max(op.amount, 0)),
        "extra_payment": lambda: rng.choice([0, rng.randint(1, 10_000)]),
    }
    out: dict[str, Any] = {}
    for spec in COMPILED[op.marketplace].param_specs.get(action, ()):
        if spec.required or rng.random() < 0.5:
            make = makers.get(spec.name)
            out[spec.name] = make() if make else example(spec, op)
    return out


def spoiled_params(rng: random.Random, op: OrderProduct, action: Action) -> dict[str, Any] | None:
    """Valid parameters with one required value missing or malformed, or None without any."""
    valid = example_params(op, action)
    if not valid:
        return None
    name = rng.choice(sorted(valid))
    value = rng.choice([None, *bad_values(op).get(name, [])])
    if value is None:
        del valid[name]
    else:
        valid[name] = value
    return valid


class _Journey:
    """One system, the events asked of it, and the run's coverage; raises DisagreementError."""

    def __init__(
        self,
        make_system: Callable[[], OrderSystem],
        mp: Marketplace,
        coverage: Coverage,
        rng: random.Random,
    ) -> None:
        self.make_system = make_system
        self.mp = mp
        self.rng = rng
        self.runner = _Runner(new_system(make_system), mp, coverage)
        self.events: list[_Event] = []
        self.of: list[list[_Event]] = []  # the events of each order product, renumbered to 0

    def do(self, event: _Event) -> None:
        try:
            self.runner.run(event)
        except _FoundError as found:
            mine = self._own(event)
            # an order product's own events usually replay the bug alone: much faster to minimize
            if _still_fails(mine, self.make_system, self.mp):
                events = mine
            else:
                events = [*self.events, event]
            raise disagreement(found, events, self.make_system, self.mp, self.runner) from None
        self.events.append(event)
        if isinstance(event, _Create):
            self.of.append([_Create(event.op)])
        else:
            self.of[event.index].append(_Act(0, event.step))

    def _own(self, event: _Event) -> list[_Event]:
        if isinstance(event, _Create):
            return [_Create(event.op)]
        return [*self.of[event.index], _Act(0, event.step)]

    def start(self, path: StatePath) -> int:
        """A new order product driven along *path*; its index."""
        op = OrderProduct(
            id=f"op-{len(self.runner.models)}-{self.rng.randrange(16**8):08x}",
            marketplace=self.mp,
            status=Status.PAID,
            item_id=self.rng.choice(["SKU-RED-M", "SKU-BLUE-L", "SKU-0001"]),
            unit_price=self.rng.randint(100, 500_000),
            quantity=self.rng.randint(2, 5),
            payment_channel=path.profile.payment_channel,
            auto_refundable=path.profile.auto_refundable,
        )
        self.do(_Create(op))
        i = len(self.runner.models) - 1
        for action, actor in path.steps:
            self.act(i, action, actor)
        return i

    def act(self, i: int, action: Action, actor: Actor, *, spoil: bool = False) -> None:
        model = self.runner.models[i]
        params = spoiled_params(self.rng, model, action) if spoil else None
        if params is None:
            params = random_params(self.rng, model, action)
            if not check(model, action, actor, **params).allowed:
                params = example_params(model, action)
        self.do(_Act(i, Step(action, actor, params)))

    def state(self, i: int) -> str:
        return state_name(state_key(self.runner.models[i]))


def _still_fails(
    events: list[_Event], make_system: Callable[[], OrderSystem], mp: Marketplace
) -> bool:
    runner = _Runner(make_system(), mp)
    try:
        for e in events:
            runner.run(e)
    except _FoundError:
        return True
    except Exception:
        return False
    return False


def sweep(
    make_system: Callable[[], OrderSystem],
    marketplace: Marketplace | str,
    *,
    seed: int = 0,
    coverage: Coverage | None = None,
) -> CoverageReport:
    """Ask every reachable (state, actor, action) of *marketplace* at least once; the coverage.

    For each state reachable from 결제완료 and each payment profile that reaches it, a new system
    is made with *make_system* and a new order product is driven along the shortest path there;
    then every (action, actor) pair the
    marketplace offers is asked: the refused ones (once per state, and again where the payment
    changes the answer), each one taking parameters also with one of them missing or malformed,
    and each allowed one performed (on a fresh order product driven there again), followed the
    first time by every step allowed after it (so that states are also reached with another
    history than the shortest one: a claim's origin, a held status). Deterministic
    for a *seed* (prices, quantities and parameter values vary with it). Raises
    :class:`DisagreementError` at the first disagreement.
    """
    mp = Marketplace(marketplace)
    coverage = coverage if coverage is not None else Coverage(mp)
    rng = random.Random(seed)
    refused_asked: set[Triple] = set()
    spoiled_asked: set[Triple] = set()
    followed: set[Triple] = set()
    for path in state_paths(mp):
        # a new system per state: it stays small, and a counterexample involves one journey
        journey = _Journey(make_system, mp, coverage, rng)
        i = journey.start(path)
        model = journey.runner.models[i]
        allowed = []
        now = _allowed_now(model)
        for action, actor in offered_pairs(mp):
            triple = (path.state, actor, action)
            ok = (action, actor) in now
            if ok:
                allowed.append((action, actor))
            elif triple not in refused_asked:
                refused_asked.add(triple)
                journey.act(i, action, actor)
            if triple not in spoiled_asked and example_params(model, action):
                spoiled_asked.add(triple)
                journey.act(i, action, actor, spoil=True)
        for n, (action, actor) in enumerate(allowed):
            if n:
                i = journey.start(path)
            journey.act(i, action, actor)
            if (path.state, actor, action) in followed:
                continue
            # one step further: a state reached another way than its shortest path may carry a
            # history the system mishandles (a claim's origin, a held status) but does not show
            followed.add((path.state, actor, action))
            for m, (action2, actor2) in enumerate(sorted(_allowed_now(journey.runner.models[i]))):
                if m:
                    i = journey.start(path)
                    journey.act(i, action, actor)
                journey.act(i, action2, actor2)
    return coverage.report()


def run_oracle(
    make_system: Callable[[], OrderSystem],
    marketplace: Marketplace | str,
    *,
    steps: int | None = 5_000,
    seconds: float | None = None,
    seed: int = 0,
    sweep_first: bool = True,
    journey_steps: int = 30,
    invalid_rate: float = 0.1,
) -> OracleResult:
    """Check the system *make_system* builds against claimflow without pytest.

    Runs the coverage :func:`sweep`, then seeded random journeys until *steps* random steps (the
    sweep's own are not counted) or *seconds* of the whole run have been spent, whichever comes
    first (``None``: no limit of that kind; give at least one). Each journey is a new system
    from *make_system* with order products started in reachable states, the least visited
    first, and steps drawn toward the (action, actor) pairs least asked in their state; refused
    actions are probed and parameters spoiled at *invalid_rate*. Raises
    :class:`DisagreementError` (a minimized :class:`Counterexample` on it) at the first
    disagreement; returns an :class:`OracleResult`.
    """
    if steps is None and seconds is None:
        msg = "run_oracle: give a budget in steps, seconds or both"
        raise ValueError(msg)
    mp = Marketplace(marketplace)
    rng = random.Random(seed)
    coverage = Coverage(mp)
    began = time.perf_counter()

    swept = 0

    def spent() -> bool:
        return (steps is not None and coverage.steps - swept >= steps) or (
            seconds is not None and time.perf_counter() - began >= seconds
        )

    if sweep_first:
        sweep(make_system, mp, seed=seed, coverage=coverage)
        swept = coverage.steps
    paths = state_paths(mp)
    pairs = offered_pairs(mp)
    while not spent():
        journey = _Journey(make_system, mp, coverage, rng)
        live: list[int] = []
        for _ in range(journey_steps):
            if spent():
                break
            if not live or (len(live) < 3 and rng.random() < 0.1):
                least = min(coverage.visits(p.state) for p in paths)
                fewest = [p for p in paths if coverage.visits(p.state) <= least + 2]
                live.append(journey.start(rng.choice(fewest)))
                continue
            i = rng.choice(live)
            model = journey.runner.models[i]
            state = journey.state(i)
            now = _allowed_now(model)
            allowed = [p for p in pairs if p in now]
            if not allowed or rng.random() < 0.15:  # probe something refused here
                refused = [p for p in pairs if p not in allowed]
                action, actor = _least(rng, refused, state, coverage)
                journey.act(i, action, actor)
                continue
            action, actor = _least(rng, allowed, state, coverage)
            journey.act(i, action, actor, spoil=rng.random() < invalid_rate)
    return OracleResult(mp, coverage.steps, time.perf_counter() - began, coverage.report())


def _allowed_now(op: OrderProduct) -> set[tuple[Action, Actor]]:
    """The pairs allowed now with valid example parameters (the engine's fast path first)."""
    return {
        (action, actor)
        for actor in Actor
        for action in allowed_actions(op, actor)
        if check(op, action, actor, **example_params(op, action)).allowed
    }


def _least(
    rng: random.Random, pairs: list[tuple[Action, Actor]], state: str, coverage: Coverage
) -> tuple[Action, Actor]:
    """A pair, chosen with weight 1 / (1 + times asked in *state*): new ones first."""
    weights = [1.0 / (1 + coverage.visits(state, actor, action)) for action, actor in pairs]
    return rng.choices(pairs, weights)[0]


def command(
    system: str,
    marketplace: str,
    *,
    steps: int | None,
    seconds: float | None,
    seed: int,
    sweep_first: bool = True,
) -> int:
    """``claimflow oracle``: load the binding factory ``module:name`` and run the oracle on it.

    Prints the coverage (exit 0) or the counterexample (exit 1); a factory that cannot be
    loaded exits 2 with a message. The current directory is importable.
    """
    import importlib  # noqa: PLC0415
    import sys  # noqa: PLC0415

    module_name, _, attr = system.partition(":")
    if not module_name or not attr:
        print(f"--system must be module:factory (e.g. my_oms:Binding), got {system!r}")
        return 2
    sys.path.insert(0, ".")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as e:
        print(f"cannot load {system!r}: {type(e).__name__}: {e}")
        return 2
    if not callable(factory):
        print(f"{system!r} is a {type(factory).__name__}, not a factory of bindings")
        return 2
    try:
        result = run_oracle(
            factory, marketplace, steps=steps, seconds=seconds, seed=seed, sweep_first=sweep_first
        )
    except DisagreementError as e:
        print(e)
        return 1
    print(result)
    return 0
