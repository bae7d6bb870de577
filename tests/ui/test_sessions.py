"""In-process Flet sessions over the real app (tests/support/flet_session.py, FLET.md §4).

The harness itself first: a screen of this test's own over the real shell, gate and
Backend, two sessions, a click in one reaching the other live.
"""

from __future__ import annotations

from typing import Any

import flet as ft
import pytest

from tests.support.flet_session import (
    app_ctx,  # noqa: F401  (the fixture)
    click,
    find,
    has,
    open_session,
    settle,
    text_by,
)
from ui.gate import STAFF, Who
from ui.shell import AppContext, Screen, SessionView

FOREMAN = Who(STAFF, name="Foreman")
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
