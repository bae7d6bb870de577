"""`chitnode bank-*` subcommands, registered through the `chitnode.commands` entry points.

The kernel's CLI cannot import `sync/` (DESIGN.md, layers), so pyproject.toml
names these `add_*` functions and `chitnode/cli.py` discovers them. Each imports
its heavy module (aiohttp) only when its command runs, so other commands stay fast.

- `chitnode bank-sim --port P`: the bank simulator (`sync/bank_sim.py`).
- `chitnode bank-worker --bank URL`: send pending requests until none is left.
- `chitnode bank-outbox [--json]`: the pending requests and this node's attempts.
- `chitnode bank-settle REQUEST_ID --bank-ref REF | --refuse REASON`: settle or
  refuse a pending request by hand, with the bank's reference (no gateway).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from chitnode import bank_outbox as outbox
from chitnode.cli_commands import data_dir
from chitnode.domain import bank_kinds as bank
from chitnode.domain.money import format_inr
from chitnode.errors import UsageError

Subparsers = Any  # argparse's _SubParsersAction, private in typeshed

# The simulator's modes and hosts live here so that building the parser needs no aiohttp.
SIM_MODES = ("up", "down", "slow", "reject", "drop")
SIM_HOSTS = ("127.0.0.1", "::1", "localhost")  # loopback only
PASSES_MAX_DEFAULT = 1_000
RUN_SECONDS_MAX_DEFAULT = 600.0
WORKER_PASSES_MAX = 100_000
WORKER_SECONDS_MAX = 86_400.0


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, required=True, help="TCP port (0: pick a free one)")
    parser.add_argument("--host", default="127.0.0.1", choices=SIM_HOSTS)
    parser.add_argument("--mode", default="up", choices=SIM_MODES)


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bank", required=True, help="the bank's base URL, e.g. http://...")
    parser.add_argument("--passes", type=int, default=PASSES_MAX_DEFAULT, help="at most this many")
    parser.add_argument("--seconds", type=float, default=RUN_SECONDS_MAX_DEFAULT, help="at most")
    parser.add_argument("--keep-going", action="store_true", help="do not stop when idle")
    parser.add_argument("--per-pass", type=int, default=outbox.ATTEMPTS_PER_PASS_MAX)
    parser.add_argument("--pause-ms", type=int, default=0, help="least wait between passes")
    parser.add_argument("--timeout-ms", type=int, default=None, help="per bank call")
    parser.add_argument("--backoff-base-ms", type=int, default=outbox.BACKOFF_BASE_MS)
    parser.add_argument("--backoff-cap-ms", type=int, default=outbox.BACKOFF_CAP_MS)


def add_bank_sim(sub: Subparsers) -> None:
    p = sub.add_parser("bank-sim", help="run the bank simulator on loopback (tests, demos)")
    add_sim_arguments(p)
    p.set_defaults(handler=_bank_sim)


def _bank_sim(args: argparse.Namespace) -> int:
    from sync import bank_sim

    return bank_sim.run(args)


def add_bank_worker(sub: Subparsers) -> None:
    p = sub.add_parser("bank-worker", help="send pending bank requests; write the answers")
    add_worker_arguments(p)
    p.set_defaults(handler=_bank_worker)


def _bank_worker(args: argparse.Namespace) -> int:
    from sync import bank_worker

    return bank_worker.run(args, data_dir(args))


def add_bank_outbox(sub: Subparsers) -> None:
    p = sub.add_parser("bank-outbox", help="pending bank requests and this node's attempts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_bank_outbox)


def _bank_outbox(args: argparse.Namespace) -> int:
    from chitnode.service import Node

    folder = data_dir(args)
    with Node.open(folder) as node, outbox.OutboxTable.open(folder) as table:
        pending = bank.pending_requests(node.engine.state, outbox.PENDING_SCAN_MAX)
        rows = outbox.outbox_rows(pending, table.attempts())
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2, sort_keys=True))
        return 0
    if not rows:
        print("No pending bank requests.")
    for r in rows:
        flag = "  STUCK" if r.stuck else ""
        print(
            f"{r.request_id}  {r.direction:<10} {r.member_id:<12} {format_inr(r.amount_paise):>16}"
            f"  tries {r.attempts}  {r.last_error}{flag}"
        )
    return 0


def add_bank_settle(sub: Subparsers) -> None:
    p = sub.add_parser("bank-settle", help="settle (or refuse) a pending bank request by hand")
    p.add_argument("request_id", metavar="REQUEST_ID")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--bank-ref", help="the bank's reference for the settled request")
    how.add_argument("--refuse", metavar="REASON", help="the bank refused it: why")
    p.set_defaults(handler=_bank_settle)


def _bank_settle(args: argparse.Namespace) -> int:
    from chitnode.service import Node

    with Node.open(data_dir(args)) as node:
        row = node.engine.state.get(bank.REQUESTS, args.request_id)
        if row is None:
            raise UsageError(f"no bank request {args.request_id}")
        kind, body = manual_outcome(row, bank_ref=args.bank_ref, refuse=args.refuse)
        # A person's command gets its own id: typed twice, the fold says `already_settled`.
        receipt = node.submit(kind, body)
    print(f"{kind} {args.request_id}: {receipt.status} (entry {receipt.seq})")
    return 0


def manual_outcome(
    row: dict[str, Any], *, bank_ref: str | None, refuse: str | None
) -> tuple[str, dict[str, Any]]:
    """The kind and body a person writes to close a request by hand (`via: manual`)."""
    rid, withdrawal = str(row["request_id"]), row["direction"] == bank.WITHDRAWAL
    if bank_ref is not None:
        kind = bank.WITHDRAWAL_SETTLED if withdrawal else bank.DEPOSIT_SETTLED
        return kind, bank.settled_body(rid, bank_ref, withdrawal=withdrawal)
    assert refuse is not None
    kind = bank.WITHDRAWAL_REJECTED if withdrawal else bank.DEPOSIT_FAILED
    return kind, bank.refused_body(rid, refuse, withdrawal=withdrawal)
