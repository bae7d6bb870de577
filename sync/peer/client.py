"""Dialling a peer: one catch-up (`sync_with`) or a long-lived link (`PeerLink`).

Both open `/v1/sync` on the peer's server over mutual TLS: our certificate, and the
server's checked against the certificates of the branch's active devices (or, for a
node that knows none yet, against one fingerprint: `server_fingerprint`). Then the
same `Session` as the server's drives the reconciliation.
"""

from __future__ import annotations

import asyncio
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
    ctx: PeerContext, host: str, port: int, *, server_fingerprint: str | None = None
) -> Dialled:
    """Open the sync websocket to host:port; PeerUnreachable / NotEnrolled if we cannot."""
    tls: ssl.SSLContext
    if server_fingerprint is not None:
        connector, tls = pinned_connector(server_fingerprint), pinned_context(ctx.cred)
    else:
        connector, tls = aiohttp.TCPConnector(), client_context(ctx.cred, ctx.trusted.ders())
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=limits.PEER_CONNECT_TIMEOUT_S)
    http = aiohttp.ClientSession(connector=connector, timeout=timeout)
    url = URL.build(scheme="wss", host=host, port=port, path=SYNC_PATH)
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
