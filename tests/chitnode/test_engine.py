"""The fold engine: determinism (G6), held entries, forks (G10), re-folds, authority (G5)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chitnode.log.entry import Entry
from tests.support.feeds import Feed, engine_at, enrol, founded, ingest, outcome, seeded_key

# The engine runs on either store: SQLite on disk, or the in-memory one (no disk).
STORE_KINDS = ("sqlite", "memory")


def branch_with_three_feeds() -> tuple[Feed, Feed, Feed, list[Entry]]:
    """Root enrols two foremen; all three write interleaved entries with crossing deps."""
    root, a, b = founded(), Feed(seeded_key(2)), Feed(seeded_key(3))
    ea, eb = enrol(root, a, "foreman"), enrol(root, b, "foreman")
    a.write("lease.vote", {"scope": "group:g1", "term": 1, "candidate": a.public}, [eb])
    b.write("lease.vote", {"scope": "group:g2", "term": 1, "candidate": b.public}, [ea])
    root.write(
        "device.enrolled",
        {"key": "ab" * 32, "role": "member", "name": "m"},
        [a.entries[-1], b.entries[-1]],
    )
    a.write(
        "lease.vote",
        {"scope": "group:g3", "term": 1, "candidate": a.public},
        [root.entries[-1], b.entries[-1]],
    )
    return root, a, b, root.entries + a.entries + b.entries


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_rebuild_equals_incremental(tmp_path: Path, kind: str) -> None:
    *_, entries = branch_with_three_feeds()
    with engine_at(tmp_path, kind) as engine:
        for entry in entries:
            ingest(engine, [entry])
        incremental = engine.digest()
        tables = engine.store.load_projections()
        with engine.store.transaction():
            engine.rebuild()
        assert engine.digest() == incremental
        assert engine.store.load_projections() == tables
        assert engine.state.tables == tables


def test_projections_survive_reopen(tmp_path: Path) -> None:
    *_, entries = branch_with_three_feeds()
    with engine_at(tmp_path) as engine:
        ingest(engine, entries)
        digest = engine.digest()
    with engine_at(tmp_path) as engine:
        assert engine.digest() == digest


@pytest.mark.parametrize("kind", STORE_KINDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=4))
def test_any_arrival_order_gives_the_same_digest(
    kind: str, rng: random.Random, chunks: int
) -> None:
    *_, entries = branch_with_three_feeds()
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        with engine_at(Path(one), kind) as engine:
            ingest(engine, entries)
            expected = engine.digest()
        shuffled = entries[:]
        rng.shuffle(shuffled)
        with engine_at(Path(two), kind) as engine:
            step = max(1, len(shuffled) // chunks)
            for i in range(0, len(shuffled), step):
                ingest(engine, shuffled[i : i + step])
            ingest(engine, shuffled)  # as a peer sends again what came before its author was known
            assert engine.digest() == expected
            assert engine.store.count(status="held") == 0


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_entry_with_missing_dep_is_held_until_it_arrives(tmp_path: Path, kind: str) -> None:
    root, a = founded(), Feed(seeded_key(2))
    e_enrol = enrol(root, a, "foreman")
    e_set = root.write(
        "scope.electorate_set", {"scope": "group:g", "keys": [a.public], "lease_ms": 60_000}
    )
    vote = a.write("lease.vote", {"scope": "group:g", "term": 1, "candidate": a.public}, [e_set])
    with engine_at(tmp_path, kind) as engine:
        ingest(engine, [root.entries[0], e_enrol, vote])  # its author known: it may wait
        assert outcome(engine, vote) == ("held", "waiting_for_deps")
        ingest(engine, [e_set])
        assert outcome(engine, vote) == ("applied", "")


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_late_entry_that_sorts_earlier_refolds_to_the_fresh_result(
    tmp_path: Path, kind: str
) -> None:
    root, a = founded(), Feed(seeded_key(2))
    e_enrol = enrol(root, a, "foreman")
    late = a.write(
        "lease.vote",
        {"scope": "group:g", "term": 1, "candidate": a.public},
        [e_enrol],
        ts=root.ts + 1,
    )
    for i in range(5):
        root.write(
            "device.enrolled",
            {"key": f"{i:064x}", "role": "member", "name": f"m{i}"},
            ts=root.ts + 10_000,
        )
    with engine_at(tmp_path / "x", kind) as engine:
        ingest(engine, root.entries)
        with engine.store.transaction():
            result = engine.ingest([late])
        assert result.refold_from is not None and not result.rebuilt
        digest = engine.digest()
    with engine_at(tmp_path / "y", kind) as engine:
        ingest(engine, [*root.entries, late])
        assert engine.digest() == digest


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_fork_is_kept_as_evidence_and_freezes_the_author_the_same_everywhere(
    tmp_path: Path, kind: str
) -> None:
    root, a = founded(), Feed(seeded_key(2))
    e_enrol = enrol(root, a, "foreman")
    first = a.write("lease.vote", {"scope": "group:g", "term": 1, "candidate": a.public}, [e_enrol])
    after = a.write("lease.vote", {"scope": "group:h", "term": 1, "candidate": a.public})
    twin = a.write(
        "lease.vote",
        {"scope": "group:x", "term": 1, "candidate": a.public},
        [e_enrol],
        seq=first.seq,
        prev=first.prev,
    )
    digests = []
    for i, order in enumerate(([first, after, twin], [twin, first, after], [after, twin, first])):
        with engine_at(tmp_path / str(i), kind) as engine:
            ingest(engine, root.entries)
            for entry in order:
                ingest(engine, [entry])
            forks = engine.store.forks()
            assert len(forks) >= 1 and forks[0].author == a.public
            assert engine.frozen_from[a.public] == first.seq
            assert engine.state.get("votes", f"group:g|1|{a.public}") is None
            assert engine.store.count(status="frozen") >= 1
            digests.append(engine.digest())
    assert len(set(digests)) == 1


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_unauthorised_entries_are_kept_but_rejected(tmp_path: Path, kind: str) -> None:
    root, a, stranger = founded(), Feed(seeded_key(2)), Feed(seeded_key(9))
    e_enrol = enrol(root, a, "foreman")
    bad_enrol = a.write(
        "device.enrolled", {"key": "cd" * 32, "role": "admin", "name": "x"}, [e_enrol]
    )
    unknown = stranger.write(
        "lease.vote",
        {"scope": "treasury", "term": 1, "candidate": stranger.public},
        [root.entries[-1]],
    )
    with engine_at(tmp_path, kind) as engine:
        ingest(engine, [*root.entries, bad_enrol, unknown])
        assert outcome(engine, bad_enrol) == ("rejected", "unauthorised")
        assert outcome(engine, unknown) == ("rejected", "unknown_author")
        assert engine.state.get("devices", "cd" * 32) is None


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_revoked_device_is_refused_after_its_revocation(tmp_path: Path, kind: str) -> None:
    root, a = founded(), Feed(seeded_key(2))
    enrol(root, a, "foreman")
    for scope in ("group:g", "group:h"):
        root.write("scope.electorate_set", {"scope": scope, "keys": [a.public], "lease_ms": 1})
    before = a.write(
        "lease.vote", {"scope": "group:g", "term": 1, "candidate": a.public}, [root.entries[-1]]
    )
    revoke = root.write("device.revoked", {"key": a.public, "reason": "laptop stolen"}, [before])
    after = a.write("lease.vote", {"scope": "group:h", "term": 1, "candidate": a.public}, [revoke])
    with engine_at(tmp_path, kind) as engine:
        ingest(engine, [*root.entries, before, after])
        assert outcome(engine, before) == ("applied", "")
        assert outcome(engine, after) == ("rejected", "device_revoked")


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_double_vote_freezes_the_voter(tmp_path: Path, kind: str) -> None:
    root, a, b = founded(), Feed(seeded_key(2)), Feed(seeded_key(3))
    enrol(root, a, "foreman")
    e_b = enrol(root, b, "foreman")
    scope_set = root.write(
        "scope.electorate_set",
        {"scope": "group:g", "keys": sorted([a.public, b.public]), "lease_ms": 60_000},
        [],
    )
    v1 = a.write("lease.vote", {"scope": "group:g", "term": 1, "candidate": a.public}, [scope_set])
    v2 = a.write("lease.vote", {"scope": "group:g", "term": 1, "candidate": b.public})
    later = a.write("lease.vote", {"scope": "group:g", "term": 2, "candidate": a.public})
    with engine_at(tmp_path, kind) as engine:
        ingest(engine, [*root.entries, v1, v2, later])
        assert engine.state.get("frozen", a.public) is not None
        assert outcome(engine, later) == ("rejected", "author_frozen")
        assert e_b.kind == "device.enrolled"


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_refused_duplicate_hash_is_idempotent(tmp_path: Path, kind: str) -> None:
    root, *_ = branch_with_three_feeds()
    with engine_at(tmp_path, kind) as engine:
        ingest(engine, root.entries)
        digest = engine.digest()
        with engine.store.transaction():
            result = engine.ingest(root.entries)
        assert result.duplicates == len(root.entries) and not result.stored
        assert engine.digest() == digest


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_wrong_zero_prev_at_seq_one_is_refused(tmp_path: Path, kind: str) -> None:
    from chitnode.errors import BrokenChain

    root = founded()
    bad = root.write(
        "branch.genesis", {"branch_name": "x", "root": root.public}, seq=1, prev="ab" * 32
    )
    with engine_at(tmp_path, kind) as engine, pytest.raises(BrokenChain):
        ingest(engine, [bad])


def test_both_stores_fold_a_log_to_the_same_digest(tmp_path: Path) -> None:
    """The store is only where the fold keeps its work: SQLite and memory agree exactly."""
    *_, entries = branch_with_three_feeds()
    digests, tables = [], []
    for kind in STORE_KINDS:
        with engine_at(tmp_path / kind, kind) as engine:
            ingest(engine, entries[::2])
            ingest(engine, entries[1::2])  # late entries that sort earlier: a re-fold
            digests.append(engine.digest())
            tables.append(engine.store.load_projections())
    assert digests[0] == digests[1] and tables[0] == tables[1]
