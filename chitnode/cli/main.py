"""The `chitnode` command line (issue: kernel CLI).

Every command takes `--data DIR` (default: a per-user data folder). Bad arguments
get one line on stderr and exit 2; a refused operation gets `error [code]: ...`
and exit 1; never a traceback for an expected error. A command whose entry was
written but not applied (its key forked: frozen; or rejected by the fold) gets
`error [code]: ...` with what to do, and exit 3 (`receipts.EXIT_NOT_APPLIED`).
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, NoReturn

from chitnode import __version__, limits
from chitnode.cli import calc as cli_calc
from chitnode.cli import receipt as receipt_cli
from chitnode.cli import witness as witness_cli
from chitnode.cli.commands import HANDLERS
from chitnode.domain import limits as limits_domain
from chitnode.errors import ChitError, UsageError
from chitnode.hq import cli as hq_cli
from chitnode.services.receipts import NotApplied
from chitnode.store.failures import store_error

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
# Other packages (sync/) add subcommands here: each entry point is `add_parser(sub)`, which
# registers a subparser with set_defaults(handler=...). The kernel never imports them itself.
PLUGIN_GROUP = "chitnode.commands"
# A branch founded from the CLI records its chit rules at once (issue 14 point 2): groups
# formed under them draw by commit-reveal, which the holder cannot steer. Without the
# entry they would draw by lot v1, kept only so that older logs fold as they did.
INIT_STATE_DEFAULT = "India (Chit Funds Act 1982)"
INIT_DISCOUNT_CEILING_PCT = 40
# While `chitnode serve` holds a data folder's writer lock, a plugin registered here hands a
# command to it (sync/serve/control.py) instead of failing on the lock: each entry point is
# `forward(argv, args) -> exit status | None` (None: run the command in this process).
FORWARD_GROUP = "chitnode.forward"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (never usage spam)
        self.exit(EXIT_USAGE, f"chitnode: error [usage]: {message} (see `chitnode --help`)\n")


def _time_ms(text: str) -> int:
    """Parse a `--since/--until` value: ms since epoch, or an ISO date/time (UTC)."""
    if text.isdigit() and len(text) <= 15:  # ms timestamps fit in 15 digits for 30,000 years
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError) as exc:
        raise argparse.ArgumentTypeError(f"not a date or ms timestamp: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _hex64(text: str) -> str:
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise argparse.ArgumentTypeError("a device key is 64 lowercase hex characters")
    return text


def _seq(text: str) -> int:
    """A feed position, 0 included (wal-v1 §5: after_seq 0 voids every entry of the key)."""
    if not text.isdigit() or int(text) > limits.JSON_INT_MAX:
        raise argparse.ArgumentTypeError("a seq is a whole number >= 0")
    return int(text)


def _bounded(high: int) -> Any:
    """An argparse type: a whole number in 1..`high` (a bigger one would overflow SQLite)."""

    def parse(text: str) -> int:
        if not text.isdigit() or not 1 <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number in 1..{high}: {text!r}")
        return int(text)

    return parse


def _folder(text: str) -> Path:
    if not text.strip():  # an empty --data would quietly mean the current folder
        raise argparse.ArgumentTypeError("the data folder must not be empty")
    return Path(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chitnode", description="Verifiable chit fund ledger (offline-first).")
    parser.add_argument("--version", action="version", version=f"chitnode {__version__}")
    parser.add_argument(
        "--data", type=_folder, default=None, help="data folder (default: per user)"
    )
    common = _Parser(add_help=False)  # `--data` is accepted after the subcommand too
    common.add_argument("--data", type=_folder, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add = sub.add_parser

    def sub_add(name: str, **kw: Any) -> argparse.ArgumentParser:
        return add(name, parents=[common], **kw)

    sub.add_parser = sub_add  # type: ignore[method-assign,assignment]

    p = sub.add_parser("init", help="found a branch: genesis entry and root admin key")
    p.add_argument("--branch-name", required=True)
    p.add_argument(
        "--state",
        default=INIT_STATE_DEFAULT,
        help="whose chit rules the branch follows (recorded with its discount ceiling)",
    )
    p.add_argument(
        "--discount-ceiling-pct",
        type=_bounded(100),
        default=INIT_DISCOUNT_CEILING_PCT,
        help="the most a bid may give up, %% of the chit amount (default: the Act's 40)",
    )
    p.add_argument(
        "--members-sign",
        action="store_true",
        help="groups formed from now take a member's consent only by the member's phone signature",
    )
    p = sub.add_parser("demo", help="create a realistic demo branch and print its status")
    p.add_argument("--seed", type=int, default=2026)
    p = sub.add_parser("status", help="branch, own key and role, entries, heads, digest, forks")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("log", help="audit trail in fold order")
    p.add_argument("--actor", help="device key or member id")
    p.add_argument("--kind")
    p.add_argument("--since", type=_time_ms)
    p.add_argument("--until", type=_time_ms)
    p.add_argument("--limit", type=_bounded(limits.LOG_ROWS_MAX), default=None)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("export", help="write a sealed .chitlog export")
    p.add_argument("file", type=Path)
    p.add_argument("--author", type=_hex64)
    p.add_argument("--from-seq", type=_bounded(limits.JSON_INT_MAX), default=1)
    p = sub.add_parser("import", help="verify an export, then fold in its good feeds")
    p.add_argument("file", type=Path)
    p = sub.add_parser("verify", help="verify an export offline; exit 1 on any problem")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("rebuild", help="re-fold the state from the log and compare digests")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("check", help="re-check the store: database, hashes, chains; exit 1 if not")
    p.add_argument("--signatures", action="store_true", help="verify every signature too")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("enrol", help="admit a device key with a role (admin only)")
    p.add_argument("key", type=_hex64)
    p.add_argument(
        "--role", required=True, choices=("admin", "foreman", "employee", "member", "auditor")
    )
    p.add_argument("--name", required=True)
    p = sub.add_parser("revoke", help="end a device key (admin only)")
    p.add_argument("key", type=_hex64)
    p.add_argument("--reason", required=True)
    p.add_argument(
        "--after-seq",
        type=_seq,
        help="its last entry that stays valid (default: its newest entry this node has placed)",
    )
    p = sub.add_parser("fork", help="forks (one key, two entries at one seq) and the way out")
    fork = p.add_subparsers(dest="fork", required=True, parser_class=_Parser)
    p = fork.add_parser("list", parents=[common], help="forked keys, both entries, their state")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=HANDLERS["fork list"])
    p = fork.add_parser(
        "resolve",
        parents=[common],
        help="retire a forked device key (admin), or keep one line of the root's fork (root)",
    )
    p.add_argument("author", type=_hex64, metavar="KEY")
    p.add_argument("--reason", default="forked: two entries at one seq")
    p.add_argument("--keep", type=_hex64, metavar="HASH", help="root only: an entry to keep")
    p.add_argument("--new-key", type=_hex64, metavar="KEY", help="enrol the device's new key")
    p.set_defaults(handler=HANDLERS["fork resolve"])
    p = fork.add_parser("rekey", parents=[common], help="a new key for this forked device")
    p.set_defaults(handler=HANDLERS["fork rekey"])
    sub.add_parser("roles", help="print the role -> entry kinds table (Markdown)")
    p = sub.add_parser("kyc", help="members' KYC records (full values for staff devices only)")
    kyc = p.add_subparsers(dest="kyc", required=True, parser_class=_Parser)
    p = kyc.add_parser(
        "show", parents=[common], help="one member's KYC: masked, or full if allowed"
    )
    p.add_argument("member_id", metavar="MEMBER_ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=HANDLERS["kyc show"])
    p = sub.add_parser("report", help="reports: statement, balance sheet and the printable ones")
    report = p.add_subparsers(dest="report", required=True, parser_class=_Parser)
    p = report.add_parser("statement", parents=[common], help="a member's money timeline")
    p.add_argument("member_id", metavar="MEMBER_ID")
    p.add_argument("--csv", type=Path, metavar="FILE", help="write CSV (paise) instead of text")
    p.set_defaults(handler=HANDLERS["report statement"])
    p = report.add_parser("balance-sheet", parents=[common], help="every account, grouped")
    p.add_argument("--csv", type=Path, metavar="FILE", help="write CSV (paise) instead of text")
    p.add_argument("--pdf", type=Path, metavar="FILE", help="write a PDF to print")
    p.set_defaults(handler=HANDLERS["report balance-sheet"])
    _add_printable_reports(report, common)
    p = sub.add_parser("loans", help="the loan inbox")
    loans = p.add_subparsers(dest="loans", required=True, parser_class=_Parser)
    p = loans.add_parser("inbox", parents=[common], help="pending applications, assessed")
    p.set_defaults(handler=HANDLERS["loans inbox"])
    cli_calc.add_parsers(sub)
    hq_cli.add_parsers(sub, common)  # `chitnode hq ...` (issue 16)
    receipt_cli.add_parsers(sub, common)  # `chitnode receipt ...`, `passbook` (issue 15)
    witness_cli.add_parsers(sub, common)  # `chitnode witness ...` (issue 15 point 5)
    for plugin in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        plugin.load()(sub)
    return parser


# The printable reports (issue 13): name, help, positional arguments (name, metavar, type).
PRINTABLE_REPORTS: tuple[tuple[str, str, tuple[tuple[str, str, Any], ...]], ...] = (
    ("members", "every member: KYC, tickets, arrears, loans, wallet", ()),
    ("loans", "the loan portfolio, with money lent and repaid by month", ()),
    ("defaults", "tickets in default with the Act's deadlines, refunds, unpaid prizes", ()),
    (
        "passbook",
        "a member's passbook: months, prizes, loans, EMIs",
        (("member_id", "MEMBER_ID", str),),
    ),
    ("closure", "a closed group's closure statement", (("group_id", "GROUP_ID", str),)),
    (
        "minutes",
        "certified minutes of a month's draw",
        (("group_id", "GROUP_ID", str), ("month", "MONTH", _bounded(limits_domain.TICKETS_MAX))),
    ),
)


def _add_printable_reports(report: Any, common: argparse.ArgumentParser) -> None:
    for name, text, positionals in PRINTABLE_REPORTS:
        p = report.add_parser(name, parents=[common], help=text)
        for dest, metavar, kind in positionals:
            p.add_argument(dest, metavar=metavar, type=kind)
        p.add_argument("--csv", type=Path, metavar="FILE", help="write CSV (paise)")
        p.add_argument("--pdf", type=Path, metavar="FILE", help="write a PDF to print")
        p.set_defaults(handler=HANDLERS["report printable"], report_name=name)
    p = report.add_parser(
        "fingerprint",
        parents=[common],
        help="the state digest and log fingerprint a PDF's footer shows",
    )
    p.add_argument("--export", type=Path, metavar="FILE", help="an export's log fingerprint")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=HANDLERS["report fingerprint"])


class _WarningLines(logging.Handler):
    """The kernel's warnings (e.g. `lost_writes` on open) as `chitnode: warning [code]: ...`."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"chitnode: warning {record.getMessage()}", file=sys.stderr)


