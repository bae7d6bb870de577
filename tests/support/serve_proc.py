"""A real `chitnode serve` child process for system tests, stopped by its pid.

`ServeProcess(folder, *args)` starts it and waits (bounded in polls) until it wrote
`<data>/serve.json`; `stop()` sends SIGTERM (or SIGINT) and returns its exit status
and output; leaving the `with` block kills it if it still runs. `serve_on`, `until`,
`free_port` and `status` serve tests of several nodes on loopback.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tests.support.cli_proc import RUN_TIMEOUT_S, child_env, chitnode, chitnode_command, ok

READY_POLLS = 2_400  # x POLL_S: two minutes for a start on 2 shared cores
POLL_S = 0.05


class ServeProcess:
    def __init__(
        self,
        folder: Path,
        *args: str,
        env: dict[str, str | None] | None = None,
        prefix: Sequence[str] = (),  # e.g. `ip netns exec NS` (it execs: the pid stays serve's)
    ) -> None:
        self.folder = folder
        if "--app-port" not in args and "--no-app" not in args:
            args = (*args, "--app-port", "0")  # the app's fixed default would clash in parallel
        self.proc = subprocess.Popen(
            [*prefix, *chitnode_command(), "--data", str(folder), "serve", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=child_env(env),
        )
        self.out = ""
        self.err = ""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self) -> dict[str, Any]:
        """serve.json once the child wrote it (it writes it last, once every part runs)."""
        for _ in range(READY_POLLS):
            doc = self.serve_file()
            if doc is not None and doc.get("pid") == self.pid:
                return doc
            if self.proc.poll() is not None:
                self.out, self.err = self.proc.communicate()
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.err}")
            time.sleep(POLL_S)
        raise AssertionError("serve did not write serve.json")

    def serve_file(self) -> dict[str, Any] | None:
        try:
            doc = json.loads((self.folder / "serve.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def stop(self, signum: signal.Signals = signal.SIGTERM) -> int:
        """Signal it, wait for its exit; its exit status (output in .out, .err)."""
        self.proc.send_signal(signum)
        self.out, self.err = self.proc.communicate(timeout=RUN_TIMEOUT_S)
        return self.proc.returncode

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.out, self.err = self.proc.communicate(timeout=RUN_TIMEOUT_S)


# --- branches of serving processes on loopback (tests/system/test_serve_peers.py, ...) --

HOST = "127.0.0.1"
STATUS_POLLS = 300  # each poll runs `chitnode status`: a bound on a condition, not a duration


def until(cond: Callable[[], bool], what: str, polls: int = STATUS_POLLS) -> None:
    """Wait for `cond()`, at most `polls` short sleeps; fail naming `what`."""
    for _ in range(polls):
        if cond():
            return
        time.sleep(POLL_S)
    raise AssertionError(f"never: {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def status(folder: Path) -> dict[str, Any]:
    """`chitnode status --json` of `folder` (through its serve when one runs)."""
    return json.loads(ok(chitnode("--data", folder, "status", "--json")))  # type: ignore[no-any-return]


def serve_on(folder: Path, port: int, *peers: int) -> ServeProcess:
    """serve on loopback at `port`, no mDNS, dialling the loopback `peers` ports."""
    args = ["--listen", HOST, "--peer-port", str(port), "--no-discovery"]
    for peer in peers:
        args += ["--peer", f"{HOST}:{peer}"]
    return ServeProcess(folder, *args)
