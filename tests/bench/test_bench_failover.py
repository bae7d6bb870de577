"""bench/bench_failover.py still runs (`--small`: one kill of the holder, three forwards
from each sender), and its JSON has the figures' shape (no timing asserted). The run is
real: four `chitnode serve` processes on loopback, one killed with SIGKILL and restarted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.system

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "bench_failover.py"
RUN_TIMEOUT_S = 600  # a branch, four serves, a failover and a restart, on 2 busy cores


def test_failover_bench_prints_one_json_object_with_both_figures(tmp_path: Path) -> None:
    cmd = [sys.executable, str(BENCH), "--small", "--json", "--tmp", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    human, line = proc.stdout.splitlines()
    assert human.startswith("bench_failover: new holder after SIGKILL p50 ")
    doc = json.loads(line)
    assert (doc["bench"], doc["rounds"], doc["n"]) == ("bench_failover", 1, 3)
    assert len(doc["failover_ms"]) == 1 and doc["failover_p50_ms"] > 0
    limit = doc["failover_limit_ms"]
    # the ratio is of the unrounded p99, the figure printed is rounded to the ms
    assert abs(doc["failover_p99_ratio"] - doc["failover_p99_ms"] / limit) < 0.001
    for side in ("forwarded", "local"):  # every command of the burst was written
        assert doc[side]["entries"] == doc["senders"] * 3 == 9
        assert 0 < doc[side]["p50_ms"] <= doc[side]["p99_ms"]
    rate = doc["forwarded"]["entries_per_s"] / doc["local"]["entries_per_s"]
    assert abs(doc["forwarded_rate_ratio"] - rate) < 0.01
