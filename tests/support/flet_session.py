"""In-process Flet sessions over the real app (FLET.md §4): no browser, no socket.

A session here is Flet's own `Session` over a recording `Connection`, the technique
Flet's unit tests use. `open_session(ctx)` runs `ui.app.make_main(ctx)` on it, as the
websocket's REGISTER_CLIENT would, so every screen, the shell's live refresh and the
gate run for real; sessions opened over one AppContext share its PubSubHub and Backend,
so a bid from one reaches the others the way it does in `chitnode serve`.

    async with app_context(node, folder) as ctx:         # Backend.for_node + the real screens
        phone = await open_session(ctx, who=Who("member", "M1"), route="/room?group=G&month=2")
        box = find(phone.page, ident="room-best")         # by ft.Semantics identifier
        await click(phone, find(phone.page, key="room-up"))   # as the websocket dispatches it
        await settle()                                    # let live batches reach the screens
        assert text_of(box) == "..."

Every message the session would send the browser is packed with msgpack first: that
is REQUIRED, since Flet takes the snapshots its next diff compares against while it
encodes (without it, `update()` sends no patches). `handle.conn.sent` keeps them.
These are Flet 1.0.5 internals (the project pins flet[web]==1.0.5).
"""

from __future__ import annotations

import asyncio
import dataclasses
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flet as ft
import msgpack
import pytest_asyncio
from flet.messaging.connection import Connection
from flet.messaging.protocol import configure_encode_object_for_msgpack
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

from chitnode.node.node import Node
from tests.support.clock import FakeClock
from ui.backend import Backend
from ui.gate import Who
from ui.shell import AppContext, SessionView

# `settle` waits for the Backend's pump (LIVE_COALESCE_MS between a commit and the fan-out),
# then until no session has sent anything for SETTLE_QUIET_STEPS steps in a row: on a busy
# machine the fan-out takes longer, and a fixed wait made tests flaky. Bounded by SETTLE_MAX_S.
SETTLE_STEP_S = 0.02
SETTLE_QUIET_STEPS = 3
SETTLE_MAX_S = 5.0
# A control tree deeper than this is a cycle in the walk, not a screen.
WALK_DEPTH_MAX = 200


class RecordingConnection(Connection):
    """A browser that is never there: each message is packed (as the websocket would) and kept."""

    def __init__(self, hub: PubSubHub, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.pubsubhub = hub
        self.loop = loop
        self.sent: list[Any] = []  # flet.messaging.protocol.Message, in order
        self.sent_bytes = 0
        self.messages = 0  # sent so far (a subclass may keep none of them)
        _CONNECTIONS.add(self)

    def pack(self, obj: Any) -> bytes:
        packed: bytes = msgpack.packb(
            obj, default=configure_encode_object_for_msgpack(ft.BaseControl)
        )
        return packed

    def send_message(self, message: Any) -> None:
        self.sent_bytes += len(self.pack([message.action, message.body]))
        self.messages += 1
        self.sent.append(message)


_CONNECTIONS: weakref.WeakSet[RecordingConnection] = weakref.WeakSet()


def _messages_sent() -> int:
    return sum(conn.messages for conn in list(_CONNECTIONS))


@dataclass(slots=True)
class AppSessionHandle:
    """One in-process browser session of the app."""

    ctx: AppContext
    session: Session
    conn: RecordingConnection

    @property
    def page(self) -> ft.Page:
        page: ft.Page = self.session.page
        return page

    @property
    def view(self) -> SessionView:
        """The shell's SessionView for this session (who, route, params, banner)."""
        return self.ctx.sessions[self.session.id]

    @property
    def banner(self) -> str:
        """The refusal on the banner, or "" when none is shown."""
        view = self.view
        return str(view.banner.value or "") if view.banner_box.visible else ""

    async def go(self, route: str, **params: str) -> None:
        await self.view.go(route, **params)
        await settle()

    async def login(self, who: Who) -> None:
        """Log the session in as `who` without the login screen (the tests of other screens)."""
        await self.view.login(who, "")
        await settle()

    def close(self) -> None:
        """The browser went away: the app's on_close runs (stops the live listener)."""
        self.view.stop()
        self.ctx.sessions.pop(self.session.id, None)


_HUBS: dict[int, PubSubHub] = {}  # id(AppContext) -> the hub its sessions share


def hub_of(ctx: AppContext) -> PubSubHub:
    """One PubSubHub per AppContext, as flet_web keeps one per `main`. No executor: sync
    subscribers run inline on the loop."""
    hub = _HUBS.get(id(ctx))
    if hub is None:
        hub = _HUBS[id(ctx)] = PubSubHub(loop=asyncio.get_running_loop())
    return hub


async def open_session(
    ctx: AppContext,
    *,
    client_ip: str = "127.0.0.1",
    route: str = "/",
    who: Who | None = None,
    connection: type[RecordingConnection] = RecordingConnection,
) -> AppSessionHandle:
    """A new session running the real `make_main(ctx)`, opened at `route` from `client_ip`;
    logged in as `who` if given (as a login would), then shown `route` with its query."""
    from ui.app import make_main
    from ui.shell import parse_location

    conn = connection(hub_of(ctx), asyncio.get_running_loop())
    session = Session(conn)
    session.page.route = route
    session.page.client_ip = client_ip
    conn.pack(session.get_page_patch())  # what REGISTER_CLIENT sends first
    await make_main(ctx)(session.page)
    await session.after_event(session.page)  # the auto-update Flet runs after main()
    handle = AppSessionHandle(ctx, session, conn)
    if who is not None:  # logged in as `who`, then shown `route` (or who's home)
        path, query = parse_location(route)
        if path == "/":
            await handle.login(who)
        else:
            handle.view.who = who
            await handle.go(path, **query)
    await settle()
    return handle


async def click(handle: AppSessionHandle, control: ft.BaseControl, data: Any = None) -> None:
    """Click `control` the way the websocket's CONTROL_EVENT does (by its id), then settle.

    A control the session never sent the browser has no id the session knows: the
    dispatch finds nothing, exactly as a forged event from a browser would."""
    await dispatch(handle, control._i, "click", data)


async def dispatch(handle: AppSessionHandle, control_id: int, name: str, data: Any = None) -> None:
    """Any event by control id and name, as a browser (honest or not) could send it."""
    await handle.session.dispatch_event(control_id, name, data)
    await settle()


async def settle() -> None:
    """Let committed events reach every session: past the Backend's coalescing wait, until
    no session has sent its browser anything for a few steps. Bounded: SETTLE_MAX_S."""
    from ui import limits

    loop = asyncio.get_running_loop()
    await asyncio.sleep(limits.LIVE_COALESCE_MS / 1000 + SETTLE_STEP_S)
    deadline = loop.time() + SETTLE_MAX_S
    last, quiet = _messages_sent(), 0
    while quiet < SETTLE_QUIET_STEPS and loop.time() < deadline:
        await asyncio.sleep(SETTLE_STEP_S)
        now = _messages_sent()
        quiet, last = (quiet + 1 if now == last else 0), now


# --- reading the control tree ----------------------------------------------------------------


def children(control: Any) -> Iterator[ft.BaseControl]:
    """The controls directly under `control`: every field holding a control or a list of them."""
    if isinstance(control, ft.Page):
        yield from control.views
        yield from control.overlay
        return
    if not dataclasses.is_dataclass(control):
        return
    for f in dataclasses.fields(control):
        if f.name.startswith("_") or f.name in ("parent", "page"):
            continue
        value = getattr(control, f.name, None)
        if isinstance(value, ft.BaseControl):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, ft.BaseControl))


