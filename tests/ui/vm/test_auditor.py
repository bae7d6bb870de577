"""The auditor's view-model (ui/vm/auditor.py) over the demo branch's export and the same
export with one byte of one entry's body flipped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode.errors import NotFound, UsageError
from chitnode.services.archive import export_file
from chitnode.services.audit import audit_export
from tests.support.demo_branch import demo_branch
from tests.support.exports import tamper
from ui import fmt, i18n
from ui.vm import auditor as vm


def t(key: str, **kw: object) -> str:
    return i18n.t("en", key, **kw)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with demo_branch(tmp_path_factory) as branch:
        path = branch.folder.parent / "demo.chitlog"
        export_file(branch.node, path)
        yield path


def test_a_clean_export_is_said_clean_with_every_balance(export: Path) -> None:
    found = audit_export(export)
    shown = vm.build_audit(found, t, fmt.rupees)
    assert shown.clean and shown.verdict == "Verified: nothing wrong, and the books balance."
    assert shown.balance == "Balances sum to zero and no account is below zero."
    assert [s.ident for s in shown.sections] == ["broken", "forks", "fencing", "rejected", "prizes"]
    assert all(s.rows == () and s.more == "" for s in shown.sections)
    assert shown.sections[0].heading == "Broken entries: 0"
    assert len(shown.members) == 40 and shown.members[0][0] == "M001"
    assert all(cell.startswith("₹") for row in shown.members for cell in row[2:])
    assert shown.groups and shown.saves_to == str(export) + ".findings.json"
    assert f"{found.entries} entries · {found.entries} folded · 0 left out" in shown.summary
    assert vm.expected_entries(export) == found.entries  # the header's count: the bar's total


def test_a_tampered_export_names_the_broken_entry_with_its_code(
    export: Path, tmp_path: Path
) -> None:
    tampered = tmp_path / "tampered.chitlog"
    seq, author = tamper(export, tampered)
    found = audit_export(tampered)
    shown = vm.build_audit(found, t, fmt.rupees)
    assert not shown.clean and shown.verdict == "Does not verify: 2 problems."
    broken = shown.sections[0]
    assert broken.heading == "Broken entries: 2"
    assert f"bad_hash · feed {author[: vm.KEY_SHOWN_CHARS]} · seq {seq}" in broken.rows
    assert any(row.startswith("bad_seal · the file") for row in broken.rows)
    assert len(shown.members) == 40  # balances still computed, from what verifies
    assert shown.balance.startswith("Balances sum to zero")


def test_progress_fills_half_the_bar_verifying_then_the_rest_folding() -> None:
    assert vm.progress(0, 0, 100, t).fraction == 0
    half = vm.progress(100, 0, 100, t)
    assert half.fraction == 0.5 and half.text == "Verifying: 100 of 100 entries"
    fold = vm.progress(100, 50, 100, t)
    assert fold.fraction == 0.75 and fold.text == "Recomputing balances: 50 of 100 entries"
    assert vm.progress(500, 500, 100, t).fraction == 1.0  # a header that under-counts


def test_a_path_is_typed_or_refused_in_words(export: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        vm.export_path("  ", tmp_path)
    with pytest.raises(NotFound):
        vm.export_path("nothing-here.chitlog", tmp_path)
    assert vm.export_path(str(export), tmp_path) == export
    assert vm.export_path(export.name, export.parent) == export  # relative to the data folder


def test_exports_are_offered_newest_first(tmp_path: Path) -> None:
    old, new = tmp_path / "a.chitlog", tmp_path / "b.chitlog"
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    os.utime(old, (1_000, 1_000))
    (tmp_path / "notes.txt").write_text("not an export")
    found = vm.find_exports([tmp_path, tmp_path / "missing"])
    assert [c.path.name for c in found] == ["b.chitlog", "a.chitlog"]
    assert found[0].label == f"b.chitlog — {tmp_path.resolve()}"
    assert vm.expected_entries(old) == 1  # no header: a guess from the size, at least one
