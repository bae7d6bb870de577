"""The port through which the reconciliation core reads and writes the local log.

The core never touches a store: it sees feeds only as `Replica` shows them. Two
implementations: `NodeReplica` over a chitnode `Node` (the real one), and
`MemoryReplica`, the small reference the simulation runs most seeds on.

The contract every implementation keeps (the core's idempotence rests on it):

- A feed's head is `(seq, hash)` of its last entry such that entries 1..seq are all
  held and none of them is at or after a fork: heads only ever grow, except that a
  newly found fork at seq f cuts a feed's head back to f - 1, once.
- `frozen()[author] = f` when the replica holds two different entries of `author` at
  seq f (the lowest such seq); `evidence(author)` returns those two lines.
- `ingest` checks every entry (branch, hash, signature; the fold does the rest) and
  stores all or nothing: a refused batch changes nothing and says why. Storing an
  entry already held is a no-op; a different entry at a held seq records a fork. A
  replica may defer an entry it will not hold yet (what it follows is missing): not
  stored, counted, and the core asks for it again once another feed has moved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from chitnode.log.entry import Entry

FeedHead = tuple[int, str]  # (seq, hash); (0, ZERO_HASH) for a feed with nothing held


@dataclass(frozen=True, slots=True)
class IngestReport:
    stored: int = 0
    duplicates: int = 0
    forks: int = 0  # entries kept as fork evidence
    deferred: int = 0  # not stored for now (what they follow is missing): asked for again later
    refused: str | None = None  # code of the check the batch failed; then nothing was stored


class Replica(Protocol):
    @property
    def branch(self) -> str: ...

    def heads(self) -> Mapping[str, FeedHead]:
        """Every feed held (or frozen), by author: its head as the module docstring says."""
        ...

    def head(self, author: str) -> FeedHead:
        """One feed's head; (0, ZERO_HASH) when nothing of it is held."""
        ...

    def frozen(self) -> Mapping[str, int]:
        """author -> the lowest seq at which two different entries of it are held."""
        ...

    def lines(self, author: str, from_seq: int, limit: int, max_bytes: int) -> list[bytes]:
        """Consecutive entry lines from `from_seq`: at most `limit`, at most `max_bytes` in all."""
        ...

    def evidence(self, author: str) -> tuple[bytes, bytes] | None:
        """The two entry lines at `frozen()[author]`, or None if the feed is not frozen."""
        ...

    def ingest(self, entries: Sequence[Entry]) -> IngestReport:
        """Check and store `entries` (format already checked), all or nothing."""
        ...
