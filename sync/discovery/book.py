"""The peer book: the peers this node has met, where, how far behind, and why a dial failed.

Discovery on a real network is a hint that often never comes (guest Wi-Fi and access
points that isolate clients drop multicast), so a node remembers every address where
it reached a peer and dials those again on the next start, beside `--peer` and mDNS.
The same book answers `chitnode peers`: each peer, its addresses, when it was last
seen, its lag, and why the last connection to it failed.

A record is keyed by the peer's device key (64 hex) once the channel has told us who
answered; an address that never answered as anybody (a `--peer` that is down, an mDNS
hint that refused us) has a record of its own until it does.

The book lives in `<data>/peers.json`, written whole to a temporary file, fsynced and
renamed over the old one, so a crash leaves the old book or the new one, never half.
Nothing in it is trusted: the channel authenticates whoever answers at an address, so
a stale or forged address costs one failed dial, never a wrong peer. A file that is not
a book (damaged, hand-edited, too big) is set aside as `peers.json.damaged` with a
warning and the node starts with an empty book: serve never stops for its address list.
What the book holds is bounded (sync/limits.py, "the peer book").
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chitnode.clock import Clock, SystemClock
from chitnode.store.lock import PRIVATE_FILE_MODE
from sync import limits

_log = logging.getLogger(__name__)
BOOK_FILE = "peers.json"
BOOK_TEMP_FILE = "peers.json.tmp"
DAMAGED_SUFFIX = ".damaged"
BOOK_VERSION = 1  # the file's layout; a book of another version is set aside like a damaged one
_KEY_RE = re.compile(r"\A[0-9a-f]{64}\Z")
_WEAK_SOURCES = frozenset({"channel", "dialled"})  # what a real source of an address replaces
_ADDRESS_PREFIX = "addr:"  # the record id of an address no device has answered at yet


class BadPeerAddress(ValueError):
    """A host or port no socket could dial (a bug in the caller, or bad `--peer` text)."""


@dataclass(slots=True)
class Address:
    host: str
    port: int
    via: str  # how it was first learnt: "peer" (--peer), "mdns", "invite", "channel" (answered
    # before anything else named it), "dialled" (a failed dial named it first)
    last_seen_ms: int | None = None  # when a peer last answered here; None: never yet


@dataclass(slots=True)
class Failure:
    code: str  # a stable error code (chitnode/errors.py CODES), or an OS error's name
    message: str
    at_ms: int
    host: str
    port: int


@dataclass(slots=True)
class PeerRecord:
    key: str | None  # the device key once one answered; None for an address alone
    addresses: list[Address] = field(default_factory=list)  # most recently seen first
    last_seen_ms: int | None = None
    lag_entries: int | None = None  # entries it held that we did not, at the last check
    lag_at_ms: int | None = None
    failure: Failure | None = None  # the last failed dial, cleared by the next success


@dataclass(frozen=True, slots=True)
class Candidate:
    """An address to dial and the device expected there (None: whoever answers)."""

    host: str
    port: int
    key: str | None


@dataclass(frozen=True, slots=True)
class PeerRow:
    """One line of `chitnode peers`."""

    key: str | None
    addresses: tuple[str, ...]  # "host:port (via)", most recently seen first
    last_seen_ms: int | None
    lag_entries: int | None
    failure_code: str | None
    failure_message: str | None
    failure_at_ms: int | None


def check_address(host: str, port: int) -> None:
    """Raise BadPeerAddress unless `host`/`port` can name a TCP peer."""
    if not isinstance(host, str) or not 0 < len(host) <= limits.PEER_HOST_CHARS_MAX:
        raise BadPeerAddress(f"a peer host is 1-{limits.PEER_HOST_CHARS_MAX} characters")
    if not host.isprintable() or any(c.isspace() for c in host):
        raise BadPeerAddress(f"a peer host has no spaces or control characters: {host!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port <= limits.PEER_PORT_MAX:
        raise BadPeerAddress(f"a peer port is 1-{limits.PEER_PORT_MAX}, not {port!r}")


def _address_id(host: str, port: int) -> str:
    return f"{_ADDRESS_PREFIX}{host}:{port}"


def _recency(ms: int | None) -> int:
    return -1 if ms is None else ms


class PeerBook:
    """Remembered peers of one data folder; every change is saved before the call returns.

    Safe to call from the event loop and the node thread alike (one lock). A save costs
    one small fsync; the shell notes a peer when a connection opens, fails or catches
    up, not per frame.
    """

    def __init__(self, data_dir: Path, *, clock: Clock | None = None) -> None:
        self._folder = Path(data_dir)
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._records: dict[str, PeerRecord] = {}
        self.damaged: str | None = None  # why the file on disk was set aside, if it was
        self._load()

    @property
    def path(self) -> Path:
        return self._folder / BOOK_FILE

    # --- what the shell tells the book -------------------------------------------------

    def note_seen(self, key: str, host: str, port: int, *, via: str = "channel") -> None:
        """Device `key` answered (authenticated) at host:port now: remember the address."""
        _check_key(key)
        check_address(host, port)
        now = self._clock.now_ms()
        with self._lock:
            record = self._adopt(key, host, port)
            _remember(record, host, port, via, now)
            record.last_seen_ms = now
            record.failure = None  # it answers: an older failed dial is history
            self._put(key, record)
            self._save()

    def note_address(self, host: str, port: int, *, via: str, key: str | None = None) -> None:
        """Learn an address to try (a `--peer`, an mDNS hint, an invite); nothing answered yet."""
        check_address(host, port)
        if key is not None:
            _check_key(key)
        with self._lock:
            owner = self._owner(host, port) if key is None else None
            if owner is not None:  # a known peer's address: it may learn where it came from
                _remember(self._records[owner], host, port, via, None)
                self._save()
                return
            rid = key if key is not None else _address_id(host, port)
            record = self._adopt(key, host, port) if key else self._records.pop(rid, None)
            record = record or PeerRecord(None)
            _remember(record, host, port, via, None)
            self._put(rid, record)
            self._save()

    def note_failure(
        self, host: str, port: int, code: str, message: str, *, key: str | None = None
    ) -> None:
        """A dial of host:port (expecting `key`, if known) failed with `code`: say why."""
        check_address(host, port)
        if key is not None:
            _check_key(key)
        failure = Failure(
            code, message[: limits.PEER_FAILURE_MESSAGE_CHARS_MAX], self._clock.now_ms(), host, port
        )
        with self._lock:
            rid = key or self._owner(host, port) or _address_id(host, port)
            record = self._records.pop(rid, None) or PeerRecord(key)
            if not any((a.host, a.port) == (host, port) for a in record.addresses):
                _remember(record, host, port, "dialled", None)
            record.failure = failure
            self._put(rid, record)
            self._save()

    def note_lag(self, key: str, lag_entries: int) -> None:
        """After a catch-up with `key`: how many entries it held that we lacked."""
        _check_key(key)
        if isinstance(lag_entries, bool) or not isinstance(lag_entries, int) or lag_entries < 0:
            raise ValueError(f"a lag is a count of entries, not {lag_entries!r}")
        with self._lock:
            record = self._records.pop(key, None) or PeerRecord(key)
            record.lag_entries, record.lag_at_ms = lag_entries, self._clock.now_ms()
            self._put(key, record)
            self._save()

    # --- what the shell asks -----------------------------------------------------------

    def candidates(self, *, exclude_key: str | None = None) -> list[Candidate]:
        """Addresses to dial: peers most recently seen first, each peer's newest address first.

        Addresses nobody has answered at yet come last. An address is listed once.
        """
        with self._lock:
            records = sorted(
                (r for r in self._records.values() if r.key is None or r.key != exclude_key),
                key=lambda r: (r.key is not None, _recency(r.last_seen_ms)),
                reverse=True,
            )
            seen: set[tuple[str, int]] = set()
            found: list[Candidate] = []
            for record in records:
                for address in record.addresses:
                    if (address.host, address.port) not in seen:
                        seen.add((address.host, address.port))
                        found.append(Candidate(address.host, address.port, record.key))
            return found

    def rows(self) -> list[PeerRow]:
        """What `chitnode peers` shows, most recently seen first."""
        with self._lock:
            records = sorted(
                self._records.values(), key=lambda r: _recency(r.last_seen_ms), reverse=True
            )
            return [_row(record) for record in records]

    def get(self, key: str) -> PeerRecord | None:
        with self._lock:
            return self._records.get(key)

    # --- the file ----------------------------------------------------------------------

    def _adopt(self, key: str, host: str, port: int) -> PeerRecord:
        """`key`'s record (popped, or new), taking over host:port's keyless record if any."""
        record = self._records.pop(key, None) or PeerRecord(key)
        orphan = self._records.pop(_address_id(host, port), None)
        if orphan is not None:  # the address was known before anyone answered there
            for address in reversed(orphan.addresses):
                _remember(record, address.host, address.port, address.via, None)
            record.failure = record.failure or orphan.failure
        return record

    def _owner(self, host: str, port: int) -> str | None:
        """The device key whose record lists host:port, if one does."""
        for rid, record in self._records.items():
            if record.key is not None and any(
                (a.host, a.port) == (host, port) for a in record.addresses
            ):
                return rid
        return None

    def _put(self, rid: str, record: PeerRecord) -> None:
        """Insert `record` as the newest; forget the least recently seen past the bound."""
        self._records[rid] = record
        while len(self._records) > limits.PEER_BOOK_PEERS_MAX:
            oldest = min(
                (r for r in self._records if r != rid),
                key=lambda r: _recency(self._records[r].last_seen_ms),
            )
            del self._records[oldest]

    def _save(self) -> None:
        """Write the whole book atomically; a failure is logged, the book stays in memory."""
        doc = {"version": BOOK_VERSION, "peers": [_dump(r) for r in self._records.values()]}
        data = json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n"
        temp = self._folder / BOOK_TEMP_FILE
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, self.path)
        except OSError as exc:  # a full disk must not stop serve: the dials go on
            _log.warning("cannot save the peer book %s: %s", self.path, exc)

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                data = handle.read(limits.PEER_BOOK_BYTES_MAX + 1)
        except FileNotFoundError:
            return
        except OSError as exc:
            self.damaged = f"cannot read {self.path}: {exc}; starting with an empty peer book"
            _log.warning("%s", self.damaged)
            return
        try:
            if len(data) > limits.PEER_BOOK_BYTES_MAX:
                raise ValueError(f"over {limits.PEER_BOOK_BYTES_MAX} bytes")
            records = _parse(json.loads(data))
        except (ValueError, TypeError, KeyError, BadPeerAddress) as exc:
            self._set_aside(exc)
            return
        for record in records[-limits.PEER_BOOK_PEERS_MAX :]:
            self._put(record.key or _address_id(*_first(record)), record)

    def _set_aside(self, why: Exception) -> None:
        aside = self.path.with_name(BOOK_FILE + DAMAGED_SUFFIX)
        try:
            os.replace(self.path, aside)
            where = f"moved to {aside.name}"
        except OSError as exc:
            where = f"could not be moved aside ({exc})"
        self.damaged = (
            f"the peer book {self.path} is not one this node wrote ({why}); it was {where} "
            "and the node starts with an empty book: peers are found again by discovery, "
            "--peer and their own dials"
        )
        _log.warning("%s", self.damaged)


def _check_key(key: str) -> None:
    if not isinstance(key, str) or _KEY_RE.match(key) is None:
        raise ValueError(f"a device key is 64 lowercase hex digits, not {key!r}")


def _remember(record: PeerRecord, host: str, port: int, via: str, seen_ms: int | None) -> None:
    """Add host:port to `record`'s addresses, or note that it answered now (then first).

    An address keeps the source it was learnt from (an mDNS address that answers is
    still "mdns": what tells a LAN that passes multicast from one that does not); only
    a weak one gives way: "channel" (it answered before anything named it: the
    restored-backup guard dials a `--peer` before the finder notes it) and "dialled".
    """
    old = next((a for a in record.addresses if (a.host, a.port) == (host, port)), None)
    if old is not None:
        if old.via in _WEAK_SOURCES:
            old.via = via
        if seen_ms is None:
            return  # known already: its place among the others stays
        record.addresses.remove(old)
        via = old.via
    address = Address(host, port, via, seen_ms)
    if seen_ms is None:  # not answered yet: after every address that has answered
        at = sum(1 for a in record.addresses if a.last_seen_ms is not None)
        record.addresses.insert(at, address)
    else:
        record.addresses.insert(0, address)
    del record.addresses[limits.PEER_BOOK_ADDRESSES_MAX :]


def _row(record: PeerRecord) -> PeerRow:
    failure = record.failure
    return PeerRow(
        key=record.key,
        addresses=tuple(f"{_hostport(a.host, a.port)} ({a.via})" for a in record.addresses),
        last_seen_ms=record.last_seen_ms,
        lag_entries=record.lag_entries,
        failure_code=failure.code if failure else None,
        failure_message=failure.message if failure else None,
        failure_at_ms=failure.at_ms if failure else None,
    )


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _first(record: PeerRecord) -> tuple[str, int]:
    return record.addresses[0].host, record.addresses[0].port


# --- the file's layout ---------------------------------------------------------------


def _dump(record: PeerRecord) -> dict[str, Any]:
    failure = record.failure
    return {
        "key": record.key,
        "addresses": [
            {"host": a.host, "port": a.port, "via": a.via, "last_seen_ms": a.last_seen_ms}
            for a in record.addresses
        ],
        "last_seen_ms": record.last_seen_ms,
        "lag_entries": record.lag_entries,
        "lag_at_ms": record.lag_at_ms,
        "failure": None
        if failure is None
        else {
            "code": failure.code,
            "message": failure.message,
            "at_ms": failure.at_ms,
            "host": failure.host,
            "port": failure.port,
        },
    }


def _parse(doc: Any) -> list[PeerRecord]:
    """The records of a book file; ValueError/TypeError/KeyError if it is not one."""
    if not isinstance(doc, dict) or doc.get("version") != BOOK_VERSION:
        raise ValueError(f"not a version {BOOK_VERSION} peer book")
    peers = doc["peers"]
    if not isinstance(peers, list):
        raise TypeError("peers is not a list")
    records = []
    for item in peers:
        key = item["key"]
        if key is not None:
            _check_key(key)
        addresses = [_address(a) for a in item["addresses"]][: limits.PEER_BOOK_ADDRESSES_MAX]
        if not addresses and key is None:
            raise ValueError("a record with neither a key nor an address")
        failure = item["failure"]
        records.append(
            PeerRecord(
                key=key,
                addresses=addresses,
                last_seen_ms=_ms(item["last_seen_ms"]),
                lag_entries=_ms(item["lag_entries"]),
                lag_at_ms=_ms(item["lag_at_ms"]),
                failure=None if failure is None else _failure(failure),
            )
        )
    return records


def _address(item: Any) -> Address:
    host, port, via = item["host"], item["port"], item["via"]
    check_address(host, port)
    if not isinstance(via, str):
        raise TypeError("via is not text")
    return Address(host, port, via, _ms(item["last_seen_ms"]))


def _failure(item: Any) -> Failure:
    code, message = item["code"], item["message"]
    if not isinstance(code, str) or not isinstance(message, str):
        raise TypeError("a failure's code and message are text")
    check_address(item["host"], item["port"])
    at_ms = _ms(item["at_ms"])
    if at_ms is None:
        raise ValueError("a failure has a time")
    return Failure(
        code, message[: limits.PEER_FAILURE_MESSAGE_CHARS_MAX], at_ms, item["host"], item["port"]
    )


def _ms(value: Any) -> int | None:
    """A stored count or time: a non-negative int, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"not a non-negative integer: {value!r}")
    return value
