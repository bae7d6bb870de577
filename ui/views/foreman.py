"""The foreman's screens on the laptop: home, one group, a new group, a new member.

Thin builders over ui/vm/foreman.py and ui/vm/setup.py: each screen reads its view-model
on the node thread, lays it out, and its buttons submit the commands the view-models
build. A refusal (the kernel's or a form's) is shown in words; a field the form cannot
read gets its sentence under the field. Every text a test reads has a Semantics id:
"home-...", "group-...", "newgroup-...", "setup-...", "member-...".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from chitnode.errors import ChitError
from chitnode.services import staff_key
from chitnode.services.events import Event
from sync import limits as sync_limits
from sync.invite.pins import make_verifier
from ui import fmt, i18n, theme
from ui.auth import set_member_pin
from ui.shell import STAFF, STAFF_HOME, Screen, SessionView
from ui.vm import foreman as vm
from ui.vm import setup

NEW_GROUP = "/groups/new"
SETUP = "/groups/setup"  # a forming group: tickets, the agreement, signatures, the start
GROUP = "/group"
NEW_MEMBER = "/members/new"
MEETING = "/meeting"
FIELD_WIDTH_PX = 320  # one field of a form: fits beside another on the laptop
KEY_SHOWN_CHARS = 12  # of a device key or a terms hash: enough to compare by eye
TITLE_SIZE = 24

Handler = Callable[..., Awaitable[None]]


def labelled(identifier: str, control: ft.Control) -> ft.Control:
    return ft.Semantics(content=control, identifier=identifier)


def text(identifier: str, value: str, **kw: Any) -> ft.Control:
    # `visible` goes on the wrapper: a Semantics over a hidden control is a Flet error box
    # in the browser ("Semantics.content must be provided and visible").
    visible = bool(kw.pop("visible", True))
    return ft.Semantics(content=ft.Text(value, **kw), identifier=identifier, visible=visible)


def title(identifier: str, value: str) -> ft.Control:
    control = ft.Text(value, size=TITLE_SIZE, weight=ft.FontWeight.BOLD)
    return ft.Semantics(content=control, identifier=identifier, header=True)


def button(
    identifier: str, label: str, on_click: Handler | None, *, primary: bool = False
) -> ft.Control:
    return labelled(identifier, theme.action_button(label, on_click, primary=primary))


def go_to(view: SessionView, route: str, **params: str) -> Handler:
    async def go(_: object = None) -> None:
        await view.go(route, **params)

    return go


def words_for(view: SessionView, words: str) -> str:
    """A form problem's sentence: an error code's through error_text, others by key."""
    if words.startswith(i18n.ERROR_PREFIX):
        return i18n.error_text(view.lang, words[len(i18n.ERROR_PREFIX) :])
    return view.t(words)


def _group_event(event: Event) -> bool:
    return bool(event.group_id)


# What changes a forming group's set-up: a signature arriving from a phone, above all.
SETUP_KINDS = frozenset(
    {"group.created", "ticket.assigned", "agreement.published", "agreement.signed", "group.started"}
)


def _setup_event(event: Event) -> bool:
    return event.kind in SETUP_KINDS


def _no_event(event: Event) -> bool:
    return False  # a form being typed is never rebuilt under the foreman's fingers


def _home_event(event: Event) -> bool:
    return bool(event.group_id) or event.kind.startswith(("member.", "kyc.", "lease."))


# --- home ---------------------------------------------------------------------------------


def progress_words(view: SessionView, line: vm.GroupLine) -> str:
    if line.status == "forming":
        return view.t("foreman.progress.forming", signed=line.signed, holders=line.holders)
    if line.status == "closed":
        return view.t("foreman.progress.closed", months=line.months)
    return view.t("foreman.progress.month", month=line.month, months=line.months)


def health_words(view: SessionView, line: vm.GroupLine) -> str:
    return view.t(
        "foreman.health",
        pool=view.money(line.pool_paise),
        paid=line.tickets_paid,
        tickets=line.tickets,
        defaults=line.active_defaults,
        commission=view.money(line.commission_earned_paise),
    )


def lease_words(view: SessionView, line: vm.GroupLine) -> str:
    return view.t(f"foreman.lease.{line.lease}", term=line.lease_term)


def meeting_words(view: SessionView, line: vm.GroupLine) -> str:
    day = fmt.date_local(line.meeting_ms, lang=view.lang) if line.meeting_ms else ""
    return view.t(f"foreman.meeting.{line.meeting}", day=day, month=line.month)


def group_card(view: SessionView, line: vm.GroupLine) -> ft.Control:
    gid = line.group_id
    ident = f"home-group-{gid}"
    actions: list[ft.Control] = []
    if line.status == "running":
        actions.append(
            button(f"{ident}-run", view.t("foreman.run_meeting"), go_to(view, MEETING, group=gid))
        )
    actions.append(button(f"{ident}-open", view.t("foreman.group"), go_to(view, GROUP, group=gid)))
    bar = ft.ProgressBar(
        value=line.months_done / line.months if line.months else 0,
        semantics_label=progress_words(view, line),  # a screen reader says "Month 7 of 20"
    )
    body = ft.Column(
        [
            text(f"{ident}-name", f"{line.name} ({gid})", size=18, weight=ft.FontWeight.BOLD),
            text(f"{ident}-progress", progress_words(view, line)),
            bar,
            text(f"{ident}-health", health_words(view, line), visible=line.status != "forming"),
            text(f"{ident}-meeting", meeting_words(view, line), visible=line.status == "running"),
            text(f"{ident}-lease", lease_words(view, line), size=12),
            ft.Row(actions, spacing=theme.GAP_PX, wrap=True),
        ],
        spacing=theme.GAP_PX,
    )
    card = ft.Card(content=ft.Container(content=body, padding=theme.GAP_PX * 2))
    return ft.Semantics(content=card, identifier=ident, container=True)


def totals_row(view: SessionView, home: vm.Home) -> ft.Control:
    figures = [
        ("home-total-pool", "foreman.total.pool", view.money(home.pool_total_paise)),
        (
            "home-total-collected",
            "foreman.total.collected",
            view.money(home.collected_this_month_paise),
        ),
        ("home-total-defaults", "foreman.total.defaults", str(home.active_defaults)),
        ("home-total-members", "foreman.total.members", str(home.members)),
    ]
    return ft.Row(
        [theme.big_number(view.t(key), value, identifier=ident) for ident, key, value in figures],
        wrap=True,
        spacing=theme.GAP_PX * 4,
    )


def meetings_today(view: SessionView, home: vm.Home) -> ft.Control:
    lines = {line.group_id: line for line in home.groups}
    rows: list[ft.Control] = [text("home-meetings-title", view.t("foreman.today"), size=20)]
    if not home.meetings_today:
        rows.append(text("home-meetings-none", view.t("foreman.today.none")))
    for gid in home.meetings_today:
        line = lines[gid]
        rows.append(
            ft.Row(
                [
                    text(f"home-meeting-{gid}", f"{line.name}: {meeting_words(view, line)}"),
                    button(
                        f"home-meeting-{gid}-run",
                        view.t("foreman.run_meeting"),
                        go_to(view, MEETING, group=gid),
                        primary=True,
                    ),
                ],
                wrap=True,
                spacing=theme.GAP_PX,
            )
        )
    return labelled("home-meetings", ft.Column(rows, spacing=theme.GAP_PX))


def home_controls(view: SessionView, home: vm.Home) -> ft.Control:
    device = view.t(
        "foreman.device",
        role=home.device_role or "-",
        device_key=home.device_key[:KEY_SHOWN_CHARS],
    )
    return ft.Column(
        [
            title("home-branch", home.branch_name or home.branch_id),
            text("home-device", device),
            totals_row(view, home),
            text(
                "home-kyc-pending",
                view.t("foreman.kyc_pending", count=home.kyc_pending),
                visible=home.kyc_pending > 0,
            ),
            ft.Row(
                [
                    button(
                        "home-new-group",
                        view.t("foreman.new_group"),
                        go_to(view, NEW_GROUP),
                        primary=True,
                    ),
                    button(
                        "home-new-member", view.t("foreman.new_member"), go_to(view, NEW_MEMBER)
                    ),
                ],
                spacing=theme.GAP_PX,
                wrap=True,
            ),
            meetings_today(view, home),
            text("home-groups-title", view.t("foreman.groups"), size=20),
            *[group_card(view, line) for line in home.groups],
        ],
        spacing=theme.GAP_PX * 2,
    )


async def build_home(view: SessionView) -> ft.Control:
    home = await view.read(vm.home)
    return home_controls(view, home)


# --- one group ----------------------------------------------------------------------------


def ticket_row(view: SessionView, line: vm.TicketLine) -> ft.Control:
    ident = f"group-ticket-{line.ticket}"
    parts: list[ft.Control] = [
        text(
            f"{ident}-holder",
            view.t("foreman.ticket", ticket=line.ticket, name=line.name, member=line.member_id),
        ),
        signature_chip(view, line.status == vm.SIGNED, f"{ident}-status")
        if line.status in (vm.SIGNED, vm.PENDING)
        else theme.status_chip(line.status, view.t, identifier=f"{ident}-status"),
    ]
    if line.arrears_paise:
        parts.append(
            text(
                f"{ident}-arrears", view.t("foreman.arrears", amount=view.money(line.arrears_paise))
            )
        )
    return labelled(ident, ft.Row(parts, wrap=True, spacing=theme.GAP_PX))


def group_controls(view: SessionView, page: vm.GroupPage) -> ft.Control:
    line = page.line
    gid = line.group_id
    actions: list[ft.Control] = []
    if line.status == "running":
        actions.append(
            button(
                "group-run",
                view.t("foreman.run_meeting"),
                go_to(view, MEETING, group=gid),
                primary=True,
            )
        )
    if line.status == "forming":
        actions.append(
            button(
                "group-setup", view.t("foreman.setup"), go_to(view, SETUP, group=gid), primary=True
            )
        )
    actions.append(button("group-home", view.t("nav.home"), go_to(view, STAFF_HOME)))
    agreement = (
        view.t("foreman.agreement.published", hash=page.agreement_hash[:KEY_SHOWN_CHARS])
        if page.agreement_hash
        else view.t("foreman.agreement.none")
    )
    rows: list[ft.Control] = [
        title("group-name", f"{line.name} ({gid})"),
        text("group-progress", progress_words(view, line)),
        text(
            "group-terms",
            view.t(
                "foreman.terms",
                value=view.money(page.chit_value_paise),
                tickets=line.tickets,
                instalment=view.money(page.first_instalment_paise),
            ),
        ),
        text("group-health", health_words(view, line)),
        text("group-meeting", meeting_words(view, line)),
        text("group-agreement", agreement),
    ]
    if page.unsigned:
        rows.append(
            text("group-unsigned", view.t("foreman.unsigned", members=", ".join(page.unsigned)))
        )
    rows.append(ft.Row(actions, spacing=theme.GAP_PX, wrap=True))
    rows.extend(ticket_row(view, t) for t in page.tickets)
    if page.free_tickets:
        free = ", ".join(str(n) for n in page.free_tickets)
        rows.append(text("group-free", view.t("foreman.free_tickets", tickets=free)))
    if page.months:
        rows.append(title("group-months", view.t("foreman.months")))
        rows.extend(month_row(view, m) for m in page.months)
    return ft.Column(rows, spacing=theme.GAP_PX * 2)


def month_row(view: SessionView, m: vm.MonthLine) -> ft.Control:
    """One settled month: who took the prize and how, the figures, and whether it is paid."""
    said = view.t(
        "foreman.month_line",
        month=m.month,
        ticket=m.winner_ticket,
        name=m.winner_name,
        how=view.t("foreman.by_lot" if m.by_lot else "foreman.by_bid"),
        discount=view.money(m.discount_paise),
        prize=view.money(m.prize_paise),
        paid=view.t("foreman.prize_paid" if m.prize_paid else "foreman.prize_unpaid"),
        share=view.money(m.dividend_paise),
        next=view.money(m.next_instalment_paise),
    )
    return text(f"group-month-{m.month}", said)


async def build_group(view: SessionView) -> ft.Control:
    gid = view.params.get("group", "")
    page = await view.read(lambda r: vm.group_page(r, gid))
    return group_controls(view, page)


# --- a new group --------------------------------------------------------------------------

# The form's fields: (GroupForm attribute, catalogue key of its label, typed as a number).
GROUP_FIELDS = (
    ("group_id", "foreman.form.group_id", False),
    ("name", "foreman.form.name", False),
    ("chit_value", "foreman.form.chit_value", True),
    ("tickets", "foreman.form.tickets", True),
    ("commission_pct", "foreman.form.commission_pct", True),
    ("max_discount_pct", "foreman.form.max_discount_pct", True),
    ("min_discount", "foreman.form.min_discount", True),
    ("bid_increment", "foreman.form.bid_increment", True),
    ("meeting_day", "foreman.form.meeting_day", True),
)
GROUP_CHOICES = (
    ("commission_mode", "foreman.form.commission_mode", setup.COMMISSION_MODES),
    ("first_month", "foreman.form.first_month", setup.FIRST_MONTHS),
    ("dividend_to", "foreman.form.dividend_to", setup.DIVIDEND_TOS),
    ("consent", "foreman.form.consent", setup.CONSENTS),
)


class GroupFormView:
    """The create-a-group form: fields, the preview, and the confirm that writes it."""

    def __init__(
        self, view: SessionView, defaults: setup.GroupForm, *, consent_locked: bool = False
    ) -> None:
        self.view = view
        self.fields: dict[str, ft.TextField] = {}
        for name, key, number in GROUP_FIELDS:
            self.fields[name] = ft.TextField(
                label=view.t(key),
                value=str(getattr(defaults, name)),
                width=FIELD_WIDTH_PX,
                keyboard_type=ft.KeyboardType.NUMBER if number else ft.KeyboardType.TEXT,
                on_change=self.changed,
            )
        self.choices: dict[str, ft.Dropdown] = {}
        for name, key, values in GROUP_CHOICES:
            self.choices[name] = ft.Dropdown(
                label=view.t(key),
                value=str(getattr(defaults, name)),
                options=[
                    ft.DropdownOption(key=v, text=view.t(f"foreman.{name}.{v}")) for v in values
                ],
                width=FIELD_WIDTH_PX,
                on_select=self.changed,
            )
        # The branch requires members to sign: a fact of every new group, not a choice.
        self.choices["consent"].disabled = consent_locked
        self.preview_box = ft.Column([], spacing=theme.GAP_PX)
        self.confirm = theme.action_button(view.t("foreman.form.create"), self.create, primary=True)
        self.confirm.disabled = True
        self.body: dict[str, Any] | None = None

    def form(self) -> setup.GroupForm:
        typed = {name: field.value or "" for name, field in self.fields.items()}
        chosen = {name: d.value or "" for name, d in self.choices.items()}
        return setup.GroupForm(**typed, **chosen)

    def clear_errors(self) -> None:
        for field in self.fields.values():
            field.error = None
        for choice in self.choices.values():
            choice.error_text = None

    def show_problem(self, problem: setup.FormProblem) -> None:
        words = words_for(self.view, problem.words)
        if problem.field in self.fields:
            self.fields[problem.field].error = words
        elif problem.field in self.choices:
            self.choices[problem.field].error_text = words
        else:
            self.view.refuse(problem.code)

    async def changed(self, _: object = None) -> None:
        """A changed term voids the preview: the foreman confirms only what was shown."""
        self.body = None
        self.confirm.disabled = True
        self.preview_box.controls = []

    async def show_preview(self, _: object = None) -> None:
        await self.changed()
        self.clear_errors()
        try:
            body = setup.group_body(self.form())
            shown = await self.view.read(lambda r: setup.preview(r, body))
        except setup.FormProblem as problem:
            self.show_problem(problem)
            return
        except ChitError as exc:
            self.view.refuse(exc.code)
            return
        self.view.clear_banner()
        self.body = body
        self.preview_box.controls = preview_lines(self.view, shown)
        self.confirm.disabled = False

    async def create(self, _: object = None) -> None:
        if self.body is None:
            return
        kind, body = setup.create_group(self.body)
        if await self.view.submit(kind, body) is not None:
            await self.view.go(SETUP, group=str(body["group_id"]))

    def controls(self) -> ft.Control:
        view = self.view
        inputs: list[ft.Control] = [
            labelled(f"newgroup-{name}", field) for name, field in self.fields.items()
        ]
        inputs += [labelled(f"newgroup-{name}", d) for name, d in self.choices.items()]
        return ft.Column(
            [
                title("newgroup-title", view.t("foreman.new_group")),
                text("newgroup-hint", view.t("foreman.form.hint")),
                ft.Row(inputs, wrap=True, spacing=theme.GAP_PX * 2, run_spacing=theme.GAP_PX * 2),
                ft.Row(
                    [
                        button(
                            "newgroup-preview-button",
                            view.t("foreman.form.preview"),
                            self.show_preview,
                        ),
                        button("newgroup-home", view.t("nav.home"), go_to(view, STAFF_HOME)),
                    ],
                    spacing=theme.GAP_PX,
                    wrap=True,
                ),
                labelled("newgroup-preview", self.preview_box),  # read it, then confirm
                labelled("newgroup-create", self.confirm),
            ],
            spacing=theme.GAP_PX * 2,
        )


def preview_lines(view: SessionView, p: setup.Preview) -> list[ft.Control]:
    money = view.money
    lines: list[tuple[str, str, dict[str, object]]] = [
        (
            "newgroup-preview-value",
            "foreman.preview.value",
            {"value": fmt.rupees_with_words(p.chit_value_paise, view.lang), "tickets": p.tickets},
        ),
        (
            "newgroup-preview-instalment",
            "foreman.preview.instalment",
            {
                "amount": money(p.first_instalment_paise),
                "subscription": money(p.subscription_paise),
            },
        ),
        (
            "newgroup-preview-commission",
            "foreman.preview.commission",
            {
                "rate": fmt.percent(p.commission_bps),
                "amount": money(p.commission_paise),
                "total": money(p.commission_total_paise),
                "mode": view.t(f"foreman.commission_mode.{p.commission_mode}"),
            },
        ),
        (
            "newgroup-preview-discount",
            "foreman.preview.discount",
            {
                "low": money(p.min_discount_paise),
                "high": money(p.max_discount_paise),
                "rate": fmt.percent(p.max_discount_bps),
                "step": money(p.bid_increment_paise),
            },
        ),
        (
            "newgroup-preview-prize",
            "foreman.preview.prize",
            {
                "low": fmt.rupees_with_words(p.prize_low_paise, view.lang),
                "high": fmt.rupees_with_words(p.prize_high_paise, view.lang),
            },
        ),
    ]
    out = [text(ident, view.t(key, **kw)) for ident, key, kw in lines]
    out.append(text("newgroup-preview-consent", consent_words(view, p)))
    if p.ceiling_bps:
        out.append(
            text(
                "newgroup-preview-ceiling",
                view.t("foreman.preview.ceiling", rate=fmt.percent(p.ceiling_bps)),
            )
        )
    return out


def consent_words(view: SessionView, p: setup.Preview) -> str:
    """Whose word a member's consent will be in this group, in plain words."""
    if not p.consent_signed:
        return view.t("foreman.preview.consent_as_before")
    words = view.t("foreman.preview.consent_signed")
    return (
        f"{words} {view.t('foreman.preview.consent_by_branch')}" if p.consent_by_branch else words
    )


