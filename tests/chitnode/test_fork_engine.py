"""The fold engine and the root's own fork: frozen until the root resolves it, then the kept
line applies, the other stays as evidence, and every node settles the same way (G10)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from chitnode.log.entry import Entry
from chitnode.node.fold import FoldEngine
from tests.support.feeds import Feed, engine_at, enrol, founded, ingest, outcome, seeded_key

STORE_KINDS = ("sqlite", "memory")


def member(feed: Feed, n: int, deps: list[Entry] = ()) -> Entry:  # type: ignore[assignment]
    body = {"key": f"{n:02x}" * 32, "role": "member", "name": f"member {n}"}
    return feed.write("device.enrolled", body, deps)


class Story:
    """The root enrols an admin, writes seq 3..4 (line A), loses them, writes seq 3..5 again
    (line B); the admin enrols someone after seeing line A; the root keeps line B."""

    def __init__(self) -> None:
        self.root, self.admin = founded(), Feed(seeded_key(2))
        self.enrolment = enrol(self.root, self.admin, "admin")
        self.a = [member(self.root, 1), member(self.root, 2)]
        self.root.entries[:] = self.root.entries[:2]  # the root's lost writes
        self.b = [member(self.root, 11), member(self.root, 12), member(self.root, 13)]
        self.seen_a = member(self.admin, 30, [self.a[-1]])  # the admin had line A
        self.resolution = self.root.write(
            "fork.resolved", {"seq": 3, "keep": self.b[0].hash}, [self.seen_a]
        )
        self.prefix = self.root.entries[:2]

    def all(self) -> list[Entry]:
        return [*self.prefix, self.seen_a, *self.a, *self.b, self.resolution]


def device(engine: FoldEngine, n: int) -> object:
    return engine.state.get("devices", f"{n:02x}" * 32)


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_the_root_forked_is_frozen_then_its_resolution_applies_the_kept_line(
    tmp_path: Path, kind: str
) -> None:
    s = Story()
    with engine_at(tmp_path / "n", kind) as engine:
        ingest(engine, [*s.prefix, *s.a, s.seen_a])
        assert device(engine, 1) is not None and device(engine, 30) is not None
        ingest(engine, s.b)  # the lost-and-rewritten line comes back: a fork at seq 3
        assert engine.frozen_from[s.root.public] == 3
        assert device(engine, 1) is None and device(engine, 11) is None
        assert device(engine, 30) is not None  # the admin's entry waits only for seq 2
        ingest(engine, [s.resolution])
        assert s.root.public not in engine.frozen_from
        assert [device(engine, n) is not None for n in (1, 2, 11, 12, 13, 30)] == [
            False,
            False,
            True,
            True,
            True,
            True,
        ]
        main = [engine.store.hash_at(s.root.public, seq) for seq in range(1, 7)]
        assert main == [e.hash for e in (*s.prefix, *s.b, s.resolution)]
        evidence = {f.hash for f in engine.store.forks()}
        assert evidence == {e.hash for e in s.a}  # kept, never placed
        assert set(engine.discarded) == evidence
        assert engine.state.get("fork_resolutions", f"{s.root.public}|3") == {
            "keep": s.b[0].hash,
            "by_seq": 6,
            "by_hash": s.resolution.hash,
        }


def test_every_arrival_order_settles_to_one_digest(tmp_path: Path) -> None:
    s = Story()
    entries = s.all()
    digests = set()
    # The genesis first: a node holds nothing of authors it does not know yet (held.py).
    groups = [[*s.a, s.seen_a], s.b, [s.resolution]]
    orders = [sum(p, s.prefix[:]) for p in itertools.permutations(groups)]
    orders.append([*s.prefix, *reversed(entries[len(s.prefix) :])])
    for i, order in enumerate(orders):
        with engine_at(tmp_path / str(i)) as engine:
            for entry in order:  # one at a time: every intermediate state is settled too
                ingest(engine, [entry])
            assert s.root.public not in engine.frozen_from, i
            digests.add(engine.digest())
        with engine_at(tmp_path / str(i)) as engine:  # reopened: the settlement is kept
            assert s.root.public not in engine.frozen_from
            before = engine.digest()
            with engine.store.transaction():
                engine.rebuild()
            assert engine.digest() == before
            digests.add(before)
    with engine_at(tmp_path / "batch") as engine:
        ingest(engine, entries)  # all at once into an empty store: no root known beforehand
        digests.add(engine.digest())
    assert len(digests) == 1


def test_without_a_resolution_every_order_stays_frozen_alike(tmp_path: Path) -> None:
    s = Story()
    rest = [s.seen_a, *s.a, *s.b]
    digests = set()
    for i, order in enumerate(([*s.prefix, *rest], [*s.prefix, *reversed(rest)])):
        with engine_at(tmp_path / str(i)) as engine:
            for entry in order:
                ingest(engine, [entry])
            assert engine.frozen_from[s.root.public] == 3
            digests.add(engine.digest())
    assert len(digests) == 1


def test_a_resolution_by_another_admin_does_not_count(tmp_path: Path) -> None:
    s = Story()
    forged = s.admin.write("fork.resolved", {"seq": 3, "keep": s.b[0].hash}, [s.b[-1]])
    with engine_at(tmp_path / "n") as engine:
        ingest(engine, [*s.prefix, s.seen_a, *s.a, *s.b, forged])
        assert engine.frozen_from[s.root.public] == 3
        assert outcome(engine, forged) == ("rejected", "not_root")


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_both_twins_in_one_batch_are_a_fork_not_a_store_conflict(tmp_path: Path, kind: str) -> None:
    root, admin = founded(), Feed(seeded_key(2))
    enrolment = enrol(root, admin, "admin")
    one = member(admin, 1, [enrolment])
    two = admin.write(
        "device.enrolled",
        {"key": "ee" * 32, "role": "member", "name": "x"},
        [enrolment],
        seq=one.seq,
        prev=one.prev,
    )
    with engine_at(tmp_path / "n", kind) as engine:
        ingest(engine, root.entries)
        with engine.store.transaction():
            result = engine.ingest([one, two, one])  # twins, and one of them twice
        assert result.forks == [(admin.public, 1)] and result.duplicates == 1
        assert engine.frozen_from == {admin.public: 1}
        assert {f.hash for f in engine.store.forks()} == {two.hash}
        assert device(engine, 1) is None
