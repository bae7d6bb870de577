"""The recovery board's data: every default with the Act's deadlines, as of a given time.

Pure functions of a `State` and `as_of_ms` (the caller's "now", from an entry or
the node's clock at the edge; the domain reads none). Each deadline counts from
the event the Chit Funds Act names: the removal (s.28), its written notice
(s.28(1) proviso), the draw (s.22), the chit's termination (s.30(3)). A deadline
that does not apply yet, or no longer, is None. docs/chit-rules.md, "Defaulters".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import defaults
from chitnode.domain import recovery as fsm
from chitnode.domain.state import State


@dataclass(frozen=True, slots=True)
class DefaultCase:
    """One ticket in default (or under a removal or demand), with its timers."""

    group_id: str
    ticket: int
    member_id: str
    prized: bool
    recovery_stage: str  # the open recovery case's stage, "" when none is open
    arrears_paise: int
    penalty_due_paise: int  # penalty interest accrued by as_of and unpaid
    removed_ms: int | None
    notice_due_ms: int | None  # s.28(1): written notice within 14 days of the removal
    registrar_filing_due_ms: int | None  # s.28(3): 14 days from the removal
    notice_ms: int | None
    reinstatement_deadline_ms: int | None  # s.28(1) proviso: 7 days from the notice
    substitution_from_ms: int | None  # the first instant a substitute may be put in
    removal_lapsed: bool  # notice not served within 14 days: the removal no longer stands
    demand_ms: int | None  # s.33: the written demand on a prized defaulter
    demanded_paise: int  # s.32: all future dues, as demanded (0 without a demand)


@dataclass(frozen=True, slots=True)
class RefundDue:
    """A removed defaulter's contributions, less the agreed deduction (s.30)."""

    group_id: str
    ticket: int
    member_id: str
    substituted: bool
    contributions_paise: int
    deduction_paise: int
    refundable_paise: int
    deposited_paise: int  # in defaulters:<gid> so far (from the substitute's back payments)
    refunded_paise: int
    deposit_by_month: int | None  # s.30(1): deposited before this month's instalment
    deposit_due_ms: int | None  # that instalment's due time, once the month has started
    refund_due_ms: int | None  # s.30(3): 15 days from termination, where not substituted


@dataclass(frozen=True, slots=True)
class PrizeDue:
    """A declared prize's s.22 dates."""

    group_id: str
    month: int
    winner_ticket: int
    winner_member: str
    draw_ms: int
    pay_by_ms: int  # s.22(1): 7 days from the draw or the next instalment, the earlier
    deposit_apart_from_ms: int | None  # s.22(2): unpaid at the next instalment: deposit apart
    redraw_from_ms: int  # s.22(2) proviso: uncollected for two months: a new draw may be held
    paid: bool
    overdue: bool  # unpaid past pay_by_ms at as_of


@dataclass(frozen=True, slots=True)
class RecoveryBoard:
    as_of_ms: int
    cases: tuple[DefaultCase, ...]
    refunds: tuple[RefundDue, ...]
    prizes: tuple[PrizeDue, ...]


def _instalment_due_ms(group: dict[str, Any], month: int) -> int | None:
    """When month `month`'s instalment falls due (its start plus grace), once it has started."""
    starts = group["month_starts_ms"]
    if not 1 <= month <= len(starts):
        return None
    return int(starts[month - 1]) + int(group["grace_days"]) * base.DAY_MS


def _case(state: State, group: dict[str, Any], ticket: dict[str, Any], as_of: int) -> DefaultCase:
    gid, ticket_no = str(group["group_id"]), int(ticket["ticket"])
    found = _open_stage(state, gid, ticket_no)
    removal = ticket.get("removal") or {}
    removed, notice = removal.get("removed_ms"), removal.get("notice_ms")
    demand = ticket.get("demand") or {}
    deadline = fsm.reinstatement_deadline_ms(int(notice)) if notice is not None else None
    return DefaultCase(
        group_id=gid,
        ticket=ticket_no,
        member_id=str(ticket["member_id"]),
        prized=bool(ticket["won_month"]),
        recovery_stage=found,
        arrears_paise=base.arrears_paise(group, ticket),
        penalty_due_paise=defaults.penalty_due_paise(group, ticket, as_of),
        removed_ms=removed,
        notice_due_ms=fsm.notice_due_ms(int(removed)) if removed is not None else None,
        registrar_filing_due_ms=(
            fsm.registrar_filing_due_ms(int(removed)) if removed is not None else None
        ),
        notice_ms=notice,
        reinstatement_deadline_ms=deadline,
        substitution_from_ms=deadline + 1 if deadline is not None else None,
        removal_lapsed=defaults.removal_lapsed(ticket, as_of),
        demand_ms=demand.get("demand_ms"),
        demanded_paise=int(demand.get("demanded_paise", 0)),
    )


