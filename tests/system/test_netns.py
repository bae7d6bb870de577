"""The real-network tier (issue 10, "Tests"): nodes in network namespaces this test makes.

Each test builds a small LAN: a Linux bridge on the host and, per node, a network
namespace joined to it by a veth pair, with an address in a private /24 of its own.
Names carry a random run id, so two runs never touch each other's objects, and a
`finally` deletes exactly what was created (namespaces, then links), whatever failed.

On that LAN the tests use what real Wi-Fi does to us:
- real multicast: mDNS announcements and queries cross the bridge like on a LAN;
- a partition: `ip link set <port> down` on the bridge side, the node sees no carrier;
- multicast blocked: `bridge link set dev <port> mcast_flood off` on every port, which
  is what a guest network or an access point with client isolation does to mDNS.
`tc netem` is not available on these machines, so loss and delay are not simulated.

Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for `ip netns`) and iproute2; skipped with the
reason otherwise. Every wait is bounded (`WAIT_S`), none is asserted on.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

from sync import limits
from sync.discovery.book import PeerBook
from sync.discovery.mdns import device_fingerprint
from tests.support.cli_proc import chitnode, found_branch, ok
from tests.support.election_procs import Host, Lan, lan_of
from tests.support.election_procs import run_ip as _run
from tests.support.serve_proc import ServeProcess

pytestmark = pytest.mark.system

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 60.0  # the longest any one expectation waits (2 shared cores, many processes)
STOP_TIMEOUT_S = 15.0  # a child's clean stop before it is killed
QUIET_S = 4.0  # after announcing, how long a blocked LAN stays silent before we look
SERVE_PORT = 7461  # serve's default peer port: each namespace has its own port space
STATUS_POLL_S = 0.5  # how often a test asks a child for its status while it waits
# The interface poll notices a link change within one interval; allow a few.
LINK_NOTICED_S = 4 * limits.DISCOVERY_INTERFACE_POLL_S + WAIT_S


def test_the_lan_is_cleaned_up_exactly() -> None:
    """What lan_of made is gone after it, and nothing else of ours is left."""
    with lan_of(2) as lan:
        names = [lan.bridge, *(h.port for h in lan.hosts)]
        spaces = [h.netns for h in lan.hosts]
        assert all(_run("ip", "link", "show", n, check=False).returncode == 0 for n in names)
    links = _run("ip", "-o", "link", "show").stdout
    assert not any(n in links for n in names)
    assert not any(s in _run("ip", "netns", "list").stdout for s in spaces)


# --- a child process on the LAN -------------------------------------------------------


class Child:
    """A child process in a namespace that speaks JSON lines; stopped by its pid."""

    def __init__(self, host: Host, argv: list[str]) -> None:
        self.host = host
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [*host.prefix(), *argv],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # ends when the child exits
            with suppress(ValueError):
                self.lines.put(json.loads(line))
        self.lines.put(None)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def expect(
        self, check: Callable[[dict[str, Any]], bool], what: str, start: int = 0
    ) -> dict[str, Any]:
        """The first line from the `start`-th (seen, or arriving within WAIT_S) passing `check`."""
        for line in self.seen[start:]:
            if check(line):
                return line
        while True:
            try:
                line = self.lines.get(timeout=WAIT_S)
            except queue.Empty:
                pytest.fail(f"{self.host.netns}: no {what} in {WAIT_S}s; stderr: {self.tail()}")
            if line is None:
                pytest.fail(f"{self.host.netns} exited before {what}; stderr: {self.tail()}")
            self.seen.append(line)
            if check(line):
                return line

    def tail(self) -> str:
        return "".join(self.stderr[-20:])

    def stop(self) -> None:
        with suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, 9)
            self.proc.wait(timeout=STOP_TIMEOUT_S)


class MdnsNode(Child):
    """tests/system/mdns_worker.py: one Discovery in a namespace."""

    def __init__(self, host: Host, branch: str, port: int) -> None:
        self.key = secrets.token_hex(32)
        self.fingerprint = device_fingerprint(self.key)
        self.port = port
        argv = [sys.executable, "-m", "tests.system.mdns_worker", branch, self.key, str(port)]
        super().__init__(host, argv)

    def ready(self) -> None:
        self.expect(lambda m: m.get("ready") == self.fingerprint, "ready line")

    def finds(self, other: MdnsNode, after: int = 0) -> dict[str, Any]:
        """The (after+1)-th hint of `other`; its address and port are checked."""
        count = [0]

        def is_other(m: dict[str, Any]) -> bool:
            if m.get("found") != other.fingerprint:
                return False
            count[0] += 1
            return count[0] > after

        hint = self.expect(is_other, f"hint of {other.host.netns}")
        # Its address now is among those hinted (a moved node's old address stays in the
        # others' caches until its record's TTL runs out: its goodbye could not reach them).
        assert other.host.address in hint["hosts"] and hint["port"] == other.port
        return hint

    def status(self) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write("status\n")
        self.proc.stdin.flush()
        line = self.expect(lambda m: "status" in m, "status line", start=len(self.seen))
        status: dict[str, Any] = line["status"]
        return status

    def wait_status(self, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Ask for the status until `check` passes (bounded by LINK_NOTICED_S)."""
        deadline = time.monotonic() + LINK_NOTICED_S
        while True:
            status = self.status()
            if check(status):
                return status
            if time.monotonic() > deadline:
                pytest.fail(f"{self.host.netns}: status never passed; last {status}")
            time.sleep(STATUS_POLL_S)

    def hints_of(self, other: MdnsNode) -> int:
        return sum(1 for m in self.seen if m.get("found") == other.fingerprint)


