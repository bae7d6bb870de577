"""Loan kinds through Node.submit: the lifecycle, eligibility, the Banker's gate, recovery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chitnode.domain import bankers, emi
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views as views
from chitnode.domain import loan_views as lv
from chitnode.errors import ChitError
from chitnode.node.node import Node
from tests.support.clock import FakeClock
from tests.support.driver import DAY_MS, ChitDriver
from tests.support.feeds import BRANCH, Feed, seeded_key
from tests.support.loans import (
    GID,
    LAKH,
    RUPEE,
    THOUSAND,
    apply,
    approved,
    disburse,
    emi_due,
    fund,
    loan,
    make_branch,
    repay,
    sanctioned,
)

# --- fixtures and helpers ---------------------------------------------------------------


@pytest.fixture
def branch(fresh_node: Node, clock: FakeClock) -> ChitDriver:
    return make_branch(fresh_node, clock)


def refused(driver: ChitDriver, kind: str, body: dict[str, Any]) -> ChitError:
    """Submit a command that must be refused: no entry appended, the state unchanged (G9)."""
    node = driver.node
    before, count = node.engine.digest(), node.store.count()
    with pytest.raises(ChitError) as info:
        node.submit(kind, body)
    assert node.engine.digest() == before
    assert node.store.count() == count
    return info.value


def code_of(driver: ChitDriver, kind: str, body: dict[str, Any]) -> str:
    return refused(driver, kind, body).code


def books_balance(driver: ChitDriver) -> None:
    assert views.balances_total_paise(driver.state) == 0  # G1
    assert views.negative_accounts(driver.state) == []  # G2


# --- application and decision ----------------------------------------------------------------


def test_application_stores_the_emi_preview_and_the_branch_rate(branch: ChitDriver) -> None:
    apply(branch, "L-1", "M1", LAKH)
    row = loan(branch, "L-1")
    assert row["status"] == lv.APPLIED
    assert row["emi_paise"] == 879_159  # ₹1,00,000 at 10% for 12 months: ₹8,791.59
    branch.submit("loan.rate_set", {"annual_rate_bps": 1_500})
    body = {"loan_id": "L-2", "member_id": "M2", "amount_paise": LAKH, "tenure_months": 12}
    branch.submit("loan.applied", {**body, "purpose": "school fees", "actor": "M2"})
    assert loan(branch, "L-2")["annual_rate_bps"] == 1_500
    assert loan(branch, "L-2")["emi_paise"] == emi.emi_paise(LAKH, 1_500, 12)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"tenure_months": 0}, "bad_tenure"),
        ({"tenure_months": 361}, "bad_tenure"),
        ({"annual_rate_bps": 5_001}, "bad_rate"),
        ({"amount_paise": 0}, "non_positive_amount"),
        ({"amount_paise": -100}, "non_positive_amount"),
        ({"amount_paise": 10.5}, "bad_format"),
        ({"member_id": "M99"}, "unknown_member"),
        ({"purpose": "  "}, "note_required"),
        ({"actor": "M2"}, "actor_mismatch"),
        ({"loan_id": "bad id"}, "bad_loan_id"),
        ({"extra": 1}, "bad_body"),
        (
            {"amount_paise": 10_000, "tenure_months": 240, "annual_rate_bps": 2_400},
            "principal_too_small",
        ),
    ],
)
def test_application_refusals(branch: ChitDriver, change: dict[str, Any], code: str) -> None:
    body = {
        "loan_id": "L-1",
        "member_id": "M1",
        "amount_paise": LAKH,
        "tenure_months": 12,
        "purpose": "shop",
        "actor": "M1",
        **change,
    }
    assert code_of(branch, "loan.applied", body) == code


def test_a_loan_id_is_used_once(branch: ChitDriver) -> None:
    apply(branch, "L-1", "M1", LAKH)
    body = {"loan_id": "L-1", "member_id": "M2", "amount_paise": LAKH, "tenure_months": 6}
    assert code_of(branch, "loan.applied", {**body, "purpose": "x", "actor": "M2"}) == "loan_exists"


def test_a_member_device_applies_only_as_that_member(tmp_path: Path) -> None:
    """A member's own device (or a phone through a node) must name the member as actor."""
    clock = FakeClock()
    with Node.init(tmp_path / "n", "Test", clock=clock, branch_id=BRANCH) as node:
        driver = make_branch(node, clock)
        phone = Feed(seeded_key(9), ts=clock.now_ms() + 10_000)
        enrolment = driver.submit(
            "device.enrolled", {"key": phone.public, "role": "member", "name": "M1's phone"}
        )
        assert node.store.entry_at(node.public, enrolment.seq) is not None
        link = driver.submit("member.device_linked", {"key": phone.public, "member_id": "M1"})
        linked = node.store.entry_at(node.public, link.seq)  # it reaches the enrolment too
        assert linked is not None
        body = {"loan_id": "L-1", "member_id": "M1", "amount_paise": LAKH, "tenure_months": 12}
        body["purpose"] = "shop"
        without_actor = phone.write("loan.applied", body, [linked], ts=clock.now_ms() + 5_000)
        with_actor = phone.write("loan.applied", {**body, "loan_id": "L-2", "actor": "M1"})
        node.ingest([without_actor, with_actor])
        rows = node.store.conn.execute(
            "SELECT status, code FROM entries WHERE author = ? ORDER BY seq", (phone.public,)
        ).fetchall()
        assert [tuple(r) for r in rows] == [("rejected", "actor_missing"), ("applied", "")]
        assert loan(driver, "L-2")["actor"] == "M1"


