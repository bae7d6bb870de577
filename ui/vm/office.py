"""The back office's view-models (issue 13, "Employees"): KYC queue, loan inbox, recovery
board, bank requests and mail, and the activity feed.

Pure: a `Reading` (and, where the node keeps something outside the fold, plain rows the
screen read at the edge: this node's bank attempts, its mail outbox, the latest stored
entries) in, frozen display values out; commands out as (kind, body). Every rule stays in
the kernel: the eligibility, the risk score, the Banker's check and the legal recovery
moves are the kernel's own functions (loan_inbox.assess, loan_views.sanction_check,
recovery.LEGAL_TRANSITIONS), read here and said in words; whether the device's role may
write a kind is `kinds.role_allows`, so a button the kernel would refuse is not offered
(the kernel refuses it anyway if a browser forges the click).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chitnode.domain import bank_kinds as bank
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import default_views
from chitnode.domain import loan_views as lv
from chitnode.domain import recovery as fsm
from chitnode.domain.bankers import TREASURY_POOL
from chitnode.domain.kinds import role_allows
from chitnode.domain.limits import BULK_APPROVE_MAX
from chitnode.log.entry import entry_from_stored
from chitnode.services import kyc_vault
from chitnode.services.bank_outbox import outbox_rows
from chitnode.services.loan_inbox import assess, order_inbox
from chitnode.store.api import StoredEntry
from chitnode.store.bank_outbox import Attempt
from chitnode.store.mail_outbox import OutboxRow
from ui import fmt, limits
from ui.backend import Reading

Command = tuple[str, dict[str, Any]]
DAY_MS = base.DAY_MS


def _date(ms: int | None) -> str:
    return fmt.date_local(ms, limits.APP_TIME_ZONE) if ms else ""


def _name(r: Reading, member_id: str) -> str:
    row = r.state.get(base.MEMBERS, member_id) or {}
    return str(row.get("name", ""))


def may(r: Reading, kind: str) -> bool:
    """Whether this device's role may write `kind` (the kernel's role table)."""
    return bool(r.device_role) and role_allows(r.device_role, kind)


# --- the KYC queue ------------------------------------------------------------------------------

# Each document a KYC record holds, and the row field that says it was recorded.
KYC_DOCUMENTS = (
    ("pan", "pan_masked"),
    ("bank", "bank_account_masked"),
    ("phone", "phone_masked"),
    ("ifsc", "ifsc"),
    ("sealed", "kyc_sealed"),
)


@dataclass(frozen=True, slots=True)
class KycRow:
    member_id: str
    name: str  # the name on the KYC (as submitted)
    submitted_on: str
    waiting_days: int
    pan: str  # masked, or the full value when this device opened it
    bank_account: str
    phone: str
    ifsc: str
    documents: tuple[tuple[str, bool], ...]  # (document, recorded)
    full_shown: bool
    hidden_code: str  # why full values are not shown ("" when shown or not asked)
    mismatch: bool  # the sealed values do not match the masked ones in the log


@dataclass(frozen=True, slots=True)
class KycQueue:
    rows: tuple[KycRow, ...]
    pending: int  # all pending, even past KYC_QUEUE_SHOWN
    may_decide: bool  # this device's role may approve and reject


def kyc_queue(
    r: Reading, *, reveal: str = "", load_key: Callable[[], bytes] | None = None
) -> KycQueue:
    """Members whose KYC waits for a decision, oldest first; masked values, except the
    member `reveal` names, whose full values show only if this device's role may see them
    and its staff key opens them (as `chitnode kyc show`)."""
    waiting = [m for m in r.state.rows(base.MEMBERS).values() if m.get("kyc") == base.KYC_SUBMITTED]
    waiting.sort(key=lambda m: (int(m.get("kyc_submitted_ms", 0)), str(m["member_id"])))
    rows = []
    for member in waiting[: limits.KYC_QUEUE_SHOWN]:
        full: Mapping[str, str] = {}
        hidden, mismatch = "", False
        if reveal and reveal == member["member_id"]:
            view = kyc_vault.kyc_view(member, r.device_role or None, load_key or _no_key)
            full = view["full"] or {}
            hidden, mismatch = str(view["hidden_code"] or ""), bool(view["mismatch"])
        submitted = int(member.get("kyc_submitted_ms", 0))
        rows.append(
            KycRow(
                member_id=str(member["member_id"]),
                name=str(member.get("kyc_name") or member.get("name", "")),
                submitted_on=_date(submitted),
                waiting_days=max(0, r.now_ms - submitted) // DAY_MS,
                pan=full.get("pan") or str(member.get("pan_masked", "")),
                bank_account=full.get("bank_account") or str(member.get("bank_account_masked", "")),
                phone=full.get("phone") or str(member.get("phone_masked", "")),
                ifsc=str(member.get("ifsc", "")),
                documents=tuple((doc, bool(member.get(field))) for doc, field in KYC_DOCUMENTS),
                full_shown=bool(full),
                hidden_code=hidden,
                mismatch=mismatch,
            )
        )
    return KycQueue(tuple(rows), len(waiting), may(r, "kyc.approved"))


def _no_key() -> bytes:
    from chitnode.errors import KeyUnavailable

    raise KeyUnavailable("this device holds no staff key")


def approve_kyc(member_ids: Sequence[str]) -> list[Command]:
    """One `kyc.approved` for one member, or one entry per BULK_APPROVE_MAX members for a
    bulk approval: each entry approves all its members or none (the kernel checks each)."""
    ids = list(dict.fromkeys(member_ids))  # a member ticked twice is approved once
    if len(ids) == 1:
        return [("kyc.approved", {"member_id": ids[0]})]
    return [
        ("kyc.approved", {"member_ids": ids[i : i + BULK_APPROVE_MAX]})
        for i in range(0, len(ids), BULK_APPROVE_MAX)
    ]


def reject_kyc(member_id: str, reason: str) -> Command:
    return "kyc.rejected", {"member_id": member_id, "reason": reason.strip()}


# --- the loan inbox -----------------------------------------------------------------------------

PIPELINE = (lv.APPLIED, lv.APPROVED, lv.SANCTIONED)  # the statuses a person still acts on
# What a person may do to a loan in each status, in the order the buttons show.
LOAN_ACTIONS: dict[str, tuple[str, ...]] = {
    lv.APPLIED: ("loan.approved", "loan.rejected"),
    lv.APPROVED: ("loan.sanctioned", "loan.rejected"),
    lv.SANCTIONED: ("loan.disbursed", "loan.rejected"),
}


@dataclass(frozen=True, slots=True)
class RiskPart:
    name: str
    points: int
    weight: int
    explanation: str


@dataclass(frozen=True, slots=True)
class LoanCard:
    loan_id: str
    member_id: str
    member_name: str
    status: str
    amount: str
    tenure_months: int
    applied_on: str
    age_days: int
    eligible: bool
    eligibility_code: str
    eligibility_reason: str
    limit: str
    risk_total: int
    risk_parts: tuple[RiskPart, ...]
    recommendation: str  # approve | review | reject (the inbox's proposal; a person decides)
    recommendation_reason: str
    emi: str
    pools: tuple[str, ...]  # pools that may fund it: treasury, or group:<id> (s.14)
    pool: str  # the pool the Banker's check below is for
    bankers_ok: bool
    bankers_code: str
    bankers_words: str
    actions: tuple[str, ...]  # kinds this device may write for it now


@dataclass(frozen=True, slots=True)
class LoanInbox:
    cards: tuple[LoanCard, ...]
    waiting: int  # applications not yet decided (all, even past LOAN_INBOX_SHOWN)


def loan_inbox(r: Reading, *, pools: Mapping[str, str] | None = None) -> LoanInbox:
    """Applications in the inbox's service order (oldest first, small loans boosted), then
    approved and sanctioned loans waiting for their money, each with the kernel's
    eligibility, risk score, EMI and Banker's check for the pool chosen (`pools`: loan id
    -> pool the person picked; else the loan's own, or the first that may fund it)."""
    state, now = r.state, r.now_ms
    chosen = pools or {}
    applied = order_inbox(lv.pending_applications(state), now)
    later = sorted(
        (row for row in state.rows(lv.LOANS).values() if row["status"] in PIPELINE[1:]),
        key=lambda row: (int(row["applied_ms"]), str(row["loan_id"])),
    )
    ordered = ([lv.loan_row(state, a.loan_id) for a in applied] + later)[: limits.LOAN_INBOX_SHOWN]
    cards = [_loan_card(r, row, chosen.get(str(row["loan_id"]), "")) for row in ordered]
    return LoanInbox(tuple(cards), len(applied))


