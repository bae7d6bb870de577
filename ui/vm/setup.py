"""Setting a group up, and enrolling a member, as forms and commands (no flet here).

A group starts from an agreement's terms typed by the foreman (`GroupForm`: amounts in
rupees, rates in percent, as the paper agreement says them). `group_body` turns the form
into a `group.created` body; `preview` shows what the terms mean per ticket and per month
(UX.md rule 2: a summary before it is confirmed), computed by the kernel's own rules
(chit_rules), which also refuse unlawful terms with their codes before anything is
written. Then tickets are assigned (`ticket.assigned`), the agreement is published with
the hash of its terms (`agreement.published`, the hash the kernel computes from the
group's row), members sign from their phones (`agreement.signed`, the member's own act)
and the group starts (`group.started`) once every holder has signed.

A member is registered (`member.registered`) with KYC at enrolment: the full PAN, bank
account and phone are sealed to the branch staff key (chitnode/services/kyc_vault.py)
and only their masked forms go into the log in clear (`kyc.submitted`); then approved.
The member's app PIN is hashed off the event loop and kept in this node's pins.db,
never in the log (ui/auth.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import member_keys
from chitnode.domain.chit_kinds_auction import auction_terms, branch_rules
from chitnode.domain.chit_rules import (
    BID_INCREMENT_DEFAULT_PAISE,
    BID_INCREMENT_V1_PAISE,
    BPS_PER_WHOLE,
    COMMISSION_CAP_BPS,
    CommissionMode,
    DividendTo,
    FirstMonth,
    GroupTerms,
    commission_paise,
    max_discount_paise,
    min_discount_paise,
    net_instalment_paise,
    settle,
    subscription_paise,
    validate_terms,
)
from chitnode.domain.state import State
from chitnode.errors import ChitError
from chitnode.services import kyc_vault
from ui import fmt, limits
from ui.backend import Reading

Command = tuple[str, dict[str, Any]]

# A rate typed in percent: whole or with up to two decimals (a basis point is 0.01%).
PERCENT_RE = re.compile(r"^\s*([0-9]{1,3})(?:\.([0-9]{1,2}))?\s*%?\s*$")
WHOLE_RE = re.compile(r"^\s*[0-9]{1,4}\s*$")  # a count people type: tickets, a day
FOREMAN_TICKET = 1  # first_month "foreman_ticket": the foreman holds ticket 1 (the usual form)
MEMBER_ID_PREFIX = "M"  # suggested member ids: M001, M002, ... (the demo's and the CLI's)
MEMBER_ID_DIGITS = 3
_MEMBER_NUMBER_RE = re.compile(rf"^{MEMBER_ID_PREFIX}([0-9]+)$")

COMMISSION_MODES = tuple(m.value for m in CommissionMode)
FIRST_MONTHS = tuple(m.value for m in FirstMonth)
DIVIDEND_TOS = tuple(m.value for m in DividendTo)
# Whose word a member's consent is (issue 15): only the member's phone signature, or, as in
# groups before, staff may record it for a member without a paired phone. The second one
# is no term in the log: the body leaves `consent` out (member_keys.consent_term).
CONSENT_SIGNED = member_keys.CONSENT_SIGNED
CONSENT_AS_BEFORE = "as_before"
CONSENTS = (CONSENT_SIGNED, CONSENT_AS_BEFORE)


class FormProblem(ChitError):
    """A field the foreman typed cannot be read; `field` names it and `words` is the
    catalogue key of the sentence shown under it (the kernel never saw the form)."""

    code = "bad_body"

    def __init__(self, field: str, words: str, message: str = "") -> None:
        super().__init__(message or f"{field}: {words}")
        self.field = field
        self.words = words


@dataclass(frozen=True, slots=True)
class GroupForm:
    """The agreement's terms as typed (every field a string, as a TextField holds it)."""

    group_id: str = ""
    name: str = ""
    chit_value: str = ""  # rupees
    tickets: str = ""  # also the months
    commission_pct: str = ""
    commission_mode: str = CommissionMode.FROM_DISCOUNT.value
    first_month: str = FirstMonth.AUCTION.value
    dividend_to: str = DividendTo.ALL.value
    max_discount_pct: str = ""
    min_discount: str = ""  # rupees; empty: the mode's default (the commission, or nothing)
    bid_increment: str = ""  # rupees; empty: the agreement's default
    meeting_day: str = ""  # 1..28; empty: the 1st
    consent: str = CONSENT_AS_BEFORE  # one of CONSENTS


