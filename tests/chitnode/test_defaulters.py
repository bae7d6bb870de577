"""Defaulters (issue 14 points 3 and 7; Chit Funds Act s.22, s.28-30, s.32-33) through Node.submit.

Each rule with its rejection code and an unchanged state (`refused`), the money
through the accounts to the paisa, and the recovery board's deadlines counted from
the events the Act names.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views as views
from chitnode.domain import default_views as board
from chitnode.domain import defaults
from chitnode.domain import recovery as fsm
from chitnode.node.node import Node
from chitnode.services import reports
from tests.support.chit import GID, RUPEE, SUB, pay_all, refused, register, run_months, take_lease
from tests.support.clock import FakeClock
from tests.support.driver import DAY_MS, ChitDriver

RATE_BPS = 1_800  # 18% a year on late instalments
DEDUCTION_BPS = 500  # 5% of the ₹40,000 chit value: ₹2,000
DEDUCTION_PAISE = 2_000 * RUPEE


@pytest.fixture
def group(fresh_node: Node, clock: FakeClock) -> ChitDriver:
    """A running 4-ticket ₹40,000 group with penalty interest and an agreed deduction,
    month 1 settled and paid out; M5 registered to stand in for a defaulter."""
    driver = ChitDriver(fresh_node, clock, random.Random(3))
    ids = register(driver, 5)
    terms = {"penalty_interest_bps": RATE_BPS, "defaulter_deduction_bps": DEDUCTION_BPS}
    driver.form_group(GID, "Four friends", 4 * SUB, ids[:4], **terms)
    take_lease(driver)
    run_months(driver, 1)
    return driver


def _defaulter(driver: ChitDriver) -> int:
    """A non-prized ticket that skips month 2, past its grace period, with a case open."""
    winner = int(driver.settlement(GID, 1)["winner_ticket"])
    ticket = 4 if winner != 4 else 3
    driver.pay_dues(GID, [t for t in (1, 2, 3, 4) if t != ticket], 2)
    driver.clock.advance(16 * DAY_MS)
    driver.submit("recovery.opened", {"group_id": GID, "ticket": ticket, "note": "missed month 2"})
    return ticket


def _case(ticket: int, **more: Any) -> dict[str, Any]:
    return {"group_id": GID, "ticket": ticket, **more}


def _removed_and_noticed(driver: ChitDriver) -> int:
    ticket = _defaulter(driver)
    driver.submit("ticket.removed", _case(ticket, note="month 2 unpaid"))
    driver.submit("removal.noticed", _case(ticket, note="registered post, AD card"))
    return ticket


def _next_ts(driver: ChitDriver) -> int:
    return driver.clock.now_ms() + 1_000  # ChitDriver.submit moves the clock 1 s first


# --- point 3: substitution needs a defaulter ------------------------------------------------


def test_substitution_of_a_holder_in_good_standing_is_refused(group: ChitDriver) -> None:
    """Before issue 14 this replaced any non-prized holder and kept its payments."""
    winner = int(group.settlement(GID, 1)["winner_ticket"])
    other = 1 if winner != 1 else 2
    body = {"group_id": GID, "ticket": other, "member_id": "M5", "reason": "wants out"}
    prized = {**body, "ticket": winner, "actor": "M5"}
    assert refused(group, "ticket.substituted", prized) == "ticket_prized"
    assert refused(group, "ticket.substituted", body) == "not_removed"
    assert refused(group, "ticket.substituted", {**body, "actor": "M5"}) == "not_removed"
    assert group.ticket(GID, other)["member_id"] == f"M{other}"


def test_removal_needs_a_defaulting_non_prized_subscriber_with_a_case(group: ChitDriver) -> None:
    winner = int(group.settlement(GID, 1)["winner_ticket"])
    other = 1 if winner != 1 else 2
    assert refused(group, "ticket.removed", _case(winner, note="x")) == "ticket_prized"
    assert refused(group, "ticket.removed", _case(other, note="x")) == "not_defaulting"
    ticket = 4 if winner != 4 else 3
    group.pay_dues(GID, [t for t in (1, 2, 3, 4) if t != ticket], 2)
    group.clock.advance(16 * DAY_MS)
    assert refused(group, "ticket.removed", _case(ticket, note="x")) == "no_open_case"
    group.submit("recovery.opened", _case(ticket, note="missed month 2"))
    assert refused(group, "ticket.removed", _case(ticket, note=" ")) == "note_required"
    group.submit("ticket.removed", _case(ticket, note="month 2 unpaid"))
    assert refused(group, "ticket.removed", _case(ticket, note="again")) == "already_removed"
    assert base.bid_block(group.state, group.group(GID), group.ticket(GID, ticket)) == (
        "ticket_removed"
    )


def test_notice_within_14_days_of_removal_or_the_removal_lapses(group: ChitDriver) -> None:
    ticket = _defaulter(group)
    notice = _case(ticket, note="registered post")
    assert refused(group, "removal.noticed", notice) == "not_removed"
    group.submit("ticket.removed", _case(ticket, note="month 2 unpaid"))
    removed = group.ticket(GID, ticket)["removal"]["removed_ms"]
    group.clock.advance(14 * DAY_MS)  # `refused` submits at the clock's time: the deadline
    [case] = board.recovery_board(group.state, group.clock.now_ms(), GID).cases
    assert not case.removal_lapsed
    group.clock.advance(1)
    assert refused(group, "removal.noticed", notice) == "notice_overdue"
    [case] = board.recovery_board(group.state, group.clock.now_ms(), GID).cases
    assert case.removal_lapsed and case.notice_due_ms == removed + 14 * DAY_MS
    group.submit("ticket.removed", _case(ticket, note="removed again"))  # a lapsed one is redone
    assert [r["removed_ms"] for r in group.ticket(GID, ticket)["removals"]] == [removed]
    group.submit("removal.noticed", notice)
    assert refused(group, "removal.noticed", notice) == "notice_served"


def test_substitution_only_after_notice_and_its_seven_days(group: ChitDriver) -> None:
    ticket = _defaulter(group)
    body = {**_case(ticket), "member_id": "M5", "reason": "defaulter replaced", "actor": "M5"}
    group.submit("ticket.removed", _case(ticket, note="month 2 unpaid"))
    assert refused(group, "ticket.substituted", body) == "notice_not_served"
    group.submit("removal.noticed", _case(ticket, note="registered post"))
    notice = group.ticket(GID, ticket)["removal"]["notice_ms"]
    group.clock.advance(7 * DAY_MS)  # `refused` submits at the clock's time: the deadline
    assert group.clock.now_ms() == notice + 7 * DAY_MS
    assert refused(group, "ticket.substituted", body) == "reinstatement_open"
    group.clock.advance(1)
    no_actor = {k: v for k, v in body.items() if k != "actor"}
    assert refused(group, "ticket.substituted", no_actor) == "actor_missing"
    assert refused(group, "ticket.substituted", {**body, "actor": "M1"}) == "actor_mismatch"
    same = {**body, "member_id": f"M{ticket}", "actor": f"M{ticket}"}
    assert refused(group, "ticket.substituted", same) == "same_member"
    group.submit("ticket.substituted", body)
    assert group.ticket(GID, ticket)["member_id"] == "M5"


def test_the_substitute_pays_back_instalments_and_the_defaulter_is_refunded_apart(
    group: ChitDriver,
) -> None:
    """s.30: the defaulter's contributions, less the agreed deduction, go to a separate
    account out of the substitute's back payments, and are paid to the defaulter."""
    ticket = _removed_and_noticed(group)
    paid_by_defaulter = int(group.ticket(GID, ticket)["paid_paise"])
    assert paid_by_defaulter == SUB  # month 1 only
    group.clock.advance(8 * DAY_MS)
    body = {**_case(ticket), "member_id": "M5", "reason": "defaulter replaced", "actor": "M5"}
    group.submit("ticket.substituted", body)
    row = group.ticket(GID, ticket)
    assert row["paid_paise"] == 0  # the defaulter's payments are not the substitute's
    assert [h["member_id"] for h in row["holders"]] == [f"M{ticket}", "M5"]
    dues = views.ticket_dues(group.state, GID, ticket)
    assert dues.arrears_paise == dues.due_to_date_paise > SUB  # months 1 and 2, back dues
    [refund] = group.state.rows(defaults.REFUNDS).values()
    assert refund["member_id"] == f"M{ticket}" and refund["substitute"] == "M5"
    assert refund["contributions_paise"] == SUB
    assert refund["deduction_paise"] == DEDUCTION_PAISE
    assert refund["refundable_paise"] == SUB - DEDUCTION_PAISE
    [case] = views.recovery_cases(group.state, GID)
    assert case.stage == "resolved" and case.closed
    claim = {**_case(ticket), "member_id": f"M{ticket}", "amount_paise": RUPEE}
    claim["actor"] = f"M{ticket}"
    assert refused(group, "defaulter.refunded", claim) == "refund_not_deposited"

    pool_before = group.state.balance(base.pool_account(GID))
    group.pay(GID, ticket, dues.arrears_paise, 2, "substitute's back instalments")
    assert group.state.balance(defaults.defaulters_account(GID)) == SUB - DEDUCTION_PAISE
    assert group.state.balance(defaults.penalty_account(GID)) == DEDUCTION_PAISE
    assert group.state.balance(base.pool_account(GID)) == pool_before + dues.arrears_paise - SUB
    assert group.ticket(GID, ticket)["refund_key"] is None

    refundable = SUB - DEDUCTION_PAISE
    too_much = {**claim, "amount_paise": refundable + 1}
    assert refused(group, "defaulter.refunded", too_much) == "refund_not_deposited"
    assert refused(group, "defaulter.refunded", {**claim, "actor": "M5"}) == "actor_mismatch"
    wrong = {**claim, "member_id": "M5", "actor": "M5"}
    assert refused(group, "defaulter.refunded", wrong) == "no_refund"
    sheet = reports.balance_sheet(group.state)
    held = {g.heading: g.accounts for g in sheet.groups}
    assert held["Defaulters' contributions held apart (s.30)"] == (
        (defaults.defaulters_account(GID), refundable),
    )
    assert sheet.balanced and reports.OTHER_GROUP not in held
    group.submit("defaulter.refunded", {**claim, "amount_paise": refundable})
    lines = reports.member_statement(group.node, f"M{ticket}").lines
    assert [(x.kind, x.amount_paise) for x in lines if x.kind == "defaulter.refunded"] == [
        ("defaulter.refunded", refundable)
    ]
    assert group.state.balance(defaults.defaulters_account(GID)) == 0
    assert views.balances_total_paise(group.state) == 0 and not views.negative_accounts(group.state)
    [due] = board.recovery_board(group.state, _next_ts(group), GID).refunds
    assert due.substituted and due.refunded_paise == due.refundable_paise == refundable


