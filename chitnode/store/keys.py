"""Device secret keys: the OS keyring, or a passphrase-encrypted file (DESIGN.md, Security).

Never plaintext on disk, never in logs. A keyring backend that stores plaintext
(keyrings.alt's PlaintextKeyring) or that cannot store anything (the `fail`
backend of headless Linux) counts as no keyring, and the key goes into
`device.key` sealed with `nacl.pwhash` argon2id + `SecretBox`.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.exceptions import CryptoError
from nacl.signing import SigningKey

from chitnode import limits
from chitnode.errors import KeyUnavailable

_ARGON = nacl.pwhash.argon2id
assert (limits.KEY_FILE_OPSLIMIT, limits.KEY_FILE_MEMLIMIT) == (
    _ARGON.OPSLIMIT_INTERACTIVE,
    _ARGON.MEMLIMIT_INTERACTIVE,
), "limits names libsodium's interactive level"
assert (limits.KEY_FILE_OPSLIMIT_MAX, limits.KEY_FILE_MEMLIMIT_MAX) == (
    _ARGON.OPSLIMIT_SENSITIVE,
    _ARGON.MEMLIMIT_SENSITIVE,
), "and its sensitive level as the ceiling"
assert (limits.KEY_FILE_OPSLIMIT_MIN, limits.KEY_FILE_MEMLIMIT_MIN) == (
    _ARGON.OPSLIMIT_MIN,
    _ARGON.MEMLIMIT_MIN,
), "and its minimum as the floor"

KEY_FILE = "device.key"
KEYRING_SERVICE = "chitnode"
PASSPHRASE_ENV = "CHITNODE_PASSPHRASE"
KEYSTORE_ENV = "CHITNODE_KEYSTORE"  # "file" forces the encrypted file even with a keyring


class KeyExists(KeyUnavailable):
    """A key file is already there: a device key is never overwritten (it is a branch's root)."""

    code = "key_exists"


class KeyStore(Protocol):
    def save(self, key: SigningKey, *, replacing: str | None = None) -> str: ...
    def load(self, public_hex: str) -> SigningKey: ...


def usable_keyring() -> object | None:
    """The keyring backend if it really stores secrets safely, else None."""
    if os.environ.get(KEYSTORE_ENV) == "file":
        return None
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:
        return None
    name = type(backend).__name__.lower()
    if isinstance(backend, fail.Keyring) or "plaintext" in name or "null" in name:
        return None
    if getattr(backend, "priority", 1) <= 0:
        return None
    return backend


@dataclass(slots=True)
class KeyringKeyStore:
    backend: object

    def save(self, key: SigningKey, *, replacing: str | None = None) -> str:
        """Entries are keyed by public key: a new key never replaces another."""
        import keyring

        public = key.verify_key.encode().hex()
        keyring.set_password(KEYRING_SERVICE, public, bytes(key).hex())
        return "keyring"

    def load(self, public_hex: str) -> SigningKey:
        import keyring

        seed = keyring.get_password(KEYRING_SERVICE, public_hex)
        if seed is None:
            raise KeyUnavailable(f"no key for {public_hex[:12]}… in the OS keyring")
        return SigningKey(bytes.fromhex(seed))


def passphrase(*, confirm: bool) -> bytes:
    """From CHITNODE_PASSPHRASE, else a prompt on a terminal; never echoed or logged."""
    text = os.environ.get(PASSPHRASE_ENV)
    if text is None:
        if sys.stdin is None or sys.stdin.closed or not sys.stdin.isatty():
            raise KeyUnavailable(
                f"no usable OS keyring: set {PASSPHRASE_ENV} or run on a terminal to be asked"
            )
        try:
            text = getpass.getpass("Passphrase for this device's key: ")
            if confirm and getpass.getpass("Again: ") != text:
                raise KeyUnavailable("passphrases differ")
        except (EOFError, OSError) as exc:  # the terminal went away while asking
            raise KeyUnavailable(f"could not read a passphrase: {exc or 'end of input'}") from exc
    if len(text.encode()) < limits.PASSPHRASE_BYTES_MIN:
        raise KeyUnavailable(f"passphrase must be at least {limits.PASSPHRASE_BYTES_MIN} bytes")
    return text.encode()


def seal_with_passphrase(secret: bytes) -> dict[str, Any]:
    """A key document: `secret` sealed with SecretBox under an argon2id key of the passphrase."""
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    box_key = nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE,
        passphrase(confirm=True),
        salt,
        opslimit=limits.KEY_FILE_OPSLIMIT,
        memlimit=limits.KEY_FILE_MEMLIMIT,
    )
    sealed = nacl.secret.SecretBox(box_key).encrypt(secret)
    return {
        "v": 1,
        "kdf": "argon2id",
        "opslimit": limits.KEY_FILE_OPSLIMIT,
        "memlimit": limits.KEY_FILE_MEMLIMIT,
        "salt": salt.hex(),
        "box": bytes(sealed).hex(),
    }


