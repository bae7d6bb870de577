"""The reports screen in in-process Flet sessions over the demo branch (FLET.md §4).

The demo is built once for the module; each test opens its own copy in the real app
context (make_main, shell, Backend), fills the form as a browser would, presses Save, and
reads back the file the screen says it wrote: the PDF's text with pypdf, the CSV with the
reports' own reader.
"""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from pypdf import PdfReader

from chitnode.services import report_tables as rt
from tests.support.demo_branch import DEMO_BRANCH_NAME, DemoBranch, closed_demo, open_copy
from tests.support.flet_session import (
    AppSessionHandle,
    app_context,
    click,
    find,
    has,
    open_session,
    text_by,
)
from ui import i18n
from ui.gate import Who
from ui.shell import AppContext
from ui.views import reports as screen
from ui.vm import reports as vm

STAFF_WHO = Who("staff", name="Nirmala")
BORROWER = "M005"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DemoBranch:
    return closed_demo(tmp_path_factory)


@pytest_asyncio.fixture
async def ctx(built: DemoBranch, tmp_path: Path) -> AsyncIterator[AppContext]:
    folder = tmp_path / "node"
    async with app_context(open_copy(built, folder), folder) as context:
        yield context


async def reports_screen(ctx: AppContext) -> AppSessionHandle:
    handle = await open_session(ctx, who=STAFF_WHO)
    await handle.go(screen.REPORTS)
    return handle


def choose(handle: AppSessionHandle, ident: str, value: str) -> None:
    find(handle.page, ident=ident).content.value = value


async def save(handle: AppSessionHandle) -> Path | None:
    """Press Save; the path the screen says it wrote, or None if it refused."""
    await click(handle, find(handle.page, ident="reports-save").content)
    said = text_by(handle.page, "reports-saved")
    prefix = i18n.t("en", "reports.saved", path="")
    return Path(said.removeprefix(prefix)) if said.startswith(prefix) else None


async def digest(ctx: AppContext) -> str:
    return str(await ctx.backend.nt.run(lambda node: node.status()["state_digest"]))


@pytest.mark.asyncio
async def test_a_balance_sheet_pdf_is_saved_into_the_default_folder(ctx: AppContext) -> None:
    handle = await reports_screen(ctx)
    default = ctx.backend.folder / vm.FOLDER_NAME
    assert find(handle.page, ident="reports-folder").content.value == str(default)
    assert not default.exists()
    choose(handle, "reports-kind", "balance-sheet")
    path = await save(handle)
    assert path is not None and path.parent == default and path.suffix == ".pdf"
    assert stat.S_IMODE(default.stat().st_mode) == screen.FOLDER_MODE  # owner-only
    pages = [page.extract_text() for page in PdfReader(path).pages]
    state_digest = await digest(ctx)
    for text in pages:  # every page: the branch and the footer's digest of this fold
        assert DEMO_BRANCH_NAME in text
        assert state_digest in text
    assert "Balance sheet" in pages[0]
    assert not handle.view.banner_box.visible
    assert not list(default.glob("*.part"))  # written atomically


@pytest.mark.asyncio
async def test_a_passbook_csv_is_saved_into_a_folder_the_user_picks(
    ctx: AppContext, tmp_path: Path
) -> None:
    picked = tmp_path / "printouts"
    picked.mkdir()
    handle = await reports_screen(ctx)
    choose(handle, "reports-kind", "passbook")
    choose(handle, "reports-member", BORROWER)
    choose(handle, "reports-format", vm.CSV)
    choose(handle, "reports-folder", str(picked))
    path = await save(handle)
    assert path is not None and path.parent == picked
    assert path.name.startswith(f"passbook-{BORROWER}-") and path.suffix == ".csv"
    tables = rt.read_csv(path.read_text(encoding="utf-8"))
    expected = await ctx.backend.nt.run(lambda node: rt.passbook(node.engine.state, BORROWER))
    assert set(tables) == {t.title for t in expected.tables}
    months = tables["Instalments"]
    assert len(months) == len(expected.table("Instalments").rows) + 1  # and the Total row


@pytest.mark.asyncio
async def test_refusals_are_said_in_words_and_write_nothing(
    ctx: AppContext, tmp_path: Path
) -> None:
    handle = await reports_screen(ctx)
    picked = tmp_path / "out"
    picked.mkdir()
    choose(handle, "reports-folder", str(picked))
    cases = [
        ({"reports-kind": "passbook", "reports-member": "M999"}, "unknown_member"),
        ({"reports-kind": "closure", "reports-group": "NOPE"}, "unknown_group"),
        (
            {"reports-kind": "minutes", "reports-group": "UDP-2025-07", "reports-month": "99"},
            "bad_month",
        ),
    ]
    for typed, code in cases:
        for ident, value in typed.items():
            choose(handle, ident, value)
        assert await save(handle) is None
        assert handle.view.banner_box.visible
        if code:
            assert handle.banner == i18n.error_text("en", code)
    assert not list(picked.iterdir())
    # a folder that does not exist, a file, a relative path: not a folder to save into
    not_folder = tmp_path / "a-file"
    not_folder.write_text("x")
    choose(handle, "reports-kind", "members")
    for typed in (str(tmp_path / "missing"), str(not_folder), "relative/folder"):
        choose(handle, "reports-folder", typed)
        assert await save(handle) is None
        assert handle.banner == i18n.error_text("en", "report_folder_unusable")
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into any folder")
@pytest.mark.asyncio
async def test_a_folder_it_may_not_write_is_refused(ctx: AppContext, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    handle = await reports_screen(ctx)
    choose(handle, "reports-folder", str(locked))
    assert await save(handle) is None
    assert handle.banner == i18n.error_text("en", "report_folder_unusable")


@pytest.mark.asyncio
async def test_a_member_session_cannot_open_reports(ctx: AppContext) -> None:
    phone = await open_session(ctx, client_ip="192.168.1.20", who=Who("member", "M001"))
    await phone.go(screen.REPORTS)
    assert not has(phone.page, ident="reports-save")
    assert phone.view.screen is not None and phone.view.screen.route != screen.REPORTS
    staff = await reports_screen(ctx)
    assert has(staff.page, ident="reports-save")
