"""Members' phone keys and the foreman's next entry, for built exports (tamper.py's
vectors): what the countersignature and witness tests of the reference verifier share.
Keys made up for these tests, with `cryptography`, never chitnode."""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.vectors import tamper as t

PHONE = {
    m: Ed25519PrivateKey.from_private_bytes(hashlib.sha256(m.encode()).digest())
    for m in ("phone M1", "phone M1 new", "phone M2")
}
M1, M1_NEW, M2 = (t.pub(PHONE[k]) for k in ("phone M1", "phone M1 new", "phone M2"))


def foreman_writes(entries: list[t.Entry], kind: str, body: dict[str, Any]) -> list[t.Entry]:
    """The foreman's next entry, after everything in `entries` (deps on every head)."""
    heads: dict[str, int] = {}
    for e in entries:
        heads[e["author"]] = max(heads.get(e["author"], 0), e["seq"])
    deps = [(a, s) for a, s in heads.items() if a != t.FOREMAN]
    return [*entries, t.new_entry(entries, t.FOREMAN_SK, kind, body, deps=deps)]


def with_key() -> list[t.Entry]:
    """The vectors, then the foreman enrols M1's phone key."""
    return foreman_writes(t.base(), "member.key_enrolled", {"member_id": "M1", "key": M1})
