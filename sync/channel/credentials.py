"""This device's channel credential: an Ed25519 TLS key and its self-signed certificate.

TLS wants an X.509 certificate and its own private key; the WAL key stays out of TLS
(it signs entries only, wal-v1 §3). The certificate is self-signed and pinned: what
makes it this device's is a `device.channel_bound` entry in the log
(`chitnode.log.channel`), not a CA, so its validity dates mean nothing and span
everything.

At rest, in `<data>/channel/`:
- `cert.pem`: the certificate (public);
- `key.pem`: the private key as an encrypted PKCS#8 PEM (`BestAvailableEncryption`),
  never plaintext;
- its random password held like the device key (`chitnode.store.keys`): in the OS
  keyring when one is usable (service `chitnode`, user `channel:<device key>`), else
  in `password.key` sealed with the device passphrase (argon2id + SecretBox);
- `channel.json`: which of the two, and the device key the credential belongs to.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID
from nacl.signing import SigningKey

from chitnode.domain.kernel_kinds import CHANNEL_BOUND, channel_certs
from chitnode.errors import ChitError, KeyUnavailable
from chitnode.log.channel import cert_fingerprint, sign_binding
from chitnode.node.node import Node
from chitnode.store import keys

CHANNEL_DIR = "channel"
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
PASSWORD_FILE = "password.key"
META_FILE = "channel.json"
PASSWORD_BYTES = 32  # random; the PEM's encryption key is derived from it by OpenSSL
# Pinned, not chained to a CA: the log says which certificate is whose, so the dates
# only have to never get in the way.
NOT_BEFORE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC)


class ChannelCredentialError(ChitError):
    """The channel folder holds a credential of another device, or a damaged one."""

    code = "bad_channel_credential"


@dataclass(frozen=True, slots=True)
class ChannelCredential:
    device_key: str  # the WAL key (hex) this credential belongs to
    cert_der: bytes
    cert_path: Path
    key_path: Path
    password: bytes  # opens key.pem; kept in memory only

    @property
    def fingerprint(self) -> str:
        return cert_fingerprint(self.cert_der)

    @property
    def cert_b64(self) -> str:
        return base64.b64encode(self.cert_der).decode()

    def own_binding(self) -> dict[str, Any]:
        """The body of the `device.channel_bound` this device writes for itself."""
        return {"cert_b64": self.cert_b64}

    def binding_for_admin(self, device_key: SigningKey, branch: str) -> dict[str, Any]:
        """The body an admin writes to bind this (joining) device's certificate for it."""
        if device_key.verify_key.encode().hex() != self.device_key:
            raise ChannelCredentialError("that is not this credential's device key")
        sig = sign_binding(device_key, branch, self.cert_der)
        return {
            "key": self.device_key,
            "cert_b64": self.cert_b64,
            "sig_b64": base64.b64encode(sig).decode(),
        }


def fingerprint(cert_der: bytes) -> str:
    """SHA-256 of a certificate's DER, lowercase hex."""
    return cert_fingerprint(cert_der)


def load_or_create(data_dir: Path | str, device_key: str) -> ChannelCredential:
    """This device's credential from `<data>/channel/`, made on first use."""
    folder = Path(data_dir) / CHANNEL_DIR
    meta_path = folder / META_FILE
    if not meta_path.exists():
        return _create(folder, device_key)
    try:
        meta = json.loads(meta_path.read_text())
        holder, where = meta["device_key"], meta["password"]
        cert = x509.load_pem_x509_certificate((folder / CERT_FILE).read_bytes())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ChannelCredentialError(f"cannot read {folder}: {exc}") from exc
    if holder != device_key:
        raise ChannelCredentialError(f"{folder} holds the credential of another device key")
    password = _load_password(folder, device_key, where)
    cred = ChannelCredential(
        device_key,
        cert.public_bytes(serialization.Encoding.DER),
        folder / CERT_FILE,
        folder / KEY_FILE,
        password,
    )
    _check_key(cred)
    return cred


def ensure_bound(node: Node, cred: ChannelCredential) -> bool:
    """Write this device's `device.channel_bound` unless the log already binds this cert.

    Runs on the node's thread. Returns whether it wrote one. An unenrolled device
    cannot write: its admin binds its certificate when enrolling it (invites).
    """
    if channel_certs(node.engine.state).get(node.public) == cred.cert_der:
        return False
    node.submit(CHANNEL_BOUND, cred.own_binding())
    return True


# --- making one -----------------------------------------------------------------------


def _create(folder: Path, device_key: str) -> ChannelCredential:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    private = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"chitnode {device_key[:16]}")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(private, None)  # Ed25519 signs without a separate hash
    )
    password = secrets.token_bytes(PASSWORD_BYTES)
    where = _save_password(folder, device_key, password)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )
    _write(folder / KEY_FILE, pem)
    _write(folder / CERT_FILE, cert.public_bytes(serialization.Encoding.PEM))
    # Last: its presence says the credential is whole.
    _write(
        folder / META_FILE,
        json.dumps({"v": 1, "device_key": device_key, "password": where}).encode(),
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return ChannelCredential(device_key, der, folder / CERT_FILE, folder / KEY_FILE, password)


def _write(path: Path, data: bytes) -> None:
    """Atomically, owner-only (0600), synced before the rename."""
    temp = path.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def _check_key(cred: ChannelCredential) -> None:
    """The key file opens with the password and matches the certificate."""
    try:
        private = serialization.load_pem_private_key(
            cred.key_path.read_bytes(), password=cred.password
        )
    except (OSError, ValueError, TypeError) as exc:
        raise ChannelCredentialError(f"cannot open {cred.key_path}: {exc}") from exc
    cert = x509.load_der_x509_certificate(cred.cert_der)
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    if private.public_key().public_bytes(*raw) != cert.public_key().public_bytes(*raw):
        raise ChannelCredentialError(f"{cred.key_path} is not the key of {cred.cert_path}")


# --- the password, held like the device key ------------------------------------------


def _username(device_key: str) -> str:
    return f"channel:{device_key}"


def _save_password(folder: Path, device_key: str, password: bytes) -> str:
    if keys.usable_keyring() is not None:
        import keyring

        keyring.set_password(keys.KEYRING_SERVICE, _username(device_key), password.hex())
        return "keyring"
    keys.write_key_document(folder / PASSWORD_FILE, keys.seal_with_passphrase(password))
    return "file"


def _load_password(folder: Path, device_key: str, where: str) -> bytes:
    if where == "file":
        return keys.open_with_passphrase(
            keys.read_key_document(folder / PASSWORD_FILE), PASSWORD_FILE
        )
    if keys.usable_keyring() is None:
        raise KeyUnavailable("the channel key's password is in an OS keyring not available now")
    import keyring

    text = keyring.get_password(keys.KEYRING_SERVICE, _username(device_key))
    if text is None:
        raise KeyUnavailable("no channel key password in the OS keyring")
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise KeyUnavailable("the OS keyring holds a damaged channel key password") from exc
