"""Defaulters' kinds (Chit Funds Act 1982 s.28-30, s.32-33) and penalty interest.

A non-prized subscriber who defaults (an instalment unpaid past its grace period,
with a recovery case open) may be removed (`ticket.removed`, s.28(1)-(2)); written
notice of the removal goes to the subscriber within 14 days (`removal.noticed`),
or the removal lapses. Paying the arrears with the agreed penalty interest within
7 days of the notice re-enters the subscriber (`ticket.reinstated`). Only once
that window has passed may another member be substituted (`ticket.substituted`,
s.29): the substitute owes every instalment from month 1, and out of those back
payments the defaulter's contributions, less the agreed deduction, are deposited
in the group's separate account `defaulters:<gid>` (s.30(1); routed by
`contribution.recorded`), and paid to the defaulter on claim
(`defaulter.refunded`, s.30(2)). A prized subscriber who defaults owes all future
dues at once, but only after a written demand (`demand.served`, s.32-33).
Penalty interest accrues on late instalments at the agreement's rate and is paid
to the foreman's account `penalty:<gid>` (`penalty.paid`).

Every kind written on a member's behalf names the member as `actor`: the defaulter
asking to be re-entered or receiving the refund, the substitute taking the ticket.
Times are the entries' `ts`; the deadlines are `recovery`'s.
"""

from __future__ import annotations

from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import defaults, limits
from chitnode.domain import recovery as fsm
from chitnode.domain.chit_kinds import open_case
from chitnode.domain.chit_kinds_base import need
from chitnode.domain.kinds import MANAGERS, STAFF, kind
from chitnode.domain.money import require_paise
from chitnode.domain.state import Change, Put, State
from chitnode.log.entry import Entry


