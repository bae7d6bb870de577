"""The `chitnode serve` process: one asyncio loop, one node thread, until a signal.

    start: take the writer lock (Node.open; a second serve is refused already_serving)
           -> node thread, event stream -> channel credential -> peer server (mutual
           TLS, with the invite routes) -> the restored-backup guard (guard.py) -> bind
           this device's certificate if the log does not -> control endpoint -> peer
           links (--peer, the peer book, mDNS hints) and mDNS -> `<data>/serve.json`
           -> one line per endpoint
    run:   until SIGINT or SIGTERM
    stop:  mDNS, links, peer server (its connections closed) and control endpoint
           stopped, serve.json removed, queued node work finished, the Node closed
           (writer lock released); exit status 0

SQLite runs only on the node thread (sync/node_thread.py); the loop does I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from chitnode.clock import SystemClock
from chitnode.domain.kernel_kinds import channel_certs
from chitnode.errors import ChitError, StoreLocked, UsageError
from chitnode.node.node import Node
from chitnode.services.events import EventStream, published
from chitnode.store.lock import PRIVATE_FILE_MODE
from sync import limits
from sync.channel.credentials import ensure_bound, load_or_create
from sync.channel.tls import TrustedPeers
from sync.discovery.book import PeerBook
from sync.discovery.finder import PeerFinder
from sync.discovery.mdns import Discovery
from sync.election.service import ElectionService
from sync.invite.server import install as install_invite_routes
from sync.invite.transfer import keep_pulling
from sync.node_thread import NodeThread
from sync.peer.client import sync_with
from sync.peer.context import PeerContext
from sync.peer.server import PeerServer
from sync.serve.control import SOCKET_FILE, ControlServer, RunHere
from sync.serve.guard import Guard, GuardState, PeerAnswer

SERVE_FILE = "serve.json"
SERVE_TEMP_FILE = "serve.json.tmp"
PEER_PORT_DEFAULT = 7461  # `--peer-port`: fixed, so remembered addresses stay good
LISTEN_DEFAULT = "0.0.0.0"  # every IPv4 interface: peers are on the LAN


class AlreadyServing(ChitError):
    """`chitnode serve` already runs for this data folder."""

    code = "already_serving"


class PortInUse(ChitError):
    """The peer port is taken (another serve, another program) or cannot be bound."""

    code = "port_in_use"


# (the serve's election, argv) -> (status, stdout, stderr), or None: run it as usual
OnLoopCommand = Callable[[Any, list[str]], Awaitable[tuple[int, str, str] | None]]


@dataclass(frozen=True, slots=True)
class ServeOptions:
    folder: Path
    listen: str = LISTEN_DEFAULT
    peer_port: int = PEER_PORT_DEFAULT
    peers: tuple[tuple[str, int], ...] = ()
    discovery: bool = True
    parts: tuple[ServePart, ...] = ()  # what else runs on this loop: the app (ui/server.py)
    # commands that wait on the network, run on the loop (sync/serve/cli.py submit_on_loop)
    on_loop: OnLoopCommand | None = None


class ServePart(Protocol):
    """Something a serve runs beside the peer channel, over the same node thread and event
    stream (the app). Plugged in by entry point (sync/serve/cli.py, `serve_parts`)."""

    async def start(self, runtime: ServeRuntime) -> list[str]: ...  # endpoint lines
    async def stop(self) -> None: ...
    def serve_fields(self) -> dict[str, Any]: ...  # added to serve.json (e.g. app_port)


@dataclass(slots=True)
class ServeRuntime:
    """One serve run. `current` is the run of this process, for `status` and `peers`."""

    options: ServeOptions
    run_here: RunHere
    nt: NodeThread | None = None
    events: EventStream = field(default_factory=EventStream)
    book: PeerBook | None = None
    guard: Guard | None = None
    control: ControlServer | None = None
    context: PeerContext | None = None
    server: PeerServer | None = None
    election: ElectionService | None = None  # leases, forwarding (sync/election/service.py)
    finder: PeerFinder | None = None
    discovery: Discovery | None = None
    secrets: asyncio.Task[None] | None = None  # pulls the staff key and PINs (sync/invite)
    peer_port: int | None = None
    endpoints: list[str] = field(default_factory=list)
    wrote_serve_file: bool = False  # only this run's serve.json is this run's to remove
    started_parts: list[ServePart] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def folder(self) -> Path:
        return self.options.folder

    async def start(self) -> list[str]:
        """Bring every part up; the endpoint lines to print. On failure, undo what started."""
        node = open_serving(self.folder)
        self.nt = NodeThread(node)
        try:
            await self._start_parts(node)
        except BaseException:
            await self.stop()
            raise
        return self.endpoints

    async def _start_parts(self, node: Node) -> None:
        assert self.nt is not None
        nt, folder, options = self.nt, self.folder, self.options
        await nt.run(self.events.attach)  # every write of a serving node publishes here
        self.book = PeerBook(folder, clock=SystemClock())
        loop = asyncio.get_running_loop()
        cred = await loop.run_in_executor(None, load_or_create, folder, node.public)
        # The context by hand, not PeerContext.open: that one binds this device's
        # certificate in the log, a write, and the guard must run before any write.
        certs = await nt.run(lambda n: channel_certs(n.engine.state))
        self.context = ctx = PeerContext(
            nt, cred, self.events, TrustedPeers(cred, certs), self.book
        )
        self.server = PeerServer(nt, cred, self.book, context=ctx)
        install_invite_routes(self.server, folder)
        self.election = await ElectionService.start_on(nt, self.events)
        self.election.attach(self.server)  # its route, before the server starts
        try:
            self.peer_port = await self.server.start(options.listen, options.peer_port)
        except OSError as exc:
            where = f"{options.listen}:{options.peer_port} ({exc.strerror or exc})"
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"cannot listen on {where}: another program holds the port; choose "
                    "another with --peer-port"
                ) from exc
            raise UsageError(
                f"cannot listen on {where}: --listen names no address of this host"
            ) from exc
        where = f"{options.listen}:{self.peer_port}"
        self.endpoints.append(f"peers    wss://{where}/v1/sync (mutual TLS)")

        self.guard = Guard(await nt.run(_own_seq))
        await self.guard.run(self._ask_peers, limits.GUARD_TIMEOUT_S)
        await nt.run(lambda n: _bind_certificate(n, self.events, cred))
        await ctx.refresh_trust()

        self.control = ControlServer(
            nt, folder, self.run_here, after_command=self._after_command, on_loop=self._on_loop
        )
        await self.control.start()
        self.endpoints.append(f"control  unix:{self.control.path}")

        self.finder = PeerFinder(
            self.book, node.public, self.election.link_factory(ctx), peers=options.peers
        )
        await self.finder.start()
        self.secrets = asyncio.create_task(keep_pulling(ctx, folder))
        if options.discovery:
            self.discovery = Discovery(
                node.branch, node.public, self.peer_port, self.finder.on_hint
            )
            await self.discovery.start()  # never raises: a LAN without multicast is normal
            self.endpoints.append(f"mdns     _chitnode._tcp.local. port {self.peer_port}")
        else:
            self.endpoints.append("mdns     off (--no-discovery): --peer and the peer book")
        for part in options.parts:
            self.endpoints.extend(await part.start(self))
            self.started_parts.append(part)
        write_serve_file(folder, self.serve_file())
        self.wrote_serve_file = True
        global current
        current = self

    async def _ask_peers(self) -> tuple[list[PeerAnswer], int]:
        """The guard's question: one catch-up with each candidate peer, all at once, each
        bounded by the peer layer's own timeouts; our own feed's head after them."""
        assert self.book is not None and self.context is not None and self.nt is not None
        own = self.nt.node.public
        dial = list(dict.fromkeys([*self.options.peers, *self._remembered(own)]))
        dial = dial[: limits.GUARD_PEERS_MAX]
        ctx = self.context
        reports = await asyncio.gather(*(sync_with(ctx, h, p) for h, p in dial))
        after = await self.nt.run(_own_seq)
        answers = [
            PeerAnswer(r.peer or f"{h}:{p}", after)
            for (h, p), r in zip(dial, reports, strict=True)
            if r.error is None and r.peer != own
        ]
        return answers, len(dial)

    def _remembered(self, own: str) -> list[tuple[str, int]]:
        assert self.book is not None
        return [(c.host, c.port) for c in self.book.candidates(exclude_key=own)]

    async def _on_loop(self, argv: list[str]) -> tuple[int, str, str] | None:
        on_loop = self.options.on_loop
        return None if on_loop is None else await on_loop(self.election, argv)

    def _after_command(self, node: Node, finished: bool) -> None:
        """On the node thread, after a control command: publish what it committed to live
        views and peers. The kernel's commands write with `Node.submit` and follow no
        commit themselves, and a refused one may have rolled back part of what it folded:
        every buffered entry is checked against the store, finished or not."""
        self.events.flush_stored(node)

    def serve_file(self) -> dict[str, Any]:
        doc = {
            "pid": os.getpid(),
            "peer_port": self.peer_port,
            "addresses": addresses(self.options.listen),
            "control": SOCKET_FILE,
            "discovery": self.discovery is not None,
        }
        for part in self.started_parts:
            doc.update(part.serve_fields())
        return doc

    def request_stop(self) -> None:
        self._stopping.set()

    async def wait(self) -> None:
        await self._stopping.wait()

    async def stop(self) -> None:
        """Close what runs, in reverse order; the writer lock goes last."""
        global current
        if current is self:
            current = None
        while self.started_parts:  # first: their sessions may still be writing
            await self.started_parts.pop().stop()
        if self.discovery is not None:
            await self.discovery.stop()
            self.discovery = None
        if self.secrets is not None:
            self.secrets.cancel()
            self.secrets = None
        if self.finder is not None:
            await self.finder.stop()
            self.finder = None
        if self.election is not None:
            await self.election.stop()
            self.election = None
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if self.control is not None:
            await self.control.stop()
            self.control = None
        if self.wrote_serve_file:  # while the lock is held: a next serve may write its own
            with contextlib.suppress(FileNotFoundError):
                (self.folder / SERVE_FILE).unlink()
        if self.nt is not None:
            nt, self.nt = self.nt, None
            with contextlib.suppress(Exception):
                await nt.run(self.events.detach)
            await nt.aclose()

    def status_fields(self) -> dict[str, Any]:
        guard: GuardState | None = self.guard.state if self.guard else None
        links = self.finder.rows() if self.finder else []
        conns = self.server.connections() if self.server else []
        found = self.discovery.status() if self.discovery else None
        return {
            "pid": os.getpid(),
            "peer_port": self.peer_port,
            "guard": guard.as_json() if guard else None,
            "links": [
                {"address": f"{r.host}:{r.port}", "via": r.via, "state": r.state, "peer": r.peer}
                for r in links
            ],
            "connected_in": sorted({c.peer for c in conns}),
            "discovery": None if found is None else asdict(found),  # DiscoveryStatus's fields
        }


current: ServeRuntime | None = None  # the run of this process, if it serves


def _bind_certificate(node: Node, events: EventStream, cred: Any) -> None:
    """This device's certificate in the log (an enrolled device binds its own; a joiner's
    admin bound it when enrolling it)."""
    if node.role() is not None:
        published(events, lambda: ensure_bound(node, cred))


def _own_seq(node: Node) -> int:
    head = node.engine.last_stored(node.public)
    return head[0] if head else 0


def open_serving(folder: Path) -> Node:
    """The node of `folder` with its writer lock; AlreadyServing if a serve holds it."""
    try:
        return Node.open(folder)
    except StoreLocked as exc:
        running = read_serve_file(folder)
        if running is None:
            raise
        raise AlreadyServing(
            f"chitnode serve already runs for {folder} (pid {running.get('pid')}, peer port "
            f"{running.get('peer_port')}); stop it first (SIGTERM), or use the other commands: "
            "they reach it"
        ) from exc


def read_serve_file(folder: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads((folder / SERVE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def write_serve_file(folder: Path, doc: dict[str, Any]) -> None:
    """`<data>/serve.json`, whole or not at all (temp file, fsync, rename), owner-only."""
    temp = folder / SERVE_TEMP_FILE
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, folder / SERVE_FILE)


def addresses(listen: str) -> list[str]:
    """The addresses peers may reach this node at: `listen`, or every interface's."""
    if listen not in ("0.0.0.0", "::", ""):
        return [listen]
    import psutil

    found: list[str] = []
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            ipv4 = entry.family.name == "AF_INET"
            ipv6 = entry.family.name == "AF_INET6" and listen == "::"
            if (ipv4 or ipv6) and entry.address not in found:
                found.append(entry.address)
    return sorted(found, key=lambda a: (a.startswith("127.") or a == "::1", a))


async def serve(options: ServeOptions, run_here: RunHere) -> int:
    """Run until SIGINT or SIGTERM; 0 after a clean stop."""
    runtime = ServeRuntime(options, run_here)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, runtime.request_stop)
    try:
        lines = await runtime.start()
        print(f"chitnode serve: {options.folder} (pid {os.getpid()})")
        for line in lines:
            print(line)
        sys.stdout.flush()
        await runtime.wait()
    finally:
        try:
            await runtime.stop()  # a second Ctrl-C meanwhile changes nothing: it stops already
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
    print("chitnode serve: stopped")
    return 0
