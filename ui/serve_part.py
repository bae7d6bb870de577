"""The app's options on `chitnode serve` (entry point `chitnode.serve_parts`, app).

Light on purpose: every `chitnode` command builds serve's parser, so this module imports
no Flet; ui/server.py (the app itself) loads only when a serve starts with the app.
"""

from __future__ import annotations

import argparse
from typing import Any

from ui import limits


def add_arguments(parser: argparse.ArgumentParser) -> None:
    def port(text: str) -> int:
        if not text.isdigit() or int(text) > limits.APP_PORT_MAX:
            raise argparse.ArgumentTypeError(f"a port is 0..{limits.APP_PORT_MAX} (0: any free)")
        return int(text)

    parser.add_argument(
        "--app-port",
        type=port,
        default=limits.APP_PORT_DEFAULT,
        help=f"TCP port of the app for the laptop and phones (default {limits.APP_PORT_DEFAULT})",
    )
    parser.add_argument("--no-app", action="store_true", help="serve peers only, no app")
    parser.add_argument(
        "--allow-remote-staff",
        action="store_true",
        help="offer the staff screens to other machines too (default: this machine only)",
    )
    parser.add_argument(
        "--hq-db",
        default="",
        metavar="PATH_OR_URL",
        help="the head-office database the app's /hq screen reads, as `chitnode hq --db`"
        " (default: hq.duckdb in the data folder)",
    )


def create(args: argparse.Namespace) -> Any:
    """The serve part (ui/server.py AppPart), or None with --no-app."""
    if getattr(args, "no_app", False):
        return None
    from ui.server import AppPart

    return AppPart(
        port=args.app_port,
        allow_remote_staff=args.allow_remote_staff,
        hq_db=getattr(args, "hq_db", ""),
    )
