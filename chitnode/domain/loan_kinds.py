"""Loan entry kinds (issue 4, part 4) and the Banker's gate on disbursements (part 5).

Every reducer is pure, `(state, entry) -> changes`, and refuses bad input with a
stable code and no change (G9). Money is int paise and moves only as Posting legs
that sum to zero (G1). Tables and accounts: `loan_views`. The whole life of a
loan, with the codes, is in docs/loans.md.

    loan.applied ─► loan.approved ─► loan.sanctioned ─► loan.disbursed (1..12 tranches)
         └─► loan.rejected ◄──┴────────────┘ (until the first tranche)
    active: loan.emi_due (monthly) · loan.repaid (any amount) · loan.overdue ─► case
    closed: once principal and interest due are repaid

- Free: `treasury.funded`, `loan.rate_set`, `loan.applied`, `loan.approved`,
  `loan.rejected`, `loan.emi_due`, `loan.repaid` (a credit), `loan.overdue`,
  `loan.recovery_moved`.
- Coordinated (coordination-v1: `scope` "treasury" or "group:<gid>", `term`):
  `loan.sanctioned` (admits the claim into the pool's Banker's state) and
  `loan.disbursed` (a Banker's request: refused `unsafe_state`,
  `insufficient_available` or `request_exceeds_claim` with the reason the
  employee reads).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from chitnode.domain import bankers, emi, limits, wallet_kinds
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import loan_views as lv
from chitnode.domain import recovery as fsm
from chitnode.domain.chit_kinds_base import need
from chitnode.domain.kinds import ADMIN, MANAGERS, STAFF, kind
from chitnode.domain.money import require_paise
from chitnode.domain.state import Change, Posting, Put, State
from chitnode.log.entry import Entry

APPLICANTS = STAFF | {"member"}  # a member applies from a phone through a node, as `actor`
TO_CASH = "cash"
TO_WALLET = "wallet"


def _amount(body: dict[str, Any], field: str = "amount_paise") -> int:
    return require_paise(body.get(field), field=field)


def _loan_id(body: dict[str, Any]) -> str:
    loan_id = body.get("loan_id")
    need(
        isinstance(loan_id, str) and base.ID_RE.match(loan_id) is not None,
        "bad_loan_id",
        "loan_id: 1-40 letters, digits, '.', '_' or '-'",
    )
    return str(loan_id)


def _put(loan: dict[str, Any], **changes: Any) -> Put:
    return Put(lv.LOANS, str(loan["loan_id"]), {**loan, **changes})


def _decision(entry: Entry, reason: str) -> dict[str, Any]:
    return {"by": entry.author, "ts_ms": entry.ts, "reason": reason, "hash": entry.hash}


# --- the treasury and the branch rate ---------------------------------------------------


@kind("treasury.funded", ADMIN, summary="Puts branch money into the treasury (ext:bank -> cash).")
def treasury_funded(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("amount_paise",), ("bank_ref", "note"))
    amount = _amount(body)
    bank_ref = base.text(body, "bank_ref", max_chars=limits.REF_CHARS_MAX)
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX)
    need(bool(bank_ref.strip() or note.strip()), "note_required", "give a bank_ref or a note")
    row = {"amount_paise": amount, "ts_ms": entry.ts, "bank_ref": bank_ref, "note": note}
    return [
        Put(lv.TREASURY_FUNDINGS, entry.hash, row),
        *base.transfer(lv.BANK_ACCOUNT, lv.TREASURY_CASH, amount),
    ]


@kind("loan.rate_set", MANAGERS, summary="Sets the branch's default annual loan rate.")
def loan_rate_set(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("annual_rate_bps",))
    rate = base.integer(body, "annual_rate_bps", 0, limits.LOAN_RATE_BPS_MAX, "bad_rate")
    return [Put(lv.LOAN_POLICY, "branch", {"annual_rate_bps": rate, "ts_ms": entry.ts})]


# --- application and decision -------------------------------------------------------------


@kind("loan.applied", APPLICANTS, summary="A member applies for a loan: amount, tenure, purpose.")
def loan_applied(state: State, entry: Entry) -> list[Change]:
    """The EMI preview is stored with the application; eligibility is judged at approval."""
    required = ("loan_id", "member_id", "amount_paise", "tenure_months", "purpose")
    body = base.body_of(entry, required, ("annual_rate_bps",))
    loan_id = _loan_id(body)
    need(state.get(lv.LOANS, loan_id) is None, "loan_exists", f"loan {loan_id} already exists")
    member_id = base.member_id_of(body)
    base.member_row(state, member_id)
    base.check_on_behalf(state, entry, member_id)  # the member's own act (issue 14, point 1)
    amount = _amount(body)
    months = base.integer(body, "tenure_months", 1, limits.LOAN_TENURE_MONTHS_MAX, "bad_tenure")
    rate = base.integer(
        body,
        "annual_rate_bps",
        0,
        limits.LOAN_RATE_BPS_MAX,
        "bad_rate",
        default=lv.default_rate_bps(state),
    )
    purpose = base.text(body, "purpose", max_chars=limits.LOAN_PURPOSE_CHARS_MAX, empty_ok=False)
    preview = emi.schedule(amount, rate, months)  # bad_principal, principal_too_small
    row = {
        "loan_id": loan_id,
        "member_id": member_id,
        "amount_paise": amount,
        "tenure_months": months,
        "annual_rate_bps": rate,
        "purpose": purpose,
        "emi_paise": preview[0].emi_paise,
        "status": lv.APPLIED,
        "applied_ms": entry.ts,
        "applied_hash": entry.hash,
        "applied_by": entry.author,
        "actor": str(body.get("actor", "")),
        "decision": None,
        "eligibility": None,
        "pool": "",
        "sanctioned_ms": 0,
        "sanction_hash": "",
        "term": 0,
        "disbursed_paise": 0,
        "tranches": [],
        "disbursed_ms": 0,
        "schedule": [],
        "account": None,
        "dues_paise": [],
        "paid_to_dues_paise": 0,
        "covered": 0,
        "late": 0,
        "closed_ms": 0,
        "recoveries": 0,
    }
    return [Put(lv.LOANS, loan_id, row)]


@kind(
    "loan.approved", STAFF, summary="Approves an application that meets eligibility, with a reason."
)
def loan_approved(state: State, entry: Entry) -> list[Change]:
    """Eligibility (risk.eligibility): KYC approved, no open recovery case, within the limit.

    The staff may record security they have checked (`security_form`,
    `security_value_paise`, `security_detail`): it adds what it covers to the limit,
    a guarantor or a document at 4/3, immovable property at 1.5x (issue 14, point 7).
    """
    optional = ("security_form", "security_value_paise", "security_detail")
    body = base.body_of(entry, ("loan_id", "reason"), optional)
    loan = lv.loan_row(state, _loan_id(body))
    lv.require_status(loan, (lv.APPLIED,), "loan_not_pending")
    reason = base.text(body, "reason", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    security = None
    if "security_form" in body:
        security = _security(body)
    else:
        need(not set(optional) & set(body), "bad_body", "security needs a security_form")
    member_id = str(loan["member_id"])
    facts = lv.eligibility_facts(state, member_id, exclude_loan=str(loan["loan_id"]))
    cover = lv.loan_security_cover_paise({"security": security})
    facts = dataclasses.replace(facts, security_cover_paise=cover)
    verdict = lv.eligibility_of(facts, int(loan["amount_paise"]))
    need(verdict.ok, verdict.code, verdict.reason)
    seen = {"code": verdict.code, "reason": verdict.reason, "limit_paise": facts.limit_paise}
    decided = {"status": lv.APPROVED, "decision": _decision(entry, reason), "eligibility": seen}
    return [_put(loan, **decided, **({"security": security} if security else {}))]


def _security(body: dict[str, Any]) -> dict[str, Any]:
    """The loan's security as the staff checked it; its cover is lv.security_cover_paise."""
    form = body["security_form"]
    forms = lv.LOAN_SECURITY_FORMS
    need(form in forms, "bad_security_form", f"security_form must be one of {forms}")
    value = require_paise(body.get("security_value_paise"), field="security_value_paise")
    detail = base.text(body, "security_detail", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    return {"form": form, "value_paise": value, "detail": detail}


@kind("loan.rejected", STAFF, summary="Rejects an application, or a loan not yet disbursed.")
def loan_rejected(state: State, entry: Entry) -> list[Change]:
    """A sanctioned loan with nothing disbursed may be withdrawn: its claim leaves the pool."""
    body = base.body_of(entry, ("loan_id", "reason"))
    loan = lv.loan_row(state, _loan_id(body))
    lv.require_status(loan, (lv.APPLIED, lv.APPROVED, lv.SANCTIONED), "loan_not_pending")
    need(int(loan["disbursed_paise"]) == 0, "already_disbursed", "money has been disbursed")
    reason = base.text(body, "reason", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    return [_put(loan, status=lv.REJECTED, decision=_decision(entry, reason))]


# --- sanction and disbursement (coordinated) --------------------------------------------------


def _pool(state: State, body: dict[str, Any]) -> str:
    scope = body.get("scope")
    if scope == bankers.TREASURY_POOL:
        return bankers.TREASURY_POOL
    ok = isinstance(scope, str) and scope.startswith(bankers.GROUP_POOL_PREFIX)
    need(ok, "bad_scope", "scope is 'treasury' or 'group:<id>' (the funding pool)")
    gid = str(scope)[len(bankers.GROUP_POOL_PREFIX) :]
    base.running_group(state, base.group_id_of({"group_id": gid}))
    return str(scope)


@kind(
    "loan.sanctioned",
    MANAGERS,
    coordinated=True,
    summary="Sanctions an approved loan from a pool, if the Banker's state stays safe.",
)
def loan_sanctioned(state: State, entry: Entry) -> list[Change]:
    """A group's money goes only to its non-prized subscribers, secured on the ticket's
    paid subscriptions: the loan is a lien on that ticket (s.14, `lien`)."""
    body = base.body_of(entry, ("loan_id", "scope", "term"), ("ticket",))
    loan = lv.loan_row(state, _loan_id(body))
    lv.require_status(loan, (lv.APPROVED,), "loan_not_approved")
    pool = _pool(state, body)
    gid = lv.pool_group_id(pool)
    need(bool(gid) or "ticket" not in body, "bad_body", "a treasury loan is secured on no ticket")
    lien = None
    if gid:
        ticket = lv.lien_ticket(state, loan, gid, body.get("ticket"), entry.ts)
        lien = {"group_id": gid, "ticket": ticket}
    code, reason = lv.sanction_check(state, str(loan["loan_id"]), pool, int(loan["amount_paise"]))
    need(code == "granted", code, reason)
    return [
        _put(
            loan,
            status=lv.SANCTIONED,
            pool=pool,
            sanctioned_ms=entry.ts,
            sanction_hash=entry.hash,
            term=int(body["term"]),
            lien=lien,
        )
    ]


def _payee(
    state: State, body: dict[str, Any], loan: dict[str, Any], entry: Entry, amount: int
) -> list[Change]:
    """Where a tranche goes: cash handed over (ext:cash), or the member's wallet (with the
    wallet's own history row, so its history and totals include the loan)."""
    to = body.get("to", TO_CASH)
    need(to in (TO_CASH, TO_WALLET), "bad_body", "to is 'cash' or 'wallet'")
    if to == TO_CASH:
        return [Posting(base.CASH_ACCOUNT, amount)]
    member_id = str(loan["member_id"])
    moves = wallet_kinds.move_funds(state, member_id, entry, amount, note=f"loan {loan['loan_id']}")
    return [*moves, Posting(wallet_kinds.wallet_account(member_id), amount)]


def _activate(loan: dict[str, Any], entry: Entry) -> dict[str, Any]:
    """The final tranche: store the EMI schedule and open the repayment account."""
    amount, rate = int(loan["amount_paise"]), int(loan["annual_rate_bps"])
    months = int(loan["tenure_months"])
    rows = emi.schedule(amount, rate, months)
    return {
        "status": lv.ACTIVE,
        "disbursed_ms": entry.ts,
        "schedule": [dataclasses.asdict(r) for r in rows],  # keys say their units
        "account": lv.account_row(emi.open_account(amount, rate, months)),
    }


@kind(
    "loan.disbursed",
    MANAGERS,
    coordinated=True,
    summary="Pays out a sanctioned loan (or a tranche), only if the Banker's state stays safe.",
)
def loan_disbursed(state: State, entry: Entry) -> list[Change]:
    """A Banker's request on the loan's pool; the final tranche starts the EMI schedule."""
    body = base.body_of(entry, ("loan_id", "scope", "term"), ("amount_paise", "to", "bank_ref"))
    loan = lv.loan_row(state, _loan_id(body))
    done = loan["status"] in (lv.ACTIVE, lv.CLOSED)
    need(not done, "already_disbursed", "the loan is fully disbursed")
    lv.require_status(loan, (lv.SANCTIONED,), "loan_not_sanctioned")
    pool = str(loan["pool"])
    need(body["scope"] == pool, "bad_scope", f"this loan is funded by {pool}")
    need(int(body["term"]) >= int(loan["term"]), "stale_term", "a higher term sanctioned it")
    remaining = int(loan["amount_paise"]) - int(loan["disbursed_paise"])
    amount = _amount(body) if "amount_paise" in body else remaining
    tranches = list(loan["tranches"])
    last = amount == remaining
    need(last or len(tranches) < limits.LOAN_TRANCHES_MAX - 1, "too_many_tranches", "tranche limit")
    verdict = lv.disbursement_check(state, str(loan["loan_id"]), pool, amount)
    need(verdict.granted, verdict.code, verdict.reason)
    lien = lv.lien_of(loan)
    if lien is not None:  # s.14: the ticket may have won since the sanction
        won = base.ticket_row(state, *lien)["won_month"]
        need(not won, "ticket_prized", f"ticket {lien[1]} won month {won}: s.14 lends non-prized")
    bank_ref = base.text(body, "bank_ref", max_chars=limits.REF_CHARS_MAX)
    tranche = {"hash": entry.hash, "amount_paise": amount, "ts_ms": entry.ts, "bank_ref": bank_ref}
    tranche["to"] = str(body.get("to", TO_CASH))
    changes: dict[str, Any] = {
        "disbursed_paise": int(loan["disbursed_paise"]) + amount,
        "tranches": [*tranches, tranche],
    }
    if last:
        changes.update(_activate(loan, entry))
    receivable = lv.loan_account_name(str(loan["loan_id"]))
    return [
        _put(loan, **changes),
        Posting(lv.pool_cash_account(pool), -amount),
        *_payee(state, body, loan, entry, amount),
        *base.transfer(lv.BORROWERS_ACCOUNT, receivable, amount),
    ]


# --- the EMI schedule running -------------------------------------------------------------------


def _active(state: State, body: dict[str, Any]) -> dict[str, Any]:
    loan = lv.loan_row(state, _loan_id(body))
    need(loan["status"] != lv.CLOSED, "loan_closed", "the loan is fully repaid")
    lv.require_status(loan, (lv.ACTIVE,), "loan_not_disbursed")
    return loan


@kind("loan.emi_due", STAFF, summary="Marks a loan's next EMI as fallen due (interest accrues).")
def loan_emi_due(state: State, entry: Entry) -> list[Change]:
    """EMI k falls due k loan months after disbursement; written once per month (by `month`)."""
    body = base.body_of(entry, ("loan_id", "month"))
    loan = _active(state, body)
    account = lv.account_of(loan)
    month = account.instalments_due + 1
    ceiling = account.months + limits.LOAN_OVERDUE_MONTHS_MAX
    need(month <= ceiling, "too_many_instalments", "interest stops falling due here")
    need(body["month"] == month, "wrong_month", f"EMI {month} is the next to fall due")
    need(entry.ts >= lv.due_ms(loan, month), "not_yet_due", f"EMI {month} is not due yet")
    after = emi.fall_due(account)
    dues = [*loan["dues_paise"], after.arrears_paise - account.arrears_paise]
    covered, late = lv.judge(loan, dues, int(loan["paid_to_dues_paise"]), entry.ts)
    return [
        _put(
            loan,
            account=lv.account_row(after),
            dues_paise=dues,
            covered=covered,
            late=late,
        )
    ]


@kind("loan.repaid", STAFF, summary="Records a repayment: interest due, principal due, then early.")
def loan_repaid(state: State, entry: Entry) -> list[Change]:
    """A free credit (cash in): ext:cash -> the pool (principal) and the treasury (interest).

    Partial and early repayments alike: emi.repay splits the amount; early
    principal keeps the EMI and shortens the tenure. Paying more than is owed is
    refused (`repayment_exceeds_owed`), never kept.
    """
    body = base.body_of(entry, ("loan_id", "amount_paise"), ("bank_ref", "note"))
    loan = _active(state, body)
    bank_ref = base.text(body, "bank_ref", max_chars=limits.REF_CHARS_MAX)
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX)
    changes, _ = _repayment(state, entry, loan, _amount(body), entry.hash, bank_ref, note)
    return changes


def _repayment(
    state: State,
    entry: Entry,
    loan: dict[str, Any],
    amount: int,
    key: str,
    bank_ref: str,
    note: str,
    accrued_paise: int = 0,
) -> tuple[list[Change], dict[str, Any]]:
    """A repayment of `amount` (cash in, ext:cash): principal back to the loan's pool,
    interest where the pool's agreement says (lv.interest_account). `accrued_paise`
    of interest not yet fallen due is charged first (a loan settled between EMIs)."""
    account = lv.account_of(loan)
    account = dataclasses.replace(
        account, interest_due_paise=account.interest_due_paise + accrued_paise
    )
    after, split = emi.repay(account, amount)
    paid = int(loan["paid_to_dues_paise"]) + split.interest_paise + split.principal_paise
    covered, late = lv.judge(loan, loan["dues_paise"], paid, entry.ts)
    changes: dict[str, Any] = {
        "account": lv.account_row(after),
        "paid_to_dues_paise": paid,
        "covered": covered,
        "late": late,
    }
    if after.closed:
        changes.update(status=lv.CLOSED, closed_ms=entry.ts)
    return _repaid(state, entry, loan, changes, split, after.outstanding_paise, key, bank_ref, note)


def _repaid(
    state: State,
    entry: Entry,
    loan: dict[str, Any],
    changes: dict[str, Any],
    split: emi.RepaymentSplit,
    outstanding_after: int,
    key: str,
    bank_ref: str,
    note: str,
) -> tuple[list[Change], dict[str, Any]]:
    """The row, the receipt and the legs of a repayment already split."""
    principal = split.principal_paise + split.early_principal_paise
    amount = split.interest_paise + principal
    receipt = {
        "loan_id": loan["loan_id"],
        "member_id": loan["member_id"],
        "amount_paise": amount,
        "interest_paise": split.interest_paise,
        "principal_paise": split.principal_paise,
        "early_principal_paise": split.early_principal_paise,
        "outstanding_after_paise": outstanding_after,
        "ts_ms": entry.ts,
        "author": entry.author,
        "bank_ref": bank_ref,
        "note": note,
    }
    receivable = lv.loan_account_name(str(loan["loan_id"]))
    pool = str(loan["pool"])
    return [
        _put(loan, **changes),
        Put(lv.LOAN_REPAYMENTS, key, receipt),
        Posting(base.CASH_ACCOUNT, -amount),
        Posting(lv.pool_cash_account(pool), principal),
        Posting(lv.interest_account(state, pool), split.interest_paise),
        *base.transfer(receivable, lv.BORROWERS_ACCOUNT, principal),
    ], receipt


# --- the lien: a prize settles the loans secured on its ticket (s.14) ----------------------------


def prize_lien(
    state: State, entry: Entry, gid: str, ticket: int, cash_paise: int
) -> tuple[list[dict[str, Any]], list[Change]]:
    """Net the loans secured on a winning ticket from its prize (base.PRIZE_LIENS).

    Each running loan on the ticket, oldest first, is repaid from the prize cash:
    principal, interest fallen due, and interest accrued since its last EMI, as if
    the member had repaid it early. What the cash cannot cover stays owed, without
    the accrual (its next EMI charges the month). A loan paid out only in part (its
    EMIs and interest start with the last tranche) gives back what was paid out and
    closes: the rest is never paid out to a prized ticket. Returns what each loan
    took, for the settlement row and the member's statement, and the changes.
    """
    netted: list[dict[str, Any]] = []
    changes: list[Change] = []
    left = cash_paise
    holder = base.ticket_row(state, gid, ticket)["member_id"]
    for loan in lv.liens_on(state, gid, ticket):
        if loan["member_id"] != holder:
            continue  # a removed defaulter's loan: recovered from its refund (s.30), by hand
        key = f"{entry.hash}|{loan['loan_id']}"
        note = f"netted from the prize of {gid} ticket {ticket} (lien, s.14)"
        if loan["status"] != lv.ACTIVE:
            out = int(loan["disbursed_paise"])
            if not 0 < out <= left:
                continue  # nothing paid out (never will be), or more than the prize: by hand
            closed = {"status": lv.CLOSED, "closed_ms": entry.ts}
            split = emi.RepaymentSplit(0, 0, out)
            moves, receipt = _repaid(state, entry, loan, closed, split, 0, key, "", note)
            amount = out
        elif left > 0:
            principal, interest = lv.payoff_paise(loan, entry.ts)
            due = lv.account_of(loan).interest_due_paise
            accrued = 0 if principal + interest > left else interest - due  # settles it, or not
            amount = min(left, principal + due + accrued)
            moves, receipt = _repayment(state, entry, loan, amount, key, "", note, accrued)
        else:
            continue
        changes += moves
        netted.append(
            {
                "loan_id": loan["loan_id"],
                "amount_paise": amount,
                "principal_paise": amount - int(receipt["interest_paise"]),
                "interest_paise": int(receipt["interest_paise"]),
                "receipt": key,
            }
        )
        left -= amount
    return netted, changes


base.PRIZE_LIENS.append(prize_lien)


# --- overdue EMIs and recovery ------------------------------------------------------------------


@kind(
    "loan.overdue", STAFF, summary="Opens a recovery case for an EMI unpaid past its grace period."
)
def loan_overdue(state: State, entry: Entry) -> list[Change]:
    body = base.body_of(entry, ("loan_id", "note"))
    loan = _active(state, body)
    loan_id = str(loan["loan_id"])
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    account = lv.account_of(loan)
    need(account.arrears_paise > 0, "no_arrears", f"loan {loan_id} has nothing fallen due unpaid")
    missed = lv.overdue_month(loan, entry.ts)
    need(missed > 0, "within_grace", "the unpaid EMI is still within its grace period")
    need(lv.open_loan_case(state, loan_id) is None, "case_open", "a case is already open")
    number = int(loan["recoveries"]) + 1
    step = fsm.history_step(fsm.Stage.MISSED, ts_ms=entry.ts, note=note, by=entry.author)
    case = {
        "loan_id": loan_id,
        "member_id": loan["member_id"],
        "case": number,
        "stage": fsm.Stage.MISSED.value,
        "closed": False,
        "missed_month": missed,
        "arrears_at_open_paise": account.arrears_paise,
        "opened_ms": entry.ts,
        "notice_ms": None,
        "history": [step],
    }
    return [
        Put(lv.LOAN_RECOVERIES, f"{loan_id}|{number:04d}", case),
        _put(loan, recoveries=number),
    ]


@kind(
    "loan.recovery_moved",
    STAFF,
    summary="Moves a loan's recovery case one legal step, with a note.",
)
def loan_recovery_moved(state: State, entry: Entry) -> list[Change]:
    """recovery.transition; `resolved` needs no EMI left unpaid past its grace."""
    body = base.body_of(entry, ("loan_id", "to", "note"))
    loan = lv.loan_row(state, _loan_id(body))
    loan_id = str(loan["loan_id"])
    note = base.text(body, "note", max_chars=limits.NOTE_CHARS_MAX, empty_ok=False)
    found = lv.open_loan_case(state, loan_id)
    need(found is not None, "no_open_case", f"loan {loan_id} has no open recovery case")
    assert found is not None
    key, case = found
    to = fsm.transition(fsm.Stage(case["stage"]), body["to"])
    if to == fsm.Stage.RESOLVED and loan["status"] == lv.ACTIVE:
        overdue = lv.overdue_month(loan, entry.ts)
        need(overdue == 0, "arrears_outstanding", f"EMI {overdue} is unpaid past its grace")
    row = fsm.advanced_case(case, to, ts_ms=entry.ts, note=note, by=entry.author)
    return [Put(lv.LOAN_RECOVERIES, key, row)]
