"""`chitnode hq ...` end to end, in a child process as an admin runs it, on both engines."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli_proc import chitnode, ok, refused
from tests.support.hq_branches import BranchExport


def test_an_admin_imports_branches_and_reads_kpis_and_reports(
    hq_target: str, demo_exports: list[BranchExport], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    hq = ("--data", data, "hq")
    db = ("--db", hq_target)
    first, second = demo_exports[0], demo_exports[1]
    out = ok(chitnode(*hq, "import", first.export, second.export, *db))
    assert f"{first.entries} new entries" in out and f"{second.entries} new entries" in out
    refused(chitnode(*hq, "import", first.export, *db), "hq_already_imported")
    refused(chitnode(*hq, "import", tmp_path / "missing.chitlog", *db), "import_refused")
    status = json.loads(ok(chitnode(*hq, "status", "--json", *db)))
    digests = {b["branch_id"]: b["state_digest"] for b in status["branches"]}
    assert digests == {first.branch_id: first.digest, second.branch_id: second.digest}
    kpis = json.loads(ok(chitnode(*hq, "kpis", "--json", *db)))
    assert kpis["total"]["entries"] == first.entries + second.entries
    assert kpis["total"]["total_pool_paise"] == sum(b["total_pool_paise"] for b in kpis["branches"])
    one = json.loads(ok(chitnode(*hq, "kpis", "--branch", second.branch_id, "--json", *db)))
    assert [b["name"] for b in one["branches"]] == [second.name]
    text = ok(chitnode(*hq, "kpis", *db))
    assert "All branches" in text and "default rate" in text
    refused(chitnode(*hq, "kpis", "--branch", "Nowhere", *db), "hq_unknown_branch")
    reports = tmp_path / "reports"
    ok(chitnode(*hq, "report", "--out", reports, *db))
    assert sorted(p.name for p in reports.iterdir()) == sorted(
        f"hq-{n}.{x}" for n in ("balance-sheet", "defaults", "loans") for x in ("csv", "pdf")
    )


def test_the_default_database_is_a_duckdb_file_in_the_data_folder(
    demo_exports: list[BranchExport], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    ok(chitnode("--data", data, "hq", "import", demo_exports[2].export))
    assert (data / "hq.duckdb").is_file()
    assert (data / "hq-fold" / demo_exports[2].branch_id).is_dir()
    text = ok(chitnode("--data", data, "hq", "status"))
    assert demo_exports[2].digest in text


def test_a_database_that_cannot_be_reached_is_a_clear_error(tmp_path: Path) -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"
    refused(chitnode("--data", tmp_path, "hq", "status", "--db", url), "hq_db_unusable")
