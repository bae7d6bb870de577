"""The local control endpoint: other `chitnode` commands reach a running `serve`.

While `chitnode serve` runs, it holds the data folder's writer lock, so `chitnode
status`, `log`, `submit`, `export`, `invite`... cannot open the store themselves. The
kernel CLI asks the `chitnode.forward` plugins first (chitnode/cli/main.py); `forward`
below finds `<data>/serve.sock`, sends the command line there, and prints what the
serving process answers, with its exit status. The serving process runs the very
same CLI code on its node thread, with its open Node lent (`Node.lend`) and stdout and
stderr captured for that thread only, so the output and the exit status are those of
the command run without serve.

Who may use it: the socket is a file in the data folder, mode 0600 (the folder is
0700), and each connection's peer credentials (SO_PEERCRED) must name this process's
own user; anyone else is closed on without a word. No network reaches it.

Wire: one request line of JSON {"v", "argv", "cwd", "data"}, one reply line of JSON
{"status", "stdout", "stderr"}, both bounded (sync/limits.py, "the serving node").
Relative paths in the command are the client's: the command runs in the client's
working folder (see `_working_in`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import socket
import struct
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.store.paths import data_folder
from sync import limits
from sync.node_thread import NodeThread

SOCKET_FILE = "serve.sock"
CONTROL_VERSION = 1  # the request/reply layout below; a client of another version is refused
SOCKET_MODE = 0o600  # the owner alone may connect (the SO_PEERCRED check is the second lock)
# Unix socket paths are limited to 108 bytes (sun_path); a longer data folder is reached
# through /proc/self/fd/<a descriptor of the folder>/serve.sock (Linux), which is short.
_SUN_PATH_CHARS = 100
# Commands that never go to a running serve: they make a data folder, need none, or are
# serve itself. `check` re-reads the database file itself and says store_locked instead.
LOCAL_ONLY = frozenset({"serve", "init", "demo", "join", "verify", "roles", "calc", "check"})

# Runs `argv` as the CLI would, in this process, never forwarded; `adjust` fixes the
# parsed arguments first. The kernel CLI hands it to serve (sync may not import the CLI).
RunHere = Callable[[list[str], Callable[[argparse.Namespace], None]], int]
# Runs a command on the loop instead (it waits on the network, which a command on the
# node thread must not): (status, stdout, stderr), or None to run it as usual.
OnLoop = Callable[[list[str]], Awaitable[tuple[int, str, str] | None]]


class ControlFailed(ChitError):
    """The running serve did not answer a forwarded command (it stopped, or refused it)."""

    code = "control_failed"


# --- stdout and stderr for one thread ------------------------------------------------


class ThreadRouted(io.TextIOBase):
    """A stand-in for sys.stdout/stderr: a thread inside `capture()` writes to its own
    buffer; every other thread to the stream it replaced. Commands run for a control
    client print into their buffer while the loop thread keeps the real terminal."""

    def __init__(self, default: TextIO) -> None:
        self.default = default
        self._local = threading.local()

    def _target(self) -> TextIO:
        sink: TextIO | None = getattr(self._local, "sink", None)
        return sink if sink is not None else self.default

    @contextlib.contextmanager
    def capture(self) -> Iterator[io.StringIO]:
        sink = io.StringIO()
        self._local.sink = sink
        try:
            yield sink
        finally:
            self._local.sink = None

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        return self._target().isatty()

    def fileno(self) -> int:
        return self._target().fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target(), "encoding", None) or "utf-8"


@contextlib.contextmanager
def routed_std_streams() -> Iterator[tuple[ThreadRouted, ThreadRouted]]:
    """sys.stdout and sys.stderr routed per thread while the block runs, then as before."""
    before = sys.stdout, sys.stderr
    out = before[0] if isinstance(before[0], ThreadRouted) else ThreadRouted(before[0])
    err = before[1] if isinstance(before[1], ThreadRouted) else ThreadRouted(before[1])
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        sys.stdout, sys.stderr = before


# --- the request -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    argv: list[str]
    cwd: Path
    data: Path


def parse_request(line: bytes) -> Request:
    """A client's request line, checked; ControlFailed for anything else."""
    try:
        doc = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ControlFailed("the control request is not JSON") from exc
    if not isinstance(doc, dict) or doc.get("v") != CONTROL_VERSION:
        raise ControlFailed(f"the control request is not version {CONTROL_VERSION}")
    argv, cwd, data = doc.get("argv"), doc.get("cwd"), doc.get("data")
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise ControlFailed("the control request's argv is not a list of strings")
    if not isinstance(cwd, str) or not isinstance(data, str):
        raise ControlFailed("the control request names no working or data folder")
    if not (Path(cwd).is_absolute() and Path(data).is_absolute()):
        raise ControlFailed("the control request's folders are not absolute")
    return Request(argv, Path(cwd), Path(data))


