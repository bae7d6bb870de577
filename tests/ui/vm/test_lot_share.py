"""A member's share of the draw by lot in the room's view-model (issue 15): when the draw
takes shares, which members the room asks, and the body a keyed member's phone-completed
statement becomes (over a real node mid-auction, lot v2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from nacl.signing import SigningKey

from chitnode.domain import chit_kinds_base as base
from chitnode.errors import RuleViolation
from chitnode.log.statement import countersign, statement_for
from chitnode.node.node import Node
from tests.support.auction_room import AUCTION_MS, GID, mid_auction
from tests.support.clock import FakeClock
from tests.support.driver import ChitDriver
from ui.backend import reading_of
from ui.signer import FILL_BLANK, SIGN, Signed
from ui.vm import auction as vm

SEED = bytes([0x33]) * 32
SHARE = "c3" * 32


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
