"""Chit fund entry kinds (issue 3): groups, members, KYC, agreements, contributions,
recovery and close-out. Auctions, minutes, security and payouts: `chit_kinds_auction`.

Every reducer is pure, `(state, entry) -> changes`, and refuses bad input with a
stable code (`RuleViolation.code`) and no change (G9). Money is int paise and
moves only as Posting legs that sum to zero (G1); tables and accounts are
listed in `chit_kinds_base`. Importing this module registers every chit kind.

KYC fields in the log are masked (PAN `XXXXX1234X`, account `XXXXXXXX4321`,
phone `XXXXXX3210`): the log travels. The full values may ride along only as
`sealed`, a SecretBox ciphertext under the branch staff key (DESIGN.md, Security;
`chitnode/services/kyc_vault.py`, docs/privacy.md). Reducers hold no key: they check that
`sealed` is bounded lowercase hex and store it, never open it.
"""

from __future__ import annotations

import re
from typing import Any

from chitnode.domain import (
    chit_kinds_auction,  # registers the auction kinds; its auction_terms shape new groups
    limits,
    member_keys,
)
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import defaults as defaulters
from chitnode.domain import recovery as fsm
from chitnode.domain.chit_kinds_base import need
from chitnode.domain.chit_rules import (
    BID_INCREMENT_V1_PAISE,
    BPS_PER_WHOLE,
    CommissionMode,
    DividendTo,
    FirstMonth,
    GroupTerms,
    net_instalment_paise,
    validate_terms,
)
from chitnode.domain.kinds import ADMIN, MANAGERS, STAFF, kind
from chitnode.domain.limits import GRACE_DAYS_DEFAULT, KYC_SEALED_BYTES_MAX, KYC_SEALED_BYTES_MIN
from chitnode.domain.loan_views import INTEREST_TO, group_interest_account, interest_shares
from chitnode.domain.money import require_paise
from chitnode.domain.state import Change, Put, State
from chitnode.log.entry import Entry

SIGNERS = STAFF | {"member"}  # a member signs from a phone through a node, or its own device

PAN_MASKED_RE = re.compile(r"^X{5}[0-9]{4}[A-Z]$")
ACCOUNT_MASKED_RE = re.compile(r"^X{4,14}[0-9]{4}$")
PHONE_MASKED_RE = re.compile(r"^(\+91)?X{6}[0-9]{4}$")
SEALED_HEX_RE = re.compile(r"^(?:[0-9a-f]{2})+$")

GROUP_REQUIRED = (
    "chit_value_paise",
    "commission_bps",
    "group_id",
    "max_discount_bps",
    "months",
    "name",
    "tickets",
)
GROUP_OPTIONAL = (
    "amended_2019",
    "min_discount_paise",
    "bid_increment_paise",
    "dividend_to",
    "commission_mode",
    "first_month",
    "foreman_ticket",
    "penalty_interest_bps",  # defaulters' terms: see _default_terms
    "defaulter_deduction_bps",
    "meeting_day",
    "grace_days",
    "bid_arrears_max_paise",
    "loan_backing_bps",  # s.14 loans of the group's money: see _loan_terms
    "loan_interest_to",
    "consent",  # "signed.v1": members consent only by their own signature (member_keys)
)
GROUP_DEFAULTS = GroupTerms(chit_value_paise=1, tickets=1)


# --- groups -------------------------------------------------------------------------


def _variant(body: dict[str, Any], field: str, allowed: type[Any], default: str) -> str:
    value = body.get(field, default)
    need(value in {v.value for v in allowed}, "bad_variant", f"{field}: unknown {value!r}")
    return str(value)


