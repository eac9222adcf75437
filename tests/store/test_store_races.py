"""Races of real worker processes on one order product, on SQLite and PostgreSQL.

Every round, K processes read the same version and commit conflicting actions (approve vs
reject, complete vs reject_collected, ...). Exactly one wins each round; the history is 1..N
with no gaps; no reported win is missing from it (0 lost updates). CI runs K = 2 and 8; K = 32
runs with ``CLAIMFLOW_THOROUGH=1`` or the ``thorough`` hypothesis profile (figures in
docs/performance.md).
"""

from __future__ import annotations

import os

import pytest

from claimflow.store.testing import race

THOROUGH = (
    os.environ.get("CLAIMFLOW_THOROUGH") == "1"
    or os.environ.get("CLAIMFLOW_HYPOTHESIS_PROFILE") == "thorough"
)
CASES = [(2, "local", 12), (8, "local", 10), (8, "intent", 10)]
if THOROUGH:
    CASES += [(32, "local", 30), (32, "intent", 30)]


class TestRaces:
    @pytest.mark.parametrize(("workers", "mode", "versions"), CASES)
    def test_one_winner_per_version(
        self, store_url: str, workers: int, mode: str, versions: int
    ) -> None:
        """K processes racing: one winner per round, gapless history, no lost update."""
        report = race(store_url, workers=workers, order_products=1, max_version=versions, mode=mode)
        assert (0, 0, 0) == (report.double_winners, report.gaps, report.lost), report.summary()
        assert report.rounds == report.wins == report.versions, report.summary()
        assert (workers - 1) * report.rounds == sum(report.conflicts.values()), report.summary()
        assert report.rounds >= 5, report.summary()
