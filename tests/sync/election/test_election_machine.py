"""A Hypothesis state machine over two to four real Nodes electing lock holders
(RELIABILITY.md tier B; issue 11, "Tests").

Every device is a real chitnode `Node` in its own folder with a `NodeElection` beside it
on its own elapsed clock (starting at any reading, running up to 0.5% fast or slow, so
two clocks differ by at most the 1% the margins are sized for). Every device is an
elector of two scopes: `treasury` and the chit group's `group:G-2026-01`. Frames wait on
a network the machine controls: it delivers them in any order, drops or duplicates them,
and a partition drops what crosses it.

The rules move money through coordinated commands submitted on any device, where only
the elected one may write (refused there, the machine forwards the command to a holder
it reaches, or the device stands for the scope, as `chitnode serve` does):
- treasury debits: `wallet.transferred`, `wallet.withdrawn_cash`,
  `bank.withdrawal_requested`, sometimes more than a wallet holds;
- the group's months: `auction.opened`, `auction.bid`, `auction.closed` once the
  countdown ran, and `prize.paid` once the minutes and the winner's security are in
  (those two are free entries, written on whichever device takes the step);
- loans from the treasury: `loan.sanctioned`, then `loan.disbursed` in cash or into
  the member's wallet.
They also campaign, withdraw, hand a scope over, tick the clocks, partition and heal,
sync feeds between connected nodes, crash and restart a node (what it committed
survives), rebuild a fold from its log, and retry a command with its cmd_id.

After every step (and after every tick and every frame inside a step):
- per scope at most one device may write, and `Node.elected` says what its shell says;
- G1: every node's accounts sum to zero;
- G2: no wallet, hold or pool below zero; at most one prize per month and per ticket;
- G3: no node applies two entries of one command (a wallet `cmd_id`, a bank request, a
  month's opening, close or prize, a loan's sanction or payout); a retry where the
  command was acknowledged answers `already_done` with the first entry and changes
  nothing; a node holding the first entry refuses it;
- G6: nodes holding the same entries have the same state digest; a rebuild from the log
  gives the digest the node had; after healing and syncing every node has one digest.

Counted, not asserted: an acknowledged entry that a later sync turns into `rejected`
(coordination-v1 rule 4 settles conflicts between terms; `figures` below).

`CHITNODE_MACHINE_EXAMPLES` runs more examples than CI does; with `-s` one JSON line of
what a run did (`election-machine {...}`) is printed.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import loan_views as lv
from chitnode.domain.bank_kinds import request_body
from chitnode.domain.chit_rules import max_discount_paise, min_discount_paise
from chitnode.domain.wallet_kinds import (
    DEPOSITED,
    TRANSFERRED,
    WITHDRAWN,
    deposit_body,
    transfer_body,
    withdraw_body,
)
from chitnode.errors import RuleViolation
from chitnode.node.node import Node, Receipt
from sync.election import voter_margin_ms
from tests.support.chit import GID, SUB, register, scope
from tests.support.clock import FakeClock
from tests.support.driver import ChitDriver
from tests.support.election_nodes import (
    Device,
    DriftClock,
    MemoryKeys,
    Net,
    applied_per_command,
    books_problems,
    branch,
    prize_problems,
    start_election,
    sync_everyone,
    sync_pair,
)
from tests.support.loans import approved, fund

TREASURY = "treasury"
GROUP = f"group:{GID}"
SCOPES = (TREASURY, GROUP)
LEASE_MS = 5_000  # the shortest lease (ELECTION_LEASE_MIN_MS): many leases in one run
# how long the devices have run when the machine starts: a new process promises nobody
# for a lease and its margin, by its clock, which may run slow
UP_MS = 2 * (LEASE_MS + voter_margin_ms(LEASE_MS))
STEP_MS = 100  # a serving node ticks its election this often (ELECTION_TICK_S)
ADVANCE_MS_MAX = 3 * LEASE_MS  # one `advance` rule: long enough for a lease to lapse
DRIFT_PPM_MAX = 5_000  # +-0.5%: two clocks differ by at most ELECTION_CLOCK_DRIFT_PPM
CLOCK_START_MAX = 10**9  # a new process's elapsed clock reads anything
MEMBERS = ("M1", "M2", "M3", "M4")  # one ticket each in the group, a wallet each
OPENING_PAISE = 50_000  # each member's cash, deposited before the machine starts
AMOUNT_PAISE_MAX = 30_000  # one debit: two may together overdraw a wallet
QUEUE_MAX = 5  # debits one `counter` rule submits in a row
TREASURY_FUND_PAISE = 1_00_000_00  # the branch's own money the treasury lends from
LOAN_PAISE = 5_000_00  # each member's loan: within what four months' dues let them borrow
AUCTION_MS = 60_000  # a draw's countdown (AUCTION_MIN_MS), on the entries' clock
RAISES_MAX = 3  # a bid beats the best by 1..3 increments
MEETING_STEPS_MAX = 6  # steps one `meeting` rule takes in a row
FRAMES_MAX = 2_000  # frames one delivery round may take; more is a loop
FLIGHT_MAX = 400  # frames waiting on the network; the oldest are lost beyond (a full buffer)
EXAMPLES = int(os.environ.get("CHITNODE_MACHINE_EXAMPLES", "30"))
STEPS = 30  # rules per example
BANK = "bank.withdrawal_requested"
DEBITS = (TRANSFERRED, WITHDRAWN, BANK)
# the only reasons a lawful treasury debit may be turned away here
REFUSALS = {"not_lease_holder", "insufficient_funds", "duplicate_command", "request_exists"}

FIGURES: Counter[str] = Counter()  # what the runs did, over every example


@dataclass
class Command:
    """A command as its client keeps it, to retry with the same id."""

    kind: str
    body: dict[str, Any]
    cmd_id: str
    device: Device | None = None  # where it was acknowledged
    receipt: Receipt | None = None

    @property
    def scope(self) -> str:
        return str(self.body["scope"])


def debit(kind: str, member: str, other: str, amount: int, cmd_id: str) -> dict[str, Any]:
    if kind == TRANSFERRED:
        return transfer_body(member, other, amount, cmd_id)
    if kind == WITHDRAWN:
        return withdraw_body(member, amount, cmd_id, note="cash at the counter")
    return request_body(f"r-{cmd_id}", member, amount, withdrawal=True)


def founded(tmp: Path, count: int, wall: FakeClock, keys: MemoryKeys) -> list[Node]:
    """The root enrols the laptops and names them all the electorate of both scopes; it
    registers M1..M4, forms the 4-ticket group, takes every month's dues in advance and
    each member's opening cash, funds the treasury and approves a loan L<n> for each
    member; every node then holds all of it."""
    nodes = branch(tmp, count, SCOPES, LEASE_MS, wall, keys)
    root = nodes[0]
    driver = ChitDriver(root, wall, random.Random(count))
    members = register(driver, len(MEMBERS))
    driver.form_group(GID, "Four friends", len(MEMBERS) * SUB, members)
    driver.pay_dues(GID, list(range(1, len(MEMBERS) + 1)), len(MEMBERS))
    for member in members:
        body = deposit_body(member, OPENING_PAISE, f"open-{member}", note="opening cash")
        root.submit(DEPOSITED, body)
    fund(driver, TREASURY_FUND_PAISE)
    for number, member in enumerate(members, 1):
        approved(driver, f"L{number}", member, LOAN_PAISE)
    sync_everyone(nodes)
    return nodes


class ElectionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="chit-election-machine-"))
        self.wall = FakeClock()  # entries' timestamps: the fold never trusts them
        self.keys = MemoryKeys()
        self.net = Net()
        self.devices: list[Device] = []
        self.commands: list[Command] = []

    # --- the branch -------------------------------------------------------------------

    @initialize(
        count=st.integers(2, 4),
        drift=st.lists(st.integers(-DRIFT_PPM_MAX, DRIFT_PPM_MAX), min_size=4, max_size=4),
        starts=st.lists(st.integers(0, CLOCK_START_MAX), min_size=4, max_size=4),
        first=st.none() | st.integers(0, 3),
    )
    def found(self, count: int, drift: list[int], starts: list[int], first: int | None) -> None:
        """The devices have run for a while (a new process promises nobody for a lease
        and its margin); with `first`, that device stands for both scopes at once."""
        for i, node in enumerate(founded(self.tmp, count, self.wall, self.keys)):
            clock = DriftClock(starts[i], drift[i])
            shell = start_election(node, clock, i)
            self.devices.append(Device(f"n{i}", self.tmp / f"n{i}", node, clock, shell))
            clock.real_ms = UP_MS
        if first is not None:
            for name in SCOPES:
                self.campaign(first, name)
            self.deliver_everything()
        FIGURES["examples"] += 1

    def teardown(self) -> None:
        for device in self.devices:
            device.node.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def device(self, index: int) -> Device:
        return self.devices[index % len(self.devices)]

    def by_key(self, key: str) -> Device:
        return next(d for d in self.devices if d.key == key)

    # --- time and the network ---------------------------------------------------------

    @rule(ms=st.integers(STEP_MS, ADVANCE_MS_MAX), deliver=st.booleans())
    def advance(self, ms: int, deliver: bool) -> None:
        """Time passes on every clock; each election ticks every STEP_MS; with `deliver`
        the network carries every frame at once, else the frames pile up (a slow link)."""
        for _ in range(ms // STEP_MS):
            self.wall.advance(STEP_MS)
            for device in self.devices:
                device.clock.real_ms += STEP_MS
            for device in self.devices:
                self.net.send(device.key, device.shell.tick())
            if deliver:
                self.deliver_everything()
            self.check_one_writer()
        if len(self.net.flight) > FLIGHT_MAX:
            FIGURES["frames lost to a full buffer"] += len(self.net.flight) - FLIGHT_MAX
            del self.net.flight[: len(self.net.flight) - FLIGHT_MAX]

    def deliver(self, index: int) -> None:
        got = self.net.take(index)
        if got is None:
            FIGURES["frames cut by a partition"] += 1
            return
        sender, frame = got
        receiver = self.by_key(frame.to)
        self.net.send(receiver.key, receiver.shell.receive(sender, frame.text))
        FIGURES["frames delivered"] += 1
        self.check_one_writer()

    @rule()
    def deliver_everything(self) -> None:
        for _ in range(FRAMES_MAX):
            if not self.net.flight:
                return
            self.deliver(0)
        raise AssertionError("the devices kept talking")

    @precondition(lambda self: self.net.flight)
    @rule(index=st.integers(0, FLIGHT_MAX))
    def deliver_one(self, index: int) -> None:
        """One frame, any of those waiting: the network reorders."""
        self.deliver(index)

    @precondition(lambda self: self.net.flight)
    @rule(index=st.integers(0, FLIGHT_MAX))
    def drop_one(self, index: int) -> None:
        self.net.flight.pop(index % len(self.net.flight))
        FIGURES["frames dropped"] += 1

    @precondition(lambda self: self.net.flight)
    @rule(index=st.integers(0, FLIGHT_MAX))
    def duplicate_one(self, index: int) -> None:
        self.net.flight.append(self.net.flight[index % len(self.net.flight)])
        FIGURES["frames duplicated"] += 1

    @rule(sides=st.integers(1, 14))
    def partition(self, sides: int) -> None:
        """Device i on side bit i of `sides`: one alone, or two and two."""
        self.net.side = {d.key: (sides >> i) & 1 for i, d in enumerate(self.devices)}
        FIGURES["partitions"] += 1

    @rule()
    def heal(self) -> None:
        self.net.side = {}

    @rule(a=st.integers(0, 3), b=st.integers(0, 3))
    def sync(self, a: int, b: int) -> None:
        """A peer-sync session between two devices that can reach each other."""
        one, two = self.device(a), self.device(b)
        if one is not two and self.net.connected(one.key, two.key):
            FIGURES["entries synced"] += sync_pair(one.node, two.node)

    # --- the election -----------------------------------------------------------------

    @rule(at=st.integers(0, 3), name=st.sampled_from(SCOPES))
    def campaign(self, at: int, name: str) -> None:
        device = self.device(at)
        self.net.send(device.key, device.shell.campaign(name))

    @rule(at=st.integers(0, 3), name=st.sampled_from(SCOPES))
    def withdraw(self, at: int, name: str) -> None:
        device = self.device(at)
        self.net.send(device.key, device.shell.withdraw(name))

    @rule(to=st.integers(0, 3), name=st.sampled_from(SCOPES))
    def transfer(self, to: int, name: str) -> None:
        """The holder hands the scope to another device (before an offline meeting)."""
        holders = self.writers(name)
        if not holders:
            return
        holder, target = holders[0], self.device(to)
        if target is holder:
            target = self.device(self.devices.index(holder) + 1)
        self.net.send(holder.key, holder.shell.transfer(name, target.key))
        FIGURES["transfers"] += 1

    @rule(at=st.integers(0, 3), start=st.integers(0, CLOCK_START_MAX))
    def restart(self, at: int, start: int) -> None:
        """The process dies and starts again: the folder is all that is left. The Node
        reopens with everything it committed; a new election, on a clock reading anything."""
        device = self.device(at)
        before = device.node.engine.digest()
        device.node.close()
        device.node = Node.open(device.folder, clock=self.wall, keystore=self.keys)
        assert device.node.engine.digest() == before, "a restart lost committed state"
        device.restarts += 1
        device.clock = DriftClock(start, device.clock.rate_ppm)
        seed = self.devices.index(device) + 100 * device.restarts
        device.shell = start_election(device.node, device.clock, seed)
        FIGURES["restarts"] += 1

    # --- money ------------------------------------------------------------------------

    @rule(
        at=st.integers(0, 3),
        kind=st.sampled_from(DEBITS),
        who=st.sampled_from(MEMBERS),
        other=st.sampled_from(MEMBERS),
        amount=st.integers(1, AMOUNT_PAISE_MAX),
        forward=st.booleans(),
    )
    def submit(self, at: int, kind: str, who: str, other: str, amount: int, forward: bool) -> None:
        """A member's debit through any device (a transfer to another member)."""
        if other == who:
            other = MEMBERS[(MEMBERS.index(who) + 1) % len(MEMBERS)]
        cmd_id = self.new_id()
        self.issue(at, Command(kind, debit(kind, who, other, amount, cmd_id), cmd_id), forward)

    @rule(
        at=st.integers(0, 3),
        queue=st.lists(
            st.tuples(
                st.sampled_from(DEBITS),
                st.sampled_from(MEMBERS),
                st.sampled_from(MEMBERS),
                st.integers(1, AMOUNT_PAISE_MAX),
            ),
            min_size=1,
            max_size=QUEUE_MAX,
        ),
    )
    def counter(self, at: int, queue: list[tuple[str, str, str, int]]) -> None:
        """Members queue at one device's counter, one debit after another, forwarded."""
        for kind, who, other, amount in queue:
            self.submit(at, kind, who, other, amount, forward=True)

    @rule(
        at=st.integers(0, 3),
        steps=st.lists(
            st.tuples(st.integers(1, len(MEMBERS)), st.integers(1, RAISES_MAX), st.booleans()),
            min_size=1,
            max_size=MEETING_STEPS_MAX,
        ),
        forward=st.booleans(),
    )
    def meeting(self, at: int, steps: list[tuple[int, int, bool]], forward: bool) -> None:
        """The group's next steps as device `at`'s books see them, one after another: pay
        a month's prize that is due, else open the next month's draw, take a bid from
        `ticket` `raises` increments above the best, or (`gavel`) close the draw."""
        for ticket, raises, gavel in steps:
            step = self.next_step(self.device(at).node, ticket, 0 if gavel else raises)
            if step is not None:
                self.issue(at, Command(step[0], step[1], self.new_id()), forward)

    def next_step(self, node: Node, ticket: int, raises: int) -> tuple[str, dict[str, Any]] | None:
        state = node.engine.state
        group = base.group_row(state, GID)
        for settled in base.settlement_rows(state, group):
            if not settled["prize_paid"]:
                month = int(settled["month"])
                self.paperwork(node, settled)
                return "prize.paid", {**scope(), "month": month, "bank_ref": f"NEFT{month:04d}"}
        month = int(group["settled"]) + 1
        if month > int(group["months"]):
            return None
        auction = state.get(base.AUCTIONS, base.month_key(GID, month))
        if auction is None:
            body = {**scope(), "month": month, "present": list(MEMBERS)}
            return "auction.opened", {**body, "foreman_present": True, "duration_ms": AUCTION_MS}
        if auction["status"] != "open":
            return None
        if raises and auction["bidding"] and self.wall.now_ms() <= int(auction["ends_ms"]):
            terms = base.terms_of(group)
            best = auction["best_paise"]
            discount = min_discount_paise(terms)
            if best is not None:
                discount = min(max_discount_paise(terms), best + raises * terms.bid_increment_paise)
            actor = base.ticket_row(state, GID, ticket)["member_id"]
            body = {**scope(), "month": month, "ticket": ticket, "discount_paise": discount}
            return "auction.bid", {**body, "actor": actor}
        self.wall.advance(max(0, int(auction["ends_ms"]) - self.wall.now_ms()))  # countdown
        return "auction.closed", {**scope(), "month": month}

    @rule(
        at=st.integers(0, 3),
        number=st.integers(1, len(MEMBERS)),
        to=st.sampled_from(("cash", "wallet")),
        forward=st.booleans(),
    )
    def lend(self, at: int, number: int, to: str, forward: bool) -> None:
        """Loan L<number>'s next step as device `at`'s books see it: sanction it from the
        treasury, or pay it out (in cash, or into the member's wallet)."""
        loan_id = f"L{number}"
        status = lv.loan_row(self.device(at).node.engine.state, loan_id)["status"]
        body = {"loan_id": loan_id, "scope": TREASURY}
        if status == lv.APPROVED:
            self.issue(at, Command("loan.sanctioned", body, self.new_id()), forward)
        elif status == lv.SANCTIONED:
            self.issue(at, Command("loan.disbursed", {**body, "to": to}, self.new_id()), forward)

    def paperwork(self, node: Node, settled: dict[str, Any]) -> None:
        """Before a prize: the foreman, the winner and two others attest the minutes, and
        the winner chooses to have future dues deducted (free entries: any device)."""
        month, ticket = int(settled["month"]), int(settled["winner_ticket"])
        key = base.month_key(GID, month)
        if not base.minutes_complete(node.engine.state.get(base.MINUTES, key), settled):
            body = {"group_id": GID, "month": month}
            body["minutes_hash"] = base.minutes_hash(node.engine.state, GID, month)
            winner = str(settled["winner_member"])
            members = [winner, *[m for m in MEMBERS if m != winner][:2]]
            bodies = [{**body, "attester": m, "actor": m} for m in members]
            for attested in [{**body, "attester": base.FOREMAN_ATTESTER}, *bodies]:
                self.free(node, "minutes.attested", attested)
        if node.engine.state.get(base.SECURITIES, base.ticket_key(GID, ticket)) is None:
            detail = "the winner chose to have future dues deducted from the prize"
            body = {"group_id": GID, "ticket": ticket, "form": "deduction", "detail": detail}
            self.free(node, "security.furnished", body)

    def free(self, node: Node, kind: str, body: dict[str, Any]) -> None:
        """A free entry: any device writes it; one that another device wrote first and
        this one has seen is refused, and changes nothing."""
        before = node.engine.digest()
        try:
            node.submit(kind, body)
        except RuleViolation as refused:
            assert node.engine.digest() == before
            FIGURES[f"refused {kind} {refused.code}"] += 1

    def new_id(self) -> str:
        return f"c{len(self.commands) + 1}"

    def issue(self, at: int, command: Command, forward: bool) -> None:
        """Submit on device `at`; refused there as not the holder, with `forward` the
        machine does what `chitnode serve` does: forward it to a holder that device
        reaches, or, with none, sync with the devices it reaches (a serving node's peer
        sync runs all along), stand for the scope, carry the frames, and try again."""
        self.commands.append(command)
        device = self.device(at)
        if self.attempt(device, command) != "not_lease_holder" or not forward:
            return
        holders = [h for h in self.writers(command.scope) if self.net.connected(device.key, h.key)]
        if holders:
            FIGURES["forwarded"] += 1
            self.attempt(holders[0], command)
            return
        for peer in self.devices:  # a serving node's peer sync runs all along
            if peer is not device and self.net.connected(device.key, peer.key):
                sync_pair(device.node, peer.node)
        self.campaign(at, command.scope)
        self.deliver_everything()
        if device.shell.may_write(command.scope) is not None:
            FIGURES["stood and was elected"] += 1
            self.attempt(device, command)

    def attempt(self, device: Device, command: Command) -> str:
        """Submit on `device`: "" if written there (applied or rejected), else the code."""
        node = device.node
        term = device.shell.may_write(command.scope)
        before = node.engine.digest()
        try:
            receipt = node.submit(command.kind, command.body, command.cmd_id)
        except RuleViolation as refused:
            assert node.engine.digest() == before, f"a refused command changed {device.name}"
            if command.kind in DEBITS:
                assert refused.code in REFUSALS, f"{command.kind} refused {refused.code}"
            if term is None:
                assert refused.code == "not_lease_holder", refused.code
            FIGURES[f"refused {command.kind} {refused.code}"] += 1
            return refused.code
        assert term is not None, f"{device.name} wrote {command.kind} without being elected"
        entry = node.store.entry_at(device.key, receipt.seq)
        assert entry is not None and entry.body["term"] == term
        command.device, command.receipt = device, receipt
        FIGURES[f"{receipt.status} {command.kind}"] += 1
        return ""

    @precondition(lambda self: self.commands)
    @rule(pick=st.integers(0, 10**6), at=st.integers(0, 3), same=st.booleans())
    def retry(self, pick: int, at: int, same: bool) -> None:
        """A client that heard nothing sends the command again with its cmd_id: where it
        was acknowledged the answer is the first receipt and nothing changes; a device
        whose fold holds the first entry refuses it; nothing is ever applied twice."""
        command = self.commands[pick % len(self.commands)]
        device = command.device if same and command.device else self.device(at)
        node = device.node
        first = command.receipt
        seen_here = False
        if command.device is not None and first is not None:
            outcome = node.store.outcome_of(command.device.key, first.seq)
            seen_here = outcome is not None and outcome[0] == "applied"
        FIGURES["retries"] += 1
        if node.store.command(command.cmd_id) is not None:
            before = node.engine.digest()
            receipt = node.submit(command.kind, command.body, command.cmd_id)
            assert receipt.already_done and node.engine.digest() == before
            assert first is None or command.device is not device or receipt.hash == first.hash
            FIGURES["retries answered already_done"] += 1
            return
        written = self.attempt(device, command) == ""
        assert not (written and seen_here), "a second entry of an applied command was written"

    # --- checks -----------------------------------------------------------------------

    def writers(self, name: str) -> list[Device]:
        return [d for d in self.devices if d.shell.may_write(name) is not None]

    @invariant()
    def check_one_writer(self) -> None:
        """Per scope at most one device may write, and its Node asks that election."""
        for name in SCOPES:
            writers = self.writers(name)
            assert len(writers) <= 1, f"{[d.name for d in writers]} may all write {name}"
            for device in self.devices:
                elected = device.node.elected
                assert elected is not None and elected(name) == device.shell.may_write(name)

    @invariant()
    def check_books(self) -> None:
        for device in self.devices:
            problems = books_problems(device.node) + prize_problems(device.node, GID)
            assert problems == [], device.name

    @invariant()
    def check_exactly_once(self) -> None:
        for device in self.devices:
            twice = {k: n for k, n in applied_per_command(device.node).items() if n > 1}
            assert twice == {}, f"{device.name} applied commands more than once: {twice}"

    @invariant()
    def check_same_entries_same_digest(self) -> None:
        digests: dict[tuple[tuple[str, int], ...], set[str]] = {}
        for device in self.devices:
            store = device.node.store
            held = tuple(sorted((a, (store.last_stored(a) or (0, ""))[0]) for a in store.authors()))
            digests.setdefault(held, set()).add(device.node.engine.digest())
        assert all(len(d) == 1 for d in digests.values()), "same entries, different states"

    @rule(at=st.integers(0, 3))
    def rebuild(self, at: int) -> None:
        """G6: the fold rebuilt from the log alone is the fold the node kept."""
        node = self.device(at).node
        before = node.engine.digest()
        with node.store.transaction():
            node.engine.rebuild()
        assert node.engine.digest() == before, "a rebuild from the log changed the state"
        FIGURES["rebuilds"] += 1

    @rule()
    def converge(self) -> None:
        """The network heals and every feed reaches every node: one state everywhere."""
        self.heal()
        sync_everyone([d.node for d in self.devices])
        assert len({d.node.engine.digest() for d in self.devices}) == 1
        FIGURES["converged"] += 1
        for command in self.commands:  # counted, not asserted (the module's note)
            if command.device is None or command.receipt is None:
                continue
            where = command.device
            outcome = where.node.store.outcome_of(where.key, command.receipt.seq)
            if command.receipt.status == "applied" and outcome and outcome[0] != "applied":
                FIGURES[f"acknowledged, then {outcome[0]} {outcome[1]}"] += 1


