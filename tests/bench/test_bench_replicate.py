"""bench/bench_replicate.py still runs: a tiny N, its JSON's shape (no timing asserted).

The run is real: a serving and a pulling process over mutual TLS, the in-process
session, a 3-node live-push branch and Hypercore's two Node processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "bench_replicate.py"
N = 200
LIVE = 10  # live-push entries: enough for a p50 and a p99
RUN_TIMEOUT_S = 300  # generation, both nodes, Hypercore's two processes: seconds at this N


def bench(tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(BENCH), "--n", str(N), "--live", str(LIVE), "--json"]
    cmd += ["--tmp", str(tmp_path)]
    cmd += ["--cache-dir", str(tmp_path / "cache")]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=REPO, env=env
    )


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_replicate_bench_prints_one_json_object_with_both_rates(tmp_path: Path) -> None:
    proc = bench(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    human, line = proc.stdout.splitlines()
    assert human.startswith("bench_replicate: catch-up ")
    doc = json.loads(line)
    assert doc["bench"] == "bench_replicate"
    assert doc["n"] == N
    # the generated log, the server's channel binding, the puller's enrolment and binding
    assert doc["entries"] == N + 3
    assert doc["transport"] == "mutual_tls_websocket"
    for field in ("entries_per_s", "hypercore_entries_per_s", "loopback_entries_per_s"):
        assert doc[field] > 0, field
    catch_up = doc["catch_up"]
    assert catch_up["stored"] == catch_up["held_after"] == N + 3
    assert catch_up["finished"] and catch_up["error"] is None and catch_up["lag"] == 0
    assert doc["catch_up_peak_rss_mb"] == catch_up["peak_rss_mb"] > 0
    assert doc["loopback"]["digests_equal"]
    live = doc["live_push"]
    assert live["entries"] == LIVE and live["followers"] == 2 and live["missing"] == 0
    assert 0 < doc["live_push_p50_ms"] <= doc["live_push_p99_ms"] <= live["max_ms"]
    assert doc["ratio"] == pytest.approx(
        doc["entries_per_s"] / doc["hypercore_entries_per_s"], rel=1e-2
    )
    assert doc["target_ratio"] == 3.0
    assert isinstance(doc["meets_target"], bool)
    assert doc["loopback"]["peak_rss_mb"] > 0
    hyper = doc["hypercore"]
    assert hyper["n"] == N and hyper["block_bytes"] == 300
    assert hyper["hypercore"].startswith("11.")
    assert doc["machine"]["nproc"] >= 1


def test_replicate_bench_says_when_node_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    proc = bench(tmp_path, env)
    assert proc.returncode != 0
    assert "`node` (Node.js >= 18) is not on PATH" in proc.stderr
    assert "Traceback" not in proc.stderr
