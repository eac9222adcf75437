"""Store test setup: every store test runs on SQLite AND on PostgreSQL.

PostgreSQL comes from ``CLAIMFLOW_TEST_PG_URL`` (default
``postgresql://claimflow:claimflow@127.0.0.1:5432/claimflow_test``; ``.ci/run`` starts the server
and creates that role and database). Each test gets its own PostgreSQL schema (``search_path`` in
the URL), dropped afterwards, and its own SQLite file. When PostgreSQL cannot be reached the
PostgreSQL half is skipped with a message saying how to start it — except under ``CI=true`` or
``CLAIMFLOW_REQUIRE_PG=1`` (set by ``.ci/run``), where a missing PostgreSQL fails the run.

Fixtures (store-flow's tests use them too):

- ``engine_name``: ``"sqlite"`` / ``"postgresql"`` (the parametrisation);
- ``store_url``: a URL to an empty database of that engine, usable from other processes;
- ``store``: a :class:`claimflow.store.Store` opened on it (closed afterwards).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest

sa = pytest.importorskip("sqlalchemy", reason="claimflow.store needs the 'store' extra")

from claimflow.store import Store  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://claimflow:claimflow@127.0.0.1:5432/claimflow_test"
ENGINES = ("sqlite", "postgresql")


def pg_base_url() -> str:
    """The PostgreSQL test URL (``CLAIMFLOW_TEST_PG_URL`` or the local default)."""
    url = os.environ.get("CLAIMFLOW_TEST_PG_URL", DEFAULT_PG_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


_pg_problem: list[str | None] = []


def _pg_unavailable() -> str | None:
    """Why PostgreSQL cannot be used (None when it can); asked once per session."""
    if not _pg_problem:
        try:
            engine = sa.create_engine(pg_base_url(), connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            engine.dispose()
            _pg_problem.append(None)
        except Exception as e:  # any failure to connect: report it plainly
            _pg_problem.append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    return _pg_problem[0]


def require_pg() -> None:
    """Skip (locally) or fail (under CI=true) when PostgreSQL is not reachable."""
    problem = _pg_unavailable()
    if problem is None:
        return
    text = (
        f"PostgreSQL not reachable at CLAIMFLOW_TEST_PG_URL ({problem}); start it with "
        "`pg_ctlcluster 15 main start` and create the role and database as .ci/run does"
    )
    if os.environ.get("CI", "").lower() == "true" or os.environ.get("CLAIMFLOW_REQUIRE_PG") == "1":
        pytest.fail(text)
    pytest.skip(text)


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A URL whose ``search_path`` is a fresh PostgreSQL schema, dropped after the test."""
    require_pg()
    name = "t_" + uuid.uuid4().hex[:16]
    admin = sa.create_engine(pg_base_url())
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    sep = "&" if "?" in pg_base_url() else "?"
    yield f"{pg_base_url()}{sep}options={quote(f'-csearch_path={name}')}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    """The engine under test."""
    return str(request.param)


@pytest.fixture
def store_url(engine_name: str, tmp_path: object, request: pytest.FixtureRequest) -> str:
    """A URL to an empty database of *engine_name*."""
    if engine_name == "sqlite":
        return f"sqlite:///{tmp_path}/claims.db"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A store opened (and created) at *store_url*."""
    s = Store.open(store_url)
    yield s
    s.close()
