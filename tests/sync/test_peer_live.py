"""Live push and long-lived links (issue 10, point 6), over real TLS on loopback.

Every wait is a bounded loop of short sleeps on a condition; nothing asserts a time.
The 100 ms p99 target is the bench's (bench/bench_replicate.py), not a test's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.discovery.book import PeerBook
from sync.peer.client import PeerLink
from sync.peer.server import PeerServer
from tests.support.peer import HOST, Peer, branch_of, joined, running, submit, until

pytestmark = pytest.mark.asyncio


def holds(peer: Peer, member: str):  # type: ignore[no-untyped-def]
    """Whether `peer` has folded the registration of `member` (an async condition)."""

    async def check() -> bool:
        state = await peer.run(lambda node: node.engine.state.get("members", member))
        return state is not None

    return check


async def test_a_new_entry_reaches_every_node_of_a_three_node_chain(tmp_path: Path) -> None:
    a, b, c = branch_of(tmp_path, 3)
    async with running(a, b, c):
        await joined(b, a)
        await joined(c, a)
        assert b.ctx is not None and c.ctx is not None
        ab = PeerLink(b.ctx, HOST, a.port)  # b <-> a
        bc = PeerLink(c.ctx, HOST, b.port)  # c <-> b: c hears of a's entries through b
        ab.start()
        bc.start()
        try:
            await until(lambda: ab.caught_up and bc.caught_up)
            await submit(a, "member.registered", {"member_id": "LIVE-A", "name": "From A"})
            await until(holds(c, "LIVE-A"))
            await until(holds(b, "LIVE-A"))
            await submit(c, "member.registered", {"member_id": "LIVE-C", "name": "From C"})
            await until(holds(a, "LIVE-C"))
            # a burst: many commits, announced in coalesced summaries, all arrive
            for i in range(20):
                await submit(a, "member.registered", {"member_id": f"B{i}", "name": "Burst"})
            await until(holds(c, "B19"))
            digests = [await p.run(lambda node: node.engine.digest()) for p in (a, b, c)]
            assert len(set(digests)) == 1
            assert ab.sessions == 1 and bc.sessions == 1  # one connection each, all along
        finally:
            await ab.stop()
            await bc.stop()


async def test_a_link_redials_after_the_peer_restarts_and_keeps_the_book(tmp_path: Path) -> None:
    a, b = branch_of(tmp_path, 2)
    async with running(a, b):
        await joined(b, a)
        assert a.nt is not None and a.ctx is not None and a.server is not None
        assert b.ctx is not None
        book = PeerBook(tmp_path / "n1")
        b.ctx.book = book
        link = PeerLink(b.ctx, HOST, a.port)
        link.start()
        try:
            await until(lambda: link.caught_up)
            port = a.port
            await a.server.stop()  # a goes away: the link loses its session, then its dials fail
            await until(lambda: link.last_error is not None and link.state != "connected")
            await submit(a, "member.registered", {"member_id": "WHILE-AWAY", "name": "W"})
            again = PeerServer(a.nt, a.cred, context=a.ctx)
            assert await again.start(HOST, port) == port
            a.server = again
            await until(holds(b, "WHILE-AWAY"))
            assert link.sessions == 2
            row = book.get(a.key)
            assert row is not None and row.last_seen_ms is not None
        finally:
            await link.stop()


async def test_a_link_to_a_device_revoked_here_is_cut_and_not_redialled_into(
    tmp_path: Path,
) -> None:
    root, bob, carol = branch_of(tmp_path, 3)
    async with running(root, bob, carol):
        await joined(bob, root)
        await joined(carol, root)
        assert bob.ctx is not None
        to_root = PeerLink(bob.ctx, HOST, root.port)
        to_carol = PeerLink(bob.ctx, HOST, carol.port)
        to_root.start()
        to_carol.start()
        try:
            await until(lambda: to_root.caught_up and to_carol.caught_up)
            # the root revokes carol; bob folds it from his link to the root, and cuts
            # his own link to carol at once, though carol herself has not heard of it
            await submit(
                root, "device.revoked", {"key": carol.key, "reason": "lost", "after_seq": 0}
            )
            await until(lambda: to_carol.dials_failed >= 1)
            assert to_carol.sessions == 1 and to_carol.reports[0].error == "not_enrolled"
            assert to_carol.last_error == "peer_unreachable"  # bob no longer trusts her
            await until(lambda: to_root.caught_up)
            assert to_root.sessions == 1  # the root's link was never touched
        finally:
            await to_root.stop()
            await to_carol.stop()
