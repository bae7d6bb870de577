"""Issue 15, point 2: a keyed member's consent needs the member's own signature.

Staff enrol the public key a member's phone made (`member.key_enrolled`) and revoke it
when the phone is lost (`member.key_revoked`). Once a member has a key, the fold refuses
that member's bids, attestations, signatures and lot contributions unless they carry a
valid countersignature by the current key: missing, by another key, by a revoked key or
replayed, each with its code. Members without a key fold as before (the switch-over is a
separate step). The members' seeds below are test keys made up for these tests.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from nacl.signing import SigningKey

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import member_keys as mk
from chitnode.domain.chit_rules import lot_commitment
from chitnode.log.statement import countersign
from chitnode.node.node import Node
from tests.support.chit import (
    GID,
    RUPEE,
    SUB,
    close_draw,
    decided_code,
    foreign,
    four_friends,
    open_draw,
    pay_all,
    refused,
    register,
    take_lease,
)
from tests.support.clock import FakeClock
from tests.support.driver import AUCTION_MS, ChitDriver


def seed(n: int) -> bytes:
    """A member phone's key seed, made up for the test (a phone draws 32 random bytes)."""
    return bytes([0x40 + n]) * 32


def public(n: int) -> str:
    return SigningKey(seed(n)).verify_key.encode().hex()


@pytest.fixture
def four(fresh_node: Node, clock: FakeClock) -> ChitDriver:
    """A running 4-ticket group (tickets M1..M4, signed before anyone had a key), the lease held."""
    return four_friends(fresh_node, clock, 15)


def enrol(driver: ChitDriver, member: str, n: int) -> None:
    driver.submit("member.key_enrolled", {"member_id": member, "key": public(n)})


def signed(driver: ChitDriver, kind: str, body: dict[str, Any], n: int) -> dict[str, Any]:
    """`body` with the countersignature of the phone whose seed is seed(n)."""
    return {**body, "countersig": countersign(seed(n), kind, body, driver.node.branch)}


def bid_body(driver: ChitDriver, month: int, ticket: int, rupees: int, cmd: str) -> dict[str, Any]:
    holder = driver.ticket(GID, ticket)["member_id"]
    return {
        "group_id": GID,
        "scope": f"group:{GID}",
        "month": month,
        "ticket": ticket,
        "discount_paise": rupees * RUPEE,
        "actor": holder,
        "cmd_id": cmd,
    }


def bids(driver: ChitDriver, month: int) -> list[dict[str, Any]]:
    row = driver.state.get(base.AUCTIONS, base.month_key(GID, month)) or {"bids": []}
    return list(row["bids"])


def test_enrolment_supersedes_and_revocation_ends_a_key(four: ChitDriver) -> None:
    enrol(four, "M1", 1)
    row = four.state.get(mk.MEMBER_KEYS, "M1")
    assert row is not None and row["key"] == public(1) and row["status"] == mk.ACTIVE
    enrol(four, "M1", 2)  # a new phone: the first key is superseded
    row = four.state.get(mk.MEMBER_KEYS, "M1")
    assert row is not None and row["key"] == public(2)
    assert [(h["key"], h["ended"]) for h in row["history"]] == [
        (public(1), mk.SUPERSEDED),
        (public(2), ""),
    ]
    body = {"member_id": "M2", "key": public(1)}
    assert refused(four, "member.key_enrolled", body) == "member_key_in_use"  # one member, ever
    assert refused(four, "member.key_enrolled", {**body, "member_id": "M9"}) == "unknown_member"
    bad = {**body, "key": public(3).upper()}
    assert refused(four, "member.key_enrolled", bad) == "bad_body"
    old = {"member_id": "M1", "key": public(1)}
    assert refused(four, "member.key_revoked", old) == "member_key_not_current"
    four.submit("member.key_revoked", {"member_id": "M1", "key": public(2)})
    row = four.state.get(mk.MEMBER_KEYS, "M1")
    assert row is not None and row["key"] is None and row["status"] == mk.REVOKED
    revoked = row["history"][1]
    assert (
        revoked["ended"] == mk.ENDED_REVOKED and revoked["ended_at"]["author"] == four.node.public
    )
    assert refused(four, "member.key_revoked", {**old, "key": public(2)}) == (
        "member_key_not_current"
    )


