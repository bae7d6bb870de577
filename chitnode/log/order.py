"""Deterministic causal order over many feeds (DESIGN.md, "The log is the truth").

Kahn's algorithm specialised to feeds: an author's entries are already a chain
(`prev`), so the ready set holds at most one entry per author, its next one, once
every `deps` edge of it has been placed. Among ready entries the smallest
`(ts, author, seq)` goes first. Memory is O(feeds), not O(entries), which is what
lets a million-entry rebuild stream from SQLite.

Any two callers holding the same nodes get the same sequence, whatever order the
nodes arrived in: this is the determinism the state digest rests on (G6).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar


class OrderNode(Protocol):
    @property
    def author(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def ts(self) -> int: ...


N = TypeVar("N", bound=OrderNode)


@dataclass(slots=True)
class CausalMerge(Generic[N]):
    """Merge per-author iterators (ascending seq) into one causal order.

    `edges(node)` gives the (author, seq) pairs that must be placed first besides
    the node's own predecessor; `placed` says how far each feed is already placed
    (a re-fold starts from the prefix it keeps). Nodes whose edges can never be
    met end up in `stuck`, in the order their feeds were given.
    """

    feeds: dict[str, Iterator[N]]
    edges: Callable[[N], Iterable[tuple[str, int]]]
    placed: dict[str, int] = field(default_factory=dict)
    stuck: list[N] = field(default_factory=list)

    def __iter__(self) -> Iterator[N]:
        heap: list[tuple[int, str, int, N]] = []
        waiting: dict[str, list[tuple[int, str]]] = {}
        heads: dict[str, N] = {}

        def advance(author: str) -> None:
            node = next(self.feeds[author], None)
            if node is None:
                heads.pop(author, None)
                return
            heads[author] = node
            consider(author)

        def consider(author: str) -> None:
            node = heads[author]
            for dep_author, dep_seq in self.edges(node):
                if self.placed.get(dep_author, 0) < dep_seq:
                    waiting.setdefault(dep_author, []).append((dep_seq, author))
                    return
            heapq.heappush(heap, (node.ts, node.author, node.seq, node))

        for author in sorted(self.feeds):
            advance(author)
        while heap:
            _, author, _, node = heapq.heappop(heap)
            self.placed[author] = node.seq
            yield node
            woken = waiting.pop(author, [])
            still = [(s, a) for s, a in woken if s > node.seq]
            if still:
                waiting[author] = still
            for _, waiter in sorted((s, a) for s, a in woken if s <= node.seq):
                consider(waiter)
            advance(author)
        self.stuck.extend(heads[a] for a in sorted(heads))
