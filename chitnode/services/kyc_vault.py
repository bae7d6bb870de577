"""Full KYC values, sealed to the branch staff key; masked forms for everyone else.

`seal_kyc` checks and normalises a member's PAN, bank account and phone, and
returns what a `kyc.submitted` body carries: the masked forms the fold accepts
(the patterns of `chitnode.domain.chit_kinds`) and `sealed`, the hex of a
SecretBox ciphertext (nonce first) of the canonical JSON of the full values.
`open_kyc` reverses it for a device that holds the staff key (`staff_key.py`).
Neither touches a store or a clock; the random nonce is the only impurity.

Who may see full values: `can_see_full(role)`, staff roles only. Auditors check
the books and the log without personal data; members see their own record on
their phone, masked (docs/privacy.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import nacl.secret
from nacl.exceptions import CryptoError

from chitnode import limits
from chitnode.domain import chit_kinds
from chitnode.domain.kinds import STAFF
from chitnode.domain.limits import KYC_SEALED_BYTES_MAX, KYC_SEALED_BYTES_MIN
from chitnode.errors import ChitError, KeyUnavailable, RuleViolation
from chitnode.log.canonical import canonical, parse_canonical

FIELDS = ("pan", "bank_account", "phone")
PAN_RE = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")  # AAAAA9999A: the Income Tax Department's format
BANK_ACCOUNT_RE = re.compile(r"^[0-9]{9,18}$")  # Indian bank account numbers run 9..18 digits
PHONE_RE = re.compile(r"^(\+91)?[6-9][0-9]{9}$")  # an Indian mobile: 10 digits from 6..9
SEPARATORS_RE = re.compile(r"[\s-]")  # spaces and hyphens people type inside numbers
ACCOUNT_MASK = "X" * 8  # fixed width: the mask does not tell the account's length
KEEP_DIGITS = 4


def can_see_full(role: str | None) -> bool:
    """Whether a device of `role` may see full KYC values: admin, foreman, employee."""
    return role in STAFF


def _clean(value: object, field: str, code: str) -> str:
    if not isinstance(value, str) or len(value) > limits.KYC_INPUT_CHARS_MAX:
        raise RuleViolation(
            f"{field}: text of at most {limits.KYC_INPUT_CHARS_MAX} characters", code=code
        )
    return SEPARATORS_RE.sub("", value)


def normalise(pan: object, bank_account: object, phone: object) -> dict[str, str]:
    """The three values checked and in one spelling; RuleViolation with the field's code."""
    pan_text = _clean(pan, "pan", "bad_pan").upper()
    if not PAN_RE.match(pan_text):
        raise RuleViolation("PAN must look like AAAAA9999A", code="bad_pan")
    account = _clean(bank_account, "bank_account", "bad_bank_account")
    if not BANK_ACCOUNT_RE.match(account):
        raise RuleViolation("a bank account is 9 to 18 digits", code="bad_bank_account")
    phone_text = _clean(phone, "phone", "bad_phone")
    if not PHONE_RE.match(phone_text):
        raise RuleViolation("an Indian mobile: 10 digits from 6-9, optional +91", code="bad_phone")
    return {"pan": pan_text, "bank_account": account, "phone": phone_text}


def mask(full: Mapping[str, str]) -> dict[str, str]:
    """Masked forms of normalised values, as `kyc.submitted` requires them in clear."""
    pan, account, phone = full["pan"], full["bank_account"], full["phone"]
    prefix = "+91" if phone.startswith("+91") else ""
    masked = {
        "pan": "X" * 5 + pan[5:9] + pan[9],
        "bank_account": ACCOUNT_MASK + account[-KEEP_DIGITS:],
        "phone": prefix + "X" * 6 + phone[-KEEP_DIGITS:],
    }
    assert chit_kinds.PAN_MASKED_RE.match(masked["pan"])
    assert chit_kinds.ACCOUNT_MASKED_RE.match(masked["bank_account"])
    assert chit_kinds.PHONE_MASKED_RE.match(masked["phone"])
    return masked


def _box(staff_key: bytes | None) -> nacl.secret.SecretBox:
    if staff_key is None:
        raise KeyUnavailable("no staff key on this device: full KYC values cannot be opened")
    if len(staff_key) != nacl.secret.SecretBox.KEY_SIZE:
        raise KeyUnavailable("a staff key is 32 bytes")
    return nacl.secret.SecretBox(staff_key)


