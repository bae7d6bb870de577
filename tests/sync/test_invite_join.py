"""Joining over the real channel (sync/invite/client.py, server.py, transfer.py).

An admin node serves its peer server on loopback with the invite routes installed;
`client.join` runs into a fresh folder exactly as `chitnode join` does. Real TLS,
real aiohttp, real stores: no mocks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from chitnode.domain.kernel_kinds import channel_certs
from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.services import staff_key
from chitnode.services.events import published
from sync.channel.credentials import load_or_create
from sync.discovery.book import PeerBook
from sync.invite import client, server, service, transfer
from sync.invite.book import InviteBook
from sync.invite.code import Invite, decode, encode
from sync.invite.pins import PinBook
from sync.invite.wire import JOIN_PATH
from sync.node_thread import NodeThread
from sync.peer.context import PeerContext
from sync.peer.server import PeerServer
from tests.support.clock import FakeClock
from tests.support.peer import HOST, Peer, founder

pytestmark = pytest.mark.asyncio


@asynccontextmanager
async def serving(tmp_path: Path, *, secrets: bool = True) -> AsyncIterator[Peer]:
    """The branch's root admin, serving with the invite routes, a member and (with
    `secrets`) the staff key and the member's PIN."""
    admin = founder(tmp_path / "admin")
    admin.node.submit("member.registered", {"member_id": "M1", "name": "Asha"})
    if secrets:
        staff_key.ensure_staff_key(admin.node)
        PinBook(tmp_path / "admin").set_pin("M1", "482913", 1_000)
    admin.nt = NodeThread(admin.node)
    admin.ctx = await PeerContext.open(admin.nt, admin.cred)
    admin.server = PeerServer(admin.nt, admin.cred, context=admin.ctx)
    server.install(admin.server, tmp_path / "admin", FakeClock())
    admin.port = await admin.server.start(HOST, 0)
    try:
        yield admin
    finally:
        await admin.stop()


async def invite_for(admin: Peer, role: str, *, ttl_ms: int = 600_000, now_ms: int = 0) -> Invite:
    folder = admin.node.store.data_dir

    def make(node: Node) -> Invite:
        invite, _ = service.make_invite(
            node,
            InviteBook(folder),
            role=role,
            name=f"{role} device",
            addresses=[(HOST, admin.port)],
            fingerprint=admin.cred.fingerprint,
            now_ms=now_ms or FakeClock().now_ms(),
            ttl_ms=ttl_ms,
        )
        return invite

    return decode(encode(await admin.run(make)))  # through the text form, as a person would


async def digest(peer: Peer) -> tuple[int, str]:
    status = await peer.run(lambda node: node.status())
    return status["entries"], status["state_digest"]


async def test_a_staff_device_joins_gets_the_branch_its_cert_and_the_secrets(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path) as admin:
        invite = await invite_for(admin, "employee")
        folder = tmp_path / "counter"
        lines: list[str] = []
        joined = await client.join(folder, invite, clock=FakeClock(), say=lines.append)
        assert joined.role == "employee" and joined.inviter == admin.key
        assert (joined.entries, joined.state_digest) == await digest(admin)
        # the admin's log binds the joiner's certificate: it is trusted from now on
        certs = await admin.run(lambda node: channel_certs(node.engine.state))
        assert joined.device_key in certs
        assert any("staff key" in s for s in joined.secrets), lines
    with Node.open(folder) as node, Node.open(tmp_path / "admin") as root:
        assert node.role() == "employee"
        assert staff_key.load_staff_key(node) == staff_key.load_staff_key(root)
    assert PinBook(folder).check("M1", "482913")
    remembered = PeerBook(folder).get(joined.inviter)
    assert remembered is not None and remembered.addresses[0].port == invite.addresses[0][1]


async def test_a_used_code_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    async with serving(tmp_path) as admin:
        invite = await invite_for(admin, "member")
        await client.join(tmp_path / "phone", invite, clock=FakeClock())
        before = await digest(admin)
        with pytest.raises(ChitError) as caught:
            await client.join(tmp_path / "second", invite, clock=FakeClock())
        assert caught.value.code == "invite_used"
        assert not (tmp_path / "second").exists()  # what the join made is gone
        assert await digest(admin) == before


async def test_an_expired_code_is_refused_by_the_inviter_too(tmp_path: Path) -> None:
    async with serving(tmp_path) as admin:
        before = await digest(admin)
        invite = await invite_for(admin, "member", ttl_ms=1, now_ms=1_000)
        with pytest.raises(ChitError) as caught:  # refused before anything is made
            await client.join(tmp_path / "late", invite, clock=FakeClock())
        assert caught.value.code == "invite_expired" and not (tmp_path / "late").exists()
        # a joiner whose clock lags still meets the inviter's: its answer is the same
        slow = FakeClock()
        slow.wall_ms = 0
        empty = tmp_path / "empty"
        empty.mkdir()
        with pytest.raises(ChitError) as caught:
            await client.join(empty, invite, clock=slow)
        assert caught.value.code == "invite_expired" and list(empty.iterdir()) == []
        assert await digest(admin) == before  # no enrolment


