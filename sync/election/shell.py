"""The election core bound to a Node: its entries go through the one write path, its
messages become frames (sync/election/wire.py). No sockets: a transport hands frames in
with `receive` and sends what every call returns (docs/coordination.md).

    shell = NodeElection(node, BootClock(), random.Random())
    for frame in shell.campaign("treasury"): send(frame.to, frame.text)
    ...                               # and shell.receive(sender, text), shell.tick()

Run it on the node's thread (sync/node_thread.py), one call at a time.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

from chitnode.errors import RuleViolation
from chitnode.log.entry import Entry
from chitnode.node.node import Node
from sync import limits
from sync.election.books import core_inputs
from sync.election.clock import ElapsedClock
from sync.election.core import Election
from sync.election.messages import (
    Output,
    PersistGrant,
    PersistRelease,
    PersistVote,
    Ref,
    Send,
    VoteAnswer,
)
from sync.election.wire import decode, encode


@dataclass(frozen=True, slots=True)
class Frame:
    to: str  # a device key
    text: str


class NodeElection:
    def __init__(self, node: Node, clock: ElapsedClock, rng: random.Random) -> None:
        self.node, self.clock = node, clock
        inputs = core_inputs(node.engine.state, node.public)
        self.core = Election(node.public, clock.elapsed_ms(), rng, *inputs)
        self.refusals: list[str] = []  # why a grant could not be written (newest last)

    def campaign(self, scope: str) -> list[Frame]:
        return self._do(self.core.campaign(self.clock.elapsed_ms(), scope))

    def withdraw(self, scope: str) -> list[Frame]:
        return self._do(self.core.withdraw(self.clock.elapsed_ms(), scope))

    def tick(self) -> list[Frame]:
        return self._do(self.core.tick(self.clock.elapsed_ms()))

    def receive(self, sender: str, text: str | bytes) -> list[Frame]:
        """A frame from `sender` (the channel's authenticated peer); raises BadMessage."""
        message, vote = decode(text)
        counts = vote is not None and self.core.awaits_vote(message.scope, message.term, sender)
        if vote is not None and counts and vote.author == sender:
            # The grant will name it: the fold must hold it first. Only a vote this round
            # still waits for: no other device can slip entries in through the election.
            self.node.ingest([vote])
        return self._do(self.core.receive(self.clock.elapsed_ms(), sender, message))

    def may_write(self, scope: str) -> int | None:
        return self.core.may_write(self.clock.elapsed_ms(), scope)

    def _do(self, outputs: list[Output]) -> list[Frame]:
        frames: list[Frame] = []
        queue = deque(outputs)
        for _ in range(limits.ELECTION_OUTPUTS_PER_CALL_MAX):
            if not queue:
                return frames
            output = queue.popleft()
            now = self.clock.elapsed_ms()
            if isinstance(output, Send):
                entry = self._vote_entry(output.message)
                frames.append(Frame(output.to, encode(output.message, entry)))
            elif isinstance(output, PersistVote):
                ref = self._write(output)
                if ref is not None:  # never answered unless written
                    queue.extend(self.core.vote_persisted(now, output.scope, output.term, ref))
            elif isinstance(output, PersistGrant):
                if self._write(output) is not None:
                    queue.extend(self.core.grant_persisted(now, output.scope, output.term))
            elif isinstance(output, PersistRelease):
                self._write(output)
        bound = limits.ELECTION_OUTPUTS_PER_CALL_MAX
        raise AssertionError(f"one election call led to more than {bound} outputs")

    def _write(self, persist: PersistVote | PersistGrant | PersistRelease) -> Ref | None:
        """Write the entry through Node.submit; None if the fold would refuse it."""
        try:
            receipt = self.node.submit(persist.kind, persist.body)
        except RuleViolation as refused:
            # A grant whose votes are not the voters' heads here, say: nothing is written,
            # the lease is never used, and the core campaigns again when it runs out.
            self.refusals.append(f"{persist.kind} term {persist.term}: {refused.code}")
            return None
        return Ref(self.node.public, receipt.seq, receipt.hash)

    def _vote_entry(self, message: object) -> Entry | None:
        if isinstance(message, VoteAnswer) and message.vote is not None:
            return self.node.store.entry_at(message.vote.author, message.vote.seq)
        return None
