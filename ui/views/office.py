"""The back office for staff (issue 13, "Employees"): five screens on the laptop or the
branch desktop, one tab row between them.

- "/kyc": members whose KYC waits, masked; full values only on asking, and only if this
  device's role may see them and it holds the staff key (as `chitnode kyc show`);
  approve, reject with a reason, or tick several and approve them in one entry.
- "/loans/inbox": applications oldest first with their age, the eligibility badge, the
  risk score and its parts, the Banker's check in words; approve, reject, sanction and
  disburse (the node takes the pool's lease for the coordinated two).
- "/recovery": one column per stage of the recovery machine; a card moves one legal step
  by a button, with the note the kernel requires.
- "/bank": pending deposits and withdrawals with this node's tries and the bank's answers;
  settle or refuse one by hand with the bank's reference (as `chitnode bank-settle`);
  the e-mail outbox (sent, waiting, failed and why).
- "/activity": the latest entries of the log, newest first, filtered and paged.

Thin: the view-models (ui/vm/office.py) read and build commands; the kernel judges. What
the node keeps outside the fold (its bank attempts, its mail outbox, the stored entries,
the staff key) is read here, on the node thread, and handed to the view-models as data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import flet as ft

from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.services.events import Event
from chitnode.store.bank_outbox import OUTBOX_FILE as BANK_OUTBOX_FILE
from chitnode.store.bank_outbox import Attempt, OutboxTable
from chitnode.store.mail_outbox import OUTBOX_FILE as MAIL_OUTBOX_FILE
from chitnode.store.mail_outbox import Outbox, OutboxRow
from ui import limits
from ui.backend import Reading, reading_of
from ui.shell import STAFF, Screen, SessionView
from ui.theme import GAP_PX, STATUS_LOOKS, TOUCH_TARGET_PX, badge
from ui.vm import office as vm

T = TypeVar("T")
Handler = Callable[[], Awaitable[None]]

KYC, LOANS, RECOVERY, BANK, ACTIVITY = "/kyc", "/loans/inbox", "/recovery", "/bank", "/activity"
TABS = (
    (KYC, "kyc", "office.title.kyc"),
    (LOANS, "loans", "office.title.loans"),
    (RECOVERY, "recovery", "office.title.recovery"),
    (BANK, "bank", "office.title.bank"),
    (ACTIVITY, "activity", "office.title.activity"),
)
FIELD_WIDTH_PX = 260
COLUMN_WIDTH_PX = 232  # one recovery column: four fit side by side on a 1024-px laptop
CARD_PADDING_PX = 12
DRAG_GROUP = "recovery"  # a recovery card drops only on a recovery column


# --- pieces ---------------------------------------------------------------------------------


async def on_node(view: SessionView, fn: Callable[[Node, Reading], T]) -> T:
    """Run `fn` on the node thread with the node (for what it keeps outside the fold)."""
    backend = view.backend
    folder = backend.folder
    return await backend.nt.run(lambda node: fn(node, reading_of(node, folder)))


def bound(fn: Callable[..., Awaitable[object]], *args: Any) -> Handler:
    """A click handler calling `fn(*args)`: Flet passes an event to a handler that takes
    parameters, so a loop's values are bound here, not as a handler's defaults."""

    async def handler() -> None:
        await fn(*args)

    return handler


def said(text: str, identifier: str, **style: Any) -> ft.Control:
    return ft.Semantics(content=ft.Text(text, **style), identifier=identifier)


def button(label: str, on_click: Handler, identifier: str, *, primary: bool = False) -> ft.Control:
    kind = ft.FilledButton if primary else ft.OutlinedButton
    return ft.Semantics(
        content=kind(content=label, on_click=on_click, height=TOUCH_TARGET_PX),
        identifier=identifier,
    )


def field(label: str, identifier: str, value: str = "") -> ft.TextField:
    box = ft.TextField(label=label, value=value, width=FIELD_WIDTH_PX, dense=True)
    box.data = identifier
    return box


def wrap(box: ft.TextField) -> ft.Control:
    return ft.Semantics(content=box, identifier=str(box.data))


def card(controls: list[ft.Control], identifier: str) -> ft.Control:
    return ft.Semantics(
        content=ft.Container(
            content=ft.Column(controls, spacing=GAP_PX // 2, tight=True),
            padding=CARD_PADDING_PX,
            border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
            border_radius=8,
        ),
        identifier=identifier,
    )


def look(word: str, status: str, identifier: str) -> ft.Control:
    """A badge in the theme's look for `status` (paid, pending, failed ...) with `word`."""
    return badge(STATUS_LOOKS[status], word, identifier=identifier)


