"""The witness requests' table (ui/witness_desk.py): one request per meeting, the
signatures it keeps (only over its own statement, once per member asked), and its bound."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ui import limits, witness_desk

BRANCH = "b" * 32
HEADS = (("a" * 64, 3, "c" * 64),)
KEY, SIG = "d" * 64, "e" * 128


@pytest.fixture(autouse=True)
def empty() -> Iterator[None]:
    witness_desk.forget_all()
    yield
    witness_desk.forget_all()


def ask(
    group: str = "G", statement: bytes = b"s1", members: frozenset[str] = frozenset({"M1"})
) -> witness_desk.WitnessAsk:
    return witness_desk.ask(BRANCH, group, 2, HEADS, statement, members, 1_000)


def test_a_request_keeps_one_signature_per_member_asked_over_its_own_statement() -> None:
    ask(members=frozenset({"M1", "M2"}))
    assert [a.group_id for a in witness_desk.asks_for(BRANCH, "M1")] == ["G"]
    assert witness_desk.asks_for(BRANCH, "M3") == []  # not asked
    assert witness_desk.add_signature(BRANCH, "G", 2, b"other", "M1", KEY, SIG) is None
    assert witness_desk.add_signature(BRANCH, "G", 2, b"s1", "M3", KEY, SIG) is None
    added = witness_desk.add_signature(BRANCH, "G", 2, b"s1", "M1", KEY, SIG)
    assert added is not None and added.signers == {"M1"}
    assert witness_desk.add_signature(BRANCH, "G", 2, b"s1", "M1", KEY, SIG) is None  # once
    assert witness_desk.asks_for(BRANCH, "M1") == []  # signed: nothing waits on M1's phone
    witness_desk.mark_written(BRANCH, "G", 2, 41)
    assert witness_desk.asks_for(BRANCH, "M2") == []  # written: nothing waits at all
    assert witness_desk.add_signature(BRANCH, "G", 2, b"s1", "M2", KEY, SIG) is None


def test_asking_again_drops_the_signatures_over_the_old_heads() -> None:
    ask()
    witness_desk.add_signature(BRANCH, "G", 2, b"s1", "M1", KEY, SIG)
    again = ask(statement=b"s2")
    assert again.signed == () and witness_desk.asks_for(BRANCH, "M1") == [again]


def test_the_table_holds_at_most_its_bound_the_oldest_dropped() -> None:
    for i in range(limits.WITNESS_ASKS_MAX + 1):
        ask(group=f"G{i}")
    assert witness_desk.asked(BRANCH, "G0", 2) is None
    assert witness_desk.asked(BRANCH, f"G{limits.WITNESS_ASKS_MAX}", 2) is not None
    assert len(witness_desk.asks_for(BRANCH, "M1")) == limits.WITNESS_ASKS_MAX
