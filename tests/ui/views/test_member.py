"""The member's screens at a phone's width, in in-process Flet sessions over the demo branch:
what each shows (by Semantics id), touch targets, and the member's acts from the buttons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import flet as ft
import pytest
import pytest_asyncio

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import loan_views as lv
from tests.support.demo_app import demo_app
from tests.support.flet_session import (
    AppSessionHandle,
    click,
    find,
    find_all,
    open_session,
    settle,
    text_by,
    walk,
)
from ui import meeting_desk, theme
from ui.gate import MEMBER, Who
from ui.shell import AppContext
from ui.views import member as screens
from ui.vm import loans as loans_vm
from ui.vm import member as vm

RUNNING = "UDP-2025-07"
FORMING = "MNG-2026-06"
RUPEE = 100


@pytest_asyncio.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[AppContext]:
    async with demo_app(tmp_path) as made:
        yield made


async def _state(ctx: AppContext) -> Any:
    return await ctx.backend.read(lambda r: r.state)


async def _phone(ctx: AppContext, member_id: str, route: str) -> AppSessionHandle:
    return await open_session(
        ctx, client_ip="192.168.1.20", route=route, who=Who(MEMBER, member_id)
    )


async def _press(handle: AppSessionHandle, ident: str) -> None:
    await click(handle, find(handle.page, ident=ident).content)


def _holder(state: Any, gid: str, ticket: int = 2) -> str:
    return str(base.ticket_row(state, gid, ticket)["member_id"])


def _fits_a_phone(handle: AppSessionHandle) -> None:
    """Every button is at least 48 px tall and nothing is laid out wider than 360 px."""
    for control in walk(handle.page):
        width = getattr(control, "width", None)
        assert width is None or width <= theme.PHONE_WIDTH_PX, control
        if isinstance(control, ft.Button | ft.TextButton | ft.OutlinedButton | ft.FilledButton):
            assert (control.height or 0) >= theme.TOUCH_TARGET_PX, control


@pytest.mark.asyncio
async def test_home_says_what_to_pay_with_ticket_chips_and_four_places(ctx: AppContext) -> None:
    state = await _state(ctx)
    mid = _holder(state, RUNNING)
    phone = await _phone(ctx, mid, screens.ME)
    page = phone.page
    name = state.get(base.MEMBERS, mid)["name"]
    assert name in text_by(page, "me-hello")
    home = await ctx.backend.read(lambda r: vm.build_home(r, mid))
    if home.pay_paise:
        assert text_by(page, "me-pay").startswith("Pay ₹")
    lines = [t for t in home.tickets]
    for i, line in enumerate(lines):
        assert text_by(page, f"me-ticket-{i}-status") == phone.view.t(f"status.{line.status}")
    assert [n[3] for n in screens.NAV] == ["nav-home", "nav-passbook", "nav-wallet", "nav-inbox"]
    assert all(find_all(page, ident=n[3]) for n in screens.NAV)
    assert "Next meeting" in text_by(page, "me-next-meeting")
    _fits_a_phone(phone)


@pytest.mark.asyncio
async def test_home_speaks_kannada_when_chosen(ctx: AppContext) -> None:
    state = await _state(ctx)
    mid = _holder(state, RUNNING)
    phone = await _phone(ctx, mid, screens.ME)
    phone.view.lang = "kn"
    await phone.view.rebuild()
    assert text_by(phone.page, "nav-home") == "ಮುಖಪುಟ"
    assert "ನಮಸ್ತೆ" in text_by(phone.page, "me-hello")


@pytest.mark.asyncio
async def test_the_badge_shows_the_nodes_last_check_never_a_check_per_view(
    ctx: AppContext,
) -> None:
    state = await _state(ctx)
    phone = await _phone(ctx, _holder(state, RUNNING), screens.ME)
    folder = ctx.backend.folder
    await settle()
    record = screens.read_integrity(folder)
    assert record is not None and record["ok"] is True and record["entries"] > 0
    stamp = (folder / screens.INTEGRITY_FILE).stat().st_mtime_ns
    await phone.view.rebuild()
    await settle()
    assert find(phone.page, ident="me-integrity").data == "ok"
    assert "Records checked: all correct" in text_by(phone.page, "me-integrity")
    assert (folder / screens.INTEGRITY_FILE).stat().st_mtime_ns == stamp  # not checked again


@pytest.mark.asyncio
async def test_check_in_from_the_phone_when_my_meeting_is_open(ctx: AppContext) -> None:
    state = await _state(ctx)
    mid = _holder(state, RUNNING)
    branch = await ctx.backend.read(lambda r: r.branch_id)
    phone = await _phone(ctx, mid, screens.ME)
    assert not find_all(phone.page, ident="me-meeting-0")
    meeting_desk.open_meeting(branch, RUNNING, 7, 0)  # the foreman opens it at the table
    await settle()
    assert "Meeting open now" in text_by(phone.page, "me-meeting-0")  # live, no reload
    await _press(phone, "me-meeting-0-check-in")
    opened = meeting_desk.meeting(branch, RUNNING, 7)
    assert opened is not None and mid in opened.checked_in
    assert text_by(phone.page, "me-meeting-0-here") == "You are marked present"


@pytest.mark.asyncio
async def test_passbook_lines_carry_their_references(ctx: AppContext) -> None:
    phone = await _phone(ctx, "M005", screens.PASSBOOK)
    page = phone.page
    kinds = {
        find(page, ident=f"passbook-{i}").value for i in range(len(_idents(page, "passbook-")))
    }
    assert {"contribution", "prize", "dividend", "loan_disbursed", "loan_repaid"} <= kinds
    refs = [text_by(page, f"passbook-{i}-ref") for i in range(len(_idents(page, "passbook-")))]
    assert "Ref. NEFT-BRH-1" in refs and any("/R0" in r for r in refs)
    await _press(phone, "passbook-0-ask")  # the "?" of a line names its reference
    assert phone.banner == f"Show the foreman this reference: {refs[0].removeprefix('Ref. ')}"
    _fits_a_phone(phone)


def _idents(page: Any, prefix: str) -> list[str]:
    """Line ids "<prefix><n>" (no suffix) on the page."""
    found = []
    for control in walk(page):
        ident = getattr(control, "identifier", None) or ""
        tail = ident.removeprefix(prefix)
        if ident.startswith(prefix) and tail.isdigit():
            found.append(ident)
    return found


@pytest.mark.asyncio
async def test_loan_form_previews_the_emi_and_applies(ctx: AppContext) -> None:
    phone = await _phone(ctx, "M011", screens.LOANS)
    page = phone.page
    rate = await ctx.backend.read(lambda r: lv.default_rate_bps(r.state))
    got = loans_vm.preview(10_000 * RUPEE, 6, rate)
    assert text_by(page, "loans-emi") == f"EMI: ₹{got.emi_paise // 100:,} a month".replace(
        f"{got.emi_paise // 100:,}", screens.fmt.rupees(got.emi_paise).removeprefix("₹")
    )
    await _press(phone, "loans-months-12")
    twelve = loans_vm.preview(10_000 * RUPEE, 12, rate)
    assert screens.fmt.rupees(twelve.emi_paise) in text_by(phone.page, "loans-emi")
    await _press(phone, "loans-apply")  # no purpose yet: said in words, nothing written
    assert phone.banner == "Say what the loan is for"
    find(phone.page, ident="loans-purpose").content.value = "sewing machine"
    await _press(phone, "loans-apply")
    loans = await ctx.backend.read(lambda r: lv.member_loans(r.state, "M011"))
    [loan] = loans
    assert (loan["amount_paise"], loan["tenure_months"]) == (10_000 * RUPEE, 12)
    assert loan["emi_paise"] == twelve.emi_paise and loan["actor"] == "M011"
    assert text_by(phone.page, "loans-0-status") == "Applied"
    _fits_a_phone(phone)


@pytest.mark.asyncio
async def test_sending_money_confirms_the_name_and_the_amount_typed_again(
    ctx: AppContext,
) -> None:
    body = {"member_id": "M011", "amount_paise": 1_000 * RUPEE, "cmd_id": "d1", "note": "cash"}
    await ctx.backend.nt.run(lambda node: node.submit("wallet.deposited_cash", body))
    phone = await _phone(ctx, "M011", screens.WALLET)
    page = phone.page
    assert text_by(page, "wallet-balance").endswith("₹1,000")
    find(page, ident="wallet-to").content.value = "m012"
    find(page, ident="wallet-amount").content.value = "250"
    await _press(phone, "wallet-send")
    name = (await _state(ctx)).get(base.MEMBERS, "M012")["name"]
    assert text_by(phone.page, "wallet-confirm-to") == f"To: {name} (M012)"
    assert text_by(phone.page, "wallet-confirm-after") == "Your balance after: ₹750"
    cmd = phone.view.params["cmd"]
    await phone.view.rebuild()  # a live rebuild keeps the same command id
    assert phone.view.params["cmd"] == cmd
    find(phone.page, ident="wallet-again").content.value = "205"
    await _press(phone, "wallet-confirm")
    assert phone.banner == "The two amounts are not the same"
    find(phone.page, ident="wallet-again").content.value = "250"
    await _press(phone, "wallet-confirm")
    assert text_by(phone.page, "wallet-balance").endswith("₹750")
    assert find(phone.page, ident="wallet-move-0").value == "wallet.transferred"
    _fits_a_phone(phone)


@pytest.mark.asyncio
async def test_a_refused_transfer_is_said_in_words_on_the_wallet(ctx: AppContext) -> None:
    phone = await _phone(ctx, "M011", screens.WALLET)
    find(phone.page, ident="wallet-to").content.value = "M012"
    find(phone.page, ident="wallet-amount").content.value = "100"
    await _press(phone, "wallet-send")
    assert phone.banner and "wallet" in phone.banner.lower()
    assert find_all(phone.page, ident="wallet-send")  # back on the wallet, nothing sent


@pytest.mark.asyncio
async def test_a_withdrawal_request_is_shown_pending_then_settled(ctx: AppContext) -> None:
    body = {"member_id": "M011", "amount_paise": 500 * RUPEE, "cmd_id": "d2", "note": "cash"}
    await ctx.backend.nt.run(lambda node: node.submit("wallet.deposited_cash", body))
    phone = await _phone(ctx, "M011", screens.WALLET)
    find(phone.page, ident="wallet-amount").content.value = "200"
    await _press(phone, "wallet-withdraw")
    request_id = phone.view.params["cmd"]
    find(phone.page, ident="wallet-again").content.value = "200"
    await _press(phone, "wallet-confirm")
    assert find(phone.page, ident="wallet-request-0").value == "pending"
    settle_body = {"request_id": request_id, "bank_ref": "NEFT-9", "via": "manual"}
    await ctx.backend.submit(
        Who("staff"), "bank.withdrawal_settled", {**settle_body, "scope": "treasury"}
    )
    await settle()
    assert find(phone.page, ident="wallet-request-0").value == "settled"  # live, no reload
    assert text_by(phone.page, "wallet-request-0") == "Done, bank ref. NEFT-9"


@pytest.mark.asyncio
async def test_reading_and_signing_the_agreement(ctx: AppContext) -> None:
    state = await _state(ctx)
    group = base.group_row(state, FORMING)
    signer = sorted(
        m for m in base.holders(state, group) if not state.get(base.SIGNATURES, f"{FORMING}|{m}")
    )[0]
    phone = await _phone(ctx, signer, screens.INBOX)
    await _press(phone, "inbox-sign-0-open")
    assert phone.view.route == screens.AGREEMENT
    assert text_by(phone.page, "agreement-0-term-0") == "Chit value: ₹1,20,000"
    await _press(phone, "agreement-0-sign")
    assert text_by(phone.page, "agreement-0-signed").startswith("You signed on")
    after = await _state(ctx)
    assert after.get(base.SIGNATURES, f"{FORMING}|{signer}")["actor"] == signer
    _fits_a_phone(phone)


@pytest.mark.asyncio
async def test_attesting_minutes_from_the_inbox(ctx: AppContext) -> None:
    state = await _state(ctx)
    mid = next(
        m
        for m in sorted(r["member_id"] for r in state.rows(base.MEMBERS).values())
        if vm.minutes_to_attest(state, m)
    )
    [item, *rest] = vm.minutes_to_attest(state, mid)
    phone = await _phone(ctx, mid, screens.INBOX)
    assert f"month {item.month}" in text_by(phone.page, "inbox-attest-0")
    news = [text_by(phone.page, i) for i in _idents(phone.page, "inbox-news-")]
    assert news and not any("₹" in line for line in news)  # no amounts on a shared phone
    _fits_a_phone(phone)
    await _press(phone, "inbox-attest-0-confirm")
    minutes = (await _state(ctx)).get(base.MINUTES, base.month_key(item.group_id, item.month))
    assert mid in minutes["attesters"]
    left = _idents(phone.page, "inbox-attest-")
    assert len(left) == len(rest)
