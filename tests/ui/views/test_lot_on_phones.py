"""The draw by lot from members' phones, and the desk's bid for a member with a key
(issue 15, the lot): in-process Flet sessions over a real node mid-auction (lot v2).

A member with an enrolled key adds their share of the draw from the live room: the node
issues the statement with the share blank, the phone (played by a real Ed25519 key, as
tests/support/phone_keys.py does) fills in bytes it chose and signs, and the room writes
the member's own `lot.contributed` with the countersig. The laptop's meeting desk waits
for those members' phones instead of writing for them; members without a key keep the
laptop path. The auction desk's bid for a member with a key goes to that member's phone
to sign, or, with no phone session open, the desk says in words that they bid from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from chitnode.domain import chit_kinds_base as base
from chitnode.errors import ChitError
from chitnode.log.statement import signature_ok, statement_for
from chitnode.node.node import Node
from tests.support.auction_room import AUCTION_MS, GID, mid_auction
from tests.support.clock import FakeClock
from tests.support.flet_session import app_context, click, find, has, open_session, text_by
from tests.support.lot_audit import audit_draw
from tests.support.phone_keys import (
    desk,
    enrol,
    page_answer,
    phone_seed,
    public,
    sign_on_phone,
    signing_link,
)
from ui.gate import MEMBER, STAFF, Who
from ui.shell import AppContext
from ui.signer import SIGN, SignerDesk
from ui.views import member_keys as screens
from ui.vm import auction as vm
from ui.vm import meeting as meeting_vm

ROOM = f"/room?group={GID}&month=1"
DESK = f"/auction?group={GID}&month=1"
PHONE_IP = "192.168.1.20"  # a phone on the branch's Wi-Fi
SHARE_M1 = "a1" * 32  # what each phone drew (made up: the page uses crypto.getRandomValues)
SHARE_M2 = "b2" * 32
WAIT_ROUNDS = 300  # rounds of WAIT_S for a phone's background signing to end
WAIT_S = 0.01


async def _shares(ctx: AppContext) -> dict[str, Any]:
    def read(r: Any) -> dict[str, Any]:
        auction = r.state.get(base.AUCTIONS, base.month_key(GID, 1))
        return {str(c["member"]): c for c in auction["lot"]["contributions"]}

    return await ctx.backend.read(read)


async def _entries(ctx: AppContext, kind: str) -> list[Any]:
    def found(node: Node) -> list[Any]:
        last = node.store.last_stored(node.public)
        assert last is not None
        got = (node.store.entry_at(node.public, s) for s in range(1, last[0] + 1))
        return [e for e in got if e is not None and e.kind == kind]

    return await ctx.backend.nt.run(found)


@asynccontextmanager
async def _branch(
    folder: Path, clock: FakeClock, *, lot: bool, keyed: tuple[str, ...]
) -> AsyncIterator[AppContext]:
    """The app over a node mid-auction (M1..M4 present; lot v2 when `lot`, its secret held
    by this laptop), phones 1, 2, ... enrolled for the members in `keyed`."""
    node = Node.init(folder, "Test Branch", clock=clock)
    mid_auction(node, clock, lot_folder=folder if lot else None)
    async with app_context(node, folder) as ctx:
        ctx.signer = SignerDesk(clock)
        for n, member in enumerate(keyed, start=1):
            await enrol(ctx, member, n)
        yield ctx


def _countersig_ok(entry: Any, key: str) -> None:
    countersig = entry.body["countersig"]
    assert countersig["key"] == key
    statement = statement_for(entry.kind, entry.body, entry.branch)
    assert signature_ok(key, statement, countersig["sig"])


@pytest.mark.asyncio
async def test_two_keyed_members_add_their_shares_from_their_phones_and_the_draw_is_audited(
    tmp_path: Path, clock: FakeClock
) -> None:
    folder = tmp_path / "node"
    async with _branch(folder, clock, lot=True, keyed=("M1", "M2")) as ctx:  # nobody bids
        clock.advance(AUCTION_MS + 1)  # the countdown is over: the draw takes shares
        step = await ctx.backend.read(lambda r: meeting_vm.build_meeting(r, GID, 1, "auction"))
        assert step.auction is not None and step.auction.draw_needed
        waiting = dict(step.auction.on_phones)
        assert set(waiting) == {"M1", "M2"}  # the laptop waits for their phones
        assert {m for m, _ in step.auction.to_contribute} == {"M3", "M4"}  # no key: as before

        m1 = await open_session(ctx, client_ip=PHONE_IP, who=Who(MEMBER, "M1"), route=ROOM)
        m3 = await open_session(ctx, client_ip=PHONE_IP, who=Who(MEMBER, "M3"), route=ROOM)
        assert "at the table" in text_by(m3.page, "room-share-at-table")
        assert not has(m3.page, key="room-share")
        url = await sign_on_phone(m1, find(m1.page, key="room-share"), None)  # "Don't sign"
        assert "fill=contribution" in url
        assert await _shares(ctx) == {}
        await sign_on_phone(m1, find(m1.page, key="room-share"), phone_seed(1), share=SHARE_M1)
        assert m1.view.route == "/room"
        assert text_by(m1.page, "room-share-added") == "Your share is in the draw."
        m2 = await open_session(ctx, client_ip=PHONE_IP, who=Who(MEMBER, "M2"), route=ROOM)
        await sign_on_phone(m2, find(m2.page, key="room-share"), phone_seed(2), share=SHARE_M2)
        shares = await _shares(ctx)
        assert {m: c["value"] for m, c in shares.items()} == {"M1": SHARE_M1, "M2": SHARE_M2}
        for entry in await _entries(ctx, vm.SHARE):
            _countersig_ok(entry, public(1 if entry.body["actor"] == "M1" else 2))
        # the phones' signed shares seal the draw: the laptop offers no share for M3, M4 now
        after = await ctx.backend.read(lambda r: meeting_vm.build_meeting(r, GID, 1, "auction"))
        assert after.auction is not None and after.auction.to_contribute == ()
        assert {m for m, _ in after.auction.left_out} == {"M3", "M4"}

        office = await open_session(ctx, who=Who(STAFF), route=DESK)
        await click(office, find(office.page, key="auction-close"))  # closes, then reveals
        assert has(office.page, ident="auction-result")
        assert has(m1.page, ident="room-result")  # live on the phone
    draw = audit_draw(Node.open(folder), tmp_path / "branch.chitlog", GID, 1)
    assert {m: e["body"]["contribution"] for m, e in draw.shares.items()} == {
        "M1": SHARE_M1,
        "M2": SHARE_M2,
    }


@pytest.mark.asyncio
async def test_a_share_the_phone_did_not_fill_or_changed_is_refused_and_nothing_written(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with _branch(tmp_path / "node", clock, lot=True, keyed=("M1",)) as ctx:
        clock.advance(AUCTION_MS + 1)
        m1 = await open_session(ctx, client_ip=PHONE_IP, who=Who(MEMBER, "M1"), route=ROOM)
        pressed = asyncio.ensure_future(click(m1, find(m1.page, key="room-share")))
        url = await signing_link(m1, pressed)
        for bad in ("", "AB" * 32):  # left blank (the node's bytes), or not the format
            with pytest.raises(ChitError) as refused:
                desk(ctx).accept(page_answer(url, phone_seed(1), share=bad), SIGN)
            assert refused.value.code == "signer_statement_mismatch"
        await click(m1, find(m1.page, ident="sign-cancel").content)
        await asyncio.wait_for(pressed, timeout=30)
        assert await _shares(ctx) == {}


@pytest.mark.asyncio
async def test_the_desk_sends_a_bid_for_a_keyed_member_to_their_phone(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with _branch(tmp_path / "node", clock, lot=False, keyed=("M1",)) as ctx:
        office = await open_session(ctx, who=Who(STAFF), route=DESK)
        assert "signs on their phone" in text_by(office.page, "auction-ticket-1")

        # no phone session: the desk says so in words, and writes nothing
        await click(office, find(office.page, key="auction-pick-1"))
        await click(office, find(office.page, key="auction-place"))
        assert office.view.banner_box.visible
        assert "bid from the auction there" in str(office.view.banner.value)
        assert await _entries(ctx, vm.BID) == []

        # M1's phone is logged in: the bid is sent there, signed, and written
        phone = await open_session(ctx, client_ip=PHONE_IP, who=Who(MEMBER, "M1"), route="/me")
        await click(office, find(office.page, key="auction-pick-1"))
        place = find(office.page, key="auction-place")
        await sign_on_phone(phone, place, phone_seed(1), by=office)
        assert "Sent to" in str(office.view.banner.value)
        for _ in range(WAIT_ROUNDS):  # the phone's session writes it once signed
            if phone.view.route != screens.SIGN and await _entries(ctx, vm.BID):
                break
            await asyncio.sleep(WAIT_S)
        [bid] = await _entries(ctx, vm.BID)
        assert bid.body["actor"] == "M1"
        _countersig_ok(bid, public(1))
        assert phone.view.route == "/me"  # the phone went back where it was
