"""Read-only views of the rules and machines, for docs, diagrams and tests."""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from transitions import Machine

from ._machine import COMPILED, iter_states, state_name
from ._rules import Target, rules_for
from ._values import Claim
from ._vocab import Action, Actor, ClaimStatus, ClaimType, EffectKind, Marketplace, Status, Tag

__all__ = ["RuleInfo", "machines", "reachable_states", "rules"]


@attrs.frozen
class RuleInfo:
    """One rule as operators read it (a row of a generated transition table)."""

    id: str
    marketplace: Marketplace
    action: Action
    actors: tuple[Actor, ...]
    from_statuses: tuple[Status, ...] | None  # None: whatever status the open claim is in
    claim_condition: str  # e.g. "an open RETURN claim in REQUESTED", "no open claim"
    claim_condition_ko: str  # the same in Korean
    to_status: Status | None  # None when ``to`` is relative (see to)
    to: str  # a status id, "same" or "origin"
    claim_type: ClaimType | None
    claim_status: ClaimStatus | None
    outcome: str
    required_params: tuple[str, ...]
    optional_params: tuple[str, ...]
    guards: tuple[str, ...]
    effects: tuple[EffectKind, ...]
    tag: Tag
    source: str
    note: str


def rules(marketplace: Marketplace | str | None = None) -> tuple[RuleInfo, ...]:
    """The rules of one marketplace, or of all, in table order."""
    mps = list(Marketplace) if marketplace is None else [Marketplace(marketplace)]
    out = []
    for mp in mps:
        for r in rules_for(mp):
            out.append(
                RuleInfo(
                    id=r.id,
                    marketplace=mp,
                    action=r.action,
                    actors=tuple(a for a in Actor if a in r.actors),
                    from_statuses=None
                    if r.statuses is None
                    else tuple(s for s in Status if s in r.statuses),
                    claim_condition=r.claim.describe()[1],
                    claim_condition_ko=r.claim.describe()[0],
                    to_status=None if isinstance(r.to, Target) else r.to,
                    to=r.to.value,
                    claim_type=r.claim_type,
                    claim_status=r.claim_status,
                    outcome=r.outcome.value,
                    required_params=tuple(p.name for p in r.params if p.required),
                    optional_params=tuple(p.name for p in r.params if not p.required),
                    guards=tuple(g.code for g in r.guards),
                    effects=r.effects,
                    tag=r.tag,
                    source=r.source,
                    note=r.note,
                )
            )
    return tuple(out)


def machines(marketplace: Marketplace | str) -> Mapping[str, Machine]:
    """The ``transitions`` machines of a marketplace, by definition (``order``, ``cancel``, ...).

    They are the source of truth the engine's table is compiled from. Attach no models to them:
    drive one with ``machine.events[action].trigger(model, op=..., actor=..., params={...})``
    on any object whose ``state`` is a state name.
    """
    return COMPILED[Marketplace(marketplace)].machines


def reachable_states(
    marketplace: Marketplace | str,
) -> tuple[tuple[Status, Claim | None, str], ...]:
    """Every state an order product of this marketplace can be in: (status, open claim, name).

    The open claim is a template (id ``"-"``): its type, status, origin and ``held_from``.
    """
    out = []
    for key in iter_states(Marketplace(marketplace)):
        status, ctype, cstatus, origin, held = key
        claim = (
            None
            if ctype is None or cstatus is None or origin is None
            else Claim("-", ctype, cstatus, origin, held_from=held)
        )
        out.append((status, claim, state_name(key)))
    return tuple(out)
