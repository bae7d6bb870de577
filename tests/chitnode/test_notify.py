"""Notifications: in-app feeds from events, and the SMTP outbox against a local SMTP sink."""

from __future__ import annotations

import email
import email.policy
import random
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode import notify
from chitnode.clock import FakeClock
from chitnode.demo import ChitDriver
from chitnode.domain import bank_kinds as bank
from chitnode.domain.wallet_kinds import DEPOSITED, TRANSFERRED, WITHDRAWN
from chitnode.events import Event, EventStream, Filter, replay_events, stored_entries
from chitnode.notify import (
    Feed,
    Mail,
    Outbox,
    OutboxWorker,
    SmtpSender,
    mails_for,
    member_feed,
    notifications_for,
    role_feed,
)
from chitnode.service import Node

RUPEE = 100
T0 = 1_767_225_600_000


def event(kind: str, members: tuple[str, ...], amount: int, **extra: object) -> Event:
    fields: dict[str, object] = {"status": "applied", "code": "", "hash": "h" * 64, **extra}
    return Event(
        kind=kind,
        hash=str(fields.pop("hash")),
        author="a" * 64,
        seq=int(str(fields.pop("seq", 1))),
        ts_ms=T0,
        status=str(fields.pop("status")),
        code=str(fields.pop("code")),
        members=members,
        amount_paise=amount,
        **fields,  # type: ignore[arg-type]
    )


# --- in-app feeds -------------------------------------------------------------------------


def test_a_transfer_tells_both_members_in_indian_rupees() -> None:
    notes = notifications_for(event(TRANSFERRED, ("M1", "M2"), 12_345_678))
    by_member = {n.member_id: n.text for n in notes if n.member_id}
    assert by_member == {
        "M1": "You sent ₹1,23,456.78 to M2.",
        "M2": "You received ₹1,23,456.78 from M1.",
    }
    assert [(n.role, n.text) for n in notes if n.role] == [
        ("foreman", "Transfer of ₹1,23,456.78: M1 -> M2.")
    ]
    assert {n.ref for n in notes} == {"h" * 64}


def test_deposit_withdrawal_dues_prize_and_recovery_lines() -> None:
    cases = [
        (event(DEPOSITED, ("M1",), 50_000, detail="UPI42"), "₹500.00 was deposited", "employee"),
        (event(WITHDRAWN, ("M1",), 100), "₹1.00 was withdrawn", "foreman"),
        (
            event(
                "contribution.recorded",
                ("M1",),
                1_000_000,
                group_id="G1",
                ticket=3,
                month=2,
                detail="G1/R00007",
            ),
            "Payment of ₹10,000.00 received for group G1, ticket 3, month 2 (receipt G1/R00007).",
            "employee",
        ),
        (
            event("auction.closed", ("M1",), 3_600_000, group_id="G1", ticket=3, month=2),
            "You won month 2 of group G1 (ticket 3): prize ₹36,000.00.",
            "foreman",
        ),
        (
            event("recovery.moved", ("M1",), 0, group_id="G1", ticket=3, detail="notice"),
            "Your recovery case for group G1, ticket 3 moved to: notice.",
            "employee",
        ),
    ]
    for ev, text, role in cases:
        notes = notifications_for(ev)
        (mine,) = [n for n in notes if n.member_id == "M1"]
        assert mine.text.startswith(text), mine.text
        assert role in {n.role for n in notes if n.role}


def test_a_refused_transfer_tells_its_sender_and_the_admins() -> None:
    ev = event(TRANSFERRED, ("M1", "M2"), 500, status="rejected", code="insufficient_funds")
    notes = notifications_for(ev)
    assert [(n.audience, n.text) for n in notes] == [
        ("member:M1", "Your transfer of ₹5.00 was refused (insufficient_funds)."),
        ("role:admin", "Refused: transfer of ₹5.00 (insufficient_funds)."),
    ]
    assert notifications_for(event("group.created", (), 0, status="rejected")) == []


def test_feeds_are_newest_first_and_bounded() -> None:
    evs = [event(DEPOSITED, ("M1",), i + 1, hash=f"{i:064x}") for i in range(5)]
    feed = member_feed(evs, "M1", limit=2)
    assert [n.ref for n in feed] == [f"{4:064x}", f"{3:064x}"]
    assert len(role_feed(evs, "employee")) == 5 and role_feed(evs, "auditor") == []
    live = Feed()
    assert live.add_events(evs) == 10
    assert [n.ref for n in live.for_member("M1", limit=1)] == [f"{4:064x}"]
    assert len(live.for_role("employee")) == 5


