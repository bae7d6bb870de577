"""Issue 14, point 1: a member's act is the member's, named (Chit Funds Act s.6, s.17).

Minutes are signed by the foreman, the prized subscriber and at least two other
subscribers present (s.17); the agreement by every subscriber (s.6). A staff node may
still write these at the meeting, but each names the member as `actor`, the actor must be
a real subscriber present, and a `member`-role device acts only for its own member.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from chitnode.domain import bank_kinds as bank
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import loan_views as lv
from chitnode.domain.apply import decide
from chitnode.domain.wallet_kinds import WITHDRAWN, deposit_body, withdraw_body
from chitnode.node.node import Node
from tests.support.chit import (
    GID,
    RUPEE,
    SUB,
    bid,
    close_draw,
    decided_code,
    foreign,
    open_draw,
    pay_all,
    refused,
    register,
    take_lease,
)
from tests.support.clock import FakeClock
from tests.support.driver import ChitDriver


@pytest.fixture
def four(fresh_node: Node, clock: FakeClock) -> ChitDriver:
    """A running 4-ticket group (tickets M1..M4), the lease held."""
    driver = ChitDriver(fresh_node, clock, random.Random(14))
    driver.form_group(GID, "Four friends", 4 * SUB, register(driver, 4))
    take_lease(driver)
    return driver


def drawn(driver: ChitDriver, present: list[str]) -> dict[str, Any]:
    """Month 1 drawn with M4 bidding and winning; returns the attestation body."""
    pay_all(driver)
    month = open_draw(driver, present=present)
    bid(driver, month, 4, 4_000 * RUPEE)
    assert close_draw(driver, month)["winner_member"] == "M4"
    digest = base.minutes_hash(driver.state, GID, month)
    return {"group_id": GID, "month": month, "minutes_hash": digest}


def minutes(driver: ChitDriver) -> dict[str, Any]:
    return driver.state.get(base.MINUTES, base.month_key(GID, 1)) or {"complete": False}


def prize_refusal(driver: ChitDriver) -> str:
    return refused(driver, "prize.paid", {"group_id": GID, "scope": f"group:{GID}", "month": 1})


def test_the_foremans_device_alone_cannot_complete_the_minutes(four: ChitDriver) -> None:
    attest = drawn(four, ["M1", "M2", "M3"])
    four.submit("minutes.attested", {**attest, "attester": base.FOREMAN_ATTESTER})
    for member in ("M4", "M1", "M2"):  # in their names, none of them named as acting
        assert refused(four, "minutes.attested", {**attest, "attester": member}) == "actor_missing"
    assert not minutes(four)["complete"]
    assert prize_refusal(four) == "minutes_incomplete"


def test_one_actor_attesting_twice_counts_once(four: ChitDriver) -> None:
    attest = drawn(four, ["M1", "M2", "M3"])
    four.submit("minutes.attested", {**attest, "attester": base.FOREMAN_ATTESTER})
    for member in ("M4", "M1"):
        four.submit("minutes.attested", {**attest, "attester": member, "actor": member})
    again = {**attest, "attester": "M1", "actor": "M1"}
    assert refused(four, "minutes.attested", again) == "already_attested"
    as_other = {**attest, "attester": "M2", "actor": "M1"}  # M1 again, in M2's name
    assert refused(four, "minutes.attested", as_other) == "actor_mismatch"
    assert minutes(four)["attesters"] == ["M1", "M4", base.FOREMAN_ATTESTER]
    assert not minutes(four)["complete"]
    assert prize_refusal(four) == "minutes_incomplete"


def test_an_actor_not_recorded_present_does_not_count(four: ChitDriver) -> None:
    attest = drawn(four, ["M1", "M2"])
    four.submit("minutes.attested", {**attest, "attester": base.FOREMAN_ATTESTER})
    for member in ("M4", "M1"):
        four.submit("minutes.attested", {**attest, "attester": member, "actor": member})
    absent = {**attest, "attester": "M3", "actor": "M3"}
    assert refused(four, "minutes.attested", absent) == "not_present"
    assert not minutes(four)["complete"]
    four.submit("minutes.attested", {**attest, "attester": "M2", "actor": "M2"})
    assert minutes(four)["complete"]


def test_a_member_device_acts_only_for_its_own_member(four: ChitDriver) -> None:
    attest = drawn(four, ["M1", "M2", "M3"])
    for_m2 = {**attest, "attester": "M2", "actor": "M2"}
    phone = foreign(four, "member", "minutes.attested", for_m2)
    assert decided_code(four, phone) == "not_own_member"  # not linked to anyone yet
    four.submit("member.device_linked", {"key": phone.author, "member_id": "M1"})
    assert decided_code(four, phone) == "not_own_member"  # linked to M1, attesting for M2
    digest = base.terms_hash(four.group(GID))
    sign = {"group_id": GID, "member_id": "M2", "terms_hash": digest, "actor": "M2"}
    signing = foreign(four, "member", "agreement.signed", sign)
    assert decided_code(four, signing) == "not_own_member"
    own = foreign(four, "member", "minutes.attested", {**attest, "attester": "M1", "actor": "M1"})
    assert decide(four.state, own)  # its own member: changes, no violation


def test_a_member_device_link_is_admin_written_once_for_a_member_device(four: ChitDriver) -> None:
    phone = foreign(four, "member", "minutes.attested", {}).author
    laptop = foreign(four, "foreman", "minutes.attested", {}).author
    link = {"key": phone, "member_id": "M1"}
    assert refused(four, "member.device_linked", {**link, "key": laptop}) == "not_member_device"
    assert refused(four, "member.device_linked", {**link, "key": "0" * 64}) == "not_member_device"
    assert refused(four, "member.device_linked", {**link, "member_id": "M9"}) == "unknown_member"
    four.submit("member.device_linked", link)
    assert refused(four, "member.device_linked", link) == "already_linked"
    row = four.state.get(base.DEVICE_MEMBERS, phone)
    assert row is not None and row["member_id"] == "M1"


def test_bids_and_signatures_name_the_member(four: ChitDriver) -> None:
    pay_all(four)
    month = open_draw(four)
    body = {"group_id": GID, "scope": f"group:{GID}", "month": month, "ticket": 2}
    unnamed = {**body, "discount_paise": 3_000 * RUPEE}
    assert refused(four, "auction.bid", unnamed) == "actor_missing"
    assert refused(four, "auction.bid", {**unnamed, "actor": "M1"}) == "actor_mismatch"
    four.register("M5", "Member M5")  # M5 joins a new forming group, to sign
    four.create_group("G2", "Two", 2 * SUB, 2)
    four.assign("G2", ["M1", "M5"])
    digest = four.publish("G2")
    sign = {"group_id": "G2", "member_id": "M5", "terms_hash": digest}
    assert refused(four, "agreement.signed", sign) == "actor_missing"
    four.submit("agreement.signed", {**sign, "actor": "M5"})
    signature = four.state.get(base.SIGNATURES, "G2|M5")
    assert signature is not None and signature["actor"] == "M5"


def test_the_happy_path_completes_with_named_actors(four: ChitDriver) -> None:
    drawn(four, ["M1", "M2", "M3"])
    four.attest(GID, 1)  # the foreman, the winner and two others present, each named
    assert minutes(four)["complete"]
    four.secure(GID, 1, deduction=True)
    assert 1 in four.pay_prizes(GID)


# --- money asked for on a member's behalf: loans, cash out, bank withdrawals ---------------


def application(member_id: str, loan_id: str = "L-1", **extra: Any) -> dict[str, Any]:
    body = {"loan_id": loan_id, "member_id": member_id, "amount_paise": 50_000 * RUPEE}
    return {**body, "tenure_months": 12, "purpose": "shop stock", **extra}


def test_a_member_device_applies_for_a_loan_only_for_its_own_member(four: ChitDriver) -> None:
    for_m2 = foreign(four, "member", "loan.applied", application("M2", actor="M2"))
    assert decided_code(four, for_m2) == "not_own_member"  # unlinked: no member's act at all
    four.submit("member.device_linked", {"key": for_m2.author, "member_id": "M1"})
    assert decided_code(four, for_m2) == "not_own_member"  # linked to M1, applying for M2
    own = foreign(four, "member", "loan.applied", application("M1", actor="M1"))
    assert decide(four.state, own)  # its own member: applies


def test_a_staff_node_names_the_member_it_asks_for(four: ChitDriver) -> None:
    assert refused(four, "loan.applied", application("M1")) == "actor_missing"
    assert refused(four, "loan.applied", application("M1", actor="M2")) == "actor_mismatch"
    four.submit("wallet.deposited_cash", deposit_body("M1", 1_000 * RUPEE, "d-1", note="cash"))
    cash_out = withdraw_body("M1", 100 * RUPEE, "w-1", note="counter")
    assert cash_out["actor"] == "M1"  # the builder names the member who asked
    unnamed = {k: v for k, v in cash_out.items() if k != "actor"}
    assert refused(four, WITHDRAWN, unnamed) == "actor_missing"
    assert refused(four, WITHDRAWN, {**cash_out, "actor": "M2"}) == "actor_mismatch"
    debit = bank.request_body("r-1", "M1", 100 * RUPEE, withdrawal=True)
    unnamed = {k: v for k, v in debit.items() if k != "actor"}
    assert refused(four, bank.WITHDRAWAL_REQUESTED, unnamed) == "actor_missing"
    deposit = bank.request_body("r-2", "M1", 100 * RUPEE, withdrawal=False)
    four.submit(bank.DEPOSIT_REQUESTED, deposit)  # a deposit is the bank's news: no actor needed


def test_the_happy_path_applies_and_pays_out_named(four: ChitDriver) -> None:
    four.submit("loan.applied", application("M1", actor="M1"))
    row = four.state.get(lv.LOANS, "L-1")
    assert row is not None and row["actor"] == "M1" and row["status"] == lv.APPLIED
    four.submit("wallet.deposited_cash", deposit_body("M1", 1_000 * RUPEE, "d-1", note="cash"))
    four.submit(WITHDRAWN, withdraw_body("M1", 100 * RUPEE, "w-1", note="counter"))
    four.submit(
        bank.WITHDRAWAL_REQUESTED, bank.request_body("r-1", "M1", 100 * RUPEE, withdrawal=True)
    )
    request = four.state.get(bank.REQUESTS, "r-1")
    assert request is not None and request["actor"] == "M1" and request["status"] == bank.PENDING
