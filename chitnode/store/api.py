"""The store's API: the named questions the engine, node, services and CLI may ask.

Nothing outside `chitnode/store/` runs SQL. Callers hold a `Store` (this
protocol) and ask it for an entry, a feed, the heads, the held count...; the
SQLite store (`sqlite.py`) answers each with one fixed, parametrised statement,
and the in-memory store (`memory.py`) answers the same questions from dicts, so
the fold engine can run without a disk. One contract suite
(tests/chitnode/store/test_store_contract.py) holds both to the same answers.

Every write happens inside `transaction()`; nothing is acknowledged before it
commits (G7), and an exception rolls every write of the block back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from chitnode.errors import ChitError
from chitnode.log.entry import Entry

# An entry's status in the store. `applied`/`rejected` are the fold's outcomes
# (chitnode/domain/apply.py); these three are the store's own for unplaced entries.
PENDING = "pending"  # stored, not yet folded
HELD = "held"  # waits for a dep (or its own seq-1) that is not stored
FROZEN = "frozen"  # its author forked at or before it: never placed
HELD_CODE = "waiting_for_deps"
FROZEN_CODE = "fork"
NO_CODE = ""  # the code of an applied or pending entry

# A projection table is named by a reducer's constant ("groups", "loan_repayments"):
# the store splices that name into its statements, so it must be a plain lower-case
# identifier. New kinds add tables, so the list is a rule rather than an enumeration.
PROJECTION_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,47}")


class StoreConflict(ChitError):
    """A write would replace a stored entry or command: the engine checks first, so a bug."""

    code = "store_conflict"


class UnknownTable(ChitError):
    """A projection table name that is not a plain lower-case identifier."""

    code = "unknown_table"


def check_projection_table(table: str) -> str:
    """`table` if it may name a projection table; raise UnknownTable otherwise."""
    if not PROJECTION_TABLE_NAME.fullmatch(table):
        raise UnknownTable(f"not a projection table name: {table!r}")
    return table


class StoredEntry(NamedTuple):
    """One row of the log as stored: the entry's fields, its raw line and its fold outcome."""

    author: str
    seq: int
    hash: str
    prev: str
    ts: int
    kind: str
    actor: str  # who the entry acts for (body.actor), else its author
    raw: str  # the canonical line, as signed
    pos: int | None  # place in the fold order; None while held, frozen or pending
    status: str  # applied | rejected | pending | held | frozen
    code: str


class Fork(NamedTuple):
    """Evidence of equivocation: a validly signed entry that conflicts with a stored one."""

    hash: str
    author: str
    seq: int
    freeze_seq: int  # the author is frozen from this seq
    raw: str


class CommandRecord(NamedTuple):
    """The entry a command id was written as (exactly-once, G3)."""

    author: str
    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """Which placed entries a log listing shows; a None field matches every entry."""

    actor: str | None = None  # the entry's actor, or its author
    kind: str | None = None
    since_ms: int | None = None  # ts at or after
    until_ms: int | None = None  # ts at or before
    kind_prefix: str | None = None  # kinds starting so ("loan." for every loan kind)
    before_pos: int | None = None  # placed before this position: the next page, newest first

    def matches(self, row: StoredEntry) -> bool:
        return (
            (self.actor is None or self.actor in (row.actor, row.author))
            and (self.kind is None or row.kind == self.kind)
            and (self.since_ms is None or row.ts >= self.since_ms)
            and (self.until_ms is None or row.ts <= self.until_ms)
            and (self.kind_prefix is None or row.kind.startswith(self.kind_prefix))
            and (self.before_pos is None or (row.pos is not None and row.pos < self.before_pos))
        )


ANY_ENTRY = EntryFilter()

# (seq, raw line) of one feed entry: plain tuples, since a rebuild reads every entry.
FeedLine = tuple[int, str]
# (pos, status, code, author, seq): where the fold placed an entry and what it decided.
Placement = tuple[int | None, str, str, str, int]
# (author, seq, hash, status, code) of a placed entry, for the state digest.
OutcomeLine = tuple[str, int, str, str, str]
# (author, seq, stored hash, raw bytes of the stored text): for re-checking (integrity.py).
StoredLine = tuple[str, int, str, bytes]
# (table, key, row) projection writes; a None row deletes the key.
ProjectionWrite = tuple[str, str, dict[str, Any] | None]


