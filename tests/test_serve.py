"""claimflow.emulators.serve_in_thread: an app's exception is answered, not a thread traceback."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from claimflow.emulators import serve_in_thread
from claimflow.emulators._core import dropped_response


@contextlib.contextmanager
def _uvicorn_log(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """uvicorn's error log into *caplog* (it does not propagate to the root logger); attached
    once the server runs, as uvicorn configures its loggers when it starts."""
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(caplog.handler)
    try:
        yield
    finally:
        logger.removeHandler(caplog.handler)


async def _broken(scope: Any, receive: Any, send: Any) -> None:
    msg = "imweb has no claim_status for this"
    raise ValueError(msg)


class TestServeInThread:
    def test_an_exception_is_a_500_naming_it_without_a_traceback(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An exception raised in the app answers HTTP 500 with a JSON body naming it, and is
        logged in one line without a traceback (no traceback is formatted in the server thread,
        where it raced pytest's own traceback formatting)."""
        caplog.set_level(logging.INFO)
        with serve_in_thread(_broken) as server, _uvicorn_log(caplog):
            answer = httpx.get(server.url + "/x")
        assert (500, {"error": "emulator: ValueError: imweb has no claim_status for this"}) == (
            answer.status_code,
            answer.json(),
        )
        assert [] == [r for r in caplog.records if r.exc_info]
        assert any("ValueError" in r.getMessage() for r in caplog.records)

    def test_a_dropped_answer_still_closes_the_connection(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The drop_after_commit fault (an exception after the answer started) still reaches
        the client as a connection closed mid-answer, without a traceback in the log."""
        caplog.set_level(logging.INFO)
        with (
            serve_in_thread(dropped_response()) as server,
            _uvicorn_log(caplog),
            pytest.raises(httpx.HTTPError),
        ):
            httpx.get(server.url + "/x").read()
        assert [] == [r for r in caplog.records if r.exc_info]
