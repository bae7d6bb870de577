"""coordination-v1: coordinated kinds only from the scope's lease holder at its term."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode.errors import RuleViolation
from chitnode.node.node import Node
from tests.support.coordinated import registered
from tests.support.feeds import Feed, engine_at, enrol, founded, ingest, outcome, seeded_key


@pytest.fixture
def coordinated_kind() -> Iterator[str]:
    """A coordinated kind that exists only for these tests."""
    with registered() as kind:
        yield kind


def test_lone_node_grants_itself_the_lease_with_a_signed_vote(
    fresh_node: Node, coordinated_kind: str
) -> None:
    receipt = fresh_node.submit(coordinated_kind, {"scope": "group:g1", "ref": "p1"})
    assert receipt.status == "applied"
    kinds = [r[0] for r in fresh_node.store.conn.execute("SELECT kind FROM entries ORDER BY pos")]
    assert kinds == ["branch.genesis", "lease.vote", "lease.granted", coordinated_kind]
    lease = fresh_node.engine.state.get("leases", f"group:g1|{fresh_node.public}")
    assert lease is not None and lease["term"] == 1 and lease["status"] == "held"
    fresh_node.submit(coordinated_kind, {"scope": "group:g1", "ref": "p2"})
    assert fresh_node.store.count(kind="lease.granted") == 1  # still within the lease


def test_lease_is_renewed_with_a_new_term_after_it_runs_out(
    fresh_node: Node, coordinated_kind: str, clock
) -> None:
    fresh_node.submit(coordinated_kind, {"scope": "group:g1", "ref": "p1"})
    clock.advance(10 * 60_000)
    fresh_node.submit(coordinated_kind, {"scope": "group:g1", "ref": "p2"})
    assert fresh_node.engine.state.get("grants", "group:g1|2") is not None


def test_refused_coordinated_command_appends_nothing(
    fresh_node: Node, coordinated_kind: str
) -> None:
    before = fresh_node.store.count()
    with pytest.raises(RuleViolation) as info:
        fresh_node.submit(coordinated_kind, {"ref": "p1"})
    assert info.value.code == "bad_scope"
    assert fresh_node.store.count() == before


def test_fold_rejects_coordinated_entries_from_non_holders_and_stale_terms(
    tmp_path: Path, coordinated_kind: str
) -> None:
    root, a, b = founded(), Feed(seeded_key(2)), Feed(seeded_key(3))
    enrol(root, a, "foreman")
    enrol(root, b, "foreman")
    scope = "group:g"
    keys = sorted([a.public, b.public, root.public])
    e_set = root.write("scope.electorate_set", {"scope": scope, "keys": keys, "lease_ms": 60_000})
    no_grant = b.write(coordinated_kind, {"scope": scope, "term": 1, "ref": "x"}, [e_set])
    va = a.write("lease.vote", {"scope": scope, "term": 1, "candidate": a.public}, [e_set])
    vr = root.write("lease.vote", {"scope": scope, "term": 1, "candidate": a.public}, [va])
    grant1 = a.write(
        "lease.granted",
        {
            "scope": scope,
            "term": 1,
            "votes": [[a.public, va.seq, va.hash], [root.public, vr.seq, vr.hash]],
        },
        [vr],
    )
    ok = a.write(coordinated_kind, {"scope": scope, "term": 1, "ref": "ok"})
    vb = b.write("lease.vote", {"scope": scope, "term": 2, "candidate": b.public}, [grant1])
    vr2 = root.write("lease.vote", {"scope": scope, "term": 2, "candidate": b.public}, [vb])
    grant2 = b.write(
        "lease.granted",
        {
            "scope": scope,
            "term": 2,
            "votes": [[b.public, vb.seq, vb.hash], [root.public, vr2.seq, vr2.hash]],
        },
        [vr2],
    )
    stale = a.write(coordinated_kind, {"scope": scope, "term": 1, "ref": "late"}, [grant2])
    minority = a.write(
        "lease.granted",
        {"scope": scope, "term": 3, "votes": [[a.public, va.seq, va.hash]]},
        [grant2],
    )
    with engine_at(tmp_path) as engine:
        ingest(engine, [*root.entries, *a.entries, *b.entries])
        assert outcome(engine, no_grant) == ("rejected", "not_lease_holder")
        assert outcome(engine, grant1) == ("applied", "")
        assert outcome(engine, ok) == ("applied", "")
        assert outcome(engine, grant2) == ("applied", "")
        assert outcome(engine, stale) == ("rejected", "stale_term")
        assert outcome(engine, minority) == ("rejected", "bad_vote")
