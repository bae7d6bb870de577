"""Issue 14, point 4 (Chit Funds Act s.14) and point 7's 1.5x cover for immovable property.

s.14(1)(b) lets a foreman use a group's money for "loans and advances to non-prized
subscribers on the security of subscriptions paid by them". So a loan from a group's
pool goes only to a non-prized subscriber of that group, is limited by what the
ticket has paid in (an agreement term, `loan_backing_bps`), and is a lien on the
ticket: when the ticket wins, the loan is settled from the prize. Money paid in
ahead of its month (advance payments, future dues deducted from a prize) is no
month's collection and may not be lent. Interest on the group's money goes where
the agreement says (`loan_interest_to`, the group by default). docs/chit-rules.md,
"Loans against chit money".
"""

from __future__ import annotations

from typing import Any

import pytest

from chitnode.domain import bankers
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import loan_views as lv
from chitnode.domain.chit_rules import security_covers
from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.services import loan_inbox, reports
from tests.support.chit import bid, close_draw, open_draw
from tests.support.clock import FakeClock
from tests.support.driver import DAY_MS, ChitDriver
from tests.support.loans import GID, LAKH, THOUSAND, apply, disburse, loan, make_branch, repay

G2 = "G-2026-02"  # M1, M2, M3 and M6; its agreement lends 50% and gives interest to the foreman
POOL, POOL2 = f"group:{GID}", f"group:{G2}"
SUB = 125 * THOUSAND  # a ticket's monthly subscription in both ₹5 lakh groups


@pytest.fixture
def branch(fresh_node: Node, clock: FakeClock) -> ChitDriver:
    driver = make_branch(fresh_node, clock)
    driver.register("M6", "Member M6")
    holders = ["M1", "M2", "M3", "M6"]
    terms = {"loan_backing_bps": 5_000, "loan_interest_to": lv.INTEREST_TO_FOREMAN}
    driver.form_group(G2, "Second five lakh", 5 * LAKH, holders, **terms)
    driver.pay_dues(G2, [1, 2, 3, 4], 1)
    return driver


def refused(driver: ChitDriver, kind: str, body: dict[str, Any]) -> str:
    """The command is refused with nothing written and the state unchanged (G9)."""
    node = driver.node
    before, count = node.engine.digest(), node.store.count()
    with pytest.raises(ChitError) as info:
        node.submit(kind, body)
    assert node.engine.digest() == before and node.store.count() == count
    return info.value.code


def approved(driver: ChitDriver, loan_id: str, member_id: str, amount_paise: int) -> None:
    apply(driver, loan_id, member_id, amount_paise)
    driver.submit("loan.approved", {"loan_id": loan_id, "reason": "regular payer"})


def sanction(driver: ChitDriver, loan_id: str, scope: str, **extra: Any) -> None:
    driver.submit("loan.sanctioned", {"loan_id": loan_id, "scope": scope, **extra})


def won_by(driver: ChitDriver, ticket: int, discount_paise: int = 30 * THOUSAND) -> int:
    """Month 1 of GID, won by `ticket` with the only bid."""
    driver.clock.advance(10 * DAY_MS)
    month = open_draw(driver)
    bid(driver, month, ticket, discount_paise)
    close_draw(driver, month)
    return month


def secure_and_attest(driver: ChitDriver, month: int, deduction: bool = False) -> None:
    driver.attest(GID, month)
    driver.secure(GID, month, deduction)


def pay_prize(driver: ChitDriver, month: int) -> None:
    driver.submit("prize.paid", {"group_id": GID, "scope": POOL, "month": month})


# --- who may borrow a group's money -------------------------------------------------------


def test_a_group_lends_only_to_its_own_subscribers(branch: ChitDriver) -> None:
    approved(branch, "L-6", "M6", 50 * THOUSAND)  # backed by M6's G2 ticket
    assert refused(branch, "loan.sanctioned", {"loan_id": "L-6", "scope": POOL}) == "not_subscriber"
    sanction(branch, "L-6", POOL2)
    assert loan(branch, "L-6")["lien"] == {"group_id": G2, "ticket": 4}


