"""Held entries are bounded per author and never a lever against others (issue 9, point 4).

Before: one bound for the whole store, and an ingest that crossed it was refused whole.
100,001 signed entries whose dep never comes (anyone's) ended in `too_many_held`, and
from then on every legitimate import that needed to hold an entry was refused too. Now
strangers get nothing held, each author at most limits.HELD_PER_AUTHOR_MAX, the store at
most limits.HELD_ENTRIES_MAX, and an entry past a bound is refused alone (node/held.py).
The bounds are small here (monkeypatched); one test runs at the real per-author bound.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode import limits
from chitnode.log.entry import Entry
from chitnode.node import held
from chitnode.node.fold import FoldEngine, IngestResult
from chitnode.store.api import HELD
from chitnode.store.sqlite import SqliteStore
from tests.support.feeds import BRANCH, Feed, enrol, founded, seeded_key

NOTE = "member.registered"  # any kind: held entries are not judged until placed


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[FoldEngine]:
    store = SqliteStore.open(tmp_path / "node", create=True)
    store.set_meta("branch", BRANCH)
    engine = FoldEngine(store)
    engine.load()
    yield engine
    store.close()


def ingest(engine: FoldEngine, entries: list[Entry]) -> IngestResult:
    with engine.store.transaction():
        return engine.ingest(entries)


def status(engine: FoldEngine, entry: Entry) -> str | None:
    if engine.store.hash_at(entry.author, entry.seq) != entry.hash:
        return None  # not stored
    found = engine.store.outcome_of(entry.author, entry.seq)
    return found[0] if found else None


def waiting_for(feed: Feed, missing: Entry, count: int) -> list[Entry]:
    """`count` entries of `feed` whose first names `missing` (never ingested) in its deps."""
    first = feed.write(NOTE, {"n": 0}, [missing])
    return [first] + [feed.write(NOTE, {"n": i}) for i in range(1, count)]


@pytest.fixture
def branch(engine: FoldEngine) -> tuple[Feed, Feed, Feed, Entry]:
    """Root, two enrolled employees (placed), and a root entry that is withheld."""
    root, a, b = founded(), Feed(seeded_key(2)), Feed(seeded_key(3))
    enrol(root, a, "employee")
    enrol(root, b, "employee")
    ingest(engine, list(root.entries))
    withheld = root.write(NOTE, {"n": "withheld"})
    return root, a, b, withheld


def test_a_strangers_entries_are_never_held_and_block_nobody(
    engine: FoldEngine, branch: tuple[Feed, Feed, Feed, Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "HELD_ENTRIES_MAX", 5)
    _, a, _, withheld = branch
    stranger = Feed(seeded_key(66))
    for entry in waiting_for(stranger, withheld, 8):  # one batch each: the old store filled
        result = ingest(engine, [entry])
        assert [r.code for r in result.refused] == [held.UNKNOWN_AUTHOR]
    assert engine.store.held_count() == 0
    legit = waiting_for(a, withheld, 2)
    result = ingest(engine, legit)
    assert result.refused == [] and [status(engine, e) for e in legit] == [HELD, HELD]


def test_a_strangers_placeable_entry_is_still_stored_as_evidence(
    engine: FoldEngine, branch: tuple[Feed, Feed, Feed, Entry]
) -> None:
    root = branch[0]
    stranger = Feed(seeded_key(66))
    entry = stranger.write(NOTE, {"n": 1}, [root.entries[-2]])  # [-1] is withheld
    result = ingest(engine, [entry])
    assert result.refused == [] and engine.store.outcome_of(entry.author, 1) == (
        "rejected",
        "unknown_author",
    )


def test_an_enrolled_device_at_its_cap_does_not_block_another(
    engine: FoldEngine, branch: tuple[Feed, Feed, Feed, Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "HELD_PER_AUTHOR_MAX", 3)
    _, a, b, withheld = branch
    flood = waiting_for(a, withheld, 5)
    result = ingest(engine, flood)
    assert [(r.seq, r.code) for r in result.refused] == [
        (4, held.AUTHOR_FULL),
        (5, held.AUTHOR_FULL),
    ]
    assert [status(engine, e) for e in flood] == [HELD, HELD, HELD, None, None]
    again = ingest(engine, flood[3:])  # still past the cap: refused again, nothing raised
    assert len(again.refused) == 2
    legit = waiting_for(b, withheld, 3)
    assert ingest(engine, legit).refused == []
    assert [status(engine, e) for e in legit] == [HELD] * 3
    ingest(engine, [withheld])  # the dep arrives: everything held is placed
    assert engine.store.held_count() == 0
    assert ingest(engine, flood[3:]).refused == []  # the head moved: a's rest now fits
    assert status(engine, flood[4]) in ("applied", "rejected")


def test_the_store_bound_refuses_new_holds_but_takes_placeable_entries(
    engine: FoldEngine, branch: tuple[Feed, Feed, Feed, Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "HELD_PER_AUTHOR_MAX", 3)
    monkeypatch.setattr(limits, "HELD_ENTRIES_MAX", 4)
    root, a, b, withheld = branch
    assert ingest(engine, waiting_for(a, withheld, 3)).refused == []
    late = waiting_for(b, withheld, 3)
    result = ingest(engine, late)
    assert [(r.seq, r.code) for r in result.refused] == [(2, held.STORE_FULL), (3, held.STORE_FULL)]
    assert engine.store.held_count() == 4
    on_time = Feed(seeded_key(4)).write(NOTE, {"n": 1}, [root.entries[-2]])  # a placed dep
    result = ingest(engine, [on_time])
    assert result.refused == [] and status(engine, on_time) == "rejected"  # unknown_author


def test_an_enrolment_in_the_same_batch_makes_its_key_known(
    engine: FoldEngine, branch: tuple[Feed, Feed, Feed, Entry]
) -> None:
    root, _, _, withheld = branch
    newcomer, stranger, sidekick = Feed(seeded_key(5)), Feed(seeded_key(66)), Feed(seeded_key(7))
    batch = [withheld]  # placed in this batch: the enrolment after it is placed too
    enrolment = enrol(root, newcomer, "employee", [])
    missing = Feed(seeded_key(8)).write(NOTE, {})
    its_entries = waiting_for(newcomer, missing, 2)
    # a stranger's enrolment of its sidekick makes nobody known
    stranger_grant = stranger.write(
        "device.enrolled", {"key": sidekick.public, "role": "admin", "name": "x"}
    )
    sidekick_entries = waiting_for(sidekick, missing, 2)
    result = ingest(engine, [*batch, enrolment, *its_entries, stranger_grant, *sidekick_entries])
    assert {(r.author, r.code) for r in result.refused} == {(sidekick.public, held.UNKNOWN_AUTHOR)}
    assert [status(engine, e) for e in its_entries] == [HELD, HELD]


def test_an_enrolment_held_here_makes_its_key_known_after_a_restart(
    engine: FoldEngine, branch: tuple[Feed, Feed, Feed, Entry]
) -> None:
    root, _, _, withheld = branch
    newcomer = Feed(seeded_key(5))
    enrolment = enrol(root, newcomer, "employee", [])  # after `withheld`: held with it missing
    assert ingest(engine, [enrolment]).refused == [] and status(engine, enrolment) == HELD
    its_entries = waiting_for(newcomer, withheld, 2)
    assert ingest(engine, its_entries).refused == []
    engine.load()  # forgets what it had read: reads the held enrolments again
    more = [newcomer.write(NOTE, {"n": 9})]
    assert ingest(engine, more).refused == []
    assert [status(engine, e) for e in [*its_entries, *more]] == [HELD] * 3


@pytest.mark.slow
def test_at_the_real_per_author_bound(
    engine: FoldEngine, branch: tuple[Feed, Feed, Feed, Entry]
) -> None:
    _, a, b, withheld = branch
    flood = waiting_for(a, withheld, limits.HELD_PER_AUTHOR_MAX + 1)
    for start in range(0, len(flood), limits.GROUP_COMMIT_ENTRIES_MAX):
        result = ingest(engine, flood[start : start + limits.GROUP_COMMIT_ENTRIES_MAX])
    assert [(r.seq, r.code) for r in result.refused] == [
        (limits.HELD_PER_AUTHOR_MAX + 1, held.AUTHOR_FULL)
    ]
    assert engine.store.held_count() == limits.HELD_PER_AUTHOR_MAX
    legit = waiting_for(b, withheld, 1)
    assert ingest(engine, legit).refused == [] and status(engine, legit[0]) == HELD
