"""The loan inbox: its scheduling policy (no starvation), the bounded pool, the single writer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chitnode.domain import loan_views as lv
from chitnode.node.node import Node
from chitnode.services.loan_inbox import (
    APPROVE,
    REJECT,
    REVIEW,
    SMALL_LOAN_BOOST_MS,
    SMALL_LOAN_PAISE,
    LoanInbox,
    Recommendation,
    SingleWriter,
    assess,
    order_inbox,
    priority_ms,
)
from tests.support.clock import FakeClock
from tests.support.driver import ChitDriver
from tests.support.loans import LAKH, THOUSAND, apply, make_branch

HOUR_MS = 3_600_000
T0 = 1_767_225_600_000


def application(loan_id: str, amount_paise: int, applied_ms: int) -> lv.Application:
    return lv.Application(loan_id, "M1", amount_paise, 12, 1000, applied_ms)


# --- the policy (pure) ----------------------------------------------------------------------


def test_oldest_first_with_a_bounded_boost_for_small_loans() -> None:
    big_old = application("A", 5 * LAKH, T0)
    big_new = application("B", 5 * LAKH, T0 + 2 * HOUR_MS)
    small_new = application("C", SMALL_LOAN_PAISE, T0 + 3 * HOUR_MS)
    small_too_new = application("D", 1_000, T0 + SMALL_LOAN_BOOST_MS + 3 * HOUR_MS)
    now = T0 + 2 * SMALL_LOAN_BOOST_MS
    ordered = order_inbox([small_too_new, big_new, small_new, big_old], now)
    assert [a.loan_id for a in ordered] == ["C", "A", "B", "D"]
    assert (
        priority_ms(small_new, now) - priority_ms(big_old, now) == SMALL_LOAN_BOOST_MS - 3 * HOUR_MS
    )
    tie = [application("Z", LAKH, T0), application("Y", LAKH, T0)]
    assert [a.loan_id for a in order_inbox(tie, now)] == ["Y", "Z"]


def serve(
    arrivals: list[list[int]], per_round: int, step_ms: int
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Simulate the inbox: each round applications arrive, time moves, `per_round` are served.

    Returns, per application, the round it arrived, the round it was served and how
    many were waiting (itself included) when it arrived.
    """
    queue: list[lv.Application] = []
    arrived: dict[str, int] = {}
    served: dict[str, int] = {}
    ahead: dict[str, int] = {}
    rounds = 0
    while rounds < len(arrivals) or queue:
        now = T0 + rounds * step_ms
        for index, amount in enumerate(arrivals[rounds] if rounds < len(arrivals) else []):
            loan_id = f"L{rounds:03d}-{index}"
            queue.append(application(loan_id, amount, now))
            arrived[loan_id] = rounds
        for loan_id in arrived:
            if arrived[loan_id] == rounds:
                ahead[loan_id] = len(queue)
        for chosen in order_inbox(queue, now)[:per_round]:
            served[chosen.loan_id] = rounds
            queue.remove(chosen)
        rounds += 1
    return arrived, served, ahead


AMOUNTS = st.sampled_from([1_000, SMALL_LOAN_PAISE, SMALL_LOAN_PAISE + 1, 5 * LAKH])


@settings(max_examples=150, deadline=None)
@given(
    arrivals=st.lists(st.lists(AMOUNTS, max_size=4), min_size=1, max_size=40),
    per_round=st.integers(1, 3),
    step_ms=st.integers(HOUR_MS, SMALL_LOAN_BOOST_MS),
)
def test_aging_serves_every_application_within_bounded_rounds(
    arrivals: list[list[int]], per_round: int, step_ms: int
) -> None:
    """No starvation: only what waited already, or arrived within the boost after, goes first."""
    arrived, served, ahead = serve(arrivals, per_round, step_ms)
    most_per_round = max(len(batch) for batch in arrivals)
    boost_rounds = SMALL_LOAN_BOOST_MS // step_ms + 1
    for loan_id, first in arrived.items():
        overtakers = most_per_round * boost_rounds
        bound = (ahead[loan_id] + overtakers + per_round - 1) // per_round
        assert served[loan_id] - first <= bound, loan_id


