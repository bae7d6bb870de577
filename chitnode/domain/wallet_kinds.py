"""Member wallets (issue 4, part 1): cash in, P2P transfers, cash out.

Every reducer is pure, `(state, entry) -> changes` (DESIGN.md), and refuses bad
input with a stable code and no change (G9). Money is int paise and moves only
as Posting legs that sum to zero (G1); `State.apply` refuses any wallet going
below zero (G2), and the reducers check the balance first so the refusal says
how much the wallet holds.

Kinds:
- `wallet.deposited_cash` (free; staff): cash or UPI received at the counter,
  `ext:cash -> wallet:<member_id>`. Needs a `bank_ref` or a `note`.
- `wallet.transferred` (coordinated, scope `treasury`): a P2P transfer, both
  legs `wallet:<from> -> wallet:<to>` in one entry, so both or neither apply.
  A debit, hence coordinated (DESIGN.md, Consistency): written by the node that
  holds the treasury lease, on behalf of the sender, who is recorded as `actor`.
- `wallet.withdrawn_cash` (coordinated, scope `treasury`): cash handed out,
  `wallet:<member_id> -> ext:cash`. Needs a `bank_ref` or a `note`.

Coordinated kinds are listed for admin and foreman only: only those roles can
hold a lease (`lease.granted`), so an employee's or member's device could never
write one validly anyway. A member acts through such a node (`actor`).

Every wallet body carries `cmd_id` (required): with it the fold refuses a
second entry of one command that reached another node (`duplicate_command`,
`apply.decide`), on top of the node-local `Node.submit(..., cmd_id=...)` retry
answer (G3). `*_body` below build bodies; the caller passes the id in.

Codes: `non_positive_amount`, `not_integer_paise` (a float never gets this far:
the canonical JSON layer refuses it as `bad_format`), `self_transfer`,
`unknown_member`, `insufficient_funds`, `actor_mismatch`, `note_required`,
`amount_above_limit` (over `limits.WALLET_AMOUNT_PAISE_MAX`, ₹1 crore per entry),
`bad_scope`, `bad_body`, `bad_member_id`; `author_frozen`, `device_revoked`,
`unauthorised`, `not_lease_holder`, `stale_term` and `duplicate_command` come
from `apply.decide` before the reducer runs.

Tables:
- `wallets` [member_id]: moves (count), in_paise, out_paise (lifetime totals)
- `wallet_moves` [member_id|nnnnnnnnnn]: one row per entry touching the wallet,
  numbered from 1: hash, kind, amount_paise (signed), balance_after_paise,
  counterparty ("" or a member id), ts_ms, author, actor, bank_ref, note
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import limits
from chitnode.domain.chit_kinds_base import need
from chitnode.domain.kinds import MANAGERS, STAFF, kind
from chitnode.domain.money import format_inr, require_paise
from chitnode.domain.state import Change, Put, State
from chitnode.errors import RuleViolation
from chitnode.log.entry import Entry

DEPOSITED = "wallet.deposited_cash"
TRANSFERRED = "wallet.transferred"
WITHDRAWN = "wallet.withdrawn_cash"
WALLET_KINDS = frozenset({DEPOSITED, TRANSFERRED, WITHDRAWN})

WALLETS = "wallets"
WALLET_MOVES = "wallet_moves"
WALLET_PREFIX = "wallet:"
TREASURY = "treasury"
MOVE_NO_DIGITS = 10  # keys sort as numbers up to 10^10 moves per wallet


def wallet_account(member_id: str) -> str:
    return WALLET_PREFIX + member_id


def move_key(member_id: str, number: int) -> str:
    return f"{member_id}|{number:0{MOVE_NO_DIGITS}d}"


# --- bodies (pure builders; the caller supplies the command id) ------------------------


def deposit_body(
    member_id: str, amount_paise: int, cmd_id: str, *, bank_ref: str = "", note: str = ""
) -> dict[str, Any]:
    body: dict[str, Any] = {"member_id": member_id, "amount_paise": amount_paise, "cmd_id": cmd_id}
    return _with_reference(body, bank_ref, note)


def transfer_body(
    from_member_id: str, to_member_id: str, amount_paise: int, cmd_id: str, *, note: str = ""
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "from_member_id": from_member_id,
        "to_member_id": to_member_id,
        "amount_paise": amount_paise,
        "actor": from_member_id,
        "cmd_id": cmd_id,
        "scope": TREASURY,
    }
    if note:
        body["note"] = note
    return body


def withdraw_body(
    member_id: str, amount_paise: int, cmd_id: str, *, bank_ref: str = "", note: str = ""
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "member_id": member_id,
        "amount_paise": amount_paise,
        "cmd_id": cmd_id,
        "scope": TREASURY,
        "actor": member_id,  # handed to the member, who asked (check_on_behalf)
    }
    return _with_reference(body, bank_ref, note)


def _with_reference(body: dict[str, Any], bank_ref: str, note: str) -> dict[str, Any]:
    if bank_ref:
        body["bank_ref"] = bank_ref
    if note:
        body["note"] = note
    return body


# --- checks ---------------------------------------------------------------------------


def _amount(body: Mapping[str, Any]) -> int:
    amount = require_paise(body["amount_paise"], field="amount_paise")
    need(
        amount <= limits.WALLET_AMOUNT_PAISE_MAX,
        "amount_above_limit",
        f"at most {format_inr(limits.WALLET_AMOUNT_PAISE_MAX)}",
    )
    return amount


def _reference(body: Mapping[str, Any]) -> tuple[str, str]:
    """(bank_ref, note): cash moved at a counter must be traceable by one or the other."""
    bank_ref = base.text(body, "bank_ref", max_chars=limits.REF_CHARS_MAX)
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX)
    need(bool(bank_ref.strip() or note.strip()), "note_required", "give a bank_ref or a note")
    return bank_ref, note


def _treasury(body: Mapping[str, Any]) -> None:
    need(body.get("scope") == TREASURY, "bad_scope", f"wallet debits use scope {TREASURY!r}")


def _member(state: State, body: Mapping[str, Any], field: str) -> str:
    member_id = base.member_id_of(body, field)
    base.member_row(state, member_id)  # unknown_member
    return member_id


def require_funds(state: State, member_id: str, amount_paise: int, what: str) -> None:
    """Refuse an overdraft here, with the figures, before State.apply would (G2)."""
    held = state.balance(wallet_account(member_id))
    if held < amount_paise:
        raise RuleViolation(
            f"{what} of {format_inr(amount_paise)} refused: the wallet of {member_id} "
            f"holds {format_inr(held)}",
            code="insufficient_funds",
        )


def move_funds(
    state: State,
    member_id: str,
    entry: Entry,
    delta_paise: int,
    *,
    counterparty: str = "",
    bank_ref: str = "",
    note: str = "",
) -> list[Change]:
    """The wallet's history row and running totals for one entry touching it."""
    wallet = state.get(WALLETS, member_id) or {"moves": 0, "in_paise": 0, "out_paise": 0}
    number = int(wallet["moves"]) + 1
    totals = {
        "moves": number,
        "in_paise": int(wallet["in_paise"]) + max(delta_paise, 0),
        "out_paise": int(wallet["out_paise"]) + max(-delta_paise, 0),
    }
    actor = entry.body.get("actor")
    row = {
        "hash": entry.hash,
        "kind": entry.kind,
        "amount_paise": delta_paise,
        "balance_after_paise": state.balance(wallet_account(member_id)) + delta_paise,
        "counterparty": counterparty,
        "ts_ms": entry.ts,
        "author": entry.author,
        "actor": actor if isinstance(actor, str) else "",
        "bank_ref": bank_ref,
        "note": note,
    }
    return [Put(WALLETS, member_id, totals), Put(WALLET_MOVES, move_key(member_id, number), row)]


