"""Issue 15, gap 2: groups whose members consent only by their own signature.

A group formed with the term `consent: "signed.v1"` (asked for in its `group.created`, or
by default once the branch admin has recorded `branch.consent_rule_set`) takes no
member's consent, keyed or not, without the member's countersignature: unkeyed members
are refused `countersig_no_key` (pair the phone first), keyed ones `countersig_missing`.
Groups formed before keep folding as they did, and nothing turns the term off. The
members' seeds are test keys made up here.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import member_keys as mk
from chitnode.domain.chit_kinds_auction import LOT_V2
from chitnode.domain.chit_rules import lot_commitment
from chitnode.errors import ChitError
from chitnode.log.statement import countersign
from chitnode.node.node import Node
from chitnode.services.archive import export_file
from tests.support.chit import (
    GID,
    RUPEE,
    SUB,
    close_draw,
    decided_code,
    foreign,
    four_friends,
    pay_all,
    refused,
    register,
    scope,
    take_lease,
)
from tests.support.clock import FakeClock
from tests.support.driver import AUCTION_MS, ChitDriver
from tests.vectors import tamper

MEMBERS = ("M1", "M2", "M3", "M4")
SIGNED_RULE = {"consent": mk.CONSENT_SIGNED}
GROUP_TERMS = {
    "chit_value_paise": 4 * SUB,
    "commission_bps": 500,
    "max_discount_bps": 4000,
    "months": 4,
    "name": "Off",
    "tickets": 4,
}
CHIT_RULES = {"state": "Karnataka", "discount_ceiling_bps": 4_000, "source": "test: 40%"}


def seed(member: str) -> bytes:
    """A member phone's key seed, made up for the test (a phone draws 32 random bytes)."""
    return hashlib.sha256(f"signed-consent phone {member}".encode()).digest()


def enrol(driver: ChitDriver, member: str) -> None:
    key = SigningKey(seed(member)).verify_key.encode().hex()
    driver.submit("member.key_enrolled", {"member_id": member, "key": key})


def signed(driver: ChitDriver, member: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "countersig": countersign(seed(member), kind, body, driver.node.branch)}


def form_signed_group(driver: ChitDriver, holders: list[str], **terms: Any) -> None:
    """Create, assign, publish, every holder signs on their phone, start."""
    driver.create_group(GID, "Signed four", len(holders) * SUB, len(holders), **terms)
    driver.assign(GID, holders)
    digest = driver.publish(GID)
    for member in holders:
        body = {"group_id": GID, "member_id": member, "terms_hash": digest, "actor": member}
        driver.submit("agreement.signed", signed(driver, member, "agreement.signed", body))
    driver.submit("group.started", {"group_id": GID})


@pytest.fixture
def branch(fresh_node: Node, clock: FakeClock) -> ChitDriver:
    """A branch with lot v2 rules and members M1..M4 (no keys yet), M5 registered too."""
    driver = ChitDriver(fresh_node, clock, random.Random(29))
    driver.submit("branch.chit_rules_set", CHIT_RULES)
    register(driver, 5)
    return driver


@pytest.fixture
def signed_four(branch: ChitDriver) -> ChitDriver:
    """The branch admin turns signed consent on; a 4-ticket group formed after it, every
    holder's phone paired; M5 has no key and no ticket. The lease is held."""
    branch.submit("branch.consent_rule_set", SIGNED_RULE)
    for member in MEMBERS:
        enrol(branch, member)
    form_signed_group(branch, list(MEMBERS))  # the body says nothing: the branch default
    take_lease(branch)
    return branch


def opened(driver: ChitDriver, present: list[str]) -> int:
    """Month 1 opened with a lot commitment (lot v2), its countdown over."""
    pay_all(driver)
    body = {**scope(), "month": 1, "present": present, "foreman_present": True}
    body = {**body, "duration_ms": AUCTION_MS, "lot_commit": lot_commitment("5e" * 32)}
    driver.present[(GID, 1)] = present
    driver.submit("auction.opened", body)
    return 1


def bid(member: str, ticket: int, cmd: str) -> dict[str, Any]:
    body = {**scope(), "month": 1, "ticket": ticket, "discount_paise": 3_000 * RUPEE}
    return {**body, "actor": member, "cmd_id": cmd}


# --- forming ---------------------------------------------------------------------------------


def test_the_branch_setting_makes_new_groups_signed_and_the_agreement_says_so(
    branch: ChitDriver,
) -> None:
    branch.create_group("OLD", "Before", 4 * SUB, 4)
    old = branch.group("OLD")
    old_hash = base.terms_hash(old)
    assert "consent" not in old and not mk.signed_group(old)
    assert "consent" not in base.agreement_document(old)
    branch.submit("branch.consent_rule_set", SIGNED_RULE)
    assert mk.branch_requires_signed(branch.state)
    branch.create_group("NEW", "After", 4 * SUB, 4)
    new = branch.group("NEW")
    assert new["consent"] == mk.CONSENT_SIGNED and new["lot"] == LOT_V2
    assert base.agreement_document(new)["consent"] == mk.CONSENT_SIGNED  # members sign it
    assert base.terms_hash(branch.group("OLD")) == old_hash  # the older group is untouched
    assert "consent" not in branch.group("OLD")


