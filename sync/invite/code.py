"""The invite code: what a joining device needs to find, trust and join a branch.

Pure: bytes and text in, an `Invite` or a stable error out; no clock, no network.

A code carries the branch (its id *and* its root: wal-v1 §5, a branch is both), the
inviting node's addresses, the sha256 fingerprint of its channel certificate (the
joiner pins it: nothing is sent to a server that shows another certificate), a
one-time secret, and when it expires. Not the role or the name: those stay on the
inviting node with the secret's hash, so a code says nothing about who is invited.

Layout, version 1 (big-endian):

| bytes | field |
|-------|-------|
| 1 | version (1) |
| 16 | branch id |
| 32 | root key |
| 32 | fingerprint: sha256 of the inviter's certificate (DER) |
| 16 | secret |
| 6 | expires, ms since the epoch |
| 1 | number of addresses, 1..`INVITE_ADDRESSES_MAX` |
| 7 or 19 each | `4` + IPv4 + port, or `6` + IPv6 + port |
| 4 | checksum: the first bytes of sha256 of everything before |

The text form is `CHIT-` and the bytes in Crockford base32 (digits and capitals
without I, L, O, U), in groups of five joined by `-`. Every character of it is in
the QR code's alphanumeric set, so the QR stays small. Reading forgives what people
do when they type: lower case, spaces, missing or extra dashes, `O` for `0`, `I` or
`L` for `1`. A mistyped character fails the checksum (`bad_invite`) with odds of
one in 2^32 of passing.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import struct
from dataclasses import dataclass

from chitnode.errors import ChitError
from chitnode.log.entry import HEX32_RE, HEX64_RE
from sync import limits

CODE_VERSION = 1
PREFIX = "CHIT-"
GROUP_CHARS = 5  # characters between dashes in the text form: easy to read out and type
SECRET_BYTES = 16  # 128 random bits: a guess never lands, so a plain hash stores it safely
CHECKSUM_BYTES = 4
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_DECODE = {c: i for i, c in enumerate(_ALPHABET)} | {"O": 0, "I": 1, "L": 1}
_FIXED = struct.Struct(">B16s32s32s16s6sB")  # version .. number of addresses
_PORT = struct.Struct(">H")
_IP_BYTES = {4: 4, 6: 16}
_SEPARATORS = re.compile(r"[\s\-]+")


class BadInvite(ChitError):
    """Not an invite code: mistyped, cut short, damaged, or of a version this node reads not."""

    code = "bad_invite"


@dataclass(frozen=True, slots=True)
class Invite:
    branch: str  # 32 hex
    root: str  # 64 hex
    fingerprint: str  # 64 hex: sha256 of the inviter's channel certificate
    secret: bytes  # SECRET_BYTES
    expires_ms: int
    addresses: tuple[tuple[str, int], ...]  # (ip, port), the inviter's, best first

    def __post_init__(self) -> None:
        if HEX32_RE.match(self.branch) is None or HEX64_RE.match(self.root) is None:
            raise BadInvite("an invite names a branch id (32 hex) and its root key (64 hex)")
        if HEX64_RE.match(self.fingerprint) is None:
            raise BadInvite("an invite names a certificate fingerprint: 64 lowercase hex")
        if len(self.secret) != SECRET_BYTES:
            raise BadInvite(f"an invite's secret is {SECRET_BYTES} bytes")
        if not 0 <= self.expires_ms < 2**48:
            raise BadInvite("an invite's expiry does not fit its 6 bytes")
        if not 0 < len(self.addresses) <= limits.INVITE_ADDRESSES_MAX:
            raise BadInvite(f"an invite names 1..{limits.INVITE_ADDRESSES_MAX} addresses")
        for host, port in self.addresses:
            _ip(host)
            if not 0 < port < 2**16:
                raise BadInvite(f"not a port: {port}")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(host)
    except ValueError as exc:
        raise BadInvite(f"an invite names addresses by IP, not {host!r}") from exc


def to_bytes(invite: Invite) -> bytes:
    out = bytearray(
        _FIXED.pack(
            CODE_VERSION,
            bytes.fromhex(invite.branch),
            bytes.fromhex(invite.root),
            bytes.fromhex(invite.fingerprint),
            invite.secret,
            invite.expires_ms.to_bytes(6, "big"),
            len(invite.addresses),
        )
    )
    for host, port in invite.addresses:
        ip = _ip(host)
        out += bytes([ip.version]) + ip.packed + _PORT.pack(port)
    out += hashlib.sha256(out).digest()[:CHECKSUM_BYTES]
    return bytes(out)


def from_bytes(data: bytes) -> Invite:
    if len(data) > limits.INVITE_BYTES_MAX:
        raise BadInvite("too long for an invite code")
    if len(data) < _FIXED.size + CHECKSUM_BYTES:
        raise BadInvite("too short for an invite code: part of it is missing")
    body, checksum = data[:-CHECKSUM_BYTES], data[-CHECKSUM_BYTES:]
    if hashlib.sha256(body).digest()[:CHECKSUM_BYTES] != checksum:
        raise BadInvite("the invite code does not add up: a character is mistyped or missing")
    version, branch, root, fingerprint, secret, expires, count = _FIXED.unpack_from(body)
    if version != CODE_VERSION:
        raise BadInvite(f"an invite code of version {version}: this node reads {CODE_VERSION}")
    addresses: list[tuple[str, int]] = []
    at = _FIXED.size
    for _ in range(count):
        size = _IP_BYTES.get(body[at]) if at < len(body) else None
        if size is None or at + 1 + size + _PORT.size > len(body):
            raise BadInvite("the invite code's addresses are damaged")
        host = str(ipaddress.ip_address(body[at + 1 : at + 1 + size]))
        (port,) = _PORT.unpack_from(body, at + 1 + size)
        addresses.append((host, port))
        at += 1 + size + _PORT.size
    if at != len(body):
        raise BadInvite("the invite code has bytes after its addresses")
    return Invite(
        branch=branch.hex(),
        root=root.hex(),
        fingerprint=fingerprint.hex(),
        secret=secret,
        expires_ms=int.from_bytes(expires, "big"),
        addresses=tuple(addresses),
    )


def _base32(data: bytes) -> str:
    bits = len(data) * 8
    number = int.from_bytes(data, "big") << (-bits % 5)  # pad to whole 5-bit groups
    chars = (bits + 4) // 5
    return "".join(_ALPHABET[(number >> (5 * (chars - 1 - i))) & 31] for i in range(chars))


def _unbase32(text: str) -> bytes:
    number = 0
    for char in text:
        value = _DECODE.get(char)
        if value is None:
            raise BadInvite(f"{char!r} is not a character of an invite code")
        number = number << 5 | value
    size, pad = divmod(len(text) * 5, 8)
    if number & ((1 << pad) - 1):  # the last character's spare bits are zero when written
        raise BadInvite("the invite code does not add up: a character is mistyped or extra")
    return (number >> pad).to_bytes(size, "big")


def encode(invite: Invite) -> str:
    """The text form: `CHIT-` and the bytes in groups of `GROUP_CHARS`."""
    chars = _base32(to_bytes(invite))
    groups = [chars[i : i + GROUP_CHARS] for i in range(0, len(chars), GROUP_CHARS)]
    return PREFIX + "-".join(groups)


def decode(text: str) -> Invite:
    """The invite in `text`, forgiving case, spacing and dashes; BadInvite if it is none."""
    if len(text) > limits.INVITE_TEXT_CHARS_MAX:
        raise BadInvite("too long for an invite code")
    packed = _SEPARATORS.sub("", text).upper()
    prefix = PREFIX.rstrip("-")
    if not packed.startswith(prefix):
        raise BadInvite(f"an invite code starts with {PREFIX}")
    return from_bytes(_unbase32(packed[len(prefix) :]))


def secret_hash(secret: bytes) -> str:
    """What the inviting node keeps of a secret. A plain hash is enough: 128 random bits
    cannot be guessed from it (a PIN could, which is why PINs get argon2id)."""
    return hashlib.sha256(b"chitnode-invite-secret\x00" + secret).hexdigest()


__all__ = ["BadInvite", "Invite", "decode", "encode", "from_bytes", "secret_hash", "to_bytes"]
