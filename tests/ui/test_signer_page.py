"""The signing page's node side without a browser (issue 15, part 1): ui/signer.py.

The endpoints are exercised over HTTP on the app's real ASGI app under uvicorn
(tests/support/signer_server.py); signatures are made with PyNaCl, as the phone's
@noble/ed25519 makes them (both are RFC 8032 Ed25519). Every refusal is a 400 with a
stable code in a JSON body, and leaves the ticket open with nothing stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import nacl.signing
import pytest

from chitnode.domain import witness_kinds as wk
from chitnode.domain.limits import ID_CHARS_MAX, WITNESS_HEADS_MAX
from chitnode.log.canonical import canonical
from tests.support.signer_server import SignerServer, signer_server
from ui import i18n, limits
from ui.signer import (
    ENROL,
    ENROL_NAMESPACE,
    PAGE_FILES,
    SIGNER_DIR,
    Signed,
    SignerDesk,
    SignerRefused,
    b64url,
    enrol_challenge,
    from_b64url,
)

BRANCH = "b1a2c3"
MEMBER = "M013"
STATEMENT = canonical(
    {"amount_paise": 500_000, "group": "UDP-2025-07", "member": MEMBER, "month": 7, "ns": "t"}
)
COMMITTED_MAX_BYTES = 200_000  # house rule: every committed file stays under this


@pytest.fixture(scope="module")
def served() -> Iterator[SignerServer]:
    with signer_server() as server:
        yield server


@pytest.fixture
def key() -> nacl.signing.SigningKey:
    return nacl.signing.SigningKey.generate()


def body_for(
    ticket: str, statement: bytes, key: nacl.signing.SigningKey, **changes: Any
) -> dict[str, Any]:
    """The page's POST body for `ticket`: `statement` signed by `key`."""
    body = {
        "ticket": ticket,
        "statement": b64url(statement),
        "sig": b64url(key.sign(statement).signature),
        "pub": key.verify_key.encode().hex(),
    }
    body.update(changes)
    return body


def refused_with(answer: Any, code: str) -> None:
    assert answer.status == 400, answer
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["code"] == code, answer.json()
    assert answer.json()["message"]


# --- signatures in ------------------------------------------------------------------------


def test_a_signed_statement_is_verified_and_kept_for_its_ticket_once(
    served: SignerServer, key: nacl.signing.SigningKey
) -> None:
    seen: list[Signed] = []
    stop = served.desk.listen(seen.append)
    ticket = served.desk.issue_signing(BRANCH, MEMBER, STATEMENT)
    assert served.desk.take(ticket.ticket) is None  # nothing signed yet

    answer = served.post("/signer/submit", body_for(ticket.ticket, STATEMENT, key))

    assert answer.status == 200, answer.body
    assert answer.json() == {
        "ok": True,
        "ticket": ticket.ticket,
        "pub": key.verify_key.encode().hex(),
    }
    signed = served.desk.take(ticket.ticket)
    assert signed is not None and seen == [signed]
    assert (signed.member_id, signed.branch_id, signed.statement) == (MEMBER, BRANCH, STATEMENT)
    nacl.signing.VerifyKey(signed.public_key).verify(signed.statement, signed.signature)
    assert served.desk.take(ticket.ticket) is None  # taken once
    # The same body again: the ticket is spent (a replay is refused, nothing stored).
    again = served.post("/signer/submit", body_for(ticket.ticket, STATEMENT, key))
    refused_with(again, "signer_unknown_ticket")
    stop()


def test_a_failing_listener_does_not_lose_the_phones_signature(
    served: SignerServer, key: nacl.signing.SigningKey
) -> None:
    def broken(signed: Signed) -> None:
        raise RuntimeError("the app's bug")

    stop = served.desk.listen(broken)
    ticket = served.desk.issue_signing(BRANCH, MEMBER, STATEMENT)
    try:
        answer = served.post("/signer/submit", body_for(ticket.ticket, STATEMENT, key))
    finally:
        stop()
    assert answer.status == 200, answer.body
    assert served.desk.take(ticket.ticket) is not None


def test_a_second_signature_for_a_ticket_already_signed_is_refused(
    served: SignerServer, key: nacl.signing.SigningKey
) -> None:
    ticket = served.desk.issue_signing(BRANCH, MEMBER, STATEMENT)
    assert served.post("/signer/submit", body_for(ticket.ticket, STATEMENT, key)).status == 200
    other = nacl.signing.SigningKey.generate()
    refused_with(
        served.post("/signer/submit", body_for(ticket.ticket, STATEMENT, other)),
        "signer_unknown_ticket",
    )
    signed = served.desk.take(ticket.ticket)
    assert signed is not None and signed.public_key == key.verify_key.encode()  # the first kept


