"""The back office's view-models over the demo branch (built once for the module).

Tests that write open their own copy of the branch (`branch`), so none sees another's
writes. Every rule read here is the kernel's: the tests check the screen says what the
kernel decides, and that the commands the screens build are the ones the kernel takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from chitnode.domain import bank_kinds as bank
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import loan_views as lv
from chitnode.domain import recovery as fsm
from chitnode.domain.limits import BULK_APPROVE_MAX
from chitnode.domain.state import State
from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.services import kyc_vault, staff_key
from chitnode.store.bank_outbox import Attempt
from chitnode.store.mail_outbox import Mail, Outbox, PermanentFailure
from tests.support.clock import FakeClock
from tests.support.demo_branch import DemoBranch, closed_demo, open_copy
from ui import fmt, limits
from ui.backend import Reading, reading_of
from ui.vm import office as vm

DAY_MS = 86_400_000
BORROWER = "M012"  # KYC approved, pays in the running group UDP-2025-07
RUNNING = "UDP-2025-07"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DemoBranch:
    return closed_demo(tmp_path_factory)


@pytest.fixture
def branch(built: DemoBranch, tmp_path: Path) -> Iterator[tuple[Node, Path]]:
    """A copy of the demo branch of this test's own, a minute after the demo ended."""
    folder = tmp_path / "node"
    node = open_copy(built, folder)
    try:
        yield node, folder
    finally:
        node.close()


def reading(node: Node, folder: Path, **changes: object) -> Reading:
    return replace(reading_of(node, folder), **changes)


def submit(node: Node, command: vm.Command) -> None:
    kind, body = command
    receipt = node.submit(kind, body)
    assert receipt.status == "applied", receipt


# --- KYC ------------------------------------------------------------------------------------


def test_kyc_queue_lists_pending_members_oldest_first_masked(branch: tuple[Node, Path]) -> None:
    node, folder = branch
    queue = vm.kyc_queue(reading(node, folder))
    members = node.engine.state.rows(base.MEMBERS)
    pending = [m for m in members.values() if m["kyc"] == base.KYC_SUBMITTED]
    assert queue.pending == len(pending) == 4
    assert [r.member_id for r in queue.rows] == sorted(
        (m["member_id"] for m in pending),
        key=lambda mid: (members[mid]["kyc_submitted_ms"], mid),
    )
    first = queue.rows[0]
    row = members[first.member_id]
    assert (first.pan, first.bank_account) == (row["pan_masked"], row["bank_account_masked"])
    assert first.pan.startswith("XXXXX") and first.bank_account.startswith("XXXXXXXX")
    assert dict(first.documents)["pan"] and not dict(first.documents)["sealed"]
    assert not first.full_shown and first.hidden_code == ""  # nobody asked
    assert queue.may_decide  # the demo node is the root admin


def test_full_values_only_for_a_staff_device_holding_the_key(branch: tuple[Node, Path]) -> None:
    node, folder = branch
    key = staff_key.ensure_staff_key(node)
    submit(node, ("member.registered", {"member_id": "M901", "name": "Sealed Person"}))
    masked, sealed = kyc_vault.seal_kyc(key, "ABCDE1234F", "123456789012", "9876543210")
    body = {"member_id": "M901", "name": "Sealed Person", **masked, "sealed": sealed}
    submit(node, ("kyc.submitted", body))

    def row(**kw: object) -> vm.KycRow:
        queue = vm.kyc_queue(reading(node, folder, **kw), reveal="M901", load_key=lambda: key)
        return next(r for r in queue.rows if r.member_id == "M901")

    shown = row()
    assert (shown.pan, shown.bank_account, shown.phone) == (
        "ABCDE1234F",
        "123456789012",
        "9876543210",
    )
    assert shown.full_shown and not shown.mismatch and dict(shown.documents)["sealed"]
    auditor = row(device_role="auditor")
    assert not auditor.full_shown and auditor.hidden_code == "not_staff"
    assert auditor.pan == "XXXXX1234F"
    plain = vm.kyc_queue(reading(node, folder), reveal="M901")  # no key loader: no key
    hidden = next(r for r in plain.rows if r.member_id == "M901")
    assert hidden.hidden_code == "key_unavailable" and hidden.pan == "XXXXX1234F"


