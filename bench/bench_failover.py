"""Failover of an elected holder, and the rate of commands forwarded to it (issue 11).

A branch of four `chitnode serve` processes on loopback (the admin desk and three foreman
laptops, tests/support/election_procs.py), all in the treasury's electorate with the
shortest lease (5 s); member M1 has money in its wallet, and a withdrawal request
(`bank.withdrawal_requested`, a coordinated kind) is the command written.

Failover, `--rounds` times: the holder's serve is killed with SIGKILL; the clock runs
from the kill until a withdrawal submitted on a survivor is written by the new holder
(the survivor retries while it is told `no_lease_holder`). The limit the design sets is
lease x (1 + voter margin) + voter margin ms (a voter promises nobody else until then)
plus two election rounds; the figure is given as a ratio to it. The killed serve is
started again and the branch converges before the next round (not timed).

Forwarding: three non-holders each submit `--n` withdrawals one after another, all three
at once; each is forwarded to the holder and its receipt comes back. Latency per command
(p50, p99) and entries/s over the whole run, against the same number submitted on the
holder itself the same way (no forward): the ratio is forwarded rate / local rate.

Commands reach a serve over its control socket, as `chitnode submit` does once started
(election_procs.on_serve), so a new process per command is not what is measured.
"""

from __future__ import annotations

import json
import signal
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import common

from chitnode.domain.bank_kinds import TREASURY, request_body
from sync import limits
from tests.support.election_procs import (
    LEASE_MS,
    converged,
    group_branch,
    leases,
    on_serve,
    served,
)

ROUNDS_DEFAULT = 10  # kills of the holder
FORWARDS_DEFAULT = 100  # withdrawals each of the three senders submits
SMALL_ROUNDS = 1
SMALL_FORWARDS = 3
LAPTOPS = 3  # with the desk: a holder and three others that forward to it
SENDERS = 3
WALLET_PAISE = 10_000_000 * 100  # a crore: far more than every withdrawal together
WITHDRAWAL_PAISE = 100  # one rupee each
RETRIES_MAX = 60  # submits on a survivor while nobody holds (each waits FORWARD_WAIT_S)
WAITING = ("no_lease_holder", "not_lease_holder")
# What the design allows a failover: a voter promises another candidate only after the
# lease it promised ran out on its clock plus a margin, then a PreVote and a vote round
# (each at most twice the election timeout).
FAILOVER_LIMIT_MS = (
    LEASE_MS * (1_000_000 + limits.ELECTION_VOTER_MARGIN_PPM) // 1_000_000
    + limits.ELECTION_VOTER_MARGIN_MS
    + 2 * 2 * limits.ELECTION_TIMEOUT_MS
)


