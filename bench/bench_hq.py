"""Head office (issue 16): import many branches into each engine, then the KPI query.

B synthetic branches of N entries each (default 100 x 10,000 = 1M) are imported with
`HeadOffice.import_export` into a fresh DuckDB file and a fresh PostgreSQL database (a
throwaway cluster, tests/support/postgres.py; skipped when PostgreSQL is not installed),
each with its own data folder, so each engine's run verifies and folds every branch.

Figures, per engine:
- import entries/s, against the kernel's own rate in the same run: `FoldEngine.rebuild()`
  + COMMIT of a sample of the imported branches' fold caches (entries/s); the ratio says
  what the head office costs on top of folding (verify, the database writes).
- the consolidated KPI query (`HeadOffice.kpis()`, median of KPI_RUNS) after the first
  tenth of the branches (100k entries at full size) and after all (1M), each as a ratio
  to the 1 s target, and what a linear and a power-law (log-log) fit of those two
  points predict at 1e8 entries.

Branch exports are generated before any clock starts and cached by (B, N) in the cache
folder. Not a test: nothing here asserts a time (tests/bench/test_bench_hq.py runs it at
a tiny size and checks the JSON's shape).
"""

from __future__ import annotations

import hashlib
import math
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import common
from nacl.signing import SigningKey

sys.path.insert(0, str(common.REPO))  # tests.support.postgres: the throwaway cluster

from chitnode.hq.office import HeadOffice
from chitnode.log.entry import ZERO_HASH, seal_entry
from chitnode.log.export import ExportHeader, write_export
from tests.support.postgres import pg_cluster

NAME = "bench_hq"
GENERATOR_VERSION = 1
BRANCHES_DEFAULT = 100
SMALL = (4, 200)  # --small: branches, entries each
TARGET_KPI_S = 1.0  # the target: the consolidated KPI query under 1 s on 1M entries
KPI_RUNS = 5  # the KPI query is timed this many times; the median is reported
REBUILD_SAMPLE = 3  # fold caches re-folded to measure the kernel's own rate
MEMBER_POOL = 1_024  # keys the generated entries re-enrol: a branch's state stays bounded
TS0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
TS_STEP_MS = 3_600_000  # an entry an hour: 10k entries span about 14 months
EXTRAPOLATE_TO = 100_000_000


def _seed(i: int) -> bytes:
    return hashlib.sha256(f"chitnode-bench-hq:{i}".encode()).digest()


def _branch_id(i: int) -> str:
    return hashlib.sha256(f"chitnode-bench-hq-branch:{i}".encode()).hexdigest()[:32]


def _member(j: int) -> str:
    return hashlib.sha256(f"chitnode-bench-hq:member:{j % MEMBER_POOL}".encode()).hexdigest()


def generate(job: tuple[int, int, str]) -> str:
    """Branch `i`'s export of `n` entries at `path` (root genesis, then enrolments)."""
    i, n, path = job
    key = SigningKey(_seed(i))
    root = key.verify_key.encode().hex()
    branch = _branch_id(i)
    entries = []
    prev = ZERO_HASH
    for seq in range(1, n + 1):
        if seq == 1:
            kind, body = "branch.genesis", {"branch_name": f"Bench branch {i:03d}", "root": root}
        else:
            kind = "device.enrolled"
            body = {"key": _member(seq), "name": f"m{seq}", "role": "member"}
        entry = seal_entry(
            key,
            branch=branch,
            seq=seq,
            prev=prev,
            ts=TS0 + seq * TS_STEP_MS,
            deps=(),
            kind=kind,
            body=body,
        )
        entries.append(entry)
        prev = entry.hash
    header = ExportHeader(branch, root, root, TS0, n)
    part = Path(path + ".part")
    with open(part, "wb") as out:
        write_export(out, key, header, entries)
    part.replace(path)
    return path


def ensure_exports(branches: int, n: int, cache: Path) -> list[Path]:
    folder = cache / f"hq-v{GENERATOR_VERSION}-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"branch-{i:03d}.chitlog" for i in range(branches)]
    todo = [(i, n, str(p)) for i, p in enumerate(paths) if not p.exists()]
    if todo:
        common.log(f"generating {len(todo)} branch exports of {n:,} entries (not timed)")
        with ProcessPoolExecutor() as pool:
            for done, _ in enumerate(pool.map(generate, todo), start=1):
                if done % 10 == 0:
                    common.log(f"  {done} / {len(todo)}")
    return paths


def _kpi_seconds(office: HeadOffice) -> float:
    runs = []
    for _ in range(KPI_RUNS):
        t0 = time.perf_counter()
        office.kpis()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def _rebuild_rate(data: Path, n: int) -> float:
    """The kernel's own fold rate: rebuild + COMMIT of a few imported fold caches."""
    from chitnode.node.node import Node
    from chitnode.store.sqlite import SqliteStore

    rates = []
    for folder in sorted((data / "hq-fold").iterdir())[:REBUILD_SAMPLE]:
        store = SqliteStore.open(folder)
        try:
            node = Node(store, SigningKey.generate(), common_clock())
            node.engine.load()
            t0 = time.perf_counter()
            with store.transaction():
                node.engine.rebuild()
            rates.append(n / (time.perf_counter() - t0))
        finally:
            store.close()
    return statistics.mean(rates)


