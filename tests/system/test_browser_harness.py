"""The browser tests' harness (tests/support/browser.py) says why a press failed: a page
whose script no longer runs is named as hung, not left to Playwright's "performing click
action" (how CI reported the laptop tab that spun for good, docs/app.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support import browser as web

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium
SHORT_MS = 1_000  # the harness's waits, cut short: each case fails by design
PAGE = "<button>Go</button>"
HANG = "setTimeout(() => { for (;;) {} }, 0)"  # the page's main thread, busy for good


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STEP_MS", "CLICK_MS", "ANSWER_MS"):
        monkeypatch.setattr(web, name, SHORT_MS)


@pytest.fixture
def tab(chromium: web.Chromium, short_waits: None) -> Iterator[web.AppPage]:
    context = chromium.browser.new_context()
    try:
        page = context.new_page()
        page.set_content(PAGE)
        yield web.AppPage(page, phone=False)
    finally:
        context.close()


def test_a_press_on_a_hung_page_says_the_page_stopped_answering(tab: web.AppPage) -> None:
    tab.page.evaluate(HANG)
    with pytest.raises(AssertionError, match="laptop's page stopped answering"):
        tab.press(tab.button("Go"))


def test_a_press_on_a_live_page_fails_with_playwrights_own_words(tab: web.AppPage) -> None:
    tab.press(tab.button("Go"))  # there: pressed
    with pytest.raises(PlaywrightTimeout, match="Stop"):
        tab.press(tab.button("Stop"))  # not on the page: Playwright's timeout, as it was
