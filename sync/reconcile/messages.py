"""The reconciliation messages and their frames (docs/sync.md, "Reconciliation").

A frame is one canonical JSON header line (wal-v1 §2 rules: sorted keys, no spaces,
integers only), then, for `page` and `evidence`, the entry lines exactly as their
authors signed them, each followed by a newline. Entry lines are canonical JSON, so
they never hold a raw newline; carrying them as lines keeps their bytes exact and
costs nothing to escape.

`decode` is strict: any frame is either a message or a `BadMessage` (codes
`bad_message`, `message_too_big`, `unsupported_version`), never another exception.
It checks shape and bounds only; what the lines say is the core's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from chitnode import limits as kernel
from chitnode.errors import BadFormat
from chitnode.log.canonical import canonical, parse_canonical
from chitnode.log.entry import ZERO_HASH
from sync import limits
from sync.reconcile.errors import BadMessage, MessageTooBig, UnsupportedVersion

PROTOCOL_VERSION = 1
HEX32_RE = re.compile(r"\A[0-9a-f]{32}\Z")
HEX64_RE = re.compile(r"\A[0-9a-f]{64}\Z")


@dataclass(frozen=True, slots=True)
class Head:
    """A feed as one side holds it: its last entry (seq, hash) below any fork.

    `frozen_from` > 0 when the feed is frozen by a fork at that seq; then `seq` is
    below it: a node advertises and serves only the part before the fork.
    """

    author: str
    seq: int
    hash: str
    frozen_from: int = 0


@dataclass(frozen=True, slots=True)
class Hello:
    """One part of a heads summary; a summary is complete when all its parts arrived."""

    branch: str
    round: int  # a side's summaries are numbered; a newer one replaces an older one
    part: int
    parts: int
    heads: tuple[Head, ...]
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class Want:
    """Ask for up to `limit` entries of `author`'s feed from `from_seq` on."""

    author: str
    from_seq: int
    limit: int


@dataclass(frozen=True, slots=True)
class Page:
    """The answer to a `Want`: consecutive entry lines from `from_seq`; empty if none."""

    author: str
    from_seq: int
    lines: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class WantEvidence:
    """Ask for the proof of the fork a peer's hello says freezes `author`."""

    author: str


@dataclass(frozen=True, slots=True)
class ForkEvidence:
    """Two different entries of `author` at `seq` with the same `prev` (wal-v1 §4)."""

    author: str
    seq: int
    lines: tuple[bytes, bytes]


@dataclass(frozen=True, slots=True)
class Done:
    """This side has nothing more to ask after the peer's summary `round`."""

    round: int


Message = Hello | Want | Page | WantEvidence | ForkEvidence | Done

# type tag -> the header's fields (besides "t"); decode wants exactly these.
FIELDS: dict[str, frozenset[str]] = {
    "hello": frozenset({"v", "branch", "round", "part", "parts", "heads"}),
    "want": frozenset({"author", "from_seq", "limit"}),
    "page": frozenset({"author", "from_seq", "count"}),
    "want_evidence": frozenset({"author"}),
    "evidence": frozenset({"author", "seq"}),
    "done": frozenset({"round"}),
}
EVIDENCE_LINES = 2


# --- encoding ----------------------------------------------------------------------


def encode(message: Message) -> bytes:
    """The frame of `message`; raises `BadMessage` if it breaks a rule `decode` enforces."""
    header, lines = _header(message)
    frame = canonical(header) + b"\n" + b"".join(line + b"\n" for line in lines)
    # one rule for both directions: what we send must be what we would accept
    if decode(frame) != message:
        raise BadMessage(f"{type(message).__name__} does not survive its own decoder")
    return frame


def _header(message: Message) -> tuple[dict[str, Any], tuple[bytes, ...]]:
    if isinstance(message, Hello):
        heads = [[h.author, h.seq, h.hash, h.frozen_from] for h in message.heads]
        return {
            "t": "hello",
            "v": message.version,
            "branch": message.branch,
            "round": message.round,
            "part": message.part,
            "parts": message.parts,
            "heads": heads,
        }, ()
    if isinstance(message, Want):
        fields = {"author": message.author, "from_seq": message.from_seq, "limit": message.limit}
        return {"t": "want", **fields}, ()
    if isinstance(message, Page):
        count = len(message.lines)
        return {
            "t": "page",
            "author": message.author,
            "from_seq": message.from_seq,
            "count": count,
        }, (message.lines)
    if isinstance(message, WantEvidence):
        return {"t": "want_evidence", "author": message.author}, ()
    if isinstance(message, ForkEvidence):
        return {"t": "evidence", "author": message.author, "seq": message.seq}, message.lines
    return {"t": "done", "round": message.round}, ()


# --- decoding ----------------------------------------------------------------------


