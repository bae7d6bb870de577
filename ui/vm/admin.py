"""View-models of the admin's screens (issue 13, "Admins"): pure functions, no Flet.

- `dashboard`: the branch's key figures (total pool, active members, default rate, loans
  outstanding, collections this month) and the collections' trend by month, read from the
  fold through the kernel's views and the printable reports' functions.
- `audit_page`: one page of the audit trail from stored rows the view read from the store
  (`latest_placed`, newest first, paged by position): never the whole log.
- `integrity`: what the re-check found (chitnode.store.integrity, as `chitnode check`),
  forks (chitnode.services.forks) and fencing evidence (coordinated entries refused with
  `stale_term`, each beside the higher term's grant that fenced it).
- `devices`: the enrolled devices, the revocation command as `chitnode revoke` builds it,
  the leases as `chitnode lease status` reads them; `hand_over` checks and builds a
  hand-over before an offline meeting (`chitnode lease transfer --for`), `time_left` says
  a holder's time left in words.
- `monitor`: the kernel monitor strip's figures, from numbers the view gathered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views as views
from chitnode.domain import default_views as dv
from chitnode.domain import loan_views as lv
from chitnode.domain.kernel_kinds import latest_grants
from chitnode.domain.state import State
from chitnode.errors import ChitError, RuleViolation, UsageError
from chitnode.log.records import Problem
from chitnode.services import report_tables as tables
from chitnode.store.api import EntryFilter, StoredEntry
from sync.election.books import ScopeLease, device_name, scope_leases
from sync.election.forward import NoLeaseHolder
from sync.limits import LEASE_FOR_MAX_MS
from ui import limits
from ui.backend import Reading

Command = tuple[str, dict[str, Any]]
BASIS_POINTS = 10_000  # a rate in hundredths of a per cent
DAY_MS = 86_400_000
STALE_TERM = "stale_term"  # the kernel's code for a coordinated entry fenced by a higher term


class BadAuditFilter(ChitError):
    """An audit-trail filter the screen cannot read (a date not as YYYY-MM-DD)."""

    code = "bad_audit_filter"


# --- the KPI dashboard ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # "2026-03"
    paise: int
    share: float  # of the highest bar, 0..1: the bar's drawn height


@dataclass(frozen=True, slots=True)
class Dashboard:
    total_pool_paise: int  # what the running groups' pools hold now
    active_members: int  # members holding a ticket in a running group
    default_rate_bp: int  # tickets in default per ticket of a running group, basis points
    defaults: int
    tickets: int
    loans_outstanding_paise: int
    collections_this_month_paise: int
    month: str  # the calendar month (UTC) the collections are counted in
    trend: tuple[Bar, ...]  # collections by month, oldest first


def month_of(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m")


def bars(months: Sequence[str], paise: Sequence[int]) -> tuple[Bar, ...]:
    """Bars of a chart, each as tall as its share of the highest (0 when all are 0)."""
    months, paise = months[-limits.ADMIN_TREND_MONTHS :], paise[-limits.ADMIN_TREND_MONTHS :]
    top = max(paise, default=0)
    return tuple(Bar(m, p, p / top if top > 0 else 0.0) for m, p in zip(months, paise, strict=True))


def dashboard(r: Reading) -> Dashboard:
    state = r.state
    running = [
        gid
        for gid, group in sorted(state.rows(base.GROUPS).items())
        if group["status"] == base.RUNNING
    ]
    pool = sum(views.group_health(state, gid).pool_paise for gid in running)
    members: set[str] = set()
    tickets = 0
    for gid in running:
        for ticket in base.ticket_rows(state, base.group_row(state, gid)):
            tickets += 1
            if ticket.get("member_id"):
                members.add(str(ticket["member_id"]))
    wanted = set(running)
    defaults = sum(
        1 for case in dv.recovery_board(state, r.now_ms).cases if case.group_id in wanted
    )
    outstanding = sum(
        lv.loan_summary(state, loan_id).outstanding_paise for loan_id in state.rows(lv.LOANS)
    )
    chart = tables.cash_chart(state)
    collected = next((s.paise for s in chart.series if s.label == "Collected"), ())
    month = month_of(r.now_ms)
    this_month = dict(zip(chart.months, collected, strict=True)).get(month, 0)
    return Dashboard(
        total_pool_paise=pool,
        active_members=len(members),
        default_rate_bp=defaults * BASIS_POINTS // tickets if tickets else 0,
        defaults=defaults,
        tickets=tickets,
        loans_outstanding_paise=outstanding,
        collections_this_month_paise=this_month,
        month=month,
        trend=bars(chart.months, collected),
    )


def percent(bp: int) -> str:
    """Basis points in words: 1234 -> "12.34%"."""
    return f"{bp // 100}.{bp % 100:02d}%"


# --- the audit trail ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str = ""
    kind_prefix: str = ""
    since: str = ""  # YYYY-MM-DD, UTC, inclusive
    until: str = ""  # YYYY-MM-DD, UTC, inclusive (to the day's end)


def _day_ms(text: str) -> int:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise BadAuditFilter(f"a date is written YYYY-MM-DD, not {text!r}") from exc
    return int(day.timestamp() * 1000)


def entry_filter(f: AuditFilter, before_pos: int | None = None) -> EntryFilter:
    """The store's filter for `f` (BadAuditFilter for a date it cannot read)."""
    return EntryFilter(
        actor=f.actor.strip() or None,
        kind_prefix=f.kind_prefix.strip() or None,
        since_ms=_day_ms(f.since.strip()) if f.since.strip() else None,
        until_ms=_day_ms(f.until.strip()) + DAY_MS - 1 if f.until.strip() else None,
        before_pos=before_pos,
    )


