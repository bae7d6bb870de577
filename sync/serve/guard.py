"""The restored-backup guard (issue 10, point 7): ask peers for our own feed first.

A device restored from an old backup holds an old head of its own feed. Writing from
there would put a second entry at a seq its peers already hold: a fork of its own key,
which freezes the device (docs/forks.md). So after each start, before this node writes
its first entry, serve asks the reachable peers for their copy of this device's feed
and catches up (the reconciliation fetches every feed, this one included). Only then
do local writes (the control endpoint, the app) go ahead. With no peer reachable
within the bound it writes anyway, and `chitnode status` says that its own head was
not checked against any peer.

The decision is pure (`verdict`); the asking is the peer layer's (`Ask`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

CHECKING, CAUGHT_UP, UNCHECKED = "checking", "caught_up", "unchecked"


@dataclass(frozen=True, slots=True)
class PeerAnswer:
    """What one peer session brought: who answered, and our own feed's head after it."""

    peer: str  # the peer's device key, or host:port when no key is known
    own_seq_after: int


@dataclass(frozen=True, slots=True)
class GuardState:
    state: str  # CHECKING, CAUGHT_UP or UNCHECKED
    own_seq_before: int
    own_seq_after: int
    peers: tuple[str, ...]  # the peers that answered
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "own_seq_before": self.own_seq_before,
            "own_seq_after": self.own_seq_after,
            "peers": list(self.peers),
            "reason": self.reason,
        }


def checking(own_seq: int) -> GuardState:
    return GuardState(CHECKING, own_seq, own_seq, (), "asking peers for this device's own feed")


def verdict(own_seq_before: int, answers: list[PeerAnswer], tried: int) -> GuardState:
    """After asking `tried` peers: caught up if any answered, else unchecked (say why)."""
    if not answers:
        why = "no peer known" if tried == 0 else f"none of {tried} known peers answered"
        return GuardState(
            UNCHECKED,
            own_seq_before,
            own_seq_before,
            (),
            f"{why}: this device writes from its own head (seq {own_seq_before}) without "
            "checking it against a peer; if it was restored from a backup, its next entry "
            "may fork its key",
        )
    after = max(a.own_seq_after for a in answers)
    peers = tuple(sorted({a.peer for a in answers}))
    moved = (
        f"own feed seq {own_seq_before} -> {after} (restored from an older copy?)"
        if after > own_seq_before
        else f"own feed head seq {after} confirmed"
    )
    return GuardState(CAUGHT_UP, own_seq_before, after, peers, f"{moved} by {len(peers)} peer(s)")


# Ask every reachable peer (each bounded in time by the caller); the answers that came.
Ask = Callable[[], Awaitable[tuple[list[PeerAnswer], int]]]


class Guard:
    """The guard of one serve run: `ready` is set once local writes may go ahead."""

    def __init__(self, own_seq: int) -> None:
        self.state = checking(own_seq)
        self.ready = asyncio.Event()

    async def run(self, ask: Ask | None, timeout_s: float) -> GuardState:
        answers: list[PeerAnswer] = []
        tried = 0
        if ask is not None:
            try:
                answers, tried = await asyncio.wait_for(ask(), timeout_s)
            except TimeoutError:
                tried = max(tried, 1)
        self.state = verdict(self.state.own_seq_before, answers, tried)
        self.ready.set()
        return self.state
