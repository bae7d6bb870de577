"""The member keeps receipts from the phone (issue 15 point 4), in an in-process session over
the demo branch: a "Save receipt" on each payment, prize and share line of the passbook;
the receipt screen shows it as a QR code (a PNG of the receipt file) and a download link
signed for that member and that receipt only, which the app server answers with the file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import flet as ft
import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from chitnode.node.node import Node
from chitnode.services import member_receipts as mr
from tests.support.demo_app import demo_app
from tests.support.flet_session import AppSessionHandle, click, find, has, open_session, text_by
from ui import limits, receipt_links
from ui.gate import MEMBER, Who
from ui.shell import AppContext
from ui.views import member as screens
from ui.views import member_receipts as receipt_screen
from ui.vm import passbook as pb

MEMBER_ID = "M005"  # the demo's member with payments, a prize, shares and a loan


@pytest_asyncio.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[AppContext]:
    async with demo_app(tmp_path) as made:
        yield made


async def _phone(ctx: AppContext, member_id: str, route: str) -> AppSessionHandle:
    return await open_session(
        ctx, client_ip="192.168.1.20", route=route, who=Who(MEMBER, member_id)
    )


async def _receipts(ctx: AppContext, member_id: str) -> list[mr.MemberReceipt]:
    def read(node: Node) -> list[mr.MemberReceipt]:
        return mr.receipts_for(node.engine.state, node.store, member_id)

    result: list[mr.MemberReceipt] = await ctx.backend.nt.run(read)
    return result


def _lines(page: Any) -> list[Any]:
    found, i = [], 0
    while True:
        try:
            found.append(find(page, ident=f"passbook-{i}"))
        except AssertionError:
            return found
        i += 1


@pytest.mark.asyncio
async def test_each_payment_prize_and_share_line_saves_its_receipt(ctx: AppContext) -> None:
    phone = await _phone(ctx, MEMBER_ID, screens.PASSBOOK)
    receipts = {r.key: r for r in await _receipts(ctx, MEMBER_ID)}
    lines = _lines(phone.page)
    chit = [
        i for i, line in enumerate(lines) if line.value in (pb.CONTRIBUTION, pb.PRIZE, pb.DIVIDEND)
    ]
    assert chit, "the demo member has chit lines"
    for i in chit:
        save = find(phone.page, ident=f"passbook-{i}-save")
        assert save.value in receipts  # the line's own receipt, by its key
        assert save.content.height >= 48
    saved_kinds = {lines[i].value for i in chit}
    assert {pb.CONTRIBUTION, pb.PRIZE, pb.DIVIDEND} <= saved_kinds

    first = chit[0]
    ref = find(phone.page, ident=f"passbook-{first}-save").value
    await click(phone, find(phone.page, ident=f"passbook-{first}-save").content)
    page = phone.page
    qr = find(page, ident="receipt-qr")
    assert qr.value == ref and isinstance(qr.content, ft.Image)
    png = qr.content.src
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG")
    download = find(page, ident="receipt-download").content
    assert download.url.startswith(receipt_links.ROUTE + "/")
    assert download.height >= 48

    # The app server answers the link with the receipt file, which checks in the log.
    app = Starlette()
    receipt_links.add_receipt_routes(app, ctx)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://phone") as client:
        got = await client.get(download.url)
        assert got.status_code == 200, got.text
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.content == receipts[ref].to_bytes()
        kept = mr.parse_receipt(got.content)
        assert kept.member_id == MEMBER_ID and kept.entry == receipts[ref].entry
        # A link made for one member never gives another member's receipt.
        other = (await _receipts(ctx, "M011"))[0]
        wrong = receipt_links.link(MEMBER_ID, other.key, 0)
        assert (await client.get(wrong)).status_code == 404
        forged = download.url[:-4] + ("AAAA" if not download.url.endswith("AAAA") else "BBBB")
        assert (await client.get(forged)).status_code == 404

    await click(phone, find(phone.page, ident="receipt-back").content)
    assert find(phone.page, ident="passbook-title")


@pytest.mark.asyncio
async def test_a_wallet_move_saves_its_receipt_and_goes_back_to_the_wallet(
    ctx: AppContext,
) -> None:
    mid = MEMBER_ID
    for n, rupees in enumerate((500, 1_200)):  # cash at the counter, into the wallet
        body = {"member_id": mid, "amount_paise": rupees * 100, "cmd_id": f"d{n}", "note": "cash"}
        await ctx.backend.nt.run(lambda node, b=body: node.submit("wallet.deposited_cash", b))
    wallet_keys = {r.key for r in await _receipts(ctx, mid) if r.category == mr.WALLET}
    assert len(wallet_keys) == 2
    phone = await _phone(ctx, mid, screens.WALLET)
    saves = [
        find(phone.page, ident=f"wallet-move-{i}-save")
        for i in range(len(wallet_keys))
        if has(phone.page, ident=f"wallet-move-{i}-save")
    ]
    assert saves and {s.value for s in saves} <= wallet_keys
    await click(phone, saves[0].content)
    assert find(phone.page, ident="receipt-qr").value == saves[0].value
    assert text_by(phone.page, "receipt-what").startswith("Wallet · ₹")
    await click(phone, find(phone.page, ident="receipt-back").content)
    assert find(phone.page, ident="wallet-title")


@pytest.mark.asyncio
async def test_a_receipt_not_the_member_s_is_not_shown(ctx: AppContext) -> None:
    other = (await _receipts(ctx, "M011"))[0]
    phone = await _phone(ctx, MEMBER_ID, receipt_screen.RECEIPT + f"?ref={other.key}")
    assert find(phone.page, ident="receipt-none")
    with pytest.raises(AssertionError):
        find(phone.page, ident="receipt-qr")


def test_a_link_expires_and_is_bound_to_its_member_and_receipt() -> None:
    key = b"k" * limits.RECEIPT_LINK_KEY_BYTES
    token = receipt_links.link_token("M005", "ab:3", 1_000, key=key)
    assert receipt_links.read_token(token, 1_000, key=key) == ("M005", "ab:3")
    assert receipt_links.read_token(token, 1_000 + limits.RECEIPT_LINK_TTL_MS + 1, key=key) is None
    assert receipt_links.read_token(token, 1_000, key=b"x" * 32) is None
    mac = token.split(".")[1]
    other = receipt_links.link_token("M011", "ab:3", 1_000, key=key).split(".")[0]
    assert receipt_links.read_token(f"{other}.{mac}", 1_000, key=key) is None
    assert receipt_links.read_token("x" * (limits.RECEIPT_TOKEN_CHARS_MAX + 1), 0, key=key) is None
    assert receipt_links.read_token("no-dot", 0, key=key) is None
