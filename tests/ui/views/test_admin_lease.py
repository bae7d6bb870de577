"""The leases on the admin's Devices screen, in in-process Flet sessions over the demo
branch (FLET.md §4): holder, term and time left in words, and the hand-over before an
offline meeting.

Without an election (a Backend over a bare Node, as here) the books alone are shown and
each row says why it has no button. The button's wiring is tested against `Desk`, a small
stand-in for the serve's ElectionService that records the transfer it is asked for: a seam
test. The real election hands a scope over between two `chitnode serve` processes in
tests/system/test_admin_lease_serve.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from chitnode.domain.kernel_kinds import electorate
from chitnode.errors import ChitError, RuleViolation
from chitnode.node.node import Command, Node, Receipt
from sync.election.books import scope_leases
from sync.election.service import LeaseRow
from tests.support.demo_branch import DemoBranch, closed_demo, open_copy
from tests.support.flet_session import (
    AppSessionHandle,
    app_context,
    click,
    find,
    has,
    open_session,
    text_by,
)
from ui import i18n
from ui.backend import Backend, Reading
from ui.gate import Who
from ui.shell import AppContext
from ui.views.admin import DEVICES
from ui.vm import admin as vm

STAFF_WHO = Who("staff", name="Nirmala")
MIN = 60_000
HOUR = 3_600_000
LEASE_MS = 5 * MIN  # the group's everyday lease before the meeting


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DemoBranch:
    return closed_demo(tmp_path_factory)


@pytest_asyncio.fixture
async def ctx(built: DemoBranch, tmp_path: Path) -> AsyncIterator[AppContext]:
    folder = tmp_path / "node"
    async with app_context(open_copy(built, folder), folder) as context:
        yield context


class Sockets:
    def __init__(self, connected: list[str]) -> None:
        self.connected = connected

    def peers(self) -> list[str]:
        return list(self.connected)


class Desk:
    """The serve's election for the screen: the real books, this device's time left as
    given, and a record of each transfer with the lease the books held at that moment."""

    def __init__(self, backend: Backend, left: dict[str, int], connected: list[str]) -> None:
        self.backend, self.left, self.hub = backend, left, Sockets(connected)
        self.transfers: list[tuple[str, str, int]] = []
        self.refusal: ChitError | None = None

    async def lease_rows(self) -> list[LeaseRow]:
        def rows(node: Node) -> list[LeaseRow]:
            books = scope_leases(node.engine.state)
            return [LeaseRow(s, self.left.get(s.scope)) for s in books]

        return await self.backend.nt.run(rows)

    async def transfer(self, scope: str, to: str) -> None:
        lease_ms = await self.backend.read(lambda r: electorate(r.state, scope)[1])
        self.transfers.append((scope, to, lease_ms))
        if self.refusal is not None:
            raise self.refusal

    async def submit(self, commands: list[Command]) -> list[Receipt]:
        raise AssertionError("the hand-over writes no coordinated command")


async def meeting_group(ctx: AppContext) -> tuple[str, str, str]:
    """A demo group whose electorate gains the foreman's laptop (5-minute lease), as the
    admin sets it once with `chitnode lease electorate`: (scope, laptop key, root key)."""

    def find_them(r: Reading) -> tuple[str, str, str]:
        state, me = r.state, r.device_key
        laptop = next(k for k, d in state.rows("devices").items() if d["role"] == "foreman")
        return scope_leases(state)[0].scope, laptop, me

    scope, laptop, me = await ctx.backend.read(find_them)
    body = {"scope": scope, "keys": sorted([me, laptop]), "lease_ms": LEASE_MS}
    await ctx.backend.submit(STAFF_WHO, "scope.electorate_set", body)
    return scope, laptop, me


async def devices(ctx: AppContext) -> AppSessionHandle:
    handle = await open_session(ctx, who=STAFF_WHO)
    assert handle.view.who.is_admin
    await handle.go(DEVICES)
    return handle


def row_of(handle: AppSessionHandle, scope: str) -> int:
    for i in range(100):
        if text_by(handle.page, f"devices-lease-{i}").startswith(f"{scope}:"):
            return i
    raise AssertionError(f"no row for {scope}")


async def press(handle: AppSessionHandle, ident: str) -> None:
    await click(handle, find(handle.page, ident=ident).content)


def lease_ms_of(ctx: AppContext, scope: str) -> int:
    node = ctx.backend.nt.node
    return electorate(node.engine.state, scope)[1]


@pytest.mark.asyncio
async def test_without_an_election_the_books_show_and_each_row_says_why_no_button(
    ctx: AppContext,
) -> None:
    handle = await devices(ctx)
    leases = await ctx.backend.read(lambda r: scope_leases(r.state))
    assert leases
    for i, lease in enumerate(leases):
        said = text_by(handle.page, f"devices-lease-{i}")
        assert said == (
            f"{lease.scope}: term {lease.term}, held by root admin; time left: on the holder"
        )
        assert "needs the election of chitnode serve:" in text_by(handle.page, f"lease-why-{i}")
        assert not has(handle.page, ident=f"lease-hand-{i}")


@pytest.mark.asyncio
async def test_the_button_sets_the_meetings_lease_then_hands_the_group_over(
    ctx: AppContext,
) -> None:
    scope, laptop, _ = await meeting_group(ctx)
    desk = Desk(ctx.backend, {scope: 4 * MIN + 30_000}, [laptop])
    ctx.backend.coordinator = desk
    handle = await devices(ctx)
    i = row_of(handle, scope)
    assert text_by(handle.page, f"devices-lease-{i}").endswith("; 4 min left")
    rows = await ctx.backend.read(lambda r: len(scope_leases(r.state)))
    for j in range(rows):  # the others have the root alone in their electorates
        if j != i:
            assert "Only one device may hold" in text_by(handle.page, f"lease-why-{j}")
    dialog = find(handle.page, ident=f"lease-dialog-{i}")
    assert not dialog.visible
    await press(handle, f"lease-hand-{i}")
    assert dialog.visible
    assert find(handle.page, ident=f"lease-to-{i}").content.value == laptop
    find(handle.page, ident=f"lease-for-{i}").content.value = "2"
    await press(handle, f"lease-confirm-{i}")
    assert desk.transfers == [(scope, laptop, 2 * HOUR)]  # the meeting's lease came first
    assert handle.banner.startswith(f"{scope} handed to ")
    assert not dialog.visible


@pytest.mark.asyncio
async def test_a_refused_hand_over_is_said_in_words(ctx: AppContext) -> None:
    scope, laptop, _ = await meeting_group(ctx)
    desk = Desk(ctx.backend, {scope: 4 * MIN}, [])
    ctx.backend.coordinator = desk
    handle = await devices(ctx)
    i = row_of(handle, scope)
    await press(handle, f"lease-hand-{i}")
    await press(handle, f"lease-confirm-{i}")  # the laptop is not connected
    assert handle.banner == i18n.error_text("en", "no_lease_holder")
    assert desk.transfers == [] and lease_ms_of(ctx, scope) == LEASE_MS  # nothing written
    assert find(handle.page, ident=f"lease-dialog-{i}").visible  # the choices stay

    desk.hub.connected = [laptop]
    desk.refusal = RuleViolation("the lease ran out meanwhile", code="not_lease_holder")
    await press(handle, f"lease-confirm-{i}")
    assert handle.banner == i18n.error_text("en", "not_lease_holder")
    assert desk.transfers == [(scope, laptop, vm.MEETING_HOURS_DEFAULT * HOUR)]
    await press(handle, f"lease-cancel-{i}")
    assert not find(handle.page, ident=f"lease-dialog-{i}").visible


@pytest.mark.asyncio
async def test_a_group_held_elsewhere_has_no_button_here(ctx: AppContext) -> None:
    """The election knows no time left here (another device holds it, or this one's lease
    ran out): only its holder hands it on."""
    scope, laptop, _ = await meeting_group(ctx)
    ctx.backend.coordinator = Desk(ctx.backend, {}, [laptop])
    handle = await devices(ctx)
    i = row_of(handle, scope)
    assert text_by(handle.page, f"devices-lease-{i}").endswith("time left: on the holder")
    assert "does not hold" in text_by(handle.page, f"lease-why-{i}")
    assert not has(handle.page, ident=f"lease-hand-{i}")
