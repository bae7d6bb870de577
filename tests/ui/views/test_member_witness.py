"""A keyed member confirms the minutes and witnesses the log from the phone, in in-process
Flet sessions over the demo branch (issue 15: the minutes step and point 5).

The foreman's laptop is a staff session on the meeting screen; each phone is a member
session, and the signing page is played by the test with a real Ed25519 key answering the
link the phone shows through the real SignerDesk (tests/support/phone_signer.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from chitnode.clock import SystemClock
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import witness_kinds as wk
from chitnode.log.entry import Entry
from chitnode.log.statement import signature_ok, statement_for
from chitnode.node.node import Node
from chitnode.services import witness
from chitnode.services.member_receipts import StoreLog
from tests.support.demo_app import demo_app
from tests.support.flet_session import (
    AppSessionHandle,
    click,
    find,
    has,
    open_session,
    settle,
    text_by,
    text_of,
    walk,
)
from tests.support.phone_keys import desk, enrol, page_answer, phone_seed, public, signing_link
from ui import witness_desk
from ui.gate import MEMBER, STAFF, Who
from ui.shell import AppContext
from ui.signer import SIGN, SignerDesk
from ui.views import member as member_screens
from ui.vm import member as member_vm
from ui.vm import member_keys as vm

PRESS_WAIT_S = 30  # the press that asked for a signature ends once the phone answers


@pytest_asyncio.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[AppContext]:
    witness_desk.forget_all()
    async with demo_app(tmp_path) as made:
        made.signer = SignerDesk(SystemClock())
        yield made
    witness_desk.forget_all()


async def _state(ctx: AppContext) -> Any:
    return await ctx.backend.read(lambda r: r.state)


async def press(handle: AppSessionHandle, ident: str) -> None:
    await click(handle, find(handle.page, ident=ident).content)


async def last_entry(ctx: AppContext) -> Entry:
    def last(node: Node) -> Entry:
        stored = node.store.last_stored(node.public)
        assert stored is not None
        entry = node.store.entry_at(node.public, stored[0])
        assert entry is not None
        return entry

    return await ctx.backend.nt.run(last)


async def sign_reading(phone: AppSessionHandle, ident: str, seed: bytes) -> dict[str, str]:
    """Press `ident` on the phone; when it shows the signing screen, read its texts (what
    the member reads before signing), then answer its link with `seed`'s signature. The
    texts by identifier."""
    pressed = asyncio.ensure_future(press(phone, ident))
    url = await signing_link(phone, pressed)
    named = ((str(getattr(c, "identifier", "") or ""), c) for c in walk(phone.page))
    seen = {ident: text_of(c) for ident, c in named if ident.startswith("sign-")}
    desk(phone.ctx).accept(page_answer(url, seed), SIGN)
    await asyncio.wait_for(pressed, timeout=PRESS_WAIT_S)
    await settle()
    return seen


async def _minutes_to_attest(ctx: AppContext) -> tuple[str, member_vm.MinutesToAttest]:
    """A member present at a closed draw who has not attested it, and those minutes."""
    state = await _state(ctx)
    for mid in sorted(r["member_id"] for r in state.rows(base.MEMBERS).values()):
        items = member_vm.minutes_to_attest(state, mid)
        if items:
            return mid, items[0]
    raise AssertionError("the demo has no minutes waiting for a member")


def _meeting(gid: str, month: int, step: str) -> str:
    return f"/meeting?group={gid}&month={month}&step={step}"


@pytest.mark.asyncio
async def test_a_keyed_member_confirms_the_minutes_on_the_phone_which_says_what_in_words(
    ctx: AppContext,
) -> None:
    mid, item = await _minutes_to_attest(ctx)
    await enrol(ctx, mid, 7)
    route = _meeting(item.group_id, item.month, "minutes")
    laptop = await open_session(ctx, route=route, who=Who(STAFF))
    # the member's key must sign: no "Signed at the table" for them, the phone instead
    assert has(laptop.page, ident=f"meeting-minutes-phone-{mid}")
    assert not has(laptop.page, ident=f"meeting-minutes-table-{mid}")

    phone = await open_session(
        ctx, client_ip="192.168.1.20", route=member_screens.INBOX, who=Who(MEMBER, mid)
    )
    seen = await sign_reading(phone, "inbox-attest-0-confirm", phone_seed(7))
    said = await ctx.backend.read(lambda r: vm.minutes_words(r, item.group_id, item.month))
    assert said is not None and said.minutes_hash == item.minutes_hash
    assert seen["sign-detail-0"].endswith(f"month {item.month}")
    assert seen["sign-detail-1"] == f"Winner: ticket {said.winner_ticket}, {said.winner_name}"
    assert seen["sign-detail-2"].startswith("Prize: ₹")
    assert seen["sign-detail-3"].endswith(item.minutes_hash)  # what the statement signs

    entry = await last_entry(ctx)
    assert entry.kind == "minutes.attested" and entry.body["attester"] == mid
    countersig = entry.body["countersig"]
    assert countersig["key"] == public(7)
    assert signature_ok(
        public(7), statement_for(entry.kind, entry.body, entry.branch), countersig["sig"]
    )
    await settle()  # live on the laptop: the member has attested
    assert not has(laptop.page, ident=f"meeting-minutes-phone-{mid}")


@pytest.mark.asyncio
async def test_members_witness_the_log_from_their_phones_at_the_close(ctx: AppContext) -> None:
    _, item = await _minutes_to_attest(ctx)
    gid, month = item.group_id, item.month
    state = await _state(ctx)
    doc = base.minutes_document(state, gid, month)
    assert doc is not None
    present = sorted({*map(str, doc["present"]), str(doc["winner_member"])})
    keyed, other, unkeyed = present[0], present[1], present[2]
    await enrol(ctx, keyed, 8)
    await enrol(ctx, other, 9)

    laptop = await open_session(ctx, route=_meeting(gid, month, "close"), who=Who(STAFF))
    assert "can witness from the phone" in text_by(laptop.page, f"meeting-witness-{keyed}")
    assert "no key on a phone" in text_by(laptop.page, f"meeting-witness-{unkeyed}")
    assert not has(laptop.page, ident="meeting-witness-write")
    await press(laptop, "meeting-witness-ask")
    branch_id = await ctx.backend.read(lambda r: r.branch_id)
    ask = witness_desk.asked(branch_id, gid, month)
    assert ask is not None and ask.members == frozenset({keyed, other})
    assert "waiting for the phone" in text_by(laptop.page, f"meeting-witness-{keyed}")

    # -- the keyed member's phone gets the request on its home screen, and signs
    phone = await open_session(
        ctx, client_ip="192.168.1.21", route=member_screens.ME, who=Who(MEMBER, keyed)
    )
    asked = text_by(phone.page, "me-witness-0")
    assert asked.startswith(f"{item.group_name}, month {month}: the foreman asks you"), asked
    seen = await sign_reading(phone, "me-witness-0-sign", phone_seed(8))
    assert seen["sign-what"].startswith("You are witnessing")
    entries = sum(seq for _, seq, _ in ask.heads)
    assert f"{entries} entries from {len(ask.heads)} devices" in seen["sign-detail-1"]
    assert seen["sign-detail-1"].endswith("you are a witness.")
    assert not has(phone.page, ident="me-witness-0")  # signed: off the phone's home

    # -- another phone's key answers for the second member: refused, not kept
    other_phone = await open_session(
        ctx, client_ip="192.168.1.22", route=member_screens.ME, who=Who(MEMBER, other)
    )
    await sign_reading(other_phone, "me-witness-0-sign", phone_seed(10))
    assert other_phone.view.banner_box.visible and other_phone.view.banner.value
    await settle()
    assert text_by(laptop.page, f"meeting-witness-{keyed}").endswith("signed")
    assert "waiting" in text_by(laptop.page, f"meeting-witness-{other}")

    # -- the laptop writes the witness with the signature that came back
    await press(laptop, "meeting-witness-write")
    entry = await last_entry(ctx)
    assert entry.kind == wk.KIND
    assert entry.body["witnesses"] == [
        {"member_id": keyed, "key": public(8), "sig": entry.body["witnesses"][0]["sig"]}
    ]
    signed = wk.statement(entry.branch, gid, month, [tuple(h) for h in entry.body["heads"]])
    assert signature_ok(public(8), signed, entry.body["witnesses"][0]["sig"])
    made = witness.witness_of(entry)
    assert made.members == (keyed,)

    def check(node: Any) -> witness.WitnessCheck:
        return witness.check_witness(StoreLog(node.store, node.engine.state), made)

    assert (await ctx.backend.nt.run(check)).ok
    assert text_by(laptop.page, "meeting-witness-done").startswith("Witnessed: entry")
    await settle()
    assert not has(other_phone.page, ident="me-witness-0")  # written: nothing left to sign
