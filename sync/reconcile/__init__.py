"""Reconciliation of feeds between two peers, without I/O (docs/sync.md, "Reconciliation").

`messages` (the frames), `core.Reconciler` (one session's state machine), `replica`
(the port to the local log), and two replicas: `node_replica.NodeReplica` over a
chitnode `Node`, `memory.MemoryReplica` for tests and simulation.
"""

from __future__ import annotations

from sync.reconcile.core import Range, Reconciler, Stats
from sync.reconcile.errors import (
    BadEvidence,
    BadMessage,
    BadPage,
    MessageTooBig,
    PageRefused,
    UnsupportedVersion,
)
from sync.reconcile.messages import (
    PROTOCOL_VERSION,
    Done,
    ForkEvidence,
    Head,
    Hello,
    Message,
    Page,
    Want,
    WantEvidence,
    decode,
    encode,
)
from sync.reconcile.replica import FeedHead, IngestReport, Replica

__all__ = [
    "PROTOCOL_VERSION",
    "BadEvidence",
    "BadMessage",
    "BadPage",
    "Done",
    "FeedHead",
    "ForkEvidence",
    "Head",
    "Hello",
    "IngestReport",
    "Message",
    "MessageTooBig",
    "Page",
    "PageRefused",
    "Range",
    "Reconciler",
    "Replica",
    "Stats",
    "UnsupportedVersion",
    "Want",
    "WantEvidence",
    "decode",
    "encode",
]
