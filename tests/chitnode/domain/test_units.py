"""Every number in an entry body or a projection row says its unit (issue 8, point 3).

Money is `*_paise`, rates `*_bps`, times `*_ms`; anything else must be a count named
in `COUNTS`. The branch checked is the `chitnode demo` branch (built by the demo
service in a tmp folder) plus a tour of the kinds the demo does not write (wallets,
bank requests, loans, leases, a revocation), so every registered kind is written at
least once, except the few in `NOT_WRITTEN_HERE`: a new kind joins the tour or that
list. What is checked is what is on disk: the `entries` lines and the `p_*`
projection tables of the SQLite file, read with sqlite3 (not the store API, so the
test sees exactly what a later release will find there).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chitnode.domain import bank_kinds as bank
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import loan_views as lv
from chitnode.domain import wallet_kinds as wallet
from chitnode.domain.kinds import load_all
from chitnode.node.node import Node
from chitnode.services.demo import DAY_MS, run_demo
from chitnode.store.sqlite import DB_FILE
from tests.support.clock import FakeClock

UNIT_SUFFIXES = ("_paise", "_bps", "_ms")  # money, rates, times
UNIT_NAMES = frozenset({"paise"})  # a balance row is {"paise": n}
# Numbers that are not money, rates or instants: counts, ordinals and calendar spans
# the rules state in whole days or months. Keep this short: a new number that is
# money, a rate or a time gets a suffix instead.
COUNTS = frozenset(
    {
        "ticket",  # ticket numbers: 1..tickets
        "tickets",
        "foreman_ticket",
        "winner_ticket",
        "sharing_tickets",
        "month",  # month numbers: 1..months
        "months",
        "won_month",
        "missed_month",
        "deposit_by_month",  # s.30(1): the defaulter's money is deposited before this month
        "meeting_day",  # day of the month, 1..28
        "grace_days",  # the agreement's grace period, in calendar days
        "tenure_months",  # a loan's tenure, in calendar months
        "seq",  # feed positions and coordination terms
        "enrolled_seq",
        "term",
        "case",  # running numbers and tallies
        "receipts",
        "recoveries",
        "settled",
        "moves",
        "instalments_due",  # EMIs fallen due, covered by payments, covered late
        "covered",
        "late",
    }
)
# Kinds a lone root node cannot write honestly, with what their bodies hold (no amounts):
# a second voter in the electorate (coordination-v1: scope, term, keys, hashes), or a
# fork of the root's own feed to resolve (docs/forks.md: a feed position and a hash).
NOT_WRITTEN_HERE = frozenset({"lease.vote", "lease.transferred", "fork.resolved"})
LOAN_PAISE = 2_000_00


def unit_less(value: object, where: str) -> Iterator[str]:
    """Paths under `value` of numbers (or lists of numbers) whose key names no unit."""
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}"
            if key.endswith(UNIT_SUFFIXES) or key in UNIT_NAMES:
                continue  # everything under a unit-named key is in that unit
            if _numeric(item) and key not in COUNTS:
                yield path
            yield from unit_less(item, path)
    elif isinstance(value, list):
        for item in value:
            yield from unit_less(item, f"{where}[]")


def _numeric(value: object) -> bool:
    if isinstance(value, list):
        return bool(value) and all(_numeric(v) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- the branch ---------------------------------------------------------------------------


@dataclass
class Tour:
    """Writes one entry of each kind the chit demo does not write, on its own members."""

    node: Node
    clock: FakeClock

    def run(self, kind: str, body: dict[str, Any]) -> None:
        self.clock.advance(1_000)
        receipt = self.node.submit(kind, body)
        assert receipt.status == "applied", (kind, receipt)

    def wallets_and_bank(self) -> None:
        run = self.run
        run(wallet.DEPOSITED, wallet.deposit_body("M001", 5_000_00, "u-1", bank_ref="UPI1"))
        run(wallet.TRANSFERRED, wallet.transfer_body("M001", "M002", 1_000_00, "u-2"))
        run(wallet.WITHDRAWN, wallet.withdraw_body("M002", 500_00, "u-3", note="counter"))
        run(bank.DEPOSIT_REQUESTED, bank.request_body("d1", "M003", 2_000_00, withdrawal=False))
        run(bank.DEPOSIT_SETTLED, bank.settled_body("d1", "NEFT1", withdrawal=False))
        run(bank.DEPOSIT_REQUESTED, bank.request_body("d2", "M003", 1_00, withdrawal=False))
        run(bank.DEPOSIT_FAILED, bank.refused_body("d2", "closed account", withdrawal=False))
        for rid, kind, answer in (
            ("w1", bank.WITHDRAWAL_SETTLED, bank.settled_body("w1", "NEFT2", withdrawal=True)),
            ("w2", bank.WITHDRAWAL_REJECTED, bank.refused_body("w2", "frozen", withdrawal=True)),
        ):
            run(bank.WITHDRAWAL_REQUESTED, bank.request_body(rid, "M003", 500_00, withdrawal=True))
            run(kind, answer)

    def loans(self) -> None:
        run, state = self.run, self.node.engine.state
        borrower = next(  # the first member whose paid-in chit dues back the loan
            member_id
            for member_id in sorted(state.rows(base.MEMBERS))
            if lv.eligibility_of(lv.eligibility_facts(state, member_id), LOAN_PAISE).ok
        )
        run("treasury.funded", {"amount_paise": 10_00_000_00, "bank_ref": "UTR-FUND"})
        run("loan.rate_set", {"annual_rate_bps": 1_100})
        for loan_id in ("L-1", "L-2"):
            application = {"loan_id": loan_id, "member_id": borrower, "amount_paise": LOAN_PAISE}
            application["actor"] = borrower  # the member's own act (issue 14, point 1)
            run("loan.applied", {**application, "tenure_months": 6, "purpose": "stock"})
        run("loan.rejected", {"loan_id": "L-2", "reason": "one loan at a time"})
        run("loan.approved", {"loan_id": "L-1", "reason": "regular payer"})
        run("loan.sanctioned", {"loan_id": "L-1", "scope": "treasury"})
        run("loan.disbursed", {"loan_id": "L-1", "scope": "treasury", "amount_paise": 500_00})
        run("loan.disbursed", {"loan_id": "L-1", "scope": "treasury", "to": "wallet"})
        for month in (1, 2):
            self.clock.advance(lv.LOAN_MONTH_MS)
            run("loan.emi_due", {"loan_id": "L-1", "month": month})
        run("loan.repaid", {"loan_id": "L-1", "amount_paise": 100_00, "bank_ref": "CASH"})
        self.clock.advance((lv.LOAN_GRACE_DAYS + 1) * DAY_MS)
        run("loan.overdue", {"loan_id": "L-1", "note": "EMI 1 unpaid"})
        run("loan.recovery_moved", {"loan_id": "L-1", "to": "contacted", "note": "phoned"})

    def the_rest(self) -> None:
        run, state = self.run, self.node.engine.state
        run("kyc.rejected", {"member_id": "M040", "reason": "PAN does not match the name"})
        terms = {"chit_value_paise": 1_00_000_00, "commission_bps": 500, "max_discount_bps": 3000}
        group = {"group_id": "FT-1", "name": "Foreman first", "months": 10, "tickets": 10}
        first = {"first_month": "foreman_ticket", "foreman_ticket": 1}
        run("group.created", {**group, **terms, **first})
        devices = state.rows("devices")
        employee = next(key for key, row in devices.items() if row["role"] == "employee")
        run("device.revoked", {"key": employee, "reason": "device lost"})
        run("device.channel_bound", {"cert_b64": "Y2VydGlmaWNhdGU="})  # opaque to the kernel
        electorate = {"scope": "group:FT-1", "keys": [self.node.public], "lease_ms": 60_000}
        run("scope.electorate_set", electorate)
        run("lease.released", {"scope": "treasury", "term": lv.loan_row(state, "L-1")["term"]})
        phone_key = {"member_id": "M040", "key": "ab" * 32}  # a member phone's public key
        run("member.key_enrolled", phone_key)
        run("member.key_revoked", phone_key)
        heads = sorted([a, s, h] for a, (s, h) in self.node.engine.heads.items())
        run("heads.witnessed", {"group_id": "FT-1", "month": 1, "heads": heads})
        run("branch.consent_rule_set", {"consent": "signed.v1"})  # new groups: members sign


OnDisk = tuple[list[tuple[str, Any]], list[tuple[str, Any]]]


def _read(folder: Path) -> OnDisk:
    """(kind, body) of every stored entry and (table, row) of every projection row."""
    db = sqlite3.connect(folder / DB_FILE)
    try:
        query = "SELECT kind, raw FROM entries"
        entries = [(kind, json.loads(raw)["body"]) for kind, raw in db.execute(query)]
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'p\\_%' ESCAPE '\\'"
        )
        tables = [name for (name,) in db.execute(query)]
        rows = [
            (table, json.loads(value))
            for table in tables
            for (value,) in db.execute(f'SELECT value FROM "{table}"')
        ]
    finally:
        db.close()
    return entries, rows


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory: pytest.TempPathFactory) -> OnDisk:
    """The demo branch plus the money tour, as stored."""
    folder = tmp_path_factory.mktemp("units") / "demo"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
        mp.setenv("CHITNODE_KEYSTORE", "file")
        run_demo(folder)
        last_ts = max(body_ts for _, body_ts in _entry_times(folder))
        clock = FakeClock(wall_ms=last_ts + DAY_MS)
        with Node.open(folder, clock=clock) as node:
            tour = Tour(node, clock)
            tour.wallets_and_bank()
            tour.loans()
            tour.the_rest()
    return _read(folder)


def _entry_times(folder: Path) -> list[tuple[str, int]]:
    db = sqlite3.connect(folder / DB_FILE)
    try:
        return [(str(k), int(ts)) for k, ts in db.execute("SELECT kind, ts FROM entries")]
    finally:
        db.close()


# --- the checks ------------------------------------------------------------------------------


def test_every_registered_kind_is_on_disk(on_disk: OnDisk) -> None:
    entries, _ = on_disk
    written = {kind for kind, _ in entries}
    assert set(load_all()) - NOT_WRITTEN_HERE - written == set()


def test_every_number_in_an_entry_body_names_its_unit(on_disk: OnDisk) -> None:
    entries, _ = on_disk
    found = {path for kind, body in entries for path in unit_less(body, kind)}
    assert sorted(found) == []


def test_every_number_in_a_projection_row_names_its_unit(on_disk: OnDisk) -> None:
    _, rows = on_disk
    found = {path for table, row in rows for path in unit_less(row, table)}
    assert sorted(found) == []


def test_every_allowed_count_is_still_in_use(on_disk: OnDisk) -> None:
    """An allow-list entry nothing writes any more is removed, so the list stays short."""
    entries, rows = on_disk
    seen: set[str] = set()
    for value in [body for _, body in entries] + [row for _, row in rows]:
        seen |= _numeric_keys(value)
    assert COUNTS - seen == set()


def _numeric_keys(value: object) -> set[str]:
    if isinstance(value, dict):
        keys = {str(k) for k, v in value.items() if _numeric(v)}
        return keys.union(*(_numeric_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_numeric_keys(v) for v in value))
    return set()


def test_the_check_finds_unit_less_numbers_at_any_depth() -> None:
    row = {
        "amount": 500,
        "chit_value_paise": 10_000_000,
        "refunds_paise": {"3": 120},  # keys under a unit-named field are tickets
        "bids": [{"ticket": 2, "discount": 100, "ts_ms": 1}],
        "instalments": [100, 90],
        "term": 3,
        "note": "₹5",
        "by_lot": True,
    }
    assert sorted(unit_less(row, "row")) == ["row.amount", "row.bids[].discount", "row.instalments"]
