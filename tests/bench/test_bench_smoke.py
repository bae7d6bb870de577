"""The benchmarks still run: each with a tiny N, through bench/run_all.py (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXPECTED = {
    "bench_append": ("node_per_s", "raw_per_s", "ratio"),
    "bench_group_commit": ("node_per_s", "raw_per_s", "ratio"),
    "bench_transfer": ("node_per_s", "raw_per_s", "ratio"),
    "bench_verify": ("verify_per_s", "raw_per_s", "ratio"),
    "bench_rebuild": ("seconds", "raw_seconds", "time_ratio", "peak_rss_mb", "rss_ratio_to_limit"),
}


def test_every_benchmark_runs_with_a_small_n(tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    cmd = [sys.executable, str(REPO / "bench" / "run_all.py"), "--n", "200"]
    cmd += ["--tmp", str(tmp_path), "--cache-dir", str(tmp_path / "cache"), "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    docs = {d["bench"]: d for d in map(json.loads, out.read_text().splitlines())}
    assert set(docs) == set(EXPECTED)
    for name, fields in EXPECTED.items():
        doc = docs[name]
        assert doc["n"] == 200, name
        assert doc["machine"]["nproc"] >= 1
        for f in fields:
            assert doc[f] > 0, (name, f)
    assert "| durable single append |" in proc.stdout
    rebuild = docs["bench_rebuild"]  # a time ratio against raw, timed before and after
    assert len(rebuild["raw_seconds_before_after"]) == 2
    assert all(s > 0 for s in rebuild["raw_seconds_before_after"])
    assert rebuild["target_time_ratio"] > 1
    assert "x raw time (target <= " in proc.stdout and "raw time (<= " in proc.stdout
