#!/usr/bin/env python3
"""Independent reference verifier for chitnode `.chitlog` exports (WAL format v1).

Written from the normative page `wal-v1.md` alone, the way an outside auditor
would: it imports nothing from the `chitnode` package and uses a different
Ed25519 implementation (`cryptography`) than the project (PyNaCl), plus the
standard library (`hashlib`, `json`).

Usage::

    python reference_verifier.py [--explain] FILE

prints one line per problem, ``CODE SEQ AUTHOR`` (``-`` for a file-level
problem), then informational ``note: ...`` lines and one ``summary: ...`` line.
Exit status: 0 when nothing is reported, 1 when anything is, 2 when the file
cannot be read.

As a library::

    from reference_verifier import verify_export
    problems = verify_export(data)   # list of (code, seq | None, author | None)

Section numbers (§) refer to wal-v1.md. It also checks members' countersignatures,
the signatures members make on their phones over what they consent to (docs/wal-format.md,
"Member countersignatures", which this part follows), reported with the codes of
`COUNTERSIG_CODES`; and the heads witnessed at a meeting's close (docs/wal-format.md,
"Heads witnessed at the meeting"): each member's signature over the witness statement by
a key of theirs (the same codes), and each witnessed head against the export
(`WITNESS_CODES`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Problem = tuple[str, int | None, str | None]

WAL_PREFIX = b"chitnode.wal.v1:"  # §3
SEAL_PREFIX = b"chitnode.export.v1:"  # §6.3
MAX_SAFE_INT = 2**53 - 1  # §2
ZERO_HASH = "0" * 64  # §4

ENTRY_FIELDS = frozenset(
    {"v", "branch", "author", "seq", "prev", "ts", "deps", "kind", "body", "hash", "sig"}
)  # §1
HEADER_FIELDS = frozenset({"format", "v", "branch", "root", "exporter", "created_ms", "count"})
SEAL_FIELDS = frozenset({"format", "v", "count", "lines_sha256", "sig"})
HEADER_FORMAT = "chitnode-export"
SEAL_FORMAT = "chitnode-export-seal"
ROLES = frozenset({"admin", "foreman", "employee", "member", "auditor"})  # §5

GENESIS = "branch.genesis"
ENROLLED = "device.enrolled"
REVOKED = "device.revoked"

KIND_RE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")  # §1, used with fullmatch
HEX32_RE = re.compile(r"[0-9a-f]{32}")
HEX64_RE = re.compile(r"[0-9a-f]{64}")
HEX128_RE = re.compile(r"[0-9a-f]{128}")
LABEL_RE = re.compile(r"[0-9A-Za-z]{1,128}")

# Problem codes of §6.
BAD_HASH = "bad_hash"
BAD_SIG = "bad_sig"
BROKEN_CHAIN = "broken_chain"
GAP = "gap"
FORK = "fork"
BAD_FORMAT = "bad_format"
UNKNOWN_AUTHOR = "unknown_author"
UNAUTHORISED = "unauthorised"
BAD_SEAL = "bad_seal"
COUNT_MISMATCH = "count_mismatch"
CODES = (
    BAD_HASH,
    BAD_SIG,
    BROKEN_CHAIN,
    GAP,
    FORK,
    BAD_FORMAT,
    UNKNOWN_AUTHOR,
    UNAUTHORISED,
    BAD_SEAL,
    COUNT_MISMATCH,
)

# Member countersignatures (docs/wal-format.md, "Member countersignatures"): not §6 codes.
CONSENT_NS = "chitnode.consent.v1"  # the statement's "ns"
KEY_ENROLLED = "member.key_enrolled"
KEY_REVOKED = "member.key_revoked"
# A group whose `group.created` body says `"consent": "signed.v1"`, or is silent after the
# branch's `branch.consent_rule_set`, takes every member's consent only signed (10.5).
CONSENT_RULE = "branch.consent_rule_set"
CONSENT_SIGNED = "signed.v1"
FOREMAN_ATTESTER = "foreman"
# kind -> (the body field naming the member, the body fields the member signs)
CONSENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "agreement.signed": ("member_id", ("group_id", "member_id", "terms_hash")),
    "auction.bid": (
        "actor",
        ("group_id", "month", "ticket", "discount_paise", "actor", "cmd_id"),
    ),
    "minutes.attested": ("attester", ("group_id", "month", "attester", "minutes_hash")),
    "lot.contributed": ("actor", ("group_id", "month", "actor", "contribution")),
}
COUNTERSIG_MISSING = "countersig_missing"
COUNTERSIG_BAD = "countersig_bad"
COUNTERSIG_KEY_REVOKED = "countersig_key_revoked"
COUNTERSIG_REPLAYED = "countersig_replayed"
COUNTERSIG_NO_KEY = "countersig_no_key"
COUNTERSIG_CODES = (
    COUNTERSIG_MISSING,
    COUNTERSIG_BAD,
    COUNTERSIG_KEY_REVOKED,
    COUNTERSIG_REPLAYED,
    COUNTERSIG_NO_KEY,
)

# Heads witnessed at the meeting (docs/wal-format.md, "Heads witnessed at the meeting"): the
# members' signatures over the witness statement are checked as consents' are (their codes
# above, for a key that is not the member's current one or a signature that fails), plus:
WITNESS_KIND = "heads.witnessed"
WITNESS_NS = "chitnode.witness.v1"  # the witness statement's "ns"
WITNESS_BAD = "witness_bad"  # heads or witnesses malformed (11.1)
WITNESS_DUPLICATE = "witness_duplicate"  # one member twice in one entry
WITNESS_CONFLICT = "witness_conflict"  # the export holds another entry at a witnessed place
WITNESS_CODES = (WITNESS_BAD, WITNESS_DUPLICATE, WITNESS_CONFLICT)
WITNESS_FIELDS = frozenset({"member_id", "key", "sig"})


# --------------------------------------------------------------------------- helpers


def canonical(value: Any) -> bytes:
    """§2 canonical bytes (valid only for values that obey the §2 restrictions)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def entry_hash(entry: dict[str, Any]) -> str:
    """§2: sha256 of canonical(entry without "hash" and "sig"), lowercase hex."""
    content = {k: v for k, v in entry.items() if k not in ("hash", "sig")}
    return hashlib.sha256(canonical(content)).hexdigest()


