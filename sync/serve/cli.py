"""`chitnode serve`, `submit`, `peers` and the sync lines of `status` (entry points).

Registered in pyproject.toml (`chitnode.commands`, `chitnode.status`); the kernel CLI
finds them there and never imports sync/ itself. aiohttp and the peer layer load only
when `serve` runs, so the other commands stay quick.

- `chitnode serve [--peer-port N] [--listen ADDR] [--peer HOST:PORT]... [--no-discovery]`
- `chitnode submit KIND BODY_JSON [--id CMD_ID] [--json]`: one command through the node's
  write path (Node.submit: the checks the app's commands get); run again with the same
  `--id`, it answers "already done" with the first receipt. Bad JSON is a usage error
  (exit 2), a refused command its rule's code (exit 1).
- `chitnode peers [--json]`: each remembered peer, where, when last seen, its lag, and
  why the last connection to it failed.
While a serve runs, these (but `serve`) reach it through its control endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chitnode.domain import limits as domain
from chitnode.domain import member_keys
from chitnode.domain.kinds import load_all
from chitnode.errors import ChitError, UsageError
from chitnode.node.node import Command, Node, Receipt
from chitnode.services.receipts import check_applied
from chitnode.store.paths import data_folder
from sync import limits
from sync.discovery.book import BadPeerAddress, PeerBook, PeerRow, check_address

Subparsers = Any  # argparse's _SubParsersAction, private in typeshed


# --- serve ---------------------------------------------------------------------------------


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > limits.PEER_PORT_MAX:
        raise argparse.ArgumentTypeError(f"a port is 0..{limits.PEER_PORT_MAX} (0: any free one)")
    return int(text)


def _peer(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host  # [::1]:7461
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"a peer is HOST:PORT, not {text!r}")
    try:
        check_address(host, int(port))
    except BadPeerAddress as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return host, int(port)


def add_serve(sub: Subparsers) -> None:
    from sync.serve.runtime import LISTEN_DEFAULT, PEER_PORT_DEFAULT

    p = sub.add_parser("serve", help="run this node on the network until SIGINT/SIGTERM")
    p.add_argument(
        "--peer-port",
        type=_port,
        default=PEER_PORT_DEFAULT,
        help=f"TCP port of the peer channel (default {PEER_PORT_DEFAULT}; 0: any free port)",
    )
    p.add_argument("--listen", default=LISTEN_DEFAULT, help="address to listen on (default: all)")
    p.add_argument(
        "--peer",
        type=_peer,
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="a peer to dial (repeatable), beside remembered addresses and discovery",
    )
    p.add_argument("--no-discovery", action="store_true", help="no mDNS: dial known peers only")
    for part in serve_parts():  # the app (ui/server.py) adds --app-port and the like
        part.add_arguments(p)
    p.set_defaults(handler=_serve)


SERVE_PARTS_GROUP = "chitnode.serve_parts"


def serve_parts() -> list[Any]:
    """What else a serve runs, by entry point (the app: ui/server.py). sync/ never imports
    ui/ (DESIGN.md, layers); the parts plug in here. Each has `add_arguments(parser)` and
    `create(args) -> part` with `async start(runtime) -> [endpoint lines]`, `async stop()`."""
    from importlib.metadata import entry_points

    return [e.load() for e in sorted(entry_points(group=SERVE_PARTS_GROUP), key=lambda e: e.name)]


def _serve(args: argparse.Namespace) -> int:
    from sync.serve.runtime import ServeOptions, serve

    run_here = getattr(args, "run_here", None)
    if run_here is None:  # the kernel CLI gives it; another caller must too
        raise UsageError("serve runs from the chitnode command line")
    options = ServeOptions(
        folder=data_folder(args.data).resolve(),
        listen=args.listen,
        peer_port=args.peer_port,
        peers=tuple(args.peer),
        discovery=not args.no_discovery,
        parts=tuple(p for p in (part.create(args) for part in serve_parts()) if p is not None),
        on_loop=submit_on_loop,
    )
    return asyncio.run(serve(options, run_here))


# --- submit --------------------------------------------------------------------------------


def _cmd_id(text: str) -> str:
    if not 0 < len(text.encode()) <= domain.CMD_ID_BYTES_MAX or not text.isprintable():
        raise argparse.ArgumentTypeError(
            f"a command id is 1..{domain.CMD_ID_BYTES_MAX} bytes of printable text"
        )
    return text


def add_submit(sub: Subparsers) -> None:
    p = sub.add_parser("submit", help="run one command (KIND, BODY_JSON) through the write path")
    p.add_argument("kind", metavar="KIND", help="an entry kind, e.g. member.registered")
    p.add_argument("body", metavar="BODY_JSON", help="the command's body, a JSON object")
    p.add_argument("--id", dest="cmd_id", type=_cmd_id, help="command id: a retry repeats it")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_submit)


def parse_body(text: str) -> dict[str, Any]:
    """BODY_JSON as an object; UsageError (exit 2) for anything else."""
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"BODY_JSON is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise UsageError("BODY_JSON must be a JSON object ({...})")
    return body


def _submit(args: argparse.Namespace) -> int:
    body = parse_body(args.body)
    with Node.open(data_folder(args.data)) as node:
        receipt = node.submit(args.kind, body, args.cmd_id)
        check_applied(node, receipt)  # written but frozen or rejected: exit 3, what to do
        group = node.engine.state.get("groups", str(body.get("group_id")))
    print(receipt_text(args.kind, receipt, args.json))
    if args.kind == "group.created" and group is not None and not args.json:
        print(member_keys.consent_words(group))  # whose word a member's consent is (issue 15)
    return 0


def receipt_text(kind: str, receipt: Receipt, as_json: bool) -> str:
    if as_json:
        return json.dumps(asdict(receipt), indent=2, sort_keys=True)
    if receipt.already_done:
        done = f"entry #{receipt.seq} {receipt.status}"
        return f"Already done: {kind} is {done} (id {receipt.cmd_id})"
    return f"Applied {kind}: entry #{receipt.seq} (id {receipt.cmd_id})"


async def submit_on_loop(election: Any, argv: list[str]) -> tuple[int, str, str] | None:
    """`chitnode submit` of a coordinated kind inside a serve: through the election, which
    runs it here or forwards it to the holder (a wait on the network, so on the loop);
    None for anything else, which runs on the node thread as usual."""
    # after the global options (`--data DIR`), which the serve already answers for
    start = argv.index("submit") if "submit" in argv[: limits.CONTROL_GLOBAL_TOKENS_MAX] else -1
    if election is None or start < 0 or any(not a.startswith("-") for a in argv[:start:2]):
        return None
    argv = argv[start:]
    if len(argv) < 3:
        return None
    spec = load_all().get(argv[1])
    if spec is None or not spec.coordinated:
        return None
    parser = argparse.ArgumentParser(prog="chitnode", add_help=False, exit_on_error=False)
    add_submit(parser.add_subparsers(dest="command"))
    try:
        args, extra = parser.parse_known_args(argv)
    except (argparse.ArgumentError, SystemExit):
        return None  # the usual path reports it
    if extra:
        return None
    try:
        command = Command(args.kind, parse_body(args.body), args.cmd_id)
        receipt = (await election.submit([command]))[0]
    except ChitError as exc:
        status = 2 if isinstance(exc, UsageError) else 1  # as chitnode/cli/main.py exits
        return status, "", f"chitnode: error [{exc.code}]: {exc.message}\n"
    if receipt.status != "applied":
        words = f"entry #{receipt.seq} was written but {receipt.status} ({receipt.code})"
        return 3, "", f"chitnode: error [not_applied]: {words}\n"
    return 0, receipt_text(args.kind, receipt, args.json) + "\n", ""


# --- peers and status ----------------------------------------------------------------------


def add_peers(sub: Subparsers) -> None:
    p = sub.add_parser("peers", help="known peers: address, last seen, lag, last failure")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_peers)


def _when(ms: int | None) -> str:
    if ms is None:
        return "never"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _row_json(row: PeerRow) -> dict[str, Any]:
    doc = asdict(row)
    doc["addresses"] = list(row.addresses)
    return doc


def _serving_run(folder: Path) -> Any:
    """This process's serve run when it serves `folder` (a command forwarded to serve runs
    inside it), else None."""
    from sync.serve import runtime

    run = runtime.current
    return run if run is not None and run.folder == folder.resolve() else None


def _live(folder: Path) -> dict[str, Any] | None:
    """The serving run's live view (links, connections, the guard), or None."""
    run = _serving_run(folder)
    return None if run is None else dict(run.status_fields())


