"""`chitnode hq ...`: the head office's commands (registered by chitnode/cli/main.py).

    chitnode hq import EXPORT... [--db URL] [--progress]   verify, fold what is new, store
    chitnode hq status [--json]                            branches, heads, last import
    chitnode hq kpis [--branch B] [--json]                 per branch and in total
    chitnode hq report --out DIR                           consolidated CSV and PDF

`--db` takes a DuckDB file or a `postgresql://` URL; without it the database is
`<data>/hq.duckdb`. The branches' fold caches stay in the data folder either way.
Sync adds `hq pull` to the same group through the `chitnode.commands` entry point: it
finds this group as the `hq` parser's `HQ_COMMANDS` attribute.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chitnode import limits
from chitnode.cli.commands import Progress
from chitnode.domain.money import format_inr
from chitnode.errors import ChitError
from chitnode.hq.kpis import BranchKpis
from chitnode.hq.office import HeadOffice, ImportResult
from chitnode.hq.reports import write_all
from chitnode.log.export import parse_header
from chitnode.store.paths import data_folder

HQ_COMMANDS = "hq_commands"  # the `hq` parser's attribute holding its subcommand group
EXIT_OK, EXIT_FAIL = 0, 1


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    hq = sub.add_parser("hq", help="the head office: many branches in one database")
    commands = hq.add_subparsers(dest="hq", required=True, parser_class=type(hq))
    setattr(hq, HQ_COMMANDS, commands)
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help="a DuckDB file or postgresql://... (default: hq.duckdb in the data folder)",
    )
    parents = [common, db]
    p = commands.add_parser(
        "import", parents=parents, help="verify branch exports, then add what is new"
    )
    p.add_argument("files", nargs="+", type=Path, metavar="EXPORT")
    p.add_argument("--progress", action="store_true", help="a progress bar even off a terminal")
    p.set_defaults(handler=cmd_import)
    p = commands.add_parser("status", parents=parents, help="branches, heads, last import")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)
    p = commands.add_parser("kpis", parents=parents, help="KPIs per branch and in total")
    p.add_argument("--branch", metavar="ID_OR_NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_kpis)
    p = commands.add_parser(
        "report", parents=parents, help="consolidated balance sheet, defaults, loans (CSV, PDF)"
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.set_defaults(handler=cmd_report)


def open_office(args: argparse.Namespace) -> HeadOffice:
    """The head office `args` name: `--db`, else hq.duckdb in the data folder."""
    return HeadOffice.open(args.db, data=data_folder(getattr(args, "data", None)))


def _bar(path: Path, forced: bool) -> Progress:
    """The CLI's progress bar over the export's entries (its header's count): on a terminal
    for a big export, or anywhere with --progress; silent elsewhere."""
    total = _entry_count(path)
    bar = Progress(total if path.stat().st_size >= limits.HQ_PROGRESS_MIN_BYTES else 0, "verify")
    if forced and bar.bar is None:
        from tqdm import tqdm

        bar.bar = tqdm(total=total, unit=" entries", desc="verify", file=sys.stderr)
    return bar


def _entry_count(path: Path) -> int:
    try:
        with open(path, "rb") as stream:
            return parse_header(stream.readline(limits.EXPORT_LINE_BYTES_MAX + 1)).count
    except (OSError, ChitError):
        return 0  # the import says what is wrong with the file


def cmd_import(args: argparse.Namespace) -> int:
    status = EXIT_OK
    with open_office(args) as office:
        for path in args.files:
            bar = _bar(path, args.progress) if path.is_file() else Progress(0, "verify")
            try:
                result = office.import_export(path, bar.tick)
            except ChitError as exc:
                print(f"chitnode: error [{exc.code}]: {exc.message}", file=sys.stderr)
                status = EXIT_FAIL
                continue
            finally:
                bar.close()
            _print_import(result)
            if result.refused:
                status = EXIT_FAIL
    return status


def _print_import(result: ImportResult) -> None:
    print(
        f"{result.path}: branch {result.name!r} ({result.branch_id}): {result.new_entries} new"
        f" entries ({result.duplicates} already held); state digest {result.state_digest}"
    )
    if not result.refused:
        return
    for line in result.problems:
        print(f"  {line}")
    for author, code in sorted(result.refused.items()):
        print(f"  REFUSED feed {author}: {code} (nothing from this feed was imported)")
    print(
        f"chitnode: error [hq_feeds_refused]: {len(result.refused)} feed(s) of {result.path}"
        " failed verification and were left out; the rest was imported",
        file=sys.stderr,
    )


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def cmd_status(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        branches = office.branches()
    if args.json:
        print(json.dumps({"branches": [b.to_json() for b in branches]}, indent=2))
        return EXIT_OK
    if not branches:
        print("No branches yet: `chitnode hq import EXPORT` adds one.")
    for b in branches:
        print(f"{b.name} ({b.branch_id})")
        print(f"  root {b.root}")
        print(f"  {b.entries} entries, {len(b.heads)} feeds, last import {_when(b.last_import_ms)}")
        print(f"  state digest {b.state_digest}")
        for anomaly in b.anomalies or ("no anomalies",):
            print(f"  {anomaly}")
    return EXIT_OK


def cmd_kpis(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        kpis = office.kpis(args.branch)
    if args.json:
        print(json.dumps(kpis.to_json(), indent=2))
        return EXIT_OK
    rows = list(kpis.branches)
    if args.branch is None:
        rows.append(kpis.total)
    for k in rows:
        _print_kpis(k)
    return EXIT_OK


def _print_kpis(k: BranchKpis) -> None:
    title = k.name if k.branch_id == "total" else f"{k.name} ({k.branch_id})"
    print(title)
    print(f"  total pool          {format_inr(k.pool_paise)} in {k.groups_open} open groups")
    print(f"  active members      {k.active_members} ({k.tickets_active} tickets)")
    print(f"  default rate        {k.default_rate:.1%} ({k.tickets_in_default} tickets)")
    print(f"  loans outstanding   {format_inr(k.loans_outstanding_paise)} ({k.loans_count} loans)")
    print(f"  entries             {k.entries}")
    for month, paise in k.collections:
        print(f"  collected {month}   {format_inr(paise)}")


def cmd_report(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        written = write_all(office, args.out, office.clock.now_ms())
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK
