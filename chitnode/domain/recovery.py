"""Recovery of missed instalments: a 7-stage state machine and statutory timers.

Pure: stages in, stage out; event times in, due times out (ms since the epoch,
passed in by the caller, never read from a clock here).

    missed -> contacted -> notice -> follow_up -> legal        (open stages)
    any open stage -> resolved      the dues were paid
    legal -> written_off            only after legal action, never to skip it

`resolved` and `written_off` are terminal: a closed case is never reopened; a
new default opens a new case. Error codes: illegal_transition, case_closed,
unknown_stage, bad_time.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from chitnode.errors import RuleViolation

DAY_MS = 86_400_000
NOTICE_AFTER_REMOVAL_DAYS = 14  # notice to a removed non-prized subscriber
REINSTATEMENT_AFTER_NOTICE_DAYS = 7  # paying within this window reinstates
REFUND_AFTER_GROUP_END_DAYS = 15  # refund to a defaulter who was never replaced


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