def test_a_treasury_loan_is_secured_on_no_ticket(branch: ChitDriver) -> None:
    branch.submit("treasury.funded", {"amount_paise": LAKH, "bank_ref": "UTR-1"})
    approved(branch, "L-1", "M1", 50 * THOUSAND)
    body = {"loan_id": "L-1", "scope": "treasury", "ticket": 1}
    assert refused(branch, "loan.sanctioned", body) == "bad_body"
    sanction(branch, "L-1", "treasury")
    assert loan(branch, "L-1")["lien"] is None


def test_a_prized_subscriber_cannot_borrow_the_groups_money(branch: ChitDriver) -> None:
    won_by(branch, 2)  # M2 wins month 1 of GID
    approved(branch, "L-2", "M2", 50 * THOUSAND)  # still backed by M2's G2 ticket
    assert refused(branch, "loan.sanctioned", {"loan_id": "L-2", "scope": POOL}) == "ticket_prized"
    sanction(branch, "L-2", POOL2)  # the non-prized ticket in the other group may secure it


def test_a_sanctioned_loan_is_not_disbursed_once_its_ticket_wins(branch: ChitDriver) -> None:
    approved(branch, "L-2", "M2", 50 * THOUSAND)
    sanction(branch, "L-2", POOL)
    month = won_by(branch, 2)
    secure_and_attest(branch, month)
    pay_prize(branch, month)
    branch.pay_dues(GID, [1, 3, 4], 2)  # the pool holds month 2's cash: only s.14 stands in the way
    assert refused(branch, "loan.disbursed", {"loan_id": "L-2", "scope": POOL}) == "ticket_prized"


def test_a_defaulting_subscriber_cannot_borrow(branch: ChitDriver) -> None:
    won_by(branch, 4)  # month 1 settles; month 2's instalment falls due
    approved(branch, "L-1", "M1", 50 * THOUSAND)
    branch.clock.advance(20 * DAY_MS)  # past month 2's grace, M1 unpaid
    body = {"loan_id": "L-1", "scope": POOL}
    assert refused(branch, "loan.sanctioned", body) == "defaulting_subscriber"
    branch.pay_dues(GID, [1], 2)
    sanction(branch, "L-1", POOL)


# --- how much: the ticket's paid subscriptions, the agreed share, less other liens --------------


def test_the_loan_is_limited_by_the_tickets_paid_subscriptions(branch: ChitDriver) -> None:
    # GID states no term: 80% of the ₹1,25,000 M1 paid, ₹1,00,000 in all on that ticket.
    approved(branch, "L-1", "M1", 60 * THOUSAND)
    sanction(branch, "L-1", POOL)
    approved(branch, "L-2", "M1", 50 * THOUSAND)  # the member's overall limit allows it
    body = {"loan_id": "L-2", "scope": POOL}
    assert refused(branch, "loan.sanctioned", body) == "exceeds_subscriptions"
    # G2's agreement lends 50%: ₹62,500 on M1's G2 ticket.
    sanction(branch, "L-2", POOL2)
    approved(branch, "L-3", "M6", 62_501 * 100)
    assert refused(branch, "loan.sanctioned", {"loan_id": "L-3", "scope": POOL2}) == (
        "exceeds_subscriptions"
    )
    group = branch.group(G2)
    assert lv.ticket_loan_limit_paise(branch.state, group, branch.ticket(G2, 4)) == 62_500 * 100


def test_advance_payments_secure_nothing(branch: ChitDriver) -> None:
    group, ticket = branch.group(GID), branch.ticket(GID, 1)
    before = lv.ticket_loan_limit_paise(branch.state, group, ticket)
    branch.pay(GID, 1, SUB, 1, "paid ahead")  # next month's subscription, early
    after = lv.ticket_loan_limit_paise(branch.state, branch.group(GID), branch.ticket(GID, 1))
    assert after == before == 100 * THOUSAND


