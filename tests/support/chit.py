"""Helpers the chit kind tests share: a 4-ticket group's commands and refusal checks.

Test modules import no other test module (tests/test_layering.py), so the helpers
`test_chit_kinds.py` and `test_chit_law_actors.py` both use live here.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from nacl.signing import SigningKey

from chitnode.domain import chit_kinds_base as base
from chitnode.domain.apply import decide
from chitnode.errors import ChitError, RuleViolation
from chitnode.log.entry import ZERO_HASH, Entry, seal_entry
from chitnode.node.node import Node
from tests.support.clock import FakeClock
from tests.support.driver import AUCTION_MS, ChitDriver

RUPEE = 100
GID = "G-2026-01"
SUB = 10_000 * RUPEE  # 4 tickets of a ₹40,000 chit


def register(driver: ChitDriver, count: int, kyc: str = base.KYC_APPROVED) -> list[str]:
    ids = [f"M{i}" for i in range(1, count + 1)]
    for mid in ids:
        driver.register(mid, f"Member {mid}", kyc=kyc)
    return ids


def four_friends(node: Node, clock: FakeClock, seed: int) -> ChitDriver:
    """A running 4-ticket group (tickets M1..M4), the lease held."""
    driver = ChitDriver(node, clock, random.Random(seed))
    driver.form_group(GID, "Four friends", 4 * SUB, register(driver, 4))
    take_lease(driver)
    return driver


def take_lease(driver: ChitDriver) -> None:
    """Hold the group's lease before a refused coordinated command.

    Works around a kernel bug (reported): when the branch's very first lease is
    taken inside a command that is then refused, the rollback drops the new
    p_grants table but Store._known still lists it, and Node's engine.load()
    fails with sqlite3.OperationalError.
    """
    node = driver.node
    with node.store.transaction():
        node._ensure_lease(f"group:{GID}")


def refused(driver: ChitDriver, kind: str, body: dict[str, Any]) -> str:
    """Submit a command that must be refused; the state must not change (G9)."""
    before = driver.node.engine.digest()
    with pytest.raises(ChitError) as info:
        driver.node.submit(kind, body)
    assert driver.node.engine.digest() == before
    return info.value.code


def scope(gid: str = GID) -> dict[str, str]:
    return {"group_id": gid, "scope": f"group:{gid}"}


def pay_all(driver: ChitDriver, gid: str = GID) -> None:
    group = driver.group(gid)
    driver.pay_dues(gid, list(range(1, group["tickets"] + 1)), base.current_month(group))


def open_draw(driver: ChitDriver, present: list[str] | None = None) -> int:
    month = driver.group(GID)["settled"] + 1
    driver.present[(GID, month)] = present or ["M1", "M2", "M3", "M4"]
    body = {**scope(), "month": month, "present": driver.present[(GID, month)]}
    driver.submit("auction.opened", {**body, "foreman_present": True, "duration_ms": AUCTION_MS})
    return int(month)


def bid(driver: ChitDriver, month: int, ticket: int, discount_paise: int) -> None:
    body = {**scope(), "month": month, "ticket": ticket, "discount_paise": discount_paise}
    driver.submit("auction.bid", {**body, "actor": driver.ticket(GID, ticket)["member_id"]})


def close_draw(driver: ChitDriver, month: int) -> dict[str, Any]:
    driver.clock.advance(AUCTION_MS)
    driver.submit("auction.closed", {**scope(), "month": month})
    return driver.settlement(GID, month)


def month_done(driver: ChitDriver, month: int, deduction: bool = False) -> None:
    driver.attest(GID, month)
    driver.secure(GID, month, deduction)
    assert month in driver.pay_prizes(GID)


def run_months(driver: ChitDriver, count: int) -> None:
    for _ in range(count):
        pay_all(driver)
        month = open_draw(driver)
        close_draw(driver, month)
        month_done(driver, month)


def foreign(driver: ChitDriver, role: str, kind: str, body: dict[str, Any]) -> Entry:
    """An entry by another enrolled device of `role` (for the fold's role checks)."""
    key = SigningKey(bytes([len(role)]) * 32)
    public = key.verify_key.encode().hex()
    if driver.state.get("devices", public) is None:
        driver.submit("device.enrolled", {"key": public, "role": role, "name": role})
    return seal_entry(
        key,
        branch=driver.node.branch,
        seq=1,
        prev=ZERO_HASH,
        ts=driver.clock.now_ms(),
        deps=tuple(sorted((a, s, h) for a, (s, h) in driver.node.engine.heads.items())),
        kind=kind,
        body=body,
    )  # it has seen its enrolment: authority is by what an entry reaches (wal-v1 §5)


def decided_code(driver: ChitDriver, entry: Entry) -> str:
    with pytest.raises(RuleViolation) as info:
        decide(driver.state, entry)
    return info.value.code