def test_bulk_approve_is_one_entry_and_the_queue_empties(branch: tuple[Node, Path]) -> None:
    node, folder = branch
    ids = [r.member_id for r in vm.kyc_queue(reading(node, folder)).rows]
    commands = vm.approve_kyc([*ids, ids[0]])  # ticked twice: approved once
    assert commands == [("kyc.approved", {"member_ids": ids})]
    before = node.store.count()
    submit(node, commands[0])
    assert node.store.count() == before + 1
    assert vm.kyc_queue(reading(node, folder)).pending == 0
    many = vm.approve_kyc([f"M{i:04d}" for i in range(BULK_APPROVE_MAX + 1)])
    assert [len(body["member_ids"]) for _, body in many] == [BULK_APPROVE_MAX, 1]
    assert vm.approve_kyc(["M037"]) == [("kyc.approved", {"member_id": "M037"})]


def test_reject_needs_a_reason_the_kernel_refuses_without(branch: tuple[Node, Path]) -> None:
    node, folder = branch
    mid = vm.kyc_queue(reading(node, folder)).rows[0].member_id
    kind, body = vm.reject_kyc(mid, "   ")
    with pytest.raises(ChitError) as refused:
        node.submit(kind, body)
    assert refused.value.code == "note_required"
    submit(node, vm.reject_kyc(mid, " PAN photo unreadable "))
    assert node.engine.state.get(base.MEMBERS, mid)["kyc_reason"] == "PAN photo unreadable"
    assert mid not in [r.member_id for r in vm.kyc_queue(reading(node, folder)).rows]


def test_an_employee_device_may_decide_kyc_but_not_sanction(branch: tuple[Node, Path]) -> None:
    node, folder = branch
    employee = reading(node, folder, device_role="employee")
    assert vm.kyc_queue(employee).may_decide
    assert vm.may(employee, "loan.approved") and not vm.may(employee, "loan.sanctioned")
    assert not vm.may(employee, "treasury.funded")
    assert not vm.may(reading(node, folder, device_role="auditor"), "kyc.approved")


# --- loans ----------------------------------------------------------------------------------


def apply_loan(node: Node, loan_id: str, member: str, rupees: int) -> None:
    body = {
        "loan_id": loan_id,
        "member_id": member,
        "amount_paise": rupees * 100,
        "tenure_months": 6,
        "purpose": "seeds",
        "actor": member,
    }
    submit(node, ("loan.applied", body))


def test_loan_inbox_oldest_first_with_age_eligibility_risk_and_bankers(
    branch: tuple[Node, Path],
) -> None:
    node, folder = branch
    clock = node.clock
    assert isinstance(clock, FakeClock)
    apply_loan(node, "L-OLD", BORROWER, 40_000)
    clock.advance(3 * DAY_MS)
    apply_loan(node, "L-NEW", "M013", 30_000)
    apply_loan(node, "L-KYC", "M037", 5_000)  # KYC still waits: not eligible
    clock.advance(DAY_MS)
    inbox = vm.loan_inbox(reading(node, folder))
    assert inbox.waiting == 3
    ids = [c.loan_id for c in inbox.cards]
    assert ids.index("L-OLD") < ids.index("L-NEW")  # oldest first (small loans boosted)
    old = next(c for c in inbox.cards if c.loan_id == "L-OLD")
    assert old.age_days == 4 and old.amount == fmt.rupees(40_000_00)
    assert old.member_name and old.status == lv.APPLIED
    assert {p.name for p in old.risk_parts} == {
        "payment_history",
        "arrears",
        "prized",
        "outstanding_loans",
    }
    assert old.risk_total == sum(p.points for p in old.risk_parts)
    assert old.actions == ("loan.approved", "loan.rejected")
    kyc = next(c for c in inbox.cards if c.loan_id == "L-KYC")
    assert not kyc.eligible and kyc.eligibility_code == "kyc_not_approved"
    assert kyc.recommendation == "reject"
    state = node.engine.state
    code, words = lv.sanction_check(state, "L-OLD", old.pool, 40_000_00)
    assert (old.bankers_code, old.bankers_words, old.bankers_ok) == (code, words, code == "granted")
    assert old.pools[0] == "treasury"


