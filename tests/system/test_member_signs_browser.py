"""A member signs for themselves from a phone, in a real browser (issue 15): Debian's
chromium through Playwright against a real `chitnode serve` over the demo branch.

The member logs in on a phone and pairs it from "My signing key": the signing page opens
in a new tab, makes the key there and offers its public half. The laptop unlocks, opens
Phones -> Member keys, sees the same letters and enrols the key. The member then signs
the group's agreement: the app asks for the phone's signature, the signing page shows
the statement, the member taps Sign, and the app writes the agreement with it. After the
serve stops, the entry in the log carries the countersig, and it verifies with the fold's
own check (chitnode.log.statement.signature_ok) over statement_for(kind, body, branch).
A second member pairs the same way and bids in the live auction room the laptop opened;
the bid is signed on the phone before the node writes it. The attestation takes the same
path (tests/ui/views/test_member_keys.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chitnode.domain import chit_kinds_base as base
from chitnode.log.entry import Entry
from chitnode.log.statement import signature_ok, statement_for
from chitnode.node.node import Node
from tests.support import browser as web
from tests.support.cli_proc import PASSPHRASE
from ui.vm import member_keys as vm

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)

FORMING = "MNG-2026-06"  # the demo's group still signing its agreement
RUNNING = "UDP-2025-07"  # the demo's running group: month 7 is next (test_app_browser.py)
BIDDER = "M013"  # paid up and not yet prized in RUNNING: may bid
PIN = "246810"
LOOK_BACK_ENTRIES = 50  # the agreement is among the node's last few entries


def unsigned_member(folder: Path) -> str:
    """A member of the forming group who has not signed its agreement yet."""
    node = Node.open(folder)
    try:
        state = node.engine.state
        group = base.group_row(state, FORMING)
        return sorted(
            m
            for m in base.holders(state, group)
            if not state.get(base.SIGNATURES, f"{FORMING}|{m}")
        )[0]
    finally:
        node.close()


def last_entry(folder: Path, kind: str, field: str, member: str) -> Entry:
    """The node's latest entry of `kind` whose `field` names `member`."""
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


def signing_page(phone: web.AppPage, open_ident: str) -> Page:
    """Tap the app's link to the signing page; the tab it opens, loaded."""
    with phone.page.context.expect_page(timeout=web.STEP_MS) as opened:
        phone.tap_ident(open_ident)
    page = opened.value
    page.set_default_timeout(web.STEP_MS)
    page.wait_for_selector("body[data-ready], body[data-asking]", state="attached")
    return page


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return web.demo_branch(tmp_path / "node")


def pair_and_enrol(
    chromium: web.Chromium, app: web.AppServer, member: str, shots: Path
) -> tuple[web.AppPage, web.AppPage, str]:
    """The member logs in and pairs the phone; the laptop enrols the key after comparing
    its letters. The phone (on "My signing key"), the laptop, and the key (hex)."""
    phone = web.open_app(chromium, app.pairing_url, phone=True)
    phone.expect_shown("login-paired")
    phone.fill("Member number", member)
    phone.fill("PIN", PIN)
    phone.tap("Log in")
    phone.expect_shown("me-hello")

    # -- pairing: the key is made on the signing page and offered
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
    fingerprint = vm.fingerprint(pub)
    phone.expect_text("mykey-offered", fingerprint)

    # -- the laptop compares the letters and enrols the key
    laptop = web.open_app(chromium, app.url)
    laptop.expect_shown("unlock-title")
    laptop.fill("Passphrase or staff PIN", PASSPHRASE)
    laptop.tap("Unlock")
    laptop.tap("Phones")
    laptop.tap_ident("phones-keys")
    laptop.expect_text("keys-offer-0", fingerprint)
    laptop.shot(shots / "laptop-member-keys.png")
    laptop.tap_ident_until("keys-offer-0-enrol", "keys-member-0", fingerprint)
    phone.expect_text("mykey-status", fingerprint)  # live on the phone
    return phone, laptop, pub


def sign_on_the_phone(phone: web.AppPage, kind: str, shots: Path) -> None:
    """The app asks for the phone's signature: open the signing page, read, tap Sign."""
    phone.expect_shown("sign-open")
    phone.shot(shots / f"phone-sign-{kind}.png")
    signing = signing_page(phone, "sign-open")
    expect(signing.locator('dd[data-field="kind"]')).to_contain_text(kind)
    signing.locator("#sign").tap()
    expect(signing.locator("#result")).to_have_class("result good")
    signing.close()
    phone.page.bring_to_front()


def countersig_verifies(entry: Entry, pub: str) -> None:
    countersig = entry.body["countersig"]
    assert countersig["key"] == pub
    statement = statement_for(entry.kind, entry.body, entry.branch)
    assert signature_ok(pub, statement, countersig["sig"])


def test_a_member_pairs_is_enrolled_and_signs_the_agreement_on_the_phone(
    chromium: web.Chromium, folder: Path, tmp_path: Path
) -> None:
    member = unsigned_member(folder)
    web.set_member_pin(folder, member, PIN)
    with web.app_serve(folder) as app:
        phone, laptop, pub = pair_and_enrol(chromium, app, member, tmp_path)
        phone.tap_ident("mykey-back")
        phone.tap_ident("nav-inbox")
        phone.tap_ident("inbox-sign-0-open")
        phone.tap_ident("agreement-0-sign")
        sign_on_the_phone(phone, "agreement.signed", tmp_path)
        phone.expect_text("agreement-0-signed", "You signed on")
        phone.close()
        laptop.close()
    countersig_verifies(last_entry(folder, "agreement.signed", "member_id", member), pub)


def test_a_member_bids_in_the_room_signed_on_the_phone(
    chromium: web.Chromium, folder: Path, tmp_path: Path
) -> None:
    web.set_member_pin(folder, BIDDER, PIN)
    with web.app_serve(folder) as app:
        phone, laptop, pub = pair_and_enrol(chromium, app, BIDDER, tmp_path)
        phone.tap_ident("mykey-back")
        # -- a receipt of a payment, kept on the phone (ui/views/member_receipts.py)
        phone.tap_ident("nav-passbook")
        phone.tap_ident_until("passbook-0-save", "receipt-what", "₹")
        phone.expect_shown("receipt-qr")
        phone.tap_ident("receipt-back")
        phone.tap_ident("nav-home")
        # -- the laptop opens the month's meeting; the phone checks in; the auction opens
        laptop.tap("Home")
        laptop.tap_ident(f"home-meeting-{RUNNING}-run")
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
        sign_on_the_phone(phone, "auction.bid", tmp_path)
        phone.expect_shown("room-saved")
        laptop.expect_shown("auction-best")
        phone.close()
        laptop.close()
    countersig_verifies(last_entry(folder, "auction.bid", "actor", BIDDER), pub)
