"""The peer finder (sync/discovery/finder.py): --peer, remembered addresses, mDNS hints.

Links are fakes that record what the finder did to them (dialling is the peer
layer's, tested in its own files); the book is the real one in a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sync import limits
from sync.discovery.book import PeerBook
from sync.discovery.finder import PeerFinder
from sync.discovery.mdns import PeerHint, device_fingerprint
from tests.support.clock import FakeClock

OWN = "0" * 64
A = "a" * 64
B = "b" * 64


class FakeLink:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.peer: str | None = None
        self.state = "idle"
        self.started = self.stopped = False

    def start(self) -> None:
        self.started, self.state = True, "dialling"

    async def stop(self) -> None:
        self.stopped, self.state = True, "stopped"

    def answers_as(self, key: str) -> None:
        self.peer, self.state = key, "connected"


class Made:
    def __init__(self) -> None:
        self.links: dict[tuple[str, int], FakeLink] = {}

    def __call__(self, host: str, port: int) -> FakeLink:
        link = FakeLink(host, port)
        self.links[(host, port)] = link
        return link


@pytest.fixture
def book(tmp_path: Path) -> PeerBook:
    return PeerBook(tmp_path, clock=FakeClock())


def hint(key: str, *hosts: str, port: int = 7461) -> PeerHint:
    return PeerHint("x._chitnode._tcp.local.", device_fingerprint(key), hosts, port)


@pytest.mark.asyncio
async def test_start_dials_every_peer_flag_and_remembered_address_but_its_own(
    book: PeerBook,
) -> None:
    book.note_seen(A, "10.0.0.1", 7461)
    book.note_seen(OWN, "10.0.0.9", 7461)  # this node's own old address, remembered by a peer
    made = Made()
    finder = PeerFinder(book, OWN, made, peers=[("10.0.0.5", 7000)])
    await finder.start()
    try:
        assert set(made.links) == {("10.0.0.5", 7000), ("10.0.0.1", 7461)}
        assert all(link.started for link in made.links.values())
        assert {(r.host, r.via) for r in finder.rows()} == {
            ("10.0.0.5", "peer"),
            ("10.0.0.1", "book"),
        }
        # The --peer is remembered, so the next start dials it even without the flag.
        assert ("10.0.0.5", 7000) in {(c.host, c.port) for c in book.candidates()}
    finally:
        await finder.stop()
    assert all(link.stopped for link in made.links.values()) and finder.rows() == []


@pytest.mark.asyncio
async def test_a_hint_is_remembered_and_dialled_once(book: PeerBook) -> None:
    made = Made()
    finder = PeerFinder(book, OWN, made)
    await finder.start()
    try:
        await finder.take_hint(hint(A, "10.0.0.7", "10.0.1.7"))
        await finder.take_hint(hint(A, "10.0.0.7"))  # the same again: no second link
        assert set(made.links) == {("10.0.0.7", 7461), ("10.0.1.7", 7461)}
        rows = book.rows()
        assert [r.addresses for r in rows if r.key is None] != []
        assert any("(mdns)" in a for r in rows for a in r.addresses)
    finally:
        await finder.stop()


@pytest.mark.asyncio
async def test_a_hint_of_a_device_already_linked_dials_nothing(book: PeerBook) -> None:
    made = Made()
    finder = PeerFinder(book, OWN, made, peers=[("10.0.0.5", 7461)])
    await finder.start()
    try:
        made.links[("10.0.0.5", 7461)].answers_as(A)
        await finder.take_hint(hint(A, "192.168.1.5"))  # A on its other interface
        assert set(made.links) == {("10.0.0.5", 7461)}
    finally:
        await finder.stop()


@pytest.mark.asyncio
async def test_a_hint_no_socket_could_dial_is_ignored(book: PeerBook) -> None:
    made = Made()
    finder = PeerFinder(book, OWN, made)
    await finder.start()
    try:
        await finder.take_hint(hint(A, "10.0.0.7", port=0))
        assert made.links == {} and book.rows() == []
    finally:
        await finder.stop()


@pytest.mark.asyncio
async def test_tidy_stops_links_to_itself_and_guesses_for_a_linked_device(book: PeerBook) -> None:
    book.note_seen(A, "10.0.0.1", 7461)
    book.note_seen(A, "10.0.0.2", 7461)  # A's newer address
    made = Made()
    finder = PeerFinder(book, OWN, made, peers=[("10.0.0.99", 7461), ("10.0.0.50", 7461)])
    await finder.start()
    try:
        made.links[("10.0.0.2", 7461)].answers_as(A)
        made.links[("10.0.0.99", 7461)].answers_as(OWN)  # a --peer naming this very node
        await finder.tidy()
        kept = {(r.host, r.port) for r in finder.rows()}
        assert kept == {("10.0.0.2", 7461), ("10.0.0.50", 7461)}  # an unanswered --peer stays
        assert made.links[("10.0.0.1", 7461)].stopped  # A's old address: a guess, not needed
        assert made.links[("10.0.0.99", 7461)].stopped
    finally:
        await finder.stop()


@pytest.mark.asyncio
async def test_tidy_keeps_one_link_per_device_preferring_the_peer_flag(book: PeerBook) -> None:
    made = Made()
    finder = PeerFinder(book, OWN, made, peers=[("10.0.0.5", 7461)])
    await finder.start()
    try:
        await finder.take_hint(hint(B, "10.0.0.6"))
        made.links[("10.0.0.6", 7461)].answers_as(B)
        made.links[("10.0.0.5", 7461)].answers_as(B)  # the same device, two addresses
        await finder.tidy()
        assert [(r.host, r.via) for r in finder.rows()] == [("10.0.0.5", "peer")]
    finally:
        await finder.stop()


@pytest.mark.asyncio
async def test_links_are_bounded(book: PeerBook) -> None:
    made = Made()
    peers = [(f"10.1.{n // 200}.{n % 200 + 1}", 7461) for n in range(limits.PEER_LINKS_MAX + 5)]
    finder = PeerFinder(book, OWN, made, peers=peers)
    await finder.start()
    try:
        assert len(made.links) == limits.PEER_LINKS_MAX
    finally:
        await finder.stop()