def test_a_foreman_may_ask_for_signed_consent_before_the_branch_does(branch: ChitDriver) -> None:
    assert not mk.branch_requires_signed(branch.state)
    branch.create_group("OPT", "Opted in", 4 * SUB, 4, consent=mk.CONSENT_SIGNED)
    assert mk.signed_group(branch.group("OPT"))
    branch.create_group("PLAIN", "As before", 4 * SUB, 4)
    assert not mk.signed_group(branch.group("PLAIN"))


# --- the rule in a signed group ------------------------------------------------------------


def test_a_signed_group_refuses_an_unsigned_agreement_keyed_or_not(branch: ChitDriver) -> None:
    branch.submit("branch.consent_rule_set", SIGNED_RULE)
    enrol(branch, "M1")  # M1's phone is paired, M2's is not
    branch.create_group(GID, "Signed", 2 * SUB, 2)
    branch.assign(GID, ["M1", "M2"])
    digest = branch.publish(GID)
    for member, code in (("M1", "countersig_missing"), ("M2", "countersig_no_key")):
        body = {"group_id": GID, "member_id": member, "terms_hash": digest, "actor": member}
        assert refused(branch, "agreement.signed", body) == code
        entry = foreign(branch, "employee", "agreement.signed", body)  # a staff laptop too
        assert decided_code(branch, entry) == code
    m2 = {"group_id": GID, "member_id": "M2", "terms_hash": digest, "actor": "M2"}
    assert refused(branch, "agreement.signed", signed(branch, "M2", "agreement.signed", m2)) == (
        "countersig_no_key"  # a signature nobody enrolled proves nothing
    )
    with pytest.raises(ChitError) as info:
        branch.node.submit("agreement.signed", m2)
    assert "pair the member's phone" in info.value.message  # the words tell staff what to do
    enrol(branch, "M2")
    branch.submit("agreement.signed", signed(branch, "M2", "agreement.signed", m2))
    assert branch.state.get(base.SIGNATURES, f"{GID}|M2") is not None


def test_a_signed_group_refuses_unsigned_bids_of_keyed_and_unkeyed_members(
    signed_four: ChitDriver,
) -> None:
    opened(signed_four, list(MEMBERS))  # the countdown runs: bidding
    assert refused(signed_four, "auction.bid", bid("M2", 2, "b1")) == "countersig_missing"
    assert refused(signed_four, "auction.bid", bid("M5", 2, "b2")) == "countersig_no_key"
    signed_four.submit("auction.bid", signed(signed_four, "M2", "auction.bid", bid("M2", 2, "b1")))
    row = signed_four.state.get(base.AUCTIONS, base.month_key(GID, 1)) or {}
    assert [b["ticket"] for b in row["bids"]] == [2]


def test_a_signed_group_refuses_unsigned_lot_contributions_and_attestations(
    signed_four: ChitDriver,
) -> None:
    month = opened(signed_four, ["M1", "M2", "M3"])
    signed_four.clock.advance(AUCTION_MS)
    lot = {"group_id": GID, "month": month, "contribution": "c1" * 32, "actor": "M1"}
    assert refused(signed_four, "lot.contributed", lot) == "countersig_missing"
    unkeyed = {**lot, "contribution": "c5" * 32, "actor": "M5"}
    assert refused(signed_four, "lot.contributed", unkeyed) == "countersig_no_key"
    signed_four.submit("lot.contributed", signed(signed_four, "M1", "lot.contributed", lot))
    signed_four.submit("auction.closed", {**scope(), "month": month})
    signed_four.submit("lot.revealed", {**scope(), "month": month, "secret": "5e" * 32})
    digest = base.minutes_hash(signed_four.state, GID, month)
    attest = {"group_id": GID, "month": month, "minutes_hash": digest}
    signed_four.submit("minutes.attested", {**attest, "attester": base.FOREMAN_ATTESTER})
    for member, code in (("M3", "countersig_missing"), ("M5", "countersig_no_key")):
        body = {**attest, "attester": member, "actor": member}
        assert refused(signed_four, "minutes.attested", body) == code
    m3 = {**attest, "attester": "M3", "actor": "M3"}
    signed_four.submit("minutes.attested", signed(signed_four, "M3", "minutes.attested", m3))
    minutes = signed_four.state.get(base.MINUTES, base.month_key(GID, month)) or {}
    assert "M3" in minutes["attesters"]


