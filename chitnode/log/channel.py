"""The binding of a device's WAL key to its peer-channel certificate (docs/sync.md, "Channel").

Peers authenticate each other with TLS certificates, not with their WAL keys: TLS
needs an X.509 certificate and its own private key. What makes a certificate a
device's is the log: an entry `device.channel_bound` names it, and the binding is
signed by that device's WAL key, either as the author of the entry (binding its own
certificate) or, when an admin enrols a joining device and its certificate together,
by a detached signature of the joining device over `binding_message`. Any node can
check either; nothing here opens a socket or parses the certificate (the kernel pins
its bytes; `sync/channel` reads it).

The message is domain-separated (wal-v1 §3: the WAL prefix keeps entry signatures
apart from everything else a key signs) and names the branch, so a binding shown in
one branch means nothing in another.
"""

from __future__ import annotations

import hashlib

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

CHANNEL_SIG_PREFIX = b"chitnode.channel.v1:"
SIG_BYTES = 64


def cert_fingerprint(cert_der: bytes) -> str:
    """A certificate's public name: SHA-256 of its DER bytes, lowercase hex."""
    return hashlib.sha256(cert_der).hexdigest()


def binding_message(branch: str, key: str, cert_der: bytes) -> bytes:
    """What a device signs to say "this certificate is mine in this branch"."""
    return b"%s%s:%s:%s" % (
        CHANNEL_SIG_PREFIX,
        branch.encode(),
        key.encode(),
        cert_fingerprint(cert_der).encode(),
    )


def sign_binding(device_key: SigningKey, branch: str, cert_der: bytes) -> bytes:
    """The device's detached signature over its binding (64 bytes)."""
    public = device_key.verify_key.encode().hex()
    return device_key.sign(binding_message(branch, public, cert_der)).signature


def binding_ok(branch: str, key: str, cert_der: bytes, sig: bytes) -> bool:
    """Whether `sig` is `key`'s signature over the binding of `cert_der` in `branch`."""
    if len(sig) != SIG_BYTES:
        return False
    try:
        VerifyKey(bytes.fromhex(key)).verify(binding_message(branch, key, cert_der), sig)
    except (BadSignatureError, ValueError):
        return False
    return True
