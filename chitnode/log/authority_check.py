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
) -> list[Problem]:
    """Report `unknown_author` and `unauthorised` entries; see the module docstring."""
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
    if code == "unknown_author":
        return "author was never enrolled in this branch"
    if role is None:
        return "author not enrolled (or revoked) at this point of the log"
    return f"role {role!r} may not write {rec.kind!r}"
