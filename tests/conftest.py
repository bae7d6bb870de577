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


# A browser test whose page stops running script can wait on Playwright for good (not
# every call takes a timeout): it fails after this instead of holding CI to its limit.
# The longest takes a few minutes on 2 busy cores; hosts differ by up to 3x.
BROWSER_TEST_TIMEOUT_S = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT_S, method="signal"))
