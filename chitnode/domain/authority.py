"""The fold's side of wal-v1 §5 as amended: authority judged causally, never by `ts`.

The rule is `chitnode.log.authority_rules`, the one `verify` uses too; this module gives
it what the fold knows. The fold places entries in a causal order whose ties are broken
by `ts`, so "what the state says when the entry is folded" would let a timestamp decide
(a revoked key's entry with an early `ts`, leaving the revocation out of its deps, once
credited a wallet). Instead each entry is judged by what it *reaches*, and by
revocations wherever they are (their `after_seq`).

Bookkeeping tables, written for every entry whether it is applied or not (they are
facts about the log, not effects of the entry):

- `authority_reach` [author]: {"points": [[seq, [[admin, grant_seq], ...]], ...]}: from
  `seq` on, the author's entries reach, of each other key that wrote grants, its grants
  up to `grant_seq`. A point is added only when a new grant is reached, so a feed has at
  most as many points as the log has grants.
- `authority_grants` [key]: {"grants": [[admin, seq, revokes, role, after_seq, reach]]}:
  the enrolments and revocations naming `key`, well formed (§5 body), in fold order;
  renewals (authority_rules.Renewals) are not recorded.
- `authority_grant_seqs` [admin]: {"seq": [[first, last], ...]}: the seqs of the grants
  it wrote, as runs of consecutive seqs.
- `authority_verdicts` [key]: {"seen", "ok", "effective": [[admin, seq], ...], "after_seq"}:
  `settle` over every grant of the log, written by the fold engine (`resettle`), which
  re-folds from where a verdict changed. A grant placed since the last settle is judged
  in order meanwhile (`_standing`), so the common case needs no second pass.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chitnode import limits
from chitnode.domain.state import Change, Put, State
from chitnode.errors import RuleViolation
from chitnode.log.authority_rules import (
    ENROLLED,
    GRANT_KINDS,
    NOT_ENROLLED,
    REVOKED,
    REVOKED_BEFORE,
    Grant,
    GrantId,
    judge,
    precedes,
    settle,
)
from chitnode.log.entry import HEX64_RE, Entry

REACH = "authority_reach"
GRANTS = "authority_grants"
GRANT_SEQS = "authority_grant_seqs"
VERDICTS = "authority_verdicts"
BOOKKEEPING = frozenset({REACH, GRANTS, GRANT_SEQS, VERDICTS})  # facts about the log, not effects
AFTER_SEQ = "after_seq"  # device.revoked (wal-v1 §5, amended): the key's last valid seq
ROLES = frozenset({"admin", "foreman", "employee", "member", "auditor"})  # wal-v1 §5

Pairs = list[list[Any]]  # [[admin, grant_seq], ...], sorted: a reach as JSON holds it


def grant_fields(entry: Entry) -> tuple[str, bool, str, int | None] | None:
    """(key, revokes, role, after_seq) of a well-formed §5 grant entry, else None."""
    if entry.kind not in GRANT_KINDS:
        return None
    body = entry.body
    key = body.get("key")
    if not isinstance(key, str) or HEX64_RE.match(key) is None:
        return None
    if entry.kind == ENROLLED:  # exactly {key, role, name}: key is in it, so three and these
        ok = len(body) == 3 and "name" in body and isinstance(body["name"], str)
        role = body.get("role")
        return (key, False, role, None) if ok and role in ROLES else None
    after = body.get(AFTER_SEQ)
    if set(body) - {AFTER_SEQ} != {"key", "reason"} or not isinstance(body["reason"], str):
        return None
    if AFTER_SEQ in body and not (type(after) is int and 0 <= after <= limits.JSON_INT_MAX):
        return None
    return (key, True, "", after)


def check_after_seq(body: Mapping[str, Any]) -> int | None:
    """A revocation body's after_seq (None when absent); RuleViolation when malformed."""
    if AFTER_SEQ not in body:
        return None
    after = body[AFTER_SEQ]
    if type(after) is not int or not 0 <= after <= limits.JSON_INT_MAX:
        raise RuleViolation("after_seq must be an integer >= 0", code="bad_body")
    return after


# --- what an entry reaches ----------------------------------------------------------
#
# An author's own component is implicit (its entries reach its own earlier grants by seq),
# and a dep (A, m) adds A's component *snapped* to A's last grant at or before m: so a
# feed's reach changes only when it reaches a grant it did not reach before, however
# often its deps move on. Precedence is unchanged: a grant (A, s) is reached exactly
# when the snapped component is >= s, as when it is the raw seq.


