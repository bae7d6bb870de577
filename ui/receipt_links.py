"""A receipt's file, downloaded by the member it belongs to (issue 15 point 4).

The phone's receipt screen (ui/views/member_receipts.py) offers the receipt as a file.
A download is a plain HTTP GET, outside the Flet session that knows who is logged in,
so the screen hands the browser a link that carries that knowledge, signed:

    /receipt-file/<token>     token = base64url(member, ref, expires) "." MAC

The MAC is an HMAC-SHA256 under a key made when the app starts, which only this process
holds: a link cannot be made for another member or another receipt, nor used after
RECEIPT_LINK_TTL_MS. The route answers only with a receipt the fold lists for that
member (mr.receipts_for), as `application/json` to save; anything else is a 404 that
says nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from typing import Any

from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.services import member_receipts as mr
from ui import limits

ROUTE = "/receipt-file"
_KEY = secrets.token_bytes(limits.RECEIPT_LINK_KEY_BYTES)  # this process's links only


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload: str, key: bytes) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def link_token(member_id: str, ref: str, now_ms: int, *, key: bytes = _KEY) -> str:
    """A token for `member_id`'s receipt at `ref`, good for RECEIPT_LINK_TTL_MS."""
    claims = {"m": member_id, "r": ref, "x": now_ms + limits.RECEIPT_LINK_TTL_MS}
    payload = _b64(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())
    return f"{payload}.{_mac(payload, key)}"


def read_token(token: str, now_ms: int, *, key: bytes = _KEY) -> tuple[str, str] | None:
    """(member_id, ref) of a token this process made and that has not expired, else None."""
    if len(token) > limits.RECEIPT_TOKEN_CHARS_MAX or token.count(".") != 1:
        return None
    payload, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(payload, key)):
        return None
    try:
        claims = json.loads(_unb64(payload))
    except (binascii.Error, ValueError):
        return None
    member, ref, expires = claims.get("m"), claims.get("r"), claims.get("x")
    if not (isinstance(member, str) and isinstance(ref, str) and isinstance(expires, int)):
        return None
    return (member, ref) if now_ms <= expires else None


def link(member_id: str, ref: str, now_ms: int) -> str:
    """The path the receipt screen's download button opens."""
    return f"{ROUTE}/{link_token(member_id, ref, now_ms)}"


def receipt_file(node: Node, token: str) -> tuple[str, bytes] | None:
    """(file name, bytes) the token names, read on the node thread; None if none."""
    claims = read_token(token, node.clock.now_ms())
    if claims is None:
        return None
    member_id, ref = claims
    try:
        receipts = mr.receipts_for(node.engine.state, node.store, member_id)
        receipt = mr.find_receipt(receipts, ref)
    except ChitError:  # a member since removed, a receipt gone: nothing to give
        return None
    return receipt.file_name, receipt.to_bytes()


def add_receipt_routes(app: Any, ctx: Any) -> None:
    """`GET /receipt-file/{token}`, ahead of Flet's static files (which match every path)."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def download(request: Request) -> Response:
        token = str(request.path_params["token"])
        found = await ctx.backend.nt.run(lambda node: receipt_file(node, token))
        if found is None:
            return Response(status_code=404)
        name, data = found
        headers = {
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",  # a shared phone's cache keeps no one's receipts
            "X-Content-Type-Options": "nosniff",
        }
        return Response(data, media_type="application/json", headers=headers)

    app.router.routes[0:0] = [Route(f"{ROUTE}/{{token}}", download)]
