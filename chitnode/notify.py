"""Notifications (issue 4, part 3): in-app feeds per member and per role, and an e-mail outbox.

In-app: `notifications_for(event)` is a pure function of one `events.Event` (so of
the log: `events.replay_events` rebuilds every event from the stored entries)
giving the lines a member or a role sees, amounts in rupees with Indian digit
grouping (`money.format_inr`). Money events covered: transfers in and out,
cash deposits and withdrawals at the counter, bank deposits settled or failed and
bank withdrawals reserved, paid out or refused (`bank_kinds`), dues (a
contribution recorded), an auction won, a prize paid, a recovery case opened or
moved, and any wallet entry refused in the fold. EMI reminders join when the
loan kinds do (issue 4, part 4). `ROLE_FEEDS` says which role's feed gets which
kind. `Feed` keeps the newest `FEED_ITEMS_MAX` per audience, fed from an
`EventStream` subscription.

E-mail: `Outbox` is a small SQLite file of its own, `outbox.db` in the node's
data folder (never the log: addresses are personal data and a mail's fate is
node-local). A row is `pending` until an SMTP server accepts it (`sent`), and is
retried with exponential backoff (`BACKOFF_BASE_MS` doubling up to
`BACKOFF_MAX_MS`) while the server is down or answers 4xx; after
`ATTEMPTS_MAX` tries, or at once on a permanent 5xx refusal, it is `failed`.
`deliver_due(now_ms, sender)` sends what is due; `OutboxWorker` calls it on its
own thread so no SMTP round trip ever blocks the writer or the UI's loop.

Delivery is exactly once while the node runs (a row is marked `sent` in the
same step that saw the server accept it, and deliveries are serialised), and at
least once across a crash between the server's "250 OK" and that mark: every
mail carries `Message-ID: <key@chitnode>`, so a mail client drops the twin.
One process owns a data folder (its writer lock), so one process owns its outbox.
"""

from __future__ import annotations

import smtplib
import sqlite3
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import sqlite_utils

from chitnode.clock import Clock
from chitnode.domain import bank_kinds as bank
from chitnode.domain import wallet_kinds as wallet
from chitnode.domain.money import format_inr
from chitnode.errors import ChitError
from chitnode.events import Event, Subscription
from chitnode.service import Node

# --- bounds ------------------------------------------------------------------------------
FEED_ITEMS_MAX = 200  # newest notifications kept per member or role in a live Feed
FEED_AUDIENCES_MAX = 100_000  # members + roles a live Feed tracks
OUTBOX_FILE = "outbox.db"
OUTBOX_PENDING_MAX = 10_000  # unsent mails; beyond, enqueue is refused (outbox_full)
ATTEMPTS_MAX = 8  # tries before a mail is `failed`
BACKOFF_BASE_MS = 30_000  # wait after the first failure; doubles per attempt
BACKOFF_MAX_MS = 3_600_000
DELIVER_BATCH_MAX = 50  # mails sent per deliver_due call
SUBJECT_CHARS_MAX = 200
MAIL_BODY_CHARS_MAX = 8_000
ADDRESS_CHARS_MAX = 254  # RFC 5321 path limit
SMTP_TIMEOUT_S = 10.0
WORKER_INTERVAL_S = 5.0
SENT_KEEP_MS = 30 * 86_400_000  # sent and failed rows are pruned after this

PENDING = "pending"
SENT = "sent"
FAILED = "failed"

# Which role feeds see which kinds (members see what touches them, whatever the kind).
ROLE_FEEDS: dict[str, tuple[str, ...]] = {
    bank.DEPOSIT_SETTLED: ("employee",),
    bank.DEPOSIT_FAILED: ("employee",),
    bank.WITHDRAWAL_REQUESTED: ("foreman",),
    bank.WITHDRAWAL_SETTLED: ("foreman",),
    bank.WITHDRAWAL_REJECTED: ("foreman",),
    wallet.DEPOSITED: ("employee",),
    wallet.TRANSFERRED: ("foreman",),
    wallet.WITHDRAWN: ("foreman",),
    "contribution.recorded": ("employee",),
    "auction.closed": ("foreman",),
    "prize.paid": ("foreman",),
    "recovery.opened": ("foreman", "employee"),
    "recovery.moved": ("foreman", "employee"),
}
REFUSED_ROLE = "admin"  # a money entry refused by the fold is evidence someone should read


