"""Deterministic simulation: 3-5 nodes reconcile over a network that loses, repeats and
reorders frames, partitions, restarts nodes and meets an equivocating author
(RELIABILITY.md, tier C; G8 convergence, G10 forks become evidence).

One seed draws everything: the number of nodes, page size and pages in flight, how
lossy the network is, and a schedule of writes, deliveries, connects, disconnects,
timeouts (`resend`), partitions, restarts and at most one forged fork. The safety
phase checks after every delivery that no feed's head moves back (except once, to just
before a fork found there). Then the network heals: every pair runs clean sessions
until a round changes nothing, and all nodes must hold the same entries, the same
forks and the same state digest, with every acknowledged entry kept.

Most seeds run on memory replicas; `NODE_SEEDS` run on real chitnode Nodes (SQLite in
a folder made once per node per seed, on tmpfs when the machine has one), restarted by
closing and reopening them. A failing seed says how to replay it:
`CHITNODE_SIM_SEED=<seed> python -m pytest -q tests/sync/test_reconcile_sim.py`.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pytest
from nacl.signing import SigningKey

from chitnode.domain.kernel_kinds import GENESIS
from chitnode.errors import ChitError
from chitnode.log.entry import Entry, parse_entry
from chitnode.node.node import Node
from chitnode.store.sqlite import SqliteStore
from sync import limits
from sync.reconcile import Reconciler, Replica, decode, encode
from sync.reconcile.loopback import converse
from sync.reconcile.memory import MemoryReplica
from sync.reconcile.node_replica import NodeReplica
from tests.support.clock import T0_MS, FakeClock
from tests.support.feeds import twin_of

SEEDS = int(os.environ.get("CHITNODE_SIM_SEEDS", "200"))
NODE_SEEDS = int(os.environ.get("CHITNODE_SIM_NODE_SEEDS", "20"))
REPLAY = os.environ.get(
    "CHITNODE_SIM_SEED"
)  # one seed, memory or node (node seeds are >= NODE_SEED_BASE)
NODE_SEED_BASE = 1_000_000
HEAL_ROUNDS_MAX = 8  # clean rounds of sessions between every pair; more is a liveness bug
TRACE_KEPT = 40  # schedule lines printed with a failing seed
SHM = Path("/dev/shm")  # tmpfs: SQLite's fsync costs nothing there, the files are real


def seeds(first: int, count: int) -> list[int]:
    if REPLAY is not None:
        seed = int(REPLAY)
        return [seed] if (seed >= NODE_SEED_BASE) == (first >= NODE_SEED_BASE) else []
    return list(range(first, first + count))


def seeded_key(seed: int, index: int) -> SigningKey:
    return SigningKey(hashlib.sha256(f"sim {seed} key {index}".encode()).digest())


def public(key: SigningKey) -> str:
    return key.verify_key.encode().hex()


# --------------------------------------------------------------------------- nodes


class Peer(Protocol):
    key: SigningKey
    replica: Replica
    written: list[Entry]  # acknowledged writes of this peer (G7: none may be lost)

    def write(self, rng: random.Random, now_ms: int) -> None: ...
    def restart(self) -> None: ...
    def digest(self) -> str: ...
    def rebuilt_digest(self) -> str: ...
    def held(self) -> int: ...
    def close(self) -> None: ...


@dataclass
class MemoryPeer:
    key: SigningKey
    replica: MemoryReplica
    written: list[Entry] = field(default_factory=list)

    def write(self, rng: random.Random, now_ms: int) -> None:
        self.written.append(self.replica.write(self.key, now_ms, {"n": rng.randrange(10**6)}))

    def restart(self) -> None:
        """Nothing to lose: the replica is what a disk would hold; the sessions go."""

    def digest(self) -> str:
        return self.replica.digest()

    def rebuilt_digest(self) -> str:
        return self.replica.digest()  # nothing folded: nothing to rebuild

    def held(self) -> int:
        return 0

    def close(self) -> None:
        pass


@dataclass
class KeptKey:
    """The KeyStore port over a key held in memory: simulated devices have no keyring."""

    key: SigningKey

    def save(self, key: SigningKey) -> str:
        return "memory"

    def load(self, public_hex: str) -> SigningKey:
        assert public_hex == public(self.key)
        return self.key


class NodePeer:
    """A real Node in its own folder; `restart` closes it and opens the folder again."""

    def __init__(self, folder: Path, key: SigningKey, branch: str, root: str) -> None:
        self.key, self.folder, self.clock = key, folder, FakeClock()
        self.written: list[Entry] = []
        # What `Node.init` does, with a given key (seeded: a seed replays exactly) and the
        # branch's root instead of this key: a device joining a branch, not founding one.
        store = SqliteStore.open(folder, create=True)
        with store.transaction():
            store.set_meta("keystore", KeptKey(key).save(key))
            store.set_meta("device_key", public(key))
            store.set_meta("branch", branch)
            store.set_meta("root", root)
        self.node = Node(store, key, self.clock)
        self.node.engine.load()
        self.replica = NodeReplica(self.node)

    def write(self, rng: random.Random, now_ms: int) -> None:
        self.clock.wall_ms = now_ms
        member = f"m{rng.randrange(12)}"  # a few ids: concurrent twins are rejected by the fold
        try:
            receipt = self.node.submit("member.registered", {"member_id": member, "name": member})
        except ChitError:
            return  # known here already, or this device is frozen: nothing acknowledged
        self.written.append(self.node.store.entry_at(public(self.key), receipt.seq))  # type: ignore[arg-type]

    def restart(self) -> None:
        self.node.close()
        self.node = Node.open(self.folder, clock=self.clock, keystore=KeptKey(self.key))
        self.replica = NodeReplica(self.node)

    def digest(self) -> str:
        return self.node.engine.digest()

    def rebuilt_digest(self) -> str:
        """The digest of a fold of this node's whole log from nothing (G6)."""
        with self.node.store.transaction():
            self.node.engine.rebuild()
        return self.node.engine.digest()

    def held(self) -> int:
        return self.node.store.held_count()

    def close(self) -> None:
        self.node.close()


