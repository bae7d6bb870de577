"""Meeting mode: the foreman's laptop walks one group's monthly meeting, a step a screen.

UX.md, "The meeting is a procedure": open, attendance, collections, who may bid, the
auction, settlement, cash count, minutes, prize payout, close. Each step's view-model is
a pure function of a `Reading` (the fold, the node's now) and of the meeting desk's
snapshot (ui/meeting_desk.py: who is at the table, the cash counted); the command
builders turn what the foreman chose into `(kind, body)` for the kernel, which judges
every rule and whose refusal the screen shows in words. Nothing here decides who may
bid, who wins or what is paid: the figures come from chitnode.domain's read models
(chit_views, default_views, chit_kinds_base), the same the kernel applies.

The auction itself (bids, countdown, close) is the auction screen's ("/auction"); this
module opens it (`auction.opened` with the attendance and, for a lot v2 group, the
commitment to the holder's secret) and reveals the lot when the draw waits for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views, default_views, defaults
from chitnode.domain.chit_kinds_auction import DRAWING, _check_security, needs_commit
from chitnode.domain.chit_rules import (
    Bid,
    max_discount_paise,
    min_discount_paise,
    security_required_paise,
    subscription_paise,
)
from chitnode.domain.member_keys import signed_group
from chitnode.domain.state import State
from chitnode.errors import ChitError
from ui import fmt, limits
from ui.backend import Reading
from ui.meeting_desk import OpenMeeting
from ui.vm import auction as auction_vm
from ui.vm import member_keys as keys_vm

STEPS = (
    "open",
    "attendance",
    "collections",
    "bidders",
    "auction",
    "settlement",
    "cash",
    "minutes",
    "payout",
    "close",
)
MODES = ("cash", "bank", "upi")  # how a payment reached the foreman (UX.md step 3)
CASH = "cash"
QUORUM_SUBSCRIBERS = 2  # auction.opened: the foreman and at least two subscribers present
OTHER_ATTESTERS = 2  # minutes: the foreman, the winner and two other subscribers present

Command = tuple[str, dict[str, Any]]

# Problems the VM finds in what was typed before any command is written: catalogue keys.
NEEDS_REFERENCE = "meeting.problem.reference"  # a bank or UPI payment names its reference
NEEDS_CASH_NOTE = "meeting.problem.cash_note"  # a counted total that differs needs a note
AMOUNT_DIFFERS = "meeting.problem.amount_differs"  # the amount typed again is not the prize
NEEDS_DETAIL = "meeting.problem.detail"  # a security names what it is


# --- what the screens show ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupChoice:
    """A running group whose next meeting can be held now."""

    group_id: str
    name: str
    month: int
    months: int
    tickets_unpaid: int


@dataclass(frozen=True, slots=True)
class Header:
    group_id: str
    name: str
    month: int
    months: int
    step: str
    index: int  # 1-based position of the step
    date_ms: int  # the meeting's date: when it was opened here, else today
    phase: str  # "" (no draw yet) | "open" | "drawing" | "settled" | "paid"
    meeting_open: bool  # the desk holds this meeting open
    chit_value_paise: int


@dataclass(frozen=True, slots=True)
class TicketLine:
    ticket: int
    member_id: str
    name: str
    block: str  # why the ticket may not bid (a kernel code), "" when it may
    arrears_paise: int


@dataclass(frozen=True, slots=True)
class Attendee:
    member_id: str
    name: str
    tickets: tuple[int, ...]
    present: bool
    checked_in: bool  # the member's phone checked in


@dataclass(frozen=True, slots=True)
class Attendance:
    attendees: tuple[Attendee, ...]
    present_count: int
    quorum_ok: bool
    recorded: bool  # the auction was opened: the attendance is in the log, fixed


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    receipt: str
    amount_paise: int
    mode: str  # one of MODES, "" when the payment named none
    reference: str
    ts_ms: int


@dataclass(frozen=True, slots=True)
class Due:
    ticket: int
    member_id: str
    name: str
    instalment_paise: int  # this month's: subscription less last month's share of discount
    arrears_before_paise: int  # unpaid from earlier months
    penalty_paise: int  # penalty interest due now
    owed_paise: int  # what the ticket owes now for its instalments (arrears included)
    status: str  # "paid" | "due" | "in_arrears" (ui.theme's status words)
    receipts: tuple[ReceiptLine, ...]  # this month's payments


@dataclass(frozen=True, slots=True)
class Collections:
    dues: tuple[Due, ...]
    collected_paise: int  # this month's payments so far
    receipts: int


@dataclass(frozen=True, slots=True)
class Bidders:
    eligible: tuple[TicketLine, ...]
    blocked: tuple[TicketLine, ...]  # named before bidding, each with its reason


@dataclass(frozen=True, slots=True)
class AuctionStep:
    status: str  # "" (not opened) | "open" | "drawing" | "closed"
    min_discount_paise: int
    max_discount_paise: int
    increment_paise: int
    duration_ms: int
    commit_reveal: bool  # the draw, if any, is by commit-reveal (lot v2)
    present: tuple[str, ...]  # member ids that go into the attendance
    quorum_ok: bool
    ends_ms: int
    best_paise: int | None
    bids: int
    contributors: int
    draw_needed: bool  # the countdown is over and the winner will be drawn (no bid, or a tie)
    to_contribute: tuple[tuple[str, str], ...]  # (member id, name): present, not yet added
    # ... and those with a signing key (everyone, in a group held to signed consent): their
    # phone draws and signs their share, the laptop waits for it (it cannot write it)
    on_phones: tuple[tuple[str, str], ...]
    # ... and those the laptop may no longer add for: a share signed on a member's phone
    # is in, after which the kernel takes no unsigned one (`contributions_sealed`)
    left_out: tuple[tuple[str, str], ...]
    holds_lot: bool  # this node holds the lot secret it committed to
    can_reveal: bool  # the draw waits for the reveal and this node can give it


@dataclass(frozen=True, slots=True)
class SettlementStep:
    final: bool  # the month is settled (else a preview, or nothing yet)
    available: bool
    waiting: str  # "" | "auction" (not closed yet) | "reveal" (the lot waits)
    winner_ticket: int
    winner_name: str
    by_lot: bool
    chit_value_paise: int
    discount_paise: int
    commission_paise: int
    dividend_pool_paise: int
    sharing_tickets: int
    per_ticket_dividend_paise: int
    prize_paise: int
    subscription_paise: int
    next_instalment_paise: int


@dataclass(frozen=True, slots=True)
class CashStep:
    expected_paise: int  # cash receipts recorded at this meeting
    cash_receipts: int
    counted_paise: int | None
    difference_paise: int  # counted - expected (0 before counting)
    note: str


@dataclass(frozen=True, slots=True)
class Attestation:
    who: str  # "foreman" or a member id
    name: str
    role: str  # "foreman" | "winner" | "member"
    attested: bool


@dataclass(frozen=True, slots=True)
class MinutesStep:
    available: bool  # the draw has closed: there are minutes
    date_ms: int = 0
    present: tuple[str, ...] = ()  # names
    foreman_present: bool = False
    bids: int = 0
    winner_ticket: int = 0
    winner_name: str = ""
    by_lot: bool = False
    discount_paise: int = 0
    prize_paise: int = 0
    commission_paise: int = 0
    per_ticket_dividend_paise: int = 0
    next_instalment_paise: int = 0
    minutes_hash: str = ""
    attestations: tuple[Attestation, ...] = ()  # foreman, winner, then the others present
    others_attested: int = 0
    complete: bool = False
    foreman_attested: bool = False


@dataclass(frozen=True, slots=True)
class PayoutStep:
    available: bool  # there is a declared prize
    winner_ticket: int = 0
    winner_name: str = ""
    prize_paise: int = 0
    withheld_paise: int = 0  # kept back by the deduction choice: arrears and future dues
    cash_paise: int = 0  # what leaves the pool
    months_left: int = 0
    security_required_paise: int = 0
    security_held_paise: int = 0
    deduction: bool = False
    security_ok: bool = False
    minutes_complete: bool = False
    banker_granted: bool = False
    banker_code: str = ""
    banker_reason: str = ""
    pay_by_ms: int = 0  # s.22(1)
    overdue: bool = False
    paid: bool = False
    paid_paise: int = 0
    bank_ref: str = ""


@dataclass(frozen=True, slots=True)
class CloseStep:
    collected_paise: int
    receipts: int
    winner_name: str
    prize_paise: int
    prize_paid: bool
    minutes_complete: bool
    counted: bool
    difference_paise: int
    closed: bool


@dataclass(frozen=True, slots=True)
class MeetingVM:
    """One step of one meeting; `header` is None while no group is chosen."""

    step: str
    header: Header | None
    choices: tuple[GroupChoice, ...] = ()
    tickets: tuple[TicketLine, ...] = ()  # the open step: every ticket and whether it may bid
    attendance: Attendance | None = None
    collections: Collections | None = None
    bidders: Bidders | None = None
    auction: AuctionStep | None = None
    settlement: SettlementStep | None = None
    cash: CashStep | None = None
    minutes: MinutesStep | None = None
    payout: PayoutStep | None = None
    close: CloseStep | None = None


def step_of(name: str) -> str:
    return name if name in STEPS else STEPS[0]


def next_step(step: str) -> str | None:
    i = STEPS.index(step_of(step))
    return STEPS[i + 1] if i + 1 < len(STEPS) else None


def previous_step(step: str) -> str | None:
    i = STEPS.index(step_of(step))
    return STEPS[i - 1] if i > 0 else None


# --- reading the fold ---------------------------------------------------------------------


def meeting_choices(state: State) -> tuple[GroupChoice, ...]:
    """Running groups with a month left to hold, by group id."""
    out = []
    for gid in sorted(state.rows(base.GROUPS)):
        group = base.group_row(state, gid)
        if group["status"] != base.RUNNING or int(group["settled"]) >= int(group["months"]):
            continue
        health = chit_views.group_health(state, gid)
        out.append(
            GroupChoice(
                group_id=gid,
                name=str(group["name"]),
                month=int(group["settled"]) + 1,
                months=int(group["months"]),
                tickets_unpaid=health.tickets_unpaid,
            )
        )
    return tuple(out)


def meeting_month(state: State, group_id: str) -> int:
    """The month whose meeting is held next: the first not settled (the last, once all are)."""
    group = base.group_row(state, group_id)
    return min(int(group["settled"]) + 1, int(group["months"]))


def _name(state: State, member_id: str) -> str:
    row = state.get(base.MEMBERS, member_id) or {}
    return str(row.get("name") or member_id)


def _auction(state: State, gid: str, month: int) -> dict[str, Any] | None:
    return state.get(base.AUCTIONS, base.month_key(gid, month))


def _settled(state: State, gid: str, month: int) -> dict[str, Any] | None:
    return state.get(base.SETTLEMENTS, base.month_key(gid, month))


def _phase(state: State, gid: str, month: int) -> str:
    settled = _settled(state, gid, month)
    if settled is not None:
        return "paid" if settled["prize_paid"] else "settled"
    auction = _auction(state, gid, month)
    return "" if auction is None else str(auction["status"])


def _present(state: State, group: dict[str, Any], desk: OpenMeeting | None) -> list[str]:
    """Who goes into the attendance: the recorded list once opened, else all but the absent."""
    auction = _auction(state, str(group["group_id"]), _month_of(state, group, desk))
    if auction is not None:
        return [str(m) for m in auction["present"]]
    absent = desk.absent if desk is not None else frozenset()
    return sorted(m for m in base.holders(state, group) if m not in absent)


def _month_of(state: State, group: dict[str, Any], desk: OpenMeeting | None) -> int:
    return desk.month if desk is not None else meeting_month(state, str(group["group_id"]))


def _ticket_line(state: State, group: dict[str, Any], ticket: dict[str, Any]) -> TicketLine:
    mid = str(ticket["member_id"])
    return TicketLine(
        ticket=int(ticket["ticket"]),
        member_id=mid,
        name=_name(state, mid),
        block=base.bid_block(state, group, ticket),
        arrears_paise=base.arrears_paise(group, ticket),
    )


def _receipts(state: State, gid: str, month: int, since_ms: int = 0) -> list[dict[str, Any]]:
    rows = [
        row
        for row in state.rows(base.CONTRIBUTIONS).values()
        if row["group_id"] == gid
        and int(row["month"]) == month
        and row["source"] == "payment"
        and int(row["ts_ms"]) >= since_ms
    ]
    return sorted(rows, key=lambda row: (int(row["ts_ms"]), str(row["receipt"])))


def _receipt_line(row: dict[str, Any]) -> ReceiptLine:
    note = str(row["note"])
    return ReceiptLine(
        receipt=str(row["receipt"]),
        amount_paise=int(row["amount_paise"]),
        mode=note if note in MODES else "",
        reference=str(row["bank_ref"]),
        ts_ms=int(row["ts_ms"]),
    )


def build_meeting(
    r: Reading,
    group_id: str,
    month: int,
    step: str,
    desk: OpenMeeting | None = None,
    *,
    holds_lot: bool = False,
) -> MeetingVM:
    """The view-model of `step` of `group_id`'s month `month` (0: the next to hold).

    `desk` is the meeting desk's snapshot of this meeting (None: not opened here yet);
    `holds_lot`: this node holds the lot secret it committed to at the opening.
    """
    step = step_of(step)
    state = r.state
    if not group_id:
        return MeetingVM(step=STEPS[0], header=None, choices=meeting_choices(state))
    group = base.group_row(state, group_id)
    month = month or meeting_month(state, group_id)
    if desk is not None and (desk.group_id, desk.month) != (group_id, month):
        desk = None
    header = Header(
        group_id=group_id,
        name=str(group["name"]),
        month=month,
        months=int(group["months"]),
        step=step,
        index=STEPS.index(step) + 1,
        date_ms=desk.opened_ms if desk is not None else r.now_ms,
        phase=_phase(state, group_id, month),
        meeting_open=desk is not None and not desk.closed,
        chit_value_paise=int(group["chit_value_paise"]),
    )
    vm = MeetingVM(step=step, header=header, choices=meeting_choices(state))
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "open": lambda: {"tickets": _tickets(state, group)},
        "attendance": lambda: {"attendance": _attendance(state, group, month, desk)},
        "collections": lambda: {"collections": _collections(state, group, month, r.now_ms)},
        "bidders": lambda: {"bidders": _bidders(state, group)},
        "auction": lambda: {
            "auction": _auction_step(state, group, month, desk, holds_lot, r.now_ms)
        },
        "settlement": lambda: {"settlement": _settlement(state, group, month)},
        "cash": lambda: {"cash": _cash(state, group_id, month, desk)},
        "minutes": lambda: {"minutes": _minutes(state, group_id, month, header.date_ms)},
        "payout": lambda: {"payout": _payout(state, group, month, r.now_ms)},
        "close": lambda: {"close": _close(state, group, month, desk)},
    }
    return _with(vm, **builders[step]())


def _with(vm: MeetingVM, **parts: Any) -> MeetingVM:
    return replace(vm, **parts)


def _tickets(state: State, group: dict[str, Any]) -> tuple[TicketLine, ...]:
    return tuple(
        _ticket_line(state, group, t) for t in base.ticket_rows(state, group) if not t["won_month"]
    )


def _attendance(
    state: State, group: dict[str, Any], month: int, desk: OpenMeeting | None
) -> Attendance:
    gid = str(group["group_id"])
    auction = _auction(state, gid, month)
    recorded = auction is not None
    if recorded:
        assert auction is not None
        present = {str(m) for m in auction["present"]}
    else:
        absent = desk.absent if desk is not None else frozenset()
        present = {m for m in base.holders(state, group) if m not in absent}
    checked = desk.checked_in if desk is not None else frozenset()
    held: dict[str, list[int]] = {}
    for ticket in base.ticket_rows(state, group):
        held.setdefault(str(ticket["member_id"]), []).append(int(ticket["ticket"]))
    attendees = tuple(
        sorted(
            (
                Attendee(mid, _name(state, mid), tuple(tickets), mid in present, mid in checked)
                for mid, tickets in held.items()
            ),
            key=lambda a: (a.name, a.member_id),
        )
    )
    count = sum(1 for a in attendees if a.present)
    return Attendance(attendees, count, count >= QUORUM_SUBSCRIBERS, recorded)


def _collections(state: State, group: dict[str, Any], month: int, now_ms: int) -> Collections:
    gid = str(group["group_id"])
    receipts = _receipts(state, gid, month)
    dues = []
    for ticket in base.ticket_rows(state, group):
        number = int(ticket["ticket"])
        mid = str(ticket["member_id"])
        td = chit_views.ticket_dues(state, gid, number)
        before = base.dues_through_paise(group, ticket, td.month - 1) if td.month else 0
        arrears_before = max(0, before - td.paid_paise)
        if td.arrears_paise == 0:
            status = "paid"
        elif arrears_before:
            status = "in_arrears"
        else:
            status = "due"
        dues.append(
            Due(
                ticket=number,
                member_id=mid,
                name=_name(state, mid),
                instalment_paise=td.instalment_paise,
                arrears_before_paise=arrears_before,
                penalty_paise=defaults.penalty_due_paise(group, ticket, now_ms),
                owed_paise=td.arrears_paise,
                status=status,
                receipts=tuple(_receipt_line(r) for r in receipts if int(r["ticket"]) == number),
            )
        )
    return Collections(
        dues=tuple(dues),
        collected_paise=sum(int(r["amount_paise"]) for r in receipts),
        receipts=len(receipts),
    )


def _bidders(state: State, group: dict[str, Any]) -> Bidders:
    lines = _tickets(state, group)
    return Bidders(
        eligible=tuple(t for t in lines if not t.block),
        blocked=tuple(t for t in lines if t.block),
    )


def _auction_step(
    state: State,
    group: dict[str, Any],
    month: int,
    desk: OpenMeeting | None,
    holds_lot: bool,
    now_ms: int,
) -> AuctionStep:
    gid = str(group["group_id"])
    terms = base.terms_of(group)
    auction = _auction(state, gid, month)
    present = tuple(_present(state, group, desk))
    status = "" if auction is None else str(auction["status"])
    lot = (auction or {}).get("lot") or {}
    commit = (
        needs_commit(state, group, month)
        if auction is None and month > group["settled"]
        else bool(lot)
    )
    bids = [
        Bid(str(b["ticket"]), int(b["discount_paise"]), str(b["hash"]))
        for b in (auction or {}).get("bids") or ()
    ]
    ends_ms = int((auction or {}).get("ends_ms") or 0)
    # lot v2: after the countdown, subscribers present add to the draw (their act, named);
    # the close needs one when nobody bid or the best bids tie (chit_kinds_auction)
    draw_needed = auction_vm.takes_shares(auction, now_ms)
    added = auction_vm.shared(auction)
    waiting = [(m, _name(state, m)) for m in present if m not in added] if draw_needed else []
    # in a group held to signed consent no one's share is the laptop's to write
    signed = signed_group(group)
    keyed = {m for m, _ in waiting if signed or keys_vm.current_key(state, m) is not None}
    at_table = tuple(w for w in waiting if w[0] not in keyed)
    on_phones = tuple(w for w in waiting if w[0] in keyed)
    sealed = any(c.get("own_device") for c in lot.get("contributions") or ())
    to_contribute, left_out = ((), at_table) if sealed else (at_table, ())
    return AuctionStep(
        status=status,
        min_discount_paise=min_discount_paise(terms),
        max_discount_paise=max_discount_paise(terms),
        increment_paise=terms.bid_increment_paise,
        duration_ms=limits.MEETING_AUCTION_MS,
        commit_reveal=commit,
        present=present,
        quorum_ok=len(present) >= QUORUM_SUBSCRIBERS,
        ends_ms=ends_ms,
        best_paise=None if auction is None else auction["best_paise"],
        bids=len(bids),
        contributors=len(added),
        draw_needed=draw_needed,
        to_contribute=to_contribute,
        on_phones=on_phones,
        left_out=left_out,
        holds_lot=holds_lot,
        can_reveal=status == DRAWING and holds_lot,
    )


def _settlement(state: State, group: dict[str, Any], month: int) -> SettlementStep:
    gid = str(group["group_id"])
    terms = base.terms_of(group)
    settled = _settled(state, gid, month)
    auction = _auction(state, gid, month)
    winner_ticket, winner_name, by_lot = 0, "", False
    waiting = ""
    figures = None
    if settled is not None:
        figures = base.settlement_of(settled)
        winner_ticket = int(settled["winner_ticket"])
        winner_name = _name(state, str(settled["winner_member"]))
        by_lot = bool(settled["by_lot"])
    elif auction is not None:
        waiting = "reveal" if auction["status"] == DRAWING else "auction"
        best = auction["best_paise"]
        discount = int(best) if best is not None else min_discount_paise(terms)
        try:
            figures = chit_views.settlement_preview(state, gid, month, discount)
        except ChitError:  # a discount the rules would not settle: no preview to show
            figures = None
    else:
        waiting = "auction"
    return SettlementStep(
        final=settled is not None,
        available=figures is not None,
        waiting=waiting,
        winner_ticket=winner_ticket,
        winner_name=winner_name,
        by_lot=by_lot,
        chit_value_paise=terms.chit_value_paise,
        discount_paise=figures.discount_paise if figures else 0,
        commission_paise=figures.commission_paise if figures else 0,
        dividend_pool_paise=figures.dividend_pool_paise if figures else 0,
        sharing_tickets=figures.sharing_tickets if figures else 0,
        per_ticket_dividend_paise=figures.per_ticket_dividend_paise if figures else 0,
        prize_paise=figures.prize_paise if figures else 0,
        subscription_paise=subscription_paise(terms),
        next_instalment_paise=figures.next_instalment_paise if figures else 0,
    )


def _cash(state: State, gid: str, month: int, desk: OpenMeeting | None) -> CashStep:
    since = desk.opened_ms if desk is not None else 0
    cash = [r for r in _receipts(state, gid, month, since) if r["note"] == CASH]
    expected = sum(int(r["amount_paise"]) for r in cash)
    counted = desk.counted_paise if desk is not None else None
    return CashStep(
        expected_paise=expected,
        cash_receipts=len(cash),
        counted_paise=counted,
        difference_paise=(counted - expected) if counted is not None else 0,
        note=desk.cash_note if desk is not None else "",
    )


def _minutes(state: State, gid: str, month: int, date_ms: int) -> MinutesStep:
    doc = base.minutes_document(state, gid, month)
    if doc is None:
        return MinutesStep(available=False, date_ms=date_ms)
    settled = _settled(state, gid, month)
    assert settled is not None
    row = state.get(base.MINUTES, base.month_key(gid, month)) or {"attesters": []}
    done = set(row["attesters"])
    winner = str(doc["winner_member"])
    present = [str(m) for m in doc["present"]]
    attestations = [
        Attestation(base.FOREMAN_ATTESTER, "", "foreman", base.FOREMAN_ATTESTER in done),
        Attestation(winner, _name(state, winner), "winner", winner in done),
        *(Attestation(m, _name(state, m), "member", m in done) for m in present if m != winner),
    ]
    others = len(done - {base.FOREMAN_ATTESTER, winner})
    return MinutesStep(
        available=True,
        date_ms=date_ms,
        present=tuple(_name(state, m) for m in present),
        foreman_present=bool(doc["foreman_present"]),
        bids=len(doc["bids"]),
        winner_ticket=int(doc["winner_ticket"]),
        winner_name=_name(state, winner),
        by_lot=bool(doc["by_lot"]),
        discount_paise=int(doc["discount_paise"]),
        prize_paise=int(doc["prize_paise"]),
        commission_paise=int(doc["commission_paise"]),
        per_ticket_dividend_paise=int(doc["per_ticket_dividend_paise"]),
        next_instalment_paise=int(doc["next_instalment_paise"]),
        minutes_hash=base.sha256_doc(doc),
        attestations=tuple(attestations),
        others_attested=others,
        complete=base.minutes_complete(row, settled),
        foreman_attested=base.FOREMAN_ATTESTER in done,
    )


def _payout(state: State, group: dict[str, Any], month: int, now_ms: int) -> PayoutStep:
    gid = str(group["group_id"])
    settled = _settled(state, gid, month)
    if settled is None:
        return PayoutStep(available=False)
    terms = base.terms_of(group)
    winner_ticket = int(settled["winner_ticket"])
    months_left = int(group["months"]) - month
    required = security_required_paise(terms, months_left)
    security = state.get(base.SECURITIES, base.ticket_key(gid, winner_ticket)) or {}
    deduction = bool(security.get("deduction"))
    withheld = base.withheld_paise(state, group, settled)
    cash = base.prize_cash_paise(state, group, settled)
    claim = base.prize_claim_name(gid, month)
    verdict = chit_views.payout_safe(state, gid, cash, claim=claim)
    board = default_views.recovery_board(state, now_ms, gid)
    due = next((p for p in board.prizes if p.month == month), None)
    minutes = state.get(base.MINUTES, base.month_key(gid, month))
    return PayoutStep(
        available=True,
        winner_ticket=winner_ticket,
        winner_name=_name(state, str(settled["winner_member"])),
        prize_paise=int(settled["prize_paise"]),
        withheld_paise=withheld,
        cash_paise=cash,
        months_left=months_left,
        security_required_paise=required,
        security_held_paise=int(security.get("value_paise") or 0),
        deduction=deduction,
        security_ok=_security_ok(state, group, settled),
        minutes_complete=base.minutes_complete(minutes, settled),
        banker_granted=verdict.granted,
        banker_code=verdict.code,
        banker_reason=verdict.reason,
        pay_by_ms=due.pay_by_ms if due is not None else 0,
        overdue=due.overdue if due is not None else False,
        paid=bool(settled["prize_paid"]),
        paid_paise=int(settled["paid_paise"]),
        bank_ref=str(settled["bank_ref"]),
    )


def _security_ok(state: State, group: dict[str, Any], settled: dict[str, Any]) -> bool:
    """The kernel's own check (chit_kinds_auction._check_security), asked without writing."""
    try:
        _check_security(state, group, settled)
    except ChitError:
        return False
    return True


