"""Shared reads for defaulters (Chit Funds Act 1982 s.28-30, s.32-33) and penalty interest.

Pure: functions of a group row, a ticket row and entry times, never a clock. The
kinds (`default_kinds`), `contribution.recorded` (`chit_kinds`) and the recovery
board (`default_views`) build on these, so a rule is written once.

Ticket row fields these keep (absent on a ticket that never needed them):
- `penalty_accrued_paise`, `penalty_rem_paise`, `penalty_to_ms`: penalty interest
  accrued up to `penalty_to_ms`, exact: `penalty_rem_paise` is the fraction of a paisa
  carried, as a numerator over `recovery.INTEREST_DIVISOR` (`recovery.accrue`);
  `penalty_paid_paise`: what was paid of it (`penalty.paid`).
- `removal`: the current removal of a defaulting non-prized subscriber (s.28), or None.
- `refund_key`: the `defaulter_refunds` row the substitute's back payments still fill.
- `demand`: the written demand for all future dues made on a prized defaulter (s.33).

Accounts: `defaulters:<gid>` is the separate identifiable account of s.30(1) holding
removed subscribers' contributions until they claim them; `penalty:<gid>` is the
foreman's: penalty interest and the agreed deductions (s.14(1) keeps "interest or
penalty received from a defaulting subscriber" out of the chit's money).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import recovery as fsm
from chitnode.domain.chit_rules import BPS_PER_WHOLE
from chitnode.domain.state import Change, Put, State

REFUNDS = "defaulter_refunds"  # [gid|tttt|hh]: a removed holder's contributions (s.30)
REMOVED = "removed"


def defaulters_account(gid: str) -> str:
    return f"defaulters:{gid}"


def penalty_account(gid: str) -> str:
    return f"penalty:{gid}"


def penalty_rate_bps(group: Mapping[str, Any]) -> int:
    return int(group.get("penalty_interest_bps", 0))


def late_steps(group: Mapping[str, Any], ticket: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(late from, dues in all) for months 1..now: a month's instalment is late once its
    grace period has passed (the same instant `recovery.opened` may open a case)."""
    grace_ms = int(group["grace_days"]) * base.DAY_MS
    starts = group["month_starts_ms"]
    return [
        (int(starts[m - 1]) + grace_ms, base.dues_through_paise(group, ticket, m))
        for m in range(1, base.current_month(group) + 1)
    ]


def accrued(group: Mapping[str, Any], ticket: dict[str, Any], ts_ms: int) -> dict[str, Any]:
    """The ticket with penalty interest accrued up to `ts_ms` (unchanged at a zero rate).

    Call it before anything changes what the ticket has paid: interest runs on the
    overdue amount between payments.
    """
    rate = penalty_rate_bps(group)
    if rate == 0:
        return ticket
    since = int(ticket.get("penalty_to_ms", 0))
    steps = late_steps(group, ticket)
    paise_ms = fsm.overdue_paise_ms(steps, int(ticket["paid_paise"]), since, max(since, ts_ms))
    paise, rem = fsm.accrue(
        int(ticket.get("penalty_accrued_paise", 0)),
        int(ticket.get("penalty_rem_paise", 0)),
        paise_ms,
        rate,
    )
    return {
        **ticket,
        "penalty_accrued_paise": paise,
        "penalty_rem_paise": rem,
        "penalty_to_ms": max(since, ts_ms),
    }


def penalty_due_paise(group: Mapping[str, Any], ticket: dict[str, Any], ts_ms: int) -> int:
    """Penalty interest accrued by `ts_ms` and not yet paid."""
    row = accrued(group, ticket, ts_ms)
    return int(row.get("penalty_accrued_paise", 0)) - int(row.get("penalty_paid_paise", 0))


def deduction_paise(group: Mapping[str, Any], contributions_paise: int) -> int:
    """The agreed deduction from a removed defaulter's contributions (s.30), at most them."""
    agreed = int(group["chit_value_paise"]) * int(group.get("defaulter_deduction_bps", 0))
    return min(contributions_paise, agreed // BPS_PER_WHOLE)


def notice_served(ticket: Mapping[str, Any]) -> bool:
    removal = ticket.get("removal")
    return removal is not None and removal["notice_ms"] is not None


def removal_lapsed(ticket: Mapping[str, Any], ts_ms: int) -> bool:
    """A removal whose written notice was not given within 14 days no longer stands."""
    removal = ticket.get("removal")
    if removal is None or removal["notice_ms"] is not None:
        return False
    return fsm.is_overdue(fsm.notice_due_ms(int(removal["removed_ms"])), ts_ms)


def route_back_payment(
    state: State, gid: str, ticket: dict[str, Any], amount_paise: int
) -> tuple[dict[str, Any], list[Change]]:
    """s.30(1): out of what a substitute pays towards the instalments before the
    substitution, the defaulter's contributions less the agreed deduction go to the
    separate account, and the deduction to the foreman, until both are covered."""
    key = ticket.get("refund_key")
    if key is None:
        return ticket, []
    row = state.get(REFUNDS, str(key))
    assert row is not None, f"refund row {key} missing"
    deposit = min(amount_paise, int(row["refundable_paise"]) - int(row["deposited_paise"]))
    deduct = min(amount_paise - deposit, int(row["deduction_paise"]) - int(row["deducted_paise"]))
    new_row = {
        **row,
        "deposited_paise": int(row["deposited_paise"]) + deposit,
        "deducted_paise": int(row["deducted_paise"]) + deduct,
    }
    done = (
        new_row["deposited_paise"] == row["refundable_paise"]
        and new_row["deducted_paise"] == row["deduction_paise"]
    )
    pool = base.pool_account(gid)
    changes: list[Change] = [
        Put(REFUNDS, str(key), new_row),
        *base.transfer(pool, defaulters_account(gid), deposit),
        *base.transfer(pool, penalty_account(gid), deduct),
    ]
    return ({**ticket, "refund_key": None} if done else ticket), changes


def all_future_dues_paise(group: Mapping[str, Any], ticket: Mapping[str, Any]) -> int:
    """s.32: what a prized defaulter owes once demanded: the arrears and every instalment
    still to come, at the full instalment (future dividends are not known yet; what
    turns out too much is refunded at close-out, as for a prize deduction)."""
    months_left = int(group["months"]) - base.current_month(group)
    future = months_left * base.full_instalment_paise(base.terms_of(group))
    return base.arrears_paise(group, ticket) + future
