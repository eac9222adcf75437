"""Fixtures for the x2bee adapter tests: an x2bee emulator served by uvicorn on 127.0.0.1 for
the module, and adapters talking to it over real HTTP (helpers in ``x2bee_support.py``).

Loaded with ``pytest_plugins = ["conftest_adapters_x2bee"]``. The fixture names start with
``x2bee`` so that they never shadow the Toss ones of ``conftest_adapters.py`` in the same session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from x2bee_support import TOKEN, make_async, make_sync

from claimflow.adapters.x2bee import X2beeAsyncClient, X2beeClient
from claimflow.emulators import RunningServer, serve_in_thread
from claimflow.emulators.x2bee import X2beeEmulator


@pytest.fixture(scope="module")
def x2bee() -> X2beeEmulator:
    """One x2bee emulator per test module."""
    return X2beeEmulator(token=TOKEN)


@pytest.fixture(scope="module")
def x2bee_server(x2bee: X2beeEmulator) -> Iterator[RunningServer]:
    """The emulator served by uvicorn on a free port of 127.0.0.1 in a background thread."""
    with serve_in_thread(x2bee.app) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_x2bee(request: pytest.FixtureRequest) -> Iterator[None]:
    """No faults, a valid token and an empty request log around every test using the emulator."""
    if "x2bee" not in request.fixturenames:
        yield
        return
    x2bee: X2beeEmulator = request.getfixturevalue("x2bee")
    x2bee.reset()
    yield
    x2bee.reset()


@pytest.fixture
def x2bee_adapter(x2bee_server: RunningServer) -> Iterator[X2beeClient]:
    """A synchronous x2bee adapter talking to the emulator over HTTP."""
    with make_sync(x2bee_server) as client:
        yield client


@pytest.fixture
async def x2bee_async_adapter(x2bee_server: RunningServer) -> AsyncIterator[X2beeAsyncClient]:
    """An asynchronous x2bee adapter talking to the emulator over HTTP."""
    async with make_async(x2bee_server) as client:
        yield client
