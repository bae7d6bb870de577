"""serve's parts in one process: the control endpoint, Node.lend, submit, status, the guard.

The real processes (signals, serve.json, a second serve, kill -9) are in
tests/system/test_serve.py; here the control endpoint runs on a NodeThread inside the
test's loop, and the client half (`forward`) runs on a plain thread, as in a CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import socket
import stat
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from chitnode.cli.main import build_parser, main, run_here
from chitnode.errors import StoreLocked
from chitnode.node.node import Node
from sync.node_thread import NodeThread
from sync.serve import cli as serve_cli
from sync.serve import guard
from sync.serve.cli import parse_body, status_part
from sync.serve.control import SOCKET_FILE, ControlServer, ThreadRouted, forward

AUDITOR = "cd" * 32


def _args(folder: Path, *argv: str) -> tuple[list[str], object]:
    full = ["--data", str(folder), *argv]
    return full, build_parser().parse_args(full)


@pytest_asyncio.fixture
async def served(fresh_node: Node, tmp_path: Path) -> AsyncIterator[Path]:
    """The fresh node's folder, with a control endpoint running for it."""
    folder = tmp_path / "node"
    nt = NodeThread(fresh_node)
    control = ControlServer(nt, folder, run_here)
    await control.start()
    try:
        yield folder
    finally:
        await control.stop()
        await nt.aclose()


