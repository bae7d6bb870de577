"""`chitnode receipt ...` and `chitnode passbook ...`: receipts members keep (issue 15 point 4).

    chitnode receipt show MEMBER [REF] [--out FILE] [--json]
        without REF: the member's receipts (date, hash, what); with REF (an entry hash or
        its first 12+ digits, `<author>:<seq>`, or a receipt's key from --json): that
        receipt's file, on stdout or into FILE
    chitnode receipt check FILE [--export X.chitlog] [--json]
        where the receipt's entry stands in this node's log, or in an export:
        exit 0 when in the log, 1 otherwise (missing, conflict, unknown author)
    chitnode passbook MEMBER [--pdf OUT]
        the member's receipts as text, or a printable PDF with one QR code per receipt

Registered by chitnode/cli/main.py (`add_parsers`), as `chitnode hq` is.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from chitnode.cli.commands import data_dir, print_json, printable
from chitnode.domain import chit_kinds_base as base
from chitnode.errors import UsageError
from chitnode.node.node import Node
from chitnode.services import member_receipts as mr
from chitnode.services.report_pdf import write_atomically

T = TypeVar("T")

EXIT_OK, EXIT_FAIL = 0, 1


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("receipt", help="receipts members keep: show one, check one")
    receipt = p.add_subparsers(dest="receipt", required=True, parser_class=type(p))
    p = receipt.add_parser(
        "show", parents=[common], help="a member's receipts, or one receipt's file"
    )
    p.add_argument("member_id", metavar="MEMBER")
    p.add_argument(
        "ref", nargs="?", metavar="REF", help="an entry hash (12+ digits), <author>:<seq>, or a key"
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="write the receipt file here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_receipt_show)
    p = receipt.add_parser(
        "check", parents=[common], help="check a receipt against this node's log or an export"
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--export", type=Path, metavar="X.chitlog", help="check against this export")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_receipt_check)
    p = sub.add_parser("passbook", help="a member's receipts; --pdf to print")
    p.add_argument("member_id", metavar="MEMBER")
    p.add_argument("--pdf", type=Path, metavar="OUT", help="a PDF with a QR code per receipt")
    p.set_defaults(handler=cmd_passbook)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _listing(receipt: mr.MemberReceipt) -> dict[str, Any]:
    entry = receipt.entry
    return {
        "ref": receipt.key,
        "hash": entry.hash,
        "ts_ms": entry.ts,
        "kind": entry.kind,
        "category": receipt.category,
        "amount_paise": receipt.amount_paise,
        "what": receipt.what,
    }


def cmd_receipt_show(args: argparse.Namespace) -> int:
    with Node.open(data_dir(args)) as node:
        receipts = mr.receipts_for(node.engine.state, node.store, args.member_id)
    if args.ref is None:
        if args.out is not None:
            raise UsageError("--out writes one receipt: name it (REF)")
        _print_list(receipts, args.json)
        return EXIT_OK
    receipt = mr.find_receipt(receipts, args.ref)
    if args.out is not None:
        write_atomically(args.out, receipt.to_bytes())
        print(f"Wrote the receipt for {printable(receipt.what)} to {args.out}")
    elif args.json:
        print_json(receipt.to_json())
    else:
        sys.stdout.write(receipt.to_bytes().decode())
    return EXIT_OK


def _print_list(receipts: list[mr.MemberReceipt], as_json: bool) -> None:
    if as_json:
        print_json([_listing(r) for r in receipts])
        return
    for r in receipts:
        print(f"{_when(r.entry.ts)}  {r.entry.hash[:12]}  {printable(r.what)}")
    print(f"{len(receipts)} receipt(s); `chitnode receipt show MEMBER <hash>` for one")


def against_log(args: argparse.Namespace, check: Callable[[mr.Log], T]) -> T:
    """`check` run on the log a check command names: an export (`--export FILE`), or this
    node's store (shared by `receipt check` and `witness check`)."""
    if args.export is not None:
        if not args.export.is_file():
            raise UsageError(f"no such file: {args.export}")
        return check(mr.ExportLog(args.export))
    with Node.open(data_dir(args)) as node:
        return check(mr.StoreLog(node.store, node.engine.state))


def cmd_receipt_check(args: argparse.Namespace) -> int:
    receipt = mr.read_receipt(args.file)
    found = against_log(args, lambda log: mr.check_receipt(log, receipt))
    if args.json:
        print_json(
            {
                "status": found.status,
                "where": found.where,
                "log_head": found.log_head,
                "log_hash": found.log_hash,
                "log_problems": list(found.log_problems),
                "receipt": _listing(receipt),
                "member_id": receipt.member_id,
            }
        )
    else:
        word = "OK" if found.ok else "NOT IN THE LOG" if found.status == mr.MISSING else "FAILED"
        print(f"{word} [{found.status}]: {printable(found.explain())}")
        if found.log_problems:
            codes = ", ".join(found.log_problems)
            print(f"note: the export itself does not verify clean ({codes}): `chitnode verify`")
    return EXIT_OK if found.ok else EXIT_FAIL


def cmd_passbook(args: argparse.Namespace) -> int:
    from chitnode.services import receipt_pdf, report_pdf

    with Node.open(data_dir(args)) as node:
        state = node.engine.state
        name = str(base.member_row(state, args.member_id)["name"])
        receipts = mr.receipts_for(state, node.store, args.member_id)
        header = report_pdf.header_of(node) if args.pdf is not None else None
    if args.pdf is None or header is None:
        print(f"Passbook of {printable(name)} ({args.member_id})")
        _print_list(receipts, as_json=False)
        return EXIT_OK
    receipt_pdf.write_passbook_pdf(args.pdf, name, receipts, header)
    print(f"Wrote the passbook of {printable(name)} ({len(receipts)} receipts) to {args.pdf}")
    return EXIT_OK
