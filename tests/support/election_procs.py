"""Real `chitnode serve` processes of one branch electing a group's holder (issue 11).

Three pieces, for tests/system/test_election_netns.py and bench/bench_failover.py:

- the LAN (moved here from tests/system/test_netns.py, which imports it): a Linux bridge
  and, per node, a network namespace joined to it by a veth pair; `Lan.link(host, up)`
  partitions a node; everything made is deleted on the way out;
- `group_branch`: a branch of an admin desk and two foreman laptops, a 4-ticket group
  running with month 1's dues paid (optionally month 1 drawn, attested and secured, the
  prize unpaid), and the group's electorate set to the three devices with a 5 s lease;
  built in this process, then exported to the laptops;
- `served`: `chitnode serve` for each folder (in a namespace, or on loopback), each
  dialling the others, stopped by pid; and the `chitnode` calls the tests make on them.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chitnode.clock import ManualClock
from chitnode.domain import chit_kinds_base as base
from chitnode.domain.bank_kinds import TREASURY
from chitnode.domain.limits import AUCTION_MIN_MS
from chitnode.domain.wallet_kinds import deposit_body
from chitnode.services.demo import ChitDriver
from sync.limits import ELECTION_LEASE_MIN_MS
from tests.support.chit import GID, SUB, bid, close_draw, open_draw, pay_all, register
from tests.support.cli_proc import PASSPHRASE, chitnode, ok
from tests.support.peer import enrol, founder, newcomer
from tests.support.serve_proc import HOST, ServeProcess, free_port, status

# --- the LAN: a bridge and a namespace per node -------------------------------------------

IP_TIMEOUT_S = 20.0  # one `ip`/`bridge` command


def run_ip(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=IP_TIMEOUT_S, check=check, stdin=None
    )


def why_no_namespaces() -> str | None:
    """Why this machine cannot run the namespace tier (None: it can)."""
    if sys.platform != "linux":
        return "network namespaces are Linux only"
    if os.geteuid() != 0:
        return "network namespaces need root (CAP_NET_ADMIN and CAP_SYS_ADMIN)"
    for tool in ("ip", "bridge"):
        if shutil.which(tool) is None:
            return f"iproute2's `{tool}` is not installed"
    return None


@dataclass
class Host:
    """One node's place on the LAN: its namespace, its veth pair and its address."""

    netns: str
    port: str  # the veth end on the bridge (host side): what a partition takes down
    inner: str  # the veth end inside the namespace
    address: str

    def prefix(self) -> list[str]:
        """Run a command inside this namespace."""
        return ["ip", "netns", "exec", self.netns]


@dataclass
class Lan:
    run_id: str
    bridge: str
    hosts: list[Host] = field(default_factory=list)

    def link(self, host: Host, up: bool) -> None:
        """Plug or unplug `host`'s cable (its bridge port)."""
        run_ip("ip", "link", "set", host.port, "up" if up else "down")

    def readdress(self, host: Host, address: str) -> None:
        """Give `host` another address in the LAN's /24 (a new DHCP lease)."""
        inside = ["ip", "-n", host.netns, "addr"]
        # Delete first: deleting a primary address takes its subnet's secondaries with it.
        run_ip(*inside, "del", f"{host.address}/24", "dev", host.inner)
        run_ip(*inside, "add", f"{address}/24", "dev", host.inner)
        host.address = address

    def mcast_flood(self, host: Host, on: bool) -> None:
        """Let the bridge flood multicast to `host`, or not (guest Wi-Fi, AP isolation)."""
        run_ip("bridge", "link", "set", "dev", host.port, "mcast_flood", "on" if on else "off")


