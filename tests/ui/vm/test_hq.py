"""The head office's dashboard view-model over a real head office: a DuckDB file into which
two real branch exports were imported (tests/support/hq_app.py). Every figure the screen
shows is `HeadOffice.kpis()`'s, per branch and in total; the filter, the imports and the
empty state are the head office's answers laid out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from chitnode.hq.db import DUCKDB_FILE
from chitnode.hq.kpis import BranchKpis, Kpis
from chitnode.hq.office import HeadOffice
from tests.support.hq_app import HqOffice, two_branch_office
from ui import limits
from ui.vm import hq as vm


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> HqOffice:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
        mp.setenv("CHITNODE_KEYSTORE", "file")
        return two_branch_office(tmp_path_factory.mktemp("hq-vm"))


@pytest.fixture
def office(hq: HqOffice) -> Iterator[HeadOffice]:
    with HeadOffice.open(hq.db, data=hq.data) as opened:
        yield opened


def _same(row: vm.KpiRow, k: BranchKpis) -> None:
    assert (row.branch_id, row.name, row.entries) == (k.branch_id, k.name, k.entries)
    assert row.pool_paise == k.pool_paise and row.groups_open == k.groups_open
    assert (row.active_members, row.tickets_active) == (k.active_members, k.tickets_active)
    assert row.tickets_in_default == k.tickets_in_default
    assert abs(row.default_rate_bp / vm.BASIS_POINTS - k.default_rate) < 1 / vm.BASIS_POINTS
    assert (row.loans_count, row.loans_outstanding_paise) == (
        k.loans_count,
        k.loans_outstanding_paise,
    )


def test_every_figure_is_the_head_offices_per_branch_and_in_total(
    office: HeadOffice, hq: HqOffice
) -> None:
    kpis = office.kpis()
    d = vm.dashboard(kpis, office.branches(), where=office.db.where)
    assert not d.empty and d.chosen == vm.ALL and d.where == str(hq.db)
    assert [r.name for r in d.rows] == sorted(b.name for b in hq.branches)
    for row, k in zip(d.rows, kpis.branches, strict=True):
        _same(row, k)
    _same(d.total, kpis.total)
    # the total is more than either branch: both are counted, each as its own node folds it
    assert (
        d.total.pool_paise == sum(r.pool_paise for r in d.rows) > max(r.pool_paise for r in d.rows)
    )
    assert d.total.active_members == sum(r.active_members for r in d.rows)
    assert d.total.entries == sum(b.entries for b in hq.branches)


def test_the_bars_are_the_latest_months_of_the_total_collections(office: HeadOffice) -> None:
    kpis = office.kpis()
    d = vm.dashboard(kpis, office.branches())
    wanted = kpis.total.collections[-limits.ADMIN_TREND_MONTHS :]
    assert [(b.label, b.paise) for b in d.trend] == list(wanted)
    assert max(b.share for b in d.trend) == 1.0
    top = max(p for _, p in wanted)
    assert all(b.share == b.paise / top for b in d.trend)


def test_the_filter_shows_one_branch_and_still_offers_them_all(
    office: HeadOffice, hq: HqOffice
) -> None:
    everyone = office.branches()
    udupi = next(b for b in everyone if b.name == "Udupi")
    kpis = office.kpis(udupi.branch_id)
    d = vm.dashboard(kpis, everyone, chosen=udupi.branch_id)
    assert d.chosen == udupi.branch_id
    assert [bid for bid, _ in d.choices] == [b.branch_id for b in everyone]
    assert [r.branch_id for r in d.rows] == [udupi.branch_id]
    assert [b.branch_id for b in d.branches] == [udupi.branch_id]
    _same(replace(d.total, branch_id=udupi.branch_id, name="Udupi"), kpis.branches[0])
    own = next(b for b in hq.branches if b.name == "Udupi")
    assert d.branches[0].entries == own.entries


def test_each_branch_says_its_last_import_and_anomalies(office: HeadOffice) -> None:
    everyone = office.branches()
    d = vm.dashboard(office.kpis(), everyone)
    for line, status in zip(d.branches, everyone, strict=True):
        assert line.last_import_ms == status.last_import_ms > 0
        assert line.feeds == len(status.heads) >= 1
        assert line.anomalies == status.anomalies == ()
    many = tuple(f"fork: key k{i} at seq {i}" for i in range(limits.HQ_ANOMALIES_SHOWN + 3))
    line = vm.line_of(replace(everyone[0], anomalies=many))
    assert line.anomalies == many[: limits.HQ_ANOMALIES_SHOWN] and line.more_anomalies == 3


def test_the_empty_state_before_any_import(tmp_path: Path) -> None:
    d = vm.empty("where")
    assert d.empty and d.rows == () and d.trend == () and d.total.pool_paise == 0
    with HeadOffice.open(tmp_path / "new.duckdb", data=tmp_path) as office:
        made = vm.dashboard(office.kpis(), office.branches())
    assert made.empty and made.total == d.total


def test_which_database_and_how_it_is_named(tmp_path: Path) -> None:
    assert vm.target_of("", tmp_path) == str(tmp_path / DUCKDB_FILE)
    assert vm.target_of("postgresql://h/db", tmp_path) == "postgresql://h/db"
    assert vm.is_missing(str(tmp_path / DUCKDB_FILE))
    assert not vm.is_missing("postgresql://h/db")
    assert vm.shown("postgresql://admin:secret@db.hq:5433/hq") == "postgresql://db.hq:5433/hq"
    assert vm.shown("postgresql://admin:secret@db.hq/hq") == "postgresql://db.hq/hq"
    assert vm.shown("/data/hq.duckdb") == "/data/hq.duckdb"


def test_a_long_list_of_branches_is_capped_on_screen_and_counted_in_total(
    office: HeadOffice,
) -> None:
    one = office.kpis().branches[0]
    many = tuple(replace(one, branch_id=f"{i:032x}") for i in range(limits.HQ_BRANCHES_SHOWN + 2))
    d = vm.dashboard(Kpis(many), ())
    assert len(d.rows) == limits.HQ_BRANCHES_SHOWN and d.more_branches == 2
    assert d.total.pool_paise == one.pool_paise * (limits.HQ_BRANCHES_SHOWN + 2)
