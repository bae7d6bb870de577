"""Bank deposits and withdrawals: kinds, outbox planning, the client's mapping, the worker.

Kinds go through `Node.submit` (and `Node.ingest` for an employee's device); the
client and the worker talk to the simulator served in-process on loopback.
Tests match codes, never messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer
from nacl.signing import SigningKey

from chitnode import limits
from chitnode.cli.main import build_parser
from chitnode.cli.main import main as cli_main
from chitnode.domain import bank_kinds as bank
from chitnode.domain.state import EXTERNAL_PREFIX
from chitnode.errors import ChitError
from chitnode.log.entry import ZERO_HASH, Entry, seal_entry
from chitnode.node.node import Node, Receipt
from chitnode.services import bank_outbox as outbox
from chitnode.services.bank_outbox import (
    REFUSE,
    RETRY,
    SETTLE,
    Attempt,
    Backoff,
    BankAnswer,
    BankRequest,
)
from chitnode.store.bank_outbox import OUTBOX_FILE, OutboxTable
from sync.bank.cli import manual_outcome
from sync.bank.client import BankClient, answer_of
from sync.bank.sim import BankSim, build_app
from sync.bank.worker import BankWorker, PassReport
from tests.support.clock import FakeClock

RUPEE = 100
MEMBERS = ("M1", "M2", "M3")
FAST = Backoff(base_ms=1_000, cap_ms=8_000)


# --- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture
def node(fresh_node: Node) -> Node:
    """The root admin node with members M1..M3, and the treasury lease taken."""
    for mid in MEMBERS:
        fresh_node.submit("member.registered", {"member_id": mid, "name": f"Member {mid}"})
    return fresh_node


def request(node: Node, rid: str, mid: str, amount_paise: int, *, withdrawal: bool) -> Receipt:
    kind = bank.WITHDRAWAL_REQUESTED if withdrawal else bank.DEPOSIT_REQUESTED
    body = bank.request_body(rid, mid, amount_paise, withdrawal=withdrawal)
    return node.submit(kind, body, cmd_id=bank.request_cmd_id(rid))


def settle(node: Node, rid: str, ref: str, *, withdrawal: bool = False) -> Receipt:
    kind = bank.WITHDRAWAL_SETTLED if withdrawal else bank.DEPOSIT_SETTLED
    body = bank.settled_body(rid, ref, withdrawal=withdrawal)
    return node.submit(kind, body, cmd_id=bank.outcome_cmd_id(rid))


def fund(node: Node, mid: str, amount_paise: int, rid: str | None = None) -> None:
    """A settled deposit: the wallet holds `amount_paise` more."""
    rid = rid or f"fund-{mid}-{amount_paise}"
    request(node, rid, mid, amount_paise, withdrawal=False)
    settle(node, rid, f"REF-{rid}")


def refused(node: Node, kind: str, body: dict[str, Any]) -> str:
    """Submit a command that must be refused; the state must not change (G9)."""
    before = node.engine.digest()
    with pytest.raises(ChitError) as info:
        node.submit(kind, body)
    assert node.engine.digest() == before
    return info.value.code


def balance(node: Node, account: str) -> int:
    return node.engine.state.balance(account)


def status(node: Node, rid: str) -> str:
    row = node.engine.state.get(bank.REQUESTS, rid)
    assert row is not None
    return str(row["status"])


def conserved(node: Node) -> None:
    """G1 and G2 over every account."""
    rows = node.engine.state.rows("balances")
    assert sum(int(r["paise"]) for r in rows.values()) == 0
    assert all(int(r["paise"]) >= 0 for a, r in rows.items() if not a.startswith(EXTERNAL_PREFIX))


class Device:
    """Another enrolled device of the branch, writing signed entries the node ingests."""

    def __init__(self, node: Node, role: str, seed: int) -> None:
        self.key = SigningKey(bytes([seed]) * 32)
        self.public = self.key.verify_key.encode().hex()
        self.last: Entry | None = None
        node.submit("device.enrolled", {"key": self.public, "role": role, "name": role})

    def write(self, node: Node, kind: str, body: dict[str, Any]) -> tuple[str, str]:
        """Sign, ingest, and return the (status, code) the fold gave the entry."""
        heads = node.store.heads()
        assert isinstance(node.clock, FakeClock)
        node.clock.advance(1_000)
        entry = seal_entry(
            self.key,
            branch=node.branch,
            seq=self.last.seq + 1 if self.last else 1,
            prev=self.last.hash if self.last else ZERO_HASH,
            ts=node.clock.now_ms(),
            deps=tuple(sorted((a, s, h) for a, (s, h) in heads.items() if a != self.public)),
            kind=kind,
            body=body,
        )
        node.ingest([entry])
        self.last = entry
        return node._outcome(self.public, entry.seq)


# --- deposits ------------------------------------------------------------------------------


def test_a_deposit_is_pending_at_once_and_moves_no_money(node: Node) -> None:
    receipt = request(node, "d1", "M1", 500 * RUPEE, withdrawal=False)
    assert receipt.status == "applied"
    assert status(node, "d1") == bank.PENDING
    assert balance(node, "wallet:M1") == 0 and balance(node, bank.BANK_ACCOUNT) == 0
    assert [r["request_id"] for r in bank.pending_requests(node.engine.state)] == ["d1"]
    again = request(node, "d1", "M1", 500 * RUPEE, withdrawal=False)
    assert again.already_done  # the same command retried (G3)


def test_a_deposit_settles_exactly_once(node: Node) -> None:
    request(node, "d1", "M1", 500 * RUPEE, withdrawal=False)
    assert settle(node, "d1", "UTR-0001").status == "applied"
    assert balance(node, "wallet:M1") == 500 * RUPEE
    assert balance(node, bank.BANK_ACCOUNT) == -500 * RUPEE
    row = node.engine.state.get(bank.REQUESTS, "d1")
    assert row is not None and row["bank_ref"] == "UTR-0001" and row["via"] == bank.VIA_MANUAL
    assert bank.pending_requests(node.engine.state) == []
    # The same command retried: "already done", nothing written.
    assert settle(node, "d1", "UTR-0001").already_done
    # A second confirmation under another command id, or a late failure: refused, no change.
    body = bank.settled_body("d1", "UTR-0002", withdrawal=False)
    assert refused(node, bank.DEPOSIT_SETTLED, body) == "already_settled"
    body = bank.refused_body("d1", "no such transfer", withdrawal=False)
    assert refused(node, bank.DEPOSIT_FAILED, body) == "already_settled"
    assert balance(node, "wallet:M1") == 500 * RUPEE
    conserved(node)


def test_a_duplicate_confirmation_from_another_device_changes_no_balance(node: Node) -> None:
    clerk = Device(node, "employee", 7)
    request(node, "d1", "M1", 300 * RUPEE, withdrawal=False)
    settle(node, "d1", "UTR-1")
    balances = dict(node.engine.state.rows("balances"))
    body = bank.settled_body("d1", "UTR-1", withdrawal=False)
    assert clerk.write(node, bank.DEPOSIT_SETTLED, body) == ("rejected", "already_settled")
    assert dict(node.engine.state.rows("balances")) == balances


def test_a_failed_deposit_closes_without_money(node: Node) -> None:
    request(node, "d1", "M2", 100 * RUPEE, withdrawal=False)
    body = bank.refused_body("d1", "no incoming transfer", withdrawal=False)
    node.submit(bank.DEPOSIT_FAILED, body, cmd_id=bank.outcome_cmd_id("d1"))
    assert status(node, "d1") == bank.FAILED
    assert balance(node, "wallet:M2") == 0 and balance(node, bank.BANK_ACCOUNT) == 0
    body = bank.settled_body("d1", "UTR-9", withdrawal=False)
    assert refused(node, bank.DEPOSIT_SETTLED, body) == "request_closed"


def test_an_employee_settles_by_hand_with_the_bank_reference(node: Node) -> None:
    """No gateway: the clerk types the bank's reference; the deposit is credited once."""
    clerk = Device(node, "employee", 7)
    assert clerk.write(
        node, bank.DEPOSIT_REQUESTED, bank.request_body("d9", "M3", 250 * RUPEE, withdrawal=False)
    ) == ("applied", "")
    kind, body = manual_outcome(
        dict(node.engine.state.get(bank.REQUESTS, "d9") or {}), bank_ref="NEFT/77", refuse=None
    )
    assert kind == bank.DEPOSIT_SETTLED
    assert clerk.write(node, kind, body) == ("applied", "")
    row = node.engine.state.get(bank.REQUESTS, "d9")
    assert row is not None
    assert (row["status"], row["bank_ref"], row["via"]) == (bank.SETTLED, "NEFT/77", "manual")
    assert row["closed_by"] == clerk.public
    assert balance(node, "wallet:M3") == 250 * RUPEE
    # A bank reference is required, and well formed.
    request(node, "d10", "M3", 1 * RUPEE, withdrawal=False)
    for ref in ("", "has space", "x" * 65, 42):
        body = {"request_id": "d10", "bank_ref": ref, "via": "manual"}
        assert clerk.write(node, bank.DEPOSIT_SETTLED, body) == ("rejected", "bad_bank_ref")
    # Withdrawals are debits: coordinated, so an employee's device cannot settle them.
    body = bank.settled_body("d10", "NEFT/78", withdrawal=True)
    assert clerk.write(node, bank.WITHDRAWAL_SETTLED, {**body, "term": 1})[1] == "unauthorised"


