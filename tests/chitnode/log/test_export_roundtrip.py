"""Export and import between real nodes (`chitnode.services.archive`), checked by both verifiers.

A node's export must verify clean with the project's verifier and the independent
reference verifier; importing it elsewhere is idempotent; two nodes that end up
holding the same entries have the same state digest; a tampered feed is skipped,
a tampered file is refused whole and changes nothing; a store founded again with the
same branch id is another branch (wal-v1 §5). Hostile files: test_hostile_import.py.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode.domain.kinds import role_allows
from chitnode.errors import BadFormat, ChitError, WrongBranch
from chitnode.log.entry import parse_entry
from chitnode.log.verify import verify_file
from chitnode.node.node import Node
from chitnode.services.archive import ImportRefused, export_file, import_file
from tests.support.clock import FakeClock
from tests.vectors import tamper as t

T0 = FakeClock().wall_ms
DEVICES = [f"{i:02x}" * 32 for i in (0xA1, 0xB2, 0xC3)]


@pytest.fixture(autouse=True)
def _keystore_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
    monkeypatch.setenv("CHITNODE_KEYSTORE", "file")


def new_node(path: Path, name: str, wall_ms: int, branch_id: str | None = None) -> Node:
    return Node.init(path, name, clock=FakeClock(wall_ms=wall_ms), branch_id=branch_id)


@pytest.fixture
def node_a(tmp_path: Path) -> Iterator[Node]:
    """Root of branch "Test": genesis plus three enrolled devices (4 entries).

    A copy of its store taken after the genesis is a second node of the same branch
    (same id, same root) that holds less: see `same_branch`.
    """
    new_node(tmp_path / "a", "Test", T0).close()
    shutil.copytree(tmp_path / "a", tmp_path / "a_at_genesis")
    node = Node.open(tmp_path / "a", clock=FakeClock(wall_ms=T0))
    for i, key in enumerate(DEVICES):
        node.clock.advance(60_000)  # type: ignore[attr-defined]
        receipt = node.submit("device.enrolled", {"key": key, "role": "foreman", "name": f"d{i}"})
        assert receipt.status == "applied"
    yield node
    node.close()


def same_branch(tmp_path: Path) -> Node:
    """Another store of node_a's branch, holding only its genesis."""
    return Node.open(tmp_path / "a_at_genesis", clock=FakeClock(wall_ms=T0))


def enrol_device(node: Node) -> tuple[str, list[list[object]]]:
    """Enrol a foreman key whose secret the tests hold; its key and deps on its enrolment."""
    key = t.pub(t.add_secret(hashlib.sha256(b"device k").digest()))
    receipt = node.submit("device.enrolled", {"key": key, "role": "foreman", "name": "k"})
    assert receipt.status == "applied"
    return key, [[node.public, receipt.seq, receipt.hash]]


def device_lines(
    node: Node, key: str, deps: list[list[object]], count: int, ts: int
) -> list[bytes]:
    """`count` chained entries of the device `key`, signed outside chitnode."""
    out, prev = [], "0" * 64
    for seq in range(1, count + 1):
        entry = t.sign(
            {
                "v": 1,
                "branch": node.branch,
                "author": key,
                "seq": seq,
                "prev": prev,
                "ts": ts + seq,
                "deps": deps,
                "kind": "member.registered",
                "body": {"member_id": f"K{seq}", "name": "K"},
            }
        )
        out.append(t.canon(entry))
        prev = entry["hash"]
    return out


def with_lines(node: Node, path: Path, extra: list[bytes]) -> list[bytes]:
    """`node`'s export at `path` plus `extra` entry lines: header (count fixed) and entries."""
    export_file(node, path)
    lines = path.read_bytes().splitlines()[:-1]
    entries = sorted(
        [*lines[1:], *extra], key=lambda x: (json.loads(x)["author"], json.loads(x)["seq"])
    )
    return [t.canon({**json.loads(lines[0]), "count": len(entries)}), *entries]


def export(node: Node, path: Path, **kw: object) -> bytes:
    export_file(node, path, **kw)  # type: ignore[arg-type]
    return path.read_bytes()


def both_clean(path: Path) -> None:
    report = verify_file(path, role_allows=role_allows)
    assert report.problems == []
    assert t.reference_codes(path.read_bytes()) == set()


def state(node: Node) -> tuple[str, int, dict[str, object]]:
    status = node.status()
    return status["state_digest"], status["entries"], status["heads"]


def reseal_as(node: Node, lines: list[bytes]) -> bytes:
    """Seal `lines` (header first) again with `node`'s key, as its export would be."""
    return t.seal_lines(lines, signer=t.add_secret(bytes(node.key)))


# --------------------------------------------------------------------------- export


