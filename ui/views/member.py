"""The member's phone: home, passbook, loans, wallet, the agreement and the inbox.

Thin builders over ui/vm/member.py, passbook.py, loans.py, wallet.py and inbox.py, laid
out for a 360-px phone: one column, 48-px touch targets, a bottom row of four places
(home, passbook, wallet, inbox), at most four main actions a screen. Every act is the
member's own (the gate stamps `actor`; the kernel judges it) and a refusal is shown in
words on the shell's banner. Texts a test reads carry a Semantics id: "me-...",
"passbook-...", "loans-...", "wallet-...", "agreement-...", "inbox-...", "nav-...".

Money going out has a confirmation screen whose command id (or bank request id) is made
when it opens and kept in the session's params, so the live rebuild keeps it and a
retried "Send" is the same command (UX.md rules 2 and 5).

The integrity badge shows the node's record of its last check of its own log (hashes
and chains, chitnode/store/integrity.py), kept in <data>/INTEGRITY_FILE; when that
record is older than ui.limits.INTEGRITY_RECHECK_MS, a check runs once on the node
thread in the background. A page view only reads the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import flet as ft

from chitnode.domain import limits as domain_limits
from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.services.events import Event
from chitnode.store.bank_outbox import OUTBOX_FILE, OutboxTable
from chitnode.store.integrity import CheckReport, check_lines
from ui import fmt, meeting_desk, theme
from ui.backend import reading_of
from ui.shell import MEMBER, Screen, SessionView
from ui.views import member_keys as keys
from ui.vm import inbox as inbox_vm
from ui.vm import loans as loans_vm
from ui.vm import member as vm
from ui.vm import member_receipts as receipts_vm
from ui.vm import passbook as passbook_vm
from ui.vm import wallet as wallet_vm

ME = "/me"
PASSBOOK = "/passbook"
LOANS = "/loans"
WALLET = "/wallet"
AGREEMENT = "/agreement"
INBOX = "/inbox"
ROOM = "/room"  # the live auction room (ui/views/auction.py)
RECEIPT = "/receipt"  # one receipt as a QR code and a file (ui/views/member_receipts.py)
FIELD_WIDTH_PX = 320  # a 360-px phone less the page's padding
NAV_ICON_PX = 22
NAV_WORD_SIZE = 11  # "Passbook" and its Kannada and Hindi words fit a quarter of the bar
NAV_HEIGHT_PX = 56  # above the 48-px touch target: an icon over a word
TITLE_SIZE = 22
SMALL_SIZE = 13
INTEGRITY_FILE = "integrity.json"  # <data>/: {"ok": bool, "checked_ms": int, "entries": int}
ID_TOKEN_BYTES = 6  # random bytes in a loan or bank request id made on the phone (12 hex)

Handler = Callable[..., Awaitable[None]]

# The bottom navigation: (route, catalogue key, icon, Semantics id).
NAV = (
    (ME, "member.nav.home", ft.Icons.HOME, "nav-home"),
    (PASSBOOK, "member.nav.passbook", ft.Icons.RECEIPT_LONG, "nav-passbook"),
    (WALLET, "member.nav.wallet", ft.Icons.ACCOUNT_BALANCE_WALLET, "nav-wallet"),
    (INBOX, "member.nav.inbox", ft.Icons.INBOX, "nav-inbox"),
)


# --- small pieces -------------------------------------------------------------------------


def text(identifier: str, value: str, **kw: Any) -> ft.Control:
    return ft.Semantics(content=ft.Text(value, **kw), identifier=identifier)


def small(identifier: str, value: str) -> ft.Control:
    return text(identifier, value, size=SMALL_SIZE)


def button(
    identifier: str, label: str, on_click: Handler | None, *, primary: bool = False
) -> ft.Control:
    made = theme.action_button(label, on_click, primary=primary)
    made.width = FIELD_WIDTH_PX
    return ft.Semantics(content=made, identifier=identifier)


def go_to(view: SessionView, route: str, **params: str) -> Handler:
    async def go(_: object = None) -> None:
        await view.go(route, **params)

    return go


def nav(view: SessionView, current: str) -> ft.Control:
    """Four places at the bottom, each a 48-px target with an icon and a word."""
    items: list[ft.Control] = []
    for route, key, icon, identifier in NAV:
        here = route == current
        # The icon above its word, as phones' own bottom bars do: side by side, four
        # places in 320 px left each word ~40 px and "Passbook" broke into "Pas sbo".
        label = ft.Column(
            [
                ft.Icon(icon, size=NAV_ICON_PX),
                ft.Text(view.t(key), size=NAV_WORD_SIZE, no_wrap=True),
            ],
            spacing=0,
            tight=True,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        )
        item = ft.TextButton(
            content=label,
            on_click=go_to(view, route),
            height=NAV_HEIGHT_PX,
            disabled=here,
            expand=True,
            style=ft.ButtonStyle(padding=0),
        )
        items.append(ft.Semantics(content=item, identifier=identifier, selected=here, expand=True))
    return ft.Row(items, spacing=0, width=FIELD_WIDTH_PX)


def frame(
    view: SessionView, title_key: str, prefix: str, route: str, body: list[ft.Control]
) -> ft.Control:
    title = ft.Text(view.t(title_key), size=TITLE_SIZE, weight=ft.FontWeight.BOLD)
    head = ft.Semantics(content=title, identifier=f"{prefix}-title", header=True)
    return ft.Column(
        [head, *body, ft.Divider(), nav(view, route)],
        spacing=theme.GAP_PX,
        width=FIELD_WIDTH_PX,
    )


def date(view: SessionView, ms: int) -> str:
    return fmt.date_local(ms, lang=view.lang)


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(ID_TOKEN_BYTES)}"


def say(view: SessionView, key: str, **kw: Any) -> None:
    """A form's own problem (or an answer) on the shell's banner, in the session's language."""
    view.banner.value = view.t(key, **kw)
    view.banner_box.visible = True