# --- withdrawals ---------------------------------------------------------------------------


def test_a_withdrawal_reserves_the_funds_then_settles(node: Node) -> None:
    fund(node, "M1", 1_000 * RUPEE)
    request(node, "w1", "M1", 400 * RUPEE, withdrawal=True)
    assert status(node, "w1") == bank.PENDING
    assert balance(node, "wallet:M1") == 600 * RUPEE
    assert balance(node, "hold:w1") == 400 * RUPEE
    # The reserved money cannot be withdrawn a second time while the bank is away.
    body = bank.request_body("w2", "M1", 700 * RUPEE, withdrawal=True)
    assert refused(node, bank.WITHDRAWAL_REQUESTED, body) == "insufficient_funds"
    settle(node, "w1", "IMPS-1", withdrawal=True)
    assert balance(node, "hold:w1") == 0 and balance(node, "wallet:M1") == 600 * RUPEE
    assert balance(node, bank.BANK_ACCOUNT) == -600 * RUPEE  # 1000 in, 400 out
    body = bank.refused_body("w1", "late", withdrawal=True)
    assert refused(node, bank.WITHDRAWAL_REJECTED, body) == "already_settled"
    conserved(node)


def test_a_rejected_withdrawal_releases_the_hold(node: Node) -> None:
    fund(node, "M2", 500 * RUPEE)
    request(node, "w1", "M2", 500 * RUPEE, withdrawal=True)
    assert balance(node, "wallet:M2") == 0
    body = bank.refused_body("w1", "account_closed", withdrawal=True)
    node.submit(bank.WITHDRAWAL_REJECTED, body, cmd_id=bank.outcome_cmd_id("w1"))
    assert status(node, "w1") == bank.REJECTED
    assert balance(node, "wallet:M2") == 500 * RUPEE and balance(node, "hold:w1") == 0
    body = bank.settled_body("w1", "IMPS-2", withdrawal=True)
    assert refused(node, bank.WITHDRAWAL_SETTLED, body) == "request_closed"
    moves = [r["kind"] for k, r in sorted(node.engine.state.rows("wallet_moves").items())]
    assert moves == [bank.DEPOSIT_SETTLED, bank.WITHDRAWAL_REQUESTED, bank.WITHDRAWAL_REJECTED]
    conserved(node)