def test_the_substitute_holds_the_ticket_and_the_group_closes_to_the_paisa(
    group: ChitDriver,
) -> None:
    ticket = _removed_and_noticed(group)
    group.clock.advance(8 * DAY_MS)
    body = {**_case(ticket), "member_id": "M5", "reason": "defaulter replaced", "actor": "M5"}
    group.submit("ticket.substituted", body)
    group.sign(GID, ["M5"])
    for _ in range(3):
        pay_all(group)
        month = int(group.group(GID)["settled"]) + 1
        group.present[(GID, month)] = sorted(base.holders(group.state, group.group(GID)))
        scope = {"group_id": GID, "scope": f"group:{GID}", "month": month}
        present = group.present[(GID, month)]
        group.submit("auction.opened", {**scope, "present": present, "foreman_present": True})
        group.clock.advance(15 * 60_000)
        group.submit("auction.closed", scope)
        group.attest(GID, month)
        group.secure(GID, month, deduction=True)
        assert month in group.pay_prizes(GID)
    group.submit("group.closed", {"group_id": GID})
    assert views.balances_total_paise(group.state) == 0 and not views.negative_accounts(group.state)
    assert group.state.balance(defaults.defaulters_account(GID)) == SUB - DEDUCTION_PAISE


def test_a_substitute_who_wins_with_deduction_fills_the_separate_account_from_the_prize(
    group: ChitDriver,
) -> None:
    """The substitute pays nothing until its prize: the deduction for its back dues is what
    is realised from it (s.30(1)), so the deposit comes out of the prize and the group's
    books still close."""
    ticket = _removed_and_noticed(group)
    group.clock.advance(8 * DAY_MS)
    body = {**_case(ticket), "member_id": "M5", "reason": "defaulter replaced", "actor": "M5"}
    group.submit("ticket.substituted", body)
    group.sign(GID, ["M5"])
    others = [t for t in (1, 2, 3, 4) if t != ticket]
    for _ in range(3):
        month = int(group.group(GID)["settled"]) + 1
        group.pay_dues(GID, others, month)
        group.present[(GID, month)] = sorted(base.holders(group.state, group.group(GID)))
        _draw(group, month)
        group.attest(GID, month)
        group.secure(GID, month, deduction=True)
        assert month in group.pay_prizes(GID)
    assert group.settlement(GID, 4)["winner_ticket"] == ticket  # the last ticket left
    # The prize covered all but ₹2,000 of its dues, so the pool held ₹8,000 of the
    # defaulter's money in cash: deposited; the deduction waits for the last ₹2,000.
    short = views.ticket_dues(group.state, GID, ticket).arrears_paise
    assert short == DEDUCTION_PAISE
    assert group.state.balance(defaults.defaulters_account(GID)) == SUB - DEDUCTION_PAISE
    assert refused(group, "group.closed", {"group_id": GID}) == "arrears_outstanding"
    group.pay(GID, ticket, short, 4)
    assert group.state.balance(defaults.penalty_account(GID)) == DEDUCTION_PAISE
    assert group.ticket(GID, ticket)["refund_key"] is None
    group.submit("group.closed", {"group_id": GID})
    assert views.balances_total_paise(group.state) == 0 and not views.negative_accounts(group.state)


