"""Revocation is by sequence number, never by timestamp (issue 9, point 5; wal-v1 §5 amended).

Before: a revoked employee key credited a wallet ₹9,000 with an entry whose `ts` was
early and whose deps left the revocation out; the fold applied it and `verify` said OK.
With a late `ts` the fold rejected it while `verify` still said OK. Now a revocation
carries `after_seq`, an entry must both not follow the revocation and have `seq <=
after_seq`, and the fold and `verify` judge every entry by the same rule
(chitnode/log/authority_rules.py), whatever the timestamps and the arrival order.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chitnode import limits
from chitnode.cli.main import main
from chitnode.domain import wallet_views
from chitnode.domain.kinds import role_allows
from chitnode.domain.wallet_kinds import DEPOSITED, deposit_body
from chitnode.log.entry import Entry
from chitnode.log.export import ExportHeader, write_export
from chitnode.log.verify import VerifyReport, verify_stream
from chitnode.node.fold import FoldEngine
from chitnode.node.node import Node
from tests.support.clock import FakeClock
from tests.support.feeds import BRANCH, Feed, engine_at, founded, ingest, seeded_key
from tests.vectors import tamper as t

RUPEE = 100
AUTHORITY = {"unauthorised", "unknown_author"}  # what verify reports
# What the fold rejects an entry with when its author may not write it there. `no_genesis`:
# an entry that reaches no genesis reaches no enrolment either.
FOLD_AUTHORITY = {"unauthorised", "unknown_author", "device_revoked", "no_genesis"}


def export_of(root: Feed, entries: list[Entry]) -> bytes:
    """A sealed export of `entries` (grouped by author, then seq), exported by the root."""
    ordered = sorted(entries, key=lambda e: (e.author, e.seq))
    header = ExportHeader(BRANCH, root.public, root.public, 1, len(ordered))
    out = io.BytesIO()
    write_export(out, root.key, header, ordered)
    return out.getvalue()


def verify_flags(root: Feed, entries: list[Entry]) -> tuple[set[tuple[str, int]], VerifyReport]:
    report = verify_stream(io.BytesIO(export_of(root, entries)), role_allows=role_allows, workers=1)
    others = [p for p in report.problems if p.code not in AUTHORITY]
    assert others == [], others
    return {(p.author or "", p.seq or 0) for p in report.problems}, report


def fold_flags(engine: FoldEngine, entries: list[Entry]) -> set[tuple[str, int]]:
    flagged = set()
    for entry in entries:
        found = engine.store.outcome_of(entry.author, entry.seq)
        assert found is not None and found[0] in ("applied", "rejected"), (entry.key, found)
        if found[0] == "rejected" and found[1] in FOLD_AUTHORITY:
            flagged.add((entry.author, entry.seq))
    return flagged


# --- the story: ₹9,000 from a revoked employee key ----------------------------------------


@dataclass
class Theft:
    node: Node
    employee: Feed
    revocation: Entry
    seen: Entry  # the node's entry the employee had seen before it was revoked


@pytest.fixture
def theft(tmp_path: Path, clock: FakeClock) -> Iterator[Theft]:
    node = Node.init(tmp_path / "node", "Theft Branch", clock=clock, branch_id=BRANCH)
    node.submit("member.registered", {"member_id": "M1", "name": "Member M1"})
    employee = Feed(seeded_key(9))
    node.submit("device.enrolled", {"key": employee.public, "role": "employee", "name": "phone"})
    seen = _last(node)
    honest = employee.write(DEPOSITED, deposit_body("M1", 100 * RUPEE, "d-1", note="cash"), [seen])
    assert node.ingest([honest]).outcomes[honest.hash].status == "applied"
    node.close()  # one writer: the command-line revoke opens the node itself
    data = str(tmp_path / "node")
    assert main(["--data", data, "revoke", employee.public, "--reason", "stolen"]) == 0
    node = Node.open(data, clock=clock)
    revocation = _last(node)
    assert revocation.body["after_seq"] == 1  # the employee's head as this node knew it
    yield Theft(node, employee, revocation, seen)
    node.close()


def _last(node: Node) -> Entry:
    seq, _ = node.store.heads()[node.public]
    entry = node.store.entry_at(node.public, seq)
    assert entry is not None
    return entry


@pytest.mark.parametrize("when", ["early", "late"])
def test_a_revoked_key_cannot_credit_a_wallet_whatever_its_timestamp(
    theft: Theft, when: str
) -> None:
    node, employee = theft.node, theft.employee
    ts = theft.revocation.ts - 60_000 if when == "early" else theft.revocation.ts + 60_000
    before = wallet_views.balance_paise(node.engine.state, "M1")
    # leaves the revocation out of its deps: "written before it", it claims
    forged = employee.write(
        DEPOSITED, deposit_body("M1", 9_000 * RUPEE, "d-2", note="cash"), [theft.seen], ts=ts
    )
    node.ingest([forged])  # (an early ts sorts it before the revocation: a re-fold)
    assert node.store.outcome_of(employee.public, 2) == ("rejected", "device_revoked")
    assert wallet_views.balance_paise(node.engine.state, "M1") == before
    entries = [e for a in node.store.authors() for e in _feed(node, a)]
    root = Feed(node.key)
    flags, _ = verify_flags(root, entries)
    assert flags == {(employee.public, 2)}  # verify says what the fold did
    data = export_of(root, entries)
    assert t.reference_codes(data) == {("unauthorised", 2, employee.public)}


def _feed(node: Node, author: str) -> list[Entry]:
    seq, _ = node.store.heads()[author]
    return [e for s in range(1, seq + 1) if (e := node.store.entry_at(author, s)) is not None]


def test_an_entry_within_after_seq_that_never_saw_the_revocation_stands(theft: Theft) -> None:
    """The revocation's after_seq keeps what the key wrote before it was known to be lost."""
    node, employee = theft.node, theft.employee
    assert node.store.outcome_of(employee.public, 1) == ("applied", "")
    entries = [e for a in node.store.authors() for e in _feed(node, a)]
    assert verify_flags(Feed(node.key), entries)[0] == set()


