"""The reconciliation core of one peer session: messages in, messages out (sans-I/O).

Both sides of a session run a `Reconciler` over their own `Replica`. Each sends its
heads summary (`Hello`), and each pulls what it lacks: `Want` pages of the feeds
where the peer is ahead, a few pages in flight, feeds fetched in the order of the
time their entries were written so that entries waiting for deps stay few. Every
page is checked (author, consecutive seqs, `prev` links) and handed to the replica
only when it continues the local feed. The pages of one round (those in flight
together, one per feed as `_furthest_behind` asks) are ingested together once no
page of another feed is on the way: one `ingest`, one transaction. They cover about
the same stretch of time, so a page ingested alone would land among the entries of
the page before it and the fold would revert and apply those again; together each
entry is applied once. Pages of a single feed go in as they come.

A differing hash at a common seq is a fork: the side that sees it asks for the
peer's lines below it (probe pages) until it finds the first seq where the two
feeds part, keeps the peer's entry there as evidence, and sends both entries
(`ForkEvidence`). A summary names each feed's fork seq, so evidence spreads to
nodes that never saw both branches.

No sockets, no clock, no threads: the shell feeds `receive`, sends what it returns,
and calls `resend` when it decides an answer is overdue. Everything the core plans
is derived from the replica's heads, which only grow, so any message may be lost,
repeated or late, and a new session after a dropped connection resumes where the
old one stopped (docs/sync.md, "Reconciliation").
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from chitnode import limits as kernel
from chitnode.errors import BadFormat, UsageError, WrongBranch
from chitnode.log.entry import ZERO_HASH, Entry, parse_entry
from sync import limits
from sync.reconcile.errors import (
    BadEvidence,
    BadMessage,
    BadPage,
    MessageTooBig,
    PageRefused,
    UnsupportedVersion,
)
from sync.reconcile.messages import (
    PROTOCOL_VERSION,
    Done,
    ForkEvidence,
    Head,
    Hello,
    Message,
    Page,
    Want,
    WantEvidence,
)
from sync.reconcile.replica import FeedHead, IngestReport, Replica

UNBOUNDED = 2**62  # a seq no feed reaches: "no fork", "no limit"
# Refusals that mean the peer sent bad entries (close the session); any other refusal
# (too_many_held, ...) is this node's state: stop asking for that feed until the next round.
PEER_FAULTS = frozenset({"bad_hash", "bad_sig", "bad_format", "broken_chain", "wrong_branch"})


@dataclass(frozen=True, slots=True)
class Range:
    """Entries `from_seq..to_seq` of `author` still to fetch from this peer."""

    author: str
    from_seq: int
    to_seq: int


@dataclass(frozen=True, slots=True)
class _Ready:
    """A waiting page's entries that continue the local feed at `head_seq`."""

    author: str
    entries: list[Entry]
    head_seq: int


@dataclass(slots=True)
class Stats:
    pages_in: int = 0
    lines_in: int = 0  # entry lines received in pages, duplicates included
    stored: int = 0
    duplicates: int = 0
    unsolicited: int = 0  # pages nobody (any more) asked for: repeats, or after a resend
    forks_found: int = 0  # forks this side located itself
    evidence_used: int = 0  # peer evidence that froze a feed here
    pages_out: int = 0
    buffered_max: int = 0  # most entries held at once, waiting for an earlier page


@dataclass(frozen=True, slots=True)
class _Asked:
    author: str
    from_seq: int
    limit: int
    probe_to: int = 0  # > 0: locating a fork at or below this seq, not fetching


