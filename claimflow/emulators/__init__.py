"""Marketplace emulators: ASGI apps implementing the documented endpoints, bodies and envelopes
on top of the claimflow engine, with fault injection. For tests, demos and benchmarks.

Needs the ``emulators`` extra (starlette, uvicorn, python-multipart) and the ``adapters`` one (the
emulators read requests and write answers with the codecs, :mod:`claimflow.adapters.codecs`)::

    from claimflow.emulators import serve_in_thread
    from claimflow.emulators.toss import TossEmulator

    emulator = TossEmulator()
    with serve_in_thread(emulator.app) as server:
        ...  # server.url is http://127.0.0.1:<port>

Or from the shell: ``claimflow emulate toss --port 8080``. In-process, hand the app to
``httpx.ASGITransport``.
"""

from __future__ import annotations

from ._core import (
    ConnectionDropped,
    EmulatorCore,
    Fault,
    FaultPlan,
    Faults,
    LoggedRequest,
    Record,
    RunningServer,
    Store,
    serve,
)
from ._serve import serve_in_thread

__all__ = [
    "EMULATORS",
    "ConnectionDropped",
    "EmulatorCore",
    "Fault",
    "FaultPlan",
    "Faults",
    "LoggedRequest",
    "Record",
    "RunningServer",
    "Store",
    "serve",
    "serve_in_thread",
]

#: ``claimflow emulate NAME``: the module whose ``make_app(faults=, seed=, orders=)`` builds it.
EMULATORS: dict[str, str] = {
    "toss": "claimflow.emulators.toss",
    "imweb": "claimflow.emulators.imweb",
    "x2bee": "claimflow.emulators.x2bee",
}
