"""Shared reads for the chit kinds: tables, accounts, body checks, terms, dues, documents.

Pure (DESIGN.md): functions of a `State` and an entry's body, no I/O, clock or
randomness. The reducers in `chit_kinds*.py` and the read models in
`chit_views.py` both build on these, so a rule is written once.

Tables (key -> row), all keys built by the helpers below:
- `groups` [gid]: the agreement terms plus status, months settled, instalments_paise
- `members` [mid]: name, KYC status and masked KYC fields
- `tickets` [gid|tttt]: holder, holders history, paid in, month won
- `signatures` [gid|mid]: the terms hash a member signed, and when
- `contributions` [entry hash]: one receipt per payment
- `auctions` [gid|mmmm]: attendance, aliases, bids, status
- `settlements` [gid|mmmm]: chit_rules.Settlement fields, winner, payout
- `minutes` [gid|mmmm]: who attested which minutes hash
- `securities` [gid|tttt]: security furnished by a prize winner
- `recoveries` [gid|tttt|n]: recovery cases and their stage history
- `closeouts` [gid]: the close-out reconciliation
- `device_members` [device key]: the one member a `member`-role device acts for

Accounts (Posting legs, G1): `ext:cash` (money in from and out to people, may go
negative), `pool:<gid>` (collected, not yet paid out), `commission:<gid>` (the
foreman's earnings), `dividend:<gid>` (a month's dividend, owed to the tickets
until it is credited against the next instalment or paid out at close-out).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeGuard

from chitnode.domain import bankers, limits
from chitnode.domain.apply import role_of
from chitnode.domain.chit_rules import (
    LEFTOVER_TO,
    CloseoutReport,
    CommissionMode,
    DividendTo,
    FirstMonth,
    GroupTerms,
    Settlement,
    closeout,
    commission_paise,
    subscription_paise,
)
from chitnode.domain.money import format_inr
from chitnode.domain.state import Change, Posting, State
from chitnode.errors import RuleViolation
from chitnode.log.canonical import canonical
from chitnode.log.entry import Entry

GROUPS = "groups"
MEMBERS = "members"
TICKETS = "tickets"
SIGNATURES = "signatures"
CONTRIBUTIONS = "contributions"
AUCTIONS = "auctions"
SETTLEMENTS = "settlements"
MINUTES = "minutes"
SECURITIES = "securities"
RECOVERIES = "recoveries"
CLOSEOUTS = "closeouts"
DEVICE_MEMBERS = "device_members"

CASH_ACCOUNT = "ext:cash"

FORMING = "forming"
RUNNING = "running"
CLOSED = "closed"

KYC_NONE = "none"
KYC_SUBMITTED = "submitted"
KYC_APPROVED = "approved"
KYC_REJECTED = "rejected"

FOREMAN_ATTESTER = "foreman"
DAY_MS = 86_400_000

# The bounds on bodies (text lengths, list sizes, durations) live in chitnode.domain.limits.
ID_RE = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{limits.ID_CHARS_MAX - 1}}}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
ALWAYS_ALLOWED = frozenset({"cmd_id", "actor", "countersig"})  # countersig: member_keys
COORDINATED = frozenset({"scope", "term"})

AGREEMENT_DOC = "chitnode.chit-agreement.v1"
# Terms a group takes from the branch's rules (chit_kinds_auction.auction_terms).
AUCTION_RULE_TERMS = ("bids_in_multiples", "lot", "discount_ceiling_bps")
MINUTES_DOC = "chitnode.auction-minutes.v1"
ALIAS_DOMAIN = "chitnode.alias.v1"


# --- body checks ------------------------------------------------------------------


def need(cond: bool, code: str, message: str) -> None:
    """Raise RuleViolation(code) unless `cond`: bad input is refused, never half-applied."""
    if not cond:
        raise RuleViolation(message, code=code)


def body_of(entry: Entry, required: Iterable[str], optional: Iterable[str] = ()) -> dict[str, Any]:
    """The entry's body if it has every required field and no unknown one."""
    body = entry.body
    must, may = set(required), set(optional) | ALWAYS_ALLOWED
    missing, extra = must - set(body), set(body) - must - may
    need(not missing, "bad_body", f"{entry.kind} body lacks {sorted(missing)}")
    need(not extra, "bad_body", f"{entry.kind} body has unknown fields {sorted(extra)}")
    actor = body.get("actor")
    need(actor is None or _is_id(actor), "bad_body", "actor must be a member id")
    return body


