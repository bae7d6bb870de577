"""The peer book (sync/discovery/book.py): remembered addresses, lag, failures, the file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from sync import limits
from sync.discovery.book import BOOK_FILE, BadPeerAddress, Candidate, PeerBook
from tests.support.clock import T0_MS as T0
from tests.support.clock import FakeClock

A = "a" * 64
B = "b" * 64
C = "c" * 64


def key(n: int) -> str:
    return f"{n:064x}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def book_in(folder: Path, clock: FakeClock) -> PeerBook:
    return PeerBook(folder, clock=clock)


@pytest.fixture
def book(tmp_path: Path, clock: FakeClock) -> PeerBook:
    """A fresh book in the test's folder (reopen it with `book_in` to read the file back)."""
    return book_in(tmp_path, clock)


def test_a_peer_seen_is_remembered_across_a_restart(
    book: PeerBook, tmp_path: Path, clock: FakeClock
) -> None:
    book.note_seen(A, "192.168.1.20", 7400)
    clock.advance(1_000)
    book.note_lag(A, 42)

    again = book_in(tmp_path, clock)
    [row] = again.rows()
    assert row.key == A
    assert row.addresses == ("192.168.1.20:7400 (channel)",)
    assert row.last_seen_ms == T0
    assert row.lag_entries == 42
    assert row.failure_code is None
    assert again.candidates() == [Candidate("192.168.1.20", 7400, A)]
    assert again.damaged is None


def test_the_file_is_private_and_no_temporary_file_is_left(
    tmp_path: Path, clock: FakeClock
) -> None:
    book_in(tmp_path, clock).note_seen(A, "10.0.0.2", 7400)
    assert stat.S_IMODE(os.stat(tmp_path / BOOK_FILE).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [BOOK_FILE]


def test_candidates_most_recently_seen_peer_first_then_its_newest_address(
    book: PeerBook, clock: FakeClock
) -> None:
    book.note_seen(A, "10.0.0.1", 7400)
    clock.advance(10)
    book.note_seen(B, "10.0.0.2", 7400)
    clock.advance(10)
    book.note_seen(A, "10.0.0.9", 7401)  # A moved (a new DHCP lease) and was seen last
    book.note_address("10.0.0.50", 7400, via="peer")  # a --peer nobody answered at yet

    assert book.candidates() == [
        Candidate("10.0.0.9", 7401, A),
        Candidate("10.0.0.1", 7400, A),
        Candidate("10.0.0.2", 7400, B),
        Candidate("10.0.0.50", 7400, None),
    ]
    assert [c.key for c in book.candidates(exclude_key=A)] == [B, None]


def test_an_address_that_answers_joins_the_device_that_answered(
    book: PeerBook, clock: FakeClock
) -> None:
    book.note_address("10.0.0.7", 7400, via="peer")
    book.note_failure("10.0.0.7", 7400, "connection_refused", "nobody listens")
    [before] = book.rows()
    assert before.key is None and before.failure_code == "connection_refused"

    clock.advance(5_000)
    book.note_seen(B, "10.0.0.7", 7400)
    [after] = book.rows()
    assert after.key == B
    assert after.addresses == ("10.0.0.7:7400 (peer)",)  # how it was learnt stays
    assert after.failure_code is None  # it answers now: the old failure is history
    # The same address again as a hint adds nothing: it is B's.
    book.note_address("10.0.0.7", 7400, via="mdns")
    assert len(book.rows()) == 1


def test_a_failure_says_why_and_when_and_is_kept_on_the_peer(
    book: PeerBook, tmp_path: Path, clock: FakeClock
) -> None:
    book.note_seen(A, "10.0.0.1", 7400)
    clock.advance(60_000)
    book.note_failure("10.0.0.1", 7400, "tls_refused", "x" * 1_000)
    [row] = book_in(tmp_path, clock).rows()
    assert row.key == A  # the failing address is A's, so the failure is A's
    assert row.failure_code == "tls_refused"
    assert row.failure_at_ms == T0 + 60_000
    assert row.failure_message == "x" * limits.PEER_FAILURE_MESSAGE_CHARS_MAX
    assert row.last_seen_ms == T0


def test_a_damaged_file_is_set_aside_with_a_message_and_the_book_starts_empty(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / BOOK_FILE).write_text('{"version": 1, "peers": [{"key": "nope"')
    book = book_in(tmp_path, clock)
    assert book.rows() == []
    assert book.damaged is not None and "peers.json.damaged" in book.damaged
    assert (tmp_path / "peers.json.damaged").read_text().startswith('{"version": 1')
    assert "peer book" in caplog.text
    book.note_seen(A, "10.0.0.1", 7400)  # and it goes on
    assert [r.key for r in book_in(tmp_path, clock).rows()] == [A]


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe not json",
        b"[]",
        b'{"version": 99, "peers": []}',
        b'{"version": 1, "peers": [{"key": null, "addresses": [], "last_seen_ms": null,'
        b' "lag_entries": null, "lag_at_ms": null, "failure": null}]}',
        json.dumps(
            {
                "version": 1,
                "peers": [
                    {
                        "key": "a" * 64,
                        "addresses": [{"host": "h", "port": 0, "via": "x", "last_seen_ms": 1}],
                        "last_seen_ms": 1,
                        "lag_entries": None,
                        "lag_at_ms": None,
                        "failure": None,
                    }
                ],
            }
        ).encode(),
    ],
    ids=["not-utf8", "not-object", "other-version", "empty-record", "port-0"],
)
def test_every_kind_of_bad_file_is_set_aside(
    tmp_path: Path, clock: FakeClock, content: bytes
) -> None:
    (tmp_path / BOOK_FILE).write_bytes(content)
    book = book_in(tmp_path, clock)
    assert book.rows() == [] and book.damaged is not None
    assert (tmp_path / "peers.json.damaged").read_bytes() == content


