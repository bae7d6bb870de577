"""The head office (issue 16) on both engines: each test runs on DuckDB and PostgreSQL.

Branches are the demo built three times (tests/hq/conftest.py) or hand-made feeds
(tests/support/feeds.py) where a test needs a fork, another root or a later entry.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chitnode.domain import chit_kinds_base as base
from chitnode.errors import ChitError
from chitnode.hq import schema
from chitnode.hq.db import connect
from chitnode.hq.kpis import BranchKpis
from chitnode.hq.office import HeadOffice
from chitnode.hq.reports import write_all
from chitnode.log.entry import Entry
from chitnode.log.export import ExportHeader, write_export
from chitnode.services import report_tables as rt
from tests.support.exports import tamper, write_feeds_export
from tests.support.feeds import BRANCH, Feed, engine_at, enrol, founded, seeded_key, twin_of
from tests.support.hq_branches import BranchExport


def _import_all(office: HeadOffice, branches: list[BranchExport]) -> None:
    for b in branches:
        result = office.import_export(b.export)
        assert result.new_entries == b.entries and not result.refused


def _code(exc: pytest.ExceptionInfo[ChitError]) -> str:
    return exc.value.code


def _counts(office: HeadOffice) -> tuple[int, ...]:
    return tuple(
        int(office.db.query(f"SELECT count(*) FROM {table}")[0][0])
        for table in schema.BRANCH_TABLES
    )


def test_each_branch_folds_to_its_own_digest(
    office: HeadOffice, demo_exports: list[BranchExport]
) -> None:
    _import_all(office, demo_exports)
    held = {b.branch_id: b for b in office.branches()}
    assert set(held) == {b.branch_id for b in demo_exports}
    for b in demo_exports:
        assert held[b.branch_id].state_digest == b.digest  # the kernel fold's digest
        assert held[b.branch_id].entries == b.entries
        assert held[b.branch_id].name == b.name
        # and the rows in the database are the branch's own state, row for row
        assert office.state_of(b.branch_id).digest() == b.state.digest()


def _own_kpis(b: BranchExport) -> dict[str, object]:
    """What the branch's own reports (and its state) say, computed apart from chitnode.hq."""
    state = b.state
    groups = state.rows(base.GROUPS)
    open_groups = {g for g, row in groups.items() if row["status"] != base.CLOSED}
    tickets = [t for t in state.rows(base.TICKETS).values() if t["group_id"] in open_groups]
    loans = rt.loan_portfolio(state).table("Loans")
    defaults = rt.default_summary(state, b.newest_ts)
    chart = rt.cash_chart(state)
    collected = next(s for s in chart.series if s.label == "Collected")
    return {
        "pool_paise": sum(int(groups[g]["chit_value_paise"]) for g in open_groups),
        "active_members": len({t["member_id"] for t in tickets}),
        "tickets_active": len(tickets),
        "tickets_in_default": len(defaults.table("Tickets in default").rows),
        "loans_count": len(loans.rows),
        "loans_outstanding_paise": sum(int(v) for v in loans.column("outstanding_paise")),
        "collections": {m: p for m, p in zip(chart.months, collected.paise, strict=True) if p},
        "entries": b.entries,
    }


def _figures(k: BranchKpis) -> dict[str, object]:
    return {
        "pool_paise": k.pool_paise,
        "active_members": k.active_members,
        "tickets_active": k.tickets_active,
        "tickets_in_default": k.tickets_in_default,
        "loans_count": k.loans_count,
        "loans_outstanding_paise": k.loans_outstanding_paise,
        "collections": dict(k.collections),
        "entries": k.entries,
    }


def test_kpis_are_the_sum_of_each_branch_own_reports(
    office: HeadOffice, demo_exports: list[BranchExport]
) -> None:
    _import_all(office, demo_exports)
    kpis = office.kpis()
    own = {b.branch_id: _own_kpis(b) for b in demo_exports}
    assert {k.branch_id: _figures(k) for k in kpis.branches} == own
    total = _figures(kpis.total)
    for name in ("pool_paise", "active_members", "tickets_in_default", "loans_outstanding_paise"):
        assert total[name] == sum(int(o[name]) for o in own.values())  # type: ignore[call-overload]
    months: dict[str, int] = {}
    for o in own.values():
        for month, paise in o["collections"].items():  # type: ignore[attr-defined]
            months[month] = months.get(month, 0) + paise
    assert total["collections"] == months
    assert sum(dict(kpis.total.activity).values()) == sum(b.entries for b in demo_exports)
    assert 0 < kpis.total.default_rate < 1
    one = office.kpis(demo_exports[1].name)  # by name, or by id
    assert [k.branch_id for k in one.branches] == [demo_exports[1].branch_id]
    assert _figures(one.total) == own[demo_exports[1].branch_id]