def _draw(driver: ChitDriver, month: int) -> None:
    scope = {"group_id": GID, "scope": f"group:{GID}", "month": month}
    present = driver.present[(GID, month)]
    driver.submit("auction.opened", {**scope, "present": present, "foreman_present": True})
    driver.clock.advance(15 * 60_000)
    driver.submit("auction.closed", scope)


def test_an_unreplaced_defaulter_is_refunded_15_days_after_the_last_draw(
    group: ChitDriver,
) -> None:
    """s.30(3): the board shows the contributions less the deduction, due 15 days after
    the chit terminates (its last draw), for a removed subscriber never replaced."""
    ticket = _removed_and_noticed(group)
    others = [t for t in (1, 2, 3, 4) if t != ticket]
    for _ in range(3):
        month = int(group.group(GID)["settled"]) + 1
        group.pay_dues(GID, others, month)
        group.present[(GID, month)] = sorted(base.holders(group.state, group.group(GID)))
        assert board.recovery_board(group.state, group.clock.now_ms(), GID).refunds == ()
        _draw(group, month)
    last = int(group.settlement(GID, 4)["closed_ms"])
    [due] = board.recovery_board(group.state, group.clock.now_ms(), GID).refunds
    assert not due.substituted and due.member_id == f"M{ticket}"
    assert due.contributions_paise == SUB and due.refundable_paise == SUB - DEDUCTION_PAISE
    assert due.refund_due_ms == last + 15 * DAY_MS and due.deposit_due_ms is None