def _card(node: Node, folder: Path, loan_id: str, **pools: str) -> vm.LoanCard:
    inbox = vm.loan_inbox(
        reading(node, folder), pools={k.replace("_", "-"): v for k, v in pools.items()}
    )
    return next(c for c in inbox.cards if c.loan_id == loan_id)


def test_loan_moves_through_approve_sanction_disburse(branch: tuple[Node, Path]) -> None:
    node, folder = branch
    apply_loan(node, "L-T1", BORROWER, 5_000)
    assert _card(node, folder, "L-T1").eligible
    submit(node, vm.loan_command("loan.approved", "L-T1", reason=" paid on time "))
    card = _card(node, folder, "L-T1")
    assert card.status == lv.APPROVED and card.actions == ("loan.sanctioned", "loan.rejected")
    empty = next(p for p in card.pools if p.startswith("group:"))
    dry = _card(node, folder, "L-T1", L_T1=empty)
    assert dry.pool == empty and not dry.bankers_ok  # the group's cash is its prizes'
    with pytest.raises(ChitError) as refused:
        node.submit(*vm.loan_command("loan.sanctioned", "L-T1", pool=empty))
    assert refused.value.code == dry.bankers_code and "must wait" in dry.bankers_words
    submit(node, ("treasury.funded", {"amount_paise": 1_00_000_00, "bank_ref": "NEFT-F1"}))
    card = _card(node, folder, "L-T1", L_T1="treasury")
    assert card.pool == "treasury" and card.bankers_ok and card.bankers_code == "granted"
    kind, body = vm.loan_command("loan.sanctioned", "L-T1", pool=card.pool)
    assert body == {"loan_id": "L-T1", "scope": "treasury"}  # the node adds the lease's term
    submit(node, (kind, body))
    card = _card(node, folder, "L-T1")
    assert card.status == lv.SANCTIONED and card.pools == ("treasury",) and card.bankers_ok
    assert card.actions == ("loan.disbursed", "loan.rejected")
    command = vm.loan_command("loan.disbursed", "L-T1", pool=card.pool, ref=" NEFT-9 ")
    assert command[1] == {"loan_id": "L-T1", "scope": "treasury", "bank_ref": "NEFT-9"}
    submit(node, command)
    assert node.engine.state.get(lv.LOANS, "L-T1")["status"] == lv.ACTIVE
    assert "L-T1" not in [c.loan_id for c in vm.loan_inbox(reading(node, folder)).cards]


# --- recovery -------------------------------------------------------------------------------


def test_recovery_board_has_seven_columns_with_the_kernels_cases(
    branch: tuple[Node, Path],
) -> None:
    node, folder = branch
    board = vm.recovery_board(reading(node, folder))
    assert [c.stage for c in board.columns] == [s.value for s in fsm.Stage]
    open_rows = [r for r in node.engine.state.rows(base.RECOVERIES).values() if not r["closed"]]
    for row in open_rows:
        column = next(c for c in board.columns if c.stage == row["stage"])
        card = next(
            c for c in column.cards if (c.group_id, c.ticket) == (row["group_id"], row["ticket"])
        )
        allowed = fsm.LEGAL_TRANSITIONS[fsm.Stage(row["stage"])]
        assert set(card.moves) == {s.value for s in allowed}
        assert card.member_name
    notice = next(c for c in board.columns if c.stage == "notice").cards
    assert notice and notice[0].days_late > 0 and notice[0].overdue.startswith("₹")
    missed = next(c for c in board.columns if c.stage == "missed").cards
    assert any(c.stage == vm.NO_CASE and c.moves == () for c in missed)
    closed = [c for col in board.columns[-2:] for c in col.cards]
    assert all(c.moves == () for c in closed)


