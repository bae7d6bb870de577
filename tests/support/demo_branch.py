"""The demo branch (chitnode.services.demo) built once for a test module.

    @pytest.fixture(scope="module")
    def demo(tmp_path_factory):
        with demo_branch(tmp_path_factory) as branch:
            yield branch

The keystore is the encrypted file under the tests' passphrase (a module-scoped fixture
runs before the autouse per-test one in tests/conftest.py sets it). The node stays open
while the `with` lasts; `end_ms` is the demo clock's last reading, so a test that opens
the folder again gives its own clock a later start.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chitnode.node.node import Node
from chitnode.services.demo import build_demo
from tests.support.clock import FakeClock

DEMO_BRANCH_NAME = "Mangaluru Demo Branch"
DEMO_SEED = 2026


@dataclass
class DemoBranch:
    node: Node
    folder: Path
    clock: FakeClock
    summary: dict[str, Any]

    @property
    def end_ms(self) -> int:
        return self.clock.now_ms()


@contextmanager
def demo_branch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBranch]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
        mp.setenv("CHITNODE_KEYSTORE", "file")
        clock = FakeClock()
        folder = tmp_path_factory.mktemp("demo") / "node"
        with Node.init(folder, DEMO_BRANCH_NAME, clock=clock) as node:
            summary = build_demo(node, clock, random.Random(DEMO_SEED))
            yield DemoBranch(node, folder, clock, summary)


def open_copy(branch: DemoBranch, folder: Path, *, after_ms: int = 60_000) -> Node:
    """A copy of a closed demo branch in `folder`, opened on a clock `after_ms` past the
    demo's end: a test that writes gets a branch of its own, the module builds it once."""
    shutil.copytree(branch.folder, folder, ignore=shutil.ignore_patterns("writer.*"))
    return Node.open(folder, clock=FakeClock(wall_ms=branch.end_ms + after_ms))


def closed_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoBranch:
    """The demo branch built and closed, for tests that each open it (or `open_copy` it)."""
    with demo_branch(tmp_path_factory) as branch:
        pass
    return branch
