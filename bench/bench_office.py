"""The admin's pages and the auditor's verify on a big log (issue 13, "Benchmark").

What is timed (pages): the first render of the admin's audit trail ("/admin/audit") and
of the KPI dashboard ("/admin") on a store of N entries, each in a new in-process Flet
session of the real app (`ui.app.make_main` over Flet's own Session and a connection that
msgpack-packs every message as the websocket would: the technique of
tests/support/flet_session.py, copied here in its few lines since bench/ does not import
tests/). The clock runs from `view.go(route)` until the screen's patch has been packed
for the browser. Each page is then rendered again in a fresh session under tracemalloc:
its traced peak is the memory the render allocated, reported as a ratio to the store's
size on disk (far below 1: the page did not load the log), beside the process's RSS
before and after. Target: each first render within PAGE_TARGET_S.

What is timed (verify): the auditor's verify step in the app (the step of
chitnode.services.audit.audit_export: `verify_file` with the rules' role check and a
progress tick per entry, in a worker thread as ui/views/auditor.py runs it) against
`chitnode verify FILE` as a subprocess, on the same N-entry export in the same run. The
CLI runs before and after the app and the mean is used, so drift hits both. Figure: app
seconds / CLI seconds; target at most VERIFY_TARGET_RATIO.

Not timed: generating the export and the store (common.ensure_export and
bench_rebuild.ensure_store, cached in bench/results/cache by N), opening the node.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import common
import flet as ft
import msgpack
import psutil
from bench_rebuild import ensure_store
from flet.messaging.connection import Connection
from flet.messaging.protocol import configure_encode_object_for_msgpack
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub
from nacl.signing import SigningKey

PAGE_TARGET_S = 2.0  # a first render an admin waits for without wondering (issue 13)
VERIFY_TARGET_RATIO = 1.1  # the bound: the app not slower than 1.1x the CLI
# The audit trail's newest page, the dashboard, and the trail filtered to a kind only the
# log's very first entry has: the store walks every row's index entry to fill that page
# (its worst case in time), yet holds no more than a page of them.
PAGES = (
    ("audit", "/admin/audit"),
    ("dashboard", "/admin"),
    ("audit_filtered", "/admin/audit?kind=branch.genesis"),
)
# Rendered once before the figures (not timed): the app's one-time costs (Flet's first
# session, lazy imports) land here, not on the first page measured.
WARM_UP_ROUTE = "/admin/devices"
MB = 1_048_576
_ENCODE = configure_encode_object_for_msgpack(ft.BaseControl)


class PackingConnection(Connection):
    """A browser that is never there: each message is msgpack-packed (Flet snapshots the
    controls its next diff compares against while it encodes) and counted, not kept."""

    def __init__(self, hub: PubSubHub, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.pubsubhub, self.loop = hub, loop
        self.sent_bytes = 0

    def send_message(self, message: Any) -> None:
        self.sent_bytes += len(self.pack([message.action, message.body]))

    def pack(self, obj: Any) -> bytes:
        packed: bytes = msgpack.packb(obj, default=_ENCODE)
        return packed


def open_node(store_dir: Path) -> Any:
    """The cached store as the root admin's node (the generator's root key)."""
    from chitnode.clock import SystemClock
    from chitnode.node.node import Node
    from chitnode.store.sqlite import SqliteStore

    store = SqliteStore.open(store_dir)
    try:
        node = Node(store, SigningKey(common._seed("root")), SystemClock())
        node.engine.load()
    except BaseException:
        store.close()
        raise
    return node


async def render(ctx: Any, hub: Any, route: str) -> tuple[float, int]:
    """Seconds from `go(route)` in a new admin session until its patch is packed; bytes."""
    from ui.app import make_main
    from ui.gate import STAFF, Who

    conn = PackingConnection(hub, asyncio.get_running_loop())
    session = Session(conn)
    session.page.route, session.page.client_ip = "/", "127.0.0.1"
    conn.pack(session.get_page_patch())  # what REGISTER_CLIENT sends first
    await make_main(ctx)(session.page)
    await session.after_event(session.page)
    view = ctx.sessions[session.id]
    view.who = Who(STAFF, name="Bench admin", device_role="admin")
    sent = conn.sent_bytes
    t0 = time.perf_counter()
    await view.go(route)
    seconds = time.perf_counter() - t0
    shown = getattr(view.screen, "route", None)
    if (
        shown != route.partition("?")[0]
    ):  # a login or another screen instead: the figure would be nothing's
        raise SystemExit(f"bench_office: {route} showed {shown!r}, banner {view.banner.value!r}")
    view.stop()
    ctx.sessions.pop(session.id, None)
    return seconds, conn.sent_bytes - sent


async def pages(store_dir: Path) -> dict[str, Any]:
    from ui.app import load_screens
    from ui.backend import Backend
    from ui.shell import AppContext

    proc = psutil.Process()
    rss_start = proc.memory_info().rss
    t0 = time.perf_counter()
    node = open_node(store_dir)
    open_s = time.perf_counter() - t0
    backend = Backend.for_node(node, store_dir)
    ctx = AppContext(backend=backend, screens=load_screens(), auth=None)
    hub = PubSubHub(loop=asyncio.get_running_loop())
    out: dict[str, Any] = {"open_node_seconds": round(open_s, 2)}
    try:
        common.log(f"warm-up: {WARM_UP_ROUTE} (not timed)")
        await render(ctx, hub, WARM_UP_ROUTE)
        for name, route in PAGES:
            rss_before = proc.memory_info().rss
            common.log(f"first render of {route}")
            seconds, sent = await render(ctx, hub, route)
            rss_after = proc.memory_info().rss
            common.log(f"{route} again under tracemalloc (its peak, not its time)")
            tracemalloc.start()
            await render(ctx, hub, route)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out[name] = {
                "route": route,
                "seconds": round(seconds, 3),
                "sent_bytes": sent,
                "traced_peak_mb": round(peak / MB, 2),
                "rss_before_mb": round(rss_before / MB, 1),
                "rss_after_mb": round(rss_after / MB, 1),
            }
    finally:
        for view in list(ctx.sessions.values()):
            view.stop()
        await backend.aclose_node()
    out["rss_start_mb"] = round(rss_start / MB, 1)
    out["peak_rss_mb"] = round(common.peak_rss_mb(), 1)
    return out


# --- verify: the app's step against the CLI ------------------------------------------------


def cli_verify(export: Path) -> float:
    """Seconds for `chitnode verify FILE` in a subprocess (startup included: what a user waits)."""
    exe = Path(sys.executable).with_name("chitnode")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "chitnode.cli.main"]
    t0 = time.perf_counter()
    proc = subprocess.run([*cmd, "verify", str(export)], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-2000:])
        raise SystemExit(f"bench_office: chitnode verify failed ({proc.returncode})")
    return seconds


def app_verify(export: Path, n: int) -> float:
    """Seconds for the auditor's verify step as the app runs it (a worker thread, a tick
    per entry for the progress bar), awaited from the event loop like the screen does."""
    from chitnode.domain.kinds import role_allows
    from chitnode.log.verify import verify_file

    counts = [0]

    def on_verify() -> None:
        counts[0] += 1

    async def run() -> tuple[float, Any]:
        t0 = time.perf_counter()
        report = await asyncio.to_thread(
            verify_file, export, role_allows=role_allows, on_entry=on_verify
        )
        return time.perf_counter() - t0, report

    seconds, report = asyncio.run(run())
    if not report.ok or report.entries != n or counts[0] != n:
        raise SystemExit(f"bench_office: the app's verify of the export failed: {report.counts()}")
    return seconds


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    p = common.parser("bench_office", __doc__.splitlines()[0], 1_000_000)
    args = p.parse_args(argv)
    common.bench_env()
    cache = common.cache_dir(args)
    store_dir, store_meta = ensure_store(args.n, cache)
    gen = common.ensure_export(args.n, cache)
    db_bytes = int(store_meta["db_bytes"])
    shown = asyncio.run(pages(store_dir))
    common.log(f"chitnode verify of the {args.n:,}-entry export (before)")
    cli_before = cli_verify(gen.export)
    common.log("the auditor's verify step in the app")
    app_s = app_verify(gen.export, args.n)
    common.log("chitnode verify (after)")
    cli_after = cli_verify(gen.export)
    cli_s = (cli_before + cli_after) / 2
    ratio = app_s / cli_s
    page_ratios = {name: shown[name]["seconds"] / PAGE_TARGET_S for name, _ in PAGES}
    memory_ratios = {
        name: shown[name]["traced_peak_mb"] * MB / max(db_bytes, 1) for name, _ in PAGES
    }
    ok = ratio <= VERIFY_TARGET_RATIO and all(r <= 1.0 for r in page_ratios.values())
    renders = ", ".join(
        f"{route} {shown[name]['seconds']:.2f} s ({page_ratios[name]:.2f}x the "
        f"{PAGE_TARGET_S:.0f} s target; traced peak {shown[name]['traced_peak_mb']:.1f} MB = "
        f"{memory_ratios[name]:.4f}x the {db_bytes / MB:,.0f} MB store)"
        for name, route in PAGES
    )
    human = (
        f"bench_office: n={args.n:,}; first render {renders}; process peak RSS "
        f"{shown['peak_rss_mb']:.0f} MB; auditor's verify {app_s:.1f} s vs `chitnode verify` "
        f"{cli_s:.1f} s: {ratio:.2f}x (target <= {VERIFY_TARGET_RATIO}x; "
        f"{'met' if ok else 'NOT met'})"
    )
    figures: dict[str, Any] = {
        "n": args.n,
        "store_db_bytes": db_bytes,
        "export_bytes": gen.meta["bytes"],
        "pages": shown,
        "page_target_s": PAGE_TARGET_S,
        "page_ratios": {k: round(v, 3) for k, v in page_ratios.items()},
        "page_memory_ratios_to_store": {k: round(v, 5) for k, v in memory_ratios.items()},
        "app_verify_seconds": round(app_s, 2),
        "cli_verify_seconds": round(cli_s, 2),
        "cli_verify_seconds_before_after": [round(cli_before, 2), round(cli_after, 2)],
        "ratio": round(ratio, 3),
        "target_ratio": VERIFY_TARGET_RATIO,
        "meets_target": ok,
        "workers": os.cpu_count(),
    }
    common.emit("bench_office", args, human, figures)


if __name__ == "__main__":
    main()