def _show_warnings() -> None:
    kernel = logging.getLogger("chitnode")
    if not any(isinstance(h, _WarningLines) for h in kernel.handlers):
        kernel.addHandler(_WarningLines(logging.WARNING))


def _refused(exc: ChitError) -> int:
    print(f"chitnode: error [{exc.code}]: {exc.message}", file=sys.stderr)
    if isinstance(exc, NotApplied):  # written, but frozen or rejected: not "nothing changed"
        return exc.exit_status
    return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_FAIL


def _os_error(exc: OSError) -> ChitError:
    """A file or folder the command could not read or write, or stdout on a full disk."""
    where = f": {exc.filename}" if exc.filename is not None else ""
    what = f"{exc.strerror or exc}{where}"
    if exc.errno == errno.ENOSPC:
        return ChitError(f"no space left on the device ({what})", code="disk_full")
    return ChitError(f"cannot read or write a file ({what})", code="io_error")


def _quiet_stdout() -> None:
    """If stdout itself failed (full disk, closed pipe), point it at the null device, so the
    interpreter's own flush at exit does not print a traceback of its own."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.run_here = run_here  # for `chitnode serve` (sync/ may not import the CLI)
    return run(args, forward=lambda: _forwarded(argv, args))


def run_here(argv: Sequence[str], adjust: Callable[[argparse.Namespace], None]) -> int:
    """Parse and run `argv` in this process, never forwarded, `adjust` applied to the parsed
    arguments first: how a serving process runs the commands its control endpoint gets."""
    args = build_parser().parse_args(argv)
    adjust(args)
    return run(args)


def _forwarded(argv: list[str], args: argparse.Namespace) -> int | None:
    for plugin in sorted(entry_points(group=FORWARD_GROUP), key=lambda e: e.name):
        status: int | None = plugin.load()(argv, args)
        if status is not None:
            return status
    return None


def run(args: argparse.Namespace, forward: Callable[[], int | None] | None = None) -> int:
    """Run parsed `args` (here, or through `forward`): its exit status, errors as lines."""
    handler = getattr(args, "handler", None) or HANDLERS[args.command]
    _show_warnings()
    try:
        code = forward() if forward is not None else None
        if code is None:
            code = handler(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk shows here, as an error line, not at exit
        return code
    except ChitError as exc:
        return _refused(exc)
    except KeyboardInterrupt:
        print("chitnode: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `chitnode log | head`: the reader has what it wanted
        _quiet_stdout()
        return EXIT_OK
    except OSError as exc:
        _quiet_stdout()
        return _refused(_os_error(exc))
    except sqlite3.Error as exc:  # the store's database, read outside a transaction
        mapped = store_error(exc)
        if mapped is None:  # not busy, full, read-only or damaged: a bug, so loud
            raise
        return _refused(mapped)