def _bad_bodies(ticket: str, key: nacl.signing.SigningKey) -> dict[str, bytes]:
    good = body_for(ticket, STATEMENT, key)

    def with_(**changes: Any) -> bytes:
        return json.dumps({**good, **changes}).encode()

    sig = good["sig"]
    big = bytes(limits.SIGNER_STATEMENT_BYTES_MAX + 1)
    return {
        "not json": b"{ticket: nope",
        "not utf-8": b'{"ticket": "\xff"}',
        "an array": json.dumps([good]).encode(),
        "a field missing": json.dumps({k: v for k, v in good.items() if k != "pub"}).encode(),
        "a field more": with_(extra="x"),
        "a number": with_(ticket=12),
        "a short ticket": with_(ticket=ticket[:-1]),
        "a ticket not base64url": with_(ticket="*" * len(ticket)),
        "padded base64": with_(sig=sig + "=="),
        "standard base64": with_(sig=sig.replace("-", "+").replace("_", "/") + "+/"),
        "stray bits": with_(statement=good["statement"][:-1] + "B"),
        "a short signature": with_(sig=b64url(bytes(63))),
        "a long signature": with_(sig=b64url(bytes(65))),
        "an upper-case key": with_(pub=good["pub"].upper()),
        "a short key": with_(pub=good["pub"][:-2]),
        "a statement too big": with_(statement=b64url(big)),
        "a body too big": with_(statement="A" * limits.SIGNER_BODY_BYTES_MAX),
    }


@pytest.mark.parametrize("case", list(_bad_bodies("A" * 22, nacl.signing.SigningKey(bytes(32)))))
def test_malformed_bodies_are_refused_with_a_code_and_nothing_is_stored(
    served: SignerServer, key: nacl.signing.SigningKey, case: str
) -> None:
    ticket = served.desk.issue_signing(BRANCH, MEMBER, STATEMENT)
    body = _bad_bodies(ticket.ticket, key)[case]

    refused_with(served.post("/signer/submit", body), "signer_bad_input")

    assert served.desk.take(ticket.ticket) is None
    # The ticket is still open: the page's honest retry goes through.
    assert served.post("/signer/submit", body_for(ticket.ticket, STATEMENT, key)).status == 200


def test_a_refusal_carries_the_members_words_in_their_language(
    served: SignerServer, key: nacl.signing.SigningKey
) -> None:
    never = body_for(b64url(bytes(limits.SIGNER_TICKET_BYTES)), STATEMENT, key)
    for lang in (*i18n.LANGS, "xx"):
        answer = served.post(f"/signer/submit?lang={lang}", never)
        refused_with(answer, "signer_unknown_ticket")
        shown = lang if lang in i18n.LANGS else i18n.FALLBACK_LANG
        assert answer.json()["words"] == i18n.error_text(shown, "signer_unknown_ticket")


def test_a_body_declared_too_big_is_refused_before_it_is_read(served: SignerServer) -> None:
    big = b" " * (limits.SIGNER_BODY_BYTES_MAX + 1)
    refused_with(served.post("/signer/submit", big), "signer_bad_input")
    answer = served.request(
        "POST", "/signer/submit", b"{}", {"Content-Length": "2", "Content-Type": "text/plain"}
    )
    refused_with(answer, "signer_bad_input")


def test_signatures_that_do_not_verify_are_refused(
    served: SignerServer, key: nacl.signing.SigningKey
) -> None:
    ticket = served.desk.issue_signing(BRANCH, MEMBER, STATEMENT)
    other = nacl.signing.SigningKey.generate()
    good = body_for(ticket.ticket, STATEMENT, key)
    flipped = bytearray(from_b64url(good["sig"], "sig"))
    flipped[0] ^= 1
    tampered = STATEMENT.replace(b"500000", b"900000")
    cases = {
        "another key's signature": (
            {"sig": body_for(ticket.ticket, STATEMENT, other)["sig"]},
            "signer_bad_sig",
        ),
        "a flipped bit": ({"sig": b64url(bytes(flipped))}, "signer_bad_sig"),
        "another key named": ({"pub": other.verify_key.encode().hex()}, "signer_bad_sig"),
        "a key not on the curve": ({"pub": "ff" * 32}, "signer_bad_sig"),
        "a tampered statement": (
            body_for(ticket.ticket, tampered, key),
            "signer_statement_mismatch",
        ),
    }
    for what, (changes, code) in cases.items():
        answer = served.post("/signer/submit", {**good, **changes})
        assert answer.status == 400, what
        assert answer.json()["code"] == code, what
    assert served.desk.take(ticket.ticket) is None
    assert served.post("/signer/submit", good).status == 200


