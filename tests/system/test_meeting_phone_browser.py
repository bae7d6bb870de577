"""A member attests the minutes and witnesses the log from the phone at the meeting, in a
real browser (issue 15: the minutes step and point 5): Debian's chromium through
Playwright against a real `chitnode serve` over the demo branch.

A member logs in on a phone and pairs it; the laptop enrols the key. The laptop opens the
running group's meeting of month 7 and its auction; the phone checks in and bids (signed
on the phone), and wins once the laptop closes the auction (the serve's clock moved past
the countdown). At the minutes step the laptop shows that this member confirms on the
phone, not at the table: the phone's inbox offers the minutes, the phone says in words
what it attests (month, winner, prize, the minutes' fingerprint), and the signing page
signs. At the close the foreman asks the members present to witness: the phone's home
shows the request, the signing page says "the log of <branch> as of <time>, N entries;
you are a witness", the member signs, and the laptop writes `heads.witnessed` with that
signature. After the serve stops: the log's `minutes.attested` carries the member's
countersig, the witness names the member's key, `chitnode witness check` agrees with the
node's log, and the export verifies with the independent reference verifier
(tests/vectors), witness signatures included.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from chitnode.domain import witness_kinds as wk
from chitnode.log.statement import signature_ok
from chitnode.node.node import Node
from chitnode.services import witness
from tests.support import browser as web
from tests.support import phone_browser as phones
from tests.support.cli_proc import chitnode, ok
from tests.support.lot_audit import export_entries
from ui import limits

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)

RUNNING = "UDP-2025-07"  # the demo's running group: month 7 is next (test_app_browser.py)
MONTH = 7
MEMBER, NAME = "M013", "Kavitha Karkera"  # paid up and not yet prized: may bid
PIN = "246810"
PAST_COUNTDOWN_S = limits.MEETING_AUCTION_MS // 1000 + 60  # the laptop may close then
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")  # a fingerprint, in full


def next_step(laptop: web.AppPage, step: str) -> None:
    laptop.tap_ident_until("meeting-next", "meeting-step", step)


def gone(app_page: web.AppPage, identifier: str) -> None:
    """Wait (bounded) until no control carries `identifier` (a live update removed it)."""
    for _ in range(web.STEP_MS // web.POLL_MS):
        if app_page.ident(identifier).count() == 0:
            return
        app_page.page.wait_for_timeout(web.POLL_MS)
    raise AssertionError(f"{identifier} is still shown")


def test_a_member_attests_and_witnesses_the_meeting_from_the_phone(
    chromium: web.Chromium, tmp_path: Path
) -> None:
    folder = web.demo_branch(tmp_path / "node")
    clock = web.ServeClock(tmp_path / "clock")
    web.set_member_pin(folder, MEMBER, PIN)
    shots = web.screenshot_dir(tmp_path)  # the docs' pictures; the rest go to tmp_path
    with web.app_serve(folder, clock=clock) as app:
        phone = phones.log_in_phone(chromium, app.pairing_url, MEMBER, PIN)
        pub = phones.pair_phone(phone)
        laptop = phones.unlock_laptop(chromium, app)
        phones.enrol_on_laptop(laptop, phone, pub, None)
        phone.tap_ident("mykey-back")

        # -- the meeting: the phone checks in, bids in the room, and wins
        phones.meeting_and_bid(laptop, phone, RUNNING, tmp_path)
        clock.advance(PAST_COUNTDOWN_S)
        laptop.tap("Home")
        laptop.tap_ident(f"home-meeting-{RUNNING}-run")
        for step in ("Collections", "Who may bid", "The auction"):
            next_step(laptop, step)
        laptop.tap_ident("meeting-auction-go")
        laptop.tap("Close the auction")
        laptop.expect_shown("auction-result")
        phone.expect_shown("room-you-won")

        # -- the minutes: the laptop sends this member to the phone, not the table
        laptop.tap("Go on to the settlement")
        next_step(laptop, "Cash count")
        next_step(laptop, "Minutes")
        laptop.expect_text(f"meeting-minutes-phone-{MEMBER}", "Confirms on their phone")
        laptop.tap_ident("meeting-minutes-attest")  # the foreman's own
        phone.tap_ident("room-home")
        phone.tap_ident("nav-inbox")
        phone.expect_shown("inbox-attest-0-confirm")
        phone.tap_ident("inbox-attest-0-confirm")
        phone.expect_shown("sign-open")  # what the phone attests, in words, first
        phone.expect_text("sign-detail-0", f"month {MONTH}")
        phone.expect_text("sign-detail-1", f"Winner: ticket 3, {NAME}")
        prize = phone.expect_text("sign-detail-2", "Prize: ₹")
        fingerprint = phone.expect_text("sign-detail-3", "The minutes' fingerprint: ")
        minutes_hash = HEX64.findall(fingerprint)[0]
        shown = phones.sign_on_the_phone(
            phone, "minutes.attested", tmp_path, shots / "phone-attest-minutes.png"
        )
        assert shown["month"] == str(MONTH) and shown["minutes_hash"] == minutes_hash
        gone(laptop, f"meeting-minutes-phone-{MEMBER}")  # live: the member has attested
        laptop.shot(tmp_path / "meeting-minutes-from-phone.png")

        # -- the close: the foreman asks the members present to witness the log
        next_step(laptop, "Prize payout")
        next_step(laptop, "Close the meeting")
        laptop.expect_text(f"meeting-witness-{MEMBER}", "can witness from the phone")
        laptop.shot(shots / "meeting-close-witness.png")
        laptop.tap_ident("meeting-witness-ask")
        laptop.expect_text(f"meeting-witness-{MEMBER}", "waiting for the phone")
        phone.tap_ident("nav-home")
        phone.expect_text("me-witness-0", f"month {MONTH}: the foreman asks you to witness")
        phone.tap_ident("me-witness-0-sign")
        phone.expect_text("sign-what", "You are witnessing")
        said = phone.expect_text("sign-detail-1", "you are a witness.")
        entries = int(re.search(r"(\d+) entries", said).group(1))  # type: ignore[union-attr]
        phone.shot(tmp_path / "phone-sign-witness.png")
        signing = phones.signing_page(phone, "sign-open")
        words = signing.locator('dd[data-field="witness"]')
        expect(words).to_contain_text(f"{entries} entries; you are a witness.")
        expect(signing.locator('dd[data-field="month"]')).to_have_text(str(MONTH))
        web.shot(signing, shots / "phone-witness.png")
        signing.locator("#sign").tap()
        expect(signing.locator("#result")).to_have_class("result good")
        signing.close()
        phone.page.bring_to_front()
        laptop.expect_text(f"meeting-witness-{MEMBER}", f"({MEMBER}): signed")  # live
        laptop.tap_ident("meeting-witness-write")
        laptop.expect_text("meeting-witness-done", "with 1 member signatures")
        laptop.shot(tmp_path / "meeting-close-witnessed.png")
        laptop.tap_ident("meeting-close-action")
        phone.close()
        laptop.close()
    assert prize

    # -- after the serve: the log, the witness, and the export an auditor checks
    attested = phones.last_entry(folder, "minutes.attested", "attester", MEMBER)
    phones.countersig_verifies(attested, pub)
    assert attested.body["minutes_hash"] == minutes_hash
    entry = phones.last_entry(folder, wk.KIND, "group_id", RUNNING)
    [signed] = entry.body["witnesses"]
    assert signed["member_id"] == MEMBER and signed["key"] == pub
    heads = [(a, s, h) for a, s, h in entry.body["heads"]]
    assert sum(s for _, s, _ in heads) == entries  # what the phone said it witnessed
    statement = wk.statement(entry.branch, RUNNING, MONTH, heads)
    assert signature_ok(pub, statement, signed["sig"])
    kept = tmp_path / "witness.json"  # the file a member keeps
    kept.write_bytes(witness.witness_of(entry).to_bytes())
    found = json.loads(ok(chitnode("--data", folder, "witness", "check", kept, "--json")))
    assert found["status"] == witness.AGREES, found

    node = Node.open(folder)
    try:
        lines = export_entries(node, tmp_path / "branch.chitlog")  # reference verifier: clean
    finally:
        node.close()
    assert any(e["kind"] == wk.KIND and e["hash"] == entry.hash for e in lines)
