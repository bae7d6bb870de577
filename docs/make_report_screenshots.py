"""Render page 1 of each printable report of the demo branch to docs/screenshots/reports/.

    python docs/make_report_screenshots.py

Builds the demo branch in a temporary folder (as `chitnode demo` does), prints every
report as a PDF with the same calls the CLI makes, renders the first page with pypdfium2
(pip only, no system packages) and saves it as a palette PNG under 200 KB. Prints how
long each report took to build and print. Not part of the test run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2
from PIL import Image

from chitnode.node.node import Node
from chitnode.services import report_pdf
from chitnode.services import report_tables as rt
from chitnode.services.demo import run_demo

OUT = Path(__file__).resolve().parent / "screenshots" / "reports"
SCALE = 1.6  # page points to pixels: A4 portrait becomes 952 x 1347
COLOURS = 48  # a palette this size keeps text crisp and each PNG well under 200 KB
PNG_BYTES_LIMIT = 200_000


def main() -> int:
    os.environ.setdefault("CHITNODE_PASSPHRASE", "screenshot-passphrase")
    os.environ.setdefault("CHITNODE_KEYSTORE", "file")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        started = time.perf_counter()
        run_demo(folder)
        print(f"demo branch built in {time.perf_counter() - started:.1f} s")
        with Node.open(folder) as node:
            state = node.engine.state
            reports = {
                "members": lambda: rt.member_list(state),
                "loans": lambda: rt.loan_portfolio(state),
                "defaults": lambda: rt.default_summary(state, node.clock.now_ms()),
                "balance-sheet": lambda: rt.balance_sheet(state),
                "passbook": lambda: rt.passbook(state, "M005"),
                "closure": lambda: rt.closure_statement(state, "KAR-2025-01"),
                "minutes": lambda: rt.certified_minutes(state, "UDP-2025-07", 3),
            }
            header = report_pdf.header_of(node)
            for name, build in reports.items():
                started = time.perf_counter()
                pdf = Path(tmp) / f"{name}.pdf"
                report_pdf.write_pdf(build(), pdf, header)
                took = time.perf_counter() - started
                size = _render(pdf, OUT / f"{name}.png")
                print(f"{name:<14} {took:5.2f} s  pdf {pdf.stat().st_size:>7} B  png {size:>7} B")
                if size > PNG_BYTES_LIMIT:
                    print(f"{name}: the PNG is over {PNG_BYTES_LIMIT} bytes", file=sys.stderr)
                    return 1
    return 0


def _render(pdf: Path, png: Path) -> int:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=SCALE).to_pil().convert("RGB")
    finally:
        document.close()
    image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT).save(png, optimize=True)
    return png.stat().st_size


if __name__ == "__main__":
    sys.exit(main())
