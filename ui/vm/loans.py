"""The member's loans: apply with a live EMI preview, and the state of each application.

The preview is chitnode.domain.emi's reducing-balance schedule under the branch's rate,
the same numbers the kernel stores with the application (`loan.applied`); the kernel
judges eligibility at approval, so the limit shown here is a guide, not a promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chitnode.domain import emi
from chitnode.domain import limits as domain_limits
from chitnode.domain import loan_views as lv
from ui import limits
from ui.backend import Reading
from ui.vm.member import member_name

# A loan's status as a chip (theme.STATUS_LOOKS) next to its own word (member.loan.status.*).
STATUS_CHIP = {
    lv.APPLIED: "pending",
    lv.APPROVED: "pending",
    lv.SANCTIONED: "pending",
    lv.REJECTED: "failed",
    lv.ACTIVE: "due",
    lv.CLOSED: "settled",
}


@dataclass(frozen=True, slots=True)
class Preview:
    """What a loan of `amount_paise` over `months` at `rate_bps` costs, in plain numbers."""

    amount_paise: int
    months: int
    rate_bps: int
    emi_paise: int  # the first (and every but the last) instalment
    last_emi_paise: int  # the last absorbs the rounding
    total_paise: int  # every instalment
    interest_paise: int  # total less the amount borrowed


def preview(amount_paise: int, months: int, rate_bps: int) -> Preview:
    """emi.schedule's figures; raises the kernel's own refusal (bad_principal, ...)."""
    rows = emi.schedule(amount_paise, rate_bps, months)
    total = sum(row.emi_paise for row in rows)
    return Preview(
        amount_paise=amount_paise,
        months=months,
        rate_bps=rate_bps,
        emi_paise=rows[0].emi_paise,
        last_emi_paise=rows[-1].emi_paise,
        total_paise=total,
        interest_paise=total - amount_paise,
    )


@dataclass(frozen=True, slots=True)
class LoanLine:
    loan_id: str
    status: str  # lv status: applied | approved | sanctioned | rejected | active | closed
    chip: str  # STATUS_CHIP[status], or in_arrears for a running loan behind
    amount_paise: int
    months: int
    rate_bps: int
    emi_paise: int
    outstanding_paise: int
    arrears_paise: int
    applied_ms: int
    purpose: str


@dataclass(frozen=True, slots=True)
class Loans:
    member_id: str
    name: str
    rate_bps: int  # the branch's rate a new application gets
    limit_paise: int  # a guide: what the member's paid-in chit money backs now
    amount_chips_paise: tuple[int, ...]
    tenure_chips: tuple[int, ...]
    loans: tuple[LoanLine, ...]  # newest application first


def _line(loan: dict[str, Any]) -> LoanLine:
    account = lv.account_of(loan) if loan["account"] else None
    status = str(loan["status"])
    arrears = account.arrears_paise if account else 0
    return LoanLine(
        loan_id=str(loan["loan_id"]),
        status=status,
        chip="in_arrears" if arrears else STATUS_CHIP.get(status, "pending"),
        amount_paise=int(loan["amount_paise"]),
        months=int(loan["tenure_months"]),
        rate_bps=int(loan["annual_rate_bps"]),
        emi_paise=account.emi_paise if account else int(loan["emi_paise"]),
        outstanding_paise=account.outstanding_paise if account else 0,
        arrears_paise=arrears,
        applied_ms=int(loan["applied_ms"]),
        purpose=str(loan["purpose"]),
    )


def build_loans(r: Reading, member_id: str) -> Loans:
    state = r.state
    name = member_name(state, member_id)
    lines = sorted(
        (_line(loan) for loan in lv.member_loans(state, member_id)),
        key=lambda line: (-line.applied_ms, line.loan_id),
    )
    return Loans(
        member_id=member_id,
        name=name,
        rate_bps=lv.default_rate_bps(state),
        limit_paise=lv.eligibility_facts(state, member_id).limit_paise,
        amount_chips_paise=limits.LOAN_AMOUNT_CHIPS_PAISE,
        tenure_chips=limits.LOAN_TENURE_CHIPS_MONTHS,
        loans=tuple(lines[: limits.LOAN_LINES_MAX]),
    )


def apply_command(
    member_id: str, loan_id: str, amount_paise: int, months: int, purpose: str
) -> tuple[str, dict[str, Any]]:
    """`loan.applied` for the member; the loan id is made once, when the form opens, so a
    retried submit is refused `loan_exists` instead of applying twice."""
    body: dict[str, Any] = {
        "loan_id": loan_id,
        "member_id": member_id,
        "amount_paise": amount_paise,
        "tenure_months": months,
        "purpose": purpose.strip()[: domain_limits.LOAN_PURPOSE_CHARS_MAX],
    }
    return "loan.applied", body
