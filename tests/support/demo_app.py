"""The app's context over a fresh demo branch (chitnode.services.demo), for screen tests.

    @pytest_asyncio.fixture
    async def ctx(tmp_path):
        async with demo_app(tmp_path) as made:
            yield made

The meeting desk is cleared before and after, so no meeting leaks between tests.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from chitnode.node.node import Node
from chitnode.services.demo import build_demo
from tests.support.clock import FakeClock
from tests.support.flet_session import app_context
from ui import meeting_desk
from ui.shell import AppContext

DEMO_SEED = 2026


@asynccontextmanager
async def demo_app(tmp_path: Path) -> AsyncIterator[AppContext]:
    folder = tmp_path / "node"
    clock = FakeClock()
    node = Node.init(folder, "Demo", clock=clock)
    build_demo(node, clock, random.Random(DEMO_SEED))
    meeting_desk.forget_all()
    async with app_context(node, folder) as made:
        yield made
    meeting_desk.forget_all()
