"""The member's receipts on the phone: which passbook line has one, and one shown as a QR.

A receipt is the signed entry itself (chitnode/services/member_receipts.py): the phone
shows it as a QR code and offers its file for download, so a member keeps a proof no
node can take back (docs/receipts.md). Plain functions of the fold's state and the
store's entries, run on the node thread; no Flet here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chitnode.domain.state import State
from chitnode.services import member_receipts as mr
from chitnode.services.receipt_pdf import receipt_qr
from chitnode.store.api import Store
from ui.vm import passbook as pb
from ui.vm import wallet

# Passbook lines of a chit group are told apart by group, month and ticket too; a loan's
# lines by their amount and moment alone (the passbook names the loan, the receipt the entry).
CHIT_LINES = frozenset({pb.CONTRIBUTION, pb.PRIZE_DEDUCTION, pb.PRIZE, pb.DIVIDEND})

LineKey = tuple[str, int, int, str, int, int]


def _key(category: str, ts_ms: int, amount: int, gid: str, month: int, ticket: int) -> LineKey:
    if category in CHIT_LINES:
        return (category, ts_ms, amount, gid, month, ticket)
    return (category, ts_ms, amount, "", 0, 0)


def refs_for_lines(
    lines: Sequence[pb.Line], receipts: Sequence[mr.MemberReceipt]
) -> tuple[str, ...]:
    """Each passbook line's receipt (its key, `<author>:<seq>/...`), "" for a line without one."""
    by_key: dict[LineKey, str] = {}
    for r in receipts:
        key = _key(r.category, r.entry.ts, r.amount_paise, r.group_id, r.month, r.ticket)
        by_key.setdefault(key, r.key)
    return tuple(
        by_key.get(
            _key(line.kind, line.ts_ms, line.amount_paise, line.group_id, line.month, line.ticket),
            "",
        )
        for line in lines
    )


def wallet_refs(
    moves: Sequence[wallet.Move], receipts: Sequence[mr.MemberReceipt]
) -> tuple[str, ...]:
    """Each wallet move's receipt key, "" for a move without one."""
    by_key: dict[tuple[str, int, int], str] = {}
    for r in receipts:
        if r.category == mr.WALLET:
            by_key.setdefault((r.entry.kind, r.entry.ts, r.amount_paise), r.key)
    return tuple(by_key.get((m.kind, m.ts_ms, abs(m.amount_paise)), "") for m in moves)


def receipts_of(state: State, store: Store, member_id: str) -> list[mr.MemberReceipt]:
    return mr.receipts_for(state, store, member_id)


def passbook_refs(
    state: State, store: Store, member_id: str, lines: Sequence[pb.Line]
) -> tuple[str, ...]:
    return refs_for_lines(lines, receipts_of(state, store, member_id))


@dataclass(frozen=True, slots=True)
class ReceiptShown:
    """One receipt as the phone shows it."""

    ref: str  # the receipt's key among the member's (`<author>:<seq>/<category>/<ticket>`)
    what: str
    ts_ms: int
    category: str  # the passbook's word for it (pb.KINDS), "" for a wallet move
    amount_paise: int
    entry_hash: str
    file_name: str
    file_bytes: bytes  # what the download gives and the QR code holds
    qr_png: bytes


def receipt_shown(state: State, store: Store, member_id: str, ref: str) -> ReceiptShown | None:
    """The member's receipt at `ref`; None when the member has none there (not theirs)."""
    try:
        receipt = mr.find_receipt(mr.receipts_for(state, store, member_id), ref)
    except mr.ReceiptNotFound:
        return None
    data = receipt.to_bytes()
    category = receipt.category if receipt.category in pb.KINDS else ""
    return ReceiptShown(
        ref=receipt.key,
        what=receipt.what,
        ts_ms=receipt.entry.ts,
        category=category,
        amount_paise=receipt.amount_paise,
        entry_hash=receipt.entry.hash,
        file_name=receipt.file_name,
        file_bytes=data,
        qr_png=receipt_qr(receipt),
    )
