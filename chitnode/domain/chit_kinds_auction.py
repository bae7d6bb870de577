"""Chit fund entry kinds of the monthly draw: auction, minutes, security, prize payout.

Coordinated kinds (coordination-v1): `auction.opened`, `auction.bid`,
`auction.closed`, `lot.revealed`, `prize.paid` carry `"scope": "group:<gid>"` and `"term"`; the
fold accepts them only from the scope's lease holder (checked before the
reducer, `apply.decide`). A member bids from a phone through the lock holder's
node; the entry records the member as `actor`.

The winner: highest discount; ties and months without a bid are drawn by lot.
Groups formed once the branch has recorded its rules (`branch.chit_rules_set`) draw
by commit-reveal (lot v2, issue 14 point 2, docs/chit-rules.md "The lot"): the
holder commits to a secret in `auction.opened` (`lot_commit`), subscribers present
add contributions (`lot.contributed`, each the member's act), `auction.closed` fixes
them, and the draw happens when the holder reveals the secret (`lot.revealed`);
until then the month stalls in status `drawing`, visibly, and nothing can change
the draw. Older groups keep lot v1, seeded with the hash of `auction.opened` then
the bids' hashes, so their logs fold as before. Month 1 follows the group's
`first_month` variant; in the last month the one remaining ticket takes the prize
at the minimum discount, without bids.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import defaults as defaulters
from chitnode.domain import limits
from chitnode.domain.apply import role_of
from chitnode.domain.chit_kinds_base import need
from chitnode.domain.chit_rules import (
    BID_INCREMENT_DEFAULT_PAISE,
    BPS_PER_WHOLE,
    AuctionResult,
    Bid,
    FirstMonth,
    GroupTerms,
    auction_winner,
    check_bid,
    check_discount_ceiling,
    lot_v2_seeds,
    needs_lot,
    security_covers,
    security_required_paise,
    settle,
)
from chitnode.domain.kinds import ADMIN, MANAGERS, STAFF, kind
from chitnode.domain.money import require_paise
from chitnode.domain.state import Change, Put, State
from chitnode.log.entry import Entry
from chitnode.log.statement import COUNTERSIG

OPEN = "open"
DRAWING = "drawing"  # closed to bids and contributions, the lot awaits the holder's reveal
CLOSED = "closed"
PROPERTY_FORM = "immovable_property"  # counts at 2/3 of its value (chit_rules, 1.5x cover)
SECURITY_FORMS = ("guarantor", "document", PROPERTY_FORM, "deduction")
ATTESTERS = STAFF | {"member"}
CONTRIBUTORS = STAFF | {"member"}  # a member's own device, or staff at the meeting, named

BRANCH_RULES = "branch_rules"  # ["branch"]: the branch's state rules for new groups
LOT_V2 = "commit_reveal.v2"  # the group row's `lot` when it draws by commit-reveal


def _term(entry: Entry) -> int:
    return int(entry.body["term"])  # checked by apply.decide before any reducer runs


def _no_stale(row: dict[str, Any], entry: Entry) -> None:
    """coordination-v1 rule 4 where a reducer can see it: a lower term loses to a higher one."""
    need(_term(entry) >= int(row["term"]), "stale_term", "a higher term already acted here")


# --- the branch's rules -------------------------------------------------------------


def branch_rules(state: State) -> dict[str, Any] | None:
    """The branch's recorded state rules, or None for a branch that never recorded them
    (its groups keep the old lot and increment: docs/chit-rules.md, "Older groups")."""
    return state.get(BRANCH_RULES, "branch")


@kind(
    "branch.chit_rules_set",
    ADMIN,
    summary="Records the state's chit rules (discount ceiling) for groups formed from now.",
)
def branch_chit_rules_set(state: State, entry: Entry) -> list[Change]:
    """The state whose chit rules the branch follows and its ceiling on the discount.

    From this entry on, new groups draw by commit-reveal, bid in multiples of the
    increment (default Rs 100) and agree a maximum discount within the ceiling. Groups
    already formed keep the agreement their members signed. Recording the rules again
    changes the ceiling for groups formed afterwards; there is no way back to lot v1.
    """
    body = base.body_of(entry, ("state", "discount_ceiling_bps", "source"))
    where = base.text(body, "state", max_chars=limits.NAME_CHARS_MAX, empty_ok=False)
    source = base.text(body, "source", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    ceiling = body["discount_ceiling_bps"]
    ok = base.is_int(ceiling) and 1 <= ceiling <= BPS_PER_WHOLE
    need(ok, "bad_ceiling", f"discount_ceiling_bps must be 1..{BPS_PER_WHOLE}")
    row = {
        "state": where,
        "discount_ceiling_bps": ceiling,
        "source": source,
        "lot": LOT_V2,
        "set_ms": entry.ts,
        "by": entry.author,
    }
    return [Put(BRANCH_RULES, "branch", row)]


def auction_terms(state: State, body: dict[str, Any]) -> dict[str, Any]:
    """The auction terms a new group takes from the branch's rules (none before them).

    The maximum discount must be within the branch's ceiling (`discount_above_ceiling`);
    the increment defaults to Rs 100 and bids come in multiples of it; the lot is v2.
    Stored only for groups formed under the rules, so older agreements hash as signed.
    """
    rules = branch_rules(state)
    if rules is None:
        return {}
    ceiling = int(rules["discount_ceiling_bps"])
    if base.is_int(body.get("max_discount_bps")):
        check_discount_ceiling(int(body["max_discount_bps"]), ceiling)
    return {
        "bid_increment_paise": body.get("bid_increment_paise", BID_INCREMENT_DEFAULT_PAISE),
        "bids_in_multiples": True,
        "lot": LOT_V2,
        "discount_ceiling_bps": ceiling,
    }


def commit_reveal(group: dict[str, Any]) -> bool:
    return group.get("lot") == LOT_V2


def needs_commit(state: State, group: dict[str, Any], month: int) -> bool:
    """Whether month `month`'s `auction.opened` must carry the holder's `lot_commit`: a
    lot v2 group, in a month with a choice (more than one ticket left, and not month 1
    given to the foreman's ticket), since any such month may end in a draw."""
    foreman_month = month == 1 and group["first_month"] == FirstMonth.FOREMAN_TICKET.value
    return commit_reveal(group) and len(_non_prized(state, group)) > 1 and not foreman_month


def _first_month_fixed(group: dict[str, Any], month: int) -> bool:
    return month == 1 and group["first_month"] != FirstMonth.AUCTION.value


def _non_prized(state: State, group: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in base.ticket_rows(state, group) if not t["won_month"]]


def _present(state: State, group: dict[str, Any], body: dict[str, Any]) -> list[str]:
    raw = body["present"]
    ok = isinstance(raw, list) and len(raw) <= limits.PRESENT_MAX
    need(ok, "bad_body", f"present: a list of at most {limits.PRESENT_MAX} member ids")
    present = [base.member_id_of({"member_id": m}) for m in raw]
    need(len(set(present)) == len(present), "bad_body", "present repeats a member")
    subscribers = base.holders(state, group)
    strangers = sorted(set(present) - subscribers)
    need(not strangers, "not_subscriber", f"not subscribers here: {strangers[:5]}")
    return sorted(present)


@kind("auction.opened", MANAGERS, coordinated=True, summary="Opens a month's draw with attendance.")
def auction_opened(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(
        entry,
        ("group_id", "month", "present", "foreman_present", "scope", "term"),
        ("duration_ms", "lot_commit"),
    )
    gid = base.group_id_of(body)
    base.check_scope(body, gid)
    group = base.running_group(state, gid)
    month = base.month_of(body, group)
    need(group["settled"] < group["months"], "group_finished", "every month is settled")
    need(month == group["settled"] + 1, "wrong_month", f"month {group['settled'] + 1} is next")
    key = base.month_key(gid, month)
    existing = state.get(base.AUCTIONS, key)
    if existing is not None:
        _no_stale(existing, entry)
        need(False, "auction_exists", f"month {month}'s draw was already opened")
    present = _present(state, group, body)
    foreman = body["foreman_present"]
    need(isinstance(foreman, bool), "bad_body", "foreman_present must be true or false")
    need(foreman and len(present) >= 2, "quorum_not_met", "needs the foreman and 2 subscribers")
    duration = base.integer(
        body,
        "duration_ms",
        limits.AUCTION_MIN_MS,
        limits.AUCTION_MAX_MS,
        "bad_body",
        default=limits.AUCTION_DEFAULT_MS,
    )
    candidates = [int(t["ticket"]) for t in _non_prized(state, group)]
    bidding = len(candidates) > 1 and not _first_month_fixed(group, month)
    commit = body.get("lot_commit")
    if needs_commit(state, group, month):
        ok = isinstance(commit, str) and base.SHA256_RE.match(commit) is not None
        need(ok, "lot_commit_missing", "the holder commits to its lot secret (64 hex) at opening")
    else:
        need(commit is None, "bad_body", "lot_commit only where the group draws by commit-reveal")
    row: dict[str, Any] = {
        "group_id": gid,
        "month": month,
        "status": OPEN,
        "term": _term(entry),
        "open_hash": entry.hash,
        "opened_ms": entry.ts,
        "ends_ms": entry.ts + duration,
        "foreman_present": True,
        "present": present,
        "aliases": base.auction_aliases(entry.hash, candidates),
        "bidding": bidding,
        "bids": [],
        "best_paise": None,
        "close_hash": None,
        "closed_ms": None,
    }
    if commit is not None:  # the lot's candidates are fixed now, before any contribution
        candidates = sorted(int(t) for t in _eligible(state, group))
        row["lot"] = {
            "commit": commit,
            "tickets": candidates,  # the lot's candidates
            "contributions": [],
            "secret": None,
            "reveal_hash": None,
        }
    return [Put(base.AUCTIONS, key, row)]


def _open_auction(state: State, gid: str, month: int, entry: Entry) -> dict[str, Any]:
    auction = state.get(base.AUCTIONS, base.month_key(gid, month))
    need(auction is not None, "no_open_auction", f"month {month}'s draw is not open")
    assert auction is not None
    _no_stale(auction, entry)
    need(auction["status"] == OPEN, "auction_closed", f"month {month}'s draw has closed")
    return auction


@kind("auction.bid", MANAGERS, coordinated=True, summary="Accepts a discount bid for a ticket.")
def auction_bid(state: State, entry: Entry) -> list[Change]:
    required = ("group_id", "month", "ticket", "discount_paise", "scope", "term")
    body = base.body_of(entry, required)
    gid = base.group_id_of(body)
    base.check_scope(body, gid)
    group = base.running_group(state, gid)
    month = base.month_of(body, group)
    auction = _open_auction(state, gid, month, entry)
    need(auction["bidding"], "no_bidding_this_month", "this month's prize is not auctioned")
    need(entry.ts <= auction["ends_ms"], "auction_ended", "the countdown has ended")
    # lot v2: the first contribution ends the bidding, so no bid is entered or left out
    # by someone who has seen the draw's inputs
    late = bool(auction.get("lot", {}).get("contributions"))
    need(not late, "auction_ended", "the draw's contributions have begun: bidding is over")
    need(len(auction["bids"]) < limits.BIDS_PER_AUCTION_MAX, "too_many_bids", "bid limit reached")
    ticket_no = base.ticket_of(state, group, body)
    ticket = base.ticket_row(state, gid, ticket_no)
    base.check_on_behalf(state, entry, str(ticket["member_id"]))
    block = base.bid_block(state, group, ticket)
    need(not block, block, f"ticket {ticket_no} may not bid ({block})")
    discount = check_bid(base.terms_of(group), body["discount_paise"], auction["best_paise"])
    bid = {
        "ticket": ticket_no,
        "discount_paise": discount,
        "hash": entry.hash,
        "ts_ms": entry.ts,
        "alias": auction["aliases"][str(ticket_no)],
    }
    row = {**auction, "bids": [*auction["bids"], bid], "best_paise": discount}
    return [Put(base.AUCTIONS, base.month_key(gid, month), row)]


def _bids_of(auction: dict[str, Any]) -> list[Bid]:
    return [
        Bid(str(b["ticket"]), int(b["discount_paise"]), str(b["hash"])) for b in auction["bids"]
    ]


def _winner(
    state: State,
    group: dict[str, Any],
    auction: dict[str, Any],
    terms: GroupTerms,
    lot_seeds: list[str] | None = None,
) -> AuctionResult:
    """The month's winner. `lot_seeds` (lot v2) are the commit-reveal draw's values;
    without them the lot is v1, seeded by the open entry and the bids."""
    month = int(auction["month"])
    if month == 1 and group["first_month"] == FirstMonth.FOREMAN_TICKET.value:
        return AuctionResult(str(group["foreman_ticket"]), 0, by_lot=False)
    bids = _bids_of(auction)
    if lot_seeds is not None:  # lot v2: the candidates were fixed when the draw opened
        eligible = {str(t) for t in auction["lot"]["tickets"]} | {b.ticket_id for b in bids}
        return auction_winner(terms, bids, sorted(eligible), lot_seeds, commit_reveal=True)
    eligible = _eligible(state, group) | {b.ticket_id for b in bids}  # accepted bids stay valid
    return auction_winner(terms, bids, sorted(eligible), [str(auction["open_hash"])])


def _eligible(state: State, group: dict[str, Any]) -> set[str]:
    """The non-prized tickets in good standing, or all non-prized ones when none is: the
    lot still gives the month a prize."""
    open_tickets = _non_prized(state, group)
    eligible = {str(t["ticket"]) for t in open_tickets if not base.bid_block(state, group, t)}
    return eligible or {str(t["ticket"]) for t in open_tickets}


@kind("lot.contributed", CONTRIBUTORS, summary="A present subscriber's contribution to a draw.")
def lot_contributed(state: State, entry: Entry) -> list[Change]:
    """A subscriber present adds 32 random bytes to the month's draw (lot v2).

    The member's act (`actor`, check_on_behalf): from its own linked device, or from a
    staff device at the meeting, named. One per member, after the countdown (the first
    contribution ends the bidding) and before the close. Once a
    contribution from a member's own device (or signed on the member's phone) is in,
    staff devices may add no unsigned one: a holder who knows its secret could
    otherwise grind a later contribution it writes itself until its favourite wins
    (docs/chit-rules.md, "What the holder can still do").
    """
    body = base.body_of(entry, ("group_id", "month", "contribution"))
    gid = base.group_id_of(body)
    group = base.running_group(state, gid)
    month = base.month_of(body, group)
    key = base.month_key(gid, month)
    auction = state.get(base.AUCTIONS, key)
    need(auction is not None, "no_open_auction", f"month {month}'s draw is not open")
    assert auction is not None
    need("lot" in auction, "no_lot_this_month", "this draw takes no contributions")
    need(auction["status"] == OPEN, "auction_closed", f"month {month}'s draw has closed")
    ended = entry.ts >= auction["ends_ms"]
    need(ended, "auction_running", "contributions come after the countdown, once bids are in")
    value = body["contribution"]
    ok = isinstance(value, str) and base.SHA256_RE.match(value) is not None
    need(ok, "bad_body", "contribution: 64 lowercase hex digits (32 random bytes)")
    actor = body.get("actor")
    need(actor is not None, "actor_missing", "a contribution is a member's act: name the actor")
    mid = base.member_id_of(body, "actor")
    base.check_on_behalf(state, entry, mid)
    need(mid in auction["present"], "not_present", f"{mid} was not recorded present")
    lot = auction["lot"]
    need(
        all(c["member"] != mid for c in lot["contributions"]),
        "already_contributed",
        f"{mid} already contributed to this draw",
    )
    # The member's own: written by the member's device, or signed on the member's phone
    # whoever wrote it (a countersig, checked by apply.decide before this reducer)
    own_device = role_of(state, entry.author) == "member" or COUNTERSIG in entry.body
    sealed = any(c["own_device"] for c in lot["contributions"])
    need(
        own_device or not sealed,
        "contributions_sealed",
        "a member's own device has contributed: staff may add no more",
    )
    item = {"member": mid, "value": value, "hash": entry.hash, "own_device": own_device}
    lot = {**lot, "contributions": [*lot["contributions"], item]}
    return [Put(base.AUCTIONS, key, {**auction, "lot": lot})]


@kind("auction.closed", MANAGERS, coordinated=True, summary="Closes a draw: winner, settlement.")
def auction_closed(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id", "month", "scope", "term"))
    gid = base.group_id_of(body)
    base.check_scope(body, gid)
    group = base.running_group(state, gid)
    month = base.month_of(body, group)
    auction = _open_auction(state, gid, month, entry)
    need(entry.ts >= auction["ends_ms"], "auction_running", "the countdown has not ended")
    closed = {**auction, "close_hash": entry.hash, "closed_ms": entry.ts}
    if "lot" in auction and needs_lot(_bids_of(auction)):
        # Lot v2: the contributions are fixed now; the draw waits for the holder's reveal.
        need(
            bool(auction["lot"]["contributions"]),
            "lot_no_contribution",
            "the draw needs a contribution from a subscriber present before it closes",
        )
        return [Put(base.AUCTIONS, base.month_key(gid, month), {**closed, "status": DRAWING})]
    terms = base.terms_of(group)
    result = _winner(state, group, auction, terms)
    return _settle_month(state, group, closed, result, entry)


@kind("lot.revealed", MANAGERS, coordinated=True, summary="Reveals the lot secret: the draw.")
def lot_revealed(state: State, entry: Entry) -> list[Change]:
    """The holder reveals the secret it committed to; the draw and the settlement follow.

    Only the committed secret is accepted (`lot_mismatch`), so withholding it stalls the
    month in `drawing` (shown on the auction board and by `chitnode log`) but can never
    change who wins.
    """
    body = base.body_of(entry, ("group_id", "month", "secret", "scope", "term"))
    gid = base.group_id_of(body)
    base.check_scope(body, gid)
    group = base.running_group(state, gid)
    month = base.month_of(body, group)
    auction = state.get(base.AUCTIONS, base.month_key(gid, month))
    need(auction is not None, "no_open_auction", f"month {month}'s draw is not open")
    assert auction is not None
    _no_stale(auction, entry)
    need(auction["status"] == DRAWING, "no_draw_pending", f"month {month} awaits no reveal")
    secret = body["secret"]
    ok = isinstance(secret, str) and base.SHA256_RE.match(secret) is not None
    need(ok, "bad_body", "secret: 64 lowercase hex digits")
    lot = auction["lot"]
    contributions = {str(c["member"]): str(c["value"]) for c in lot["contributions"]}
    seeds = lot_v2_seeds(str(lot["commit"]), secret, contributions)
    result = _winner(state, group, auction, base.terms_of(group), seeds)
    revealed = {**auction, "lot": {**lot, "secret": secret, "reveal_hash": entry.hash}}
    return _settle_month(state, group, revealed, result, entry)


def _settle_month(
    state: State,
    group: dict[str, Any],
    auction: dict[str, Any],
    result: AuctionResult,
    entry: Entry,
) -> list[Change]:
    """Declare the winner and divide the month's collection (the entry that decides:
    `auction.closed`, or `lot.revealed` for a commit-reveal draw)."""
    gid, month = str(group["group_id"]), int(auction["month"])
    terms = base.terms_of(group)
    settlement = settle(terms, result.discount_paise, month)
    winner_no = int(result.ticket_id)
    ticket = base.ticket_row(state, gid, winner_no)
    assert not ticket["won_month"], "a prized ticket can never win again"
    pool, dividend = base.pool_account(gid), base.dividend_account(gid)
    credited = 0  # last month's dividend, now credited against this month's instalment
    if month > 1:
        previous = state.get(base.SETTLEMENTS, base.month_key(gid, month - 1))
        assert previous is not None
        credited = int(previous["per_ticket_dividend_paise"]) * int(previous["sharing_tickets"])
    shared = settlement.per_ticket_dividend_paise * settlement.sharing_tickets
    outflow = settlement.commission_paise + shared
    need(
        state.balance(pool) + credited >= outflow,
        "pool_short",
        "the pool does not hold the month's commission and dividend yet: collect first",
    )
    others = terms.dividend_to.value == "others" and month < terms.tickets
    extra = settlement.per_ticket_dividend_paise if others else 0
    row = {
        **dataclasses.asdict(settlement),
        "group_id": gid,
        "winner_ticket": winner_no,
        "winner_member": ticket["member_id"],
        "by_lot": result.by_lot,
        "close_hash": auction["close_hash"],
        "closed_ms": auction["closed_ms"],
        "term": _term(entry),
        "prize_paid": False,
        "paid_paise": 0,
        "withheld_paise": 0,
        "paid_ms": None,
        "bank_ref": "",
    }
    grown = month < terms.tickets
    new_group = {
        **group,
        "settled": month,
        "instalments_paise": [
            *group["instalments_paise"],
            *([settlement.next_instalment_paise] * grown),
        ],
        "month_starts_ms": [*group["month_starts_ms"], *([entry.ts] * grown)],
    }
    return [
        Put(base.SETTLEMENTS, base.month_key(gid, month), row),
        Put(base.AUCTIONS, base.month_key(gid, month), {**auction, "status": CLOSED}),
        Put(base.GROUPS, gid, new_group),
        Put(
            base.TICKETS,
            base.ticket_key(gid, winner_no),
            {**ticket, "won_month": month, "won_extra_due_paise": extra},
        ),
        *base.transfer(dividend, pool, credited),
        *base.transfer(pool, base.commission_account(gid), settlement.commission_paise),
        *base.transfer(pool, dividend, shared),
    ]


@kind("minutes.attested", ATTESTERS, summary="Attests a closed draw's minutes by their hash.")
def minutes_attested(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id", "month", "attester", "minutes_hash"))
    gid = base.group_id_of(body)
    group = base.open_group(state, gid)
    month = base.month_of(body, group)
    expected = base.minutes_hash(state, gid, month)
    auction = state.get(base.AUCTIONS, base.month_key(gid, month))
    settled = state.get(base.SETTLEMENTS, base.month_key(gid, month))
    assert auction is not None and settled is not None
    attester = body["attester"]
    if attester == base.FOREMAN_ATTESTER:
        need(role_of(state, entry.author) in MANAGERS, "not_foreman", "only the foreman's device")
    else:
        mid = base.member_id_of(body, "attester")
        base.check_on_behalf(state, entry, mid)
        ok = mid in auction["present"] or mid == settled["winner_member"]
        need(ok, "not_present", f"{mid} was not present at the draw")
    need(body["minutes_hash"] == expected, "minutes_mismatch", "not the hash of these minutes")
    key = base.month_key(gid, month)
    minutes = state.get(base.MINUTES, key) or {"attesters": []}
    need(attester not in minutes["attesters"], "already_attested", f"{attester} already attested")
    row = {
        "group_id": gid,
        "month": month,
        "minutes_hash": expected,
        "attesters": sorted([*minutes["attesters"], attester]),
    }
    row["complete"] = base.minutes_complete(row, settled)
    return [Put(base.MINUTES, key, row)]


@kind("security.furnished", STAFF, summary="Records a winner's security, or the deduction choice.")
def security_furnished(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id", "ticket", "form", "detail"), ("value_paise",))
    gid = base.group_id_of(body)
    group = base.running_group(state, gid)
    ticket_no = base.ticket_of(state, group, body)
    ticket = base.ticket_row(state, gid, ticket_no)
    won = int(ticket["won_month"])
    need(won > 0, "not_prized", "security is furnished by a prize winner")
    settled = state.get(base.SETTLEMENTS, base.month_key(gid, won))
    assert settled is not None
    need(not settled["prize_paid"], "already_prized", "the prize was already paid")
    form = body["form"]
    need(form in SECURITY_FORMS, "bad_security_form", f"form must be one of {SECURITY_FORMS}")
    detail = base.text(body, "detail", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    if form == "deduction":
        need("value_paise" not in body, "bad_body", "a deduction has no security value")
        value = 0
    else:
        value = require_paise(body.get("value_paise"), field="value_paise")
    key = base.ticket_key(gid, ticket_no)
    old = state.get(base.SECURITIES, key) or {"items": [], "value_paise": 0, "deduction": False}
    need(len(old["items"]) < limits.SECURITY_ITEMS_MAX, "too_many_items", "too many securities")
    item = {"form": form, "value_paise": value, "detail": detail, "ts_ms": entry.ts}
    row = {
        "group_id": gid,
        "ticket": ticket_no,
        "month": won,
        "items": [*old["items"], item],
        "value_paise": int(old["value_paise"]) + value,
        "deduction": bool(old["deduction"]) or form == "deduction",
    }
    return [Put(base.SECURITIES, key, row)]


def _check_security(state: State, group: dict[str, Any], settled: dict[str, Any]) -> None:
    gid, month = str(group["group_id"]), int(settled["month"])
    required = security_required_paise(base.terms_of(group), int(group["months"]) - month)
    security = state.get(base.SECURITIES, base.ticket_key(gid, int(settled["winner_ticket"])))
    items = security["items"] if security is not None else []
    land = sum(int(i["value_paise"]) for i in items if i["form"] == PROPERTY_FORM)
    other = sum(int(i["value_paise"]) for i in items) - land
    months_left = int(group["months"]) - month
    covered = required == 0 or (
        security is not None
        and (
            bool(security["deduction"])
            or security_covers(base.terms_of(group), months_left, other, land)
        )
    )
    need(
        covered,
        "security_missing",
        f"needs security of {required} paise (immovable property at 1.5x the dues) or a deduction",
    )


@kind("prize.paid", MANAGERS, coordinated=True, summary="Pays a month's prize, exactly once.")
def prize_paid(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("group_id", "month", "scope", "term"), ("bank_ref", "note"))
    gid = base.group_id_of(body)
    base.check_scope(body, gid)
    group = base.running_group(state, gid)
    month = base.month_of(body, group)
    key = base.month_key(gid, month)
    settled = state.get(base.SETTLEMENTS, key)
    need(settled is not None, "auction_not_closed", f"month {month} has no winner yet")
    assert settled is not None
    _no_stale(settled, entry)
    need(not settled["prize_paid"], "already_prized", "this prize was already paid")
    need(
        base.minutes_complete(state.get(base.MINUTES, key), settled),
        "minutes_incomplete",
        "minutes need the foreman, the winner and two other subscribers",
    )
    _check_security(state, group, settled)
    bank_ref = base.text(body, "bank_ref", max_chars=limits.REF_CHARS_MAX)
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX)
    withheld = base.withheld_paise(state, group, settled)
    cash = int(settled["prize_paise"]) - withheld
    ticket_no = int(settled["winner_ticket"])
    netted: list[dict[str, Any]] = []  # loans secured on the ticket, settled from it (s.14)
    repaid: list[Change] = []
    for lien in base.PRIZE_LIENS:
        left = cash - sum(int(n["amount_paise"]) for n in netted)
        loans, moves = lien(state, entry, gid, ticket_no, left)
        netted, repaid = [*netted, *loans], [*repaid, *moves]
    back = sum(int(n["principal_paise"]) for n in netted)  # lent from this pool, comes back
    verdict = base.payout_safe(state, gid, cash - back, claim=base.prize_claim_name(gid, month))
    need(verdict.granted, verdict.code, verdict.reason)
    ticket = base.ticket_row(state, gid, ticket_no)
    loans_paise = sum(int(n["amount_paise"]) for n in netted)
    paid: dict[str, Any] = {"prize_paid": True, "paid_paise": cash - loans_paise}
    paid.update(withheld_paise=withheld, loans_netted_paise=loans_paise, loans_netted=netted)
    changes: list[Change] = [
        Put(base.SETTLEMENTS, key, {**settled, **paid, "paid_ms": entry.ts, "bank_ref": bank_ref}),
        *base.transfer(base.pool_account(gid), base.CASH_ACCOUNT, cash),
        *repaid,
    ]
    if withheld:  # kept in the pool as the winner's payment of its dues, with a receipt
        receipt_no = int(group["receipts"]) + 1
        receipt = _deduction_receipt(ticket, month, withheld, entry)
        receipt.update(receipt=f"{gid}/R{receipt_no:05d}", note=note)
        ticket = defaulters.accrued(group, ticket, entry.ts)  # interest runs until this payment
        # s.30(1): a substitute's back dues deducted from its prize; what cash the pool holds
        realised = max(0, min(withheld, state.balance(base.pool_account(gid)) - cash))
        ticket, deposits = defaulters.route_back_payment(state, gid, ticket, realised)
        credited = {**ticket, "paid_paise": int(ticket["paid_paise"]) + withheld}
        changes += [
            Put(base.CONTRIBUTIONS, entry.hash, receipt),
            Put(base.TICKETS, base.ticket_key(gid, ticket_no), credited),
            Put(base.GROUPS, gid, {**group, "receipts": receipt_no}),
            *deposits,
        ]
    return changes


def _deduction_receipt(
    ticket: dict[str, Any], month: int, amount_paise: int, entry: Entry
) -> dict[str, Any]:
    return {
        "group_id": ticket["group_id"],
        "ticket": ticket["ticket"],
        "member_id": ticket["member_id"],
        "month": month,
        "amount_paise": amount_paise,
        "bank_ref": "",
        "note": "",
        "receipt": "",
        "ts_ms": entry.ts,
        "author": entry.author,
        "source": "prize_deduction",
    }
