"""One contract, two stores: SQLite and in-memory give the same answer to every question.

Every test takes the `store` fixture, run once per implementation. The last tests
hold the layering: nothing above the store runs SQL, and the SQLite store builds no
statement from strings except a projection table's checked name.
"""

from __future__ import annotations

import ast
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chitnode import limits
from chitnode.errors import NotInitialised
from chitnode.log.entry import Entry
from chitnode.store.api import (
    HELD,
    PENDING,
    CommandRecord,
    EntryFilter,
    Fork,
    Store,
    StoreConflict,
    StoredEntry,
    UnknownTable,
)
from chitnode.store.memory import MemoryStore
from chitnode.store.sqlite import SqliteStore
from tests.support.feeds import Feed, seeded_key

IMPLEMENTATIONS = ("sqlite", "memory")
ROOT = Path(__file__).resolve().parents[3]


def open_store(kind: str, folder: Path) -> Store:
    return SqliteStore.open(folder, create=True) if kind == "sqlite" else MemoryStore(folder)


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened = open_store(request.param, tmp_path / "store")
    yield opened
    opened.close()


def feed_of(n: int, length: int, kind: str = "device.enrolled") -> list[Entry]:
    """`length` chained entries by the author seeded with `n`."""
    feed = Feed(seeded_key(n))
    for i in range(length):
        feed.write(kind, {"key": f"{n:02x}{i:062x}", "role": "member", "name": f"m{i}"})
    return feed.entries


def stored(store: Store, entries: list[Entry], actor: str = "") -> None:
    with store.transaction():
        for entry in entries:
            store.insert_entry(entry, actor=actor or entry.author)


def place(store: Store, entries: list[Entry], status: str = "applied", first: int = 0) -> None:
    """Place `entries` in the given order from position `first`."""
    rows = [(first + i, status, "", e.author, e.seq) for i, e in enumerate(entries)]
    with store.transaction():
        store.set_outcomes(rows)


# --- meta -------------------------------------------------------------------------------


def test_meta_reads_back_and_is_replaced(store: Store) -> None:
    assert store.meta("branch") is None
    with store.transaction():
        store.set_meta("branch", "b1")
        store.set_meta("branch", "b2")
    assert store.meta("branch") == "b2"


# --- entries ----------------------------------------------------------------------------


def test_an_entry_reads_back_exactly_as_stored(store: Store) -> None:
    entry = feed_of(2, 1)[0]
    stored(store, [entry], actor="member-7")
    assert store.entry_at(entry.author, 1) == entry
    assert store.hash_at(entry.author, 1) == entry.hash
    assert store.pos_of(entry.author, 1) is None
    assert store.outcome_of(entry.author, 1) == (PENDING, "")
    assert store.has(entry)
    assert store.count() == 1
    assert store.any_unplaced()
    place(store, [entry])
    [row] = store.latest_placed(5)
    assert row == StoredEntry(
        entry.author,
        1,
        entry.hash,
        entry.prev,
        entry.ts,
        entry.kind,
        "member-7",
        entry.raw.decode(),
        0,
        "applied",
        "",
    )


def test_missing_entries_are_none_not_errors(store: Store) -> None:
    entry = feed_of(2, 2)[1]
    assert store.entry_at(entry.author, 2) is None
    assert store.hash_at(entry.author, 2) is None
    assert store.pos_of(entry.author, 2) is None
    assert store.outcome_of(entry.author, 2) is None
    assert store.last_stored(entry.author) is None
    assert not store.has(entry)
    assert list(store.feed(entry.author, 1)) == []
    assert store.first_placed_pos(entry.author, 1) is None
    assert (store.count(), store.placed_count(), store.held_count()) == (0, 0, 0)
    assert not store.any_unplaced()


def test_an_entry_stored_placed_has_its_outcome(store: Store) -> None:
    entry = feed_of(2, 1)[0]
    with store.transaction():
        store.insert_entry(entry, actor=entry.author, placed=(0, "rejected", "unauthorised"))
    assert store.pos_of(entry.author, 1) == 0
    assert store.outcome_of(entry.author, 1) == ("rejected", "unauthorised")
    assert store.placed_count() == 1 and not store.any_unplaced()


