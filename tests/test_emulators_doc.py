"""docs/emulators.md: its curl walkthrough runs against a fresh emulator, so the document stays
true."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

import pytest

from claimflow.emulators import _core, serve_in_thread
from claimflow.emulators.toss import TossEmulator

DOC = pathlib.Path(__file__).parent.parent / "docs" / "emulators.md"


def _walkthrough() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## A walkthrough with curl") :]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def _control_section() -> str:
    """The control API section of the document, without its deprecation note."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## The control API") : text.index("## A walkthrough with curl")]
    return section[: section.index("### Deprecated camelCase keys")]


class TestControlApiTable:
    def test_every_key_read_is_documented(self) -> None:
        """Every key the control API checks (seeding, actions, catalog items) is in the
        document's control API table."""
        specs = (_core._ADD, _core._ADD_ORDER, _core._ACT, _core._ITEM)
        keys = {key for spec in specs for key in spec}
        documented = set(re.findall(r'["`](\w+)["`]', _control_section()))
        assert [] == sorted(keys - documented)

    def test_the_table_is_snake_case(self) -> None:
        """The control API table quotes no camelCase key; the deprecation note names every
        renamed one."""
        camel = [k for k in re.findall(r'"(\w+)"', _control_section()) if k != k.lower()]
        text = DOC.read_text(encoding="utf-8")
        note = text[text.index("### Deprecated camelCase keys") :]
        missing = [old for old in _core.CAMEL_KEYS if f"`{old}`" not in note]
        assert ([], []) == (camel, missing)


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
