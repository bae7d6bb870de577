"""The election over the real peer channel: mutual TLS, websockets at /v1/election,
three devices on loopback, each link dialled by one side (sync/election/transport.py)."""

from __future__ import annotations

import random
from pathlib import Path

import aiohttp
import pytest

from sync.election import PreVote, voter_margin_ms
from sync.election.shell import NodeElection
from sync.election.transport import ELECTION_PATH, ElectionHub, ElectionLink
from sync.election.wire import encode
from sync.node_thread import NodeThread
from sync.peer.client import dial
from sync.peer.context import PeerContext
from sync.peer.server import PeerServer
from sync.peer.session import ERROR_CLOSE
from tests.support.election import sync_all
from tests.support.peer import HOST, Peer, enrol, founder, newcomer, until

pytestmark = pytest.mark.asyncio
SCOPE = "treasury"
LEASE_MS = 30_000
FLOOD_BURST = 64  # frames a socket may bring here; the election itself sends a handful


class Hand:
    """The devices' elapsed-time clock, moved by the test (no waiting on real time)."""

    def __init__(self) -> None:
        self.ms = 0

    def elapsed_ms(self) -> int:
        return self.ms


def electors(tmp_path: Path) -> list[Peer]:
    """The root and two foremen's laptops with bound certificates, all holding the log,
    the treasury's electorate the three of them."""
    root = founder(tmp_path / "n0")
    laptops = [newcomer(tmp_path / f"n{i}", root) for i in (1, 2)]
    for laptop in laptops:
        enrol(root.node, laptop, "foreman")
    keys = [root.key, *(p.key for p in laptops)]
    body = {"scope": SCOPE, "keys": keys, "lease_ms": LEASE_MS}
    root.node.submit("scope.electorate_set", body)
    peers = [root, *laptops]
    sync_all([p.node for p in peers])
    return peers


async def serve(peer: Peer, shell: NodeElection, frames_burst: int) -> ElectionHub:
    """Peer.start, with the election's route added before the server listens."""
    peer.nt = NodeThread(peer.node)
    peer.ctx = await PeerContext.open(peer.nt, peer.cred)
    peer.server = PeerServer(peer.nt, peer.cred, context=peer.ctx)
    # a tiny budget that never refills in the test's time: the flood below meets it
    hub = ElectionHub(peer.nt, shell, frames_burst=frames_burst, frames_per_s=0.001)
    hub.attach(peer.server)
    peer.port = await peer.server.start(HOST, 0)
    hub.start()
    return hub


async def test_three_devices_elect_a_holder_over_the_peer_channel(tmp_path: Path) -> None:
    peers = electors(tmp_path)
    clock = Hand()
    hubs: list[ElectionHub] = []
    links: list[ElectionLink] = []
    try:
        for i, peer in enumerate(peers):
            shell = NodeElection(peer.node, clock, random.Random(i))
            hubs.append(await serve(peer, shell, FLOOD_BURST))
        for i, j in ((0, 1), (0, 2), (1, 2)):
            ctx = peers[i].ctx
            assert ctx is not None
            links.append(ElectionLink(hubs[i], ctx, HOST, peers[j].port))
        for link in links:
            link.start()
        await until(lambda: all(len(h.peers()) == 2 for h in hubs))
        clock.ms = LEASE_MS + voter_margin_ms(LEASE_MS)  # past a fresh process's promise
        await hubs[1].campaign(SCOPE)
        await until(lambda: hubs[1].may_write(SCOPE))
        assert await hubs[1].may_write(SCOPE) == 1
        assert await hubs[0].may_write(SCOPE) is None
        assert await hubs[2].may_write(SCOPE) is None
        laptop = peers[1]
        assert laptop.nt is not None
        lease = await laptop.nt.run(lambda n: n.engine.state.get("leases", f"{SCOPE}|{n.public}"))
        assert lease is not None and (lease["term"], lease["status"]) == (1, "held")
        # a peer that sends garbage on the election socket is cut with the code
        ctx = peers[2].ctx
        assert ctx is not None
        dialled = await dial(ctx, HOST, peers[0].port, path=ELECTION_PATH)
        try:
            await dialled.ws.send_str("not a frame")
            msg = await dialled.ws.receive()
            assert msg.type == aiohttp.WSMsgType.CLOSE
            assert (msg.data, msg.extra) == (ERROR_CLOSE, "bad_message")
        finally:
            await dialled.close()
        # a peer that floods the election socket is cut once its budget is spent
        dialled = await dial(ctx, HOST, peers[0].port, path=ELECTION_PATH)
        try:
            for _ in range(FLOOD_BURST + 1):
                await dialled.ws.send_str(encode(PreVote("group:elsewhere", 1)))
            msg = await dialled.ws.receive()
            assert msg.type == aiohttp.WSMsgType.CLOSE
            assert (msg.data, msg.extra) == (ERROR_CLOSE, "rate_limited")
        finally:
            await dialled.close()
    finally:
        for link in links:
            await link.stop()
        for hub in hubs:
            await hub.stop()
        for peer in peers:
            await peer.stop()
