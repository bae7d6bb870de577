"""Consolidated reports: each branch's own report (services/report_tables.py), merged.

Every branch's report is made by the same function the branch prints it with, from the
state the head office holds for it. Tables with the same title are joined, each row led
by its branch's name, and their total rows summed again; charts add up month by month;
each branch's facts are kept, named by branch. Written as CSV and PDF by report_pdf.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from chitnode.domain.state import State
from chitnode.hq.office import BranchStatus, HeadOffice
from chitnode.services import report_pdf
from chitnode.services import report_tables as rt

BRANCH = rt.Column("branch", "Branch")
# name, title, the branch report it merges: what `hq report --out DIR` writes.
CONSOLIDATED: tuple[tuple[str, str, Callable[[State, int], rt.Report]], ...] = (
    ("hq-balance-sheet", "Consolidated balance sheet", lambda s, _: rt.balance_sheet(s)),
    ("hq-defaults", "Consolidated default summary", rt.default_summary),
    ("hq-loans", "Consolidated loan portfolio", lambda s, _: rt.loan_portfolio(s)),
)


def merge(name: str, title: str, parts: Sequence[tuple[str, rt.Report]]) -> rt.Report:
    """One report of every branch's: `parts` is (branch name, that branch's report)."""
    order: list[str] = []
    columns: dict[str, tuple[rt.Column, ...]] = {}
    rows: dict[str, list[tuple[rt.Cell, ...]]] = defaultdict(list)
    totals: dict[str, bool] = {}
    for branch, report in parts:
        for table in report.tables:
            if table.title not in columns:
                order.append(table.title)
                columns[table.title] = (BRANCH, *table.columns)
                totals[table.title] = table.total is not None
            rows[table.title] += [(branch, *row) for row in table.rows]
    tables = tuple(
        rt.Table(t, columns[t], tuple(rows[t]), _total(columns[t], rows[t]) if totals[t] else None)
        for t in order
    )
    named = [(f"{branch}: {label}", value) for branch, r in parts for label, value in r.facts]
    facts = (("Branches", str(len(parts))), *named)
    charts = _charts([c for _, report in parts for c in report.charts])
    notes = next((report.notes for _, report in parts if report.notes), ())
    return rt.Report(name, title, facts, tables, charts, notes)


def _total(columns: Sequence[rt.Column], rows: Sequence[Sequence[rt.Cell]]) -> tuple[rt.Cell, ...]:
    out: list[rt.Cell] = []
    for at, column in enumerate(columns):
        if column.money:
            out.append(sum(int(row[at]) for row in rows))
        else:
            out.append("Total" if at == 0 else "")
    return tuple(out)


def _charts(charts: Sequence[rt.Chart]) -> tuple[rt.Chart, ...]:
    """Charts of one title added up month by month, series by label."""
    summed: dict[str, dict[str, dict[str, int]]] = {}
    for chart in charts:
        by_label = summed.setdefault(chart.title, {})
        for series in chart.series:
            paise_by_month = by_label.setdefault(series.label, defaultdict(int))
            for month, paise in zip(chart.months, series.paise, strict=True):
                paise_by_month[month] += paise
    out = []
    for title, by_label in summed.items():
        all_months = tuple(sorted({m for ms in by_label.values() for m in ms}))
        lines = tuple(
            rt.Series(label, tuple(ms.get(m, 0) for m in all_months))
            for label, ms in by_label.items()
        )
        out.append(rt.Chart(title, all_months, lines))
    return tuple(out)


def page_header(branches: Sequence[BranchStatus], printed_ms: int) -> report_pdf.PageHeader:
    """What each page names: every branch's log heads, and one digest over theirs."""
    lines = "".join(f"{b.branch_id} {b.state_digest}\n" for b in branches)
    heads = tuple(
        report_pdf.Head(author, int(h["seq"]), str(h["hash"]))
        for b in branches
        for author, h in sorted(b.heads.items())
    )
    return report_pdf.PageHeader(
        branch_name=f"Head office: {len(branches)} branches",
        branch_id="all",
        printed_ms=printed_ms,
        entries=sum(b.entries for b in branches),
        state_digest=hashlib.sha256(lines.encode()).hexdigest(),
        heads=heads,
    )


def consolidated(office: HeadOffice) -> list[rt.Report]:
    """The consolidated reports from what `office` holds now; each branch's default board
    is as of its newest entry (the date its KPIs were figured at)."""
    as_of = office.as_of()
    states = [(b.name, office.state_of(b.branch_id), as_of[b.branch_id]) for b in office.branches()]
    return [
        merge(name, title, [(branch, make(state, at)) for branch, state, at in states])
        for name, title, make in CONSOLIDATED
    ]


def write_all(office: HeadOffice, out: Path, printed_ms: int) -> list[Path]:
    """Every consolidated report as `<name>.csv` and `<name>.pdf` in `out`."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise report_pdf.ReportWriteFailed(f"cannot make {out}: {exc.strerror or exc}") from exc
    header = page_header(office.branches(), printed_ms)
    written = []
    for report in consolidated(office):
        csv_path, pdf_path = out / f"{report.name}.csv", out / f"{report.name}.pdf"
        report_pdf.write_report_csv(report, csv_path)
        report_pdf.write_pdf(report, pdf_path, header)
        written += [csv_path, pdf_path]
    return written
