"""One writer thread owns a Node: SQLite never runs on the asyncio loop.

A Node holds one SQLite connection and one in-memory fold; a write can take
milliseconds (a fold step, a COMMIT's fsync) and a page of a catch-up much more,
so running it on the loop would stall every peer connection and the control
endpoint. `NodeThread` hands each piece of work to a single thread, in arrival
order, and lets the loop await its answer:

    nt = NodeThread(node)
    receipt = await nt.run(lambda node, kind, body: node.submit(kind, body), kind, body)
    await nt.aclose()   # runs what is queued, closes the node on its thread

An exception raised by the work comes back to the awaiting caller unchanged. One
thread, not a pool: the Node's writes must not interleave, and its reads see
the fold between writes, never in the middle of one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from chitnode.errors import ChitError
from chitnode.node.node import Node
from sync import limits

T = TypeVar("T")

THREAD_NAME = "chitnode-node"  # shows in py-spy and thread dumps


class NodeClosed(ChitError):
    """Work handed to a NodeThread that is closing or closed."""

    code = "node_closed"


class NodeThread:
    """The one thread that runs `fn(node, *args)` for everyone, one call at a time."""

    def __init__(self, node: Node, *, jobs_max: int = limits.NODE_THREAD_JOBS_MAX) -> None:
        self.node = node
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
        self._thread_ids: set[int] = set()
        self._closed = False
        self._jobs_max = jobs_max
        # Bounds the work queued from the loop: a flood of peers waits here, on the loop,
        # instead of growing the thread's queue without end. Made on first use, in the loop.
        self._slots: asyncio.Semaphore | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(node, *args)` on the node thread; its result, or its exception raised here."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._jobs_max)
        async with self._slots:
            return await asyncio.wrap_future(self._submit(fn, args))

    def call(self, fn: Callable[..., T], *args: object) -> T:
        """`run` for a plain thread (not the loop, not the node thread): blocks for the answer."""
        if threading.get_ident() in self._thread_ids:
            # queued behind itself, the call would wait for ever
            raise RuntimeError("NodeThread.call from the node thread: call fn(node) directly")
        return self._submit(fn, args).result()

    def _submit(self, fn: Callable[..., T], args: tuple[object, ...]) -> Future[T]:
        if self._closed:
            raise NodeClosed("the node is shutting down; try again once it runs")
        try:
            return self._pool.submit(self._job, fn, args)
        except RuntimeError as exc:  # shut down between the check and the submit
            raise NodeClosed("the node is shutting down; try again once it runs") from exc

    def _job(self, fn: Callable[..., T], args: tuple[object, ...]) -> T:
        self._thread_ids.add(threading.get_ident())
        return fn(self.node, *args)

    def close(self) -> None:
        """Refuse new work, finish what is queued, close the Node on its own thread."""
        if self._closed:
            return
        self._closed = True
        try:
            self._pool.submit(self._job, _close_node, ()).result()
        finally:
            self._pool.shutdown(wait=True)

    async def aclose(self) -> None:
        """`close` without blocking the loop while the queued work finishes."""
        await asyncio.get_running_loop().run_in_executor(None, self.close)


def _close_node(node: Node) -> None:
    node.close()


__all__ = ["NodeClosed", "NodeThread"]