def test_approval_checks_eligibility_with_the_codes_of_risk(branch: ChitDriver) -> None:
    apply(branch, "L-5", "M5", 10 * THOUSAND)
    err = refused(branch, "loan.approved", {"loan_id": "L-5", "reason": "ok"})
    assert err.code == "kyc_not_approved"
    apply(branch, "L-1", "M1", LAKH + 1)  # 80% of ₹1,25,000 is ₹1,00,000
    err = refused(branch, "loan.approved", {"loan_id": "L-1", "reason": "ok"})
    assert err.code == "above_limit"
    assert "₹1,00,000.00" in err.message
    approved(branch, "L-2", "M2", 60 * THOUSAND)
    assert loan(branch, "L-2")["eligibility"]["limit_paise"] == LAKH
    apply(branch, "L-3", "M2", 40 * THOUSAND + 1)  # the approved ₹60,000 counts against it
    assert code_of(branch, "loan.approved", {"loan_id": "L-3", "reason": "ok"}) == "above_limit"
    assert code_of(branch, "loan.approved", {"loan_id": "L-2", "reason": "ok"}) == (
        "loan_not_pending"
    )


def test_approval_needs_a_reason_and_a_known_loan(branch: ChitDriver) -> None:
    apply(branch, "L-1", "M1", LAKH)
    assert code_of(branch, "loan.approved", {"loan_id": "L-1", "reason": ""}) == "note_required"
    assert code_of(branch, "loan.approved", {"loan_id": "L-9", "reason": "x"}) == "unknown_loan"


def test_a_prized_ticket_gives_no_backing(branch: ChitDriver) -> None:
    facts = lv.eligibility_facts(branch.state, "M1")
    assert (facts.limit_paise, facts.prized) == (LAKH, False)
    branch.clock.advance(20 * DAY_MS)
    branch.auction(GID)
    winner = str(branch.settlement(GID, 1)["winner_member"])
    facts = lv.eligibility_facts(branch.state, winner)
    assert facts.prized and facts.limit_paise == 0


