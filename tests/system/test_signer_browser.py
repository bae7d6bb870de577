"""The member's signing page in a real browser (issue 15, part 1): Debian's chromium
through Playwright, on a phone (Pixel 7 emulation), against the app's real ASGI server
(ui.server.asgi_app under uvicorn, tests/support/signer_server.py) whose SignerDesk the
test holds as the app would: it issues tickets and takes what the phone sent.

A phone on the meeting's Wi-Fi opens a plain http:// LAN address, which is not a secure
context: WebCrypto (crypto.subtle) is missing there. The test's address is loopback,
which browsers do treat as secure, so every tab here has crypto.subtle taken away
before the page runs: the page must sign with the vendored library alone.

What is proved, each with PyNaCl on the Python side: a key is made on the phone and
kept across a reload (the same public key); the key offered for enrolment is the one
the page shows, with the challenge signed; a bid's consent statement (wal-format.md
10.3) is shown in words, and signed on the member's tap it verifies (by the fold's own
check too), while the same signature over a tampered bid does not; a link whose
statement was changed is refused by the node (the member reads why); a member who
declines signs nothing; the frame mode answers the app's messages; the seed never
leaves the phone; the submit endpoint refuses bad input with its codes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import nacl.exceptions
import nacl.signing
import pytest
from playwright.sync_api import Page, Request, expect

from chitnode.domain import witness_kinds as wk
from chitnode.domain.limits import WITNESS_HEADS_MAX
from chitnode.log.canonical import canonical
from chitnode.log.statement import signature_ok, statement_for
from tests.support import browser as web
from tests.support.signer_server import SignerServer, signer_server
from ui.signer import ENROL, b64url, from_b64url

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)

BRANCH = "0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6"  # a branch id: 32 hex
STEP_MS = 20_000  # one page's change after a load or a tap (2 shared cores)
# No WebCrypto, as on a LAN http:// page (see above); the page must not need it.
NO_WEBCRYPTO = "Object.defineProperty(Crypto.prototype, 'subtle', { get() { return undefined; } });"
STORE_PREFIX = "chitnode-signer/v1/"  # where the page keeps a key (assets/signer/signer.js)


@pytest.fixture(scope="module")
def served() -> Iterator[SignerServer]:
    with signer_server() as server:
        yield server


@pytest.fixture
def phone(chromium: web.Chromium) -> Iterator[Page]:
    """A fresh phone (its own localStorage), WebCrypto gone, every request recorded."""
    context = chromium.browser.new_context(**chromium.phone)
    context.add_init_script(NO_WEBCRYPTO)
    page = context.new_page()
    page.set_default_timeout(STEP_MS)
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))
    page.sent = sent  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


def open_page(page: Page, served: SignerServer, **query: str) -> None:
    page.goto(f"{served.base}/signer/?{urlencode(query)}")
    page.wait_for_selector("body[data-ready], body[data-asking]", state="attached")
    assert page.evaluate("crypto.subtle") is None


def shown_key(page: Page) -> str:
    pub = page.locator("#pub").get_attribute("data-pub")
    assert pub is not None and len(pub) == 64
    return pub


def pair(page: Page, served: SignerServer, member: str) -> str:
    """Pair the phone for `member` as the app's pairing link does; the key it offered."""
    ticket = served.desk.issue_enrolment(BRANCH, member)
    open_page(page, served, **query_of(served.desk.page_url(ticket)))
    expect(page.locator("#result")).to_have_class("result good")
    offered = served.desk.take(ticket.ticket)
    assert offered is not None and offered.purpose == ENROL
    return offered.public_key_hex


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def statement(member: str, amount_paise: int = 500_000) -> bytes:
    body = {"amount_paise": amount_paise, "group": "UDP-2025-07", "member": member, "month": 7}
    return canonical({**body, "ns": "chitnode.test.bid.v1"})


