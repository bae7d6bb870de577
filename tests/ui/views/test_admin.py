"""The admin's screens in in-process Flet sessions over the demo branch (FLET.md §4).

The demo is built once for the module; each test opens its own copy in the real app
context (make_main, shell, Backend, gate) on the demo's root admin device, clicks as the
websocket would, and reads the screens by their Semantics identifiers. The role tests
open an employee's device: the shell sends it home from every admin route.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from chitnode.log.entry import entry_from_stored
from sync.invite import code
from sync.invite.book import InviteBook
from sync.serve import runtime
from tests.support.demo_branch import DemoBranch, closed_demo, open_copy
from tests.support.flet_session import (
    AppSessionHandle,
    app_context,
    click,
    find,
    has,
    open_session,
    settle,
    text_by,
)
from ui import fmt, limits
from ui.gate import Who
from ui.shell import MEMBER_LOGIN, STAFF_HOME, STAFF_LOGIN, AppContext
from ui.views.admin import AUDIT, DASHBOARD, DEVICES, INTEGRITY, TABS
from ui.vm import admin as vm

ADMIN_ROUTES = [route for route, _, _ in TABS]
STAFF_WHO = Who("staff", name="Nirmala")
PEER_PORT = 7444  # written into serve.json only: nothing listens
LAN_HOST = "192.168.1.10"
CHECK_ROUNDS_MAX = 600  # settles while the integrity check runs (each bounded by settle)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DemoBranch:
    return closed_demo(tmp_path_factory)


@pytest_asyncio.fixture
async def ctx(built: DemoBranch, tmp_path: Path) -> AsyncIterator[AppContext]:
    folder = tmp_path / "node"
    async with app_context(open_copy(built, folder), folder) as context:
        yield context


async def admin(ctx: AppContext, route: str) -> AppSessionHandle:
    """A staff session on the demo's root admin device, logged in, at `route`."""
    handle = await open_session(ctx, who=STAFF_WHO)
    assert handle.view.who.is_admin
    await handle.go(route)
    return handle


async def press(handle: AppSessionHandle, ident: str) -> None:
    await click(handle, find(handle.page, ident=ident).content)


def fill(handle: AppSessionHandle, ident: str, value: str) -> None:
    find(handle.page, ident=ident).content.value = value


@pytest.mark.asyncio
async def test_the_dashboard_shows_the_folds_figures_and_a_bar_per_month(ctx: AppContext) -> None:
    handle = await admin(ctx, DASHBOARD)
    d = await ctx.backend.read(vm.dashboard)
    assert text_by(handle.page, "admin-title") == "Dashboard"
    assert text_by(handle.page, "admin-kpi-pool") == fmt.rupees(d.total_pool_paise)
    assert text_by(handle.page, "admin-kpi-members") == str(d.active_members)
    assert text_by(handle.page, "admin-kpi-default-rate") == vm.percent(d.default_rate_bp)
    assert text_by(handle.page, "admin-kpi-loans") == fmt.rupees(d.loans_outstanding_paise)
    assert text_by(handle.page, "admin-kpi-collections") == fmt.rupees(
        d.collections_this_month_paise
    )
    for bar in d.trend:  # each bar says its figure in words
        assert fmt.rupees(bar.paise) in text_by(handle.page, f"admin-bar-{bar.label}")


@pytest.mark.asyncio
async def test_every_staff_screen_shows_the_monitor_strip(ctx: AppContext) -> None:
    handle = await admin(ctx, STAFF_HOME)
    await settle()
    stored = await ctx.backend.nt.run(lambda node: node.store.count())
    assert text_by(handle.page, "strip-wal") == f"WAL {stored}"
    assert text_by(handle.page, "strip-held").startswith("held ")
    assert text_by(handle.page, "strip-ram").endswith(" MB")
    assert text_by(handle.page, "strip-peers") == "peers —"  # no serve runtime in the test
    member = await open_session(ctx, client_ip="192.168.1.20", who=Who("member", "M001"))
    assert not has(member.page, ident="monitor-strip")


