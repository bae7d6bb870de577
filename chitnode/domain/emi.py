"""Reducing-balance EMI: the instalment, the schedule, and a loan account that takes repayments.

All arithmetic is exact (`int` and `fractions.Fraction`); amounts are rounded to
the paisa half up only where money changes hands. The rate is in basis points
per year (1000 bp = 10% p.a.) and is charged monthly at annual / 12.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from chitnode.domain.limits import (
    LOAN_PRINCIPAL_PAISE_MAX,
    LOAN_RATE_BPS_MAX,
    LOAN_TENURE_MONTHS_MAX,
)
from chitnode.domain.money import format_inr, require_paise
from chitnode.errors import RuleViolation

BASIS_POINTS = 10_000
MONTHS_PER_YEAR = 12


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves away from zero (a paisa and a half is two paise)."""
    magnitude = (2 * abs(value.numerator) + value.denominator) // (2 * value.denominator)
    return magnitude if value >= 0 else -magnitude


def monthly_rate(annual_rate_bps: int) -> Fraction:
    """The exact monthly rate for an annual rate in basis points."""
    return Fraction(annual_rate_bps, BASIS_POINTS * MONTHS_PER_YEAR)


def _check_terms(principal_paise: int, annual_rate_bps: int, months: int) -> None:
    require_paise(principal_paise, field="principal_paise")
    if principal_paise > LOAN_PRINCIPAL_PAISE_MAX:
        raise RuleViolation(
            f"principal above the {format_inr(LOAN_PRINCIPAL_PAISE_MAX)} limit",
            code="bad_principal",
        )
    if isinstance(months, bool) or not isinstance(months, int):
        raise RuleViolation("tenure must be a whole number of months", code="bad_tenure")
    if not 1 <= months <= LOAN_TENURE_MONTHS_MAX:
        raise RuleViolation(f"tenure must be 1..{LOAN_TENURE_MONTHS_MAX} months", code="bad_tenure")
    if isinstance(annual_rate_bps, bool) or not isinstance(annual_rate_bps, int):
        raise RuleViolation("rate must be whole basis points", code="bad_rate")
    if not 0 <= annual_rate_bps <= LOAN_RATE_BPS_MAX:
        raise RuleViolation(f"rate must be 0..{LOAN_RATE_BPS_MAX} basis points", code="bad_rate")


def emi_paise(principal_paise: int, annual_rate_bps: int, months: int) -> int:
    """EMI = P·r·(1+r)^n / ((1+r)^n − 1), exact, rounded half up to the paisa.

    At zero rate it is P // n; the remainder is paid with the last instalment.
    """
    _check_terms(principal_paise, annual_rate_bps, months)
    if annual_rate_bps == 0:
        return principal_paise // months
    rate = monthly_rate(annual_rate_bps)
    growth = (1 + rate) ** months
    return round_half_up(principal_paise * rate * growth / (growth - 1))


@dataclass(frozen=True, slots=True)
class Instalment:
    """One month of a schedule; interest + principal == emi, balance is after payment."""

    month: int
    emi_paise: int
    interest_paise: int
    principal_paise: int
    balance_paise: int


def schedule(principal_paise: int, annual_rate_bps: int, months: int) -> tuple[Instalment, ...]:
    """The full reducing-balance schedule; the last instalment absorbs all rounding.

    Interest each month is the balance times the monthly rate, rounded half up.
    The last instalment repays the whole remaining balance, so principal parts
    sum to the principal exactly and the final balance is 0. Where rounding
    would overpay the loan before its last month (a tiny principal over a long,
    dear tenure), the terms are refused: the schedule would not be the loan.
    Rounding compounds at the loan's rate, so the last instalment differs from
    the EMI by at most ((1+r)^n − 1)/r paise: a few paise for branch terms, a
    balloon at extreme ones (50% p.a. over 30 years).
    """
    emi = emi_paise(principal_paise, annual_rate_bps, months)
    rate = monthly_rate(annual_rate_bps)
    balance = principal_paise
    rows: list[Instalment] = []
    for month in range(1, months + 1):
        interest = round_half_up(balance * rate)
        principal_part = balance if month == months else emi - interest
        if principal_part < 0 or principal_part > balance:
            raise RuleViolation(
                f"{format_inr(principal_paise)} over {months} months is too small to "
                "schedule exactly at this rate",
                code="principal_too_small",
            )
        balance -= principal_part
        rows.append(Instalment(month, interest + principal_part, interest, principal_part, balance))
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class LoanAccount:
    """A disbursed loan as it is repaid: what is still owed, and what has fallen due.

    `outstanding_paise` is all principal not yet repaid; `principal_due_paise`
    and `interest_due_paise` are the parts of it (and interest) that have fallen
    due and are unpaid, i.e. the arrears. `instalments_due` counts the months
    that have passed.
    """

    principal_paise: int
    annual_rate_bps: int
    months: int
    emi_paise: int
    outstanding_paise: int
    principal_due_paise: int = 0
    interest_due_paise: int = 0
    instalments_due: int = 0
    principal_repaid_paise: int = 0
    interest_paid_paise: int = 0

    def __post_init__(self) -> None:
        counters = (
            self.emi_paise,
            self.principal_due_paise,
            self.interest_due_paise,
            self.instalments_due,
            self.principal_repaid_paise,
            self.interest_paid_paise,
        )
        owed = self.principal_paise - self.principal_repaid_paise
        # Every paisa lent is either repaid or outstanding; arrears are part of outstanding.
        if (
            min(counters) < 0
            or self.outstanding_paise != owed
            or (self.principal_due_paise > self.outstanding_paise)
        ):
            raise RuleViolation("inconsistent loan account", code="bad_loan_account")

    @property
    def arrears_paise(self) -> int:
        """Fallen due and unpaid: principal and interest."""
        return self.principal_due_paise + self.interest_due_paise

    @property
    def closed(self) -> bool:
        """Nothing left to pay."""
        return self.outstanding_paise == 0 and self.interest_due_paise == 0