def percent_bps(text: str, field: str) -> int:
    """Basis points from "5", "4.5" or "12.25%"; FormProblem for anything else or > 100%."""
    found = PERCENT_RE.match(text)
    if found is None:
        raise FormProblem(field, "foreman.form.bad_percent")
    bps = int(found.group(1)) * 100 + int((found.group(2) or "0").ljust(2, "0"))
    if bps > BPS_PER_WHOLE:
        raise FormProblem(field, "foreman.form.bad_percent")
    return bps


def whole(text: str, field: str) -> int:
    if WHOLE_RE.match(text) is None:
        raise FormProblem(field, "foreman.form.bad_whole")
    return int(text)


def rupees(text: str, field: str) -> int:
    try:
        return fmt.parse_rupees(text)
    except ChitError as exc:
        raise FormProblem(field, f"error.{exc.code}", exc.message) from exc


def consent_required(reading: Reading) -> bool:
    """Whether the branch admin made signed consent the rule for every new group (then the
    form shows it as a fact, not a choice)."""
    return member_keys.branch_requires_signed(reading.state)


def form_defaults(reading: Reading) -> GroupForm:
    """The form as it opens: the Act's commission cap, the branch's discount ceiling, and
    members signing for themselves where the branch requires it."""
    rules = branch_rules(reading.state)
    ceiling = int(rules["discount_ceiling_bps"]) if rules else 4_000
    increment = BID_INCREMENT_DEFAULT_PAISE if rules else BID_INCREMENT_V1_PAISE
    return GroupForm(
        commission_pct=fmt.percent(COMMISSION_CAP_BPS).rstrip("%"),
        max_discount_pct=fmt.percent(ceiling).rstrip("%"),
        bid_increment=fmt.rupees(increment).lstrip("₹"),
        meeting_day="1",
        consent=CONSENT_SIGNED if consent_required(reading) else CONSENT_AS_BEFORE,
    )


def group_body(form: GroupForm) -> dict[str, Any]:
    """The `group.created` body the form states; FormProblem names an unreadable field."""
    group_id, name = form.group_id.strip(), form.name.strip()
    if not base.ID_RE.match(group_id):
        raise FormProblem("group_id", "error.bad_group_id")
    if not name:
        raise FormProblem("name", "foreman.form.required")
    tickets = whole(form.tickets, "tickets")
    body: dict[str, Any] = {
        "group_id": group_id,
        "name": name,
        "chit_value_paise": rupees(form.chit_value, "chit_value"),
        "tickets": tickets,
        "months": tickets,
        "commission_bps": percent_bps(form.commission_pct, "commission_pct"),
        "max_discount_bps": percent_bps(form.max_discount_pct, "max_discount_pct"),
    }
    for field, value, allowed in (
        ("commission_mode", form.commission_mode, COMMISSION_MODES),
        ("first_month", form.first_month, FIRST_MONTHS),
        ("dividend_to", form.dividend_to, DIVIDEND_TOS),
        ("consent", form.consent, CONSENTS),
    ):
        if value not in allowed:
            raise FormProblem(field, "error.bad_variant")
        if value != CONSENT_AS_BEFORE:  # "as before" is the absence of the term
            body[field] = value
    if form.first_month == FirstMonth.FOREMAN_TICKET.value:
        body["foreman_ticket"] = FOREMAN_TICKET
    if form.min_discount.strip():
        body["min_discount_paise"] = rupees(form.min_discount, "min_discount")
    if form.bid_increment.strip():
        body["bid_increment_paise"] = rupees(form.bid_increment, "bid_increment")
    if form.meeting_day.strip():
        day = whole(form.meeting_day, "meeting_day")
        if not 1 <= day <= limits.MEETING_DAY_MAX:
            raise FormProblem("meeting_day", "foreman.form.bad_day")
        body["meeting_day"] = day
    return body


