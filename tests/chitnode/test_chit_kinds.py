"""Chit kinds through Node.submit: each rule, each rejection code, and an unchanged state."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views as views
from chitnode.domain.apply import decide
from chitnode.domain.chit_rules import draw_lot
from chitnode.errors import ChitError, RuleViolation
from chitnode.node.node import Node
from tests.support.chit import (
    GID,
    RUPEE,
    SUB,
    bid,
    close_draw,
    decided_code,
    foreign,
    month_done,
    open_draw,
    pay_all,
    refused,
    register,
    run_months,
    scope,
    take_lease,
)
from tests.support.clock import FakeClock
from tests.support.driver import AUCTION_MS, DAY_MS, ChitDriver

# shared/spec/wal-v1-vectors.chitlog, entry 3, with its money field named in units: the
# vectors test the log format (§1-§6), and their domain bodies predate the `_paise` names.
VECTOR_GROUP = {
    "chit_value_paise": 10000000,
    "commission_bps": 500,
    "group_id": GID,
    "max_discount_bps": 4000,
    "months": 20,
    "name": "Karavali 1 lakh",
    "tickets": 20,
}


# --- fixtures and helpers ---------------------------------------------------------


@pytest.fixture
def driver(fresh_node: Node, clock: FakeClock) -> ChitDriver:
    return ChitDriver(fresh_node, clock, random.Random(3))


@pytest.fixture
def group4(driver: ChitDriver) -> ChitDriver:
    """A running 4-ticket group G-2026-01 of ₹40,000 (₹10,000 a month), tickets M1..M4."""
    ids = register(driver, 4)
    driver.form_group(GID, "Four friends", 4 * SUB, ids)
    take_lease(driver)
    return driver


# --- groups -------------------------------------------------------------------------


def test_group_created_accepts_the_shared_vector_body(driver: ChitDriver) -> None:
    driver.submit("group.created", dict(VECTOR_GROUP))
    group = driver.group(GID)
    assert group["status"] == base.FORMING
    assert group["chit_value_paise"] == 10_000_000 and group["months"] == 20
    terms = base.terms_of(group)
    assert base.full_instalment_paise(terms) == 500_000  # ₹5,000 a month
    assert group["dividend_to"] == "all" and group["commission_mode"] == "from_discount"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"chit_value_paise": 10_000_001}, "value_not_divisible"),
        ({"commission_bps": 600}, "commission_above_cap"),
        ({"commission_bps": 800, "amended_2019": True}, "commission_above_cap"),
        ({"commission_bps": -1}, "negative_amount"),
        ({"months": 19}, "months_not_tickets"),
        ({"max_discount_bps": 10_001}, "bad_max_discount"),
        ({"chit_value_paise": "100000"}, "not_integer_paise"),
        ({"chit_value_paise": 0}, "non_positive_amount"),
        ({"tickets": 1, "months": 1}, "too_few_tickets"),
        ({"dividend_to": "foreman"}, "bad_variant"),
        ({"first_month": "foreman_ticket"}, "bad_body"),
        ({"first_month": "foreman_ticket", "foreman_ticket": 21}, "unknown_ticket"),
        ({"colour": "red"}, "bad_body"),
        ({"group_id": "G 1"}, "bad_group_id"),
        ({"name": " "}, "note_required"),
    ],
)
def test_group_created_refusals(driver: ChitDriver, change: dict[str, Any], code: str) -> None:
    assert refused(driver, "group.created", {**VECTOR_GROUP, **change}) == code


# Entries 3 and 4 of the shared vectors as written there: money without its unit.
UNIT_LESS_BODIES = {
    "group.created": {
        "chit_value": 10000000,
        "commission_bps": 500,
        "group_id": "G-OLD",
        "max_discount_bps": 4000,
        "months": 20,
        "name": "Karavali 1 lakh",
        "tickets": 20,
    },
    "contribution.recorded": {
        "amount": 500000,
        "bank_ref": "UTR2026010100001",
        "group_id": GID,
        "month": 1,
        "note": "paid at meeting",
        "ticket": 1,
    },
}


@pytest.mark.parametrize("kind", sorted(UNIT_LESS_BODIES))
def test_unit_less_money_fields_are_refused_not_misread(group4: ChitDriver, kind: str) -> None:
    assert refused(group4, kind, UNIT_LESS_BODIES[kind]) == "bad_body"


def test_group_created_2019_rule_allows_up_to_7_percent(driver: ChitDriver) -> None:
    driver.submit("group.created", {**VECTOR_GROUP, "commission_bps": 700, "amended_2019": True})
    assert refused(driver, "group.created", VECTOR_GROUP) == "group_exists"


def test_float_amounts_never_reach_a_reducer(group4: ChitDriver) -> None:
    body = {"amount_paise": 1.5, "group_id": GID, "month": 1, "ticket": 1}
    assert refused(group4, "contribution.recorded", body) == "bad_format"


def test_only_staff_roles_write_their_kinds(driver: ChitDriver) -> None:
    entry = foreign(driver, "employee", "group.created", dict(VECTOR_GROUP))
    assert decided_code(driver, entry) == "unauthorised"
    entry = foreign(driver, "auditor", "member.registered", {"member_id": "M1", "name": "A"})
    assert decided_code(driver, entry) == "unauthorised"
    entry = foreign(driver, "member", "kyc.approved", {"member_id": "M1"})
    assert decided_code(driver, entry) == "unauthorised"


# --- members and KYC ----------------------------------------------------------------


def kyc_body(mid: str, **change: str) -> dict[str, Any]:
    body = {
        "member_id": mid,
        "name": "Lakshmi Nayak",
        "pan": "XXXXX1234X",
        "bank_account": "XXXXXXXX4321",
        "phone": "XXXXXX3210",
    }
    return {**body, **change}


@pytest.mark.parametrize(
    "change",
    [
        {"pan": "ABCDE1234F"},
        {"pan": "XXXXX1234"},
        {"bank_account": "123456784321"},
        {"phone": "9876543210"},
        {"phone": "+919876543210"},
    ],
)
def test_kyc_keeps_only_masked_values(driver: ChitDriver, change: dict[str, str]) -> None:
    register(driver, 1, kyc=base.KYC_NONE)
    assert refused(driver, "kyc.submitted", kyc_body("M1", **change)) == "not_masked"


def test_kyc_submit_reject_resubmit_bulk_approve(driver: ChitDriver) -> None:
    register(driver, 3, kyc=base.KYC_NONE)
    assert refused(driver, "kyc.approved", {"member_id": "M1"}) == "kyc_not_submitted"
    for mid in ("M1", "M2", "M3"):
        driver.submit("kyc.submitted", kyc_body(mid, phone="+91XXXXXX3210"))
    reason = {"member_id": "M2", "reason": "PAN card photo unreadable"}
    driver.submit("kyc.rejected", reason)
    assert driver.state.get(base.MEMBERS, "M2")["kyc"] == base.KYC_REJECTED  # type: ignore[index]
    bulk = {"member_ids": ["M1", "M2", "M3"]}
    assert refused(driver, "kyc.approved", bulk) == "kyc_not_submitted"  # M2 was rejected
    driver.submit("kyc.submitted", kyc_body("M2"))
    driver.submit("kyc.approved", bulk)
    members = driver.state.rows(base.MEMBERS)
    assert {members[m]["kyc"] for m in ("M1", "M2", "M3")} == {base.KYC_APPROVED}
    assert members["M1"]["pan_masked"] == "XXXXX1234X"
    assert refused(driver, "kyc.submitted", kyc_body("M1")) == "kyc_already_approved"
    assert refused(driver, "kyc.submitted", kyc_body("M9")) == "unknown_member"
    assert refused(driver, "member.registered", {"member_id": "M1", "name": "X"}) == "member_exists"


# --- agreement and start ------------------------------------------------------------


def test_agreement_must_be_signed_by_every_holder_before_start(driver: ChitDriver) -> None:
    ids = register(driver, 4)
    driver.create_group(GID, "Four friends", 4 * SUB, 4)
    driver.assign(GID, ids[:3])
    digest = base.terms_hash(driver.group(GID))
    sign = {"group_id": GID, "member_id": "M1", "terms_hash": digest, "actor": "M1"}
    assert refused(driver, "agreement.signed", sign) == "no_agreement"
    bad = {"group_id": GID, "terms_hash": "0" * 64}
    assert refused(driver, "agreement.published", bad) == "terms_mismatch"
    driver.publish(GID)
    assert refused(driver, "group.started", {"group_id": GID}) == "tickets_unassigned"
    driver.submit("ticket.assigned", {"group_id": GID, "ticket": 4, "member_id": "M4"})
    taken = {"group_id": GID, "ticket": 4, "member_id": "M1"}
    assert refused(driver, "ticket.assigned", taken) == "ticket_taken"
    driver.sign(GID, ["M1", "M2", "M3"])
    assert refused(driver, "agreement.signed", sign) == "already_signed"
    assert (
        refused(driver, "agreement.signed", {**sign, "member_id": "M5", "actor": "M5"})
        == "not_subscriber"
    )
    assert refused(driver, "agreement.signed", {**sign, "actor": "M2"}) == "actor_mismatch"
    assert refused(driver, "group.started", {"group_id": GID}) == "signatures_missing"
    driver.sign(GID, ["M4"])
    driver.submit("group.started", {"group_id": GID})
    assert driver.group(GID)["status"] == base.RUNNING
    assert refused(driver, "group.started", {"group_id": GID}) == "group_started"
    assert refused(driver, "ticket.assigned", taken) == "group_started"


def test_terms_hash_is_sha256_of_the_canonical_terms_document(group4: ChitDriver) -> None:
    group = group4.group(GID)
    document = views.agreement_document(group)
    assert document["subscription_paise"] == SUB
    assert group["agreement_hash"] == base.sha256_doc(document) == views.terms_hash(group)


def test_a_member_device_may_sign(driver: ChitDriver) -> None:
    ids = register(driver, 2)
    driver.create_group("G2", "Two", 2 * SUB, 2)
    driver.assign("G2", ids)
    digest = driver.publish("G2")
    body = {"group_id": "G2", "member_id": "M1", "terms_hash": digest}
    entry = foreign(driver, "member", "agreement.signed", {**body, "actor": "M1"})
    assert decided_code(driver, entry) == "not_own_member"  # not linked to M1 yet
    driver.submit("member.device_linked", {"key": entry.author, "member_id": "M1"})
    assert decide(driver.state, entry)  # changes, no violation


# --- contributions ------------------------------------------------------------------


def test_contribution_vector_body_partial_payments_and_arrears(group4: ChitDriver) -> None:
    body = {
        "amount_paise": 400_000,
        "bank_ref": "UTR2026010100001",
        "group_id": GID,
        "month": 1,
        "note": "paid at meeting – ₹4,000",
        "ticket": 1,
    }
    group4.submit("contribution.recorded", body)
    dues = views.ticket_dues(group4.state, GID, 1)
    assert (dues.due_to_date_paise, dues.paid_paise, dues.arrears_paise) == (SUB, 400_000, 600_000)
    group4.submit("contribution.recorded", {**body, "amount_paise": 600_000, "note": ""})
    assert views.ticket_dues(group4.state, GID, 1).arrears_paise == 0
    assert group4.state.balance(base.pool_account(GID)) == SUB
    receipts = sorted(r["receipt"] for r in group4.state.rows(base.CONTRIBUTIONS).values())
    assert receipts == [f"{GID}/R00001", f"{GID}/R00002"]
    health = views.group_health(group4.state, GID)
    assert health.collected_this_month_paise == SUB
    assert (health.tickets_paid, health.tickets_unpaid) == (1, 3)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"ticket": 99}, "unknown_ticket"),
        ({"ticket": 0}, "unknown_ticket"),
        ({"amount_paise": 0}, "non_positive_amount"),
        ({"amount_paise": -500}, "non_positive_amount"),
        ({"amount_paise": "500"}, "not_integer_paise"),
        ({"amount_paise": True}, "not_integer_paise"),
        ({"month": 5}, "bad_month"),
        ({"group_id": "NOPE"}, "unknown_group"),
        ({"amount_paise": 4 * SUB + 1}, "amount_above_dues"),
        ({"bank_ref": "x" * 65}, "bad_body"),
    ],
)
def test_contribution_refusals(group4: ChitDriver, change: dict[str, Any], code: str) -> None:
    body = {"amount_paise": SUB, "bank_ref": "UTR1", "group_id": GID, "month": 1, "ticket": 1}
    assert refused(group4, "contribution.recorded", {**body, **change}) == code


# --- the draw -----------------------------------------------------------------------


def test_quorum_needs_the_foreman_and_two_subscribers(group4: ChitDriver) -> None:
    body = {**scope(), "month": 1, "present": ["M1", "M2"], "foreman_present": False}
    assert refused(group4, "auction.opened", body) == "quorum_not_met"
    body.update(foreman_present=True, present=["M1"])
    assert refused(group4, "auction.opened", body) == "quorum_not_met"
    body.update(present=["M1", "M9"])
    assert refused(group4, "auction.opened", body) == "not_subscriber"
    body.update(present=["M1", "M2"], month=2)
    assert refused(group4, "auction.opened", body) == "wrong_month"
    body.update(month=1, scope="group:OTHER")
    assert refused(group4, "auction.opened", body) == "bad_scope"
    body.update(scope=f"group:{GID}")
    group4.submit("auction.opened", body)
    assert refused(group4, "auction.opened", body) == "auction_exists"


def test_bids_follow_cap_minimum_and_increment(group4: ChitDriver) -> None:
    pay_all(group4)
    month = open_draw(group4)
    commission, cap = 2_000 * RUPEE, 16_000 * RUPEE  # 5% and 40% of ₹40,000
    body = {**scope(), "month": month, "ticket": 1, "actor": "M1"}
    assert refused(group4, "auction.bid", {**body, "discount_paise": cap + 1}) == "bid_above_cap"
    code = refused(group4, "auction.bid", {**body, "discount_paise": commission - 1})
    assert code == "bid_below_minimum"
    assert refused(group4, "auction.bid", {**body, "discount_paise": 1.0}) == "bad_format"
    bid(group4, month, 1, 5_000 * RUPEE)
    code = refused(
        group4,
        "auction.bid",
        {**body, "ticket": 2, "actor": "M2", "discount_paise": 5_000 * RUPEE + 99},
    )
    assert code == "bid_increment_too_small"
    assert (
        refused(group4, "auction.bid", {**body, "ticket": 5, "discount_paise": cap})
        == "unknown_ticket"
    )
    code = refused(
        group4, "auction.bid", {**body, "ticket": 2, "discount_paise": cap, "actor": "M1"}
    )
    assert code == "actor_mismatch"
    bid(group4, month, 2, 6_000 * RUPEE)
    assert refused(group4, "auction.closed", {**scope(), "month": month}) == "auction_running"
    group4.clock.advance(AUCTION_MS)
    assert refused(group4, "auction.bid", {**body, "discount_paise": cap}) == "auction_ended"
    group4.submit("auction.closed", {**scope(), "month": month})
    settled = group4.settlement(GID, month)
    assert (settled["winner_ticket"], settled["discount_paise"]) == (2, 6_000 * RUPEE)
    assert settled["by_lot"] is False
    assert settled["prize_paise"] == 34_000 * RUPEE
    assert settled["per_ticket_dividend_paise"] == 1_000 * RUPEE  # (6,000 - 2,000) / 4
    assert refused(group4, "auction.bid", {**body, "discount_paise": cap}) == "auction_closed"
    books = views.group_books(group4.state, GID)
    assert books == {"pool": 34_000 * RUPEE, "commission": 2_000 * RUPEE, "dividend": 4_000 * RUPEE}


def test_who_may_bid(driver: ChitDriver) -> None:
    ids = register(driver, 3)
    driver.register("M4", "Member M4", kyc=base.KYC_SUBMITTED)
    driver.form_group(GID, "Four friends", 4 * SUB, [*ids, "M4"])
    driver.pay_dues(GID, [1, 2, 4], 1)
    month = open_draw(driver)
    body = {**scope(), "month": month, "discount_paise": 3_000 * RUPEE}
    assert (
        refused(driver, "auction.bid", {**body, "ticket": 4, "actor": "M4"}) == "kyc_not_approved"
    )
    assert (
        refused(driver, "auction.bid", {**body, "ticket": 3, "actor": "M3"})
        == "arrears_outstanding"
    )
    bid(driver, month, 1, 3_000 * RUPEE)
    assert close_draw(driver, month)["winner_ticket"] == 1
    driver.pay_dues(GID, [3], 1)
    month_done(driver, month)
    pay_all(driver)
    month = open_draw(driver)
    assert (
        refused(driver, "auction.bid", {**body, "month": 2, "ticket": 1, "actor": "M1"})
        == "ticket_prized"
    )


def test_no_bid_month_is_a_lot_an_auditor_can_recompute(group4: ChitDriver) -> None:
    pay_all(group4)
    month = open_draw(group4)
    settled = close_draw(group4, month)
    auction = group4.state.get(base.AUCTIONS, base.month_key(GID, month))
    assert auction is not None and settled["by_lot"] is True
    winner = draw_lot(["1", "2", "3", "4"], [auction["open_hash"]])
    assert settled["winner_ticket"] == int(winner)
    assert settled["discount_paise"] == 2_000 * RUPEE  # the minimum: the commission


def test_tie_at_the_cap_goes_to_a_lot_over_the_tied_bids(group4: ChitDriver) -> None:
    pay_all(group4)
    month = open_draw(group4)
    cap = 16_000 * RUPEE
    bid(group4, month, 3, cap)
    bid(group4, month, 1, cap)
    settled = close_draw(group4, month)
    auction = group4.state.get(base.AUCTIONS, base.month_key(GID, month))
    assert auction is not None
    seeds = [auction["open_hash"], *(b["hash"] for b in auction["bids"])]
    assert settled["winner_ticket"] == int(draw_lot(["1", "3"], seeds))
    assert settled["by_lot"] is True and settled["discount_paise"] == cap


def test_members_see_aliases_not_tickets(group4: ChitDriver) -> None:
    pay_all(group4)
    month = open_draw(group4)
    bid(group4, month, 3, 4_000 * RUPEE)
    board = views.auction_board(group4.state, GID, month)
    assert "ticket" not in board["bids"][0]
    auction = group4.state.get(base.AUCTIONS, base.month_key(GID, month))
    assert auction is not None
    aliases = base.auction_aliases(auction["open_hash"], [1, 2, 3, 4])
    assert board["bids"][0]["alias"] == aliases["3"]
    assert sorted(aliases.values()) == ["Bidder 1", "Bidder 2", "Bidder 3", "Bidder 4"]


def test_worked_public_example_from_the_issue(driver: ChitDriver) -> None:
    lakh = 100_000 * RUPEE
    body = {
        **VECTOR_GROUP,
        "group_id": "EX",
        "chit_value_paise": 10 * lakh,
        "months": 50,
        "tickets": 50,
    }
    driver.submit("group.created", body)
    s = views.settlement_preview(driver.state, "EX", 2, 3 * lakh)
    assert s.commission_paise == 50_000 * RUPEE
    assert s.dividend_pool_paise == 250_000 * RUPEE
    assert s.per_ticket_dividend_paise == 5_000 * RUPEE
    assert s.next_instalment_paise == 15_000 * RUPEE
    assert s.prize_paise == 7 * lakh


# --- minutes, security, payout ------------------------------------------------------


def test_payout_waits_for_minutes_and_security_and_is_paid_once(group4: ChitDriver) -> None:
    pay_all(group4)
    month = open_draw(group4, present=["M1", "M2", "M3"])
    bid(group4, month, 4, 4_000 * RUPEE)
    settled = close_draw(group4, month)
    assert settled["winner_member"] == "M4"  # absent, yet the winner attests
    pay = {**scope(), "month": month}
    assert refused(group4, "prize.paid", pay) == "minutes_incomplete"
    digest = views.minutes_hash(group4.state, GID, month)
    attest = {"group_id": GID, "month": month, "minutes_hash": digest}
    wrong = {**attest, "attester": "M1", "actor": "M1", "minutes_hash": "0" * 64}
    assert refused(group4, "minutes.attested", wrong) == "minutes_mismatch"
    group4.submit("minutes.attested", {**attest, "attester": "foreman"})
    for who in ("M4", "M1"):
        group4.submit("minutes.attested", {**attest, "attester": who, "actor": who})
    again = {**attest, "attester": "M1", "actor": "M1"}
    assert refused(group4, "minutes.attested", again) == "already_attested"
    assert refused(group4, "prize.paid", pay) == "minutes_incomplete"
    group4.submit("minutes.attested", {**attest, "attester": "M2", "actor": "M2"})
    assert refused(group4, "prize.paid", pay) == "security_missing"
    needed = -(-3 * SUB * 4 // 3)  # 4/3 of three future instalments
    security = {"group_id": GID, "ticket": 4, "form": "guarantor", "detail": "gold, 30 g"}
    group4.submit("security.furnished", {**security, "value_paise": needed - 1})
    assert refused(group4, "prize.paid", pay) == "security_missing"
    group4.submit("security.furnished", {**security, "detail": "guarantor", "value_paise": 1})
    cash_before = group4.state.balance(base.CASH_ACCOUNT)
    group4.submit("prize.paid", pay)
    assert group4.state.balance(base.CASH_ACCOUNT) - cash_before == settled["prize_paise"]
    assert refused(group4, "prize.paid", pay) == "already_prized"
    code = refused(group4, "security.furnished", {**security, "value_paise": 1})
    assert code == "already_prized"


def test_minutes_attesters_must_have_been_present(group4: ChitDriver) -> None:
    pay_all(group4)
    month = open_draw(group4, present=["M1", "M2"])
    bid(group4, month, 1, 4_000 * RUPEE)
    close_draw(group4, month)
    digest = views.minutes_hash(group4.state, GID, month)
    body = {
        "group_id": GID,
        "month": month,
        "minutes_hash": digest,
        "attester": "M3",
        "actor": "M3",
    }
    assert refused(group4, "minutes.attested", body) == "not_present"
    entry = foreign(group4, "member", "minutes.attested", {**body, "attester": "foreman"})
    assert decided_code(group4, entry) == "not_foreman"


def test_deduction_withholds_future_dues_and_credits_them(group4: ChitDriver) -> None:
    pay_all(group4)
    month = open_draw(group4)
    bid(group4, month, 2, 4_000 * RUPEE)
    settled = close_draw(group4, month)
    month_done(group4, month, deduction=True)
    paid = group4.settlement(GID, month)
    assert paid["withheld_paise"] == 3 * SUB  # three future months at the full instalment
    assert paid["paid_paise"] == settled["prize_paise"] - 3 * SUB
    dues = views.ticket_dues(group4.state, GID, 2)
    assert dues.arrears_paise == 0 and dues.paid_paise == 4 * SUB


def test_payout_safe_refuses_what_the_pool_does_not_hold(group4: ChitDriver) -> None:
    group4.pay_dues(GID, [1, 2, 3], 1)  # ticket 4 has not paid
    month = open_draw(group4)
    bid(group4, month, 1, 4_000 * RUPEE)
    settled = close_draw(group4, month)
    group4.attest(GID, month)
    group4.secure(GID, month, deduction=False)
    prize = int(settled["prize_paise"])
    pool = group4.state.balance(base.pool_account(GID))
    assert pool < prize
    verdict = views.payout_safe(group4.state, GID, prize, claim=base.prize_claim_name(GID, 1))
    assert (verdict.granted, verdict.code) == (False, "insufficient_available")
    # the pool's cash is already promised to the declared prize: nothing else may take it
    verdict = views.payout_safe(group4.state, GID, pool)
    assert (verdict.granted, verdict.code) == (False, "insufficient_available")
    assert refused(group4, "prize.paid", {**scope(), "month": month}) == "insufficient_available"
    assert views.group_health(group4.state, GID).prizes_unpaid == (1,)
    group4.pay_dues(GID, [4], 1)
    assert group4.pay_prizes(GID) == [1]


def test_an_earlier_unpaid_prize_keeps_its_cash(group4: ChitDriver) -> None:
    """Prizes never come back, so a later prize may not take cash promised to an earlier one."""
    pay_all(group4)
    first = open_draw(group4)
    bid(group4, first, 1, 4_000 * RUPEE)
    close_draw(group4, first)
    group4.attest(GID, first)  # ticket 1 has not furnished security yet
    group4.pay_dues(GID, [1, 2, 3], 2)  # ticket 4 misses month 2
    second = open_draw(group4)
    bid(group4, second, 2, 4_000 * RUPEE)
    prize2 = close_draw(group4, second)["prize_paise"]
    group4.attest(GID, second)
    group4.secure(GID, second, deduction=False)
    assert group4.state.balance(base.pool_account(GID)) >= prize2  # the cash is there...
    pay_second = {**scope(), "month": second}
    assert refused(group4, "prize.paid", pay_second) == "insufficient_available"  # ...promised
    group4.secure(GID, first, deduction=False)
    assert group4.pay_prizes(GID) == [1]
    group4.pay_dues(GID, [4], 2)
    assert group4.pay_prizes(GID) == [2]


# --- first and last months ----------------------------------------------------------


def test_first_month_foreman_ticket_without_discount(driver: ChitDriver) -> None:
    ids = register(driver, 4)
    driver.form_group(
        GID, "Foreman first", 4 * SUB, ids, first_month="foreman_ticket", foreman_ticket=3
    )
    pay_all(driver)
    month = open_draw(driver)
    body = {**scope(), "month": month, "ticket": 1, "discount_paise": 3_000 * RUPEE}
    assert refused(driver, "auction.bid", body) == "no_bidding_this_month"
    settled = close_draw(driver, month)
    assert (settled["winner_ticket"], settled["discount_paise"]) == (3, 0)
    assert settled["commission_paise"] == 0 and settled["prize_paise"] == 4 * SUB


def test_first_month_by_lot_and_dividend_to_others(driver: ChitDriver) -> None:
    ids = register(driver, 4)
    driver.form_group(GID, "Lot first", 4 * SUB, ids, first_month="lot", dividend_to="others")
    run_months(driver, 1)
    first = driver.settlement(GID, 1)
    assert first["by_lot"] is True and first["sharing_tickets"] == 3
    pay_all(driver)
    month = open_draw(driver)
    bid(driver, month, 1 if first["winner_ticket"] != 1 else 2, 10_000 * RUPEE)
    second = close_draw(driver, month)
    per_ticket = int(second["per_ticket_dividend_paise"])
    winner = views.ticket_dues(driver.state, GID, second["winner_ticket"])
    others = [t for t in range(1, 5) if t != second["winner_ticket"]]
    other = views.ticket_dues(driver.state, GID, others[0])
    assert winner.instalment_paise - other.instalment_paise == per_ticket


def test_last_ticket_takes_the_prize_without_an_auction_then_close(group4: ChitDriver) -> None:
    run_months(group4, 3)
    assert refused(group4, "group.closed", {"group_id": GID}) == "group_not_finished"
    pay_all(group4)
    month = open_draw(group4)
    last = [t for t in range(1, 5) if not group4.ticket(GID, t)["won_month"]]
    body = {**scope(), "month": month, "ticket": last[0], "discount_paise": 3_000 * RUPEE}
    assert refused(group4, "auction.bid", body) == "no_bidding_this_month"
    settled = close_draw(group4, month)
    assert settled["winner_ticket"] == last[0]
    assert refused(group4, "group.closed", {"group_id": GID}) == "prizes_unpaid"
    month_done(group4, month)
    assert refused(group4, "auction.opened", {**scope(), "month": 4}) == "bad_body"
    group4.submit("group.closed", {"group_id": GID})
    assert views.group_books(group4.state, GID) == {
        "pool": 0,
        "commission": 4 * 2_000 * RUPEE,
        "dividend": 0,
    }
    assert views.balances_total_paise(group4.state) == 0
    pay = {"amount_paise": SUB, "bank_ref": "UTR9", "group_id": GID, "month": 4, "ticket": 1}
    assert refused(group4, "contribution.recorded", pay) == "group_closed"
    assert refused(group4, "group.closed", {"group_id": GID}) == "group_closed"


def test_close_refused_while_a_ticket_is_in_arrears(group4: ChitDriver) -> None:
    pay_all(group4)
    month = open_draw(group4)
    bid(group4, month, 2, 4_000 * RUPEE)  # a dividend: dues fall below the ceiling
    close_draw(group4, month)
    month_done(group4, month)
    run_months(group4, 2)
    group4.pay_dues(GID, [1, 2, 3], 4)
    owed = views.ticket_dues(group4.state, GID, 4).arrears_paise
    group4.pay(GID, 4, owed - RUPEE, 4)  # one rupee short
    group4.pay(GID, 1, RUPEE, 4, "paid a rupee too much")
    month = open_draw(group4)
    close_draw(group4, month)
    month_done(group4, month)
    assert refused(group4, "group.closed", {"group_id": GID}) == "arrears_outstanding"
    group4.pay(GID, 4, RUPEE, 4)
    group4.submit("group.closed", {"group_id": GID})
    closeout = group4.state.get(base.CLOSEOUTS, GID)
    assert closeout is not None and closeout["refunds_paise"] == {"1": RUPEE}


# --- recovery (substitution: tests/chitnode/test_defaulters.py) ----------------------


def test_recovery_moves_only_by_legal_steps_with_notes(group4: ChitDriver) -> None:
    run_months(group4, 1)
    case = {"group_id": GID, "ticket": 4}
    group4.pay_dues(GID, [1, 2, 3], 2)
    assert refused(group4, "recovery.opened", {**case, "ticket": 1, "note": "x"}) == "no_arrears"
    assert refused(group4, "recovery.opened", {**case, "note": "x"}) == "within_grace"
    group4.clock.advance(16 * DAY_MS)
    assert refused(group4, "recovery.opened", {**case, "note": " "}) == "note_required"
    group4.submit("recovery.opened", {**case, "note": "missed month 2"})
    assert refused(group4, "recovery.opened", {**case, "note": "again"}) == "case_open"
    move = {**case, "note": "called twice"}
    assert refused(group4, "recovery.moved", {**move, "to": "notice"}) == "illegal_transition"
    assert refused(group4, "recovery.moved", {**move, "to": "paid"}) == "unknown_stage"
    group4.submit("recovery.moved", {**move, "to": "contacted"})
    group4.submit("recovery.moved", {**move, "to": "notice"})
    assert refused(group4, "recovery.moved", {**move, "to": "resolved"}) == "arrears_outstanding"
    [open_case] = views.recovery_cases(group4.state, GID)
    assert open_case.stage == "notice" and open_case.notice_due_ms is None
    assert open_case.reinstatement_deadline_ms == open_case.opened_ms + 7 * DAY_MS + 2_000
    assert views.group_health(group4.state, GID).active_defaults == 1
    group4.pay_dues(GID, [4], 2)
    group4.submit("recovery.moved", {**move, "to": "resolved", "note": "paid in full"})
    assert refused(group4, "recovery.moved", {**move, "to": "legal"}) == "no_open_case"
    [closed] = views.recovery_cases(group4.state, GID)
    assert closed.closed and [h["stage"] for h in _history(group4)] == [
        "missed",
        "contacted",
        "notice",
        "resolved",
    ]
    assert views.group_health(group4.state, GID).active_defaults == 0


def _history(driver: ChitDriver) -> list[dict[str, Any]]:
    [row] = driver.state.rows(base.RECOVERIES).values()
    return list(row["history"])


def test_body_cmd_id_makes_a_command_exactly_once(group4: ChitDriver) -> None:
    body = {"amount_paise": SUB, "group_id": GID, "month": 1, "ticket": 1, "cmd_id": "pay-1"}
    group4.submit("contribution.recorded", body)
    assert refused(group4, "contribution.recorded", body) == "duplicate_command"
    assert group4.ticket(GID, 1)["paid_paise"] == SUB


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payments=st.lists(
        st.tuples(
            st.integers(-1, 6),  # ticket (0, -1, 5, 6 are unknown)
            st.integers(-1, 5),  # month (0, -1, 5 are out of range)
            st.one_of(st.integers(-SUB, 5 * SUB), st.just("100"), st.booleans()),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_random_payments_keep_the_books_or_change_nothing(
    group4: ChitDriver, payments: list[tuple[int, int, Any]]
) -> None:
    for ticket, month, amount in payments:
        body = {"amount_paise": amount, "group_id": GID, "month": month, "ticket": ticket}
        before = group4.node.engine.digest()
        try:
            group4.node.submit("contribution.recorded", body)
        except ChitError:
            assert group4.node.engine.digest() == before
        assert views.balances_total_paise(group4.state) == 0
        assert views.negative_accounts(group4.state) == []
    paid = sum(t["paid_paise"] for t in base.ticket_rows(group4.state, group4.group(GID)))
    assert paid == group4.state.balance(base.pool_account(GID))


def test_kernel_a_refused_first_coordinated_command_leaves_the_node_usable(
    driver: ChitDriver,
) -> None:
    ids = register(driver, 4)
    driver.form_group(GID, "Four friends", 4 * SUB, ids)
    body = {**scope(), "month": 1, "present": ["M1"], "foreman_present": True}
    with pytest.raises(RuleViolation):  # quorum_not_met, after the lease entries were staged
        driver.node.submit("auction.opened", body)
    driver.node.engine.digest()
