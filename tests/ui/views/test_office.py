"""The back office's screens in in-process Flet sessions over the demo branch (FLET.md §4).

The demo is built once for the module; each test opens its own copy in the real app
context (make_main, shell, Backend, gate), clicks as the websocket would, and reads the
screens by their Semantics identifiers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import flet as ft
import pytest
import pytest_asyncio

from chitnode.domain import bank_kinds as bank
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import loan_views as lv
from chitnode.node.node import Node
from chitnode.services import kyc_vault, staff_key
from tests.support.demo_branch import DemoBranch, closed_demo, open_copy
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
from ui import i18n
from ui.gate import Who
from ui.shell import AppContext

STAFF_WHO = Who("staff", name="Nirmala")
BORROWER = "M012"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DemoBranch:
    return closed_demo(tmp_path_factory)


@pytest_asyncio.fixture
async def ctx(built: DemoBranch, tmp_path: Path) -> AsyncIterator[AppContext]:
    folder = tmp_path / "node"
    async with app_context(open_copy(built, folder), folder) as context:
        yield context


async def staff(ctx: AppContext, route: str) -> AppSessionHandle:
    """A staff session on this (root admin) device, logged in as a login would, at `route`."""
    handle = await open_session(ctx, who=STAFF_WHO)
    await handle.go(route)
    return handle


async def press(handle: AppSessionHandle, ident: str) -> None:
    await click(handle, find(handle.page, ident=ident).content)


def fill(handle: AppSessionHandle, ident: str, value: str) -> None:
    find(handle.page, ident=ident).content.value = value


async def on_node(ctx: AppContext, fn: Any) -> Any:
    return await ctx.backend.nt.run(fn)


def members(ctx_node: Node) -> dict[str, dict[str, Any]]:
    return dict(ctx_node.engine.state.rows(base.MEMBERS))


# --- /kyc -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_kyc_queue_shows_masked_rows_and_documents(ctx: AppContext) -> None:
    home = await staff(ctx, "/kyc")
    page = home.page
    assert text_by(page, "office-title") == "KYC queue"
    assert text_by(page, "kyc-pending") == "Waiting for a KYC decision: 4"
    values = text_by(page, "kyc-values-M037")
    assert "PAN XXXXX" in values and "Bank account XXXXXXXX" in values
    assert text_by(page, "kyc-doc-M037-pan") == "PAN: recorded"
    assert text_by(page, "kyc-doc-M037-sealed") == "Sealed full copy: missing"
    await press(home, "kyc-reveal-M037")  # the demo sealed nothing: said so, still masked
    assert home.view.params["reveal"] == "M037"
    assert text_by(page, "kyc-hidden-M037") == "Only masked values were recorded for this member."
    assert "XXXXX" in text_by(page, "kyc-values-M037")


@pytest.mark.asyncio
async def test_full_values_shown_on_asking_on_a_device_with_the_staff_key(
    ctx: AppContext,
) -> None:
    def sealed(node: Node) -> None:
        key = staff_key.ensure_staff_key(node)
        node.submit("member.registered", {"member_id": "M901", "name": "Sealed Person"})
        masked, box = kyc_vault.seal_kyc(key, "ABCDE1234F", "123456789012", "9876543210")
        body = {"member_id": "M901", "name": "Sealed Person", **masked, "sealed": box}
        node.submit("kyc.submitted", body)

    await on_node(ctx, sealed)
    home = await staff(ctx, "/kyc")
    assert "XXXXX1234F" in text_by(home.page, "kyc-values-M901")
    assert "ABCDE1234F" not in text_by(home.page, "kyc-values-M901")  # not until asked
    await press(home, "kyc-reveal-M901")
    shown = text_by(home.page, "kyc-values-M901")
    assert "PAN ABCDE1234F" in shown and "Bank account 123456789012" in shown
    assert text_by(home.page, "kyc-full-M901").startswith("Full values shown")
    assert "XXXXX" in text_by(home.page, "kyc-values-M037")  # only the one asked for


@pytest.mark.asyncio
async def test_bulk_approve_two_ticked_members_in_one_entry(ctx: AppContext) -> None:
    home = await staff(ctx, "/kyc")
    page = home.page
    await press(home, "kyc-bulk-approve")  # nothing ticked: said, nothing written
    assert home.banner == "Tick the members to approve first."
    before = await on_node(ctx, lambda node: node.store.count())
    find(page, ident="kyc-select-M037").content.value = True
    find(page, ident="kyc-select-M038").content.value = True
    await press(home, "kyc-bulk-approve")
    assert home.banner == ""
    assert await on_node(ctx, lambda node: node.store.count()) == before + 1
    state = await on_node(ctx, members)
    assert state["M037"]["kyc"] == state["M038"]["kyc"] == base.KYC_APPROVED
    assert text_by(home.page, "kyc-pending") == "Waiting for a KYC decision: 2"
    assert not has(home.page, ident="kyc-M037")


@pytest.mark.asyncio
async def test_reject_needs_a_reason_said_in_words(ctx: AppContext) -> None:
    home = await staff(ctx, "/kyc")
    await press(home, "kyc-reject-M039")
    assert home.banner == i18n.error_text("en", "note_required")
    fill(home, "kyc-reason-M039", "PAN card photo unreadable")
    await press(home, "kyc-reject-M039")
    row = (await on_node(ctx, members))["M039"]
    assert (row["kyc"], row["kyc_reason"]) == (base.KYC_REJECTED, "PAN card photo unreadable")
    assert not has(home.page, ident="kyc-M039")


# --- /loans/inbox ---------------------------------------------------------------------------


def _apply(node: Node, loan_id: str, member: str, rupees: int) -> None:
    body = {
        "loan_id": loan_id,
        "member_id": member,
        "amount_paise": rupees * 100,
        "tenure_months": 6,
        "purpose": "seeds",
        "actor": member,
    }
    node.submit("loan.applied", body)


@pytest.mark.asyncio
async def test_loan_inbox_card_and_approval(ctx: AppContext) -> None:
    await on_node(ctx, lambda node: _apply(node, "L-V1", BORROWER, 5_000))
    home = await staff(ctx, "/loans/inbox")
    page = home.page
    assert text_by(page, "loans-waiting") == "Applications waiting for a decision: 1"
    assert "L-V1" in text_by(page, "loan-row-L-V1") and "₹5,000" in text_by(page, "loan-row-L-V1")
    assert text_by(page, "loan-eligibility-L-V1") == "Eligible"
    assert text_by(page, "loan-risk-L-V1").startswith("Risk ")
    assert text_by(page, "loan-risk-L-V1-arrears").startswith("Arrears: ")
    assert text_by(page, "loan-bankers-L-V1")  # the kernel's words, whatever they say
    assert has(page, ident="loan-approved-L-V1") and has(page, ident="loan-rejected-L-V1")
    await press(home, "loan-approved-L-V1")  # no reason: refused in words
    assert home.banner == i18n.error_text("en", "note_required")
    fill(home, "loan-reason-L-V1", "pays every month on time")
    await press(home, "loan-approved-L-V1")
    loan = await on_node(ctx, lambda node: node.engine.state.get(lv.LOANS, "L-V1"))
    assert loan["status"] == lv.APPROVED
    assert text_by(home.page, "loan-status-L-V1") == "Status: approved"
    assert has(home.page, ident="loan-sanctioned-L-V1")  # an admin device may sanction


@pytest.mark.asyncio
async def test_sanction_refused_by_the_bankers_check_is_said_in_words(ctx: AppContext) -> None:
    def approved(node: Node) -> None:
        _apply(node, "L-V2", BORROWER, 5_000)
        node.submit("loan.approved", {"loan_id": "L-V2", "reason": "ok"})

    await on_node(ctx, approved)
    home = await staff(ctx, "/loans/inbox")
    pool = text_by(home.page, "loan-pool-L-V2")
    assert text_by(home.page, "loan-bankers-badge-L-V2") == "Banker's check: must wait"
    await press(home, "loan-sanctioned-L-V2")
    assert home.banner in {
        i18n.error_text("en", "insufficient_available"),
        i18n.error_text("en", "unsafe_state"),
    }, pool
    loan = await on_node(ctx, lambda node: node.engine.state.get(lv.LOANS, "L-V2"))
    assert loan["status"] == lv.APPROVED


@pytest.mark.asyncio
async def test_pool_chosen_then_sanction_and_disburse_from_the_inbox(ctx: AppContext) -> None:
    def approved(node: Node) -> None:
        _apply(node, "L-V3", BORROWER, 5_000)
        node.submit("loan.approved", {"loan_id": "L-V3", "reason": "ok"})
        node.submit("treasury.funded", {"amount_paise": 1_00_000_00, "bank_ref": "NEFT-F1"})

    await on_node(ctx, approved)
    home = await staff(ctx, "/loans/inbox")
    pools = find(home.page, ident="loan-pool-L-V3").content
    assert isinstance(pools, ft.Dropdown) and pools.value != "treasury"
    pools.value = "treasury"  # the person picks the treasury, as the browser would
    await dispatch(home, pools._i, "select", "treasury")
    assert home.view.params["pool.L-V3"] == "treasury"
    assert text_by(home.page, "loan-bankers-badge-L-V3") == "Banker's check: safe"
    await press(home, "loan-sanctioned-L-V3")  # the node takes the treasury's lease itself
    assert home.banner == ""
    assert text_by(home.page, "loan-status-L-V3") == "Status: sanctioned"
    fill(home, "loan-ref-L-V3", "NEFT-77")
    await press(home, "loan-disbursed-L-V3")
    loan = await on_node(ctx, lambda node: node.engine.state.get(lv.LOANS, "L-V3"))
    assert loan["status"] == lv.ACTIVE and loan["tranches"][0]["bank_ref"] == "NEFT-77"
    assert not has(home.page, ident="loan-L-V3")  # nothing left for a person to do


# --- /recovery ------------------------------------------------------------------------------


def _open_case(node: Node) -> tuple[str, int]:
    rows = node.engine.state.rows(base.RECOVERIES).values()
    row = next(r for r in rows if not r["closed"] and r["stage"] == "notice")
    return str(row["group_id"]), int(row["ticket"])


@pytest.mark.asyncio
async def test_recovery_card_moves_through_two_stages(ctx: AppContext) -> None:
    gid, ticket = await on_node(ctx, _open_case)
    ident = f"{gid}-{ticket}"
    home = await staff(ctx, "/recovery")
    page = home.page
    stages = ["missed", "contacted", "notice", "follow_up", "legal", "resolved", "written_off"]
    assert all(has(page, ident=f"recovery-col-{s}") for s in stages)
    assert text_by(page, "recovery-col-notice").startswith("Notice · ")
    assert text_by(page, f"recovery-overdue-{ident}").startswith("Overdue ₹")
    assert text_by(page, f"recovery-late-{ident}").endswith("days late")
    assert has(page, ident=f"recovery-deadline-{ident}")
    assert not has(page, ident=f"recovery-move-{ident}-legal")  # never a skipped stage
    await press(home, f"recovery-move-{ident}-follow_up")  # no note: refused in words
    assert home.banner == i18n.error_text("en", "note_required")
    fill(home, "recovery-note", "visited the shop, promised Friday")
    await press(home, f"recovery-move-{ident}-follow_up")
    fill(home, "recovery-note", "lawyer's notice sent")
    await press(home, f"recovery-move-{ident}-legal")
    row = await on_node(
        ctx,
        lambda node: next(
            r
            for r in node.engine.state.rows(base.RECOVERIES).values()
            if (r["group_id"], r["ticket"]) == (gid, ticket) and not r["closed"]
        ),
    )
    assert row["stage"] == "legal"
    assert [h["note"] for h in row["history"][-2:]] == [
        "visited the shop, promised Friday",
        "lawyer's notice sent",
    ]
    assert has(home.page, ident=f"recovery-move-{ident}-written_off")


# --- /bank ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_bank_request_settled_by_hand_and_mail_outbox_state(ctx: AppContext) -> None:
    def requested(node: Node) -> None:
        for rid, rupees in (("DEP-V1", 2_500), ("DEP-V2", 100)):
            body = bank.request_body(rid, BORROWER, rupees * 100, withdrawal=False)
            node.submit(bank.DEPOSIT_REQUESTED, body)

    await on_node(ctx, requested)
    home = await staff(ctx, "/bank")
    page = home.page
    assert text_by(page, "bank-pending") == "Requests waiting for the bank: 2"
    assert "Deposit" in text_by(page, "bank-row-DEP-V1") and "₹2,500" in text_by(
        page, "bank-row-DEP-V1"
    )
    assert text_by(page, "bank-answer-DEP-V1") == "Not sent to the bank yet"
    assert text_by(page, "mail-counts") == "Sent 0 · Waiting 0 · Failed 0"
    fill(home, "bank-ref-DEP-V1", "UTR-555")
    await press(home, "bank-settle-DEP-V1")
    await press(home, "bank-refuse-DEP-V2")  # no reason: refused in words
    assert home.banner
    fill(home, "bank-why-DEP-V2", "account closed")
    await press(home, "bank-refuse-DEP-V2")
    assert text_by(home.page, "bank-pending") == "No bank request is waiting."
    rows = await on_node(
        ctx,
        lambda node: [node.engine.state.get(bank.REQUESTS, r) for r in ("DEP-V1", "DEP-V2")],
    )
    assert rows[0]["bank_ref"] == "UTR-555"
    assert rows[1]["status"] != rows[0]["status"]


# --- /activity and the tabs -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_activity_filters_and_pages(ctx: AppContext) -> None:
    home = await staff(ctx, "/activity")
    page = home.page
    assert text_by(page, "activity-summary").endswith("page 1 of 20")
    assert has(page, ident="activity-row-0") and has(page, ident="activity-older")
    await press(home, "activity-older")
    assert text_by(home.page, "activity-summary").endswith("page 2 of 20")
    assert has(home.page, ident="activity-newer")
    fill(home, "activity-kind", "recovery.")
    await press(home, "activity-filter")
    assert home.view.params["kind"] == "recovery."
    assert " · recovery." in text_by(home.page, "activity-row-0")
    assert text_by(home.page, "activity-summary").endswith("page 1 of 1")
    fill(home, "activity-kind", "no.such.")
    await press(home, "activity-filter")
    assert text_by(home.page, "activity-none") == "No entry matches."


@pytest.mark.asyncio
async def test_header_and_tabs_reach_every_office_screen(ctx: AppContext) -> None:
    home = await staff(ctx, "/foreman")
    office = next(
        c
        for c in walk(home.page)
        if getattr(c, "content", None) == "Office" and hasattr(c, "on_click")
    )
    await click(home, office)
    assert home.view.route == "/kyc"
    for tab, route in (
        ("loans", "/loans/inbox"),
        ("recovery", "/recovery"),
        ("bank", "/bank"),
        ("activity", "/activity"),
        ("kyc", "/kyc"),
    ):
        await press(home, f"office-tab-{tab}")
        assert home.view.route == route and home.banner == ""


@pytest.mark.asyncio
async def test_a_recovery_card_dragged_to_the_next_column_moves(ctx: AppContext) -> None:
    gid, ticket = await on_node(ctx, _open_case)
    home = await staff(ctx, "/recovery")
    fill(home, "recovery-note", "called, promised to pay")

    def target(stage: str) -> Any:
        return next(
            c
            for c in walk(home.page)
            if isinstance(c, ft.DragTarget) and has(c, ident=f"recovery-col-{stage}")
        )

    card = next(
        c
        for c in walk(home.page)
        if isinstance(c, ft.Draggable) and c.data == f"{gid}|{ticket}|notice"
    )
    drop = {"src_id": card._i, "l": {"x": 10, "y": 10}, "g": {"x": 10, "y": 10}}
    await dispatch(home, target("legal")._i, "accept", drop)  # a skipped stage: refused
    assert home.banner == i18n.error_text("en", "illegal_transition")
    await dispatch(home, target("follow_up")._i, "accept", drop)
    stage = await on_node(
        ctx,
        lambda node: next(
            r["stage"]
            for r in node.engine.state.rows(base.RECOVERIES).values()
            if (r["group_id"], r["ticket"]) == (gid, ticket) and not r["closed"]
        ),
    )
    assert stage == "follow_up" and home.banner == ""


def test_each_screen_rebuilds_for_its_own_writes_only() -> None:
    from chitnode.services.events import Event
    from ui.views.office import SCREENS

    def event(kind: str) -> Event:
        return Event(kind, "h", "a", 1, 0, "applied", "", (), 0)

    watches = {screen.route: screen.watches for screen in SCREENS}
    assert watches["/recovery"](event("recovery.moved"))
    assert watches["/recovery"](event("contribution.recorded"))
    assert not watches["/recovery"](event("auction.bid"))  # a meeting's bids: not the board
    assert watches["/loans/inbox"](event("loan.applied"))
    assert not watches["/loans/inbox"](event("wallet.transferred"))
    assert watches["/kyc"](event("kyc.submitted")) and not watches["/kyc"](event("loan.applied"))
    assert watches["/bank"](event("bank.deposit_settled"))
    assert not watches["/bank"](event("kyc.approved"))
    assert all(watches["/activity"](event(k)) for k in ("auction.bid", "kyc.approved"))
