"""The live auction: the foreman's desk on the laptop ("/auction") and a member's room on a
phone ("/room").

Thin: the values come from ui/vm/auction.py, the judgement from the kernel. Bids come from
step buttons only (UX.md rule 6); a member confirms a bid on a card that shows what they
would take home, and each confirmation carries its own command id, so a second press or
a resend writes nothing more (rule 5). The countdown is the node's (`ends_ms` from the
opening entry): a per-session task ticks the text once a second while the screen shows,
and stops when the screen goes, the time is up or the session ends (bounded by
COUNTDOWN_TICKS_MAX). Bids from phones, from the laptop or from a peer reach the desk
through the shell's live rebuild (`watches`) and the rooms through one listener that
updates only what a bid changes (`_watch_bids`); a rebuild is merged into the controls a
browser already has (`merge`), so a bid sends a few changed texts, not a new tree.

Identifiers (ft.Semantics) read by tests: auction-* on the desk, room-* on the phone; the
buttons have keys of the same names (auction-up, room-bid, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import secrets
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

from chitnode.errors import ChitError
from chitnode.log.statement import statement_for
from chitnode.services.events import Event
from ui import fmt, limits, meeting_desk, theme
from ui.backend import Reading
from ui.gate import check
from ui.shell import MEMBER, MEMBER_HOME, STAFF, Screen, SessionView
from ui.views import member_keys
from ui.vm import auction as vm

DESK_ROUTE = "/auction"
ROOM_ROUTE = "/room"
MEETING_ROUTE = "/meeting"
SETTLEMENT_STEP = "settlement"
NONCE_BYTES = 8  # a confirmation's random part of its command id
MERGE_SKIP = frozenset({"parent", "page", "key"})  # Flet's links, and identity
LIVE_KEY = "room-live"  # the room's Column a bid updates in place
COUNTDOWN_MARK = "countdown"  # the countdown Text's `data`: the ticker finds it after a merge


@dataclass(slots=True)
class _Pad:
    """What one session has chosen on the screen, kept across live rebuilds."""

    draw: tuple[str, int] = ("", 0)  # (group, month) the choices belong to
    proposed: int | None = None  # the discount the step buttons have reached
    ticket: int = 0  # the desk: the ticket a member present bids with
    confirming: str = ""  # the room: the open confirmation's nonce ("" when none)
    confirming_paise: int = 0  # the discount that confirmation is for
    saved: bool = False  # the room: the last confirmed bid was written
    countdown: ft.Text | None = None
    ticker: asyncio.Task[None] | None = None
    shown: ft.Control | None = None  # the screen's controls as last sent: updated in place
    room: vm.Room | None = None  # the room as last shown (a bid updates it without a re-read)
    live: ft.Column | None = None  # the room's part a bid changes (best, standing, bids, pad)
    lines: dict[str, ft.Text] = dataclasses.field(default_factory=dict)  # bid lines made
    plan: tuple[bool, int] = (False, 0)  # the countdown this build asks for: (running, ms left)


_PADS: weakref.WeakKeyDictionary[SessionView, _Pad] = weakref.WeakKeyDictionary()
# Bids the desk sent to members' phones to sign, running in the phones' sessions: held
# until done (a task nobody holds may be collected mid-way).
_ON_PHONES: set[asyncio.Task[Any]] = set()


def _pad(view: SessionView, group_id: str, month: int) -> _Pad:
    pad = _PADS.get(view)
    if pad is None:
        pad = _PADS[view] = _Pad()
    if pad.draw != (group_id, month):  # another draw: start afresh
        _stop_ticker(pad)
        _PADS[view] = pad = _Pad(draw=(group_id, month))
    return pad


def _text(value: str, ident: str, **style: Any) -> ft.Control:
    return ft.Semantics(content=ft.Text(value, **style), identifier=ident)


def _button(label: str, key: str, on_click: Callable[..., Any], *, primary: bool = False) -> Any:
    button = theme.action_button(label, on_click, primary=primary)
    button.key = key
    return button


# --- the countdown ---------------------------------------------------------------------------


def _stop_ticker(pad: _Pad) -> None:
    if pad.ticker is not None and not pad.ticker.done():
        pad.ticker.cancel()
    pad.ticker = None


def _start_ticker(view: SessionView, pad: _Pad, text: ft.Text, remaining_ms: int) -> None:
    """Tick `text` once a second from the node's remaining time, while it is on screen."""
    _stop_ticker(pad)
    pad.countdown = text
    if remaining_ms <= 0:
        return
    loop = asyncio.get_running_loop()
    started = loop.time()
    route = view.screen.route if view.screen else ""

    def showing() -> bool:
        alive = view in view.ctx.sessions.values()
        here = view.screen is not None and view.screen.route == route
        return alive and here and pad.countdown is text

    async def tick() -> None:
        for _ in range(limits.COUNTDOWN_TICKS_MAX):
            await asyncio.sleep(limits.COUNTDOWN_TICK_S)
            if not showing():
                return
            left = remaining_ms - int((loop.time() - started) * 1000)
            text.value = fmt.countdown(left)
            with contextlib.suppress(Exception):  # the browser may have gone
                text.update()  # this one text: the rest of the page is unchanged
            if left <= 0:  # time is up: the screen shows what comes next (close, result)
                pad.ticker = None
                await view.rebuild()
                return

    pad.ticker = loop.create_task(tick())


