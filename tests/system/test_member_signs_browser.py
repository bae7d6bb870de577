"""A member signs for themselves from a phone, in a real browser (issue 15): Debian's
chromium through Playwright against a real `chitnode serve` over the demo branch.

The member logs in on a phone and pairs it from "My signing key": the signing page opens
in a new tab, makes the key there and offers its public half. The laptop unlocks, opens
Phones -> Member keys, sees the same letters and enrols the key. The member then signs
the group's agreement: the app asks for the phone's signature, the signing page shows
the statement, the member taps Sign, and the app writes the agreement with it. After the
serve stops, the entry in the log carries the countersig, and it verifies with the fold's
own check (chitnode.log.statement.signature_ok) over statement_for(kind, body, branch).
The bid and the attestation take the same path (tests/ui/views/test_member_keys.py).
"""

from __future__ import annotations

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


def agreement_entry(folder: Path, member: str) -> Entry:
    node = Node.open(folder)
    try:
        last = node.store.last_stored(node.public)
        assert last is not None
        for seq in range(last[0], max(0, last[0] - LOOK_BACK_ENTRIES), -1):
            entry = node.store.entry_at(node.public, seq)
            if entry and entry.kind == "agreement.signed" and entry.body["member_id"] == member:
                return entry
    finally:
        node.close()
    raise AssertionError(f"no agreement.signed by {member} in the last entries")


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


def test_a_member_pairs_is_enrolled_and_signs_the_agreement_on_the_phone(
    chromium: web.Chromium, folder: Path, tmp_path: Path
) -> None:
    member = unsigned_member(folder)
    web.set_member_pin(folder, member, PIN)
    with web.app_serve(folder) as app:
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
        laptop.shot(tmp_path / "laptop-member-keys.png")
        laptop.tap_ident_until("keys-offer-0-enrol", "keys-member-0", fingerprint)
        phone.expect_text("mykey-status", fingerprint)  # live on the phone

        # -- the agreement, signed on the phone
        phone.tap_ident("mykey-back")
        phone.tap_ident("nav-inbox")
        phone.tap_ident("inbox-sign-0-open")
        phone.tap_ident("agreement-0-sign")
        phone.expect_shown("sign-open")
        phone.shot(tmp_path / "phone-sign.png")
        signing = signing_page(phone, "sign-open")
        expect(signing.locator('dd[data-field="kind"]')).to_contain_text("agreement.signed")
        signing.locator("#sign").tap()
        expect(signing.locator("#result")).to_have_class("result good")
        signing.close()
        phone.page.bring_to_front()
        phone.expect_text("agreement-0-signed", "You signed on")
        phone.close()
        laptop.close()

    entry = agreement_entry(folder, member)
    countersig = entry.body["countersig"]
    assert countersig["key"] == pub
    statement = statement_for(entry.kind, entry.body, entry.branch)
    assert signature_ok(pub, statement, countersig["sig"])
