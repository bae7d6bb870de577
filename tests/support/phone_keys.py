"""A member's phone signing, played in-process by a real Ed25519 key (issue 15).

The signing page (assets/signer/signer.js) answers the ticket in the link the app shows
by POSTing to the node's SignerDesk; here the test builds that same POST body and hands
it to the real desk's `accept` (the code behind POST /signer/submit), so the app hears it
as it would in a serve. For a statement the page completes (`&fill=contribution`, a
member's share of a draw by lot) the test fills the blank field with bytes of its own,
as the page does with crypto.getRandomValues.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from nacl.signing import SigningKey

from chitnode.log.canonical import canonical, parse_canonical
from tests.support.flet_session import AppSessionHandle, click, find, settle
from ui.gate import STAFF, Who
from ui.shell import AppContext
from ui.signer import FILLS, SIGN, SignerDesk, b64url, from_b64url
from ui.views import member_keys as screens
from ui.vm import member_keys as vm

WAIT_STEPS = 200  # rounds of WAIT_STEP_S to wait for a session to show the signing screen
WAIT_STEP_S = 0.01
PRESS_WAIT_S = 30  # the press that asked for a signature ends once the phone answers


def phone_seed(n: int) -> bytes:
    """A phone's key seed, made up for the test (the page draws 32 random bytes)."""
    return bytes([0x60 + n]) * 32


def public(n: int) -> str:
    return SigningKey(phone_seed(n)).verify_key.encode().hex()


def desk(ctx: AppContext) -> SignerDesk:
    assert isinstance(ctx.signer, SignerDesk)
    return ctx.signer


async def enrol(ctx: AppContext, member_id: str, n: int) -> None:
    """Staff enrol phone `n`'s key for `member_id` (as Member keys -> Enrol does)."""
    await ctx.backend.submit(Who(STAFF), vm.ENROL_KIND, {"member_id": member_id, "key": public(n)})


def page_answer(url: str, seed: bytes, *, share: str | None = None) -> bytes:
    """What the signing page POSTs for the link `url` once the member taps Sign; a link
    with `fill=F` gets F filled first (with `share`, or fresh random bytes)."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    statement = from_b64url(query["statement"], "statement")
    field = query.get("fill")
    if field:
        value = share if share is not None else secrets.token_hex(FILLS[field])
        statement = canonical({**parse_canonical(statement), field: value})
    key = SigningKey(seed)
    return json.dumps(
        {
            "ticket": query["ticket"],
            "statement": b64url(statement),
            "sig": b64url(key.sign(statement).signature),
            "pub": key.verify_key.encode().hex(),
        }
    ).encode()


async def signing_link(phone: AppSessionHandle, pressed: asyncio.Future[Any] | None) -> str:
    """The signing page's link once `phone` shows "/sign" (bounded wait); `pressed`, the
    phone's own press that asks for it (when it ends first, nothing was asked)."""
    for _ in range(WAIT_STEPS):
        if phone.view.route == screens.SIGN or (pressed is not None and pressed.done()):
            break
        await asyncio.sleep(WAIT_STEP_S)
    assert phone.view.route == screens.SIGN, "the app did not ask for the phone's signature"
    url = str(find(phone.page, ident="sign-open").value)
    assert url.startswith("/signer/?") and "ticket=" in url
    return url


async def sign_on_phone(
    phone: AppSessionHandle,
    press: Any,
    seed: bytes | None,
    *,
    by: AppSessionHandle | None = None,
    share: str | None = None,
) -> str:
    """Click `press` (a control, in session `by`, default the phone); when the phone shows
    the signing screen, answer its link with `seed`'s signature (None: "Don't sign"), and
    wait for the press to end. The link, for the caller to look at."""
    pressed = asyncio.ensure_future(click(by or phone, press))
    url = await signing_link(phone, pressed if by is None else None)
    if seed is None:
        await click(phone, find(phone.page, ident="sign-cancel").content)
    else:
        desk(phone.ctx).accept(page_answer(url, seed, share=share), SIGN)
    await asyncio.wait_for(pressed, timeout=PRESS_WAIT_S)
    await settle()
    return url