@dataclass(frozen=True, slots=True)
class Notification:
    """One line of a feed: for a member (`member_id`) or for everyone holding `role`."""

    member_id: str  # "" when addressed to a role
    role: str  # "" when addressed to a member
    kind: str  # the entry kind it comes from
    text: str
    ref: str  # the entry's hash: the receipt, and the dedup key of its mail
    ts_ms: int

    @property
    def audience(self) -> str:
        return f"member:{self.member_id}" if self.member_id else f"role:{self.role}"


# --- in-app --------------------------------------------------------------------------------


def notifications_for(event: Event) -> list[Notification]:
    """What members and roles are told about one folded entry (empty: nothing to tell)."""
    if not event.applied:
        return _refused(event)
    member_lines = _member_lines(event)
    role_line = _role_line(event)
    out = [_note(event, text, member_id=m) for m, text in member_lines]
    if role_line:
        out += [_note(event, role_line, role=r) for r in ROLE_FEEDS.get(event.kind, ())]
    return out


def notifications(events: Iterable[Event]) -> list[Notification]:
    return [n for event in events for n in notifications_for(event)]


def member_feed(
    events: Iterable[Event], member_id: str, limit: int = FEED_ITEMS_MAX
) -> list[Notification]:
    """A member's feed, newest first, at most `limit` (pure: derived from the events)."""
    return _newest(events, lambda n: n.member_id == member_id, limit)


def role_feed(
    events: Iterable[Event], role: str, limit: int = FEED_ITEMS_MAX
) -> list[Notification]:
    return _newest(events, lambda n: n.role == role, limit)


def _newest(events: Iterable[Event], keep: _Keep, limit: int) -> list[Notification]:
    kept: deque[Notification] = deque(maxlen=max(0, min(limit, FEED_ITEMS_MAX)))
    for event in events:
        kept.extend(n for n in notifications_for(event) if keep(n))
    return list(reversed(kept))


class _Keep(Protocol):
    def __call__(self, n: Notification, /) -> bool: ...


def _note(event: Event, text: str, *, member_id: str = "", role: str = "") -> Notification:
    return Notification(member_id, role, event.kind, text, event.hash, event.ts_ms)


def _where(event: Event) -> str:
    return f"group {event.group_id}, ticket {event.ticket}"


def _member_lines(event: Event) -> list[tuple[str, str]]:
    amount, members = format_inr(event.amount_paise), event.members
    if event.kind == wallet.TRANSFERRED and len(members) == 2:
        sender, receiver = members
        return [
            (sender, f"You sent {amount} to {receiver}."),
            (receiver, f"You received {amount} from {sender}."),
        ]
    if not members:
        return []
    who = members[0]
    ref = f" (ref {event.detail})" if event.detail else ""
    lines = {
        wallet.DEPOSITED: f"{amount} was deposited into your wallet{ref}.",
        wallet.WITHDRAWN: f"{amount} was withdrawn from your wallet in cash{ref}.",
        "contribution.recorded": (
            f"Payment of {amount} received for {_where(event)}, month {event.month}"
            f" (receipt {event.detail})."
        ),
        "auction.closed": (
            f"You won month {event.month} of group {event.group_id} (ticket {event.ticket}):"
            f" prize {amount}."
        ),
        "prize.paid": f"Your prize of {amount} for group {event.group_id} was paid.",
        bank.DEPOSIT_SETTLED: f"Your bank deposit of {amount} is in your wallet{ref}.",
        bank.DEPOSIT_FAILED: f"Your bank deposit of {amount} did not arrive ({event.detail}).",
        bank.WITHDRAWAL_REQUESTED: f"{amount} is reserved in your wallet for a bank withdrawal.",
        bank.WITHDRAWAL_SETTLED: f"Your bank withdrawal of {amount} was paid out{ref}.",
        bank.WITHDRAWAL_REJECTED: (
            f"Your bank withdrawal of {amount} was refused ({event.detail});"
            " the money is back in your wallet."
        ),
        "recovery.opened": f"A recovery case was opened for {_where(event)}: dues are overdue.",
        "recovery.moved": f"Your recovery case for {_where(event)} moved to: {event.detail}.",
    }
    text = lines.get(event.kind)
    return [(who, text)] if text else []


