"""Pages of one round go into one ingest (sync/reconcile/core.py, issue 10 catch-up speed).

The core asks a page of every feed behind before a second page of any (`_furthest_behind`);
those pages cover about the same stretch of time. Ingested one by one, each lands among
the entries of the pages ingested before it, and the fold reverts and applies those again;
ingested together, each entry is applied once, to the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from chitnode.domain.apply import Outcome
from chitnode.log.entry import Entry
from sync.reconcile import Reconciler
from sync.reconcile.loopback import converse
from sync.reconcile.memory import MemoryReplica
from sync.reconcile.replica import IngestReport
from tests.support.feeds import Feed, engine_at, enrol, founded, ingest, seeded_key

BRANCH = "5ea1" * 8
T0_MS = 1_767_225_600_000
FEEDS = 4
PAGE = 8
ROUNDS = 5


class Counting(MemoryReplica):
    """A memory replica that records the feeds of each ingest call."""

    def __init__(self, branch: str) -> None:
        super().__init__(branch)
        self.calls: list[set[str]] = []

    def ingest(self, entries: list[Entry]) -> IngestReport:  # type: ignore[override]
        self.calls.append({e.author for e in entries})
        return super().ingest(entries)


def test_a_round_of_pages_is_one_ingest() -> None:
    source = MemoryReplica(BRANCH)
    for i in range(PAGE * ROUNDS):  # the feeds written in turn, so their times interleave
        for n in range(1, FEEDS + 1):
            source.write(seeded_key(n), T0_MS + 1000 * (FEEDS * i + n), {"i": i})
    fresh = Counting(BRANCH)
    a, b = Reconciler(fresh, page_entries=PAGE), Reconciler(source)
    converse(a, b)
    assert a.finished and fresh.digest() == source.digest()
    assert a.stats.pages_in == FEEDS * ROUNDS
    assert len(fresh.calls) == ROUNDS  # one call per round of pages in flight ...
    assert all(len(feeds) == FEEDS for feeds in fresh.calls)  # ... a page of every feed


def _interleaved(feeds: list[Feed], count: int, founding: list[Entry]) -> list[list[Entry]]:
    """`count` entries per feed, written in turn (so their times interleave); each feed's
    first names the founding, the rest follow only their own feed, as devices that write
    apart and meet later do."""
    out: list[list[Entry]] = [[] for _ in feeds]
    ts = max(e.ts for e in founding)
    for i in range(count):
        for n, feed in enumerate(feeds):
            ts += 1000
            body = {"scope": f"group:g{n}", "term": i + 1, "candidate": feed.public}
            deps = founding if i == 0 and n > 0 else []  # feeds[0] is the root: it wrote them
            out[n].append(feed.write("lease.vote", body, deps, ts=ts))
    return out


def _recorder(applied: list[Entry]) -> Callable[[Entry, Outcome], None]:
    return lambda entry, _outcome: applied.append(entry)


def test_pages_ingested_together_are_applied_once_to_the_same_state(tmp_path: Path) -> None:
    root = founded()
    devices = [Feed(seeded_key(n + 2)) for n in range(FEEDS - 1)]
    founding = [root.entries[0]] + [enrol(root, d, "admin") for d in devices]
    feeds = _interleaved([root, *devices], PAGE * ROUNDS, founding[-1:])
    founding_count = len(founding)
    rounds = [
        [f[r * PAGE : (r + 1) * PAGE] for f in feeds] for r in range(ROUNDS)
    ]  # a page of every feed per round, as the core asks
    applies: dict[str, int] = {}
    digests: dict[str, str] = {}
    for how in ("page by page", "round by round"):
        with engine_at(tmp_path / how.replace(" ", "-")) as engine:
            ingest(engine, founding)
            applied: list[Entry] = []
            engine.on_applied.append(_recorder(applied))
            for pages in rounds:
                if how == "page by page":
                    for page in pages:
                        ingest(engine, page)
                else:
                    ingest(engine, [e for page in pages for e in page])
            applies[how], digests[how] = len(applied), engine.digest()
            assert engine.store.placed_count() == founding_count + FEEDS * PAGE * ROUNDS
    assert digests["page by page"] == digests["round by round"]
    assert applies["round by round"] == FEEDS * PAGE * ROUNDS  # each entry once
    assert applies["page by page"] > 2 * FEEDS * PAGE * ROUNDS  # what the rounds save
