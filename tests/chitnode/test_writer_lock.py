"""One writer, always (issue 9, point 8): real second processes against one data folder.

A chitnode process holding the folder keeps every other one out, even when
`writer.lock` is deleted or replaced under it (`store_locked`, naming its pid);
another program holding SQLite's own write lock past the busy timeout gives
`store_busy`, never a `database is locked` traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chitnode import limits
from chitnode.cli.main import main
from chitnode.store.lock import LOCK_FILE
from chitnode.store.sqlite import DB_FILE
from tests.support.cli_proc import Holder, chitnode, ok, refused

KEY = "c3" * 32
# A chitnode writer that opens the folder, says so, and holds it until its stdin closes.
NODE_HOLDER = """
import sys
from chitnode.node.node import Node
node = Node.open(sys.argv[1])
print("ready", flush=True)
sys.stdin.read()
node.close()
"""
# Another program (think: a DB browser) holding SQLite's write lock on chitnode.db.
SQLITE_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA locking_mode = " + sys.argv[2])
conn.execute("BEGIN EXCLUSIVE" if sys.argv[2] == "EXCLUSIVE" else "BEGIN IMMEDIATE")
conn.execute("UPDATE meta SET value = value WHERE key = 'branch'")
print("ready", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""
SHORT_BUSY_TIMEOUT_MS = 200  # in-process runs wait this long for SQLite instead of 5 s


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    ok(chitnode("--data", folder, "init", "--branch-name", "Locked"))
    return folder


def entries(data: Path) -> int:
    return int(json.loads(ok(chitnode("--data", data, "status", "--json")))["entries"])


def enrol(data: Path, key: str = KEY) -> list[str]:
    return ["--data", str(data), "enrol", key, "--role", "member", "--name", "Second"]


def test_a_second_writer_is_refused_naming_the_holder(data: Path) -> None:
    with Holder(NODE_HOLDER, data) as holder:
        second = chitnode(*enrol(data))
        holder.close()
    refused(second, "store_locked")
    assert f"pid {holder.pid}" in second.stderr
    assert entries(data) == 2


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_deleting_or_replacing_writer_lock_lets_no_second_writer_in(data: Path, how: str) -> None:
    with Holder(NODE_HOLDER, data) as holder:
        lock = data / LOCK_FILE
        if how == "deleted":
            lock.unlink()
        else:
            (data / "other").write_text("")
            (data / "other").replace(lock)
        second = chitnode(*enrol(data))
        holder.close()
    refused(second, "store_locked")
    assert f"pid {holder.pid}" in second.stderr
    assert entries(data) == 2  # the second writer wrote nothing
    ok(chitnode(*enrol(data)))  # and once the holder is gone, the folder is usable again
    assert entries(data) == 3


@pytest.mark.parametrize("mode", ["NORMAL", "EXCLUSIVE"])
def test_another_program_holding_sqlites_lock_gives_store_busy(
    data: Path,
    mode: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In-process chitnode (so the busy wait can be short); the lock holder is a real process."""
    monkeypatch.setattr(limits, "SQLITE_BUSY_TIMEOUT_MS", SHORT_BUSY_TIMEOUT_MS)
    monkeypatch.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
    monkeypatch.setenv("CHITNODE_KEYSTORE", "file")
    with Holder(SQLITE_HOLDER, data / DB_FILE, mode) as holder:
        code = main(enrol(data))
        holder.close()
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.startswith("chitnode: error [store_busy]: "), err
    assert len(err.splitlines()) == 1
    assert entries(data) == 2
