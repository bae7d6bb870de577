"""The back office in a real browser (issue 13): Debian's chromium through Playwright,
against a real `chitnode serve --app-port 0` on loopback over the demo branch.

The laptop unlocks the staff screens, opens **Office**, ticks two members in the KYC
queue and approves them in one go, then moves the demo's recovery case (at Notice)
through two stages with a note each, and visits the other tabs. Every assertion reads
the semantics tree (`flt-semantics-identifier` ids and their text); see
tests/support/browser.py.

With CHITNODE_SCREENSHOTS=docs/screenshots the office's screens are saved there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import browser as web
from tests.support.cli_proc import PASSPHRASE

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)

TICKED = ("M037", "M038")  # two of the demo's four members whose KYC waits
NOTE_LABEL = "Note for the move (what was done)"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[web.AppServer]:
    folder = web.demo_branch(tmp_path_factory.mktemp("office") / "node")
    with web.app_serve(folder) as server:
        yield server


def test_kyc_bulk_approve_and_a_recovery_card_moved_two_stages(
    chromium: web.Chromium, app: web.AppServer, tmp_path: Path
) -> None:
    shots = web.screenshot_dir(tmp_path)
    laptop = web.open_app(chromium, app.url)
    laptop.expect_shown("unlock-title")
    laptop.fill("Passphrase or staff PIN", PASSPHRASE)
    laptop.tap("Unlock")
    laptop.expect_text("header-branch", "Mangaluru Demo Branch")

    # -- KYC: tick two members, approve them in one entry
    laptop.tap("Office")
    laptop.expect_text("office-title", "KYC queue")
    laptop.expect_text("kyc-pending", "Waiting for a KYC decision: 4")
    laptop.shot(shots / "office-kyc.png")
    for member_id in TICKED:
        laptop.press(laptop.page.get_by_role("checkbox", name=f"Select {member_id}").first)
    laptop.tap("Approve selected")
    laptop.expect_text("kyc-pending", "Waiting for a KYC decision: 2")

    # -- recovery: the case at Notice goes to Follow-up, then to Legal
    laptop.tap_ident("office-tab-recovery")
    laptop.expect_text("office-title", "Recovery board")
    laptop.expect_text("recovery-col-notice", "Notice · 1")
    laptop.expect_text("recovery-col-legal", "Legal · 0")
    laptop.shot(shots / "office-recovery.png")
    laptop.fill(NOTE_LABEL, "visited the shop, promised Friday")
    laptop.tap("Move to Follow-up")
    laptop.expect_text("recovery-col-follow_up", "Follow-up · 1")
    laptop.fill(NOTE_LABEL, "lawyer's notice sent")
    laptop.tap("Move to Legal")
    laptop.expect_text("recovery-col-legal", "Legal · 1")
    laptop.expect_text("recovery-col-notice", "Notice · 0")

    # -- the other tabs open and say what they hold
    laptop.tap_ident("office-tab-loans")
    laptop.expect_text("office-title", "Loan inbox")
    laptop.expect_shown("loans-waiting")
    laptop.tap_ident("office-tab-bank")
    laptop.expect_text("mail-counts", "Sent 0 · Waiting 0 · Failed 0")
    laptop.tap_ident("office-tab-activity")
    laptop.expect_shown("activity-summary")
    laptop.expect_text("activity-row-0", "recovery.moved")
    laptop.shot(shots / "office-activity.png")
    laptop.close()
