"""Fixtures for the imweb adapter tests: an imweb emulator served by uvicorn on 127.0.0.1 for the
module, and adapters talking to it over real HTTP.

Loaded by the imweb test module with ``pytest_plugins = ["conftest_adapters_imweb"]``; the helpers
are in ``imweb_support.py``. The fixture names carry ``imweb_`` so that they never clash with the
Toss ones of ``conftest_adapters.py`` (plugins loaded by test modules are global to the session).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from imweb_support import KEY, SECRET, make_async, make_sync

from claimflow.adapters import AsyncClient, Client
from claimflow.emulators import RunningServer, serve_in_thread
from claimflow.emulators.imweb import ImwebEmulator


@pytest.fixture(scope="module")
def imweb_emulator() -> ImwebEmulator:
    """One imweb emulator per test module."""
    return ImwebEmulator(key=KEY, secret=SECRET)


@pytest.fixture(scope="module")
def imweb_server(imweb_emulator: ImwebEmulator) -> Iterator[RunningServer]:
    """The emulator served by uvicorn on a free port of 127.0.0.1 in a background thread."""
    with serve_in_thread(imweb_emulator.app) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_imweb_emulator(request: pytest.FixtureRequest) -> Iterator[None]:
    """No faults and an empty request log around every test that uses the imweb emulator."""
    if "imweb_emulator" not in request.fixturenames:
        yield
        return
    emulator: ImwebEmulator = request.getfixturevalue("imweb_emulator")
    emulator.reset()
    yield
    emulator.reset()


@pytest.fixture
def imweb_adapter(imweb_server: RunningServer) -> Iterator[Client]:
    """A synchronous imweb adapter talking to the emulator over HTTP."""
    with make_sync(imweb_server) as client:
        yield client


@pytest.fixture
async def imweb_async_adapter(imweb_server: RunningServer) -> AsyncIterator[AsyncClient]:
    """An asynchronous imweb adapter talking to the emulator over HTTP."""
    async with make_async(imweb_server) as client:
        yield client
