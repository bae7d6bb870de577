"""The printable reports (issue 13): member list, loan portfolio, default summary, balance
sheet, a member's passbook, a group's closure statement, certified minutes of a month.

Each report is a pure function of the fold's `State` (and, where a deadline depends on
it, an `as_of_ms` the caller reads from its clock): a `Report` of titled tables with
integer paise, label/value facts, and the month-by-month series a chart draws. The
same `Report` is written as CSV here (`write_csv`: one section per table, paise as
integers, for spreadsheets and for checking sums) and as PDF by `report_pdf.write_pdf`;
the app's screens call the same functions. Nothing here reads a file or the clock.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from chitnode import limits
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views as views
from chitnode.domain import default_views as dv
from chitnode.domain import loan_views as lv
from chitnode.domain.money import format_inr
from chitnode.domain.state import State
from chitnode.domain.wallet_kinds import wallet_account
from chitnode.errors import RuleViolation
from chitnode.services import reports

Cell = str | int


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the CSV heading: money columns end in `_paise` and hold integers
    title: str  # the PDF heading
    money: bool = False  # paise: shown as ₹ with Indian grouping, right aligned


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: tuple[Cell, ...] | None = None  # a closing row: sums of the money columns

    def column(self, key: str) -> list[Cell]:
        at = [c.key for c in self.columns].index(key)
        return [row[at] for row in self.rows]


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    paise: tuple[int, ...]  # one value a month, in the chart's month order


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    months: tuple[str, ...]  # "2025-01", oldest first
    series: tuple[Series, ...]


@dataclass(frozen=True, slots=True)
class Report:
    name: str  # the CLI's name: "balance-sheet", "passbook", ...
    title: str
    facts: tuple[tuple[str, str], ...]  # label, value: printed under the title
    tables: tuple[Table, ...]
    charts: tuple[Chart, ...] = ()
    notes: tuple[str, ...] = ()  # sentences printed after the tables

    def table(self, title: str) -> Table:
        return next(t for t in self.tables if t.title == title)


def _money(key: str, title: str) -> Column:
    return Column(key, title, money=True)


def _totals(
    columns: Sequence[Column], rows: Iterable[Sequence[Cell]], label: str
) -> tuple[Cell, ...]:
    """A total row: the label in the first column, sums under money columns, blanks elsewhere."""
    listed = list(rows)
    out: list[Cell] = []
    for at, column in enumerate(columns):
        if column.money:
            out.append(sum(int(row[at]) for row in listed))
        else:
            out.append(label if at == 0 else "")
    return tuple(out)


def _table(
    title: str, columns: Sequence[Column], rows: Iterable[Sequence[Cell]], *, total: bool = True
) -> Table:
    cells = tuple(tuple(row) for row in rows)
    return Table(title, tuple(columns), cells, _totals(columns, cells, "Total") if total else None)


def date_utc(ms: int | None) -> str:
    return "" if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")


def _month_of(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m")


def _chart(title: str, named: dict[str, dict[str, int]]) -> Chart:
    """Series by calendar month (UTC), the last `REPORT_CHART_MONTHS_MAX` months that have any."""
    months = sorted({m for by_month in named.values() for m in by_month})
    months = months[-limits.REPORT_CHART_MONTHS_MAX :]
    series = tuple(
        Series(label, tuple(by_month.get(m, 0) for m in months))
        for label, by_month in named.items()
    )
    return Chart(title, tuple(months), series)


def _yes(flag: object) -> str:
    return "yes" if flag else "no"


# The columns most tables share.
GROUP = Column("group_id", "Group")
TICKET = Column("ticket", "Ticket")
MEMBER = Column("member_id", "Member")
MONTH = Column("month", "Month")
LOAN = Column("loan_id", "Loan")


# --- member list ------------------------------------------------------------------------


def _held_tickets(state: State) -> dict[str, list[dict[str, Any]]]:
    held: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key in sorted(state.rows(base.TICKETS)):
        row = state.rows(base.TICKETS)[key]
        held[str(row["member_id"])].append(row)
    return held


def _arrears(state: State, ticket: dict[str, Any]) -> int:
    return base.arrears_paise(base.group_row(state, str(ticket["group_id"])), ticket)


def member_list(state: State) -> Report:
    """Every member: KYC, tickets held, arrears, loans outstanding, wallet."""
    held = _held_tickets(state)
    outstanding: dict[str, int] = defaultdict(int)
    for loan_id in state.rows(lv.LOANS):
        summary = lv.loan_summary(state, loan_id)
        outstanding[summary.member_id] += summary.outstanding_paise
    columns = (
        MEMBER,
        Column("name", "Name"),
        Column("kyc", "KYC"),
        Column("tickets", "Tickets"),
        Column("groups", "Groups"),
        _money("arrears_paise", "Arrears"),
        _money("loans_outstanding_paise", "Loans outstanding"),
        _money("wallet_paise", "Wallet"),
    )
    members = state.rows(base.MEMBERS)
    rows = []
    for mid in sorted(members):
        tickets = held.get(mid, [])
        rows.append(
            (
                mid,
                str(members[mid]["name"]),
                str(members[mid]["kyc"]),
                len(tickets),
                " ".join(sorted({str(t["group_id"]) for t in tickets})),
                sum(_arrears(state, t) for t in tickets),
                outstanding.get(mid, 0),
                state.balance(wallet_account(mid)),
            )
        )
    pending = sum(1 for m in members.values() if m["kyc"] != base.KYC_APPROVED)
    facts = (("Members", str(len(members))), ("KYC not approved", str(pending)))
    return Report("members", "Member list", facts, (_table("Members", columns, rows),))


# --- loan portfolio ---------------------------------------------------------------------

LOAN_COLUMNS = (
    LOAN,
    MEMBER,
    Column("status", "Status"),
    Column("pool", "Funded from"),
    _money("amount_paise", "Amount"),
    _money("disbursed_paise", "Disbursed"),
    _money("emi_paise", "EMI"),
    _money("principal_repaid_paise", "Principal repaid"),
    _money("interest_paid_paise", "Interest paid"),
    _money("outstanding_paise", "Outstanding"),
    _money("arrears_paise", "Arrears"),
    Column("recovery_stage", "Recovery"),
)


def _loan_row(s: lv.LoanSummary) -> tuple[Cell, ...]:
    return (
        s.loan_id,
        s.member_id,
        s.status,
        s.pool,
        s.amount_paise,
        s.disbursed_paise,
        s.emi_paise,
        s.principal_repaid_paise,
        s.interest_paid_paise,
        s.outstanding_paise,
        s.arrears_paise,
        s.recovery_stage,
    )


def loan_portfolio(state: State) -> Report:
    """Every loan with its account, totals by status, and money lent and repaid by month."""
    summaries = [lv.loan_summary(state, loan_id) for loan_id in sorted(state.rows(lv.LOANS))]
    by_status: dict[str, int] = defaultdict(int)
    for s in summaries:
        by_status[s.status] += 1
    lent: dict[str, int] = defaultdict(int)
    repaid: dict[str, int] = defaultdict(int)
    for loan in state.rows(lv.LOANS).values():
        for tranche in loan["tranches"]:
            lent[_month_of(int(tranche["ts_ms"]))] += int(tranche["amount_paise"])
    for row in state.rows(lv.LOAN_REPAYMENTS).values():
        repaid[_month_of(int(row["ts_ms"]))] += int(row["amount_paise"])
    facts = (
        ("Loans", str(len(summaries))),
        ("By status", ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())) or "none"),
        ("Outstanding", format_inr(sum(s.outstanding_paise for s in summaries))),
        ("In arrears", format_inr(sum(s.arrears_paise for s in summaries))),
    )
    chart = _chart("Loans disbursed and repaid by month", {"Disbursed": lent, "Repaid": repaid})
    table = _table("Loans", LOAN_COLUMNS, (_loan_row(s) for s in summaries))
    return Report("loans", "Loan portfolio", facts, (table,), (chart,) if chart.months else ())


# --- default summary --------------------------------------------------------------------


def default_summary(state: State, as_of_ms: int) -> Report:
    """Tickets in default with the Act's deadlines, refunds due to removed defaulters,
    prizes not paid yet, and loans under recovery, as of `as_of_ms`."""
    board = dv.recovery_board(state, as_of_ms)
    cases = _table(
        "Tickets in default",
        (
            GROUP,
            TICKET,
            MEMBER,
            Column("prized", "Prized"),
            Column("stage", "Stage"),
            _money("arrears_paise", "Arrears"),
            _money("penalty_due_paise", "Penalty due"),
            Column("removed", "Removed"),
            Column("notice_due", "Notice due (s.28)"),
            Column("reinstate_by", "Reinstate by"),
            _money("demanded_paise", "Demanded (s.33)"),
        ),
        (
            (
                c.group_id,
                c.ticket,
                c.member_id,
                _yes(c.prized),
                c.recovery_stage or "-",
                c.arrears_paise,
                c.penalty_due_paise,
                date_utc(c.removed_ms),
                date_utc(c.notice_due_ms if c.notice_ms is None else None),
                date_utc(c.reinstatement_deadline_ms),
                c.demanded_paise,
            )
            for c in board.cases
        ),
    )
    refunds = _table(
        "Refunds to removed defaulters (s.30)",
        (
            GROUP,
            TICKET,
            MEMBER,
            Column("substituted", "Substituted"),
            _money("refundable_paise", "Refundable"),
            _money("deposited_paise", "Deposited apart"),
            _money("refunded_paise", "Refunded"),
            Column("refund_due", "Refund due"),
        ),
        (
            (
                r.group_id,
                r.ticket,
                r.member_id,
                _yes(r.substituted),
                r.refundable_paise,
                r.deposited_paise,
                r.refunded_paise,
                date_utc(r.refund_due_ms),
            )
            for r in board.refunds
        ),
    )
    unpaid = [p for p in board.prizes if not p.paid]
    prizes = _table(
        "Prizes not paid (s.22)",
        (
            GROUP,
            MONTH,
            TICKET,
            Column("member_id", "Winner"),
            Column("drawn", "Drawn"),
            Column("pay_by", "Pay by"),
            Column("overdue", "Overdue"),
        ),
        (
            (
                p.group_id,
                p.month,
                p.winner_ticket,
                p.winner_member,
                date_utc(p.draw_ms),
                date_utc(p.pay_by_ms),
                _yes(p.overdue),
            )
            for p in unpaid
        ),
        total=False,
    )
    open_loans = [c for c in lv.loan_cases(state) if not c.closed]
    loans = _table(
        "Loans under recovery",
        (
            LOAN,
            MEMBER,
            Column("stage", "Stage"),
            Column("missed_month", "Missed EMI"),
            _money("arrears_paise", "Arrears"),
            Column("opened", "Opened"),
        ),
        (
            (
                c.loan_id,
                c.member_id,
                c.stage,
                c.missed_month,
                c.arrears_now_paise,
                date_utc(c.opened_ms),
            )
            for c in open_loans
        ),
    )
    facts = (
        ("As of", date_utc(as_of_ms)),
        ("Tickets in default", str(len(board.cases))),
        ("Chit arrears", format_inr(sum(c.arrears_paise for c in board.cases))),
        ("Prizes not paid", f"{len(unpaid)} ({sum(1 for p in unpaid if p.overdue)} overdue)"),
        ("Loans under recovery", str(len(open_loans))),
    )
    return Report("defaults", "Default summary", facts, (cases, refunds, prizes, loans))


# --- balance sheet ----------------------------------------------------------------------

BALANCE_COLUMNS = (Column("account", "Account"), _money("balance_paise", "Balance"))


def cash_chart(state: State) -> Chart:
    """Instalments received and prizes paid out, by calendar month: the branch's chit cash."""
    collected: dict[str, int] = defaultdict(int)
    paid: dict[str, int] = defaultdict(int)
    for row in state.rows(base.CONTRIBUTIONS).values():
        if row["source"] == "payment":
            collected[_month_of(int(row["ts_ms"]))] += int(row["amount_paise"])
    for row in state.rows(base.SETTLEMENTS).values():
        if row["prize_paid"] and row.get("paid_ms") is not None:
            paid[_month_of(int(row["paid_ms"]))] += int(row["paid_paise"])
    return _chart(
        "Instalments collected and prizes paid by month",
        {"Collected": collected, "Prizes paid": paid},
    )


