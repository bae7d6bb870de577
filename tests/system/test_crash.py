"""G7/G4/G6 under kill -9: a real node process is killed mid-stream of appends, many times.

After every kill the store reopens, every acknowledged entry is there and applied,
the feed exports and verifies (no broken chain), and a rebuild gives the same
digest as the incremental state. Cycles: CHITNODE_CRASH_CYCLES (default 25).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chitnode.log.verify import verify_file
from chitnode.node.node import Node
from chitnode.services.archive import export_file

pytestmark = pytest.mark.system
WORKER = Path(__file__).with_name("append_worker.py")
CYCLES = int(os.environ.get("CHITNODE_CRASH_CYCLES", "25"))
READY_TIMEOUT_S = 60
RUN_S_MAX = 0.6


def _run_and_kill(data: Path, batch: int, rng: random.Random) -> list[tuple[int, str]]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(data), str(batch)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    acks: list[tuple[int, str]] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        line = proc.stdout.readline()
        assert line.strip() == "READY", (line, proc.stderr.read() if proc.stderr else "")
        assert time.monotonic() < deadline
        time.sleep(rng.uniform(0.01, RUN_S_MAX))
    finally:
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    for text in out.splitlines():
        if text.startswith("ACK "):
            _, seq, hash_hex = text.split()
            acks.append((int(seq), hash_hex))
    return acks


def test_kill_9_never_loses_an_acknowledged_entry(tmp_path: Path) -> None:
    data = tmp_path / "node"
    Node.init(data, "Crash test").close()
    rng = random.Random(7)
    acked: list[tuple[int, str]] = []
    for cycle in range(CYCLES):
        acked += _run_and_kill(data, batch=rng.choice([1, 1, 5]), rng=rng)
        with Node.open(data) as node:
            for seq, hash_hex in acked:
                row = node.store.conn.execute(
                    "SELECT hash, status FROM entries WHERE author = ? AND seq = ?",
                    (node.public, seq),
                ).fetchone()
                assert row is not None, f"cycle {cycle}: acknowledged seq {seq} lost"
                assert (row[0], row[1]) == (hash_hex, "applied")
            if cycle % 5 == 4 or cycle == CYCLES - 1:
                export = tmp_path / f"c{cycle}.chitlog"
                export_file(node, export)
                report = verify_file(export)
                assert report.ok, [p.line() for p in report.problems]
                digest = node.engine.digest()
                with node.store.transaction():
                    node.engine.rebuild()
                assert node.engine.digest() == digest
    assert len(acked) > CYCLES, "the worker should have acknowledged entries in most cycles"
