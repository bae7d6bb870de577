"""Many concurrent transfers, deposits and withdrawals, from threads and from processes.

Money is never created or destroyed (G1: the sum over every account, `ext:` ones
included, stays 0, and what members hold equals cash deposited minus cash
withdrawn), no wallet ever goes negative (G2), and every acknowledged command is
in the log exactly once (G3, G7).

One writer per data folder (DESIGN.md): a `Node` object is not thread-safe, so
threads share one Node behind a `threading.Lock`; a test shows what happens
without it. Processes take turns through the folder's writer lock: a process
that finds it held gets `StoreLocked` and retries with bounded, jittered backoff.

Run as a script, this file is the worker process of the multi-process test.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from chitnode.domain import wallet_views as views
from chitnode.domain.chit_views import balances_total_paise, negative_accounts
from chitnode.domain.wallet_kinds import (
    DEPOSITED,
    TRANSFERRED,
    WALLET_KINDS,
    WITHDRAWN,
    deposit_body,
    transfer_body,
    withdraw_body,
)
from chitnode.errors import RuleViolation, StoreLocked
from chitnode.node.node import Node
from chitnode.services.events import EventStream, Filter, submit_and_publish

pytestmark = pytest.mark.system

MEMBERS = tuple(f"P{i}" for i in range(6))
OPENING_PAISE = 50_000  # ₹500 in every wallet to start with
THREADS, OPS_PER_THREAD = 8, 40
PROCESSES, SESSIONS_PER_PROCESS = 4, 8
OPEN_TRIES_MAX = 2_000  # bounded retries on StoreLocked ...
BACKOFF_S_MIN, BACKOFF_S_MAX = 0.002, 0.1  # ... doubling, jittered, capped
WORKER_TIMEOUT_S = 120


# --- shared pieces --------------------------------------------------------------------------


def found(data: Path) -> int:
    """A branch with MEMBERS, each wallet opened with OPENING_PAISE; returns cash deposited."""
    with Node.init(data, "Concurrency Branch") as node:
        for mid in MEMBERS:
            node.submit("member.registered", {"member_id": mid, "name": f"Member {mid}"})
            node.submit(DEPOSITED, deposit_body(mid, OPENING_PAISE, f"open-{mid}", note="opening"))
    return OPENING_PAISE * len(MEMBERS)


def random_command(rng: random.Random, cmd_id: str) -> tuple[str, dict[str, Any]]:
    """Mostly transfers, many too large for the payer's wallet (they must be refused)."""
    a, b = rng.sample(MEMBERS, 2)
    amount = rng.randint(1, 20_000)
    roll = rng.random()
    if roll < 0.6:
        return TRANSFERRED, transfer_body(a, b, amount, cmd_id)
    if roll < 0.85:
        return WITHDRAWN, withdraw_body(a, amount, cmd_id, note="cash at counter")
    return DEPOSITED, deposit_body(a, amount, cmd_id, bank_ref=f"UPI{cmd_id}")


def attempt(node: Node, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """Submit one command; what the caller was told (an ack, or a refusal code)."""
    try:
        receipt = node.submit(kind, body, cmd_id=body["cmd_id"])
    except RuleViolation as exc:
        return {"kind": kind, "amount": body["amount_paise"], "status": "refused", "code": exc.code}
    return {"kind": kind, "amount": body["amount_paise"], "status": receipt.status, "code": ""}


def check_money(node: Node, opening_paise: int, acks: list[dict[str, Any]]) -> None:
    """G1, G2, and the members' total against the acknowledged cash in and out."""
    state = node.engine.state
    assert balances_total_paise(state) == 0
    assert negative_accounts(state) == []
    assert all(v >= 0 for v in views.wallet_balances(state).values())
    applied = [a for a in acks if a["status"] == "applied"]
    cash_in = opening_paise + sum(a["amount"] for a in applied if a["kind"] == DEPOSITED)
    cash_out = sum(a["amount"] for a in applied if a["kind"] == WITHDRAWN)
    assert views.members_total_paise(state) == cash_in - cash_out
    assert state.balance("ext:cash") == -(cash_in - cash_out)
    # the log agrees with what callers were told: every ack once, nothing unacknowledged
    rows = node.store.conn.execute(
        "SELECT kind, count(*) FROM entries WHERE status = 'applied' AND kind IN (?, ?, ?)"
        " GROUP BY kind",
        tuple(sorted(WALLET_KINDS)),
    )
    in_log = {str(k): int(n) for k, n in rows}
    told = Counter(a["kind"] for a in applied)
    told[DEPOSITED] += len(MEMBERS)  # the opening deposits
    assert in_log == dict(told)
    before = node.engine.digest()
    with node.store.transaction():
        node.engine.rebuild()
    assert node.engine.digest() == before  # G6: the log replays to the same books


# --- threads ----------------------------------------------------------------------------------


def test_threads_sharing_one_node_behind_a_lock_never_create_or_destroy_money(
    tmp_path: Path,
) -> None:
    data = tmp_path / "node"
    opening = found(data)
    acks: list[dict[str, Any]] = []
    lock = threading.Lock()  # the Node is not thread-safe: one submit at a time
    with Node.open(data) as node:
        stream = EventStream(subscription_events_max=THREADS * OPS_PER_THREAD)
        stream.attach(node)
        sub = stream.subscribe(Filter(kinds=frozenset({"wallet."}), include_rejected=False))

        def worker(n: int) -> None:
            rng = random.Random(n)
            for i in range(OPS_PER_THREAD):
                kind, body = random_command(rng, f"t{n}-{i}")
                with lock:
                    try:
                        receipt = submit_and_publish(node, stream, kind, body, body["cmd_id"])
                        told = {"status": receipt.status, "code": ""}
                    except RuleViolation as exc:
                        told = {"status": "refused", "code": exc.code}
                    acks.append({"kind": kind, "amount": body["amount_paise"], **told})

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WORKER_TIMEOUT_S)
        assert len(acks) == THREADS * OPS_PER_THREAD
        codes = Counter(a["code"] for a in acks if a["status"] == "refused")
        assert set(codes) <= {"insufficient_funds"} and codes["insufficient_funds"] > 0
        assert Counter(a["status"] for a in acks)["applied"] > THREADS * OPS_PER_THREAD // 3
        check_money(node, opening, acks)
        published = sub.drain()  # every applied entry reached the stream exactly once
        assert len(published) == sum(a["status"] == "applied" for a in acks)
        assert len({e.hash for e in published}) == len(published) and sub.dropped == 0


