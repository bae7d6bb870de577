"""The member's wallet: balance, history, transfers to other members, bank requests.

A transfer is shown on a confirmation screen before it is sent (UX.md rule 2: who,
how much, the balance after, the amount typed again). Its command id is made once,
when that screen opens, and travels in the body (the fold refuses a second entry of
one command, `duplicate_command`) and to `Node.submit` (a retried submit is answered
"already done"), so a transfer sent twice moves money once.

Bank deposits and withdrawals are requests that wait for the bank (bank_kinds): each
is shown with its state until it settles; a request the bank worker could not get
through is "queued" (the bank is unreachable; the worker retries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chitnode.domain import bank_kinds as bank
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import limits as domain_limits
from chitnode.domain import wallet_kinds, wallet_views
from chitnode.domain.money import format_inr, require_paise
from chitnode.domain.state import State
from chitnode.errors import ChitError, RuleViolation
from ui import fmt, limits
from ui.backend import Reading
from ui.vm.member import member_name
from ui.vm.passbook import short

QUEUED = "queued"  # a pending request the bank worker could not deliver yet


@dataclass(frozen=True, slots=True)
class Move:
    kind: str  # the entry's kind (wallet.transferred, bank.deposit_settled, ...)
    ts_ms: int
    amount_paise: int  # signed: + in, - out
    balance_after_paise: int
    counterparty: str  # the other member of a transfer, else ""
    counterparty_name: str
    reference: str  # the bank's reference, else the entry's hash (cut)
    note: str


@dataclass(frozen=True, slots=True)
class Request:
    request_id: str
    direction: str  # deposit | withdrawal
    amount_paise: int
    status: str  # pending | queued | settled | failed | rejected
    chip: str  # a theme.STATUS_LOOKS name
    requested_ms: int
    closed_ms: int  # 0 while open
    bank_ref: str
    reason: str  # the bank's reason for a refusal


@dataclass(frozen=True, slots=True)
class Wallet:
    member_id: str
    name: str
    balance_paise: int
    moves: tuple[Move, ...]  # newest first, one page
    requests: tuple[Request, ...]  # open ones first, then newest first


def _move(state: State, move: wallet_views.WalletMove) -> Move:
    other = move.counterparty
    name = str((state.get(base.MEMBERS, other) or {}).get("name", "")) if other else ""
    return Move(
        kind=move.kind,
        ts_ms=move.ts_ms,
        amount_paise=move.amount_paise,
        balance_after_paise=move.balance_after_paise,
        counterparty=other,
        counterparty_name=name,
        reference=move.bank_ref or short(move.hash),
        note=move.note,
    )


def _request(row: Mapping[str, Any], undelivered: Mapping[str, str]) -> Request:
    status = str(row["status"])
    if status == bank.PENDING and str(row["request_id"]) in undelivered:
        status = QUEUED
    chip = {bank.SETTLED: "settled", bank.FAILED: "failed", bank.REJECTED: "failed"}
    return Request(
        request_id=str(row["request_id"]),
        direction=str(row["direction"]),
        amount_paise=int(row["amount_paise"]),
        status=status,
        chip=chip.get(status, "pending"),
        requested_ms=int(row["requested_ms"]),
        closed_ms=int(row["closed_ms"] or 0),
        bank_ref=str(row["bank_ref"]),
        reason=str(row["reason"]),
    )


def build_wallet(
    r: Reading, member_id: str, undelivered: Mapping[str, str] | None = None
) -> Wallet:
    """The wallet of `member_id`; `undelivered` maps the ids of requests the bank worker
    tried and could not deliver to its last error (node-local: the bank outbox table)."""
    state = r.state
    name = member_name(state, member_id)
    page = wallet_views.history(state, member_id, limit=limits.WALLET_MOVES_SHOWN)
    rows = [row for row in state.rows(bank.REQUESTS).values() if row["member_id"] == member_id]
    requests = sorted(
        (_request(row, undelivered or {}) for row in rows),
        key=lambda q: (q.closed_ms != 0, -q.requested_ms, q.request_id),
    )
    return Wallet(
        member_id=member_id,
        name=name,
        balance_paise=wallet_views.balance_paise(state, member_id),
        moves=tuple(_move(state, m) for m in page.moves),
        requests=tuple(requests[: limits.BANK_REQUESTS_SHOWN]),
    )


# --- sending money: the confirmation screen and the command ----------------------------------


@dataclass(frozen=True, slots=True)
class TransferPreview:
    """What the confirmation screen names before money leaves the wallet."""

    from_member_id: str
    to_member_id: str
    to_name: str
    amount_paise: int
    balance_paise: int
    balance_after_paise: int


def _amount(amount_paise: int) -> int:
    amount = require_paise(amount_paise, field="amount_paise")
    if amount > domain_limits.WALLET_AMOUNT_PAISE_MAX:
        top = format_inr(domain_limits.WALLET_AMOUNT_PAISE_MAX)
        raise RuleViolation(f"at most {top}", code="amount_above_limit")
    return amount


def transfer_preview(
    r: Reading, member_id: str, to_member_id: str, amount_paise: int
) -> TransferPreview:
    """The transfer as the kernel would take it now, or its refusal with the kernel's code."""
    state = r.state
    amount = _amount(amount_paise)
    target = to_member_id.strip().upper()
    if target == member_id:
        raise RuleViolation("a member cannot send money to themselves", code="self_transfer")
    to_name = member_name(state, target)  # unknown_member
    balance = wallet_views.balance_paise(state, member_id)
    wallet_kinds.require_funds(state, member_id, amount, "transfer")  # insufficient_funds
    return TransferPreview(member_id, target, to_name, amount, balance, balance - amount)


