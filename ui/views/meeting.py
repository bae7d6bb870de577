"""Meeting mode on the foreman's laptop: "/meeting?group=&month=&step=", a step a screen.

The ten steps of UX.md ("The meeting is a procedure"), each with Back and Next. The
figures and the choices come from ui/vm/meeting.py; this module only lays them out and
wires the buttons: a command goes through `view.submit` (a refusal shows on the banner in
words), what only the table knows goes to ui/meeting_desk.py. The live auction is the
auction screen's ("/auction?group=&month="): the auction step opens it and hands over.

Test identifiers: "meeting-title", "meeting-step", "meeting-problem", "meeting-back",
"meeting-next", and "meeting-<step>-<thing>" on each step (see each builder).
"""

from __future__ import annotations

import contextlib
import secrets
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from chitnode.errors import ChitError
from chitnode.services.events import Event
from ui import fmt, i18n, limits, meeting_desk, theme
from ui.backend import Reading
from ui.shell import STAFF, STAFF_HOME, Screen, SessionView
from ui.views import member_keys as keys
from ui.vm import meeting as vm
from ui.vm import member_keys as keys_vm

ROUTE = "/meeting"
AUCTION_ROUTE = "/auction"
SECURITY_FORMS = ("guarantor", "document", "immovable_property")  # besides the deduction
FIELD_WIDTH_PX = 320
TITLE_SIZE = 24
MINUTE_MS = 60_000
LOT_CONTRIBUTION_BYTES = 32  # lot.contributed: 32 random bytes (64 hex digits)
Handler = Callable[[], Awaitable[None]]


def _ident(control: ft.Control, identifier: str) -> ft.Control:
    return ft.Semantics(content=control, identifier=identifier)


def _text(value: str, identifier: str, **style: Any) -> ft.Control:
    return _ident(ft.Text(value, **style), identifier)


def _button(
    label: str, on_click: Handler | None, identifier: str, *, primary: bool = False
) -> ft.Control:
    button = theme.action_button(label, on_click, primary=primary)
    button.disabled = on_click is None
    return _ident(button, identifier)


def _params(view: SessionView) -> tuple[str, int, str]:
    group = view.params.get("group", "")
    month_text = view.params.get("month", "")
    month = int(month_text) if month_text.isdigit() else 0
    return group, month, vm.step_of(view.params.get("step", ""))