def test_a_taken_seq_is_refused_and_the_first_entry_stays(store: Store) -> None:
    first = feed_of(2, 1)[0]
    twin = Feed(seeded_key(2)).write("lease.vote", {"scope": "s", "term": 1, "candidate": "x"})
    stored(store, [first])
    with pytest.raises(StoreConflict), store.transaction():
        store.insert_entry(twin, actor=twin.author)
    assert store.hash_at(first.author, 1) == first.hash
    assert store.count() == 1


# --- heads and feeds --------------------------------------------------------------------


def test_heads_are_the_highest_stored_and_the_highest_placed(store: Store) -> None:
    a, b = feed_of(2, 4), feed_of(3, 2)
    stored(store, [a[0], a[1], a[3], b[0]])  # a has a gap at seq 3
    place(store, [a[0], b[0]])
    assert store.heads() == {a[0].author: (4, a[3].hash), b[0].author: (1, b[0].hash)}
    assert store.placed_heads() == {a[0].author: (1, a[0].hash), b[0].author: (1, b[0].hash)}
    assert store.last_stored(a[0].author) == (4, a[3].hash)
    assert store.authors() == sorted([a[0].author, b[0].author])


def test_a_feed_streams_ascending_from_a_seq_across_read_batches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "READ_BATCH_ENTRIES", 3)  # 8 entries: three batches
    entries = feed_of(2, 8)
    stored(store, list(reversed(entries)) + feed_of(3, 2))
    author = entries[0].author
    assert list(store.feed(author, 1)) == [(e.seq, e.raw.decode()) for e in entries]
    assert [seq for seq, _ in store.feed(author, 4)] == [4, 5, 6, 7, 8]
    assert list(store.feed(author, 9)) == []


# --- held, frozen, placed ---------------------------------------------------------------


def test_unplaced_entries_are_held_and_counted(store: Store) -> None:
    a, b = feed_of(2, 3), feed_of(3, 2)
    stored(store, a + b)
    place(store, [a[0], b[0]])
    with store.transaction():
        store.hold_unplaced()
    assert store.held_count() == 3
    assert store.outcome_of(a[1].author, 2) == (HELD, "waiting_for_deps")
    assert store.status_counts() == {"applied": 2, HELD: 3}
    assert store.count(status=HELD) == 3 and store.count(kind="device.enrolled") == 5
    assert store.count(kind="device.enrolled", status="applied") == 2
    assert store.count(kind="lease.vote") == 0


def test_a_frozen_feed_leaves_the_order_from_its_freeze_seq(store: Store) -> None:
    a = feed_of(2, 4)
    stored(store, a)
    place(store, a)
    with store.transaction():
        store.freeze_feed(a[0].author, 3)
        store.hold_unplaced()  # frozen entries are not held
    assert [store.pos_of(e.author, e.seq) for e in a] == [0, 1, None, None]
    assert store.outcome_of(a[0].author, 3) == ("frozen", "fork")
    assert store.held_count() == 0 and store.placed_count() == 2


def test_displaced_entries_go_back_to_pending_then_held(store: Store) -> None:
    a = feed_of(2, 3)
    stored(store, a)
    with store.transaction():
        store.set_outcomes(
            [(i, "rejected", "unauthorised", e.author, e.seq) for i, e in enumerate(a)]
        )
        store.unplace([(a[1].author, 2), (a[2].author, 3), ("nobody", 1)])
    assert store.outcome_of(a[1].author, 2) == (PENDING, "unauthorised")  # code kept
    with store.transaction():
        store.hold_unplaced()
    assert store.held_count() == 2 and store.placed_keys_from(0) == [(a[0].author, 1)]


def test_the_fold_order_reads_back_in_position_order(store: Store) -> None:
    a, b = feed_of(2, 3), feed_of(3, 3)
    stored(store, a + b)
    order = [a[0], b[0], b[1], a[1], a[2]]  # b[2] stays unplaced
    place(store, order)
    author_a, author_b = a[0].author, b[0].author
    assert store.placed_keys_from(0) == [(e.author, e.seq) for e in order]
    assert store.placed_keys_from(3) == [(author_a, 2), (author_a, 3)]
    assert store.placed_keys_from(5) == []
    assert store.placed_seqs_before(3) == {author_a: 1, author_b: 2}
    assert store.placed_seqs_before(0) == {}
    assert store.first_placed_pos(author_a, 2) == 3
    assert store.first_placed_pos(author_b, 3) is None
    assert store.authors_to_place(4) == sorted([author_a, author_b])  # a[2] at 4; b[2] unplaced
    place(store, [b[2]], first=5)
    assert store.authors_to_place(5) == [author_b]
    assert store.authors_to_place(6) == []
    expected = sorted((e.author, e.seq, e.hash, "applied", "") for e in a + b)
    assert list(store.placed_outcomes()) == expected  # by author, then seq


