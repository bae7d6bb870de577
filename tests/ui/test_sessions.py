"""In-process Flet sessions over the real app (tests/support/flet_session.py, FLET.md §4).

The harness itself first: a screen of this test's own over the real shell, gate and
Backend, two sessions, a click in one reaching the other live. Then the live auction
(issue 12, Tests): two members' phones and the foreman's laptop over the real screens
and a real node mid-auction; and a member session asking for a staff act is refused
with not_allowed_here, writing nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import flet as ft
import pytest

from chitnode.node.node import Node
from tests.support.auction_room import AUCTION_MS, GID, mid_auction
from tests.support.clock import FakeClock
from tests.support.flet_session import (
    AppSessionHandle,
    app_context,
    app_ctx,  # noqa: F401  (the fixture)
    click,
    dispatch,
    find,
    has,
    open_session,
    settle,
    text_by,
)
from ui import fmt, i18n
from ui.gate import MEMBER, STAFF, Who
from ui.shell import AppContext, Screen, SessionView
from ui.vm import auction as auction_vm

FOREMAN = Who(STAFF, name="Foreman")
PHONE_2, PHONE_3 = "192.168.1.12", "192.168.1.13"  # members' phones on the meeting's Wi-Fi
PROBE = "/probe"


def _members(reading: Any) -> int:
    return len(reading.state.rows("members"))


async def _probe(view: SessionView) -> ft.Control:
    count = await view.read(_members)

    async def add(_: object = None) -> None:
        await view.submit("member.registered", {"member_id": f"P{count + 1}", "name": "Probe"})

    return ft.Column(
        [
            ft.Semantics(content=ft.Text(f"members {count}"), identifier="probe-count"),
            ft.Button(content="Add", key="probe-add", on_click=add),
        ]
    )


@pytest.mark.asyncio
async def test_a_click_in_one_session_reaches_another_live(app_ctx: AppContext) -> None:  # noqa: F811
    app_ctx.screens[PROBE] = Screen(PROBE, STAFF, "app.no_screen", _probe)
    one = await open_session(app_ctx, who=FOREMAN, route=PROBE)
    two = await open_session(app_ctx, who=FOREMAN, route=PROBE)
    assert text_by(two.page, "probe-count") == "members 0"
    sent_before = len(two.conn.sent)
    await click(one, find(one.page, key="probe-add"))
    await settle()
    assert text_by(one.page, "probe-count") == "members 1"
    assert text_by(two.page, "probe-count") == "members 1"
    assert len(two.conn.sent) > sent_before  # a patch went to the other browser


@pytest.mark.asyncio
async def test_a_guest_never_sees_a_staff_screen(app_ctx: AppContext) -> None:  # noqa: F811
    app_ctx.screens[PROBE] = Screen(PROBE, STAFF, "app.no_screen", _probe)
    phone = await open_session(app_ctx, client_ip="192.168.1.50", route=PROBE)
    assert not has(phone.page, key="probe-add")


# --- the live auction over the real app: two phones and the laptop ----------------------------


@asynccontextmanager
async def _meeting(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Any]:
    """The real app over a node mid-auction, and the foreman's laptop on its desk."""
    folder = tmp_path / "node"
    node = Node.init(folder, "Test Branch", clock=clock)
    mid_auction(node, clock)
    async with app_context(node, folder) as ctx:
        laptop = await open_session(ctx, who=FOREMAN, route=f"/auction?group={GID}&month=1")
        yield ctx, laptop


def _best(handle: AppSessionHandle, ident: str) -> str:
    return text_by(handle.page, ident)


async def _digest(ctx: AppContext) -> str:
    return str(await ctx.backend.nt.run(lambda node: node.engine.digest()))


async def _bid_from_phone(phone: AppSessionHandle, ups: int = 0) -> Any:
    """Step up `ups` times, press Bid, confirm; returns the confirm button (for a resend)."""
    for _ in range(ups):
        await click(phone, find(phone.page, key="room-up"))
    await click(phone, find(phone.page, key="room-bid"))
    confirm = find(phone.page, key="room-confirm")
    await click(phone, confirm)
    return confirm


