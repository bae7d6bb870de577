"""The foreman's home and group page view-models, read from the demo branch (built once).

The figures the home shows are the kernel's read models' (chit_views.group_health), the
lease states are the coordination tables', and the meeting day is the agreement's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views as views
from chitnode.node.node import Node
from tests.support.demo_branch import demo_branch
from ui import fmt, limits
from ui.backend import Reading, reading_of
from ui.vm import foreman as vm

RUNNING = "UDP-2025-07"  # month 7 of 20, one defaulter, late payers
SMALL = "BTL-2025-09"
FORMING = "MNG-2026-06"  # published, some holders signed
CLOSED = "KAR-2025-01"
DAY_MS = 86_400_000


@dataclass
class Demo:
    node: Node
    folder: Path
    summary: dict[str, Any]

    def reading(self, **changes: Any) -> Reading:
        return replace(reading_of(self.node, self.folder), **changes)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with demo_branch(tmp_path_factory) as branch:
        yield Demo(branch.node, branch.folder, branch.summary)


def local_ms(year: int, month: int, day: int) -> int:
    zone = fmt.zone(limits.APP_TIME_ZONE)
    return int(datetime(year, month, day, tzinfo=zone).timestamp() * 1000)


def test_home_names_the_branch_this_device_and_every_group(demo: Demo) -> None:
    home = vm.home(demo.reading())
    assert home.branch_name == "Mangaluru Demo Branch"
    assert home.device_role == "admin"  # the demo's root device
    assert home.device_key == demo.node.public
    assert {line.group_id for line in home.groups} == set(demo.summary["groups"])
    assert [line.status for line in home.groups][:2] == ["running", "running"]  # running first
    assert home.groups[-1].status == "closed"
    assert home.members == 40
    assert home.kyc_pending == demo.summary["kyc_pending"] == 4


def test_group_line_figures_are_the_kernels_health(demo: Demo) -> None:
    reading = demo.reading()
    line = vm.group_line(reading, RUNNING)
    health = views.group_health(reading.state, RUNNING)
    assert (line.month, line.months, line.months_done) == (7, 20, 6)
    assert line.pool_paise == health.pool_paise
    assert line.tickets_paid == health.tickets_paid and line.tickets == 20
    assert line.active_defaults == health.active_defaults == 1
    assert line.commission_earned_paise == health.commission_earned_paise > 0
    home = vm.home(reading)
    open_lines = [g for g in home.groups if g.status != "closed"]
    assert home.pool_total_paise == sum(g.pool_paise for g in open_lines)
    assert home.active_defaults == sum(g.active_defaults for g in home.groups)


def test_forming_group_counts_signatures(demo: Demo) -> None:
    line = vm.group_line(demo.reading(), FORMING)
    info = demo.summary["groups"][FORMING]
    assert line.status == "forming" and line.month == 0
    assert (line.signed, line.holders) == (info["signed"], 12)
    assert line.meeting == vm.MEETING_NONE


def test_lease_states_from_the_coordination_tables(demo: Demo) -> None:
    reading = demo.reading()
    state, me = reading.state, reading.device_key
    status, term = vm.lease_of(state, RUNNING, me)  # the demo's meetings took the lease
    assert status == vm.LEASE_HELD
    assert term == state.get("leases", f"group:{RUNNING}|{me}")["term"] >= 1
    assert vm.lease_of(state, FORMING, me) == (vm.LEASE_ON_DEMAND, 0)  # no meeting yet
    stranger = "ab" * 32
    assert vm.lease_of(state, RUNNING, stranger) == (vm.LEASE_NOT_ELECTOR, 0)
    assert vm.group_line(reading, RUNNING).lease == vm.LEASE_HELD


def test_meeting_day_is_the_agreements_day_on_or_after_the_month_start() -> None:
    group: dict[str, object] = {"month_starts_ms": [local_ms(2026, 3, 3)], "meeting_day": 5}
    assert vm.meeting_day_ms(group, 1) == local_ms(2026, 3, 5)
    group["month_starts_ms"] = [local_ms(2026, 3, 10)]  # past the 5th: next month's 5th
    assert vm.meeting_day_ms(group, 1) == local_ms(2026, 4, 5)
    group["month_starts_ms"] = [local_ms(2026, 12, 20)]  # over the year's end
    assert vm.meeting_day_ms(group, 1) == local_ms(2027, 1, 5)
    group["month_starts_ms"] = [local_ms(2026, 3, 5)]  # the day itself
    assert vm.meeting_day_ms(group, 1) == local_ms(2026, 3, 5)


def test_meeting_is_today_overdue_or_later_by_the_node_clock(demo: Demo) -> None:
    reading = demo.reading()
    group = base.group_row(reading.state, RUNNING)
    day = vm.meeting_day_ms(group, 7)
    assert vm.meeting_of(reading.state, group, day + 10 * 3_600_000) == (vm.MEETING_TODAY, day)
    assert vm.meeting_of(reading.state, group, day + 2 * DAY_MS) == (vm.MEETING_OVERDUE, day)
    assert vm.meeting_of(reading.state, group, day - 2 * DAY_MS) == (vm.MEETING_LATER, day)
    on_day = vm.home(demo.reading(now_ms=day + 3_600_000))
    assert RUNNING in on_day.meetings_today
    before = vm.home(demo.reading(now_ms=day - 3 * DAY_MS))
    assert RUNNING not in before.meetings_today
    closed = base.group_row(reading.state, CLOSED)
    assert vm.meeting_of(reading.state, closed, day) == (vm.MEETING_NONE, 0)


def test_group_page_gives_each_ticket_its_status(demo: Demo) -> None:
    reading = demo.reading()
    page = vm.group_page(reading, RUNNING)
    by_ticket = {t.ticket: t for t in page.tickets}
    assert len(by_ticket) == 20 and page.free_tickets == () and page.unsigned == ()
    defaulter = demo.summary["groups"][RUNNING]["defaulter_ticket"]
    assert by_ticket[defaulter].status == vm.DEFAULTED
    assert by_ticket[defaulter].arrears_paise > 0
    group = base.group_row(reading.state, RUNNING)
    for line in page.tickets:
        row = base.ticket_row(reading.state, RUNNING, line.ticket)
        assert line.arrears_paise == base.arrears_paise(group, row)
        assert line.name == reading.state.get(base.MEMBERS, line.member_id)["name"]
        if line.ticket == defaulter:
            continue
        if base.overdue_month(group, row, reading.now_ms):
            assert line.status == vm.IN_ARREARS
        elif line.arrears_paise:
            assert line.status == vm.DUE
        else:
            assert line.status == (vm.PRIZED if line.won_month else vm.PAID)
    assert {t.status for t in page.tickets} >= {vm.PRIZED, vm.DEFAULTED}
    assert page.first_instalment_paise == views.first_instalment_paise(reading.state, RUNNING)


def test_forming_group_page_shows_who_has_not_signed(demo: Demo) -> None:
    page = vm.group_page(demo.reading(), FORMING)
    signed = [t for t in page.tickets if t.signed]
    assert len(signed) == demo.summary["groups"][FORMING]["signed"]
    assert {t.status for t in signed} == {vm.SIGNED}
    assert {t.status for t in page.tickets if not t.signed} == {vm.PENDING}
    assert page.unsigned == tuple(sorted(t.member_id for t in page.tickets if not t.signed))
    assert len(page.agreement_hash) == 64


def test_unknown_group_is_refused_with_the_kernels_code(demo: Demo) -> None:
    from chitnode.errors import ChitError

    with pytest.raises(ChitError) as caught:
        vm.group_page(demo.reading(), "NO-SUCH-GROUP")
    assert caught.value.code == "unknown_group"


def test_pending_kyc_lists_masked_numbers_only(demo: Demo) -> None:
    from ui.vm import setup

    pending = setup.pending_kyc(demo.reading().state)
    assert [p.member_id for p in pending] == ["M037", "M038", "M039", "M040"]
    for item in pending:
        assert item.pan_masked.startswith("XXXXX") and item.phone_masked.startswith("XXXXXX")


def test_ticket_status_names_the_worst_that_is_true() -> None:
    start = local_ms(2026, 3, 1)
    group: dict[str, object] = {
        "status": "running",
        "settled": 1,
        "months": 10,
        "instalments_paise": [1000, 900],
        "month_starts_ms": [start - 30 * DAY_MS, start],
        "grace_days": 7,
    }
    ticket: dict[str, object] = {
        "ticket": 3,
        "paid_paise": 1000,
        "won_month": 1,
        "won_extra_due_paise": 0,
    }

    def status(now_ms: int, **kw: bool) -> str:
        flags = {"signed": True, "defaulted": False, **kw}
        return vm.ticket_status(group, ticket, now_ms, **flags)

    assert status(start + DAY_MS) == vm.DUE  # prized, but month 2 is owed: that comes first
    assert status(start + 8 * DAY_MS) == vm.IN_ARREARS  # past the grace days
    assert status(start + DAY_MS, defaulted=True) == vm.DEFAULTED
    ticket["paid_paise"] = 1900
    assert status(start + 8 * DAY_MS) == vm.PRIZED
    ticket["won_month"] = 0
    assert status(start + 8 * DAY_MS) == vm.PAID
    group["status"] = "forming"
    assert status(start, signed=False) == vm.PENDING
    assert status(start) == vm.SIGNED


def test_every_lease_state_from_hand_made_coordination_tables() -> None:
    from chitnode.domain.state import State

    me, other, root = "aa" * 32, "bb" * 32, "cc" * 32
    scope = "group:G"
    state = State(tables={"branch": {"branch": {"root": root}}})
    assert vm.lease_of(state, "G", root) == (vm.LEASE_ON_DEMAND, 0)  # the root alone elects
    assert vm.lease_of(state, "G", me) == (vm.LEASE_NOT_ELECTOR, 0)
    state.tables["electorates"] = {scope: {"keys": sorted([me, other]), "lease_ms": 60_000}}
    assert vm.lease_of(state, "G", me) == (vm.LEASE_ELECTION, 0)  # no term granted yet
    state.tables["grants"] = {f"{scope}|1": {"holder": other, "seq": 3}}
    state.tables["leases"] = {f"{scope}|{other}": {"term": 1, "status": "held", "seq": 3}}
    assert vm.lease_of(state, "G", me) == (vm.LEASE_ELSEWHERE, 0)
    assert vm.lease_of(state, "G", other) == (vm.LEASE_HELD, 1)
    state.tables["grants"][f"{scope}|2"] = {"holder": me, "seq": 9}
    state.tables["leases"][f"{scope}|{me}"] = {"term": 2, "status": "held", "seq": 9}
    assert vm.lease_of(state, "G", me) == (vm.LEASE_HELD, 2)
    assert vm.lease_of(state, "G", other) == (vm.LEASE_ELSEWHERE, 0)  # its term 1 is stale
    state.tables["leases"][f"{scope}|{me}"]["status"] = "released"  # nobody holds it now
    assert vm.lease_of(state, "G", me) == (vm.LEASE_ELECTION, 0)
    assert vm.lease_of(state, "G", root) == (vm.LEASE_NOT_ELECTOR, 0)


def test_group_page_lists_each_month_drawn_with_its_settlement(demo: Demo) -> None:
    """A group's page has its months (issue 13: 'its months, auctions, prizes and dues'):
    newest first, each the fold's settlement row in words and figures."""
    reading = demo.reading()
    page = vm.group_page(reading, RUNNING)
    group = base.group_row(reading.state, RUNNING)
    settled = base.settlement_rows(reading.state, group)
    assert [m.month for m in page.months] == sorted(
        (int(r["month"]) for r in settled), reverse=True
    )
    for line, row in zip(reversed(page.months), settled, strict=True):
        assert line.winner_ticket == int(row["winner_ticket"])
        assert line.prize_paise == int(row["prize_paise"])
        assert line.discount_paise == int(row["discount_paise"])
        assert line.dividend_paise == int(row["per_ticket_dividend_paise"])
        assert line.prize_paid == bool(row["prize_paid"])
    assert vm.group_page(reading, FORMING).months == ()
