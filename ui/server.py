"""The app inside `chitnode serve`: Flet's web client and websocket on the serve's own loop.

`chitnode serve --app-port N` (default 8550) runs, beside the peer channel, Flet 1.0.5 in
web mode (FLET.md §6, variant B): `flet_web.fastapi.app` gives the ASGI app, uvicorn
serves it as a task on the serve's loop, and every session reads and writes through the
serve's node thread and event stream (ui/backend.py), so a bid from a phone, from a peer
or from `chitnode submit` reaches every open screen the same way.

- `no_cdn=True`: the web client loads nothing from the internet (FLET.md §2).
- GZip: a phone's first load is ~4 MB instead of ~12 (bench/bench_auction_fanout.py).
- The laptop opens `http://localhost:PORT/`; phones open `http://<LAN IP>:PORT/?pair=TOKEN`
  from the QR (Android browsers do not resolve `.local`). serve prints both, writes the
  QR as `<data>/phone-qr.png`, and adds `app_port` to serve.json.

Plugged into serve by ui/serve_part.py (the entry point `chitnode.serve_parts`): sync/
never imports ui/.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chitnode.clock import SystemClock
from chitnode.errors import UsageError
from sync.serve.runtime import PortInUse
from ui import limits
from ui.auth import Auth
from ui.pairing import host_addresses, phone_url, qr_png, qr_terminal
from ui.receipt_links import add_receipt_routes
from ui.shell import AppContext
from ui.signer import SignerDesk, add_signer_routes

STARTUP_POLL_S = 0.02  # how often start() looks whether uvicorn is up
ASSETS = Path(__file__).resolve().parents[1] / "assets"  # icons, the app's static files


@dataclass(slots=True)
class AppPart:
    port: int
    allow_remote_staff: bool = False
    hq_db: str = ""  # the head-office database the /hq screen reads (serve --hq-db)
    bound_port: int = 0
    context: AppContext | None = None
    _server: Any = None
    _task: asyncio.Task[None] | None = None
    lines: list[str] = field(default_factory=list)

    async def start(self, runtime: Any) -> list[str]:
        """Serve the app on `runtime`'s loop; the endpoint lines to print."""
        from ui.app import load_screens
        from ui.backend import Backend

        listen = runtime.options.listen
        backend = Backend(runtime.nt, runtime.events, runtime.folder)
        backend.coordinator = getattr(runtime, "election", None)
        ctx = AppContext(
            backend=backend,
            screens=load_screens(),
            auth=Auth.for_folder(
                runtime.folder, SystemClock(), allow_remote_staff=self.allow_remote_staff
            ),
            allow_remote_staff=self.allow_remote_staff,
            listen=listen,
            hq_db=self.hq_db,
        )
        self.context = ctx
        asgi = asgi_app(ctx)
        import uvicorn

        config = uvicorn.Config(
            asgi,
            host=listen,
            port=self.port,
            ws="websockets-sansio",
            lifespan="off",
            log_level="warning",
            timeout_graceful_shutdown=int(limits.APP_SHUTDOWN_TIMEOUT_S),
        )
        server = quiet_server(config)
        self._server = server
        sock = bind(listen, self.port)  # here, so a taken port is PortInUse, not uvicorn's exit
        self._task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        while not server.started:  # bounded: uvicorn either starts or its task ends
            if self._task.done():
                self._task.result()
                raise OSError(f"the app could not start on {listen}:{self.port}")
            await asyncio.sleep(STARTUP_POLL_S)
        self.bound_port = server.servers[0].sockets[0].getsockname()[1]
        ctx.app_port = self.bound_port
        return self.endpoint_lines(runtime)

    def endpoint_lines(self, runtime: Any) -> list[str]:
        lines = [f"app      http://localhost:{self.bound_port}/ (this machine's browser)"]
        lines.extend(phone_lines(self.context, runtime.folder, self.bound_port))
        return lines

    def serve_fields(self) -> dict[str, Any]:
        return {"app_port": self.bound_port}

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._task, limits.APP_SHUTDOWN_TIMEOUT_S * 2)
            self._task = None
        if self.context is not None:
            for view in list(self.context.sessions.values()):
                view.stop()
            await self.context.backend.aclose()


def bind(listen: str, port: int) -> socket.socket:
    """The app's listening socket; PortInUse (a code, not a traceback) if it is taken."""
    family = socket.AF_INET6 if ":" in listen else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((listen, port))
    except OSError as exc:
        sock.close()
        where = f"{listen}:{port} ({exc.strerror or exc})"
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"cannot serve the app on {where}: another program holds the port; choose "
                "another with --app-port, or --no-app"
            ) from exc
        raise UsageError(f"cannot serve the app on {where}: --listen names no address") from exc
    sock.set_inheritable(True)
    return sock


def _server_class() -> Any:
    import uvicorn

    class QuietServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            """SIGINT and SIGTERM are the serve's (sync/serve/runtime.py): it stops the app."""
            yield

    return QuietServer


def quiet_server(config: Any) -> Any:
    return _server_class()(config)


