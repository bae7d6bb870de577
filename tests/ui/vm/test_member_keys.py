"""The member-keys view-models (issue 15) over a real demo branch and a real SignerDesk:
fingerprints as the page shows keys, the staff's list of keys offered, enrolment and
revocation commands the kernel applies, and a consent body that the fold accepts with the
member's countersignature (and refuses without it once the member has a key)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from chitnode.domain import chit_kinds_base as base
from chitnode.errors import ChitError
from chitnode.log.statement import signature_ok
from chitnode.node.node import Node
from chitnode.services.demo import build_demo
from tests.support.clock import FakeClock
from ui.backend import reading_of
from ui.gate import MEMBER, Who, check
from ui.signer import ENROL, SignerDesk, b64url
from ui.vm import member as member_vm
from ui.vm import member_keys as vm

FORMING = "MNG-2026-06"  # the demo's group still signing its agreement
DEMO_SEED = 2026


def phone_seed(n: int) -> bytes:
    """A phone's key seed, made up for the test (the page draws 32 random bytes)."""
    return bytes([0x50 + n]) * 32


def answer(ticket: Any, seed: bytes) -> bytes:
    """The POST body the signing page sends for `ticket`, signed with `seed`."""
    key = SigningKey(seed)
    return json.dumps(
        {
            "ticket": ticket.ticket,
            "statement": b64url(ticket.statement),
            "sig": b64url(key.sign(ticket.statement).signature),
            "pub": key.verify_key.encode().hex(),
        }
    ).encode()


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Node, FakeClock, Path]:
    folder = tmp_path / "node"
    clock = FakeClock()
    node = Node.init(folder, "Demo", clock=clock)
    build_demo(node, clock, random.Random(DEMO_SEED))
    return node, clock, folder


def unsigned_member(node: Node) -> str:
    state = node.engine.state
    group = base.group_row(state, FORMING)
    return sorted(
        m for m in base.holders(state, group) if not state.get(base.SIGNATURES, f"{FORMING}|{m}")
    )[0]


def test_fingerprint_is_the_pages_first_groups() -> None:
    key = "0123456789abcdef" * 4
    assert vm.fingerprint(key) == "01234567 89abcdef 01234567 89abcdef"
    assert vm.fingerprint("") == ""


def test_an_offered_key_is_listed_enrolled_and_revoked(demo: tuple[Node, FakeClock, Path]) -> None:
    node, clock, folder = demo
    mid = unsigned_member(node)
    desk = SignerDesk(clock)
    assert vm.my_key(reading_of(node, folder), mid).status == vm.NO_KEY
    ticket = desk.issue_enrolment(node.branch, mid)
    desk.accept(answer(ticket, phone_seed(1)), ENROL)
    stranger = desk.issue_enrolment("another-branch", mid)  # not this branch's: not listed
    desk.accept(answer(stranger, phone_seed(2)), ENROL)
    listed = vm.keys_desk(reading_of(node, folder), desk.waiting(ENROL))
    pub = SigningKey(phone_seed(1)).verify_key.encode().hex()
    [offer] = listed.offers
    assert (offer.member_id, offer.key, offer.replaces) == (mid, pub, "")
    assert offer.fingerprint == vm.fingerprint(pub) and offer.name
    assert listed.enrolled == ()
    node.submit(*vm.enrol_command(offer))
    mine = vm.my_key(reading_of(node, folder), mid)
    assert mine.status == vm.ACTIVE and mine.signs and mine.fingerprint == offer.fingerprint
    after = vm.keys_desk(reading_of(node, folder), desk.waiting(ENROL))
    assert after.offers == ()  # an enrolled key is no longer offered
    [line] = after.enrolled
    assert (line.member_id, line.key, line.status) == (mid, pub, vm.ACTIVE)
    node.submit(*vm.revoke_command(line))
    assert vm.my_key(reading_of(node, folder), mid).status == vm.REVOKED
    assert vm.current_key(node.engine.state, mid) is None


def test_a_keyed_members_agreement_folds_with_the_phones_signature(
    demo: tuple[Node, FakeClock, Path],
) -> None:
    node, clock, _ = demo
    mid = unsigned_member(node)
    seed = phone_seed(3)
    pub = SigningKey(seed).verify_key.encode().hex()
    node.submit("member.key_enrolled", {"member_id": mid, "key": pub})
    [item] = [a for a in member_vm.agreements_to_sign(node.engine.state, mid)]
    kind, body = member_vm.sign_command(mid, item)
    stamped = vm.to_sign(kind, check(Who(MEMBER, mid), kind, body), "sign-1")
    assert "cmd_id" not in stamped  # only a bid's statement signs its command id
    with pytest.raises(ChitError) as refused:  # a keyed member's consent needs the phone
        node.submit(kind, stamped, "unsigned")
    assert refused.value.code == "countersig_missing"
    desk = SignerDesk(clock)
    ticket = desk.issue_signing(node.branch, mid, vm.statement(kind, stamped, node.branch))
    signed = desk.accept(answer(ticket, seed), "sign")
    body_signed = vm.countersigned(stamped, signed)
    receipt = node.submit(kind, body_signed, "sign-1")
    assert receipt.status == "applied"
    entry = node.store.entry_at(node.public, receipt.seq)
    assert entry is not None
    sig = entry.body["countersig"]
    assert sig["key"] == pub
    assert signature_ok(pub, vm.statement(kind, entry.body, entry.branch), sig["sig"])


def test_a_bids_statement_signs_its_command_id_and_a_non_consent_has_none() -> None:
    body = {"group_id": "G", "month": 3, "ticket": 2, "discount_paise": 500, "actor": "M1"}
    nonced = vm.to_sign("auction.bid", body, "bid-abc")
    assert nonced["cmd_id"] == "bid-abc" and "cmd_id" not in body
    one = vm.statement("auction.bid", nonced, "B")
    other = vm.statement("auction.bid", vm.to_sign("auction.bid", body, "bid-abd"), "B")
    assert one != other  # the same offer made twice is two statements
    with pytest.raises(ChitError) as refused:
        vm.statement("loan.applied", {"member_id": "M1"}, "B")
    assert refused.value.code == "bad_body"