def test_export_verifies_clean_with_both_verifiers(node_a: Node, tmp_path: Path) -> None:
    path = tmp_path / "a.chitlog"
    assert export_file(node_a, path) == 4
    both_clean(path)
    lines = path.read_bytes().splitlines()
    header = json.loads(lines[0])
    assert header["branch"] == node_a.branch
    assert header["root"] == header["exporter"] == node_a.public
    assert header["count"] == 4 and header["created_ms"] == node_a.clock.now_ms()
    entries = [parse_entry(line) for line in lines[1:-1]]
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert [e.kind for e in entries] == ["branch.genesis"] + ["device.enrolled"] * 3
    stored = [raw.encode() for _, raw in node_a.store.feed(node_a.public, 1)]
    assert lines[1:-1] == stored  # the stored canonical lines, byte for byte
    assert not (tmp_path / "a.chitlog.part").exists()


def test_export_is_deterministic(node_a: Node, tmp_path: Path) -> None:
    assert export(node_a, tmp_path / "1.chitlog") == export(node_a, tmp_path / "2.chitlog")


def test_partial_export_verifies_with_a_partial_note(node_a: Node, tmp_path: Path) -> None:
    path = tmp_path / "p.chitlog"
    assert export_file(node_a, path, from_seq=2) == 3
    report = verify_file(path, role_allows=role_allows)
    assert report.ok and report.partial_from == {node_a.public: 2}
    assert report.feeds == {node_a.public: (2, 4)}
    data = path.read_bytes()
    assert t.reference_codes(data) == set()
    assert any("partial feed" in n and node_a.public in n for n in t.rv.verify_report(data).notes)

    one = tmp_path / "one.chitlog"
    assert export_file(node_a, one, author=node_a.public, from_seq=4) == 1
    assert verify_file(one, role_allows=role_allows).partial_from == {node_a.public: 4}
    assert t.reference_codes(one.read_bytes()) == set()


def test_export_of_nothing_is_refused(node_a: Node, tmp_path: Path) -> None:
    with pytest.raises(BadFormat):
        export_file(node_a, tmp_path / "x.chitlog", from_seq=99)
    with pytest.raises(BadFormat):
        export_file(node_a, tmp_path / "y.chitlog", author="ee" * 32)
    assert not (tmp_path / "x.chitlog").exists() and not (tmp_path / "y.chitlog").exists()


# --------------------------------------------------------------------------- import


def test_import_is_idempotent(node_a: Node, tmp_path: Path) -> None:
    path = tmp_path / "a.chitlog"
    export_file(node_a, path)
    before = state(node_a)
    report = import_file(node_a, path)  # into the node that wrote it
    assert (report.stored, report.duplicates, report.refused_feeds) == (0, 4, {})
    assert state(node_a) == before

    with same_branch(tmp_path) as b:
        first = import_file(b, path)
        assert (first.stored, first.duplicates) == (3, 1)
        assert state(b) == state(node_a)
        second = import_file(b, path)
        assert (second.stored, second.duplicates, second.forks) == (0, 4, 0)
        assert state(b) == state(node_a)


def test_a_store_founded_again_with_the_same_id_is_another_branch(
    node_a: Node, tmp_path: Path
) -> None:
    """`Node.init(branch_id=...)` writes its own genesis under an id already in use.

    wal-v1 §5 (amended): a branch is its id *and* its root, so that store is another
    branch, whichever genesis is older: neither node takes the other's export, and
    nothing changes on either side (test_hostile_import.py has the attacker's version).
    """
    b = new_node(tmp_path / "b", "Other", T0 - 3_600_000, branch_id=node_a.branch)  # older
    try:
        assert b.branch == node_a.branch
        fa, fb = tmp_path / "a.chitlog", tmp_path / "b.chitlog"
        export_file(node_a, fa)
        export_file(b, fb)
        for node, path in ((b, fa), (node_a, fb)):
            before = state(node)
            with pytest.raises(WrongBranch) as caught:
                import_file(node, path)
            assert caught.value.code == "wrong_branch"
            assert state(node) == before
        assert b.status()["root"] == b.public
        assert node_a.status()["root"] == node_a.public
    finally:
        b.close()


def test_partial_import_is_held_until_the_rest_arrives(node_a: Node, tmp_path: Path) -> None:
    partial, full = tmp_path / "p.chitlog", tmp_path / "a.chitlog"
    export_file(node_a, partial, from_seq=3)
    export_file(node_a, full)
    with same_branch(tmp_path) as b:
        report = import_file(b, partial)
        assert (report.stored, report.held) == (2, 2)
        assert b.status()["held"] == 2
        import_file(b, full)
        status = b.status()
        assert status["held"] == 0 and status["heads"][node_a.public]["seq"] == 4


