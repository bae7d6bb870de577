"""Reducing-balance EMI, schedules and repayments: exact to the paisa."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from chitnode.domain.emi import (
    LoanAccount,
    RepaymentSplit,
    emi_paise,
    fall_due,
    monthly_rate,
    open_account,
    repay,
    round_half_up,
    schedule,
)
from chitnode.errors import RuleViolation

ONE_LAKH_PAISE = 10_000_000

# Terms a branch actually lends on: ₹1,000 .. ₹1 crore, 0-36% p.a., up to 10 years.
realistic_principal = st.integers(100_000, 1_000_000_000)
realistic_rate = st.integers(0, 3_600)
realistic_months = st.integers(1, 120)


def test_one_lakh_at_ten_percent_for_a_year() -> None:
    assert emi_paise(ONE_LAKH_PAISE, 1_000, 12) == 879_159


def test_one_lakh_schedule_rows() -> None:
    rows = schedule(ONE_LAKH_PAISE, 1_000, 12)
    assert rows[0].interest_paise == 83_333  # 1,00,000 x 10% / 12 = 833.333...
    assert rows[0].principal_paise == 879_159 - 83_333
    assert rows[0].balance_paise == ONE_LAKH_PAISE - 795_826
    assert [r.month for r in rows] == list(range(1, 13))
    assert all(r.emi_paise == 879_159 for r in rows[:-1])
    last = rows[-1]
    assert (last.emi_paise, last.interest_paise, last.principal_paise) == (879_156, 7_266, 871_890)
    assert last.balance_paise == 0
    assert sum(r.principal_paise for r in rows) == ONE_LAKH_PAISE


def test_zero_rate_puts_the_remainder_in_the_last_instalment() -> None:
    assert emi_paise(1_000_001, 0, 12) == 83_333
    rows = schedule(1_000_001, 0, 12)
    assert [r.emi_paise for r in rows] == [83_333] * 11 + [83_338]
    assert all(r.interest_paise == 0 for r in rows)


def test_one_month_repays_principal_plus_one_month_interest() -> None:
    (only,) = schedule(1_200_000, 1_200, 1)
    assert (only.emi_paise, only.interest_paise, only.principal_paise) == (
        1_212_000,
        12_000,
        1_200_000,
    )


def test_round_half_up() -> None:
    assert [round_half_up(Fraction(n, 2)) for n in (1, 3, 5, -1, -3)] == [1, 2, 3, -1, -2]
    assert round_half_up(Fraction(49, 100)) == 0


@pytest.mark.parametrize(
    ("principal", "rate", "months", "code"),
    [
        (0, 1_000, 12, "non_positive_amount"),
        (1.5, 1_000, 12, "not_integer_paise"),
        (100, 1_000, 0, "bad_tenure"),
        (100, 1_000, 361, "bad_tenure"),
        (100, -1, 12, "bad_rate"),
        (100, 5_001, 12, "bad_rate"),
        (10**12 + 1, 1_000, 12, "bad_principal"),
    ],
)
def test_bad_terms_are_refused(principal: int, rate: int, months: int, code: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        emi_paise(principal, rate, months)
    assert caught.value.code == code


@given(realistic_principal, realistic_rate, realistic_months)
def test_schedule_repays_exactly(principal: int, rate: int, months: int) -> None:
    rows = schedule(principal, rate, months)
    assert len(rows) == months
    assert sum(r.principal_paise for r in rows) == principal
    assert rows[-1].balance_paise == 0
    assert all(r.interest_paise + r.principal_paise == r.emi_paise for r in rows)
    assert all(r.balance_paise > 0 for r in rows[:-1])
    # Each month rounds the EMI and the interest by at most half a paisa each; that
    # error compounds at the loan's rate, so the last instalment differs from the
    # EMI by at most the annuity factor ((1+r)^n - 1) / r paise (n paise at 0%).
    r = monthly_rate(rate)
    drift_max = months if rate == 0 else ((1 + r) ** months - 1) / r
    assert abs(rows[-1].emi_paise - emi_paise(principal, rate, months)) <= drift_max


@given(st.integers(1, 10**12), st.integers(0, 5_000), st.integers(1, 360))
def test_schedule_is_exact_or_refused_over_the_whole_domain(
    principal: int, rate: int, months: int
) -> None:
    try:
        rows = schedule(principal, rate, months)
    except RuleViolation as error:
        assert error.code == "principal_too_small"
        return
    assert sum(r.principal_paise for r in rows) == principal
    assert all(r.balance_paise >= 0 and r.principal_paise >= 0 for r in rows)


def test_rounding_that_would_overpay_early_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        schedule(10_000, 2_400, 240)  # ₹100 over 20 years at 24%
    assert caught.value.code == "principal_too_small"


# --- loan account ------------------------------------------------------------------


def test_paying_each_emi_on_time_follows_the_schedule() -> None:
    account = open_account(ONE_LAKH_PAISE, 1_000, 12)
    for row in schedule(ONE_LAKH_PAISE, 1_000, 12):
        account = fall_due(account)
        assert account.arrears_paise == row.emi_paise
        account, split = repay(account, row.emi_paise)
        assert split == RepaymentSplit(row.interest_paise, row.principal_paise, 0)
        assert account.outstanding_paise == row.balance_paise
    assert account.closed
    with pytest.raises(RuleViolation) as caught:
        fall_due(account)
    assert caught.value.code == "loan_closed"


def test_partial_payment_goes_to_interest_first() -> None:
    account = fall_due(open_account(ONE_LAKH_PAISE, 1_000, 12))
    account, split = repay(account, 50_000)
    assert split == RepaymentSplit(50_000, 0, 0)
    assert account.interest_due_paise == 33_333
    assert account.principal_due_paise == 795_826
    assert account.outstanding_paise == ONE_LAKH_PAISE


def test_early_repayment_keeps_emi_and_shortens_tenure() -> None:
    account = open_account(ONE_LAKH_PAISE, 1_000, 12)
    account = fall_due(account)
    account, split = repay(account, 879_159 + 5_000_000)
    assert split == RepaymentSplit(83_333, 795_826, 5_000_000)
    assert account.outstanding_paise == ONE_LAKH_PAISE - 795_826 - 5_000_000
    months = 1
    while not account.closed:
        account = fall_due(account)
        months += 1
        assert account.arrears_paise <= account.emi_paise
        account, _ = repay(account, account.arrears_paise)
    assert months < 12
    assert account.principal_repaid_paise == ONE_LAKH_PAISE


def test_arrears_accrue_interest_on_all_outstanding_principal() -> None:
    account = fall_due(fall_due(open_account(ONE_LAKH_PAISE, 1_000, 12)))
    assert account.instalments_due == 2
    assert account.interest_due_paise == 2 * 83_333  # nothing repaid, same balance
    assert account.principal_due_paise == 2 * (879_159 - 83_333)


def test_overpayment_is_refused() -> None:
    account = fall_due(open_account(1_000_000, 1_200, 12))
    with pytest.raises(RuleViolation) as caught:
        repay(account, account.interest_due_paise + 1_000_001)
    assert caught.value.code == "repayment_exceeds_owed"


def test_inconsistent_account_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        LoanAccount(100, 0, 1, 100, outstanding_paise=50)
    assert caught.value.code == "bad_loan_account"


@given(
    realistic_principal,
    realistic_rate,
    realistic_months,
    st.lists(st.tuples(st.booleans(), st.integers(1, 10**9)), max_size=40),
)
def test_repayments_never_overdraw_principal(
    principal: int, rate: int, months: int, steps: list[tuple[bool, int]]
) -> None:
    account = open_account(principal, rate, months)
    for month_passes, amount in steps:
        if month_passes and not account.closed:
            account = fall_due(account)
            continue
        payable = account.interest_due_paise + account.outstanding_paise
        assume(payable > 0)
        pay = min(amount, payable)
        before = account
        account, split = repay(account, pay)
        assert split.interest_paise + split.principal_paise + split.early_principal_paise == pay
        assert split.interest_paise <= before.interest_due_paise
        assert account.outstanding_paise >= 0
        assert account.principal_repaid_paise <= principal
        assert account.outstanding_paise + account.principal_repaid_paise == principal
    assert 0 <= account.principal_due_paise <= account.outstanding_paise
