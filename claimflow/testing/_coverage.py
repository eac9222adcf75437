"""Where the oracle can go: every state reachable by actions, the shortest way there, coverage.

The model knows every reachable state of a marketplace; :func:`state_paths` finds, for each one,
the shortest list of (action, actor) steps that leads a fresh order product at 결제완료 there (by
breadth-first search over the engine itself, once per payment profile, because some states need
a Naver Pay order or a payment that can be refunded automatically). The oracle drives the system
under test along these paths to start order products where the bugs live, and
:class:`Coverage` counts which (state, actor, action) triples a run has asked.
"""

from __future__ import annotations

import functools
from collections import Counter, deque
from collections.abc import Iterable

import attrs

from .._engine import allowed_actions, apply, check, example_params
from .._introspect import reachable_states
from .._machine import COMPILED, state_key, state_name
from .._values import OrderProduct
from .._vocab import Action, Actor, Marketplace, PaymentChannel, Status

__all__ = [
    "Coverage",
    "CoverageReport",
    "Profile",
    "StatePath",
    "state_paths",
]


@attrs.frozen
class Profile:
    """What a fresh order product's payment is: its channel and whether it refunds by itself."""

    payment_channel: PaymentChannel
    auto_refundable: bool

    def __str__(self) -> str:
        return f"{self.payment_channel}{'' if self.auto_refundable else ', manual refund'}"


PROFILES = tuple(Profile(c, auto) for c in PaymentChannel for auto in (True, False))


@attrs.frozen
class StatePath:
    """The shortest way from 결제완료 to one reachable state, for one payment profile.

    ``state`` is the state's name (:func:`claimflow.reachable_states`' third field); ``steps``
    the (action, actor) pairs to take, with :func:`claimflow._engine.example_params`-style valid
    parameters chosen when the path is driven.
    """

    state: str
    profile: Profile
    steps: tuple[tuple[Action, Actor], ...]


def fresh(
    mp: Marketplace,
    profile: Profile,
    *,
    op_id: str = "op-path",
    unit_price: int = 12_340,
    quantity: int = 2,
) -> OrderProduct:
    """A fresh order product at 결제완료 with *profile*'s payment."""
    return OrderProduct(
        id=op_id,
        marketplace=mp,
        status=Status.PAID,
        item_id="SKU-0001",
        unit_price=unit_price,
        quantity=quantity,
        payment_channel=profile.payment_channel,
        auto_refundable=profile.auto_refundable,
    )


@functools.cache
def state_paths(marketplace: Marketplace | str) -> tuple[StatePath, ...]:
    """Every (state, profile) reachable from 결제완료 by allowed actions, with its shortest path.

    Sorted by state name, then profile. A state reachable under several profiles appears once
    per profile: a guard may read the payment (Naver Pay holds, automatic refunds).
    """
    mp = Marketplace(marketplace)
    out: list[StatePath] = []
    for profile in PROFILES:
        start = fresh(mp, profile)
        seen: dict[str, tuple[tuple[Action, Actor], ...]] = {state_name(state_key(start)): ()}
        todo: deque[tuple[OrderProduct, tuple[tuple[Action, Actor], ...]]] = deque([(start, ())])
        while todo:
            op, path = todo.popleft()
            for actor in Actor:
                for action in allowed_actions(op, actor):
                    params = example_params(op, action)
                    if not check(op, action, actor, **params).allowed:
                        continue
                    nxt = apply(op, action, actor, **params).order_product
                    name = state_name(state_key(nxt))
                    if name not in seen:
                        seen[name] = (*path, (action, actor))
                        todo.append((nxt, seen[name]))
        out += [StatePath(name, profile, steps) for name, steps in seen.items()]
    return tuple(sorted(out, key=lambda p: (p.state, PROFILES.index(p.profile))))


@functools.cache
def offered_pairs(marketplace: Marketplace | str) -> tuple[tuple[Action, Actor], ...]:
    """Every (action, actor) pair of a marketplace: each action it offers, by each actor."""
    mp = Marketplace(marketplace)
    offered = sorted(COMPILED[mp].offered, key=list(Action).index)
    return tuple((a, actor) for a in offered for actor in Actor)


