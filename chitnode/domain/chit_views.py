"""Read models over the folded chit tables: group health, dues, recovery, close-out.

Pure functions of a `State` (DESIGN.md: projections are a cache of the log);
view-models and reports call these, never the tables directly. Amounts are int
paise; times are the ms of the entries that set them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import recovery as fsm
from chitnode.domain.chit_rules import CloseoutReport, Settlement, net_instalment_paise, settle
from chitnode.domain.state import BALANCES, EXTERNAL_PREFIX, State
from chitnode.errors import RuleViolation


@dataclass(frozen=True, slots=True)
class GroupHealth:
    """A group at a glance (issue 3, item 11)."""

    group_id: str
    name: str
    status: str  # forming | running | closed
    month: int  # the month whose instalment is due now (0 before the start)
    months_done: int
    months_left: int
    pool_paise: int
    collected_this_month_paise: int
    tickets_paid: int  # tickets with no arrears
    tickets_unpaid: int
    unpaid_tickets: tuple[int, ...]
    active_defaults: int  # open recovery cases
    commission_earned_paise: int
    dividend_held_paise: int
    prized: int
    non_prized: int
    prizes_unpaid: tuple[int, ...]  # months whose prize is declared but not paid yet


def group_health(state: State, group_id: str) -> GroupHealth:
    """Health of one group now."""
    group = base.group_row(state, group_id)
    tickets = base.ticket_rows(state, group)
    month = base.current_month(group)
    unpaid = tuple(int(t["ticket"]) for t in tickets if base.arrears_paise(group, t))
    collected = sum(
        int(row["amount_paise"])
        for row in _contributions(state, group_id)
        if row["month"] == month and row["source"] == "payment"
    )
    settled = base.settlement_rows(state, group)
    prized = sum(1 for t in tickets if t["won_month"])
    return GroupHealth(
        group_id=group_id,
        name=str(group["name"]),
        status=str(group["status"]),
        month=month,
        months_done=int(group["settled"]),
        months_left=int(group["months"]) - int(group["settled"]),
        pool_paise=state.balance(base.pool_account(group_id)),
        collected_this_month_paise=collected,
        tickets_paid=len(tickets) - len(unpaid),
        tickets_unpaid=len(unpaid),
        unpaid_tickets=unpaid,
        active_defaults=sum(1 for case in recovery_cases(state, group_id) if not case.closed),
        commission_earned_paise=state.balance(base.commission_account(group_id)),
        dividend_held_paise=state.balance(base.dividend_account(group_id)),
        prized=prized,
        non_prized=int(group["tickets"]) - prized,
        prizes_unpaid=tuple(int(s["month"]) for s in settled if not s["prize_paid"]),
    )


def _contributions(state: State, group_id: str) -> Iterator[dict[str, Any]]:
    for row in state.rows(base.CONTRIBUTIONS).values():
        if row["group_id"] == group_id:
            yield row


@dataclass(frozen=True, slots=True)
class TicketDues:
    """One ticket's dues to date (issue 3, item 5)."""

    group_id: str
    ticket: int
    member_id: str
    month: int
    due_to_date_paise: int
    paid_paise: int
    arrears_paise: int
    instalment_paise: int  # this month's net instalment (subscription less last dividend)
    won_month: int  # 0 while non-prized


def ticket_dues(state: State, group_id: str, ticket: int) -> TicketDues:
    group = base.group_row(state, group_id)
    row = base.ticket_row(state, group_id, ticket)
    month = base.current_month(group)
    due = base.dues_through_paise(group, row, month)
    before = base.dues_through_paise(group, row, month - 1) if month else 0
    return TicketDues(
        group_id=group_id,
        ticket=ticket,
        member_id=str(row["member_id"]),
        month=month,
        due_to_date_paise=due,
        paid_paise=int(row["paid_paise"]),
        arrears_paise=max(0, due - int(row["paid_paise"])),
        instalment_paise=due - before,
        won_month=int(row["won_month"]),
    )


def member_dues(state: State, member_id: str) -> list[TicketDues]:
    """Dues of every ticket the member holds now, by group and ticket."""
    held = [
        (str(row["group_id"]), int(row["ticket"]))
        for row in state.rows(base.TICKETS).values()
        if row["member_id"] == member_id
    ]
    return [ticket_dues(state, gid, ticket) for gid, ticket in sorted(held)]


def first_instalment_paise(state: State, group_id: str) -> int:
    """Month 1's instalment per ticket under the group's terms."""
    return net_instalment_paise(base.terms_of(base.group_row(state, group_id)), None, False)


@dataclass(frozen=True, slots=True)
class RecoveryCase:
    """A recovery case with its statutory timers surfaced as due dates (recovery.py)."""

    group_id: str
    ticket: int
    member_id: str
    case: int
    stage: str
    closed: bool
    opened_ms: int
    arrears_now_paise: int
    notice_due_ms: int | None  # serve notice within 14 days, while not yet served
    reinstatement_deadline_ms: int | None  # paying by then reinstates, once notice served
    refund_due_ms: int | None  # a non-prized defaulter's refund, once the group has ended


def recovery_cases(state: State, group_id: str | None = None) -> list[RecoveryCase]:
    """Recovery cases (of one group, or all), in key order."""
    out = []
    for key in sorted(state.rows(base.RECOVERIES)):
        row = state.rows(base.RECOVERIES)[key]
        if group_id is None or row["group_id"] == group_id:
            out.append(_case(state, row))
    return out


