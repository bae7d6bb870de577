"""The member's phone: home, the agreement, the inbox, and the integrity badge.

Pure functions of a `Reading` (or of its `State`) and the logged-in member's id; each
returns a frozen dataclass of what the screen shows, and each command builder returns
`(kind, body)` for `SessionView.submit` (the gate stamps `actor`; the kernel judges).
Money stays int paise here and dates int ms: the view formats them in the session's
language (ui/fmt.py). Passbook, loans and wallet live in their own modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain.chit_kinds_auction import OPEN
from chitnode.domain.state import State
from ui import fmt, limits
from ui.backend import Reading

# --- the member's groups and tickets ----------------------------------------------------


def member_name(state: State, member_id: str) -> str:
    """The member's registered name; `unknown_member` for a stranger."""
    return str(base.member_row(state, member_id)["name"])


def my_tickets(state: State, member_id: str) -> list[dict[str, Any]]:
    """The ticket rows the member holds now, by group and ticket."""
    rows = state.rows(base.TICKETS)
    held = [row for row in rows.values() if row["member_id"] == member_id]
    return sorted(held, key=lambda r: (str(r["group_id"]), int(r["ticket"])))


def my_group_ids(state: State, member_id: str) -> list[str]:
    return sorted({str(t["group_id"]) for t in my_tickets(state, member_id)})


@dataclass(frozen=True, slots=True)
class TicketLine:
    """One ticket on the home screen: its state as a chip and what to pay by when."""

    group_id: str
    group_name: str
    ticket: int
    status: str  # a theme.STATUS_LOOKS name: paid | due | in_arrears | prized | defaulted | pending
    month: int  # the month whose instalment is due now (0 while forming)
    months: int
    pay_paise: int  # this month's instalment still unpaid
    pay_by_ms: int  # this month's instalment is late after this (the grace period's end)
    arrears_paise: int  # earlier months still unpaid
    won_month: int


def _ticket_line(state: State, group: Mapping[str, Any], ticket: Mapping[str, Any]) -> TicketLine:
    gid, number = str(group["group_id"]), int(ticket["ticket"])
    month = base.current_month(group)
    won = int(ticket["won_month"])
    if month == 0:  # forming: nothing due before the start
        return TicketLine(
            gid, str(group["name"]), number, "pending", 0, int(group["months"]), 0, 0, 0, won
        )
    paid = int(ticket["paid_paise"])
    before = base.dues_through_paise(group, ticket, month - 1)
    now = base.dues_through_paise(group, ticket, month)
    arrears = max(0, before - paid)
    pay = max(0, now - max(paid, before))
    starts = group["month_starts_ms"]
    pay_by = int(starts[month - 1]) + int(group["grace_days"]) * base.DAY_MS if starts else 0
    defaulted = ticket.get("removal") is not None or _open_case(state, gid, number)
    if defaulted:
        status = "defaulted"
    elif arrears:
        status = "in_arrears"
    elif pay:
        status = "due"
    elif won:
        status = "prized"
    else:
        status = "paid"
    months = int(group["months"])
    return TicketLine(
        gid, str(group["name"]), number, status, month, months, pay, pay_by, arrears, won
    )


def _open_case(state: State, gid: str, ticket: int) -> bool:
    return any(
        row["group_id"] == gid and int(row["ticket"]) == ticket and not row["closed"]
        for row in state.rows(base.RECOVERIES).values()
    )


@dataclass(frozen=True, slots=True)
class Meeting:
    group_id: str
    group_name: str
    month: int
    day_ms: int  # the start of the meeting's day in the app's zone


@dataclass(frozen=True, slots=True)
class OpenAuction:
    group_id: str
    group_name: str
    month: int
    ends_ms: int


@dataclass(frozen=True, slots=True)
class Badge:
    """The integrity badge: what the node recorded of its last check of its own log."""

    status: str  # "ok" | "failed" | "never"
    checked_ms: int  # 0 when never checked


