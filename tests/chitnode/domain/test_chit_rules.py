"""Chit fund arithmetic: the public worked example, every variant, the lot, closeout."""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections import Counter

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chitnode.domain import chit_rules as cr
from chitnode.domain import limits
from chitnode.domain.chit_rules import (
    Bid,
    CommissionMode,
    DividendTo,
    FirstMonth,
    GroupTerms,
    Settlement,
)
from chitnode.errors import RuleViolation

RUPEE = 100
LAKH = 100_000 * RUPEE


def example_terms(**changes: object) -> GroupTerms:
    """The public worked example: ₹10,00,000 over 50 tickets at 5% commission."""
    base = GroupTerms(chit_value_paise=10 * LAKH, tickets=50)
    return dataclasses.replace(base, **changes)


def h(n: int) -> str:
    """A stand-in log entry hash: sha-256 of a small integer."""
    return hashlib.sha256(str(n).encode()).hexdigest()


def code_of(excinfo: pytest.ExceptionInfo[RuleViolation]) -> str:
    return excinfo.value.code


# --- the worked example -------------------------------------------------------


def test_worked_public_example_exactly() -> None:
    terms = example_terms()
    cr.validate_terms(terms)
    assert cr.subscription_paise(terms) == 20_000 * RUPEE
    assert cr.commission_paise(terms) == 50_000 * RUPEE
    s = cr.settle(terms, 3 * LAKH, month=2)
    assert s.prize_paise == 7 * LAKH
    assert s.commission_paise == 50_000 * RUPEE
    assert s.dividend_pool_paise == 250_000 * RUPEE
    assert s.sharing_tickets == 50
    assert s.per_ticket_dividend_paise == 5_000 * RUPEE
    assert s.leftover_paise == 0
    assert s.next_instalment_paise == 15_000 * RUPEE
    assert s.collected_paise == 10 * LAKH


def test_example_dues_follow_the_settlement() -> None:
    terms = example_terms()
    s = cr.settle(terms, 3 * LAKH, month=2)
    assert cr.net_instalment_paise(terms, None, False) == 20_000 * RUPEE
    assert cr.net_instalment_paise(terms, s, False) == 15_000 * RUPEE
    assert cr.net_instalment_paise(terms, s, True) == 15_000 * RUPEE  # "all" includes the winner


# --- variants on the example ----------------------------------------------------


def test_dividend_to_others_returns_leftover_to_winner() -> None:
    terms = example_terms(dividend_to=DividendTo.OTHERS)
    s = cr.settle(terms, 3 * LAKH, month=2)
    assert s.sharing_tickets == 49
    assert s.dividend_pool_paise == 25_000_000
    assert (s.per_ticket_dividend_paise, s.leftover_paise) == (510_204, 4)
    assert s.leftover_to == "winner"
    assert s.prize_paise == 70_000_004
    assert cr.net_instalment_paise(terms, s, False) == 2_000_000 - 510_204
    assert cr.net_instalment_paise(terms, s, True) == 2_000_000


def test_commission_from_prize_shares_whole_discount() -> None:
    terms = example_terms(commission_mode=CommissionMode.FROM_PRIZE)
    s = cr.settle(terms, 3 * LAKH, month=2)
    assert s.dividend_pool_paise == 3 * LAKH
    assert s.per_ticket_dividend_paise == 6_000 * RUPEE
    assert s.prize_paise == 6_50_000 * RUPEE
    assert s.commission_paise == 50_000 * RUPEE
    assert s.next_instalment_paise == 14_000 * RUPEE


def test_commission_on_top_is_added_to_each_instalment() -> None:
    terms = example_terms(commission_mode=CommissionMode.ON_TOP)
    s = cr.settle(terms, 3 * LAKH, month=2)
    assert s.collected_paise == 50 * 21_000 * RUPEE
    assert s.commission_paise == 50_000 * RUPEE
    assert s.prize_paise == 7 * LAKH
    assert s.per_ticket_dividend_paise == 6_000 * RUPEE
    assert s.next_instalment_paise == (20_000 - 6_000 + 1_000) * RUPEE
    assert cr.net_instalment_paise(terms, None, False) == 21_000 * RUPEE