def _loan_card(r: Reading, row: Mapping[str, Any], picked: str) -> LoanCard:
    state, now = r.state, r.now_ms
    loan_id, member_id = str(row["loan_id"]), str(row["member_id"])
    application = lv.Application(
        loan_id=loan_id,
        member_id=member_id,
        amount_paise=int(row["amount_paise"]),
        tenure_months=int(row["tenure_months"]),
        annual_rate_bps=int(row["annual_rate_bps"]),
        applied_ms=int(row["applied_ms"]),
    )
    facts = lv.member_facts(state, member_id, now, exclude_loan=loan_id)
    advice = assess(application, facts, now)
    status = str(row["status"])
    pools = (TREASURY_POOL, *(f"group:{gid}" for gid, _, _ in advice.group_limits))
    if status == lv.SANCTIONED:
        pools = (str(row["pool"]),)
    pool = picked if picked in pools else pools[1] if len(pools) > 1 else pools[0]
    amount = int(row["amount_paise"])
    if status == lv.SANCTIONED:
        verdict = lv.disbursement_check(state, loan_id, pool, amount - int(row["disbursed_paise"]))
        ok, code, words = verdict.granted, verdict.code, verdict.reason
    else:
        code, words = lv.sanction_check(state, loan_id, pool, amount)
        ok = code == "granted"
    return LoanCard(
        loan_id=loan_id,
        member_id=member_id,
        member_name=_name(r, member_id),
        status=status,
        amount=fmt.rupees(amount),
        tenure_months=application.tenure_months,
        applied_on=_date(application.applied_ms),
        age_days=max(0, now - application.applied_ms) // DAY_MS,
        eligible=advice.eligibility.ok,
        eligibility_code=advice.eligibility.code,
        eligibility_reason=advice.eligibility.reason,
        limit=fmt.rupees(advice.limit_paise),
        risk_total=advice.risk.total,
        risk_parts=tuple(
            RiskPart(c.name, c.points, c.weight, c.explanation) for c in advice.risk.components
        ),
        recommendation=advice.action,
        recommendation_reason=advice.reason,
        emi=fmt.rupees(advice.emi_paise),
        pools=pools,
        pool=pool,
        bankers_ok=ok,
        bankers_code=code,
        bankers_words=words,
        actions=tuple(k for k in LOAN_ACTIONS[status] if may(r, k)),
    )


