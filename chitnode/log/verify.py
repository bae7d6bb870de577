"""Verify a `.chitlog` export and report every problem (wal-v1 §6).

An auditor wants the whole list, so nothing here stops at the first problem.
Two paths give the same report:

- the exact path (`verify_stream`): per-line work (parse, canonical check, hash,
  signature) runs on a process pool for large files; feed rules and authority run
  in the parent over compact records, in causal order. It names every problem.
- for a big file, `verify_file` first tries to prove it clean ("big clean files"
  below): workers check byte ranges of the file on a lean path and the parent only
  joins their summaries. Anything it cannot vouch for goes to the exact path.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from chitnode import limits
from chitnode.errors import BadFormat, ChitError
from chitnode.log.authority_check import (
    ADMIN_KINDS,
    GrantRow,
    Run,
    check_authority,
    runs_authorised,
)
from chitnode.log.canonical import check_value
from chitnode.log.entry import (
    HEX64_RE,
    KIND_RE,
    WAL_SIG_PREFIX,
    ZERO_HASH,
    Entry,
    check_deps,
    check_hash,
    check_sig,
    parse_entry,
    unsigned_bytes,
)
from chitnode.log.export import (
    ExportHeader,
    is_seal_line,
    parse_header,
    parse_seal,
    read_lines,
    seal_message,
)
from chitnode.log.records import Problem, Record

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
    # Keys an authorised `device.enrolled` in the file admits: authors the file itself
    # proves, whatever else is wrong with their entries (import takes their feeds whole).
    enrolled: set[str] = field(default_factory=set)

    # Memory must not grow with the problems a file holds (a hostile file can hold one a
    # byte): `problems` keeps the first limits.VERIFY_PROBLEMS_KEPT_MAX, the rest are only
    # counted. What import decides by is kept whole and small: the codes of file-level
    # problems, and per author the codes of its entries' problems (bounded too).
    total: int = 0
    code_counts: dict[str, int] = field(default_factory=dict)
    file_codes: set[str] = field(default_factory=set)  # codes of problems naming no author
    author_codes: dict[str, set[str]] = field(default_factory=dict)  # author -> its codes
    authors_overflow: bool = False  # more authors with problems than author_codes keeps

    def add(self, problem: Problem) -> None:
        """Count `problem`; keep it while fewer than VERIFY_PROBLEMS_KEPT_MAX are kept."""
        self.total += 1
        self.code_counts[problem.code] = self.code_counts.get(problem.code, 0) + 1
        if len(self.problems) < limits.VERIFY_PROBLEMS_KEPT_MAX:
            self.problems.append(problem)
        if problem.author is None:
            self.file_codes.add(problem.code)
            return
        codes = self.author_codes.get(problem.author)
        if codes is not None:
            codes.add(problem.code)
        elif len(self.author_codes) < limits.VERIFY_PROBLEM_AUTHORS_MAX:
            self.author_codes[problem.author] = {problem.code}
        else:
            self.authors_overflow = True

    def add_all(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    @property
    def ok(self) -> bool:
        return self.total == 0

    @property
    def unlisted(self) -> int:
        """Problems counted but not kept in `problems`."""
        return self.total - len(self.problems)

    def counts(self) -> dict[str, int]:
        return dict(sorted(self.code_counts.items()))


LineResult = tuple[Record | None, list[Problem]]


def _loose_id(line: bytes) -> tuple[str | None, int | None]:
    """Best-effort author and seq of a line that did not parse, for the report."""
    s = _SEQ_RE.search(line)
    return line_author(line), int(s.group(1)) if s else None


def line_author(line: bytes) -> str | None:
    """The author a line is reported under, parsed or not (a canonical line's first member)."""
    a = _AUTHOR_RE.search(line)
    return a.group(1).decode() if a else None


def check_line(line: bytes, check_sigs: bool = True) -> LineResult:
    """Parse one entry line and check format, hash and signature; never raises ChitError."""
    try:
        entry = parse_entry(line)
    except ChitError as exc:
        author, seq = _loose_id(line)
        return None, [Problem("bad_format", seq, author, exc.message)]
    problems: list[Problem] = []
    if not _spec_body_ok(entry.kind, entry.body):
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


AFTER_SEQ = "after_seq"  # device.revoked, as amended (wal-v1 §5); older revocations lack it


def _spec_body_ok(kind: str, body: dict[str, Any]) -> bool:
    """wal-v1 §5 bodies: exactly the listed fields, a 64-hex key, a known role; a
    revocation may add `after_seq`, an integer >= 0."""
    fields = SPEC_BODIES.get(kind)
    if fields is None:
        return True
    keys = set(body)
    if kind == "device.revoked" and AFTER_SEQ in body:
        after = body[AFTER_SEQ]
        if type(after) is not int or not 0 <= after <= limits.JSON_INT_MAX:
            return False
        keys = keys - {AFTER_SEQ}
    if keys != fields:
        return False
    for name in fields:
        if not isinstance(body[name], str):
            return False
    if HEX64_RE.match(body["key"] if "key" in body else body["root"]) is None:
        return False
    return kind != "device.enrolled" or body["role"] in SPEC_ROLES


def _record(entry: Entry) -> Record:
    enrol: tuple[str, str] | None = None
    after_seq = None
    if entry.kind in SPEC_KINDS_ADMIN:
        enrol = (str(entry.body["key"]), str(entry.body.get("role", "")))
        after = entry.body.get(AFTER_SEQ)
        after_seq = after if type(after) is int else None
    return Record(
        entry.author,
        entry.seq,
        entry.prev,
        entry.hash,
        entry.ts,
        entry.kind,
        entry.deps,
        enrol,
        after_seq=after_seq,
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
        rec.after_seq,
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
    # Every entry at last_seq: one, or a fork's twins (an export carries a fork's evidence
    # right after the main-chain entry, docs/forks.md). The next seq may chain to any.
    last_hashes: set[str] = field(default_factory=set)

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
            if rec.hash in self.last_hashes:
                self._problem("bad_format", rec, "the same entry appears twice")
            else:
                self._problem("fork", rec, "two signed entries by one author at one seq")
                self.last_hashes.add(rec.hash)
        elif rec.seq < self.last_seq:
            self._problem("bad_format", rec, "entries out of order within a feed")
        elif rec.seq > self.last_seq + 1:
            self._problem("gap", rec, f"seq {self.last_seq + 1}..{rec.seq - 1} missing")
        elif rec.prev not in self.last_hashes:
            self._problem("broken_chain", rec, "prev is not the previous entry's hash")
        if rec.seq > self.last_seq:
            self.last_seq, self.last_hashes = rec.seq, {rec.hash}
            first, _ = self.report.feeds[rec.author]
            self.report.feeds[rec.author] = (first, rec.seq)

    def _start_feed(self, rec: Record) -> None:
        if rec.author in self.authors_done or (self.current or "") > rec.author:
            self._problem("bad_format", rec, "entries must be grouped by author, ascending")
        if self.current is not None:
            self.authors_done.add(self.current)
        self.current, self.last_seq, self.last_hashes = rec.author, rec.seq, {rec.hash}
        self.report.feeds[rec.author] = (rec.seq, rec.seq)
        if rec.seq == 1 and rec.prev != ZERO_HASH:
            self._problem("broken_chain", rec, "seq 1 must have the zero prev")
        elif rec.seq > 1:
            self.report.partial_from[rec.author] = rec.seq

    def _problem(self, code: str, rec: Record, detail: str) -> None:
        self.report.add(Problem(code, rec.seq, rec.author, detail))


def _results(
    lines: Iterator[bytes], check_sigs: bool, workers: int, expected: int
) -> Iterator[tuple[bytes, LineResult]]:
    """Yield (line, result) in file order, using a process pool for big files."""
    if workers <= 1 or expected < limits.VERIFY_PARALLEL_MIN_ENTRIES:
        for line in lines:
            yield line, check_line(line, check_sigs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: list[tuple[list[bytes], Future[list[LineResult]]]] = []
        batch: list[bytes] = []
        for line in lines:
            batch.append(line)
            if len(batch) == limits.VERIFY_BATCH_LINES:
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
        report.add(Problem("bad_format", None, None, "empty file"))
        report.add(Problem("bad_seal", None, None, "no seal"))
        return report
    digest.update(first)
    try:
        report.header = parse_header(first)
    except ChitError as exc:
        report.add(Problem("bad_format", None, None, f"header: {exc.message}"))
    seal_line: list[bytes] = []
    entry_lines = _entry_lines(raw_lines, digest, seal_line)
    expected = report.header.count if report.header else 0
    rules = _FeedRules(report, report.header.branch if report.header else None)
    records: list[Record] = []
    for line, (rec, problems) in _results(
        entry_lines, check_sigs, workers or os.cpu_count() or 1, expected
    ):
        report.entries += 1
        report.add_all(problems)
        if rec is not None:
            rules.see(rec, _branch_of(line), valid=not problems)
            records.append(compact(rec, valid=not problems))
        if on_entry is not None:
            on_entry()
    _check_seal(report, seal_line[0] if seal_line else None, digest.hexdigest())
    if report.header is not None:
        report.add_all(
            check_authority(records, report.header.root, role_allows, enrolled=report.enrolled)
        )
    return report


def _branch_of(line: bytes) -> str:
    """The top-level `branch` of an entry line, read without parsing it.

    The last match: in canonical key order only `body` comes before `branch` (and a body
    may have a "branch" of its own), while the members after it (deps, hash, kind, prev,
    seq, sig, ts, v) cannot hold the unescaped quotes searched for.
    """
    at = line.rfind(b'"branch":"')
    return line[at + 10 : at + 42].decode(errors="replace") if at >= 0 else ""


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
        report.add(Problem("bad_format", None, None, "last line lacks its newline"))
    if line is None:
        report.add(Problem("bad_seal", None, None, "no seal line"))
        if report.header and report.header.count != report.entries:
            report.add(Problem("count_mismatch", None, None, "header count"))
        return
    try:
        seal = parse_seal(line)
    except ChitError as exc:
        report.add(Problem("bad_seal", None, None, exc.message))
        return
    if report.header is not None and report.header.count != report.entries:
        detail = f"header says {report.header.count}, file has {report.entries}"
        report.add(Problem("count_mismatch", None, None, detail))
    if seal.count != report.entries:
        detail = f"seal says {seal.count}, file has {report.entries}"
        report.add(Problem("count_mismatch", None, None, detail))
    if seal.lines_sha256 != lines_sha256:
        report.add(Problem("bad_seal", None, None, "lines_sha256 does not match"))
        return
    if report.header is None:
        return
    try:
        VerifyKey(bytes.fromhex(report.header.exporter)).verify(
            seal_message(seal.lines_sha256), bytes.fromhex(seal.sig)
        )
    except (BadSignatureError, ValueError):
        report.add(Problem("bad_seal", None, None, "seal signature is not the exporter's"))


def verify_file(
    path: str | os.PathLike[str],
    *,
    role_allows: RoleAllows | None = None,
    check_sigs: bool = True,
    workers: int | None = None,
    on_entry: Callable[[], None] | None = None,
) -> VerifyReport:
    """Verify an export file; a big clean one is proven clean by `_verify_clean` first.

    Whatever `_verify_clean` cannot prove clean (any problem at all, a partial
    export) is verified again by `verify_stream`, which names every problem: the
    report is the same either way, only the time differs.
    """
    workers = workers or os.cpu_count() or 1
    ticked = 0
    if workers > 1:
        report, ticked = _verify_clean(os.fspath(path), role_allows, check_sigs, workers, on_entry)
        if report is not None:
            return report
    if on_entry is not None and ticked:
        on_entry = _skip_calls(on_entry, ticked)
    with open(path, "rb") as stream:
        return verify_stream(
            stream,
            role_allows=role_allows,
            check_sigs=check_sigs,
            workers=workers,
            on_entry=on_entry,
        )


def _skip_calls(fn: Callable[[], None], skip: int) -> Callable[[], None]:
    """`fn`, minus its first `skip` calls (progress already shown by an abandoned pass)."""
    left = [skip]

    def call() -> None:
        if left[0]:
            left[0] -= 1
        else:
            fn()

    return call


# --------------------------------------------------------------------------- big clean files
#
# A large export is first checked on the assumption that it is clean. Each worker
# reads its own byte range of the file (split at newlines) and checks every line on
# a lean path: orjson's parse and sorted re-encode must give back the line's exact
# bytes (as in `parse_canonical`), the top-level fields are checked by type, range and
# pattern, `check_value` walks the body only, then the hash and the signature. Feed
# links are checked inside the range; runs (consecutive entries of a feed with the
# same deps), grants and 32-byte hashes come back compactly. The parent hashes the
# file for the seal, checks feeds across ranges, deps, and authority run by run.
# Any line off the lean path, or anything else not clean, abandons the pass: then
# `verify_stream` does it all again and names every problem exactly.

_ENTRY_KEYS = frozenset(
    {"v", "branch", "author", "seq", "prev", "ts", "deps", "kind", "body", "hash", "sig"}
)
_SORTED = orjson.OPT_SORT_KEYS
_INT_MAX = limits.JSON_INT_MAX
Segment = tuple[str, int, str, int, str]  # author, first seq, its prev, last seq, last hash


@dataclass(slots=True)
class RangeSummary:
    """What a worker returns for a byte range whose every line is clean."""

    count: int
    segments: list[Segment]  # one per run of one author's lines, in file order
    runs: list[Run]
    grants: dict[str, bytes]  # enrolled/revoked key -> orjson list of GrantRow
    hashes: bytes  # the 32-byte hash of every line, in file order


class _NotClean(Exception):
    """A range or file the lean pass cannot vouch for."""


def check_lines(
    lines: list[bytes], branch: str, check_sigs: bool, authors: frozenset[str] | None = None
) -> RangeSummary:
    """Lean checks of consecutive entry lines; raises at the first doubt (any exception).

    `authors`, when given, are all the file's authors (see `_probe_authors`): a line by
    anyone else is a doubt, and only grants of these keys are kept.

    A line passes only if `check_line` would find nothing wrong with it: the same
    parse and canonical round trip as `parse_canonical`, the fields of `check_fields`,
    `check_value` over the body (a §5 body of short strings needs no walk), the hash
    and the signature. Feed links must hold between consecutive lines of a feed.
    """
    known_kinds: set[str] = set()
    keys: dict[str, bytes] = {}  # author -> raw public key, once checked
    segments: list[Segment] = []
    runs: list[Run] = []
    grants: dict[str, list[GrantRow]] = {}
    hashes = bytearray()
    signed: list[tuple[bytes, bytes]] = []
    author_now, first, first_prev, last_seq, last_hash = "", 0, "", 0, ""
    run_first, run_last, run_deps = 0, 0, b""
    run_kinds: set[str] = set()
    loads, dumps, sha256, spec_bodies = orjson.loads, orjson.dumps, hashlib.sha256, SPEC_BODIES
    for line in lines:
        size = len(line)
        if size > limits.ENTRY_BYTES_MAX:
            raise _NotClean
        obj = loads(line)
        if type(obj) is not dict or obj.keys() != _ENTRY_KEYS or dumps(obj, option=_SORTED) != line:
            raise _NotClean
        author, seq, prev, ts, kind = obj["author"], obj["seq"], obj["prev"], obj["ts"], obj["kind"]
        body, sig, v, deps = obj["body"], obj["sig"], obj["v"], obj["deps"]
        if not (
            type(seq) is int
            and 0 < seq <= _INT_MAX
            and type(ts) is int
            and -_INT_MAX <= ts <= _INT_MAX
            and type(v) is int
            and v == 1
            and obj["branch"] == branch
            and _branch_of(line) == branch  # what the feed rules compare
            and type(body) is dict
            and type(sig) is str
            and len(sig) == 128
        ):
            raise _NotClean
        if kind not in known_kinds:
            if not (
                type(kind) is str and KIND_RE.match(kind) and len(kind) <= limits.KIND_BYTES_MAX
            ):
                raise _NotClean
            known_kinds.add(kind)
        key = keys.get(author)
        if key is None:
            if not (type(author) is str and HEX64_RE.match(author)):
                raise _NotClean
            key = keys[author] = bytes.fromhex(author)
        if kind in spec_bodies:
            if not _spec_body_ok(kind, body):
                raise _NotClean
            if size > limits.STRING_BYTES_MAX:
                check_value(body, 1)  # short §5 bodies: short strings under fixed ASCII keys
        else:
            check_value(body, 1)
        digest = sha256(unsigned_bytes(line)).digest()
        raw_sig = bytes.fromhex(sig)
        if digest.hex() != obj["hash"] or raw_sig.hex() != sig:
            raise _NotClean
        if check_sigs:
            signed.append((raw_sig + WAL_SIG_PREFIX + digest, key))
        hashes += digest
        # feed rules (§4, §6): each feed from seq 1, linked by prev, grouped by author
        packed = dumps(deps)  # bytes, so `true` never passes for a `1` checked before
        if author == author_now:
            if seq != last_seq + 1 or prev != last_hash:
                raise _NotClean
            same_run = packed == run_deps and run_first != 1  # a feed's seq 1: a run alone
        else:
            if author_now:
                segments.append((author_now, first, first_prev, last_seq, last_hash))
            if type(prev) is not str or (authors is not None and author not in authors):
                raise _NotClean
            author_now, first, first_prev, same_run = author, seq, prev, False
        if same_run:
            run_kinds.add(kind)
            run_last = seq
        else:
            if runs:
                runs[-1] = _closed(runs[-1], run_last, run_kinds)
            run_first, run_last, run_deps, run_kinds = seq, seq, packed, {kind}
            runs.append(Run(author, seq, seq, _checked_deps(deps, author), frozenset()))
        last_seq, last_hash = seq, obj["hash"]
        if kind in ADMIN_KINDS and (authors is None or body["key"] in authors):
            revokes = kind == "device.revoked"
            row = (author, seq, revokes, body.get("role", ""), body.get(AFTER_SEQ))
            grants.setdefault(body["key"], []).append(row)
    if author_now:
        segments.append((author_now, first, first_prev, last_seq, last_hash))
    if runs:
        runs[-1] = _closed(runs[-1], run_last, run_kinds)
    for signed_message, key in signed:  # in one tight loop: the curve tables stay in cache
        crypto_sign_open(signed_message, key)
    packed_grants = {k: orjson.dumps(rows) for k, rows in grants.items()}
    return RangeSummary(len(hashes) // 32, segments, runs, packed_grants, bytes(hashes))


def _closed(run: Run, last: int, kinds: set[str]) -> Run:
    return Run(run.author, run.first, last, run.deps, frozenset(kinds))


def _checked_deps(deps: Any, author: str) -> tuple[tuple[str, int, str], ...]:
    """`check_deps` of entry.py, as a yes/no: deps valid, or _NotClean.

    Also each dep's seq within the §2 integer range, which the exact path's walk checks
    and the lean path does not otherwise.
    """
    try:
        check_deps(deps, author)
    except BadFormat:
        raise _NotClean from None
    if any(dep[1] > _INT_MAX for dep in deps):
        raise _NotClean
    return tuple((a, s, h) for a, s, h in deps)


def check_range(
    path: str,
    start: int,
    end: int,
    branch: str,
    check_sigs: bool,
    authors: frozenset[str] | None = None,
) -> RangeSummary | None:
    """Check the entry lines in bytes [start, end) of `path` (whole lines); None if not clean."""
    with open(path, "rb") as stream:
        stream.seek(start)
        data = stream.read(end - start)
    if len(data) != end - start or not data.endswith(b"\n"):
        return None
    try:
        return check_lines(data[:-1].split(b"\n"), branch, check_sigs, authors)
    except Exception:  # any doubt about a line: the exact path decides
        return None


def line_ranges(stream: BinaryIO, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Split bytes [start, end) of `stream` into ranges of whole lines, about `size` each.

    `end` must follow a newline. Raises _NotClean when a cut finds no newline within
    the longest line an export may hold.
    """
    ranges: list[tuple[int, int]] = []
    at = start
    while at < end:
        cut = at + size
        if cut >= end:
            ranges.append((at, end))
            break
        stream.seek(cut - 1)
        rest = stream.readline(limits.EXPORT_LINE_BYTES_MAX + 1)
        if not rest.endswith(b"\n"):
            raise _NotClean
        cut = min(cut - 1 + len(rest), end)
        ranges.append((at, cut))
        at = cut
    return ranges


def _probe_authors(stream: BinaryIO, start: int, end: int) -> frozenset[str] | None:
    """The authors of entry lines [start, end), if the file is grouped by author.

    Bisects byte offsets: where the lines at both ends of a span have one author, the
    span is taken to hold no other (true when grouped; when not, a worker meets an
    author not listed and the file goes to the exact path). A few reads per feed.
    None (keep every grant) when there are more than limits.VERIFY_PROBE_AUTHORS_MAX authors.
    """
    found: set[str] = set()

    def line_at(offset: int) -> tuple[int, str]:
        """The first line starting at or after `offset` (< end): its start and author."""
        stream.seek(offset - 1)
        skipped = stream.readline(limits.EXPORT_LINE_BYTES_MAX + 1)
        if not skipped.endswith(b"\n"):
            raise _NotClean
        return offset - 1 + len(skipped), _author_of(stream.read(76))

    def walk(lo: int, lo_author: str, hi: int, hi_author: str) -> None:
        if lo_author == hi_author or len(found) > limits.VERIFY_PROBE_AUTHORS_MAX:
            return
        if hi - lo <= limits.VERIFY_PROBE_SCAN_BYTES:
            stream.seek(lo)
            found.update(_author_of(line) for line in stream.read(hi - lo).split(b"\n")[:-1])
            return
        mid, mid_author = line_at((lo + hi) // 2)  # lo < mid < hi: lines are shorter than a scan
        found.add(mid_author)
        walk(lo, lo_author, mid, mid_author)
        walk(mid, mid_author, hi, hi_author)

    if end <= start:
        return frozenset()
    stream.seek(start)
    first = _author_of(stream.read(76))
    block_at = max(start, end - limits.EXPORT_LINE_BYTES_MAX - 1)
    stream.seek(block_at)
    block = stream.read(end - block_at)
    cut = block.rfind(b"\n", 0, len(block) - 1) + 1
    if cut == 0 and block_at > start:
        raise _NotClean
    last = _author_of(block[cut:])
    found.update((first, last))
    walk(start, first, block_at + cut, last)
    return frozenset(found) if len(found) <= limits.VERIFY_PROBE_AUTHORS_MAX else None


def _author_of(line: bytes) -> str:
    if not line.startswith(b'{"author":"') or line[75:76] != b'"':
        raise _NotClean
    return line[11:75].decode("ascii", "replace")


def _verify_clean(
    path: str,
    role_allows: RoleAllows | None,
    check_sigs: bool,
    workers: int,
    on_entry: Callable[[], None] | None,
) -> tuple[VerifyReport | None, int]:
    """The report of a big file proven clean, or None; and how often on_entry was called."""
    ticked = 0
    with open(path, "rb") as stream:
        try:
            header_line, seal_line, start, end = _frame(stream)
            header = parse_header(header_line)
        except (_NotClean, ChitError):
            return None, 0
        if header.count < limits.VERIFY_PARALLEL_MIN_ENTRIES:
            return None, 0
        try:
            ranges = line_ranges(stream, start, end, limits.VERIFY_RANGE_BYTES)
            authors = _probe_authors(stream, start, end)
        except _NotClean:
            return None, 0
        report = VerifyReport(header=header)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(check_range, path, a, b, header.branch, check_sigs, authors)
                for a, b in ranges
            ]
            digest = _sha256_of(stream, end)  # while the workers check lines
            summaries: list[RangeSummary] = []
            for fut in futures:
                try:
                    summary = fut.result()
                except BrokenProcessPool:  # a worker died: the exact path has its own pool
                    summary = None
                if summary is None:
                    pool.shutdown(cancel_futures=True)
                    return None, ticked
                summaries.append(summary)
                if on_entry is not None:
                    for _ in range(summary.count):
                        on_entry()
                ticked += summary.count
    report.entries = sum(s.count for s in summaries)
    _check_seal(report, seal_line, digest)
    if not report.ok or not _clean_feeds_and_authority(report, summaries, role_allows):
        return None, ticked
    for summary in summaries:  # every entry is authorised, so every enrolment in the file is
        for key, packed in summary.grants.items():
            if any(not revokes for _, _, revokes, _, _ in orjson.loads(packed)):
                report.enrolled.add(key)
    return report, ticked


def _frame(stream: BinaryIO) -> tuple[bytes, bytes, int, int]:
    """Header line, seal line, and the byte span of the entry lines between them."""
    header = stream.readline(limits.EXPORT_LINE_BYTES_MAX + 1)
    start = len(header)
    end = stream.seek(0, os.SEEK_END)
    tail_at = max(start, end - limits.EXPORT_LINE_BYTES_MAX - 1)
    stream.seek(tail_at)
    tail = stream.read()
    cut = tail.rfind(b"\n", 0, len(tail) - 1) + 1
    if not header.endswith(b"\n") or not tail.endswith(b"\n") or (cut == 0 and tail_at > start):
        raise _NotClean
    seal = tail[cut:]
    if not is_seal_line(seal):
        raise _NotClean
    return header, seal, start, tail_at + cut


def _sha256_of(stream: BinaryIO, end: int) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    left = end
    while left > 0:
        block = stream.read(min(left, 1 << 22))
        if not block:
            break
        digest.update(block)
        left -= len(block)
    return digest.hexdigest()


def _clean_feeds_and_authority(
    report: VerifyReport, summaries: list[RangeSummary], role_allows: RoleAllows | None
) -> bool:
    """Feeds across ranges, deps and authority of a file whose every line was clean."""
    assert report.header is not None
    start_index: dict[str, int] = {}  # author -> index of its seq 1 among all entries
    index = 0
    last: Segment | None = None
    for summary in summaries:
        for seg in summary.segments:
            author, first, first_prev, last_seq, _ = seg
            if last is not None and author == last[0]:
                if first != last[3] + 1 or first_prev != last[4]:
                    return False
            elif (last is not None and author <= last[0]) or first != 1 or first_prev != ZERO_HASH:
                return False
            else:
                start_index[author] = index
            report.feeds[author] = (1, last_seq)
            index += last_seq - first + 1
            last = seg
    offsets = [0]
    for summary in summaries:
        offsets.append(offsets[-1] + summary.count)

    def hash_at(author: str, seq: int) -> str | None:
        if author not in start_index or not 1 <= seq <= report.feeds[author][1]:
            return None
        at = start_index[author] + seq - 1
        i = bisect.bisect_right(offsets, at) - 1
        return summaries[i].hashes[(at - offsets[i]) * 32 : (at - offsets[i] + 1) * 32].hex()

    feeds: dict[str, list[Run]] = {}
    deps: set[tuple[str, int, str]] = set()
    for summary in summaries:
        for run in summary.runs:
            feeds.setdefault(run.author, []).append(run)
            deps.update(run.deps)
    if any(hash_at(a, s) != h for a, s, h in deps):
        return False

    grants: dict[str, list[GrantRow]] = {}
    for summary in summaries:
        for key, packed in summary.grants.items():
            grants.setdefault(key, []).extend(tuple(r) for r in orjson.loads(packed))
    return runs_authorised(feeds, report.header.root, grants, role_allows)
