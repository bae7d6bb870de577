"""The auction view-models over a real node mid-auction (tests/support/auction_room.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from chitnode.domain import chit_views
from chitnode.domain.limits import CMD_ID_BYTES_MAX
from chitnode.errors import RuleViolation
from chitnode.node.node import Node
from tests.support.auction_room import AUCTION_MS, GID, mid_auction
from tests.support.clock import FakeClock
from tests.support.driver import ChitDriver
from ui.backend import Reading, reading_of
from ui.vm import auction as vm

RUPEE = 100


@pytest.fixture
def driver(fresh_node: Node, clock: FakeClock) -> ChitDriver:
    return mid_auction(fresh_node, clock)


def _reading(driver: ChitDriver) -> Reading:
    return reading_of(driver.node, Path("."))


def _bid(driver: ChitDriver, ticket: int, discount: int) -> None:
    kind, body = vm.bid_command(GID, 1, ticket, discount, actor=f"M{ticket}")
    driver.submit(kind, body)


def test_the_desk_shows_the_rules_every_ticket_under_its_alias_and_the_node_s_countdown(
    driver: ChitDriver,
) -> None:
    before = _reading(driver)
    desk = vm.desk(before, GID)
    assert (desk.status, desk.month, desk.bidding, desk.can_bid) == (vm.OPEN, 1, True, True)
    rules = desk.rules
    assert (rules.min_paise, rules.max_paise) == (2_000 * RUPEE, 16_000 * RUPEE)  # 5%, 40%
    assert rules.step_paise == 100 * RUPEE  # UX rule 6: ₹100 steps over a ₹1 increment
    assert [b.ticket for b in desk.bidders] == [1, 2, 3, 4]
    assert all(b.present and not b.block for b in desk.bidders)
    aliases = {b.alias for b in desk.bidders}
    assert len(aliases) == 4 and all(a.startswith("Bidder ") for a in aliases)
    assert desk.remaining_ms == desk.ends_ms - before.now_ms > 0
    driver.clock.advance(AUCTION_MS)
    ended = vm.desk(_reading(driver), GID)
    assert (ended.remaining_ms, ended.can_bid, ended.can_close) == (0, False, True)


def test_steps_propose_only_what_the_kernel_accepts(driver: ChitDriver) -> None:
    rules = vm.desk(_reading(driver), GID).rules
    assert vm.step(rules, None, None, 0) == rules.min_paise
    assert vm.step(rules, None, None, -3) == rules.min_paise  # never below the lowest bid
    assert vm.step(rules, None, None, 2) == rules.min_paise + 2 * rules.step_paise
    assert vm.step(rules, None, None, 10_000) == rules.max_paise  # capped
    best = 5_000 * RUPEE
    assert vm.lowest_bid(rules, best) == best + rules.increment_paise
    assert vm.step(rules, best, None, 1) == best + rules.increment_paise + rules.step_paise
    assert vm.lowest_bid(rules, rules.max_paise) == rules.max_paise  # a tie at the cap
    whole = dataclasses.replace(rules, increment_paise=500 * RUPEE, in_multiples=True)
    whole = dataclasses.replace(whole, step_paise=vm.step_of(whole.increment_paise))
    assert whole.step_paise == 500 * RUPEE
    # from the minimum (between multiples), the next bid is the next whole increment
    assert vm.lowest_bid(whole, 2_000 * RUPEE) == 2_500 * RUPEE
    assert vm.step(whole, 2_100 * RUPEE, None, 0) == 3_000 * RUPEE
    assert vm.step_of(30 * RUPEE) == 120 * RUPEE  # a multiple of the increment, at least ₹100


def test_a_bid_the_step_buttons_propose_is_accepted_and_the_rooms_follow(
    driver: ChitDriver,
) -> None:
    rules = vm.desk(_reading(driver), GID).rules
    first = vm.step(rules, None, None, 1)
    _bid(driver, 2, first)
    room2, room3 = vm.room(_reading(driver), "M2"), vm.room(_reading(driver), "M3")
    assert room2.best_paise == first and room2.i_lead and not room2.outbid
    assert [b.mine for b in room2.bids] == [True] and room2.bids[0].alias == room2.my_alias
    assert not room3.i_lead and not room3.outbid and room3.bids[0].mine is False
    second = vm.step(rules, first, None, 0)
    _bid(driver, 3, second)
    room2 = vm.room(_reading(driver), "M2")
    assert room2.outbid and room2.best_paise == second
    assert room2.leading_alias == vm.room(_reading(driver), "M3").my_alias


def test_the_result_shows_the_winner_s_alias_my_share_and_my_next_instalment(
    driver: ChitDriver,
) -> None:
    _bid(driver, 2, 6_000 * RUPEE)
    driver.clock.advance(AUCTION_MS)
    kind, body = vm.close_command(GID, 1)
    driver.submit(kind, body)
    reading = _reading(driver)
    desk, winner, other = vm.desk(reading, GID, "1"), vm.room(reading, "M2"), vm.room(reading, "M1")
    settled = driver.settlement(GID, 1)
    assert desk.status == vm.CLOSED and desk.result is not None
    assert desk.result.winner_alias == winner.my_alias and desk.result.winner_ticket == 2
    assert desk.result.prize_paise == settled["prize_paise"]
    assert winner.i_won and not other.i_won
    assert other.my_share_paise == settled["per_ticket_dividend_paise"] > 0
    assert other.my_next_instalment_paise == settled["next_instalment_paise"]


def test_the_preview_is_the_kernel_s_settlement_at_that_discount(driver: ChitDriver) -> None:
    reading = _reading(driver)
    look = vm.preview(reading, GID, 1, 4_000 * RUPEE)
    kernel = chit_views.settlement_preview(reading.state, GID, 1, 4_000 * RUPEE)
    assert (look.prize_paise, look.commission_paise) == (
        kernel.prize_paise,
        kernel.commission_paise,
    )
    assert look.prize_paise < 40_000 * RUPEE


def test_a_room_is_refused_for_a_stranger_and_when_nothing_is_open(driver: ChitDriver) -> None:
    driver.register("M9", "Stranger")
    reading = _reading(driver)
    with pytest.raises(RuleViolation) as info:
        vm.room(reading, "M9", GID)
    assert info.value.code == "not_subscriber"
    with pytest.raises(RuleViolation) as info:
        vm.room(reading, "M9")
    assert info.value.code == "no_open_auction"
    assert vm.room(reading, "M1").group_id == GID  # the phone need not name the draw


def test_a_confirmation_s_command_id_is_stable_and_short(driver: ChitDriver) -> None:
    one = vm.bid_cmd_id("M2", "G" * 200, 1, "abcd")
    assert one == vm.bid_cmd_id("M2", "G" * 200, 1, "abcd")
    assert one != vm.bid_cmd_id("M2", "G" * 200, 1, "abce")
    assert len(one.encode()) <= CMD_ID_BYTES_MAX
    kind, body = vm.bid_command(GID, 1, 2, 3_000 * RUPEE, actor="M2")
    first = driver.node.submit(kind, body, one)
    again = driver.node.submit(kind, body, one)  # the same confirmation sent twice
    assert again.already_done and again.hash == first.hash
    assert len(vm.room(_reading(driver), "M2").bids) == 1
