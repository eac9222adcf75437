"""Fixtures of the adapter tests: one emulator per marketplace served by uvicorn on 127.0.0.1 for
the whole session, and adapters talking to it over real HTTP.

A test class (``kit = TOSS``) or module (``KIT = TOSS``) names its marketplace's kit
(``kits.py``: credentials, factories, set-ups); the fixtures below then give that marketplace's

- ``kit``: the kit itself;
- ``emulator``: its emulator, with no faults and an empty request log around the test;
- ``server``: the emulator's :class:`~claimflow.emulators.RunningServer`;
- ``adapter`` / ``async_adapter``: a sync / async adapter talking to it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from claimflow.adapters import AsyncClient, Client
from claimflow.emulators import RunningServer, serve_in_thread

from .kits import Kit


class Servers:
    """The emulators served so far, one per marketplace, started on first use."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._running: dict[str, tuple[Any, RunningServer]] = {}

    def get(self, kit: Kit) -> tuple[Any, RunningServer]:
        """The emulator of *kit*'s marketplace and its server."""
        name = kit.marketplace.value
        if name not in self._running:
            emulator = kit.emulator()
            server = self._stack.enter_context(serve_in_thread(emulator.app))
            self._running[name] = (emulator, server)
        return self._running[name]

    def close(self) -> None:
        """Stop every server: all are told at once, so they wind down together."""
        for _, server in self._running.values():
            server.server.should_exit = True
        self._stack.close()


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    """The session's emulators, each served on a free port of 127.0.0.1 in a background thread."""
    running = Servers()
    yield running
    running.close()


@pytest.fixture
def kit(request: pytest.FixtureRequest) -> Kit:
    """The marketplace kit the test's class (``kit``) or module (``KIT``) names."""
    named = getattr(request.cls, "kit", None) or getattr(request.module, "KIT", None)
    if not isinstance(named, Kit):
        msg = f"{request.node.nodeid}: name a marketplace kit (class `kit` or module `KIT`)"
        raise TypeError(msg)
    return named


@pytest.fixture
def emulator(kit: Kit, servers: Servers) -> Iterator[Any]:
    """The marketplace's emulator, with no faults and an empty request log around the test."""
    emulator, _ = servers.get(kit)
    emulator.reset()
    yield emulator
    emulator.reset()


@pytest.fixture
def server(kit: Kit, servers: Servers, emulator: Any) -> RunningServer:
    """Where the marketplace's emulator is served."""
    return servers.get(kit)[1]


@pytest.fixture
def adapter(kit: Kit, server: RunningServer) -> Iterator[Client]:
    """A synchronous adapter talking to the emulator over HTTP."""
    with kit.make_sync(server) as client:
        yield client


@pytest.fixture
async def async_adapter(kit: Kit, server: RunningServer) -> AsyncIterator[AsyncClient]:
    """An asynchronous adapter talking to the emulator over HTTP."""
    async with kit.make_async(server) as client:
        yield client
