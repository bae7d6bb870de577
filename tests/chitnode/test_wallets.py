"""Member wallets: deposits, P2P transfers, withdrawals; every code; G1/G2/G3 by Hypothesis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chitnode.domain import wallet_views as views
from chitnode.domain.apply import apply_entry
from chitnode.domain.chit_views import balances_total_paise, negative_accounts
from chitnode.domain.limits import WALLET_AMOUNT_PAISE_MAX, WALLET_HISTORY_PAGE_MAX
from chitnode.domain.state import State
from chitnode.domain.wallet_kinds import (
    DEPOSITED,
    TRANSFERRED,
    WITHDRAWN,
    deposit_body,
    transfer_body,
    withdraw_body,
)
from chitnode.errors import ChitError, UsageError
from chitnode.log.entry import Entry
from chitnode.node.node import Node
from tests.support.clock import FakeClock
from tests.support.feeds import BRANCH, Feed, founded, seeded_key

RUPEE = 100
MEMBERS = ("M1", "M2", "M3")


# --- fixtures and helpers ---------------------------------------------------------------


@pytest.fixture
def bank(tmp_path: Path, clock: FakeClock) -> Iterator[Node]:
    """A lone root node of branch BRANCH with members M1..M3 and ₹1,000 in M1's wallet."""
    node = Node.init(tmp_path / "node", "Wallet Branch", clock=clock, branch_id=BRANCH)
    for mid in MEMBERS:
        node.submit("member.registered", {"member_id": mid, "name": f"Member {mid}"})
    node.submit(DEPOSITED, deposit_body("M1", 1_000 * RUPEE, "dep-1", bank_ref="UPI0001"))
    yield node
    node.close()


def refused(node: Node, kind: str, body: dict[str, Any]) -> str:
    """Submit a command that must be refused; nothing may change (G9)."""
    before, entries = node.engine.digest(), node.store.count()
    with pytest.raises(ChitError) as info:
        node.submit(kind, body)
    assert node.engine.digest() == before and node.store.count() == entries
    return info.value.code


def check_books(state: State) -> None:
    assert balances_total_paise(state) == 0  # G1, ext: accounts included
    assert negative_accounts(state) == []  # G2


def last_entry(node: Node) -> Entry:
    seq, _ = node.store.heads()[node.public]
    entry = node.store.entry_at(node.public, seq)
    assert entry is not None
    return entry


def device(node: Node, n: int, role: str) -> Feed:
    """A second device of the branch, enrolled by the node with `role`."""
    feed = Feed(seeded_key(n))
    node.submit("device.enrolled", {"key": feed.public, "role": role, "name": f"{role} {n}"})
    return feed


def ingested(node: Node, feed: Feed, kind: str, body: dict[str, Any]) -> tuple[str, str]:
    """(status, code) of an entry written by `feed` after everything the node holds."""
    entry = feed.write(kind, body, deps=[last_entry(node)], ts=node.clock.now_ms() + 1)
    result = node.ingest([entry])
    outcome = result.outcomes[entry.hash]
    return outcome.status, outcome.code


# --- the happy path -----------------------------------------------------------------------


def test_deposit_transfer_withdraw_move_money_and_keep_the_books(bank: Node) -> None:
    receipt = bank.submit(TRANSFERRED, transfer_body("M1", "M2", 250 * RUPEE, "t-1", note="rent"))
    assert receipt.status == "applied"
    bank.submit(WITHDRAWN, withdraw_body("M2", 100 * RUPEE, "w-1", note="cash at counter"))
    state = bank.engine.state
    assert views.balance_paise(state, "M1") == 750 * RUPEE
    assert views.balance_paise(state, "M2") == 150 * RUPEE
    assert views.balance_paise(state, "M3") == 0
    assert views.members_total_paise(state) == (1_000 - 100) * RUPEE  # deposited - withdrawn
    assert state.balance("ext:cash") == -(1_000 - 100) * RUPEE
    check_books(state)
    page = views.history(state, "M2")
    assert [(m.kind, m.amount_paise, m.balance_after_paise) for m in page.moves] == [
        (WITHDRAWN, -100 * RUPEE, 150 * RUPEE),
        (TRANSFERRED, 250 * RUPEE, 250 * RUPEE),
    ]
    assert page.moves[1].counterparty == "M1" and page.moves[1].actor == "M1"
    assert page.moves[1].hash == receipt.hash and page.moves[1].note == "rent"
    assert page.next_before is None
    summary = views.summary(state, "M1")
    assert (summary.moves, summary.in_paise, summary.out_paise) == (2, 100_000, 25_000)


