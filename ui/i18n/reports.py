"""Strings of the reports screen (ui/views/reports.py): choose a report, a folder, PDF or
CSV, and save.

Format: see ui/i18n/__init__.py. Keys start with "reports.". Staff read these on the
laptop, in English; members never see them.
"""

from __future__ import annotations

MEMBER_FACING = False

# Keyword names spell the key's dots as "__"; each becomes "reports.<name>", in English.
_TEXTS: dict[str, str] = dict(
    nav="Reports",
    title="Reports to print",
    intro="Saved from the log as it is now, by the same code as `chitnode report`; "
    "every page's footer says how to check it (docs/reports.md).",
    report="Report",
    kind__members="Member list",
    kind__loans="Loan portfolio",
    kind__defaults="Default summary",
    kind__balance_sheet="Balance sheet",
    kind__passbook="A member's passbook",
    kind__closure="A group's closure statement",
    kind__minutes="Certified minutes of a month",
    member="Member number (for a passbook)",
    group="Group (for a closure statement or minutes)",
    month="Month (for minutes)",
    folder="Save into this folder",
    format="File type",
    format__pdf="PDF, to print",
    format__csv="CSV, for a spreadsheet",
    save="Save",
    saving="Saving the report…",
    saved="Saved: {path}",
)

STRINGS: dict[str, dict[str, str]] = {
    f"reports.{name.replace('__', '.')}": {"en": text} for name, text in _TEXTS.items()
}
