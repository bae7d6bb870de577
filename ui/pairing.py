"""The phone's way in: this laptop's LAN address, the pairing URL, and its QR code.

Members' phones on the meeting's Wi-Fi open a plain `http://<LAN IP>:<port>/?pair=TOKEN`
URL: Android browsers do not resolve `.local` names, so the URL carries an IPv4 address
(issue 12). The QR is drawn the way invites are (sync/invite/render.py): on the terminal
for `run.sh`, and as an owner-only PNG (whoever holds it may pair until it expires).
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from urllib.parse import quote

import psutil

from sync.invite import render

PAIR_PARAM = "pair"  # the query parameter the app reads the pairing token from


def _addresses(family: socket.AddressFamily) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    found = []
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            if entry.family != family:
                continue
            try:  # an IPv6 address may carry its zone (fe80::1%eth0)
                found.append(ipaddress.ip_address(entry.address.split("%", 1)[0]))
            except ValueError:
                continue
    return found


def lan_addresses() -> list[str]:
    """This host's IPv4 addresses a phone on the same Wi-Fi can reach: no loopback, no
    link-local (169.254/16, a Wi-Fi that gave no address); private ones first."""
    usable = [
        a
        for a in _addresses(socket.AF_INET)
        if not (a.is_loopback or a.is_link_local or a.is_unspecified or a.is_multicast)
    ]
    ordered = sorted(set(usable), key=lambda a: (not a.is_private, int(a)))
    return [str(a) for a in ordered]


def host_addresses() -> frozenset[str]:
    """Every address of this host (IPv4 and IPv6): a client at one of them is this machine."""
    return frozenset(str(a) for f in (socket.AF_INET, socket.AF_INET6) for a in _addresses(f))


def phone_url(host: str, port: int, token: str) -> str:
    """The URL a phone opens: `http://<ip>:<port>/?pair=<token>` (IPv6 in brackets)."""
    try:
        literal = f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        literal = host  # a name: the caller's choice (the laptop's own `localhost`)
    return f"http://{literal}:{port}/?{PAIR_PARAM}={quote(token, safe='')}"


def qr_terminal(url: str) -> str:
    """The URL's QR in half-block characters, for a terminal."""
    return render.terminal_qr(url)


def qr_png(url: str, path: Path) -> Path:
    """Write the URL's QR as a PNG, readable by the owner only."""
    return render.write_png(url, path)


__all__ = ["PAIR_PARAM", "host_addresses", "lan_addresses", "phone_url", "qr_png", "qr_terminal"]
