"""A branch in the middle of a live auction, for the auction screens' tests and benchmark.

A group of `tickets` members (tests/support/chit.py: G-2026-01, ₹10,000 a ticket a month,
tickets M1..Mn), all paid, month 1's draw opened with everyone present and `AUCTION_MS` on
the node's clock. By default the branch records no chit rules, so the draw is lot v1 and
closing settles at once; `lot_folder` records the rules (lot v2, ₹100 multiples) and opens
with the commitment of the meeting desk's secret kept in that data folder
(ui/meeting_desk.py), as the meeting screen does.
"""

from __future__ import annotations

import random
from pathlib import Path

from chitnode.node.node import Node
from chitnode.services.demo import DEMO_RULES
from tests.support.chit import GID, SUB, open_draw, pay_all, register, scope, take_lease
from tests.support.clock import FakeClock
from tests.support.driver import AUCTION_MS, ChitDriver

__all__ = ["AUCTION_MS", "GID", "mid_auction"]


def mid_auction(
    node: Node,
    clock: FakeClock,
    tickets: int = 4,
    *,
    seed: int = 12,
    lot_folder: Path | None = None,
) -> ChitDriver:
    """Members M1..M<tickets>, one ticket each, the group running and month 1's draw open."""
    driver = ChitDriver(node, clock, random.Random(seed))
    if lot_folder is not None:
        driver.submit("branch.chit_rules_set", DEMO_RULES)
    ids = register(driver, tickets)
    driver.form_group(GID, "Four friends", tickets * SUB, ids)
    take_lease(driver)
    pay_all(driver)
    if lot_folder is None:
        open_draw(driver, present=ids)
        return driver
    from ui.meeting_desk import lot_commit

    body = {**scope(), "month": 1, "present": ids, "foreman_present": True}
    commit = lot_commit(lot_folder, GID, 1)
    driver.submit("auction.opened", {**body, "duration_ms": AUCTION_MS, "lot_commit": commit})
    return driver
