"""The reference verifier checks members' countersignatures (issue 15, point 2).

Two sides, as an auditor would meet them: the statement vectors
(`statement-v1-vectors.json`) rebuilt and verified without chitnode, and exports, built
here with `cryptography` (tamper.py) or written by a real chitnode node, in which each
countersignature problem is reported with its code and nothing else is.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chitnode.domain import chit_kinds_base as base
from chitnode.node.node import Node
from chitnode.services.archive import export_file
from tests.support.chit import GID, RUPEE, close_draw, four_friends, open_draw, pay_all
from tests.support.clock import FakeClock
from tests.support.driver import ChitDriver
from tests.vectors import tamper as t
from tests.vectors.member_entries import M1, M1_NEW, PHONE, foreman_writes, with_key

HERE = Path(__file__).resolve().parent
STATEMENTS = json.loads((HERE / "statement-v1-vectors.json").read_text(encoding="utf-8"))
rv = t.rv


def test_the_statement_vectors_rebuild_and_verify_without_chitnode() -> None:
    assert STATEMENTS["ns"] == rv.CONSENT_NS
    assert sorted(v["kind"] for v in STATEMENTS["vectors"]) == sorted(rv.CONSENTS)
    for case in STATEMENTS["vectors"]:
        statement = rv.consent_statement(case["kind"], case["body"], case["branch"])
        assert statement is not None and statement.hex() == case["statement_hex"]
        assert rv.ed25519_ok(case["member_key"], statement, case["sig"])
        seed = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(case["member_seed_hex"]))
        assert t.pub(seed) == case["member_key"]
        assert seed.sign(statement).hex() == case["sig"]  # Ed25519 is deterministic
        assert not rv.ed25519_ok(case["member_key"], statement + b" ", case["sig"])


# --------------------------------------------------------------------------- built exports

BID = {"group_id": GID, "month": 3, "ticket": 2, "discount_paise": 3_000 * RUPEE, "actor": "M1"}


def countersigned(body: dict[str, Any], kind: str, phone: Ed25519PrivateKey) -> dict[str, Any]:
    statement = rv.consent_statement(kind, body, t.BRANCH)
    assert statement is not None
    sig = {"key": t.pub(phone), "sig": phone.sign(statement).hex()}
    return {**body, "countersig": sig}


def problems(entries: list[t.Entry]) -> set[tuple[str, int | None, str | None]]:
    return t.reference_codes(t.build(entries))


def last_seq(entries: list[t.Entry]) -> int:
    return int(max(e["seq"] for e in entries if e["author"] == t.FOREMAN))


def test_a_valid_countersig_verifies_clean() -> None:
    bid = countersigned({**BID, "cmd_id": "b1"}, "auction.bid", PHONE["phone M1"])
    assert problems(foreman_writes(with_key(), "auction.bid", bid)) == set()


def test_a_member_without_a_key_consents_unsigned_as_before() -> None:
    assert problems(foreman_writes(t.base(), "auction.bid", {**BID, "cmd_id": "b1"})) == set()


def test_each_countersig_problem_is_reported_with_its_code() -> None:
    keyed = with_key()
    bid = {**BID, "cmd_id": "b1"}
    cases: dict[str, tuple[list[t.Entry], str]] = {}
    cases["missing"] = (foreman_writes(keyed, "auction.bid", bid), "countersig_missing")
    wrong = countersigned(bid, "auction.bid", PHONE["phone M2"])  # another member's phone
    cases["wrong key"] = (foreman_writes(keyed, "auction.bid", wrong), "countersig_bad")
    altered = {**countersigned(bid, "auction.bid", PHONE["phone M1"]), "discount_paise": 1}
    cases["altered"] = (foreman_writes(keyed, "auction.bid", altered), "countersig_bad")
    shape = {**bid, "countersig": {"key": M1, "sig": "00"}}
    cases["malformed"] = (foreman_writes(keyed, "auction.bid", shape), "countersig_bad")
    signed = countersigned(bid, "auction.bid", PHONE["phone M1"])
    no_key = foreman_writes(t.base(), "auction.bid", signed)  # nobody enrolled M1's key
    cases["no key"] = (no_key, "countersig_no_key")
    revoked = foreman_writes(keyed, "member.key_revoked", {"member_id": "M1", "key": M1})
    cases["revoked"] = (foreman_writes(revoked, "auction.bid", signed), "countersig_key_revoked")
    cases["revoked, unsigned"] = (foreman_writes(revoked, "auction.bid", bid), "countersig_no_key")
    renewed = foreman_writes(keyed, "member.key_enrolled", {"member_id": "M1", "key": M1_NEW})
    cases["replaced"] = (foreman_writes(renewed, "auction.bid", signed), "countersig_key_revoked")
    once = foreman_writes(keyed, "auction.bid", signed)
    cases["replayed"] = (foreman_writes(once, "auction.bid", signed), "countersig_replayed")
    for name, (entries, code) in cases.items():
        assert problems(entries) == {(code, last_seq(entries), t.FOREMAN)}, name


def test_a_consent_made_before_the_revocation_stays_valid() -> None:
    signed = countersigned({**BID, "cmd_id": "b1"}, "auction.bid", PHONE["phone M1"])
    made = foreman_writes(with_key(), "auction.bid", signed)
    later = foreman_writes(made, "member.key_revoked", {"member_id": "M1", "key": M1})
    renewed = foreman_writes(later, "member.key_enrolled", {"member_id": "M1", "key": M1_NEW})
    assert problems(renewed) == set()


def test_a_countersig_concurrent_with_the_revocation_is_a_note_not_a_problem() -> None:
    keyed = with_key()
    signed = countersigned({**BID, "cmd_id": "b1"}, "auction.bid", PHONE["phone M1"])
    revoked = foreman_writes(keyed, "member.key_revoked", {"member_id": "M1", "key": M1})
    root_bid = t.new_entry(revoked, t.ROOT_SK, "auction.bid", signed, deps=[(t.FOREMAN, 3)])
    report = rv.verify_report(t.build([*revoked, root_bid]))  # sees the enrolment, not the end
    assert report.sorted_problems() == []
    assert any("concurrent with the revocation" in note for note in report.notes)


# --------------------------------------------------------------------------- a real export


def phone_seed(member: str) -> bytes:
    return hashlib.sha256(f"real phone {member}".encode()).digest()


def sign_as(driver: ChitDriver, member: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the member's phone adds, signed with `cryptography`, never chitnode."""
    statement = rv.consent_statement(kind, body, driver.node.branch)
    assert statement is not None
    phone = Ed25519PrivateKey.from_private_bytes(phone_seed(member))
    return {**body, "countersig": {"key": t.pub(phone), "sig": phone.sign(statement).hex()}}