def _role_line(event: Event) -> str:
    amount, members = format_inr(event.amount_paise), event.members
    who = members[0] if members else "?"
    ref = f" (ref {event.detail})" if event.detail else ""
    lines = {
        wallet.DEPOSITED: f"Cash {amount} received into {who}'s wallet.",
        wallet.TRANSFERRED: f"Transfer of {amount}: {' -> '.join(members)}.",
        wallet.WITHDRAWN: f"Cash {amount} paid out of {who}'s wallet.",
        "contribution.recorded": (
            f"Dues: {amount} from {who} for {_where(event)}, month {event.month}."
        ),
        "auction.closed": (
            f"Group {event.group_id} month {event.month} won by ticket {event.ticket}"
            f" ({who}): prize {amount}."
        ),
        "prize.paid": f"Prize of {amount} paid to {who} ({_where(event)}, month {event.month}).",
        bank.DEPOSIT_SETTLED: f"Bank deposit of {amount} for {who} settled{ref}.",
        bank.DEPOSIT_FAILED: f"Bank deposit of {amount} for {who} failed ({event.detail}).",
        bank.WITHDRAWAL_REQUESTED: f"Bank withdrawal of {amount} for {who} requested.",
        bank.WITHDRAWAL_SETTLED: f"Bank withdrawal of {amount} for {who} paid out{ref}.",
        bank.WITHDRAWAL_REJECTED: f"Bank withdrawal of {amount} for {who} refused.",
        "recovery.opened": f"Recovery opened: {_where(event)} ({who}).",
        "recovery.moved": f"Recovery {_where(event)} ({who}) moved to {event.detail}.",
    }
    return lines.get(event.kind, "")


def _refused(event: Event) -> list[Notification]:
    """A money entry the fold refused: its payer and the admins are told, with the code."""
    if event.kind not in wallet.WALLET_KINDS:
        return []
    amount = format_inr(event.amount_paise)
    what = {
        wallet.DEPOSITED: "deposit",
        wallet.TRANSFERRED: "transfer",
        wallet.WITHDRAWN: "withdrawal",
    }[event.kind]
    out = [_note(event, f"Refused: {what} of {amount} ({event.code}).", role=REFUSED_ROLE)]
    if event.members:
        text = f"Your {what} of {amount} was refused ({event.code})."
        out.insert(0, _note(event, text, member_id=event.members[0]))
    return out


class Feed:
    """Live in-app feeds: the newest `FEED_ITEMS_MAX` notifications per audience.

    Fed by `pull(subscription)` (an `EventStream` subscription with no filter).
    Thread-safe. A restarted node rebuilds it from the log:
    `feed.add_events(events.replay_events(events.stored_entries(node)))`.
    """

    def __init__(self) -> None:
        self._items: dict[str, deque[Notification]] = {}
        self._lock = threading.Lock()
        self.dropped_audiences = 0

    def add_events(self, events: Iterable[Event]) -> int:
        added = 0
        for note in notifications(events):
            with self._lock:
                items = self._items.get(note.audience)
                if items is None:
                    if len(self._items) >= FEED_AUDIENCES_MAX:
                        self.dropped_audiences += 1
                        continue
                    items = self._items[note.audience] = deque(maxlen=FEED_ITEMS_MAX)
                items.append(note)
            added += 1
        return added

    def pull(self, subscription: Subscription) -> int:
        """Move what the subscription holds into the feeds; returns notifications added."""
        return self.add_events(subscription.drain())

    def for_member(self, member_id: str, limit: int = FEED_ITEMS_MAX) -> list[Notification]:
        return self._newest(f"member:{member_id}", limit)

    def for_role(self, role: str, limit: int = FEED_ITEMS_MAX) -> list[Notification]:
        return self._newest(f"role:{role}", limit)

    def _newest(self, audience: str, limit: int) -> list[Notification]:
        with self._lock:
            items = list(self._items.get(audience, ()))
        return items[::-1][: max(0, limit)]


# --- e-mail outbox -----------------------------------------------------------------------


class OutboxFull(ChitError):
    code = "outbox_full"


@dataclass(frozen=True, slots=True)
class Mail:
    key: str  # idempotency key: one row, one Message-ID, whatever the retries
    to: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class OutboxRow:
    key: str
    to: str
    subject: str
    status: str
    attempts: int
    next_attempt_ms: int
    sent_ms: int | None
    last_error: str


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0  # failed this time, to be retried later
    failed: int = 0  # given up on (attempts exhausted or refused for good)