def _group_terms(body: dict[str, Any], auction: dict[str, Any]) -> dict[str, Any]:
    """The money terms of a group.created body, checked by chit_rules.validate_terms;
    `auction`: the terms the branch's rules add (chit_kinds_auction.auction_terms)."""
    min_discount = body.get("min_discount_paise")
    if min_discount is not None:
        require_paise(min_discount, field="min_discount_paise", positive=False)
    row: dict[str, Any] = {
        "chit_value_paise": body["chit_value_paise"],
        "tickets": body["tickets"],
        "commission_bps": body["commission_bps"],
        "amended_2019": base.flag(body, "amended_2019", False),
        "max_discount_bps": body["max_discount_bps"],
        "min_discount_paise": min_discount,
        "bid_increment_paise": body.get("bid_increment_paise", BID_INCREMENT_V1_PAISE),
        "dividend_to": _variant(body, "dividend_to", DividendTo, DividendTo.ALL.value),
        "commission_mode": _variant(
            body, "commission_mode", CommissionMode, CommissionMode.FROM_DISCOUNT.value
        ),
        "first_month": _variant(body, "first_month", FirstMonth, FirstMonth.AUCTION.value),
        **auction,
    }
    need(base.is_int(row["chit_value_paise"]), "not_integer_paise", "chit_value_paise: integer")
    for field in ("tickets", "commission_bps", "max_discount_bps"):
        need(base.is_int(row[field]), "bad_body", f"{field} must be an integer")
    need(row["commission_bps"] >= 0, "negative_amount", "commission_bps must not be negative")
    need(row["max_discount_bps"] <= BPS_PER_WHOLE, "bad_max_discount", "max discount above 100%")
    validate_terms(base.terms_of(row))
    return row


def _default_terms(body: dict[str, Any]) -> dict[str, Any]:
    """Penalty interest on late instalments and the deduction from a removed defaulter's
    contributions (s.30), stored only when stated, so older agreements' hashes hold
    (docs/chit-rules.md, "Defaulters"; `defaults` reads 0 for an absent term)."""
    bounds = {
        "penalty_interest_bps": limits.PENALTY_RATE_BPS_MAX,
        "defaulter_deduction_bps": limits.DEFAULTER_DEDUCTION_BPS_MAX,
    }
    return {k: base.integer(body, k, 0, top, "bad_body") for k, top in bounds.items() if k in body}


@kind("group.created", MANAGERS, summary="Creates a chit group with its agreement terms.")
def group_created(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, GROUP_REQUIRED, GROUP_OPTIONAL)
    gid = base.group_id_of(body)
    need(state.get(base.GROUPS, gid) is None, "group_exists", f"group {gid} already exists")
    name = base.text(body, "name", max_chars=limits.NAME_CHARS_MAX, empty_ok=False)
    row = _group_terms(body, chit_kinds_auction.auction_terms(state, body))
    need(body["months"] == row["tickets"], "months_not_tickets", "months must equal tickets")
    foreman_ticket = body.get("foreman_ticket")
    if row["first_month"] == FirstMonth.FOREMAN_TICKET.value:
        foreman_ticket = base.integer(body, "foreman_ticket", 1, row["tickets"], "unknown_ticket")
    else:
        need(foreman_ticket is None, "bad_body", "foreman_ticket only with first_month")
    row.update(_default_terms(body))
    bid_arrears_max = require_paise(
        body.get("bid_arrears_max_paise", 0), field="bid_arrears_max_paise", positive=False
    )
    row.update(
        group_id=gid,
        name=name,
        months=row["tickets"],
        foreman_ticket=foreman_ticket,
        meeting_day=base.integer(body, "meeting_day", 1, 28, "bad_body", default=1),
        grace_days=base.integer(
            body,
            "grace_days",
            0,
            limits.GRACE_DAYS_MAX,
            "bad_body",
            default=GRACE_DAYS_DEFAULT,
        ),
        bid_arrears_max_paise=bid_arrears_max,
        status=base.FORMING,
        created_ms=entry.ts,
        created_by=entry.author,
        agreement_hash=None,
        started_ms=None,
        closed_ms=None,
        settled=0,
        instalments_paise=[],
        month_starts_ms=[],
        receipts=0,
        recoveries=0,
    )
    row.update(_loan_terms(body))
    row.update(member_keys.consent_term(state, body))  # stored only when signed: old hashes hold
    return [Put(base.GROUPS, gid, row)]


def _loan_terms(body: dict[str, Any]) -> dict[str, Any]:
    """The agreement's s.14 loan terms, stored only when stated (an agreement that states
    none signs the same terms hash as before; loan_views.group_loan_terms has the defaults)."""
    out: dict[str, Any] = {}
    if "loan_backing_bps" in body:
        top = limits.GROUP_LOAN_BACKING_BPS_MAX
        out["loan_backing_bps"] = base.integer(body, "loan_backing_bps", 0, top, "bad_body")
    if "loan_interest_to" in body:
        to = body["loan_interest_to"]
        need(to in INTEREST_TO, "bad_variant", f"loan_interest_to: one of {INTEREST_TO}")
        out["loan_interest_to"] = to
    return out


