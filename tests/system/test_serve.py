"""`chitnode serve` as a real process: endpoints, serve.json, signals, the lock, and the
other commands reaching it through the control endpoint (issue 10, points 1 and 10).

Each test founds a branch in a temp folder, starts serve with `--peer-port 0
--no-discovery`, runs the real `chitnode` against it and stops it by its pid.
"""

from __future__ import annotations

import json
import os
import signal
import stat
from pathlib import Path

import pytest

from chitnode.node.node import Node
from tests.support.cli_proc import chitnode, found_branch, ok, refused
from tests.support.serve_proc import ServeProcess

pytestmark = pytest.mark.system

SERVE_ARGS = ("--peer-port", "0", "--no-discovery")
AUDITOR = "ab" * 32


def _enrol_body(name: str = "Audit") -> str:
    return json.dumps({"key": AUDITOR, "role": "auditor", "name": name})


def _without_sync(status: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in status.items() if k not in ("sync",)}


def test_commands_reach_a_running_serve_and_say_what_they_say_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "node"
    found_branch(folder, "Serve Branch")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # the children inherit it: `export out.chitlog` is relative
    with ServeProcess(folder, *SERVE_ARGS) as serve:
        doc = serve.wait_ready()
        assert doc["pid"] == serve.pid and doc["control"] == "serve.sock"
        assert isinstance(doc["addresses"], list)
        sock = folder / "serve.sock"
        assert stat.S_ISSOCK(sock.stat().st_mode)
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        assert stat.S_IMODE((folder / "serve.json").stat().st_mode) == 0o600

        first = ok(
            chitnode("--data", folder, "submit", "device.enrolled", _enrol_body(), "--id", "a1")
        )
        assert first.startswith("Applied device.enrolled: entry #3")  # #2: its cert bound
        again = ok(
            chitnode("--data", folder, "submit", "device.enrolled", _enrol_body(), "--id", "a1")
        )
        assert again.startswith("Already done: device.enrolled is entry #3 applied")
        refused(chitnode("--data", folder, "submit", "no.such_kind", "{}"), "unknown_kind")
        refused(chitnode("--data", folder, "submit", "device.enrolled", "{oops"), "usage", 2)
        refused(  # another command under a used id: the rule's code, through serve too
            chitnode("--data", folder, "submit", "device.enrolled", _enrol_body("B"), "--id", "a1"),
            "cmd_id_reused",
        )
        served_status = json.loads(ok(chitnode("--data", folder, "status", "--json")))
        served_log = ok(chitnode("--data", folder, "log"))
        served_export = ok(chitnode("--data", folder, "export", "served.chitlog"))
        served_text = ok(chitnode("--data", folder, "status"))
        assert served_status["sync"]["serving"] is True
        assert served_status["sync"]["pid"] == serve.pid
        assert served_status["sync"]["guard"]["state"] == "unchecked"  # no peer known
        assert "Serving       pid" in served_text
        assert "Backup guard  unchecked" in served_text
        assert serve.stop() == 0, serve.err
    assert "Traceback" not in serve.err
    assert not (folder / "serve.json").exists() and not (folder / "serve.sock").exists()

    alone_status = json.loads(ok(chitnode("--data", folder, "status", "--json")))
    assert alone_status["sync"]["serving"] is False
    assert _without_sync(alone_status) == _without_sync(served_status)
    assert ok(chitnode("--data", folder, "log")) == served_log
    assert ok(chitnode("--data", folder, "export", "alone.chitlog")) == served_export.replace(
        "served.chitlog", "alone.chitlog"
    )
    served_lines = (work / "served.chitlog").read_text().splitlines()
    alone_lines = (work / "alone.chitlog").read_text().splitlines()
    assert served_lines[1:-1] == alone_lines[1:-1]  # the entries; the header is timestamped
    assert ok(chitnode("verify", work / "served.chitlog")).startswith("OK: 3 entries")
    with Node.open(folder) as node:  # the writer lock is free again
        assert node.status()["entries"] == 3  # genesis, channel cert bound, the enrolment


def test_a_second_serve_is_refused_and_sigint_stops_the_first_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    found_branch(folder, "Serve Branch")
    with ServeProcess(folder, *SERVE_ARGS) as serve:
        serve.wait_ready()
        second = chitnode("--data", folder, "serve", *SERVE_ARGS)
        refused(second, "already_serving")
        assert str(serve.pid) in second.stderr
        assert serve.serve_file() is not None  # the refused one left the first's file alone
        refused(chitnode("--data", folder, "check"), "store_locked")  # check reads the file
        assert serve.stop(signal.SIGINT) == 0, serve.err
    lines = serve.out.splitlines()
    assert lines[0].startswith(f"chitnode serve: {folder}") and f"pid {serve.pid}" in lines[0]
    assert any(line.startswith("control  unix:") for line in lines)
    assert lines[-1] == "chitnode serve: stopped"
    ok(chitnode("--data", folder, "check"))


def test_after_kill_9_the_commands_run_alone_and_serve_starts_again(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    found_branch(folder, "Serve Branch")
    with ServeProcess(folder, *SERVE_ARGS) as serve:
        serve.wait_ready()
        os.kill(serve.pid, signal.SIGKILL)
        serve.proc.wait()
    assert (folder / "serve.sock").exists()  # left behind: nobody answers there
    assert "Serving       no" in ok(chitnode("--data", folder, "status"))
    with ServeProcess(folder, *SERVE_ARGS) as again:
        assert again.wait_ready()["pid"] == again.pid
        out = ok(chitnode("--data", folder, "submit", "device.enrolled", _enrol_body()))
        assert "entry #3" in out  # #2 bound its channel certificate at the first start
        assert again.stop() == 0, again.err


def test_a_long_data_folder_path_still_gets_its_socket(tmp_path: Path) -> None:
    folder = tmp_path / ("deep-" * 12) / ("folder-" * 6) / "node"  # > 108 bytes: sun_path
    assert len(str(folder / "serve.sock")) > 108
    found_branch(folder, "Serve Branch")
    with ServeProcess(folder, *SERVE_ARGS) as serve:
        serve.wait_ready()
        assert "Serving       pid" in ok(chitnode("--data", folder, "status"))
        assert serve.stop() == 0, serve.err


def test_a_taken_peer_port_is_refused_and_leaves_nothing_behind(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    found_branch(first, "Branch A")
    found_branch(second, "Branch B")
    with ServeProcess(first, "--listen", "127.0.0.1", "--peer-port", "0", "--no-discovery") as a:
        port = a.wait_ready()["peer_port"]
        taken = chitnode(
            "--data",
            second,
            "serve",
            "--listen",
            "127.0.0.1",
            "--peer-port",
            str(port),
            "--no-discovery",
        )
        refused(taken, "port_in_use")
        assert not (second / "serve.json").exists() and not (second / "serve.sock").exists()
        with Node.open(second) as node:  # its writer lock was released
            assert node.status()["entries"] >= 1
        assert a.stop() == 0, a.err
