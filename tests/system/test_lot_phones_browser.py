"""The draw by lot from members' phones, in a real browser (issue 15, the lot): Debian's
chromium through Playwright against a real `chitnode serve` over the demo branch.

Two members log in on their phones and pair them; the laptop enrols both keys. The
laptop opens month 7 of the running group's meeting and its auction; nobody bids, so
once the countdown is over (the serve's clock moved on) the winner is drawn by lot, and
the draw takes the shares of the members present. The laptop does not write a share
for a member with a key: it shows "Waiting for <name>'s phone". Each member taps "Add
my share to the draw" in the room; the signing page fills in 32 bytes from the phone's
crypto.getRandomValues, shows them, and the member taps Sign. The laptop closes the
auction and reveals its secret. After the serve stops, the export verifies with the
reference verifier (countersignatures included), each share in the log is the one the
phone showed and carries the phone's countersig, and the winner recomputed from the
export alone is the one the node settled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chitnode.log.statement import signature_ok, statement_for
from chitnode.node.node import Node
from tests.support import browser as web
from tests.support import phone_browser as phones
from tests.support.lot_audit import audit_draw
from ui import limits

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)

RUNNING = "UDP-2025-07"  # the demo's running group: month 7 is next (test_app_browser.py)
MONTH = 7
MEMBERS = ("M013", "M014")  # paid up, not yet prized, present at the table
PIN = "246810"
PAST_COUNTDOWN_S = limits.MEETING_AUCTION_MS // 1000 + 60  # the laptop may close then
SHARE_HEX = 64  # a share: 32 bytes in lower-case hex


def next_step(laptop: web.AppPage, step: str) -> None:
    laptop.tap_ident_until("meeting-next", "meeting-step", step)


def to_the_auction_step(laptop: web.AppPage) -> None:
    """The laptop from Home to the open meeting's auction step."""
    laptop.tap("Home")
    laptop.tap_ident(f"home-meeting-{RUNNING}-run")
    for step in ("Collections", "Who may bid", "The auction"):
        next_step(laptop, step)


def test_two_members_add_their_shares_to_the_draw_from_their_phones(
    chromium: web.Chromium, tmp_path: Path
) -> None:
    folder = web.demo_branch(tmp_path / "node")
    clock = web.ServeClock(tmp_path / "clock")
    for member in MEMBERS:
        web.set_member_pin(folder, member, PIN)
    shots = web.screenshot_dir(tmp_path)  # the docs' pictures; the rest go to tmp_path
    pubs: dict[str, str] = {}
    shown: dict[str, dict[str, str]] = {}
    with web.app_serve(folder, clock=clock) as app:
        laptop = phones.unlock_laptop(chromium, app)
        laptop.tap("Phones")
        second_qr = web.on_loopback(laptop.text("phones-meeting-url"))  # one phone each
        on_phone: dict[str, web.AppPage] = {}
        for member, url in zip(MEMBERS, (app.pairing_url, second_qr), strict=True):
            phone = phones.log_in_phone(chromium, url, member, PIN)
            pubs[member] = phones.pair_phone(phone)
            phones.enrol_on_laptop(laptop, phone, pubs[member], None)
            phone.tap_ident("mykey-back")
            on_phone[member] = phone

        # -- the meeting and its auction; nobody bids, the countdown runs out
        laptop.tap("Home")
        laptop.tap_ident(f"home-meeting-{RUNNING}-run")
        laptop.tap_ident("meeting-open-start")
        laptop.expect_text("meeting-step", "Attendance")
        for step in ("Collections", "Who may bid", "The auction"):
            next_step(laptop, step)
        laptop.tap_ident("meeting-auction-open")
        laptop.expect_shown("auction-title")
        clock.advance(PAST_COUNTDOWN_S)
        to_the_auction_step(laptop)
        for member in MEMBERS:  # the laptop writes no share for a member with a key
            laptop.expect_text(f"meeting-auction-phone-{member}", "Waiting for")
        laptop.into_view(f"meeting-auction-phone-{MEMBERS[-1]}")
        laptop.shot(shots / "meeting-waiting-phones.png")

        # -- each phone draws its share, shows it, and signs it
        for member, phone in on_phone.items():
            phone.tap_ident("me-auction-0-join")
            phone.expect_shown("room-share-what")
            phone.tap("Add my share to the draw")
            page_shot = shots / "phone-lot-share.png" if member == MEMBERS[0] else None
            shown[member] = phones.sign_on_the_phone(phone, "lot.contributed", tmp_path, page_shot)
            assert len(shown[member]["contribution"]) == SHARE_HEX, shown[member]
            phone.expect_shown("room-share-added")
        assert shown[MEMBERS[0]]["contribution"] != shown[MEMBERS[1]]["contribution"]
        laptop.expect_text("meeting-auction-draw", f"({len(MEMBERS)} so far)")  # live

        # -- the laptop closes the auction and reveals its secret: the draw is made
        laptop.tap_ident("meeting-auction-go")
        laptop.tap("Close the auction")
        laptop.expect_shown("auction-result")
        for phone in on_phone.values():
            phone.expect_shown("room-result")
            phone.close()
        laptop.close()

    node = Node.open(folder)
    try:
        draw = audit_draw(node, tmp_path / "branch.chitlog", RUNNING, MONTH)
    finally:
        node.close()
    assert set(draw.shares) == set(MEMBERS)  # no share written by the laptop for them
    for member, entry in draw.shares.items():
        body = entry["body"]
        assert body["contribution"] == shown[member]["contribution"]  # the phone's bytes
        statement = statement_for(entry["kind"], body, entry["branch"])
        assert body["countersig"]["key"] == pubs[member]
        assert signature_ok(pubs[member], statement, body["countersig"]["sig"])