def test_a_member_with_two_tickets_names_the_one_it_borrows_on(
    fresh_node: Node, clock: FakeClock
) -> None:
    driver = make_branch(fresh_node, clock)
    driver.form_group("G-2", "Two tickets", 4 * LAKH, ["M1", "M1", "M2", "M3"])
    driver.pay_dues("G-2", [1, 2, 3, 4], 1)
    approved(driver, "L-1", "M1", 50 * THOUSAND)
    body = {"loan_id": "L-1", "scope": "group:G-2"}
    assert refused(driver, "loan.sanctioned", body) == "ticket_required"
    assert refused(driver, "loan.sanctioned", {**body, "ticket": 3}) == "not_ticket_holder"
    sanction(driver, "L-1", "group:G-2", ticket=2)
    assert loan(driver, "L-1")["lien"] == {"group_id": "G-2", "ticket": 2}


def test_the_inbox_names_the_groups_whose_money_may_fund_it(branch: ChitDriver) -> None:
    apply(branch, "L-1", "M1", 70 * THOUSAND)
    now = branch.clock.now_ms()
    facts = lv.member_facts(branch.state, "M1", now, exclude_loan="L-1")
    assert facts.group_limits == ((GID, 1, 100 * THOUSAND), (G2, 1, 62_500 * 100))
    [application] = lv.pending_applications(branch.state)
    advice = loan_inbox.assess(application, facts, now)
    assert advice.group_limits == ((GID, 1, 100 * THOUSAND),)  # G2's ₹62,500 falls short
    branch.submit("loan.approved", {"loan_id": "L-1", "reason": "regular payer"})
    code = refused(branch, "loan.sanctioned", {"loan_id": "L-1", "scope": POOL2})
    assert code == "exceeds_subscriptions"  # the kernel judges as the inbox said
    sanction(branch, "L-1", POOL)


# --- money kept apart: advance payments and dues deducted from a prize ------------------------


def test_advance_payments_are_kept_apart_from_what_loans_may_take(branch: ChitDriver) -> None:
    free = lv.pool_state(branch.state, POOL).available[0]
    branch.pay(GID, 3, SUB, 1, "paid ahead")
    held = lv.pool_state(branch.state, POOL)
    assert branch.state.balance(base.pool_account(GID)) == free + SUB
    assert held.available[0] == free  # the advance is in the pool, not lendable
    assert held.reserved == (SUB,)


def test_dues_deducted_from_a_prize_cannot_be_lent(branch: ChitDriver) -> None:
    month = won_by(branch, 4)
    secure_and_attest(branch, month, deduction=True)  # M4's future dues stay in the pool
    pay_prize(branch, month)
    group, ticket = branch.group(GID), branch.ticket(GID, 4)
    ahead = int(ticket["paid_paise"]) - base.dues_through_paise(group, ticket, 2)
    assert ahead > 0  # months 3 and 4, kept back from the prize
    pool_cash = branch.state.balance(base.pool_account(GID))
    banker = lv.pool_state(branch.state, POOL)
    assert banker.reserved == (ahead,)
    assert banker.available[0] == pool_cash - ahead  # M4's month 2 only
    approved(branch, "L-1", "M1", LAKH)
    sanction(branch, "L-1", POOL)
    disburse(branch, "L-1")
    approved(branch, "L-3", "M3", 50 * THOUSAND)
    sanction(branch, "L-3", POOL)  # admitted: L-1's principal will come back
    code = refused(branch, "loan.disbursed", {"loan_id": "L-3", "scope": POOL})
    assert code == "prize_reserved" or code == "insufficient_available"
    assert branch.state.balance(base.pool_account(GID)) >= ahead  # the dues are all there


# --- the lien: a winning ticket's loan is settled from its prize -------------------------------


