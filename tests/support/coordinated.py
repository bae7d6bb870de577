"""A coordinated kind that exists only for tests (registered for one test, then removed):
`test.payout`, written by managers under a scope's lease, putting a row per `ref`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from chitnode.domain.kinds import MANAGERS, REGISTRY, KindSpec
from chitnode.domain.state import Change, Put, State
from chitnode.log.entry import Entry

KIND = "test.payout"


def _payout(state: State, entry: Entry) -> list[Change]:
    return [Put("test_payouts", str(entry.body["ref"]), {"term": entry.body["term"]})]


@contextmanager
def registered() -> Iterator[str]:
    REGISTRY[KIND] = KindSpec(KIND, MANAGERS, _payout, True, "test only")
    try:
        yield KIND
    finally:
        del REGISTRY[KIND]
