"""The foreman's home and one group's page, as display-ready values (no flet here).

`home(reading)` answers what the foreman asks on opening the laptop: which branch, what
this device may do (its role, and per group whether it holds the group's lease, the
coordination-v1 right to run the group's meeting), how each group stands (month N of M,
pool, tickets paid this month, open defaults, commission earned) and which meetings are
due today. `group_page(reading, gid)` lists one group's tickets with a status each
(paid, due, in arrears, prized, defaulted) and, while it forms, who has signed.

Everything is read from the fold through the kernel's read models (chit_views); no rule
is decided here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views as views
from chitnode.domain.chit_kinds_auction import CLOSED as AUCTION_CLOSED
from chitnode.domain.kernel_kinds import electorate, latest_grant
from chitnode.domain.state import State
from ui import fmt, limits
from ui.backend import Reading

# Lease states of one group's scope, as this device sees them (catalogue "foreman.lease.<x>").
LEASE_HELD = "held"  # this device holds the group's lease: it runs the meeting
LEASE_ON_DEMAND = "on_demand"  # this device alone elects: it takes the lease on the first act
LEASE_ELSEWHERE = "elsewhere"  # another device holds the latest term
LEASE_ELECTION = "election"  # several devices elect: a vote is needed before a meeting
LEASE_NOT_ELECTOR = "not_elector"  # this device may not hold the group's lease at all

# Meeting states (catalogue "foreman.meeting.<x>").
MEETING_NONE = "none"  # forming or closed: no draw to hold
MEETING_OPEN = "open"  # this month's auction is open or drawing: the meeting is on
MEETING_TODAY = "today"
MEETING_OVERDUE = "overdue"
MEETING_LATER = "later"

# Ticket statuses: the keys of ui.theme.STATUS_LOOKS.
PAID, DUE, IN_ARREARS, PRIZED, DEFAULTED, PENDING = (
    "paid",
    "due",
    "in_arrears",
    "prized",
    "defaulted",
    "pending",
)
SIGNED = "settled"  # a forming group's holder who signed: done, nothing owed yet


@dataclass(frozen=True, slots=True)
class GroupLine:
    """One group on the home screen."""

    group_id: str
    name: str
    status: str  # forming | running | closed
    month: int  # the month whose instalment is due now (0 while forming)
    months: int
    months_done: int
    tickets: int
    tickets_paid: int  # tickets with no arrears
    pool_paise: int
    collected_this_month_paise: int
    active_defaults: int
    commission_earned_paise: int
    lease: str  # LEASE_*
    lease_term: int  # the term this device holds, 0 if none
    meeting: str  # MEETING_*
    meeting_ms: int  # the day (local midnight) of the next draw, 0 if none
    signed: int  # while forming: holders who signed the published agreement
    holders: int


@dataclass(frozen=True, slots=True)
class Home:
    branch_id: str
    branch_name: str
    device_role: str
    device_key: str
    now_ms: int
    groups: tuple[GroupLine, ...]
    meetings_today: tuple[str, ...]  # group ids whose draw is due today, overdue or on now
    members: int
    kyc_pending: int
    pool_total_paise: int
    collected_this_month_paise: int
    active_defaults: int
    commission_total_paise: int


def lease_of(state: State, gid: str, device_key: str) -> tuple[str, int]:
    """(LEASE_*, the term this device holds or 0) for group `gid`'s scope: who holds the
    latest granted term, if its holder still holds it (not released or handed over)."""
    scope = f"group:{gid}"
    keys, _ = electorate(state, scope)
    granted = latest_grant(state, scope)
    if granted is not None:
        latest, holder, _ = granted
        lease = state.get("leases", f"{scope}|{holder}")
        if lease is not None and lease["status"] == "held" and int(lease["term"]) == latest:
            if holder == device_key:
                return LEASE_HELD, latest
            if device_key in keys:
                return LEASE_ELSEWHERE, 0
    if device_key not in keys:
        return LEASE_NOT_ELECTOR, 0
    return (LEASE_ON_DEMAND, 0) if keys == [device_key] else (LEASE_ELECTION, 0)


def _local_day(ms: int) -> datetime:
    zone = fmt.zone(limits.APP_TIME_ZONE)
    moment = datetime.fromtimestamp(ms / 1000, tz=zone)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def meeting_day_ms(group: dict[str, object], month: int) -> int:
    """Local midnight of month `month`'s draw: the first day on or after the month began
    whose day of the month is the agreement's meeting day (1..28, so every month has it)."""
    starts = group["month_starts_ms"]
    assert isinstance(starts, list) and 0 < month <= len(starts)
    day = _local_day(int(starts[month - 1]))
    wanted = int(str(group["meeting_day"]))
    if day.day > wanted:  # this month's meeting day has passed: the next month's
        day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return int(day.replace(day=wanted).timestamp() * 1000)


