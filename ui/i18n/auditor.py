"""Strings of the auditor's screen: open an export, verify it, fold it alone, list what is
wrong, save the findings (ui/views/auditor.py, ui/vm/auditor.py).

Format: see ui/i18n/__init__.py. Keys start with "auditor.". Auditors and staff read these
on a laptop, in English; members never see them.
"""

from __future__ import annotations

MEMBER_FACING = False


# Keyword names spell the key's dots as "__"; each becomes "auditor.<name>", in English.
_TEXTS: dict[str, str] = dict(
    nav="Audit",
    title="Audit an export",
    hint=(
        "Open a .chitlog export: it is verified as `chitnode verify` does, then folded on"
        " its own to recompute every balance. Nothing is written to this node."
    ),
    path="Export file (.chitlog)",
    files="Exports in the data folder and the current folder:",
    no_files="No .chitlog file found there: type the path above.",
    run="Verify and audit",
    running="Auditing…",
    progress__verify="Verifying: {done} of {total} entries",
    progress__fold="Recomputing balances: {done} of {total} entries",
    verdict__clean="Verified: nothing wrong, and the books balance.",
    verdict__anomalies="Verified, with {count} things to look at.",
    verdict__broken="Does not verify: {count} problems.",
    summary=(
        "{branch} · {entries} entries · {folded} folded · {left} left out"
        " (at or after a broken entry) · {held} never placed"
    ),
    balanced="Balances sum to zero and no account is below zero.",
    unbalanced="Balances do NOT sum to zero: off by {total}; below zero: {negative}.",
    broken="Broken entries: {count}",
    forks="Forks: {count}",
    fencing="Fencing evidence (stale term): {count}",
    rejected="Rejected entries: {count}",
    prizes="Prizes paid without complete minutes: {count}",
    more="… and {count} more (in the saved findings)",
    row__broken="{code} · feed {author} · seq {seq}",
    row__file="{code} · the file · {detail}",
    row__fork="feed {author} · seq {seq} · twin {hash}",
    row__fenced="{kind} by {author} at seq {seq}",
    row__code="{code}: {count}",
    row__prize="group {group}, month {month}",
    members="Members' balances, from the log alone",
    member__id="Member",
    member__name="Name",
    member__wallet="Wallet",
    member__paid="Paid",
    member__prizes="Prizes",
    groups="Groups' balances, from the log alone",
    group__id="Group",
    group__name="Name",
    group__status="Status",
    group__total="Held in its accounts",
    save="Save findings",
    saves_to="Saves to {path}",
    saved="Findings saved to {path}",
)

STRINGS: dict[str, dict[str, str]] = {
    f"auditor.{name.replace('__', '.')}": {"en": text} for name, text in _TEXTS.items()
}
