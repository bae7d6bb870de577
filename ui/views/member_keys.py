"""Members sign for themselves (issue 15): pairing a phone's key, and consents it signs.

Flet's Python runs on the node, so a member's key lives in the signing page the node
serves (ui/signer.py, assets/signer/); these screens send the member there and hear the
answer through the node's SignerDesk (`AppContext.signer`):

- "/my-key" (member): "Pair this phone" issues an enrolment ticket and links to the page
  in pair mode, which makes the key and offers its public half (POST /signer/enrol-request).
  The screen then shows the key's fingerprint, the same letters the page shows.
- "/member-keys" (staff): keys offered and waiting, each with its fingerprint to compare
  with the member's phone; "Enrol" writes `member.key_enrolled`, "Revoke" (a lost phone)
  writes `member.key_revoked`, both as staff through the backend.
- `submit_consent` (used by the agreement, the inbox's attestation and the auction room
  instead of `view.submit`): for a member with an enrolled key it issues a signing ticket
  for the consent's exact statement (`statement_for`), shows "/sign" with a link to the
  page, waits for the desk to hear the verified signature, then submits the command with
  it as `countersig`. A member with no key submits as before (refused
  countersig_no_key in a group whose members all sign, member_keys.signed_group).

The page opens in a new tab, so the app's session (and the screen the member came from)
stays as it was; when the signature arrives the session goes back there by itself.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

from chitnode.domain import witness_kinds as wk
from chitnode.errors import ChitError, RuleViolation
from chitnode.node.node import Node, Receipt
from chitnode.services import witness as witnessing
from chitnode.services.events import Event
from ui import fmt, limits, meeting_desk, theme, witness_desk
from ui.backend import Reading
from ui.gate import check
from ui.shell import MEMBER, STAFF, Screen, SessionView
from ui.signer import ENROL, Signed, SignerDesk, Ticket
from ui.vm import member_keys as vm

MY_KEY = "/my-key"
SIGN = "/sign"
KEYS = "/member-keys"
ME = "/me"  # the member's home (ui/views/member.py)
MEETING = "/meeting"  # the foreman's meeting screen (ui/views/meeting.py): its close step
FIELD_WIDTH_PX = 320  # a 360-px phone less the page's padding, as the member screens
TITLE_SIZE = 22
SMALL_SIZE = 13
WAIT_S = limits.SIGNER_TICKET_TTL_MS / 1000  # a consent waits for the phone no longer than
# its ticket lives: after that the page's answer would be refused anyway
EXPIRED = "signer_unknown_ticket"  # the code shown when the member did not sign in time

Handler = Callable[..., Awaitable[None]]


@dataclass(slots=True)
class _Waiting:
    """A consent waiting for the member's signature: its ticket and what ends the wait."""

    ticket: Ticket
    kind: str
    done: asyncio.Future[Signed | None]
    words: tuple[str, ...] = ()  # what the signature stands for, in words, on the phone


# Per session (weak: a closed session's entry goes with it).
_PAIRING: weakref.WeakKeyDictionary[SessionView, Ticket] = weakref.WeakKeyDictionary()
_OFFERED: weakref.WeakKeyDictionary[SessionView, str] = weakref.WeakKeyDictionary()
_SIGNING: weakref.WeakKeyDictionary[SessionView, _Waiting] = weakref.WeakKeyDictionary()
_HEARING: weakref.WeakKeyDictionary[SessionView, Callable[[], None]] = weakref.WeakKeyDictionary()
_TASKS: set[asyncio.Task[None]] = set()  # rebuilds started by the desk's listener, held


def desk_of(view: SessionView) -> SignerDesk | None:
    desk = view.ctx.signer
    return desk if isinstance(desk, SignerDesk) else None


# --- small pieces -------------------------------------------------------------------------------


def text(identifier: str, value: str, **kw: Any) -> ft.Control:
    return ft.Semantics(content=ft.Text(value, **kw), identifier=identifier, value=value)


def button(identifier: str, label: str, on_click: Handler | None, *, primary: bool = False) -> Any:
    made = theme.action_button(label, on_click, primary=primary)
    made.width = FIELD_WIDTH_PX
    return ft.Semantics(content=made, identifier=identifier)


def page_link(identifier: str, label: str, url: str) -> ft.Control:
    """A button that opens the signing page in a new tab (the app's session stays); the
    Semantics value carries the URL for tests and screen readers."""
    made = ft.FilledButton(
        content=label,
        url=ft.Url(url, target=ft.UrlTarget.BLANK),
        height=theme.TOUCH_TARGET_PX,
        width=FIELD_WIDTH_PX,
    )
    return ft.Semantics(content=made, identifier=identifier, value=url)


