"""Hostile files at the import path (issue 9, points 1-3; docs/threats.md sections 1-3).

Every file here is built the way an attacker (or a buggy peer) would build it: with
PyNaCl, hashlib and json alone, never with chitnode's own writers, so a bug in the
project's signing code cannot make a forgery look harmless. The victim is driven
through its real command line (`chitnode.cli.main.main`), and each test checks what an
operator would: the exit code, the error code printed, `chitnode status` and its
digest, and what the node's next export carries.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from chitnode import limits
from chitnode.cli.main import main
from chitnode.log.entry import parse_entry
from chitnode.node.node import Node
from chitnode.services import archive
from tests.support.clock import FakeClock
from tests.vectors import tamper as t

ZERO = "0" * 64
T0 = FakeClock().wall_ms
MINUTE_MS = 60_000
JUNK_ENTRIES = 2_000  # a stranger's junk feed: enough to show it is refused, quick to sign
# One feed longer than an apply chunk, so that a failure after the first chunk would
# leave part of the feed behind if chunks committed on their own.
BIG_FEED_ENTRIES = limits.GROUP_COMMIT_ENTRIES_MAX + 50


# --------------------------------------------------------------------------- the attacker's tools


def canon(value: Any) -> bytes:
    """wal-v1 §2 canonical bytes, as any outside implementation writes them."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def public(sk: SigningKey) -> str:
    return sk.verify_key.encode().hex()


def forge(
    sk: SigningKey,
    *,
    branch: str,
    seq: int,
    prev: str,
    ts: int,
    kind: str,
    body: dict[str, Any],
    deps: Iterable[tuple[str, int, str]] = (),
) -> dict[str, Any]:
    """One signed entry (wal-v1 §1-§3)."""
    entry: dict[str, Any] = {
        "v": 1,
        "branch": branch,
        "author": public(sk),
        "seq": seq,
        "prev": prev,
        "ts": ts,
        "deps": [list(d) for d in deps],
        "kind": kind,
        "body": body,
    }
    entry["hash"] = hashlib.sha256(canon(entry)).hexdigest()
    entry["sig"] = sk.sign(b"chitnode.wal.v1:" + bytes.fromhex(entry["hash"])).signature.hex()
    return entry


def forge_feed(
    sk: SigningKey, branch: str, count: int, deps: Iterable[tuple[str, int, str]] = ()
) -> list[bytes]:
    """`count` chained `member.registered` entries of one key, all naming `deps`."""
    lines, prev = [], ZERO
    for seq in range(1, count + 1):
        body = {"member_id": f"M{public(sk)[:6]}-{seq}", "name": f"Member {seq}"}
        entry = forge(
            sk,
            branch=branch,
            seq=seq,
            prev=prev,
            ts=T0 + seq,
            kind="member.registered",
            body=body,
            deps=deps,
        )
        lines.append(canon(entry))
        prev = entry["hash"]
    return lines


def seal_file(path: Path, header: dict[str, Any], lines: list[bytes], sk: SigningKey) -> Path:
    """Write an export (wal-v1 §6): entry lines grouped by author, sealed by `sk`."""
    lines = sorted(lines, key=lambda line: (json.loads(line)["author"], json.loads(line)["seq"]))
    head = {**header, "count": len(lines), "exporter": public(sk)}
    body = b"".join(line + b"\n" for line in [canon(head), *lines])
    digest = hashlib.sha256(body).hexdigest()
    seal = {
        "count": len(lines),
        "format": "chitnode-export-seal",
        "lines_sha256": digest,
        "sig": sk.sign(b"chitnode.export.v1:" + bytes.fromhex(digest)).signature.hex(),
        "v": 1,
    }
    path.write_bytes(body + canon(seal) + b"\n")
    return path


# --------------------------------------------------------------------------- the victim


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`chitnode argv...` in-process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@dataclass
class Victim:
    data: Path
    at_genesis: Path  # a second store of the same branch that holds only the genesis
    root: str
    branch: str
    devices: dict[str, tuple[SigningKey, tuple[str, int, str]]]  # name -> key, its enrolment

    def status(self, capsys: pytest.CaptureFixture[str], data: Path | None = None) -> Any:
        code, out, _ = run(capsys, "--data", str(data or self.data), "status", "--json")
        assert code == 0
        return json.loads(out)

    def export(
        self, capsys: pytest.CaptureFixture[str], path: Path, data: Path | None = None
    ) -> tuple[dict[str, Any], list[bytes]]:
        """Export through the CLI: (header, entry lines)."""
        assert run(capsys, "--data", str(data or self.data), "export", str(path))[0] == 0
        lines = path.read_bytes().splitlines()
        return json.loads(lines[0]), lines[1:-1]

    def device(self, name: str) -> tuple[SigningKey, list[tuple[str, int, str]]]:
        """A device's key, and deps that name its enrolment (so its entries follow it)."""
        sk, enrolment = self.devices[name]
        return sk, [enrolment]

    def import_(self, capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str, str]:
        return run(capsys, "--data", str(self.data), "import", str(path))


