"""Re-reading what the store holds: each entry's hash, its feed's chain, its signature.

`PRAGMA quick_check` proves the database file is sound; it cannot see a row whose
text was edited with any SQLite tool, hash left as it was. The fold trusts stored
text (it was checked on the way in), so `rebuild` and `export` first re-check the
hash and chain of every entry they read, and `chitnode check` also parses each
entry in full, compares it with its row and, when asked, verifies its signature.

The quick pass reads the raw bytes (an edit need not even leave UTF-8) and hashes
them as they are: an entry whose text hashes to its stored hash is exactly the
text that was checked when it arrived, so its `prev` can be trusted for the chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from chitnode import limits
from chitnode.errors import ChitError
from chitnode.log.entry import ZERO_HASH, check_sig, parse_entry, unsigned_bytes
from chitnode.log.records import Problem
from chitnode.store.api import StoredLine

HASH_HEX_CHARS = 64
_HASH_MEMBER = b',"hash":"'
_PREV_MEMBER = b',"prev":"'


@dataclass(slots=True)
class CheckReport:
    entries: int = 0
    forks: int = 0
    problems: list[Problem] = field(default_factory=list)
    problems_total: int = 0

    @property
    def ok(self) -> bool:
        return self.problems_total == 0

    def add(self, problem: Problem) -> None:
        self.problems_total += 1
        if len(self.problems) < limits.CHECK_PROBLEMS_MAX:
            self.problems.append(problem)


def check_lines(
    lines: Iterable[StoredLine],
    report: CheckReport,
    *,
    branch: str | None = None,
    full: bool = False,
    signatures: bool = False,
) -> None:
    """Add to `report` each entry in `lines` whose text, hash or chain is not as stored.

    `full` also parses each entry (canonical form, columns, `branch`); `signatures`
    also verifies each signature (and implies `full`).
    """
    deep = full or signatures
    last_author, last_seq, last_hash = "", 0, ZERO_HASH  # the line before
    for author, seq, hash_hex, raw in lines:
        report.entries += 1
        problem = _hash_problem(author, seq, hash_hex, raw)
        if problem is None and deep:
            problem = _entry_problem(author, seq, hash_hex, raw, branch, signatures)
        # the chain: seq 1 names no entry; a later one names the stored entry before it
        # (after a gap there is none to compare: held entries wait for what is missing)
        follows = seq == 1 or (seq == last_seq + 1 and author == last_author)
        if problem is None and follows:
            expected = ZERO_HASH if seq == 1 else last_hash
            if _member(raw, _PREV_MEMBER) != expected:
                problem = Problem("broken_chain", seq, author, "its prev is not the entry before")
        if problem is not None:
            report.add(problem)
        last_author, last_seq, last_hash = author, seq, hash_hex


def check_fork_lines(lines: Iterable[StoredLine], report: CheckReport, signatures: bool) -> None:
    """Fork evidence: each kept twin must still be the validly hashed (signed) entry it was."""
    for author, seq, hash_hex, raw in lines:
        report.forks += 1
        problem = _hash_problem(author, seq, hash_hex, raw)
        if problem is None and signatures:
            problem = _entry_problem(author, seq, hash_hex, raw, None, True)
        if problem is not None:
            report.add(Problem(problem.code, seq, author, f"fork evidence: {problem.detail}"))


def _hash_problem(author: str, seq: int, hash_hex: str, raw: bytes) -> Problem | None:
    if _member(raw, _HASH_MEMBER) != hash_hex:
        return Problem("bad_hash", seq, author, "its text names another hash than its row")
    if hashlib.sha256(unsigned_bytes(raw)).hexdigest() != hash_hex:
        return Problem("bad_hash", seq, author, "its text was changed after it was stored")
    return None


def _entry_problem(
    author: str, seq: int, hash_hex: str, raw: bytes, branch: str | None, signatures: bool
) -> Problem | None:
    try:
        entry = parse_entry(raw)
        if (entry.author, entry.seq, entry.hash) != (author, seq, hash_hex):
            return Problem("bad_format", seq, author, "its text is another entry than its row")
        if branch is not None and entry.branch != branch:
            return Problem("wrong_branch", seq, author, f"it belongs to branch {entry.branch}")
        if signatures:
            check_sig(entry)
    except ChitError as exc:
        return Problem(exc.code, seq, author, exc.message)
    return None


def _member(raw: bytes, member: bytes) -> str:
    """A top-level hash-valued member of canonical `raw` (the last match: see unsigned_bytes)."""
    at = raw.rfind(member)
    if at < 0:
        return ""
    start = at + len(member)
    return raw[start : start + HASH_HEX_CHARS].decode("ascii", "replace")
