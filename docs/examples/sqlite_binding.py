"""A database-backed binding: the example Toss OMS keeping its lines in SQLite.

The oracle calls the binding's factory again for every journey and for every replay of a
shortened journey while it minimizes a counterexample, so each call must give a system with
nothing in it. Here each :class:`SqliteTossBinding` creates its own database in a new temporary
file (removed when the binding is garbage-collected); with a server database, create a new
schema or database per call the same way. Each action runs in one transaction: a refusal rolls
back, so it changes nothing.

(stdlib ``sqlite3``: this OMS decides with its own rules on its own tables. An OMS built on
claimflow's engine and store gets the same fresh database per replay from ``store_binding.py``.)
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import weakref
from pathlib import Path
from typing import Any

from toss_oms import Line, TossOMS, TossOMSBinding

SCHEMA = "CREATE TABLE line (id TEXT PRIMARY KEY, price INTEGER, status TEXT, claim TEXT)"


class SqliteTossOMS(TossOMS):
    """TossOMS whose lines live in a SQLite file; ``lines`` is a view loading and saving rows."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.db = sqlite3.connect(path, isolation_level=None)
        # a throwaway test database: no need to wait for the disk on every commit
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("PRAGMA journal_mode = MEMORY")
        self.db.execute(SCHEMA)
        self.lines = _Rows(self.db)  # type: ignore[assignment]


class _Rows:
    """A dict-like view of the ``line`` table (what TossOMSBinding reads and writes)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __setitem__(self, key: str, line: Line) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO line VALUES (?, ?, ?, ?)",
            (key, line.price, line.status, json.dumps(line.claim)),
        )

    def __getitem__(self, key: str) -> Line:
        sql = "SELECT price, status, claim FROM line WHERE id = ?"
        row = self.db.execute(sql, (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return Line(key, row[0], row[1], json.loads(row[2]))


class SqliteTossBinding(TossOMSBinding):
    """The Toss binding over a fresh SQLite database per instance (one per replay)."""

    oms_class = SqliteTossOMS

    def __init__(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="claimflow-oracle-")
        weakref.finalize(self, self.tmp.cleanup)
        self.oms = self.oms_class(Path(self.tmp.name) / "oms.sqlite3")  # type: ignore[call-arg]

    def perform(self, handle: str, action: Any, actor: Any, params: Any) -> Any:
        db = self.oms.db
        db.execute("BEGIN")
        try:
            line = self.oms.lines[handle]
            self.oms.lines = {handle: line}  # type: ignore[assignment] - the method works on it
            outcome = super().perform(handle, action, actor, params)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            self.oms.lines = _Rows(db)  # type: ignore[assignment]
        if type(outcome).__name__ == "Refused":
            db.execute("ROLLBACK")  # a refusal changes nothing
        else:
            self.oms.lines[handle] = line
            db.execute("COMMIT")
        return outcome
