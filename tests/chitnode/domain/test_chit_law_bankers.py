"""Issue 14, point 5: loans may not take the cash of a declared, unpaid prize.

A prize is paid once and never comes back, so the Banker's check holds what an
unpaid prize is owed back from what loans may draw on its group's pool
(docs/bankers.md, "Unpaid prizes and loans"). The story is replayed through the
node: a month-1 prize declared but not paid yet, then loan disbursements from
the group pool until one is refused; the prize can be paid at every step.
"""

from __future__ import annotations

import pytest

from chitnode.domain import bankers
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import loan_views as lv
from chitnode.errors import ChitError
from chitnode.node.node import Node
from tests.support.clock import FakeClock
from tests.support.driver import DAY_MS, ChitDriver
from tests.support.loans import GID, LAKH, THOUSAND, disburse, make_branch, sanctioned

POOL = f"{bankers.GROUP_POOL_PREFIX}{GID}"
TRANCHE = 25 * THOUSAND  # small enough that one of them fits just below the prize's cash
BORROWERS = ("M1", "M2", "M3", "M4")


@pytest.fixture
def branch(fresh_node: Node, clock: FakeClock) -> ChitDriver:
    return make_branch(fresh_node, clock)


def prize_cash(driver: ChitDriver) -> int:
    group = driver.group(GID)
    return base.prize_cash_paise(driver.state, group, driver.settlement(GID, 1))


def pool_cash(driver: ChitDriver) -> int:
    return driver.state.balance(base.pool_account(GID))


def test_loans_cannot_eat_into_an_unpaid_prize(branch: ChitDriver) -> None:
    # Four loans on the group pool, sanctioned while the pool was all free cash.
    for number, member in enumerate(BORROWERS, start=1):
        sanctioned(branch, f"L-{number}", member, LAKH, scope=POOL)
    branch.clock.advance(20 * DAY_MS)
    branch.auction(GID)  # month 1's prize is declared, not paid
    owed = prize_cash(branch)
    assert owed <= pool_cash(branch)
    assert pool_cash(branch) - owed < len(BORROWERS) * LAKH  # the loans could take it all

    # s.14: the winner's own loan is no longer disbursed (its ticket is prized)
    winner = branch.settlement(GID, 1)["winner_member"]
    lendable = [f"L-{n}" for n, member in enumerate(BORROWERS, start=1) if member != winner]
    granted, refusal = 0, None
    for _ in range(len(lendable) * LAKH // TRANCHE):
        loan_id = lendable[granted // (LAKH // TRANCHE)]
        count = branch.node.store.count()
        try:
            disburse(branch, loan_id, TRANCHE)
        except ChitError as error:
            refusal = error
            assert branch.node.store.count() == count  # refused: nothing written
            break
        granted += 1
        assert pool_cash(branch) >= owed  # the prize can still be paid in full
    assert refusal is not None and refusal.code == "prize_reserved"
    assert "prize" in refusal.message
    assert pool_cash(branch) - owed < TRANCHE  # refused exactly when it would eat into it
    assert granted == (pool_cash(branch) + granted * TRANCHE - owed) // TRANCHE

    # The prize is paid from what the loans left.
    branch.attest(GID, 1)
    branch.secure(GID, 1, deduction=False)
    assert branch.pay_prizes(GID) == [1]
    assert branch.settlement(GID, 1)["prize_paid"]


def test_a_paid_prize_frees_nothing_and_holds_nothing(branch: ChitDriver) -> None:
    sanctioned(branch, "L-1", "M1", LAKH, scope=POOL)
    branch.clock.advance(20 * DAY_MS)
    branch.auction(GID)
    held = lv.pool_state(branch.state, POOL)
    assert held.reserved == (prize_cash(branch),)
    assert held.available == (pool_cash(branch) - prize_cash(branch),)
    branch.attest(GID, 1)
    branch.secure(GID, 1, deduction=False)
    assert branch.pay_prizes(GID) == [1]
    after = lv.pool_state(branch.state, POOL)
    assert after.reserved == () and after.available == (pool_cash(branch),)


def test_the_reserve_is_a_rule_of_the_pure_check() -> None:
    # The figures: a ₹95,000 prize declared, ₹1,18,000 in the pool.
    prize = bankers.LoanClaim("prize G month 1", "group:G", 95_000_00, releases=False)
    first = bankers.LoanClaim("loan L-1", "group:G", 1_00_000_00, 77_000_00)
    second = bankers.LoanClaim("loan L-2", "group:G", 50_000_00)
    state = bankers.branch_loan_state({"group:G": 1_18_000_00}, [prize, first, second])
    assert state.processes == ("loan L-1", "loan L-2") and state.reserved == (95_000_00,)
    assert state.available == (23_000_00,)
    eats = bankers.branch_request(state, "loan L-2", {"group:G": 24_000_00})
    assert not eats.granted and eats.code == "prize_reserved"
    fits = bankers.branch_request(state, "loan L-1", {"group:G": 23_000_00})
    assert fits.granted and fits.new_state is not None
    assert fits.new_state.reserved == (95_000_00,)
    beyond = bankers.branch_request(state, "loan L-2", {"group:G": 1_19_000_00})
    assert not beyond.granted and beyond.code == "request_exceeds_claim"
    short = bankers.branch_loan_state({"group:G": 90_000_00}, [prize, second])
    assert short.available == (0,) and short.reserved == (90_000_00,)