def asgi_app(ctx: AppContext) -> Any:
    """Flet's web app for `ctx`, with gzip: the client's 12 MB reach a phone as ~4 MB."""
    import flet_web.fastapi as flet_fastapi  # type: ignore[import-untyped]
    from starlette.middleware.gzip import GZipMiddleware

    from ui.app import make_main

    os.environ.setdefault("FLET_WEB_NO_CDN", "1")  # belt and braces (FLET.md §8)
    app = flet_fastapi.app(
        make_main(ctx, own_addresses=_own_addresses),
        assets_dir=str(ASSETS) if ASSETS.is_dir() else None,
        app_name="chitnode",
        app_short_name="chitnode",
        app_description="The chit fund's ledger, on this branch's laptop",
        no_cdn=True,
        session_timeout_seconds=limits.FLET_SESSION_TIMEOUT_S,
    )
    app.add_middleware(GZipMiddleware, minimum_size=limits.GZIP_MINIMUM_BYTES)
    app.add_middleware(NotIsolated)
    add_font_routes(app)
    add_receipt_routes(app, ctx)  # a member's receipt file (ui/receipt_links.py)
    if ctx.signer is None:  # the member's signing page (ui/signer.py) shares the loop
        ctx.signer = SignerDesk(SystemClock())
    add_signer_routes(app, ctx.signer)
    return app


# Flet's server sends COOP/COEP so that a page on a secure origin (localhost) is
# cross-origin isolated, and Flutter then runs skwasm with a render thread. A phone on the
# meeting's Wi-Fi reaches the laptop over plain http on a LAN address, which is never
# isolated, and gets single-threaded skwasm. The laptop's own tab took the other path, and
# on it the page's main thread was seen spinning at 100% for good after an unlock (about
# one browser test run in five). Without the two headers every tab runs what phones run.
ISOLATION_HEADERS = (b"cross-origin-opener-policy", b"cross-origin-embedder-policy")


class NotIsolated:
    """ASGI middleware: drop Flet's cross-origin isolation headers from every answer."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v) for k, v in message["headers"] if k.lower() not in ISOLATION_HEADERS
                ]
            await send(message)

        await self.app(scope, receive, sending)


# --- fonts ------------------------------------------------------------------------------------
#
# Kannada and Hindi: Roboto has no Kannada or Devanagari letters, so Flutter falls back to
# Noto fonts it fetches from `fontFallbackBaseUrl`, which no_cdn points at this node
# (`/assets/fonts/<family>/<version>/<subset>.woff2`). Flet ships none of them, so every
# Kannada or Hindi word showed as boxes. The node answers those requests with whole Noto
# fonts from assets/fonts/ (SIL OFL, assets/fonts/OFL.txt): a whole font is a superset of
# any subset Flutter asks for, and a phone fetches each once, only when it shows the script.
# Flutter asks "notosans" for Devanagari too (today's Noto Sans has it), and for signs
# Roboto lacks; NotoSans-LatinDevanagari.ttf is Noto Sans's Latin, punctuation and currency
# merged with Noto Sans Devanagari (fontTools), shaping tables kept.
FALLBACK_FONTS = {
    "notosanskannada": "NotoSansKannada-Regular.ttf",
    "notosansdevanagari": "NotoSansDevanagari-Regular.ttf",
    "notosans": "NotoSans-LatinDevanagari.ttf",
    "notosanssymbols": "NotoSans-LatinDevanagari.ttf",  # bullets, arrows: what it has
}
# Flet's font manifest also lists KaTeX (maths) and Cupertino icon fonts, which Flutter loads
# at start-up though the app draws neither: ~1.2 MB of a phone's first load. The node serves
# the manifest without them.
UNUSED_FONT_FAMILIES = ("packages/flutter_math_fork/", "packages/cupertino_icons/")


def flet_web_dir() -> Path:
    import flet_web

    return Path(flet_web.__file__).parent / "web"


def font_manifest() -> list[dict[str, Any]]:
    path = flet_web_dir() / "assets" / "FontManifest.json"
    families: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return [f for f in families if not str(f.get("family", "")).startswith(UNUSED_FONT_FAMILIES)]


def add_font_routes(app: Any) -> None:
    """The two font answers above, ahead of Flet's static files (which match every path)."""
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Route

    manifest = font_manifest()

    async def fallback_font(request: Request) -> Response:
        name = FALLBACK_FONTS.get(str(request.path_params["family"]))
        if name is None:
            return Response(status_code=404)
        return FileResponse(ASSETS / "fonts" / name, media_type="font/ttf")

    async def manifest_answer(request: Request) -> Response:
        return JSONResponse(manifest)

    async def roboto(request: Request) -> Response:  # the default font, from Flet's own copy
        return FileResponse(flet_web_dir() / "assets" / "fonts" / "roboto.woff2")

    routes = [
        Route("/assets/FontManifest.json", manifest_answer),
        Route("/assets/fonts/{family}/{version}/{subset}", fallback_font),
        Route("/assets/assets/fonts/roboto/{version}/{subset}", roboto),
    ]
    app.router.routes[0:0] = routes


def _own_addresses() -> list[str]:
    return list(host_addresses())


def phone_lines(ctx: AppContext | None, folder: Path, port: int) -> list[str]:
    """The URL and QR a phone scans to reach the member login (one-time meeting token)."""
    from ui.views.phones import phone_host

    if ctx is None or ctx.auth is None:
        return []
    url = phone_url(phone_host(ctx.listen), port, ctx.auth.meeting_token())
    png = folder / "phone-qr.png"
    qr_png(url, png)
    return [f"phones   {url} (QR below, and {png})", qr_terminal(url)]
