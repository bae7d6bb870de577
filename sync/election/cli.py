"""`chitnode lease ...`: who may write each group's auctions, payouts and sanctions.

    chitnode lease status [--json]        every scope: holder (key, name), term, time left
    chitnode lease electorate SCOPE --device D... [--lease 30s]     (admin) who may hold it
    chitnode lease transfer SCOPE --to DEVICE [--for 4h]   hand a held scope to a laptop

Registered through the `chitnode.commands` entry points (pyproject.toml), like the other
sync/ commands; with a `chitnode serve` running they run there (sync/serve/control.py),
where the election runs. The books (the fold) say who holds what at which term; time left
is known only where the lease is held, by that device's own clock (docs/coordination.md).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from chitnode.errors import ChitError, RuleViolation, UsageError
from chitnode.store.paths import data_folder
from sync import limits
from sync.election.books import ScopeLease, device_name, scope_leases

Subparsers = Any  # argparse's _SubParsersAction, private in typeshed
KEY_CHARS_SHOWN = 12  # a device key's prefix in the table (the whole key is in --json)
_UNITS_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000}


class NotServing(ChitError):
    """The command needs the running election of `chitnode serve` on this device."""

    code = "not_serving"


def add_lease(sub: Subparsers) -> None:
    p = sub.add_parser("lease", help="lock holders: who may write each group's auctions")
    verbs = p.add_subparsers(dest="lease_command", required=True)
    status = verbs.add_parser("status", help="every scope, its holder, term and electorate")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)
    voters = verbs.add_parser("electorate", help="(admin) the devices that vote for a scope")
    voters.add_argument("scope", help="treasury or group:<id>")
    voters.add_argument("--device", action="append", required=True, help="key, prefix or name")
    voters.add_argument("--lease", default="30s", help="lease length: 30s, 10m, 4h")
    voters.set_defaults(handler=_electorate)
    hand = verbs.add_parser("transfer", help="hand a scope this device holds to another")
    hand.add_argument("scope", help="treasury or group:<id>")
    hand.add_argument("--to", required=True, help="the device: key, key prefix or name")
    hand.add_argument("--for", dest="lease_for", help="(admin) a lease this long: 4h")
    hand.set_defaults(handler=_transfer)


def _status(args: argparse.Namespace) -> int:
    from chitnode.node.node import Node

    service = _service()
    with Node.open(data_folder(args.data)) as node:
        rows = scope_leases(node.engine.state)
        if service is not None:  # on the node thread of the serve: its election is here
            rows = [r.with_time_left(service.shell.time_left_ms(r.scope)) for r in rows]
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
    if row.time_left_ms is not None:
        left = f"{row.time_left_ms / 1000:.1f} s left (this device)"
    elif row.status == "held":
        left = "time left: known on the holder"
    else:
        left = "nobody writes"
    return f"{row.scope}: {who}; {left}; {lease}\n  electorate: {voters}"


def _service() -> Any:
    """The election of the serve this command runs inside, None outside a serve."""
    from sync.serve import runtime

    current = runtime.current
    return current.election if current is not None else None


def parse_duration_ms(text: str) -> int:
    """`30s`, `10m`, `4h`, `1500ms` as milliseconds; UsageError otherwise."""
    for unit in sorted(_UNITS_MS, key=len, reverse=True):
        number = text[: -len(unit)]
        if text.endswith(unit) and number.isdigit():
            return int(number) * _UNITS_MS[unit]
    raise UsageError(f"a duration is a whole number and a unit (ms, s, m, h): not {text!r}")


def find_device(state: Any, text: str) -> str:
    """A device of the branch named by key, key prefix or enrolled name (exactly one)."""
    devices = dict(state.rows("devices"))
    branch = state.get("branch", "branch")
    if branch is not None:
        devices.setdefault(branch["root"], {"name": "root admin"})
    wanted = text.strip().lower()
    found = [k for k in devices if k == wanted]
    if not found and len(wanted) >= limits.DEVICE_KEY_PREFIX_MIN:
        found = [k for k in devices if k.startswith(wanted)]
    if not found:
        found = [k for k, row in devices.items() if str(row.get("name", "")).lower() == wanted]
    if len(found) != 1:
        many = "more than one device matches" if found else "no device of this branch is"
        raise UsageError(f"{many} {text!r}: give its key (chitnode devices lists them)")
    return str(found[0])


def _electorate(args: argparse.Namespace) -> int:
    from chitnode.node.node import Node

    lease_ms = parse_duration_ms(args.lease)
    with Node.open(data_folder(args.data)) as node:
        state = node.engine.state
        keys = sorted({find_device(state, d) for d in args.device})
        body = {"scope": args.scope, "keys": keys, "lease_ms": lease_ms}
        receipt = node.submit("scope.electorate_set", body)
        names = ", ".join(device_name(state, k) or k[:KEY_CHARS_SHOWN] for k in keys)
    print(f"{args.scope}: electorate {names}; lease {lease_ms // 1000} s (entry {receipt.seq})")
    return 0


def _transfer(args: argparse.Namespace) -> int:
    from chitnode.node.node import Node

    service = _service()
    if service is None:
        raise NotServing(
            "a transfer runs in the election of `chitnode serve`: start it on this device "
            "and on the one you hand the scope to, then run this again"
        )
    with Node.open(data_folder(args.data)) as node:
        state = node.engine.state
        to = find_device(state, args.to)
        if args.lease_for is not None:
            lease_ms = parse_duration_ms(args.lease_for)
            if not 0 < lease_ms <= limits.LEASE_FOR_MAX_MS:
                raise UsageError("a meeting's lease lasts up to 24 h")
            keys, current = _electorate_of(state, args.scope)
            if lease_ms != current:  # admins only: the fold refuses it from anyone else
                body = {"scope": args.scope, "keys": sorted(keys), "lease_ms": lease_ms}
                node.submit("scope.electorate_set", body)
        if service.shell.may_write(args.scope) is None:
            holder = service.shell.holder(args.scope)
            where = device_name(state, holder[0]) if holder else "nobody reachable"
            raise RuleViolation(
                f"this device does not hold {args.scope} (holder: {where}): run the transfer there",
                code="not_lease_holder",
            )
        service.transfer_here(args.scope, to)
        name = device_name(state, to) or to[:KEY_CHARS_SHOWN]
    print(
        f"{args.scope}: handed to {name}; this device writes no more for it. {name} holds it "
        "once a majority of the electorate confirms: `chitnode lease status` shows it."
    )
    return 0


def _electorate_of(state: Any, scope: str) -> tuple[list[str], int]:
    from chitnode.domain.kernel_kinds import electorate

    return electorate(state, scope)
