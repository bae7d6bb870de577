"""The app's doors in real in-process sessions (tests/support/flet_session.py): the staff
unlock on the laptop, the member login with a PIN, the meeting QR and a member's QR."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import flet as ft
import pytest
import pytest_asyncio

from chitnode.node.node import Node
from sync.invite.pins import PinBook
from tests.support.clock import FakeClock
from tests.support.flet_session import (
    AppSessionHandle,
    app_context,
    click,
    find,
    has,
    open_session,
    text_by,
    walk,
)
from ui import limits
from ui.auth import Auth
from ui.gate import STAFF, Who
from ui.shell import AppContext

PHONE_IP = "192.168.1.23"  # a phone on the meeting's Wi-Fi: not this machine
PIN = "482913"


@pytest_asyncio.fixture
async def ctx(tmp_path: Path, clock: FakeClock) -> AsyncIterator[AppContext]:
    folder = tmp_path / "node"
    node = Node.init(folder, "Door Branch", clock=clock)
    node.submit("member.registered", {"member_id": "M-ASHA", "name": "Asha"})
    PinBook(folder).set_pin("M-ASHA", PIN, clock.now_ms())
    auth = Auth.for_folder(folder, clock)
    async with app_context(node, folder, auth=auth) as made:
        made.app_port = 8550
        yield made


STAFF_WHO = Who(STAFF)


def field(handle: AppSessionHandle, label: str) -> ft.TextField:
    for control in walk(handle.page):
        if isinstance(control, ft.TextField) and control.label == label:
            return control
    raise AssertionError(f"no field {label!r}")


async def type_in(handle: AppSessionHandle, label: str, text: str) -> None:
    field(handle, label).value = text  # as the browser's change event sets it


@pytest.mark.asyncio
async def test_the_laptop_unlocks_staff_with_the_device_passphrase(ctx: AppContext) -> None:
    laptop = await open_session(ctx)
    assert laptop.view.route == "/unlock" and has(laptop.page, ident="unlock-title")
    await type_in(laptop, "Passphrase or staff PIN", "not-the-passphrase")
    await click(laptop, find(laptop.page, ident="unlock").content)
    assert "passphrase" in laptop.banner.lower() and not laptop.view.who.is_staff
    await type_in(laptop, "Passphrase or staff PIN", os.environ["CHITNODE_PASSPHRASE"])
    await click(laptop, find(laptop.page, ident="unlock").content)
    assert laptop.view.who.is_staff and laptop.view.token


@pytest.mark.asyncio
async def test_a_phone_never_gets_the_staff_screens_even_with_the_passphrase(
    ctx: AppContext,
) -> None:
    phone = await open_session(ctx, client_ip=PHONE_IP, route="/unlock")
    assert has(phone.page, ident="unlock-remote") and not has(phone.page, ident="unlock")
    staff_route = await open_session(ctx, client_ip=PHONE_IP, route="/phones")
    assert staff_route.view.route == "/phones" and has(staff_route.page, ident="unlock-remote")
    assert not has(staff_route.page, ident="phones-meeting-url")


@pytest.mark.asyncio
async def test_a_member_logs_in_from_the_meeting_qr_with_the_pin(ctx: AppContext) -> None:
    token = ctx.auth.meeting_token()
    phone = await open_session(ctx, client_ip=PHONE_IP, route=f"/?pair={token}")
    assert has(phone.page, ident="login-paired")
    await type_in(phone, "Member number", "M-ASHA")
    await type_in(phone, "PIN", "000000")
    await click(phone, find(phone.page, ident="login").content)
    assert phone.banner and not phone.view.who.is_member
    await type_in(phone, "PIN", PIN)
    await click(phone, find(phone.page, ident="login").content)
    assert phone.view.who.is_member and phone.view.who.member_id == "M-ASHA"
    assert phone.view.who.name == "Asha"
    again = await open_session(ctx, client_ip=PHONE_IP, route=f"/?pair={token}")
    assert again.banner and not again.view.who.is_member  # one phone per meeting QR


@pytest.mark.asyncio
async def test_the_foreman_logs_a_member_in_by_qr_once(ctx: AppContext) -> None:
    laptop = await open_session(ctx, who=STAFF_WHO, route="/phones")
    assert "/?pair=" in text_by(laptop.page, "phones-meeting-url")
    await type_in(laptop, "Member number", "M-ASHA")
    await click(laptop, find(laptop.page, ident="phones-member").content)
    assert "Asha" in text_by(laptop.page, "phones-member-for")
    url = text_by(laptop.page, "phones-member-url")
    token = url.split("pair=")[1]
    phone = await open_session(ctx, client_ip=PHONE_IP, route=f"/?pair={token}")
    assert phone.view.who.member_id == "M-ASHA"
    reused = await open_session(ctx, client_ip=PHONE_IP, route=f"/?pair={token}")
    assert not reused.view.who.is_member and reused.banner


@pytest.mark.asyncio
async def test_an_unknown_member_gets_no_qr(ctx: AppContext) -> None:
    laptop = await open_session(ctx, who=STAFF_WHO, route="/phones")
    await type_in(laptop, "Member number", "M-NOBODY")
    await click(laptop, find(laptop.page, ident="phones-member").content)
    assert laptop.banner and not has(laptop.page, ident="phones-member-url")


@pytest.mark.asyncio
async def test_an_idle_phone_goes_back_to_the_login_by_itself(
    ctx: AppContext, clock: FakeClock
) -> None:
    token = ctx.auth.issue_member_token("M-ASHA")
    phone = await open_session(ctx, client_ip=PHONE_IP, route=f"/?pair={token}")
    assert phone.view.who.is_member
    await phone.view.check_idle()
    assert phone.view.who.is_member  # still within the idle time
    clock.advance(limits.MEMBER_IDLE_TIMEOUT_MS + 1)
    await phone.view.check_idle()  # what the session's idle watch runs every IDLE_CHECK_S
    assert not phone.view.who.is_member and phone.view.route == "/login"
    assert "log in again" in phone.banner.lower() or phone.banner