def frame(view: SessionView, route: str, body: list[ft.Control]) -> ft.Control:
    """The office's title and its tabs above a screen's body."""
    return tabbed(view, route, body, TABS, "office")


def tabbed(
    view: SessionView,
    route: str,
    body: list[ft.Control],
    places: tuple[tuple[str, str, str], ...],
    area: str,
) -> ft.Control:
    """An area's tabs (route, name, title key), and the title of `route`, above `body`;
    identifiers `<area>-tab-<name>` and `<area>-title` (the admin's screens use it too)."""
    tabs: list[ft.Control] = []
    for target, name, key in places:
        tabs.append(
            ft.Semantics(
                content=ft.TextButton(
                    content=view.t(key),
                    on_click=bound(view.go, target),
                    height=TOUCH_TARGET_PX,
                    disabled=target == route,
                ),
                identifier=f"{area}-tab-{name}",
            )
        )
    title = next(key for target, _, key in places if target == route)
    return ft.Column(
        [
            ft.Row(tabs, wrap=True, spacing=GAP_PX),
            ft.Semantics(
                content=ft.Text(view.t(title), size=24, weight=ft.FontWeight.BOLD),
                identifier=f"{area}-title",
                header=True,
            ),
            *body,
        ],
        spacing=GAP_PX * 2,
    )


def tell(view: SessionView, text: str) -> None:
    """A sentence of this screen's own on the shell's banner (not a kernel refusal)."""
    view.banner.value = text
    view.banner_box.visible = True


async def write(view: SessionView, commands: list[vm.Command]) -> bool:
    """Submit in order; stop at the first refusal (shown in words by the shell)."""
    for kind, body in commands:
        if await view.submit(kind, body) is None:
            return False
    # No rebuild here: the write's event rebuilds the screen (every office screen watches
    # its own kinds), once; a second rebuild would replace a field the user is typing in.
    return True


# --- /kyc -----------------------------------------------------------------------------------


async def _opened_key(view: SessionView) -> bytes | None:
    """The staff key, for a device whose role may see full KYC values (an auditor's never
    even unlocks it); the store is read on the node thread, the unlocking (a passphrase's
    key derivation) off it, so a meeting's writes do not wait. None: no usable key."""
    from chitnode.services import kyc_vault, staff_key

    role = await view.read(lambda r: r.device_role)
    if not kyc_vault.can_see_full(role):
        return None
    unlock = await view.backend.nt.run(staff_key.staff_key_loader)
    try:
        return await asyncio.to_thread(unlock)
    except ChitError:
        return None


async def build_kyc(view: SessionView) -> ft.Control:
    reveal = view.params.get("reveal", "")
    key = await _opened_key(view) if reveal else None
    queue = await view.read(
        lambda r: vm.kyc_queue(r, reveal=reveal, load_key=None if key is None else lambda: key)
    )
    ticks: dict[str, ft.Checkbox] = {}
    rows: list[ft.Control] = []
    for row in queue.rows:
        rows.append(_kyc_row(view, row, queue.may_decide, ticks))
    body: list[ft.Control] = [
        said(
            view.t("office.kyc.pending", count=queue.pending)
            if queue.pending
            else view.t("office.kyc.none"),
            "kyc-pending",
        )
    ]
    if queue.may_decide and queue.rows:

        async def bulk() -> None:
            chosen = [mid for mid, box in ticks.items() if box.value]
            if not chosen:
                tell(view, view.t("office.kyc.bulk_none"))
                return
            await write(view, vm.approve_kyc(chosen))

        body.append(button(view.t("office.kyc.bulk"), bulk, "kyc-bulk-approve", primary=True))
    return frame(view, KYC, [*body, *rows])


