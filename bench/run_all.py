"""Run every benchmark one after another and print a summary table.

Each runs in its own process with `--json`; the figures are also saved to
bench/results/all.json (or `--out`). `--n` overrides every benchmark's N (e.g. a quick look);
without it each uses its own default (2,000 appends, 10,000 group-committed
entries, 1,000,000 entries to verify and to rebuild).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
BENCHES = (
    "bench_append",
    "bench_group_commit",
    "bench_transfer",
    "bench_verify",
    "bench_rebuild",
)


def run_one(name: str, extra: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, str(BENCH_DIR / f"{name}.py"), "--json", *extra]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)  # progress goes to stderr
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode})")
    lines = proc.stdout.splitlines()
    print(lines[0], flush=True)
    doc: dict[str, Any] = json.loads(lines[-1])
    return doc


def ratio_text(ratio: float) -> str:
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.3f}x"


def summary(doc: dict[str, Any]) -> str:
    name = doc["bench"]
    if name == "bench_rebuild":  # a time ratio: lower is better
        return (
            f"| rebuild of {doc['n']:,} entries | {doc['seconds']:.1f} s, "
            f"peak RSS {doc['peak_rss_mb']:.0f} MB | raw {doc['raw_seconds']:.2f} s, "
            f"< {doc['limit_rss_mb']:.0f} MB | {ratio_text(doc['time_ratio'])} raw time "
            f"(<= {doc['target_time_ratio']}x), RSS {doc['rss_ratio_to_limit']:.2f}x of limit | "
            f"{'yes' if doc['meets_target'] else 'no'} |"
        )
    if name == "bench_transfer":  # informative: issue 4 asks for the figure, sets no target
        return (
            f"| durable transfer | {doc['node_per_s']:,.0f}/s | raw {doc['raw_per_s']:,.0f}/s | "
            f"{ratio_text(doc['ratio'])} raw | (no target) |"
        )
    if name == "bench_verify":
        node, raw = doc["verify_per_s"], doc["raw_per_s"]
        what = f"verify of a {doc['n']:,}-entry export"
    else:
        node, raw = doc["node_per_s"], doc["raw_per_s"]
        what = "durable single append" if doc["batch"] == 1 else f"group commit of {doc['batch']}"
    return (
        f"| {what} | {node:,.0f}/s | raw {raw:,.0f}/s | {ratio_text(doc['ratio'])} raw (>= 0.8x) | "
        f"{'yes' if doc['meets_target'] else 'no'} |"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="bench/run_all.py", description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, help="N for every benchmark (default: each one's own)")
    p.add_argument("--only", nargs="*", choices=BENCHES, help="run only these")
    p.add_argument("--cache-dir", type=Path, help="passed to the benchmarks")
    p.add_argument("--tmp", type=Path, help="passed to the benchmarks")
    p.add_argument(
        "--out", type=Path, default=BENCH_DIR / "results" / "all.json", help="JSON lines out"
    )
    args = p.parse_args(argv)
    extra: list[str] = []
    if args.n is not None:
        extra += ["--n", str(args.n)]
    for opt in ("cache_dir", "tmp"):
        if getattr(args, opt) is not None:
            extra += [f"--{opt.replace('_', '-')}", str(getattr(args, opt))]
    docs = [run_one(name, extra) for name in (args.only or BENCHES)]
    print("\n| benchmark | chitnode | limit | ratio (target) | met |")
    print("|---|---|---|---|---|")
    for doc in docs:
        print(summary(doc))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(d, sort_keys=True) + "\n" for d in docs))
    print(f"\n-> {args.out}")


if __name__ == "__main__":
    main()