def balance_sheet(state: State) -> Report:
    """Every account's balance, one table per group of accounts, with the G1 and G2 checks."""
    sheet = reports.balance_sheet(state)
    tables = tuple(_table(g.heading, BALANCE_COLUMNS, g.accounts) for g in sheet.groups)
    facts = (
        ("Sum of every account (G1: must be zero)", format_inr(sheet.total_paise)),
        ("Accounts below zero outside ext: (G2)", ", ".join(sheet.negative) or "none"),
        ("Verdict", "Balanced" if sheet.balanced else "NOT BALANCED"),
    )
    chart = cash_chart(state)
    notes = (
        "Each account's balance is the sum of the postings of every applied entry; the "
        "ext: accounts are the other side of money entering or leaving the branch, so all "
        "of them together sum to zero.",
    )
    return Report(
        "balance-sheet", "Balance sheet", facts, tables, (chart,) if chart.months else (), notes
    )


# --- a member's passbook ----------------------------------------------------------------

PASSBOOK_COLUMNS = (
    GROUP,
    TICKET,
    MONTH,
    _money("gross_paise", "Gross instalment"),
    _money("discount_share_paise", "Share of discount"),
    _money("net_due_paise", "Net due"),
    _money("paid_paise", "Paid"),
    _money("arrears_paise", "Arrears"),
)


