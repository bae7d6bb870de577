"""Devices around the election core for tests: a feed the core's entries go into, a clock
moved by hand, and a lossless in-memory network for the unit tests (the simulation in
tests/sync/election/test_election_sim.py brings its own faulty one)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from chitnode.log.entry import Entry
from chitnode.node.node import Node
from chitnode.store.api import Store
from sync.election import (
    Election,
    Message,
    Output,
    Persist,
    PersistGrant,
    PersistTransfer,
    PersistVote,
    Ref,
    Send,
    VoteRecord,
)
from sync.election.messages import Transferred
from tests.support.feeds import Feed, engine_at, enrol, founded, ingest, outcome

SCOPE = "group:g1"
LEASE_MS = 10_000


def signing_key(seed: int, index: int) -> SigningKey:
    """Device `index`'s key in run `seed`: the core needs its public half, the fold both."""
    return SigningKey(hashlib.sha256(f"election {seed} device {index}".encode()).digest())


def public(key: SigningKey) -> str:
    return key.verify_key.encode().hex()


@dataclass
class Device:
    """One device: its core, its clock (elapsed ms), and its feed of persisted entries."""

    key: str
    electorate: list[str]
    lease_ms: int
    clock: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    feed: list[tuple[str, dict[str, Any], Ref]] = field(default_factory=list)
    pending: list[Persist] = field(default_factory=list)  # asked for, not yet in the feed
    core: Election = field(init=False)

    def __post_init__(self) -> None:
        self.core = self._new_core()

    def _new_core(self) -> Election:
        votes: dict[str, VoteRecord] = {}
        granted = 0
        for kind, body, ref in self.feed:
            if kind == "lease.vote":
                votes[body["scope"]] = VoteRecord(body["term"], body["candidate"], ref)
            elif kind == "lease.granted":
                granted = max(granted, body["term"])
        return Election(
            self.key,
            self.clock,
            self.rng,
            {SCOPE: (self.electorate, self.lease_ms)},
            votes=votes,
            granted={SCOPE: granted},
        )

    def restart(self, clock: int) -> None:
        """A new process: what was not yet in the feed is lost, the clock reads anything."""
        self.pending.clear()
        self.clock = clock
        self.core = self._new_core()

    def take(self, outputs: list[Output]) -> list[Send]:
        """Keep the persists for `complete`; return the messages to send."""
        sends: list[Send] = []
        for output in outputs:
            if isinstance(output, Send):
                sends.append(output)
            else:
                self.pending.append(output)
        return sends

    def complete(self) -> list[Send]:
        """Write every pending entry into the feed and report it to the core."""
        sends: list[Send] = []
        while self.pending:
            persist = self.pending.pop(0)
            seq = len(self.feed) + 1
            ref = Ref(self.key, seq, hashlib.sha256(f"{self.key} {seq}".encode()).hexdigest())
            self.feed.append((persist.kind, persist.body, ref))
            if isinstance(persist, PersistVote):
                out = self.core.vote_persisted(self.clock, persist.scope, persist.term, ref)
            elif isinstance(persist, PersistGrant):
                out = self.core.grant_persisted(self.clock, persist.scope, persist.term)
            elif isinstance(persist, PersistTransfer):
                # the shell folds its own entry: this device knows of the transfer
                out = self.core.transfer_persisted(
                    self.clock, persist.scope, persist.term, persist.to
                )
            else:
                out = []
            sends.extend(self.take(out))
        return sends

    def writes(self) -> int | None:
        """The term this device may write coordinated entries under now, None if none."""
        return self.core.may_write(self.clock, SCOPE)

    def granted_terms(self) -> list[int]:
        return [int(body["term"]) for kind, body, _ in self.feed if kind == "lease.granted"]


