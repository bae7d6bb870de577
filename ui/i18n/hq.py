"""Strings of the head office's KPI dashboard (ui/views/hq.py, docs/app-hq.md).

Format: see ui/i18n/__init__.py. Keys start with "hq.". An admin reads these at the head
office, in English; members never see them. The bars' words are the admin dashboard's
("admin.trend.*"): one chart, drawn one way.
"""

from __future__ import annotations

MEMBER_FACING = False

# Keyword names spell the key's dots as "__"; each becomes "hq.<name>", in English.
_TEXTS: dict[str, str] = dict(
    nav="Head office",
    title="Head office: every branch",
    where="Read from {where}, as chitnode hq kpis reads it. Each branch's figures are as of "
    "its newest entry.",
    empty="No branch imported yet: run chitnode hq import EXPORT",
    empty__how="Each branch writes its log with chitnode export FILE; the head office "
    "checks every entry, folds it with the same rules and adds it here. Then tap Read again.",
    unavailable="The head-office database could not be read; the reason is above.",
    filter="Branch",
    filter__all="All branches",
    refresh="Read again",
    col__branch="Branch",
    col__pool="Total pool",
    col__members="Active members",
    col__default_rate="Default rate",
    col__loans="Loans outstanding",
    total="All branches",
    pool__detail="{groups} open groups",
    members__detail="{tickets} tickets",
    default__detail="{defaults} of {tickets} tickets",
    loans__detail="{loans} loans",
    more_branches="{n} more branches are counted in the total; chitnode hq kpis lists them.",
    trend__title="Collections by month",
    imports__title="Last imports and anomalies",
    imports__line="Last import {when}: {entries} entries from {feeds} devices",
    imports__clean="No anomalies",
    imports__more="and {n} more: see chitnode hq status",
)

STRINGS: dict[str, dict[str, str]] = {
    f"hq.{name.replace('__', '.')}": {"en": text} for name, text in _TEXTS.items()
}
