"""The app's one door to the node: read the fold, submit a command, hear what committed.

Every view-model is a pure function of a `Reading`; `Backend.read` builds the Reading on
the node thread (sync/node_thread.py), where the fold is never half-way through a write,
and runs the view-model's function there. `submit` passes the session's command through
the gate (ui/gate.py) and the node's one write path, and publishes what it committed to
the event stream, which wakes every session's live view (`listen`).

In `chitnode serve` the Backend shares the serve's node thread and event stream, so a
bid that arrives from a peer, from a phone or from `chitnode submit` reaches every open
screen the same way. Tests build one over a Node of their own with `for_node`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from chitnode.domain.apply import role_of
from chitnode.domain.kinds import load_all
from chitnode.domain.state import State
from chitnode.node.node import Command, Node, Receipt
from chitnode.services.events import Event, EventStream, Filter, published
from sync.node_thread import NodeThread
from ui import limits
from ui.gate import Who, check

T = TypeVar("T")
Listener = Callable[[list[Event]], Awaitable[None]]


class Coordinator(Protocol):
    """The serve's election (sync/election/service.py): runs a coordinated command here or
    on the holder of its scope, or raises no_lease_holder naming who was tried."""

    async def submit(self, commands: list[Command]) -> list[Receipt]: ...


@dataclass(frozen=True, slots=True)
class Reading:
    """What a view-model builder receives, made on the node thread. Never mutate `state`."""

    state: State
    now_ms: int
    branch_id: str
    branch_name: str
    device_role: str  # this node's role in the branch
    device_key: str  # this node's public key, hex
    folder: Path  # the data folder: node-local tables (pins.db) live there


def reading_of(node: Node, folder: Path) -> Reading:
    state = node.engine.state
    branch = state.get("branch", "branch") or {}
    return Reading(
        state=state,
        now_ms=node.clock.now_ms(),
        branch_id=node.branch,
        branch_name=str(branch.get("name", "")),
        device_role=role_of(state, node.public),
        device_key=node.public,
        folder=folder,
    )


class Backend:
    """Reads and writes for every browser session of one serving node."""

    def __init__(self, nt: NodeThread, events: EventStream, folder: Path) -> None:
        self.nt = nt
        self.events = events
        self.folder = folder
        self.coordinator: Coordinator | None = None  # set in a serve that runs an election
        self._listeners: list[Listener] = []
        self._pump: asyncio.Task[None] | None = None

    @classmethod
    def for_node(cls, node: Node, folder: Path) -> Backend:
        """A Backend over a Node the caller opened (tests, benchmarks): its own thread and
        stream, attached to the node. `aclose` detaches and closes the node."""
        events = EventStream()
        events.attach(node)
        return cls(NodeThread(node), events, folder)

    async def read(self, fn: Callable[[Reading], T]) -> T:
        folder = self.folder
        return await self.nt.run(lambda node: fn(reading_of(node, folder)))

    async def submit(
        self, who: Who, kind: str, body: dict[str, Any], cmd_id: str | None = None
    ) -> Receipt:
        """Write one command for `who`; raises the gate's or the kernel's ChitError."""
        stamped = check(who, kind, body)
        events = self.events
        spec = load_all().get(kind)
        if self.coordinator is not None and spec is not None and spec.coordinated:
            # a bid, a payout, a sanction: here if this device holds the group, else on
            # the device that does; its receipt comes back (docs/coordination.md)
            return (await self.coordinator.submit([Command(kind, stamped, cmd_id)]))[0]

        def write(node: Node) -> Receipt:
            return published(events, lambda: node.submit(kind, stamped, cmd_id))

        return await self.nt.run(write)

    # --- live -----------------------------------------------------------------------------

    def listen(self, fn: Listener) -> Callable[[], None]:
        """Call `fn` on the loop with every batch of committed events; returns the undo."""
        self._listeners.append(fn)
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._pumping())

        def stop() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(fn)

        return stop

    async def _pumping(self) -> None:
        """One subscription for the whole app; each batch fans out to every listener.

        The writer's thread only sets a flag (the stream's `wake` contract); batches that
        arrive within LIVE_COALESCE_MS of each other reach the screens as one."""
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(ready.set)

        sub = self.events.subscribe(Filter(), wake=wake)
        try:
            while True:
                await ready.wait()
                await asyncio.sleep(limits.LIVE_COALESCE_MS / 1000)
                ready.clear()
                batch = sub.drain()
                if not batch:
                    continue
                for fn in list(self._listeners):
                    try:
                        await fn(batch)
                    except Exception:  # one broken screen must not stop the others' updates
                        continue
        finally:
            sub.close()

    async def aclose(self) -> None:
        """Stop the live pump; close the node thread only if `for_node` made it."""
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        self._listeners.clear()

    async def aclose_node(self) -> None:
        """For `for_node` Backends: stop, detach the stream, close the node on its thread."""
        await self.aclose()
        events = self.events
        with contextlib.suppress(Exception):
            await self.nt.run(events.detach)
        await self.nt.aclose()