# --- older groups, and no way back -----------------------------------------------------------


def test_an_older_group_folds_as_before_after_the_branch_turns_signing_on(
    fresh_node: Node, clock: FakeClock
) -> None:
    four = four_friends(fresh_node, clock, 31)  # formed unsigned, nobody has a key
    four.submit("branch.consent_rule_set", SIGNED_RULE)
    assert not mk.signed_group(four.group(GID))
    pay_all(four)
    month = four.group(GID)["settled"] + 1
    four.present[(GID, month)] = list(MEMBERS)
    body = {**scope(), "month": month, "present": list(MEMBERS), "foreman_present": True}
    four.submit("auction.opened", {**body, "duration_ms": AUCTION_MS})
    unsigned = {**scope(), "month": month, "ticket": 1, "discount_paise": 3_000 * RUPEE}
    four.submit("auction.bid", {**unsigned, "actor": "M1"})  # as before member keys
    close_draw(four, month)
    assert four.state.rows(mk.COUNTERSIGS) == {}
    before = four.node.engine.digest()
    four.node.engine.rebuild()
    assert four.node.engine.digest() == before


def test_signed_consent_cannot_be_switched_back(signed_four: ChitDriver) -> None:
    first = signed_four.state.get(mk.CONSENT_RULE, "branch")
    for value in ("unsigned", "none", "", None, "signed.v0"):
        assert refused(signed_four, "branch.consent_rule_set", {"consent": value}) == "bad_variant"
        body = {**GROUP_TERMS, "group_id": "G-OFF", "consent": value}
        assert refused(signed_four, "group.created", body) == "bad_variant"
    assert refused(signed_four, "branch.consent_rule_set", {}) == "bad_body"
    foreman = foreign(signed_four, "foreman", "branch.consent_rule_set", SIGNED_RULE)
    assert decided_code(signed_four, foreman) == "unauthorised"  # the branch admin's alone
    signed_four.submit("branch.consent_rule_set", SIGNED_RULE)  # again: the first stands
    assert signed_four.state.get(mk.CONSENT_RULE, "branch") == first
    assert signed_four.group(GID)["consent"] == mk.CONSENT_SIGNED  # through the start, too


# --- the auditor ----------------------------------------------------------------------------


def test_an_export_of_a_signed_group_verifies_with_the_reference_verifier(
    signed_four: ChitDriver, tmp_path: Path
) -> None:
    month = opened(signed_four, ["M1", "M2", "M3"])
    signed_four.submit("auction.bid", signed(signed_four, "M2", "auction.bid", bid("M2", 2, "b")))
    signed_four.clock.advance(AUCTION_MS)
    signed_four.submit("auction.closed", {**scope(), "month": month})
    digest = base.minutes_hash(signed_four.state, GID, month)
    attest = {"group_id": GID, "month": month, "minutes_hash": digest}
    signed_four.submit("minutes.attested", {**attest, "attester": base.FOREMAN_ATTESTER})
    for member in ("M1", "M2", "M3"):
        body = signed(signed_four, member, "minutes.attested", {**attest, "attester": member})
        signed_four.submit("minutes.attested", {**body, "actor": member})
    assert len(signed_four.state.rows(mk.COUNTERSIGS)) == 4 + 1 + 3  # agreements, bid, minutes
    path = tmp_path / "signed.chitlog"
    export_file(signed_four.node, path)
    assert tamper.reference_codes(path.read_bytes()) == set()


def test_the_reference_verifier_catches_an_unkeyed_members_unsigned_consent(
    branch: ChitDriver, tmp_path: Path
) -> None:
    """A staff laptop writes an unkeyed member's agreement unsigned in a signed group: the
    fold refuses it, and an auditor's own verifier reports it from the export alone."""
    for gid, consent in (("SIGNED", {"consent": mk.CONSENT_SIGNED}), ("OLD", {})):
        branch.create_group(gid, gid.title(), 2 * SUB, 2, **consent)
        branch.assign(gid, ["M1", "M2"])
        branch.publish(gid)
    digest = branch.group("SIGNED")["agreement_hash"]
    body = {"group_id": "SIGNED", "member_id": "M2", "terms_hash": digest, "actor": "M2"}
    entry = foreign(branch, "employee", "agreement.signed", body)
    branch.node.ingest([entry])
    assert branch.state.get(base.SIGNATURES, "SIGNED|M2") is None  # refused by the fold
    old = {**body, "group_id": "OLD", "terms_hash": branch.group("OLD")["agreement_hash"]}
    branch.submit("agreement.signed", old)  # the older-style group: unsigned, as before
    path = tmp_path / "forged.chitlog"
    export_file(branch.node, path)
    assert tamper.reference_codes(path.read_bytes()) == {
        ("countersig_no_key", entry.seq, entry.author)
    }
