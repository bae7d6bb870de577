"""Chit fund arithmetic: terms, bids, monthly settlement, lot, security, closeout.

Pure (DESIGN.md, "Chit fund rules the kernel enforces"): no I/O, no clock, no
randomness; every amount is int paise and every percentage is int basis points
(500 bp = 5%), so no float ever touches money, not even in between.

Timeline of one month m (1..tickets): every ticket pays its instalment for m,
then the prize of m is auctioned (or drawn by lot), then the month settles:

    collected = tickets * subscription (+ the commission, when collected on top)
              = prize + commission + per_ticket_dividend * sharing_tickets

The dividend of month m is credited against the instalment of month m + 1; the
last month's dividend has no next instalment and is paid in cash at closeout.

Rounding rules (each one chosen so the foreman never takes more than the cap):
- commission = chit value * bp // 10_000, rounded down to the paisa;
- commission collected on top = tickets * (commission // tickets): the
  paise that do not divide evenly are forgone, never charged;
- leftover paise (pool % sharing tickets) go back to the prize winner: they are
  part of the discount the winner gave up but that cannot be shared equally.
  Giving them to the foreman would push the commission past the statutory cap.

Error codes (RuleViolation.code): not_integer_paise, not_integer,
non_positive_amount, negative_amount, amount_above_max, too_few_tickets,
too_many_tickets, value_not_divisible, commission_above_cap, bad_variant,
bad_max_discount, bad_min_discount, bid_below_minimum, bid_above_cap,
bid_increment_too_small, bid_not_multiple, discount_above_ceiling,
bad_ceiling, bad_month, foreman_month_no_discount,
first_month_by_lot, no_candidates, duplicate_candidate, no_seed,
bad_seed_hash, lot_mismatch, lot_no_contribution, ticket_not_eligible, bad_tickets, unknown_ticket,
incomplete_group, ticket_prized_twice, settlement_mismatch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from chitnode.domain import limits
from chitnode.domain.money import require_paise
from chitnode.errors import RuleViolation

BPS_PER_WHOLE = 10_000  # basis points in 100%
COMMISSION_CAP_BPS = 500  # Chit Funds Act, 1982: at most 5% of the chit value
COMMISSION_CAP_2019_BPS = 700  # up to 7% where the group follows the 2019 amendment
MAX_DISCOUNT_DEFAULT_BPS = 4_000  # 40%, the Act's default ceiling on the discount
SECURITY_NUMERATOR = 4  # security for future dues must be >= 4/3 of them
SECURITY_DENOMINATOR = 3
# Immovable property (land, a house) secures only if valued at >= 3/2 of what it secures:
# s.31 asks "sufficient security"; state chit rules set 1.5x for immovable property.
PROPERTY_SECURITY_NUMERATOR = 3
PROPERTY_SECURITY_DENOMINATOR = 2
LOT_DOMAIN = b"chitnode.lot.v1:"
# The commit-reveal draw (docs/chit-rules.md, "The lot"): its own domain, so no v1 seed
# can ever be replayed as a v2 one.
LOT_V2_DOMAIN = b"chitnode.lot.v2:"
# The agreement's default bid increment: Rs 100, and bids in multiples of it, as the
# companies' published terms have it (docs/chit-rules.md, "Bids").
BID_INCREMENT_DEFAULT_PAISE = 100 * 100
BID_INCREMENT_V1_PAISE = 100  # Rs 1, any paisa multiple: groups formed before the rules
LEFTOVER_TO = "winner"  # who receives pool % sharing_tickets; see module docstring


class DividendTo(StrEnum):
    """Which tickets share the month's dividend."""

    ALL = "all"
    OTHERS = "others"  # every ticket except the month's winner


class CommissionMode(StrEnum):
    """Where the foreman's commission comes from."""

    FROM_DISCOUNT = "from_discount"  # pool = discount - commission
    FROM_PRIZE = "from_prize"  # winner's prize is cut; pool = whole discount
    ON_TOP = "on_top"  # added to each instalment; pool = whole discount