def test_expired_unknown_and_wrong_purpose_tickets_are_refused(
    served: SignerServer, key: nacl.signing.SigningKey
) -> None:
    never = b64url(bytes(limits.SIGNER_TICKET_BYTES))
    refused_with(
        served.post("/signer/submit", body_for(never, STATEMENT, key)), "signer_unknown_ticket"
    )

    late = served.desk.issue_signing(BRANCH, MEMBER, STATEMENT)
    served.clock.advance(limits.SIGNER_TICKET_TTL_MS)
    refused_with(
        served.post("/signer/submit", body_for(late.ticket, STATEMENT, key)),
        "signer_unknown_ticket",
    )

    enrol = served.desk.issue_enrolment(BRANCH, MEMBER)  # an enrolment ticket is not a consent
    refused_with(
        served.post("/signer/submit", body_for(enrol.ticket, enrol.statement, key)),
        "signer_unknown_ticket",
    )
    sign = served.desk.issue_signing(BRANCH, MEMBER, STATEMENT)  # nor the reverse
    refused_with(
        served.post("/signer/enrol-request", body_for(sign.ticket, STATEMENT, key)),
        "signer_unknown_ticket",
    )


def test_a_signature_not_taken_in_time_is_forgotten(
    served: SignerServer, key: nacl.signing.SigningKey
) -> None:
    ticket = served.desk.issue_signing(BRANCH, MEMBER, STATEMENT)
    assert served.post("/signer/submit", body_for(ticket.ticket, STATEMENT, key)).status == 200
    served.clock.advance(limits.SIGNER_SIGNED_KEEP_MS - 1)
    assert served.desk.waiting("sign")  # still there a moment before
    served.clock.advance(1)
    assert served.desk.take(ticket.ticket) is None


# --- keys offered for enrolment (pair mode) ------------------------------------------------


def test_a_key_is_offered_for_enrolment_with_the_challenge_signed(
    served: SignerServer, key: nacl.signing.SigningKey
) -> None:
    ticket = served.desk.issue_enrolment(BRANCH, MEMBER)
    assert json.loads(ticket.statement) == {
        "branch": BRANCH,
        "member": MEMBER,
        "ns": ENROL_NAMESPACE,
        "ticket": ticket.ticket,
    }
    assert ticket.statement == enrol_challenge(BRANCH, MEMBER, ticket.ticket)
    other_challenge = enrol_challenge(BRANCH, "M014", ticket.ticket)
    refused_with(
        served.post("/signer/enrol-request", body_for(ticket.ticket, other_challenge, key)),
        "signer_statement_mismatch",
    )

    answer = served.post("/signer/enrol-request", body_for(ticket.ticket, ticket.statement, key))

    assert answer.status == 200, answer.body
    offered = [s for s in served.desk.waiting(ENROL) if s.ticket == ticket.ticket]
    assert [(s.member_id, s.public_key) for s in offered] == [(MEMBER, key.verify_key.encode())]
    assert served.desk.take(ticket.ticket) == offered[0]
    assert all(s.ticket != ticket.ticket for s in served.desk.waiting(ENROL))


# --- tickets out ---------------------------------------------------------------------------


def test_the_page_url_carries_the_ticket_and_the_exact_statement() -> None:
    desk = SignerDesk(served_clock())
    ticket = desk.issue_signing(BRANCH, MEMBER, STATEMENT)
    url = urlsplit(desk.page_url(ticket, return_url="/me?signed=1"))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path == "/signer/"
    assert query["ticket"] == ticket.ticket and (query["branch"], query["member"]) == (
        BRANCH,
        MEMBER,
    )
    assert from_b64url(query["statement"], "statement") == STATEMENT
    assert query["return"] == "/me?signed=1" and "pair" not in query
    pairing = dict(parse_qs(urlsplit(desk.page_url(desk.issue_enrolment(BRANCH, MEMBER))).query))
    assert pairing["pair"] == ["1"]


_KB_PAST_THE_CAP = limits.SIGNER_STATEMENT_BYTES_MAX // 1024 + 1  # a string's own cap is less


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        (b'{"a": 1}', "not canonical (a space)"),
        (b"[1,2]", "not an object"),
        (b"\xff", "not UTF-8"),
        (canonical({f"x{i}": "y" * 1024 for i in range(_KB_PAST_THE_CAP)}), "too big"),
    ],
)
def test_the_app_cannot_issue_a_statement_the_page_would_not_show(
    statement: bytes, why: str
) -> None:
    desk = SignerDesk(served_clock())
    with pytest.raises(SignerRefused) as caught:
        desk.issue_signing(BRANCH, MEMBER, statement)
    assert caught.value.code == "signer_bad_input", why