def test_a_key_is_made_on_the_phone_kept_across_reload_and_offered(
    served: SignerServer, phone: Page, tmp_path: Path
) -> None:
    offered = pair(phone, served, "M013")
    web.shot(phone, web.screenshot_dir(tmp_path) / "phone-signer-pair.png")

    assert shown_key(phone) == offered  # the key the page shows is the one the node got
    assert phone.locator("#status").text_content() == "A new key was made on this phone."
    qr = phone.locator("#qr")
    expect(qr).to_be_visible()
    assert phone.evaluate("document.getElementById('qr').naturalWidth") > 0  # the node drew it
    phone.reload()
    phone.wait_for_selector("body[data-ready]", state="attached")
    assert shown_key(phone) == offered
    open_page(phone, served, branch=BRANCH, member="M013")  # the key mode: what it holds
    assert shown_key(phone) == offered
    assert phone.locator("#status").text_content() == "This phone holds your key."
    # The seed stays in this browser: kept in localStorage, in no request the page made.
    kept = json.loads(phone.evaluate(f"localStorage.getItem('{STORE_PREFIX}{BRANCH}/M013')"))
    assert kept["pub"] == offered and len(kept["seed"]) == 64
    seed = nacl.signing.SigningKey(bytes.fromhex(kept["seed"]))
    assert seed.verify_key.encode().hex() == offered
    for request in phone.sent:  # type: ignore[attr-defined]
        assert kept["seed"] not in request.url + (request.post_data or "")
    # Another member on the same phone gets another key; a second pairing keeps the first.
    assert pair(phone, served, "M014") != offered
    assert pair(phone, served, "M013") == offered


def bid(member: str, discount_paise: int = 1_500_000) -> dict[str, object]:
    """A bid's body as the auction writes it (the fields its statement signs)."""
    return {
        "group_id": "UDP-2025-07",
        "month": 7,
        "ticket": 3,
        "discount_paise": discount_paise,
        "actor": member,
        "cmd_id": "c0ffee",
    }


def test_a_bid_signed_on_the_phone_is_a_countersignature_the_fold_accepts(
    served: SignerServer, phone: Page, tmp_path: Path
) -> None:
    pub = pair(phone, served, "M020")
    words = statement_for("auction.bid", bid("M020"), BRANCH)  # wal-format.md 10.3
    ticket = served.desk.issue_signing(BRANCH, "M020", words)
    url = served.desk.page_url(ticket, return_url="/signer/?after=signing")
    open_page(phone, served, **query_of(url))

    # What is signed, in words: the act, the group, the discount in rupees; the exact
    # bytes' fields underneath.
    expect(phone.locator('dd[data-field="kind"]')).to_have_text(
        "this bid in the auction (auction.bid)"
    )
    expect(phone.locator('dd[data-field="discount_paise"]')).to_have_text("₹15,000.00")
    expect(phone.locator('dd[data-field="group_id"]')).to_have_text("UDP-2025-07")
    assert phone.locator("#statement-fields dt").first.text_content() == "You agree to"
    assert json.loads(phone.locator("#statement-raw").text_content() or "") == json.loads(words)
    web.shot(phone, web.screenshot_dir(tmp_path) / "phone-signer-bid.png")
    with phone.expect_navigation():
        phone.locator("#sign").tap()

    back = query_of(phone.url)
    assert back["after"] == "signing" and back["pub"] == pub
    sig = from_b64url(back["sig"], "sig")
    key = nacl.signing.VerifyKey(bytes.fromhex(pub))
    assert key.verify(words, sig) == words
    assert signature_ok(pub, words, sig.hex())  # the fold's own check (chitnode/log/statement)
    tampered = statement_for("auction.bid", bid("M020", discount_paise=100), BRANCH)
    with pytest.raises(nacl.exceptions.BadSignatureError):
        key.verify(tampered, sig)  # the same signature over a changed bid
    assert not signature_ok(pub, tampered, sig.hex())
    signed = served.desk.take(ticket.ticket)
    assert signed is not None and (signed.signature, signed.public_key_hex) == (sig, pub)