@pytest.mark.asyncio
async def test_the_audit_trail_pages_back_and_filters(ctx: AppContext) -> None:
    handle = await admin(ctx, AUDIT)
    first = text_by(handle.page, "audit-row-0")
    assert has(handle.page, ident=f"audit-row-{limits.AUDIT_PAGE_ROWS - 1}")
    newest = await ctx.backend.nt.run(lambda node: node.store.latest_placed(1)[0])
    assert first.startswith(f"#{newest.pos} ")
    await press(handle, "audit-older")
    assert text_by(handle.page, "audit-page") == "Page 2"
    second = text_by(handle.page, "audit-row-0")
    rows = limits.AUDIT_PAGE_ROWS + 1
    older = await ctx.backend.nt.run(lambda node: node.store.latest_placed(rows)[0])
    assert second.startswith(f"#{older.pos} ")
    await press(handle, "audit-newest")
    fill(handle, "audit-kind", "member.")
    await press(handle, "audit-filter")
    assert handle.view.params == {"kind": "member."}
    assert " · member." in text_by(handle.page, "audit-row-0")
    fill(handle, "audit-since", "31/03/2026")
    await press(handle, "audit-filter")
    assert "year-month-day" in handle.banner


@pytest.mark.asyncio
async def test_integrity_verifies_the_log_and_lists_a_tampered_entry(ctx: AppContext) -> None:
    handle = await admin(ctx, INTEGRITY)
    assert has(handle.page, ident="integrity-no-forks")
    assert has(handle.page, ident="integrity-no-fencing")
    stored = await ctx.backend.nt.run(lambda node: node.store.count())
    await finish_check(handle)
    assert text_by(handle.page, "integrity-status").startswith(f"OK: {stored} entries")
    assert find(handle.page, ident="integrity-progress").content.value == 1.0
    # an edit made behind the node's back, as any SQLite tool could
    folder = ctx.backend.folder
    victim = await ctx.backend.nt.run(lambda node: node.store.latest_placed(1)[0])
    with sqlite3.connect(folder / "chitnode.db") as db:
        db.execute(
            "UPDATE entries SET raw = replace(raw, '\"ts\":', '\"ts\": ') WHERE hash = ?",
            (victim.hash,),
        )
    await finish_check(handle)
    assert text_by(handle.page, "integrity-status").startswith("FAILED: 1 problems")
    problem = text_by(handle.page, "integrity-problem-0")
    assert problem.startswith("bad_hash") and f"seq {victim.seq}" in problem


async def finish_check(handle: AppSessionHandle) -> None:
    """Start the check and let it run to its verdict (bounded rounds of settle)."""
    await press(handle, "integrity-start")
    for _ in range(CHECK_ROUNDS_MAX):
        status = text_by(handle.page, "integrity-status")
        if status.startswith(("OK", "FAILED")):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the check did not finish: {status}")


@pytest.mark.asyncio
async def test_devices_lists_leases_and_revokes_after_the_placed_head(
    ctx: AppContext, built: DemoBranch
) -> None:
    handle = await admin(ctx, DEVICES)
    data = await ctx.backend.read(vm.devices)
    assert has(handle.page, ident="devices-not-serving")  # no serve runtime in the test
    for i, lease in enumerate(data.leases):
        assert lease.scope in text_by(handle.page, f"devices-lease-{i}")
    index, target = next(
        (i, d) for i, d in enumerate(data.devices) if d.status == "active" and not d.this_device
    )
    await press(handle, f"devices-revoke-{index}")
    assert "Say why" in handle.banner  # no reason: nothing written
    fill(handle, f"devices-reason-{index}", "lost in transit")
    await press(handle, f"devices-revoke-{index}")
    row = await ctx.backend.read(lambda r: r.state.get("devices", target.key))
    head = await ctx.backend.nt.run(lambda node: node.store.placed_heads().get(target.key))
    assert row is not None and row["status"] == "revoked"
    assert row["after_seq"] == (head[0] if head else 0)
    assert "revoked: lost in transit" in text_by(handle.page, f"devices-row-{index}-revoked")
    await press(handle, "devices-invite")
    assert handle.banner  # an invite is answered by the serving node: refused in words


@pytest.mark.asyncio
@pytest.mark.parametrize("route", ADMIN_ROUTES)
async def test_a_member_or_guest_reaches_no_admin_route(ctx: AppContext, route: str) -> None:
    phone = await open_session(ctx, client_ip="192.168.1.20", who=Who("member", "M001"))
    await phone.go(route)
    assert phone.view.screen is not None and phone.view.screen.route == STAFF_LOGIN
    assert not has(phone.page, ident="admin-title")
    guest = await open_session(ctx, client_ip="192.168.1.21", route=route)
    assert guest.view.screen is not None
    assert guest.view.screen.route in (STAFF_LOGIN, MEMBER_LOGIN)
    assert not has(guest.page, ident="admin-title")