def paid_by_month(
    state: State, tickets: Iterable[tuple[str, int]]
) -> dict[tuple[str, int, int], int]:
    """(group, ticket, month) -> paise received for those tickets, in one pass over the
    receipts (a passbook reads them once, whatever number of tickets it covers)."""
    wanted = set(tickets)
    paid: dict[tuple[str, int, int], int] = defaultdict(int)
    for row in state.rows(base.CONTRIBUTIONS).values():
        key = (str(row["group_id"]), int(row["ticket"]))
        if key in wanted:
            paid[(*key, int(row["month"]))] += int(row["amount_paise"])
    return paid


def ticket_months(
    state: State, ticket: dict[str, Any], paid: dict[tuple[str, int, int], int]
) -> list[tuple[Cell, ...]]:
    """One row a month that has fallen due: gross, share of discount, net due, paid and the
    arrears left after it (dues to date less everything paid to date); `paid` from
    `paid_by_month`."""
    gid, number = str(ticket["group_id"]), int(ticket["ticket"])
    group = base.group_row(state, gid)
    gross = base.full_instalment_paise(base.terms_of(group))
    rows: list[tuple[Cell, ...]] = []
    paid_to_date = 0
    for month in range(1, base.current_month(group) + 1):
        due_to_date = base.dues_through_paise(group, ticket, month)
        net = due_to_date - base.dues_through_paise(group, ticket, month - 1)
        paid_in = paid.get((gid, number, month), 0)
        paid_to_date += paid_in
        arrears = max(0, due_to_date - paid_to_date)
        rows.append((gid, number, month, gross, gross - net, net, paid_in, arrears))
    return rows


