"""The inviting node's routes on the peer server: joining, and secrets over the channel.

    install(server, data_dir)   # before server.start()

- `POST /v1/join` (anonymous: a joiner has no trusted certificate yet). The joiner
  reached this server through a TLS connection pinned to this node's certificate
  fingerprint from the invite code, so the secret it sends is seen by this node
  only. Body: `{"v": 1, "secret": hex, "key": hex64, "cert_b64", "sig_b64"}`; answer:
  the enrolment, or `{"error": code, "message"}` (`bad_join_request`, `invite_unknown`,
  `invite_used`, `invite_expired`, `bad_channel_binding`, `not_admin`, ...).
- `GET /v1/secrets/staff-key` (enrolled devices): the branch staff key sealed to the
  asking device's key (`chitnode.services.staff_key.export_for`: staff roles only,
  `not_staff`; a revoked device is refused by the TLS layer and again here).
- `GET /v1/secrets/pins?after=ID` (enrolled devices of a member-serving role): one page
  of members' PIN verifiers (`sync/invite/pins.py`), in member-id order.

Every decision reads the log as it is now, on the node thread: a device revoked a
moment ago gets `device_revoked`, whatever its connection was allowed before.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from chitnode.clock import Clock, SystemClock
from chitnode.domain.apply import role_of
from chitnode.errors import ChitError, KeyUnavailable, RuleViolation
from chitnode.log.entry import HEX64_RE
from chitnode.node.node import Node
from chitnode.services import staff_key
from chitnode.services.events import published
from sync import limits
from sync.invite import service
from sync.invite.book import InviteBook
from sync.invite.code import SECRET_BYTES
from sync.invite.pins import MEMBER_SERVING_ROLES, PinBook, PinRow
from sync.invite.wire import JOIN_PATH, PINS_PATH, PROTOCOL, STAFF_KEY_PATH
from sync.peer.context import PeerContext
from sync.peer.server import PEER_KEY, PeerServer

_JOIN_FIELDS = frozenset({"v", "secret", "key", "cert_b64", "sig_b64"})
# HTTP status per refusal: the body's code is what a client matches, never the status.
_STATUS = {
    "bad_join_request": 400,
    "invite_unknown": 404,
    "invite_used": 410,
    "invite_expired": 410,
    "key_unavailable": 404,
}


class BadJoinRequest(ChitError):
    code = "bad_join_request"


class NotMemberServer(ChitError):
    code = "not_member_server"


def refusal(exc: ChitError) -> web.Response:
    body = {"error": exc.code, "message": exc.message}
    return web.json_response(body, status=_STATUS.get(exc.code, 403))


def parse_join(doc: Any) -> tuple[bytes, str, dict[str, str]]:
    """(secret, device key, binding) of a join request; BadJoinRequest if malformed."""
    version = doc.get("v") if isinstance(doc, dict) else None
    if (
        not isinstance(doc, dict)
        or set(doc) != _JOIN_FIELDS
        or type(version) is not int
        or (version != PROTOCOL)
    ):
        raise BadJoinRequest(f"a join request is {sorted(_JOIN_FIELDS)}, v {PROTOCOL}")
    secret, key = doc["secret"], doc["key"]
    ok = isinstance(secret, str) and len(secret) == 2 * SECRET_BYTES
    ok = ok and isinstance(key, str) and HEX64_RE.match(key) is not None
    ok = ok and all(isinstance(doc[f], str) for f in ("cert_b64", "sig_b64"))
    try:
        raw = bytes.fromhex(secret) if ok else b""
    except ValueError:
        ok = False
    if not ok:
        raise BadJoinRequest("secret: 32 hex digits; key: 64 lowercase hex; cert and sig: text")
    return raw, key, {"key": key, "cert_b64": doc["cert_b64"], "sig_b64": doc["sig_b64"]}


class InviteRoutes:
    def __init__(self, server: PeerServer, data_dir: Path, clock: Clock | None = None) -> None:
        self.server = server
        self.invites = InviteBook(data_dir)
        self.pins = PinBook(data_dir)
        self.clock = clock or SystemClock()
        self._joins = asyncio.Semaphore(limits.JOIN_CONCURRENT_MAX)

    @property
    def context(self) -> PeerContext:
        assert self.server.context is not None, "routes answer once the server started"
        return self.server.context

    async def join(self, request: web.Request) -> web.StreamResponse:
        async with self._joins:
            try:
                body = await request.content.read(limits.JOIN_REQUEST_BYTES_MAX + 1)
                if len(body) > limits.JOIN_REQUEST_BYTES_MAX:
                    raise BadJoinRequest("a join request this long is not one")
                try:
                    doc = json.loads(body)
                except ValueError as exc:
                    raise BadJoinRequest("a join request is a JSON object") from exc
                secret, key, binding = parse_join(doc)
                ctx, now_ms = self.context, self.clock.now_ms()

                def admit(node: Node) -> dict[str, Any]:
                    enrolment = published(
                        ctx.stream,
                        lambda: service.admit(node, self.invites, secret, key, binding, now_ms),
                    )
                    return {
                        "v": PROTOCOL,
                        "key": enrolment.key,
                        "role": enrolment.role,
                        "name": enrolment.name,
                        "seq": enrolment.seq,
                        "hash": enrolment.hash,
                        "branch": node.branch,
                        "root": node.root,
                        "inviter": node.public,
                    }

                answer = await ctx.node_thread.run(admit)
            except ChitError as exc:
                return refusal(exc)
            # The joiner dials /v1/sync next with its new certificate: trust it now, not
            # when the trust follower wakes.
            await ctx.refresh_trust()
            return web.json_response(answer)

    async def staff_key(self, request: web.Request) -> web.StreamResponse:
        peer = str(request[PEER_KEY])

        def sealed(node: Node) -> bytes:
            return staff_key.export_for(node, peer)

        try:
            raw = await self.context.node_thread.run(sealed)
        except ChitError as exc:
            return refusal(exc)
        return web.json_response({"sealed_b64": base64.b64encode(raw).decode()})

    async def pin_page(self, request: web.Request) -> web.StreamResponse:
        peer = str(request[PEER_KEY])
        after = request.query.get("after", "")
        if len(after) > limits.PIN_MEMBER_ID_CHARS_MAX:
            return refusal(BadJoinRequest("after: a member id"))

        def page(node: Node) -> list[PinRow]:
            role = role_of(node.engine.state, peer)  # device_revoked, unknown_author
            if role not in MEMBER_SERVING_ROLES:
                raise NotMemberServer(
                    f"a {role} device does not serve members: it holds no PIN verifiers"
                )
            return self.pins.page(after, limits.PIN_PAGE_ROWS_MAX)

        try:
            rows = await self.context.node_thread.run(page)
        except (RuleViolation, NotMemberServer, KeyUnavailable) as exc:
            return refusal(exc)
        more = len(rows) == limits.PIN_PAGE_ROWS_MAX
        return web.json_response({"pins": [r.wire() for r in rows], "more": more})


def install(server: PeerServer, data_dir: Path, clock: Clock | None = None) -> InviteRoutes:
    """Add the join and secrets routes to `server` (before it starts)."""
    routes = InviteRoutes(server, data_dir, clock)
    server.add_anonymous_route("POST", JOIN_PATH, routes.join)
    server.app.router.add_get(STAFF_KEY_PATH, routes.staff_key)
    server.app.router.add_get(PINS_PATH, routes.pin_page)
    return routes


__all__ = ["InviteRoutes", "install", "parse_join"]
