"""Read models over member wallets: balance, history pages, branch totals (int paise).

Pure functions of a `State` (projections are a cache of the log); the tables are
written by `wallet_kinds`. History is newest first, in pages of at most
`limits.WALLET_HISTORY_PAGE_MAX` moves, and costs O(page) whatever the wallet's age: moves are
numbered per wallet, so a page is a run of keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import limits
from chitnode.domain.state import BALANCES, State
from chitnode.domain.wallet_kinds import (
    WALLET_MOVES,
    WALLET_PREFIX,
    WALLETS,
    move_key,
    wallet_account,
)
from chitnode.errors import UsageError


@dataclass(frozen=True, slots=True)
class WalletMove:
    """One entry as it touched one wallet."""

    number: int  # 1 = the wallet's first move
    hash: str  # the entry, for the receipt and the audit trail
    kind: str
    amount_paise: int  # signed: + in, - out
    balance_after_paise: int
    counterparty: str  # the other member of a transfer, else ""
    ts_ms: int
    author: str  # the device that wrote the entry
    actor: str  # the member who acted through it, else ""
    bank_ref: str
    note: str


@dataclass(frozen=True, slots=True)
class HistoryPage:
    moves: tuple[WalletMove, ...]  # newest first
    next_before: int | None  # pass as `before` for the next (older) page; None at the end


@dataclass(frozen=True, slots=True)
class WalletSummary:
    member_id: str
    balance_paise: int
    moves: int
    in_paise: int  # lifetime money in (deposits, transfers received)
    out_paise: int  # lifetime money out (withdrawals, transfers sent)


def balance_paise(state: State, member_id: str) -> int:
    """The member's wallet balance; refused with `unknown_member` for a stranger."""
    base.member_row(state, member_id)
    return state.balance(wallet_account(member_id))


def summary(state: State, member_id: str) -> WalletSummary:
    base.member_row(state, member_id)
    row = state.get(WALLETS, member_id) or {"moves": 0, "in_paise": 0, "out_paise": 0}
    return WalletSummary(
        member_id=member_id,
        balance_paise=state.balance(wallet_account(member_id)),
        moves=int(row["moves"]),
        in_paise=int(row["in_paise"]),
        out_paise=int(row["out_paise"]),
    )


def history(
    state: State,
    member_id: str,
    *,
    limit: int = limits.WALLET_HISTORY_PAGE_DEFAULT,
    before: int | None = None,
) -> HistoryPage:
    """Moves of the wallet newest first: at most `limit`, all numbered below `before`."""
    if not 1 <= limit <= limits.WALLET_HISTORY_PAGE_MAX:
        raise UsageError(f"history page size must be 1..{limits.WALLET_HISTORY_PAGE_MAX}")
    base.member_row(state, member_id)
    count = int((state.get(WALLETS, member_id) or {"moves": 0})["moves"])
    top = count if before is None else min(count, before - 1)
    numbers = range(top, max(top - limit, 0), -1)
    moves = tuple(_move(state, member_id, n) for n in numbers)
    last = numbers[-1] if numbers else 1
    return HistoryPage(moves, last if last > 1 else None)


def _move(state: State, member_id: str, number: int) -> WalletMove:
    row = state.get(WALLET_MOVES, move_key(member_id, number))
    assert row is not None, f"wallet {member_id} lacks move {number}"  # written with the count
    return WalletMove(
        number=number,
        hash=str(row["hash"]),
        kind=str(row["kind"]),
        amount_paise=int(row["amount_paise"]),
        balance_after_paise=int(row["balance_after_paise"]),
        counterparty=str(row["counterparty"]),
        ts_ms=int(row["ts_ms"]),
        author=str(row["author"]),
        actor=str(row["actor"]),
        bank_ref=str(row["bank_ref"]),
        note=str(row["note"]),
    )


def wallet_balances(state: State) -> dict[str, int]:
    """Every wallet's balance by member id (wallets never touched are absent)."""
    n = len(WALLET_PREFIX)
    return {
        account[n:]: int(row["paise"])
        for account, row in state.rows(BALANCES).items()
        if account.startswith(WALLET_PREFIX)
    }


def members_total_paise(state: State) -> int:
    """What the branch holds for members in wallets: deposits - withdrawals, always."""
    return sum(wallet_balances(state).values())
