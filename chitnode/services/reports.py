"""Reports over money (issue 4, part 6): a member's statement and the branch balance sheet.

Text for people (₹ with Indian digit grouping), CSV for spreadsheets (integer
paise, stdlib `csv`). The statement is built from the log, in fold order, so
every line carries the hash of the entry that made it (its reference, which
`chitnode log` and an auditor's export both show); the figures come from the
folded tables. The balance sheet is every account's balance, grouped, with the
G1 check that they sum to zero and the G2 check that no account outside
`ext:` is negative.

Sign convention of a statement line: `+` is money to the member or held for
them (a prize, a loan paid out, a transfer or deposit into their wallet, a
close-out refund), `-` is money from the member (a contribution, a loan
repayment, a transfer out of or a withdrawal from their wallet). Lines that
move no money (a loan application, an EMI falling due) carry 0.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import loan_views as lv
from chitnode.domain.apply import APPLIED
from chitnode.domain.chit_rules import DividendTo
from chitnode.domain.money import format_inr
from chitnode.domain.state import BALANCES, EXTERNAL_PREFIX, State
from chitnode.node.node import Node

# The wallet module's history table (wallet_kinds.WALLET_MOVES): one row per entry
# touching a wallet, keyed "<member_id>|<number>", with the entry's hash and kind.
WALLET_MOVES = "wallet_moves"

STATEMENT_CSV_FIELDS = (
    "ts_ms",
    "date_utc",
    "kind",
    "account",
    "description",
    "amount_paise",
    "ref",
)
BALANCE_CSV_FIELDS = ("group", "account", "balance_paise")


@dataclass(frozen=True, slots=True)
class LogItem:
    """An applied entry as the statement reads it (body only where a line needs it)."""

    hash: str
    kind: str
    ts_ms: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StatementLine:
    ts_ms: int
    kind: str
    account: str  # "chit G-1 #3", "loan L-7", "wallet"
    description: str
    amount_paise: int  # + to the member, - from the member, 0 for no money
    ref: str  # the entry hash


@dataclass(frozen=True, slots=True)
class Statement:
    member_id: str
    name: str
    lines: tuple[StatementLine, ...]

    @property
    def credits_paise(self) -> int:
        return sum(line.amount_paise for line in self.lines if line.amount_paise > 0)

    @property
    def debits_paise(self) -> int:
        return -sum(line.amount_paise for line in self.lines if line.amount_paise < 0)


# --- reading the log -------------------------------------------------------------------

CHIT_KINDS = frozenset(
    {"contribution.recorded", "prize.paid", "group.closed", "penalty.paid", "defaulter.refunded"}
)
LOAN_KINDS = frozenset(
    {
        "loan.applied",
        "loan.approved",
        "loan.rejected",
        "loan.sanctioned",
        "loan.disbursed",
        "loan.emi_due",
        "loan.repaid",
        "loan.overdue",
        "loan.recovery_moved",
    }
)
NO_BODY_KINDS = frozenset({"contribution.recorded"})  # the contributions table has it all


def applied_entries(node: Node, kinds: Iterable[str]) -> Iterator[LogItem]:
    """Applied entries of `kinds` in fold order, read in bounded batches."""
    wanted = set(kinds)
    if not wanted:
        return
    for row in node.store.placed_entries(kinds=wanted, status=APPLIED):
        body = {} if row.kind in NO_BODY_KINDS else json.loads(row.raw)["body"]
        yield LogItem(row.hash, row.kind, row.ts, body)


def _wallet_moves(state: State, member_id: str) -> dict[str, dict[str, Any]]:
    prefix = f"{member_id}|"
    return {
        str(row["hash"]): row
        for key, row in state.rows(WALLET_MOVES).items()
        if key.startswith(prefix)
    }


def statement_kinds(state: State, member_id: str) -> set[str]:
    """The kinds a member's statement reads: chit and loan kinds, and their wallet's kinds."""
    wallet = {str(row["kind"]) for row in _wallet_moves(state, member_id).values()}
    return set(CHIT_KINDS | LOAN_KINDS | wallet)


def member_statement(node: Node, member_id: str) -> Statement:
    """The member's statement from the node's log and folded state."""
    state = node.engine.state
    return build_statement(
        state, applied_entries(node, statement_kinds(state, member_id)), member_id
    )


# --- the statement (pure) ----------------------------------------------------------------

Liner = Callable[[State, LogItem, str], list[StatementLine]]


def _line(item: LogItem, account: str, description: str, amount_paise: int) -> StatementLine:
    return StatementLine(item.ts_ms, item.kind, account, description, amount_paise, item.hash)


def _ticket_account(gid: str, ticket: object) -> str:
    return f"chit {gid} #{ticket}"


def _contribution_lines(state: State, item: LogItem, member_id: str) -> list[StatementLine]:
    row = state.get(base.CONTRIBUTIONS, item.hash)
    if row is None or row["member_id"] != member_id:
        return []
    account = _ticket_account(str(row["group_id"]), row["ticket"])
    text = f"Contribution for month {row['month']}, receipt {row['receipt']}"
    return [_line(item, account, text, -int(row["amount_paise"]))]


def _prize_lines(state: State, item: LogItem, member_id: str) -> list[StatementLine]:
    gid, month = str(item.body["group_id"]), int(item.body["month"])
    settled = state.get(base.SETTLEMENTS, base.month_key(gid, month))
    if settled is None or settled["winner_member"] != member_id:
        return []
    account = _ticket_account(gid, settled["winner_ticket"])
    lines = [_line(item, account, f"Prize of month {month}", int(settled["prize_paise"]))]
    deducted = state.get(base.CONTRIBUTIONS, item.hash)  # the dues kept back, as a receipt
    if deducted is not None:
        text = f"Future dues deducted from the prize, receipt {deducted['receipt']}"
        lines.append(_line(item, account, text, -int(deducted["amount_paise"])))
    for netted in settled.get("loans_netted", []):  # the lien on the ticket (s.14)
        text = (
            f"Settled from the prize of month {month}: principal "
            f"{format_inr(int(netted['principal_paise']))}, interest "
            f"{format_inr(int(netted['interest_paise']))}"
        )
        lines.append(_line(item, f"loan {netted['loan_id']}", text, -int(netted["amount_paise"])))
    return lines


def _final_share_lines(
    state: State, item: LogItem, gid: str, member_id: str
) -> list[StatementLine]:
    """The last month's share of discount: no next instalment to credit, so paid in cash
    at close-out (chit_rules.closeout), one line per ticket the member holds."""
    group = base.group_row(state, gid)
    last = base.settlement_rows(state, group)[-1]
    others = base.terms_of(group).dividend_to == DividendTo.OTHERS
    share = int(last["per_ticket_dividend_paise"])
    lines = []
    for row in base.ticket_rows(state, group):
        winner = int(row["ticket"]) == int(last["winner_ticket"])
        if row["member_id"] != member_id or not share or (others and winner):
            continue
        text = f"Close-out: final share of discount, month {last['month']}, paid in cash"
        lines.append(_line(item, _ticket_account(gid, row["ticket"]), text, share))
    return lines


def _closeout_lines(state: State, item: LogItem, member_id: str) -> list[StatementLine]:
    gid = str(item.body["group_id"])
    closeout = state.get(base.CLOSEOUTS, gid)
    if closeout is None:
        return []
    lines = _final_share_lines(state, item, gid, member_id)
    for ticket, refund in sorted(closeout["refunds_paise"].items(), key=lambda kv: int(kv[0])):
        row = state.get(base.TICKETS, base.ticket_key(gid, int(ticket)))
        if row is not None and row["member_id"] == member_id and int(refund):
            text = "Close-out: balance refunded"
            lines.append(_line(item, _ticket_account(gid, ticket), text, int(refund)))
    for ticket, share in sorted(closeout.get("loan_interest_paise", {}).items()):
        row = state.get(base.TICKETS, base.ticket_key(gid, int(ticket)))
        if row is not None and row["member_id"] == member_id:  # s.14: the group's money earned it
            text = "Close-out: share of interest on loans of the group's money"
            lines.append(_line(item, _ticket_account(gid, ticket), text, int(share)))
    return lines


def _loan_text(state: State, item: LogItem, loan: dict[str, Any]) -> tuple[str, int]:
    """Description and signed amount of one loan entry."""
    kind, body = item.kind, item.body
    if kind == "loan.applied":
        rate = int(loan["annual_rate_bps"])
        return (
            f"Applied: {format_inr(int(loan['amount_paise']))} over {loan['tenure_months']} "
            f"months at {rate // 100}.{rate % 100:02d}% (EMI {format_inr(int(loan['emi_paise']))})"
            f" for {loan['purpose']}",
            0,
        )
    if kind in ("loan.approved", "loan.rejected"):
        verb = "Approved" if kind == "loan.approved" else "Rejected"
        return f"{verb}: {body['reason']}", 0
    if kind == "loan.sanctioned":
        return f"Sanctioned from {body['scope']}", 0
    if kind == "loan.disbursed":
        tranche = next(t for t in loan["tranches"] if t["hash"] == item.hash)
        return f"Disbursed to {tranche['to']}", int(tranche["amount_paise"])
    if kind == "loan.emi_due":
        month = int(body["month"])
        fallen = int(loan["dues_paise"][month - 1])
        return f"EMI {month} fell due: {format_inr(fallen)}", 0
    if kind == "loan.repaid":
        r = state.get(lv.LOAN_REPAYMENTS, item.hash) or {}
        parts = (
            f"interest {format_inr(int(r['interest_paise']))}, principal "
            f"{format_inr(int(r['principal_paise']))}, early "
            f"{format_inr(int(r['early_principal_paise']))}"
        )
        return f"Repayment: {parts}", -int(r["amount_paise"])
    if kind == "loan.recovery_moved":
        return f"Recovery case moved to {body['to']}: {body['note']}", 0
    return f"Recovery case opened: {body['note']}", 0  # loan.overdue


def _loan_lines(state: State, item: LogItem, member_id: str) -> list[StatementLine]:
    loan = state.get(lv.LOANS, str(item.body.get("loan_id", "")))
    if loan is None or loan["member_id"] != member_id:
        return []
    text, amount = _loan_text(state, item, loan)
    return [_line(item, f"loan {loan['loan_id']}", text, amount)]


def _default_lines(state: State, item: LogItem, member_id: str) -> list[StatementLine]:
    """Penalty interest paid by the ticket's holder at the time, and a removed defaulter's
    refund from the separate account (docs/chit-rules.md, "Defaulters")."""
    gid, ticket_no = str(item.body["group_id"]), int(item.body["ticket"])
    account, amount = _ticket_account(gid, ticket_no), int(item.body["amount_paise"])
    if item.kind == "defaulter.refunded":
        if item.body["member_id"] != member_id:
            return []
        return [_line(item, account, "Refund of contributions held apart (s.30)", amount)]
    ticket = state.get(base.TICKETS, base.ticket_key(gid, ticket_no)) or {"holders": []}
    holders = [h for h in ticket["holders"] if int(h["since_ms"]) <= item.ts_ms]
    if not holders or holders[-1]["member_id"] != member_id:
        return []
    return [_line(item, account, "Penalty interest on late instalments", -amount)]


LINERS: dict[str, Liner] = {
    "contribution.recorded": _contribution_lines,
    "penalty.paid": _default_lines,
    "defaulter.refunded": _default_lines,
    "prize.paid": _prize_lines,
    "group.closed": _closeout_lines,
    **{kind: _loan_lines for kind in LOAN_KINDS},
}


def _wallet_line(item: LogItem, move: dict[str, Any]) -> StatementLine:
    other = str(move.get("counterparty", ""))
    amount = int(move["amount_paise"])
    text = item.kind if not other else f"{item.kind} {'from' if amount > 0 else 'to'} {other}"
    if move.get("note"):
        text += f" ({move['note']})"
    return _line(item, "wallet", text, amount)


def build_statement(state: State, entries: Iterable[LogItem], member_id: str) -> Statement:
    """The member's timeline: every chit, loan and wallet line, in fold order."""
    member = base.member_row(state, member_id)
    moves = _wallet_moves(state, member_id)
    lines: list[StatementLine] = []
    for item in entries:
        liner = LINERS.get(item.kind)
        if liner is not None:  # a loan paid into the wallet shows once, as the loan's line
            lines.extend(liner(state, item, member_id))
        elif item.hash in moves:
            lines.append(_wallet_line(item, moves[item.hash]))
    return Statement(member_id, str(member["name"]), tuple(lines))


