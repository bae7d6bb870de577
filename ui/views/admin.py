"""The admin's screens (issue 13, "Admins"), and the kernel monitor strip of every staff screen.

- "/admin": the branch's key figures and the collections' trend by month, as bars drawn
  with containers (flet-charts is not a dependency), each bar's figure said in words.
- "/admin/audit": the log newest first, filtered by actor, kind prefix and dates, one page
  read from the store at a time (`latest_placed` paged by position): never the whole log.
- "/admin/integrity": `chitnode check`'s re-verification of every stored entry, run in a
  worker thread that reads the store in chunks on the node thread (writes go on between
  chunks), with a progress bar; broken entries with their codes; forks with both twins;
  fencing evidence (entries refused `stale_term`) beside the grant that fenced them.
- "/admin/devices": enrolled devices, revoke (after the key's placed head, as `chitnode
  revoke`), an invite code and QR while serving (as `chitnode invite`), peers and the own
  feed's sync state (the serve runtime's status), and leases as `chitnode lease status`.

Audience ADMIN: a staff session on an admin's device; the shell sends any other staff
session home. `monitor_strip(view)` is the shell's STRIP for every staff session.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import flet as ft
import psutil

from chitnode.errors import ChitError, RuleViolation
from chitnode.log.entry import parse_entry
from chitnode.node.node import Node
from chitnode.services import forks as fork_service
from chitnode.services.events import Event
from chitnode.store.integrity import CheckReport, check_fork_lines, check_lines
from ui import limits
from ui.backend import Reading
from ui.shell import ADMIN, STRIP, Screen, SessionView
from ui.theme import GAP_PX
from ui.views.office import bound, button, card, field, on_node, said, tabbed, tell, wrap
from ui.views.phones import QR_SIZE_PX, qr_png_bytes
from ui.vm import admin as vm

if TYPE_CHECKING:
    from sync.election.service import LeaseRow as ElectionRow

DASHBOARD, AUDIT, INTEGRITY, DEVICES = (
    "/admin",
    "/admin/audit",
    "/admin/integrity",
    "/admin/devices",
)
TABS = (
    (DASHBOARD, "dashboard", "admin.title.dashboard"),
    (AUDIT, "audit", "admin.title.audit"),
    (INTEGRITY, "integrity", "admin.title.integrity"),
    (DEVICES, "devices", "admin.title.devices"),
)
CHART_HEIGHT_PX = 160  # the tallest bar
BAR_WIDTH_PX = 48
KPI_WIDTH_PX = 220
HASH_SHOWN_CHARS = 16  # a hash's first hex digits on a row (the whole hash is selectable)
KEY_SHOWN_CHARS = 16
DIALOG_FIELD_WIDTH_PX = 260  # the hand-over's two choices side by side on a laptop
PROGRESS_POLL_S = 0.2  # how often the progress bar is redrawn while the check runs
INVITE_ROLES = ("foreman", "employee", "auditor", "admin")
_PROCESS = psutil.Process()  # one handle: cpu_percent measures since its previous call


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def frame(view: SessionView, route: str, body: list[ft.Control]) -> ft.Control:
    """The admin's title and tabs above a screen's body."""
    return tabbed(view, route, body, TABS, "admin")


# --- /admin ---------------------------------------------------------------------------------


def _kpi(label: str, value: str, name: str, detail: str = "") -> ft.Control:
    parts: list[ft.Control] = [
        ft.Text(label, size=13),
        said(value, f"admin-kpi-{name}", size=24, weight=ft.FontWeight.BOLD),
    ]
    if detail:
        parts.append(said(detail, f"admin-kpi-{name}-detail", size=12))
    return ft.Container(content=card(parts, f"admin-kpi-card-{name}"), width=KPI_WIDTH_PX)


def trend_chart(view: SessionView, trend: tuple[vm.Bar, ...], area: str = "admin") -> ft.Control:
    """Bars drawn with containers; each bar's figure is text (tests, screen readers).
    `area` prefixes the identifiers (the head office's screen draws its bars here too)."""
    if not trend:
        return said(view.t("admin.trend.none"), f"{area}-trend-none")
    columns: list[ft.Control] = []
    for bar in trend:
        figure = view.money(bar.paise)
        columns.append(
            ft.Semantics(
                content=ft.Column(
                    [
                        ft.Text(figure, size=11),
                        ft.Container(
                            width=BAR_WIDTH_PX,
                            height=max(1, round(bar.share * CHART_HEIGHT_PX)),
                            bgcolor=ft.Colors.PRIMARY,
                            border_radius=4,
                        ),
                        ft.Text(bar.label, size=11),
                    ],
                    horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                    alignment=ft.MainAxisAlignment.END,
                    spacing=4,
                ),
                identifier=f"{area}-bar-{bar.label}",
                label=view.t("admin.trend.bar", month=bar.label, amount=figure),
            )
        )
    return ft.Row(
        columns,
        vertical_alignment=ft.CrossAxisAlignment.END,
        spacing=GAP_PX,
        scroll=ft.ScrollMode.AUTO,
    )


async def build_dashboard(view: SessionView) -> ft.Control:
    d = await view.read(vm.dashboard)
    kpis = ft.Row(
        [
            _kpi(view.t("admin.kpi.pool"), view.money(d.total_pool_paise), "pool"),
            _kpi(view.t("admin.kpi.members"), str(d.active_members), "members"),
            _kpi(
                view.t("admin.kpi.default_rate"),
                vm.percent(d.default_rate_bp),
                "default-rate",
                view.t("admin.kpi.default_detail", defaults=d.defaults, tickets=d.tickets),
            ),
            _kpi(view.t("admin.kpi.loans"), view.money(d.loans_outstanding_paise), "loans"),
            _kpi(
                view.t("admin.kpi.collections", month=d.month),
                view.money(d.collections_this_month_paise),
                "collections",
            ),
        ],
        wrap=True,
        spacing=GAP_PX,
    )
    return frame(
        view,
        DASHBOARD,
        [
            kpis,
            ft.Text(view.t("admin.trend.title"), size=18, weight=ft.FontWeight.BOLD),
            trend_chart(view, d.trend),
        ],
    )


# --- /admin/audit ---------------------------------------------------------------------------


def _audit_filter(params: dict[str, str]) -> vm.AuditFilter:
    return vm.AuditFilter(
        actor=params.get("actor", ""),
        kind_prefix=params.get("kind", ""),
        since=params.get("since", ""),
        until=params.get("until", ""),
    )


def _audit(node: Node, r: Reading, where: vm.AuditFilter, before: int | None) -> vm.AuditPage:
    match = vm.entry_filter(where, before)  # BadAuditFilter before the store is asked
    rows = node.store.latest_placed(limits.AUDIT_PAGE_ROWS + 1, match)  # oldest first
    return vm.audit_page(r, rows[::-1], limits.AUDIT_PAGE_ROWS)


async def build_audit(view: SessionView) -> ft.Control:
    where = _audit_filter(view.params)
    before_text = view.params.get("before", "")
    before = int(before_text) if before_text.isdigit() else None
    page_no = int(view.params.get("page", "1") or 1) if view.params.get("page", "").isdigit() else 1
    boxes = {
        "actor": field(view.t("admin.audit.actor"), "audit-actor", where.actor),
        "kind": field(view.t("admin.audit.kind"), "audit-kind", where.kind_prefix),
        "since": field(view.t("admin.audit.since"), "audit-since", where.since),
        "until": field(view.t("admin.audit.until"), "audit-until", where.until),
    }

    def chosen() -> dict[str, str]:
        return {k: (b.value or "").strip() for k, b in boxes.items() if (b.value or "").strip()}

    async def apply() -> None:
        await view.go(AUDIT, **chosen())

    body: list[ft.Control] = [
        ft.Row([wrap(b) for b in boxes.values()], wrap=True, spacing=GAP_PX),
        button(view.t("admin.audit.filter"), apply, "audit-filter", primary=True),
    ]
    try:
        page = await on_node(view, lambda node, r: _audit(node, r, where, before))
    except ChitError as exc:  # a filter it cannot read: said in words, the form kept
        view.refuse(exc.code)
        return frame(view, AUDIT, body)
    filters = {k: v for k, v in view.params.items() if k in boxes and v}
    nav: list[ft.Control] = [said(view.t("admin.audit.page", page=page_no), "audit-page")]
    if before is not None:
        nav.append(button(view.t("admin.audit.newest"), bound(view.go, AUDIT), "audit-newest"))
    if page.next_before is not None:
        older = {**filters, "before": str(page.next_before), "page": str(page_no + 1)}

        async def go_older() -> None:
            await view.go(AUDIT, **older)

        nav.append(button(view.t("admin.audit.older"), go_older, "audit-older"))
    if not page.rows:
        body.append(said(view.t("admin.audit.none"), "audit-none"))
    for index, row in enumerate(page.rows):
        body.append(_audit_row(view, index, row))
    body.append(ft.Row(nav, wrap=True, spacing=GAP_PX))
    return frame(view, AUDIT, body)


def _audit_row(view: SessionView, index: int, row: vm.AuditRow) -> ft.Control:
    name = row.author_name or row.author[:KEY_SHOWN_CHARS]
    head = view.t(
        "admin.audit.row",
        pos=row.pos,
        when=_day(row.ts_ms),
        kind=row.kind,
        name=name,
        role=row.role or "?",
        seq=row.seq,
    )
    lines: list[ft.Control] = [said(head, f"audit-row-{index}")]
    if row.actor:
        lines.append(ft.Text(view.t("admin.audit.actor_for", actor=row.actor), size=12))
    lines.append(
        ft.Text(
            view.t(
                "admin.audit.hash",
                hash=row.hash[:HASH_SHOWN_CHARS],
                prev=row.prev[:HASH_SHOWN_CHARS],
            ),
            size=12,
            selectable=True,
        )
    )
    if row.status != "applied":
        lines.append(
            said(view.t("admin.audit.refused", code=row.code), f"audit-row-{index}-refused")
        )
    return ft.Column(lines, spacing=2, tight=True)


# --- /admin/integrity -----------------------------------------------------------------------


def _forks_and_fencing(node: Node, r: Reading) -> tuple[list[Any], tuple[vm.Fenced, ...]]:
    reports = fork_service.fork_reports(node)[: limits.ADMIN_FORKS_SHOWN]
    refused = (
        (e, parse_entry(e.raw.encode()).body)
        for e in node.store.placed_entries(status="rejected")
        if e.code == vm.STALE_TERM
    )
    return reports, vm.fencing(r.state, refused, node.store.hash_at)


def verify_log(
    view: SessionView, signatures: bool, done: list[int], stop: threading.Event
) -> CheckReport:
    """`chitnode check`'s checks over every stored entry, for a worker thread: the lines are
    read on the node thread AUDIT_CHUNK_LINES at a time, so the node writes in between."""
    nt = view.backend.nt
    authors, branch = nt.call(lambda node: (node.store.authors(), node.store.meta("branch")))
    report = CheckReport()

    def chunk(node: Node, author: str, from_seq: int) -> list[Any]:
        return list(islice(node.store.stored_lines(author, from_seq), limits.AUDIT_CHUNK_LINES))

    def lines() -> Any:
        for author in authors:
            from_seq = 1
            while not stop.is_set():
                got = nt.call(chunk, author, from_seq)
                yield from got
                done[0] += len(got)
                if len(got) < limits.AUDIT_CHUNK_LINES:
                    break
                from_seq = got[-1][1] + 1

    check_lines(lines(), report, branch=branch, full=True, signatures=signatures)
    check_fork_lines(nt.call(lambda node: node.store.fork_lines()), report, signatures)
    return report


async def build_integrity(view: SessionView) -> ft.Control:
    reports, fenced = await on_node(view, _forks_and_fencing)
    signatures = ft.Checkbox(label=view.t("admin.integrity.signatures"), value=False)
    bar = ft.ProgressBar(value=0, width=480)
    status = ft.Text(view.t("admin.integrity.idle"))
    problems = ft.Column([], spacing=2)

    async def start() -> None:
        total = await view.backend.nt.run(lambda node: node.store.count())
        done, stop = [0], threading.Event()
        task = asyncio.ensure_future(
            asyncio.to_thread(verify_log, view, bool(signatures.value), done, stop)
        )
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=PROGRESS_POLL_S)
                bar.value = vm.progress(done[0], total)
                status.value = view.t("admin.integrity.running", done=done[0], total=total)
                view.push()  # not page.update(): Flet would then skip the final update
            report = task.result()
        except ChitError as exc:  # the node closed under the check
            view.refuse(exc.code)
            return
        finally:
            stop.set()
        bar.value = 1.0
        found = vm.broken(report.problems)
        status.value = (
            view.t("admin.integrity.ok", entries=report.entries, forks=report.forks)
            if report.ok
            else view.t(
                "admin.integrity.failed", problems=report.problems_total, entries=report.entries
            )
        )
        problems.controls = [
            said(
                view.t(
                    "admin.integrity.problem",
                    code=p.code,
                    author=p.author[:KEY_SHOWN_CHARS],
                    seq=p.seq if p.seq is not None else "-",
                    detail=p.detail,
                ),
                f"integrity-problem-{i}",
            )
            for i, p in enumerate(found)
        ]

    body: list[ft.Control] = [
        signatures,
        button(view.t("admin.integrity.start"), start, "integrity-start", primary=True),
        ft.Semantics(content=bar, identifier="integrity-progress"),
        ft.Semantics(content=status, identifier="integrity-status", live_region=True),
        problems,
        ft.Text(view.t("admin.integrity.forks"), size=18, weight=ft.FontWeight.BOLD),
    ]
    if not reports:
        body.append(said(view.t("admin.integrity.no_forks"), "integrity-no-forks"))
    for i, rep in enumerate(reports):
        lines: list[ft.Control] = [
            said(
                view.t("admin.integrity.fork", who=rep.who, seq=rep.fork_seq, state=rep.state),
                f"integrity-fork-{i}",
            )
        ]
        for twin in rep.twins:
            where = view.t("admin.integrity.main" if twin.main else "admin.integrity.evidence")
            lines.append(
                ft.Text(
                    view.t("admin.integrity.twin", seq=rep.fork_seq, hash=twin.hash, where=where),
                    size=12,
                    selectable=True,
                )
            )
        lines.append(ft.Text(rep.note, size=12))
        body.append(card(lines, f"integrity-fork-card-{i}"))
    body.append(ft.Text(view.t("admin.integrity.fencing"), size=18, weight=ft.FontWeight.BOLD))
    if not fenced:
        body.append(said(view.t("admin.integrity.no_fencing"), "integrity-no-fencing"))
    for i, f in enumerate(fenced):
        body.append(
            card(
                [
                    said(
                        view.t(
                            "admin.integrity.fenced",
                            kind=f.kind,
                            name=f.author_name or f.author[:KEY_SHOWN_CHARS],
                            seq=f.seq,
                            term=f.term,
                            scope=f.scope,
                        ),
                        f"integrity-fenced-{i}",
                    ),
                    ft.Text(f.hash, size=12, selectable=True),
                    said(
                        view.t(
                            "admin.integrity.fenced_by",
                            term=f.by_term,
                            name=f.by_holder_name or f.by_holder[:KEY_SHOWN_CHARS],
                            seq=f.by_seq,
                            hash=f.by_hash,
                        ),
                        f"integrity-fenced-by-{i}",
                    ),
                ],
                f"integrity-fenced-card-{i}",
            )
        )
    return frame(view, INTEGRITY, body)


