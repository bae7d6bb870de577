"""Elapsed time for leases: a clock that keeps counting while the laptop sleeps.

A lease is a promise measured in elapsed time. `time.monotonic` (CLOCK_MONOTONIC on
Linux) stops while the machine is suspended, so a laptop closed for an hour would wake up
believing its five-minute lease had a minute left, while its voters, awake all along,
elected someone else. CLOCK_BOOTTIME is CLOCK_MONOTONIC plus the time spent suspended:
after a sleep the lease is over, as it is for everyone else.

A reading means nothing outside the process that took it: nothing derived from it is
ever persisted, and a restarted node starts with no lease and waits out any promise it
may have given before (docs/coordination.md, "Clocks").
"""

from __future__ import annotations

import sys
import time
from typing import Protocol


class ElapsedClock(Protocol):
    """Milliseconds elapsed since an arbitrary origin fixed for this process."""

    def elapsed_ms(self) -> int: ...


# The clock that counts suspended time, by OS. macOS's CLOCK_MONOTONIC
# (mach_continuous_time) keeps counting in sleep; its CLOCK_UPTIME_RAW is the one that stops.
SUSPEND_COUNTING_CLOCKS = {"linux": "CLOCK_BOOTTIME", "darwin": "CLOCK_MONOTONIC"}


def _suspend_counting_clock() -> int | None:
    """The clock id that counts suspended time on this OS, None where none is known."""
    platform = "linux" if sys.platform.startswith("linux") else sys.platform
    name = SUSPEND_COUNTING_CLOCKS.get(platform)
    clock_id: int | None = getattr(time, name, None) if name else None
    return clock_id


class BootClock:
    """Elapsed time including suspend (CLOCK_BOOTTIME on Linux), never going back.

    `counts_suspend` is False where the OS offers no such clock (then `time.monotonic`,
    and `chitnode lease status` says a sleep may outlast a lease there).
    """

    def __init__(self) -> None:
        self._clock_id = _suspend_counting_clock()
        self.counts_suspend = self._clock_id is not None
        self._last_ms = 0

    def elapsed_ms(self) -> int:
        if self._clock_id is not None:
            ns = time.clock_gettime_ns(self._clock_id)
        else:
            ns = time.monotonic_ns()
        # The kernel never moves these back; the guard keeps the promise if one did.
        self._last_ms = max(self._last_ms, ns // 1_000_000)
        return self._last_ms
