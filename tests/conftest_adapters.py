"""Fixtures for the adapter tests: a Toss emulator served by uvicorn on 127.0.0.1 for the
module, and adapters talking to it over real HTTP.

Loaded by the adapter test modules with ``pytest_plugins = ["conftest_adapters"]``;
``tests/conftest.py`` belongs to the engine's tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from adapters_support import CLIENT_ID, CLIENT_SECRET, make_async, make_sync

from claimflow.adapters import AsyncClient, Client
from claimflow.emulators import RunningServer, serve_in_thread
from claimflow.emulators.toss import TossEmulator


@pytest.fixture(scope="module")
def emulator() -> TossEmulator:
    """One Toss emulator per test module."""
    return TossEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


@pytest.fixture(scope="module")
def server(emulator: TossEmulator) -> Iterator[RunningServer]:
    """The emulator served by uvicorn on a free port of 127.0.0.1 in a background thread."""
    with serve_in_thread(emulator.app) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_emulator(request: pytest.FixtureRequest) -> Iterator[None]:
    """No faults and an empty request log around every test that uses the emulator."""
    if "emulator" not in request.fixturenames:
        yield
        return
    emulator: TossEmulator = request.getfixturevalue("emulator")
    emulator.reset()
    yield
    emulator.reset()


@pytest.fixture
def adapter(server: RunningServer) -> Iterator[Client]:
    """A synchronous Toss adapter talking to the emulator over HTTP."""
    with make_sync(server) as client:
        yield client


@pytest.fixture
async def async_adapter(server: RunningServer) -> AsyncIterator[AsyncClient]:
    """An asynchronous Toss adapter talking to the emulator over HTTP."""
    async with make_async(server) as client:
        yield client