def transfer_command(preview: TransferPreview, cmd_id: str) -> tuple[str, dict[str, Any], str]:
    """(kind, body, cmd_id): the same id in the body and for Node.submit (exactly once)."""
    body = wallet_kinds.transfer_body(
        preview.from_member_id, preview.to_member_id, preview.amount_paise, cmd_id
    )
    return wallet_kinds.TRANSFERRED, body, cmd_id


@dataclass(frozen=True, slots=True)
class BankPreview:
    member_id: str
    request_id: str
    withdrawal: bool
    amount_paise: int
    balance_paise: int
    balance_after_paise: int  # a withdrawal reserves the money at once; a deposit adds later


def bank_preview(
    r: Reading, member_id: str, request_id: str, amount_paise: int, *, withdrawal: bool
) -> BankPreview:
    state = r.state
    amount = _amount(amount_paise)
    if amount > domain_limits.BANK_REQUEST_AMOUNT_PAISE_MAX:
        top = format_inr(domain_limits.BANK_REQUEST_AMOUNT_PAISE_MAX)
        raise RuleViolation(f"at most {top}", code="amount_above_limit")
    balance = wallet_views.balance_paise(state, member_id)
    if withdrawal:
        wallet_kinds.require_funds(state, member_id, amount, "withdrawal")
    after = balance - amount if withdrawal else balance + amount
    return BankPreview(member_id, request_id, withdrawal, amount, balance, after)


def bank_command(preview: BankPreview) -> tuple[str, dict[str, Any], str]:
    """(kind, body, cmd_id) of a bank request; its id is the idempotency key (bank_kinds)."""
    kind = bank.WITHDRAWAL_REQUESTED if preview.withdrawal else bank.DEPOSIT_REQUESTED
    body = bank.request_body(
        preview.request_id, preview.member_id, preview.amount_paise, withdrawal=preview.withdrawal
    )
    return kind, body, bank.request_cmd_id(preview.request_id)


def typed_again(text: str, amount_paise: int) -> bool:
    """UX rule 2: money going out is confirmed by typing its amount again."""
    try:
        return fmt.parse_rupees(text) == amount_paise
    except ChitError:
        return False