def _countdown(view: SessionView, pad: _Pad, ident: str, open_now: bool, left: int) -> ft.Control:
    text = ft.Text(fmt.countdown(left), size=theme.BIG_NUMBER_SIZE, weight=ft.FontWeight.BOLD)
    text.data = COUNTDOWN_MARK
    pad.plan = (open_now, left)
    label = ft.Text(view.t("auction.countdown"), size=theme.BIG_LABEL_SIZE)
    return ft.Column([label, ft.Semantics(content=text, identifier=ident)], spacing=0, tight=True)


# --- pieces both screens show ----------------------------------------------------------------


def _rules_card(view: SessionView, rules: vm.Rules, prefix: str) -> ft.Control:
    rows = [
        (view.t("auction.min"), view.money(rules.min_paise), f"{prefix}-rules-min"),
        (view.t("auction.max"), view.money(rules.max_paise), f"{prefix}-rules-max"),
        (view.t("auction.increment"), view.money(rules.increment_paise), f"{prefix}-rules-step"),
    ]
    lines: list[ft.Control] = [ft.Text(view.t("auction.rules"), weight=ft.FontWeight.BOLD)]
    lines += [_text(f"{label}: {value}", ident) for label, value, ident in rows]
    return ft.Card(content=ft.Container(ft.Column(lines, tight=True), padding=theme.GAP_PX * 2))


def _status_word(view: SessionView, status: str, bidding: bool, left: int) -> str:
    if status == vm.OPEN and not bidding:
        return view.t("auction.no_bidding")
    if status == vm.OPEN and left <= 0:
        return view.t("auction.status_ended")
    return view.t(f"auction.status_{status}")


def _best(view: SessionView, best: int | None, ident: str) -> ft.Control:
    value = view.money(best) if best is not None else view.t("auction.no_bids")
    return theme.big_number(view.t("auction.best"), value, identifier=ident)


def _bid_lines(
    view: SessionView, pad: _Pad, bids: tuple[vm.BidLine, ...], ident: str
) -> ft.Control:
    """Newest first, each under its alias. A bid's line never changes, so each session
    makes it once (`pad.lines`) and a new bid costs one new Text, not the whole list."""
    lines: list[ft.Control] = []
    # A phone shows the newest bids only: every bid is diffed and sent to every phone, so a
    # list that grew with the auction made each later bid slower to reach them all (the
    # laptop, one session, keeps the whole list for the table).
    shown = bids[-limits.ROOM_BID_LINES_MAX :] if ident.startswith("room") else bids
    first = len(bids) - len(shown)
    for number, b in reversed(list(enumerate(shown, start=first))):
        key = f"bid-{number}"  # bids are only ever added: a line keeps its number
        said = view.t("auction.bid_line", alias=b.alias, discount=view.money(b.discount_paise))
        line = pad.lines.get(key)
        if line is None or line.value != said:
            weight = ft.FontWeight.BOLD if b.mine else None
            line = pad.lines[key] = ft.Text(said, weight=weight, key=key)
        lines.append(line)
    if not lines:
        lines = [ft.Text(view.t("auction.no_bids"))]
    if first:
        lines.append(ft.Text(view.t("auction.earlier_bids", count=first), key="bids-earlier"))
    return ft.Semantics(content=ft.Column(lines, tight=True), identifier=ident)