def terms_for(state: State, body: Mapping[str, Any]) -> GroupTerms:
    """The terms `group.created` would record for `body` under the branch's rules, checked
    by the kernel's rules (RuleViolation with the kernel's code for unlawful terms)."""
    row = {
        "chit_value_paise": body["chit_value_paise"],
        "tickets": body["tickets"],
        "commission_bps": body["commission_bps"],
        "max_discount_bps": body["max_discount_bps"],
        "min_discount_paise": body.get("min_discount_paise"),
        "bid_increment_paise": body.get("bid_increment_paise", BID_INCREMENT_V1_PAISE),
        "dividend_to": body.get("dividend_to", DividendTo.ALL.value),
        "commission_mode": body.get("commission_mode", CommissionMode.FROM_DISCOUNT.value),
        "first_month": body.get("first_month", FirstMonth.AUCTION.value),
        **auction_terms(state, dict(body)),
    }
    terms = base.terms_of(row)
    validate_terms(terms)
    return terms


@dataclass(frozen=True, slots=True)
class Preview:
    """What the terms mean, before the foreman confirms them (all amounts in paise)."""

    group_id: str
    name: str
    chit_value_paise: int
    tickets: int
    subscription_paise: int  # chit value / tickets
    first_instalment_paise: int  # month 1's dues per ticket (commission on top included)
    commission_bps: int
    commission_paise: int  # the foreman's commission in a month
    commission_total_paise: int  # over the whole group
    commission_mode: str
    max_discount_bps: int
    max_discount_paise: int
    min_discount_paise: int
    bid_increment_paise: int
    prize_low_paise: int  # a month's prize at the highest discount
    prize_high_paise: int  # ... at the lowest
    ceiling_bps: int  # the branch's discount ceiling, 0 when none recorded
    consent_signed: bool  # every member's consent needs the member's own phone signature
    consent_by_branch: bool  # ... because the branch requires it of every new group


def preview(reading: Reading, body: Mapping[str, Any]) -> Preview:
    terms = terms_for(reading.state, body)
    month = 2 if terms.tickets > 2 else 1  # a month of a real auction (not the last one)
    low, high = (
        settle(terms, max_discount_paise(terms), month),
        settle(terms, min_discount_paise(terms), month),
    )
    months = terms.tickets
    commission_months = months - (1 if terms.first_month == FirstMonth.FOREMAN_TICKET else 0)
    rules = branch_rules(reading.state)
    consent = member_keys.consent_term(reading.state, dict(body))  # the kernel's own rule
    return Preview(
        group_id=str(body["group_id"]),
        name=str(body["name"]),
        chit_value_paise=terms.chit_value_paise,
        tickets=terms.tickets,
        subscription_paise=subscription_paise(terms),
        first_instalment_paise=net_instalment_paise(terms, None, False),
        commission_bps=terms.commission_bps,
        commission_paise=low.commission_paise,
        commission_total_paise=commission_months * commission_paise(terms)
        if terms.commission_mode != CommissionMode.ON_TOP
        else commission_months * low.commission_paise,
        commission_mode=terms.commission_mode.value,
        max_discount_bps=terms.max_discount_bps,
        max_discount_paise=max_discount_paise(terms),
        min_discount_paise=min_discount_paise(terms),
        bid_increment_paise=terms.bid_increment_paise,
        prize_low_paise=low.prize_paise,
        prize_high_paise=high.prize_paise,
        ceiling_bps=int(rules["discount_ceiling_bps"]) if rules else 0,
        consent_signed=member_keys.signed_group(consent),
        consent_by_branch=consent_required(reading),
    )


def create_group(body: Mapping[str, Any]) -> Command:
    return "group.created", dict(body)