def passbook(state: State, member_id: str) -> Report:
    """A member's passbook: each ticket's months, prizes won, loans and their EMIs."""
    member = base.member_row(state, member_id)
    tickets = _held_tickets(state).get(member_id, [])
    paid = paid_by_month(state, ((str(t["group_id"]), int(t["ticket"])) for t in tickets))
    months = [row for t in tickets for row in ticket_months(state, t, paid)]
    total = _totals(PASSBOOK_COLUMNS, months, "Total")
    arrears_now = sum(_arrears(state, t) for t in tickets)
    total = (*total[:-1], arrears_now)  # arrears are not a sum of months: what is owed now
    chit = Table("Instalments", PASSBOOK_COLUMNS, tuple(months), total)
    won = [
        row for row in state.rows(base.SETTLEMENTS).values() if row["winner_member"] == member_id
    ]
    prizes = _table(
        "Prizes",
        (
            GROUP,
            MONTH,
            TICKET,
            _money("discount_paise", "Discount"),
            _money("prize_paise", "Prize"),
            _money("withheld_paise", "Dues kept back"),
            _money("loans_netted_paise", "Loans netted"),
            _money("cash_paise", "Paid out"),
            Column("paid_on", "Paid on"),
        ),
        (
            (
                str(r["group_id"]),
                int(r["month"]),
                int(r["winner_ticket"]),
                int(r["discount_paise"]),
                int(r["prize_paise"]),
                int(r.get("withheld_paise", 0)),
                int(r.get("loans_netted_paise", 0)),
                int(r.get("paid_paise", 0)) if r["prize_paid"] else 0,
                date_utc(r.get("paid_ms")) if r["prize_paid"] else "not paid",
            )
            for r in sorted(won, key=lambda r: (str(r["group_id"]), int(r["month"])))
        ),
    )
    loans = [
        lv.loan_summary(state, str(row["loan_id"])) for row in lv.member_loans(state, member_id)
    ]
    loan_table = _table("Loans", LOAN_COLUMNS, (_loan_row(s) for s in loans))
    emis = _table(
        "EMI schedule",
        (
            LOAN,
            Column("month", "EMI"),
            Column("due_on", "Due on"),
            _money("emi_paise", "EMI"),
            _money("interest_paise", "Interest"),
            _money("principal_paise", "Principal"),
            _money("balance_paise", "Balance after"),
        ),
        (
            (
                str(row["loan_id"]),
                i.month,
                date_utc(lv.due_ms(row, i.month)),
                i.emi_paise,
                i.interest_paise,
                i.principal_paise,
                i.balance_paise,
            )
            for row in lv.member_loans(state, member_id)
            for i in lv.schedule_of(row)
        ),
        total=False,
    )
    facts = (
        ("Member", f"{member_id}  {member['name']}"),
        ("KYC", str(member["kyc"])),
        ("Tickets", ", ".join(f"{t['group_id']} #{t['ticket']}" for t in tickets) or "none"),
        ("Paid to date", format_inr(sum(int(row[6]) for row in months))),
        ("Arrears now", format_inr(arrears_now)),
    )
    notes = (
        "Net due is the gross instalment less the member's share of the previous month's "
        "discount; arrears are the dues to that month less everything paid to it.",
    )
    return Report(
        "passbook",
        f"Passbook of {member['name']}",
        facts,
        (chit, prizes, loan_table, emis),
        (),
        notes,
    )


