"""Group set-up and member enrolment: forms, the preview, and the whole flow on a real node.

The flow test runs create -> tickets -> agreement -> signatures (each member's own
session through the Backend and the gate) -> start with the commands the view-model
builds, and the kernel judging every one of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nacl.utils
import pytest
import pytest_asyncio

from chitnode.domain import chit_kinds_base as base
from chitnode.domain.chit_rules import CommissionMode, FirstMonth, settle
from chitnode.errors import ChitError, RuleViolation
from chitnode.node.node import Node, Receipt
from chitnode.services import kyc_vault, staff_key
from sync.invite.pins import PinBook, make_verifier
from tests.support.clock import FakeClock
from ui.auth import set_member_pin
from ui.backend import Backend, Reading, reading_of
from ui.gate import Who
from ui.vm import setup

STAFF_WHO = Who("staff", name="Foreman")
RULES = {"state": "Karnataka", "discount_ceiling_bps": 4_000, "source": "test"}
LAKH_FORM = setup.GroupForm(
    group_id="UDP-2026-01",
    name="Udupi 1 lakh",
    chit_value="1,00,000",
    tickets="20",
    commission_pct="5",
    max_discount_pct="30",
    bid_increment="100",
    meeting_day="5",
)
PAN, ACCOUNT, PHONE = "ABCDE1234F", "123456789012", "9876543210"


def reading(node: Node, folder: Path) -> Reading:
    return reading_of(node, folder)


@pytest.fixture
def branch(tmp_path: Path, clock: FakeClock) -> Any:
    folder = tmp_path / "node"
    node = Node.init(folder, "Test Branch", clock=clock)
    node.submit("branch.chit_rules_set", RULES)
    yield node, folder
    node.close()


# --- the form ------------------------------------------------------------------------------


def test_group_body_reads_rupees_percent_and_counts() -> None:
    body = setup.group_body(LAKH_FORM)
    assert body == {
        "group_id": "UDP-2026-01",
        "name": "Udupi 1 lakh",
        "chit_value_paise": 1_00_000 * 100,
        "tickets": 20,
        "months": 20,
        "commission_bps": 500,
        "max_discount_bps": 3000,
        "commission_mode": "from_discount",
        "first_month": "auction",
        "dividend_to": "all",
        "bid_increment_paise": 100 * 100,
        "meeting_day": 5,
    }
    foreman = setup.group_body(
        _form(first_month="foreman_ticket", commission_pct="4.5", min_discount="6,000")
    )
    assert foreman["foreman_ticket"] == setup.FOREMAN_TICKET
    assert foreman["commission_bps"] == 450 and foreman["min_discount_paise"] == 6_000 * 100


def _form(**changes: str) -> setup.GroupForm:
    from dataclasses import replace

    return replace(LAKH_FORM, **changes)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"group_id": "bad id!"}, "group_id", "error.bad_group_id"),
        ({"name": "  "}, "name", "foreman.form.required"),
        ({"tickets": "twenty"}, "tickets", "foreman.form.bad_whole"),
        ({"chit_value": "1,00,00"}, "chit_value", "error.bad_amount"),
        ({"chit_value": "-5"}, "chit_value", "error.negative_amount"),
        ({"commission_pct": "5.125"}, "commission_pct", "foreman.form.bad_percent"),
        ({"max_discount_pct": "101"}, "max_discount_pct", "foreman.form.bad_percent"),
        ({"commission_mode": "sideways"}, "commission_mode", "error.bad_variant"),
        ({"meeting_day": "31"}, "meeting_day", "foreman.form.bad_day"),
    ],
)
def test_an_unreadable_field_is_named_with_its_words(
    changes: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(setup.FormProblem) as caught:
        setup.group_body(_form(**changes))
    assert (caught.value.field, caught.value.words) == (field, words)
    assert caught.value.code == "bad_body"


def test_percent_reads_whole_and_hundredths() -> None:
    assert setup.percent_bps("5", "x") == 500
    assert setup.percent_bps(" 12.25 %", "x") == 1225
    assert setup.percent_bps("0.5", "x") == 50
    assert setup.percent_bps("100", "x") == 10_000


def test_form_defaults_follow_the_branch_rules(branch: Any) -> None:
    node, folder = branch
    defaults = setup.form_defaults(reading(node, folder))
    assert defaults.max_discount_pct == "40" and defaults.commission_pct == "5"
    assert defaults.bid_increment == "100"


# --- the preview ---------------------------------------------------------------------------


def test_preview_shows_the_kernels_figures(branch: Any) -> None:
    node, folder = branch
    shown = setup.preview(reading(node, folder), setup.group_body(LAKH_FORM))
    terms = setup.terms_for(node.engine.state, setup.group_body(LAKH_FORM))
    assert shown.subscription_paise == shown.first_instalment_paise == 5_000 * 100
    assert shown.commission_paise == 5_000 * 100  # 5% of a lakh, a month
    assert shown.commission_total_paise == 20 * 5_000 * 100
    assert shown.max_discount_paise == 30_000 * 100 and shown.min_discount_paise == 5_000 * 100
    assert shown.prize_low_paise == settle(terms, 30_000 * 100, 2).prize_paise == 70_000 * 100
    assert shown.prize_high_paise == 95_000 * 100
    assert shown.ceiling_bps == 4_000 and shown.bid_increment_paise == 100 * 100


def test_preview_of_commission_on_top_and_foreman_month(branch: Any) -> None:
    node, folder = branch
    form = _form(commission_mode=CommissionMode.ON_TOP.value, first_month="foreman_ticket")
    shown = setup.preview(reading(node, folder), setup.group_body(form))
    assert shown.first_instalment_paise == shown.subscription_paise  # no commission in month 1
    assert shown.commission_total_paise == 19 * shown.commission_paise
    assert (
        shown.commission_mode == "on_top" and FirstMonth.FOREMAN_TICKET.value in setup.FIRST_MONTHS
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"max_discount_pct": "45"}, "discount_above_ceiling"),
        ({"commission_pct": "6"}, "commission_above_cap"),
        ({"chit_value": "99,999.99"}, "value_not_divisible"),
        ({"tickets": "1"}, "too_few_tickets"),
        ({"min_discount": "40,000"}, "bad_min_discount"),
    ],
)
def test_preview_refuses_unlawful_terms_with_the_kernels_code(
    branch: Any, changes: dict[str, str], code: str
) -> None:
    node, folder = branch
    body = setup.group_body(_form(**changes))
    with pytest.raises(RuleViolation) as caught:
        setup.preview(reading(node, folder), body)
    assert caught.value.code == code
    receipt_code = _submit_code(node, *setup.create_group(body))
    assert receipt_code == code  # the kernel refuses the same terms with the same code


def _submit_code(node: Node, kind: str, body: dict[str, Any]) -> str:
    try:
        receipt = node.submit(kind, body)
    except ChitError as exc:
        return exc.code
    return receipt.code


def test_assign_in_order_gives_free_tickets_in_order() -> None:
    state = setup.Forming(
        group_id="G",
        name="G",
        status="forming",
        tickets=4,
        assigned=((2, "M001", "A"),),
        free_tickets=(1, 3, 4),
        candidates=tuple(setup.Candidate(m, m, "approved") for m in ("M001", "M002", "M003")),
        published=False,
        terms_hash="",
        signed=(),
        unsigned=(),
        can_publish=False,
        can_start=False,
    )
    commands = setup.assign_in_order(state, " M002,M003;  M001 ")
    assert [body["ticket"] for _, body in commands] == [1, 3, 4]
    assert [body["member_id"] for _, body in commands] == ["M002", "M003", "M001"]
    for typed, words in (
        ("", "foreman.form.required"),
        ("M002 M404", "foreman.setup.not_member"),
        ("M001 M002 M003 M001", "foreman.setup.too_many"),
    ):
        with pytest.raises(setup.FormProblem) as caught:
            setup.assign_in_order(state, typed)
        assert caught.value.words == words


# --- members -------------------------------------------------------------------------------


def test_next_member_id_follows_the_series(branch: Any) -> None:
    node, _ = branch
    assert setup.next_member_id(node.engine.state) == "M001"
    node.submit("member.registered", {"member_id": "M009", "name": "Asha Rao"})
    node.submit("member.registered", {"member_id": "X1", "name": "Other"})
    assert setup.next_member_id(node.engine.state) == "M010"


def test_kyc_goes_masked_in_clear_and_full_only_sealed() -> None:
    key = nacl.utils.random(32)
    form = setup.MemberForm(
        member_id="M001",
        name="Asha Rao",
        pan="abcde 1234 f",
        bank_account="1234-5678-9012",
        phone="+91 98765 43210",
        ifsc="cnrb0001234",
    )
    kind, body = setup.submit_kyc(form, key)
    assert kind == "kyc.submitted"
    assert body["pan"] == "XXXXX1234F" and body["bank_account"] == "XXXXXXXX9012"
    assert body["phone"] == "+91XXXXXX3210" and body["ifsc"] == "CNRB0001234"
    clear = repr({k: v for k, v in body.items() if k != "sealed"})
    for full in (PAN, ACCOUNT, PHONE):
        assert full not in clear
    assert kyc_vault.open_kyc(key, body["sealed"]) == {
        "pan": PAN,
        "bank_account": ACCOUNT,
        "phone": "+91" + PHONE,
    }


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"pan": "ABC"}, "pan", "bad_pan"),
        ({"phone": "12345"}, "phone", "bad_phone"),
        ({"bank_account": "12"}, "bank_account", "bad_bank_account"),
    ],
)
def test_bad_kyc_numbers_name_their_field(changes: dict[str, str], field: str, code: str) -> None:
    from dataclasses import replace

    form = replace(setup.MemberForm("M001", "Asha Rao", PAN, ACCOUNT, "", PHONE), **changes)
    with pytest.raises(setup.FormProblem) as caught:
        setup.kyc_fields(form)
    assert (caught.value.field, caught.value.words) == (field, f"error.{code}")


def test_pins_typed_twice_must_agree() -> None:
    setup.pins_match("123456", "123456")
    with pytest.raises(setup.FormProblem) as caught:
        setup.pins_match("123456", "123465")
    assert caught.value.field == "pin_again"


# --- the whole flow through the Backend -----------------------------------------------------


@pytest_asyncio.fixture
async def backend(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Backend]:
    """A Backend over a new branch with its chit rules; the node closes with it."""
    folder = tmp_path / "flow"
    node = Node.init(folder, "Flow Branch", clock=clock)
    node.submit("branch.chit_rules_set", RULES)
    backend = Backend.for_node(node, folder)
    yield backend
    await backend.aclose_node()


async def submit(backend: Backend, who: Who, command: tuple[str, dict[str, Any]]) -> Receipt:
    kind, body = command
    receipt = await backend.submit(who, kind, body)
    assert receipt.status == "applied", (kind, receipt.code)
    return receipt


async def refused(backend: Backend, who: Who, command: tuple[str, dict[str, Any]]) -> str:
    kind, body = command
    try:
        receipt = await backend.submit(who, kind, body)
    except ChitError as exc:
        return exc.code
    assert receipt.status != "applied"
    return receipt.code


@pytest.mark.asyncio
async def test_enrol_members_then_create_assign_publish_sign_and_start(backend: Backend) -> None:
    folder = backend.folder
    key = await backend.nt.run(staff_key.ensure_staff_key)
    people = [("M001", "Asha Rao"), ("M002", "Ravi Shetty"), ("M003", "Meena Pai")]
    for number, (member_id, name) in enumerate(people):
        form = setup.MemberForm(
            member_id,
            name,
            f"ABCDE{1000 + number}F",
            f"12345678{number:04d}",
            "",
            f"98765{number:05d}",
        )
        await submit(backend, STAFF_WHO, setup.register_member(form))
        await submit(backend, STAFF_WHO, setup.submit_kyc(form, key))
        await submit(backend, STAFF_WHO, setup.approve_kyc(member_id))
        verifier = make_verifier(f"{number + 1}" * 6)
        await backend.read(lambda r, m=member_id, v=verifier: set_member_pin(r, m, v))
    assert PinBook(folder).check("M002", "222222") and not PinBook(folder).check("M002", "111111")
    row = await backend.read(lambda r: r.state.get(base.MEMBERS, "M001"))
    assert (
        row["kyc"] == base.KYC_APPROVED
        and kyc_vault.open_kyc(key, row["kyc_sealed"])["pan"] == "ABCDE1000F"
    )

    body = setup.group_body(
        _form(
            group_id="G3",
            name="Three of us",
            chit_value="30,000",
            tickets="3",
            max_discount_pct="10",
            bid_increment="100",
        )
    )
    shown = await backend.read(lambda r: setup.preview(r, body))
    assert shown.first_instalment_paise == 10_000 * 100
    await submit(backend, STAFF_WHO, setup.create_group(body))
    forming = await backend.read(lambda r: setup.forming(r, "G3"))
    assert forming.free_tickets == (1, 2, 3) and not forming.can_publish
    assert [c.member_id for c in forming.candidates] == ["M001", "M002", "M003"]

    for ticket, (member_id, _) in enumerate(people, start=1):
        await submit(backend, STAFF_WHO, setup.assign_ticket("G3", ticket, member_id))
    assert await refused(backend, STAFF_WHO, setup.assign_ticket("G3", 1, "M002")) == "ticket_taken"
    forming = await backend.read(lambda r: setup.forming(r, "G3"))
    assert (
        forming.can_publish
        and not forming.can_start
        and forming.unsigned == ("M001", "M002", "M003")
    )

    await submit(backend, STAFF_WHO, await backend.read(lambda r: setup.publish_agreement(r, "G3")))
    forming = await backend.read(lambda r: setup.forming(r, "G3"))
    group = await backend.read(lambda r: base.group_row(r.state, "G3"))
    assert forming.published and forming.terms_hash == group["agreement_hash"] == base.terms_hash(
        group
    )

    # Members sign from their phones: each member's own session, the gate stamping the actor.
    for member_id in ("M001", "M002"):
        who = Who("member", member_id, name=member_id)
        await submit(
            backend,
            who,
            await backend.read(lambda r, m=member_id: setup.sign_agreement(r, "G3", m)),
        )
    other = Who("member", "M001")
    sign_for_m3 = await backend.read(lambda r: setup.sign_agreement(r, "G3", "M003"))
    assert await refused(backend, other, sign_for_m3) == "not_allowed_here"  # not for another
    assert await refused(backend, STAFF_WHO, setup.start_group("G3")) == "signatures_missing"
    forming = await backend.read(lambda r: setup.forming(r, "G3"))
    assert (
        forming.signed == ("M001", "M002")
        and forming.unsigned == ("M003",)
        and not forming.can_start
    )

    await submit(backend, Who("member", "M003"), sign_for_m3)
    forming = await backend.read(lambda r: setup.forming(r, "G3"))
    assert forming.can_start
    await submit(backend, STAFF_WHO, setup.start_group("G3"))
    group = await backend.read(lambda r: base.group_row(r.state, "G3"))
    assert group["status"] == base.RUNNING and group["instalments_paise"] == [10_000 * 100]
    signatures = await backend.read(lambda r: r.state.get(base.SIGNATURES, "G3|M003"))
    assert signatures["actor"] == "M003"


@pytest.mark.asyncio
async def test_a_member_session_cannot_create_a_group(backend: Backend) -> None:
    who = Who("member", "M001")
    assert (
        await refused(backend, who, setup.create_group(setup.group_body(LAKH_FORM)))
        == "not_allowed_here"
    )
    assert await refused(backend, who, setup.start_group("G3")) == "not_allowed_here"
