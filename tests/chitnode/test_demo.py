"""`chitnode demo`: a realistic branch with groups at three stages, built by the kernel's rules."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode.cli.main import main
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views as views
from chitnode.domain import default_views as board
from chitnode.domain import defaults
from chitnode.domain import loan_views as lv
from chitnode.errors import ChitError, StoreCorrupt
from chitnode.node.node import Node
from chitnode.services.demo import build_demo, run_demo
from chitnode.store.sqlite import DB_FILE, SCHEMA_VERSION
from tests.support.clock import FakeClock

FINISHED, RUNNING, FORMING = "KAR-2025-01", "UDP-2025-07", "MNG-2026-06"
ON_TOP = "KUN-2025-04"  # issue 14, points 5 and 6
LIEN = "BRH-2026-02"  # issue 14, point 4: a group-funded loan netted from the prize
DEFAULTS = "BTL-2025-09"  # issue 14, points 3 and 7


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, dict[str, object]]]:
    """One demo branch for the module (tests only read it, or refuse commands)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
        mp.setenv("CHITNODE_KEYSTORE", "file")
        clock = FakeClock()
        with Node.init(tmp_path_factory.mktemp("demo") / "node", "Demo", clock=clock) as node:
            yield node, build_demo(node, clock, random.Random(2026))


def test_demo_has_groups_at_three_stages(demo: tuple[Node, dict[str, object]]) -> None:
    node, summary = demo
    state = node.engine.state
    groups = summary["groups"]
    assert isinstance(groups, dict)
    assert {gid: info["stage"] for gid, info in groups.items()} == {
        FINISHED: "closed",
        RUNNING: "running",
        FORMING: "forming",
        ON_TOP: "closed",
        LIEN: "closed",
        DEFAULTS: "running",
    }
    assert {base.group_row(state, gid)["status"] for gid in groups} == {
        base.CLOSED,
        base.RUNNING,
        base.FORMING,
    }
    assert node.status()["rejected"] == 0


def test_demo_running_group_has_history_late_payers_and_a_default(
    demo: tuple[Node, dict[str, object]],
) -> None:
    node, _ = demo
    state = node.engine.state
    health = views.group_health(state, RUNNING)
    assert (health.months_done, health.month, health.prized) == (6, 7, 6)
    assert health.active_defaults == 1 and health.tickets_unpaid >= 1
    assert health.collected_this_month_paise > 0
    [case] = views.recovery_cases(state, RUNNING)
    assert case.stage == "notice" and case.arrears_now_paise > 0
    assert case.reinstatement_deadline_ms is not None
    auctions = [a for a in state.rows(base.AUCTIONS).values() if a["group_id"] == RUNNING]
    assert any(a["bids"] for a in auctions), "live bids were taken"
    partial = [r for r in state.rows(base.CONTRIBUTIONS).values() if r["note"] == "part payment"]
    assert partial, "some members paid in parts"
    dues = views.member_dues(state, base.ticket_row(state, RUNNING, 1)["member_id"])
    assert len([d for d in dues if d.group_id == RUNNING]) == 2  # one member, two tickets


def test_demo_finished_group_closed_out_to_the_paisa(demo: tuple[Node, dict[str, object]]) -> None:
    node, _ = demo
    state = node.engine.state
    report = views.closeout_report(state, FINISHED)
    out = report.total_prizes_paise + report.total_commission_paise
    assert report.total_due_paise == out + report.final_dividend_cash_paise
    books = views.group_books(state, FINISHED)
    assert books["pool"] == 0 and books["dividend"] == 0
    assert books["commission"] == report.total_commission_paise
    assert views.balances_total_paise(state) == 0 and views.negative_accounts(state) == []


def test_demo_forming_group_awaits_signatures(demo: tuple[Node, dict[str, object]]) -> None:
    node, _ = demo
    group = base.group_row(node.engine.state, FORMING)
    assert group["agreement_hash"] == base.terms_hash(group)
    with pytest.raises(ChitError) as info:
        node.submit("group.started", {"group_id": FORMING})
    assert info.value.code == "signatures_missing"


def test_demo_people_devices_and_masked_kyc(demo: tuple[Node, dict[str, object]]) -> None:
    node, summary = demo
    state = node.engine.state
    devices = summary["devices"]
    assert isinstance(devices, dict)
    for role in ("foreman", "employee"):
        device = state.get("devices", str(devices[role]))
        assert device is not None and (device["role"], device["status"]) == (role, "active")
    members = state.rows(base.MEMBERS).values()
    assert len(members) == 40 and sum(m["kyc"] == base.KYC_SUBMITTED for m in members) == 4
    for member in members:
        assert member["pan_masked"].startswith("XXXXX")
        assert member["bank_account_masked"].startswith("XXXX")
        assert " " in member["name"]  # first name and surname


def test_demo_replays_to_the_same_digest(demo: tuple[Node, dict[str, object]]) -> None:
    node, summary = demo
    assert node.engine.digest() == summary["state_digest"]
    with node.store.transaction():
        node.engine.rebuild()
    assert node.engine.digest() == summary["state_digest"]


def test_run_demo_founds_a_branch_in_a_folder(tmp_path: Path) -> None:
    lines = run_demo(tmp_path / "demo", seed=11)
    assert any(line.startswith(f"{FINISHED}: closed") for line in lines)
    assert any(line.startswith(f"{FORMING}: forming") for line in lines)
    with Node.open(tmp_path / "demo") as node:
        status = node.status()
    assert status["branch_name"] == "Mangaluru Demo Branch" and status["rejected"] == 0


