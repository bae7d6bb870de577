"""The new-group screen says whose word a member's consent is (issue 15, gap 2).

Before the branch admin requires it, the foreman chooses: members sign only on their own
phones (the group's `consent: "signed.v1"`), or as before. Once the branch requires it, the
form shows it as a fact (the choice cannot be changed) and the preview says so in words.
The set-up screen then names the holders whose phones are not paired yet. In-process Flet
sessions over a real node (FLET.md §4).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from chitnode.domain import member_keys
from chitnode.node.node import Node
from tests.support.clock import FakeClock
from tests.support.flet_session import (
    AppSessionHandle,
    app_context,
    click,
    find,
    has,
    open_session,
    text_by,
)
from ui.backend import reading_of
from ui.gate import Who
from ui.shell import AppContext
from ui.vm import setup

STAFF_WHO = Who("staff", name="Foreman")
RULES = {"state": "Karnataka", "discount_ceiling_bps": 4_000, "source": "test"}
FORM = setup.GroupForm(
    group_id="SIG-2027-01",
    name="Signed circle",
    chit_value="30,000",
    tickets="3",
    commission_pct="5",
    max_discount_pct="30",
    bid_increment="100",
    meeting_day="5",
)
KEY = "ab" * 32  # a member phone's public key, made up for the test


def branch_node(tmp_path: Path, clock: FakeClock, *, signed: bool) -> tuple[Node, Path]:
    """A branch with chit rules and members M001..M003; `signed`: the admin has required
    signed consent for new groups."""
    folder = tmp_path / "node"
    node = Node.init(folder, "Test Branch", clock=clock)
    node.submit("branch.chit_rules_set", RULES)
    for n in (1, 2, 3):
        node.submit("member.registered", {"member_id": f"M00{n}", "name": f"Member {n}"})
    if signed:
        node.submit("branch.consent_rule_set", {"consent": member_keys.CONSENT_SIGNED})
    return node, folder


@pytest_asyncio.fixture
async def plain(tmp_path: Path, clock: FakeClock) -> AsyncIterator[AppContext]:
    node, folder = branch_node(tmp_path, clock, signed=False)
    async with app_context(node, folder) as ctx:
        yield ctx


@pytest_asyncio.fixture
async def required(tmp_path: Path, clock: FakeClock) -> AsyncIterator[AppContext]:
    node, folder = branch_node(tmp_path, clock, signed=True)
    async with app_context(node, folder) as ctx:
        yield ctx


async def press(handle: AppSessionHandle, ident: str) -> None:
    await click(handle, find(handle.page, ident=ident).content)


async def new_group(ctx: AppContext) -> AppSessionHandle:
    s = await open_session(ctx, who=STAFF_WHO, route="/groups/new")
    for name in ("group_id", "name", "chit_value", "tickets", "commission_pct"):
        find(s.page, ident=f"newgroup-{name}").content.value = getattr(FORM, name)
    return s


# --- the view-model --------------------------------------------------------------------------


def test_the_form_asks_for_the_term_only_when_signed_is_chosen(
    tmp_path: Path, clock: FakeClock
) -> None:
    from dataclasses import replace

    node, folder = branch_node(tmp_path, clock, signed=False)
    with node:
        reading = reading_of(node, folder)
        assert setup.form_defaults(reading).consent == setup.CONSENT_AS_BEFORE
        assert "consent" not in setup.group_body(FORM)  # as before: no term at all
        body = setup.group_body(replace(FORM, consent=setup.CONSENT_SIGNED))
        assert body["consent"] == member_keys.CONSENT_SIGNED
        shown = setup.preview(reading, body)
        assert shown.consent_signed and not shown.consent_by_branch
        with pytest.raises(setup.FormProblem) as caught:
            setup.group_body(replace(FORM, consent="nobody"))
        assert caught.value.field == "consent"


def test_a_branch_that_requires_it_opens_the_form_signed(tmp_path: Path, clock: FakeClock) -> None:
    node, folder = branch_node(tmp_path, clock, signed=True)
    with node:
        reading = reading_of(node, folder)
        assert setup.consent_required(reading)
        assert setup.form_defaults(reading).consent == setup.CONSENT_SIGNED
        shown = setup.preview(reading, setup.group_body(FORM))  # even a form saying "as before"
        assert shown.consent_signed and shown.consent_by_branch


# --- the screens -----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_foreman_chooses_signed_consent_and_the_setup_names_unpaired_phones(
    plain: AppContext,
) -> None:
    s = await new_group(plain)
    choice = find(s.page, ident="newgroup-consent").content
    assert choice.value == setup.CONSENT_AS_BEFORE and not choice.disabled
    await press(s, "newgroup-preview-button")
    assert text_by(s.page, "newgroup-preview-consent").startswith("As in older groups")
    choice.value = setup.CONSENT_SIGNED
    await press(s, "newgroup-preview-button")
    words = text_by(s.page, "newgroup-preview-consent")
    assert words.startswith("Members sign for themselves") and "cannot be switched off" in words
    assert "The branch requires" not in words
    await press(s, "newgroup-create")
    assert s.view.route == "/groups/setup"
    group = await plain.backend.read(lambda r: r.state.get("groups", FORM.group_id))
    assert group is not None and group["consent"] == member_keys.CONSENT_SIGNED
    assert "on their own phones" in text_by(s.page, "setup-consent")
    await plain.backend.nt.run(
        lambda node: node.submit("member.key_enrolled", {"member_id": "M002", "key": KEY})
    )
    find(s.page, ident="setup-assign-many").content.value = "M001 M002 M003"
    await press(s, "setup-assign-many-button")
    unpaired = text_by(s.page, "setup-unpaired")
    assert "M001, M003" in unpaired and "M002" not in unpaired


@pytest.mark.asyncio
async def test_a_branch_requirement_is_shown_as_a_fact(required: AppContext) -> None:
    s = await new_group(required)
    choice = find(s.page, ident="newgroup-consent").content
    assert choice.value == setup.CONSENT_SIGNED and choice.disabled
    await press(s, "newgroup-preview-button")
    words = text_by(s.page, "newgroup-preview-consent")
    assert words.endswith("The branch requires this for every new group.")
    await press(s, "newgroup-create")
    assert has(s.page, ident="setup-consent")