class FirstMonth(StrEnum):
    """How month 1's prize is given."""

    FOREMAN_TICKET = "foreman_ticket"  # foreman's ticket, zero discount, no commission
    AUCTION = "auction"
    LOT = "lot"  # drawn by lot at the minimum discount


@dataclass(frozen=True, slots=True)
class GroupTerms:
    """The money terms of one chit group's agreement."""

    chit_value_paise: int
    tickets: int  # also the number of months
    commission_bps: int = COMMISSION_CAP_BPS
    amended_2019: bool = False
    max_discount_bps: int = MAX_DISCOUNT_DEFAULT_BPS
    min_discount_paise: int | None = None  # None: the mode's default, min_discount_paise()
    bid_increment_paise: int = BID_INCREMENT_DEFAULT_PAISE
    dividend_to: DividendTo = DividendTo.ALL
    commission_mode: CommissionMode = CommissionMode.FROM_DISCOUNT
    first_month: FirstMonth = FirstMonth.AUCTION
    # A bid is a whole number of increments (the minimum and the cap excepted, since
    # the agreement may put them anywhere). False only for groups formed before the
    # branch's rules were recorded (chit_kinds_auction.branch_rules).
    bids_in_multiples: bool = True


def _require_count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleViolation(f"{field} must be an integer", code="not_integer")
    return value


def _require_variants(terms: GroupTerms) -> None:
    for enum, value in (
        (DividendTo, terms.dividend_to),
        (CommissionMode, terms.commission_mode),
        (FirstMonth, terms.first_month),
    ):
        if value not in {member.value for member in enum}:
            raise RuleViolation(f"unknown {enum.__name__}: {value!r}", code="bad_variant")


def _validate_size(terms: GroupTerms) -> None:
    value = require_paise(terms.chit_value_paise, field="chit_value_paise")
    if value > limits.CHIT_VALUE_PAISE_MAX:
        raise RuleViolation("chit value above the supported maximum", code="amount_above_max")
    tickets = _require_count(terms.tickets, "tickets")
    if tickets < 2:
        raise RuleViolation("a chit group needs at least two tickets", code="too_few_tickets")
    if tickets > limits.TICKETS_MAX:
        raise RuleViolation(f"at most {limits.TICKETS_MAX} tickets", code="too_many_tickets")
    # subscription = value / tickets must be whole paise: no rounding in instalments
    if value % tickets:
        raise RuleViolation("chit value must divide evenly by tickets", code="value_not_divisible")


def _validate_commission(terms: GroupTerms) -> None:
    bp = _require_count(terms.commission_bps, "commission_bps")
    if bp < 0:
        raise RuleViolation("commission must not be negative", code="negative_amount")
    cap = COMMISSION_CAP_2019_BPS if terms.amended_2019 is True else COMMISSION_CAP_BPS
    if bp > cap:
        raise RuleViolation(f"commission above {cap} bp", code="commission_above_cap")


def _validate_discounts(terms: GroupTerms) -> None:
    max_bp = _require_count(terms.max_discount_bps, "max_discount_bps")
    commission = commission_paise(terms)
    top = max_discount_paise(terms)
    if max_bp > BPS_PER_WHOLE or top < commission:
        raise RuleViolation("max discount must be within commission..100%", code="bad_max_discount")
    if (
        terms.commission_mode == CommissionMode.FROM_PRIZE
        and top + commission > terms.chit_value_paise
    ):
        raise RuleViolation("prize could go negative", code="bad_max_discount")
    # "others" shares among fewer tickets: a dividend above the subscription
    # would make an instalment negative, so such terms are refused up front.
    if _pool_paise(terms, top, commission) // _sharing_tickets(terms) > subscription_paise(terms):
        raise RuleViolation("dividend could exceed the subscription", code="bad_max_discount")
    if terms.min_discount_paise is not None:
        low = require_paise(terms.min_discount_paise, field="min_discount_paise", positive=False)
        from_discount = terms.commission_mode == CommissionMode.FROM_DISCOUNT
        if low > top or (from_discount and low < commission):
            raise RuleViolation("min discount outside commission..max", code="bad_min_discount")


