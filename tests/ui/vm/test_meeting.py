"""Meeting mode's view-model: a whole meeting of the demo branch, driven through its commands.

The demo branch (chitnode.services.demo) is built once for the module; each test runs a
different group's next month, so the tests do not depend on each other's order. The
commands the VM builds are submitted to the real node, which judges them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chitnode.domain import chit_kinds_base as base
from chitnode.errors import ChitError
from chitnode.node.node import Node, Receipt
from tests.support.clock import FakeClock
from tests.support.demo_branch import demo_branch
from ui import meeting_desk
from ui.backend import Reading, reading_of
from ui.vm import meeting as vm

RUNNING = "UDP-2025-07"  # month 7 next; one defaulter in arrears
SMALL = "BTL-2025-09"  # 6 tickets, month 5 next; drawn by lot when nobody bids
MINUTE_MS = 60_000


@dataclass
class Demo:
    node: Node
    clock: FakeClock
    folder: Path

    def reading(self) -> Reading:
        return reading_of(self.node, self.folder)

    def submit(self, command: tuple[str, dict[str, Any]]) -> Receipt:
        self.clock.advance(1_000)
        kind, body = command
        receipt = self.node.submit(kind, body)
        assert receipt.status == "applied", (kind, receipt.code)
        return receipt

    def step(self, gid: str, month: int, step: str) -> vm.MeetingVM:
        r = self.reading()
        desk = meeting_desk.meeting(r.branch_id, gid, month)
        held = meeting_desk.lot_secret(self.folder, gid, month) is not None
        return vm.build_meeting(r, gid, month, step, desk, holds_lot=held)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with demo_branch(tmp_path_factory) as branch:
        yield Demo(branch.node, branch.clock, branch.folder)
    meeting_desk.forget_all()


def test_steps_run_in_the_meeting_s_order() -> None:
    assert vm.STEPS[0] == "open" and vm.STEPS[-1] == "close" and len(vm.STEPS) == 10
    assert vm.next_step("open") == "attendance" and vm.next_step("close") is None
    assert vm.previous_step("open") is None and vm.previous_step("cash") == "settlement"
    assert vm.step_of("no-such-step") == "open"


def test_without_a_group_the_open_step_lists_running_groups_and_their_next_month(
    demo: Demo,
) -> None:
    data = vm.build_meeting(demo.reading(), "", 0, "open")
    assert data.header is None
    months = {c.group_id: c.month for c in data.choices}
    assert months[RUNNING] == 7 and months[SMALL] == 5
    assert "KAR-2025-01" not in months and "MNG-2026-06" not in months  # closed, forming


def test_payment_problems_and_typed_amounts() -> None:
    assert vm.payment_problem("upi", " ") == vm.NEEDS_REFERENCE
    assert vm.payment_problem("bank", "UTR1") == "" and vm.payment_problem("cash", "") == ""
    kind, body = vm.payment_command("G", 3, 2, "₹1,500", "upi", " UPI-77 ")
    assert kind == "contribution.recorded"
    assert body == {
        "group_id": "G",
        "month": 3,
        "ticket": 2,
        "amount_paise": 150_000,
        "note": "upi",
        "bank_ref": "UPI-77",
    }
    with pytest.raises(ChitError) as bad:
        vm.payment_command("G", 3, 2, "fifteen", "cash", "")
    assert bad.value.code == "bad_amount"
    assert vm.cash_problem(100, 100, "") == ""
    assert vm.cash_problem(90, 100, "  ") == vm.NEEDS_CASH_NOTE
    assert vm.cash_problem(90, 100, "₹10 given as change") == ""


def test_a_whole_meeting_from_opening_to_payout(demo: Demo) -> None:
    r = demo.reading()
    gid, month = RUNNING, 7
    meeting_desk.open_meeting(r.branch_id, gid, month, r.now_ms)

    # 1. Open: today, never the future; the tickets that may bid and those that may not
    opened = demo.step(gid, month, "open")
    assert opened.header is not None and opened.header.month == month
    assert opened.header.date_ms <= demo.reading().now_ms and opened.header.meeting_open
    assert any(t.block == "arrears_outstanding" for t in opened.tickets)

    # 2. Attendance: everyone present by default; one unticked, one checks in by phone
    attendance = demo.step(gid, month, "attendance").attendance
    assert attendance is not None and not attendance.recorded
    assert all(a.present for a in attendance.attendees)
    away, phone = attendance.attendees[0].member_id, attendance.attendees[1].member_id
    meeting_desk.set_present(r.branch_id, gid, month, away, False)
    meeting_desk.set_present(r.branch_id, gid, month, phone, False)
    meeting_desk.check_in(r.branch_id, gid, month, phone)
    attendance = demo.step(gid, month, "attendance").attendance
    assert attendance is not None
    by_id = {a.member_id: a for a in attendance.attendees}
    assert not by_id[away].present and by_id[phone].present and by_id[phone].checked_in
    assert attendance.present_count == len(attendance.attendees) - 1 and attendance.quorum_ok

    # 3. Collections: a ticket that owes pays in cash; the kernel numbers the receipt
    collections = demo.step(gid, month, "collections").collections
    assert collections is not None
    due = next(d for d in collections.dues if d.status == "due")
    assert due.owed_paise == due.instalment_paise > 0
    before = collections.collected_paise
    amount = f"{due.owed_paise // 100}"
    paid = demo.submit(vm.payment_command(gid, month, due.ticket, amount, "cash", ""))
    receipt = vm.receipt_of(demo.reading().state, paid.hash)
    assert receipt.startswith(f"{gid}/R")
    collections = demo.step(gid, month, "collections").collections
    assert collections is not None and collections.collected_paise == before + due.owed_paise
    line = next(d for d in collections.dues if d.ticket == due.ticket)
    assert line.status == "paid" and line.receipts[-1].receipt == receipt
    assert line.receipts[-1].mode == "cash"

    # 4. Who may bid: the unpaid named, with the kernel's reason
    bidders = demo.step(gid, month, "bidders").bidders
    assert bidders is not None and bidders.eligible
    blocked = {t.ticket: t.block for t in bidders.blocked}
    assert "arrears_outstanding" in blocked.values()
    assert due.ticket not in blocked

    # 5. The auction: opened with the attendance and the commitment to the lot secret
    auction = demo.step(gid, month, "auction").auction
    assert auction is not None and auction.status == "" and auction.commit_reveal
    assert away not in auction.present and phone in auction.present
    commit = meeting_desk.lot_commit(demo.folder, gid, month)
    demo.submit(vm.open_auction_command(gid, month, auction.present, commit))
    auction = demo.step(gid, month, "auction").auction
    assert auction is not None and auction.status == "open" and auction.holds_lot
    recorded = demo.step(gid, month, "attendance").attendance
    assert recorded is not None and recorded.recorded
    # (the auction screen takes the bids: one bid at the minimum, then the countdown ends)
    bidder = bidders.eligible[0]
    bid = {"month": month, "ticket": bidder.ticket, "discount_paise": auction.min_discount_paise}
    demo.submit(("auction.bid", {**vm._scope(gid), **bid, "actor": bidder.member_id}))
    preview = demo.step(gid, month, "settlement").settlement
    assert preview is not None and not preview.final and preview.available
    assert preview.waiting == "auction"
    demo.clock.advance(auction.duration_ms)
    after = demo.step(gid, month, "auction").auction
    assert after is not None and not after.draw_needed  # one bid: nothing to draw
    demo.submit(("auction.closed", {**vm._scope(gid), "month": month}))

    # 6. Settlement: discount -> commission -> share per ticket -> prize -> next instalment
    settled = demo.step(gid, month, "settlement").settlement
    assert settled is not None and settled.final and settled.winner_ticket == bidder.ticket
    assert settled.discount_paise == auction.min_discount_paise
    assert settled.prize_paise == settled.chit_value_paise - settled.discount_paise
    assert settled.dividend_pool_paise == settled.discount_paise - settled.commission_paise
    assert settled.next_instalment_paise == (
        settled.subscription_paise - settled.per_ticket_dividend_paise
    )
    assert (settled.prize_paise, settled.commission_paise) == (
        preview.prize_paise,
        preview.commission_paise,
    )

    # 7. Cash count: the cash taken at this meeting; a difference needs a note
    cash = demo.step(gid, month, "cash").cash
    assert cash is not None and cash.expected_paise == due.owed_paise and cash.cash_receipts == 1
    assert vm.cash_problem(cash.expected_paise - 100, cash.expected_paise, "") != ""
    meeting_desk.note_cash(r.branch_id, gid, month, cash.expected_paise - 100, "₹1 short")
    cash = demo.step(gid, month, "cash").cash
    assert cash is not None and cash.difference_paise == -100 and cash.note == "₹1 short"

    # 8. Minutes: the s.17 fields; the foreman attests here, members from phones (or here)
    minutes = demo.step(gid, month, "minutes").minutes
    assert minutes is not None and minutes.available and not minutes.complete
    assert minutes.winner_ticket == bidder.ticket and minutes.bids == 1
    assert [a.role for a in minutes.attestations[:2]] == ["foreman", "winner"]
    demo.submit(vm.attest_command(gid, month, minutes.minutes_hash))
    others = [a.who for a in minutes.attestations if a.role == "member"][:2]
    for member_id in [bidder.member_id, *others]:
        demo.submit(vm.attest_command(gid, month, minutes.minutes_hash, member_id))
    minutes = demo.step(gid, month, "minutes").minutes
    assert minutes is not None and minutes.complete and minutes.foreman_attested

    # 9. Payout: the deduction chosen, the Banker's check, s.22's date, the amount typed again
    payout = demo.step(gid, month, "payout").payout
    assert payout is not None and payout.available and not payout.paid
    assert payout.minutes_complete and payout.pay_by_ms > 0 and payout.months_left == 13
    assert not payout.security_ok  # 13 months of dues to secure
    demo.submit(vm.security_command(gid, bidder.ticket, "deduction", "dues kept from prize"))
    payout = demo.step(gid, month, "payout").payout
    assert payout is not None and payout.security_ok and payout.deduction
    assert payout.withheld_paise > 0
    assert payout.cash_paise == payout.prize_paise - payout.withheld_paise
    assert payout.banker_granted and payout.banker_code == "granted"
    assert vm.payout_problem(payout, "1") == vm.AMOUNT_DIFFERS
    assert vm.payout_problem(payout, "lots") == vm.AMOUNT_DIFFERS
    typed = f"{payout.cash_paise // 100}.{payout.cash_paise % 100:02d}"
    assert vm.payout_problem(payout, typed) == ""
    demo.submit(vm.payout_command(gid, month, "NEFT-MEET-7"))
    payout = demo.step(gid, month, "payout").payout
    assert payout is not None and payout.paid and payout.bank_ref == "NEFT-MEET-7"

    # 10. Close: the summary
    meeting_desk.close_meeting(r.branch_id, gid, month)
    close = demo.step(gid, month, "close").close
    assert close is not None and close.closed and close.prize_paid and close.minutes_complete
    assert close.receipts == 1 and close.collected_paise == due.owed_paise
    assert close.counted and close.difference_paise == -100


def test_a_month_nobody_bids_is_drawn_by_the_secret_the_desk_kept(demo: Demo) -> None:
    r = demo.reading()
    gid = SMALL
    month = vm.meeting_month(r.state, gid)
    meeting_desk.open_meeting(r.branch_id, gid, month, r.now_ms)
    auction = demo.step(gid, month, "auction").auction
    assert auction is not None and auction.commit_reveal and auction.quorum_ok
    commit = meeting_desk.lot_commit(demo.folder, gid, month)
    assert meeting_desk.lot_commit(demo.folder, gid, month) == commit  # the same secret
    demo.submit(vm.open_auction_command(gid, month, auction.present, commit))
    demo.clock.advance(auction.duration_ms)
    step = demo.step(gid, month, "auction").auction
    assert step is not None and step.draw_needed and step.bids == 0
    assert [m for m, _ in step.to_contribute] == list(auction.present)
    for n, member_id in enumerate(auction.present[:2]):  # two present add to the draw
        demo.submit(vm.contribution_command(gid, month, member_id, f"{n:02x}" * 32))
    step = demo.step(gid, month, "auction").auction
    assert step is not None and step.contributors == 2
    assert [m for m, _ in step.to_contribute] == list(auction.present[2:])
    demo.submit(("auction.closed", {**vm._scope(gid), "month": month}))
    step = demo.step(gid, month, "auction").auction
    assert step is not None and step.status == "drawing" and step.can_reveal
    waiting = demo.step(gid, month, "settlement").settlement
    assert waiting is not None and waiting.waiting == "reveal" and not waiting.final

    meeting_desk.forget_all()  # the laptop restarts: the secret is read back from the folder
    secret = meeting_desk.lot_secret(demo.folder, gid, month)
    assert secret is not None
    demo.submit(vm.reveal_command(gid, month, secret))
    meeting_desk.forget_lot(demo.folder, gid, month)
    assert meeting_desk.lot_secret(demo.folder, gid, month) is None
    settled = demo.step(gid, month, "settlement").settlement
    assert settled is not None and settled.final and settled.by_lot
    row = demo.reading().state.get(base.SETTLEMENTS, base.month_key(gid, month))
    assert row is not None and int(row["winner_ticket"]) == settled.winner_ticket