def _kyc_row(
    view: SessionView, row: vm.KycRow, may_decide: bool, ticks: dict[str, ft.Checkbox]
) -> ft.Control:
    mid = row.member_id
    t = view.t
    lines: list[ft.Control] = [
        said(
            t(
                "office.kyc.row",
                name=row.name,
                member=mid,
                date=row.submitted_on,
                days=row.waiting_days,
            ),
            f"kyc-row-{mid}",
            weight=ft.FontWeight.BOLD,
        ),
        said(
            t(
                "office.kyc.values",
                pan=row.pan,
                bank=row.bank_account,
                phone=row.phone,
                ifsc=row.ifsc or "-",
            ),
            f"kyc-values-{mid}",
            selectable=row.full_shown,
        ),
        ft.Row(
            [
                look(
                    f"{t('office.kyc.doc.' + doc)}: "
                    + t("office.kyc.doc.ok" if ok else "office.kyc.doc.missing"),
                    "paid" if ok else "pending",
                    f"kyc-doc-{mid}-{doc}",
                )
                for doc, ok in row.documents
            ],
            wrap=True,
            spacing=GAP_PX,
        ),
    ]
    if row.full_shown:
        lines.append(said(t("office.kyc.full"), f"kyc-full-{mid}"))
    if row.hidden_code:
        lines.append(said(t(f"office.kyc.hidden.{row.hidden_code}"), f"kyc-hidden-{mid}"))
    if row.mismatch:
        lines.append(said(t("office.kyc.mismatch"), f"kyc-mismatch-{mid}"))

    async def reveal() -> None:
        await view.go(KYC, reveal=mid)

    actions: list[ft.Control] = [button(t("office.kyc.reveal"), reveal, f"kyc-reveal-{mid}")]
    if may_decide:
        tick = ft.Checkbox(label=t("office.kyc.select", member=mid), value=False)
        ticks[mid] = tick
        reason = field(t("office.kyc.reason"), f"kyc-reason-{mid}")

        async def approve() -> None:
            await write(view, vm.approve_kyc([mid]))

        async def reject() -> None:
            await write(view, [vm.reject_kyc(mid, reason.value or "")])

        actions = [
            ft.Semantics(content=tick, identifier=f"kyc-select-{mid}"),
            *actions,
            button(t("office.kyc.approve"), approve, f"kyc-approve-{mid}", primary=True),
            wrap(reason),
            button(t("office.kyc.reject"), reject, f"kyc-reject-{mid}"),
        ]
    lines.append(ft.Row(actions, wrap=True, spacing=GAP_PX))
    return card(lines, f"kyc-{mid}")


# --- /loans/inbox ---------------------------------------------------------------------------

POOL_PARAM = "pool."  # + loan id: the pool the person picked for that loan


async def build_loans(view: SessionView) -> ft.Control:
    picked = {k[len(POOL_PARAM) :]: v for k, v in view.params.items() if k.startswith(POOL_PARAM)}
    inbox = await view.read(lambda r: vm.loan_inbox(r, pools=picked))
    count = inbox.waiting
    head = said(
        view.t("office.loans.waiting", count=count) if count else view.t("office.loans.none"),
        "loans-waiting",
    )
    return frame(view, LOANS, [head, *(_loan_card(view, c, picked) for c in inbox.cards)])