def _result(view: SessionView, result: vm.Result, prefix: str) -> list[ft.Control]:
    key = "auction.result_lot" if result.by_lot else "auction.result"
    said = view.t(key, alias=result.winner_alias, discount=view.money(result.discount_paise))
    return [
        _text(said, f"{prefix}-result", size=20, weight=ft.FontWeight.BOLD),
        _text(f"{view.t('auction.prize')}: {view.money(result.prize_paise)}", f"{prefix}-prize"),
    ]


def _steps(
    view: SessionView,
    pad: _Pad,
    rules: vm.Rules,
    best: int | None,
    prefix: str,
) -> tuple[int, ft.Control]:
    """The proposal and its −/+ buttons (UX.md rule 6: no free text)."""
    proposed = vm.step(rules, best, pad.proposed, 0)
    if pad.confirming and proposed != pad.confirming_paise:
        pad.confirming = ""  # a new best moved the bid: confirm the new amount afresh
    pad.proposed = proposed
    amount = view.money(rules.step_paise)

    def move(steps: int) -> Callable[[], Awaitable[None]]:
        async def moved() -> None:
            pad.proposed = vm.step(rules, best, pad.proposed, steps)
            pad.confirming, pad.saved = "", False
            await view.rebuild()

        return moved

    row = ft.Row(
        [
            _button(view.t("auction.step_down", amount=amount), f"{prefix}-down", move(-1)),
            _text(
                view.t("auction.proposed", discount=view.money(proposed)),
                f"{prefix}-proposed",
                size=20,
                weight=ft.FontWeight.BOLD,
            ),
            _button(view.t("auction.step_up", amount=amount), f"{prefix}-up", move(1)),
        ],
        wrap=True,
        spacing=theme.GAP_PX,
    )
    return proposed, row


def _params(view: SessionView) -> tuple[str, str]:
    return view.params.get("group", ""), view.params.get("month", "")


# --- updating in place ------------------------------------------------------------------------


async def _in_place(
    view: SessionView, tree: Callable[[SessionView], Awaitable[tuple[_Pad, ft.Control]]]
) -> ft.Control:
    """Build the screen afresh, then pour it into the controls this session already shows.

    A bid rebuilds every open room; sending each browser a whole new tree made Flet diff
    and serialise every control of it (bench/bench_auction_fanout.py: most of a bid's
    fan-out time). Kept controls with new values diff to a few changed texts."""
    pad, fresh = await tree(view)
    on_screen = pad.shown is not None and any(c is pad.shown for c in view.body.controls)
    shown = merge(pad.shown, fresh) if on_screen else fresh  # back from elsewhere: afresh
    pad.shown = shown
    running, left = pad.plan
    text = _find_countdown(shown)
    if running and text is not None:  # (re)anchored on the node's fresh reading
        _start_ticker(view, pad, text, left)
    else:
        _stop_ticker(pad)
    return shown


def _find_countdown(root: Any) -> ft.Text | None:
    for control in _controls_under(root):
        if isinstance(control, ft.Text) and control.data == COUNTDOWN_MARK:
            return control
    return None


def _children(control: Any) -> list[Any]:
    out: list[Any] = []
    for name in ("content", "controls"):
        value = getattr(control, name, None)
        if isinstance(value, ft.BaseControl):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, ft.BaseControl))
    return out


def _controls_under(root: Any) -> list[Any]:
    found: list[Any] = []
    todo = [root]
    while todo and len(found) < limits.MERGE_CONTROLS_MAX:
        control = todo.pop()
        found.append(control)
        todo.extend(_children(control))
    return found


def _set_fields(control: Any) -> set[str]:
    """The fields a control holds other than their defaults: Flet keeps its properties
    sparse in `_values`, and children and `data` as plain attributes."""
    plain = {name for name in vars(control) if not name.startswith("_")}
    return plain | set(getattr(control, "_values", {}))


def _merge_list(before: list[Any], after: list[Any], depth: int) -> list[Any]:
    """Children matched by key when every new one has a key (a bid list grows at the top:
    the old lines stay as they are), else by position."""
    keys = [getattr(c, "key", None) for c in after]
    if after and all(k is not None for k in keys):
        old_by_key = {getattr(c, "key", None): c for c in before}
        return [
            merge(old_by_key[k], n, depth) if k in old_by_key else n
            for k, n in zip(keys, after, strict=True)
        ]
    return [merge(o, n, depth) for o, n in zip(before, after, strict=False)]