@pytest.mark.asyncio
async def test_an_employee_device_is_sent_home_from_every_admin_route(ctx: AppContext) -> None:
    handle = await open_session(ctx)
    handle.view.device_role = "employee"  # the serving node's role, as make_main reads it
    await handle.login(STAFF_WHO)
    assert handle.view.who.is_staff and not handle.view.who.is_admin
    assert has(handle.page, ident="monitor-strip")  # every staff screen shows it
    for route in ADMIN_ROUTES:
        await handle.go(route)
        assert handle.view.screen is not None and handle.view.screen.route == STAFF_HOME
        assert not has(handle.page, ident="admin-title")


@pytest.mark.asyncio
async def test_while_serving_an_admin_invites_a_device_and_sees_its_peers(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app runs inside serve: `runtime.current` is this process's run and serve.json
    names this pid and its peer port, as `chitnode serve` leaves them (the run itself is
    not started: no socket is needed to make an invite or to read the status)."""
    folder = ctx.backend.folder
    run = runtime.ServeRuntime(options=runtime.ServeOptions(folder), run_here=None)  # type: ignore[arg-type]
    runtime.write_serve_file(
        folder, {"pid": os.getpid(), "peer_port": PEER_PORT, "addresses": [LAN_HOST]}
    )
    monkeypatch.setattr(runtime, "current", run)
    handle = await admin(ctx, DEVICES)
    assert not has(handle.page, ident="devices-not-serving")
    assert text_by(handle.page, "devices-guard") == "Own feed: —"
    fill(handle, "devices-invite-name", "Counter 2")
    fill(handle, "devices-invite-role", "employee")
    await press(handle, "devices-invite")
    assert handle.banner == ""
    shown = find(handle.page, ident="devices-invite-code").value
    invite = code.decode(shown)
    branch = await ctx.backend.read(lambda r: r.branch_id)
    assert (invite.branch, invite.addresses) == (branch, ((LAN_HOST, PEER_PORT),))
    [pending] = InviteBook(folder).rows()
    assert (pending.role, pending.name) == ("employee", "Counter 2")
    await settle()
    assert text_by(handle.page, "strip-peers") == "peers 0"


@pytest.mark.asyncio
async def test_the_strip_reads_again_on_its_own_period_not_per_write(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = await admin(ctx, DASHBOARD)
    stored = await ctx.backend.nt.run(lambda node: node.store.count())
    assert text_by(handle.page, "strip-wal") == f"WAL {stored}"
    await ctx.backend.submit(STAFF_WHO, "member.registered", {"member_id": "M900", "name": "Ravi"})
    await settle()  # the write's event has reached the session: the strip waits its period
    assert text_by(handle.page, "strip-wal") == f"WAL {stored}"
    monkeypatch.setattr(limits, "MONITOR_REFRESH_S", 0.01)
    await handle.go(STAFF_HOME)  # a new header: a new strip, read at once
    await settle()
    assert text_by(handle.page, "strip-wal") == f"WAL {stored + 1}"


@pytest.mark.asyncio
async def test_integrity_shows_a_fork_with_both_twins(built: DemoBranch, tmp_path: Path) -> None:
    """The root's data folder copied and written on in both places: the same seq twice.
    The first copy, given the other's entry, keeps it as evidence and lists the fork."""
    here = open_copy(built, tmp_path / "here")
    with open_copy(built, tmp_path / "there") as there:
        there.submit("member.registered", {"member_id": "M902", "name": "Ravi"})
        twin = entry_from_stored(there.store.latest_placed(1)[0].raw)
    here.submit("member.registered", {"member_id": "M901", "name": "Asha"})
    mine = here.store.latest_placed(1)[0]
    here.ingest([twin])
    async with app_context(here, tmp_path / "here") as context:
        handle = await admin(context, INTEGRITY)
        fork = text_by(handle.page, "integrity-fork-0")
        assert f"fork at seq {twin.seq}" in fork and twin.seq == mine.seq
        card_text = text_by(handle.page, "integrity-fork-card-0")
        assert mine.hash in card_text and twin.hash in card_text
        assert "main chain" in card_text and "evidence" in card_text