def test_a_witness_of_the_most_feeds_a_log_may_name_is_signed_on_the_phone(
    served: SignerServer, phone: Page
) -> None:
    """A log of WITNESS_HEADS_MAX feeds (devices replaced over the years): its witness
    statement is 19 KB, its link 26 KB; the phone shows it in words and signs it."""
    pub = pair(phone, served, "M022")
    heads = [(f"{i:064x}", 1000 + i, f"{i:064x}"[::-1]) for i in range(WITNESS_HEADS_MAX)]
    words = wk.statement(BRANCH, "UDP-2025-07", 7, heads)
    assert len(words) > 4 * 4096  # the cap was 4096 bytes (about 28 feeds) until 2026-12-07
    ticket = served.desk.issue_signing(BRANCH, "M022", words)
    open_page(phone, served, **query_of(served.desk.page_url(ticket)))

    entries = sum(seq for _, seq, _ in heads)
    expect(phone.locator('dd[data-field="witness"]')).to_contain_text("you are a witness")
    expect(phone.locator('dd[data-field="heads"]')).to_have_text(
        f"{entries} entries, from {WITNESS_HEADS_MAX} devices"
    )
    phone.locator("#sign").tap()
    expect(phone.locator("#result")).to_have_class("result good")

    signed = served.desk.take(ticket.ticket)
    assert signed is not None and signed.public_key_hex == pub
    assert signature_ok(pub, words, signed.signature.hex())


def test_a_link_with_a_changed_statement_is_refused_and_the_member_reads_why(
    served: SignerServer, phone: Page
) -> None:
    pair(phone, served, "M021")
    ticket = served.desk.issue_signing(BRANCH, "M021", statement("M021"))
    query = query_of(served.desk.page_url(ticket, return_url="/signer/?after=signing"))
    query["statement"] = b64url(statement("M021", amount_paise=100))  # changed on the way
    open_page(phone, served, **query)
    expect(phone.locator('dd[data-field="amount_paise"]')).to_have_text("₹1.00")

    phone.locator("#sign").tap()

    expect(phone.locator("#result")).to_have_text(
        "What was signed is not what was asked. Nothing was saved; sign again from the app."
    )
    assert "after=signing" not in phone.url  # stays to be read; the way back is a link
    expect(phone.locator("#back")).to_be_visible()
    assert served.desk.take(ticket.ticket) is None


def test_a_member_who_declines_signs_nothing(served: SignerServer, phone: Page) -> None:
    pair(phone, served, "M022")
    ticket = served.desk.issue_signing(BRANCH, "M022", statement("M022"))
    open_page(phone, served, **query_of(served.desk.page_url(ticket, return_url="/signer/?x=1")))

    with phone.expect_navigation():
        phone.locator("#decline").tap()

    assert query_of(phone.url) == {"x": "1", "refused": "declined"}
    assert served.desk.take(ticket.ticket) is None
    assert not any("submit" in r.url for r in phone.sent)  # type: ignore[attr-defined]


def test_a_phone_without_the_members_key_and_a_foreign_statement_sign_nothing(
    served: SignerServer, phone: Page
) -> None:
    ticket = served.desk.issue_signing(BRANCH, "M023", statement("M023"))
    open_page(phone, served, **query_of(served.desk.page_url(ticket)))
    expect(phone.locator("#result")).to_have_text(
        "This phone has no key for you. Ask the foreman to pair it first."
    )
    expect(phone.locator("#sign")).to_be_hidden()

    pair(phone, served, "M023")  # paired as M023, handed M024's statement
    open_page(phone, served, branch=BRANCH, member="M023", statement=b64url(statement("M024")))
    expect(phone.locator("#result")).to_have_text(
        "This asks for another member's signature. Nothing was signed."
    )
    expect(phone.locator("#sign")).to_be_hidden()


