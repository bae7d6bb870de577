"""Hand-built feeds for fold tests: signed entries without a Node (no key store, no lock),
and a bare fold engine on either store to fold them into."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from chitnode.log.entry import ZERO_HASH, Entry, seal_entry
from chitnode.node.fold import FoldEngine
from chitnode.store.api import Store
from chitnode.store.memory import MemoryStore
from chitnode.store.sqlite import SqliteStore

BRANCH = "601d86286ef22c0e6f917f2cc45796e5"


@dataclass
class Feed:
    """One author's feed; `write` appends a signed entry with the given deps."""

    key: SigningKey
    entries: list[Entry] = field(default_factory=list)
    ts: int = 1_767_225_600_000

    @property
    def public(self) -> str:
        return self.key.verify_key.encode().hex()

    def write(
        self,
        kind: str,
        body: dict[str, Any],
        deps: list[Entry] = (),
        ts: int | None = None,
        seq: int | None = None,
        prev: str | None = None,
    ) -> Entry:  # type: ignore[assignment]
        self.ts = ts if ts is not None else self.ts + 1000
        last = self.entries[-1] if self.entries else None
        entry = seal_entry(
            self.key,
            branch=BRANCH,
            seq=seq if seq is not None else (last.seq + 1 if last else 1),
            prev=prev if prev is not None else (last.hash if last else ZERO_HASH),
            ts=self.ts,
            deps=tuple(sorted((d.author, d.seq, d.hash) for d in deps)),
            kind=kind,
            body=body,
        )
        if seq is None:
            self.entries.append(entry)
        return entry


def seeded_key(n: int) -> SigningKey:
    return SigningKey(bytes([n]) * 32)


def founded(branch_name: str = "Test") -> Feed:
    root = Feed(seeded_key(1))
    root.write("branch.genesis", {"branch_name": branch_name, "root": root.public})
    return root


def enrol(root: Feed, other: Feed, role: str, deps: list[Entry] = ()) -> Entry:  # type: ignore[assignment]
    return root.write(
        "device.enrolled", {"key": other.public, "role": role, "name": f"{role} device"}, deps
    )


@contextmanager
def engine_at(path: Path, kind: str = "sqlite") -> Iterator[FoldEngine]:
    """A fold engine of branch BRANCH: on SQLite in `path` (new, or reopened), or "memory"."""
    store: Store = SqliteStore.open(path, create=True) if kind == "sqlite" else MemoryStore()
    if store.meta("branch") is None:
        with store.transaction():
            store.set_meta("branch", BRANCH)
    engine = FoldEngine(store)
    engine.load()
    try:
        yield engine
    finally:
        store.close()


def ingest(engine: FoldEngine, entries: list[Entry]) -> None:
    """Fold `entries` in one transaction, as an import does."""
    with engine.store.transaction():
        engine.ingest(entries)


def outcome(engine: FoldEngine, entry: Entry) -> tuple[str, str] | None:
    """The stored (status, code) of `entry`, once its stored hash is checked to be its own."""
    assert engine.store.hash_at(entry.author, entry.seq) == entry.hash
    return engine.store.outcome_of(entry.author, entry.seq)


def twin_of(key: SigningKey, entry: Entry, body: dict[str, Any]) -> Entry:
    """A second entry signed by `key` at `entry`'s seq, after its prev: a forged fork."""
    return seal_entry(
        key,
        branch=entry.branch,
        seq=entry.seq,
        prev=entry.prev,
        ts=entry.ts + 7,
        deps=entry.deps,
        kind=entry.kind,
        body=body,
    )