@contextmanager
def lan_of(nodes: int) -> Iterator[Lan]:
    """A bridge and `nodes` namespaces on it; all of it deleted on the way out."""
    why = why_no_namespaces()
    if why is not None:
        pytest.skip(why)
    run_id = secrets.token_hex(3)
    subnet = f"10.{100 + secrets.randbelow(150)}.{secrets.randbelow(256)}"
    lan = Lan(run_id, f"cn{run_id}b")
    made: list[list[str]] = []  # the delete command of each object made, in order
    try:
        try:
            run_ip("ip", "link", "add", lan.bridge, "type", "bridge")
        except subprocess.CalledProcessError as exc:
            pytest.skip(f"cannot make a bridge here: {exc.stderr.strip()}")
        made.append(["ip", "link", "del", lan.bridge])
        run_ip("ip", "link", "set", lan.bridge, "up")
        for i in range(nodes):
            host = Host(
                f"cn{run_id}n{i}", f"cn{run_id}h{i}", f"cn{run_id}p{i}", f"{subnet}.{i + 2}"
            )
            try:
                run_ip("ip", "netns", "add", host.netns)
            except subprocess.CalledProcessError as exc:
                pytest.skip(f"`ip netns add` fails here: {exc.stderr.strip()}")
            made.append(["ip", "netns", "del", host.netns])
            run_ip("ip", "link", "add", host.port, "type", "veth", "peer", "name", host.inner)
            made.append(["ip", "link", "del", host.port])  # also goes with the namespace
            run_ip("ip", "link", "set", host.inner, "netns", host.netns)
            run_ip("ip", "link", "set", host.port, "master", lan.bridge)
            run_ip("ip", "link", "set", host.port, "up")
            inside = ["ip", "-n", host.netns]
            run_ip(*inside, "addr", "add", f"{host.address}/24", "dev", host.inner)
            run_ip(*inside, "link", "set", host.inner, "up")
            run_ip(*inside, "link", "set", "lo", "up")
            lan.hosts.append(host)
        yield lan
    finally:
        for argv in reversed(made):
            # A veth end goes with its namespace; only what is still there is deleted.
            run_ip(*argv, check=False)


# --- the branch: a desk, two foreman laptops, a group in its first month -------------------

SCOPE = f"group:{GID}"
LEASE_MS = ELECTION_LEASE_MIN_MS  # the shortest lease the election allows: failover in seconds
TICKETS = 4  # members M1..M4, one ticket each
MEMBERS = [f"M{i}" for i in range(1, TICKETS + 1)]
RUPEE = 100
FIRST_BID_PAISE = 2_000 * RUPEE  # the group's minimum discount (its 5% commission)
BID_STEP_PAISE = 500 * RUPEE  # each bid beats the last by this (whole hundreds of rupees)
BUILT_AGO_MS = 3_600_000  # the branch's history is written an hour in the past
SCRIPT_SEED = 11  # KYC's masked digits and refs: any seed will do


@dataclass(frozen=True)
class GroupBranch:
    folders: list[Path]  # the admin desk, laptop 1, laptop 2 (...)
    keys: list[str]  # their device keys, in the same order


