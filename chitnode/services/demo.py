"""A realistic demo branch: chit groups at different stages, written through `Node.submit`.

`build_demo` drives a freshly initialised lone root-admin node: it enrols a
foreman's laptop and an employee's device, registers members with (masked) KYC,
and runs four groups through the kernel's rules (issue 3):

- a group still forming: tickets assigned, agreement published, signatures coming in;
- a group about six months in: auctions with live bids, settlements, late and
  partial payments, one subscriber in default with an open recovery case;
- a finished group, every prize paid, closed out to the paisa;
- a small group with commission on top and no bids (issue 14): every month drawn by lot
  at zero discount, and a group-funded loan refused `prize_reserved` while a prize is unpaid;
- a group whose last non-prized subscriber borrows the group's money on the security of
  the ticket (s.14), the loan netted from that ticket's prize (issue 14, point 4).
- a group with penalty interest and defaulters (issue 14): a late instalment's interest, a
  removal, its notice and a substitution with the defaulter refunded apart (s.28-30), a
  re-entry within 7 days of the notice, and a written demand on a prized defaulter (s.33).

The root admin node writes every entry (it holds the admin role and the groups'
leases); the enrolled devices exist so the demo shows them, a member's phone linked to
its member. Every member's act (signature, bid, attestation) names the member as
`actor` (Chit Funds Act s.6, s.17), as the kernel requires. `ChitDriver` is the
small scripted foreman the demo uses, and the lifecycle tests reuse it.
Randomness comes only from the `rng` passed in, time only from the clock passed
in, so a seed reproduces the same branch story; device keys are the exception,
fresh and random, since a key derived from a public seed is no secret.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from nacl.signing import SigningKey

from chitnode.clock import ManualClock
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_views as views
from chitnode.domain import defaults
from chitnode.domain.chit_kinds_auction import DRAWING, needs_commit
from chitnode.domain.chit_rules import (
    BID_INCREMENT_DEFAULT_PAISE,
    lot_commitment,
    max_discount_paise,
    min_discount_paise,
)
from chitnode.domain.money import format_inr
from chitnode.domain.state import State
from chitnode.errors import ChitError, RuleViolation
from chitnode.node.node import Node, Receipt

DAY_MS = 86_400_000
MONTH_MS = 30 * DAY_MS
AUCTION_MS = 15 * 60_000
RUPEE = 100
LAKH = 100_000 * RUPEE
DEMO_START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z: the finished group starts here
# The branch's state rules (branch.chit_rules_set). 40% is the figure chit_rules already
# holds as the Act's default ceiling; a real branch records its state's notified figure.
DEMO_RULES = {
    "state": "Karnataka",
    "discount_ceiling_bps": 4_000,
    "source": "demo: 40% of the chit amount; record the figure your state's rules notify",
}

FIRST_NAMES = (
    "Ananya", "Ramesh", "Lakshmi", "Suresh", "Kavitha", "Mohammed", "Priya", "Venkatesh",
    "Farzana", "Gopal", "Shweta", "Arun", "Deepa", "Naveen", "Sunita", "Rajesh", "Meena",
    "Imran", "Savitha", "Prakash", "Rekha", "Joseph", "Geetha", "Harish", "Sowmya", "Dinesh",
    "Asha", "Kiran", "Pushpa", "Ravi", "Nagaraj", "Vidya", "Abdul", "Shobha", "Manjunath",
    "Reshma", "Santosh", "Usha", "Ganesh", "Jyothi",
)  # fmt: skip
SURNAMES = (
    "Shetty", "Kamath", "Nayak", "Pai", "Rao", "Ashraf", "D'Souza", "Bhat", "Begum",
    "Poojary", "Hegde", "Kumar", "Acharya", "Shenoy", "Menon", "Gowda", "Kini", "Sheikh",
    "Prabhu", "Salian", "Kotian", "Pinto", "Bangera", "Karkera", "Udupa", "Suvarna",
)  # fmt: skip


class DemoClock(Protocol):
    def now_ms(self) -> int: ...
    def advance(self, ms: int) -> None: ...


@dataclass
class ChitDriver:
    """A scripted foreman: issues the commands of a chit group's life through `node.submit`."""

    node: Node
    clock: DemoClock
    rng: random.Random
    counts: Counter[str] = field(default_factory=Counter)
    present: dict[tuple[str, int], list[str]] = field(default_factory=dict)

    @property
    def state(self) -> State:
        return self.node.engine.state

    def submit(self, kind: str, body: dict[str, Any]) -> Receipt:
        """Submit and insist it applied: the driver only issues lawful commands."""
        self.clock.advance(1_000)
        receipt = self.node.submit(kind, body)
        if receipt.status != "applied":
            raise RuleViolation(f"{kind} was {receipt.status}", code=receipt.code)
        self.counts[kind] += 1
        return receipt

    # --- people and devices ---------------------------------------------------------

    def enrol_device(self, role: str, name: str) -> str:
        # A fresh random key, never one from the seed: a seeded secret is public, and anyone
        # could sign entries as this device (issue 9). Only its public half is kept.
        key = SigningKey.generate().verify_key.encode().hex()
        self.submit("device.enrolled", {"key": key, "role": role, "name": name})
        return key

    def link_device(self, key: str, member_id: str) -> None:
        """Bind a member-role device to its one member: it may then sign and attest for that
        member only (Chit Funds Act s.6, s.17; `chit_kinds_base.check_on_behalf`)."""
        self.submit("member.device_linked", {"key": key, "member_id": member_id})

    def register(self, member_id: str, name: str, *, kyc: str = base.KYC_APPROVED) -> None:
        """A member, with KYC submitted (masked fields only) and approved unless told otherwise."""
        self.submit("member.registered", {"member_id": member_id, "name": name})
        if kyc == base.KYC_NONE:
            return
        digits = self.rng.randrange(10_000)
        body = {
            "member_id": member_id,
            "name": name,
            "pan": f"XXXXX{digits:04d}{self.rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}",
            "bank_account": f"XXXXXXXX{self.rng.randrange(10_000):04d}",
            "phone": f"XXXXXX{self.rng.randrange(10_000):04d}",
            "ifsc": self.rng.choice(("CNRB0001234", "SYNB0005678", "KARB0000123", "SBIN0040001")),
        }
        self.submit("kyc.submitted", body)
        if kyc == base.KYC_APPROVED:
            self.submit("kyc.approved", {"member_id": member_id})

    # --- forming a group ------------------------------------------------------------

    def group(self, gid: str) -> dict[str, Any]:
        return base.group_row(self.state, gid)

    def ticket(self, gid: str, ticket: int) -> dict[str, Any]:
        return base.ticket_row(self.state, gid, ticket)

    def create_group(
        self, gid: str, name: str, chit_value_paise: int, tickets: int, **terms: Any
    ) -> None:
        body = {
            "chit_value_paise": chit_value_paise,
            "commission_bps": terms.pop("commission_bps", 500),
            "group_id": gid,
            "max_discount_bps": terms.pop("max_discount_bps", 4000),
            "months": tickets,
            "name": name,
            "tickets": tickets,
            **terms,
        }
        self.submit("group.created", body)

    def assign(self, gid: str, holders: list[str]) -> None:
        for number, member_id in enumerate(holders, start=1):
            body = {"group_id": gid, "ticket": number, "member_id": member_id}
            self.submit("ticket.assigned", body)

    def publish(self, gid: str) -> str:
        digest = base.terms_hash(self.group(gid))
        self.submit("agreement.published", {"group_id": gid, "terms_hash": digest})
        return digest

    def sign(self, gid: str, members: list[str]) -> None:
        digest = self.group(gid)["agreement_hash"]
        for member_id in sorted(set(members)):
            body = {"group_id": gid, "member_id": member_id, "terms_hash": digest}
            self.submit("agreement.signed", {**body, "actor": member_id})

    def form_group(
        self, gid: str, name: str, chit_value_paise: int, holders: list[str], **terms: Any
    ) -> None:
        """Create, assign tickets in order, publish, have everyone sign, start."""
        self.create_group(gid, name, chit_value_paise, len(holders), **terms)
        self.assign(gid, holders)
        self.publish(gid)
        self.sign(gid, holders)
        self.submit("group.started", {"group_id": gid})

    # --- money in -------------------------------------------------------------------

    def pay(self, gid: str, ticket: int, amount_paise: int, month: int, note: str = "") -> None:
        ref = f"UTR{self.clock.now_ms() // 1000:010d}{ticket:03d}"
        body = {"amount_paise": amount_paise, "bank_ref": ref, "group_id": gid, "month": month}
        self.submit("contribution.recorded", {**body, "note": note, "ticket": ticket})

    def pay_dues(self, gid: str, tickets: list[int], through: int, partial: float = 0.0) -> int:
        """Each ticket pays what it owes for months 1..through (sometimes in two parts)."""
        total = 0
        for number in tickets:
            group, row = self.group(gid), self.ticket(gid, number)
            owed = base.dues_through_paise(group, row, through) - int(row["paid_paise"])
            if owed <= 0:
                continue
            if owed > RUPEE and self.rng.random() < partial:
                first = self.rng.randrange(1, owed // RUPEE) * RUPEE
                self.pay(gid, number, first, through, "part payment")
                self.pay(gid, number, owed - first, through, "balance")
            else:
                self.pay(gid, number, owed, through)
            total += owed
        return total

    # --- the monthly draw -----------------------------------------------------------

    def _scope(self, gid: str) -> dict[str, str]:
        return {"group_id": gid, "scope": f"group:{gid}"}

    def eligible(self, gid: str) -> list[int]:
        group = self.group(gid)
        rows = base.ticket_rows(self.state, group)
        return [int(t["ticket"]) for t in rows if not base.bid_block(self.state, group, t)]

    def auction(
        self, gid: str, bids_max: int = 6, collect: Callable[[], None] | None = None
    ) -> dict[str, Any]:
        """Open the next month's draw with attendance, take random bids, close it.

        `collect`: what the foreman does when the settlement is refused `pool_short`
        (too few paid before the meeting to fund the commission and the dividend): take
        the late dues, then settle again, as the refusal says.
        """
        group = self.group(gid)
        month = int(group["settled"]) + 1
        subscribers = sorted(base.holders(self.state, group))
        present = sorted(self.rng.sample(subscribers, min(len(subscribers), 3 + month % 4)))
        self.present[(gid, month)] = present
        body = {**self._scope(gid), "month": month, "present": present}
        opened = {**body, "foreman_present": True, "duration_ms": AUCTION_MS}
        # Lot v2 (issue 14, point 2): the holder commits to a secret before bidding opens.
        # A real holder's node draws it from `secrets`; the demo's comes from its seed so
        # that a seed reproduces the branch.
        secret = self.rng.randbytes(32).hex() if needs_commit(self.state, group, month) else ""
        if secret:
            opened["lot_commit"] = lot_commitment(secret)
        self.submit("auction.opened", opened)
        auction = self.state.get(base.AUCTIONS, base.month_key(gid, month)) or {}
        if auction.get("bidding"):
            self._bids(gid, month, self.rng.randint(0, bids_max))
        self.clock.advance(AUCTION_MS)
        if secret:  # after the countdown, two subscribers present contribute, named
            self.contribute(gid, month, present[:2])
        self._settling("auction.closed", {**self._scope(gid), "month": month}, collect)
        drawing = self.state.get(base.AUCTIONS, base.month_key(gid, month)) or {}
        if drawing.get("status") == DRAWING:  # a no-bid month or a tie: reveal, then the draw
            reveal = {**self._scope(gid), "month": month, "secret": secret}
            self._settling("lot.revealed", reveal, collect)
        return self.settlement(gid, month)

    def _settling(
        self, kind: str, body: dict[str, Any], collect: Callable[[], None] | None
    ) -> None:
        try:
            self.submit(kind, body)
        except RuleViolation as exc:
            if exc.code != "pool_short" or collect is None:
                raise
            collect()
            self.submit(kind, body)

    def contribute(self, gid: str, month: int, members: list[str]) -> None:
        """Subscribers present add 32 random bytes each to the month's draw (their act)."""
        for member_id in members:
            body = {"group_id": gid, "month": month, "contribution": self.rng.randbytes(32).hex()}
            self.submit("lot.contributed", {**body, "actor": member_id})

    def _bids(self, gid: str, month: int, count: int) -> None:
        terms = base.terms_of(self.group(gid))
        low, top = min_discount_paise(terms), max_discount_paise(terms)
        # members bid whole hundreds of rupees, a multiple of any group's increment
        step = max(terms.bid_increment_paise, BID_INCREMENT_DEFAULT_PAISE)
        first = -(-low // step) * step  # the lowest multiple at or above the minimum
        # The script's bidders stop at three quarters of the way to the cap: a month's
        # late payers pay after the meeting, and a pool without them may not hold the
        # dividend of a discount at the cap (pool_short).
        highest = max(first, (low + (top - low) * 3 // 4) // step * step)
        bidders, best = self.eligible(gid), None
        for _ in range(count if bidders and first <= top else 0):
            if best is None:
                jumps = max(0, (highest - first) // 2) // step
                discount = first + self.rng.randrange(0, jumps + 1) * step
            elif best >= highest:
                break
            else:
                discount = min(highest, best + step * self.rng.randint(1, 50))
            ticket = self.rng.choice(bidders)
            body = {
                **self._scope(gid),
                "month": month,
                "ticket": ticket,
                "discount_paise": discount,
            }
            self.submit("auction.bid", {**body, "actor": self.ticket(gid, ticket)["member_id"]})
            best = discount

    def settlement(self, gid: str, month: int) -> dict[str, Any]:
        row = self.state.get(base.SETTLEMENTS, base.month_key(gid, month))
        assert row is not None
        return row

    def attest(self, gid: str, month: int) -> None:
        """The foreman, the winner and two other subscribers present attest the minutes."""
        digest = base.minutes_hash(self.state, gid, month)
        winner = str(self.settlement(gid, month)["winner_member"])
        others = [m for m in self.present[(gid, month)] if m != winner][:2]
        body = {"group_id": gid, "month": month, "minutes_hash": digest}
        self.submit("minutes.attested", {**body, "attester": base.FOREMAN_ATTESTER})
        for member_id in [winner, *others]:
            self.submit("minutes.attested", {**body, "attester": member_id, "actor": member_id})

    def secure(self, gid: str, month: int, deduction: bool) -> None:
        settled, group = self.settlement(gid, month), self.group(gid)
        ticket = int(settled["winner_ticket"])
        body: dict[str, Any] = {"group_id": gid, "ticket": ticket}
        if deduction:
            detail = "winner chose to have future dues deducted from the prize"
            self.submit("security.furnished", {**body, "form": "deduction", "detail": detail})
            return
        left = int(group["months"]) - month
        dues = left * base.full_instalment_paise(base.terms_of(group))
        value = -(-dues * 4 // 3)
        if value:
            detail = f"guarantor: {self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"
            body.update(form="guarantor", detail=detail, value_paise=value)
            self.submit("security.furnished", body)

    def pay_prizes(self, gid: str) -> list[int]:
        """Pay every declared prize whose minutes and security are complete and the pool allows."""
        paid = []
        group = self.group(gid)
        for settled in base.settlement_rows(self.state, group):
            month = int(settled["month"])
            key = base.month_key(gid, month)
            ready = not settled["prize_paid"] and base.minutes_complete(
                self.state.get(base.MINUTES, key), settled
            )
            if not ready:
                continue
            cash = base.prize_cash_paise(self.state, group, settled)
            claim = base.prize_claim_name(gid, month)
            if base.payout_safe(self.state, gid, cash, claim=claim).granted:
                ref = f"NEFT{self.clock.now_ms() // 1000:010d}"
                self.submit("prize.paid", {**self._scope(gid), "month": month, "bank_ref": ref})
                paid.append(month)
        return paid

    def run_month(
        self,
        gid: str,
        *,
        late: frozenset[int] = frozenset(),
        skip: frozenset[int] = frozenset(),
        deduction: float = 0.3,
        partial: float = 0.15,
        bids_max: int = 6,
    ) -> dict[str, Any]:
        """One month: payments, the draw, minutes, security, payouts, then late payers."""
        group = self.group(gid)
        month = int(group["settled"]) + 1
        tickets = range(1, int(group["tickets"]) + 1)
        self.clock.advance(2 * DAY_MS)
        self.pay_dues(gid, [t for t in tickets if t not in late | skip], month, partial)
        self.clock.advance(18 * DAY_MS)  # the monthly meeting
        unpaid = [sorted(late)]  # the late payers, until they pay

        def collect() -> None:
            self.pay_dues(gid, unpaid.pop(), month)
            unpaid.append([])

        settled = self.auction(gid, bids_max, collect)
        self.attest(gid, month)
        self.secure(gid, month, self.rng.random() < deduction)
        self.pay_prizes(gid)
        self.clock.advance(5 * DAY_MS)
        self.pay_dues(gid, unpaid[0], month)
        self.pay_prizes(gid)
        self.clock.advance(5 * DAY_MS)
        return settled

    def close(self, gid: str) -> None:
        self.submit("group.closed", {"group_id": gid})


# --- the demo branch ----------------------------------------------------------------


def _people(rng: random.Random, count: int, prefix: str) -> list[tuple[str, str]]:
    names: set[str] = set()
    while len(names) < count:
        names.add(f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}")
    return [(f"{prefix}{i:03d}", name) for i, name in enumerate(sorted(names), start=1)]


def _finished_group(driver: ChitDriver, members: list[str]) -> dict[str, Any]:
    gid = "KAR-2025-01"
    driver.form_group(gid, "Karavali 2 lakh", 2 * LAKH, members[:10], max_discount_bps=3500)
    for month in range(1, 11):
        late = frozenset({driver.rng.randint(1, 10)}) if month in (3, 7) else frozenset()
        driver.run_month(gid, late=late, deduction=0.5)
    driver.pay_prizes(gid)
    driver.close(gid)
    report = views.closeout_report(driver.state, gid)
    return {
        "stage": "closed",
        "months_done": 10,
        "total_paid_in": format_inr(report.total_paid_in_paise),
        "prizes": format_inr(report.total_prizes_paise),
        "commission": format_inr(report.total_commission_paise),
        "refunds_at_close": format_inr(report.cash_left_paise),
    }


def _running_group(driver: ChitDriver, members: list[str]) -> dict[str, Any]:
    gid = "UDP-2025-07"
    holders = [*members[:19], members[0]]  # one member holds two tickets
    driver.form_group(gid, "Udupi Traders 5 lakh", 5 * LAKH, holders, max_discount_bps=3000)
    defaulter = 0
    case: dict[str, Any] = {"group_id": gid}
    for month in range(1, 7):
        if month == 4:  # a non-prized subscriber stops paying
            group = driver.group(gid)
            open_tickets = [t for t in base.ticket_rows(driver.state, group) if not t["won_month"]]
            choices = [int(t["ticket"]) for t in open_tickets if 1 < int(t["ticket"]) < 20]
            defaulter = driver.rng.choice(choices)
            case["ticket"] = defaulter
        late = frozenset(driver.rng.sample(range(1, 21), 2)) - {defaulter}
        skip = frozenset({defaulter}) if defaulter else frozenset()
        driver.run_month(gid, late=late, skip=skip, deduction=0.6)
        if month == 5:
            note = "missed months 4 and 5; phone switched off"
            driver.submit("recovery.opened", {**case, "note": note})
            driver.submit("recovery.moved", {**case, "to": "contacted", "note": "met at his shop"})
        if month == 6:
            note = "registered notice sent to the address on file"
            driver.submit("recovery.moved", {**case, "to": "notice", "note": note})
    driver.clock.advance(3 * DAY_MS)  # month 7 collection has begun
    payers = [t for t in range(1, 21) if t != defaulter][:12]
    driver.pay_dues(gid, payers, 7)
    health = views.group_health(driver.state, gid)
    return {
        "stage": "running",
        "months_done": health.months_done,
        "month": health.month,
        "collected_this_month": format_inr(health.collected_this_month_paise),
        "tickets_unpaid": health.tickets_unpaid,
        "active_defaults": health.active_defaults,
        "defaulter_ticket": defaulter,
        "prizes_unpaid": list(health.prizes_unpaid),
    }


def _forming_group(driver: ChitDriver, members: list[str]) -> dict[str, Any]:
    gid = "MNG-2026-06"
    holders = members[:12]
    driver.create_group(
        gid,
        "Mangaluru Women's Circle 1.2 lakh",
        12 * 10_000 * RUPEE,
        12,
        commission_bps=400,
        max_discount_bps=3000,
        dividend_to="others",
        first_month="lot",
    )
    driver.assign(gid, holders)
    driver.publish(gid)
    signed = holders[: driver.rng.randint(5, 9)]
    driver.sign(gid, signed)
    return {"stage": "forming", "tickets": 12, "signed": len(signed), "awaiting": 12 - len(signed)}


ON_TOP_LOAN_PAISE = 5_000 * RUPEE  # small enough for one month's paid subscription to back


def _on_top_group(driver: ChitDriver, members: list[str]) -> dict[str, Any]:
    """Issue 14, points 5 and 6: commission collected on top, no agreed minimum discount, no
    bids, so every month is drawn by lot and the last member takes the whole chit value; and
    a group-funded loan whose first tranche would eat the unpaid month-1 prize is refused
    `prize_reserved` (s.22: a declared prize is paid first), so the foreman rejects it."""
    gid = "KUN-2025-04"
    driver.form_group(
        gid, "Kundapura 40 thousand", 40_000 * RUPEE, members[:4], commission_mode="on_top"
    )
    borrower = members[1]
    driver.clock.advance(2 * DAY_MS)
    driver.pay_dues(gid, [1, 2, 3, 4], 1)
    application = {"loan_id": "L-KUN-1", "member_id": borrower, "amount_paise": ON_TOP_LOAN_PAISE}
    driver.submit(
        "loan.applied", {**application, "tenure_months": 6, "purpose": "seeds", "actor": borrower}
    )
    driver.submit("loan.approved", {"loan_id": "L-KUN-1", "reason": "paid month 1 on time"})
    driver.submit("loan.sanctioned", {"loan_id": "L-KUN-1", "scope": f"group:{gid}"})
    driver.clock.advance(18 * DAY_MS)
    driver.auction(gid, bids_max=0)
    try:
        driver.node.submit("loan.disbursed", {"loan_id": "L-KUN-1", "scope": f"group:{gid}"})
        refusal = "granted"
    except ChitError as err:  # the month-1 prize is owed the pool's cash
        refusal = err.code
    driver.submit("loan.rejected", {"loan_id": "L-KUN-1", "reason": "pool cash is the prize's"})
    driver.attest(gid, 1)
    driver.secure(gid, 1, deduction=True)
    driver.pay_prizes(gid)
    for _ in range(2, 5):
        driver.run_month(gid, deduction=1.0, bids_max=0)
    driver.pay_prizes(gid)
    driver.close(gid)
    last = driver.settlement(gid, 4)
    return {
        "stage": "closed",
        "commission": "on top",
        "last_discount": format_inr(int(last["discount_paise"])),
        "last_prize": format_inr(int(last["prize_paise"])),
        "loan_against_unpaid_prize": refusal,
    }


def _defaulters_group(driver: ChitDriver, members: list[str]) -> dict[str, Any]:
    """Issue 14, points 3 and 7 (docs/chit-rules.md, "Defaulters"): penalty interest on a
    late instalment; a non-prized defaulter removed (s.28), noticed, replaced after the 7
    days to pay (s.29), the substitute paying the back instalments and the defaulter's
    contributions less the agreed deduction refunded from the separate account (s.30);
    a second defaulter re-entered by paying with interest within 7 days of the notice;
    a prized defaulter served a written demand for all future dues (s.32-33)."""
    gid, holders, substitute = "BTL-2025-09", members[:6], members[6]
    terms = {"penalty_interest_bps": 1_800, "defaulter_deduction_bps": 500}
    driver.form_group(gid, "Bantwal 60 thousand", 60_000 * RUPEE, holders, **terms)
    driver.run_month(gid, late=frozenset({2}), deduction=0.0)  # ticket 2 pays 10 days late
    late_penalty = _pay_penalty(driver, gid, 2)

    def open_ticket(but: set[int]) -> int:
        rows = base.ticket_rows(driver.state, driver.group(gid))
        return max(int(t["ticket"]) for t in rows if not t["won_month"] and t["ticket"] not in but)

    def pay_others(but: set[int]) -> None:  # the rest pay the month's instalment on time
        month = base.current_month(driver.group(gid))
        driver.pay_dues(gid, [t for t in range(1, 7) if t not in but], month)

    defaulter = open_ticket({2})
    gone = driver.ticket(gid, defaulter)["member_id"]
    driver.run_month(gid, skip=frozenset({defaulter}), deduction=0.0)
    case: dict[str, Any] = {"group_id": gid, "ticket": defaulter}
    _remove(driver, case, "month 2 unpaid; phone switched off")
    second = open_ticket({2, defaulter})  # the next to default, in month 3
    pay_others({defaulter, second})
    driver.clock.advance(8 * DAY_MS)  # the 7 days to pay have passed
    reason = "takes the place of the removed subscriber, back instalments to pay"
    driver.submit(
        "ticket.substituted",
        {**case, "member_id": substitute, "reason": reason, "actor": substitute},
    )
    driver.sign(gid, [substitute])
    driver.run_month(gid, skip=frozenset({second}), deduction=0.0)  # the back dues come in
    again: dict[str, Any] = {"group_id": gid, "ticket": second}
    _remove(driver, again, "month 3 unpaid")
    prized = int(driver.settlement(gid, 1)["winner_ticket"])  # the next to default, in month 4
    pay_others({second, prized})
    driver.clock.advance(DAY_MS)
    driver.pay_dues(gid, [second], base.current_month(driver.group(gid)))  # all that is due
    second_penalty = _pay_penalty(driver, gid, second)
    member = driver.ticket(gid, second)["member_id"]
    note = "paid the arrears with interest within 7 days of the notice"
    driver.submit("ticket.reinstated", {**again, "note": note, "actor": member})
    [refund] = [r for r in driver.state.rows(defaults.REFUNDS).values() if r["group_id"] == gid]
    claim = {**case, "member_id": gone, "amount_paise": refund["deposited_paise"]}
    ref = f"NEFT{driver.clock.now_ms() // 1000:010d}"
    driver.submit("defaulter.refunded", {**claim, "actor": gone, "bank_ref": ref})
    driver.run_month(gid, skip=frozenset({prized}), deduction=0.0)
    note = "written demand for all future subscriptions, by registered post"
    driver.submit("demand.served", {"group_id": gid, "ticket": prized, "note": note})
    return {
        "stage": "running",
        "late_penalty": format_inr(late_penalty + second_penalty),
        "substituted_ticket": defaulter,
        "refunded": format_inr(int(refund["deposited_paise"])),
        "reinstated_ticket": second,
        "demand_on_ticket": prized,
    }


def _remove(driver: ChitDriver, case: dict[str, Any], why: str) -> None:
    """A default past its grace period: a case, the removal (s.28) and its written notice."""
    driver.submit("recovery.opened", {**case, "note": why})
    driver.submit("ticket.removed", {**case, "note": f"removed from the list: {why}"})
    driver.clock.advance(2 * DAY_MS)
    driver.submit("removal.noticed", {**case, "note": "notice of removal by registered post"})


def _pay_penalty(driver: ChitDriver, gid: str, ticket: int) -> int:
    """The penalty interest a ticket owes now (its instalments paid), paid at the counter."""
    due = defaults.penalty_due_paise(
        driver.group(gid), driver.ticket(gid, ticket), driver.clock.now_ms()
    )
    if due:
        body = {"group_id": gid, "ticket": ticket, "amount_paise": due, "bank_ref": "COUNTER"}
        driver.submit("penalty.paid", body)
    return due


LIEN_LOAN_PAISE = 20_000 * RUPEE  # within 80% of what the borrower's ticket has paid by month 4


def _lien_group(driver: ChitDriver, members: list[str]) -> dict[str, Any]:
    """Issue 14, points 4 and 7 (docs/chit-rules.md, "Loans against chit money"): the one
    subscriber still non-prized in the last month borrows from the group's pool on the
    security of what the ticket has paid in (s.14); the ticket then wins the last month,
    so the loan, with the interest run since it was lent, is settled from the prize (the
    lien), shown in the settlement and on the statement; the interest is the group's,
    shared by ticket at close-out."""
    gid, pool = "BRH-2026-02", "group:BRH-2026-02"
    terms = {"loan_backing_bps": 8_000, "loan_interest_to": "group"}  # stated in the agreement
    driver.form_group(gid, "Brahmavar 40 thousand", 40_000 * RUPEE, members[:4], **terms)
    for _ in range(3):
        driver.run_month(gid, deduction=0.0)
    group = driver.group(gid)
    [ticket] = [t for t in base.ticket_rows(driver.state, group) if not t["won_month"]]
    borrower, loan_id = str(ticket["member_id"]), "L-BRH-1"
    driver.clock.advance(2 * DAY_MS)
    driver.pay_dues(gid, [1, 2, 3, 4], 4)
    application = {"loan_id": loan_id, "member_id": borrower, "amount_paise": LIEN_LOAN_PAISE}
    purpose = "stock for the shop before the festival"
    driver.submit(
        "loan.applied", {**application, "tenure_months": 6, "purpose": purpose, "actor": borrower}
    )
    driver.submit("loan.approved", {"loan_id": loan_id, "reason": "paid every month on time"})
    driver.submit("loan.sanctioned", {"loan_id": loan_id, "scope": pool})
    driver.submit("loan.disbursed", {"loan_id": loan_id, "scope": pool, "bank_ref": "NEFT-BRH-1"})
    driver.clock.advance(18 * DAY_MS)
    driver.auction(gid)  # the last month: the borrower's ticket is the one left
    driver.attest(gid, 4)
    ref = f"NEFT{driver.clock.now_ms() // 1000:010d}"
    driver.submit("prize.paid", {"group_id": gid, "scope": pool, "month": 4, "bank_ref": ref})
    settled = driver.settlement(gid, 4)
    driver.close(gid)
    closeout = driver.state.get(base.CLOSEOUTS, gid) or {}
    return {
        "stage": "closed",
        "loan": f"{loan_id} on ticket {ticket['ticket']}",
        "prize": format_inr(int(settled["prize_paise"])),
        "loan_netted": format_inr(int(settled["loans_netted_paise"])),
        "paid_in_cash": format_inr(int(settled["paid_paise"])),
        "interest_to_group": format_inr(sum(closeout.get("loan_interest_paise", {}).values())),
    }


def build_demo(node: Node, clock: DemoClock, rng: random.Random) -> dict[str, Any]:
    """Fill a fresh lone root-admin node with a realistic branch; return a summary."""
    driver = ChitDriver(node, clock, rng)
    foreman = driver.enrol_device("foreman", "Foreman laptop (Raghavendra Shetty)")
    employee = driver.enrol_device("employee", "Recovery desk (Nirmala Pai)")
    # Issue 14, points 2 and 7: the branch records its state's rules before forming groups,
    # so every group here draws by commit-reveal and bids in multiples of Rs 100.
    driver.submit("branch.chit_rules_set", DEMO_RULES)
    people = _people(rng, 40, "M")
    for index, (member_id, name) in enumerate(people):
        kyc = base.KYC_SUBMITTED if index >= 36 else base.KYC_APPROVED
        driver.register(member_id, name, kyc=kyc)
    ids = [member_id for member_id, _ in people]
    phone = driver.enrol_device("member", f"Member phone ({people[0][1]})")
    driver.link_device(phone, ids[0])
    groups = {
        "KAR-2025-01": _finished_group(driver, ids[:10]),
        "UDP-2025-07": _running_group(driver, ids[10:29]),
        "MNG-2026-06": _forming_group(driver, ids[28:]),
        "KUN-2025-04": _on_top_group(driver, ids[30:34]),
        "BRH-2026-02": _lien_group(driver, [ids[4], ids[5], ids[34], ids[35]]),
        "BTL-2025-09": _defaulters_group(driver, ids[10:17]),
    }
    return {
        "branch": node.branch,
        "devices": {
            "root": node.public,
            "foreman": foreman,
            "employee": employee,
            "member_phone": phone,
        },
        "members": len(people),
        "kyc_pending": sum(
            1
            for m in node.engine.state.rows(base.MEMBERS).values()
            if m["kyc"] == base.KYC_SUBMITTED
        ),
        "groups": groups,
        "entries": sum(driver.counts.values()),
        "by_kind": dict(sorted(driver.counts.items())),
        "state_digest": node.engine.digest(),
    }


def run_demo(folder: Path | str, *, seed: int = 2026) -> list[str]:
    """`chitnode demo`: found a demo branch in `folder`, build it, return summary lines."""
    clock = ManualClock(wall_ms=DEMO_START_MS)
    with Node.init(folder, "Mangaluru Demo Branch", clock=clock) as node:
        summary = build_demo(node, clock, random.Random(seed))
    lines = [f"{summary['members']} members ({summary['kyc_pending']} awaiting KYC approval)"]
    for gid, info in summary["groups"].items():
        details = ", ".join(f"{k}={v}" for k, v in info.items() if k != "stage")
        lines.append(f"{gid}: {info['stage']} ({details})")
    lines.append(f"{summary['entries']} domain entries written")
    return lines