async def test_a_server_with_another_certificate_gets_nothing(tmp_path: Path) -> None:
    async with serving(tmp_path) as admin:
        invite = await invite_for(admin, "member")
        forged = Invite(
            invite.branch,
            invite.root,
            "ee" * 32,
            invite.secret,
            invite.expires_ms,
            invite.addresses,
        )
        with pytest.raises(ChitError) as caught:
            await client.join(tmp_path / "x", forged, clock=FakeClock())
        assert caught.value.code == "wrong_inviter"
        # the secret never reached the server: the real code still works
        await client.join(tmp_path / "y", invite, clock=FakeClock())


async def test_join_needs_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    invite = Invite("0" * 32, "a" * 64, "b" * 64, bytes(16), 2**47, (("127.0.0.1", 9),))
    with pytest.raises(ChitError) as caught:
        await client.join(tmp_path / "used", invite, clock=FakeClock())
    assert caught.value.code == "join_not_empty"
    assert (tmp_path / "used" / "notes.txt").read_text() == "mine"


async def test_an_unreachable_inviter_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    invite = Invite("0" * 32, "a" * 64, "b" * 64, bytes(16), 2**47, (("127.0.0.1", 9),))
    with pytest.raises(ChitError) as caught:
        await client.join(tmp_path / "j", invite, clock=FakeClock())
    assert caught.value.code == "peer_unreachable" and not (tmp_path / "j").exists()


async def test_garbage_join_requests_get_a_code(tmp_path: Path) -> None:
    async with serving(tmp_path) as admin:
        url = URL.build(scheme="https", host=HOST, port=admin.port, path=JOIN_PATH)
        pinned = aiohttp.Fingerprint(bytes.fromhex(admin.cred.fingerprint))
        async with aiohttp.ClientSession() as http:
            for body in (b"not json", b"[]", b'{"v":1}', b"x" * 20_000):
                async with http.post(url, data=body, ssl=pinned) as response:
                    assert (await response.json())["error"] == "bad_join_request"
            good = {"v": 1, "secret": "00" * 16, "key": "ab" * 32, "cert_b64": "", "sig_b64": ""}
            async with http.post(url, json=good, ssl=pinned) as response:
                assert (await response.json())["error"] == "invite_unknown"


async def test_secrets_follow_roles_and_revocation(tmp_path: Path) -> None:
    async with serving(tmp_path) as admin:
        member = await client.join(
            tmp_path / "phone", await invite_for(admin, "member"), clock=FakeClock()
        )
        staff = await client.join(
            tmp_path / "desk", await invite_for(admin, "foreman"), clock=FakeClock()
        )
        assert member.secrets == [] and len(staff.secrets) == 2

        async def ask(folder: Path) -> list[str]:
            node = Node.open(folder)
            nt = NodeThread(node)
            try:
                ctx = await PeerContext.open(nt, load_or_create(folder, node.public))
                codes: list[str] = []
                pulls = (
                    transfer.pull_staff_key(ctx, HOST, admin.port, admin.cred.fingerprint),
                    transfer.pull_pins(
                        ctx, PinBook(folder), HOST, admin.port, admin.cred.fingerprint
                    ),
                )
                for pull in pulls:
                    try:
                        await pull
                        codes.append("ok")
                    except ChitError as exc:
                        codes.append(exc.code)
                return codes
            finally:
                await nt.aclose()

        assert await ask(tmp_path / "phone") == ["not_staff", "not_member_server"]
        assert await ask(tmp_path / "desk") == ["ok", "ok"]
        assert admin.ctx is not None
        stream = admin.ctx.stream
        body = {"key": staff.device_key, "reason": "lost", "after_seq": 0}
        await admin.run(lambda node: published(stream, lambda: node.submit("device.revoked", body)))
        await admin.ctx.refresh_trust()
        codes = await ask(tmp_path / "desk")
        assert codes == ["peer_unreachable", "peer_unreachable"]  # its TLS handshake fails


async def test_a_serving_device_pulls_secrets_that_came_later(tmp_path: Path) -> None:
    async with serving(tmp_path, secrets=False) as admin:
        folder = tmp_path / "desk"
        joined = await client.join(folder, await invite_for(admin, "employee"), clock=FakeClock())
        assert joined.secrets == ["0 PIN verifiers"]  # the admin's node holds no staff key yet
        await admin.run(staff_key.ensure_staff_key)
        PinBook(tmp_path / "admin").set_pin("M1", "482913", 2_000)
        node = Node.open(folder)
        nt = NodeThread(node)
        try:
            ctx = await PeerContext.open(nt, load_or_create(folder, node.public), PeerBook(folder))
            got = await transfer.pull_round(ctx, folder)
            assert got[0].startswith("staff key") and got[1].startswith("1 PIN verifiers")
            assert await transfer.pull_round(ctx, folder) == [got[1].replace("1 PIN", "0 PIN")]
        finally:
            await nt.aclose()
    assert PinBook(folder).check("M1", "482913")
    with Node.open(folder) as mine, Node.open(tmp_path / "admin") as root:
        assert staff_key.load_staff_key(mine) == staff_key.load_staff_key(root)
