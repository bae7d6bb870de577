"""An auditor's look at a draw by lot from an export alone (docs/chit-rules.md, "Recomputing
the winner by hand"; docs/wal-format.md 10.6): the export verifies with the independent
reference verifier (tests/vectors/reference_verifier.py: format, authority and every
member countersignature), and the winner is recomputed from the export's entries with the
docs' own steps, not the kernel's code.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.node.node import Node
from chitnode.services.archive import export_file
from tests.vectors import reference_verifier as rv

LOT_V2_DOMAIN = b"chitnode.lot.v2:"  # docs/chit-rules.md: the seed's prefix


@dataclass(frozen=True, slots=True)
class Draw:
    """A draw as the export shows it."""

    commit: str
    secret: str
    shares: dict[str, dict[str, Any]]  # member -> the lot.contributed entry
    winner: str  # the ticket, recomputed


def export_entries(node: Node, path: Path) -> list[dict[str, Any]]:
    """Export `node`'s log to `path`; the reference verifier finds no problem in it (the
    countersignatures included); its entries."""
    export_file(node, path)
    data = path.read_bytes()
    problems = rv.verify_report(data).sorted_problems()
    assert problems == [], problems
    lines = [json.loads(line) for line in data.split(b"\n") if line.strip()]
    return [e for e in lines if "kind" in e and "body" in e]


def recompute(
    entries: list[dict[str, Any]], group_id: str, month: int, candidates: list[int]
) -> Draw:
    """The draw of `group_id` month `month` from `entries` alone, as an auditor does."""

    def of(kind: str) -> list[dict[str, Any]]:
        return [
            e
            for e in entries
            if e["kind"] == kind
            and e["body"].get("group_id") == group_id
            and e["body"].get("month") == month
        ]

    (opened,) = of("auction.opened")
    (revealed,) = of("lot.revealed")
    commit, secret = opened["body"]["lot_commit"], revealed["body"]["secret"]
    assert hashlib.sha256(bytes.fromhex(secret)).hexdigest() == commit
    shares = {e["body"]["actor"]: e for e in of("lot.contributed")}
    values = [commit, secret] + [shares[m]["body"]["contribution"] for m in sorted(shares)]
    s = hashlib.sha256(LOT_V2_DOMAIN + b"".join(bytes.fromhex(v) for v in values)).digest()
    ordered, n = sorted(str(c) for c in candidates), len(candidates)
    while int.from_bytes(s, "big") >= (2**256 // n) * n:
        s = hashlib.sha256(s).digest()
    return Draw(commit, secret, shares, ordered[int.from_bytes(s, "big") % n])


def audit_draw(node: Node, path: Path, group_id: str, month: int) -> Draw:
    """Export, verify, recompute; the recomputed winner is the one the node settled."""
    state = node.engine.state
    auction = state.get(base.AUCTIONS, base.month_key(group_id, month))
    assert auction is not None
    draw = recompute(export_entries(node, path), group_id, month, auction["lot"]["tickets"])
    settled = state.get(base.SETTLEMENTS, base.month_key(group_id, month))
    assert settled is not None
    assert str(settled["winner_ticket"]) == draw.winner
    return draw