def test_a_card_moves_one_legal_step_and_a_skip_is_refused(branch: tuple[Node, Path]) -> None:
    node, folder = branch
    board = vm.recovery_board(reading(node, folder))
    card = next(c for c in board.columns if c.stage == "notice").cards[0]
    with pytest.raises(ChitError) as refused:
        node.submit(*vm.move_case(card.group_id, card.ticket, "legal", "skip ahead"))
    assert refused.value.code == "illegal_transition"
    submit(node, vm.move_case(card.group_id, card.ticket, "follow_up", " called twice "))
    board = vm.recovery_board(reading(node, folder))
    follow = next(c for c in board.columns if c.stage == "follow_up").cards
    assert (card.group_id, card.ticket) in [(c.group_id, c.ticket) for c in follow]
    moved = next(c for c in follow if (c.group_id, c.ticket) == (card.group_id, card.ticket))
    assert moved.moves == ("legal", "resolved")


def test_a_default_without_a_case_opens_from_the_missed_column(branch: tuple[Node, Path]) -> None:
    node, folder = branch
    board = vm.recovery_board(reading(node, folder))
    waiting = [c for c in board.columns[0].cards if c.stage == vm.NO_CASE and c.days_late > 0]
    card = waiting[0]
    submit(node, vm.open_case(card.group_id, card.ticket, "phoned, no answer"))
    board = vm.recovery_board(reading(node, folder))
    opened = next(
        c for c in board.columns[0].cards if (c.group_id, c.ticket) == (card.group_id, card.ticket)
    )
    assert opened.stage == "missed" and opened.moves == ("contacted", "resolved")


def test_deadline_is_the_acts_for_a_removed_ticket() -> None:
    removed = _case(removed_ms=1_000, notice_ms=None)
    assert vm._deadline(removed) == ("notice", fsm.notice_due_ms(1_000))
    noticed = _case(removed_ms=1_000, notice_ms=5_000)
    assert vm._deadline(noticed) == ("reinstate", fsm.reinstatement_deadline_ms(5_000))
    assert vm._deadline(_case(removed_ms=None, notice_ms=None)) == ("", None)


def _case(*, removed_ms: int | None, notice_ms: int | None) -> vm.default_views.DefaultCase:
    reinstate = fsm.reinstatement_deadline_ms(notice_ms) if notice_ms is not None else None
    return vm.default_views.DefaultCase(
        group_id="G",
        ticket=1,
        member_id="M1",
        prized=False,
        recovery_stage="notice",
        arrears_paise=100,
        penalty_due_paise=0,
        removed_ms=removed_ms,
        notice_due_ms=fsm.notice_due_ms(removed_ms) if removed_ms is not None else None,
        registrar_filing_due_ms=(
            fsm.registrar_filing_due_ms(removed_ms) if removed_ms is not None else None
        ),
        notice_ms=notice_ms,
        reinstatement_deadline_ms=reinstate,
        substitution_from_ms=None,
        removal_lapsed=False,
        demand_ms=None,
        demanded_paise=0,
    )


# --- bank and mail --------------------------------------------------------------------------


class _Refusing:
    def send(self, mail: Mail) -> None:
        raise PermanentFailure("550 no such mailbox")


