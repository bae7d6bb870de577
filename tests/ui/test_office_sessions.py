"""Who reaches the back office, in in-process sessions of the real app (FLET.md §4).

- A member's phone, or a phone nobody logged in on, opens none of the office's routes:
  the shell shows the staff door instead, and no office control reaches that session.
- A staff session on an employee's device works the office but reaches no admin screen
  (the shell's ADMIN audience sends it home), and an admin-only write it forges is the
  kernel's refusal, in words: the device's role in the log decides, not the browser.
- A staff session on an auditor's device reads the office (masked KYC only) and writes
  nothing: no decision buttons, and a forged write stops at the gate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import flet as ft
import pytest
import pytest_asyncio

from chitnode.domain import chit_kinds_base as base
from chitnode.errors import ChitError
from chitnode.log.entry import entry_from_stored
from chitnode.node.node import Node
from tests.support.clock import FakeClock
from tests.support.flet_session import (
    AppSessionHandle,
    app_context,
    click,
    find,
    has,
    open_session,
    text_by,
)
from tests.support.peer import joiner
from ui import i18n
from ui.gate import Who
from ui.shell import ADMIN, STAFF_HOME, STAFF_LOGIN, AppContext, Screen, SessionView
from ui.views.office import TABS

OFFICE_ROUTES = [route for route, _, _ in TABS]
ADMIN_PROBE = "/admin-probe"  # an admin screen of the test's own (issue 13's land apart)
KYC_BODY = {
    "member_id": "M1",
    "name": "Asha Rao",
    "pan": "XXXXX1234F",
    "bank_account": "XXXXXXXX9012",
    "phone": "XXXXXX3210",
}


async def _admin_probe(view: SessionView) -> ft.Control:
    return ft.Semantics(content=ft.Text("admin only"), identifier="admin-probe")


def enrolled_device(tmp_path: Path, clock: FakeClock, role: str) -> Node:
    """A device of `role`: the admin enrols it, and it holds the admin's log."""
    admin = Node.init(tmp_path / "admin", "Test Branch", clock=clock)
    try:
        admin.submit("member.registered", {"member_id": "M1", "name": "Asha Rao"})
        admin.submit("kyc.submitted", KYC_BODY)
        desk = joiner(tmp_path / "desk", admin.branch, admin.public)
        admin.submit("device.enrolled", {"key": desk.public, "role": role, "name": "Desk"})
        desk.ingest([entry_from_stored(row.raw) for row in admin.store.placed_entries()])
    finally:
        admin.close()
    return desk


@pytest_asyncio.fixture
async def employee_ctx(tmp_path: Path, clock: FakeClock) -> AsyncIterator[AppContext]:
    """The app on an employee's device, with an admin screen of the test's own."""
    async with app_context(enrolled_device(tmp_path, clock, "employee"), tmp_path / "desk") as ctx:
        ctx.screens[ADMIN_PROBE] = Screen(ADMIN_PROBE, ADMIN, "office.nav", _admin_probe)
        yield ctx


@pytest_asyncio.fixture
async def auditor_ctx(tmp_path: Path, clock: FakeClock) -> AsyncIterator[AppContext]:
    async with app_context(enrolled_device(tmp_path, clock, "auditor"), tmp_path / "desk") as ctx:
        yield ctx


@pytest_asyncio.fixture
async def admin_ctx(tmp_path: Path, clock: FakeClock) -> AsyncIterator[AppContext]:
    node = Node.init(tmp_path / "node", "Test Branch", clock=clock)
    node.submit("member.registered", {"member_id": "M1", "name": "Asha Rao"})
    node.submit("kyc.submitted", KYC_BODY)
    async with app_context(node, tmp_path / "node") as ctx:
        yield ctx


