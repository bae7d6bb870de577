"""One writer per data folder (DESIGN.md), held with OS locks that a file swap cannot fool.

A lock on a file inside the folder is only as good as that file's name: delete
`writer.lock` (or rename another file over it) while a writer holds it, and the
next process creates a fresh file, locks that and is in too. Two writers then
append the same seq and the second dies on an IntegrityError. So on POSIX the
lock is a `flock` on the data folder itself, which cannot be deleted while the
store in it is open, nor swapped without the store going with it. `writer.lock`
is locked as well, through portalocker: on Windows, where a folder cannot be
opened as a file, it is the lock, and there an open file cannot be deleted.

After each lock is taken, the path is checked to still name what was locked
(device and inode): a folder or file swapped in between gets another try.
`writer.pid` names the holder in the error a second process gets.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

import portalocker

from chitnode import limits
from chitnode.errors import StoreLocked

LOCK_FILE = "writer.lock"
PID_FILE = "writer.pid"
PRIVATE_FILE_MODE = 0o600  # the store's files are readable by their owner only (privacy.md)


class WriterLock:
    """Held for the life of a Store; a second process gets StoreLocked naming the pid."""

    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir
        self._folder_fd: int | None = None
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        try:
            self._folder_fd = self._lock_folder()
            self._file = self._lock_file()
            write_private(self._dir / PID_FILE, str(os.getpid()))
        except BaseException:
            self.release()
            raise

    def holder_pid(self) -> int | None:
        try:
            return int((self._dir / PID_FILE).read_text().strip())
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        if self._file is not None:
            portalocker.unlock(self._file)
            self._file.close()
            self._file = None
        if self._folder_fd is not None:
            os.close(self._folder_fd)  # closing the descriptor drops its flock
            self._folder_fd = None

    def _locked(self) -> StoreLocked:
        return StoreLocked(
            f"data folder {self._dir} is in use by another chitnode process "
            f"(pid {self.holder_pid() or 'unknown'})"
        )

    def _lock_folder(self) -> int | None:
        """A descriptor of the data folder holding its exclusive flock; None on Windows."""
        if sys.platform == "win32":
            return None
        import fcntl

        for _ in range(limits.LOCK_ATTEMPTS_MAX):
            fd = os.open(self._dir, os.O_RDONLY | os.O_DIRECTORY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise self._locked() from None
            if _still_names(self._dir, os.fstat(fd)):
                return fd
            os.close(fd)
        raise self._swapped(self._dir)

    def _lock_file(self) -> IO[str]:
        """`writer.lock`, open and exclusively locked, still the file its name points to."""
        path = self._dir / LOCK_FILE
        for _ in range(limits.LOCK_ATTEMPTS_MAX):
            fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
            handle = os.fdopen(fd, "r+")
            try:
                portalocker.lock(handle, portalocker.LOCK_EX | portalocker.LOCK_NB)
            except portalocker.LockException:
                handle.close()
                raise self._locked() from None
            if _still_names(path, os.fstat(fd)):
                return handle
            handle.close()
        raise self._swapped(path)

    def _swapped(self, path: Path) -> StoreLocked:
        return StoreLocked(f"{path} was replaced {limits.LOCK_ATTEMPTS_MAX} times while locking it")


def _still_names(path: Path, held: os.stat_result) -> bool:
    """Whether `path` still names the file or folder whose descriptor gave `held`."""
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only (0600, also if it existed wider)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(path, PRIVATE_FILE_MODE)
