"""The head office's KPI dashboard (issue 16): "/hq", for admins (docs/app-hq.md).

Every branch the head office imported (`chitnode hq import EXPORT`), one row each, and
their total: total pool, active members, default rate, loans outstanding; the collections
by month as the admin dashboard's bars; a branch filter; each branch's last import and
anomalies; and, before any import, the command that makes one.

The figures are `HeadOffice.kpis()`'s (chitnode/hq: the kernel folded each branch at
import). The database is DuckDB or PostgreSQL, not the node: it is read in a worker thread
(`asyncio.to_thread`), opened and closed within each read, so the event loop never waits
on it and `chitnode hq import` can write between two reads. Which database: `chitnode
serve --hq-db PATH_OR_URL`, else hq.duckdb in the data folder (as `chitnode hq` without
`--db`). A database that cannot be read (unreachable, newer schema) is refused on the
banner in words (the hq_* codes), and the screen stays.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import flet as ft

from chitnode.errors import ChitError
from chitnode.hq.office import HeadOffice
from chitnode.services.events import Event
from ui import fmt
from ui.shell import ADMIN, Screen, SessionView
from ui.theme import GAP_PX
from ui.views.admin import trend_chart
from ui.views.office import bound, button, card, said
from ui.vm import hq as vm

HQ = "/hq"
NAME_WIDTH_PX = 200  # the branch column: a branch's name on one or two lines
FIGURE_WIDTH_PX = 170  # a figure's column: "₹10,00,00,000.00" and its detail line
FILTER_WIDTH_PX = 320
ALL_KEY = "all"  # the filter's option for every branch (a Dropdown key is never empty)
# The table's columns after the branch's name: (catalogue key, identifier suffix).
COLUMNS = (
    ("hq.col.pool", "pool"),
    ("hq.col.members", "members"),
    ("hq.col.default_rate", "default-rate"),
    ("hq.col.loans", "loans"),
)


def read_dashboard(target: str, folder: Path, chosen: str) -> vm.HqDashboard:
    """Open the head office, read what the screen shows, close it (in a worker thread)."""
    if vm.is_missing(target):
        return vm.empty(target)
    with HeadOffice.open(target, data=folder) as office:
        kpis = office.kpis(chosen or None)
        branches = office.branches()
        return vm.dashboard(kpis, branches, chosen=chosen, where=office.db.where)


async def _read(view: SessionView) -> tuple[vm.HqDashboard, bool]:
    """The dashboard, and whether the database answered. A refusal goes on the banner; an
    unknown branch in the filter falls back to every branch."""
    target = vm.target_of(view.ctx.hq_db, view.backend.folder)
    chosen = view.params.get("branch", vm.ALL)
    folder = view.backend.folder
    try:
        return await asyncio.to_thread(read_dashboard, target, folder, chosen), True
    except ChitError as exc:
        view.refuse(exc.code)
        if not chosen or exc.code != "hq_unknown_branch":
            return vm.empty(vm.shown(target)), False
    try:
        return await asyncio.to_thread(read_dashboard, target, folder, vm.ALL), True
    except ChitError as exc:
        view.refuse(exc.code)
        return vm.empty(vm.shown(target)), False


def _cell(text: str, detail: str, identifier: str, *, bold: bool = False) -> ft.Control:
    parts: list[ft.Control] = [
        said(text, identifier, size=16, weight=ft.FontWeight.BOLD if bold else None)
    ]
    if detail:
        parts.append(said(detail, f"{identifier}-detail", size=12))
    return ft.Container(
        content=ft.Column(parts, spacing=2, tight=True), width=FIGURE_WIDTH_PX, padding=4
    )


def _line(view: SessionView, row: vm.KpiRow, name: str, key: str, *, bold: bool) -> ft.Control:
    """One line of the table; identifiers `hq-<key>-<column>` (key: a row's index or total)."""
    figures = (
        (view.money(row.pool_paise), view.t("hq.pool.detail", groups=row.groups_open)),
        (str(row.active_members), view.t("hq.members.detail", tickets=row.tickets_active)),
        (
            fmt.percent(row.default_rate_bp),
            view.t(
                "hq.default.detail", defaults=row.tickets_in_default, tickets=row.tickets_active
            ),
        ),
        (view.money(row.loans_outstanding_paise), view.t("hq.loans.detail", loans=row.loans_count)),
    )
    cells: list[ft.Control] = [
        ft.Container(
            content=said(name, f"hq-{key}-name", size=16, weight=ft.FontWeight.BOLD),
            width=NAME_WIDTH_PX,
            padding=4,
        )
    ]
    for (_, suffix), (value, detail) in zip(COLUMNS, figures, strict=True):
        cells.append(_cell(value, detail, f"hq-{key}-{suffix}", bold=bold))
    return ft.Row(cells, spacing=GAP_PX, vertical_alignment=ft.CrossAxisAlignment.START)


def kpi_table(view: SessionView, d: vm.HqDashboard) -> ft.Control:
    head: list[ft.Control] = [
        ft.Container(content=ft.Text(view.t("hq.col.branch"), size=13), width=NAME_WIDTH_PX)
    ]
    head += [
        ft.Container(content=ft.Text(view.t(key), size=13), width=FIGURE_WIDTH_PX, padding=4)
        for key, _ in COLUMNS
    ]
    lines: list[ft.Control] = [ft.Row(head, spacing=GAP_PX), ft.Divider()]
    lines += [_line(view, row, row.name, str(i), bold=False) for i, row in enumerate(d.rows)]
    lines += [ft.Divider(), _line(view, d.total, view.t("hq.total"), "total", bold=True)]
    if d.more_branches:
        lines.append(said(view.t("hq.more_branches", n=d.more_branches), "hq-more-branches"))
    # wide: on a narrow window the table scrolls sideways rather than squeezing its figures
    return ft.Row([ft.Column(lines, spacing=4, tight=True)], scroll=ft.ScrollMode.AUTO)


def imports(view: SessionView, d: vm.HqDashboard) -> list[ft.Control]:
    out: list[ft.Control] = [
        ft.Text(view.t("hq.imports.title"), size=18, weight=ft.FontWeight.BOLD)
    ]
    for i, b in enumerate(d.branches):
        when = fmt.datetime_local(b.last_import_ms, lang=view.lang)
        parts: list[ft.Control] = [
            said(b.name, f"hq-import-{i}-name", size=16, weight=ft.FontWeight.BOLD),
            said(
                view.t("hq.imports.line", when=when, entries=b.entries, feeds=b.feeds),
                f"hq-import-{i}-when",
            ),
        ]
        found = b.anomalies or (view.t("hq.imports.clean"),)
        if b.more_anomalies:
            found += (view.t("hq.imports.more", n=b.more_anomalies),)
        parts += [said(text, f"hq-import-{i}-anomaly-{j}") for j, text in enumerate(found)]
        out.append(card(parts, f"hq-import-{i}"))
    return out


def branch_filter(view: SessionView, d: vm.HqDashboard) -> ft.Control:
    """Every branch, or one: picking one shows its row, its bars and its import."""
    box = ft.Dropdown(
        label=view.t("hq.filter"),
        value=d.chosen or ALL_KEY,
        options=[
            ft.DropdownOption(key=ALL_KEY, text=view.t("hq.filter.all")),
            *(ft.DropdownOption(key=bid, text=name) for bid, name in d.choices),
        ],
        width=FILTER_WIDTH_PX,
    )

    async def picked() -> None:
        value = box.value or ALL_KEY
        await (view.go(HQ) if value == ALL_KEY else view.go(HQ, branch=value))

    box.on_select = picked
    return ft.Semantics(content=box, identifier="hq-filter")


async def build_hq(view: SessionView) -> ft.Control:
    d, answered = await _read(view)
    refresh = button(view.t("hq.refresh"), bound(view.rebuild), "hq-refresh")
    body: list[ft.Control] = [
        ft.Semantics(
            content=ft.Text(view.t("hq.title"), size=24, weight=ft.FontWeight.BOLD),
            identifier="hq-title",
            header=True,
        ),
        said(view.t("hq.where", where=d.where), "hq-where", size=12),
    ]
    if not answered:
        body += [said(view.t("hq.unavailable"), "hq-unavailable"), refresh]
    elif d.empty:
        body += [
            said(view.t("hq.empty"), "hq-empty", size=18, weight=ft.FontWeight.BOLD),
            said(view.t("hq.empty.how"), "hq-empty-how"),
            refresh,
        ]
    else:
        body += [
            ft.Row(
                [branch_filter(view, d), refresh],
                wrap=True,
                spacing=GAP_PX,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
            kpi_table(view, d),
            ft.Text(view.t("hq.trend.title"), size=18, weight=ft.FontWeight.BOLD),
            trend_chart(view, d.trend, area="hq"),
            *imports(view, d),
        ]
    return ft.Column(body, spacing=GAP_PX * 2)


def _never(event: Event) -> bool:
    """The head office changes by `chitnode hq import`, not by this node's log: Read again."""
    return False


SCREENS = [Screen(HQ, ADMIN, "hq.title", build_hq, watches=_never)]