def open_with_passphrase(doc: dict[str, Any], what: str, given: bytes | None = None) -> bytes:
    """The secret in a key document; KeyUnavailable on a wrong passphrase or a damaged file.
    `given`: the passphrase to try (the app's staff unlock) instead of asking for one."""
    try:
        salt, box = bytes.fromhex(doc["salt"]), bytes.fromhex(doc["box"])
        opslimit = _cost(
            doc["opslimit"],
            limits.KEY_FILE_OPSLIMIT_MIN,
            limits.KEY_FILE_OPSLIMIT_MAX,
            "opslimit",
            what,
        )
        memlimit = _cost(
            doc["memlimit"],
            limits.KEY_FILE_MEMLIMIT_MIN,
            limits.KEY_FILE_MEMLIMIT_MAX,
            "memlimit",
            what,
        )
        box_key = nacl.pwhash.argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE,
            given if given is not None else passphrase(confirm=False),
            salt,
            opslimit=opslimit,
            memlimit=memlimit,
        )
        return nacl.secret.SecretBox(box_key).decrypt(box)
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyUnavailable(f"cannot read {what}: {exc}") from exc
    except CryptoError as exc:
        raise KeyUnavailable(f"wrong passphrase for {what}") from exc


def _cost(value: object, low: int, high: int, name: str, what: str) -> int:
    """An argon2 cost read from a key file, refused outside [low, high] before any work."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise KeyUnavailable(
            f"{what} asks for argon2 {name} {value!r}, outside {low}..{high}: refusing to "
            "spend that (a damaged or hostile key file)",
            code="bad_key_params",
        )
    return value


def write_key_document(path: Path, doc: dict[str, Any]) -> None:
    """Write atomically, readable by the owner only (0600), synced before the rename."""
    temp = path.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(doc, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def read_key_document(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeyUnavailable(f"cannot read {path.name}: {exc}") from exc
    if not isinstance(doc, dict):
        raise KeyUnavailable(f"{path.name} is not a sealed key document")
    return doc


def _public_in(path: Path) -> str | None:
    """The public key a key document names, if it is readable at all."""
    try:
        public = read_key_document(path).get("public")
    except KeyUnavailable:
        return None
    return public if isinstance(public, str) else None


@dataclass(slots=True)
class FileKeyStore:
    data_dir: Path

    def save(self, key: SigningKey, *, replacing: str | None = None) -> str:
        """Seal `key` into device.key. A file already there is replaced only when it holds
        `replacing` (this device's own retired key, on re-keying); else KeyExists, before
        any passphrase is asked. Callers hold the folder's writer lock."""
        path = self.data_dir / KEY_FILE
        if path.exists() and (replacing is None or _public_in(path) != replacing):
            raise KeyExists(f"{KEY_FILE} exists: a device key is never overwritten")
        doc = seal_with_passphrase(bytes(key))
        doc["public"] = key.verify_key.encode().hex()
        write_key_document(path, doc)
        return "file"

    def load(self, public_hex: str) -> SigningKey:
        doc = read_key_document(self.data_dir / KEY_FILE)
        try:
            key = SigningKey(open_with_passphrase(doc, KEY_FILE))
        except (ValueError, TypeError) as exc:  # a secret of the wrong size
            raise KeyUnavailable(f"{KEY_FILE} does not hold a device key") from exc
        if key.verify_key.encode().hex() != public_hex:
            raise KeyUnavailable("device.key holds another device's key")
        return key


def keystore_for(data_dir: Path, kind: str | None = None) -> KeyStore:
    """The key store recorded for this folder (`kind`), or the best available one."""
    if kind == "file":
        return FileKeyStore(data_dir)
    backend = usable_keyring()
    if kind == "keyring" and backend is None:
        raise KeyUnavailable("this device's key is in an OS keyring that is not available now")
    return KeyringKeyStore(backend) if backend is not None else FileKeyStore(data_dir)