def test_a_transfer_is_one_entry_with_both_legs(bank: Node) -> None:
    before = bank.store.count(kind=TRANSFERRED)
    bank.submit(TRANSFERRED, transfer_body("M1", "M3", 1, "t-1"))
    assert bank.store.count(kind=TRANSFERRED) == before + 1
    state = bank.engine.state
    assert views.history(state, "M1").moves[0].hash == views.history(state, "M3").moves[0].hash


def test_transfer_takes_the_treasury_lease(bank: Node) -> None:
    bank.submit(TRANSFERRED, transfer_body("M1", "M2", RUPEE, "t-1"))
    lease = bank.engine.state.get("leases", f"treasury|{bank.public}")
    assert lease is not None and lease["status"] == "held"


def test_history_pages_newest_first_and_is_bounded(bank: Node) -> None:
    for i in range(7):
        bank.submit(TRANSFERRED, transfer_body("M1", "M2", RUPEE + i, f"t-{i}"))
    state = bank.engine.state
    first = views.history(state, "M2", limit=3)
    assert [m.number for m in first.moves] == [7, 6, 5] and first.next_before == 5
    second = views.history(state, "M2", limit=3, before=first.next_before)
    third = views.history(state, "M2", limit=3, before=second.next_before)
    assert [m.number for m in second.moves + third.moves] == [4, 3, 2, 1]
    assert third.next_before is None
    assert [m.amount_paise for m in first.moves] == [RUPEE + 6, RUPEE + 5, RUPEE + 4]
    with pytest.raises(UsageError):
        views.history(state, "M2", limit=WALLET_HISTORY_PAGE_MAX + 1)
    with pytest.raises(UsageError):
        views.history(state, "M2", limit=0)
    assert views.history(state, "M3").moves == ()


# --- refusals: each code, nothing changes ---------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (transfer_body("M1", "M2", 0, "x"), "non_positive_amount"),
        (transfer_body("M1", "M2", -5, "x"), "non_positive_amount"),
        ({**transfer_body("M1", "M2", 1, "x"), "amount_paise": "100"}, "not_integer_paise"),
        ({**transfer_body("M1", "M2", 1, "x"), "amount_paise": True}, "not_integer_paise"),
        ({**transfer_body("M1", "M2", 1, "x"), "amount_paise": 1.5}, "bad_format"),
        (transfer_body("M1", "M1", 100, "x"), "self_transfer"),
        (transfer_body("M1", "M2", WALLET_AMOUNT_PAISE_MAX + 1, "x"), "amount_above_limit"),
        (transfer_body("M1", "M9", 100, "x"), "unknown_member"),
        (transfer_body("M9", "M1", 100, "x"), "unknown_member"),
        (transfer_body("M2", "M1", 1, "x"), "insufficient_funds"),
        (transfer_body("M1", "M2", 1_000 * RUPEE + 1, "x"), "insufficient_funds"),
        ({**transfer_body("M1", "M2", 100, "x"), "actor": "M2"}, "actor_mismatch"),
        ({**transfer_body("M1", "M2", 100, "x"), "scope": "group:G1"}, "bad_scope"),
        ({k: v for k, v in transfer_body("M1", "M2", 1, "x").items() if k != "cmd_id"}, "bad_body"),
        ({**transfer_body("M1", "M2", 100, "x"), "extra": 1}, "bad_body"),
        (transfer_body("M1", "bad id!", 100, "x"), "bad_member_id"),
    ],
)
def test_transfer_refusals(bank: Node, body: dict[str, Any], code: str) -> None:
    assert refused(bank, TRANSFERRED, body) == code


