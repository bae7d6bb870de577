"""The printable reports (issue 13) on the demo branch: each one printed by the CLI as PDF
and CSV, the PDF's text read back with pypdf and checked for the figures and for the
verification footer on every page, the CSV parsed and its sums checked against the balance
sheet and the folded tables; bad arguments and unwritable paths refused cleanly."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from chitnode.cli.main import main
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views as views
from chitnode.domain.money import format_inr
from chitnode.node.node import Node
from chitnode.services import report_tables as rt
from tests.support.demo_branch import DEMO_BRANCH_NAME, demo_branch

RUNNING, CLOSED, LIEN = "UDP-2025-07", "KAR-2025-01", "BRH-2026-02"
BORROWER = "M005"  # holds a ticket in KAR and in BRH, won both, borrowed against the BRH one
REPORTS: dict[str, tuple[str, ...]] = {
    "members": (),
    "loans": (),
    "defaults": (),
    "passbook": (BORROWER,),
    "closure": (CLOSED,),
    "minutes": (RUNNING, "3"),
}


@dataclass
class Printed:
    folder: Path
    out: Path
    status: dict[str, object]  # `chitnode status --json` after printing

    def pdf_pages(self, name: str) -> list[str]:
        return [page.extract_text() for page in PdfReader(self.out / f"{name}.pdf").pages]

    def pdf_text(self, name: str) -> str:
        return "\n".join(self.pdf_pages(name))

    def csv(self, name: str) -> dict[str, list[dict[str, str]]]:
        return rt.read_csv((self.out / f"{name}.csv").read_text(encoding="utf-8"))


def cli(*argv: str | Path) -> int:
    try:
        return main([str(a) for a in argv])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Printed]:
    """The demo branch, closed, then every report printed from it by the CLI."""
    with demo_branch(tmp_path_factory) as branch:
        folder = branch.folder
    out = tmp_path_factory.mktemp("printed")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
        mp.setenv("CHITNODE_KEYSTORE", "file")
        for name, args in REPORTS.items():
            status = cli("--data", folder, "report", name, *args,
                         "--csv", out / f"{name}.csv", "--pdf", out / f"{name}.pdf")  # fmt: skip
            assert status == 0, name
        assert cli("--data", folder, "report", "balance-sheet", "--csv", out / "bs.csv") == 0
        assert cli("--data", folder, "report", "balance-sheet", "--pdf", out / "bs.pdf") == 0
        with Node.open(folder) as node:
            status_now = node.status()
    yield Printed(folder, out, status_now)


@pytest.fixture
def node(printed: Printed) -> Iterator[Node]:
    with Node.open(printed.folder) as opened:
        yield opened


def balance_sheet_csv(printed: Printed) -> dict[str, int]:
    """account -> paise from `report balance-sheet --csv` (the existing flat format)."""
    rows = list(csv.DictReader(io.StringIO((printed.out / "bs.csv").read_text())))
    accounts = {r["account"]: int(r["balance_paise"]) for r in rows if r["group"] != "TOTAL"}
    assert sum(v for a, v in accounts.items() if a != "subtotal") == 0  # G1
    return {a: v for a, v in accounts.items() if a != "subtotal"}


def paise(value: str) -> int:
    return int(value) if value else 0


def column_total(rows: list[dict[str, str]], key: str) -> tuple[int, int]:
    """(sum of the rows' `key`, the Total row's `key`)."""
    body = [r for r in rows if next(iter(r.values())) != "Total"]
    total = [r for r in rows if next(iter(r.values())) == "Total"]
    return sum(paise(r[key]) for r in body), paise(total[0][key]) if total else 0


# --- the PDFs ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*REPORTS, "bs"])
def test_every_page_has_the_branch_its_number_and_the_nodes_hashes(
    printed: Printed, name: str
) -> None:
    pages = printed.pdf_pages(name)
    heads = printed.status["heads"]
    assert isinstance(heads, dict)
    # the fingerprint as docs/reports.md tells an auditor to compute it from `status --json`
    lines = "".join(f"{a} {h['seq']} {h['hash']}\n" for a, h in sorted(heads.items()))
    fingerprint = hashlib.sha256(lines.encode()).hexdigest()
    for number, text in enumerate(pages, start=1):
        assert DEMO_BRANCH_NAME in text
        assert f"Page {number} of {len(pages)}" in text
        assert f"State digest {printed.status['state_digest']}" in text
        assert f"Log fingerprint {fingerprint}" in text
    last = pages[-1]
    for author, head in heads.items():  # every feed's head in full on the last page
        assert author in last and head["hash"] in last


def test_the_fingerprint_command_prints_what_the_footer_shows(
    printed: Printed, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert cli("--data", printed.folder, "report", "fingerprint", "--json") == 0
    found = json.loads(capsys.readouterr().out)
    assert found["state_digest"] == printed.status["state_digest"]
    assert found["heads"] == printed.status["heads"]
    assert f"Log fingerprint {found['log_fingerprint']}" in printed.pdf_text("members")


def test_the_balance_sheet_pdf_shows_every_account_in_rupees(printed: Printed) -> None:
    text = printed.pdf_text("bs")
    for account, balance in balance_sheet_csv(printed).items():
        assert account in text
        assert format_inr(balance) in text  # ₹ and Indian grouping: "₹12,10,700.00"
    assert "₹12,10,700.00" in text  # the running group's pool, grouped in lakhs
    assert "Balanced" in text


def test_the_passbook_pdf_shows_months_prizes_loans_and_emis(printed: Printed, node: Node) -> None:
    text = printed.pdf_text("passbook")
    report = rt.passbook(node.engine.state, BORROWER)
    for title in ("Instalments", "Prizes", "Loans", "EMI schedule"):
        assert title in text
    for row in report.table("Instalments").rows:  # every month's net due and paid, as printed
        assert format_inr(int(row[5])) in text and format_inr(int(row[6])) in text
    prize = node.engine.state.get(base.SETTLEMENTS, base.month_key(LIEN, 4))
    assert prize is not None and format_inr(int(prize["loans_netted_paise"])) in text
    assert "L-BRH-1" in text and "₹3,450.97" in text  # the loan and its EMI


@pytest.mark.parametrize("name", ["members", "loans", "defaults", "closure", "minutes"])
def test_each_pdf_shows_its_tables_totals_and_facts(
    printed: Printed, node: Node, name: str
) -> None:
    text = printed.pdf_text(name)
    state = node.engine.state
    report = {
        "members": lambda: rt.member_list(state),
        "loans": lambda: rt.loan_portfolio(state),
        "defaults": lambda: rt.default_summary(state, node.clock.now_ms()),
        "closure": lambda: rt.closure_statement(state, CLOSED),
        "minutes": lambda: rt.certified_minutes(state, RUNNING, 3),
    }[name]()
    assert report.title in text
    for label, value in report.facts:
        if label != "As of":  # the day the CLI printed it
            assert label in text and value in text, (label, value)
    for table in report.tables:
        assert table.title in text
        for row in (table.total,) if table.total and table.rows else ():
            for column, value in zip(table.columns, row, strict=True):
                if column.money:
                    assert format_inr(int(value)) in text, (table.title, column.key)


def test_the_minutes_are_certified_with_the_attested_hash(printed: Printed, node: Node) -> None:
    text = printed.pdf_text("minutes")
    attested = node.engine.state.get(base.MINUTES, base.month_key(RUNNING, 3))
    assert attested is not None and attested["complete"]
    assert attested["minutes_hash"] == views.minutes_hash(node.engine.state, RUNNING, 3)
    assert text.count(attested["minutes_hash"]) == 2  # recomputed, and as attested
    assert "Certified yes" in text.replace(":", "")


# --- the CSVs ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(REPORTS))
def test_each_csv_total_row_is_the_sum_of_its_rows(printed: Printed, name: str) -> None:
    for title, rows in printed.csv(name).items():
        for key in rows[0] if rows else ():
            if key.endswith("_paise") and any(next(iter(r.values())) == "Total" for r in rows):
                summed, total = column_total(rows, key)
                if not (name == "passbook" and key == "arrears_paise"):  # arrears: owed now
                    assert summed == total, (name, title, key)


def test_loans_and_members_csv_agree_with_the_balance_sheet(printed: Printed) -> None:
    sheet = balance_sheet_csv(printed)
    receivable = sum(v for a, v in sheet.items() if a.startswith("loan:"))
    wallets = sum(v for a, v in sheet.items() if a.startswith("wallet:"))
    assert column_total(printed.csv("loans")["Loans"], "outstanding_paise")[1] == receivable
    members = printed.csv("members")["Members"]
    assert column_total(members, "loans_outstanding_paise")[1] == receivable
    assert column_total(members, "wallet_paise")[1] == wallets
    assert len(members) == 40 + 1  # every member, and the total row


def test_the_closure_csv_balances_to_the_paisa_against_the_books(
    printed: Printed, node: Node
) -> None:
    sheet = balance_sheet_csv(printed)
    tables = printed.csv("closure")
    tickets, months = tables["Tickets"], tables["Months"]
    paid_in = column_total(tickets, "paid_in_paise")[1]
    prizes = column_total(tickets, "prize_paise")[1]
    refunds = column_total(tickets, "refund_paise")[1]
    commission = column_total(months, "commission_paise")[1]
    assert column_total(months, "prize_paise")[1] == prizes
    assert commission == sheet[base.commission_account(CLOSED)]  # the foreman earned this
    assert paid_in - prizes - commission - refunds == 0  # nothing left in the pool
    assert sheet.get(base.pool_account(CLOSED), 0) == 0
    closeout = node.engine.state.get(base.CLOSEOUTS, CLOSED)
    assert closeout is not None and paid_in == closeout["total_paid_in_paise"]


def test_passbooks_of_a_running_group_add_up_to_its_accounts(printed: Printed, node: Node) -> None:
    """Everything the group's passbooks say was paid in, less the prizes they say were won,
    is what the balance sheet holds in the group's pool, commission and dividend."""
    state = node.engine.state
    group = base.group_row(state, RUNNING)
    holders = sorted(base.holders(state, group))
    paid = prizes = 0
    for member_id in holders:
        report = rt.passbook(state, member_id)
        months = report.table("Instalments")
        paid += sum(int(r[6]) for r in months.rows if r[0] == RUNNING)
        # the whole prize: what a winner chose to leave as future dues is "paid" above
        prizes += sum(int(r[4]) for r in report.table("Prizes").rows if r[0] == RUNNING)
    sheet = balance_sheet_csv(printed)
    held = sum(sheet.get(f(RUNNING), 0) for f in
               (base.pool_account, base.commission_account, base.dividend_account))  # fmt: skip
    assert paid - prizes == held
    # and the CLI's passbook CSV is the same passbook
    csv_rows = printed.csv("passbook")["Instalments"]
    report = rt.passbook(state, BORROWER)
    assert column_total(csv_rows, "paid_paise")[1] == sum(
        int(r[6]) for r in report.table("Instalments").rows
    )


