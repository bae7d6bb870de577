"""The meeting screen ("/meeting"), step by step, in in-process Flet sessions over the demo.

Each test builds the demo branch (chitnode.services.demo) and opens the real app on it
as the foreman (tests/support/flet_session.py): the controls are found by their
Semantics identifiers, the buttons clicked as the websocket would, and what they wrote
is read back from the node.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chitnode.domain import chit_kinds_base as base
from chitnode.node.node import Node
from chitnode.services.demo import build_demo
from tests.support.clock import FakeClock
from tests.support.flet_session import (
    AppSessionHandle,
    app_context,
    click,
    dispatch,
    find,
    has,
    open_session,
    settle,
    text_by,
)
from ui import i18n, meeting_desk
from ui.gate import MEMBER, STAFF, Who
from ui.shell import AppContext
from ui.vm import meeting as vm

FOREMAN = Who(STAFF, name="Foreman")
GID = "UDP-2025-07"  # the demo's running group: month 7 next
MONTH = 7


@dataclass
class Table:
    ctx: AppContext
    clock: FakeClock
    laptop: AppSessionHandle

    async def run(self, fn: Any) -> Any:
        return await self.ctx.backend.nt.run(fn)

    async def submit(self, kind: str, body: dict[str, Any]) -> None:
        self.clock.advance(1_000)
        receipt = await self.run(lambda node: node.submit(kind, body))
        assert receipt.status == "applied", (kind, receipt.code)
        await settle()

    async def state_get(self, table: str, key: str) -> dict[str, Any] | None:
        row: dict[str, Any] | None = await self.run(lambda node: node.engine.state.get(table, key))
        return row

    def text(self, ident: str) -> str:
        return text_by(self.laptop.page, ident)

    async def press(self, ident: str) -> None:
        await click(self.laptop, find(self.laptop.page, ident=ident).content)

    def fill(self, ident: str, value: str) -> None:
        field = find(self.laptop.page, ident=ident).content
        field.value = value

    async def step(self, step: str, **extra: str) -> None:
        await self.laptop.go("/meeting", group=GID, month=str(MONTH), step=step, **extra)


@asynccontextmanager
async def table(tmp_path: Path, route: str) -> AsyncIterator[Table]:
    clock = FakeClock()
    folder = tmp_path / "node"
    node = Node.init(folder, "Meeting Branch", clock=clock)
    build_demo(node, clock, random.Random(2026))
    meeting_desk.forget_all()
    async with app_context(node, folder) as ctx:
        laptop = await open_session(ctx, route=route, who=FOREMAN)
        yield Table(ctx, clock, laptop)
    meeting_desk.forget_all()


@pytest.mark.asyncio
async def test_the_foreman_picks_a_group_and_opens_its_meeting(tmp_path: Path) -> None:
    async with table(tmp_path, "/meeting") as t:
        assert t.text("meeting-title") == i18n.t("en", "meeting.title.choose")
        assert t.text("meeting-step").startswith("Step 1 of 10")
        await t.press(f"meeting-open-choice-{GID}")
        assert "month 7 of 20" in t.text("meeting-title")
        assert "(today)" in t.text("meeting-open-date")
        await t.press("meeting-open-start")
        assert t.laptop.view.params["step"] == "attendance"
        params = t.laptop.view.params  # the route keeps the group and month
        assert (params["group"], params["month"]) == (GID, "7")
        assert [m.group_id for m in meeting_desk.open_meetings(await _branch(t))] == [GID]
        assert t.text("meeting-step") == "Step 2 of 10: Attendance"
        await t.press("meeting-back")
        assert t.text("meeting-open-status") == i18n.t("en", "meeting.open.is_open")


async def _branch(t: Table) -> str:
    branch: str = await t.run(lambda node: node.branch)
    return branch


@pytest.mark.asyncio
async def test_attendance_unticks_and_a_phone_check_in_ticks_live(tmp_path: Path) -> None:
    async with table(tmp_path, "/meeting") as t:
        branch = await _branch(t)
        meeting_desk.open_meeting(branch, GID, MONTH, t.clock.now_ms())
        await t.step("attendance")
        # 20 tickets, 19 subscribers: one holds two tickets
        assert t.text("meeting-attendance-count") == "19 of 19 subscribers present"
        row = await t.state_get(base.TICKETS, base.ticket_key(GID, 5))
        assert row is not None
        member = str(row["member_id"])
        box = find(t.laptop.page, ident=f"meeting-attendance-{member}").content
        box.value = False
        await dispatch(t.laptop, box._i, "change", "false")
        assert t.text("meeting-attendance-count") == "18 of 19 subscribers present"
        meeting_desk.check_in(branch, GID, MONTH, member)  # the member's phone, helper F's
        await settle()
        box = find(t.laptop.page, ident=f"meeting-attendance-{member}").content
        assert box.value is True and "checked in by phone" in str(box.label)
        assert t.text("meeting-attendance-count") == "19 of 19 subscribers present"


@pytest.mark.asyncio
async def test_a_payment_gets_its_receipt_and_a_refusal_is_said_in_words(tmp_path: Path) -> None:
    async with table(tmp_path, "/meeting") as t:
        await t.step("collections")
        due = next(
            n
            for n in range(1, 21)
            if has(t.laptop.page, ident=f"meeting-collections-take-{n}")
            and "Due" in t.text(f"meeting-collections-status-{n}")
        )
        await t.press(f"meeting-collections-take-{due}")
        assert t.laptop.view.params["ticket"] == str(due)
        find(t.laptop.page, ident="meeting-collections-mode").content.value = "upi"
        await t.press("meeting-collections-record")
        assert t.text("meeting-problem") == i18n.t("en", vm.NEEDS_REFERENCE)

        t.fill("meeting-collections-amount", "99,00,00,000")  # more than the ticket can owe
        t.fill("meeting-collections-reference", "UPI-4411")
        await t.press("meeting-collections-record")
        assert t.laptop.banner == i18n.error_text("en", "amount_above_dues")

        await t.press(f"meeting-collections-take-{due}")
        find(t.laptop.page, ident="meeting-collections-mode").content.value = "upi"
        t.fill("meeting-collections-reference", "UPI-4411")
        await t.press("meeting-collections-record")  # the amount as offered: what is owed
        assert t.laptop.banner == ""
        receipt = t.text(f"meeting-collections-receipt-{due}")
        assert receipt.startswith(f"Receipt {GID}/R") and receipt.endswith("UPI")
        assert t.text(f"meeting-collections-saved-{due}") == i18n.t("en", "net.saved_here")
        assert "Paid" in t.text(f"meeting-collections-status-{due}")


@pytest.mark.asyncio
async def test_who_may_bid_names_the_unpaid_before_the_auction(tmp_path: Path) -> None:
    async with table(tmp_path, "/meeting") as t:
        await t.step("bidders")
        blocked = [
            t.text(f"meeting-bidders-blocked-{n}")
            for n in range(1, 21)
            if has(t.laptop.page, ident=f"meeting-bidders-blocked-{n}")
        ]
        arrears = i18n.error_text("en", "arrears_outstanding")
        assert any(arrears in line and "Owes ₹" in line for line in blocked)
        assert t.text("meeting-bidders-count").endswith("tickets may bid this month")


@pytest.mark.asyncio
async def test_the_meeting_opens_the_auction_then_settles_attests_and_pays(
    tmp_path: Path,
) -> None:
    async with table(tmp_path, "/meeting") as t:
        branch = await _branch(t)
        meeting_desk.open_meeting(branch, GID, MONTH, t.clock.now_ms())
        await t.step("auction")
        assert "in steps of ₹100" in t.text("meeting-auction-rules")
        await t.press("meeting-auction-open")
        assert (t.laptop.view.route, t.laptop.view.params["group"]) == ("/auction", GID)
        opened = await t.state_get(base.AUCTIONS, base.month_key(GID, MONTH))
        assert opened is not None and opened["status"] == "open" and "lot" in opened
        assert meeting_desk.lot_secret(t.ctx.backend.folder, GID, MONTH) is not None

        # the auction screen's part, done here on the node: one bid, the countdown, the close
        bidder = int(opened["lot"]["tickets"][0])
        holder = await t.state_get(base.TICKETS, base.ticket_key(GID, bidder))
        assert holder is not None
        scope = {"group_id": GID, "scope": f"group:{GID}", "month": MONTH}
        bid = {**scope, "ticket": bidder, "discount_paise": 25_000_00}
        await t.submit("auction.bid", {**bid, "actor": holder["member_id"]})
        t.clock.advance(16 * 60_000)
        await t.submit("auction.closed", scope)

        await t.step("settlement")
        assert meeting_desk.lot_secret(t.ctx.backend.folder, GID, MONTH) is None  # won by bid
        assert t.text("meeting-settlement-prize") == "Prize: ₹5,00,000 − ₹25,000 = ₹4,75,000"
        assert t.text("meeting-settlement-winner").startswith(f"Ticket {bidder} (")

        await t.step("minutes")
        assert t.text("meeting-minutes-bids") == "Bids: 1"
        await t.press("meeting-minutes-attest")
        minutes = await t.state_get(base.MINUTES, base.month_key(GID, MONTH))
        assert minutes is not None and minutes["attesters"] == ["foreman"]
        winner = str(holder["member_id"])
        assert has(t.laptop.page, ident=f"meeting-minutes-table-{winner}")
        # the winner attests from a phone (a member session): the laptop's minutes update live
        body = {"group_id": GID, "month": MONTH, "minutes_hash": minutes["minutes_hash"]}
        await t.ctx.backend.submit(Who(MEMBER, winner), "minutes.attested", body)
        await settle()
        assert not has(t.laptop.page, ident=f"meeting-minutes-table-{winner}")
        assert "Settled" in t.text(f"meeting-minutes-attester-{winner}")
        present = [str(m) for m in opened["present"] if m != winner][:2]
        for member_id in present:  # two more sign at the table
            await t.press(f"meeting-minutes-table-{member_id}")
        assert t.text("meeting-minutes-status") == i18n.t("en", "meeting.minutes.complete")

        await t.step("payout")
        assert t.text("meeting-payout-deadline").startswith("Pay by ")
        await t.press("meeting-payout-deduct")
        assert t.text("meeting-payout-security") == i18n.t("en", "meeting.payout.deducted")
        assert t.text("meeting-payout-banker").startswith("The pool can pay this prize now")
        t.fill("meeting-payout-typed", "1")
        await t.press("meeting-payout-pay")
        assert t.text("meeting-problem") == i18n.t("en", vm.AMOUNT_DIFFERS)
        cash = t.text("meeting-payout-cash").rsplit("pay ", 1)[1]
        t.fill("meeting-payout-typed", cash)
        t.fill("meeting-payout-reference", "NEFT-77")
        await t.press("meeting-payout-pay")
        assert t.text("meeting-payout-paid") == f"Paid {cash}, reference NEFT-77"

        await t.step("close")
        assert t.text("meeting-close-prize").endswith("paid: Yes")
        await t.press("meeting-close-action")
        assert t.laptop.view.route == "/foreman"
        assert meeting_desk.open_meetings(branch) == []


@pytest.mark.asyncio
async def test_a_month_nobody_bids_is_drawn_from_the_table(tmp_path: Path) -> None:
    async with table(tmp_path, "/meeting") as t:
        gid = "BTL-2025-09"  # month 5 of 6 next
        branch = await _branch(t)
        meeting_desk.open_meeting(branch, gid, 5, t.clock.now_ms())
        await t.laptop.go("/meeting", group=gid, month="5", step="auction")
        find(t.laptop.page, ident="meeting-auction-countdown").content.value = "1"
        await t.press("meeting-auction-open")
        opened = await t.state_get(base.AUCTIONS, base.month_key(gid, 5))
        assert opened is not None and opened["status"] == "open"
        assert opened["ends_ms"] - opened["opened_ms"] == 60_000  # the 1 minute chosen
        t.clock.advance(2 * 60_000)  # the countdown ends with no bid
        await t.laptop.go("/meeting", group=gid, month="5", step="auction")
        assert "(0 so far)" in t.text("meeting-auction-draw")
        for member_id in opened["present"][:2]:
            await t.press(f"meeting-auction-contribute-{member_id}")
        assert "(2 so far)" in t.text("meeting-auction-draw")
        await t.submit("auction.closed", {"group_id": gid, "scope": f"group:{gid}", "month": 5})
        await t.laptop.go("/meeting", group=gid, month="5", step="auction")
        assert t.text("meeting-auction-status") == i18n.t("en", "meeting.auction.drawing")
        await t.press("meeting-auction-reveal")
        assert t.laptop.view.params["step"] == "settlement"
        assert t.text("meeting-settlement-winner").endswith("wins by lot")
        assert meeting_desk.lot_secret(t.ctx.backend.folder, gid, 5) is None  # forgotten


def test_the_screen_is_registered_for_staff() -> None:
    from ui.views import meeting as screen

    [only] = screen.SCREENS
    assert (only.route, only.audience) == ("/meeting", STAFF)
    assert i18n.t("en", only.title_key) == "Meeting"
