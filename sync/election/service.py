"""The election inside `chitnode serve`: its sockets beside every peer link, coordinated
commands forwarded to the holder, transfers, and the lease table with time left.

    service = await ElectionService.start_on(nt, events)   # before the peer server starts
    service.attach(server)                                  # the /v1/election route
    finder = PeerFinder(..., service.link_factory(ctx))     # an election socket per peer
    receipts = await service.submit([Command(...)])         # runs here or on the holder

A device stands for a scope only when it is asked to write in it (`submit`) or is handed
it (`chitnode lease transfer`): the holder is whoever the electorate elected when the
first coordinated command came, and stays until it fails, steps down or hands over
(docs/coordination.md, "Who holds a group").
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from dataclasses import dataclass
from typing import Any

from chitnode.clock import new_id
from chitnode.domain.kinds import STAFF
from chitnode.errors import ChitError, RuleViolation
from chitnode.node.node import Command, Node, Receipt
from chitnode.services.events import EventStream, published
from sync import limits
from sync.election.books import ScopeLease, device_name, scope_leases
from sync.election.clock import BootClock
from sync.election.forward import Forward, Forwarded, ForwardLost, NoLeaseHolder, scope_of
from sync.election.shell import NodeElection
from sync.election.transport import ElectionHub, ElectionLink
from sync.node_thread import NodeThread
from sync.peer.client import PeerLink
from sync.peer.context import PeerContext
from sync.peer.server import PeerServer


class PairedLink:
    """A peer link and the election socket to the same address, started and stopped
    together; the finder sees the peer link's state (sync/discovery/finder.py Link)."""

    def __init__(self, peer: PeerLink, election: ElectionLink) -> None:
        self.sync, self.election = peer, election

    @property
    def peer(self) -> str | None:
        return self.sync.peer

    @property
    def state(self) -> str:
        return self.sync.state

    def start(self) -> None:
        self.sync.start()
        self.election.start()

    async def stop(self) -> None:
        await asyncio.gather(self.sync.stop(), self.election.stop())


@dataclass(frozen=True, slots=True)
class LeaseRow:
    """One scope for `chitnode lease status` on a serving node: the books and the clock."""

    lease: ScopeLease
    time_left_ms: int | None  # this device's own lease only: no clock is trusted across

    def as_json(self) -> dict[str, Any]:
        return {**self.lease.as_json(), "time_left_ms": self.time_left_ms}