# --- /admin/devices -------------------------------------------------------------------------


def _serve_status() -> dict[str, Any] | None:
    from sync.serve import runtime

    current = runtime.current
    return None if current is None else current.status_fields()


def _make_invite(node: Node, role: str, name: str) -> tuple[str, int]:
    """`chitnode invite` inside the serving process: the code and when it expires."""
    from chitnode.clock import SystemClock
    from sync.channel.credentials import load_or_create
    from sync.invite import code, service
    from sync.invite.book import InviteBook
    from sync.invite.cli import _serving

    folder = node.store.data_dir
    service.require_admin(node)
    addresses = _serving(folder)
    cred = load_or_create(folder, node.public)
    invite, _ = service.make_invite(
        node,
        InviteBook(folder),
        role=role,
        name=name,
        addresses=addresses,
        fingerprint=cred.fingerprint,
        now_ms=SystemClock().now_ms(),
    )
    return code.encode(invite), invite.expires_ms


async def build_devices(view: SessionView) -> ft.Control:
    data = await view.read(vm.devices)
    body: list[ft.Control] = [
        ft.Text(view.t("admin.devices.title"), size=18, weight=ft.FontWeight.BOLD)
    ]
    for i, d in enumerate(data.devices):
        body.append(_device_row(view, i, d, data.may_manage))
    body += _invite_block(view, data.may_manage)
    body += _peers_block(view)
    body += await _leases_block(view, data)
    return frame(view, DEVICES, body)


