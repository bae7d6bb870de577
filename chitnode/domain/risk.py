"""An explainable member risk score (0-100, higher = riskier), a loan limit, and eligibility.

Every point of the score comes from a named component with its own weight and a
sentence an employee can read out to the member. Integer arithmetic only.
"""

from __future__ import annotations

from dataclasses import dataclass

from chitnode.domain.money import format_inr, require_paise
from chitnode.errors import RuleViolation

SCORE_MAX = 100
# Weights sum to SCORE_MAX, so each component's points read as a share of the score.
PAYMENT_HISTORY_WEIGHT = 35
ARREARS_WEIGHT = 30
PRIZED_WEIGHT = 15
LOANS_WEIGHT = 20
# Arrears of this many monthly instalments (or more) score the full arrears weight.
ARREARS_FULL_INSTALMENTS = 3
# A prized member who furnished security owes future dues but has backed them.
PRIZED_SECURED_POINTS = 5

# Loan limit: a non-prized ticket's paid contributions back a loan up to 80%,
# leaving headroom for interest and recovery costs if the member defaults.
CONTRIBUTION_BACKING_PERCENT = 80
# Free security backs a loan at 4/3 cover, the Act's cover for future dues.
SECURITY_COVER_NUMERATOR = 4
SECURITY_COVER_DENOMINATOR = 3