def test_forgetting_placements_makes_every_entry_pending(store: Store) -> None:
    a = feed_of(2, 3)
    stored(store, a)
    place(store, a)
    with store.transaction():
        store.forget_placements()
    assert store.placed_count() == 0 and store.placed_heads() == {}
    assert store.status_counts() == {PENDING: 3}


# --- reading placed entries ------------------------------------------------------------


def test_placed_entries_filter_by_kind_and_status_in_fold_order(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "READ_BATCH_ENTRIES", 2)
    enrolments, votes = feed_of(2, 4), feed_of(3, 3, kind="lease.vote")
    stored(store, enrolments + votes)
    order = [votes[0], enrolments[0], enrolments[1], votes[1], enrolments[2], votes[2]]
    place(store, order)
    with store.transaction():
        store.set_outcomes([(3, "rejected", "x", votes[1].author, 2)])
    assert [r.hash for r in store.placed_entries()] == [e.hash for e in order]
    assert [r.seq for r in store.placed_entries(kinds={"lease.vote"})] == [1, 2, 3]
    applied_votes = store.placed_entries(kinds=["lease.vote", "other"], status="applied")
    assert [r.seq for r in applied_votes] == [1, 3]
    assert [r.pos for r in store.placed_entries(status="rejected")] == [3]
    assert list(store.placed_entries(kinds=[])) == []


def test_latest_placed_is_the_last_matching_entries_in_fold_order(store: Store) -> None:
    a, b = feed_of(2, 4), feed_of(3, 2, kind="lease.vote")
    stored(store, a[:2])
    stored(store, a[2:], actor="member-1")
    stored(store, b)
    order = [a[0], b[0], a[1], a[2], b[1], a[3]]
    place(store, order)
    assert [r.hash for r in store.latest_placed(3)] == [e.hash for e in order[3:]]
    assert [r.hash for r in store.latest_placed(100)] == [e.hash for e in order]
    assert [r.seq for r in store.latest_placed(9, EntryFilter(actor="member-1"))] == [3, 4]
    by_author = store.latest_placed(
        9, EntryFilter(actor=a[0].author)
    )  # its author, whoever it acts for
    assert [r.seq for r in by_author] == [1, 2, 3, 4]
    assert [r.seq for r in store.latest_placed(9, EntryFilter(kind="lease.vote"))] == [1, 2]
    since, until = a[1].ts, a[2].ts  # inclusive at both ends
    window = store.latest_placed(9, EntryFilter(kind=a[0].kind, since_ms=since, until_ms=until))
    assert [r.seq for r in window] == [2, 3]
    assert store.latest_placed(9, EntryFilter(kind="nothing")) == []


def test_latest_placed_pages_back_by_position_and_matches_a_kind_prefix(store: Store) -> None:
    a, b = feed_of(2, 4), feed_of(3, 2, kind="lease.vote")
    stored(store, a)
    stored(store, b)
    order = [a[0], b[0], a[1], a[2], b[1], a[3]]
    place(store, order)
    newest = store.latest_placed(2)
    assert [r.hash for r in newest] == [e.hash for e in order[4:]]
    first_pos = newest[0].pos
    assert first_pos is not None
    page = store.latest_placed(2, EntryFilter(before_pos=first_pos))  # the page before
    assert [r.hash for r in page] == [e.hash for e in order[2:4]]
    assert [r.seq for r in store.latest_placed(9, EntryFilter(kind_prefix="lease."))] == [1, 2]
    assert store.latest_placed(9, EntryFilter(kind_prefix="lease.x")) == []


# --- forks and commands -----------------------------------------------------------------