def merge(old: Any, new: Any, depth: int = 0) -> Any:
    """`new`'s values set on `old` where both are the same kind of control in the same
    place (and key), recursively through content and lists of controls; `new` itself
    where they differ. Returns the control to show."""
    same = type(old) is type(new) and isinstance(old, ft.BaseControl)
    if not same or getattr(old, "key", None) != getattr(new, "key", None):
        return new
    if hasattr(old, "_frozen"):  # Flet refuses to change a frozen control: replace it
        return new
    if depth > limits.MERGE_DEPTH_MAX:
        return new
    for name in _set_fields(old) | _set_fields(new):
        if name in MERGE_SKIP:
            continue
        value, before = getattr(new, name), getattr(old, name)
        if isinstance(value, ft.BaseControl):
            value = merge(before, value, depth + 1)
            if value is not before:
                setattr(old, name, value)
        elif isinstance(value, list) and isinstance(before, list):
            kept = _merge_list(before, value, depth + 1)
            value = kept + value[len(kept) :]
            moved = any(a is not b for a, b in zip(kept, before, strict=False))
            if moved or len(value) != len(before):
                setattr(old, name, value)
        elif value is not before and value != before:
            setattr(old, name, value)
    return old


# --- "/auction": the foreman's desk ----------------------------------------------------------


async def build_desk(view: SessionView) -> ft.Control:
    return await _in_place(view, _desk_tree)


async def _desk_tree(view: SessionView) -> tuple[_Pad, ft.Control]:
    group_id, month = _params(view)
    desk = await view.read(lambda r: vm.desk(r, group_id, month or None))
    pad = _pad(view, desk.group_id, desk.month)
    parts: list[ft.Control] = [
        _text(view.t("auction.title"), "auction-title", size=24, weight=ft.FontWeight.BOLD),
        _text(
            view.t("auction.group_month", group=desk.group_name, month=desk.month),
            "auction-group",
        ),
        _text(_status_word(view, desk.status, desk.bidding, desk.remaining_ms), "auction-status"),
    ]
    if desk.status == vm.NONE:
        pad.plan = (False, 0)
        return pad, ft.Column(parts)
    parts.append(_rules_card(view, desk.rules, "auction"))
    figures: list[ft.Control] = [
        _countdown(view, pad, "auction-countdown", desk.can_bid, desk.remaining_ms),
        _best(view, desk.best_paise, "auction-best"),
    ]
    parts.append(ft.Row(figures, wrap=True, spacing=theme.GAP_PX * 4))
    parts.append(_bid_lines(view, pad, desk.bids, "auction-bids"))
    if desk.result is not None:
        parts += _desk_result(view, desk)
    elif desk.status == vm.DRAWING:
        parts += _desk_reveal(view, desk)
    else:
        parts += _desk_bidders(view, pad, desk)
        if desk.can_bid and pad.ticket:
            parts += await _desk_bid_pad(view, pad, desk)
        if desk.can_close:
            parts.append(_desk_close(view, desk))
    parts.append(_going(view, "auction.back_to_meeting", "auction-back", MEETING_ROUTE, desk))
    return pad, ft.Column(parts, spacing=theme.GAP_PX * 2)


def _going(view: SessionView, key: str, ident: str, route: str, draw: Any) -> ft.Control:
    """A way out of the auction screens: the laptop back to its meeting's auction step,
    a phone back to the member's home (the room has no bottom bar: bids need the room)."""
    params = {"group": draw.group_id, "month": str(draw.month)}
    if route == MEETING_ROUTE:
        params["step"] = "auction"
    else:
        params = {}

    async def go() -> None:
        await view.go(route, **params)

    return ft.Semantics(content=_button(view.t(key), ident, go), identifier=ident)


def _desk_bidders(view: SessionView, pad: _Pad, desk: vm.Desk) -> list[ft.Control]:
    """The tickets in the draw; one present and in good standing can be picked to bid for."""
    rows: list[ft.Control] = [ft.Text(view.t("auction.eligible"), weight=ft.FontWeight.BOLD)]
    for b in desk.bidders:
        line = view.t("auction.ticket_line", ticket=b.ticket, name=b.name, alias=b.alias)
        notes = []
        if not b.present:
            notes.append(view.t("auction.absent"))
        if b.block:
            from ui import i18n

            notes.append(view.t("auction.may_not_bid", why=i18n.error_text(view.lang, b.block)))
        if b.keyed:
            notes.append(view.t("auction.keyed"))
        said = " · ".join([line, *notes])
        may = desk.can_bid and b.present and not b.block

        def pick(ticket: int) -> Callable[[], Awaitable[None]]:
            async def picked() -> None:
                pad.ticket, pad.proposed = ticket, None
                await view.rebuild()

            return picked

        control: ft.Control = ft.Text(said)
        if may:
            control = ft.TextButton(
                content=said,
                key=f"auction-pick-{b.ticket}",
                on_click=pick(b.ticket),
                height=theme.TOUCH_TARGET_PX,
            )
        rows.append(ft.Semantics(content=control, identifier=f"auction-ticket-{b.ticket}"))
    if desk.can_bid:
        rows.insert(1, ft.Text(view.t("auction.choose")))
    return [ft.Column(rows, tight=True)]


