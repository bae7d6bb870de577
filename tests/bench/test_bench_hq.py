"""bench/bench_hq.py still runs: a few tiny branches into each engine, the JSON's shape
(no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.postgres import pg_bin, required

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "bench_hq.py"
RUN_TIMEOUT_S = 300  # generating, importing and folding 4 x 200 entries twice: seconds
FIGURES = (
    "import_per_s",
    "kernel_rebuild_per_s",
    "import_to_rebuild_ratio",
    "kpi_small_seconds",
    "kpi_seconds",
    "kpi_ratio",
    "kpi_ratio_small",
)


def test_hq_bench_prints_one_json_object_per_engine(tmp_path: Path) -> None:
    cmd = [sys.executable, str(BENCH), "--small", "--json"]
    cmd += ["--tmp", str(tmp_path), "--cache-dir", str(tmp_path / "cache")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    human, line = proc.stdout.splitlines()
    assert human.startswith("bench_hq: 4 branches x 200 entries; duckdb import ")
    doc = json.loads(line)
    assert (doc["bench"], doc["entries"], doc["target_kpi_s"]) == ("bench_hq", 800, 1.0)
    engines = {"duckdb", "postgresql"} if pg_bin() or required() else {"duckdb"}
    assert set(doc["engines"]) == engines
    for name in engines:
        figures = doc["engines"][name]
        assert all(figures[f] > 0 for f in FIGURES), (name, figures)
        assert (figures["kpi_small_entries"], figures["kpi_entries"]) == (200, 800)
        assert "kpi_seconds_1e8_linear" in figures and "kpi_seconds_1e8_loglog" in figures
    assert not list(tmp_path.glob("bench-*")), "the scratch folder is removed"