def _share(part: int, whole: int, weight: int) -> int:
    """weight · part / whole, rounded half up, capped at weight (whole > 0)."""
    return min(weight, (2 * weight * part + whole) // (2 * whole))


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleViolation(f"{field} must be a non-negative integer", code="bad_risk_inputs")
    return value


@dataclass(frozen=True, slots=True)
class RiskInputs:
    """What the score looks at; amounts in paise, all taken from the folded ledger."""

    instalments_due: int
    instalments_on_time: int
    arrears_paise: int
    subscription_paise: int
    prized: bool
    prize_secured: bool
    outstanding_loans_paise: int
    contributed_paise: int

    def __post_init__(self) -> None:
        _count(self.instalments_due, "instalments_due")
        _count(self.instalments_on_time, "instalments_on_time")
        if self.instalments_on_time > self.instalments_due:
            raise RuleViolation(
                "more instalments on time than have fallen due", code="bad_risk_inputs"
            )
        require_paise(self.arrears_paise, field="arrears_paise", positive=False)
        require_paise(self.subscription_paise, field="subscription_paise")
        require_paise(self.outstanding_loans_paise, field="outstanding_loans_paise", positive=False)
        require_paise(self.contributed_paise, field="contributed_paise", positive=False)


@dataclass(frozen=True, slots=True)
class Component:
    """One named part of the score: `points` out of `weight`, and why."""

    name: str
    weight: int
    points: int
    explanation: str


@dataclass(frozen=True, slots=True)
class RiskScore:
    """The total (0-100) and the components it is the sum of."""

    total: int
    components: tuple[Component, ...]


def _payment_history(inputs: RiskInputs) -> Component:
    due, on_time = inputs.instalments_due, inputs.instalments_on_time
    if due == 0:
        return Component(
            "payment_history", PAYMENT_HISTORY_WEIGHT, 0, "no instalment has fallen due yet"
        )
    points = _share(due - on_time, due, PAYMENT_HISTORY_WEIGHT)
    text = f"paid {on_time} of {due} instalments on time ({due - on_time} late or missed)"
    return Component("payment_history", PAYMENT_HISTORY_WEIGHT, points, text)


def _arrears(inputs: RiskInputs) -> Component:
    arrears, subscription = inputs.arrears_paise, inputs.subscription_paise
    if arrears == 0:
        return Component("arrears", ARREARS_WEIGHT, 0, "no arrears")
    points = _share(arrears, subscription * ARREARS_FULL_INSTALMENTS, ARREARS_WEIGHT)
    tenths = (20 * arrears + subscription) // (2 * subscription)
    text = (
        f"{format_inr(arrears)} in arrears, about {tenths // 10}.{tenths % 10} monthly "
        f"instalments of {format_inr(subscription)} "
        f"({ARREARS_FULL_INSTALMENTS} or more score the full {ARREARS_WEIGHT})"
    )
    return Component("arrears", ARREARS_WEIGHT, points, text)


def _prized(inputs: RiskInputs) -> Component:
    if not inputs.prized:
        return Component("prized", PRIZED_WEIGHT, 0, "not yet prized: still owed a prize")
    if inputs.prize_secured:
        text = "prized, owes future dues, but has furnished security for them"
        return Component("prized", PRIZED_WEIGHT, PRIZED_SECURED_POINTS, text)
    text = "prized and owes future dues with no security furnished"
    return Component("prized", PRIZED_WEIGHT, PRIZED_WEIGHT, text)


def _loans(inputs: RiskInputs) -> Component:
    outstanding, contributed = inputs.outstanding_loans_paise, inputs.contributed_paise
    if outstanding == 0:
        return Component("outstanding_loans", LOANS_WEIGHT, 0, "no outstanding loans")
    # Borrowing with nothing contributed is fully unbacked.
    points = LOANS_WEIGHT if contributed == 0 else _share(outstanding, contributed, LOANS_WEIGHT)
    text = (
        f"{format_inr(outstanding)} of loans outstanding against "
        f"{format_inr(contributed)} contributed (equal or more scores the full {LOANS_WEIGHT})"
    )
    return Component("outstanding_loans", LOANS_WEIGHT, points, text)


def risk_score(inputs: RiskInputs) -> RiskScore:
    """Score a member: the sum of four weighted components, clamped to 0..100."""
    components = (_payment_history(inputs), _arrears(inputs), _prized(inputs), _loans(inputs))
    total = max(0, min(SCORE_MAX, sum(component.points for component in components)))
    return RiskScore(total, components)


def loan_limit_paise(
    contributed_paise: int,
    prized: bool,
    *,
    free_security_paise: int = 0,
    outstanding_loans_paise: int = 0,
) -> int:
    """The most a member may borrow now, after subtracting loans already outstanding.

    Non-prized: 80% of contributions paid, which the ticket still holds and
    which settle the loan if the member defaults. Prized: contributions give
    nothing, since the prize already paid them out and they are owed back as
    future dues. Either way, free security (beyond what backs the prize) adds
    3/4 of its value, i.e. the loan is covered 4/3 times. Rounded down.
    """
    require_paise(contributed_paise, field="contributed_paise", positive=False)
    require_paise(free_security_paise, field="free_security_paise", positive=False)
    require_paise(outstanding_loans_paise, field="outstanding_loans_paise", positive=False)
    backing = 0 if prized else contributed_paise * CONTRIBUTION_BACKING_PERCENT // 100
    secured = free_security_paise * SECURITY_COVER_DENOMINATOR // SECURITY_COVER_NUMERATOR
    return max(0, backing + secured - outstanding_loans_paise)


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Whether a loan request may go to sanction; `code` is stable, `reason` is for people."""

    ok: bool
    code: str
    reason: str


def eligibility(
    kyc_approved: bool, open_recovery_case: bool, requested_paise: int, limit_paise: int
) -> Eligibility:
    """Check a loan request in order: KYC, recovery, then the limit."""
    require_paise(requested_paise, field="requested_paise")
    require_paise(limit_paise, field="limit_paise", positive=False)
    if not kyc_approved:
        return Eligibility(False, "kyc_not_approved", "KYC is not approved yet")
    if open_recovery_case:
        return Eligibility(
            False, "open_recovery_case", "the member has an open recovery case for unpaid dues"
        )
    if requested_paise > limit_paise:
        reason = f"{format_inr(requested_paise)} is above the limit of {format_inr(limit_paise)}"
        return Eligibility(False, "above_limit", reason)
    reason = f"{format_inr(requested_paise)} is within the limit of {format_inr(limit_paise)}"
    return Eligibility(True, "eligible", reason)
