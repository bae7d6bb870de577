"""Reports as files people print (issue 13): PDF with fpdf2, CSV, both written atomically.

`write_pdf(report, path, header)` is the one call the CLI and the app's "save as PDF"
use: `report` from `report_tables`, `header` from `header_of(node)`. Every page has the
branch header, its page number, and a verification footer: the state digest the fold
of the log gives (`chitnode status` prints it) and the log fingerprint, sha256 over each
feed's head (`fingerprint` below), so a printed page can be checked against the log
(docs/reports.md, "Checking a printed page"). Money is printed in rupees with Indian
digit grouping (₹1,00,000.00); the ₹ sign needs a Unicode font, and DejaVu Sans,
which matplotlib ships inside its wheel, has it: installed with the charts' library,
it is there on every machine that can run this module. Charts are drawn by matplotlib
on its Agg backend (no display), in memory.

fpdf2 and matplotlib are imported inside the functions that use them: they bring in
`http` and more, which the kernel never loads just by being imported (tests/test_layering.py).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chitnode.domain.money import format_inr
from chitnode.errors import ChitError
from chitnode.log.entry import parse_entry
from chitnode.log.export import is_seal_line, read_lines
from chitnode.node.node import Node
from chitnode.services.report_tables import Chart, Report, Table, cell_text, write_csv

if TYPE_CHECKING:
    from fpdf import FPDF

FONT = "DejaVu"  # the family name the PDF gives the embedded font
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}  # in matplotlib's fonts/ttf
WIDE_TABLE_COLUMNS = 8  # a report with a table this wide is printed landscape
MARGIN_MM = 12
BODY_PT, SMALL_PT, TITLE_PT, FOOTER_PT = 8, 7, 14, 6
CHART_DPI = 150  # sharp on paper, small in the file (a chart is ~40 KB)
CHART_HEIGHT_MM = 60
CELL_PADDING_MM = 1.8  # each side of a cell's text: a right-aligned figure never touches the next
CHECK_HOW = "check with `chitnode report fingerprint` (docs/reports.md)"


@dataclass(frozen=True, slots=True)
class Head:
    author: str  # a device key (64 hex)
    seq: int
    hash: str  # the feed's last entry


@dataclass(frozen=True, slots=True)
class PageHeader:
    """What every page names: the branch, when the report was made, and what of the log."""

    branch_name: str
    branch_id: str
    printed_ms: int
    entries: int
    state_digest: str
    heads: tuple[Head, ...]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.heads)


def fingerprint(heads: Iterable[Head]) -> str:
    """sha256 of one line `<author> <seq> <hash>\\n` per feed, by author: the log's heads in
    one value. From `chitnode status --json`: for each (author, head) in sorted(heads), hash
    f"{author} {head['seq']} {head['hash']}\\n" (docs/reports.md shows the one-liner)."""
    text = "".join(f"{h.author} {h.seq} {h.hash}\n" for h in sorted(heads, key=lambda h: h.author))
    return hashlib.sha256(text.encode()).hexdigest()


def export_heads(path: Path) -> tuple[Head, ...]:
    """Each feed's head in an export file (verify it first: `chitnode verify`): the last
    entry of the author's main chain. A fork's twin and a dropped line travel in an
    export as evidence right after the main-chain entry at their seq (docs/forks.md);
    they chain to something else, so they are never taken for the head."""
    heads: dict[str, Head] = {}
    with open(path, "rb") as stream:
        lines = read_lines(stream)
        next(lines, None)  # the export's header
        for line in lines:
            if is_seal_line(line):
                break
            entry = parse_entry(line.rstrip(b"\n"))
            head = heads.get(entry.author)
            if head is None or (entry.seq == head.seq + 1 and entry.prev == head.hash):
                heads[entry.author] = Head(entry.author, entry.seq, entry.hash)
    return tuple(heads.values())


def header_of(node: Node) -> PageHeader:
    """What every page of a report printed from `node` now names (read at the edge)."""
    status = node.status()
    heads = tuple(Head(a, int(h["seq"]), str(h["hash"])) for a, h in status["heads"].items())
    return PageHeader(
        branch_name=str(status["branch_name"]),
        branch_id=str(status["branch"]),
        printed_ms=node.clock.now_ms(),
        entries=int(status["entries"]),
        state_digest=str(status["state_digest"]),
        heads=heads,
    )


def footer_lines(header: PageHeader) -> tuple[str, str]:
    """The two verification lines at the foot of every page."""
    return (
        f"State digest {header.state_digest} · {header.entries} entries",
        f"Log fingerprint {header.fingerprint} · {len(header.heads)} feed(s) · {CHECK_HOW}",
    )


# --- writing files atomically ------------------------------------------------------------


class ReportWriteFailed(ChitError):
    """The report file could not be written: any older file at its path is untouched, and
    no partial file is left."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="report_write_failed")


