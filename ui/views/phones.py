"""The laptop's "Phones" screen: the QR codes that bring members' phones into the app.

- The meeting QR: `http://<LAN IP>:PORT/?pair=TOKEN` with a one-time token (ui/auth.py);
  a phone that opens it sees the member login. Android browsers do not resolve `.local`,
  so the URL carries the laptop's IPv4 address. The foreman shows a new QR per phone.
- A member's QR: for a member who forgot the PIN or is locked out, the foreman checks
  who they are at the table and issues a token that logs that member in once.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import flet as ft

from chitnode.errors import ChitError
from sync.invite.render import qr
from ui.auth import member_name_in
from ui.pairing import lan_addresses, phone_url
from ui.shell import STAFF, Screen, SessionView

QR_SCALE = 8  # pixels per module: readable by a phone camera across a table
QR_BORDER = 2  # modules of quiet zone
QR_SIZE_PX = 280
LOOPBACK = "127.0.0.1"


def qr_png_bytes(url: str) -> bytes:
    buffer = io.BytesIO()
    qr(url).save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()


EVERY_INTERFACE = ("", "0.0.0.0", "::", "*")


def phone_host(listen: str = "") -> str:
    """The address phones on the Wi-Fi reach this laptop at: the one the app listens on,
    or, listening on every interface, the first LAN IPv4 (phones do not resolve .local)."""
    if listen not in EVERY_INTERFACE:
        return listen
    hosts = lan_addresses()
    return hosts[0] if hosts else LOOPBACK


def qr_block(url: str, identifier: str) -> ft.Control:
    return ft.Column(
        [
            ft.Image(src=qr_png_bytes(url), width=QR_SIZE_PX, height=QR_SIZE_PX),
            # value: a selectable text's words do not reach the page's semantics (tests, readers)
            ft.Semantics(
                content=ft.Text(url, selectable=True, size=14), identifier=identifier, value=url
            ),
        ],
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
    )


async def build_phones(view: SessionView) -> ft.Control:
    auth, port = view.ctx.auth, view.ctx.app_port
    if auth is None:
        view.refuse("not_serving")
        return ft.Column([])
    meeting_url = phone_url(phone_host(view.ctx.listen), port, auth.meeting_token())
    connected = sum(1 for s in view.ctx.sessions.values() if s.who.is_member)
    member_field = ft.TextField(label=view.t("login.member_id"), width=240)
    member_box = ft.Column([])

    async def next_qr() -> None:
        await view.rebuild()

    async def member_keys() -> None:  # keys the phones offered, to compare and enrol
        await view.go("/member-keys")

    async def member_qr() -> None:
        member_id = (member_field.value or "").strip()
        name = await view.read(lambda r: member_name_in(r.state)(member_id))
        if name is None:
            view.refuse("unknown_member")
            return
        try:
            token = auth.issue_member_token(member_id)
        except ChitError as exc:
            view.refuse(exc.code)
            return
        url = phone_url(phone_host(view.ctx.listen), port, token)
        member_box.controls = [
            ft.Semantics(
                content=ft.Text(view.t("phones.member_for", name=name, member=member_id)),
                identifier="phones-member-for",
            ),
            qr_block(url, "phones-member-url"),
        ]

    def button(label: str, action: Callable[[], object], identifier: str) -> ft.Control:
        return ft.Semantics(
            content=ft.FilledButton(content=label, on_click=action, height=48),
            identifier=identifier,
        )

    return ft.Column(
        [
            ft.Text(view.t("phones.title"), size=24, weight=ft.FontWeight.BOLD),
            ft.Text(view.t("phones.scan")),
            qr_block(meeting_url, "phones-meeting-url"),
            ft.Text(view.t("phones.once"), size=13),
            button(view.t("phones.next"), next_qr, "phones-next"),
            ft.Semantics(
                content=ft.Text(view.t("phones.connected", count=connected)),
                identifier="phones-connected",
            ),
            ft.Divider(),
            ft.Text(view.t("phones.member_title"), size=18, weight=ft.FontWeight.BOLD),
            ft.Text(view.t("phones.member_hint"), size=13),
            ft.Row([member_field, button(view.t("phones.member_qr"), member_qr, "phones-member")]),
            member_box,
            ft.Divider(),
            button(view.t("keys.title.staff"), member_keys, "phones-keys"),
        ],
        spacing=12,
    )


SCREENS = [Screen("/phones", STAFF, "phones.title", build_phones, watches=lambda e: False)]
