"""One writer per data folder, held with an exclusive portalocker lock (DESIGN.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import portalocker

from chitnode.errors import StoreLocked

LOCK_FILE = "writer.lock"
PID_FILE = "writer.pid"


class WriterLock:
    """Held for the life of a Store; a second process gets StoreLocked naming the pid."""

    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        handle = open(self._dir / LOCK_FILE, "a+")  # noqa: SIM115  (held open while locked)
        try:
            portalocker.lock(handle, portalocker.LOCK_EX | portalocker.LOCK_NB)
        except portalocker.LockException as exc:
            handle.close()
            raise StoreLocked(
                f"data folder {self._dir} is in use by another chitnode process "
                f"(pid {self.holder_pid() or 'unknown'})"
            ) from exc
        self._file = handle
        (self._dir / PID_FILE).write_text(str(os.getpid()))

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
