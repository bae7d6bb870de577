"""The member's inbox: minutes waiting for my attestation, agreements to sign, and news.

Phones are shared (UX.md rule 10), so the news lines name what happened, where and its
reference, never an amount: the passbook and the wallet, behind the PIN, show those.
"""

from __future__ import annotations

from dataclasses import dataclass

from ui import limits
from ui.backend import Reading
from ui.vm import passbook, wallet
from ui.vm.member import (
    Agreement,
    MinutesToAttest,
    agreements_to_sign,
    member_name,
    minutes_to_attest,
)


@dataclass(frozen=True, slots=True)
class News:
    """A notification line: what happened, where, and its reference; never an amount."""

    kind: str  # a passbook or wallet line's kind
    ts_ms: int
    group_id: str
    month: int
    reference: str


@dataclass(frozen=True, slots=True)
class Inbox:
    to_attest: tuple[MinutesToAttest, ...]
    to_sign: tuple[Agreement, ...]
    news: tuple[News, ...]  # newest first, no amounts


def build_inbox(r: Reading, member_id: str) -> Inbox:
    state = r.state
    member_name(state, member_id)  # unknown_member for a stranger
    lines = [
        News(line.kind, line.ts_ms, line.group_id, line.month, line.reference)
        for line in passbook.build_passbook(r, member_id).lines
    ]
    lines += [
        News(move.kind, move.ts_ms, "", 0, move.reference)
        for move in wallet.build_wallet(r, member_id).moves
    ]
    lines.sort(key=lambda n: (-n.ts_ms, n.reference))
    return Inbox(
        to_attest=tuple(minutes_to_attest(state, member_id)),
        to_sign=tuple(agreements_to_sign(state, member_id)),
        news=tuple(lines[: limits.INBOX_ITEMS_MAX]),
    )
