"""Recovery stages: every pair of stages tried, statutory timers to the millisecond."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chitnode.domain import recovery as rc
from chitnode.domain.recovery import DAY_MS, Stage
from chitnode.errors import RuleViolation

LEGAL = {
    (Stage.MISSED, Stage.CONTACTED),
    (Stage.CONTACTED, Stage.NOTICE),
    (Stage.NOTICE, Stage.FOLLOW_UP),
    (Stage.FOLLOW_UP, Stage.LEGAL),
    (Stage.MISSED, Stage.RESOLVED),
    (Stage.CONTACTED, Stage.RESOLVED),
    (Stage.NOTICE, Stage.RESOLVED),
    (Stage.FOLLOW_UP, Stage.RESOLVED),
    (Stage.LEGAL, Stage.RESOLVED),
    (Stage.LEGAL, Stage.WRITTEN_OFF),
}
ALL_PAIRS = list(itertools.product(Stage, Stage))
T0_MS = 1_700_000_000_000


def test_there_are_seven_stages() -> None:
    assert len(Stage) == 7
    assert [s.value for s in Stage] == [
        "missed",
        "contacted",
        "notice",
        "follow_up",
        "legal",
        "resolved",
        "written_off",
    ]


@pytest.mark.parametrize(("stage", "to"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_transition_every_pair(stage: Stage, to: Stage) -> None:
    if (stage, to) in LEGAL:
        assert rc.transition(stage, to) is to
        return
    with pytest.raises(RuleViolation) as e:
        rc.transition(stage, to)
    expected = "case_closed" if stage in rc.TERMINAL_STAGES else "illegal_transition"
    assert e.value.code == expected


def test_table_matches_the_documented_pairs() -> None:
    table = {(a, b) for a, targets in rc.LEGAL_TRANSITIONS.items() for b in targets}
    assert table == LEGAL


def test_plain_strings_are_accepted() -> None:
    assert rc.transition("missed", "contacted") == Stage.CONTACTED  # type: ignore[arg-type]


@pytest.mark.parametrize(("stage", "to"), [("lost", "missed"), ("missed", "paid"), (3, "missed")])
def test_unknown_stage(stage: object, to: object) -> None:
    with pytest.raises(RuleViolation) as e:
        rc.transition(stage, to)  # type: ignore[arg-type]
    assert e.value.code == "unknown_stage"


def test_terminal_stages() -> None:
    assert {s for s in Stage if rc.is_terminal(s)} == {Stage.RESOLVED, Stage.WRITTEN_OFF}


def test_full_path_to_write_off() -> None:
    stage = Stage.MISSED
    for to in (Stage.CONTACTED, Stage.NOTICE, Stage.FOLLOW_UP, Stage.LEGAL, Stage.WRITTEN_OFF):
        stage = rc.transition(stage, to)
    assert rc.is_terminal(stage)


# --- timers ---------------------------------------------------------------------------


def test_statutory_timers() -> None:
    assert DAY_MS == 86_400_000
    assert rc.notice_due_ms(T0_MS) == T0_MS + 14 * DAY_MS
    assert rc.reinstatement_deadline_ms(T0_MS) == T0_MS + 7 * DAY_MS
    assert rc.refund_due_ms(T0_MS) == T0_MS + 15 * DAY_MS


def test_reinstatement_window_is_inclusive() -> None:
    deadline = T0_MS + 7 * DAY_MS
    assert rc.reinstated(T0_MS, T0_MS)
    assert rc.reinstated(T0_MS, deadline)
    assert not rc.reinstated(T0_MS, deadline + 1)
    assert not rc.reinstated(T0_MS, T0_MS - 1)  # paid before the notice: not a reinstatement


def test_overdue_starts_after_the_due_instant() -> None:
    due = rc.notice_due_ms(T0_MS)
    assert not rc.is_overdue(due, due)
    assert rc.is_overdue(due, due + 1)


@given(st.integers(0, 2**53 - 1 - 15 * DAY_MS))
def test_timers_are_ordered(t_ms: int) -> None:
    assert t_ms < rc.reinstatement_deadline_ms(t_ms) < rc.notice_due_ms(t_ms)
    assert rc.notice_due_ms(t_ms) < rc.refund_due_ms(t_ms)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "0", None])
def test_timers_reject_bad_times(bad: object) -> None:
    for timer in (rc.notice_due_ms, rc.reinstatement_deadline_ms, rc.refund_due_ms):
        with pytest.raises(RuleViolation) as e:
            timer(bad)  # type: ignore[arg-type]
        assert e.value.code == "bad_time"
    with pytest.raises(RuleViolation):
        rc.is_overdue(T0_MS, bad)  # type: ignore[arg-type]


# --- the Act's other timers and penalty interest (issue 14, points 3 and 7) ---------------


def test_prize_is_due_at_the_earlier_of_a_week_and_the_next_instalment() -> None:
    week = T0_MS + 7 * DAY_MS
    assert rc.prize_due_ms(T0_MS, None) == week  # the last month: no next instalment
    assert rc.prize_due_ms(T0_MS, week + 1) == week
    assert rc.prize_due_ms(T0_MS, T0_MS + 3 * DAY_MS) == T0_MS + 3 * DAY_MS
    assert rc.prize_redraw_from_ms(T0_MS) == T0_MS + 60 * DAY_MS
    assert rc.registrar_filing_due_ms(T0_MS) == T0_MS + 14 * DAY_MS


def test_overdue_integral_follows_each_month_falling_late() -> None:
    # month 1's ₹100 late from day 0, month 2 (₹200 in all) from day 10; ₹50 paid
    steps = [(T0_MS, 100_00), (T0_MS + 10 * DAY_MS, 200_00)]
    got = rc.overdue_paise_ms(steps, 50_00, T0_MS - DAY_MS, T0_MS + 20 * DAY_MS)
    assert got == 50_00 * 10 * DAY_MS + 150_00 * 10 * DAY_MS
    assert rc.overdue_paise_ms(steps, 300_00, T0_MS, T0_MS + 20 * DAY_MS) == 0  # paid ahead
    assert rc.overdue_paise_ms(steps, 0, T0_MS + 5 * DAY_MS, T0_MS + 5 * DAY_MS) == 0


@given(
    st.integers(1, 10**9),  # overdue paise
    st.lists(st.integers(1, 40 * DAY_MS), min_size=1, max_size=12),  # spans between payments
    st.integers(0, 3_600),  # rate, bps a year
)
def test_interest_accrued_in_steps_equals_interest_accrued_once(
    paise: int, spans: list[int], rate: int
) -> None:
    step = (0, 0)
    for span in spans:
        step = rc.accrue(*step, paise * span, rate)
    assert step == rc.accrue(0, 0, paise * sum(spans), rate)
    assert 0 <= step[1] < rc.INTEREST_DIVISOR


def test_ten_days_at_18_percent() -> None:
    paise, rem = rc.accrue(0, 0, 10_000_00 * 10 * DAY_MS, 1_800)
    assert paise == 49_31  # ₹10,000 x 0.18 x 10/365 = ₹49.315..., the fraction carried
    assert rem > 0
