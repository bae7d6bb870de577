"""The app in a real browser (issue 12): Debian's chromium through Playwright, against a
real `chitnode serve --app-port 0` on loopback over the demo branch.

The laptop (a desktop tab on localhost) unlocks the staff screens; phones (Pixel 7
emulation) open the meeting QR's pairing URL and log in with the PINs staff set. Every
assertion reads the semantics tree (`flt-semantics-identifier` ids and their text), the
way a screen reader does; see tests/support/browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import browser as web
from tests.support.cli_proc import PASSPHRASE

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)

PHONE_MEMBERS = {"M001": "424242", "M002": "135790"}  # member id -> the PIN staff set


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[web.AppServer]:
    folder = web.demo_branch(tmp_path_factory.mktemp("app") / "node")
    for member_id, pin in PHONE_MEMBERS.items():
        web.set_member_pin(folder, member_id, pin)
    with web.app_serve(folder) as server:
        yield server


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return web.screenshot_dir(tmp_path)


def test_the_laptop_unlocks_and_a_phone_logs_in_with_its_pin(
    chromium: web.Chromium, app: web.AppServer, shots: Path
) -> None:
    laptop = web.open_app(chromium, app.url)
    laptop.expect_shown("unlock-title")
    laptop.fill("Passphrase or staff PIN", PASSPHRASE)
    laptop.tap("Unlock")
    phone = web.open_app(chromium, app.pairing_url, phone=True)
    phone.expect_shown("login-title")
    phone.expect_shown("login-paired")
    phone.fill("Member number", "M001")
    phone.fill("PIN", PHONE_MEMBERS["M001"])
    phone.tap("Log in")
    phone.expect_text("header-who", "Abdul Kini")  # M001 of the demo branch
    laptop.expect_shown("header-branch")
    laptop.expect_text("header-branch", "Mangaluru Demo Branch")