def shows_no_office(handle: AppSessionHandle) -> bool:
    page = handle.page
    return not any(
        has(page, ident=ident) for ident in ("office-title", "kyc-pending", "kyc-approve-M1")
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("route", OFFICE_ROUTES)
async def test_a_member_session_opens_no_office_route(admin_ctx: AppContext, route: str) -> None:
    phone = await open_session(
        admin_ctx, client_ip="192.168.1.20", who=Who("member", "M1"), route=route
    )
    assert phone.view.screen is not None and phone.view.screen.route == STAFF_LOGIN
    assert shows_no_office(phone)
    guest = await open_session(admin_ctx, client_ip="192.168.1.21", route=route)
    assert guest.view.screen is not None and guest.view.screen.route not in OFFICE_ROUTES
    assert shows_no_office(guest)


@pytest.mark.asyncio
async def test_a_member_session_cannot_write_the_offices_acts(admin_ctx: AppContext) -> None:
    member = Who("member", "M1")
    for kind, body in (
        ("kyc.approved", {"member_id": "M1"}),
        ("recovery.moved", {"group_id": "G", "ticket": 1, "to": "resolved", "note": "x"}),
    ):
        with pytest.raises(ChitError) as refused:
            await admin_ctx.backend.submit(member, kind, body)
        assert refused.value.code == "not_allowed_here"
    row = await admin_ctx.backend.read(lambda r: r.state.get(base.MEMBERS, "M1"))
    assert row["kyc"] == base.KYC_SUBMITTED


@pytest.mark.asyncio
async def test_an_employee_device_works_the_office_but_not_admin_screens(
    employee_ctx: AppContext,
) -> None:
    desk = await open_session(employee_ctx, who=Who("staff", name="Nirmala"))
    assert desk.view.who.device_role == "employee" and not desk.view.who.is_admin
    await desk.go(ADMIN_PROBE)
    assert desk.view.screen is not None and desk.view.screen.route == STAFF_HOME
    assert not has(desk.page, ident="admin-probe")
    for route in OFFICE_ROUTES:
        await desk.go(route)
        assert desk.view.screen is not None and desk.view.screen.route == route
        assert desk.banner == ""
    await desk.go("/kyc")
    await click(desk, find(desk.page, ident="kyc-reveal-M1").content)
    assert text_by(desk.page, "kyc-hidden-M1") == i18n.t("en", "office.kyc.hidden.not_sealed")
    await click(desk, find(desk.page, ident="kyc-approve-M1").content)
    row = await employee_ctx.backend.read(lambda r: r.state.get(base.MEMBERS, "M1"))
    assert row["kyc"] == base.KYC_APPROVED  # an employee's own act: the kernel takes it


@pytest.mark.asyncio
async def test_an_admin_only_write_from_an_employee_device_is_refused_in_words(
    employee_ctx: AppContext,
) -> None:
    desk = await open_session(employee_ctx, who=Who("staff", name="Nirmala"))
    body = {"amount_paise": 1_000_00, "bank_ref": "NEFT-1"}
    with pytest.raises(ChitError) as refused:
        await employee_ctx.backend.submit(desk.view.who, "treasury.funded", body)
    before = await employee_ctx.backend.nt.run(lambda node: node.store.count())
    assert await desk.view.submit("treasury.funded", body) is None
    assert desk.banner == i18n.error_text("en", refused.value.code)
    assert await employee_ctx.backend.nt.run(lambda node: node.store.count()) == before


@pytest.mark.asyncio
async def test_an_auditor_device_reads_the_office_and_writes_nothing(
    auditor_ctx: AppContext,
) -> None:
    desk = await open_session(auditor_ctx, who=Who("staff", name="Auditor"))
    assert desk.view.who.is_auditor
    await desk.go("/kyc")
    assert text_by(desk.page, "kyc-pending") == "Waiting for a KYC decision: 1"
    assert not has(desk.page, ident="kyc-approve-M1")  # no button the role could not use
    assert not has(desk.page, ident="kyc-bulk-approve")
    await click(desk, find(desk.page, ident="kyc-reveal-M1").content)
    assert text_by(desk.page, "kyc-hidden-M1") == i18n.t("en", "office.kyc.hidden.not_staff")
    await desk.go("/recovery")
    assert not has(desk.page, ident="recovery-note")
    before = await auditor_ctx.backend.nt.run(lambda node: node.store.count())
    assert await desk.view.submit("kyc.approved", {"member_id": "M1"}) is None
    assert desk.banner == i18n.error_text("en", "not_allowed_here")
    assert await auditor_ctx.backend.nt.run(lambda node: node.store.count()) == before