async def _forward(folder: Path, *argv: str) -> int | None:
    full, args = _args(folder, *argv)
    return await asyncio.to_thread(forward, full, args)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_forwarded_commands_print_and_exit_as_they_would_alone(
    served: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sock = served / SOCKET_FILE
    assert stat.S_IMODE(sock.stat().st_mode) == 0o600
    body = json.dumps({"key": AUDITOR, "role": "auditor", "name": "Audit"})
    assert await _forward(served, "submit", "device.enrolled", body, "--id", "x") == 0
    assert await _forward(served, "submit", "device.enrolled", body, "--id", "x") == 0
    assert await _forward(served, "submit", "device.enrolled", "[1]") == 2
    assert await _forward(served, "submit", "no.such_kind", "{}") == 1
    assert await _forward(served, "status", "--json") == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "Applied device.enrolled: entry #2 (id x)"
    assert lines[1] == "Already done: device.enrolled is entry #2 applied (id x)"
    assert "chitnode: error [usage]: BODY_JSON must be a JSON object" in err
    assert err.splitlines()[-1] == "chitnode: error [unknown_kind]: unknown kind no.such_kind"
    status = json.loads(out[out.index("{") :])
    assert status["entries"] == 2 and status["sync"]["serving"] is False  # no runtime here
    assert "peers" in status and status["sync"]["peers_known"] == 0


@pytest.mark.asyncio
async def test_what_is_not_forwarded(served: Path, tmp_path: Path) -> None:
    assert await _forward(served, "check") is None  # reads the database file itself
    assert await _forward(served, "roles") is None
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    assert await _forward(elsewhere, "status") is None  # no serve there
    stale = tmp_path / "stale"
    stale.mkdir()
    left = socket.socket(socket.AF_UNIX)
    left.bind(str(stale / SOCKET_FILE))  # a socket file nobody listens on (serve killed)
    left.close()
    assert await _forward(stale, "status") is None


@pytest.mark.asyncio
async def test_a_bad_request_gets_a_code_and_serve_goes_on(served: Path) -> None:
    async def ask(line: bytes) -> dict[str, object]:
        reader, writer = await asyncio.open_unix_connection(str(served / SOCKET_FILE))
        writer.write(line)
        await writer.drain()
        reply = json.loads(await reader.readline())
        writer.close()
        return reply

    other = json.dumps({"v": 1, "argv": ["status"], "cwd": "/", "data": "/"}).encode() + b"\n"
    for line in (
        b"not json\n",
        b'{"v": 99}\n',
        b'{"v":1,"argv":[1],"cwd":"/","data":"/"}\n',
        other,
    ):
        reply = await ask(line)
        assert reply["status"] == 1 and "[control_failed]" in str(reply["stderr"])
    huge = b'{"v":1,"argv":["' + b"x" * (2 * 1024 * 1024) + b'"]}\n'
    with contextlib.suppress(ConnectionResetError):  # refused unread: an answer, or a reset
        assert "[control_failed]" in str((await ask(huge))["stderr"])
    assert await _forward(served, "log") == 0  # still serving


def test_node_lend_is_for_its_own_thread_only(fresh_node: Node, tmp_path: Path) -> None:
    folder = tmp_path / "node"
    with fresh_node.lend(folder):
        with Node.open(folder) as same:
            assert same is fresh_node
        assert fresh_node.status()["entries"] == 1  # closing the lent node left it open
        failed: list[BaseException] = []

        def other() -> None:
            try:
                Node.open(folder)
            except StoreLocked as exc:
                failed.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert [e.code for e in failed] == ["store_locked"]  # type: ignore[attr-defined]
    with pytest.raises(StoreLocked):  # lending over: this thread opens the folder for real
        Node.open(folder)


def test_thread_routed_output_stays_with_its_thread() -> None:
    import io

    default = io.StringIO()
    routed = ThreadRouted(default)  # type: ignore[arg-type]
    with routed.capture() as mine:
        routed.write("mine\n")
        thread = threading.Thread(target=lambda: routed.write("theirs\n"))
        thread.start()
        thread.join()
    assert mine.getvalue() == "mine\n" and default.getvalue() == "theirs\n"


def test_submit_alone_retries_refusals_and_bad_json(
    fresh_node: Node, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = str(tmp_path / "node")
    fresh_node.close()
    body = json.dumps({"key": AUDITOR, "role": "auditor", "name": "Audit"})
    assert main(["--data", folder, "submit", "device.enrolled", body, "--id", "k1"]) == 0
    assert main(["--data", folder, "submit", "device.enrolled", body, "--id", "k1", "--json"]) == 0
    out = capsys.readouterr().out
    receipt = json.loads(out[out.index("{") :])
    assert receipt["already_done"] is True and receipt["seq"] == 2
    assert main(["--data", folder, "submit", "unknown.kind", "{}"]) == 1
    assert "error [unknown_kind]" in capsys.readouterr().err
    assert main(["--data", folder, "submit", "device.enrolled", "{nope"]) == 2
    assert "error [usage]: BODY_JSON is not JSON" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # an id over the bound: argparse, exit 2
        main(["--data", folder, "submit", "device.enrolled", "{}", "--id", "x" * 65])
    assert usage.value.code == 2


def test_parse_body_takes_objects_only() -> None:
    assert parse_body('{"a": 1}') == {"a": 1}
    for text in ("[]", "1", '"s"', "null", "{", ""):
        with pytest.raises(Exception) as bad:
            parse_body(text)
        assert getattr(bad.value, "code", None) == "usage"


def test_status_part_alone_names_no_serve(fresh_node: Node, tmp_path: Path) -> None:
    fields, lines = status_part(fresh_node, tmp_path / "node")
    assert fields["peers"] == []
    assert fields["sync"] == {"serving": False, "lag_entries": None, "peers_known": 0}
    assert lines[0].startswith("Serving       no")


def test_guard_verdicts() -> None:
    alone = guard.verdict(7, [], 0)
    assert alone.state == guard.UNCHECKED and "no peer known" in alone.reason
    silent = guard.verdict(7, [], 3)
    assert silent.state == guard.UNCHECKED and "none of 3 known peers answered" in silent.reason
    restored = guard.verdict(7, [guard.PeerAnswer("p1", 9), guard.PeerAnswer("p2", 8)], 2)
    assert restored.state == guard.CAUGHT_UP and restored.own_seq_after == 9
    assert restored.peers == ("p1", "p2") and "7 -> 9" in restored.reason
    same = guard.verdict(7, [guard.PeerAnswer("p1", 7)], 1)
    assert same.state == guard.CAUGHT_UP and "confirmed" in same.reason


@pytest.mark.asyncio
async def test_guard_holds_writes_until_peers_answer_or_the_bound() -> None:
    g = guard.Guard(4)
    assert g.state.state == guard.CHECKING and not g.ready.is_set()

    async def answers() -> tuple[list[guard.PeerAnswer], int]:
        return [guard.PeerAnswer("p", 6)], 1

    assert (await g.run(answers, 60.0)).own_seq_after == 6
    assert g.ready.is_set()

    never = asyncio.Event()

    async def silent() -> tuple[list[guard.PeerAnswer], int]:
        await never.wait()
        return [], 1

    stuck = guard.Guard(4)
    state = await stuck.run(silent, 0.01)
    assert state.state == guard.UNCHECKED and stuck.ready.is_set()


def test_after_a_command_only_what_the_store_kept_is_published(fresh_node: Node) -> None:
    from chitnode.errors import RuleViolation
    from chitnode.node.node import Command
    from chitnode.services.events import EventStream

    stream = EventStream()
    stream.attach(fresh_node)
    sub = stream.subscribe()
    fresh_node.submit("device.enrolled", {"key": AUDITOR, "role": "auditor", "name": "A"})
    good = Command("device.enrolled", {"key": "ef" * 32, "role": "auditor", "name": "B"})
    with pytest.raises(RuleViolation):  # the second is refused: the batch rolls back
        fresh_node.submit_many([good, Command("no.such_kind", {})])
    assert stream.flush_stored(fresh_node) == 1
    assert [e.seq for e in sub.drain()] == [2]  # the first command; never the rolled back


PR_SET_DUMPABLE = 4  # prctl(2) option number, from <linux/prctl.h>
NOBODY_UID = 65534  # `nobody`: another user of this host, not the data folder's owner
# What another user's connection attempt came to (the forked child's exit status).
DENIED, CLOSED_SILENT, ANSWERED, OTHER = 10, 11, 12, 13


def _as_another_user(dir_fd: int) -> int:
    """In a child process running as `nobody`: connect to the socket, ask, read."""
    pid = os.fork()
    if pid == 0:  # the child: plain syscalls only, then _exit
        code = OTHER
        try:
            os.setgid(NOBODY_UID)
            os.setuid(NOBODY_UID)
            # a process that changed its uid loses /proc/self/fd (not dumpable): take it
            # back, so that only the folder's and the socket's modes decide below
            ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
            os.stat(f"/proc/self/fd/{dir_fd}")  # reachable, whatever the folder's mode
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(30)
                try:
                    s.connect(f"/proc/self/fd/{dir_fd}/{SOCKET_FILE}")
                except PermissionError:
                    os._exit(DENIED)
                try:
                    s.sendall(b'{"v":1,"argv":["status"],"cwd":"/","data":"/"}\n')
                    code = ANSWERED if s.recv(4096) else CLOSED_SILENT
                except ConnectionError:  # closed on before it read the request: a reset
                    code = CLOSED_SILENT
        except BaseException:
            code = OTHER
        os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.mark.skipif(os.geteuid() != 0, reason="acting as another user needs root")
@pytest.mark.asyncio
async def test_another_user_gets_nothing_not_even_with_the_files_opened_up(served: Path) -> None:
    dir_fd = os.open(served, os.O_RDONLY | os.O_DIRECTORY)
    sock = served / SOCKET_FILE
    try:
        # the folder (0700) and the socket (0600): the kernel refuses the connect itself
        assert await asyncio.to_thread(_as_another_user, dir_fd) == DENIED
        os.chmod(served, 0o711)
        os.chmod(sock, 0o666)
        # opened up by mistake: SO_PEERCRED names another uid, serve closes without a word
        assert await asyncio.to_thread(_as_another_user, dir_fd) == CLOSED_SILENT
    finally:
        os.chmod(served, 0o700)
        os.chmod(sock, 0o600)
        os.close(dir_fd)
    assert await _forward(served, "log") == 0  # the owner is still served


@pytest.mark.asyncio
async def test_a_command_that_breaks_gives_its_client_a_line_not_a_traceback(
    fresh_node: Node, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "node"

    def broken(argv: list[str], adjust: object) -> int:
        raise ZeroDivisionError("a bug in a command")

    nt = NodeThread(fresh_node)
    control = ControlServer(nt, folder, broken)
    await control.start()
    try:
        reader, writer = await asyncio.open_unix_connection(str(folder / SOCKET_FILE))
        request = {"v": 1, "argv": ["status"], "cwd": str(tmp_path), "data": str(folder)}
        writer.write(json.dumps(request).encode() + b"\n")
        reply = json.loads(await reader.readline())
        writer.close()
    finally:
        await control.stop()
        await nt.aclose()
    assert reply == {
        "status": 1,
        "stdout": "",
        "stderr": "chitnode: error [control_failed]: the command failed in serve\n",
    }
    assert "ZeroDivisionError" in capsys.readouterr().err  # in serve's own stderr, its log


def test_peers_says_what_discovery_did() -> None:
    """`chitnode peers` tells a foreman on a LAN that blocks multicast why nobody shows up."""
    off = serve_cli._discovery_line(None)
    assert off.startswith("Discovery: off (--no-discovery)")
    down = {"running": False, "error": "no IPv4 address on an up interface", "hints": 0}
    assert serve_cli._discovery_line(down) == (
        "Discovery: not running: no IPv4 address on an up interface"
    )
    up = {
        "running": True,
        "error": None,
        "hints": 2,
        "advertised": ["192.168.1.7"],
        "ignored": {"other_branch": 3},
        "last_hint_ms": 0,
    }
    line = serve_cli._discovery_line(up)
    assert line == (
        "Discovery: advertising on 192.168.1.7; 2 hint(s) from this branch, "
        "last 1970-01-01 00:00:00; ignored: other_branch 3"
    )