class Withdrawals:
    """Unique request ids for the run's withdrawals."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def next_id(self, tag: str) -> str:
        with self.lock:
            self.count += 1
            return f"{tag}-{self.count}"


def withdraw(folder: Path, ids: Withdrawals, tag: str) -> tuple[int, str]:
    """One withdrawal submitted on `folder`'s serve: exit status and the refusal's code.
    The request id is also the command id, so that a forward sent twice is done once."""
    request_id = ids.next_id(tag)
    body = json.dumps(request_body(request_id, "M1", WITHDRAWAL_PAISE, withdrawal=True))
    argv = ("submit", "bank.withdrawal_requested", body, "--id", request_id)
    status, _out, err = on_serve(folder, *argv)
    code = err.split("[", 1)[1].split("]", 1)[0] if status and "[" in err else ""
    if status and code not in WAITING:
        common.log(f"{folder.name} refused {request_id}: {err.strip()}")
    return status, code


def written(folder: Path, ids: Withdrawals, tag: str) -> int:
    """Submit on `folder` until written, retrying while nobody holds: the refusals."""
    for refusals in range(RETRIES_MAX):
        status, code = withdraw(folder, ids, tag)
        if status == 0:
            return refusals
        if code not in WAITING:
            raise SystemExit(f"bench_failover: a withdrawal was refused {code}")
    raise SystemExit(f"bench_failover: nobody was elected in {RETRIES_MAX} tries")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def failovers(serving: Any, keys: list[str], rounds: int, ids: Withdrawals) -> dict[str, Any]:
    folders = serving.folders
    written(folders[0], ids, "first")  # someone stands and holds the treasury
    times_ms: list[float] = []
    refused = 0
    for round_no in range(rounds):
        holder = keys.index(leases(folders[0])[TREASURY]["holder"])
        survivor = next(i for i in range(len(folders)) if i != holder)
        serving.procs[holder].stop(signal.SIGKILL)
        killed = time.monotonic()
        refused += written(folders[survivor], ids, f"r{round_no}")
        times_ms.append((time.monotonic() - killed) * 1000)
        common.log(f"round {round_no + 1}/{rounds}: new holder in {times_ms[-1]:.0f} ms")
        serving.start(holder)  # the laptop comes back (not timed)
        serving.linked()
        converged(*folders)
    p50, p99 = statistics.median(times_ms), percentile(times_ms, 0.99)
    return {
        "rounds": rounds,
        "failover_ms": [round(t) for t in times_ms],
        "failover_p50_ms": round(p50),
        "failover_p99_ms": round(p99),
        "failover_limit_ms": FAILOVER_LIMIT_MS,
        "failover_p99_ratio": round(p99 / FAILOVER_LIMIT_MS, 3),
        "refused_while_electing": refused,
    }


def burst(folders: list[Path], count: int, ids: Withdrawals, tag: str) -> dict[str, Any]:
    """Each folder's sender submits `count` withdrawals in turn, all senders at once."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def send(folder: Path) -> None:
        for _ in range(count):
            start = time.monotonic()
            status, code = withdraw(folder, ids, tag)
            took = (time.monotonic() - start) * 1000
            with lock:
                (latencies.append(took) if status == 0 else failures.append(code))

    threads = [threading.Thread(target=send, args=(f,)) for f in folders]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - began
    if failures:
        raise SystemExit(f"bench_failover: {len(failures)} refused in the burst: {failures[:3]}")
    stalled = sum(1 for t in latencies if t >= limits.FORWARD_REPLY_S * 1000)
    return {
        "entries": len(latencies),
        "stalled": stalled,  # answered only after a forward's whole wait: a lost answer
        "entries_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
    }


def forwarding(serving: Any, keys: list[str], count: int, ids: Withdrawals) -> dict[str, Any]:
    folders = serving.folders
    holder = keys.index(leases(folders[0])[TREASURY]["holder"])
    others = [f for i, f in enumerate(folders) if i != holder][:SENDERS]
    forwarded = burst(others, count, ids, "fw")
    local = burst([folders[holder]] * SENDERS, count, ids, "lo")
    return {
        "senders": len(others),
        "forwarded": forwarded,
        "local": local,
        "forwarded_rate_ratio": round(forwarded["entries_per_s"] / local["entries_per_s"], 3),
    }


def main(argv: list[str] | None = None) -> None:
    p = common.parser("bench_failover", __doc__.splitlines()[0], FORWARDS_DEFAULT)
    p.add_argument("--rounds", type=int, default=ROUNDS_DEFAULT, help="kills of the holder")
    p.add_argument("--small", action="store_true", help="smoke mode: 1 round, 3 forwards each")
    args = p.parse_args(argv)
    if args.small:
        args.rounds, args.n = SMALL_ROUNDS, SMALL_FORWARDS
    if args.rounds < 1 or args.n < 1:
        raise SystemExit("bench_failover: --rounds >= 1 and --n (forwards a sender) >= 1")
    common.bench_env()
    with common.scratch(args) as tmp:
        common.log("building the branch")
        branch = group_branch(tmp, laptops=LAPTOPS, wallet_paise=WALLET_PAISE)
        ids = Withdrawals()
        with served(branch.folders) as serving:
            fail = failovers(serving, branch.keys, args.rounds, ids)
            common.log(f"forwarding: {SENDERS} senders x {args.n}")
            fwd = forwarding(serving, branch.keys, args.n, ids)
    human = (
        f"bench_failover: new holder after SIGKILL p50 {fail['failover_p50_ms']} ms, "
        f"p99 {fail['failover_p99_ms']} ms over {args.rounds} rounds "
        f"({fail['failover_p99_ratio']:.2f}x the {FAILOVER_LIMIT_MS} ms the lease allows); "
        f"forwarded withdrawals from {fwd['senders']} nodes: "
        f"{fwd['forwarded']['entries_per_s']:.1f}/s, p50 {fwd['forwarded']['p50_ms']:.0f} ms, "
        f"p99 {fwd['forwarded']['p99_ms']:.0f} ms ({fwd['forwarded_rate_ratio']:.2f}x the "
        f"holder's own {fwd['local']['entries_per_s']:.1f}/s)"
    )
    common.emit("bench_failover", args, human, {"n": args.n, **fail, **fwd})


if __name__ == "__main__":
    main()
