"""The admin's view-models over the demo branch (tests/support/demo_branch.py): the figures
are checked against the fold's own tables and the printable reports, the audit pages
against the store's listing, the commands against what `chitnode revoke` writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chitnode.domain import chit_kinds_base as base
from chitnode.domain.state import Put, State
from chitnode.log.records import Problem
from chitnode.services import report_tables as tables
from chitnode.store.api import EntryFilter, StoredEntry
from tests.support.demo_branch import DemoBranch, demo_branch
from ui.backend import Reading, reading_of
from ui.vm import admin as vm

PAGE = 7


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBranch]:
    with demo_branch(tmp_path_factory) as branch:
        yield branch


@pytest.fixture
def reading(demo: DemoBranch) -> Reading:
    return reading_of(demo.node, demo.folder)


def test_dashboard_figures_are_the_folds(reading: Reading) -> None:
    state = reading.state
    d = vm.dashboard(reading)
    running = [g for g, row in state.rows(base.GROUPS).items() if row["status"] == base.RUNNING]
    assert running, "the demo has running groups"
    assert d.total_pool_paise == sum(state.balance(base.pool_account(g)) for g in running)
    holders = {
        str(t["member_id"])
        for g in running
        for t in base.ticket_rows(state, base.group_row(state, g))
    }
    assert d.active_members == len(holders) > 0
    assert d.tickets == sum(int(state.rows(base.GROUPS)[g]["tickets"]) for g in running)
    assert d.default_rate_bp == d.defaults * vm.BASIS_POINTS // d.tickets
    loans = tables.loan_portfolio(state).tables[0]
    assert d.loans_outstanding_paise == sum(int(c) for c in loans.column("outstanding_paise"))
    collected = sum(
        int(row["amount_paise"])
        for row in state.rows(base.CONTRIBUTIONS).values()
        if row["source"] == "payment" and vm.month_of(int(row["ts_ms"])) == d.month
    )
    assert d.collections_this_month_paise == collected
    assert d.trend and max(b.share for b in d.trend) == 1.0
    months = [b.label for b in d.trend]
    assert months == sorted(months)


def test_bars_are_shares_of_the_highest() -> None:
    got = vm.bars(("2026-01", "2026-02", "2026-03"), (50, 200, 0))
    assert [(b.label, b.paise, b.share) for b in got] == [
        ("2026-01", 50, 0.25),
        ("2026-02", 200, 1.0),
        ("2026-03", 0, 0.0),
    ]
    assert vm.bars((), ()) == ()
    assert vm.percent(1234) == "12.34%" and vm.percent(5) == "0.05%"


def _page(demo: DemoBranch, r: Reading, match: EntryFilter) -> vm.AuditPage:
    rows = demo.node.store.latest_placed(PAGE + 1, match)
    return vm.audit_page(r, rows[::-1], PAGE)


def test_audit_pages_walk_back_through_the_log(demo: DemoBranch, reading: Reading) -> None:
    first = _page(demo, reading, vm.entry_filter(vm.AuditFilter()))
    assert len(first.rows) == PAGE and first.next_before is not None
    second = _page(demo, reading, vm.entry_filter(vm.AuditFilter(), first.next_before))
    newest = demo.node.store.latest_placed(2 * PAGE)[::-1]
    assert [r.hash for r in first.rows + second.rows] == [e.hash for e in newest]
    assert [r.pos for r in first.rows + second.rows] == sorted(
        (r.pos for r in first.rows + second.rows), reverse=True
    )
    root = first.rows[0]
    assert root.role and root.seq > 0 and len(root.hash) == 64


def test_audit_filters_by_kind_prefix_actor_and_dates(demo: DemoBranch, reading: Reading) -> None:
    page = _page(demo, reading, vm.entry_filter(vm.AuditFilter(kind_prefix="member.")))
    assert page.rows and all(r.kind.startswith("member.") for r in page.rows)
    some = page.rows[0]
    date = datetime.fromtimestamp(some.ts_ms / 1000, tz=UTC)
    one_day = vm.AuditFilter(
        kind_prefix="member.",
        since=date.strftime("%Y-%m-%d"),
        until=date.strftime("%Y-%m-%d"),
    )
    dated = _page(demo, reading, vm.entry_filter(one_day))
    assert some.hash in {r.hash for r in dated.rows}
    assert all(abs(r.ts_ms - some.ts_ms) < vm.DAY_MS for r in dated.rows)
    by_actor = _page(demo, reading, vm.entry_filter(vm.AuditFilter(actor=some.author)))
    assert by_actor.rows and all(some.author in (r.author, r.actor) for r in by_actor.rows)
    with pytest.raises(vm.BadAuditFilter) as bad:
        vm.entry_filter(vm.AuditFilter(since="31/03/2026"))
    assert bad.value.code == "bad_audit_filter"


def test_the_last_audit_page_says_so(reading: Reading) -> None:
    rows = [
        StoredEntry(
            "a" * 64, n, "h" * 64, "0" * 64, n, "member.registered", "", "", n, "applied", ""
        )
        for n in (3, 2, 1)
    ]
    page = vm.audit_page(reading, rows, PAGE)
    assert len(page.rows) == 3 and page.next_before is None


def test_devices_and_the_revocation_chitnode_revoke_writes(
    demo: DemoBranch, reading: Reading
) -> None:
    data = vm.devices(reading)
    assert data.may_manage  # the demo runs on its root admin's device
    enrolled = reading.state.rows("devices")
    root, *others = data.devices
    assert (root.name, root.role, root.this_device) == ("root admin", "admin", True)
    assert {d.key for d in others} == set(enrolled)
    some = others[0]
    heads = demo.node.store.placed_heads()
    kind, body = vm.revoke_command(some.key, "  lost phone ", heads)
    assert kind == "device.revoked"
    assert body == {
        "key": some.key,
        "reason": "lost phone",
        "after_seq": heads.get(some.key, (0, ""))[0],
    }


def test_monitor_figures_and_serve_gauges(reading: Reading) -> None:
    gauges = vm.Gauges(
        rss_bytes=64 * 1_048_576,
        cpu_percent=12.4,
        threads=9,
        wal_entries=1234,
        held_entries=2,
        peers_connected=None,
        sync_state="",
    )
    m = vm.monitor(reading, gauges)
    assert (m.ram_mb, m.cpu, m.threads, m.wal_entries, m.held_entries) == (
        "64 MB",
        "12%",
        9,
        1234,
        2,
    )
    assert m.peers == "—" and m.sync == "—"
    assert m.leases_held == vm.leases_held(reading.state, reading.device_key) >= 0
    fields = {
        "connected_in": ["k1", "k2"],
        "links": [
            {"address": "10.0.0.2:7000", "via": "lan", "state": "connected", "peer": "k2"},
            {"address": "10.0.0.3:7000", "via": "lan", "state": "dialling", "peer": None},
        ],
        "guard": {"state": "caught_up"},
    }
    assert vm.serve_gauges(fields) == (2, "caught_up")
    assert vm.serve_gauges(None) == (None, "")


def test_broken_entries_and_progress() -> None:
    found = vm.broken([Problem("bad_hash", 4, "ab" * 32, "its text was changed")])
    assert found == (vm.Broken("bad_hash", "ab" * 32, 4, "its text was changed"),)
    assert vm.progress(0, 10) == 0.0 and vm.progress(5, 10) == 0.5
    assert vm.progress(12, 10) == 1.0 and vm.progress(0, 0) == 1.0


def test_fencing_pairs_a_stale_term_refusal_with_the_grant_that_fenced_it() -> None:
    old, new = "a" * 64, "b" * 64
    state = State()
    state.apply(
        [
            Put("devices", old, {"name": "Laptop", "role": "foreman", "status": "active"}),
            Put("devices", new, {"name": "Desk", "role": "foreman", "status": "active"}),
            Put("grants", "group:G1|1", {"holder": old, "seq": 3}),
            Put("grants", "group:G1|2", {"holder": new, "seq": 8}),
        ]
    )
    refused = StoredEntry(
        old, 9, "c" * 64, "d" * 64, 1, "auction.closed", old, "", 40, "rejected", "stale_term"
    )
    other = refused._replace(seq=10, code="not_lease_holder")
    hashes = {(new, 8): "e" * 64}
    found = vm.fencing(
        state,
        [(refused, {"scope": "group:G1", "term": 1}), (other, {"scope": "group:G1", "term": 1})],
        lambda author, seq: hashes.get((author, seq)),
    )
    assert found == (
        vm.Fenced(
            scope="group:G1",
            term=1,
            author=old,
            author_name="Laptop",
            seq=9,
            hash="c" * 64,
            kind="auction.closed",
            by_term=2,
            by_holder=new,
            by_holder_name="Desk",
            by_seq=8,
            by_hash="e" * 64,
        ),
    )
