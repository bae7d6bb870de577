"""The gate: a member's session writes only that member's own acts, whatever it sends."""

from __future__ import annotations

import pytest

from ui.gate import GUEST_WHO, MEMBER, STAFF, NotAllowedHere, Who, check

ASHA = Who(MEMBER, "M-ASHA", "Asha")


def test_staff_bodies_pass_unchanged_and_may_name_any_actor() -> None:
    body = {"group_id": "G1", "month": 3, "ticket": 2, "actor": "M-RAVI"}
    assert check(Who(STAFF), "auction.bid", body) == body


def test_a_member_session_gets_its_member_stamped_as_actor() -> None:
    stamped = check(ASHA, "auction.bid", {"group_id": "G1", "month": 3, "ticket": 2})
    assert stamped["actor"] == "M-ASHA"
    signed = check(ASHA, "agreement.signed", {"group_id": "G1"})
    assert signed["member_id"] == "M-ASHA" and signed["actor"] == "M-ASHA"
    attested = check(ASHA, "minutes.attested", {"group_id": "G1", "month": 3})
    assert attested["attester"] == "M-ASHA"


@pytest.mark.parametrize(
    "kind",
    ["auction.closed", "auction.opened", "prize.paid", "contribution.recorded", "device.enrolled"],
)
def test_a_member_session_cannot_ask_for_a_staff_act(kind: str) -> None:
    with pytest.raises(NotAllowedHere) as caught:
        check(ASHA, kind, {"group_id": "G1", "month": 3})
    assert caught.value.code == "not_allowed_here"


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("auction.bid", {"ticket": 2, "actor": "M-RAVI"}),
        ("minutes.attested", {"attester": "M-RAVI"}),
        ("minutes.attested", {"attester": "foreman"}),
        ("wallet.transferred", {"from_member_id": "M-RAVI", "to_member_id": "M-ASHA"}),
        ("loan.applied", {"member_id": "M-RAVI"}),
    ],
)
def test_a_member_session_cannot_act_for_another(kind: str, body: dict[str, object]) -> None:
    with pytest.raises(NotAllowedHere):
        check(ASHA, kind, body)


def test_a_guest_may_write_nothing() -> None:
    with pytest.raises(NotAllowedHere):
        check(GUEST_WHO, "auction.bid", {"ticket": 1})
    with pytest.raises(NotAllowedHere):
        check(Who(MEMBER, ""), "auction.bid", {"ticket": 1})


def test_check_never_changes_the_callers_body() -> None:
    body: dict[str, object] = {"group_id": "G1"}
    check(ASHA, "agreement.signed", body)
    assert body == {"group_id": "G1"}


def test_an_auditors_session_writes_nothing() -> None:
    auditor = Who(STAFF, device_role="auditor")
    assert auditor.is_staff and auditor.is_auditor and not auditor.is_admin
    with pytest.raises(NotAllowedHere):
        check(auditor, "member.registered", {"member_id": "M1", "name": "Asha"})


def test_admin_is_the_staff_session_of_an_admin_device() -> None:
    assert Who(STAFF, device_role="admin").is_admin
    assert not Who(STAFF, device_role="employee").is_admin
    assert not Who(MEMBER, "M1", device_role="admin").is_admin
