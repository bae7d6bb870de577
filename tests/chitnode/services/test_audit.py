"""The auditor's reading of an export (chitnode/services/audit.py): verify, fold alone, list.

On the demo branch's export: every balance recomputed from the log equals the node's (the
same state digest), nothing anomalous. The same export with one byte of one entry's body
flipped: that entry is listed with its verify code, its feed folds up to it, the balances
are still computed from what verifies. A hand-made export shows forks, fencing evidence
(stale_term) and rejections by code.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chitnode import limits
from chitnode.domain import chit_kinds_base as base
from chitnode.domain.state import State
from chitnode.errors import NotFound
from chitnode.services.archive import export_file
from chitnode.services.audit import (
    Findings,
    audit_export,
    findings_path,
    prizes_without_minutes,
    save_findings,
)
from tests.support.coordinated import registered
from tests.support.demo_branch import demo_branch
from tests.support.exports import tamper, write_feeds_export
from tests.support.feeds import Feed, enrol, founded, seeded_key, twin_of


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, int]]:
    """The demo branch's export, its node's state digest and entry count."""
    with demo_branch(tmp_path_factory) as branch:
        path = branch.folder.parent / "demo.chitlog"
        count = export_file(branch.node, path)
        yield path, branch.node.engine.digest(), count


def test_the_demo_export_folds_alone_to_the_nodes_own_state(
    demo_export: tuple[Path, str, int],
) -> None:
    path, digest, count = demo_export
    ticks: list[str] = []
    found = audit_export(
        path, on_verify=lambda: ticks.append("v"), on_fold=lambda: ticks.append("f")
    )
    assert found.verified and found.counts == {} and found.broken == []
    assert found.entries == found.folded == count and found.not_folded == 0
    assert found.state_digest == digest  # every balance, recomputed from the log alone
    assert ticks.count("v") == count and ticks.count("f") == count
    assert found.balanced and found.total_paise == 0 and found.negative == []
    assert len(found.members) == 40 and any(m.paid_paise > 0 for m in found.members)
    assert any(m.prizes_paise > 0 for m in found.members)
    assert any(g.total_paise > 0 for g in found.groups)
    assert found.prizes_without_minutes == [] and found.forks == []
    assert found.branch_name == "Mangaluru Demo Branch"


def test_a_big_export_folds_in_a_scratch_store_to_the_same_state(
    demo_export: tuple[Path, str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past AUDIT_MEMORY_FOLD_MAX entries the fold runs on a SQLite store in a temporary
    folder (removed after): the same findings as in memory."""
    path, digest, count = demo_export
    monkeypatch.setattr(limits, "AUDIT_MEMORY_FOLD_MAX", count - 1)
    scratch: list[Path] = []
    real = tempfile.TemporaryDirectory

    def recorded(*args: Any, **kw: Any) -> tempfile.TemporaryDirectory[str]:
        folder = real(*args, **kw)
        scratch.append(Path(folder.name))
        return folder

    monkeypatch.setattr(tempfile, "TemporaryDirectory", recorded)
    found = audit_export(path)
    assert found.state_digest == digest and found.folded == count and found.balanced
    assert len(scratch) == 1 and not scratch[0].exists()  # the scratch store is gone


def test_a_tampered_export_lists_the_broken_entry_and_folds_what_verifies(
    demo_export: tuple[Path, str, int], tmp_path: Path
) -> None:
    path, digest, count = demo_export
    tampered = tmp_path / "tampered.chitlog"
    seq, author = tamper(path, tampered)
    found = audit_export(tampered)
    assert not found.verified
    assert found.counts == {"bad_hash": 1, "bad_seal": 1}
    broken = [b for b in found.broken if b.author is not None]
    assert [(b.code, b.author, b.seq) for b in broken] == [("bad_hash", author, seq)]
    assert found.folded + found.not_folded == count and found.folded >= seq - 1
    assert found.not_folded >= 1  # the broken entry, and whatever of its feed follows
    assert found.state_digest != digest  # less of the log: other balances
    assert found.balanced and found.members  # ... still computed, and still summing to zero
    assert found.anomalies >= 2


def test_findings_are_saved_next_to_the_export_as_json(
    demo_export: tuple[Path, str, int], tmp_path: Path
) -> None:
    path, _, _ = demo_export
    tampered = tmp_path / "t.chitlog"
    tamper(path, tampered)
    found = audit_export(tampered)
    saved = save_findings(found)
    assert saved == findings_path(tampered) == tmp_path / "t.chitlog.findings.json"
    data = json.loads(saved.read_text())
    assert data["counts"] == {"bad_hash": 1, "bad_seal": 1} and data["balanced"] is True
    assert data["anomalies"] == found.anomalies and len(data["members"]) == 40
    assert not list(tmp_path.glob("*.part"))  # written atomically


