"""Risk score, loan limit and eligibility: explainable, integer, bounded."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chitnode.domain.risk import (
    Component,
    Eligibility,
    RiskInputs,
    eligibility,
    loan_limit_paise,
    risk_score,
)
from chitnode.errors import RuleViolation

SUBSCRIPTION_PAISE = 500_000  # ₹5,000 a month


def good_member() -> RiskInputs:
    return RiskInputs(
        instalments_due=10,
        instalments_on_time=10,
        arrears_paise=0,
        subscription_paise=SUBSCRIPTION_PAISE,
        prized=False,
        prize_secured=False,
        outstanding_loans_paise=0,
        contributed_paise=10 * SUBSCRIPTION_PAISE,
    )


def points(inputs: RiskInputs) -> dict[str, int]:
    return {c.name: c.points for c in risk_score(inputs).components}


def test_a_member_who_always_paid_scores_zero() -> None:
    score = risk_score(good_member())
    assert score.total == 0
    assert [c.name for c in score.components] == [
        "payment_history",
        "arrears",
        "prized",
        "outstanding_loans",
    ]
    assert sum(c.weight for c in score.components) == 100


def test_worst_member_scores_one_hundred() -> None:
    worst = RiskInputs(10, 0, 3 * SUBSCRIPTION_PAISE, SUBSCRIPTION_PAISE, True, False, 1, 0)
    assert risk_score(worst).total == 100


def test_payment_history_is_the_late_share_of_its_weight() -> None:
    assert (
        points(replace(good_member(), instalments_on_time=8))["payment_history"] == 7
    )  # 35 x 2/10
    first = risk_score(replace(good_member(), instalments_due=0, instalments_on_time=0))
    assert first.components[0] == Component(
        "payment_history", 35, 0, "no instalment has fallen due yet"
    )


def test_arrears_explanation_and_points() -> None:
    member = replace(good_member(), arrears_paise=750_000)  # 1.5 instalments
    arrears = risk_score(member).components[1]
    assert arrears.points == 15  # 30 x 1.5 / 3
    assert arrears.explanation == (
        "₹7,500.00 in arrears, about 1.5 monthly instalments of ₹5,000.00 "
        "(3 or more score the full 30)"
    )
    assert points(replace(good_member(), arrears_paise=10**9))["arrears"] == 30


def test_prized_unsecured_is_riskier_than_secured() -> None:
    secured = points(replace(good_member(), prized=True, prize_secured=True))["prized"]
    unsecured = points(replace(good_member(), prized=True))["prized"]
    assert (secured, unsecured) == (5, 15)


def test_outstanding_loans_against_contributions() -> None:
    member = replace(good_member(), outstanding_loans_paise=2_500_000)  # half of contributions
    assert points(member)["outstanding_loans"] == 10
    unbacked = replace(good_member(), contributed_paise=0, outstanding_loans_paise=1)
    assert points(unbacked)["outstanding_loans"] == 20


@pytest.mark.parametrize(
    "changes",
    [
        {"instalments_on_time": 11},
        {"instalments_due": -1},
        {"subscription_paise": 0},
        {"arrears_paise": -5},
        {"contributed_paise": 1.5},
    ],
)
def test_bad_inputs_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(RuleViolation):
        replace(good_member(), **changes)


@st.composite
def risk_inputs(draw: st.DrawFn) -> RiskInputs:
    due = draw(st.integers(0, 600))
    paise = st.integers(0, 10**11)
    return RiskInputs(
        instalments_due=due,
        instalments_on_time=draw(st.integers(0, due)),
        arrears_paise=draw(paise),
        subscription_paise=draw(st.integers(1, 10**9)),
        prized=draw(st.booleans()),
        prize_secured=draw(st.booleans()),
        outstanding_loans_paise=draw(paise),
        contributed_paise=draw(paise),
    )


@given(risk_inputs())
def test_score_is_the_bounded_sum_of_explained_components(inputs: RiskInputs) -> None:
    score = risk_score(inputs)
    assert 0 <= score.total <= 100
    assert score.total == sum(c.points for c in score.components)
    assert all(0 <= c.points <= c.weight and c.explanation for c in score.components)


@given(risk_inputs(), st.integers(1, 10**9))
def test_more_arrears_never_lowers_the_score(inputs: RiskInputs, extra: int) -> None:
    worse = replace(inputs, arrears_paise=inputs.arrears_paise + extra)
    assert risk_score(worse).total >= risk_score(inputs).total


# --- loan limit and eligibility ----------------------------------------------------


def test_non_prized_limit_is_eighty_percent_of_contributions() -> None:
    assert loan_limit_paise(5_000_000, prized=False) == 4_000_000
    assert loan_limit_paise(5_000_000, prized=False, outstanding_loans_paise=1_000_000) == 3_000_000
    assert loan_limit_paise(999, prized=False) == 799  # rounded down


def test_prized_limit_comes_only_from_free_security() -> None:
    assert loan_limit_paise(5_000_000, prized=True) == 0
    assert loan_limit_paise(5_000_000, prized=True, free_security_paise=4_000_000) == 3_000_000
    assert loan_limit_paise(0, prized=True, free_security_paise=4, outstanding_loans_paise=9) == 0


@given(st.integers(0, 10**11), st.booleans(), st.integers(0, 10**11), st.integers(0, 10**11))
def test_limit_is_never_negative_and_covered(
    contributed: int, prized: bool, security: int, outstanding: int
) -> None:
    limit = loan_limit_paise(
        contributed, prized, free_security_paise=security, outstanding_loans_paise=outstanding
    )
    assert limit >= 0
    backing = 0 if prized else contributed * 8 // 10
    # Whatever is lent, old and new, is backed by 80% of contributions or 4/3 security.
    assert limit + outstanding <= max(outstanding, backing + security * 3 // 4)


@pytest.mark.parametrize(
    ("kyc", "recovery", "requested", "expected"),
    [
        (False, True, 10**9, "kyc_not_approved"),
        (True, True, 100, "open_recovery_case"),
        (True, False, 4_000_001, "above_limit"),
        (True, False, 4_000_000, "eligible"),
    ],
)
def test_eligibility_checks_in_order(
    kyc: bool, recovery: bool, requested: int, expected: str
) -> None:
    verdict = eligibility(kyc, recovery, requested, 4_000_000)
    assert (verdict.code, verdict.ok) == (expected, expected == "eligible")


def test_eligibility_reason_is_readable() -> None:
    assert eligibility(True, False, 4_000_001, 4_000_000) == Eligibility(
        False, "above_limit", "₹40,000.01 is above the limit of ₹40,000.00"
    )


def test_eligibility_refuses_a_non_positive_request() -> None:
    with pytest.raises(RuleViolation) as caught:
        eligibility(True, False, 0, 100)
    assert caught.value.code == "non_positive_amount"
