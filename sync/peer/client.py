"""Dialling a peer: one catch-up (`sync_with`) or a long-lived link (`PeerLink`).

Both open `/v1/sync` on the peer's server over mutual TLS: our certificate, and the
server's checked against the certificates of the branch's active devices (or, for a
node that knows none yet, against one fingerprint: `server_fingerprint`). Then the
same `Session` as the server's drives the reconciliation.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass

import aiohttp
from yarl import URL

from chitnode.errors import ChitError
from sync import limits
from sync.channel.tls import client_context, peer_certificate, pinned_connector, pinned_context
from sync.peer.context import PeerContext
from sync.peer.errors import NotEnrolled, PeerUnreachable
from sync.peer.session import SYNC_PATH, Session, SyncReport


@dataclass(eq=False)
class Dialled:
    http: aiohttp.ClientSession
    ws: aiohttp.ClientWebSocketResponse
    peer: str | None

    async def close(self) -> None:
        await self.ws.close()
        await self.http.close()


async def dial(
    ctx: PeerContext,
    host: str,
    port: int,
    *,
    server_fingerprint: str | None = None,
    path: str = SYNC_PATH,
) -> Dialled:
    """Open the sync websocket (or another, `path`) to host:port; PeerUnreachable /
    NotEnrolled if we cannot."""
    tls: ssl.SSLContext
    if server_fingerprint is not None:
        connector, tls = pinned_connector(server_fingerprint), pinned_context(ctx.cred)
    else:
        connector, tls = aiohttp.TCPConnector(), client_context(ctx.cred, ctx.trusted.ders())
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=limits.PEER_CONNECT_TIMEOUT_S)
    http = aiohttp.ClientSession(connector=connector, timeout=timeout)
    url = URL.build(scheme="wss", host=host, port=port, path=path)
    try:
        async with asyncio.timeout(limits.PEER_CONNECT_TIMEOUT_S):
            ws = await http.ws_connect(
                url,
                ssl=tls,
                max_msg_size=limits.MESSAGE_BYTES_MAX,
                heartbeat=limits.PEER_HEARTBEAT_S,
                autoclose=False,
            )
    except aiohttp.WSServerHandshakeError as exc:
        await http.close()
        if exc.status == 403:
            raise NotEnrolled(f"{host}:{port} does not know this device") from exc
        raise PeerUnreachable(f"{host}:{port} refused the session ({exc.status})") from exc
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        await http.close()
        raise PeerUnreachable(f"{host}:{port}: {type(exc).__name__}: {exc}") from exc
    peer = ctx.trusted.key_of(peer_certificate(ws))
    if peer is None and server_fingerprint is None:
        await ws.close()
        await http.close()
        raise NotEnrolled(f"{host}:{port} is no active device of this branch")
    return Dialled(http, ws, peer)


async def sync_with(
    ctx: PeerContext, host: str, port: int, *, server_fingerprint: str | None = None
) -> SyncReport:
    """Catch up with the peer at host:port (both ways) and close: what happened.

    Never raises for the peer's or the network's faults: the report's `error` says.
    """
    try:
        dialled = await dial(ctx, host, port, server_fingerprint=server_fingerprint)
    except ChitError as exc:
        await ctx.note("note_failure", host, port, exc.code, exc.message)
        return SyncReport(None, error=exc.code, message=exc.message)
    try:
        session = Session(ctx.node_thread, ctx.stream, dialled.ws, dialled.peer, live=False)
        report = await session.run()
    finally:
        await dialled.close()
    await _note(ctx, host, port, report)
    return report


async def _note(ctx: PeerContext, host: str, port: int, report: SyncReport) -> None:
    if report.error is not None:
        await ctx.note("note_failure", host, port, report.error, report.message, key=report.peer)
    elif report.peer is not None:
        await ctx.note("note_seen", report.peer, host, port)
        await ctx.note("note_lag", report.peer, report.lag)


class PeerLink:
    """A long-lived link to one peer: dial, catch up, then live push both ways; redial.

    One `Session` at a time, live: it subscribes to this node's events before its first
    summary, catches up both ways, then announces new entries as they commit. When the
    connection ends (the peer stopped, the network went, a bad frame) the link waits
    and dials again, the wait doubling from `PEER_LINK_BACKOFF_BASE_S` up to
    `PEER_LINK_BACKOFF_MAX_S` while dials fail, back to the base after one succeeds.
    Every outcome goes to the peer book when the context has one.
    """

    def __init__(
        self,
        ctx: PeerContext,
        host: str,
        port: int,
        *,
        server_fingerprint: str | None = None,
    ) -> None:
        self.ctx, self.host, self.port = ctx, host, port
        self._fingerprint = server_fingerprint
        self._task: asyncio.Task[None] | None = None
        self._session: Session | None = None
        self.peer: str | None = None
        self.state = "idle"  # idle | dialling | connected | waiting | stopped
        self.sessions = 0  # sessions opened so far
        self.dials_failed = 0  # dials that got no session (refused, TLS, unreachable)
        self.last_error: str | None = None
        self.reports: list[SyncReport] = []  # ended sessions, newest last (bounded)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"peer-link {self.host}:{self.port}")

    async def stop(self) -> None:
        self.state = "stopped"
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def caught_up(self) -> bool:
        """Connected, and both sides hold each other's latest summary."""
        session = self._session
        return self.state == "connected" and session is not None and session.caught_up.is_set()

    async def _run(self) -> None:
        wait = limits.PEER_LINK_BACKOFF_BASE_S
        while True:
            self.state = "dialling"
            await self.ctx.refresh_trust()  # a peer enrolled since the last dial
            try:
                dialled = await dial(
                    self.ctx, self.host, self.port, server_fingerprint=self._fingerprint
                )
            except ChitError as exc:
                self.last_error = exc.code
                self.dials_failed += 1
                await self.ctx.note("note_failure", self.host, self.port, exc.code, exc.message)
            else:
                wait = limits.PEER_LINK_BACKOFF_BASE_S
                await self._serve(dialled)
            self.state = "waiting"
            await asyncio.sleep(wait)
            wait = min(2 * wait, limits.PEER_LINK_BACKOFF_MAX_S)

    async def _serve(self, dialled: Dialled) -> None:
        self.peer = dialled.peer
        self.state = "connected"
        self.sessions += 1
        if dialled.peer is not None:
            await self.ctx.note("note_seen", dialled.peer, self.host, self.port)
        session = self._session = Session(
            self.ctx.node_thread, self.ctx.stream, dialled.ws, dialled.peer, live=True
        )
        run = asyncio.create_task(session.run())

        def distrust(keys: set[str]) -> None:
            """The peer was revoked (or rebound) here: end the session now."""
            if dialled.peer is not None and dialled.peer in keys:
                run.cancel()

        self.ctx.on_distrust.append(distrust)
        try:
            report = await run
        except asyncio.CancelledError:
            if self.state == "stopped":
                raise
            report = SyncReport(dialled.peer, error=NotEnrolled.code, message="peer revoked")
        finally:
            self.ctx.on_distrust.remove(distrust)
            self._session = None
            await dialled.close()
        self.last_error = report.error
        self.reports = [*self.reports[1 - limits.PEER_LINK_REPORTS_KEPT :], report]
        await _note(self.ctx, self.host, self.port, report)
