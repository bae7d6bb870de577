"""A `Replica` over a chitnode `Node`, through what the node offers today.

Kept thin on purpose: it changes when the hardened import path lands (issue 10,
point 5). Entries go in through `Node.ingest`, the function the archive's
`import_file` itself folds with: the archive's public import reads a sealed export
file, whose seal only the exporting device can make, so it cannot carry a peer's
page. `Node.ingest` checks branch, hash and signature of every entry, stores and
folds the batch in one transaction, or raises and stores nothing. Feeds are read
with the store's public feed queries, as the archive's export reads them.
"""

from __future__ import annotations

from collections.abc import Sequence

from chitnode.errors import ChitError
from chitnode.log.entry import ZERO_HASH, Entry
from chitnode.node.node import Node
from sync.reconcile.replica import FeedHead, IngestReport


class NodeReplica:
    def __init__(self, node: Node) -> None:
        self._node = node
        # author -> n such that entries 1..n are all stored (entries are never removed)
        self._whole_to: dict[str, int] = {}

    @property
    def branch(self) -> str:
        return self._node.branch

    def heads(self) -> dict[str, FeedHead]:
        frozen = self.frozen()
        authors = set(self._node.store.authors()) | set(frozen)
        return {a: self._head(a, frozen.get(a)) for a in sorted(authors)}

    def head(self, author: str) -> FeedHead:
        return self._head(author, self.frozen().get(author))

    def _head(self, author: str, fork: int | None) -> FeedHead:
        last = self._node.store.last_stored(author)
        if last is None:
            return (0, ZERO_HASH)
        seq = min(last[0], (fork or last[0] + 1) - 1, self._whole(author, last[0]))
        if seq == last[0]:
            return last
        return (seq, self._node.store.hash_at(author, seq) or ZERO_HASH) if seq else (0, ZERO_HASH)

    def frozen(self) -> dict[str, int]:
        return self._node.store.frozen_from()

    def lines(self, author: str, from_seq: int, limit: int, max_bytes: int) -> list[bytes]:
        out: list[bytes] = []
        size = 0
        for seq, raw in self._node.store.feed(author, from_seq):
            line = raw.encode()
            size += len(line)
            if seq != from_seq + len(out) or size > max_bytes or len(out) == limit:
                break
            out.append(line)
        return out

    def evidence(self, author: str) -> tuple[bytes, bytes] | None:
        fork = self.frozen().get(author)
        held = self._node.store.entry_at(author, fork) if fork else None
        if held is None:
            return None
        for other in self._node.store.forks():
            if other.author == author and other.seq == fork and other.hash != held.hash:
                return held.raw, other.raw.encode()
        return None  # frozen through a broken link (seq f + 1): no same-seq pair to show

    def ingest(self, entries: Sequence[Entry]) -> IngestReport:
        try:
            result = self._node.ingest(list(entries))
        except ChitError as exc:
            return IngestReport(refused=exc.code)
        stored, forks = len(result.stored), len(result.forks)
        return IngestReport(stored, result.duplicates, forks, deferred=len(result.refused))

    def _whole(self, author: str, last: int) -> int:
        """The n <= last such that 1..n are all stored: a partial import leaves gaps.

        Entries are never removed, so what was found whole stays whole: each entry is
        read here once.
        """
        known = self._whole_to.get(author, 0)
        if known < last:
            for seq, _ in self._node.store.feed(author, known + 1):
                if seq != known + 1 or seq > last:
                    break
                known = seq
            self._whole_to[author] = known
        return known