def column(view: SessionView, title_key: str, prefix: str, body: list[ft.Control]) -> ft.Control:
    title = ft.Text(view.t(title_key), size=TITLE_SIZE, weight=ft.FontWeight.BOLD)
    head = ft.Semantics(content=title, identifier=f"{prefix}-title", header=True)
    return ft.Column([head, *body], spacing=theme.GAP_PX, width=FIELD_WIDTH_PX)


def later(view: SessionView) -> None:
    """Rebuild `view` from the desk's listener (a plain call on the loop): as a task, held
    until done. Flet sends it (rebuild calls update), as for any background change."""
    task = asyncio.get_running_loop().create_task(view.rebuild())
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


def showing(view: SessionView, route: str) -> bool:
    return (
        view.screen is not None
        and view.screen.route == route
        and view in view.ctx.sessions.values()
    )


# --- the member's key ---------------------------------------------------------------------------


async def build_my_key(view: SessionView) -> ft.Control:
    mid = view.who.member_id
    key = await view.read(lambda r: vm.my_key(r, mid))
    desk = desk_of(view)
    status = {
        vm.ACTIVE: view.t("keys.my.active", fingerprint=key.fingerprint),
        vm.REVOKED: view.t("keys.my.revoked"),
        vm.NO_KEY: view.t("keys.my.none"),
    }[key.status]
    body: list[ft.Control] = [
        text("mykey-status", status),
        text("mykey-what", view.t("keys.my.what"), size=SMALL_SIZE),
    ]
    ticket = _PAIRING.get(view)
    offered = _OFFERED.get(view, "")
    if desk is None:
        view.refuse("not_serving")
    elif offered:
        body.append(text("mykey-offered", view.t("keys.my.offered", fingerprint=offered)))
    elif ticket is not None:
        body.append(text("mykey-open-hint", view.t("keys.my.open_hint"), size=SMALL_SIZE))
        body.append(page_link("mykey-open", view.t("keys.my.open"), desk.page_url(ticket)))
    else:

        async def pair(_: object = None) -> None:
            assert desk is not None
            try:
                made = desk.issue_enrolment(key.branch_id, mid)
            except ChitError as exc:
                view.refuse(exc.code)
                return
            _PAIRING[view] = made

            def heard(signed: Signed) -> None:
                if signed.ticket == made.ticket:
                    _OFFERED[view] = vm.fingerprint(signed.public_key_hex)
                    stop()
                    if showing(view, MY_KEY):
                        later(view)

            stop = desk.listen(heard)
            await view.rebuild()

        label = "keys.my.pair_again" if key.status != vm.NO_KEY else "keys.my.pair"
        body.append(button("mykey-pair", view.t(label), pair, primary=True))
    body.append(button("mykey-back", view.t("keys.back"), _go(view, ME)))
    return column(view, "keys.title.my", "mykey", body)


def _go(view: SessionView, route: str) -> Handler:
    async def go(_: object = None) -> None:
        await view.go(route)

    return go


# --- a consent, signed on the phone -------------------------------------------------------------


async def submit_consent(
    view: SessionView, kind: str, body: dict[str, Any], cmd_id: str | None = None
) -> Receipt | None:
    """`view.submit` for a member's consent: countersigned on the member's phone when the
    member has an enrolled key, as before when not. None when refused, declined or late."""
    desk = desk_of(view)
    if not view.who.is_member or desk is None:
        return await view.submit(kind, body, cmd_id)
    mid = view.who.member_id
    key, branch = await view.read(lambda r: (vm.current_key(r.state, mid), r.branch_id))
    if key is None:
        return await view.submit(kind, body, cmd_id)
    try:
        stamped = vm.to_sign(kind, check(view.who, kind, body), cmd_id)
        ticket = desk.issue_signing(branch, mid, vm.statement(kind, stamped, branch))
    except ChitError as exc:
        view.refuse(exc.code)
        return None
    words = await consent_words(view, kind, stamped)
    signed = await await_signature(view, desk, ticket, kind, words)
    if signed is None:
        return None
    return await view.submit(kind, vm.countersigned(stamped, signed), cmd_id)


