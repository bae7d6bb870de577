"""Catch-up of a fresh node from a serving node, against Hypercore 11 in the same run.

What is timed (chitnode): a fresh node (an empty data folder holding only its device
key, its channel credential and the branch's id and root) pulls every entry of a
serving node's log (N entries over four feeds, common.ensure_export's branch, plus
the server's channel binding and the puller's own enrolment and binding), checks,
stores and folds them, page by page, one transaction per page. The clock runs from
dialling to the moment the puller holds everything and says so.

  * main figure, over the channel: the serving node and the fresh node each in
    their own process, one `PeerServer` (sync/peer) and one `sync_with`, over mutual
    TLS 1.3 and a websocket on 127.0.0.1; the puller pins the server's certificate
    fingerprint, as a joining device does. Peak RSS is the pulling process's.
  * secondary (`loopback_*`): both nodes in one fresh child process, the
    reconciliation core's frames through the codec in memory
    (sync/reconcile/loopback.py): the ingest side and serving, without socket or TLS.
  * live push: a fresh 3-node branch; the root serves and writes LIVE_ENTRIES
    entries one by one, LIVE_GAP_MS apart; two devices each hold a `PeerLink` to it.
    Latency per entry = commit on the writer -> committed on the *last* follower
    (CLOCK_MONOTONIC, one clock for every process of the host); p50 and p99.

RAW comparison, measured in the same run: Hypercore 11 replicating N blocks of 300
bytes from one core to a fresh core in another Node process over loopback TCP
(bench/peer/replicate.mjs, installed from its package-lock.json with `npm ci`).
Figure: chitnode entries/s over the channel / Hypercore blocks/s; target >=
TARGET_RATIO.

Not timed: generating and folding the source log (cached in bench/results/cache by
N, as bench_rebuild does), copying it to the scratch folder, enrolling the puller,
making channel credentials, building Hypercore's source core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
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
LIVE_FOLLOWERS = 2  # with the writer, the 3-node branch
LIVE_ENTRIES = 200  # entries the writer writes one by one for the live-push figure
LIVE_GAP_MS = 20  # between two of them: each is pushed alone, not in a batch
LIVE_SETTLE_S = 1.0  # after the last write, before the followers are asked what they saw
LINK_POLL_S = 0.01  # how often a follower looks whether its link has caught up
STOP_TIMEOUT_S = 60  # a child asked to stop that has not within this is killed by its pid


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
    """Make the store in `folder` (a copy of the generated log) the device of `key`: the
    key sealed in the folder, branch and root pinned."""
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
    store. It binds its own channel certificate, then enrols the puller (a fresh
    key, role admin as the generated feeds' authors) with the puller's certificate,
    as an invite does, so the puller has a place in the branch it is about to
    receive and the server's channel lets it in.
    """
    from chitnode.node.node import Node
    from sync.channel.credentials import ensure_bound, load_or_create

    source, _ = bench_rebuild.ensure_store(n, cache)
    server_dir, puller_dir = tmp / "server", tmp / "puller"
    shutil.copytree(source, server_dir, ignore=shutil.ignore_patterns("writer.*", "bench-*"))
    root = root_key()
    root_hex = root.verify_key.encode().hex()
    _give_key(server_dir, root, common.BRANCH, root_hex)
    with Node.open(server_dir) as server:
        ensure_bound(server, load_or_create(server_dir, root_hex))
        enrol(server, puller_dir, PULLER_NAME)
        total = entry_count(server)
    return server_dir, puller_dir, total