@contextmanager
def mdns_nodes(lan: Lan, branch: str) -> Iterator[list[MdnsNode]]:
    nodes: list[MdnsNode] = []
    try:
        for i, host in enumerate(lan.hosts):
            nodes.append(MdnsNode(host, branch, 7400 + i))
        yield nodes
    finally:
        for node in nodes:
            node.stop()


# --- discovery across namespaces --------------------------------------------------------


def test_nodes_find_each_other_by_real_multicast_across_a_bridge() -> None:
    with lan_of(3) as lan, mdns_nodes(lan, secrets.token_hex(16)) as nodes:
        for node in nodes:
            node.ready()
        for node in nodes:
            for other in nodes:
                if other is not node:
                    hint = node.finds(other)
                    assert hint["hosts"] == [other.host.address]  # its one address, no other
        for node in nodes:
            status = node.status()
            assert status["running"] and status["advertised"] == [node.host.address]
            assert status["hints"] >= 2


def test_a_node_of_another_branch_on_the_lan_is_ignored() -> None:
    with lan_of(2) as lan:
        a = MdnsNode(lan.hosts[0], secrets.token_hex(16), 7400)
        b = MdnsNode(lan.hosts[1], secrets.token_hex(16), 7401)
        try:
            a.ready()
            b.ready()
            a.wait_status(lambda s: s["ignored"].get("other_branch", 0) > 0)
        finally:
            a.stop()
            b.stop()
        assert a.hints_of(b) == 0 and b.hints_of(a) == 0


def test_a_node_that_moved_while_partitioned_is_found_at_its_new_address() -> None:
    """Cable out, a new lease, cable in: the interface poll sees each change, and the node
    re-announces itself at its new address when its link returns."""
    with lan_of(2) as lan, mdns_nodes(lan, secrets.token_hex(16)) as (a, c):
        a.ready()
        c.ready()
        a.finds(c)
        lan.link(c.host, up=False)  # the partition: c sees no carrier
        c.wait_status(lambda s: not s["running"] and "no network" in (s["error"] or ""))
        moved_to = c.host.address.rsplit(".", 1)[0] + ".200"
        lan.readdress(c.host, moved_to)
        lan.link(c.host, up=True)  # healed
        c.wait_status(lambda s: s["running"] and s["advertised"] == [moved_to])
        a.finds(c, after=a.hints_of(c))  # checks the hint carries c's new address


