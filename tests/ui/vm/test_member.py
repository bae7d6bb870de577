"""The member's view-models over a real demo branch: home, passbook, loans, wallet, agreement,
inbox; and the member's own acts submitted through the gate (a Backend over the node)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views, emi, wallet_views
from chitnode.domain import loan_views as lv
from chitnode.errors import ChitError, RuleViolation
from chitnode.node.node import Node
from chitnode.services.demo import build_demo
from tests.support.clock import FakeClock
from ui import limits
from ui.backend import Backend, Reading, reading_of
from ui.gate import MEMBER, NotAllowedHere, Who
from ui.vm import inbox, loans, member, passbook, wallet

RUNNING = "UDP-2025-07"  # the demo's group about six months in
FORMING = "MNG-2026-06"
BORROWER = "M005"  # borrowed on the lien group's ticket (disbursed, repaid from the prize)
RUPEE = 100


def _demo(folder: Path) -> Node:
    clock = FakeClock()
    node = Node.init(folder, "Demo", clock=clock)
    build_demo(node, clock, random.Random(2026))
    return node


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Path]]:
    """One demo branch the read-only tests share."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
        mp.setenv("CHITNODE_KEYSTORE", "file")
        folder = tmp_path_factory.mktemp("member-demo") / "node"
        node = _demo(folder)
        yield node, folder
        node.close()


def _reading(demo: tuple[Node, Path]) -> Reading:
    node, folder = demo
    return reading_of(node, folder)


def _holder(r: Reading, gid: str) -> str:
    return str(base.ticket_row(r.state, gid, 2)["member_id"])


def _run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


# --- home -----------------------------------------------------------------------------------


def test_home_shows_each_ticket_with_its_state_and_what_to_pay(demo: tuple[Node, Path]) -> None:
    r = _reading(demo)
    mid = _holder(r, RUNNING)
    home = member.build_home(r, mid)
    [line] = [t for t in home.tickets if t.group_id == RUNNING]
    dues = next(d for d in chit_views.member_dues(r.state, mid) if d.group_id == RUNNING)
    assert line.month == dues.month == 7
    assert line.pay_paise + line.arrears_paise == dues.arrears_paise
    assert line.status in {"paid", "due", "in_arrears", "prized", "defaulted"}
    assert (line.status == "due") == (line.pay_paise > 0 and not line.arrears_paise)
    group = base.group_row(r.state, RUNNING)
    assert line.pay_by_ms == group["month_starts_ms"][6] + group["grace_days"] * base.DAY_MS
    assert home.pay_paise == sum(t.pay_paise for t in home.tickets)
    assert home.next_meeting is not None and home.next_meeting.day_ms >= r.now_ms - base.DAY_MS
    assert home.badge == member.Badge("never", 0)


def test_the_defaulter_of_the_running_group_is_shown_in_default(demo: tuple[Node, Path]) -> None:
    r = _reading(demo)
    [case] = [c for c in chit_views.recovery_cases(r.state, RUNNING) if not c.closed]
    home = member.build_home(r, case.member_id)
    [line] = [t for t in home.tickets if t.group_id == RUNNING and t.ticket == case.ticket]
    assert line.status == "defaulted" and line.arrears_paise > 0


def test_a_forming_group_is_pending_with_its_agreement_to_sign(demo: tuple[Node, Path]) -> None:
    r = _reading(demo)
    group = base.group_row(r.state, FORMING)
    unsigned = sorted(
        m
        for m in base.holders(r.state, group)
        if r.state.get(base.SIGNATURES, f"{FORMING}|{m}") is None
    )
    home = member.build_home(r, unsigned[0])
    [line] = [t for t in home.tickets if t.group_id == FORMING]
    assert line.status == "pending" and line.pay_paise == 0
    assert home.to_sign == 1
    [item] = member.agreements_to_sign(r.state, unsigned[0])
    assert item.terms_hash == group["agreement_hash"] and item.can_sign
    assert item.chit_value_paise == 12 * 10_000 * RUPEE and item.months == 12


def test_an_open_auction_of_my_group_is_offered_on_home(tmp_path: Path) -> None:
    node = _demo(tmp_path / "node")
    try:
        state = node.engine.state
        group = base.group_row(state, RUNNING)
        present = sorted(base.holders(state, group))[:3]
        body = {"group_id": RUNNING, "month": 7, "present": present, "foreman_present": True}
        from chitnode.domain.chit_rules import lot_commitment

        commit = lot_commitment("ab" * 32)
        node.submit("auction.opened", {**body, "scope": f"group:{RUNNING}", "lot_commit": commit})
        home = member.build_home(reading_of(node, tmp_path / "node"), present[0])
        [room] = home.open_auctions
        assert (room.group_id, room.month) == (RUNNING, 7)
    finally:
        node.close()


