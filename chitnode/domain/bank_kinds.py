"""Bank deposits and withdrawals (issue 4, part 2): requests that wait for a bank.

A request is recorded at once as `pending` and closed later by exactly one
outcome entry, written by the bank worker when the bank answers (`via:
"gateway"`) or by staff who enter the bank's reference (`via: "manual"`).
docs/bank.md describes the flow; `chitnode/services/bank_outbox.py` plans the retries.

Kinds:
- `bank.deposit_requested` (free; staff): a deposit is on its way; no money moves.
- `bank.deposit_settled` (free; staff): the bank confirmed it, with its reference:
  `ext:bank -> wallet:<member_id>`. A credit, so free (DESIGN.md, Consistency).
- `bank.deposit_failed` (free; staff): the bank refused it; no money moves.
- `bank.withdrawal_requested` (coordinated, scope `treasury`): a debit. Reserves
  the amount at once: `wallet:<member_id> -> hold:<request_id>`, so the same money
  cannot also be transferred or withdrawn while the bank is away.
- `bank.withdrawal_settled` (coordinated): the bank paid out: `hold:<id> -> ext:bank`.
- `bank.withdrawal_rejected` (coordinated): the bank refused it (or staff cancel
  it): `hold:<id> -> wallet:<member_id>`, the reservation is released.

Exactly once: the request id is the idempotency key. The fold closes a request
once; a second outcome, from any node or person, is refused `already_settled`
(after a settlement) or `request_closed` (after a failure or rejection) and
changes nothing. The bank worker submits an outcome with
`cmd_id=outcome_cmd_id(request_id)` and a request with `request_cmd_id(request_id)`,
so its command retried after a crash answers "already done" (G3). The bodies
carry no `cmd_id`: the request id already makes the fold refuse a second
outcome, with the codes above, whoever writes it.

Codes: `bad_body`, `bad_request_id`, `bad_member_id`, `unknown_member`,
`not_integer_paise`, `non_positive_amount`, `amount_above_limit`,
`request_exists`, `unknown_request`, `wrong_direction`, `already_settled`,
`request_closed`, `bad_bank_ref`, `bad_via`, `note_required` (empty reason),
`bad_scope`, `actor_mismatch`, `insufficient_funds`; `unauthorised`,
`not_lease_holder`, `stale_term`, `duplicate_command` come from `apply.decide`.

Tables:
- `bank_requests` [request_id]: direction ("deposit" | "withdrawal"), member_id,
  amount_paise, status ("pending" | "settled" | "failed" | "rejected"),
  requested_ms, requested_by, actor, note, hold_account, and once closed:
  closed_ms, closed_by, via, bank_ref, reason, outcome_note.
- `bank_pending` [requested_ms (15 digits)|request_id]: request_id, direction; one
  row per open request, so the outbox reads the open ones only.
Accounts: `ext:bank` (the branch's bank, a contra account), `wallet:<member_id>`
(shared with `wallet_kinds`, whose history rows these kinds also write),
`hold:<request_id>` (funds reserved for one withdrawal; zero once it is closed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import limits
from chitnode.domain import wallet_kinds as wallet
from chitnode.domain.chit_kinds_base import need
from chitnode.domain.kinds import MANAGERS, STAFF, kind
from chitnode.domain.money import require_paise
from chitnode.domain.state import Change, Delete, Put, State
from chitnode.log.entry import Entry

DEPOSIT_REQUESTED = "bank.deposit_requested"
DEPOSIT_SETTLED = "bank.deposit_settled"
DEPOSIT_FAILED = "bank.deposit_failed"
WITHDRAWAL_REQUESTED = "bank.withdrawal_requested"
WITHDRAWAL_SETTLED = "bank.withdrawal_settled"
WITHDRAWAL_REJECTED = "bank.withdrawal_rejected"

REQUESTS = "bank_requests"
PENDING_TABLE = "bank_pending"
BANK_ACCOUNT = "ext:bank"
HOLD_PREFIX = "hold:"
TREASURY = wallet.TREASURY

DEPOSIT = "deposit"
WITHDRAWAL = "withdrawal"
PENDING = "pending"
SETTLED = "settled"
FAILED = "failed"  # a deposit the bank refused
REJECTED = "rejected"  # a withdrawal the bank refused; its hold is released
VIA_GATEWAY = "gateway"
VIA_MANUAL = "manual"
VIAS = (VIA_GATEWAY, VIA_MANUAL)

REQUEST_ID_RE = base.ID_RE  # 1-40 letters, digits, '.', '_' or '-': a short idempotency key
BANK_REF_RE = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9/._:-]{{0,{limits.REF_CHARS_MAX - 1}}}$")
REQUEST_CMD_PREFIX = "bank-request:"  # + request id
# The outcome of a request is idempotent through this command id, so it must fit one.
assert len(REQUEST_CMD_PREFIX) + limits.ID_CHARS_MAX <= limits.CMD_ID_BYTES_MAX, "id fits"
OUTCOME_CMD_PREFIX = "bank-outcome:"

REQUEST_OPTIONAL = ("note",)
OUTCOME_OPTIONAL = ("note",)


def hold_account(request_id: str) -> str:
    return HOLD_PREFIX + request_id


def request_cmd_id(request_id: str) -> str:
    """The command id of recording a request: a retried submit is "already done" (G3)."""
    return REQUEST_CMD_PREFIX + request_id


def outcome_cmd_id(request_id: str) -> str:
    """The one command id of a request's outcome, whoever writes it (G3)."""
    return OUTCOME_CMD_PREFIX + request_id