def ed25519_ok(public_hex: str, message: bytes, sig_hex: object) -> bool:
    if not isinstance(sig_hex, str):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        key.verify(bytes.fromhex(sig_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def consent_member(kind: str, body: dict[str, Any]) -> str | None:
    """The member whose consent an entry of a consent kind is (None: the foreman's
    attestation, or no member named, which chitnode's own rules refuse)."""
    member = body.get(CONSENTS[kind][0])
    if not isinstance(member, str) or (kind == "minutes.attested" and member == FOREMAN_ATTESTER):
        return None
    return member


def consent_statement(kind: str, body: dict[str, Any], branch: str) -> bytes | None:
    """The bytes a member signs for a consent entry; None when it names no member or a
    signed field is missing."""
    _, fields = CONSENTS[kind]
    member = consent_member(kind, body)
    if member is None or any(f not in body for f in fields):
        return None
    frame = {"ns": CONSENT_NS, "branch": branch, "kind": kind, "member": member}
    return canonical({**frame, **{f: body[f] for f in fields}})


def witness_statement(branch: str, group_id: Any, month: Any, heads: Any) -> bytes:
    """The bytes each member present signs to witness `heads` (wal-format.md 11.2)."""
    body = {"ns": WITNESS_NS, "branch": branch, "group_id": group_id, "month": month}
    return canonical({**body, "heads": heads})


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_hex(x: Any, pattern: re.Pattern[str]) -> bool:
    return isinstance(x, str) and pattern.fullmatch(x) is not None


def _restriction_violations(value: Any) -> list[str]:
    """§2 restrictions: integers only, |n| <= 2^53-1, ASCII keys (no dups: see parse)."""
    out: list[str] = []
    stack = [value]
    while stack:
        x = stack.pop()
        if isinstance(x, float):
            out.append(f"non-integer number {x!r}")
        elif _is_int(x):
            if abs(x) > MAX_SAFE_INT:
                out.append(f"integer {x} beyond 2^53-1")
        elif isinstance(x, dict):
            for k, v in x.items():
                if not k.isascii():
                    out.append(f"non-ASCII object key {k!r}")
                stack.append(v)
        elif isinstance(x, list):
            stack.extend(x)
    return out


def parse_line(raw: bytes) -> tuple[Any, list[str]]:
    """Parse one line strictly. Returns (value or None, reasons it is not canonical)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [f"not UTF-8: {exc}"]
    duplicates: list[str] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for k, v in pairs:
            if k in obj:
                duplicates.append(k)
            obj[k] = v
        return obj

    def reject_constant(name: str) -> Any:
        raise ValueError(f"non-standard number {name}")

    try:
        value = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=reject_constant)
    except (ValueError, RecursionError) as exc:
        return None, [f"not JSON: {exc}"]
    reasons = [f"duplicate key {k!r}" for k in duplicates]
    reasons += _restriction_violations(value)
    try:
        canon = canonical(value)
    except (UnicodeEncodeError, ValueError) as exc:
        reasons.append(f"not encodable as UTF-8 JSON: {exc}")
    else:
        if canon != raw:
            reasons.append("line bytes are not canonical(json.loads(line))")
    return value, reasons


# --------------------------------------------------------------------------- model


@dataclass
class Entry:
    line: int  # 0-based line index in the file
    raw: bytes
    obj: dict[str, Any] | None
    author: str | None = None  # valid hex64 or None
    seq: int | None = None  # valid int >= 1 or None
    label: str | None = None  # what to print in the AUTHOR column
    prev: str | None = None
    hash: str | None = None
    kind: str | None = None
    body: dict[str, Any] | None = None
    deps: list[tuple[str, int, str]] = field(default_factory=list)
    bad_format: bool = False
    hash_ok: bool = False
    sig_ok: bool = False

    @property
    def placed(self) -> bool:
        return self.author is not None and self.seq is not None

    @property
    def authentic(self) -> bool:
        return self.hash_ok and self.sig_ok and not self.bad_format


@dataclass
class Report:
    problems: list[tuple[int, str, int | None, str | None, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    entries: int = 0
    authors: int = 0

    def add(self, order: int, code: str, seq: int | None, author: str | None, why: str) -> None:
        self.problems.append((order, code, seq, author, why))

    def file(self, order: int, code: str, why: str) -> None:
        self.add(order, code, None, None, why)

    def on(self, e: Entry, code: str, why: str) -> None:
        self.add(e.line, code, e.seq, e.label, why)

    def sorted_problems(self) -> list[tuple[str, int | None, str | None, str]]:
        seen: set[tuple[str, int | None, str | None]] = set()
        out = []
        for _, code, seq, author, why in sorted(self.problems, key=lambda p: p[0]):
            if (code, seq, author) in seen:
                continue
            seen.add((code, seq, author))
            out.append((code, seq, author, why))
        return out


# --------------------------------------------------------------------------- format checks


def _header_problems(h: Any) -> list[str]:
    if not isinstance(h, dict):
        return ["header is not an object"]
    why = []
    if set(h) != HEADER_FIELDS:
        why.append(f"header fields {sorted(h)} != {sorted(HEADER_FIELDS)}")
    if h.get("format") != HEADER_FORMAT:
        why.append("header format")
    if not (_is_int(h.get("v")) and h.get("v") == 1):
        why.append("header v must be integer 1")
    if not _is_hex(h.get("branch"), HEX32_RE):
        why.append("header branch must be 32 lowercase hex")
    for k in ("root", "exporter"):
        if not _is_hex(h.get(k), HEX64_RE):
            why.append(f"header {k} must be 64 lowercase hex")
    if not _is_int(h.get("created_ms")):
        why.append("header created_ms must be an integer")
    if not (_is_int(h.get("count")) and h["count"] >= 0):
        why.append("header count must be an integer >= 0")
    return why


def _seal_problems(s: Any) -> list[str]:
    if not isinstance(s, dict):
        return ["seal is not an object"]
    why = []
    if set(s) != SEAL_FIELDS:
        why.append(f"seal fields {sorted(s)} != {sorted(SEAL_FIELDS)}")
    if not (_is_int(s.get("v")) and s.get("v") == 1):
        why.append("seal v must be integer 1")
    if not (_is_int(s.get("count")) and s["count"] >= 0):
        why.append("seal count must be an integer >= 0")
    if not _is_hex(s.get("lines_sha256"), HEX64_RE):
        why.append("seal lines_sha256 must be 64 lowercase hex")
    if not _is_hex(s.get("sig"), HEX128_RE):
        why.append("seal sig must be 128 lowercase hex")
    return why


def _body_problems(kind: str, body: dict[str, Any], author: Any) -> list[str]:
    """Bodies whose shape §5 fixes (the authority kinds)."""
    why = []
    if kind == GENESIS:
        if set(body) != {"branch_name", "root"}:
            why.append("branch.genesis body fields must be branch_name, root")
        if not isinstance(body.get("branch_name"), str):
            why.append("branch.genesis branch_name must be a string")
        if body.get("root") != author:
            why.append("branch.genesis body.root must equal the author")
    elif kind == ENROLLED:
        if set(body) != {"key", "role", "name"}:
            why.append("device.enrolled body fields must be key, role, name")
        if not _is_hex(body.get("key"), HEX64_RE):
            why.append("device.enrolled key must be 64 lowercase hex")
        if body.get("role") not in ROLES:
            why.append(f"device.enrolled role must be one of {sorted(ROLES)}")
        if not isinstance(body.get("name"), str):
            why.append("device.enrolled name must be a string")
    elif kind == REVOKED:
        # §5 as amended: after_seq (an integer >= 0); a revocation written before may lack it
        if set(body) not in ({"key", "reason"}, {"key", "reason", "after_seq"}):
            why.append("device.revoked body fields must be key, reason[, after_seq]")
        if "after_seq" in body and not (_is_int(body["after_seq"]) and body["after_seq"] >= 0):
            why.append("device.revoked after_seq must be an integer >= 0")
        if not _is_hex(body.get("key"), HEX64_RE):
            why.append("device.revoked key must be 64 lowercase hex")
        if not isinstance(body.get("reason"), str):
            why.append("device.revoked reason must be a string")
    return why


def _entry_problems(e: dict[str, Any], branch: str | None) -> list[str]:
    """§1 field rules. Fills nothing; pure check."""
    why = []
    if set(e) != ENTRY_FIELDS:
        missing = sorted(ENTRY_FIELDS - set(e))
        extra = sorted(set(e) - ENTRY_FIELDS)
        why.append(f"entry fields: missing {missing}, extra {extra}")
    if not (_is_int(e.get("v")) and e.get("v") == 1):
        why.append("v must be integer 1")
    if not _is_hex(e.get("branch"), HEX32_RE):
        why.append("branch must be 32 lowercase hex")
    elif branch is not None and e["branch"] != branch:
        why.append("branch differs from the header's branch")
    if not _is_hex(e.get("author"), HEX64_RE):
        why.append("author must be 64 lowercase hex")
    if not (_is_int(e.get("seq")) and e["seq"] >= 1):
        why.append("seq must be an integer >= 1")
    if not _is_hex(e.get("prev"), HEX64_RE):
        why.append("prev must be 64 lowercase hex")
    if not _is_int(e.get("ts")):
        why.append("ts must be an integer")
    deps = e.get("deps")
    if not isinstance(deps, list):
        why.append("deps must be an array")
    else:
        authors = []
        for d in deps:
            if not (
                isinstance(d, list)
                and len(d) == 3
                and _is_hex(d[0], HEX64_RE)
                and _is_int(d[1])
                and d[1] >= 1
                and _is_hex(d[2], HEX64_RE)
            ):
                why.append(f"deps item {d!r} is not [hex64 author, seq >= 1, hex64 hash]")
                continue
            authors.append(d[0])
        if authors != sorted(authors):
            why.append("deps not sorted by author")
        if len(set(authors)) != len(authors):
            why.append("more than one deps item for one author")
        if e.get("author") in authors:
            why.append("deps names the entry's own author (deps are heads of other feeds)")
    kind = e.get("kind")
    if not (isinstance(kind, str) and KIND_RE.fullmatch(kind)):
        why.append(f"kind {kind!r} does not match the kind pattern")
    body = e.get("body")
    if not isinstance(body, dict):
        why.append("body must be an object")
    elif isinstance(kind, str):
        why += _body_problems(kind, body, e.get("author"))
    if not _is_hex(e.get("hash"), HEX64_RE):
        why.append("hash must be 64 lowercase hex")
    if not _is_hex(e.get("sig"), HEX128_RE):
        why.append("sig must be 128 lowercase hex")
    return why


# --------------------------------------------------------------------------- verify


def _split_lines(data: bytes, report: Report) -> list[bytes]:
    if data.endswith(b"\n"):
        return data[:-1].split(b"\n")
    report.file(-1, BAD_FORMAT, "file does not end with a newline")
    return data.split(b"\n")


def _make_entry(line: int, raw: bytes, branch: str | None, report: Report) -> Entry:
    obj, reasons = parse_line(raw)
    e = Entry(line=line, raw=raw, obj=obj if isinstance(obj, dict) else None)
    if e.obj is None:
        report.file(
            line, BAD_FORMAT, f"line {line + 1}: " + "; ".join(reasons or ["not an object"])
        )
        e.bad_format = True
        return e
    o = e.obj
    if _is_hex(o.get("author"), HEX64_RE):
        e.author = o["author"]
    if isinstance(o.get("author"), str) and LABEL_RE.fullmatch(o["author"]):
        e.label = o["author"]
    if _is_int(o.get("seq")) and o["seq"] >= 1:
        e.seq = o["seq"]
    if _is_hex(o.get("prev"), HEX64_RE):
        e.prev = o["prev"]
    if _is_hex(o.get("hash"), HEX64_RE):
        e.hash = o["hash"]
    if isinstance(o.get("kind"), str):
        e.kind = o["kind"]
    if isinstance(o.get("body"), dict):
        e.body = o["body"]
    if isinstance(o.get("deps"), list):
        e.deps = [
            (d[0], d[1], d[2])
            for d in o["deps"]
            if isinstance(d, list)
            and len(d) == 3
            and _is_hex(d[0], HEX64_RE)
            and _is_int(d[1])
            and d[1] >= 1
            and _is_hex(d[2], HEX64_RE)
            and d[0] != e.author
        ]
    reasons = reasons + _entry_problems(o, branch)
    if reasons:
        e.bad_format = True
        report.on(e, BAD_FORMAT, "; ".join(reasons))

    # §2 hash: only meaningful when the stored hash is well-formed.
    if e.hash is not None:
        try:
            computed = entry_hash(o)
        except (UnicodeEncodeError, ValueError):
            computed = None
        if computed == e.hash:
            e.hash_ok = True
        else:
            report.on(e, BAD_HASH, f"stored hash {e.hash} != computed {computed}")
    # §3 signature over the *stored* hash (what the author claims to have signed).
    sig = o.get("sig")
    if e.author is not None and e.hash is not None and _is_hex(sig, HEX128_RE):
        if ed25519_ok(e.author, WAL_PREFIX + bytes.fromhex(e.hash), sig):
            e.sig_ok = True
        else:
            report.on(e, BAD_SIG, "signature does not verify under the author key")
    return e


def _check_feeds(entries: list[Entry], report: Report) -> dict[str, dict[int, list[Entry]]]:
    """§6.2 ordering, §4 chain rules, forks and gaps. Returns author -> seq -> entries."""
    # Ordering: grouped by author ascending, seq ascending within an author.
    last: Entry | None = None
    for e in entries:
        if not e.placed:
            continue
        if last is not None:
            assert last.author is not None and e.author is not None
            assert last.seq is not None and e.seq is not None
            if e.author < last.author or (e.author == last.author and e.seq < last.seq):
                report.on(e, BAD_FORMAT, "entry out of order (author ascending, then seq)")
        last = e

    feeds: dict[str, dict[int, list[Entry]]] = defaultdict(lambda: defaultdict(list))
    for e in entries:
        if e.placed:
            assert e.author is not None and e.seq is not None
            feeds[e.author][e.seq].append(e)

    for author in sorted(feeds):
        by_seq = feeds[author]
        prior: int | None = None
        for seq in sorted(by_seq):
            group = by_seq[seq]
            # Duplicates and forks (§4): two *different* authenticated entries at one seq.
            seen_raw: set[bytes] = set()
            for e in group:
                if e.raw in seen_raw:
                    report.on(e, BAD_FORMAT, "the same entry appears twice")
                seen_raw.add(e.raw)
            authentic_hashes = {e.hash for e in group if e.authentic}
            if len(authentic_hashes) > 1:
                for e in group:
                    if e.authentic:
                        report.on(e, FORK, f"{len(authentic_hashes)} signed entries at seq {seq}")
            # Chain (§4, §6.2).
            if prior is None:
                if seq == 1:
                    for e in group:
                        if e.prev is not None and e.prev != ZERO_HASH:
                            report.on(e, BROKEN_CHAIN, "seq 1 without the all-zero prev")
                else:
                    report.notes.append(
                        f"partial feed: author {author} is exported from seq {seq}"
                        " (its prev is taken as given)"
                    )
            elif prior == seq - 1:
                linked = {p.hash for p in by_seq[prior] if p.hash is not None}
                for e in group:
                    if e.prev is not None and e.prev not in linked:
                        report.on(e, BROKEN_CHAIN, f"prev is not the hash of seq {prior}")
            else:
                for e in group:
                    report.on(e, GAP, f"seq {prior} is followed by seq {seq}")
            prior = seq
    return feeds


def _vector_clocks(
    entries: list[Entry], feeds: dict[str, dict[int, list[Entry]]], report: Report
) -> tuple[dict[int, dict[str, int]], dict[int, bool]]:
    """Per-entry vector clocks over prev/deps edges (§5 "precedes causally").

    vc[line][a] = the highest seq of author a that causally precedes-or-is the
    entry. incomplete[line] is True when part of the entry's causal past is not
    in the file (partial feed, gap, broken link, or a dep not exported).
    """
    by_line = {e.line: e for e in entries if e.placed}
    seqs_of = {a: sorted(s) for a, s in feeds.items()}

    def below(author: str, seq: int, inclusive: bool) -> list[Entry]:
        """Entries of `author` at the highest exported seq < seq (or <= seq)."""
        best = None
        for s in seqs_of.get(author, ()):
            if s < seq or (inclusive and s == seq):
                best = s
        return feeds[author][best] if best is not None else []

    edges: dict[int, list[int]] = {}
    own_incomplete: dict[int, bool] = {}
    for e in by_line.values():
        assert e.author is not None and e.seq is not None
        parents: list[Entry] = []
        incomplete = False
        if e.seq > 1:
            cands = below(e.author, e.seq, inclusive=False)
            linked = [p for p in cands if p.seq == e.seq - 1 and p.hash == e.prev]
            if linked:
                parents += linked
            else:
                parents += cands
                incomplete = True
        for da, ds, dh in e.deps:
            exact = [d for d in feeds.get(da, {}).get(ds, []) if d.hash == dh]
            if exact:
                parents += exact
                continue
            incomplete = True
            if feeds.get(da, {}).get(ds):
                report.on(e, BROKEN_CHAIN, f"deps names {da}:{ds} with a hash not in the file")
            else:
                report.notes.append(f"deps name {da}:{ds}, which is not in this export")
            parents += below(da, ds, inclusive=False)
        edges[e.line] = [p.line for p in parents]
        own_incomplete[e.line] = incomplete

    vc: dict[int, dict[str, int]] = {}
    inc: dict[int, bool] = {}
    state: dict[int, int] = {}  # 1 = on stack, 2 = done
    for start in by_line:
        if start in state:
            continue
        stack: list[tuple[int, int]] = [(start, 0)]
        state[start] = 1
        while stack:
            node, i = stack[-1]
            kids = edges[node]
            if i < len(kids):
                stack[-1] = (node, i + 1)
                k = kids[i]
                if k not in state:
                    state[k] = 1
                    stack.append((k, 0))
                continue  # a back edge (cycle from forged hashes) is ignored
            e = by_line[node]
            assert e.author is not None and e.seq is not None
            clock: dict[str, int] = {e.author: e.seq}
            incomplete = own_incomplete[node]
            for k in kids:
                if state.get(k) != 2:
                    continue
                for a, s in vc[k].items():
                    if s > clock.get(a, 0):
                        clock[a] = s
                incomplete = incomplete or inc[k]
            vc[node] = clock
            inc[node] = incomplete
            state[node] = 2
            stack.pop()
    return vc, inc


def _precedes(vc: dict[int, dict[str, int]], a: Entry, b: Entry) -> bool:
    """§5 "precedes causally": a is in b's causal past (by the vector clocks)."""
    assert a.author is not None and a.seq is not None and b.seq is not None
    if a.line == b.line:
        return False
    if a.author == b.author:
        return a.seq < b.seq
    return vc[b.line].get(a.author, 0) >= a.seq


def _check_authority(
    entries: list[Entry],
    root: str | None,
    vc: dict[int, dict[str, int]],
    incomplete: dict[int, bool],
    report: Report,
) -> None:
    """§5: genesis by root (one per branch); device.* only by admins; others by enrolled,
    unrevoked keys; and, as amended, no entry past the `after_seq` of a revocation of
    its key, wherever that revocation is.

    Which revocations count is settled first: a revocation can cut the entries its own
    author's authority rests on, so "authorised" is iterated from both sides until the
    set of revocations that may count stops shrinking, and that (cautious) set counts.
    """
    placed = [e for e in entries if e.placed]

    def precedes(a: Entry, b: Entry) -> bool:
        return _precedes(vc, a, b)

    ever_enrolled = {
        e.body["key"]
        for e in placed
        if e.kind == ENROLLED and e.body is not None and isinstance(e.body.get("key"), str)
    }
    # A causal order: if a precedes b, sum(vc[a]) < sum(vc[b]).
    order = sorted(placed, key=lambda x: (sum(vc[x.line].values()), x.line))
    revocations = [
        e
        for e in order
        if e.kind == REVOKED and e.authentic and e.body and isinstance(e.body.get("key"), str)
    ]

    def judged(counted: set[int]) -> tuple[set[int], list[tuple[Entry, str, str]], list[str]]:
        """Authorised lines, problems and notes when exactly `counted` revocations count."""
        cap: dict[str, int] = {}
        revokes: dict[str, list[Entry]] = defaultdict(list)
        for rv in revocations:
            body = rv.body or {}
            key, after = str(body.get("key")), body.get("after_seq")
            if rv.line in counted:
                revokes[key].append(rv)
                if isinstance(after, int) and not isinstance(after, bool):
                    cap[key] = min(cap.get(key, after), after)
        enrolls: dict[str, list[Entry]] = defaultdict(list)
        good: set[int] = set()
        problems: list[tuple[Entry, str, str]] = []
        notes: list[str] = []
        for e in order:
            assert e.author is not None and e.seq is not None
            ok = True
            if e.kind == GENESIS and e.author != root:
                # §5 as amended: a branch is its id and its root; exactly one genesis per
                # branch, so any other one is not authorised, whoever wrote it.
                problems.append(
                    (e, UNAUTHORISED, "a second branch.genesis: only the root's founds it")
                )
                continue
            if e.author == root:
                pass
            elif e.author not in ever_enrolled:
                ok = False
                problems.append(
                    (e, UNKNOWN_AUTHOR, "author is not the root and never enrolled in this file")
                )
            elif e.author in cap and e.seq > cap[e.author]:
                ok = False
                problems.append((e, UNAUTHORISED, "past the after_seq of a revocation of its key"))
            else:
                lenient = incomplete[e.line]
                active = []
                for en in enrolls[e.author]:
                    if not (precedes(en, e) or (lenient and not precedes(e, en))):
                        continue
                    if any(precedes(rv, e) and not precedes(rv, en) for rv in revokes[e.author]):
                        continue
                    active.append(en)
                if not active:
                    ok = False
                    revoked = any(precedes(rv, e) for rv in revokes[e.author])
                    problems.append(
                        (
                            e,
                            UNAUTHORISED,
                            "author revoked before this entry"
                            if revoked
                            else "no authorised enrollment of the author precedes this entry",
                        )
                    )
                else:
                    if not all(precedes(a, e) for a in active):
                        notes.append(
                            f"author {e.author}: the causal past of some entries is not all in"
                            " the export; an enrollment not after them is assumed to precede them"
                        )
                    latest = [a for a in active if not any(precedes(a, b) for b in active)]
                    is_admin = all(
                        a.body is not None and a.body.get("role") == "admin" for a in latest
                    )
                    if e.kind in (ENROLLED, REVOKED) and not is_admin:
                        ok = False
                        problems.append((e, UNAUTHORISED, f"{e.kind} written by a non-admin key"))
            if ok:
                good.add(e.line)
            # Only a sound, authorised entry grants authority.
            if ok and e.authentic and e.body is not None:
                named = e.body.get("key")
                if e.kind == ENROLLED and isinstance(named, str):
                    enrolls[named].append(e)
                elif e.kind == REVOKED and named == root:
                    notes.append("a device.revoked names the root key; the root stays")
        return good, problems, notes

    def counting(counted: set[int]) -> set[int]:
        good = judged(counted)[0]
        return {rv.line for rv in revocations if rv.line in good}

    upper = counting(set())
    for _ in range(len(revocations) + 1):
        shrunk = counting(counting(upper))
        if shrunk == upper:
            break
        upper = shrunk
    _, problems, notes = judged(upper)
    for e, code, why in problems:
        report.on(e, code, why)
    report.notes.extend(notes)


def _countersig(value: Any) -> tuple[str, str] | None:
    """(key, sig) of a well-formed `countersig` value, else None."""
    if not isinstance(value, dict) or set(value) != {"key", "sig"}:
        return None
    key, sig = value["key"], value["sig"]
    return (key, sig) if _is_hex(key, HEX64_RE) and _is_hex(sig, HEX128_RE) else None


def _signed_groups(
    order: list[Entry], precedes: Callable[[Entry, Entry], bool]
) -> dict[str, Entry]:
    """group_id -> its `group.created`, for groups held to signed consent in every order the
    fold may choose: each creation of that id asks for it, or is silent and follows a rule."""
    rules = [
        e
        for e in order
        if e.kind == CONSENT_RULE and (e.body or {}).get("consent") == CONSENT_SIGNED
    ]
    made: dict[str, list[Entry]] = defaultdict(list)
    for e in order:
        gid = (e.body or {}).get("group_id")
        if e.kind == "group.created" and isinstance(gid, str):
            made[gid].append(e)

    def signed(e: Entry) -> bool:
        body = e.body or {}
        if "consent" in body:
            return bool(body["consent"] == CONSENT_SIGNED)
        return any(precedes(r, e) for r in rules)

    return {gid: es[0] for gid, es in made.items() if len(es) == 1 and signed(es[0])}


def _check_countersignatures(
    entries: list[Entry], vc: dict[int, dict[str, int]], report: Report
) -> None:
    """Members' countersignatures (docs/wal-format.md, "Member countersignatures").

    A key counts for a member from its first `member.key_enrolled` (a key is enrolled
    once, for one member); it ends at a `member.key_revoked` of it, or at the member's next
    enrolment, for the entries those precede causally. A consent entry by a member with a
    key before it needs a countersig by a current key over its statement; a statement
    counts once. Only what holds in every order the fold may place concurrent entries in
    is reported: a key enrolled concurrently is given the benefit, one revoked
    concurrently is a note.
    """
    sound = [e for e in entries if e.placed and e.authentic and e.body is not None]
    order = sorted(sound, key=lambda x: (sum(vc[x.line].values()), x.line))

    def precedes(a: Entry, b: Entry) -> bool:
        return _precedes(vc, a, b)

    owner: dict[str, str] = {}  # key -> the member its first enrolment names
    enrols: dict[str, list[Entry]] = defaultdict(list)  # member -> its keys' enrolments
    ends: dict[str, list[Entry]] = defaultdict(list)  # key -> its revocations
    for e in order:
        body = e.body or {}
        member, key = body.get("member_id"), body.get("key")
        if not isinstance(member, str) or not isinstance(key, str) or not _is_hex(key, HEX64_RE):
            continue
        if e.kind == KEY_ENROLLED and key not in owner:
            owner[key] = member
            enrols[member].append(e)
        elif e.kind == KEY_REVOKED and owner.get(key) == member:
            ends[key].append(e)

    def ended(enrolment: Entry, e: Entry) -> bool:
        """Whether the key `enrolment` enrolled no longer signs for entry `e`."""
        key = (enrolment.body or {})["key"]
        member = (enrolment.body or {})["member_id"]
        if any(precedes(rv, e) for rv in ends[key]):
            return True
        return any(precedes(enrolment, o) and precedes(o, e) for o in enrols[member])

    signed_groups = _signed_groups(order, precedes)
    statements: set[bytes] = set()
    for e in order:
        if e.kind not in CONSENTS:
            continue
        body = e.body or {}
        member = consent_member(str(e.kind), body)
        if member is None:
            continue
        before = [en for en in enrols[member] if precedes(en, e)]
        if "countersig" not in body:
            if before:
                current = [en for en in before if not ended(en, e)]
                code = COUNTERSIG_MISSING if current else COUNTERSIG_NO_KEY
                report.on(e, code, f"{member} has an enrolled key: their consent needs it")
            elif (made := signed_groups.get(str(body.get("group_id")))) is not None:
                concurrent = [en for en in enrols[member] if not precedes(e, en)]
                if precedes(made, e) and not concurrent:
                    report.on(e, COUNTERSIG_NO_KEY, "a signed group's consent, and no key")
            continue
        given = _countersig(body["countersig"])
        if given is None:
            report.on(e, COUNTERSIG_BAD, 'countersig is not {"key": hex64, "sig": hex128}')
            continue
        key, sig = given
        possible = [en for en in enrols[member] if not precedes(e, en)]
        if not possible:
            report.on(e, COUNTERSIG_NO_KEY, f"{member} has no key enrolled before this entry")
            continue
        named = [en for en in possible if (en.body or {})["key"] == key]
        if not named:
            report.on(e, COUNTERSIG_BAD, f"the countersig's key is not one of {member}'s")
            continue
        if all(ended(en, e) for en in named):
            report.on(e, COUNTERSIG_KEY_REVOKED, "signed by a key revoked or replaced before it")
            continue
        statement = consent_statement(str(e.kind), body, str((e.obj or {}).get("branch")))
        if statement is None or not ed25519_ok(key, statement, sig):
            report.on(e, COUNTERSIG_BAD, "the countersig does not verify over its statement")
            continue
        if statement in statements:
            report.on(e, COUNTERSIG_REPLAYED, "the same signed statement is used again")
            continue
        statements.add(statement)
        if any(not precedes(rv, e) and not precedes(e, rv) for rv in ends[key]):
            report.notes.append(
                f"a countersig of {member} is concurrent with the revocation of its key: "
                "the fold's order decides it"
            )
    _check_witnesses(order, enrols, ended, precedes, report)


def _witness_heads(value: Any) -> list[tuple[str, int, str]] | None:
    """The heads of a heads.witnessed body: 1+ [author hex64, seq >= 1, hash hex64], one
    per author, sorted by author; None when malformed."""
    if not isinstance(value, list) or not value:
        return None
    heads = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 3):
            return None
        author, seq, digest = item
        if not (_is_hex(author, HEX64_RE) and _is_int(seq) and seq >= 1):
            return None
        if not _is_hex(digest, HEX64_RE):
            return None
        heads.append((author, seq, digest))
    authors = [h[0] for h in heads]
    return heads if authors == sorted(set(authors)) else None


def _check_witnesses(
    order: list[Entry],
    enrols: dict[str, list[Entry]],
    ended: Callable[[Entry, Entry], bool],
    precedes: Callable[[Entry, Entry], bool],
    report: Report,
) -> None:
    """Each `heads.witnessed` (wal-format.md 11): its heads well formed and, where this
    export holds an entry at a witnessed (author, seq), that entry's hash; each member's
    signature over the witness statement by a key of theirs that no enrolment or
    revocation preceding the entry had ended (as for a consent)."""
    held = {(e.author, e.seq): e.hash for e in order}
    for e in order:
        if e.kind != WITNESS_KIND:
            continue
        body = e.body or {}
        heads = _witness_heads(body.get("heads"))
        witnesses = body.get("witnesses", [])
        if heads is None or not isinstance(witnesses, list):
            report.on(e, WITNESS_BAD, "heads or witnesses are malformed")
            continue
        for author, seq, digest in heads:
            found = held.get((author, seq))
            if found is not None and found != digest:
                report.on(e, WITNESS_CONFLICT, f"another entry stands at {author[:12]}:{seq}")
        branch = str((e.obj or {}).get("branch"))
        signed = witness_statement(branch, body.get("group_id"), body.get("month"), body["heads"])
        seen: set[str] = set()
        for w in witnesses:
            if not (isinstance(w, dict) and set(w) == WITNESS_FIELDS):
                report.on(e, WITNESS_BAD, 'a witness is {"member_id", "key", "sig"}')
                continue
            member, given = w["member_id"], _countersig({"key": w["key"], "sig": w["sig"]})
            if not isinstance(member, str) or given is None:
                report.on(e, WITNESS_BAD, "a witness's member, key or sig is malformed")
                continue
            if member in seen:
                report.on(e, WITNESS_DUPLICATE, f"{member} witnesses twice")
                continue
            seen.add(member)
            key, sig = given
            possible = [en for en in enrols[member] if not precedes(e, en)]
            named = [en for en in possible if (en.body or {})["key"] == key]
            if not possible:
                report.on(e, COUNTERSIG_NO_KEY, f"{member} has no key enrolled before this entry")
            elif not named:
                report.on(e, COUNTERSIG_BAD, f"the witness's key is not one of {member}'s")
            elif all(ended(en, e) for en in named):
                report.on(e, COUNTERSIG_KEY_REVOKED, "signed by a key revoked or replaced before")
            elif not ed25519_ok(key, signed, sig):
                report.on(e, COUNTERSIG_BAD, f"{member}'s signature does not verify over the heads")


def verify_report(data: bytes) -> Report:
    """Verify a whole export; never stops at the first problem."""
    report = Report()
    if not data:
        report.file(-1, BAD_FORMAT, "empty file: no header")
        report.file(1, BAD_SEAL, "no seal")
        return report
    lines = _split_lines(data, report)
    n = len(lines)

    # Header (§6.1).
    first, first_why = parse_line(lines[0])
    header: dict[str, Any] | None = None
    start = 0
    if isinstance(first, dict) and "format" in first:
        start = 1
        why = first_why + _header_problems(first)
        if why:
            report.file(-1, BAD_FORMAT, "header: " + "; ".join(why))
        header = first
    else:
        report.file(-1, BAD_FORMAT, "first line is not a header")

    # Seal (§6.3).
    seal: dict[str, Any] | None = None
    end = n
    if n - 1 >= start:
        last, last_why = parse_line(lines[-1])
        if isinstance(last, dict) and last.get("format") == SEAL_FORMAT:
            end = n - 1
            seal = last
            why = last_why + _seal_problems(last)
            if why:
                report.file(n, BAD_FORMAT, "seal: " + "; ".join(why))
    if seal is None:
        report.file(n, BAD_SEAL, "no seal line at the end of the file")

    def hget(k: str, pattern: re.Pattern[str]) -> str | None:
        return header[k] if header is not None and _is_hex(header.get(k), pattern) else None

    branch, root, exporter = (
        hget("branch", HEX32_RE),
        hget("root", HEX64_RE),
        hget("exporter", HEX64_RE),
    )

    # Entries (§1–§3).
    entries = [_make_entry(i, lines[i], branch, report) for i in range(start, end)]
    report.entries = len(entries)

    if root is None:  # no usable header: fall back to an authentic genesis
        for e in entries:
            if e.kind == GENESIS and e.seq == 1 and e.authentic:
                root = e.author
                break
    for e in entries:
        if e.author is not None and e.author == root and e.seq == 1 and e.kind != GENESIS:
            report.on(e, BAD_FORMAT, "the root's seq 1 must be branch.genesis")
        if e.kind == GENESIS and e.seq is not None and e.seq != 1:
            report.on(e, BAD_FORMAT, "branch.genesis must be seq 1")

    feeds = _check_feeds(entries, report)
    report.authors = len(feeds)
    vc, incomplete = _vector_clocks(entries, feeds, report)
    _check_authority(entries, root, vc, incomplete, report)
    _check_countersignatures(entries, vc, report)

    # Counts (§6.1, §6.3).
    counts = {
        "header": header.get("count") if header is not None else None,
        "seal": seal.get("count") if seal is not None else None,
    }
    wrong = [f"{k} says {v}" for k, v in counts.items() if _is_int(v) and v != len(entries)]
    if wrong:
        report.file(n + 1, COUNT_MISMATCH, f"{len(entries)} entry lines but " + ", ".join(wrong))

    # Seal digest and signature (§6.3).
    if seal is not None:
        digest = hashlib.sha256(b"".join(line + b"\n" for line in lines[:-1])).hexdigest()
        claimed, sig = seal.get("lines_sha256"), seal.get("sig")
        if claimed != digest:
            report.file(n, BAD_SEAL, f"lines_sha256 {claimed} != sha256 of the lines {digest}")
        elif exporter is None or not _is_hex(sig, HEX128_RE):
            report.file(n, BAD_SEAL, "no usable exporter key or seal signature")
        elif not ed25519_ok(exporter, SEAL_PREFIX + bytes.fromhex(digest), sig):
            report.file(n, BAD_SEAL, "seal signature does not verify under the exporter key")
    if exporter is not None and exporter != root:
        enrolled = {e.body.get("key") for e in entries if e.kind == ENROLLED and e.body}
        if exporter not in enrolled:
            report.notes.append(f"exporter {exporter} is neither the root nor enrolled in the file")
    report.notes = list(dict.fromkeys(report.notes))
    return report


def verify_export(data: bytes) -> list[Problem]:
    """Return every problem as (code, seq or None, author or None)."""
    return [(c, s, a) for c, s, a, _ in verify_report(data).sorted_problems()]


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a chitnode .chitlog export (WAL v1).")
    parser.add_argument("file", help="the .chitlog file, or - for standard input")
    parser.add_argument("--explain", action="store_true", help="append the reason to each line")
    args = parser.parse_args(argv)
    try:
        if args.file == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.file, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    report = verify_report(data)
    problems = report.sorted_problems()
    for code, seq, author, why in problems:
        line = f"{code} {'-' if seq is None else seq} {author or '-'}"
        print(f"{line}  # {why}" if args.explain else line)
    for note in report.notes:
        print(f"note: {note}")
    tally: dict[str, int] = defaultdict(int)
    for code, *_ in problems:
        tally[code] += 1
    every = (*CODES, *COUNTERSIG_CODES, *WITNESS_CODES)
    detail = ", ".join(f"{c}={tally[c]}" for c in every if tally[c])
    verdict = "FAIL" if problems else "OK"
    print(
        f"summary: {verdict}: {report.entries} entries, {report.authors} authors, "
        f"{len(problems)} problems" + (f" ({detail})" if detail else "")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