def test_a_first_withdrawal_beyond_the_wallet_is_refused(node: Node) -> None:
    """The very first coordinated command of the branch, refused: nothing is left behind."""
    body = bank.request_body("w1", "M1", 1, withdrawal=True)
    assert refused(node, bank.WITHDRAWAL_REQUESTED, body) == "insufficient_funds"
    fund(node, "M1", 10)
    assert request(node, "w1", "M1", 10, withdrawal=True).status == "applied"


# --- bad input: a code each, nothing changed -------------------------------------------------


def _deposit(**fields: Any) -> dict[str, Any]:
    return {"request_id": "d1", "member_id": "M1", "amount_paise": 100, **fields}


BAD_INPUT = [
    (bank.DEPOSIT_REQUESTED, _deposit(request_id="bad id!"), "bad_request_id"),
    (bank.DEPOSIT_REQUESTED, _deposit(request_id="x" * 41), "bad_request_id"),
    (bank.DEPOSIT_REQUESTED, _deposit(member_id="M9"), "unknown_member"),
    (bank.DEPOSIT_REQUESTED, _deposit(member_id="no/such"), "bad_member_id"),
    (bank.DEPOSIT_REQUESTED, _deposit(amount_paise=0), "non_positive_amount"),
    (bank.DEPOSIT_REQUESTED, _deposit(amount_paise=-5), "non_positive_amount"),
    (bank.DEPOSIT_REQUESTED, _deposit(amount_paise="100"), "not_integer_paise"),
    (bank.DEPOSIT_REQUESTED, _deposit(amount_paise=True), "not_integer_paise"),
    (bank.DEPOSIT_REQUESTED, _deposit(amount_paise=10**9 + 1), "amount_above_limit"),
    (bank.DEPOSIT_REQUESTED, _deposit(colour="red"), "bad_body"),
    (bank.DEPOSIT_REQUESTED, _deposit(actor="M2"), "actor_mismatch"),
    (bank.DEPOSIT_REQUESTED, _deposit(request_id="seen"), "request_exists"),
    (
        bank.DEPOSIT_SETTLED,
        {"request_id": "nope", "bank_ref": "R1", "via": "manual"},
        "unknown_request",
    ),
    (bank.DEPOSIT_SETTLED, {"request_id": "seen", "bank_ref": "R1", "via": "post"}, "bad_via"),
    (bank.DEPOSIT_SETTLED, {"request_id": "seen", "via": "manual"}, "bad_body"),
    (bank.DEPOSIT_FAILED, {"request_id": "seen", "reason": "  ", "via": "manual"}, "note_required"),
    (
        bank.DEPOSIT_SETTLED,
        {"request_id": "wseen", "bank_ref": "R1", "via": "manual"},
        "wrong_direction",
    ),
    (
        bank.WITHDRAWAL_SETTLED,
        {"request_id": "seen", "bank_ref": "R1", "via": "manual", "scope": "treasury"},
        "wrong_direction",
    ),
    (bank.WITHDRAWAL_REQUESTED, {**_deposit(request_id="w2"), "scope": "group:G1"}, "bad_scope"),
    (
        bank.WITHDRAWAL_REQUESTED,
        {**_deposit(request_id="w2"), "scope": "treasury", "actor": "M1"},
        "insufficient_funds",
    ),
    (  # a debit is the member's act: named (issue 14, point 1)
        bank.WITHDRAWAL_REQUESTED,
        {**_deposit(request_id="w2"), "scope": "treasury"},
        "actor_missing",
    ),
]