def test_the_loan_is_netted_from_the_prize_of_its_ticket(branch: ChitDriver) -> None:
    approved(branch, "L-2", "M2", 50 * THOUSAND)
    sanction(branch, "L-2", POOL)
    disburse(branch, "L-2")
    disbursed_ms = branch.clock.now_ms()
    month = won_by(branch, 2)  # 10 days later M2's ticket wins month 1
    secure_and_attest(branch, month)
    settled = branch.settlement(GID, month)
    cash = int(settled["prize_paise"])
    pool = base.pool_account(GID)
    assert branch.state.balance(pool) < cash  # the loan's ₹50,000 is out with M2
    pay_prize(branch, month)  # s.22: payable, since the loan comes back from the prize

    paid = branch.settlement(GID, month)
    elapsed = paid["paid_ms"] - disbursed_ms
    accrued = round(50 * THOUSAND * 1000 * elapsed / (10_000 * 12 * lv.LOAN_MONTH_MS))
    assert paid["loans_netted_paise"] == 50 * THOUSAND + accrued
    assert paid["loans_netted"] == [
        {
            "loan_id": "L-2",
            "amount_paise": 50 * THOUSAND + accrued,
            "principal_paise": 50 * THOUSAND,
            "interest_paise": accrued,
            "receipt": f"{_prize_entry(branch)}|L-2",
        }
    ]
    assert paid["paid_paise"] == cash - paid["loans_netted_paise"]
    row = loan(branch, "L-2")
    assert row["status"] == lv.CLOSED
    assert branch.state.balance(lv.loan_account_name("L-2")) == 0
    assert branch.state.balance(lv.group_interest_account(GID)) == accrued  # GID: to the group

    statement = reports.member_statement(branch.node, "M2")
    lines = [(line.description, line.amount_paise) for line in statement.lines]
    assert ("Prize of month 1", cash) in lines
    netted = [
        line
        for line in statement.lines
        if line.account == "loan L-2" and "prize" in line.description
    ]
    assert [line.amount_paise for line in netted] == [-(50 * THOUSAND + accrued)]


def _prize_entry(driver: ChitDriver) -> str:
    rows = driver.state.rows(lv.LOAN_REPAYMENTS)
    keys = [k for k in rows if k.endswith("|L-2")]
    assert len(keys) == 1
    return keys[0].split("|")[0]


def test_a_prize_too_small_for_the_loan_pays_what_it_can(branch: ChitDriver) -> None:
    approved(branch, "L-1", "M1", LAKH)
    sanction(branch, "L-1", POOL)
    disburse(branch, "L-1")
    month = won_by(branch, 1, discount_paise=LAKH)  # prize ₹4,00,000, future dues ₹3,75,000
    secure_and_attest(branch, month, deduction=True)  # future dues first: little cash left
    settled = branch.settlement(GID, month)
    cash = int(settled["prize_paise"]) - base.withheld_paise(
        branch.state, branch.group(GID), settled
    )
    assert 0 < cash < LAKH
    pay_prize(branch, month)
    paid = branch.settlement(GID, month)
    assert paid["loans_netted_paise"] == cash and paid["paid_paise"] == 0
    row = loan(branch, "L-1")
    assert row["status"] == lv.ACTIVE  # the rest is still owed, EMIs as before
    assert lv.account_of(row).outstanding_paise == LAKH - cash


def test_a_loan_paid_out_in_part_gives_back_what_was_paid_out(branch: ChitDriver) -> None:
    approved(branch, "L-2", "M2", LAKH)
    sanction(branch, "L-2", POOL)
    disburse(branch, "L-2", 40 * THOUSAND)  # the first tranche; no EMIs before the last
    month = won_by(branch, 2)
    secure_and_attest(branch, month)
    pay_prize(branch, month)
    paid = branch.settlement(GID, month)
    assert paid["loans_netted_paise"] == 40 * THOUSAND
    assert paid["paid_paise"] == paid["prize_paise"] - 40 * THOUSAND
    row = loan(branch, "L-2")
    assert row["status"] == lv.CLOSED and row["disbursed_paise"] == 40 * THOUSAND
    assert branch.state.balance(lv.loan_account_name("L-2")) == 0
    assert lv.pool_claims(branch.state, POOL) == []  # nothing more is promised to L-2


