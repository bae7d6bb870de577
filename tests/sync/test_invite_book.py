"""One-time secrets (sync/invite/book.py), PIN verifiers (sync/invite/pins.py), the
kernel side of an invite (sync/invite/service.py) and `Node.join_empty`."""

from __future__ import annotations

from pathlib import Path

import pytest

from chitnode.errors import ChitError, UsageError, WrongBranch
from chitnode.log.entry import Entry, entry_from_stored
from chitnode.node.node import Node
from sync import limits
from sync.invite import code, service
from sync.invite.book import InviteBook, InviteExpired, InviteUnknown, InviteUsed, TooManyInvites
from sync.invite.pins import BadPin, BadVerifier, PinBook, PinRow, check_row
from tests.support.clock import FakeClock

NOW = 1_800_000_000_000
KEY_A, KEY_B = "aa" * 32, "bb" * 32
FINGERPRINT = "cd" * 32
ADDRESSES = [("127.0.0.1", 7400)]


def test_a_secret_is_claimed_once(tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    book.add("h1", "employee", "Counter 2", NOW, NOW + 60_000)
    pending = book.claim("h1", KEY_A, NOW + 1)
    assert (pending.role, pending.name, pending.used_by) == ("employee", "Counter 2", KEY_A)
    assert book.claim("h1", KEY_A, NOW + 2) == pending  # its answer was lost: the same again
    with pytest.raises(InviteUsed) as caught:
        InviteBook(tmp_path).claim("h1", KEY_B, NOW + 3)  # another process, another device
    assert caught.value.code == "invite_used"
    assert [p.state(NOW) for p in book.rows()] == ["used"]


def test_expired_and_unknown_secrets_change_nothing(tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    book.add("h1", "member", "Phone", NOW, NOW + 60_000)
    with pytest.raises(InviteExpired) as caught:
        book.claim("h1", KEY_A, NOW + 60_000)
    assert caught.value.code == "invite_expired"
    with pytest.raises(InviteUnknown):
        book.claim("h2", KEY_A, NOW)
    (row,) = book.rows()
    assert (row.used_ms, row.used_by, row.state(NOW + 60_000)) == (None, None, "expired")


def test_a_released_claim_can_be_used_again(tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    book.add("h1", "member", "Phone", NOW, NOW + 60_000)
    book.claim("h1", KEY_A, NOW)
    book.release("h1", KEY_B)  # not its claim: nothing happens
    with pytest.raises(InviteUsed):
        book.claim("h1", KEY_B, NOW)
    book.release("h1", KEY_A)
    assert book.claim("h1", KEY_B, NOW).used_by == KEY_B


def test_open_invites_are_bounded_and_old_ones_forgotten(tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    for i in range(limits.INVITES_OPEN_MAX):
        book.add(f"h{i}", "member", "Phone", NOW, NOW + 60_000)
    with pytest.raises(TooManyInvites):
        book.add("one-more", "member", "Phone", NOW, NOW + 60_000)
    later = NOW + 60_000 + limits.INVITE_CLOSED_KEPT_MS + 1
    book.add("fresh", "member", "Phone", later, later + 60_000)
    assert [p.secret_hash for p in book.rows()] == ["fresh"]


@pytest.mark.parametrize(("role", "name"), [("boss", "X"), ("member", ""), ("member", "a\nb")])
def test_role_and_name_are_checked(tmp_path: Path, role: str, name: str) -> None:
    with pytest.raises(UsageError):
        InviteBook(tmp_path).add("h", role, name, NOW, NOW + 1)


def test_the_invite_book_is_owner_only(tmp_path: Path) -> None:
    InviteBook(tmp_path)
    PinBook(tmp_path)
    assert (tmp_path / "invites.db").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "pins.db").stat().st_mode & 0o777 == 0o600


# --- the kernel side: making an invite, enrolling the joiner ----------------------------


def test_make_invite_keeps_only_the_hash(fresh_node: Node, tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    invite, pending = service.make_invite(
        fresh_node,
        book,
        role="foreman",
        name="Lakshmi's laptop",
        addresses=ADDRESSES,
        fingerprint=FINGERPRINT,
        now_ms=NOW,
    )
    assert (invite.branch, invite.root) == (fresh_node.branch, fresh_node.public)
    assert invite.expires_ms == NOW + limits.INVITE_TTL_DEFAULT_MS
    assert pending.secret_hash == code.secret_hash(invite.secret)
    assert book.rows() == [pending]
    raw = (tmp_path / "invites.db").read_bytes()
    assert invite.secret not in raw and invite.secret.hex().encode() not in raw


def test_only_an_admin_invites(fresh_node: Node, tmp_path: Path, clock: FakeClock) -> None:
    joiner = Node.join_empty(tmp_path / "j", fresh_node.branch, fresh_node.public, clock=clock)
    with joiner, pytest.raises(service.NotAdmin) as caught:
        service.make_invite(
            joiner,
            InviteBook(tmp_path),
            role="member",
            name="x",
            addresses=ADDRESSES,
            fingerprint=FINGERPRINT,
            now_ms=NOW,
        )
    assert caught.value.code == "not_admin"
    with pytest.raises(ChitError) as caught2:
        service.make_invite(
            fresh_node,
            InviteBook(tmp_path),
            role="member",
            name="x",
            addresses=ADDRESSES,
            fingerprint=FINGERPRINT,
            now_ms=NOW,
            ttl_ms=limits.INVITE_TTL_MAX_MS + 1,
        )
    assert caught2.value.code == "bad_invite_ttl"


def test_enrol_writes_once_per_device(fresh_node: Node, tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    _, pending = service.make_invite(
        fresh_node,
        book,
        role="employee",
        name="Counter",
        addresses=ADDRESSES,
        fingerprint=FINGERPRINT,
        now_ms=NOW,
    )
    first = service.enrol(fresh_node, pending, KEY_A, {})
    assert (fresh_node.engine.state.get("devices", KEY_A) or {})["role"] == "employee"
    again = service.enrol(fresh_node, pending, KEY_A, {})
    assert again == first
    assert fresh_node.status()["entries"] == 2  # genesis and one enrolment


# --- Node.join_empty: a store pinned to a branch's id and root -------------------------


def feed(node: Node) -> list[Entry]:
    return [entry_from_stored(raw) for _, raw in node.store.feed(node.public, 1)]


def test_join_empty_receives_the_branch(fresh_node: Node, tmp_path: Path, clock: FakeClock) -> None:
    fresh_node.submit("member.registered", {"member_id": "M1", "name": "Asha"})
    joiner = Node.join_empty(tmp_path / "j", fresh_node.branch, fresh_node.public, clock=clock)
    with joiner:
        assert joiner.status()["entries"] == 0 and joiner.role() is None
        assert (joiner.branch, joiner.root) == (fresh_node.branch, fresh_node.public)
        joiner.ingest(feed(fresh_node))
        assert joiner.status()["state_digest"] == fresh_node.status()["state_digest"]
    reopened = Node.open(tmp_path / "j", clock=clock)  # its key and pins survive a restart
    with reopened:
        assert (reopened.branch, reopened.root) == (fresh_node.branch, fresh_node.public)


def test_join_empty_refuses_another_root(
    fresh_node: Node, tmp_path: Path, clock: FakeClock
) -> None:
    """A branch is its id and its root: a genesis by any other key founds nothing here."""
    other = Node.init(tmp_path / "other", "Impostor", clock=clock, branch_id=fresh_node.branch)
    joiner = Node.join_empty(tmp_path / "j", fresh_node.branch, fresh_node.public, clock=clock)
    with other, joiner:
        joiner.ingest(feed(other))
        assert joiner.engine.state.get("branch", "branch") is None
        stranger = Node.init(tmp_path / "s", "Elsewhere", clock=clock)
        with stranger, pytest.raises(WrongBranch):
            joiner.ingest(feed(stranger))


def test_join_empty_checks_its_arguments(tmp_path: Path, fresh_node: Node) -> None:
    with pytest.raises(UsageError):
        Node.join_empty(tmp_path / "j", "not-hex", fresh_node.public)
    with pytest.raises(UsageError):
        Node.join_empty(tmp_path / "j2", fresh_node.branch, "AB" * 32)
    Node.init(tmp_path / "held", "Held").close()
    before = sorted(p.name for p in (tmp_path / "held").iterdir())
    with pytest.raises(UsageError):  # a folder that already holds a store stays as it was
        Node.join_empty(tmp_path / "held", fresh_node.branch, fresh_node.public)
    assert sorted(p.name for p in (tmp_path / "held").iterdir()) == before


# --- PIN verifiers ---------------------------------------------------------------------


def test_pin_set_and_check(tmp_path: Path) -> None:
    pins = PinBook(tmp_path)
    row = pins.set_pin("M1", "482913", NOW)
    assert row.verifier.startswith("$argon2id$") and "482913" not in row.verifier
    assert pins.check("M1", "482913") and not pins.check("M1", "482914")
    assert not pins.check("M2", "482913")
    for bad in ("12345", "1234567", "12a456", "١٢٣٤٥٦"):
        with pytest.raises(BadPin):
            pins.set_pin("M1", bad, NOW)


def test_the_newest_verifier_wins_in_any_order(tmp_path: Path) -> None:
    old = PinRow("M1", "$argon2id$old", NOW)
    new = PinRow("M1", "$argon2id$new", NOW + 1)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, two = PinBook(tmp_path / "a"), PinBook(tmp_path / "b")
    assert one.merge([old, new]) == 2 and two.merge([new, old]) == 1
    assert one.get("M1") == two.get("M1") == new
    assert one.merge([old]) == 0


@pytest.mark.parametrize(
    "row",
    [
        ["M1", "plaintext-pin", NOW],
        ["", "$argon2id$x", NOW],
        ["M1", "$argon2id$x", -1],
        ["M1", "$argon2id$x", True],
        ["M1", "$argon2id$" + "x" * limits.PIN_VERIFIER_CHARS_MAX, NOW],
        ["M1", "$argon2id$\x1b[2J", NOW],
        [5, "$argon2id$x", NOW],
    ],
)
def test_a_bad_verifier_row_is_refused(row: list[object]) -> None:
    with pytest.raises(BadVerifier):
        check_row(*row)


def test_an_open_invite_can_be_closed(tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    book.add("ab" * 32, "member", "Phone", NOW, NOW + 60_000)
    book.add("ac" * 32, "member", "Other", NOW, NOW + 60_000)
    with pytest.raises(ChitError) as caught:
        book.cancel("a", NOW)  # too short to be sure which
    assert caught.value.code == "usage"
    with pytest.raises(ChitError) as caught:
        book.cancel("abababab" + "0" * 4, NOW)
    assert caught.value.code == "not_found"
    closed = book.cancel("abababab", NOW + 1)
    assert closed.name == "Phone" and closed.state(NOW + 1) == "expired"
    with pytest.raises(InviteExpired):
        book.claim("ab" * 32, KEY_A, NOW + 2)
    assert book.claim("ac" * 32, KEY_A, NOW + 2).name == "Other"
    with pytest.raises(ChitError):  # closed or used: nothing open to close
        book.cancel("acacacac", NOW + 3)
