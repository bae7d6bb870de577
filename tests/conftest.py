"""Shared fixtures: tiny, named, and free of the OS keyring (STYLE.md, Tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode.node.node import Node
from tests.support.clock import FakeClock

TEST_PASSPHRASE = "test-passphrase"


@pytest.fixture(autouse=True)
def _file_keystore(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the developer's real keyring; keys go to the encrypted file."""
    monkeypatch.setenv("CHITNODE_PASSPHRASE", TEST_PASSPHRASE)
    monkeypatch.setenv("CHITNODE_KEYSTORE", "file")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fresh_node(tmp_path: Path, clock: FakeClock) -> Iterator[Node]:
    """A lone root-admin node of a new branch, on a fake clock."""
    node = Node.init(tmp_path / "node", "Test Branch", clock=clock)
    yield node
    node.close()