@functools.cache
def _reachable(mp: Marketplace) -> tuple[frozenset[str], frozenset[Triple], frozenset[Triple]]:
    """The states, allowed triples and refused triples reachable from 결제완료."""
    states: set[str] = set()
    allowed: set[Triple] = set()
    refused: set[Triple] = set()
    for path in state_paths(mp):
        states.add(path.state)
        op = drive(fresh(mp, path.profile), path.steps)
        now = {
            (action, actor)
            for actor in Actor
            for action in allowed_actions(op, actor)
            if check(op, action, actor, **example_params(op, action)).allowed
        }
        for action, actor in offered_pairs(mp):
            ok = (action, actor) in now
            (allowed if ok else refused).add((path.state, actor, action))
    return frozenset(states), frozenset(allowed), frozenset(refused)


def drive(op: OrderProduct, steps: Iterable[tuple[Action, Actor]]) -> OrderProduct:
    """The model order product after *steps* (each with example parameters)."""
    for action, actor in steps:
        op = apply(op, action, actor, **example_params(op, action)).order_product
    return op


Triple = tuple[str, Actor, Action]


@attrs.frozen
class CoverageReport:
    """What a run asked, against what is reachable from 결제완료 (every figure is a count).

    ``entry_only_states`` are states :func:`claimflow.reachable_states` lists that no action
    leads to (the marketplace reports them by itself, e.g. imweb's failed cancel refund on the
    current rules): a binding that only creates order products at 결제완료 cannot start there.
    """

    marketplace: Marketplace
    states_seen: int
    states_reachable: int
    transitions_seen: int
    transitions_reachable: int
    refusals_seen: int
    refusals_reachable: int
    triples_seen: int
    triples_reachable: int
    steps: int
    entry_only_states: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every reachable (state, actor, action) triple was asked at least once."""
        return self.triples_seen == self.triples_reachable

    def __str__(self) -> str:
        def pct(a: int, b: int) -> str:
            return f"{a}/{b} ({100 * a / b:.0f} %)" if b else "0/0"

        text = (
            f"{self.marketplace} coverage after {self.steps} steps: "
            f"states {pct(self.states_seen, self.states_reachable)}, "
            f"transitions {pct(self.transitions_seen, self.transitions_reachable)}, "
            f"refusals {pct(self.refusals_seen, self.refusals_reachable)}, "
            f"(state, actor, action) {pct(self.triples_seen, self.triples_reachable)}"
        )
        if self.entry_only_states:
            text += f"; not reachable by actions: {', '.join(self.entry_only_states)}"
        return text


class Coverage:
    """Run-wide bookkeeping: how often each state and (state, actor, action) triple was asked."""

    def __init__(self, marketplace: Marketplace | str) -> None:
        self.marketplace = Marketplace(marketplace)
        self.states: Counter[str] = Counter()
        self.allowed: Counter[Triple] = Counter()
        self.refused: Counter[Triple] = Counter()
        self.steps = 0

    def record(self, state: str, actor: Actor, action: Action, *, allowed: bool) -> None:
        """One step asked in *state*: the model allowed it or refused it."""
        self.steps += 1
        self.states[state] += 1
        (self.allowed if allowed else self.refused)[(state, actor, action)] += 1

    def visits(self, state: str, actor: Actor | None = None, action: Action | None = None) -> int:
        """How often *state* (or the triple) was asked so far."""
        if actor is None or action is None:
            return self.states[state]
        t = (state, actor, action)
        return self.allowed[t] + self.refused[t]

    def report(self) -> CoverageReport:
        """The counts so far against what is reachable."""
        states, allowed, refused = _reachable(self.marketplace)
        listed = {name for _, _, name in reachable_states(self.marketplace)}
        seen_triples = (set(self.allowed) | set(self.refused)) & (allowed | refused)
        return CoverageReport(
            marketplace=self.marketplace,
            states_seen=len(set(self.states) & states),
            states_reachable=len(states),
            transitions_seen=len(set(self.allowed) & allowed),
            transitions_reachable=len(allowed),
            refusals_seen=len(set(self.refused) & refused),
            refusals_reachable=len(refused),
            triples_seen=len(seen_triples),
            triples_reachable=len(allowed | refused),
            steps=self.steps,
            entry_only_states=tuple(sorted(listed - states)),
        )
