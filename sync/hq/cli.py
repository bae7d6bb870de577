"""`chitnode hq pull` (entry point `chitnode.commands`): added to the `hq` group that
chitnode/hq/cli.py registers, found as that parser's HQ_COMMANDS attribute.

    chitnode hq pull [--device DIR]... [--peer HOST:PORT]... [--db PATH_OR_URL]

Each device folder (default: every one under `<data>/hq-devices/`) is caught up from
its branch's peers, read only (sync/hq/pull.py), and its log imported into the head
office exactly as `chitnode hq import` imports an export. aiohttp and the peer layer
load only inside the handler.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from chitnode.errors import ChitError, UsageError
from chitnode.hq.cli import HQ_COMMANDS, open_office
from chitnode.hq.office import AlreadyImported
from chitnode.store.paths import data_folder

Subparsers = Any  # argparse's _SubParsersAction, private in typeshed
EXIT_OK, EXIT_FAIL = 0, 1


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"not HOST:PORT: {text!r}")
    return host.strip("[]"), int(port)


def add_hq_pull(sub: Subparsers) -> None:
    hq = sub.choices.get("hq")
    commands = getattr(hq, HQ_COMMANDS, None)
    if commands is None:  # an older kernel without `chitnode hq`: nothing to add to
        return
    p = commands.add_parser(
        "pull", help="catch up each branch's head-office device from its peers, then import"
    )
    p.add_argument("--device", type=Path, action="append", default=[], metavar="DIR")
    p.add_argument("--peer", type=_address, action="append", default=[], metavar="HOST:PORT")
    p.add_argument("--db", metavar="PATH_OR_URL")
    p.add_argument("--data", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.set_defaults(handler=_pull)


def _pull(args: argparse.Namespace) -> int:
    from sync.hq.pull import device_folders, pull

    data = data_folder(getattr(args, "data", None))
    devices = args.device or device_folders(data)
    if not devices:
        raise UsageError(
            f"no head-office device: join each branch into {data}/hq-devices/<name>"
            " (`chitnode --data DIR join CODE`), or give --device DIR"
        )
    status = EXIT_OK
    with open_office(args) as office:
        for folder in devices:
            try:
                pulled = asyncio.run(pull(folder, list(args.peer)))
            except ChitError as exc:
                print(f"chitnode: error [{exc.code}]: {exc.message}", file=sys.stderr)
                status = EXIT_FAIL
                continue
            try:
                result = office.import_export(pulled.export)
                print(
                    f"{folder}: {pulled.stored} entries from {pulled.peer}; branch"
                    f" {result.name!r}: {result.new_entries} new, digest {result.state_digest}"
                )
                if result.refused:
                    status = EXIT_FAIL
                    for author, code in sorted(result.refused.items()):
                        print(f"  REFUSED feed {author}: {code}")
            except AlreadyImported:
                print(f"{folder}: up to date (nothing new from {pulled.peer})")
            except ChitError as exc:
                print(f"chitnode: error [{exc.code}]: {exc.message}", file=sys.stderr)
                status = EXIT_FAIL
            finally:
                pulled.export.unlink(missing_ok=True)
    return status