# --- the balance sheet (pure) ----------------------------------------------------------------

# (heading, account prefixes), in the order printed; an account matches the first group.
BALANCE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Members' wallets", ("wallet:",)),
    ("Withdrawals held for the bank", ("hold:",)),
    ("Group pools and dividends", ("pool:", "dividend:")),
    ("Foreman's commission", ("commission:",)),
    ("Groups' interest on loans of their money (s.14)", (lv.LOAN_INTEREST_PREFIX,)),
    ("Foreman's penalty interest and deductions", ("penalty:",)),  # s.14(1): not chit money
    ("Defaulters' contributions held apart (s.30)", ("defaulters:",)),
    ("Treasury", ("treasury:",)),
    ("Loans receivable", (lv.LOAN_ACCOUNT_PREFIX,)),
    ("External (contra accounts)", (EXTERNAL_PREFIX,)),
)
OTHER_GROUP = "Other"


@dataclass(frozen=True, slots=True)
class BalanceGroup:
    heading: str
    accounts: tuple[tuple[str, int], ...]

    @property
    def total_paise(self) -> int:
        return sum(paise for _, paise in self.accounts)


@dataclass(frozen=True, slots=True)
class BalanceSheet:
    groups: tuple[BalanceGroup, ...]
    negative: tuple[str, ...]  # G2: accounts outside ext: below zero (always empty)

    @property
    def total_paise(self) -> int:
        return sum(group.total_paise for group in self.groups)

    @property
    def balanced(self) -> bool:
        """G1: every posting sums to zero, so every account together does too."""
        return self.total_paise == 0 and not self.negative


