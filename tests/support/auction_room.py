"""A branch in the middle of a live auction, for the auction screens' tests and benchmark.

A 4-ticket group (tests/support/chit.py: G-2026-01, ₹40,000, tickets M1..M4), all paid,
month 1's draw opened with everyone present and `AUCTION_MS` on the node's clock (lot v1:
no branch rules recorded, so closing settles at once). `big_auction` makes the same with
`tickets` members for the fan-out benchmark.
"""

from __future__ import annotations

import random

from chitnode.node.node import Node
from tests.support.chit import GID, SUB, open_draw, pay_all, register, take_lease
from tests.support.clock import FakeClock
from tests.support.driver import AUCTION_MS, ChitDriver

__all__ = ["AUCTION_MS", "GID", "mid_auction"]


def mid_auction(node: Node, clock: FakeClock, tickets: int = 4, seed: int = 12) -> ChitDriver:
    """Members M1..M<tickets>, one ticket each, the group running and month 1's draw open."""
    driver = ChitDriver(node, clock, random.Random(seed))
    ids = register(driver, tickets)
    driver.form_group(GID, "Four friends", tickets * SUB, ids)
    take_lease(driver)
    pay_all(driver)
    open_draw(driver, present=ids)
    return driver
