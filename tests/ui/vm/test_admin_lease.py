"""The admin's leases: time left in words, why a row has no hand-over button, and the
hand-over's checks and entry (`chitnode lease transfer --for`), over real Nodes: the demo
branch (every group held by its root alone) and a branch of a root and a foreman laptop."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from chitnode.errors import ChitError
from chitnode.node.node import Node
from sync.election.books import scope_leases
from tests.support.demo_branch import DemoBranch, demo_branch
from tests.support.peer import Peer, enrol, founder, newcomer
from ui.backend import reading_of
from ui.vm import admin as vm

SCOPE = "treasury"
LEASE_MS = 5_000  # the electorate's everyday lease: the election's shortest
MIN = 60_000
HOUR = 3_600_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBranch]:
    with demo_branch(tmp_path_factory) as branch:
        yield branch


@pytest.fixture
def branch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Node, Peer]]:
    """A root admin and a foreman's laptop, both in the treasury's electorate."""
    monkeypatch.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
    monkeypatch.setenv("CHITNODE_KEYSTORE", "file")
    root = founder(tmp_path / "root")
    laptop = newcomer(tmp_path / "laptop", root)
    enrol(root.node, laptop, "foreman")
    keys = sorted([root.key, laptop.key])
    root.node.submit("scope.electorate_set", {"scope": SCOPE, "keys": keys, "lease_ms": LEASE_MS})
    try:
        yield root.node, laptop
    finally:
        laptop.node.close()
        root.node.close()


def held(node: Node, left_ms: int | None) -> vm.LeaseRow:
    """The treasury's row as the election of a serve would give it: held here, time left."""
    [lease] = [s for s in scope_leases(node.engine.state) if s.scope == SCOPE]
    [row] = vm.lease_rows([lease.with_time_left(left_ms)])
    return replace(row, holder=node.public, holder_name="root admin", term=1, status="held")


def test_time_left_in_words_rounds_down() -> None:
    row = vm.LeaseRow("group:g", "k", "Laptop", 3, "held", LEASE_MS, None)
    assert vm.time_left(row) == ("left_holder", {})
    assert vm.time_left(replace(row, status="transferred")) == ("left_nobody", {})
    for ms, said in [
        (4 * MIN + 59_999, ("left_min", {"m": 4})),
        (59_999, ("left_s", {"s": 59})),
        (0, ("left_s", {"s": 0})),
        (3 * HOUR + 25 * MIN + 1, ("left_h", {"h": 3, "m": 25})),
    ]:
        row = vm.LeaseRow("group:g", "k", "Laptop", 3, "held", LEASE_MS, ms)
        assert vm.time_left(row) == said, ms


def test_the_demos_groups_are_held_by_its_root_alone(demo: DemoBranch) -> None:
    """The demo's every group has the root alone in its electorate: nothing to hand to,
    and outside a serve (no election) that is said first."""
    r = reading_of(demo.node, demo.folder)
    data = vm.devices(r)
    assert data.leases and data.device_key == r.device_key
    for lease in data.leases:
        assert lease.scope.startswith("group:") and lease.holder == r.device_key
        assert lease.electorate == ((r.device_key, "root admin"),)
        assert vm.hand_targets(lease, r.device_key) == ()
        assert vm.why_no_hand_over(lease, r.device_key, election=False) == vm.NO_ELECTION
        assert vm.why_no_hand_over(lease, r.device_key, election=True) == vm.ALONE
        assert vm.time_left(lease) == ("left_holder", {})  # the books know no clock


def test_only_the_holder_with_time_left_hands_over(branch: tuple[Node, Peer]) -> None:
    root, laptop = branch
    here = held(root, 4 * MIN)
    assert vm.hand_targets(here, root.public) == ((laptop.key, "Dev"),)
    assert vm.why_no_hand_over(here, root.public, election=True) == ""
    assert vm.why_no_hand_over(held(root, None), root.public, election=True) == vm.NOT_HERE
    on_laptop = replace(here, holder=laptop.key, holder_name="Dev", term=2, time_left_ms=None)
    assert vm.why_no_hand_over(on_laptop, root.public, election=True) == vm.NOT_HERE


def test_a_hand_over_writes_the_meetings_lease_then_transfers(branch: tuple[Node, Peer]) -> None:
    """The plan's first entry is what `chitnode lease transfer --for 4h` writes; the
    kernel applies it from the admin, and the books then carry the meeting's lease."""
    root, laptop = branch
    plan = vm.hand_over(held(root, 4 * MIN), root.public, laptop.key, 4 * HOUR, [laptop.key])
    assert (plan.scope, plan.to, plan.to_name, plan.lease_ms) == (
        SCOPE,
        laptop.key,
        "Dev",
        4 * HOUR,
    )
    keys = sorted([root.public, laptop.key])
    assert plan.electorate_set == (
        "scope.electorate_set",
        {"scope": SCOPE, "keys": keys, "lease_ms": 4 * HOUR},
    )
    kind, body = plan.electorate_set
    assert root.submit(kind, body).status == "applied"
    [lease] = [s for s in scope_leases(root.engine.state) if s.scope == SCOPE]
    assert lease.lease_ms == 4 * HOUR and [k for k, _ in lease.electorate] == keys
    again = vm.hand_over(held(root, 4 * MIN), root.public, laptop.key, 4 * HOUR, [laptop.key])
    assert again.electorate_set is None  # the lease is that long already: no second entry


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("not_held", "not_lease_holder"),
        ("to_me", "bad_transfer"),
        ("to_stranger", "bad_transfer"),
        ("offline", "no_lease_holder"),
        ("no_length", "usage"),
        ("two_days", "usage"),
    ],
)
def test_a_hand_over_is_refused_before_anything_is_written(
    branch: tuple[Node, Peer], case: str, code: str
) -> None:
    root, laptop = branch
    row, to, ms, connected = held(root, 4 * MIN), laptop.key, 2 * HOUR, [laptop.key]
    if case == "not_held":
        row = held(root, None)
    elif case == "to_me":
        to = root.public
    elif case == "to_stranger":
        to = "ab" * 32
    elif case == "offline":
        connected = []
    elif case == "no_length":
        ms = 0
    elif case == "two_days":
        ms = 48 * HOUR
    before = root.store.count()
    with pytest.raises(ChitError) as refused:
        vm.hand_over(row, root.public, to, ms, connected)
    assert refused.value.code == code
    assert root.store.count() == before
