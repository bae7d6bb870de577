"""Every auction screen has a way out (found in the real browser: the room had none, and
the laptop had to go Home -> Run meeting -> Next x4 to get back to its meeting)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chitnode.node.node import Node
from tests.support.auction_room import GID, mid_auction
from tests.support.clock import FakeClock
from tests.support.flet_session import app_context, click, find, open_session
from ui.gate import MEMBER, STAFF, Who


@pytest.mark.asyncio
async def test_the_room_leads_home_and_the_desk_back_to_its_meeting(
    tmp_path: Path, clock: FakeClock
) -> None:
    folder = tmp_path / "node"
    node = Node.init(folder, "Test Branch", clock=clock)
    mid_auction(node, clock)
    async with app_context(node, folder) as ctx:
        phone = await open_session(ctx, who=Who(MEMBER, "M2"), route=f"/room?group={GID}")
        await click(phone, find(phone.page, key="room-home"))
        assert phone.view.route == "/me"
        laptop = await open_session(ctx, who=Who(STAFF), route=f"/auction?group={GID}&month=1")
        await click(laptop, find(laptop.page, key="auction-back"))
        assert laptop.view.route == "/meeting"
        assert laptop.view.params == {"group": GID, "month": "1", "step": "auction"}
