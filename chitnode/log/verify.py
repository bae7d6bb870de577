"""Verify a `.chitlog` export and report every problem (wal-v1 §6).

An auditor wants the whole list, so nothing here stops at the first problem.
Per-line work (parse, canonical check, hash, signature) is independent and runs
on a process pool for large files; feed rules and authority run in the parent
over compact records, in causal order.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from chitnode import limits
from chitnode.errors import ChitError
from chitnode.log.authority_check import check_authority
from chitnode.log.entry import HEX64_RE, ZERO_HASH, Entry, check_hash, check_sig, parse_entry
from chitnode.log.export import (
    ExportHeader,
    is_seal_line,
    parse_header,
    parse_seal,
    read_lines,
    seal_message,
)
from chitnode.log.records import Problem, Record

PARALLEL_MIN_ENTRIES = 4_000  # below this a process pool costs more than it saves
BATCH_LINES = 2_000
SPEC_KINDS_ADMIN = frozenset({"device.enrolled", "device.revoked"})
_AUTHOR_RE = re.compile(rb'"author":"([0-9a-f]{64})"')
_SEQ_RE = re.compile(rb'"seq":(\d{1,16})[,}]')

RoleAllows = Callable[[str, str], bool]


@dataclass(slots=True)
class VerifyReport:
    header: ExportHeader | None = None
    entries: int = 0
    problems: list[Problem] = field(default_factory=list)
    partial_from: dict[str, int] = field(default_factory=dict)  # author -> first seq > 1
    feeds: dict[str, tuple[int, int]] = field(default_factory=dict)  # author -> (first, last)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.problems:
            out[p.code] = out.get(p.code, 0) + 1
        return dict(sorted(out.items()))


LineResult = tuple[Record | None, list[Problem]]


def _loose_id(line: bytes) -> tuple[str | None, int | None]:
    """Best-effort author and seq of a line that did not parse, for the report."""
    a, s = _AUTHOR_RE.search(line), _SEQ_RE.search(line)
    return (a.group(1).decode() if a else None, int(s.group(1)) if s else None)


def check_line(line: bytes, check_sigs: bool = True) -> LineResult:
    """Parse one entry line and check format, hash and signature; never raises ChitError."""
    try:
        entry = parse_entry(line)
    except ChitError as exc:
        author, seq = _loose_id(line)
        return None, [Problem("bad_format", seq, author, exc.message)]
    problems: list[Problem] = []
    if not _spec_body_ok(entry):
        problems.append(Problem("bad_format", entry.seq, entry.author, f"{entry.kind} body (§5)"))
    try:
        check_hash(entry)
    except ChitError as exc:
        problems.append(Problem(exc.code, entry.seq, entry.author, exc.message))
    if check_sigs:
        try:
            check_sig(entry)
        except ChitError as exc:
            problems.append(Problem(exc.code, entry.seq, entry.author, exc.message))
    return _record(entry), problems


SPEC_ROLES = frozenset({"admin", "foreman", "employee", "member", "auditor"})  # wal-v1 §5
SPEC_BODIES = {
    "branch.genesis": frozenset({"branch_name", "root"}),
    "device.enrolled": frozenset({"key", "role", "name"}),
    "device.revoked": frozenset({"key", "reason"}),
}


def _spec_body_ok(entry: Entry) -> bool:
    """wal-v1 §5 bodies: exactly the listed fields, a 64-hex key, a known role."""
    fields = SPEC_BODIES.get(entry.kind)
    if fields is None:
        return True
    body = entry.body
    if set(body) != fields or not all(isinstance(v, str) for v in body.values()):
        return False
    if HEX64_RE.match(str(body.get("key", body.get("root")))) is None:
        return False
    return entry.kind != "device.enrolled" or body["role"] in SPEC_ROLES


def _record(entry: Entry) -> Record:
    enrol: tuple[str, str] | None = None
    if entry.kind in SPEC_KINDS_ADMIN:
        enrol = (str(entry.body["key"]), str(entry.body.get("role", "")))
    return Record(
        entry.author, entry.seq, entry.prev, entry.hash, entry.ts, entry.kind, entry.deps, enrol
    )


_SHARED_DEPS: dict[tuple[tuple[str, int, str], ...], tuple[tuple[str, int, str], ...]] = {}


def compact(rec: Record, *, valid: bool) -> Record:
    """The record as the authority pass keeps it, for a million entries in bounded memory.

    Author and kind strings are interned, consecutive entries' equal deps share one
    tuple, and `prev` (needed only by the feed rules, already run) is dropped.
    """
    deps = _SHARED_DEPS.get(rec.deps)
    if deps is None:
        if len(_SHARED_DEPS) >= limits.HASH_CACHE_ENTRIES_MAX:
            _SHARED_DEPS.clear()
        deps = _SHARED_DEPS[rec.deps] = tuple((sys.intern(a), s, h) for a, s, h in rec.deps)
    return Record(
        sys.intern(rec.author),
        rec.seq,
        "",
        rec.hash,
        rec.ts,
        sys.intern(rec.kind),
        deps,
        rec.enrol,
        valid,
    )


def check_batch(lines: list[bytes], check_sigs: bool) -> list[LineResult]:
    return [check_line(line, check_sigs) for line in lines]


@dataclass(slots=True)
class _FeedRules:
    """Feed rules of §4/§6 over entries in file order (grouped by author, ascending seq)."""

    report: VerifyReport
    branch: str | None
    authors_done: set[str] = field(default_factory=set)
    current: str | None = None
    last_seq: int = 0
    last_hash: str = ""

    def see(self, rec: Record, branch: str, valid: bool) -> None:
        """`valid`: hash and signature checked out (an unsigned twin accuses nobody)."""
        if self.branch is not None and branch != self.branch:
            self._problem("bad_format", rec, "entry belongs to another branch")
        if rec.author != self.current:
            self._start_feed(rec)
            return
        if rec.seq == self.last_seq:
            if not valid:
                return  # its own bad_hash/bad_sig says it all; a forgery accuses nobody
            if rec.hash == self.last_hash:
                self._problem("bad_format", rec, "the same entry appears twice")
            else:
                self._problem("fork", rec, "two signed entries by one author at one seq")
        elif rec.seq < self.last_seq:
            self._problem("bad_format", rec, "entries out of order within a feed")
        elif rec.seq > self.last_seq + 1:
            self._problem("gap", rec, f"seq {self.last_seq + 1}..{rec.seq - 1} missing")
        elif rec.prev != self.last_hash:
            self._problem("broken_chain", rec, "prev is not the previous entry's hash")
        if rec.seq > self.last_seq:
            self.last_seq, self.last_hash = rec.seq, rec.hash
            first, _ = self.report.feeds[rec.author]
            self.report.feeds[rec.author] = (first, rec.seq)

    def _start_feed(self, rec: Record) -> None:
        if rec.author in self.authors_done or (self.current or "") > rec.author:
            self._problem("bad_format", rec, "entries must be grouped by author, ascending")
        if self.current is not None:
            self.authors_done.add(self.current)
        self.current, self.last_seq, self.last_hash = rec.author, rec.seq, rec.hash
        self.report.feeds[rec.author] = (rec.seq, rec.seq)
        if rec.seq == 1 and rec.prev != ZERO_HASH:
            self._problem("broken_chain", rec, "seq 1 must have the zero prev")
        elif rec.seq > 1:
            self.report.partial_from[rec.author] = rec.seq

    def _problem(self, code: str, rec: Record, detail: str) -> None:
        self.report.problems.append(Problem(code, rec.seq, rec.author, detail))


def _results(
    lines: Iterator[bytes], check_sigs: bool, workers: int, expected: int
) -> Iterator[tuple[bytes, LineResult]]:
    """Yield (line, result) in file order, using a process pool for big files."""
    if workers <= 1 or expected < PARALLEL_MIN_ENTRIES:
        for line in lines:
            yield line, check_line(line, check_sigs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: list[tuple[list[bytes], Future[list[LineResult]]]] = []
        batch: list[bytes] = []
        for line in lines:
            batch.append(line)
            if len(batch) == BATCH_LINES:
                pending.append((batch, pool.submit(check_batch, batch, check_sigs)))
                batch = []
                while len(pending) > 2 * workers:  # bound memory: a few batches in flight
                    done_lines, fut = pending.pop(0)
                    yield from zip(done_lines, fut.result(), strict=True)
        if batch:
            pending.append((batch, pool.submit(check_batch, batch, check_sigs)))
        for done_lines, fut in pending:
            yield from zip(done_lines, fut.result(), strict=True)


def verify_stream(
    stream: BinaryIO,
    *,
    role_allows: RoleAllows | None = None,
    check_sigs: bool = True,
    workers: int | None = None,
    on_entry: Callable[[], None] | None = None,
) -> VerifyReport:
    """Verify an export read from `stream`; see wal-v1 §6 for every code reported."""
    report = VerifyReport()
    digest = hashlib.sha256()
    raw_lines = read_lines(stream)
    first = next(raw_lines, None)
    if first is None:
        report.problems.append(Problem("bad_format", None, None, "empty file"))
        report.problems.append(Problem("bad_seal", None, None, "no seal"))
        return report
    digest.update(first)
    try:
        report.header = parse_header(first)
    except ChitError as exc:
        report.problems.append(Problem("bad_format", None, None, f"header: {exc.message}"))
    seal_line: list[bytes] = []
    entry_lines = _entry_lines(raw_lines, digest, seal_line)
    expected = report.header.count if report.header else 0
    rules = _FeedRules(report, report.header.branch if report.header else None)
    records: list[Record] = []
    for line, (rec, problems) in _results(
        entry_lines, check_sigs, workers or os.cpu_count() or 1, expected
    ):
        report.entries += 1
        report.problems.extend(problems)
        if rec is not None:
            rules.see(rec, _branch_of(line), valid=not problems)
            records.append(compact(rec, valid=not problems))
        if on_entry is not None:
            on_entry()
    _check_seal(report, seal_line[0] if seal_line else None, digest.hexdigest())
    if report.header is not None:
        report.problems.extend(check_authority(records, report.header.root, role_allows))
    return report


def _branch_of(line: bytes) -> str:
    at = line.find(b'"branch":"')
    return line[at + 10 : at + 42].decode() if at >= 0 else ""


def _entry_lines(raw: Iterator[bytes], digest: Any, seal_out: list[bytes]) -> Iterator[bytes]:
    """Yield entry lines (without newline); the last line, if it is a seal, goes to seal_out."""
    prev: bytes | None = None
    for line in raw:
        if prev is not None:
            digest.update(prev)
            yield prev.rstrip(b"\n")
        prev = line
    if prev is None:
        return
    if is_seal_line(prev):
        seal_out.append(prev)
    else:
        digest.update(prev)
        yield prev.rstrip(b"\n")


def _check_seal(report: VerifyReport, line: bytes | None, lines_sha256: str) -> None:
    if line is not None and not line.endswith(b"\n"):
        report.problems.append(Problem("bad_format", None, None, "last line lacks its newline"))
    if line is None:
        report.problems.append(Problem("bad_seal", None, None, "no seal line"))
        if report.header and report.header.count != report.entries:
            report.problems.append(Problem("count_mismatch", None, None, "header count"))
        return
    try:
        seal = parse_seal(line)
    except ChitError as exc:
        report.problems.append(Problem("bad_seal", None, None, exc.message))
        return
    if report.header is not None and report.header.count != report.entries:
        detail = f"header says {report.header.count}, file has {report.entries}"
        report.problems.append(Problem("count_mismatch", None, None, detail))
    if seal.count != report.entries:
        detail = f"seal says {seal.count}, file has {report.entries}"
        report.problems.append(Problem("count_mismatch", None, None, detail))
    if seal.lines_sha256 != lines_sha256:
        report.problems.append(Problem("bad_seal", None, None, "lines_sha256 does not match"))
        return
    if report.header is None:
        return
    try:
        VerifyKey(bytes.fromhex(report.header.exporter)).verify(
            seal_message(seal.lines_sha256), bytes.fromhex(seal.sig)
        )
    except (BadSignatureError, ValueError):
        report.problems.append(
            Problem("bad_seal", None, None, "seal signature is not the exporter's")
        )


def verify_file(path: str | os.PathLike[str], **kwargs: Any) -> VerifyReport:
    with open(path, "rb") as stream:
        return verify_stream(stream, **kwargs)
