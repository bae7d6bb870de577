"""The auction screens' controls over the real app and a real node mid-auction.

Built through the in-process session harness (tests/support/flet_session.py), so each
screen is the one the shell shows: texts read by their Semantics identifiers, buttons
pressed by their keys the way the websocket dispatches a click.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import flet as ft
import pytest

from chitnode.domain import chit_views
from chitnode.node.node import Node
from tests.support.auction_room import AUCTION_MS, GID, mid_auction
from tests.support.clock import FakeClock
from tests.support.flet_session import (
    app_context,
    click,
    find,
    has,
    open_session,
    settle,
    text_by,
)
from ui import fmt, i18n, limits, meeting_desk
from ui.gate import MEMBER, STAFF, Who
from ui.shell import AppContext
from ui.views import auction as screens
from ui.vm import auction as vm

FOREMAN = Who(STAFF, name="Foreman")
DESK = f"/auction?group={GID}&month=1"


@asynccontextmanager
async def _app(tmp_path: Path, clock: FakeClock, *, lot: bool = False) -> AsyncIterator[AppContext]:
    folder = tmp_path / "node"
    node = Node.init(folder, "Test Branch", clock=clock)
    mid_auction(node, clock, lot_folder=folder if lot else None)
    async with app_context(node, folder) as ctx:
        yield ctx


async def _rules(ctx: AppContext) -> vm.Rules:
    return await ctx.backend.read(lambda r: vm.desk(r, GID).rules)


@pytest.mark.asyncio
async def test_the_desk_shows_the_rules_card_countdown_and_every_ticket(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with _app(tmp_path, clock) as ctx:
        laptop = await open_session(ctx, who=FOREMAN, route=DESK)
        rules = await _rules(ctx)
        assert text_by(laptop.page, "auction-rules-min").endswith(fmt.rupees(rules.min_paise))
        assert text_by(laptop.page, "auction-rules-max").endswith(fmt.rupees(rules.max_paise))
        assert text_by(laptop.page, "auction-status") == i18n.t("en", "auction.status_open")
        assert text_by(laptop.page, "auction-countdown") == fmt.countdown(AUCTION_MS)
        for ticket in (1, 2, 3, 4):
            line = text_by(laptop.page, f"auction-ticket-{ticket}")
            assert line.startswith(f"Ticket {ticket} · Member M{ticket} · Bidder ")
        assert not has(laptop.page, key="auction-close")  # the countdown runs
        assert not has(laptop.page, key="auction-place")  # no member picked yet
        # a month whose draw is not open says so and offers nothing
        await laptop.go("/auction", group=GID, month="2")
        assert text_by(laptop.page, "auction-status") == i18n.t("en", "auction.status_none")
        assert not has(laptop.page, ident="auction-best")


@pytest.mark.asyncio
async def test_the_room_confirms_with_what_i_would_take_home_and_steps_never_go_below(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with _app(tmp_path, clock) as ctx:
        phone = await open_session(ctx, who=Who(MEMBER, "M1"), route="/room")
        rules = await _rules(ctx)
        proposed = text_by(phone.page, "room-proposed")
        assert proposed.endswith(fmt.rupees(rules.min_paise))
        await click(phone, find(phone.page, key="room-down"))  # below the minimum: stays
        assert text_by(phone.page, "room-proposed") == proposed
        await click(phone, find(phone.page, key="room-up"))
        await click(phone, find(phone.page, key="room-up"))
        offered = rules.min_paise + 2 * rules.step_paise
        assert text_by(phone.page, "room-proposed").endswith(fmt.rupees(offered))
        assert text_by(phone.page, "room-limits") == i18n.t(
            "en",
            "auction.my_limits",
            low=fmt.rupees(rules.min_paise),
            high=fmt.rupees(rules.max_paise),
            step=fmt.rupees(rules.increment_paise),
        )
        await click(phone, find(phone.page, key="room-bid"))
        prize = await ctx.backend.read(
            lambda r: chit_views.settlement_preview(r.state, GID, 1, offered).prize_paise
        )
        said = text_by(phone.page, "room-confirm-text")
        assert fmt.rupees(offered) in said and fmt.rupees(prize) in said
        await click(phone, find(phone.page, key="room-cancel"))  # nothing sent
        assert not has(phone.page, key="room-confirm")
        assert text_by(phone.page, "room-bids") == i18n.t("en", "auction.no_bids")


@pytest.mark.asyncio
async def test_a_bid_overtaken_while_confirming_is_refused_in_words(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with _app(tmp_path, clock) as ctx:
        phone = await open_session(ctx, who=Who(MEMBER, "M1"), route="/room")
        await click(phone, find(phone.page, key="room-bid"))  # the minimum, on the card
        confirm = find(phone.page, key="room-confirm")
        rules = await _rules(ctx)
        kind, body = vm.bid_command(GID, 1, 2, rules.min_paise, actor="M2")
        await ctx.backend.submit(FOREMAN, kind, body)  # another bid lands first...
        await click(phone, confirm)  # ...and the phone confirms before its screen heard of it
        assert phone.banner == i18n.error_text("en", "bid_increment_too_small")
        assert text_by(phone.page, "room-bids").count("offers") == 1
        # the screen now proposes the next acceptable bid, to be confirmed afresh
        assert not has(phone.page, key="room-confirm")
        lowest = vm.lowest_bid(rules, rules.min_paise)
        assert text_by(phone.page, "room-proposed").endswith(fmt.rupees(lowest))


@pytest.mark.asyncio
async def test_the_room_speaks_kannada_and_the_ticker_stops_when_the_screen_goes(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "COUNTDOWN_TICK_S", 0.005)  # ticks many times within a settle
    async with _app(tmp_path, clock) as ctx:
        phone = await open_session(ctx, who=Who(MEMBER, "M3"), route="/room")
        phone.view.lang = "kn"
        await phone.view.rebuild()
        assert text_by(phone.page, "room-title") == i18n.t("kn", "auction.room_title")
        assert text_by(phone.page, "room-alias").startswith("ನೀವು Bidder ")
        ticker = screens._PADS[phone.view].ticker
        await settle()
        assert ticker is not None and not ticker.done()  # ticking while the room shows
        await phone.go("/auction", group=GID)  # a member on the staff route: the door
        await settle()
        assert ticker.done() and not has(phone.page, ident="room-countdown")


@pytest.mark.asyncio
async def test_closing_a_commit_reveal_draw_reveals_the_desk_s_secret_and_settles(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with _app(tmp_path, clock, lot=True) as ctx:
        laptop = await open_session(ctx, who=FOREMAN, route=DESK)
        phone = await open_session(ctx, who=Who(MEMBER, "M4"), route="/room")
        clock.advance(AUCTION_MS)
        rng = random.Random(5)
        for member in ("M1", "M2"):  # two subscribers present add to the draw
            body = {"group_id": GID, "month": 1, "contribution": rng.randbytes(32).hex()}
            await ctx.backend.submit(FOREMAN, "lot.contributed", {**body, "actor": member})
        await laptop.go("/auction", group=GID, month="1")
        assert meeting_desk.lot_secret(tmp_path / "node", GID, 1) is not None  # the desk's
        await click(laptop, find(laptop.page, key="auction-close"))
        await settle()
        assert laptop.banner == ""
        said = text_by(laptop.page, "auction-result")
        assert " won by lot" in said and said == text_by(phone.page, "room-result")
        assert meeting_desk.lot_secret(tmp_path / "node", GID, 1) is None  # in the log now
        settled = await ctx.backend.read(lambda r: vm.desk(r, GID, 1))
        assert settled.status == vm.CLOSED and settled.result is not None
        assert text_by(laptop.page, "auction-prize").endswith(
            fmt.rupees(settled.result.prize_paise)
        )


def test_merge_keeps_the_shown_controls_and_takes_the_new_values() -> None:
    old_best = ft.Text("₹2,000", key="best")
    old_lines = [ft.Text("Bidder 1 offers ₹2,000", key="bid-0")]
    shown = ft.Column([old_best, ft.Column(old_lines)])
    fresh_lines = [ft.Text("Bidder 2 offers ₹2,100", key="bid-1"), ft.Text("x", key="bid-0")]
    fresh = ft.Column([ft.Text("₹2,100", key="best"), ft.Column(fresh_lines)])
    merged = screens.merge(shown, fresh)
    assert merged is shown and shown.controls[0] is old_best and old_best.value == "₹2,100"
    lines = shown.controls[1].controls
    assert lines[0] is fresh_lines[0] and lines[1] is old_lines[0]  # matched by key, not place
    assert old_lines[0].value == "x"
    # a different kind of control in the same place is shown as it comes
    other = ft.Row([])
    assert screens.merge(shown, other) is other
    assert screens.merge(ft.Text("a", key="k1"), ft.Text("b", key="k2")).value == "b"


@pytest.mark.asyncio
async def test_a_room_left_and_opened_again_still_hears_the_bids(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with _app(tmp_path, clock) as ctx:
        phone = await open_session(ctx, who=Who(MEMBER, "M1"), route="/room")
        await phone.go("/auction", group=GID)  # away (a member gets the door)
        await phone.go("/room")
        rules = await _rules(ctx)
        kind, body = vm.bid_command(GID, 1, 2, rules.min_paise, actor="M2")
        await ctx.backend.submit(FOREMAN, kind, body)
        await settle()
        assert text_by(phone.page, "room-best").endswith(fmt.rupees(rules.min_paise))
        assert text_by(phone.page, "room-bids").count("offers") == 1
        lowest = vm.lowest_bid(rules, rules.min_paise)
        assert text_by(phone.page, "room-proposed").endswith(fmt.rupees(lowest))


def test_a_phone_lists_only_the_newest_bids_and_counts_the_rest() -> None:
    """Every bid line is diffed and sent to every phone on every bid: the room keeps a
    bounded list (ROOM_BID_LINES_MAX) and says how many earlier bids there were; the
    laptop's list is whole."""
    from types import SimpleNamespace

    from ui import i18n, limits
    from ui.views import auction as views
    from ui.vm import auction as auction_vm

    view = SimpleNamespace(
        t=lambda key, **kw: i18n.t("en", key, **kw), money=lambda paise: f"₹{paise // 100}"
    )
    bids = tuple(
        auction_vm.BidLine(f"Bidder {n}", 10_000_00 + n * 100_00, n)
        for n in range(limits.ROOM_BID_LINES_MAX + 5)
    )
    room = views._bid_lines(view, views._Pad(), bids, "room-bids")  # type: ignore[arg-type]
    said = [c.value for c in room.content.controls]
    assert len(said) == limits.ROOM_BID_LINES_MAX + 1
    assert said[0].startswith(f"Bidder {len(bids) - 1}")  # newest first
    assert said[-1] == "and 5 earlier bids"
    desk = views._bid_lines(view, views._Pad(), bids, "auction-bids")  # type: ignore[arg-type]
    assert len(desk.content.controls) == len(bids)
