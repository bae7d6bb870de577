"""`chitnode lease status [--json]`: every scope, its electorate, holder and term.

Registered through the `chitnode.commands` entry points (pyproject.toml), like the other
sync/ commands; with a `chitnode serve` running it runs there (sync/serve/control.py).
What it shows is what the books say (docs/coordination.md): time left on a lease is known
only to the holder's running election, which `serve` does not carry yet, so it is shown
as unknown.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from chitnode.store.paths import data_folder
from sync.election.books import ScopeLease, scope_leases

Subparsers = Any  # argparse's _SubParsersAction, private in typeshed
KEY_CHARS_SHOWN = 12  # a device key's prefix in the table (the whole key is in --json)


def add_lease(sub: Subparsers) -> None:
    p = sub.add_parser("lease", help="lock holders: who may write each group's auctions")
    verbs = p.add_subparsers(dest="lease_command", required=True)
    status = verbs.add_parser("status", help="every scope, its holder, term and electorate")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)


def _status(args: argparse.Namespace) -> int:
    from chitnode.node.node import Node

    with Node.open(data_folder(args.data)) as node:
        rows = scope_leases(node.engine.state)
    if args.json:
        print(json.dumps([r.as_json() for r in rows], indent=2, sort_keys=True))
        return 0
    if not rows:
        print("No scope has an electorate or a holder yet: the root admin's device holds all.")
    for row in rows:
        print(describe(row))
    return 0


def _device(key: str, name: str | None) -> str:
    return f"{key[:KEY_CHARS_SHOWN]}… ({name})" if name else f"{key[:KEY_CHARS_SHOWN]}…"


def describe(row: ScopeLease) -> str:
    """One scope in a line or two of words, for the foreman and the admin."""
    voters = ", ".join(_device(k, n) for k, n in row.electorate)
    lease = f"lease {row.lease_ms // 1000} s"
    if row.holder is None:
        who = "no holder yet"
    else:
        states = {"held": "held by", "transferred": "handed on by", "released": "released by"}
        verb = states.get(row.status, "granted to")
        who = f"term {row.term} {verb} {_device(row.holder, row.holder_name)}"
    return f"{row.scope}: {who}; time left unknown here; {lease}\n  electorate: {voters}"