def _is_id(value: object) -> bool:
    return isinstance(value, str) and ID_RE.match(value) is not None


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def text(body: Mapping[str, Any], field: str, *, max_chars: int, empty_ok: bool = True) -> str:
    value = body.get(field, "")
    need(isinstance(value, str) and len(value) <= max_chars, "bad_body", f"{field}: text")
    need(empty_ok or bool(str(value).strip()), "note_required", f"{field} must not be empty")
    return str(value)


def integer(
    body: Mapping[str, Any], field: str, low: int, high: int, code: str, default: int | None = None
) -> int:
    value = body.get(field, default)
    if not is_int(value):
        raise RuleViolation(f"{field} must be an integer", code="bad_body")
    need(low <= value <= high, code, f"{field} must be {low}..{high}")
    return value


def flag(body: Mapping[str, Any], field: str, default: bool) -> bool:
    value = body.get(field, default)
    need(isinstance(value, bool), "bad_body", f"{field} must be true or false")
    return bool(value)


def group_id_of(body: Mapping[str, Any]) -> str:
    gid = body.get("group_id")
    need(_is_id(gid), "bad_group_id", "group_id: 1-40 letters, digits, '.', '_' or '-'")
    return str(gid)


def member_id_of(body: Mapping[str, Any], field: str = "member_id") -> str:
    mid = body.get(field)
    need(_is_id(mid), "bad_member_id", f"{field}: 1-40 letters, digits, '.', '_' or '-'")
    return str(mid)


def check_actor(body: Mapping[str, Any], member_id: str) -> None:
    """A member acting through a serving node is recorded as `actor`: it must be that member."""
    actor = body.get("actor")
    need(actor is None or actor == member_id, "actor_mismatch", "actor is not the member")


def check_on_behalf(state: State, entry: Entry, member_id: str) -> None:
    """A member's own act (a signature, an attestation, a bid), written by whichever node
    serves the member (Chit Funds Act s.6, s.17): the entry must name the member as `actor`,
    and a `member`-role device may act only for the member it is linked to
    (`member.device_linked`). Staff nodes may still write it at the meeting, named."""
    actor = entry.body.get("actor")
    need(actor is not None, "actor_missing", f"{entry.kind} is {member_id}'s act: name the actor")
    need(actor == member_id, "actor_mismatch", "actor is not the member")
    if role_of(state, entry.author) == "member":
        link = state.get(DEVICE_MEMBERS, entry.author)
        own = link is not None and link["member_id"] == member_id
        need(own, "not_own_member", "a member's device acts only for its own member")


def check_scope(body: Mapping[str, Any], gid: str) -> None:
    need(body.get("scope") == f"group:{gid}", "bad_scope", f"scope must be group:{gid}")


# --- keys and rows ------------------------------------------------------------------


def ticket_key(gid: str, ticket: int) -> str:
    return f"{gid}|{ticket:04d}"


def month_key(gid: str, month: int) -> str:
    return f"{gid}|{month:04d}"


def pool_account(gid: str) -> str:
    return f"pool:{gid}"


def commission_account(gid: str) -> str:
    return f"commission:{gid}"


def dividend_account(gid: str) -> str:
    return f"dividend:{gid}"


def transfer(source: str, target: str, amount_paise: int) -> list[Posting]:
    """Two legs moving `amount_paise` from `source` to `target` (none for zero)."""
    assert amount_paise >= 0, amount_paise
    if amount_paise == 0:
        return []
    return [Posting(source, -amount_paise), Posting(target, amount_paise)]


def group_row(state: State, gid: str) -> dict[str, Any]:
    row = state.get(GROUPS, gid)
    need(row is not None, "unknown_group", f"no group {gid}")
    assert row is not None
    return row


