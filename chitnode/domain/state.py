"""Branch state: named tables of JSON records, changed only through `Change`s.

Reducers are pure: they read a `State` and return changes (or raise a
`RuleViolation`); only the fold engine applies them. That keeps a rejected entry
from ever half-applying (G9), and lets every applied entry record its undo, so a
late entry that sorts earlier re-folds from there without a full rebuild.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chitnode.errors import RuleViolation
from chitnode.log.canonical import canonical

BALANCES = "balances"
# Accounts outside the branch's books (the bank, cash handed over at a meeting) are
# contra accounts and may go negative; every other account is money the branch holds
# for someone and never may (G2).
EXTERNAL_PREFIX = "ext:"


@dataclass(frozen=True, slots=True)
class Put:
    table: str
    key: str
    value: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Delete:
    table: str
    key: str


@dataclass(frozen=True, slots=True)
class Posting:
    """One leg of a double-entry posting, in paise; an entry's legs sum to zero (G1)."""

    account: str
    amount_paise: int


Change = Put | Delete | Posting
Undo = list[tuple[str, str, dict[str, Any] | None]]
Writes = list[tuple[str, str, dict[str, Any] | None]]  # (table, key, new row or None)


@dataclass(slots=True)
class State:
    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    dirty: set[tuple[str, str]] = field(default_factory=set)

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        return self.tables.get(table, {}).get(key)

    def rows(self, table: str) -> dict[str, dict[str, Any]]:
        return self.tables.get(table, {})

    def balance(self, account: str) -> int:
        row = self.get(BALANCES, account)
        return int(row["paise"]) if row else 0

    def apply(self, changes: Iterable[Change]) -> Undo:
        """Apply changes atomically: check postings first, then write; return the undo."""
        return self.write(self.resolve(changes))

    def check(self, changes: Iterable[Change]) -> None:
        """Raise what `apply` would raise for `changes`, without changing anything."""
        self.resolve(changes)

    def resolve(self, changes: Iterable[Change]) -> Writes:
        """The row writes `changes` make to this state (postings become balances), or raise."""
        return _resolve_postings(self, list(changes))

    def write(self, writes: Writes) -> Undo:
        """Make row writes from `resolve` on this same state; return the undo."""
        undo: Undo = []
        for table, key, value in writes:
            rows = self.tables.setdefault(table, {})
            undo.append((table, key, rows.get(key)))
            if value is None:
                rows.pop(key, None)
            else:
                rows[key] = value
            self.dirty.add((table, key))
        return undo

    def revert(self, undo: Undo) -> None:
        for table, key, old in reversed(undo):
            rows = self.tables.setdefault(table, {})
            if old is None:
                rows.pop(key, None)
            else:
                rows[key] = old
            self.dirty.add((table, key))

    def dump_lines(self) -> Iterator[bytes]:
        """Canonical lines of every record, sorted: the basis of the state digest."""
        for table in sorted(self.tables):
            rows = self.tables[table]
            for key in sorted(rows):
                yield canonical([table, key, rows[key]]) + b"\n"

    def digest(self) -> str:
        h = hashlib.sha256()
        for line in self.dump_lines():
            h.update(line)
        return h.hexdigest()


def _resolve_postings(state: State, changes: list[Change]) -> Writes:
    """Turn changes into row writes; postings must sum to zero and overdraw nothing."""
    writes: Writes = []
    deltas: dict[str, int] = {}
    for change in changes:
        if isinstance(change, Posting):
            deltas[change.account] = deltas.get(change.account, 0) + change.amount_paise
        elif isinstance(change, Put):
            writes.append((change.table, change.key, change.value))
        else:
            writes.append((change.table, change.key, None))
    if sum(deltas.values()) != 0:
        # A reducer bug, not bad input: conservation (G1) must never be traded away.
        raise AssertionError(f"postings do not sum to zero: {deltas}")
    for account in sorted(deltas):
        after = state.balance(account) + deltas[account]
        if after < 0 and not account.startswith(EXTERNAL_PREFIX):
            raise RuleViolation(f"{account} would go negative", code="insufficient_funds")
        writes.append((BALANCES, account, {"paise": after}))
    return writes