def meeting_of(state: State, group: dict[str, object], now_ms: int) -> tuple[str, int]:
    """(MEETING_*, the draw's day in ms) for a group's current month."""
    if group["status"] != base.RUNNING:
        return MEETING_NONE, 0
    month = base.current_month(group)
    if int(str(group["settled"])) >= month:  # every month drawn: only the close remains
        return MEETING_NONE, 0
    when = meeting_day_ms(group, month)
    auction = state.get(base.AUCTIONS, base.month_key(str(group["group_id"]), month))
    if auction is not None and auction.get("status") != AUCTION_CLOSED:
        return MEETING_OPEN, when
    today = int(_local_day(now_ms).timestamp() * 1000)
    if when == today:
        return MEETING_TODAY, when
    return (MEETING_OVERDUE if when < today else MEETING_LATER), when


def _signed(state: State, group: dict[str, object]) -> tuple[int, int]:
    gid = str(group["group_id"])
    holders = base.holders(state, group)
    signed = sum(1 for m in holders if state.get(base.SIGNATURES, f"{gid}|{m}") is not None)
    return signed, len(holders)


def group_line(reading: Reading, gid: str) -> GroupLine:
    state = reading.state
    group = base.group_row(state, gid)
    health = views.group_health(state, gid)
    lease, term = lease_of(state, gid, reading.device_key)
    meeting, when = meeting_of(state, group, reading.now_ms)
    signed, holders = _signed(state, group)
    return GroupLine(
        group_id=gid,
        name=health.name,
        status=health.status,
        month=health.month,
        months=int(group["months"]),
        months_done=health.months_done,
        tickets=int(group["tickets"]),
        tickets_paid=health.tickets_paid,
        pool_paise=health.pool_paise,
        collected_this_month_paise=health.collected_this_month_paise,
        active_defaults=health.active_defaults,
        commission_earned_paise=health.commission_earned_paise,
        lease=lease,
        lease_term=term,
        meeting=meeting,
        meeting_ms=when,
        signed=signed,
        holders=holders,
    )


# Groups on the home screen: running first (meetings due first), then forming, then closed.
_STATUS_ORDER = {base.RUNNING: 0, base.FORMING: 1, base.CLOSED: 2}
_MEETING_ORDER = {MEETING_OPEN: 0, MEETING_OVERDUE: 1, MEETING_TODAY: 2}


def _order(line: GroupLine) -> tuple[int, int, int, str]:
    return (
        _STATUS_ORDER.get(line.status, 3),
        _MEETING_ORDER.get(line.meeting, 3),
        line.meeting_ms,
        line.group_id,
    )


def home(reading: Reading) -> Home:
    state = reading.state
    lines = sorted((group_line(reading, gid) for gid in state.rows(base.GROUPS)), key=_order)
    members = state.rows(base.MEMBERS).values()
    due = (MEETING_OPEN, MEETING_TODAY, MEETING_OVERDUE)
    open_lines = [line for line in lines if line.status != base.CLOSED]
    return Home(
        branch_id=reading.branch_id,
        branch_name=reading.branch_name,
        device_role=reading.device_role,
        device_key=reading.device_key,
        now_ms=reading.now_ms,
        groups=tuple(lines),
        meetings_today=tuple(line.group_id for line in lines if line.meeting in due),
        members=len(members),
        kyc_pending=sum(1 for m in members if m["kyc"] == base.KYC_SUBMITTED),
        pool_total_paise=sum(line.pool_paise for line in open_lines),
        collected_this_month_paise=sum(line.collected_this_month_paise for line in open_lines),
        active_defaults=sum(line.active_defaults for line in lines),
        commission_total_paise=sum(line.commission_earned_paise for line in lines),
    )


# --- one group ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketLine:
    ticket: int
    member_id: str
    name: str
    status: str  # PAID | DUE | IN_ARREARS | PRIZED | DEFAULTED; forming: SIGNED | PENDING
    arrears_paise: int
    won_month: int
    signed: bool  # the holder signed the agreement