def signature_chip(view: SessionView, signed: bool, identifier: str) -> ft.Control:
    """Signed or not, as a chip (icon, colour, word): the looks of "settled" and "pending"
    with the set-up's own words, so a signature never reads as a payment."""
    word = view.t("foreman.setup.has_signed" if signed else "foreman.setup.not_signed")

    def t(key: str, **kw: object) -> str:
        return word if key.startswith("status.") else view.t(key, **kw)

    return theme.status_chip(vm.SIGNED if signed else vm.PENDING, t, identifier=identifier)


def forming_controls(view: SessionView, state: setup.Forming) -> ft.Control:
    gid = state.group_id

    async def publish(_: object = None) -> None:
        kind, body = await view.read(lambda r: setup.publish_agreement(r, gid))
        if await view.submit(kind, body) is not None:
            await view.rebuild()

    async def start(_: object = None) -> None:
        kind, body = setup.start_group(gid)
        if await view.submit(kind, body) is not None:
            await view.go(GROUP, group=gid)

    publish_label = view.t(
        "foreman.setup.published" if state.published else "foreman.setup.publish"
    )
    publish_button = theme.action_button(publish_label, publish, primary=state.can_publish)
    publish_button.disabled = not state.can_publish
    start_button = theme.action_button(
        view.t("foreman.setup.start"), start, primary=state.can_start
    )
    start_button.disabled = not state.can_start
    rows: list[ft.Control] = [
        title("setup-title", f"{state.name} ({gid})"),
        text(
            "setup-count",
            view.t("foreman.setup.count", assigned=len(state.assigned), tickets=state.tickets),
        ),
        text("setup-hash", view.t("foreman.setup.hash", hash=state.terms_hash[:KEY_SHOWN_CHARS])),
    ]
    if state.signed_consent:
        rows.append(text("setup-consent", view.t("foreman.setup.consent_signed")))
    if state.unpaired and state.status == "forming":
        unpaired = ", ".join(state.unpaired)
        rows.append(text("setup-unpaired", view.t("foreman.setup.unpaired", members=unpaired)))
    if state.published:
        holders = len(state.signed) + len(state.unsigned)
        signed = view.t("foreman.setup.signed", signed=len(state.signed), holders=holders)
        rows.append(text("setup-signatures", signed))
    if state.free_tickets and state.status == "forming":
        rows.append(assign_row(view, state))
    rows.append(
        ft.Row(
            [
                labelled("setup-publish", publish_button),
                labelled("setup-start", start_button),
                button("setup-group", view.t("foreman.group"), go_to(view, GROUP, group=gid)),
            ],
            spacing=theme.GAP_PX,
            wrap=True,
        )
    )
    for number, member_id, name in state.assigned:
        holder = view.t("foreman.ticket", ticket=number, name=name, member=member_id)
        parts = [text(f"setup-ticket-{number}", holder)]
        if state.published:
            ident = f"setup-sign-{member_id}"
            parts.append(signature_chip(view, member_id in state.signed, ident))
        rows.append(ft.Row(parts, spacing=theme.GAP_PX, wrap=True))
    return ft.Column(rows, spacing=theme.GAP_PX * 2)


