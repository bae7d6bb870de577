"""The `chitnode serve` process: one asyncio loop, one node thread, until a signal.

    start: take the writer lock (Node.open; a second serve is refused already_serving)
           -> node thread -> peer server and links (once sync/peer lands) -> the guard
           -> control endpoint -> `<data>/serve.json` -> one line per endpoint
    run:   until SIGINT or SIGTERM
    stop:  control endpoint and peer connections closed, queued node work finished, the
           Node closed (writer lock released), serve.json removed; exit status 0

SQLite runs only on the node thread (sync/node_thread.py); the loop does I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chitnode.clock import SystemClock
from chitnode.errors import ChitError, StoreLocked
from chitnode.node.node import Node
from chitnode.services.events import EventStream
from chitnode.store.lock import PRIVATE_FILE_MODE
from sync import limits
from sync.discovery.book import PeerBook
from sync.node_thread import NodeThread
from sync.serve.control import SOCKET_FILE, ControlServer, RunHere
from sync.serve.guard import Guard, GuardState

SERVE_FILE = "serve.json"
SERVE_TEMP_FILE = "serve.json.tmp"
PEER_PORT_DEFAULT = 7461  # `--peer-port`: fixed, so remembered addresses stay good
LISTEN_DEFAULT = "0.0.0.0"  # every IPv4 interface: peers are on the LAN


class AlreadyServing(ChitError):
    """`chitnode serve` already runs for this data folder."""

    code = "already_serving"


@dataclass(frozen=True, slots=True)
class ServeOptions:
    folder: Path
    listen: str = LISTEN_DEFAULT
    peer_port: int = PEER_PORT_DEFAULT
    peers: tuple[tuple[str, int], ...] = ()
    discovery: bool = True


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
    peer_port: int | None = None
    endpoints: list[str] = field(default_factory=list)
    wrote_serve_file: bool = False  # only this run's serve.json is this run's to remove
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
        self.events.attach(node)
        self.book = PeerBook(self.folder, clock=SystemClock())
        own = await self.nt.run(_own_seq)
        self.guard = Guard(own)
        await self.guard.run(None, limits.GUARD_TIMEOUT_S)  # no peer layer yet: unchecked
        self.control = ControlServer(
            self.nt, self.folder, self.run_here, after_command=self._after_command
        )
        await self.control.start()
        self.endpoints.append(f"control  unix:{self.control.path}")
        write_serve_file(self.folder, self.serve_file())
        self.wrote_serve_file = True
        global current
        current = self

    def _after_command(self, node: Node, finished: bool) -> None:
        """On the node thread, after a control command: publish what it committed to live
        views and peers (events), or drop what a failed write left in the buffer."""
        if finished:
            self.events.flush()
        else:
            self.events.discard()

    def serve_file(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "pid": os.getpid(),
            "peer_port": self.peer_port,
            "addresses": addresses(self.options.listen),
            "control": SOCKET_FILE,
        }
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
        return {
            "pid": os.getpid(),
            "peer_port": self.peer_port,
            "guard": guard.as_json() if guard else None,
        }


current: ServeRuntime | None = None  # the run of this process, if it serves


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
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await runtime.stop()
    print("chitnode serve: stopped")
    return 0
