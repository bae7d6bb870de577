"""The branch staff key: the SecretBox key that seals members' full KYC values.

DESIGN.md, Security: full PAN, bank account and phone go into the log encrypted
to a branch staff key; only masked forms are in clear. This module keeps that
key on a device and moves it between devices. docs/privacy.md tells the story.

- **Birth.** 32 random bytes, made by the root admin's device the first time it
  seals KYC (`ensure_staff_key`). Every other device gets a copy; none makes one,
  so a branch has one staff key.
- **At rest.** Like the device secret (`chitnode.store.keys`): in the OS keyring
  (service `chitnode`, user `staff:<branch>`) when a keyring is usable, else in
  `staff.key` in the data folder, sealed with SecretBox under an argon2id key from
  the same passphrase as `device.key`. Never plaintext on disk, never in the log.
  The meta table records which (`staff_keystore`) and a fingerprint
  (`staff_key_id`, a keyed BLAKE2b of the key; it reveals nothing of it).
- **Travel.** `export_for` seals the key to an enrolled staff device's Ed25519
  key, converted to Curve25519 (`SealedBox`); only that device's secret opens it
  (`import_from`). The payload names the branch, so a key of another branch is
  refused. The bytes go over the encrypted peer channel (the sync issue).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import nacl.hash
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.encoding import RawEncoder
from nacl.exceptions import CryptoError
from nacl.public import SealedBox
from nacl.signing import VerifyKey

from chitnode import limits
from chitnode.domain.apply import role_of
from chitnode.domain.kinds import STAFF
from chitnode.errors import ChitError, KeyUnavailable, RuleViolation, UsageError
from chitnode.log.canonical import canonical, parse_canonical
from chitnode.node.node import Node
from chitnode.store import keys

STAFF_KEY_FILE = "staff.key"
STAFF_KEY_BYTES = nacl.secret.SecretBox.KEY_SIZE  # 32
META_STORE = "staff_keystore"  # "keyring" | "file"
META_ID = "staff_key_id"
TRANSFER_DOC = "chitnode.staff-key.v1"
FINGERPRINT_PERSON = b"chitnode-staff"  # BLAKE2b personalisation, at most 16 bytes


class StaffKeyConflict(ChitError):
    """This device already holds a different staff key for the branch."""

    code = "staff_key_conflict"


def fingerprint(staff_key: bytes) -> str:
    """A short public name for a staff key: keyed BLAKE2b, so it says nothing of the key."""
    digest = nacl.hash.blake2b(
        b"", key=staff_key, digest_size=16, person=FINGERPRINT_PERSON, encoder=RawEncoder
    )
    return digest.hex()


def _username(branch: str) -> str:
    return f"staff:{branch}"


# --- at rest: the passphrase file (the scheme of chitnode.store.keys.FileKeyStore) ----


def _save_file(data_dir: Path, staff_key: bytes) -> None:
    keys.write_key_document(data_dir / STAFF_KEY_FILE, keys.seal_with_passphrase(staff_key))


def _load_file(data_dir: Path) -> bytes:
    return keys.open_with_passphrase(
        keys.read_key_document(data_dir / STAFF_KEY_FILE), STAFF_KEY_FILE
    )


# --- at rest: the OS keyring (the approach of chitnode.store.keys.KeyringKeyStore) ----


def _save_keyring(branch: str, staff_key: bytes) -> None:
    import keyring

    keyring.set_password(keys.KEYRING_SERVICE, _username(branch), staff_key.hex())


def _load_keyring(branch: str) -> bytes:
    if keys.usable_keyring() is None:
        raise KeyUnavailable("the staff key is in an OS keyring that is not available now")
    import keyring

    text = keyring.get_password(keys.KEYRING_SERVICE, _username(branch))
    if text is None:
        raise KeyUnavailable(f"no staff key for branch {branch} in the OS keyring")
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise KeyUnavailable("the OS keyring holds a damaged staff key") from exc


# --- this device's copy -------------------------------------------------------------


def has_staff_key(node: Node) -> bool:
    """Whether this device holds the staff key (without unlocking it)."""
    return node.store.meta(META_STORE) is not None


def load_staff_key(node: Node) -> bytes:
    """This device's staff key; KeyUnavailable if it has none or cannot unlock it."""
    return staff_key_loader(node)()


def staff_key_loader(node: Node) -> Callable[[], bytes]:
    """What `load_staff_key` reads of the store, read now; the unlocking (a passphrase's
    key derivation, or the OS keyring) left to the function returned, which touches no
    store: a server calls it off the node's thread, so other writes do not wait for it."""
    kind = node.store.meta(META_STORE)
    expected = node.store.meta(META_ID)
    branch, data_dir = node.branch, node.store.data_dir

    def unlock() -> bytes:
        if kind is None:
            raise KeyUnavailable(
                "this device holds no staff key: the root admin creates it, and an admin's "
                "device shares it with staff devices over the peer channel"
            )
        staff_key = _load_keyring(branch) if kind == "keyring" else _load_file(data_dir)
        if len(staff_key) != STAFF_KEY_BYTES:
            raise KeyUnavailable("the stored staff key has the wrong length")
        if expected is not None and fingerprint(staff_key) != expected:
            raise KeyUnavailable("the stored staff key is not the one this device recorded")
        return staff_key

    return unlock