def _points(state: State, author: str) -> list[list[Any]]:
    row = state.get(REACH, author)
    return row["points"] if row is not None else []


def _reach_at(state: State, author: str, seq: int) -> Pairs:
    """The grants of others (author, seq) reaches: its feed's last point at or before seq."""
    points = _points(state, author)
    if not points or points[-1][0] <= seq:
        return points[-1][1] if points else []
    i = bisect.bisect_right([p[0] for p in points], seq) - 1
    return points[i][1] if i >= 0 else []


def _last_grant(state: State, author: str, seq: int) -> int:
    """The seq of `author`'s last recorded grant at or before `seq`; 0 for none."""
    row = state.get(GRANT_SEQS, author)
    if row is None:
        return 0
    runs = row["seq"]  # [[first, last], ...]: runs of consecutive seqs, all grants
    i = len(runs) - 1 if runs[-1][0] <= seq else bisect.bisect_right(runs, [seq, 2**62]) - 1
    return min(int(runs[i][1]), seq) if i >= 0 else 0


def _with_grant(runs: list[list[int]], seq: int) -> list[list[int]]:
    if runs and runs[-1][1] == seq - 1:
        return [*runs[:-1], [runs[-1][0], seq]]
    return [*runs, [seq, seq]]


def _merged(mine: Pairs, other: Pairs) -> Pairs:
    if other == mine or not other:
        return mine
    known = {a: s for a, s in mine}
    if all(known.get(a, 0) >= s for a, s in other):
        return mine
    for a, s in other:
        known[a] = max(known.get(a, 0), s)
    return [[a, known[a]] for a in sorted(known)]


def _is_renewal(grants: list[list[Any]], admin: str, revokes: bool, role: str) -> bool:
    """`Renewals` (authority_rules) over a key's recorded grants, newest last."""
    if revokes:
        return False
    for record in reversed(grants):
        if record[0] == admin:
            return not record[2] and record[3] == role
    return False


def marks(
    state: State, entry: Entry, edges: Iterable[tuple[str, int]] | None = None
) -> tuple[list[Change], dict[str, int]]:
    """The bookkeeping writes for `entry` (made whether or not it is applied), and its reach.

    `edges`: the (author, seq) its deps stand for in the fold's order, when that differs
    from what they name (a dep on a fork's twin counts only up to the agreed prefix).
    """
    points = _points(state, entry.author)
    mine: Pairs = points[-1][1] if points else []  # feeds fold in seq order: the last point
    known = {a: s for a, s in mine}
    grew = False
    # What a placed (author, seq) reaches never changes, so deps equal to the previous
    # entry's (as in a run of writes between two syncs) reach nothing new.
    same = edges is None and _LAST_DEPS.get(entry.author) == (entry.seq - 1, entry.prev, entry.deps)
    if len(_LAST_DEPS) >= limits.AUTHORITY_PARSED_ROWS_MAX:
        _LAST_DEPS.clear()
    if edges is None:
        _LAST_DEPS[entry.author] = (entry.seq, entry.hash, entry.deps)
    else:
        _LAST_DEPS.pop(entry.author, None)
    deps = () if same else edges if edges is not None else [(a, s) for a, s, _ in entry.deps]
    for author, seq in deps:
        if author == entry.author:
            continue
        own = _last_grant(state, author, seq)  # its own component, snapped to its grants
        if own > known.get(author, 0):
            known[author], grew = own, True
        for a, s in _reach_at(state, author, seq):
            if s > known.get(a, 0):
                known[a], grew = s, True
    reach = [[a, known[a]] for a in sorted(known)] if grew else mine
    changes: list[Change] = []
    if reach is not mine:
        changes.append(Put(REACH, entry.author, {"points": [*points, [entry.seq, reach]]}))
    grant = grant_fields(entry)
    if grant is not None:
        key, revokes, role, after_seq = grant
        row = state.get(GRANTS, key)
        grants = row["grants"] if row is not None else []
        if not _is_renewal(grants, entry.author, revokes, role):
            itself: Pairs = [[entry.author, entry.seq]]
            # Reaching no other grant (an admin writing alone): the clock is its own seq.
            clock = itself if not reach and entry.seq > 0 else _merged(reach, itself)
            record = [entry.author, entry.seq, revokes, role, after_seq, clock]
            changes.append(Put(GRANTS, key, {"grants": [*grants, record]}))
            seqs = state.get(GRANT_SEQS, entry.author)
            runs = _with_grant(seqs["seq"] if seqs is not None else [], entry.seq)
            changes.append(Put(GRANT_SEQS, entry.author, {"seq": runs}))
    return changes, known


