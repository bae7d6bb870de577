"""Issue 15, point 5, with real `chitnode` processes: two nodes witness the heads at a
meeting, one of them later shows a different history, and the witness a member keeps
catches it from the command line.

A (the foreman's laptop, the branch's root) and B (a second foreman device) hold one log.
At the meeting's close A prints the witness statement, member M1's phone signs it (the test
signs with the phone's made-up seed), and A writes `heads.witnessed` with that signature;
B witnesses too. A copy of A's data folder taken before the meeting's last entry stands
for A rewriting its history: the same key writes another entry at that seq (a fork), or
shows a log cut below what was witnessed. `chitnode witness check` says so (exit 1,
conflict / missing) on that folder and on its exports, and still agrees on B, which also
flags A's fork once shown the rewritten log. The branch is set up in this process (quicker
than the CLI; the subject comes after); every command under test is a real process.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from chitnode.node.node import Node
from tests.support.chit import GID, four_friends
from tests.support.cli_proc import chitnode, ok
from tests.support.clock import FakeClock

pytestmark = pytest.mark.system

PHONE_SEED = bytes([0x61]) * 32  # member M1's phone key, made up for the test


def key(n: int) -> str:
    return f"{n:02x}" * 32


def carry(source: Path, target: Path, tmp: Path, name: str) -> Path:
    path = tmp / f"{name}.chitlog"
    ok(chitnode("--data", source, "export", path))
    ok(chitnode("--data", target, "import", path))
    return path


def check(witness: Path, *where: str | Path) -> tuple[int, dict[str, object]]:
    run = chitnode("witness", "check", witness, "--json", *where)
    assert "Traceback" not in run.stderr, run.stderr
    return run.returncode, json.loads(run.stdout)


def statuses(found: dict[str, object]) -> set[tuple[str, int]]:
    findings = found["findings"]
    assert isinstance(findings, list)
    return {(str(f["status"]), int(f["head"][1])) for f in findings}


def test_a_node_that_rewrites_or_cuts_witnessed_history_is_caught(tmp_path: Path) -> None:
    a, b, before = tmp_path / "A", tmp_path / "B", tmp_path / "A-before"
    clock = FakeClock()
    with Node.init(a, "Udupi Branch", clock=clock) as node:
        driver = four_friends(node, clock, 15)
        phone = SigningKey(PHONE_SEED).verify_key.encode().hex()
        driver.submit("member.key_enrolled", {"member_id": "M1", "key": phone})
        root = node.public
        with Node.join_empty(b, node.branch, root, clock=clock) as joiner:
            b_key = joiner.public
    ok(chitnode("--data", a, "enrol", b_key, "--role", "foreman", "--name", "Laptop B"))
    carry(a, b, tmp_path, "to-b")
    shutil.copytree(a, before)  # A's folder before the meeting's last entry
    ok(chitnode("--data", a, "enrol", key(1), "--role", "member", "--name", "Asha"))
    last_seq = int(json.loads(ok(chitnode("--data", a, "status", "--json")))["heads"][root]["seq"])

    # the close of the meeting: M1's phone signs the statement A prints; A and B witness
    statement = ok(chitnode("--data", a, "witness", "statement", "--group", GID, "--month", "1"))
    stmt = tmp_path / "statement.json"
    stmt.write_text(statement)
    sig = SigningKey(PHONE_SEED).sign(statement.strip().encode()).signature.hex()
    witness_a = tmp_path / "witness-a.json"
    signed = ok(
        chitnode(
            *("--data", a, "witness", "sign", "--group", GID, "--month", "1"),
            *("--statement", stmt, "--countersig", f"M1={sig}", "--out", witness_a, "--json"),
        )
    )
    summary = json.loads(signed)
    assert summary["members"] == ["M1"] and summary["seq"] == last_seq + 1
    assert [root, last_seq] == next(h[:2] for h in summary["heads"] if h[0] == root)
    carry(a, b, tmp_path, "meeting")
    witness_b = tmp_path / "witness-b.json"
    ok(chitnode("--data", b, "witness", "sign", "--group", GID, "--month", "1", "--out", witness_b))
    for witness in (witness_a, witness_b):
        code, found = check(witness, "--data", b)
        assert (code, found["status"], found["findings"]) == (0, "agrees", [])

    # A shows a log cut below the witnessed head: missing
    cut = tmp_path / "cut.chitlog"
    ok(chitnode("--data", before, "export", cut))
    code, found = check(witness_a, "--export", cut)
    assert code == 1 and found["status"] == "missing_from_log"
    assert statuses(found) >= {("missing_from_log", last_seq), ("missing_from_log", last_seq + 1)}

    # A rewrites: the same key, another entry at the witnessed seq: conflict
    ok(chitnode("--data", before, "enrol", key(2), "--role", "member", "--name", "Bindu"))
    for where in (("--data", before), ("--export", carry(before, b, tmp_path, "rewritten"))):
        code, found = check(witness_a, *where)
        assert code == 1 and found["status"] == "conflict", found
        assert ("conflict", last_seq) in statuses(found)
    plain = chitnode("--data", before, "witness", "check", witness_a)
    assert plain.returncode == 1 and plain.stdout.startswith("SPLIT VIEW [conflict]: ")

    # B was shown the rewritten log: it keeps the witnessed history and flags A's fork
    code, found = check(witness_a, "--data", b)
    assert (code, found["status"]) == (0, "agrees")
    forks = json.loads(ok(chitnode("--data", b, "fork", "list", "--json")))
    assert [f["author"] for f in forks] == [root]
