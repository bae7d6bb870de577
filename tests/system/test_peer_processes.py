"""`chitnode serve` processes on loopback and the peer channel (issue 10, Tests).

- A node catching up 50k entries is killed with SIGKILL in the middle, restarted, and
  converges: every page it had acknowledged is still there, nothing twice.
- Against a real serving process: an unenrolled device gets nothing (its certificate
  fails the handshake), and a revoked one loses its live link and gets nothing new.

Every wait is a bounded loop on a condition (POLLS x POLL_S); nothing asserts a time.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chitnode.node.node import Command, Node
from chitnode.store.sqlite import DB_FILE
from sync.channel.credentials import load_or_create
from sync.peer.client import PeerLink, sync_with
from tests.support.cli_proc import PASSPHRASE, chitnode, ok
from tests.support.peer import HOST, branch_of, newcomer, running
from tests.support.serve_proc import POLL_S, free_port, serve_on, status, until

pytestmark = pytest.mark.system

POLLS = 2_400  # x POLL_S: two minutes on 2 shared cores; a condition, never a duration
CATCH_UP_ENTRIES = 50_000  # the figure
WRITE_BATCH = 5_000  # entries per commit while the root writes them


def _stored(folder: Path) -> int:
    """Entries in a store, read-only beside whoever writes it (WAL readers never block)."""
    try:
        with sqlite3.connect(f"file:{folder / DB_FILE}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM entries").fetchone()[0])
    except sqlite3.OperationalError:  # between the writer's checkpoints: ask again
        return -1


def _branch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Root in n0, an enrolled employee in n1 holding the root's first entries."""
    monkeypatch.setenv("CHITNODE_PASSPHRASE", PASSPHRASE)
    root, bob = branch_of(tmp_path, 2, entries=5)
    root.node.close()
    bob.node.close()
    n0, n1 = tmp_path / "n0", tmp_path / "n1"
    ok(chitnode("--data", n0, "export", tmp_path / "start.chitlog"))
    ok(chitnode("--data", n1, "import", tmp_path / "start.chitlog"))
    return n0, n1


@pytest.mark.slow
def test_a_catch_up_killed_midway_restarts_and_converges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n0, n1 = _branch(tmp_path, monkeypatch)
    with Node.open(n0) as root:
        for first in range(0, CATCH_UP_ENTRIES, WRITE_BATCH):
            ids = range(first, first + WRITE_BATCH)
            root.submit_many(
                [Command("member.registered", {"member_id": f"C{i}", "name": "C"}) for i in ids]
            )
    total, start = _stored(n0), _stored(n1)
    assert total - start >= CATCH_UP_ENTRIES
    p0, p1 = free_port(), free_port()
    with serve_on(n0, p0) as serving:
        serving.wait_ready()
        with serve_on(n1, p1, p0) as bob:
            # mid-catch-up: some pages in, far from all
            until(lambda: _stored(n1) > start + 2_000, "bob's catch-up under way", POLLS)
            assert bob.stop(signal.SIGKILL) == -signal.SIGKILL
        midway = _stored(n1)
        assert start < midway < total
        with serve_on(n1, p1, p0) as bob:
            until(lambda: _stored(n1) == total, "bob caught up after the restart", POLLS)
            bob.wait_ready()
            assert status(n1)["state_digest"] == status(n0)["state_digest"]
            assert status(n1)["forks"] == []
            assert bob.stop() == 0, bob.err
        assert serving.stop() == 0, serving.err


def test_an_unenrolled_and_a_revoked_device_get_nothing_from_a_serving_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHITNODE_PASSPHRASE", PASSPHRASE)
    root, bob = branch_of(tmp_path, 2, entries=5)
    eve = newcomer(tmp_path / "eve", root)  # a key of this branch nobody enrolled
    root_key, n0 = root.key, tmp_path / "n0"
    fingerprint = load_or_create(n0, root_key).fingerprint  # the credential serve will use
    root.node.close()
    port = free_port()
    with serve_on(n0, port) as serving:
        serving.wait_ready()
        asyncio.run(_unenrolled_and_revoked(bob, eve, n0, port, fingerprint))
        assert serving.stop() == 0, serving.err


async def _unenrolled_and_revoked(bob: Any, eve: Any, n0: Path, port: int, pin: str) -> None:
    async with running(bob, eve, serve=False):
        report = await sync_with(eve.ctx, HOST, port, server_fingerprint=pin)
        assert report.error == "peer_unreachable" and report.stored == 0, report
        assert eve.node.status()["entries"] == 0

        link = PeerLink(bob.ctx, HOST, port, server_fingerprint=pin)
        link.start()
        try:
            await _until_async(lambda: link.caught_up, "bob's link caught up")
            assert link.sessions == 1
            ok(chitnode("--data", n0, "revoke", bob.key, "--reason", "stolen"))
            await _until_async(lambda: link.dials_failed >= 1, "bob's link cut and refused")
            assert link.sessions == 1 and link.last_error == "peer_unreachable"
            member = json.dumps({"member_id": "AFTER", "name": "After the revocation"})
            ok(chitnode("--data", n0, "submit", "member.registered", member))
            refused = link.dials_failed
            await _until_async(lambda: link.dials_failed >= refused + 2, "two more refusals")
            got = await bob.run(lambda node: node.engine.state.get("members", "AFTER"))
            assert got is None and link.sessions == 1
        finally:
            await link.stop()


async def _until_async(cond: Callable[[], bool], what: str) -> None:
    for _ in range(POLLS):
        if cond():
            return
        await asyncio.sleep(POLL_S)
    raise AssertionError(f"never: {what}")
