"""The live auction as people see it: the foreman's desk ("/auction") and a member's room ("/room").

Pure functions of a `Reading` (no flet): what the kernel folded (`auctions`, `settlements`,
the group's terms) becomes display-ready values, and the commands the screens submit are
built here. Every rule stays in the kernel: the step buttons only propose a discount the
kernel would accept (`check_bid`'s increment, multiples and cap); the kernel still judges
it, and its refusal code reaches the screen in words.

Members see aliases ("Bidder 3"), never ticket numbers or names: the kernel fixes them per
ticket per month from the auction's opening entry (`chit_kinds_base.auction_aliases`).
The countdown belongs to the node: `ends_ms` is the opening entry's time plus its
`duration_ms`, and the remaining time is read against the node's clock.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views
from chitnode.domain.chit_rules import (
    BID_INCREMENT_DEFAULT_PAISE,
    Bid,
    DividendTo,
    GroupTerms,
    max_discount_paise,
    min_discount_paise,
    needs_lot,
    subscription_paise,
)
from chitnode.domain.member_keys import signed_group
from chitnode.domain.state import State
from chitnode.errors import RuleViolation
from chitnode.log.canonical import parse_canonical
from chitnode.log.statement import statement_for
from chitnode.services.events import Event
from ui.backend import Reading
from ui.signer import FILL_BLANK, Signed
from ui.vm import member_keys as keys

NONE = "none"  # no draw opened for this month yet
OPEN = "open"
DRAWING = "drawing"  # closed to bids; the lot awaits the holder's reveal
CLOSED = "closed"

BID = "auction.bid"
CLOSE = "auction.closed"
REVEAL = "lot.revealed"
SHARE = "lot.contributed"  # a present member's share of a draw by lot (the member's act)
SHARE_FIELD = "contribution"  # its 32 random bytes: drawn on the member's phone when keyed
# A member's share of the draw, as the room shows it: nothing asked (no draw takes shares
# now, or the member is not recorded present), the member may add it, or it is in.
SHARE_NONE = ""
SHARE_ASK = "ask"
SHARE_ADDED = "added"
# UX.md rule 6: the step buttons move a bid by ₹100, or by the group's increment where
# that is larger (a multiple of it, so every step lands on an amount the kernel accepts).
BID_STEP_PAISE = BID_INCREMENT_DEFAULT_PAISE
CMD_ID_HEX = 40  # hex digits of a bid's command id: 160 bits, within CMD_ID_BYTES_MAX


@dataclass(frozen=True, slots=True)
class Rules:
    """The rules card: what a bid may be this month."""

    min_paise: int  # the smallest discount a bid may offer
    max_paise: int  # the cap: the largest discount (ties at the cap go to the lot)
    increment_paise: int  # a bid beats the best by at least this
    in_multiples: bool  # bids are whole increments (except at the minimum or the cap)
    chit_value_paise: int
    max_discount_bps: int
    subscription_paise: int
    step_paise: int  # what one press of a step button moves the proposal by


@dataclass(frozen=True, slots=True)
class BidLine:
    alias: str
    discount_paise: int
    ts_ms: int
    mine: bool = False  # the member's own bid (the room); False on the desk


@dataclass(frozen=True, slots=True)
class Bidder:
    """A ticket that may take the prize this month, as the foreman's desk lists it."""

    ticket: int
    member_id: str
    name: str
    alias: str
    present: bool
    block: str  # why it may not bid ("" when it may): a kernel code
    keyed: bool = False  # the member has a signing key: the bid must be signed on their phone


@dataclass(frozen=True, slots=True)
class Result:
    """The month's outcome, once the kernel settled it."""

    winner_alias: str
    winner_ticket: int
    discount_paise: int
    prize_paise: int
    commission_paise: int
    per_ticket_dividend_paise: int
    next_instalment_paise: int
    by_lot: bool


@dataclass(frozen=True, slots=True)
class Desk:
    """The foreman's live auction for one group and month."""

    group_id: str
    group_name: str
    month: int
    status: str  # NONE | OPEN | DRAWING | CLOSED
    bidding: bool  # False: this month's prize is not auctioned (month 1, the last ticket)
    rules: Rules
    bidders: tuple[Bidder, ...]
    bids: tuple[BidLine, ...]  # newest last
    best_paise: int | None
    leading_alias: str
    ends_ms: int
    remaining_ms: int
    waiting: str  # a commit-reveal draw's next need: "contributions" | "close" | "reveal" | ""
    result: Result | None

    @property
    def can_close(self) -> bool:
        return self.status == OPEN and self.remaining_ms <= 0

    @property
    def can_bid(self) -> bool:
        return self.status == OPEN and self.bidding and self.remaining_ms > 0