@dataclass(frozen=True, slots=True)
class MonthLine:
    """One settled month of a group: its draw and its prize (Act s.17: the minutes)."""

    month: int
    winner_ticket: int
    winner_name: str
    by_lot: bool
    discount_paise: int
    prize_paise: int
    dividend_paise: int  # each ticket's share of the discount
    next_instalment_paise: int
    prize_paid: bool


@dataclass(frozen=True, slots=True)
class GroupPage:
    line: GroupLine
    chit_value_paise: int
    first_instalment_paise: int
    agreement_hash: str  # "" until published
    tickets: tuple[TicketLine, ...]
    free_tickets: tuple[int, ...]  # ticket numbers without a holder (forming)
    unsigned: tuple[str, ...]  # holders yet to sign a published agreement
    months: tuple[MonthLine, ...] = ()  # settled months, newest first


def month_lines(state: State, group: Mapping[str, Any]) -> tuple[MonthLine, ...]:
    """The group's settled months, newest first, from the fold's settlement rows."""
    lines = [
        MonthLine(
            month=int(row["month"]),
            winner_ticket=int(row["winner_ticket"]),
            winner_name=member_name(state, str(row["winner_member"])),
            by_lot=bool(row.get("by_lot")),
            discount_paise=int(row["discount_paise"]),
            prize_paise=int(row["prize_paise"]),
            dividend_paise=int(row["per_ticket_dividend_paise"]),
            next_instalment_paise=int(row["next_instalment_paise"]),
            prize_paid=bool(row.get("prize_paid")),
        )
        for row in base.settlement_rows(state, group)
    ]
    return tuple(sorted(lines, key=lambda m: -m.month))


def defaulted_tickets(state: State, gid: str) -> set[int]:
    open_cases = {c.ticket for c in views.recovery_cases(state, gid) if not c.closed}
    removed = {
        int(t["ticket"])
        for t in state.rows(base.TICKETS).values()
        if t["group_id"] == gid and t.get("removal") is not None
    }
    return open_cases | removed


def ticket_status(
    group: dict[str, object],
    ticket: dict[str, object],
    now_ms: int,
    *,
    signed: bool,
    defaulted: bool,
) -> str:
    """The one word a ticket's chip shows; the worst of what is true of it. `defaulted`:
    an open recovery case or a removal (`defaulted_tickets`, read once per group)."""
    if group["status"] == base.FORMING:
        return SIGNED if signed else PENDING
    if defaulted:
        return DEFAULTED
    if base.overdue_month(group, ticket, now_ms):
        return IN_ARREARS
    if base.arrears_paise(group, ticket):
        return DUE
    return PRIZED if int(str(ticket["won_month"])) else PAID


def member_name(state: State, member_id: str) -> str:
    row = state.get(base.MEMBERS, member_id)
    return str(row["name"]) if row is not None else member_id


def group_page(reading: Reading, gid: str) -> GroupPage:
    state = reading.state
    group = base.group_row(state, gid)
    rows = base.ticket_rows(state, group)
    defaulted = defaulted_tickets(state, gid)
    lines = []
    for row in rows:
        mid = str(row["member_id"])
        signed = state.get(base.SIGNATURES, f"{gid}|{mid}") is not None
        lines.append(
            TicketLine(
                ticket=int(row["ticket"]),
                member_id=mid,
                name=member_name(state, mid),
                status=ticket_status(
                    group,
                    row,
                    reading.now_ms,
                    signed=signed,
                    defaulted=int(row["ticket"]) in defaulted,
                ),
                arrears_paise=base.arrears_paise(group, row)
                if group["status"] != base.FORMING
                else 0,
                won_month=int(row["won_month"]),
                signed=signed,
            )
        )
    taken = {line.ticket for line in lines}
    published = group["agreement_hash"] is not None
    return GroupPage(
        line=group_line(reading, gid),
        chit_value_paise=int(group["chit_value_paise"]),
        first_instalment_paise=views.first_instalment_paise(state, gid),
        agreement_hash=str(group["agreement_hash"] or ""),
        tickets=tuple(lines),
        free_tickets=tuple(n for n in range(1, int(group["tickets"]) + 1) if n not in taken),
        unsigned=tuple(
            sorted({line.member_id for line in lines if not line.signed}) if published else ()
        ),
        months=month_lines(state, group),
    )
