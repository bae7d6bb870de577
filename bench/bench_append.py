"""Durable single append: `Node.submit` of one small entry per transaction.

RAW limit, measured in the same run and the same scratch folder: sign (Ed25519) +
sha256 + INSERT of one entry-sized row into a bare SQLite table in WAL mode with
`synchronous=FULL`, one COMMIT per row. Target: node >= 0.8x raw.

Rounds alternate raw and node so that drift of the disk hits both alike. The node
is a lone root admin (`Node.init`, key sealed in a file with a bench passphrase);
each entry is `device.enrolled` of a fresh random key (lease-free, always applied).
`bench_group_commit.py` runs the same code with 100 entries per transaction.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import common
from nacl.signing import SigningKey

from chitnode.node.node import Command, Node

TARGET = 0.8


def node_append(node: Node, keys: list[str], start: int, batch: int) -> float:
    """Seconds to submit one `device.enrolled` per key, `batch` commands per transaction."""
    t0 = time.perf_counter()
    for b in range(0, len(keys), batch):
        commands = [
            Command("device.enrolled", {"key": k, "role": "member", "name": f"bench-{i}"})
            for i, k in enumerate(keys[b : b + batch], start=start + b)
        ]
        if batch == 1:
            node.submit(commands[0].kind, commands[0].body)
        else:
            node.submit_many(commands)
    return time.perf_counter() - t0


def run(name: str, args: argparse.Namespace, batch: int) -> None:
    common.bench_env()
    batches = args.n // batch
    if batches < 1:
        raise SystemExit(f"--n must be at least {batch}")
    rounds = max(1, min(args.rounds, batches))
    sizes = [batch * (batches // rounds + (r < batches % rounds)) for r in range(rounds)]
    n = sum(sizes)
    with common.scratch(args) as tmp:
        node = Node.init(tmp / "node", "Bench Branch")
        raw = common.raw_connect(tmp / "raw.db")
        raw_key = SigningKey.generate()
        assert common.same_device(tmp / "node", tmp)
        warm = batch * max(1, 20 // batch)
        node_append(node, [common.random_key_hex() for _ in range(warm)], 0, batch)
        common.raw_append(raw, raw_key, common.raw_payloads(warm), 0, batch)
        raw_s = node_s = 0.0
        node_rates: list[float] = []
        done = warm
        for per_round in sizes:
            keys = [common.random_key_hex() for _ in range(per_round)]
            payloads = common.raw_payloads(per_round, done)
            raw_s += common.raw_append(raw, raw_key, payloads, done, batch)
            took = node_append(node, keys, done, batch)
            node_s += took
            node_rates.append(round(per_round / took, 1))
            done += per_round
        if args.profile:
            profile_node(node, name, batch, done)
        entries = node.store.count()
        node.close()
        raw.close()
        where = f"{tmp.parent} ({common.fs_note(tmp)})"
    raw_rate, node_rate = n / raw_s, n / node_s
    ratio = node_rate / raw_rate
    unit = "appends/s" if batch == 1 else f"entries/s in batches of {batch}"
    human = (
        f"{name}: node {node_rate:,.0f} {unit}, raw {raw_rate:,.0f}: "
        f"{ratio:.3g}x raw (target >= {TARGET}x: {'met' if ratio >= TARGET else 'NOT met'}); "
        f"n={n:,}, node rate by round {node_rates}"
    )
    figures: dict[str, Any] = {
        "n": n,
        "batch": batch,
        "rounds": rounds,
        "node_per_s": round(node_rate, 1),
        "raw_per_s": round(raw_rate, 1),
        "ratio": round(ratio, 3),
        "target_ratio": TARGET,
        "meets_target": ratio >= TARGET,
        "node_per_s_by_round": node_rates,
        "node_entries_at_end": entries,
        "scratch": where,
    }
    common.emit(name, args, human, figures)


def profile_node(node: Node, name: str, batch: int, start: int) -> None:
    """Profile 1,000 more node entries: Python hot spots, then SQL time by statement."""
    keys = [common.random_key_hex() for _ in range(1_000 // batch * batch or batch)]
    timer = common.SqlTimer(node.store.conn)
    node.store.conn = timer  # type: ignore[assignment]
    try:
        common.profile_call(lambda: node_append(node, keys, start, batch), name)
    finally:
        node.store.conn = timer._conn
    timer.report()


def main(argv: list[str] | None = None) -> None:
    p = common.parser("bench_append", __doc__.splitlines()[0], 2_000)
    p.add_argument("--rounds", type=int, default=4, help="alternations of raw and node")
    run("bench_append", p.parse_args(argv), batch=1)


if __name__ == "__main__":
    main()
