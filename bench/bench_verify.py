"""Verify of a 1M-entry export: `verify_file(path)` (workers on every core check byte ranges).

RAW limit, measured in the same run: pure Ed25519 verification (`VerifyKey.verify`)
of the same N (message, signature, key) triples, on a process pool with one
worker per core. Target: verify_file >= 0.8x raw.

The export (genesis, enrolments, then small `device.enrolled` entries from four
feeds with deps, see common.ensure_export) is generated on a pool and cached in
bench/results/cache by N; generation is not timed. verify_file runs in a fresh
child process (as `chitnode verify` would), so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import common

TARGET = 0.8


def child(path: Path, profile: bool) -> None:
    """In a fresh process: time verify_file(path), print one JSON line."""
    import resource

    from chitnode.log.verify import verify_file

    base = common.peak_rss_mb()
    t0 = time.perf_counter()
    report = verify_file(path)
    seconds = time.perf_counter() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = {
        "seconds": seconds,
        "ok": report.ok,
        "entries": report.entries,
        "problems": report.counts(),
        "rss_before_mb": round(base, 1),
        "peak_rss_mb": round(common.peak_rss_mb(), 1),
        "peak_worker_rss_mb": round(children, 1),
    }
    print(json.dumps(out), flush=True)
    if profile:
        profile_verify(path)


def profile_verify(path: Path, lines: int = 20_000) -> None:
    """Where a worker's time goes (check_lines, one range's worth at a time, on one core),
    and the parent's own share of the range path (probe, seal digest, feeds, authority)."""
    from chitnode.log.export import parse_header
    from chitnode.log.verify import check_lines, verify_file

    with open(path, "rb") as stream:
        branch = parse_header(stream.readline()).branch
    sample = []
    for line in common.export_entry_lines(path):
        sample.append(line)
        if len(sample) == lines:
            break
    batches = [sample[i : i + 2_000] for i in range(0, len(sample), 2_000)]
    common.profile_call(
        lambda: [check_lines(batch, branch, True) for batch in batches], "bench_verify_worker"
    )
    common.profile_call(lambda: verify_file(path, check_sigs=False), "bench_verify_parent")


def main(argv: list[str] | None = None) -> None:
    p = common.parser("bench_verify", __doc__.splitlines()[0], 1_000_000)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="raw limit's pool")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, args.profile)
        return
    gen = common.ensure_export(args.n, common.cache_dir(args))
    n = args.n
    common.log(f"raw: Ed25519 verification of {n:,} triples on {args.workers} processes")
    raw_s, good = common.raw_verify(gen.triples, n, args.workers)
    assert good == n
    common.log("verify_file in a fresh process")
    cmd = [sys.executable, __file__, "--child", str(gen.export)]
    if args.profile:
        cmd.append("--profile")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"verify child failed ({proc.returncode})")
    sys.stderr.write(proc.stderr)
    res = json.loads(proc.stdout.splitlines()[0])
    if not res["ok"] or res["entries"] != n:
        raise SystemExit(f"generated export did not verify: {res}")
    node_rate, raw_rate = n / res["seconds"], n / raw_s
    ratio = node_rate / raw_rate
    human = (
        f"bench_verify: verify_file {node_rate:,.0f} entries/s ({res['seconds']:.1f} s), "
        f"raw Ed25519 on {args.workers} cores {raw_rate:,.0f}/s ({raw_s:.1f} s): {ratio:.2f}x raw "
        f"(target >= {TARGET}x: {'met' if ratio >= TARGET else 'NOT met'}); n={n:,}, "
        f"{gen.meta['bytes'] / 1e6:,.0f} MB, peak RSS parent {res['peak_rss_mb']:.0f} MB, "
        f"worker {res['peak_worker_rss_mb']:.0f} MB"
    )
    figures: dict[str, Any] = {
        "n": n,
        "export_bytes": gen.meta["bytes"],
        "verify_seconds": round(res["seconds"], 2),
        "verify_per_s": round(node_rate, 1),
        "raw_seconds": round(raw_s, 2),
        "raw_per_s": round(raw_rate, 1),
        "raw_workers": args.workers,
        "ratio": round(ratio, 3),
        "target_ratio": TARGET,
        "meets_target": ratio >= TARGET,
        "verify_peak_rss_mb": res["peak_rss_mb"],
        "verify_worker_peak_rss_mb": res["peak_worker_rss_mb"],
        "generate_seconds": gen.meta["generate_seconds"],
    }
    common.emit("bench_verify", args, human, figures)


if __name__ == "__main__":
    main()