def me(view: SessionView) -> str:
    return view.who.member_id


# A draw's bids and lot contributions change nothing home or the passbook show: phones on
# those screens are not rebuilt for each bid of a live auction.
QUIET_KINDS = frozenset({"auction.bid", "lot.contributed"})


def _touches_member(event: Event) -> bool:
    return (bool(event.members) or bool(event.group_id)) and event.kind not in QUIET_KINDS


_FOLLOWING: weakref.WeakSet[SessionView] = weakref.WeakSet()


def follow_desk(view: SessionView) -> None:
    """Rebuild this session's home when the meeting desk changes (a meeting of a group
    opens or closes at the table): the desk is not in the log, so no event says so."""
    meeting_desk.follow(view, _FOLLOWING, lambda seen, group_id: seen.route == ME)


# --- the integrity badge's record (node-local, beside the store) -----------------------------


def read_integrity(folder: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((folder / INTEGRITY_FILE).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def check_integrity(node: Node, folder: Path) -> dict[str, Any]:
    """Re-check every stored entry's hash and chain (`chitnode check`'s quick pass) and
    record the result; runs on the node thread, so nothing is written meanwhile."""
    report = CheckReport()
    check_lines(node.store.stored_lines(), report)
    record = {"ok": report.ok, "checked_ms": node.clock.now_ms(), "entries": report.entries}
    path = folder / INTEGRITY_FILE
    spare = path.with_suffix(".tmp")
    spare.write_text(json.dumps(record))
    spare.replace(path)
    return record


_CHECKING: set[str] = set()  # data folders whose check is running (one at a time each)


def ensure_checked(view: SessionView, record: dict[str, Any] | None, now_ms: int) -> None:
    """Start the background check when the record is missing or old; never twice at once."""
    folder = view.backend.folder
    if not vm.check_due(record, now_ms) or str(folder) in _CHECKING:
        return
    _CHECKING.add(str(folder))

    async def run() -> None:
        try:
            await view.backend.nt.run(lambda node: check_integrity(node, folder))
        except Exception:  # a check that could not run leaves the badge as it was
            return
        finally:
            _CHECKING.discard(str(folder))

    with contextlib.suppress(RuntimeError):  # no running loop: the next view starts it
        asyncio.get_running_loop().create_task(run())


def badge(view: SessionView, status: vm.Badge) -> ft.Control:
    if status.status == "never":
        words, icon, colour = view.t("integrity.never"), ft.Icons.HELP_OUTLINE, None
    elif status.status == "ok":
        words = view.t("integrity.ok", date=date(view, status.checked_ms))
        icon, colour = ft.Icons.VERIFIED, ft.Colors.GREEN_800
    else:
        words = view.t("integrity.failed", date=date(view, status.checked_ms))
        icon, colour = ft.Icons.GPP_BAD, ft.Colors.RED_800
    row = ft.Row(
        [ft.Icon(icon, color=colour, size=18), ft.Text(words, size=SMALL_SIZE, expand=True)],
        spacing=theme.GAP_PX // 2,
    )
    return ft.Semantics(content=row, identifier="me-integrity", data=status.status)


# --- home ----------------------------------------------------------------------------------


async def build_home(view: SessionView) -> ft.Control:
    mid = me(view)
    folder = view.backend.folder
    record = read_integrity(folder)
    home, branch, now = await view.read(
        lambda r: (vm.build_home(r, mid, record), r.branch_id, r.now_ms)
    )
    ensure_checked(view, record, now)
    follow_desk(view)
    body: list[ft.Control] = [text("me-hello", view.t("member.home.hello", name=home.name))]
    if home.pay_paise:
        pay = view.t(
            "member.home.pay", amount=view.money(home.pay_paise), date=date(view, home.pay_by_ms)
        )
        body.append(text("me-pay", pay, size=TITLE_SIZE, weight=ft.FontWeight.BOLD))
    else:
        body.append(text("me-pay", view.t("member.home.nothing_due"), size=TITLE_SIZE))
    if home.arrears_paise:
        arrears = view.t("member.home.arrears", amount=view.money(home.arrears_paise))
        body.append(text("me-arrears", arrears, color=ft.Colors.RED_800))
    body += [_meeting_now(view, home, branch), *_auctions(view, home)]
    body += keys.witness_asks(view, branch)  # the foreman asks this phone to witness the log
    if home.next_meeting is not None:
        nxt = home.next_meeting
        words = view.t(
            "member.home.next_meeting", group=nxt.group_name, date=date(view, nxt.day_ms)
        )
        body.append(small("me-next-meeting", words))
    else:
        body.append(small("me-next-meeting", view.t("member.home.no_meeting")))
    body.append(ft.Divider())
    body += [_ticket(view, line, i) for i, line in enumerate(home.tickets)] or [
        small("me-no-tickets", view.t("member.home.no_tickets"))
    ]
    waiting = home.to_sign + home.to_attest
    if waiting:
        body.append(
            button("me-inbox", view.t("member.home.waiting", count=waiting), go_to(view, INBOX))
        )
    body.append(
        ft.Row(
            [
                _link(view, "me-loans", "member.home.loans", LOANS),
                _link(view, "me-agreements", "member.home.agreements", AGREEMENT),
                _link(view, "me-key", "keys.my.link", keys.MY_KEY),
            ],
            wrap=True,
        )
    )
    body += [badge(view, home.badge), _log_out(view)]
    return frame(view, "member.title.home", "me", ME, body)


def _link(view: SessionView, identifier: str, key: str, route: str) -> ft.Control:
    made = ft.TextButton(
        content=view.t(key), on_click=go_to(view, route), height=theme.TOUCH_TARGET_PX
    )
    return ft.Semantics(content=made, identifier=identifier)


def _log_out(view: SessionView) -> ft.Control:
    async def out(_: object = None) -> None:
        await view.logout()

    made = ft.TextButton(
        content=view.t("action.log_out"), on_click=out, height=theme.TOUCH_TARGET_PX
    )
    return ft.Semantics(content=made, identifier="me-log-out")


def _ticket(view: SessionView, line: vm.TicketLine, index: int) -> ft.Control:
    where = view.t("member.home.ticket", group=line.group_name, ticket=line.ticket)
    parts: list[ft.Control] = [
        text(f"me-ticket-{index}", where, weight=ft.FontWeight.W_600),
        theme.status_chip(line.status, view.t, identifier=f"me-ticket-{index}-status"),
    ]
    if line.month:
        parts.append(
            small(
                f"me-ticket-{index}-month",
                view.t("member.home.month", month=line.month, months=line.months),
            )
        )
    else:
        parts.append(small(f"me-ticket-{index}-month", view.t("member.home.forming")))
    if line.pay_paise:
        due = view.t(
            "member.home.ticket_pay",
            amount=view.money(line.pay_paise),
            date=date(view, line.pay_by_ms),
        )
        parts.append(small(f"me-ticket-{index}-pay", due))
    if line.arrears_paise:
        owed = view.t("member.home.arrears", amount=view.money(line.arrears_paise))
        parts.append(small(f"me-ticket-{index}-arrears", owed))
    if line.won_month:
        parts.append(
            small(f"me-ticket-{index}-won", view.t("member.home.won", month=line.won_month))
        )
    return ft.Column(parts, spacing=theme.GAP_PX // 2)


def _auctions(view: SessionView, home: vm.Home) -> list[ft.Control]:
    out: list[ft.Control] = []
    for i, room in enumerate(home.open_auctions):
        words = view.t("member.home.auction_open", group=room.group_name, month=room.month)
        out.append(text(f"me-auction-{i}", words, weight=ft.FontWeight.W_600))
        join = go_to(view, ROOM, group=room.group_id, month=str(room.month))
        out.append(
            button(f"me-auction-{i}-join", view.t("member.home.join_auction"), join, primary=True)
        )
    return out


def _meeting_now(view: SessionView, home: vm.Home, branch_id: str) -> ft.Control:
    """The "I am here" button: a meeting of my group open at the table ticks me present."""
    mine = {line.group_id: line.group_name for line in home.tickets}
    open_now = [m for m in meeting_desk.open_meetings(branch_id) if m.group_id in mine]
    parts: list[ft.Control] = []
    for i, meeting in enumerate(open_now):
        words = view.t(
            "member.home.meeting_open", group=mine[meeting.group_id], month=meeting.month
        )
        parts.append(text(f"me-meeting-{i}", words))
        if home.member_id in meeting.checked_in:
            parts.append(small(f"me-meeting-{i}-here", view.t("member.home.checked_in")))
            continue

        def check_in(gid: str = meeting.group_id, month: int = meeting.month) -> Handler:
            async def here(_: object = None) -> None:
                meeting_desk.check_in(branch_id, gid, month, home.member_id)
                await view.rebuild()

            return here

        parts.append(
            button(
                f"me-meeting-{i}-check-in", view.t("member.home.check_in"), check_in(), primary=True
            )
        )
    return ft.Column(parts, spacing=theme.GAP_PX)


# --- passbook ----------------------------------------------------------------------------------


async def build_passbook(view: SessionView) -> ft.Control:
    mid = me(view)
    folder = view.backend.folder

    def read(node: Node) -> tuple[passbook_vm.Passbook, tuple[str, ...]]:
        book = passbook_vm.build_passbook(reading_of(node, folder), mid)
        state, store = node.engine.state, node.store
        return book, receipts_vm.passbook_refs(state, store, mid, book.lines)

    book, refs = await view.backend.nt.run(read)
    body: list[ft.Control] = [
        small(
            "passbook-paid-in",
            view.t("member.passbook.paid_in", amount=view.money(book.paid_in_paise)),
        ),
        small(
            "passbook-received",
            view.t("member.passbook.received", amount=view.money(book.received_paise)),
        ),
    ]
    lines = [_passbook_line(view, line, i, refs[i]) for i, line in enumerate(book.lines)]
    body += lines or [small("passbook-empty", view.t("member.passbook.empty"))]
    return frame(view, "member.title.passbook", "passbook", PASSBOOK, body)


def _passbook_line(
    view: SessionView, line: passbook_vm.Line, index: int, receipt: str = ""
) -> ft.Control:
    ident = f"passbook-{index}"
    what = view.t(f"member.passbook.kind.{line.kind}")
    if line.month:
        where = view.t(
            "member.passbook.where", group=line.group_id, month=line.month, ticket=line.ticket
        )
    else:
        where = view.t("member.passbook.loan", loan=line.detail)
    ref = view.t("member.passbook.ref", ref=line.reference)

    async def ask(_: object = None) -> None:  # UX.md: a "?" on each line to ask about it
        say(view, "member.passbook.asked", ref=line.reference)

    question = ft.IconButton(
        icon=ft.Icons.HELP_OUTLINE,
        tooltip=view.t("member.passbook.ask"),
        on_click=ask,
        width=theme.TOUCH_TARGET_PX,
        height=theme.TOUCH_TARGET_PX,
    )
    top = ft.Row(
        [
            ft.Text(what, weight=ft.FontWeight.W_600, expand=True),
            ft.Text(view.money(line.amount_paise)),
            ft.Semantics(content=question, identifier=f"{ident}-ask"),
        ],
    )
    parts: list[ft.Control] = [
        ft.Semantics(content=top, identifier=ident, value=line.kind),
        small(f"{ident}-where", f"{date(view, line.ts_ms)} · {where}"),
        small(f"{ident}-ref", ref),
    ]
    if line.kind == passbook_vm.PRIZE and not line.detail:
        parts.append(small(f"{ident}-unpaid", view.t("member.passbook.unpaid")))
    if receipt:
        parts.append(save_receipt(view, ident, receipt, PASSBOOK))
    return ft.Column(parts, spacing=2)


def save_receipt(view: SessionView, ident: str, receipt: str, back: str) -> ft.Control:
    """A line's "Save receipt": the signed entry itself, to keep (issue 15 point 4)."""
    save = ft.TextButton(
        content=view.t("member.passbook.save"),
        icon=ft.Icons.QR_CODE_2,
        on_click=go_to(view, RECEIPT, ref=receipt, back=back),
        height=theme.TOUCH_TARGET_PX,
    )
    return ft.Semantics(content=save, identifier=f"{ident}-save", value=receipt)


# --- loans ------------------------------------------------------------------------------------


async def build_loans(view: SessionView) -> ft.Control:
    mid = me(view)
    screen = await view.read(lambda r: loans_vm.build_loans(r, mid))
    loan_id = view.params.setdefault("loan", new_id("LA"))  # one id per form: retries are one
    chosen = {
        "amount": int(view.params.get("amount") or screen.amount_chips_paise[1]),
        "months": int(view.params.get("months") or screen.tenure_chips[1]),
    }
    emi_text = ft.Text("", size=TITLE_SIZE, weight=ft.FontWeight.BOLD)
    total_text = ft.Text("")
    summary_text = ft.Text("")
    amount_field = ft.TextField(
        label=view.t("member.loans.amount"),
        value=fmt.rupees(chosen["amount"]).removeprefix(fmt.RUPEE),
        keyboard_type=ft.KeyboardType.NUMBER,
        width=FIELD_WIDTH_PX,
    )
    purpose_field = ft.TextField(
        label=view.t("member.loans.purpose"),
        width=FIELD_WIDTH_PX,
        max_length=domain_limits.LOAN_PURPOSE_CHARS_MAX,
    )

    def show() -> loans_vm.Preview | None:
        try:
            amount = fmt.parse_rupees(amount_field.value or "")
            got = loans_vm.preview(amount, chosen["months"], screen.rate_bps)
        except ChitError:
            emi_text.value = total_text.value = summary_text.value = ""
            return None
        chosen["amount"] = amount
        emi_text.value = view.t("member.loans.emi", amount=view.money(got.emi_paise))
        total_text.value = view.t(
            "member.loans.total",
            total=view.money(got.total_paise),
            interest=view.money(got.interest_paise),
        )
        summary_text.value = view.t(
            "member.loans.summary",
            amount=view.money(got.amount_paise),
            months=got.months,
            emi=view.money(got.emi_paise),
        )
        return got

    async def typed(_: object = None) -> None:
        show()

    amount_field.on_change = typed

    def pick_amount(paise: int) -> Handler:
        async def picked(_: object = None) -> None:
            view.params["amount"] = str(paise)
            amount_field.value = fmt.rupees(paise).removeprefix(fmt.RUPEE)
            show()

        return picked

    def pick_months(months: int) -> Handler:
        async def picked(_: object = None) -> None:
            view.params["months"] = str(months)
            chosen["months"] = months
            await view.rebuild()

        return picked

    async def apply(_: object = None) -> None:
        got = show()
        if got is None:
            view.refuse("bad_amount")
            return
        if not (purpose_field.value or "").strip():
            say(view, "member.loans.purpose_needed")
            return
        kind, body = loans_vm.apply_command(
            mid, loan_id, got.amount_paise, got.months, purpose_field.value or ""
        )
        if await view.submit(kind, body, f"loan-apply:{loan_id}") is not None:
            for key in ("loan", "amount", "months"):
                view.params.pop(key, None)
            await view.rebuild()

    show()
    amount_chips = ft.Row(
        [
            ft.Semantics(
                content=ft.OutlinedButton(
                    content=view.money(p), on_click=pick_amount(p), height=theme.TOUCH_TARGET_PX
                ),
                identifier=f"loans-amount-{p // 100}",
            )
            for p in screen.amount_chips_paise
        ],
        wrap=True,
        spacing=theme.GAP_PX,
    )
    month_chips = ft.Row(
        [
            ft.Semantics(
                content=(ft.FilledButton if m == chosen["months"] else ft.OutlinedButton)(
                    content=view.t("member.loans.months_chip", months=m),
                    on_click=pick_months(m),
                    height=theme.TOUCH_TARGET_PX,
                ),
                identifier=f"loans-months-{m}",
                selected=m == chosen["months"],
            )
            for m in screen.tenure_chips
        ],
        wrap=True,
        spacing=theme.GAP_PX,
    )
    body: list[ft.Control] = [
        ft.Semantics(content=amount_field, identifier="loans-amount"),
        amount_chips,
        small("loans-months-label", view.t("member.loans.months")),
        month_chips,
        ft.Semantics(content=emi_text, identifier="loans-emi", live_region=True),
        ft.Semantics(content=total_text, identifier="loans-total"),
        small("loans-rate", view.t("member.loans.rate", rate=fmt.percent(screen.rate_bps))),
        ft.Semantics(content=summary_text, identifier="loans-summary"),
        small("loans-limit", view.t("member.loans.limit", amount=view.money(screen.limit_paise))),
        ft.Semantics(content=purpose_field, identifier="loans-purpose"),
        button("loans-apply", view.t("member.loans.apply"), apply, primary=True),
        ft.Divider(),
        text("loans-mine", view.t("member.loans.mine"), weight=ft.FontWeight.W_600),
    ]
    lines = [_loan_line(view, line, i) for i, line in enumerate(screen.loans)]
    body += lines or [small("loans-none", view.t("member.loans.none"))]
    return frame(view, "member.title.loans", "loans", LOANS, body)


def _loan_line(view: SessionView, line: loans_vm.LoanLine, index: int) -> ft.Control:
    ident = f"loans-{index}"
    words = view.t(
        "member.loans.line",
        amount=view.money(line.amount_paise),
        months=line.months,
        emi=view.money(line.emi_paise),
    )
    parts: list[ft.Control] = [
        ft.Row(
            [
                theme.status_chip(line.chip, view.t, identifier=f"{ident}-chip"),
                text(
                    f"{ident}-status",
                    view.t(f"member.loans.status.{line.status}"),
                    weight=ft.FontWeight.W_600,
                ),
            ],
            wrap=True,
        ),
        small(f"{ident}-line", words),
        small(f"{ident}-id", f"{line.loan_id} · {date(view, line.applied_ms)} · {line.purpose}"),
    ]
    if line.outstanding_paise:
        left = view.t("member.loans.outstanding", amount=view.money(line.outstanding_paise))
        parts.append(small(f"{ident}-outstanding", left))
    return ft.Column(parts, spacing=2)


# --- wallet ---------------------------------------------------------------------------------

SEND, DEPOSIT, WITHDRAW = "send", "deposit", "withdraw"
STEP_CONFIRM = "confirm"


def _undelivered(folder: Path) -> dict[str, str]:
    """Requests this node's bank worker tried and could not deliver (its outbox table)."""
    if not (folder / OUTBOX_FILE).exists():
        return {}
    try:
        with OutboxTable.open(folder) as table:
            return {rid: a.last_error for rid, a in table.attempts().items() if a.last_error}
    except (ChitError, OSError, ValueError):
        return {}


async def build_wallet(view: SessionView) -> ft.Control:
    mid = me(view)
    if view.params.get("step") == STEP_CONFIRM:
        confirm = await _confirm(view)
        if confirm is not None:
            return confirm
    undelivered = _undelivered(view.backend.folder)
    folder = view.backend.folder

    def read(node: Node) -> tuple[wallet_vm.Wallet, tuple[str, ...]]:
        wallet = wallet_vm.build_wallet(reading_of(node, folder), mid, undelivered)
        receipts = receipts_vm.receipts_of(node.engine.state, node.store, mid)
        return wallet, receipts_vm.wallet_refs(wallet.moves, receipts)

    screen, refs = await view.backend.nt.run(read)
    to_field = ft.TextField(
        label=view.t("member.wallet.to"),
        width=FIELD_WIDTH_PX,
        capitalization=ft.TextCapitalization.CHARACTERS,
    )
    amount_field = ft.TextField(
        label=view.t("member.wallet.amount"),
        keyboard_type=ft.KeyboardType.NUMBER,
        width=FIELD_WIDTH_PX,
    )

    def open_confirm(what: str) -> Handler:
        async def opened(_: object = None) -> None:
            try:
                amount = fmt.parse_rupees(amount_field.value or "")
            except ChitError as exc:
                view.refuse(exc.code)
                return
            view.params.update(
                step=STEP_CONFIRM,
                what=what,
                to=(to_field.value or "").strip().upper(),
                amount=str(amount),
                cmd=new_id("TX") if what == SEND else new_id("BR"),  # made once, kept
            )
            await view.rebuild()

        return opened

    body: list[ft.Control] = [
        theme.big_number(
            view.t("member.wallet.balance"),
            view.money(screen.balance_paise),
            identifier="wallet-balance",
        ),
        ft.Semantics(content=to_field, identifier="wallet-to"),
        ft.Semantics(content=amount_field, identifier="wallet-amount"),
        button("wallet-send", view.t("member.wallet.send"), open_confirm(SEND), primary=True),
        button("wallet-deposit", view.t("member.wallet.deposit"), open_confirm(DEPOSIT)),
        button("wallet-withdraw", view.t("member.wallet.withdraw"), open_confirm(WITHDRAW)),
    ]
    if screen.requests:
        body.append(
            text("wallet-requests", view.t("member.wallet.requests"), weight=ft.FontWeight.W_600)
        )
        body += [_request(view, q, i) for i, q in enumerate(screen.requests)]
    body.append(text("wallet-history", view.t("member.wallet.history"), weight=ft.FontWeight.W_600))
    moves = [_move(view, m, i, refs[i]) for i, m in enumerate(screen.moves)]
    body += moves or [small("wallet-empty", view.t("member.wallet.empty"))]
    return frame(view, "member.title.wallet", "wallet", WALLET, body)


def _move_words(view: SessionView, move: wallet_vm.Move) -> str:
    if move.kind == "wallet.transferred":
        key = "member.wallet.move.sent" if move.amount_paise < 0 else "member.wallet.move.received"
        return view.t(key, name=move.counterparty_name or move.counterparty)
    named = {
        "bank.deposit_settled": "member.wallet.move.bank_in",
        "bank.withdrawal_requested": "member.wallet.move.bank_hold",
        "bank.withdrawal_rejected": "member.wallet.move.bank_back",
        "loan.disbursed": "member.passbook.kind.loan_disbursed",
    }
    if move.kind in named:
        return view.t(named[move.kind])
    return view.t("member.wallet.move.in" if move.amount_paise >= 0 else "member.wallet.move.out")


def _move(view: SessionView, move: wallet_vm.Move, index: int, receipt: str = "") -> ft.Control:
    ident = f"wallet-move-{index}"
    top = ft.Row(
        [ft.Text(_move_words(view, move), expand=True), ft.Text(view.money(move.amount_paise))]
    )
    parts: list[ft.Control] = [
        ft.Semantics(content=top, identifier=ident, value=move.kind),
        small(
            f"{ident}-ref",
            f"{date(view, move.ts_ms)} · {view.t('member.passbook.ref', ref=move.reference)}",
        ),
    ]
    if receipt:
        parts.append(save_receipt(view, ident, receipt, WALLET))
    return ft.Column(parts, spacing=2)


def _request(view: SessionView, request: wallet_vm.Request, index: int) -> ft.Control:
    ident = f"wallet-request-{index}"
    what = view.t(
        f"member.wallet.request.{request.direction}", amount=view.money(request.amount_paise)
    )
    if request.status == "settled":
        state = view.t("member.wallet.request.settled", ref=request.bank_ref)
    elif request.chip == "failed":
        state = view.t("member.wallet.request.failed", reason=request.reason)
    elif request.status == wallet_vm.QUEUED:
        state = view.t("member.wallet.request.queued")
    else:
        state = view.t("member.wallet.request.pending")
    return ft.Column(
        [
            ft.Row(
                [
                    theme.status_chip(request.chip, view.t, identifier=f"{ident}-chip"),
                    ft.Text(what),
                ],
                wrap=True,
            ),
            ft.Semantics(
                content=ft.Text(state, size=SMALL_SIZE), identifier=ident, value=request.status
            ),
        ],
        spacing=2,
    )


def _forget_confirm(view: SessionView) -> None:
    for key in ("step", "what", "to", "amount", "cmd"):
        view.params.pop(key, None)


async def _confirm(view: SessionView) -> ft.Control | None:
    """The summary screen before money moves: who, how much, the balance after, the amount
    typed again. Its id (view.params["cmd"]) was made when it opened: a retry is one command.
    None (and the reason on the banner) when the kernel would refuse it already."""
    mid, what = me(view), view.params.get("what", SEND)
    amount, cmd = int(view.params.get("amount") or 0), view.params.get("cmd", "")
    to = view.params.get("to", "")

    def preview(r: Any) -> Any:
        if what == SEND:
            return wallet_vm.transfer_preview(r, mid, to, amount)
        return wallet_vm.bank_preview(r, mid, cmd, amount, withdrawal=what == WITHDRAW)

    async def back(_: object = None) -> None:
        _forget_confirm(view)
        await view.rebuild()

    try:
        got = await view.read(preview)
    except ChitError as exc:  # the plain wallet screen, with the reason on the banner
        _forget_confirm(view)
        view.refuse(exc.code)
        return None
    again = ft.TextField(
        label=view.t("member.wallet.type_again"),
        keyboard_type=ft.KeyboardType.NUMBER,
        width=FIELD_WIDTH_PX,
    )

    async def send(_: object = None) -> None:
        if not wallet_vm.typed_again(again.value or "", amount):
            say(view, "member.wallet.not_same")
            return
        if isinstance(got, wallet_vm.TransferPreview):
            kind, body, cmd_id = wallet_vm.transfer_command(got, cmd)
        else:
            kind, body, cmd_id = wallet_vm.bank_command(got)
        if await view.submit(kind, body, cmd_id) is not None:
            await back()

    if isinstance(got, wallet_vm.TransferPreview):
        title = view.t("member.wallet.confirm_title")
        who = view.t("member.wallet.confirm_to", name=got.to_name, member=got.to_member_id)
        label = view.t("member.wallet.send_now", amount=view.money(amount))
    else:
        title = view.t(
            "member.wallet.withdraw_title" if got.withdrawal else "member.wallet.deposit_title"
        )
        who = view.t("member.wallet.bank_note")
        label = view.t("member.wallet.request_now", amount=view.money(amount))
    body: list[ft.Control] = [
        text("wallet-confirm-title", title, size=TITLE_SIZE, weight=ft.FontWeight.BOLD),
        text("wallet-confirm-to", who),
        text(
            "wallet-confirm-amount",
            view.t("member.wallet.confirm_amount", amount=view.money(amount)),
            size=TITLE_SIZE,
        ),
        small(
            "wallet-confirm-after",
            view.t("member.wallet.confirm_after", amount=view.money(got.balance_after_paise)),
        ),
        ft.Semantics(content=again, identifier="wallet-again"),
        button("wallet-confirm", label, send, primary=True),
        button("wallet-cancel", view.t("action.cancel"), back),
    ]
    return frame(view, "member.title.wallet", "wallet", WALLET, body)


# --- the agreement ----------------------------------------------------------------------------


async def build_agreement(view: SessionView) -> ft.Control:
    mid = me(view)
    items = await view.read(lambda r: vm.agreements(r.state, mid))
    wanted = view.params.get("group", "")
    shown = [a for a in items if a.group_id == wanted] or list(items)
    body: list[ft.Control] = []
    for i, item in enumerate(shown):
        body += _agreement(view, item, i)
    body = body or [small("agreement-none", view.t("member.agreement.none"))]
    return frame(view, "member.title.agreement", "agreement", AGREEMENT, body)


def _agreement(view: SessionView, item: vm.Agreement, index: int) -> list[ft.Control]:
    ident = f"agreement-{index}"
    commission = (
        "member.agreement.commission_on_top"
        if item.commission_on_top
        else "member.agreement.commission"
    )
    dividend = (
        "member.agreement.dividend_all"
        if item.dividend_to_all
        else "member.agreement.dividend_others"
    )
    terms = [
        view.t("member.agreement.value", amount=view.money(item.chit_value_paise)),
        view.t("member.agreement.size", tickets=item.tickets, months=item.months),
        view.t("member.agreement.subscription", amount=view.money(item.subscription_paise)),
        view.t(commission, percent=fmt.percent(item.commission_bps)),
        view.t("member.agreement.max_discount", percent=fmt.percent(item.max_discount_bps)),
        view.t("member.agreement.step", amount=view.money(item.bid_increment_paise)),
        view.t(dividend),
        view.t("member.agreement.meeting", day=item.meeting_day, days=item.grace_days),
    ]
    if item.penalty_interest_bps:
        terms.append(
            view.t("member.agreement.penalty", percent=fmt.percent(item.penalty_interest_bps))
        )
    if item.by_lot_first:
        terms.append(view.t("member.agreement.first_lot"))
    out: list[ft.Control] = [text(f"{ident}-group", item.group_name, weight=ft.FontWeight.W_600)]
    out += [small(f"{ident}-term-{n}", line) for n, line in enumerate(terms)]
    if item.signed_ms:
        out.append(
            text(
                f"{ident}-signed",
                view.t("member.agreement.signed", date=date(view, item.signed_ms)),
            )
        )
    elif not item.terms_hash:
        out.append(small(f"{ident}-unpublished", view.t("member.agreement.not_published")))
    else:

        async def sign(_: object = None) -> None:
            kind, body = vm.sign_command(me(view), item)
            cmd_id = f"sign:{item.group_id}:{me(view)}"
            if await keys.submit_consent(view, kind, body, cmd_id) is not None:
                await view.rebuild()

        out.append(button(f"{ident}-sign", view.t("member.agreement.sign"), sign, primary=True))
    out.append(ft.Divider())
    return out


# --- the inbox ----------------------------------------------------------------------------------


async def build_inbox(view: SessionView) -> ft.Control:
    mid = me(view)
    box = await view.read(lambda r: inbox_vm.build_inbox(r, mid))
    body: list[ft.Control] = []
    if box.to_attest:
        body.append(
            text(
                "inbox-attest-title",
                view.t("member.inbox.attest_title"),
                weight=ft.FontWeight.W_600,
            )
        )
        for i, item in enumerate(box.to_attest):
            key = "member.inbox.won" if item.won else "member.inbox.present"
            body.append(
                text(f"inbox-attest-{i}", view.t(key, group=item.group_name, month=item.month))
            )
            body.append(
                button(
                    f"inbox-attest-{i}-confirm",
                    view.t("member.inbox.attest"),
                    _attest(view, item),
                    primary=True,
                )
            )
    if box.to_sign:
        body.append(
            text("inbox-sign-title", view.t("member.inbox.sign_title"), weight=ft.FontWeight.W_600)
        )
        for i, agreement in enumerate(box.to_sign):
            body.append(text(f"inbox-sign-{i}", agreement.group_name))
            read = go_to(view, AGREEMENT, group=agreement.group_id)
            body.append(button(f"inbox-sign-{i}-open", view.t("member.inbox.read_and_sign"), read))
    if not (box.to_attest or box.to_sign):
        body.append(small("inbox-empty", view.t("member.inbox.empty")))
    if box.news:
        body.append(text("inbox-news", view.t("member.inbox.news"), weight=ft.FontWeight.W_600))
        body += [small(f"inbox-news-{i}", _news(view, n)) for i, n in enumerate(box.news)]
    return frame(view, "member.title.inbox", "inbox", INBOX, body)


def _attest(view: SessionView, item: vm.MinutesToAttest) -> Handler:
    async def attest(_: object = None) -> None:
        kind, body = vm.attest_command(me(view), item)
        cmd_id = f"attest:{item.group_id}:{item.month}:{me(view)}"
        if await keys.submit_consent(view, kind, body, cmd_id) is not None:
            await view.rebuild()

    return attest


def _news(view: SessionView, news: inbox_vm.News) -> str:
    """A line without an amount (UX.md rule 10: previews on a shared phone show none)."""
    when = date(view, news.ts_ms)
    if news.kind in passbook_vm.KINDS:
        words = view.t(
            f"member.news.{news.kind}", group=news.group_id, month=news.month, ref=news.reference
        )
    else:
        words = view.t("member.news.wallet", ref=news.reference)
    return f"{when} · {words}"


# --- what rebuilds each screen live ------------------------------------------------------------

WALLET_KINDS = ("wallet.", "bank.", "loan.disbursed")
LOAN_KINDS = ("loan.",)
INBOX_KINDS = (
    "auction.closed",
    "lot.revealed",
    "minutes.attested",
    "agreement.",
    "contribution.",
    "prize.",
    "wallet.",
    "bank.",
    "loan.",
)


def _kinds(prefixes: tuple[str, ...]) -> Callable[[Event], bool]:
    def watches(event: Event) -> bool:
        return event.kind.startswith(prefixes)

    return watches


SCREENS = [
    Screen(ME, MEMBER, "member.title.home", build_home, _touches_member),
    Screen(PASSBOOK, MEMBER, "member.title.passbook", build_passbook, _touches_member),
    Screen(LOANS, MEMBER, "member.title.loans", build_loans, _kinds(LOAN_KINDS), mine=True),
    Screen(WALLET, MEMBER, "member.title.wallet", build_wallet, _kinds(WALLET_KINDS), mine=True),
    Screen(AGREEMENT, MEMBER, "member.title.agreement", build_agreement, _kinds(("agreement.",))),
    Screen(INBOX, MEMBER, "member.title.inbox", build_inbox, _kinds(INBOX_KINDS)),
]
