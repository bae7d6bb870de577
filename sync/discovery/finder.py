"""Which peers a serving node keeps links to: `--peer`, remembered addresses, mDNS hints.

Real Wi-Fi often drops multicast (guest networks, access points that isolate their
clients), so mDNS is one source of addresses among three, and the two others work
without it:

1. `--peer HOST:PORT` given to `chitnode serve`, dialled from the start and kept;
2. the peer book's remembered addresses (every address where a device of the branch
   once answered, and the inviter's, noted by `chitnode join`), most recent first;
3. mDNS hints (sync/discovery/mdns.py), as they come.

The finder opens one link (the shell's `PeerLink`: dial, catch up, live push, redial
with backoff) per address, up to `PEER_LINKS_MAX`, and tidies them every
`FINDER_TIDY_S`: once a device answers on one link, the links to its other remembered
addresses stop (they were guesses), and a link that reached this device itself (a
`--peer` naming its own address) stops. A link that never answers keeps redialling
with its backoff: the peer may be off, and it costs one failed dial per backoff.
Whoever answers is authenticated by the channel; the finder trusts no address.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Protocol

from sync import limits
from sync.discovery.book import BadPeerAddress, PeerBook
from sync.discovery.mdns import PeerHint, device_fingerprint

_log = logging.getLogger(__name__)


class Link(Protocol):
    """What the finder needs of a link (sync/peer/client.py PeerLink has it)."""

    peer: str | None  # the device key that answered, once one did
    state: str  # "connected" while a session runs

    def start(self) -> None: ...
    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One link, for `chitnode status` and `chitnode peers`."""

    host: str
    port: int
    via: str  # "peer", "book" or "mdns": why the finder dialled it
    state: str
    peer: str | None


@dataclass(slots=True)
class _Held:
    link: Link
    via: str
    expected: str | None  # the device key the book says answered here, if any


class PeerFinder:
    """Keeps links to the branch's other nodes, from every source of addresses.

    `make_link(host, port)` builds a link that is not started yet. All methods run on
    the event loop; `on_hint` is Discovery's `on_found` callback. The book is written
    off the loop (it fsyncs a file).
    """

    def __init__(
        self,
        book: PeerBook,
        own_key: str,
        make_link: Callable[[str, int], Link],
        *,
        peers: Sequence[tuple[str, int]] = (),
    ) -> None:
        self._book = book
        self._own = own_key
        self._make = make_link
        self._peers = tuple(peers)
        self._links: dict[tuple[str, int], _Held] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Dial every `--peer` and every remembered address; tidy from now on."""
        for host, port in self._peers:
            if await self._note(host, port, "peer"):
                self._open(host, port, "peer", None)
        for candidate in self._book.candidates(exclude_key=self._own):
            self._open(candidate.host, candidate.port, "book", candidate.key)
        self._spawn(self._tidy_loop())

    def on_hint(self, hint: PeerHint) -> None:
        """An mDNS hint: remember its addresses and dial those not linked yet."""
        if len(self._tasks) < limits.PEER_LINKS_MAX:  # a flood of hints waits its turn
            self._spawn(self.take_hint(hint))

    async def stop(self) -> None:
        tasks, self._tasks = list(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        links, self._links = list(self._links.values()), {}
        await asyncio.gather(*(held.link.stop() for held in links))

    def rows(self) -> list[LinkRow]:
        return [
            LinkRow(host, port, held.via, held.link.state, held.link.peer)
            for (host, port), held in self._links.items()
        ]

    async def tidy(self) -> None:
        """Stop the links not needed: to this node itself, a second one to a linked
        device, and the remembered guesses for a device linked elsewhere."""
        keep: dict[str, tuple[str, int]] = {}  # device -> the connected link kept for it
        for address, held in sorted(self._links.items(), key=lambda i: i[1].via != "peer"):
            peer = held.link.peer
            if held.link.state == "connected" and peer and peer != self._own:
                keep.setdefault(peer, address)
        spare: list[tuple[tuple[str, int], str]] = []
        for address, held in self._links.items():
            peer = held.link.peer
            if peer == self._own:
                spare.append((address, "it reached this node itself"))
            elif peer in keep and keep[peer] != address and held.link.state == "connected":
                spare.append((address, "a second link to one device"))
            elif held.link.state != "connected" and held.via != "peer" and held.expected in keep:
                spare.append((address, "its device is linked at another address"))
        for address, why in spare:
            _log.info("peer link %s:%s stopped: %s", address[0], address[1], why)
            await self._links.pop(address).link.stop()

    # --- inside ---------------------------------------------------------------------------

    async def take_hint(self, hint: PeerHint) -> None:
        """What `on_hint` does, awaited: note the hint's addresses, dial the new ones."""
        for held in self._links.values():
            if held.link.state == "connected" and _fingerprint(held.link.peer) == hint.fingerprint:
                return  # that device is linked already
        for host in hint.hosts:
            if await self._note(host, hint.port, "mdns"):
                self._open(host, hint.port, "mdns", None)

    def _open(self, host: str, port: int, via: str, expected: str | None) -> None:
        if (host, port) in self._links:
            return
        if len(self._links) >= limits.PEER_LINKS_MAX:
            _log.warning("not dialling %s:%s: %d peer links already", host, port, len(self._links))
            return
        link = self._make(host, port)
        self._links[(host, port)] = _Held(link, via, expected)
        link.start()

    async def _note(self, host: str, port: int, via: str) -> bool:
        """Remember host:port in the book; False if no socket could dial it."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, lambda: self._book.note_address(host, port, via=via))
        except BadPeerAddress as exc:  # an mDNS hint or a --peer that names no TCP peer
            _log.warning("ignoring peer address %s:%s: %s", host, port, exc)
            return False
        return True

    async def _tidy_loop(self) -> None:
        while True:
            await asyncio.sleep(limits.FINDER_TIDY_S)
            await self.tidy()

    def _spawn(self, work: Coroutine[None, None, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _fingerprint(key: str | None) -> str | None:
    return None if key is None else device_fingerprint(key)