def enrol(admin: Any, folder: Path, name: str) -> None:
    """A fresh device in `folder` (`Node.join_empty`, as `chitnode join` makes one),
    enrolled by `admin` with its channel certificate, as an invite does."""
    from chitnode.node.node import Node
    from sync.channel.credentials import load_or_create

    with Node.join_empty(folder, admin.branch, admin.root) as device:
        binding = load_or_create(folder, device.public).binding_for_admin(device.key, admin.branch)
        key = device.public
    admin.submit("device.enrolled", {"key": key, "name": name, "role": "admin"})
    admin.submit("device.channel_bound", binding)


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
    reset = _reset_peak_rss()
    rss_opened = _status_mb("VmRSS")
    pulling = Reconciler(NodeReplica(puller))
    serving = Reconciler(NodeReplica(server))
    # --profile: also the puller's SQL time per statement (the serving side's is apart)
    timer = common.SqlTimer(puller.store.conn) if profile else None
    if timer is not None:
        puller.store.conn = timer  # type: ignore[assignment]

    def session() -> int:
        return converse(pulling, serving)

    t0 = time.perf_counter()
    frames = common.profile_call(session, "bench_replicate") if profile else session()
    seconds = time.perf_counter() - t0
    if timer is not None:
        timer.report()
    out = {
        "seconds": seconds,
        "frames": frames,
        "stored": pulling.stats.stored,
        "pages": pulling.stats.pages_in,
        "held_after": entry_count(puller),
        "caught_up": pulling.caught_up and pulling.finished,
        "digests_equal": puller.engine.digest() == server.engine.digest(),
        "rss_opened_mb": rss_opened,
        "peak_rss_mb": _status_mb("VmHWM") if reset else round(common.peak_rss_mb(), 1),
        "peak_is_catch_up_only": reset,
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


# --- over the channel: separate processes, mutual TLS, the peer shell ---------------


class Child:
    """A child process of this script speaking JSON lines; stopped by its pid, bounded."""

    def __init__(self, *args: str) -> None:
        cmd = [sys.executable, __file__, *args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def line(self, timeout_s: float = CHILD_TIMEOUT_S) -> dict[str, Any]:
        """The child's next JSON line; stops the child and fails the run on EOF or timeout."""
        try:
            line = self._lines.get(timeout=timeout_s)
        except queue.Empty:
            line = None
        if line is None:
            self.stop()
            raise SystemExit(f"bench_replicate: child {self.proc.args[2:4]} said nothing more")
        doc: dict[str, Any] = json.loads(line)
        return doc

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def finish(self) -> dict[str, Any]:
        """Close its stdin (the sign to stop), read its last line, reap it."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        doc = self.line(STOP_TIMEOUT_S)
        self.stop()
        return doc

    def stop(self) -> None:
        try:
            self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def say(doc: dict[str, Any]) -> None:
    print(json.dumps(doc), flush=True)


async def _stdin_line() -> str:
    """The parent's next line ('' when it closed our stdin), without blocking the loop."""
    return await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def _open_peer(folder: Path) -> tuple[Any, Any]:
    """(NodeThread, PeerContext) of the node in `folder`."""
    from chitnode.node.node import Node
    from sync.channel.credentials import load_or_create
    from sync.node_thread import NodeThread
    from sync.peer.context import PeerContext

    node = Node.open(folder)
    nt = NodeThread(node)
    ctx = await PeerContext.open(nt, load_or_create(folder, node.public))
    return nt, ctx


async def serve_child(folder: Path) -> None:
    """Serve `folder` on 127.0.0.1 until stdin closes; `write K MS` writes K entries."""
    from sync.peer.server import PeerServer

    nt, ctx = await _open_peer(folder)
    server = PeerServer(nt, ctx.cred, context=ctx)
    port = await server.start("127.0.0.1", 0)
    say({"port": port, "fingerprint": ctx.cred.fingerprint})
    while line := await _stdin_line():
        _, count, gap_ms = line.split()
        say(await write_live(nt, ctx, int(count), int(gap_ms)))
    await server.stop()
    await nt.aclose()
    say({"cpu_s": _cpu_s()})


def _status_mb(field: str) -> float:
    """VmRSS / VmHWM of this process in MB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/status") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith(f"{field}:"))
    except (OSError, StopIteration):
        return 0.0
    return round(kb / 1024, 1)


def _reset_peak_rss() -> bool:
    """Start VmHWM again from the current RSS (Linux >= 4.0), so the peak measured is the
    catch-up's, not that of opening the keys (argon2id takes tens of MB for a moment)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _cpu_s() -> float:
    t = os.times()
    return round(t.user + t.system, 3)


async def pull_child(folder: Path, port: int, fingerprint: str) -> None:
    """Catch up from 127.0.0.1:port over the channel; one JSON line of figures."""
    from sync.peer.client import sync_with

    nt, ctx = await _open_peer(folder)
    opened_peak = common.peak_rss_mb()
    reset = _reset_peak_rss()
    rss_opened = _status_mb("VmRSS")
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    report = await sync_with(ctx, "127.0.0.1", port, server_fingerprint=fingerprint)
    seconds = time.perf_counter() - t0
    held = await nt.run(entry_count)
    await nt.aclose()
    say(
        {
            "seconds": seconds,
            "stored": report.stored,
            "held_after": held,
            "finished": report.finished,
            "error": report.error,
            "lag": report.lag,
            "pages": report.pages_in,
            "frames": report.frames_in + report.frames_out,
            "cpu_s": round(_cpu_s() - cpu0, 3),
            "rss_opened_mb": rss_opened,
            "open_peak_rss_mb": round(opened_peak, 1),
            # the catch-up's own peak when the kernel let us reset it, else the process's
            "peak_rss_mb": _status_mb("VmHWM") if reset else round(common.peak_rss_mb(), 1),
            "peak_is_catch_up_only": reset,
        }
    )


def run_channel(server_dir: Path, puller_dir: Path) -> dict[str, Any]:
    """The main figure: a serving process and a pulling process over mutual TLS."""
    server = Child("--serve-child", str(server_dir))
    try:
        hello = server.line()
        puller = Child("--pull-child", str(puller_dir), str(hello["port"]), hello["fingerprint"])
        result = puller.line()
        puller.stop()
    finally:
        served = server.finish()
    result["server_cpu_s"] = served["cpu_s"]
    return result


# --- live push: a 3-node branch, one writes, the other two fold ---------------------


async def write_live(nt: Any, ctx: Any, count: int, gap_ms: int) -> dict[str, Any]:
    """Write `count` entries `gap_ms` apart, published to the live sessions; when each
    was committed (CLOCK_MONOTONIC, the same clock in every process of the host)."""
    from chitnode.services.events import published

    def write(node: Any, i: int) -> int:
        body = {"member_id": f"L{i:06d}", "name": f"live {i}"}
        receipt = published(ctx.stream, lambda: node.submit("member.registered", body))
        return int(receipt.seq)

    written: list[tuple[int, int]] = []
    for i in range(count):
        seq = await nt.run(write, i)
        written.append((seq, time.monotonic_ns()))
        await asyncio.sleep(gap_ms / 1000)
    return {"author": ctx.cred.device_key, "written": written}


async def follow_child(folder: Path, port: int, fingerprint: str) -> None:
    """Hold a `PeerLink` to 127.0.0.1:port (as `chitnode serve` does); note when each
    entry is committed here."""
    from chitnode.services.events import Filter
    from sync.peer.client import PeerLink

    nt, ctx = await _open_peer(folder)
    folded: dict[str, dict[int, int]] = {}

    def on_commit() -> None:  # the node thread, just after a commit: note the time first
        now = time.monotonic_ns()
        for event in sub.drain():
            folded.setdefault(event.author, {}).setdefault(event.seq, now)

    sub = ctx.stream.subscribe(Filter(), wake=on_commit)
    link = PeerLink(ctx, "127.0.0.1", port, server_fingerprint=fingerprint)
    link.start()
    async with asyncio.timeout(CHILD_TIMEOUT_S):
        while not link.caught_up:
            await asyncio.sleep(LINK_POLL_S)
    say({"caught_up": True})
    await _stdin_line()  # the writer is done: the parent closes our stdin
    await link.stop()
    sub.close()
    await nt.aclose()
    say({"folded": {a: sorted(s.items()) for a, s in folded.items()}})


def live_branch(tmp: Path) -> tuple[Path, list[Path]]:
    """A fresh branch (not timed): a root that serves and writes, two devices that follow."""
    from chitnode.node.node import Node
    from sync.channel.credentials import ensure_bound, load_or_create

    writer_dir = tmp / "live-writer"
    with Node.init(writer_dir, "Live Branch") as root:
        ensure_bound(root, load_or_create(writer_dir, root.public))
        followers = [tmp / f"live-{i}" for i in range(LIVE_FOLLOWERS)]
        for i, folder in enumerate(followers):
            enrol(root, folder, f"follower {i}")
    return writer_dir, followers


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, -(-len(sorted_ms) * p // 100))
    return sorted_ms[int(rank) - 1]


def run_live(tmp: Path, count: int) -> dict[str, Any]:
    """p50/p99 of commit on the writer -> folded on every follower, over the channel."""
    writer_dir, follower_dirs = live_branch(tmp)
    server = Child("--serve-child", str(writer_dir))
    followers: list[Child] = []
    try:
        hello = server.line()
        for folder in follower_dirs:
            followers.append(
                Child("--follow-child", str(folder), str(hello["port"]), hello["fingerprint"])
            )
        for f in followers:
            f.line()  # caught up, live
        server.send(f"write {count} {LIVE_GAP_MS}")
        wrote = server.line()
        time.sleep(LIVE_SETTLE_S)  # the last pushes land
        seen = [f.finish()["folded"].get(wrote["author"], []) for f in followers]
    finally:
        for f in followers:
            f.stop()
        server.finish()
    at = [dict(s) for s in seen]
    lat_ms: list[float] = []
    missing = 0
    for seq, t_written in wrote["written"]:
        times = [a.get(seq) for a in at]
        if any(t is None for t in times):
            missing += 1
            continue
        lat_ms.append((max(t for t in times if t is not None) - t_written) / 1e6)
    lat_ms.sort()
    if not lat_ms:
        raise SystemExit("bench_replicate: no live entry reached every follower")
    return {
        "entries": count,
        "followers": len(followers),
        "gap_ms": LIVE_GAP_MS,
        "missing": missing,
        "p50_ms": round(percentile(lat_ms, 50), 2),
        "p99_ms": round(percentile(lat_ms, 99), 2),
        "max_ms": round(lat_ms[-1], 2),
    }


# --- the run ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    p = common.parser("bench_replicate", __doc__.splitlines()[0], 100_000)
    p.add_argument("--live", type=int, default=LIVE_ENTRIES, help="entries for live push")
    p.add_argument("--loopback-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    p.add_argument("--serve-child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--pull-child", nargs=3, help=argparse.SUPPRESS)
    p.add_argument("--follow-child", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    common.bench_env()
    if args.loopback_child:
        loopback_child(*args.loopback_child, args.profile)
        return
    if args.serve_child:
        asyncio.run(serve_child(args.serve_child))
        return
    if args.pull_child or args.follow_child:
        folder, port, fingerprint = args.pull_child or args.follow_child
        child = pull_child if args.pull_child else follow_child
        asyncio.run(child(Path(folder), int(port), fingerprint))
        return
    n = args.n
    node = node_tools()  # before any work: a missing Node.js is said first
    cache = common.cache_dir(args)
    if args.profile:
        common.log("--profile: the in-process catch-up runs under cProfile (its figure is slower)")
    with common.scratch(args) as tmp:
        common.log(f"preparing a {n:,}-entry serving node and a fresh one (not timed)")
        server_dir, puller_dir, total = prepare(n, cache, tmp)
        loop_dir = tmp / "puller-in-process"
        shutil.copytree(puller_dir, loop_dir)
        common.log(f"Hypercore 11: {n:,} blocks of {HYPERCORE_BLOCK_BYTES} bytes over TCP")
        hyper = run_hypercore(node, n, tmp / "hypercore")
        common.log(f"chitnode over the channel: a fresh node pulls {total:,} entries")
        chan = run_channel(server_dir, puller_dir)
        common.log(f"chitnode in process: a fresh node pulls {total:,} entries")
        loop = run_loopback(server_dir, loop_dir, args.profile)
        common.log(f"live push: {args.live} entries, one writer, {LIVE_FOLLOWERS} followers")
        live = run_live(tmp, args.live)
        where = f"{tmp.parent} ({common.fs_note(tmp.parent)})"
    if chan["held_after"] != total or not chan["finished"] or chan["error"]:
        raise SystemExit(f"bench_replicate: the catch-up over the channel is incomplete: {chan}")
    if loop["held_after"] != total or not loop["caught_up"] or not loop["digests_equal"]:
        raise SystemExit(f"bench_replicate: the in-process catch-up is incomplete: {loop}")
    per_s = chan["stored"] / chan["seconds"]
    loop_per_s = loop["stored"] / loop["seconds"]
    hyper_per_s = hyper["entries_per_s"]
    ratio = per_s / hyper_per_s
    ok = ratio >= TARGET_RATIO
    human = (
        f"bench_replicate: catch-up {per_s:,.0f} entries/s over mutual TLS, Hypercore 11 "
        f"{hyper_per_s:,.0f} blocks/s: {ratio:.2f}x (target >= {TARGET_RATIO}x: "
        f"{'met' if ok else 'NOT met'}); in process {loop_per_s:,.0f}/s "
        f"({loop_per_s / hyper_per_s:.2f}x); n={n:,}, catch-up peak RSS "
        f"{chan['peak_rss_mb']:.0f} MB; live push p50 {live['p50_ms']:.1f} ms, "
        f"p99 {live['p99_ms']:.1f} ms"
    )
    figures: dict[str, Any] = {
        "n": n,
        "entries": total,
        "entries_per_s": round(per_s, 1),
        "hypercore_entries_per_s": round(hyper_per_s, 1),
        "ratio": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": ok,
        "transport": "mutual_tls_websocket",
        "catch_up": chan,
        "catch_up_peak_rss_mb": chan["peak_rss_mb"],
        "live_push_p50_ms": live["p50_ms"],
        "live_push_p99_ms": live["p99_ms"],
        "live_push": live,
        "loopback_entries_per_s": round(loop_per_s, 1),
        "loopback_ratio": round(loop_per_s / hyper_per_s, 3),
        "loopback": loop,
        "hypercore": hyper,
        "scratch": where,
    }
    common.emit("bench_replicate", args, human, figures)


if __name__ == "__main__":
    main()
