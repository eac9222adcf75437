"""docs/emulators.md: its curl walkthrough runs against a fresh emulator, so the document stays
true."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

import pytest

from claimflow.emulators import serve_in_thread
from claimflow.emulators.toss import TossEmulator

DOC = pathlib.Path(__file__).parent.parent / "docs" / "emulators.md"


def _walkthrough() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## A walkthrough with curl") :]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


class TestWalkthrough:
    @pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
    def test_the_curl_walkthrough_runs(self) -> None:
        """Every step of the documented walkthrough (token, seeding, a buyer request, the claims
        list, an injected 503, the approval, reading back) succeeds against a fresh Toss
        emulator, in order."""
        emulator = TossEmulator()
        with serve_in_thread(emulator.app) as server:
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", _walkthrough()],
                env={**os.environ, "BASE": server.url},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        assert (0, "walkthrough done\n") == (done.returncode, done.stdout), done.stderr
        assert "RETURN_COLLECTING" == emulator.store.get("OP-1").op.status.value
