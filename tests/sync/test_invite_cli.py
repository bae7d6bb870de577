"""`chitnode invite` and `chitnode join` refusals, in process (sync/invite/cli.py).

The whole path between two serving processes is tests/system/test_join.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from chitnode.cli.main import main
from chitnode.node.node import Node
from sync.invite import code
from sync.invite.code import Invite


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit_:  # argparse's usage errors
        status = int(exit_.code or 0)
    return status, capsys.readouterr().err


def test_invite_needs_a_running_serve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Node.init(tmp_path / "admin", "Branch").close()
    status, err = run(
        capsys, "--data", str(tmp_path / "admin"), "invite", "--role", "member", "--name", "P"
    )
    assert status == 1 and "error [not_serving]" in err
    assert not (tmp_path / "admin" / "invites").exists()


def test_invite_arguments_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "admin")
    assert run(capsys, "--data", data, "invite", "--role", "boss", "--name", "P")[0] == 2
    status, err = run(
        capsys, "--data", data, "invite", "--role", "member", "--name", "P", "--ttl-min", "0"
    )
    assert status == 2 and "minutes" in err


def test_join_refuses_a_mistyped_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = code.encode(Invite("0" * 32, "a" * 64, "b" * 64, bytes(16), 2**47, (("10.0.0.1", 7),)))
    typo = good[:-3] + ("0" if good[-3] != "0" else "1") + good[-2:]
    status, err = run(capsys, "--data", str(tmp_path / "new"), "join", typo)
    assert status == 1 and "error [bad_invite]" in err
    assert not (tmp_path / "new").exists()


def test_join_refuses_a_folder_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Node.init(tmp_path / "old", "Branch").close()
    text = code.encode(Invite("0" * 32, "a" * 64, "b" * 64, bytes(16), 2**47, (("10.0.0.1", 7),)))
    before = sorted(p.name for p in (tmp_path / "old").iterdir())
    status, err = run(capsys, "--data", str(tmp_path / "old"), "join", text)
    assert status == 1 and "error [join_not_empty]" in err
    assert sorted(p.name for p in (tmp_path / "old").iterdir()) == before


def test_join_refuses_an_expired_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = code.encode(Invite("0" * 32, "a" * 64, "b" * 64, bytes(16), 1, (("10.0.0.1", 7),)))
    status, err = run(capsys, "--data", str(tmp_path / "new"), "join", text)
    assert status == 1 and "error [invite_expired]" in err
    assert not (tmp_path / "new").exists()


def test_invites_lists_and_closes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sync.invite.book import InviteBook

    folder = tmp_path / "admin"
    Node.init(folder, "Branch").close()
    assert main(["--data", str(folder), "invites"]) == 0
    assert "No invites" in capsys.readouterr().out
    now_ms = int(time.time() * 1000)
    InviteBook(folder).add("ab" * 32, "employee", "Counter", now_ms, now_ms + 600_000)
    assert main(["--data", str(folder), "invites", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["id"], row["state"], row["role"]) == ("ab" * 6, "open", "employee")
    assert main(["--data", str(folder), "invites", "--cancel", "abababab"]) == 0
    out = capsys.readouterr().out
    assert "Closed invite abababababab" in out and "expired" in out
    status, err = run(capsys, "--data", str(folder), "invites", "--cancel", "abababab")
    assert status == 1 and "error [not_found]" in err
