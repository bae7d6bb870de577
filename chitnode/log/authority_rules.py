"""Who may write at an entry: wal-v1 §5 as amended, one rule for `verify` and for the fold.

Both sides give the same answer for every entry because both call `judge` and `settle`
here; they differ only in how they learn an entry's causal past (verify: vector clocks
over the file; the fold: what each feed has reached, kept in its state).

The rule. An entry of a key other than the root is authorised when

1. an authorised enrolment of its key precedes it causally (through `prev`/`deps`);
   its role comes from the causally latest such enrolments, and the kind must be
   allowed for each of them (`device.*` only for admins);
2. no effective revocation of its key precedes it causally (a revoked key stays
   revoked: a later enrolment does not bring it back); and
3. its `seq` is at most the `after_seq` of every effective revocation of its key,
   wherever that revocation sits in the log: this is what stops a stolen key from
   writing "concurrent" entries that simply leave the revocation out of their deps.
   A revocation without `after_seq` (written before the amendment) is judged by 2 alone.

Timestamps play no part anywhere: not in "precedes", not in choosing a role.

Which revocations are *effective* needs care, because rule 3 reaches across the log: a
revocation can cut entries that a second revocation's author needed for its own
authority, and two admins can revoke each other. `settle` takes the well-founded
reading: over grants alone, it iterates "which revocations are authorised if these
are effective" from both sides until the upper set stops shrinking, and uses that upper
set (the cautious side: a revocation caught in a true paradox, e.g. two admins revoking
each other concurrently, still counts, and both admins lose their concurrent entries).
A stolen admin key revoked by the root therefore cannot cut anyone with revocations it
writes "concurrently": those are cut by the root's revocation first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

GENESIS = "branch.genesis"
ENROLLED = "device.enrolled"
REVOKED = "device.revoked"
GRANT_KINDS = frozenset({ENROLLED, REVOKED})

# Why `judge` says no; each side maps these to its own codes.
NOT_ENROLLED = "not_enrolled"  # no authorised enrolment precedes the entry
REVOKED_BEFORE = "revoked"  # an effective revocation precedes it, or it is past after_seq
ROLE_FORBIDS = "role"  # enrolled, but the role may not write this kind

RoleAllows = Callable[[str, str], bool]
GrantId = tuple[str, int]  # (author of the grant entry, its seq)


class Clock(Protocol):
    """An entry's causal past: author -> the highest seq of it the entry reaches."""

    def get(self, author: str, default: int, /) -> int: ...


@dataclass(frozen=True, slots=True)
class Grant:
    """One `device.enrolled` or `device.revoked` entry, as the rules see it."""

    admin: str  # its author
    seq: int
    key: str  # the key it enrols or revokes
    revokes: bool
    role: str  # "" for a revocation
    after_seq: int | None  # revocations: the revoked key's last valid seq; None = not given
    clock: Clock = field(compare=False)  # its own causal past (its own seq included)
    cut: bool = False  # part of its causal past is outside what was given (partial export)

    @property
    def id(self) -> GrantId:
        return (self.admin, self.seq)

    @property
    def kind(self) -> str:
        return REVOKED if self.revokes else ENROLLED


def precedes(grant: Grant, author: str, seq: int, clock: Clock) -> bool:
    """True when `grant` is in the causal past of the entry (author, seq) whose clock is `clock`."""
    if grant.admin == author:
        return grant.seq < seq
    return clock.get(grant.admin, 0) >= grant.seq


def after(grant: Grant, author: str, seq: int) -> bool:
    """True when the entry (author, seq) is in the causal past of `grant` (provably before it)."""
    if grant.admin == author:
        return grant.seq > seq
    return grant.clock.get(author, 0) >= seq


def judge(
    author: str,
    seq: int,
    kinds: Iterable[str],
    clock: Clock,
    enrolments: Sequence[Grant],
    revocations: Sequence[Grant],
    cap: int | None,
    role_allows: RoleAllows | None,
    *,
    lenient: bool = False,
) -> str | None:
    """Why the entry (author, seq) of a key other than the root is not authorised, or None.

    `enrolments` are the *authorised* enrolments of `author`, `revocations` its *effective*
    revocations (in the whole log), `cap` the least `after_seq` among those revocations.
    `kinds`: the entry's kind (several for a run of entries with one clock). `lenient`:
    part of the entry's causal past is missing (a partial export), so a grant counts
    unless it provably comes after the entry.
    """
    if cap is not None and seq > cap:
        return REVOKED_BEFORE

    def counts(g: Grant) -> bool:
        if lenient:
            return not after(g, author, seq)
        return precedes(g, author, seq, clock)

    if any(counts(g) for g in revocations):
        return REVOKED_BEFORE
    seen = [g for g in enrolments if counts(g)]
    if not seen:
        return NOT_ENROLLED
    latest = [g for g in seen if not any(precedes(g, h.admin, h.seq, h.clock) for h in seen)]
    roles = {g.role for g in latest}
    for kind in kinds:
        if kind in GRANT_KINDS:
            if roles != {"admin"}:
                return ROLE_FORBIDS
        elif role_allows is not None and not all(role_allows(r, kind) for r in roles):
            return ROLE_FORBIDS
    return None


