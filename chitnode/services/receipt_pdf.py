"""The printable passbook with one QR code per receipt (issue 15 point 4).

Paper is what members trust today: each line of this passbook carries its receipt as a
QR code (the receipt file's bytes, docs/receipts.md), so a member who kept the paper
can still have any node check a line against the log years later. Pages have the
branch header and the verification footer of the other reports (report_pdf.py).

segno (the QR codes) and fpdf2 are imported inside the functions that use them, as
report_pdf does: the kernel never loads them just by being imported.
"""

from __future__ import annotations

import io
from pathlib import Path

from chitnode import limits
from chitnode.services import report_pdf
from chitnode.services.member_receipts import MemberReceipt
from chitnode.services.report_pdf import (
    FONT,
    MARGIN_MM,
    SMALL_PT,
    TITLE_PT,
    PageHeader,
    write_atomically,
)
from chitnode.services.report_tables import Report

QR_MM = 42  # printed side of one receipt's QR: ~0.45 mm a module for a ~850-byte receipt
QR_SCALE = 4  # PNG pixels per QR module (the PDF scales it to QR_MM, so only sharpness)
QR_BORDER_MODULES = 4  # the quiet zone a scanner needs around the code
QR_ERROR = "l"  # lowest correction: a receipt is long, and paper in a drawer stays flat
LINE_GAP_MM = 4
TEXT_PT = 9


def receipt_qr(receipt: MemberReceipt) -> bytes:
    """The receipt's QR code: the receipt file itself, or, for the rare entry too big for
    one QR code (a long note), the line that names it (the file is then the download)."""
    data = receipt.to_bytes()
    if len(data) > limits.RECEIPT_QR_BYTES_MAX:
        data = receipt_name_line(receipt)
    return qr_png(data)


def receipt_name_line(receipt: MemberReceipt) -> bytes:
    """`chitnode-receipt <branch> <author>:<seq> <hash>`: where the entry is and what it is."""
    entry = receipt.entry
    return f"chitnode-receipt {receipt.branch} {receipt.ref} {entry.hash}".encode()


def qr_png(data: bytes) -> bytes:
    """A QR code of `data` as PNG bytes (segno picks the smallest version that holds it)."""
    import segno

    out = io.BytesIO()
    code = segno.make(data, error=QR_ERROR, micro=False, boost_error=False)
    code.save(out, kind="png", scale=QR_SCALE, border=QR_BORDER_MODULES)
    return out.getvalue()


def passbook_pdf(member_name: str, receipts: list[MemberReceipt], header: PageHeader) -> bytes:
    """The passbook of one member: a line per receipt, its QR code beside it."""
    member_id = receipts[0].member_id if receipts else ""
    title = f"Passbook with receipts · {member_name}"
    # The other reports' page frame: branch header, verification footer, the ₹ font.
    pdf = report_pdf._document(Report("passbook-receipts", title, (), ()), header)
    pdf.add_page()
    pdf.set_font(FONT, "B", TITLE_PT)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", TEXT_PT)
    intro = (
        f"Member {member_id or '-'}: {len(receipts)} receipt(s), newest first. Each QR code is"
        " the receipt itself (the signed entry of the log). Any node checks one with"
        " `chitnode receipt check FILE`; see docs/receipts.md."
    )
    pdf.multi_cell(0, 5, intro, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(LINE_GAP_MM)
    for receipt in receipts:
        if pdf.will_page_break(QR_MM + LINE_GAP_MM):
            pdf.add_page()
        top = pdf.get_y()
        pdf.image(io.BytesIO(receipt_qr(receipt)), x=MARGIN_MM, y=top, w=QR_MM, h=QR_MM)
        pdf.set_xy(MARGIN_MM + QR_MM + LINE_GAP_MM, top + 2)
        width = pdf.epw - QR_MM - LINE_GAP_MM
        entry = receipt.entry
        pdf.set_font(FONT, "B", TEXT_PT)
        heading = f"{report_pdf._when(entry.ts)} · {receipt.what}"
        pdf.multi_cell(width, 5, heading, align="L", new_x="LEFT")
        pdf.set_font(FONT, "", SMALL_PT)
        facts = (
            f"Entry #{entry.seq} of device {entry.author}",
            f"Entry hash {entry.hash}",
            f"Kind {entry.kind}",
        )
        for fact in facts:
            pdf.multi_cell(width, 3.5, fact, align="L", new_x="LEFT")
        pdf.set_xy(MARGIN_MM, top + QR_MM + LINE_GAP_MM)
    return bytes(pdf.output())


def write_passbook_pdf(
    path: Path, member_name: str, receipts: list[MemberReceipt], header: PageHeader
) -> None:
    """The passbook PDF at `path`, written whole or not at all."""
    write_atomically(path, passbook_pdf(member_name, receipts, header))