def test_a_removed_defaulters_loan_is_not_netted_from_the_substitutes_prize(
    branch: ChitDriver,
) -> None:
    approved(branch, "L-2", "M2", 50 * THOUSAND)
    sanction(branch, "L-2", POOL)
    disburse(branch, "L-2")
    month = won_by(branch, 4)
    secure_and_attest(branch, month)
    branch.pay_dues(GID, [1, 3, 4], 2)  # M2 stops paying
    pay_prize(branch, month)
    branch.clock.advance(16 * DAY_MS)  # past month 2's grace
    case = {"group_id": GID, "ticket": 2}
    branch.submit("recovery.opened", {**case, "note": "missed month 2"})
    branch.submit("ticket.removed", {**case, "note": "month 2 unpaid"})
    branch.submit("removal.noticed", {**case, "note": "registered post"})
    branch.clock.advance(8 * DAY_MS)
    body = {**case, "member_id": "M6", "reason": "defaulter replaced", "actor": "M6"}
    branch.submit("ticket.substituted", body)
    branch.sign(GID, ["M6"])
    branch.pay_dues(GID, [2], 2)  # the substitute pays the back instalments
    month = open_draw(branch, ["M1", "M3", "M4", "M6"])
    bid(branch, month, 2, 30 * THOUSAND)
    close_draw(branch, month)
    branch.pay(GID, 1, SUB, month, "paid ahead")  # M2's loan is still out of the pool
    secure_and_attest(branch, month)
    pay_prize(branch, month)
    paid = branch.settlement(GID, month)
    assert paid["winner_member"] == "M6" and paid["loans_netted"] == []
    assert paid["paid_paise"] == paid["prize_paise"]
    assert loan(branch, "L-2")["status"] == lv.ACTIVE  # still M2's to repay (s.30 refund)


# --- interest: where the agreement says --------------------------------------------------------


def test_interest_goes_to_the_foreman_where_the_agreement_says(branch: ChitDriver) -> None:
    approved(branch, "L-6", "M6", 50 * THOUSAND)
    sanction(branch, "L-6", POOL2)
    disburse(branch, "L-6")
    branch.clock.advance(lv.LOAN_MONTH_MS)
    branch.submit("loan.emi_due", {"loan_id": "L-6", "month": 1})
    account = lv.account_of(loan(branch, "L-6"))
    repay(branch, "L-6", account.arrears_paise)
    assert branch.state.balance(lv.TREASURY_CASH) == account.interest_due_paise
    assert branch.state.balance(lv.group_interest_account(G2)) == 0


def test_loan_terms_are_part_of_the_signed_agreement_only_when_stated(branch: ChitDriver) -> None:
    stated = base.agreement_document(branch.group(G2))
    assert stated["loan_backing_bps"] == 5_000
    assert stated["loan_interest_to"] == lv.INTEREST_TO_FOREMAN
    assert "loan_backing_bps" not in base.agreement_document(branch.group(GID))
    assert lv.group_loan_terms(branch.group(GID)) == lv.GroupLoanTerms(8_000, "group")
    bad = {"loan_interest_to": "branch"}
    body = {
        "group_id": "G-BAD",
        "name": "bad",
        "chit_value_paise": 4 * LAKH,
        "tickets": 4,
        "months": 4,
        "commission_bps": 500,
        "max_discount_bps": 4000,
    }
    assert refused(branch, "group.created", {**body, **bad}) == "bad_variant"
    assert refused(branch, "group.created", {**body, "loan_backing_bps": 10_001}) == "bad_body"


