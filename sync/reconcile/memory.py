"""A `Replica` held in memory: the reference for the contract, and the simulation's node.

It keeps each feed as a list from seq 1, and per feed the lowest fork seen (both
entries). It checks what a node checks before storing (branch, hash, signature),
but folds nothing: its `digest` covers the entries and forks a node's state digest
is a function of, so two memory replicas that agree on it hold the same log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from nacl.signing import SigningKey

from chitnode import limits as kernel
from chitnode.errors import ChitError, WrongBranch
from chitnode.log.entry import ZERO_HASH, Entry, check_hash, check_sig, seal_entry
from sync.reconcile.replica import FeedHead, IngestReport

UNBOUNDED = 2**62


class MemoryReplica:
    def __init__(self, branch: str) -> None:
        self._branch = branch
        self._feeds: dict[str, list[Entry]] = {}
        self._forks: dict[str, tuple[Entry, Entry]] = {}  # author -> lowest fork: (held, other)

    @property
    def branch(self) -> str:
        return self._branch

    # --- reading ------------------------------------------------------------------

    def heads(self) -> dict[str, FeedHead]:
        return {a: self.head(a) for a in sorted(set(self._feeds) | set(self._forks))}

    def head(self, author: str) -> FeedHead:
        feed = self._feeds.get(author, [])
        seq = min(len(feed), self._fork_seq(author) - 1)
        return (seq, feed[seq - 1].hash) if seq else (0, ZERO_HASH)

    def frozen(self) -> dict[str, int]:
        return {a: pair[0].seq for a, pair in self._forks.items()}

    def lines(self, author: str, from_seq: int, limit: int, max_bytes: int) -> list[bytes]:
        out: list[bytes] = []
        size = 0
        for entry in self._feeds.get(author, [])[from_seq - 1 : from_seq - 1 + limit]:
            size += len(entry.raw)
            if size > max_bytes:
                break
            out.append(entry.raw)
        return out

    def evidence(self, author: str) -> tuple[bytes, bytes] | None:
        pair = self._forks.get(author)
        return None if pair is None else (pair[0].raw, pair[1].raw)

    def digest(self) -> str:
        """SHA-256 over every feed's entries before its fork, and the fork seqs."""
        h = hashlib.sha256()
        for author, (seq, _) in self.heads().items():
            for entry in self._feeds[author][:seq]:
                h.update(f"{author} {entry.seq} {entry.hash}\n".encode())
        for author, fork in sorted(self.frozen().items()):
            h.update(f"frozen {author} {fork}\n".encode())
        return h.hexdigest()

    # --- writing ------------------------------------------------------------------

    def ingest(self, entries: Sequence[Entry]) -> IngestReport:
        try:
            for entry in entries:
                if entry.branch != self._branch:
                    raise WrongBranch(f"entry of branch {entry.branch}")
                check_hash(entry)
                check_sig(entry)
        except ChitError as exc:
            return IngestReport(refused=exc.code)
        stored = duplicates = forks = deferred = 0
        for entry in entries:
            feed = self._feeds.setdefault(entry.author, [])
            if entry.seq <= len(feed):
                held = feed[entry.seq - 1]
                known = self._forks.get(entry.author, (held, held))
                if entry.hash in (held.hash, known[1].hash):
                    duplicates += 1
                    continue
                forks += 1
                if entry.seq < self._fork_seq(entry.author):
                    self._forks[entry.author] = (held, entry)
            elif entry.seq == len(feed) + 1 and entry.prev == (
                feed[-1].hash if feed else ZERO_HASH
            ):
                feed.append(entry)
                stored += 1
            else:  # it does not continue the feed: not held here (the core never sends it)
                deferred += 1
        return IngestReport(stored, duplicates, forks, deferred)

    def write(self, key: SigningKey, ts: int, body: dict[str, Any]) -> Entry:
        """Append a new entry of `key`'s feed naming the other heads as deps (as a node does)."""
        author = key.verify_key.encode().hex()
        feed = self._feeds.setdefault(author, [])
        deps = sorted((a, s, h) for a, (s, h) in self.heads().items() if a != author and s)
        entry = seal_entry(
            key,
            branch=self._branch,
            seq=len(feed) + 1,
            prev=feed[-1].hash if feed else ZERO_HASH,
            ts=ts,
            deps=tuple(deps[: kernel.DEPS_MAX]),
            kind="note.written",
            body=body,
        )
        feed.append(entry)
        return entry

    def _fork_seq(self, author: str) -> int:
        pair = self._forks.get(author)
        return UNBOUNDED if pair is None else pair[0].seq