def group_branch(
    tmp_path: Path,
    *,
    laptops: int = 2,
    drawn: bool = False,
    release: bool = True,
    wallet_paise: int = 0,
) -> GroupBranch:
    """The desk (root admin) and `laptops` laptops enrolled as foremen; the group G-2026-01
    running with month 1 paid; `drawn`: month 1's draw also closed (one bid), its minutes
    attested and the winner's security furnished, so only the prize is left to pay (and,
    with `release`, the root's lone lease released). The electorate of `group:G-2026-01`
    is every device, lease LEASE_MS; with `wallet_paise`, member M1 deposited that much
    and the treasury has the same electorate (withdrawals are coordinated there)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CHITNODE_PASSPHRASE", PASSPHRASE)
        env.setenv("CHITNODE_KEYSTORE", "file")
        root = founder(tmp_path / "n0")
        others = [newcomer(tmp_path / f"n{i}", root) for i in range(1, laptops + 1)]
        for laptop in others:
            enrol(root.node, laptop, "foreman")
        # The script's clock runs in the past, so that what the serves write later
        # comes after it; a ManualClock lets a draw's countdown pass at once.
        clock = ManualClock(time.time_ns() // 1_000_000 - BUILT_AGO_MS)
        root.node.clock = clock
        driver = ChitDriver(root.node, clock, random.Random(SCRIPT_SEED))
        ids = register(driver, TICKETS)
        driver.form_group(GID, "Four friends", TICKETS * SUB, ids)
        pay_all(driver)
        if drawn:
            month = open_draw(driver, present=ids)
            bid(driver, month, 2, FIRST_BID_PAISE)
            close_draw(driver, month)
            driver.attest(GID, month)
            driver.secure(GID, month, deduction=True)
            if release:
                # The root drew alone (a majority of one); it gives the group up before the
                # electorate takes over, so that the first submit elects at once (without
                # it, the serves first ask the root, which refuses: a test checks that too)
                lease = driver.state.get("leases", f"{SCOPE}|{root.key}")
                assert lease is not None
                driver.submit("lease.released", {"scope": SCOPE, "term": lease["term"]})
        keys = [root.key, *(p.key for p in others)]
        scopes = [SCOPE]
        if wallet_paise:
            driver.submit(
                "wallet.deposited_cash", deposit_body("M1", wallet_paise, "d1", note="cash")
            )
            scopes.append(TREASURY)
        for scope in scopes:
            body = {"scope": scope, "keys": sorted(keys), "lease_ms": LEASE_MS}
            driver.submit("scope.electorate_set", body)
        for peer in (root, *others):
            peer.node.close()
    folders = [tmp_path / f"n{i}" for i in range(laptops + 1)]
    ok(chitnode("--data", folders[0], "export", tmp_path / "all.chitlog"))
    for folder in folders[1:]:
        ok(chitnode("--data", folder, "import", tmp_path / "all.chitlog"))
    return GroupBranch(folders, keys)


# --- serving: one `chitnode serve` per folder, each dialling the others --------------------

SERVE_PORT = 7461  # serve's default peer port: each namespace has its own port space
CONNECT_POLLS = 600  # x POLL_S: links up after start, on 2 busy cores
CONVERGE_POLLS = 900  # x POLL_S (and a `chitnode status` each): a heal on 2 busy cores
POLL_S = 0.2


@dataclass
class Served:
    folders: list[Path]
    procs: list[ServeProcess]  # the i-th serves folders[i]; a restart replaces it
    args: list[list[str]]  # each one's serve arguments
    prefixes: list[list[str]]  # each one's `ip netns exec NS`, or nothing
    stack: ExitStack  # kills whatever still runs on the way out

    def start(self, i: int) -> ServeProcess:
        """(Re)start the i-th serve, with its arguments, in its namespace; wait till ready."""
        proc = ServeProcess(self.folders[i], *self.args[i], prefix=self.prefixes[i])
        self.procs[i] = self.stack.enter_context(proc)
        proc.wait_ready()
        return proc

    def linked(self) -> None:
        """Wait until every running serve has a link with every other running one."""
        up = [f for f, p in zip(self.folders, self.procs, strict=True) if p.proc.poll() is None]
        for folder in up:
            wait_for(lambda f=folder: connected(f) >= len(up) - 1, f"{folder.name} linked")


@contextmanager
def served(folders: Sequence[Path], lan: Lan | None = None) -> Iterator[Served]:
    """`chitnode serve` for each folder (in the i-th namespace of `lan`, else on loopback
    with free ports), dialling every other one, no discovery; every process is killed by
    its pid on the way out if the test did not stop it."""
    if lan is not None:
        addresses = [f"{h.address}:{SERVE_PORT}" for h in lan.hosts[: len(folders)]]
    else:
        addresses = [f"{HOST}:{free_port()}" for _ in folders]
    with ExitStack() as stack:
        serving = Served(list(folders), [], [], [], stack)
        for i in range(len(folders)):
            host, port = addresses[i].rsplit(":", 1)
            args = ["--listen", host, "--peer-port", port, "--no-discovery"]
            for j, other in enumerate(addresses):
                if j != i:
                    args += ["--peer", other]
            serving.args.append(args)
            serving.prefixes.append(lan.hosts[i].prefix() if lan is not None else [])
            proc = ServeProcess(folders[i], *args, prefix=serving.prefixes[i])
            serving.procs.append(stack.enter_context(proc))
        for proc in serving.procs:
            proc.wait_ready()
        serving.linked()
        yield serving


def connected(folder: Path) -> int:
    """How many devices `folder`'s serve has a live link with (either direction)."""
    sync = status(folder)["sync"]
    return len(set(sync.get("connected_in", [])) | set(sync.get("connected_out", [])))