def test_a_stream_of_small_loans_does_not_starve_a_big_one() -> None:
    """Two small applications an hour, one served an hour: a big one still gets its turn."""
    arrivals = [[5 * LAKH, 1_000]] + [[1_000, 1_000]] * 200
    arrived, served, _ = serve(arrivals, per_round=2, step_ms=HOUR_MS)
    big = "L000-0"
    assert served[big] - arrived[big] <= 2 * (SMALL_LOAN_BOOST_MS // HOUR_MS + 1)


# --- one assessment (pure) ------------------------------------------------------------------


def facts(**change: Any) -> lv.MemberFacts:
    eligibility = lv.EligibilityFacts(
        member_id="M1",
        kyc_approved=change.pop("kyc_approved", True),
        open_recovery_case=False,
        backing_contributed_paise=change.pop("backing", 2 * LAKH),
        prized=False,
        outstanding_loans_paise=0,
    )
    base = {
        "eligibility": eligibility,
        "instalments_due": 6,
        "instalments_on_time": 6,
        "arrears_paise": 0,
        "monthly_dues_paise": 10 * THOUSAND,
        "prize_secured": True,
        "contributed_paise": 2 * LAKH,
    }
    return lv.MemberFacts(**{**base, **change})


def test_assessment_recommends_approve_review_or_reject() -> None:
    app = application("L-1", LAKH, T0)
    good = assess(app, facts(), T0)
    assert (good.action, good.eligibility.code, good.emi_paise) == (APPROVE, "eligible", 879_159)
    assert good.limit_paise == 160 * THOUSAND and good.risk.total == 0
    behind = assess(app, facts(instalments_on_time=0, arrears_paise=3 * 10 * THOUSAND), T0)
    assert behind.action == REVIEW and behind.risk.total > lv.RISK_REVIEW_ABOVE
    assert "instalments on time" in behind.reason  # the largest component, explained
    no_kyc = assess(app, facts(kyc_approved=False), T0)
    assert (no_kyc.action, no_kyc.eligibility.code) == (REJECT, "kyc_not_approved")
    assert assess(app, facts(backing=LAKH), T0).eligibility.code == "above_limit"


# --- threads ------------------------------------------------------------------------------------


@pytest.fixture
def branch(fresh_node: Node, clock: FakeClock) -> ChitDriver:
    return make_branch(fresh_node, clock)


class Gate:
    """An assessor that blocks until released, and records how many ran at once, and where."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.order: list[str] = []
        self.threads: set[str] = set()

    def __call__(self, app: lv.Application, facts: lv.MemberFacts, now_ms: int) -> Recommendation:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.order.append(app.loan_id)
            self.threads.add(threading.current_thread().name)
        try:
            assert self.release.wait(timeout=10)
            return assess(app, facts, now_ms)
        finally:
            with self.lock:
                self.running -= 1


def test_the_worker_pool_is_bounded_and_off_the_calling_thread(
    branch: ChitDriver, clock: FakeClock
) -> None:
    for n in range(10):
        clock.advance(HOUR_MS)
        apply(branch, f"L-{n:02d}", f"M{n % 4 + 1}", (n + 1) * 5 * THOUSAND)
    gate = Gate()
    writer = SingleWriter(branch.node)
    with LoanInbox(writer, clock, max_workers=2, queue_max=3, assessor=gate) as inbox:
        assert inbox.refresh() == 3  # queued + running never exceed queue_max
        assert inbox.refresh() == 0  # full: the rest waits for a later round
        deadline = threading.Event()
        for _ in range(100):
            with gate.lock:
                if gate.running == 2:
                    break
            deadline.wait(0.01)
        assert gate.peak == 2  # never more than max_workers at once
        expected = [
            a.loan_id for a in order_inbox(lv.pending_applications(branch.state), clock.now_ms())
        ]
        assert sorted(gate.order) == sorted(expected[:2])  # the policy's first two start
        gate.release.set()
        assert inbox.wait(timeout_s=10)
        assert sorted(r.loan_id for r in inbox.recommendations()) == sorted(expected[:3])
        rounds = 1
        while inbox.refresh():
            assert inbox.wait(timeout_s=10)
            rounds += 1
        assert rounds == 4  # 3 + 3 + 3 + 1
        assert [r.loan_id for r in inbox.recommendations()] == expected
    assert gate.peak <= 2
    assert gate.threads and all(name.startswith("loan-inbox") for name in gate.threads)
    assert threading.current_thread().name not in gate.threads


def test_recommendations_and_decisions_go_through_the_single_writer(
    branch: ChitDriver, clock: FakeClock
) -> None:
    apply(branch, "L-1", "M1", 50 * THOUSAND)
    apply(branch, "L-3", "M3", LAKH + 1)
    apply(branch, "L-5", "M5", 10 * THOUSAND)
    writer = SingleWriter(branch.node)
    with LoanInbox(writer, clock) as inbox:
        assert inbox.refresh() == 3
        assert inbox.wait(timeout_s=10)
        got = {r.loan_id: (r.action, r.eligibility.code) for r in inbox.recommendations()}
        assert got == {
            "L-1": (APPROVE, "eligible"),
            "L-3": (REJECT, "above_limit"),
            "L-5": (REJECT, "kyc_not_approved"),
        }
        assert inbox.refresh() == 0  # fresh assessments are not redone
        with ThreadPoolExecutor(max_workers=3) as pool:
            decided = list(
                pool.map(
                    lambda r: inbox.decide(r.loan_id, r.action == APPROVE, r.reason),
                    inbox.recommendations(),
                )
            )
        assert all(receipt.status == "applied" for receipt in decided)
        assert inbox.refresh() == 0 and inbox.recommendations() == []
    statuses = {i: lv.loan_row(branch.state, i)["status"] for i in ("L-1", "L-3", "L-5")}
    assert statuses == {"L-1": lv.APPROVED, "L-3": lv.REJECTED, "L-5": lv.REJECTED}


def test_concurrent_writers_share_the_node_safely(branch: ChitDriver) -> None:
    writer = SingleWriter(branch.node)
    before = branch.node.store.count()

    def apply_one(n: int) -> str:
        body = {"loan_id": f"T-{n}", "member_id": f"M{n % 4 + 1}", "amount_paise": THOUSAND}
        body |= {"tenure_months": 6, "purpose": "seeds", "actor": body["member_id"]}
        return writer.submit("loan.applied", body).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(apply_one, range(40)))
    assert statuses == ["applied"] * 40
    assert branch.node.store.count() == before + 40
    assert len(writer.read(lv.pending_applications)) == 40
