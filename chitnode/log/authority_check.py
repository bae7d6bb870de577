"""Authority of an export's entries (wal-v1 §5 as amended), for `verify`.

The rule itself is in `authority_rules.py`, shared with the fold. Here the file's
causal order is computed: a vector clock per entry, restricted to the authors who
enrol or revoke (a handful of admin keys) and the root, so memory stays small however
many entries there are. One causal pass collects the grants with their clocks,
`settle` decides the grants, and each entry is then judged with its own clock.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from chitnode.log.authority_rules import (
    ENROLLED,
    GENESIS,
    GRANT_KINDS,
    NOT_ENROLLED,
    REVOKED,
    REVOKED_BEFORE,
    ROLE_FORBIDS,
    Grant,
    Renewals,
    Verdicts,
    judge,
    settle,
)
from chitnode.log.order import CausalMerge
from chitnode.log.records import Problem, Record

RoleAllows = Callable[[str, str], bool]


@dataclass(frozen=True, slots=True)
class TupleClock:
    """A vector clock kept as a tuple over the tracked authors, read as a mapping."""

    values: tuple[int, ...]
    tracked: dict[str, int]

    def get(self, author: str, default: int = 0, /) -> int:
        i = self.tracked.get(author)
        return default if i is None else self.values[i]


@dataclass(slots=True)
class _Clocks:
    """Vector clocks over the tracked (admin) authors, one tuple per entry."""

    tracked: dict[str, int]  # author -> index in the clock
    # per author: the seqs placed (ascending; a feed may have gaps) and their clocks
    by_feed: dict[str, tuple[list[int], list[tuple[int, ...]]]] = field(default_factory=dict)
    # entries part of whose causal past is outside the file (partial exports)
    cut_off: set[tuple[str, int]] = field(default_factory=set)

    def place_past(self, rec: Record, deps: list[tuple[str, int]], missing: bool) -> bool:
        """Record whether `rec`'s causal past is cut off; return it."""
        feed = self.by_feed.get(rec.author)
        own_cut = (rec.author, feed[0][-1]) in self.cut_off if feed else rec.seq > 1
        cut = missing or own_cut or any(d in self.cut_off for d in deps)
        if cut:
            self.cut_off.add((rec.author, rec.seq))
        return cut

    def of(self, author: str, seq: int) -> tuple[int, ...] | None:
        feed = self.by_feed.get(author)
        if feed is None:
            return None
        seqs, clocks = feed
        i = seq - seqs[0]  # contiguous feeds answer at once; a gap falls back to a search
        if not (0 <= i < len(seqs) and seqs[i] == seq):
            i = bisect.bisect_left(seqs, seq)
            if i == len(seqs) or seqs[i] != seq:
                return None
        return clocks[i]

    def place(self, rec: Record, deps: list[tuple[str, int]]) -> tuple[int, ...]:
        feed = self.by_feed.get(rec.author)
        own = feed[1][-1] if feed else None  # the author's previous placed entry
        clock = list(own) if own is not None else [0] * len(self.tracked)
        for dep_author, dep_seq in deps:
            other = self.of(dep_author, dep_seq)
            if other is not None:
                clock = [max(a, b) for a, b in zip(clock, other, strict=True)]
        index = self.tracked.get(rec.author)
        if index is not None:
            clock[index] = max(clock[index], rec.seq)
        result = tuple(clock)
        if own == result:
            result = own  # share the tuple: most entries learn nothing new about admins
        seqs, clocks = self.by_feed.setdefault(rec.author, ([], []))
        seqs.append(rec.seq)
        clocks.append(result)
        return result


def _first_per_seq(records: list[Record]) -> dict[str, list[Record]]:
    """Each author's records by ascending seq: one per seq, a valid one before a forgery."""
    feeds: dict[str, list[Record]] = {}
    for rec in records:
        feed = feeds.setdefault(rec.author, [])
        if not feed or rec.seq > feed[-1].seq:
            feed.append(rec)
        elif rec.seq == feed[-1].seq and rec.valid and not feed[-1].valid:
            feed[-1] = rec
    return feeds