def _stamp_schema(folder: Path, version: str) -> None:
    """Make the store in `folder` claim another schema, as one written by another release."""
    db = sqlite3.connect(folder / DB_FILE)
    with db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    db.close()


def test_an_older_demo_store_is_refused_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Schema 4 renamed body fields to say their units: a schema-3 store cannot be folded."""
    assert SCHEMA_VERSION == "4"
    folder = tmp_path / "old-demo"
    Node.init(folder, "Old demo", clock=FakeClock()).close()
    _stamp_schema(folder, "3")
    with pytest.raises(StoreCorrupt) as info:
        Node.open(folder)
    assert info.value.code == "store_corrupt"
    assert "older chitnode (schema 3" in info.value.message
    assert f"chitnode --data {folder} demo" in info.value.message
    assert main(["--data", str(folder), "status"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("chitnode: error [store_corrupt]: this store was written by an older")
    with sqlite3.connect(folder / DB_FILE) as db:  # refused, not migrated or rewritten
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            "3",
        )


def test_a_store_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    Node.init(folder, "From the future", clock=FakeClock()).close()
    _stamp_schema(folder, "5")
    with pytest.raises(StoreCorrupt) as info:
        Node.open(folder)
    assert info.value.message == "this store has schema 5; this chitnode reads only schema 4"


def test_demo_on_top_group_draws_lots_at_no_discount_and_reserves_the_prize(
    demo: tuple[Node, dict[str, object]],
) -> None:
    """Issue 14: on top, no agreed minimum, so lot months settle at zero discount (point 6);
    a group-funded loan is refused `prize_reserved` while the month-1 prize is unpaid (5)."""
    node, summary = demo
    state = node.engine.state
    groups = summary["groups"]
    assert isinstance(groups, dict)
    info = groups[ON_TOP]
    assert info["loan_against_unpaid_prize"] == "prize_reserved"
    settlements = base.settlement_rows(state, base.group_row(state, ON_TOP))
    assert [int(s["discount_paise"]) for s in settlements] == [0, 0, 0, 0]
    assert {int(s["prize_paise"]) for s in settlements} == {40_000_00}
    assert all(s["prize_paid"] for s in settlements)
    assert lv.loan_row(state, "L-KUN-1")["status"] == lv.REJECTED
    assert lv.loan_row(state, "L-KUN-1")["tranches"] == []  # never disbursed


def test_demo_defaulters_group_removes_substitutes_refunds_and_charges_interest(
    demo: tuple[Node, dict[str, object]],
) -> None:
    """Issue 14 points 3 and 7: a late instalment paid with penalty interest; a defaulter
    removed, noticed and replaced, refunded from the separate account; a re-entry; a demand."""
    node, summary = demo
    state = node.engine.state
    groups = summary["groups"]
    assert isinstance(groups, dict)
    info = groups[DEFAULTS]
    assert state.balance(defaults.penalty_account(DEFAULTS)) > 0  # interest and the deduction
    back = base.ticket_row(state, DEFAULTS, int(info["reinstated_ticket"]))
    assert back["removal"] is None and back["removals"][0]["reinstated_ms"]
    assert back["penalty_paid_paise"] == back["penalty_accrued_paise"] > 0
    ticket = base.ticket_row(state, DEFAULTS, int(info["substituted_ticket"]))
    assert len(ticket["holders"]) == 2 and ticket["removals"][0]["substituted_ms"]
    [refund] = [r for r in state.rows(defaults.REFUNDS).values() if r["group_id"] == DEFAULTS]
    assert refund["refunded_paise"] == refund["refundable_paise"] > 0
    assert refund["deduction_paise"] == 3_000_00  # 5% of the ₹60,000 chit value
    assert state.balance(defaults.defaulters_account(DEFAULTS)) == 0
    demanded = base.ticket_row(state, DEFAULTS, int(info["demand_on_ticket"]))
    [case] = board.recovery_board(state, demanded["demand"]["demand_ms"], DEFAULTS).cases
    assert case.prized and case.demand_ms is not None and case.demanded_paise > 0
    assert case.ticket == info["demand_on_ticket"]


def test_demo_nets_a_group_funded_loan_from_its_tickets_prize(
    demo: tuple[Node, dict[str, object]],
) -> None:
    """Issue 14, point 4: a loan of the group's money to its last non-prized subscriber,
    secured on the ticket (s.14), is settled from that ticket's prize (the lien)."""
    node, summary = demo
    state = node.engine.state
    groups = summary["groups"]
    assert isinstance(groups, dict)
    loan = lv.loan_row(state, "L-BRH-1")
    assert loan["pool"] == f"group:{LIEN}" and loan["status"] == lv.CLOSED
    lien = loan["lien"]
    settled = state.get(base.SETTLEMENTS, base.month_key(LIEN, 4))
    assert settled is not None and settled["winner_ticket"] == lien["ticket"]
    [netted] = settled["loans_netted"]
    assert netted["loan_id"] == "L-BRH-1" and netted["principal_paise"] == loan["amount_paise"]
    assert netted["interest_paise"] > 0  # interest run from the loan to the prize
    assert settled["paid_paise"] == settled["prize_paise"] - netted["amount_paise"]
    closeout = state.get(base.CLOSEOUTS, LIEN)
    assert closeout is not None
    assert sum(closeout["loan_interest_paise"].values()) == netted["interest_paise"]
    assert state.balance(lv.group_interest_account(LIEN)) == 0  # shared at close-out
    info = groups[LIEN]
    assert info["stage"] == "closed" and info["loan"] == f"L-BRH-1 on ticket {lien['ticket']}"