def validate_terms(terms: GroupTerms) -> None:
    """Raise RuleViolation unless `terms` form a lawful, internally consistent agreement."""
    _validate_size(terms)
    _validate_commission(terms)
    _require_variants(terms)
    require_paise(terms.bid_increment_paise, field="bid_increment_paise")
    if not isinstance(terms.bids_in_multiples, bool):
        raise RuleViolation("bids_in_multiples must be true or false", code="bad_variant")
    _validate_discounts(terms)


def check_discount_ceiling(max_discount_bps: int, ceiling_bps: int) -> None:
    """Refuse an agreement whose maximum discount exceeds the branch's ceiling.

    The ceiling is the state's rule (docs/chit-rules.md, "The discount ceiling"),
    recorded once for the branch; an agreement may agree less, never more.
    """
    if max_discount_bps > ceiling_bps:
        raise RuleViolation(
            f"max discount {max_discount_bps} bp above the branch's ceiling {ceiling_bps} bp",
            code="discount_above_ceiling",
        )


def subscription_paise(terms: GroupTerms) -> int:
    """Gross monthly instalment of one ticket: chit value / tickets (exact by validation)."""
    return terms.chit_value_paise // terms.tickets


def commission_paise(terms: GroupTerms) -> int:
    """Nominal monthly commission: value * bp / 10_000, rounded down (never above the cap)."""
    return terms.chit_value_paise * terms.commission_bps // BPS_PER_WHOLE


def max_discount_paise(terms: GroupTerms) -> int:
    """Highest discount a bid may offer: value * max bp / 10_000, rounded down."""
    return terms.chit_value_paise * terms.max_discount_bps // BPS_PER_WHOLE


def min_discount_paise(terms: GroupTerms) -> int:
    """Lowest discount a bid may offer; also the discount of a lot month and the last month.

    Default by commission mode (docs/chit-rules.md). The Act's "discount" (s.2)
    is the sum a prized subscriber forgoes, set apart for the foreman's
    commission and the dividend. When the commission comes out of the discount
    (`from_discount`) the discount must at least cover it, else the dividend
    would be negative: the minimum is the commission. When it is collected on
    top or cut from the prize, the discount carries no commission, so nothing
    forces one: the minimum is zero, and a no-bid month or the last member gets
    the prize without giving anything up.
    """
    if terms.min_discount_paise is not None:
        return terms.min_discount_paise
    if terms.commission_mode == CommissionMode.FROM_DISCOUNT:
        return commission_paise(terms)
    return 0


def _on_top_share_paise(terms: GroupTerms) -> int:
    # Rounded down per ticket: the foreman never collects more than the commission.
    if terms.commission_mode != CommissionMode.ON_TOP:
        return 0
    return commission_paise(terms) // terms.tickets


def _sharing_tickets(terms: GroupTerms) -> int:
    return terms.tickets - 1 if terms.dividend_to == DividendTo.OTHERS else terms.tickets


def _pool_paise(terms: GroupTerms, discount_paise: int, commission: int) -> int:
    if terms.commission_mode == CommissionMode.FROM_DISCOUNT:
        return discount_paise - commission
    return discount_paise


def _check_discount_range(terms: GroupTerms, discount_paise: object) -> int:
    """A discount the agreement allows at all: minimum..maximum, whole paise."""
    discount = require_paise(discount_paise, field="discount_paise", positive=False)
    if discount > max_discount_paise(terms):
        raise RuleViolation("discount above the agreed maximum", code="bid_above_cap")
    if discount < min_discount_paise(terms):
        raise RuleViolation("discount below the minimum", code="bid_below_minimum")
    return discount


