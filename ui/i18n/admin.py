"""Strings of the admin's screens: dashboard, audit trail, integrity, devices and leases,
and the kernel monitor strip every staff screen shows (ui/views/admin.py).

Format: see ui/i18n/__init__.py. Keys start with "admin." (and one "error." key, the
audit filter's refusal). Admins read these on the laptop, in English; members never do.
"""

from __future__ import annotations

MEMBER_FACING = False

# Keyword names spell the key's dots as "__"; each becomes "admin.<name>", in English.
_TEXTS: dict[str, str] = dict(
    nav="Admin",
    title__dashboard="Dashboard",
    title__audit="Audit trail",
    title__integrity="Integrity",
    title__devices="Devices",
    # dashboard
    kpi__pool="Total pool",
    kpi__members="Active members",
    kpi__default_rate="Default rate",
    kpi__default_detail="{defaults} of {tickets} tickets in default",
    kpi__loans="Loans outstanding",
    kpi__collections="Collections this month ({month})",
    trend__title="Collections by month",
    trend__none="No collections yet.",
    trend__bar="{month}: {amount}",
    # audit trail
    audit__actor="Actor (device key or member id)",
    audit__kind="Kind starts with",
    audit__since="From (YYYY-MM-DD)",
    audit__until="To (YYYY-MM-DD)",
    audit__filter="Filter",
    audit__none="No entry matches.",
    audit__row="#{pos} · {when} · {kind} · {name} ({role}) seq {seq}",
    audit__actor_for="for {actor}",
    audit__hash="hash {hash} · prev {prev}",
    audit__refused="refused: {code}",
    audit__page="Page {page}",
    audit__older="Older",
    audit__newest="Newest",
    # integrity
    integrity__start="Verify the whole log",
    integrity__signatures="Also verify every signature (slower)",
    integrity__idle="Not checked in this session yet.",
    integrity__running="Checking: {done} of {total} entries",
    integrity__ok="OK: {entries} entries, {forks} fork twins: hashes and chains as stored.",
    integrity__failed="FAILED: {problems} problems in {entries} entries.",
    integrity__problem="{code} · {author} seq {seq} · {detail}",
    integrity__forks="Forks",
    integrity__no_forks="No forks.",
    integrity__fork="{who}: fork at seq {seq}, {state}",
    integrity__twin="seq {seq} {hash} ({where})",
    integrity__main="main chain",
    integrity__evidence="evidence",
    integrity__fencing="Fencing evidence",
    integrity__no_fencing="No entry was fenced by a higher term.",
    integrity__fenced="{kind} by {name} seq {seq} at term {term} in {scope}: refused",
    integrity__fenced_by="fenced by term {term}, granted to {name} at seq {seq} ({hash})",
    # devices
    devices__title="Enrolled devices",
    devices__row="{name} · {role} · {status}",
    devices__key="key {device}",
    devices__this="this device",
    devices__revoked="revoked: {reason}, valid to seq {after}",
    devices__reason="Reason for revoking",
    devices__revoke="Revoke",
    devices__revoke_reason="Say why the device is revoked first.",
    devices__invite_title="Invite a device",
    devices__invite_name="New device's name",
    devices__invite_role="Role (foreman, employee, auditor, admin)",
    devices__invite="Make an invite",
    devices__invite_code="On the new device, with an empty data folder: chitnode join {code}",
    devices__invite_until="One use, until {until}. Share it in person.",
    devices__peers_title="Peers and sync",
    devices__not_serving="This process is not serving: no peers.",
    devices__peer="{address} · {via} · {state}",
    devices__connected_in="connected in: {peer}",
    devices__guard="Own feed: {state}",
    devices__leases_title="Leases",
    devices__no_leases=(
        "No scope has an electorate or a holder yet: the root admin's device holds all."
    ),
    devices__lease="{scope}: term {term}, {status} by {name}",
    devices__lease_none="{scope}: no holder yet",
    # leases: time left in words, and the hand-over before an offline meeting
    lease__left_h="{h} h {m} min left",
    lease__left_min="{m} min left",
    lease__left_s="{s} s left",
    lease__left_holder="time left: on the holder",
    lease__left_nobody="nobody writes for it",
    lease__refresh="Refresh leases",
    lease__why_no_election=(
        "Handing {scope} over needs the election of chitnode serve: open this screen "
        "in the app of the serve running on this device."
    ),
    lease__why_alone=(
        "Only one device may hold {scope}: add the foreman's laptop to its electorate "
        "first (chitnode lease electorate), then hand it over here."
    ),
    lease__why_not_here=(
        "This device does not hold {scope} now: the device holding it hands it over "
        "(its Devices screen, or chitnode lease transfer there)."
    ),
    lease__hand="Hand over for a meeting",
    lease__dialog="Hand {scope} to a laptop for an offline meeting",
    lease__to="To device",
    lease__for="Meeting length",
    lease__hours="{h} h",
    lease__dialog_note=(
        "This device stops writing for the group at once; the laptop holds it for the "
        "meeting's length, on the network or off it. Nobody else can be elected until "
        "that lease ends, even if the laptop is lost: afterwards, set the short lease again."
    ),
    lease__confirm="Hand over",
    lease__cancel="Cancel",
    lease__handed=(
        "{scope} handed to {name} for {h} h: it holds the group once the electorate "
        "confirms (its row here says so after a refresh)."
    ),
    # the monitor strip
    strip__ram="RAM {value}",
    strip__cpu="CPU {value}",
    strip__threads="threads {value}",
    strip__wal="WAL {value}",
    strip__held="held {value}",
    strip__leases="leases {value}",
    strip__peers="peers {value}",
    strip__sync="sync {value}",
)

STRINGS: dict[str, dict[str, str]] = {
    f"admin.{name.replace('__', '.')}": {"en": text} for name, text in _TEXTS.items()
}
STRINGS["error.bad_audit_filter"] = {
    "en": "A date in the filter is written as year-month-day, for example 2026-03-31."
}
