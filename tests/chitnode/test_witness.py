"""Issue 15, point 5: heads witnessed at the meeting catch a node that later shows a split view.

The fold takes `heads.witnessed` only with well-formed heads it holds (the others' through
the entry's deps), members' signatures by their current keys, each member once. Then two
nodes of one branch, A (the foreman's laptop) and B, witness the log at a meeting; A later
rewrites its feed (its store restored from a copy taken before the meeting's last entry, the
same key writing another entry at that seq) or shows a log cut below what was witnessed.
The witness file a member keeps catches both, on A's store, on its exports and on B. The
members' seeds are test keys made up for these tests.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from chitnode.cli.main import main
from chitnode.domain import witness_kinds as wk
from chitnode.log.entry import Entry, seal_entry
from chitnode.node.node import Node
from chitnode.services import archive
from chitnode.services import witness as ws
from chitnode.services.member_receipts import CONFLICT, MISSING, ExportLog, StoreLog
from tests.support.chit import GID, decided_code, foreign, four_friends
from tests.support.clock import FakeClock
from tests.support.driver import ChitDriver


def seed(n: int) -> bytes:
    """A member phone's key seed, made up for the test."""
    return bytes([0x50 + n]) * 32


def public(n: int) -> str:
    return SigningKey(seed(n)).verify_key.encode().hex()


def phone_signs(n: int, statement: bytes) -> str:
    """What member n's phone returns for the statement: its Ed25519 signature, hex."""
    return SigningKey(seed(n)).sign(statement).signature.hex()


@pytest.fixture
def four(fresh_node: Node, clock: FakeClock) -> ChitDriver:
    """A running 4-ticket group; M1 and M2 have paired phones (keys seed(1), seed(2))."""
    driver = four_friends(fresh_node, clock, 15)
    for n in (1, 2):
        driver.submit("member.key_enrolled", {"member_id": f"M{n}", "key": public(n)})
    return driver


def witnessed_by(driver: ChitDriver, members: tuple[int, ...], month: int = 1) -> ws.Witness:
    node = driver.node
    signed = ws.statement_now(node, GID, month)
    sigs = {f"M{n}": phone_signs(n, signed) for n in members}
    return ws.sign(node, GID, month, sigs)


def sealed(driver: ChitDriver, body: dict[str, object], deps: tuple[wk.Head, ...]) -> Entry:
    """A heads.witnessed the node's own key signs as its next entry, deps chosen here."""
    node = driver.node
    seq, prev = node.engine.last_stored(node.public) or (0, "0" * 64)
    return seal_entry(
        node.key,
        branch=node.branch,
        seq=seq + 1,
        prev=prev,
        ts=driver.clock.now_ms(),
        deps=deps,
        kind=wk.KIND,
        body=body,
    )


# --- the fold ----------------------------------------------------------------------------------


def test_the_statement_is_canonical_json_with_its_namespace() -> None:
    heads = [("a" * 64, 3, "b" * 64)]
    assert wk.statement("c" * 32, "G", 2, heads) == (
        b'{"branch":"' + b"c" * 32 + b'","group_id":"G","heads":[["' + b"a" * 64
        + b'",3,"' + b"b" * 64 + b'"]],"month":2,"ns":"chitnode.witness.v1"}'
    )  # fmt: skip


def test_a_witness_signed_by_members_present_is_applied_and_recorded(four: ChitDriver) -> None:
    heads_before = ws.current_heads(four.node)
    witness = witnessed_by(four, (1, 2))
    assert witness.members == ("M1", "M2")
    assert list(witness.heads) == heads_before
    row = four.state.get(wk.TABLE, f"{four.node.public}:{witness.entry.seq}")
    assert row is not None and row["witnesses"] == ["M1", "M2"] and row["month"] == 1
    assert row["hash"] == witness.entry.hash
    # every other feed's head is one of the entry's deps: wal-v1 §4 held it until they were here
    others = {h for h in witness.heads if h[0] != four.node.public}
    assert others <= set(witness.entry.deps)
    # and the log it was written on agrees with it
    assert ws.check_against(StoreLog(four.node.store, four.state), witness.heads) == []


