"""Live auction fan-out to member sessions, and the gzip size of the app's first load.

What is timed (fan-out): SESSIONS members' phones sit in one auction room ("/room"), each
an in-process Flet session of the real app (tests/support/flet_session.py: Flet's own
Session over a connection that msgpack-packs every message as the websocket would), over
one real node (a SESSIONS-ticket group, month 1's draw open). Bids come from the phones in
turn, each through its session (`view.submit`: the gate, the node thread, the kernel, the
event stream), BIDS of them, one at a time, each a step above the best. The clock runs
from just before a bid's submit to the moment the patch carrying that bid's line
("Bidder 07 offers ₹25,100") has been packed for EVERY session's browser; p50 and p99 over
the bids, as a ratio to the issue's 150 ms target (<= 1.0 meets it). The live pump's
deliberate coalescing (ui/limits.py LIVE_COALESCE_MS) is inside the figure.

Not timed: building the branch, opening the sessions, a pause between bids (each bid is
its own live batch, as at a real meeting).

What is measured (first load): the bytes a phone downloads the first time, gzipped, from
the app's own ASGI app (ui/server.asgi_app: Flet's web client with no CDN and GZip), with
`Accept-Encoding: gzip`: index.html and the boot scripts, the fonts in Flutter's font
manifest (Flutter web loads them at start), and one renderer, either skwasm (WasmGC
browsers: Chrome on Android) or CanvasKit with dart2js (the fallback). The larger of the
two paths is the figure, as a ratio to the issue's 5 MB (<= 1.0 meets it).
"""

from __future__ import annotations

import asyncio
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

import common

from chitnode.node.node import Node
from tests.support.auction_room import GID, mid_auction
from tests.support.clock import FakeClock
from tests.support.flet_session import AppSessionHandle, RecordingConnection, app_context
from tests.support.flet_session import open_session as open_app_session
from ui import fmt, i18n
from ui.gate import MEMBER, Who
from ui.vm import auction as vm

TARGET_P99_MS = 150.0  # the target on loopback
FIRST_LOAD_TARGET_BYTES = 5_000_000  # the 5 MB, in decimal megabytes (the stricter)
SESSIONS_DEFAULT = 50  # the member sessions in one auction
BIDS_DEFAULT = 40  # bids timed; each one's figure is the slowest of the sessions
FANOUT_TIMEOUT_S = 10.0  # a bid not on every session by then fails the run
POLL_S = 0.0005  # how often the bench looks whether every session has the bid
BID_GAP_S = 0.1  # between two bids, so that each reaches the screens as its own batch
PROGRESS_EVERY = 10  # bids between two progress lines on stderr

# A phone's first load, besides the renderer (flet_web/web): the page, the boot scripts,
# the manifests Flutter reads at start, the splash image.
FIRST_LOAD_COMMON = (
    "/",
    "/python.js",
    "/flutter_bootstrap.js",
    "/manifest.json",
    "/favicon.png",
    "/icons/loading-animation.png",
    "/assets/FontManifest.json",
    "/assets/AssetManifest.bin.json",
    "/assets/fonts/roboto.woff2",
    "/assets/shaders/ink_sparkle.frag",
)
RENDERERS = {
    "skwasm": (
        "/main.dart.mjs",
        "/main.dart.wasm",
        "/canvaskit/skwasm.js",
        "/canvaskit/skwasm.wasm",
    ),
    "canvaskit": ("/main.dart.js", "/canvaskit/canvaskit.js", "/canvaskit/canvaskit.wasm"),
}