# --- a group's closure statement ---------------------------------------------------------


def closure_statement(state: State, group_id: str) -> Report:
    """A group's end: every ticket's dues, payments, prize and dividends, to the paisa
    (chit_rules.closeout), and the close-out's refunds and shares of loan interest."""
    group = base.group_row(state, group_id)
    closeout = state.get(base.CLOSEOUTS, group_id)
    if closeout is None:
        raise RuleViolation(f"group {group_id} has not closed out", code="incomplete_group")
    report = views.closeout_report(state, group_id)
    holders = {str(t["ticket"]): str(t["member_id"]) for t in base.ticket_rows(state, group)}
    refunds = {str(k): int(v) for k, v in closeout["refunds_paise"].items()}
    interest = {str(k): int(v) for k, v in closeout.get("loan_interest_paise", {}).items()}
    tickets = _table(
        "Tickets",
        (
            TICKET,
            MEMBER,
            _money("due_paise", "Dues"),
            _money("paid_in_paise", "Paid in"),
            _money("prize_paise", "Prize"),
            _money("dividends_paise", "Dividends"),
            _money("refund_paise", "Refunded"),
            _money("loan_interest_paise", "Loan interest share"),
        ),
        (
            (
                int(s.ticket_id),
                holders.get(s.ticket_id, ""),
                s.due_paise,
                s.paid_in_paise,
                s.received_paise,
                s.dividends_paise,
                refunds.get(s.ticket_id, 0),
                interest.get(s.ticket_id, 0),
            )
            for s in report.statements
        ),
    )
    months = _table(
        "Months",
        (
            MONTH,
            Column("winner_ticket", "Winner"),
            Column("by_lot", "By lot"),
            _money("discount_paise", "Discount"),
            _money("prize_paise", "Prize"),
            _money("commission_paise", "Commission"),
            _money("per_ticket_dividend_paise", "Dividend a ticket"),
            _money("next_instalment_paise", "Next instalment"),
        ),
        (
            (
                int(r["month"]),
                int(r["winner_ticket"]),
                _yes(r["by_lot"]),
                int(r["discount_paise"]),
                int(r["prize_paise"]),
                int(r["commission_paise"]),
                int(r["per_ticket_dividend_paise"]),
                int(r["next_instalment_paise"]),
            )
            for r in base.settlement_rows(state, group)
        ),
    )
    facts = (
        ("Group", f"{group_id}  {group['name']}"),
        ("Chit value", format_inr(int(group["chit_value_paise"]))),
        ("Tickets x months", f"{group['tickets']} x {group['months']}"),
        ("Closed on", date_utc(int(closeout["closed_ms"]))),
        ("Total dues", format_inr(report.total_due_paise)),
        ("Total paid in", format_inr(report.total_paid_in_paise)),
        ("Prizes", format_inr(report.total_prizes_paise)),
        ("Foreman's commission", format_inr(report.total_commission_paise)),
        ("Last month's dividend paid in cash", format_inr(report.final_dividend_cash_paise)),
        ("Cash left", format_inr(report.cash_left_paise)),
        ("Agreement terms hash", base.terms_hash(group)),
    )
    return Report("closure", f"Closure statement of {group_id}", facts, (tickets, months))


