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

from pathlib import Path

import pytest

from chitnode.domain import chit_kinds_base as base
from chitnode.node.node import Node
from tests.support import browser as web
from tests.support import phone_browser as phones
from tests.support.phone_browser import countersig_verifies, last_entry, sign_on_the_phone

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)

FORMING = "MNG-2026-06"  # the demo's group still signing its agreement
RUNNING = "UDP-2025-07"  # the demo's running group: month 7 is next (test_app_browser.py)
BIDDER = "M013"  # paid up and not yet prized in RUNNING: may bid
PIN = "246810"


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


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return web.demo_branch(tmp_path / "node")


def pair_and_enrol(
    chromium: web.Chromium, app: web.AppServer, member: str, shots: Path
) -> tuple[web.AppPage, web.AppPage, str]:
    """The member logs in and pairs the phone; the laptop enrols the key after comparing
    its letters. The phone (on "My signing key"), the laptop, and the key (hex)."""
    phone = phones.log_in_phone(chromium, app.pairing_url, member, PIN)
    pub = phones.pair_phone(phone)
    laptop = phones.unlock_laptop(chromium, app)
    phones.enrol_on_laptop(laptop, phone, pub, shots / "laptop-member-keys.png")
    return phone, laptop, pub


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
        phone.expect_shown("passbook-title")
        phone.tap_ident_until("nav-home", "me-hello")  # a tap in a re-layout can be lost
        # -- the laptop opens the month's meeting; the phone checks in and bids in the room
        phones.meeting_and_bid(laptop, phone, RUNNING, tmp_path)
        laptop.expect_shown("auction-best")
        phone.close()
        laptop.close()
    countersig_verifies(last_entry(folder, "auction.bid", "actor", BIDDER), pub)
