"""Exports for the auditor's tests: one entry's body tampered, and a hand-made export.

seq, author = tamper(export, into)        # one digit of the middle entry's body flipped
write_feeds_export(path, root, entries)   # sealed by `root`, grouped by author then seq
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from chitnode.log.entry import Entry
from chitnode.log.export import ExportHeader, write_export
from tests.support.feeds import BRANCH, Feed

EXPORT_CREATED_MS = 1_767_225_600_000


def tamper(export: Path, into: Path) -> tuple[int, str]:
    """Copy `export` to `into` with one digit inside the middle entry's body flipped (the
    line stays canonical JSON; its hash no longer matches). Returns (its seq, its author)."""
    lines = export.read_bytes().split(b"\n")
    at = len(lines) // 2
    line = lines[at]
    digit = re.compile(rb"\d(\d)").search(line, line.index(b'"body":{'))
    assert digit is not None, "the middle entry's body has no two-digit number"
    pos = digit.start(1)
    lines[at] = line[:pos] + (b"1" if line[pos : pos + 1] != b"1" else b"2") + line[pos + 1 :]
    into.write_bytes(b"\n".join(lines))
    entry = json.loads(line)
    return int(entry["seq"]), str(entry["author"])


def write_feeds_export(path: Path, root: Feed, entries: list[Entry]) -> None:
    """A sealed export of `entries` (a fork's twin after its main-chain entry) by `root`."""
    ordered = sorted(entries, key=lambda e: (e.author, e.seq))  # stable: a twin stays after
    header = ExportHeader(BRANCH, root.public, root.public, EXPORT_CREATED_MS, len(ordered))
    with open(path, "wb") as out:
        write_export(out, root.key, header, ordered)
