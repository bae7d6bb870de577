"""bench/bench_office.py still runs: a small generated store and export, both admin pages
rendered in real in-process sessions of the app, the app's verify against `chitnode
verify`, and its JSON's shape (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "bench_office.py"
N = 300  # entries: a generated branch just past its genesis and enrolments
PAGES = {
    "audit": "/admin/audit",
    "dashboard": "/admin",
    "audit_filtered": "/admin/audit?kind=branch.genesis",  # the oldest entry's kind only
}.items()
ROUNDING = 0.1  # the JSON's seconds are rounded (to 10 ms for a verify of a tiny export)
SECONDS_HALF_STEP = 0.005  # half the 10 ms the verify seconds are rounded to
RUN_TIMEOUT_S = 300  # generating, two renders, three verifies of a tiny log: seconds


def test_office_bench_prints_one_json_object_with_pages_and_verify(tmp_path: Path) -> None:
    cmd = [sys.executable, str(BENCH), "--n", str(N), "--json"]
    cmd += ["--tmp", str(tmp_path), "--cache-dir", str(tmp_path / "cache")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    human, line = proc.stdout.splitlines()
    assert human.startswith(f"bench_office: n={N}; first render /admin/audit ")
    assert "`chitnode verify`" in human
    doc = json.loads(line)
    assert (doc["bench"], doc["n"]) == ("bench_office", N)
    for name, route in PAGES:
        page = doc["pages"][name]
        assert page["route"] == route
        assert page["seconds"] > 0 and page["sent_bytes"] > 0  # a screen went to the browser
        assert page["traced_peak_mb"] > 0
        ratio = page["seconds"] / doc["page_target_s"]  # from rounded seconds: near, not equal
        assert doc["page_ratios"][name] == pytest.approx(ratio, rel=ROUNDING, abs=0.001)
    assert doc["app_verify_seconds"] > 0 and doc["cli_verify_seconds"] > 0
    assert len(doc["cli_verify_seconds_before_after"]) == 2
    assert doc["target_ratio"] == 1.1
    # The seconds are rounded to 10 ms; on a tiny export the app's verify is ~30 ms, so
    # the ratio is checked against the range the rounding leaves, not a relative error.
    app, cli, half = doc["app_verify_seconds"], doc["cli_verify_seconds"], SECONDS_HALF_STEP
    low, high = max(app - half, 0.0) / (cli + half), (app + half) / max(cli - half, half)
    assert low - 0.001 <= doc["ratio"] <= high + 0.001