def test_feed_with_a_bad_signature_is_skipped_the_others_imported(
    node_a: Node, tmp_path: Path
) -> None:
    key, deps = enrol_device(node_a)
    k_lines = device_lines(node_a, key, deps, 2, T0 + 3_600_000)
    obj = json.loads(k_lines[1])
    k_lines[1] = t.canon({**obj, "sig": t.flip_hex(obj["sig"])})
    tampered = tmp_path / "tampered.chitlog"
    tampered.write_bytes(reseal_as(node_a, with_lines(node_a, tmp_path / "a.chitlog", k_lines)))
    assert ("bad_sig", 2, key) in t.reference_codes(tampered.read_bytes())

    with same_branch(tmp_path) as c:
        report = import_file(c, tampered)
        assert report.refused_feeds == {key: "bad_sig"}
        assert ("bad_sig", 2, key) in {(p.code, p.seq, p.author) for p in report.verify.problems}
        assert (report.stored, report.duplicates) == (4, 1)  # the root's feed
        heads = c.status()["heads"]
        assert key not in heads  # nothing at all from the bad feed
        assert heads[node_a.public]["seq"] == 5


def _refused(node: Node, path: Path) -> None:
    before = state(node)
    with pytest.raises(ImportRefused) as caught:
        import_file(node, path)
    assert caught.value.code == "import_refused"
    assert state(node) == before


def test_bad_seal_refuses_the_whole_import(node_a: Node, tmp_path: Path) -> None:
    fa = tmp_path / "a.chitlog"
    export_file(node_a, fa)
    lines = fa.read_bytes().splitlines()
    seal = json.loads(lines[-1])
    bad_seal = tmp_path / "bad_seal.chitlog"
    bad_seal.write_bytes(
        b"\n".join([*lines[:-1], t.canon({**seal, "sig": t.flip_hex(seal["sig"])})]) + b"\n"
    )
    assert t.reference_codes(bad_seal.read_bytes()) == {("bad_seal", None, None)}

    no_seal = tmp_path / "no_seal.chitlog"
    no_seal.write_bytes(b"".join(line + b"\n" for line in lines[:-1]))

    edited = tmp_path / "edited.chitlog"  # an entry changed after sealing
    edited.write_bytes(fa.read_bytes().replace(b'"name":"d1"', b'"name":"dX"'))

    with same_branch(tmp_path) as b:
        for path in (bad_seal, no_seal, edited):
            _refused(b, path)
        assert b.status()["heads"][node_a.public]["seq"] == 1


def test_count_mismatch_and_unreadable_files_are_refused(node_a: Node, tmp_path: Path) -> None:
    fa = tmp_path / "a.chitlog"
    export_file(node_a, fa)
    lines = fa.read_bytes().splitlines()
    header = json.loads(lines[0])
    miscounted = tmp_path / "miscounted.chitlog"
    miscounted.write_bytes(reseal_as(node_a, [t.canon({**header, "count": 5}), *lines[1:-1]]))
    garbage = tmp_path / "garbage.chitlog"
    garbage.write_bytes(b"not an export\n")
    for path in (miscounted, garbage, tmp_path / "missing.chitlog"):
        _refused(node_a, path)


def test_export_of_another_branch_is_refused(node_a: Node, tmp_path: Path) -> None:
    other = new_node(tmp_path / "o", "Elsewhere", T0)
    try:
        path = tmp_path / "o.chitlog"
        export_file(other, path)
        before = state(node_a)
        with pytest.raises(ChitError) as caught:
            import_file(node_a, path)
        assert caught.value.code == "wrong_branch"
        assert state(node_a) == before
    finally:
        other.close()


def test_import_into_a_reopened_node_matches_a_rebuild(node_a: Node, tmp_path: Path) -> None:
    """An entry that sorts first (a device that wrote before it had its enrolment, so with
    no deps, dated before the genesis) makes a reopened node, whose undo journal is empty,
    fold again from the start: the result is the rebuild's."""
    key, _ = enrol_device(node_a)
    early = device_lines(node_a, key, [], 1, T0 - 3_600_000)
    path = tmp_path / "a.chitlog"
    path.write_bytes(reseal_as(node_a, with_lines(node_a, tmp_path / "a0.chitlog", early)))
    with same_branch(tmp_path) as b:
        report = import_file(b, path)
        assert (report.stored, report.applied, report.rejected, report.refused_feeds) == (
            5,
            4,
            1,
            {},
        )
        digest = b.engine.digest()
        with b.store.transaction():
            b.engine.rebuild()
        assert b.engine.digest() == digest
        assert b.status()["root"] == node_a.public