def wait_for(cond: Any, what: str, polls: int = CONNECT_POLLS) -> None:
    for _ in range(polls):
        if cond():
            return
        time.sleep(POLL_S)
    raise AssertionError(f"never: {what}")


# --- what the tests ask the serves ----------------------------------------------------------

ERROR = re.compile(r"error \[([a-z_]+)\]")
RETRIES_MAX = 40  # a user trying again after no_lease_holder (each try waits FORWARD_WAIT_S)
RETRY_S = 120.0  # and for at most this long in all
WAITING = ("no_lease_holder", "not_lease_holder")  # nobody may write the scope yet


@dataclass(frozen=True)
class Submitted:
    code: int
    receipt: dict[str, Any] | None  # `submit --json`'s receipt when it applied
    error: str | None  # the refusal's code

    @property
    def acknowledged(self) -> bool:
        return self.code == 0


def submit(
    folder: Path, kind: str, body: dict[str, Any], cmd_id: str, *, socket: bool = False
) -> Submitted:
    """`chitnode submit KIND BODY --id CMD_ID --json` for `folder` (through its serve);
    `socket`: straight to the serve's control socket, without starting a process (for a
    write that must land within a second of something)."""
    argv = ("submit", kind, json.dumps(body), "--id", cmd_id, "--json")
    if socket:
        code, out, err = on_serve(folder, *argv)
    else:
        # The folder through $CHITNODE_DATA: `submit` is then argv's first word, which is
        # where a serve of any version looks for it before running it through the election
        run = chitnode(*argv, env={"CHITNODE_DATA": str(folder)})
        code, out, err = run.returncode, run.stdout, run.stderr
    assert "Traceback" not in err, err
    if code == 0:
        return Submitted(0, json.loads(out), None)
    found = ERROR.findall(err)
    assert found, (code, out, err)
    return Submitted(code, None, found[-1])


def until_written(
    folder: Path, kind: str, body: dict[str, Any], cmd_id: str
) -> tuple[Submitted, int]:
    """Submit (the same command id each time) until it is written, while the answer is
    that nobody holds the scope: the write and how many refusals came first."""
    deadline = time.monotonic() + RETRY_S
    for refusals in range(RETRIES_MAX):
        done = submit(folder, kind, body, cmd_id)
        if done.error not in WAITING or time.monotonic() > deadline:
            return done, refusals
    raise AssertionError(f"{kind} on {folder.name}: nobody was elected in {RETRIES_MAX} tries")


def bid_body(month: int, ticket: int, discount_paise: int) -> dict[str, Any]:
    return {
        "group_id": GID,
        "scope": SCOPE,
        "month": month,
        "ticket": ticket,
        "discount_paise": discount_paise,
        "actor": f"M{ticket}",
    }


def open_body(month: int, duration_ms: int = AUCTION_MIN_MS) -> dict[str, Any]:
    return {
        "group_id": GID,
        "scope": SCOPE,
        "month": month,
        "present": MEMBERS,
        "foreman_present": True,
        "duration_ms": duration_ms,
    }


def scope_body(month: int, **more: Any) -> dict[str, Any]:
    return {"group_id": GID, "scope": SCOPE, "month": month, **more}


def leases(folder: Path) -> dict[str, dict[str, Any]]:
    rows = json.loads(ok(chitnode("--data", folder, "lease", "status", "--json")))
    return {str(r["scope"]): r for r in rows}


LOG_LIMIT = 1_000  # rows of one kind the tests read back (a month has a handful)


def log_rows(folder: Path, kind: str) -> list[dict[str, Any]]:
    out = ok(chitnode("--data", folder, "log", "--json", "--kind", kind, "--limit", str(LOG_LIMIT)))
    return [json.loads(line) for line in out.splitlines() if line]