class Store(Protocol):
    """A node's store: the log (entries, forks), command ids, projections, meta."""

    # Called inside every transaction just before COMMIT: the fold engine writes the
    # projection rows its appends changed, so they commit with the entries.
    before_commit: list[Callable[[], None]]

    @property
    def data_dir(self) -> Path:
        """The node's folder (keys and outboxes live next to the store)."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """All writes of the block commit together, or none does (the block raised)."""
        ...

    def close(self) -> None: ...

    # --- meta -------------------------------------------------------------------

    def meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    # --- writing the log --------------------------------------------------------

    def insert_entry(
        self, entry: Entry, actor: str, placed: tuple[int, str, str] | None = None
    ) -> None:
        """Store `entry` (pending, or `placed` = (pos, status, code)); StoreConflict if taken."""
        ...

    def insert_fork(self, entry: Entry, freeze_seq: int) -> None:
        """Keep `entry` as fork evidence (once per hash); its author is frozen from `freeze_seq`."""
        ...

    def to_evidence(self, entry: Entry, freeze_seq: int) -> None:
        """Move stored `entry` off the main chain into the fork evidence (kept, never placed).

        The root's fork resolution drops a line (chitnode/log/forks.py): nothing is deleted.
        """
        ...

    def to_main_chain(self, entry: Entry, actor: str) -> None:
        """Move fork evidence `entry` onto the main chain, pending: the line a resolution kept."""
        ...

    def set_outcomes(self, rows: list[Placement]) -> None:
        """Record where the fold placed entries and what it decided."""
        ...

    def unplace(self, keys: list[tuple[str, int]]) -> None:
        """Take (author, seq) entries out of the order: pending again, code kept."""
        ...

    def freeze_feed(self, author: str, from_seq: int) -> None:
        """Take `author`'s entries from `from_seq` out of the order as frozen (fork)."""
        ...

    def hold_unplaced(self) -> None:
        """Mark every unplaced pending or held entry as held, waiting for deps."""
        ...

    def forget_placements(self) -> None:
        """Every entry back to pending and unplaced (a rebuild folds them again)."""
        ...

    # --- reading one entry --------------------------------------------------------

    def entry_at(self, author: str, seq: int) -> Entry | None: ...

    def hash_at(self, author: str, seq: int) -> str | None: ...

    def pos_of(self, author: str, seq: int) -> int | None:
        """Where (author, seq) sits in the fold order; None if unplaced or not stored."""
        ...

    def outcome_of(self, author: str, seq: int) -> tuple[str, str] | None:
        """(status, code) of a stored entry."""
        ...

    def has(self, entry: Entry) -> bool:
        """Whether `entry` itself (same hash) is stored, as an entry or as fork evidence."""
        ...

    # --- reading feeds and the order ----------------------------------------------

    def authors(self) -> list[str]:
        """Every author with a stored entry, sorted."""
        ...

    def last_stored(self, author: str) -> tuple[int, str] | None:
        """(seq, hash) of `author`'s highest stored entry; None for an empty feed."""
        ...

    def heads(self) -> dict[str, tuple[int, str]]:
        """Each feed's highest stored entry: (seq, hash)."""
        ...

    def placed_heads(self) -> dict[str, tuple[int, str]]:
        """Each feed's highest placed entry: (seq, hash)."""
        ...

    def feed(self, author: str, from_seq: int) -> Iterator[FeedLine]:
        """`author`'s stored entries from `from_seq`, ascending, read in bounded batches."""
        ...

    def stored_lines(self, author: str | None = None, from_seq: int = 1) -> Iterator[StoredLine]:
        """Every stored entry (or `author`'s from `from_seq`) as its row keeps it, in
        (author, seq) order: the text as bytes, never decoded (it may have been edited)."""
        ...

    def fork_lines(self) -> list[StoredLine]:
        """Every kept fork twin as its row keeps it, text as bytes."""
        ...

    def authors_to_place(self, start: int) -> list[str]:
        """Authors with entries not yet placed, or placed at or after `start`, sorted."""
        ...

    def first_placed_pos(self, author: str, from_seq: int) -> int | None:
        """The lowest position of `author`'s placed entries from `from_seq` on."""
        ...

    def placed_keys_from(self, start: int) -> list[tuple[str, int]]:
        """(author, seq) of the entries placed at `start` or later, in fold order."""
        ...

    def placed_seqs_before(self, start: int) -> dict[str, int]:
        """Each author's highest seq placed before position `start`."""
        ...

    def placed_outcomes(self) -> Iterator[OutcomeLine]:
        """Every placed entry's outcome, by author then seq."""
        ...

    def placed_entries(
        self, *, kinds: Collection[str] | None = None, status: str | None = None
    ) -> Iterator[StoredEntry]:
        """Placed entries (of `kinds`, with `status`, when given) in fold order, batched."""
        ...

    def latest_placed(self, limit: int, match: EntryFilter = ANY_ENTRY) -> list[StoredEntry]:
        """The last `limit` placed entries that `match`, in fold order."""
        ...

    # --- counting -----------------------------------------------------------------

    def count(self, *, kind: str | None = None, status: str | None = None) -> int:
        """Stored entries (of `kind`, with `status`, when given)."""
        ...

    def placed_count(self) -> int: ...

    def held_count(self) -> int: ...

    def any_unplaced(self) -> bool: ...

    def status_counts(self) -> dict[str, int]:
        """Stored entries by status (statuses with none are absent)."""
        ...

    # --- forks ----------------------------------------------------------------------

    def forks(self) -> list[Fork]:
        """All fork evidence, by author, seq, hash."""
        ...

    def frozen_from(self) -> dict[str, int]:
        """Each forked author's lowest freeze seq."""
        ...

    # --- commands (node-local exactly-once, G3) -------------------------------------

    def command(self, cmd_id: str) -> CommandRecord | None: ...

    def put_command(self, cmd_id: str, entry: Entry) -> None:
        """Record that `cmd_id` was written as `entry`; StoreConflict if the id is taken."""
        ...

    # --- projections ----------------------------------------------------------------

    def write_projections(self, rows: list[ProjectionWrite]) -> None:
        """Write (table, key, row) rows; a None row deletes the key."""
        ...

    def load_projections(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Every non-empty projection table: {table: {key: row}}."""
        ...

    def drop_projections(self) -> None:
        """Empty every projection table (a rebuild writes them again)."""
        ...