def loan_command(
    kind: str, loan_id: str, *, reason: str = "", pool: str = "", ref: str = ""
) -> Command:
    """The body of one decision; a coordinated kind's lease term is the node's to add."""
    if kind in ("loan.approved", "loan.rejected"):
        return kind, {"loan_id": loan_id, "reason": reason.strip()}
    body: dict[str, Any] = {"loan_id": loan_id, "scope": pool}
    if kind == "loan.disbursed" and ref.strip():
        body["bank_ref"] = ref.strip()
    return kind, body


# --- the recovery board -------------------------------------------------------------------------

STAGES = tuple(fsm.Stage)  # the seven columns, in the machine's order
NO_CASE = ""  # a ticket in default with no case open yet: shown under "missed"


@dataclass(frozen=True, slots=True)
class RecoveryCard:
    group_id: str
    ticket: int
    member_id: str
    member_name: str
    stage: str  # NO_CASE when no case is open yet
    overdue: str  # arrears and unpaid penalty interest
    days_late: int
    deadline_key: str  # which statutory deadline applies ("" when none yet)
    deadline_on: str
    deadline_passed: bool
    moves: tuple[str, ...]  # stages the kernel allows next


@dataclass(frozen=True, slots=True)
class RecoveryColumn:
    stage: str
    cards: tuple[RecoveryCard, ...]


@dataclass(frozen=True, slots=True)
class RecoveryBoard:
    columns: tuple[RecoveryColumn, ...]
    may_move: bool


def _days_late(r: Reading, gid: str, ticket: int) -> int:
    group = base.group_row(r.state, gid)
    month = base.overdue_month(group, base.ticket_row(r.state, gid, ticket), r.now_ms)
    if month == 0:
        return 0
    due = int(group["month_starts_ms"][month - 1]) + int(group["grace_days"]) * DAY_MS
    return max(0, r.now_ms - due) // DAY_MS


def _deadline(case: default_views.DefaultCase) -> tuple[str, int | None]:
    """The Act's deadline that applies to the case now: notice after a removal (s.28(1)),
    then re-entry on payment (its proviso), the Registrar's copy (s.28(3)) otherwise."""
    if case.removed_ms is not None and case.notice_ms is None and not case.removal_lapsed:
        return "notice", case.notice_due_ms
    if case.reinstatement_deadline_ms is not None:
        return "reinstate", case.reinstatement_deadline_ms
    if case.registrar_filing_due_ms is not None:
        return "registrar", case.registrar_filing_due_ms
    return "", None


