"""Print the counterexample claimflow.testing finds for each planted bug (for docs/testing.md).

Run from the repository root: ``python docs/examples/show_bugs.py [toss|imweb]``. Each bug runs
the oracle's pytest ``TestCase`` under the ``ci`` profile (the coverage sweep, then hypothesis).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import imweb_oms_bugs
import toss_oms_bugs
from rules_compat import binding_for

from claimflow.testing import DisagreementError, load_profile, oracle

load_profile("ci")
which = sys.argv[1:] or ["toss", "imweb"]
planted = [("toss", toss_oms_bugs.BUGGY), ("imweb", imweb_oms_bugs.BUGGY)]
for mp, bugs in planted:
    if mp not in which:
        continue
    for name, binding in bugs.items():
        print(f"### {name} ({mp})\n\n{binding.oms_class.__doc__}\n\n```text")
        system = binding_for(binding)
        try:
            oracle(system, marketplace=mp).TestCase().runTest()
            if name in imweb_oms_bugs.NEEDS_NEW_ENGINE:
                print("not reachable yet: needs the engine's imweb rows I3a/I4")
            else:
                print("NOT CAUGHT")
        except DisagreementError as e:
            print(e)
        print("```\n")