def test_on_top_share_rounds_down_so_foreman_never_exceeds_commission() -> None:
    # 13 tickets of 100 paise: 4% is 52 paise, exactly 4 a ticket; 4.5% is 58, still 4.
    terms = GroupTerms(
        chit_value_paise=1_300,
        tickets=13,
        commission_bps=400,
        commission_mode=CommissionMode.ON_TOP,
    )
    assert cr.commission_paise(terms) == 52
    s = cr.settle(terms, 100, month=2)
    assert s.commission_paise == 13 * 4 == 52
    odd = dataclasses.replace(terms, commission_bps=450)  # 1300 * 450 // 10000 = 58
    s = cr.settle(odd, 100, month=2)
    assert s.commission_paise == 13 * (58 // 13) == 52  # the 6 paise are forgone


def test_leftover_paise_go_to_the_winner_in_default_mode() -> None:
    terms = example_terms()
    s = cr.settle(terms, 3 * LAKH + 49, month=3)
    assert s.dividend_pool_paise == 250_000 * RUPEE + 49
    assert (s.per_ticket_dividend_paise, s.leftover_paise) == (5_000 * RUPEE, 49)
    assert s.prize_paise == 7 * LAKH - 49 + 49
    assert s.commission_paise == cr.commission_paise(terms)  # never above the cap


def test_foreman_first_month_takes_whole_value_without_commission() -> None:
    terms = example_terms(first_month=FirstMonth.FOREMAN_TICKET)
    s = cr.settle(terms, 0, month=1)
    assert (s.prize_paise, s.commission_paise, s.dividend_pool_paise) == (10 * LAKH, 0, 0)
    assert s.next_instalment_paise == 20_000 * RUPEE
    with pytest.raises(RuleViolation) as e:
        cr.settle(terms, 3 * LAKH, month=1)
    assert code_of(e) == "foreman_month_no_discount"
    assert cr.settle(terms, 3 * LAKH, month=2).prize_paise == 7 * LAKH


def test_foreman_first_month_on_top_collects_no_commission() -> None:
    terms = example_terms(
        first_month=FirstMonth.FOREMAN_TICKET, commission_mode=CommissionMode.ON_TOP
    )
    assert cr.net_instalment_paise(terms, None, False) == 20_000 * RUPEE
    s = cr.settle(terms, 0, month=1)
    assert s.collected_paise == s.prize_paise == 10 * LAKH
    assert s.next_instalment_paise == 21_000 * RUPEE


def test_lot_first_month_settles_at_minimum_discount() -> None:
    terms = example_terms(first_month=FirstMonth.LOT)
    s = cr.settle(terms, cr.min_discount_paise(terms), month=1)
    assert s.dividend_pool_paise == 0
    with pytest.raises(RuleViolation) as e:
        cr.settle(terms, 3 * LAKH, month=1)
    assert code_of(e) == "first_month_by_lot"


@pytest.mark.parametrize("month", [0, 51, -1])
def test_settle_rejects_months_outside_the_group(month: int) -> None:
    with pytest.raises(RuleViolation) as e:
        cr.settle(example_terms(), 3 * LAKH, month=month)
    assert code_of(e) == "bad_month"


# --- terms validation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"chit_value_paise": 10 * LAKH + 1}, "value_not_divisible"),
        ({"commission_bps": 501}, "commission_above_cap"),
        ({"commission_bps": 701, "amended_2019": True}, "commission_above_cap"),
        ({"commission_bps": -1}, "negative_amount"),
        ({"tickets": 1, "chit_value_paise": 100}, "too_few_tickets"),
        ({"tickets": 0}, "too_few_tickets"),
        ({"tickets": limits.TICKETS_MAX + 1}, "too_many_tickets"),
        ({"tickets": 2.0}, "not_integer"),
        ({"max_discount_bps": 10_001}, "bad_max_discount"),
        ({"max_discount_bps": 499}, "bad_max_discount"),
        ({"min_discount_paise": 50_000 * RUPEE - 1}, "bad_min_discount"),
        ({"min_discount_paise": 4 * LAKH + 1}, "bad_min_discount"),
        ({"min_discount_paise": -1}, "negative_amount"),
        ({"chit_value_paise": 0}, "non_positive_amount"),
        ({"chit_value_paise": -100}, "non_positive_amount"),
        ({"chit_value_paise": 1.5}, "not_integer_paise"),
        ({"chit_value_paise": limits.CHIT_VALUE_PAISE_MAX + 50}, "amount_above_max"),
        ({"bid_increment_paise": 0}, "non_positive_amount"),
        ({"dividend_to": "half"}, "bad_variant"),
        ({"commission_mode": "later"}, "bad_variant"),
        ({"first_month": "never"}, "bad_variant"),
        (
            {"commission_mode": CommissionMode.FROM_PRIZE, "max_discount_bps": 9_600},
            "bad_max_discount",
        ),
        (
            {"dividend_to": DividendTo.OTHERS, "max_discount_bps": 10_000, "commission_bps": 0},
            "bad_max_discount",
        ),
    ],
)
def test_validate_terms_codes(changes: dict[str, object], code: str) -> None:
    with pytest.raises(RuleViolation) as e:
        cr.validate_terms(example_terms(**changes))
    assert code_of(e) == code


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"commission_bps": 700, "amended_2019": True},
        {"commission_bps": 0},
        {"max_discount_bps": 10_000},
        {"min_discount_paise": 1 * LAKH},
        {"min_discount_paise": 0, "commission_mode": CommissionMode.ON_TOP},
        {"dividend_to": "others", "commission_mode": "from_prize", "first_month": "lot"},
    ],
)
def test_validate_terms_accepts_lawful_agreements(changes: dict[str, object]) -> None:
    cr.validate_terms(example_terms(**changes))


