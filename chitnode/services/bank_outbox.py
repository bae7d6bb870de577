"""The bank outbox: which pending requests to send now, and how long to wait after a miss.

The log IS the durable outbox. A request is pending while the fold holds its
`bank.*_requested` entry and no outcome (`bank_kinds.pending_requests`), so a
request recorded before a crash is still pending after it, on every node that
holds the entry. What only this node needs, how often it tried and when to try
next, lives in the node-local `data_dir/bank_outbox.db` (sqlite-utils). Losing
that file resets the backoff of some requests; it never loses or repeats one.

Planning is pure (rows and `now_ms` in, a plan out); `OutboxTable`
(`chitnode/store/bank_outbox.py`) is the thin I/O shell. The network side
(`sync/bank/client.py`, `sync/bank/worker.py`) asks the bank
and turns its answer into one outcome command (`outcome_command`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chitnode import limits
from chitnode.domain import bank_kinds as bank
from chitnode.node.node import Command
from chitnode.store.bank_outbox import Attempt

SETTLE = "settle"  # the bank did it: write the *_settled entry
REFUSE = "refuse"  # the bank refused it: write deposit_failed / withdrawal_rejected
RETRY = "retry"  # no answer we can trust: keep it pending, back off
OUTCOMES = (SETTLE, REFUSE, RETRY)


@dataclass(frozen=True, slots=True)
class Backoff:
    base_ms: int = limits.BANK_BACKOFF_BASE_MS
    cap_ms: int = limits.BANK_BACKOFF_CAP_MS

    def __post_init__(self) -> None:
        assert 0 < self.base_ms <= self.cap_ms, (self.base_ms, self.cap_ms)

    def delay_ms(self, attempts: int, request_id: str) -> int:
        """Wait after the `attempts`-th miss: doubling from base, capped, jittered by id."""
        assert attempts >= 1, attempts
        doublings = min(attempts - 1, limits.BANK_BACKOFF_DOUBLINGS_MAX)
        raw_ms = min(self.base_ms << doublings, self.cap_ms)
        seed = hashlib.sha256(f"{request_id}|{attempts}".encode()).digest()
        fraction = int.from_bytes(seed[:4], "big") / 2**32  # deterministic: tests can pin it
        delay_ms = raw_ms - int(raw_ms * fraction / limits.BANK_BACKOFF_JITTER_DIVISOR)
        assert 0 < delay_ms <= self.cap_ms, delay_ms
        return delay_ms


DEFAULT_BACKOFF = Backoff()


@dataclass(frozen=True, slots=True)
class BankRequest:
    """What the bank is asked: one request, keyed by its id (the Idempotency-Key)."""

    request_id: str
    direction: str  # bank.DEPOSIT | bank.WITHDRAWAL
    member_id: str
    amount_paise: int


@dataclass(frozen=True, slots=True)
class BankAnswer:
    outcome: str  # SETTLE | REFUSE | RETRY
    bank_ref: str = ""  # with SETTLE (and optionally REFUSE)
    reason: str = ""  # with REFUSE: the bank's reason; with RETRY: what went wrong

    def __post_init__(self) -> None:
        assert self.outcome in OUTCOMES, self.outcome
        assert self.outcome != SETTLE or self.bank_ref, "a settlement has a bank reference"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One line of the foreman's outbox view."""

    request_id: str
    direction: str
    member_id: str
    amount_paise: int
    requested_ms: int
    attempts: int
    next_attempt_ms: int  # 0: not tried yet, due now
    last_error: str
    stuck: bool


# --- pure planning --------------------------------------------------------------------


def request_of(row: Mapping[str, Any]) -> BankRequest:
    return BankRequest(
        request_id=str(row["request_id"]),
        direction=str(row["direction"]),
        member_id=str(row["member_id"]),
        amount_paise=int(row["amount_paise"]),
    )


