"""Pulling the secrets that never enter the log, over the mutually authenticated channel.

- The branch **staff key** (opens members' sealed KYC values): a staff device asks a
  peer that holds it; the peer seals it to the asking device's key
  (`chitnode.services.staff_key.export_for`), so even the TLS endpoints' memory is
  the only place it is in clear besides the two devices.
- Members' **PIN verifiers** (`sync/invite/pins.py`): a member-serving device pages
  through a peer's table and keeps, per member, the newest verifier.

Both are asked for by the device that should hold them: `chitnode join` right after
enrolment, and `pull_all` again whenever the serving node wants to (the serve loop
calls it after a sync with a peer). The serving side decides from the log as it is
at that moment, so a revoked device gets nothing: the TLS layer refuses its
certificate, and the routes refuse its key (`device_revoked`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from chitnode.domain.kinds import STAFF
from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.services import staff_key
from sync import limits
from sync.channel.tls import client_context, pinned_connector, pinned_context
from sync.invite.pins import MEMBER_SERVING_ROLES, BadVerifier, PinBook, PinRow, check_row
from sync.invite.wire import PINS_PATH, STAFF_KEY_PATH, read_answer
from sync.peer.context import PeerContext
from sync.peer.errors import PeerUnreachable


async def _get(
    ctx: PeerContext,
    host: str,
    port: int,
    path: str,
    query: dict[str, str],
    fingerprint: str | None,
) -> dict[str, Any]:
    """GET an enrolled-only route of the peer: our certificate, theirs checked."""
    tls: ssl.SSLContext
    if fingerprint is not None:
        connector, tls = pinned_connector(fingerprint), pinned_context(ctx.cred)
    else:
        connector, tls = aiohttp.TCPConnector(), client_context(ctx.cred, ctx.trusted.ders())
    timeout = aiohttp.ClientTimeout(
        total=limits.JOIN_REQUEST_TIMEOUT_S, sock_connect=limits.JOIN_CONNECT_TIMEOUT_S
    )
    url = URL.build(scheme="https", host=host, port=port, path=path, query=query)
    try:
        async with (
            aiohttp.ClientSession(connector=connector, timeout=timeout) as http,
            http.get(url, ssl=tls) as response,
        ):
            raw = await response.content.read(limits.SECRETS_ANSWER_BYTES_MAX + 1)
            status = response.status
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise PeerUnreachable(f"{host}:{port}: {type(exc).__name__}: {exc}") from exc
    return read_answer(raw, status, f"{host}:{port}")


async def pull_staff_key(
    ctx: PeerContext, host: str, port: int, fingerprint: str | None = None
) -> str:
    """Fetch and keep the staff key; its fingerprint. Refusals raise with their code."""
    doc = await _get(ctx, host, port, STAFF_KEY_PATH, {}, fingerprint)
    try:
        sealed = base64.b64decode(str(doc.get("sealed_b64", "")), validate=True)
    except ValueError as exc:
        raise ChitError("the staff key answer is not base64", code="bad_sealed") from exc

    def keep(node: Node) -> str:
        return staff_key.import_from(node, sealed)

    return await ctx.node_thread.run(keep)


def _rows(page: object) -> list[PinRow]:
    if not isinstance(page, list) or len(page) > limits.PIN_PAGE_ROWS_MAX:
        raise BadVerifier("a PIN page is a list of at most PIN_PAGE_ROWS_MAX rows")
    rows = []
    for item in page:
        if not isinstance(item, list) or len(item) != 3:
            raise BadVerifier("a PIN verifier row is [member id, verifier, set_ms]")
        rows.append(check_row(*item))
    return rows


async def pull_pins(
    ctx: PeerContext, pins: PinBook, host: str, port: int, fingerprint: str | None = None
) -> int:
    """Page through the peer's PIN verifiers, keep the newer ones; how many changed."""
    changed, after = 0, ""
    for _ in range(limits.PIN_PAGES_MAX):
        doc = await _get(ctx, host, port, PINS_PATH, {"after": after}, fingerprint)
        rows = _rows(doc.get("pins"))
        if any(r.member_id <= after for r in rows):
            raise BadVerifier("PIN pages go forward in member-id order")
        changed += await ctx.node_thread.run(lambda _n, rows=rows: pins.merge(rows))
        if not rows or doc.get("more") is not True:
            break
        after = rows[-1].member_id
    return changed


async def pull_all(
    ctx: PeerContext,
    data_dir: Path,
    host: str,
    port: int,
    role: str,
    say: Callable[[str], None] = lambda _line: None,
    fingerprint: str | None = None,
) -> list[str]:
    """Whatever `role` may hold, from the peer at host:port; what arrived, in words.

    A refusal or an unreachable peer is said and not raised: the secrets are pulled
    again later, the enrolment and the log stand without them.
    """
    got: list[str] = []
    if role in STAFF:
        try:
            fp = await pull_staff_key(ctx, host, port, fingerprint)
            got.append(f"staff key {fp[:8]}…")
        except ChitError as exc:
            if exc.code == "key_unavailable":  # the branch has none yet: nothing is wrong
                say(
                    "staff key: the inviting node holds none yet; `chitnode serve` fetches it later"
                )
            else:
                say(f"staff key not received [{exc.code}]: {exc.message}")
    if role in MEMBER_SERVING_ROLES:
        try:
            count = await pull_pins(ctx, PinBook(data_dir), host, port, fingerprint)
            got.append(f"{count} PIN verifiers")
        except ChitError as exc:
            say(f"PIN verifiers not received [{exc.code}]: {exc.message}")
    return got


async def pull_round(ctx: PeerContext, data_dir: Path) -> list[str]:
    """One round for a serving node: what this device's role may hold, from the first
    remembered peers that give it (at most `SECRETS_PULL_PEERS_MAX` tried); in words.

    A staff key already held is not asked for again; PIN verifiers always are (one
    may have changed on another node). Peers are tried most recently seen first.
    """

    def where(node: Node) -> tuple[str | None, bool, str]:
        return node.role(), staff_key.has_staff_key(node), node.public

    role, has_key, own = await ctx.node_thread.run(where)
    if role is None or ctx.book is None:
        return []
    need_key = role in STAFF and not has_key
    need_pins = role in MEMBER_SERVING_ROLES
    got: list[str] = []
    tried = [c for c in ctx.book.candidates(exclude_key=own) if c.key is not None]
    for peer in tried[: limits.SECRETS_PULL_PEERS_MAX]:
        if not (need_key or need_pins):
            break
        if need_key:
            with contextlib.suppress(ChitError):
                got.append(f"staff key {(await pull_staff_key(ctx, peer.host, peer.port))[:8]}…")
                need_key = False
        if need_pins:
            with contextlib.suppress(ChitError):
                count = await pull_pins(ctx, PinBook(data_dir), peer.host, peer.port)
                got.append(f"{count} PIN verifiers from {peer.host}:{peer.port}")
                need_pins = False
    return got


async def keep_pulling(ctx: PeerContext, data_dir: Path) -> None:
    """For `chitnode serve`: a `pull_round` every `SECRETS_PULL_INTERVAL_S`, until cancelled.
    A PIN changed on one node so reaches the others within that time."""
    while True:
        with contextlib.suppress(ChitError):  # the node closing, say: the next round asks again
            await pull_round(ctx, data_dir)
        await asyncio.sleep(limits.SECRETS_PULL_INTERVAL_S)


__all__ = ["keep_pulling", "pull_all", "pull_pins", "pull_round", "pull_staff_key"]
