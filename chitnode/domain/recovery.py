"""Recovery of missed instalments: a 7-stage state machine and statutory timers.

Pure: stages in, stage out; event times in, due times out (ms since the epoch,
passed in by the caller, never read from a clock here).

    missed -> contacted -> notice -> follow_up -> legal        (open stages)
    any open stage -> resolved      the dues were paid
    legal -> written_off            only after legal action, never to skip it

`resolved` and `written_off` are terminal: a closed case is never reopened; a
new default opens a new case. Error codes: illegal_transition, case_closed,
unknown_stage, bad_time.

The Chit Funds Act's own timers (docs/chit-rules.md, "Defaulters"): a removed
non-prized subscriber is sent written notice within 14 days of the removal
(s.28(1)) and is re-entered on paying the arrears with interest within 7 days of
the notice (s.28(1) proviso); the removal is filed with the Registrar within 14
days (s.28(3)); an unsubstituted defaulter's contributions are paid back within
15 days of the chit's termination (s.30(3)); a prize is paid within 7 days of the
draw or before the next instalment, whichever is earlier (s.22(1)), deposited
apart if still unpaid at the next instalment, and drawn again after two months
(s.22(2)). Penalty interest on late instalments is simple interest on the
overdue amount, per day of a 365-day year, exact to the paisa (`accrue`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from chitnode.errors import RuleViolation

DAY_MS = 86_400_000
NOTICE_AFTER_REMOVAL_DAYS = 14  # notice to a removed non-prized subscriber
REINSTATEMENT_AFTER_NOTICE_DAYS = 7  # paying within this window reinstates
REFUND_AFTER_GROUP_END_DAYS = 15  # refund to a defaulter who was never replaced
REGISTRAR_FILING_DAYS = 14  # s.28(3): a true copy of the removal, filed with the Registrar
PRIZE_PAY_WITHIN_DAYS = 7  # s.22(1): the prize is paid within 7 days of the draw
# s.22(2) proviso: "two months" from the draw; counted as 60 days so that every node and an
# auditor get the same instant without a calendar (the earlier reading of two months).
PRIZE_REDRAW_AFTER_DAYS = 60
YEAR_DAYS = 365  # penalty interest is simple interest per day of a 365-day year
BPS_PER_WHOLE = 10_000  # basis points in 100% (as chit_rules)
# Interest on paise * ms at a rate in bps a year: the divisor of the exact fraction.
# Below 2**53, so the carried remainder is a JSON-safe integer (wal-v1 §2).
INTEREST_DIVISOR = BPS_PER_WHOLE * YEAR_DAYS * DAY_MS
assert INTEREST_DIVISOR < 2**53, "the carried remainder of penalty interest fits JSON"


class Stage(StrEnum):
    """Where a recovery case stands."""

    MISSED = "missed"
    CONTACTED = "contacted"
    NOTICE = "notice"
    FOLLOW_UP = "follow_up"
    LEGAL = "legal"
    RESOLVED = "resolved"
    WRITTEN_OFF = "written_off"


OPEN_STAGES = (Stage.MISSED, Stage.CONTACTED, Stage.NOTICE, Stage.FOLLOW_UP, Stage.LEGAL)
TERMINAL_STAGES = frozenset({Stage.RESOLVED, Stage.WRITTEN_OFF})
_STAGE_VALUES = frozenset(stage.value for stage in Stage)


def _legal_transitions() -> Mapping[Stage, frozenset[Stage]]:
    table: dict[Stage, frozenset[Stage]] = {}
    for index, stage in enumerate(OPEN_STAGES):
        forward = OPEN_STAGES[index + 1 : index + 2]  # one step, never skipping a stage
        table[stage] = frozenset({*forward, Stage.RESOLVED})
    table[Stage.LEGAL] = table[Stage.LEGAL] | {Stage.WRITTEN_OFF}
    for stage in TERMINAL_STAGES:
        table[stage] = frozenset()
    return table


LEGAL_TRANSITIONS: Mapping[Stage, frozenset[Stage]] = _legal_transitions()


def _stage(value: object) -> Stage:
    if isinstance(value, str) and value in _STAGE_VALUES:
        return Stage(value)
    raise RuleViolation(f"unknown recovery stage: {value!r}", code="unknown_stage")


def is_terminal(stage: Stage) -> bool:
    """True when the case is closed (resolved or written off)."""
    return _stage(stage) in TERMINAL_STAGES


def transition(stage: Stage, to: Stage) -> Stage:
    """Return `to` if a case at `stage` may move there, else raise RuleViolation."""
    current, target = _stage(stage), _stage(to)
    if current in TERMINAL_STAGES:
        raise RuleViolation(f"case is closed ({current})", code="case_closed")
    if target not in LEGAL_TRANSITIONS[current]:
        raise RuleViolation(f"cannot move from {current} to {target}", code="illegal_transition")
    return target


def _require_ms(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleViolation(f"{field} must be a non-negative int of ms", code="bad_time")
    return value


def notice_due_ms(removed_at_ms: int) -> int:
    """Latest time to notify a removed non-prized subscriber: removal + 14 days."""
    return _require_ms(removed_at_ms, "removed_at_ms") + NOTICE_AFTER_REMOVAL_DAYS * DAY_MS


def reinstatement_deadline_ms(notice_at_ms: int) -> int:
    """Latest payment time that still reinstates the subscriber: notice + 7 days."""
    return _require_ms(notice_at_ms, "notice_at_ms") + REINSTATEMENT_AFTER_NOTICE_DAYS * DAY_MS


def reinstated(notice_at_ms: int, paid_at_ms: int) -> bool:
    """True when the dues were paid after the notice and by its 7-day deadline (inclusive)."""
    paid = _require_ms(paid_at_ms, "paid_at_ms")
    return notice_at_ms <= paid <= reinstatement_deadline_ms(notice_at_ms)


def refund_due_ms(group_end_ms: int) -> int:
    """Latest time to refund a defaulter who was never replaced: group end + 15 days."""
    return _require_ms(group_end_ms, "group_end_ms") + REFUND_AFTER_GROUP_END_DAYS * DAY_MS


def is_overdue(due_ms: int, now_ms: int) -> bool:
    """True once `now_ms` is past `due_ms` (the due instant itself is still on time)."""
    return _require_ms(now_ms, "now_ms") > _require_ms(due_ms, "due_ms")


def history_step(stage: Stage, *, ts_ms: int, note: str, by: str) -> dict[str, Any]:
    """One step of a case's history: the stage reached, when, why and by which device."""
    return {"stage": stage.value, "ts_ms": ts_ms, "note": note, "by": by}