def _book(folder: Path) -> PeerBook:
    """The serving run's book (one writer of peers.json in a process), or the file's."""
    run = _serving_run(folder)
    return run.book if run is not None and run.book is not None else PeerBook(folder)


def _peers(args: argparse.Namespace) -> int:
    folder = data_folder(args.data)
    with Node.open(folder):  # a data folder of a branch (and not served: else forwarded)
        rows = _book(folder).rows()
    live = _live(folder)
    if args.json:
        doc: dict[str, Any] = {"peers": [_row_json(r) for r in rows], "live": live}
        print(json.dumps(doc, indent=2, sort_keys=True))
        return 0
    if not rows:
        print(
            "No peers known yet: `chitnode serve --peer HOST:PORT`, a `chitnode join`, or "
            "discovery on the local network adds them"
        )
    for row in rows:
        who = row.key[:16] + "…" if row.key else "(no key yet)"
        lag = "?" if row.lag_entries is None else str(row.lag_entries)
        print(f"{who:<18} seen {_when(row.last_seen_ms)}  lag {lag}")
        for address in row.addresses:
            print(f"  {address}")
        if row.failure_code is not None:
            print(
                f"  last failure {_when(row.failure_at_ms)}: [{row.failure_code}] "
                f"{row.failure_message}"
            )
    if live is None:
        print("Not serving: `chitnode serve` dials these and keeps them in sync")
        return 0
    print(f"Links now ({len(live['links'])}), from --peer, the book and mDNS:")
    for link in live["links"]:
        who = link["peer"][:16] + "…" if link["peer"] else "(not answered yet)"
        print(f"  {link['address']:<24} {link['via']:<5} {link['state']:<10} {who}")
    print(f"Connected to us: {len(live['connected_in'])} device(s)")
    print(_discovery_line(live.get("discovery")))
    return 0