async def _desk_bid_pad(view: SessionView, pad: _Pad, desk: vm.Desk) -> list[ft.Control]:
    bidder = next((b for b in desk.bidders if b.ticket == pad.ticket), None)
    if bidder is None:
        pad.ticket = 0
        return []
    proposed, steps = _steps(view, pad, desk.rules, desk.best_paise, "auction")
    look = await view.read(lambda r: vm.preview(r, desk.group_id, desk.month, proposed))
    nonce = secrets.token_hex(NONCE_BYTES)  # one bid per pad as shown: a double click is one

    async def place() -> None:
        kind, body = vm.bid_command(
            desk.group_id, desk.month, bidder.ticket, proposed, actor=bidder.member_id
        )
        cmd_id = vm.bid_cmd_id(bidder.member_id, desk.group_id, desk.month, nonce)
        if bidder.keyed:  # only the member's phone can sign it: send it there
            if _to_phone(view, bidder, kind, body, cmd_id):
                pad.ticket, pad.proposed = 0, None
        elif await view.submit(kind, body, cmd_id) is not None:
            pad.proposed = None
        await view.rebuild()

    return [
        _text(
            view.t(
                "auction.bidding_for", name=bidder.name, ticket=bidder.ticket, alias=bidder.alias
            ),
            "auction-bidding-for",
        ),
        steps,
        _text(view.t("auction.take_home", prize=view.money(look.prize_paise)), "auction-take-home"),
        _button(view.t("auction.place_bid"), "auction-place", place, primary=True),
    ]


def _say(view: SessionView, words: str) -> None:
    """A sentence on the session's banner (not a refusal: what happens next)."""
    view.banner.value = words
    view.banner_box.visible = True


def _phone_of(view: SessionView, member_id: str) -> SessionView | None:
    """The member's newest phone session on this node, if one is open (the laptop's own
    sessions are staff: a member's session is their phone, logged in with their PIN)."""
    phones = [
        v for v in view.ctx.sessions.values() if v.who.is_member and v.who.member_id == member_id
    ]
    return phones[-1] if phones else None


def _to_phone(
    view: SessionView, bidder: vm.Bidder, kind: str, body: dict[str, Any], cmd_id: str
) -> bool:
    """A bid for a member with a signing key: the laptop cannot write it (countersig_missing),
    so it goes to the member's phone, which shows "Sign on your phone" with the bid's exact
    statement, as for a bid from the member's own room (member_keys.submit_consent, in the
    phone's session: the phone's session writes it once signed). With no phone session
    open, the desk says in words that this member bids from their own phone."""
    phone = _phone_of(view, bidder.member_id)
    if phone is None:
        _say(view, view.t("auction.bids_on_phone", name=bidder.name))
        return False
    task = asyncio.get_running_loop().create_task(
        member_keys.submit_consent(phone, kind, body, cmd_id)
    )
    _ON_PHONES.add(task)
    task.add_done_callback(_ON_PHONES.discard)
    _say(view, view.t("auction.sent_to_phone", name=bidder.name))
    return True


def _desk_close(view: SessionView, desk: vm.Desk) -> ft.Control:
    async def close() -> None:
        kind, body = vm.close_command(desk.group_id, desk.month)
        if await view.submit(kind, body) is None:
            return
        after = await view.read(lambda r: vm.desk(r, desk.group_id, desk.month))
        if after.status == vm.DRAWING:
            await _reveal(view, desk)
        await view.rebuild()

    hint = view.t("auction.waiting_contributions") if desk.waiting == "contributions" else ""
    controls: list[ft.Control] = [
        _button(view.t("auction.close"), "auction-close", close, primary=True)
    ]
    if hint:
        controls.insert(0, _text(hint, "auction-close-hint"))
    return ft.Column(controls, tight=True)


