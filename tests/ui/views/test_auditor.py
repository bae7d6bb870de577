"""The auditor's screen "/audit" in in-process Flet sessions over a copy of the demo branch.

An auditor's device opens the demo's export and the same export tampered: the verdict,
the broken entry with its code, the balances from what verifies; the findings saved next
to the export. The session writes nothing: the gate refuses its commands, and the node's
state digest and entry count are the same before and after an audit.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.services.archive import export_file
from tests.support.demo_branch import DemoBranch, demo_branch, open_copy
from tests.support.exports import tamper
from tests.support.flet_session import (
    AppSessionHandle,
    app_context,
    click,
    find,
    has,
    open_session,
    text_by,
)
from ui.gate import Who
from ui.shell import AppContext

AUDITOR = Who("staff", name="Auditor", device_role="auditor")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoBranch, Path]:
    """The demo branch (closed) and its export."""
    with demo_branch(tmp_path_factory) as branch:
        export = branch.folder.parent / "demo.chitlog"
        export_file(branch.node, export)
    return branch, export


@pytest_asyncio.fixture
async def ctx(built: tuple[DemoBranch, Path], tmp_path: Path) -> AsyncIterator[AppContext]:
    branch, export = built
    folder = tmp_path / "node"
    node = open_copy(branch, folder)
    shutil.copy(export, folder / "demo.chitlog")  # an export in the data folder: offered
    async with app_context(node, folder) as context:
        yield context


async def auditor(ctx: AppContext) -> AppSessionHandle:
    return await open_session(ctx, who=AUDITOR, route="/audit")


async def run(handle: AppSessionHandle, path: Path) -> None:
    find(handle.page, ident="audit-path").content.value = str(path)
    await click(handle, find(handle.page, ident="audit-run").content)  # awaits the audit


def books(node: Node) -> tuple[str, int]:
    return node.engine.digest(), node.store.count()


@pytest.mark.asyncio
async def test_the_auditor_opens_the_demo_export_and_finds_it_clean(ctx: AppContext) -> None:
    before = await ctx.backend.nt.run(books)
    home = await auditor(ctx)
    page = home.page
    assert has(page, ident="audit-file-0")  # the export in the data folder is offered
    await click(home, find(page, ident="audit-file-0").content)
    assert find(page, ident="audit-path").content.value.endswith("demo.chitlog")
    await click(home, find(page, ident="audit-run").content)
    assert text_by(page, "audit-verdict") == "Verified: nothing wrong, and the books balance."
    assert find(page, ident="audit-progress").content.value == 1.0
    assert text_by(page, "audit-progress-text").startswith("Recomputing balances: ")
    assert "M001" in text_by(page, "audit-members")
    assert home.banner == ""
    assert await ctx.backend.nt.run(books) == before  # nothing written to the node


@pytest.mark.asyncio
async def test_a_tampered_export_shows_the_broken_entry_and_saves_findings(
    ctx: AppContext, built: tuple[DemoBranch, Path], tmp_path: Path
) -> None:
    before = await ctx.backend.nt.run(books)
    tampered = tmp_path / "tampered.chitlog"
    seq, author = tamper(built[1], tampered)
    home = await auditor(ctx)
    await run(home, tampered)
    page = home.page
    assert text_by(page, "audit-verdict") == "Does not verify: 2 problems."
    assert f"bad_hash · feed {author[:12]} · seq {seq}" in text_by(page, "audit-broken")
    assert "Balances sum to zero" in text_by(page, "audit-balance")
    assert "M001" in text_by(page, "audit-members")  # computed from what verifies
    await click(home, find(page, ident="audit-save").content)
    saved = tmp_path / "tampered.chitlog.findings.json"
    assert text_by(page, "audit-saved") == f"Findings saved to {saved}"
    assert json.loads(saved.read_text())["counts"] == {"bad_hash": 1, "bad_seal": 1}
    assert await ctx.backend.nt.run(books) == before


@pytest.mark.asyncio
async def test_a_missing_file_is_refused_in_words(ctx: AppContext, tmp_path: Path) -> None:
    home = await auditor(ctx)
    await run(home, tmp_path / "nowhere.chitlog")
    assert home.banner and "Traceback" not in home.banner
    assert not has(home.page, ident="audit-verdict")
    find(home.page, ident="audit-path").content.value = ""
    await click(home, find(home.page, ident="audit-run").content)
    assert home.banner


@pytest.mark.asyncio
async def test_an_auditors_session_writes_nothing(ctx: AppContext) -> None:
    before = await ctx.backend.nt.run(books)
    home = await auditor(ctx)
    body = {"member_id": "M950", "name": "Not Written"}
    assert await home.view.submit("member.registered", body) is None  # refused in words
    assert home.banner
    with pytest.raises(ChitError) as refused:
        await ctx.backend.submit(AUDITOR, "member.registered", body)
    assert refused.value.code == "not_allowed_here"
    assert await ctx.backend.nt.run(books) == before


@pytest.mark.asyncio
async def test_staff_header_links_the_audit_and_members_cannot_open_it(ctx: AppContext) -> None:
    staff = await open_session(ctx, who=Who("staff", name="Nirmala"), route="/foreman")
    assert "Audit" in [getattr(c, "content", None) for c in staff.view.header.controls[1].controls]
    member = await open_session(ctx, who=Who("member", "M001"), route="/audit")
    assert member.view.screen is not None and member.view.screen.route != "/audit"


@pytest.mark.asyncio
async def test_an_auditors_device_lands_on_the_audit(ctx: AppContext) -> None:
    home = await open_session(ctx)
    home.view.device_role = "auditor"  # as read from the fold on an auditor's device
    await home.login(Who("staff", name="Auditor"))
    assert home.view.who.is_auditor and home.view.route == "/audit"
    assert has(home.page, ident="audit-path")