# --- forming: tickets, the agreement, signatures, the start -------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member the foreman may give a ticket to."""

    member_id: str
    name: str
    kyc: str  # none | submitted | approved | rejected


@dataclass(frozen=True, slots=True)
class Forming:
    group_id: str
    name: str
    status: str
    tickets: int
    assigned: tuple[tuple[int, str, str], ...]  # (ticket, member id, name)
    free_tickets: tuple[int, ...]
    candidates: tuple[Candidate, ...]  # registered members, KYC approved first
    published: bool
    terms_hash: str  # the hash to publish, or the one published
    signed: tuple[str, ...]
    unsigned: tuple[str, ...]
    can_publish: bool  # every ticket has a holder and nothing is published yet
    can_start: bool  # published and every holder signed
    signed_consent: bool = False  # members consent only by their own signature here
    unpaired: tuple[str, ...] = ()  # ...and these holders have no paired phone to sign with


def forming(reading: Reading, gid: str) -> Forming:
    state = reading.state
    group = base.group_row(state, gid)
    rows = base.ticket_rows(state, group)
    names = {mid: str(m["name"]) for mid, m in state.rows(base.MEMBERS).items()}
    assigned = tuple(
        (int(r["ticket"]), str(r["member_id"]), names.get(str(r["member_id"]), "")) for r in rows
    )
    taken = {a[0] for a in assigned}
    holders = sorted({a[1] for a in assigned})
    published = group["agreement_hash"] is not None
    signed = tuple(m for m in holders if state.get(base.SIGNATURES, f"{gid}|{m}") is not None)
    unsigned = tuple(m for m in holders if m not in signed)
    full = len(assigned) == int(group["tickets"])
    kyc_order = {base.KYC_APPROVED: 0, base.KYC_SUBMITTED: 1}
    candidates = sorted(
        (
            Candidate(mid, str(m["name"]), str(m["kyc"]))
            for mid, m in state.rows(base.MEMBERS).items()
        ),
        key=lambda c: (kyc_order.get(c.kyc, 2), c.member_id),
    )
    forming_now = group["status"] == base.FORMING
    return Forming(
        group_id=gid,
        name=str(group["name"]),
        status=str(group["status"]),
        tickets=int(group["tickets"]),
        assigned=assigned,
        free_tickets=tuple(n for n in range(1, int(group["tickets"]) + 1) if n not in taken),
        candidates=tuple(candidates),
        published=published,
        terms_hash=str(group["agreement_hash"] or base.terms_hash(group)),
        signed=signed,
        unsigned=unsigned if published else tuple(holders),
        can_publish=forming_now and full and not published,
        can_start=forming_now and full and published and not unsigned,
        signed_consent=member_keys.signed_group(group),
        unpaired=tuple(m for m in holders if not _paired(state, m))
        if member_keys.signed_group(group)
        else (),
    )


def _paired(state: State, member_id: str) -> bool:
    """Whether the member has a current key (a paired phone) to sign consents with."""
    row = state.get(member_keys.MEMBER_KEYS, member_id)
    return row is not None and row["status"] == member_keys.ACTIVE


def assign_ticket(gid: str, ticket: int, member_id: str) -> Command:
    return "ticket.assigned", {"group_id": gid, "ticket": ticket, "member_id": member_id}


def assign_in_order(state: Forming, typed: str) -> list[Command]:
    """`ticket.assigned` for member numbers typed in a list ("M001, M002 M003"), given the
    free tickets in order; a member may take several tickets. FormProblem before any
    write: a number that is no member's, or more numbers than free tickets."""
    wanted = [part for part in re.split(r"[\s,;]+", typed) if part]
    if not wanted:
        raise FormProblem("members", "foreman.form.required")
    known = {c.member_id for c in state.candidates}
    for member_id in wanted:
        if member_id not in known:
            raise FormProblem("members", "foreman.setup.not_member", f"no member {member_id}")
    if len(wanted) > len(state.free_tickets):
        raise FormProblem("members", "foreman.setup.too_many")
    return [
        assign_ticket(state.group_id, ticket, member_id)
        for ticket, member_id in zip(state.free_tickets, wanted, strict=False)
    ]


