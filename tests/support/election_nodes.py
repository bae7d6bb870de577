"""Real Nodes with an election beside each, on a network a test controls frame by frame.

For the Hypothesis state machine (tests/sync/election/test_election_machine.py): every
device is a real chitnode `Node` in its own folder with a `NodeElection` shell on a
drifting hand clock; frames wait in `Net` until the test delivers, drops or duplicates
them, and a partition drops whatever crosses it. `sync_pair` brings two nodes' feeds
level, in seq order per author, as the peer sync would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from chitnode.domain import chit_kinds_base as base
from chitnode.domain.state import BALANCES
from chitnode.log.entry import Entry, entry_from_stored
from chitnode.node.node import Node
from chitnode.services.reports import balance_sheet
from sync.election.shell import Frame, NodeElection
from tests.support.clock import FakeClock

PPM = 1_000_000


@dataclass
class DriftClock:
    """An elapsed-time clock that starts at any reading and runs `rate_ppm` fast or slow."""

    start_ms: int
    rate_ppm: int = 0
    real_ms: int = 0  # real time since this clock (this process) started

    def elapsed_ms(self) -> int:
        return self.start_ms + self.real_ms * (PPM + self.rate_ppm) // PPM


@dataclass
class MemoryKeys:
    """Device keys kept in memory for one run: the passphrase file's key derivation costs
    a fifth of a second per device and per restart, and keys are not what is tested."""

    keys: dict[str, SigningKey] = field(default_factory=dict)

    def save(self, key: SigningKey, *, replacing: str | None = None) -> str:
        self.keys[key.verify_key.encode().hex()] = key
        return "memory"

    def load(self, public_hex: str) -> SigningKey:
        return self.keys[public_hex]


@dataclass
class Device:
    """One device: its folder, its open Node, and the election process beside it."""

    name: str
    folder: Path
    node: Node
    clock: DriftClock
    shell: NodeElection
    restarts: int = 0

    @property
    def key(self) -> str:
        return self.node.public


def branch(
    tmp: Path,
    count: int,
    scopes: tuple[str, ...],
    lease_ms: int,
    wall: FakeClock,
    keys: MemoryKeys,
) -> list[Node]:
    """A root admin and `count - 1` enrolled foreman laptops, all of them the electorate
    of every scope in `scopes` (set before anyone holds one); the root first."""
    root = Node.init(tmp / "n0", "Election Machine", clock=wall, keystore=keys)
    laptops = [
        Node.join_empty(tmp / f"n{i}", root.branch, root.public, clock=wall, keystore=keys)
        for i in range(1, count)
    ]
    for i, laptop in enumerate(laptops, 1):
        body = {"key": laptop.public, "role": "foreman", "name": f"Laptop {i}"}
        root.submit("device.enrolled", body)
    electors = [root.public, *(n.public for n in laptops)]
    for scope in scopes:
        electorate = {"scope": scope, "keys": electors, "lease_ms": lease_ms}
        root.submit("scope.electorate_set", electorate)
    return [root, *laptops]


def start_election(node: Node, clock: DriftClock, seed: int) -> NodeElection:
    return NodeElection(node, clock, random.Random(seed))


def missing(src: Node, dst: Node) -> list[Entry]:
    """What `src` stores that `dst` does not, each author's entries in seq order."""
    out: list[Entry] = []
    for author in src.store.authors():
        last = src.store.last_stored(author)
        have = dst.store.last_stored(author)
        for seq in range((have[0] if have else 0) + 1, (last[0] if last else 0) + 1):
            entry = src.store.entry_at(author, seq)
            assert entry is not None, f"{src.public[:8]} lost {author[:8]} seq {seq}"
            out.append(entry)
    return out


def sync_pair(a: Node, b: Node) -> int:
    """Both ways, as one peer-sync session: returns how many entries moved."""
    to_b = missing(a, b)
    if to_b:
        b.ingest(to_b)
    to_a = missing(b, a)
    if to_a:
        a.ingest(to_a)
    return len(to_a) + len(to_b)


def sync_everyone(nodes: list[Node]) -> None:
    """Every node ends with every entry any of them holds (two rounds: all to all)."""
    for _ in range(2):
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                sync_pair(a, b)


@dataclass
class Net:
    """Frames in flight, and which side of a partition each device is on."""

    flight: list[tuple[str, Frame]] = field(default_factory=list)  # (sender, frame)
    side: dict[str, int] = field(default_factory=dict)  # key -> side; absent: side 0
    dropped: int = 0
    duplicated: int = 0

    def connected(self, a: str, b: str) -> bool:
        return self.side.get(a, 0) == self.side.get(b, 0)

    def send(self, sender: str, frames: list[Frame]) -> None:
        self.flight.extend((sender, f) for f in frames)

    def take(self, index: int) -> tuple[str, Frame] | None:
        """The frame at `index` if it gets through the partition; None if dropped."""
        sender, frame = self.flight.pop(index % len(self.flight))
        if not self.connected(sender, frame.to):
            self.dropped += 1
            return None
        return sender, frame


# kinds that happen once per group and month: the draw's opening and close, the prize
ONCE_A_MONTH = frozenset({"auction.opened", "auction.closed", "prize.paid"})
# kinds that happen once per loan (paid out whole, in one tranche)
ONCE_A_LOAN = frozenset({"loan.sanctioned", "loan.disbursed"})


def applied_per_command(node: Node) -> dict[str, int]:
    """How many applied entries carry each command's key (G3: never more than one): a
    wallet body's `cmd_id`, a bank request's `request_id` (its idempotency key), a
    month's draw opening, close and prize, a loan's sanction and payout."""
    counts: dict[str, int] = {}
    for row in node.store.placed_entries(status="applied"):
        body = entry_from_stored(row.raw).body
        cmd_id, request_id = body.get("cmd_id"), body.get("request_id")
        key = cmd_id if isinstance(cmd_id, str) else None
        if key is None and row.kind.endswith("_requested") and isinstance(request_id, str):
            key = f"request {request_id}"
        if row.kind in ONCE_A_MONTH:
            key = f"{row.kind} {body.get('group_id')} month {body.get('month')}"
        if row.kind in ONCE_A_LOAN:
            key = f"{row.kind} {body.get('loan_id')}"
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    return counts


def prize_problems(node: Node, gid: str) -> list[str]:
    """G2 for a group: a prize paid once per month (the settlement row) and per ticket."""
    state = node.engine.state
    group = base.group_row(state, gid)
    paid = [s for s in base.settlement_rows(state, group) if s["prize_paid"]]
    tickets = [int(s["winner_ticket"]) for s in paid]
    twice = sorted({t for t in tickets if tickets.count(t) > 1})
    return [f"ticket {t} of {gid} was paid more than one prize (G2)" for t in twice]


def books_problems(node: Node) -> list[str]:
    """G1 and G2 on one node's fold: all accounts sum to zero; none but ext: below zero
    (the balance sheet's own check), and explicitly no wallet, hold or pool."""
    state = node.engine.state
    sheet = balance_sheet(state)
    problems: list[str] = []
    if sheet.total_paise != 0:
        problems.append(f"accounts sum to {sheet.total_paise} paise, not 0 (G1)")
    problems.extend(f"{account} is negative (G2)" for account in sheet.negative)
    rows: dict[str, dict[str, Any]] = state.rows(BALANCES)
    for account, row in rows.items():
        if account.startswith(("wallet:", "hold:", "pool:")) and int(row["paise"]) < 0:
            problems.append(f"{account} at {row['paise']} paise (G2)")
    return problems
