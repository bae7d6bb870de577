"""Forks through the command line (docs/forks.md): a real device key used from two stores,
a root that lost its last writes, what each command says, and the way out of both."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from chitnode.cli.main import main
from chitnode.node.node import Node
from chitnode.services.receipts import EXIT_NOT_APPLIED, check_applied, not_applied
from chitnode.store.keys import FileKeyStore
from chitnode.store.sqlite import SqliteStore

# Keys go to the passphrase-sealed file (tests/conftest.py); every command names --data.


class Cli:
    """`chitnode ...` in-process, one data folder per device."""

    def __init__(self, capsys: pytest.CaptureFixture[str], tmp: Path) -> None:
        self.capsys, self.tmp = capsys, tmp

    def run(self, folder: Path | None, *argv: str) -> tuple[int, str, str]:
        args = ["--data", str(folder), *argv] if folder is not None else list(argv)
        try:
            code = main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = self.capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    def ok(self, folder: Path | None, *argv: str) -> str:
        code, out, err = self.run(folder, *argv)
        assert code == 0, (argv, code, out, err)
        return out

    def status(self, folder: Path) -> dict[str, object]:
        return json.loads(self.ok(folder, "status", "--json"))  # type: ignore[no-any-return]

    def forks(self, folder: Path) -> list[dict[str, object]]:
        return json.loads(self.ok(folder, "fork", "list", "--json"))  # type: ignore[no-any-return]

    def carry(self, source: Path, target: Path, name: str) -> str:
        """Export `source` and import the file into `target`; the file's path."""
        path = self.tmp / f"{name}.chitlog"
        self.ok(source, "export", str(path))
        self.ok(target, "import", str(path))
        return str(path)

    def found(self, name: str) -> Path:
        folder = self.tmp / name
        self.ok(folder, "init", "--branch-name", "Udupi Branch")
        return folder

    def device(self, root: Path, name: str, role: str) -> tuple[Path, str]:
        """A new device of `root`'s branch, enrolled by it and holding its log."""
        key = SigningKey.generate()
        public = key.verify_key.encode().hex()
        doc = self.status(root)
        folder = self.tmp / name
        store = SqliteStore.open(folder, create=True)
        with store.transaction():
            store.set_meta("keystore", FileKeyStore(folder).save(key))
            store.set_meta("device_key", public)
            store.set_meta("branch", str(doc["branch"]))
            store.set_meta("root", str(doc["root"]))
        store.close()
        self.ok(root, "enrol", public, "--role", role, "--name", name)
        self.carry(root, folder, f"to-{name}")
        return folder, public


def key(n: int) -> str:
    return f"{n:02x}" * 32


