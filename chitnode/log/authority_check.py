"""Authority of an export's entries (wal-v1 §5), checked in causal order.

An entry is authorised when its author is the root, or was enrolled by an
authorised admin entry that causally precedes it (through `prev`/`deps`) and was
not revoked by an entry that causally precedes it. "Precedes" is decided with
vector clocks restricted to the authors who enrol or revoke (a handful of admin
keys), so memory stays small however many entries there are.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from chitnode.log.order import CausalMerge
from chitnode.log.records import Problem, Record

GENESIS = "branch.genesis"
ENROLLED = "device.enrolled"
REVOKED = "device.revoked"

RoleAllows = Callable[[str, str], bool]


@dataclass(slots=True)
class _Grant:
    admin: str
    seq: int
    role: str  # "" for a revocation
    ts: int


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
) -> list[Problem]:
    """Report `unknown_author` and `unauthorised` entries; see the module docstring.

    `enrolled`, when given, receives every key an authorised `device.enrolled` admits.
    """
    feeds = _first_per_seq(records)
    present = {(r.author, r.seq): r.hash for f in feeds.values() for r in f}
    admins = sorted({r.author for r in records if r.kind in (ENROLLED, REVOKED)} | {root})
    clocks = _Clocks({a: i for i, a in enumerate(admins)})
    # Keys some enrolment names, valid or not: their unauthorised entries are not "unknown".
    ever_enrolled = {r.enrol[0] for r in records if r.kind == ENROLLED and r.enrol}

    def edges(rec: Record) -> list[tuple[str, int]]:
        return [(a, s) for a, s, h in rec.deps if present.get((a, s)) == h]

    enrolments: dict[str, list[_Grant]] = {}
    revocations: dict[str, list[_Grant]] = {}
    problems: list[Problem] = []
    iters: dict[str, Iterator[Record]] = {a: iter(f) for a, f in feeds.items()}
    merge = CausalMerge(
        feeds=iters, edges=edges, placed={a: f[0].seq - 1 for a, f in feeds.items()}
    )
    deferred: list[Record] = []
    twins: dict[tuple[str, int], set[str]] = {}  # every twin of a fork is a fair dep target
    for r in records:
        if present.get((r.author, r.seq), r.hash) != r.hash:
            twins.setdefault((r.author, r.seq), set()).add(r.hash)
    for rec in merge:
        found = edges(rec)
        for a, s, h in rec.deps:
            known = present.get((a, s))
            if rec.valid and known is not None and h != known and h not in twins.get((a, s), ()):
                detail = f"dep names {a[:12]}…#{s} by a hash that entry does not have"
                problems.append(Problem("broken_chain", rec.seq, rec.author, detail))
        cut = clocks.place_past(rec, found, missing=len(found) < len(rec.deps))
        clock = clocks.place(rec, found)
        if not rec.valid:
            continue  # it orders what follows it, but is judged by its own problems only
        role = _role_at(rec, root, clock, clocks.tracked, enrolments, revocations)
        code = _judge(rec, root, role, ever_enrolled, role_allows)
        if code is not None and role is None and cut and rec.author in ever_enrolled:
            deferred.append(rec)  # its enrolment may lie in the part of the past not exported
            continue
        if code is not None:
            problems.append(Problem(code, rec.seq, rec.author, _why(code, rec, role)))
            continue
        if rec.kind in (ENROLLED, REVOKED) and rec.enrol is not None:
            key, new_role = rec.enrol
            table = enrolments if rec.kind == ENROLLED else revocations
            table.setdefault(key, []).append(_Grant(rec.author, rec.seq, new_role, rec.ts))
    if enrolled is not None:
        enrolled.update(enrolments)
    for rec in merge.stuck:  # only reachable with deps that form no order: report, don't hang
        problems.append(Problem("bad_format", rec.seq, rec.author, "deps cannot be ordered"))
    problems.extend(_judge_cut_off(deferred, root, enrolments, revocations, role_allows))
    return problems


def _judge_cut_off(
    deferred: list[Record],
    root: str,
    enrolments: dict[str, list[_Grant]],
    revocations: dict[str, list[_Grant]],
    role_allows: RoleAllows | None,
) -> list[Problem]:
    """Entries of a partial export whose causal past was cut off before any enrolment.

    The file cannot prove the enrolment came first, nor that it came after, so an
    authorised enrolment of the author anywhere in the file is taken as the author's
    role (the verifier notes the feed as partial). A revocation anywhere in the file
    is taken to apply: the cautious side.
    """
    problems: list[Problem] = []
    for rec in deferred:
        grants = enrolments.get(rec.author, [])
        role = max(grants, key=lambda g: (g.ts, g.admin, g.seq)).role if grants else None
        if revocations.get(rec.author):
            role = None
        code = _judge(rec, root, role, {rec.author}, role_allows)
        if code is not None:
            problems.append(Problem(code, rec.seq, rec.author, _why(code, rec, role)))
    return problems


def _precedes(grant: _Grant, clock: tuple[int, ...], tracked: dict[str, int]) -> bool:
    return clock[tracked[grant.admin]] >= grant.seq


def _role_at(
    rec: Record,
    root: str,
    clock: tuple[int, ...],
    tracked: dict[str, int],
    enrolments: dict[str, list[_Grant]],
    revocations: dict[str, list[_Grant]],
) -> str | None:
    """The author's role at this entry, or None when no preceding, unrevoked enrolment."""
    if rec.author == root:
        return "admin"
    if any(_precedes(g, clock, tracked) for g in revocations.get(rec.author, [])):
        return None
    seen = [g for g in enrolments.get(rec.author, []) if _precedes(g, clock, tracked)]
    if not seen:
        return None
    return max(seen, key=lambda g: (g.ts, g.admin, g.seq)).role