def test_an_oversized_file_is_set_aside_unread(tmp_path: Path, clock: FakeClock) -> None:
    (tmp_path / BOOK_FILE).write_bytes(b" " * (limits.PEER_BOOK_BYTES_MAX + 1))
    book = book_in(tmp_path, clock)
    assert book.damaged is not None and "bytes" in book.damaged


def test_peers_are_bounded_and_the_least_recently_seen_goes_first(
    book: PeerBook, tmp_path: Path, clock: FakeClock
) -> None:
    for n in range(limits.PEER_BOOK_PEERS_MAX + 3):
        clock.advance(1)
        book.note_seen(key(n), f"10.1.{n // 250}.{n % 250}", 7400)
    kept = {r.key for r in book_in(tmp_path, clock).rows()}
    assert len(kept) == limits.PEER_BOOK_PEERS_MAX
    assert {key(0), key(1), key(2)}.isdisjoint(kept)
    assert key(limits.PEER_BOOK_PEERS_MAX + 2) in kept
    # A full book is read back whole (the bound on the file's size allows it).
    assert (tmp_path / BOOK_FILE).stat().st_size <= limits.PEER_BOOK_BYTES_MAX


def test_addresses_are_bounded_per_peer_and_the_oldest_goes_first(
    book: PeerBook, clock: FakeClock
) -> None:
    for n in range(limits.PEER_BOOK_ADDRESSES_MAX + 2):
        clock.advance(1)
        book.note_seen(A, f"10.0.0.{n + 1}", 7400)
    record = book.get(A)
    assert record is not None
    hosts = [a.host for a in record.addresses]
    assert len(hosts) == limits.PEER_BOOK_ADDRESSES_MAX
    assert hosts[0] == f"10.0.0.{limits.PEER_BOOK_ADDRESSES_MAX + 2}"
    assert "10.0.0.1" not in hosts and "10.0.0.2" not in hosts


def test_hints_never_push_out_an_address_that_answered(
    book: PeerBook,
) -> None:
    book.note_seen(A, "10.0.0.1", 7400)
    for n in range(limits.PEER_BOOK_ADDRESSES_MAX + 2):
        book.note_address(f"10.9.0.{n}", 7400, via="mdns", key=A)
    record = book.get(A)
    assert record is not None and record.addresses[0].host == "10.0.0.1"


def test_ipv6_addresses_are_shown_bracketed(
    book: PeerBook,
) -> None:
    book.note_seen(C, "fe80::1%eth0", 7400)
    assert book.rows()[0].addresses == ("[fe80::1%eth0]:7400 (channel)",)


@pytest.mark.parametrize(
    ("host", "port"),
    [("", 7400), ("a b", 7400), ("h\n", 7400), ("h" * 254, 7400), ("h", 0), ("h", 65_536)],
)
def test_an_address_no_socket_could_dial_is_refused(
    book: PeerBook, tmp_path: Path, host: str, port: int
) -> None:
    with pytest.raises(BadPeerAddress):
        book.note_address(host, port, via="peer")
    assert book.rows() == [] and not (tmp_path / BOOK_FILE).exists()


def test_keys_and_lags_are_checked(book: PeerBook) -> None:
    with pytest.raises(ValueError, match="64 lowercase hex"):
        book.note_seen("A" * 64, "h", 1)
    with pytest.raises(ValueError, match="count of entries"):
        book.note_lag(A, -1)
    assert book.rows() == []


def test_a_folder_that_cannot_be_written_keeps_the_book_in_memory(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    book = book_in(folder, clock)
    folder.rmdir()  # the save cannot even create its temporary file
    book.note_seen(A, "10.0.0.1", 7400)
    assert [r.key for r in book.rows()] == [A]
    assert "cannot save the peer book" in caplog.text


def test_an_address_keeps_its_source_and_a_weak_one_gives_way(book: PeerBook) -> None:
    """`(mdns)` on a row is how a person tells that multicast works on this LAN."""
    book.note_address("10.0.0.3", 7461, via="mdns")
    book.note_seen(A, "10.0.0.3", 7461)  # it answered: still learnt from mDNS
    book.note_seen(B, "10.0.0.4", 7461)  # answered before anything named it (the guard)
    book.note_address("10.0.0.4", 7461, via="peer")  # then the finder notes the --peer
    book.note_failure("10.0.0.5", 7461, "peer_unreachable", "refused")
    book.note_address("10.0.0.5", 7461, via="invite")
    rows = {r.key: r.addresses for r in book.rows()}
    assert rows[A] == ("10.0.0.3:7461 (mdns)",)
    assert rows[B] == ("10.0.0.4:7461 (peer)",)
    assert rows[None] == ("10.0.0.5:7461 (invite)",)


def test_naming_a_known_address_again_keeps_its_place(book: PeerBook, clock: FakeClock) -> None:
    book.note_seen(A, "10.0.0.1", 7461)
    clock.advance(10)
    book.note_seen(A, "10.0.0.2", 7461)
    book.note_address("10.0.0.1", 7461, via="mdns")  # the older one, heard on mDNS
    record = book.get(A)
    assert record is not None
    assert [(a.host, a.via) for a in record.addresses] == [
        ("10.0.0.2", "channel"),
        ("10.0.0.1", "mdns"),
    ]
