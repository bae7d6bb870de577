"""A member keeps a receipt from the phone, in a real browser (issue 15 point 4): Debian's
chromium through Playwright against a real `chitnode serve` over the demo branch. The
member logs in, opens the passbook, taps "Save receipt" on a payment, sees the receipt's
QR code, and downloads the file; the file is the signed entry itself (its hash and
signature check with no node at all) and names that member."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode.services import member_receipts as mr
from tests.support import browser as web

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)

MEMBER, PIN = "M011", "246810"  # a subscriber of a running group: payments in the passbook
DOWNLOAD_ROUTE = "/receipt-file/"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[web.AppServer]:
    folder = web.demo_branch(tmp_path_factory.mktemp("receipts") / "node")
    web.set_member_pin(folder, MEMBER, PIN)
    with web.app_serve(folder) as server:
        yield server


def test_a_member_saves_a_receipt_from_the_passbook(
    chromium: web.Chromium, app: web.AppServer, tmp_path: Path
) -> None:
    phone = web.open_app(chromium, app.pairing_url, phone=True)
    phone.expect_shown("login-paired")  # the door is drawn: typing before it can be lost
    phone.fill("Member number", MEMBER)
    phone.fill("PIN", PIN)
    phone.tap("Log in")
    phone.expect_shown("me-hello")
    phone.tap_ident("nav-passbook")
    phone.expect_shown("passbook-0-save")
    phone.tap_ident_until("passbook-0-save", "receipt-what", "₹")
    phone.expect_shown("receipt-qr")
    phone.shot(tmp_path / "receipt.png")

    asked: list[str] = []  # the download's request, wherever the browser opens it
    phone.page.context.on(
        "request",
        lambda request: asked.append(request.url) if DOWNLOAD_ROUTE in request.url else None,
    )
    phone.tap_ident("receipt-download")
    for _ in range(web.STEP_MS // web.POLL_MS):
        if asked:
            break
        phone.page.wait_for_timeout(web.POLL_MS)
    assert asked, "the download button asked the node for nothing"
    got = phone.page.context.request.get(asked[0])
    assert got.status == 200, got.status
    assert got.headers["content-disposition"].startswith("attachment;")
    receipt = mr.parse_receipt(got.body())  # hash and signature check here, offline
    assert receipt.member_id == MEMBER
    assert receipt.entry.kind in {"contribution.recorded", "auction.closed", "prize.paid"}
    phone.tap_ident("receipt-back")
    phone.expect_shown("passbook-title")
    phone.close()
