"""Live refresh per member: a screen marked `mine` redraws on a member's phone only for
events naming that member (ui/shell.py), so one member's wallet move does not redraw
every other phone's wallet; a staff session still sees them all."""

from __future__ import annotations

import pytest

from chitnode.domain.wallet_kinds import deposit_body
from tests.support.flet_session import app_ctx, open_session, settle  # noqa: F401 - fixture
from ui.gate import MEMBER, STAFF, Who
from ui.shell import AppContext

RUPEES_500 = 50_000


@pytest.mark.asyncio
async def test_a_wallet_move_redraws_only_its_members_wallet(app_ctx: AppContext) -> None:  # noqa: F811
    ctx = app_ctx
    for mid, name in (("M1", "Asha"), ("M2", "Ravi")):
        await ctx.backend.submit(Who(STAFF), "member.registered", {"member_id": mid, "name": name})
    asha = await open_session(ctx, who=Who(MEMBER, "M1", "Asha"), route="/wallet")
    ravi = await open_session(ctx, who=Who(MEMBER, "M2", "Ravi"), route="/wallet")
    assert asha.view.route == ravi.view.route == "/wallet"
    sent_asha, sent_ravi = len(asha.conn.sent), len(ravi.conn.sent)
    body = deposit_body("M1", RUPEES_500, "dep-1", note="cash at the counter")
    await ctx.backend.submit(Who(STAFF), "wallet.deposited_cash", body)
    await settle()
    assert len(asha.conn.sent) > sent_asha  # Asha's wallet was redrawn
    assert len(ravi.conn.sent) == sent_ravi  # Ravi's phone was left alone