def test_a_device_witnesses_without_member_phones_too(four: ChitDriver) -> None:
    witness = ws.sign(four.node, GID, 1, {})
    assert witness.members == () and "witnesses" not in witness.entry.body


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("wrong_month", "countersig_bad"),  # M1 signed month 2's statement
        ("other_key", "countersig_bad"),  # a key that is not M1's
        ("no_key", "countersig_no_key"),  # M3 has no paired phone
        ("twice", "witness_duplicate"),
    ],
)
def test_member_signatures_are_checked(four: ChitDriver, change: str, code: str) -> None:
    node = four.node
    heads = ws.current_heads(node)
    signed = wk.statement(node.branch, GID, 1, heads)
    witnesses = [{"member_id": "M1", "key": public(1), "sig": phone_signs(1, signed)}]
    if change == "wrong_month":
        witnesses[0]["sig"] = phone_signs(1, wk.statement(node.branch, GID, 2, heads))
    elif change == "other_key":
        witnesses[0] = {"member_id": "M1", "key": public(2), "sig": phone_signs(2, signed)}
    elif change == "no_key":
        witnesses.append({"member_id": "M3", "key": public(3), "sig": phone_signs(3, signed)})
    else:
        witnesses.append(dict(witnesses[0]))
    body = {"group_id": GID, "month": 1, "heads": [list(h) for h in heads], "witnesses": witnesses}
    before = four.node.engine.digest()
    with pytest.raises(Exception) as info:
        node.submit(wk.KIND, body)
    assert getattr(info.value, "code", None) == code
    assert four.node.engine.digest() == before  # nothing changed


def test_a_revoked_phone_no_longer_witnesses(four: ChitDriver) -> None:
    node = four.node
    signed = ws.statement_now(node, GID, 1)
    sig = phone_signs(1, signed)
    four.submit("member.key_revoked", {"member_id": "M1", "key": public(1)})
    heads = ws.current_heads(node)  # the revocation moved the node's own head
    signed = wk.statement(node.branch, GID, 1, heads)
    sig = phone_signs(1, signed)
    witness = {"member_id": "M1", "key": public(1), "sig": sig}
    body = {"group_id": GID, "month": 1, "heads": [list(h) for h in heads], "witnesses": [witness]}
    with pytest.raises(Exception) as info:
        node.submit(wk.KIND, body)
    assert getattr(info.value, "code", None) == "countersig_no_key"
    four.submit("member.key_enrolled", {"member_id": "M1", "key": public(4)})  # a new phone
    heads = ws.current_heads(node)
    signed = wk.statement(node.branch, GID, 1, heads)
    witness = {"member_id": "M1", "key": public(1), "sig": phone_signs(1, signed)}
    body = {"group_id": GID, "month": 1, "heads": [list(h) for h in heads], "witnesses": [witness]}
    with pytest.raises(Exception) as info:
        node.submit(wk.KIND, body)
    assert getattr(info.value, "code", None) == "countersig_key_revoked"