def _heading(account: str) -> str:
    for heading, prefixes in BALANCE_GROUPS:
        if account.startswith(prefixes):
            return heading
    return OTHER_GROUP


def balance_sheet(state: State) -> BalanceSheet:
    """Every account's balance, grouped; accounts at zero are left out."""
    grouped: dict[str, list[tuple[str, int]]] = {}
    rows = state.rows(BALANCES)
    for account in sorted(rows):
        paise = int(rows[account]["paise"])
        if paise:
            grouped.setdefault(_heading(account), []).append((account, paise))
    order = [heading for heading, _ in BALANCE_GROUPS] + [OTHER_GROUP]
    groups = tuple(BalanceGroup(h, tuple(grouped[h])) for h in order if h in grouped)
    negative = tuple(
        a
        for a, r in sorted(rows.items())
        if int(r["paise"]) < 0 and not a.startswith(EXTERNAL_PREFIX)
    )
    return BalanceSheet(groups, negative)


# --- text and CSV ---------------------------------------------------------------------------


def _date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _money(paise: int) -> str:
    return "—" if paise == 0 else format_inr(paise) if paise < 0 else f"+{format_inr(paise)}"


def statement_text(statement: Statement) -> str:
    """The statement for people: one line per event, amounts in ₹, short references."""
    out = [f"Statement of {statement.name} ({statement.member_id})", ""]
    for line in statement.lines:
        out.append(
            f"{_date(line.ts_ms)}  {line.account:<18} {_money(line.amount_paise):>16}  "
            f"{line.description}  [ref {line.ref[:12]}]"
        )
    if not statement.lines:
        out.append("(no entries)")
    out += [
        "",
        f"Received or credited  {format_inr(statement.credits_paise):>16}",
        f"Paid or debited       {format_inr(statement.debits_paise):>16}",
    ]
    return "\n".join(out) + "\n"


