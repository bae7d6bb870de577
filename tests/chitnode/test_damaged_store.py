"""Damaged stores (issue 9, point 7), met the way an operator meets them: the real CLI.

- An empty or missing database is `store_damaged` (restore it), never "run init";
  `init` over it refuses to overwrite the branch's device key (`key_exists`).
- A stored entry whose text was edited (hash kept) is named by `rebuild`, which then
  refuses (`store_tampered`), and by `chitnode check`, one line per problem.
- A lost `-wal` is found on open against `head.ack` (`lost_writes`): reads go on,
  this device's own writes wait until its entries are imported back.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from chitnode.log.entry import seal_entry
from chitnode.node.node import Node
from chitnode.store.ack import ACK_FILE, read_ack
from chitnode.store.keys import KEY_FILE, FileKeyStore, KeyExists
from chitnode.store.sqlite import DB_FILE
from tests.support.cli_proc import Holder, chitnode, found_branch, ok, refused

HEAD_RECORD_WAIT_S = 60  # the head record's thread writes within milliseconds; this is slack
KEY_B = "b2" * 32
KEY_C = "c3" * 32
KEY_D = "d4" * 32
# A writer that appends three entries, exports, then is killed before it closes: its
# commits are still in chitnode.db-wal only (SQLite checkpoints at close, or at 1000 pages).
WRITER = """
import sys
from pathlib import Path
from chitnode.node.node import Node
from chitnode.services.archive import export_file
node = Node.open(sys.argv[1])
for i in range(3):
    node.submit("device.enrolled", {"key": f"{i + 1:064x}", "role": "member", "name": f"m{i}"})
export_file(node, Path(sys.argv[2]))
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A branch of three entries: genesis, enrol B ("Bob"), enrol C ("Carol")."""
    folder = tmp_path / "data"
    found_branch(folder, "Damaged", [(KEY_B, "Bob"), (KEY_C, "Carol")])
    return folder


def status(data: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(ok(chitnode("--data", data, "status", "--json")))
    return doc


def edit_row(data: Path, seq: int, old: bytes, new: bytes) -> None:
    """Edit entry #seq's stored text in place with another program (hash left as it was)."""
    conn = sqlite3.connect(data / DB_FILE)
    try:
        raw = conn.execute("SELECT raw FROM entries WHERE seq = ?", (seq,)).fetchone()[0]
        assert old in raw.encode()
        edited = raw.encode().replace(old, new).decode()
        conn.execute("UPDATE entries SET raw = ? WHERE seq = ?", (edited, seq))
        conn.commit()
    finally:
        conn.close()


def wait_for_head_record(data: Path, seq: int) -> None:
    """Until head.ack records `seq` (bounded: a writer that never records it fails the test)."""
    deadline = time.monotonic() + HEAD_RECORD_WAIT_S
    while (ack := read_ack(data)) is None or ack.seq < seq:
        assert time.monotonic() < deadline, f"head.ack still says {ack}"
        time.sleep(0.05)


def lines(text: str) -> list[str]:
    return text.splitlines()


def problems(text: str) -> list[str]:
    """`code seq author` of each problem line (its human detail follows)."""
    return [" ".join(line.split()[:3]) for line in lines(text)[:-1]]


# --------------------------------------------------------------------------- empty or missing


def test_an_empty_store_is_damaged_and_init_never_overwrites_its_key(data: Path) -> None:
    key = (data / KEY_FILE).read_bytes()
    (data / DB_FILE).write_bytes(b"")
    run = chitnode("--data", data, "status")
    refused(run, "store_damaged")
    assert "restore" in run.stderr and "run `chitnode init`)" not in run.stderr
    assert (data / DB_FILE).stat().st_size == 0  # no schema was written into it
    refused(chitnode("--data", data, "init", "--branch-name", "Again"), "key_exists")
    assert (data / KEY_FILE).read_bytes() == key  # the branch's root secret is untouched
    assert (data / DB_FILE).stat().st_size == 0


def test_a_missing_database_beside_a_key_is_damaged_not_new(data: Path) -> None:
    key = (data / KEY_FILE).read_bytes()
    (data / DB_FILE).unlink()
    refused(chitnode("--data", data, "status"), "store_damaged")
    refused(chitnode("--data", data, "init", "--branch-name", "Again"), "key_exists")
    assert (data / KEY_FILE).read_bytes() == key
    assert not (data / DB_FILE).exists()


def test_a_missing_database_beside_a_head_record_is_damaged(data: Path) -> None:
    (data / DB_FILE).unlink()
    (data / KEY_FILE).unlink()
    assert (data / ACK_FILE).exists()
    refused(chitnode("--data", data, "status"), "store_damaged")
    refused(chitnode("--data", data, "init", "--branch-name", "Again"), "store_damaged")


def test_a_key_file_is_replaced_only_by_naming_the_key_it_holds(data: Path) -> None:
    """Re-keying a forked device (`fork rekey`) names the retired key; nothing else replaces it."""
    root = json.loads((data / KEY_FILE).read_text())["public"]
    keys = FileKeyStore(data)
    for replacing in (None, KEY_B):
        with pytest.raises(KeyExists):
            keys.save(SigningKey.generate(), replacing=replacing)
    assert json.loads((data / KEY_FILE).read_text())["public"] == root
    new = SigningKey.generate()
    keys.save(new, replacing=root)
    assert keys.load(new.verify_key.encode().hex()) == new


# --------------------------------------------------------------------------- edited entries


