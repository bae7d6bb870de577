"""The fold engine: keeps the materialised state equal to the fold of the stored log.

State = a deterministic fold of every stored entry in causal order (`order.py`).
New entries usually sort last and are simply applied. When one sorts earlier (a
peer's late entry, a newly found fork), the engine recomputes the order from the
first position that could change, keeps the unchanged prefix of that suffix,
reverts the rest with its undo journal and re-applies: a re-fold "from there".
When the journal does not reach back far enough it rebuilds from the start.

The engine never commits: callers run it inside `Store.transaction()`, so the
entries, their outcomes and the projections commit together or not at all.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import deque
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field

from chitnode import limits
from chitnode.domain import authority, fencing
from chitnode.domain.apply import APPLIED, REJECTED, Outcome, apply_entry, reject
from chitnode.domain.kernel_kinds import GENESIS
from chitnode.domain.state import State, Writes
from chitnode.errors import BrokenChain, ChitError
from chitnode.log.authority_rules import REVOKED
from chitnode.log.entry import ZERO_HASH, Entry, entry_from_stored
from chitnode.log.forks import Resolution, row_of, settle
from chitnode.log.order import CausalMerge
from chitnode.node import held
from chitnode.node.held import Refused
from chitnode.store.api import FROZEN, HELD, Store


class TooManyHeld(ChitError):
    code = "too_many_held"


# The projections commit in the same transaction as the entries, so they never lag the
# log; what can make them stale is a change of the rules. Bump this with any change to
# a reducer's effects, and every node re-folds its log on next open.
FOLD_VERSION = "6"  # 2: authority by what an entry reaches, and after_seq (domain/authority)
# 3: re-folds where a fork loosens the order, and no verdicts without a revocation: stores
# folded step by step before may differ from a rebuild (the sync simulation, seed 1000043)
# 4: ticket.substituted needs a removed defaulter and resets the ticket's payments (s.28-30,
# issue 14 point 3): an old log's substitution of a holder in good standing is now rejected
# 5: loans of a group's money (s.14, issue 14 point 4): interest where the agreement
# says, the lien netted from the prize, dues paid ahead kept from loans, 1.5x property
# 6: coordination-v1 rule 4 (domain/fencing.py): of two conflicting coordinated entries the
# higher term wins wherever they sort; the lower is rejected `stale_term`
UNREACHABLE_SEQ = 2**62  # an edge to an entry we do not hold: never satisfied
# Where the engine keeps how the root's own fork settled (chitnode/log/forks.py): derived
# from the stored entries like the projections, and written in the same transaction.
ROOT_FORK_META = "root_fork"
# Where the engine keeps the coordinated entries it fenced off (rule 4, `_settle_fencing`):
# derived from the stored entries like the projections, written in the same transaction.
FENCES_META = "fences"


@dataclass(slots=True)
class IngestResult:
    stored: list[Entry] = field(default_factory=list)
    duplicates: int = 0
    forks: list[tuple[str, int]] = field(default_factory=list)  # (author, freeze_seq)
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # by hash, this call's applies
    refold_from: int | None = None
    rebuilt: bool = False
    refused: list[Refused] = field(default_factory=list)  # not held, not stored (held.py)
    settled: bool = False  # nothing was waiting to be placed before this ingest

    def absorb(self, later: IngestResult) -> None:
        """Add what a second round of the same ingest did (entries refused by the first)."""
        self.stored += later.stored
        self.duplicates += later.duplicates
        self.forks += later.forks
        self.outcomes.update(later.outcomes)
        self.refused = later.refused
        self.rebuilt = self.rebuilt or later.rebuilt


class FoldEngine:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.state = State()
        self.journal: deque[tuple[int, list[tuple[str, str, object]]]] = deque()
        self.next_pos = 0
        self.frozen_from: dict[str, int] = {}
        self.on_applied: list[Callable[[Entry, Outcome], None]] = []
        # Told when the state is folded again from nothing: a rebuild calls no `on_applied`
        # listener, so one that buffers outcomes must read them back from the store.
        self.on_rebuilt: list[Callable[[], None]] = []
        # Each feed's last placed entry (seq, hash): the deps of a local append, and the
        # `placed` map of a merge that starts at the end. Kept in step with every fold.
        self.heads: dict[str, tuple[int, str]] = {}
        # (author, seq) -> hash of stored entries. A stored entry's hash never changes
        # (a conflicting one goes to `forks`); a rollback resets it through `load`.
        self._hashes: dict[tuple[str, int], str] = {}
        # Whether some stored entry waits to be placed (held, frozen, displaced); None when
        # unknown. Only `append_local` keeps it; any other ingest asks the store again.
        self._unplaced: bool | None = None
        # A revocation was placed by the fold under way: settle grants at its end.
        self._revocations_placed = False
        # (admin, key) of the enrolments stored but not placed; None until first needed
        self._held_grants: list[tuple[str, str]] | None = None
        # The branch's root key (wal-v1 §5: a branch is its id and its root): pinned in the
        # store at init. Any other key's genesis is rejected wherever it sorts, so which
        # genesis founds the branch never depends on `ts`.
        self.root: str | None = None
        # Entries of the root's forked feed a resolution dropped (hash -> its fork seq): kept
        # as evidence, never placed; a dep on one waits only for the agreed prefix.
        self.discarded: dict[str, int] = {}
        self.resolutions: list[Resolution] = []
        # The entries the ingest under way stored, by (author, seq): its re-fold takes them
        # from here rather than parsing their stored lines again (`_feed`).
        self._arrived: dict[tuple[str, int], Entry] = {}
        # coordination-v1 rule 4: lower-term entries that lost to a higher term's conflicting
        # entry, by hash -> (author, seq, winner's author, winner's seq). Each was decided
        # by a fold that reached its winner; one that re-orders from there decides again.
        self.fenced: dict[str, tuple[str, int, str, int]] = {}
        self._fences_dirty = False
        # Coordinated entries the fold under way rejected for a conflict: (author, seq) ->
        # entry, searched for lower-term rivals once the fold is done (`_settle_fencing`).
        self._contested: dict[tuple[str, int], Entry] = {}
        self._fencing = False  # inside `_settle_fencing`: its re-folds keep the fences
        store.before_commit.append(self.persist)

    def load(self) -> None:
        """Load the materialised state; rebuild if the projections are not current."""
        self.frozen_from = self.store.frozen_from()
        self._load_root_fork()
        self._load_fences()
        self._hashes.clear()
        self._unplaced = None
        self._held_grants = None
        self.journal.clear()
        self.next_pos = self.store.placed_count()
        self.root = self.store.meta("root")
        if self.store.meta("fold_version") == FOLD_VERSION:
            self.state = State(tables=self.store.load_projections())
        else:  # folded by other rules (or never): fold again under these
            with self.store.transaction():
                self.rebuild()
                self.store.set_meta("fold_version", FOLD_VERSION)
        if self.root is None:  # a store from before the root was pinned: its founding says
            self.root = (self.state.get("branch", "branch") or {}).get("root")
        self.heads = self.store.placed_heads()

    # --- ingest ---------------------------------------------------------------------

    def last_stored(self, author: str) -> tuple[int, str] | None:
        """(seq, hash) of `author`'s highest stored entry; None for an empty feed."""
        if not self._any_unplaced() and author not in self.frozen_from:
            return self.heads.get(author)  # everything stored is placed: the head is the last
        return self.store.last_stored(author)

    def append_local(self, entry: Entry, writes: Writes) -> Outcome | None:
        """Fold in this node's own new entry from its dry run's `writes`, or return None.

        The common write: everything stored is placed, `entry` continues its feed's head
        and names every other head in its deps, so it sorts last and the dry run was made
        against exactly the state it folds onto. Then the dry run's writes are its effects
        and it is stored already placed: no merge, no lookups. Otherwise the caller ingests.
        Its projection rows are written by `persist`, which the store calls before COMMIT
        (once for a whole group commit).
        """
        if not self._continues_head(entry, settled=not self._any_unplaced()):
            return None
        if entry.kind == REVOKED:
            return None  # the general path settles revocations over the whole log
        if not self._names_every_head(_predecessors(entry)):
            return None
        pos = self.next_pos
        undo = self.state.write(writes)  # resolved by the dry run against this very state
        outcome = Outcome(APPLIED, "")
        self.store.insert_entry(entry, actor=_actor(entry), placed=(pos, APPLIED, ""))
        self._journal(pos, list(undo))
        for listener in self.on_applied:
            listener(entry, outcome)
        self.heads[entry.author] = (entry.seq, entry.hash)
        self.next_pos = pos + 1
        return outcome

    def ingest(self, entries: list[Entry], *, vouched: Collection[str] = ()) -> IngestResult:
        """Store new checked entries (same branch, valid hash and sig) and fold them in.

        `vouched`: keys the caller knows to be enrolled though this node may not yet (an
        import's file proves its own enrolments): their entries may be held (held.py).
        """
        result = IngestResult()
        start = self.next_pos
        settled = result.settled = not self._any_unplaced()  # before this call stores anything
        self._unplaced = None  # whatever this call does, ask the store next time
        taken: set[tuple[str, int]] = set()
        # Each feed's last entry this call stored by the fast path: a page of a peer's feed
        # continues its own first entry, which continued the placed head (`_store_one`).
        tails: dict[str, tuple[int, str]] = {}
        for entry in self._admit(entries, result, vouched, settled):
            # The heads move only when the batch is folded: a second entry at an (author, seq)
            # this call already stored (a fork's twin, or the same entry twice) must meet the
            # checks, not the fast path (found by the sync simulation, seed 1000058).
            fresh = (entry.author, entry.seq) not in taken
            self._store_one(entry, result, settled and fresh, tails, taken)
            taken.add((entry.author, entry.seq))
        for author, freeze_seq in result.forks:
            if freeze_seq < self.frozen_from.get(author, UNREACHABLE_SEQ):
                self.frozen_from[author] = freeze_seq
                start = min(start, self._loosened_start(author, freeze_seq))
        # After the freezes: a dep into a feed frozen by this very batch stands for less.
        new = {(e.author, e.seq) for e in result.stored}  # no position yet
        for entry in result.stored:
            start = min(start, self._start_for(entry, new))
        resolved = self._settle_root_fork(result)
        if resolved is not None:
            start = min(start, resolved)
        if result.stored or result.forks:
            self._arrived = {(e.author, e.seq): e for e in result.stored}
            try:
                self._refold(start, result)
                again = self._settle_root_fork(result)  # its genesis may have named the root
                if again is not None:
                    self._refold(again, result)
            finally:
                self._arrived = {}
        if result.refused and result.stored:  # what they follow may be placed now: once more
            refused = {(r.author, r.seq) for r in result.refused}
            retry = [e for e in entries if (e.author, e.seq) in refused]
            result.absorb(self.ingest(retry, vouched=vouched))
        placed_all = all(e.hash in result.outcomes for e in result.stored)
        if not placed_all and self.store.held_count() > limits.HELD_ENTRIES_MAX:
            # A peer feeding entries whose deps never come must not grow us without bound (G9);
            # raising rolls the whole batch back.
            raise TooManyHeld(f"more than {limits.HELD_ENTRIES_MAX} entries wait for deps")
        return result

    # --- held entries: who may wait for a missing dep, and how many (held.py) ---------

    def _admit(
        self, entries: list[Entry], result: IngestResult, vouched: Collection[str], settled: bool
    ) -> list[Entry]:
        def stored_hash(author: str, seq: int) -> str | None:
            if settled and self._past_head(author, seq):
                return None  # everything stored is placed: nothing past a head (no query)
            return self._hash_at(author, seq)

        view = held.StoreView(
            placed=self._placed,
            frozen_from=self.frozen_from,
            stored_hash=stored_hash,
            placed_head=lambda author: self.heads.get(author, (0, ""))[0],
            known=lambda author: author in vouched or self._known(author),
            held_count=self.store.held_count,
            root=self._root(),
        )
        admitted, result.refused = held.admit(entries, view)
        for entry in admitted:
            key = held.enrolled_key(entry)
            if key is not None and self._held_grants is not None:
                self._held_grants.append((entry.author, key))  # placed or held: known either way
        return admitted

    def _placed(self, author: str, seq: int, hash_hex: str) -> bool:
        """Whether the order counts a dep on (author, seq, hash) as met by what is placed."""
        head = self.heads.get(author)
        if author in self.frozen_from or hash_hex in self.discarded:
            author, seq = self._edge(author, seq, hash_hex)  # what the dep stands for
            return seq <= (head[0] if head is not None else 0)
        if head is None or seq > head[0]:
            return False  # a feed's placed entries are its first ones: all up to its head
        return head == (seq, hash_hex) or self._hash_at(author, seq) == hash_hex

    def _root(self) -> str | None:
        branch = self.state.get("branch", "branch")
        return str(branch["root"]) if branch is not None else self.store.meta("root")

    def _known(self, author: str) -> bool:
        """The root, a device enrolled here (revoked too), or one an enrolment we hold names."""
        root = self._root()
        if author == root or self.state.get("devices", author) is not None:
            return True
        if self._held_grants is None:
            self._held_grants = self._read_held_grants()
        grants, known = self._held_grants, {root}
        while True:  # an admin enrolled by a held entry may enrol another
            more = {k for a, k in grants if k not in known and (a in known or self._enrolled(a))}
            if not more:
                return author in known
            known |= more

    def _enrolled(self, author: str) -> bool:
        return self.state.get("devices", author) is not None

    def _read_held_grants(self) -> list[tuple[str, str]]:
        """(admin, key) of every stored `device.enrolled` not placed; read once, then kept
        in step by `_admit`, which adds every enrolment it lets in, placed or not.

        Held, frozen, or fork evidence: an enrolment a fork froze or set aside still names
        a key its admin enrolled. Reading only the held ones made that key unknown after
        a reload but known before it (`_admit` counts every enrolment it lets in), so
        whether its entries were refused depended on when the node last opened.
        """
        grants = [(f.author, k) for f in self.store.forks() if (k := _enrolled_in(f.raw))]
        unplaced = sum(self.store.count(kind=held.ENROLLED, status=s) for s in (HELD, FROZEN))
        if unplaced == 0:
            return grants  # the usual case: no scan
        for author in self.store.authors_to_place(self.next_pos):
            for _, raw in self.store.feed(author, self.heads.get(author, (0, ""))[0] + 1):
                key = _enrolled_in(raw)
                if key is not None:
                    grants.append((author, key))
        return grants

    def _past_head(self, author: str, seq: int) -> bool:
        """Whether `seq` is past `author`'s placed head in a feed that is not frozen: when
        everything stored is placed, nothing of that feed is stored there."""
        return author not in self.frozen_from and seq > self.heads.get(author, (0, ""))[0]

    def _continues_head(self, entry: Entry, settled: bool) -> bool:
        """True when `entry` is the next entry of a feed whose stored entries are all placed.

        Then nothing is stored at its seq or after (a stored entry there would be placed,
        so the head would be past it), and, its author not being frozen, nothing of its
        author is in `forks`: it can be inserted without looking.
        """
        if not settled or entry.author in self.frozen_from:
            return False
        head = self.heads.get(entry.author)
        if head is None:
            return entry.seq == 1 and entry.prev == ZERO_HASH
        return head == (entry.seq - 1, entry.prev)

    def _store_one(
        self,
        entry: Entry,
        result: IngestResult,
        settled: bool,
        tails: dict[str, tuple[int, str]],
        taken: set[tuple[str, int]],
    ) -> None:
        """Insert one entry (into `result.stored`), or its fork evidence (`result.forks`).

        Without a lookup when it continues its feed's placed head, or the entry this call
        stored so just before it, with nothing this call stored after it: then nothing is
        stored at its seq or the next (everything stored was placed, so nothing past the
        head) and its `prev` is the entry stored before it, which is all the checks below
        would find (`taken` holds what this call stored).
        """
        store = self.store
        tail = tails.get(entry.author)
        if self._continues_head(entry, settled) or (
            settled
            and tail == (entry.seq - 1, entry.prev)
            and (entry.author, entry.seq + 1) not in taken
        ):
            store.insert_entry(entry, actor=_actor(entry))
            result.stored.append(entry)
            tails[entry.author] = (entry.seq, entry.hash)
            return
        if store.has(entry):
            result.duplicates += 1
            return
        if entry.seq == 1 and entry.prev != ZERO_HASH:
            raise BrokenChain("seq 1 must have the zero prev")
        freeze = self._conflict(entry)
        if freeze is not None:
            store.insert_fork(entry, freeze)
            result.forks.append((entry.author, freeze))
            return
        store.insert_entry(entry, actor=_actor(entry))
        result.stored.append(entry)

    def _start_for(self, entry: Entry, unplaced: Collection[tuple[str, int]] = ()) -> int:
        """The first position of the order that `entry` can take: just after the last of
        what it must follow *as the order counts it* (`_edges`: a dep into a frozen feed
        stands for its unfrozen part only, a dep at seq 0 for nothing). Counting the deps
        as named instead once let a late entry naming a forked feed's seq 1 sort after
        entries a rebuild puts after it (the sync simulation, seed 1000043). Positions
        are the ones before this ingest's re-fold; next_pos when it cannot be placed.
        `unplaced`: (author, seq) known to have no position (stored by this ingest)."""
        store = self.store
        if self.frozen_from or self.discarded:
            edges = [(a, s) for a, s in self._edges(entry) if s > 0]
        else:
            edges = [(a, s) for a, s, _ in entry.deps]
        preds = [*edges, (entry.author, entry.seq - 1)] if entry.seq > 1 else edges
        if self._names_every_head(preds):
            return self.next_pos  # a local append: everything placed is behind it
        if any(p in unplaced for p in preds):
            return self.next_pos  # follows an entry of this ingest: no lookups
        positions = [store.pos_of(a, s) for a, s in preds]
        if any(p is None for p in positions):
            return self.next_pos
        return 1 + max((p for p in positions if p is not None), default=-1)

    def _loosened_start(self, author: str, freeze_seq: int) -> int:
        """Where the order may first change now that `author` is frozen from `freeze_seq`.

        Its entries from there leave the order, and every entry naming one of them in its
        deps now follows only `freeze_seq - 1` of that feed (`_edges`): it may sort
        earlier than the entry it named, down to just after the rest of what it follows
        (for a fork at seq 1, anywhere after its other deps). Such an entry sits after
        the one it named, or is unplaced: both are read from the first frozen position.
        """
        first = self.store.first_placed_pos(author, freeze_seq)
        start = self.next_pos if first is None else first
        placed = self._placed_before(start)
        earliest = start
        for other in self.store.authors_to_place(start):
            if other == author:
                continue  # its entries before the freeze follow what they did
            for entry in self._feed(other, placed.get(other, 0) + 1):
                if any(a == author and s >= freeze_seq for a, s, _ in entry.deps):
                    earliest = min(earliest, self._start_for(entry))
        return earliest

    def _names_every_head(self, preds: list[tuple[str, int]]) -> bool:
        """True when `preds` are exactly the placed heads: then the latest placed entry is one."""
        named = dict(preds)
        return len(named) == len(self.heads) and all(
            named.get(author) == seq for author, (seq, _) in self.heads.items()
        )

    def _conflict(self, entry: Entry) -> int | None:
        """The seq to freeze from when `entry` equivocates with a stored entry, else None."""
        same = self.store.hash_at(entry.author, entry.seq)
        if same is not None:
            return entry.seq
        before = self.store.hash_at(entry.author, entry.seq - 1) if entry.seq > 1 else None
        if before is not None and before != entry.prev:
            return entry.seq - 1  # a validly signed entry chained to another seq-1 entry
        after = self.store.entry_at(entry.author, entry.seq + 1)
        if after is not None and after.prev != entry.hash:
            return entry.seq
        return None

    # --- the root's own fork and its resolution (chitnode/log/forks.py) ---------------

    def _fork_root(self) -> str | None:
        return self.root or (self.state.get("branch", "branch") or {}).get("root")

    def forked_feed(self, author: str, from_seq: int) -> list[Entry]:
        """`author`'s held entries from `from_seq` on, main chain and evidence, not discarded.

        Reads at most limits.FORK_SCAN_ENTRIES_MAX of the main chain: a resolution written
        further on is not seen, and the root stays frozen (docs/forks.md).
        """
        out: list[Entry] = []
        for _, raw in self.store.feed(author, from_seq):
            if len(out) >= limits.FORK_SCAN_ENTRIES_MAX:
                break
            out.append(entry_from_stored(raw))
        out += [
            entry_from_stored(f.raw)
            for f in self.store.forks()
            if f.author == author and f.seq >= from_seq
        ]
        return [e for e in out if e.hash not in self.discarded]

    def _settle_root_fork(self, result: IngestResult) -> int | None:
        """Settle the root's fork after this ingest stored some of its entries.

        Moves entries between the main chain and the fork evidence so that the main chain
        holds the line the root's resolution keeps, and sets the root's freeze point.
        Returns the first position the order may change from, or None if nothing changed.
        """
        root = self._fork_root()
        touched = any(e.author == root for e in result.stored) or any(
            a == root for a, _ in result.forks
        )
        if root is None or not touched:
            return None
        evidence = [entry_from_stored(f.raw) for f in self.store.forks() if f.author == root]
        if not evidence:
            return None
        was = (self.frozen_from.get(root), set(self.discarded))
        for entry in sorted(evidence, key=lambda e: e.seq):  # late copies of dropped lines
            covering = [r for r in self.resolutions if r.fork_seq <= entry.seq <= r.by_seq]
            if entry.hash not in self.discarded and (covering or entry.prev in self.discarded):
                self.discarded[entry.hash] = (
                    covering[0].fork_seq if covering else self.discarded[entry.prev]
                )
        live = [e for e in evidence if e.hash not in self.discarded]
        fork_seq = min((c for c in map(self._conflict, live) if c is not None), default=None)
        if fork_seq is not None:
            rows = self.forked_feed(root, fork_seq)
            below = self.store.hash_at(root, fork_seq - 1) or ""
            found = settle(map(row_of, rows), fork_seq, below, self.discarded)
            if found.resolutions:
                self._keep_line(root, rows, found.canonical, found.discarded)
                self.resolutions += found.resolutions
                self.discarded = found.discarded
            fork_seq = found.frozen_from
        if fork_seq is None:
            self.frozen_from.pop(root, None)
        else:
            self.frozen_from[root] = fork_seq
        moved = [seq for h, seq in self.discarded.items() if h not in was[1]]
        if fork_seq != was[0]:
            moved += [seq for seq in (fork_seq, was[0]) if seq is not None]
        if not moved:
            return None
        self._save_root_fork(root)
        return self._after_agreed(root, min(moved))

    def _after_agreed(self, root: str, fork_seq: int) -> int:
        """The first position after the root's agreed prefix below `fork_seq`.

        Whatever a change of the root's freeze point or dropped lines moves sorts after
        it: a dep into the root's feed from `fork_seq` on stands for the prefix before
        and after (frozen, dropped), or for a kept entry, which sorts after the prefix.
        A dep loosened so can let an entry sort before the root's first changed entry,
        so the re-fold starts from the prefix's end, not from that entry.
        """
        if fork_seq <= 1:
            return 0  # no prefix: a dep into the feed may come to stand for nothing
        placed = self.store.pos_of(root, fork_seq - 1)
        return self.next_pos if placed is None else placed + 1

    def _keep_line(
        self, root: str, rows: list[Entry], canonical: dict[int, str], discarded: dict[str, int]
    ) -> None:
        """Make the main chain hold the `canonical` line and none of the `discarded` entries."""
        kept = set(canonical.values())
        for entry in sorted(rows, key=lambda e: e.seq):
            on_chain = self.store.hash_at(root, entry.seq) == entry.hash
            if on_chain and entry.hash in discarded:
                self.store.to_evidence(entry, discarded[entry.hash])
        for entry in sorted(rows, key=lambda e: e.seq):
            if entry.hash in kept and self.store.hash_at(root, entry.seq) != entry.hash:
                self.store.to_main_chain(entry, _actor(entry))
        self._hashes.clear()
        self._unplaced = None

    def _load_root_fork(self) -> None:
        doc = json.loads(self.store.meta(ROOT_FORK_META) or "null")
        self.discarded, self.resolutions = {}, []
        if doc is None:
            return
        self.discarded = {str(h): int(s) for h, s in doc["discarded"].items()}
        self.resolutions = [Resolution(*r) for r in doc["resolutions"]]
        if doc["frozen"] is None:
            self.frozen_from.pop(doc["author"], None)
        else:
            self.frozen_from[doc["author"]] = int(doc["frozen"])

    def _save_root_fork(self, root: str) -> None:
        doc = {
            "author": root,
            "frozen": self.frozen_from.get(root),
            "discarded": self.discarded,
            "resolutions": [[r.fork_seq, r.keep, r.by_seq, r.by_hash] for r in self.resolutions],
        }
        self.store.set_meta(ROOT_FORK_META, json.dumps(doc, sort_keys=True))

    # --- folding --------------------------------------------------------------------

    def rebuild(self, progress: Callable[[int], None] | None = None) -> None:
        """Fold the whole log from nothing (inside a transaction)."""
        verdicts = self.state.rows(authority.VERDICTS)  # settled over the whole log: kept
        self.state = State()
        self.state.write([(authority.VERDICTS, key, row) for key, row in verdicts.items()])
        self.journal.clear()
        self.heads = {}
        self.next_pos = 0
        self._unplaced = None
        self.store.drop_projections()
        self.store.forget_placements()
        self._refold(0, IngestResult(rebuilt=True), progress=progress)
        for listener in self.on_rebuilt:
            listener()

    def _refold(
        self,
        start: int,
        result: IngestResult,
        progress: Callable[[int], None] | None = None,
        *,
        force: bool = False,
    ) -> None:
        """Fold from position `start`; `force`: apply every entry again even where the order
        is unchanged (the verdicts on grants changed, so decisions may)."""
        if self.fenced and not self._fencing:
            start, force = self._unfence_from(start, force)
        result.refold_from = start if start < self.next_pos else None
        old = self._old_suffix(start)
        if old is None:  # the journal does not reach back: rebuild (it calls back here)
            result.rebuilt = True
            self.rebuild(progress)
            return
        at_end = start == self.next_pos
        placed = (
            {a: s for a, (s, _) in self.heads.items()} if at_end else self._placed_before(start)
        )
        in_memory = at_end and not result.forks and not result.rebuilt and result.settled
        feeds = self._fresh_feeds(result.stored) if in_memory else self._feeds(placed, start)
        merge = CausalMerge(feeds=feeds, edges=self._edges, placed=dict(placed))
        outcomes: list[tuple[int | None, str, str, str, int]] = []
        applied_heads: dict[str, tuple[int, str]] = {}
        pos, diverged = start, force
        if force:
            self._revert_to(start)
        for entry in merge:
            if entry.kind == REVOKED:
                self._revocations_placed = True
            same = not diverged and pos - start < len(old) and old[pos - start] == entry.key[1:]
            if not same:
                if not diverged:
                    self._revert_to(pos)
                    diverged = True
                outcome, undo = self._apply(entry)
                self._journal(pos, undo)
                if outcome.status == REJECTED and self._contests(entry, outcome.code):
                    self._contested[(entry.author, entry.seq)] = entry
                outcomes.append((pos, outcome.status, outcome.code, entry.author, entry.seq))
                if not result.rebuilt:  # a rebuild replays history: no outcomes kept, no events
                    result.outcomes[entry.hash] = outcome
                    for listener in self.on_applied:
                        listener(entry, outcome)
            applied_heads[entry.author] = (entry.seq, entry.hash)
            pos += 1
            if len(outcomes) >= limits.READ_BATCH_ENTRIES * 5:  # bound memory on rebuilds
                self.store.set_outcomes(outcomes)
                outcomes = []
            if progress is not None and pos % 10_000 == 0:
                progress(pos)
        if not diverged and pos - start < len(old):
            self._revert_to(pos)
        if not in_memory or merge.stuck or pos - start < len(result.stored):
            self._settle_unplaced(old[pos - start :] if pos - start < len(old) else [])
        self.store.set_outcomes(outcomes)
        self.next_pos = pos
        if at_end:
            self.heads.update(applied_heads)
        else:  # entries may have left the order (forks): read the heads back
            self.heads = self.store.placed_heads()
        self._settle_authority(result, progress)
        if not self._fencing:
            self._settle_fencing(result, progress)
        self.persist()

    def _settle_authority(
        self, result: IngestResult, progress: Callable[[int], None] | None
    ) -> None:
        """After a fold that placed grants: settle them over the whole log (domain/authority).

        A revocation can void entries placed before it (its `after_seq`), and a grant's
        standing can depend on grants placed after it; where that changes what the fold
        judged by, fold again from there.
        """
        placed, self._revocations_placed = self._revocations_placed, False
        grants_moved = any(table == authority.GRANTS for table, _ in self.state.dirty)
        if not placed and not (grants_moved and self.state.rows(authority.VERDICTS)):
            return  # no revocation anywhere: enrolments judged in order are final
        starts: list[int] = []
        for change in authority.resettle(self.state):
            for admin, seq in change.grants:  # what reaches the grant is placed after it
                at = self.store.pos_of(admin, seq)
                if at is not None:
                    starts.append(at)
            if change.caps[0] != change.caps[1]:  # entries past the lower cap, wherever
                lowest = min(c for c in change.caps if c is not None)
                at = self.store.first_placed_pos(change.key, lowest + 1)
                if at is not None:
                    starts.append(at)
        if starts and min(starts) < self.next_pos:
            self._refold(min(starts), result, progress, force=True)

    def _apply(self, entry: Entry) -> tuple[Outcome, list[tuple[str, str, object]]]:
        edges = self._placed_edges(entry)
        if entry.kind == GENESIS and self.root is not None and entry.author != self.root:
            return reject(self.state, entry, edges, "unauthorised")
        return apply_entry(self.state, entry, edges, fenced=entry.hash in self.fenced)

    def _placed_edges(self, entry: Entry) -> list[tuple[str, int]] | None:
        """What `entry`'s deps stand for where the order differs from what they name; else
        None (a dep on a fork's twin counts up to the agreed prefix: `_edges`)."""
        if not self.frozen_from and not self.discarded:
            return None  # placed, so every dep names a placed entry by its hash
        edges = self._edges(entry)
        named = [(a, s) for a, s, _ in entry.deps]
        return None if edges == named else [e for e in edges if e[1] != UNREACHABLE_SEQ]

    def _old_suffix(self, start: int) -> list[tuple[str, int]] | None:
        if start >= self.next_pos:
            return []
        if not self.journal or start < self.journal[0][0]:
            return None  # cannot undo that far (e.g. after a restart): rebuild instead
        return self.store.placed_keys_from(start)

    def _placed_before(self, start: int) -> dict[str, int]:
        return self.store.placed_seqs_before(start)

    def _any_unplaced(self) -> bool:
        if self._unplaced is None:
            self._unplaced = self.store.any_unplaced()
        return self._unplaced

    def _fresh_feeds(self, stored: list[Entry]) -> dict[str, Iterator[Entry]]:
        """Feeds of just-stored entries, from memory: the common case of entries that sort last.

        Only used when nothing else waits to be placed; an entry that does not continue
        its author's placed head ends its feed and is settled as held by the SQL path.
        """
        by_author: dict[str, list[Entry]] = {}
        for entry in sorted(stored, key=lambda e: (e.author, e.seq)):
            if entry.seq < self.frozen_from.get(entry.author, UNREACHABLE_SEQ):
                by_author.setdefault(entry.author, []).append(entry)
        feeds: dict[str, Iterator[Entry]] = {}
        for author, entries in by_author.items():
            expected = self.heads.get(author, (0, ""))[0] + 1
            run = []
            for entry in entries:
                if entry.seq != expected:
                    break
                run.append(entry)
                expected += 1
            feeds[author] = iter(run)
        return feeds

    def _feeds(self, placed: dict[str, int], start: int) -> dict[str, Iterator[Entry]]:
        """Feeds of the authors with something to place from `start`: unplaced, or placed later."""
        authors = self.store.authors_to_place(start)
        return {a: self._feed(a, placed.get(a, 0) + 1) for a in authors}

    def _feed(self, author: str, from_seq: int) -> Iterator[Entry]:
        """An author's placeable entries from `from_seq`: stops at a gap or the freeze point."""
        stop = self.frozen_from.get(author, UNREACHABLE_SEQ)
        expected = from_seq
        for seq, raw in self.store.feed(author, from_seq):
            if seq != expected or seq >= stop:
                return
            arrived = self._arrived.get((author, seq))
            if arrived is not None and arrived.raw == raw.encode():
                yield arrived  # the very line this ingest stored: no second parse
            else:
                yield entry_from_stored(raw)
            expected += 1

    def _edges(self, entry: Entry) -> list[tuple[str, int]]:
        """Order edges of `entry`'s deps; a dep into a frozen feed waits for its unfrozen part."""
        return [self._edge(author, seq, hash_hex) for author, seq, hash_hex in entry.deps]

    def _edge(self, author: str, seq: int, hash_hex: str) -> tuple[str, int]:
        """The (author, seq) a dep stands for in the order."""
        frozen = self.frozen_from.get(author)
        dropped = self.discarded.get(hash_hex)
        if dropped is not None:  # a line the root's resolution dropped: its agreed prefix
            return author, dropped - 1
        if frozen is not None and seq >= frozen:
            return author, frozen - 1
        if self._hash_at(author, seq) == hash_hex:
            return author, seq
        return author, UNREACHABLE_SEQ  # held until the dep arrives

    def _hash_at(self, author: str, seq: int) -> str | None:
        known = self._hashes.get((author, seq))
        if known is not None:
            return known
        found = self.store.hash_at(author, seq)
        if found is not None:
            if len(self._hashes) >= limits.HASH_CACHE_ENTRIES_MAX:
                self._hashes.clear()
            self._hashes[(author, seq)] = found
        return found

    def _journal(self, pos: int, undo: list[tuple[str, str, object]]) -> None:
        self.journal.append((pos, undo))
        while len(self.journal) > limits.REFOLD_UNDO_ENTRIES_MAX:
            self.journal.popleft()

    def _revert_to(self, pos: int) -> None:
        while self.journal and self.journal[-1][0] >= pos:
            _, undo = self.journal.pop()
            self.state.revert(undo)  # type: ignore[arg-type]

    def _settle_unplaced(self, displaced: list[tuple[str, int]]) -> None:
        store = self.store
        store.unplace(displaced)
        for author, freeze_seq in self.frozen_from.items():
            store.freeze_feed(author, freeze_seq)
        store.hold_unplaced()

    # --- coordination-v1 rule 4: the higher term wins a conflict (domain/fencing.py) ----

    def _settle_fencing(self, result: IngestResult, progress: Callable[[int], None] | None) -> None:
        """After a fold: fence off the lower-term rivals of the first contested entry.

        A coordinated entry rejected for a conflict (`_contested`) may have lost to a lower
        term's entry it never saw, which sorted first: a cut-off holder's. Then those
        rivals are rejected `stale_term` and the fold runs again from the first of them,
        so the higher term's entry is judged without them. One contested entry at a time,
        in fold order, so the answer is the same whatever order the entries came in.
        """
        if not self._contested:
            return
        self._fencing = True
        try:
            for _ in range(limits.FENCE_ROUNDS_MAX):
                found = self._first_rivals()
                if found is None:
                    break
                winner, losers = found
                for loser in losers:
                    self.fenced[loser.hash] = (loser.author, loser.seq, winner.author, winner.seq)
                self._fences_dirty = True
                starts = [self.store.pos_of(e.author, e.seq) for e in losers]
                self._refold(min(p for p in starts if p is not None), result, progress, force=True)
        finally:
            self._fencing = False
            self._contested = {}

    @staticmethod
    def _contests(entry: Entry, code: str) -> bool:
        """Whether a rejected entry may have lost to a lower term it never saw."""
        return fencing.is_conflict(code) and fencing.scope_term(entry) is not None

    def _first_rivals(self) -> tuple[Entry, list[Entry]] | None:
        """The first contested entry (in fold order) with rivals to fence, and the rivals."""
        contested, self._contested = self._contested, {}
        still: list[tuple[int, Entry]] = []
        for (author, seq), entry in contested.items():
            at, outcome = self.store.pos_of(author, seq), self.store.outcome_of(author, seq)
            if at is None or outcome is None or outcome[0] != REJECTED:
                continue  # a later fold of this same ingest placed it otherwise
            if fencing.is_conflict(outcome[1]) and entry.hash not in self.fenced:
                still.append((at, entry))
        for at, entry in sorted(still, key=lambda found: found[0]):
            losers = self._rivals(entry, at)
            if losers:
                return entry, losers
        return None

    def _rivals(self, winner: Entry, at: int) -> list[Entry]:
        """Applied coordinated entries placed before `winner` (at position `at`), of its
        scope and a lower term, conflicting with it, that its author had not seen."""
        found = fencing.scope_term(winner)
        assert found is not None  # only coordinated entries are contested
        scope, term = found
        key = fencing.conflict_key(winner.body)
        losers: list[Entry] = []
        for holder in fencing.lower_holders(self.state, scope, term):
            if holder == winner.author:
                continue  # its own entries it saw
            unseen = self.store.feed(holder, self._seen_of(winner, holder) + 1)
            for seq, raw in itertools.islice(unseen, limits.FENCE_SCAN_ENTRIES_MAX):
                placed = self.store.pos_of(holder, seq)
                if placed is None or placed >= at:
                    break
                entry = entry_from_stored(raw)
                theirs = fencing.scope_term(entry)
                if theirs is None or theirs[0] != scope or theirs[1] >= term:
                    continue
                if not fencing.conflict(fencing.conflict_key(entry.body), key):
                    continue
                if self.store.outcome_of(holder, seq) == (APPLIED, ""):
                    losers.append(entry)
        return losers

    def _seen_of(self, entry: Entry, holder: str) -> int:
        """The last seq of `holder`'s feed that `entry`'s author had seen when writing it:
        what its own feed's latest dep on `holder`, from `entry` back, names. A node's
        entries name every head it holds, so this is what it had folded. Further back than
        FENCE_SCAN_ENTRIES_MAX counts as everything (nothing fenced)."""
        for _ in range(limits.FENCE_SCAN_ENTRIES_MAX):
            for author, seq, _hash in entry.deps:
                if author == holder:
                    return seq
            if entry.seq == 1:
                return 0
            before = self.store.entry_at(entry.author, entry.seq - 1)
            if before is None:
                return 0
            entry = before
        return UNREACHABLE_SEQ

    def _unfence_from(self, start: int, force: bool) -> tuple[int, bool]:
        """Drop the fences a fold from `start` must decide again, and fold from their losers.

        A fence was decided by a fold that reached its winner; if the order may change at
        or before the winner, what the winner conflicts with may change too (a payment
        that arrived late makes both debits fit), so the loser is judged afresh.
        """
        dropped: list[str] = []
        for loser, (author, seq, w_author, w_seq) in self.fenced.items():
            won_at = self.store.pos_of(w_author, w_seq)
            if won_at is None or won_at >= start:
                dropped.append(loser)
                lost_at = self.store.pos_of(author, seq)
                if lost_at is not None:
                    start = min(start, lost_at)
        for loser in dropped:
            del self.fenced[loser]
        if dropped:
            self._fences_dirty = True
        return start, force or bool(dropped)

    def _load_fences(self) -> None:
        doc = json.loads(self.store.meta(FENCES_META) or "{}")
        self.fenced = {
            str(h): (str(a), int(s), str(wa), int(ws)) for h, (a, s, wa, ws) in doc.items()
        }
        self._fences_dirty = False

    def persist(self) -> None:
        """Write the projection rows changed since the last call (inside the transaction)."""
        if self._fences_dirty:
            self.store.set_meta(FENCES_META, json.dumps(self.fenced, sort_keys=True))
            self._fences_dirty = False
        state = self.state
        self.store.write_projections([(t, k, state.get(t, k)) for t, k in sorted(state.dirty)])
        state.dirty.clear()

    # --- reading --------------------------------------------------------------------

    def digest(self) -> str:
        """SHA-256 over the projections, every placed entry's outcome, and the fork list."""
        h = hashlib.sha256()
        for line in self.state.dump_lines():
            h.update(line)
        for author, seq, hash_hex, status, code in self.store.placed_outcomes():
            h.update(f"outcome {author} {seq} {hash_hex} {status} {code}\n".encode())
        for author, freeze_seq in sorted(self.frozen_from.items()):
            h.update(f"frozen {author} {freeze_seq}\n".encode())
        return h.hexdigest()


def _predecessors(entry: Entry) -> list[tuple[str, int]]:
    """(author, seq) of what `entry` must follow: its deps, and its own previous entry."""
    preds = [(a, s) for a, s, _ in entry.deps]
    if entry.seq > 1:
        preds.append((entry.author, entry.seq - 1))
    return preds


def _enrolled_in(raw: str) -> str | None:
    """The key a stored `device.enrolled` line names, if it is one (a cheap test first)."""
    if '"kind":"device.enrolled"' not in raw:
        return None
    return held.enrolled_key(entry_from_stored(raw))


def _actor(entry: Entry) -> str:
    actor = entry.body.get("actor")
    return actor if isinstance(actor, str) else entry.author