def test_revoke_takes_an_explicit_after_seq(tmp_path: Path, clock: FakeClock) -> None:
    node = Node.init(tmp_path / "node", "B", clock=clock, branch_id=BRANCH)
    employee = Feed(seeded_key(9))
    node.submit("member.registered", {"member_id": "M9", "name": "Member M9"})
    node.submit("device.enrolled", {"key": employee.public, "role": "employee", "name": "p"})
    first = employee.write(DEPOSITED, deposit_body("M9", 1, "d", note="cash"), [_last(node)])
    node.ingest([first])
    assert node.store.outcome_of(employee.public, 1) == ("applied", "")
    data = str(node.store.data_dir)
    node.close()
    args = ["--data", data, "revoke", employee.public, "--reason", "lost", "--after-seq", "0"]
    assert main(args) == 0
    with Node.open(data, clock=clock) as again:
        assert _last(again).body["after_seq"] == 0
        # its entry #1 was placed before the revocation said after_seq 0: the fold re-judges it
        assert again.store.outcome_of(employee.public, 1) == ("rejected", "device_revoked")
    with pytest.raises(SystemExit) as usage:
        main(["--data", data, "revoke", employee.public, "--reason", "x", "--after-seq", "-1"])
    assert usage.value.code == 2


def test_a_revocation_without_after_seq_is_judged_by_the_causal_rule_alone() -> None:
    """Older logs: a concurrent entry stands, one that saw the revocation does not."""
    root, device = founded(), Feed(seeded_key(5))
    enrolment = root.write(
        "device.enrolled", {"key": device.public, "role": "employee", "name": "d"}
    )
    revoke = root.write("device.revoked", {"key": device.public, "reason": "old log"})
    concurrent = device.write("member.registered", {"member_id": "M1", "name": "A"}, [enrolment])
    after = device.write("member.registered", {"member_id": "M2", "name": "B"}, [revoke])
    entries = [*root.entries, concurrent, after]
    flags, _ = verify_flags(root, entries)
    assert flags == {(device.public, 2)}
    with engine_at(Path("unused"), "memory") as engine:
        ingest(engine, entries)
        assert fold_flags(engine, entries) == flags
    assert t.reference_codes(export_of(root, entries)) == {("unauthorised", 2, device.public)}