class _Screen:
    """One build of the meeting screen for one session: the VM, and the handlers over it."""

    def __init__(self, view: SessionView, branch_id: str, data: vm.MeetingVM) -> None:
        self.view = view
        self.branch_id = branch_id
        self.data = data
        self.problem = ft.Text("", color=ft.Colors.ERROR, key="meeting-problem")
        # Hidden until there is a problem. The wrapper hides, not the text: a Semantics over
        # an invisible control is a Flet error box in the browser ("Semantics.content must
        # be provided and visible").
        self.problem_line = ft.Semantics(
            content=self.problem, identifier="meeting-problem", visible=False
        )
        # Read with the node by `build` for the steps that need them (issue 15): members
        # with a key on their phone (the minutes), the close's witnesses.
        self.keyed: frozenset[str] = frozenset()
        self.witnesses: ft.Control | None = None

    # --- helpers ------------------------------------------------------------------------

    @property
    def gid(self) -> str:
        return self.data.header.group_id if self.data.header else ""

    @property
    def month(self) -> int:
        return self.data.header.month if self.data.header else 0

    def t(self, key: str, **kw: Any) -> str:
        return self.view.t(key, **kw)

    def money(self, paise: int) -> str:
        return self.view.money(paise)

    def date(self, ms: int) -> str:
        return fmt.date_local(ms, lang=self.view.lang)

    def say(self, key: str) -> None:
        """A problem with what was typed, in words, under the title (nothing was written)."""
        self.problem.value = self.t(key)
        self.problem_line.visible = True
        with contextlib.suppress(Exception):
            self.problem_line.update()

    async def go_step(self, step: str) -> None:
        await self.view.go(ROUTE, group=self.gid, month=str(self.month), step=step)

    async def submit(self, command: tuple[str, dict[str, Any]]) -> bool:
        kind, body = command
        return await self.view.submit(kind, body) is not None

    def ensure_open(self) -> None:
        if self.gid:
            meeting_desk.open_meeting(self.branch_id, self.gid, self.month, self._now())

    def _now(self) -> int:
        header = self.data.header
        return header.date_ms if header is not None else 0

    # --- the frame ----------------------------------------------------------------------

    def layout(self) -> ft.Control:
        data = self.data
        header = data.header
        if header is None:
            title = self.t("meeting.title.choose")
            step_line = self.t(
                "meeting.step", index=1, total=len(vm.STEPS), name=self.t("meeting.step.open")
            )
        else:
            title = self.t(
                "meeting.title", name=header.name, month=header.month, months=header.months
            )
            step_line = self.t(
                "meeting.step",
                index=header.index,
                total=len(vm.STEPS),
                name=self.t(f"meeting.step.{header.step}"),
            )
        body = getattr(self, f"step_{data.step}")()
        return ft.Column(
            [
                _ident(ft.Text(title, size=TITLE_SIZE, weight=ft.FontWeight.BOLD), "meeting-title"),
                _text(step_line, "meeting-step", size=18),
                self.navigation(),  # on top: a step's list can be long
                self.problem_line,
                body,
            ],
            spacing=theme.GAP_PX * 2,
        )

    def navigation(self) -> ft.Control:
        if self.data.header is None:
            return ft.Row([])
        back, forward = vm.previous_step(self.data.step), vm.next_step(self.data.step)

        def to(step: str | None) -> Handler | None:
            if step is None:
                return None

            async def move() -> None:
                await self.go_step(step)

            return move

        return ft.Row(
            [
                _button(self.t("action.back"), to(back), "meeting-back"),
                _button(self.t("action.next"), to(forward), "meeting-next", primary=True),
            ],
            spacing=theme.GAP_PX,
        )

    # --- 1. open ------------------------------------------------------------------------

    def step_open(self) -> ft.Control:
        data = self.data
        if data.header is None:
            return self._choices()
        header = data.header
        eligible = sum(1 for t in data.tickets if not t.block)
        rows: list[ft.Control] = [
            _text(self.t("meeting.open.date", date=self.date(header.date_ms)), "meeting-open-date"),
            _text(
                self.t("meeting.open.eligible", count=eligible, total=len(data.tickets)),
                "meeting-open-eligible",
            ),
        ]
        if header.meeting_open:
            rows.append(_text(self.t("meeting.open.is_open"), "meeting-open-status"))
        else:

            async def open_it() -> None:
                self.ensure_open()
                await self.go_step("attendance")

            rows.append(
                _button(self.t("meeting.open.action"), open_it, "meeting-open-start", primary=True)
            )
        return ft.Column(rows)

    def _choices(self) -> ft.Control:
        if not self.data.choices:
            return _text(self.t("meeting.open.none"), "meeting-open-none")
        rows: list[ft.Control] = []
        for choice in self.data.choices:

            def pick(choice: vm.GroupChoice = choice) -> Handler:
                async def chosen() -> None:
                    await self.view.go(
                        ROUTE, group=choice.group_id, month=str(choice.month), step="open"
                    )

                return chosen

            label = self.t(
                "meeting.open.choice",
                name=choice.name,
                month=choice.month,
                months=choice.months,
                unpaid=choice.tickets_unpaid,
            )
            rows.append(_button(label, pick(), f"meeting-open-choice-{choice.group_id}"))
        return ft.Column(rows)

    # --- 2. attendance ------------------------------------------------------------------

    def step_attendance(self) -> ft.Control:
        attendance = self.data.attendance
        assert attendance is not None
        rows: list[ft.Control] = [
            _text(
                self.t(
                    "meeting.attendance.count",
                    present=attendance.present_count,
                    total=len(attendance.attendees),
                ),
                "meeting-attendance-count",
            )
        ]
        if attendance.recorded:
            rows.append(_text(self.t("meeting.attendance.recorded"), "meeting-attendance-recorded"))
        elif not attendance.quorum_ok:
            rows.append(_text(self.t("meeting.attendance.quorum"), "meeting-attendance-quorum"))
        for person in attendance.attendees:
            tickets = ", ".join(str(n) for n in person.tickets)
            key = (
                "meeting.attendance.person"
                if len(person.tickets) == 1
                else "meeting.attendance.persons"
            )
            label = self.t(key, name=person.name, tickets=tickets)
            if person.checked_in:
                label = self.t("meeting.attendance.by_phone", person=label)
            box = ft.Checkbox(
                label=label,
                value=person.present,
                disabled=attendance.recorded,
                on_change=self._toggle(person.member_id),
            )
            rows.append(_ident(box, f"meeting-attendance-{person.member_id}"))
        return ft.Column(rows)

    def _toggle(self, member_id: str) -> Callable[[ft.Event[ft.Checkbox]], Awaitable[None]]:
        async def toggled(e: ft.Event[ft.Checkbox]) -> None:
            self.ensure_open()
            present = bool(e.control.value)
            meeting_desk.set_present(self.branch_id, self.gid, self.month, member_id, present)
            await self.view.rebuild()

        return toggled

    # --- 3. collections -----------------------------------------------------------------

    def step_collections(self) -> ft.Control:
        collections = self.data.collections
        assert collections is not None
        total = self.t(
            "meeting.collections.total",
            amount=self.money(collections.collected_paise),
            count=collections.receipts,
        )
        rows: list[ft.Control] = [_text(total, "meeting-collections-total")]
        chosen = self.view.params.get("ticket", "")
        for due in collections.dues:
            rows.append(self._due_row(due))
            if str(due.ticket) == chosen:
                rows.append(self._payment_form(due))
        return ft.Column(rows)

    def _due_row(self, due: vm.Due) -> ft.Control:
        t = self.t
        figures = t(
            "meeting.collections.due",
            instalment=self.money(due.instalment_paise),
            arrears=self.money(due.arrears_before_paise),
            penalty=self.money(due.penalty_paise),
            owed=self.money(due.owed_paise + due.penalty_paise),
        )
        parts: list[ft.Control] = [
            _text(
                t("meeting.collections.ticket", ticket=due.ticket, name=due.name),
                f"meeting-collections-ticket-{due.ticket}",
                weight=ft.FontWeight.W_600,
            ),
            theme.status_chip(due.status, t, identifier=f"meeting-collections-status-{due.ticket}"),
            _text(figures, f"meeting-collections-due-{due.ticket}"),
        ]
        if due.receipts:
            last = due.receipts[-1]
            mode = t(f"meeting.mode.{last.mode}") if last.mode else ""
            line = t(
                "meeting.collections.receipt",
                receipt=last.receipt,
                amount=self.money(last.amount_paise),
                mode=mode,
            )
            parts.append(_text(line, f"meeting-collections-receipt-{due.ticket}"))
            parts.append(
                theme.net_badge(
                    "saved_here", t, identifier=f"meeting-collections-saved-{due.ticket}"
                )
            )
        if due.owed_paise or due.penalty_paise:

            async def take() -> None:
                await self.view.go(
                    ROUTE,
                    group=self.gid,
                    month=str(self.month),
                    step="collections",
                    ticket=str(due.ticket),
                )

            parts.append(
                _button(
                    t("meeting.collections.take"), take, f"meeting-collections-take-{due.ticket}"
                )
            )
        return ft.Container(
            content=ft.Column(parts, spacing=theme.GAP_PX // 2), padding=theme.GAP_PX
        )

    def _payment_form(self, due: vm.Due) -> ft.Control:
        t = self.t
        owed = due.owed_paise
        amount = theme.amount_field(
            t("meeting.collections.amount"), value=fmt.rupees(owed).lstrip("₹")
        )
        mode = ft.RadioGroup(
            content=ft.Row([ft.Radio(label=t(f"meeting.mode.{m}"), value=m) for m in vm.MODES]),
            value=vm.CASH,
        )
        reference = ft.TextField(label=t("meeting.collections.reference"), width=FIELD_WIDTH_PX)

        async def record() -> None:
            chosen = str(mode.value or vm.CASH)
            problem = vm.payment_problem(chosen, str(reference.value or ""))
            if problem:
                self.say(problem)
                return
            try:
                command = vm.payment_command(
                    self.gid,
                    self.month,
                    due.ticket,
                    str(amount.value or ""),
                    chosen,
                    str(reference.value or ""),
                )
            except ChitError as exc:
                self.view.refuse(exc.code)
                return
            self.ensure_open()
            if await self.submit(command):
                await self.view.go(ROUTE, group=self.gid, month=str(self.month), step="collections")

        async def record_penalty() -> None:
            chosen = str(mode.value or vm.CASH)
            problem = vm.payment_problem(chosen, str(reference.value or ""))
            if problem:
                self.say(problem)
                return
            command = vm.penalty_command(
                self.gid, due.ticket, due.penalty_paise, str(reference.value or "")
            )
            if await self.submit(command):
                await self.view.rebuild()

        controls: list[ft.Control] = [
            _ident(mode, "meeting-collections-mode"),
            _ident(reference, "meeting-collections-reference"),
        ]
        if owed:
            controls.insert(0, _ident(amount, "meeting-collections-amount"))
            controls.append(
                _button(
                    t("meeting.collections.record"),
                    record,
                    "meeting-collections-record",
                    primary=True,
                )
            )
        if due.penalty_paise:
            label = t("meeting.collections.penalty", amount=self.money(due.penalty_paise))
            controls.append(_button(label, record_penalty, "meeting-collections-penalty"))
        return ft.Container(
            content=ft.Column(controls, spacing=theme.GAP_PX),
            padding=theme.GAP_PX,
            border=ft.Border.all(1, ft.Colors.OUTLINE),
            border_radius=ft.BorderRadius.all(8),
        )

    # --- 4. who may bid -----------------------------------------------------------------

    def step_bidders(self) -> ft.Control:
        bidders = self.data.bidders
        assert bidders is not None
        rows: list[ft.Control] = [
            _text(
                self.t("meeting.bidders.count", count=len(bidders.eligible)),
                "meeting-bidders-count",
            )
        ]
        for line in bidders.blocked:
            reason = i18n.error_text(self.view.lang, line.block)
            text = self.t(
                "meeting.bidders.blocked", ticket=line.ticket, name=line.name, reason=reason
            )
            if line.arrears_paise:
                text = self.t(
                    "meeting.bidders.owes", line=text, amount=self.money(line.arrears_paise)
                )
            rows.append(
                _text(text, f"meeting-bidders-blocked-{line.ticket}", color=ft.Colors.ERROR)
            )
        for line in bidders.eligible:
            text = self.t("meeting.collections.ticket", ticket=line.ticket, name=line.name)
            rows.append(_text(text, f"meeting-bidders-eligible-{line.ticket}"))
        return ft.Column(rows)

    # --- 5. the auction -----------------------------------------------------------------

    def step_auction(self) -> ft.Control:
        auction = self.data.auction
        assert auction is not None
        t = self.t
        rules = t(
            "meeting.auction.rules",
            low=self.money(auction.min_discount_paise),
            high=self.money(auction.max_discount_paise),
            step=self.money(auction.increment_paise),
            minutes=auction.duration_ms // MINUTE_MS,
        )
        rows: list[ft.Control] = [
            _text(rules, "meeting-auction-rules"),
            _text(
                t("meeting.auction.present", count=len(auction.present)), "meeting-auction-present"
            ),
        ]
        if auction.commit_reveal:
            rows.append(_text(t("meeting.auction.lot"), "meeting-auction-lot"))
        to_auction = self._to_auction
        if auction.status == "":
            minutes = ft.RadioGroup(
                content=ft.Row(
                    [
                        ft.Radio(label=t("meeting.auction.minutes", minutes=n), value=str(n))
                        for n in limits.MEETING_AUCTION_MINUTES
                    ],
                    wrap=True,
                ),
                value=str(auction.duration_ms // MINUTE_MS),
            )
            rows.append(_ident(minutes, "meeting-auction-countdown"))
            rows.append(
                _button(
                    t("meeting.auction.open"),
                    self._open_auction(minutes) if auction.quorum_ok else None,
                    "meeting-auction-open",
                    primary=True,
                )
            )
            if not auction.quorum_ok:
                rows.append(_text(t("meeting.attendance.quorum"), "meeting-auction-quorum"))
        elif auction.status == "open":
            best = (
                self.money(auction.best_paise)
                if auction.best_paise is not None
                else t("meeting.auction.no_bid")
            )
            status = t(
                "meeting.auction.running",
                until=fmt.time_local(auction.ends_ms, lang=self.view.lang),
                best=best,
                bids=auction.bids,
            )
            rows.append(_text(status, "meeting-auction-status"))
            rows.append(
                _button(t("meeting.auction.go"), to_auction, "meeting-auction-go", primary=True)
            )
            rows += self._contributions(auction)
        elif auction.status == "drawing":
            rows.append(_text(t("meeting.auction.drawing"), "meeting-auction-status"))
            if auction.can_reveal:
                rows.append(
                    _button(
                        t("meeting.auction.reveal"),
                        self._reveal,
                        "meeting-auction-reveal",
                        primary=True,
                    )
                )
            else:
                rows.append(_text(t("meeting.auction.no_secret"), "meeting-auction-no-secret"))
        else:
            rows.append(_text(t("meeting.auction.closed"), "meeting-auction-status"))
            rows.append(_button(t("meeting.auction.go"), to_auction, "meeting-auction-go"))
        return ft.Column(rows)

    def _contributions(self, auction: vm.AuctionStep) -> list[ft.Control]:
        """After the countdown of a month to be drawn: members present add to the draw."""
        if not auction.draw_needed:
            return []
        t = self.t
        rows: list[ft.Control] = [
            _text(
                t("meeting.auction.contribute", count=auction.contributors), "meeting-auction-draw"
            )
        ]
        for member_id, name in auction.to_contribute:
            label = t("meeting.auction.adds", name=name)
            rows.append(
                _button(
                    label, self._contribute(member_id), f"meeting-auction-contribute-{member_id}"
                )
            )
        if auction.to_contribute and auction.on_phones:  # the table's shares go first
            rows.append(_text(t("meeting.auction.table_first"), "meeting-auction-table-first"))
        for member_id, name in auction.on_phones:  # a keyed member's phone draws and signs
            said = t("meeting.auction.on_phone", name=name)
            rows.append(_text(said, f"meeting-auction-phone-{member_id}"))
        for member_id, name in auction.left_out:
            said = t("meeting.auction.left_out", name=name)
            rows.append(_text(said, f"meeting-auction-left-out-{member_id}"))
        return rows

    def _contribute(self, member_id: str) -> Handler:
        async def add() -> None:
            value = secrets.token_hex(LOT_CONTRIBUTION_BYTES)
            if await self.submit(vm.contribution_command(self.gid, self.month, member_id, value)):
                await self.view.rebuild()

        return add

    async def _to_auction(self) -> None:
        await self.view.go(AUCTION_ROUTE, group=self.gid, month=str(self.month))

    def _open_auction(self, minutes: ft.RadioGroup) -> Handler:
        async def open_it() -> None:
            auction = self.data.auction
            assert auction is not None
            chosen = str(minutes.value or "")
            duration = int(chosen) * MINUTE_MS if chosen.isdigit() else auction.duration_ms
            folder = self.view.backend.folder
            commit = (
                meeting_desk.lot_commit(folder, self.gid, self.month)
                if auction.commit_reveal
                else ""
            )
            self.ensure_open()
            command = vm.open_auction_command(
                self.gid, self.month, auction.present, commit, duration
            )
            if await self.submit(command):
                await self._to_auction()

        return open_it

    async def _reveal(self) -> None:
        folder = self.view.backend.folder
        secret = meeting_desk.lot_secret(folder, self.gid, self.month)
        if secret is None:
            self.say("meeting.auction.no_secret")
            return
        if await self.submit(vm.reveal_command(self.gid, self.month, secret)):
            meeting_desk.forget_lot(folder, self.gid, self.month)
            await self.go_step("settlement")

    # --- 6. settlement ------------------------------------------------------------------

    def step_settlement(self) -> ft.Control:
        s = self.data.settlement
        assert s is not None
        t, m = self.t, self.money
        if not s.available:
            key = (
                "meeting.settlement.wait_reveal"
                if s.waiting == "reveal"
                else "meeting.settlement.wait_auction"
            )
            return _text(t(key), "meeting-settlement-waiting")
        rows: list[ft.Control] = []
        if s.final:
            how = t("meeting.settlement.by_lot") if s.by_lot else t("meeting.settlement.by_bid")
            winner = t(
                "meeting.settlement.winner", ticket=s.winner_ticket, name=s.winner_name, how=how
            )
            rows.append(_text(winner, "meeting-settlement-winner", weight=ft.FontWeight.W_600))
        else:
            key = (
                "meeting.settlement.wait_reveal"
                if s.waiting == "reveal"
                else "meeting.settlement.preview"
            )
            rows.append(_text(t(key), "meeting-settlement-preview"))
        rows += [
            _text(
                t("meeting.settlement.discount", discount=m(s.discount_paise)),
                "meeting-settlement-discount",
            ),
            _text(
                t("meeting.settlement.commission", commission=m(s.commission_paise)),
                "meeting-settlement-commission",
            ),
            _text(
                t(
                    "meeting.settlement.dividend",
                    discount=m(s.discount_paise),
                    commission=m(s.commission_paise),
                    pool=m(s.dividend_pool_paise),
                    share=m(s.per_ticket_dividend_paise),
                    tickets=s.sharing_tickets,
                ),
                "meeting-settlement-dividend",
            ),
            theme.big_number(
                t("meeting.settlement.prize_label"),
                m(s.prize_paise),
                identifier="meeting-settlement-prize-big",
            ),
            _text(
                t(
                    "meeting.settlement.prize",
                    value=m(s.chit_value_paise),
                    discount=m(s.discount_paise),
                    prize=m(s.prize_paise),
                ),
                "meeting-settlement-prize",
            ),
            _text(
                t(
                    "meeting.settlement.next",
                    subscription=m(s.subscription_paise),
                    share=m(s.per_ticket_dividend_paise),
                    next=m(s.next_instalment_paise),
                ),
                "meeting-settlement-next",
            ),
        ]
        return ft.Column(rows)

    # --- 7. cash count ------------------------------------------------------------------

    def step_cash(self) -> ft.Control:
        cash = self.data.cash
        assert cash is not None
        t = self.t
        expected = t(
            "meeting.cash.expected",
            amount=self.money(cash.expected_paise),
            count=cash.cash_receipts,
        )
        rows: list[ft.Control] = [_text(expected, "meeting-cash-expected")]
        if cash.counted_paise is not None:
            counted = t(
                "meeting.cash.counted",
                amount=self.money(cash.counted_paise),
                difference=self.money(cash.difference_paise),
            )
            rows.append(_text(counted, "meeting-cash-difference"))
            if cash.note:
                rows.append(
                    _text(t("meeting.cash.note_shown", note=cash.note), "meeting-cash-note-shown")
                )
        counted_field = theme.amount_field(t("meeting.cash.counted_label"))
        note_field = ft.TextField(label=t("meeting.cash.note"), width=FIELD_WIDTH_PX)

        async def save() -> None:
            try:
                counted = fmt.parse_rupees(str(counted_field.value or ""))
            except ChitError as exc:
                self.view.refuse(exc.code)
                return
            note = str(note_field.value or "")
            problem = vm.cash_problem(counted, cash.expected_paise, note)
            if problem:
                self.say(problem)
                return
            self.ensure_open()
            meeting_desk.note_cash(self.branch_id, self.gid, self.month, counted, note.strip())
            await self.view.rebuild()

        rows += [
            _ident(counted_field, "meeting-cash-counted"),
            _ident(note_field, "meeting-cash-note"),
            _button(t("meeting.cash.save"), save, "meeting-cash-save", primary=True),
        ]
        return ft.Column(rows)

    # --- 8. minutes ---------------------------------------------------------------------

    def step_minutes(self) -> ft.Control:
        minutes = self.data.minutes
        assert minutes is not None
        t, m = self.t, self.money
        if not minutes.available:
            return _text(t("meeting.minutes.none"), "meeting-minutes-none")
        how = t("meeting.settlement.by_lot") if minutes.by_lot else t("meeting.settlement.by_bid")
        fields = (
            ("date", t("meeting.minutes.date", date=self.date(minutes.date_ms))),
            (
                "present",
                t(
                    "meeting.minutes.present",
                    count=len(minutes.present),
                    names=", ".join(minutes.present),
                ),
            ),
            ("bids", t("meeting.minutes.bids", count=minutes.bids)),
            (
                "winner",
                t(
                    "meeting.settlement.winner",
                    ticket=minutes.winner_ticket,
                    name=minutes.winner_name,
                    how=how,
                ),
            ),
            (
                "figures",
                t(
                    "meeting.minutes.figures",
                    discount=m(minutes.discount_paise),
                    prize=m(minutes.prize_paise),
                    commission=m(minutes.commission_paise),
                    share=m(minutes.per_ticket_dividend_paise),
                    next=m(minutes.next_instalment_paise),
                ),
            ),
            ("hash", t("meeting.minutes.hash", hash=minutes.minutes_hash[:16])),
        )
        rows: list[ft.Control] = [_text(text, f"meeting-minutes-{name}") for name, text in fields]
        status = (
            t("meeting.minutes.complete")
            if minutes.complete
            else t(
                "meeting.minutes.waiting", others=minutes.others_attested, needed=vm.OTHER_ATTESTERS
            )
        )
        rows.append(_text(status, "meeting-minutes-status", weight=ft.FontWeight.W_600))
        for a in minutes.attestations:
            who = t("meeting.minutes.foreman") if a.role == "foreman" else a.name
            if a.role == "winner":
                who = t("meeting.minutes.winner", name=a.name)
            chip = theme.status_chip("settled" if a.attested else "pending", t)
            parts: list[ft.Control] = [ft.Text(who), chip]
            if not a.attested and a.role == "foreman":
                parts.append(
                    _button(
                        t("meeting.minutes.attest"),
                        self._attest(""),
                        "meeting-minutes-attest",
                        primary=True,
                    )
                )
            elif not a.attested and a.who in self.keyed:  # their phone's key must sign
                parts.append(_text(t("keys.minutes.on_phone"), f"meeting-minutes-phone-{a.who}"))
            elif not a.attested:
                parts.append(
                    _button(
                        t("meeting.minutes.at_table"),
                        self._attest(a.who),
                        f"meeting-minutes-table-{a.who}",
                    )
                )
            rows.append(
                _ident(
                    ft.Row(parts, wrap=True, spacing=theme.GAP_PX),
                    f"meeting-minutes-attester-{a.who}",
                )
            )
        return ft.Column(rows)

    def _attest(self, member_id: str) -> Handler:
        async def attest() -> None:
            minutes = self.data.minutes
            assert minutes is not None
            if await self.submit(
                vm.attest_command(self.gid, self.month, minutes.minutes_hash, member_id)
            ):
                await self.view.rebuild()

        return attest

    # --- 9. prize payout ----------------------------------------------------------------

    def step_payout(self) -> ft.Control:
        p = self.data.payout
        assert p is not None
        t, m = self.t, self.money
        if not p.available:
            return _text(t("meeting.payout.none"), "meeting-payout-none")
        rows: list[ft.Control] = [
            _text(
                t("meeting.payout.winner", ticket=p.winner_ticket, name=p.winner_name),
                "meeting-payout-winner",
            ),
            _text(
                t(
                    "meeting.payout.amounts",
                    prize=m(p.prize_paise),
                    withheld=m(p.withheld_paise),
                    cash=m(p.cash_paise),
                ),
                "meeting-payout-cash",
            ),
        ]
        if p.pay_by_ms:
            key = "meeting.payout.overdue" if p.overdue else "meeting.payout.deadline"
            rows.append(_text(t(key, date=self.date(p.pay_by_ms)), "meeting-payout-deadline"))
        if p.paid:
            rows.append(
                _text(
                    t("meeting.payout.paid", amount=m(p.paid_paise), ref=p.bank_ref or "—"),
                    "meeting-payout-paid",
                )
            )
            return ft.Column(rows)
        rows.append(self._security(p))
        verdict_key = (
            "meeting.payout.banker_yes" if p.banker_granted else "meeting.payout.banker_no"
        )
        rows.append(_text(t(verdict_key, reason=p.banker_reason), "meeting-payout-banker"))
        if not p.minutes_complete:
            rows.append(_text(t("meeting.payout.minutes_first"), "meeting-payout-minutes"))
        typed = theme.amount_field(t("meeting.payout.typed"))
        ref = ft.TextField(label=t("meeting.payout.reference"), width=FIELD_WIDTH_PX)

        async def pay() -> None:
            problem = vm.payout_problem(p, str(typed.value or ""))
            if problem:
                self.say(problem)
                return
            if await self.submit(vm.payout_command(self.gid, self.month, str(ref.value or ""))):
                await self.view.rebuild()

        rows += [
            _ident(typed, "meeting-payout-typed"),
            _ident(ref, "meeting-payout-reference"),
            _button(t("meeting.payout.pay"), pay, "meeting-payout-pay", primary=True),
        ]
        return ft.Column(rows)

    def _security(self, p: vm.PayoutStep) -> ft.Control:
        t, m = self.t, self.money
        if p.security_ok:
            key = "meeting.payout.deducted" if p.deduction else "meeting.payout.secured"
            return _text(t(key, held=m(p.security_held_paise)), "meeting-payout-security")
        need = t(
            "meeting.payout.security_needed",
            amount=m(p.security_required_paise),
            months=p.months_left,
        )
        form = ft.RadioGroup(
            content=ft.Row(
                [ft.Radio(label=t(f"meeting.security.{f}"), value=f) for f in SECURITY_FORMS]
            ),
            value=SECURITY_FORMS[0],
        )
        detail = ft.TextField(label=t("meeting.payout.detail"), width=FIELD_WIDTH_PX)
        value = theme.amount_field(t("meeting.payout.value"))

        async def deduct() -> None:
            command = vm.security_command(
                self.gid, p.winner_ticket, "deduction", t("meeting.payout.deduction_detail")
            )
            if await self.submit(command):
                await self.view.rebuild()

        async def secure() -> None:
            if not str(detail.value or "").strip():
                self.say(vm.NEEDS_DETAIL)
                return
            try:
                paise = fmt.parse_rupees(str(value.value or ""))
            except ChitError as exc:
                self.view.refuse(exc.code)
                return
            command = vm.security_command(
                self.gid, p.winner_ticket, str(form.value), str(detail.value), paise
            )
            if await self.submit(command):
                await self.view.rebuild()

        return ft.Column(
            [
                _text(need, "meeting-payout-security"),
                _button(t("meeting.payout.deduct"), deduct, "meeting-payout-deduct", primary=True),
                _ident(form, "meeting-payout-form"),
                _ident(detail, "meeting-payout-detail"),
                _ident(value, "meeting-payout-value"),
                _button(t("meeting.payout.secure"), secure, "meeting-payout-secure"),
            ]
        )

    # --- 10. close ----------------------------------------------------------------------

    def step_close(self) -> ft.Control:
        c = self.data.close
        assert c is not None
        t, m = self.t, self.money
        yes, no = t("action.yes"), t("action.no")
        rows: list[ft.Control] = [
            _text(
                t("meeting.close.collected", amount=m(c.collected_paise), count=c.receipts),
                "meeting-close-collected",
            ),
            _text(
                t(
                    "meeting.close.prize",
                    name=c.winner_name or "—",
                    prize=m(c.prize_paise),
                    paid=yes if c.prize_paid else no,
                ),
                "meeting-close-prize",
            ),
            _text(
                t("meeting.close.minutes", done=yes if c.minutes_complete else no),
                "meeting-close-minutes",
            ),
            _text(
                t("meeting.close.cash", difference=m(c.difference_paise))
                if c.counted
                else t("meeting.close.cash_uncounted"),
                "meeting-close-cash",
            ),
        ]
        if self.witnesses is not None:
            rows.append(self.witnesses)
        if c.closed:
            rows.append(_text(t("meeting.close.done"), "meeting-close-done"))
            return ft.Column(rows)

        async def close() -> None:
            meeting_desk.close_meeting(self.branch_id, self.gid, self.month)
            await self.view.go(STAFF_HOME)

        rows.append(_button(t("meeting.close.action"), close, "meeting-close-action", primary=True))
        return ft.Column(rows)


# --- the screen ---------------------------------------------------------------------------

_LISTENING: weakref.WeakSet[SessionView] = weakref.WeakSet()


def _follow_desk(view: SessionView) -> None:
    """Rebuild this session's meeting screen when the desk changes (a phone checked in)."""

    def wants(seen: SessionView, group_id: str) -> bool:
        return seen.route == ROUTE and seen.params.get("group") == group_id

    meeting_desk.follow(view, _LISTENING, wants)


async def build(view: SessionView) -> ft.Control:
    group, month, step = _params(view)

    def read(r: Reading) -> tuple[str, vm.MeetingVM]:
        held_month = month or (vm.meeting_month(r.state, group) if group else 0)
        desk = meeting_desk.meeting(r.branch_id, group, held_month) if group else None
        holds = bool(group) and meeting_desk.lot_secret(r.folder, group, held_month) is not None
        if holds and vm.lot_spent(r.state, group, held_month):  # revealed here or on /auction
            meeting_desk.forget_lot(r.folder, group, held_month)
            holds = False
        return r.branch_id, vm.build_meeting(r, group, held_month, step, desk, holds_lot=holds)

    branch_id, data = await view.read(read)
    _follow_desk(view)
    screen = _Screen(view, branch_id, data)
    if data.step == "minutes":
        screen.keyed = await view.read(lambda r: keys_vm.keyed_members(r.state))
    elif data.step == "close" and screen.gid:
        screen.witnesses = await keys.witness_section(view, screen.gid, screen.month)
    return screen.layout()


def watches(event: Event) -> bool:
    """A meeting screen follows its group's entries (payments, bids, the draw, attestations)."""
    return bool(event.group_id)


SCREENS = [Screen(ROUTE, STAFF, "meeting.screen_title", build, watches)]