def recovery_board(r: Reading) -> RecoveryBoard:
    """One column per stage: open cases where they stand (tickets in default with no case
    yet under "missed", to be opened), closed cases under resolved and written off."""
    board = default_views.recovery_board(r.state, r.now_ms)
    by_stage: dict[str, list[RecoveryCard]] = {stage.value: [] for stage in STAGES}
    for case in board.cases:
        kind, due = _deadline(case)
        stage = case.recovery_stage
        moves = () if not stage else tuple(s.value for s in STAGES if s in _next(stage))
        card = RecoveryCard(
            group_id=case.group_id,
            ticket=case.ticket,
            member_id=case.member_id,
            member_name=_name(r, case.member_id),
            stage=stage,
            overdue=fmt.rupees(case.arrears_paise + case.penalty_due_paise),
            days_late=_days_late(r, case.group_id, case.ticket),
            deadline_key=kind,
            deadline_on=_date(due),
            deadline_passed=due is not None and r.now_ms > due,
            moves=moves,
        )
        by_stage[stage or fsm.Stage.MISSED.value].append(card)
    closed = [row for row in r.state.rows(base.RECOVERIES).values() if row["closed"]]
    closed.sort(key=lambda row: -int(row["history"][-1]["ts_ms"]))
    for row in closed[: limits.RECOVERY_CLOSED_SHOWN]:
        by_stage[str(row["stage"])].append(
            RecoveryCard(
                group_id=str(row["group_id"]),
                ticket=int(row["ticket"]),
                member_id=str(row["member_id"]),
                member_name=_name(r, str(row["member_id"])),
                stage=str(row["stage"]),
                overdue=fmt.rupees(int(row["arrears_at_open_paise"])),
                days_late=0,
                deadline_key="",
                deadline_on=_date(int(row["history"][-1]["ts_ms"])),
                deadline_passed=False,
                moves=(),
            )
        )
    columns = tuple(
        RecoveryColumn(stage.value, tuple(by_stage[stage.value][: limits.RECOVERY_COLUMN_SHOWN]))
        for stage in STAGES
    )
    return RecoveryBoard(columns, may(r, "recovery.moved"))


def _next(stage: str) -> frozenset[fsm.Stage]:
    return fsm.LEGAL_TRANSITIONS.get(fsm.Stage(stage), frozenset())


def open_case(group_id: str, ticket: int, note: str) -> Command:
    return "recovery.opened", {"group_id": group_id, "ticket": ticket, "note": note.strip()}


def move_case(group_id: str, ticket: int, to: str, note: str) -> Command:
    body = {"group_id": group_id, "ticket": ticket, "to": to, "note": note.strip()}
    return "recovery.moved", body


# --- bank requests and the mail outbox ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BankRow:
    request_id: str
    direction: str  # deposit | withdrawal
    member_id: str
    member_name: str
    amount: str
    requested_on: str
    attempts: int
    last_answer: str  # the bank's last answer or what went wrong ("" before a try)
    next_try: str
    stuck: bool


@dataclass(frozen=True, slots=True)
class MailRow:
    key: str
    to: str
    subject: str
    status: str  # pending | sent | failed
    attempts: int
    when: str  # sent at, or next try
    why: str  # the last error, for a waiting or failed mail


@dataclass(frozen=True, slots=True)
class BankDesk:
    requests: tuple[BankRow, ...]
    pending: int
    may_settle: bool
    mails: tuple[MailRow, ...]
    mail_counts: tuple[tuple[str, int], ...]  # (status, count)


def bank_desk(
    r: Reading,
    attempts: Mapping[str, Attempt],
    mails: Sequence[OutboxRow] = (),
    mail_counts: Mapping[str, int] | None = None,
) -> BankDesk:
    """Pending deposits and withdrawals (the log is the outbox) with this node's attempts,
    and the mail outbox's rows as read from this node's `outbox.db`."""
    pending = bank.pending_requests(r.state, limits.BANK_DESK_SHOWN)
    rows = tuple(
        BankRow(
            request_id=o.request_id,
            direction=o.direction,
            member_id=o.member_id,
            member_name=_name(r, o.member_id),
            amount=fmt.rupees(o.amount_paise),
            requested_on=_date(o.requested_ms),
            attempts=o.attempts,
            last_answer=o.last_error,
            next_try=fmt.datetime_local(o.next_attempt_ms, limits.APP_TIME_ZONE)
            if o.next_attempt_ms
            else "",
            stuck=o.stuck,
        )
        for o in outbox_rows(pending, attempts)
    )
    mail_rows = tuple(
        MailRow(
            key=m.key,
            to=m.to,
            subject=m.subject,
            status=m.status,
            attempts=m.attempts,
            when=fmt.datetime_local(m.sent_ms or m.next_attempt_ms, limits.APP_TIME_ZONE),
            why=m.last_error,
        )
        for m in mails[: limits.MAIL_ROWS_SHOWN]
    )
    counts = tuple((s, int((mail_counts or {}).get(s, 0))) for s in ("sent", "pending", "failed"))
    may_settle = may(r, bank.DEPOSIT_SETTLED)
    return BankDesk(rows, len(pending), may_settle, mail_rows, counts)