def common_clock() -> Any:
    from chitnode.clock import SystemClock

    return SystemClock()


def run_engine(target: str | None, data: Path, exports: list[Path], n: int) -> dict[str, Any]:
    """Import every export into one engine; time the import and the KPI query."""
    tenth = max(1, len(exports) // 10)
    figures: dict[str, Any] = {}
    with HeadOffice.open(target, data=data) as office:
        seconds = 0.0
        for at, path in enumerate(exports, start=1):
            t0 = time.perf_counter()
            office.import_export(path)
            seconds += time.perf_counter() - t0
            if at == tenth:
                figures["kpi_small_entries"] = at * n
                figures["kpi_small_seconds"] = _kpi_seconds(office)
            if at % 10 == 0:
                common.log(f"  imported {at} / {len(exports)} branches")
        figures["kpi_entries"] = len(exports) * n
        figures["kpi_seconds"] = _kpi_seconds(office)
        total = office.kpis().total
        assert total.entries == len(exports) * n, total.entries  # everything went in
    figures["import_seconds"] = seconds
    figures["import_per_s"] = len(exports) * n / seconds
    figures["kernel_rebuild_per_s"] = _rebuild_rate(data, n)
    figures["import_to_rebuild_ratio"] = figures["import_per_s"] / figures["kernel_rebuild_per_s"]
    figures.update(_extrapolate(figures))
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in figures.items()}


def _extrapolate(f: dict[str, Any]) -> dict[str, Any]:
    """The KPI time at EXTRAPOLATE_TO entries from the two measured points."""
    x1, y1, x2, y2 = (
        f["kpi_small_entries"],
        f["kpi_small_seconds"],
        f["kpi_entries"],
        f["kpi_seconds"],
    )
    out: dict[str, Any] = {
        "kpi_ratio_small": y1 / TARGET_KPI_S,
        "kpi_ratio": y2 / TARGET_KPI_S,
    }
    if x2 > x1 and y1 > 0 and y2 > 0:
        slope = (y2 - y1) / (x2 - x1)
        out["kpi_seconds_1e8_linear"] = max(y2 + slope * (EXTRAPOLATE_TO - x2), 0.0)
        exponent = math.log(y2 / y1) / math.log(x2 / x1)
        out["kpi_growth_exponent"] = exponent
        out["kpi_seconds_1e8_loglog"] = y2 * (EXTRAPOLATE_TO / x2) ** exponent
    return out


def main() -> None:
    p = common.parser(NAME, __doc__ or "", 10_000)
    p.add_argument("--branches", type=int, default=BRANCHES_DEFAULT)
    p.add_argument("--small", action="store_true", help=f"{SMALL[0]} branches x {SMALL[1]}")
    p.add_argument("--engines", default="duckdb,postgresql")
    args = p.parse_args()
    branches, n = SMALL if args.small else (args.branches, args.n)
    common.bench_env()
    exports = ensure_exports(branches, n, common.cache_dir(args))
    engines: dict[str, Any] = {}
    with common.scratch(args) as tmp:
        if "duckdb" in args.engines:
            common.log(f"duckdb: importing {branches} x {n:,}")
            engines["duckdb"] = run_engine(None, tmp / "duckdb", exports, n)
        if "postgresql" in args.engines:
            with pg_cluster() as cluster:
                if cluster is None:
                    common.log("postgresql: not installed, skipped")
                else:
                    common.log(f"postgresql: importing {branches} x {n:,}")
                    url = cluster.new_database()
                    engines["postgresql"] = run_engine(url, tmp / "postgresql", exports, n)
    human = f"{NAME}: {branches} branches x {n:,} entries;" + ";".join(
        f" {name} import {f['import_per_s']:,.0f} entries/s"
        f" ({f['import_to_rebuild_ratio']:.2f}x kernel rebuild {f['kernel_rebuild_per_s']:,.0f}/s),"
        f" KPIs {f['kpi_small_seconds']:.3f} s at {f['kpi_small_entries']:,}"
        f" ({f['kpi_ratio_small']:.3f}x of 1 s) -> {f['kpi_seconds']:.3f} s at {f['kpi_entries']:,}"
        f" ({f['kpi_ratio']:.3f}x of 1 s); 1e8 predicted"
        f" {f.get('kpi_seconds_1e8_linear', float('nan')):.1f} s linear,"
        f" {f.get('kpi_seconds_1e8_loglog', float('nan')):.1f} s log-log"
        for name, f in engines.items()
    )
    common.emit(
        NAME,
        args,
        human,
        {
            "n": n,
            "branches": branches,
            "entries": branches * n,
            "target_kpi_s": TARGET_KPI_S,
            "engines": engines,
        },
    )


if __name__ == "__main__":
    main()
