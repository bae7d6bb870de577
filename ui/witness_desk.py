"""The foreman asks the members present to witness the log (issue 15, point 5).

At a meeting's close the foreman's laptop takes its log's heads (`chitnode.services.
witness.current_heads`) and asks the keyed members present to sign the witness statement
over them (chitnode.witness.v1, wal-format.md 11.2) on their phones. Every member signs the
same bytes, so one request serves the whole room: it holds the heads, the statement and
the signatures the phones sent back, until the laptop writes `heads.witnessed` with them.

Like ui/meeting_desk.py this is the table, not the log: in memory, per serving process,
bounded by WITNESS_ASKS_MAX. A restart forgets it and the foreman asks again. Nothing here
checks a signature: the phone's was verified by the SignerDesk, the key is checked against
the member's current one before it is added (ui/views/member_keys.py), and the fold checks
it all again when the entry is written.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

from chitnode.domain.witness_kinds import Head
from ui import limits


@dataclass(frozen=True, slots=True)
class WitnessAsk:
    """One meeting's request: the heads the phones sign, and what came back."""

    branch_id: str
    group_id: str
    month: int
    heads: tuple[Head, ...]
    statement: bytes  # witness_kinds.statement(branch, group, month, heads)
    asked_ms: int
    members: frozenset[str]  # the keyed members present when the foreman asked
    signed: tuple[tuple[str, str, str], ...] = ()  # (member_id, key hex, sig hex), in order
    written_seq: int = 0  # the heads.witnessed's seq on the laptop's feed, once written
    group_name: str = ""  # as the member's phone names the meeting

    @property
    def signers(self) -> frozenset[str]:
        return frozenset(m for m, _, _ in self.signed)

    def waiting_for(self, member_id: str) -> bool:
        """Whether `member_id`'s phone is asked and has not signed, nor the entry written."""
        return not self.written_seq and member_id in self.members and member_id not in self.signers


@dataclass
class _Desk:
    asks: dict[tuple[str, str, int], WitnessAsk] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_DESK = _Desk()


def _put(ask: WitnessAsk) -> WitnessAsk:
    with _DESK.lock:
        key = (ask.branch_id, ask.group_id, ask.month)
        _DESK.asks.pop(key, None)  # re-inserted last: the oldest is dropped first
        _DESK.asks[key] = ask
        while len(_DESK.asks) > limits.WITNESS_ASKS_MAX:
            del _DESK.asks[next(iter(_DESK.asks))]
    return ask


def ask(
    branch_id: str,
    group_id: str,
    month: int,
    heads: tuple[Head, ...],
    statement: bytes,
    members: frozenset[str],
    now_ms: int,
    group_name: str = "",
) -> WitnessAsk:
    """A new request for `group_id`'s meeting of `month` (replacing an earlier one: the
    signatures it held were over other heads)."""
    made = WitnessAsk(
        branch_id,
        group_id,
        month,
        heads,
        statement,
        now_ms,
        members,
        group_name=group_name or group_id,
    )
    return _put(made)


def asked(branch_id: str, group_id: str, month: int) -> WitnessAsk | None:
    with _DESK.lock:
        return _DESK.asks.get((branch_id, group_id, month))


def asks_for(branch_id: str, member_id: str) -> list[WitnessAsk]:
    """The requests waiting for `member_id`'s phone, oldest first."""
    with _DESK.lock:
        found = [a for a in _DESK.asks.values() if a.branch_id == branch_id]
    return sorted(
        (a for a in found if a.waiting_for(member_id)), key=lambda a: (a.asked_ms, a.group_id)
    )


def add_signature(
    branch_id: str, group_id: str, month: int, statement: bytes, member_id: str, key: str, sig: str
) -> WitnessAsk | None:
    """Add a member's signature over `statement`; None when the request is gone, was asked
    again over other heads (another statement), or is already written."""
    found = asked(branch_id, group_id, month)
    if found is None or found.statement != statement or not found.waiting_for(member_id):
        return None
    return _put(replace(found, signed=(*found.signed, (member_id, key, sig))))


def mark_written(branch_id: str, group_id: str, month: int, seq: int) -> WitnessAsk | None:
    found = asked(branch_id, group_id, month)
    return None if found is None else _put(replace(found, written_seq=seq))


def forget_all() -> None:
    """Empty the table (tests; a node that stops serving)."""
    with _DESK.lock:
        _DESK.asks.clear()