@dataclass(frozen=True, slots=True)
class AuditRow:
    pos: int
    author: str  # the author's key
    author_name: str  # its enrolled device name ("root admin" for the genesis key)
    role: str
    actor: str  # whom the entry acts for, when not its author
    kind: str
    ts_ms: int
    seq: int
    hash: str
    prev: str
    status: str  # applied | rejected
    code: str


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: tuple[AuditRow, ...]  # newest first
    next_before: int | None  # the `before_pos` of the next (older) page; None: the last


def device_role(state: State, key: str) -> str:
    row = state.get("devices", key)
    if row is not None:
        return str(row.get("role", ""))
    branch = state.get("branch", "branch")
    return "admin" if branch is not None and branch["root"] == key else ""


def audit_page(r: Reading, newest_first: Sequence[StoredEntry], page_rows: int) -> AuditPage:
    """A page from up to `page_rows + 1` stored rows, newest first (the extra one says
    whether an older page exists)."""
    shown = list(newest_first[:page_rows])
    rows = tuple(
        AuditRow(
            pos=int(e.pos or 0),
            author=e.author,
            author_name=device_name(r.state, e.author),
            role=device_role(r.state, e.author),
            actor=e.actor if e.actor != e.author else "",
            kind=e.kind,
            ts_ms=e.ts,
            seq=e.seq,
            hash=e.hash,
            prev=e.prev,
            status=e.status,
            code=e.code,
        )
        for e in shown
    )
    more = len(newest_first) > page_rows and bool(rows)
    return AuditPage(rows, rows[-1].pos if more else None)


# --- integrity ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Broken:
    code: str
    author: str
    seq: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class Fenced:
    """A coordinated entry refused because a higher term of its scope was granted."""

    scope: str
    term: int
    author: str
    author_name: str
    seq: int
    hash: str
    kind: str
    by_term: int  # the grant that fenced it
    by_holder: str
    by_holder_name: str
    by_seq: int
    by_hash: str


def broken(problems: Iterable[Problem]) -> tuple[Broken, ...]:
    return tuple(Broken(p.code, p.author or "", p.seq, p.detail) for p in problems)


def fencing(
    state: State, refused: Iterable[tuple[StoredEntry, Mapping[str, Any]]], hash_at: Any
) -> tuple[Fenced, ...]:
    """Each `stale_term` refusal (the stored row and its body) beside the grant of the
    highest term of its scope; `hash_at(author, seq)` reads a stored entry's hash."""
    grants = latest_grants(state)
    out = []
    for entry, body in refused:
        if entry.code != STALE_TERM:
            continue
        scope = str(body.get("scope", ""))
        term, holder, seq = grants.get(scope, (0, "", 0))
        out.append(
            Fenced(
                scope=scope,
                term=int(body.get("term", 0) or 0),
                author=entry.author,
                author_name=device_name(state, entry.author),
                seq=entry.seq,
                hash=entry.hash,
                kind=entry.kind,
                by_term=term,
                by_holder=holder,
                by_holder_name=device_name(state, holder) if holder else "",
                by_seq=seq,
                by_hash=str(hash_at(holder, seq) or "") if holder else "",
            )
        )
        if len(out) >= limits.ADMIN_FENCED_SHOWN:
            break
    return tuple(out)