class Renewals:
    """Which grants count as new: an enrolment by an admin that repeats the role of the same
    admin's previous enrolment of the same key (no revocation of it by that admin between)
    is a *renewal* and grants nothing new; both sides drop renewals before judging.

    This keeps what authority remembers bounded by role changes, not by how often a key
    is enrolled again (a log of a million re-enrolments of a thousand keys remembers four
    thousand), and it is a rule about the log alone: no timestamp, no arrival order.
    """

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], str] = {}  # (key, admin) -> role of its last enrolment

    def counts(self, admin: str, key: str, revokes: bool, role: str) -> bool:
        """Feed grants of one admin in ascending seq; False for a renewal."""
        if revokes:
            self._last.pop((key, admin), None)
            return True
        if self._last.get((key, admin)) == role:
            return False
        self._last[(key, admin)] = role
        return True


@dataclass(frozen=True, slots=True)
class Verdicts:
    """What `settle` decided about every grant of a log."""

    ok: frozenset[GrantId]  # grants that are authorised
    effective: frozenset[GrantId]  # revocations that count (see the module docstring)
    caps: Mapping[str, int]  # key -> least after_seq of its effective revocations

    def enrolments(self, grants: Iterable[Grant]) -> list[Grant]:
        return [g for g in grants if not g.revokes and g.id in self.ok]

    def revocations(self, grants: Iterable[Grant]) -> list[Grant]:
        return [g for g in grants if g.revokes and g.id in self.effective]


def caps_of(revocations: Iterable[Grant]) -> dict[str, int]:
    caps: dict[str, int] = {}
    for g in revocations:
        if g.after_seq is not None:
            caps[g.key] = min(caps.get(g.key, g.after_seq), g.after_seq)
    return caps


def settle(grants: Sequence[Grant], root: str) -> Verdicts:
    """Which grants are authorised and which revocations are effective (module docstring)."""
    # A causal order: if g precedes h, h's clock is at least g's everywhere and beyond it at
    # h's own author, so the sum of h's components (over the grants' authors) is larger.
    admins = sorted({g.admin for g in grants})
    order = sorted(grants, key=lambda g: (sum(g.clock.get(a, 0) for a in admins), g.admin, g.seq))
    about: dict[str, list[Grant]] = {}
    for g in order:
        about.setdefault(g.key, []).append(g)
    revocation_ids = [g.id for g in order if g.revokes]

    def authorised(effective: frozenset[GrantId]) -> frozenset[GrantId]:
        """The grants authorised when exactly `effective` revocations count."""
        caps = caps_of(g for g in order if g.id in effective)
        ok: set[GrantId] = set()
        for g in order:
            mine = about.get(g.admin, [])
            if g.admin == root or (
                judge(
                    g.admin,
                    g.seq,
                    (g.kind,),
                    g.clock,
                    [h for h in mine if not h.revokes and h.id in ok],
                    [h for h in mine if h.revokes and h.id in effective],
                    caps.get(g.admin),
                    None,
                    lenient=g.cut,
                )
                is None
            ):
                ok.add(g.id)  # every grant it could depend on sorts before it
        return frozenset(ok)

    def revocations_if(effective: frozenset[GrantId]) -> frozenset[GrantId]:
        ok = authorised(effective)
        return frozenset(r for r in revocation_ids if r in ok)

    if not revocation_ids:  # the usual log: nothing to iterate
        return Verdicts(authorised(frozenset()), frozenset(), {})
    lower: frozenset[GrantId] = frozenset()
    upper = revocations_if(lower)
    for _ in range(len(revocation_ids) + 1):  # each round shrinks `upper` or ends
        lower = revocations_if(upper)
        shrunk = revocations_if(lower)
        if shrunk == upper:
            break
        upper = shrunk
    ok = authorised(upper)
    return Verdicts(ok, upper, caps_of(g for g in order if g.id in upper))
