"""Forks (wal-v1 §4) and the root's way out of one: which line of a forked feed counts.

A fork is two validly signed entries by one author at one seq. Both stay as evidence,
and nothing the author wrote from the fork point on is applied "until an admin
resolves it". How depends on the author:

- Any device key but the root's is retired: an admin writes `device.revoked` with
  `after_seq` = the last seq before the fork (wal-v1 §5), and the device gets a new key.
  The forked feed stays frozen for good; nothing here is needed for it.
- The root key cannot be retired: a branch is its id and its root together (§5). So the
  root resolves its own fork by writing `fork.resolved` {"seq": fork seq, "keep": hash}
  as the next entry of the line it keeps. The entry's own `prev` chain, which its
  signature covers, names every entry of the kept line from the fork to itself; every
  other entry from the fork point on, and everything chained to one of them, is
  *discarded*: kept as evidence, never applied.

`settle` decides this from the forked feed's entries alone (whichever twin a node saw
first), so every node holding the same entries settles the same way. It is pure: the
fold engine reads the rows, calls it, and moves rows between its main chain and its
fork evidence accordingly. A resolution counts only when its whole chain back to the
kept entry is held, the kept entry continues the agreed prefix, and no other resolution
of the same fork disagrees with it (a root that resolves one fork two ways stays frozen).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from chitnode.log.entry import HEX64_RE, Entry

RESOLVED = "fork.resolved"
# A fork at seq 1 is two geneses by one key: there is no agreed prefix to keep, and no
# branch root to resolve it, so a resolution names a fork at seq 2 or later.
FORK_SEQ_MIN = 2


class Row(NamedTuple):
    """What settling needs of one entry of the forked feed."""

    seq: int
    hash: str
    prev: str
    resolves: tuple[int, str] | None  # (fork seq, kept hash) of a well-formed fork.resolved


def row_of(entry: Entry) -> Row:
    resolves = resolution_body(entry.body) if entry.kind == RESOLVED else None
    return Row(entry.seq, entry.hash, entry.prev, resolves)


def resolution_body(body: Mapping[str, Any]) -> tuple[int, str] | None:
    """(fork seq, kept hash) of a well-formed `fork.resolved` body; None otherwise."""
    if set(body) != {"seq", "keep"}:
        return None
    seq, keep = body["seq"], body["keep"]
    if type(seq) is not int or seq < FORK_SEQ_MIN:
        return None
    if not isinstance(keep, str) or HEX64_RE.match(keep) is None:
        return None
    return seq, keep


@dataclass(frozen=True, slots=True)
class Resolution:
    fork_seq: int
    keep: str  # the entry kept at fork_seq
    by_seq: int  # the fork.resolved entry: its seq and hash
    by_hash: str


@dataclass(slots=True)
class Settlement:
    """How a forked feed settles from its first unresolved fork on."""

    canonical: dict[int, str] = field(default_factory=dict)  # seq -> the entry that counts
    discarded: dict[str, int] = field(default_factory=dict)  # hash -> the fork that dropped it
    resolutions: list[Resolution] = field(default_factory=list)
    frozen_from: int | None = None  # the first fork still unresolved


def settle(
    rows: Iterable[Row], fork_seq: int, below: str, discarded: Mapping[str, int] | None = None
) -> Settlement:
    """Settle a feed forked at `fork_seq` whose agreed entry at `fork_seq - 1` is `below`.

    `rows`: every held entry of the feed from `fork_seq` on, main chain and fork evidence
    alike. `discarded`: entries earlier resolutions already discarded (they and their
    descendants stay discarded). Returns the resolutions found in turn, the entries each
    makes canonical, what they discard, and the first fork left unresolved, if any.
    """
    at: dict[int, list[Row]] = {}
    by_hash: dict[str, Row] = {}
    for row in rows:
        if row.seq >= fork_seq:
            at.setdefault(row.seq, []).append(row)
            by_hash[row.hash] = row
    out = Settlement(discarded=dict(discarded or {}))
    fork, last = fork_seq, below
    while True:
        found = _resolution(at, by_hash, fork, last, out.discarded)
        if found is None:
            out.frozen_from = fork
            break
        resolution, chain = found
        out.resolutions.append(resolution)
        for row in chain:
            out.canonical[row.seq] = row.hash
        for seq in range(fork, resolution.by_seq + 1):
            for row in at.get(seq, ()):
                if row.hash != out.canonical[seq]:
                    out.discarded.setdefault(row.hash, fork)
        following = _extend(at, out, resolution)
        if following is None:
            break
        fork, last = following
    _discard_descendants(at, out.discarded)
    return out


def _resolution(
    at: dict[int, list[Row]],
    by_hash: dict[str, Row],
    fork: int,
    below: str,
    discarded: Mapping[str, int],
) -> tuple[Resolution, list[Row]] | None:
    """The resolution of the fork at `fork`, with its chain from the kept entry; or None."""
    if fork < FORK_SEQ_MIN:
        return None
    found: list[tuple[Row, list[Row]]] = []
    for rows in at.values():
        for row in rows:
            if row.resolves is None or row.resolves[0] != fork or row.seq <= fork:
                continue
            if row.hash in discarded:
                continue
            chain = _chain(by_hash, row, fork)
            if chain is not None and chain[0].hash == row.resolves[1] and chain[0].prev == below:
                found.append((row, chain))
    if not found:
        return None
    top, chain = max(found, key=lambda item: (item[0].seq, item[0].hash))
    on_line = {row.hash for row in chain}
    if any(row.hash not in on_line for row, _ in found):
        return None  # the root resolved this fork two ways: it stays frozen
    assert top.resolves is not None
    return Resolution(fork, top.resolves[1], top.seq, top.hash), chain


def _chain(by_hash: dict[str, Row], row: Row, fork: int) -> list[Row] | None:
    """`row` and its ancestors back to seq `fork`, oldest first; None if one is not held."""
    chain = [row]
    while chain[-1].seq > fork:
        parent = by_hash.get(chain[-1].prev)
        if parent is None or parent.seq != chain[-1].seq - 1:
            return None
        chain.append(parent)
    chain.reverse()
    return chain


def _extend(
    at: dict[int, list[Row]], out: Settlement, resolution: Resolution
) -> tuple[int, str] | None:
    """Follow the kept line past its resolution; (next fork, entry below it) if it forks."""
    seq, last = resolution.by_seq + 1, resolution.by_hash
    while True:
        live: list[Row] = []
        for row in at.get(seq, ()):
            if row.hash in out.discarded:
                continue
            if row.prev in out.discarded:
                out.discarded[row.hash] = out.discarded[row.prev]
                continue
            live.append(row)
        linked = [row for row in live if row.prev == last]
        strays = [row for row in live if row.prev != last]
        if strays and seq - 1 == resolution.by_seq:
            # children of an unseen twin of the resolution itself: the resolution drops them
            for row in strays:
                out.discarded[row.hash] = resolution.fork_seq
            strays = []
        if not strays and len(linked) == 1:
            out.canonical[seq] = last = linked[0].hash
            seq += 1
            continue
        if strays:  # an unseen twin of the entry at seq - 1: the feed forks there
            del out.canonical[seq - 1]
            return seq - 1, out.canonical[seq - 2]
        if linked:  # two entries at seq, both chained to the kept line
            return seq, last
        return None  # the end of the feed, or a gap: nothing after it is placed yet


def _discard_descendants(at: dict[int, list[Row]], discarded: dict[str, int]) -> None:
    for seq in sorted(at):
        for row in at[seq]:
            if row.hash not in discarded and row.prev in discarded:
                discarded[row.hash] = discarded[row.prev]