def advanced_case(
    case: dict[str, Any], to: Stage, *, ts_ms: int, note: str, by: str
) -> dict[str, Any]:
    """A recovery case record after a legal move to `to` (chit tickets and loans alike).

    The history keeps every step with its note and author; `notice_ms` starts the
    statutory timers when the case reaches the notice stage.
    """
    step = history_step(to, ts_ms=ts_ms, note=note, by=by)
    return {
        **case,
        "stage": to.value,
        "closed": is_terminal(to),
        "history": [*case["history"], step],
        "notice_ms": ts_ms if to == Stage.NOTICE else case["notice_ms"],
    }


def registrar_filing_due_ms(removed_at_ms: int) -> int:
    """Latest time to file the removal with the Registrar: removal + 14 days (s.28(3))."""
    return _require_ms(removed_at_ms, "removed_at_ms") + REGISTRAR_FILING_DAYS * DAY_MS


def prize_due_ms(draw_ms: int, next_instalment_due_ms: int | None) -> int:
    """s.22(1): within 7 days of the draw or before the next instalment, whichever is earlier."""
    week = _require_ms(draw_ms, "draw_ms") + PRIZE_PAY_WITHIN_DAYS * DAY_MS
    if next_instalment_due_ms is None:  # the last month: no next instalment
        return week
    return min(week, _require_ms(next_instalment_due_ms, "next_instalment_due_ms"))


def prize_redraw_from_ms(draw_ms: int) -> int:
    """s.22(2) proviso: an uncollected prize may be drawn again two months after the draw."""
    return _require_ms(draw_ms, "draw_ms") + PRIZE_REDRAW_AFTER_DAYS * DAY_MS


def overdue_paise_ms(
    steps: Sequence[tuple[int, int]], paid_paise: int, from_ms: int, to_ms: int
) -> int:
    """The integral of the overdue amount over [from_ms, to_ms), in paise x ms.

    `steps` are (late_from_ms, dues_paise) in time order: from `late_from_ms` on, the
    ticket owes `dues_paise` in all (cumulative); what `paid_paise` does not cover is
    overdue. Payments are constant over the span (the caller accrues at each one).
    """
    total, start = 0, _require_ms(from_ms, "from_ms")
    end = _require_ms(to_ms, "to_ms")
    for index, (late_ms, dues) in enumerate(steps):
        until = steps[index + 1][0] if index + 1 < len(steps) else end
        lo, hi = max(start, late_ms), min(end, until)
        if hi > lo:
            total += max(0, dues - paid_paise) * (hi - lo)
    return total


def accrue(accrued_paise: int, remainder: int, paise_ms: int, rate_bps: int) -> tuple[int, int]:
    """Add the interest on `paise_ms` at `rate_bps` a year to (paise, remainder), exactly.

    The fraction below a paisa is carried as `remainder` (< INTEREST_DIVISOR), so
    accruing in many steps gives the same paise as accruing once.
    """
    numerator = paise_ms * rate_bps + remainder
    return accrued_paise + numerator // INTEREST_DIVISOR, numerator % INTEREST_DIVISOR
