"""bench/bench_auction_fanout.py still runs: a few sessions and bids, its JSON's shape
(no timing asserted). The run is real: in-process sessions of the app over a real node,
and the first-load files fetched from the app's own ASGI app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "bench_auction_fanout.py"
SESSIONS = 3
BIDS = 3
RUN_TIMEOUT_S = 300  # a small branch, three sessions, the web client's files: seconds


def test_fanout_bench_prints_one_json_object_with_both_figures(tmp_path: Path) -> None:
    cmd = [sys.executable, str(BENCH), "--sessions", str(SESSIONS), "--n", str(BIDS)]
    cmd += ["--json", "--tmp", str(tmp_path), "--cache-dir", str(tmp_path / "cache")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    human, line = proc.stdout.splitlines()
    assert human.startswith(f"bench_auction_fanout: a bid reaches all {SESSIONS} sessions")
    doc = json.loads(line)
    assert (doc["bench"], doc["n"], doc["sessions"]) == ("bench_auction_fanout", BIDS, SESSIONS)
    assert 0 < doc["fanout_p50_ms"] <= doc["fanout_p99_ms"]
    assert doc["ratio"] == round(doc["fanout_p99_ms"] / doc["target_p99_ms"], 3)
    paths = doc["first_load"]["paths"]
    assert set(paths) == {"skwasm", "canvaskit"}
    for path in paths.values():  # gzip pays: compressed is smaller than what it stands for
        assert 0 < path["gzip_bytes"] < path["raw_bytes"]
    assert doc["first_load_bytes"] == max(p["gzip_bytes"] for p in paths.values())
    assert doc["first_load"]["fonts"] > 0
