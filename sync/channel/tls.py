"""TLS 1.3 contexts for the peer channel, pinned to the certificates the log binds.

Trust is the set of channel certificates of the branch's active devices
(`chitnode.domain.kernel_kinds.channel_certs`); each is self-signed, so each is its
own trust anchor (`load_verify_locations(cadata=...)`). It follows the log without a
restart: `TrustedPeers.update` builds a fresh inner server context, and the server's
outer context hands every new handshake to the current inner one from its
`sni_callback` (called for every ClientHello, with or without a server name). A
certificate dropped from the set (its device revoked) fails the very next
handshake; the server closes the connections already open (`sync.peer.server`).

The server asks for a client certificate but does not require one
(`CERT_OPTIONAL`): a joining device has none the branch knows yet and may reach only
the routes registered as anonymous. A client certificate that is presented and not
trusted fails the handshake: that client gets nothing. Clients always verify the
server: against the trusted set (`client_context`), or, for a joiner with no trust
list yet, against the fingerprint its invite carries (`pinned_context` +
`pinned_connector`, checked by aiohttp after the handshake and before any request
byte is sent).
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Mapping
from typing import Any

import aiohttp

from sync.channel.credentials import ChannelCredential, fingerprint


def _base(purpose: int, cred: ChannelCredential | None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(purpose)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    if purpose == ssl.PROTOCOL_TLS_CLIENT:
        ctx.check_hostname = False  # pinned by certificate, not by name: peers move on a LAN
    if cred is not None:
        ctx.load_cert_chain(cred.cert_path, cred.key_path, password=cred.password)
    return ctx


def _trusting(ctx: ssl.SSLContext, ders: list[bytes]) -> ssl.SSLContext:
    if ders:
        ctx.load_verify_locations(cadata=b"".join(ders))
    return ctx


class TrustedPeers:
    """The active devices' channel certificates, by device key; thread-safe."""

    def __init__(self, cred: ChannelCredential, certs: Mapping[str, bytes]) -> None:
        self._cred = cred
        self._lock = threading.Lock()
        self._certs: dict[str, bytes] = {}
        self._by_fingerprint: dict[str, str] = {}
        self._server: ssl.SSLContext | None = None
        self.update(certs)

    def update(self, certs: Mapping[str, bytes]) -> set[str]:
        """Trust exactly `certs` from now on; returns the keys no longer trusted (or rebound)."""
        certs = dict(certs)
        with self._lock:
            if certs == self._certs and self._server is not None:
                return set()
            dropped = {k for k, der in self._certs.items() if certs.get(k) != der}
            server = _base(ssl.PROTOCOL_TLS_SERVER, self._cred)
            server.verify_mode = ssl.CERT_OPTIONAL
            self._server = _trusting(server, list(certs.values()))
            self._certs = certs
            self._by_fingerprint = {fingerprint(der): k for k, der in certs.items()}
        return dropped

    def key_of(self, cert_der: bytes | None) -> str | None:
        """The device key a peer's certificate is bound to, if it is trusted now."""
        if cert_der is None:
            return None
        with self._lock:
            return self._by_fingerprint.get(fingerprint(cert_der))

    def ders(self) -> list[bytes]:
        with self._lock:
            return list(self._certs.values())

    def devices(self) -> set[str]:
        with self._lock:
            return set(self._certs)

    def current_server_context(self) -> ssl.SSLContext:
        with self._lock:
            assert self._server is not None
            return self._server


def server_context(cred: ChannelCredential, trusted: TrustedPeers) -> ssl.SSLContext:
    """The listening socket's context: each handshake runs on `trusted`'s current one."""
    outer = _base(ssl.PROTOCOL_TLS_SERVER, cred)
    outer.verify_mode = ssl.CERT_OPTIONAL
    _trusting(outer, trusted.ders())

    def swap(ssl_object: Any, _server_name: str | None, _ctx: ssl.SSLContext) -> None:
        ssl_object.context = trusted.current_server_context()

    outer.sni_callback = swap
    return outer


def client_context(cred: ChannelCredential, trusted_ders: list[bytes]) -> ssl.SSLContext:
    """Dial an enrolled peer: present our certificate, accept only a trusted one."""
    ctx = _base(ssl.PROTOCOL_TLS_CLIENT, cred)
    ctx.verify_mode = ssl.CERT_REQUIRED
    return _trusting(ctx, trusted_ders)


def pinned_context(cred: ChannelCredential | None = None) -> ssl.SSLContext:
    """Dial a server known only by its certificate's fingerprint (a joiner, from an invite).

    The chain is not verified here (there is no trust list yet): use it together with
    `pinned_connector(expected_fingerprint)`, which makes aiohttp compare the server's
    certificate with the fingerprint after the handshake and before it sends anything.
    """
    ctx = _base(ssl.PROTOCOL_TLS_CLIENT, cred)
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def pinned_connector(expected_fingerprint: str) -> aiohttp.TCPConnector:
    """A connector that refuses any server whose certificate is not that fingerprint."""
    return aiohttp.TCPConnector(ssl=aiohttp.Fingerprint(bytes.fromhex(expected_fingerprint)))


def peer_certificate(transport: Any) -> bytes | None:
    """The DER certificate the other end presented on this TLS transport, if any."""
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return der if isinstance(der, bytes) else None


def peer_identity(request: Any) -> str | None:
    """The authenticated device key of an aiohttp request's peer; None if anonymous."""
    peer = request.get("peer")
    return peer if isinstance(peer, str) else None
