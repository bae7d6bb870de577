"""One WAL entry: fields, hash, signature (wal-v1 §1-§3).

An `Entry` is only ever built by `seal_entry` (the writer) or `entry_from_json`
(the reader), and both check every field; hash and signature checks are
separate (`check_hash`, `check_sig`) so a verifier can report each problem.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from dataclasses import dataclass
from typing import Any

import orjson
from nacl.bindings import crypto_sign, crypto_sign_BYTES, crypto_sign_seed_keypair
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from chitnode import limits
from chitnode.errors import BadFormat, BadHash, BadSignature
from chitnode.log.canonical import canonical, check_value, encode_checked, parse_canonical

FORMAT_VERSION = 1
ZERO_HASH = "0" * 64
WAL_SIG_PREFIX = b"chitnode.wal.v1:"
FIELDS = frozenset(
    {"v", "branch", "author", "seq", "prev", "ts", "deps", "kind", "body", "hash", "sig"}
)
# \Z, not $: `$` also matches before a trailing newline, which bytes.fromhex would then skip.
KIND_RE = re.compile(r"\A[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+\Z")
HEX32_RE = re.compile(r"\A[0-9a-f]{32}\Z")
HEX64_RE = re.compile(r"\A[0-9a-f]{64}\Z")
HEX128_RE = re.compile(r"\A[0-9a-f]{128}\Z")

Dep = tuple[str, int, str]  # (author, seq, hash)


@dataclass(frozen=True, slots=True)
class Entry:
    """A checked WAL entry. `raw` is its canonical line bytes (without newline)."""

    branch: str
    author: str
    seq: int
    prev: str
    ts: int
    deps: tuple[Dep, ...]
    kind: str
    body: dict[str, Any]
    hash: str
    sig: str
    raw: bytes

    @property
    def key(self) -> tuple[int, str, int]:
        """Tie-break order of the fold: (ts, author, seq) (DESIGN.md)."""
        return (self.ts, self.author, self.seq)

    def unsigned(self) -> dict[str, Any]:
        return {
            "v": FORMAT_VERSION,
            "branch": self.branch,
            "author": self.author,
            "seq": self.seq,
            "prev": self.prev,
            "ts": self.ts,
            "deps": [list(d) for d in self.deps],
            "kind": self.kind,
            "body": self.body,
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.unsigned(), "hash": self.hash, "sig": self.sig}


def entry_hash(unsigned: dict[str, Any]) -> str:
    """wal-v1 §2: sha256 of the canonical entry without `hash` and `sig`."""
    return hashlib.sha256(canonical(unsigned)).hexdigest()


def sign_message(hash_hex: str) -> bytes:
    return WAL_SIG_PREFIX + bytes.fromhex(hash_hex)


def _require(cond: bool, what: str) -> None:
    if not cond:
        raise BadFormat(what)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_fields(obj: Any) -> None:
    """Raise BadFormat unless `obj` has exactly the wal-v1 §1 fields with valid types."""
    _require(isinstance(obj, dict), "an entry must be a JSON object")
    _require(set(obj) == FIELDS, f"fields must be exactly {sorted(FIELDS)}")
    _require(obj["v"] == FORMAT_VERSION and _is_int(obj["v"]), "v must be 1")
    _require(isinstance(obj["author"], str) and bool(HEX64_RE.match(obj["author"])), "bad author")
    _require(isinstance(obj["hash"], str) and bool(HEX64_RE.match(obj["hash"])), "bad hash field")
    _require(isinstance(obj["sig"], str) and bool(HEX128_RE.match(obj["sig"])), "bad sig field")
    _check_given_fields(obj)


def _check_given_fields(obj: dict[str, Any]) -> None:
    """The checks of the fields a writer is given (all but v, author, hash and sig).

    Integer ranges are checked here too: a reader's §2 walk would also find them, but
    the writer walks only the body. A non-zero prev at seq 1 is broken_chain, not
    bad_format (§6), so it is not checked here.
    """
    seq, ts, kind = obj["seq"], obj["ts"], obj["kind"]
    _require(isinstance(obj["branch"], str) and bool(HEX32_RE.match(obj["branch"])), "bad branch")
    _require(_is_int(seq) and 1 <= seq <= limits.JSON_INT_MAX, "seq must be an integer >= 1")
    _require(isinstance(obj["prev"], str) and bool(HEX64_RE.match(obj["prev"])), "bad prev")
    _require(_is_int(ts) and abs(ts) <= limits.JSON_INT_MAX, "ts must be an integer")
    _require(isinstance(kind, str) and bool(KIND_RE.match(kind)), "bad kind")
    _require(len(kind) <= limits.KIND_BYTES_MAX, "kind too long")
    _require(isinstance(obj["body"], dict), "body must be an object")
    check_deps(obj["deps"], obj["author"])


def check_deps(deps: Any, author: str) -> None:
    _require(isinstance(deps, list) and len(deps) <= limits.DEPS_MAX, "deps must be a short list")
    last = ""
    for dep in deps:
        _require(isinstance(dep, list) and len(dep) == 3, "a dep is [author, seq, hash]")
        dep_author, dep_seq, dep_hash = dep
        _require(isinstance(dep_author, str) and bool(HEX64_RE.match(dep_author)), "bad dep author")
        _require(_is_int(dep_seq) and dep_seq >= 1, "bad dep seq")
        _require(isinstance(dep_hash, str) and bool(HEX64_RE.match(dep_hash)), "bad dep hash")
        _require(dep_author != author, "deps name other feeds only")
        _require(dep_author > last, "deps sorted by author, at most one per author")
        last = dep_author


def entry_from_json(obj: Any, raw: bytes | None = None) -> Entry:
    """Build an Entry from a parsed object after checking its format (not hash or sig).

    `raw`, when given, must be the canonical bytes of `obj` already checked by
    `canonical` or `parse_canonical` (the one walk over every value happens there).
    """
    check_fields(obj)
    line = canonical(obj) if raw is None else raw
    _require(len(line) <= limits.ENTRY_BYTES_MAX, "entry too large")
    return _entry(obj, line)


def _entry(obj: dict[str, Any], raw: bytes) -> Entry:
    return Entry(
        branch=obj["branch"],
        author=obj["author"],
        seq=obj["seq"],
        prev=obj["prev"],
        ts=obj["ts"],
        deps=tuple((d[0], d[1], d[2]) for d in obj["deps"]),
        kind=obj["kind"],
        body=obj["body"],
        hash=obj["hash"],
        sig=obj["sig"],
        raw=raw,
    )


def parse_entry(line: bytes) -> Entry:
    """Parse one canonical entry line (no newline); format only (see check_hash/check_sig)."""
    _require(len(line) <= limits.ENTRY_BYTES_MAX, "entry too large")
    return entry_from_json(parse_canonical(line), raw=line)


def entry_from_stored(raw: str) -> Entry:
    """Rebuild an Entry from a line this store checked when it arrived (fast path)."""
    return _entry(orjson.loads(raw), raw.encode())


def unsigned_bytes(raw: bytes) -> bytes:
    """Canonical bytes without the top-level `hash` and `sig` members, cut from `raw`.

    Exact because `raw` is canonical (sorted keys, no spaces): after the top-level
    `"hash"` come only `kind`, `prev`, `seq`, `sig`, `ts`, `v`, and after `"sig"`
    only `ts`, `v`: none can hold the text searched for, so the last match is the
    top-level member (the body, which could, comes before both).
    """
    i = raw.rfind(b',"hash":"')
    raw = raw[:i] + raw[i + 9 + 64 + 1 :]
    j = raw.rfind(b',"sig":"')
    return raw[:j] + raw[j + 8 + 128 + 1 :]


def check_hash(entry: Entry) -> None:
    if hashlib.sha256(unsigned_bytes(entry.raw)).hexdigest() != entry.hash:
        raise BadHash(f"hash does not match entry {entry.author[:12]}…#{entry.seq}")


_VERIFY_KEYS: dict[str, VerifyKey] = {}  # a branch has few authors: build each key once


def _verify_key(author: str) -> VerifyKey:
    key = _VERIFY_KEYS.get(author)
    if key is None:
        if len(_VERIFY_KEYS) >= limits.DEPS_MAX * 4:
            _VERIFY_KEYS.clear()
        key = _VERIFY_KEYS[author] = VerifyKey(bytes.fromhex(author))
    return key


def check_sig(entry: Entry) -> None:
    try:
        _verify_key(entry.author).verify(sign_message(entry.hash), bytes.fromhex(entry.sig))
    except (BadSignatureError, ValueError) as exc:
        raise BadSignature(f"bad signature on {entry.author[:12]}…#{entry.seq}") from exc


def seal_entry(
    key: SigningKey,
    *,
    branch: str,
    seq: int,
    prev: str,
    ts: int,
    deps: tuple[Dep, ...],
    kind: str,
    body: dict[str, Any],
) -> Entry:
    """Build, hash and sign a new entry; every field is checked as a reader would.

    The fields a caller passes get the reader's checks (`_check_given_fields`, the §2
    walk of the body); `author`, `hash` and `sig` are made here and are well formed by
    construction, so the writer does not check them again.
    """
    unsigned = {
        "v": FORMAT_VERSION,
        "branch": branch,
        "author": key.verify_key.encode().hex(),
        "seq": seq,
        "prev": prev,
        "ts": ts,
        "deps": [list(d) for d in deps],
        "kind": kind,
        "body": body,
    }
    _check_given_fields(unsigned)
    check_value(body, depth=1)  # the body sits one level down in the entry
    digest = hashlib.sha256(encode_checked(unsigned)).hexdigest()
    sig = _sign(key, sign_message(digest)).hex()
    full = {**unsigned, "hash": digest, "sig": sig}
    raw = encode_checked(full)
    _require(len(raw) <= limits.ENTRY_BYTES_MAX, "entry too large")
    return _entry(full, raw)


# The 64-byte libsodium secret of each signing key in use, derived once: signing through
# the binding skips the wrapper objects `SigningKey.sign` builds on every call. Keyed by
# identity (a SigningKey's own __eq__ is a constant-time compare, too slow for a lookup)
# and dropped when its SigningKey is collected.
_SECRETS: dict[int, tuple[weakref.ref[SigningKey], bytes]] = {}


def _sign(key: SigningKey, message: bytes) -> bytes:
    """The detached Ed25519 signature of `message` (what `key.sign(m).signature` gives)."""
    known = _SECRETS.get(id(key))
    if known is None or known[0]() is not key:
        ident = id(key)
        ref = weakref.ref(key, lambda _: _SECRETS.pop(ident, None))
        known = _SECRETS[ident] = (ref, crypto_sign_seed_keypair(bytes(key))[1])
    return crypto_sign(message, known[1])[:crypto_sign_BYTES]
