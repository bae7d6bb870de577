"""A small branch for loan tests: members M1..M5, a ₹5 lakh group, and the loan commands.

Shared by the loan, loan inbox and report tests (through `make_branch`).
"""

from __future__ import annotations

import random
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import loan_views as lv
from chitnode.node.node import Node, Receipt
from tests.support.clock import FakeClock
from tests.support.driver import ChitDriver

RUPEE = 100
THOUSAND = 1_000 * RUPEE
LAKH = 100 * THOUSAND
GID = "G-2026-01"
MONTH_MS = lv.LOAN_MONTH_MS


def make_branch(node: Node, clock: FakeClock) -> ChitDriver:
    """M1..M4 (KYC approved) hold the four tickets of a ₹5 lakh group and paid month 1
    (₹1,25,000 each, so each may borrow up to ₹1,00,000); M5's KYC is only submitted."""
    driver = ChitDriver(node, clock, random.Random(7))
    members = ["M1", "M2", "M3", "M4"]
    for mid in members:
        driver.register(mid, f"Member {mid}")
    driver.register("M5", "Member M5", kyc=base.KYC_SUBMITTED)
    driver.form_group(GID, "Five lakh", 5 * LAKH, members)
    driver.pay_dues(GID, [1, 2, 3, 4], 1)
    return driver


def fund(driver: ChitDriver, amount_paise: int) -> None:
    driver.submit("treasury.funded", {"amount_paise": amount_paise, "bank_ref": "UTR-FUND"})


def apply(
    driver: ChitDriver, loan_id: str, member_id: str, amount_paise: int, **extra: Any
) -> Receipt:
    body = {
        "loan_id": loan_id,
        "member_id": member_id,
        "amount_paise": amount_paise,
        "tenure_months": 12,
        "purpose": "working capital for the shop",
        "annual_rate_bps": 1000,
        "actor": member_id,  # the member's own act (issue 14, point 1)
        **extra,
    }
    return driver.submit("loan.applied", body)


def approved(driver: ChitDriver, loan_id: str, member_id: str, amount_paise: int) -> None:
    apply(driver, loan_id, member_id, amount_paise)
    driver.submit("loan.approved", {"loan_id": loan_id, "reason": "eligible, regular payer"})


def sanctioned(
    driver: ChitDriver, loan_id: str, member_id: str, amount_paise: int, scope: str = "treasury"
) -> None:
    approved(driver, loan_id, member_id, amount_paise)
    driver.submit("loan.sanctioned", {"loan_id": loan_id, "scope": scope})


def disburse(driver: ChitDriver, loan_id: str, amount_paise: int | None = None) -> Receipt:
    body: dict[str, Any] = {"loan_id": loan_id, "scope": lv.loan_row(driver.state, loan_id)["pool"]}
    if amount_paise is not None:
        body["amount_paise"] = amount_paise
    return driver.submit("loan.disbursed", body)


def loan(driver: ChitDriver, loan_id: str) -> dict[str, Any]:
    return lv.loan_row(driver.state, loan_id)


def emi_due(driver: ChitDriver, loan_id: str) -> int:
    """Let the next EMI fall due (a loan month later); return its number."""
    driver.clock.advance(MONTH_MS)
    month = lv.account_of(loan(driver, loan_id)).instalments_due + 1
    driver.submit("loan.emi_due", {"loan_id": loan_id, "month": month})
    return month


def repay(driver: ChitDriver, loan_id: str, amount_paise: int) -> Receipt:
    body = {"loan_id": loan_id, "amount_paise": amount_paise, "bank_ref": "CASH"}
    return driver.submit("loan.repaid", body)
