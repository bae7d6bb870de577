"""Undoing a refused `init`: remove exactly what it created, and nothing a branch needs.

`init` creates the data folder (and any missing parents), the database, the lock
and pid files, the device key and the head record. When it is refused midway (a
short passphrase, no keyring, a full disk) those would stay behind and make the
folder look like a damaged store. `snapshot` notes what was there before;
`discard_unfounded` removes the rest, under the writer lock, and only if no
branch was founded there meanwhile (the database holds no entry).
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from chitnode.errors import ChitError
from chitnode.store.lock import LOCK_FILE, PID_FILE, WriterLock
from chitnode.store.sqlite import DB_FILE


@dataclass(frozen=True, slots=True)
class FolderSnapshot:
    folder: Path
    names: frozenset[str]  # what the folder held before
    made_folders: tuple[Path, ...]  # the folder and its parents that did not exist, deepest first


def snapshot(folder: Path) -> FolderSnapshot:
    missing: list[Path] = []
    at = folder
    while not at.exists() and at != at.parent:
        missing.append(at)
        at = at.parent
    try:
        names = frozenset(p.name for p in folder.iterdir()) if folder.is_dir() else frozenset()
    except OSError:
        names = frozenset()
    return FolderSnapshot(folder, names, tuple(missing))


def discard_unfounded(before: FolderSnapshot) -> None:
    """Remove what appeared in the folder since `before`, unless a branch lives there now."""
    folder = before.folder
    if not folder.is_dir():
        return
    lock = WriterLock(folder)
    try:
        lock.acquire()
    except (ChitError, OSError):  # another process is in there now: leave everything
        return
    try:
        if _holds_entries(folder / DB_FILE):
            return
        for path in folder.iterdir():
            if path.name not in before.names and path.name not in (LOCK_FILE, PID_FILE):
                with contextlib.suppress(OSError):
                    path.unlink()
    finally:
        lock.release()
    for name in (LOCK_FILE, PID_FILE):
        if name not in before.names:
            with contextlib.suppress(OSError):
                (folder / name).unlink()
    for made in before.made_folders:
        try:
            made.rmdir()  # only if empty: never a folder something else was put in
        except OSError:
            return


def _holds_entries(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        conn = sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        return conn.execute("SELECT 1 FROM entries LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        conn.close()
