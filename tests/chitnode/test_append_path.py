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
    store, author = fresh_node.store, fresh_node.public
    rows = [store.outcome_of(author, seq) for seq, _ in store.feed(author, 1)]
    assert rows == [("applied", "")] * 12
    positions = [store.pos_of(author, seq) for seq in range(1, 13)]
    assert positions == list(range(12))  # genesis at 0, then in order
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
        node.submit("device.enrolled", {"key": peer.public, "role": "member", "name": "peer"})
        node.ingest([second])  # its seq 1 is missing: held (its author is known here)
        assert node.store.held_count() == 1
        receipt = node.submit("device.enrolled", enrolment(1).body)
        node.submit_many([enrolment(2), enrolment(3)])
        assert receipt.status == "applied"
        assert_consistent(node)
        node.ingest([first])  # the gap closes: both peer entries are placed (and rejected)
        assert node.store.held_count() == 0
        node.submit("device.enrolled", enrolment(4).body)
        head = node.store.last_stored(node.public)
        assert head is not None
        newest = node.store.pos_of(node.public, head[0])
        assert newest == node.store.count() - 1  # the newest append sorts last
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