# --- bodies (pure builders) --------------------------------------------------------------


def _scoped(body: dict[str, Any], withdrawal: bool) -> dict[str, Any]:
    """A withdrawal's entries are debits: coordinated, in the treasury scope."""
    return {**body, "scope": TREASURY} if withdrawal else body


def request_body(
    request_id: str, member_id: str, amount_paise: int, *, withdrawal: bool, note: str = ""
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "request_id": request_id,
        "member_id": member_id,
        "amount_paise": amount_paise,
    }
    if withdrawal:  # the member asks for the debit (check_on_behalf)
        body["actor"] = member_id
    if note:
        body["note"] = note
    return _scoped(body, withdrawal)


def settled_body(
    request_id: str, bank_ref: str, *, withdrawal: bool, via: str = VIA_MANUAL
) -> dict[str, Any]:
    return _scoped({"request_id": request_id, "bank_ref": bank_ref, "via": via}, withdrawal)


def refused_body(
    request_id: str, reason: str, *, withdrawal: bool, via: str = VIA_MANUAL
) -> dict[str, Any]:
    return _scoped({"request_id": request_id, "reason": reason, "via": via}, withdrawal)


# --- checks --------------------------------------------------------------------------


def _request_id(body: Mapping[str, Any]) -> str:
    value = body.get("request_id")
    ok = isinstance(value, str) and REQUEST_ID_RE.match(value) is not None
    need(ok, "bad_request_id", "request_id: 1-40 letters, digits, '.', '_' or '-'")
    return str(value)


def _amount(body: Mapping[str, Any]) -> int:
    amount = require_paise(body.get("amount_paise"), field="amount_paise")
    need(
        amount <= limits.BANK_REQUEST_AMOUNT_PAISE_MAX,
        "amount_above_limit",
        "above the per-request limit",
    )
    return amount


def _bank_ref(body: Mapping[str, Any], *, required: bool) -> str:
    value = body.get("bank_ref", "")
    if not required and value == "":
        return ""
    ok = isinstance(value, str) and BANK_REF_RE.match(value) is not None
    need(ok, "bad_bank_ref", "bank_ref: 1-64 letters, digits or / . _ : -")
    return str(value)


def _via(body: Mapping[str, Any]) -> str:
    value = body.get("via")
    need(value in VIAS, "bad_via", f"via must be one of {VIAS}")
    return str(value)