def test_heads_must_be_well_formed_and_held(four: ChitDriver) -> None:
    node = four.node
    node.ingest([foreign(four, "employee", "device.named", {"note": "a second feed"})])
    heads = ws.current_heads(node)
    deps = tuple(h for h in heads if h[0] != node.public)
    body: dict[str, object] = {"group_id": GID, "month": 1, "heads": [list(h) for h in heads]}
    assert decided_code(four, sealed(four, {**body, "heads": []}, deps)) == "witness_heads_bad"
    unsorted = [list(h) for h in reversed(heads)]
    assert len(heads) > 1
    assert decided_code(four, sealed(four, {**body, "heads": unsorted}, deps)) == (
        "witness_heads_bad"
    )
    doubled = [list(heads[0]), list(heads[0])]
    assert decided_code(four, sealed(four, {**body, "heads": doubled}, deps)) == (
        "witness_heads_bad"
    )
    # a head of another feed that is not among the deps: the log may not hold it
    other = next(h for h in heads if h[0] != node.public)
    moved = [list(h) if h != other else [other[0], other[1], "f" * 64] for h in heads]
    assert decided_code(four, sealed(four, {**body, "heads": moved}, deps)) == (
        "witness_heads_not_held"
    )
    # the writer's own head is below the entry, and is its prev when just below
    own = next(h for h in heads if h[0] == node.public)
    wrong_prev = [list(h) if h != own else [own[0], own[1], "e" * 64] for h in heads]
    assert decided_code(four, sealed(four, {**body, "heads": wrong_prev}, deps)) == (
        "witness_heads_not_held"
    )
    ahead = [list(h) if h != own else [own[0], own[1] + 1, own[2]] for h in heads]
    assert decided_code(four, sealed(four, {**body, "heads": ahead}, deps)) == (
        "witness_heads_not_held"
    )
    assert decided_code(four, sealed(four, {**body, "group_id": "G-none"}, deps)) == (
        "unknown_group"
    )
    assert decided_code(four, sealed(four, {**body, "month": 99}, deps)) == "bad_month"


# --- two nodes that try to diverge ---------------------------------------------------------------


class Meeting:
    """A and B of one branch at a meeting, and what A keeps to rewrite its history later."""

    def __init__(self, tmp: Path, clock: FakeClock) -> None:
        self.tmp, self.clock = tmp, clock
        self.a = Node.init(tmp / "A", "Udupi Branch", clock=clock)
        driver = four_friends(self.a, clock, 15)
        for n in (1, 2):
            driver.submit("member.key_enrolled", {"member_id": f"M{n}", "key": public(n)})
        self.b = Node.join_empty(tmp / "B", self.a.branch, self.a.public, clock=clock)
        driver.submit("device.enrolled", {"key": self.b.public, "role": "foreman", "name": "B"})
        self.carry(self.a, self.b, "before")
        # A's store as it is before the meeting's last entry: what A will restore
        self.a.close()
        shutil.copytree(tmp / "A", tmp / "A-before")
        self.a = Node.open(tmp / "A", clock=clock)
        driver = ChitDriver(self.a, clock, random.Random(16))
        # the meeting's last entry
        self.last = driver.submit("member.registered", {"member_id": "M5", "name": "Member M5"})
        self.carry(self.a, self.b, "meeting")
        # the close: A witnesses with the phones of M1 and M2, B with its own key
        self.witness_a = witnessed_by(driver, (1, 2))
        self.carry(self.a, self.b, "witness-a")
        self.witness_b = ws.sign(self.b, GID, 1, {})
        self.carry(self.b, self.a, "witness-b")
        self.files = {}
        for name, witness in (("a", self.witness_a), ("b", self.witness_b)):
            path = tmp / f"witness-{name}.json"
            path.write_bytes(witness.to_bytes())  # what a member's phone keeps
            self.files[name] = path

    def carry(self, source: Node, target: Node, name: str) -> Path:
        path = self.tmp / f"{name}.chitlog"
        archive.export_file(source, path)
        archive.import_file(target, path)
        return path

    def close(self) -> None:
        self.a.close()
        self.b.close()


@pytest.fixture
def meeting(tmp_path: Path, clock: FakeClock) -> Iterator[Meeting]:
    m = Meeting(tmp_path, clock)
    yield m
    m.close()


def test_both_witnesses_agree_with_both_nodes_after_the_meeting(meeting: Meeting) -> None:
    for node in (meeting.a, meeting.b):
        for path in meeting.files.values():
            checked = ws.check_witness(
                StoreLog(node.store, node.engine.state), ws.read_witness(path)
            )
            assert checked.ok and checked.status == ws.AGREES, checked.explain()
    # the meeting's last entry is A's witnessed head
    assert (meeting.a.public, meeting.last.seq, meeting.last.hash) in meeting.witness_a.heads