def open_group(state: State, gid: str) -> dict[str, Any]:
    """The group, refused with `group_closed` once it has closed out."""
    group = group_row(state, gid)
    need(group["status"] != CLOSED, "group_closed", f"group {gid} is closed")
    return group


def running_group(state: State, gid: str) -> dict[str, Any]:
    group = open_group(state, gid)
    need(group["status"] == RUNNING, "group_not_running", f"group {gid} has not started")
    return group


def ticket_of(state: State, group: Mapping[str, Any], body: Mapping[str, Any]) -> int:
    """The body's ticket number, which must be one of the group's tickets."""
    value = body.get("ticket")
    if not is_int(value):
        raise RuleViolation("ticket must be an integer ticket number", code="bad_body")
    need(1 <= value <= int(group["tickets"]), "unknown_ticket", f"no ticket {value}")
    return value


def ticket_row(state: State, gid: str, ticket: int) -> dict[str, Any]:
    row = state.get(TICKETS, ticket_key(gid, ticket))
    need(row is not None, "ticket_unassigned", f"ticket {ticket} has no holder")
    assert row is not None
    return row


def member_row(state: State, mid: str) -> dict[str, Any]:
    row = state.get(MEMBERS, mid)
    need(row is not None, "unknown_member", f"no member {mid}")
    assert row is not None
    return row


def month_of(body: Mapping[str, Any], group: Mapping[str, Any]) -> int:
    return integer(body, "month", 1, int(group["months"]), "bad_month")