def assign_row(view: SessionView, state: setup.Forming) -> ft.Control:
    gid = state.group_id
    taken = {member_id for _, member_id, _ in state.assigned}
    ticket = ft.Dropdown(
        label=view.t("foreman.setup.ticket"),
        value=str(state.free_tickets[0]),
        options=[ft.DropdownOption(key=str(n), text=str(n)) for n in state.free_tickets],
        width=FIELD_WIDTH_PX // 2,
    )
    member = ft.Dropdown(
        label=view.t("foreman.setup.member"),
        options=[
            ft.DropdownOption(
                key=c.member_id,
                text=view.t("foreman.setup.candidate", member=c.member_id, name=c.name, kyc=c.kyc)
                + (" *" if c.member_id in taken else ""),
            )
            for c in state.candidates
        ],
        width=FIELD_WIDTH_PX,
    )

    async def assign(_: object = None) -> None:
        if not member.value or not ticket.value:
            member.error_text = view.t("foreman.form.required")
            return
        kind, body = setup.assign_ticket(gid, int(ticket.value), member.value)
        if await view.submit(kind, body) is not None:
            await view.rebuild()

    many = ft.TextField(label=view.t("foreman.setup.many"), width=FIELD_WIDTH_PX * 2)

    async def assign_many(_: object = None) -> None:
        many.error = None
        try:
            commands = setup.assign_in_order(state, many.value or "")
        except setup.FormProblem as problem:
            many.error = words_for(view, problem.words)
            return
        for command in commands:  # in ticket order; the first refusal stops the rest
            if await view.submit(*command) is None:
                break
        await view.rebuild()

    return ft.Column(
        [
            ft.Row(
                [
                    labelled("setup-assign-ticket", ticket),
                    labelled("setup-assign-member", member),
                    button("setup-assign", view.t("foreman.setup.assign"), assign, primary=True),
                ],
                spacing=theme.GAP_PX,
                wrap=True,
            ),
            ft.Row(
                [
                    labelled("setup-assign-many", many),
                    button(
                        "setup-assign-many-button", view.t("foreman.setup.assign_many"), assign_many
                    ),
                ],
                spacing=theme.GAP_PX,
                wrap=True,
            ),
        ],
        spacing=theme.GAP_PX,
    )