def _judge(
    rec: Record,
    root: str,
    role: str | None,
    ever_enrolled: set[str],
    role_allows: RoleAllows | None,
) -> str | None:
    if rec.kind == GENESIS:
        return None if (rec.author == root and rec.seq == 1) else "unauthorised"
    if rec.author == root and rec.seq == 1:
        return "unauthorised"  # the root's first entry must be the genesis
    if role is None:
        return "unauthorised" if rec.author in ever_enrolled else "unknown_author"
    if rec.kind in (ENROLLED, REVOKED):
        return None if role == "admin" else "unauthorised"
    if role_allows is not None and not role_allows(role, rec.kind):
        return "unauthorised"
    return None


def _why(code: str, rec: Record, role: str | None) -> str:
    if rec.kind == GENESIS:
        return "a second branch.genesis: a branch has one, by its root (wal-v1 §5)"
    if code == "unknown_author":
        return "author was never enrolled in this branch"
    if role is None:
        return "author not enrolled (or revoked) at this point of the log"
    return f"role {role!r} may not write {rec.kind!r}"


# --------------------------------------------------------------------------- clean files, fast
#
# A big export that is clean (every entry valid, feeds complete from seq 1, every dep
# present with its hash) is proven authorised run by run instead of entry by entry:
# a run is consecutive entries of one feed with the same deps, so every entry of it
# has the same vector clock outside its own feed. `verify_file` uses this to skip the
# per-entry pass; whenever the proof does not go through, it runs `check_authority`.

ADMIN_KINDS = frozenset({ENROLLED, REVOKED})
GrantRow = tuple[str, int, bool, str, int]  # (admin, seq, revokes, role, ts) for one key


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
    grants_of: Callable[[str], list[GrantRow]],
    role_allows: RoleAllows | None = None,
) -> bool:
    """True only when `check_authority` would report nothing for entries made of these runs.

    The caller guarantees: every entry is valid (hash, signature, format), each feed
    is contiguous from seq 1, each dep names an entry of the file by its hash, a
    genesis entry is a run of its own, and `grants_of(key)` lists every enrolment
    and revocation of `key` in the file. Then no entry is cut off, nothing is
    deferred, and if every entry is judged authorised with *all* grants counted,
    the entry-by-entry pass (which counts only grants judged authorised before)
    judges the same: by induction over its order. False means "not proven".
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
    cache: dict[str, list[GrantRow]] = {}
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
        if run.author not in cache:
            cache[run.author] = grants_of(run.author)
        if not _run_ok(run, root, clock, tracked, cache[run.author], role_allows):
            return False
    return not merge.stuck


def _run_ok(
    run: Run,
    root: str,
    clock: list[int],
    tracked: dict[str, int],
    grants: list[GrantRow],
    role_allows: RoleAllows | None,
) -> bool:
    """`_judge` gives None for every entry of the run (see runs_authorised)."""
    if GENESIS in run.kinds:
        return run.author == root and run.first == run.seq == 1
    if run.author == root and run.first == 1:
        return False  # the root's first entry must be the genesis
    role = "admin" if run.author == root else _run_role(run.author, clock, tracked, grants)
    if role is None:
        return False
    if run.kinds & ADMIN_KINDS and role != "admin":
        return False
    if role_allows is None:
        return True
    return all(role_allows(role, kind) for kind in run.kinds - ADMIN_KINDS)


def _run_role(
    author: str, clock: list[int], tracked: dict[str, int], grants: list[GrantRow]
) -> str | None:
    """`_role_at` for every entry of a run; None also when not provable (self-grants)."""
    best: tuple[tuple[int, str, int], str] | None = None
    for admin, seq, revokes, role, ts in grants:
        index = tracked.get(admin)
        if admin == author or index is None:
            return None  # a grant inside the run's own feed can change the role mid-run
        if clock[index] < seq:
            continue
        if revokes:
            return None
        if best is None or (ts, admin, seq) > best[0]:
            best = ((ts, admin, seq), role)
    return best[1] if best else None