def test_the_badge_reads_the_nodes_record_and_says_when_to_check_again() -> None:
    assert member.badge(None).status == "never"
    assert member.badge({"ok": True, "checked_ms": 5}) == member.Badge("ok", 5)
    assert member.badge({"ok": False, "checked_ms": 7}) == member.Badge("failed", 7)
    assert member.check_due(None, 10)
    assert not member.check_due({"ok": True, "checked_ms": 10}, 11)
    assert member.check_due({"ok": True, "checked_ms": 10}, 10 + limits.INTEGRITY_RECHECK_MS)


def test_a_stranger_gets_the_kernels_code(demo: tuple[Node, Path]) -> None:
    with pytest.raises(ChitError) as err:
        member.build_home(_reading(demo), "NOBODY")
    assert err.value.code == "unknown_member"


# --- passbook ---------------------------------------------------------------------------------


def test_passbook_has_every_kind_with_its_reference(demo: tuple[Node, Path]) -> None:
    r = _reading(demo)
    book = passbook.build_passbook(r, BORROWER)
    kinds = {line.kind for line in book.lines}
    expected = {passbook.CONTRIBUTION, passbook.PRIZE, passbook.DIVIDEND}
    expected |= {passbook.LOAN_DISBURSED, passbook.LOAN_REPAID}
    assert expected <= kinds
    assert all(line.reference for line in book.lines)
    receipts = {
        row["receipt"]
        for row in r.state.rows(base.CONTRIBUTIONS).values()
        if row["member_id"] == BORROWER and row["source"] == "payment"
    }
    shown = {line.reference for line in book.lines if line.kind == passbook.CONTRIBUTION}
    assert shown == receipts
    [loan] = lv.member_loans(r.state, BORROWER)
    [tranche] = [x for x in book.lines if x.kind == passbook.LOAN_DISBURSED]
    assert tranche.reference == "NEFT-BRH-1" and tranche.detail == loan["loan_id"]
    assert tranche.amount_paise == loan["amount_paise"]
    assert [x.ts_ms for x in book.lines] == sorted((x.ts_ms for x in book.lines), reverse=True)


def test_shares_of_discount_follow_the_settlements(demo: tuple[Node, Path]) -> None:
    r = _reading(demo)
    mid = _holder(r, RUNNING)
    book = passbook.build_passbook(r, mid)
    shares = [x for x in book.lines if x.kind == passbook.DIVIDEND and x.group_id == RUNNING]
    group = base.group_row(r.state, RUNNING)
    settled = base.settlement_rows(r.state, group)
    assert sorted(x.month for x in shares) == sorted(
        int(s["month"]) for s in settled if s["per_ticket_dividend_paise"]
    )
    for line in shares:
        row = next(s for s in settled if s["month"] == line.month)
        assert line.amount_paise == row["per_ticket_dividend_paise"]
        assert row["close_hash"].startswith(line.reference)


# --- loans ------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount_rupees, months", [(5_000, 3), (25_000, 12), (50_000, 24)])
def test_emi_preview_is_the_kernels_schedule(amount_rupees: int, months: int) -> None:
    amount = amount_rupees * RUPEE
    got = loans.preview(amount, months, 1_200)
    rows = emi.schedule(amount, 1_200, months)
    assert got.emi_paise == emi.emi_paise(amount, 1_200, months) == rows[0].emi_paise
    assert got.total_paise == sum(x.emi_paise for x in rows)
    assert got.interest_paise == sum(x.interest_paise for x in rows)
    assert got.last_emi_paise == rows[-1].emi_paise


def test_emi_preview_refuses_with_the_kernels_code() -> None:
    with pytest.raises(RuleViolation) as err:
        loans.preview(0, 6, 1_200)
    assert err.value.code == "non_positive_amount"


def test_loans_screen_lists_my_loans_and_the_branch_rate(demo: tuple[Node, Path]) -> None:
    r = _reading(demo)
    screen = loans.build_loans(r, BORROWER)
    [line] = screen.loans
    assert line.status == lv.CLOSED and line.chip == "settled"
    assert screen.rate_bps == lv.default_rate_bps(r.state)
    assert screen.amount_chips_paise == limits.LOAN_AMOUNT_CHIPS_PAISE