def test_bank_desk_shows_tries_and_settles_by_hand(branch: tuple[Node, Path]) -> None:
    node, folder = branch
    body = bank.request_body("DEP-T1", BORROWER, 2_500_00, withdrawal=False)
    submit(node, (bank.DEPOSIT_REQUESTED, body))
    submit(
        node,
        (bank.DEPOSIT_REQUESTED, bank.request_body("DEP-T2", BORROWER, 100_00, withdrawal=False)),
    )
    now = node.clock.now_ms()
    tries = {"DEP-T1": Attempt("DEP-T1", 3, now + 60_000, now, "503 bank busy")}
    desk = vm.bank_desk(reading(node, folder), tries)
    assert desk.pending == 2 and desk.may_settle
    first = next(r for r in desk.requests if r.request_id == "DEP-T1")
    assert (first.attempts, first.last_answer, first.amount) == (3, "503 bank busy", "₹2,500")
    assert first.next_try and first.member_name and first.direction == bank.DEPOSIT
    second = next(r for r in desk.requests if r.request_id == "DEP-T2")
    assert (second.attempts, second.last_answer, second.next_try) == (0, "", "")
    r = reading(node, folder)
    with pytest.raises(ChitError):  # a settlement without the bank's reference
        node.submit(*vm.close_by_hand(r, "DEP-T1", settle=True, text="  "))
    submit(node, vm.close_by_hand(r, "DEP-T1", settle=True, text=" UTR-123 "))
    submit(node, vm.close_by_hand(r, "DEP-T2", settle=False, text="account closed"))
    assert vm.bank_desk(reading(node, folder), tries).pending == 0
    with pytest.raises(KeyError):
        vm.close_by_hand(r, "NO-SUCH", settle=True, text="X")
    row = node.engine.state.get(bank.REQUESTS, "DEP-T1")
    assert row is not None and row["bank_ref"] == "UTR-123"


def test_mail_outbox_rows_sent_waiting_failed_and_why(tmp_path: Path) -> None:
    outbox = Outbox.in_folder(tmp_path)
    try:
        outbox.enqueue(Mail("k1", "a@example.org", "Receipt", "paid"), 1_000)
        outbox.enqueue(Mail("k2", "b@example.org", "Notice", "due"), 2_000)
        outbox.deliver_due(2_000, _Refusing())
        rows = outbox.recent(limits.MAIL_ROWS_SHOWN)
        counts = {s: outbox.count(s) for s in ("sent", "pending", "failed")}
    finally:
        outbox.close()
    assert [r.key for r in rows] == ["k2", "k1"]  # newest first
    empty = Reading(
        state=State(),
        now_ms=3_000,
        branch_id="b",
        branch_name="B",
        device_role="employee",
        device_key="",
        folder=tmp_path,
    )
    desk = vm.bank_desk(empty, {}, rows, counts)
    assert dict(desk.mail_counts) == {"sent": 0, "pending": 0, "failed": 2}
    assert all(m.status == "failed" and "550 no such mailbox" in m.why for m in desk.mails)


# --- activity -------------------------------------------------------------------------------


def test_activity_is_newest_first_filtered_and_paged(branch: tuple[Node, Path]) -> None:
    node, folder = branch
    latest = node.store.latest_placed(limits.ACTIVITY_SCAN_MAX)
    page = vm.activity(latest)
    assert page.scanned == len(latest) and page.matched == len(latest)
    assert len(page.rows) == limits.ACTIVITY_PAGE_ROWS
    assert page.rows[0].kind == latest[-1].kind  # newest first
    last = vm.activity(latest, page=10**6)  # past the end: the last page
    assert last.page == last.pages - 1 and last.rows
    recovery = vm.activity(latest, vm.ActivityFilter(kind_prefix="recovery."))
    assert recovery.matched and all(r.kind.startswith("recovery.") for r in recovery.rows)
    group = vm.activity(latest, vm.ActivityFilter(group_id=RUNNING))
    assert group.matched and all(r.group_id == RUNNING for r in group.rows)
    member = vm.activity(latest, vm.ActivityFilter(member_id=BORROWER))
    assert member.matched and all(BORROWER in (r.member_id, r.actor_id) for r in member.rows)
    names = vm.activity(latest, names=vm.actor_names(reading(node, folder)))
    assert names.rows[0].actor == vm.ROOT_NAME  # the demo's last entry is the root's
    attested = vm.activity(
        latest,
        vm.ActivityFilter(kind_prefix="minutes.attested"),
        names=vm.actor_names(reading(node, folder)),
    )
    assert any(r.actor.endswith(f"({r.actor_id})") for r in attested.rows)  # a member, named
    none = vm.activity(latest, vm.ActivityFilter(kind_prefix="no.such."))
    assert (none.matched, none.rows, none.pages) == (0, (), 1)