# --- reinstatement within 7 days of the notice (s.28(1) proviso) ---------------------------


def test_reinstatement_needs_arrears_and_penalty_interest_within_seven_days(
    group: ChitDriver,
) -> None:
    ticket = _removed_and_noticed(group)
    member = f"M{ticket}"
    claim = _case(ticket, note="paid at the office", actor=member)
    assert refused(group, "ticket.reinstated", {**claim, "actor": "M5"}) == "actor_mismatch"
    assert refused(group, "ticket.reinstated", claim) == "arrears_outstanding"
    owed = views.ticket_dues(group.state, GID, ticket).arrears_paise
    group.pay(GID, ticket, owed, 2)
    paid_ms = group.clock.now_ms()
    due_ms = int(group.group(GID)["month_starts_ms"][1]) + 15 * DAY_MS
    expected = owed * (paid_ms - due_ms) * RATE_BPS // fsm.INTEREST_DIVISOR
    assert expected > 0
    penalty = defaults.penalty_due_paise(group.group(GID), group.ticket(GID, ticket), paid_ms)
    assert penalty == expected
    assert refused(group, "ticket.reinstated", claim) == "penalty_outstanding"
    pay = _case(ticket, amount_paise=penalty + 1)
    assert refused(group, "penalty.paid", pay) == "amount_above_penalty"
    group.submit("penalty.paid", {**pay, "amount_paise": penalty})
    group.submit("ticket.reinstated", claim)
    row = group.ticket(GID, ticket)
    assert row["removal"] is None and row["member_id"] == member
    assert base.bid_block(group.state, group.group(GID), row) == ""
    assert group.state.balance(defaults.penalty_account(GID)) == penalty
    [case] = views.recovery_cases(group.state, GID)
    assert case.stage == "resolved"