def test_commission_rounds_down_to_the_paisa() -> None:
    terms = GroupTerms(chit_value_paise=30_003, tickets=3, commission_bps=333)
    assert cr.commission_paise(terms) == 30_003 * 333 // 10_000 == 999  # 999.0999 paise
    assert cr.max_discount_paise(terms) == 12_001  # 12001.2 paise, rounded down


def test_min_discount_defaults_to_commission() -> None:
    assert cr.min_discount_paise(example_terms()) == 50_000 * RUPEE
    assert cr.min_discount_paise(example_terms(min_discount_paise=1 * LAKH)) == 1 * LAKH


# --- bids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("discount", "best", "code"),
    [
        (50_000 * RUPEE - 1, None, "bid_below_minimum"),
        (4 * LAKH + 1, None, "bid_above_cap"),
        (3 * LAKH, 3 * LAKH, "bid_increment_too_small"),
        (3 * LAKH + 99, 3 * LAKH, "bid_increment_too_small"),
        (2 * LAKH, 3 * LAKH, "bid_increment_too_small"),
        (3.5 * LAKH, None, "not_integer_paise"),
        (True, None, "not_integer_paise"),
    ],
)
def test_check_bid_codes(discount: object, best: int | None, code: str) -> None:
    with pytest.raises(RuleViolation) as e:
        cr.check_bid(example_terms(), discount, best)
    assert code_of(e) == code


def test_check_bid_accepts_increment_and_ties_at_the_cap() -> None:
    terms = example_terms()
    assert cr.check_bid(terms, 50_000 * RUPEE, None) == 50_000 * RUPEE
    step = cr.BID_INCREMENT_DEFAULT_PAISE  # Rs 100 (issue 14, point 7)
    assert cr.check_bid(terms, 3 * LAKH + step, 3 * LAKH) == 3 * LAKH + step
    assert cr.check_bid(terms, 4 * LAKH, 4 * LAKH) == 4 * LAKH  # tie at the cap: lot decides
    assert cr.check_bid(terms, 4 * LAKH, 4 * LAKH - 1) == 4 * LAKH