def memory_peers(seed: int, count: int) -> list[Peer]:
    branch = hashlib.sha256(f"sim {seed}".encode()).hexdigest()[:32]
    return [MemoryPeer(seeded_key(seed, i), MemoryReplica(branch)) for i in range(count)]


def node_peers(seed: int, count: int, folder: Path) -> list[Peer]:
    """A root that founds the branch and enrols the others, who start from its feed."""
    branch = hashlib.sha256(f"sim {seed}".encode()).hexdigest()[:32]
    keys = [seeded_key(seed, i) for i in range(count)]
    peers = [NodePeer(folder / f"n{i}", k, branch, public(keys[0])) for i, k in enumerate(keys)]
    root = peers[0].node
    root.submit(GENESIS, {"branch_name": f"Sim {seed}", "root": public(keys[0])})
    for i, key in enumerate(keys[1:], 1):
        root.submit("device.enrolled", {"key": public(key), "role": "employee", "name": f"d{i}"})
    founding = [parse_entry(line) for line in peers[0].replica.lines(root.public, 1, count, 10**9)]
    for peer in peers[1:]:
        assert peer.replica.ingest(founding).stored == count
    return list(peers)


@pytest.fixture
def node_folder(tmp_path: Path) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(dir=SHM)) if SHM.is_dir() else tmp_path
    yield folder
    if folder != tmp_path:
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- the network


@dataclass
class Link:
    """One session between peers i < j: a Reconciler on each side, frames on the wire."""

    sides: dict[int, Reconciler]
    wire: list[tuple[int, bytes]] = field(default_factory=list)  # (to, frame)

    def send(self, to: int, messages: list[object]) -> None:
        self.wire.extend((to, encode(m)) for m in messages)  # type: ignore[arg-type]