def _held_secret(reading: Reading, group_id: str, month: int) -> str | None:
    """The lot secret this laptop's meeting desk committed to (ui/meeting_desk.py), if any."""
    return meeting_desk.lot_secret(reading.folder, group_id, month)


def _forget_secret(reading: Reading, group_id: str, month: int) -> None:
    meeting_desk.forget_lot(reading.folder, group_id, month)


async def _reveal(view: SessionView, desk: vm.Desk) -> bool:
    """Reveal the desk's secret: the draw and the settlement follow in the kernel. Once in
    the log, the desk's copy is forgotten."""
    secret = await view.read(lambda r: _held_secret(r, desk.group_id, desk.month))
    if not secret:  # held by the laptop that opened the draw: say where to reveal it
        _say(view, view.t("auction.no_secret"))
        return False
    kind, body = vm.reveal_command(desk.group_id, desk.month, secret)
    if await view.submit(kind, body) is None:
        return False
    await view.read(lambda r: _forget_secret(r, desk.group_id, desk.month))
    return True


def _desk_reveal(view: SessionView, desk: vm.Desk) -> list[ft.Control]:
    async def reveal() -> None:
        await _reveal(view, desk)
        await view.rebuild()

    return [
        _text(view.t("auction.no_secret"), "auction-reveal-hint"),
        _button(view.t("auction.reveal"), "auction-reveal", reveal, primary=True),
    ]


def _desk_result(view: SessionView, desk: vm.Desk) -> list[ft.Control]:
    assert desk.result is not None
    result = desk.result

    async def settlement() -> None:
        await view.go(
            MEETING_ROUTE, group=desk.group_id, month=str(desk.month), step=SETTLEMENT_STEP
        )

    return [
        *_result(view, result, "auction"),
        _text(
            f"{view.t('auction.commission')}: {view.money(result.commission_paise)}",
            "auction-commission",
        ),
        _text(
            f"{view.t('auction.share')}: {view.money(result.per_ticket_dividend_paise)}",
            "auction-share",
        ),
        _text(
            f"{view.t('auction.next_instalment')}: {view.money(result.next_instalment_paise)}",
            "auction-next",
        ),
        _button(view.t("auction.to_settlement"), "auction-settlement", settlement, primary=True),
    ]


# --- "/room": a member's phone ---------------------------------------------------------------


async def build_room(view: SessionView) -> ft.Control:
    shown = await _in_place(view, _room_tree)
    pad = _PADS.get(view)
    if pad is not None:
        live = [c for c in _controls_under(shown) if getattr(c, "key", None) == LIVE_KEY]
        pad.live = live[0] if live and isinstance(live[0], ft.Column) else None
    _watch_bids(view)
    return shown


async def _room_tree(view: SessionView) -> tuple[_Pad, ft.Control]:
    group_id, month = _params(view)
    member_id = view.who.member_id
    room = await view.read(lambda r: vm.room(r, member_id, group_id, month or None))
    pad = _pad(view, room.group_id, room.month)
    parts: list[ft.Control] = [
        _text(view.t("auction.room_title"), "room-title", size=24, weight=ft.FontWeight.BOLD),
        _text(view.t("auction.group_month", group=room.group_name, month=room.month), "room-group"),
        _text(_status_word(view, room.status, room.bidding, room.remaining_ms), "room-status"),
    ]
    if room.status == vm.NONE:
        pad.plan = (False, 0)
        parts.append(_going(view, "auction.back_home", "room-home", MEMBER_HOME, room))
        return pad, ft.Column(parts)
    if room.mine:
        parts.append(_text(view.t("auction.my_alias", alias=room.my_alias), "room-alias"))
    rules = room.rules
    limits_said = view.t(
        "auction.my_limits",
        low=view.money(rules.min_paise),
        high=view.money(rules.max_paise),
        step=view.money(rules.increment_paise),
    )
    parts.append(_text(limits_said, "room-limits"))
    open_now = room.status == vm.OPEN and room.bidding and room.remaining_ms > 0
    parts.append(_countdown(view, pad, "room-countdown", open_now, room.remaining_ms))
    pad.room = room
    parts.append(_live_box(await _room_live(view, pad, room)))
    parts.append(_going(view, "auction.back_home", "room-home", MEMBER_HOME, room))
    return pad, ft.Column(parts, spacing=theme.GAP_PX * 2)


