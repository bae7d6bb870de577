"""No tracebacks for a user (issue 9, point 10): the real `chitnode`, one process per case.

A table of hostile arguments, files and surroundings, each run as a child process
with a timeout: every one must end with exit 1 or 2 and one `error [code]:` line,
the code the one named here, and never a traceback. Then the cases a table row
cannot set up: a read-only data folder, a passphrase prompt with stdin closed,
and stored text with bytes flipped.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chitnode.store.sqlite import DB_FILE
from tests.support.cli_proc import chitnode, error_code, found_branch, ok

HUGE = "99999999999999999999"  # past SQLite's 64-bit integers
KEY_B = "b2" * 32


@dataclass(frozen=True, slots=True)
class Place:
    """The files the table's arguments point at."""

    data: Path  # a data folder with a small branch
    tmp: Path  # scratch space
    export: Path  # a good export of `data`
    junk: Path  # random bytes
    afile: Path  # a plain file, given where a folder is wanted


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Place]:
    tmp = tmp_path_factory.mktemp("hostile")
    data = tmp / "data"
    ok(chitnode("--data", data, "init", "--branch-name", "Hostile"))
    ok(chitnode("--data", data, "enrol", KEY_B, "--role", "member", "--name", "Bob"))
    export = tmp / "good.chitlog"
    ok(chitnode("--data", data, "export", export))
    junk = tmp / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 16)
    afile = tmp / "afile"
    afile.write_text("not a folder\n")
    yield Place(data, tmp, export, junk, afile)


# (id, argv with {data} {tmp} {export} {junk} {afile}, expected code, expected exit)
HOSTILE: list[tuple[str, list[str], str, int]] = [
    ("log-limit-huge", ["--data", "{data}", "log", "--limit", HUGE], "usage", 2),
    ("log-limit-zero", ["--data", "{data}", "log", "--limit", "0"], "usage", 2),
    ("log-since-garbage", ["--data", "{data}", "log", "--since", "yesterday"], "usage", 2),
    (
        "export-from-seq-huge",
        ["--data", "{data}", "export", "{tmp}/x", "--from-seq", HUGE],
        "usage",
        2,
    ),
    ("export-into-a-folder", ["--data", "{data}", "export", "{tmp}"], "export_failed", 1),
    (
        "export-into-a-missing-folder",
        ["--data", "{data}", "export", "{tmp}/no/x"],
        "export_failed",
        1,
    ),
    (
        "export-unknown-author",
        ["--data", "{data}", "export", "{tmp}/y", "--author", "e5" * 32],
        "bad_format",
        1,
    ),
    (
        "csv-into-a-missing-folder",
        ["--data", "{data}", "report", "balance-sheet", "--csv", "{tmp}/no/b.csv"],
        "io_error",
        1,
    ),
    (
        "csv-onto-a-folder",
        ["--data", "{data}", "report", "balance-sheet", "--csv", "{tmp}"],
        "io_error",
        1,
    ),
    ("data-is-a-file", ["--data", "{afile}", "status"], "data_not_folder", 1),
    (
        "init-where-a-file-is",
        ["--data", "{afile}", "init", "--branch-name", "X"],
        "data_not_folder",
        1,
    ),
    ("data-under-a-file", ["--data", "{afile}/sub", "status"], "data_not_folder", 1),
    (
        "init-under-a-file",
        ["--data", "{afile}/sub", "init", "--branch-name", "X"],
        "data_not_folder",
        1,
    ),
    ("data-empty", ["--data", "", "status"], "usage", 2),
    ("init-twice", ["--data", "{data}", "init", "--branch-name", "Again"], "usage", 2),
    ("import-a-folder", ["--data", "{data}", "import", "{tmp}"], "import_refused", 1),
    ("import-junk", ["--data", "{data}", "import", "{junk}"], "import_refused", 1),
    ("import-dev-zero", ["--data", "{data}", "import", "/dev/zero"], "import_refused", 1),
    ("verify-a-folder", ["verify", "{tmp}"], "usage", 2),
    (
        "enrol-bad-key",
        ["--data", "{data}", "enrol", "xyz", "--role", "member", "--name", "n"],
        "usage",
        2,
    ),
    (
        "enrol-bad-role",
        ["--data", "{data}", "enrol", KEY_B, "--role", "king", "--name", "n"],
        "usage",
        2,
    ),
    ("kyc-unknown-member", ["--data", "{data}", "kyc", "show", "nobody"], "not_found", 1),
    (
        "statement-unknown-member",
        ["--data", "{data}", "report", "statement", "nobody"],
        "unknown_member",
        1,
    ),
    ("unknown-command", ["--data", "{data}", "frobnicate"], "usage", 2),
    (
        "calc-huge-principal",
        ["calc", "emi", "--principal", HUGE, "--annual-rate", "10", "--months", "12"],
        "bad_principal",
        1,
    ),
]
# Commands whose output goes to a full device (/dev/full): the write fails at the end.
TO_A_FULL_DEVICE: list[tuple[str, list[str]]] = [
    ("roles", ["roles"]),
    ("status", ["--data", "{data}", "status", "--json"]),
    ("log", ["--data", "{data}", "log"]),
    ("check", ["--data", "{data}", "check"]),
    ("csv", ["--data", "{data}", "report", "balance-sheet", "--csv", "/dev/full"]),
]


def fill(argv: list[str], at: Place) -> list[str]:
    names = {
        "data": at.data,
        "tmp": at.tmp,
        "export": at.export,
        "junk": at.junk,
        "afile": at.afile,
    }
    return [arg.format(**names) for arg in argv]


