"""coordination-v1 rule 4 in the fold: of two conflicting coordinated entries the higher
term wins; the lower is rejected `stale_term`, whatever order they sort or arrive in.

The log here is the partition of docs/coordination.md: device A holds `group:g` at term 1
and is cut off; after its lease B is elected at term 2 by B and C, not having seen what A
wrote meanwhile. Test-only kinds stand for a draw (`test.claim`: one per month) and a
wallet debit (`test.debit`: never below zero; `test.credit` is free).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chitnode.domain import fencing
from chitnode.domain.kinds import MANAGERS, REGISTRY, KindSpec
from chitnode.domain.state import Change, Put, State
from chitnode.errors import RuleViolation
from chitnode.log.entry import Entry
from tests.support.feeds import Feed, engine_at, enrol, founded, ingest, outcome, seeded_key

SCOPE = "group:g"
CLAIM, DEBIT, CREDIT = "test.claim", "test.debit", "test.credit"


def _claim(state: State, entry: Entry) -> list[Change]:
    key = f"{entry.body['group_id']}|{entry.body['month']}"
    if state.get("test_claims", key) is not None:
        raise RuleViolation("this month is claimed", code="already_prized")
    return [Put("test_claims", key, {"term": entry.body["term"], "by": entry.author})]


def _balance(state: State, member: str) -> int:
    row = state.get("test_wallets", member)
    return int(row["paise"]) if row is not None else 0


def _debit(state: State, entry: Entry) -> list[Change]:
    member, amount = str(entry.body["member_id"]), int(entry.body["amount_paise"])
    if _balance(state, member) < amount:
        raise RuleViolation("not enough in the wallet", code="insufficient_funds")
    return [Put("test_wallets", member, {"paise": _balance(state, member) - amount})]


def _credit(state: State, entry: Entry) -> list[Change]:
    member, amount = str(entry.body["member_id"]), int(entry.body["amount_paise"])
    return [Put("test_wallets", member, {"paise": _balance(state, member) + amount})]


@pytest.fixture(autouse=True)
def test_kinds() -> Iterator[None]:
    REGISTRY[CLAIM] = KindSpec(CLAIM, MANAGERS, _claim, True, "test only: a month's draw")
    REGISTRY[DEBIT] = KindSpec(DEBIT, MANAGERS, _debit, True, "test only: a wallet debit")
    REGISTRY[CREDIT] = KindSpec(CREDIT, MANAGERS, _credit, False, "test only: a credit")
    yield
    for name in (CLAIM, DEBIT, CREDIT):
        del REGISTRY[name]


@dataclass
class Partition:
    """Root, the cut-off holder A (term 1) and the new holder B (term 2, voted by B, C)."""

    root: Feed
    a: Feed
    b: Feed
    c: Feed
    grant2: Entry

    def entries(self) -> list[Entry]:
        return [*self.root.entries, *self.a.entries, *self.b.entries, *self.c.entries]

    def write(self, feed: Feed, kind: str, body: dict[str, object]) -> Entry:
        term = 2 if feed is self.b else 1
        return feed.write(kind, {"scope": SCOPE, "term": term, **body})


def _grant(feed: Feed, term: int, votes: list[Entry]) -> Entry:
    refs = [[v.author, v.seq, v.hash] for v in votes]
    others = [v for v in votes if v.author != feed.public]  # deps name other feeds only
    return feed.write("lease.granted", {"scope": SCOPE, "term": term, "votes": refs}, others)


def partition() -> Partition:
    """The log up to B's grant. B and C saw A's grant (their votes follow it), nothing of
    what A writes after it; A writes at ts 1000 ms after its grant, B after its own."""
    root, a, b, c = founded(), Feed(seeded_key(2)), Feed(seeded_key(3)), Feed(seeded_key(4))
    for feed in (a, b, c):
        enrol(root, feed, "foreman")
    keys = sorted([a.public, b.public, c.public])
    root.write("scope.electorate_set", {"scope": SCOPE, "keys": keys, "lease_ms": 60_000})
    credit = root.write(CREDIT, {"member_id": "M1", "amount_paise": 500})
    vote = {"scope": SCOPE, "term": 1, "candidate": a.public}
    va, vc = a.write("lease.vote", vote, [credit]), c.write("lease.vote", vote, [credit])
    grant1 = _grant(a, 1, [va, vc])
    vote2 = {"scope": SCOPE, "term": 2, "candidate": b.public}
    vb, vc2 = b.write("lease.vote", vote2, [grant1]), c.write("lease.vote", vote2, [grant1])
    b.ts = a.ts = max(a.ts, b.ts, c.ts)  # A's and B's next entries are concurrent in time
    return Partition(root, a, b, c, _grant(b, 2, [vb, vc2]))


def _digest(path: Path, batches: list[list[Entry]]) -> str:
    with engine_at(path) as engine:
        for batch in batches:
            ingest(engine, batch)
        digest = engine.digest()
        with engine.store.transaction():
            engine.rebuild()
        assert engine.digest() == digest, "a rebuild from the log gives the same state (G6)"
        return digest


def test_the_cut_off_holders_draw_is_stale_and_the_new_holders_stands(tmp_path: Path) -> None:
    p = partition()
    old_open = p.write(p.a, CLAIM, {"group_id": "g", "month": 1})  # sorts first (earlier ts)
    other_month = p.write(p.a, CLAIM, {"group_id": "g", "month": 2})
    new_open = p.write(p.b, CLAIM, {"group_id": "g", "month": 1})
    with engine_at(tmp_path) as engine:
        ingest(engine, p.entries())
        assert outcome(engine, new_open) == ("applied", "")
        assert outcome(engine, old_open) == ("rejected", "stale_term")
        # rule 4 is about conflicts: what the new holder never contradicted stands
        assert outcome(engine, other_month) == ("applied", "")
        assert engine.state.get("test_claims", "g|1") == {"term": 2, "by": p.b.public}


def test_every_arrival_order_folds_to_one_state(tmp_path: Path) -> None:
    """A node that had folded the cut-off holder's claim first, one that had the new
    holder's first, and one that got both at once end with one digest."""
    p = partition()
    p.write(p.a, CLAIM, {"group_id": "g", "month": 1})
    p.write(p.b, CLAIM, {"group_id": "g", "month": 1})
    common = [*p.root.entries, *p.c.entries]
    a_feed, b_feed = p.a.entries, p.b.entries
    digests = {
        _digest(tmp_path / f"order{n}", [common, *batches])
        for n, batches in enumerate(
            [[a_feed, b_feed], [b_feed, a_feed], [a_feed + b_feed]]
            + [
                [[e] for e in order]
                for order in itertools.islice(_interleavings(a_feed, b_feed), 4)
            ]
        )
    }
    assert len(digests) == 1