class Reconciler:
    """One peer session's reconciliation state; see the module docstring."""

    def __init__(
        self,
        replica: Replica,
        *,
        page_entries: int = limits.PAGE_ENTRIES_MAX,
        pages_in_flight: int = limits.PAGES_IN_FLIGHT_MAX,
    ) -> None:
        if not 1 <= page_entries <= limits.PAGE_ENTRIES_MAX:
            raise UsageError(f"page_entries: 1..{limits.PAGE_ENTRIES_MAX}")
        if not 1 <= pages_in_flight <= limits.PAGES_IN_FLIGHT_MAX:
            raise UsageError(f"pages_in_flight: 1..{limits.PAGES_IN_FLIGHT_MAX}")
        self._replica = replica
        self._page_entries = page_entries
        self._pages_in_flight = pages_in_flight
        self.stats = Stats()
        self._out: list[Message] = []
        self._round = -1  # our latest summary
        self._done_sent = -1  # the peer round our last Done answered
        self._peer_done = -1  # our round the peer said Done to
        # the peer's summary: in use, and the one being assembled from its parts
        self._peer: dict[str, Head] | None = None
        self._peer_round = -1
        self._parts: dict[int, tuple[Head, ...]] = {}
        self._parts_round = -1
        self._parts_total = 0
        # our side, as last read from the replica (refreshed per feed as pages land)
        self._heads: dict[str, FeedHead] = {}
        self._frozen: dict[str, int] = {}
        # requests and what came back ahead of an earlier page
        self._asked: dict[tuple[str, int], _Asked] = {}
        self._probe_asked: dict[str, _Asked] = {}
        self._waiting: dict[tuple[str, int], list[Entry]] = {}
        self._cursor: dict[str, int] = {}  # next seq to ask per feed
        self._front_ms: dict[str, int] = {}  # ts of the last entry received per feed
        # per peer round
        self._agreed: dict[str, int] = {}  # feed -> peer head seq whose hash we share
        self._evidence_asked: set[str] = set()
        self._exhausted: dict[str, int] = {}  # feed -> seq the peer could not serve past
        self._given_up: dict[str, str] = {}  # feed -> why it is not fetched this round
        self._stalled: set[str] = set()  # feeds the replica deferred: until another one moves
        self._probes: dict[str, int] = {}  # probe pages asked per feed, this session

    # --- the shell's side ---------------------------------------------------------

    def start(self) -> list[Message]:
        """This side's heads summary as hello parts (a new round each call)."""
        heads, frozen = self._replica.heads(), self._replica.frozen()
        authors = sorted(set(heads) | set(frozen))
        if len(authors) > limits.AUTHORS_MAX:
            raise MessageTooBig(f"this node holds more than {limits.AUTHORS_MAX} feeds")
        self._round += 1
        summary = [
            Head(a, *heads.get(a, (0, ZERO_HASH)), frozen_from=frozen.get(a, 0)) for a in authors
        ]
        size = limits.HEADS_PER_MESSAGE_MAX
        chunks = [tuple(summary[i : i + size]) for i in range(0, len(summary), size)] or [()]
        branch = self._replica.branch
        return [Hello(branch, self._round, i, len(chunks), c) for i, c in enumerate(chunks)]

    def receive(self, message: Message) -> list[Message]:
        """Handle one message from the peer; return what to send back, in order.

        Raises a ChitError with a stable code when the peer sent something it should
        not have (bad page, false evidence, entries the replica refuses, another
        branch): nothing of what was refused is stored, and the shell closes the
        session. (Pages that came earlier and passed may have been ingested by then.)
        """
        if isinstance(message, Want):
            return self._serve(message)
        if isinstance(message, WantEvidence):
            return self._serve_evidence(message)
        if isinstance(message, Hello):
            self._on_hello(message)
        elif isinstance(message, Page):
            self._on_page(message)
        elif isinstance(message, ForkEvidence):
            self._on_evidence(message)
        else:
            self._peer_done = max(self._peer_done, message.round)
        return self._next()

    def resend(self) -> list[Message]:
        """Start over from the replica's heads: a fresh summary and every open request again.

        For the shell to call when an answer is overdue; harmless at any time, since a
        late answer to a forgotten request is dropped as unsolicited.
        """
        self._asked.clear()
        self._probe_asked.clear()
        self._waiting.clear()
        self._cursor.clear()
        self._evidence_asked.clear()
        self._done_sent = -1
        self._reread()
        return [*self.start(), *self._next()]

    @property
    def caught_up(self) -> bool:
        """The peer's summary is in, and this side holds all of it that it can use."""
        if self._peer is None or self._asked or self._waiting or self._probe_asked:
            return False
        return all(a in self._stalled or self._cap(a) <= self._mine(a)[0] for a in self._peer)

    @property
    def finished(self) -> bool:
        """Both sides caught up with each other's latest summary: the session may close."""
        return self.caught_up and self._peer_done >= self._round >= 0

    def plan(self) -> list[Range]:
        """What this side still lacks of the peer's summary (the lag), by feed."""
        if self._peer is None:
            return []
        ranges = [
            Range(a, self._mine(a)[0] + 1, min(head.seq, self._frozen.get(a, UNBOUNDED) - 1))
            for a, head in self._peer.items()
        ]
        return [r for r in ranges if r.from_seq <= r.to_seq]

    def given_up(self) -> dict[str, str]:
        """Feeds not fetched from this peer this round, and why (a code or a reason)."""
        return dict(self._given_up)

    # --- serving the peer -----------------------------------------------------------

    def _serve(self, want: Want) -> list[Message]:
        # Only the part of a feed before its fork is served, as it is the only part named.
        limit = min(want.limit, self._replica.frozen().get(want.author, UNBOUNDED) - want.from_seq)
        lines = []
        if limit > 0:
            lines = self._replica.lines(want.author, want.from_seq, limit, limits.PAGE_BYTES_MAX)
        assert len(lines) <= max(limit, 0), "the replica returned more lines than asked"
        assert sum(map(len, lines)) <= limits.PAGE_BYTES_MAX, "the replica overfilled a page"
        self.stats.pages_out += 1
        return [Page(want.author, want.from_seq, tuple(lines))]

    def _serve_evidence(self, want: WantEvidence) -> list[Message]:
        lines = self._replica.evidence(want.author)
        if lines is None:
            return []
        seq = parse_entry(lines[0]).seq
        return [ForkEvidence(want.author, seq, lines)]

    # --- the peer's summary -----------------------------------------------------------

    def _on_hello(self, hello: Hello) -> None:
        if hello.version != PROTOCOL_VERSION:
            raise UnsupportedVersion(f"sync protocol v{hello.version}")
        if hello.branch != self._replica.branch:
            raise WrongBranch(f"peer is of branch {hello.branch}, not {self._replica.branch}")
        if hello.round <= self._peer_round or hello.round < self._parts_round:
            return  # that summary, or a newer one, is already in use or being assembled
        if hello.round > self._parts_round:
            self._parts_round, self._parts_total, self._parts = hello.round, hello.parts, {}
        elif hello.parts != self._parts_total:
            raise BadMessage("the parts of one summary disagree on their number")
        self._parts[hello.part] = hello.heads
        if len(self._parts) < self._parts_total:
            return
        heads = [head for i in range(self._parts_total) for head in self._parts[i]]
        self._parts = {}
        if any(a.author >= b.author for a, b in pairwise(heads)):
            raise BadMessage("one head per feed, sorted by author across the parts")
        self._peer = {head.author: head for head in heads}
        self._peer_round = hello.round
        self._agreed.clear()
        self._evidence_asked.clear()
        self._exhausted.clear()
        self._given_up.clear()
        self._stalled.clear()
        self._reread()

    def _next(self) -> list[Message]:
        """Everything there is to ask now, after whatever just happened."""
        if self._waiting and {a for a, _ in self._asked} <= {a for a, _ in self._waiting}:
            self._drain_round()  # no page of another feed on the way: nothing to wait for
        if self._peer is not None:
            for author in self._peer:
                self._compare(author)
                self._ask_evidence(author)
            self._fill()
            if self.caught_up and self._done_sent < self._peer_round:
                self._done_sent = self._peer_round
                self._out.append(Done(self._peer_round))
        out, self._out = self._out, []
        return out

    def _compare(self, author: str) -> None:
        """Where we hold the peer's head seq, check that we hold the same entry there."""
        assert self._peer is not None
        theirs = self._peer[author]
        if self._agreed.get(author) == theirs.seq or author in self._probe_asked:
            return
        if author in self._given_up or theirs.seq > self._mine(author)[0]:
            return  # they are ahead: their first page shows whether it continues ours
        if theirs.seq == 0 or self._hash_at(author, theirs.seq) == theirs.hash:
            self._agreed[author] = theirs.seq
        else:
            self._probe(author, theirs.seq)

    def _ask_evidence(self, author: str) -> None:
        """The peer froze a feed lower than we did: ask for the proof, once per round."""
        assert self._peer is not None
        theirs = self._peer[author]
        fork = theirs.frozen_from
        if not fork or fork >= self._frozen.get(author, UNBOUNDED):
            return
        # Only once we share the entries before their fork: the evidence then lands on
        # a feed that reaches it, as it does on theirs.
        if author not in self._evidence_asked and self._agreed.get(author) == theirs.seq:
            self._evidence_asked.add(author)
            self._out.append(WantEvidence(author))

    # --- fetching -------------------------------------------------------------------

    def _fill(self) -> None:
        """Ask for pages while fewer than `pages_in_flight` are out or waiting."""
        free = self._pages_in_flight - len(self._asked) - len(self._waiting)
        for author in list(self._cursor):
            if free > 0 and self._fill_hole(author):
                free -= 1
        while free > 0:
            behind = self._furthest_behind()
            if behind is None:
                return
            start = self._cursor[behind]
            limit = min(self._page_entries, self._cap(behind) - start + 1)
            self._ask(behind, start, limit)
            self._cursor[behind] = start + limit
            free -= 1

    def _fill_hole(self, author: str) -> bool:
        """Ask for the next seq a feed needs when no request covers it (after a short page)."""
        if author in self._probe_asked or author in self._given_up or author in self._stalled:
            return False
        need = self._mine(author)[0] + 1
        if need >= self._cursor[author] or need > self._cap(author):
            return False
        spans = [(s, k.limit) for (a, s), k in self._asked.items() if a == author]
        spans += [(s, len(e)) for (a, s), e in self._waiting.items() if a == author]
        if any(start <= need < start + size for start, size in spans):
            return False
        after = min((s for s, _ in spans if s > need), default=self._cursor[author])
        self._ask(author, need, min(self._page_entries, self._cap(author) - need + 1, after - need))
        return True

    def _furthest_behind(self) -> str | None:
        """The feed with more to fetch whose latest entry here is the oldest.

        Deps point to entries written earlier, so pulling feeds in time order keeps
        the entries that wait for a dep (held) few, however far behind this node is.
        A feed with fewer pages on the way goes first: until a page arrives, the time
        its entries reach is unknown, so a second page of one feed waits for a first
        page of every other.
        """
        assert self._peer is not None
        on_way: dict[str, int] = {}
        for author, _ in [*self._asked, *self._waiting]:
            on_way[author] = on_way.get(author, 0) + 1
        best: tuple[int, int, str] | None = None
        for author in self._peer:
            if author in self._given_up or author in self._probe_asked or author in self._stalled:
                continue
            start = max(self._cursor.get(author, 0), self._mine(author)[0] + 1)
            if start > self._cap(author):
                continue
            self._cursor[author] = start
            key = (on_way.get(author, 0), self._front(author), author)
            best = key if best is None or key < best else best
        return None if best is None else best[2]

    def _ask(self, author: str, from_seq: int, limit: int) -> None:
        self._asked[(author, from_seq)] = _Asked(author, from_seq, limit)
        self._out.append(Want(author, from_seq, limit))

    def _cap(self, author: str) -> int:
        """The last seq of `author` to fetch from this peer now (0: none, or not in its summary)."""
        theirs = None if self._peer is None else self._peer.get(author)
        if theirs is None or author in self._given_up:
            return 0
        fork = self._frozen.get(author, UNBOUNDED)
        return min(theirs.seq, self._exhausted.get(author, UNBOUNDED), fork - 1)

    # --- pages ------------------------------------------------------------------------

    def _on_page(self, page: Page) -> None:
        probe = self._probe_asked.get(page.author)
        if probe is not None and probe.from_seq == page.from_seq:
            entries = self._checked(probe, page)
            del self._probe_asked[page.author]
            if entries:
                self._examine(page.author, entries, probe.probe_to)
            else:
                self._give_up(page.author, "the peer did not show the lines of its fork")
            return
        key = (page.author, page.from_seq)
        asked = self._asked.get(key)
        if asked is None:
            self.stats.unsolicited += 1
            return
        entries = self._checked(asked, page)
        del self._asked[key]
        self.stats.pages_in += 1
        self.stats.lines_in += len(entries)
        if not entries:  # the peer has nothing there (any more): do not ask past it again
            self._exhausted[page.author] = min(
                self._exhausted.get(page.author, UNBOUNDED), page.from_seq - 1
            )
            self._prune(page.author)
            return
        self._front_ms[page.author] = max(self._front(page.author), entries[-1].ts)
        self._waiting[key] = entries
        waiting = sum(map(len, self._waiting.values()))
        self.stats.buffered_max = max(self.stats.buffered_max, waiting)
        # ingested with the rest of its round, by `_next` once no other feed's is on the way

    def _checked(self, asked: _Asked, page: Page) -> list[Entry]:
        """The page's entries, if they are what was asked: else BadPage, nothing changed.

        Lines past the number asked are not looked at: an earlier, larger request at the
        same seq may be what they answer (after a resend), and the frame bound already
        capped them.
        """
        entries: list[Entry] = []
        for i, line in enumerate(page.lines[: asked.limit]):
            try:
                entry = parse_entry(line)
            except BadFormat as exc:
                raise BadPage(f"line {i} is not an entry: {exc.message}") from exc
            if entry.author != asked.author or entry.seq != asked.from_seq + i:
                raise BadPage(f"line {i} is not entry #{asked.from_seq + i} of the feed asked")
            if entry.prev != (entries[-1].hash if entries else entry.prev):
                raise BadPage(f"line {i} does not follow the line before it")
            if entry.seq == 1 and entry.prev != ZERO_HASH:
                raise BadPage("entry #1 of a feed follows nothing")
            entries.append(entry)
        return entries

    def _drain(self, author: str) -> None:
        """Ingest every waiting page of `author` that now continues the local feed."""
        while (ready := self._ready(author)) is not None:
            self._ingest([ready])

    def _drain_round(self) -> None:
        """Ingest the waiting pages that continue their feeds, a page per feed per `ingest`."""
        while True:
            round_ = [self._ready(author) for author in sorted({a for a, _ in self._waiting})]
            pages = [page for page in round_ if page is not None]
            if not pages:
                return
            self._ingest(pages)

    def _ready(self, author: str) -> _Ready | None:
        """The next waiting page of `author` that continues the local feed, its entries
        already held dropped; None when there is none (or the feed is being probed)."""
        while not (
            author in self._probe_asked or author in self._given_up or author in self._stalled
        ):
            seq, head_hash = self._refresh(author)
            self._prune(author)
            ready = [s for (a, s) in self._waiting if a == author and s <= seq + 1]
            if not ready:
                return None
            entries = self._waiting.pop((author, min(ready)))
            held = [e for e in entries if e.seq <= seq]
            if held and not self._same_as_mine(author, held):
                self._examine(author, held, held[-1].seq)
                return None
            new = [e for e in entries if seq < e.seq <= self._cap(author)]
            if not new:
                continue
            if new[0].prev != head_hash:  # their next entry follows another entry at `seq`
                self._probe(author, seq)
                return None
            return _Ready(author, new, seq)
        return None

    def _prune(self, author: str) -> None:
        """Forget requests and pages wholly past what is still to fetch of `author`'s feed.

        What is to fetch shrinks when a fork is found or the peer had less than it said;
        a page past it would wait forever for the seqs before it.
        """
        cap = self._cap(author)
        for key in [k for k in self._asked if k[0] == author and k[1] > cap]:
            del self._asked[key]
        for key in [k for k in self._waiting if k[0] == author and k[1] > cap]:
            del self._waiting[key]

    def _ingest(self, pages: list[_Ready]) -> None:
        """Ingest pages of distinct feeds in one `ingest` (one transaction)."""
        report = self._replica.ingest([e for page in pages for e in page.entries])
        if report.refused is not None and len(pages) > 1 and report.refused not in PEER_FAULTS:
            for page in pages:  # this node's state refused one of them: find which, alone
                self._ingest([page])
            return
        if self._refused(pages[0].author, report):
            return
        self.stats.stored += report.stored
        self.stats.duplicates += report.duplicates
        stuck = [page.author for page in pages if self._refresh(page.author)[0] <= page.head_seq]
        if len(stuck) < len(pages):
            self._stalled.clear()  # what a stalled feed waits for may have come
        for author in stuck:
            # The replica deferred the page's first entry (it follows something not here
            # yet): asking again now would get the same answer, so wait until another
            # feed moves.
            self._stalled.add(author)
            self._drop_requests(author)

    def _refused(self, author: str, report: IngestReport) -> bool:
        if report.refused is None:
            return False
        if report.refused in PEER_FAULTS:
            raise PageRefused(f"entries of {author[:12]}… refused", code=report.refused)
        self._give_up(author, report.refused)
        return True

    def _give_up(self, author: str, why: str) -> None:
        self._given_up[author] = why
        self._drop_requests(author)

    def _drop_requests(self, author: str) -> None:
        """Forget what was asked of `author`'s feed: late answers are then unsolicited."""
        self._probe_asked.pop(author, None)
        self._cursor.pop(author, None)
        for key in [k for k in self._asked if k[0] == author]:
            del self._asked[key]
        for key in [k for k in self._waiting if k[0] == author]:
            del self._waiting[key]

    # --- forks --------------------------------------------------------------------------

    def _probe(self, author: str, probe_to: int, from_seq: int | None = None) -> None:
        """Ask for the peer's lines ending at `probe_to` (or from `from_seq`) to find a fork."""
        if author in self._probe_asked:
            return
        asked = self._probes.get(author, 0)
        if asked >= limits.PROBE_PAGES_MAX:
            self._give_up(author, f"fork not located in {limits.PROBE_PAGES_MAX} probe pages")
            return
        self._probes[author] = asked + 1
        start = from_seq if from_seq is not None else max(1, probe_to - self._page_entries + 1)
        limit = min(self._page_entries, probe_to - start + 1)
        self._probe_asked[author] = _Asked(author, start, limit, probe_to)
        self._out.append(Want(author, start, limit))

    def _examine(self, author: str, theirs: list[Entry], probe_to: int) -> None:
        """Compare the peer's lines with ours: locate the fork, or probe further."""
        first = theirs[0].seq
        mine = {e.seq: e for e in self._my_entries(author, max(1, first - 1), len(theirs) + 1)}
        compared = first - 1
        for entry in theirs:
            own = mine.get(entry.seq)
            if own is None:
                break
            if own.hash != entry.hash:
                before = mine.get(entry.seq - 1)
                if entry.seq == 1 or (before is not None and before.hash == entry.prev):
                    self._fork_found(author, own, entry)
                else:  # this line already follows another entry: the split is lower
                    self._probe(author, entry.seq - 1)
                return
            compared = entry.seq
        if compared < min(probe_to, self._mine(author)[0]):
            self._probe(author, probe_to, from_seq=compared + 1)
            return
        if self._peer is not None and author in self._peer:  # no fork after all
            self._agreed[author] = self._peer[author].seq
        self._drain(author)

    def _fork_found(self, author: str, own: Entry, theirs: Entry) -> None:
        if self._refused(author, self._replica.ingest([theirs])):
            return
        self.stats.forks_found += 1
        self._out.append(ForkEvidence(author, own.seq, (own.raw, theirs.raw)))
        self._drain(author)

    def _on_evidence(self, evidence: ForkEvidence) -> None:
        first, second = self._checked_evidence(evidence)
        author, fork = evidence.author, evidence.seq
        seq, _ = self._refresh(author)
        if self._frozen.get(author, UNBOUNDED) <= fork:
            return  # nothing new: we hold this fork or a lower one
        if seq < fork - 1 or (fork > 1 and self._hash_at(author, fork - 1) != first.prev):
            return  # not on a feed that reaches it yet: fetching and comparing come first
        if self._refused(author, self._replica.ingest([first, second])):
            return
        self.stats.evidence_used += 1
        self._drain(author)

    def _checked_evidence(self, evidence: ForkEvidence) -> tuple[Entry, Entry]:
        try:
            first, second = (parse_entry(line) for line in evidence.lines)
        except BadFormat as exc:
            raise BadEvidence(f"evidence line is not an entry: {exc.message}") from exc
        same_place = first.author == second.author == evidence.author
        same_place = same_place and first.seq == second.seq == evidence.seq
        if not same_place or first.hash == second.hash or first.prev != second.prev:
            raise BadEvidence("evidence is two different entries of one feed after one entry")
        if first.seq == 1 and first.prev != ZERO_HASH:
            raise BadEvidence("entry #1 of a feed follows nothing")
        return first, second

    # --- our side -------------------------------------------------------------------

    def _reread(self) -> None:
        self._heads = dict(self._replica.heads())
        self._frozen = dict(self._replica.frozen())

    def _mine(self, author: str) -> FeedHead:
        return self._heads.get(author, (0, ZERO_HASH))

    def _refresh(self, author: str) -> FeedHead:
        head = self._heads[author] = self._replica.head(author)
        self._frozen = dict(self._replica.frozen())
        return head

    def _front(self, author: str) -> int:
        """ts of the latest entry of `author` here or on its way; -1 for an empty feed."""
        known = self._front_ms.get(author)
        if known is None:
            seq = self._mine(author)[0]
            mine = self._my_entries(author, seq, 1) if seq else []
            known = self._front_ms[author] = mine[0].ts if mine else -1
        return known

    def _hash_at(self, author: str, seq: int) -> str | None:
        seq_here, hash_here = self._mine(author)
        if seq == seq_here:
            return hash_here
        mine = self._my_entries(author, seq, 1)
        return mine[0].hash if mine else None

    def _my_entries(self, author: str, from_seq: int, count: int) -> list[Entry]:
        lines = self._replica.lines(author, from_seq, count, limits.PAGE_BYTES_MAX)
        return [parse_entry(line) for line in lines]

    def _same_as_mine(self, author: str, theirs: list[Entry]) -> bool:
        mine = self._my_entries(author, theirs[0].seq, len(theirs))
        return all(m.hash == t.hash for m, t in zip(mine, theirs, strict=False))


assert kernel.ENTRY_BYTES_MAX <= limits.PAGE_BYTES_MAX  # `_hash_at` reads one line per call