def _treasury(body: Mapping[str, Any]) -> None:
    need(body.get("scope") == TREASURY, "bad_scope", f"withdrawals use scope {TREASURY!r}")


def _new_request(state: State, entry: Entry, direction: str) -> dict[str, Any]:
    """The pending row of a new request: fresh id, known member, positive bounded amount."""
    coordinated = ("scope", "term") if direction == WITHDRAWAL else ()
    required = ("request_id", "member_id", "amount_paise", *coordinated)
    body = base.body_of(entry, required, REQUEST_OPTIONAL)
    if coordinated:
        _treasury(body)
    request_id = _request_id(body)
    amount = _amount(body)
    member_id = base.member_id_of(body)
    base.member_row(state, member_id)  # unknown_member
    if direction == WITHDRAWAL:  # a debit is the member's act (issue 14, point 1)
        base.check_on_behalf(state, entry, member_id)
    else:  # a deposit is the bank's news: an actor is recorded when given
        base.check_actor(body, member_id)
    need(state.get(REQUESTS, request_id) is None, "request_exists", f"request {request_id} exists")
    actor = body.get("actor")
    return {
        "request_id": request_id,
        "direction": direction,
        "member_id": member_id,
        "amount_paise": amount,
        "status": PENDING,
        "requested_ms": entry.ts,
        "requested_by": entry.author,
        "actor": actor if isinstance(actor, str) else "",
        "note": base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX),
        "hold_account": hold_account(request_id) if direction == WITHDRAWAL else "",
        "closed_ms": None,
        "closed_by": "",
        "via": "",
        "bank_ref": "",
        "reason": "",
    }