# --- judging --------------------------------------------------------------------------


def _grant(key: str, record: list[Any]) -> Grant:
    admin, seq, revokes, role, after_seq, reach = record
    return Grant(admin, seq, key, revokes, role, after_seq, {a: s for a, s in reach})


_LAST_DEPS: dict[str, tuple[int, str, tuple[tuple[str, int, str], ...]]] = {}


# Rows are replaced, never changed in place, so a parsed row stays right while the very
# same row object is in the state: judging an entry then parses nothing (a rebuild asks
# for the same few authors' rows a million times).
_PARSED: dict[tuple[str, str], tuple[object, Any]] = {}


def _parsed(table: str, key: str, row: Any, parse: Callable[[Any], Any]) -> Any:
    hit = _PARSED.get((table, key))
    if hit is not None and hit[0] is row:
        return hit[1]
    value = parse(row)
    if len(_PARSED) >= limits.AUTHORITY_PARSED_ROWS_MAX:
        _PARSED.clear()
    _PARSED[(table, key)] = (row, value)  # holding the row keeps its identity unique
    return value


def grants_about(state: State, key: str) -> list[Grant]:
    row = state.get(GRANTS, key)
    if row is None:
        return []
    return _parsed(GRANTS, key, row, lambda r: [_grant(key, g) for g in r["grants"]])  # type: ignore[no-any-return]


def _verdict_ids(key: str, row: Mapping[str, Any] | None) -> tuple[set[GrantId], ...]:
    """(seen, ok, effective) of a verdicts row."""
    if row is None:
        return set(), set(), set()

    def parse(r: Any) -> tuple[set[GrantId], ...]:
        return tuple({(a, s) for a, s in r[name]} for name in ("seen", "ok", "effective"))

    return _parsed(VERDICTS, key, row, parse)  # type: ignore[no-any-return]


Standing = tuple[list[Grant], list[Grant], int | None]  # enrolments, revocations, cap


def _standing(state: State, key: str, root: str | None, memo: dict[str, Standing]) -> Standing:
    """`key`'s authorised enrolments, effective revocations and cap, for judging its entries.

    As last settled (`authority_verdicts`); a grant placed since is judged in order here,
    from what it reaches (the engine settles again after the fold and re-folds if that
    changed anything).
    """
    if key in memo:
        return memo[key]
    memo[key] = ([], [], None)  # a grant chain back to this key (admins enrolling each other)
    grants_row, row = state.get(GRANTS, key), state.get(VERDICTS, key)
    hit = _STANDING.get(key)
    if hit is not None and hit[0] is grants_row and hit[1] is row and hit[2] == root:
        memo[key] = hit[3]
        return hit[3]
    seen, ok, effective = _verdict_ids(key, row)
    cap: int | None = row[AFTER_SEQ] if row is not None else None
    enrolments: list[Grant] = []
    revocations: list[Grant] = []
    alone = True  # judged from these two rows alone: no other key's standing asked
    for g in grants_about(state, key):
        alone = alone and (g.id in seen or g.admin == root)
        good = g.id in ok if g.id in seen else _provisional(state, g, root, memo)
        counts = g.id in effective if g.id in seen else good
        if g.revokes and counts:
            revocations.append(g)
            if g.id not in seen and g.after_seq is not None:
                cap = g.after_seq if cap is None else min(cap, g.after_seq)
        elif not g.revokes and good:
            enrolments.append(g)
    memo[key] = (enrolments, revocations, cap)
    if alone:
        if len(_STANDING) >= limits.AUTHORITY_PARSED_ROWS_MAX:
            _STANDING.clear()
        _STANDING[key] = (grants_row, row, root, memo[key])
    return memo[key]


_STANDING: dict[str, tuple[object, object, str | None, Standing]] = {}
_JUDGED: dict[str, tuple[Standing, object, str | None]] = {}


def _provisional(state: State, g: Grant, root: str | None, memo: dict[str, Standing]) -> bool:
    if g.admin == root:
        return True
    enrolments, revocations, cap = _standing(state, g.admin, root, memo)
    why = judge(g.admin, g.seq, (g.kind,), g.clock, enrolments, revocations, cap, None)
    return why is None


