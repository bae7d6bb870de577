"""The `.chitlog` export file (wal-v1 §6): header, entry lines, seal.

Writing is streaming: entries go out as they are read from the store, and the
seal signs the SHA-256 of every byte before it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from nacl.signing import SigningKey

from chitnode import limits
from chitnode.errors import BadFormat
from chitnode.log.canonical import canonical, parse_canonical
from chitnode.log.entry import HEX32_RE, HEX64_RE, HEX128_RE, Entry

EXPORT_FORMAT = "chitnode-export"
SEAL_FORMAT = "chitnode-export-seal"
SEAL_SIG_PREFIX = b"chitnode.export.v1:"
HEADER_FIELDS = frozenset({"format", "v", "branch", "root", "exporter", "created_ms", "count"})
SEAL_FIELDS = frozenset({"format", "v", "count", "lines_sha256", "sig"})


@dataclass(frozen=True, slots=True)
class ExportHeader:
    branch: str
    root: str
    exporter: str
    created_ms: int
    count: int

    def to_json(self) -> dict[str, Any]:
        return {
            "format": EXPORT_FORMAT,
            "v": 1,
            "branch": self.branch,
            "root": self.root,
            "exporter": self.exporter,
            "created_ms": self.created_ms,
            "count": self.count,
        }


@dataclass(frozen=True, slots=True)
class ExportSeal:
    count: int
    lines_sha256: str
    sig: str


def seal_message(lines_sha256: str) -> bytes:
    return SEAL_SIG_PREFIX + bytes.fromhex(lines_sha256)


def write_export(
    out: BinaryIO, key: SigningKey, header: ExportHeader, entries: Iterable[Entry]
) -> int:
    """Write a sealed export; `entries` must already be grouped by author then seq.

    Returns the number of entry lines written; raises BadFormat (before sealing)
    when that differs from `header.count`, so a short read never yields a valid file.
    """
    digest = hashlib.sha256()

    def emit(line: bytes) -> None:
        digest.update(line)
        out.write(line)

    emit(canonical(header.to_json()) + b"\n")
    written = 0
    last: tuple[str, int] = ("", 0)
    for entry in entries:
        if (entry.author, entry.seq) < last:  # equal: a fork's twin (docs/forks.md)
            raise BadFormat("export entries must be grouped by author, ascending seq")
        last = (entry.author, entry.seq)
        emit(entry.raw + b"\n")
        written += 1
    if written != header.count:
        raise BadFormat(f"export header says {header.count} entries, wrote {written}")
    lines_sha256 = digest.hexdigest()
    sig = key.sign(seal_message(lines_sha256)).signature.hex()
    seal = {
        "format": SEAL_FORMAT,
        "v": 1,
        "count": written,
        "lines_sha256": lines_sha256,
        "sig": sig,
    }
    out.write(canonical(seal) + b"\n")
    return written


def read_lines(stream: BinaryIO) -> Iterator[bytes]:
    """Yield lines without their newline; a line over the bound is yielded truncated.

    Truncation keeps memory bounded on hostile input; the truncated line then fails
    to parse and is reported as bad_format.
    """
    while True:
        line = stream.readline(limits.EXPORT_LINE_BYTES_MAX + 1)
        if not line:
            return
        if len(line) > limits.EXPORT_LINE_BYTES_MAX:
            while line and not line.endswith(b"\n"):  # skip the rest of the long line
                line = stream.readline(limits.EXPORT_LINE_BYTES_MAX)
            yield b"\x00oversize"
            continue
        yield line


def parse_header(line: bytes) -> ExportHeader:
    obj = parse_canonical(line.rstrip(b"\n"))
    ok = (
        isinstance(obj, dict)
        and set(obj) == HEADER_FIELDS
        and obj["format"] == EXPORT_FORMAT
        and obj["v"] == 1
        and isinstance(obj["branch"], str)
        and HEX32_RE.match(obj["branch"]) is not None
        and isinstance(obj["root"], str)
        and HEX64_RE.match(obj["root"]) is not None
        and isinstance(obj["exporter"], str)
        and HEX64_RE.match(obj["exporter"]) is not None
        and _is_count(obj["created_ms"])
        and _is_count(obj["count"])
        and obj["count"] <= limits.EXPORT_ENTRIES_MAX
    )
    if not ok:
        raise BadFormat("not a chitnode-export v1 header")
    return ExportHeader(
        obj["branch"], obj["root"], obj["exporter"], obj["created_ms"], obj["count"]
    )


def parse_seal(line: bytes) -> ExportSeal:
    obj = parse_canonical(line.rstrip(b"\n"))
    ok = (
        isinstance(obj, dict)
        and set(obj) == SEAL_FIELDS
        and obj["format"] == SEAL_FORMAT
        and obj["v"] == 1
        and _is_count(obj["count"])
        and isinstance(obj["lines_sha256"], str)
        and HEX64_RE.match(obj["lines_sha256"]) is not None
        and isinstance(obj["sig"], str)
        and HEX128_RE.match(obj["sig"]) is not None
    )
    if not ok:
        raise BadFormat("not a chitnode-export-seal v1 line")
    return ExportSeal(obj["count"], obj["lines_sha256"], obj["sig"])


def is_seal_line(line: bytes) -> bool:
    return line.startswith(b'{"count":') and b'"format":"chitnode-export-seal"' in line


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