def devices(cli: Cli, folder: Path, role: str = "member") -> set[str]:
    """Keys of `role` this node holds enrolled, from its audit trail."""
    out = cli.ok(folder, "log", "--kind", "device.enrolled", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    return {
        r["body"]["key"] for r in rows if r["status"] == "applied" and r["body"]["role"] == role
    }


# ------------------------------------------------------------------- the root's own fork


def root_forked(cli: Cli) -> tuple[Path, Path, str]:
    """The root enrols two members (seq 4, 5) and a head-office admin imports them; then the
    root's device loses those writes (its store is back where it was: a lost `-wal`) and
    enrols another member at seq 4. Both nodes then hold both lines: the root forked."""
    root = cli.found("root")
    office, _ = cli.device(root, "office", "admin")
    before = cli.tmp / "root-before"
    shutil.copytree(root, before)  # what the disk will hold after the lost writes
    cli.ok(root, "enrol", key(1), "--role", "member", "--name", "Asha")
    cli.ok(root, "enrol", key(2), "--role", "member", "--name", "Bindu")
    cli.carry(root, office, "line-a")
    shutil.rmtree(root)
    shutil.copytree(before, root)
    cli.ok(root, "enrol", key(3), "--role", "member", "--name", "Chetan")  # seq 4 again
    cli.carry(root, office, "line-b")
    cli.carry(office, root, "both")
    return root, office, str(cli.status(root)["root"])


def test_the_root_forks_is_frozen_everywhere_and_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cli = Cli(capsys, tmp_path)
    root, office, root_key = root_forked(cli)
    for folder in (root, office):
        (fork,) = cli.forks(folder)
        assert (fork["author"], fork["who"], fork["fork_seq"], fork["state"]) == (
            root_key,
            "root",
            4,
            "frozen",
        )
        assert len(fork["twins"]) == 2  # both entries at seq 4, by hash
        assert cli.status(folder)["forks"]
        assert "FORKS (evidence kept for good;" in cli.ok(folder, "status")
    assert devices(cli, office) == devices(cli, root) == set()  # nothing from seq 4 applies

    # (a) a command whose entry is frozen says so, with a code and the way out, and exits 3
    code, out, err = cli.run(root, "enrol", key(4), "--role", "member", "--name", "Deepa")
    assert code == EXIT_NOT_APPLIED and out == ""
    assert err.startswith("chitnode: error [author_frozen]: entry #5 ")
    assert "forked at seq 4" in err and "chitnode fork list" in err
    assert len(err.splitlines()) == 1

    # only the root's own device can resolve the root's fork
    code, _, err = cli.run(office, "fork", "resolve", root_key)
    assert code == 1 and err.startswith("chitnode: error [not_root]: ")


def test_the_root_keeps_its_line_and_every_node_settles_alike(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cli = Cli(capsys, tmp_path)
    root, office, root_key = root_forked(cli)
    assert cli.run(root, "enrol", key(4), "--role", "member", "--name", "Deepa")[0] == 3
    out = cli.ok(root, "fork", "resolve", root_key)
    assert out.splitlines()[0] == "Wrote fork.resolved: entry #6 applied"
    assert devices(cli, root) == {key(3), key(4)}  # the kept line applies, up to the resolution
    cli.ok(root, "enrol", key(5), "--role", "member", "--name", "Esha")  # and the root goes on
    exported = cli.carry(root, office, "resolved")
    assert devices(cli, office) == {key(3), key(4), key(5)}
    assert cli.status(office)["state_digest"] == cli.status(root)["state_digest"]
    for folder in (root, office):
        (fork,) = cli.forks(folder)
        assert fork["state"] == "resolved" and "entry #6" in str(fork["note"])
        assert {t["discarded"] for t in fork["twins"]} == {True, False}  # evidence kept
    # the export carries both lines; verify reports the fork as evidence, nothing else
    code, out, _ = cli.run(None, "verify", exported, "--json")
    report = json.loads(out)
    assert code == 1
    assert {(p["code"], p["author"]) for p in report["problems"]} == {("fork", root_key)}
    assert {p["seq"] for p in report["problems"]} == {4, 5}
    # a third node importing that export settles the same way
    third, _ = cli.device(root, "third", "auditor")
    assert cli.status(third)["state_digest"] == cli.status(root)["state_digest"]


def test_the_root_may_keep_the_line_it_lost(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cli = Cli(capsys, tmp_path)
    root, office, root_key = root_forked(cli)
    (fork,) = cli.forks(root)
    lost = next(t["hash"] for t in fork["twins"] if not t["main"])
    out = cli.ok(root, "fork", "resolve", root_key, "--keep", str(lost))
    assert out.splitlines()[0] == "Wrote fork.resolved: entry #6 applied"
    assert devices(cli, root) == {key(1), key(2)}
    cli.ok(root, "enrol", key(6), "--role", "member", "--name", "Farah")  # seq 7, line A
    cli.carry(root, office, "kept-a")
    assert devices(cli, office) == {key(1), key(2), key(6)}
    assert cli.status(office)["state_digest"] == cli.status(root)["state_digest"]


def test_what_the_fork_commands_refuse_changes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cli = Cli(capsys, tmp_path)
    root, office, root_key = root_forked(cli)
    office_key = str(cli.status(office)["device_key"])
    out = cli.ok(root, "fork", "list")
    (fork,) = cli.forks(root)
    assert f"{root_key}  root: fork at seq 4, FROZEN" in out
    assert all(t["hash"] in out for t in fork["twins"])  # both entries, by full hash
    before = cli.status(root)
    for argv, code in (
        (("fork", "resolve", root_key, "--keep", "ab" * 32), "not_found"),
        (("fork", "resolve", office_key), "not_forked"),
        (("fork", "rekey"), "cannot_revoke_root"),
    ):
        status, out, err = cli.run(root, *argv)
        assert (status, out) == (1, ""), argv
        assert err.startswith(f"chitnode: error [{code}]: ") and len(err.splitlines()) == 1
    status, _, err = cli.run(office, "fork", "rekey")
    assert status == 1 and err.startswith("chitnode: error [not_forked]: ")
    assert cli.status(root) == before  # refused: nothing written
    cli.ok(root, "fork", "resolve", root_key)
    status, _, err = cli.run(root, "fork", "resolve", root_key)
    assert status == 1 and err.startswith("chitnode: error [not_forked]: ")


# ------------------------------------------------------------------- a device key forked


def test_a_forked_device_is_retired_and_re_keyed_and_the_branch_goes_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cli = Cli(capsys, tmp_path)
    root = cli.found("root")
    laptop, old = cli.device(root, "laptop", "admin")
    cli.ok(laptop, "enrol", key(1), "--role", "member", "--name", "Asha")  # its seq 1
    copy = tmp_path / "laptop-copy"
    shutil.copytree(laptop, copy)  # the same key, in a second folder: two writers of one feed
    cli.ok(laptop, "enrol", key(2), "--role", "member", "--name", "Bindu")  # seq 2
    cli.ok(copy, "enrol", key(3), "--role", "member", "--name", "Chetan")  # seq 2 again
    cli.carry(laptop, root, "laptop")
    cli.carry(copy, root, "copy")  # the admin's node holds both: a fork at seq 2
    (fork,) = cli.forks(root)
    assert (fork["author"], fork["who"], fork["fork_seq"], fork["state"]) == (
        old,
        "laptop (admin)",
        2,
        "frozen",
    )
    twins = {t["hash"] for t in fork["twins"]}
    assert len(twins) == 2
    assert devices(cli, root) == {key(1)}  # before the fork: applied; from it: frozen

    cli.carry(root, laptop, "back")  # the laptop learns of its own fork
    code, out, err = cli.run(laptop, "enrol", key(4), "--role", "member", "--name", "Deepa")
    assert code == EXIT_NOT_APPLIED and out == ""
    assert err.startswith("chitnode: error [author_frozen]: entry #3 ")

    out = cli.ok(root, "fork", "resolve", old, "--reason", "data folder copied")
    assert out.splitlines()[0].startswith("Wrote device.revoked: entry #")
    assert "chitnode fork rekey" in out
    (fork,) = cli.forks(root)
    assert fork["state"] == "retired" and "valid up to seq 1" in str(fork["note"])
    code, _, err = cli.run(root, "fork", "resolve", old)  # once is enough
    assert code == 1 and err.startswith("chitnode: error [already_revoked]: ")

    out = cli.ok(laptop, "fork", "rekey")
    new = out.splitlines()[0].rpartition(" ")[2]
    assert len(new) == 64 and new != old
    cli.ok(root, "enrol", new, "--role", "admin", "--name", "laptop")
    cli.carry(root, laptop, "rekeyed")
    cli.ok(laptop, "enrol", key(5), "--role", "member", "--name", "Esha")  # the branch goes on
    final = cli.carry(laptop, root, "onward")
    assert devices(cli, root) == devices(cli, laptop) == {key(1), key(5)}
    assert cli.status(root)["state_digest"] == cli.status(laptop)["state_digest"]

    # the evidence stays: in the store, and in every export, both entries at seq 2
    assert {f["hash"] for f in cli.status(root)["forks"]} <= twins
    exported = tmp_path / "audit.chitlog"
    cli.ok(root, "export", str(exported))
    lines = [json.loads(x) for x in exported.read_text().splitlines()[1:-1]]
    assert {x["hash"] for x in lines if x["author"] == old and x["seq"] == 2} == twins
    # verify reports the fork and the retired key's entries after seq 1; nothing else
    code, out, _ = cli.run(None, "verify", str(exported), "--json")
    problems = json.loads(out)["problems"]
    assert code == 1
    assert ("fork", old, 2) in {(p["code"], p["author"], p["seq"]) for p in problems}
    assert {p["author"] for p in problems} == {old}
    assert {p["code"] for p in problems} <= {"fork", "unauthorised"}
    assert all(p["seq"] >= 2 for p in problems)
    # a new node importing the audit file settles the same way
    third, _ = cli.device(root, "third", "auditor")
    assert cli.status(third)["state_digest"] == cli.status(root)["state_digest"]
    assert final


def test_every_outcome_but_applied_is_reported_with_its_code(fresh_node: Node) -> None:
    """The reporting rule on its own: what a command says for each way an entry can end."""
    receipt = fresh_node.submit("device.enrolled", {"key": key(7), "role": "member", "name": "G"})
    assert not_applied(fresh_node, receipt) is None
    check_applied(fresh_node, receipt)  # applied: nothing raised
    said = {
        status: not_applied(fresh_node, replace(receipt, status=status, code=code))
        for status, code in (("rejected", "insufficient_funds"), ("held", "waiting_for_deps"))
    }
    rejected, held = said["rejected"], said["held"]
    assert rejected is not None and rejected.code == "insufficient_funds"
    assert "rejected it (insufficient_funds)" in rejected.message
    assert held is not None and held.code == "waiting_for_deps" and "import" in held.message
    for problem in (rejected, held):
        assert (
            problem.exit_status == EXIT_NOT_APPLIED and f"entry #{receipt.seq}" in problem.message
        )