@pytest.mark.parametrize(("kind", "body", "code"), BAD_INPUT)
def test_bad_input_is_refused_with_a_code(
    node: Node, kind: str, body: dict[str, Any], code: str
) -> None:
    fund(node, "M2", 100)
    request(node, "wseen", "M2", 100, withdrawal=True)
    request(node, "seen", "M1", 100, withdrawal=False)
    assert refused(node, kind, body) == code


def test_a_float_amount_never_reaches_the_fold(node: Node) -> None:
    code = refused(node, bank.DEPOSIT_REQUESTED, _deposit(amount_paise=1.5))
    assert code == "bad_format"  # canonical JSON refuses floats (wal-v1 §2)


# --- outbox planning (pure) ------------------------------------------------------------------


def test_backoff_doubles_up_to_its_cap_with_bounded_jitter() -> None:
    policy = Backoff(base_ms=1_000, cap_ms=30_000)
    for attempts in range(1, 40):
        raw = min(1_000 * 2 ** (attempts - 1), 30_000)
        delay = policy.delay_ms(attempts, "r1")
        assert raw - raw // limits.BANK_BACKOFF_JITTER_DIVISOR <= delay <= raw
        assert delay == policy.delay_ms(attempts, "r1")  # deterministic
    spread = {policy.delay_ms(1, f"r{i}") for i in range(50)}
    assert len(spread) > 10  # requests missed together do not retry in lockstep
    assert outbox.DEFAULT_BACKOFF.cap_ms == limits.BANK_BACKOFF_CAP_MS