def test_reinstatement_is_closed_after_the_seven_days(group: ChitDriver) -> None:
    ticket = _removed_and_noticed(group)
    group.clock.advance(7 * DAY_MS)
    group.pay(GID, ticket, views.ticket_dues(group.state, GID, ticket).arrears_paise, 2)
    claim = _case(ticket, note="paid late", actor=f"M{ticket}")
    assert refused(group, "ticket.reinstated", claim) == "reinstatement_closed"


# --- point 7: penalty interest, s.22 prize dates, s.33 demand ------------------------------


def test_a_late_instalment_owes_penalty_interest_at_the_agreed_rate(group: ChitDriver) -> None:
    winner = int(group.settlement(GID, 1)["winner_ticket"])
    late = 4 if winner != 4 else 3
    group.pay_dues(GID, [t for t in (1, 2, 3, 4) if t != late], 2)
    start = int(group.group(GID)["month_starts_ms"][1])
    group.clock.advance(start + 25 * DAY_MS - group.clock.now_ms() - 1_000)
    owed = views.ticket_dues(group.state, GID, late).arrears_paise
    group.pay(GID, late, owed, 2, "ten days late")
    expected = owed * 10 * DAY_MS * RATE_BPS // fsm.INTEREST_DIVISOR
    assert expected == owed * 18 * 10 // (100 * 365)  # 18% a year for 10 days, in paise
    cases = board.recovery_board(group.state, _next_ts(group), GID).cases
    assert [(c.ticket, c.penalty_due_paise, c.arrears_paise) for c in cases] == [
        (late, expected, 0)
    ]
    group.submit("penalty.paid", _case(late, amount_paise=expected, bank_ref="UTR1"))
    lines = reports.member_statement(group.node, f"M{late}").lines
    assert [(x.description, x.amount_paise) for x in lines if x.kind == "penalty.paid"] == [
        ("Penalty interest on late instalments", -expected)
    ]
    assert not [x for x in reports.member_statement(group.node, "M5").lines]
    assert group.state.balance(defaults.penalty_account(GID)) == expected
    assert board.recovery_board(group.state, _next_ts(group), GID).cases == ()


def test_no_penalty_without_the_agreement_term(fresh_node: Node, clock: FakeClock) -> None:
    driver = ChitDriver(fresh_node, clock, random.Random(3))
    driver.form_group(GID, "Four friends", 4 * SUB, register(driver, 4))
    assert "penalty_interest_bps" not in base.agreement_document(driver.group(GID))
    take_lease(driver)
    run_months(driver, 1)
    driver.clock.advance(40 * DAY_MS)
    driver.pay_dues(GID, [1, 2, 3, 4], 2)
    pay = _case(1, amount_paise=1)
    assert refused(driver, "penalty.paid", pay) == "amount_above_penalty"


@pytest.mark.parametrize(
    ("terms", "code"),
    [
        ({"penalty_interest_bps": 3_601}, "bad_body"),
        ({"penalty_interest_bps": "18%"}, "bad_body"),
        ({"defaulter_deduction_bps": 1_001}, "bad_body"),
        ({"defaulter_deduction_bps": -1}, "bad_body"),
    ],
)
def test_defaulter_terms_are_bounded(
    fresh_node: Node, clock: FakeClock, terms: dict[str, Any], code: str
) -> None:
    driver = ChitDriver(fresh_node, clock, random.Random(3))
    body = {
        "chit_value_paise": 4 * SUB,
        "commission_bps": 500,
        "group_id": GID,
        "max_discount_bps": 4000,
        "months": 4,
        "name": "Four friends",
        "tickets": 4,
    }
    assert refused(driver, "group.created", {**body, **terms}) == code


