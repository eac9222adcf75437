"""Schema versions and how a schema change ships: a versioned ``create_all``.

The database's schema version is the ``claimflow_meta`` row ``schema``. :func:`ensure` (run by
:meth:`Store.open`) creates the tables in an empty database at :data:`SCHEMA_VERSION`, accepts a
database at that version, refuses a newer one, and upgrades an older one step by step **only when
asked** (``Store.open(url, upgrade=True)``), each step in the opening transaction (PostgreSQL and
SQLite both run DDL transactionally, so a failed upgrade leaves the old schema as it was).

History:

1. order products, history events, intents, effects (the first release of ``claimflow.store``);
2. + ``claimflow_sync_cursors`` and ``claimflow_remote_claims`` (the marketplace sync's durable
   cursor and its "seen this claim in this state" key).

To ship a change: add the new tables or columns to :mod:`claimflow.store._schema`, bump
``SCHEMA_VERSION``, and add a step ``N → N+1`` to :data:`STEPS` written with SQLAlchemy DDL
constructs only (``Table.create``, ``AddColumn``-style ``ALTER TABLE`` through ``sa.DDL``), plus a
test that builds version N with :func:`create_version` and upgrades it.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from ..exceptions import SchemaVersionError
from ._schema import SCHEMA_VERSION, meta, metadata, remote_claims, sync_cursors

__all__ = ["STEPS", "create_version", "ensure", "schema_version"]

_ADDED_IN_2 = (sync_cursors, remote_claims)


def _tables_of(version: int) -> list[sa.Table]:
    added_later = {t.name for t in _ADDED_IN_2} if version < 2 else set()
    return [t for t in metadata.sorted_tables if t.name not in added_later]


def _step_1_to_2(conn: sa.Connection) -> None:
    for table in _ADDED_IN_2:
        table.create(conn, checkfirst=True)


#: upgrade steps: STEPS[n] brings a version-n schema to version n + 1
STEPS: dict[int, Callable[[sa.Connection], None]] = {1: _step_1_to_2}


def create_version(conn: sa.Connection, version: int) -> None:
    """Create the schema as it was at *version* (for upgrade tests and fresh databases)."""
    if not 1 <= version <= SCHEMA_VERSION:
        msg = f"no schema version {version}; this code knows 1..{SCHEMA_VERSION}"
        raise ValueError(msg)
    metadata.create_all(conn, tables=_tables_of(version), checkfirst=True)
    conn.execute(meta.insert().values(name="schema", value=version))


def schema_version(conn: sa.Connection) -> int | None:
    """The database's claimflow schema version; None when it has no claimflow tables."""
    if not sa.inspect(conn).has_table(meta.name):
        return None
    found = conn.execute(sa.select(meta.c.value).where(meta.c.name == "schema")).scalar()
    return 0 if found is None else int(found)


def ensure(conn: sa.Connection, *, create: bool, upgrade: bool) -> int:
    """Check (create, upgrade) the schema; returns the version found before any upgrade."""
    found = schema_version(conn)
    if found is None:
        others = [t for t in sa.inspect(conn).get_table_names() if t.startswith("claimflow_")]
        if others:
            msg = (
                f"the database has claimflow tables ({', '.join(sorted(others))}) but no schema "
                "version row; it was not made by claimflow.store or was damaged"
            )
            raise SchemaVersionError(msg, found=0, expected=SCHEMA_VERSION)
        if not create:
            msg = "the database has no claimflow schema; open the store with create=True"
            raise SchemaVersionError(msg, found=0, expected=SCHEMA_VERSION)
        create_version(conn, SCHEMA_VERSION)
        return SCHEMA_VERSION
    if found == SCHEMA_VERSION:
        return found
    if found > SCHEMA_VERSION:
        msg = (
            f"the database's claimflow schema is version {found}, newer than this code's "
            f"{SCHEMA_VERSION}: upgrade claimflow"
        )
        raise SchemaVersionError(msg, found=found, expected=SCHEMA_VERSION)
    if found < 1 or not upgrade:
        msg = (
            f"the database's claimflow schema is version {found}, older than this code's "
            f"{SCHEMA_VERSION}: open the store with upgrade=True to upgrade it (see "
            "claimflow.store._migrate)"
        )
        raise SchemaVersionError(msg, found=found, expected=SCHEMA_VERSION)
    for v in range(found, SCHEMA_VERSION):
        STEPS[v](conn)
        conn.execute(meta.update().where(meta.c.name == "schema").values(value=v + 1))
    return found