def _pending(*ids: str) -> list[dict[str, Any]]:
    return [
        {
            "request_id": rid,
            "direction": "deposit",
            "member_id": "M1",
            "amount_paise": 1,
            "requested_ms": i,
        }
        for i, rid in enumerate(ids)
    ]


def test_due_requests_are_the_due_ones_oldest_first_and_bounded() -> None:
    now = 1_000_000
    later = Attempt("b", 2, now + 2_000, now - 1, "timeout")
    ready = Attempt("c", 5, now - 1, now - 9_000, "http_503")
    jumped = Attempt("d", 1, now + 10 * FAST.cap_ms, now, "timeout")  # the clock went back
    attempts = {a.request_id: a for a in (later, ready, jumped)}
    due = outbox.due_requests(_pending("a", "b", "c", "d", "e"), attempts, now, backoff=FAST)
    assert [r.request_id for r in due] == ["a", "c", "d", "e"]
    due = outbox.due_requests(_pending("a", "b", "c", "d", "e"), attempts, now, limit=2)
    assert [r.request_id for r in due] == ["a", "c"]
    with pytest.raises(AssertionError):
        outbox.due_requests([], {}, now, limit=limits.BANK_ATTEMPTS_PER_PASS_MAX + 1)
    assert outbox.next_due_ms(_pending("b"), attempts, now) == now + 2_000
    assert outbox.next_due_ms([], attempts, now) is None


def test_a_miss_counts_and_waits_longer() -> None:
    first = outbox.after_miss(None, "r1", "timeout", 5_000, FAST)
    assert (first.attempts, first.last_attempt_ms, first.last_error) == (1, 5_000, "timeout")
    second = outbox.after_miss(first, "r1", "x" * 500, 9_000, FAST)
    assert second.attempts == 2 and len(second.last_error) == limits.BANK_ERROR_CHARS_MAX
    assert second.next_attempt_ms - 9_000 > first.next_attempt_ms - 5_000


def test_each_answer_maps_to_one_outcome_command() -> None:
    deposit = BankRequest("r1", bank.DEPOSIT, "M1", 100)
    withdrawal = BankRequest("r2", bank.WITHDRAWAL, "M1", 100)
    assert outbox.outcome_command(deposit, BankAnswer(RETRY, reason="timeout")) is None
    cmd = outbox.outcome_command(deposit, BankAnswer(SETTLE, bank_ref="SIM1"))
    assert cmd is not None and cmd.kind == bank.DEPOSIT_SETTLED
    assert cmd.cmd_id == "bank-outcome:r1" and cmd.body["via"] == "gateway"
    cmd = outbox.outcome_command(withdrawal, BankAnswer(SETTLE, bank_ref="SIM2"))
    assert cmd is not None and cmd.kind == bank.WITHDRAWAL_SETTLED
    assert cmd.body["scope"] == "treasury"
    cmd = outbox.outcome_command(deposit, BankAnswer(REFUSE, reason=""))
    assert cmd is not None and cmd.kind == bank.DEPOSIT_FAILED and cmd.body["reason"]
    cmd = outbox.outcome_command(withdrawal, BankAnswer(REFUSE, bank_ref="X1", reason="closed"))
    assert cmd is not None and cmd.kind == bank.WITHDRAWAL_REJECTED
    assert cmd.body["bank_ref"] == "X1"


def test_the_attempts_table_survives_a_reopen(tmp_path: Path) -> None:
    with OutboxTable.open(tmp_path) as table:
        table.save(outbox.after_miss(None, "r1", "timeout", 1_000, FAST))
        table.save(outbox.after_miss(None, "r2", "http_503", 1_000, FAST))
        table.save(outbox.after_miss(table.attempts()["r1"], "r1", "timeout", 3_000, FAST))
    assert (tmp_path / OUTBOX_FILE).exists()
    with OutboxTable.open(tmp_path) as table:
        attempts = table.attempts()
        assert {k: a.attempts for k, a in attempts.items()} == {"r1": 2, "r2": 1}
        assert outbox.stale_ids(attempts, ["r1"]) == ["r2"]
        table.forget(["r2"])
        assert list(table.attempts()) == ["r1"]
        rows = outbox.outbox_rows(_pending("r1", "r3"), table.attempts())
    assert [(r.request_id, r.attempts, r.stuck) for r in rows] == [
        ("r1", 2, False),
        ("r3", 0, False),
    ]
    stuck = Attempt("r3", limits.BANK_STUCK_AFTER_ATTEMPTS, 0, 0, "http_404")
    assert outbox.outbox_rows(_pending("r3"), {"r3": stuck})[0].stuck


