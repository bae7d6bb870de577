"""This device's last acknowledged head, kept outside the database (threats.md §7).

In WAL mode SQLite keeps recent commits in `chitnode.db-wal` until a checkpoint
copies them into `chitnode.db`. Lose or damage that file (a copy or a backup that
skipped it, a cleanup, a bad disk) and the store opens without a word, its own
feed a few entries short: entries this device acknowledged, and may have shown a
member or exported. Writing on from there would sign new entries at those seqs:
a fork of its own feed, which freezes it everywhere.

So after each commit that stored entries of this device's own feed, the store
records the feed's head in `head.ack`, beside the database but not in it. On
open, a recorded head the database does not hold (or holds with another hash)
is `lost_writes`: reads go on, this device's own writes are refused until its
entries are back (`chitnode import` of the last export, or a peer once sync
exists).

The record is written to a temporary file, fsynced, then renamed over the old
one, so it is always a whole record. It is written after the COMMIT, so it can
lag the database (a crash in between) but never lead it: a lagging record only
misses a loss, it never cries wolf. For the same reason the folder is not
fsynced after the rename: a lost rename leaves the older record.

Written in line, that is a second flush of the disk per append, and it halved
the durable append rate (docs/threats.md §7). So `AckWriter` writes on its own
thread: a COMMIT hands it the new head and returns; the thread writes the newest
head it was handed, at most once per `limits.ACK_INTERVAL_S` (a burst of appends costs
one write), and `close` writes the last one. The record lags by at most that
interval and the write in flight, never more while the process lives.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from chitnode import limits
from chitnode.errors import ChitError
from chitnode.store.failures import StoreDamaged
from chitnode.store.lock import PRIVATE_FILE_MODE

_log = logging.getLogger(__name__)
ACK_FILE = "head.ack"
ACK_TEMP_FILE = "head.ack.tmp"
RECOVER_ADVICE = (
    "`chitnode import` the last export of this branch into this folder (or, once sync "
    "exists, let a peer send this device's feed back)"
)


class LostWrites(ChitError):
    """The database lacks entries of this device's own feed that it acknowledged."""

    code = "lost_writes"


class BadAck(StoreDamaged):
    """`head.ack` exists but is not a record this store wrote."""


@dataclass(frozen=True, slots=True)
class Ack:
    author: str  # this device's key
    seq: int
    hash: str


def read_ack(folder: Path) -> Ack | None:
    """The recorded head; None if there is no record; BadAck if the file is not one."""
    try:
        with open(folder / ACK_FILE, "rb") as handle:
            data = handle.read(limits.ACK_BYTES_MAX + 1)
    except FileNotFoundError:
        return None
    try:
        doc = json.loads(data) if len(data) <= limits.ACK_BYTES_MAX else None
        ack = Ack(str(doc["author"]), int(doc["seq"]), str(doc["hash"]))  # type: ignore[index]
    except (ValueError, TypeError, KeyError) as exc:
        raise BadAck(
            f"{ACK_FILE} is not a head record ({exc}), so whether this store lost writes "
            "cannot be told; own writes are refused. If `chitnode check` finds the store "
            f"whole and its feed is all there, delete {ACK_FILE}: the next write records it"
        ) from exc
    return ack


def write_ack(folder: Path, ack: Ack) -> None:
    """Replace the record with `ack`: temp file, fsync, rename (see the module docstring)."""
    data = json.dumps({"author": ack.author, "seq": ack.seq, "hash": ack.hash}).encode()
    temp = folder / ACK_TEMP_FILE
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        os.write(fd, data + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, folder / ACK_FILE)


class AckWriter:
    """Writes head records for one data folder on a thread of its own, newest first."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._changed = threading.Condition()
        self._pending: Ack | None = None  # the newest head not written yet
        self._closed = False
        self._thread: threading.Thread | None = None

    def put(self, ack: Ack) -> None:
        """Record `ack` soon; returns at once (a newer `put` before the write replaces it)."""
        with self._changed:
            idle = self._pending is None  # else the thread is already due to write
            self._pending = ack
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="head.ack", daemon=True)
                self._thread.start()
            elif idle:  # waking it for each append would cost a thread switch per append
                self._changed.notify_all()

    def close(self) -> None:
        """Write what is pending, then stop the thread."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        written_at = -limits.ACK_INTERVAL_S
        while True:
            with self._changed:
                while not self._closed:
                    wait_s = written_at + limits.ACK_INTERVAL_S - time.monotonic()
                    if self._pending is not None and wait_s <= 0:
                        break
                    self._changed.wait(None if self._pending is None else wait_s)
                ack, self._pending = self._pending, None
            if ack is None:  # closed, and nothing left to write
                return
            written_at = time.monotonic()
            try:
                write_ack(self._folder, ack)
            except OSError as exc:  # the append itself committed: say so, and go on
                _log.warning(
                    "[store_damaged]: cannot record this device's head in %s: %s", ACK_FILE, exc
                )


def check_ack(ack: Ack, device: str | None, head: tuple[int, str] | None, held: str | None) -> None:
    """Raise LostWrites unless the database holds the acknowledged head.

    `device` is this store's device key, `head` its own feed's highest stored (seq,
    hash), `held` the hash the database holds at the acknowledged seq.
    """
    if held == ack.hash:
        return
    if ack.author != device:
        found = f"device {ack.author[:12]}…, but this database is device {str(device)[:12]}…"
    elif held is None:
        ends = f"#{head[0]}" if head else "before its first entry"
        found = f"its entry #{ack.seq}, but the database's copy of its feed ends at {ends}"
    else:
        found = f"entry #{ack.seq} {ack.hash[:12]}…, but the database holds another there"
    raise LostWrites(
        f"this device acknowledged {found}: the database lost writes (its -wal file "
        f"lost or damaged, or an older copy restored). This device's own writes are "
        f"refused until they are back: {RECOVER_ADVICE}"
    )
