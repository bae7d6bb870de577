"""A statement the phone completes (issue 15, the lot): the node issues a member's share
of a draw with its `contribution` blank, the phone fills in 32 bytes it drew itself, signs
the completed statement, and the SignerDesk accepts it only if nothing else changed.

The phone is played by a real Ed25519 key posting to the real desk's `accept` (the code
behind POST /signer/submit); the browser side is tests/system/test_lot_phones_browser.py.
"""

from __future__ import annotations

import json

import pytest
from nacl.signing import SigningKey

from chitnode.errors import ChitError
from chitnode.log.canonical import canonical, parse_canonical
from chitnode.log.statement import statement_for
from tests.support.clock import FakeClock
from ui.signer import FILL_BLANK, SIGN, SignerDesk, Ticket, b64url

BRANCH = "601d86286ef22c0e6f917f2cc45796e5"
SEED = bytes([0x42]) * 32
SHARE = "ab" * 32  # what a phone drew (made up for the test)
BODY = {"group_id": "G-2026-01", "month": 3, "actor": "M1", "contribution": FILL_BLANK}


def template() -> bytes:
    return statement_for("lot.contributed", BODY, BRANCH)


def filled(statement: bytes, **changes: object) -> bytes:
    return canonical({**parse_canonical(statement), **changes})


def post(ticket: Ticket, statement: bytes, seed: bytes = SEED) -> bytes:
    key = SigningKey(seed)
    return json.dumps(
        {
            "ticket": ticket.ticket,
            "statement": b64url(statement),
            "sig": b64url(key.sign(statement).signature),
            "pub": key.verify_key.encode().hex(),
        }
    ).encode()


@pytest.fixture
def desk() -> SignerDesk:
    return SignerDesk(FakeClock())


def test_the_phone_fills_the_share_and_the_desk_keeps_the_completed_statement(
    desk: SignerDesk,
) -> None:
    ticket = desk.issue_signing(BRANCH, "M1", template(), fills="contribution")
    assert "fill=contribution" in desk.page_url(ticket)
    done = filled(template(), contribution=SHARE)
    signed = desk.accept(post(ticket, done), SIGN)
    assert signed.statement == done
    # the statement the fold rebuilds from the entry the app writes is the one signed
    assert statement_for("lot.contributed", {**BODY, "contribution": SHARE}, BRANCH) == done


@pytest.mark.parametrize(
    "change",
    [
        {"contribution": FILL_BLANK},  # not filled: the node's blank signed as is
        {"contribution": "AB" * 32},  # not lower-case hex
        {"contribution": "ab" * 31},  # 31 bytes
        {"contribution": "ab" * 32, "month": 4},  # the share, and another month
        {"contribution": "ab" * 32, "actor": "M2"},  # the share, and another member
        {"contribution": "ab" * 32, "extra": 1},  # a field more
    ],
)
def test_anything_but_the_share_changed_is_refused_and_the_ticket_stays_open(
    desk: SignerDesk, change: dict[str, object]
) -> None:
    ticket = desk.issue_signing(BRANCH, "M1", template(), fills="contribution")
    with pytest.raises(ChitError) as refused:
        desk.accept(post(ticket, filled(template(), **change)), SIGN)
    assert refused.value.code == "signer_statement_mismatch"
    desk.accept(post(ticket, filled(template(), contribution=SHARE)), SIGN)  # honest retry


def test_a_ticket_without_fill_takes_no_completed_statement(desk: SignerDesk) -> None:
    ticket = desk.issue_signing(BRANCH, "M1", template())
    assert "fill=" not in desk.page_url(ticket)
    with pytest.raises(ChitError) as refused:
        desk.accept(post(ticket, filled(template(), contribution=SHARE)), SIGN)
    assert refused.value.code == "signer_statement_mismatch"


def test_only_a_blank_known_field_may_be_left_to_the_phone(desk: SignerDesk) -> None:
    done = filled(template(), contribution=SHARE)
    with pytest.raises(ChitError) as already:  # the node chose the bytes: not the phone's
        desk.issue_signing(BRANCH, "M1", done, fills="contribution")
    assert already.value.code == "signer_bad_input"
    with pytest.raises(ChitError) as unknown:
        desk.issue_signing(BRANCH, "M1", template(), fills="month")
    assert unknown.value.code == "signer_bad_input"