def test_blocked_multicast_hides_every_peer_until_it_flows_again() -> None:
    """AP isolation: no mDNS between clients; discovery finds nobody (the fallbacks must)."""
    branch = secrets.token_hex(16)
    with lan_of(2) as lan:
        for host in lan.hosts:
            lan.mcast_flood(host, on=False)
        with mdns_nodes(lan, branch) as (a, b):
            a.ready()
            b.ready()
            time.sleep(QUIET_S)  # both announce and query; on a blocked LAN nobody hears
            assert a.status()["hints"] == 0 and b.status()["hints"] == 0
            assert a.hints_of(b) == 0 and b.hints_of(a) == 0
            assert a.status()["running"]  # mDNS itself is up: the LAN drops its packets
            for host in lan.hosts:
                lan.mcast_flood(host, on=True)
            # Multicast flows again: the next announcement (b restarting) is heard.
            b.stop()
            b2 = MdnsNode(lan.hosts[1], branch, 7401)
            try:
                b2.ready()
                a.finds(b2)
            finally:
                b2.stop()


# --- real `chitnode serve` processes on the LAN ----------------------------------------

CONVERGE_S = 180.0  # a partition heals through heartbeat, backoff and redial on 2 busy cores
POLL_S = 0.2


def serve_in(host: Host, folder: Path, *args: str) -> ServeProcess:
    """`chitnode serve` inside `host`'s namespace."""
    return ServeProcess(folder, *args, prefix=host.prefix())


def status(folder: Path) -> dict[str, Any]:
    """`chitnode status --json`, through the serving node's control socket if it serves."""
    doc = json.loads(ok(chitnode("--data", folder, "status", "--json")))
    assert isinstance(doc, dict)
    return doc


def register(folder: Path, member_id: str) -> None:
    body = json.dumps({"member_id": member_id, "name": f"Member {member_id}"})
    ok(chitnode("--data", folder, "submit", "member.registered", body))


def converged(*folders: Path) -> list[dict[str, Any]]:
    """Every node's status once all hold the same entries and state digest (bounded)."""
    deadline = time.monotonic() + CONVERGE_S
    while True:
        docs = [status(f) for f in folders]
        if len({(d["entries"], d["state_digest"]) for d in docs}) == 1:
            return docs
        if time.monotonic() > deadline:
            seen = [(d["entries"], d["state_digest"][:12]) for d in docs]
            rows = [PeerBook(f).rows() for f in folders]
            pytest.fail(f"no convergence in {CONVERGE_S}s: {seen}; peer books: {rows}")
        time.sleep(POLL_S)


def book_addresses(folder: Path, key: str) -> tuple[str, ...]:
    """The addresses `folder`'s peer book holds for device `key` ("host:port (via)")."""
    rows = [r for r in PeerBook(folder).rows() if r.key == key]
    return rows[0].addresses if rows else ()


@contextmanager
def branch_on(lan: Lan, tmp_path: Path) -> Iterator[tuple[list[Path], ServeProcess]]:
    """An admin node serving in the first namespace, and one employee device joined from
    each other namespace over the LAN (invite, then `chitnode join` inside it)."""
    folders = [tmp_path / f"node{i}" for i in range(len(lan.hosts))]
    found_branch(folders[0], "Namespace Branch")
    with serve_in(lan.hosts[0], folders[0]) as admin:
        admin.wait_ready()
        for i, (host, folder) in enumerate(zip(lan.hosts[1:], folders[1:], strict=True)):
            asked = ("invite", "--role", "employee", "--name", f"Counter {i + 1}", "--json")
            made = json.loads(ok(chitnode("--data", folders[0], *asked)))
            assert f"{lan.hosts[0].address}:{SERVE_PORT}" in made["addresses"]
            ok(chitnode("--data", folder, "join", made["code"], "--json", prefix=host.prefix()))
        yield folders, admin
        if admin.proc.poll() is None:  # the test did not stop it: a clean stop, checked
            assert admin.stop() == 0, admin.err