def _close(state: State, group: dict[str, Any], month: int, desk: OpenMeeting | None) -> CloseStep:
    gid = str(group["group_id"])
    since = desk.opened_ms if desk is not None else 0
    receipts = _receipts(state, gid, month, since)
    settled = _settled(state, gid, month)
    minutes = state.get(base.MINUTES, base.month_key(gid, month))
    cash = _cash(state, gid, month, desk)
    return CloseStep(
        collected_paise=sum(int(r["amount_paise"]) for r in receipts),
        receipts=len(receipts),
        winner_name=_name(state, str(settled["winner_member"])) if settled else "",
        prize_paise=int(settled["prize_paise"]) if settled else 0,
        prize_paid=bool(settled and settled["prize_paid"]),
        minutes_complete=bool(settled) and base.minutes_complete(minutes, settled or {}),
        counted=cash.counted_paise is not None,
        difference_paise=cash.difference_paise,
        closed=desk is not None and desk.closed,
    )


# --- commands -----------------------------------------------------------------------------


def _scope(gid: str) -> dict[str, str]:
    return {"group_id": gid, "scope": f"group:{gid}"}


def open_auction_command(
    group_id: str,
    month: int,
    present: tuple[str, ...] | list[str],
    lot_commit: str = "",
    duration_ms: int = limits.MEETING_AUCTION_MS,
) -> Command:
    """Open the month's draw with the attendance and the countdown (the kernel bounds it);
    `lot_commit` for a lot v2 group."""
    body: dict[str, Any] = {
        **_scope(group_id),
        "month": month,
        "present": sorted(present),
        "foreman_present": True,  # the foreman runs the meeting from this laptop
        "duration_ms": duration_ms,
    }
    if lot_commit:
        body["lot_commit"] = lot_commit
    return "auction.opened", body