def test_elected_nodes_keep_the_books_through_partitions_crashes_and_retries() -> None:
    run_state_machine_as_test(
        ElectionMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
            ],
        ),
    )
    print("election-machine", json.dumps(dict(sorted(FIGURES.items()))))


def test_a_cut_off_holders_debit_loses_to_the_new_holders_conflicting_one() -> None:
    """n0 holds the treasury and is cut off; while its lease lasts it pays M2 300 of M1's
    500 rupees. Its lease runs out, n1 is elected by n1 and n2 and pays M3 300 of M1's
    money, not knowing of n0's debit. Both were acknowledged as applied; together they
    overdraw. After the heal every node must agree, and by rule 4 the term-2 debit wins."""
    machine = ElectionMachine()
    try:
        machine.found(3, [0, 0, 0, 0], [0, 0, 0, 0], first=0)
        machine.partition(0b001)  # n0 alone
        machine.submit(0, TRANSFERRED, "M1", "M2", OPENING_PAISE * 3 // 5, forward=False)
        machine.advance(3 * LEASE_MS, deliver=True)  # n0's lease and its voters' promises end
        machine.submit(1, TRANSFERRED, "M1", "M3", OPENING_PAISE * 3 // 5, forward=True)
        assert machine.writers(TREASURY) == [machine.devices[1]], "n1 stood and was elected"
        old, new = machine.commands
        assert old.receipt is not None and new.receipt is not None
        assert (old.receipt.status, new.receipt.status) == ("applied", "applied")
        assert old.device is machine.devices[0] and new.device is machine.devices[1]
        machine.converge()  # one state everywhere (G6) whatever the outcome
        for device in machine.devices:
            store = device.node.store
            assert store.outcome_of(machine.devices[1].key, new.receipt.seq) == ("applied", "")
            stale = store.outcome_of(machine.devices[0].key, old.receipt.seq)
            assert stale == ("rejected", "stale_term")
    finally:
        machine.teardown()


def test_a_cut_off_holders_draw_loses_to_the_new_holders_draw() -> None:
    """n0 holds the group and is cut off; it opens month 1 and takes M2's bid. Its lease
    runs out; n1 is elected, opens month 1 and takes M3's bid, both acknowledged. After
    the heal, by rule 4, n1's term-2 draw stands and n0's is `stale_term`."""
    machine = ElectionMachine()
    try:
        machine.found(3, [0, 0, 0, 0], [0, 0, 0, 0], first=0)
        machine.partition(0b001)  # n0 alone
        machine.meeting(0, [(1, 1, False), (2, 1, False)], forward=False)  # open, M2 bids
        machine.advance(3 * LEASE_MS, deliver=True)
        machine.meeting(1, [(1, 1, False), (3, 1, False)], forward=True)  # open, M3 bids
        assert machine.writers(GROUP) == [machine.devices[1]], "n1 stood and was elected"
        written = [c for c in machine.commands if c.receipt is not None]
        assert [(c.kind, c.device) for c in written] == [
            ("auction.opened", machine.devices[0]),
            ("auction.bid", machine.devices[0]),
            ("auction.opened", machine.devices[1]),
            ("auction.bid", machine.devices[1]),
        ]
        assert all(c.receipt is not None and c.receipt.status == "applied" for c in written)
        machine.converge()
        for device in machine.devices:
            outcomes = []
            for command in written:
                assert command.device is not None and command.receipt is not None
                outcome = device.node.store.outcome_of(command.device.key, command.receipt.seq)
                outcomes.append(outcome)
            stale = ("rejected", "stale_term")
            assert outcomes == [stale, stale, ("applied", ""), ("applied", "")]
    finally:
        machine.teardown()
