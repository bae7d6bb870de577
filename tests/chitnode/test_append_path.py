"""The local append path: own entries fold from their dry run and are stored placed.

Whatever path an append takes (the fast one, or the general merge when something
waits to be placed), the projections on disk, the in-memory state and a rebuild
from the log must agree (G6), and a refused command leaves no trace (G9).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chitnode.errors import RuleViolation
from chitnode.node.node import Command, Node
from tests.support.clock import FakeClock
from tests.support.feeds import BRANCH, Feed, seeded_key


def enrolment(n: int) -> Command:
    return Command("device.enrolled", {"key": f"{n:064x}", "role": "member", "name": f"m{n}"})


def assert_consistent(node: Node) -> None:
    """Disk projections == memory == a rebuild; every stored entry of ours is placed."""
    assert node.store.load_projections() == node.engine.state.tables
    digest = node.engine.digest()
    with node.store.transaction():
        node.engine.rebuild()
    assert node.engine.digest() == digest
    assert node.store.load_projections() == node.engine.state.tables


def test_single_and_group_appends_are_stored_placed_in_order(fresh_node: Node) -> None:
    fresh_node.submit("device.enrolled", enrolment(1).body)
    fresh_node.submit_many([enrolment(n) for n in range(2, 12)])
    rows = fresh_node.store.conn.execute(
        "SELECT seq, pos, status FROM entries WHERE author = ? ORDER BY seq", (fresh_node.public,)
    ).fetchall()
    assert [r["status"] for r in rows] == ["applied"] * len(rows)
    assert [r["pos"] for r in rows] == list(range(len(rows)))  # genesis at 0, then in order
    assert_consistent(fresh_node)


def test_a_refused_group_leaves_disk_and_memory_as_they_were(fresh_node: Node) -> None:
    fresh_node.submit_many([enrolment(n) for n in range(1, 4)])
    before = (fresh_node.engine.digest(), fresh_node.store.count())
    bad = Command("device.enrolled", {"key": "nothex", "role": "member", "name": "x"})
    with pytest.raises(RuleViolation):
        fresh_node.submit_many([enrolment(10), enrolment(11), bad])
    assert (fresh_node.engine.digest(), fresh_node.store.count()) == before
    assert fresh_node.engine.state.get("devices", f"{10:064x}") is None
    fresh_node.submit("device.enrolled", enrolment(12).body)  # and the next append is fine
    assert_consistent(fresh_node)


def test_appends_while_a_peer_entry_waits_take_the_general_path(
    tmp_path: Path, clock: FakeClock
) -> None:
    node = Node.init(tmp_path / "node", "Test Branch", clock=clock, branch_id=BRANCH)
    try:
        peer = Feed(seeded_key(7))
        first = peer.write("device.enrolled", {"key": "ab" * 32, "role": "member", "name": "p"})
        second = peer.write("device.enrolled", {"key": "cd" * 32, "role": "member", "name": "q"})
        node.ingest([second])  # its seq 1 is missing: held
        held = "SELECT count(*) FROM entries WHERE status = 'held'"
        assert node.store.conn.execute(held).fetchone()[0] == 1
        receipt = node.submit("device.enrolled", enrolment(1).body)
        node.submit_many([enrolment(2), enrolment(3)])
        assert receipt.status == "applied"
        assert_consistent(node)
        node.ingest([first])  # the gap closes: both peer entries are placed (and rejected)
        assert node.store.conn.execute(held).fetchone()[0] == 0
        node.submit("device.enrolled", enrolment(4).body)
        last = node.store.conn.execute(
            "SELECT max(pos) FROM entries WHERE pos IS NOT NULL"
        ).fetchone()[0]
        assert last == node.store.count() - 1  # the newest append sorts last
        assert_consistent(node)
    finally:
        node.close()


def test_projections_persist_across_reopen(tmp_path: Path, clock: FakeClock) -> None:
    node = Node.init(tmp_path / "node", "Test Branch", clock=clock)
    node.submit_many([enrolment(n) for n in range(1, 6)])
    digest, tables = node.engine.digest(), node.engine.state.tables
    node.close()
    again = Node.open(tmp_path / "node", clock=clock)
    try:
        assert again.engine.digest() == digest
        assert again.engine.state.tables == tables
    finally:
        again.close()