# --- the client's mapping (pure) ---------------------------------------------------------------


ANSWERS = [
    (200, b'{"status": "settled", "bank_ref": "SIM00000001"}', SETTLE),
    (200, b'{"status": "rejected", "reason": "account_closed"}', REFUSE),
    (422, b'{"status": "rejected", "reason": "limit", "bank_ref": "B-1"}', REFUSE),
    (200, b'{"status": "settled", "bank_ref": "bad ref"}', RETRY),
    (200, b'{"status": "settled"}', RETRY),
    (200, b'{"status": "rejected", "reason": ""}', RETRY),
    (200, b'{"status": "maybe"}', RETRY),
    (200, b"not json", RETRY),
    (200, b"", RETRY),
    (200, b'{"status": "settled", "bank_ref": "R"}' + b" " * 5_000, RETRY),
    (409, b'{"status": "rejected", "reason": "key reused"}', RETRY),
    (404, b"Not Found", RETRY),
    (500, b'{"status": "settled", "bank_ref": "R1"}', RETRY),
    (503, b'{"status": "unavailable"}', RETRY),
]


@pytest.mark.parametrize(("status_code", "raw", "outcome"), ANSWERS)
def test_only_an_explicit_answer_closes_a_request(
    status_code: int, raw: bytes, outcome: str
) -> None:
    assert answer_of(status_code, raw).outcome == outcome


# --- client, simulator and worker on loopback ---------------------------------------------------


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[tuple[BankSim, str]]:
    state = BankSim()
    server = TestServer(build_app(state), host="127.0.0.1")
    await server.start_server()
    try:
        yield state, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def _control(url: str, **body: Any) -> None:
    async with BankClient(url) as client:
        assert client._session is not None
        async with client._session.post(url + "/control", json=body) as resp:
            assert resp.status == 200, await resp.text()


@pytest.mark.system  # a real socket on loopback (the simulator or a closed port)
@pytest.mark.asyncio
async def test_the_simulator_keeps_one_answer_per_key(sim: tuple[BankSim, str]) -> None:
    state, url = sim
    deposit = BankRequest("r1", bank.DEPOSIT, "M1", 100)
    async with BankClient(url, request_timeout_ms=300, connect_timeout_ms=300) as client:
        first = await client.send(deposit)
        assert first.outcome == SETTLE
        await _control(url, mode="reject")
        assert await client.send(deposit) == first  # its answer, whatever the mode now
        assert (await client.send(BankRequest("r2", bank.DEPOSIT, "M1", 100))).outcome == REFUSE
        reused = await client.send(BankRequest("r1", bank.DEPOSIT, "M1", 999))
        assert reused == BankAnswer(RETRY, reason="http_409")
        await _control(url, mode="down")
        assert await client.send(BankRequest("r3", bank.DEPOSIT, "M1", 1)) == BankAnswer(
            RETRY, reason="http_503"
        )
        await _control(url, mode="drop")
        dropped = await client.send(BankRequest("r3", bank.DEPOSIT, "M1", 1))
        assert dropped.outcome == RETRY and dropped.reason.startswith("unreachable")
        await _control(url, mode="slow", delay_ms=1_000)
        late = await client.send(BankRequest("r4", bank.WITHDRAWAL, "M1", 1))
        assert late == BankAnswer(RETRY, reason="timeout")
        await _control(url, mode="up", delay_ms=0)
        again = await client.send(BankRequest("r4", bank.WITHDRAWAL, "M1", 1))
        assert again.outcome == SETTLE  # the bank did it while we timed out: same answer
    assert set(state.answers) == {"r1", "r2", "r4"}  # down and drop processed nothing