def test_rejection_withdraws_a_sanctioned_claim_before_any_money_moves(
    branch: ChitDriver,
) -> None:
    fund(branch, LAKH)
    sanctioned(branch, "L-1", "M1", LAKH)
    assert [c.name for c in lv.pool_claims(branch.state, "treasury")] == ["loan L-1"]
    branch.submit("loan.rejected", {"loan_id": "L-1", "reason": "member withdrew"})
    assert loan(branch, "L-1")["status"] == lv.REJECTED
    assert lv.pool_claims(branch.state, "treasury") == []
    sanctioned(branch, "L-2", "M2", LAKH)  # the cash is free again
    disburse(branch, "L-2", 10 * THOUSAND)
    err = refused(branch, "loan.rejected", {"loan_id": "L-2", "reason": "too late"})
    assert err.code == "already_disbursed"


# --- the Banker's gate (docs/bankers.md, worked example) -------------------------------------


def docs_example(driver: ChitDriver) -> None:
    """Treasury ₹50,000; L-1 ₹1,00,000 (₹60,000 out), L-2 ₹50,000 (₹30,000 out), L-3 ₹80,000."""
    fund(driver, 140 * THOUSAND)
    sanctioned(driver, "L-1", "M1", LAKH)
    sanctioned(driver, "L-2", "M2", 50 * THOUSAND)
    disburse(driver, "L-1", 60 * THOUSAND)
    disburse(driver, "L-2", 30 * THOUSAND)
    sanctioned(driver, "L-3", "M3", 80 * THOUSAND)
    assert driver.state.balance(lv.TREASURY_CASH) == 50 * THOUSAND


def test_a_disbursement_that_would_leave_the_branch_unsafe_is_refused_with_the_reason(
    branch: ChitDriver,
) -> None:
    docs_example(branch)
    body = {"loan_id": "L-3", "scope": "treasury", "amount_paise": 40 * THOUSAND}
    err = refused(branch, "loan.disbursed", body)  # nothing appended, state unchanged
    assert err.code == "unsafe_state"
    assert err.message == (
        "granting ₹40,000.00 from treasury to loan L-3 would leave the branch unable to "
        "guarantee that every open commitment can still be paid in full; loan L-3 must "
        "wait until more is repaid or collected"
    )
    assert loan(branch, "L-3")["disbursed_paise"] == 0
    disburse(branch, "L-3", 5 * THOUSAND)  # a smaller part is safe
    body["amount_paise"] = 60 * THOUSAND
    err = refused(branch, "loan.disbursed", body)
    assert err.code == "insufficient_available"
    assert "must wait" in err.message and "₹45,000.00" in err.message
    body["amount_paise"] = 75 * THOUSAND + 1
    assert code_of(branch, "loan.disbursed", body) == "request_exceeds_claim"
    disburse(branch, "L-1")  # L-1 takes its last ₹40,000 and its schedule starts
    assert loan(branch, "L-1")["status"] == lv.ACTIVE
    books_balance(branch)


def test_the_fold_applies_the_gate_not_only_the_dry_run(branch: ChitDriver) -> None:
    """The unsafe disbursement, forced into the log, is applied as rejected by the fold."""
    docs_example(branch)
    node = branch.node
    body = {"loan_id": "L-3", "scope": "treasury", "amount_paise": 40 * THOUSAND}
    body["term"] = node._held_term("treasury")
    entry = node._seal("loan.disbursed", body)
    node.ingest([entry])
    row = node.store.conn.execute(
        "SELECT status, code FROM entries WHERE hash = ?", (entry.hash,)
    ).fetchone()
    assert tuple(row) == ("rejected", "unsafe_state")
    assert loan(branch, "L-3")["disbursed_paise"] == 0


def test_sanction_admits_only_what_cash_and_repaying_loans_can_pay(branch: ChitDriver) -> None:
    fund(branch, 50 * THOUSAND)
    approved(branch, "L-1", "M1", 60 * THOUSAND)
    err = refused(branch, "loan.sanctioned", {"loan_id": "L-1", "scope": "treasury"})
    assert err.code == "insufficient_available"
    assert "₹50,000.00 on hand" in err.message
    fund(branch, 10 * THOUSAND)
    branch.submit("loan.sanctioned", {"loan_id": "L-1", "scope": "treasury"})
    disburse(branch, "L-1")
    sanctioned(branch, "L-2", "M2", 60 * THOUSAND)  # ₹0 on hand, but L-1 repays ₹60,000 first
    assert code_of(branch, "loan.disbursed", {"loan_id": "L-2", "scope": "treasury"}) == (
        "insufficient_available"
    )


