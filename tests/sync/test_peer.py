"""The aiohttp shell over the reconciliation core (issue 10, point 4), over real TLS.

Two or three Nodes in this process, each on its own NodeThread, talking through
PeerServer / sync_with on loopback with the real channel (sync/channel). The
reconciliation itself is tested in test_reconcile.py; here: that the shell carries
it, both ways, resumes after a cut, and that a bad frame ends only its own session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from chitnode.node.node import Node
from chitnode.services.events import published
from sync import limits
from sync.peer.client import dial, sync_with
from sync.peer.errors import RateLimited
from sync.peer.session import ERROR_CLOSE, FrameBudget, Session
from sync.reconcile.messages import Hello, Want, encode
from tests.support.feeds import twin_of
from tests.support.peer import HOST, Peer, branch_of, joined, register, running, until

pytestmark = pytest.mark.asyncio


def digest(node: Node) -> tuple[str, int]:
    status = node.status()
    return status["state_digest"], status["entries"]


async def pair(tmp_path: Path, entries: int = 40) -> tuple[Peer, Peer]:
    root, bob = branch_of(tmp_path, 2, entries)
    return root, bob


async def test_two_nodes_sync_both_ways_over_tls(tmp_path: Path) -> None:
    root, bob = await pair(tmp_path)
    async with running(root, bob):
        assert root.ctx is not None and bob.ctx is not None
        first = await sync_with(bob.ctx, HOST, root.port, server_fingerprint=root.cred.fingerprint)
        assert first.error is None and first.finished and first.lag == 0, first
        assert first.stored == (await root.run(digest))[1]
        # bob is enrolled now: he writes, and one session carries it the other way
        await bob.run(lambda node: published(bob.ctx.stream, lambda: register(node, 100, 7)))  # type: ignore[union-attr]
        await bob.ctx.refresh_trust()
        back = await sync_with(bob.ctx, HOST, root.port)  # bob now trusts root from the log
        assert back.error is None and back.peer == root.key and back.pages_out >= 1, back
        assert await root.run(digest) == await bob.run(digest)
        # and root dials bob's server: nothing left to move
        again = await sync_with(root.ctx, HOST, bob.port)
        assert again.error is None and again.peer == bob.key and again.stored == 0, again


async def test_a_fork_travels_as_evidence(tmp_path: Path) -> None:
    root, bob, carol = branch_of(tmp_path, 3, 10)
    async with running(root, bob, carol):
        assert root.ctx is not None and bob.ctx is not None and carol.ctx is not None
        await joined(bob, root)
        # bob is shown a second entry of root's at seq 5 (a forged fork, signed by root's key)
        fifth = root.node.store.entry_at(root.key, 5)
        assert fifth is not None
        twin = twin_of(root.node.key, fifth, {"member_id": "X", "name": "Twin"})
        await bob.run(lambda node: node.ingest([twin]))
        assert bob.node.store.frozen_from() == {root.key: 5}
        # carol never saw the twin: she learns of the fork from bob's summary and evidence
        await carol.ctx.refresh_trust()
        report = await sync_with(carol.ctx, HOST, bob.port, server_fingerprint=bob.cred.fingerprint)
        assert report.error is None, report
        assert carol.node.store.frozen_from() == {root.key: 5}, (report, await carol.run(digest))
        # and root, the forked key's own node, is shown it too
        report = await sync_with(root.ctx, HOST, bob.port)
        assert report.error is None, report
        assert root.node.store.frozen_from() == {root.key: 5}


class Cut:
    """A websocket that goes dead after `frames` binary frames came in (a pulled cable)."""

    def __init__(self, ws: Any, frames: int) -> None:
        self._ws, self._left = ws, frames

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)

    async def receive(self, timeout: float | None = None) -> Any:
        if self._left == 0:
            await self._ws.close()
            raise ConnectionResetError("cut")
        msg = await self._ws.receive(timeout)
        self._left -= msg.type == aiohttp.WSMsgType.BINARY
        return msg


async def test_a_dropped_connection_resumes_where_it_stopped(tmp_path: Path) -> None:
    root, bob = await pair(tmp_path, 2_000)  # 8 pages of 256
    async with running(root, bob):
        assert bob.ctx is not None
        total = (await root.run(digest))[1]
        dialled = await dial(bob.ctx, HOST, root.port, server_fingerprint=root.cred.fingerprint)
        try:
            cut = Session(bob.nt, bob.ctx.stream, Cut(dialled.ws, 4), root.key, live=False)
            partial = await cut.run()
        finally:
            await dialled.close()
        assert partial.error == "connection_lost" and 0 < partial.stored < total, partial
        held = (await bob.run(digest))[1]
        assert held == partial.stored  # every page that arrived is stored: one page, one commit
        rest = await sync_with(bob.ctx, HOST, root.port, server_fingerprint=root.cred.fingerprint)
        assert rest.error is None and rest.stored == total - held and rest.duplicates == 0, rest
        assert await root.run(digest) == await bob.run(digest)


async def _refused(peer: Peer, port: int, frame: bytes | str) -> tuple[int | None, str]:
    """Send one frame on a fresh session; the close code and reason that come back."""
    assert peer.ctx is not None
    dialled = await dial(peer.ctx, HOST, port)
    try:
        if isinstance(frame, str):
            await dialled.ws.send_str(frame)
        else:
            await dialled.ws.send_bytes(frame)
        for _ in range(100):  # the server's own summary comes first
            msg = await dialled.ws.receive(timeout=10)
            if msg.type != aiohttp.WSMsgType.BINARY:
                return dialled.ws.close_code, msg.extra if isinstance(msg.extra, str) else ""
        raise AssertionError("the server never closed the session")
    finally:
        await dialled.close()


async def test_bad_frames_end_their_session_change_nothing_and_others_are_served(
    tmp_path: Path,
) -> None:
    root, bob, carol = branch_of(tmp_path, 3, 20)
    async with running(root, bob, carol):
        assert root.server is not None and carol.ctx is not None and bob.ctx is not None
        await joined(bob, root)
        before = await root.run(digest)
        other_branch = encode(Hello("f" * 32, 0, 0, 1, ()))
        oversize = b"x" * (limits.MESSAGE_BYTES_MAX + 1)
        spaced_want = encode(Want(root.key, 1, 10)).replace(b":", b": ", 1)  # not canonical
        cases = [
            (b"garbage", (ERROR_CLOSE, "bad_message")),
            ("a text frame", (ERROR_CLOSE, "bad_message")),
            (other_branch, (ERROR_CLOSE, "wrong_branch")),
            (spaced_want, (ERROR_CLOSE, "bad_message")),
            (oversize, (1009, "")),
        ]
        for frame, expected in cases:
            got = await _refused(bob, root.port, frame)
            assert got[0] == expected[0] and got[1] == expected[1], (frame[:20], got)
        # The client may see the close before the server's handler has filed its report.
        await until(lambda: len(root.server.reports) == 1 + len(cases))
        codes = [r.error for r in root.server.reports][1:]  # after the first, clean, sync
        assert codes == [
            "bad_message",
            "bad_message",
            "wrong_branch",
            "bad_message",
            "message_too_big",
        ]
        assert await root.run(digest) == before
        # the server still serves everyone else
        report = await sync_with(
            carol.ctx, HOST, root.port, server_fingerprint=root.cred.fingerprint
        )
        assert report.error is None and report.finished, report
        assert await carol.run(digest) == before


async def test_a_flood_of_frames_is_rate_limited() -> None:  # the module is asyncio-marked
    now = [0.0]
    budget = FrameBudget(lambda: now[0], burst=3, per_s=2)
    for _ in range(3):
        budget.take()
    with pytest.raises(RateLimited) as err:
        budget.take()
    assert err.value.code == "rate_limited"
    now[0] += 1.0  # two frames' worth of time later
    budget.take()
    budget.take()
    with pytest.raises(RateLimited):
        budget.take()
