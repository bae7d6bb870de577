#!/usr/bin/env python3
"""Check a member's receipt against a chitnode export, as an auditor's own tool would.

Written from docs/receipts.md and wal-v1.md alone: it imports nothing from the `chitnode`
package; `cryptography` checks the Ed25519 signature, `hashlib` and `json` do the rest.
The export's own soundness is the reference verifier's business (reference_verifier.py,
beside this file): run it on the export first. A cut export can verify clean; only the
receipts members kept show what it lacks.

Usage::

    python receipt_check.py RECEIPT.json EXPORT.chitlog

prints one line ``STATUS: words`` and exits 0 when the export holds the receipt's entry
(``in_log``), 1 for ``missing_from_log``, ``conflict`` or ``unknown_author``, and 2 when
the receipt itself is no good (``receipt_malformed``, ``receipt_tampered``) or is of
another branch (``receipt_wrong_branch``), or a file cannot be read or parsed.

As a library::

    from receipt_check import check
    status, words = check(receipt_bytes, export_bytes)
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

RECEIPT_FIELDS = frozenset({"v", "branch", "member_id", "what", "entry"})  # docs/receipts.md
ENTRY_FIELDS = frozenset(
    {"v", "branch", "author", "seq", "prev", "ts", "deps", "kind", "body", "hash", "sig"}
)  # wal-v1 §1
WAL_PREFIX = b"chitnode.wal.v1:"  # wal-v1 §3
HEX32 = re.compile(r"[0-9a-f]{32}")
HEX64 = re.compile(r"[0-9a-f]{64}")
HEX128 = re.compile(r"[0-9a-f]{128}")
ENROLLED = "device.enrolled"  # wal-v1 §5: body.key is a device of the branch

IN_LOG = "in_log"
MISSING = "missing_from_log"
CONFLICT = "conflict"
UNKNOWN_AUTHOR = "unknown_author"
MALFORMED = "receipt_malformed"
TAMPERED = "receipt_tampered"
WRONG_BRANCH = "receipt_wrong_branch"
EXPORT_MALFORMED = "export_malformed"
EXIT = {IN_LOG: 0, MISSING: 1, CONFLICT: 1, UNKNOWN_AUTHOR: 1}  # anything else: 2


def canonical(value: Any) -> bytes:
    """wal-v1 §2, for values that obey its restrictions."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _entry_of(line: str) -> tuple[dict[str, Any] | None, str]:
    """The receipt's entry, checked: (entry, "") or (None, the status that refuses it)."""
    try:
        entry = json.loads(line)
    except ValueError:
        return None, MALFORMED
    if not isinstance(entry, dict) or set(entry) != ENTRY_FIELDS:
        return None, MALFORMED
    if canonical(entry) != line.encode():  # exactly the line the log holds, nothing else
        return None, MALFORMED
    ok = (
        isinstance(entry["author"], str)
        and HEX64.fullmatch(entry["author"])
        and isinstance(entry["hash"], str)
        and HEX64.fullmatch(entry["hash"])
        and isinstance(entry["sig"], str)
        and HEX128.fullmatch(entry["sig"])
        and isinstance(entry["seq"], int)
        and isinstance(entry["branch"], str)
    )
    if not ok:
        return None, MALFORMED
    unsigned = {k: v for k, v in entry.items() if k not in ("hash", "sig")}
    if hashlib.sha256(canonical(unsigned)).hexdigest() != entry["hash"]:
        return None, TAMPERED
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(entry["author"]))
        key.verify(bytes.fromhex(entry["sig"]), WAL_PREFIX + bytes.fromhex(entry["hash"]))
    except (InvalidSignature, ValueError):
        return None, TAMPERED
    return entry, ""


def check(receipt: bytes, export: bytes) -> tuple[str, str]:
    """(status, words) for `receipt` (the file's bytes) against `export` (a .chitlog)."""
    try:
        doc = json.loads(receipt)
    except ValueError:
        return MALFORMED, "the receipt is not JSON"
    if not isinstance(doc, dict) or set(doc) != RECEIPT_FIELDS or doc["v"] != 1:
        return MALFORMED, f"a receipt has exactly the fields {sorted(RECEIPT_FIELDS)}, v 1"
    if not (isinstance(doc["branch"], str) and HEX32.fullmatch(doc["branch"])):
        return MALFORMED, "the receipt's branch is not 32 hex digits"
    if not isinstance(doc["entry"], str):
        return MALFORMED, "the receipt's entry is not a string"
    entry, refused = _entry_of(doc["entry"])
    if entry is None:
        return refused, "the receipt's entry is malformed, or its hash or signature fails"
    if entry["branch"] != doc["branch"]:
        return TAMPERED, "the receipt names another branch than its entry's"
    lines = export.split(b"\n")
    try:
        header = json.loads(lines[0])
        body = [json.loads(raw) for raw in lines[1:] if raw.strip()]
    except ValueError:
        return EXPORT_MALFORMED, "the export is not JSON lines: run reference_verifier.py"
    if not isinstance(header, dict) or not all(isinstance(line, dict) for line in body):
        return EXPORT_MALFORMED, "the export's lines are not JSON objects"
    if header.get("branch") != entry["branch"]:
        return WRONG_BRANCH, f"the receipt is of branch {entry['branch']}"
    author, seq = entry["author"], entry["seq"]
    known = {header.get("root")}
    held: list[str] = []  # hashes of the author's entries at that seq in the export
    head = 0
    for line in body:
        if line.get("format") == "chitnode-export-seal":
            break
        if line.get("kind") == ENROLLED and isinstance(line.get("body"), dict):
            known.add(line["body"].get("key"))
        if line.get("author") == author and isinstance(line.get("seq"), int):
            head = max(head, line["seq"])
            if line["seq"] == seq:
                held.append(line.get("hash"))
    where = f"entry #{seq} of device {author[:12]}..."
    if entry["hash"] in held:
        return IN_LOG, f"the export holds this very {where}"
    if held:
        return CONFLICT, f"the export holds another entry where {where} should be: a fork"
    if author not in known:
        return UNKNOWN_AUTHOR, f"the export knows no device {author[:12]}..."
    return MISSING, (
        f"the export lacks {where} (it holds that device's entries up to #{head}): "
        "the log was cut or rewritten after the receipt was given"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: receipt_check.py RECEIPT.json EXPORT.chitlog", file=sys.stderr)
        return 2
    try:
        with open(args[0], "rb") as fh:
            receipt = fh.read()
        with open(args[1], "rb") as fh:
            export = fh.read()
    except OSError as exc:
        print(f"cannot read: {exc}", file=sys.stderr)
        return 2
    status, words = check(receipt, export)
    print(f"{status}: {words}")
    return EXIT.get(status, 2)


if __name__ == "__main__":
    sys.exit(main())
