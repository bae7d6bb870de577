"""The bytes a member signs: a namespaced, canonical statement of one consent (issue 15).

Every node writes entries with its own device key, so the entry's signature proves which
device wrote it, never which member agreed. A member's consent (agreement signed, bid
placed, minutes attested, lot contributed) therefore carries a second signature, the
member's own, made on the member's phone over the statement returned here:

    canonical({"ns": NAMESPACE, "branch": ..., "kind": ..., "member": ..., <the fields>})

`canonical` is the log's own (wal-v1 §2), so an auditor's tool rebuilds the statement
from the entry with the JSON rules it already has (docs/wal-format.md, "Member
countersignatures"). A JSON object, because the phone's signer page (ui/signer.py,
assets/signer) shows the member every field it signs and refuses a statement naming
another `member` or `branch`. `ns` keeps it apart from everything else a member key
signs (the signer's enrolment challenge has its own `ns`; the log's and the export's
signing messages are not JSON). The branch binds a signature to one branch, the kind
to one act, the member to one person; the fields are exactly what the member agrees
to, copied from the entry's body under the same names. The signature sits in the body as
`"countersig": {"key": <hex64>, "sig": <hex128>}`, outside the statement it signs.

Pure: bytes in, bytes out (signing for tests and the demo takes the seed as an argument).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from chitnode.errors import RuleViolation
from chitnode.log.canonical import canonical
from chitnode.log.entry import HEX64_RE, HEX128_RE

# The statement's `ns`: versioned, and no other message a member key signs carries it.
NAMESPACE = "chitnode.consent.v1"
FRAME = ("ns", "branch", "kind", "member")  # the statement's own fields, besides the body's
COUNTERSIG = "countersig"  # the body field that holds {"key", "sig"}

# The body fields each consent signs, by kind: all of them, so nothing a member agreed to
# can be changed under the signature. A bid's `cmd_id` is its nonce: the same offer made
# twice is two statements, and the log's exactly-once command ids refuse a replay of one.
CONSENT_FIELDS: dict[str, tuple[str, ...]] = {
    "agreement.signed": ("group_id", "member_id", "terms_hash"),
    "auction.bid": ("group_id", "month", "ticket", "discount_paise", "actor", "cmd_id"),
    "minutes.attested": ("group_id", "month", "attester", "minutes_hash"),
    "lot.contributed": ("group_id", "month", "actor", "contribution"),
}
# The body field naming the member whose consent the entry is; `minutes.attested` by the
# foreman (attester "foreman") is the foreman's, not a member's (FOREMAN_ATTESTER).
CONSENT_MEMBER: dict[str, str] = {
    "agreement.signed": "member_id",
    "auction.bid": "actor",
    "minutes.attested": "attester",
    "lot.contributed": "actor",
}
FOREMAN_ATTESTER = "foreman"  # chit_kinds_base.FOREMAN_ATTESTER: the log layer cannot import it
assert not {f for fields in CONSENT_FIELDS.values() for f in fields} & set(FRAME), (
    "a body field would overwrite the statement's own"
)


def is_consent(kind: str) -> bool:
    return kind in CONSENT_FIELDS


def consent_member(kind: str, body: Mapping[str, Any]) -> str | None:
    """The member whose consent an entry of `kind` with `body` is, or None when it is none
    (not a consent kind, the foreman's attestation, or no member named: the kind's own
    rules refuse that with `actor_missing`)."""
    field = CONSENT_MEMBER.get(kind)
    member = body.get(field) if field is not None else None
    if not isinstance(member, str) or (kind == "minutes.attested" and member == FOREMAN_ATTESTER):
        return None
    return member


def statement_for(kind: str, body: Mapping[str, Any], branch: str) -> bytes:
    """The exact bytes a member signs to consent to `body` of `kind` in `branch`.

    Raises RuleViolation `bad_body` when `kind` is not a consent or the body lacks a
    field the statement signs (a countersigned bid without its `cmd_id`).
    """
    fields = CONSENT_FIELDS.get(kind)
    member = consent_member(kind, body)
    if fields is None or member is None:
        raise RuleViolation(f"{kind} with this body is not a member's consent", code="bad_body")
    missing = [f for f in fields if f not in body]
    if missing:
        raise RuleViolation(f"a countersigned {kind} needs {missing}", code="bad_body")
    frame = {"ns": NAMESPACE, "branch": branch, "kind": kind, "member": member}
    return canonical({**frame, **{f: body[f] for f in fields}})


def countersig_of(body: Mapping[str, Any]) -> tuple[str, str] | None:
    """(key, sig) of the body's countersignature, None when it has none; RuleViolation
    `countersig_bad` when it is there but not `{"key": hex64, "sig": hex128}`."""
    value = body.get(COUNTERSIG)
    if value is None:
        return None
    ok = isinstance(value, dict) and set(value) == {"key", "sig"}
    key, sig = (value.get("key"), value.get("sig")) if isinstance(value, dict) else (None, None)
    ok = ok and isinstance(key, str) and HEX64_RE.match(key) is not None
    ok = ok and isinstance(sig, str) and HEX128_RE.match(sig) is not None
    if not ok:
        raise RuleViolation(
            'countersig must be {"key": 64 hex, "sig": 128 hex}', code="countersig_bad"
        )
    return str(key), str(sig)


def signature_ok(key_hex: str, statement: bytes, sig_hex: str) -> bool:
    """Whether `sig_hex` is `key_hex`'s Ed25519 signature of exactly `statement`."""
    try:
        VerifyKey(bytes.fromhex(key_hex)).verify(statement, bytes.fromhex(sig_hex))
    except (BadSignatureError, ValueError):  # ValueError: a key that is not a curve point
        return False
    return True


def countersign(seed: bytes, kind: str, body: Mapping[str, Any], branch: str) -> dict[str, str]:
    """The `countersig` value a member with Ed25519 `seed` puts in `body` (what the phone's
    signer page computes; tests and the demo sign with it)."""
    key = SigningKey(seed)
    signed = key.sign(statement_for(kind, body, branch)).signature
    return {"key": key.verify_key.encode().hex(), "sig": signed.hex()}