def _loan_card(view: SessionView, c: vm.LoanCard, picked: dict[str, str]) -> ft.Control:
    t, lid = view.t, c.loan_id
    parts = [
        said(
            t(
                "office.loans.risk_part",
                name=t(f"office.loans.risk.{p.name}"),
                points=p.points,
                weight=p.weight,
                why=p.explanation,
            ),
            f"loan-risk-{lid}-{p.name}",
            size=13,
        )
        for p in c.risk_parts
    ]
    eligible = t("office.loans.eligible" if c.eligible else "office.loans.not_eligible")
    lines: list[ft.Control] = [
        said(
            t(
                "office.loans.row",
                loan=lid,
                name=c.member_name,
                member=c.member_id,
                amount=c.amount,
                months=c.tenure_months,
            ),
            f"loan-row-{lid}",
            weight=ft.FontWeight.BOLD,
        ),
        said(t("office.loans.age", date=c.applied_on, days=c.age_days), f"loan-age-{lid}"),
        said(t("office.loans.status", status=c.status), f"loan-status-{lid}"),
        ft.Row(
            [
                look(eligible, "paid" if c.eligible else "failed", f"loan-eligibility-{lid}"),
                said(c.eligibility_reason, f"loan-eligibility-reason-{lid}", size=13),
            ],
            wrap=True,
        ),
        said(
            " · ".join(
                (
                    t("office.loans.risk", total=c.risk_total),
                    t("office.loans.limit", limit=c.limit),
                    t("office.loans.emi", emi=c.emi),
                )
            ),
            f"loan-risk-{lid}",
        ),
        *parts,
        said(
            t(
                "office.loans.advice",
                action=t(f"office.loans.advice.{c.recommendation}"),
                why=c.recommendation_reason,
            ),
            f"loan-advice-{lid}",
            size=13,
        ),
    ]
    if len(c.pools) > 1:

        async def choose(e: ft.Event[ft.Dropdown]) -> None:
            chosen = {f"{POOL_PARAM}{k}": v for k, v in picked.items()}
            chosen[f"{POOL_PARAM}{lid}"] = str(e.control.value)
            await view.go(LOANS, **chosen)

        lines.append(
            ft.Semantics(
                content=ft.Dropdown(
                    label=t("office.loans.pool"),
                    value=c.pool,
                    options=[ft.DropdownOption(key=p, text=p) for p in c.pools],
                    on_select=choose,
                    width=FIELD_WIDTH_PX,
                ),
                identifier=f"loan-pool-{lid}",
            )
        )
    else:
        lines.append(said(f"{t('office.loans.pool')}: {c.pool}", f"loan-pool-{lid}"))
    verdict = t("office.loans.bankers_ok" if c.bankers_ok else "office.loans.bankers_no")
    lines.append(
        ft.Row(
            [
                look(
                    verdict, "settled" if c.bankers_ok else "pending", f"loan-bankers-badge-{lid}"
                ),
                said(c.bankers_words, f"loan-bankers-{lid}", size=13),
            ],
            wrap=True,
        )
    )
    if c.actions:
        lines.append(_loan_actions(view, c))
    return card(lines, f"loan-{lid}")


def _loan_actions(view: SessionView, c: vm.LoanCard) -> ft.Control:
    t, lid = view.t, c.loan_id
    reason = field(t("office.loans.reason"), f"loan-reason-{lid}")
    ref = field(t("office.loans.ref"), f"loan-ref-{lid}")
    controls: list[ft.Control] = []
    if {"loan.approved", "loan.rejected"} & set(c.actions):
        controls.append(wrap(reason))
    if "loan.disbursed" in c.actions:
        controls.append(wrap(ref))
    for kind in c.actions:
        name = kind.split(".")[1]
        label = t(f"office.loans.kind.{kind}")
        act = bound(_decide, view, c, kind, reason, ref)
        controls.append(button(label, act, f"loan-{name}-{lid}", primary=kind != "loan.rejected"))
    return ft.Row(controls, wrap=True, spacing=GAP_PX)


async def _decide(
    view: SessionView, c: vm.LoanCard, kind: str, reason: ft.TextField, ref: ft.TextField
) -> None:
    command = vm.loan_command(
        kind, c.loan_id, reason=reason.value or "", pool=c.pool, ref=ref.value or ""
    )
    await write(view, [command])


# --- /recovery ------------------------------------------------------------------------------


async def build_recovery(view: SessionView) -> ft.Control:
    board = await view.read(vm.recovery_board)
    note = field(view.t("office.recovery.note"), "recovery-note")
    note.width = FIELD_WIDTH_PX * 2
    columns = [_column(view, column, board.may_move, note) for column in board.columns]
    body: list[ft.Control] = []
    if board.may_move:
        body.append(wrap(note))
    # The columns wrap onto the next line on a narrow screen rather than scroll sideways:
    # every card stays on the page, in the machine's order, left to right.
    body.append(
        ft.Row(
            columns,
            wrap=True,
            spacing=GAP_PX * 2,
            run_spacing=GAP_PX * 2,
            vertical_alignment=ft.CrossAxisAlignment.START,
        )
    )
    return frame(view, RECOVERY, body)


def _column(
    view: SessionView, column: vm.RecoveryColumn, may_move: bool, note: ft.TextField
) -> ft.Control:
    t = view.t
    head = said(
        " · ".join(
            (t(f"office.stage.{column.stage}"), t("office.recovery.count", count=len(column.cards)))
        ),
        f"recovery-col-{column.stage}",
        weight=ft.FontWeight.BOLD,
    )
    cards = [_recovery_card(view, c, may_move, note) for c in column.cards]
    box = ft.Container(
        content=ft.Column([head, *cards], spacing=GAP_PX, tight=True),
        width=COLUMN_WIDTH_PX,
    )
    if not may_move:
        return box
    return ft.DragTarget(group=DRAG_GROUP, content=box, on_accept=_dropped(view, column, note))