def test_a_keyed_members_bid_needs_their_own_signature(four: ChitDriver) -> None:
    enrol(four, "M2", 2)
    pay_all(four)
    month = open_draw(four)
    body = bid_body(four, month, 2, 3_000, "bid-1")
    assert refused(four, "auction.bid", body) == "countersig_missing"
    by_other = signed(four, "auction.bid", body, 3)  # a key nobody enrolled for M2
    assert refused(four, "auction.bid", by_other) == "countersig_bad"
    altered = {**signed(four, "auction.bid", body, 2), "discount_paise": 3_500 * RUPEE}
    assert refused(four, "auction.bid", altered) == "countersig_bad"  # not what M2 signed
    malformed = {**body, "countersig": {"key": public(2), "sig": "00"}}
    assert refused(four, "auction.bid", malformed) == "countersig_bad"
    no_nonce = {k: v for k, v in body.items() if k != "cmd_id"}
    sig = countersign(seed(2), "auction.bid", body, four.node.branch)
    assert refused(four, "auction.bid", {**no_nonce, "countersig": sig}) == "bad_body"
    assert bids(four, month) == []
    four.submit("auction.bid", signed(four, "auction.bid", body, 2))
    assert [b["ticket"] for b in bids(four, month)] == [2]
    assert len(four.state.rows(mk.COUNTERSIGS)) == 1


def test_a_replayed_signature_is_refused(four: ChitDriver) -> None:
    enrol(four, "M2", 2)
    pay_all(four)
    month = open_draw(four)
    first = signed(four, "auction.bid", bid_body(four, month, 2, 3_000, "bid-1"), 2)
    four.submit("auction.bid", first)
    assert refused(four, "auction.bid", first) == "countersig_replayed"  # the same signed bid


def test_members_without_a_key_are_not_held_to_it_yet(four: ChitDriver) -> None:
    pay_all(four)
    month = open_draw(four)
    body = bid_body(four, month, 1, 3_000, "bid-1")
    with_sig = signed(four, "auction.bid", body, 1)  # M1 has no enrolled key to check it by
    assert refused(four, "auction.bid", with_sig) == "countersig_no_key"
    four.submit("auction.bid", body)  # unsigned, as before member keys
    assert [b["ticket"] for b in bids(four, month)] == [1]
    assert four.state.rows(mk.COUNTERSIGS) == {}


def test_a_revoked_key_no_longer_signs_but_its_old_consents_stand(four: ChitDriver) -> None:
    enrol(four, "M2", 2)
    pay_all(four)
    month = open_draw(four)
    four.submit("auction.bid", signed(four, "auction.bid", bid_body(four, month, 2, 2_000, "a"), 2))
    four.submit("member.key_revoked", {"member_id": "M2", "key": public(2)})  # phone lost
    later = bid_body(four, month, 2, 3_000, "b")
    assert refused(four, "auction.bid", signed(four, "auction.bid", later, 2)) == (
        "countersig_key_revoked"
    )
    assert refused(four, "auction.bid", later) == "countersig_no_key"  # not a way around it
    enrol(four, "M2", 5)  # re-paired: a new phone, a new key
    assert refused(four, "auction.bid", signed(four, "auction.bid", later, 2)) == (
        "countersig_key_revoked"
    )
    four.submit("auction.bid", signed(four, "auction.bid", later, 5))
    assert [b["discount_paise"] for b in bids(four, month)] == [2_000 * RUPEE, 3_000 * RUPEE]
    before = four.node.engine.digest()
    four.node.engine.rebuild()  # the bid made before the revocation still folds as applied
    assert four.node.engine.digest() == before


def test_a_keyed_member_signs_the_agreement_from_the_phone(four: ChitDriver) -> None:
    four.register("M5", "Member M5")
    enrol(four, "M5", 5)
    four.create_group("G2", "Two", 2 * SUB, 2)
    four.assign("G2", ["M1", "M5"])
    digest = four.publish("G2")
    body = {"group_id": "G2", "member_id": "M5", "terms_hash": digest, "actor": "M5"}
    assert refused(four, "agreement.signed", body) == "countersig_missing"
    four.submit("agreement.signed", signed(four, "agreement.signed", body, 5))
    assert refused(four, "agreement.signed", signed(four, "agreement.signed", body, 5)) == (
        "countersig_replayed"
    )
    row = four.state.get(base.SIGNATURES, "G2|M5")
    assert row is not None and row["terms_hash"] == digest