def test_an_export_of_a_real_node_verifies_and_a_forged_countersig_is_caught(
    fresh_node: Node, clock: FakeClock, tmp_path: Path
) -> None:
    four = four_friends(fresh_node, clock, 16)
    for member in ("M1", "M2", "M3", "M4"):
        key = t.pub(Ed25519PrivateKey.from_private_bytes(phone_seed(member)))
        four.submit("member.key_enrolled", {"member_id": member, "key": key})
    pay_all(four)
    month = open_draw(four, present=["M1", "M2", "M3", "M4"])
    bid = {"group_id": GID, "scope": f"group:{GID}", "month": month, "ticket": 2}
    bid = {**bid, "discount_paise": 3_000 * RUPEE, "actor": "M2", "cmd_id": "real-bid"}
    bid_seq = four.submit("auction.bid", sign_as(four, "M2", "auction.bid", bid)).seq
    winner = close_draw(four, month)["winner_member"]
    digest = base.minutes_hash(four.state, GID, month)
    attest = {"group_id": GID, "month": month, "minutes_hash": digest}
    four.submit("minutes.attested", {**attest, "attester": base.FOREMAN_ATTESTER})
    for member in sorted({winner, "M1", "M3"}):
        body = {**attest, "attester": member, "actor": member}
        four.submit("minutes.attested", sign_as(four, member, "minutes.attested", body))
    node = four.node
    path = tmp_path / "branch.chitlog"
    export_file(node, path)
    assert t.reference_codes(path.read_bytes()) == set()

    header, entries, _ = t.parse(path.read_bytes())
    t.add_secret(bytes(node.key))
    forged = dict(t.find(entries, node.public, bid_seq))
    stranger = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"foreman's own").digest())
    forged["body"] = sign_as(four, "M2", "auction.bid", bid)  # M2's signature, then a key swap
    forged["body"]["countersig"]["key"] = t.pub(stranger)
    relinked = t.relink(t.replace(entries, t.sign(forged)))
    data = t.seal_lines([t.canon(header), *(t.canon(e) for e in relinked)], t.SECRET[node.public])
    assert t.reference_codes(data) == {("countersig_bad", bid_seq, node.public)}


# --------------------------------------------------------------------------- the docs

DOC = (HERE.parents[1] / "docs" / "wal-format.md").read_text(encoding="utf-8")
SECTION = DOC[DOC.index("## 10. Member countersignatures") :]


def _blocks(text: str, lang: str) -> list[str]:
    parts = text.split("```")
    return [p[len(lang) :].strip("\n") for p in parts[1::2] if p.startswith(lang + "\n")]


def test_the_docs_worked_example_is_the_bid_vector() -> None:
    case = next(v for v in STATEMENTS["vectors"] if v["kind"] == "auction.bid")
    for value in (case["member_seed_hex"], case["member_key"], case["branch"]):
        assert value in SECTION
    plain = [b for b in _blocks(SECTION, "") if b and all(c in "0123456789abcdef\n" for c in b)]
    hexes = ["".join(b.split()) for b in plain]
    assert case["statement_hex"] in hexes and case["sig"] in hexes
    assert case["statement_text"].rstrip("\n") in _blocks(SECTION, "")
    assert json.loads(_blocks(SECTION, "json")[0]) == case["body"]


def test_the_docs_own_checker_accepts_a_real_countersig_and_refuses_a_changed_one() -> None:
    scope: dict[str, Any] = {}
    exec(_blocks(SECTION, "python")[0], scope)  # the auditor's snippet, as printed
    keyed = with_key()
    signed = countersigned({**BID, "cmd_id": "b1"}, "auction.bid", PHONE["phone M1"])
    entry = foreman_writes(keyed, "auction.bid", signed)[-1]
    scope["check"](t.canon(entry))
    changed = {**entry, "body": {**entry["body"], "discount_paise": 1}}
    with pytest.raises(InvalidSignature):
        scope["check"](t.canon(changed))