def check_bid(terms: GroupTerms, discount_paise: object, current_best_paise: int | None) -> int:
    """Return the bid's discount if it is acceptable against the best so far, else raise.

    A bid must beat the best by at least the increment, except a bid at the cap:
    it is always accepted, even as a tie (a lot decides ties), else an increment
    could make the cap unreachable. Under `bids_in_multiples` a bid is a whole number
    of increments, except a bid at the minimum or at the cap, which the agreement may
    put between two multiples.
    """
    discount = _check_discount_range(terms, discount_paise)
    top, low = max_discount_paise(terms), min_discount_paise(terms)
    step = terms.bid_increment_paise
    if current_best_paise is not None and discount != top and discount < current_best_paise + step:
        raise RuleViolation(
            "bid must beat the best by the increment", code="bid_increment_too_small"
        )
    if terms.bids_in_multiples and discount % step and discount not in (low, top):
        raise RuleViolation(
            f"a bid is a multiple of the increment ({step} paise)", code="bid_not_multiple"
        )
    return discount


@dataclass(frozen=True, slots=True)
class Settlement:
    """How one month's collection divides: collected == prize + commission + dividends."""

    month: int
    discount_paise: int
    collected_paise: int  # tickets * subscription, plus commission when on top
    prize_paise: int  # includes leftover_paise (LEFTOVER_TO == "winner")
    commission_paise: int  # what the foreman actually receives this month
    dividend_pool_paise: int  # per_ticket_dividend_paise * sharing_tickets + leftover_paise
    sharing_tickets: int
    per_ticket_dividend_paise: int
    leftover_paise: int
    leftover_to: str
    next_instalment_paise: int  # due next month by a ticket that shares this dividend


def _check_month(terms: GroupTerms, month: object) -> int:
    m = _require_count(month, "month")
    if not 1 <= m <= terms.tickets:
        raise RuleViolation(f"month must be 1..{terms.tickets}", code="bad_month")
    return m


def _month_discount(terms: GroupTerms, discount_paise: int, month: int) -> int:
    require_paise(discount_paise, field="discount_paise", positive=False)
    if month == 1 and terms.first_month == FirstMonth.FOREMAN_TICKET:
        if discount_paise != 0:
            raise RuleViolation(
                "the foreman's first chit has no discount", code="foreman_month_no_discount"
            )
        return 0
    discount = _check_discount_range(terms, discount_paise)
    if month == 1 and terms.first_month == FirstMonth.LOT and discount != min_discount_paise(terms):
        raise RuleViolation(
            "month 1 is drawn by lot at the minimum discount", code="first_month_by_lot"
        )
    return discount


def settle(terms: GroupTerms, discount_paise: int, month: int) -> Settlement:
    """Divide month `month`'s collection given the winning discount; raise on unlawful input."""
    validate_terms(terms)
    m = _check_month(terms, month)
    discount = _month_discount(terms, discount_paise, m)
    foreman_month = m == 1 and terms.first_month == FirstMonth.FOREMAN_TICKET
    share = 0 if foreman_month else _on_top_share_paise(terms)
    if terms.commission_mode == CommissionMode.ON_TOP:
        commission = share * terms.tickets
    else:
        commission = 0 if foreman_month else commission_paise(terms)
    pool = _pool_paise(terms, discount, commission)
    sharing = _sharing_tickets(terms)
    per_ticket, leftover = divmod(pool, sharing)
    prize = terms.chit_value_paise - discount + leftover
    if terms.commission_mode == CommissionMode.FROM_PRIZE:
        prize -= commission
    subscription = subscription_paise(terms)
    return Settlement(
        month=m,
        discount_paise=discount,
        collected_paise=terms.tickets * (subscription + share),
        prize_paise=prize,
        commission_paise=commission,
        dividend_pool_paise=pool,
        sharing_tickets=sharing,
        per_ticket_dividend_paise=per_ticket,
        leftover_paise=leftover,
        leftover_to=LEFTOVER_TO,
        # months after the first are never the foreman's month: full share on top
        next_instalment_paise=subscription - per_ticket + _on_top_share_paise(terms),
    )


