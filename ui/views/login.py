"""The two doors: "/unlock" (staff, on the node's own machine) and "/login" (members).

Both are public screens: whoever opens the app sees one of them until a login succeeds
(ui/shell.py sends a session to the door its route's audience needs). The checks are
ui/auth.py's: the device passphrase or a staff PIN for staff, only from this machine by
default; a member number and PIN (argon2id, rate-limited with lockout) for members.
Hashing a PIN takes a fraction of a second of CPU: it runs off the event loop so other
phones' bids are not held up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import flet as ft

from chitnode.errors import ChitError
from ui import i18n
from ui.auth import member_name_in
from ui.shell import MEMBER_LOGIN, PUBLIC, STAFF_LOGIN, Screen, SessionView
from ui.theme import TOUCH_TARGET_PX

FIELD_WIDTH_PX = 320  # fits a 360-px phone with the page's padding


def _button(label: str, on_click: Callable[..., object], *, primary: bool = True) -> ft.Control:
    kind = ft.FilledButton if primary else ft.TextButton
    return kind(content=label, on_click=on_click, height=TOUCH_TARGET_PX, width=FIELD_WIDTH_PX)


def _to(view: SessionView, route: str) -> Callable[[], Awaitable[None]]:
    """A click handler that goes to `route`. Async on purpose: Flet awaits a coroutine
    function, but a plain lambda returning `view.go(...)` is called and its coroutine
    dropped, never run (the button did nothing in a real browser)."""

    async def going() -> None:
        await view.go(route)

    return going


def _title(view: SessionView, key: str, identifier: str) -> ft.Control:
    text = ft.Text(view.t(key), size=24, weight=ft.FontWeight.BOLD)
    return ft.Semantics(content=text, identifier=identifier, header=True)


def language_row(view: SessionView) -> ft.Control:
    """The language is chosen on the first screen (UX.md rule 9)."""

    def choose(lang: str) -> Callable[[], object]:
        async def chosen() -> None:
            view.lang = lang
            await view.rebuild()

        return chosen

    buttons: list[ft.Control] = [
        ft.Semantics(
            content=ft.OutlinedButton(
                content=i18n.language_name(lang),
                on_click=choose(lang),
                height=TOUCH_TARGET_PX,
                disabled=lang == view.lang,
            ),
            identifier=f"lang-{lang}",
        )
        for lang in i18n.LANGS
    ]
    return ft.Row(buttons, wrap=True, spacing=8)


async def build_unlock(view: SessionView) -> ft.Control:
    auth = view.ctx.auth
    if not view.local and not view.ctx.allow_remote_staff:
        return ft.Column(
            [
                _title(view, "unlock.title", "unlock-title"),
                ft.Semantics(content=ft.Text(view.t("unlock.remote")), identifier="unlock-remote"),
                _button(view.t("unlock.member_instead"), _to(view, MEMBER_LOGIN)),
            ],
            spacing=16,
        )
    secret = ft.TextField(
        label=view.t("unlock.secret"),
        password=True,
        can_reveal_password=True,
        autofocus=True,
        width=FIELD_WIDTH_PX,
    )

    async def unlock(_: object = None) -> None:
        if auth is None:
            view.refuse("not_serving")
            return
        value = secret.value or ""
        secret.value = ""
        try:
            session = await asyncio.to_thread(
                auth.unlock_staff, value, local=view.local, client=view.page.client_ip or ""
            )
        except ChitError as exc:
            view.refuse(exc.code)
            return
        await view.login(session.who, session.token)

    secret.on_submit = unlock
    return ft.Column(
        [
            _title(view, "unlock.title", "unlock-title"),
            secret,
            ft.Semantics(content=_button(view.t("unlock.action"), unlock), identifier="unlock"),
            _button(view.t("unlock.member_instead"), _to(view, MEMBER_LOGIN), primary=False),
        ],
        spacing=16,
    )


async def build_login(view: SessionView) -> ft.Control:
    auth = view.ctx.auth
    member = ft.TextField(
        label=view.t("login.member_id"),
        width=FIELD_WIDTH_PX,
        autofocus=True,
        value=view.params.get("member", ""),
    )
    pin = ft.TextField(
        label=view.t("login.pin"),
        password=True,
        keyboard_type=ft.KeyboardType.NUMBER,
        width=FIELD_WIDTH_PX,
    )

    async def log_in(_: object = None) -> None:
        if auth is None:
            view.refuse("not_serving")
            return
        member_id, typed = (member.value or "").strip(), pin.value or ""
        pin.value = ""
        name = await view.read(lambda r: member_name_in(r.state)(member_id))
        try:
            session = await asyncio.to_thread(
                auth.login_member,
                member_id,
                typed,
                client=view.page.client_ip or "",
                member_name=lambda _: name,
            )
        except ChitError as exc:
            view.refuse(exc.code)
            return
        await view.login(session.who, session.token)

    pin.on_submit = log_in
    controls: list[ft.Control] = [
        language_row(view),
        _title(view, "login.title", "login-title"),
    ]
    if view.params.get("paired"):
        controls.append(
            ft.Semantics(content=ft.Text(view.t("login.paired")), identifier="login-paired")
        )
    controls += [
        ft.Text(view.t("login.hint"), size=14),
        member,
        pin,
        ft.Semantics(content=_button(view.t("action.log_in"), log_in), identifier="login"),
    ]
    if view.local:
        controls.append(
            _button(view.t("unlock.staff_instead"), _to(view, STAFF_LOGIN), primary=False)
        )
    return ft.Column(controls, spacing=16)


SCREENS = [
    Screen(STAFF_LOGIN, PUBLIC, "unlock.title", build_unlock, watches=lambda e: False),
    Screen(MEMBER_LOGIN, PUBLIC, "login.title", build_login, watches=lambda e: False),
]
