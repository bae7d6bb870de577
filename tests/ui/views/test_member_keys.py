"""Members sign for themselves, in in-process Flet sessions over the demo branch (issue 15).

The phone's signing page is played by the test with a real Ed25519 key: it answers the
ticket in the link the app shows, through the real SignerDesk's `accept` (the code behind
POST /signer/enrol-request and /signer/submit), so the app hears it as it would in a serve.
Covered: pairing shows the fingerprint on the phone and on the staff screen, staff enrol
and revoke, a keyed member's agreement, attestation and bid go through the phone's
signature into the log (the entry's countersig verifies), declining writes nothing, and a
member with no key submits as before.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio
from nacl.signing import SigningKey

from chitnode.clock import SystemClock
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import member_keys as mk
from chitnode.log.entry import Entry
from chitnode.log.statement import signature_ok, statement_for
from chitnode.node.node import Node
from tests.support.auction_room import mid_auction
from tests.support.clock import FakeClock
from tests.support.demo_app import demo_app
from tests.support.flet_session import (
    AppSessionHandle,
    app_context,
    click,
    find,
    open_session,
    settle,
    text_by,
)
from ui.gate import MEMBER, STAFF, Who
from ui.shell import AppContext
from ui.signer import ENROL, SIGN, SignerDesk, b64url, from_b64url
from ui.views import member as member_screens
from ui.views import member_keys as screens
from ui.vm import member as member_vm
from ui.vm import member_keys as vm

FORMING = "MNG-2026-06"  # the demo's group still signing its agreement
ROOM = "/room"  # the member's auction room (ui/views/auction.py)
WAIT_STEPS = 200  # settle() rounds to wait for the session to show the signing screen


def phone_seed(n: int) -> bytes:
    """A phone's key seed, made up for the test (the page draws 32 random bytes)."""
    return bytes([0x60 + n]) * 32


def public(n: int) -> str:
    return SigningKey(phone_seed(n)).verify_key.encode().hex()


@pytest_asyncio.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[AppContext]:
    async with demo_app(tmp_path) as made:
        made.signer = SignerDesk(SystemClock())
        yield made


def desk(ctx: AppContext) -> SignerDesk:
    assert isinstance(ctx.signer, SignerDesk)
    return ctx.signer