def close_by_hand(r: Reading, request_id: str, *, settle: bool, text: str) -> Command:
    """What `chitnode bank-settle` writes (`via: manual`): the settlement with the bank's
    reference (`text`), or the refusal with the bank's reason. KeyError: no such request."""
    row = r.state.get(bank.REQUESTS, request_id)
    if row is None:
        raise KeyError(request_id)
    withdrawal = row["direction"] == bank.WITHDRAWAL
    if settle:
        kind = bank.WITHDRAWAL_SETTLED if withdrawal else bank.DEPOSIT_SETTLED
        return kind, bank.settled_body(request_id, text.strip(), withdrawal=withdrawal)
    kind = bank.WITHDRAWAL_REJECTED if withdrawal else bank.DEPOSIT_FAILED
    return kind, bank.refused_body(request_id, text.strip(), withdrawal=withdrawal)


# --- the activity feed --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActivityRow:
    when: str
    kind: str
    actor: str  # the member or device the entry acts for, in words
    actor_id: str  # its member id or device key
    member_id: str
    group_id: str
    amount: str
    status: str  # applied | rejected
    code: str


@dataclass(frozen=True, slots=True)
class ActivityPage:
    rows: tuple[ActivityRow, ...]
    page: int
    pages: int
    matched: int
    scanned: int  # the latest entries read (at most ACTIVITY_SCAN_MAX)


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    kind_prefix: str = ""
    member_id: str = ""
    group_id: str = ""

    def matches(self, row: ActivityRow) -> bool:
        return (
            row.kind.startswith(self.kind_prefix)
            and (not self.member_id or self.member_id in (row.member_id, row.actor_id))
            and (not self.group_id or row.group_id == self.group_id)
        )


ROOT_NAME = "root admin"  # the branch's founding device, which no enrolment names


def actor_names(r: Reading) -> dict[str, str]:
    """Who an entry acts for, in words: devices by their enrolled name, members by name."""
    names = {str(k): str(d.get("name", "")) for k, d in r.state.rows("devices").items()}
    branch = r.state.get("branch", "branch") or {}
    if branch.get("root"):
        names.setdefault(str(branch["root"]), ROOT_NAME)
    for mid, member in r.state.rows(base.MEMBERS).items():
        names[str(mid)] = f"{member.get('name', '')} ({mid})"
    return names


def _activity_row(entry: StoredEntry, names: Mapping[str, str]) -> ActivityRow:
    body = entry_from_stored(entry.raw).body
    member = body.get("member_id") or body.get("from_member_id") or ""
    amount = body.get("amount_paise")
    return ActivityRow(
        when=fmt.datetime_local(entry.ts, limits.APP_TIME_ZONE),
        kind=entry.kind,
        actor=names.get(entry.actor) or entry.actor[: limits.ACTOR_SHOWN_CHARS],
        actor_id=entry.actor,
        member_id=str(member),
        group_id=str(body.get("group_id", "")),
        amount=fmt.rupees(amount)
        if isinstance(amount, int) and not isinstance(amount, bool)
        else "",
        status=entry.status,
        code=entry.code,
    )


def activity(
    latest: Sequence[StoredEntry],
    where: ActivityFilter = ActivityFilter(),
    page: int = 0,
    names: Mapping[str, str] | None = None,
) -> ActivityPage:
    """The latest stored entries (oldest first, as `store.latest_placed` gives them),
    newest first, filtered, one page of ACTIVITY_PAGE_ROWS; `names` (actor_names) say who."""
    said = names or {}
    rows = [_activity_row(e, said) for e in reversed(latest)]
    rows = [row for row in rows if where.matches(row)]
    size = limits.ACTIVITY_PAGE_ROWS
    pages = max(1, -(-len(rows) // size))
    page = min(max(0, page), pages - 1)
    return ActivityPage(
        tuple(rows[page * size : (page + 1) * size]), page, pages, len(rows), len(latest)
    )
