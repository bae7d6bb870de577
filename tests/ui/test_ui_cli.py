"""`chitnode staff-pin set|clear` and `chitnode member-pin MEMBER_ID`, through the CLI's own
entry (`chitnode.cli.main.main`), alone and while a serve holds the folder (its control
endpoint in this process, as in tests/sync/test_serve.py): the PIN is read where the
command was typed and only its verifier reaches the serve."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from chitnode.cli.main import main, run_here
from chitnode.node.node import Node
from sync.invite.pins import PinBook
from sync.node_thread import NodeThread
from sync.serve.control import ControlServer
from tests.support.clock import FakeClock
from ui import cli
from ui.auth import StaffPins

PIN = "246810"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A root admin's node (a staff device that serves members) with member M1."""
    path = tmp_path / "node"
    with Node.init(path, "Test Branch", clock=FakeClock()) as node:
        node.submit("member.registered", {"member_id": "M1", "name": "Lakshmi"})
    return path


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, stdin: str, *argv: str
) -> tuple[int, str, str]:
    """`chitnode argv...` in-process with `stdin`; (exit status, stdout, stderr)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        status = main(list(argv))
    except SystemExit as exc:  # argparse's exit for bad arguments
        status = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err


def refused(result: tuple[int, str, str], status: int, code: str) -> None:
    got, out, err = result
    assert got == status, result
    assert err.startswith(f"chitnode: error [{code}]: ") and len(err.splitlines()) == 1, err
    assert "Traceback" not in err and out == ""


# --- staff-pin ------------------------------------------------------------------------------


def test_staff_pin_set_and_clear(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run(
        capsys, monkeypatch, f"{PIN}\n", "--data", str(folder), "staff-pin", "set", "--pin-stdin"
    )
    assert status == 0 and "Staff PIN set" in out
    assert StaffPins(folder).check(PIN)
    status, out, _ = run(capsys, monkeypatch, "", "--data", str(folder), "staff-pin", "clear")
    assert status == 0 and "cleared" in out and StaffPins(folder).verifier() is None
    status, out, _ = run(capsys, monkeypatch, "", "staff-pin", "clear", "--data", str(folder))
    assert status == 0 and "nothing to clear" in out


@pytest.mark.parametrize("pin", ["12345", "12345a", "1234567890123", ""])
def test_staff_pin_refuses_a_bad_pin(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, pin: str
) -> None:
    result = run(
        capsys, monkeypatch, f"{pin}\n", "--data", str(folder), "staff-pin", "set", "--pin-stdin"
    )
    refused(result, 1, "bad_staff_pin")
    assert StaffPins(folder).verifier() is None


def test_staff_pin_only_on_a_staff_device(
    folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Node.open(folder) as founder:
        branch, root = founder.branch, founder.public
    joining = tmp_path / "joining"  # a device not enrolled (yet): no role, no staff screens
    Node.join_empty(joining, branch, root).close()
    result = run(
        capsys, monkeypatch, f"{PIN}\n", "--data", str(joining), "staff-pin", "set", "--pin-stdin"
    )
    refused(result, 1, "not_staff_device")


def test_usage_errors_exit_2(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = ["--data", str(folder)]
    refused(run(capsys, monkeypatch, "", *data, "staff-pin"), 2, "usage")
    refused(run(capsys, monkeypatch, "", *data, "staff-pin", "reset"), 2, "usage")
    refused(run(capsys, monkeypatch, "", *data, "member-pin"), 2, "usage")
    # no terminal to ask on (stdin is a pipe) and no --pin-stdin
    refused(run(capsys, monkeypatch, f"{PIN}\n", *data, "member-pin", "M1"), 2, "usage")
    refused(
        run(capsys, monkeypatch, "9" * 100, *data, "member-pin", "M1", "--pin-stdin"), 2, "usage"
    )
    assert PinBook(folder).get("M1") is None


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_pin_is_asked_twice_on_a_terminal(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([PIN, "135790", PIN, PIN])  # a slip, then the same PIN twice
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin", Terminal())
    argv = ["--data", str(folder), "member-pin", "M1"]
    assert main(argv) == 2
    assert "the two PINs differ" in capsys.readouterr().err
    assert PinBook(folder).get("M1") is None
    assert main(argv) == 0
    assert PinBook(folder).check("M1", PIN)


# --- member-pin -----------------------------------------------------------------------------


def test_member_pin_sets_a_members_pin(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run(
        capsys, monkeypatch, f"{PIN}\n", "--data", str(folder), "member-pin", "M1", "--pin-stdin"
    )
    assert (
        status == 0 and out == "PIN set for member M1 (Lakshmi): they log in to the app with it.\n"
    )
    assert PinBook(folder).check("M1", PIN)
    status, _, _ = run(
        capsys, monkeypatch, "135790\n", "--data", str(folder), "member-pin", "M1", "--pin-stdin"
    )
    assert status == 0 and PinBook(folder).check("M1", "135790")  # a change wins


def test_member_pin_refusals(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = ["--data", str(folder)]
    refused(
        run(capsys, monkeypatch, f"{PIN}\n", *data, "member-pin", "M7", "--pin-stdin"),
        1,
        "unknown_member",
    )
    refused(
        run(capsys, monkeypatch, "12345\n", *data, "member-pin", "M1", "--pin-stdin"), 1, "bad_pin"
    )
    refused(
        run(capsys, monkeypatch, "", *data, "member-pin", "M1", "--verifier", "not-argon"),
        1,
        "bad_verifier",
    )
    assert PinBook(folder).get("M1") is None and PinBook(folder).get("M7") is None


# --- while a serve holds the folder ---------------------------------------------------------


@pytest.mark.asyncio
async def test_with_a_serve_running_only_the_verifier_reaches_it(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[list[str]] = []

    def recorded(argv: list[str], adjust: object) -> int:
        asked.append(list(argv))
        return run_here(argv, adjust)  # type: ignore[arg-type]

    node = Node.open(folder, clock=FakeClock())
    nt = NodeThread(node)
    control = ControlServer(nt, folder, recorded)
    await control.start()
    try:
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{PIN}\n" * 3))
        data = ["--data", str(folder)]
        member = [*data, "member-pin", "M1", "--pin-stdin"]
        assert await asyncio.to_thread(main, member) == 0
        assert await asyncio.to_thread(main, [*data, "staff-pin", "set", "--pin-stdin"]) == 0
        assert await asyncio.to_thread(main, [*data, "member-pin", "M9", "--pin-stdin"]) == 1
        assert await asyncio.to_thread(main, [*data, "staff-pin", "clear"]) == 0
    finally:
        await control.stop()
        await nt.aclose()
    out, err = capsys.readouterr()
    assert "PIN set for member M1 (Lakshmi)" in out and "Staff PIN set" in out
    assert "error [unknown_member]" in err  # M9: refused by the serve, whose stdin was not read
    assert [a[len(data)] for a in asked] == [
        "member-pin",
        "staff-pin",
        "member-pin",
        "staff-pin",
    ]
    assert all(PIN not in " ".join(a) for a in asked)
    assert all("--verifier" in a for a in asked[:3])
    assert PinBook(folder).check("M1", PIN) and StaffPins(folder).verifier() is None


def test_only_pin_commands_are_taken_by_the_plugin(folder: Path) -> None:
    from chitnode.cli.main import build_parser

    for argv in (["status"], ["staff-pin", "clear"], ["member-pin", "M1", "--verifier", "v"]):
        args = build_parser().parse_args(["--data", str(folder), *argv])
        assert cli.forward(argv, args) is None