@contextmanager
def serving(
    lan: Lan, folders: list[Path], extra: dict[Path, list[str]] | None = None
) -> Iterator[list[ServeProcess]]:
    """`chitnode serve` (discovery on, the default peer port) for each folder, each in
    the namespace of the node it was made for (node<i> in the i-th)."""
    with ExitStack() as stack:
        procs = [
            stack.enter_context(serve_in(lan.hosts[int(f.name[4:])], f, *(extra or {}).get(f, [])))
            for f in folders
        ]
        for proc in procs:
            proc.wait_ready()
        yield procs
        for proc in procs:
            assert proc.stop() == 0, proc.err


@pytest.mark.slow  # three serve processes and their joins: about a minute each
def test_served_nodes_that_only_multicast_introduces_converge(tmp_path: Path) -> None:
    """Two devices whose books know only the admin node's address find each other by mDNS,
    and keep in sync through that link once the admin node is gone."""
    with lan_of(3) as lan, branch_on(lan, tmp_path) as (folders, admin):
        a, b, c = folders
        with serving(lan, [b, c]):
            converged(a, b, c)  # b learns of c's enrolment (c joined after b) through a
            assert admin.stop() == 0
            register(b, "M1")
            docs = converged(b, c)
        key_b, key_c = docs[0]["device_key"], docs[1]["device_key"]
        assert any("(mdns)" in a for a in book_addresses(b, key_c)), PeerBook(b).rows()
        assert any("(mdns)" in a for a in book_addresses(c, key_b)), PeerBook(c).rows()


@pytest.mark.slow  # three serve processes and their joins: about a minute each
def test_a_partition_heals_and_every_node_converges(tmp_path: Path) -> None:
    """Cable out on one node; both sides write; cable in; all three hold the same log."""
    with lan_of(3) as lan, branch_on(lan, tmp_path) as (folders, _), serving(lan, folders[1:]):
        a, b, c = folders
        before = converged(a, b, c)[0]["entries"]
        lan.link(lan.hosts[2], up=False)  # c is cut off
        register(a, "M2")
        register(c, "M3")  # written while partitioned
        assert converged(a, b)[0]["entries"] == before + 1
        lan.link(lan.hosts[2], up=True)
        assert converged(a, b, c)[0]["entries"] == before + 2


@pytest.mark.slow  # three serve processes and their joins: about a minute each
def test_blocked_multicast_the_peer_flag_and_then_the_book_connect(tmp_path: Path) -> None:
    """AP isolation: no mDNS at all; `--peer` links two devices, and later their books do."""
    with lan_of(3) as lan:
        for host in lan.hosts:
            lan.mcast_flood(host, on=False)
        with branch_on(lan, tmp_path) as (folders, admin):  # joining is unicast: it works
            a, b, c = folders
            b_at = f"{lan.hosts[1].address}:{SERVE_PORT}"
            with serving(lan, [b, c], extra={c: ["--peer", b_at]}):
                converged(a, b, c)
                assert admin.stop() == 0
                register(b, "M1")
                docs = converged(b, c)
        assert f"{b_at} (peer)" in book_addresses(c, docs[0]["device_key"])
        for folder in (b, c):  # multicast was blocked: nothing was learnt from it
            assert not any("(mdns)" in a for r in PeerBook(folder).rows() for a in r.addresses)
        # No flag now: c's book remembers where b answered.
        with serving(lan, [b, c]):
            register(b, "M2")
            assert converged(b, c)[0]["entries"] == docs[0]["entries"] + 1