def test_a_chit_month_feeds_members_and_roles_from_the_log(
    tmp_path: Path, clock: FakeClock
) -> None:
    node = Node.init(tmp_path / "node", "Notify Branch", clock=clock)
    stream, live = EventStream(), Feed()
    stream.attach(node)
    sub = stream.subscribe()
    driver = ChitDriver(node, clock, random.Random(11))
    for mid in ("C1", "C2", "C3", "C4"):
        driver.register(mid, f"Chit {mid}")
    driver.form_group("G1", "Four", 4 * 10_000 * RUPEE, ["C1", "C2", "C3", "C4"])
    settled = driver.run_month("G1")
    stream.flush()
    live.pull(sub)
    winner = str(settled["winner_member"])
    texts = [n.text for n in live.for_member(winner)]
    assert any(t.startswith("You won month 1 of group G1") for t in texts), texts
    assert any(t.startswith("Payment of ₹10,000.00 received for group G1") for t in texts), texts
    assert any(
        t.startswith("Group G1 month 1 won by ticket")
        for t in [n.text for n in live.for_role("foreman")]
    )
    # the same feed, derived from the stored log alone (e.g. after a restart)
    replayed = member_feed(replay_events(stored_entries(node)), winner)
    assert replayed == live.for_member(winner)
    node.close()


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
    box = Outbox(tmp_path / notify.OUTBOX_FILE)
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
    assert outbox.deliver_due(T0, sender(port)) == notify.DeliveryReport(retrying=1)
    row = outbox.row("k1")
    assert row is not None and (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_ms == T0 + notify.BACKOFF_BASE_MS and "Refused" in row.last_error
    sink = SmtpSink(port)
    try:
        not_yet = outbox.deliver_due(T0 + notify.BACKOFF_BASE_MS - 1, sender(port))
        assert not_yet == notify.DeliveryReport() and sink.sessions == 0
        due = T0 + notify.BACKOFF_BASE_MS
        assert outbox.deliver_due(due, sender(port)) == notify.DeliveryReport(sent=1)
        for later in (due, due + 10**9):
            assert outbox.deliver_due(later, sender(port)) == notify.DeliveryReport()
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
        for _ in range(notify.ATTEMPTS_MAX - 1):
            assert outbox.deliver_due(now, sender(sink.port)).retrying == 1
            row = outbox.row("k1")
            assert row is not None
            waits.append(row.next_attempt_ms - now)
            now = row.next_attempt_ms
        assert waits == [notify.backoff_ms(n) for n in range(1, notify.ATTEMPTS_MAX)]
        assert waits[:3] == [30_000, 60_000, 120_000] and max(waits) <= notify.BACKOFF_MAX_MS
        assert outbox.deliver_due(now, sender(sink.port)).failed == 1
        row = outbox.row("k1")
        assert row is not None and (row.status, row.attempts) == ("failed", notify.ATTEMPTS_MAX)
        assert outbox.deliver_due(now + 10**9, sender(sink.port)) == notify.DeliveryReport()
        assert sink.messages == []
    finally:
        sink.stop()


def test_a_permanent_refusal_fails_at_once(outbox: Outbox) -> None:
    sink = SmtpSink(mode="reject")
    try:
        outbox.enqueue(mail(), T0)
        assert outbox.deliver_due(T0, sender(sink.port)) == notify.DeliveryReport(failed=1)
        row = outbox.row("k1")
        assert row is not None and row.status == "failed" and "550" in row.last_error
    finally:
        sink.stop()


def test_pending_mail_survives_reopening_the_outbox(tmp_path: Path) -> None:
    path = tmp_path / notify.OUTBOX_FILE
    box = Outbox(path)
    box.enqueue(mail("k2"), T0)
    box.close()
    box = Outbox(path)
    sink = SmtpSink()
    try:
        assert box.next_due_ms() == T0
        assert box.deliver_due(T0, sender(sink.port)).sent == 1 and len(sink.messages) == 1
        assert box.count("pending") == 0 and box.count("sent") == 1
        assert box.prune(T0 + notify.SENT_KEEP_MS + 1) == 1 and box.row("k2") is None
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
        with pytest.raises(notify.ChitError) as info:
            outbox.enqueue(bad, T0)
        assert info.value.code == "bad_mail"
    monkeypatch.setattr(notify, "OUTBOX_PENDING_MAX", 2)
    outbox.enqueue(mail("a"), T0)
    outbox.enqueue(mail("b"), T0)
    with pytest.raises(notify.OutboxFull):
        outbox.enqueue(mail("c"), T0)


def test_the_worker_thread_delivers_node_notifications_by_mail(
    tmp_path: Path, clock: FakeClock
) -> None:
    node = Node.init(tmp_path / "node", "Mail Branch", clock=clock)
    box = Outbox.for_node(node)
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


def test_bank_deposits_and_withdrawals_reach_the_member_feed(
    tmp_path: Path, clock: FakeClock
) -> None:
    node = Node.init(tmp_path / "node", "Bank Branch", clock=clock)
    stream, live = EventStream(), Feed()
    stream.attach(node)
    sub = stream.subscribe(Filter(members=frozenset({"B1"})))
    node.submit("member.registered", {"member_id": "B1", "name": "Member B1"})
    node.submit(bank.DEPOSIT_REQUESTED, bank.request_body("r1", "B1", 250_000, withdrawal=False))
    node.submit(bank.DEPOSIT_SETTLED, bank.settled_body("r1", "NEFT123", withdrawal=False))
    node.submit(bank.WITHDRAWAL_REQUESTED, bank.request_body("r2", "B1", 50_000, withdrawal=True))
    refusal = bank.refused_body("r2", "account closed", withdrawal=True)
    node.submit(bank.WITHDRAWAL_REJECTED, refusal)
    stream.flush()
    live.pull(sub)
    assert [n.text for n in live.for_member("B1")] == [
        "Your bank withdrawal of ₹500.00 was refused (account closed);"
        " the money is back in your wallet.",
        "₹500.00 is reserved in your wallet for a bank withdrawal.",
        "Your bank deposit of ₹2,500.00 is in your wallet (ref NEFT123).",
    ]
    assert [n.text for n in live.for_role("employee")] == [
        "Bank deposit of ₹2,500.00 for B1 settled (ref NEFT123)."
    ]
    node.close()
