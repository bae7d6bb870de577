"""Who may use the app: staff unlock, member PIN login, pairing tokens, and their limits.

DESIGN.md, Security, and issue 12: the foreman's laptop unlocks staff screens with this
device's passphrase or a staff PIN an admin set (`chitnode staff-pin set`), and by default
only from the node's own machine. A member's phone logs in with the PIN set at KYC
(`sync/invite/pins.py`, the verifier never in the log), or with a one-time pairing token
the foreman issues for that member. The meeting QR on the laptop carries a one-time token
that lets a phone see the member login at all.

Every wrong PIN or unlock counts against the member and the client address (the staff
unlock against the address); `FAILED_TRIES_MAX` in a row locks that key out, each lockout
twice as long as the one before (ui/limits.py). The counts are kept here, per member id and
per address, not per browser session, so a fresh tab does not start them again.

Sessions, tokens and failure records live in memory, each bounded; a node restart logs
everyone out, which is the safe way round. Times are the injected clock's monotonic ms
(a wall-clock jump neither extends nor ends a session). No flet import: the shell calls
this from its handlers; the argon2 checks take a tenth of a second or more, so it calls
`unlock_staff` and `login_member` through `asyncio.to_thread`, and every method is safe
from any thread.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import secrets
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import nacl.pwhash
from nacl.exceptions import InvalidkeyError

from chitnode import limits as kernel_limits
from chitnode.clock import Clock
from chitnode.domain.chit_kinds_base import MEMBERS, member_row
from chitnode.domain.state import State
from chitnode.errors import ChitError, KeyUnavailable
from chitnode.store.keys import KEY_FILE, open_with_passphrase, read_key_document
from sync import limits as sync_limits
from sync.invite.localdb import LocalDb
from sync.invite.pins import MEMBER_SERVING_ROLES, BadPin, PinBook, PinRow, check_row
from ui import limits
from ui.gate import GUEST, MEMBER, STAFF, Who

if TYPE_CHECKING:
    from ui.backend import Reading

STAFF_PINS_FILE = "staff_pins.db"  # beside pins.db: node-local, owner-only, never in the log
_STAFF_PINS_SCHEMA = """
CREATE TABLE IF NOT EXISTS staff_pins (
    slot TEXT PRIMARY KEY,
    verifier TEXT NOT NULL,
    set_ms INTEGER NOT NULL
)
"""
DEVICE_SLOT = "device"  # one staff PIN per device: it unlocks this laptop's staff screens
# Our pairing tokens are token_urlsafe text of exactly this length (base64, no padding):
# anything else in a URL is no token of ours, answered without hashing it.
_PAIRING_TOKEN_CHARS = math.ceil(limits.PAIRING_TOKEN_BYTES * 4 / 3)
_URLSAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class BadUnlock(ChitError):
    code = "bad_unlock"


class StaffRemoteRefused(ChitError):
    code = "staff_remote_refused"


class LockedOut(ChitError):
    """Too many failures for this member, address or unlock: `retry_after_ms` to wait."""

    code = "locked_out"

    def __init__(self, message: str, *, retry_after_ms: int) -> None:
        super().__init__(message)
        self.retry_after_ms = retry_after_ms


class PairingRefused(ChitError):
    code = "pairing_unknown"  # or pairing_used / pairing_expired / too_many_pairings


class TooManyLogins(ChitError):
    code = "too_many_logins"


class BadStaffPin(ChitError):
    code = "bad_staff_pin"


class NotStaffDevice(ChitError):
    code = "not_staff_device"


@dataclass(frozen=True, slots=True)
class AppSession:
    """One login: its bearer token (kept by the Flet session), who it proved, and when
    (the clock's monotonic ms)."""

    token: str
    who: Who
    created_ms: int
    last_seen_ms: int


# role -> (idle timeout, absolute lifetime)
_TIMEOUTS: dict[str, tuple[int, int]] = {
    STAFF: (limits.STAFF_IDLE_TIMEOUT_MS, limits.STAFF_SESSION_LIFETIME_MS),
    MEMBER: (limits.MEMBER_IDLE_TIMEOUT_MS, limits.MEMBER_SESSION_LIFETIME_MS),
    GUEST: (limits.GUEST_IDLE_TIMEOUT_MS, limits.MEMBER_SESSION_LIFETIME_MS),
}


def expired(session: AppSession, now_ms: int) -> bool:
    idle, lifetime = _TIMEOUTS[session.who.role]
    return now_ms - session.last_seen_ms >= idle or now_ms - session.created_ms >= lifetime


# --- the secrets ------------------------------------------------------------------------


def passphrase_ok(folder: Path, secret: str) -> bool:
    """Whether `secret` unseals this device's key file (`CHITNODE_KEYSTORE=file`), the way
    the node does at open. False where the key is in an OS keyring (no file to try).
    The secret is never logged: a refusal's message names the file, not what was tried."""
    given = secret.encode()
    if len(given) < kernel_limits.PASSPHRASE_BYTES_MIN:  # never a passphrase: no argon2 spent
        return False
    path = Path(folder) / KEY_FILE
    if not path.is_file():
        return False
    try:
        open_with_passphrase(read_key_document(path), KEY_FILE, given)
    except KeyUnavailable:
        return False
    return True


def staff_pin_verifier(pin: str) -> str:
    """The argon2id verifier of a staff PIN; BadStaffPin unless it is 6..12 digits."""
    low, high = limits.STAFF_PIN_DIGITS_MIN, limits.STAFF_PIN_DIGITS_MAX
    if not (low <= len(pin) <= high and pin.isascii() and pin.isdigit()):
        raise BadStaffPin(f"a staff PIN is {low} to {high} digits")
    return nacl.pwhash.argon2id.str(pin.encode()).decode("ascii")


class StaffPins(LocalDb):
    """This device's staff PIN verifier (`<data>/staff_pins.db`): set by an admin from the
    CLI, read by the app's unlock. Never shared with peers: it unlocks this machine only."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir, STAFF_PINS_FILE, _STAFF_PINS_SCHEMA)

    def set_verifier(self, verifier: str, now_ms: int) -> None:
        row = check_row(DEVICE_SLOT, verifier, now_ms)  # bad_verifier for anything else
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO staff_pins (slot, verifier, set_ms) VALUES (?, ?, ?)",
                (row.member_id, row.verifier, row.set_ms),
            )

    def clear(self) -> bool:
        """Remove the staff PIN; whether there was one."""
        with self.transaction() as db:
            return db.execute("DELETE FROM staff_pins WHERE slot = ?", (DEVICE_SLOT,)).rowcount > 0

    def verifier(self) -> str | None:
        with self.transaction() as db:
            found = db.execute(
                "SELECT verifier FROM staff_pins WHERE slot = ?", (DEVICE_SLOT,)
            ).fetchone()
        return str(found[0]) if found is not None else None

    def check(self, pin: str) -> bool:
        verifier = self.verifier()
        if verifier is None:
            return False
        try:
            return bool(nacl.pwhash.argon2id.verify(verifier.encode(), pin.encode()))
        except InvalidkeyError:
            return False


def staff_secret_checker(folder: Path) -> Callable[[str], bool]:
    """The staff unlock's check: this device's passphrase, or its staff PIN."""

    def ok(secret: str) -> bool:
        return passphrase_ok(folder, secret) or StaffPins(folder).check(secret)

    return ok


def set_member_pin(reading: Reading, member_id: str, verifier: str) -> PinRow:
    """Keep a member's PIN verifier on this node (KYC, from the app or `chitnode
    member-pin`): only on a node that serves members, only for a member in the fold.
    A change made here wins over the verifier held, whatever its time stamp says."""
    if reading.device_role not in MEMBER_SERVING_ROLES:
        raise ChitError(
            f"this device is a {reading.device_role or 'stranger'}: it serves no members",
            code="not_member_server",
        )
    member_row(reading.state, member_id)  # unknown_member
    book = PinBook(reading.folder)
    held = book.get(member_id)
    set_ms = reading.now_ms if held is None else max(reading.now_ms, held.set_ms + 1)
    row = check_row(member_id, verifier, set_ms)
    book.merge([row])
    return row


def member_name_in(state: State) -> Callable[[str], str | None]:
    """A member's name in the fold, None for no such member (read on the node thread)."""

    def name(member_id: str) -> str | None:
        row = state.get(MEMBERS, member_id)
        return None if row is None else str(row.get("name") or member_id)

    return name


def client_is_local(client: str, own: Collection[str]) -> bool:
    """Whether a client address is this machine: loopback, or one of `own` addresses."""
    try:
        address = ipaddress.ip_address(client.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or str(address) in own


# --- failures and lockouts ------------------------------------------------------------------


@dataclass(slots=True)
class _Failures:
    count: int = 0  # failures since the last lockout
    lockouts: int = 0  # lockouts so far: the next lasts 2**lockouts times the first
    locked_until_ms: int = 0
    last_ms: int = 0


def _forgotten(record: _Failures, now_ms: int) -> bool:
    """No failure, and no lockout, for FAILURES_FORGOTTEN_MS: the record can go."""
    quiet_since = max(record.last_ms, record.locked_until_ms)
    return now_ms - quiet_since >= limits.FAILURES_FORGOTTEN_MS


class Lockouts:
    """Failure counts by key (("member", id), ("client", address), ("staff", address))."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], _Failures] = {}

    def wait_ms(self, key: tuple[str, str], now_ms: int) -> int:
        """How long `key` stays locked out (0: not locked)."""
        record = self._records.get(key)
        return max(0, record.locked_until_ms - now_ms) if record is not None else 0

    def fail(self, key: tuple[str, str], now_ms: int) -> int:
        """Count a failure; the lockout it starts (0 if none)."""
        record = self._records.get(key)
        if record is not None and _forgotten(record, now_ms):
            record = None  # a run of failures long ago: forgotten
        if record is None:
            self._make_room(now_ms)
            record = self._records[key] = _Failures()
        record.count += 1
        record.last_ms = now_ms
        if record.count < limits.FAILED_TRIES_MAX:
            return 0
        length = limits.LOCKOUT_FIRST_MS
        for _ in range(record.lockouts):  # twice the one before, up to the longest
            if length >= limits.LOCKOUT_LONGEST_MS:
                break
            length *= 2
        length = min(length, limits.LOCKOUT_LONGEST_MS)
        record.count, record.lockouts = 0, record.lockouts + 1
        record.locked_until_ms = now_ms + length
        return length

    def clear(self, key: tuple[str, str]) -> None:
        self._records.pop(key, None)

    def forgive(self, key: tuple[str, str]) -> None:
        """A success from this key: its run of failures ends (its lockouts so far stay)."""
        record = self._records.get(key)
        if record is not None:
            record.count = 0

    def __len__(self) -> int:
        return len(self._records)

    def _make_room(self, now_ms: int) -> None:
        if len(self._records) < limits.FAILURE_RECORDS_MAX:
            return
        for key, record in list(self._records.items()):
            if _forgotten(record, now_ms):
                del self._records[key]
        if len(self._records) >= limits.FAILURE_RECORDS_MAX:  # still full: the oldest goes
            oldest = min(self._records, key=lambda k: self._records[k].last_ms)
            del self._records[oldest]


def _minutes(ms: int) -> int:
    return max(1, -(-ms // limits.MINUTE_MS))


# --- pairing tokens ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Pairing:
    member_id: str  # "" for a meeting QR
    expires_ms: int
    used: bool = False


def _digest(token: str) -> str:
    """Only a token's hash is kept: a memory dump shows no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- the sessions -----------------------------------------------------------------------------


class Auth:
    """Logins, pairing tokens and lockouts of one serving node's app."""

    def __init__(
        self,
        folder: Path,
        clock: Clock,
        *,
        pins: PinBook,
        staff_secret_ok: Callable[[str], bool],
        allow_remote_staff: bool = False,
    ) -> None:
        self.folder = Path(folder)
        self.clock = clock
        self.pins = pins
        self.staff_secret_ok = staff_secret_ok
        self.allow_remote_staff = allow_remote_staff
        self._lock = threading.Lock()
        self._sessions: dict[str, AppSession] = {}
        self._meeting: dict[str, _Pairing] = {}
        self._member_tokens: dict[str, _Pairing] = {}
        self.lockouts = Lockouts()

    @classmethod
    def for_folder(cls, folder: Path, clock: Clock, *, allow_remote_staff: bool = False) -> Auth:
        """The node's own: members' PINs from pins.db, staff by passphrase or staff PIN."""
        return cls(
            folder,
            clock,
            pins=PinBook(folder),
            staff_secret_ok=staff_secret_checker(folder),
            allow_remote_staff=allow_remote_staff,
        )

    # --- staff ---------------------------------------------------------------------------

    def unlock_staff(self, secret: str, *, local: bool, client: str = "") -> AppSession:
        """A staff session for the device's passphrase or staff PIN; refused from another
        machine unless `allow_remote_staff`; BadUnlock for a wrong secret, counted."""
        if not (local or self.allow_remote_staff):
            raise StaffRemoteRefused(
                "staff screens open on the node's own machine: use its browser"
            )
        key = ("staff", client)
        self._refuse_if_locked([key])
        fits = 0 < len(secret) <= limits.UNLOCK_SECRET_CHARS_MAX
        if not (fits and self.staff_secret_ok(secret)):
            self._failed([key], "that is neither this device's passphrase nor its staff PIN")
            raise BadUnlock("that is neither this device's passphrase nor its staff PIN")
        with self._lock:
            self.lockouts.forgive(key)
        return self._new_session(Who(STAFF))

    # --- members ---------------------------------------------------------------------------

    def login_member(
        self,
        member_id: str,
        pin: str,
        *,
        client: str,
        member_name: Callable[[str], str | None],
    ) -> AppSession:
        """A member session for the right PIN. One answer (bad_pin) for a wrong PIN and a
        stranger's id, so a phone cannot probe for member ids; locked_out when counted out."""
        member_key, client_key = ("member", member_id), ("client", client)
        self._refuse_if_locked([member_key, client_key])
        well_formed = 0 < len(member_id) <= sync_limits.PIN_MEMBER_ID_CHARS_MAX
        name = member_name(member_id) if well_formed else None
        pin_shaped = len(pin) == sync_limits.PIN_DIGITS and pin.isascii() and pin.isdigit()
        if name is None or not (pin_shaped and self.pins.check(member_id, pin)):
            counted = [member_key, client_key] if name is not None else [client_key]
            self._failed(counted, "wrong member id or PIN")
            raise BadPin("wrong member id or PIN")
        with self._lock:
            self.lockouts.clear(member_key)
            self.lockouts.forgive(client_key)
        return self._new_session(Who(MEMBER, member_id, name))

    def clear_lockout(self, member_id: str) -> None:
        """Staff let a member try again (the member proved who they are at the table)."""
        with self._lock:
            self.lockouts.clear(("member", member_id))

    # --- pairing tokens ------------------------------------------------------------------------

    def meeting_token(self) -> str:
        """A one-time token for the meeting QR: a phone that opens it may see the member
        login. Older unused ones stay good until they expire (someone may be scanning)."""
        token = secrets.token_urlsafe(limits.PAIRING_TOKEN_BYTES)
        now = self.clock.monotonic_ms()
        with self._lock:
            self._prune(now)
            while len(self._meeting) >= limits.MEETING_TOKENS_MAX:
                del self._meeting[next(iter(self._meeting))]  # the oldest (insertion order)
            self._meeting[_digest(token)] = _Pairing("", now + limits.MEETING_TOKEN_TTL_MS)
        return token

    def issue_member_token(self, member_id: str) -> str:
        """A one-time token that logs one phone in as `member_id` (the foreman issues it,
        e.g. for a member who forgot the PIN or is locked out)."""
        token = secrets.token_urlsafe(limits.PAIRING_TOKEN_BYTES)
        now = self.clock.monotonic_ms()
        with self._lock:
            self._prune(now)
            if len(self._member_tokens) >= limits.PAIRING_TOKENS_MAX:
                raise PairingRefused(
                    f"{limits.PAIRING_TOKENS_MAX} pairing tokens are outstanding: wait a few"
                    " minutes until some expire",
                    code="too_many_pairings",
                )
            expires = now + limits.MEMBER_TOKEN_TTL_MS
            self._member_tokens[_digest(token)] = _Pairing(member_id, expires)
        return token

    def pair(self, token: str, *, member_name: Callable[[str], str | None]) -> AppSession:
        """Use a pairing token once: a guest session (meeting QR) or that member's session
        (a member token). pairing_unknown / pairing_used / pairing_expired otherwise."""
        now = self.clock.monotonic_ms()
        if not (len(token) == _PAIRING_TOKEN_CHARS and set(token) <= _URLSAFE):
            raise PairingRefused("that is not a pairing token of this node")
        digest = _digest(token)
        with self._lock:
            pairing = self._meeting.get(digest) or self._member_tokens.get(digest)
            if pairing is None:
                raise PairingRefused("no such pairing token here: ask for a new QR")
            if pairing.used:
                raise PairingRefused("this pairing QR was already used", code="pairing_used")
            if now >= pairing.expires_ms:
                raise PairingRefused("this pairing QR has expired", code="pairing_expired")
            pairing.used = True
        if not pairing.member_id:
            return self._new_session(Who(GUEST))
        name = member_name(pairing.member_id)
        if name is None:
            raise ChitError(f"no member {pairing.member_id}", code="unknown_member")
        self.clear_lockout(pairing.member_id)  # the foreman vouched for this phone
        return self._new_session(Who(MEMBER, pairing.member_id, name))

    # --- session lifetimes ---------------------------------------------------------------------

    def resolve(self, token: str) -> AppSession | None:
        """The live session of `token`, None if unknown, logged out or expired."""
        now = self.clock.monotonic_ms()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if expired(session, now):
                del self._sessions[token]
                return None
            return session

    def touch(self, token: str) -> AppSession | None:
        """The session, its idle time restarted (the person did something); None if gone."""
        now = self.clock.monotonic_ms()
        with self._lock:
            session = self._sessions.get(token)
            if session is None or expired(session, now):
                self._sessions.pop(token, None)
                return None
            session = self._sessions[token] = replace(session, last_seen_ms=now)
            return session

    def logout(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)

    def session_count(self) -> int:
        with self._lock:
            self._prune(self.clock.monotonic_ms())
            return len(self._sessions)

    # --- inside ------------------------------------------------------------------------------

    def _new_session(self, who: Who) -> AppSession:
        now = self.clock.monotonic_ms()
        token = secrets.token_urlsafe(limits.SESSION_TOKEN_BYTES)
        with self._lock:
            self._prune(now)
            if len(self._sessions) >= limits.LOGINS_MAX:
                raise TooManyLogins(
                    f"this node holds {limits.LOGINS_MAX} logins: try again when some end"
                )
            session = self._sessions[token] = AppSession(token, who, now, now)
        return session

    def _prune(self, now_ms: int) -> None:
        """Drop what has expired (under the lock): sessions, tokens past their time."""
        for token in [t for t, s in self._sessions.items() if expired(s, now_ms)]:
            del self._sessions[token]
        for book in (self._meeting, self._member_tokens):
            for digest in [d for d, p in book.items() if now_ms >= p.expires_ms]:
                del book[digest]

    def _refuse_if_locked(self, keys: list[tuple[str, str]]) -> None:
        now = self.clock.monotonic_ms()
        with self._lock:
            wait = max(self.lockouts.wait_ms(key, now) for key in keys)
        _lockout_if(wait, "too many wrong tries: try again in {} min, or ask the foreman")

    def _failed(self, keys: list[tuple[str, str]], why: str) -> None:
        now = self.clock.monotonic_ms()
        with self._lock:
            wait = max(self.lockouts.fail(key, now) for key in keys)
        _lockout_if(wait, why + ": too many wrong tries, locked for {} min")


def _lockout_if(wait_ms: int, text: str) -> None:
    """LockedOut for a wait, in whole minutes (`text` has one {} for them)."""
    if wait_ms > 0:
        raise LockedOut(text.format(_minutes(wait_ms)), retry_after_ms=wait_ms)


__all__ = [
    "AppSession",
    "Auth",
    "BadStaffPin",
    "BadUnlock",
    "LockedOut",
    "Lockouts",
    "NotStaffDevice",
    "PairingRefused",
    "StaffPins",
    "StaffRemoteRefused",
    "TooManyLogins",
    "client_is_local",
    "expired",
    "member_name_in",
    "passphrase_ok",
    "set_member_pin",
    "staff_pin_verifier",
    "staff_secret_checker",
]
