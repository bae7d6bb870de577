"""What can be wrong with a data folder or its database, each as an error with a stable code.

SQLite and the OS report trouble as `sqlite3.Error` and `OSError`; a user must see
what it means for their store and what to do, never a traceback (issue 9). The
mapping lives here so the store, `chitnode check` and the CLI's last resort agree.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from chitnode.errors import ChitError, StoreCorrupt

# How to get a store back, said by every error that finds one damaged (threats.md §7).
RESTORE_ADVICE = (
    "restore the folder from a backup, or `chitnode import` your last export into a new "
    "folder (or, once sync exists, fetch this device's feed back from a peer)"
)


class StoreBusy(ChitError):
    """Another program held SQLite's lock on the database past the busy timeout."""

    code = "store_busy"


class StoreDamaged(ChitError):
    """The folder held a store, but its database is missing, empty or not chitnode's."""

    code = "store_damaged"


class StoreTampered(ChitError):
    """A stored entry's text no longer matches its hash or its feed: edited outside chitnode."""

    code = "store_tampered"


class DataFolderError(ChitError):
    """The data folder cannot be used: not a folder, not writable, disk full (code says)."""

    code = "data_not_writable"


def folder_error(folder: Path, exc: OSError) -> ChitError:
    """What an OSError met while opening or creating the data folder `folder` means."""
    what = exc.strerror or str(exc)
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return DataFolderError(
            f"{folder} is not a folder (a file is in the way): {what}", code="data_not_folder"
        )
    if exc.errno == errno.ENOSPC:
        return DataFolderError(f"no space left for {folder}: {what}", code="disk_full")
    return DataFolderError(
        f"cannot use {folder} as chitnode's data folder ({what}): chitnode writes its lock "
        "and database there; give it a writable folder, or copy this one somewhere writable"
    )


def store_error(exc: sqlite3.Error, folder: Path | None = None) -> ChitError | None:
    """The ChitError an sqlite3 error stands for; None for one that is a bug."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    where = f" ({folder})" if folder is not None else ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreBusy(
            f"another program holds the store's database{where} locked: close it (a DB "
            "browser, a backup tool) and try again"
        )
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")):
        return DataFolderError(f"the store's database{where} cannot be written: {exc}")
    if name == "SQLITE_FULL":
        return DataFolderError(f"no space left for the store{where}: {exc}", code="disk_full")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StoreCorrupt(f"the store's database{where} is damaged: {exc}; {RESTORE_ADVICE}")
    if isinstance(exc, sqlite3.OperationalError) and "decode" in str(exc):
        # a stored text column that is not UTF-8: only an edit of the file makes one
        return StoreTampered(
            f"a stored entry's text was changed outside chitnode{where}: run `chitnode check`"
        )
    return None
