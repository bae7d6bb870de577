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

from chitnode.domain.kernel_kinds import electorate
from chitnode.errors import RuleViolation
from chitnode.log.entry import Entry
from chitnode.node.node import Node
from sync import limits
from sync.election.books import core_inputs, highest_grants
from sync.election.clock import ElapsedClock
from sync.election.core import Election
from sync.election.messages import (
    Output,
    Persist,
    PersistGrant,
    PersistRelease,
    PersistTransfer,
    PersistVote,
    Ref,
    Send,
    Transferred,
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
        node.elected = self.may_write  # the node's coordinated writes ask this election

    def campaign(self, scope: str) -> list[Frame]:
        self._books()
        return self._do(self.core.campaign(self.clock.elapsed_ms(), scope))

    def withdraw(self, scope: str) -> list[Frame]:
        return self._do(self.core.withdraw(self.clock.elapsed_ms(), scope))

    def transfer(self, scope: str, to: str) -> list[Frame]:
        """Hand the held `scope` to device `to` (`chitnode lease transfer`)."""
        self._books()
        return self._do(self.core.transfer(self.clock.elapsed_ms(), scope, to))

    def tick(self) -> list[Frame]:
        return self._do([*self._books(), *self.core.tick(self.clock.elapsed_ms())])

    def receive(self, sender: str, text: str | bytes) -> list[Frame]:
        """A frame from `sender` (the channel's authenticated peer); raises BadMessage."""
        message, carried = decode(text)
        now = self.clock.elapsed_ms()
        if isinstance(message, Transferred):
            if carried is not None and carried.author == sender:
                self._take_in(carried)
            return self._do([*self.core.receive(now, sender, message), *self._books()])
        counts = carried is not None and self.core.awaits_vote(message.scope, message.term, sender)
        if carried is not None and counts and carried.author == sender:
            # The grant will name it: the fold must hold it first. Only a vote this round
            # still waits for: no other device can slip entries in through the election.
            self._take_in(carried)
        return self._do(self.core.receive(now, sender, message))

    def _take_in(self, entry: Entry) -> None:
        """Fold in an entry a frame carries, if it is the next of its author's feed here:
        the fold checks it as any entry of a peer. One after a gap waits for sync, which
        brings the feed in order (a frame must not leave holes for sync to trip on)."""
        last = self.node.engine.last_stored(entry.author)
        if entry.seq == (last[0] if last else 0) + 1:
            self.node.ingest([entry])

    def may_write(self, scope: str) -> int | None:
        return self.core.may_write(self.clock.elapsed_ms(), scope)

    def holder(self, scope: str) -> tuple[str, int] | None:
        """Who holds `scope` as far as this device knows: the election, else the books."""
        known = self.core.holder(self.clock.elapsed_ms(), scope)
        if known is not None:
            return known
        state = self.node.engine.state
        term, holder = highest_grants(state).get(scope, (0, ""))
        lease = state.get("leases", f"{scope}|{holder}") if holder else None
        if lease is None or lease["status"] != "held" or int(lease["term"]) != term:
            return None
        return holder, term

    def time_left_ms(self, scope: str) -> int | None:
        """How long this device may still write `scope`, None if it may not."""
        return self.core.time_left_ms(self.clock.elapsed_ms(), scope)

    def _books(self) -> list[Output]:
        """What the fold learned since: electorates, grants and transfers, for the core."""
        state, me, now = self.node.engine.state, self.node.public, self.clock.elapsed_ms()
        out: list[Output] = []
        for scope in state.rows("electorates"):
            keys, lease_ms = electorate(state, scope)
            if me in keys:
                self.core.set_electorate(scope, keys, lease_ms)
        for scope, (term, holder) in highest_grants(state).items():
            out.extend(self.core.grant_seen(now, scope, term, holder))
        for key, row in state.rows("transfers").items():
            scope, _, term_text = key.rpartition("|")
            ref = Ref(str(row["holder"]), int(row["seq"]), str(row["hash"]))
            to = str(row["to"])
            out.extend(self.core.transfer_seen(now, scope, int(term_text), ref.author, to, ref))
        return out

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
            elif isinstance(output, PersistTransfer) and self._write(output) is not None:
                handed = self.core.transfer_persisted(now, output.scope, output.term, output.to)
                queue.extend(handed)
        bound = limits.ELECTION_OUTPUTS_PER_CALL_MAX
        raise AssertionError(f"one election call led to more than {bound} outputs")

    def _write(self, persist: Persist) -> Ref | None:
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
        """The entry a frame carries: a granted vote's, or the transfer's."""
        if isinstance(message, VoteAnswer) and message.vote is not None:
            return self.node.store.entry_at(message.vote.author, message.vote.seq)
        if isinstance(message, Transferred):
            row = self.node.engine.state.get("transfers", f"{message.scope}|{message.term}")
            if row is not None:
                return self.node.store.entry_at(str(row["holder"]), int(row["seq"]))
        return None