def is_due(attempt: Attempt | None, now_ms: int, backoff: Backoff) -> bool:
    """Never tried, or its wait is over; a wait longer than the cap means the clock jumped."""
    if attempt is None:
        return True
    wait_ms = attempt.next_attempt_ms - now_ms
    return wait_ms <= 0 or wait_ms > backoff.cap_ms


def due_requests(
    pending: Sequence[Mapping[str, Any]],
    attempts: Mapping[str, Attempt],
    now_ms: int,
    *,
    limit: int = limits.BANK_ATTEMPTS_PER_PASS_MAX,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> list[BankRequest]:
    """The pending requests to send now: due ones, oldest first, at most `limit`."""
    assert 0 < limit <= limits.BANK_ATTEMPTS_PER_PASS_MAX, limit
    due: list[BankRequest] = []
    for row in pending:
        if len(due) == limit:
            break
        if is_due(attempts.get(str(row["request_id"])), now_ms, backoff):
            due.append(request_of(row))
    return due


def after_miss(
    previous: Attempt | None,
    request_id: str,
    error: str,
    now_ms: int,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> Attempt:
    """The attempt record after one more miss: count it, and wait longer."""
    attempts = (previous.attempts if previous else 0) + 1
    return Attempt(
        request_id=request_id,
        attempts=attempts,
        next_attempt_ms=now_ms + backoff.delay_ms(attempts, request_id),
        last_attempt_ms=now_ms,
        last_error=error[: limits.BANK_ERROR_CHARS_MAX],
    )


def next_due_ms(
    pending: Sequence[Mapping[str, Any]], attempts: Mapping[str, Attempt], now_ms: int
) -> int | None:
    """When the earliest pending request falls due (`now_ms` if one is due), or None."""
    times = [
        max(attempts[rid].next_attempt_ms, now_ms) if rid in attempts else now_ms
        for rid in (str(row["request_id"]) for row in pending)
    ]
    return min(times, default=None)


def outcome_command(request: BankRequest, answer: BankAnswer) -> Command | None:
    """The one entry that closes `request` after `answer`, or None to retry later."""
    withdrawal = request.direction == bank.WITHDRAWAL
    rid = request.request_id
    if answer.outcome == RETRY:
        return None
    if answer.outcome == SETTLE:
        kind = bank.WITHDRAWAL_SETTLED if withdrawal else bank.DEPOSIT_SETTLED
        body = bank.settled_body(rid, answer.bank_ref, withdrawal=withdrawal, via=bank.VIA_GATEWAY)
    else:
        kind = bank.WITHDRAWAL_REJECTED if withdrawal else bank.DEPOSIT_FAILED
        reason = answer.reason.strip()[: limits.BANK_REASON_CHARS_MAX] or "refused by the bank"
        body = bank.refused_body(rid, reason, withdrawal=withdrawal, via=bank.VIA_GATEWAY)
        if answer.bank_ref:
            body["bank_ref"] = answer.bank_ref
    return Command(kind, body, bank.outcome_cmd_id(rid))


def outbox_rows(
    pending: Sequence[Mapping[str, Any]], attempts: Mapping[str, Attempt]
) -> list[OutboxRow]:
    """The foreman's view: every pending request with this node's attempts."""
    rows: list[OutboxRow] = []
    for row in pending:
        attempt = attempts.get(str(row["request_id"]))
        tried = attempt.attempts if attempt else 0
        rows.append(
            OutboxRow(
                request_id=str(row["request_id"]),
                direction=str(row["direction"]),
                member_id=str(row["member_id"]),
                amount_paise=int(row["amount_paise"]),
                requested_ms=int(row["requested_ms"]),
                attempts=tried,
                next_attempt_ms=attempt.next_attempt_ms if attempt else 0,
                last_error=attempt.last_error if attempt else "",
                stuck=tried >= limits.BANK_STUCK_AFTER_ATTEMPTS,
            )
        )
    return rows


def stale_ids(attempts: Mapping[str, Attempt], pending_ids: Iterable[str]) -> list[str]:
    """Attempt records whose request is no longer pending (closed here or elsewhere)."""
    return sorted(set(attempts) - set(pending_ids))
