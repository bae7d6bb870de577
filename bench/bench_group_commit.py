"""Group-committed append: `Node.submit_many` of 100 commands per transaction.

RAW limit, measured in the same run and the same scratch folder: 100 rows of
sign (Ed25519) + sha256 + INSERT per COMMIT into a bare SQLite table in WAL mode
with `synchronous=FULL`. Target: node >= 0.8x raw. Same code as bench_append.py.
"""

from __future__ import annotations

import common
from bench_append import run

BATCH = 100


def main(argv: list[str] | None = None) -> None:
    p = common.parser("bench_group_commit", __doc__.splitlines()[0], 10_000)
    p.add_argument("--rounds", type=int, default=4, help="alternations of raw and node")
    p.add_argument("--batch", type=int, default=BATCH, help=f"entries per commit ({BATCH})")
    args = p.parse_args(argv)
    run("bench_group_commit", args, batch=args.batch)


if __name__ == "__main__":
    main()