def _case(state: State, row: dict[str, Any]) -> RecoveryCase:
    gid, ticket_no = str(row["group_id"]), int(row["ticket"])
    group = base.group_row(state, gid)
    ticket = base.ticket_row(state, gid, ticket_no)
    stage = fsm.Stage(row["stage"])
    before_notice = stage in (fsm.Stage.MISSED, fsm.Stage.CONTACTED)
    notice_ms = row["notice_ms"]
    ended = group["closed_ms"]
    refund = ended is not None and not ticket["won_month"] and not row["closed"]
    return RecoveryCase(
        group_id=gid,
        ticket=ticket_no,
        member_id=str(row["member_id"]),
        case=int(row["case"]),
        stage=stage.value,
        closed=bool(row["closed"]),
        opened_ms=int(row["opened_ms"]),
        arrears_now_paise=base.arrears_paise(group, ticket),
        notice_due_ms=fsm.notice_due_ms(int(row["opened_ms"])) if before_notice else None,
        reinstatement_deadline_ms=(
            fsm.reinstatement_deadline_ms(int(notice_ms)) if notice_ms is not None else None
        ),
        refund_due_ms=fsm.refund_due_ms(int(ended)) if refund else None,
    )


def closeout_report(state: State, group_id: str) -> CloseoutReport:
    """chit_rules.closeout for a group whose months are all settled (else `incomplete_group`).

    Proves every ticket paid in and received what the rules say, to the paisa;
    it raises AssertionError if the books do not balance (a bug, never input).
    """
    group = base.group_row(state, group_id)
    if group["settled"] != group["months"]:
        raise RuleViolation("months remain to settle", code="incomplete_group")
    return base.closeout_of(state, group)


def auction_board(state: State, group_id: str, month: int) -> dict[str, Any]:
    """What members see of a draw: aliases for bidders, never ticket numbers."""
    auction = state.get(base.AUCTIONS, base.month_key(group_id, month))
    if auction is None:
        raise RuleViolation(f"month {month}'s draw is not open", code="no_open_auction")
    bids = [{"alias": b["alias"], "discount_paise": b["discount_paise"]} for b in auction["bids"]]
    board = {
        "group_id": group_id,
        "month": month,
        "status": auction["status"],
        "ends_ms": auction["ends_ms"],
        "best_paise": auction["best_paise"],
        "bids": bids,
    }
    if "lot" in auction:  # lot v2: the draw's state, for the foreman's screen
        board["draw"] = draw_state(auction)
    return board


def draw_state(auction: dict[str, Any]) -> dict[str, Any]:
    """A commit-reveal draw as people see it: committed, who contributed, the reveal.

    `waiting` names what the draw waits for: "contributions" (open, none yet), "close",
    "reveal" (closed: only the holder's secret is missing, and nothing else can move
    the draw), or "" once drawn.
    """
    lot = auction["lot"]
    contributors = [str(c["member"]) for c in lot["contributions"]]
    if auction["status"] == "drawing":
        waiting = "reveal"
    elif lot["secret"] is not None or auction["status"] == "closed":
        waiting = ""
    else:
        waiting = "close" if contributors else "contributions"
    return {
        "commit": lot["commit"],
        "contributors": contributors,
        "own_devices": sum(1 for c in lot["contributions"] if c["own_device"]),
        "revealed": lot["secret"] is not None,
        "waiting": waiting,
        "closed_ms": auction["closed_ms"],
    }


def stalled_draws(state: State) -> list[dict[str, Any]]:
    """Draws closed and awaiting the holder's reveal, oldest first (issue 14, point 2):
    the month cannot settle, and nothing but the committed secret can settle it."""
    out = []
    for auction in state.rows(base.AUCTIONS).values():
        if auction["status"] == "drawing":
            out.append({"group_id": auction["group_id"], "month": auction["month"]})
            out[-1].update(draw_state(auction))
    return sorted(out, key=lambda d: (int(d["closed_ms"] or 0), str(d["group_id"])))


def settlement_preview(state: State, group_id: str, month: int, discount_paise: int) -> Settlement:
    """chit_rules.settle under the group's terms: the numbers a foreman shows before closing."""
    return settle(base.terms_of(base.group_row(state, group_id)), discount_paise, month)


def balances_total_paise(state: State) -> int:
    """Sum of every account (G1: always 0)."""
    return sum(int(row["paise"]) for row in state.rows(BALANCES).values())


def negative_accounts(state: State) -> list[str]:
    """Accounts below zero other than ext: contra accounts (G2: always empty)."""
    rows = state.rows(BALANCES)
    return sorted(
        a for a, r in rows.items() if int(r["paise"]) < 0 and not a.startswith(EXTERNAL_PREFIX)
    )


def group_books(state: State, group_id: str) -> dict[str, int]:
    """The group's accounts: pool, commission, dividend (paise)."""
    return {
        "pool": state.balance(base.pool_account(group_id)),
        "commission": state.balance(base.commission_account(group_id)),
        "dividend": state.balance(base.dividend_account(group_id)),
    }


terms_hash = base.terms_hash
minutes_hash = base.minutes_hash
minutes_document = base.minutes_document
agreement_document = base.agreement_document
payout_safe = base.payout_safe
