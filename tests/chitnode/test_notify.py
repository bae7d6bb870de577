"""Notifications: in-app feeds from events, and the text of the mails they become."""

from __future__ import annotations

import random
from pathlib import Path

from chitnode.domain import bank_kinds as bank
from chitnode.domain.wallet_kinds import DEPOSITED, TRANSFERRED, WITHDRAWN
from chitnode.node.node import Node
from chitnode.services.events import EventStream, Filter, replay_events, stored_entries
from chitnode.services.notify import (
    Feed,
    member_feed,
    notifications_for,
    role_feed,
)
from tests.support.clock import FakeClock
from tests.support.driver import ChitDriver
from tests.support.events import event

RUPEE = 100


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