class ElectionService:
    def __init__(self, nt: NodeThread, events: EventStream, shell: NodeElection) -> None:
        self.nt, self.events, self.shell = nt, events, shell
        self.hub = ElectionHub(nt, shell, events=events)
        self.hub.on_forward = self._run_forwarded
        self.me = nt.node.public
        self.loop = asyncio.get_running_loop()

    @classmethod
    async def start_on(cls, nt: NodeThread, events: EventStream) -> ElectionService:
        shell = await nt.run(lambda node: NodeElection(node, BootClock(), random.Random()))
        service = cls(nt, events, shell)
        service.hub.start()
        return service

    def attach(self, server: PeerServer) -> None:
        self.hub.attach(server)

    def link_factory(self, ctx: PeerContext) -> Any:
        def make(host: str, port: int) -> PairedLink:
            return PairedLink(PeerLink(ctx, host, port), ElectionLink(self.hub, ctx, host, port))

        return make

    async def stop(self) -> None:
        await self.hub.stop()

    # --- coordinated commands -------------------------------------------------------

    async def submit(self, commands: list[Command]) -> list[Receipt]:
        """Write `commands` here, or, for a coordinated scope another device holds, there.

        Free commands are written here and only here. A coordinated scope nobody holds is
        stood for (if this device may hold it) while the caller waits, at most
        FORWARD_WAIT_S; then NoLeaseHolder names the devices that were tried.
        """
        # Every command gets its id before it may travel: a forward whose answer is lost
        # is sent again with the same id, and the holder answers "already done" (G3).
        commands = [c if c.cmd_id else dataclasses.replace(c, cmd_id=new_id()) for c in commands]
        try:
            return await self._here(commands)
        except RuleViolation as refused:
            if refused.code != "not_lease_holder":
                raise
            scope = scope_of(commands)  # NotForwardable: a free command is never forwarded
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limits.FORWARD_WAIT_S
        tried: dict[str, str] = {}
        stood = False
        # Devices the books name as holder that said they are not: a lease in the books has
        # no end (a group its root held alone before it had an electorate, say), so only
        # the running election is believed once the books' holder has refused.
        not_holders: set[str] = set()
        for _ in range(int(limits.FORWARD_WAIT_S / limits.FORWARD_POLL_S) + 1):
            holder = await self.nt.run(lambda _n: self._holder(scope, not_holders))
            if holder == self.me:
                try:
                    return await self._here(commands)  # elected meanwhile: write here
                except RuleViolation as refused:
                    if refused.code != "not_lease_holder":
                        raise
                    not_holders.add(self.me)
            elif holder is not None and holder in self.hub.peers():
                tried[holder] = await self._name(holder)
                try:
                    return await self.hub.forward(holder, commands)
                except ForwardLost:
                    pass  # the socket changed under it: send it again on the new one
                except NoLeaseHolder:
                    # gone or cut off (its socket may look open until the heartbeat gives
                    # up): believe only the running election about it from now on
                    not_holders.add(holder)
                except ChitError as refused:
                    if refused.code != "not_lease_holder":
                        raise  # the holder's own refusal: a rule, not a lost holder
                    not_holders.add(holder)
            elif not stood and await self._may_stand(scope):
                stood = True
                await self.hub.campaign(scope)
                tried.setdefault(self.me, "this device")
            if loop.time() >= deadline:
                break
            await asyncio.sleep(limits.FORWARD_POLL_S)
        who = ", ".join(f"{n or k[:12]}" for k, n in tried.items()) or "none reachable"
        raise NoLeaseHolder(
            f"no device holding {scope} could be reached and none was elected in "
            f"{limits.FORWARD_WAIT_S:g} s (tried: {who}); nothing was written: try again "
            "when the holder is back on the network"
        )

    def _holder(self, scope: str, not_holders: set[str]) -> str | None:
        """On the node thread: the holder the election knows, else the books' one unless
        it said it is not."""
        now = self.shell.clock.elapsed_ms()
        known = self.shell.core.holder(now, scope)
        if known is not None:
            return known[0]
        books = self.shell.holder(scope)
        return books[0] if books is not None and books[0] not in not_holders else None

    async def _here(self, commands: list[Command]) -> list[Receipt]:
        events = self.events
        return await self.nt.run(lambda n: published(events, lambda: n.submit_many(commands)))

    async def _may_stand(self, scope: str) -> bool:
        return await self.nt.run(lambda _n: self.me in _electors(self.shell, scope))

    async def _name(self, key: str) -> str:
        return await self.nt.run(lambda n: device_name(n.engine.state, key))

    async def _run_forwarded(self, peer: str, message: Forward) -> Forwarded:
        """A peer's forwarded commands, run here if this device holds their scope."""
        commands = list(message.commands)
        try:
            await self.nt.run(lambda n: _check_forwarder(n, peer))
            scope_of(commands)
            receipts = await self._here(commands)
        except ChitError as refused:
            return Forwarded(message.id, None, (refused.code, str(refused)))
        return Forwarded(message.id, tuple(receipts), None)

    # --- leases ------------------------------------------------------------------------

    async def transfer(self, scope: str, to: str) -> None:
        """Hand `scope`, held here, to the device `to`, which must be connected now."""
        if to not in self.hub.peers():
            raise _not_connected(to, await self._name(to))
        await self.hub.send(await self.hub.run(lambda: self.shell.transfer(scope, to)))

    def transfer_here(self, scope: str, to: str) -> None:
        """`transfer` for a command running on the node thread (`chitnode lease transfer`
        inside the serve): the entry is written now, the frames leave from the loop."""
        if to not in self.hub.peers():
            raise _not_connected(to, device_name(self.nt.node.engine.state, to))
        frames = published(self.events, lambda: self.shell.transfer(scope, to))
        asyncio.run_coroutine_threadsafe(self.hub.send(frames), self.loop)

    async def lease_rows(self) -> list[LeaseRow]:
        def rows(node: Node) -> list[LeaseRow]:
            out = []
            for lease in scope_leases(node.engine.state):
                left = self.shell.time_left_ms(lease.scope)
                out.append(LeaseRow(lease, left))
            return out

        return await self.nt.run(rows)


def _not_connected(to: str, name: str) -> NoLeaseHolder:
    """A transfer's target is not connected now: what the admin is told."""
    return NoLeaseHolder(
        f"{name or to[:12]} is not connected to this device: start `chitnode serve` "
        "on it, on this network, and try again"
    )


def _electors(shell: NodeElection, scope: str) -> frozenset[str]:
    state = shell.core.scopes.get(scope)
    return state.keys if state is not None else frozenset()


def _check_forwarder(node: Node, peer: str) -> None:
    """Only staff devices forward (the app's member sessions go through their gate there);
    an auditor's device writes nothing, here or anywhere."""
    state = node.engine.state
    device = state.get("devices", peer)
    branch = state.get("branch", "branch")
    is_root = branch is not None and branch["root"] == peer
    staff = device is not None and device["status"] == "active" and device["role"] in STAFF
    if not (is_root or staff):
        raise RuleViolation(
            "only a staff device's commands are run for it here", code="not_staff_device"
        )