@pytest.mark.system  # a real socket on loopback (the simulator or a closed port)
@pytest.mark.asyncio
async def test_an_unreachable_bank_is_a_retry() -> None:
    async with BankClient("http://127.0.0.1:9", request_timeout_ms=500) as client:
        answer = await client.send(BankRequest("r1", bank.DEPOSIT, "M1", 1))
    assert answer.outcome == RETRY


@pytest.fixture
def table(tmp_path: Path) -> Iterator[OutboxTable]:
    with OutboxTable.open(tmp_path) as opened:
        yield opened


async def _worker_pass(node: Node, table: OutboxTable, url: str) -> PassReport:
    async with BankClient(url, request_timeout_ms=300, connect_timeout_ms=300) as client:
        worker = BankWorker(node, table, client, backoff=FAST)
        try:
            return await worker.run_pass()
        finally:
            worker.close()


@pytest.mark.system  # a real socket on loopback (the simulator or a closed port)
@pytest.mark.asyncio
async def test_the_worker_retries_through_an_outage_and_settles_once(
    node: Node, table: OutboxTable, sim: tuple[BankSim, str], clock: FakeClock
) -> None:
    state, url = sim
    fund(node, "M1", 1_000 * RUPEE)
    fund(node, "M2", 1_000 * RUPEE)
    request(node, "d1", "M1", 100 * RUPEE, withdrawal=False)
    request(node, "w1", "M1", 300 * RUPEE, withdrawal=True)
    request(node, "w2", "M2", 400 * RUPEE, withdrawal=True)
    await _control(url, mode="down", reject_members=["M2"])
    report = await _worker_pass(node, table, url)
    assert (report.due, report.retried, report.pending) == (3, 3, 3)
    assert {a.attempts for a in table.attempts().values()} == {1}
    report = await _worker_pass(node, table, url)  # nothing is due before its backoff
    assert report.due == 0 and state.calls == 3
    await _control(url, mode="up")
    clock.advance(FAST.cap_ms)
    report = await _worker_pass(node, table, url)
    assert (report.settled, report.refused, report.pending) == (2, 1, 0)
    assert table.attempts() == {}
    assert [status(node, r) for r in ("d1", "w1", "w2")] == ["settled", "settled", "rejected"]
    assert balance(node, "wallet:M1") == 800 * RUPEE and balance(node, "wallet:M2") == 1_000 * RUPEE
    assert balance(node, "hold:w1") == balance(node, "hold:w2") == 0
    assert balance(node, bank.BANK_ACCOUNT) == -(2_000 + 100 - 300) * RUPEE
    clock.advance(FAST.cap_ms)
    report = await _worker_pass(node, table, url)
    assert report.due == 0 and len(state.answers) == 3
    conserved(node)


@pytest.mark.system  # a real socket on loopback (the simulator or a closed port)
@pytest.mark.asyncio
async def test_an_answer_lost_in_a_crash_is_asked_again_and_settles_once(
    node: Node, table: OutboxTable, sim: tuple[BankSim, str]
) -> None:
    """The bank took the deposit, the node died before writing it: the retry gets the same ref."""
    state, url = sim
    request(node, "d1", "M3", 50 * RUPEE, withdrawal=False)
    async with BankClient(url) as client:
        lost = await client.send(BankRequest("d1", bank.DEPOSIT, "M3", 50 * RUPEE))
    report = await _worker_pass(node, table, url)
    assert report.settled == 1
    row = node.engine.state.get(bank.REQUESTS, "d1")
    assert row is not None and row["bank_ref"] == lost.bank_ref and row["via"] == "gateway"
    assert len(state.answers) == 1 and balance(node, "wallet:M3") == 50 * RUPEE
    # The worker's own command, retried after a crash that hid its receipt: already done.
    retry = outbox.outcome_command(BankRequest("d1", bank.DEPOSIT, "M3", 50 * RUPEE), lost)
    assert retry is not None
    assert node.submit(retry.kind, retry.body, cmd_id=retry.cmd_id).already_done
    # Another outcome under the worker's command id is refused, not "already done"
    with pytest.raises(ChitError) as reused:
        settle(node, "d1", lost.bank_ref)  # (by hand: via "manual", not "gateway")
    assert reused.value.code == "cmd_id_reused"