def _discovery_line(found: dict[str, Any] | None) -> str:
    """What mDNS did, for someone asking why no peer shows up (docs/sync.md, Discovery)."""
    if found is None:
        return "Discovery: off (--no-discovery): only --peer and remembered addresses"
    if not found["running"]:
        return f"Discovery: not running: {found['error'] or 'no network address yet'}"
    ignored = ", ".join(f"{why} {n}" for why, n in sorted(found.get("ignored", {}).items()))
    return (
        f"Discovery: advertising on {', '.join(found.get('advertised', [])) or '-'}; "
        f"{found['hints']} hint(s) from this branch, last {_when(found.get('last_hint_ms'))}"
        + (f"; ignored: {ignored}" if ignored else "")
    )


def status_part(node: Node, folder: Path) -> tuple[dict[str, Any], list[str]]:
    """`chitnode status`'s sync part: peers, the lag, whether it serves, the guard."""
    rows = _book(folder).rows()
    lags = [r.lag_entries for r in rows if r.lag_entries is not None]
    live = _live(folder)
    sync: dict[str, Any] = {
        "serving": live is not None,
        "lag_entries": max(lags) if lags else None,
        "peers_known": len(rows),
    }
    lines = []
    if live is not None:
        sync |= live
        connected = sum(1 for link in live["links"] if link["state"] == "connected")
        lines.append(
            f"Serving       pid {live['pid']}, peer port {live['peer_port']}, "
            f"{connected} of {len(live['links'])} links connected, "
            f"{len(live['connected_in'])} peers connected to us"
        )
        if live["guard"] is not None:
            lines.append(f"Backup guard  {live['guard']['state']}: {live['guard']['reason']}")
    else:
        lines.append("Serving       no (`chitnode serve` syncs with peers)")
    lag = "unknown" if not lags else f"{max(lags)} entries behind the furthest peer"
    lines.append(f"Peers         {len(rows)} known, lag {lag} (`chitnode peers`)")
    return {"peers": [_row_json(r) for r in rows], "sync": sync}, lines
