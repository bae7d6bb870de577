"""The scripted foreman tests drive a node with: the demo's own `ChitDriver`.

The demo branch (`chitnode demo`) takes every step the driver knows (forming a
group, payments, the draw, minutes, security, payouts), so the driver lives with
the demo in chitnode/services/demo.py, and tests reuse it from here instead of
keeping a copy.
"""

from __future__ import annotations

from chitnode.services.demo import AUCTION_MS, DAY_MS, ChitDriver

__all__ = ["AUCTION_MS", "DAY_MS", "ChitDriver"]
