"""Money reports: a member's statement (text and CSV) and the branch balance sheet."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from chitnode.cli import main as cli
from chitnode.domain import loan_views as lv
from chitnode.node.node import Node
from chitnode.services import reports
from tests.support.clock import FakeClock
from tests.support.driver import DAY_MS, ChitDriver
from tests.support.loans import (
    GID,
    LAKH,
    THOUSAND,
    apply,
    disburse,
    emi_due,
    fund,
    make_branch,
    repay,
    sanctioned,
)

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def busy_branch(driver: ChitDriver) -> tuple[str, str]:
    """Month 1 drawn and its prize paid (dues deducted); a non-prized member borrows and repays.

    Returns (the prize winner, the borrower).
    """
    driver.clock.advance(20 * DAY_MS)
    driver.auction(GID)
    driver.attest(GID, 1)
    driver.secure(GID, 1, deduction=True)
    assert driver.pay_prizes(GID) == [1]
    winner = str(driver.settlement(GID, 1)["winner_member"])
    borrower = next(m for m in ("M1", "M2") if m != winner)
    fund(driver, 2 * LAKH)
    sanctioned(driver, "L-1", borrower, 50 * THOUSAND)
    disburse(driver, "L-1", 20 * THOUSAND)
    disburse(driver, "L-1")
    emi_due(driver, "L-1")
    repay(driver, "L-1", 2 * THOUSAND)
    apply(driver, "L-2", borrower, 5 * THOUSAND)
    return winner, borrower


@pytest.fixture
def branch(fresh_node: Node, clock: FakeClock) -> ChitDriver:
    return make_branch(fresh_node, clock)


def test_statement_lists_every_money_event_with_its_entry_hash(branch: ChitDriver) -> None:
    _, borrower = busy_branch(branch)
    statement = reports.member_statement(branch.node, borrower)
    kinds = [line.kind for line in statement.lines]
    assert kinds == [
        "contribution.recorded",
        "loan.applied",
        "loan.approved",
        "loan.sanctioned",
        "loan.disbursed",
        "loan.disbursed",
        "loan.emi_due",
        "loan.repaid",
        "loan.applied",
    ]
    money = [(line.kind, line.amount_paise) for line in statement.lines if line.amount_paise]
    assert ("contribution.recorded", -125 * THOUSAND) in money
    assert ("loan.disbursed", 20 * THOUSAND) in money and ("loan.disbursed", 30 * THOUSAND) in money
    assert ("loan.repaid", -2 * THOUSAND) in money
    applied = {
        str(r[0]): str(r[1])
        for r in branch.node.store.conn.execute(
            "SELECT hash, kind FROM entries WHERE status = 'applied'"
        )
    }
    assert all(applied[line.ref] == line.kind for line in statement.lines)
    assert [line.ts_ms for line in statement.lines] == sorted(
        line.ts_ms for line in statement.lines
    )
    repaid = next(line for line in statement.lines if line.kind == "loan.repaid")
    assert "interest ₹" in repaid.description and repaid.account == "loan L-1"


def test_the_winners_statement_shows_the_prize_and_the_dues_kept_back(branch: ChitDriver) -> None:
    winner, _ = busy_branch(branch)
    settled = branch.settlement(GID, 1)
    lines = [
        line
        for line in reports.member_statement(branch.node, winner).lines
        if line.kind == "prize.paid"
    ]
    assert lines[0].amount_paise == settled["prize_paise"]
    assert lines[1].amount_paise == -settled["withheld_paise"] < 0
    assert lines[0].ref == lines[1].ref  # one entry: the prize and the deduction receipt
    assert sum(line.amount_paise for line in lines) == settled["paid_paise"]  # cash handed over


def test_statement_text_uses_rupees_and_csv_uses_paise(branch: ChitDriver) -> None:
    _, borrower = busy_branch(branch)
    statement = reports.member_statement(branch.node, borrower)
    text = reports.statement_text(statement)
    assert f"Statement of Member {borrower} ({borrower})" in text
    assert "-₹1,25,000.00" in text and "+₹20,000.00" in text
    assert re.search(r"\[ref [0-9a-f]{12}\]", text)
    out = io.StringIO()
    assert reports.write_statement_csv(statement, out) == len(statement.lines)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == reports.STATEMENT_CSV_FIELDS
    assert [int(r["amount_paise"]) for r in rows] == [line.amount_paise for line in statement.lines]
    assert all(HEX64.match(r["ref"]) for r in rows)
    assert rows[0]["kind"] == "contribution.recorded" and rows[0]["amount_paise"] == "-12500000"
    assert rows[0]["date_utc"].startswith("2026-01-01T")
    total = sum(int(r["amount_paise"]) for r in rows)
    assert total == statement.credits_paise - statement.debits_paise


def test_a_wallet_move_appears_once(branch: ChitDriver) -> None:
    pytest.importorskip("chitnode.domain.wallet_kinds")
    body = {"member_id": "M1", "amount_paise": 3 * THOUSAND, "cmd_id": "dep-1", "note": "cash"}
    branch.submit("wallet.deposited_cash", body)
    fund(branch, LAKH)
    sanctioned(branch, "L-1", "M1", 10 * THOUSAND)
    branch.submit("loan.disbursed", {"loan_id": "L-1", "scope": "treasury", "to": "wallet"})
    lines = reports.member_statement(branch.node, "M1").lines
    wallet = [(line.kind, line.amount_paise) for line in lines if line.amount_paise > 0]
    assert wallet == [("wallet.deposited_cash", 3 * THOUSAND), ("loan.disbursed", 10 * THOUSAND)]


def test_balance_sheet_groups_every_account_and_sums_to_zero(branch: ChitDriver) -> None:
    busy_branch(branch)
    sheet = reports.balance_sheet(branch.state)
    assert sheet.balanced and sheet.total_paise == 0 and sheet.negative == ()
    groups = {g.heading: g for g in sheet.groups}
    assert set(groups) >= {
        "Group pools and dividends",
        "Foreman's commission",
        "Treasury",
        "Loans receivable",
        "External (contra accounts)",
    }
    outstanding = lv.account_of(lv.loan_row(branch.state, "L-1")).outstanding_paise
    assert groups["Loans receivable"].accounts == (("loan:L-1", outstanding),)
    assert groups["Treasury"].total_paise == branch.state.balance(lv.TREASURY_CASH)
    accounts = [a for g in sheet.groups for a, _ in g.accounts]
    assert len(accounts) == len(set(accounts))  # each account in exactly one group
    text = reports.balance_sheet_text(sheet)
    assert "Loans receivable" in text and "Balanced" in text and "-₹2,00,000.00" in text
    out = io.StringIO()
    written = reports.write_balance_sheet_csv(sheet, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == reports.BALANCE_CSV_FIELDS
    detail = [r for r in rows[1:] if r[1] not in ("subtotal", "")]
    assert len(detail) == written == len(accounts)
    assert sum(int(r[2]) for r in detail) == 0
    assert rows[-1] == ["TOTAL", "", "0"]
    subtotals = {r[0]: int(r[2]) for r in rows if r[1] == "subtotal"}
    assert subtotals["Loans receivable"] == outstanding


def test_report_and_inbox_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    data = tmp_path / "n"
    with Node.init(data, "Test", clock=clock) as node:
        _, borrower = busy_branch(make_branch(node, clock))
    assert cli.main(["report", "statement", borrower, "--data", str(data)]) == 0
    assert "+₹30,000.00" in capsys.readouterr().out
    target = tmp_path / "statement.csv"
    args = ["report", "statement", borrower, "--csv", str(target), "--data", str(data)]
    assert cli.main(args) == 0
    assert "Wrote 9 lines" in capsys.readouterr().out
    assert target.read_text().startswith(",".join(reports.STATEMENT_CSV_FIELDS))
    assert cli.main(["report", "balance-sheet", "--data", str(data)]) == 0
    assert "Balanced" in capsys.readouterr().out
    sheet = tmp_path / "bs.csv"
    assert cli.main(["report", "balance-sheet", "--csv", str(sheet), "--data", str(data)]) == 0
    assert sheet.read_text().splitlines()[-1] == "TOTAL,,0"
    assert cli.main(["report", "statement", "M99", "--data", str(data)]) == 1
    assert "unknown_member" in capsys.readouterr().err
    assert cli.main(["loans", "inbox", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "L-2" in out and "APPROVE" in out
    assert "may be funded from: " in out  # s.14: which groups' money, or the treasury only
