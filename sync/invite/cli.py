"""`chitnode invite` and `chitnode join` (entry points, `chitnode.commands`).

- `chitnode invite --role ROLE --name NAME [--ttl-min N] [--png FILE] [--json]`, on an
  admin's node while `chitnode serve` runs there (the command reaches the serving
  process through its control endpoint; the code is answered by that process's peer
  server): prints the one-time code as text and as a QR code, and writes it as a PNG.
- `chitnode join CODE [--data DIR]` on a new device: see `sync/invite/client.py`.

aiohttp and the peer layer load only inside the handlers, so other commands stay quick.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chitnode.clock import SystemClock
from chitnode.domain.kinds import ROLES
from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.store.paths import data_folder
from sync import limits
from sync.invite import code, render

Subparsers = Any  # argparse's _SubParsersAction, private in typeshed
SERVE_FILE = "serve.json"  # what `chitnode serve` writes (sync/serve/runtime.py)
INVITES_DIR = "invites"  # <data>/invites/: the PNGs, owner-only like the data folder


class NotServing(ChitError):
    code = "not_serving"


def _minutes(text: str) -> int:
    high = limits.INVITE_TTL_MAX_MS // 60_000
    if not text.isdigit() or not 1 <= int(text) <= high:
        raise argparse.ArgumentTypeError(f"minutes: a whole number in 1..{high}")
    return int(text)


def add_invite(sub: Subparsers) -> None:
    p = sub.add_parser("invite", help="a one-time code for a new device to join (admin, serving)")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--name", required=True, help="the new device's name, e.g. 'Counter 2'")
    p.add_argument(
        "--ttl-min",
        type=_minutes,
        default=limits.INVITE_TTL_DEFAULT_MS // 60_000,
        help="minutes the code stays good (default: %(default)s)",
    )
    p.add_argument(
        "--png", type=Path, help=f"where to write the QR (default: <data>/{INVITES_DIR}/)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_invite)


def _serving(folder: Path) -> list[tuple[str, int]]:
    """The addresses this serving process answers joins at; NotServing outside serve.

    `<data>/serve.json` (written by `chitnode serve`) names the serving process and its
    peer port; a command forwarded to serve runs inside that process, so its pid is ours.
    """
    try:
        doc = json.loads((folder / SERVE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = None
    ok = isinstance(doc, dict) and doc.get("pid") == os.getpid()
    port = doc.get("peer_port") if ok and isinstance(doc, dict) else None
    if not isinstance(port, int) or not 0 < port < 2**16 or not isinstance(doc, dict):
        raise NotServing(
            "an invite is answered by the serving node: start `chitnode serve` for this data"
            " folder, then run `chitnode invite` again (it reaches the running serve)"
        )
    found: list[tuple[str, int]] = []
    for host in doc.get("addresses") or []:
        try:
            ipaddress.ip_address(host)
        except (TypeError, ValueError):
            continue
        found.append((str(host), port))
    if not found:
        raise NotServing("serve.json names no address peers can reach this node at")
    return found[: limits.INVITE_ADDRESSES_MAX]


def _invite(args: argparse.Namespace) -> int:
    from sync.channel.credentials import load_or_create
    from sync.invite import service
    from sync.invite.book import InviteBook

    folder = data_folder(args.data)
    with Node.open(folder) as node:  # the serving process's own node, lent to this command
        service.require_admin(node)
        addresses = _serving(folder)
        cred = load_or_create(folder, node.public)
        invite, pending = service.make_invite(
            node,
            InviteBook(folder),
            role=args.role,
            name=args.name,
            addresses=addresses,
            fingerprint=cred.fingerprint,
            now_ms=SystemClock().now_ms(),
            ttl_ms=args.ttl_min * 60_000,
        )
    text = code.encode(invite)
    png = args.png or folder / INVITES_DIR / f"invite-{pending.secret_hash[:12]}.png"
    render.write_png(text, png)
    if args.json:
        doc = {
            "code": text,
            "role": pending.role,
            "name": pending.name,
            "expires_ms": invite.expires_ms,
            "addresses": [f"{h}:{p}" for h, p in invite.addresses],
            "fingerprint": invite.fingerprint,
            "png": str(png),
        }
        print(json.dumps(doc, indent=2, sort_keys=True))
        return 0
    until = _utc(invite.expires_ms)
    print(f"Invite for a {pending.role} device {pending.name!r}: one use, until {until}.")
    print(f"On the new device, with an empty data folder, run:\n\n  chitnode join {text}\n")
    print(render.terminal_qr(text), end="")
    print(f"\nThe same QR as a picture: {png}")
    print("Whoever holds this code can join until it is used or expires: share it in person.")
    return 0


def add_invites(sub: Subparsers) -> None:
    p = sub.add_parser("invites", help="the invites this node made: open, used, expired")
    p.add_argument("--cancel", metavar="ID", help="close an open invite now (its id, or 8+ digits)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_invites)


def _invites(args: argparse.Namespace) -> int:
    from sync.invite.book import InviteBook

    folder = data_folder(args.data)
    now_ms = SystemClock().now_ms()
    if not (folder / "invites.db").exists():
        rows = []
    else:
        book = InviteBook(folder)
        if args.cancel:
            closed = book.cancel(args.cancel, now_ms)
            print(f"Closed invite {closed.secret_hash[:12]} ({closed.role} {closed.name!r}).")
        rows = book.rows()
    docs = [
        {
            "id": r.secret_hash[:12],
            "role": r.role,
            "name": r.name,
            "state": r.state(now_ms),
            "created_ms": r.created_ms,
            "expires_ms": r.expires_ms,
            "used_ms": r.used_ms,
            "used_by": r.used_by,
        }
        for r in rows
    ]
    if args.json:
        print(json.dumps(docs, indent=2, sort_keys=True))
        return 0
    if not rows:
        print("No invites on this node.")
    for r in rows:
        by = f" by {r.used_by[:16]}…" if r.used_by else ""
        print(
            f"{r.secret_hash[:12]}  {r.state(now_ms):<7}  {r.role:<8}  {r.name!r}"
            f"  until {_utc(r.expires_ms)}{by}"
        )
    return 0


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def add_join(sub: Subparsers) -> None:
    p = sub.add_parser("join", help="join a branch with an invite code (an empty data folder)")
    p.add_argument("code", metavar="CODE", help="the invite code (CHIT-...), as text")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_join)


def _join(args: argparse.Namespace) -> int:
    from sync.invite import client

    folder = data_folder(args.data)
    invite = code.decode(args.code)

    def say(line: str) -> None:
        print(f"chitnode join: {line}", file=sys.stderr if args.json else sys.stdout, flush=True)

    joined = asyncio.run(client.join(folder, invite, say=say))
    if args.json:
        doc = {
            "device_key": joined.device_key,
            "role": joined.role,
            "name": joined.name,
            "inviter": joined.inviter,
            "address": f"{joined.address[0]}:{joined.address[1]}",
            "entries": joined.entries,
            "state_digest": joined.state_digest,
            "secrets": joined.secrets,
        }
        print(json.dumps(doc, indent=2, sort_keys=True))
        return 0
    print(f"Joined as {joined.role} {joined.name!r}: {joined.entries} entries, digest")
    print(f"  {joined.state_digest}")
    for line in joined.secrets:
        print(f"  received {line}")
    print(f"Now run `chitnode serve` here to stay in sync (data folder {folder}).")
    return 0


__all__ = ["add_invite", "add_invites", "add_join"]