# --- leases: holder, term, time left, and the hand-over before an offline meeting -----------


class Sockets(Protocol):
    def peers(self) -> list[str]: ...  # devices whose election socket is open now


@runtime_checkable
class LeaseDesk(Protocol):
    """The serve's election as this screen uses it (sync/election/service.py,
    ElectionService): the books with this device's time left, and the transfer."""

    async def lease_rows(self) -> list[ElectionRow]: ...

    async def transfer(self, scope: str, to: str) -> None: ...

    @property
    def hub(self) -> Sockets: ...


def lease_desk(view: SessionView) -> LeaseDesk | None:
    """The election of the serve this app runs in; None in a process without one (tests
    over a bare Node, a serve without election): then the books alone are shown."""
    desk = view.backend.coordinator
    return desk if isinstance(desk, LeaseDesk) else None


async def desk_leases(desk: LeaseDesk) -> tuple[vm.LeaseRow, ...]:
    return vm.lease_rows(r.lease.with_time_left(r.time_left_ms) for r in await desk.lease_rows())


async def _leases_block(view: SessionView, data: vm.Devices) -> list[ft.Control]:
    desk = lease_desk(view)
    leases = data.leases if desk is None else await desk_leases(desk)
    out: list[ft.Control] = [
        ft.Text(view.t("admin.devices.leases_title"), size=18, weight=ft.FontWeight.BOLD),
        # time left is read when the screen is drawn: this draws it again (lease events do)
        button(view.t("admin.lease.refresh"), bound(view.rebuild), "lease-refresh"),
    ]
    if not leases:
        out.append(said(view.t("admin.devices.no_leases"), "devices-no-leases"))
    for i, lease in enumerate(leases):
        out.append(_lease_row(view, i, lease, desk, data))
    return out