@dataclass
class World:
    seed: int
    peers: list[Peer]
    rng: random.Random
    page_entries: int
    pages_in_flight: int
    drop: float  # chance a delivered frame is lost instead
    repeat: float  # chance it is delivered and stays on the wire too
    links: dict[tuple[int, int], Link] = field(default_factory=dict)
    apart: list[set[int]] | None = None  # the two sides of a partition
    now_ms: int = T0_MS
    skew_ms: list[int] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    forged: bool = False

    def note(self, line: str) -> None:
        self.trace.append(line)
        del self.trace[:-TRACE_KEPT]

    def session(self, replica: Replica) -> Reconciler:
        return Reconciler(
            replica, page_entries=self.page_entries, pages_in_flight=self.pages_in_flight
        )

    def can_talk(self, i: int, j: int) -> bool:
        return self.apart is None or any(i in side and j in side for side in self.apart)

    # --- the schedule -----------------------------------------------------------------

    def step(self) -> None:
        self.now_ms += self.rng.randrange(1, 2000)
        action = self.rng.choices(
            ["write", "deliver", "connect", "disconnect", "resend", "partition", "restart"],
            weights=[3, 14, 2, 0.5, 1, 0.3, 0.3],
        )[0]
        getattr(self, f"do_{action}")()

    def do_write(self) -> None:
        i = self.rng.randrange(len(self.peers))
        self.peers[i].write(self.rng, self.now_ms + self.skew_ms[i])
        self.note(f"write on {i}")

    def do_connect(self) -> None:
        i, j = sorted(self.rng.sample(range(len(self.peers)), 2))
        if (i, j) in self.links or not self.can_talk(i, j):
            return
        link = self.links[(i, j)] = Link(
            {i: self.session(self.peers[i].replica), j: self.session(self.peers[j].replica)}
        )
        link.send(j, link.sides[i].start())
        link.send(i, link.sides[j].start())
        self.note(f"connect {i}-{j}")

    def do_disconnect(self) -> None:
        if self.links:
            pair = self.rng.choice(sorted(self.links))
            del self.links[pair]
            self.note(f"disconnect {pair}")

    def do_resend(self) -> None:
        if self.links:
            pair = self.rng.choice(sorted(self.links))
            side = self.rng.choice(pair)
            link = self.links[pair]
            link.send(pair[0] if side == pair[1] else pair[1], link.sides[side].resend())
            self.note(f"resend by {side} on {pair}")

    def do_partition(self) -> None:
        if self.apart is not None:
            self.apart = None
            self.note("heal the partition")
            return
        order = list(range(len(self.peers)))
        self.rng.shuffle(order)
        cut = self.rng.randrange(1, len(order))
        self.apart = [set(order[:cut]), set(order[cut:])]
        for pair in [p for p in self.links if not self.can_talk(*p)]:
            del self.links[pair]
        self.note(f"partition {self.apart}")

    def do_restart(self) -> None:
        i = self.rng.randrange(len(self.peers))
        for pair in [p for p in self.links if i in p]:
            del self.links[pair]
        self.peers[i].restart()
        self.note(f"restart {i}")

    def do_deliver(self) -> None:
        busy = [pair for pair in sorted(self.links) if self.links[pair].wire]
        if not busy:
            return
        pair = self.rng.choice(busy)
        link = self.links[pair]
        to, frame = link.wire.pop(self.rng.randrange(len(link.wire)))  # any order
        if self.rng.random() < self.drop:
            self.note(f"lose a frame to {to} on {pair}")
            return
        if self.rng.random() < self.repeat:
            link.wire.append((to, frame))
        self.deliver(pair, to, frame)

    def deliver(self, pair: tuple[int, int], to: int, frame: bytes) -> None:
        link, message = self.links[pair], decode(frame)
        replica = self.peers[to].replica
        before, frozen_before = dict(replica.heads()), dict(replica.frozen())
        self.note(f"deliver {type(message).__name__} to {to} on {pair}")
        answer = link.sides[to].receive(message)
        link.send(pair[0] if to == pair[1] else pair[1], answer)
        check_heads_only_grow(before, frozen_before, replica)
        assert link.sides[to].stats.buffered_max <= self.page_entries * self.pages_in_flight

    def forge(self) -> None:
        """An author signs a second entry at a seq it already used, and one peer gets it."""
        writers = [i for i, p in enumerate(self.peers) if i and p.written]
        if not writers:
            return
        k = self.rng.choice(writers)
        author, held = self.peers[k], self.peers[k].written[-1]
        body = {"member_id": f"forged{self.seed}", "name": "Forger"}
        twin = twin_of(author.key, held, body)
        reach = [
            j
            for j, p in enumerate(self.peers)
            if j != k
            and p.replica.head(held.author)[0] >= held.seq - 1
            and p.replica.lines(held.author, held.seq - 1, 1, 10**9)[:1]
            == author.replica.lines(held.author, held.seq - 1, 1, 10**9)[:1]
        ]
        if reach:
            j = self.rng.choice(reach)
            assert self.peers[j].replica.ingest([twin]).refused is None
            self.forged = True
            self.note(f"forge {k}#{held.seq} into {j}")

    # --- after the faults ---------------------------------------------------------------

    def resume(self) -> None:
        """The faults stop: what is on the wire arrives, each side of every session still
        open asks again once (its timeout), and each such session must finish by itself."""
        for pair in sorted(self.links):
            link = self.links[pair]
            for side in pair:
                link.send(pair[0] if side == pair[1] else pair[1], link.sides[side].resend())
            while link.wire:
                self.deliver(pair, *link.wire.pop(0))
            assert all(s.finished for s in link.sides.values()), f"session {pair} stuck"
        self.note(f"resumed {len(self.links)} sessions")

    def heal(self) -> int:
        """Clean sessions between every pair until a round changes nothing; rounds taken."""
        self.apart, self.links = None, {}
        for index in range(HEAL_ROUNDS_MAX):
            before = self.fingerprint()
            for i in range(len(self.peers)):
                for j in range(i + 1, len(self.peers)):
                    a = self.session(self.peers[i].replica)
                    b = self.session(self.peers[j].replica)
                    converse(a, b)
                    assert a.finished and b.finished, f"session {i}-{j} did not finish"
            if self.fingerprint() == before:
                return index + 1
        raise AssertionError(f"not converged after {HEAL_ROUNDS_MAX} clean rounds")

    def fingerprint(self) -> list[tuple[object, object]]:
        return [(dict(p.replica.heads()), dict(p.replica.frozen())) for p in self.peers]


