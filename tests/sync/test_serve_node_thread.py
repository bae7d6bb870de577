"""NodeThread: the Node's one writer thread, driven from an asyncio loop.

Work runs on one thread that is not the loop's, in arrival order; results and
exceptions come back to the awaiting caller; close runs what is queued, closes the
Node (its writer lock is released) and refuses new work with a stable code.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from chitnode.errors import RuleViolation
from chitnode.node.node import Node, Receipt
from sync.node_thread import NodeClosed, NodeThread


def _submit(node: Node, kind: str, body: dict[str, object], cmd_id: str) -> Receipt:
    return node.submit(kind, body, cmd_id)


@pytest.mark.asyncio
async def test_work_runs_on_one_thread_that_is_not_the_loop(fresh_node: Node) -> None:
    nt = NodeThread(fresh_node)
    try:
        seen = await asyncio.gather(
            *(nt.run(lambda node: threading.get_ident()) for _ in range(20))
        )
        assert len(set(seen)) == 1
        assert seen[0] != threading.get_ident()
    finally:
        await nt.aclose()


@pytest.mark.asyncio
async def test_writes_come_back_in_arrival_order(fresh_node: Node) -> None:
    nt = NodeThread(fresh_node)
    try:
        bodies = [{"key": f"{n:064x}", "role": "employee", "name": f"e{n}"} for n in range(1, 6)]
        receipts = await asyncio.gather(
            *(nt.run(_submit, "device.enrolled", b, f"enrol-{i}") for i, b in enumerate(bodies))
        )
        assert [r.seq for r in receipts] == [2, 3, 4, 5, 6]  # genesis is seq 1
        assert all(r.status == "applied" for r in receipts)
        again = await nt.run(_submit, "device.enrolled", bodies[0], "enrol-0")
        assert again.already_done and again.seq == 2
    finally:
        await nt.aclose()


@pytest.mark.asyncio
async def test_an_exception_reaches_the_awaiting_caller_and_the_thread_goes_on(
    fresh_node: Node,
) -> None:
    nt = NodeThread(fresh_node)
    try:
        with pytest.raises(RuleViolation) as refused:
            await nt.run(_submit, "no.such_kind", {}, "x-1")
        assert refused.value.code == "unknown_kind"
        status = await nt.run(Node.status)
        assert status["entries"] == 1
    finally:
        await nt.aclose()


@pytest.mark.asyncio
async def test_close_finishes_queued_work_releases_the_lock_and_refuses_more(
    fresh_node: Node, tmp_path: Path
) -> None:
    nt = NodeThread(fresh_node, jobs_max=2)
    body = {"key": "ab" * 32, "role": "auditor", "name": "audit"}
    queued = asyncio.ensure_future(nt.run(_submit, "device.enrolled", body, "audit-1"))
    await asyncio.sleep(0)  # let it reach the thread's queue
    await nt.aclose()
    assert (await queued).status == "applied"
    assert nt.closed
    with pytest.raises(NodeClosed) as refused:
        await nt.run(Node.status)
    assert refused.value.code == "node_closed"
    with Node.open(tmp_path / "node") as again:  # the writer lock went with the node
        assert again.status()["entries"] == 2


def test_call_from_a_plain_thread(fresh_node: Node) -> None:
    nt = NodeThread(fresh_node)
    try:
        assert nt.call(lambda node: node.public) == fresh_node.public
        with pytest.raises(RuntimeError):  # from the node thread itself it would deadlock
            nt.call(lambda node: nt.call(Node.status))
    finally:
        nt.close()
