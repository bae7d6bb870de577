"""The e-mail outbox (`chitnode/store/mail_outbox.py`) sent by `sync/mail/smtp.py` to a sink."""

from __future__ import annotations

import email
import email.policy
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode import limits
from chitnode.domain.wallet_kinds import TRANSFERRED
from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.services.notify import mails_for, notifications_for
from chitnode.store import mail_outbox as mo
from chitnode.store.mail_outbox import Mail, Outbox
from sync.mail.smtp import OutboxWorker, SmtpSender
from tests.support.clock import T0_MS as T0
from tests.support.clock import FakeClock
from tests.support.events import event

pytestmark = pytest.mark.system  # real sockets on loopback


# --- a local SMTP sink (stdlib socketserver) -----------------------------------------------


class SmtpSink(socketserver.ThreadingTCPServer):
    """A tiny SMTP server on 127.0.0.1 that keeps what it receives.

    mode: "ok" accepts; "busy" answers 421 at once (try later); "reject" refuses
    every recipient with 550 (for good).
    """

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port: int = 0, mode: str = "ok") -> None:
        self.mode = mode
        self.messages: list[bytes] = []
        self.sessions = 0
        super().__init__(("127.0.0.1", port), _SmtpHandler)
        self.port = int(self.server_address[1])
        self._thread = threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpSink

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        sink = self.server
        sink.sessions += 1
        if sink.mode == "busy":
            self.reply("421 sink busy, try later")
            return
        self.reply("220 sink ESMTP")
        data: list[bytes] | None = None
        while line := self.rfile.readline(65_536):
            if data is not None:
                if line.rstrip(b"\r\n") == b".":
                    sink.messages.append(b"".join(data))
                    data = None
                    self.reply("250 queued")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.reply("250-sink")
                self.reply("250 8BITMIME")
            elif verb == b"RCPT" and sink.mode == "reject":
                self.reply("550 no such mailbox")
            elif verb == b"DATA":
                data = []
                self.reply("354 go ahead")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.reply("250 ok")
            else:
                self.reply("502 not implemented")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / mo.OUTBOX_FILE)
    yield box
    box.close()


def mail(key: str = "k1") -> Mail:
    return Mail(key, "m1@example.org", "chitnode: money", "You received ₹1,23,456.78 from M1.\n")


def sender(port: int) -> SmtpSender:
    return SmtpSender("127.0.0.1", port, "branch@example.org", timeout_s=5)


def test_server_down_is_retried_later_and_server_up_sends_exactly_once(outbox: Outbox) -> None:
    port = free_port()  # nothing listens here yet: connection refused
    assert outbox.enqueue(mail(), T0)
    assert not outbox.enqueue(mail(), T0)  # one key, one row
    assert outbox.deliver_due(T0, sender(port)) == mo.DeliveryReport(retrying=1)
    row = outbox.row("k1")
    assert row is not None and (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_ms == T0 + limits.MAIL_BACKOFF_BASE_MS and "Refused" in row.last_error
    sink = SmtpSink(port)
    try:
        not_yet = outbox.deliver_due(T0 + limits.MAIL_BACKOFF_BASE_MS - 1, sender(port))
        assert not_yet == mo.DeliveryReport() and sink.sessions == 0
        due = T0 + limits.MAIL_BACKOFF_BASE_MS
        assert outbox.deliver_due(due, sender(port)) == mo.DeliveryReport(sent=1)
        for later in (due, due + 10**9):
            assert outbox.deliver_due(later, sender(port)) == mo.DeliveryReport()
        assert len(sink.messages) == 1
        row = outbox.row("k1")
        assert row is not None and (row.status, row.attempts, row.sent_ms) == ("sent", 2, due)
        msg = email.message_from_bytes(sink.messages[0], policy=email.policy.default)
        assert msg["Message-ID"] == "<k1@chitnode>" and msg["To"] == "m1@example.org"
        body = msg.get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]
        assert body == "You received ₹1,23,456.78 from M1.\n"  # utf-8 end to end
    finally:
        sink.stop()


