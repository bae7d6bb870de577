"""`chitnode bank-*` subcommands, registered through the `chitnode.commands` entry points.

The kernel's CLI cannot import `sync/` (DESIGN.md, layers), so pyproject.toml
names these `add_*` functions and `chitnode/cli/main.py` discovers them. Each imports
its heavy module (aiohttp) only when its command runs, so other commands stay fast.

- `chitnode bank-sim --port P`: the bank simulator (`sync/bank/sim.py`).
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

from chitnode import limits as kernel
from chitnode.domain import bank_kinds as bank
from chitnode.domain.money import format_inr
from chitnode.errors import UsageError
from chitnode.services import bank_outbox as outbox
from chitnode.store.bank_outbox import OutboxTable
from chitnode.store.paths import data_folder
from sync.bank.options import add_sim_arguments, add_worker_arguments

Subparsers = Any  # argparse's _SubParsersAction, private in typeshed


def add_bank_sim(sub: Subparsers) -> None:
    p = sub.add_parser("bank-sim", help="run the bank simulator on loopback (tests, demos)")
    add_sim_arguments(p)
    p.set_defaults(handler=_bank_sim)


def _bank_sim(args: argparse.Namespace) -> int:
    from sync.bank import sim as bank_sim

    return bank_sim.run(args)


def add_bank_worker(sub: Subparsers) -> None:
    p = sub.add_parser("bank-worker", help="send pending bank requests; write the answers")
    add_worker_arguments(p)
    p.set_defaults(handler=_bank_worker)


def _bank_worker(args: argparse.Namespace) -> int:
    from sync.bank import worker as bank_worker

    return bank_worker.run(args, data_folder(args.data))


def add_bank_outbox(sub: Subparsers) -> None:
    p = sub.add_parser("bank-outbox", help="pending bank requests and this node's attempts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_bank_outbox)


def _bank_outbox(args: argparse.Namespace) -> int:
    from chitnode.node.node import Node

    folder = data_folder(args.data)
    with Node.open(folder) as node, OutboxTable.open(folder) as table:
        pending = bank.pending_requests(node.engine.state, kernel.BANK_PENDING_SCAN_MAX)
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
    from chitnode.node.node import Node
    from chitnode.services.receipts import check_applied

    with Node.open(data_folder(args.data)) as node:
        row = node.engine.state.get(bank.REQUESTS, args.request_id)
        if row is None:
            raise UsageError(f"no bank request {args.request_id}")
        kind, body = manual_outcome(row, bank_ref=args.bank_ref, refuse=args.refuse)
        # A person's command gets its own id: typed twice, the fold says `already_settled`.
        receipt = node.submit(kind, body)
        check_applied(node, receipt)  # written but frozen or rejected: exit 3, and what to do
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