def write_atomically(path: Path, data: bytes) -> None:
    """Write to `<path>.part`, flush to disk, then rename over `path`: a reader or a crash
    sees the old file or the whole new one, never half a PDF."""
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ReportWriteFailed(f"cannot write {path}: {exc.strerror or exc}") from exc


def csv_bytes(report: Report) -> bytes:
    out = io.StringIO()
    write_csv(report, out)
    return out.getvalue().encode("utf-8")


def write_report_csv(report: Report, path: Path) -> None:
    write_atomically(path, csv_bytes(report))


def write_pdf(report: Report, path: Path, header: PageHeader) -> None:
    """The report as a PDF at `path` (atomically): what the CLI's --pdf and the app save."""
    write_atomically(path, pdf_bytes(report, header))


# --- the PDF -------------------------------------------------------------------------------


def font_path(style: str = "") -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / FONT_FILES[style]


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _wide(report: Report) -> bool:
    return any(len(t.columns) >= WIDE_TABLE_COLUMNS for t in report.tables)


def _document(report: Report, header: PageHeader) -> FPDF:
    from fpdf import FPDF

    class Document(FPDF):
        def header(self) -> None:
            self.set_font(FONT, "B", SMALL_PT)
            self.cell(0, 4, header.branch_name, new_x="LMARGIN", new_y="NEXT")
            self.set_font(FONT, "", SMALL_PT)
            line = (
                f"Branch {header.branch_id} · {report.title} · printed {_when(header.printed_ms)}"
            )
            self.cell(0, 4, line, new_x="LMARGIN", new_y="NEXT")
            self.line(
                MARGIN_MM, self.y + 1, self.w - MARGIN_MM, self.y + 1
            )  # not get_y: unbreakable
            self.ln(4)

        def footer(self) -> None:
            self.set_y(-MARGIN_MM - 3)
            self.set_font(FONT, "", FOOTER_PT)
            for text in footer_lines(header):
                self.cell(0, 3, text, new_x="LMARGIN", new_y="NEXT")
            self.cell(0, 3, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = Document(orientation="L" if _wide(report) else "P", unit="mm", format="A4")
    for style in FONT_FILES:
        pdf.add_font(FONT, style, str(font_path(style)))
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=MARGIN_MM + 10)
    pdf.set_title(f"{report.title} · {header.branch_name}")
    pdf.set_creator("chitnode")
    pdf.set_creation_date(datetime.fromtimestamp(header.printed_ms / 1000, tz=UTC))
    return pdf


def pdf_bytes(report: Report, header: PageHeader) -> bytes:
    """The whole PDF in memory (so a failure never leaves a partial file)."""
    pdf = _document(report, header)
    pdf.add_page()
    pdf.set_font(FONT, "B", TITLE_PT)
    pdf.cell(0, 8, report.title, new_x="LMARGIN", new_y="NEXT")
    _facts(pdf, report.facts)
    for chart in report.charts:
        _chart(pdf, chart)
    for table in report.tables:
        _table(pdf, table)
    pdf.set_font(FONT, "", SMALL_PT)
    for note in report.notes:
        pdf.multi_cell(0, 4, note, align="L", new_x="LMARGIN", new_y="NEXT")
    _verification(pdf, header)
    return bytes(pdf.output())