def test_rebuild_names_an_edited_entry_and_refuses(data: Path) -> None:
    before = status(data)
    edit_row(data, 2, b'"name":"Bob"', b'"name":"Eve"')
    run = chitnode("--data", data, "rebuild")
    refused(run, "store_tampered")
    assert lines(run.stdout)[0].startswith(f"bad_hash 2 {before['device_key']} ")
    after = status(data)
    assert after["state_digest"] == before["state_digest"]  # the edit was not adopted


def test_check_of_a_clean_store(data: Path) -> None:
    out = ok(chitnode("--data", data, "check"))
    assert lines(out)[-1].startswith("OK: 3 entries")
    doc = json.loads(ok(chitnode("--data", data, "check", "--signatures", "--json")))
    assert doc["ok"] is True and doc["problems"] == [] and doc["entries"] == 3


def test_check_names_every_edited_entry_one_line_each(data: Path) -> None:
    root = status(data)["device_key"]
    edit_row(data, 2, b'"name":"Bob"', b'"name":"Eve"')
    edit_row(data, 3, b'"name":"Carol"', b'"name":"Carl"')
    run = chitnode("--data", data, "check")
    assert run.returncode == 1, run.stderr
    assert problems(run.stdout) == [f"bad_hash 2 {root}", f"bad_hash 3 {root}"]
    assert lines(run.stdout)[-1].startswith("FAILED: 3 entries, 2 problems")
    doc = json.loads(chitnode("--data", data, "check", "--json").stdout)
    assert doc["ok"] is False
    assert [(p["code"], p["seq"]) for p in doc["problems"]] == [("bad_hash", 2), ("bad_hash", 3)]


def test_check_verifies_signatures_only_when_asked(data: Path) -> None:
    """A signature is outside the hash: swapping one in keeps every hash right."""
    conn = sqlite3.connect(data / DB_FILE)
    sig2, sig3 = (
        json.loads(conn.execute("SELECT raw FROM entries WHERE seq = ?", (s,)).fetchone()[0])["sig"]
        for s in (2, 3)
    )
    conn.close()
    edit_row(data, 2, sig2.encode(), sig3.encode())
    ok(chitnode("--data", data, "check"))
    run = chitnode("--data", data, "check", "--signatures")
    assert run.returncode == 1
    assert problems(run.stdout) == [f"bad_sig 2 {status(data)['device_key']}"]


def test_check_finds_a_feed_whose_entry_was_swapped_for_a_validly_signed_twin(
    data: Path,
) -> None:
    """Entry #2 replaced by another the device key signed: every hash and signature holds,
    but #3 no longer chains to what the store holds at #2."""
    with Node.open(data) as node:
        first = node.store.entry_at(node.public, 1)
        assert first is not None
        twin = seal_entry(
            node.key,
            branch=node.branch,
            seq=2,
            prev=first.hash,
            ts=first.ts + 1,
            deps=(),
            kind="device.enrolled",
            body={"key": KEY_D, "role": "admin", "name": "Mallory"},
        )
        root = node.public
    conn = sqlite3.connect(data / DB_FILE)
    conn.execute(
        "UPDATE entries SET raw = ?, hash = ? WHERE seq = 2", (twin.raw.decode(), twin.hash)
    )
    conn.commit()
    conn.close()
    run = chitnode("--data", data, "check", "--signatures")
    assert run.returncode == 1
    assert problems(run.stdout) == [f"broken_chain 3 {root}"]


def test_check_of_a_damaged_store_is_a_problem_line(data: Path) -> None:
    (data / DB_FILE).write_bytes(b"")
    run = chitnode("--data", data, "check")
    assert run.returncode == 1
    assert lines(run.stdout)[0].startswith("store_damaged - -")


# --------------------------------------------------------------------------- a lost -wal


def test_a_lost_wal_is_found_and_own_writes_wait_for_the_last_export(
    data: Path, tmp_path: Path
) -> None:
    root = status(data)["device_key"]
    export = tmp_path / "last.chitlog"
    with Holder(WRITER, data, export) as writer:
        wait_for_head_record(data, 6)  # written on its own thread, just after each commit
        writer.kill()  # killed before it closed: its three commits are in the -wal only
    wal = data / f"{DB_FILE}-wal"
    assert wal.stat().st_size > 0
    wal.unlink()  # a backup that skipped it, a cleanup, a bad disk
    (data / f"{DB_FILE}-shm").unlink()

    seen = chitnode("--data", data, "status", "--json")
    assert seen.returncode == 0 and json.loads(seen.stdout)["heads"][root]["seq"] == 3
    assert "chitnode: warning [lost_writes]: " in seen.stderr and "#6" in seen.stderr
    write = chitnode("--data", data, "enrol", KEY_D, "--role", "member", "--name", "Dan")
    refused(write, "lost_writes")
    assert "chitnode import" in write.stderr
    check = chitnode("--data", data, "check")
    assert check.returncode == 1 and lines(check.stdout)[0].startswith(f"lost_writes 6 {root}")

    ok(chitnode("--data", data, "import", export))  # the recovery
    healed = chitnode("--data", data, "status", "--json")
    assert healed.stderr == "" and json.loads(healed.stdout)["heads"][root]["seq"] == 6
    out = ok(chitnode("--data", data, "enrol", KEY_D, "--role", "member", "--name", "Dan"))
    assert "entry #7 applied" in out
    ok(chitnode("--data", data, "check"))