def _interleavings(a: list[Entry], b: list[Entry]) -> Iterator[list[Entry]]:
    """Orders that keep each feed's own order: B's tail first, A's tail first, alternating."""
    yield [*b, *a]
    yield [*a, *b]
    merged = [e for pair in itertools.zip_longest(a, b) for e in pair if e is not None]
    yield merged
    yield list(reversed(merged[: len(merged) // 2])) + merged[len(merged) // 2 :]


def test_debits_that_together_overdraw_the_higher_term_wins(tmp_path: Path) -> None:
    p = partition()
    old = p.write(p.a, DEBIT, {"member_id": "M1", "amount_paise": 300})
    other = p.write(p.a, DEBIT, {"member_id": "M2", "amount_paise": 0})  # another wallet
    new = p.write(p.b, DEBIT, {"member_id": "M1", "amount_paise": 300})
    with engine_at(tmp_path) as engine:
        ingest(engine, p.entries())
        assert outcome(engine, new) == ("applied", "")
        assert outcome(engine, old) == ("rejected", "stale_term")
        assert outcome(engine, other) == ("applied", "")
        assert engine.state.get("test_wallets", "M1") == {"paise": 200}


def test_debits_that_both_fit_both_stand(tmp_path: Path) -> None:
    p = partition()
    old = p.write(p.a, DEBIT, {"member_id": "M1", "amount_paise": 200})
    new = p.write(p.b, DEBIT, {"member_id": "M1", "amount_paise": 300})
    with engine_at(tmp_path) as engine:
        ingest(engine, p.entries())
        assert outcome(engine, old) == outcome(engine, new) == ("applied", "")


def test_a_late_credit_that_makes_both_debits_fit_lifts_the_fence(tmp_path: Path) -> None:
    """A fence is decided by what the fold held up to its winner: a credit that sorts
    before both debits (written offline by the root, synced last) makes them fit, and the
    node that had fenced the old debit ends where a node that had everything at once is."""
    p = partition()
    late = p.root.write(CREDIT, {"member_id": "M1", "amount_paise": 200}, ts=p.a.ts - 1)
    old = p.write(p.a, DEBIT, {"member_id": "M1", "amount_paise": 300})
    new = p.write(p.b, DEBIT, {"member_id": "M1", "amount_paise": 300})
    before = [e for e in p.entries() if e is not late]
    with engine_at(tmp_path / "stepwise") as engine:
        ingest(engine, before)
        assert outcome(engine, old) == ("rejected", "stale_term")
        assert engine.fenced, "the old debit was fenced"
        ingest(engine, [late])
        assert outcome(engine, old) == outcome(engine, new) == ("applied", "")
        assert not engine.fenced
        stepwise = engine.digest()
    assert _digest(tmp_path / "at_once", [p.entries()]) == stepwise


def test_fences_survive_a_restart(tmp_path: Path) -> None:
    p = partition()
    old = p.write(p.a, CLAIM, {"group_id": "g", "month": 1})
    p.write(p.b, CLAIM, {"group_id": "g", "month": 1})
    with engine_at(tmp_path) as engine:
        ingest(engine, p.entries())
        digest, fenced = engine.digest(), dict(engine.fenced)
    with engine_at(tmp_path) as engine:  # reopened: the fences are read back with the state
        assert engine.fenced == fenced and old.hash in fenced
        assert engine.digest() == digest
        more = p.write(p.b, CLAIM, {"group_id": "g", "month": 3})
        ingest(engine, [more])
        assert outcome(engine, old) == ("rejected", "stale_term")


def test_a_lower_term_entry_that_sorts_after_the_higher_grant_is_stale(tmp_path: Path) -> None:
    """The cut-off holder's clock runs late: its claim sorts after the new holder's."""
    p = partition()
    new = p.write(p.b, CLAIM, {"group_id": "g", "month": 1})
    old = p.a.write(
        CLAIM, {"scope": SCOPE, "term": 1, "group_id": "g", "month": 1}, ts=new.ts + 60_000
    )
    with engine_at(tmp_path) as engine:
        ingest(engine, p.entries())
        assert outcome(engine, new) == ("applied", "")
        assert outcome(engine, old) == ("rejected", "stale_term")


def test_conflict_keys_and_codes() -> None:
    assert fencing.conflict_key({"group_id": "g", "month": 4}) == "draw:g|4"
    assert fencing.conflict_key({"loan_id": "L1"}) == fencing.POOL
    assert fencing.conflict_key({"from_member_id": "M1", "to_member_id": "M2"}) == "wallet:M1"
    assert fencing.conflict_key({"request_id": "r"}) == fencing.ANY
    assert fencing.conflict(fencing.ANY, "wallet:M1") and not fencing.conflict("draw:g|1", "pool")
    assert fencing.is_conflict("insufficient_funds") and fencing.is_conflict("auction_exists")
    for code in ("not_lease_holder", "stale_term", "bad_body", "countersig_missing"):
        assert not fencing.is_conflict(code)