# --- the money invariant, every variant ------------------------------------------------


@st.composite
def valid_terms(draw: st.DrawFn) -> GroupTerms:
    tickets = draw(st.integers(2, 60))
    subscription = draw(st.integers(1, 10**7))
    commission_bps = draw(st.integers(0, 700))
    amended = commission_bps > 500 or draw(st.booleans())
    mode = draw(st.sampled_from(CommissionMode))
    terms = GroupTerms(
        chit_value_paise=tickets * subscription,
        tickets=tickets,
        commission_bps=commission_bps,
        amended_2019=amended,
        max_discount_bps=draw(st.integers(commission_bps, 10_000)),
        bid_increment_paise=draw(st.integers(1, 10_000)),
        dividend_to=draw(st.sampled_from(DividendTo)),
        commission_mode=mode,
        first_month=draw(st.sampled_from(FirstMonth)),
    )
    try:
        cr.validate_terms(terms)
    except RuleViolation:
        assume(False)
    if draw(st.booleans()):
        floor = cr.commission_paise(terms) if mode == CommissionMode.FROM_DISCOUNT else 0
        low = draw(st.integers(floor, cr.max_discount_paise(terms)))
        terms = dataclasses.replace(terms, min_discount_paise=low)
    return terms


def lawful_discount(draw: st.DrawFn, terms: GroupTerms, month: int) -> int:
    if month == 1 and terms.first_month == FirstMonth.FOREMAN_TICKET:
        return 0
    if month == 1 and terms.first_month == FirstMonth.LOT:
        return cr.min_discount_paise(terms)
    return draw(st.integers(cr.min_discount_paise(terms), cr.max_discount_paise(terms)))


@st.composite
def terms_and_month(draw: st.DrawFn) -> tuple[GroupTerms, int, int]:
    terms = draw(valid_terms())
    month = draw(st.integers(1, terms.tickets))
    return terms, month, lawful_discount(draw, terms, month)


def assert_settlement_balances(terms: GroupTerms, s: Settlement) -> None:
    """Every paisa collected is a prize, a commission or a dividend, to the paisa."""
    dividends = s.per_ticket_dividend_paise * s.sharing_tickets
    assert s.collected_paise == s.prize_paise + s.commission_paise + dividends
    assert s.dividend_pool_paise == dividends + s.leftover_paise
    assert 0 <= s.leftover_paise < s.sharing_tickets
    assert s.prize_paise >= 0 and s.per_ticket_dividend_paise >= 0
    assert s.next_instalment_paise >= 0
    assert s.commission_paise <= cr.commission_paise(terms)  # never above the agreed cap
    gross = terms.tickets * cr.subscription_paise(terms)
    on_top = s.collected_paise - gross
    assert on_top == (s.commission_paise if terms.commission_mode == "on_top" else 0)


@settings(max_examples=400)
@given(terms_and_month())
def test_every_settlement_sums_exactly(case: tuple[GroupTerms, int, int]) -> None:
    terms, month, discount = case
    s = cr.settle(terms, discount, month)
    assert_settlement_balances(terms, s)
    assert all(isinstance(v, int) for v in dataclasses.astuple(s) if not isinstance(v, str))


