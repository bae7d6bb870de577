"""The SQLite store of one node: entries, fork evidence, projections, local tables.

`journal_mode=WAL`, `synchronous=FULL`, every write in `BEGIN IMMEDIATE`: an
append is acknowledged only after its transaction has committed (G7). Schema is
created through sqlite-utils, except the WITHOUT ROWID `commands` table (which it
cannot declare); hot paths use plain SQL on the same connection.

`SqliteStore` implements the `Store` protocol of `api.py`: each question is one
fixed statement with parameters. A projection table's name is the one part that
varies; it is spliced in only after `check_projection_table` accepts it.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import sqlite_utils

from chitnode import limits
from chitnode.errors import ChitError, NotInitialised, StoreCorrupt
from chitnode.log.canonical import encode_checked
from chitnode.log.entry import Entry, parse_entry
from chitnode.store.ack import (
    ACK_FILE,
    Ack,
    AckWriter,
    BadAck,
    LostWrites,
    check_ack,
    read_ack,
)
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
    StoreConflict,
    StoredEntry,
    StoredLine,
    check_projection_table,
)
from chitnode.store.failures import (
    RESTORE_ADVICE,
    StoreDamaged,
    folder_error,
    store_error,
)
from chitnode.store.keys import KEY_FILE, KeyExists
from chitnode.store.lock import LOCK_FILE, PID_FILE, PRIVATE_FILE_MODE, WriterLock

DB_FILE = "chitnode.db"
_log = logging.getLogger(__name__)
DEVICE_KEY_META = "device_key"  # meta key of this device's public key (hex)
PRIVATE_FOLDER_MODE = 0o700  # a data folder chitnode creates is its owner's alone
# Files of the store tightened to 0600 on open, if an older chitnode left them wider.
PRIVATE_FILES = (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", LOCK_FILE, PID_FILE, ACK_FILE)
# 4: entry bodies and projection rows name their units (`*_paise`, `*_bps`, `*_ms`); a
# schema-3 store's entries say `amount`, `chit_value`, ... and this chitnode cannot fold them.
SCHEMA_VERSION = "4"
PROJECTION_PREFIX = "p_"
# Each feed's highest seq placed before position ?1, with its hash. Per feed through the
# primary key (author, seq): a skip-scan finds the authors with one index seek each, and an
# author's placed entries are its first ones with increasing pos, so the first one found
# walking down its seqs is the answer. A GROUP BY over the placed rows read the whole
# table, on every re-fold (quadratic in the log: docs/performance.md, issue 10).
_PLACED_HEADS_BEFORE = (
    "WITH RECURSIVE each_author(author) AS (SELECT min(author) FROM entries UNION ALL"
    " SELECT (SELECT min(author) FROM entries WHERE author > each_author.author)"
    " FROM each_author WHERE each_author.author IS NOT NULL)"
    " SELECT e.author, e.seq, e.hash FROM each_author a JOIN entries e"
    " ON e.author = a.author AND e.seq = (SELECT seq FROM entries"
    "  WHERE author = a.author AND pos < ?1 ORDER BY seq DESC LIMIT 1)"
)
_EVERY_POS = 2**63 - 1  # SQLite's largest integer: above every position, "placed at all"


def schema_refusal(found: str | None, data_dir: Path) -> str:
    """Why a store of another schema is refused, and what to do about it."""
    if found is not None and found.isdigit() and int(found) < int(SCHEMA_VERSION):
        return (
            f"this store was written by an older chitnode (schema {found}; this one reads "
            f"{SCHEMA_VERSION}, whose entries name their units: amount_paise, annual_rate_bps, "
            f"..._ms). Move {data_dir} aside and re-create the demo with "
            f"`chitnode --data {data_dir} demo`, or found a new branch with `chitnode init`"
        )
    return f"this store has schema {found}; this chitnode reads only schema {SCHEMA_VERSION}"


class SqliteStore:
    """Opened with `SqliteStore.open(dir)`; holds the folder's writer lock until `close()`."""

    def __init__(self, data_dir: Path, conn: sqlite3.Connection, lock: WriterLock) -> None:
        self.data_dir = data_dir
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self._lock = lock
        # Called inside every transaction just before COMMIT: the fold engine writes the
        # projection rows its appends changed, so they commit with the entries.
        self.before_commit: list[Callable[[], None]] = []
        # head.ack (ack.py): this device's key, its recorded head, the own entry with the
        # highest seq stored by the open transaction, and what open found missing.
        self._device: str | None = None
        self._ack: Ack | None = None
        self._own_stored: tuple[int, str] | None = None
        self.lost_writes: ChitError | None = None  # LostWrites, or BadAck
        self._ack_writer = AckWriter(data_dir)

    @classmethod
    def open(cls, data_dir: Path | str, *, create: bool = False) -> SqliteStore:
        """Open the store in `data_dir` and hold its writer lock; `create` founds one there."""
        data_dir = Path(data_dir)
        try:
            return cls._open(data_dir, create)
        except OSError as exc:  # the folder itself: a file in the way, read-only, full
            raise folder_error(data_dir, exc) from exc

    @classmethod
    def _open(cls, data_dir: Path, create: bool) -> SqliteStore:
        _check_is_folder(data_dir)
        if not create and not (data_dir / DB_FILE).exists():
            _refuse_missing(data_dir)
        if create:
            data_dir.mkdir(PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
        lock = WriterLock(data_dir)
        lock.acquire()
        try:
            _check_before_connect(data_dir, create)
            conn = _connect(data_dir / DB_FILE, create)
            store = cls(data_dir, conn, lock)
            store._ensure_schema(create)
            store._check_acknowledged()
        except BaseException:
            lock.release()
            raise
        return store

    def close(self) -> None:
        self._ack_writer.close()  # the last head record is written while the lock is held
        self.conn.close()  # closing may checkpoint, a write: still under the lock
        self._lock.release()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT; nothing is acknowledged before the COMMIT returns."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                for hook in self.before_commit:
                    hook()
            except BaseException:
                self.conn.execute("ROLLBACK")
                self.__dict__.pop("_known", None)  # tables created in the transaction are gone too
                self._own_stored = None
                raise
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:  # busy past the timeout, disk full, read-only...
            self._own_stored = None
            mapped = store_error(exc, self.data_dir)
            if mapped is None:
                raise
            raise mapped from exc
        own, self._own_stored = self._own_stored, None
        if own is not None:
            self._acknowledge(own)

    # --- schema -------------------------------------------------------------------

    def _ensure_schema(self, create: bool) -> None:
        if "entries" in self.db.table_names():
            found = self.meta("schema_version")
            if found != SCHEMA_VERSION:
                raise StoreCorrupt(schema_refusal(found, self.data_dir))
            return
        if not create:  # never write a schema into a file that should have held one
            raise StoreDamaged(
                f"{self.data_dir / DB_FILE} holds no chitnode store: this store is empty or "
                f"damaged. Do not run `chitnode init` over it; {RESTORE_ADVICE}"
            )
        with self.transaction():
            self.db.table("meta").create({"key": str, "value": str}, pk="key")
            self.db.table("entries").create(
                {
                    "author": str,
                    "seq": int,
                    "hash": str,
                    "prev": str,
                    "ts": int,
                    "kind": str,
                    "actor": str,
                    "raw": str,
                    "pos": int,
                    "status": str,
                    "code": str,
                },
                pk=("author", "seq"),
                not_null={"author", "seq", "hash", "raw", "status"},
            )
            # No index on `hash`: the hash covers author and seq, so (author, seq) finds it.
            self.db.table("entries").create_index(["pos"])
            self.db.table("forks").create(
                {"hash": str, "author": str, "seq": int, "freeze_seq": int, "raw": str}, pk="hash"
            )
            # WITHOUT ROWID: the key is the table, so an insert dirties one b-tree fewer
            # (every page a commit writes is one more its fsync must flush). Only for
            # small rows: the b-tree's inner pages hold whole rows, so an entry's
            # 600-byte line would make them shallow-fanned (a 1M rebuild ran 3x slower).
            self.conn.execute(
                "CREATE TABLE commands (cmd_id TEXT PRIMARY KEY, author TEXT, seq INTEGER,"
                " hash TEXT) WITHOUT ROWID"
            )
            self.db.table("meta").insert({"key": "schema_version", "value": SCHEMA_VERSION})

    # --- meta ---------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))
        if key == DEVICE_KEY_META:
            self._device = value

    # --- this device's acknowledged head (ack.py) ------------------------------------

    @property
    def acknowledged(self) -> Ack | None:
        """This device's head as last recorded in head.ack (None: no record)."""
        return self._ack

    def _check_acknowledged(self) -> None:
        """Note `lost_writes` if the database lacks the own head recorded in head.ack.

        Reads go on (the warning is logged, for the CLI to print); own writes are refused.
        """
        self._device = self.meta(DEVICE_KEY_META)
        try:
            self._ack = read_ack(self.data_dir)
        except BadAck as exc:  # cannot tell what was acknowledged: as careful as a loss
            self.lost_writes = exc
        if self._ack is not None:
            self._recheck_ack()
        if self.lost_writes is not None:
            _log.warning("[%s]: %s", self.lost_writes.code, self.lost_writes.message)

    def _recheck_ack(self) -> None:
        ack = self._ack
        assert ack is not None
        own = self._device or ack.author
        try:
            check_ack(ack, self._device, self.last_stored(own), self.hash_at(ack.author, ack.seq))
            self.lost_writes = None
        except LostWrites as exc:
            self.lost_writes = exc

    def _acknowledge(self, head: tuple[int, str]) -> None:
        """After a COMMIT that stored own entries: record the new head, never an older one."""
        if self._device is None or isinstance(self.lost_writes, BadAck):
            return  # an unreadable record stays until an operator removes it (ack.py)
        ack = self._ack  # a re-keyed device (fork rekey) starts a feed of its own
        if ack is None or ack.author != self._device or head[0] > ack.seq:
            self._ack = Ack(self._device, head[0], head[1])
            self._ack_writer.put(self._ack)
        if self.lost_writes is not None:  # an import may have brought the lost entries back
            self._recheck_ack()

    # --- writing the log ------------------------------------------------------------

    def insert_entry(
        self, entry: Entry, actor: str, placed: tuple[int, str, str] | None = None
    ) -> None:
        """Store `entry`; `placed` is its (pos, status, code) when already folded."""
        pos, status, code = placed or (None, PENDING, NO_CODE)
        if entry.author == self._device and (
            self._own_stored is None or entry.seq > self._own_stored[0]
        ):
            self._own_stored = (entry.seq, entry.hash)
        try:
            self.conn.execute(
                "INSERT INTO entries(author, seq, hash, prev, ts, kind, actor, raw, pos, status,"
                " code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
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
                ),
            )
        except sqlite3.IntegrityError as exc:
            if not _key_taken(exc):
                raise
            raise StoreConflict(f"{entry.author} #{entry.seq} is already stored") from exc

    def insert_fork(self, entry: Entry, freeze_seq: int) -> None:
        """Keep `entry` as evidence of equivocation; its author is frozen from `freeze_seq`."""
        self.conn.execute(
            "INSERT OR IGNORE INTO forks(hash, author, seq, freeze_seq, raw)"
            " VALUES (?, ?, ?, ?, ?)",
            (entry.hash, entry.author, entry.seq, freeze_seq, entry.raw.decode()),
        )

    def to_evidence(self, entry: Entry, freeze_seq: int) -> None:
        self.insert_fork(entry, freeze_seq)
        self.conn.execute(
            "DELETE FROM entries WHERE author = ? AND seq = ? AND hash = ?",
            (entry.author, entry.seq, entry.hash),
        )

    def to_main_chain(self, entry: Entry, actor: str) -> None:
        self.insert_entry(entry, actor)
        self.conn.execute("DELETE FROM forks WHERE hash = ?", (entry.hash,))

    def set_outcomes(self, rows: list[Placement]) -> None:
        """rows: (pos, status, code, author, seq)."""
        self.conn.executemany(
            "UPDATE entries SET pos = ?, status = ?, code = ? WHERE author = ? AND seq = ?", rows
        )

    def unplace(self, keys: list[tuple[str, int]]) -> None:
        self.conn.executemany(
            "UPDATE entries SET pos = NULL, status = ? WHERE author = ? AND seq = ?",
            [(PENDING, author, seq) for author, seq in keys],
        )

    def freeze_feed(self, author: str, from_seq: int) -> None:
        self.conn.execute(
            "UPDATE entries SET pos = NULL, status = ?, code = ? WHERE author = ? AND seq >= ?",
            (FROZEN, FROZEN_CODE, author, from_seq),
        )

    def hold_unplaced(self) -> None:
        # `pos IS NULL` first: the pos index finds the unplaced rows without a scan
        self.conn.execute(
            "UPDATE entries SET status = ?, code = ? WHERE pos IS NULL AND status IN (?, ?)",
            (HELD, HELD_CODE, PENDING, HELD),
        )

    def forget_placements(self) -> None:
        self.conn.execute("UPDATE entries SET pos = NULL, status = ?, code = ?", (PENDING, NO_CODE))

    # --- reading one entry ----------------------------------------------------------

    def hash_at(self, author: str, seq: int) -> str | None:
        row = self.conn.execute(
            "SELECT hash FROM entries WHERE author = ? AND seq = ?", (author, seq)
        ).fetchone()
        return None if row is None else str(row[0])

    def has(self, entry: Entry) -> bool:
        """Whether `entry` itself (same hash) is stored, as an entry or as fork evidence."""
        if self.hash_at(entry.author, entry.seq) == entry.hash:
            return True
        row = self.conn.execute("SELECT 1 FROM forks WHERE hash = ?", (entry.hash,)).fetchone()
        return row is not None

    def entry_at(self, author: str, seq: int) -> Entry | None:
        row = self.conn.execute(
            "SELECT raw FROM entries WHERE author = ? AND seq = ?", (author, seq)
        ).fetchone()
        return None if row is None else parse_entry(row[0].encode())

    def pos_of(self, author: str, seq: int) -> int | None:
        row = self.conn.execute(
            "SELECT pos FROM entries WHERE author = ? AND seq = ?", (author, seq)
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def outcome_of(self, author: str, seq: int) -> tuple[str, str] | None:
        row = self.conn.execute(
            "SELECT status, code FROM entries WHERE author = ? AND seq = ?", (author, seq)
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    # --- reading feeds and the order ------------------------------------------------

    def authors(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT author FROM entries ORDER BY 1")]

    def last_stored(self, author: str) -> tuple[int, str] | None:
        row = self.conn.execute(
            "SELECT seq, hash FROM entries WHERE author = ? ORDER BY seq DESC LIMIT 1", (author,)
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def heads(self) -> dict[str, tuple[int, str]]:
        """Each feed's highest stored entry: (seq, hash)."""
        rows = self.conn.execute(
            "SELECT author, seq, hash FROM entries e WHERE seq = ("
            " SELECT max(seq) FROM entries WHERE author = e.author)"
        )
        return {str(a): (int(s), str(h)) for a, s, h in rows}

    def placed_heads(self) -> dict[str, tuple[int, str]]:
        """Each feed's last placed entry: (seq, hash)."""
        rows = self.conn.execute(_PLACED_HEADS_BEFORE, (_EVERY_POS,))
        return {str(a): (int(s), str(h)) for a, s, h in rows}

    def feed(self, author: str, from_seq: int) -> Iterator[FeedLine]:
        """Stream one author's (seq, raw) from `from_seq` ascending, in bounded batches."""
        seq = from_seq
        while True:
            rows = _plain(
                self.conn.execute(
                    "SELECT seq, raw FROM entries WHERE author = ? AND seq >= ? ORDER BY seq"
                    " LIMIT ?",
                    (author, seq, limits.READ_BATCH_ENTRIES),
                )
            ).fetchall()
            yield from rows
            if len(rows) < limits.READ_BATCH_ENTRIES:
                return
            seq = int(rows[-1][0]) + 1

    def stored_lines(self, author: str | None = None, from_seq: int = 1) -> Iterator[StoredLine]:
        """(author, seq, hash, raw bytes) of every stored entry (or `author`'s from `from_seq`),
        in (author, seq) order, in bounded batches: for re-checking (integrity.py)."""
        after: tuple[str, int] = (author or "", from_seq - 1)
        while True:
            rows: list[StoredLine] = _plain(
                self.conn.execute(
                    "SELECT author, seq, hash, CAST(raw AS BLOB) FROM entries"
                    " WHERE (author, seq) > (?1, ?2) AND (?3 IS NULL OR author = ?3)"
                    " ORDER BY author, seq LIMIT ?4",
                    (*after, author, limits.READ_BATCH_ENTRIES),
                )
            ).fetchall()
            yield from rows
            if len(rows) < limits.READ_BATCH_ENTRIES:
                return
            after = rows[-1][:2]

    def fork_lines(self) -> list[StoredLine]:
        """(author, seq, hash, raw bytes) of every kept fork twin."""
        rows = self.conn.execute(
            "SELECT author, seq, hash, CAST(raw AS BLOB) FROM forks ORDER BY author, seq, hash"
        )
        return [(str(a), int(s), str(h), bytes(r)) for a, s, h, r in rows]

    def authors_to_place(self, start: int) -> list[str]:
        """Authors with entries not yet placed, or placed at or after `start`."""
        rows = self.conn.execute(
            "SELECT DISTINCT author FROM entries WHERE pos IS NULL"
            " UNION SELECT DISTINCT author FROM entries WHERE pos >= ?",
            (start,),
        )
        return sorted(str(r[0]) for r in rows)

    def first_placed_pos(self, author: str, from_seq: int) -> int | None:
        row = self.conn.execute(
            "SELECT min(pos) FROM entries WHERE author = ? AND seq >= ? AND pos IS NOT NULL",
            (author, from_seq),
        ).fetchone()
        return None if row[0] is None else int(row[0])

    def placed_keys_from(self, start: int) -> list[tuple[str, int]]:
        rows = self.conn.execute(
            "SELECT author, seq FROM entries WHERE pos >= ? ORDER BY pos", (start,)
        )
        return [(str(a), int(s)) for a, s in rows]

    def placed_seqs_before(self, start: int) -> dict[str, int]:
        rows = self.conn.execute(_PLACED_HEADS_BEFORE, (start,))
        return {str(a): int(s) for a, s, _ in rows}

    def placed_outcomes(self) -> Iterator[OutcomeLine]:
        rows = self.conn.execute(
            "SELECT author, seq, hash, status, code FROM entries "
            "WHERE pos IS NOT NULL ORDER BY author, seq"
        )
        for author, seq, hash_hex, status, code in rows:
            yield str(author), int(seq), str(hash_hex), str(status), str(code)

    def placed_entries(
        self, *, kinds: Collection[str] | None = None, status: str | None = None
    ) -> Iterator[StoredEntry]:
        """Placed entries (of `kinds`, with `status`) in fold order, in bounded batches."""
        # the kinds go in as one JSON array parameter, so the statement never changes
        wanted = None if kinds is None else json.dumps(sorted(kinds))
        after = -1
        while True:
            rows = self.conn.execute(
                "SELECT author, seq, hash, prev, ts, kind, actor, raw, pos, status, code"
                " FROM entries WHERE pos > ?1 AND (?2 IS NULL OR status = ?2)"
                " AND (?3 IS NULL OR kind IN (SELECT value FROM json_each(?3)))"
                " ORDER BY pos LIMIT ?4",
                (after, status, wanted, limits.READ_BATCH_ENTRIES),
            ).fetchall()
            batch = [StoredEntry(*row) for row in rows]
            yield from batch
            if len(batch) < limits.READ_BATCH_ENTRIES:
                return
            last = batch[-1].pos
            assert last is not None  # the statement reads placed entries only
            after = last

    def latest_placed(self, limit: int, match: EntryFilter = ANY_ENTRY) -> list[StoredEntry]:
        rows = self.conn.execute(
            "SELECT author, seq, hash, prev, ts, kind, actor, raw, pos, status, code"
            " FROM entries WHERE pos IS NOT NULL"
            " AND (?1 IS NULL OR actor = ?1 OR author = ?1)"
            " AND (?2 IS NULL OR kind = ?2)"
            " AND (?3 IS NULL OR ts >= ?3)"
            " AND (?4 IS NULL OR ts <= ?4)"
            " AND (?6 IS NULL OR substr(kind, 1, length(?6)) = ?6)"
            " AND (?7 IS NULL OR pos < ?7)"
            " ORDER BY pos DESC LIMIT ?5",
            (
                match.actor,
                match.kind,
                match.since_ms,
                match.until_ms,
                limit,
                match.kind_prefix,
                match.before_pos,
            ),
        ).fetchall()
        return [StoredEntry(*row) for row in reversed(rows)]

    # --- counting -------------------------------------------------------------------

    def count(self, *, kind: str | None = None, status: str | None = None) -> int:
        if kind is None and status is None:  # SQLite counts a whole table without reading rows
            row = self.conn.execute("SELECT count(*) FROM entries").fetchone()
        else:
            row = self.conn.execute(
                "SELECT count(*) FROM entries"
                " WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR status = ?2)",
                (kind, status),
            ).fetchone()
        return int(row[0])

    def placed_count(self) -> int:
        row = self.conn.execute("SELECT count(*) FROM entries WHERE pos IS NOT NULL").fetchone()
        return int(row[0])

    def held_count(self) -> int:
        # `pos IS NULL` first: the pos index answers without reading every row
        row = self.conn.execute(
            "SELECT count(*) FROM entries WHERE pos IS NULL AND status = ?", (HELD,)
        ).fetchone()
        return int(row[0])

    def any_unplaced(self) -> bool:
        row = self.conn.execute("SELECT 1 FROM entries WHERE pos IS NULL LIMIT 1").fetchone()
        return row is not None

    def status_counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT status, count(*) FROM entries GROUP BY status")
        return {str(s): int(n) for s, n in rows}

    # --- forks ----------------------------------------------------------------------

    def forks(self) -> list[Fork]:
        rows = self.conn.execute(
            "SELECT hash, author, seq, freeze_seq, raw FROM forks ORDER BY author, seq, hash"
        )
        return [Fork(*row) for row in rows]

    def frozen_from(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT author, min(freeze_seq) FROM forks GROUP BY author")
        return {str(a): int(s) for a, s in rows}

    # --- commands (node-local exactly-once, G3) -----------------------------------

    def command(self, cmd_id: str) -> CommandRecord | None:
        row = self.conn.execute(
            "SELECT author, seq, hash FROM commands WHERE cmd_id = ?", (cmd_id,)
        ).fetchone()
        return None if row is None else CommandRecord(str(row[0]), int(row[1]), str(row[2]))

    def put_command(self, cmd_id: str, entry: Entry) -> None:
        if self.lost_writes is not None:  # signing on would fork this device's own feed
            raise self.lost_writes
        try:
            self.conn.execute(
                "INSERT INTO commands(cmd_id, author, seq, hash) VALUES (?, ?, ?, ?)",
                (cmd_id, entry.author, entry.seq, entry.hash),
            )
        except sqlite3.IntegrityError as exc:
            if not _key_taken(exc):
                raise
            raise StoreConflict(f"command {cmd_id} is already recorded") from exc

    # --- projections ----------------------------------------------------------------

    def write_projections(self, rows: list[ProjectionWrite]) -> None:
        """Write (table, key, value) rows in order; a None value deletes the key."""
        by_table: dict[str, dict[str, dict[str, Any] | None]] = {}
        for table, key, value in rows:
            by_table.setdefault(table, {})[key] = value  # a key's last write wins, as in order
        for table, writes in by_table.items():
            sql = self._projection_sql(table)
            deletes = [(key,) for key, value in writes.items() if value is None]
            puts = [
                (key, encode_checked(value).decode())
                for key, value in writes.items()
                if value is not None
            ]
            if deletes:
                self.conn.executemany(sql.delete, deletes)
            if puts:
                self.conn.executemany(sql.put, puts)

    def load_projections(self) -> dict[str, dict[str, dict[str, Any]]]:
        tables: dict[str, dict[str, dict[str, Any]]] = {}
        for table, sql in sorted(self._projections().items()):
            rows = {k: json.loads(v) for k, v in self.conn.execute(sql.load)}
            if rows:
                tables[table] = rows
        return tables

    def drop_projections(self) -> None:
        for _, sql in sorted(self._projections().items()):
            self.conn.execute(sql.clear)

    _known: dict[str, _ProjectionSql]

    def _projections(self) -> dict[str, _ProjectionSql]:
        """The statements of every projection table in the file, by table (read once)."""
        if not hasattr(self, "_known"):
            names = [t for t in self.db.table_names() if t.startswith(PROJECTION_PREFIX)]
            tables = [name[len(PROJECTION_PREFIX) :] for name in names]
            self._known = {t: _ProjectionSql.of(t) for t in tables}
        return self._known

    def _projection_sql(self, table: str) -> _ProjectionSql:
        """`table`'s statements, creating the table the first time it is written."""
        known = self._projections()
        sql = known.get(table)
        if sql is None:
            sql = _ProjectionSql.of(table)
            self.conn.execute(sql.create)
            known[table] = sql
        return sql


@dataclass(frozen=True, slots=True)
class _ProjectionSql:
    """The fixed statements of one projection table, built once from a checked name.

    A table's name cannot be a parameter; it is spliced in only after
    `check_projection_table` has accepted it (a plain lower-case identifier).
    """

    create: str
    put: str
    delete: str
    load: str
    clear: str

    @classmethod
    def of(cls, table: str) -> _ProjectionSql:
        name = PROJECTION_PREFIX + check_projection_table(table)
        return cls(
            create=f'CREATE TABLE IF NOT EXISTS "{name}" (key TEXT PRIMARY KEY,'
            " value TEXT NOT NULL)",
            put=f'INSERT OR REPLACE INTO "{name}"(key, value) VALUES (?, ?)',
            delete=f'DELETE FROM "{name}" WHERE key = ?',
            load=f'SELECT key, value FROM "{name}"',
            clear=f'DELETE FROM "{name}"',
        )


def _plain(cursor: sqlite3.Cursor) -> sqlite3.Cursor:
    """`cursor` fetching plain tuples: cheaper than the connection's sqlite3.Row per row.

    Rows are built as they are fetched, so this applies to a cursor already executed.
    """
    cursor.row_factory = None
    return cursor


def _key_taken(exc: sqlite3.IntegrityError) -> bool:
    """Whether `exc` is a primary key already in use (any other constraint is a bug)."""
    return exc.sqlite_errorcode == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY


def _check_is_folder(data_dir: Path) -> None:
    """A file where the data folder (or one of its parents) should be is said as such."""
    at = data_dir
    while not at.exists() and at != at.parent:
        at = at.parent
    if not at.is_dir():
        raise folder_error(data_dir, NotADirectoryError(errno.ENOTDIR, f"{at} is a file"))


def _refuse_missing(data_dir: Path) -> NoReturn:
    """No database: a folder that never held a store, or one that lost it."""
    left = [name for name in (KEY_FILE, ACK_FILE) if (data_dir / name).exists()]
    if left:
        raise StoreDamaged(
            f"{data_dir} held a chitnode store ({', '.join(left)} are still there) but its "
            f"{DB_FILE} is missing or empty. Do not run `chitnode init` over it; {RESTORE_ADVICE}"
        )
    raise NotInitialised(f"no chitnode store in {data_dir} (run `chitnode init`)")


def _check_before_connect(data_dir: Path, create: bool) -> None:
    """Refuse an empty database before SQLite writes a header into it; tighten file modes."""
    db = data_dir / DB_FILE
    empty = not db.exists() or db.stat().st_size == 0
    if empty and create and (data_dir / KEY_FILE).exists():
        raise KeyExists(
            f"{data_dir} holds {KEY_FILE}, the key of a branch this folder held, but no "
            f"store: `chitnode init` never overwrites a device key. {RESTORE_ADVICE}"
        )
    if empty and create and (data_dir / ACK_FILE).exists():
        _refuse_missing(data_dir)
    if empty and not create:
        raise StoreDamaged(
            f"{db} is empty: this store is empty or damaged. Do not run `chitnode init` "
            f"over it; {RESTORE_ADVICE}"
        )
    if create and not db.exists():  # private from birth: SQLite gives -wal/-shm its mode
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))
    for name in PRIVATE_FILES:
        path = data_dir / name
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(PRIVATE_FILE_MODE)


def _connect(path: Path, create: bool) -> sqlite3.Connection:
    # mode=rw: opening never creates a file (a store deleted meanwhile stays missing)
    uri = f"{path.absolute().as_uri()}?mode={'rwc' if create else 'rw'}"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise store_error(exc, path.parent) or StoreCorrupt(f"cannot open {path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {limits.SQLITE_BUSY_TIMEOUT_MS}")
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise StoreCorrupt(f"store failed PRAGMA quick_check: {result}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    except sqlite3.Error as exc:
        conn.close()
        mapped = store_error(exc, path.parent)
        raise mapped or StoreCorrupt(f"store is not a readable SQLite database: {exc}") from exc
    except StoreCorrupt:
        conn.close()
        raise
    return conn