def _lease_row(
    view: SessionView, i: int, lease: vm.LeaseRow, desk: LeaseDesk | None, data: vm.Devices
) -> ft.Control:
    if lease.holder:
        text = view.t(
            "admin.devices.lease",
            scope=lease.scope,
            term=lease.term,
            status=lease.status,
            name=lease.holder_name or lease.holder[:KEY_SHOWN_CHARS],
        )
    else:
        text = view.t("admin.devices.lease_none", scope=lease.scope)
    left, figures = vm.time_left(lease)
    lines: list[ft.Control] = [
        said(f"{text}; {view.t(f'admin.lease.{left}', **figures)}", f"devices-lease-{i}")
    ]
    if not data.may_manage:
        return ft.Column(lines, spacing=2, tight=True)
    why = vm.why_no_hand_over(lease, data.device_key, desk is not None)
    if why or desk is None:
        lines.append(said(view.t(f"admin.lease.why_{why}", scope=lease.scope), f"lease-why-{i}"))
        return ft.Column(lines, spacing=2, tight=True)
    dialog = _hand_over_dialog(view, i, lease, desk, data.device_key)

    async def open_dialog() -> None:
        dialog.visible = True

    lines += [button(view.t("admin.lease.hand"), open_dialog, f"lease-hand-{i}"), dialog]
    return ft.Column(lines, spacing=2, tight=True)


