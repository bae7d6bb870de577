"""Store: one writer per folder, corrupt files reported, pragmas as DESIGN.md says."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chitnode.errors import NotInitialised, StoreCorrupt, StoreLocked
from chitnode.node.node import Node
from chitnode.store.sqlite import DB_FILE, SqliteStore


def test_pragmas_are_durable(fresh_node: Node) -> None:
    conn = fresh_node.store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_second_process_gets_a_clear_error_naming_the_holder(fresh_node: Node) -> None:
    script = textwrap.dedent(f"""
        from chitnode.store.sqlite import SqliteStore
        from chitnode.errors import StoreLocked
        try:
            SqliteStore.open({str(fresh_node.store.data_dir)!r})
        except StoreLocked as exc:
            print(exc.code, exc.message)
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    import os

    assert out.startswith("store_locked ")
    assert f"pid {os.getpid()}" in out


def test_second_open_in_process_is_refused_too(fresh_node: Node) -> None:
    with pytest.raises(StoreLocked):
        SqliteStore.open(fresh_node.store.data_dir)


def test_missing_store_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(NotInitialised):
        SqliteStore.open(tmp_path)


def test_corrupt_store_is_reported_never_served(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "n", "Corrupt me")
    for i in range(50):
        node.submit("device.enrolled", {"key": f"{i + 1:064x}", "role": "member", "name": "m"})
    node.close()
    db = tmp_path / "n" / DB_FILE
    data = bytearray(db.read_bytes())
    for offset in range(4096 + 100, len(data), 4096):  # scribble over every page but the header
        data[offset : offset + 64] = b"\xff" * 64
    db.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupt):
        Node.open(tmp_path / "n")


def test_truncated_store_is_reported(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "n", "Truncate me")
    node.close()
    db = tmp_path / "n" / DB_FILE
    db.write_bytes(db.read_bytes()[:1000])
    with pytest.raises(StoreCorrupt):
        Node.open(tmp_path / "n")