@pytest.mark.system  # a real socket on loopback (the simulator or a closed port)
@pytest.mark.asyncio
async def test_a_request_settled_by_hand_meanwhile_is_not_written_twice(
    node: Node, table: OutboxTable, sim: tuple[BankSim, str], clock: FakeClock
) -> None:
    _, url = sim
    request(node, "d1", "M1", 10 * RUPEE, withdrawal=False)
    request(node, "d2", "M1", 20 * RUPEE, withdrawal=False)
    await _control(url, mode="down")
    await _worker_pass(node, table, url)
    assert set(table.attempts()) == {"d1", "d2"}
    clerk = Device(node, "employee", 9)
    assert clerk.write(
        node, bank.DEPOSIT_SETTLED, bank.settled_body("d1", "CASH/1", withdrawal=False)
    ) == ("applied", "")
    await _control(url, mode="reject")
    clock.advance(FAST.cap_ms)
    report = await _worker_pass(node, table, url)
    assert (report.due, report.refused) == (1, 1)  # d1 is no longer pending: not asked
    assert table.attempts() == {}
    assert balance(node, "wallet:M1") == 10 * RUPEE


def test_the_worker_reports_a_bank_that_disagrees_with_the_log(
    node: Node, table: OutboxTable
) -> None:
    request(node, "d1", "M1", 10 * RUPEE, withdrawal=False)
    worker = BankWorker(node, table, BankClient("http://127.0.0.1:9"))
    settle(node, "d1", "CASH/1")  # settled by hand, after the worker planned it
    what, error = worker._record(
        BankRequest("d1", bank.DEPOSIT, "M1", 10 * RUPEE), BankAnswer(REFUSE, reason="unknown")
    )
    assert what == "closed_elsewhere" and "settled" in error
    assert status(node, "d1") == bank.SETTLED and balance(node, "wallet:M1") == 10 * RUPEE
    # The same from another device's hand (another command id): the fold refuses it.
    request(node, "d2", "M1", 5 * RUPEE, withdrawal=False)
    node.submit(bank.DEPOSIT_SETTLED, bank.settled_body("d2", "CASH/2", withdrawal=False))
    what, error = worker._record(
        BankRequest("d2", bank.DEPOSIT, "M1", 5 * RUPEE), BankAnswer(REFUSE, reason="unknown")
    )
    assert what == "closed_elsewhere" and "already_settled" in error
    worker.close()


# --- command line ---------------------------------------------------------------------------------


def test_bank_commands_come_from_the_entry_points() -> None:
    parser = build_parser()
    args = parser.parse_args(["bank-sim", "--port", "0"])
    assert callable(args.handler)
    args = parser.parse_args(["bank-worker", "--bank", "http://127.0.0.1:1"])
    assert callable(args.handler)


def test_cli_outbox_and_manual_settlement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "cli"
    with Node.init(data, "CLI") as node:
        node.submit("member.registered", {"member_id": "M1", "name": "One"})
        request(node, "d1", "M1", 100 * RUPEE, withdrawal=False)
    assert cli_main(["--data", str(data), "bank-outbox"]) == 0
    assert "d1" in capsys.readouterr().out
    assert cli_main(["--data", str(data), "bank-settle", "d1", "--bank-ref", "UTR/55"]) == 0
    assert "applied" in capsys.readouterr().out
    assert cli_main(["--data", str(data), "bank-settle", "d1", "--bank-ref", "UTR/55"]) == 1
    assert "already_settled" in capsys.readouterr().err  # typed twice: settled once
    assert cli_main(["--data", str(data), "bank-outbox"]) == 0
    assert "No pending" in capsys.readouterr().out
    assert cli_main(["--data", str(data), "bank-settle", "nope", "--refuse", "x"]) == 2
    with Node.open(data) as node:
        row = node.engine.state.get(bank.REQUESTS, "d1")
        assert row is not None and row["bank_ref"] == "UTR/55"
        assert node.engine.state.balance("wallet:M1") == 100 * RUPEE


def test_worker_arguments_are_bounded(tmp_path: Path) -> None:
    from sync.bank import worker as bank_worker

    code = bank_worker.main(["--data", str(tmp_path), "--bank", "ftp://x", "--passes", "1"])
    assert code == 2