@dataclass(frozen=True, slots=True)
class MyTicket:
    ticket: int
    alias: str
    block: str  # "" when it may bid


@dataclass(frozen=True, slots=True)
class Room:
    """A member's auction room on a phone."""

    member_id: str
    group_id: str
    group_name: str
    month: int
    status: str
    bidding: bool
    rules: Rules
    mine: tuple[MyTicket, ...]  # my tickets that are in this draw
    bids: tuple[BidLine, ...]
    best_paise: int | None
    leading_alias: str
    ends_ms: int
    remaining_ms: int
    result: Result | None
    my_share_paise: int  # my share of the discount this month (each of my tickets), once settled
    my_next_instalment_paise: int  # what each of my sharing tickets pays next month
    lot_share: str = SHARE_NONE  # my share of the draw by lot: SHARE_NONE | _ASK | _ADDED
    keyed: bool = False  # I have a signing key: my phone signs my bids and draws my share
    signed_group: bool = False  # the group holds every consent to the member's signature

    @property
    def my_alias(self) -> str:
        return ", ".join(t.alias for t in self.mine)

    @property
    def bidding_ticket(self) -> MyTicket | None:
        """The ticket my bids are for: the first of mine that may bid."""
        return next((t for t in self.mine if not t.block), None)

    @property
    def i_lead(self) -> bool:
        return bool(self.leading_alias) and any(t.alias == self.leading_alias for t in self.mine)

    @property
    def outbid(self) -> bool:
        """I bid, and someone else leads now."""
        return not self.i_lead and any(b.mine for b in self.bids)

    @property
    def can_bid(self) -> bool:
        open_now = self.status == OPEN and self.bidding and self.remaining_ms > 0
        return open_now and self.bidding_ticket is not None

    @property
    def i_won(self) -> bool:
        return self.result is not None and any(
            t.ticket == self.result.winner_ticket for t in self.mine
        )


# --- reading the fold --------------------------------------------------------------------------


def rules_of(group: dict[str, Any]) -> Rules:
    terms = base.terms_of(group)
    return Rules(
        min_paise=min_discount_paise(terms),
        max_paise=max_discount_paise(terms),
        increment_paise=terms.bid_increment_paise,
        in_multiples=terms.bids_in_multiples,
        chit_value_paise=terms.chit_value_paise,
        max_discount_bps=terms.max_discount_bps,
        subscription_paise=subscription_paise(terms),
        step_paise=step_of(terms.bid_increment_paise),
    )


