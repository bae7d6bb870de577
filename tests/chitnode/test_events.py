"""The in-process event stream: published only after commit, to every matching view, bounded."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chitnode import limits
from chitnode.domain.apply import Outcome
from chitnode.domain.wallet_kinds import (
    DEPOSITED,
    TRANSFERRED,
    WITHDRAWN,
    deposit_body,
    transfer_body,
    withdraw_body,
)
from chitnode.errors import ChitError
from chitnode.log.entry import Entry
from chitnode.node.node import Node
from chitnode.services import events as ev
from chitnode.services import notify
from chitnode.services.events import CommittingNode, EventStream, Filter, submit_and_publish
from tests.support.clock import FakeClock
from tests.support.driver import ChitDriver
from tests.support.feeds import BRANCH, Feed, seeded_key

RUPEE = 100


@pytest.fixture
def node(tmp_path: Path, clock: FakeClock) -> Iterator[Node]:
    """A lone root node (branch BRANCH) with members M1..M3; M1's wallet holds ₹1,000."""
    node = Node.init(tmp_path / "node", "Events Branch", clock=clock, branch_id=BRANCH)
    for mid in ("M1", "M2", "M3"):
        node.submit("member.registered", {"member_id": mid, "name": f"Member {mid}"})
    node.submit(DEPOSITED, deposit_body("M1", 1_000 * RUPEE, "dep-0", note="opening"))
    yield node
    node.close()


@pytest.fixture
def stream(node: Node) -> Iterator[EventStream]:
    stream = EventStream()
    stream.attach(node)
    yield stream
    stream.detach(node)


def test_a_transfer_reaches_every_open_view_of_both_members_at_once(
    node: Node, stream: EventStream
) -> None:
    views = [stream.subscribe(Filter(members=frozenset({m}))) for m in ("M1", "M1", "M2")]
    everything, bystander = stream.subscribe(), stream.subscribe(Filter(members=frozenset({"M3"})))
    receipt = submit_and_publish(
        node, stream, TRANSFERRED, transfer_body("M1", "M2", 250 * RUPEE, "t-1")
    )
    for view in views:
        (event,) = view.drain()
        assert event.hash == receipt.hash and event.kind == TRANSFERRED
        assert event.members == ("M1", "M2") and event.amount_paise == 250 * RUPEE
        assert event.applied and event.author == node.public and event.seq == receipt.seq
    assert [e.kind for e in everything.drain()] == ["lease.vote", "lease.granted", TRANSFERRED]
    assert bystander.drain() == []


def test_nothing_is_published_before_flush(node: Node, stream: EventStream) -> None:
    sub = stream.subscribe()
    node.submit(DEPOSITED, deposit_body("M2", 5, "d-1", note="cash"))  # committed, not flushed
    assert len(sub) == 0 and stream.pending() == 1
    assert stream.flush() == 1
    (event,) = sub.drain()
    assert (event.kind, event.members, event.amount_paise) == (DEPOSITED, ("M2",), 5)


def test_a_refused_command_publishes_nothing(node: Node, stream: EventStream) -> None:
    sub = stream.subscribe()
    with pytest.raises(ChitError) as info:  # takes the lease first, then is refused: rollback
        submit_and_publish(node, stream, TRANSFERRED, transfer_body("M2", "M1", 1, "t-x"))
    assert info.value.code == "insufficient_funds"
    assert stream.pending() == 0 and sub.drain() == []
    assert stream.flush() == 0


def test_a_retry_that_is_already_done_publishes_nothing_new(
    node: Node, stream: EventStream
) -> None:
    sub = stream.subscribe(Filter(kinds=frozenset({"wallet."})))
    body = withdraw_body("M1", 100, "w-1", note="cash")
    submit_and_publish(node, stream, WITHDRAWN, body, cmd_id="w-1")
    again = submit_and_publish(node, stream, WITHDRAWN, body, cmd_id="w-1")
    assert again.already_done
    assert [e.kind for e in sub.drain()] == [WITHDRAWN]


def test_a_slow_view_loses_the_oldest_events_and_counts_them(node: Node) -> None:
    stream = EventStream(subscription_events_max=3)
    committing = CommittingNode(node, stream)
    sub = stream.subscribe(Filter(kinds=frozenset({DEPOSITED})))
    for i in range(5):
        committing.submit(DEPOSITED, deposit_body("M2", i + 1, f"d-{i}", note="cash"))
    assert [e.amount_paise for e in sub.drain()] == [3, 4, 5]
    assert sub.dropped == 2
    committing.close()
    assert node.engine.on_applied == []