def test_a_rewrite_of_a_witnessed_entry_is_a_conflict(meeting: Meeting, clock: FakeClock) -> None:
    tmp, seq = meeting.tmp, meeting.last.seq
    rewritten = Node.open(tmp / "A-before", clock=clock)  # A's key, its store from before
    try:
        other = rewritten.submit("member.registered", {"member_id": "M9", "name": "Member M9"})
        assert (other.seq, rewritten.public) == (seq, meeting.a.public)  # the same place
        shown = tmp / "shown-to-b.chitlog"
        archive.export_file(rewritten, shown)  # the history A now shows
        logs = [StoreLog(rewritten.store, rewritten.engine.state), ExportLog(shown)]
        a_key = meeting.a.public
        for log in logs:
            # A's witness names the rewritten entry itself: another entry is at its place
            checked = ws.check_witness(log, ws.read_witness(meeting.files["a"]))
            found = {(f.status, f.head[0], f.head[1]) for f in checked.findings}
            assert (CONFLICT, a_key, seq) in found, checked.explain()
            assert not checked.ok and "fork or a rewrite" in " ".join(checked.explain())
            # B's names A's witness entry just above it, which the rewritten chain lacks
            checked = ws.check_witness(log, ws.read_witness(meeting.files["b"]))
            found = {(f.status, f.head[0], f.head[1]) for f in checked.findings}
            assert (MISSING, a_key, seq + 1) in found, checked.explain()
        # B, shown the rewritten history, keeps what was witnessed and flags A's fork
        archive.import_file(meeting.b, shown)
        b_log = StoreLog(meeting.b.store, meeting.b.engine.state)
        assert ws.check_witness(b_log, ws.read_witness(meeting.files["a"])).ok
        assert [f.author for f in meeting.b.store.forks()] == [meeting.a.public]
    finally:
        rewritten.close()


def test_a_log_cut_below_a_witnessed_head_is_missing(meeting: Meeting, clock: FakeClock) -> None:
    tmp = meeting.tmp
    cut = Node.open(tmp / "A-before", clock=clock)
    try:
        shown = tmp / "cut.chitlog"
        archive.export_file(cut, shown)
        for log in (StoreLog(cut.store, cut.engine.state), ExportLog(shown)):
            checked = ws.check_witness(log, ws.read_witness(meeting.files["a"]))
            found = {(f.status, f.head[1]) for f in checked.findings if f.head[0] == cut.public}
            assert found == {(MISSING, meeting.last.seq), (MISSING, meeting.last.seq + 1)}
            assert "cut below what the meeting witnessed" in " ".join(checked.explain())
    finally:
        cut.close()