def _live_box(parts: list[ft.Control]) -> ft.Column:
    return ft.Column(parts, key=LIVE_KEY, spacing=theme.GAP_PX * 2)


async def _room_live(view: SessionView, pad: _Pad, room: vm.Room) -> list[ft.Control]:
    """What a bid changes on a phone: the best, leading or outbid, the bids, the pad."""
    parts: list[ft.Control] = [_best(view, room.best_paise, "room-best")]
    if room.i_lead or room.outbid:
        key = "auction.leading" if room.i_lead else "auction.outbid"
        chip = "paid" if room.i_lead else "due"
        parts.append(
            theme.status_chip(chip, lambda _status: view.t(key), identifier="room-standing")
        )
    parts.append(_bid_lines(view, pad, room.bids, "room-bids"))
    if room.result is not None:
        parts += _room_result(view, room)
    elif room.lot_share:
        parts += _room_share(view, room)
    elif room.can_bid:
        parts += await _room_bid_pad(view, pad, room)
    elif room.status == vm.OPEN and room.mine and room.bidding_ticket is None:
        from ui import i18n

        why = i18n.error_text(view.lang, room.mine[0].block)
        parts.append(_text(view.t("auction.cannot_bid", why=why), "room-cannot-bid"))
    return parts


# --- a bid reaching every phone ----------------------------------------------------------------

# One listener per Backend: a bid is read once for all the rooms showing its draw.
_FAN_OUTS: weakref.WeakKeyDictionary[Any, Callable[[], None]] = weakref.WeakKeyDictionary()


def _room_rebuilds(event: Event) -> bool:
    """The room is rebuilt by the shell for every change of its draw but a bid: bids reach
    the rooms through `_fan_out`, which updates only the part a bid changes."""
    return vm.is_draw_event(event) and event.kind != vm.BID


def _watch_bids(view: SessionView) -> None:
    backend, ctx = view.backend, view.ctx
    if backend in _FAN_OUTS:
        return

    async def arrived(events: list[Event]) -> None:
        groups = {e.group_id for e in events if e.kind == vm.BID and e.applied}
        if not groups:
            return
        showing: dict[tuple[str, int], list[tuple[SessionView, _Pad]]] = {}
        for v in list(ctx.sessions.values()):
            pad = _PADS.get(v)
            if pad is not None and pad.draw[0] in groups and _in_room(v):
                showing.setdefault(pad.draw, []).append((v, pad))
        for (group_id, month), rooms in sorted(showing.items()):  # events name no month
            bids = await backend.read(functools.partial(_bids_of, group_id, month))
            for v, pad in rooms:
                await _bids_arrived(v, pad, bids)

    _FAN_OUTS[backend] = backend.listen(arrived)


def _bids_of(group_id: str, month: int, reading: Reading) -> vm.Bids:
    return vm.bids_of(reading, group_id, month)


def _in_room(view: SessionView) -> bool:
    return view.screen is not None and view.screen.route == ROOM_ROUTE


async def _bids_arrived(view: SessionView, pad: _Pad, bids: vm.Bids) -> None:
    """New bids on one phone: only the live part is rebuilt, merged and sent; a phone with
    a confirmation open is rebuilt whole (its amount may have to be confirmed afresh)."""
    if pad.room is None or pad.live is None or pad.confirming:
        await view.rebuild(header=False)
        return
    room = vm.with_bids(pad.room, bids)
    pad.room = room
    live = merge(pad.live, _live_box(await _room_live(view, pad, room)))
    if live is not pad.live:
        await view.rebuild(header=False)
        return
    with contextlib.suppress(Exception):  # the browser may have gone
        live.update()