def _store(node: Node, staff_key: bytes) -> None:
    """Keep `staff_key` on this device: secret first, then the meta rows that point at it."""
    if keys.usable_keyring() is not None:
        _save_keyring(node.branch, staff_key)
        kind = "keyring"
    else:
        _save_file(node.store.data_dir, staff_key)
        kind = "file"
    with node.store.transaction():
        node.store.set_meta(META_STORE, kind)
        node.store.set_meta(META_ID, fingerprint(staff_key))


def _is_root(node: Node) -> bool:
    branch = node.engine.state.get("branch", "branch")
    return branch is not None and branch["root"] == node.public


def ensure_staff_key(node: Node) -> bytes:
    """The staff key, made now if this is the root admin's device and it has none yet."""
    if has_staff_key(node):
        return load_staff_key(node)
    if not _is_root(node):
        return load_staff_key(node)  # raises: only the root admin makes the branch's key
    staff_key = nacl.utils.random(STAFF_KEY_BYTES)
    _store(node, staff_key)
    return staff_key


# --- travel: sealed to one device's key ----------------------------------------------


def _curve_public(device_public_hex: str) -> SealedBox[Any]:
    try:
        verify_key = VerifyKey(bytes.fromhex(device_public_hex))
        return SealedBox(verify_key.to_curve25519_public_key())
    except (ValueError, TypeError, CryptoError) as exc:
        raise UsageError(f"not a device key: {device_public_hex[:16]}…") from exc


def seal_to_device(staff_key: bytes, branch: str, device_public_hex: str) -> bytes:
    """The staff key sealed so that only `device_public_hex`'s secret key opens it."""
    if len(staff_key) != STAFF_KEY_BYTES:
        raise UsageError("a staff key is 32 bytes")
    payload = canonical({"doc": TRANSFER_DOC, "branch": branch, "key": staff_key.hex()})
    return bytes(_curve_public(device_public_hex).encrypt(payload))


def export_for(node: Node, device_public_hex: str) -> bytes:
    """This device's staff key sealed to an enrolled, active staff device of the branch.

    Members and auditors never get it: they may not see full KYC values.
    """
    try:
        role = role_of(node.engine.state, device_public_hex)
    except RuleViolation as exc:
        raise RuleViolation(f"cannot share the staff key: {exc.message}", code=exc.code) from exc
    if role not in STAFF:
        raise RuleViolation(
            f"a {role} device may not hold the staff key (staff only: {', '.join(sorted(STAFF))})",
            code="not_staff",
        )
    return seal_to_device(load_staff_key(node), node.branch, device_public_hex)


def open_transfer(node: Node, sealed: bytes) -> bytes:
    """The staff key inside `sealed`, checked to be for this device and this branch."""
    if not 0 < len(sealed) <= limits.STAFF_KEY_TRANSFER_BYTES_MAX:
        raise RuleViolation("not a sealed staff key transfer", code="bad_sealed")
    try:
        box = SealedBox(node.key.to_curve25519_private_key())
        doc = parse_canonical(box.decrypt(sealed))
    except CryptoError as exc:
        raise KeyUnavailable("this transfer was sealed to another device's key") from exc
    except ChitError as exc:
        raise RuleViolation("a sealed transfer with a damaged payload", code="bad_sealed") from exc
    ok = isinstance(doc, dict) and doc.get("doc") == TRANSFER_DOC
    ok = ok and isinstance(doc.get("key"), str) and len(str(doc["key"])) == 2 * STAFF_KEY_BYTES
    if not ok:
        raise RuleViolation("not a staff key transfer", code="bad_sealed")
    assert isinstance(doc, dict)
    if doc.get("branch") != node.branch:
        raise RuleViolation(
            f"this staff key belongs to branch {doc.get('branch')}, not {node.branch}",
            code="wrong_branch",
        )
    try:
        return bytes.fromhex(str(doc["key"]))
    except ValueError as exc:
        raise RuleViolation("not a staff key transfer", code="bad_sealed") from exc


def import_from(node: Node, sealed: bytes) -> str:
    """Keep the staff key sealed to this device; returns its fingerprint.

    Importing the key this device already holds is a no-op; a different one is
    refused (`staff_key_conflict`), since records sealed under it would be lost.
    """
    staff_key = open_transfer(node, sealed)
    if has_staff_key(node):
        if node.store.meta(META_ID) != fingerprint(staff_key):
            raise StaffKeyConflict("this device already holds another staff key for the branch")
        return fingerprint(staff_key)
    _store(node, staff_key)
    return fingerprint(staff_key)


__all__ = [
    "STAFF_KEY_FILE",
    "StaffKeyConflict",
    "ensure_staff_key",
    "export_for",
    "fingerprint",
    "has_staff_key",
    "import_from",
    "load_staff_key",
    "open_transfer",
    "seal_to_device",
]