def test_insufficient_funds_says_what_the_wallet_holds(bank: Node) -> None:
    with pytest.raises(ChitError) as info:
        bank.submit(TRANSFERRED, transfer_body("M1", "M2", 2_000 * RUPEE, "x"))
    assert info.value.code == "insufficient_funds"
    assert "₹2,000.00" in info.value.message and "₹1,000.00" in info.value.message


@pytest.mark.parametrize(
    ("kind", "body", "code"),
    [
        (DEPOSITED, deposit_body("M9", 100, "x", note="n"), "unknown_member"),
        (DEPOSITED, deposit_body("M1", 0, "x", note="n"), "non_positive_amount"),
        (DEPOSITED, deposit_body("M1", 100, "x"), "note_required"),
        (DEPOSITED, deposit_body("M1", 100, "x", note="   "), "note_required"),
        (DEPOSITED, {**deposit_body("M1", 100, "x", note="n"), "actor": "M2"}, "actor_mismatch"),
        (WITHDRAWN, withdraw_body("M1", 1_000 * RUPEE + 1, "x", note="n"), "insufficient_funds"),
        (WITHDRAWN, withdraw_body("M2", 1, "x", note="n"), "insufficient_funds"),
        (WITHDRAWN, withdraw_body("M1", 100, "x"), "note_required"),
        (WITHDRAWN, withdraw_body("M1", -1, "x", note="n"), "non_positive_amount"),
        (WITHDRAWN, withdraw_body("M9", 1, "x", note="n"), "unknown_member"),
    ],
)
def test_deposit_and_withdrawal_refusals(
    bank: Node, kind: str, body: dict[str, Any], code: str
) -> None:
    assert refused(bank, kind, body) == code


def test_withdrawing_everything_leaves_zero_not_less(bank: Node) -> None:
    bank.submit(WITHDRAWN, withdraw_body("M1", 1_000 * RUPEE, "w", bank_ref="NEFT1"))
    assert views.balance_paise(bank.engine.state, "M1") == 0
    check_books(bank.engine.state)


# --- exactly once (G3) ------------------------------------------------------------------


def test_a_retried_command_is_already_done_and_moves_nothing_twice(bank: Node) -> None:
    body = transfer_body("M1", "M2", 300 * RUPEE, "t-retry")
    first = bank.submit(TRANSFERRED, body, cmd_id="t-retry")
    again = bank.submit(TRANSFERRED, body, cmd_id="t-retry")
    assert again.already_done and again.hash == first.hash and again.status == "applied"
    assert views.balance_paise(bank.engine.state, "M2") == 300 * RUPEE


def test_a_duplicate_cmd_id_in_the_body_is_refused_by_the_fold(bank: Node) -> None:
    body = transfer_body("M1", "M2", 300 * RUPEE, "t-once")
    bank.submit(TRANSFERRED, body)  # node-local cmd ids differ: the body's id catches it
    assert refused(bank, TRANSFERRED, body) == "duplicate_command"


# --- authority: decide runs before the reducers -----------------------------------------


def test_employee_may_deposit_but_not_transfer(bank: Node) -> None:
    employee = device(bank, 7, "employee")
    assert ingested(bank, employee, DEPOSITED, deposit_body("M2", 5, "d-e", note="cash")) == (
        "applied",
        "",
    )
    body = {**transfer_body("M1", "M2", 5, "t-e"), "term": 1}
    assert ingested(bank, employee, TRANSFERRED, body) == ("rejected", "unauthorised")


def test_a_transfer_from_a_foreman_without_the_lease_is_rejected(bank: Node) -> None:
    foreman = device(bank, 8, "foreman")
    body = {**transfer_body("M1", "M2", 5, "t-f"), "term": 1}
    before = views.balance_paise(bank.engine.state, "M1")
    assert ingested(bank, foreman, TRANSFERRED, body) == ("rejected", "not_lease_holder")
    assert views.balance_paise(bank.engine.state, "M1") == before


