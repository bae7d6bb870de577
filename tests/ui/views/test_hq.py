"""The head office's /hq screen in in-process Flet sessions (FLET.md §4): the real app
context (make_main, shell, Backend) on a lone admin node whose `hq_db` names a DuckDB file
into which two real branch exports were imported (tests/support/hq_app.py).

What the screen says is read by its Semantics identifiers and compared with
`HeadOffice.kpis()` in words (ui.fmt): per branch, in total, filtered to one branch; the
bars, the imports, the empty state, and the refusals of a database it cannot read.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from pathlib import Path

import flet as ft
import pytest
import pytest_asyncio

from chitnode.hq import schema
from chitnode.hq.db import connect
from chitnode.hq.kpis import BranchKpis, Kpis
from chitnode.hq.office import HeadOffice
from chitnode.node.node import Node
from tests.support.clock import FakeClock
from tests.support.flet_session import (
    AppSessionHandle,
    app_context,
    click,
    dispatch,
    find,
    has,
    open_session,
    text_by,
    walk,
)
from tests.support.hq_app import HqOffice, two_branch_office
from ui import fmt, i18n, limits, serve_part
from ui.gate import Who
from ui.shell import AppContext
from ui.views.hq import HQ

pytestmark = pytest.mark.asyncio

ADMIN_WHO = Who("staff", name="Asha")


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> HqOffice:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
        mp.setenv("CHITNODE_KEYSTORE", "file")
        return two_branch_office(tmp_path_factory.mktemp("hq-views"))


@pytest.fixture(scope="module")
def kpis(hq: HqOffice) -> Kpis:
    with HeadOffice.open(hq.db, data=hq.data) as office:
        return office.kpis()


@pytest_asyncio.fixture
async def ctx(tmp_path: Path, clock: FakeClock, hq: HqOffice) -> AsyncIterator[AppContext]:
    folder = tmp_path / "node"
    async with app_context(Node.init(folder, "Head Office", clock=clock), folder) as context:
        context.hq_db = str(hq.db)
        yield context


async def at_hq(ctx: AppContext) -> AppSessionHandle:
    handle = await open_session(ctx, who=ADMIN_WHO)
    assert handle.view.who.is_admin
    await handle.go(HQ)
    return handle


def said_row(page: ft.Page, key: str) -> dict[str, str]:
    return {
        col: text_by(page, f"hq-{key}-{col}")
        for col in ("name", "pool", "members", "default-rate", "loans")
    }


def wanted_row(k: BranchKpis, name: str) -> dict[str, str]:
    rate = k.tickets_in_default * 10_000 // k.tickets_active if k.tickets_active else 0
    return {
        "name": name,
        "pool": fmt.rupees(k.pool_paise),
        "members": str(k.active_members),
        "default-rate": fmt.percent(rate),
        "loans": fmt.rupees(k.loans_outstanding_paise),
    }


async def test_the_screen_shows_each_branch_and_the_total_as_the_head_office_adds_them(
    ctx: AppContext, kpis: Kpis
) -> None:
    handle = await at_hq(ctx)
    page = handle.page
    assert handle.banner == ""
    assert text_by(page, "hq-title") == "Head office: every branch"
    for i, k in enumerate(kpis.branches):
        assert said_row(page, str(i)) == wanted_row(k, k.name)
    assert said_row(page, "total") == wanted_row(kpis.total, "All branches")
    total = kpis.total
    assert text_by(page, "hq-total-members-detail") == f"{total.tickets_active} tickets"
    assert text_by(page, "hq-total-default-rate-detail") == (
        f"{total.tickets_in_default} of {total.tickets_active} tickets"
    )
    for month, paise in total.collections[-limits.ADMIN_TREND_MONTHS :]:
        bar = find(page, ident=f"hq-bar-{month}")
        assert bar.label == f"{month}: {fmt.rupees(paise)}"
    assert not has(page, ident=f"hq-bar-{total.collections[0][0]}")  # older than the chart
    for i, k in enumerate(kpis.branches):
        assert text_by(page, f"hq-import-{i}-name") == k.name
        assert text_by(page, f"hq-import-{i}-when").startswith("Last import ")
        assert f"{k.entries} entries" in text_by(page, f"hq-import-{i}-when")
        assert text_by(page, f"hq-import-{i}-anomaly-0") == "No anomalies"


async def test_the_branch_filter_shows_one_branch_and_back(ctx: AppContext, kpis: Kpis) -> None:
    handle = await at_hq(ctx)
    udupi = next(k for k in kpis.branches if k.name == "Udupi")
    box = find(handle.page, ident="hq-filter").content
    assert isinstance(box, ft.Dropdown)
    assert [o.text for o in box.options] == ["All branches", *(k.name for k in kpis.branches)]
    box.value = udupi.branch_id
    await dispatch(handle, box._i, "select", udupi.branch_id)
    page = handle.page
    assert handle.view.params == {"branch": udupi.branch_id}
    assert said_row(page, "0") == wanted_row(udupi, "Udupi")
    assert not has(page, ident="hq-1-name") and not has(page, ident="hq-import-1-name")
    assert said_row(page, "total")["pool"] == fmt.rupees(udupi.pool_paise)
    box = find(page, ident="hq-filter").content
    box.value = "all"
    await dispatch(handle, box._i, "select", "all")
    assert handle.view.params == {}
    assert said_row(handle.page, "total") == wanted_row(kpis.total, "All branches")


async def test_an_unknown_branch_in_the_route_is_refused_and_all_are_shown(
    ctx: AppContext, kpis: Kpis
) -> None:
    handle = await at_hq(ctx)
    await handle.go(HQ, branch="Atlantis")
    assert handle.banner == i18n.error_text("en", "hq_unknown_branch")
    assert said_row(handle.page, "total") == wanted_row(kpis.total, "All branches")


async def test_read_again_shows_a_branch_imported_meanwhile(
    ctx: AppContext, hq: HqOffice, tmp_path: Path
) -> None:
    db = tmp_path / "one.duckdb"
    ctx.hq_db = str(db)
    handle = await at_hq(ctx)
    assert text_by(handle.page, "hq-empty") == (
        "No branch imported yet: run chitnode hq import EXPORT"
    )
    assert not db.exists()  # the screen read nothing into being
    with HeadOffice.open(db, data=tmp_path / "data") as office:  # `chitnode hq import`
        office.import_export(hq.branches[0].export)
    await click(handle, find(handle.page, ident="hq-refresh").content)
    assert text_by(handle.page, "hq-0-name") == hq.branches[0].name
    assert not has(handle.page, ident="hq-empty")


async def test_the_empty_state_names_the_command(ctx: AppContext, tmp_path: Path) -> None:
    ctx.hq_db = ""  # the default: hq.duckdb in the node's data folder, not made yet
    handle = await at_hq(ctx)
    page = handle.page
    assert text_by(page, "hq-empty") == "No branch imported yet: run chitnode hq import EXPORT"
    assert str(ctx.backend.folder / "hq.duckdb") in text_by(page, "hq-where")
    assert handle.banner == "" and not has(page, ident="hq-filter")


async def test_a_database_of_a_newer_schema_is_refused_in_words(
    ctx: AppContext, tmp_path: Path
) -> None:
    db_file = tmp_path / "newer.duckdb"
    HeadOffice.open(db_file, data=tmp_path).close()
    db = connect(db_file)
    db.execute("INSERT INTO schema_version VALUES (?, ?)", (schema.LATEST + 1, 0))
    db.close()
    ctx.hq_db = str(db_file)
    handle = await at_hq(ctx)
    assert handle.banner == i18n.error_text("en", "hq_schema_newer")
    assert "newer version of chitnode" in handle.banner
    assert has(handle.page, ident="hq-unavailable") and not has(handle.page, ident="hq-0-name")


async def test_an_unreachable_postgresql_is_refused_in_words(ctx: AppContext) -> None:
    ctx.hq_db = "postgresql://hq:secret@127.0.0.1:1/hq"  # port 1: nothing listens
    handle = await at_hq(ctx)
    assert handle.banner == i18n.error_text("en", "hq_db_unusable")
    where = text_by(handle.page, "hq-where")
    assert "127.0.0.1:1" in where and "secret" not in where


async def test_only_admins_reach_it_and_their_header_links_it(ctx: AppContext) -> None:
    handle = await at_hq(ctx)
    links = [b.content for b in walk(handle.view.header) if isinstance(b, ft.TextButton)]
    assert "Head office" in links
    member = await open_session(ctx, who=Who("member", "M1"), route=HQ)
    assert not has(member.page, ident="hq-title")
    guest = await open_session(ctx, route=HQ)
    assert not has(guest.page, ident="hq-title")


async def test_serve_hq_db_reaches_the_app_part() -> None:
    parser = argparse.ArgumentParser()
    serve_part.add_arguments(parser)
    part = serve_part.create(parser.parse_args(["--hq-db", "postgresql://db.hq/hq"]))
    assert part.hq_db == "postgresql://db.hq/hq"
    assert serve_part.create(parser.parse_args([])).hq_db == ""  # <data>/hq.duckdb