# --- point 7: immovable property secures at 1.5x ------------------------------------------------


def test_immovable_property_must_be_worth_one_and_a_half_times_the_dues(
    branch: ChitDriver,
) -> None:
    month = won_by(branch, 4)
    branch.attest(GID, month)
    dues = 3 * SUB  # three months left at the full instalment
    body = {"group_id": GID, "ticket": 4, "form": "immovable_property", "detail": "house, Udupi"}
    branch.submit("security.furnished", {**body, "value_paise": -(-dues * 4 // 3)})  # 4/3 only
    code = refused(branch, "prize.paid", {"group_id": GID, "scope": POOL, "month": month})
    assert code == "security_missing"
    branch.submit("security.furnished", {**body, "value_paise": dues * 3 // 2 - dues * 4 // 3})
    pay_prize(branch, month)
    assert branch.settlement(GID, month)["prize_paid"]


def test_a_loan_secured_on_property_needs_it_worth_one_and_a_half_times(
    branch: ChitDriver,
) -> None:
    """A loan ₹60,000 above the member's limit needs security the staff checked that covers
    ₹60,000: a guarantee of ₹80,000 (4/3) would, a house must be worth ₹90,000 (1.5x)."""
    limit = lv.eligibility_facts(branch.state, "M1").limit_paise
    apply(branch, "L-1", "M1", limit + 60 * THOUSAND)
    body = {"loan_id": "L-1", "reason": "house as security", "security_detail": "house, Udupi"}
    land = {**body, "security_form": "immovable_property"}
    short = {**land, "security_value_paise": 90 * THOUSAND - 1}  # 1.5x of ₹60,000 less a paisa
    assert refused(branch, "loan.approved", short) == "above_limit"
    guarantee = {**body, "security_form": "guarantor", "security_value_paise": 80 * THOUSAND}
    assert refused(branch, "loan.approved", {**guarantee, "security_value_paise": 79_999_99}) == (
        "above_limit"
    )
    assert refused(branch, "loan.approved", {**body, "security_value_paise": 1}) == "bad_body"
    bad = {**land, "security_form": "gold", "security_value_paise": 1}
    assert refused(branch, "loan.approved", bad) == "bad_security_form"
    branch.submit("loan.approved", {**land, "security_value_paise": 90 * THOUSAND})
    row = loan(branch, "L-1")
    assert row["security"] == {
        "form": "immovable_property",
        "value_paise": 90 * THOUSAND,
        "detail": "house, Udupi",
    }
    assert row["eligibility"]["limit_paise"] == limit + 60 * THOUSAND


def test_security_cover_by_form() -> None:
    from chitnode.domain.chit_rules import GroupTerms

    terms = GroupTerms(chit_value_paise=4 * LAKH, tickets=4)
    dues = 3 * LAKH  # three months left of ₹1 lakh
    assert security_covers(terms, 3, 4 * LAKH, 0)  # guarantor or document: 4/3
    assert not security_covers(terms, 3, 4 * LAKH - 1, 0)
    assert security_covers(terms, 3, 0, dues * 3 // 2)  # immovable property: 3/2
    assert not security_covers(terms, 3, 0, dues * 3 // 2 - 1)
    assert not security_covers(terms, 3, 0, 4 * LAKH)  # enough as a guarantee, not as land
    assert security_covers(terms, 3, 2 * LAKH, 225 * THOUSAND)  # 1.5 lakh + 1.5 lakh of dues
    assert security_covers(terms, 0, 0, 0)


def test_bankers_reserve_names_money_kept_apart(branch: ChitDriver) -> None:
    branch.pay(GID, 2, SUB, 1, "paid ahead")
    claims = lv.pool_claims(branch.state, POOL)
    kept = [c for c in claims if c.name == f"{lv.KEPT_APART_PREFIX}{GID}"]
    assert kept == [bankers.LoanClaim(kept[0].name, POOL, SUB, releases=False)]