def walk(root: Any, depth: int = 0) -> Iterator[ft.BaseControl]:
    """`root` and every control under it, depth first; invisible ones included."""
    if depth > WALK_DEPTH_MAX:
        raise AssertionError("control tree deeper than WALK_DEPTH_MAX: a cycle?")
    if isinstance(root, ft.BaseControl):
        yield root
    for child in children(root):
        yield from walk(child, depth + 1)


def find_all(root: Any, *, key: str | None = None, ident: str | None = None) -> list[Any]:
    """Controls under `root` with this `key=`, or this ft.Semantics `identifier`."""
    found = []
    for control in walk(root):
        if (key is not None and _key_of(control) == key) or (
            ident is not None and getattr(control, "identifier", None) == ident
        ):
            found.append(control)
    return found


def find(root: Any, *, key: str | None = None, ident: str | None = None) -> Any:
    """The one control with this key or identifier; AssertionError when none or several."""
    found = find_all(root, key=key, ident=ident)
    if len(found) != 1:
        raise AssertionError(f"{len(found)} controls with key={key!r} ident={ident!r}")
    return found[0]


def has(root: Any, *, key: str | None = None, ident: str | None = None) -> bool:
    return bool(find_all(root, key=key, ident=ident))


def _key_of(control: Any) -> str | None:
    key = getattr(control, "key", None)
    if key is None:
        return None
    return str(getattr(key, "value", key))  # ft.ValueKey or a plain string


def text_of(control: Any) -> str:
    """What a reader sees in `control`: a Text's value, a Button's label, a TextField's
    value, or its descendants' texts joined by spaces."""
    if isinstance(control, ft.Text):
        return str(control.value or "")
    if isinstance(control, ft.TextField):
        return str(control.value or "")
    content = getattr(control, "content", None)
    if isinstance(content, str):
        return content
    parts = [text_of(child) for child in children(control)]
    return " ".join(p for p in parts if p)


def text_by(root: Any, ident: str) -> str:
    """The text inside the ft.Semantics with this identifier."""
    return text_of(find(root, ident=ident))


# --- an AppContext over a real Node ----------------------------------------------------------


@asynccontextmanager
async def app_context(node: Node, folder: Path, *, auth: Any = None) -> AsyncIterator[AppContext]:
    """The real app's context over `node`: its own node thread and event stream, every
    screen module present (ui.app.load_screens). The node is closed on exit."""
    from ui.app import load_screens

    backend = Backend.for_node(node, folder)
    ctx = AppContext(backend=backend, screens=load_screens(), auth=auth)
    try:
        yield ctx
    finally:
        for view in list(ctx.sessions.values()):
            view.stop()
        _HUBS.pop(id(ctx), None)
        await backend.aclose_node()


@pytest_asyncio.fixture
async def app_ctx(tmp_path: Path, clock: FakeClock) -> AsyncIterator[AppContext]:
    """An AppContext over a new lone root-admin node on the test's clock (closed after).
    Import it into a test module: `from tests.support.flet_session import app_ctx`;
    reach the node through `ctx.backend.nt.run(lambda node: ...)`."""
    folder = tmp_path / "node"
    node = Node.init(folder, "Test Branch", clock=clock)
    async with app_context(node, folder) as ctx:
        yield ctx