def test_a_stolen_admin_key_cannot_cut_others_after_its_own_revocation() -> None:
    """An admin revoked with after_seq 1 writes, 'concurrently', a revocation of a device with
    after_seq 0: past its own after_seq, that revocation is void and cuts nobody."""
    root, admin, device = founded(), Feed(seeded_key(5)), Feed(seeded_key(6))
    root.write("device.enrolled", {"key": admin.public, "role": "admin", "name": "a"})
    enrol_device = root.write(
        "device.enrolled", {"key": device.public, "role": "employee", "name": "d"}
    )
    admin.write("member.registered", {"member_id": "M1", "name": "A"}, [enrol_device])  # seq 1
    root.write("device.revoked", {"key": admin.public, "reason": "stolen", "after_seq": 1})
    admin.write("device.revoked", {"key": device.public, "reason": "spite", "after_seq": 0})
    work = device.write("member.registered", {"member_id": "M2", "name": "B"}, [enrol_device])
    entries = [*root.entries, *admin.entries, work]
    flags, _ = verify_flags(root, entries)
    assert flags == {(admin.public, 2)}  # the device's work stands
    with engine_at(Path("unused"), "memory") as engine:
        ingest(engine, entries)
        assert fold_flags(engine, entries) == flags
    assert t.reference_codes(export_of(root, entries)) == {("unauthorised", 2, admin.public)}


def test_two_admins_revoking_each_other_concurrently_both_lose_those_entries() -> None:
    """A true paradox (each revocation is void only if the other stands): both count."""
    root, one, two = founded(), Feed(seeded_key(5)), Feed(seeded_key(6))
    e1 = root.write("device.enrolled", {"key": one.public, "role": "admin", "name": "1"})
    e2 = root.write("device.enrolled", {"key": two.public, "role": "admin", "name": "2"})
    one.write("device.revoked", {"key": two.public, "reason": "x", "after_seq": 0}, [e2])
    two.write("device.revoked", {"key": one.public, "reason": "y", "after_seq": 0}, [e2])
    entries = [*root.entries, *one.entries, *two.entries]
    assert e1 in entries
    flags, _ = verify_flags(root, entries)
    assert flags == {(one.public, 1), (two.public, 1)}
    with engine_at(Path("unused"), "memory") as engine:
        ingest(engine, entries)
        assert fold_flags(engine, entries) == flags


# --- the differential property: verify and the fold agree on every entry ------------------

KEYS = [seeded_key(1), *(seeded_key(10 + i) for i in range(4))]  # the root, then devices
ROLES = ("admin", "employee", "member")


@dataclass(frozen=True)
class Step:
    writer: int  # index into the feeds: 0 is the root
    deps: tuple[tuple[int, int], ...]  # (feed, index of an entry it already wrote)
    action: str  # "note" | "enrol" | "revoke"
    target: int  # a device, for enrol and revoke
    role: str
    after_seq: int | None  # revocations; None: an older log's revocation


@st.composite
def plans(draw: st.DrawFn) -> tuple[int, list[Step]]:
    devices = draw(st.integers(2, 4))
    written = [1] + [0] * devices  # the root's genesis is written already
    steps = []
    for _ in range(draw(st.integers(3, 18))):
        writer = draw(st.integers(0, devices))
        deps = tuple(
            (other, draw(st.integers(0, count - 1)))
            for other, count in enumerate(written)
            if other != writer and count and draw(st.booleans())  # random dep omission
        )
        action = draw(st.sampled_from(["note", "note", "enrol", "revoke"]))
        target = draw(st.integers(1, devices))
        after_seq = draw(st.one_of(st.none(), st.integers(0, written[target] + 2)))
        steps.append(Step(writer, deps, action, target, draw(st.sampled_from(ROLES)), after_seq))
        written[writer] += 1
    return devices, steps