def test_the_cli_checks_a_witness_file(
    meeting: Meeting, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp = meeting.tmp
    meeting.b.close()
    assert main(["witness", "check", str(meeting.files["a"]), "--data", str(tmp / "B")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK [agrees]: this node's log holds every entry witnessed")
    rewritten = Node.open(tmp / "A-before", clock=clock)
    rewritten.submit("member.registered", {"member_id": "M9", "name": "Member M9"})
    shown = tmp / "shown.chitlog"
    archive.export_file(rewritten, shown)
    rewritten.close()
    argv = ["witness", "check", str(meeting.files["a"]), "--export", str(shown), "--json"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert '"status": "conflict"' in out or '"status":"conflict"' in out
    meeting.b = Node.open(tmp / "B", clock=clock)


def test_a_tampered_or_foreign_witness_file_is_refused(
    meeting: Meeting, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp = meeting.tmp
    data = meeting.files["a"].read_bytes()
    month = b'\\"month\\":1'
    assert month in data
    bad = tmp / "bad.json"
    bad.write_bytes(data.replace(month, b'\\"month\\":2'))
    with pytest.raises(ws.WitnessTampered):
        ws.read_witness(bad)
    bad.write_bytes(b"[1, 2]")
    with pytest.raises(ws.WitnessMalformed):
        ws.read_witness(bad)
    bad.write_bytes(b"x" * (ws.limits.WITNESS_FILE_BYTES_MAX + 1))
    with pytest.raises(ws.WitnessMalformed):
        ws.read_witness(bad)
    meeting.a.close()
    assert main(["witness", "check", str(bad), "--data", str(tmp / "A")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("chitnode: error [witness_malformed]: ") and "Traceback" not in err
    meeting.a = Node.open(tmp / "A", clock=meeting.clock)
    other = Node.init(tmp / "other", "Other Branch", clock=meeting.clock)
    try:
        with pytest.raises(ws.WitnessWrongBranch):
            ws.check_witness(StoreLog(other.store, other.engine.state), meeting.witness_a)
    finally:
        other.close()


def test_the_auditors_script_in_the_docs_checks_a_witness(meeting: Meeting) -> None:
    """docs/witness.md's script, as printed, with PyNaCl and the standard library only."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "witness.md").read_text("utf-8")
    script = doc.split("```python\n")[1].split("```")[0]
    folder = meeting.tmp / "auditor"
    folder.mkdir()
    shutil.copy(meeting.files["a"], folder / "witness.json")
    archive.export_file(meeting.b, folder / "branch.chitlog")
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == len(meeting.witness_a.heads) + 1
    assert all(line.endswith(" agrees") for line in lines)
    # a rewritten log: the auditor's script names the conflict
    rewritten = Node.open(meeting.tmp / "A-before", clock=meeting.clock)
    try:
        rewritten.submit("member.registered", {"member_id": "M9", "name": "Member M9"})
        archive.export_file(rewritten, folder / "branch.chitlog")
    finally:
        rewritten.close()
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert f" {meeting.last.seq} conflict" in run.stdout
    assert f" {meeting.last.seq + 1} missing" in run.stdout


def test_the_cli_refuses_bad_signatures_and_statements_with_a_code(
    meeting: Meeting, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp, a = meeting.tmp, meeting.tmp / "A"
    meeting.a.close()
    try:
        base = ["--data", str(a), "witness"]
        assert main([*base, "statement", "--group", GID, "--month", "1"]) == 0
        statement = capsys.readouterr().out
        stmt = tmp / "statement.json"
        stmt.write_text(statement)
        with Node.open(a) as node:
            digest_before = node.status()["state_digest"]
        other_month = phone_signs(1, wk.statement(meeting.a.branch, GID, 2, []))
        sign = [*base, "sign", "--group", GID, "--month", "1", "--statement", str(stmt)]
        cases = [
            ([*sign, "--countersig", f"M1={other_month}"], 1, "countersig_bad"),
            ([*sign, "--countersig", f"M3={phone_signs(3, statement.encode())}"], 1,
             "countersig_no_key"),
            ([*sign, "--countersig", "M1=nothex"], 2, "usage"),
            ([*base, "sign", "--group", GID, "--month", "2", "--statement", str(stmt)], 1,
             "witness_malformed"),
            ([*base, "sign", "--group", "G-none", "--month", "1"], 1, "unknown_group"),
        ]  # fmt: skip
        for argv, exit_code, code in cases:
            try:
                status = main(argv)
            except SystemExit as exc:  # argparse's own refusal of an argument
                status = exc.code if isinstance(exc.code, int) else 1
            assert status == exit_code, (argv, status)
            err = capsys.readouterr().err
            assert f"error [{code}]" in err and "Traceback" not in err, (argv, err)
        with Node.open(a) as node:
            assert node.status()["state_digest"] == digest_before  # nothing was written
    finally:
        meeting.a = Node.open(a, clock=meeting.clock)
