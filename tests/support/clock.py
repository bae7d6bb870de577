"""The tests' clock: the demo's hand-moved clock, starting on a fixed day."""

from __future__ import annotations

from dataclasses import dataclass

from chitnode.clock import ManualClock

T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: every test's "now" unless told otherwise


@dataclass(slots=True)
class FakeClock(ManualClock):
    """A clock tests move by hand (`advance`), from T0_MS unless given `wall_ms`."""

    wall_ms: int = T0_MS
