"""The reference verifier checks heads witnessed at the meeting (issue 15, point 5).

As an auditor meets them: the witness statement vectors (`witness-v1-vectors.json`)
rebuilt and verified without chitnode (and equal to the fold's own bytes), exports built
here with `cryptography` (tamper.py) in which each witness problem is reported with its
code and nothing else is, and the export of a real node whose members witnessed a meeting's
close, which verifies clean.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chitnode.domain import witness_kinds as wk
from chitnode.node.node import Node
from chitnode.services import witness
from chitnode.services.archive import export_file
from tests.support.chit import GID, close_draw, four_friends, open_draw, pay_all
from tests.support.clock import FakeClock
from tests.vectors import tamper as t
from tests.vectors.member_entries import M1, M2, PHONE, foreman_writes, with_key

HERE = Path(__file__).resolve().parent
VECTORS = json.loads((HERE / "witness-v1-vectors.json").read_text(encoding="utf-8"))
rv = t.rv
MONTH = 3


def test_the_witness_vectors_rebuild_and_verify_without_chitnode() -> None:
    assert VECTORS["ns"] == rv.WITNESS_NS == wk.NAMESPACE
    for case in VECTORS["vectors"]:
        heads = case["heads"]
        statement = rv.witness_statement(case["branch"], case["group_id"], case["month"], heads)
        assert statement.hex() == case["statement_hex"]
        assert statement.decode() == case["statement_text"]
        fold = wk.statement(case["branch"], case["group_id"], case["month"], heads)
        assert fold == statement  # the fold checks the same bytes
        assert rv.ed25519_ok(case["member_key"], statement, case["sig"])
        seed = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(case["member_seed_hex"]))
        assert t.pub(seed) == case["member_key"]
        assert seed.sign(statement).hex() == case["sig"]  # Ed25519 is deterministic
        assert not rv.ed25519_ok(case["member_key"], statement + b" ", case["sig"])


# --------------------------------------------------------------------------- built exports


def heads_of(entries: list[t.Entry]) -> list[list[Any]]:
    """Every feed's head in `entries`, sorted by author."""
    last: dict[str, t.Entry] = {}
    for e in entries:
        if e["author"] not in last or e["seq"] > last[e["author"]]["seq"]:
            last[e["author"]] = e
    return [[a, e["seq"], e["hash"]] for a, e in sorted(last.items())]


def signed_by(phone: Ed25519PrivateKey, heads: list[list[Any]], month: int = MONTH) -> str:
    return phone.sign(rv.witness_statement(t.BRANCH, GID, month, heads)).hex()


def witnessed(entries: list[t.Entry], *witnesses: dict[str, Any], **body: Any) -> list[t.Entry]:
    """The foreman writes heads.witnessed over `entries`' heads with `witnesses`."""
    made = {"group_id": GID, "month": MONTH, "heads": heads_of(entries), **body}
    if witnesses:
        made["witnesses"] = list(witnesses)
    return foreman_writes(entries, "heads.witnessed", made)


def m1_witness(entries: list[t.Entry], **changes: Any) -> dict[str, Any]:
    sig = signed_by(PHONE["phone M1"], heads_of(entries))
    return {"member_id": "M1", "key": M1, "sig": sig, **changes}


def problems(entries: list[t.Entry]) -> set[tuple[str, int | None, str | None]]:
    return t.reference_codes(t.build(entries))


def last_seq(entries: list[t.Entry]) -> int:
    return int(max(e["seq"] for e in entries if e["author"] == t.FOREMAN))


def test_a_witness_by_a_members_current_key_verifies_clean() -> None:
    keyed = with_key()
    assert problems(witnessed(keyed, m1_witness(keyed))) == set()
    assert problems(witnessed(keyed)) == set()  # the laptop alone


def test_each_witness_problem_is_reported_with_its_code() -> None:
    keyed = with_key()
    heads = heads_of(keyed)
    revoked = foreman_writes(keyed, "member.key_revoked", {"member_id": "M1", "key": M1})
    other_month = m1_witness(keyed, sig=signed_by(PHONE["phone M1"], heads, MONTH + 1))
    conflict = [[a, s, "f" * 64 if a == t.FOREMAN else h] for a, s, h in heads]
    over_keyed = {"group_id": GID, "month": MONTH, "heads": heads}
    cases: dict[str, tuple[list[t.Entry], str]] = {
        "another member's phone": (
            witnessed(keyed, m1_witness(keyed, sig=signed_by(PHONE["phone M2"], heads))),
            "countersig_bad",
        ),
        "a key not M1's": (witnessed(keyed, m1_witness(keyed, key=M2)), "countersig_bad"),
        "another month's statement": (witnessed(keyed, other_month), "countersig_bad"),
        "no key": (witnessed(t.base(), m1_witness(t.base())), "countersig_no_key"),
        "revoked": (  # M1 signed the heads before the revocation; the laptop writes after it
            foreman_writes(
                revoked, "heads.witnessed", {**over_keyed, "witnesses": [m1_witness(keyed)]}
            ),
            "countersig_key_revoked",
        ),
        "twice": (witnessed(keyed, m1_witness(keyed), m1_witness(keyed)), "witness_duplicate"),
        "malformed heads": (witnessed(keyed, heads=list(reversed(heads))), "witness_bad"),
        "a witnessed head the export contradicts": (
            foreman_writes(
                keyed, "heads.witnessed", {"group_id": GID, "month": 3, "heads": conflict}
            ),
            "witness_conflict",
        ),
    }
    for name, (entries, code) in cases.items():
        assert problems(entries) == {(code, last_seq(entries), t.FOREMAN)}, name


# --------------------------------------------------------------------------- a real export


def phone(member: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(f"witness {member}".encode()).digest()
    )


def test_an_export_of_a_real_node_whose_members_witnessed_verifies(
    fresh_node: Node, clock: FakeClock, tmp_path: Path
) -> None:
    four = four_friends(fresh_node, clock, 16)
    for member in ("M1", "M2"):
        four.submit("member.key_enrolled", {"member_id": member, "key": t.pub(phone(member))})
    pay_all(four)
    month = open_draw(four)
    close_draw(four, month)
    node = four.node
    statement = witness.statement_now(node, GID, month)
    sigs = {m: phone(m).sign(statement).hex() for m in ("M1", "M2")}  # the phones, not chitnode
    made = witness.sign(node, GID, month, sigs)
    assert made.members == ("M1", "M2")
    path = tmp_path / "branch.chitlog"
    export_file(node, path)
    data = path.read_bytes()
    assert t.reference_codes(data) == set()
    assert rv.verify_report(data).entries > 0

    # the same export with one member's signature swapped for the other's: caught
    header, entries, _ = t.parse(data)
    t.add_secret(bytes(node.key))
    forged = dict(t.find(entries, node.public, made.entry.seq))
    body = json.loads(json.dumps(forged["body"]))
    body["witnesses"][0]["sig"] = body["witnesses"][1]["sig"]
    forged["body"] = body
    relinked = t.relink(t.replace(entries, t.sign(forged)))
    lines = [t.canon(header), *(t.canon(e) for e in relinked)]
    resealed = t.seal_lines(lines, t.SECRET[node.public])
    assert t.reference_codes(resealed) == {("countersig_bad", made.entry.seq, node.public)}