def _ticket(state: State, body: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(gid, running group, ticket row) named by the body."""
    gid = base.group_id_of(body)
    group = base.running_group(state, gid)
    return gid, group, base.ticket_row(state, gid, base.ticket_of(state, group, body))


def _put_ticket(gid: str, ticket: dict[str, Any]) -> Put:
    return Put(base.TICKETS, base.ticket_key(gid, int(ticket["ticket"])), ticket)


def _defaulting(group: dict[str, Any], ticket: dict[str, Any], ts_ms: int) -> None:
    month = base.overdue_month(group, ticket, ts_ms)
    need(month > 0, "not_defaulting", "no instalment is unpaid past its grace period")


def _removal(ticket: dict[str, Any]) -> dict[str, Any]:
    removal = ticket.get("removal")
    need(removal is not None, "not_removed", f"ticket {ticket['ticket']} has not been removed")
    assert removal is not None
    return dict(removal)


def _close_case(state: State, gid: str, ticket_no: int, entry: Entry, note: str) -> list[Change]:
    """The default is settled (re-entered or replaced): its recovery case resolves."""
    found = open_case(state, gid, ticket_no)
    if found is None:
        return []
    key, case = found
    row = fsm.advanced_case(case, fsm.Stage.RESOLVED, ts_ms=entry.ts, note=note, by=entry.author)
    return [Put(base.RECOVERIES, key, row)]


# --- removal of a defaulting non-prized subscriber (s.28) ------------------------------


@kind("ticket.removed", MANAGERS, summary="Removes a defaulting non-prized subscriber (s.28).")
def ticket_removed(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id", "ticket", "note"))
    gid, group, ticket = _ticket(state, body)
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    need(not ticket["won_month"], "ticket_prized", "a prized defaulter gets a demand (s.33)")
    standing = ticket.get("removal") is None or defaults.removal_lapsed(ticket, entry.ts)
    need(standing, "already_removed", "this removal stands: serve its notice")
    _defaulting(group, ticket, entry.ts)
    found = open_case(state, gid, int(ticket["ticket"]))
    need(found is not None, "no_open_case", "open a recovery case for the default first")
    removal = {
        "member_id": ticket["member_id"],
        "removed_ms": entry.ts,
        "notice_ms": None,
        "note": note,
        "by": entry.author,
    }
    lapsed = [ticket["removal"]] if ticket.get("removal") is not None else []  # kept on record
    removals = [*ticket.get("removals", []), *lapsed]
    return [_put_ticket(gid, {**ticket, "removal": removal, "removals": removals})]


@kind("removal.noticed", MANAGERS, summary="Records the written notice of a removal (s.28(1)).")
def removal_noticed(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id", "ticket", "note"))
    gid, _, ticket = _ticket(state, body)
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    removal = _removal(ticket)
    need(removal["notice_ms"] is None, "notice_served", "the notice was already served")
    late = defaults.removal_lapsed(ticket, entry.ts)
    need(not late, "notice_overdue", "past 14 days from the removal: remove again, then notify")
    removal.update(notice_ms=entry.ts, notice_note=note)
    return [_put_ticket(gid, {**ticket, "removal": removal})]


@kind("ticket.reinstated", STAFF, summary="Re-enters a removed subscriber who paid up (s.28(1)).")
def ticket_reinstated(state: State, entry: Entry) -> list[Change]:
    """The defaulter's own claim: arrears and penalty interest paid (by `contribution.recorded`
    and `penalty.paid`) within 7 days of the notice, so the name goes back on the list."""
    body = base.body_of(entry, ("group_id", "ticket", "note"))
    gid, group, ticket = _ticket(state, body)
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    removal = _removal(ticket)
    base.check_on_behalf(state, entry, str(removal["member_id"]))
    if removal["notice_ms"] is not None:
        deadline = fsm.reinstatement_deadline_ms(int(removal["notice_ms"]))
        need(entry.ts <= deadline, "reinstatement_closed", "more than 7 days since the notice")
    late = base.overdue_month(group, ticket, entry.ts)  # the defaulted instalments, not ones
    need(late == 0, "arrears_outstanding", f"month {late} is unpaid past its grace")  # due later
    ticket = defaults.accrued(group, ticket, entry.ts)
    owed = defaults.penalty_due_paise(group, ticket, entry.ts)
    need(owed == 0, "penalty_outstanding", f"{owed} paise of penalty interest unpaid")
    done = {**removal, "reinstated_ms": entry.ts, "reinstated_note": note}
    row = {**ticket, "removal": None, "removals": [*ticket.get("removals", []), done]}
    return [
        _put_ticket(gid, row),
        *_close_case(state, gid, int(ticket["ticket"]), entry, f"re-entered: {note}"),
    ]


# --- substitution (s.29) and the defaulter's money (s.30) ------------------------------


@kind("ticket.substituted", MANAGERS, summary="Puts a substitute in a removed defaulter's place.")
def ticket_substituted(state: State, entry: Entry) -> list[Change]:
    """Only after a removal whose notice was served and whose 7 days to pay have passed.

    The substitute takes the ticket's place, not the defaulter's money: it owes every
    instalment from month 1 (s.30(1) "the instalments relatable to the period before
    the date of the substitution"), and the defaulter's contributions become theirs
    to claim, less the agreed deduction (`defaulter_refunds`).
    """
    body = base.body_of(entry, ("group_id", "ticket", "member_id", "reason"))
    gid, group, ticket = _ticket(state, body)
    ticket_no = int(ticket["ticket"])
    need(not ticket["won_month"], "ticket_prized", "a prized ticket cannot be substituted")
    removal = _removal(ticket)
    need(removal["notice_ms"] is not None, "notice_not_served", "serve the removal notice first")
    deadline = fsm.reinstatement_deadline_ms(int(removal["notice_ms"]))
    need(fsm.is_overdue(deadline, entry.ts), "reinstatement_open", "the 7 days to pay are open")
    mid = base.member_id_of(body)
    base.member_row(state, mid)
    base.check_on_behalf(state, entry, mid)  # the substitute takes on the ticket's dues
    need(mid != ticket["member_id"], "same_member", "the substitute already holds the ticket")
    full = len(ticket["holders"]) >= limits.HOLDERS_MAX
    need(not full, "too_many_substitutions", f"at most {limits.HOLDERS_MAX} holders per ticket")
    reason = base.text(body, "reason", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    ticket = defaults.accrued(group, ticket, entry.ts)
    contributed = int(ticket["paid_paise"])
    deduction = defaults.deduction_paise(group, contributed)
    key = f"{base.ticket_key(gid, ticket_no)}|{len(ticket['holders']):02d}"
    refund = {
        "group_id": gid,
        "ticket": ticket_no,
        "member_id": ticket["member_id"],
        "removed_ms": removal["removed_ms"],
        "notice_ms": removal["notice_ms"],
        "substituted_ms": entry.ts,
        "substitute": mid,
        "deposit_by_month": base.current_month(group) + 1,
        "contributions_paise": contributed,
        "deduction_paise": deduction,
        "refundable_paise": contributed - deduction,
        "deposited_paise": 0,
        "deducted_paise": 0,
        "refunded_paise": 0,
        "penalty_unpaid_paise": defaults.penalty_due_paise(group, ticket, entry.ts),
    }
    holder = {"member_id": mid, "since_ms": entry.ts, "reason": reason}
    grace_ms = int(group["grace_days"]) * base.DAY_MS
    row = {
        **ticket,
        "member_id": mid,
        "holders": [*ticket["holders"], holder],
        "paid_paise": 0,
        "removal": None,
        "removals": [*ticket.get("removals", []), {**removal, "substituted_ms": entry.ts}],
        "refund_key": key if contributed else None,
        # The substitute's back instalments are late only after a grace period of its own.
        "penalty_accrued_paise": 0,
        "penalty_rem_paise": 0,
        "penalty_paid_paise": 0,
        "penalty_to_ms": entry.ts + grace_ms,
    }
    return [
        _put_ticket(gid, row),
        Put(defaults.REFUNDS, key, refund),
        *_close_case(state, gid, ticket_no, entry, f"substituted by {mid}: {reason}"),
    ]


@kind("defaulter.refunded", MANAGERS, summary="Pays a removed defaulter from the s.30 account.")
def defaulter_refunded(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(
        entry, ("group_id", "ticket", "member_id", "amount_paise"), ("bank_ref", "note")
    )
    gid, _, ticket = _ticket(state, body)
    mid = base.member_id_of(body)
    base.check_on_behalf(state, entry, mid)  # paid to the defaulter, on the defaulter's claim
    amount = require_paise(body["amount_paise"], field="amount_paise")
    prefix = f"{base.ticket_key(gid, int(ticket['ticket']))}|"
    rows = [
        (k, r)
        for k, r in sorted(state.rows(defaults.REFUNDS).items())
        if k.startswith(prefix) and r["member_id"] == mid
    ]
    need(bool(rows), "no_refund", f"{mid} was not replaced on this ticket")
    waiting = [(k, r) for k, r in rows if r["deposited_paise"] > r["refunded_paise"]]
    key, row = (waiting or rows)[0]
    held = int(row["deposited_paise"]) - int(row["refunded_paise"])
    need(amount <= held, "refund_not_deposited", f"{held} paise deposited and not yet refunded")
    ref = base.text(body, "bank_ref", max_chars=limits.REF_CHARS_MAX)
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX)
    paid = {"refunded_paise": int(row["refunded_paise"]) + amount, "refunded_ms": entry.ts}
    return [
        Put(defaults.REFUNDS, key, {**row, **paid, "bank_ref": ref, "note": note}),
        *base.transfer(defaults.defaulters_account(gid), base.CASH_ACCOUNT, amount),
    ]


# --- penalty interest and the prized defaulter (s.32-33) -------------------------------


@kind("penalty.paid", STAFF, summary="Records penalty interest paid on late instalments.")
def penalty_paid(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id", "ticket", "amount_paise"), ("bank_ref",))
    gid, group, ticket = _ticket(state, body)
    base.check_actor(body, str(ticket["member_id"]))  # a payment: the actor only if named
    amount = require_paise(body["amount_paise"], field="amount_paise")
    base.text(body, "bank_ref", max_chars=limits.REF_CHARS_MAX)
    ticket = defaults.accrued(group, ticket, entry.ts)
    owed = defaults.penalty_due_paise(group, ticket, entry.ts)
    need(amount <= owed, "amount_above_penalty", f"{owed} paise of penalty interest is due")
    paid = int(ticket.get("penalty_paid_paise", 0)) + amount
    return [
        _put_ticket(gid, {**ticket, "penalty_paid_paise": paid}),
        *base.transfer(base.CASH_ACCOUNT, defaults.penalty_account(gid), amount),
    ]


@kind("demand.served", MANAGERS, summary="Written demand for a prized defaulter's future dues.")
def demand_served(state: State, entry: Entry) -> list[Change]:
    """s.32: a prized subscriber who defaults owes all future subscriptions at once;
    s.33: only once the foreman has demanded them in writing. From the demand on, the
    recovery board shows all future dues (at the full instalment) as due now."""
    body = base.body_of(entry, ("group_id", "ticket", "note"))
    gid, group, ticket = _ticket(state, body)
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    need(bool(ticket["won_month"]), "not_prized", "a non-prized defaulter is removed (s.28)")
    need(ticket.get("demand") is None, "already_demanded", "the demand was already served")
    _defaulting(group, ticket, entry.ts)
    demand = {
        "demand_ms": entry.ts,
        "note": note,
        "by": entry.author,
        "demanded_paise": defaults.all_future_dues_paise(group, ticket),
    }
    return [_put_ticket(gid, {**ticket, "demand": demand})]