def converged(*folders: Path) -> dict[str, Any]:
    """The common `chitnode status` once every folder holds the same entries and state
    digest (bounded in polls)."""
    docs: list[dict[str, Any]] = []
    for _ in range(CONVERGE_POLLS):
        docs = [status(f) for f in folders]
        if len({(d["entries"], d["state_digest"]) for d in docs}) == 1:
            return docs[0]
        time.sleep(POLL_S)
    seen = [(d["entries"], d["state_digest"][:12]) for d in docs]
    raise AssertionError(f"no convergence: {seen}")


MINUTES_HASH = re.compile(r"Minutes hash \(recomputed\)\s+([0-9a-f]{64})")
WINNER = re.compile(r"Winner\s+ticket (\d+) \((M\d+)\)")


def minutes_of(folder: Path, month: int) -> tuple[str, int, str]:
    """The closed draw's minutes hash, winning ticket and member (`chitnode report minutes`)."""
    text = ok(chitnode("--data", folder, "report", "minutes", GID, str(month)))
    digest, winner = MINUTES_HASH.search(text), WINNER.search(text)
    assert digest is not None and winner is not None, text
    return digest.group(1), int(winner.group(1)), winner.group(2)


def attest_and_secure(folder: Path, month: int) -> None:
    """The minutes attested by the foreman, the winner and two others; the winner's dues
    deducted from the prize as its security (free commands: written on `folder`)."""
    digest, ticket, winner = minutes_of(folder, month)
    body = {"group_id": GID, "month": month, "minutes_hash": digest}
    others = [m for m in MEMBERS if m != winner][:2]
    ok_submit(folder, "minutes.attested", {**body, "attester": base.FOREMAN_ATTESTER}, "att-f")
    for member in (winner, *others):
        attested = {**body, "attester": member, "actor": member}
        ok_submit(folder, "minutes.attested", attested, f"att-{member}")
    security = {"group_id": GID, "ticket": ticket, "form": "deduction", "detail": "dues deducted"}
    ok_submit(folder, "security.furnished", security, f"sec-{month}")


def ok_submit(folder: Path, kind: str, body: dict[str, Any], cmd_id: str) -> dict[str, Any]:
    done = submit(folder, kind, body, cmd_id)
    assert done.receipt is not None, (kind, done)
    return done.receipt


def figures(test: str, **values: Any) -> None:
    """The run's figures, one JSON line on stdout (pytest -s shows it; CI keeps it)."""
    print(json.dumps({"test": test, **values}, sort_keys=True))


# --- a command through a serve's control socket, without starting a `chitnode` process -----

CONTROL_TIMEOUT_S = 60.0  # one command's answer (a forward waits FORWARD_WAIT_S at most)
CONTROL_READ_BYTES = 65_536


def on_serve(folder: Path, *argv: str) -> tuple[int, str, str]:
    """Run `chitnode --data FOLDER argv...` inside `folder`'s running serve, over its control
    socket, as `chitnode` itself forwards it: exit status, stdout, stderr. For the
    benchmark, where a new process per command would be most of what is measured."""
    import socket

    from sync.serve.control import CONTROL_VERSION, SOCKET_FILE

    folder = folder.resolve()  # the request names it; argv needs no `--data` then
    request = {"v": CONTROL_VERSION, "argv": list(argv), "cwd": str(folder), "data": str(folder)}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(CONTROL_TIMEOUT_S)
        sock.connect(str(folder / SOCKET_FILE))  # a short scratch path (sun_path: 108 bytes)
        sock.sendall(json.dumps(request).encode() + b"\n")
        chunks: list[bytes] = []
        while not chunks or not chunks[-1].endswith(b"\n"):
            chunk = sock.recv(CONTROL_READ_BYTES)
            if not chunk:
                break
            chunks.append(chunk)
    reply = json.loads(b"".join(chunks))
    return int(reply["status"]), str(reply["stdout"]), str(reply["stderr"])
