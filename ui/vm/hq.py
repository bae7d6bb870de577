"""View-model of the head office's KPI dashboard (issue 16, "the app's KPI dashboard in
head-office mode"): pure functions, no Flet, no database.

The figures are the head office's own (`chitnode.hq`: each branch folded by the kernel,
its KPIs stored at import, `HeadOffice.kpis()` adds them up); this module only lays them
out for the screen: one row per branch and the total (total pool, active members, default
rate, loans outstanding), the collections by month as the admin dashboard's bars, the
branch filter's choices, and each branch's last import and anomalies (`branches()`).
The screen (ui/views/hq.py) reads the database in a worker thread and hands the answers
here; so do the tests, over a real head office.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from chitnode.hq.db import DUCKDB_FILE, is_postgres_url
from chitnode.hq.kpis import BranchKpis, Kpis
from chitnode.hq.office import BranchStatus
from ui import limits
from ui.vm.admin import BASIS_POINTS, Bar, bars

ALL = ""  # the branch filter's value for every branch


@dataclass(frozen=True, slots=True)
class KpiRow:
    """One line of the KPI table: a branch, or the total (branch_id "total")."""

    branch_id: str
    name: str
    pool_paise: int
    groups_open: int
    active_members: int
    tickets_active: int
    tickets_in_default: int
    default_rate_bp: int  # tickets in default per active ticket, in basis points
    loans_count: int
    loans_outstanding_paise: int
    entries: int


@dataclass(frozen=True, slots=True)
class BranchLine:
    """What `hq status` says of a branch: its last import and what to look at."""

    branch_id: str
    name: str
    entries: int
    feeds: int  # devices whose entries the head office holds
    last_import_ms: int
    anomalies: tuple[str, ...]  # the first HQ_ANOMALIES_SHOWN
    more_anomalies: int  # how many more the head office lists (`chitnode hq status`)


@dataclass(frozen=True, slots=True)
class HqDashboard:
    where: str  # the database read: a file path, or a URL (never with its password)
    chosen: str  # the branch filter: a branch id, or ALL
    choices: tuple[tuple[str, str], ...]  # (branch id, name) of every branch, for the filter
    rows: tuple[KpiRow, ...]  # the branches shown (all, or the chosen one)
    total: KpiRow  # their total
    trend: tuple[Bar, ...]  # collections by month of the branches shown, oldest first
    branches: tuple[BranchLine, ...]  # last import and anomalies of the branches shown
    more_branches: int  # branches beyond HQ_BRANCHES_SHOWN (counted, not listed)

    @property
    def empty(self) -> bool:
        """No branch imported yet: the screen says how to import one."""
        return not self.choices


def target_of(configured: str, folder: Path) -> str:
    """The database the screen reads: `--hq-db` of `chitnode serve` if given, else the one
    `chitnode hq` uses without `--db`: hq.duckdb in the data folder."""
    return configured or str(folder / DUCKDB_FILE)


def is_missing(target: str) -> bool:
    """True for a DuckDB file not made yet: no branch was imported, so nothing is opened
    (opening would create it). A PostgreSQL URL is always opened: the server says."""
    return not is_postgres_url(target) and not Path(target).exists()


def shown(target: str) -> str:
    """The database as the screen names it: a URL without its user and password."""
    if not is_postgres_url(target):
        return target
    parts = urlsplit(target)
    host = parts.hostname or ""
    return urlunsplit(parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host))


def row_of(k: BranchKpis) -> KpiRow:
    rate = k.tickets_in_default * BASIS_POINTS // k.tickets_active if k.tickets_active else 0
    return KpiRow(
        branch_id=k.branch_id,
        name=k.name,
        pool_paise=k.pool_paise,
        groups_open=k.groups_open,
        active_members=k.active_members,
        tickets_active=k.tickets_active,
        tickets_in_default=k.tickets_in_default,
        default_rate_bp=rate,
        loans_count=k.loans_count,
        loans_outstanding_paise=k.loans_outstanding_paise,
        entries=k.entries,
    )


def line_of(b: BranchStatus) -> BranchLine:
    shown = b.anomalies[: limits.HQ_ANOMALIES_SHOWN]
    return BranchLine(
        branch_id=b.branch_id,
        name=b.name,
        entries=b.entries,
        feeds=len(b.heads),
        last_import_ms=b.last_import_ms,
        anomalies=shown,
        more_anomalies=len(b.anomalies) - len(shown),
    )


def dashboard(
    kpis: Kpis, branches: Sequence[BranchStatus], *, chosen: str = ALL, where: str = ""
) -> HqDashboard:
    """The screen's figures: `kpis` as `HeadOffice.kpis(chosen or None)` answered them,
    `branches` as `HeadOffice.branches()` did (every branch: the filter offers them all)."""
    shown_ids = {k.branch_id for k in kpis.branches}
    listed = [b for b in branches if b.branch_id in shown_ids]
    cap = limits.HQ_BRANCHES_SHOWN
    total = kpis.total
    months = [month for month, _ in total.collections]
    return HqDashboard(
        where=where,
        chosen=chosen,
        choices=tuple((b.branch_id, b.name) for b in branches[:cap]),
        rows=tuple(row_of(k) for k in kpis.branches[:cap]),
        total=row_of(total),
        trend=bars(months, [paise for _, paise in total.collections]),
        branches=tuple(line_of(b) for b in listed[:cap]),
        more_branches=max(0, len(kpis.branches) - cap),
    )


def empty(where: str) -> HqDashboard:
    """The dashboard before any branch is imported (or of a database not made yet)."""
    return dashboard(Kpis(()), (), where=where)
