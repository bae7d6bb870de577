"""The inviting node's one-time secrets: which invites are open, and what each is for.

A node-local SQLite file, `<data>/invites.db` (owner-only), never in the log or an
export: an open invite is a key to the branch until it is used or expires. Each row
keeps the *hash* of the secret (`code.secret_hash`), the role and name the admin
chose, and when it expires; the secret itself exists only in the code handed out.

Claiming is one `BEGIN IMMEDIATE` transaction, so two joiners racing with one code
cannot both win, whatever process they reach. The device that claimed a code may
claim it again (its answer was lost on the way): joining is idempotent per device,
one-time per code.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path

from chitnode.domain.kinds import ROLES
from chitnode.errors import ChitError, NotFound, UsageError
from sync import limits
from sync.invite.localdb import LocalDb

BOOK_FILE = "invites.db"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS invites (
    secret_hash TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_ms INTEGER,
    used_by TEXT
)
"""


class InviteUnknown(ChitError):
    """No invite of this node has that secret (another node's code, or long forgotten)."""

    code = "invite_unknown"


class InviteUsed(ChitError):
    code = "invite_used"


class InviteExpired(ChitError):
    code = "invite_expired"


class TooManyInvites(ChitError):
    code = "too_many_invites"


@dataclass(frozen=True, slots=True)
class Pending:
    """An invite as the inviting node keeps it."""

    secret_hash: str
    role: str
    name: str
    created_ms: int
    expires_ms: int
    used_ms: int | None
    used_by: str | None

    def state(self, now_ms: int) -> str:
        if self.used_ms is not None:
            return "used"
        return "expired" if now_ms >= self.expires_ms else "open"


def check_role_and_name(role: str, name: str) -> None:
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not 0 < len(name) <= limits.INVITE_NAME_CHARS_MAX or not name.isprintable():
        raise UsageError(f"a device name is 1..{limits.INVITE_NAME_CHARS_MAX} printable characters")


class InviteBook(LocalDb):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir, BOOK_FILE, _SCHEMA)

    def add(self, secret_hash: str, role: str, name: str, now_ms: int, expires_ms: int) -> None:
        """Keep a new invite. Forgets closed ones first; refuses past the bound of open ones."""
        check_role_and_name(role, name)
        with self.transaction() as db:
            forget_before = now_ms - limits.INVITE_CLOSED_KEPT_MS
            db.execute(
                "DELETE FROM invites WHERE expires_ms < ? OR used_ms < ?",
                (forget_before, forget_before),
            )
            (open_now,) = db.execute(
                "SELECT count(*) FROM invites WHERE used_ms IS NULL AND expires_ms > ?", (now_ms,)
            ).fetchone()
            if open_now >= limits.INVITES_OPEN_MAX:
                raise TooManyInvites(
                    f"{open_now} invites are open: wait for some to be used or to expire"
                )
            db.execute(
                "INSERT INTO invites (secret_hash, role, name, created_ms, expires_ms)"
                " VALUES (?, ?, ?, ?, ?)",
                (secret_hash, role, name, now_ms, expires_ms),
            )

    def claim(self, secret_hash: str, device_key: str, now_ms: int) -> Pending:
        """Mark the invite used by `device_key`; its role and name. Refused with a stable
        code when unknown, used by another device, or expired (then nothing changes)."""
        with self.transaction() as db:
            pending = _row(db, secret_hash)
            if pending is None:
                raise InviteUnknown("this node made no such invite: ask the admin for a new code")
            if pending.used_by == device_key:
                return pending  # the same device again: its first answer was lost
            if pending.used_ms is not None:
                raise InviteUsed("this invite code was already used: ask the admin for a new one")
            if now_ms >= pending.expires_ms:
                raise InviteExpired("this invite code has expired: ask the admin for a new one")
            db.execute(
                "UPDATE invites SET used_ms = ?, used_by = ? WHERE secret_hash = ?",
                (now_ms, device_key, secret_hash),
            )
        return replace(pending, used_ms=now_ms, used_by=device_key)

    def release(self, secret_hash: str, device_key: str) -> None:
        """Undo `device_key`'s claim: its enrolment failed, so the invite stays usable."""
        with self.transaction() as db:
            db.execute(
                "UPDATE invites SET used_ms = NULL, used_by = NULL"
                " WHERE secret_hash = ? AND used_by = ?",
                (secret_hash, device_key),
            )

    def cancel(self, id_prefix: str, now_ms: int) -> Pending:
        """Close the open invite whose id (its hash's first hex digits) starts with
        `id_prefix`: it expires now, so its code answers `invite_expired` from here on."""
        if not limits.INVITE_ID_CHARS_MIN <= len(id_prefix) <= 64 or not all(
            c in "0123456789abcdef" for c in id_prefix
        ):
            raise UsageError(f"an invite id is {limits.INVITE_ID_CHARS_MIN}+ lowercase hex digits")
        with self.transaction() as db:
            found = db.execute(
                f"SELECT {_COLUMNS} FROM invites WHERE substr(secret_hash, 1, ?) = ?"
                " AND used_ms IS NULL AND expires_ms > ?",
                (len(id_prefix), id_prefix, now_ms),
            ).fetchall()
            if len(found) != 1:
                what = "no open invite" if not found else f"{len(found)} open invites"
                raise NotFound(f"{what} with an id starting {id_prefix} (see `chitnode invites`)")
            pending = Pending(*found[0])
            db.execute(
                "UPDATE invites SET expires_ms = ? WHERE secret_hash = ?",
                (now_ms, pending.secret_hash),
            )
        return replace(pending, expires_ms=now_ms)

    def rows(self) -> list[Pending]:
        with self.transaction() as db:
            found = db.execute(f"SELECT {_COLUMNS} FROM invites ORDER BY created_ms").fetchall()
        return [Pending(*row) for row in found]


_COLUMNS = "secret_hash, role, name, created_ms, expires_ms, used_ms, used_by"


def _row(db: sqlite3.Connection, secret_hash: str) -> Pending | None:
    row = db.execute(
        f"SELECT {_COLUMNS} FROM invites WHERE secret_hash = ?", (secret_hash,)
    ).fetchone()
    return Pending(*row) if row is not None else None


__all__ = [
    "BOOK_FILE",
    "InviteBook",
    "InviteExpired",
    "InviteUnknown",
    "InviteUsed",
    "Pending",
    "TooManyInvites",
    "check_role_and_name",
]
