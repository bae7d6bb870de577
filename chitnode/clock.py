"""Ports for time and ids (STYLE.md): the domain never fetches them itself."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...
    def monotonic_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def monotonic_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000


@dataclass(slots=True)
class ManualClock:
    """A clock moved by hand (`advance`): the demo scripts a branch's year on it, so
    one seed gives one branch. Tests use it too, from a fixed day (tests/support/clock.py).
    """

    wall_ms: int
    mono_ms: int = 0

    def now_ms(self) -> int:
        return self.wall_ms

    def monotonic_ms(self) -> int:
        return self.mono_ms

    def advance(self, ms: int) -> None:
        self.wall_ms += ms
        self.mono_ms += ms


def new_id() -> str:
    """A fresh id (command ids, group ids): 32 hex digits, 6 bytes of ms time then 10 random.

    Ids made one after another sort one after another (as UUIDv7 does), so the indexes
    keyed by them grow at their right edge instead of dirtying a random page per insert;
    80 random bits keep ids from colliding. The time is only a prefix: nothing reads it.
    """
    return f"{time.time_ns() // 1_000_000 % 2**48:012x}{secrets.token_hex(10)}"
