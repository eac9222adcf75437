"""Running an emulator app over real HTTP on the loopback interface.

One job: bind a socket, serve an ASGI app on it with uvicorn in a background thread, stop it.
The socket is bound with ``TCP_NODELAY`` (accepted connections inherit it): without it every
loopback request waits for the peer's delayed ACK, about 44 ms, because uvicorn writes a response's
head and body separately (Nagle's algorithm holds the second write back). With it a request takes
about 0.6 ms (``benchmarks/bench_adapters.py``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from ._core import RunningServer, _core_of, _loopback

__all__ = ["serve_in_thread"]

_log = logging.getLogger("claimflow.emulators")


class _Answered:
    """An ASGI app whose exceptions end the request without a traceback in the server thread.

    uvicorn logs an exception that leaves the app with its traceback; formatting a traceback
    parses source with :mod:`ast` (Python 3.11's error carets), and :mod:`ast`'s recursion
    counter is shared by the interpreter's threads: with pytest formatting a failure in the main
    thread at the same moment, the run aborted with ``INTERNALERROR SystemError: AST constructor
    recursion depth mismatch``. So an exception is answered here instead: before the answer
    started, HTTP 500 with a JSON body naming it; after (Starlette already answered 500, or the
    ``drop_after_commit`` fault), the app returns and uvicorn closes an unfinished answer's
    connection. Either way it is logged in one line on ``claimflow.emulators``.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Any) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as e:  # answered, not raised: see the class docstring
            what = f"{type(e).__name__}: {e}"
            _log.error("emulator: %s %s: %s", scope.get("method"), scope.get("path"), what)
            if not started:
                body = json.dumps({"error": f"emulator: {what}"}).encode()
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({"type": "http.response.start", "status": 500, "headers": headers})
                await send({"type": "http.response.body", "body": body})


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to *host*:*port* (0: a free port), ``TCP_NODELAY`` and
    ``SO_REUSEADDR`` set."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


@contextlib.contextmanager
def serve_in_thread(
    app: Any, *, port: int = 0, host: str = "127.0.0.1", timeout: float = 10.0
) -> Iterator[RunningServer]:
    """Serve *app* with uvicorn in a background thread (port 0: a free one) while in the block.

    Bound to anything but a loopback address, an emulator without a control token gets one (read
    it from ``emulator.core.control_token``): its ``/_emulator/`` API is not left open.
    """
    sock = bind_socket(host, port)
    actual = sock.getsockname()[1]
    core = _core_of(app)
    if core is not None and core.control_token is None and not _loopback(host):
        core.control_token = secrets.token_urlsafe(18)
    config = uvicorn.Config(
        _Answered(app),
        host=host,
        port=actual,
        log_level="warning",
        lifespan="off",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"emulator:{actual}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            msg = f"the emulator did not start on {host}:{actual}"
            raise RuntimeError(msg)
        time.sleep(0.01)
    try:
        yield RunningServer(f"http://{host}:{actual}", actual, server)
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