def reveal_command(group_id: str, month: int, secret: str) -> Command:
    return "lot.revealed", {**_scope(group_id), "month": month, "secret": secret}


def contribution_command(group_id: str, month: int, member_id: str, value_hex: str) -> Command:
    """A present subscriber's addition to the draw, written at the table and named (the
    member's act: `actor`); `value_hex` is 32 random bytes the caller drew."""
    body = {"group_id": group_id, "month": month, "contribution": value_hex, "actor": member_id}
    return "lot.contributed", body


def payment_problem(mode: str, reference: str) -> str:
    """A catalogue key naming what is missing from a payment, or ""."""
    if mode != CASH and not reference.strip():
        return NEEDS_REFERENCE
    return ""


def payment_command(
    group_id: str, month: int, ticket: int, amount_text: str, mode: str, reference: str
) -> Command:
    """A payment for a ticket: amount as typed (ui.fmt.parse_rupees refuses a bad one with
    its code), the mode in the note and the bank or UPI reference. The receipt number is
    the kernel's (the contributions row of the entry)."""
    amount = fmt.parse_rupees(amount_text)
    body: dict[str, Any] = {
        "group_id": group_id,
        "month": month,
        "ticket": ticket,
        "amount_paise": amount,
        "note": mode if mode in MODES else CASH,
    }
    if reference.strip():
        body["bank_ref"] = reference.strip()
    return "contribution.recorded", body