async def consent_words(view: SessionView, kind: str, body: dict[str, Any]) -> tuple[str, ...]:
    """What a consent stands for beyond its statement's fields, in the member's words: the
    minutes' month, winner and prize next to the fingerprint the statement signs."""
    if kind != "minutes.attested":
        return ()
    gid, month = str(body.get("group_id", "")), body.get("month")
    if not isinstance(month, int):
        return ()
    said = await view.read(lambda r: vm.minutes_words(r, gid, month))
    if said is None:
        return ()
    return (
        view.t("keys.sign.minutes.month", group=said.group_name, month=said.month),
        view.t("keys.sign.minutes.winner", ticket=said.winner_ticket, name=said.winner_name),
        view.t("keys.sign.minutes.prize", prize=view.money(said.prize_paise)),
        view.t("keys.sign.minutes.hash", hash=said.minutes_hash),
    )


async def await_signature(
    view: SessionView, desk: SignerDesk, ticket: Ticket, kind: str, words: tuple[str, ...] = ()
) -> Signed | None:
    """Show "/sign" until the desk hears `ticket`'s signature (or the member cancels, or
    the ticket's time runs out), then go back to the screen the member was on."""
    back, params = view.route, dict(view.params)
    done: asyncio.Future[Signed | None] = asyncio.get_running_loop().create_future()

    def heard(signed: Signed) -> None:
        if signed.ticket == ticket.ticket and not done.done():
            done.set_result(signed)

    stop = desk.listen(heard)
    _SIGNING[view] = _Waiting(ticket, kind, done, words)
    late = False
    try:
        await view.go(SIGN)
        try:
            signed = await asyncio.wait_for(done, WAIT_S)
        except TimeoutError:
            signed, late = None, True
    finally:
        stop()
        _SIGNING.pop(view, None)
    if signed is not None:
        desk.take(ticket.ticket)  # spent: the desk's table forgets it
    await view.go(back, **params)
    if late:
        view.refuse(EXPIRED)
    return signed


async def build_sign(view: SessionView) -> ft.Control:
    waiting = _SIGNING.get(view)
    desk = desk_of(view)
    if waiting is None or desk is None:
        body = [text("sign-nothing", view.t("keys.sign.nothing"))]
        body.append(button("sign-back", view.t("keys.back"), _go(view, ME)))
        return column(view, "keys.title.sign", "sign", body)

    async def cancel(_: object = None) -> None:
        if not waiting.done.done():
            waiting.done.set_result(None)

    what = view.t(f"keys.sign.what.{waiting.kind}")
    body = [
        text("sign-what", what),
        *(text(f"sign-detail-{i}", line) for i, line in enumerate(waiting.words)),
        text("sign-how", view.t("keys.sign.how"), size=SMALL_SIZE),
        page_link("sign-open", view.t("keys.sign.open"), desk.page_url(waiting.ticket)),
        text("sign-waiting", view.t("keys.sign.waiting"), size=SMALL_SIZE),
        button("sign-cancel", view.t("keys.sign.cancel"), cancel),
    ]
    return column(view, "keys.title.sign", "sign", body)


# --- staff: keys offered, enrolled, revoked -----------------------------------------------------


def _hear_offers(view: SessionView, desk: SignerDesk) -> None:
    """Rebuild the staff screen when a phone offers a key (once per session)."""
    if view in _HEARING:
        return

    def heard(signed: Signed) -> None:
        if view not in view.ctx.sessions.values():  # the browser went: stop listening
            _HEARING.pop(view, None)
            stop()
        elif signed.purpose == ENROL and showing(view, KEYS):
            later(view)

    stop = desk.listen(heard)
    _HEARING[view] = stop