def ticket_rows(state: State, group: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The group's assigned tickets in ticket order."""
    gid = str(group["group_id"])
    rows = (state.get(TICKETS, ticket_key(gid, t)) for t in range(1, int(group["tickets"]) + 1))
    return [row for row in rows if row is not None]


def holders(state: State, group: Mapping[str, Any]) -> set[str]:
    """Member ids that hold at least one ticket of the group now."""
    return {str(row["member_id"]) for row in ticket_rows(state, group)}


# --- terms, settlements, dues -------------------------------------------------------


TERMS_FIELDS = tuple(f.name for f in dataclasses.fields(GroupTerms))


def terms_of(group: Mapping[str, Any]) -> GroupTerms:
    """The chit_rules terms recorded in a group row: its keys are GroupTerms' field names."""
    fields = {name: group[name] for name in TERMS_FIELDS if name in group}
    # Rows of groups formed before the branch's rules have no such term: no multiples.
    fields.setdefault("bids_in_multiples", False)
    variants = {  # stored as their text values
        "dividend_to": DividendTo(fields["dividend_to"]),
        "commission_mode": CommissionMode(fields["commission_mode"]),
        "first_month": FirstMonth(fields["first_month"]),
    }
    return GroupTerms(**fields | variants)


SETTLEMENT_FIELDS = tuple(f.name for f in dataclasses.fields(Settlement))


def settlement_of(row: Mapping[str, Any]) -> Settlement:
    return Settlement(**{name: row[name] for name in SETTLEMENT_FIELDS})


def settlement_rows(state: State, group: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Settled months 1..k in order."""
    gid = str(group["group_id"])
    out = []
    for month in range(1, int(group["settled"]) + 1):
        row = state.get(SETTLEMENTS, month_key(gid, month))
        assert row is not None, f"settlement {gid} month {month} missing"
        out.append(row)
    return out


def full_instalment_paise(terms: GroupTerms) -> int:
    """A ticket's gross monthly dues: the subscription plus any commission collected on top."""
    on_top = terms.commission_mode == CommissionMode.ON_TOP
    return subscription_paise(terms) + (commission_paise(terms) // terms.tickets if on_top else 0)


def current_month(group: Mapping[str, Any]) -> int:
    """The month whose instalment is due now: 0 before the start, then settled + 1 (<= months)."""
    if group["status"] == FORMING:
        return 0
    return min(int(group["settled"]) + 1, int(group["months"]))


def dues_through_paise(group: Mapping[str, Any], ticket: Mapping[str, Any], month: int) -> int:
    """What a ticket owes for months 1..month (net of dividends credited, chit_rules rule)."""
    due = sum(int(x) for x in group["instalments_paise"][:month])
    won = int(ticket["won_month"])
    if 0 < won < month:  # dividend "others": the winner is not credited the month after
        due += int(ticket["won_extra_due_paise"])
    return due


def arrears_paise(group: Mapping[str, Any], ticket: Mapping[str, Any]) -> int:
    due = dues_through_paise(group, ticket, current_month(group))
    return max(0, due - int(ticket["paid_paise"]))


def oldest_unpaid_month(group: Mapping[str, Any], ticket: Mapping[str, Any]) -> int:
    """The first month whose dues the ticket's payments do not cover, or 0 if none."""
    paid = int(ticket["paid_paise"])
    for month in range(1, current_month(group) + 1):
        if dues_through_paise(group, ticket, month) > paid:
            return month
    return 0


def overdue_month(group: Mapping[str, Any], ticket: Mapping[str, Any], now_ms: int) -> int:
    """The oldest unpaid month whose grace period has passed by `now_ms`, or 0 if none."""
    month = oldest_unpaid_month(group, ticket)
    if month == 0:
        return 0
    due_ms = int(group["month_starts_ms"][month - 1]) + int(group["grace_days"]) * DAY_MS
    return month if now_ms >= due_ms else 0


def bid_block(state: State, group: Mapping[str, Any], ticket: Mapping[str, Any]) -> str:
    """Why this ticket may not bid now (a rejection code), or "" when it may."""
    if int(ticket["won_month"]):
        return "ticket_prized"
    if ticket.get("removal") is not None:  # removed for default (s.28): off the list
        return "ticket_removed"
    member = state.get(MEMBERS, str(ticket["member_id"])) or {}
    if member.get("kyc") != KYC_APPROVED:
        return "kyc_not_approved"
    gid = str(group["group_id"])
    if state.get(SIGNATURES, f"{gid}|{ticket['member_id']}") is None:
        return "agreement_unsigned"
    if arrears_paise(group, ticket) > int(group["bid_arrears_max_paise"]):
        return "arrears_outstanding"
    return ""


def auction_aliases(open_hash: str, tickets: Iterable[int]) -> dict[str, str]:
    """Per-auction aliases members see instead of ticket numbers ("Bidder 07").

    Rank of sha256("chitnode.alias.v1|<open entry hash>|<ticket>"): fixed by the
    auction's open entry, so every node and an auditor derive the same names, and
    they change every month.
    """

    def rank(ticket: int) -> str:
        return hashlib.sha256(f"{ALIAS_DOMAIN}|{open_hash}|{ticket}".encode()).hexdigest()

    ranked = sorted(tickets, key=rank)
    width = len(str(len(ranked)))
    return {str(t): f"Bidder {i:0{width}d}" for i, t in enumerate(ranked, start=1)}


def closeout_of(state: State, group: Mapping[str, Any]) -> CloseoutReport:
    """chit_rules.closeout over the group's settlements and payments (tickets as "1".."N")."""
    settled = settlement_rows(state, group)
    awards = [(str(row["winner_ticket"]), settlement_of(row)) for row in settled]
    tickets = ticket_rows(state, group)
    payments = {str(t["ticket"]): int(t["paid_paise"]) for t in tickets}
    names = [str(n) for n in range(1, int(group["tickets"]) + 1)]
    return closeout(terms_of(group), awards, names, payments)


# --- documents whose hashes are signed ----------------------------------------------


def agreement_document(group: Mapping[str, Any]) -> dict[str, Any]:
    """The chit agreement's terms as a canonical document; members sign its sha256."""
    terms = terms_of(group)
    return {
        "doc": AGREEMENT_DOC,
        "law": "Chit Funds Act, 1982",
        "group_id": group["group_id"],
        "name": group["name"],
        "chit_value_paise": terms.chit_value_paise,
        "tickets": terms.tickets,
        "months": group["months"],
        "subscription_paise": subscription_paise(terms),
        "commission_bps": terms.commission_bps,
        "amended_2019": terms.amended_2019,
        "max_discount_bps": terms.max_discount_bps,
        "min_discount_paise": terms.min_discount_paise,
        "bid_increment_paise": terms.bid_increment_paise,
        "dividend_to": terms.dividend_to.value,
        "commission_mode": terms.commission_mode.value,
        "first_month": terms.first_month.value,
        "foreman_ticket": group["foreman_ticket"],
        "meeting_day": group["meeting_day"],
        "grace_days": group["grace_days"],
        # defaulters' terms (penalty interest, s.30 deduction), only where the agreement
        # states them (older agreements' hashes hold)
        **{k: group[k] for k in ("penalty_interest_bps", "defaulter_deduction_bps") if k in group},
        "bid_arrears_max_paise": group["bid_arrears_max_paise"],
        "dividend_leftover_to": LEFTOVER_TO,
        "security_rule": "security >= 4/3 of future dues, or future dues deducted from the prize",
        # s.14 loan terms, only where the agreement states them (older agreements' hashes hold)
        **{k: group[k] for k in ("loan_backing_bps", "loan_interest_to") if k in group},
        # the branch's auction rules (lot v2, multiples, ceiling), only for groups under them
        **{k: group[k] for k in AUCTION_RULE_TERMS if k in group},
        # members consent only by their own signature (member_keys), only where agreed
        **({"consent": group["consent"]} if "consent" in group else {}),
    }


def sha256_doc(doc: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(dict(doc))).hexdigest()


def terms_hash(group: Mapping[str, Any]) -> str:
    return sha256_doc(agreement_document(group))


def minutes_document(state: State, gid: str, month: int) -> dict[str, Any] | None:
    """The minutes of a closed draw (None until it has closed); attesters sign its sha256."""
    auction = state.get(AUCTIONS, month_key(gid, month))
    settled = state.get(SETTLEMENTS, month_key(gid, month))
    if auction is None or settled is None:
        return None
    bids = [[b["ticket"], b["discount_paise"], b["hash"]] for b in auction["bids"]]
    # lot v2: what an auditor recomputes the draw from; absent for lot v1 (hashes hold)
    lot = {"lot": auction["lot"]} if "lot" in auction else {}
    return {
        **lot,
        "doc": MINUTES_DOC,
        "group_id": gid,
        "month": month,
        "opened": auction["open_hash"],
        "closed": settled["close_hash"],
        "foreman_present": auction["foreman_present"],
        "present": auction["present"],
        "bids": bids,
        "winner_ticket": settled["winner_ticket"],
        "winner_member": settled["winner_member"],
        "by_lot": settled["by_lot"],
        "discount_paise": settled["discount_paise"],
        "prize_paise": settled["prize_paise"],
        "commission_paise": settled["commission_paise"],
        "per_ticket_dividend_paise": settled["per_ticket_dividend_paise"],
        "next_instalment_paise": settled["next_instalment_paise"],
    }


def minutes_hash(state: State, gid: str, month: int) -> str:
    doc = minutes_document(state, gid, month)
    need(doc is not None, "auction_not_closed", "the draw has not closed")
    assert doc is not None
    return sha256_doc(doc)


def minutes_complete(minutes: Mapping[str, Any] | None, settled: Mapping[str, Any]) -> bool:
    """Foreman, the winner and at least two other subscribers present have attested."""
    if minutes is None:
        return False
    attesters = set(minutes["attesters"])
    winner = str(settled["winner_member"])
    others = attesters - {FOREMAN_ATTESTER, winner}
    return FOREMAN_ATTESTER in attesters and winner in attesters and len(others) >= 2


# --- payouts ------------------------------------------------------------------------


def withheld_paise(state: State, group: Mapping[str, Any], settled: Mapping[str, Any]) -> int:
    """What a prize keeps back when the winner chose deduction: arrears and future dues.

    Future dues are counted at the full instalment (future dividends are not known
    yet); what turns out to be too much is refunded at close-out.
    """
    gid, ticket_no = str(group["group_id"]), int(settled["winner_ticket"])
    security = state.get(SECURITIES, ticket_key(gid, ticket_no))
    if security is None or not security["deduction"]:
        return 0
    ticket = state.get(TICKETS, ticket_key(gid, ticket_no))
    assert ticket is not None
    months_left = int(group["months"]) - int(settled["month"])
    future = months_left * full_instalment_paise(terms_of(group))
    owed = dues_through_paise(group, ticket, int(settled["month"])) + future
    return min(int(settled["prize_paise"]), max(0, owed - int(ticket["paid_paise"])))


def prize_cash_paise(state: State, group: Mapping[str, Any], settled: Mapping[str, Any]) -> int:
    """Cash a prize pays out of the pool: the prize less any deduction."""
    return int(settled["prize_paise"]) - withheld_paise(state, group, settled)


PRIZE_CLAIM_PREFIX = "prize "
# Other commitments on a group pool, registered by the modules that make them (loans
# funded by a group register theirs on import: loan_views). A hook, not an import,
# because those modules build on this one.
POOL_CLAIM_SOURCES: list[Callable[[State, str], list[bankers.LoanClaim]]] = []
# Loans secured on a ticket (s.14), netted from its prize at payout: (state, entry, gid,
# ticket, prize cash) -> (what each loan took, the changes); registered by loan_kinds.
PRIZE_LIENS: list[
    Callable[[State, Entry, str, int, int], tuple[list[dict[str, Any]], list[Change]]]
] = []


def prize_claim_name(gid: str, month: int) -> str:
    return f"{PRIZE_CLAIM_PREFIX}{gid} month {month}"


def payout_safe(
    state: State, group_id: str, amount_paise: int, *, claim: str = "payout"
) -> bankers.RequestOutcome:
    """Banker's gate: may `amount_paise` leave the group pool now, for commitment `claim`?

    The resource is the group's pool (`group:<gid>`, cash on hand = the balance of
    `pool:<gid>`). A prize is paid once and never comes back, so the Banker's
    "finish and release" does not apply to it (docs/bankers.md): prizes declared
    before `claim` and still unpaid are money already promised, held back from
    what is available (first declared, first paid). `claim` is then a Banker's
    request on what is left; further commitments on the pool (loans funded by the
    group, the money issue) join as claims that do release.
    """
    gid = group_id
    pool = f"{bankers.GROUP_POOL_PREFIX}{gid}"
    group = group_row(state, gid)
    promised = 0
    for settled in settlement_rows(state, group):
        name = prize_claim_name(gid, int(settled["month"]))
        if name == claim:
            break
        if not settled["prize_paid"]:
            promised += prize_cash_paise(state, group, settled)
    available = max(0, state.balance(pool_account(gid)) - promised)
    # A declared prize comes first (s.22: paid within 7 days of the draw): loans
    # already hold back its cash (bankers.branch_loan_state), and their undisbursed
    # tranches wait for it, never the reverse. Other payouts leave loans able to finish.
    prize = claim.startswith(PRIZE_CLAIM_PREFIX)
    others = [
        c
        for source in ([] if prize else POOL_CLAIM_SOURCES)
        for c in source(state, pool)
        if not c.name.startswith(PRIZE_CLAIM_PREFIX) and c.name != claim
    ]
    if others and amount_paise <= available:
        return _leaves_loans_safe(pool, available - amount_paise, others, claim, amount_paise)
    banker = bankers.branch_loan_state(
        {pool: available}, [*others, bankers.LoanClaim(claim, pool, amount_paise)]
    )
    return bankers.branch_request(banker, claim, {pool: amount_paise})


def _leaves_loans_safe(
    pool: str, after: int, loans: list[bankers.LoanClaim], claim: str, amount_paise: int
) -> bankers.RequestOutcome:
    """A prize never comes back, so it is not a Banker's process that finishes and
    releases: the payout is safe when the loans on the pool can still all finish
    from what the pool holds after it."""
    state = bankers.branch_loan_state({pool: after}, loans)
    if bankers.is_safe(state):
        reason = f"{claim} ({format_inr(amount_paise)}) leaves every loan on {pool} able to finish"
        return bankers.RequestOutcome(True, state, reason, "granted")
    names = ", ".join(c.name for c in loans)
    reason = (
        f"paying {claim} ({format_inr(amount_paise)}) would leave {format_inr(after)} in "
        f"{pool}, too little to finish what is promised to {names}"
    )
    return bankers.RequestOutcome(False, None, reason, "unsafe_state")