def check_heads_only_grow(
    before: dict[str, tuple[int, str]], frozen_before: dict[str, int], replica: Replica
) -> None:
    """Heads never move back, except once to just before a fork found now (G4, G10)."""
    after, frozen = replica.heads(), replica.frozen()
    for author, (seq, _) in before.items():
        now = after[author][0]
        newly_frozen = frozen.get(author, 2**62) < frozen_before.get(author, 2**62)
        assert now >= seq or (newly_frozen and now == frozen[author] - 1), (
            f"head of {author[:8]} went back from {seq} to {now}"
        )


def entries_of(peer: Peer) -> set[tuple[str, int, str]]:
    out = set()
    for author, (seq, _) in peer.replica.heads().items():
        for line in peer.replica.lines(author, 1, seq, 10**9):
            entry = parse_entry(line)
            out.add((entry.author, entry.seq, entry.hash))
    return out


def run(seed: int, world: World) -> None:
    steps = world.rng.randrange(120, 320)
    forge_at = world.rng.randrange(steps) if world.rng.random() < 0.3 else -1
    try:
        for index in range(steps):
            world.step()
            if index == forge_at:
                world.forge()
        world.resume()
        rounds = world.heal()
        converged(world)
    except BaseException as exc:
        replay = f"CHITNODE_SIM_SEED={seed} python -m pytest -q tests/sync/test_reconcile_sim.py"
        lines = "\n  ".join(world.trace)
        raise AssertionError(
            f"seed {seed} failed: {exc!r}\nreplay: {replay}\nlast steps:\n  {lines}"
        ) from exc
    finally:
        for peer in world.peers:
            peer.close()
    assert rounds <= HEAL_ROUNDS_MAX