async def build_new_group(view: SessionView) -> ft.Control:
    defaults, locked = await view.read(
        lambda r: (setup.form_defaults(r), setup.consent_required(r))
    )
    return GroupFormView(view, defaults, consent_locked=locked).controls()


async def build_setup(view: SessionView) -> ft.Control:
    gid = view.params.get("group", "")
    state = await view.read(lambda r: setup.forming(r, gid))
    return forming_controls(view, state)


# --- a new member -------------------------------------------------------------------------

MEMBER_FIELDS = (
    ("member_id", "foreman.member.member_id", False),
    ("name", "foreman.member.name", False),
    ("pan", "foreman.member.pan", False),
    ("bank_account", "foreman.member.bank_account", True),
    ("ifsc", "foreman.member.ifsc", False),
    ("phone", "foreman.member.phone", True),
)


class MemberFormView:
    """Register, KYC (sealed), approve, PIN: one confirm, each step the kernel's to refuse."""

    def __init__(self, view: SessionView, member_id: str) -> None:
        self.view = view
        self.fields = {
            name: ft.TextField(
                label=view.t(key),
                value=member_id if name == "member_id" else "",
                width=FIELD_WIDTH_PX,
                keyboard_type=ft.KeyboardType.NUMBER if number else ft.KeyboardType.TEXT,
            )
            for name, key, number in MEMBER_FIELDS
        }
        pin_label = view.t("foreman.member.pin", digits=sync_limits.PIN_DIGITS)
        self.pin = ft.TextField(
            label=pin_label,
            password=True,
            keyboard_type=ft.KeyboardType.NUMBER,
            width=FIELD_WIDTH_PX,
        )
        self.pin_again = ft.TextField(
            label=view.t("foreman.member.pin_again"),
            password=True,
            keyboard_type=ft.KeyboardType.NUMBER,
            width=FIELD_WIDTH_PX,
        )
        self.approve = ft.Checkbox(label=view.t("foreman.member.approve"), value=True)
        self.done = ft.Text("")

    def form(self) -> setup.MemberForm:
        return setup.MemberForm(**{name: f.value or "" for name, f in self.fields.items()})

    def all_fields(self) -> dict[str, ft.TextField]:
        return {**self.fields, "pin": self.pin, "pin_again": self.pin_again}

    def check(self) -> tuple[setup.MemberForm, str]:
        """Everything the form can check before the first write, so a typo leaves no half."""
        form = self.form()
        setup.register_member(form)
        setup.kyc_fields(form)
        pin = self.pin.value or ""
        if len(pin) != sync_limits.PIN_DIGITS or not (pin.isascii() and pin.isdigit()):
            raise setup.FormProblem("pin", "error.bad_pin")
        setup.pins_match(pin, self.pin_again.value or "")
        return form, pin

    async def register(self, _: object = None) -> None:
        view = self.view
        for field in self.all_fields().values():
            field.error = None
        self.done.value = ""
        try:
            form, pin = self.check()
        except setup.FormProblem as problem:
            self.all_fields()[problem.field].error = words_for(view, problem.words)
            return
        self.pin.value = self.pin_again.value = ""
        if await enrol(view, form, pin, approve=bool(self.approve.value)):
            self.done.value = view.t(
                "foreman.member.done", member=form.member_id.strip(), name=form.name.strip()
            )

    def controls(self) -> ft.Control:
        view = self.view
        inputs = [labelled(f"member-{name}", f) for name, f in self.all_fields().items()]
        return ft.Column(
            [
                title("member-title", view.t("foreman.new_member")),
                text("member-hint", view.t("foreman.member.hint")),
                ft.Row(inputs, wrap=True, spacing=theme.GAP_PX * 2, run_spacing=theme.GAP_PX * 2),
                labelled("member-approve", self.approve),
                ft.Row(
                    [
                        button(
                            "member-register",
                            view.t("foreman.member.register"),
                            self.register,
                            primary=True,
                        ),
                        button("member-home", view.t("nav.home"), go_to(view, STAFF_HOME)),
                    ],
                    spacing=theme.GAP_PX,
                    wrap=True,
                ),
                labelled("member-done", self.done),
            ],
            spacing=theme.GAP_PX * 2,
        )