def net_instalment_paise(
    terms: GroupTerms, previous: Settlement | None, ticket_is_winner: bool
) -> int:
    """Dues of one ticket for a month: subscription (+ on-top share) - previous month's dividend.

    `previous` is None for month 1; `ticket_is_winner` means the ticket won
    `previous`'s prize (it matters only when the dividend goes to the others).
    """
    if previous is None:
        foreman_month = terms.first_month == FirstMonth.FOREMAN_TICKET
        return subscription_paise(terms) + (0 if foreman_month else _on_top_share_paise(terms))
    if ticket_is_winner and terms.dividend_to == DividendTo.OTHERS:
        return previous.next_instalment_paise + previous.per_ticket_dividend_paise
    return previous.next_instalment_paise


def _seed_bytes(seed_hashes: Sequence[str], domain: bytes = LOT_DOMAIN) -> bytes:
    if not seed_hashes:
        raise RuleViolation("a lot needs at least one log hash", code="no_seed")
    raw = []
    for h in seed_hashes:
        if len(h) != 64 or h.strip("0123456789abcdef"):
            raise RuleViolation(f"not a lowercase hex sha-256: {h!r}", code="bad_seed_hash")
        raw.append(bytes.fromhex(h))
    return domain + b"".join(raw)


def _index_from_seed(seed: bytes, count: int) -> int:
    # Rejection sampling: values in the incomplete last block of `count` would
    # favour low indices, so they are rehashed instead of reduced.
    limit = (2**256 // count) * count
    value = int.from_bytes(seed, "big")
    while value >= limit:
        seed = hashlib.sha256(seed).digest()
        value = int.from_bytes(seed, "big")
    return value % count


def draw_lot(
    candidates: Sequence[str], seed_hashes: Sequence[str], *, domain: bytes = LOT_DOMAIN
) -> str:
    """Pick one candidate reproducibly from hex SHA-256 values (log hashes, or lot v2's).

    Algorithm (an auditor can recompute it by hand):
    1. sort the candidates by Unicode code point (Python `sorted`);
    2. s = SHA-256(domain + bytes.fromhex(h1) + bytes.fromhex(h2) + ...), `domain`
       b"chitnode.lot.v1:" or b"chitnode.lot.v2:", values in the order given, each
       64 lowercase hex digits (32 raw bytes);
    3. x = int.from_bytes(s, "big"); n = len(candidates); limit = (2**256 // n) * n;
       while x >= limit: s = SHA-256(s) and recompute x (removes modulo bias);
    4. the winner is sorted_candidates[x % n].
    """
    if not candidates:
        raise RuleViolation("a lot needs at least one candidate", code="no_candidates")
    ordered = sorted(candidates)
    if len(set(ordered)) != len(ordered):
        raise RuleViolation("a candidate appears twice", code="duplicate_candidate")
    seed = hashlib.sha256(_seed_bytes(seed_hashes, domain)).digest()
    return ordered[_index_from_seed(seed, len(ordered))]


def lot_commitment(secret_hex: str) -> str:
    """The holder's commitment to its lot secret: SHA-256 of the secret's 32 raw bytes.

    `secret_hex` is 64 lowercase hex digits. The commitment is published when the draw
    opens, the secret only after it closes, so nobody (the holder included, once any
    subscriber has contributed) can know the outcome while inputs may still change.
    """
    return hashlib.sha256(_seed_bytes([secret_hex], b"")).hexdigest()


def lot_v2_seeds(commit: str, secret: str, contributions: Mapping[str, str]) -> list[str]:
    """The values a commit-reveal draw hashes, in order: the commitment, the revealed
    secret, then each subscriber's contribution sorted by member id (so the order in
    which they reached the log, which the holder could arrange, does not matter)."""
    if lot_commitment(secret) != commit:
        raise RuleViolation("the revealed secret is not the committed one", code="lot_mismatch")
    if not contributions:
        raise RuleViolation("a draw needs a subscriber's contribution", code="lot_no_contribution")
    return [commit, secret, *(contributions[m] for m in sorted(contributions))]


@dataclass(frozen=True, slots=True)
class Bid:
    """One accepted bid, with the hash of the log entry that recorded it."""

    ticket_id: str
    discount_paise: int
    entry_hash: str


@dataclass(frozen=True, slots=True)
class AuctionResult:
    """The month's winner and the discount its prize settles at."""

    ticket_id: str
    discount_paise: int
    by_lot: bool  # True on a tie or when nobody bid


def needs_lot(bids: Sequence[Bid]) -> bool:
    """Whether the month's winner is drawn: nobody bid, or the best discount is tied."""
    if not bids:
        return True
    best = max(bid.discount_paise for bid in bids)
    return len({bid.ticket_id for bid in bids if bid.discount_paise == best}) > 1


def auction_winner(
    terms: GroupTerms,
    bids: Sequence[Bid],
    eligible: Sequence[str],
    seed_hashes: Sequence[str],
    *,
    commit_reveal: bool = False,
) -> AuctionResult:
    """Highest discount wins; ties and no-bid months go to draw_lot.

    Lot v1 (`commit_reveal` False, groups formed before the branch's rules): the lot is
    seeded by `seed_hashes` (the auction's open entry) followed by every bid's
    entry_hash in the order given. Lot v2: `seed_hashes` are `lot_v2_seeds` and
    nothing else, the same draw for a no-bid month and for a tie. With no bids the lot
    runs over all `eligible` tickets at the minimum discount.
    """
    allowed = set(eligible)
    for bid in bids:
        if bid.ticket_id not in allowed:
            raise RuleViolation(f"ticket {bid.ticket_id!r} may not bid", code="ticket_not_eligible")
        check_bid(terms, bid.discount_paise, None)
    if commit_reveal:
        seeds, domain = list(seed_hashes), LOT_V2_DOMAIN
    else:
        seeds, domain = [*seed_hashes, *(bid.entry_hash for bid in bids)], LOT_DOMAIN
    if not bids:
        winner = draw_lot(eligible, seeds, domain=domain)
        return AuctionResult(winner, min_discount_paise(terms), by_lot=True)
    best = max(bid.discount_paise for bid in bids)
    tied = sorted({bid.ticket_id for bid in bids if bid.discount_paise == best})
    if len(tied) == 1:
        return AuctionResult(tied[0], best, by_lot=False)
    return AuctionResult(draw_lot(tied, seeds, domain=domain), best, by_lot=True)


def security_required_paise(terms: GroupTerms, months_left: int) -> int:
    """Security a prize winner must give: ceil(4/3 * future dues at the full instalment).

    Future dues ignore future dividends (unknown yet), so they are an upper bound.
    """
    left = _require_count(months_left, "months_left")
    if not 0 <= left < terms.tickets:
        raise RuleViolation(f"months_left must be 0..{terms.tickets - 1}", code="bad_month")
    dues = left * (subscription_paise(terms) + _on_top_share_paise(terms))
    return -(-dues * SECURITY_NUMERATOR // SECURITY_DENOMINATOR)


def security_covers(
    terms: GroupTerms, months_left: int, other_paise: int, property_paise: int
) -> bool:
    """Do the securities cover the future dues? Each form covers its value over its cover
    ratio: 4/3 for a guarantor or document, 3/2 for immovable property. Exact (integers):
    other * 3/4 + property * 2/3 >= dues.
    """
    required = security_required_paise(terms, months_left)  # checks months_left
    if required == 0:
        return True
    dues = months_left * (subscription_paise(terms) + _on_top_share_paise(terms))
    other = other_paise * SECURITY_DENOMINATOR * PROPERTY_SECURITY_NUMERATOR
    land = property_paise * PROPERTY_SECURITY_DENOMINATOR * SECURITY_NUMERATOR
    return other + land >= dues * SECURITY_NUMERATOR * PROPERTY_SECURITY_NUMERATOR


@dataclass(frozen=True, slots=True)
class TicketStatement:
    """One ticket's money over the whole group."""

    ticket_id: str
    due_paise: int  # sum of net instalments owed
    paid_in_paise: int
    received_paise: int  # the prize
    dividends_paise: int  # credited against instalments, the last month's in cash
    balance_paise: int  # paid_in - due: negative means arrears


@dataclass(frozen=True, slots=True)
class CloseoutReport:
    """Reconciliation at the group's end: every paisa in equals every paisa out."""

    statements: tuple[TicketStatement, ...]
    total_due_paise: int
    total_paid_in_paise: int
    total_prizes_paise: int
    total_commission_paise: int
    final_dividend_cash_paise: int  # the last month's dividend, paid out at closeout
    cash_left_paise: int  # paid_in - prizes - commission - final cash = sum of balances


def _check_awards(
    terms: GroupTerms, awards: Sequence[tuple[str, Settlement]], tickets: Sequence[str]
) -> None:
    if len(tickets) != terms.tickets or len(set(tickets)) != terms.tickets:
        raise RuleViolation("tickets must list each ticket of the group once", code="bad_tickets")
    if len(awards) != terms.tickets:
        raise RuleViolation("closeout needs one settlement per month", code="incomplete_group")
    known = set(tickets)
    winners = [winner for winner, _ in awards]
    if not set(winners) <= known:
        raise RuleViolation("a winner is not a ticket of the group", code="unknown_ticket")
    if len(set(winners)) != len(winners):
        raise RuleViolation("a ticket won twice", code="ticket_prized_twice")
    for month, (_, settlement) in enumerate(awards, start=1):
        # recomputed, so a tampered or misnumbered settlement cannot slip in
        if (
            settlement.month != month
            or settle(terms, settlement.discount_paise, month) != settlement
        ):
            raise RuleViolation(
                f"settlement for month {month} does not recompute", code="settlement_mismatch"
            )


def _credit_paise(terms: GroupTerms, settlement: Settlement, winner: str, ticket: str) -> int:
    if terms.dividend_to == DividendTo.OTHERS and ticket == winner:
        return 0
    return settlement.per_ticket_dividend_paise


def _statement(
    terms: GroupTerms, awards: Sequence[tuple[str, Settlement]], ticket: str, paid_in: int
) -> TicketStatement:
    due = net_instalment_paise(terms, None, False)
    dividends = 0
    for index, (winner, settlement) in enumerate(awards):
        credit = _credit_paise(terms, settlement, winner, ticket)
        dividends += credit
        if index + 1 < len(awards):
            due += net_instalment_paise(terms, settlement, ticket == winner)
    prize = sum(s.prize_paise for w, s in awards if w == ticket)
    return TicketStatement(ticket, due, paid_in, prize, dividends, paid_in - due)


def closeout(
    terms: GroupTerms,
    awards: Sequence[tuple[str, Settlement]],
    tickets: Sequence[str],
    payments: Mapping[str, int],
) -> CloseoutReport:
    """Reconcile a finished group: awards are (winner ticket, settlement) for months 1..N.

    `payments` maps ticket -> total paid in (missing = 0). Raises AssertionError
    if the books do not balance to the paisa: that would be a bug, not bad input.
    """
    _check_awards(terms, awards, tickets)
    if not set(payments) <= set(tickets):
        raise RuleViolation("payment from a ticket outside the group", code="unknown_ticket")
    statements = tuple(
        _statement(terms, awards, t, require_paise(payments.get(t, 0), positive=False))
        for t in tickets
    )
    last = awards[-1][1]
    report = CloseoutReport(
        statements=statements,
        total_due_paise=sum(s.due_paise for s in statements),
        total_paid_in_paise=sum(s.paid_in_paise for s in statements),
        total_prizes_paise=sum(s.prize_paise for _, s in awards),
        total_commission_paise=sum(s.commission_paise for _, s in awards),
        final_dividend_cash_paise=last.per_ticket_dividend_paise * last.sharing_tickets,
        cash_left_paise=sum(s.balance_paise for s in statements),
    )
    _assert_balanced(report)
    return report


def _assert_balanced(report: CloseoutReport) -> None:
    out = (
        report.total_prizes_paise + report.total_commission_paise + report.final_dividend_cash_paise
    )
    if report.total_due_paise != out:
        raise AssertionError(f"books unbalanced: due {report.total_due_paise} != out {out}")
    if report.total_paid_in_paise - out != report.cash_left_paise:
        raise AssertionError("cash left does not equal the sum of ticket balances")
