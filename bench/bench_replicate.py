"""Catch-up of a fresh node from a serving node, against Hypercore 11 in the same run.

What is timed (chitnode): a fresh node (an empty data folder holding only its device
key and the branch's id and root) pulls every entry of a serving node's log (N
entries over four feeds, common.ensure_export's branch, plus the enrolment of the
puller itself), checks, stores and folds them, page by page, one transaction per
page. The clock runs from the start of the session to the moment the puller holds
everything and says so.

  * in process (`loopback_*` figures): both nodes in one fresh child process, the
    reconciliation core's frames going through the codec in memory
    (sync/reconcile/loopback.py). No socket, no TLS, no second core: the ingest side
    alone, plus serving the pages.

RAW comparison, measured in the same run: Hypercore 11 replicating N blocks of 300
bytes from one core to a fresh core in another Node process over loopback TCP
(bench/peer/replicate.mjs, installed from its package-lock.json with `npm ci`).
Figure: chitnode entries/s / Hypercore blocks/s; target >= TARGET_RATIO.

Not timed: generating and folding the source log (cached in bench/results/cache by
N, as bench_rebuild does), copying it to the scratch folder, enrolling the puller,
building Hypercore's source core.
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

import bench_rebuild
import common
from nacl.signing import SigningKey

# The target: a fresh node catches up at least 3x as many entries/s as
# Hypercore 11 replicates blocks on the same machine in the same run.
TARGET_RATIO = 3.0
HYPERCORE_BLOCK_BYTES = 300  # the block size, about a small entry's line
PEER_DIR = common.BENCH_DIR / "peer"
PEER_SCRIPT = PEER_DIR / "replicate.mjs"
NPM_CI_TIMEOUT_S = 600  # a first `npm ci` downloads ~60 packages
CHILD_TIMEOUT_S = 3_600  # a stuck child fails the run instead of hanging it
PULLER_NAME = "bench puller"


# --- Hypercore, the comparison -----------------------------------------------------


def node_tools() -> str:
    """The `node` executable, with bench/peer's packages installed; else a clear exit."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit(
            "bench_replicate: `node` (Node.js >= 18) is not on PATH; the Hypercore side "
            "needs it. Install Node.js and npm, then run `npm ci` in bench/peer."
        )
    if not (PEER_DIR / "node_modules" / "hypercore").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit(
                "bench_replicate: bench/peer/node_modules is missing and `npm` is not on "
                "PATH; install npm and run `npm ci` in bench/peer."
            )
        common.log("installing bench/peer from its package-lock.json (npm ci)")
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=PEER_DIR,
            stdout=sys.stderr,
            timeout=NPM_CI_TIMEOUT_S,
        )
        if proc.returncode != 0:
            raise SystemExit(f"bench_replicate: `npm ci` in bench/peer failed ({proc.returncode})")
    return node