async def enrol(view: SessionView, form: setup.MemberForm, pin: str, *, approve: bool) -> bool:
    """The member's writes in order; stops at the first refusal (shown in words). What can
    fail without the kernel (the staff key, hashing the PIN) is done before any write."""
    register = setup.register_member(form)
    member_id = str(register[1]["member_id"])
    try:
        key = await view.backend.nt.run(staff_key.ensure_staff_key)
        kyc = setup.submit_kyc(form, key)
        verifier = await asyncio.to_thread(make_verifier, pin)  # argon2id: off the loop
    except ChitError as exc:
        view.refuse(exc.code)
        return False
    for command in (register, kyc, *([setup.approve_kyc(member_id)] if approve else [])):
        if await view.submit(*command) is None:
            return False
    try:
        await view.read(lambda r: set_member_pin(r, member_id, verifier))
    except ChitError as exc:
        view.refuse(exc.code)
        return False
    return True


def pending_controls(view: SessionView, pending: tuple[setup.PendingKyc, ...]) -> ft.Control:
    """Members whose KYC waits for a staff check, each with its approval."""
    rows: list[ft.Control] = [
        text("member-pending-title", view.t("foreman.member.pending"), size=20)
    ]
    if not pending:
        rows.append(text("member-pending-none", view.t("foreman.member.pending_none")))

    def approver(member_id: str) -> Handler:
        async def approve(_: object = None) -> None:
            if await view.submit(*setup.approve_kyc(member_id)) is not None:
                await view.rebuild()

        return approve

    for item in pending:
        shown = view.t(
            "foreman.member.pending_line",
            member=item.member_id,
            name=item.name,
            pan=item.pan_masked,
            phone=item.phone_masked,
        )
        rows.append(
            ft.Row(
                [
                    text(f"member-pending-{item.member_id}", shown),
                    button(
                        f"member-pending-{item.member_id}-approve",
                        view.t("foreman.member.approve_one"),
                        approver(item.member_id),
                    ),
                ],
                wrap=True,
                spacing=theme.GAP_PX,
            )
        )
    return ft.Column(rows, spacing=theme.GAP_PX)


async def build_new_member(view: SessionView) -> ft.Control:
    member_id, pending = await view.read(
        lambda r: (setup.next_member_id(r.state), setup.pending_kyc(r.state))
    )
    form = MemberFormView(view, member_id).controls()
    return ft.Column([form, pending_controls(view, pending)], spacing=theme.GAP_PX * 4)


SCREENS = [
    Screen(STAFF_HOME, STAFF, "foreman.title.home", build_home, watches=_home_event),
    Screen(GROUP, STAFF, "foreman.title.group", build_group, watches=_group_event),
    Screen(NEW_GROUP, STAFF, "foreman.title.new_group", build_new_group, watches=_no_event),
    Screen(SETUP, STAFF, "foreman.title.setup", build_setup, watches=_setup_event),
    Screen(NEW_MEMBER, STAFF, "foreman.title.new_member", build_new_member, watches=_no_event),
]