def wallet_move(
    state: State,
    member_id: str,
    entry: Entry,
    other_account: str,
    delta_paise: int,
    *,
    bank_ref: str = "",
    note: str = "",
) -> list[Change]:
    """Money between a wallet and one other account (+ in, - out): the postings and the
    wallet's history row from one figure, so the two can never disagree."""
    wallet = wallet_account(member_id)
    if delta_paise >= 0:
        legs = base.transfer(other_account, wallet, delta_paise)
    else:
        legs = base.transfer(wallet, other_account, -delta_paise)
    history = move_funds(state, member_id, entry, delta_paise, bank_ref=bank_ref, note=note)
    return [*history, *legs]


# --- kinds ----------------------------------------------------------------------------


@kind(DEPOSITED, STAFF, summary="Records cash or UPI received into a member's wallet.")
def wallet_deposited_cash(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("member_id", "amount_paise", "cmd_id"), ("bank_ref", "note"))
    amount = _amount(body)
    member_id = _member(state, body, "member_id")
    base.check_actor(body, member_id)
    bank_ref, note = _reference(body)
    return wallet_move(
        state, member_id, entry, base.CASH_ACCOUNT, amount, bank_ref=bank_ref, note=note
    )


@kind(
    TRANSFERRED,
    MANAGERS,
    coordinated=True,
    summary="Moves money between two members' wallets (P2P): both legs in one entry.",
)
def wallet_transferred(state: State, entry: Entry) -> list[Change]:
    required = ("from_member_id", "to_member_id", "amount_paise", "actor", "cmd_id")
    body = base.body_of(entry, (*required, "scope", "term"), ("note",))
    _treasury(body)
    amount = _amount(body)
    source = base.member_id_of(body, "from_member_id")
    target = base.member_id_of(body, "to_member_id")
    need(source != target, "self_transfer", "a member cannot transfer to their own wallet")
    _member(state, body, "from_member_id")
    _member(state, body, "to_member_id")
    need(body["actor"] == source, "actor_mismatch", "a transfer is the sender's act")
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX)
    require_funds(state, source, amount, "transfer")
    return [
        *move_funds(state, source, entry, -amount, counterparty=target, note=note),
        *move_funds(state, target, entry, amount, counterparty=source, note=note),
        *base.transfer(wallet_account(source), wallet_account(target), amount),
    ]


@kind(
    WITHDRAWN,
    MANAGERS,
    coordinated=True,
    summary="Hands cash out of a member's wallet.",
)
def wallet_withdrawn_cash(state: State, entry: Entry) -> list[Change]:
    required = ("member_id", "amount_paise", "cmd_id", "scope", "term")
    body = base.body_of(entry, required, ("bank_ref", "note"))
    _treasury(body)
    amount = _amount(body)
    member_id = _member(state, body, "member_id")
    base.check_on_behalf(state, entry, member_id)  # cash out is the member's act (issue 14)
    bank_ref, note = _reference(body)
    require_funds(state, member_id, amount, "withdrawal")
    return wallet_move(
        state, member_id, entry, base.CASH_ACCOUNT, -amount, bank_ref=bank_ref, note=note
    )
