"""A throwaway PostgreSQL cluster for the head-office tests (and bench/bench_hq.py).

    with pg_cluster() as cluster:        # None when PostgreSQL is not installed
        url = cluster.new_database()     # postgresql://chit@127.0.0.1:<port>/hq_1

The cluster lives in a temp folder under /tmp, listens on a free port of 127.0.0.1 and
keeps its unix socket in that folder; it is stopped (by its own pg_ctl, so by its pid
file) and the folder removed at the end. PostgreSQL refuses to run as root, so as root
(CI) the cluster is made and run by a system user `chitpg` (made with useradd if
missing) through `runuser`. Without the binaries (Debian: /usr/lib/postgresql/*/bin)
`pg_cluster` yields None, unless CHITNODE_REQUIRE_POSTGRES is set (.ci/run sets it):
then their absence is an error, never a silent skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

REQUIRE_ENV = "CHITNODE_REQUIRE_POSTGRES"
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
PG_OS_USER = "chitpg"  # the system user a root test run runs PostgreSQL as
PG_ROLE = "chit"  # the cluster's superuser (trust auth: the cluster is ours and local)
START_TIMEOUT_S = 60  # pg_ctl -w waits at most this long for the server to start or stop
COMMAND_TIMEOUT_S = 120  # initdb and useradd


@dataclass
class PgCluster:
    folder: Path
    bin: Path
    port: int
    _as_user: list[str]
    _databases: int = field(default=0)

    @property
    def admin_url(self) -> str:
        return f"postgresql://{PG_ROLE}@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        """A new empty database; its URL."""
        self._databases += 1
        name = f"hq_{self._databases}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://{PG_ROLE}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        _run(
            [
                *self._as_user,
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-m",
                "fast",
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "stop",
            ],
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def pg_bin() -> Path | None:
    """The folder of initdb and pg_ctl (the newest installed), or None."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    folders = sorted(Path("/").glob(PG_BIN_GLOB.lstrip("/")), key=_major)
    return next((f for f in reversed(folders) if (f / "pg_ctl").exists()), None)


def _major(folder: Path) -> int:
    version = folder.parent.name
    return int(version) if version.isdigit() else 0


def required() -> bool:
    return bool(os.environ.get(REQUIRE_ENV))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=check
    )


def _os_user() -> list[str]:
    """The prefix that runs a command as a user PostgreSQL accepts: none unless root."""
    if os.geteuid() != 0:
        return []
    if _run(["id", "-u", PG_OS_USER], check=False).returncode != 0:
        _run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", PG_OS_USER])
    return ["runuser", "-u", PG_OS_USER, "--"]


@contextmanager
def pg_cluster() -> Iterator[PgCluster | None]:
    binaries = pg_bin()
    if binaries is None:
        if required():
            raise RuntimeError(f"{REQUIRE_ENV} is set but initdb/pg_ctl are not installed")
        yield None
        return
    as_user = _os_user()
    folder = Path(tempfile.mkdtemp(prefix="chitpg-"))
    if as_user:
        shutil.chown(folder, PG_OS_USER)
    cluster = PgCluster(folder, binaries, free_port(), as_user)
    try:
        _run(
            [
                *as_user,
                str(binaries / "initdb"),
                "-D",
                str(folder / "data"),
                "-U",
                PG_ROLE,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        options = (
            f"-p {cluster.port} -k {folder} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run(
            [
                *as_user,
                str(binaries / "pg_ctl"),
                "-D",
                str(folder / "data"),
                "-o",
                options,
                "-l",
                str(folder / "server.log"),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "start",
            ]
        )
        yield cluster
    finally:
        cluster.stop()