class Sender(Protocol):
    """Port for the mail channel (SmtpSender; tests may pass a fake)."""

    def send(self, mail: Mail) -> None: ...


class PermanentFailure(Exception):
    """The server refused the mail for good (5xx): retrying cannot help."""


def backoff_ms(attempts: int) -> int:
    """Wait after the `attempts`-th failed try: 30 s, 60 s, 120 s, ... capped at an hour."""
    return int(min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** max(0, attempts - 1)))


class Outbox:
    """Mails waiting for an SMTP server, in `outbox.db` next to the node's store."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._db = sqlite_utils.Database(self._conn)
        self._lock = threading.Lock()  # one statement group at a time across threads
        self._delivering = threading.Lock()  # deliveries never overlap: no double send
        if "outbox" not in self._db.table_names():
            self._db.table("outbox").create(
                {
                    "key": str,
                    "recipient": str,
                    "subject": str,
                    "body": str,
                    "status": str,
                    "attempts": int,
                    "next_attempt_ms": int,
                    "created_ms": int,
                    "sent_ms": int,
                    "last_error": str,
                },
                pk="key",
                not_null={"recipient", "subject", "body", "status", "attempts", "next_attempt_ms"},
            )
            self._db.table("outbox").create_index(["status", "next_attempt_ms"])

    @classmethod
    def for_node(cls, node: Node) -> Outbox:
        return cls(node.store.data_dir / OUTBOX_FILE)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def enqueue(self, mail: Mail, now_ms: int) -> bool:
        """Queue `mail` to go out at once; False if its key is already queued (or sent)."""
        _check_mail(mail)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                pending = self._count(PENDING)
                if pending >= OUTBOX_PENDING_MAX:
                    raise OutboxFull(f"{pending} mails are waiting; refusing more")
                cur = self._conn.execute(
                    "INSERT OR IGNORE INTO outbox(key, recipient, subject, body, status, attempts,"
                    " next_attempt_ms, created_ms, sent_ms, last_error)"
                    " VALUES (?, ?, ?, ?, ?, 0, ?, ?, NULL, '')",
                    (mail.key, mail.to, mail.subject, mail.body, PENDING, now_ms, now_ms),
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        return cur.rowcount == 1

    def deliver_due(self, now_ms: int, sender: Sender) -> DeliveryReport:
        """Try every pending mail due by `now_ms` (at most DELIVER_BATCH_MAX), oldest first."""
        sent = retrying = failed = 0
        with self._delivering:
            for mail, attempts in self._due(now_ms):
                try:
                    sender.send(mail)
                except PermanentFailure as exc:
                    self._mark(mail.key, FAILED, attempts + 1, now_ms, str(exc))
                    failed += 1
                except (OSError, smtplib.SMTPException) as exc:
                    tried = attempts + 1
                    if tried >= ATTEMPTS_MAX:
                        self._mark(mail.key, FAILED, tried, now_ms, _reason(exc))
                        failed += 1
                    else:
                        later = now_ms + backoff_ms(tried)
                        self._mark(mail.key, PENDING, tried, later, _reason(exc))
                        retrying += 1
                else:
                    self._mark(mail.key, SENT, attempts + 1, now_ms, "", sent_ms=now_ms)
                    sent += 1
        return DeliveryReport(sent, retrying, failed)

    def _due(self, now_ms: int) -> list[tuple[Mail, int]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, recipient, subject, body, attempts FROM outbox"
                " WHERE status = ? AND next_attempt_ms <= ? ORDER BY next_attempt_ms, key LIMIT ?",
                (PENDING, now_ms, DELIVER_BATCH_MAX),
            ).fetchall()
        return [(Mail(r[0], r[1], r[2], r[3]), int(r[4])) for r in rows]

    def _mark(
        self,
        key: str,
        status: str,
        attempts: int,
        next_ms: int,
        error: str,
        *,
        sent_ms: int | None = None,
    ) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE outbox SET status = ?, attempts = ?, next_attempt_ms = ?, last_error = ?,"
                " sent_ms = ? WHERE key = ?",
                (status, attempts, next_ms, error[:500], sent_ms, key),
            )

    def _count(self, status: str) -> int:
        row = self._conn.execute("SELECT count(*) FROM outbox WHERE status = ?", (status,))
        return int(row.fetchone()[0])

    def count(self, status: str) -> int:
        with self._lock:
            return self._count(status)

    def row(self, key: str) -> OutboxRow | None:
        with self._lock:
            r = self._conn.execute(
                "SELECT key, recipient, subject, status, attempts, next_attempt_ms, sent_ms,"
                " last_error FROM outbox WHERE key = ?",
                (key,),
            ).fetchone()
        if r is None:
            return None
        sent_ms = None if r[6] is None else int(r[6])
        return OutboxRow(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), sent_ms, r[7])

    def next_due_ms(self) -> int | None:
        """When the earliest pending mail is due (None: nothing pending)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT min(next_attempt_ms) FROM outbox WHERE status = ?", (PENDING,)
            ).fetchone()
        return None if row[0] is None else int(row[0])

    def prune(self, now_ms: int, keep_ms: int = SENT_KEEP_MS) -> int:
        """Delete sent and failed rows older than `keep_ms`; pending rows are never pruned."""
        with self._lock:
            cur = self._conn.execute(
                "DELETE FROM outbox WHERE status IN (?, ?) AND next_attempt_ms < ?",
                (SENT, FAILED, now_ms - keep_ms),
            )
        return cur.rowcount