def seal_kyc(
    staff_key: bytes, pan: str, bank_account: str, phone: str
) -> tuple[dict[str, str], str]:
    """(masked fields for the body, `sealed` hex) for one member's full values."""
    full = normalise(pan, bank_account, phone)
    sealed = bytes(_box(staff_key).encrypt(canonical(dict(full)))).hex()
    assert len(sealed) <= 2 * KYC_SEALED_BYTES_MAX
    return mask(full), sealed


def open_kyc(staff_key: bytes | None, sealed: str) -> dict[str, str]:
    """The full values in `sealed`.

    Codes: `key_unavailable` when there is no key or it does not open the record
    (another branch's key, or bytes no staff key sealed); `bad_sealed` when the
    text is not a ciphertext or opens to something that is not three valid values.
    """
    box = _box(staff_key)
    try:
        data = bytes.fromhex(sealed)
    except (ValueError, TypeError) as exc:
        raise RuleViolation("sealed KYC is not hex", code="bad_sealed") from exc
    if not KYC_SEALED_BYTES_MIN <= len(data) <= KYC_SEALED_BYTES_MAX:
        raise RuleViolation("sealed KYC has an impossible length", code="bad_sealed")
    try:
        plain = box.decrypt(data)
    except CryptoError as exc:
        raise KeyUnavailable("this device's staff key does not open this KYC record") from exc
    try:
        doc: Any = parse_canonical(plain)
    except ChitError as exc:
        raise RuleViolation("sealed KYC opens to bad JSON", code="bad_sealed") from exc
    if not isinstance(doc, dict) or sorted(doc) != sorted(FIELDS):
        raise RuleViolation("sealed KYC opens to other fields", code="bad_sealed")
    try:
        full = normalise(doc["pan"], doc["bank_account"], doc["phone"])
    except RuleViolation as exc:
        raise RuleViolation(f"sealed KYC holds a bad value: {exc}", code="bad_sealed") from exc
    if full != doc:
        raise RuleViolation("sealed KYC is not in normal form", code="bad_sealed")
    return full


def matches_masked(full: Mapping[str, str], row: Mapping[str, Any]) -> bool:
    """Whether opened values agree with the masked ones a member's KYC row shows."""
    tails = (
        ("pan_masked", full["pan"][5:]),
        ("bank_account_masked", full["bank_account"][-KEEP_DIGITS:]),
        ("phone_masked", full["phone"][-KEEP_DIGITS:]),
    )
    return all(str(row.get(field, "")).endswith(tail) for field, tail in tails)


def kyc_view(
    row: Mapping[str, Any], role: str | None, load_key: Callable[[], bytes]
) -> dict[str, Any]:
    """What a device of `role` may see of a member's KYC row.

    Masked values always; full values only for a staff role, when the row has
    `kyc_sealed` and `load_key()` gives a key that opens it. `load_key` is not
    called for other roles, so an auditor's device never even unlocks a key.
    `hidden` says why full values are absent (None when they are shown).
    """
    view: dict[str, Any] = {
        "member_id": row.get("member_id"),
        "name": row.get("kyc_name") or row.get("name"),
        "kyc": row.get("kyc"),
        "masked": {
            "pan": row.get("pan_masked"),
            "bank_account": row.get("bank_account_masked"),
            "phone": row.get("phone_masked"),
        },
        "ifsc": row.get("ifsc"),
        "full": None,
        "hidden": None,
        "hidden_code": None,
        "mismatch": False,
    }
    sealed = row.get("kyc_sealed")
    if row.get("kyc", "none") == "none":
        view.update(hidden="no KYC was submitted for this member", hidden_code="no_kyc")
    elif role is None:
        view.update(
            hidden="full values hidden: this device is not an active device of the branch",
            hidden_code="not_staff",
        )
    elif not can_see_full(role):
        view.update(
            hidden=f"full values hidden: this device's role is {role}; only admin, "
            "foreman and employee devices may see them",
            hidden_code="not_staff",
        )
    elif not isinstance(sealed, str):
        view.update(
            hidden="no full values were recorded (the KYC was submitted masked only)",
            hidden_code="not_sealed",
        )
    else:
        try:
            full = open_kyc(load_key(), sealed)
        except ChitError as exc:
            view.update(hidden=f"full values unavailable: {exc.message}", hidden_code=exc.code)
        else:
            view.update(full=full, mismatch=not matches_masked(full, row))
    return view


__all__ = [
    "can_see_full",
    "kyc_view",
    "mask",
    "matches_masked",
    "normalise",
    "open_kyc",
    "seal_kyc",
]