def test_fork_evidence_is_kept_once_and_freezes_from_the_lowest_seq(store: Store) -> None:
    a = Feed(seeded_key(2))
    one = a.write("lease.vote", {"scope": "s", "term": 1, "candidate": "x"})
    two = a.write("lease.vote", {"scope": "s", "term": 2, "candidate": "x"})
    twin = a.write("lease.vote", {"scope": "t", "term": 1, "candidate": "y"}, seq=2, prev=one.hash)
    stored(store, [one, two])
    with store.transaction():
        store.insert_fork(twin, 2)
        store.insert_fork(twin, 2)  # the same evidence twice is kept once
        store.insert_fork(one, 1)
    assert store.forks() == sorted(
        [
            Fork(twin.hash, a.public, 2, 2, twin.raw.decode()),
            Fork(one.hash, a.public, 1, 1, one.raw.decode()),
        ],
        key=lambda f: (f.author, f.seq, f.hash),
    )
    assert store.frozen_from() == {a.public: 1}
    assert store.has(twin) and store.count() == 2  # evidence is not an entry


def test_a_command_id_maps_to_its_entry_once(store: Store) -> None:
    entry, other = feed_of(2, 2)
    assert store.command("cmd-1") is None
    with store.transaction():
        store.put_command("cmd-1", entry)
    assert store.command("cmd-1") == CommandRecord(entry.author, 1, entry.hash)
    with pytest.raises(StoreConflict), store.transaction():
        store.put_command("cmd-1", other)
    assert store.command("cmd-1") == CommandRecord(entry.author, 1, entry.hash)


# --- projections ------------------------------------------------------------------------


def test_projections_write_delete_load_and_drop(store: Store) -> None:
    with store.transaction():
        store.write_projections(
            [
                ("groups", "g1", {"name": "Kalyan", "value_paise": 10_000_00}),
                ("groups", "g2", {"name": "Tiruppur", "tags": ("a", "b")}),
                ("members", "m1", {"name": "Asha"}),
                ("empty", "x", {"n": 1}),
                ("empty", "x", None),  # deleted in the same batch: the table reads as absent
            ]
        )
    assert store.load_projections() == {
        "groups": {
            "g1": {"name": "Kalyan", "value_paise": 10_000_00},
            "g2": {"name": "Tiruppur", "tags": ["a", "b"]},  # as JSON keeps it
        },
        "members": {"m1": {"name": "Asha"}},
    }
    with store.transaction():
        store.write_projections([("groups", "g1", None), ("groups", "g3", {"n": 3})])
    assert set(store.load_projections()["groups"]) == {"g2", "g3"}
    with store.transaction():
        store.drop_projections()
    assert store.load_projections() == {}


@pytest.mark.parametrize("table", ["Groups", "p_x; DROP TABLE entries", "", "a" * 49, 'x"y'])
def test_a_projection_table_name_outside_the_rule_is_refused(store: Store, table: str) -> None:
    with pytest.raises(UnknownTable), store.transaction():
        store.write_projections([("groups", "g1", {"n": 1}), (table, "k", {"n": 1})])
    assert store.load_projections() == {}


# --- transactions -----------------------------------------------------------------------


def test_a_transaction_that_raises_leaves_nothing_behind(store: Store) -> None:
    kept, lost = feed_of(2, 2)
    stored(store, [kept])
    with store.transaction():
        store.write_projections([("groups", "g1", {"n": 1})])
    with pytest.raises(RuntimeError), store.transaction():
        store.insert_entry(lost, actor=lost.author)
        store.insert_fork(lost, 1)
        store.put_command("cmd", lost)
        store.set_meta("branch", "b")
        store.set_outcomes([(0, "applied", "", kept.author, 1)])
        store.write_projections([("groups", "g1", None), ("fresh", "k", {"n": 2})])
        raise RuntimeError("interrupted")
    assert store.count() == 1 and store.entry_at(kept.author, 2) is None
    assert store.forks() == [] and store.command("cmd") is None and store.meta("branch") is None
    assert store.outcome_of(kept.author, 1) == (PENDING, "")
    assert store.load_projections() == {"groups": {"g1": {"n": 1}}}
    with store.transaction():  # a table created in the rolled-back block can be made again
        store.write_projections([("fresh", "k", {"n": 3})])
    assert store.load_projections()["fresh"] == {"k": {"n": 3}}


