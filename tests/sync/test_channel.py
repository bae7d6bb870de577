"""The peer channel (issue 10, point 3): credentials, the log binding, mutual TLS 1.3.

Real TLS over loopback: aiohttp servers and clients with Python's ssl, no mocks.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from chitnode.domain.kernel_kinds import CHANNEL_BOUND, channel_certs
from chitnode.errors import RuleViolation
from chitnode.log.channel import sign_binding
from sync.channel.credentials import ChannelCredentialError, load_or_create
from sync.channel.tls import client_context, pinned_connector, pinned_context
from sync.peer.client import dial, sync_with
from sync.peer.server import PEER_KEY
from tests.support.peer import HOST, Peer, enrol, founder, newcomer, running, submit


def test_credential_key_is_encrypted_on_disk_and_reloads(tmp_path: Path) -> None:
    cred = load_or_create(tmp_path, "a" * 64)
    pem = cred.key_path.read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem and b"BEGIN PRIVATE KEY" not in pem
    assert cred.key_path.stat().st_mode & 0o777 == 0o600
    again = load_or_create(tmp_path, "a" * 64)
    assert again.cert_der == cred.cert_der and again.fingerprint == cred.fingerprint
    with pytest.raises(ChannelCredentialError) as err:
        load_or_create(tmp_path, "b" * 64)
    assert err.value.code == "bad_channel_credential"


def test_a_device_binds_its_own_certificate_and_revocation_unbinds(tmp_path: Path) -> None:
    root = founder(tmp_path / "a")
    bob = newcomer(tmp_path / "b", root)
    try:
        node = root.node  # founder() bound the root's certificate in its own feed
        assert channel_certs(node.engine.state) == {root.key: root.cred.cert_der}
        bound = node.store.entry_at(root.key, 2)
        assert bound is not None and bound.kind == CHANNEL_BOUND and bound.author == root.key
        enrol(node, bob)
        assert channel_certs(node.engine.state)[bob.key] == bob.cred.cert_der
        node.submit("device.revoked", {"key": bob.key, "reason": "lost", "after_seq": 0})
        assert bob.key not in channel_certs(node.engine.state)
    finally:
        root.node.close()
        bob.node.close()


def test_an_admin_binding_needs_the_devices_own_signature(tmp_path: Path) -> None:
    root = founder(tmp_path / "a")
    bob = newcomer(tmp_path / "b", root)
    try:
        node = root.node
        node.submit("device.enrolled", {"key": bob.key, "role": "employee", "name": "B"})
        forged = sign_binding(root.node.key, node.branch, bob.cred.cert_der)  # not bob's key
        body = {
            "key": bob.key,
            "cert_b64": bob.cred.cert_b64,
            "sig_b64": base64.b64encode(forged).decode(),
        }
        bad = [body, bob.cred.binding_for_admin(bob.node.key, "f" * 32), {"cert_b64": "no!"}]
        codes = []
        for wrong in bad:  # the fold's own rule: the node refuses to write what it would reject
            with pytest.raises(RuleViolation) as err:
                node.submit(CHANNEL_BOUND, wrong)
            codes.append(err.value.code)
        assert codes == ["bad_channel_binding", "bad_channel_binding", "bad_body"]
        node.submit(CHANNEL_BOUND, bob.cred.binding_for_admin(bob.node.key, node.branch))
        assert channel_certs(node.engine.state)[bob.key] == bob.cred.cert_der
    finally:
        root.node.close()
        bob.node.close()


async def _whoami(request: web.Request) -> web.Response:
    return web.json_response({"peer": request[PEER_KEY]})


async def _get(url: URL, tls: ssl.SSLContext, **kw: object) -> tuple[int, object]:
    async with (
        aiohttp.ClientSession(**kw) as http,  # type: ignore[arg-type]
        http.get(url, ssl=tls) as resp,
    ):
        return resp.status, await resp.json()


@pytest.mark.asyncio
async def test_enrolled_accepted_unenrolled_dropped_anonymous_only_anonymous(
    tmp_path: Path,
) -> None:
    root = founder(tmp_path / "a")
    bob, eve = newcomer(tmp_path / "b", root), newcomer(tmp_path / "e", root)
    enrol(root.node, bob)
    reached: list[str | None] = []

    async def joined(request: web.Request) -> web.Response:
        reached.append(request[PEER_KEY])
        return web.json_response({"peer": request[PEER_KEY]})

    root_peer = Peer(root.node, root.cred)
    async with running(bob, eve, serve=False):
        await root_peer.start(serve=False)
        from sync.peer.server import PeerServer

        assert root_peer.nt is not None
        server = PeerServer(root_peer.nt, root.cred, context=root_peer.ctx)
        server.app.router.add_get("/v1/whoami", _whoami)
        server.add_anonymous_route("GET", "/v1/join", joined)
        port = await server.start(HOST, 0)
        root_peer.server, root_peer.port = server, port
        try:
            base = URL.build(scheme="https", host=HOST, port=port)
            trust = [root.cred.cert_der]
            # enrolled and bound: accepted, and known by its device key
            status, body = await _get(base / "v1/whoami", client_context(bob.cred, trust))
            assert (status, body) == (200, {"peer": bob.key})
            # a certificate the log does not bind: the handshake fails, no handler runs
            with pytest.raises(aiohttp.ClientError):
                await _get(base / "v1/join", client_context(eve.cred, trust))
            assert reached == []
            # no certificate at all: the anonymous route only
            status, _ = await _get(
                base / "v1/join",
                pinned_context(),
                connector=pinned_connector(root.cred.fingerprint),
            )
            assert status == 200 and reached == [None]
            status, body = await _get(
                base / "v1/whoami",
                pinned_context(),
                connector=pinned_connector(root.cred.fingerprint),
            )
            assert status == 403 and body["error"] == "not_enrolled"
            # a joiner pinned to another fingerprint never sends its request
            with pytest.raises(aiohttp.ServerFingerprintMismatch):
                await _get(
                    base / "v1/join",
                    pinned_context(),
                    connector=pinned_connector(bob.cred.fingerprint),
                )
            assert reached == [None]
        finally:
            await root_peer.stop()


@pytest.mark.asyncio
async def test_revocation_drops_an_open_connection_and_refuses_the_next(tmp_path: Path) -> None:
    root = founder(tmp_path / "a")
    bob = newcomer(tmp_path / "b", root)
    enrol(root.node, bob)
    async with running(root, bob):
        assert root.ctx is not None and bob.ctx is not None and root.server is not None
        # bob learns the branch (and root's certificate) pinned to root's fingerprint
        report = await sync_with(bob.ctx, HOST, root.port, server_fingerprint=root.cred.fingerprint)
        assert report.error is None and report.stored > 0, report
        await bob.ctx.refresh_trust()
        assert root.key in bob.ctx.trusted.devices()
        dialled = await dial(bob.ctx, HOST, root.port)
        try:
            assert dialled.peer == root.key
            await _until(lambda: len(root.server.connections()) == 1)  # type: ignore[union-attr]
            await submit(
                root, "device.revoked", {"key": bob.key, "reason": "stolen", "after_seq": 0}
            )
            ended = {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR}
            for _ in range(100):  # the server's summary came first; then the cut
                msg = await asyncio.wait_for(dialled.ws.receive(), 10)
                if msg.type in ended:
                    break
            assert msg.type in ended
            await _until(lambda: root.server.connections() == [])  # type: ignore[union-attr]
        finally:
            await dialled.close()
        again = await sync_with(bob.ctx, HOST, root.port)
        assert again.error == "peer_unreachable" and again.stored == 0


async def _until(cond, rounds: int = 200) -> None:  # type: ignore[no-untyped-def]
    """Wait for `cond` a bounded number of loop turns (no wall-clock assertion)."""
    for _ in range(rounds):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")
