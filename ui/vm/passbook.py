"""The member's passbook: every contribution, prize, share of discount, loan disbursement
and EMI repayment, newest first, each with the reference a member can quote (UX.md rule 4:
the receipt number on the phone is the one on paper and in the log).

References: a contribution's receipt number ("UDP-2025-07/R00012"); a prize's bank
reference once paid, else the closing entry's hash; a share of discount the closing
entry's hash (the month's settlement); a loan tranche's bank reference or its entry's
hash; a repayment's bank reference or its entry's hash. Hashes are cut to
REF_HASH_CHARS: enough to find the entry with `chitnode log`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import loan_views as lv
from chitnode.domain.state import State
from ui import limits
from ui.backend import Reading
from ui.vm.member import member_name, my_tickets

CONTRIBUTION = "contribution"
PRIZE_DEDUCTION = "prize_deduction"  # a winner's dues kept back from the prize, with a receipt
PRIZE = "prize"
DIVIDEND = "dividend"  # the ticket's share of the month's discount
LOAN_DISBURSED = "loan_disbursed"
LOAN_REPAID = "loan_repaid"
KINDS = (CONTRIBUTION, PRIZE_DEDUCTION, PRIZE, DIVIDEND, LOAN_DISBURSED, LOAN_REPAID)
REF_HASH_CHARS = 12  # of an entry hash shown as a reference: unique enough to look it up


def short(digest: str) -> str:
    return digest[:REF_HASH_CHARS]


@dataclass(frozen=True, slots=True)
class Line:
    kind: str  # one of KINDS
    ts_ms: int
    amount_paise: int  # positive: what moved, in the direction the kind says
    group_id: str  # "" for a loan from the treasury
    month: int  # the chit month (0 when none)
    ticket: int  # 0 when none
    reference: str
    detail: str  # the loan id, or the payment's bank reference next to its receipt


@dataclass(frozen=True, slots=True)
class Passbook:
    member_id: str
    name: str
    lines: tuple[Line, ...]  # newest first, at most limits.PASSBOOK_LINES_MAX
    paid_in_paise: int  # every contribution line shown
    received_paise: int  # prizes and shares of discount shown


def _contributions(state: State, member_id: str) -> list[Line]:
    out = []
    for row in state.rows(base.CONTRIBUTIONS).values():
        if row["member_id"] != member_id:
            continue
        kind = PRIZE_DEDUCTION if row["source"] == PRIZE_DEDUCTION else CONTRIBUTION
        out.append(
            Line(
                kind=kind,
                ts_ms=int(row["ts_ms"]),
                amount_paise=int(row["amount_paise"]),
                group_id=str(row["group_id"]),
                month=int(row["month"]),
                ticket=int(row["ticket"]),
                reference=str(row["receipt"]),
                detail=str(row["bank_ref"]),
            )
        )
    return out


def _settlements(state: State, member_id: str) -> list[Line]:
    """Prizes won and shares of discount, from the months settled in my groups."""
    out = []
    tickets: dict[str, list[int]] = {}
    for ticket in my_tickets(state, member_id):
        tickets.setdefault(str(ticket["group_id"]), []).append(int(ticket["ticket"]))
    for gid, mine in sorted(tickets.items()):
        group = base.group_row(state, gid)
        to_all = group["dividend_to"] == "all"
        for row in base.settlement_rows(state, group):
            out += _settlement_lines(row, gid, mine, member_id, to_all)
    return out


def _settlement_lines(
    row: dict[str, Any], gid: str, mine: list[int], member_id: str, to_all: bool
) -> list[Line]:
    month, closed = int(row["month"]), int(row["closed_ms"] or 0)
    out = []
    winner = int(row["winner_ticket"])
    if row["winner_member"] == member_id:
        paid = bool(row["prize_paid"])
        ref = str(row.get("bank_ref") or "") if paid else ""
        out.append(
            Line(
                kind=PRIZE,
                ts_ms=int(row.get("paid_ms") or closed),
                amount_paise=int(row["prize_paise"]),
                group_id=gid,
                month=month,
                ticket=winner,
                reference=ref or short(str(row["close_hash"])),
                detail="paid" if paid else "",
            )
        )
    share = int(row["per_ticket_dividend_paise"])
    for ticket in mine:
        if share and (to_all or ticket != winner):
            out.append(
                Line(DIVIDEND, closed, share, gid, month, ticket, short(str(row["close_hash"])), "")
            )
    return out


def _loans(state: State, member_id: str) -> list[Line]:
    out = []
    for loan in lv.member_loans(state, member_id):
        gid = lv.pool_group_id(str(loan["pool"])) if loan["pool"] else ""
        for tranche in loan["tranches"]:
            ref = str(tranche["bank_ref"]) or short(str(tranche["hash"]))
            out.append(
                Line(
                    LOAN_DISBURSED,
                    int(tranche["ts_ms"]),
                    int(tranche["amount_paise"]),
                    gid,
                    0,
                    0,
                    ref,
                    str(loan["loan_id"]),
                )
            )
    for key, row in state.rows(lv.LOAN_REPAYMENTS).items():
        if row["member_id"] == member_id:
            ref = str(row["bank_ref"]) or short(key)
            out.append(
                Line(
                    LOAN_REPAID,
                    int(row["ts_ms"]),
                    int(row["amount_paise"]),
                    "",
                    0,
                    0,
                    ref,
                    str(row["loan_id"]),
                )
            )
    return out


def build_passbook(r: Reading, member_id: str) -> Passbook:
    state = r.state
    name = member_name(state, member_id)
    lines = [*_contributions(state, member_id), *_settlements(state, member_id)]
    lines += _loans(state, member_id)
    lines.sort(key=lambda line: (-line.ts_ms, KINDS.index(line.kind), line.reference))
    shown = tuple(lines[: limits.PASSBOOK_LINES_MAX])
    return Passbook(
        member_id=member_id,
        name=name,
        lines=shown,
        paid_in_paise=sum(x.amount_paise for x in shown if x.kind == CONTRIBUTION),
        received_paise=sum(x.amount_paise for x in shown if x.kind in (PRIZE, DIVIDEND)),
    )