class TimedConnection(RecordingConnection):
    """Notes when the first message carrying `waiting` was packed for this browser."""

    def __init__(self, hub: Any, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(hub, loop)
        self.waiting = b""
        self.seen_at: float | None = None

    def send_message(self, message: Any) -> None:
        packed = self.pack([message.action, message.body])
        self.sent_bytes += len(packed)  # counted, not kept: the bench sends thousands
        self.messages += 1
        if self.waiting and self.seen_at is None and self.waiting in packed:
            self.seen_at = time.perf_counter()


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 40 values is the largest but none)."""
    ranked = sorted(values)
    rank = max(1, -(-len(ranked) * pct // 100))
    return ranked[int(rank) - 1]


# --- fan-out --------------------------------------------------------------------------------


async def fanout(folder: Path, sessions: int, bids: int) -> dict[str, Any]:
    clock = FakeClock()  # the node's clock stands still: the countdown never ends mid-run
    node = Node.init(folder, "Bench Branch", clock=clock)
    common.log(f"a {sessions}-ticket group, month 1's draw open (not timed)")
    mid_auction(node, clock, tickets=sessions)
    async with app_context(node, folder) as ctx:
        common.log(f"opening {sessions} member sessions in the auction room (not timed)")
        phones: list[AppSessionHandle] = []
        for i in range(1, sessions + 1):
            phones.append(
                await open_app_session(
                    ctx,
                    who=Who(MEMBER, f"M{i}"),
                    route=f"/room?group={GID}&month=1",
                    client_ip=f"10.0.{i // 250}.{i % 250 + 1}",
                    connection=TimedConnection,
                )
            )
        desk = await ctx.backend.read(lambda r: vm.desk(r, GID, 1))
        aliases = {b.ticket: b.alias for b in desk.bidders}
        best: int | None = None
        slowest: list[float] = []  # per bid: until the last session had it
        fastest: list[float] = []  # per bid: until the first session had it
        every: list[float] = []  # every (bid, session) pair
        written: list[float] = []  # per bid: until the submit returned (committed)
        cpu: list[float] = []  # per bid: this process's CPU time (all threads) until all had it
        for k in range(bids):
            ticket = k % sessions + 1
            discount = vm.step(desk.rules, best, None, 0)
            line = i18n.t(
                "en", "auction.bid_line", alias=aliases[ticket], discount=fmt.rupees(discount)
            )
            for phone in phones:
                conn = phone.conn
                assert isinstance(conn, TimedConnection)
                conn.waiting, conn.seen_at = line.encode(), None
            kind, body = vm.bid_command(GID, 1, ticket, discount)
            cpu_started = time.process_time()
            started = time.perf_counter()
            receipt = await phones[ticket - 1].view.submit(kind, body)
            if receipt is None:
                raise SystemExit(
                    f"bench_auction_fanout: bid {k} refused: {phones[ticket - 1].banner}"
                )
            written.append((time.perf_counter() - started) * 1000)
            deadline = started + FANOUT_TIMEOUT_S
            while any(_seen(p) is None for p in phones):
                if time.perf_counter() > deadline:
                    missing = sum(1 for p in phones if _seen(p) is None)
                    raise SystemExit(f"bench_auction_fanout: bid {k} missing on {missing} sessions")
                await asyncio.sleep(POLL_S)
            cpu.append((time.process_time() - cpu_started) * 1000)
            seen = [(_seen(p) or started) - started for p in phones]
            slowest.append(max(seen) * 1000)
            fastest.append(min(seen) * 1000)
            every.extend(s * 1000 for s in seen)
            best = discount
            if (k + 1) % PROGRESS_EVERY == 0:
                common.log(f"{k + 1}/{bids} bids, last reached all in {slowest[-1]:.1f} ms")
            await asyncio.sleep(BID_GAP_S)
        sent = sum(p.conn.sent_bytes for p in phones)
    return {
        "p50_ms": round(percentile(slowest, 50), 2),
        "p99_ms": round(percentile(slowest, 99), 2),
        "max_ms": round(max(slowest), 2),
        "first_session_p50_ms": round(percentile(fastest, 50), 2),
        "per_session_p50_ms": round(percentile(every, 50), 2),
        "per_session_p99_ms": round(percentile(every, 99), 2),
        "mean_ms": round(statistics.fmean(slowest), 2),
        "cpu_p50_ms": round(percentile(cpu, 50), 2),
        "submit_p50_ms": round(percentile(written, 50), 2),
        "submit_p99_ms": round(percentile(written, 99), 2),
        "bytes_packed_all_sessions": sent,
    }


def _seen(phone: AppSessionHandle) -> float | None:
    conn = phone.conn
    assert isinstance(conn, TimedConnection)
    return conn.seen_at


# --- first load -----------------------------------------------------------------------------


def first_load() -> dict[str, Any]:
    """Gzipped bytes of a first visit, per renderer path, from the app's own ASGI app."""
    from starlette.testclient import TestClient

    from ui.server import asgi_app
    from ui.shell import AppContext

    ctx = AppContext(backend=None, screens={})  # type: ignore[arg-type]  # no session is opened
    gz = {"Accept-Encoding": "gzip"}
    sizes: dict[str, dict[str, int]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's TestClient names its httpx successor
        with TestClient(asgi_app(ctx)) as client:
            manifest = client.get("/assets/FontManifest.json").json()
            fonts = [f"/assets/{a['asset']}" for family in manifest for a in family["fonts"]]
            for path in (*FIRST_LOAD_COMMON, *fonts, *(p for ps in RENDERERS.values() for p in ps)):
                response = client.get(path, headers=gz)
                if response.status_code != 200:
                    raise SystemExit(
                        f"bench_auction_fanout: {path} answered {response.status_code}"
                    )
                sizes[path] = {
                    "gzip": int(response.num_bytes_downloaded),
                    "raw": len(response.content),
                }
    common_paths = [*FIRST_LOAD_COMMON, *fonts]
    base = sum(sizes[p]["gzip"] for p in common_paths)
    base_raw = sum(sizes[p]["raw"] for p in common_paths)
    paths = {
        name: {
            "gzip_bytes": base + sum(sizes[p]["gzip"] for p in files),
            "raw_bytes": base_raw + sum(sizes[p]["raw"] for p in files),
        }
        for name, files in RENDERERS.items()
    }
    return {"paths": paths, "common_gzip_bytes": base, "fonts": len(fonts), "files": sizes}


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    p = common.parser("bench_auction_fanout", __doc__.splitlines()[0], BIDS_DEFAULT)
    p.add_argument(
        "--sessions", type=int, default=SESSIONS_DEFAULT, help="member sessions in the room"
    )
    args = p.parse_args(argv)
    common.bench_env()
    if args.sessions < 2 or args.n < 1:
        raise SystemExit("bench_auction_fanout: --sessions >= 2 and --n (bids) >= 1")
    with common.scratch(args) as tmp:
        live = asyncio.run(fanout(tmp / "node", args.sessions, args.n))
    load = first_load()
    first = max(path["gzip_bytes"] for path in load["paths"].values())
    ratio = live["p99_ms"] / TARGET_P99_MS
    load_ratio = first / FIRST_LOAD_TARGET_BYTES
    ok = ratio <= 1.0 and load_ratio <= 1.0
    human = (
        f"bench_auction_fanout: a bid reaches all {args.sessions} sessions in p50 "
        f"{live['p50_ms']:.1f} ms, p99 {live['p99_ms']:.1f} ms over {args.n} bids "
        f"(CPU {live['cpu_p50_ms']:.0f} ms a bid): "
        f"{ratio:.2f}x the {TARGET_P99_MS:.0f} ms target; first load "
        f"{first / 1e6:.2f} MB gzipped (skwasm {load['paths']['skwasm']['gzip_bytes'] / 1e6:.2f}, "
        f"canvaskit {load['paths']['canvaskit']['gzip_bytes'] / 1e6:.2f}): {load_ratio:.2f}x "
        f"the 5 MB target ({'met' if ok else 'NOT met'})"
    )
    figures: dict[str, Any] = {
        "n": args.n,
        "sessions": args.sessions,
        "fanout_p50_ms": live["p50_ms"],
        "fanout_p99_ms": live["p99_ms"],
        "target_p99_ms": TARGET_P99_MS,
        "ratio": round(ratio, 3),
        "fanout": live,
        "first_load_bytes": first,
        "first_load_target_bytes": FIRST_LOAD_TARGET_BYTES,
        "first_load_ratio": round(load_ratio, 3),
        "first_load": {k: v for k, v in load.items() if k != "files"},
        "meets_target": ok,
    }
    if args.json:
        figures["first_load"]["files"] = load["files"]
    common.emit("bench_auction_fanout", args, human, figures)


if __name__ == "__main__":
    main()
