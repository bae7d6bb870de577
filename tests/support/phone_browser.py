"""Members' phones signing in a real browser (issue 15): the steps the browser tests share.

A phone logs in with a member number and PIN, pairs from "My signing key" (the signing
page opens in a new tab and makes the key there), the laptop compares the key's letters
under Phones -> Member keys and enrols it; later the app asks for the phone's signature
and the member reads the statement on the signing page and taps Sign. After the serve
stops, a test reads the entries from the node's folder and checks each countersig with the
fold's own `signature_ok` over `statement_for(kind, body, branch)`.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from chitnode.log.entry import Entry
from chitnode.log.statement import signature_ok, statement_for
from chitnode.node.node import Node
from tests.support import browser as web
from tests.support.cli_proc import PASSPHRASE
from ui.vm import member_keys as vm

LOOK_BACK_ENTRIES = 50  # a consent looked for is among the node's last few entries


def log_in_phone(chromium: web.Chromium, url: str, member: str, pin: str) -> web.AppPage:
    """A phone on the pairing URL `url`, logged in as `member` (on its home)."""
    phone = web.open_app(chromium, url, phone=True)
    phone.expect_shown("login-paired")  # the door is drawn: typing before it can be lost
    phone.fill("Member number", member)
    phone.fill("PIN", pin)
    phone.tap("Log in")
    phone.expect_shown("me-hello")
    return phone


def unlock_laptop(chromium: web.Chromium, app: web.AppServer) -> web.AppPage:
    laptop = web.open_app(chromium, app.url)
    laptop.expect_shown("unlock-title")
    laptop.fill("Passphrase or staff PIN", PASSPHRASE)
    laptop.tap("Unlock")
    return laptop


def signing_page(phone: web.AppPage, open_ident: str) -> Page:
    """Tap the app's link to the signing page; the tab it opens, loaded."""
    with phone.page.context.expect_page(timeout=web.STEP_MS) as opened:
        phone.tap_ident(open_ident)
    page = opened.value
    page.set_default_timeout(web.STEP_MS)
    page.wait_for_selector("body[data-ready], body[data-asking]", state="attached")
    return page


def pair_phone(phone: web.AppPage) -> str:
    """From the phone's home: pair it on "My signing key"; the key the page made (hex),
    once the phone shows its letters as offered."""
    phone.tap_ident("me-key")
    phone.expect_text("mykey-status", "no signing key")
    phone.tap_ident("mykey-pair")
    phone.expect_shown("mykey-open")
    pairing = signing_page(phone, "mykey-open")
    expect(pairing.locator("#result")).to_have_class("result good")
    pub = pairing.locator("#pub").get_attribute("data-pub")
    assert pub is not None and len(pub) == 64
    pairing.close()
    phone.page.bring_to_front()
    phone.expect_text("mykey-offered", vm.fingerprint(pub))
    return pub


def enrol_on_laptop(laptop: web.AppPage, phone: web.AppPage, pub: str, shot: Path | None) -> None:
    """The laptop (unlocked) compares the letters of the one key waiting and enrols it;
    the phone's "My signing key" shows it enrolled, live."""
    fingerprint = vm.fingerprint(pub)
    laptop.tap("Phones")
    laptop.tap_ident("phones-keys")
    laptop.expect_text("keys-offer-0", fingerprint)
    if shot is not None:
        laptop.shot(shot)
    laptop.tap_ident_until("keys-offer-0-enrol", "keys-offers-none")
    phone.expect_text("mykey-status", fingerprint)  # live on the phone


def sign_on_the_phone(
    phone: web.AppPage, kind: str, shots: Path, page_shot: Path | None = None
) -> dict[str, str]:
    """The app asks for the phone's signature: open the signing page, read, tap Sign. The
    statement's fields as the page showed them (field -> text). `page_shot`: a picture of
    the signing page as the member reads it, before the tap."""
    phone.expect_shown("sign-open")
    phone.shot(shots / f"phone-sign-{kind}.png")
    signing = signing_page(phone, "sign-open")
    expect(signing.locator('dd[data-field="kind"]')).to_contain_text(kind)
    if page_shot is not None:
        web.shot(signing, page_shot)
    fields = signing.locator("dd[data-field]")
    shown = {
        str(fields.nth(i).get_attribute("data-field")): fields.nth(i).inner_text()
        for i in range(fields.count())
    }
    signing.locator("#sign").tap()
    expect(signing.locator("#result")).to_have_class("result good")
    signing.close()
    phone.page.bring_to_front()
    return shown


def last_entry(folder: Path, kind: str, field: str, member: str) -> Entry:
    """The node's latest entry of `kind` whose `field` names `member` (serve stopped)."""
    node = Node.open(folder)
    try:
        last = node.store.last_stored(node.public)
        assert last is not None
        for seq in range(last[0], max(0, last[0] - LOOK_BACK_ENTRIES), -1):
            entry = node.store.entry_at(node.public, seq)
            if entry and entry.kind == kind and entry.body.get(field) == member:
                return entry
    finally:
        node.close()
    raise AssertionError(f"no {kind} by {member} in the last entries")


def countersig_verifies(entry: Entry, pub: str) -> None:
    countersig = entry.body["countersig"]
    assert countersig["key"] == pub
    statement = statement_for(entry.kind, entry.body, entry.branch)
    assert signature_ok(pub, statement, countersig["sig"])


def meeting_and_bid(laptop: web.AppPage, phone: web.AppPage, group: str, shots: Path) -> None:
    """The laptop (on any screen) opens `group`'s next meeting, the phone (on its home)
    checks in, the laptop opens the auction, and the phone joins the room and bids the
    amount offered, signed on the phone."""
    laptop.tap("Home")
    laptop.tap_ident(f"home-meeting-{group}-run")
    laptop.tap_ident("meeting-open-start")
    laptop.expect_text("meeting-step", "Attendance")
    phone.tap_ident("me-meeting-0-check-in")
    phone.expect_shown("me-meeting-0-here")
    for step in ("Collections", "Who may bid", "The auction"):
        laptop.tap_ident_until("meeting-next", "meeting-step", step)
    laptop.tap_ident("meeting-auction-open")
    laptop.expect_shown("auction-title")
    phone.tap_ident("me-auction-0-join")
    phone.expect_shown("room-alias")
    phone.tap(re.compile(r"^Bid ₹"))
    phone.expect_shown("room-confirm-text")
    phone.tap("Yes, bid")
    sign_on_the_phone(phone, "auction.bid", shots)
    phone.expect_shown("room-saved")
