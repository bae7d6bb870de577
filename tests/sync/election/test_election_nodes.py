"""Three real Nodes elect a treasury holder over election frames (sync/election/shell.py):
every entry goes through Node.submit, every message through encode/decode, and after the
feeds are synced every node's fold holds the same grant and the same state digest."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chitnode.errors import RuleViolation
from chitnode.node.node import Node
from sync.election import Ref, VoteAnswer, voter_margin_ms
from sync.election.shell import Frame, NodeElection
from sync.election.wire import encode
from sync.reconcile.errors import BadMessage
from tests.support.coordinated import KIND, registered
from tests.support.election import sync_all

SCOPE = "treasury"
LEASE_MS = 30_000
FRAMES_MAX = 1_000  # frames one exchange may take; more is a loop


@dataclass
class Hand:
    """An elapsed-time clock moved by hand."""

    ms: int = 0

    def elapsed_ms(self) -> int:
        return self.ms


@pytest.fixture
def coordinated_kind() -> Iterator[str]:
    with registered() as kind:
        yield kind


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[list[Node]]:
    root = Node.init(tmp_path / "root", "Election Branch")
    laptops = [Node.join_empty(tmp_path / f"laptop{i}", root.branch, root.public) for i in (1, 2)]
    for i, laptop in enumerate(laptops, 1):
        body = {"key": laptop.public, "role": "foreman", "name": f"Laptop {i}"}
        root.submit("device.enrolled", body)
    keys = [root.public, *(n.public for n in laptops)]
    root.submit("scope.electorate_set", {"scope": SCOPE, "keys": keys, "lease_ms": LEASE_MS})
    nodes = [root, *laptops]
    sync_all(nodes)
    yield nodes
    for node in nodes:
        node.close()


def exchange(shells: dict[str, NodeElection], sender: str, frames: list[Frame]) -> int:
    queue = deque((sender, f) for f in frames)
    delivered = 0
    while queue:
        assert delivered < FRAMES_MAX, "the devices kept talking"
        src, frame = queue.popleft()
        delivered += 1
        queue.extend((frame.to, f) for f in shells[frame.to].receive(src, frame.text))
    return delivered


def test_three_nodes_elect_a_holder_over_frames_and_agree_on_it(branch: list[Node]) -> None:
    clock = Hand()
    shells = {n.public: NodeElection(n, clock, random.Random(i)) for i, n in enumerate(branch)}
    clock.ms = LEASE_MS + voter_margin_ms(LEASE_MS)  # fresh processes wait out a lease
    candidate = branch[1]
    frames = shells[candidate.public].campaign(SCOPE)
    assert exchange(shells, candidate.public, frames) > 0
    assert shells[candidate.public].may_write(SCOPE) == 1
    assert all(s.refusals == [] for s in shells.values())
    # renewals travel as frames too and keep the lease at term 1
    for _ in range(10):
        clock.ms += LEASE_MS // 4
        for key, shell in shells.items():
            exchange(shells, key, shell.tick())
    assert shells[candidate.public].may_write(SCOPE) == 1
    assert [s.may_write(SCOPE) for k, s in shells.items() if k != candidate.public] == [None] * 2
    sync_all(branch)
    for node in branch:
        lease = node.engine.state.get("leases", f"{SCOPE}|{candidate.public}")
        assert lease is not None and (lease["term"], lease["status"]) == (1, "held")
        grant = node.engine.state.get("grants", f"{SCOPE}|1")
        assert grant is not None and grant["holder"] == candidate.public
    assert len({n.engine.digest() for n in branch}) == 1
    votes = branch[0].engine.state.rows("votes")
    assert len(votes) >= 2  # a strict majority of three signed, in every fold


def test_a_bad_frame_changes_nothing(branch: list[Node]) -> None:
    shell = NodeElection(branch[0], Hand(), random.Random(0))
    before = branch[0].engine.digest()
    with pytest.raises(BadMessage) as info:
        shell.receive(branch[1].public, '{"v":1,"type":"vote_answer"}')
    assert info.value.code == "bad_message"
    assert branch[0].engine.digest() == before


def test_a_vote_nobody_asked_for_is_not_taken_in(branch: list[Node]) -> None:
    """The election is no side door into the log: an unasked vote's entry is dropped."""
    root, laptop = branch[0], branch[2]
    body = {"scope": SCOPE, "term": 7, "candidate": root.public}
    receipt = laptop.submit("lease.vote", body)
    vote = laptop.store.entry_at(laptop.public, receipt.seq)
    assert vote is not None
    answer = VoteAnswer(SCOPE, 7, True, 7, Ref(laptop.public, vote.seq, vote.hash), LEASE_MS)
    shell = NodeElection(root, Hand(), random.Random(0))
    assert shell.receive(laptop.public, encode(answer, vote)) == []
    assert root.store.entry_at(laptop.public, vote.seq) is None


