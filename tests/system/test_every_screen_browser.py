"""Every screen of the app opens in a real browser without one of Flet's error boxes
(issues 12 and 13): Debian's chromium through Playwright, against a real `chitnode
serve` over the demo branch. The meeting, the auction, the office and the auditor have
their own end-to-end tests; this one walks the rest of the staff's places on the laptop
and a member's six places on a phone, reading each screen's title by its
`flt-semantics-identifier` and checking the drawn page (`AppPage.shot`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import browser as web
from tests.support.cli_proc import PASSPHRASE

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)

MEMBER, PIN = "M011", "246810"  # a subscriber of BTL-2025-09, a running group
GROUP = "UDP-2025-07"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[web.AppServer]:
    folder = web.demo_branch(tmp_path_factory.mktemp("screens") / "node")
    web.set_member_pin(folder, MEMBER, PIN)
    with web.app_serve(folder) as server:
        yield server


def test_the_staff_places_open_on_the_laptop(
    chromium: web.Chromium, app: web.AppServer, tmp_path: Path
) -> None:
    laptop = web.open_app(chromium, app.url)
    laptop.expect_shown("unlock-title")  # the door is drawn: typing before it can be lost
    laptop.fill("Passphrase or staff PIN", PASSPHRASE)
    laptop.tap("Unlock")
    laptop.expect_text("header-branch", "Mangaluru Demo Branch")
    laptop.expect_shown("home-branch")
    laptop.shot(tmp_path / "home.png")

    laptop.tap_ident(f"home-group-{GROUP}-open")
    laptop.expect_text("group-name", GROUP)
    laptop.shot(tmp_path / "group.png")

    laptop.tap("Home")
    laptop.tap_ident("home-new-group")
    laptop.expect_shown("newgroup-title")
    laptop.shot(tmp_path / "new-group.png")

    laptop.tap("Home")
    laptop.tap_ident("home-new-member")
    laptop.expect_shown("member-title")
    laptop.shot(tmp_path / "new-member.png")

    laptop.tap("Admin")
    laptop.expect_shown("admin-kpi-pool")
    laptop.shot(tmp_path / "admin.png")
    laptop.tap_ident("admin-tab-integrity")
    laptop.tap_ident("integrity-start")
    # the verdict reaches the browser (it did not: the progress loop updated the page
    # itself, so Flet skipped the handler's last update; SessionView.push does not)
    laptop.expect_text("integrity-status", "OK:")
    laptop.shot(tmp_path / "integrity.png")
    laptop.tap_ident("admin-tab-devices")
    laptop.expect_shown("devices-row-0")
    laptop.shot(tmp_path / "devices.png")

    laptop.tap("Audit")
    laptop.expect_shown("audit-path")
    laptop.shot(tmp_path / "audit.png")
    laptop.close()


def test_a_members_places_open_on_a_phone(
    chromium: web.Chromium, app: web.AppServer, tmp_path: Path
) -> None:
    phone = web.open_app(chromium, app.pairing_url, phone=True)
    phone.expect_shown("login-paired")  # the door is drawn: typing before it can be lost
    phone.fill("Member number", MEMBER)
    phone.fill("PIN", PIN)
    phone.tap("Log in")
    phone.expect_shown("me-hello")
    phone.shot(tmp_path / "me.png")
    for place in ("passbook", "wallet", "inbox"):
        phone.tap_ident(f"nav-{place}")
        phone.expect_shown(f"{place}-title")
        phone.shot(tmp_path / f"{place}.png")
    phone.tap_ident("nav-home")
    phone.tap_ident("me-loans")
    phone.expect_shown("loans-emi")
    phone.shot(tmp_path / "loans.png")
    phone.tap_ident("nav-home")
    phone.tap_ident("me-agreements")
    phone.expect_shown("agreement-title")
    phone.shot(tmp_path / "agreement.png")
    phone.close()