def page_answer(url: str, seed: bytes) -> bytes:
    """What the signing page POSTs for the link `url` once the member taps Sign."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    statement = from_b64url(query["statement"], "statement")
    key = SigningKey(seed)
    return json.dumps(
        {
            "ticket": query["ticket"],
            "statement": query["statement"],
            "sig": b64url(key.sign(statement).signature),
            "pub": key.verify_key.encode().hex(),
        }
    ).encode()


async def _state(ctx: AppContext) -> Any:
    return await ctx.backend.read(lambda r: r.state)


async def _last_entry(ctx: AppContext) -> Entry:
    def last(node: Any) -> Entry:
        seq, _ = node.store.last_stored(node.public)
        return node.store.entry_at(node.public, seq)

    return await ctx.backend.nt.run(last)


async def _phone(ctx: AppContext, member_id: str, route: str) -> AppSessionHandle:
    return await open_session(
        ctx, client_ip="192.168.1.20", route=route, who=Who(MEMBER, member_id)
    )


async def _press(handle: AppSessionHandle, ident: str) -> None:
    await click(handle, find(handle.page, ident=ident).content)


async def _enrol(ctx: AppContext, member_id: str, n: int) -> None:
    await ctx.backend.submit(Who(STAFF), vm.ENROL_KIND, {"member_id": member_id, "key": public(n)})


def _unsigned_member(state: Any) -> str:
    group = base.group_row(state, FORMING)
    return sorted(
        m for m in base.holders(state, group) if not state.get(base.SIGNATURES, f"{FORMING}|{m}")
    )[0]


async def _sign_on_phone(phone: AppSessionHandle, ident: str | Any, seed: bytes | None) -> None:
    """Press `ident` (a consent's button, or the control itself); when the app shows the
    signing screen, answer its link with `seed`'s signature (None: tap "Don't sign"), and
    wait for the press."""
    if isinstance(ident, str):
        pressed = asyncio.ensure_future(_press(phone, ident))
    else:
        pressed = asyncio.ensure_future(click(phone, ident))
    for _ in range(WAIT_STEPS):
        if phone.view.route == screens.SIGN or pressed.done():
            break
        await asyncio.sleep(0.01)
    assert phone.view.route == screens.SIGN, "the app did not ask for the phone's signature"
    url = find(phone.page, ident="sign-open").value
    assert url.startswith("/signer/?") and "ticket=" in url
    if seed is None:
        await _press(phone, "sign-cancel")
    else:
        desk(phone.ctx).accept(page_answer(url, seed), SIGN)
    await asyncio.wait_for(pressed, timeout=30)
    await settle()


@pytest.mark.asyncio
async def test_pairing_shows_one_fingerprint_to_member_and_staff_who_enrol_and_revoke(
    ctx: AppContext,
) -> None:
    mid = _unsigned_member(await _state(ctx))
    phone = await _phone(ctx, mid, screens.MY_KEY)
    assert text_by(phone.page, "mykey-status") == "You have no signing key yet."
    await _press(phone, "mykey-pair")
    url = find(phone.page, ident="mykey-open").value
    assert "pair=1" in url and f"member={mid}" in url
    desk(ctx).accept(page_answer(url, phone_seed(1)), ENROL)  # the page offers its key
    await settle()
    fingerprint = vm.fingerprint(public(1))
    assert fingerprint in text_by(phone.page, "mykey-offered")
    office = await open_session(ctx, route=screens.KEYS, who=Who(STAFF))
    assert text_by(office.page, "keys-offer-0").endswith(fingerprint)
    await _press(office, "keys-offer-0-enrol")
    row = (await _state(ctx)).get(mk.MEMBER_KEYS, mid)
    assert row["key"] == public(1) and row["status"] == mk.ACTIVE
    assert text_by(office.page, "keys-offers-none") == "No phone is waiting."
    assert text_by(office.page, "keys-member-0").endswith(fingerprint)
    await settle()  # live: the phone hears member.key_enrolled
    assert text_by(phone.page, "mykey-status").endswith(fingerprint)
    await _press(office, "keys-member-0-revoke")  # the phone was lost
    assert (await _state(ctx)).get(mk.MEMBER_KEYS, mid)["status"] == mk.REVOKED
    assert "cancelled" in text_by(office.page, "keys-member-0")
    await settle()
    assert "Pair your phone again" in text_by(phone.page, "mykey-status")


@pytest.mark.asyncio
async def test_a_keyed_member_signs_the_agreement_on_the_phone(ctx: AppContext) -> None:
    mid = _unsigned_member(await _state(ctx))
    await _enrol(ctx, mid, 2)
    phone = await _phone(ctx, mid, member_screens.AGREEMENT)
    await _sign_on_phone(phone, "agreement-0-sign", None)  # "Don't sign": nothing written
    assert phone.view.route == member_screens.AGREEMENT
    assert (await _state(ctx)).get(base.SIGNATURES, f"{FORMING}|{mid}") is None
    await _sign_on_phone(phone, "agreement-0-sign", phone_seed(2))
    assert phone.view.route == member_screens.AGREEMENT
    assert text_by(phone.page, "agreement-0-signed").startswith("You signed on")
    entry = await _last_entry(ctx)
    assert entry.kind == "agreement.signed" and entry.body["member_id"] == mid
    countersig = entry.body["countersig"]
    assert countersig["key"] == public(2)
    statement = statement_for(entry.kind, entry.body, entry.branch)
    assert signature_ok(countersig["key"], statement, countersig["sig"])


@pytest.mark.asyncio
async def test_a_signature_by_another_phone_is_refused_in_words(ctx: AppContext) -> None:
    mid = _unsigned_member(await _state(ctx))
    await _enrol(ctx, mid, 3)
    phone = await _phone(ctx, mid, member_screens.AGREEMENT)
    await _sign_on_phone(phone, "agreement-0-sign", phone_seed(4))  # not the enrolled key
    assert (await _state(ctx)).get(base.SIGNATURES, f"{FORMING}|{mid}") is None
    assert phone.view.banner_box.visible and phone.view.banner.value


@pytest.mark.asyncio
async def test_a_keyed_member_attests_the_minutes_on_the_phone(ctx: AppContext) -> None:
    state = await _state(ctx)
    mid = next(
        m
        for m in sorted(r["member_id"] for r in state.rows(base.MEMBERS).values())
        if member_vm.minutes_to_attest(state, m)
    )
    [item, *_] = member_vm.minutes_to_attest(state, mid)
    await _enrol(ctx, mid, 5)
    phone = await _phone(ctx, mid, member_screens.INBOX)
    await _sign_on_phone(phone, "inbox-attest-0-confirm", phone_seed(5))
    minutes = (await _state(ctx)).get(base.MINUTES, base.month_key(item.group_id, item.month))
    assert mid in minutes["attesters"]
    entry = await _last_entry(ctx)
    assert entry.kind == "minutes.attested" and entry.body["countersig"]["key"] == public(5)


@pytest.mark.asyncio
async def test_a_member_without_a_key_signs_as_before(ctx: AppContext) -> None:
    mid = _unsigned_member(await _state(ctx))
    phone = await _phone(ctx, mid, member_screens.AGREEMENT)
    await _press(phone, "agreement-0-sign")  # no signing screen, no ticket
    assert text_by(phone.page, "agreement-0-signed").startswith("You signed on")
    entry = await _last_entry(ctx)
    assert entry.kind == "agreement.signed" and "countersig" not in entry.body
    assert desk(ctx).waiting(SIGN) == []


@pytest.mark.asyncio
async def test_a_keyed_member_bids_from_the_room_with_the_phones_signature(
    tmp_path: Path, clock: FakeClock
) -> None:
    folder = tmp_path / "room"
    node = Node.init(folder, "Test Branch", clock=clock)
    mid_auction(node, clock)
    async with app_context(node, folder) as ctx:
        ctx.signer = SignerDesk(clock)
        await _enrol(ctx, "M1", 6)
        phone = await open_session(ctx, who=Who(MEMBER, "M1"), route=ROOM)
        await click(phone, find(phone.page, key="room-bid"))
        await _sign_on_phone(phone, find(phone.page, key="room-confirm"), phone_seed(6))
        assert phone.view.route == ROOM  # back in the room, the bid in its list
        assert text_by(phone.page, "room-bids").count("offers") == 1
        entry = await _last_entry(ctx)
        assert entry.kind == "auction.bid" and entry.body["actor"] == "M1"
        assert entry.body["cmd_id"].startswith("bid-")  # the nonce the statement signs
        countersig = entry.body["countersig"]
        statement = statement_for(entry.kind, entry.body, entry.branch)
        assert countersig["key"] == public(6)
        assert signature_ok(countersig["key"], statement, countersig["sig"])
