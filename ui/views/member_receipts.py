"""The member's receipt on the phone: the signed entry as a QR code, and as a file to keep.

"Save receipt" on a passbook line or a wallet move (ui/views/member.py) opens
`/receipt?ref=<key>&back=<route>` (a receipt's key: `<author>:<seq>/<category>/<ticket>`).
The screen shows what the receipt is for, the QR code of the receipt file (any node, or
the auditor's own tool, checks it against the log: docs/receipts.md) and a download
button whose link is signed for this member and this receipt only (ui/receipt_links.py).
Semantics ids: "receipt-...".
"""

from __future__ import annotations

import flet as ft

from chitnode.node.node import Node
from chitnode.services.events import Event
from ui import limits, receipt_links, theme
from ui.shell import MEMBER, Screen, SessionView
from ui.views.member import (
    FIELD_WIDTH_PX,
    PASSBOOK,
    RECEIPT,
    WALLET,
    button,
    date,
    frame,
    go_to,
    me,
    small,
    text,
)
from ui.vm import member_receipts as vm

# The screens a receipt is saved from, and the words of the way back to each.
BACK_TO = {PASSBOOK: "member.receipt.back", WALLET: "member.receipt.back_wallet"}


async def build_receipt(view: SessionView) -> ft.Control:
    mid, ref = me(view), view.params.get("ref", "")

    def read(node: Node) -> tuple[vm.ReceiptShown | None, int]:
        shown = vm.receipt_shown(node.engine.state, node.store, mid, ref)
        return shown, node.clock.now_ms()

    shown, now_ms = await view.backend.nt.run(read)
    came_from = view.params.get("back", PASSBOOK)
    back_to = came_from if came_from in BACK_TO else PASSBOOK
    back = button("receipt-back", view.t(BACK_TO[back_to]), go_to(view, back_to))
    if shown is None:
        body = [small("receipt-none", view.t("member.receipt.none")), back]
        return frame(view, "member.title.receipt", "receipt", PASSBOOK, body)
    kind = f"member.passbook.kind.{shown.category}" if shown.category else "member.nav.wallet"
    what = view.t(kind)
    qr = ft.Image(
        src=shown.qr_png,
        width=limits.RECEIPT_QR_PX,
        height=limits.RECEIPT_QR_PX,
        semantics_label=view.t("member.receipt.qr"),
    )
    fetch = theme.action_button(view.t("member.receipt.download"), None, primary=True)
    fetch.url = receipt_links.link(mid, shown.ref, now_ms)  # the browser fetches it
    fetch.width = FIELD_WIDTH_PX
    body = [
        text(
            "receipt-what", f"{what} · {view.money(shown.amount_paise)}", weight=ft.FontWeight.W_600
        ),
        small("receipt-when", date(view, shown.ts_ms)),
        ft.Semantics(content=qr, identifier="receipt-qr", value=shown.ref),
        small("receipt-proves", view.t("member.receipt.proves")),
        small("receipt-hash", view.t("member.receipt.hash", hash=shown.entry_hash)),
        ft.Semantics(content=fetch, identifier="receipt-download"),
        back,
    ]
    return frame(view, "member.title.receipt", "receipt", PASSBOOK, body)


def _nothing(event: Event) -> bool:
    return False  # a receipt never changes: the entry is signed and kept


SCREENS = [Screen(RECEIPT, MEMBER, "member.title.receipt", build_receipt, _nothing)]