def test_a_reader_thread_wakes_on_a_commit(node: Node, stream: EventStream) -> None:
    sub = stream.subscribe(Filter(members=frozenset({"M2"})))
    got: list[ev.Event | None] = []
    reader = threading.Thread(target=lambda: got.append(sub.get(timeout_s=10)))
    reader.start()
    submit_and_publish(node, stream, TRANSFERRED, transfer_body("M1", "M2", 7, "t-7"))
    reader.join(10)
    assert got and got[0] is not None and got[0].amount_paise == 7
    assert sub.get(timeout_s=0.01) is None
    sub.close()
    assert sub.get(timeout_s=5) is None and stream.subscriptions() == 0


def test_a_re_fold_replay_is_published_once_and_a_changed_outcome_again(
    node: Node, stream: EventStream
) -> None:
    sub = stream.subscribe()
    entry = node.store.entry_at(node.public, 1)
    assert entry is not None
    applied, rejected = Outcome("applied", ""), Outcome("rejected", "x")
    for outcome in (applied, applied, rejected, rejected, applied):  # one commit each
        stream.record(entry, outcome, node.engine.state)
        stream.flush()
    told = [(e.status, e.code) for e in sub.drain()]
    assert told == [("applied", ""), ("rejected", "x"), ("applied", "")]
    for outcome in (rejected, applied, rejected):  # one commit folding it three times
        stream.record(entry, outcome, node.engine.state)
    assert stream.flush() == 1
    assert [(e.status, e.code) for e in sub.drain()] == [("rejected", "x")]  # its last


def test_an_entry_refused_by_the_fold_is_published_as_rejected(node: Node) -> None:
    stream = EventStream()
    committing = CommittingNode(node, stream)
    foreman = Feed(seeded_key(5))
    committing.submit("device.enrolled", {"key": foreman.public, "role": "foreman", "name": "f"})
    sub = stream.subscribe(Filter(members=frozenset({"M1"})))
    seq, _ = node.store.heads()[node.public]
    head = node.store.entry_at(node.public, seq)
    assert head is not None
    body = {**transfer_body("M1", "M2", 5, "t-f"), "term": 1}  # no lease: not_lease_holder
    committing.ingest([foreman.write(TRANSFERRED, body, deps=[head], ts=node.clock.now_ms())])
    (event,) = sub.drain()
    assert (event.status, event.code, event.members) == (
        "rejected",
        "not_lease_holder",
        ("M1", "M2"),
    )
    quiet = stream.subscribe(Filter(members=frozenset({"M1"}), include_rejected=False))
    stream.record(head, Outcome("rejected", "y"), node.engine.state)
    stream.flush()
    assert quiet.drain() == []


