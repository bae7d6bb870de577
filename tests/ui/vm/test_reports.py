"""The reports screen's view-model over the demo branch (built once for the module): the
report each choice names is the CLI's own, and the kernel's refusals come through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chitnode.domain import chit_kinds_base as base
from chitnode.errors import ChitError
from chitnode.services import report_tables as rt
from tests.support.demo_branch import DemoBranch, demo_branch
from ui import i18n
from ui.backend import Reading, reading_of
from ui.vm import reports as vm

RUNNING, CLOSED, BORROWER = "UDP-2025-07", "KAR-2025-01", "M005"
WHEN_MS = 1_780_000_000_000  # 2026-05-28 20:26:40 UTC


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBranch]:
    with demo_branch(tmp_path_factory) as branch:
        yield branch


@pytest.fixture
def reading(demo: DemoBranch) -> Reading:
    return reading_of(demo.node, demo.folder)


def test_every_report_has_a_title_in_the_catalogue() -> None:
    assert [k.name for k in vm.KINDS] == [
        "members",
        "loans",
        "defaults",
        "balance-sheet",
        "passbook",
        "closure",
        "minutes",
    ]
    for kind in vm.KINDS:
        assert i18n.t("en", kind.title_key)
    for fmt in vm.FORMATS:
        assert i18n.t("en", f"reports.format.{fmt}")


def test_each_choice_builds_the_same_report_as_the_cli(reading: Reading) -> None:
    state = reading.state
    expected = {
        vm.Choice("members"): rt.member_list(state),
        vm.Choice("loans"): rt.loan_portfolio(state),
        vm.Choice("defaults"): rt.default_summary(state, reading.now_ms),
        vm.Choice("balance-sheet"): rt.balance_sheet(state),
        vm.Choice("passbook", member_id=f" {BORROWER} "): rt.passbook(state, BORROWER),
        vm.Choice("closure", group_id=CLOSED): rt.closure_statement(state, CLOSED),
        vm.Choice("minutes", group_id=RUNNING, month="3"): rt.certified_minutes(state, RUNNING, 3),
    }
    for choice, report in expected.items():
        assert vm.build(reading, choice) == report


def test_refusals_keep_the_kernels_codes(reading: Reading) -> None:
    months = int(base.group_row(reading.state, RUNNING)["months"])
    refused = {
        vm.Choice("passbook", member_id="M999"): "unknown_member",
        vm.Choice("closure", group_id="NOPE"): "unknown_group",
        vm.Choice("closure", group_id=RUNNING): "incomplete_group",
        vm.Choice("minutes", group_id=RUNNING, month="three"): "bad_month",
        vm.Choice("minutes", group_id=RUNNING, month=str(months)): "auction_not_closed",
        vm.Choice("ledger"): "unknown_report",
    }
    for choice, code in refused.items():
        with pytest.raises(ChitError) as caught:
            vm.build(reading, choice)
        assert caught.value.code == code, choice
        assert i18n.error_text("en", code) != code  # said in words on the banner


def test_file_names_say_what_and_when() -> None:
    assert vm.file_name(vm.Choice("balance-sheet"), WHEN_MS) == "balance-sheet-20260528-202640.pdf"
    passbook = vm.Choice("passbook", member_id="M005", fmt=vm.CSV)
    assert vm.file_name(passbook, WHEN_MS) == "passbook-M005-20260528-202640.csv"
    minutes = vm.Choice("minutes", group_id=RUNNING, month=" 3", fmt=vm.PDF)
    assert vm.file_name(minutes, WHEN_MS) == f"minutes-{RUNNING}-m3-20260528-202640.pdf"
    # whatever is typed, the name stays one file inside the folder
    odd = vm.Choice("passbook", member_id="../../etc/x", fmt="exe")
    name = vm.file_name(odd, WHEN_MS)
    assert "/" not in name and name.endswith(".pdf") and name.startswith("passbook-.._.._etc_x")