def step_of(increment_paise: int) -> int:
    """The smallest multiple of the increment that is at least BID_STEP_PAISE."""
    return increment_paise * max(1, -(-BID_STEP_PAISE // increment_paise))


def _auction(state: State, gid: str, month: int) -> dict[str, Any] | None:
    return state.get(base.AUCTIONS, base.month_key(gid, month))


def current_month(state: State, gid: str) -> int:
    """The month whose draw is open or next: the one after the last settled."""
    group = base.group_row(state, gid)
    return min(int(group["settled"]) + 1, int(group["months"]))


def _month_param(state: State, gid: str, month: str | int | None) -> int:
    if month in (None, ""):
        return current_month(state, gid)
    text = str(month)
    if not text.isdigit():
        raise RuleViolation(f"month {text!r} is not a number", code="bad_month")
    return int(text)


def _result(state: State, gid: str, month: int, auction: dict[str, Any]) -> Result | None:
    row = state.get(base.SETTLEMENTS, base.month_key(gid, month))
    if row is None:
        return None
    ticket = int(row["winner_ticket"])
    return Result(
        winner_alias=str(auction["aliases"].get(str(ticket), "")),
        winner_ticket=ticket,
        discount_paise=int(row["discount_paise"]),
        prize_paise=int(row["prize_paise"]),
        commission_paise=int(row["commission_paise"]),
        per_ticket_dividend_paise=int(row["per_ticket_dividend_paise"]),
        next_instalment_paise=int(row["next_instalment_paise"]),
        by_lot=bool(row["by_lot"]),
    )


def _bids(auction: dict[str, Any], mine: frozenset[str] = frozenset()) -> tuple[BidLine, ...]:
    return tuple(
        BidLine(str(b["alias"]), int(b["discount_paise"]), int(b["ts_ms"]), b["alias"] in mine)
        for b in auction["bids"]
    )


def takes_shares(auction: dict[str, Any] | None, now_ms: int) -> bool:
    """Whether a draw by commit-reveal (lot v2) takes the shares of members present now:
    open, its countdown over, and the winner to be drawn (nobody bid, or the best bids
    tie). The kernel judges each share (chit_kinds_auction.lot_contributed)."""
    if not auction or not auction.get("lot") or auction["status"] != OPEN:
        return False
    bids = [
        Bid(str(b["ticket"]), int(b["discount_paise"]), str(b["hash"])) for b in auction["bids"]
    ]
    return now_ms >= int(auction["ends_ms"]) and needs_lot(bids)


def shared(auction: dict[str, Any] | None) -> frozenset[str]:
    """The members whose share is in the draw."""
    lot = (auction or {}).get("lot") or {}
    return frozenset(str(c["member"]) for c in lot.get("contributions") or ())


def lot_share(auction: dict[str, Any] | None, member_id: str, now_ms: int) -> str:
    if member_id in shared(auction):
        return SHARE_ADDED
    present = member_id in ((auction or {}).get("present") or ())
    return SHARE_ASK if present and takes_shares(auction, now_ms) else SHARE_NONE


def _status(auction: dict[str, Any] | None, result: Result | None) -> str:
    if auction is None:
        return NONE
    if result is not None:
        return CLOSED
    return str(auction["status"])


def desk(reading: Reading, group_id: str, month: str | int | None = None) -> Desk:
    """The foreman's view of one month's draw (refused `unknown_group` for no such group)."""
    state = reading.state
    group = base.group_row(state, group_id)
    m = _month_param(state, group_id, month)
    auction = _auction(state, group_id, m)
    result = _result(state, group_id, m, auction) if auction else None
    aliases: dict[str, str] = auction["aliases"] if auction else {}
    present = set(auction["present"]) if auction else set()
    bidders = []
    for row in base.ticket_rows(state, group):
        if int(row["won_month"]) and int(row["won_month"]) != m:
            continue  # prized in an earlier month: out of this draw
        mid = str(row["member_id"])
        member = state.get(base.MEMBERS, mid) or {}
        bidders.append(
            Bidder(
                ticket=int(row["ticket"]),
                member_id=mid,
                name=str(member.get("name", mid)),
                alias=aliases.get(str(row["ticket"]), ""),
                present=mid in present,
                block=base.bid_block(state, group, row) if not result else "",
                keyed=keys.current_key(state, mid) is not None,
            )
        )
    draw = chit_views.draw_state(auction) if auction and "lot" in auction else {}
    return Desk(
        **_shown(reading, group, m, auction, result, _bids(auction) if auction else ()),
        bidders=tuple(bidders),
        waiting=str(draw.get("waiting", "")),
    )


def _shown(
    reading: Reading,
    group: dict[str, Any],
    month: int,
    auction: dict[str, Any] | None,
    result: Result | None,
    bids: tuple[BidLine, ...],
) -> dict[str, Any]:
    """What the desk and the room both show of a draw."""
    ends = int(auction["ends_ms"]) if auction else 0
    gid = str(group["group_id"])
    return {
        "group_id": gid,
        "group_name": str(group.get("name", gid)),
        "month": month,
        "status": _status(auction, result),
        "bidding": bool(auction["bidding"]) if auction else False,
        "rules": rules_of(group),
        "bids": bids,
        "best_paise": auction["best_paise"] if auction else None,
        "leading_alias": bids[-1].alias if bids else "",
        "ends_ms": ends,
        "remaining_ms": max(0, ends - reading.now_ms) if auction else 0,
        "result": result,
    }


def draw_of(state: State, member_id: str) -> tuple[str, int] | None:
    """The draw a member's room shows when the phone names none: the member's newest draw
    still open (or drawing), else the newest one closed (its result); None if none."""
    found = []
    for auction in state.rows(base.AUCTIONS).values():
        gid = str(auction["group_id"])
        if member_id in base.holders(state, base.group_row(state, gid)):
            running = auction["status"] != CLOSED
            found.append((running, int(auction["opened_ms"]), gid, int(auction["month"])))
    if not found:
        return None
    _, _, gid, month = max(found)
    return gid, month


def room(
    reading: Reading, member_id: str, group_id: str = "", month: str | int | None = None
) -> Room:
    """What `member_id` sees of a draw: aliases only, their own tickets marked.

    Refused `no_open_auction` when the phone names no draw and the member has none, and
    `not_subscriber` for a group the member holds no ticket in."""
    state = reading.state
    if not group_id:
        found = draw_of(state, member_id)
        if found is None:
            raise RuleViolation("no draw of yours is open", code="no_open_auction")
        group_id, month = found
    group = base.group_row(state, group_id)
    if member_id not in base.holders(state, group):
        raise RuleViolation(f"{member_id} holds no ticket here", code="not_subscriber")
    m = _month_param(state, group_id, month)
    auction = _auction(state, group_id, m)
    result = _result(state, group_id, m, auction) if auction else None
    aliases: dict[str, str] = auction["aliases"] if auction else {}
    mine = []
    for row in base.ticket_rows(state, group):
        if str(row["member_id"]) != member_id or str(row["ticket"]) not in aliases:
            continue
        block = "" if result else base.bid_block(state, group, row)
        mine.append(MyTicket(int(row["ticket"]), aliases[str(row["ticket"])], block))
    my_aliases = frozenset(t.alias for t in mine)
    bids = _bids(auction, my_aliases) if auction else ()
    share, next_due = _my_month(base.terms_of(group), result, mine)
    return Room(
        **_shown(reading, group, m, auction, result, bids),
        member_id=member_id,
        mine=tuple(mine),
        my_share_paise=share,
        my_next_instalment_paise=next_due,
        lot_share=lot_share(auction, member_id, reading.now_ms) if not result else SHARE_NONE,
        keyed=keys.current_key(state, member_id) is not None,
        signed_group=signed_group(group),
    )


def _my_month(terms: GroupTerms, result: Result | None, mine: list[MyTicket]) -> tuple[int, int]:
    """My share of the discount and my next instalment (per ticket), once settled.

    The winner shares the discount too unless the agreement gives it to the others."""
    if result is None:
        return 0, 0
    won = any(t.ticket == result.winner_ticket for t in mine)
    others_only = terms.dividend_to == DividendTo.OTHERS and result.per_ticket_dividend_paise
    if won and others_only and len(mine) == 1:
        return 0, subscription_paise(terms)
    return result.per_ticket_dividend_paise, result.next_instalment_paise


# --- a bid arriving: what changes for everyone ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bids:
    """A draw's bids as every phone sees them (aliases only): one reading for all rooms."""

    group_id: str
    month: int
    status: str
    best_paise: int | None
    lines: tuple[BidLine, ...]  # `mine` False: each room marks its own


def bids_of(reading: Reading, group_id: str, month: int) -> Bids:
    auction = _auction(reading.state, group_id, month)
    if auction is None:
        raise RuleViolation(f"month {month}'s draw is not open", code="no_open_auction")
    return Bids(group_id, month, str(auction["status"]), auction["best_paise"], _bids(auction))


def with_bids(room: Room, bids: Bids) -> Room:
    """`room` after new bids, without reading the fold again for each phone."""
    mine = frozenset(t.alias for t in room.mine)
    lines = tuple(BidLine(b.alias, b.discount_paise, b.ts_ms, b.alias in mine) for b in bids.lines)
    return dataclasses.replace(
        room,
        bids=lines,
        best_paise=bids.best_paise,
        leading_alias=lines[-1].alias if lines else "",
    )


# --- the step buttons (UX.md rule 6: never free text) ------------------------------------------


def lowest_bid(rules: Rules, best_paise: int | None) -> int:
    """The smallest discount the kernel would accept now (`chit_rules.check_bid`)."""
    if best_paise is None:
        return rules.min_paise
    if best_paise >= rules.max_paise:
        return rules.max_paise  # a tie at the cap is accepted: the lot decides
    return _valid(rules, best_paise + rules.increment_paise)


def _valid(rules: Rules, discount: int) -> int:
    """`discount` moved up to the next amount a bid may be (a multiple, or the cap)."""
    if discount >= rules.max_paise:
        return rules.max_paise
    step = rules.increment_paise
    if rules.in_multiples and discount % step and discount != rules.min_paise:
        return min(rules.max_paise, -(-discount // step) * step)
    return discount


def step(rules: Rules, best_paise: int | None, proposed: int | None, steps: int) -> int:
    """The proposal after pressing + (`steps` > 0) or − (< 0) `steps` times, kept between
    the lowest acceptable bid now and the cap."""
    floor = lowest_bid(rules, best_paise)
    start = floor if proposed is None or proposed < floor else proposed
    moved = start + steps * rules.step_paise
    if moved <= floor:
        return floor
    return _valid(rules, moved)


# --- what a bid would mean, and the commands ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preview:
    """The confirmation before a bid: what the bidder would take home if it wins."""

    discount_paise: int
    prize_paise: int  # what the winner takes home at this discount
    commission_paise: int
    per_ticket_dividend_paise: int
    next_instalment_paise: int


def preview(reading: Reading, group_id: str, month: int, discount_paise: int) -> Preview:
    """chit_views.settlement_preview at this discount (the kernel's settlement)."""
    s = chit_views.settlement_preview(reading.state, group_id, month, discount_paise)
    return Preview(
        discount_paise=s.discount_paise,
        prize_paise=s.prize_paise,
        commission_paise=s.commission_paise,
        per_ticket_dividend_paise=s.per_ticket_dividend_paise,
        next_instalment_paise=s.next_instalment_paise,
    )


def _scope(group_id: str, month: int) -> dict[str, Any]:
    return {"group_id": group_id, "month": month, "scope": f"group:{group_id}"}


def bid_command(
    group_id: str, month: int, ticket: int, discount_paise: int, actor: str = ""
) -> tuple[str, dict[str, Any]]:
    """An `auction.bid`; `actor` names the member (staff on behalf of one present; a member
    session's gate stamps its own)."""
    body = {**_scope(group_id, month), "ticket": ticket, "discount_paise": discount_paise}
    if actor:
        body["actor"] = actor
    return BID, body


def close_command(group_id: str, month: int) -> tuple[str, dict[str, Any]]:
    return CLOSE, _scope(group_id, month)


def reveal_command(group_id: str, month: int, secret: str) -> tuple[str, dict[str, Any]]:
    return REVEAL, {**_scope(group_id, month), "secret": secret}


def share_template(group_id: str, month: int, member_id: str) -> tuple[str, dict[str, Any]]:
    """A keyed member's share of the draw as the node asks the phone to sign it: the share
    blank (FILL_BLANK). The phone fills in 32 bytes it draws itself (ui/signer.py FILLS):
    the node must not choose them, or the lot's holder, who knows its secret, could."""
    body = {"group_id": group_id, "month": month, "actor": member_id, SHARE_FIELD: FILL_BLANK}
    return SHARE, body


def share_body(template: dict[str, Any], signed: Signed, branch_id: str) -> dict[str, Any]:
    """The `lot.contributed` body to submit: `template` with the phone's share, and the
    phone's signature as its countersig. RuleViolation `signer_statement_mismatch` unless
    the statement signed is exactly the one the fold will rebuild from that body (the
    desk checked the same when the phone posted it)."""
    doc = parse_canonical(signed.statement)
    value = doc.get(SHARE_FIELD) if isinstance(doc, dict) else None
    body = {**template, SHARE_FIELD: value}
    if not isinstance(value, str) or statement_for(SHARE, body, branch_id) != signed.statement:
        raise RuleViolation("the signed share is not this draw's", code="signer_statement_mismatch")
    return keys.countersigned(body, signed)


def share_cmd_id(member_id: str, group_id: str, month: int) -> str:
    """One share per member and draw: a second tap, or a resend, is "already done"."""
    return bid_cmd_id(member_id, group_id, month, "lot-share")


def bid_cmd_id(member_id: str, group_id: str, month: int, nonce: str) -> str:
    """One command id per confirmation: pressing "Confirm" twice (or a phone resending it
    after a lost reply) writes one bid (UX.md rule 5). Hashed: ids are at most
    CMD_ID_BYTES_MAX bytes whatever the group id's length."""
    digest = hashlib.sha256(f"{group_id}|{month}|{member_id}|{nonce}".encode()).hexdigest()
    return "bid-" + digest[:CMD_ID_HEX]


def is_draw_event(event: Event) -> bool:
    """Whether a committed event changes a draw's screen (its bids, close, reveal, result)."""
    return event.kind.startswith(("auction.", "lot."))