def converged(world: World) -> None:
    # First each node against itself: the state it folded as entries came equals a fold of
    # its whole log (G6). A difference here is the fold's, whatever sync did.
    for index, peer in enumerate(world.peers):
        folded = peer.digest()
        assert peer.rebuilt_digest() == folded, f"node {index}: its fold differs from a rebuild"
    first, *rest = world.peers
    held = entries_of(first)
    for peer in rest:
        assert peer.replica.heads() == first.replica.heads()
        assert peer.replica.frozen() == first.replica.frozen()
        assert entries_of(peer) == held
        assert peer.digest() == first.digest()
    assert all(peer.held() == 0 for peer in world.peers)
    frozen = first.replica.frozen()
    for peer in world.peers:  # every acknowledged entry survived, unless its feed forked there
        for entry in peer.written:
            if entry.seq < frozen.get(entry.author, 2**62):
                assert (entry.author, entry.seq, entry.hash) in held
    if world.forged:
        assert frozen, "a forged entry froze its author everywhere"


def world_for(seed: int, peers: list[Peer], rng: random.Random) -> World:
    world = World(
        seed,
        peers,
        rng,
        page_entries=rng.choice([1, 2, 3, 5, 8]),
        pages_in_flight=rng.randint(1, 4),
        drop=rng.choice([0.0, 0.05, 0.2]),
        repeat=rng.choice([0.0, 0.05, 0.2]),
    )
    world.skew_ms = [rng.randrange(-5000, 5000) for _ in peers]  # clocks disagree
    return world


@pytest.mark.parametrize("seed", seeds(0, SEEDS))
def test_memory_replicas_converge(seed: int) -> None:
    rng = random.Random(seed)
    run(seed, world_for(seed, memory_peers(seed, rng.randint(3, 5)), rng))


@pytest.mark.parametrize("seed", seeds(NODE_SEED_BASE, NODE_SEEDS))
def test_real_nodes_converge(seed: int, node_folder: Path) -> None:
    rng = random.Random(seed)
    run(seed, world_for(seed, node_peers(seed, rng.randint(3, 5), node_folder), rng))


# --------------------------------------------------------------------------- real nodes, no faults


class Watched(NodeReplica):
    """The Node adapter, noting how many entries the node holds after each ingest."""

    def __init__(self, node: Node) -> None:
        super().__init__(node)
        self.held_max = 0

    def ingest(self, entries: list[Entry]) -> object:  # type: ignore[override]
        report = super().ingest(entries)
        self.held_max = max(self.held_max, self._node.store.held_count())
        return report


def test_a_fresh_node_catches_up_with_few_entries_held(node_folder: Path) -> None:
    """Feeds are pulled in the order their entries were written, a page of each first.

    Three feeds that name each other in their deps, one writing five times as often:
    a fresh node pulls them through 8-entry pages, 4 in flight. An entry waits (held)
    only for entries of the other feeds pulled later; pulling the feed whose latest
    entry is oldest keeps that to about the other feeds' pages on the way (measured
    46 here; 95 when a feed's pages all go out before any arrives, 114 by author).
    """
    peers = node_peers(7, 3, node_folder)
    now = T0_MS
    for turn in range(40):
        for index, peer in enumerate(peers):
            for k in range(5 if index == 1 else 1):
                now += 200
                peer.clock.wall_ms = now
                member = f"m{index}-{turn}-{k}"
                peer.node.submit("member.registered", {"member_id": member, "name": member})
        for i, j in ((0, 1), (1, 2), (0, 2)):
            converse(Reconciler(peers[i].replica), Reconciler(peers[j].replica))
    fresh = NodePeer(
        node_folder / "fresh", seeded_key(7, 9), peers[0].node.branch, public(peers[0].key)
    )
    watched = Watched(fresh.node)
    try:
        a, b = Reconciler(peers[0].replica, page_entries=8), Reconciler(watched, page_entries=8)
        converse(a, b)
        assert b.finished
        assert fresh.digest() == peers[0].digest() and fresh.held() == 0
        assert b.stats.stored == sum(s for s, _ in peers[0].replica.heads().values()) > 250
        others_on_the_way = limits.PAGES_IN_FLIGHT_MAX * 8 * (len(peers) - 1)
        assert watched.held_max <= others_on_the_way, watched.held_max
    finally:
        fresh.close()
        for peer in peers:
            peer.close()
