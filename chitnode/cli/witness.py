"""`chitnode witness ...`: heads witnessed at the meeting (issue 15 point 5).

    chitnode witness statement --group G --month M
        the statement the member phones present sign (one line of canonical JSON): the
        log's heads now
    chitnode witness sign --group G --month M [--statement FILE] [--countersig MEMBER=SIG]...
                          [--out FILE] [--json]
        write `heads.witnessed` over the heads (those of FILE, a statement printed before,
        or the log's now) with the members' signatures; --out writes the witness file a
        member keeps
    chitnode witness check FILE [--export X.chitlog] [--json]
        whether this node's log (or an export) holds every witnessed entry at its place:
        exit 0 when it does, 1 when not (missing, conflict, unknown author)

Registered by chitnode/cli/main.py (`add_parsers`), as `chitnode receipt` is.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chitnode import limits
from chitnode.cli.commands import data_dir, print_json, printable
from chitnode.cli.receipt import against_log
from chitnode.errors import UsageError
from chitnode.node.node import Node
from chitnode.services import witness as ws
from chitnode.services.report_pdf import write_atomically

EXIT_OK, EXIT_FAIL = 0, 1


def _month(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= limits.JSON_INT_MAX:
        raise argparse.ArgumentTypeError(f"a month is a whole number >= 1: {text!r}")
    return int(text)


def _countersig(text: str) -> tuple[str, str]:
    member, sep, sig = text.partition("=")
    if not sep or not member or len(sig) != 128:
        raise argparse.ArgumentTypeError("a countersig is MEMBER=<128 hex signature>")
    return member, sig.lower()


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("witness", help="heads witnessed at the meeting: sign, check")
    witness = p.add_subparsers(dest="witness", required=True, parser_class=type(p))
    for name, text in (
        ("statement", "the statement member phones sign: the log's heads now"),
        ("sign", "write heads.witnessed with the members' signatures"),
    ):
        p = witness.add_parser(name, parents=[common], help=text)
        p.add_argument("--group", required=True, metavar="GROUP_ID")
        p.add_argument("--month", required=True, type=_month)
    p.set_defaults(handler=cmd_witness_sign)
    p.add_argument("--statement", type=Path, metavar="FILE", help="the heads the members signed")
    p.add_argument(
        "--countersig",
        type=_countersig,
        action="append",
        default=[],
        metavar="MEMBER=SIG",
        help="a member's signature of the statement (repeat for each member present)",
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="write the witness file here")
    p.add_argument("--json", action="store_true")
    witness.choices["statement"].set_defaults(handler=cmd_witness_statement)
    p = witness.add_parser(
        "check", parents=[common], help="check a witness against this node's log or an export"
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--export", type=Path, metavar="X.chitlog", help="check against this export")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_witness_check)


def cmd_witness_statement(args: argparse.Namespace) -> int:
    with Node.open(data_dir(args)) as node:
        print(ws.statement_now(node, args.group, args.month).decode())
    return EXIT_OK


def cmd_witness_sign(args: argparse.Namespace) -> int:
    countersigs = dict(args.countersig)
    if len(countersigs) != len(args.countersig):
        raise UsageError("each member countersigns once")
    with Node.open(data_dir(args)) as node:
        heads = None
        if args.statement is not None:
            with args.statement.open("rb") as stream:
                data = stream.read(limits.WITNESS_FILE_BYTES_MAX + 1)
            heads = ws.heads_of_statement(data, node.branch, args.group, args.month)
        witness = ws.sign(node, args.group, args.month, countersigs, heads)
    if args.out is not None:
        write_atomically(args.out, witness.to_bytes())
    if args.json:
        print_json(_summary(witness))
        return EXIT_OK
    entry = witness.entry
    print(
        f"Witnessed {len(witness.heads)} heads of group {printable(witness.group_id)}'s meeting"
        f" of month {witness.month} with {len(witness.members)} member signature(s):"
        f" entry #{entry.seq} ({entry.hash[:12]}…)"
    )
    if args.out is not None:
        print(f"Wrote the witness file to {args.out}")
    return EXIT_OK


def _summary(witness: ws.Witness) -> dict[str, Any]:
    entry = witness.entry
    return {
        "group_id": witness.group_id,
        "month": witness.month,
        "heads": [list(h) for h in witness.heads],
        "members": list(witness.members),
        "author": entry.author,
        "seq": entry.seq,
        "hash": entry.hash,
    }


def cmd_witness_check(args: argparse.Namespace) -> int:
    witness = ws.read_witness(args.file)
    checked = against_log(args, lambda log: ws.check_witness(log, witness))
    if args.json:
        findings = [
            {
                "status": f.status,
                "head": list(f.head),
                "log_hash": f.log_hash,
                "log_head": f.log_head,
            }
            for f in checked.findings
        ]
        print_json(
            {
                "status": checked.status,
                "where": checked.where,
                "findings": findings,
                "log_problems": list(checked.log_problems),
                "witness": _summary(witness),
            }
        )
    else:
        word = "OK" if checked.ok else "SPLIT VIEW"
        for line in checked.explain():
            print(f"{word} [{checked.status}]: {printable(line)}")
        if checked.log_problems:
            codes = ", ".join(checked.log_problems)
            print(f"note: the export itself does not verify clean ({codes}): `chitnode verify`")
    return EXIT_OK if checked.ok else EXIT_FAIL