def test_sanction_and_disbursement_are_coordinated_and_scoped(branch: ChitDriver) -> None:
    fund(branch, LAKH)
    approved(branch, "L-1", "M1", LAKH)
    body = {"loan_id": "L-1", "scope": "branch"}
    assert code_of(branch, "loan.sanctioned", body) == "bad_scope"
    assert code_of(branch, "loan.sanctioned", {**body, "scope": "group:NOPE"}) == "unknown_group"
    assert code_of(branch, "loan.disbursed", {**body, "scope": "treasury"}) == (
        "loan_not_sanctioned"
    )
    branch.submit("loan.sanctioned", {"loan_id": "L-1", "scope": "treasury"})
    assert loan(branch, "L-1")["term"] >= 1
    assert code_of(branch, "loan.sanctioned", {**body, "scope": "treasury"}) == (
        "loan_not_approved"
    )
    body = {"loan_id": "L-1", "scope": f"group:{GID}"}
    assert code_of(branch, "loan.disbursed", body) == "bad_scope"


def test_disbursement_happens_exactly_once(branch: ChitDriver) -> None:
    fund(branch, LAKH)
    sanctioned(branch, "L-1", "M1", LAKH)
    body = {"loan_id": "L-1", "scope": "treasury"}
    first = branch.node.submit("loan.disbursed", body, cmd_id="disburse-L-1")
    again = branch.node.submit("loan.disbursed", body, cmd_id="disburse-L-1")
    assert again.already_done and again.hash == first.hash
    assert code_of(branch, "loan.disbursed", body) == "already_disbursed"
    assert branch.state.balance(lv.TREASURY_CASH) == 0
    assert branch.state.balance(lv.loan_account_name("L-1")) == LAKH
    assert branch.node.store.count(kind="loan.disbursed") == 1


def test_a_group_funded_loan_draws_on_the_pool_and_repays_principal_to_it(
    branch: ChitDriver,
) -> None:
    pool = base.pool_account(GID)
    before = branch.state.balance(pool)
    sanctioned(branch, "L-1", "M1", 50 * THOUSAND, scope=f"group:{GID}")
    disburse(branch, "L-1")
    assert branch.state.balance(pool) == before - 50 * THOUSAND
    emi_due(branch, "L-1")
    account = lv.account_of(loan(branch, "L-1"))
    repay(branch, "L-1", account.arrears_paise)
    assert branch.state.balance(pool) == before - 50 * THOUSAND + account.principal_due_paise
    # s.14: interest on the group's money is the group's unless its agreement says foreman
    interest = lv.group_interest_account(GID)
    assert branch.state.balance(interest) == account.interest_due_paise
    assert branch.state.balance(lv.TREASURY_CASH) == 0
    books_balance(branch)


def test_unpaid_prizes_are_commitments_on_their_group_pool(branch: ChitDriver) -> None:
    sanctioned(branch, "L-1", "M1", 50 * THOUSAND, scope=f"group:{GID}")
    branch.clock.advance(20 * DAY_MS)
    branch.auction(GID)
    claims = lv.pool_claims(branch.state, f"group:{GID}")
    assert [c.name for c in claims] == [f"prize {GID} month 1", "loan L-1"]
    prize = branch.settlement(GID, 1)
    assert claims[0].sanctioned_paise == prize["prize_paise"]
    assert lv.pool_claims(branch.state, bankers.TREASURY_POOL) == []


