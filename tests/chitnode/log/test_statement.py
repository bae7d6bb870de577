"""The statement bytes a member signs (issue 15; docs/wal-format.md "Member countersignatures").

The vectors in tests/vectors/statement-v1-vectors.json fix the bytes: chitnode must
rebuild each statement and signature exactly (the reference verifier checks the same
file without chitnode, tests/vectors/test_countersig_verifier.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chitnode.errors import RuleViolation
from chitnode.log.canonical import parse_canonical
from chitnode.log.statement import (
    CONSENT_FIELDS,
    NAMESPACE,
    consent_member,
    countersig_of,
    countersign,
    signature_ok,
    statement_for,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "statement-v1-vectors.json"
DOC = json.loads(VECTORS.read_text(encoding="utf-8"))
CASES = DOC["vectors"]


@pytest.mark.parametrize("case", CASES, ids=[c["kind"] for c in CASES])
def test_the_vectors_statement_and_signature_are_rebuilt_exactly(case: dict[str, Any]) -> None:
    statement = statement_for(case["kind"], case["body"], case["branch"])
    assert statement.hex() == case["statement_hex"]
    assert statement.decode("utf-8") == case["statement_text"]
    made = countersign(
        bytes.fromhex(case["member_seed_hex"]), case["kind"], case["body"], case["branch"]
    )
    assert made == {"key": case["member_key"], "sig": case["sig"]}  # Ed25519 is deterministic
    assert signature_ok(case["member_key"], statement, case["sig"])


def test_every_consent_kind_has_a_vector_and_the_namespace_is_the_documented_one() -> None:
    assert sorted(c["kind"] for c in CASES) == sorted(CONSENT_FIELDS)
    assert DOC["ns"] == NAMESPACE == "chitnode.consent.v1"


@pytest.mark.parametrize("case", CASES, ids=[c["kind"] for c in CASES])
def test_a_statement_is_the_canonical_json_of_its_frame_and_exactly_the_signed_fields(
    case: dict[str, Any],
) -> None:
    statement = statement_for(case["kind"], case["body"], case["branch"])
    signed = parse_canonical(statement)  # canonical JSON (what the phone shows), or it raises
    fields = CONSENT_FIELDS[case["kind"]]
    assert signed == {
        "ns": NAMESPACE,
        "branch": case["branch"],
        "kind": case["kind"],
        "member": "M1",  # the phone refuses a statement naming another member
        **{f: case["body"][f] for f in fields},
    }


@pytest.mark.parametrize("case", CASES, ids=[c["kind"] for c in CASES])
def test_changing_any_signed_field_changes_the_statement_and_breaks_the_signature(
    case: dict[str, Any],
) -> None:
    kind, body, branch = case["kind"], case["body"], case["branch"]
    for field in CONSENT_FIELDS[kind]:
        value = body[field]
        other = (
            value + 1 if isinstance(value, int) else value[:-1] + ("0" if value[-1] != "0" else "1")
        )
        changed = statement_for(kind, {**body, field: other}, branch)
        assert not signature_ok(case["member_key"], changed, case["sig"]), field
    elsewhere = statement_for(kind, body, "0" * 32)  # another branch: another statement
    assert not signature_ok(case["member_key"], elsewhere, case["sig"])
    unsigned_extra = {**body, "note": "not signed", "countersig": {"key": "0" * 64, "sig": "0"}}
    assert statement_for(kind, unsigned_extra, branch).hex() == case["statement_hex"]


def test_no_statement_for_other_kinds_or_a_consent_missing_a_field() -> None:
    bid = next(c for c in CASES if c["kind"] == "auction.bid")
    with pytest.raises(RuleViolation) as info:
        statement_for("contribution.recorded", bid["body"], bid["branch"])
    assert info.value.code == "bad_body"
    no_nonce = {k: v for k, v in bid["body"].items() if k != "cmd_id"}
    with pytest.raises(RuleViolation) as info:
        statement_for("auction.bid", no_nonce, bid["branch"])
    assert info.value.code == "bad_body"
    foreman = {"group_id": "G", "month": 1, "attester": "foreman", "minutes_hash": "0" * 64}
    with pytest.raises(RuleViolation) as info:  # the foreman's attestation is no member's
        statement_for("minutes.attested", foreman, bid["branch"])
    assert info.value.code == "bad_body"


@pytest.mark.parametrize(
    "value",
    [
        "x",
        {"key": "0" * 64},
        {"key": "0" * 64, "sig": "0" * 128, "extra": 1},
        {"key": "A" * 64, "sig": "0" * 128},
        {"key": "0" * 64, "sig": "0" * 127},
        {"key": 7, "sig": "0" * 128},
    ],
)
def test_a_malformed_countersig_is_refused_countersig_bad(value: object) -> None:
    with pytest.raises(RuleViolation) as info:
        countersig_of({"countersig": value})
    assert info.value.code == "countersig_bad"


def test_a_well_formed_countersig_and_none() -> None:
    assert countersig_of({}) is None
    assert countersig_of({"countersig": {"key": "a" * 64, "sig": "b" * 128}}) == (
        "a" * 64,
        "b" * 128,
    )


def test_whose_consent_an_entry_is() -> None:
    assert consent_member("agreement.signed", {"member_id": "M1", "actor": "M1"}) == "M1"
    assert consent_member("auction.bid", {"actor": "M2"}) == "M2"
    assert consent_member("auction.bid", {}) is None  # the kind's rules refuse: actor_missing
    assert consent_member("minutes.attested", {"attester": "foreman"}) is None
    assert consent_member("minutes.attested", {"attester": "M3", "actor": "M3"}) == "M3"
    assert consent_member("contribution.recorded", {"actor": "M1"}) is None


def test_a_signature_by_a_key_that_is_no_curve_point_is_simply_not_valid() -> None:
    case = CASES[0]
    statement = bytes.fromhex(case["statement_hex"])
    assert not signature_ok("ff" * 32, statement, case["sig"])
    assert not signature_ok(case["member_key"], statement, "00" * 64)
