"""claimflow reliability run: a long stateful run against the engine's invariants and the emulators.

Run from the repository root::

    python benchmarks/reliability.py                       # 100,000 engine + 30,000 emulator steps
    python benchmarks/reliability.py --steps 20000 --emulator-steps 3000      # a quick look
    python benchmarks/reliability.py --seed 3              # other journeys

Two parts, each spread evenly over Toss, imweb and x2bee:

1. **Engine invariants** (``--steps``, default 100,000): random journeys of three order products
   from 결제완료, each step drawn with ``claimflow.testing.steps`` (mostly allowed actions, some
   refused, one in ten with a spoiled parameter from ``invalid_params``). After every step:

   - ``check`` and ``apply`` agree (allowed exactly when ``apply`` succeeds, with the same
     decision; the new status and claim are the decision's), and ``check`` is deterministic;
   - a refused ``apply`` raises ``ActionRefusedError`` carrying the same decision and changes
     nothing; an applied one adds exactly 1 to the version (the event's version too);
   - at most one open claim: claim ids are unique across the open and the closed claims, the
     closed claims only grow, and an open claim that is replaced is closed first;
   - REFUND at most once per order product; a terminal status accepts nothing (each order
     product that ends is probed once more, then a fresh one takes its place);
   - rejection, 반려 and withdrawal of a return or exchange restore the claim's origin status.

2. **Emulators through the adapters** (``--emulator-steps``, default 30,000):
   ``claimflow.testing.soak``, i.e. the oracle's comparison (model, local copy and the
   marketplace's answer, after every step) through ``EmulatedMarketplace`` on the in-process
   (ASGI) emulators, with faults injected at about 30% of API calls (HTTP 503, rate-limit
   answers, commit-then-drop, 0.2 ms latency); after every journey local == emulator with
   nothing left to reconcile, no action applied twice, the emulator's effects are the model's
   (kinds and amounts). The marketplace's own facts (M7 figures, x2bee ``exchMidRtnYn``) are
   what the binding learns from the marketplace, not drawn values (``marketplace_params``).

Prints step counts, violations and times; exits with status 1 on any violation.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import math
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import claimflow as cf
from claimflow.testing import (
    SOAK_FAULTS,
    SoakReport,
    fresh_order_products,
    invalid_params,
    soak,
    steps,
)

MARKETPLACES = (cf.Marketplace.TOSS, cf.Marketplace.IMWEB, cf.Marketplace.X2BEE)
OPS_PER_JOURNEY = 3
STEPS_PER_JOURNEY = 40
INVALID_RATE = 0.1
#: claim statuses that end a return or exchange without it happening: back to the origin
RESTORING = frozenset(
    {cf.ClaimStatus.REJECTED, cf.ClaimStatus.COLLECTION_REJECTED, cf.ClaimStatus.WITHDRAWN}
)
MAX_SHOWN = 20  # violations printed in full


# --- part 1: the engine's invariants ----------------------------------------------------------


@attrs.define
class EngineTally:
    """What part 1 did on one marketplace."""

    steps: int = 0
    allowed: int = 0
    refused: int = 0
    invalid: int = 0
    journeys: int = 0
    order_products: int = 0
    refunds: int = 0
    terminal_probes: int = 0
    violations: list[str] = attrs.Factory(list)


def _claims(op: cf.OrderProduct) -> list[cf.Claim]:
    return [*op.closed_claims, *((op.open_claim,) if op.open_claim else ())]


def check_step(
    op: cf.OrderProduct,
    action: cf.Action,
    actor: cf.Actor,
    params: dict[str, Any],
    refunds: int,
) -> tuple[cf.OrderProduct, cf.Decision, list[str]]:
    """One step against the invariants: the order product after it, the decision, problems."""
    problems: list[str] = []
    snapshot = attrs.evolve(op)
    decision = cf.check(op, action, actor, **params)
    if cf.check(op, action, actor, **params) != decision:
        problems.append("check is not deterministic")
    if op.status.terminal:
        if decision.allowed:
            problems.append(f"terminal {op.status} allowed {action}")
        if any(cf.allowed_actions(op, a) for a in cf.Actor):
            problems.append(f"terminal {op.status} offers actions")
    try:
        done = cf.apply(op, action, actor, **params)
    except cf.ActionRefusedError as e:
        if decision.allowed:
            problems.append("check allowed, apply refused")
        if e.decision != decision:
            problems.append("apply refused with another decision than check's")
        if op != snapshot:
            problems.append("a refused apply changed the order product")
        return op, decision, problems
    new = done.order_product
    if not decision.allowed:
        problems.append("check refused, apply applied")
        return new, decision, problems
    if done.decision != decision:
        problems.append("apply's decision is not check's")
    if (new.version, done.event.version) != (op.version + 1, op.version + 1):
        problems.append(f"version {op.version} -> {new.version} (event {done.event.version})")
    if new.status is not decision.to_status:
        problems.append(f"status {new.status}, decision says {decision.to_status}")
    concerned = new.open_claim or (new.closed_claims[-1] if new.closed_claims else None)
    if decision.claim_type is not None and (
        concerned is None
        or (concerned.type, concerned.status) != (decision.claim_type, decision.claim_status)
    ):
        problems.append(f"claim {concerned}, decision says {decision.claim_type}")
    ids = [c.id for c in _claims(new)]
    if len(ids) != len(set(ids)):
        problems.append(f"a claim is open and closed, or closed twice: {ids}")
    if tuple(new.closed_claims[: len(op.closed_claims)]) != tuple(op.closed_claims):
        problems.append("closed claims were rewritten")
    old = op.open_claim
    if old is not None and (new.open_claim is None or new.open_claim.id != old.id):
        closed = next((c for c in new.closed_claims if c.id == old.id), None)
        if closed is None:
            problems.append(f"open claim {old.id} vanished instead of closing")
        elif (
            old.type in {cf.ClaimType.RETURN, cf.ClaimType.EXCHANGE}
            and closed.status in RESTORING
            and new.status is not old.origin_status
        ):
            problems.append(
                f"{closed.status} {old.type} left {new.status}, origin {old.origin_status}"
            )
    if refunds + sum(e.kind is cf.EffectKind.REFUND for e in decision.effects) > 1:
        problems.append("a second REFUND for the order product (a failed one aside)")
    return new, decision, problems


def sized_rounds(target: int, guess: float, run_round: Callable[[int, int], int]) -> int:
    """Call ``run_round(round, journeys)`` (it returns the steps it took) until *target* steps.

    Hypothesis runs more examples than asked for when some stop early (their data ran out), and
    journeys end early when their order products do: the steps per journey asked for are
    measured on a small first round (a quarter of the guess), and every later round is sized
    from what the rounds so far took. Returns the steps taken.
    """
    done = asked = 0
    per_journey = guess
    for round_ in itertools.count():
        if done >= target:
            break
        journeys = max(1, math.ceil((target - done) / per_journey))
        if round_ == 0:
            journeys = max(1, journeys // 4)
        done += run_round(round_, journeys)
        asked += journeys
        per_journey = max(done / asked, 1.0)
    return done


def run_engine(mp: cf.Marketplace, target: int, seed_: int) -> EngineTally:
    """Journeys on *mp* until *target* steps, checking every one."""
    tally = EngineTally()

    def run_round(round_: int, journeys: int) -> int:
        before = tally.steps
        _engine_round(mp, tally, journeys, seed_ * 1000 + round_)
        return tally.steps - before

    sized_rounds(target, STEPS_PER_JOURNEY, run_round)
    return tally


def _engine_round(mp: cf.Marketplace, tally: EngineTally, journeys: int, seed_: int) -> None:
    """*journeys* journeys of exactly STEPS_PER_JOURNEY steps (fewer only where hypothesis stops
    an example early: its data ran out)."""

    @seed(seed_)
    @settings(
        max_examples=journeys,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def journey(data: st.DataObject) -> None:
        tally.journeys += 1
        ops = [data.draw(fresh_order_products(mp)) for _ in range(OPS_PER_JOURNEY)]
        refunds = [0] * OPS_PER_JOURNEY
        tally.order_products += OPS_PER_JOURNEY
        for _ in range(STEPS_PER_JOURNEY):
            i = data.draw(st.integers(0, OPS_PER_JOURNEY - 1))
            op = ops[i]
            step = data.draw(steps(op))
            params = step.params
            if (
                data.draw(st.integers(0, 9)) < INVALID_RATE * 10
                and cf.check(op, step.action, step.actor, **params).allowed
            ):
                try:
                    params = data.draw(invalid_params(op, step.action))
                    tally.invalid += 1
                except ValueError:  # nothing to spoil
                    pass
            new, decision, problems = check_step(op, step.action, step.actor, params, refunds[i])
            tally.steps += 1
            if decision.allowed:
                tally.allowed += 1
                refunds[i] += sum(e.kind is cf.EffectKind.REFUND for e in decision.effects)
                if step.action is cf.Action.CANCEL_REFUND_FAILED:
                    refunds[i] -= 1  # imweb I3a: the gateway refused that refund; I4 retries it
            else:
                tally.refused += 1
            if problems:
                tally.violations.append(
                    f"{mp} {op.status} {step.actor} {step.action}({params}): {'; '.join(problems)}"
                )
            ops[i] = new
            if op.status.terminal:  # probed once at its end: a fresh one takes its place
                tally.terminal_probes += 1
                tally.refunds += refunds[i]
                refunds[i] = 0
                ops[i] = data.draw(fresh_order_products(mp))
                tally.order_products += 1
        tally.refunds += sum(refunds)

    journey()


# --- part 2: the emulators through the adapters -----------------------------------------------


def run_emulators(mp: cf.Marketplace, target: int, seed_: int) -> list[SoakReport]:
    """Soaks on *mp* (fresh seeds) until *target* steps (the last round may take a few more)."""
    reports: list[SoakReport] = []

    def run_round(round_: int, journeys: int) -> int:
        report = soak(
            mp,
            journeys=journeys,
            order_products=4,
            steps_per_journey=40,
            seed=seed_ * 1000 + round_ * 100_000,
            faults=SOAK_FAULTS,
        )
        reports.append(report)
        return report.steps

    sized_rounds(target, 20.0, run_round)
    return reports


def _sum(reports: list[SoakReport]) -> tuple[Counter[str], list[str], int, int, int]:
    stats: Counter[str] = Counter()
    violations: list[str] = []
    for r in reports:
        stats.update(r.stats)
        violations += r.violations
    return (
        stats,
        violations,
        sum(r.steps for r in reports),
        sum(r.journeys for r in reports),
        sum(r.order_products for r in reports),
    )


# --- report -------------------------------------------------------------------------------------


def _clock(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _print_violations(violations: list[str]) -> None:
    for v in violations[:MAX_SHOWN]:
        print(f"  VIOLATION: {v}")
    if len(violations) > MAX_SHOWN:
        print(f"  ... and {len(violations) - MAX_SHOWN} more")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=int, default=100_000, help="engine-invariant steps (all marketplaces)"
    )
    parser.add_argument(
        "--emulator-steps",
        type=int,
        default=30_000,
        help="steps through the adapters and emulators (all marketplaces); 0 to skip",
    )
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed base")
    args = parser.parse_args(argv)
    logging.getLogger("stamina").setLevel(logging.ERROR)  # one line per retry otherwise

    print(
        f"claimflow reliability run: Python {platform.python_version()}, "
        f"{platform.machine()}, seed {args.seed}"
    )
    total_violations = 0
    started = time.perf_counter()

    print(f"\n## 1. Engine invariants: {args.steps:,} steps\n")
    print("| marketplace | steps | allowed | refused | spoiled params | terminal probes "
          "| order products | REFUNDs | violations | time |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    engine_steps = 0
    for n, mp in enumerate(MARKETPLACES):
        share = args.steps // len(MARKETPLACES) + (n < args.steps % len(MARKETPLACES))
        t = time.perf_counter()
        tally = run_engine(mp, share, args.seed + n)
        took = time.perf_counter() - t
        engine_steps += tally.steps
        total_violations += len(tally.violations)
        print(
            f"| {mp} | {tally.steps:,} | {tally.allowed:,} | {tally.refused:,} | "
            f"{tally.invalid:,} | {tally.terminal_probes:,} | {tally.order_products:,} | "
            f"{tally.refunds:,} | "
            f"{len(tally.violations)} | {_clock(took)} |"
        )
        _print_violations(tally.violations)
    engine_time = time.perf_counter() - started

    emulator_steps = 0
    t2 = time.perf_counter()
    if args.emulator_steps > 0:
        print(
            f"\n## 2. Emulators through the adapters (in-process ASGI, faults {SOAK_FAULTS}): "
            f"{args.emulator_steps:,} steps\n"
        )
        print("| marketplace | steps | performed | journeys | API calls | faulted | 503 "
              "| rate limit | drop | outcome unknown | reconciles (applied/not/adopted/in sync) "
              "| retries | refunds | violations | time |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
        for n, mp in enumerate(MARKETPLACES):
            share = args.emulator_steps // len(MARKETPLACES) + (
                n < args.emulator_steps % len(MARKETPLACES)
            )
            t = time.perf_counter()
            reports = run_emulators(mp, share, args.seed + n)
            took = time.perf_counter() - t
            stats, violations, count, journeys, _ = _sum(reports)
            emulator_steps += count
            total_violations += len(violations)
            calls = stats["calls:read"] + stats["calls:write"]
            faulted = sum(v for k, v in stats.items() if k.startswith("fault:"))
            rec = "/".join(
                str(stats[f"reconcile:{o}"])
                for o in ("applied", "not_applied", "adopted", "in_sync")
            )
            print(
                f"| {mp} | {count:,} | {stats['performed']:,} | {journeys:,} | {calls:,} | "
                f"{faulted:,} ({faulted / max(calls, 1):.1%}) | {stats['fault:server_error']:,} | "
                f"{stats['fault:rate_limit']:,} | {stats['fault:drop_after_commit']:,} | "
                f"{stats['outcome_unknown']:,} | {rec} | {stats['retries']:,} | "
                f"{stats['refunds']:,} | {len(violations)} | {_clock(took)} |"
            )
            _print_violations(violations)
    emulator_time = time.perf_counter() - t2
    total = time.perf_counter() - started

    print("\n## Total\n")
    print(f"- engine-invariant steps: {engine_steps:,} in {_clock(engine_time)}")
    print(f"- emulator steps through the adapters: {emulator_steps:,} in {_clock(emulator_time)}")
    print(f"- all stateful steps: {engine_steps + emulator_steps:,} in {_clock(total)}")
    print(f"- violations: {total_violations}")
    return 1 if total_violations else 0


if __name__ == "__main__":
    sys.exit(main())