def test_before_commit_hooks_write_inside_the_transaction(store: Store) -> None:
    calls: list[str] = []

    def hook() -> None:
        calls.append("hook")
        store.write_projections([("groups", "g1", {"n": len(calls)})])

    store.before_commit.append(hook)
    with store.transaction():
        calls.append("block")
    assert calls == ["block", "hook"]
    assert store.load_projections() == {"groups": {"g1": {"n": 2}}}

    def failing() -> None:
        raise RuntimeError("refused at commit")

    store.before_commit.append(failing)
    entry = feed_of(2, 1)[0]
    with pytest.raises(RuntimeError), store.transaction():
        store.insert_entry(entry, actor=entry.author)
    assert store.count() == 0  # a hook that raises rolls the whole block back
    assert store.load_projections() == {"groups": {"g1": {"n": 2}}}


def test_the_data_folder_is_the_one_given(tmp_path: Path) -> None:
    for kind in IMPLEMENTATIONS:
        opened = open_store(kind, tmp_path / kind)
        assert opened.data_dir == tmp_path / kind
        opened.close()
    with pytest.raises(NotInitialised):
        _ = MemoryStore().data_dir


# --- both stores, same answers, on random logs ----------------------------------------

FEEDS = [feed_of(n, 5) for n in (2, 3, 4)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_logs_get_the_same_answers_from_both_stores(data: st.DataObject) -> None:
    keep = [data.draw(st.integers(0, 5), label=f"feed {i} length") for i in range(3)]
    entries = [e for feed, n in zip(FEEDS, keep, strict=True) for e in feed[:n]]
    order = data.draw(st.permutations(entries))
    placed = order[: data.draw(st.integers(0, len(order)))]
    frozen = data.draw(st.sampled_from([None, *[(f[0].author, s) for f in FEEDS for s in (1, 3)]]))
    with tempfile.TemporaryDirectory() as folder:
        answers = [
            _answers(open_store(kind, Path(folder) / kind), order, placed, frozen)
            for kind in IMPLEMENTATIONS
        ]
    assert answers[0] == answers[1]


def _answers(
    store: Store, order: list[Entry], placed: list[Entry], frozen: tuple[str, int] | None
) -> dict[str, object]:
    try:
        stored(store, order)
        place(store, placed)
        with store.transaction():
            if frozen is not None:
                store.freeze_feed(*frozen)
            store.hold_unplaced()
        authors = [f[0].author for f in FEEDS]
        return {
            "heads": store.heads(),
            "placed_heads": store.placed_heads(),
            "authors": store.authors(),
            "to_place": [store.authors_to_place(p) for p in range(len(order) + 1)],
            "before": [store.placed_seqs_before(p) for p in range(len(order) + 1)],
            "keys_from": [store.placed_keys_from(p) for p in range(len(order) + 1)],
            "feeds": [list(store.feed(a, s)) for a in authors for s in (1, 3)],
            "first_pos": [store.first_placed_pos(a, s) for a in authors for s in (1, 3)],
            "last": [store.last_stored(a) for a in authors],
            "outcomes": list(store.placed_outcomes()),
            "placed": list(store.placed_entries()),
            "latest": store.latest_placed(3),
            "counts": (store.count(), store.placed_count(), store.held_count()),
            "statuses": store.status_counts(),
            "unplaced": store.any_unplaced(),
        }
    finally:
        store.close()


# --- layering ---------------------------------------------------------------------------

ABOVE_THE_STORE = ("chitnode/node", "chitnode/services", "chitnode/cli")


def test_nothing_above_the_store_touches_a_connection_or_writes_sql() -> None:
    """The engine, node, services and CLI ask the store named questions, nothing else."""
    found = []
    for folder in ABOVE_THE_STORE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr in (
                    "conn",
                    "execute",
                    "executemany",
                    "executescript",
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
                text = node.value if isinstance(node, ast.Constant) else None
                if isinstance(text, str) and re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE)\s", text):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} SQL text")
    assert found == []


def test_the_sqlite_store_builds_statements_only_from_a_checked_table_name() -> None:
    """No f-string or concatenation makes SQL, except `_ProjectionSql.of` (and PRAGMA values)."""
    path = ROOT / "chitnode/store/sqlite.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed = {
        n
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef) and f.name == "of"
        for n in ast.walk(f)
    }
    built = []
    for node in ast.walk(tree):
        if node in allowed:
            continue
        text = ""
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            text = ast.unparse(node)
        if re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|WHERE)\b", text):
            built.append(f"sqlite.py:{node.lineno} {text[:60]}")
    assert built == []