# --- certified minutes of a month --------------------------------------------------------


def certified_minutes(state: State, group_id: str, month: int) -> Report:
    """The minutes of a month's draw as the log holds them, their sha256 recomputed, and
    who attested them (s.17: the foreman, the winner and two other subscribers)."""
    group = base.group_row(state, group_id)
    if not 1 <= month <= int(group["months"]):
        raise RuleViolation(f"month must be 1..{group['months']}", code="bad_month")
    doc = base.minutes_document(state, group_id, month)
    if doc is None:
        raise RuleViolation(f"month {month}'s draw has not closed", code="auction_not_closed")
    settled = state.get(base.SETTLEMENTS, base.month_key(group_id, month)) or {}
    recorded = state.get(base.MINUTES, base.month_key(group_id, month))
    recomputed = base.sha256_doc(doc)
    attesters = sorted(recorded["attesters"]) if recorded else []
    complete = base.minutes_complete(recorded, settled)
    bids = _table(
        "Bids",
        (
            TICKET,
            _money("discount_paise", "Discount offered"),
            Column("entry", "Entry hash"),
        ),
        ((int(t), int(d), str(h)) for t, d, h in doc["bids"]),
        total=False,
    )
    facts = (
        ("Group", f"{group_id}  {group['name']}"),
        ("Month", str(month)),
        ("Opened by entry", str(doc["opened"])),
        ("Closed by entry", str(doc["closed"])),
        ("Foreman present", _yes(doc["foreman_present"])),
        ("Subscribers present", ", ".join(str(p) for p in doc["present"]) or "none"),
        (
            "Winner",
            f"ticket {doc['winner_ticket']} ({doc['winner_member']})"
            + (", by lot" if doc["by_lot"] else ""),
        ),
        ("Discount", format_inr(int(doc["discount_paise"]))),
        ("Prize", format_inr(int(doc["prize_paise"]))),
        ("Foreman's commission", format_inr(int(doc["commission_paise"]))),
        ("Dividend a ticket", format_inr(int(doc["per_ticket_dividend_paise"]))),
        ("Next instalment", format_inr(int(doc["next_instalment_paise"]))),
        ("Minutes hash (recomputed)", recomputed),
        ("Minutes hash (attested)", str(recorded["minutes_hash"]) if recorded else "none"),
        ("Attested by", ", ".join(attesters) or "nobody yet"),
        (
            "Certified",
            "yes: foreman, winner and two other subscribers attested"
            if complete and recorded and recorded["minutes_hash"] == recomputed
            else "NO",
        ),
    )
    notes = (
        "The minutes hash is sha256 of the canonical minutes document (docs/chit-rules.md); "
        "each attester signed an entry naming it, so the figures above are the ones they saw.",
    )
    return Report("minutes", f"Minutes of {group_id}, month {month}", facts, (bids,), (), notes)


