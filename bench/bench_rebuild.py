"""Rebuild of state from 1M entries: `FoldEngine.rebuild` in a fresh process.

Limits (absolute, from the issue): under 60 s and under 300 MB peak RSS. The
figure is the rebuild inside its transaction, COMMIT included, timed in a fresh
child process that only opened the store; peak RSS is the child's ru_maxrss
(interpreter and imports included; its size before the rebuild is reported too).

The store holds the export of common.ensure_export (genesis, enrolments, then
small `device.enrolled` entries from four feeds with deps), inserted row by row
through `Store.insert_entry`, then folded once ("prime", so the timed run starts
from a folded store as a real `chitnode rebuild` does). Both are cached in
bench/results/cache by N and not timed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import common

LIMIT_SECONDS = 60.0
LIMIT_RSS_MB = 300.0
INSERT_BATCH = 10_000


def child(store_dir: Path, profile: bool) -> None:
    """In a fresh process: open the store, time rebuild + COMMIT, print one JSON line."""
    from chitnode.node.fold import FoldEngine
    from chitnode.store.sqlite import Store

    base = common.peak_rss_mb()
    store = Store.open(store_dir)
    opened = common.peak_rss_mb()
    engine = FoldEngine(store)
    t0 = time.perf_counter()
    with store.transaction():
        engine.rebuild()
    seconds = time.perf_counter() - t0
    peak = common.peak_rss_mb()
    rows = store.conn.execute("SELECT status, count(*) FROM entries GROUP BY status")
    out = {
        "seconds": seconds,
        "placed": engine.next_pos,
        "statuses": {str(s): int(c) for s, c in rows},
        "rss_before_mb": round(base, 1),
        "rss_opened_mb": round(opened, 1),
        "peak_rss_mb": round(peak, 1),
    }
    print(json.dumps(out), flush=True)
    if profile:
        timer = common.SqlTimer(store.conn)
        store.conn = timer  # type: ignore[assignment]

        def again() -> None:
            with store.transaction():
                engine.rebuild()

        common.profile_call(again, "bench_rebuild")
        timer.report()
    store.close()


def run_child(store_dir: Path, profile: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", str(store_dir)]
    if profile:
        cmd.append("--profile")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"rebuild child failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(proc.stdout.splitlines()[0])
    return result


def ensure_store(n: int, cache: Path) -> tuple[Path, dict[str, Any]]:
    """A folded store of the generated export's n entries (cached)."""
    from chitnode.log.entry import entry_from_stored
    from chitnode.node.fold import _actor
    from chitnode.store.sqlite import SCHEMA_VERSION, Store

    # a store of another schema cannot be opened: the cache is per schema version too
    store_dir = cache / f"store-v{common.GENERATOR_VERSION}-s{SCHEMA_VERSION}-{n}"
    ready = store_dir / "bench-ready.json"
    if ready.exists():
        return store_dir, json.loads(ready.read_text())
    gen = common.ensure_export(n, cache)
    shutil.rmtree(store_dir, ignore_errors=True)
    common.log(f"filling a store with {n:,} entries in {store_dir} (not timed; cached)")
    t0 = time.perf_counter()
    store = Store.open(store_dir, create=True)
    try:
        lines = common.export_entry_lines(gen.export)
        done = False
        inserted = 0
        while not done:
            with store.transaction():
                for _ in range(INSERT_BATCH):
                    line = next(lines, None)
                    if line is None:
                        done = True
                        break
                    entry = entry_from_stored(line.decode())
                    store.insert_entry(entry, actor=_actor(entry))
                    inserted += 1
                if done:
                    store.set_meta("branch", common.BRANCH)
            if not done and inserted % 200_000 == 0:
                common.log(f"  inserted {inserted:,} / {n:,}")
    finally:
        store.close()
    fill_s = time.perf_counter() - t0
    common.log("prime: a first fold of the store, in a child (not timed)")
    prime = run_child(store_dir)
    meta = {
        "n": n,
        "fill_seconds": round(fill_s, 1),
        "prime_seconds": round(prime["seconds"], 1),
        "prime_peak_rss_mb": prime["peak_rss_mb"],
        "db_bytes": sum(p.stat().st_size for p in store_dir.iterdir() if p.is_file()),
    }
    ready.write_text(json.dumps(meta, sort_keys=True) + "\n")
    return store_dir, meta


def main(argv: list[str] | None = None) -> None:
    p = common.parser("bench_rebuild", __doc__.splitlines()[0], 1_000_000)
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, args.profile)
        return
    n = args.n
    store_dir, meta = ensure_store(n, common.cache_dir(args))
    common.log(f"rebuild of {n:,} entries in a fresh process")
    res = run_child(store_dir, args.profile)
    applied = res["statuses"].get("applied", 0)
    if res["placed"] != n or applied != n:
        raise SystemExit(f"rebuild did not place and apply every entry: {res}")
    seconds, rss = res["seconds"], res["peak_rss_mb"]
    ok_t, ok_m = seconds < LIMIT_SECONDS, rss < LIMIT_RSS_MB
    human = (
        f"bench_rebuild: {seconds:.1f} s ({n / seconds:,.0f} entries/s), "
        f"{seconds / LIMIT_SECONDS:.2f}x of the {LIMIT_SECONDS:.0f} s limit "
        f"({'met' if ok_t else 'NOT met'}); peak RSS {rss:.0f} MB, "
        f"{rss / LIMIT_RSS_MB:.2f}x of the {LIMIT_RSS_MB:.0f} MB limit "
        f"({'met' if ok_m else 'NOT met'}); n={n:,}, "
        f"RSS before rebuild {res['rss_opened_mb']:.0f} MB"
    )
    figures: dict[str, Any] = {
        "n": n,
        "seconds": round(seconds, 2),
        "per_s": round(n / seconds, 1),
        "limit_seconds": LIMIT_SECONDS,
        "seconds_ratio_to_limit": round(seconds / LIMIT_SECONDS, 3),
        "peak_rss_mb": rss,
        "rss_before_rebuild_mb": res["rss_opened_mb"],
        "limit_rss_mb": LIMIT_RSS_MB,
        "rss_ratio_to_limit": round(rss / LIMIT_RSS_MB, 3),
        "meets_target": ok_t and ok_m,
        "store": meta,
    }
    common.emit("bench_rebuild", args, human, figures)


if __name__ == "__main__":
    main()