def test_passbook_months_net_is_gross_less_share_and_arrears_end_at_the_tickets(
    node: Node,
) -> None:
    state = node.engine.state
    for member_id in ("M024", "M011", BORROWER):  # in notice, in arrears on 2 groups, clean
        report = rt.passbook(state, member_id)
        rows = report.table("Instalments").rows
        for _g, _t, _m, gross, share, net, _paid, _arrears in rows:
            assert int(gross) - int(share) == int(net)
        for ticket in views.member_dues(state, member_id):
            mine = [r for r in rows if r[0] == ticket.group_id and r[1] == ticket.ticket]
            assert int(mine[-1][7]) == ticket.arrears_paise
            assert sum(int(r[5]) for r in mine) == ticket.due_to_date_paise
        total = report.table("Instalments").total
        assert total is not None
        assert int(total[7]) == sum(t.arrears_paise for t in views.member_dues(state, member_id))
    assert rt.passbook(state, "M024").table("Instalments").total[7] > 0  # type: ignore[index]


# --- the command line ----------------------------------------------------------------------


def test_without_a_file_the_report_prints_as_text(
    printed: Printed, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert cli("--data", printed.folder, "report", "closure", CLOSED) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Closure statement of {CLOSED}") and "₹19,30,060.00" in out


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (("passbook", "M999"), "unknown_member"),
        (("closure", "NOPE"), "unknown_group"),
        (("closure", RUNNING), "incomplete_group"),  # months remain: no closure yet
        (("minutes", "NOPE", "1"), "unknown_group"),
        (("minutes", RUNNING, "19"), "auction_not_closed"),
        (("minutes", RUNNING, "21"), "bad_month"),  # a 20-month group
    ],
)
def test_an_unknown_member_or_group_exits_1_with_its_code(
    printed: Printed,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: tuple[str, ...],
    code: str,
) -> None:
    capsys.readouterr()
    pdf = tmp_path / "r.pdf"
    assert cli("--data", printed.folder, "report", *argv, "--pdf", pdf) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"chitnode: error [{code}]: ") and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize(
    "argv",
    [
        ("minutes", RUNNING, "0"),
        ("minutes", RUNNING, "three"),
        ("minutes", RUNNING),
        ("passbook",),
        ("members", "--pdf"),
        ("members", "extra"),
        ("ledger",),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    printed: Printed, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    capsys.readouterr()
    assert cli("--data", printed.folder, "report", *argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
    assert captured.err.startswith("chitnode: error [usage]: ")


def test_a_pdf_is_replaced_whole_or_not_at_all(
    printed: Printed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "members.pdf"
    target.write_bytes(b"an older report")
    assert cli("--data", printed.folder, "report", "members", "--pdf", target) == 0
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["members.pdf"]  # no .part left
    taken = tmp_path / "taken"  # a folder where the file should go: the rename fails
    taken.mkdir()
    (taken / "keep").write_text("untouched")
    capsys.readouterr()
    assert cli("--data", printed.folder, "report", "members", "--pdf", taken) == 1
    assert capsys.readouterr().err.startswith("chitnode: error [report_write_failed]: ")
    assert (taken / "keep").read_text() == "untouched"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["members.pdf", "taken"]
    missing = tmp_path / "no-such-folder" / "r.csv"
    assert cli("--data", printed.folder, "report", "members", "--csv", missing) == 1
    assert not missing.parent.exists()


def test_an_auditor_gets_the_footers_fingerprint_from_the_export_alone(
    printed: Printed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    export = tmp_path / "branch.chitlog"
    assert cli("--data", printed.folder, "export", export) == 0
    capsys.readouterr()
    assert cli("report", "fingerprint", "--export", export, "--json") == 0  # no --data
    found = json.loads(capsys.readouterr().out)
    assert found["heads"] == printed.status["heads"]
    assert f"Log fingerprint {found['log_fingerprint']}" in printed.pdf_pages("passbook")[0]
    lines = export.read_bytes().split(b"\n")
    lines[5] = lines[5].replace(b'"kind":"', b'"kind":"x', 1)  # an entry edited after export
    tampered = tmp_path / "tampered.chitlog"
    tampered.write_bytes(b"\n".join(lines))
    assert cli("report", "fingerprint", "--export", tampered) == 1
    assert capsys.readouterr().out.startswith(f"FAILED: {tampered} does not verify")


def test_a_forked_exports_fingerprint_is_its_main_chains(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A copy of the root's data folder writes seq 3 again: the root holds a fork, and its
    export carries the twin as evidence; the fingerprint still names the main chain's head."""
    root, copy = tmp_path / "root", tmp_path / "copy"
    assert cli("--data", root, "init", "--branch-name", "Udupi Branch") == 0
    shutil.copytree(root, copy)
    for folder, byte, name in ((root, "01", "Asha"), (root, "03", "Chetan"), (copy, "02", "Bindu")):
        assert cli("--data", folder, "enrol", byte * 32, "--role", "member", "--name", name) == 0
    assert cli("--data", copy, "export", tmp_path / "copy.chitlog") == 0
    assert cli("--data", root, "import", tmp_path / "copy.chitlog") == 0
    export = tmp_path / "root.chitlog"
    assert cli("--data", root, "export", export) == 0
    capsys.readouterr()
    assert cli("--data", root, "report", "fingerprint", "--json") == 0
    node_view = json.loads(capsys.readouterr().out)
    assert cli("report", "fingerprint", "--export", export, "--json") == 0
    captured = capsys.readouterr()
    assert "1 fork(s) as evidence" in captured.err
    found = json.loads(captured.out)
    assert found["heads"] == node_view["heads"]
    assert found["log_fingerprint"] == node_view["log_fingerprint"]
    (head,) = found["heads"].values()
    assert head["seq"] == 4  # the root's own line, past the twin at seq 3
