"""The e-mail outbox: mails waiting for an SMTP server, in `outbox.db` next to the node's store.

Never the log: addresses are personal data and a mail's fate is node-local. A
row is `pending` until a sender accepts it (`sent`), and is retried with
exponential backoff (`MAIL_BACKOFF_BASE_MS` doubling up to `MAIL_BACKOFF_CAP_MS`, in
`chitnode.limits`) while the server is down or answers 4xx; after `MAIL_ATTEMPTS_MAX`
tries, or at once on a `PermanentFailure`, it is `failed`. The sender is a port (`Sender`): the SMTP
adapter lives in `sync/mail/`.

Delivery is exactly once while the node runs (a row is marked `sent` in the
same step that saw the server accept it, and deliveries are serialised), and at
least once across a crash between the server's "250 OK" and that mark: every
mail carries `Message-ID: <key@chitnode>`, so a mail client drops the twin.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlite_utils

from chitnode import limits
from chitnode.errors import ChitError

OUTBOX_FILE = "outbox.db"

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


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
    return int(
        min(limits.MAIL_BACKOFF_CAP_MS, limits.MAIL_BACKOFF_BASE_MS * 2 ** max(0, attempts - 1))
    )


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
    def in_folder(cls, data_dir: Path | str) -> Outbox:
        return cls(Path(data_dir) / OUTBOX_FILE)

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
                if pending >= limits.MAIL_OUTBOX_PENDING_MAX:
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
        """Try every pending mail due by `now_ms` (at most MAIL_DELIVER_BATCH_MAX), oldest first."""
        sent = retrying = failed = 0
        with self._delivering:
            for mail, attempts in self._due(now_ms):
                try:
                    sender.send(mail)
                except PermanentFailure as exc:
                    self._mark(mail.key, FAILED, attempts + 1, now_ms, str(exc))
                    failed += 1
                except OSError as exc:  # smtplib.SMTPException is an OSError
                    tried = attempts + 1
                    if tried >= limits.MAIL_ATTEMPTS_MAX:
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
                (PENDING, now_ms, limits.MAIL_DELIVER_BATCH_MAX),
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
                (
                    status,
                    attempts,
                    next_ms,
                    error[: limits.MAIL_LAST_ERROR_CHARS_MAX],
                    sent_ms,
                    key,
                ),
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
        return None if r is None else _outbox_row(r)

    def recent(self, limit: int) -> list[OutboxRow]:
        """The newest `limit` rows by when they were queued, any status (the staff's view)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, recipient, subject, status, attempts, next_attempt_ms, sent_ms,"
                " last_error FROM outbox ORDER BY created_ms DESC, key LIMIT ?",
                (limit,),
            ).fetchall()
        return [_outbox_row(r) for r in rows]

    def next_due_ms(self) -> int | None:
        """When the earliest pending mail is due (None: nothing pending)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT min(next_attempt_ms) FROM outbox WHERE status = ?", (PENDING,)
            ).fetchone()
        return None if row[0] is None else int(row[0])

    def prune(self, now_ms: int, keep_ms: int = limits.MAIL_SENT_KEEP_MS) -> int:
        """Delete sent and failed rows older than `keep_ms`; pending rows are never pruned."""
        with self._lock:
            cur = self._conn.execute(
                "DELETE FROM outbox WHERE status IN (?, ?) AND next_attempt_ms < ?",
                (SENT, FAILED, now_ms - keep_ms),
            )
        return cur.rowcount


def _outbox_row(r: tuple[Any, ...]) -> OutboxRow:
    sent_ms = None if r[6] is None else int(r[6])
    return OutboxRow(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), sent_ms, r[7])


def _check_mail(mail: Mail) -> None:
    ok = (
        0 < len(mail.key) <= limits.MAIL_KEY_CHARS_MAX
        and 0 < len(mail.to) <= limits.MAIL_ADDRESS_CHARS_MAX
        and "@" in mail.to
        and not any(c in mail.to for c in "\r\n<>,")
        and len(mail.subject) <= limits.MAIL_SUBJECT_CHARS_MAX
        and not any(c in mail.subject for c in "\r\n")
        and len(mail.body) <= limits.MAIL_BODY_CHARS_MAX
    )
    if not ok:
        raise ChitError("not a mail this outbox sends", code="bad_mail")


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
