"""Nodes of one branch with channel credentials, for the peer tests (real TLS, loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from nacl.signing import SigningKey

from chitnode.clock import SystemClock
from chitnode.domain.kernel_kinds import CHANNEL_BOUND
from chitnode.node.node import Node
from chitnode.store.keys import keystore_for
from chitnode.store.sqlite import SqliteStore
from sync.channel.credentials import ChannelCredential, load_or_create
from sync.node_thread import NodeThread
from sync.peer.context import PeerContext
from sync.peer.server import PeerServer

HOST = "127.0.0.1"


def joiner(path: Path, branch: str, root: str) -> Node:
    """An empty store of `branch` with a new device key (what `chitnode join` makes)."""
    store = SqliteStore.open(path, create=True)
    key = SigningKey.generate()
    with store.transaction():
        store.set_meta("keystore", keystore_for(path).save(key))
        store.set_meta("device_key", key.verify_key.encode().hex())
        store.set_meta("branch", branch)
        store.set_meta("root", root)
    node = Node(store, key, SystemClock())
    node.engine.load()
    return node


@dataclass(eq=False)
class Peer:
    """A node, its credential and (once started) its thread, context and server."""

    node: Node
    cred: ChannelCredential
    nt: NodeThread | None = None
    ctx: PeerContext | None = None
    server: PeerServer | None = None
    port: int = 0

    @property
    def key(self) -> str:
        return self.node.public

    async def start(self, *, serve: bool = True) -> Peer:
        self.nt = NodeThread(self.node)
        self.ctx = await PeerContext.open(self.nt, self.cred)
        if serve:
            self.server = PeerServer(self.nt, self.cred, context=self.ctx)
            self.port = await self.server.start(HOST, 0)
        return self

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
        if self.nt is not None:
            await self.nt.aclose()
        else:
            self.node.close()

    async def run(self, fn, *args):  # type: ignore[no-untyped-def]
        assert self.nt is not None
        return await self.nt.run(fn, *args)


def founder(path: Path) -> Peer:
    """A new branch's root, its certificate bound in its log (as its first `serve` does)."""
    node = Node.init(path, "Peer Branch")
    cred = load_or_create(path, node.public)
    node.submit(CHANNEL_BOUND, cred.own_binding())
    return Peer(node, cred)


def newcomer(path: Path, root: Peer) -> Peer:
    node = joiner(path, root.node.branch, root.key)
    return Peer(node, load_or_create(path, node.public))


def enrol(admin: Node, device: Peer, role: str = "employee", *, bind: bool = True) -> None:
    """The admin enrols the device and binds its certificate for it (what an invite does)."""
    admin.submit("device.enrolled", {"key": device.key, "role": role, "name": "Dev"})
    if bind:
        body = device.cred.binding_for_admin(device.node.key, admin.branch)
        admin.submit(CHANNEL_BOUND, body)


@asynccontextmanager
async def running(*peers: Peer, serve: bool = True) -> AsyncIterator[tuple[Peer, ...]]:
    try:
        for peer in peers:
            await peer.start(serve=serve)
        yield peers
    finally:
        for peer in peers:
            await peer.stop()


async def submit(peer: Peer, kind: str, body: dict) -> None:  # type: ignore[type-arg]
    """A write on a running node, published to its sessions (as `chitnode submit` does)."""
    from chitnode.services.events import published

    assert peer.ctx is not None
    stream = peer.ctx.stream
    await peer.run(lambda node: published(stream, lambda: node.submit(kind, body)))


def register(node: Node, first: int, count: int) -> None:
    """`count` members registered by `node`, in one commit."""
    from chitnode.node.node import Command

    ids = range(first, first + count)
    node.submit_many(
        [Command("member.registered", {"member_id": f"M{i}", "name": "M"}) for i in ids]
    )


def branch_of(tmp_path: Path, devices: int, entries: int = 20) -> list[Peer]:
    """The root and `devices - 1` enrolled employees with bound certificates; the root
    wrote `entries` more. Only the root holds the log yet."""
    root = founder(tmp_path / "n0")
    others = [newcomer(tmp_path / f"n{i}", root) for i in range(1, devices)]
    for other in others:
        enrol(root.node, other)
    register(root.node, 0, entries)
    return [root, *others]


async def joined(peer: Peer, root: Peer) -> None:
    """`peer` fetches the branch from the root (pinned to its certificate), then trusts
    the branch's devices as the log says."""
    from sync.peer.client import sync_with

    assert peer.ctx is not None
    report = await sync_with(peer.ctx, HOST, root.port, server_fingerprint=root.cred.fingerprint)
    assert report.error is None, report
    await peer.ctx.refresh_trust()


async def until(cond, rounds: int = 1_000) -> None:  # type: ignore[no-untyped-def]
    """Wait for `cond()` (sync or async), a bounded number of short sleeps: no timing."""
    import asyncio
    import inspect

    for _ in range(rounds):
        value = cond()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")
