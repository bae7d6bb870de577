"""Options shared by the bank simulator, the worker and their `chitnode bank-*` commands.

They live apart from `cli.py` so that `sim.py` and `worker.py` need not import the
command module (which imports them): building the parser needs no aiohttp.
"""

from __future__ import annotations

import argparse

from chitnode import limits as kernel
from sync import limits

SIM_MODES = ("up", "down", "slow", "reject", "drop")
SIM_HOSTS = ("127.0.0.1", "::1", "localhost")  # loopback only


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, required=True, help="TCP port (0: pick a free one)")
    parser.add_argument("--host", default="127.0.0.1", choices=SIM_HOSTS)
    parser.add_argument("--mode", default="up", choices=SIM_MODES)


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bank", required=True, help="the bank's base URL, e.g. http://...")
    parser.add_argument(
        "--passes", type=int, default=limits.BANK_WORKER_PASSES_DEFAULT, help="at most this many"
    )
    parser.add_argument(
        "--seconds", type=float, default=limits.BANK_WORKER_RUN_DEFAULT_S, help="at most"
    )
    parser.add_argument("--keep-going", action="store_true", help="do not stop when idle")
    parser.add_argument("--per-pass", type=int, default=kernel.BANK_ATTEMPTS_PER_PASS_MAX)
    parser.add_argument("--pause-ms", type=int, default=0, help="least wait between passes")
    parser.add_argument("--timeout-ms", type=int, default=None, help="per bank call")
    parser.add_argument("--backoff-base-ms", type=int, default=kernel.BANK_BACKOFF_BASE_MS)
    parser.add_argument("--backoff-cap-ms", type=int, default=kernel.BANK_BACKOFF_CAP_MS)