@pytest.mark.asyncio
async def test_a_bid_from_one_phone_reaches_the_other_phone_and_the_laptop(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with _meeting(tmp_path, clock) as (ctx, laptop):
        m2 = await open_session(ctx, who=Who(MEMBER, "M2"), route="/room", client_ip=PHONE_2)
        m3 = await open_session(ctx, who=Who(MEMBER, "M3"), route="/room", client_ip=PHONE_3)
        assert _best(m3, "room-best").endswith("No bids yet")
        rules = await ctx.backend.read(lambda r: auction_vm.desk(r, GID).rules)
        offered = rules.min_paise + rules.step_paise
        confirm = await _bid_from_phone(m2, ups=1)
        await settle()
        said = fmt.rupees(offered)
        assert m2.banner == "" and said in _best(m2, "room-best")
        assert said in _best(m3, "room-best") and said in _best(laptop, "auction-best")
        alias2 = text_by(m2.page, "room-alias")
        assert alias2.split("You are ")[1] in text_by(m3.page, "room-bids")  # others' bids, live
        assert "leading" in text_by(m2.page, "room-standing")
        assert text_by(laptop.page, "auction-bids").count("offers") == 1

        # pressing Confirm again (a resend of the same confirmation) writes nothing more
        before = await _digest(ctx)
        await dispatch(m2, confirm._i, "click")
        assert await _digest(ctx) == before

        # the foreman bids for M3, present at the table, with the step buttons
        await click(laptop, find(laptop.page, key="auction-pick-3"))
        await click(laptop, find(laptop.page, key="auction-up"))
        await click(laptop, find(laptop.page, key="auction-place"))
        await settle()
        assert laptop.banner == ""
        assert text_by(laptop.page, "auction-bids").count("offers") == 2
        assert "bid more than you" in text_by(m2.page, "room-standing")
        assert "leading" in text_by(m3.page, "room-standing")

        # time up on the node's clock: the laptop closes, every screen shows the result
        clock.advance(AUCTION_MS)
        await laptop.go("/auction", group=GID, month="1")
        await click(laptop, find(laptop.page, key="auction-close"))
        await settle()
        winner = text_by(laptop.page, "auction-result")
        assert winner == text_by(m2.page, "room-result") == text_by(m3.page, "room-result")
        assert "won" in text_by(m3.page, "room-you-won")
        assert has(m2.page, ident="room-my-share") and not has(m2.page, ident="room-you-won")
        await click(laptop, find(laptop.page, key="auction-settlement"))
        assert (laptop.view.route, laptop.view.params.get("step")) == ("/meeting", "settlement")


@pytest.mark.asyncio
async def test_a_member_session_asking_for_a_staff_act_is_refused_and_nothing_is_written(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with _meeting(tmp_path, clock) as (ctx, laptop):
        clock.advance(AUCTION_MS)  # the draw may be closed now, by staff only
        await laptop.go("/auction", group=GID, month="1")
        phone = await open_session(ctx, who=Who(MEMBER, "M2"), route="/room", client_ip=PHONE_2)
        close = find(laptop.page, key="auction-close")
        before = await _digest(ctx)
        # a forged event naming the laptop's close button: the phone's session never had it
        await dispatch(phone, close._i, "click")
        # the same act through the member's own session, as a tampered client could ask
        kind, body = auction_vm.close_command(GID, 1)
        assert await phone.view.submit(kind, body) is None
        assert phone.banner == i18n.error_text("en", "not_allowed_here")
        # and a bid for another member's ticket, naming that member as actor
        bid_kind, bid_body = auction_vm.bid_command(GID, 1, 3, 3_000 * 100, actor="M3")
        assert await phone.view.submit(bid_kind, bid_body) is None
        assert phone.banner == i18n.error_text("en", "not_allowed_here")
        assert await _digest(ctx) == before
        assert not has(phone.page, key="auction-close")
        # a phone opening the staff route gets no staff control either
        await phone.go("/auction", group=GID, month="1")
        assert not has(phone.page, key="auction-close")
        assert await _digest(ctx) == before
