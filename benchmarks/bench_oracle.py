"""claimflow.testing oracle benchmark: its own speed, and how fast it catches the planted bugs.

Run from the repository root::

    python benchmarks/bench_oracle.py speed   # steps/s against the engine and each emulator
    python benchmarks/bench_oracle.py bugs    # every planted bug, 10 seeds, ci profile (~1 min)
    python benchmarks/bench_oracle.py         # both

``speed``: :func:`claimflow.testing.run_oracle` (sweep, then random journeys) against a binding
that is claimflow's own engine (the oracle's overhead: every step is a model check plus the
binding's check, apply and read), against the example OMSs, against engine + store on a fresh
SQLite file per replay (``docs/examples/store_binding.py``, needs the ``store`` extra), then
against each marketplace emulator in-process through its
adapter (:class:`claimflow.testing.EmulatedMarketplace`, needs the ``emulators`` extra). Steps/s
are wall clock on whatever else the machine is doing.

``bugs``: for each planted bug of ``docs/examples/toss_oms_bugs.py`` and ``imweb_oms_bugs.py``,
the oracle's pytest ``TestCase`` under the ``ci`` profile, once per seed 0-9 (the seed varies the
sweep's prices, quantities and parameter values): runs caught, median seconds to the report
(minimizing included), counterexample length (events, median). Prints the table of
docs/testing.md; exit status 1 when a bug escapes a run or a run takes more than 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "examples"))

import imweb_oms_bugs
import toss_oms_bugs
from engine_binding import EngineBinding
from imweb_oms import ImwebOMSBinding
from rules_compat import binding_for, engine_rows
from toss_oms import TossOMSBinding

try:
    from store_binding import StoreBinding

    STORE_MISSING: ImportError | None = None
except ImportError as e:  # the store extra (SQLAlchemy) is not installed
    STORE_MISSING = e

import claimflow as cf
from claimflow import testing as cft

SEEDS = range(10)
LIMIT_S = 10.0


def speed() -> None:
    print("| system under test | marketplace | steps | seconds | steps/s | coverage |")
    print("|---|---|---|---|---|---|")
    systems: list[tuple[str, Any, str, int]] = [
        ("engine", EngineBinding, str(mp), 20_000) for mp in cf.Marketplace
    ]
    systems += [
        ("example OMS", binding_for(TossOMSBinding), "toss", 20_000),
        ("example OMS", binding_for(ImwebOMSBinding), "imweb", 20_000),
    ]
    if STORE_MISSING is None:
        systems += [
            ("engine + store (SQLite file per replay)", StoreBinding, str(mp), 5_000)
            for mp in cf.Marketplace
        ]
    else:
        print(f"(store skipped: {STORE_MISSING})")
    try:
        emulated = cft.EmulatedMarketplace
        systems += [
            ("emulator (in-process, via adapter)", _factory(emulated, str(mp)), str(mp), 1_000)
            for mp in cf.Marketplace
        ]
    except ImportError as e:
        print(f"(emulators skipped: {e})")
    for name, factory, mp, steps in systems:
        result = cft.run_oracle(factory, mp, steps=steps)
        cov = result.coverage
        print(
            f"| {name} | {mp} | {result.steps} | {result.seconds:.1f} | "
            f"{result.steps / result.seconds:,.0f} | "
            f"{cov.triples_seen}/{cov.triples_reachable} triples |"
        )


def _factory(cls: Any, mp: str) -> Any:
    # Toss's and x2bee's wire hide a delivery under a pending request: learn it from tracking
    return lambda: cls(mp, carrier_tracking=mp != "imweb")


def bugs() -> bool:
    cft.load_profile("ci")
    print(f"changed rows followed by the engine: {engine_rows()}")
    print("| marketplace | bug | runs caught | median s | max s | counterexample length |")
    print("|---|---|---|---|---|---|")
    ok = True
    planted: list[tuple[str, str, Any]] = [
        ("toss", name, binding_for(b)) for name, b in toss_oms_bugs.BUGGY.items()
    ] + [("imweb", name, binding_for(b)) for name, b in imweb_oms_bugs.BUGGY.items()]
    for mp, name, binding in planted:
        if name in imweb_oms_bugs.NEEDS_NEW_ENGINE and not engine_rows()["REFUND_IS_ASYNC"]:
            print(f"| {mp} | {name} | needs the engine update (I3a/I4) | | | |")
            continue
        times, lengths, caught = [], [], 0
        for seed in SEEDS:
            began = time.perf_counter()
            try:
                cft.oracle(binding, marketplace=mp, seed=seed).TestCase().runTest()
            except cft.DisagreementError as e:
                caught += 1
                assert e.counterexample is not None
                lengths.append(e.counterexample.length)
            times.append(time.perf_counter() - began)
        ok = ok and caught == len(SEEDS) and max(times) <= LIMIT_S
        length = statistics.median(lengths) if lengths else "-"
        print(
            f"| {mp} | {name} | {caught}/{len(SEEDS)} | {statistics.median(times):.2f} | "
            f"{max(times):.2f} | {length} |"
        )
    for mp, binding in (
        ("toss", binding_for(TossOMSBinding)),
        ("imweb", binding_for(ImwebOMSBinding)),
    ):
        began = time.perf_counter()
        cft.oracle(binding, marketplace=mp).TestCase().runTest()
        print(f"correct {mp} example: passes ({time.perf_counter() - began:.1f} s, ci profile)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", choices=["speed", "bugs", "all"], default="all")
    what = parser.parse_args().what
    ok = True
    if what in ("speed", "all"):
        speed()
    if what in ("bugs", "all"):
        ok = bugs()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