def test_a_busy_server_backs_off_exponentially_then_gives_up(outbox: Outbox) -> None:
    sink = SmtpSink(mode="busy")
    try:
        outbox.enqueue(mail(), T0)
        now, waits = T0, []
        for _ in range(limits.MAIL_ATTEMPTS_MAX - 1):
            assert outbox.deliver_due(now, sender(sink.port)).retrying == 1
            row = outbox.row("k1")
            assert row is not None
            waits.append(row.next_attempt_ms - now)
            now = row.next_attempt_ms
        assert waits == [mo.backoff_ms(n) for n in range(1, limits.MAIL_ATTEMPTS_MAX)]
        assert waits[:3] == [30_000, 60_000, 120_000] and max(waits) <= limits.MAIL_BACKOFF_CAP_MS
        assert outbox.deliver_due(now, sender(sink.port)).failed == 1
        row = outbox.row("k1")
        assert row is not None and (row.status, row.attempts) == (
            "failed",
            limits.MAIL_ATTEMPTS_MAX,
        )
        assert outbox.deliver_due(now + 10**9, sender(sink.port)) == mo.DeliveryReport()
        assert sink.messages == []
    finally:
        sink.stop()


def test_a_permanent_refusal_fails_at_once(outbox: Outbox) -> None:
    sink = SmtpSink(mode="reject")
    try:
        outbox.enqueue(mail(), T0)
        assert outbox.deliver_due(T0, sender(sink.port)) == mo.DeliveryReport(failed=1)
        row = outbox.row("k1")
        assert row is not None and row.status == "failed" and "550" in row.last_error
    finally:
        sink.stop()


def test_pending_mail_survives_reopening_the_outbox(tmp_path: Path) -> None:
    path = tmp_path / mo.OUTBOX_FILE
    box = Outbox(path)
    box.enqueue(mail("k2"), T0)
    box.close()
    box = Outbox(path)
    sink = SmtpSink()
    try:
        assert box.next_due_ms() == T0
        assert box.deliver_due(T0, sender(sink.port)).sent == 1 and len(sink.messages) == 1
        assert box.count("pending") == 0 and box.count("sent") == 1
        assert box.prune(T0 + limits.MAIL_SENT_KEEP_MS + 1) == 1 and box.row("k2") is None
    finally:
        sink.stop()
        box.close()


def test_bad_mail_is_refused_and_the_outbox_is_bounded(
    outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for bad in (
        Mail("k", "no-at-sign", "s", "b"),
        Mail("k", "a@b\r\nBcc: x@y", "s", "b"),
        Mail("k", "a@b", "line\r\nbreak", "b"),
        Mail("", "a@b", "s", "b"),
    ):
        with pytest.raises(ChitError) as info:
            outbox.enqueue(bad, T0)
        assert info.value.code == "bad_mail"
    monkeypatch.setattr(limits, "MAIL_OUTBOX_PENDING_MAX", 2)
    outbox.enqueue(mail("a"), T0)
    outbox.enqueue(mail("b"), T0)
    with pytest.raises(mo.OutboxFull):
        outbox.enqueue(mail("c"), T0)


def test_the_worker_thread_delivers_node_notifications_by_mail(
    tmp_path: Path, clock: FakeClock
) -> None:
    node = Node.init(tmp_path / "node", "Mail Branch", clock=clock)
    box = Outbox.in_folder(node.store.data_dir)
    assert box.path == node.store.data_dir / "outbox.db"
    sink = SmtpSink()
    worker = OutboxWorker(box, sender(sink.port), clock, interval_s=30).start()
    try:
        notes = notifications_for(event(TRANSFERRED, ("M1", "M2"), 150_000))
        mails = mails_for(notes, {"M2": "m2@example.org"})  # M1 has no address: no mail
        assert [m.to for m in mails] == ["m2@example.org"]
        for m in mails:
            box.enqueue(m, clock.now_ms())
        worker.wake()
        deadline = time.monotonic() + 10
        while not sink.messages and time.monotonic() < deadline:
            time.sleep(0.01)
        msg = email.message_from_bytes(sink.messages[0], policy=email.policy.default)
        assert msg["Subject"] == "chitnode: You received ₹1,500.00 from M1."
        assert box.count("sent") == 1 and worker.errors == 0
    finally:
        worker.stop()
        sink.stop()
        box.close()
        node.close()