def test_a_branch_unknown_to_the_head_office_is_refused(
    office: HeadOffice, demo_exports: list[BranchExport]
) -> None:
    _import_all(office, demo_exports[:1])
    with pytest.raises(ChitError) as exc:
        office.kpis("0" * 32)
    assert _code(exc) == "hq_unknown_branch"
    with pytest.raises(ChitError) as exc:
        office.kpis("x" * 10_000)
    assert _code(exc) == "hq_unknown_branch"


def test_a_second_import_changes_nothing(
    office: HeadOffice, demo_exports: list[BranchExport], tmp_path: Path
) -> None:
    b = demo_exports[0]
    office.import_export(b.export)
    before = (_counts(office), office.branches())
    with pytest.raises(ChitError) as exc:
        office.import_export(b.export)  # the same file: known by its SHA-256
    assert _code(exc) == "hq_already_imported"
    copy = tmp_path / "copy.chitlog"  # another file, nothing new in it
    copy.write_bytes(b.export.read_bytes().replace(b'"created_ms":', b'"created_ms":1', 1))
    with pytest.raises(ChitError) as exc:
        office.import_export(copy)
    assert _code(exc) in ("hq_already_imported", "import_refused")
    assert (_counts(office), office.branches()) == before


def _export(path: Path, root: Feed, entries: list[Entry], created_ms: int) -> Path:
    ordered = sorted(entries, key=lambda e: (e.author, e.seq))
    header = ExportHeader(BRANCH, root.public, root.public, created_ms, len(ordered))
    with open(path, "wb") as out:
        write_export(out, root.key, header, ordered)
    return path


def _member(n: int) -> dict[str, object]:
    return {"key": seeded_key(100 + n).verify_key.encode().hex(), "name": f"m{n}", "role": "member"}


def test_a_later_export_folds_only_what_is_new(office: HeadOffice, tmp_path: Path) -> None:
    root = founded("Incremental")
    admin = Feed(seeded_key(2))
    enrol(root, admin, "admin")
    for n in range(3):
        admin.write("device.enrolled", _member(n), deps=[root.entries[-1]])
    first = _export(tmp_path / "1.chitlog", root, [*root.entries, *admin.entries], 1)
    assert office.import_export(first).new_entries == 5
    for n in range(3, 7):
        admin.write("device.enrolled", _member(n))
    root.write("device.revoked", {"key": _member(0)["key"], "reason": "lost"})
    second = _export(tmp_path / "2.chitlog", root, [*root.entries, *admin.entries], 2)
    result = office.import_export(second)
    assert (result.new_entries, result.duplicates) == (5, 5)
    with engine_at(tmp_path / "reference") as reference:  # the kernel, fed everything at once
        with reference.store.transaction():
            reference.store.set_meta("root", root.public)
        reference.load()
        with reference.store.transaction():
            reference.ingest([*root.entries, *admin.entries])
        assert office.branch(BRANCH).state_digest == reference.digest()
        assert office.state_of(BRANCH).digest() == reference.state.digest()
    assert office.branch("Incremental").entries == 10


def test_a_forked_feed_is_refused_and_the_rest_kept(office: HeadOffice, tmp_path: Path) -> None:
    root = founded("Forked")
    admin = Feed(seeded_key(2))
    enrol(root, admin, "admin")
    admin.write("device.enrolled", _member(1), deps=[root.entries[-1]])
    admin.write("device.enrolled", _member(2))
    twin = twin_of(admin.key, admin.entries[-1], _member(3))
    export = tmp_path / "forked.chitlog"
    write_feeds_export(export, root, [*root.entries, *admin.entries, twin])
    result = office.import_export(export)
    assert result.refused == {admin.public: "fork"}
    assert any(line.startswith("fork ") for line in result.problems)
    assert result.new_entries == len(root.entries)
    held = office.db.query("SELECT DISTINCT author FROM entries")
    assert held == [(root.public,)]
    assert any("refused feed" in a for a in office.branch(BRANCH).anomalies)