@pytest.mark.parametrize("mode", list(CommissionMode))
@pytest.mark.parametrize("dividend_to", list(DividendTo))
@given(data=st.data())
def test_invariant_per_variant(
    mode: CommissionMode, dividend_to: DividendTo, data: st.DataObject
) -> None:
    discount = data.draw(st.integers(50_000 * RUPEE, 35 * LAKH // 10), label="discount")
    terms = example_terms(commission_mode=mode, dividend_to=dividend_to)
    assert_settlement_balances(terms, cr.settle(terms, discount, month=5))


# --- the verifiable lot ------------------------------------------------------------------


def auditor_lot(candidates: list[str], hashes: list[str]) -> str:
    """The docstring's algorithm, written again from the text alone."""
    ordered = sorted(candidates)
    seed = hashlib.sha256(b"chitnode.lot.v1:" + b"".join(bytes.fromhex(x) for x in hashes))
    digest = seed.digest()
    n = len(ordered)
    while int.from_bytes(digest, "big") >= (2**256 // n) * n:
        digest = hashlib.sha256(digest).digest()
    return ordered[int.from_bytes(digest, "big") % n]


def test_draw_lot_golden_vector() -> None:
    hashes = [h(1), h(2)]
    seed = hashlib.sha256(b"chitnode.lot.v1:" + bytes.fromhex(h(1)) + bytes.fromhex(h(2)))
    index = int(seed.hexdigest(), 16) % 3
    assert cr.draw_lot(["t3", "t1", "t2"], hashes) == ["t1", "t2", "t3"][index]


@given(
    st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=30, unique=True),
    st.lists(st.integers(0, 10**6), min_size=1, max_size=5),
    st.randoms(use_true_random=False),
)
def test_draw_lot_matches_auditor_and_ignores_candidate_order(
    candidates: list[str], seeds: list[int], rnd: random.Random
) -> None:
    hashes = [h(n) for n in seeds]
    shuffled = list(candidates)
    rnd.shuffle(shuffled)
    winner = cr.draw_lot(candidates, hashes)
    assert winner in candidates
    assert winner == cr.draw_lot(shuffled, hashes) == auditor_lot(candidates, hashes)


def test_draw_lot_depends_on_hash_order() -> None:
    candidates = [f"t{i:02d}" for i in range(50)]
    pairs = [(h(a), h(a + 1)) for a in range(20)]
    forward = [cr.draw_lot(candidates, [x, y]) for x, y in pairs]
    backward = [cr.draw_lot(candidates, [y, x]) for x, y in pairs]
    assert forward != backward


def test_draw_lot_is_roughly_uniform() -> None:
    counts = Counter(cr.draw_lot(["a", "b", "c"], [h(n)]) for n in range(3_000))
    assert set(counts) == {"a", "b", "c"}
    assert all(850 <= c <= 1_150 for c in counts.values())  # ~6 sigma; deterministic


def test_rejection_sampling_rehashes_values_in_the_biased_tail() -> None:
    top = b"\xff" * 32  # 2**256 - 1 >= (2**256 // 3) * 3, so it must be rehashed
    rehashed = int.from_bytes(hashlib.sha256(top).digest(), "big")
    assert cr._index_from_seed(top, 3) == rehashed % 3
    assert cr._index_from_seed(top, 2) == 1  # 2 divides 2**256: no tail, no rehash


@pytest.mark.parametrize(
    ("candidates", "hashes", "code"),
    [
        ([], [h(1)], "no_candidates"),
        (["a", "a"], [h(1)], "duplicate_candidate"),
        (["a"], [], "no_seed"),
        (["a"], ["xyz"], "bad_seed_hash"),
        (["a"], [h(1).upper()], "bad_seed_hash"),
        (["a"], [h(1)[:-2]], "bad_seed_hash"),
    ],
)
def test_draw_lot_codes(candidates: list[str], hashes: list[str], code: str) -> None:
    with pytest.raises(RuleViolation) as e:
        cr.draw_lot(candidates, hashes)
    assert code_of(e) == code


# --- the auction ---------------------------------------------------------------------


ELIGIBLE = [f"t{i:02d}" for i in range(1, 11)]


def test_highest_discount_wins_without_lot() -> None:
    bids = [Bid("t01", 2 * LAKH, h(1)), Bid("t02", 3 * LAKH, h(2)), Bid("t03", 1 * LAKH, h(3))]
    result = cr.auction_winner(example_terms(), bids, ELIGIBLE, [h(0)])
    assert result == cr.AuctionResult("t02", 3 * LAKH, by_lot=False)


def test_tie_is_settled_by_lot_among_tied_tickets() -> None:
    bids = [Bid("t05", 4 * LAKH, h(1)), Bid("t01", 2 * LAKH, h(2)), Bid("t09", 4 * LAKH, h(3))]
    result = cr.auction_winner(example_terms(), bids, ELIGIBLE, [h(0)])
    assert result.by_lot and result.discount_paise == 4 * LAKH
    assert result.ticket_id == cr.draw_lot(["t05", "t09"], [h(0), h(1), h(2), h(3)])


def test_repeat_bids_of_one_ticket_are_not_a_tie() -> None:
    bids = [Bid("t05", 4 * LAKH, h(1)), Bid("t05", 4 * LAKH, h(2))]
    result = cr.auction_winner(example_terms(), bids, ELIGIBLE, [h(0)])
    assert result == cr.AuctionResult("t05", 4 * LAKH, by_lot=False)


def test_no_bids_means_lot_among_eligible_at_minimum_discount() -> None:
    terms = example_terms()
    result = cr.auction_winner(terms, [], ELIGIBLE, [h(0)])
    assert result == cr.AuctionResult(
        cr.draw_lot(ELIGIBLE, [h(0)]), cr.min_discount_paise(terms), by_lot=True
    )


def test_prized_ticket_may_not_bid() -> None:
    with pytest.raises(RuleViolation) as e:
        cr.auction_winner(example_terms(), [Bid("t99", 3 * LAKH, h(1))], ELIGIBLE, [h(0)])
    assert code_of(e) == "ticket_not_eligible"


def test_auction_rejects_unlawful_bid_amount() -> None:
    with pytest.raises(RuleViolation) as e:
        cr.auction_winner(example_terms(), [Bid("t01", 5 * LAKH, h(1))], ELIGIBLE, [h(0)])
    assert code_of(e) == "bid_above_cap"


# --- security for future dues -------------------------------------------------------------


def test_security_is_four_thirds_of_future_dues_rounded_up() -> None:
    terms = example_terms()
    assert cr.security_required_paise(terms, 49) == 130_666_667  # 4/3 * 9,80,00,000 paise
    assert cr.security_required_paise(terms, 3) == 8_000_000
    assert cr.security_required_paise(terms, 0) == 0
    on_top = example_terms(commission_mode=CommissionMode.ON_TOP)
    assert cr.security_required_paise(on_top, 3) == 4 * 3 * 2_100_000 // 3


@given(valid_terms(), st.data())
def test_security_never_below_four_thirds(terms: GroupTerms, data: st.DataObject) -> None:
    left = data.draw(st.integers(0, terms.tickets - 1))
    required = cr.security_required_paise(terms, left)
    dues = left * cr.net_instalment_paise(
        dataclasses.replace(terms, first_month="auction"), None, False
    )
    assert 3 * required >= 4 * dues > 3 * (required - 1)


@pytest.mark.parametrize("left", [-1, 50])
def test_security_rejects_bad_months_left(left: int) -> None:
    with pytest.raises(RuleViolation) as e:
        cr.security_required_paise(example_terms(), left)
    assert code_of(e) == "bad_month"


# --- closeout ----------------------------------------------------------------------------


def group_of(n: int) -> list[str]:
    return [f"t{i:02d}" for i in range(1, n + 1)]


@st.composite
def finished_group(draw: st.DrawFn) -> tuple[GroupTerms, list[tuple[str, Settlement]], list[str]]:
    terms = GroupTerms(
        chit_value_paise=20 * draw(st.integers(1, 10**6)) * 100,
        tickets=20,
        commission_bps=draw(st.integers(0, 500)),
        max_discount_bps=draw(st.sampled_from([3_000, 3_500, 4_000])),
        dividend_to=draw(st.sampled_from(DividendTo)),
        commission_mode=draw(st.sampled_from(CommissionMode)),
        first_month=draw(st.sampled_from(FirstMonth)),
    )
    tickets = group_of(20)
    winners = draw(st.permutations(tickets))
    awards = [
        (winners[m - 1], cr.settle(terms, lawful_discount(draw, terms, m), m)) for m in range(1, 21)
    ]
    return terms, awards, tickets


@settings(max_examples=150)
@given(finished_group(), st.data())
def test_closeout_balances_to_the_paisa(
    group: tuple[GroupTerms, list[tuple[str, Settlement]], list[str]], data: st.DataObject
) -> None:
    terms, awards, tickets = group
    full = cr.closeout(terms, awards, tickets, {})
    dues = {s.ticket_id: s.due_paise for s in full.statements}
    short = {t: data.draw(st.integers(0, dues[t]), label=t) for t in tickets}
    report = cr.closeout(terms, awards, tickets, {t: dues[t] - short[t] for t in tickets})
    money_out = report.total_prizes_paise + report.final_dividend_cash_paise
    # every paisa due is a prize, the foreman's commission or a dividend paid at the end
    assert report.total_due_paise == money_out + report.total_commission_paise
    assert report.cash_left_paise == -sum(short.values())
    assert report.total_paid_in_paise == money_out + report.total_commission_paise - sum(
        short.values()
    )
    assert sum(s.received_paise for s in report.statements) == report.total_prizes_paise
    assert all(s.received_paise > 0 for s in report.statements)  # every ticket won once
    credited = sum(s.dividends_paise for s in report.statements)
    assert credited == sum(s.per_ticket_dividend_paise * s.sharing_tickets for _, s in awards)


def test_closeout_on_the_example_with_every_ticket_paid() -> None:
    terms = example_terms(chit_value_paise=4 * LAKH, tickets=20)  # ₹20,000 a month
    tickets = group_of(20)
    awards = [
        (t, cr.settle(terms, cr.min_discount_paise(terms) + 100 * m, m))
        for m, t in enumerate(tickets, start=1)
    ]
    first = cr.closeout(terms, awards, tickets, {})
    paid = {s.ticket_id: s.due_paise for s in first.statements}
    report = cr.closeout(terms, awards, tickets, paid)
    assert report.cash_left_paise == 0
    assert all(s.balance_paise == 0 for s in report.statements)
    assert report.total_commission_paise == 20 * cr.commission_paise(terms)


def _example_awards(terms: GroupTerms) -> list[tuple[str, Settlement]]:
    return [(t, cr.settle(terms, 3 * LAKH, m)) for m, t in enumerate(group_of(terms.tickets), 1)]


def test_closeout_rejects_incomplete_or_inconsistent_books() -> None:
    terms = example_terms(tickets=20, chit_value_paise=10 * LAKH)
    tickets = group_of(20)
    awards = _example_awards(terms)
    cases: list[tuple[list[tuple[str, Settlement]], list[str], dict[str, int], str]] = [
        (awards[:-1], tickets, {}, "incomplete_group"),
        (awards, tickets[:-1], {}, "bad_tickets"),
        (awards, [*tickets[:-1], tickets[0]], {}, "bad_tickets"),
        ([(awards[0][0], s) for _, s in awards], tickets, {}, "ticket_prized_twice"),
        ([("zz", awards[0][1]), *awards[1:]], tickets, {}, "unknown_ticket"),
        (awards, tickets, {"zz": 1}, "unknown_ticket"),
        (awards, tickets, {"t01": -1}, "negative_amount"),
        (awards[1:] + awards[:1], tickets, {}, "settlement_mismatch"),
    ]
    forged = dataclasses.replace(awards[3][1], prize_paise=awards[3][1].prize_paise + 1)
    cases.append(
        ([*awards[:3], (awards[3][0], forged), *awards[4:]], tickets, {}, "settlement_mismatch")
    )
    for bad_awards, bad_tickets, payments, code in cases:
        with pytest.raises(RuleViolation) as e:
            cr.closeout(terms, bad_awards, bad_tickets, payments)
        assert code_of(e) == code, code
