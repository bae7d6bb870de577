"""The head office's KPIs: per branch from the kernel's own views, then added up.

`branch_figures(state, as_of_ms)` is pure: it reads one branch's folded `State` with the
same views the branch's reports use (loan summaries, the recovery board, contribution
rows), so a head-office figure is the branch's own figure, never a second rulebook. The
import stores them (kpi_branch, kpi_collections); `Kpis` is what `HeadOffice.kpis` reads
back: each branch and the total.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import default_views as dv
from chitnode.domain import loan_views as lv
from chitnode.domain.state import State

TOTAL = "total"  # the branch_id of the consolidated figures


@dataclass(frozen=True, slots=True)
class BranchFigures:
    """One branch's KPI inputs as the import stores them."""

    as_of_ms: int
    pool_paise: int  # chit value of every group not closed
    groups_open: int
    tickets_active: int  # tickets in groups not closed
    active_members: int  # members holding a ticket in a group not closed
    tickets_in_default: int  # the default summary's "Tickets in default" at as_of_ms
    loans_count: int
    loans_outstanding_paise: int  # the loan portfolio's "Outstanding"
    collections: dict[str, int]  # month "YYYY-MM" (UTC) -> instalments collected, paise


@dataclass(frozen=True, slots=True)
class BranchKpis:
    branch_id: str  # TOTAL for the consolidated row
    name: str
    entries: int
    pool_paise: int
    groups_open: int
    tickets_active: int
    active_members: int
    tickets_in_default: int
    loans_count: int
    loans_outstanding_paise: int
    collections: tuple[tuple[str, int], ...]  # (month, paise), oldest first
    activity: tuple[tuple[str, int], ...] = ()  # (month, entries written), oldest first

    @property
    def default_rate(self) -> float:
        """Tickets in default over active tickets (0.0 when there are none)."""
        return self.tickets_in_default / self.tickets_active if self.tickets_active else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "branch_id": self.branch_id,
            "name": self.name,
            "entries": self.entries,
            "total_pool_paise": self.pool_paise,
            "groups_open": self.groups_open,
            "tickets_active": self.tickets_active,
            "active_members": self.active_members,
            "tickets_in_default": self.tickets_in_default,
            "default_rate": round(self.default_rate, 6),
            "loans_count": self.loans_count,
            "loans_outstanding_paise": self.loans_outstanding_paise,
            "collections_by_month": dict(self.collections),
            "entries_by_month": dict(self.activity),
        }


@dataclass(frozen=True, slots=True)
class Kpis:
    branches: tuple[BranchKpis, ...]
    total: BranchKpis = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", add_up(self.branches))

    def to_json(self) -> dict[str, object]:
        return {
            "branches": [b.to_json() for b in self.branches],
            "total": self.total.to_json(),
        }


def month_of(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m")


def branch_figures(state: State, as_of_ms: int) -> BranchFigures:
    groups = state.rows(base.GROUPS)
    open_groups = {gid for gid, g in groups.items() if g["status"] != base.CLOSED}
    tickets = [t for t in state.rows(base.TICKETS).values() if t["group_id"] in open_groups]
    summaries = [lv.loan_summary(state, loan_id) for loan_id in sorted(state.rows(lv.LOANS))]
    collected: dict[str, int] = defaultdict(int)
    for row in state.rows(base.CONTRIBUTIONS).values():
        if row["source"] == "payment":  # as the balance sheet's chart counts "Collected"
            collected[month_of(int(row["ts_ms"]))] += int(row["amount_paise"])
    return BranchFigures(
        as_of_ms=as_of_ms,
        pool_paise=sum(int(groups[gid]["chit_value_paise"]) for gid in open_groups),
        groups_open=len(open_groups),
        tickets_active=len(tickets),
        active_members=len({str(t["member_id"]) for t in tickets}),
        tickets_in_default=len(dv.recovery_board(state, as_of_ms).cases),
        loans_count=len(summaries),
        loans_outstanding_paise=sum(s.outstanding_paise for s in summaries),
        collections=dict(collected),
    )


def _by_month(parts: list[tuple[tuple[str, int], ...]]) -> tuple[tuple[str, int], ...]:
    summed: dict[str, int] = defaultdict(int)
    for part in parts:
        for month, value in part:
            summed[month] += value
    return tuple(sorted(summed.items()))


def add_up(branches: tuple[BranchKpis, ...]) -> BranchKpis:
    """The consolidated row: sums of every figure (members of two branches are two)."""
    return BranchKpis(
        branch_id=TOTAL,
        name="All branches",
        entries=sum(b.entries for b in branches),
        pool_paise=sum(b.pool_paise for b in branches),
        groups_open=sum(b.groups_open for b in branches),
        tickets_active=sum(b.tickets_active for b in branches),
        active_members=sum(b.active_members for b in branches),
        tickets_in_default=sum(b.tickets_in_default for b in branches),
        loans_count=sum(b.loans_count for b in branches),
        loans_outstanding_paise=sum(b.loans_outstanding_paise for b in branches),
        collections=_by_month([b.collections for b in branches]),
        activity=_by_month([b.activity for b in branches]),
    )
