"""Loans: tables, accounts and the reads both the loan reducers and the views need.

Pure (DESIGN.md): functions of a `State`, no I/O, clock or randomness; "now" is
an entry's `ts` or a time the caller passes in. `loan_kinds` writes the tables;
the loan inbox, reports and the UI read them through the functions here.

Tables (key -> row):
- `loans` [loan_id]: the application, the decision, the sanction, tranches,
  the EMI schedule and the repayment account (`emi.LoanAccount` fields)
- `loan_repayments` [entry hash]: one receipt per repayment with its split
- `loan_recoveries` [loan_id|nnnn]: recovery cases of overdue EMIs (recovery.py FSM)
- `loan_policy` ["branch"]: the branch's default annual rate
- `treasury_fundings` [entry hash]: money the admin put into the treasury

Accounts (Posting legs, G1): `treasury:cash` (the branch's own cash, lent from and
repaid to), `loan:<loan_id>` (principal receivable: lent and not yet repaid, never
negative), `ext:borrowers` (its contra: what borrowers owe, outside the books),
`ext:bank` (where treasury funding comes from), plus the chit accounts a
group-funded loan draws on (`pool:<gid>`) and pays out to (`ext:cash`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chitnode.domain import bankers, emi, limits, risk
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import recovery as fsm
from chitnode.domain.chit_kinds_auction import PROPERTY_FORM
from chitnode.domain.chit_rules import (
    PROPERTY_SECURITY_DENOMINATOR,
    PROPERTY_SECURITY_NUMERATOR,
    SECURITY_DENOMINATOR,
    SECURITY_NUMERATOR,
)
from chitnode.domain.money import format_inr
from chitnode.domain.state import State
from chitnode.errors import RuleViolation

LOANS = "loans"
LOAN_REPAYMENTS = "loan_repayments"
LOAN_RECOVERIES = "loan_recoveries"
LOAN_POLICY = "loan_policy"
TREASURY_FUNDINGS = "treasury_fundings"

TREASURY_CASH = "treasury:cash"
LOAN_ACCOUNT_PREFIX = "loan:"
BORROWERS_ACCOUNT = "ext:borrowers"
BANK_ACCOUNT = "ext:bank"

APPLIED = "applied"
APPROVED = "approved"
REJECTED = "rejected"
SANCTIONED = "sanctioned"  # a Banker's claim: disbursing, in one or more tranches
ACTIVE = "active"  # fully disbursed: the EMI schedule runs
CLOSED = "closed"  # principal and interest repaid
OPEN_STATUSES = frozenset({APPROVED, SANCTIONED, ACTIVE})  # count against the member's limit

# Time: EMI k falls due k loan months after the final disbursement; an EMI unpaid
# LOAN_GRACE_DAYS after it fell due is overdue and may open a recovery case.
LOAN_MONTH_MS = 30 * base.DAY_MS
LOAN_GRACE_DAYS = 15
DEFAULT_ANNUAL_RATE_BPS = 1_200  # 12% p.a. until a manager sets the branch rate
# The inbox recommends approval up to this score (0-100); above it, a person reviews.
RISK_REVIEW_ABOVE = 60


def loan_account_name(loan_id: str) -> str:
    """The receivable account of one loan."""
    return f"{LOAN_ACCOUNT_PREFIX}{loan_id}"


def claim_name(loan_id: str) -> str:
    """The loan as the Banker's check names it to the employee."""
    return f"loan {loan_id}"


def pool_cash_account(pool: str) -> str:
    """The account holding a funding pool's cash: treasury:cash or the group's pool:<gid>."""
    if pool == bankers.TREASURY_POOL:
        return TREASURY_CASH
    return base.pool_account(pool[len(bankers.GROUP_POOL_PREFIX) :])


def default_rate_bps(state: State) -> int:
    row = state.get(LOAN_POLICY, "branch")
    return int(row["annual_rate_bps"]) if row else DEFAULT_ANNUAL_RATE_BPS


def loan_row(state: State, loan_id: str) -> dict[str, Any]:
    row = state.get(LOANS, loan_id)
    base.need(row is not None, "unknown_loan", f"no loan {loan_id}")
    assert row is not None
    return row


