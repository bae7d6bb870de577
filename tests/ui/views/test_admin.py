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

from chitnode.domain.kinds import MANAGERS, REGISTRY, KindSpec
from chitnode.log.entry import Entry, entry_from_stored
from sync.invite import code
from sync.invite.book import InviteBook
from sync.serve import runtime
from tests.support.demo_branch import DemoBranch, closed_demo, open_copy
from tests.support.feeds import BRANCH, Feed, enrol, founded, seeded_key
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
from tests.support.peer import joiner
from ui import fmt, limits
from ui.gate import Who
from ui.shell import MEMBER_LOGIN, STAFF_HOME, STAFF_LOGIN, AppContext
from ui.views.admin import AUDIT, DASHBOARD, DEVICES, INTEGRITY, TABS
from ui.vm import admin as vm

ADMIN_ROUTES = [route for route, _, _ in TABS]
STAFF_WHO = Who("staff", name="Nirmala")
PEER_PORT = 7444  # written into serve.json only: nothing listens
LAN_HOST = "192.168.1.10"
FENCED_KIND = "test.payout"  # a coordinated kind of this test's own
SCOPE = "group:g"
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


def _vote(feed: Feed, scope: str, term: int, candidate: Feed, deps: list[Entry]) -> Entry:
    return feed.write(
        "lease.vote", {"scope": scope, "term": term, "candidate": candidate.public}, deps
    )


def _grant(holder: Feed, scope: str, term: int, votes: list[Entry]) -> Entry:
    refs = [[v.author, v.seq, v.hash] for v in votes]
    return holder.write("lease.granted", {"scope": scope, "term": term, "votes": refs}, [votes[-1]])


@pytest.mark.asyncio
async def test_integrity_shows_fencing_evidence_with_both_entries(tmp_path: Path) -> None:
    """Two foremen elected in turn for one scope: the first, still at term 1 after it saw
    term 2's grant, writes a coordinated entry; the fold refuses it `stale_term`, and the
    screen shows it beside the grant that fenced it (coordination-v1 rule 3)."""
    REGISTRY[FENCED_KIND] = KindSpec(FENCED_KIND, MANAGERS, lambda state, entry: [], True, "test")
    try:
        root, a, b = founded(), Feed(seeded_key(2)), Feed(seeded_key(3))
        node = joiner(tmp_path / "node", BRANCH, root.public)
        root.write("device.enrolled", {"key": node.public, "role": "admin", "name": "Desk"})
        enrol(root, a, "foreman")
        enrol(root, b, "foreman")
        keys = sorted([a.public, b.public, root.public])
        body = {"scope": SCOPE, "keys": keys, "lease_ms": 60_000}
        e_set = root.write("scope.electorate_set", body)
        va = _vote(a, SCOPE, 1, a, [e_set])
        grant1 = _grant(a, SCOPE, 1, [va, _vote(root, SCOPE, 1, a, [va])])
        vb = _vote(b, SCOPE, 2, b, [grant1])
        grant2 = _grant(b, SCOPE, 2, [vb, _vote(root, SCOPE, 2, b, [vb])])
        stale = a.write(FENCED_KIND, {"scope": SCOPE, "term": 1, "ref": "late"}, [grant2])
        node.ingest([*root.entries, *a.entries, *b.entries])
        assert node.store.outcome_of(stale.author, stale.seq) == ("rejected", "stale_term")
        async with app_context(node, tmp_path / "node") as context:
            handle = await admin(context, INTEGRITY)
            fenced = text_by(handle.page, "integrity-fenced-0")
            assert f"seq {stale.seq} at term 1 in {SCOPE}" in fenced
            assert stale.hash in text_by(handle.page, "integrity-fenced-card-0")
            by = text_by(handle.page, "integrity-fenced-by-0")
            assert f"term 2, granted to foreman device at seq {grant2.seq}" in by
            assert grant2.hash in by
    finally:
        del REGISTRY[FENCED_KIND]
