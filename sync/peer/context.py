"""What every peer connection of one node shares: its thread, credential, trust and events.

`PeerContext.open` attaches an `EventStream` to the node (every write of a serving
node must publish through it: `chitnode.services.events.published`), reads the
channel certificates of the branch's active devices into `TrustedPeers`, and binds
this device's own certificate in the log when it is enrolled and the log does not
bind it yet. `refresh_trust` re-reads the certificates after a `device.*` entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chitnode.domain.kernel_kinds import channel_certs
from chitnode.node.node import Node
from chitnode.services.events import EventStream, published
from sync.channel.credentials import ChannelCredential, ensure_bound
from sync.channel.tls import TrustedPeers
from sync.discovery.book import PeerBook
from sync.node_thread import NodeThread


def _certs(node: Node) -> dict[str, bytes]:
    return channel_certs(node.engine.state)


@dataclass(eq=False)
class PeerContext:
    node_thread: NodeThread
    cred: ChannelCredential
    stream: EventStream
    trusted: TrustedPeers
    book: PeerBook | None = None
    # called with the keys no longer trusted after each refresh (the server drops them)
    on_distrust: list[Callable[[set[str]], None]] = field(default_factory=list)

    @classmethod
    async def open(
        cls,
        node_thread: NodeThread,
        cred: ChannelCredential,
        book: PeerBook | None = None,
        *,
        stream: EventStream | None = None,
    ) -> PeerContext:
        if stream is None:
            stream = EventStream()
            await node_thread.run(lambda node: stream.attach(node))
        own = stream

        def bind_and_read(node: Node) -> dict[str, bytes]:
            if node.role() is not None:  # an enrolled device; a joiner's admin binds for it
                published(own, lambda: ensure_bound(node, cred))
            return _certs(node)

        certs = await node_thread.run(bind_and_read)
        return cls(node_thread, cred, stream, TrustedPeers(cred, certs), book)

    async def refresh_trust(self) -> set[str]:
        """Trust what the log says now; tell the listeners which keys lost it."""
        dropped = self.trusted.update(await self.node_thread.run(_certs))
        if dropped:
            for listener in self.on_distrust:
                listener(dropped)
        return dropped

    async def note(self, method: str, *args: Any, **kwargs: Any) -> None:
        """A PeerBook call off the loop (it writes a file); nothing when there is no book."""
        if self.book is None:
            return
        call = getattr(self.book, method)
        try:
            await asyncio.get_running_loop().run_in_executor(None, lambda: call(*args, **kwargs))
        except ValueError:  # an address the book refuses to remember: not worth a session
            return
