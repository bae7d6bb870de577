"""Issue 14, point 6: the minimum discount by commission mode (docs/chit-rules.md).

The rule: the default minimum discount is the commission only when the
commission comes out of the discount (`from_discount`); collected on top or cut
from the prize, the discount carries no commission and the minimum is zero. So
a no-bid month (drawn by lot) and the last month give the prize without a
forced discount. `chitnode calc auction` applies the same rule and agrees with
the settlement the node folds, for every mode.
"""

from __future__ import annotations

import json
import random

import pytest

from chitnode.cli.main import main
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_rules
from chitnode.domain.chit_rules import CommissionMode
from chitnode.node.node import Node
from chitnode.services import reports
from tests.support.clock import FakeClock
from tests.support.driver import DAY_MS, ChitDriver

RUPEE = 100
CHIT_VALUE = 40_000 * RUPEE  # the 4-ticket group
COMMISSION = 2_000 * RUPEE  # 5% of it
MEMBERS = ["M1", "M2", "M3", "M4"]
GID = "G-MIN"
MODES = [mode.value for mode in CommissionMode]
# The last member's prize by the rule: the whole chit value unless the commission is
# taken from the discount (it is then the minimum) or cut from the prize.
LAST_PRIZE = {
    "from_discount": CHIT_VALUE - COMMISSION,
    "from_prize": CHIT_VALUE - COMMISSION,
    "on_top": CHIT_VALUE,
}


def run_group(
    node: Node, clock: FakeClock, mode: str, bids_max: int, seed: int, **terms: int
) -> ChitDriver:
    """A 4-ticket ₹40,000 group run to close-out through the node."""
    driver = ChitDriver(node, clock, random.Random(seed))
    for member_id in MEMBERS:
        driver.register(member_id, f"Member {member_id}")
    driver.form_group(GID, "Forty thousand", CHIT_VALUE, MEMBERS, commission_mode=mode, **terms)
    for month in range(1, len(MEMBERS) + 1):
        clock.advance(2 * DAY_MS)
        driver.pay_dues(GID, [1, 2, 3, 4], month)
        clock.advance(18 * DAY_MS)
        driver.auction(GID, bids_max=bids_max)
        driver.attest(GID, month)
        driver.secure(GID, month, deduction=False)
        assert driver.pay_prizes(GID) == [month]
        clock.advance(10 * DAY_MS)
    driver.close(GID)
    return driver


def calc_auction(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, int]:
    capsys.readouterr()
    assert main(["calc", "auction", *args, "--json"]) == 0
    data: dict[str, int] = json.loads(capsys.readouterr().out)
    return data


def rupees(paise: int) -> str:
    return f"{paise // RUPEE}.{paise % RUPEE:02d}"


def test_the_default_minimum_follows_the_commission_mode() -> None:
    for mode, minimum in (("from_discount", COMMISSION), ("from_prize", 0), ("on_top", 0)):
        terms = chit_rules.GroupTerms(CHIT_VALUE, 4, commission_mode=CommissionMode(mode))
        assert chit_rules.min_discount_paise(terms) == minimum
        agreed = chit_rules.GroupTerms(
            CHIT_VALUE, 4, commission_mode=CommissionMode(mode), min_discount_paise=COMMISSION
        )
        assert chit_rules.min_discount_paise(agreed) == COMMISSION  # the agreement's own wins


@pytest.mark.parametrize("mode", MODES)
def test_a_no_bid_group_pays_each_member_by_the_rule(
    fresh_node: Node, clock: FakeClock, mode: str
) -> None:
    driver = run_group(fresh_node, clock, mode, bids_max=0, seed=3)
    last = driver.settlement(GID, len(MEMBERS))
    assert last["prize_paise"] == LAST_PRIZE[mode]  # on top: ₹40,000, not ₹38,000
    discount = 0 if mode != "from_discount" else COMMISSION
    assert all(
        s["discount_paise"] == discount
        for s in base.settlement_rows(driver.state, driver.group(GID))
    )


@pytest.mark.parametrize("bids_max", [0, 6], ids=["lot-months", "bids"])
@pytest.mark.parametrize("mode", MODES)
def test_calc_auction_agrees_with_the_kernel(
    fresh_node: Node,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    mode: str,
    bids_max: int,
) -> None:
    driver = run_group(fresh_node, clock, mode, bids_max=bids_max, seed=11)
    fields = [f.name for f in chit_rules.Settlement.__dataclass_fields__.values()]
    terms = ["--chit-value", rupees(CHIT_VALUE), "--tickets", "4", "--commission-mode", mode]
    for settled in base.settlement_rows(driver.state, driver.group(GID)):
        month, discount = str(settled["month"]), rupees(int(settled["discount_paise"]))
        out = calc_auction(capsys, *terms, "--discount", discount, "--month", month)
        assert {f: out[f] for f in fields} == {f: settled[f] for f in fields}
        assert out["min_discount_paise"] <= settled["discount_paise"]


def test_calc_auction_takes_an_agreed_minimum(capsys: pytest.CaptureFixture[str]) -> None:
    terms = ["--chit-value", "40,000", "--tickets", "4", "--commission-mode", "on_top"]
    out = calc_auction(capsys, *terms, "--discount", "0", "--month", "4")
    assert out["min_discount_paise"] == 0 and out["prize_paise"] == CHIT_VALUE
    out = calc_auction(capsys, *terms, "--min-discount", "1,000", "--discount", "1,000")
    assert out["min_discount_paise"] == 1_000 * RUPEE
    capsys.readouterr()
    assert main(["calc", "auction", *terms, "--min-discount", "1,000", "--discount", "500"]) != 0
    assert "bid_below_minimum" in capsys.readouterr().err


def test_the_final_share_of_discount_is_on_the_statement(
    fresh_node: Node, clock: FakeClock
) -> None:
    # The last month has one ticket left and no bidding: it settles at the minimum, so
    # with the default (zero, on top) nothing is left to share; an agreed minimum is.
    agreed = 1_000 * RUPEE
    driver = run_group(fresh_node, clock, "on_top", 6, 11, min_discount_paise=agreed)
    last = driver.settlement(GID, len(MEMBERS))
    share = int(last["per_ticket_dividend_paise"])
    assert last["discount_paise"] == agreed and share == agreed // len(MEMBERS)
    for number, member_id in enumerate(MEMBERS, start=1):
        lines = [
            line
            for line in reports.member_statement(fresh_node, member_id).lines
            if "final share of discount" in line.description
        ]
        assert [(line.account, line.amount_paise) for line in lines] == [
            (f"chit {GID} #{number}", share)
        ]
    closeout = fresh_node.engine.state.get(base.CLOSEOUTS, GID)
    assert closeout is not None
    assert closeout["final_dividend_cash_paise"] == share * int(last["sharing_tickets"])