def _dropped(
    view: SessionView, column: vm.RecoveryColumn, note: ft.TextField
) -> Callable[[ft.DragTargetEvent], Awaitable[None]]:
    """A card dropped on this column: the same move its button makes (the kernel judges
    it: a skipped stage is refused in words); dropped where it already is, nothing."""

    async def accept(e: ft.DragTargetEvent) -> None:
        key = getattr(getattr(e, "src", None), "data", None)
        if not isinstance(key, str) or "|" not in key:
            return
        gid, ticket, stage = key.split("|")
        if stage == column.stage:
            return
        await _noted(view, vm.move_case(gid, int(ticket), column.stage, note.value or ""))

    return accept


def _recovery_card(
    view: SessionView, c: vm.RecoveryCard, may_move: bool, note: ft.TextField
) -> ft.Control:
    t = view.t
    ident = f"{c.group_id}-{c.ticket}"
    lines: list[ft.Control] = [
        said(
            t(
                "office.recovery.card",
                name=c.member_name,
                member=c.member_id,
                group=c.group_id,
                ticket=c.ticket,
            ),
            f"recovery-card-{ident}",
            weight=ft.FontWeight.BOLD,
        ),
        said(t("office.recovery.overdue", amount=c.overdue), f"recovery-overdue-{ident}"),
    ]
    closed = c.stage in ("resolved", "written_off")
    if closed:
        lines.append(
            said(t("office.recovery.closed_on", date=c.deadline_on), f"recovery-closed-{ident}")
        )
    else:
        lines.append(said(t("office.recovery.late", days=c.days_late), f"recovery-late-{ident}"))
        deadline = (
            t(f"office.recovery.deadline.{c.deadline_key}", date=c.deadline_on)
            if c.deadline_key
            else t("office.recovery.deadline.none")
        )
        lines.append(said(deadline, f"recovery-deadline-{ident}", size=13))
        if c.deadline_passed:
            lines.append(
                look(t("office.recovery.deadline_passed"), "failed", f"recovery-passed-{ident}")
            )
    if not c.stage:
        lines.append(said(t("office.recovery.no_case"), f"recovery-nocase-{ident}", size=13))
    if may_move and not closed:
        lines.append(_moves(view, c, note, ident))
    shown = card(lines, f"recovery-{ident}")
    if not may_move or closed or not c.stage:
        return shown
    return ft.Draggable(  # dragging is the buttons' shortcut: a case moves the same way
        group=DRAG_GROUP,
        content=shown,
        content_feedback=ft.Text(c.member_name, weight=ft.FontWeight.BOLD),
        data=f"{c.group_id}|{c.ticket}|{c.stage}",
    )