async def build_keys(view: SessionView) -> ft.Control:
    desk = desk_of(view)
    if desk is None:
        view.refuse("not_serving")
        return column(view, "keys.title.staff", "keys", [])
    _hear_offers(view, desk)
    waiting = desk.waiting(ENROL)
    data = await view.read(lambda r: vm.keys_desk(r, waiting))
    body: list[ft.Control] = [text("keys-hint", view.t("keys.staff.hint"), size=SMALL_SIZE)]
    body.append(text("keys-offers", view.t("keys.staff.offers"), weight=ft.FontWeight.W_600))
    for i, offer in enumerate(data.offers):
        line = view.t(
            "keys.staff.offer",
            name=offer.name,
            member=offer.member_id,
            fingerprint=offer.fingerprint,
        )
        body.append(text(f"keys-offer-{i}", line))
        if offer.replaces:
            said = view.t("keys.staff.replaces", fingerprint=offer.replaces)
            body.append(text(f"keys-offer-{i}-replaces", said, size=SMALL_SIZE))
        body.append(
            button(f"keys-offer-{i}-enrol", view.t("keys.staff.enrol"), _enrol(view, desk, offer))
        )
    if not data.offers:
        body.append(text("keys-offers-none", view.t("keys.staff.no_offers"), size=SMALL_SIZE))
    body.append(ft.Divider())
    body.append(text("keys-enrolled", view.t("keys.staff.enrolled"), weight=ft.FontWeight.W_600))
    for i, row in enumerate(data.enrolled):
        if row.status == vm.ACTIVE:
            said = view.t(
                "keys.staff.active",
                name=row.name,
                member=row.member_id,
                fingerprint=row.fingerprint,
            )
        else:
            said = view.t("keys.staff.revoked", name=row.name, member=row.member_id)
        body.append(text(f"keys-member-{i}", said))
        if row.status == vm.ACTIVE:
            body.append(
                button(f"keys-member-{i}-revoke", view.t("keys.staff.revoke"), _revoke(view, row))
            )
    if not data.enrolled:
        body.append(text("keys-enrolled-none", view.t("keys.staff.none_enrolled"), size=SMALL_SIZE))
    body.append(button("keys-refresh", view.t("keys.staff.refresh"), _refresh(view)))
    return column(view, "keys.title.staff", "keys", body)


def _enrol(view: SessionView, desk: SignerDesk, offer: vm.Offer) -> Handler:
    async def enrol(_: object = None) -> None:
        kind, body = vm.enrol_command(offer)
        if await view.submit(kind, body, f"key:{offer.key}") is not None:
            desk.take(offer.ticket)  # enrolled: off the waiting list
        await view.rebuild()

    return enrol


def _revoke(view: SessionView, line: vm.Enrolled) -> Handler:
    async def revoke(_: object = None) -> None:
        kind, body = vm.revoke_command(line)
        await view.submit(kind, body, f"revoke:{line.key}")
        await view.rebuild()

    return revoke


def _refresh(view: SessionView) -> Handler:
    async def refresh(_: object = None) -> None:
        await view.rebuild()

    return refresh


# --- witnesses at the meeting's close (issue 15, point 5) --------------------------------------


def _wake(view: SessionView, wants: Callable[[SessionView], bool]) -> None:
    """Rebuild the other sessions `wants`: a witness request is not in the log, so no event
    tells their screens it changed."""
    for seen in list(view.ctx.sessions.values()):
        if seen is not view and seen.screen is not None and wants(seen):
            later(seen)


def _wake_meeting(view: SessionView, group_id: str) -> None:
    _wake(view, lambda s: s.route == MEETING and s.params.get("group") == group_id)


def _wake_members(view: SessionView, members: frozenset[str]) -> None:
    _wake(view, lambda s: s.route == ME and s.who.member_id in members)


async def witness_section(view: SessionView, group_id: str, month: int) -> ft.Control:
    """The close step's witnesses (the foreman's laptop): the members present, who has a
    key and who has signed; "Ask" takes the log's heads and asks the keyed members' phones,
    "Write" writes `heads.witnessed` with the signatures that came back."""
    desk = meeting_desk.meeting
    ask = witness_desk.asked

    def read(r: Reading) -> tuple[str, vm.WitnessRoll]:
        held = desk(r.branch_id, group_id, month)
        present = vm.present_at_close(r, group_id, month, held.checked_in if held else ())
        return r.branch_id, vm.witness_roll(r, present, ask(r.branch_id, group_id, month))

    branch_id, roll = await view.read(read)
    rows: list[ft.Control] = [
        text("meeting-witness-title", view.t("keys.witness.title"), weight=ft.FontWeight.W_600),
        text("meeting-witness-what", view.t("keys.witness.what"), size=SMALL_SIZE),
    ]
    for w in roll.present:
        state = "no_key" if not w.keyed else "signed" if w.signed else "waiting"
        state = state if roll.asked or not w.keyed else "keyed"
        line = view.t(f"keys.witness.{state}", name=w.name, member=w.member_id)
        rows.append(text(f"meeting-witness-{w.member_id}", line))
    if not roll.present:
        rows.append(text("meeting-witness-nobody", view.t("keys.witness.nobody"), size=SMALL_SIZE))
    if roll.written_seq:
        done = view.t("keys.witness.done", seq=roll.written_seq, count=roll.signatures)
        rows.append(text("meeting-witness-done", done))
        return ft.Column(rows, spacing=theme.GAP_PX)

    async def ask_phones(_: object = None) -> None:
        try:
            await _ask(view, branch_id, group_id, month, frozenset(roll.keyed))
        except ChitError as exc:
            view.refuse(exc.code)
            return
        await view.rebuild()

    async def write(_: object = None) -> None:
        found = ask(branch_id, group_id, month)
        if found is None:
            return
        kind, body = await view.read(lambda r: vm.witness_command(r, found))
        cmd_id = f"witness:{group_id}:{month}:{found.asked_ms}"
        receipt = await view.submit(kind, body, cmd_id)
        if receipt is not None:
            witness_desk.mark_written(branch_id, group_id, month, receipt.seq)
            _wake_members(view, found.members)
        await view.rebuild()

    again = "keys.witness.ask_again" if roll.asked else "keys.witness.ask"
    rows.append(button("meeting-witness-ask", view.t(again), ask_phones, primary=not roll.asked))
    if roll.asked:
        said = view.t("keys.witness.write", count=roll.signatures)
        rows.append(button("meeting-witness-write", said, write, primary=True))
    return ft.Column(rows, spacing=theme.GAP_PX)