def check_authority(
    records: list[Record],
    root: str,
    role_allows: RoleAllows | None = None,
    *,
    enrolled: set[str] | None = None,
) -> Iterator[Problem]:
    """Yield `unknown_author` and `unauthorised` problems; see the module docstring.

    `enrolled`, when given, receives every key an authorised `device.enrolled` admits
    (filled once the problems have been read to the end).
    """
    feeds = _first_per_seq(records)
    present = {(r.author, r.seq): r.hash for f in feeds.values() for r in f}
    admins = sorted({r.author for r in records if r.kind in (ENROLLED, REVOKED)} | {root})
    clocks = _Clocks({a: i for i, a in enumerate(admins)})
    # Keys some enrolment names, valid or not: their unauthorised entries are not "unknown".
    named = {r.enrol[0] for r in records if r.kind == ENROLLED and r.enrol}

    def edges(rec: Record) -> list[tuple[str, int]]:
        return [(a, s) for a, s, h in rec.deps if present.get((a, s)) == h]

    iters: dict[str, Iterator[Record]] = {a: iter(f) for a, f in feeds.items()}
    merge = CausalMerge(
        feeds=iters, edges=edges, placed={a: f[0].seq - 1 for a, f in feeds.items()}
    )
    twins: dict[tuple[str, int], set[str]] = {}  # every twin of a fork is a fair dep target
    for r in records:
        if present.get((r.author, r.seq), r.hash) != r.hash:
            twins.setdefault((r.author, r.seq), set()).add(r.hash)
    grants: list[Grant] = []
    renewals = Renewals()
    for rec in merge:  # the causal pass: clocks, and the grants with theirs
        found = edges(rec)
        for a, s, h in rec.deps:
            known = present.get((a, s))
            if rec.valid and known is not None and h != known and h not in twins.get((a, s), ()):
                detail = f"dep names {a[:12]}…#{s} by a hash that entry does not have"
                yield Problem("broken_chain", rec.seq, rec.author, detail)
        cut = clocks.place_past(rec, found, missing=len(found) < len(rec.deps))
        clock = clocks.place(rec, found)
        if rec.valid and rec.kind in (ENROLLED, REVOKED) and rec.enrol is not None:
            key, role = rec.enrol
            revokes = rec.kind == REVOKED
            if renewals.counts(rec.author, key, revokes, role):
                grant_clock = TupleClock(clock, clocks.tracked)
                grants.append(
                    Grant(rec.author, rec.seq, key, revokes, role, rec.after_seq, grant_clock, cut)
                )
    stuck = {(r.author, r.seq) for r in merge.stuck}
    for rec in merge.stuck:  # only reachable with deps that form no order: report, don't hang
        yield Problem("bad_format", rec.seq, rec.author, "deps cannot be ordered")
    verdicts = settle(grants, root)
    about: dict[str, list[Grant]] = {}
    for g in grants:
        about.setdefault(g.key, []).append(g)
    if enrolled is not None:
        enrolled.update(g.key for g in verdicts.enrolments(grants))
    for author in sorted(feeds):  # the judging pass: every entry with its own clock
        mine = about.get(author, [])
        ok_enrolments, revocations = verdicts.enrolments(mine), verdicts.revocations(mine)
        cap = verdicts.caps.get(author)
        for rec in feeds[author]:
            if not rec.valid or (author, rec.seq) in stuck:
                continue  # judged by its own problems only (it still ordered what follows)
            values = clocks.of(author, rec.seq)
            assert values is not None  # placed by the causal pass
            why = _judge(
                rec,
                root,
                TupleClock(values, clocks.tracked),
                (author, rec.seq) in clocks.cut_off,
                (ok_enrolments, revocations, cap),
                role_allows,
            )
            if why is not None:
                unknown = why == NOT_ENROLLED and author not in named
                code = "unknown_author" if unknown else "unauthorised"
                yield Problem(code, rec.seq, author, _why(code, rec, why))


def _judge(
    rec: Record,
    root: str,
    clock: TupleClock,
    cut: bool,
    grants: tuple[list[Grant], list[Grant], int | None],
    role_allows: RoleAllows | None,
) -> str | None:
    """Why `rec` is not authorised (an authority_rules reason, or GENESIS), or None."""
    if rec.kind == GENESIS:
        return None if (rec.author == root and rec.seq == 1) else GENESIS
    if rec.author == root:
        if rec.seq == 1:
            return GENESIS  # the root's first entry must be the genesis
        allowed = role_allows is None or rec.kind in GRANT_KINDS or role_allows("admin", rec.kind)
        return None if allowed else ROLE_FORBIDS
    enrolments, revocations, cap = grants
    return judge(
        rec.author,
        rec.seq,
        (rec.kind,),
        clock,
        enrolments,
        revocations,
        cap,
        role_allows,
        lenient=cut,
    )


def _why(code: str, rec: Record, why: str) -> str:
    if rec.kind == GENESIS:
        return "a second branch.genesis: a branch has one, by its root (wal-v1 §5)"
    if why == GENESIS:
        return "the root's first entry must be the branch.genesis"
    if code == "unknown_author":
        return "author was never enrolled in this branch"
    if why == REVOKED_BEFORE:
        return "author revoked: a revocation precedes this entry, or it is past its after_seq"
    if why == NOT_ENROLLED:
        return "no authorised enrolment of the author precedes this entry"
    return f"the author's role may not write {rec.kind!r}"