def elect(shells: dict[str, NodeElection], clock: Hand, candidate: Node) -> None:
    clock.ms += LEASE_MS + voter_margin_ms(LEASE_MS)  # fresh processes wait out a lease
    exchange(shells, candidate.public, shells[candidate.public].campaign(SCOPE))
    assert shells[candidate.public].may_write(SCOPE) == 1


@pytest.mark.usefixtures("coordinated_kind")
def test_only_the_elected_node_writes_coordinated_entries(branch: list[Node]) -> None:
    """Node.submit asks the election beside it (Node.elected) for a shared scope."""
    clock = Hand()
    shells = {n.public: NodeElection(n, clock, random.Random(i)) for i, n in enumerate(branch)}
    holder, other = branch[1], branch[2]
    with pytest.raises(RuleViolation) as refused:
        holder.submit(KIND, {"scope": SCOPE, "ref": "p0"})
    assert refused.value.code == "not_lease_holder", "nobody is elected yet"
    elect(shells, clock, holder)
    receipt = holder.submit(KIND, {"scope": SCOPE, "ref": "p1"})
    assert receipt.status == "applied"
    with pytest.raises(RuleViolation) as refused:
        other.submit(KIND, {"scope": SCOPE, "ref": "p2"})
    assert refused.value.code == "not_lease_holder"
    clock.ms += LEASE_MS  # no renewal reached a majority: the holder stops writing
    assert shells[holder.public].may_write(SCOPE) is None
    with pytest.raises(RuleViolation):
        holder.submit(KIND, {"scope": SCOPE, "ref": "p3"})


@pytest.mark.usefixtures("coordinated_kind")
def test_a_transfer_between_real_nodes_lands_in_every_fold(branch: list[Node]) -> None:
    """The admin desktop hands the treasury to a laptop: `lease.transferred`, then the
    laptop's grant naming it; after sync every node agrees and only the laptop writes."""
    clock = Hand()
    shells = {n.public: NodeElection(n, clock, random.Random(i)) for i, n in enumerate(branch)}
    desk, laptop = branch[0], branch[2]
    elect(shells, clock, desk)
    desk.submit(KIND, {"scope": SCOPE, "ref": "before"})
    exchange(shells, desk.public, shells[desk.public].transfer(SCOPE, laptop.public))
    assert shells[desk.public].may_write(SCOPE) is None
    # the frames came before the entries before the transfer: the folds wait for sync,
    # and the next tick of each election reads the transfer from its books
    assert shells[laptop.public].may_write(SCOPE) is None
    sync_all(branch)
    for key, shell in shells.items():
        exchange(shells, key, shell.tick())
    assert shells[laptop.public].may_write(SCOPE) == 2
    assert laptop.submit(KIND, {"scope": SCOPE, "ref": "at the meeting"}).status == ("applied")
    with pytest.raises(RuleViolation) as refused:
        desk.submit(KIND, {"scope": SCOPE, "ref": "too late"})
    assert refused.value.code == "not_lease_holder"
    sync_all(branch)
    for node in branch:
        state = node.engine.state
        assert state.get("leases", f"{SCOPE}|{desk.public}")["status"] == "transferred"
        assert state.get("leases", f"{SCOPE}|{laptop.public}")["status"] == "held"
        assert state.get("grants", f"{SCOPE}|2")["holder"] == laptop.public
    assert len({n.engine.digest() for n in branch}) == 1


def test_a_grant_names_the_votes_even_when_a_voter_wrote_more_since(branch: list[Node]) -> None:
    """The grant's deps are the votes it lists, not the voters' heads: a voter that
    wrote something after its vote, which reached the candidate first, costs nothing."""
    clock = Hand()
    shells = {n.public: NodeElection(n, clock, random.Random(i)) for i, n in enumerate(branch)}
    clock.ms = LEASE_MS + voter_margin_ms(LEASE_MS)
    candidate, voter = branch[1], branch[0]
    queue = deque((candidate.public, f) for f in shells[candidate.public].campaign(SCOPE))
    wrote_after_vote = False
    for _ in range(FRAMES_MAX):
        if not queue:
            break
        src, frame = queue.popleft()
        if branch[2].public in (src, frame.to):
            continue  # the other laptop is away: the candidate needs this voter's vote
        answer = src == voter.public and '"vote_answer"' in frame.text
        if answer and not wrote_after_vote:
            voter.submit("member.registered", {"member_id": "M9", "name": "After the vote"})
            sync_all(branch)  # the voter's later entry reaches the candidate first
            wrote_after_vote = True
        queue.extend((frame.to, f) for f in shells[frame.to].receive(src, frame.text))
    assert wrote_after_vote
    assert shells[candidate.public].refusals == []
    assert shells[candidate.public].may_write(SCOPE) == 1
    sync_all(branch)
    assert all(n.engine.state.get("grants", f"{SCOPE}|1") is not None for n in branch)
    assert len({n.engine.digest() for n in branch}) == 1
