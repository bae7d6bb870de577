"""The Backend: reads on the node thread, writes through the gate, live batches to listeners."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from chitnode.errors import RuleViolation
from chitnode.node.node import Node
from chitnode.services.events import Event
from tests.support.clock import FakeClock
from ui.backend import Backend, Reading
from ui.gate import MEMBER, STAFF, NotAllowedHere, Who

WAIT_S = 5.0  # bound on waiting for a live batch


@pytest_asyncio.fixture
async def backend(tmp_path: Path) -> AsyncIterator[Backend]:
    node = Node.init(tmp_path / "node", "Gate Branch", clock=FakeClock())
    made = Backend.for_node(node, tmp_path / "node")
    yield made
    await made.aclose_node()


@pytest.mark.asyncio
async def test_read_gives_a_reading_of_the_branch(backend: Backend) -> None:
    reading: Reading = await backend.read(lambda r: r)
    assert reading.branch_name == "Gate Branch"
    assert reading.device_role == "admin" and len(reading.device_key) == 64
    assert reading.now_ms > 0


@pytest.mark.asyncio
async def test_staff_writes_reach_listeners_as_one_batch(backend: Backend) -> None:
    got: list[list[Event]] = []
    arrived = asyncio.Event()

    async def heard(events: list[Event]) -> None:
        got.append(list(events))
        arrived.set()

    stop = backend.listen(heard)
    receipt = await backend.submit(
        Who(STAFF), "member.registered", {"member_id": "M-1", "name": "Asha"}
    )
    assert receipt.status == "applied"
    await asyncio.wait_for(arrived.wait(), WAIT_S)
    assert [[e.kind for e in batch] for batch in got] == [["member.registered"]]
    stop()


@pytest.mark.asyncio
async def test_a_member_session_is_refused_a_staff_write_and_nothing_is_written(
    backend: Backend,
) -> None:
    before = await backend.read(lambda r: r.state.get("members", "M-2"))
    with pytest.raises(NotAllowedHere):
        await backend.submit(
            Who(MEMBER, "M-1", "Asha"), "member.registered", {"member_id": "M-2", "name": "X"}
        )
    assert before is None and await backend.read(lambda r: r.state.get("members", "M-2")) is None


@pytest.mark.asyncio
async def test_the_kernels_refusal_comes_back_with_its_code(backend: Backend) -> None:
    with pytest.raises(RuleViolation) as caught:
        await backend.submit(Who(STAFF), "group.started", {"group_id": "NO-SUCH"})
    assert caught.value.code


@pytest.mark.asyncio
async def test_a_broken_listener_does_not_stop_the_others(backend: Backend) -> None:
    arrived = asyncio.Event()

    async def broken(events: list[Event]) -> None:
        raise RuntimeError("a screen's bug")

    async def fine(events: list[Event]) -> None:
        arrived.set()

    backend.listen(broken)
    backend.listen(fine)
    await backend.submit(Who(STAFF), "member.registered", {"member_id": "M-3", "name": "Ravi"})
    await asyncio.wait_for(arrived.wait(), WAIT_S)
