"""Fast but strict ingest of a page (issue 10, point 5; wal-v1 §7).

One signature per linked run is checked before the fold; every other entry's own
signature is checked beside the fold and before the page commits, so an entry whose
own signature is bad never gets in, even though the run it is in is authentic.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chitnode.errors import ChitError
from chitnode.log.entry import Entry, parse_entry
from chitnode.log.page import check_page, check_sigs
from chitnode.node.node import Node
from chitnode.services.events import EventStream
from sync.peer.session import PublishingReplica
from tests.support.feeds import twin_of
from tests.support.peer import branch_of


def resigned(entry: Entry, sig: str) -> Entry:
    """`entry` with another signature (its hash, and so its links, unchanged)."""
    doc = json.loads(entry.raw)
    doc["sig"] = sig
    return parse_entry(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())


def rewritten(entry: Entry, **fields: object) -> Entry:
    doc = {**json.loads(entry.raw), **fields}
    return parse_entry(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())


@pytest.fixture
def feed(tmp_path: Path):  # type: ignore[no-untyped-def]
    root, bob = branch_of(tmp_path, 2, 30)
    node = root.node
    last = node.store.last_stored(node.public)
    assert last is not None
    entries = [node.store.entry_at(node.public, s) for s in range(1, last[0] + 1)]
    yield node, bob.node, [e for e in entries if e is not None]
    node.close()
    bob.node.close()


def test_one_signature_per_linked_run(feed) -> None:  # type: ignore[no-untyped-def]
    _, _, entries = feed
    page = entries[5:25]
    rest = check_page(page, page[0].branch)
    assert rest == page[:-1]  # the last entry's signature vouches for the run before it
    check_sigs(rest)


def test_a_bad_own_signature_inside_a_run_is_caught_by_the_full_check(feed) -> None:  # type: ignore[no-untyped-def]
    _, _, entries = feed
    page = entries[5:25]
    forged = [*page[:3], resigned(page[3], page[4].sig), *page[4:]]
    rest = check_page(forged, page[0].branch)  # the run is still authentic: §7
    with pytest.raises(ChitError) as err:
        check_sigs(rest)
    assert err.value.code == "bad_sig"
    with pytest.raises(ChitError) as err:  # the last entry's own signature is checked at once
        check_page([*page[:-1], resigned(page[-1], page[0].sig)], page[0].branch)
    assert err.value.code == "bad_sig"


def test_hashes_links_and_twins(feed) -> None:  # type: ignore[no-untyped-def]
    node, _, entries = feed
    page = entries[5:10]
    with pytest.raises(ChitError) as err:
        check_page([*page[:2], rewritten(page[2], ts=page[2].ts + 1), *page[3:]], node.branch)
    assert err.value.code == "bad_hash"
    with pytest.raises(ChitError) as err:
        check_page(page, "f" * 32)
    assert err.value.code == "wrong_branch"
    # a gap: the entry before it is not linked into a run, so it is checked on its own
    gapped = [*page[:2], *page[3:]]
    assert check_page(gapped, node.branch) == [page[0], page[3]]
    # fork evidence: two entries at one seq, neither vouches for the other
    twin = twin_of(node.key, page[2], {"member_id": "T", "name": "Twin"})
    assert check_page([page[2], twin], node.branch) == []
    with pytest.raises(ChitError):
        check_page([page[2], resigned(twin, page[2].sig)], node.branch)


def count(node: Node) -> int:
    return int(node.status()["entries"])


def test_the_replica_refuses_the_whole_page_and_stores_nothing(feed) -> None:  # type: ignore[no-untyped-def]
    _, bob, entries = feed
    with ThreadPoolExecutor(1) as pool:
        replica = PublishingReplica(bob, EventStream(), pool)
        first = replica.ingest(entries[:10])
        assert first.refused is None and first.stored == 10
        held = count(bob)
        page = entries[10:20]
        bad = [*page[:4], resigned(page[4], page[5].sig), *page[5:]]
        report = replica.ingest(bad)
        assert report.refused == "bad_sig" and report.stored == 0
        assert count(bob) == held  # rolled back: store and fold
        good = replica.ingest(page)
        assert good.refused is None and good.stored == 10 and count(bob) == held + 10


def test_the_replica_folds_what_it_took(feed) -> None:  # type: ignore[no-untyped-def]
    root, bob, entries = feed
    with ThreadPoolExecutor(1) as pool:
        replica = PublishingReplica(bob, EventStream(), pool)
        for start in range(0, len(entries), 7):
            assert replica.ingest(entries[start : start + 7]).refused is None
    assert bob.engine.digest() == root.engine.digest()
