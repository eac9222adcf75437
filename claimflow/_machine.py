"""From rule tables to ``transitions`` machines, and from those machines to a flat lookup table.

An order product's *state* is its status together with its open claim (type, status, origin and,
when on hold, the status the hold interrupted): :data:`StateKey`. Rejection and 반려 go back to the
origin, so the origin is part of the state; a machine whose states carry it needs no runtime
lookups to know where a transition leads.

For each marketplace the states are the closure of its rules from every status an order product
can be read in. Each claim type and the order-product status get one ``transitions.Machine`` (no
model attached, ``auto_transitions=False``); every transition carries its :class:`Rule` and its
guards as conditions: the actor, the order-product guards and the parameter check.

``transitions`` stays the source of truth: :class:`Compiled` is read *from* ``machine.events`` once
at import, and answers in about the time of a hand-written dict (attaching every order product to
a Machine costs ~25 KB each, measured in ``docs/performance.md``). ``tests/test_machine.py``
proves the table and ``transitions`` agree on every reachable state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
from transitions import Machine, Transition

from . import _params
from ._guides import SRC_MARKETPLACES
from ._rules import (
    DEFINITIONS,
    ENTRY_CLAIMS,
    Guard,
    Outcome,
    Rule,
    Target,
    rules_for,
)
from ._values import OrderProduct, Reason
from ._vocab import (
    Action,
    Actor,
    ClaimStatus,
    ClaimType,
    Marketplace,
    Status,
    Tag,
)

StateKey = tuple[Status, ClaimType | None, ClaimStatus | None, Status | None, ClaimStatus | None]
"""``(status, open claim type, open claim status, origin status, held-from claim status)``."""


def state_key(op: OrderProduct) -> StateKey:
    """The state of *op* as the machines know it."""
    c = op.open_claim
    if c is None:
        return (op.status, None, None, None, None)
    return (op.status, c.type, c.status, c.origin_status, c.held_from)


def state_name(key: StateKey) -> str:
    """A readable, unique name: ``DELIVERED`` or ``RETURN_COLLECTING~RETURN.APPROVED@DELIVERED``."""
    status, ctype, cstatus, origin, held = key
    if ctype is None:
        return status.value
    held_part = f"<{held.value}" if held is not None else ""
    return f"{status.value}~{ctype.value}.{cstatus}{held_part}@{origin}"


def _open(key: StateKey) -> tuple[ClaimType, ClaimStatus] | None:
    return None if key[1] is None else (key[1], key[2])  # type: ignore[return-value]


def rule_matches(rule: Rule, key: StateKey) -> bool:
    """Whether *rule* applies to an order product in state *key* (guards aside)."""
    return (rule.statuses is None or key[0] in rule.statuses) and rule.claim.matches(_open(key))


def target(rule: Rule, key: StateKey) -> StateKey:
    """Where *rule* leads from state *key*."""
    status, ctype, cstatus, origin, held = key
    if rule.to is Target.SAME:
        to = status
    elif rule.to is Target.ORIGIN:
        assert origin is not None, f"{rule.id}: origin target without an open claim"
        to = origin
    else:
        to = rule.to
    o = rule.outcome
    if o is Outcome.NONE:
        assert ctype is None, f"{rule.id}: leaves an open claim untouched while changing status"
        return (to, None, None, None, None)
    if o is Outcome.CREATE:
        return (to, rule.claim_type, rule.claim_status, status, None)
    if o is Outcome.MOVE:
        return (to, ctype, rule.claim_status, origin, None)
    if o in (Outcome.CLOSE, Outcome.CREATE_CLOSED):
        return (to, None, None, None, None)
    if o is Outcome.HOLD:
        return (to, ctype, ClaimStatus.HELD, origin, cstatus)
    if o is Outcome.RELEASE:
        return (to, ctype, held, origin, None)
    if o is Outcome.CONVERT:
        return (to, rule.claim_type, ClaimStatus.REQUESTED, origin, None)
    assert o is Outcome.RETARGET_ORIGIN
    return (to, ctype, cstatus, to if ctype is not None else None, held)


@attrs.frozen
class ClaimAfter:
    """What a rule does to the claim, from one state: the claim concerned, its status after the
    step, and whether the step closes it (a claim closed now, or one recorded closed at once as
    x2bee's storefront cancel). ``type`` is None when no claim is concerned.

    The one reading of a rule's :class:`Outcome` for the claim: the engine's decision, its commit
    and the diagrams' edge labels all take it from here.
    """

    type: ClaimType | None
    status: ClaimStatus | None
    closed: bool

    def label(self) -> str:
        """``RETURN REQUESTED``, ``CANCEL COMPLETED (closed)``, or ``""`` without a claim."""
        if self.type is None:
            return ""
        return f"{self.type} {self.status}" + (" (closed)" if self.closed else "")


_NO_CLAIM = ClaimAfter(None, None, False)


def claim_after(rule: Rule, key: StateKey) -> ClaimAfter:
    """What *rule* does to the claim of an order product in state *key* (:class:`ClaimAfter`)."""
    dest = target(rule, key)
    if dest[1] is not None:
        return ClaimAfter(dest[1], dest[2], False)
    o = rule.outcome
    if o is Outcome.CREATE_CLOSED and rule.claim_type is not None:
        return ClaimAfter(rule.claim_type, rule.claim_status, True)
    if o is Outcome.CLOSE and key[1] is not None:
        return ClaimAfter(key[1], rule.claim_status, True)
    return _NO_CLAIM


# --- the guards, as transitions conditions (send_event=True: they receive the EventData) ------


@attrs.frozen
class ActorCondition:
    """The transition's actors."""

    actors: frozenset[Actor]

    def __call__(self, event: Any) -> bool:
        return event.kwargs["actor"] in self.actors


@attrs.frozen
class GuardCondition:
    """An order-product guard."""

    guard: Guard

    def __call__(self, event: Any) -> bool:
        return self.guard.test(event.kwargs["op"])


@attrs.frozen
class ParamsCondition:
    """The parameters validate without problems."""

    specs: tuple[_params.ParamSpec, ...]

    def __call__(self, event: Any) -> bool:
        kw = event.kwargs
        _, problems = _params.validate(self.specs, kw["params"], kw["op"], event.event.name)
        return not problems


class RuleTransition(Transition):
    """A ``transitions`` transition that knows the rule it implements."""

    def __init__(self, *args: Any, rule: Rule, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule = rule


class RuleMachine(Machine):
    """A ``transitions`` machine of rule transitions."""

    transition_cls = RuleTransition


def reachable(mp: Marketplace) -> dict[StateKey, list[tuple[Rule, StateKey]]]:
    """Every state of *mp* with the rule transitions out of it, by closure from the entry states."""
    rules = rules_for(mp)
    # Entry states: an order product can be read in any status that exists without an open
    # claim (a source of a claim-less rule, or where a rule leaves no claim open), and in the
    # marketplace's ENTRY_CLAIMS. Statuses such as RETURN_COLLECTING only exist inside a claim.
    entry: list[StateKey] = []
    for r in rules:
        if r.claim.none_ok:
            entry += [(s, None, None, None, None) for s in r.statuses or ()]
        if isinstance(r.to, Status) and r.outcome in (
            Outcome.NONE,
            Outcome.CLOSE,
            Outcome.CREATE_CLOSED,
        ):
            entry.append((r.to, None, None, None, None))
    for ctype, cstatus in ENTRY_CLAIMS.get(mp, ()):
        for r in rules:
            if r.outcome is Outcome.CREATE and r.claim_type is ctype:
                entry += [(s, ctype, cstatus, s, None) for s in r.statuses or ()]
    todo = list(dict.fromkeys(entry))
    graph: dict[StateKey, list[tuple[Rule, StateKey]]] = {}
    while todo:
        key = todo.pop()
        if key in graph:
            continue
        graph[key] = out = []
        for r in rules:
            if rule_matches(r, key):
                dest = target(r, key)
                out.append((r, dest))
                if dest not in graph:
                    todo.append(dest)
    return graph


def build_machines(mp: Marketplace) -> dict[str, RuleMachine]:
    """One ``transitions`` machine per definition (claim type, or ``order``) of *mp*."""
    graph = reachable(mp)
    machines: dict[str, RuleMachine] = {}
    for group, rules in DEFINITIONS.items():
        mine = [r for r in rules if r.marketplace is mp]
        if not mine:
            continue
        edges = [(k, r, d) for k, out in graph.items() for r, d in out if r in mine]
        states = list(dict.fromkeys(state_name(x) for k, _, d in edges for x in (k, d)))
        m = RuleMachine(
            model=None,
            states=states,
            initial=states[0],
            auto_transitions=False,
            send_event=True,
            name=f"{mp}.{group}",
        )
        for key, rule, dest in edges:
            conditions: list[Any] = [ActorCondition(rule.actors)]
            conditions += [GuardCondition(g) for g in rule.guards]
            conditions.append(ParamsCondition(rule.params))
            m.add_transition(
                rule.action.value,
                state_name(key),
                state_name(dest),
                conditions=conditions,
                rule=rule,
            )
        machines[group] = m
    return machines


@attrs.frozen
class Step:
    """One compiled transition: what the hot path needs, read from a ``RuleTransition``."""

    rule: Rule
    dest: StateKey
    claim: ClaimAfter  # what the step does to the claim (claim_after from its source state)
    actors: frozenset[Actor]
    guards: tuple[Guard, ...]
    params: tuple[_params.ParamSpec, ...]
    allowed_because: tuple[Reason, ...]  # the reason an allowed decision gives: this rule
    param_names: frozenset[str]
    rule_ref: _params.RuleRef  # what a refusal reason cites


@attrs.frozen
class Compiled:
    """The flat table of one marketplace, compiled from its machines' events."""

    marketplace: Marketplace
    machines: Mapping[str, RuleMachine]
    table: Mapping[tuple[StateKey, Action], tuple[Step, ...]]
    by_state: Mapping[StateKey, tuple[tuple[Action, tuple[Step, ...]], ...]]
    states: frozenset[StateKey]
    offered: frozenset[Action]
    param_names: Mapping[Action, frozenset[str]]
    param_specs: Mapping[Action, tuple[_params.ParamSpec, ...]]  # every parameter an action takes
    # for allowed_actions: per (state, actor) the actions that actor has a transition for, each
    # with the steps whose guards must be asked, or None when one step needs no guard at all
    by_state_actor: Mapping[
        tuple[StateKey, Actor], tuple[tuple[Action, tuple[Step, ...] | None], ...]
    ]

    @classmethod
    def from_machines(cls, mp: Marketplace, machines: Mapping[str, RuleMachine]) -> Compiled:
        """Read every transition of every machine into a table keyed by (state, action)."""
        keys = {state_name(k): k for k in reachable(mp)}
        table: dict[tuple[StateKey, Action], list[Step]] = defaultdict(list)
        for m in machines.values():
            for name, event in m.events.items():
                action = Action(name)
                for source, transitions in event.transitions.items():
                    for t in transitions:
                        assert isinstance(t, RuleTransition) and t.dest is not None
                        table[(keys[source], action)].append(_step(t, keys[source], keys[t.dest]))
        by_state: dict[StateKey, list[tuple[Action, tuple[Step, ...]]]] = defaultdict(list)
        for (key, action), steps in table.items():
            by_state[key].append((action, tuple(steps)))
        order = {a: i for i, a in enumerate(Action)}
        param_specs: dict[Action, dict[str, _params.ParamSpec]] = defaultdict(dict)
        for (_, action), steps in table.items():
            specs = param_specs[action]  # an action that takes nothing still gets its (empty) entry
            for s in steps:
                for spec in s.params:
                    specs.setdefault(spec.name, spec)
        return cls(
            marketplace=mp,
            machines=machines,
            table={k: tuple(v) for k, v in table.items()},
            by_state={
                k: tuple(sorted(v, key=lambda av: order[av[0]])) for k, v in by_state.items()
            },
            states=frozenset(keys.values()),
            offered=frozenset(a for _, a in table),
            param_names={a: frozenset(specs) for a, specs in param_specs.items()},
            param_specs={a: tuple(specs.values()) for a, specs in param_specs.items()},
            by_state_actor={
                (key, actor): _for_actor(by_state.get(key, []), actor)
                for key in keys.values()
                for actor in Actor
            },
        )


def _for_actor(
    by_state: list[tuple[Action, tuple[Step, ...]]], actor: Actor
) -> tuple[tuple[Action, tuple[Step, ...] | None], ...]:
    order = {a: i for i, a in enumerate(Action)}
    out = []
    for action, steps in sorted(by_state, key=lambda av: order[av[0]]):
        mine = tuple(s for s in steps if actor in s.actors)
        if mine:
            out.append((action, None if any(not s.guards for s in mine) else mine))
    return tuple(out)


def _step(t: RuleTransition, source: StateKey, dest: StateKey) -> Step:
    actors: frozenset[Actor] = frozenset()
    guards: list[Guard] = []
    params: tuple[_params.ParamSpec, ...] = ()
    for c in t.conditions:
        f = c.func
        if isinstance(f, ActorCondition):
            actors = f.actors
        elif isinstance(f, GuardCondition):
            guards.append(f.guard)
        elif isinstance(f, ParamsCondition):
            params = f.specs
        else:  # pragma: no cover - build_machines adds no other kind
            msg = f"unknown condition {f!r} on {t.rule.id}"
            raise TypeError(msg)
    r = t.rule
    because = Reason(
        "ALLOWED",
        f"{r.id} 규칙에 따라 가능합니다",
        f"allowed by rule {r.id}",
        r.id,
        r.source,
        r.tag,
    )
    allowed_because: tuple[Reason, ...] = (because,)
    if r.penalty_points:
        allowed_because += (
            Reason(
                "PENALTY_POINTS",
                f"이 작업은 상점에 벌점 {r.penalty_points}점이 부과됩니다",
                f"this action costs the shop {r.penalty_points} penalty points",
                r.id,
                SRC_MARKETPLACES,
                Tag.CLIENT,  # Toss integration notes (marketplaces.md §5.1), not the official docs
            ),
        )
    names = frozenset(p.name for p in params)
    return Step(
        r,
        dest,
        claim_after(r, source),
        actors,
        tuple(guards),
        params,
        allowed_because,
        names,
        (r.id, r.source, r.tag),
    )


def _compile_all() -> dict[Marketplace, Compiled]:
    out = {}
    for mp in Marketplace:
        out[mp] = Compiled.from_machines(mp, build_machines(mp))
    return out


COMPILED: dict[Marketplace, Compiled] = _compile_all()


def iter_states(mp: Marketplace) -> Iterator[StateKey]:
    """Every reachable state of *mp*, in a stable order."""
    return iter(sorted(COMPILED[mp].states, key=state_name))
