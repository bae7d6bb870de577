"""The frame every screen lives in: routes, who may see them, refusals in words, live refresh.

A screen is a `Screen`: a route, its audience and an async `build(view)` that reads the
log through its view-model and returns controls. The shell owns one `SessionView` per
browser session: it shows a route's screen only to the audience it names (a staff route
to a member session shows the login instead; whatever a session sends over the websocket,
writes pass `ui/gate.py`), rebuilds the screen when the log changes in a way the screen
`watches`, and turns every refusal into a sentence in the session's language on a banner
(`banner-text`), never a traceback.

Navigation is the shell's, not the browser's: `go(route, **params)` rebuilds the content.
The first route comes from the URL the browser opened (`/?pair=TOKEN` from a phone's QR).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import flet as ft
from flet.controls.context import context as flet_context

from chitnode.errors import ChitError
from chitnode.node.node import Receipt
from chitnode.services.events import Event
from ui import fmt, i18n, limits
from ui.backend import Backend, Reading
from ui.gate import GUEST_WHO, Who

T = TypeVar("T")
log = logging.getLogger("chitnode.app")

STAFF = "staff"  # any unlocked staff session (admin, foreman, employee, auditor devices)
ADMIN = "admin"  # a staff session on an admin's device
MEMBER = "member"
PUBLIC = "public"

# Routes the shell itself knows; the screens register the rest (ui/app.py, SCREEN_MODULES).
STAFF_HOME = "/foreman"
MEMBER_HOME = "/me"
STAFF_LOGIN = "/unlock"
MEMBER_LOGIN = "/login"
AUDITOR_HOME = "/audit"


# The kernel monitor strip's builder, shown in every staff session's header: ui/views/admin.py
# puts it here when the screens load (the shell imports no screen module).
STRIP: list[Callable[[SessionView], ft.Control]] = []


def _any_event(event: Event) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Screen:
    route: str
    audience: str  # STAFF | MEMBER | PUBLIC
    title_key: str  # catalogue key of the screen's title
    build: Callable[[SessionView], Awaitable[ft.Control]]
    watches: Callable[[Event], bool] = _any_event  # which committed events rebuild it
    # True: on a member's session, only events naming that member (Event.members) rebuild
    # it, so one member's transfer does not redraw every other phone's wallet.
    mine: bool = False


@dataclass(slots=True)
class AppContext:
    """What every session of one serving node shares."""

    backend: Backend
    screens: dict[str, Screen]
    auth: Any = None  # ui.auth.Auth once a serve runs the app; sessions log in through it
    app_port: int = 0
    allow_remote_staff: bool = False
    listen: str = ""  # the address the app listens on ("" or 0.0.0.0: every interface)
    sessions: dict[str, SessionView] = field(default_factory=dict)  # Flet session id -> view
    signer: Any = None  # ui.signer.SignerDesk: tickets for the member's signing page
    hq_db: str = ""  # the head-office database /hq reads (serve --hq-db); "": <data>/hq.duckdb


def home_route(who: Who, *, local: bool) -> str:
    if who.is_auditor:  # an auditor's device audits exports (ui/views/auditor.py)
        return AUDITOR_HOME
    if who.is_staff:
        return STAFF_HOME
    if who.is_member:
        return MEMBER_HOME
    return STAFF_LOGIN if local else MEMBER_LOGIN


def parse_location(route: str) -> tuple[str, dict[str, str]]:
    """("/meeting", {"group": "G1"}) from "/meeting?group=G1"; "/" for an empty route."""
    parts = urlsplit(route or "/")
    return parts.path or "/", dict(parse_qsl(parts.query))


class SessionView:
    """One browser session: who it is, where it is, and what it shows."""

    def __init__(self, ctx: AppContext, page: ft.Page, *, local: bool) -> None:
        self.ctx = ctx
        self.page = page
        self.local = local  # the browser runs on this node's own machine
        self.who: Who = GUEST_WHO
        self.token = ""  # the auth session's token, once logged in
        self.lang = "en"
        self.route = "/"
        self.params: dict[str, str] = {}
        self.screen: Screen | None = None
        self.banner = ft.Text("", key="banner-text")
        self.banner_box = ft.Container(
            content=ft.Semantics(content=self.banner, identifier="banner-text", live_region=True),
            visible=False,
            padding=12,
            bgcolor=ft.Colors.ERROR_CONTAINER,
            border_radius=8,
        )
        self.body = ft.Column(expand=True, scroll=ft.ScrollMode.AUTO)
        self.status = ft.Text("", key="network-status", size=12)
        self.header = ft.Row(wrap=True, alignment=ft.MainAxisAlignment.SPACE_BETWEEN)
        self.branch_name = ""
        self.device_role = ""  # this node's role in the branch, read when the session opens
        self._stop_listening: Callable[[], None] | None = None
        self._idle: asyncio.Task[None] | None = None

    # --- for screens ------------------------------------------------------------------------

    @property
    def backend(self) -> Backend:
        return self.ctx.backend

    def t(self, key: str, **kw: Any) -> str:
        return i18n.t(self.lang, key, **kw)

    def money(self, paise: int) -> str:
        return fmt.rupees(paise)

    async def read(self, fn: Callable[[Reading], T]) -> T:
        return await self.backend.read(fn)

    async def submit(
        self, kind: str, body: dict[str, Any], cmd_id: str | None = None
    ) -> Receipt | None:
        """Write for this session's person; a refusal goes on the banner in words (None)."""
        if not self.touch():
            await self.expired()
            return None
        self.status.value = self.t("net.sending")
        self._update()
        try:
            receipt = await self.backend.submit(self.who, kind, body, cmd_id)
        except ChitError as exc:
            self.status.value = ""
            self.refuse(exc.code)
            return None
        if receipt.status != "applied":
            self.status.value = ""
            self.refuse(receipt.code)
            return None
        # Said in words (UX.md rule 5): the entry is committed on this node's disk.
        self.status.value = self.t("net.saved_here" if self.local else "net.saved")
        self.clear_banner()
        return receipt

    def refuse(self, code: str) -> None:
        """Show why, in the session's language, from the error's stable code."""
        self.banner.value = i18n.error_text(self.lang, code)
        self.banner_box.visible = True
        self._update()

    def clear_banner(self) -> None:
        self.banner_box.visible = False

    def touch(self) -> bool:
        """Keep the login alive; False (and back to the login) if it has expired."""
        auth = self.ctx.auth
        if auth is None or not self.token:
            return True
        if auth.resolve(self.token) is None:
            self.who, self.token = GUEST_WHO, ""
            return False
        auth.touch(self.token)
        return True

    async def login(self, who: Who, token: str) -> None:
        if who.is_staff:  # what the device may write is what its staff session may see
            who = replace(who, device_role=self.device_role)
        self.who, self.token = who, token
        await self.go(home_route(who, local=self.local))

    async def expired(self) -> None:
        """The login ran out (idle, or its lifetime): back to the door, saying why."""
        self.who, self.token = GUEST_WHO, ""
        await self.go(home_route(self.who, local=self.local))
        self.refuse("session_expired")

    async def logout(self) -> None:
        if self.ctx.auth is not None and self.token:
            self.ctx.auth.logout(self.token)
        self.who, self.token = GUEST_WHO, ""
        await self.go(home_route(self.who, local=self.local))

    async def go(self, route: str, **params: str) -> None:
        """Show `route`'s screen (or the login its audience needs) with `params`."""
        path, query = parse_location(route)
        self.route, self.params = path, {**query, **params}
        if not self.touch():
            path = home_route(self.who, local=self.local)
        screen = self.ctx.screens.get(path) or self.ctx.screens.get(
            home_route(self.who, local=self.local)
        )
        if screen is not None and not self._may_see(screen):
            want = MEMBER_LOGIN if screen.audience == MEMBER else STAFF_LOGIN
            if self.who.is_staff:  # unlocked, but this device's role does not open it
                want = STAFF_HOME
            screen = self.ctx.screens.get(want)
        self.screen = screen
        self.clear_banner()
        await self.rebuild()

    def _may_see(self, screen: Screen) -> bool:
        if screen.audience == PUBLIC:
            return True
        if screen.audience == STAFF:
            return self.who.is_staff
        if screen.audience == ADMIN:
            return self.who.is_admin
        return self.who.is_member

    async def rebuild(self, *, header: bool = True) -> None:
        """Build the current screen again from the log, and send it."""
        if header:  # a live refresh keeps it: who, language and theme have not changed
            self.header.controls = self._header_controls()
        if self.screen is None:
            self.body.controls = [ft.Text(self.t("app.no_screen"))]
        else:
            try:
                self.body.controls = [await self.screen.build(self)]
            except ChitError as exc:
                self.body.controls = []
                self.refuse(exc.code)
            except Exception:  # a screen's bug: say so in words, keep the session alive
                log.exception("screen %s failed", self.screen.route)
                self.body.controls = []
                self.refuse("app_screen_failed")
        self._update()

    def push(self) -> None:
        """For a screen's handler that shows progress while it works: send what changed so
        far. Unlike `page.update()`, Flet still sends the rest when the handler ends."""
        self._update()

    def _update(self) -> None:
        """Send what changed now, and still let Flet send the rest when the handler ends.

        Flet 1.0.5 skips its update at the end of an event handler once the handler has
        called `update()` itself: a handler that submits (the shell says "Sending…" here)
        and then changes a control would leave that change unsent. This push does not
        count as the handler's own, as Flet does for its internal service updates."""
        was_called = flet_context.was_update_called()
        try:
            with contextlib.suppress(Exception):  # the browser may have gone
                self.page.update()
        finally:
            if not was_called:
                flet_context.reset_update_called()  # type: ignore[no-untyped-call]

    # --- live -------------------------------------------------------------------------------

    async def on_events(self, events: Sequence[Event]) -> None:
        screen = self.screen
        if screen is None or not any(screen.watches(e) and self._concerns(e) for e in events):
            return
        await self.rebuild(header=False)  # a new header each bid cost every session ~2 ms

    def _concerns(self, event: Event) -> bool:
        screen = self.screen
        if screen is None or not screen.mine or not self.who.is_member:
            return True
        return self.who.member_id in event.members

    def start(self) -> None:
        self._stop_listening = self.backend.listen(self.on_events)
        if self.ctx.auth is not None:
            self._idle = asyncio.get_running_loop().create_task(self._watch_idle())

    def stop(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    async def _watch_idle(self) -> None:
        """Log out on idle (UX.md rule 10: phones are shared): a login that expired while
        nobody touched the screen goes back to the door without waiting for a tap. Runs
        while the session lives; each round is one dictionary lookup."""
        while True:
            await asyncio.sleep(limits.IDLE_CHECK_S)
            await self.check_idle()

    async def check_idle(self) -> None:
        if self.token and self.ctx.auth.resolve(self.token) is None:
            await self.expired()

    # --- the frame --------------------------------------------------------------------------

    def _header_controls(self) -> list[ft.Control]:
        """Where am I, who am I, and the ways out: the branch, the person, the theme,
        the staff's places, log out."""
        who = self.who.name or (self.t("header.staff") if self.who.is_staff else "")
        left: list[ft.Control] = [
            ft.Semantics(
                content=ft.Text(self.branch_name, size=16, weight=ft.FontWeight.BOLD),
                identifier="header-branch",
            ),
        ]
        if who:
            left.append(ft.Semantics(content=ft.Text(who, size=14), identifier="header-who"))
        right: list[ft.Control] = [
            ft.IconButton(
                icon=ft.Icons.BRIGHTNESS_6,
                tooltip=self.t("header.theme"),
                on_click=self._toggle_theme,
            )
        ]
        if self.who.is_staff:
            places: tuple[tuple[str, str], ...] = (
                (STAFF_HOME, "nav.home"),
                ("/phones", "phones.title"),
                ("/kyc", "office.nav"),  # the back office (ui/views/office.py)
                (AUDITOR_HOME, "auditor.nav"),  # an export's audit (ui/views/auditor.py)
                ("/reports", "reports.nav"),  # reports to print (ui/views/reports.py)
            )
            if self.who.is_admin:  # the admin's screens (ui/views/admin.py)
                places += (("/admin", "admin.nav"), ("/hq", "hq.nav"))  # hq: ui/views/hq.py
            for route, key in places:
                right.append(
                    ft.TextButton(content=self.t(key), on_click=self._going(route), height=48)
                )
        if self.token or self.who.role != GUEST_WHO.role:
            right.append(
                ft.Semantics(
                    content=ft.TextButton(
                        content=self.t("action.log_out"), on_click=self.logout, height=48
                    ),
                    identifier="logout",
                )
            )
        frame: list[ft.Control] = [ft.Row(left, wrap=True), ft.Row(right, wrap=True)]
        if self.who.is_staff:  # the kernel monitor strip (ui/views/admin.py)
            frame += [build(self) for build in STRIP]
        return frame

    def _going(self, route: str) -> Callable[[], Awaitable[None]]:
        async def going() -> None:
            await self.go(route)

        return going

    def _toggle_theme(self) -> None:
        dark = self.page.theme_mode == ft.ThemeMode.DARK
        self.page.theme_mode = ft.ThemeMode.LIGHT if dark else ft.ThemeMode.DARK

    def layout(self) -> ft.Control:
        return ft.Column(
            [
                self.header,
                self.banner_box,
                ft.Semantics(content=self.status, identifier="network-status"),
                self.body,
            ],
            expand=True,
        )


def screens_of(modules: Sequence[Sequence[Screen]]) -> dict[str, Screen]:
    """The route table; one route registered twice is a bug."""
    table: dict[str, Screen] = {}
    for screens in modules:
        for screen in screens:
            if screen.route in table:
                raise AssertionError(f"route registered twice: {screen.route}")
            table[screen.route] = screen
    return table