# --- members and KYC ----------------------------------------------------------------


@kind("member.registered", STAFF, summary="Registers a subscriber (a person) with an id.")
def member_registered(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("member_id", "name"))
    mid = base.member_id_of(body)
    need(state.get(base.MEMBERS, mid) is None, "member_exists", f"member {mid} exists")
    name = base.text(body, "name", max_chars=limits.NAME_CHARS_MAX, empty_ok=False)
    row = {"member_id": mid, "name": name, "kyc": base.KYC_NONE, "registered_ms": entry.ts}
    return [Put(base.MEMBERS, mid, row)]


@kind("member.device_linked", ADMIN, summary="Binds a member-role device to its one member.")
def member_device_linked(state: State, entry: Entry) -> list[Change]:
    """The link lives here, not in `device.enrolled`, whose body wal-v1 §5 fixes to
    key, role, name. Unlinked, a member device can write no member's act; once linked,
    only its own member's (`chit_kinds_base.check_on_behalf`)."""
    body = base.body_of(entry, ("key", "member_id"))
    key = body["key"]
    device = state.get("devices", key) if isinstance(key, str) else None
    ok = device is not None and device["status"] == "active" and device["role"] == "member"
    need(ok, "not_member_device", "only an active member-role device is linked to a member")
    mid = base.member_id_of(body)
    base.member_row(state, mid)
    need(state.get(base.DEVICE_MEMBERS, key) is None, "already_linked", "device already linked")
    row = {"member_id": mid, "linked_ms": entry.ts, "by": entry.author}
    return [Put(base.DEVICE_MEMBERS, key, row)]


def _masked(body: dict[str, Any], field: str, pattern: re.Pattern[str]) -> str:
    value = body.get(field)
    ok = isinstance(value, str) and pattern.match(value) is not None
    need(ok, "not_masked", f"{field} must be masked (only the last digits in clear)")
    return str(value)


def _sealed(body: dict[str, Any]) -> str | None:
    """The optional ciphertext of the full values: checked for shape only, never opened."""
    value = body.get("sealed")
    if value is None:
        return None
    ok = isinstance(value, str) and SEALED_HEX_RE.match(value) is not None
    ok = ok and KYC_SEALED_BYTES_MIN * 2 <= len(str(value)) <= KYC_SEALED_BYTES_MAX * 2
    need(
        ok,
        "bad_sealed",
        f"sealed: lowercase hex of {KYC_SEALED_BYTES_MIN}..{KYC_SEALED_BYTES_MAX} bytes",
    )
    return str(value)