# --------------------------------------------------------------------------- clean files, fast
#
# A big export that is clean (every entry valid, feeds complete from seq 1, every dep
# present with its hash) is proven authorised run by run instead of entry by entry:
# a run is consecutive entries of one feed with the same deps, so every entry of it
# has the same vector clock outside its own feed. `verify_file` uses this to skip the
# per-entry pass; whenever the proof does not go through, it runs `check_authority`.

ADMIN_KINDS = GRANT_KINDS
# One grant of a key, as a range worker reports it: (admin, seq, revokes, role, after_seq)
GrantRow = tuple[str, int, bool, str, int | None]


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive entries `first..seq` of one feed, all with the same deps.

    `seq` is the run's last seq and `ts` a constant: the names `CausalMerge` orders by
    (the order among ready runs does not matter here).
    """

    author: str
    first: int
    seq: int
    deps: tuple[tuple[str, int, str], ...]
    kinds: frozenset[str]
    ts: int = 0


def runs_authorised(
    feeds: dict[str, list[Run]],
    root: str,
    grants: Mapping[str, list[GrantRow]],
    role_allows: RoleAllows | None = None,
) -> bool:
    """True only when `check_authority` would report nothing for entries made of these runs.

    The caller guarantees: every entry is valid (hash, signature, format), each feed
    is contiguous from seq 1, each dep names an entry of the file by its hash, a
    genesis entry is a run of its own, and `grants` lists, by key, every enrolment and
    revocation in the file. Then no entry is cut off, every entry of a run has the
    run's clock outside its own feed, and the grants are settled exactly as the
    entry-by-entry pass settles them; a run passes when its last entry would (the
    others have lower seqs, so the same or no `after_seq` cut). False: "not proven".
    """
    admins = sorted({a for a, runs in feeds.items() if any(r.kinds & ADMIN_KINDS for r in runs)})
    tracked = {a: i for i, a in enumerate(sorted({*admins, root}))}
    firsts: dict[str, list[int]] = {}
    clocks: dict[str, list[list[int]]] = {}

    def clock_at(author: str, seq: int) -> list[int] | None:
        starts = firsts.get(author)
        if not starts:
            return None
        i = bisect.bisect_right(starts, seq) - 1
        if i < 0:
            return None
        clock = list(clocks[author][i])
        if author in tracked:  # a run's own component is the seq of the entry named
            clock[tracked[author]] = seq
        return clock

    merge = CausalMerge(
        feeds={a: iter(runs) for a, runs in feeds.items()},
        edges=lambda run: [(a, s) for a, s, _ in run.deps],
        placed={a: 0 for a in feeds},
    )
    placed: list[tuple[Run, TupleClock]] = []
    for run in merge:
        own = clocks.get(run.author)
        clock = list(own[-1]) if own else [0] * len(tracked)
        for dep_author, dep_seq, _ in run.deps:
            other = clock_at(dep_author, dep_seq)
            if other is None:
                return False
            clock = [max(a, b) for a, b in zip(clock, other, strict=True)]
        if run.author in tracked:
            i = tracked[run.author]
            clock[i] = max(clock[i], run.seq)
        firsts.setdefault(run.author, []).append(run.first)
        clocks.setdefault(run.author, []).append(clock)
        placed.append((run, TupleClock(tuple(clock), tracked)))
    if merge.stuck:
        return False
    settled: list[Grant] = []
    renewals = Renewals()
    for key, rows in grants.items():
        for admin, seq, revokes, role, after_seq in sorted(rows, key=lambda r: (r[0], r[1])):
            if not renewals.counts(admin, key, revokes, role):
                continue
            at = clock_at(admin, seq)
            if at is None or admin not in tracked:
                return False
            grant_clock = TupleClock(tuple(at), tracked)
            settled.append(Grant(admin, seq, key, revokes, role, after_seq, grant_clock))
    verdicts = settle(settled, root)
    about: dict[str, list[Grant]] = {}
    for g in settled:
        about.setdefault(g.key, []).append(g)
    return all(
        _run_ok(run, root, clock, about.get(run.author, []), verdicts, role_allows)
        for run, clock in placed
    )


def _run_ok(
    run: Run,
    root: str,
    clock: TupleClock,
    mine: list[Grant],
    verdicts: Verdicts,
    role_allows: RoleAllows | None,
) -> bool:
    """`_judge` gives None for every entry of the run (see runs_authorised)."""
    if GENESIS in run.kinds:
        return run.author == root and run.first == run.seq == 1
    if run.author == root:
        if run.first == 1:
            return False  # the root's first entry must be the genesis
        return role_allows is None or all(
            role_allows("admin", kind) for kind in run.kinds - ADMIN_KINDS
        )
    if any(g.admin == run.author for g in mine):
        return False  # a grant inside the run's own feed can change the role mid-run
    why = judge(
        run.author,
        run.seq,
        run.kinds,
        clock,
        verdicts.enrolments(mine),
        verdicts.revocations(mine),
        verdicts.caps.get(run.author),
        role_allows,
    )
    return why is None