def test_a_missing_file_is_not_found() -> None:
    with pytest.raises(NotFound):
        audit_export(Path("/nonexistent/x.chitlog"))


@pytest.fixture
def coordinated_kind() -> Iterator[str]:
    """A coordinated kind managers may write, registered for one test."""
    with registered() as kind:
        yield kind


def test_forks_fencing_and_rejections_by_code(tmp_path: Path, coordinated_kind: str) -> None:
    """A foreman that acts at term 1 after term 2 was granted (stale_term: fenced off), a
    device that never held the lease (not_lease_holder), and an employee's twin entry."""
    root, a, b, c = founded(), Feed(seeded_key(2)), Feed(seeded_key(3)), Feed(seeded_key(4))
    enrol(root, a, "foreman")
    enrol(root, b, "foreman")
    enrol(root, c, "employee")
    scope = "group:g"
    keys = sorted([a.public, b.public, root.public])
    e_set = root.write("scope.electorate_set", {"scope": scope, "keys": keys, "lease_ms": 60_000})
    b.write(coordinated_kind, {"scope": scope, "term": 1, "ref": "x"}, [e_set])
    va = a.write("lease.vote", {"scope": scope, "term": 1, "candidate": a.public}, [e_set])
    vr = root.write("lease.vote", {"scope": scope, "term": 1, "candidate": a.public}, [va])
    votes1 = [[a.public, va.seq, va.hash], [root.public, vr.seq, vr.hash]]
    grant1 = a.write("lease.granted", {"scope": scope, "term": 1, "votes": votes1}, [vr])
    vb = b.write("lease.vote", {"scope": scope, "term": 2, "candidate": b.public}, [grant1])
    vr2 = root.write("lease.vote", {"scope": scope, "term": 2, "candidate": b.public}, [vb])
    votes2 = [[b.public, vb.seq, vb.hash], [root.public, vr2.seq, vr2.hash]]
    grant2 = b.write("lease.granted", {"scope": scope, "term": 2, "votes": votes2}, [vr2])
    stale = a.write(coordinated_kind, {"scope": scope, "term": 1, "ref": "late"}, [grant2])
    once = c.write("test.note", {"text": "one"}, [grant2])
    twin = twin_of(c.key, once, {"text": "two"})
    export = tmp_path / "forked.chitlog"
    write_feeds_export(export, root, [*root.entries, *a.entries, *b.entries, *c.entries, twin])

    found = audit_export(export)
    assert found.counts["fork"] == 1  # the twin travels as evidence; its feed still folds
    assert [(f.author, f.seq) for f in found.forks] == [(c.public, once.seq)]
    assert [(r.author, r.seq, r.code) for r in found.fencing] == [
        (a.public, stale.seq, "stale_term")
    ]
    assert found.rejected_by_code["stale_term"] == 1
    assert found.rejected_by_code["not_lease_holder"] == 1
    assert found.not_folded == 0


def test_a_prize_paid_without_complete_minutes_is_found() -> None:
    """The rules refuse it; an export folded under other rules could still show one."""
    settled = {"group_id": "G1", "month": 2, "winner_member": "M1", "prize_paid": True}
    minutes = {"attesters": [base.FOREMAN_ATTESTER, "M1", "M2"]}  # one other subscriber short
    state = State(
        tables={
            base.SETTLEMENTS: {base.month_key("G1", 2): settled},
            base.MINUTES: {base.month_key("G1", 2): minutes},
        }
    )
    assert prizes_without_minutes(state) == [("G1", 2)]
    complete = {"attesters": [*minutes["attesters"], "M3"]}
    state.tables[base.MINUTES][base.month_key("G1", 2)] = complete
    assert prizes_without_minutes(state) == []


def test_an_empty_finding_is_balanced_and_clean() -> None:
    assert Findings(path="x").anomalies == 0


def test_a_file_that_is_no_export_is_found_broken_and_folds_nothing(tmp_path: Path) -> None:
    junk = tmp_path / "notes.chitlog"
    junk.write_bytes(b"these are not the minutes\nnor is this\n")
    found = audit_export(junk)
    assert not found.verified and "bad_format" in found.counts and "bad_seal" in found.counts
    assert found.folded == 0 and found.members == [] and found.state_digest == ""
    empty = tmp_path / "empty.chitlog"
    empty.write_bytes(b"")
    assert audit_export(empty).counts == {"bad_format": 1, "bad_seal": 1}