def member_loans(state: State, member_id: str) -> list[dict[str, Any]]:
    """The member's loans (every status), by loan id."""
    rows = state.rows(LOANS)
    return [rows[k] for k in sorted(rows) if rows[k]["member_id"] == member_id]


# --- the repayment account ------------------------------------------------------------

ACCOUNT_FIELDS = (
    "principal_paise",
    "annual_rate_bps",
    "months",
    "emi_paise",
    "outstanding_paise",
    "principal_due_paise",
    "interest_due_paise",
    "instalments_due",
    "principal_repaid_paise",
    "interest_paid_paise",
)


def account_of(loan: Mapping[str, Any]) -> emi.LoanAccount:
    """The emi.LoanAccount stored in an active or closed loan row."""
    acct = loan["account"]
    assert acct is not None, f"loan {loan['loan_id']} has no account before disbursement"
    return emi.LoanAccount(**{name: int(acct[name]) for name in ACCOUNT_FIELDS})


def account_row(account: emi.LoanAccount) -> dict[str, int]:
    return {name: int(getattr(account, name)) for name in ACCOUNT_FIELDS}


def due_ms(loan: Mapping[str, Any], month: int) -> int:
    """When EMI `month` falls due: `month` loan months after the final disbursement."""
    return int(loan["disbursed_ms"]) + month * LOAN_MONTH_MS


def oldest_unpaid_month(loan: Mapping[str, Any]) -> int:
    """The first EMI that payments towards dues do not cover, or 0 if none is unpaid."""
    paid = int(loan["paid_to_dues_paise"])
    total = 0
    for month, amount in enumerate(loan["dues_paise"], start=1):
        total += int(amount)
        if total > paid:
            return month
    return 0


def overdue_month(loan: Mapping[str, Any], now_ms: int) -> int:
    """The oldest unpaid EMI whose grace period has passed by `now_ms`, or 0."""
    month = oldest_unpaid_month(loan)
    if month == 0:
        return 0
    late_ms = due_ms(loan, month) + LOAN_GRACE_DAYS * base.DAY_MS
    return month if now_ms >= late_ms else 0


def judge(
    loan: Mapping[str, Any], dues_paise: list[int], paid_paise: int, now_ms: int
) -> tuple[int, int]:
    """(EMIs fully paid, of them paid after their grace): the loan's payment history.

    An EMI counts once the payments towards dues cover it and every EMI before
    it; it was late if that happened after its due time plus the grace period.
    """
    covered, late = int(loan["covered"]), int(loan["late"])
    total = sum(int(x) for x in dues_paise[:covered])
    for month in range(covered + 1, len(dues_paise) + 1):
        total += int(dues_paise[month - 1])
        if total > paid_paise:
            break
        covered += 1
        late += now_ms > due_ms(loan, month) + LOAN_GRACE_DAYS * base.DAY_MS
    return covered, late


def unpaid_overdue(loan: Mapping[str, Any], now_ms: int) -> int:
    """EMIs fallen due, not covered, and past their grace by `now_ms` (missed so far)."""
    grace_ms = LOAN_GRACE_DAYS * base.DAY_MS
    months = range(int(loan["covered"]) + 1, len(loan["dues_paise"]) + 1)
    return sum(1 for m in months if due_ms(loan, m) + grace_ms <= now_ms)


def open_loan_case(state: State, loan_id: str) -> tuple[str, dict[str, Any]] | None:
    loan = state.get(LOANS, loan_id)
    if loan is None or not loan["recoveries"]:
        return None
    key = f"{loan_id}|{int(loan['recoveries']):04d}"  # only the newest case can be open
    row = state.get(LOAN_RECOVERIES, key)
    return (key, row) if row is not None and not row["closed"] else None


# --- eligibility -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EligibilityFacts:
    """What the eligibility rule and the loan limit read, all from the folded ledger."""

    member_id: str
    kyc_approved: bool
    open_recovery_case: bool
    backing_contributed_paise: int  # paid in on non-prized tickets of open groups
    prized: bool  # holds a prized ticket in an open group
    outstanding_loans_paise: int  # approved or sanctioned amounts, outstanding principal
    security_cover_paise: int = 0  # what the security recorded for this loan backs

    @property
    def limit_paise(self) -> int:
        """risk.loan_limit_paise: 80% of contributions on non-prized tickets, less loans,
        plus what the loan's own security covers (security_cover_paise)."""
        return self.security_cover_paise + risk.loan_limit_paise(
            self.backing_contributed_paise,
            False,  # prized tickets are left out of the backing, ticket by ticket
            outstanding_loans_paise=self.outstanding_loans_paise,
        )