def _keys(count: int, salt: bytes) -> list[SigningKey]:
    """Fixed keys in ascending public-key order, so tests know which feed comes first."""
    keys = [SigningKey(hashlib.sha256(salt + bytes([i])).digest()) for i in range(count)]
    return sorted(keys, key=public)


@pytest.fixture
def victim(tmp_path: Path) -> Victim:
    """A branch's root node: genesis, then two foremen (D before E in key order) enrolled."""
    data = tmp_path / "victim"
    clock = FakeClock()
    with Node.init(data, "Mangaluru Main", clock=clock) as node:
        root, branch = node.public, node.branch
    at_genesis = tmp_path / "at_genesis"
    shutil.copytree(data, at_genesis)
    devices = {}
    with Node.open(data, clock=clock) as node:
        for name, sk in zip("DE", _keys(2, b"foreman"), strict=True):
            clock.advance(MINUTE_MS)
            body = {"key": public(sk), "role": "foreman", "name": name}
            receipt = node.submit("device.enrolled", body)
            assert receipt.status == "applied"
            devices[name] = (sk, (root, receipt.seq, receipt.hash))
    return Victim(data, at_genesis, root, branch, devices)


def refused_line(author: str, code: str) -> str:
    return f"REFUSED feed {author}: {code}"


# --------------------------------------------------------------------------- 1. a forged genesis


def forged_genesis(branch: str, sk: SigningKey) -> dict[str, Any]:
    """A fresh key's `branch.genesis` carrying the victim's branch id, dated ts=0."""
    body = {"branch_name": "Mangaluru Main", "root": public(sk)}
    return forge(sk, branch=branch, seq=1, prev=ZERO, ts=0, kind="branch.genesis", body=body)