def test_a_new_branch_with_no_feed_that_verifies_gets_nothing(
    office: HeadOffice, tmp_path: Path
) -> None:
    root = founded("Only a fork")
    root.write("device.enrolled", _member(1))
    twin = twin_of(root.key, root.entries[-1], _member(2))
    export = tmp_path / "forked-root.chitlog"
    write_feeds_export(export, root, [*root.entries, twin])
    before = _counts(office)
    with pytest.raises(ChitError) as exc:
        office.import_export(export)
    assert _code(exc) == "hq_feeds_refused"
    assert f"fork 2 {root.public}" in exc.value.message  # the verifier's line
    assert _counts(office) == before


def test_an_export_that_does_not_verify_changes_nothing(
    office: HeadOffice, demo_exports: list[BranchExport], tmp_path: Path
) -> None:
    """One entry's body changed after the export was sealed: the seal no longer covers
    the file, so the kernel's verifier refuses all of it (as `chitnode import` does)."""
    bad = tmp_path / "tampered.chitlog"
    tamper(demo_exports[0].export, bad)
    before = _counts(office)
    with pytest.raises(ChitError) as exc:
        office.import_export(bad)
    assert _code(exc) == "import_refused"
    assert "nothing imported" in exc.value.message
    assert _counts(office) == before
    assert office.branches() == []


def test_another_root_for_a_known_branch_is_refused(office: HeadOffice, tmp_path: Path) -> None:
    root = founded("Genuine")
    office.import_export(_export(tmp_path / "a.chitlog", root, root.entries, 1))
    before = _counts(office)
    other = Feed(seeded_key(9))  # the same branch id, founded by another key
    other.write("branch.genesis", {"branch_name": "Genuine", "root": other.public})
    with pytest.raises(ChitError) as exc:
        office.import_export(_export(tmp_path / "b.chitlog", other, other.entries, 1))
    assert _code(exc) == "wrong_branch"
    assert _counts(office) == before


def test_a_newer_schema_is_refused_untouched(hq_target: str, tmp_path: Path) -> None:
    HeadOffice.open(hq_target, data=tmp_path).close()
    db = connect(hq_target)
    db.execute("INSERT INTO schema_version VALUES (?, ?)", (schema.LATEST + 1, 0))
    db.close()
    with pytest.raises(ChitError) as exc:
        HeadOffice.open(hq_target, data=tmp_path)
    assert _code(exc) == "hq_schema_newer"
    db = connect(hq_target)
    try:
        versions = sorted(int(v) for (v,) in db.query("SELECT version FROM schema_version"))
        assert versions == [*range(1, schema.LATEST + 1), schema.LATEST + 1]
    finally:
        db.close()


def test_consolidated_reports_add_up_the_branches(
    office: HeadOffice, demo_exports: list[BranchExport], tmp_path: Path
) -> None:
    _import_all(office, demo_exports)
    written = write_all(office, tmp_path / "out", 1_800_000_000_000)
    names = sorted(p.name for p in written)
    assert names == sorted(
        f"hq-{n}.{x}" for n in ("balance-sheet", "defaults", "loans") for x in ("csv", "pdf")
    )
    assert all(p.read_bytes().startswith(b"%PDF") for p in written if p.suffix == ".pdf")
    sections = rt.read_csv((tmp_path / "out" / "hq-loans.csv").read_text())
    loans = [r for r in sections["Loans"] if r["branch"] != "Total"]
    own = [rt.loan_portfolio(b.state).table("Loans") for b in demo_exports]
    assert len(loans) == sum(len(t.rows) for t in own)
    assert {r["branch"] for r in loans} <= {b.name for b in demo_exports}
    total = next(r for r in sections["Loans"] if r["branch"] == "Total")
    assert int(total["amount_paise"]) == sum(int(v) for t in own for v in t.column("amount_paise"))


def test_an_older_schema_is_migrated_with_its_rows(hq_target: str, tmp_path: Path) -> None:
    """A version-1 database (before kpi_activity) opens at the latest version, and the
    new table is filled from the entries it already held."""
    db = connect(hq_target)
    try:
        db.execute(schema.SCHEMA_VERSION_TABLE)
        with db.transaction():
            for statement in schema.MIGRATIONS[0]:
                db.execute(statement)
            db.execute("INSERT INTO schema_version VALUES (?, ?)", (1, 0))
        rows = [("b" * 32, "a" * 64, seq, "h", "k", 0, "2026-01", "{}") for seq in (1, 2, 3)]
        db.insert("entries", rows)
    finally:
        db.close()
    with HeadOffice.open(hq_target, data=tmp_path) as office:
        assert schema.version_of(office.db) == schema.LATEST >= 2
        assert office.db.query("SELECT branch_id, month, entries FROM kpi_activity") == [
            ("b" * 32, "2026-01", 3)
        ]