def run_hypercore(node: str, n: int, into: Path) -> dict[str, Any]:
    """Hypercore's replication of n blocks over loopback TCP (bench/peer/replicate.mjs)."""
    into.mkdir(parents=True)
    cmd = [node, str(PEER_SCRIPT), "--n", str(n), "--block-bytes", str(HYPERCORE_BLOCK_BYTES)]
    cmd += ["--dir", str(into)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=CHILD_TIMEOUT_S)
    if proc.returncode != 0:
        raise SystemExit(f"bench_replicate: the Hypercore run failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return result


# --- the two chitnode folders -------------------------------------------------------


def root_key() -> SigningKey:
    """The generated branch's root key (common.ensure_export seeds it)."""
    return SigningKey(common._seed("root"))


def _give_key(folder: Path, key: SigningKey, branch: str, root: str) -> None:
    """Make `folder` a device of the branch: its key sealed in the folder, branch and root."""
    from chitnode.store.keys import FileKeyStore
    from chitnode.store.sqlite import SqliteStore

    store = SqliteStore.open(folder, create=True)
    try:
        with store.transaction():
            store.set_meta("keystore", FileKeyStore(folder).save(key))
            store.set_meta("device_key", key.verify_key.encode().hex())
            store.set_meta("branch", branch)
            store.set_meta("root", root)
    finally:
        store.close()


def prepare(n: int, cache: Path, tmp: Path) -> tuple[Path, Path, int]:
    """(serving folder, fresh folder, entries to pull): not timed.

    The serving node is the branch's root device over a copy of the cached folded
    store; it enrols the puller (a fresh key, role admin as the generated feeds'
    authors), so the puller has a place in the branch it is about to receive.
    """
    from chitnode.node.node import Node

    source, _ = bench_rebuild.ensure_store(n, cache)
    server_dir, puller_dir = tmp / "server", tmp / "puller"
    shutil.copytree(source, server_dir, ignore=shutil.ignore_patterns("writer.*", "bench-*"))
    root = root_key()
    root_hex = root.verify_key.encode().hex()
    _give_key(server_dir, root, common.BRANCH, root_hex)
    puller = SigningKey.generate()
    _give_key(puller_dir, puller, common.BRANCH, root_hex)
    with Node.open(server_dir) as server:
        body = {"key": puller.verify_key.encode().hex(), "name": PULLER_NAME, "role": "admin"}
        server.submit("device.enrolled", body)
        total = entry_count(server)
    return server_dir, puller_dir, total


def entry_count(node: Any) -> int:
    count: int = node.store.conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    return count


# --- in process: the reconciliation core through the codec -------------------------


def loopback_child(server_dir: Path, puller_dir: Path, profile: bool) -> None:
    """In a fresh process: both nodes, one session in memory; print one JSON line."""
    from chitnode.node.node import Node
    from sync.reconcile.core import Reconciler
    from sync.reconcile.loopback import converse
    from sync.reconcile.node_replica import NodeReplica

    server, puller = Node.open(server_dir), Node.open(puller_dir)
    rss_opened = common.peak_rss_mb()
    pulling = Reconciler(NodeReplica(puller))
    serving = Reconciler(NodeReplica(server))

    def session() -> int:
        return converse(pulling, serving)

    t0 = time.perf_counter()
    frames = common.profile_call(session, "bench_replicate") if profile else session()
    seconds = time.perf_counter() - t0
    out = {
        "seconds": seconds,
        "frames": frames,
        "stored": pulling.stats.stored,
        "pages": pulling.stats.pages_in,
        "held_after": entry_count(puller),
        "caught_up": pulling.caught_up and pulling.finished,
        "digests_equal": puller.engine.digest() == server.engine.digest(),
        "rss_opened_mb": round(rss_opened, 1),
        "peak_rss_mb": round(common.peak_rss_mb(), 1),
    }
    server.close()
    puller.close()
    print(json.dumps(out), flush=True)


def run_loopback(server_dir: Path, puller_dir: Path, profile: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--loopback-child", str(server_dir), str(puller_dir)]
    if profile:
        cmd.append("--profile")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=CHILD_TIMEOUT_S)
    if proc.returncode != 0:
        raise SystemExit(f"bench_replicate: the in-process catch-up failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return result


# --- the run ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    p = common.parser("bench_replicate", __doc__.splitlines()[0], 100_000)
    p.add_argument("--loopback-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    common.bench_env()
    if args.loopback_child:
        loopback_child(*args.loopback_child, args.profile)
        return
    n = args.n
    node = node_tools()  # before any work: a missing Node.js is said first
    cache = common.cache_dir(args)
    with common.scratch(args) as tmp:
        common.log(f"preparing a {n:,}-entry serving node and a fresh one (not timed)")
        server_dir, puller_dir, total = prepare(n, cache, tmp)
        common.log(f"Hypercore 11: {n:,} blocks of {HYPERCORE_BLOCK_BYTES} bytes over TCP")
        hyper = run_hypercore(node, n, tmp / "hypercore")
        common.log(f"chitnode, in process: a fresh node pulls {total:,} entries")
        loop = run_loopback(server_dir, puller_dir, args.profile)
    if loop["held_after"] != total or not loop["caught_up"] or not loop["digests_equal"]:
        raise SystemExit(f"bench_replicate: the in-process catch-up is incomplete: {loop}")
    loop_per_s = loop["stored"] / loop["seconds"]
    hyper_per_s = hyper["entries_per_s"]
    per_s = loop_per_s  # the channel figure replaces this once sync/peer lands
    ratio = per_s / hyper_per_s
    ok = ratio >= TARGET_RATIO
    human = (
        f"bench_replicate: catch-up {per_s:,.0f} entries/s (in process), Hypercore 11 "
        f"{hyper_per_s:,.0f} blocks/s: {ratio:.2f}x (target >= {TARGET_RATIO}x: "
        f"{'met' if ok else 'NOT met'}); n={n:,}, peak RSS {loop['peak_rss_mb']:.0f} MB"
    )
    figures: dict[str, Any] = {
        "n": n,
        "entries": total,
        "entries_per_s": round(per_s, 1),
        "hypercore_entries_per_s": round(hyper_per_s, 1),
        "ratio": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": ok,
        "transport": "in_process",
        "loopback_entries_per_s": round(loop_per_s, 1),
        "loopback_seconds": round(loop["seconds"], 3),
        "loopback_pages": loop["pages"],
        "loopback_frames": loop["frames"],
        "loopback_peak_rss_mb": loop["peak_rss_mb"],
        "hypercore": hyper,
        "scratch": f"{tmp.parent} ({common.fs_note(tmp.parent)})",
    }
    common.emit("bench_replicate", args, human, figures)


if __name__ == "__main__":
    main()
