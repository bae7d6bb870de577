"""Durable, acknowledged P2P transfers: `Node.submit` of one `wallet.transferred` per transaction.

What is timed: a coordinated transfer between two members' wallets through the one
write path (decide dry run, sign, append, fold with both legs, projections,
COMMIT with `synchronous=FULL`), counted only once `submit` has returned, i.e.
acknowledged and durable (G7). The node holds the treasury lease already (a lone
root admin: a majority of one, taken before the clock starts), so no lease entries
are in the figure. A second figure adds what a UI pays on top: an `EventStream`
attached, with `flush()` after each commit and two member subscriptions.

RAW limit, measured in the same run and the same scratch folder: sign (Ed25519) +
sha256 + INSERT of one transfer-sized entry line into a bare SQLite table in WAL
mode with `synchronous=FULL`, one COMMIT per row (`common.raw_append`). Rounds
alternate raw, node and node+stream so disk drift hits all alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from typing import Any

import common
from nacl.signing import SigningKey

from chitnode.domain.limits import WALLET_AMOUNT_PAISE_MAX
from chitnode.domain.wallet_kinds import (
    DEPOSITED,
    TRANSFERRED,
    deposit_body,
    transfer_body,
)
from chitnode.domain.wallet_views import members_total_paise
from chitnode.node.node import Node
from chitnode.services.events import EventStream, Filter, submit_and_publish

MEMBERS = 20
OPENING_PAISE = WALLET_AMOUNT_PAISE_MAX  # ₹1 crore each: no transfer in the run is refused


def transfer_payloads(n: int, start: int) -> list[bytes]:
    """Entry lines shaped like a `wallet.transferred` (for the raw side), built untimed."""
    author = "a" * 64
    out = []
    for i in range(start, start + n):
        body = {**transfer_body(f"M{i % MEMBERS:03d}", "M999", 12_345, os.urandom(16).hex())}
        body["term"] = 1
        unsigned = {
            "author": author,
            "body": body,
            "branch": "b" * 32,
            "deps": [],
            "kind": TRANSFERRED,
            "prev": "c" * 64,
            "seq": i + 2,
            "ts": common.TS0 + i,
            "v": 1,
        }
        out.append(json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode())
    return out


def commands(rng: random.Random, n: int, start: int) -> list[dict[str, Any]]:
    """Transfer bodies between random pairs of members, built before the clock starts."""
    out = []
    for i in range(start, start + n):
        a, b = rng.sample(range(MEMBERS), 2)
        out.append(transfer_body(f"M{a:03d}", f"M{b:03d}", rng.randint(1, 10**6), f"x{i}"))
    return out


def node_transfers(node: Node, bodies: list[dict[str, Any]], stream: EventStream | None) -> float:
    """Seconds to submit every transfer, each acknowledged after its own COMMIT."""
    t0 = time.perf_counter()
    for body in bodies:
        if stream is None:
            receipt = node.submit(TRANSFERRED, body, cmd_id=body["cmd_id"])
        else:
            receipt = submit_and_publish(node, stream, TRANSFERRED, body, body["cmd_id"])
        if receipt.status != "applied":
            raise SystemExit(f"transfer not applied: {receipt}")
    return time.perf_counter() - t0


def prepare(node: Node) -> None:
    for m in range(MEMBERS):
        node.submit("member.registered", {"member_id": f"M{m:03d}", "name": f"Member {m}"})
        node.submit(DEPOSITED, deposit_body(f"M{m:03d}", OPENING_PAISE, f"open{m}", note="bench"))


def run(args: argparse.Namespace) -> None:
    common.bench_env()
    rounds = max(1, min(args.rounds, args.n))
    sizes = [args.n // rounds + (r < args.n % rounds) for r in range(rounds)]
    rng = random.Random(2026)
    with common.scratch(args) as tmp:
        node = Node.init(tmp / "node", "Bench Branch")
        raw = common.raw_connect(tmp / "raw.db")
        raw_key = SigningKey.generate()
        prepare(node)
        stream = EventStream()
        stream.attach(node)
        subs = [stream.subscribe(Filter(members=frozenset({f"M{m:03d}"}))) for m in (0, 1)]
        warm = 20  # takes the treasury lease too
        node_transfers(node, commands(rng, warm, 0), None)
        common.raw_append(raw, raw_key, transfer_payloads(warm, 0), 0, 1)
        done, raw_s, node_s, stream_s = warm, 0.0, 0.0, 0.0
        by_round: list[float] = []
        for size in sizes:
            raw_s += common.raw_append(raw, raw_key, transfer_payloads(size, done), done, 1)
            took = node_transfers(node, commands(rng, size, done), None)
            node_s += took
            by_round.append(round(size / took, 1))
            stream_s += node_transfers(node, commands(rng, size, done + size), stream)
            done += 2 * size
            for sub in subs:
                sub.drain()
        if args.profile:
            bodies = commands(rng, 500, done)
            common.profile_call(lambda: node_transfers(node, bodies, None), "bench_transfer")
        state = node.engine.state
        assert members_total_paise(state) == MEMBERS * OPENING_PAISE  # transfers only move
        entries = node.store.count()
        node.close()
        raw.close()
        where = f"{tmp.parent} ({common.fs_note(tmp)})"
    n = sum(sizes)
    raw_rate, node_rate, stream_rate = n / raw_s, n / node_s, n / stream_s
    ratio = node_rate / raw_rate
    human = (
        f"bench_transfer: {node_rate:,.0f} durable acknowledged transfers/s, raw append "
        f"{raw_rate:,.0f}/s: {ratio:.3g}x raw; with an event stream + flush "
        f"{stream_rate:,.0f}/s ({stream_rate / raw_rate:.3g}x raw); n={n:,} per side, "
        f"node rate by round {by_round}"
    )
    figures: dict[str, Any] = {
        "n": n,
        "rounds": rounds,
        "node_per_s": round(node_rate, 1),
        "node_with_stream_per_s": round(stream_rate, 1),
        "raw_per_s": round(raw_rate, 1),
        "ratio": round(ratio, 3),
        "ratio_with_stream": round(stream_rate / raw_rate, 3),
        "node_per_s_by_round": by_round,
        "node_entries_at_end": entries,
        "members": MEMBERS,
        "scratch": where,
    }
    common.emit("bench_transfer", args, human, figures)


def main(argv: list[str] | None = None) -> None:
    p = common.parser("bench_transfer", __doc__.splitlines()[0], 2_000)
    p.add_argument("--rounds", type=int, default=4, help="alternations of raw and node")
    run(p.parse_args(argv))


if __name__ == "__main__":
    main()