def open_account(principal_paise: int, annual_rate_bps: int, months: int) -> LoanAccount:
    """A freshly disbursed loan: nothing due yet, the whole principal outstanding."""
    emi = emi_paise(principal_paise, annual_rate_bps, months)
    return LoanAccount(principal_paise, annual_rate_bps, months, emi, principal_paise)


def fall_due(account: LoanAccount) -> LoanAccount:
    """One month passes: that month's interest and instalment principal fall due.

    Interest runs on all outstanding principal, arrears included (no penal rate
    here). The EMI is kept after an early repayment, so more of it is principal
    and the loan ends sooner; the month that ends the tenure, or the one whose
    EMI covers what is left, makes the rest of the principal due.
    """
    if account.closed:
        raise RuleViolation("the loan is fully repaid", code="loan_closed")
    interest = round_half_up(account.outstanding_paise * monthly_rate(account.annual_rate_bps))
    not_yet_due = account.outstanding_paise - account.principal_due_paise
    month = account.instalments_due + 1
    principal_part = not_yet_due if month >= account.months else account.emi_paise - interest
    principal_part = max(0, min(principal_part, not_yet_due))
    return replace(
        account,
        principal_due_paise=account.principal_due_paise + principal_part,
        interest_due_paise=account.interest_due_paise + interest,
        instalments_due=month,
    )


@dataclass(frozen=True, slots=True)
class RepaymentSplit:
    """Where one repayment went: interest due, then principal due, then early principal."""

    interest_paise: int
    principal_paise: int
    early_principal_paise: int


def repay(account: LoanAccount, amount_paise: int) -> tuple[LoanAccount, RepaymentSplit]:
    """Apply a repayment: interest due first, then principal due, then principal early.

    Early principal reduces the outstanding balance; the EMI stays the same and
    the tenure shortens. Paying more than is owed is refused, never kept.
    """
    require_paise(amount_paise)
    payable = account.interest_due_paise + account.outstanding_paise
    if amount_paise > payable:
        raise RuleViolation(
            f"{format_inr(amount_paise)} is more than the {format_inr(payable)} owed",
            code="repayment_exceeds_owed",
        )
    interest = min(amount_paise, account.interest_due_paise)
    principal = min(amount_paise - interest, account.principal_due_paise)
    early = amount_paise - interest - principal
    repaid = principal + early
    updated = replace(
        account,
        outstanding_paise=account.outstanding_paise - repaid,
        principal_due_paise=account.principal_due_paise - principal,
        interest_due_paise=account.interest_due_paise - interest,
        principal_repaid_paise=account.principal_repaid_paise + repaid,
        interest_paid_paise=account.interest_paid_paise + interest,
    )
    return updated, RepaymentSplit(interest, principal, early)


def accrued_interest_paise(account: LoanAccount, elapsed_ms: int, month_ms: int) -> int:
    """Interest run on the outstanding principal since the last EMI fell due, not yet due.

    Simple interest for `elapsed_ms` of a `month_ms` loan month at the monthly rate,
    rounded half up: what settles a loan between due dates (a prize netting it, s.14).
    """
    if elapsed_ms <= 0 or account.outstanding_paise == 0:
        return 0
    share = Fraction(elapsed_ms, month_ms)
    return round_half_up(account.outstanding_paise * monthly_rate(account.annual_rate_bps) * share)
