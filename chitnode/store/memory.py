"""An in-memory `Store`: the same answers as the SQLite store, from dicts, with no disk.

For exercising the fold engine and the node without a file system, and as the
second implementation the store contract suite holds to the same answers
(tests/chitnode/store/test_store_contract.py). Lookups scan where SQLite has an
index: it is meant for logs of test size, not for a branch's history.

A transaction copies the tables when it begins and puts the copy back if the block
raises; records are immutable tuples, so a shallow copy of each table is enough.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chitnode.errors import NotInitialised, UsageError
from chitnode.log.canonical import encode_checked
from chitnode.log.entry import Entry, parse_entry
from chitnode.store.api import (
    ANY_ENTRY,
    FROZEN,
    FROZEN_CODE,
    HELD,
    HELD_CODE,
    NO_CODE,
    PENDING,
    CommandRecord,
    EntryFilter,
    FeedLine,
    Fork,
    OutcomeLine,
    Placement,
    ProjectionWrite,
    Store,
    StoreConflict,
    StoredEntry,
    StoredLine,
    check_projection_table,
)


@dataclass(slots=True)
class _Tables:
    meta: dict[str, str] = field(default_factory=dict)
    entries: dict[tuple[str, int], StoredEntry] = field(default_factory=dict)
    forks: dict[str, Fork] = field(default_factory=dict)  # by hash
    commands: dict[str, CommandRecord] = field(default_factory=dict)
    projections: dict[str, dict[str, str]] = field(default_factory=dict)  # JSON text, as stored

    def copy(self) -> _Tables:
        return replace(
            self,
            meta=dict(self.meta),
            entries=dict(self.entries),
            forks=dict(self.forks),
            commands=dict(self.commands),
            projections={t: dict(rows) for t, rows in self.projections.items()},
        )


class MemoryStore:
    """A `Store` held in this process; `data_dir` is the folder given, if any."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self._data_dir = data_dir
        self._t = _Tables()
        self._in_transaction = False
        self.before_commit: list[Callable[[], None]] = []

    @property
    def data_dir(self) -> Path:
        if self._data_dir is None:
            raise NotInitialised("this in-memory store was given no data folder")
        return self._data_dir

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_transaction:
            raise UsageError("a transaction is already open on this store")
        saved = self._t.copy()
        self._in_transaction = True
        try:
            yield
            for hook in self.before_commit:
                hook()
        except BaseException:
            self._t = saved
            raise
        finally:
            self._in_transaction = False

    def close(self) -> None:
        self.before_commit.clear()

    # --- meta ---------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        return self._t.meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self._t.meta[key] = value

    # --- writing the log ------------------------------------------------------------

    def insert_entry(
        self, entry: Entry, actor: str, placed: tuple[int, str, str] | None = None
    ) -> None:
        key = (entry.author, entry.seq)
        if key in self._t.entries:
            raise StoreConflict(f"{entry.author} #{entry.seq} is already stored")
        pos, status, code = placed or (None, PENDING, NO_CODE)
        self._t.entries[key] = StoredEntry(
            entry.author,
            entry.seq,
            entry.hash,
            entry.prev,
            entry.ts,
            entry.kind,
            actor,
            entry.raw.decode(),
            pos,
            status,
            code,
        )

    def insert_fork(self, entry: Entry, freeze_seq: int) -> None:
        self._t.forks.setdefault(
            entry.hash,
            Fork(entry.hash, entry.author, entry.seq, freeze_seq, entry.raw.decode()),
        )

    def to_evidence(self, entry: Entry, freeze_seq: int) -> None:
        self.insert_fork(entry, freeze_seq)
        row = self._t.entries.get((entry.author, entry.seq))
        if row is not None and row.hash == entry.hash:
            del self._t.entries[(entry.author, entry.seq)]

    def to_main_chain(self, entry: Entry, actor: str) -> None:
        self.insert_entry(entry, actor)
        self._t.forks.pop(entry.hash, None)

    def set_outcomes(self, rows: list[Placement]) -> None:
        for pos, status, code, author, seq in rows:
            self._update((author, seq), pos=pos, status=status, code=code)

    def unplace(self, keys: list[tuple[str, int]]) -> None:
        for key in keys:
            self._update(key, pos=None, status=PENDING)

    def freeze_feed(self, author: str, from_seq: int) -> None:
        for key in self._keys(lambda e: e.author == author and e.seq >= from_seq):
            self._update(key, pos=None, status=FROZEN, code=FROZEN_CODE)

    def hold_unplaced(self) -> None:
        for key in self._keys(lambda e: e.pos is None and e.status in (PENDING, HELD)):
            self._update(key, status=HELD, code=HELD_CODE)

    def forget_placements(self) -> None:
        for key in list(self._t.entries):
            self._update(key, pos=None, status=PENDING, code=NO_CODE)

    def _update(self, key: tuple[str, int], **changes: Any) -> None:
        row = self._t.entries.get(key)
        if row is not None:  # as an UPDATE that matches no row
            self._t.entries[key] = row._replace(**changes)

    def _keys(self, keep: Callable[[StoredEntry], bool]) -> list[tuple[str, int]]:
        return [k for k, e in self._t.entries.items() if keep(e)]

    # --- reading one entry ----------------------------------------------------------

    def entry_at(self, author: str, seq: int) -> Entry | None:
        row = self._t.entries.get((author, seq))
        return None if row is None else parse_entry(row.raw.encode())

    def hash_at(self, author: str, seq: int) -> str | None:
        row = self._t.entries.get((author, seq))
        return None if row is None else row.hash

    def pos_of(self, author: str, seq: int) -> int | None:
        row = self._t.entries.get((author, seq))
        return None if row is None else row.pos

    def outcome_of(self, author: str, seq: int) -> tuple[str, str] | None:
        row = self._t.entries.get((author, seq))
        return None if row is None else (row.status, row.code)

    def has(self, entry: Entry) -> bool:
        return self.hash_at(entry.author, entry.seq) == entry.hash or entry.hash in self._t.forks

    # --- reading feeds and the order ------------------------------------------------

    def authors(self) -> list[str]:
        return sorted({author for author, _ in self._t.entries})

    def last_stored(self, author: str) -> tuple[int, str] | None:
        seqs = [seq for a, seq in self._t.entries if a == author]
        return None if not seqs else self._seq_hash((author, max(seqs)))

    def heads(self) -> dict[str, tuple[int, str]]:
        return self._highest(lambda e: True)

    def placed_heads(self) -> dict[str, tuple[int, str]]:
        return self._highest(lambda e: e.pos is not None)

    def _highest(self, keep: Callable[[StoredEntry], bool]) -> dict[str, tuple[int, str]]:
        top: dict[str, int] = {}
        for author, seq in self._keys(keep):
            top[author] = max(seq, top.get(author, seq))
        return {author: self._seq_hash((author, seq)) for author, seq in sorted(top.items())}

    def _seq_hash(self, key: tuple[str, int]) -> tuple[int, str]:
        row = self._t.entries[key]
        return row.seq, row.hash

    def feed(self, author: str, from_seq: int) -> Iterator[FeedLine]:
        rows = self._sorted(lambda e: e.author == author and e.seq >= from_seq, by_pos=False)
        return iter([(row.seq, row.raw) for row in rows])

    def stored_lines(self, author: str | None = None, from_seq: int = 1) -> Iterator[StoredLine]:
        keys = sorted(k for k in self._t.entries if author in (None, k[0]) and k[1] >= from_seq)
        rows = (self._t.entries[k] for k in keys)
        return iter([(e.author, e.seq, e.hash, e.raw.encode()) for e in rows])

    def fork_lines(self) -> list[StoredLine]:
        return [(f.author, f.seq, f.hash, f.raw.encode()) for f in self.forks()]

    def authors_to_place(self, start: int) -> list[str]:
        return sorted({e.author for e in self._entries() if e.pos is None or e.pos >= start})

    def first_placed_pos(self, author: str, from_seq: int) -> int | None:
        found = [
            e.pos
            for e in self._entries()
            if e.author == author and e.seq >= from_seq and e.pos is not None
        ]
        return min(found, default=None)

    def placed_keys_from(self, start: int) -> list[tuple[str, int]]:
        rows = self._sorted(lambda e: e.pos is not None and e.pos >= start, by_pos=True)
        return [(row.author, row.seq) for row in rows]

    def placed_seqs_before(self, start: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self._entries():
            if e.pos is not None and e.pos < start:
                out[e.author] = max(e.seq, out.get(e.author, e.seq))
        return out

    def placed_outcomes(self) -> Iterator[OutcomeLine]:
        rows = self._sorted(lambda e: e.pos is not None, by_pos=False)
        return iter([(e.author, e.seq, e.hash, e.status, e.code) for e in rows])

    def placed_entries(
        self, *, kinds: Collection[str] | None = None, status: str | None = None
    ) -> Iterator[StoredEntry]:
        wanted = None if kinds is None else frozenset(kinds)
        return iter(
            self._sorted(
                lambda e: (
                    e.pos is not None
                    and (status is None or e.status == status)
                    and (wanted is None or e.kind in wanted)
                ),
                by_pos=True,
            )
        )

    def latest_placed(self, limit: int, match: EntryFilter = ANY_ENTRY) -> list[StoredEntry]:
        rows = self._sorted(lambda e: e.pos is not None and match.matches(e), by_pos=True)
        return rows[max(0, len(rows) - limit) :] if limit > 0 else []

    def _entries(self) -> Iterator[StoredEntry]:
        return iter(self._t.entries.values())

    def _sorted(self, keep: Callable[[StoredEntry], bool], *, by_pos: bool) -> list[StoredEntry]:
        rows = [e for e in self._entries() if keep(e)]
        if by_pos:
            return sorted(rows, key=lambda e: e.pos or 0)  # only placed rows are sorted by pos
        return sorted(rows, key=lambda e: (e.author, e.seq))

    # --- counting -------------------------------------------------------------------

    def count(self, *, kind: str | None = None, status: str | None = None) -> int:
        return sum(
            1
            for e in self._entries()
            if (kind is None or e.kind == kind) and (status is None or e.status == status)
        )

    def placed_count(self) -> int:
        return sum(1 for e in self._entries() if e.pos is not None)

    def held_count(self) -> int:
        return sum(1 for e in self._entries() if e.pos is None and e.status == HELD)

    def any_unplaced(self) -> bool:
        return any(e.pos is None for e in self._entries())

    def status_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for e in self._entries():
            counts[e.status] = counts.get(e.status, 0) + 1
        return counts

    # --- forks ----------------------------------------------------------------------

    def forks(self) -> list[Fork]:
        return sorted(self._t.forks.values(), key=lambda f: (f.author, f.seq, f.hash))

    def frozen_from(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for fork in self._t.forks.values():
            out[fork.author] = min(fork.freeze_seq, out.get(fork.author, fork.freeze_seq))
        return out

    # --- commands -------------------------------------------------------------------

    def command(self, cmd_id: str) -> CommandRecord | None:
        return self._t.commands.get(cmd_id)

    def put_command(self, cmd_id: str, entry: Entry) -> None:
        if cmd_id in self._t.commands:
            raise StoreConflict(f"command {cmd_id} is already recorded")
        self._t.commands[cmd_id] = CommandRecord(entry.author, entry.seq, entry.hash)

    # --- projections ----------------------------------------------------------------

    def write_projections(self, rows: list[ProjectionWrite]) -> None:
        for table, key, value in rows:
            stored = self._t.projections.setdefault(check_projection_table(table), {})
            if value is None:
                stored.pop(key, None)
            else:  # encoded as SQLite keeps it, so a row reads back exactly as from disk
                stored[key] = encode_checked(value).decode()

    def load_projections(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            table: {key: json.loads(text) for key, text in rows.items()}
            for table, rows in sorted(self._t.projections.items())
            if rows
        }

    def drop_projections(self) -> None:
        for rows in self._t.projections.values():
            rows.clear()


if TYPE_CHECKING:  # mypy holds this store to every question of the protocol

    def _as_store(store: MemoryStore) -> Store:
        return store
