"""The auditor's screen as values (issue 13, "Auditors"): which export, how far, what was found.

Pure but for the two edges a screen needs: listing the `.chitlog` files it offers
(`find_exports`) and reading an export's header for the progress bar's total
(`expected_entries`). The audit itself is chitnode/services/audit.py's, run by the view
in a worker thread; here its `Findings` become display-ready lines. Nothing here writes:
an auditor's session submits no command (ui/gate.py), and the audit folds the export
into a store of its own, never the node's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from chitnode import limits as kernel_limits
from chitnode.errors import ChitError, NotFound, UsageError
from chitnode.log.export import parse_header
from chitnode.services.audit import Findings, findings_path

EXPORT_SUFFIX = ".chitlog"
FILES_SHOWN = 20  # exports offered to pick from (data folder and current directory), newest first
ROWS_SHOWN = 200  # rows of each findings list on the screen (the saved file has them all)
KEY_SHOWN_CHARS = 12  # a device key's first hex digits in a row
BYTES_PER_ENTRY = 600  # a rough size of one entry line: a total for a file with no header

Say = Callable[..., str]  # the session's t(key, **kw)
Money = Callable[[int], str]


@dataclass(frozen=True, slots=True)
class ExportChoice:
    path: Path
    label: str  # the file's name and where it lies


@dataclass(frozen=True, slots=True)
class Progress:
    fraction: float  # 0..1 over both passes: verify, then fold
    text: str


@dataclass(frozen=True, slots=True)
class Section:
    """One list of findings: a heading with its count, and its rows (at most ROWS_SHOWN)."""

    ident: str  # the Semantics identifier of the section: "audit-<ident>"
    heading: str
    rows: tuple[str, ...]
    more: str  # "" or "... and N more (in the saved findings)"


@dataclass(frozen=True, slots=True)
class AuditView:
    verdict: str
    clean: bool  # verified, balanced, and nothing anomalous
    summary: str  # entries, folded, left out
    balance: str  # the books sum to zero, or by how much they do not
    sections: tuple[Section, ...]
    members: tuple[tuple[str, str, str, str, str], ...]  # id, name, wallet, paid, prizes
    groups: tuple[tuple[str, str, str, str], ...]  # id, name, status, total
    saves_to: str  # where "Save findings" writes


def find_exports(folders: Iterable[Path]) -> tuple[ExportChoice, ...]:
    """The `.chitlog` files directly in `folders`, newest first, at most FILES_SHOWN."""
    found: dict[Path, float] = {}
    for folder in folders:
        try:
            for path in folder.glob("*" + EXPORT_SUFFIX):
                if path.is_file():
                    found[path.resolve()] = path.stat().st_mtime
        except OSError:
            continue  # a folder gone or unreadable offers nothing
    newest = sorted(found, key=lambda p: (-found[p], str(p)))[:FILES_SHOWN]
    return tuple(ExportChoice(p, f"{p.name} — {p.parent}") for p in newest)


def export_path(text: str, folder: Path) -> Path:
    """The export a typed path names (relative to the data folder if not absolute).

    Raises UsageError for an empty path, NotFound for a file that is not there."""
    typed = text.strip()
    if not typed:
        raise UsageError("type the path of a .chitlog export, or pick one below")
    path = Path(typed).expanduser()
    if not path.is_absolute() and not path.exists():
        path = folder / path
    if not path.is_file():
        raise NotFound(f"no such file: {path}")
    return path


def expected_entries(path: Path) -> int:
    """The entry count the export's header claims, for the progress bar; a guess from
    the file's size when the header cannot be read (verify will say why)."""
    try:
        with open(path, "rb") as stream:
            header = parse_header(stream.readline(kernel_limits.EXPORT_LINE_BYTES_MAX + 1))
        return max(header.count, 1)
    except (ChitError, OSError):
        try:
            return max(path.stat().st_size // BYTES_PER_ENTRY, 1)
        except OSError:
            return 1


def progress(verified: int, folded: int, total: int, t: Say) -> Progress:
    """Both passes on one bar: verifying fills its first half, folding its second."""
    total = max(total, 1)
    if folded == 0:
        done = min(verified, total)
        return Progress(done / total / 2, t("auditor.progress.verify", done=done, total=total))
    done = min(folded, total)
    return Progress(0.5 + done / total / 2, t("auditor.progress.fold", done=done, total=total))


def _short(key: str | None) -> str:
    return (key or "")[:KEY_SHOWN_CHARS]


def _section(ident: str, heading: str, rows: list[str], total: int, t: Say) -> Section:
    more = total - min(len(rows), ROWS_SHOWN)
    return Section(
        ident,
        heading,
        tuple(rows[:ROWS_SHOWN]),
        t("auditor.more", count=more) if more > 0 else "",
    )


def sections(found: Findings, t: Say) -> tuple[Section, ...]:
    """Every kind of anomaly the audit looks for, each with its rows (empty: none found)."""
    broken = [
        t("auditor.row.broken", code=b.code, author=_short(b.author), seq=b.seq or "—")
        if b.author
        else t("auditor.row.file", code=b.code, detail=b.detail)
        for b in found.broken
    ]
    forks = [
        t("auditor.row.fork", author=_short(f.author), seq=f.seq, hash=_short(f.hash))
        for f in found.forks
    ]
    fencing = [
        t("auditor.row.fenced", kind=r.kind, author=_short(r.author), seq=r.seq)
        for r in found.fencing
    ]
    by_code = [
        t("auditor.row.code", code=code, count=count)
        for code, count in found.rejected_by_code.items()
    ]
    prizes = [t("auditor.row.prize", group=g, month=m) for g, m in found.prizes_without_minutes]
    return (
        _section(
            "broken",
            t("auditor.broken", count=sum(found.counts.values())),
            broken,
            sum(found.counts.values()),
            t,
        ),
        _section("forks", t("auditor.forks", count=len(found.forks)), forks, len(forks), t),
        _section(
            "fencing",
            t("auditor.fencing", count=found.rejected_by_code.get("stale_term", 0)),
            fencing,
            found.rejected_by_code.get("stale_term", 0),
            t,
        ),
        _section(
            "rejected",
            t("auditor.rejected", count=sum(found.rejected_by_code.values())),
            by_code,
            len(by_code),
            t,
        ),
        _section(
            "prizes",
            t("auditor.prizes", count=len(prizes)),
            prizes,
            len(prizes),
            t,
        ),
    )


def build_audit(found: Findings, t: Say, money: Money) -> AuditView:
    """The screen's values for one audit's findings."""
    clean = found.anomalies == 0
    if clean:
        verdict = t("auditor.verdict.clean")
    elif found.verified:
        verdict = t("auditor.verdict.anomalies", count=found.anomalies)
    else:
        verdict = t("auditor.verdict.broken", count=sum(found.counts.values()))
    if found.balanced:
        balance = t("auditor.balanced")
    else:
        negative = ", ".join(found.negative) or "—"
        balance = t("auditor.unbalanced", total=money(found.total_paise), negative=negative)
    members = tuple(
        (m.member_id, m.name, money(m.wallet_paise), money(m.paid_paise), money(m.prizes_paise))
        for m in found.members[:ROWS_SHOWN]
    )
    groups = tuple(
        (g.group_id, g.name, g.status, money(g.total_paise)) for g in found.groups[:ROWS_SHOWN]
    )
    summary = t(
        "auditor.summary",
        branch=found.branch_name or found.branch_id or "—",
        entries=found.entries,
        folded=found.folded,
        left=found.not_folded,
        held=found.held,
    )
    return AuditView(
        verdict=verdict,
        clean=clean,
        summary=summary,
        balance=balance,
        sections=sections(found, t),
        members=members,
        groups=groups,
        saves_to=str(findings_path(Path(found.path))),
    )