def _open_tickets(state: State, member_id: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(group, ticket) for every ticket the member holds in a group not closed out."""
    out = []
    for key in sorted(state.rows(base.TICKETS)):
        ticket = state.rows(base.TICKETS)[key]
        if ticket["member_id"] != member_id:
            continue
        group = base.group_row(state, str(ticket["group_id"]))
        if group["status"] != base.CLOSED:
            out.append((group, ticket))
    return out


def has_open_case(state: State, member_id: str) -> bool:
    """An open recovery case on any of the member's tickets or loans."""
    for row in state.rows(base.RECOVERIES).values():
        if row["member_id"] == member_id and not row["closed"]:
            return True
    return any(
        open_loan_case(state, str(loan["loan_id"])) is not None
        for loan in member_loans(state, member_id)
    )


def committed_paise(loan: Mapping[str, Any]) -> int:
    """What a loan takes from the member's limit: its amount, then the principal owed."""
    if loan["status"] in (APPROVED, SANCTIONED):
        return int(loan["amount_paise"])
    if loan["status"] == ACTIVE:
        return int(loan["account"]["outstanding_paise"])
    return 0


def security_cover_paise(form: str, value_paise: int) -> int:
    """What a security of `value_paise` backs, rounded down: a guarantor or a document
    3/4 of its value (cover 4/3), immovable property 2/3 of it (cover 1.5x, point 7)."""
    if form == PROPERTY_FORM:
        return value_paise * PROPERTY_SECURITY_DENOMINATOR // PROPERTY_SECURITY_NUMERATOR
    return value_paise * SECURITY_DENOMINATOR // SECURITY_NUMERATOR


def loan_security_cover_paise(loan: Mapping[str, Any] | None) -> int:
    security = loan.get("security") if loan is not None else None
    return (
        security_cover_paise(str(security["form"]), int(security["value_paise"])) if security else 0
    )


def eligibility_facts(state: State, member_id: str, *, exclude_loan: str = "") -> EligibilityFacts:
    """The member's eligibility inputs now; `exclude_loan` is the loan being decided."""
    member = base.member_row(state, member_id)
    tickets = _open_tickets(state, member_id)
    # subscriptions paid on non-prized tickets: an advance secures nothing yet (s.14)
    backing = sum(subscriptions_paid_paise(g, t) for g, t in tickets if not t["won_month"])
    outstanding = sum(
        committed_paise(loan)
        for loan in member_loans(state, member_id)
        if loan["loan_id"] != exclude_loan
    )
    return EligibilityFacts(
        member_id=member_id,
        kyc_approved=member["kyc"] == base.KYC_APPROVED,
        open_recovery_case=has_open_case(state, member_id),
        backing_contributed_paise=backing,
        prized=any(t["won_month"] for _, t in tickets),
        outstanding_loans_paise=outstanding,
        security_cover_paise=loan_security_cover_paise(state.get(LOANS, exclude_loan)),
    )


def eligibility_of(facts: EligibilityFacts, requested_paise: int) -> risk.Eligibility:
    """risk.eligibility over the facts: KYC, then recovery, then the limit."""
    return risk.eligibility(
        facts.kyc_approved, facts.open_recovery_case, requested_paise, facts.limit_paise
    )


# --- risk ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """A read-only snapshot of one member for the inbox: eligibility plus risk inputs.

    Plain frozen data, so a worker thread may read it while the writer moves on.
    """

    eligibility: EligibilityFacts
    instalments_due: int  # chit months past their grace, loan EMIs paid or past their grace
    instalments_on_time: int
    arrears_paise: int
    monthly_dues_paise: int  # chit instalments and EMIs a month (0 if none)
    prize_secured: bool
    contributed_paise: int  # paid in on every ticket of open groups
    # (group, ticket, most its paid subscriptions secure) where a group may lend (s.14)
    group_limits: tuple[tuple[str, int, int], ...] = ()

    def risk_inputs(self, fallback_monthly_paise: int) -> risk.RiskInputs:
        """risk.RiskInputs; `fallback_monthly_paise` scales arrears when the member owes nothing."""
        facts = self.eligibility
        return risk.RiskInputs(
            instalments_due=self.instalments_due,
            instalments_on_time=self.instalments_on_time,
            arrears_paise=self.arrears_paise,
            subscription_paise=self.monthly_dues_paise or max(1, fallback_monthly_paise),
            prized=facts.prized,
            prize_secured=self.prize_secured,
            outstanding_loans_paise=facts.outstanding_loans_paise,
            contributed_paise=self.contributed_paise,
        )


def _ticket_history(
    group: Mapping[str, Any], ticket: Mapping[str, Any], payments: list[tuple[int, int]], now: int
) -> tuple[int, int]:
    """(months judged, months paid on time): dues through m covered by m's due time + grace."""
    due = on_time = 0
    grace_ms = int(group["grace_days"]) * base.DAY_MS
    for month in range(1, base.current_month(group) + 1):
        late_ms = int(group["month_starts_ms"][month - 1]) + grace_ms
        if late_ms > now:
            break
        due += 1
        paid = sum(amount for ts, amount in payments if ts <= late_ms)
        on_time += paid >= base.dues_through_paise(group, ticket, month)
    return due, on_time


def _payments(
    state: State, keys: set[tuple[str, int]]
) -> dict[tuple[str, int], list[tuple[int, int]]]:
    out: dict[tuple[str, int], list[tuple[int, int]]] = {key: [] for key in keys}
    for row in state.rows(base.CONTRIBUTIONS).values():
        key = (str(row["group_id"]), int(row["ticket"]))
        if key in out:
            out[key].append((int(row["ts_ms"]), int(row["amount_paise"])))
    return out


def _prize_secured(state: State, tickets: Iterable[tuple[dict[str, Any], dict[str, Any]]]) -> bool:
    for group, ticket in tickets:
        if not ticket["won_month"]:
            continue
        key = base.ticket_key(str(group["group_id"]), int(ticket["ticket"]))
        security = state.get(base.SECURITIES, key)
        if security is None or not (security["deduction"] or int(security["value_paise"]) > 0):
            return False
    return True


def member_facts(
    state: State, member_id: str, now_ms: int, *, exclude_loan: str = ""
) -> MemberFacts:
    """Everything the inbox needs about a member, as of `now_ms`."""
    facts = eligibility_facts(state, member_id, exclude_loan=exclude_loan)
    tickets = _open_tickets(state, member_id)
    payments = _payments(state, {(str(t["group_id"]), int(t["ticket"])) for _, t in tickets})
    due = on_time = arrears = monthly = 0
    for group, ticket in tickets:
        judged, good = _ticket_history(
            group, ticket, payments[(str(group["group_id"]), int(ticket["ticket"]))], now_ms
        )
        due, on_time = due + judged, on_time + good
        arrears += base.arrears_paise(group, ticket)
        if group["status"] == base.RUNNING:
            monthly += base.full_instalment_paise(base.terms_of(group))
    for loan in member_loans(state, member_id):
        if loan["status"] not in (ACTIVE, CLOSED):
            continue
        covered, late = int(loan["covered"]), int(loan["late"])
        due += covered + unpaid_overdue(loan, now_ms)
        on_time += covered - late
        if loan["status"] == ACTIVE:
            account = account_of(loan)
            arrears += account.arrears_paise
            monthly += account.emi_paise
    return MemberFacts(
        eligibility=facts,
        instalments_due=due,
        instalments_on_time=on_time,
        arrears_paise=arrears,
        monthly_dues_paise=monthly,
        prize_secured=_prize_secured(state, tickets),
        contributed_paise=sum(int(t["paid_paise"]) for _, t in tickets),
        group_limits=group_limits(state, tickets, now_ms, exclude_loan=exclude_loan),
    )


def group_limits(
    state: State,
    tickets: Iterable[tuple[dict[str, Any], dict[str, Any]]],
    now_ms: int,
    *,
    exclude_loan: str = "",
) -> tuple[tuple[str, int, int], ...]:
    """Where the member may borrow a group's money now (s.14): (group, ticket, limit) for
    each non-prized ticket of a running group, not behind past its grace, as
    `loan.sanctioned` from that group's pool would judge it."""
    out = []
    for group, ticket in tickets:
        if group["status"] != base.RUNNING or ticket["won_month"]:
            continue
        if base.overdue_month(group, ticket, now_ms):
            continue
        limit = ticket_loan_limit_paise(state, group, ticket, exclude_loan=exclude_loan)
        out.append((str(group["group_id"]), int(ticket["ticket"]), limit))
    return tuple(out)


# --- s.14: group-funded loans and their lien on a ticket -------------------------------------

INTEREST_TO_GROUP = "group"  # the default: the money lent is the subscribers' (docs/chit-rules.md)
INTEREST_TO_FOREMAN = "foreman"
INTEREST_TO = (INTEREST_TO_GROUP, INTEREST_TO_FOREMAN)
LOAN_INTEREST_PREFIX = "loan_interest:"  # a group's share of interest on loans of its money
KEPT_APART_PREFIX = "dues paid ahead "  # the Banker's name of money a group may not lend
LOAN_SECURITY_FORMS = ("guarantor", "document", PROPERTY_FORM)  # recorded at loan.approved


@dataclass(frozen=True, slots=True)
class GroupLoanTerms:
    """The agreement's terms for loans of a group's money (group.created, optional)."""

    backing_bps: int  # a loan is at most this share of the ticket's paid subscriptions
    interest_to: str  # INTEREST_TO_GROUP or INTEREST_TO_FOREMAN


def group_loan_terms(group: Mapping[str, Any]) -> GroupLoanTerms:
    """The group's loan terms; a group that names none gets the defaults (older groups too)."""
    return GroupLoanTerms(
        backing_bps=int(group.get("loan_backing_bps", limits.GROUP_LOAN_BACKING_BPS_DEFAULT)),
        interest_to=str(group.get("loan_interest_to", INTEREST_TO_GROUP)),
    )


def group_interest_account(gid: str) -> str:
    """Where a group's share of loan interest is held for its subscribers."""
    return f"{LOAN_INTEREST_PREFIX}{gid}"


def pool_group_id(pool: str) -> str:
    """The group a pool belongs to, or "" for the treasury."""
    return "" if pool == bankers.TREASURY_POOL else pool[len(bankers.GROUP_POOL_PREFIX) :]


def interest_account(state: State, pool: str) -> str:
    """Where interest on a loan from `pool` is credited: the treasury's own loans to the
    treasury; a group's money as its agreement says (the group by default, s.14)."""
    gid = pool_group_id(pool)
    if not gid:
        return TREASURY_CASH
    terms = group_loan_terms(base.group_row(state, gid))
    return group_interest_account(gid) if terms.interest_to == INTEREST_TO_GROUP else TREASURY_CASH


def interest_shares(state: State, group: Mapping[str, Any]) -> dict[str, int]:
    """The group's loan interest at close-out, by ticket ("1".."N"): equal shares, the paise
    that do not divide one each to the lowest tickets; empty when there is none."""
    total = max(0, state.balance(group_interest_account(str(group["group_id"]))))
    tickets = int(group["tickets"])
    share, left = divmod(total, tickets)
    shares = {str(t): share + (t <= left) for t in range(1, tickets + 1)}
    return {t: amount for t, amount in shares.items() if amount}


def lien_principal_paise(state: State, gid: str, ticket: int) -> int:
    """Principal lent from the pool on the ticket and still out: it comes back from the prize."""
    return sum(
        account_of(row).outstanding_paise
        for row in liens_on(state, gid, ticket)
        if row["status"] == ACTIVE
    )


def subscriptions_paid_paise(group: Mapping[str, Any], ticket: Mapping[str, Any]) -> int:
    """Paid towards instalments fallen due: an advance is not a subscription yet."""
    due = base.dues_through_paise(group, ticket, base.current_month(group))
    return min(int(ticket["paid_paise"]), due)


def kept_apart_paise(state: State, group: Mapping[str, Any]) -> int:
    """Money in the pool that is no month's collection yet: advance payments and the future
    dues kept back from prizes (paid in ahead of the instalments). It may not be lent."""
    month = base.current_month(group)
    return sum(
        max(0, int(t["paid_paise"]) - base.dues_through_paise(group, t, month))
        for t in base.ticket_rows(state, group)
    )


def lien_of(loan: Mapping[str, Any]) -> tuple[str, int] | None:
    """(group, ticket) a group-funded loan is secured on, or None (treasury, older loans)."""
    lien = loan.get("lien")
    return (str(lien["group_id"]), int(lien["ticket"])) if lien else None


def liens_on(
    state: State, gid: str, ticket: int, *, exclude_loan: str = ""
) -> list[dict[str, Any]]:
    """Open loans (sanctioned or running) secured on the ticket, by loan id."""
    rows = state.rows(LOANS)
    return [
        rows[k]
        for k in sorted(rows)
        if rows[k]["status"] in (SANCTIONED, ACTIVE)
        and lien_of(rows[k]) == (gid, ticket)
        and k != exclude_loan
    ]


def ticket_loan_limit_paise(
    state: State, group: Mapping[str, Any], ticket: Mapping[str, Any], *, exclude_loan: str = ""
) -> int:
    """What the ticket's paid subscriptions still secure: the agreed share, less open liens."""
    gid, number = str(group["group_id"]), int(ticket["ticket"])
    backing = subscriptions_paid_paise(group, ticket) * group_loan_terms(group).backing_bps
    taken = sum(
        committed_paise(row) for row in liens_on(state, gid, number, exclude_loan=exclude_loan)
    )
    return max(0, backing // limits.GROUP_LOAN_BACKING_BPS_MAX - taken)


def lien_ticket(
    state: State, loan: Mapping[str, Any], gid: str, ticket: object, now_ms: int
) -> int:
    """The ticket a loan of group `gid`'s money is secured on (s.14), or a refusal.

    Only a non-prized subscriber of that group, not in default (s.2(k)), may borrow
    its money, on the security of what the ticket has paid in. `ticket` is the body's
    choice (None: the member's one non-prized ticket in the group).
    """
    group = base.running_group(state, gid)
    member_id, loan_id = str(loan["member_id"]), str(loan["loan_id"])
    mine = [t for t in base.ticket_rows(state, group) if t["member_id"] == member_id]
    base.need(bool(mine), "not_subscriber", f"{member_id} holds no ticket of {gid} (s.14)")
    if ticket is None:
        free = [t for t in mine if not t["won_month"]]
        base.need(bool(free), "ticket_prized", f"every ticket {member_id} holds in {gid} is prized")
        base.need(len(free) == 1, "ticket_required", "name the ticket the loan is secured on")
        row = free[0]
    else:
        found = [t for t in mine if base.is_int(ticket) and int(t["ticket"]) == ticket]
        base.need(bool(found), "not_ticket_holder", f"{member_id} does not hold ticket {ticket}")
        row = found[0]
        base.need(not row["won_month"], "ticket_prized", "s.14 lends only on non-prized tickets")
    late = base.overdue_month(group, row, now_ms)
    base.need(late == 0, "defaulting_subscriber", f"ticket {row['ticket']} is behind: month {late}")
    limit = ticket_loan_limit_paise(state, group, row, exclude_loan=loan_id)
    amount = int(loan["amount_paise"])
    base.need(
        amount <= limit,
        "exceeds_subscriptions",
        f"{format_inr(amount)} is more than the {format_inr(limit)} ticket {row['ticket']}'s "
        f"paid subscriptions secure ({group_loan_terms(group).backing_bps / 100:g}% of them, "
        "less loans already secured on it)",
    )
    return int(row["ticket"])


def payoff_paise(loan: Mapping[str, Any], now_ms: int) -> tuple[int, int]:
    """(principal, interest) that settle a running loan at `now_ms`: the principal owed,
    the interest fallen due, and interest accrued since the last EMI fell due."""
    account = account_of(loan)
    since = now_ms - due_ms(loan, account.instalments_due)
    accrued = emi.accrued_interest_paise(account, since, LOAN_MONTH_MS)
    return account.outstanding_paise, account.interest_due_paise + accrued


# --- the Banker's gate -------------------------------------------------------------------


def pool_claims(state: State, pool: str) -> list[bankers.LoanClaim]:
    """Open commitments on one pool: unpaid prizes of its group, then loans in sanction order.

    A loan's claim is what is sanctioned less principal repaid, its allocation what
    is disbursed less principal repaid (bankers.release with reduce_claim); a prize
    never gives back (releases=False): its cash is held back from what loans may take,
    and it is dropped once paid (docs/bankers.md).
    """
    claims: list[bankers.LoanClaim] = []
    gid = pool[len(bankers.GROUP_POOL_PREFIX) :] if pool != bankers.TREASURY_POOL else ""
    group = state.get(base.GROUPS, gid) if gid else None
    if group is not None:
        for settled in base.settlement_rows(state, group):
            if not settled["prize_paid"]:
                # the whole prize: what a deduction keeps back stays as dues paid ahead
                cash = int(settled["prize_paise"])
                name = base.prize_claim_name(gid, int(settled["month"]))
                claims.append(bankers.LoanClaim(name, pool, cash, releases=False))
        ahead = kept_apart_paise(state, group) if group["status"] == base.RUNNING else 0
        if ahead:  # paid in ahead of its month: held apart, never lent (s.14)
            claims.append(bankers.LoanClaim(KEPT_APART_PREFIX + gid, pool, ahead, releases=False))
    loans = [
        row
        for row in state.rows(LOANS).values()
        if row["status"] in (SANCTIONED, ACTIVE) and row["pool"] == pool
    ]
    for row in sorted(loans, key=lambda r: (int(r["sanctioned_ms"]), str(r["loan_id"]))):
        repaid = int(row["account"]["principal_repaid_paise"]) if row["account"] else 0
        claims.append(
            bankers.LoanClaim(
                claim_name(str(row["loan_id"])),
                pool,
                int(row["amount_paise"]) - repaid,
                int(row["disbursed_paise"]) - repaid,
            )
        )
    return claims


def pool_state(
    state: State, pool: str, extra: Iterable[bankers.LoanClaim] = ()
) -> bankers.BankerState:
    """The Banker's state of one pool: its cash on hand, its open commitments, plus `extra`.

    Each loan draws on one pool and each prize on its group's pool, so the
    branch's matrix is block-diagonal: a pool's safety does not depend on any
    other pool, and a group whose prize is not collected yet never blocks a
    treasury loan. The check therefore builds the requested pool's block only.
    """
    available = max(0, state.balance(pool_cash_account(pool)))
    return bankers.branch_loan_state({pool: available}, [*pool_claims(state, pool), *extra])


def sanction_check(state: State, loan_id: str, pool: str, amount_paise: int) -> tuple[str, str]:
    """Admission of a new claim (code, reason): "granted" only if the pool stays safe with it.

    The classic Banker's admission: a new process declares its maximum claim and is
    admitted when some order still lets every commitment, itself included, be paid
    in full (each loan repaying its principal before the next needs it). Refused
    with `insufficient_available` when even all cash and all principal out on loans
    from the pool could not pay it, else `unsafe_state`.
    """
    name = claim_name(loan_id)
    banker = pool_state(state, pool, [bankers.LoanClaim(name, pool, amount_paise)])
    lent = sum(row[0] for row in banker.allocation)
    on_hand = banker.available[0]
    asked = f"{format_inr(amount_paise)} from {pool}"
    if amount_paise > on_hand + lent:
        reason = (
            f"{name} must wait: sanctioning {asked} needs more than the {format_inr(on_hand)} "
            f"on hand and the {format_inr(lent)} out on loans that will come back"
        )
        return "insufficient_available", reason
    if bankers.safe_sequence(banker) is None:
        reason = (
            f"sanctioning {asked} to {name} would leave the branch unable to guarantee that "
            f"every open commitment can still be paid in full; {name} must wait until more "
            "is repaid or collected"
        )
        return "unsafe_state", reason
    return "granted", f"{name} admitted: every open commitment on {pool} can still be paid in full"


def disbursement_check(
    state: State, loan_id: str, pool: str, amount_paise: int
) -> bankers.RequestOutcome:
    """bankers.branch_request for a tranche of a sanctioned loan, on its pool's state."""
    return bankers.branch_request(
        pool_state(state, pool), claim_name(loan_id), {pool: amount_paise}
    )


# --- read models ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Application:
    """A loan application waiting in the inbox."""

    loan_id: str
    member_id: str
    amount_paise: int
    tenure_months: int
    annual_rate_bps: int
    applied_ms: int


def pending_applications(state: State) -> list[Application]:
    """Applications not yet approved or rejected, by loan id (the inbox orders them)."""
    rows = state.rows(LOANS)
    return [
        Application(
            loan_id=str(row["loan_id"]),
            member_id=str(row["member_id"]),
            amount_paise=int(row["amount_paise"]),
            tenure_months=int(row["tenure_months"]),
            annual_rate_bps=int(row["annual_rate_bps"]),
            applied_ms=int(row["applied_ms"]),
        )
        for row in (rows[k] for k in sorted(rows))
        if row["status"] == APPLIED
    ]


@dataclass(frozen=True, slots=True)
class LoanSummary:
    loan_id: str
    member_id: str
    status: str
    amount_paise: int
    pool: str
    disbursed_paise: int
    emi_paise: int
    outstanding_paise: int
    arrears_paise: int
    instalments_due: int
    principal_repaid_paise: int
    interest_paid_paise: int
    recovery_stage: str  # "" when no case is open


def loan_summary(state: State, loan_id: str) -> LoanSummary:
    loan = loan_row(state, loan_id)
    account = account_of(loan) if loan["account"] else None
    case = open_loan_case(state, loan_id)
    return LoanSummary(
        loan_id=loan_id,
        member_id=str(loan["member_id"]),
        status=str(loan["status"]),
        amount_paise=int(loan["amount_paise"]),
        pool=str(loan["pool"]),
        disbursed_paise=int(loan["disbursed_paise"]),
        emi_paise=account.emi_paise if account else int(loan["emi_paise"]),
        outstanding_paise=account.outstanding_paise if account else 0,
        arrears_paise=account.arrears_paise if account else 0,
        instalments_due=account.instalments_due if account else 0,
        principal_repaid_paise=account.principal_repaid_paise if account else 0,
        interest_paid_paise=account.interest_paid_paise if account else 0,
        recovery_stage=str(case[1]["stage"]) if case else "",
    )


@dataclass(frozen=True, slots=True)
class LoanCase:
    loan_id: str
    member_id: str
    case: int
    stage: str
    closed: bool
    opened_ms: int
    missed_month: int
    arrears_now_paise: int
    notice_due_ms: int | None  # serve notice within 14 days, while not yet served
    reinstatement_deadline_ms: int | None  # paying by then reinstates, once notice served


def loan_cases(state: State, loan_id: str | None = None) -> list[LoanCase]:
    """Recovery cases of loans (of one loan, or all), in key order."""
    out = []
    rows = state.rows(LOAN_RECOVERIES)
    for key in sorted(rows):
        row = rows[key]
        if loan_id is not None and row["loan_id"] != loan_id:
            continue
        loan = loan_row(state, str(row["loan_id"]))
        stage = fsm.Stage(row["stage"])
        before_notice = stage in (fsm.Stage.MISSED, fsm.Stage.CONTACTED)
        notice = row["notice_ms"]
        out.append(
            LoanCase(
                loan_id=str(row["loan_id"]),
                member_id=str(row["member_id"]),
                case=int(row["case"]),
                stage=stage.value,
                closed=bool(row["closed"]),
                opened_ms=int(row["opened_ms"]),
                missed_month=int(row["missed_month"]),
                arrears_now_paise=account_of(loan).arrears_paise if loan["account"] else 0,
                notice_due_ms=fsm.notice_due_ms(int(row["opened_ms"])) if before_notice else None,
                reinstatement_deadline_ms=(
                    fsm.reinstatement_deadline_ms(int(notice)) if notice is not None else None
                ),
            )
        )
    return out


def schedule_of(loan: Mapping[str, Any]) -> tuple[emi.Instalment, ...]:
    """The EMI schedule stored at the final disbursement (empty before it)."""
    return tuple(emi.Instalment(**row) for row in loan["schedule"])


def require_status(loan: Mapping[str, Any], allowed: Iterable[str], code: str) -> None:
    status = str(loan["status"])
    if status not in set(allowed):
        raise RuleViolation(f"loan {loan['loan_id']} is {status}", code=code)


base.POOL_CLAIM_SOURCES.append(pool_claims)  # prize payouts must leave group loans able to finish
