"""decide(state, entry) -> changes: the fold's one gate for every entry.

Authority (wal-v1 §5 and the kinds table), freezing, coordination-v1 rule 3,
exactly-once command ids (G3), then the kind's reducer. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from chitnode.domain import authority, fencing, limits
from chitnode.domain.kernel_kinds import GENESIS, check_coordinated
from chitnode.domain.kinds import load_all
from chitnode.domain.member_keys import consent_rows
from chitnode.domain.state import Change, Put, State
from chitnode.errors import RuleViolation
from chitnode.log.entry import Entry

APPLIED = "applied"
REJECTED = "rejected"
Edges = list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # "applied" | "rejected"
    code: str  # "" when applied


def role_of(state: State, author: str) -> str:
    """The author's role now, or raise the code an unauthorised entry is rejected with."""
    branch = state.get("branch", "branch")
    if branch is not None and author == branch["root"]:
        return "admin"
    device = state.get("devices", author)
    if device is None:
        raise RuleViolation("author is not an enrolled device", code="unknown_author")
    if device["status"] != "active":
        raise RuleViolation("author's device was revoked", code="device_revoked")
    return str(device["role"])


def decide(state: State, entry: Entry, edges: Edges | None = None) -> list[Change]:
    """The changes `entry` makes to `state`, or raise RuleViolation with the rejection code.

    `edges`: what its deps stand for in the fold's order (`authority.marks`).
    """
    marks, reach = authority.marks(state, entry, edges)
    frozen = state.get("frozen", entry.author)
    if frozen is not None:
        raise RuleViolation(f"author frozen: {frozen['reason']}", code="author_frozen")
    if state.get("branch", "branch") is None and entry.kind != GENESIS:
        raise RuleViolation("no genesis yet", code="no_genesis")
    spec = load_all().get(entry.kind)
    if entry.kind != GENESIS:  # by what the entry reaches, never by fold order (wal-v1 §5)
        authority.check(state, entry, reach, spec.roles if spec is not None else None)
    if spec is None:
        raise RuleViolation(f"unknown kind {entry.kind}", code="unknown_kind")
    # A member's consent is the member's: signed by the member's key (issue 15), judged
    # with the author's authority, before the kind's own rules.
    changes: list[Change] = consent_rows(state, entry)
    if spec.coordinated:
        check_coordinated(state, entry)
    cmd_id = entry.body.get("cmd_id")
    if cmd_id is not None:
        ok = isinstance(cmd_id, str) and 0 < len(cmd_id) <= limits.CMD_ID_BYTES_MAX
        if not ok:
            raise RuleViolation("cmd_id must be a short string", code="bad_body")
        if state.get("commands", cmd_id) is not None:
            raise RuleViolation("command already applied", code="duplicate_command")
        changes.append(Put("commands", cmd_id, {"author": entry.author, "seq": entry.seq}))
    return marks + changes + spec.reducer(state, entry)


def apply_entry(
    state: State, entry: Entry, edges: Edges | None = None, *, fenced: bool = False
) -> tuple[Outcome, list[tuple[str, str, object]]]:
    """Apply `entry` to `state` in place if valid; return its outcome and undo record.

    A rejected entry changes nothing but the authority bookkeeping (what its feed
    reaches, the grants it makes): facts about the log the next entries are judged by.
    `fenced`: the fold found a higher term's conflicting entry that did not see this
    one (coordination-v1 rule 4, domain/fencing.py): it is rejected `stale_term`.
    """
    if fenced:
        return reject(state, entry, edges, fencing.STALE_TERM)
    try:
        undo = state.apply(decide(state, entry, edges))
    except RuleViolation as exc:
        return reject(state, entry, edges, fencing.relabel(state, entry, exc.code))
    return Outcome(APPLIED, ""), list(undo)


def reject(
    state: State, entry: Entry, edges: Edges | None, code: str
) -> tuple[Outcome, list[tuple[str, str, object]]]:
    """Apply `entry` as rejected with `code`: only its authority bookkeeping changes."""
    marks, _ = authority.marks(state, entry, edges)
    return Outcome(REJECTED, code), list(state.apply(marks))
