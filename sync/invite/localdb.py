"""A small owner-only SQLite file in the data folder, for what never enters the log.

The invite book and the PIN book keep secrets (or their hashes) that the log must
never carry; each is its own file beside the store, so neither the kernel's schema
nor an export ever sees them. Every access is one `BEGIN IMMEDIATE` transaction: a
claim or a merge is whole, whichever process makes it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sync import limits

PRIVATE_FILE_MODE = 0o600  # secrets: readable by the data folder's owner only


class LocalDb:
    def __init__(self, data_dir: Path, file_name: str, schema: str) -> None:
        self.path = Path(data_dir) / file_name
        if not self.path.exists():  # created owner-only, never widened then narrowed
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
        with self.transaction() as db:
            db.execute(schema)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        timeout_s = limits.LOCAL_DB_BUSY_TIMEOUT_MS / 1000
        with closing(sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")


__all__ = ["PRIVATE_FILE_MODE", "LocalDb"]
