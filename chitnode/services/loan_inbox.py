"""The loan inbox: pending applications assessed by a bounded worker pool, off the UI thread.

Scheduling policy (docs/loans.md, "The inbox"): oldest first with aging and a
small-loan boost. An application's priority is

    priority_ms = age_ms + (SMALL_LOAN_BOOST_MS if amount <= SMALL_LOAN_PAISE else 0)

highest first; ties by the older application, then by loan id. The boost is a
constant, so it can only let a small loan pass applications at most
SMALL_LOAN_BOOST_MS older than itself: everything already waiting when an
application arrives, and everything arriving within the boost after it, is
finite, so with any positive service rate every application is served within a
bounded number of rounds (no starvation; the property test checks the bound).

Threads: the Node (its SQLite connection and its in-memory fold) is not
thread-safe, so every read of state and every write goes through one
`SingleWriter`, a lock around the node. A worker takes the lock only to copy a
member's facts into a frozen `MemberFacts` snapshot, releases it, and computes
eligibility, the risk score and the EMI preview from the snapshot alone.
Decisions (approve, reject) are submitted through the same writer from any
thread. Jobs queued plus running never exceed `queue_max` (a bounded
semaphore); `refresh` never blocks on a full queue, it leaves the rest for
its next round.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar

from chitnode import limits
from chitnode.clock import Clock
from chitnode.domain import emi, risk
from chitnode.domain import loan_views as lv
from chitnode.domain.money import format_inr
from chitnode.domain.state import State
from chitnode.errors import UsageError
from chitnode.node.node import Node, Receipt

# The scheduling policy (its bounds are in chitnode.limits, LOAN_INBOX_*).
SMALL_LOAN_PAISE = 25_000 * 100  # ₹25,000 and below count as small
SMALL_LOAN_BOOST_MS = 86_400_000  # a small loan is treated as one day older

APPROVE = "approve"
REVIEW = "review"
REJECT = "reject"

T = TypeVar("T")


# --- the scheduling policy (pure) ------------------------------------------------------


def priority_ms(application: lv.Application, now_ms: int) -> int:
    """Age plus the small-loan boost: the larger, the sooner the application is assessed."""
    age = max(0, now_ms - application.applied_ms)
    boost = SMALL_LOAN_BOOST_MS if application.amount_paise <= SMALL_LOAN_PAISE else 0
    return age + boost


def order_inbox(applications: Iterable[lv.Application], now_ms: int) -> list[lv.Application]:
    """The inbox in service order: highest priority first, then older, then by loan id."""
    return sorted(
        applications,
        key=lambda a: (-priority_ms(a, now_ms), a.applied_ms, a.loan_id),
    )


# --- one assessment (pure) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recommendation:
    """What a worker proposes for one application; a person decides."""

    loan_id: str
    member_id: str
    amount_paise: int
    action: str  # approve | review | reject
    reason: str
    eligibility: risk.Eligibility
    limit_paise: int
    risk: risk.RiskScore
    emi_paise: int
    total_interest_paise: int
    assessed_ms: int
    # (group, ticket, limit): the groups whose money may fund it (s.14); else the treasury
    group_limits: tuple[tuple[str, int, int], ...] = ()


def assess(application: lv.Application, facts: lv.MemberFacts, now_ms: int) -> Recommendation:
    """Eligibility (the badge), the explainable risk score and the EMI preview."""
    rows = emi.schedule(
        application.amount_paise, application.annual_rate_bps, application.tenure_months
    )
    monthly = rows[0].emi_paise
    verdict = lv.eligibility_of(facts.eligibility, application.amount_paise)
    score = risk.risk_score(facts.risk_inputs(monthly))
    if not verdict.ok:
        action, reason = REJECT, verdict.reason
    elif score.total > lv.RISK_REVIEW_ABOVE:
        action = REVIEW
        worst = max(score.components, key=lambda c: c.points)
        reason = f"risk {score.total}/100 is above {lv.RISK_REVIEW_ABOVE}: {worst.explanation}"
    else:
        action = APPROVE
        reason = f"{verdict.reason}; risk {score.total}/100; EMI {format_inr(monthly)}"
    return Recommendation(
        loan_id=application.loan_id,
        member_id=application.member_id,
        amount_paise=application.amount_paise,
        action=action,
        reason=reason,
        eligibility=verdict,
        limit_paise=facts.eligibility.limit_paise,
        risk=score,
        emi_paise=monthly,
        total_interest_paise=sum(r.interest_paise for r in rows),
        assessed_ms=now_ms,
        group_limits=tuple(g for g in facts.group_limits if g[2] >= application.amount_paise),
    )


# --- threads --------------------------------------------------------------------------------


class SingleWriter:
    """The one way to a Node from several threads: a lock around its reads and its writes."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._lock = threading.Lock()

    def submit(self, kind: str, body: dict[str, Any], cmd_id: str | None = None) -> Receipt:
        with self._lock:
            return self._node.submit(kind, body, cmd_id)

    def read(self, query: Callable[[State], T]) -> T:
        """Run `query` on the folded state while no write is under way; return plain data."""
        with self._lock:
            return query(self._node.engine.state)