@kind("kyc.submitted", STAFF, summary="Records KYC: masked PAN, account, phone (full ones sealed).")
def kyc_submitted(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(
        entry, ("member_id", "name", "pan", "bank_account", "phone"), ("ifsc", "sealed")
    )
    mid = base.member_id_of(body)
    member = base.member_row(state, mid)
    need(member["kyc"] != base.KYC_APPROVED, "kyc_already_approved", "KYC already approved")
    ifsc = body.get("ifsc", "")
    need(isinstance(ifsc, str) and len(ifsc) <= 11, "bad_body", "ifsc: at most 11 characters")
    row = {
        **member,
        "kyc": base.KYC_SUBMITTED,
        "kyc_name": base.text(body, "name", max_chars=limits.NAME_CHARS_MAX, empty_ok=False),
        "pan_masked": _masked(body, "pan", PAN_MASKED_RE),
        "bank_account_masked": _masked(body, "bank_account", ACCOUNT_MASKED_RE),
        "phone_masked": _masked(body, "phone", PHONE_MASKED_RE),
        "ifsc": ifsc,
        "kyc_submitted_ms": entry.ts,
        "kyc_reason": "",
    }
    sealed = _sealed(body)
    row.pop("kyc_sealed", None)  # a resubmission without full values drops the old ones
    if sealed is not None:
        row["kyc_sealed"] = sealed
    return [Put(base.MEMBERS, mid, row)]


@kind("kyc.approved", STAFF, summary="Approves submitted KYC, one member or in bulk.")
def kyc_approved(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, (), ("member_id", "member_ids"))
    need(("member_id" in body) != ("member_ids" in body), "bad_body", "member_id or member_ids")
    if "member_id" in body:
        mids = [base.member_id_of(body)]
    else:
        raw = body["member_ids"]
        ok = isinstance(raw, list) and 0 < len(raw) <= limits.BULK_APPROVE_MAX
        need(ok, "bad_body", f"member_ids: 1..{limits.BULK_APPROVE_MAX} ids")
        mids = [base.member_id_of({"member_id": m}) for m in raw]
        need(len(set(mids)) == len(mids), "bad_body", "member_ids repeat an id")
    changes: list[Change] = []
    for mid in mids:
        member = base.member_row(state, mid)
        need(member["kyc"] == base.KYC_SUBMITTED, "kyc_not_submitted", f"{mid}: nothing to approve")
        row = {**member, "kyc": base.KYC_APPROVED, "kyc_decided_ms": entry.ts}
        changes.append(Put(base.MEMBERS, mid, {**row, "kyc_by": entry.author}))
    return changes


@kind("kyc.rejected", STAFF, summary="Rejects submitted KYC with a reason.")
def kyc_rejected(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("member_id", "reason"))
    mid = base.member_id_of(body)
    member = base.member_row(state, mid)
    need(member["kyc"] == base.KYC_SUBMITTED, "kyc_not_submitted", f"{mid}: nothing to reject")
    reason = base.text(body, "reason", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    row = {**member, "kyc": base.KYC_REJECTED, "kyc_reason": reason, "kyc_decided_ms": entry.ts}
    return [Put(base.MEMBERS, mid, {**row, "kyc_by": entry.author})]


# --- tickets ------------------------------------------------------------------------


@kind("ticket.assigned", STAFF, summary="Gives a ticket of a forming group to a member.")
def ticket_assigned(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id", "ticket", "member_id"))
    gid = base.group_id_of(body)
    group = base.open_group(state, gid)
    need(group["status"] == base.FORMING, "group_started", "tickets are assigned before start")
    ticket = base.ticket_of(state, group, body)
    mid = base.member_id_of(body)
    base.member_row(state, mid)
    key = base.ticket_key(gid, ticket)
    need(state.get(base.TICKETS, key) is None, "ticket_taken", f"ticket {ticket} has a holder")
    holder = {"member_id": mid, "since_ms": entry.ts, "reason": "assigned"}
    row = {
        "group_id": gid,
        "ticket": ticket,
        "member_id": mid,
        "holders": [holder],
        "paid_paise": 0,
        "won_month": 0,
        "won_extra_due_paise": 0,
    }
    return [Put(base.TICKETS, key, row)]


# --- the agreement ------------------------------------------------------------------


@kind("agreement.published", MANAGERS, summary="Records the hash of the group's terms.")
def agreement_published(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id", "terms_hash"))
    gid = base.group_id_of(body)
    group = base.open_group(state, gid)
    need(group["status"] == base.FORMING, "group_started", "the agreement is fixed at start")
    need(group["agreement_hash"] is None, "already_published", "agreement already published")
    expected = base.terms_hash(group)
    need(body["terms_hash"] == expected, "terms_mismatch", "terms_hash is not these terms")
    return [Put(base.GROUPS, gid, {**group, "agreement_hash": expected, "published_ms": entry.ts})]


@kind("agreement.signed", SIGNERS, summary="A ticket holder signs the agreement's terms hash.")
def agreement_signed(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id", "member_id", "terms_hash"))
    gid = base.group_id_of(body)
    group = base.open_group(state, gid)
    mid = base.member_id_of(body)
    base.check_on_behalf(state, entry, mid)
    need(group["agreement_hash"] is not None, "no_agreement", "no agreement published yet")
    need(body["terms_hash"] == group["agreement_hash"], "terms_mismatch", "not the terms hash")
    need(mid in base.holders(state, group), "not_subscriber", f"{mid} holds no ticket here")
    key = f"{gid}|{mid}"
    need(state.get(base.SIGNATURES, key) is None, "already_signed", f"{mid} already signed")
    row = {
        "terms_hash": body["terms_hash"],
        "signed_ms": entry.ts,
        "author": entry.author,
        "actor": mid,
    }
    return [Put(base.SIGNATURES, key, row)]


@kind("group.started", MANAGERS, summary="Starts a group once every ticket holder has signed.")
def group_started(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id",))
    gid = base.group_id_of(body)
    group = base.open_group(state, gid)
    need(group["status"] == base.FORMING, "group_started", "group already started")
    tickets = base.ticket_rows(state, group)
    need(len(tickets) == group["tickets"], "tickets_unassigned", "every ticket needs a holder")
    need(group["agreement_hash"] is not None, "no_agreement", "no agreement published yet")
    unsigned = sorted(
        m for m in base.holders(state, group) if state.get(base.SIGNATURES, f"{gid}|{m}") is None
    )
    need(not unsigned, "signatures_missing", f"not signed yet: {', '.join(unsigned[:5])}")
    first = net_instalment_paise(base.terms_of(group), None, False)
    row = {
        **group,
        "status": base.RUNNING,
        "started_ms": entry.ts,
        "instalments_paise": [first],
        "month_starts_ms": [entry.ts],
    }
    return [Put(base.GROUPS, gid, row)]


# --- contributions ------------------------------------------------------------------


@kind("contribution.recorded", STAFF, summary="Records a payment (full or partial) for a ticket.")
def contribution_recorded(state: State, entry: Entry) -> list[Change]:
    required = ("amount_paise", "group_id", "month", "ticket")
    body = base.body_of(entry, required, ("bank_ref", "note"))
    gid = base.group_id_of(body)
    group = base.open_group(state, gid)
    ticket_no = base.ticket_of(state, group, body)
    ticket = base.ticket_row(state, gid, ticket_no)
    month = base.month_of(body, group)
    amount = require_paise(body["amount_paise"], field="amount_paise")
    bank_ref = base.text(body, "bank_ref", max_chars=limits.REF_CHARS_MAX)
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX)
    ceiling = int(group["months"]) * base.full_instalment_paise(base.terms_of(group))
    ticket = defaulters.accrued(group, ticket, entry.ts)  # interest runs until this payment
    paid = int(ticket["paid_paise"]) + amount
    need(paid <= ceiling, "amount_above_dues", "more than the ticket can ever owe")
    receipt_no = int(group["receipts"]) + 1
    ticket, deposits = defaulters.route_back_payment(state, gid, ticket, amount)  # s.30(1)
    row = {
        "group_id": gid,
        "ticket": ticket_no,
        "member_id": ticket["member_id"],
        "month": month,
        "amount_paise": amount,
        "bank_ref": bank_ref,
        "note": note,
        "receipt": f"{gid}/R{receipt_no:05d}",
        "ts_ms": entry.ts,
        "author": entry.author,
        "source": "payment",
    }
    return [
        Put(base.CONTRIBUTIONS, entry.hash, row),
        Put(base.TICKETS, base.ticket_key(gid, ticket_no), {**ticket, "paid_paise": paid}),
        Put(base.GROUPS, gid, {**group, "receipts": receipt_no}),
        *base.transfer(base.CASH_ACCOUNT, base.pool_account(gid), amount),
        *deposits,
    ]


# --- defaults and recovery ----------------------------------------------------------


def open_case(state: State, gid: str, ticket: int) -> tuple[str, dict[str, Any]] | None:
    for key, row in state.rows(base.RECOVERIES).items():
        if row["group_id"] == gid and row["ticket"] == ticket and not row["closed"]:
            return key, row
    return None


@kind("recovery.opened", STAFF, summary="Opens a recovery case for a missed instalment.")
def recovery_opened(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id", "ticket", "note"))
    gid = base.group_id_of(body)
    group = base.running_group(state, gid)
    ticket_no = base.ticket_of(state, group, body)
    ticket = base.ticket_row(state, gid, ticket_no)
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    arrears = base.arrears_paise(group, ticket)
    need(arrears > 0, "no_arrears", f"ticket {ticket_no} owes nothing")
    missed = base.overdue_month(group, ticket, entry.ts)
    need(missed > 0, "within_grace", "the unpaid instalment is still within the grace period")
    need(open_case(state, gid, ticket_no) is None, "case_open", "a case is already open")
    number = int(group["recoveries"]) + 1
    step = fsm.history_step(fsm.Stage.MISSED, ts_ms=entry.ts, note=note, by=entry.author)
    row = {
        "group_id": gid,
        "ticket": ticket_no,
        "member_id": ticket["member_id"],
        "case": number,
        "stage": fsm.Stage.MISSED.value,
        "closed": False,
        "missed_month": missed,
        "arrears_at_open_paise": arrears,
        "opened_ms": entry.ts,
        "notice_ms": None,
        "history": [step],
    }
    return [
        Put(base.RECOVERIES, f"{gid}|{ticket_no:04d}|{number:04d}", row),
        Put(base.GROUPS, gid, {**group, "recoveries": number}),
    ]


@kind("recovery.moved", STAFF, summary="Moves a recovery case one legal step, with a note.")
def recovery_moved(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id", "ticket", "to", "note"))
    gid = base.group_id_of(body)
    group = base.group_row(state, gid)
    ticket_no = base.ticket_of(state, group, body)
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    found = open_case(state, gid, ticket_no)
    need(found is not None, "no_open_case", f"ticket {ticket_no} has no open recovery case")
    assert found is not None
    key, case = found
    to = fsm.transition(fsm.Stage(case["stage"]), body["to"])
    if to == fsm.Stage.RESOLVED:
        ticket = base.ticket_row(state, gid, ticket_no)
        overdue = base.overdue_month(group, ticket, entry.ts)
        need(overdue == 0, "arrears_outstanding", f"month {overdue} is unpaid past its grace")
    row = fsm.advanced_case(case, to, ts_ms=entry.ts, note=note, by=entry.author)
    return [Put(base.RECOVERIES, key, row)]


# --- close-out ----------------------------------------------------------------------


@kind("group.closed", MANAGERS, summary="Closes out a finished group: final dividend, refunds.")
def group_closed(state: State, entry: Entry) -> list[Change]:
    """Needs every month settled, every prize paid and no ticket in arrears.

    A written-off ticket's dues are covered the way the Act puts it on the
    foreman: a `contribution.recorded` on that ticket's behalf (with a note).
    """
    body = base.body_of(entry, ("group_id",))
    gid = base.group_id_of(body)
    group = base.running_group(state, gid)
    need(group["settled"] == group["months"], "group_not_finished", "months remain to settle")
    settled = base.settlement_rows(state, group)
    need(all(s["prize_paid"] for s in settled), "prizes_unpaid", "a prize is still unpaid")
    behind = [t["ticket"] for t in base.ticket_rows(state, group) if base.arrears_paise(group, t)]
    need(not behind, "arrears_outstanding", f"tickets in arrears: {behind[:10]}")
    report = base.closeout_of(state, group)
    pool, dividend = base.pool_account(gid), base.dividend_account(gid)
    need(state.balance(pool) == report.cash_left_paise, "books_unbalanced", "pool != refunds")
    need(state.balance(dividend) == report.final_dividend_cash_paise, "books_unbalanced", "div")
    refunds = {str(s.ticket_id): s.balance_paise for s in report.statements if s.balance_paise}
    interest = interest_shares(state, group)  # s.14: interest on the group's money, shared
    row = {
        "group_id": gid,
        "closed_ms": entry.ts,
        "total_due_paise": report.total_due_paise,
        "total_paid_in_paise": report.total_paid_in_paise,
        "total_prizes_paise": report.total_prizes_paise,
        "total_commission_paise": report.total_commission_paise,
        "final_dividend_cash_paise": report.final_dividend_cash_paise,
        "refunds_paise": refunds,
        "cash_left_paise": report.cash_left_paise,
        **({"loan_interest_paise": interest} if interest else {}),
    }
    return [
        Put(base.CLOSEOUTS, gid, row),
        Put(base.GROUPS, gid, {**group, "status": base.CLOSED, "closed_ms": entry.ts}),
        *base.transfer(dividend, base.CASH_ACCOUNT, report.final_dividend_cash_paise),
        *base.transfer(pool, base.CASH_ACCOUNT, report.cash_left_paise),
        *base.transfer(group_interest_account(gid), base.CASH_ACCOUNT, sum(interest.values())),
    ]