async def _room_bid_pad(view: SessionView, pad: _Pad, room: vm.Room) -> list[ft.Control]:
    ticket = room.bidding_ticket
    assert ticket is not None
    proposed, steps = _steps(view, pad, room.rules, room.best_paise, "room")
    parts: list[ft.Control] = [steps]
    if pad.saved:
        parts.append(_text(view.t("auction.saved"), "room-saved"))
    if not pad.confirming:

        async def ask() -> None:
            pad.confirming, pad.saved = secrets.token_hex(NONCE_BYTES), False
            pad.confirming_paise = proposed
            await view.rebuild()

        label = view.t("auction.bid", discount=view.money(proposed))
        parts.append(_button(label, "room-bid", ask, primary=True))
        return parts
    look = await view.read(lambda r: vm.preview(r, room.group_id, room.month, proposed))
    nonce = pad.confirming  # this confirmation's: a second press or a resend is the same bid
    cmd_id = vm.bid_cmd_id(room.member_id, room.group_id, room.month, nonce)

    async def confirm() -> None:
        kind, body = vm.bid_command(room.group_id, room.month, ticket.ticket, proposed)
        receipt = await member_keys.submit_consent(view, kind, body, cmd_id)
        if pad.confirming == nonce:
            pad.confirming = ""
        pad.saved = receipt is not None
        if receipt is not None:
            pad.proposed = None
        await view.rebuild()

    async def cancel() -> None:
        pad.confirming = ""
        await view.rebuild()

    said = view.t(
        "auction.confirm_body",
        discount=view.money(proposed),
        prize=view.money(look.prize_paise),
    )
    card = ft.Column(
        [
            ft.Text(view.t("auction.confirm_title"), weight=ft.FontWeight.BOLD),
            _text(said, "room-confirm-text"),
            ft.Row(
                [
                    _button(view.t("auction.confirm"), "room-confirm", confirm, primary=True),
                    _button(view.t("auction.cancel"), "room-cancel", cancel),
                ],
                wrap=True,
                spacing=theme.GAP_PX,
            ),
        ],
        tight=True,
    )
    parts.append(ft.Card(content=ft.Container(card, padding=theme.GAP_PX * 2)))
    return parts


def _room_share(view: SessionView, room: vm.Room) -> list[ft.Control]:
    """The draw by lot takes the shares of members present: a member with a signing key
    adds theirs from the phone; for one without, the foreman adds it at the table."""
    if room.lot_share == vm.SHARE_ADDED:
        return [_text(view.t("auction.share_added"), "room-share-added")]
    parts = [_text(view.t("auction.share_what"), "room-share-what")]
    if not room.keyed and room.signed_group:  # nobody may add it for them: pair first
        return [*parts, _text(view.t("auction.share_pair_first"), "room-share-pair-first")]
    if not room.keyed:
        return [*parts, _text(view.t("auction.share_at_table"), "room-share-at-table")]

    async def add() -> None:
        await add_share(view, room.group_id, room.month)
        await view.rebuild()

    return [*parts, _button(view.t("auction.share_add"), "room-share", add, primary=True)]


async def add_share(view: SessionView, group_id: str, month: int) -> bool:
    """A keyed member's share of the draw, made and signed on the phone: the node issues the
    statement with the share blank, the signing page fills in 32 bytes from the phone's
    crypto.getRandomValues and signs (ui/signer.py FILLS), and the session writes the
    completed `lot.contributed` with the phone's countersig. The node never chooses the
    bytes: the lot's holder knows its secret and could steer a share it made. False when
    refused (in words on the banner), declined or late."""
    desk = member_keys.desk_of(view)
    if desk is None:
        view.refuse("not_serving")
        return False
    mid = view.who.member_id
    branch = await view.read(lambda r: r.branch_id)
    kind, template = vm.share_template(group_id, month, mid)
    try:
        stamped = check(view.who, kind, template)
        asked = statement_for(kind, stamped, branch)
        ticket = desk.issue_signing(branch, mid, asked, fills=vm.SHARE_FIELD)
    except ChitError as exc:
        view.refuse(exc.code)
        return False
    signed = await member_keys.await_signature(view, desk, ticket, kind)
    if signed is None:
        return False
    try:
        body = vm.share_body(stamped, signed, branch)
    except ChitError as exc:
        view.refuse(exc.code)
        return False
    return await view.submit(kind, body, vm.share_cmd_id(mid, group_id, month)) is not None


def _room_result(view: SessionView, room: vm.Room) -> list[ft.Control]:
    assert room.result is not None
    parts = _result(view, room.result, "room")
    if room.i_won:
        won = view.t("auction.you_won", prize=view.money(room.result.prize_paise))
        parts.append(_text(won, "room-you-won", size=20, weight=ft.FontWeight.BOLD))
    parts += [
        _text(f"{view.t('auction.my_share')}: {view.money(room.my_share_paise)}", "room-my-share"),
        _text(
            f"{view.t('auction.my_next')}: {view.money(room.my_next_instalment_paise)}",
            "room-my-next",
        ),
    ]
    return parts


SCREENS = [
    Screen(DESK_ROUTE, STAFF, "auction.title", build_desk, vm.is_draw_event),
    Screen(ROOM_ROUTE, MEMBER, "auction.room_title", build_room, _room_rebuilds),
]