# --- writes through the gate ------------------------------------------------------------------


async def _with_backend(node: Node, folder: Path, fn: object) -> object:
    backend = Backend.for_node(node, folder)
    try:
        return await fn(backend)  # type: ignore[operator]
    finally:
        await backend.aclose_node()


def test_a_loan_application_applies_with_the_previewed_emi(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    node = _demo(folder)
    mid = "M011"
    kind, body = loans.apply_command(mid, "LA-test-1", 10_000 * RUPEE, 6, "sewing machine")

    async def go(backend: Backend) -> tuple[str, loans.Loans]:
        receipt = await backend.submit(Who(MEMBER, mid), kind, body)
        return receipt.status, await backend.read(lambda r: loans.build_loans(r, mid))

    status, screen = _run(_with_backend(node, folder, go))  # type: ignore[misc]
    assert status == "applied"
    [line] = [x for x in screen.loans if x.loan_id == "LA-test-1"]
    assert line.status == lv.APPLIED and line.chip == "pending"
    assert line.emi_paise == loans.preview(10_000 * RUPEE, 6, screen.rate_bps).emi_paise


def test_a_transfer_submitted_twice_with_one_cmd_id_moves_money_once(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    node = _demo(folder)
    sender, receiver = "M011", "M012"
    body = {"member_id": sender, "amount_paise": 1_000 * RUPEE, "cmd_id": "dep-1", "note": "cash"}
    node.submit("wallet.deposited_cash", body)

    async def go(backend: Backend) -> tuple[list[str], int, int, int]:
        who = Who(MEMBER, sender)
        preview = await backend.read(
            lambda r: wallet.transfer_preview(r, sender, receiver.lower(), 400 * RUPEE)
        )
        assert preview.to_name == member.member_name(node.engine.state, receiver)
        assert preview.balance_after_paise == 600 * RUPEE
        kind, sent, cmd_id = wallet.transfer_command(preview, "tx-once")
        first = await backend.submit(who, kind, sent, cmd_id)
        again = await backend.submit(who, kind, sent, cmd_id)  # the phone retried
        assert again.hash == first.hash
        mine = await backend.read(lambda r: wallet.build_wallet(r, sender))
        theirs = await backend.read(lambda r: wallet.build_wallet(r, receiver))
        moves = [m for m in mine.moves if m.kind == "wallet.transferred"]
        return [first.status, again.status], mine.balance_paise, theirs.balance_paise, len(moves)

    statuses, mine, theirs, moves = _run(_with_backend(node, folder, go))  # type: ignore[misc]
    assert statuses[0] == "applied"
    assert (mine, theirs, moves) == (600 * RUPEE, 400 * RUPEE, 1)


def test_transfer_preview_refuses_what_the_kernel_would(demo: tuple[Node, Path]) -> None:
    r = _reading(demo)
    for to, amount, code in [
        ("M011", RUPEE, "self_transfer"),
        ("NOBODY", RUPEE, "unknown_member"),
        ("M012", RUPEE, "insufficient_funds"),
        ("M012", 0, "non_positive_amount"),
    ]:
        with pytest.raises(ChitError) as err:
            wallet.transfer_preview(r, "M011", to, amount)
        assert err.value.code == code


def test_amount_typed_again_must_match() -> None:
    assert wallet.typed_again("1,000", 1_000 * RUPEE)
    assert wallet.typed_again("₹1000", 1_000 * RUPEE)
    assert not wallet.typed_again("100", 1_000 * RUPEE)
    assert not wallet.typed_again("junk", 1_000 * RUPEE)


def test_bank_requests_are_shown_until_they_settle(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    node = _demo(folder)
    mid = "M011"
    node.submit(
        "wallet.deposited_cash",
        {"member_id": mid, "amount_paise": 500 * RUPEE, "cmd_id": "d", "note": "cash"},
    )

    async def go(backend: Backend) -> tuple[wallet.Wallet, wallet.Wallet]:
        who = Who(MEMBER, mid)
        for request_id, withdrawal in (("DEP-1", False), ("WDR-1", True)):
            preview = await backend.read(
                lambda r, q=request_id, w=withdrawal: wallet.bank_preview(
                    r, mid, q, 200 * RUPEE, withdrawal=w
                )
            )
            kind, body, cmd_id = wallet.bank_command(preview)
            assert (await backend.submit(who, kind, body, cmd_id)).status == "applied"
        queued = await backend.read(lambda r: wallet.build_wallet(r, mid, {"WDR-1": "timeout"}))
        settle = {"request_id": "DEP-1", "bank_ref": "UTR-1", "via": "manual"}
        await backend.submit(Who("staff"), "bank.deposit_settled", settle)
        after = await backend.read(lambda r: wallet.build_wallet(r, mid))
        return queued, after

    queued, after = _run(_with_backend(node, folder, go))  # type: ignore[misc]
    states = {q.request_id: q.status for q in queued.requests}
    assert states == {"DEP-1": "pending", "WDR-1": wallet.QUEUED}
    assert queued.balance_paise == 300 * RUPEE  # the withdrawal reserved its money at once
    done = {q.request_id: (q.status, q.chip, q.bank_ref) for q in after.requests}
    assert done["DEP-1"] == ("settled", "settled", "UTR-1")
    assert after.balance_paise == 500 * RUPEE
    assert after.requests[0].request_id == "WDR-1"  # open requests first


# --- agreement and inbox ----------------------------------------------------------------------


def test_signing_the_agreement_and_attesting_minutes_as_myself(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    node = _demo(folder)
    state = node.engine.state
    group = base.group_row(state, FORMING)
    signer = sorted(
        m for m in base.holders(state, group) if not state.get(base.SIGNATURES, f"{FORMING}|{m}")
    )[0]
    waiting = [
        mid
        for mid in sorted(r["member_id"] for r in state.rows(base.MEMBERS).values())
        if member.minutes_to_attest(state, mid)
    ]
    attester = waiting[0]

    async def go(backend: Backend) -> tuple[inbox.Inbox, inbox.Inbox]:
        [item] = await backend.read(lambda r: member.agreements_to_sign(r.state, signer))
        kind, body = member.sign_command(signer, item)
        assert (await backend.submit(Who(MEMBER, signer), kind, body)).status == "applied"
        box = await backend.read(lambda r: inbox.build_inbox(r, attester))
        kind, body = member.attest_command(attester, box.to_attest[0])
        assert (await backend.submit(Who(MEMBER, attester), kind, body)).status == "applied"
        after = await backend.read(lambda r: inbox.build_inbox(r, attester))
        signed = await backend.read(lambda r: inbox.build_inbox(r, signer))
        return after, signed

    after, signed = _run(_with_backend(node, folder, go))  # type: ignore[misc]
    assert len(after.to_attest) == len(member.minutes_to_attest(state, attester))
    assert signed.to_sign == ()
    assert member.agreement(node.engine.state, signer, FORMING).signed_ms > 0


def test_a_member_session_cannot_attest_for_another_member(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    node = _demo(folder)
    state = node.engine.state
    other = next(
        mid
        for mid in sorted(r["member_id"] for r in state.rows(base.MEMBERS).values())
        if member.minutes_to_attest(state, mid)
    )
    [item, *_] = member.minutes_to_attest(state, other)
    kind, body = member.attest_command(other, item)
    before = node.store.count()
    me = "M001" if other != "M001" else "M002"

    async def go(backend: Backend) -> tuple[str, int]:
        try:
            await backend.submit(Who(MEMBER, me), kind, body)
        except NotAllowedHere as exc:
            return exc.code, await backend.nt.run(lambda n: n.store.count())
        return "accepted", 0

    assert _run(_with_backend(node, folder, go)) == ("not_allowed_here", before)


def test_inbox_news_carry_no_amounts(demo: tuple[Node, Path]) -> None:
    r = _reading(demo)
    box = inbox.build_inbox(r, BORROWER)
    assert box.news and len(box.news) <= limits.INBOX_ITEMS_MAX
    assert all(not hasattr(n, "amount_paise") for n in box.news)
    assert [n.ts_ms for n in box.news] == sorted((n.ts_ms for n in box.news), reverse=True)


def test_wallet_history_matches_the_kernels_page(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    node = _demo(folder)
    node.submit(
        "wallet.deposited_cash",
        {"member_id": "M011", "amount_paise": 700 * RUPEE, "cmd_id": "x", "bank_ref": "UPI-9"},
    )
    try:
        screen = wallet.build_wallet(reading_of(node, folder), "M011")
        page = wallet_views.history(node.engine.state, "M011")
        assert [m.amount_paise for m in screen.moves] == [m.amount_paise for m in page.moves]
        assert screen.moves[0].reference == "UPI-9" and screen.balance_paise == 700 * RUPEE
    finally:
        node.close()
