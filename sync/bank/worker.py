"""The bank worker: sends due outbox requests to the bank and writes the answers.

One pass: read the pending requests from the fold (the log is the outbox), pick
the due ones (`bank_outbox.due_requests`, oldest first, bounded), ask the bank
for each (bounded concurrency), then write one outcome entry per answered
request through `Node.submit` with `cmd_id = outcome_cmd_id(request_id)`, or
back off a request that got no answer. Every loop is bounded in passes and time.

Crash safety, step by step (docs/bank.md):
- killed before the bank answered: the request is still pending, and is asked
  again; the bank keys on the request id, so it does not do it twice;
- killed after the bank answered, before the entry committed: the same, and the
  bank returns its first answer;
- killed after the entry committed: the request is no longer pending, so it is
  not asked again; a retried submit would answer "already done" (G3), and a
  second outcome from anywhere is refused by the fold (`already_settled`).

SQLite work (the Node and the outbox table) runs on one writer thread, never on
the event loop (STYLE.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

from chitnode import limits as kernel
from chitnode.domain import bank_kinds as bank
from chitnode.errors import ChitError, RuleViolation
from chitnode.node.node import Node
from chitnode.services import bank_outbox as outbox
from chitnode.services.bank_outbox import (
    RETRY,
    SETTLE,
    Backoff,
    BankAnswer,
    BankRequest,
)
from chitnode.store.bank_outbox import OutboxTable
from sync import limits
from sync.bank.client import BankClient
from sync.bank.options import add_worker_arguments

# The log already closed the request: settled by hand or by another node first
# (already_settled, request_closed), or this request's own outcome id was used for the
# other outcome (cmd_id_reused: one command id per request, whoever writes it).
CLOSED_ELSEWHERE = frozenset({"already_settled", "request_closed", "cmd_id_reused"})

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PassReport:
    """What one pass did; the CLI prints it as one JSON line."""

    pass_no: int
    due: int
    settled: int
    refused: int
    retried: int
    closed_elsewhere: int
    pending: int  # still pending after the pass
    next_due_ms: int | None
    errors: tuple[str, ...] = field(default=())


class BankWorker:
    def __init__(
        self,
        node: Node,
        table: OutboxTable,
        client: BankClient,
        *,
        backoff: Backoff = outbox.DEFAULT_BACKOFF,
        per_pass: int = kernel.BANK_ATTEMPTS_PER_PASS_MAX,
    ) -> None:
        assert 0 < per_pass <= kernel.BANK_ATTEMPTS_PER_PASS_MAX, per_pass
        self.node = node
        self.table = table
        self.client = client
        self.backoff = backoff
        self.per_pass = per_pass
        self.passes = 0
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bank-writer")

    def close(self) -> None:
        self._writer.shutdown(wait=True)

    async def _db(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, work)

    # --- one pass -----------------------------------------------------------------------

    def _plan(self) -> list[BankRequest]:
        """Due requests; attempt records of requests closed meanwhile are dropped."""
        pending = bank.pending_requests(self.node.engine.state, kernel.BANK_PENDING_SCAN_MAX)
        attempts = self.table.attempts()
        self.table.forget(outbox.stale_ids(attempts, (str(r["request_id"]) for r in pending)))
        now_ms = self.node.clock.now_ms()
        return outbox.due_requests(
            pending, attempts, now_ms, limit=self.per_pass, backoff=self.backoff
        )

    def _record(self, request: BankRequest, answer: BankAnswer) -> tuple[str, str]:
        """Write the outcome of one answer, or back it off: (what happened, error)."""
        rid = request.request_id
        command = outbox.outcome_command(request, answer)
        error = answer.reason if answer.outcome == RETRY else ""
        if command is not None:
            try:
                receipt = self.node.submit(command.kind, command.body, cmd_id=command.cmd_id)
            except RuleViolation as exc:
                if exc.code in CLOSED_ELSEWHERE:
                    self.table.forget([rid])
                    row = self.node.engine.state.get(bank.REQUESTS, rid) or {}
                    return (
                        "closed_elsewhere",
                        f"{rid}: bank said {answer.outcome}, log {exc.code} ({row.get('status')})",
                    )
                error = f"refused: {exc.code}"  # e.g. another device holds the treasury
            else:
                self.table.forget([rid])
                row = self.node.engine.state.get(bank.REQUESTS, rid) or {}
                wanted = (
                    {bank.SETTLED} if answer.outcome == SETTLE else {bank.FAILED, bank.REJECTED}
                )
                if receipt.already_done and row.get("status") not in wanted:
                    # This request's outcome command ran before, by hand, the other way.
                    return (
                        "closed_elsewhere",
                        f"{rid}: bank said {answer.outcome}, log {row.get('status')}",
                    )
                return ("settled" if answer.outcome == SETTLE else "refused"), ""
        previous = self.table.attempts().get(rid)
        now_ms = self.node.clock.now_ms()
        self.table.save(outbox.after_miss(previous, rid, error, now_ms, self.backoff))
        return "retried", f"{rid}: {error}"

    def _record_all(
        self, requests: Sequence[BankRequest], answers: Sequence[BankAnswer]
    ) -> PassReport:
        counts = {"settled": 0, "refused": 0, "retried": 0, "closed_elsewhere": 0}
        errors: list[str] = []
        for request, answer in zip(requests, answers, strict=True):
            what, error = self._record(request, answer)
            counts[what] += 1
            if error:
                errors.append(error)
        pending = bank.pending_requests(self.node.engine.state, kernel.BANK_PENDING_SCAN_MAX)
        now_ms = self.node.clock.now_ms()
        return PassReport(
            pass_no=self.passes,
            due=len(requests),
            pending=len(pending),
            next_due_ms=outbox.next_due_ms(pending, self.table.attempts(), now_ms),
            errors=tuple(errors[: kernel.BANK_ATTEMPTS_PER_PASS_MAX]),
            **counts,
        )

    async def run_pass(self) -> PassReport:
        """Send the due requests once and record every answer."""
        self.passes += 1
        due = await self._db(self._plan)
        answers = await self.client.send_all(due)
        return await self._db(lambda: self._record_all(due, answers))

    # --- the bounded loop -------------------------------------------------------------------

    async def run(
        self,
        *,
        passes_max: int = limits.BANK_WORKER_PASSES_DEFAULT,
        seconds_max: float = limits.BANK_WORKER_RUN_DEFAULT_S,
        until_idle: bool = True,
        pause_ms: int = 0,
        on_pass: Callable[[PassReport], None] | None = None,
    ) -> list[PassReport]:
        """Pass until nothing is pending (if `until_idle`), `passes_max`, or `seconds_max`."""
        assert passes_max >= 1 and seconds_max > 0 and pause_ms >= 0
        deadline = time.monotonic() + seconds_max
        reports: list[PassReport] = []
        for _ in range(passes_max):
            report = await self.run_pass()
            reports.append(report)
            if on_pass is not None:
                on_pass(report)
            if until_idle and report.pending == 0:
                break
            now_ms = self.node.clock.now_ms()
            wait_ms = pause_ms
            if report.next_due_ms is not None:
                wait_ms = max(wait_ms, report.next_due_ms - now_ms)
            wait_ms = min(wait_ms, limits.BANK_IDLE_WAIT_MAX_MS)
            if time.monotonic() + wait_ms / 1000 >= deadline:
                break
            await asyncio.sleep(wait_ms / 1000)
        return reports


# --- command line: `python -m sync.bank.worker` and `chitnode bank-worker` --------------------


def _check(args: argparse.Namespace) -> str:
    passes_max, seconds_max = limits.BANK_WORKER_PASSES_MAX, limits.BANK_WORKER_RUN_MAX_S
    if not 1 <= args.passes <= passes_max or not 0 < args.seconds <= seconds_max:
        return f"--passes 1..{passes_max} and --seconds 0..{seconds_max:.0f}"
    if not 1 <= args.per_pass <= kernel.BANK_ATTEMPTS_PER_PASS_MAX:
        return f"--per-pass 1..{kernel.BANK_ATTEMPTS_PER_PASS_MAX}"
    pause_ok = 0 <= args.pause_ms <= limits.BANK_PAUSE_MAX_MS
    if not 0 < args.backoff_base_ms <= args.backoff_cap_ms or not pause_ok:
        return (
            f"0 < --backoff-base-ms <= --backoff-cap-ms; --pause-ms 0..{limits.BANK_PAUSE_MAX_MS}"
        )
    if args.timeout_ms is None:
        args.timeout_ms = limits.BANK_REQUEST_TIMEOUT_MS
    timeout_ok = 0 < args.timeout_ms <= limits.BANK_REQUEST_TIMEOUT_MAX_MS
    if not timeout_ok or not args.bank.startswith(("http://", "https://")):
        return f"--timeout-ms 1..{limits.BANK_REQUEST_TIMEOUT_MAX_MS} and an http(s) --bank URL"
    return ""


async def _work(node: Node, table: OutboxTable, args: argparse.Namespace) -> list[PassReport]:
    async with BankClient(args.bank, request_timeout_ms=args.timeout_ms) as client:
        worker = BankWorker(
            node,
            table,
            client,
            backoff=Backoff(args.backoff_base_ms, args.backoff_cap_ms),
            per_pass=args.per_pass,
        )
        try:
            return await worker.run(
                passes_max=args.passes,
                seconds_max=args.seconds,
                until_idle=not args.keep_going,
                pause_ms=args.pause_ms,
                on_pass=lambda report: print(json.dumps(asdict(report)), flush=True),
            )
        finally:
            worker.close()


def run(args: argparse.Namespace, data_dir: Path) -> int:
    problem = _check(args)
    if problem:
        print(f"bank-worker: usage error: {problem}", file=sys.stderr)
        return 2
    try:
        with Node.open(data_dir) as node, OutboxTable.open(data_dir) as table:
            reports = asyncio.run(_work(node, table, args))
    except ChitError as exc:
        print(f"bank-worker: error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 1
    return 0 if reports and reports[-1].pending == 0 else 3  # 3: requests still pending


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sync.bank.worker", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="the node's data folder")
    add_worker_arguments(parser)
    args = parser.parse_args(argv)
    return run(args, args.data)


if __name__ == "__main__":
    sys.exit(main())
