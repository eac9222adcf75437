"""Print the counterexample claimflow.testing finds for each planted bug (for docs/testing.md).

Run from the repository root: ``python docs/examples/show_bugs.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

sys.path.insert(0, str(Path(__file__).resolve().parent))

from toss_oms_bugs import BUGGY

from claimflow.testing import oracle

HUNT = settings(
    max_examples=1500,
    stateful_step_count=30,
    derandomize=True,
    deadline=None,
    report_multiple_bugs=False,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)

for name, binding in BUGGY.items():
    print(f"### {name}\n\n{binding.oms_class.__doc__}\n\n```text")
    try:
        run_state_machine_as_test(oracle(binding, marketplace="toss"), settings=HUNT)
        print("NOT CAUGHT")
    except AssertionError as e:
        print(e)
    print("```\n")