def _moves(view: SessionView, c: vm.RecoveryCard, note: ft.TextField, ident: str) -> ft.Control:
    t = view.t
    buttons: list[ft.Control] = []
    if not c.stage:

        async def opening() -> None:
            await _noted(view, vm.open_case(c.group_id, c.ticket, note.value or ""))

        buttons.append(button(t("office.recovery.open"), opening, f"recovery-open-{ident}"))
    for to in c.moves:
        label = t("office.recovery.move", stage=t(f"office.stage.{to}"))
        moving = bound(_move, view, c, to, note)
        buttons.append(button(label, moving, f"recovery-move-{ident}-{to}"))
    return ft.Column(buttons, spacing=GAP_PX // 2, tight=True)


async def _move(view: SessionView, c: vm.RecoveryCard, to: str, note: ft.TextField) -> None:
    await _noted(view, vm.move_case(c.group_id, c.ticket, to, note.value or ""))


async def _noted(view: SessionView, command: vm.Command) -> None:
    """A move's note is for that move: the rebuild after it starts the field empty again."""
    await write(view, [command])


# --- /bank ----------------------------------------------------------------------------------


def _attempts(folder: Path) -> dict[str, Attempt]:
    """This node's tries per request; none before its bank worker first ran (no file made)."""
    if not (folder / BANK_OUTBOX_FILE).exists():
        return {}
    with OutboxTable.open(folder) as table:
        return table.attempts()


def _mails(folder: Path) -> tuple[list[OutboxRow], dict[str, int]]:
    if not (folder / MAIL_OUTBOX_FILE).exists():
        return [], {}
    outbox = Outbox.in_folder(folder)
    try:
        counts = {s: outbox.count(s) for s in ("sent", "pending", "failed")}
        return outbox.recent(limits.MAIL_ROWS_SHOWN), counts
    finally:
        outbox.close()


def _bank_desk(node: Node, r: Reading) -> vm.BankDesk:
    mails, counts = _mails(r.folder)
    return vm.bank_desk(r, _attempts(r.folder), mails, counts)


async def build_bank(view: SessionView) -> ft.Control:
    desk = await on_node(view, _bank_desk)
    t = view.t
    head = said(
        t("office.bank.pending", count=desk.pending) if desk.pending else t("office.bank.none"),
        "bank-pending",
    )
    rows = [_bank_row(view, row, desk.may_settle) for row in desk.requests]
    sent, pending, failed = (n for _, n in desk.mail_counts)
    mail: list[ft.Control] = [
        ft.Text(t("office.mail.title"), size=18, weight=ft.FontWeight.BOLD),
        said(t("office.mail.counts", sent=sent, pending=pending, failed=failed), "mail-counts"),
    ]
    if not desk.mails:
        mail.append(said(t("office.mail.none"), "mail-none"))
    for m in desk.mails:
        status = {"sent": "settled", "pending": "pending", "failed": "failed"}[m.status]
        lines: list[ft.Control] = [
            said(t("office.mail.row", to=m.to, subject=m.subject), f"mail-row-{m.key}"),
            ft.Row(
                [
                    look(t(f"office.mail.status.{m.status}"), status, f"mail-status-{m.key}"),
                    said(
                        t("office.mail.when", when=m.when, count=m.attempts), f"mail-when-{m.key}"
                    ),
                ],
                wrap=True,
            ),
        ]
        if m.why:
            lines.append(said(t("office.mail.why", why=m.why), f"mail-why-{m.key}", size=13))
        mail.append(card(lines, f"mail-{m.key}"))
    return frame(view, BANK, [head, *rows, ft.Divider(), *mail])


def _bank_row(view: SessionView, row: vm.BankRow, may_settle: bool) -> ft.Control:
    t, rid = view.t, row.request_id
    lines: list[ft.Control] = [
        said(
            t(
                "office.bank.row",
                request=rid,
                direction=t(f"office.bank.{row.direction}"),
                name=row.member_name,
                member=row.member_id,
                amount=row.amount,
            ),
            f"bank-row-{rid}",
            weight=ft.FontWeight.BOLD,
        ),
        said(
            f"{t('office.bank.requested', date=row.requested_on)} · "
            f"{t('office.bank.attempts', count=row.attempts)}",
            f"bank-tries-{rid}",
        ),
        said(
            t("office.bank.answer", answer=row.last_answer)
            if row.last_answer
            else t("office.bank.no_answer"),
            f"bank-answer-{rid}",
            size=13,
        ),
    ]
    if row.next_try:
        lines.append(said(t("office.bank.next", when=row.next_try), f"bank-next-{rid}", size=13))
    if row.stuck:
        lines.append(look(t("office.bank.stuck"), "failed", f"bank-stuck-{rid}"))
    if may_settle:
        ref = field(t("office.bank.ref"), f"bank-ref-{rid}")
        why = field(t("office.bank.why"), f"bank-why-{rid}")

        async def settle() -> None:
            await _close(view, rid, settle=True, text=ref.value or "")

        async def refuse() -> None:
            await _close(view, rid, settle=False, text=why.value or "")

        lines.append(
            ft.Row(
                [
                    wrap(ref),
                    button(t("office.bank.settle"), settle, f"bank-settle-{rid}", primary=True),
                    wrap(why),
                    button(t("office.bank.refuse"), refuse, f"bank-refuse-{rid}"),
                ],
                wrap=True,
                spacing=GAP_PX,
            )
        )
    return card(lines, f"bank-{rid}")


async def _close(view: SessionView, rid: str, *, settle: bool, text: str) -> None:
    try:
        command = await view.read(lambda r: vm.close_by_hand(r, rid, settle=settle, text=text))
    except KeyError:
        view.refuse("unknown_request")
        return
    await write(view, [command])


# --- /activity ------------------------------------------------------------------------------


def _activity(node: Node, r: Reading, where: vm.ActivityFilter, page: int) -> vm.ActivityPage:
    latest = node.store.latest_placed(limits.ACTIVITY_SCAN_MAX)
    return vm.activity(latest, where, page, vm.actor_names(r))


async def build_activity(view: SessionView) -> ft.Control:
    t, params = view.t, view.params
    where = vm.ActivityFilter(
        kind_prefix=params.get("kind", ""),
        member_id=params.get("member", ""),
        group_id=params.get("group", ""),
    )
    page_no = int(params["page"]) if params.get("page", "").isdigit() else 0
    page = await on_node(view, lambda node, r: _activity(node, r, where, page_no))
    kind = field(t("office.activity.kind"), "activity-kind", where.kind_prefix)
    member = field(t("office.activity.member"), "activity-member", where.member_id)
    group = field(t("office.activity.group"), "activity-group", where.group_id)

    def going(to_page: int) -> Handler:
        async def go() -> None:
            await view.go(
                ACTIVITY,
                kind=(kind.value or "").strip(),
                member=(member.value or "").strip(),
                group=(group.value or "").strip(),
                page=str(to_page),
            )

        return go

    filters = ft.Row(
        [
            wrap(kind),
            wrap(member),
            wrap(group),
            button(t("office.activity.filter"), going(0), "activity-filter", primary=True),
        ],
        wrap=True,
        spacing=GAP_PX,
    )
    summary = said(
        t(
            "office.activity.summary",
            matched=page.matched,
            scanned=page.scanned,
            page=page.page + 1,
            pages=page.pages,
        ),
        "activity-summary",
    )
    rows: list[ft.Control] = [_activity_row(view, i, row) for i, row in enumerate(page.rows)] or [
        said(t("office.activity.none"), "activity-none")
    ]
    pager: list[ft.Control] = []
    if page.page > 0:
        pager.append(button(t("office.activity.newer"), going(page.page - 1), "activity-newer"))
    if page.page + 1 < page.pages:
        pager.append(button(t("office.activity.older"), going(page.page + 1), "activity-older"))
    return frame(view, ACTIVITY, [filters, summary, *rows, ft.Row(pager, spacing=GAP_PX)])


def _activity_row(view: SessionView, index: int, row: vm.ActivityRow) -> ft.Control:
    t = view.t
    parts = [t("office.activity.row", when=row.when, kind=row.kind, who=row.actor)]
    if row.member_id and row.member_id != row.actor_id:
        parts.append(row.member_id)
    if row.group_id:
        parts.append(row.group_id)
    if row.amount:
        parts.append(row.amount)
    if row.status != "applied":
        parts.append(t("office.activity.rejected", code=row.code))
    return said(" · ".join(parts), f"activity-row-{index}", size=13)


# --- the screens ----------------------------------------------------------------------------


def _prefixed(*prefixes: str) -> Callable[[Event], bool]:
    def watches(event: Event) -> bool:
        return event.kind.startswith(prefixes)

    return watches


# What changes a screen, so that a write elsewhere in the branch (a meeting's bids and
# payments on another desk) does not rebuild it, and wipe a note being typed, for nothing.
LOAN_EVENTS = (
    "loan.",
    "kyc.",
    "treasury.",
    "recovery.",
    "contribution.",
    "prize.",
    "auction.closed",
    "ticket.",
    "group.",
    "security.",
)
RECOVERY_EVENTS = (
    "recovery.",
    "contribution.",
    "ticket.",
    "removal.",
    "penalty.",
    "demand.",
    "defaulter.",
    "group.",
    "auction.closed",
    "prize.",
    "member.",
)


SCREENS = [
    Screen(KYC, STAFF, "office.title.kyc", build_kyc, watches=_prefixed("kyc.", "member.")),
    Screen(LOANS, STAFF, "office.title.loans", build_loans, watches=_prefixed(*LOAN_EVENTS)),
    Screen(
        RECOVERY,
        STAFF,
        "office.title.recovery",
        build_recovery,
        watches=_prefixed(*RECOVERY_EVENTS),
    ),
    Screen(BANK, STAFF, "office.title.bank", build_bank, watches=_prefixed("bank.")),
    Screen(ACTIVITY, STAFF, "office.title.activity", build_activity),
]