# --- CSV and text ------------------------------------------------------------------------


def write_csv(report: Report, out: TextIO) -> int:
    """Each table as a section: a `# title` line, its heading row, its rows, its total row
    (first cell "Total"), then a blank line. Money in integer paise. Returns rows written."""
    writer = csv.writer(out, lineterminator="\n")
    written = 0
    for table in report.tables:
        writer.writerow([f"# {table.title}"])
        writer.writerow([c.key for c in table.columns])
        writer.writerows(table.rows)
        if table.total is not None and table.rows:
            writer.writerow(table.total)
        writer.writerow([])
        written += len(table.rows)
    return written


def read_csv(text: str) -> dict[str, list[dict[str, str]]]:
    """`write_csv`'s output back as {table title: rows as dicts} (totals included)."""
    sections: dict[str, list[dict[str, str]]] = {}
    for block in text.split("\n\n"):
        lines = list(csv.reader(io.StringIO(block)))
        if not lines or not lines[0]:
            continue
        title, heading = lines[0][0].removeprefix("# "), lines[1]
        sections[title] = [dict(zip(heading, row, strict=True)) for row in lines[2:] if row]
    return sections


def cell_text(column: Column, value: Cell) -> str:
    return format_inr(int(value)) if column.money and value != "" else str(value)


def report_text(report: Report) -> str:
    """The report for a terminal: facts, then each table in aligned columns."""
    out = [report.title, ""]
    width = max((len(label) for label, _ in report.facts), default=0)
    out += [f"{label:<{width}}  {value}" for label, value in report.facts]
    for table in report.tables:
        out += ["", table.title]
        rows = [[c.title for c in table.columns]]
        body = [*table.rows, *([table.total] if table.total and table.rows else [])]
        rows += [[cell_text(c, v) for c, v in zip(table.columns, row, strict=True)] for row in body]
        widths = [max(len(r[i]) for r in rows) for i in range(len(table.columns))]
        for r in rows:
            cells = (
                v.rjust(w) if c.money else v.ljust(w)
                for c, v, w in zip(table.columns, r, widths, strict=True)
            )
            out.append("  " + "  ".join(cells).rstrip())
        if not table.rows:
            out.append("  (none)")
    out += ["", *report.notes] if report.notes else []
    return "\n".join(out) + "\n"