class Cluster:
    """Devices on a network that loses nothing unless cut; persists complete at once."""

    def __init__(self, n: int, lease_ms: int = LEASE_MS, seed: int = 0) -> None:
        self.signing = [signing_key(seed, i) for i in range(n)]
        keys = [public(k) for k in self.signing]
        self.devices = {
            k: Device(k, keys, lease_ms, rng=random.Random(seed * 100 + i))
            for i, k in enumerate(keys)
        }
        self.keys = keys
        self.cut: set[str] = set()  # devices no message reaches or leaves
        self.asleep: set[str] = set()  # suspended: cut off, no ticks, the clock as it is told
        self.queue: list[tuple[str, Send]] = []  # (sender, send), in order
        self.written: list[tuple[Device, int]] = []  # feed entries in the order written

    def __getitem__(self, index: int) -> Device:
        return self.devices[self.keys[index]]

    def run(self, sender: Device, outputs: list[Output]) -> None:
        self.queue.extend((sender.key, s) for s in sender.take(outputs))
        before = len(sender.feed)
        self.queue.extend((sender.key, s) for s in sender.complete())
        self.written.extend((sender, i) for i in range(before, len(sender.feed)))

    def deliver(self, rounds_max: int = 1_000) -> None:
        """Deliver until nothing is left to send (bounded: a loop would be a bug)."""
        for _ in range(rounds_max):
            if not self.queue:
                return
            sender, send = self.queue.pop(0)
            if {sender, send.to} & (self.cut | self.asleep):
                continue
            device = self.devices[send.to]
            self.run(device, device.core.receive(device.clock, sender, send.message))
            if isinstance(send.message, Transferred):  # the shell folds the entry it carries
                self.run(device, self.transfer_seen(device, self.devices[sender]))
        raise AssertionError("the cluster kept talking")

    def advance(self, ms: int, step_ms: int = 50) -> None:
        """Move every clock by `ms` in steps, ticking and delivering after each."""
        for _ in range(ms // step_ms):
            awake = [d for d in self.devices.values() if d.key not in self.asleep]
            for device in awake:
                device.clock += step_ms
            for device in awake:
                self.run(device, device.core.tick(device.clock))
            self.deliver()

    def campaign(self, index: int) -> None:
        device = self[index]
        self.run(device, device.core.campaign(device.clock, SCOPE))
        self.deliver()

    def transfer_seen(self, device: Device, holder: Device) -> list[Output]:
        """What `device`'s shell does once its fold holds `holder`'s latest transfer."""
        _, body, ref = next(f for f in reversed(holder.feed) if f[0] == "lease.transferred")
        return device.core.transfer_seen(
            device.clock, body["scope"], body["term"], holder.key, body["to"], ref
        )

    def transfer(self, index: int, to: int) -> None:
        device = self[index]
        self.run(device, device.core.transfer(device.clock, SCOPE, self.keys[to]))
        self.deliver()

    def writers(self) -> list[str]:
        return [d.key for d in self.devices.values() if d.writes() is not None]

    def send(self, sender: int, to: int, message: Message) -> list[Output]:
        """Hand one message to device `to` as if `sender` sent it; its raw outputs."""
        device = self[to]
        return device.core.receive(device.clock, self.keys[sender], message)


def fold_outcomes(
    written: list[tuple[Device, int]], signing: list[SigningKey], tmp: Path
) -> dict[tuple[str, int], tuple[str, str]]:
    """Sign the entries the cores wrote, in the order written, and fold them for real.

    A branch whose root enrols every device as a foreman and names them the scope's
    electorate; a grant's votes become references to the signed votes, and its deps.
    Returns each entry's outcome by (kind, term) in the order written.
    """
    root = founded()
    feeds = {public(k): Feed(k) for k in signing}
    for feed in feeds.values():
        enrol(root, feed, "foreman")
    lease_ms = written[0][0].lease_ms if written else LEASE_MS
    body = {"scope": SCOPE, "keys": sorted(feeds), "lease_ms": lease_ms}
    e_set = root.write("scope.electorate_set", body)
    real: dict[Ref, Entry] = {}
    for device, index in written:
        kind, entry_body, ref = device.feed[index]
        deps = [e_set]
        if kind == "lease.granted" and "transfer" in entry_body:
            handed = real[Ref(*entry_body["transfer"])]
            entry_body = {**entry_body, "transfer": [handed.author, handed.seq, handed.hash]}
            deps = [handed]
        elif kind == "lease.granted":
            listed = [real[Ref(*v)] for v in entry_body["votes"]]
            entry_body = {**entry_body, "votes": [[e.author, e.seq, e.hash] for e in listed]}
            deps = [e for e in listed if e.author != ref.author] or [e_set]
        real[ref] = feeds[device.key].write(kind, entry_body, deps)
    outcomes: dict[tuple[str, int], tuple[str, str]] = {}
    with engine_at(tmp, "memory") as engine:
        ingest(engine, [*root.entries, *(e for f in feeds.values() for e in f.entries)])
        for entry in real.values():
            outcomes[(entry.author, entry.seq)] = outcome(engine, entry)
    return outcomes


def sync_all(nodes: list[Node]) -> None:
    """Every node ends with every entry any of them holds (two passes: all to all)."""
    for _ in range(2):
        for src in nodes:
            for dst in nodes:
                if src is not dst:
                    dst.ingest(_missing(src.store, dst.store))


def _missing(src: Store, dst: Store) -> list[Entry]:
    out = []
    for author in src.authors():
        last = src.last_stored(author)
        have = dst.last_stored(author)
        for seq in range((have[0] if have else 0) + 1, (last[0] if last else 0) + 1):
            entry = src.entry_at(author, seq)
            assert entry is not None
            out.append(entry)
    return out
