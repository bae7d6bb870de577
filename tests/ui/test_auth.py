"""ui/auth.py: staff unlock, member PIN login, lockouts, pairing tokens, session expiry.

Every time is the FakeClock's, moved by hand; PINs are checked by the real PinBook
(argon2id in pins.db) and the passphrase against a real sealed key from Node.init.
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.store.keys import PASSPHRASE_ENV
from sync.invite.pins import PinBook, make_verifier
from tests.support.clock import FakeClock
from ui import limits
from ui.auth import (
    Auth,
    LockedOut,
    StaffPins,
    client_is_local,
    member_name_in,
    passphrase_ok,
    set_member_pin,
    staff_pin_verifier,
    staff_secret_checker,
)
from ui.backend import reading_of
from ui.gate import GUEST, MEMBER, STAFF, Who

PIN = "246810"
STAFF_SECRET = "correct horse"
NAMES = {f"M{i}": f"Member {i}" for i in range(1, 9)}
name_of = NAMES.get  # the fold's lookup, as the shell passes it
PHONE_A, PHONE_B = "192.168.1.21", "192.168.1.22"


def code_of(call: object, *args: object, **kw: object) -> str:
    assert callable(call)
    with pytest.raises(ChitError) as caught:
        call(*args, **kw)
    return caught.value.code


@pytest.fixture
def pins(tmp_path: Path) -> PinBook:
    book = PinBook(tmp_path)
    book.set_pin("M1", PIN, 1)  # M1 alone has a PIN: the others fail fast (no argon2)
    return book


@pytest.fixture
def auth(tmp_path: Path, clock: FakeClock, pins: PinBook) -> Auth:
    return Auth(tmp_path, clock, pins=pins, staff_secret_ok=STAFF_SECRET.__eq__)


def fail_member(auth: Auth, member_id: str, client: str) -> str:
    return code_of(auth.login_member, member_id, "000000", client=client, member_name=name_of)


# --- member login ------------------------------------------------------------------------


def test_the_right_pin_logs_a_member_in(auth: Auth) -> None:
    session = auth.login_member("M1", PIN, client=PHONE_A, member_name=name_of)
    assert session.who == Who(MEMBER, "M1", "Member 1")
    assert auth.resolve(session.token) == session
    assert len(session.token) >= 40  # 32 random bytes, url-safe


def test_a_wrong_pin_and_a_stranger_get_the_same_answer(auth: Auth) -> None:
    assert code_of(auth.login_member, "M1", "135790", client=PHONE_A, member_name=name_of) == (
        "bad_pin"
    )
    assert fail_member(auth, "M99", PHONE_A) == "bad_pin"  # no such member: no probing
    assert fail_member(auth, "M2", PHONE_A) == "bad_pin"  # a member with no PIN yet
    assert fail_member(auth, "x" * 500, PHONE_A) == "bad_pin"
    huge = "1" * 100_000  # refused by its shape, before any argon2 work
    assert code_of(auth.login_member, "M1", huge, client=PHONE_B, member_name=name_of) == (
        "bad_pin"
    )
    assert auth.session_count() == 0


def test_five_failures_lock_the_member_out_then_the_lockout_doubles(
    auth: Auth, clock: FakeClock
) -> None:
    phones = [f"10.0.0.{i}" for i in range(1, 20)]  # a new address each try: the member counts
    for i in range(limits.FAILED_TRIES_MAX - 1):
        assert code_of(auth.login_member, "M1", "000000", client=phones[i], member_name=name_of)
    with pytest.raises(LockedOut) as fifth:
        auth.login_member("M1", "000000", client=phones[5], member_name=name_of)
    assert fifth.value.retry_after_ms == limits.LOCKOUT_FIRST_MS
    # locked: even the right PIN, from a fresh phone, is refused before it is checked
    assert code_of(auth.login_member, "M1", PIN, client=phones[6], member_name=name_of) == (
        "locked_out"
    )
    clock.advance(limits.LOCKOUT_FIRST_MS)
    for i in range(limits.FAILED_TRIES_MAX):  # a second run of failures
        code = code_of(auth.login_member, "M1", "000000", client=phones[7 + i], member_name=name_of)
    assert code == "locked_out"
    clock.advance(limits.LOCKOUT_FIRST_MS)  # the first length: not enough now
    assert code_of(auth.login_member, "M1", PIN, client=PHONE_B, member_name=name_of) == (
        "locked_out"
    )
    clock.advance(limits.LOCKOUT_FIRST_MS)  # twice the first: over
    assert auth.login_member("M1", PIN, client=PHONE_B, member_name=name_of).who.member_id == "M1"


def test_the_lockout_doubles_up_to_its_longest(auth: Auth, clock: FakeClock) -> None:
    lengths = []
    for _ in range(12):
        for _ in range(limits.FAILED_TRIES_MAX):
            code = fail_member(auth, "M2", PHONE_A)
        assert code == "locked_out"
        wait = auth.lockouts.wait_ms(("member", "M2"), clock.monotonic_ms())
        lengths.append(wait)
        clock.advance(wait)
    assert lengths[:3] == [limits.LOCKOUT_FIRST_MS * k for k in (1, 2, 4)]
    assert max(lengths) == limits.LOCKOUT_LONGEST_MS == lengths[-1]


def test_a_client_address_is_locked_out_across_members(auth: Auth) -> None:
    for member in ("M2", "M3", "M4", "M5"):  # one guess each: no member reaches the bound
        assert fail_member(auth, member, PHONE_A) == "bad_pin"
    assert fail_member(auth, "M6", PHONE_A) == "locked_out"  # the address did
    assert code_of(auth.login_member, "M1", PIN, client=PHONE_A, member_name=name_of) == (
        "locked_out"
    )
    # another phone is not held up, and M1 itself has no failures on record
    assert auth.login_member("M1", PIN, client=PHONE_B, member_name=name_of).who.name


def test_the_lockout_is_not_a_browser_sessions(auth: Auth) -> None:
    """Failures are kept by member id and address: a new tab, a logout, a fresh guest
    session from the meeting QR start nothing again."""
    for _ in range(limits.FAILED_TRIES_MAX):
        guest = auth.pair(auth.meeting_token(), member_name=name_of)  # a new session each time
        assert guest.who.role == GUEST
        fail_member(auth, "M3", PHONE_A)
        auth.logout(guest.token)
    assert fail_member(auth, "M3", PHONE_B) == "locked_out"


def test_a_success_ends_the_members_run_of_failures(auth: Auth) -> None:
    for _ in range(limits.FAILED_TRIES_MAX - 1):
        fail_member(auth, "M1", PHONE_A)
    auth.login_member("M1", PIN, client=PHONE_A, member_name=name_of)
    for _ in range(limits.FAILED_TRIES_MAX - 1):
        assert fail_member(auth, "M1", PHONE_B) == "bad_pin"


def test_old_failures_are_forgotten(auth: Auth, clock: FakeClock) -> None:
    for _ in range(limits.FAILED_TRIES_MAX - 1):
        fail_member(auth, "M2", PHONE_A)
    clock.advance(limits.FAILURES_FORGOTTEN_MS)
    for _ in range(limits.FAILED_TRIES_MAX - 1):
        assert fail_member(auth, "M2", PHONE_A) == "bad_pin"


def test_failure_records_are_bounded(auth: Auth, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "FAILURE_RECORDS_MAX", 6)
    for i in range(20):
        fail_member(auth, "M2", f"10.1.0.{i}")
    assert len(auth.lockouts) <= 6


def test_staff_can_clear_a_members_lockout(auth: Auth) -> None:
    for i in range(limits.FAILED_TRIES_MAX):
        fail_member(auth, "M1", f"10.2.0.{i}")
    auth.clear_lockout("M1")
    assert auth.login_member("M1", PIN, client=PHONE_B, member_name=name_of).who.member_id == "M1"


# --- staff unlock --------------------------------------------------------------------------


def test_staff_unlock_from_this_machine_only(tmp_path: Path, clock: FakeClock, auth: Auth) -> None:
    assert code_of(auth.unlock_staff, STAFF_SECRET, local=False) == "staff_remote_refused"
    session = auth.unlock_staff(STAFF_SECRET, local=True, client="127.0.0.1")
    assert session.who == Who(STAFF)
    open_auth = Auth(
        tmp_path,
        clock,
        pins=auth.pins,
        staff_secret_ok=STAFF_SECRET.__eq__,
        allow_remote_staff=True,
    )
    assert open_auth.unlock_staff(STAFF_SECRET, local=False, client=PHONE_A).who.is_staff


def test_an_oversized_or_empty_secret_is_not_even_checked(tmp_path: Path, clock: FakeClock) -> None:
    tried: list[str] = []

    def ok(secret: str) -> bool:
        tried.append(secret)
        return False

    auth = Auth(tmp_path, clock, pins=PinBook(tmp_path), staff_secret_ok=ok)
    for secret in ("", "x" * (limits.UNLOCK_SECRET_CHARS_MAX + 1)):
        assert code_of(auth.unlock_staff, secret, local=True) == "bad_unlock"
    assert tried == []


def test_a_wrong_unlock_is_refused_and_counted(auth: Auth, clock: FakeClock) -> None:
    for _ in range(limits.FAILED_TRIES_MAX - 1):
        assert code_of(auth.unlock_staff, "guess", local=True, client="127.0.0.1") == "bad_unlock"
    assert code_of(auth.unlock_staff, "guess", local=True, client="127.0.0.1") == "locked_out"
    assert code_of(auth.unlock_staff, STAFF_SECRET, local=True, client="127.0.0.1") == (
        "locked_out"
    )
    clock.advance(limits.LOCKOUT_FIRST_MS)
    assert auth.unlock_staff(STAFF_SECRET, local=True, client="127.0.0.1").who.is_staff


def test_client_is_local() -> None:
    own = frozenset({"192.168.1.5", "fd00::2"})
    for client in ("127.0.0.1", "127.0.0.9", "::1", "::ffff:127.0.0.1", "192.168.1.5", "fd00::2"):
        assert client_is_local(client, own), client
    for client in ("192.168.1.6", "::ffff:192.168.1.6", "", "localhost", "fe80::1%eth0"):
        assert not client_is_local(client, own), client


# --- the secrets: passphrase and staff PIN ---------------------------------------------------


@pytest.fixture
def passphrase() -> str:
    return os.environ[PASSPHRASE_ENV]  # what the suite's autouse fixture sealed keys with


@pytest.fixture
def sealed(tmp_path: Path) -> Path:
    """A real node folder whose key is sealed with the passphrase (CHITNODE_KEYSTORE=file)."""
    folder = tmp_path / "node"
    Node.init(folder, "Test Branch", clock=FakeClock()).close()
    return folder


def test_passphrase_ok_unseals_the_real_key_file(
    sealed: Path, tmp_path: Path, passphrase: str
) -> None:
    assert passphrase_ok(sealed, passphrase)
    assert not passphrase_ok(sealed, passphrase + "!")
    assert not passphrase_ok(sealed, "short")  # below the passphrase minimum: not tried
    assert not passphrase_ok(tmp_path / "elsewhere", passphrase)  # no key file there


def test_the_staff_unlock_takes_the_passphrase_or_the_staff_pin(
    sealed: Path, clock: FakeClock, passphrase: str
) -> None:
    ok = staff_secret_checker(sealed)
    assert ok(passphrase) and not ok("123456")
    StaffPins(sealed).set_verifier(staff_pin_verifier("123456"), clock.now_ms())
    assert ok("123456") and ok(passphrase) and not ok("1234567")
    assert stat.S_IMODE((sealed / "staff_pins.db").stat().st_mode) == 0o600
    auth = Auth.for_folder(sealed, clock)
    assert auth.unlock_staff("123456", local=True).who.is_staff
    assert auth.unlock_staff(passphrase, local=True).who.is_staff
    assert StaffPins(sealed).clear() and not ok("123456")
    assert not StaffPins(sealed).clear()


@pytest.mark.parametrize("pin", ["12345", "1234567890123", "12345a", "１２３４５６", ""])
def test_a_staff_pin_is_6_to_12_digits(pin: str) -> None:
    assert code_of(staff_pin_verifier, pin) == "bad_staff_pin"


def test_a_staff_pin_row_must_be_a_verifier(tmp_path: Path) -> None:
    assert code_of(StaffPins(tmp_path).set_verifier, "123456", 1) == "bad_verifier"


# --- a member's PIN at KYC ---------------------------------------------------------------------


def test_set_member_pin_for_a_member_in_the_fold(sealed: Path, clock: FakeClock) -> None:
    with Node.open(sealed, clock=clock) as node:
        node.submit("member.registered", {"member_id": "M1", "name": "Lakshmi"})
        reading = reading_of(node, sealed)
        assert member_name_in(reading.state)("M1") == "Lakshmi"
        assert member_name_in(reading.state)("M2") is None
        assert code_of(set_member_pin, reading, "M2", make_verifier(PIN)) == "unknown_member"
        first = set_member_pin(reading, "M1", make_verifier(PIN))
        # the same clock reading: the change still wins over the verifier held
        second = set_member_pin(reading, "M1", make_verifier("135791"))
    assert second.set_ms == first.set_ms + 1
    book = PinBook(sealed)
    assert book.check("M1", "135791") and not book.check("M1", PIN)


def test_set_member_pin_only_where_members_are_served(sealed: Path, clock: FakeClock) -> None:
    with Node.open(sealed, clock=clock) as node:
        node.submit("member.registered", {"member_id": "M1", "name": "Lakshmi"})
        reading = reading_of(node, sealed)
    auditor = replace(reading, device_role="auditor")
    assert code_of(set_member_pin, auditor, "M1", make_verifier(PIN)) == "not_member_server"
    assert PinBook(sealed).get("M1") is None


# --- pairing tokens -------------------------------------------------------------------------


def test_the_meeting_qr_opens_the_login_once(auth: Auth, clock: FakeClock) -> None:
    token = auth.meeting_token()
    guest = auth.pair(token, member_name=name_of)
    assert guest.who == Who(GUEST) and auth.resolve(guest.token) == guest
    assert code_of(auth.pair, token, member_name=name_of) == "pairing_used"
    late = auth.meeting_token()
    clock.advance(limits.MEETING_TOKEN_TTL_MS)
    assert code_of(auth.pair, late, member_name=name_of) == "pairing_expired"


def test_unknown_and_malformed_tokens(auth: Auth) -> None:
    auth.meeting_token()
    for token in ("A" * 22, "", "x" * 65, "a b" * 7 + "a", "../../etc", "ÄÖÜ" * 7 + "a"):
        assert code_of(auth.pair, token, member_name=name_of) == "pairing_unknown", token


def test_only_a_tokens_hash_is_kept(auth: Auth) -> None:
    tokens = [auth.meeting_token(), auth.issue_member_token("M2")]
    kept = repr(vars(auth))  # every table the Auth holds
    assert all(token not in kept for token in tokens)


def test_meeting_tokens_are_bounded_oldest_first(auth: Auth) -> None:
    first = auth.meeting_token()
    rest = [auth.meeting_token() for _ in range(limits.MEETING_TOKENS_MAX)]
    assert code_of(auth.pair, first, member_name=name_of) == "pairing_unknown"
    assert all(auth.pair(t, member_name=name_of).who.role == GUEST for t in rest)


def test_a_member_token_logs_one_phone_in_as_that_member(auth: Auth, clock: FakeClock) -> None:
    for i in range(limits.FAILED_TRIES_MAX):  # M1 locked out by someone's guesses
        fail_member(auth, "M1", f"10.3.0.{i}")
    token = auth.issue_member_token("M1")
    session = auth.pair(token, member_name=name_of)
    assert session.who == Who(MEMBER, "M1", "Member 1")
    assert code_of(auth.pair, token, member_name=name_of) == "pairing_used"
    assert auth.login_member("M1", PIN, client=PHONE_B, member_name=name_of)  # lockout cleared
    late = auth.issue_member_token("M2")
    clock.advance(limits.MEMBER_TOKEN_TTL_MS)
    assert code_of(auth.pair, late, member_name=name_of) == "pairing_expired"
    gone = auth.issue_member_token("M42")
    assert code_of(auth.pair, gone, member_name=name_of) == "unknown_member"


def test_member_tokens_are_bounded(auth: Auth, clock: FakeClock) -> None:
    for _ in range(limits.PAIRING_TOKENS_MAX):
        auth.issue_member_token("M2")
    assert code_of(auth.issue_member_token, "M2") == "too_many_pairings"
    clock.advance(limits.MEMBER_TOKEN_TTL_MS)  # expired ones make room
    assert auth.issue_member_token("M2")


# --- session lifetimes ---------------------------------------------------------------------


def test_a_member_is_logged_out_after_being_idle(auth: Auth, clock: FakeClock) -> None:
    session = auth.login_member("M1", PIN, client=PHONE_A, member_name=name_of)
    clock.advance(limits.MEMBER_IDLE_TIMEOUT_MS - 1)
    touched = auth.touch(session.token)
    assert touched is not None and touched.last_seen_ms == clock.monotonic_ms()
    clock.advance(limits.MEMBER_IDLE_TIMEOUT_MS - 1)
    assert auth.resolve(session.token) is not None  # resolve does not restart the idle time
    clock.advance(1)
    assert auth.resolve(session.token) is None and auth.touch(session.token) is None


def test_touching_does_not_outlive_the_absolute_lifetime(auth: Auth, clock: FakeClock) -> None:
    session = auth.login_member("M1", PIN, client=PHONE_A, member_name=name_of)
    step = limits.MEMBER_IDLE_TIMEOUT_MS // 2
    for _ in range(limits.MEMBER_SESSION_LIFETIME_MS // step - 1):
        clock.advance(step)
        assert auth.touch(session.token) is not None
    clock.advance(step)
    assert auth.touch(session.token) is None


def test_staff_stay_unlocked_longer_than_members(auth: Auth, clock: FakeClock) -> None:
    member = auth.login_member("M1", PIN, client=PHONE_A, member_name=name_of)
    staff = auth.unlock_staff(STAFF_SECRET, local=True)
    clock.advance(limits.MEMBER_IDLE_TIMEOUT_MS)
    assert auth.resolve(member.token) is None and auth.resolve(staff.token) is not None
    clock.advance(limits.STAFF_IDLE_TIMEOUT_MS - limits.MEMBER_IDLE_TIMEOUT_MS)
    assert auth.resolve(staff.token) is None
    assert limits.STAFF_IDLE_TIMEOUT_MS > limits.MEMBER_IDLE_TIMEOUT_MS


def test_logout_ends_the_session(auth: Auth) -> None:
    session = auth.unlock_staff(STAFF_SECRET, local=True)
    auth.logout(session.token)
    auth.logout(session.token)  # twice: no harm
    assert auth.resolve(session.token) is None and auth.resolve("nonsense") is None


def test_logins_are_bounded(auth: Auth, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "LOGINS_MAX", 3)
    sessions = [auth.pair(auth.meeting_token(), member_name=name_of) for _ in range(3)]
    assert code_of(auth.unlock_staff, STAFF_SECRET, local=True) == "too_many_logins"
    auth.logout(sessions[0].token)
    assert auth.unlock_staff(STAFF_SECRET, local=True).who.is_staff
    clock.advance(limits.GUEST_IDLE_TIMEOUT_MS)  # the guests' idle time ends: room again
    assert auth.session_count() == 1
    assert auth.pair(auth.meeting_token(), member_name=name_of).who.role == GUEST
