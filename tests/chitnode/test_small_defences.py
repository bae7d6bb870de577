"""Smaller defences (issue 9, point 11), through the real CLI where a user meets them.

- argon2 costs read from `device.key` are bounded (`bad_key_params`), not obeyed;
- `chitnode log` and `status` show control characters from entries escaped;
- the demo's device keys are random, not derived from its seed;
- the data folder is 0700 and every file in it 0600;
- a refused `init` removes exactly what it created;
- a retried command id carrying another command is refused (`cmd_id_reused`).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from chitnode.errors import RuleViolation
from chitnode.node.node import Node
from chitnode.store.keys import KEY_FILE
from chitnode.store.sqlite import DB_FILE
from tests.support.cli_proc import Holder, chitnode, ok, refused

KEY_B = "b2" * 32
KEY_C = "c3" * 32
KDF_REFUSAL_TIMEOUT_S = 60  # a refusal is instant; obeying 2**32 argon2 passes is not
NODE_HOLDER = """
import sys
from chitnode.node.node import Node
node = Node.open(sys.argv[1])
node.submit("device.enrolled", {"key": "d4" * 32, "role": "member", "name": "Held"})
print("ready", flush=True)
sys.stdin.read()
node.close()
"""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    ok(chitnode("--data", folder, "init", "--branch-name", "Small"))
    return folder


# --------------------------------------------------------------------------- argon2 costs


@pytest.mark.parametrize(
    ("field", "value"),
    [("opslimit", 2**32 - 1), ("memlimit", 2**42), ("opslimit", 0), ("opslimit", "3")],
    ids=["huge-opslimit", "huge-memlimit", "zero-opslimit", "text-opslimit"],
)
def test_argon2_costs_in_the_key_file_are_bounded(data: Path, field: str, value: object) -> None:
    doc = json.loads((data / KEY_FILE).read_text())
    doc[field] = value
    (data / KEY_FILE).write_text(json.dumps(doc))
    run = chitnode("--data", data, "status", timeout_s=KDF_REFUSAL_TIMEOUT_S)
    refused(run, "bad_key_params")


# --------------------------------------------------------------------------- terminal escapes


HOSTILE_NAME = "\x1b]0;owned\x07\x1b[2J\u202eevil\r"


def test_log_and_status_show_control_characters_escaped(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ok(chitnode("--data", data, "init", "--branch-name", f"Main{HOSTILE_NAME}"))
    ok(chitnode("--data", data, "enrol", KEY_B, "--role", "member", "--name", HOSTILE_NAME))
    for argv in (["log"], ["status"]):
        out = ok(chitnode("--data", data, *argv))
        assert not any(c in out for c in "\x1b\x07\r\u202e"), repr(out)
        assert "\\x1b]0;owned\\x07\\x1b[2J\\u202eevil" in out  # (init strips a trailing CR)
    # machine output keeps the exact text: JSON escapes what it must
    rows = [
        json.loads(line) for line in ok(chitnode("--data", data, "log", "--json")).split("\n")[:-1]
    ]
    assert rows[-1]["body"]["name"] == HOSTILE_NAME


# --------------------------------------------------------------------------- demo keys


def enrolled_keys(data: Path) -> list[str]:
    out = ok(chitnode("--data", data, "log", "--json", "--kind", "device.enrolled"))
    return [json.loads(line)["body"]["key"] for line in out.splitlines()]


def test_the_demos_device_keys_are_random_not_from_its_seed(tmp_path: Path) -> None:
    """Two demos of one seed: same branch story, different keys (a seeded secret is public)."""
    for name in ("one", "two"):
        ok(chitnode("--data", tmp_path / name, "demo", "--seed", "7"))
    one, two = enrolled_keys(tmp_path / "one"), enrolled_keys(tmp_path / "two")
    assert len(one) == len(two) >= 2
    assert not set(one) & set(two)


# --------------------------------------------------------------------------- file modes


def modes(folder: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}


def test_the_data_folder_is_private_and_so_is_every_file_in_it(data: Path) -> None:
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert {name: mode for name, mode in modes(data).items() if mode != 0o600} == {}
    assert {DB_FILE, KEY_FILE, "writer.lock", "writer.pid", "head.ack"} <= set(modes(data))
    with Holder(NODE_HOLDER, data) as holder:  # open and written: -wal and -shm exist too
        live = modes(data)
        holder.close()
    assert {f"{DB_FILE}-wal", f"{DB_FILE}-shm"} <= set(live)
    assert {name: mode for name, mode in live.items() if mode != 0o600} == {}


def test_a_store_left_readable_by_others_is_made_private_on_open(data: Path) -> None:
    (data / DB_FILE).chmod(0o644)
    ok(chitnode("--data", data, "status"))
    assert stat.S_IMODE((data / DB_FILE).stat().st_mode) == 0o600


# --------------------------------------------------------------------------- refused init


def test_a_refused_init_leaves_nothing_behind(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    run = chitnode(
        "--data", data, "init", "--branch-name", "X", env={"CHITNODE_PASSPHRASE": "short"}
    )
    refused(run, "key_unavailable")
    assert not (tmp_path / "new").exists()


def test_a_refused_init_in_a_folder_with_files_removes_only_its_own(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "notes.txt").write_text("mine\n")
    run = chitnode(
        "--data", data, "init", "--branch-name", "X", env={"CHITNODE_PASSPHRASE": "short"}
    )
    refused(run, "key_unavailable")
    assert sorted(p.name for p in data.iterdir()) == ["notes.txt"]
    ok(chitnode("--data", data, "init", "--branch-name", "X"))  # and the folder is usable


# --------------------------------------------------------------------------- command ids


def test_a_retried_command_id_must_repeat_its_command(fresh_node: Node) -> None:
    """No CLI command takes an id; the app and sync do, through `Node.submit`."""
    body = {"key": KEY_B, "role": "member", "name": "Bob"}
    first = fresh_node.submit("device.enrolled", body, cmd_id="cmd-1")
    again = fresh_node.submit("device.enrolled", dict(body), cmd_id="cmd-1")
    assert again.already_done and again.hash == first.hash
    entries = fresh_node.store.count()
    for kind, other in (
        ("device.enrolled", {**body, "key": KEY_C}),
        ("device.enrolled", {**body, "role": "admin"}),
        ("device.revoked", {"key": KEY_B, "reason": "lost"}),
    ):
        with pytest.raises(RuleViolation) as refusal:
            fresh_node.submit(kind, other, cmd_id="cmd-1")
        assert refusal.value.code == "cmd_id_reused"
    assert fresh_node.store.count() == entries