def realise(devices: int, steps: list[Step], ts: list[int]) -> tuple[Feed, list[Entry]]:
    """The plan's entries, each with the given timestamp (the structure never depends on it)."""
    feeds = [Feed(KEYS[0])] + [Feed(KEYS[1 + i]) for i in range(devices)]
    root = feeds[0]
    root.write("branch.genesis", {"branch_name": "P", "root": root.public}, ts=ts[0])
    for n, step in enumerate(steps):
        deps = [feeds[f].entries[i] for f, i in step.deps]
        target = feeds[step.target].public
        if step.action == "enrol":
            body: dict[str, Any] = {"key": target, "role": step.role, "name": "d"}
            kind = "device.enrolled"
        elif step.action == "revoke":
            body = {"key": target, "reason": "r"}
            if step.after_seq is not None:
                body["after_seq"] = step.after_seq
            kind = "device.revoked"
        else:
            body, kind = {"member_id": f"M{n}", "name": "n"}, "member.registered"
        feeds[step.writer].write(kind, body, deps, ts=ts[n + 1])
    return root, [e for f in feeds for e in f.entries]


def folded(entries: list[Entry], rng: random.Random) -> tuple[set[tuple[str, int]], str]:
    """Fold `entries` arriving in a random order and chunks; then (as a peer re-sends what
    came before its author was known) all once more."""
    order = entries[:]
    rng.shuffle(order)
    with engine_at(Path("unused"), "memory") as engine:
        step = rng.randint(1, len(order))
        for i in range(0, len(order), step):
            ingest(engine, order[i : i + step])
        ingest(engine, order)
        return fold_flags(engine, entries), engine.digest()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plans(),
    st.lists(st.integers(0, 10**6), min_size=20, max_size=20),
    st.lists(st.integers(0, 10**6), min_size=20, max_size=20),
    st.randoms(use_true_random=False),
)
def test_verify_and_the_fold_agree_on_every_entry_whatever_ts_and_arrival_order(
    plan: tuple[int, list[Step]], ts_a: list[int], ts_b: list[int], rng: random.Random
) -> None:
    devices, steps = plan
    base = 1_767_225_600_000
    verdicts = []
    for ts in (ts_a, ts_b):
        root, entries = realise(devices, steps, [base + x for x in ts])
        flags, _ = verify_flags(root, entries)
        first, digest = folded(entries, rng)
        second, again = folded(entries, rng)
        assert first == second == flags  # per entry, in any arrival order
        assert digest == again
        verdicts.append(flags)
    assert verdicts[0] == verdicts[1]  # timestamps decide nothing


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.lists(st.integers(0, 10**6), min_size=20, max_size=20))
def test_the_fast_path_of_verify_judges_as_the_exact_path(
    plan: tuple[int, list[Step]], ts: list[int]
) -> None:
    """Big clean files are proven authorised run by run (verify_file's range path): it must
    never pass a file the entry-by-entry path faults, and agree when it proves one clean."""
    import tempfile

    from chitnode.log import verify

    root, entries = realise(*plan, [1_767_225_600_000 + x for x in ts])
    data = export_of(root, entries)
    exact = verify_stream(io.BytesIO(data), role_allows=role_allows, workers=1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.chitlog"
        path.write_bytes(data)
        saved = limits.VERIFY_PARALLEL_MIN_ENTRIES
        limits.VERIFY_PARALLEL_MIN_ENTRIES = 1  # the range path, for a file this small
        try:
            fast, _ = verify._verify_clean(str(path), role_allows, True, 2, None)
        finally:
            limits.VERIFY_PARALLEL_MIN_ENTRIES = saved
    assert (fast is not None) <= exact.ok  # proven clean only if it is
