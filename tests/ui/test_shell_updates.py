"""What a handler changes after `view.submit` reaches the browser (ui/shell.py `_update`).

Flet 1.0.5 skips its end-of-handler update once a handler called `update()` itself, and
the shell's submit pushes "Sending…" mid-handler: without care, everything the handler
set after the write stayed on the node. Found in a real browser (the auditor's screen);
here the bytes the session sends are read back."""

from __future__ import annotations

import flet as ft
import pytest

from tests.support.flet_session import app_ctx, click, find, open_session  # noqa: F401
from ui.gate import STAFF, Who
from ui.shell import STAFF as STAFF_AUDIENCE
from ui.shell import AppContext, Screen, SessionView

MARKER = "written-and-shown-7f3a"


async def build_probe(view: SessionView) -> ft.Control:
    label = ft.Text("before")

    async def write() -> None:
        receipt = await view.submit("member.registered", {"member_id": "M9", "name": "Nine"})
        label.value = MARKER if receipt is not None else "refused"

    return ft.Column(
        [label, ft.Semantics(content=ft.Button(content="Write", on_click=write), identifier="w")]
    )


@pytest.mark.asyncio
async def test_a_change_made_after_a_write_is_sent(app_ctx: AppContext) -> None:  # noqa: F811
    ctx = app_ctx
    ctx.screens["/probe"] = Screen("/probe", STAFF_AUDIENCE, "app.no_screen", build_probe)
    laptop = await open_session(ctx, who=Who(STAFF), route="/probe")
    before = len(laptop.conn.sent)
    await click(laptop, find(laptop.page, ident="w").content)
    sent = b"".join(laptop.conn.pack([m.action, m.body]) for m in laptop.conn.sent[before:])
    assert MARKER.encode() in sent