# The app's side of the frame mode, run in a page of the app's origin that holds the
# frame: it waits for the frame's "ready", asks for the public key, then for a signature,
# and keeps every reply in window.replies.
FRAME_HOST = """([branch, member, statement]) => {
  const frame = document.createElement('iframe');
  frame.id = 'signer-frame';
  frame.src = '/signer/?lang=kn';
  frame.style.cssText = 'width: 400px; height: 700px';
  window.replies = [];
  window.addEventListener('message', (event) => {
    if (event.origin !== location.origin) return;
    window.replies.push(event.data);
    const post = (msg) => frame.contentWindow.postMessage(msg, location.origin);
    if (event.data.type === 'chitnode-signer/ready') {
      post({type: 'chitnode-signer/public-key', id: 1, branch, member});
    } else if (event.data.type === 'chitnode-signer/public-key') {
      post({type: 'chitnode-signer/sign', id: 2, branch, member, statement});
    }
  });
  document.body.append(frame);
}"""
# The page that holds the frame: any page of the app's origin without the signer's own
# Content-Security-Policy (which lets the signer be framed, and frame nothing itself).
FRAME_HOST_PATH = "/favicon.png"


def reply(page: Page, wanted_id: int) -> dict[str, object]:
    page.wait_for_function(f"(window.replies || []).some(r => r.id === {wanted_id})")
    replies: list[dict[str, object]] = page.evaluate("window.replies")
    return next(r for r in replies if r.get("id") == wanted_id)


def test_the_app_can_ask_a_frame_for_the_key_and_a_signature(
    served: SignerServer, phone: Page
) -> None:
    pub = pair(phone, served, "M025")
    words = statement("M025")
    phone.goto(served.base + FRAME_HOST_PATH)

    phone.evaluate(FRAME_HOST, [BRANCH, "M025", b64url(words)])

    assert reply(phone, 1) == {"id": 1, "type": "chitnode-signer/public-key", "pub": pub}
    frame = phone.frame_locator("#signer-frame")
    expect(frame.locator("#sign")).to_have_text("ಸಹಿ ಮಾಡಿ")  # the member's language
    frame.locator("#sign").tap()
    signed = reply(phone, 2)
    assert signed["type"] == "chitnode-signer/signed" and signed["pub"] == pub
    assert signed["submitted"] is False  # no ticket: the app submits it itself
    sig = from_b64url(str(signed["sig"]), "sig")
    assert nacl.signing.VerifyKey(bytes.fromhex(pub)).verify(words, sig) == words


def test_the_submit_endpoint_refuses_bad_input_with_codes(
    served: SignerServer, phone: Page
) -> None:
    """What a page (or anything else on the Wi-Fi) can POST: refused with a code, and
    nothing stored; the page's own honest POST afterwards goes through."""
    pub = pair(phone, served, "M026")
    words = statement("M026")
    ticket = served.desk.issue_signing(BRANCH, "M026", words)
    post = """async ([body]) => {
        const r = await fetch('/signer/submit', {method: 'POST', body,
            headers: {'Content-Type': 'application/json'}});
        return [r.status, (await r.json()).code];
    }"""
    good = {"ticket": ticket.ticket, "statement": b64url(words), "pub": pub}
    cases = {
        "{not json": "signer_bad_input",
        json.dumps({**good, "sig": "!!"}): "signer_bad_input",
        json.dumps({**good, "sig": b64url(bytes(64))}): "signer_bad_sig",
        json.dumps({**good, "sig": b64url(bytes(64)), "ticket": "A" * 22}): "signer_unknown_ticket",
    }
    for body, code in cases.items():
        assert phone.evaluate(post, [body]) == [400, code], body
    assert served.desk.take(ticket.ticket) is None

    open_page(phone, served, **query_of(served.desk.page_url(ticket)))
    phone.locator("#sign").tap()
    expect(phone.locator("#result")).to_have_text("Signed and sent to the office.")
    signed = served.desk.take(ticket.ticket)
    assert signed is not None and signed.public_key_hex == pub