@dataclass(frozen=True, slots=True)
class Home:
    member_id: str
    name: str
    tickets: tuple[TicketLine, ...]  # running and forming groups; closed ones are history
    pay_paise: int  # this month, over every ticket
    pay_by_ms: int  # the earliest date among the tickets that owe this month (0: none)
    arrears_paise: int
    next_meeting: Meeting | None
    open_auctions: tuple[OpenAuction, ...]
    to_sign: int  # agreements waiting for my signature
    to_attest: int  # minutes waiting for my attestation
    badge: Badge


def next_meeting_day_ms(meeting_day: int, now_ms: int) -> int:
    """The start (in the app's zone) of the next day numbered `meeting_day`, today included."""
    today = datetime.fromtimestamp(now_ms // fmt.MS_PER_SECOND, fmt.zone()).date()
    year, month = today.year, today.month
    if today.day > meeting_day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = datetime(year, month, meeting_day, tzinfo=fmt.zone())
    return int(day.timestamp()) * fmt.MS_PER_SECOND


def build_home(r: Reading, member_id: str, integrity: Mapping[str, Any] | None = None) -> Home:
    """The home screen of `member_id`; `integrity` is the node's record of its last check."""
    state = r.state
    name = member_name(state, member_id)
    lines: list[TicketLine] = []
    meetings: list[Meeting] = []
    auctions: list[OpenAuction] = []
    for gid in my_group_ids(state, member_id):
        group = base.group_row(state, gid)
        if group["status"] == base.CLOSED:
            continue
        for ticket in my_tickets(state, member_id):
            if ticket["group_id"] == gid:
                lines.append(_ticket_line(state, group, ticket))
        if group["status"] != base.RUNNING:
            continue
        month = base.current_month(group)
        auction = state.get(base.AUCTIONS, base.month_key(gid, month))
        if auction is not None and auction["status"] == OPEN:
            auctions.append(OpenAuction(gid, str(group["name"]), month, int(auction["ends_ms"])))
        elif auction is None:
            day = next_meeting_day_ms(int(group["meeting_day"]), r.now_ms)
            meetings.append(Meeting(gid, str(group["name"]), month, day))
    owing = [line for line in lines if line.pay_paise]
    return Home(
        member_id=member_id,
        name=name,
        tickets=tuple(lines),
        pay_paise=sum(line.pay_paise for line in lines),
        pay_by_ms=min((line.pay_by_ms for line in owing), default=0),
        arrears_paise=sum(line.arrears_paise for line in lines),
        next_meeting=min(meetings, key=lambda m: (m.day_ms, m.group_id), default=None),
        open_auctions=tuple(auctions),
        to_sign=len(agreements_to_sign(state, member_id)),
        to_attest=len(minutes_to_attest(state, member_id)),
        badge=badge(integrity),
    )


# --- the integrity badge ------------------------------------------------------------------


def badge(record: Mapping[str, Any] | None) -> Badge:
    """The badge from the node's integrity record ({"ok": bool, "checked_ms": int}), if any."""
    if not record or not isinstance(record.get("checked_ms"), int):
        return Badge("never", 0)
    return Badge("ok" if record.get("ok") is True else "failed", int(record["checked_ms"]))


def check_due(record: Mapping[str, Any] | None, now_ms: int) -> bool:
    """Whether the node should check its log again (never per page view: once a period)."""
    last = badge(record)
    return last.status == "never" or now_ms - last.checked_ms >= limits.INTEGRITY_RECHECK_MS


# --- the agreement ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Agreement:
    """One group's chit agreement as the member reads it before signing."""

    group_id: str
    group_name: str
    terms_hash: str  # "" until the foreman publishes it
    signed_ms: int  # 0 while unsigned
    chit_value_paise: int
    tickets: int
    months: int
    subscription_paise: int
    commission_bps: int
    commission_on_top: bool
    max_discount_bps: int
    bid_increment_paise: int
    dividend_to_all: bool
    meeting_day: int
    grace_days: int
    penalty_interest_bps: int  # 0 when the agreement states none
    by_lot_first: bool  # the first month is drawn by lot (or goes to the foreman's ticket)

    @property
    def can_sign(self) -> bool:
        return bool(self.terms_hash) and not self.signed_ms


def agreement(state: State, member_id: str, group_id: str) -> Agreement:
    """The agreement of a group the member holds a ticket in (`not_subscriber` otherwise)."""
    group = base.group_row(state, group_id)
    base.need(member_id in base.holders(state, group), "not_subscriber", "no ticket here")
    doc = base.agreement_document(group)
    signature = state.get(base.SIGNATURES, f"{group_id}|{member_id}")
    return Agreement(
        group_id=group_id,
        group_name=str(group["name"]),
        terms_hash=str(group["agreement_hash"] or ""),
        signed_ms=int(signature["signed_ms"]) if signature else 0,
        chit_value_paise=int(doc["chit_value_paise"]),
        tickets=int(doc["tickets"]),
        months=int(doc["months"]),
        subscription_paise=int(doc["subscription_paise"]),
        commission_bps=int(doc["commission_bps"]),
        commission_on_top=doc["commission_mode"] == "on_top",
        max_discount_bps=int(doc["max_discount_bps"]),
        bid_increment_paise=int(doc["bid_increment_paise"]),
        dividend_to_all=doc["dividend_to"] == "all",
        meeting_day=int(doc["meeting_day"]),
        grace_days=int(doc["grace_days"]),
        penalty_interest_bps=int(doc.get("penalty_interest_bps", 0)),
        by_lot_first=doc["first_month"] != "auction",
    )


def agreements(state: State, member_id: str) -> tuple[Agreement, ...]:
    """The agreements of the member's groups not closed: unsigned ones first."""
    out = [
        agreement(state, member_id, gid)
        for gid in my_group_ids(state, member_id)
        if base.group_row(state, gid)["status"] != base.CLOSED
    ]
    return tuple(sorted(out, key=lambda a: (not a.can_sign, a.group_id)))


def agreements_to_sign(state: State, member_id: str) -> list[Agreement]:
    return [a for a in agreements(state, member_id) if a.can_sign]


def sign_command(member_id: str, item: Agreement) -> tuple[str, dict[str, Any]]:
    body = {"group_id": item.group_id, "member_id": member_id, "terms_hash": item.terms_hash}
    return "agreement.signed", body


# --- the inbox: things to sign, and what happened (no amounts: phones are shared) -------------


@dataclass(frozen=True, slots=True)
class MinutesToAttest:
    group_id: str
    group_name: str
    month: int
    minutes_hash: str
    won: bool  # I won this month's draw (else I was present)


def minutes_to_attest(state: State, member_id: str) -> list[MinutesToAttest]:
    """Closed draws of my open groups where I was present or won and have not attested."""
    out: list[MinutesToAttest] = []
    for gid in my_group_ids(state, member_id):
        group = base.group_row(state, gid)
        if group["status"] == base.CLOSED:
            continue  # the kernel takes attestations only in open groups
        for settled in base.settlement_rows(state, group):
            month = int(settled["month"])
            key = base.month_key(gid, month)
            auction = state.get(base.AUCTIONS, key)
            won = settled["winner_member"] == member_id
            if auction is None or not (won or member_id in auction["present"]):
                continue
            minutes = state.get(base.MINUTES, key) or {"attesters": []}
            if member_id in minutes["attesters"]:
                continue
            digest = base.minutes_hash(state, gid, month)
            out.append(MinutesToAttest(gid, str(group["name"]), month, digest, won))
    return sorted(out, key=lambda m: (m.group_id, -m.month))[: limits.INBOX_ITEMS_MAX]


def attest_command(member_id: str, item: MinutesToAttest) -> tuple[str, dict[str, Any]]:
    body = {
        "group_id": item.group_id,
        "month": item.month,
        "attester": member_id,
        "minutes_hash": item.minutes_hash,
    }
    return "minutes.attested", body