def progress(done: int, total: int) -> float:
    """The progress bar's value, 0..1 (a log that grew meanwhile stays at 1)."""
    return 1.0 if total <= 0 else min(1.0, done / total)


# --- devices and leases ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceRow:
    key: str
    name: str
    role: str
    status: str  # active | revoked
    reason: str
    after_seq: int | None
    this_device: bool


@dataclass(frozen=True, slots=True)
class LeaseRow:
    scope: str
    holder: str
    holder_name: str
    term: int
    status: str  # held | transferred | released | none
    lease_ms: int
    time_left_ms: int | None  # None: only the holder's running election knows
    electorate: tuple[tuple[str, str], ...] = ()  # (device key, name): who may hold it


@dataclass(frozen=True, slots=True)
class Devices:
    devices: tuple[DeviceRow, ...]
    leases: tuple[LeaseRow, ...]
    may_manage: bool  # this device is an admin's: it may revoke and invite
    device_key: str = ""  # this device: it hands over only the scopes it holds


def lease_rows(leases: Iterable[ScopeLease]) -> tuple[LeaseRow, ...]:
    return tuple(
        LeaseRow(
            scope=s.scope,
            holder=s.holder or "",
            holder_name=s.holder_name or "",
            term=s.term,
            status=s.status,
            lease_ms=s.lease_ms,
            time_left_ms=s.time_left_ms,
            electorate=tuple(s.electorate),
        )
        for s in leases
    )


def devices(r: Reading) -> Devices:
    """The root admin's device (enrolled by the genesis) first, then the enrolled ones."""
    rows = []
    branch = r.state.get("branch", "branch")
    root = str(branch["root"]) if branch is not None else ""
    if root and r.state.get("devices", root) is None:
        rows.append(
            DeviceRow(
                root, device_name(r.state, root), "admin", "active", "", None, root == r.device_key
            )
        )
    for key, row in sorted(r.state.rows("devices").items(), key=lambda kv: str(kv[1]["name"])):
        after = row.get("after_seq")
        rows.append(
            DeviceRow(
                key=key,
                name=str(row["name"]),
                role=str(row["role"]),
                status=str(row["status"]),
                reason=str(row.get("reason", "")),
                after_seq=None if after is None else int(after),
                this_device=key == r.device_key,
            )
        )
    return Devices(
        tuple(rows[: limits.ADMIN_DEVICES_SHOWN]),
        lease_rows(scope_leases(r.state)),
        r.device_role == "admin",
        r.device_key,
    )


def revoke_command(key: str, reason: str, placed_heads: Mapping[str, tuple[int, str]]) -> Command:
    """`chitnode revoke`'s entry: valid up to the key's feed head as this node placed it."""
    after_seq = placed_heads.get(key, (0, ""))[0]
    return "device.revoked", {"key": key, "reason": reason.strip(), "after_seq": after_seq}


# --- handing a group over before an offline meeting ----------------------------------------

HOUR_MS = 3_600_000
MINUTE_MS = 60_000
# The meeting lengths the hand-over offers, in hours: a chit meeting runs one to a few hours;
# the longest matches `chitnode lease transfer --for`'s bound (sync/election/cli.py, 24 h).
MEETING_HOURS = (1, 2, 3, 4, 6, 8, 12, 24)
MEETING_HOURS_DEFAULT = 4  # an evening's meeting with the drive there and back
assert max(MEETING_HOURS) * HOUR_MS <= LEASE_FOR_MAX_MS, "every choice is a lease the CLI gives"
# Why a lease row has no hand-over button (catalogue "admin.lease.why_<reason>"): the admin
# reads a sentence, never a missing button without a word.
NO_ELECTION, ALONE, NOT_HERE = "no_election", "alone", "not_here"


def held_here(row: LeaseRow, me: str) -> bool:
    """This device holds the scope now: its running election counts the lease's time left."""
    return row.holder == me and row.status == "held" and row.time_left_ms is not None


def hand_targets(row: LeaseRow, me: str) -> tuple[tuple[str, str], ...]:
    """The devices `row`'s scope may be handed to: its electorate but this device."""
    return tuple((key, name) for key, name in row.electorate if key != me)