def test_a_declared_prize_comes_before_a_group_funded_loan(branch: ChitDriver) -> None:
    # Sanctioned before the prize is declared: once it is, no loan may take its cash.
    sanctioned(branch, "L-1", "M1", 50 * THOUSAND, scope=f"group:{GID}")
    branch.clock.advance(20 * DAY_MS)
    branch.auction(GID)
    prize = branch.settlement(GID, 1)["prize_paise"]
    name = base.prize_claim_name(GID, 1)
    cash = branch.state.balance(base.pool_account(GID))
    assert cash - prize < 50 * THOUSAND  # the loan and the prize cannot both be paid now
    assert code_of(branch, "loan.disbursed", {"loan_id": "L-1", "scope": f"group:{GID}"}) == (
        "prize_reserved"
    )
    assert base.payout_safe(branch.state, GID, prize, claim=name).granted  # s.22: prize first
    outcome = base.payout_safe(branch.state, GID, cash - prize)  # other payouts: L-1 first
    assert not outcome.granted and outcome.code == "unsafe_state"
    assert "loan L-1" in outcome.reason


def test_a_loan_can_be_paid_into_the_members_wallet(branch: ChitDriver) -> None:
    pytest.importorskip("chitnode.domain.wallet_kinds")
    fund(branch, LAKH)
    sanctioned(branch, "L-1", "M1", 30 * THOUSAND)
    branch.submit("loan.disbursed", {"loan_id": "L-1", "scope": "treasury", "to": "wallet"})
    assert branch.state.balance("wallet:M1") == 30 * THOUSAND
    moves = [r for k, r in branch.state.rows("wallet_moves").items() if k.startswith("M1|")]
    assert [(m["kind"], m["amount_paise"]) for m in moves] == [("loan.disbursed", 30 * THOUSAND)]
    books_balance(branch)


# --- the full lifecycle ---------------------------------------------------------------------


def test_full_lifecycle_principal_repaid_equals_principal_lent(branch: ChitDriver) -> None:
    fund(branch, 2 * LAKH)
    sanctioned(branch, "L-1", "M1", LAKH)
    disburse(branch, "L-1", 40 * THOUSAND)  # two tranches; the schedule starts with the last
    assert loan(branch, "L-1")["account"] is None
    disburse(branch, "L-1")
    row = loan(branch, "L-1")
    assert row["status"] == lv.ACTIVE
    assert lv.schedule_of(row) == emi.schedule(LAKH, 1000, 12)
    assert code_of(branch, "loan.emi_due", {"loan_id": "L-1", "month": 1}) == "not_yet_due"
    assert code_of(branch, "loan.emi_due", {"loan_id": "L-1", "month": 2}) == "wrong_month"

    emi_due(branch, "L-1")
    repay(branch, "L-1", 879_159)  # EMI 1 in full
    emi_due(branch, "L-1")
    repay(branch, "L-1", 5_000 * RUPEE)  # EMI 2 in two parts
    assert lv.account_of(loan(branch, "L-1")).arrears_paise == 379_159
    repay(branch, "L-1", 379_159)
    emi_due(branch, "L-1")
    repay(branch, "L-1", 879_159 + 20 * THOUSAND)  # EMI 3 and ₹20,000 early
    account = lv.account_of(loan(branch, "L-1"))
    assert account.arrears_paise == 0 and account.emi_paise == 879_159
    err = refused(
        branch, "loan.repaid", {"loan_id": "L-1", "amount_paise": account.outstanding_paise + 1}
    )
    assert err.code == "repayment_exceeds_owed"

    months = 3
    while loan(branch, "L-1")["status"] == lv.ACTIVE:
        months = emi_due(branch, "L-1")
        repay(branch, "L-1", lv.account_of(loan(branch, "L-1")).arrears_paise)
    assert months < 12  # the early repayment shortened the tenure, the EMI stayed

    row = loan(branch, "L-1")
    account = lv.account_of(row)
    assert row["status"] == lv.CLOSED and account.closed
    assert (row["covered"], row["late"]) == (account.instalments_due, 0)  # all paid on time
    assert account.principal_repaid_paise == LAKH  # exactly what was lent
    receipts = [r for r in branch.state.rows(lv.LOAN_REPAYMENTS).values() if r["loan_id"] == "L-1"]
    assert sum(r["principal_paise"] + r["early_principal_paise"] for r in receipts) == LAKH
    assert sum(r["interest_paise"] for r in receipts) == account.interest_paid_paise
    assert branch.state.balance(lv.loan_account_name("L-1")) == 0
    assert branch.state.balance(lv.BORROWERS_ACCOUNT) == 0
    assert branch.state.balance(lv.TREASURY_CASH) == 2 * LAKH + account.interest_paid_paise
    assert lv.pool_claims(branch.state, "treasury") == []  # a closed loan claims nothing
    for kind, body in (
        ("loan.emi_due", {"loan_id": "L-1", "month": months + 1}),
        ("loan.repaid", {"loan_id": "L-1", "amount_paise": 1}),
    ):
        assert code_of(branch, kind, body) == "loan_closed"
    books_balance(branch)
    node = branch.node
    digest = node.engine.digest()
    with node.store.transaction():
        node.engine.rebuild()
    assert node.engine.digest() == digest  # the projections are a cache of the log