def _hand_over_dialog(
    view: SessionView, i: int, lease: vm.LeaseRow, desk: LeaseDesk, me: str
) -> ft.Control:
    """The hand-over's choices under its row: to which device, for how long; shown on
    the row's button, gone again on Cancel (or when a lease event redraws the screen)."""
    targets = vm.hand_targets(lease, me)
    to = ft.Dropdown(
        label=view.t("admin.lease.to"),
        value=targets[0][0],
        options=[
            ft.DropdownOption(key=key, text=name or key[:KEY_SHOWN_CHARS]) for key, name in targets
        ],
        width=DIALOG_FIELD_WIDTH_PX,
    )
    hours = ft.Dropdown(
        label=view.t("admin.lease.for"),
        value=str(vm.MEETING_HOURS_DEFAULT),
        options=[
            ft.DropdownOption(key=str(h), text=view.t("admin.lease.hours", h=h))
            for h in vm.MEETING_HOURS
        ],
        width=DIALOG_FIELD_WIDTH_PX,
    )
    box: ft.Control  # the card, hidden until the row's button (its wrapper hides, FLET.md)

    async def confirm() -> None:
        if await hand_over(view, desk, lease.scope, me, to.value or "", _hours_ms(hours.value)):
            box.visible = False

    async def cancel() -> None:
        box.visible = False

    box = card(
        [
            said(view.t("admin.lease.dialog", scope=lease.scope), f"lease-dialog-title-{i}"),
            ft.Row(
                [
                    ft.Semantics(content=to, identifier=f"lease-to-{i}"),
                    ft.Semantics(content=hours, identifier=f"lease-for-{i}"),
                ],
                wrap=True,
                spacing=GAP_PX,
            ),
            ft.Text(view.t("admin.lease.dialog_note"), size=12),
            ft.Row(
                [
                    button(
                        view.t("admin.lease.confirm"),
                        confirm,
                        f"lease-confirm-{i}",
                        primary=True,
                    ),
                    button(view.t("admin.lease.cancel"), cancel, f"lease-cancel-{i}"),
                ],
                wrap=True,
                spacing=GAP_PX,
            ),
        ],
        f"lease-dialog-{i}",
    )
    box.visible = False
    return box