async def _ask(
    view: SessionView, branch_id: str, group_id: str, month: int, members: frozenset[str]
) -> None:
    """Take the log's heads now and ask `members`' phones to witness them."""

    def heads(node: Node) -> tuple[tuple[wk.Head, ...], bytes, int]:
        now = tuple(witnessing.current_heads(node))
        return now, wk.statement(node.branch, group_id, month, now), node.clock.now_ms()

    taken, statement, now_ms = await view.backend.nt.run(heads)
    name = await view.read(lambda r: vm.group_name(r.state, group_id))
    if len(statement) > limits.SIGNER_STATEMENT_BYTES_MAX:  # too many devices for a phone
        raise RuleViolation(
            "the log has too many devices for a phone's statement", code="witness_heads_bad"
        )
    witness_desk.ask(branch_id, group_id, month, taken, statement, members, now_ms, name)
    _wake_members(view, members)


def witness_asks(view: SessionView, branch_id: str) -> list[ft.Control]:
    """The member's home: each meeting whose foreman asks this phone to witness, with the
    button that signs it on the signing page."""
    mid = view.who.member_id
    out: list[ft.Control] = []
    for i, found in enumerate(witness_desk.asks_for(branch_id, mid)):
        said = view.t("keys.witness.asked", group=found.group_name, month=found.month)
        out.append(text(f"me-witness-{i}", said))
        out.append(
            button(f"me-witness-{i}-sign", view.t("keys.witness.sign"), _witness(view, found))
        )
    return out


def _witness(view: SessionView, found: witness_desk.WitnessAsk) -> Handler:
    async def sign(_: object = None) -> None:
        desk = desk_of(view)
        mid = view.who.member_id
        if desk is None:
            view.refuse("not_serving")
            return
        key, words = await view.read(
            lambda r: (vm.current_key(r.state, mid), vm.witness_words(r, found))
        )
        if key is None:
            view.refuse("countersig_no_key")
            return
        try:
            ticket = desk.issue_signing(found.branch_id, mid, found.statement)
        except ChitError as exc:
            view.refuse(exc.code)
            return
        said = (
            view.t("keys.sign.witness.meeting", group=words.group_name, month=words.month),
            view.t(
                "keys.sign.witness.log",
                branch=words.branch_name,
                time=fmt.datetime_local(words.asked_ms, lang=view.lang),
                entries=words.entries,
                devices=words.devices,
            ),
        )
        signed = await await_signature(view, desk, ticket, wk.KIND, said)
        if signed is None:
            return
        if signed.public_key_hex != key:  # another phone's key: the fold would refuse it
            view.refuse("countersig_bad")
            return
        added = witness_desk.add_signature(
            found.branch_id,
            found.group_id,
            found.month,
            found.statement,
            mid,
            signed.public_key_hex,
            signed.signature.hex(),
        )
        if added is None:  # asked again over newer heads, or already written: it is spent
            view.refuse(EXPIRED)
        _wake_meeting(view, found.group_id)
        await view.rebuild()

    return sign


def _key_event(event: Event) -> bool:
    return event.kind.startswith("member.key_")


SCREENS = [
    Screen(MY_KEY, MEMBER, "keys.title.my", build_my_key, _key_event),
    Screen(SIGN, MEMBER, "keys.title.sign", build_sign, lambda e: False),
    Screen(KEYS, STAFF, "keys.title.staff", build_keys, _key_event),
]