Assessor = Callable[[lv.Application, lv.MemberFacts, int], Recommendation]


class LoanInbox:
    """Pending applications, assessed in policy order by at most `max_workers` threads."""

    def __init__(
        self,
        writer: SingleWriter,
        clock: Clock,
        *,
        max_workers: int = limits.LOAN_INBOX_WORKERS_MAX,
        queue_max: int = limits.LOAN_INBOX_QUEUE_MAX,
        assessor: Assessor = assess,
    ) -> None:
        if not 1 <= max_workers <= queue_max:
            raise UsageError("need 1 <= max_workers <= queue_max")
        self.writer = writer
        self.clock = clock
        self.max_workers = max_workers
        self.queue_max = queue_max
        self._assessor = assessor
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="loan-inbox")
        self._slots = threading.BoundedSemaphore(queue_max)
        self._lock = threading.Lock()  # guards the three dicts below
        self._inflight: dict[str, Future[None]] = {}
        self._results: dict[str, Recommendation] = {}
        self._errors: dict[str, tuple[str, int]] = {}  # loan id -> (code, when)
        self._order: list[str] = []

    # --- the UI thread's side: never blocks on the workers ---------------------------------

    def refresh(self) -> int:
        """Queue assessments for the pending applications in policy order; return how many."""
        now = self.clock.now_ms()
        pending = self.writer.read(lv.pending_applications)
        ordered = order_inbox(pending, now)
        queued = 0
        with self._lock:
            self._order = [a.loan_id for a in ordered]
            alive = set(self._order)
            for gone in set(self._results) - alive:
                del self._results[gone]
            for gone in set(self._errors) - alive:
                del self._errors[gone]
            for application in ordered:
                if not self._wanted(application.loan_id, now):
                    continue
                if not self._slots.acquire(blocking=False):
                    break  # the queue is full: the rest waits for the next round
                future = self._pool.submit(self._work, application, now)
                self._inflight[application.loan_id] = future
                queued += 1
        return queued

    def _wanted(self, loan_id: str, now_ms: int) -> bool:
        if loan_id in self._inflight:
            return False
        done = self._results.get(loan_id)
        failed = self._errors.get(loan_id)
        when = done.assessed_ms if done else failed[1] if failed else None
        return when is None or now_ms - when >= limits.LOAN_INBOX_RESULT_TTL_MS

    def recommendations(self) -> list[Recommendation]:
        """Assessments ready so far, in inbox order."""
        with self._lock:
            return [self._results[i] for i in self._order if i in self._results]

    def errors(self) -> dict[str, str]:
        """Applications whose assessment failed, with the error code (e.g. unknown_member)."""
        with self._lock:
            return {loan_id: code for loan_id, (code, _) in self._errors.items()}

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until queued work is done (tests, the CLI); True if nothing is left."""
        with self._lock:
            futures = list(self._inflight.values())
        _, not_done = wait(futures, timeout=timeout_s)
        return not not_done

    def decide(self, loan_id: str, approve: bool, reason: str) -> Receipt:
        """Approve or reject through the single writer; the fold re-checks eligibility."""
        kind = "loan.approved" if approve else "loan.rejected"
        receipt = self.writer.submit(kind, {"loan_id": loan_id, "reason": reason})
        with self._lock:
            self._results.pop(loan_id, None)
        return receipt

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> LoanInbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- a worker's side ---------------------------------------------------------------------

    def _work(self, application: lv.Application, now_ms: int) -> None:
        try:
            facts = self.writer.read(
                lambda state: lv.member_facts(
                    state, application.member_id, now_ms, exclude_loan=application.loan_id
                )
            )
            result = self._assessor(application, facts, now_ms)  # no lock held: pure work
            with self._lock:
                self._results[application.loan_id] = result
                self._errors.pop(application.loan_id, None)
        except Exception as exc:  # an assessment must never kill the pool
            code = getattr(exc, "code", type(exc).__name__)
            with self._lock:
                self._errors[application.loan_id] = (str(code), now_ms)
        finally:
            with self._lock:
                self._inflight.pop(application.loan_id, None)
            self._slots.release()