def publish_agreement(reading: Reading, gid: str) -> Command:
    """The agreement's terms hash, as the kernel computes it from the group's row."""
    digest = base.terms_hash(base.group_row(reading.state, gid))
    return "agreement.published", {"group_id": gid, "terms_hash": digest}


def sign_agreement(reading: Reading, gid: str, member_id: str) -> Command:
    """A holder's signature (submitted by that member's own session: the gate stamps it)."""
    digest = base.group_row(reading.state, gid)["agreement_hash"] or ""
    return "agreement.signed", {"group_id": gid, "member_id": member_id, "terms_hash": digest}


def start_group(gid: str) -> Command:
    return "group.started", {"group_id": gid}


# --- members ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberForm:
    member_id: str = ""
    name: str = ""
    pan: str = ""
    bank_account: str = ""
    ifsc: str = ""
    phone: str = ""


def next_member_id(state: State) -> str:
    """The next free id in the branch's M001 series (a suggestion the foreman may change)."""
    numbers = [
        int(found.group(1))
        for mid in state.rows(base.MEMBERS)
        if (found := _MEMBER_NUMBER_RE.match(mid)) is not None
    ]
    number = max(numbers, default=0) + 1
    while state.get(base.MEMBERS, f"{MEMBER_ID_PREFIX}{number:0{MEMBER_ID_DIGITS}d}"):
        number += 1
    return f"{MEMBER_ID_PREFIX}{number:0{MEMBER_ID_DIGITS}d}"


def register_member(form: MemberForm) -> Command:
    member_id, name = form.member_id.strip(), form.name.strip()
    if not base.ID_RE.match(member_id):
        raise FormProblem("member_id", "error.bad_member_id")
    if not name:
        raise FormProblem("name", "foreman.form.required")
    return "member.registered", {"member_id": member_id, "name": name}


def kyc_fields(form: MemberForm) -> dict[str, str]:
    """The three numbers checked and normalised; FormProblem on the first bad one."""
    codes = {"bad_pan": "pan", "bad_bank_account": "bank_account", "bad_phone": "phone"}
    try:
        return kyc_vault.normalise(form.pan, form.bank_account, form.phone)
    except ChitError as exc:
        raise FormProblem(codes.get(exc.code, "pan"), f"error.{exc.code}", exc.message) from exc


def submit_kyc(form: MemberForm, staff_key: bytes) -> Command:
    """`kyc.submitted`: masked numbers in clear, the full ones sealed to the staff key."""
    full = kyc_fields(form)
    masked, sealed = kyc_vault.seal_kyc(staff_key, full["pan"], full["bank_account"], full["phone"])
    body = {
        "member_id": form.member_id.strip(),
        "name": form.name.strip(),
        **masked,
        "sealed": sealed,
    }
    ifsc = form.ifsc.strip().upper()
    if ifsc:
        body["ifsc"] = ifsc
    return "kyc.submitted", body


@dataclass(frozen=True, slots=True)
class PendingKyc:
    """A member whose submitted KYC waits for a staff check (masked numbers only)."""

    member_id: str
    name: str
    pan_masked: str
    phone_masked: str


def pending_kyc(state: State) -> tuple[PendingKyc, ...]:
    return tuple(
        PendingKyc(
            mid, str(m.get("kyc_name") or m["name"]), str(m["pan_masked"]), str(m["phone_masked"])
        )
        for mid, m in sorted(state.rows(base.MEMBERS).items())
        if m["kyc"] == base.KYC_SUBMITTED
    )


def approve_kyc(member_id: str) -> Command:
    return "kyc.approved", {"member_id": member_id}


def pins_match(pin: str, again: str) -> None:
    """The PIN typed twice must agree (a member cannot log in with a PIN nobody knows)."""
    if pin != again:
        raise FormProblem("pin_again", "foreman.member.pin_mismatch")
