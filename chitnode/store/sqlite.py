"""The SQLite store of one node: entries, fork evidence, projections, local tables.

`journal_mode=WAL`, `synchronous=FULL`, every write in `BEGIN IMMEDIATE`: an
append is acknowledged only after its transaction has committed (G7). Schema is
created through sqlite-utils, except the WITHOUT ROWID `commands` table (which it
cannot declare); hot paths use plain SQL on the same connection.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from chitnode import limits
from chitnode.errors import NotInitialised, StoreCorrupt
from chitnode.log.canonical import encode_checked
from chitnode.log.entry import Entry, parse_entry
from chitnode.store.lock import WriterLock

DB_FILE = "chitnode.db"
# 4: entry bodies and projection rows name their units (`*_paise`, `*_bps`, `*_ms`); a
# schema-3 store's entries say `amount`, `chit_value`, ... and this chitnode cannot fold them.
SCHEMA_VERSION = "4"
PROJECTION_PREFIX = "p_"


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


class Store:
    """Opened with `Store.open(dir)`; holds the folder's writer lock until `close()`."""

    def __init__(self, data_dir: Path, conn: sqlite3.Connection, lock: WriterLock) -> None:
        self.data_dir = data_dir
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self._lock = lock
        # Called inside every transaction just before COMMIT: the fold engine writes the
        # projection rows its appends changed, so they commit with the entries.
        self.before_commit: list[Callable[[], None]] = []

    @classmethod
    def open(cls, data_dir: Path | str, *, create: bool = False) -> Store:
        data_dir = Path(data_dir)
        if not (data_dir / DB_FILE).exists() and not create:
            raise NotInitialised(f"no chitnode store in {data_dir} (run `chitnode init`)")
        data_dir.mkdir(parents=True, exist_ok=True)
        lock = WriterLock(data_dir)
        lock.acquire()
        try:
            conn = _connect(data_dir / DB_FILE)
            store = cls(data_dir, conn, lock)
            store._ensure_schema()
        except BaseException:
            lock.release()
            raise
        return store

    def close(self) -> None:
        self.conn.close()
        self._lock.release()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT; nothing is acknowledged before the COMMIT returns."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            for hook in self.before_commit:
                hook()
        except BaseException:
            self.conn.execute("ROLLBACK")
            self.__dict__.pop("_known", None)  # tables created in the transaction are gone too
            raise
        self.conn.execute("COMMIT")

    # --- schema -------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        if "entries" in self.db.table_names():
            found = self.meta("schema_version")
            if found != SCHEMA_VERSION:
                raise StoreCorrupt(schema_refusal(found, self.data_dir))
            return
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

    # --- entries ------------------------------------------------------------------

    def insert_entry(
        self, entry: Entry, actor: str, placed: tuple[int, str, str] | None = None
    ) -> None:
        """Store `entry`; `placed` is its (pos, status, code) when already folded."""
        pos, status, code = placed or (None, "pending", "")
        self.conn.execute(
            "INSERT INTO entries(author, seq, hash, prev, ts, kind, actor, raw, pos, status, code)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

    def insert_fork(self, entry: Entry, freeze_seq: int) -> None:
        """Keep `entry` as evidence of equivocation; its author is frozen from `freeze_seq`."""
        self.conn.execute(
            "INSERT OR IGNORE INTO forks(hash, author, seq, freeze_seq, raw)"
            " VALUES (?, ?, ?, ?, ?)",
            (entry.hash, entry.author, entry.seq, freeze_seq, entry.raw.decode()),
        )

    def frozen_from(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT author, min(freeze_seq) FROM forks GROUP BY author")
        return {str(a): int(s) for a, s in rows}

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

    def heads(self) -> dict[str, tuple[int, str]]:
        """Each feed's highest stored entry that chains without a gap from seq 1."""
        out: dict[str, tuple[int, str]] = {}
        rows = self.conn.execute(
            "SELECT author, seq, hash FROM entries e WHERE seq = ("
            " SELECT max(seq) FROM entries WHERE author = e.author)"
        )
        for author, seq, hash_hex in rows:
            out[author] = (int(seq), str(hash_hex))
        return out

    def count(self, where: str = "1", args: tuple[Any, ...] = ()) -> int:
        row = self.conn.execute(f"SELECT count(*) FROM entries WHERE {where}", args).fetchone()
        return int(row[0])

    def feed_rows(self, author: str, from_seq: int, where: str = "1") -> Iterator[sqlite3.Row]:
        """Stream one author's rows from `from_seq` ascending, in bounded batches."""
        seq = from_seq
        while True:
            rows = self.conn.execute(
                f"SELECT * FROM entries WHERE author = ? AND seq >= ? AND ({where})"
                " ORDER BY seq LIMIT ?",
                (author, seq, limits.READ_BATCH_ENTRIES),
            ).fetchall()
            yield from rows
            if len(rows) < limits.READ_BATCH_ENTRIES:
                return
            seq = int(rows[-1]["seq"]) + 1

    def authors_to_place(self, start: int) -> list[str]:
        """Authors with entries not yet placed, or placed at or after `start`."""
        rows = self.conn.execute(
            "SELECT DISTINCT author FROM entries WHERE pos IS NULL"
            " UNION SELECT DISTINCT author FROM entries WHERE pos >= ?",
            (start,),
        )
        return sorted(str(r[0]) for r in rows)

    def placed_heads(self) -> dict[str, tuple[int, str]]:
        """Each feed's last placed entry: (seq, hash)."""
        rows = self.conn.execute(
            "SELECT e.author, e.seq, e.hash FROM entries e JOIN ("
            " SELECT author, max(seq) AS seq FROM entries WHERE pos IS NOT NULL GROUP BY author"
            ") h ON e.author = h.author AND e.seq = h.seq"
        )
        return {str(a): (int(s), str(h)) for a, s, h in rows}

    def authors(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT author FROM entries ORDER BY 1")]

    def forks(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM forks ORDER BY author, seq, hash").fetchall()

    def set_outcomes(self, rows: list[tuple[int | None, str, str, str, int]]) -> None:
        """rows: (pos, status, code, author, seq)."""
        self.conn.executemany(
            "UPDATE entries SET pos = ?, status = ?, code = ? WHERE author = ? AND seq = ?", rows
        )

    # --- commands (node-local exactly-once, G3) -----------------------------------

    def command(self, cmd_id: str) -> tuple[str, int, str] | None:
        row = self.conn.execute(
            "SELECT author, seq, hash FROM commands WHERE cmd_id = ?", (cmd_id,)
        ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]), str(row[2]))

    def put_command(self, cmd_id: str, entry: Entry) -> None:
        self.conn.execute(
            "INSERT INTO commands(cmd_id, author, seq, hash) VALUES (?, ?, ?, ?)",
            (cmd_id, entry.author, entry.seq, entry.hash),
        )

    # --- projections ----------------------------------------------------------------

    def write_projections(self, rows: list[tuple[str, str, dict[str, Any] | None]]) -> None:
        """Write (table, key, value) rows; a None value deletes the key."""
        by_table: dict[str, tuple[list[tuple[str, str]], list[tuple[str]]]] = {}
        for table, key, value in rows:
            puts, deletes = by_table.setdefault(table, ([], []))
            if value is None:
                deletes.append((key,))
            else:
                puts.append((key, encode_checked(value).decode()))
        for table, (puts, deletes) in by_table.items():
            name = PROJECTION_PREFIX + table
            if name not in self._projection_tables():
                self.conn.execute(
                    f'CREATE TABLE IF NOT EXISTS "{name}" (key TEXT PRIMARY KEY,'
                    " value TEXT NOT NULL)"
                )
                self._known.add(name)
            if deletes:
                self.conn.executemany(f'DELETE FROM "{name}" WHERE key = ?', deletes)
            if puts:
                self.conn.executemany(
                    f'INSERT OR REPLACE INTO "{name}"(key, value) VALUES (?, ?)', puts
                )

    _known: set[str]

    def _projection_tables(self) -> set[str]:
        if not hasattr(self, "_known"):
            self._known = {t for t in self.db.table_names() if t.startswith(PROJECTION_PREFIX)}
        return self._known

    def drop_projections(self) -> None:
        for name in sorted(self._projection_tables()):
            self.conn.execute(f'DELETE FROM "{name}"')

    def load_projections(self) -> dict[str, dict[str, dict[str, Any]]]:
        tables: dict[str, dict[str, dict[str, Any]]] = {}
        for name in sorted(self._projection_tables()):
            rows = self.conn.execute(f'SELECT key, value FROM "{name}"')
            tables[name[len(PROJECTION_PREFIX) :]] = {k: json.loads(v) for k, v in rows}
        return {t: rows for t, rows in tables.items() if rows}


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {limits.SQLITE_BUSY_TIMEOUT_MS}")
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise StoreCorrupt(f"store failed PRAGMA quick_check: {result}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreCorrupt(f"store is not a readable SQLite database: {exc}") from exc
    except StoreCorrupt:
        conn.close()
        raise
    return conn
