"""Done-when (issue 4, part 2): the bank goes down mid-batch, the worker is killed, all settle once.

Real processes on loopback: the bank simulator (`python -m sync.bank.sim`, and
`python -m chitnode bank-sim` through the CLI's entry points) and the bank worker
(`python -m sync.bank.worker`). The node records a batch of deposits and
withdrawals (pending at once, withdrawals reserved); the first worker settles some,
then the bank turns slow (it takes requests whose answers the worker never
sees), then down; the worker is killed with SIGKILL while it retries. The bank
comes back, a second worker drains the outbox, and then every request is closed
by exactly one outcome entry that agrees with the bank's own ledger, to the paisa.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chitnode.domain import bank_kinds as bank
from chitnode.domain.state import EXTERNAL_PREFIX
from chitnode.log.entry import entry_from_stored
from chitnode.node.node import Node

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
RUPEE = 100
MEMBERS = [f"M{i}" for i in range(1, 7)]
CLOSED_ACCOUNT = "M6"  # the bank refuses this member's requests: account_closed
FUNDING_PAISE = 10_000 * RUPEE
DEPOSITS = 12
WITHDRAWALS = 8
STEP_TIMEOUT_S = 20.0  # each wait for the worker or the bank
WORKER_ARGS = [
    "--per-pass",
    "3",
    "--pause-ms",
    "100",
    "--timeout-ms",
    "300",
    "--backoff-base-ms",
    "100",
    "--backoff-cap-ms",
    "400",
]
OUTCOME_KINDS = (
    bank.DEPOSIT_SETTLED,
    bank.DEPOSIT_FAILED,
    bank.WITHDRAWAL_SETTLED,
    bank.WITHDRAWAL_REJECTED,
)


class Proc:
    """A child process whose stdout lines arrive on a queue (reads never block the test)."""

    def __init__(self, args: list[str], err_path: Path) -> None:
        self.err_path = err_path
        self.err = err_path.open("w")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.popen = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=self.err, text=True, cwd=ROOT, env=env
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line)

    def wait_line(self, accept: Callable[[str], bool], timeout_s: float = STEP_TIMEOUT_S) -> str:
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if accept(line):
                return line
        raise AssertionError(f"no such line in {timeout_s}s; stderr: {self.stderr()}")

    def stderr(self) -> str:
        self.err.flush()
        return self.err_path.read_text()[-2_000:]

    def stop_when_done(self, timeout_s: float = 2 * STEP_TIMEOUT_S) -> int:
        """Its exit code once it ends by itself; killed (and failed) if it overruns."""
        try:
            self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.stop(signal.SIGKILL)
            raise
        return self.stop()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.popen.poll() is None:
            os.kill(self.popen.pid, sig)  # by pid: only what this test started
        try:
            return self.popen.wait(timeout=STEP_TIMEOUT_S)
        finally:
            self.err.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def start_bank(tmp_path: Path, args: list[str]) -> tuple[Proc, str]:
    proc = Proc(args, tmp_path / "bank.err")
    line = proc.wait_line(lambda text: "listening on" in text)
    return proc, line.split("listening on ")[1].strip()


@pytest.fixture
def bank_sim(tmp_path: Path) -> Iterator[str]:
    proc, url = start_bank(
        tmp_path, [sys.executable, "-m", "sync.bank.sim", "--port", str(free_port())]
    )
    try:
        yield url
    finally:
        proc.stop()


def pass_reports(proc: Proc) -> Callable[[Callable[[dict[str, Any]], bool]], dict[str, Any]]:
    def wait_for(accept: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        line = proc.wait_line(lambda text: text.startswith("{") and accept(json.loads(text)))
        return dict(json.loads(line))

    return wait_for


def record_batch(data: Path) -> dict[str, tuple[str, str, int]]:
    """Members funded by hand; then 12 deposits and 8 withdrawals, all pending at once."""
    batch: dict[str, tuple[str, str, int]] = {}
    with Node.init(data, "Outage branch") as node:
        for mid in MEMBERS:
            node.submit("member.registered", {"member_id": mid, "name": f"Member {mid}"})
            rid = f"fund-{mid}"
            node.submit(
                bank.DEPOSIT_REQUESTED, bank.request_body(rid, mid, FUNDING_PAISE, withdrawal=False)
            )
            node.submit(
                bank.DEPOSIT_SETTLED, bank.settled_body(rid, f"CASH/{mid}", withdrawal=False)
            )
        for i in range(DEPOSITS):
            rid, mid = f"dep-{i:02d}", MEMBERS[i % len(MEMBERS)]
            batch[rid] = (bank.DEPOSIT, mid, (i + 1) * 100 * RUPEE + i)
        for i in range(WITHDRAWALS):
            rid, mid = f"wdl-{i:02d}", MEMBERS[(i * 5) % len(MEMBERS)]
            batch[rid] = (bank.WITHDRAWAL, mid, (i + 1) * 250 * RUPEE + 7)
        for rid, (direction, mid, amount) in batch.items():
            withdrawal = direction == bank.WITHDRAWAL
            kind = bank.WITHDRAWAL_REQUESTED if withdrawal else bank.DEPOSIT_REQUESTED
            body = bank.request_body(rid, mid, amount, withdrawal=withdrawal)
            receipt = node.submit(kind, body, cmd_id=bank.request_cmd_id(rid))
            assert receipt.status == "applied"
        pending = bank.pending_requests(node.engine.state)
        assert sorted(r["request_id"] for r in pending) == sorted(batch)
        for rid, (direction, _, amount) in batch.items():
            held = node.engine.state.balance(bank.hold_account(rid))
            assert held == (amount if direction == bank.WITHDRAWAL else 0)
    assert any(mid == CLOSED_ACCOUNT for d, mid, _ in batch.values() if d == bank.WITHDRAWAL)
    return batch


def worker(tmp_path: Path, data: Path, url: str, name: str, *extra: str) -> Proc:
    args = [sys.executable, "-m", "sync.bank.worker", "--data", str(data), "--bank", url]
    return Proc([*args, *WORKER_ARGS, *extra], tmp_path / f"{name}.err")


def outcome_counts(node: Node) -> dict[str, int]:
    """Applied outcome entries per request id, read from the log itself."""
    counts: dict[str, int] = {}
    marks = ",".join("?" for _ in OUTCOME_KINDS)
    rows = node.store.conn.execute(
        f"SELECT raw FROM entries WHERE status = 'applied' AND kind IN ({marks})", OUTCOME_KINDS
    )
    for (raw,) in rows:
        rid = str(entry_from_stored(raw).body["request_id"])
        counts[rid] = counts.get(rid, 0) + 1
    return counts


def test_every_request_settles_exactly_once_through_an_outage(
    tmp_path: Path, bank_sim: str
) -> None:
    started = time.monotonic()
    url, data = bank_sim, tmp_path / "node"
    batch = record_batch(data)
    http(url + "/control", {"mode": "up", "reject_members": [CLOSED_ACCOUNT]})

    # Worker 1: some settle; the bank turns slow (it takes requests, answers too late),
    # then down; the worker is killed with SIGKILL while it retries.
    first = worker(tmp_path, data, url, "worker1", "--keep-going", "--seconds", "60")
    try:
        wait_for = pass_reports(first)
        wait_for(lambda r: r["settled"] + r["refused"] > 0)
        http(url + "/control", {"mode": "slow", "delay_ms": 1_500})
        wait_for(lambda r: any("timeout" in e for e in r["errors"]))
        http(url + "/control", {"mode": "down"})
        wait_for(lambda r: any("http_503" in e for e in r["errors"]))
    finally:
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL

    ledger = http(url + "/ledger")
    with Node.open(data) as node:
        pending = {r["request_id"] for r in bank.pending_requests(node.engine.state)}
        done_before = outcome_counts(node)
    assert pending and done_before, "the outage must fall in the middle of the batch"
    lost = pending & set(ledger)  # the bank did these; the node never heard the answer
    assert lost, "the slow bank must have taken requests whose answers were lost"

    # The bank comes back; worker 2 drains the outbox and stops when nothing is pending.
    http(url + "/control", {"mode": "up", "delay_ms": 0})
    second = worker(tmp_path, data, url, "worker2", "--seconds", "60")
    assert second.stop_when_done() == 0, second.stderr()

    ledger = http(url + "/ledger")
    assert set(ledger) == set(batch)  # the bank processed every request, each key once
    with Node.open(data) as node:
        state = node.engine.state
        assert bank.pending_requests(state) == []
        assert outcome_counts(node) == {
            **{f"fund-{m}": 1 for m in MEMBERS},
            **dict.fromkeys(batch, 1),
        }
        wallets = dict.fromkeys(MEMBERS, FUNDING_PAISE)
        bank_paise = -FUNDING_PAISE * len(MEMBERS)
        for rid, (direction, mid, amount) in batch.items():
            row, said = state.get(bank.REQUESTS, rid), ledger[rid]
            assert row is not None and (said["direction"], said["amount_paise"]) == (
                direction,
                amount,
            )
            assert row["bank_ref"] == said["bank_ref"] and row["via"] == bank.VIA_GATEWAY
            if said["status"] == "settled":
                assert row["status"] == bank.SETTLED
                sign = 1 if direction == bank.DEPOSIT else -1
                wallets[mid] += sign * amount
                bank_paise -= sign * amount
            else:
                assert mid == CLOSED_ACCOUNT
                assert row["status"] == (
                    bank.FAILED if direction == bank.DEPOSIT else bank.REJECTED
                )
            assert state.balance(bank.hold_account(rid)) == 0  # reserved funds settled or released
        assert {m: state.balance(f"wallet:{m}") for m in MEMBERS} == wallets
        assert wallets[CLOSED_ACCOUNT] == FUNDING_PAISE  # its withdrawals were all released
        assert state.balance(bank.BANK_ACCOUNT) == bank_paise
        balances = {a: int(r["paise"]) for a, r in state.rows("balances").items()}
        assert sum(balances.values()) == 0
        assert all(v >= 0 for a, v in balances.items() if not a.startswith(EXTERNAL_PREFIX))
    assert time.monotonic() - started < 60


def test_the_cli_serves_the_simulator_through_its_plugin_hook(tmp_path: Path) -> None:
    port = free_port()
    proc, url = start_bank(
        tmp_path, [sys.executable, "-m", "chitnode", "bank-sim", "--port", str(port)]
    )
    try:
        assert url == f"http://127.0.0.1:{port}"
        assert http(url + "/control", {"mode": "reject"})["mode"] == "reject"
        assert http(url + "/control")["keys"] == 0
    finally:
        assert proc.stop() == 0  # SIGTERM: a clean shutdown
