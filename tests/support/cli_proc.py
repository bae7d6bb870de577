"""Run the real `chitnode` command in a child process, the way a user meets it (issue 9).

Each run has a timeout, gets the test passphrase through the environment (unless
told otherwise), and comes back with its exit code, stdout and stderr.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pytest

from chitnode.node.node import Node

PASSPHRASE = "test-passphrase"
RUN_TIMEOUT_S = 120  # generous: 2 cores shared with other test runs
# The one line a refused command prints (cli/main.py): `chitnode: error [code]: message`.
ERROR_LINE = re.compile(r"^chitnode: error \[([a-z_]+)\]: \S", re.MULTILINE)


def chitnode_command() -> list[str]:
    """The console script beside this interpreter, else `python -m chitnode`."""
    beside = Path(sys.executable).parent / "chitnode"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "chitnode"]


def child_env(extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "CHITNODE_KEYSTORE": "file"}
    env["CHITNODE_PASSPHRASE"] = PASSPHRASE
    env.pop("CHITNODE_DATA", None)
    for name, value in (extra or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def chitnode(
    *argv: str | Path,
    env: Mapping[str, str | None] | None = None,
    stdout: int | IO[Any] | None = subprocess.PIPE,
    prefix: Sequence[str] = (),
    timeout_s: float = RUN_TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    """Run `chitnode argv...` (after `prefix`, e.g. an `unshare` wrapper) to the end."""
    return subprocess.run(
        [*prefix, *chitnode_command(), *map(str, argv)],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=child_env(env),
        timeout=timeout_s,
    )


def found_branch(folder: Path, name: str, members: Sequence[tuple[str, str]] = ()) -> str:
    """Found a branch in `folder` in this process, enrolling `members` ((key, name) pairs);
    its root key. Quicker than the CLI, for tests whose subject comes after."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CHITNODE_PASSPHRASE", PASSPHRASE)
        env.setenv("CHITNODE_KEYSTORE", "file")
        with Node.init(folder, name) as node:
            for key, member in members:
                node.submit("device.enrolled", {"key": key, "role": "member", "name": member})
            return node.public


def error_code(run: subprocess.CompletedProcess[str]) -> str:
    """The code of a refused run's `error [code]:` line; fails on a traceback or no such line."""
    assert "Traceback" not in run.stderr, run.stderr
    found = ERROR_LINE.findall(run.stderr)
    assert found, (run.returncode, run.stdout, run.stderr)
    return str(found[-1])


def refused(run: subprocess.CompletedProcess[str], code: str, exit_code: int = 1) -> None:
    assert run.returncode == exit_code, (run.returncode, run.stdout, run.stderr)
    assert error_code(run) == code, run.stderr


def ok(run: subprocess.CompletedProcess[str]) -> str:
    """stdout of a run that must succeed."""
    assert run.returncode == 0, (run.returncode, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    return run.stdout


class Holder:
    """A real second process running `script` (Python) with `args`, until `close()`.

    The script prints one line when it is ready, then reads stdin to its end; the
    test closes stdin to let it finish, or kills it.
    """

    def __init__(self, script: str, *args: str | Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script, *map(str, args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        assert self.proc.stdout is not None
        self.ready = self.proc.stdout.readline().strip()
        if not self.ready:
            self.proc.kill()
            raise AssertionError(f"holder did not start: {self.proc.communicate()[1]}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=RUN_TIMEOUT_S)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=RUN_TIMEOUT_S)

    def __enter__(self) -> Holder:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.kill()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