def _check_mail(mail: Mail) -> None:
    ok = (
        0 < len(mail.key) <= 200
        and 0 < len(mail.to) <= ADDRESS_CHARS_MAX
        and "@" in mail.to
        and not any(c in mail.to for c in "\r\n<>,")
        and len(mail.subject) <= SUBJECT_CHARS_MAX
        and not any(c in mail.subject for c in "\r\n")
        and len(mail.body) <= MAIL_BODY_CHARS_MAX
    )
    if not ok:
        raise ChitError("not a mail this outbox sends", code="bad_mail")


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def mails_for(
    items: Iterable[Notification], addresses: Mapping[str, str], *, subject_prefix: str = "chitnode"
) -> list[Mail]:
    """Mails for the member notifications whose member has an address (roles get none)."""
    out = []
    for note in items:
        to = addresses.get(note.member_id) if note.member_id else None
        if not to:
            continue
        subject = f"{subject_prefix}: {note.text}"[:SUBJECT_CHARS_MAX]
        body = f"{note.text}\n\nReference: {note.ref}\n"
        out.append(Mail(f"{note.ref}.{note.member_id}", to, subject, body))
    return out


class SmtpSender:
    """Sends one mail per SMTP session with the stdlib `smtplib` (STARTTLS on request)."""

    def __init__(
        self,
        host: str,
        port: int,
        from_addr: str,
        *,
        timeout_s: float = SMTP_TIMEOUT_S,
        starttls: bool = False,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.host, self.port, self.from_addr = host, port, from_addr
        self.timeout_s, self.starttls, self.login = timeout_s, starttls, login

    def send(self, mail: Mail) -> None:
        msg = EmailMessage()
        msg["From"] = self.from_addr
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg["Message-ID"] = f"<{mail.key}@chitnode>"
        msg.set_content(mail.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.login is not None:
                    smtp.login(*self.login)
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            if all(code >= 500 for code, _ in exc.recipients.values()):
                raise PermanentFailure(f"recipients refused: {exc.recipients}") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPConnectError):
                raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise


class OutboxWorker:
    """Runs `deliver_due` on its own thread every `interval_s`, or at once when woken."""

    def __init__(
        self, outbox: Outbox, sender: Sender, clock: Clock, *, interval_s: float = WORKER_INTERVAL_S
    ) -> None:
        self.outbox, self.sender, self.clock, self.interval_s = outbox, sender, clock, interval_s
        self.reports: deque[DeliveryReport] = deque(maxlen=100)
        self.errors = 0  # unexpected errors survived (a bug or a broken outbox file)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chitnode-outbox", daemon=True)

    def start(self) -> OutboxWorker:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: float = SMTP_TIMEOUT_S + 5) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                now_ms = self.clock.now_ms()
                self.reports.append(self.outbox.deliver_due(now_ms, self.sender))
                self.outbox.prune(now_ms)
            except Exception:  # keep delivering; the count shows something is wrong
                self.errors += 1
            self._wake.wait(self.interval_s)
            self._wake.clear()
