"""The bank outbox's node-local table: this node's attempts per pending request.

The log is the durable outbox (`chitnode/services/bank_outbox.py`); this file,
`data_dir/bank_outbox.db`, only says how often this node tried and when to try
next. Losing it resets some backoffs; it never loses or repeats a request.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

OUTBOX_FILE = "bank_outbox.db"
ATTEMPTS_TABLE = "attempts"


@dataclass(frozen=True, slots=True)
class Attempt:
    """This node's record of the misses of one pending request."""

    request_id: str
    attempts: int
    next_attempt_ms: int
    last_attempt_ms: int
    last_error: str


class OutboxTable:
    """This node's attempts per pending request, in `data_dir/bank_outbox.db`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.table = self.db.table(ATTEMPTS_TABLE)
        self.table.create(
            {
                "request_id": str,
                "attempts": int,
                "next_attempt_ms": int,
                "last_attempt_ms": int,
                "last_error": str,
            },
            pk="request_id",
            if_not_exists=True,
        )

    @classmethod
    def open(cls, data_dir: Path | str) -> OutboxTable:
        path = Path(data_dir) / OUTBOX_FILE
        # The worker touches it from its one writer thread; the opener's thread may close it.
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        return cls(conn)

    def attempts(self) -> dict[str, Attempt]:
        rows = self.table.rows
        return {str(r["request_id"]): _attempt(r) for r in rows}

    def save(self, attempt: Attempt) -> None:
        record = {
            "request_id": attempt.request_id,
            "attempts": attempt.attempts,
            "next_attempt_ms": attempt.next_attempt_ms,
            "last_attempt_ms": attempt.last_attempt_ms,
            "last_error": attempt.last_error,
        }
        self.table.upsert(record, pk="request_id")
        assert self.table.get(attempt.request_id)["attempts"] == attempt.attempts

    def forget(self, request_ids: Iterable[str]) -> None:
        ids = list(request_ids)
        if ids:
            with self.conn:
                self.conn.executemany(
                    f"DELETE FROM {ATTEMPTS_TABLE} WHERE request_id = ?", [(i,) for i in ids]
                )

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> OutboxTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _attempt(row: Mapping[str, Any]) -> Attempt:
    return Attempt(
        request_id=str(row["request_id"]),
        attempts=int(row["attempts"]),
        next_attempt_ms=int(row["next_attempt_ms"]),
        last_attempt_ms=int(row["last_attempt_ms"]),
        last_error=str(row["last_error"]),
    )
