"""What the election core takes in and gives out (docs/coordination.md, "The election").

Messages travel between the devices of one scope's electorate; the sender is the peer
the channel authenticated, so no message names its own sender. Outputs are what the
shell must do: send a message, or write an entry into this device's own feed and then
tell the core it is written (`Election.vote_persisted`, `Election.grant_persisted`).
The entries are the kernel's own kinds with the bodies coordination-v1 gives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Ref:
    """An entry by its place: [author, seq, hash], as a grant lists the votes it counts."""

    author: str
    seq: int
    hash: str

    def as_list(self) -> list[Any]:
        return [self.author, self.seq, self.hash]


# --- messages between electors ------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreVote:
    """Would you vote for me at `term`? Changes nothing on the voter (Raft thesis §9.6)."""

    scope: str
    term: int


@dataclass(frozen=True, slots=True)
class PreVoteAnswer:
    scope: str
    term: int
    granted: bool
    voter_term: int  # the highest term the voter knows


@dataclass(frozen=True, slots=True)
class VoteRequest:
    """Vote for me at `term`: sent once the candidate's own vote is in its feed."""

    scope: str
    term: int


@dataclass(frozen=True, slots=True)
class VoteAnswer:
    """A vote (`vote`: the voter's `lease.vote` entry, already in its feed) or a refusal.

    `lease_ms`: the lease the voter promised (its books' lease_ms; 0 in a refusal). The
    candidate's lease is the one a majority promised at least (sync/election/core.py).
    """

    scope: str
    term: int
    granted: bool
    voter_term: int
    vote: Ref | None
    lease_ms: int


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The holder of `term` renews its lease; an answer promises it another lease."""

    scope: str
    term: int
    round: int


@dataclass(frozen=True, slots=True)
class HeartbeatAnswer:
    """`lease_ms`: the lease the voter promised with an ok (its books' lease_ms)."""

    scope: str
    term: int
    round: int
    ok: bool
    voter_term: int
    lease_ms: int


@dataclass(frozen=True, slots=True)
class Released:
    """The holder of `term` gave the scope up and writes no more: promises to it end."""

    scope: str
    term: int


@dataclass(frozen=True, slots=True)
class Transferred:
    """The holder of `term` handed the scope to `to` (its `lease.transferred` rides along).

    Electors that hold the entry promise `to` a lease; `to` takes over at `term + 1`.
    """

    scope: str
    term: int
    to: str


@dataclass(frozen=True, slots=True)
class TakeOver:
    """`to` of a transfer at `term - 1` asks for promises before it writes its grant.

    Its lease is counted from before it asks, as a candidate's is: every promise it gets
    starts later and lasts longer, so the lease ends before any of them.
    """

    scope: str
    term: int


@dataclass(frozen=True, slots=True)
class TakeOverAnswer:
    """`lease_ms`: the lease the voter promised. A meeting's long lease (`lease transfer
    --for`) counts only from voters whose books already carry it."""

    scope: str
    term: int
    ok: bool
    voter_term: int
    lease_ms: int


Message = (
    PreVote
    | PreVoteAnswer
    | VoteRequest
    | VoteAnswer
    | Heartbeat
    | HeartbeatAnswer
    | Released
    | Transferred
    | TakeOver
    | TakeOverAnswer
)


# --- outputs ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    to: str  # a device key of the scope's electorate
    message: Message


@dataclass(frozen=True, slots=True)
class PersistVote:
    """Write `lease.vote` into this device's feed, then call `vote_persisted` with its place.

    The answer to the candidate waits for that call: a vote a crash could forget is never
    given, so one device can never vote twice in one term, even across a restart.
    """

    scope: str
    term: int
    candidate: str

    kind = "lease.vote"

    @property
    def body(self) -> dict[str, Any]:
        return {"scope": self.scope, "term": self.term, "candidate": self.candidate}


@dataclass(frozen=True, slots=True)
class PersistGrant:
    """Write `lease.granted` (every vote listed is also a dep), then call `grant_persisted`.

    After a transfer the grant names the `lease.transferred` entry instead of votes.
    """

    scope: str
    term: int
    votes: tuple[Ref, ...]
    transfer: Ref | None = None

    kind = "lease.granted"

    @property
    def body(self) -> dict[str, Any]:
        if self.transfer is not None:
            return {"scope": self.scope, "term": self.term, "transfer": self.transfer.as_list()}
        return {"scope": self.scope, "term": self.term, "votes": [v.as_list() for v in self.votes]}


@dataclass(frozen=True, slots=True)
class PersistRelease:
    """Write `lease.released`: this device gave up the scope it held at `term`."""

    scope: str
    term: int

    kind = "lease.released"

    @property
    def body(self) -> dict[str, Any]:
        return {"scope": self.scope, "term": self.term}


@dataclass(frozen=True, slots=True)
class PersistTransfer:
    """Write `lease.transferred` to `to`, then call `transfer_persisted` with its place."""

    scope: str
    term: int
    to: str

    kind = "lease.transferred"

    @property
    def body(self) -> dict[str, Any]:
        return {"scope": self.scope, "term": self.term, "to": self.to}


Persist = PersistVote | PersistGrant | PersistRelease | PersistTransfer
Output = Send | Persist
