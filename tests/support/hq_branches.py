"""Demo branches for the head-office tests (tests/hq): built, exported, and remembered.

    branch = build_branch(folder, "Udupi", seed=7)   # a BranchExport

Each is the demo (chitnode/services/demo.py) under its own seed, so the logs differ;
the caller sets the test passphrase and file keystore (tests/hq/conftest.py does).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import orjson

from chitnode.domain.state import State
from chitnode.node.node import Node
from chitnode.services.archive import export_file
from chitnode.services.demo import build_demo
from tests.support.clock import FakeClock

DEMO_BRANCHES = (("Mangaluru", 2026), ("Udupi", 7), ("Hubballi", 99))


@dataclass(frozen=True)
class BranchExport:
    name: str
    branch_id: str
    export: Path
    digest: str  # the branch node's own state digest (FoldEngine.digest)
    state: State  # its folded state, as the node held it
    entries: int
    newest_ts: int  # its newest entry's ts: the date the head office figures KPIs at


def build_branch(folder: Path, name: str, seed: int) -> BranchExport:
    clock = FakeClock()
    with Node.init(folder / "node", name, clock=clock) as node:
        build_demo(node, clock, random.Random(seed))
        export = folder / f"{name}.chitlog"
        export_file(node, export)
        newest = _newest_ts(node)
        return BranchExport(
            name,
            node.branch,
            export,
            node.engine.digest(),
            node.engine.state,
            int(node.status()["entries"]),
            newest,
        )


def _newest_ts(node: Node) -> int:
    newest = 0
    for author in node.store.authors():
        for _, raw in node.store.feed(author, 1):
            newest = max(newest, int(orjson.loads(raw)["ts"]))
    return newest