def write_statement_csv(statement: Statement, out: TextIO) -> int:
    """One row per line, amounts in integer paise, full entry hashes; returns rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATEMENT_CSV_FIELDS)
    for line in statement.lines:
        writer.writerow(
            [
                line.ts_ms,
                datetime.fromtimestamp(line.ts_ms / 1000, tz=UTC).isoformat(),
                line.kind,
                line.account,
                line.description,
                line.amount_paise,
                line.ref,
            ]
        )
    return len(statement.lines)


def balance_sheet_text(sheet: BalanceSheet) -> str:
    out = ["Branch balance sheet", ""]
    for group in sheet.groups:
        out.append(f"{group.heading}")
        for account, paise in group.accounts:
            out.append(f"  {account:<40} {format_inr(paise):>20}")
        out.append(f"  {'subtotal':<40} {format_inr(group.total_paise):>20}")
        out.append("")
    out.append(
        f"{'Sum of every account (G1: must be zero)':<42} {format_inr(sheet.total_paise):>20}"
    )
    if sheet.negative:
        out.append(f"NEGATIVE accounts (G2 broken): {', '.join(sheet.negative)}")
    out.append("Balanced" if sheet.balanced else "NOT BALANCED")
    return "\n".join(out) + "\n"


def write_balance_sheet_csv(sheet: BalanceSheet, out: TextIO) -> int:
    """group, account, balance_paise; a subtotal row per group and a final TOTAL row."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BALANCE_CSV_FIELDS)
    rows = 0
    for group in sheet.groups:
        for account, paise in group.accounts:
            writer.writerow([group.heading, account, paise])
            rows += 1
        writer.writerow([group.heading, "subtotal", group.total_paise])
    writer.writerow(["TOTAL", "", sheet.total_paise])
    return rows
