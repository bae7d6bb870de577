"""Export a node's log to a sealed `.chitlog`, and import one (wal-v1 §6).

Import verifies the whole file first. A file-level problem (seal, count, header,
wrong branch) refuses the file; a feed with any entry-level problem is skipped
whole, so nothing from a bad feed is applied; everything else is folded in,
idempotently (an entry already held is counted, not stored twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from chitnode import limits
from chitnode.domain.kinds import role_allows
from chitnode.errors import BadFormat, ChitError, WrongBranch
from chitnode.log.entry import Entry, entry_from_stored, parse_entry
from chitnode.log.export import ExportHeader, is_seal_line, read_lines, write_export
from chitnode.log.verify import VerifyReport, verify_file
from chitnode.node.node import Node

FILE_CODES = frozenset({"bad_seal", "count_mismatch"})
FEED_CODES = frozenset({"bad_hash", "bad_sig", "broken_chain", "gap", "fork", "bad_format"})


class ImportRefused(ChitError):
    code = "import_refused"


class ExportFailed(ChitError):
    code = "export_failed"


@dataclass(slots=True)
class ImportReport:
    verify: VerifyReport
    stored: int = 0
    duplicates: int = 0
    skipped_feeds: dict[str, str] = field(default_factory=dict)  # author -> first problem code
    forks: int = 0


def _export_entries(node: Node, author: str | None, from_seq: int) -> Iterator[Entry]:
    """Each author's contiguous run from `from_seq` (a held gap ends the run), by author."""
    authors = [author] if author else node.store.authors()
    for a in authors:
        expected = from_seq
        for seq, raw in node.store.feed(a, from_seq):
            if seq != expected:
                break
            yield entry_from_stored(raw)
            expected += 1


def export_file(
    node: Node,
    path: Path,
    *,
    author: str | None = None,
    from_seq: int = 1,
    progress: Callable[[], None] | None = None,
) -> int:
    """Write a sealed export of this node's log; returns the number of entries."""
    count = sum(1 for _ in _export_entries(node, author, from_seq))
    if count == 0:
        raise BadFormat("nothing to export for that author and seq")
    branch = node.engine.state.get("branch", "branch") or {}
    header = ExportHeader(
        branch=node.branch,
        root=str(branch.get("root", node.public)),
        exporter=node.public,
        created_ms=node.clock.now_ms(),
        count=count,
    )

    def counted() -> Iterator[Entry]:
        for entry in _export_entries(node, author, from_seq):
            if progress is not None:
                progress()
            yield entry

    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as out:  # write then rename: a crash never leaves half a file
            write_export(out, node.key, header, counted())
        tmp.replace(path)
    except OSError as exc:
        raise ExportFailed(f"cannot write {path}: {exc.strerror or exc}") from exc
    return count


def import_file(node: Node, path: Path, progress: Callable[[], None] | None = None) -> ImportReport:
    """Verify `path`, then fold in every feed without problems; see the module docstring."""
    if not path.is_file():
        raise ImportRefused(f"no such file: {path}")
    report = ImportReport(verify_file(path, role_allows=role_allows, on_entry=progress))
    file_level = [p for p in report.verify.problems if p.code in FILE_CODES or p.author is None]
    if report.verify.header is None or file_level:
        codes = sorted({p.code for p in file_level} or {"bad_format"})
        raise ImportRefused(f"export refused ({', '.join(codes)}); nothing imported")
    if report.verify.header.branch != node.branch:
        raise WrongBranch(f"export is of branch {report.verify.header.branch}, not {node.branch}")
    for problem in report.verify.problems:
        if problem.code in FEED_CODES and problem.author is not None:
            report.skipped_feeds.setdefault(problem.author, problem.code)
    batch: list[Entry] = []
    for entry in _good_entries(path, set(report.skipped_feeds)):
        batch.append(entry)
        if len(batch) >= limits.GROUP_COMMIT_ENTRIES_MAX:
            _ingest(node, batch, report)
            batch = []
    if batch:
        _ingest(node, batch, report)
    return report


def _good_entries(path: Path, skip: set[str]) -> Iterator[Entry]:
    with open(path, "rb") as stream:
        lines = read_lines(stream)
        next(lines, None)  # header, already verified
        for line in lines:
            if is_seal_line(line):
                return
            entry = parse_entry(line.rstrip(b"\n"))
            if entry.author not in skip:
                yield entry


def _ingest(node: Node, batch: list[Entry], report: ImportReport) -> None:
    result = node.ingest(batch)
    report.stored += len(result.stored)
    report.duplicates += result.duplicates
    report.forks += len(result.forks)
