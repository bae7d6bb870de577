"""A member's share of the draw by lot in the room's view-model (issue 15): when the draw
takes shares, which members the room asks, and the body a keyed member's phone-completed
statement becomes (over a real node mid-auction, lot v2)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import member_keys as mk
from chitnode.domain.chit_rules import lot_commitment
from chitnode.errors import RuleViolation
from chitnode.log.statement import countersign, statement_for
from chitnode.node.node import Node
from chitnode.services.demo import DEMO_RULES
from tests.support.auction_room import AUCTION_MS, GID, mid_auction
from tests.support.chit import SUB, pay_all, register, scope, take_lease
from tests.support.clock import FakeClock
from tests.support.driver import ChitDriver
from ui.backend import reading_of
from ui.signer import FILL_BLANK, SIGN, Signed
from ui.vm import auction as vm
from ui.vm import meeting as meeting_vm

SEED = bytes([0x33]) * 32
SHARE = "c3" * 32
COMMIT = lot_commitment("5e" * 32)  # the holder's secret, made up for the test


@pytest.fixture
def driver(fresh_node: Node, clock: FakeClock, tmp_path: Path) -> ChitDriver:
    return mid_auction(fresh_node, clock, lot_folder=tmp_path)


def _signed(statement: bytes) -> Signed:
    key = SigningKey(SEED)
    sig = key.sign(statement).signature
    return Signed("t", SIGN, "b", "M1", statement, sig, key.verify_key.encode(), 0)


def test_the_room_asks_for_a_share_once_the_countdown_is_over_and_not_after_it_is_in(
    driver: ChitDriver, clock: FakeClock
) -> None:
    assert vm.room(reading_of(driver.node, Path(".")), "M1").lot_share == vm.SHARE_NONE
    clock.advance(AUCTION_MS + 1)
    room = vm.room(reading_of(driver.node, Path(".")), "M1")
    assert room.lot_share == vm.SHARE_ASK and not room.keyed and not room.can_bid
    kind, body = vm.share_template(GID, 1, "M1")
    driver.submit(kind, {**body, vm.SHARE_FIELD: SHARE})
    reading = reading_of(driver.node, Path("."))
    assert vm.room(reading, "M1").lot_share == vm.SHARE_ADDED
    assert vm.room(reading, "M2").lot_share == vm.SHARE_ASK


def test_the_body_is_the_signed_statement_s_and_nothing_else(driver: ChitDriver) -> None:
    branch = reading_of(driver.node, Path(".")).branch_id
    kind, template = vm.share_template(GID, 1, "M1")
    assert template[vm.SHARE_FIELD] == FILL_BLANK
    done = statement_for(kind, {**template, vm.SHARE_FIELD: SHARE}, branch)
    body = vm.share_body(template, _signed(done), branch)
    assert body[vm.SHARE_FIELD] == SHARE
    assert body["countersig"] == countersign(SEED, kind, body, branch)
    other_month = statement_for(kind, {**template, "month": 2, vm.SHARE_FIELD: SHARE}, branch)
    with pytest.raises(RuleViolation) as refused:
        vm.share_body(template, _signed(other_month), branch)
    assert refused.value.code == "signer_statement_mismatch"


def test_a_draw_with_one_best_bid_takes_no_shares(driver: ChitDriver, clock: FakeClock) -> None:
    kind, body = vm.bid_command(GID, 1, 2, 1_000_000, actor="M2")
    driver.submit(kind, body)
    clock.advance(AUCTION_MS + 1)
    reading = reading_of(driver.node, Path("."))
    assert vm.room(reading, "M1").lot_share == vm.SHARE_NONE
    auction = reading.state.get(base.AUCTIONS, base.month_key(GID, 1))
    assert not vm.takes_shares(auction, reading.now_ms)


def _key(n: int) -> SigningKey:
    return SigningKey(bytes([0x50 + n]) * 32)


def test_in_a_signed_group_the_laptop_writes_no_share_and_an_unkeyed_member_pairs_first(
    fresh_node: Node, clock: FakeClock
) -> None:
    driver = ChitDriver(fresh_node, clock, random.Random(29))
    driver.submit("branch.chit_rules_set", DEMO_RULES)
    driver.submit("branch.consent_rule_set", {"consent": mk.CONSENT_SIGNED})
    ids = register(driver, 4)
    for n, member in enumerate(ids):
        key = _key(n).verify_key.encode().hex()
        driver.submit("member.key_enrolled", {"member_id": member, "key": key})
    driver.create_group(GID, "Signed four", 4 * SUB, 4)
    driver.assign(GID, ids)
    digest = driver.publish(GID)
    for n, member in enumerate(ids):  # every holder signs on their phone
        body = {"group_id": GID, "member_id": member, "terms_hash": digest, "actor": member}
        sig = countersign(bytes(_key(n)), "agreement.signed", body, driver.node.branch)
        driver.submit("agreement.signed", {**body, "countersig": sig})
    driver.submit("group.started", {"group_id": GID})
    take_lease(driver)
    pay_all(driver)
    lost = {"member_id": ids[3], "key": _key(3).verify_key.encode().hex()}
    driver.submit("member.key_revoked", lost)  # M4's phone is lost: no key now
    body = {**scope(), "month": 1, "present": ids, "foreman_present": True}
    driver.submit("auction.opened", {**body, "duration_ms": AUCTION_MS, "lot_commit": COMMIT})
    clock.advance(AUCTION_MS + 1)
    reading = reading_of(driver.node, Path("."))
    step = meeting_vm.build_meeting(reading, GID, 1, "auction").auction
    assert step is not None and step.draw_needed
    assert step.to_contribute == ()  # the laptop may write no one's share here
    assert [m for m, _ in step.on_phones] == ids
    room = vm.room(reading, ids[3])
    assert room.lot_share == vm.SHARE_ASK and room.signed_group and not room.keyed