def _client_folder(args: argparse.Namespace, data: Path) -> None:
    args.data = data  # the folder the client resolved (its --data, $CHITNODE_DATA...)


@contextlib.contextmanager
def _working_in(cwd: Path) -> Iterator[None]:
    """The client's working folder, for the command's relative paths (`export out.chitlog`
    writes and prints just what it would without serve). The process's cwd is global:
    this is sound because commands run one at a time, on the node thread, and every
    other part of serve names its files by absolute path (the data folder is resolved)."""
    before = os.getcwd()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(before)


# --- the serving side --------------------------------------------------------------------


class ControlServer:
    """The Unix socket of a serving process; each request runs on the node thread."""

    def __init__(
        self,
        nt: NodeThread,
        folder: Path,
        run_here: RunHere,
        *,
        after_command: Callable[[Node, bool], None] | None = None,
        on_loop: OnLoop | None = None,
    ) -> None:
        self._nt = nt
        self._on_loop = on_loop
        self._folder = folder.resolve()
        self._run_here = run_here
        self._after = after_command
        self._server: asyncio.AbstractServer | None = None
        self._dir_fd: int | None = None
        self._slots = asyncio.Semaphore(limits.CONTROL_CONNECTIONS_MAX)
        self._streams = contextlib.ExitStack()
        self._stdout, self._stderr = self._streams.enter_context(routed_std_streams())
        self._real_err = self._stderr.default
        self._clients: set[asyncio.StreamWriter] = set()

    @property
    def path(self) -> Path:
        return self._folder / SOCKET_FILE

    async def start(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with contextlib.suppress(FileNotFoundError):
                # a socket left by a serve that was killed: ours now, we hold the writer lock
                self.path.unlink()
            address, self._dir_fd = _short_path(self._folder)
            old = os.umask(0o777 & ~SOCKET_MODE)  # never, even for an instant, wider
            try:
                sock.bind(address)
            finally:
                os.umask(old)
            os.chmod(self.path, SOCKET_MODE)
            sock.listen(limits.CONTROL_CONNECTIONS_MAX)
            self._server = await asyncio.start_unix_server(
                self._serve_client, sock=sock, limit=limits.CONTROL_REQUEST_BYTES_MAX
            )
        except BaseException:
            sock.close()
            self._close_dir()
            raise

    async def stop(self) -> None:
        """Stop listening, drop the clients, remove the socket file."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._clients):
                writer.close()
            await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._close_dir()
        self._streams.close()

    def _close_dir(self) -> None:
        if self._dir_fd is not None:
            os.close(self._dir_fd)
            self._dir_fd = None

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._clients.add(writer)
        try:
            if not _same_user(writer):
                return  # not the folder's owner: nothing to say to it
            async with self._slots:
                reply = await self._answer(reader)
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away; the command (if any) ran to its end regardless
        finally:
            self._clients.discard(writer)
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader) -> dict[str, Any]:
        try:
            line = await reader.readuntil(b"\n")
            request = parse_request(line)
            if request.data.resolve() != self._folder:  # one serve runs one folder's commands
                raise ControlFailed(f"this serve runs for {self._folder}, not {request.data}")
            early = await self._on_loop(request.argv) if self._on_loop is not None else None
            if early is not None:  # a command that waits on the network: run on the loop
                return {"status": early[0], "stdout": early[1], "stderr": early[2]}
            status, out, err = await self._nt.run(self._run_command, request)
        except asyncio.LimitOverrunError:
            return _refusal(ControlFailed("the control request is over its size bound"))
        except ChitError as exc:
            return _refusal(exc)
        return {"status": status, "stdout": out, "stderr": err}

    def _run_command(self, node: Node, request: Request) -> tuple[int, str, str]:
        """On the node thread: run the command with this node, its output captured."""
        status, finished = 1, False
        with (
            self._stdout.capture() as out,
            self._stderr.capture() as err,
            node.lend(request.data),
        ):
            try:
                with _working_in(request.cwd):
                    status = self._run_here(
                        request.argv, lambda args: _client_folder(args, request.data)
                    )
                finished = True
            except SystemExit as exc:  # argparse's own exit (bad arguments): its status
                status = exc.code if isinstance(exc.code, int) else 2
            except Exception:  # a bug in the command: the client gets its line, serve goes on
                # the traceback to serve's own stderr (its log), never to the client's
                print(f"chitnode serve: command {request.argv[:1]} failed", file=self._real_err)
                traceback.print_exc(file=self._real_err)
                print("chitnode: error [control_failed]: the command failed in serve", file=err)
            finally:
                if self._after is not None:
                    self._after(node, finished)
        return status, out.getvalue(), err.getvalue()


def _refusal(exc: ChitError) -> dict[str, Any]:
    return {"status": 1, "stdout": "", "stderr": f"chitnode: error [{exc.code}]: {exc.message}\n"}


def _same_user(writer: asyncio.StreamWriter) -> bool:
    sock = writer.get_extra_info("socket")
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return sys.platform != "linux"  # elsewhere the 0600 socket file alone decides
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return bool(uid == os.getuid())


def _short_path(folder: Path) -> tuple[str, int | None]:
    """The socket's address (short enough for sun_path) and the folder descriptor it needs."""
    path = str(folder / SOCKET_FILE)
    if len(path) <= _SUN_PATH_CHARS:
        return path, None
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    return f"/proc/self/fd/{fd}/{SOCKET_FILE}", fd


# --- the client side ---------------------------------------------------------------------


def forward(argv: list[str], args: argparse.Namespace) -> int | None:
    """The `chitnode.forward` plugin: the exit status of `argv` run by a serving process
    for this data folder; None when no serve answers there (run it here, then)."""
    if args.command in LOCAL_ONLY:
        return None
    folder = data_folder(getattr(args, "data", None)).resolve()
    if not (folder / SOCKET_FILE).exists():
        return None
    sock = _connect(folder)
    if sock is None:
        return None
    request = {"v": CONTROL_VERSION, "argv": argv, "cwd": os.getcwd(), "data": str(folder)}
    with sock:
        sock.sendall(json.dumps(request).encode() + b"\n")
        sock.settimeout(limits.CONTROL_COMMAND_TIMEOUT_S)
        reply = _read_reply(sock)
    sys.stdout.write(reply["stdout"])
    sys.stderr.write(reply["stderr"])
    return int(reply["status"])


def _connect(folder: Path) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(limits.CONTROL_CONNECT_TIMEOUT_S)
    address, fd = _short_path(folder)
    try:
        sock.connect(address)
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()  # a socket file left by a serve that died: nobody serves here
        return None
    except OSError as exc:
        sock.close()
        raise ControlFailed(
            f"cannot reach the running serve at {folder / SOCKET_FILE}: {exc}"
        ) from exc
    finally:
        if fd is not None:
            os.close(fd)
    return sock


def _read_reply(sock: socket.socket) -> dict[str, Any]:
    chunks: list[bytes] = []
    size = 0
    try:
        while not chunks or not chunks[-1].endswith(b"\n"):
            chunk = sock.recv(limits.CONTROL_READ_BYTES)
            if not chunk:
                break
            size += len(chunk)
            if size > limits.CONTROL_REPLY_BYTES_MAX:
                raise ControlFailed("the running serve's answer is over its size bound")
            chunks.append(chunk)
    except TimeoutError as exc:
        raise ControlFailed(
            f"the running serve did not answer within {limits.CONTROL_COMMAND_TIMEOUT_S:.0f} s"
        ) from exc
    try:
        reply = json.loads(b"".join(chunks))
    except ValueError as exc:
        raise ControlFailed(
            "the running serve stopped before it answered: see its output; run the command again"
        ) from exc
    if not (
        isinstance(reply, dict)
        and isinstance(reply.get("status"), int)
        and isinstance(reply.get("stdout"), str)
        and isinstance(reply.get("stderr"), str)
    ):
        raise ControlFailed("the running serve's answer is not one this version reads")
    return reply