def _open_stage(state: State, gid: str, ticket_no: int) -> str:
    for row in state.rows(base.RECOVERIES).values():
        if row["group_id"] == gid and row["ticket"] == ticket_no and not row["closed"]:
            return str(row["stage"])
    return ""


def _in_default(state: State, group: dict[str, Any], ticket: dict[str, Any], as_of: int) -> bool:
    gid, ticket_no = str(group["group_id"]), int(ticket["ticket"])
    return (
        ticket.get("removal") is not None
        or ticket.get("demand") is not None
        or base.overdue_month(group, ticket, as_of) > 0
        or defaults.penalty_due_paise(group, ticket, as_of) > 0
        or _open_stage(state, gid, ticket_no) != ""
    )


def _refunds(state: State, group: dict[str, Any]) -> list[RefundDue]:
    gid = str(group["group_id"])
    rows = [r for _, r in sorted(state.rows(defaults.REFUNDS).items()) if r["group_id"] == gid]
    out = [_refund_due(group, row, None) for row in rows]  # s.30(2): paid on claim
    terminated = _termination_ms(state, group)
    for ticket in base.ticket_rows(state, group) if terminated is not None else []:
        removal = ticket.get("removal")
        if removal is None:
            continue
        contributed = int(ticket["paid_paise"])
        deduction = defaults.deduction_paise(group, contributed)
        row = {
            "ticket": ticket["ticket"],
            "member_id": removal["member_id"],
            "contributions_paise": contributed,
            "deduction_paise": deduction,
            "refundable_paise": contributed - deduction,
            "deposited_paise": 0,
            "refunded_paise": 0,
            "deposit_by_month": None,  # never substituted: nothing to deposit from
        }
        assert terminated is not None
        out.append(_refund_due(group, row, fsm.refund_due_ms(terminated)))
    return out


def _refund_due(group: dict[str, Any], row: dict[str, Any], refund_due_ms: int | None) -> RefundDue:
    month = row["deposit_by_month"]
    return RefundDue(
        group_id=str(group["group_id"]),
        ticket=int(row["ticket"]),
        member_id=str(row["member_id"]),
        substituted=month is not None,
        contributions_paise=int(row["contributions_paise"]),
        deduction_paise=int(row["deduction_paise"]),
        refundable_paise=int(row["refundable_paise"]),
        deposited_paise=int(row["deposited_paise"]),
        refunded_paise=int(row["refunded_paise"]),
        deposit_by_month=month,
        deposit_due_ms=_instalment_due_ms(group, int(month)) if month is not None else None,
        refund_due_ms=refund_due_ms,
    )


def _termination_ms(state: State, group: dict[str, Any]) -> int | None:
    """The chit terminates with its last draw (s.30(3) counts from here)."""
    if int(group["settled"]) < int(group["months"]):
        return None
    last = state.get(base.SETTLEMENTS, base.month_key(str(group["group_id"]), int(group["months"])))
    assert last is not None
    return int(last["closed_ms"])


def _prizes(state: State, group: dict[str, Any], as_of: int) -> list[PrizeDue]:
    out = []
    for settled in base.settlement_rows(state, group):
        month, draw = int(settled["month"]), int(settled["closed_ms"])
        next_due = _instalment_due_ms(group, month + 1)
        pay_by = fsm.prize_due_ms(draw, next_due)
        paid = bool(settled["prize_paid"])
        out.append(
            PrizeDue(
                group_id=str(group["group_id"]),
                month=month,
                winner_ticket=int(settled["winner_ticket"]),
                winner_member=str(settled["winner_member"]),
                draw_ms=draw,
                pay_by_ms=pay_by,
                deposit_apart_from_ms=next_due,
                redraw_from_ms=fsm.prize_redraw_from_ms(draw),
                paid=paid,
                overdue=not paid and fsm.is_overdue(pay_by, as_of),
            )
        )
    return out


def recovery_board(state: State, as_of_ms: int, group_id: str | None = None) -> RecoveryBoard:
    """Every default, removed defaulter's refund and declared prize, with their deadlines
    as of `as_of_ms`, for one group or every group (in group and ticket order)."""
    gids = [group_id] if group_id is not None else sorted(state.rows(base.GROUPS))
    cases: list[DefaultCase] = []
    refunds: list[RefundDue] = []
    prizes: list[PrizeDue] = []
    for gid in gids:
        group = base.group_row(state, gid)
        if group["status"] == base.FORMING:
            continue
        tickets = base.ticket_rows(state, group)
        cases += [
            _case(state, group, t, as_of_ms)
            for t in tickets
            if _in_default(state, group, t, as_of_ms)
        ]
        refunds += _refunds(state, group)
        prizes += _prizes(state, group, as_of_ms)
    return RecoveryBoard(as_of_ms, tuple(cases), tuple(refunds), tuple(prizes))