def penalty_command(group_id: str, ticket: int, amount_paise: int, reference: str) -> Command:
    body: dict[str, Any] = {"group_id": group_id, "ticket": ticket, "amount_paise": amount_paise}
    if reference.strip():
        body["bank_ref"] = reference.strip()
    return "penalty.paid", body


def cash_problem(counted_paise: int, expected_paise: int, note: str) -> str:
    """A counted total that differs from the expected one needs a note saying why."""
    if counted_paise != expected_paise and not note.strip():
        return NEEDS_CASH_NOTE
    return ""


def attest_command(group_id: str, month: int, minutes_hash: str, member_id: str = "") -> Command:
    """The foreman's attestation, or (`member_id`) a member's, signed at the table."""
    body: dict[str, Any] = {"group_id": group_id, "month": month, "minutes_hash": minutes_hash}
    if member_id:
        body.update(attester=member_id, actor=member_id)
    else:
        body["attester"] = base.FOREMAN_ATTESTER
    return "minutes.attested", body


def security_command(
    group_id: str, ticket: int, form: str, detail: str, value_paise: int = 0
) -> Command:
    """The winner's choice: `deduction` (future dues kept from the prize) or a security."""
    body: dict[str, Any] = {
        "group_id": group_id,
        "ticket": ticket,
        "form": form,
        "detail": detail.strip(),
    }
    if form != "deduction":
        body["value_paise"] = value_paise
    return "security.furnished", body


def payout_problem(payout: PayoutStep, typed: str) -> str:
    """The amount typed again must be the cash the prize pays (UX.md rule 2)."""
    try:
        amount = fmt.parse_rupees(typed)
    except ChitError:
        return AMOUNT_DIFFERS
    return "" if amount == payout.cash_paise else AMOUNT_DIFFERS


def payout_command(group_id: str, month: int, bank_ref: str) -> Command:
    body: dict[str, Any] = {**_scope(group_id), "month": month}
    if bank_ref.strip():
        body["bank_ref"] = bank_ref.strip()
    return "prize.paid", body


def lot_spent(state: State, group_id: str, month: int) -> bool:
    """Once the month is settled its lot secret can never be used again (revealed, or the
    month was won by a bid): the desk may forget it."""
    return _settled(state, group_id, month) is not None


def receipt_of(state: State, entry_hash: str) -> str:
    """The receipt number the kernel gave the payment written as `entry_hash`."""
    row = state.get(base.CONTRIBUTIONS, entry_hash) or {}
    return str(row.get("receipt") or "")