def no_traceback_and(run: subprocess.CompletedProcess[str], code: str, exit_code: int) -> None:
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode in (1, 2), (run.returncode, run.stderr)
    assert run.returncode == exit_code, (run.returncode, run.stderr)
    assert error_code(run) == code, run.stderr


@pytest.mark.parametrize(
    ("argv", "code", "exit_code"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE]
)
def test_hostile_arguments_get_a_code_never_a_traceback(
    place: Place, argv: list[str], code: str, exit_code: int
) -> None:
    no_traceback_and(chitnode(*fill(argv, place)), code, exit_code)


@pytest.mark.parametrize(
    "argv", [c[1] for c in TO_A_FULL_DEVICE], ids=[c[0] for c in TO_A_FULL_DEVICE]
)
def test_output_to_a_full_device_is_disk_full(place: Place, argv: list[str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        run = chitnode(*fill(argv, place), stdout=full)
    no_traceback_and(run, "disk_full", 1)
    assert len(run.stderr.splitlines()) == 1, run.stderr


def test_the_table_left_the_branch_as_it_was(place: Place) -> None:
    """Every refused command changed nothing: the store still checks clean, three entries."""
    out = ok(chitnode("--data", place.data, "check"))
    assert out.splitlines()[-1].startswith("OK: 3 entries")
    assert place.afile.read_text() == "not a folder\n"


# --------------------------------------------------------------------------- read-only folder


def _read_only_runner(folder: Path) -> list[str]:
    """A prefix that runs a command with `folder` read-only, even for root; else skip.

    As root, chmod does not stop writes, so the folder is bind-mounted read-only onto
    itself inside a private mount namespace (`unshare -m`): a real EROFS, gone with the
    child, nothing left mounted. Without root, chmod 0500 does the job.
    """
    if os.geteuid() != 0:
        folder.chmod(0o500)
        return []
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("running as root without `unshare`: cannot make a read-only folder")
    probe = subprocess.run([unshare, "-m", "true"], capture_output=True, timeout=60, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a mount namespace here: {probe.stderr!r}")
    mount = f'mount --bind -o ro {folder} {folder} && exec "$0" "$@"'
    return [unshare, "-m", "sh", "-c", mount]


def test_a_read_only_data_folder_is_not_writable_never_a_traceback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ok(chitnode("--data", data, "init", "--branch-name", "Read only"))
    prefix = _read_only_runner(data)
    try:
        for argv in (["status"], ["enrol", KEY_B, "--role", "member", "--name", "Bob"]):
            run = chitnode("--data", data, *argv, prefix=prefix)
            no_traceback_and(run, "data_not_writable", 1)
        fresh = chitnode("--data", data / "new", "init", "--branch-name", "X", prefix=prefix)
        no_traceback_and(fresh, "data_not_writable", 1)
    finally:
        data.chmod(0o700)
    assert not (data / "new").exists()


# --------------------------------------------------------------------------- closed stdin


def test_a_passphrase_prompt_with_stdin_closed_is_key_unavailable(place: Place) -> None:
    """No passphrase in the environment and stdin closed (`<&-`): nothing to ask."""
    run = chitnode(
        "--data",
        place.data,
        "status",
        env={"CHITNODE_PASSPHRASE": None},
        prefix=["sh", "-c", 'exec "$0" "$@" <&-'],
    )
    no_traceback_and(run, "key_unavailable", 1)


# --------------------------------------------------------------------------- flipped bytes


def flip(data: Path, seq: int, at: bytes, mask: int) -> None:
    """XOR the first byte of `at` in entry #seq's stored text, as a bad disk or a hex editor
    would; the row keeps its hash."""
    conn = sqlite3.connect(data / DB_FILE)
    try:
        row = conn.execute("SELECT CAST(raw AS BLOB) FROM entries WHERE seq = ?", (seq,))
        raw = bytearray(row.fetchone()[0])
        raw[raw.index(at)] ^= mask
        conn.execute("UPDATE entries SET raw = CAST(? AS TEXT) WHERE seq = ?", (bytes(raw), seq))
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def flipped(tmp_path: Path) -> Iterator[Path]:
    data = tmp_path / "data"
    found_branch(data, "Flipped", [(KEY_B, "Bob")])
    yield data


@pytest.mark.parametrize(
    ("at", "mask"),
    [(b"Bob", 0xFF), (b"Bob", 0x01), (b'"Bob"', 0x20)],
    ids=["not-utf8", "another-letter", "broken-json"],
)
def test_rebuild_export_and_log_of_flipped_bytes_name_the_entry(
    flipped: Path, at: bytes, mask: int
) -> None:
    flip(flipped, 2, at, mask)
    for argv in (["rebuild"], ["export", str(flipped.parent / "out.chitlog")]):
        run = chitnode("--data", flipped, *argv)
        no_traceback_and(run, "store_tampered", 1)
        assert run.stdout.startswith("bad_hash 2 "), run.stdout
    assert not (flipped.parent / "out.chitlog").exists()
    log = chitnode("--data", flipped, "log")
    assert "Traceback" not in log.stderr
    if log.returncode != 0:  # text that no longer parses cannot be shown; it is named
        no_traceback_and(log, "store_tampered", 1)
    check = chitnode("--data", flipped, "check")
    assert check.returncode == 1 and check.stdout.startswith("bad_hash 2 ")