def test_forged_genesis_with_the_branch_id_is_refused_wrong_branch(
    victim: Victim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, entries_before = victim.export(capsys, tmp_path / "before.chitlog")
    attacker = SigningKey.generate()
    genesis = forged_genesis(header["branch"], attacker)  # the id printed in every export
    forged = seal_file(
        tmp_path / "forged.chitlog",
        {**header, "root": public(attacker), "created_ms": 0},
        [canon(genesis)],
        attacker,
    )
    # On its own the file is a well-formed export of *a* branch with that id: its seal and
    # its genesis check out. Only a node that knows the branch's root can tell.
    assert run(capsys, "verify", str(forged))[0] == 0

    before = victim.status(capsys)
    code, out, err = victim.import_(capsys, forged)
    assert code == 1, (out, err)
    assert err.startswith("chitnode: error [wrong_branch]: "), err
    assert "Traceback" not in err
    after = victim.status(capsys)
    assert after == before
    assert after["root"] == victim.root and after["role"] == "admin"
    _, entries_after = victim.export(capsys, tmp_path / "after.chitlog")
    assert entries_after == entries_before
    assert not any(public(attacker).encode() in line for line in entries_after)


def test_forged_genesis_under_the_victims_own_header_is_refused(
    victim: Victim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The forgery slipped into a copy of the victim's own export (header root unchanged)."""
    header, entries_before = victim.export(capsys, tmp_path / "before.chitlog")
    attacker = SigningKey.generate()
    genesis = canon(forged_genesis(victim.branch, attacker))
    forged = seal_file(tmp_path / "forged.chitlog", header, [*entries_before, genesis], attacker)

    for data in (victim.data, victim.at_genesis):  # a node that has it all, one that lacks some
        before = victim.status(capsys, data)
        code, out, err = run(capsys, "--data", str(data), "import", str(forged))
        assert code == 1 and err == "", (out, err)
        assert refused_line(public(attacker), "unauthorised") in out
        after = victim.status(capsys, data)
        assert after["root"] == victim.root and after["role"] == "admin"
        assert after["rejected"] == 0 and after["heads"].keys() == {victim.root}
        if data == victim.data:
            assert after == before
        _, entries_after = victim.export(capsys, tmp_path / "after.chitlog", data)
        assert entries_after == entries_before
        assert not any(public(attacker).encode() in line for line in entries_after)


def test_both_verifiers_call_a_second_genesis_unauthorised(
    victim: Victim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, entries = victim.export(capsys, tmp_path / "before.chitlog")
    attacker = SigningKey.generate()
    genesis = canon(forged_genesis(victim.branch, attacker))
    data = seal_file(tmp_path / "f.chitlog", header, [*entries, genesis], attacker).read_bytes()
    expected = {("unauthorised", 1, public(attacker))}
    assert t.project_codes(data) == expected
    assert t.reference_codes(data) == expected  # not `unknown_author`: wal-v1 §5 as amended


def test_the_fold_never_lets_a_second_genesis_replace_the_first(
    victim: Victim, capsys: pytest.CaptureFixture[str]
) -> None:
    """Defence in depth: a forged genesis that reaches the fold by any path founds nothing."""
    attacker = SigningKey.generate()
    genesis = parse_entry(canon(forged_genesis(victim.branch, attacker)))
    with Node.open(victim.data, clock=FakeClock()) as node:
        before = node.status()
        node.ingest([genesis])  # sorts first by ts; must not matter
        status = node.status()
        assert status["root"] == victim.root and node.role() == "admin"
        assert status["applied"] == before["applied"] and status["rejected"] == 1
        row = node.store.conn.execute(
            "SELECT status, code FROM entries WHERE author = ?", (public(attacker),)
        ).fetchone()
        assert tuple(row) == ("rejected", "unauthorised")
        digest = node.engine.digest()
        with node.store.transaction():
            node.engine.rebuild()
        assert node.engine.digest() == digest


# ------------------------------------------------------------------ 2. only what verify accepts


def test_junk_feed_of_a_stranger_is_refused(
    victim: Victim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, _ = victim.export(capsys, tmp_path / "v.chitlog")
    stranger = SigningKey.generate()
    junk = forge_feed(stranger, victim.branch, JUNK_ENTRIES)
    path = seal_file(tmp_path / "junk.chitlog", header, junk, stranger)
    assert run(capsys, "verify", str(path))[0] == 1

    before = victim.status(capsys)
    code, out, err = victim.import_(capsys, path)
    assert code == 1 and err == "", (out, err)
    assert refused_line(public(stranger), "unknown_author") in out
    assert f"({JUNK_ENTRIES} entries; nothing from this feed was stored)" in out
    assert victim.status(capsys) == before


def test_feed_of_a_device_the_node_knows_is_imported(
    victim: Victim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file cannot prove D's enrolment (the root's feed is not in it); the node can."""
    header, _ = victim.export(capsys, tmp_path / "v.chitlog")
    sk, deps = victim.device("D")
    path = seal_file(tmp_path / "d.chitlog", header, forge_feed(sk, victim.branch, 3, deps), sk)
    assert run(capsys, "verify", str(path))[0] == 1  # unknown_author, as far as the file goes

    before = victim.status(capsys)
    code, out, err = victim.import_(capsys, path)
    assert (code, err) == (0, ""), out
    assert out.splitlines()[0] == (
        "Imported 3 new entries (0 already held) from 1 feed: 3 applied, 0 rejected, 0 held"
    )
    after = victim.status(capsys)
    assert after["applied"] == before["applied"] + 3
    assert after["heads"][public(sk)]["seq"] == 3


def test_file_that_proves_an_enrolment_admits_that_feed_and_no_other(
    victim: Victim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Into a node that knows only the genesis: D is proven by the root's feed in the file;
    F, enrolled by the foreman D (not an admin), is proven by nothing and refused. D's
    feed is taken whole, and the fold rejects D's unauthorised enrolment of F."""
    header, root_feed = victim.export(capsys, tmp_path / "v.chitlog")
    sk_d, deps = victim.device("D")
    d_feed = forge_feed(sk_d, victim.branch, 2, deps)
    d2 = json.loads(d_feed[-1])
    (sk_f,) = _keys(1, b"f")
    enrol_f = forge(
        sk_d,
        branch=victim.branch,
        seq=3,
        prev=d2["hash"],
        ts=T0 + 10,
        kind="device.enrolled",
        body={"key": public(sk_f), "role": "foreman", "name": "F"},
        deps=deps,
    )
    f_feed = forge_feed(sk_f, victim.branch, 2, [(public(sk_d), 3, enrol_f["hash"])])
    lines = [*root_feed, *d_feed, canon(enrol_f), *f_feed]
    path = seal_file(tmp_path / "mixed.chitlog", header, lines, sk_d)

    code, out, err = run(capsys, "--data", str(victim.at_genesis), "import", str(path))
    assert code == 1 and err == "", (out, err)
    assert out.splitlines() == [
        "Imported 5 new entries (1 already held) from 2 feeds: 4 applied, 1 rejected, 0 held",
        f"{refused_line(public(sk_f), 'unauthorised')} (2 entries; nothing from this feed"
        " was stored)",
    ]
    status = victim.status(capsys, victim.at_genesis)
    assert status["heads"].keys() == {victim.root, public(sk_d)}
    assert status["heads"][public(sk_d)]["seq"] == 3


# --------------------------------------------------------------------------- 3. nothing half-done


@pytest.fixture
def big_file(victim: Victim, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """D's feed of BIG_FEED_ENTRIES entries, then E's feed whose second line is not canonical."""
    header, _ = victim.export(capsys, tmp_path / "v.chitlog")
    sk_d, deps_d = victim.device("D")
    sk_e, deps_e = victim.device("E")
    big = forge_feed(sk_d, victim.branch, BIG_FEED_ENTRIES, deps_d)
    e_feed = forge_feed(sk_e, victim.branch, 2, deps_e)
    e_feed[1] = e_feed[1].replace(b'"kind":', b'"kind": ')  # bad_format, but E's by its author
    return seal_file(tmp_path / "big.chitlog", header, [*big, *e_feed], sk_e)


def test_a_bad_line_late_in_the_file_refuses_its_feed_only(
    victim: Victim, big_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d, e = (public(victim.devices[n][0]) for n in "DE")
    before = victim.status(capsys)
    code, out, err = victim.import_(capsys, big_file)
    assert code == 1 and err == "", (out, err)
    assert out.splitlines() == [
        f"Imported {BIG_FEED_ENTRIES} new entries (0 already held) from 1 feed:"
        f" {BIG_FEED_ENTRIES} applied, 0 rejected, 0 held",
        f"{refused_line(e, 'bad_format')} (2 entries; nothing from this feed was stored)",
    ]
    after = victim.status(capsys)
    assert after["heads"][d]["seq"] == BIG_FEED_ENTRIES  # the whole feed, not 10,000 of it
    assert e not in after["heads"]
    assert after["entries"] == before["entries"] + BIG_FEED_ENTRIES


def test_an_error_midway_through_a_feed_leaves_none_of_it(
    victim: Victim, big_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file changes between the decision and the apply (a swapped disk, a hostile peer
    stream): the feed fails after its first chunk went through the fold, and is rolled
    back whole."""
    d = public(victim.devices["D"][0])
    before = victim.status(capsys)
    with Node.open(victim.data, clock=FakeClock()) as node:
        plan = archive.plan_import(node, big_file)
        assert plan.accepted.keys() == {d}
        lines = big_file.read_bytes().split(b"\n")
        late = limits.GROUP_COMMIT_ENTRIES_MAX + 20  # in D's second chunk (line 0 is the header)
        entry = json.loads(lines[late])
        assert entry["author"] == d
        lines[late] = canon({**entry, "sig": t.flip_hex(entry["sig"])})
        big_file.write_bytes(b"\n".join(lines))
        report = archive.apply_import(node, plan)
    assert report.refused_feeds == {d: "bad_sig", public(victim.devices["E"][0]): "bad_format"}
    assert report.stored == 0
    assert victim.status(capsys) == before


def test_a_feed_the_fold_will_not_hold_whole_is_refused_whole(
    victim: Victim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """D's feed without its seq 1: every entry waits for it, more than one author may have
    held (limits.HELD_PER_AUTHOR_MAX). The fold would hold the first ones and refuse the
    rest; import takes none of them rather than part of the feed."""
    header, _ = victim.export(capsys, tmp_path / "v.chitlog")
    sk, deps = victim.device("D")
    count = limits.HELD_PER_AUTHOR_MAX + 10
    partial = forge_feed(sk, victim.branch, count + 1, deps)[1:]
    path = seal_file(tmp_path / "partial.chitlog", header, partial, sk)

    before = victim.status(capsys)
    code, out, err = victim.import_(capsys, path)
    assert code == 1 and err == "", (out, err)
    assert out.splitlines() == [
        "Imported 0 new entries (0 already held) from 0 feeds",
        f"{refused_line(public(sk), 'too_many_held')} ({count} entries; nothing from this feed"
        " was stored)",
    ]
    assert victim.status(capsys) == before


def test_a_refused_file_changes_nothing(
    victim: Victim, big_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    *lines, seal = big_file.read_bytes().splitlines()
    broken = canon({**json.loads(seal), "sig": t.flip_hex(json.loads(seal)["sig"])})
    big_file.write_bytes(b"".join(line + b"\n" for line in [*lines, broken]))
    before = victim.status(capsys)
    code, out, err = victim.import_(capsys, big_file)
    assert code == 1 and out == ""
    assert err.startswith("chitnode: error [import_refused]: ")
    assert victim.status(capsys) == before
