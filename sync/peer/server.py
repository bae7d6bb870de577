"""The peer server: an aiohttp app on mutual TLS whose routes only enrolled devices reach.

    server = PeerServer(node_thread, cred, book)      # or context=PeerContext
    server.app.router.add_get("/v1/x", handler)      # enrolled devices only
    server.add_anonymous_route("POST", "/v1/join", join)  # a client with no certificate too
    port = await server.start("0.0.0.0", 0)
    ...
    await server.stop()

A handler finds the authenticated device key in `request[PEER_KEY]` (None on an
anonymous route reached without a certificate). Trust follows the log
(`sync.channel.tls`): a device enrolled and bound later is accepted without a
restart; when a `device.*` entry folds, the server re-reads the certificates and
closes every connection of a device that lost trust (revoked, or its certificate
replaced). A client certificate that is not trusted fails the TLS handshake: that
client never gets an HTTP byte.

`/v1/sync` is the reconciliation websocket (`sync.peer.session`), live: once caught
up, entries committed here are announced to the peer as they come.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from chitnode.services.events import Filter, Subscription
from sync import limits
from sync.channel.credentials import ChannelCredential
from sync.channel.tls import peer_certificate, server_context
from sync.discovery.book import PeerBook
from sync.node_thread import NodeThread
from sync.peer.context import PeerContext
from sync.peer.errors import NotEnrolled, TooManySessions
from sync.peer.session import ERROR_CLOSE, SYNC_PATH, Session, SyncReport

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TRUST_KINDS = frozenset({"device."})  # enrolment, revocation, certificate binding

# The authenticated device key of a request (None: an anonymous client, /v1/join only).
PEER_KEY = web.RequestKey[str | None]("peer")


@dataclass(eq=False)
class Connection:
    """One sync websocket the server holds."""

    peer: str
    address: str
    since_s: float
    ws: web.WebSocketResponse
    transport: Any
    reports: list[SyncReport] = field(default_factory=list)


class PeerServer:
    def __init__(
        self,
        node_thread: NodeThread,
        cred: ChannelCredential,
        book: PeerBook | None = None,
        *,
        context: PeerContext | None = None,
    ) -> None:
        self._nt, self._cred, self._book = node_thread, cred, book
        self.context = context
        self.app = web.Application(
            middlewares=[self._gate], client_max_size=limits.PEER_HTTP_BODY_BYTES_MAX
        )
        self.app.router.add_get(SYNC_PATH, self._sync)
        self._anonymous: set[Handler] = set()
        self._conns: set[Connection] = set()
        self._runner: web.AppRunner | None = None
        self._trust_task: asyncio.Task[None] | None = None
        self._sub: Subscription | None = None
        self.reports: list[SyncReport] = []  # finished sessions, newest last (bounded)

    def add_anonymous_route(self, method: str, path: str, handler: Handler) -> None:
        """A route a client without a certificate may reach too (a joining device)."""
        self.app.router.add_route(method, path, handler)
        self._anonymous.add(handler)

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0: any free port); returns the port bound."""
        if self.context is None:
            self.context = await PeerContext.open(self._nt, self._cred, self._book)
        ctx = self.context
        ctx.on_distrust.append(self._drop)
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def on_commit() -> None:
            loop.call_soon_threadsafe(wake.set)

        self._sub = ctx.stream.subscribe(Filter(kinds=TRUST_KINDS), wake=on_commit)
        self._trust_task = asyncio.create_task(self._follow_trust(wake))
        await ctx.refresh_trust()  # anything enrolled between open and subscribe
        self._runner = web.AppRunner(self.app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, host, port, ssl_context=server_context(ctx.cred, ctx.trusted)
        )
        await site.start()
        server = site._server
        assert server is not None and isinstance(server, asyncio.Server)
        bound: int = server.sockets[0].getsockname()[1]
        return bound

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._trust_task is not None:
            self._trust_task.cancel()
        if self._sub is not None:
            self._sub.close()
        for conn in list(self._conns):
            await conn.ws.close(code=1001, message=b"")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def connections(self) -> list[Connection]:
        return sorted(self._conns, key=lambda c: c.since_s)

    # --- trust ---------------------------------------------------------------------------

    async def _follow_trust(self, wake: asyncio.Event) -> None:
        assert self.context is not None and self._sub is not None
        while True:
            await wake.wait()
            wake.clear()
            self._sub.drain()
            await self.context.refresh_trust()

    def _drop(self, keys: set[str]) -> None:
        """Cut every connection of devices no longer trusted, at once, mid-frame or not."""
        for conn in list(self._conns):
            if conn.peer in keys:
                conn.transport.abort()

    @web.middleware
    async def _gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        assert self.context is not None
        der = peer_certificate(request.transport)
        key = self.context.trusted.key_of(der)
        if der is not None and key is None:  # trusted at the handshake, not any more
            if request.transport is not None:
                request.transport.abort()  # cut: the answer below is never sent
            return web.Response(status=403)
        request[PEER_KEY] = key
        if key is None and request.match_info.handler not in self._anonymous:
            body = {"error": NotEnrolled.code, "message": "an enrolled device's certificate"}
            return web.json_response(body, status=403)
        return await handler(request)

    # --- the sync websocket ---------------------------------------------------------------

    async def _sync(self, request: web.Request) -> web.StreamResponse:
        assert self.context is not None
        key = request[PEER_KEY]
        assert key is not None  # /v1/sync is not an anonymous route: the gate saw to it
        mine = sum(1 for c in self._conns if c.peer == key)
        if len(self._conns) >= limits.PEER_SESSIONS_MAX or mine >= (
            limits.PEER_SESSIONS_PER_DEVICE_MAX
        ):
            err = TooManySessions(f"{len(self._conns)} sessions open, {mine} of that device")
            return web.json_response({"error": err.code, "message": err.message}, status=503)
        ws = web.WebSocketResponse(
            max_msg_size=limits.MESSAGE_BYTES_MAX, heartbeat=limits.PEER_HEARTBEAT_S
        )
        await ws.prepare(request)
        address = request.remote or ""
        conn = Connection(key, address, time.monotonic(), ws, request.transport)
        self._conns.add(conn)
        try:
            session = Session(self._nt, self.context.stream, ws, key, live=True)
            report = await session.run()
        finally:
            self._conns.discard(conn)
        self.reports = [*self.reports[-(limits.PEER_SESSIONS_MAX - 1) :], report]
        if report.error is None:
            await self.context.note("note_lag", key, report.lag)
        return ws


__all__ = ["ERROR_CLOSE", "Connection", "PeerServer"]