def test_a_broken_describe_never_fails_the_write(
    node: Node, stream: EventStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> ev.Event:
        raise KeyError("bug")

    monkeypatch.setattr(ev, "describe", broken)
    sub = stream.subscribe()
    receipt = submit_and_publish(node, stream, DEPOSITED, deposit_body("M3", 1, "d", note="n"))
    assert receipt.status == "applied" and stream.describe_errors == 1
    (event,) = sub.drain()
    assert event.hash == receipt.hash and event.members == ()


def test_chit_events_name_the_member_and_replay_from_the_log_matches_the_live_stream(
    node: Node, stream: EventStream, clock: FakeClock
) -> None:
    driver = ChitDriver(node, clock, random.Random(5))
    sub = stream.subscribe()
    for mid in ("C1", "C2", "C3", "C4"):
        driver.register(mid, f"Chit {mid}")
    driver.form_group("G1", "Four", 4 * 10_000 * RUPEE, ["C1", "C2", "C3", "C4"])
    driver.run_month("G1")
    stream.flush()  # the driver submitted directly: one flush publishes every commit
    live = sub.drain()
    paid = [e for e in live if e.kind == "contribution.recorded"]
    assert paid and all(e.members and e.amount_paise > 0 and e.group_id == "G1" for e in paid)
    (won,) = [e for e in live if e.kind == "auction.closed"]
    assert won.members and won.amount_paise > 0 and won.month == 1 and won.ticket >= 1
    replayed = list(ev.replay_events(ev.stored_entries(node)))
    assert replayed[-len(live) :] == live


def test_too_many_subscriptions_are_refused(node: Node) -> None:
    stream = EventStream()
    subs = [stream.subscribe() for _ in range(limits.SUBSCRIPTIONS_MAX)]
    with pytest.raises(OverflowError):
        stream.subscribe()
    subs[0].close()
    stream.subscribe().close()


# --- the fold's verdict, not a re-decision: a revoked key's credit ----------------------


@dataclass
class Staff:
    """An employee (its key is stolen) and an admin, both enrolled by the root node."""

    employee: Feed
    admin: Feed
    seen: Entry  # the root's last entry: the enrolments, which both had seen

    @classmethod
    def enrolled(cls, node: Node, submit: Callable[[str, dict[str, Any]], object]) -> Staff:
        employee, admin = Feed(seeded_key(9)), Feed(seeded_key(8))
        for device, role in ((employee, "employee"), (admin, "admin")):
            submit("device.enrolled", {"key": device.public, "role": role, "name": role})
        seen = node.store.entry_at(node.public, node.store.heads()[node.public][0])
        assert seen is not None
        return cls(employee, admin, seen)

    def credit(self, paise: int, cmd_id: str, ts: int | None = None) -> Entry:
        body = deposit_body("M2", paise, cmd_id, note="cash")
        return self.employee.write(DEPOSITED, body, [self.seen], ts=ts)

    def theft(self, clock: FakeClock, known: Entry) -> tuple[Entry, Entry]:
        """The admin's revocation (after_seq 1, having seen `known`), and a ₹9,000 credit
        the stolen key writes with an earlier `ts`, leaving the revocation out."""
        body = {"key": self.employee.public, "reason": "stolen", "after_seq": 1}
        revocation = self.admin.write("device.revoked", body, [self.seen, known], ts=clock.now_ms())
        return revocation, self.credit(9_000 * RUPEE, "stolen", ts=clock.now_ms() - 60_000)


def test_a_credit_the_fold_rejected_is_received_by_nobody_live_or_replayed(
    node: Node, clock: FakeClock
) -> None:
    """A stolen employee key credits M2 ₹9,000 with an early `ts` and deps that leave its
    revocation out; the revocation (an admin's, after_seq 1) arrives in the same batch.
    The fold places the credit first, applies it, then settles the revocation and
    re-folds: rejected. Before, the live feed published the credit as applied and then
    as rejected in the same flush, and the replay from the log re-decided each entry on
    a fresh state without the revocation's after_seq and showed it applied: M2 was told
    of money that never moved. Now both tell only what the fold stored."""
    stream, live = EventStream(), notify.Feed()
    committing = CommittingNode(node, stream)
    sub = stream.subscribe()
    staff = Staff.enrolled(node, committing.submit)
    honest = staff.credit(100 * RUPEE, "d-1")
    committing.ingest([honest])
    revocation, forged = staff.theft(clock, honest)
    committing.ingest([revocation, forged])  # the credit sorts first: applied, then re-folded
    assert node.store.outcome_of(staff.admin.public, revocation.seq) == ("applied", "")
    assert node.store.outcome_of(forged.author, forged.seq) == ("rejected", "device_revoked")
    live.pull(sub)
    replayed = list(ev.replay_events(ev.stored_entries(node)))
    for told in (live.for_member("M2"), notify.member_feed(replayed, "M2")):
        texts = [n.text for n in told if n.ref == forged.hash]
        assert texts == ["Your deposit of ₹9,000.00 was refused (device_revoked)."]
        assert [n.ref for n in told if "deposited into your wallet" in n.text] == [honest.hash]
    (event,) = [e for e in replayed if e.hash == forged.hash]
    assert (event.status, event.code) == ("rejected", "device_revoked")
    committing.close()


def test_after_a_restart_a_rebuild_in_the_commit_publishes_what_the_store_keeps(
    tmp_path: Path, clock: FakeClock
) -> None:
    """A reopened node has no undo journal, so a revocation voiding an entry placed before
    the restart makes the engine rebuild, which tells no listener. The credit the same
    batch folded first (after everything placed, before the revocation: applied) is
    published as the store keeps it: rejected."""
    node = Node.init(tmp_path / "node", "Restarted Branch", clock=clock, branch_id=BRANCH)
    node.submit("member.registered", {"member_id": "M2", "name": "Member M2"})
    staff = Staff.enrolled(node, node.submit)
    first = staff.credit(100 * RUPEE, "d-1")
    lost = staff.credit(50 * RUPEE, "d-2")  # seq 2: past the revocation's after_seq
    node.ingest([first, lost])
    node.close()
    node = Node.open(tmp_path / "node", clock=clock)
    stream = EventStream()
    committing = CommittingNode(node, stream)
    sub = stream.subscribe(Filter(members=frozenset({"M2"})))
    rebuilds: list[None] = []
    node.engine.on_rebuilt.append(lambda: rebuilds.append(None))
    revocation, forged = staff.theft(clock, lost)  # after `lost` in the order: at the end
    committing.ingest([revocation, forged])
    assert rebuilds  # the re-fold from `lost` reached past the journal
    assert node.store.outcome_of(forged.author, forged.seq) == ("rejected", "device_revoked")
    told = {e.hash: (e.status, e.code) for e in sub.drain()}
    assert told[forged.hash] == ("rejected", "device_revoked")
    committing.close()
    node.close()
