"""Sending the e-mail outbox over SMTP: the adapter behind `mail_outbox.Sender`, and its thread.

`SmtpSender` uses the stdlib `smtplib` (STARTTLS on request) and turns a 5xx
refusal into `PermanentFailure`; anything else it raises is an `OSError`
(`smtplib.SMTPException` is one), which the outbox retries with backoff.
"""

from __future__ import annotations

import smtplib
import threading
from collections import deque
from email.message import EmailMessage

from chitnode.clock import Clock
from chitnode.store.mail_outbox import DeliveryReport, Mail, Outbox, PermanentFailure, Sender
from sync import limits


class SmtpSender:
    """Sends one mail per SMTP session with the stdlib `smtplib` (STARTTLS on request)."""

    def __init__(
        self,
        host: str,
        port: int,
        from_addr: str,
        *,
        timeout_s: float = limits.MAIL_SMTP_TIMEOUT_S,
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
        self,
        outbox: Outbox,
        sender: Sender,
        clock: Clock,
        *,
        interval_s: float = limits.MAIL_WORKER_INTERVAL_S,
    ) -> None:
        self.outbox, self.sender, self.clock, self.interval_s = outbox, sender, clock, interval_s
        self.reports: deque[DeliveryReport] = deque(maxlen=limits.MAIL_WORKER_REPORTS_KEPT)
        self.errors = 0  # unexpected errors survived (a bug or a broken outbox file)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chitnode-outbox", daemon=True)

    def start(self) -> OutboxWorker:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: float = limits.MAIL_SMTP_TIMEOUT_S + 5) -> None:
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