def _open_request(
    state: State, entry: Entry, direction: str, *, settled: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(body, request row) of an outcome entry, refused unless the request is still pending."""
    answer = ("bank_ref",) if settled else ("reason",)
    coordinated = ("scope", "term") if direction == WITHDRAWAL else ()
    optional = (*OUTCOME_OPTIONAL, *(() if settled else ("bank_ref",)))
    body = base.body_of(entry, ("request_id", "via", *answer, *coordinated), optional)
    if coordinated:
        _treasury(body)
    request_id = _request_id(body)
    row = state.get(REQUESTS, request_id)
    need(row is not None, "unknown_request", f"no bank request {request_id}")
    assert row is not None
    need(row["direction"] == direction, "wrong_direction", f"{request_id} is a {row['direction']}")
    need(row["status"] != SETTLED, "already_settled", f"{request_id} is already settled")
    need(row["status"] == PENDING, "request_closed", f"{request_id} is already {row['status']}")
    return body, row


def _closed(
    row: dict[str, Any], entry: Entry, body: Mapping[str, Any], status: str
) -> list[Change]:
    """The request row closed with `status`, and its pointer gone from `bank_pending`."""
    return [_closed_row(row, entry, body, status), Delete(PENDING_TABLE, pending_key(row))]


def _closed_row(row: dict[str, Any], entry: Entry, body: Mapping[str, Any], status: str) -> Put:
    reason = "" if status == SETTLED else base.text(body, "reason", max_chars=limits.NOTE_CHARS_MAX)
    need(status == SETTLED or bool(reason.strip()), "note_required", "give the bank's reason")
    closed = {
        **row,
        "status": status,
        "closed_ms": entry.ts,
        "closed_by": entry.author,
        "via": _via(body),
        "bank_ref": _bank_ref(body, required=status == SETTLED),
        "reason": reason,
    }
    closed["outcome_note"] = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX)
    return Put(REQUESTS, str(row["request_id"]), closed)


def pending_key(row: Mapping[str, Any]) -> str:
    """`bank_pending` key: sorts oldest first, so the outbox reads only open requests."""
    return f"{int(row['requested_ms']):015d}|{row['request_id']}"


def _opened(row: dict[str, Any]) -> list[Change]:
    pointer = {"request_id": row["request_id"], "direction": row["direction"]}
    return [Put(REQUESTS, row["request_id"], row), Put(PENDING_TABLE, pending_key(row), pointer)]


# --- deposits ----------------------------------------------------------------------------


@kind(DEPOSIT_REQUESTED, STAFF, summary="Records a bank deposit as pending; no money moves yet.")
def deposit_requested(state: State, entry: Entry) -> list[Change]:
    return _opened(_new_request(state, entry, DEPOSIT))


@kind(DEPOSIT_SETTLED, STAFF, summary="The bank confirmed a deposit: credits the wallet once.")
def deposit_settled(state: State, entry: Entry) -> list[Change]:
    body, row = _open_request(state, entry, DEPOSIT, settled=True)
    closed = _closed(row, entry, body, SETTLED)
    member_id, amount = str(row["member_id"]), int(row["amount_paise"])
    bank_ref = _bank_ref(body, required=True)
    return [
        *closed,
        *wallet.wallet_move(state, member_id, entry, BANK_ACCOUNT, amount, bank_ref=bank_ref),
    ]


@kind(DEPOSIT_FAILED, STAFF, summary="The bank refused a deposit; no money moves.")
def deposit_failed(state: State, entry: Entry) -> list[Change]:
    body, row = _open_request(state, entry, DEPOSIT, settled=False)
    return _closed(row, entry, body, FAILED)


# --- withdrawals (debits: coordinated, scope treasury) --------------------------------------


@kind(
    WITHDRAWAL_REQUESTED,
    MANAGERS,
    coordinated=True,
    summary="Reserves a wallet's funds for a bank withdrawal (pending).",
)
def withdrawal_requested(state: State, entry: Entry) -> list[Change]:
    row = _new_request(state, entry, WITHDRAWAL)
    member_id, amount = str(row["member_id"]), int(row["amount_paise"])
    wallet.require_funds(state, member_id, amount, "withdrawal")  # insufficient_funds, with figures
    hold, note = str(row["hold_account"]), "reserved for a bank withdrawal"
    return [*_opened(row), *wallet.wallet_move(state, member_id, entry, hold, -amount, note=note)]


@kind(
    WITHDRAWAL_SETTLED,
    MANAGERS,
    coordinated=True,
    summary="The bank paid a withdrawal out: the reserved funds leave the branch.",
)
def withdrawal_settled(state: State, entry: Entry) -> list[Change]:
    body, row = _open_request(state, entry, WITHDRAWAL, settled=True)
    closed = _closed(row, entry, body, SETTLED)
    return [*closed, *base.transfer(row["hold_account"], BANK_ACCOUNT, int(row["amount_paise"]))]


@kind(
    WITHDRAWAL_REJECTED,
    MANAGERS,
    coordinated=True,
    summary="The bank refused a withdrawal: releases the reserved funds to the wallet.",
)
def withdrawal_rejected(state: State, entry: Entry) -> list[Change]:
    body, row = _open_request(state, entry, WITHDRAWAL, settled=False)
    closed = _closed(row, entry, body, REJECTED)
    member_id, amount = str(row["member_id"]), int(row["amount_paise"])
    hold, note = str(row["hold_account"]), "withdrawal released"
    return [*closed, *wallet.wallet_move(state, member_id, entry, hold, amount, note=note)]


# --- reads ---------------------------------------------------------------------------------


def pending_requests(state: State, limit: int | None = None) -> list[dict[str, Any]]:
    """Requests still waiting for the bank, oldest first, at most `limit` (the durable outbox)."""
    pointers = state.rows(PENDING_TABLE)
    rows: list[dict[str, Any]] = []
    for key in sorted(pointers):
        if limit is not None and len(rows) >= limit:
            break
        row = state.get(REQUESTS, str(pointers[key]["request_id"]))
        assert row is not None and row["status"] == PENDING, key  # the pointer is kept in step
        rows.append(row)
    return rows
