"""Which new entries a node agrees to hold while what they follow is missing (wal-v1 §4).

An entry whose `prev` or a dep is not here yet is stored and *held* until it arrives.
Held entries cost disk and every re-fold asks about them, so they are bounded; and the
bound must not be a lever. Before, 100,001 signed entries whose dep never comes, from
anyone, filled the store's one bound, and from then on every import that needed to hold
an entry failed with `too_many_held`. Now, for each new entry that would be held:

- an author the branch does not know gets nothing held: not the root, not enrolled as far
  as this node can tell (its state, enrolments it holds, and enrolments by known authors
  in the same batch). A stranger's entry can only be stored when it can be placed;
- an author gets at most `limits.HELD_PER_AUTHOR_MAX` held entries: its held entries all
  lie past its placed head, so a seq further than that past the head is refused. One
  misbehaving enrolled device fills its own allowance, nobody else's;
- the store holds at most `limits.HELD_ENTRIES_MAX` in all; past it new holds are refused,
  while entries that can be placed are still taken.

A refused entry is not stored, and the batch goes on without it: the peer (or a second
import) brings it again once what it follows is here. Pure: the engine passes in what
it knows of the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from chitnode import limits
from chitnode.log.entry import HEX64_RE, Entry

ENROLLED = "device.enrolled"
GENESIS = "branch.genesis"
# Why a new entry was not held (IngestResult.refused); not errors: the batch goes on.
UNKNOWN_AUTHOR = "held_unknown_author"
AUTHOR_FULL = "held_author_full"
STORE_FULL = "held_store_full"


@dataclass(frozen=True, slots=True)
class Refused:
    author: str
    seq: int
    code: str


@dataclass(frozen=True, slots=True)
class StoreView:
    """What the gate asks of the store and the fold (all cheap, most from memory)."""

    # The order counts a dep on (author, seq, hash) as met by what is placed: the entry is
    # placed, or (a forked feed) the part of its feed the dep stands for is (fold `_edge`)
    placed: Callable[[str, int, str], bool]
    frozen_from: Mapping[str, int]  # forked feeds: from this seq on nothing is ever placed
    stored_hash: Callable[[str, int], str | None]  # hash stored at (author, seq), if any
    placed_head: Callable[[str], int]  # an author's last placed seq, 0 for none
    known: Callable[[str], bool]  # root, enrolled, or named by an enrolment we hold
    held_count: Callable[[], int]  # entries held now
    root: str | None  # None: this node knows no root yet (then a genesis in the batch names it)


def admit(entries: list[Entry], view: StoreView) -> tuple[list[Entry], list[Refused]]:
    """`entries` minus the new ones that would be held past the bounds; and those refused.

    Entries that can be placed (everything they follow is placed, or is in the batch and
    can be placed), duplicates and fork evidence always pass.
    """
    fresh = [e for e in entries if _is_new(e, view)]
    waiting = _would_wait(fresh, view)
    if not waiting:
        return entries, []
    known = _known_with(fresh, view)
    refused: list[Refused] = []
    out: set[str] = set()
    left = limits.HELD_ENTRIES_MAX - view.held_count()
    for entry in sorted(waiting, key=lambda e: (e.author, e.seq)):
        if not known(entry.author):
            code = UNKNOWN_AUTHOR
        elif entry.seq - view.placed_head(entry.author) > limits.HELD_PER_AUTHOR_MAX:
            code = AUTHOR_FULL
        elif left <= 0:
            code = STORE_FULL
        else:
            left -= 1
            continue
        refused.append(Refused(entry.author, entry.seq, code))
        out.add(entry.hash)
    return [e for e in entries if e.hash not in out], refused


def enrolled_key(entry: Entry) -> str | None:
    """The key a `device.enrolled` entry names, if it is well formed enough to say."""
    key = entry.body.get("key") if entry.kind == ENROLLED else None
    return key if isinstance(key, str) and HEX64_RE.match(key) else None


def _is_new(entry: Entry, view: StoreView) -> bool:
    """Neither stored already (a duplicate) nor in conflict with what is (fork evidence)."""
    if view.stored_hash(entry.author, entry.seq) is not None:
        return False
    if entry.seq > 1:
        before = view.stored_hash(entry.author, entry.seq - 1)
        if before is not None and before != entry.prev:
            return False
    return True


def _would_wait(fresh: list[Entry], view: StoreView) -> list[Entry]:
    """The entries of `fresh` that folding would leave held (Kahn's algorithm over the batch).

    Entries are named by hash: two entries at one (author, seq) are two entries. A dep
    into a forked feed is met as the fold counts it (`view.placed`): before, an entry
    naming a frozen entry counted as waiting, and its author, enrolled by that frozen
    entry, as unknown, so a node that learnt of the fork first refused for good what
    the others had stored. A forked feed's own entries past the fork always wait.
    """
    batch = {(e.author, e.seq, e.hash) for e in fresh}
    blockers: dict[str, int] = {}  # hash -> batch entries it still waits for
    dependants: dict[str, list[str]] = {}
    blocked: set[str] = set()  # follows something neither placed nor in the batch
    for entry in fresh:
        count = 0
        if entry.seq >= view.frozen_from.get(entry.author, entry.seq + 1):
            blocked.add(entry.hash)  # never placed: held, within its author's allowance
        for author, seq, hash_hex in _follows(entry):
            if view.placed(author, seq, hash_hex):
                continue
            if (author, seq, hash_hex) in batch:
                count += 1
                dependants.setdefault(hash_hex, []).append(entry.hash)
            else:
                blocked.add(entry.hash)
        blockers[entry.hash] = count
    ready = [h for h, n in blockers.items() if n == 0 and h not in blocked]
    placeable: set[str] = set()
    while ready:
        hash_hex = ready.pop()
        placeable.add(hash_hex)
        for dependant in dependants.get(hash_hex, ()):
            blockers[dependant] -= 1
            if blockers[dependant] == 0 and dependant not in blocked:
                ready.append(dependant)
    return [e for e in fresh if e.hash not in placeable]


def _follows(entry: Entry) -> Iterable[tuple[str, int, str]]:
    """(author, seq, hash) of everything `entry` must follow: its previous entry and deps."""
    if entry.seq > 1:
        yield entry.author, entry.seq - 1, entry.prev
    yield from entry.deps


def _known_with(fresh: list[Entry], view: StoreView) -> Callable[[str], bool]:
    """`view.known`, plus keys enrolled in the batch by a known author (or one so enrolled).

    A node that knows no root yet takes the author of a genesis in the batch as known.
    """
    known = view.known
    grants = [(e.author, key) for e in fresh if (key := enrolled_key(e)) is not None]
    added: set[str] = set()
    if view.root is None:
        added.update(e.author for e in fresh if e.kind == GENESIS and e.seq == 1)
    grew = True
    while grew:  # an admin enrolled earlier in the batch may enrol another
        grew = False
        for admin, key in grants:
            if key not in added and (admin in added or known(admin)):
                added.add(key)
                grew = True
    return lambda author: author in added or known(author)