def decode(frame: bytes) -> Message:
    """The message in `frame`, or `BadMessage`/`MessageTooBig`/`UnsupportedVersion`."""
    if len(frame) > limits.MESSAGE_BYTES_MAX:
        raise MessageTooBig(f"frame of {len(frame)} bytes > {limits.MESSAGE_BYTES_MAX}")
    end = frame.find(b"\n", 0, limits.HEADER_BYTES_MAX + 1)
    if end < 0:
        if len(frame) > limits.HEADER_BYTES_MAX:
            raise MessageTooBig(f"header line longer than {limits.HEADER_BYTES_MAX} bytes")
        raise BadMessage("a frame starts with a header line ending in a newline")
    try:
        header = parse_canonical(frame[:end])
    except BadFormat as exc:
        raise BadMessage(f"header is not canonical JSON: {exc.message}") from exc
    if not isinstance(header, dict):
        raise BadMessage("header must be a JSON object")
    tag = header.pop("t", None)
    fields = FIELDS.get(tag) if isinstance(tag, str) else None
    if fields is None:
        raise BadMessage(f"unknown message type {tag!r}")
    if set(header) != fields:
        raise BadMessage(f"{tag} has exactly the fields {sorted(fields)}")
    body = frame[end + 1 :]
    if tag == "page":
        count = _bounded(header["count"], "count", 0, limits.PAGE_ENTRIES_MAX)
        page_from = _int(header["from_seq"], "from_seq", 1)
        return Page(_author(header["author"]), page_from, _lines(body, count))
    if tag == "evidence":
        first, second = _lines(body, EVIDENCE_LINES)
        seq = _int(header["seq"], "seq", 1)
        return ForkEvidence(_author(header["author"]), seq, (first, second))
    if body:
        raise BadMessage(f"a {tag} frame carries no lines")
    return _plain(tag, header)


def _plain(tag: str, header: dict[str, Any]) -> Message:
    if tag == "hello":
        return _hello(header)
    if tag == "want":
        from_seq = _int(header["from_seq"], "from_seq", 1)
        limit = _bounded(header["limit"], "limit", 1, limits.PAGE_ENTRIES_MAX)
        return Want(_author(header["author"]), from_seq, limit)
    if tag == "want_evidence":
        return WantEvidence(_author(header["author"]))
    return Done(_int(header["round"], "round", 0))


def _hello(header: dict[str, Any]) -> Hello:
    version = _int(header["v"], "v", 1)
    if version != PROTOCOL_VERSION:
        raise UnsupportedVersion(f"sync protocol v{version}; this node speaks v{PROTOCOL_VERSION}")
    branch = header["branch"]
    if not (isinstance(branch, str) and HEX32_RE.match(branch)):
        raise BadMessage("branch: 32 lowercase hex")
    parts = _bounded(header["parts"], "parts", 1, limits.HELLO_PARTS_MAX)
    part = _int(header["part"], "part", 0, parts - 1)
    raw = header["heads"]
    if not isinstance(raw, list):
        raise BadMessage("heads: a list")
    if len(raw) > limits.HEADS_PER_MESSAGE_MAX:
        raise MessageTooBig(f"more than {limits.HEADS_PER_MESSAGE_MAX} heads in one part")
    heads = tuple(_head(item) for item in raw)
    if any(a.author >= b.author for a, b in pairwise(heads)):
        raise BadMessage("heads sorted by author, one per author")
    return Hello(branch, _int(header["round"], "round", 0), part, parts, heads, version)


def _head(item: object) -> Head:
    if not (isinstance(item, list) and len(item) == 4):
        raise BadMessage("a head is [author, seq, hash, frozen_from]")
    author, seq, hash_hex, frozen = item
    head = Head(
        _author(author), _int(seq, "seq", 0), _hash(hash_hex), _int(frozen, "frozen_from", 0)
    )
    if (head.seq == 0) != (head.hash == ZERO_HASH):
        raise BadMessage("the zero hash stands for an empty feed, and only for it")
    if head.frozen_from and head.seq >= head.frozen_from:
        raise BadMessage("a frozen feed's head is before its fork")
    if not head.frozen_from and head.seq == 0:
        raise BadMessage("an empty feed is sent only when a fork froze it")
    return head


def _lines(body: bytes, count: int) -> tuple[bytes, ...]:
    """Exactly `count` non-empty lines, each ended by a newline, within the page bounds."""
    if len(body) - count > limits.PAGE_BYTES_MAX:
        raise MessageTooBig(f"entry lines over {limits.PAGE_BYTES_MAX} bytes")
    if not body.endswith(b"\n") and count:
        raise BadMessage("each entry line ends with a newline")
    lines = tuple(body.split(b"\n")[:-1]) if count else ()
    if len(lines) != count or (not count and body):
        raise BadMessage(f"the header announces {count} lines")
    for line in lines:
        if not line:
            raise BadMessage("an empty entry line")
        if len(line) > kernel.ENTRY_BYTES_MAX:
            raise MessageTooBig(f"an entry line over {kernel.ENTRY_BYTES_MAX} bytes")
    return lines


def _bounded(value: object, name: str, low: int, high: int) -> int:
    """An integer field whose upper end is a size bound: above it is `message_too_big`."""
    number = _int(value, name, low)
    if number > high:
        raise MessageTooBig(f"{name} {number} > {high}")
    return number


def _int(value: object, name: str, low: int, high: int = kernel.JSON_INT_MAX) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadMessage(f"{name}: an integer in {low}..{high}")
    return value


def _author(value: object) -> str:
    if not (isinstance(value, str) and HEX64_RE.match(value)):
        raise BadMessage("author: 64 lowercase hex")
    return value


def _hash(value: object) -> str:
    if not (isinstance(value, str) and HEX64_RE.match(value)):
        raise BadMessage("hash: 64 lowercase hex")
    return value
