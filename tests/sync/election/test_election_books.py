"""The core built from a real Node's books, its entries submitted through that Node, and
`chitnode lease status` reading them back."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from chitnode.cli.main import main as cli_main
from chitnode.node.node import Node
from sync.election import Election, PersistGrant, PersistVote, Ref, voter_margin_ms
from sync.election.books import core_inputs, scope_leases

SCOPE = "treasury"
LEASE_MS = 60_000


def _submit(node: Node, persist: PersistVote | PersistGrant) -> Ref:
    receipt = node.submit(persist.kind, persist.body)
    assert (receipt.status, receipt.code) == ("applied", "")
    return Ref(node.public, receipt.seq, receipt.hash)


def _elect(node: Node, now: int) -> Election:
    """A core built from the node's books; it elects itself, its entries go through submit."""
    core = Election(
        node.public, now, random.Random(1), *core_inputs(node.engine.state, node.public)
    )
    now += LEASE_MS + voter_margin_ms(LEASE_MS)  # a new core waits out a whole lease first
    outputs = core.campaign(now, SCOPE)
    assert outputs == [PersistVote(SCOPE, core.term(SCOPE), node.public)]
    vote = outputs[0]
    assert isinstance(vote, PersistVote)
    grants = core.vote_persisted(now, SCOPE, vote.term, _submit(node, vote))
    grant = next(o for o in grants if isinstance(o, PersistGrant))
    _submit(node, grant)
    core.grant_persisted(now, SCOPE, grant.term)
    assert core.may_write(now, SCOPE) == grant.term
    return core


def test_the_core_elects_itself_through_a_real_node_and_restarts_from_its_books(
    tmp_path: Path,
) -> None:
    with Node.init(tmp_path / "n", "Books") as node:
        body = {"scope": SCOPE, "keys": [node.public], "lease_ms": LEASE_MS}
        node.submit("scope.electorate_set", body)
        _elect(node, now=5)
        electorates, votes, granted = core_inputs(node.engine.state, node.public)
        assert electorates == {SCOPE: ([node.public], LEASE_MS)}
        assert votes[SCOPE].term == 1 and votes[SCOPE].candidate == node.public
        assert granted == {SCOPE: 1}
        # a restart: a new core from the books holds nothing and is elected at term 2
        restarted = _elect(node, now=0)
        assert restarted.term(SCOPE) == 2
        lease = node.engine.state.get("leases", f"{SCOPE}|{node.public}")
        assert lease is not None and (lease["term"], lease["status"]) == (2, "held")


def test_lease_status_shows_every_scope_its_holder_and_term(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "n"
    with Node.init(data, "Books") as node:
        node.submit(
            "scope.electorate_set", {"scope": SCOPE, "keys": [node.public], "lease_ms": 60_000}
        )
        node.submit(
            "scope.electorate_set", {"scope": "group:g2", "keys": [node.public], "lease_ms": 9_000}
        )
        _elect(node, now=0)
        root = node.public
        assert [r.scope for r in scope_leases(node.engine.state)] == ["group:g2", SCOPE]
    assert cli_main(["--data", str(data), "lease", "status"]) == 0
    out = capsys.readouterr().out
    assert "group:g2: no holder yet" in out
    assert f"treasury: term 1 held by {root[:12]}… (root admin)" in out
    assert cli_main(["--data", str(data), "lease", "status", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[1] == {
        "scope": SCOPE,
        "electorate": [{"key": root, "name": "root admin"}],
        "lease_ms": 60_000,
        "term": 1,
        "holder": root,
        "holder_name": "root admin",
        "status": "held",
        "time_left_ms": None,
    }
    assert rows[0]["holder"] is None and rows[0]["lease_ms"] == 9_000


def test_lease_status_of_a_branch_without_electorates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Node.init(tmp_path / "n", "Books").close()
    assert cli_main(["--data", str(tmp_path / "n"), "lease", "status"]) == 0
    assert "No scope has an electorate or a holder yet" in capsys.readouterr().out
