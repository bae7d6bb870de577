"""Members' PIN verifiers: node-local, shared between nodes only over the peer channel.

DESIGN.md, Security: a member logs in on a phone with a PIN set at KYC. The PIN's
verifier (argon2id) never goes into the log or an export, because a 6-digit PIN
falls to offline guessing in hours: whoever holds the log would hold every PIN. It
lives in `<data>/pins.db` (owner-only) on the nodes that serve members, so a member
can log in on any of them; those nodes pull the verifiers from each other over the
mutually authenticated channel (`sync/invite/transfer.py`).

The member app (a later issue) calls `PinBook.set_pin` when a PIN is set or changed
and `PinBook.check` at login; rate limiting and lockout are the app's. Here: the
table, its checks, and the merge rule. A member's newest verifier wins (`set_ms`,
then the verifier text, so every node picks the same one whatever order rows arrive
in); a row that loses changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nacl.pwhash
from nacl.exceptions import InvalidkeyError

from chitnode.domain.kinds import STAFF
from chitnode.errors import ChitError
from sync import limits
from sync.invite.localdb import LocalDb

PINS_FILE = "pins.db"
# The roles whose nodes serve members (staff at a branch counter or a collection run):
# they may hold every member's verifier. A member's phone and an auditor's never do.
MEMBER_SERVING_ROLES = STAFF
VERIFIER_PREFIX = "$argon2id$"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS pins (
    member_id TEXT PRIMARY KEY,
    verifier TEXT NOT NULL,
    set_ms INTEGER NOT NULL
)
"""


class BadPin(ChitError):
    code = "bad_pin"


class BadVerifier(ChitError):
    """A verifier row from a peer that is not one: refused whole, nothing merged."""

    code = "bad_verifier"


@dataclass(frozen=True, slots=True)
class PinRow:
    member_id: str
    verifier: str
    set_ms: int

    def wire(self) -> list[object]:
        return [self.member_id, self.verifier, self.set_ms]


def check_row(member_id: object, verifier: object, set_ms: object) -> PinRow:
    """A row as a peer sent it, checked; BadVerifier if any field is not what it must be."""
    ok = isinstance(member_id, str) and 0 < len(member_id) <= limits.PIN_MEMBER_ID_CHARS_MAX
    ok = ok and isinstance(verifier, str) and verifier.startswith(VERIFIER_PREFIX)
    ok = ok and isinstance(verifier, str) and len(verifier) <= limits.PIN_VERIFIER_CHARS_MAX
    ok = ok and isinstance(verifier, str) and verifier.isascii() and verifier.isprintable()
    ok = ok and isinstance(set_ms, int) and not isinstance(set_ms, bool) and set_ms >= 0
    if not ok:
        raise BadVerifier("a PIN verifier row is [member id, $argon2id$ string, set_ms >= 0]")
    assert isinstance(member_id, str) and isinstance(verifier, str) and isinstance(set_ms, int)
    return PinRow(member_id, verifier, set_ms)


def make_verifier(pin: str) -> str:
    if len(pin) != limits.PIN_DIGITS or not (pin.isascii() and pin.isdigit()):
        raise BadPin(f"a PIN is {limits.PIN_DIGITS} digits")
    return nacl.pwhash.argon2id.str(pin.encode()).decode("ascii")


def _wins(new: PinRow, old: PinRow | None) -> bool:
    return old is None or (new.set_ms, new.verifier) > (old.set_ms, old.verifier)


class PinBook(LocalDb):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir, PINS_FILE, _SCHEMA)

    def set_pin(self, member_id: str, pin: str, now_ms: int) -> PinRow:
        """Set or change a member's PIN on this node (the app, at KYC or on request)."""
        row = check_row(member_id, make_verifier(pin), now_ms)
        self.merge([row])
        return row

    def check(self, member_id: str, pin: str) -> bool:
        """Whether `pin` is this member's PIN here (False for a member with no PIN)."""
        row = self.get(member_id)
        if row is None:
            return False
        try:
            return bool(nacl.pwhash.argon2id.verify(row.verifier.encode(), pin.encode()))
        except InvalidkeyError:
            return False

    def get(self, member_id: str) -> PinRow | None:
        with self.transaction() as db:
            found = db.execute(
                "SELECT member_id, verifier, set_ms FROM pins WHERE member_id = ?", (member_id,)
            ).fetchone()
        return PinRow(*found) if found is not None else None

    def page(self, after: str, limit: int) -> list[PinRow]:
        """Rows in member-id order after `after` ("" for the first page)."""
        with self.transaction() as db:
            found = db.execute(
                "SELECT member_id, verifier, set_ms FROM pins WHERE member_id > ?"
                " ORDER BY member_id LIMIT ?",
                (after, limit),
            ).fetchall()
        return [PinRow(*row) for row in found]

    def merge(self, rows: Iterable[PinRow]) -> int:
        """Keep each row that is newer than this node's; how many changed. One transaction."""
        changed = 0
        with self.transaction() as db:
            for row in rows:
                found = db.execute(
                    "SELECT member_id, verifier, set_ms FROM pins WHERE member_id = ?",
                    (row.member_id,),
                ).fetchone()
                if _wins(row, PinRow(*found) if found is not None else None):
                    db.execute(
                        "INSERT OR REPLACE INTO pins (member_id, verifier, set_ms)"
                        " VALUES (?, ?, ?)",
                        (row.member_id, row.verifier, row.set_ms),
                    )
                    changed += 1
        return changed


__all__ = [
    "MEMBER_SERVING_ROLES",
    "BadPin",
    "BadVerifier",
    "PinBook",
    "PinRow",
    "check_row",
    "make_verifier",
]
