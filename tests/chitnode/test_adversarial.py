"""Tier F: bad input from outside gets a stable code and changes nothing (G9)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from chitnode import limits
from chitnode.domain import authority
from chitnode.errors import ChitError
from chitnode.log.canonical import canonical
from chitnode.log.entry import Entry, parse_entry, seal_entry
from chitnode.node.node import Node
from tests.support.feeds import Feed, seeded_key


def _entry_line(node: Node, feed: Feed, **changes: object) -> bytes:
    """A peer's entry for `node`'s branch, optionally altered after signing."""
    entry = seal_entry(
        feed.key,
        branch=node.branch,
        seq=1,
        prev="0" * 64,
        ts=1,
        deps=(),
        kind="lease.vote",
        body={"scope": "treasury", "term": 1, "candidate": feed.public},
    )
    obj = {**entry.to_json(), **changes}
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _resigned(node: Node, feed: Feed, **fields: object) -> bytes:
    base = {
        "branch": node.branch,
        "seq": 1,
        "prev": "0" * 64,
        "ts": 1,
        "deps": (),
        "kind": "lease.vote",
        "body": {"scope": "treasury", "term": 1, "candidate": feed.public},
    }
    base.update(fields)
    return seal_entry(feed.key, **base).raw  # type: ignore[arg-type]


CASES: dict[str, tuple[Callable[[Node, Feed], bytes], str]] = {
    "tampered byte": (lambda n, f: _entry_line(n, f, ts=2), "bad_hash"),
    "wrong signature": (lambda n, f: _entry_line(n, f, sig="ab" * 64), "bad_sig"),
    "float amount": (
        lambda n, f: _entry_line(n, f).replace(b'"term":1', b'"term":1.0'),
        "bad_format",
    ),
    "non-canonical JSON": (lambda n, f: _entry_line(n, f).replace(b",", b", ", 1), "bad_format"),
    "unknown field": (
        lambda n, f: canonical({**json.loads(_entry_line(n, f)), "x": 1}),
        "bad_format",
    ),
    "oversize entry": (
        lambda n, f: _entry_line(n, f, body={k: "x" * 15_000 for k in "abcde"}),
        "bad_format",
    ),
    "other branch": (lambda n, f: _resigned(n, f, branch="ab" * 16), "wrong_branch"),
    "broken chain at seq 1": (lambda n, f: _resigned(n, f, prev="cd" * 32), "broken_chain"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_peer_input_is_refused_with_its_code_and_changes_nothing(
    fresh_node: Node, case: str
) -> None:
    make, code = CASES[case]
    line = make(fresh_node, Feed(seeded_key(5)))
    before = fresh_node.status()
    with pytest.raises(ChitError) as info:
        fresh_node.ingest([parse_entry(line)])
    assert info.value.code == code
    assert fresh_node.status() == before


def test_oversize_bound_is_the_named_limit(fresh_node: Node) -> None:
    line = CASES["oversize entry"][0](fresh_node, Feed(seeded_key(5)))
    assert len(line) > limits.ENTRY_BYTES_MAX


@pytest.mark.parametrize(
    ("writer_role", "kind", "body", "code"),
    [
        (
            "member",
            "device.enrolled",
            {"key": "ef" * 32, "role": "admin", "name": "x"},
            "unauthorised",
        ),
        (
            "auditor",
            "scope.electorate_set",
            {"scope": "treasury", "keys": ["ef" * 32], "lease_ms": 1},
            "unauthorised",
        ),
        (None, "device.revoked", {"key": "ef" * 32, "reason": "x"}, "unknown_author"),
    ],
)
def test_signed_but_unauthorised_entries_are_kept_and_rejected_without_effect(
    fresh_node: Node, writer_role: str | None, kind: str, body: dict[str, object], code: str
) -> None:
    peer = Feed(seeded_key(6))
    if writer_role is not None:
        fresh_node.submit(
            "device.enrolled", {"key": peer.public, "role": writer_role, "name": "peer"}
        )
    projections = effects(fresh_node)
    heads = fresh_node.status()["heads"]
    deps = tuple(sorted((a, h["seq"], h["hash"]) for a, h in heads.items()))
    entry: Entry = seal_entry(
        peer.key,
        branch=fresh_node.branch,
        seq=1,
        prev="0" * 64,
        ts=fresh_node.clock.now_ms(),
        deps=deps,
        kind=kind,
        body=body,
    )
    result = fresh_node.ingest([entry])
    assert result.outcomes[entry.hash].code == code
    assert effects(fresh_node) == projections


def effects(node: Node) -> dict[str, dict[str, object]]:
    """Every projection but the authority bookkeeping, which a rejected entry also adds to
    (what its feed reaches, the grant it attempted: domain/authority.py)."""
    tables = node.engine.state.tables
    return {t: dict(rows) for t, rows in tables.items() if t not in authority.BOOKKEEPING}


def test_a_refused_command_appends_nothing(fresh_node: Node) -> None:
    before = fresh_node.status()
    for body in (
        {"key": "zz", "role": "member", "name": "m"},
        {"key": "ab" * 32, "role": "king", "name": "m"},
        {"key": "ab" * 32, "role": "member", "name": "m", "extra": 1},
    ):
        with pytest.raises(ChitError):
            fresh_node.submit("device.enrolled", body)
    with pytest.raises(ChitError) as info:
        fresh_node.submit("no.such_kind", {})
    assert info.value.code == "unknown_kind"
    assert fresh_node.status() == before


def test_a_command_whose_postings_would_overdraw_is_refused_before_append(
    fresh_node: Node,
) -> None:
    from chitnode.domain.kinds import ADMIN, REGISTRY, KindSpec
    from chitnode.domain.state import Posting

    def overdraw(state: object, entry: Entry) -> list[object]:
        return [Posting("pool:g", -100), Posting("ext:cash", 100)]

    REGISTRY["test.overdraw"] = KindSpec("test.overdraw", ADMIN, overdraw, False, "test")  # type: ignore[arg-type]
    try:
        before = fresh_node.status()
        with pytest.raises(ChitError) as info:
            fresh_node.submit("test.overdraw", {})
        assert info.value.code == "insufficient_funds"
        assert fresh_node.status() == before
    finally:
        del REGISTRY["test.overdraw"]
