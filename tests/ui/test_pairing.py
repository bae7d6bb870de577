"""ui/pairing.py: the phone URL (an IPv4 address, never `.local`) and its QR codes."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ui import pairing
from ui.auth import client_is_local


def test_the_phone_url_carries_the_address_port_and_token() -> None:
    url = pairing.phone_url("192.168.1.5", 8550, "Ab-_9z")
    assert url == "http://192.168.1.5:8550/?pair=Ab-_9z"
    parts = urlsplit(url)
    assert parts.hostname == "192.168.1.5" and parts.port == 8550
    assert parse_qs(parts.query) == {pairing.PAIR_PARAM: ["Ab-_9z"]}
    assert pairing.phone_url("fd00::2", 80, "t") == "http://[fd00::2]:80/?pair=t"
    assert pairing.phone_url("localhost", 8550, "a+b") == "http://localhost:8550/?pair=a%2Bb"


def test_lan_addresses_are_ipv4_a_phone_can_reach() -> None:
    found = pairing.lan_addresses()
    assert found == sorted(set(found), key=found.index)  # no repeats
    for text in found:
        address = ipaddress.ip_address(text)
        assert address.version == 4
        assert not (address.is_loopback or address.is_link_local or address.is_unspecified)
        assert text in pairing.host_addresses()


def test_this_hosts_own_addresses_count_as_local() -> None:
    own = pairing.host_addresses()
    assert "127.0.0.1" in own
    for text in pairing.lan_addresses():
        assert client_is_local(text, own)


def test_the_qr_on_the_terminal_and_as_an_owner_only_png(tmp_path: Path) -> None:
    url = pairing.phone_url("192.168.1.5", 8550, "x" * 22)
    drawn = pairing.qr_terminal(url)
    assert len(drawn.splitlines()) > 10 and set(drawn) <= set(" ▀▄█\n")
    png = pairing.qr_png(url, tmp_path / "qr" / "meeting.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE(png.stat().st_mode) == 0o600
