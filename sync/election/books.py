"""What the books say about leases: the election core's inputs, and `chitnode lease status`.

Read from the fold's tables (chitnode/domain/kernel_kinds.py): `electorates` [scope],
`votes` [scope|term|voter], `grants` [scope|term], `leases` [scope|holder], `devices`.
Pure: a State in, plain values out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chitnode.domain.kernel_kinds import electorate, latest_grants
from chitnode.domain.state import State
from sync.election.core import VoteRecord
from sync.election.messages import Ref


@dataclass(frozen=True, slots=True)
class ScopeLease:
    """One scope as the books show it (`chitnode lease status`)."""

    scope: str
    electorate: list[tuple[str, str]]  # (device key, name), sorted by key
    lease_ms: int
    term: int  # the highest granted term, 0: never granted
    holder: str | None  # the device granted that term
    holder_name: str | None
    status: str  # "held" | "transferred" | "released" | "none"
    time_left_ms: int | None  # only the holder's running node knows (None here)

    def with_time_left(self, ms: int | None) -> ScopeLease:
        return replace(self, time_left_ms=ms)

    def as_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "electorate": [{"key": k, "name": n} for k, n in self.electorate],
            "lease_ms": self.lease_ms,
            "term": self.term,
            "holder": self.holder,
            "holder_name": self.holder_name,
            "status": self.status,
            "time_left_ms": self.time_left_ms,
        }


def _split(key: str, parts: int) -> list[str]:
    """A table key `scope|...`; a scope never holds `|` (kernel_kinds.check_scope)."""
    return key.split("|", parts - 1)


def device_name(state: State, key: str) -> str:
    row = state.get("devices", key)
    if row is not None:
        return str(row.get("name", ""))
    branch = state.get("branch", "branch")
    return "root admin" if branch is not None and branch["root"] == key else ""


def highest_grants(state: State) -> dict[str, tuple[int, str]]:
    """Each scope's highest granted term and its holder."""
    return {scope: (term, holder) for scope, (term, holder, _) in latest_grants(state).items()}


def scope_leases(state: State) -> list[ScopeLease]:
    """Every scope with an electorate set or a grant, in scope order."""
    grants = highest_grants(state)
    scopes = sorted(set(state.rows("electorates")) | set(grants))
    out = []
    for scope in scopes:
        keys, lease_ms = electorate(state, scope)
        term, holder = grants.get(scope, (0, ""))
        lease = state.get("leases", f"{scope}|{holder}") if holder else None
        status = str(lease["status"]) if lease is not None and lease["term"] == term else "none"
        out.append(
            ScopeLease(
                scope=scope,
                electorate=[(k, device_name(state, k)) for k in sorted(keys)],
                lease_ms=lease_ms,
                term=term,
                holder=holder or None,
                holder_name=device_name(state, holder) if holder else None,
                status=status,
                time_left_ms=None,
            )
        )
    return out


def core_inputs(
    state: State, me: str
) -> tuple[dict[str, tuple[list[str], int]], dict[str, VoteRecord], dict[str, int]]:
    """`Election(me, now, rng, *core_inputs(state, me))`: the scopes `me` is an elector
    of, its last vote in each (from its own feed, as folded), each scope's highest grant."""
    electorates: dict[str, tuple[list[str], int]] = {}
    for scope in state.rows("electorates"):
        keys, lease_ms = electorate(state, scope)
        if me in keys:
            electorates[scope] = (keys, lease_ms)
    votes: dict[str, VoteRecord] = {}
    for key, row in state.rows("votes").items():
        scope, term_text, voter = _split(key, 3)
        term = int(term_text)
        if voter == me and scope in electorates and term > getattr(votes.get(scope), "term", 0):
            ref = Ref(me, int(row["seq"]), str(row["hash"]))
            votes[scope] = VoteRecord(term, str(row["candidate"]), ref)
    granted = {scope: term for scope, (term, _) in highest_grants(state).items()}
    return electorates, votes, granted