def test_forged_minutes_from_a_staff_node_are_refused(four: ChitDriver) -> None:
    """The chit law issue's forged minutes: a staff device attests in members' names.
    With keys on the members' phones it no longer completes the minutes."""
    for n, member in enumerate(("M1", "M2", "M3", "M4"), start=1):
        enrol(four, member, n)
    pay_all(four)
    month = open_draw(four, present=["M1", "M2", "M3"])
    assert close_draw(four, month)["by_lot"]
    winner = four.settlement(GID, month)["winner_member"]
    digest = base.minutes_hash(four.state, GID, month)
    attest = {"group_id": GID, "month": month, "minutes_hash": digest}
    four.submit("minutes.attested", {**attest, "attester": base.FOREMAN_ATTESTER})
    others = [m for m in ("M1", "M2", "M3", "M4") if m != winner][:2]
    staff_seed = bytes([len("employee")]) * 32  # the key tests.support.chit.foreign signs with
    for member in [winner, *others]:
        forged = {**attest, "attester": member, "actor": member}
        entry = foreign(four, "employee", "minutes.attested", forged)
        assert decided_code(four, entry) == "countersig_missing"
        assert refused(four, "minutes.attested", forged) == "countersig_missing"
        # signed for real, but by the staff device's own key: not the member's
        staff_sig = countersign(staff_seed, "minutes.attested", forged, four.node.branch)
        assert staff_sig["key"] == entry.author
        by_staff = {**forged, "countersig": staff_sig}
        assert refused(four, "minutes.attested", by_staff) == "countersig_bad"
    minutes = four.state.get(base.MINUTES, base.month_key(GID, month)) or {}
    assert minutes["attesters"] == [base.FOREMAN_ATTESTER] and not minutes["complete"]
    scoped = {"group_id": GID, "scope": f"group:{GID}", "month": month}
    assert refused(four, "prize.paid", scoped) == "minutes_incomplete"
    numbers = {"M1": 1, "M2": 2, "M3": 3, "M4": 4}
    for member in [winner, *others]:  # the members, on their own phones
        own = {**attest, "attester": member, "actor": member}
        four.submit("minutes.attested", signed(four, "minutes.attested", own, numbers[member]))
    minutes = four.state.get(base.MINUTES, base.month_key(GID, month)) or {}
    assert minutes["complete"]


def test_a_countersig_only_sits_on_a_members_consent(four: ChitDriver) -> None:
    enrol(four, "M1", 1)
    sig = {"key": public(1), "sig": "0" * 128}
    register_body = {"member_id": "M7", "name": "Member M7", "countersig": sig}
    assert refused(four, "member.registered", register_body) == "bad_body"
    pay_all(four)
    month = open_draw(four)
    close_draw(four, month)
    digest = base.minutes_hash(four.state, GID, month)
    foreman = {"group_id": GID, "month": month, "minutes_hash": digest, "attester": "foreman"}
    assert refused(four, "minutes.attested", {**foreman, "countersig": sig}) == "bad_body"
    assert refused(four, "minutes.attested", {**foreman, "countersig": "x"}) == "countersig_bad"


def test_a_keyed_members_lot_contribution_is_signed_from_the_phone(
    fresh_node: Node, clock: FakeClock
) -> None:
    """Lot v2 (commit-reveal): a present member's contribution to the draw is their act."""
    driver = _draw_taking_shares(fresh_node, clock)
    body = {"group_id": GID, "month": 1, "contribution": "c1" * 32, "actor": "M1"}
    assert refused(driver, "lot.contributed", body) == "countersig_missing"
    unkeyed = {**body, "contribution": "c2" * 32, "actor": "M2"}  # M2 has no key yet
    driver.submit("lot.contributed", unkeyed)  # written at the table, before any phone's
    driver.submit("lot.contributed", signed(driver, "lot.contributed", body, 1))
    auction = driver.state.get(base.AUCTIONS, base.month_key(GID, 1)) or {}
    assert [c["member"] for c in auction["lot"]["contributions"]] == ["M2", "M1"]
    assert [c["own_device"] for c in auction["lot"]["contributions"]] == [False, True]


def test_after_a_phone_signed_share_the_table_adds_no_unsigned_one(
    fresh_node: Node, clock: FakeClock
) -> None:
    """A share signed on a member's phone counts as the member's own, wherever it was
    written: after it the holder, who knows its secret, may not add an unsigned share it
    could grind until its favourite wins (docs/chit-rules.md, "What the holder can still
    do")."""
    driver = _draw_taking_shares(fresh_node, clock)
    body = {"group_id": GID, "month": 1, "contribution": "c1" * 32, "actor": "M1"}
    driver.submit("lot.contributed", signed(driver, "lot.contributed", body, 1))
    unkeyed = {**body, "contribution": "c2" * 32, "actor": "M2"}
    assert refused(driver, "lot.contributed", unkeyed) == "contributions_sealed"


def _draw_taking_shares(node: Node, clock: FakeClock) -> ChitDriver:
    """A lot v2 group of four, M1 keyed, month 1's draw open with M1 and M2 present and
    its countdown over: it takes shares."""
    driver = ChitDriver(node, clock, random.Random(17))
    rules = {"state": "Karnataka", "discount_ceiling_bps": 4_000, "source": "test: 40%"}
    driver.submit("branch.chit_rules_set", rules)
    driver.form_group(GID, "Four friends", 4 * SUB, register(driver, 4))
    take_lease(driver)
    enrol(driver, "M1", 1)
    pay_all(driver)
    opened = {"group_id": GID, "scope": f"group:{GID}", "month": 1, "present": ["M1", "M2"]}
    opened = {**opened, "foreman_present": True, "duration_ms": AUCTION_MS}
    driver.submit("auction.opened", {**opened, "lot_commit": lot_commitment("5e" * 32)})
    driver.clock.advance(AUCTION_MS)
    return driver
