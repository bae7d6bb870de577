"""The foreman's screens in in-process Flet sessions over the demo branch (FLET.md §4).

The demo is built once for the module; each test opens it again in a real app context
(the real make_main, shell, Backend and gate), clicks as the websocket would, and reads
what the screens show by their Semantics identifiers. Tests that write use their own ids.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views as views
from chitnode.node.node import Node
from chitnode.services import kyc_vault, staff_key
from sync.invite.pins import PinBook
from tests.support.clock import FakeClock
from tests.support.demo_branch import DemoBranch, demo_branch
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
from ui import fmt
from ui.gate import Who
from ui.shell import AppContext
from ui.vm import setup

RUNNING = "UDP-2025-07"
FORMING = "MNG-2026-06"
STAFF_WHO = Who("staff", name="Foreman")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DemoBranch:
    """The demo branch, built and closed: each test opens it in its own app context."""
    with demo_branch(tmp_path_factory) as branch:
        pass
    return branch


@pytest_asyncio.fixture
async def ctx(built: DemoBranch) -> AsyncIterator[AppContext]:
    node = Node.open(built.folder, clock=FakeClock(wall_ms=built.end_ms + 60_000))
    async with app_context(node, built.folder) as context:
        yield context


async def staff(ctx: AppContext, route: str) -> AppSessionHandle:
    return await open_session(ctx, who=STAFF_WHO, route=route)


async def press(handle: AppSessionHandle, ident: str) -> None:
    """Click the button inside the Semantics `ident`, as the browser would."""
    await click(handle, find(handle.page, ident=ident).content)


def fill(handle: AppSessionHandle, ident: str, value: str) -> None:
    find(handle.page, ident=ident).content.value = value


async def read(ctx: AppContext, fn: Any) -> Any:
    return await ctx.backend.read(fn)


@pytest.mark.asyncio
async def test_home_shows_branch_groups_health_and_totals(ctx: AppContext) -> None:
    home = await staff(ctx, "/foreman")
    page = home.page
    assert text_by(page, "home-branch") == "Mangaluru Demo Branch"
    assert "admin" in text_by(page, "home-device")
    assert text_by(page, f"home-group-{RUNNING}-progress") == "Month 7 of 20"
    health = await read(ctx, lambda r: views.group_health(r.state, RUNNING))
    words = text_by(page, f"home-group-{RUNNING}-health")
    assert fmt.rupees(health.pool_paise) in words
    assert f"{health.tickets_paid} of 20 tickets paid" in words and "1 in default" in words
    lease = text_by(page, f"home-group-{RUNNING}-lease")
    assert lease.startswith("This device runs this group's meetings (lease term ")
    assert text_by(page, f"home-group-{FORMING}-progress").startswith("Forming: ")
    assert "40" in text_by(page, "home-total-members")
    assert has(page, ident="home-meetings") and has(page, ident="home-new-group")
    assert not has(page, ident=f"home-group-{FORMING}-run")  # no meeting for a forming group


@pytest.mark.asyncio
async def test_group_button_opens_the_group_with_ticket_statuses(
    ctx: AppContext, built: DemoBranch
) -> None:
    home = await staff(ctx, "/foreman")
    await press(home, f"home-group-{RUNNING}-open")
    assert home.view.route == "/group" and home.view.params["group"] == RUNNING
    defaulter = built.summary["groups"][RUNNING]["defaulter_ticket"]
    assert text_by(home.page, f"group-ticket-{defaulter}-status") == "Defaulted"
    assert "Owes ₹" in text_by(home.page, f"group-ticket-{defaulter}-arrears")
    assert text_by(home.page, "group-progress") == "Month 7 of 20"
    await press(home, "group-run")
    assert home.view.route == "/meeting" and home.view.params["group"] == RUNNING


@pytest.mark.asyncio
async def test_run_meeting_from_the_home_goes_to_the_meeting(ctx: AppContext) -> None:
    home = await staff(ctx, "/foreman")
    await press(home, f"home-group-{RUNNING}-run")
    assert home.view.route == "/meeting" and home.view.params == {"group": RUNNING}


@pytest.mark.asyncio
async def test_new_group_previews_then_creates_then_forms_and_starts(ctx: AppContext) -> None:
    s = await staff(ctx, "/foreman")
    await press(s, "home-new-group")
    assert s.view.route == "/groups/new"
    assert text_by(s.page, "newgroup-max_discount_pct") == "40"  # the branch's ceiling
    for ident, value in (
        ("group_id", "NEW-2027-01"),
        ("name", "New Circle"),
        ("chit_value", "30,000"),
        ("tickets", "3"),
        ("max_discount_pct", "forty"),
    ):
        fill(s, f"newgroup-{ident}", value)
    await press(s, "newgroup-preview-button")
    assert find(s.page, ident="newgroup-max_discount_pct").content.error == (
        "A percentage from 0 to 100, like 5 or 4.5."
    )
    assert find(s.page, ident="newgroup-create").content.disabled  # nothing to confirm
    fill(s, "newgroup-max_discount_pct", "45")  # above the branch's 40% ceiling
    await press(s, "newgroup-preview-button")
    assert s.banner  # the kernel's refusal, in words
    fill(s, "newgroup-max_discount_pct", "10")
    await press(s, "newgroup-preview-button")
    assert "₹10,000" in text_by(s.page, "newgroup-preview-instalment")
    assert "₹1,500 a month" in text_by(s.page, "newgroup-preview-commission")
    await press(s, "newgroup-create")
    assert s.view.route == "/groups/setup" and s.view.params["group"] == "NEW-2027-01"
    assert text_by(s.page, "setup-count") == "0 of 3 tickets have a holder."

    find(s.page, ident="setup-assign-member").content.value = "M001"
    await press(s, "setup-assign")
    assert text_by(s.page, "setup-count") == "1 of 3 tickets have a holder."
    fill(s, "setup-assign-many", "M002, NOPE")
    await press(s, "setup-assign-many-button")
    assert find(s.page, ident="setup-assign-many").content.error.startswith("A number here")
    assert text_by(s.page, "setup-count") == "1 of 3 tickets have a holder."  # none given
    fill(s, "setup-assign-many", "M002 M003")
    await press(s, "setup-assign-many-button")
    assert text_by(s.page, "setup-ticket-3").startswith("Ticket 3: ")
    assert not has(s.page, ident="setup-assign")  # every ticket has a holder
    assert find(s.page, ident="setup-start").content.disabled
    await press(s, "setup-publish")
    assert "0 of 3 holders have signed" in text_by(s.page, "setup-signatures")
    assert text_by(s.page, "setup-sign-M002") == "Not signed yet"
    published = find(s.page, ident="setup-publish").content
    assert published.content == "Sent for signing" and published.disabled

    # Each member signs from a phone (the member's own session); the laptop sees it live.
    for member_id in ("M001", "M002", "M003"):
        command = await read(ctx, lambda r, m=member_id: setup.sign_agreement(r, "NEW-2027-01", m))
        receipt = await ctx.backend.submit(Who("member", member_id), *command)
        assert receipt.status == "applied"
    await settle()
    assert "3 of 3 holders have signed" in text_by(s.page, "setup-signatures")
    assert text_by(s.page, "setup-sign-M002") == "Signed"
    await press(s, "setup-start")
    assert s.view.route == "/group"
    group = await read(ctx, lambda r: base.group_row(r.state, "NEW-2027-01"))
    assert group["status"] == base.RUNNING
    assert text_by(s.page, "group-progress") == "Month 1 of 3"


@pytest.mark.asyncio
async def test_new_member_with_kyc_sealed_and_pin(ctx: AppContext, built: DemoBranch) -> None:
    s = await staff(ctx, "/members/new")
    assert text_by(s.page, "member-member_id") == "M041"  # the next in the series
    for ident, value in (
        ("name", "Asha Rao"),
        ("pan", "ABCDE1234F"),
        ("bank_account", "123456789012"),
        ("ifsc", "CNRB0001234"),
        ("phone", "9876543210"),
        ("pin", "482913"),
        ("pin_again", "482931"),
    ):
        fill(s, f"member-{ident}", value)
    await press(s, "member-register")
    assert find(s.page, ident="member-pin_again").content.error == "The two PINs differ."
    assert await read(ctx, lambda r: r.state.get(base.MEMBERS, "M041")) is None  # no half

    fill(s, "member-pin", "482913")
    fill(s, "member-pin_again", "482913")
    await press(s, "member-register")
    assert s.banner == "", s.banner
    assert text_by(s.page, "member-done").startswith("M041 Asha Rao is registered")
    row = await read(ctx, lambda r: r.state.get(base.MEMBERS, "M041"))
    assert row["kyc"] == base.KYC_APPROVED and row["pan_masked"] == "XXXXX1234F"
    key = await ctx.backend.nt.run(staff_key.load_staff_key)
    assert kyc_vault.open_kyc(key, row["kyc_sealed"])["phone"] == "9876543210"
    assert PinBook(built.folder).check("M041", "482913")
    assert find(s.page, ident="member-pin").content.value == ""  # never left on screen


@pytest.mark.asyncio
async def test_pending_kyc_is_approved_from_the_members_screen(ctx: AppContext) -> None:
    s = await staff(ctx, "/members/new")
    pending = await read(ctx, lambda r: setup.pending_kyc(r.state))
    assert len(pending) == 4  # the demo's members awaiting approval
    first = pending[0]
    line = text_by(s.page, f"member-pending-{first.member_id}")
    assert first.pan_masked in line and first.phone_masked in line
    await press(s, f"member-pending-{first.member_id}-approve")
    assert s.banner == ""
    row = await read(ctx, lambda r: r.state.get(base.MEMBERS, first.member_id))
    assert row["kyc"] == base.KYC_APPROVED
    assert not has(s.page, ident=f"member-pending-{first.member_id}")
    assert has(s.page, ident=f"member-pending-{pending[1].member_id}")


@pytest.mark.asyncio
async def test_a_member_session_never_sees_the_foremans_screens(ctx: AppContext) -> None:
    phone = await open_session(ctx, who=Who("member", "M001"), route="/foreman")
    for route in ("/foreman", "/groups/new", "/members/new", f"/groups/setup?group={FORMING}"):
        await phone.go(route)
        assert not has(phone.page, ident="home-branch")
        assert not has(phone.page, ident="newgroup-create")
        assert not has(phone.page, ident="member-register")
        assert not has(phone.page, ident="setup-publish")


@pytest.mark.asyncio
async def test_a_group_that_does_not_exist_is_said_in_words(ctx: AppContext) -> None:
    s = await staff(ctx, "/group?group=NO-SUCH")
    assert s.banner  # the kernel's unknown_group, as a sentence
    assert "unknown_group" not in s.banner and "Traceback" not in s.banner
