"""The rule explorer: a static site that works offline, clicked through in a real browser.

The browser tests drive Debian's ``chromium`` with ``chromium-driver`` through selenium, headless.
Without them they are skipped locally with a message, and fail under CI (``CI=true``), where
``.ci/run`` installs them. Set ``CLAIMFLOW_ARTIFACTS=DIR`` to keep screenshots.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import claimflow as cf
from claimflow import _diagrams
from claimflow._site import build
from claimflow.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
DOT = shutil.which("dot")

needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if DOT is None:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz fonts-nanum)")
    out = tmp_path_factory.mktemp("site")
    assert 0 == main(["site", "--out", str(out)])
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = [n for n, p in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not p]
    try:
        from selenium import webdriver  # noqa: PLC0415
        from selenium.webdriver.chrome.options import Options  # noqa: PLC0415
        from selenium.webdriver.chrome.service import Service  # noqa: PLC0415
    except ImportError:
        missing.append("selenium (pip install -e '.[dev]')")
    if missing:
        msg = (
            f"browser test needs {', '.join(missing)}: apt-get install -y chromium chromium-driver"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    opts = Options()
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ):
        opts.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="claimflow-chromium-")
    opts.add_argument(f"--user-data-dir={profile}")
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    opts.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _screenshot(driver: Any, name: str) -> None:
    target = os.environ.get("CLAIMFLOW_ARTIFACTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(target) / f"{name}.png"))


class TestPages:
    @needs_dot
    def test_one_page_per_machine_and_an_index(self) -> None:
        """The site has index.html and a page per marketplace and machine."""
        files = build()
        expected = {"index.html"} | {
            f"{mp}-{d}.html" for mp in cf.Marketplace for d in _diagrams.definitions(mp)
        }
        assert expected == set(files)

    @needs_dot
    def test_pages_are_self_contained(self) -> None:
        """No page loads a script, style or font from anywhere: no src=, no <link>, no @import."""
        for name, page in build().items():
            assert isinstance(page, str)
            assert _diagrams.MARKER in page[:200], name
            assert not re.search(r"<script[^>]*\ssrc=|<link\b|@import|url\(http", page), name

    @needs_dot
    def test_cli_refuses_to_overwrite_a_users_index(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`claimflow site` leaves a user's index.html alone and exits 2."""
        (tmp_path / "index.html").write_text("<h1>mine</h1>", encoding="utf-8")
        assert 2 == main(["site", "--out", str(tmp_path)])
        assert "index.html" in capsys.readouterr().err
        assert "<h1>mine</h1>" == (tmp_path / "index.html").read_text(encoding="utf-8")


class TestInBrowser:
    def test_click_a_state_shows_what_each_actor_may_do(self, site: Path, browser: Any) -> None:
        """Clicking 반품수거완료 on Toss's return diagram lists the seller's return.complete
        → 반품완료 and the buyer's refusal with Korean and English reasons and the rule id."""
        from selenium.webdriver.common.by import By  # noqa: PLC0415

        browser.get((site / "toss-return.html").as_uri())
        node = browser.find_element(
            By.CSS_SELECTOR, 'g.node[data-state="RETURN_COLLECTED__RETURN__COLLECTED"]'
        )
        node.click()
        title = browser.find_element(By.ID, "panel-title").text
        assert "반품수거완료 · 반품 수거완료" == title
        seller = browser.find_element(
            By.CSS_SELECTOR, 'ul[data-actor="SELLER"] li.allowed[data-action="return.complete"]'
        ).text
        assert "→ 반품완료" in seller and "[T11]" in seller and "환불" in seller
        refused = browser.find_element(
            By.CSS_SELECTOR, 'ul[data-actor="BUYER"] li.refused[data-action="return.complete"]'
        ).text
        assert "판매자만 할 수 있습니다" in refused
        assert "return.complete is done by SELLER, not BUYER" in refused
        assert "[T11]" in refused
        _screenshot(browser, "toss-return-clicked")

    def test_a_state_behind_a_fan_is_reachable_from_the_list(
        self, site: Path, browser: Any
    ) -> None:
        """배송완료 is not a box on Toss's cancel diagram (the T5 note stands for it); the state
        list opens it, and the seller may cancel it directly."""
        from selenium.webdriver.common.by import By  # noqa: PLC0415
        from selenium.webdriver.support.ui import Select  # noqa: PLC0415

        browser.get((site / "toss-cancel.html").as_uri())
        Select(browser.find_element(By.ID, "state-select")).select_by_value("DELIVERED")
        item = browser.find_element(
            By.CSS_SELECTOR, 'ul[data-actor="SELLER"] li.allowed[data-action="cancel.by_seller"]'
        ).text
        assert "→ 결제취소" in item and "[T5]" in item

    def test_payment_changes_the_answer(self, site: Path, browser: Any) -> None:
        """On imweb's return page, a bank-transfer payment refuses return.complete (I13) with
        its reason and allows return.force_complete instead."""
        from selenium.webdriver.common.by import By  # noqa: PLC0415
        from selenium.webdriver.support.ui import Select  # noqa: PLC0415

        browser.get((site / "imweb-return.html").as_uri())
        Select(browser.find_element(By.ID, "payment")).select_by_value("bank")
        browser.find_element(
            By.CSS_SELECTOR, 'g.node[data-state="RETURN_COLLECTED__RETURN__COLLECTED"]'
        ).click()
        seller = 'ul[data-actor="SELLER"] '
        refused = browser.find_element(
            By.CSS_SELECTOR, seller + 'li.refused[data-action="return.complete"]'
        ).text
        assert "자동환불불가" in refused and "return.force_complete를 사용하세요" in refused
        assert "[I13]" in refused
        allowed = browser.find_element(
            By.CSS_SELECTOR, seller + 'li.allowed[data-action="return.force_complete"]'
        ).text
        assert "→ 반품완료" in allowed
        Select(browser.find_element(By.ID, "payment")).select_by_value("card")
        assert browser.find_elements(
            By.CSS_SELECTOR, seller + 'li.allowed[data-action="return.complete"]'
        )
        _screenshot(browser, "imweb-return-bank-transfer")

    def test_search_by_action(self, site: Path, browser: Any) -> None:
        """Typing return.complete in the index's search leaves exactly its rules visible."""
        from selenium.webdriver.common.by import By  # noqa: PLC0415

        browser.get((site / "index.html").as_uri())
        browser.find_element(By.ID, "search").send_keys("return.complete")
        rows = [
            r for r in browser.find_elements(By.CSS_SELECTOR, "#rules tbody tr") if r.is_displayed()
        ]
        expected = sum(
            1
            for mp in cf.Marketplace
            for r in _diagrams.rule_rows(mp)
            if r.action is cf.Action.RETURN_COMPLETE
        )
        assert expected == len(rows)
        assert all("return.complete" in r.text for r in rows)
        assert str(expected) == browser.find_element(By.ID, "count").text
        link = rows[0].find_element(By.CSS_SELECTOR, "a[href^='https://']")
        assert link.get_attribute("href").startswith("https://shopping-docs.toss.im/")
        _screenshot(browser, "index-search")