def test_a_revoked_device_moves_no_money(bank: Node) -> None:
    employee = device(bank, 9, "employee")
    bank.submit("device.revoked", {"key": employee.public, "reason": "phone lost"})
    body = deposit_body("M2", 5, "d-r", note="cash")
    assert ingested(bank, employee, DEPOSITED, body) == ("rejected", "device_revoked")
    check_books(bank.engine.state)


def test_a_frozen_author_moves_no_money(bank: Node) -> None:
    foreman = device(bank, 10, "foreman")
    scope = {"scope": "group:G1", "lease_ms": 60_000, "keys": sorted([bank.public, foreman.public])}
    bank.submit("scope.electorate_set", scope)
    for candidate in (foreman.public, bank.public):  # a double vote freezes the voter
        ingested(
            bank, foreman, "lease.vote", {"scope": "group:G1", "term": 1, "candidate": candidate}
        )
    assert bank.engine.state.get("frozen", foreman.public) is not None
    body = deposit_body("M2", 5, "d-f", note="cash")
    assert ingested(bank, foreman, DEPOSITED, body) == ("rejected", "author_frozen")


# --- G1/G2 under random sequences (pure fold, same decide as every node) -------------------


SEED_PAISE = 20_000


def _wallet_world(members: int) -> tuple[State, Feed]:
    """A branch whose root holds the treasury lease at term 1; members W0.. hold SEED_PAISE."""
    state, root = State(), founded()
    vote = root.write("lease.vote", {"scope": "treasury", "term": 1, "candidate": root.public})
    root.write(
        "lease.granted", {"scope": "treasury", "term": 1, "votes": [[root.public, 2, vote.hash]]}
    )
    for i in range(members):
        root.write("member.registered", {"member_id": f"W{i}", "name": f"W {i}"})
        root.write(DEPOSITED, deposit_body(f"W{i}", SEED_PAISE, f"seed{i}", note="opening"))
    for entry in root.entries:
        outcome, _ = apply_entry(state, entry)
        assert outcome.status == "applied", outcome
    return state, root


OPS = st.lists(
    st.tuples(
        st.sampled_from(("deposit", "transfer", "withdraw")),
        st.integers(0, 4),
        st.integers(0, 4),
        st.integers(-50, 20_000),
    ),
    max_size=60,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_random_wallet_sequences_keep_g1_and_g2(ops: list[tuple[str, int, int, int]]) -> None:
    state, root = _wallet_world(4)  # member W4 does not exist: unknown_member
    model = {f"W{i}": SEED_PAISE for i in range(4)}
    deposited, withdrawn = 4 * SEED_PAISE, 0
    for n, (op, a, b, amount) in enumerate(ops):
        src, dst = f"W{a}", f"W{b}"
        if op == "deposit":
            kind, body = DEPOSITED, deposit_body(src, amount, f"c{n}", note="cash")
        elif op == "withdraw":
            kind, body = WITHDRAWN, {**withdraw_body(src, amount, f"c{n}", note="x"), "term": 1}
        else:
            kind, body = TRANSFERRED, {**transfer_body(src, dst, amount, f"c{n}"), "term": 1}
        outcome, _ = apply_entry(state, root.write(kind, body))
        known = src in model and (op != "transfer" or dst in model)
        ok = known and amount > 0 and (op == "deposit" or model[src] >= amount)
        ok = ok and not (op == "transfer" and src == dst)
        assert (outcome.status == "applied") == ok, (op, src, dst, amount, outcome)
        if ok and op == "deposit":
            model[src] += amount
            deposited += amount
        elif ok and op == "withdraw":
            model[src] -= amount
            withdrawn += amount
        elif ok:
            model[src] -= amount
            model[dst] += amount
        check_books(state)
        assert all(views.balance_paise(state, m) == v for m, v in model.items())
        assert views.members_total_paise(state) == deposited - withdrawn
    for member, balance in model.items():
        assert views.balance_paise(state, member) == balance
        page = views.history(state, member, limit=WALLET_HISTORY_PAGE_MAX)
        assert sum(m.amount_paise for m in page.moves) == balance