def test_prize_deadlines_follow_section_22(group: ChitDriver) -> None:
    pay_all(group)
    month = int(group.group(GID)["settled"]) + 1
    scope = {"group_id": GID, "scope": f"group:{GID}", "month": month}
    group.present[(GID, month)] = ["M1", "M2", "M3", "M4"]
    group.submit(
        "auction.opened", {**scope, "present": ["M1", "M2", "M3", "M4"]} | {"foreman_present": True}
    )
    group.clock.advance(15 * 60_000)
    group.submit("auction.closed", scope)
    draw = int(group.settlement(GID, month)["closed_ms"])
    prizes = board.recovery_board(group.state, draw + 7 * DAY_MS + 1, GID).prizes
    first, second = prizes
    assert first.paid and not first.overdue
    assert second.draw_ms == draw and not second.paid and second.overdue
    assert second.pay_by_ms == draw + 7 * DAY_MS  # earlier than the next instalment's due
    assert second.deposit_apart_from_ms == draw + 15 * DAY_MS  # month 3 due: start + grace
    assert second.redraw_from_ms == draw + 60 * DAY_MS
    assert fsm.prize_due_ms(draw, draw + 3 * DAY_MS) == draw + 3 * DAY_MS  # the earlier wins
    ontime = board.recovery_board(group.state, draw + 7 * DAY_MS, GID).prizes[1]
    assert not ontime.overdue


def test_a_prized_defaulter_owes_all_future_dues_after_a_written_demand(
    group: ChitDriver,
) -> None:
    winner = int(group.settlement(GID, 1)["winner_ticket"])
    other = 1 if winner != 1 else 2
    demand = _case(winner, note="demand for all future subscriptions, by registered post")
    group.pay_dues(GID, [t for t in (1, 2, 3, 4) if t != winner], 2)
    assert refused(group, "demand.served", demand) == "not_defaulting"
    assert refused(group, "demand.served", {**demand, "ticket": other}) == "not_prized"
    group.clock.advance(16 * DAY_MS)
    group.submit("demand.served", demand)
    assert refused(group, "demand.served", demand) == "already_demanded"
    g, t = group.group(GID), group.ticket(GID, winner)
    future = 2 * base.full_instalment_paise(base.terms_of(g))  # months 3 and 4
    assert t["demand"]["demanded_paise"] == base.arrears_paise(g, t) + future
    [case] = board.recovery_board(group.state, _next_ts(group), GID).cases
    assert case.prized and case.demand_ms == t["demand"]["demand_ms"]
    assert case.demanded_paise == base.arrears_paise(g, t) + future


def test_the_board_counts_each_timer_from_the_event_the_act_names(group: ChitDriver) -> None:
    ticket = _defaulter(group)
    group.submit("ticket.removed", _case(ticket, note="month 2 unpaid"))
    removed = int(group.ticket(GID, ticket)["removal"]["removed_ms"])
    [case] = board.recovery_board(group.state, _next_ts(group), GID).cases
    assert case.removed_ms == removed and case.notice_ms is None
    assert case.notice_due_ms == case.registrar_filing_due_ms == removed + 14 * DAY_MS
    assert case.reinstatement_deadline_ms is None and case.substitution_from_ms is None
    assert case.recovery_stage == "missed" and not case.removal_lapsed
    group.clock.advance(3 * DAY_MS)
    group.submit("removal.noticed", _case(ticket, note="registered post"))
    notice = int(group.ticket(GID, ticket)["removal"]["notice_ms"])
    [case] = board.recovery_board(group.state, _next_ts(group), GID).cases
    assert case.notice_ms == notice == removed + 3 * DAY_MS + 1_000
    assert case.reinstatement_deadline_ms == notice + 7 * DAY_MS
    assert case.substitution_from_ms == notice + 7 * DAY_MS + 1
    assert case.penalty_due_paise > 0 and case.arrears_paise > 0
