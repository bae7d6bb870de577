"""coordination-v1 rule 4: of two conflicting coordinated entries, the higher term wins.

A holder cut off by a partition may write coordinated entries until its lease runs out
on its own clock; a new holder, elected by the majority, never saw them. When the two
meet in one log their entries may conflict: the same month's draw opened twice, one
wallet debited by both so that together they overdraw. The fold then keeps the higher
term's entry and applies the lower as rejected `stale_term` (fencing evidence,
services/audit.py), wherever the two sort and in whichever order they arrived.

The engine (node/fold.py) does the searching; this module holds the pure rules:

- which entries are coordinated and what they conflict on (`conflict_key`): one month's
  draw of a group (its opening, bids, close, reveal and prize), one pool's loans, one
  member's wallet; an entry of a kind with no such key conflicts with every entry of its
  scope;
- which rejection codes say "this conflicts with what the fold holds" (`is_conflict`),
  as opposed to "this entry was never a valid coordinated entry" (wrong author, no
  lease, bad body), which no other term can be blamed for;
- `superseded`: a lower-term entry that sorts after the higher term's grant and is
  rejected loses as `stale_term`, the same verdict as when it sorts first (`relabel`).
"""

from __future__ import annotations

from typing import Any

from chitnode.domain.kernel_kinds import grants_of, higher_grants_seen
from chitnode.domain.kinds import load_all
from chitnode.domain.state import State
from chitnode.log.entry import Entry

STALE_TERM = "stale_term"
ANY = "*"  # the conflict key of a coordinated kind with no narrower one: its whole scope
POOL = "pool"  # a pool's loans: sanctions and disbursements together can overdraw it
# Codes that say the entry is not a valid coordinated entry in its own right, whatever
# else the log holds: no other term's entry can be blamed for them (rule 4 is about two
# *valid* entries that conflict).
NOT_A_CONFLICT = frozenset(
    {
        STALE_TERM,
        "not_lease_holder",
        "unauthorised",
        "unknown_author",
        "device_revoked",
        "author_frozen",
        "no_genesis",
        "unknown_kind",
        "bad_body",
        "bad_scope",
        "bad_term",
        "duplicate_command",
    }
)
NOT_A_CONFLICT_PREFIX = "countersig_"  # a member's signature is the member's, not a term's


def scope_term(entry: Entry) -> tuple[str, int] | None:
    """(scope, term) of a coordinated entry with a well-formed pair, else None."""
    spec = load_all().get(entry.kind)
    if spec is None or not spec.coordinated:
        return None
    scope, term = entry.body.get("scope"), entry.body.get("term")
    if not isinstance(scope, str) or isinstance(term, bool) or not isinstance(term, int):
        return None
    return scope, term


def conflict_key(body: dict[str, Any]) -> str:
    """What a coordinated entry can conflict on: entries with keys that `conflict` are
    rivals when their terms differ and the higher did not see the lower."""
    if "group_id" in body and "month" in body:
        return f"draw:{body['group_id']}|{body['month']}"
    if "loan_id" in body:
        return POOL
    member = body.get("from_member_id", body.get("member_id"))
    if isinstance(member, str):
        return f"wallet:{member}"
    return ANY


def conflict(a: str, b: str) -> bool:
    return a == b or ANY in (a, b)


def is_conflict(code: str) -> bool:
    """Whether a coordinated entry rejected with `code` may have lost to another term."""
    return code not in NOT_A_CONFLICT and not code.startswith(NOT_A_CONFLICT_PREFIX)


def lower_holders(state: State, scope: str, term: int) -> list[str]:
    """The devices granted `scope` for a term below `term`, in key order."""
    return sorted({holder for g_term, holder, _ in grants_of(state, scope) if g_term < term})


def superseded(state: State, entry: Entry) -> bool:
    """Whether a higher term of the entry's scope was granted, by another device, in a
    grant the entry's author had not seen (rule 3 refuses it when it had)."""
    found = scope_term(entry)
    if found is None:
        return False
    return not all(higher_grants_seen(state, entry, *found))


def relabel(state: State, entry: Entry, code: str) -> str:
    """The code a rejected entry is applied with: `stale_term` when it conflicts and a
    higher term it had not seen already holds its scope (rule 4), else its own."""
    if is_conflict(code) and superseded(state, entry):
        return STALE_TERM
    return code