def race(node: Node, lock: threading.Lock | None) -> tuple[object, object]:
    """A submits a deposit; while A is inside its fold (before COMMIT), B submits one too.

    The interleaving is forced, not hoped for: an `on_applied` hook holds A inside its
    transaction until B has tried. Returns what A and B were told ("ok" or the error).
    """
    inside, b_tried = threading.Event(), threading.Event()
    told: dict[str, object] = {}

    def hold(entry: Any, _: Any) -> None:
        if entry.body.get("cmd_id") == "A":
            inside.set()
            b_tried.wait(0.5)  # B's chance to break in (with the lock it cannot)

    def submit(tag: str, member: str) -> None:
        try:
            if lock is None:
                node.submit(DEPOSITED, deposit_body(member, 1, tag, note=tag))
            else:
                with lock:
                    node.submit(DEPOSITED, deposit_body(member, 1, tag, note=tag))
            told[tag] = "ok"
        except Exception as exc:
            told[tag] = exc

    def b() -> None:
        inside.wait(10)
        submit("B", "P1")
        b_tried.set()

    node.engine.on_applied.append(hold)
    thread_b = threading.Thread(target=b)
    thread_b.start()
    submit("A", "P0")
    thread_b.join(10)
    node.engine.on_applied.remove(hold)
    return told["A"], told["B"]


@pytest.mark.parametrize("locked", [False, True], ids=["no-lock", "lock"])
def test_threads_racing_on_one_node_take_turns(tmp_path: Path, locked: bool) -> None:
    data = tmp_path / "node"
    found(data)
    with Node.open(data) as node:
        a, b = race(node, threading.Lock() if locked else None)
        # With or without the caller's lock, B waits for A's COMMIT (Node serialises its
        # writers), then goes through: both applied, books whole, rebuild agrees.
        assert (a, b) == ("ok", "ok")
        both = [{"kind": DEPOSITED, "amount": 1, "status": "applied", "code": ""}] * 2
        check_money(node, OPENING_PAISE * len(MEMBERS), both)


# --- processes ------------------------------------------------------------------------------


def open_with_retry(data: Path, rng: random.Random) -> tuple[Node, int]:
    """Node.open, retrying StoreLocked with bounded, jittered exponential backoff."""
    delay = BACKOFF_S_MIN
    for tries in range(OPEN_TRIES_MAX):
        try:
            return Node.open(data), tries
        except StoreLocked:
            if tries == 0:
                print("LOCKED", flush=True)  # tells the parent the retry path ran
            time.sleep(delay * rng.uniform(0.5, 1.5))
            delay = min(delay * 2, BACKOFF_S_MAX)
    raise StoreLocked(f"{data} stayed locked through {OPEN_TRIES_MAX} tries")


def worker_main(data: Path, seed: int) -> None:
    """A process: SESSIONS_PER_PROCESS times open the folder, submit 1-5 commands, close."""
    rng = random.Random(seed)
    retries, n = 0, 0
    for _ in range(SESSIONS_PER_PROCESS):
        node, tries = open_with_retry(data, rng)
        retries += tries
        with node:
            for _ in range(rng.randint(1, 5)):
                kind, body = random_command(rng, f"p{seed}-{n}")
                n += 1
                print("ACK " + json.dumps(attempt(node, kind, body)), flush=True)
        time.sleep(rng.uniform(0, 0.02))
    print(f"RETRIES {retries}", flush=True)


def test_processes_taking_turns_never_create_or_destroy_money(tmp_path: Path) -> None:
    data = tmp_path / "node"
    opening = found(data)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    holder = Node.open(data)  # hold the folder until every worker has met StoreLocked
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "worker", str(data), str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for seed in range(PROCESSES)
    ]
    outputs: list[str] = []
    try:
        for proc in procs:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            assert first.strip() == "LOCKED", (first, proc.stderr.read() if proc.stderr else "")
        holder.close()
        for proc in procs:
            out, err = proc.communicate(timeout=WORKER_TIMEOUT_S)
            assert proc.returncode == 0, err
            outputs.append(out)
    finally:
        holder.close()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    acks = [
        json.loads(line[4:]) for out in outputs for line in out.splitlines() if line[:4] == "ACK "
    ]
    retries = [
        int(line.split()[1]) for out in outputs for line in out.splitlines() if "RETRIES" in line
    ]
    assert len(retries) == PROCESSES and all(r >= 1 for r in retries)
    assert {a["code"] for a in acks if a["status"] == "refused"} <= {"insufficient_funds"}
    assert all(a["status"] in ("applied", "refused") for a in acks)
    with Node.open(data) as node:
        check_money(node, opening, acks)


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        worker_main(Path(sys.argv[2]), int(sys.argv[3]))
