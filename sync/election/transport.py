"""Election frames over the peer channel: a websocket per peer at `/v1/election`.

The same mutual-TLS channel as sync (sync/peer): only enrolled devices reach the route,
and the peer's key is the one its certificate is bound to in the log. Each device keeps
one election socket per peer (the newest replaces an older one, whichever side dialled)
and sends every frame the election gives to the socket of its addressee; a frame for a
peer with no socket is dropped, as the election tolerates any loss. A frame that is not
an election message closes the socket with its code (`bad_message`, ...), and so does a
peer sending faster than ELECTION_FRAMES_PER_S (`rate_limited`).

    hub = ElectionHub(node_thread, NodeElection(node, BootClock(), random.Random()))
    hub.attach(server)            # before server.start: adds the route
    hub.start()                   # ticks the election
    link = ElectionLink(hub, ctx, host, port); link.start()   # dial a peer, redial
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

from chitnode.errors import ChitError
from chitnode.node.node import Command, Receipt
from chitnode.services.events import EventStream, published
from sync import limits
from sync.election.forward import (
    Forward,
    Forwarded,
    ForwardLost,
    NoLeaseHolder,
    decode_forward,
    encode_forward,
    is_forward_frame,
)
from sync.election.shell import Frame, NodeElection
from sync.node_thread import NodeThread
from sync.peer.client import dial
from sync.peer.context import PeerContext
from sync.peer.server import PEER_KEY, PeerServer
from sync.peer.session import ERROR_CLOSE, FrameBudget

ELECTION_PATH = "/v1/election"
Socket = web.WebSocketResponse | aiohttp.ClientWebSocketResponse
# Runs a peer's forwarded commands here (the service: checks the peer, submits, publishes).
OnForward = Callable[[str, Forward], Awaitable[Forwarded]]


class ElectionHub:
    """This device's election on the network: the shell on the node thread, the sockets."""

    def __init__(
        self,
        node_thread: NodeThread,
        shell: NodeElection,
        *,
        frames_burst: int = limits.ELECTION_FRAMES_BURST_MAX,
        frames_per_s: float = limits.ELECTION_FRAMES_PER_S,
        events: EventStream | None = None,
    ) -> None:
        self._nt, self.shell, self._events = node_thread, shell, events
        self._burst, self._per_s = frames_burst, frames_per_s
        self._sockets: dict[str, Socket] = {}
        self._ticker: asyncio.Task[None] | None = None
        self.dropped = 0  # frames for a peer with no open socket
        self.on_forward: OnForward | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Forwarded]] = {}
        self._sent_on: dict[int, Socket] = {}  # the socket each waiting forward went out on

    def attach(self, server: PeerServer) -> None:
        server.app.router.add_get(ELECTION_PATH, self._accept)

    def start(self) -> None:
        if self._ticker is None:
            self._ticker = asyncio.create_task(self._tick(), name="election ticks")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        for ws in list(self._sockets.values()):
            await ws.close()

    def peers(self) -> list[str]:
        return sorted(k for k, ws in self._sockets.items() if not ws.closed)

    async def campaign(self, scope: str) -> None:
        await self.send(await self.run(lambda: self.shell.campaign(scope)))

    async def withdraw(self, scope: str) -> None:
        await self.send(await self.run(lambda: self.shell.withdraw(scope)))

    async def run(self, call: Callable[[], list[Frame]]) -> list[Frame]:
        """One shell call on the node thread; what it wrote (votes, grants) is published to
        live views and peers at once, as any write of a serving node is."""
        events = self._events
        if events is None:
            return await self._nt.run(lambda _node: call())
        return await self._nt.run(lambda _node: published(events, call))

    async def may_write(self, scope: str) -> int | None:
        return await self._nt.run(lambda _node: self.shell.may_write(scope))

    async def forward(self, peer: str, commands: list[Command]) -> list[Receipt]:
        """Run `commands` on `peer` (the holder); its receipts, or its refusal raised.

        NoLeaseHolder if no socket to it is open, it does not answer in time, or too many
        forwards wait already; the refusal of the holder is raised with its own code.
        """
        ws = self._sockets.get(peer)
        if ws is None or ws.closed:
            raise NoLeaseHolder(f"no connection to {peer[:12]}")
        if len(self._waiting) >= limits.FORWARD_PENDING_MAX:
            raise NoLeaseHolder("too many commands wait for a holder's answer already")
        fid = next(self._ids)
        answer: asyncio.Future[Forwarded] = asyncio.get_running_loop().create_future()
        self._waiting[fid], self._sent_on[fid] = answer, ws
        try:
            await ws.send_str(encode_forward(Forward(fid, tuple(commands))))
            reply = await asyncio.wait_for(answer, limits.FORWARD_REPLY_S)
        except (ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
            raise ForwardLost(f"the connection to {peer[:12]} went ({exc})") from exc
        except TimeoutError as exc:
            waited = f"{limits.FORWARD_REPLY_S:g} s"
            raise NoLeaseHolder(f"{peer[:12]} did not answer in {waited}") from exc
        finally:
            self._waiting.pop(fid, None)
            self._sent_on.pop(fid, None)
        if reply.error is not None:
            raise ChitError(reply.error[1], code=reply.error[0])
        assert reply.receipts is not None
        return list(reply.receipts)

    async def _forward_frame(self, peer: str, ws: Socket, frame: dict[str, object]) -> None:
        message = decode_forward(frame)  # BadMessage closes the socket
        if isinstance(message, Forwarded):
            waiting = self._waiting.get(message.id)
            if waiting is not None and not waiting.done():
                waiting.set_result(message)
            return
        if self.on_forward is None:
            reply = Forwarded(message.id, None, ("not_forwardable", "this device runs none"))
        else:
            reply = await self.on_forward(peer, message)
        await ws.send_str(encode_forward(reply))

    async def send(self, frames: list[Frame]) -> None:
        for frame in frames:
            ws = self._sockets.get(frame.to)
            if ws is None or ws.closed:
                self.dropped += 1
                continue
            try:
                await ws.send_str(frame.text)
            except (ConnectionError, aiohttp.ClientError, RuntimeError):
                self.dropped += 1  # the socket went meanwhile: a lost frame

    async def serve(self, peer: str, ws: Socket) -> None:
        """Read one peer's frames until its socket closes; this socket is its newest."""
        old = self._sockets.get(peer)
        self._sockets[peer] = ws
        if old is not None and old is not ws:
            await old.close()
        loop = asyncio.get_running_loop()
        budget = FrameBudget(loop.time, burst=self._burst, per_s=self._per_s)
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                try:
                    budget.take()  # a flood is cut: rate_limited
                    if _is_forward(msg.data):
                        await self._forward_frame(peer, ws, json.loads(msg.data))
                        continue
                    frames = await self.run(functools.partial(self.shell.receive, peer, msg.data))
                except ChitError as exc:
                    await ws.close(code=ERROR_CLOSE, message=exc.code.encode())
                    break
                await self.send(frames)
        finally:
            if self._sockets.get(peer) is ws:
                del self._sockets[peer]
            # its answers can no longer come: the callers try again now, not after a timeout
            for fid in [f for f, sock in self._sent_on.items() if sock is ws]:
                waiting = self._waiting.get(fid)
                if waiting is not None and not waiting.done():
                    waiting.set_exception(ConnectionError("the socket closed"))

    async def _accept(self, request: web.Request) -> web.StreamResponse:
        peer = request[PEER_KEY]
        assert peer is not None  # not an anonymous route: the server's gate saw to it
        ws = web.WebSocketResponse(
            max_msg_size=limits.ELECTION_FRAME_BYTES_MAX, heartbeat=limits.PEER_HEARTBEAT_S
        )
        await ws.prepare(request)
        await self.serve(peer, ws)
        return ws

    async def _tick(self) -> None:
        while True:
            await self.send(await self.run(self.shell.tick))
            await asyncio.sleep(limits.ELECTION_TICK_S)


def _is_forward(text: str) -> bool:
    """A forward frame, not an election message (those are decoded on the node thread)."""
    if len(text) > limits.ELECTION_FRAME_BYTES_MAX:
        return False  # the election's decode refuses it with its code
    try:
        return is_forward_frame(json.loads(text))
    except ValueError:
        return False


class ElectionLink:
    """Keeps an election socket to one peer: dial, serve it, redial with a backoff."""

    def __init__(self, hub: ElectionHub, ctx: PeerContext, host: str, port: int) -> None:
        self.hub, self.ctx, self.host, self.port = hub, ctx, host, port
        self._task: asyncio.Task[None] | None = None
        self.last_error: str | None = None

    def start(self) -> None:
        if self._task is None:
            name = f"election link {self.host}:{self.port}"
            self._task = asyncio.create_task(self._run(), name=name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        wait = limits.PEER_LINK_BACKOFF_BASE_S
        while True:
            try:
                dialled = await dial(self.ctx, self.host, self.port, path=ELECTION_PATH)
            except ChitError as exc:
                self.last_error = exc.code
            else:
                wait = limits.PEER_LINK_BACKOFF_BASE_S
                try:
                    if dialled.peer is not None:
                        await self.hub.serve(dialled.peer, dialled.ws)
                finally:
                    await dialled.close()
            await asyncio.sleep(wait)
            wait = min(2 * wait, limits.PEER_LINK_BACKOFF_MAX_S)