def _hours_ms(text: str | None) -> int:
    """A meeting length picked in hours; 0 (refused by vm.hand_over) if it is no number."""
    return int(text) * vm.HOUR_MS if text and text.isdigit() else 0


async def hand_over(
    view: SessionView, desk: LeaseDesk, scope: str, me: str, to: str, lease_ms: int
) -> bool:
    """Hand `scope` to `to` for a meeting: checked against the election's rows as they are
    now; then the electorate's lease (an admin's entry, through the shell as every write),
    then the transfer. Each refusal is said in words on the banner; False after one."""
    row = next((r for r in await desk_leases(desk) if r.scope == scope), None)
    try:
        if row is None:
            raise RuleViolation(f"{scope} has no electorate", code="bad_transfer")
        plan = vm.hand_over(row, me, to, lease_ms, desk.hub.peers())
    except ChitError as exc:
        view.refuse(exc.code)
        return False
    if plan.electorate_set is not None and await view.submit(*plan.electorate_set) is None:
        return False
    try:
        await desk.transfer(plan.scope, plan.to)
    except ChitError as exc:
        view.refuse(exc.code)
        return False
    name = plan.to_name or plan.to[:KEY_SHOWN_CHARS]
    tell(view, view.t("admin.lease.handed", scope=plan.scope, name=name, h=lease_ms // vm.HOUR_MS))
    return True


def _device_row(view: SessionView, i: int, d: vm.DeviceRow, may_manage: bool) -> ft.Control:
    head = view.t("admin.devices.row", name=d.name, role=d.role, status=d.status)
    if d.this_device:
        head += f" · {view.t('admin.devices.this')}"
    lines: list[ft.Control] = [
        said(head, f"devices-row-{i}"),
        ft.Text(view.t("admin.devices.key", device=d.key), size=12, selectable=True),
    ]
    if d.status == "revoked":
        lines.append(
            said(
                view.t("admin.devices.revoked", reason=d.reason, after=d.after_seq),
                f"devices-row-{i}-revoked",
            )
        )
    elif may_manage and not d.this_device:
        reason = field(view.t("admin.devices.reason"), f"devices-reason-{i}")

        async def revoke() -> None:
            why = (reason.value or "").strip()
            if not why:
                tell(view, view.t("admin.devices.revoke_reason"))
                return
            heads = await view.backend.nt.run(lambda node: node.store.placed_heads())
            kind, body = vm.revoke_command(d.key, why, heads)
            await view.submit(kind, body)

        lines.append(
            ft.Row(
                [
                    wrap(reason),
                    button(view.t("admin.devices.revoke"), revoke, f"devices-revoke-{i}"),
                ],
                wrap=True,
            )
        )
    return card(lines, f"devices-card-{i}")


def _invite_block(view: SessionView, may_manage: bool) -> list[ft.Control]:
    if not may_manage:
        return []
    name = field(view.t("admin.devices.invite_name"), "devices-invite-name")
    role = field(view.t("admin.devices.invite_role"), "devices-invite-role", "employee")
    shown = ft.Column([])

    async def invite() -> None:
        if _serve_status() is None:  # the invite is answered by the serving node
            view.refuse("not_serving")
            return
        try:
            text, expires = await view.backend.nt.run(
                _make_invite, (role.value or "").strip(), (name.value or "").strip()
            )
        except ChitError as exc:
            view.refuse(exc.code)
            return
        shown.controls = [
            ft.Image(src=qr_png_bytes(text), width=QR_SIZE_PX, height=QR_SIZE_PX),
            ft.Semantics(
                content=ft.Text(view.t("admin.devices.invite_code", code=text), selectable=True),
                identifier="devices-invite-code",
                value=text,
            ),
            ft.Text(view.t("admin.devices.invite_until", until=_day(expires))),
        ]

    return [
        ft.Text(view.t("admin.devices.invite_title"), size=18, weight=ft.FontWeight.BOLD),
        ft.Row(
            [
                wrap(name),
                wrap(role),
                button(view.t("admin.devices.invite"), invite, "devices-invite"),
            ],
            wrap=True,
            spacing=GAP_PX,
        ),
        shown,
    ]


def _peers_block(view: SessionView) -> list[ft.Control]:
    out: list[ft.Control] = [
        ft.Text(view.t("admin.devices.peers_title"), size=18, weight=ft.FontWeight.BOLD)
    ]
    fields = _serve_status()
    if fields is None:
        out.append(said(view.t("admin.devices.not_serving"), "devices-not-serving"))
        return out
    for i, link in enumerate(fields.get("links", [])):
        out.append(said(view.t("admin.devices.peer", **link), f"devices-peer-{i}"))
    for i, peer in enumerate(fields.get("connected_in", [])):
        out.append(said(view.t("admin.devices.connected_in", peer=peer), f"devices-in-{i}"))
    _, state = vm.serve_gauges(fields)
    out.append(said(view.t("admin.devices.guard", state=state or "—"), "devices-guard"))
    return out


# --- the kernel monitor strip (every staff screen) ------------------------------------------

_REFRESHING: set[asyncio.Task[None]] = set()  # the strips' refresh loops now running
STRIP_FIELDS = ("ram", "cpu", "threads", "wal", "held", "leases", "peers", "sync")


def _gauges(node: Node, r: Reading, serve: dict[str, Any] | None) -> vm.Monitor:
    peers, sync_state = vm.serve_gauges(serve)
    with _PROCESS.oneshot():
        rss, cpu, threads = (
            _PROCESS.memory_info().rss,
            _PROCESS.cpu_percent(interval=None),
            _PROCESS.num_threads(),
        )
    gauges = vm.Gauges(
        rss_bytes=int(rss),
        cpu_percent=float(cpu),
        threads=int(threads),
        wal_entries=node.store.count(),
        held_entries=node.store.held_count(),
        peers_connected=peers,
        sync_state=sync_state,
    )
    return vm.monitor(r, gauges)


def strip_values(m: vm.Monitor) -> dict[str, str]:
    return {
        "ram": m.ram_mb,
        "cpu": m.cpu,
        "threads": str(m.threads),
        "wal": str(m.wal_entries),
        "held": str(m.held_entries),
        "leases": str(m.leases_held),
        "peers": m.peers,
        "sync": m.sync,
    }


def monitor_strip(view: SessionView) -> ft.Control:
    """The node's gauges in one line; read at once, then every MONITOR_REFRESH_S while this
    strip is the session's (a new header or a closed session ends its refresh)."""
    texts = {name: ft.Text("", size=12) for name in STRIP_FIELDS}
    strip = ft.Row(
        [ft.Semantics(content=texts[n], identifier=f"strip-{n}") for n in STRIP_FIELDS],
        wrap=True,
        spacing=GAP_PX,
    )
    box = ft.Semantics(content=strip, identifier="monitor-strip")

    def shown() -> bool:  # the session is open and this strip is still in its header
        open_ = any(v is view for v in view.ctx.sessions.values())
        return open_ and any(c is box for c in view.header.controls)

    async def refreshing() -> None:
        for _ in range(limits.MONITOR_ROUNDS_MAX):
            if not shown():
                return
            serve = _serve_status()

            def gauges(node: Node, r: Reading, serve: dict[str, Any] | None = serve) -> vm.Monitor:
                return _gauges(node, r, serve)

            try:
                m = await on_node(view, gauges)
            except Exception:  # the node is closing: the strip has nothing more to say
                return
            for name, value in strip_values(m).items():
                texts[name].value = view.t(f"admin.strip.{name}", value=value)
            with contextlib.suppress(Exception):
                strip.update()
            await asyncio.sleep(limits.MONITOR_REFRESH_S)

    task = asyncio.get_running_loop().create_task(refreshing())
    _REFRESHING.add(task)  # the loop keeps only a weak reference to a task
    task.add_done_callback(_REFRESHING.discard)
    return box


def _never(event: Event) -> bool:
    return False


def _log_changed(event: Event) -> bool:
    return event.kind.startswith(("device.", "lease."))


SCREENS = [
    Screen(DASHBOARD, ADMIN, "admin.title.dashboard", build_dashboard, watches=_never),
    Screen(AUDIT, ADMIN, "admin.title.audit", build_audit, watches=_never),
    Screen(INTEGRITY, ADMIN, "admin.title.integrity", build_integrity, watches=_never),
    Screen(DEVICES, ADMIN, "admin.title.devices", build_devices, watches=_log_changed),
]
STRIP[:] = [monitor_strip]  # the shell's header shows it to every staff session
