"""Lease holders elected over the network (issue 11; spec/coordination-v1.md).

`core.Election` is the sans-I/O election of one device; `messages` what it takes and
gives; `clock.BootClock` the elapsed-time clock leases are measured on. How it works and
what it assumes of clocks: docs/coordination.md.
"""

from sync.election.clock import BootClock, ElapsedClock
from sync.election.core import Election, VoteRecord, holder_margin_ms, lease_of, voter_margin_ms
from sync.election.messages import (
    Heartbeat,
    HeartbeatAnswer,
    Message,
    Output,
    Persist,
    PersistGrant,
    PersistRelease,
    PersistTransfer,
    PersistVote,
    PreVote,
    PreVoteAnswer,
    Ref,
    Released,
    Send,
    TakeOver,
    TakeOverAnswer,
    Transferred,
    VoteAnswer,
    VoteRequest,
)

__all__ = [
    "BootClock",
    "ElapsedClock",
    "Election",
    "Heartbeat",
    "HeartbeatAnswer",
    "Message",
    "Output",
    "Persist",
    "PersistGrant",
    "PersistRelease",
    "PersistTransfer",
    "PersistVote",
    "PreVote",
    "PreVoteAnswer",
    "Ref",
    "Released",
    "Send",
    "TakeOver",
    "TakeOverAnswer",
    "Transferred",
    "VoteAnswer",
    "VoteRecord",
    "VoteRequest",
    "holder_margin_ms",
    "lease_of",
    "voter_margin_ms",
]