def why_no_hand_over(row: LeaseRow, me: str, election: bool) -> str:
    """ "" when this device may hand the scope over now, else the reason (NO_ELECTION, ALONE,
    NOT_HERE): the election runs only inside `chitnode serve`; only another device of the
    electorate can take the lease; only the holder hands it on (coordination-v1)."""
    if not election:
        return NO_ELECTION
    if not hand_targets(row, me):
        return ALONE
    return "" if held_here(row, me) else NOT_HERE


def time_left(row: LeaseRow) -> tuple[str, dict[str, int]]:
    """The time left in words: a catalogue key's last part and its figures, e.g.
    ("left_min", {"m": 4}) for "4 min left"; rounded down, as a lease ends on its own."""
    ms = row.time_left_ms
    if ms is None:
        return ("left_holder", {}) if row.status == "held" else ("left_nobody", {})
    if ms >= HOUR_MS:
        return "left_h", {"h": ms // HOUR_MS, "m": ms % HOUR_MS // MINUTE_MS}
    if ms >= MINUTE_MS:
        return "left_min", {"m": ms // MINUTE_MS}
    return "left_s", {"s": ms // 1000}


@dataclass(frozen=True, slots=True)
class HandOver:
    """What the hand-over button does, in order: the electorate's new lease (an admin's
    entry, None when the lease is that long already), then the transfer to `to`."""

    scope: str
    to: str
    to_name: str
    lease_ms: int
    electorate_set: Command | None


def hand_over(row: LeaseRow, me: str, to: str, lease_ms: int, connected: Iterable[str]) -> HandOver:
    """`chitnode lease transfer SCOPE --to TO --for LEASE`, checked before anything is
    written: a refusal here leaves the books as they were (a long lease set for a transfer
    that then failed would keep the group from being elected for hours)."""
    if not 0 < lease_ms <= LEASE_FOR_MAX_MS:
        raise UsageError("a meeting's lease lasts up to 24 h")
    if not held_here(row, me):
        raise RuleViolation(
            f"this device does not hold {row.scope} now: hand it over on its holder",
            code="not_lease_holder",
        )
    names = dict(hand_targets(row, me))
    if to not in names:
        raise RuleViolation(
            f"{to[:12]} is not another device of the electorate of {row.scope}",
            code="bad_transfer",
        )
    if to not in set(connected):
        raise NoLeaseHolder(
            f"{names[to] or to[:12]} is not connected to this device: start `chitnode serve` "
            "on it, on this network, and try again"
        )
    keys = sorted(key for key, _ in row.electorate)
    body = {"scope": row.scope, "keys": keys, "lease_ms": lease_ms}
    first = None if lease_ms == row.lease_ms else ("scope.electorate_set", body)
    return HandOver(row.scope, to, names[to], lease_ms, first)


# --- the kernel monitor strip ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gauges:
    """What the view measured (psutil, the store, the serve runtime): plain numbers."""

    rss_bytes: int
    cpu_percent: float
    threads: int
    wal_entries: int
    held_entries: int
    peers_connected: int | None  # None: not serving (no runtime in this process)
    sync_state: str  # the serve guard's state: caught_up | checking | unchecked | ""


@dataclass(frozen=True, slots=True)
class Monitor:
    ram_mb: str
    cpu: str
    threads: int
    wal_entries: int
    held_entries: int
    leases_held: int
    peers: str
    sync: str


def leases_held(state: State, device_key: str) -> int:
    """Scopes whose latest granted term is this device's and still held."""
    return sum(1 for s in scope_leases(state) if s.holder == device_key and s.status == "held")


def monitor(r: Reading, g: Gauges) -> Monitor:
    return Monitor(
        ram_mb=f"{g.rss_bytes / 1_048_576:.0f} MB",
        cpu=f"{g.cpu_percent:.0f}%",
        threads=g.threads,
        wal_entries=g.wal_entries,
        held_entries=g.held_entries,
        leases_held=leases_held(r.state, r.device_key),
        peers="—" if g.peers_connected is None else str(g.peers_connected),
        sync=g.sync_state or "—",
    )


def serve_gauges(fields: Mapping[str, Any] | None) -> tuple[int | None, str]:
    """Peers connected (dialled links up, and peers connected in) and the guard's state,
    from the serve runtime's `status_fields()`; (None, "") when this process serves not."""
    if fields is None:
        return None, ""
    peers = {str(p) for p in fields.get("connected_in", []) if p}
    peers |= {
        str(link.get("peer") or link.get("address"))
        for link in fields.get("links", [])
        if link.get("state") == "connected"
    }
    guard = fields.get("guard") or {}
    return len(peers), str(guard.get("state", "")).lower()