def check(state: State, entry: Entry, reach: dict[str, int], roles: frozenset[str] | None) -> None:
    """Raise the code `entry` is rejected with if its author may not write it here.

    `roles`: who may write its kind (the kinds table); None for a kind not in the table.
    """
    branch = state.get("branch", "branch")
    root = branch["root"] if branch is not None else None
    if entry.author == root:
        if roles is not None and "admin" not in roles:
            raise RuleViolation(f"role admin may not write {entry.kind}", code="unauthorised")
        return
    standing = _standing(state, entry.author, root, {})
    enrolments, revocations, cap = standing
    # The verdict depends only on which of these grants the entry reaches, whether it is
    # past the cap, and who may write its kind: a feed's run of entries asks the same.
    grants = (*enrolments, *revocations)
    reached = tuple(precedes(g, entry.author, entry.seq, reach) for g in grants)
    asked = (reached, cap is not None and entry.seq > cap, roles)
    hit = _JUDGED.get(entry.author)
    if hit is not None and hit[0] is standing and hit[1] == asked:
        why = hit[2]
    else:
        allows: Callable[[str, str], bool] | None = None
        if roles is not None:
            allowed = roles
            allows = lambda role, _kind: role in allowed  # noqa: E731
        why = judge(
            entry.author, entry.seq, (entry.kind,), reach, enrolments, revocations, cap, allows
        )
        if len(_JUDGED) >= limits.AUTHORITY_PARSED_ROWS_MAX:
            _JUDGED.clear()
        _JUDGED[entry.author] = (standing, asked, why)
    if why is None:
        return
    if why == REVOKED_BEFORE:
        raise RuleViolation("author's device was revoked", code="device_revoked")
    if why == NOT_ENROLLED:
        named = any(not g.revokes for g in grants_about(state, entry.author))
        if not named:
            raise RuleViolation("author is not an enrolled device", code="unknown_author")
        raise RuleViolation("no enrolment of the author precedes this entry", code="unauthorised")
    raise RuleViolation(f"the author's role may not write {entry.kind}", code="unauthorised")


# --- settling (the fold engine, after a fold that placed grants) ----------------------


@dataclass(frozen=True, slots=True)
class Resettled:
    """What changed for one key's entries when the verdicts were settled again."""

    key: str
    grants: list[GrantId]  # grants whose status differs from what the fold judged by
    caps: tuple[int | None, int | None]  # the key's after_seq cap: last settled, now


def resettle(state: State) -> list[Resettled]:
    """Settle every grant in `state` again and write `authority_verdicts`; what changed.

    The rows are written without undo: they describe the whole log, not a prefix of it,
    so a re-fold keeps them (the engine re-folds from where a change matters).

    With no revocation among the grants there are no rows: enrolments judged in order
    are final then (the engine settles only once a revocation is placed), so rows would
    only record that one was placed once. A fork that unplaced the only revocation left
    them behind, and the node's digest differed from that of a node that never placed it.
    """
    branch = state.get("branch", "branch")
    root = str(branch["root"]) if branch is not None else ""
    about = {key: grants_about(state, key) for key in state.rows(GRANTS)}
    revoking = any(g.revokes for grants in about.values() for g in grants)
    verdicts = settle([g for gs in about.values() for g in gs], root)
    memo: dict[str, Standing] = {}
    keys = sorted(set(about) | set(state.rows(VERDICTS)))
    used = {key: _standing(state, key, root or None, memo) for key in keys}  # before writing
    changed: list[Resettled] = []
    for key in keys:
        grants = about.get(key, [])
        enrolments, revocations, _ = used[key]
        last = state.get(VERDICTS, key)
        # What the entries placed before any new grant were judged by: the last settled
        # cap (entries after a new revocation also saw its after_seq; they are past it).
        used_cap = last[AFTER_SEQ] if last is not None else None
        judged = {g.id for g in enrolments} | {g.id for g in revocations}
        ok = {g.id for g in grants if g.id in verdicts.ok}
        effective = {g.id for g in grants if g.id in verdicts.effective}
        final = {g.id for g in grants if (g.id in effective if g.revokes else g.id in ok)}
        cap = verdicts.caps.get(key)
        row = {
            "seen": sorted([list(g.id) for g in grants]),
            "ok": sorted([list(i) for i in ok]),
            "effective": sorted([list(i) for i in effective]),
            AFTER_SEQ: cap,
        }
        wanted = row if grants and revoking else None
        if state.get(VERDICTS, key) != wanted:
            state.write([(VERDICTS, key, wanted)])
        differ = sorted(judged ^ final)
        if differ or used_cap != cap:
            changed.append(Resettled(key, differ, (used_cap, cap)))
    return changed


__all__ = ["GRANTS", "REACH", "REVOKED", "VERDICTS", "check", "marks", "resettle"]
