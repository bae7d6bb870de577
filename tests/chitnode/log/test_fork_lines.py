"""`chitnode.log.forks.settle`: which line of the root's forked feed counts (pure)."""

from __future__ import annotations

from chitnode.log.entry import Entry
from chitnode.log.forks import Resolution, Row, resolution_body, row_of, settle
from tests.support.feeds import Feed, founded

NOTE = "device.enrolled"


def note(feed: Feed, n: int, **kw: object) -> Entry:
    body = {"key": f"{n:02x}" * 32, "role": "member", "name": f"m{n}"}
    return feed.write(NOTE, body, **kw)  # type: ignore[arg-type]


def forked_root() -> tuple[Feed, list[Entry], list[Entry]]:
    """The root writes seq 2..3 (line A), loses them, and writes seq 2..4 again (line B)."""
    root = founded()
    a = [note(root, 1), note(root, 2)]
    genesis = root.entries[0]
    root.entries[:] = [genesis]  # the lost writes: the feed goes on from the genesis again
    b = [note(root, 11), note(root, 12), note(root, 13)]
    return root, a, b


def resolve(root: Feed, fork_seq: int, keep: Entry, after: Entry) -> Entry:
    return root.write(
        "fork.resolved", {"seq": fork_seq, "keep": keep.hash}, seq=after.seq + 1, prev=after.hash
    )


def rows(*entries: Entry) -> list[Row]:
    return [row_of(e) for e in entries]


def test_an_unresolved_fork_stays_frozen_at_its_seq() -> None:
    root, a, b = forked_root()
    out = settle(rows(*a, *b), 2, root.entries[0].hash)
    assert out.frozen_from == 2 and out.resolutions == [] and out.canonical == {}


def test_a_resolution_keeps_its_own_line_and_discards_the_other() -> None:
    root, a, b = forked_root()
    r = resolve(root, 2, b[0], b[-1])
    out = settle(rows(*a, *b, r), 2, root.entries[0].hash)
    assert out.frozen_from is None
    assert out.resolutions == [Resolution(2, b[0].hash, r.seq, r.hash)]
    assert out.canonical == {e.seq: e.hash for e in (*b, r)}
    assert out.discarded == {e.hash: 2 for e in a}


def test_the_root_may_keep_the_line_it_lost() -> None:
    root, a, b = forked_root()
    r = resolve(root, 2, a[0], a[-1])  # written after line A's last entry, seq 4
    out = settle(rows(*a, *b, r), 2, root.entries[0].hash)
    assert out.frozen_from is None
    assert out.canonical == {2: a[0].hash, 3: a[1].hash, 4: r.hash}
    assert set(out.discarded) == {e.hash for e in b}  # b's seq 4 is r's twin: discarded too


def test_the_kept_line_goes_on_after_the_resolution_and_can_fork_again() -> None:
    root, a, b = forked_root()
    r = resolve(root, 2, b[0], b[-1])
    root.entries[:] = [root.entries[0], *b, r]
    after = note(root, 20)
    out = settle(rows(*a, *b, r, after), 2, root.entries[0].hash)
    assert out.canonical[after.seq] == after.hash and out.frozen_from is None
    twin = root.write(
        NOTE, {"key": "ee" * 32, "role": "member", "name": "x"}, seq=after.seq, prev=r.hash
    )
    out = settle(rows(*a, *b, r, after, twin), 2, root.entries[0].hash)
    assert out.frozen_from == after.seq and after.seq not in out.canonical


def test_a_stray_child_of_a_discarded_or_unseen_line_is_discarded() -> None:
    root, a, b = forked_root()
    a_next = root.write(
        NOTE, {"key": "aa" * 32, "role": "member", "name": "a"}, seq=a[-1].seq + 1, prev=a[-1].hash
    )
    r = resolve(root, 2, b[0], b[-1])
    out = settle(rows(*a, a_next, *b, r), 2, root.entries[0].hash)
    assert out.discarded[a_next.hash] == 2  # its parent was discarded
    unseen = root.write(
        NOTE, {"key": "bb" * 32, "role": "member", "name": "b"}, seq=r.seq + 1, prev="cd" * 32
    )  # child of an unseen twin of r
    out = settle(rows(*a, *b, r, unseen), 2, root.entries[0].hash)
    assert out.discarded[unseen.hash] == 2 and out.frozen_from is None


def test_a_resolution_needs_its_whole_chain_and_the_agreed_prefix() -> None:
    root, a, b = forked_root()
    r = resolve(root, 2, b[0], b[-1])
    assert settle(rows(*a, b[0], b[2], r), 2, root.entries[0].hash).frozen_from == 2
    assert settle(rows(*a, *b, r), 2, "00" * 32).frozen_from == 2  # not on the agreed prefix
    wrong = resolve(root, 2, a[0], b[-1])  # names a twin that is not on its own chain
    assert settle(rows(*a, *b, wrong), 2, root.entries[0].hash).frozen_from == 2


def test_two_resolutions_that_disagree_leave_the_root_frozen() -> None:
    root, a, b = forked_root()
    keep_b, keep_a = resolve(root, 2, b[0], b[-1]), resolve(root, 2, a[0], a[-1])
    out = settle(rows(*a, *b, keep_b, keep_a), 2, root.entries[0].hash)
    assert out.frozen_from == 2 and out.resolutions == []


def test_the_result_does_not_depend_on_the_order_rows_come_in() -> None:
    root, a, b = forked_root()
    r = resolve(root, 2, b[0], b[-1])
    given = rows(*a, *b, r)
    first = settle(given, 2, root.entries[0].hash)
    again = settle(list(reversed(given)), 2, root.entries[0].hash)
    assert (first.canonical, first.discarded, first.frozen_from) == (
        again.canonical,
        again.discarded,
        again.frozen_from,
    )


def test_resolution_bodies() -> None:
    keep = "ab" * 32
    assert resolution_body({"seq": 2, "keep": keep}) == (2, keep)
    for bad in (
        {"seq": 1, "keep": keep},  # a fork at the genesis cannot be resolved
        {"seq": True, "keep": keep},
        {"seq": 2, "keep": keep.upper()},
        {"seq": 2, "keep": keep, "more": 1},
        {"seq": 2},
    ):
        assert resolution_body(bad) is None, bad