def _facts(pdf: FPDF, facts: Iterable[tuple[str, str]]) -> None:
    facts = list(facts)
    if not facts:
        return
    label_w = min(70.0, 2.0 + max(pdf.get_string_width(label) for label, _ in facts) * 1.2)
    for label, value in facts:
        pdf.set_font(FONT, "B", BODY_PT)
        pdf.cell(label_w, 5, label)
        pdf.set_font(FONT, "", BODY_PT)
        pdf.multi_cell(0, 5, value, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _table(pdf: FPDF, table: Table) -> None:
    from fpdf.fonts import FontFace

    if pdf.will_page_break(20):
        pdf.add_page()
    pdf.set_font(FONT, "B", BODY_PT + 1)
    pdf.cell(0, 7, table.title, new_x="LMARGIN", new_y="NEXT")
    if not table.rows:
        pdf.set_font(FONT, "", BODY_PT)
        pdf.cell(0, 5, "(none)", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        return
    cells = [
        [cell_text(c, v) for c, v in zip(table.columns, row, strict=True)] for row in table.rows
    ]
    total = (
        [cell_text(c, v) for c, v in zip(table.columns, table.total, strict=True)]
        if table.total is not None
        else None
    )
    widths = column_widths(pdf, [c.title for c in table.columns], cells, total)
    pdf.set_font(FONT, "", BODY_PT)
    align = tuple("RIGHT" if c.money else "LEFT" for c in table.columns)
    with pdf.table(
        col_widths=widths,
        text_align=align,
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        line_height=4.5,
        borders_layout="HORIZONTAL_LINES",
        width=pdf.epw,
    ) as grid:
        grid.row([c.title for c in table.columns])
        for row in cells:
            grid.row(row)
        if total is not None:
            grid.row(total, style=FontFace(emphasis="BOLD"))
    pdf.set_font(FONT, "", BODY_PT)
    pdf.ln(3)


def column_widths(
    pdf: FPDF, headings: list[str], rows: list[list[str]], total: list[str] | None
) -> tuple[float, ...]:
    """Widths (mm) filling the page: each column at least as wide as its widest cell and
    its heading's longest word (so neither a figure nor a word is ever split), the room
    left shared out towards each column's full heading on one line, then by content."""

    def wide(text: str, bold: bool = False) -> float:
        pdf.set_font(FONT, "B" if bold else "", BODY_PT)
        return pdf.get_string_width(text) + 2 * CELL_PADDING_MM

    least, natural = [], []
    for at, heading in enumerate(headings):
        content = max([wide(row[at]) for row in rows] + [wide(total[at], True) if total else 0])
        least.append(max(content, *(wide(word, True) for word in heading.split())))
        natural.append(max(content, wide(heading, True)))
    room = pdf.epw - sum(least)
    if room <= 0:  # wider than the page: shrink in proportion (text may wrap)
        return tuple(w * pdf.epw / sum(least) for w in least)
    want = [n - m for n, m in zip(natural, least, strict=True)]
    if sum(want) >= room:
        return tuple(m + room * w / sum(want) for m, w in zip(least, want, strict=True))
    spare = room - sum(want)
    return tuple(n + spare * n / sum(natural) for n in natural)


def chart_png(chart: Chart) -> bytes:
    """The chart as a PNG: one bar group a month, the y axis in rupees (Indian grouping)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    figure = Figure(figsize=(9.0, 3.2), dpi=CHART_DPI)
    axes = figure.add_subplot()
    count = len(chart.series)
    width = 0.8 / max(count, 1)
    for at, series in enumerate(chart.series):
        xs = [i + (at - (count - 1) / 2) * width for i in range(len(chart.months))]
        axes.bar(xs, [p / 100 for p in series.paise], width=width, label=series.label)
    axes.set_xticks(range(len(chart.months)), chart.months, rotation=60, fontsize=7)
    axes.yaxis.set_major_formatter(FuncFormatter(_axis_rupees))
    axes.tick_params(axis="y", labelsize=7)
    axes.set_title(chart.title, fontsize=9)
    axes.legend(fontsize=7)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=CHART_DPI)
    return out.getvalue()


def _axis_rupees(value: float, _position: Any) -> str:
    """A y-axis label: whole rupees, Indian grouping ("₹1,00,000")."""
    return format_inr(int(value) * 100)[: -len(".00")]


def _chart(pdf: FPDF, chart: Chart) -> None:
    if pdf.will_page_break(CHART_HEIGHT_MM):
        pdf.add_page()
    pdf.image(io.BytesIO(chart_png(chart)), w=pdf.epw, h=CHART_HEIGHT_MM, keep_aspect_ratio=True)
    pdf.ln(2)


def _verification(pdf: FPDF, header: PageHeader) -> None:
    """The full heads on the last page, for an auditor comparing feed by feed."""
    lines = [
        f"Printed {_when(header.printed_ms)} from {header.entries} entries of branch "
        f"{header.branch_id}.",
        f"State digest: {header.state_digest}",
        f"Log fingerprint: {header.fingerprint}",
        "Heads (device key, seq, hash of its last entry):",
        *(
            f"  device {h.author}: seq {h.seq}, entry {h.hash}"
            for h in sorted(header.heads, key=lambda h: h.author)
        ),
        "To check: on a node holding this branch's log (the branch's own, or one that has "
        "imported its export), `chitnode report fingerprint` prints the same digest and "
        "fingerprint while the log has not grown; a log that has grown since still contains "
        "each head above (`chitnode log` shows each entry's hash).",
    ]
    pdf.ln(3)
    with pdf.unbreakable() as page:  # on one page, the next one if it does not fit here
        page.set_font(FONT, "B", BODY_PT)
        page.cell(0, 5, "Verification", new_x="LMARGIN", new_y="NEXT")
        page.set_font(FONT, "", SMALL_PT)
        for line in lines:
            page.multi_cell(0, 3.5, line, align="L", new_x="LMARGIN", new_y="NEXT")