def test_a_witness_of_the_most_feeds_a_log_may_name_fits_a_phones_statement() -> None:
    """A witness names every feed's head (witness_kinds.statement): at WITNESS_HEADS_MAX
    feeds, with the longest ids and seqs, the app may still ask a phone to sign it."""
    heads = [(f"{i:064x}", 2**53 - 1, "f" * 64) for i in range(WITNESS_HEADS_MAX)]
    most = wk.statement("f" * 32, "G" * ID_CHARS_MAX, 2**53 - 1, heads)
    assert len(most) <= limits.SIGNER_STATEMENT_BYTES_MAX
    SignerDesk(served_clock()).issue_signing(BRANCH, MEMBER, most)


@pytest.mark.parametrize(
    "name", ["", "M 013", "M013/../x", "x" * (limits.SIGNER_NAME_CHARS_MAX + 1)]
)
def test_names_outside_the_kernels_alphabet_are_refused(name: str) -> None:
    desk = SignerDesk(served_clock())
    for branch, member in ((name, MEMBER), (BRANCH, name)):
        with pytest.raises(SignerRefused) as caught:
            desk.issue_enrolment(branch, member)
        assert caught.value.code == "signer_bad_input"


def test_the_table_is_bounded_and_frees_as_tickets_expire() -> None:
    clock = served_clock()
    desk = SignerDesk(clock)
    for _ in range(limits.SIGNER_TICKETS_MAX):
        desk.issue_enrolment(BRANCH, MEMBER)
    with pytest.raises(SignerRefused) as caught:
        desk.issue_signing(BRANCH, MEMBER, STATEMENT)
    assert caught.value.code == "signer_full"
    clock.advance(limits.SIGNER_TICKET_TTL_MS)
    assert desk.issue_signing(BRANCH, MEMBER, STATEMENT).purpose == "sign"


def served_clock() -> Any:
    from tests.support.clock import FakeClock

    return FakeClock()


# --- the page and its files -----------------------------------------------------------------


def test_the_page_and_its_files_are_served_and_nothing_else(served: SignerServer) -> None:
    page = served.get("/signer/?pair=1&branch=b&member=m")
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert b'src="signer.js"' in page.body
    for name, media in PAGE_FILES.items():
        answer = served.get(f"/signer/{name}")
        assert answer.status == 200, name
        assert answer.headers["content-type"] == media, name
        assert answer.body == (SIGNER_DIR / name).read_bytes(), name
    for other in (
        "package.json",
        "package-lock.json",
        "vendor/SHA256SUMS",
        "../ui/signer.py",
        "nope.js",
    ):
        assert served.get(f"/signer/{other}").status == 404, other
    moved = served.get("/signer?pair=1&member=m")
    assert (moved.status, moved.headers["location"]) == (308, "/signer/?pair=1&member=m")
    assert served.get("/signer/submit").status in (404, 405)  # a POST only


def test_a_public_keys_qr_is_drawn_and_nothing_else(
    served: SignerServer, key: nacl.signing.SigningKey
) -> None:
    answer = served.get(f"/signer/qr.png?pub={key.verify_key.encode().hex()}")
    assert answer.status == 200 and answer.headers["content-type"] == "image/png"
    assert answer.body.startswith(b"\x89PNG\r\n\x1a\n")
    for bad in ("", "?pub=abc", "?pub=http://evil.example/"):
        refused_with(served.get(f"/signer/qr.png{bad}"), "signer_bad_input")


# --- the vendored library --------------------------------------------------------------------


def test_the_vendored_files_are_the_pinned_packages_unchanged() -> None:
    """vendor/SHA256SUMS was written when the files were copied out of the npm packages
    the lock pins (docs/member-keys.md says how to update them); an edit shows here."""
    vendor = SIGNER_DIR / "vendor"
    sums = (vendor / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    listed = {}
    for line in sums:
        digest, name = line.split("  ", 1)
        listed[name] = digest
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
    loaded = {n.removeprefix("vendor/") for n in PAGE_FILES if n.startswith("vendor/")}
    assert loaded <= set(listed)
    assert {"noble-ed25519/LICENSE", "noble-hashes/LICENSE"} <= set(listed)
    wanted = json.loads((SIGNER_DIR / "package.json").read_text())["dependencies"]
    lock = json.loads((SIGNER_DIR / "package-lock.json").read_text())["packages"]
    for name, version in wanted.items():
        pinned = lock[f"node_modules/{name}"]
        assert pinned["version"] == version and pinned["integrity"].startswith("sha512-")


def test_every_file_of_the_page_is_small() -> None:
    files = [p for p in SIGNER_DIR.rglob("*") if p.is_file()]
    assert files and all(p.stat().st_size < COMMITTED_MAX_BYTES for p in files)
    assert not any(part == "node_modules" for p in files for part in Path(p).parts)
