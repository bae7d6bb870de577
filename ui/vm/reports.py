"""The reports screen's view-model (issue 13, "The app saves them to a folder the user
picks"): which reports there are, what each asks for, the report itself, and the file's
name.

Pure: a `Reading` and the staff member's choice in, a `Report` out, built by the same
functions `chitnode report` calls (chitnode/services/report_tables.py), so a page saved
from the app and one printed from the CLI say the same thing. The screen
(ui/views/reports.py) writes the file with `report_pdf`, off the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from chitnode.errors import RuleViolation
from chitnode.services import report_tables as rt
from chitnode.services.report_tables import Report
from ui.backend import Reading

PDF, CSV = "pdf", "csv"
FORMATS = (PDF, CSV)
# What a report asks for besides the log: nothing, a member number, a group, a group and month.
NOTHING, MEMBER, GROUP, GROUP_MONTH = "", "member", "group", "group_month"
FOLDER_NAME = "reports"  # the default folder: <data>/reports
STAMP_FORMAT = "%Y%m%d-%H%M%S"  # in a file's name: two saves a second apart never collide


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # the CLI's name: `chitnode report <name>`
    needs: str  # NOTHING | MEMBER | GROUP | GROUP_MONTH

    @property
    def title_key(self) -> str:
        return f"reports.kind.{self.name.replace('-', '_')}"


KINDS = (
    Kind("members", NOTHING),
    Kind("loans", NOTHING),
    Kind("defaults", NOTHING),
    Kind("balance-sheet", NOTHING),
    Kind("passbook", MEMBER),
    Kind("closure", GROUP),
    Kind("minutes", GROUP_MONTH),
)
KIND_OF = {k.name: k for k in KINDS}


@dataclass(frozen=True, slots=True)
class Choice:
    """What the staff member asked for, as typed."""

    report: str
    member_id: str = ""
    group_id: str = ""
    month: str = ""
    fmt: str = PDF


def _month(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise RuleViolation(f"month {text!r} is not a number", code="bad_month") from None


def build(reading: Reading, choice: Choice) -> Report:
    """The report `choice` names, from the fold: unknown members and groups, an unclosed
    group or draw, are the kernel's refusals (unknown_member, unknown_group, ...)."""
    state = reading.state
    member, group = choice.member_id.strip(), choice.group_id.strip()
    makers: dict[str, Callable[[], Report]] = {
        "members": lambda: rt.member_list(state),
        "loans": lambda: rt.loan_portfolio(state),
        "defaults": lambda: rt.default_summary(state, reading.now_ms),
        "balance-sheet": lambda: rt.balance_sheet(state),
        "passbook": lambda: rt.passbook(state, member),
        "closure": lambda: rt.closure_statement(state, group),
        "minutes": lambda: rt.certified_minutes(state, group, _month(choice.month)),
    }
    make = makers.get(choice.report)
    if make is None:
        raise RuleViolation(f"no report {choice.report!r}", code="unknown_report")
    return make()


def file_name(choice: Choice, now_ms: int) -> str:
    """`passbook-M005-20261206-232500.pdf`: the report, what it is of, and when."""
    kind = KIND_OF[choice.report]
    parts = [choice.report]
    if kind.needs == MEMBER:
        parts.append(choice.member_id.strip())
    if kind.needs in (GROUP, GROUP_MONTH):
        parts.append(choice.group_id.strip())
    if kind.needs == GROUP_MONTH:
        parts.append(f"m{_month(choice.month)}")
    parts.append(datetime.fromtimestamp(now_ms / 1000, tz=UTC).strftime(STAMP_FORMAT))
    safe = "-".join("".join(c if c.isalnum() or c in "-_." else "_" for c in p) for p in parts)
    return f"{safe}.{choice.fmt if choice.fmt in FORMATS else PDF}"
