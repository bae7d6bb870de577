"""The Flet entry point: one `main(page)` per browser session, over one AppContext.

`make_main(ctx)` wires a session: who it is (a guest until it logs in; a phone that
opened the meeting QR's `/?pair=TOKEN` is paired), which screen it shows first, the
live refresh, and the clean-up when the browser goes. Everything else is a screen's
(ui/views/*) and, below those, the view-models' (ui/vm/*) and the kernel's.
"""

from __future__ import annotations

import importlib
import ipaddress
from collections.abc import Awaitable, Callable, Iterable

import flet as ft

from ui.shell import AppContext, Screen, SessionView, home_route, parse_location, screens_of

# The modules that register screens, in the order their routes are tried; each exposes
# SCREENS. A module not yet written is skipped, so the app runs while screens land.
SCREEN_MODULES = (
    "ui.views.login",
    "ui.views.phones",
    "ui.views.foreman",
    "ui.views.meeting",
    "ui.views.auction",
    "ui.views.member",
    "ui.views.member_receipts",
    "ui.views.member_keys",
    "ui.views.office",
    "ui.views.auditor",
    "ui.views.admin",
    "ui.views.reports",
    "ui.views.hq",
)


def load_screens(modules: Iterable[str] = SCREEN_MODULES) -> dict[str, Screen]:
    found = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists and something it imports does not
                raise
            continue
        found.append(list(module.SCREENS))
    return screens_of(found)


def is_local(client_ip: str | None, own: Iterable[str] = ()) -> bool:
    """A session from the node's own machine: loopback, or one of this host's addresses."""
    if not client_ip:
        return False
    try:
        address = ipaddress.ip_address(client_ip.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or client_ip in set(own)


def make_main(
    ctx: AppContext, own_addresses: Callable[[], Iterable[str]] = tuple
) -> Callable[[ft.Page], Awaitable[None]]:
    async def main(page: ft.Page) -> None:
        from ui import theme

        page.title = "chitnode"
        page.theme = theme.light_theme()
        page.dark_theme = theme.dark_theme()
        page.padding = theme.GAP_PX * 2
        view = SessionView(ctx, page, local=is_local(page.client_ip, own_addresses()))
        ctx.sessions[page.session.id] = view

        def gone(_: object = None) -> None:
            view.stop()
            ctx.sessions.pop(page.session.id, None)

        page.on_close = gone
        view.branch_name, view.device_role = await ctx.backend.read(
            lambda r: (r.branch_name, r.device_role)
        )
        page.add(view.layout())
        view.start()
        path, query = parse_location(page.route)
        token = query.pop("pair", "")
        if token and ctx.auth is not None:
            await pair(view, token)
            return
        await view.go(path if path != "/" else home_route(view.who, local=view.local), **query)

    return main


async def pair(view: SessionView, token: str) -> None:
    """A phone opened a pairing URL: a member's token logs that member in; the meeting's
    token lets the phone see the member login. A bad token is refused in words."""
    from chitnode.errors import ChitError
    from ui.auth import member_name_in
    from ui.shell import MEMBER_LOGIN

    auth = view.ctx.auth
    try:  # on the node thread: the member's name comes from the fold between writes
        session = await view.read(lambda r: auth.pair(token, member_name=member_name_in(r.state)))
    except ChitError as exc:
        await view.go(MEMBER_LOGIN)
        view.refuse(exc.code)
        return
    if not session.who.is_member:  # the meeting's QR: this phone may log in
        await view.go(MEMBER_LOGIN, paired="1")
        return
    await view.login(session.who, session.token)