# --- overdue EMIs and recovery ----------------------------------------------------------------


def test_an_overdue_emi_opens_a_recovery_case_in_the_seven_stage_machine(
    branch: ChitDriver,
) -> None:
    fund(branch, LAKH)
    sanctioned(branch, "L-1", "M1", 50 * THOUSAND)
    disburse(branch, "L-1")
    note = {"loan_id": "L-1", "note": "EMI 1 not paid"}
    assert code_of(branch, "loan.overdue", note) == "no_arrears"
    emi_due(branch, "L-1")
    late_ms = lv.due_ms(loan(branch, "L-1"), 1) + lv.LOAN_GRACE_DAYS * DAY_MS
    branch.clock.advance(late_ms - 1_000 - branch.clock.now_ms())  # the driver adds 1 s
    assert code_of(branch, "loan.overdue", note) == "within_grace"
    branch.submit("loan.overdue", note)
    [case] = lv.loan_cases(branch.state, "L-1")
    assert (case.stage, case.closed, case.missed_month) == ("missed", False, 1)
    assert case.arrears_now_paise > 0 and case.notice_due_ms is not None
    assert code_of(branch, "loan.overdue", note) == "case_open"
    assert lv.loan_summary(branch.state, "L-1").recovery_stage == "missed"

    apply(branch, "L-2", "M1", 10 * THOUSAND)  # an open case blocks new loans
    err = refused(branch, "loan.approved", {"loan_id": "L-2", "reason": "small"})
    assert err.code == "open_recovery_case"

    move = {"loan_id": "L-1", "note": "called"}
    assert code_of(branch, "loan.recovery_moved", {**move, "to": "notice"}) == (
        "illegal_transition"
    )
    branch.submit("loan.recovery_moved", {**move, "to": "contacted"})
    assert code_of(branch, "loan.recovery_moved", {**move, "to": "resolved"}) == (
        "arrears_outstanding"
    )
    repay(branch, "L-1", lv.account_of(loan(branch, "L-1")).arrears_paise)
    branch.submit("loan.recovery_moved", {**move, "to": "resolved", "note": "paid in full"})
    [case] = lv.loan_cases(branch.state, "L-1")
    assert (case.stage, case.closed) == ("resolved", True)
    assert code_of(branch, "loan.recovery_moved", {**move, "to": "legal"}) == "no_open_case"
    branch.submit("loan.approved", {"loan_id": "L-2", "reason": "case resolved"})

    row = loan(branch, "L-1")  # EMI 1 was paid after its grace: the payment history says so
    assert (row["covered"], row["late"]) == (1, 1)
    facts = lv.member_facts(branch.state, "M1", branch.clock.now_ms())
    assert facts.instalments_due >= 1 and facts.instalments_on_time < facts.instalments_due
