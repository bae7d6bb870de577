"""Receipts members keep (issue 15 point 4): the signed entry itself, checkable anywhere.

A receipt is one entry of the log exactly as the log holds it (its canonical line), with
the branch, the member and a few words saying what it is for. Nothing but the line is
trusted: a checker re-computes the entry's hash from the line and verifies the author's
signature over it, so a receipt cannot be edited without failing (`receipt_tampered`),
and it needs no network and no copy of the node's database to be checked.

A receipt checked against a log (a node's store, or an export) says one of:

- `in_log`: the log holds this very entry at its (author, seq): the payment counts;
- `missing_from_log`: the log lacks it, yet the entry is signed by a device of the
  branch: that log was cut or rewritten after the member was given the receipt (or
  the log is older than the receipt: compare the dates);
- `conflict`: the log holds a *different* entry at that place: the device signed two
  entries at one seq (a fork). The receipt and the log's entry together are evidence;
- `unknown_author`: the log knows no device with the receipt's key: a forgery, or a
  log cut back to before that device was enrolled.

The file format is in docs/receipts.md; tests/vectors/receipt_check.py checks one
against an export with PyNaCl and hashlib alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from chitnode import limits
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import limits as domain_limits
from chitnode.domain import loan_views, wallet_views
from chitnode.domain.apply import APPLIED
from chitnode.domain.kinds import role_allows
from chitnode.domain.money import format_inr
from chitnode.domain.state import State
from chitnode.errors import BadFormat, BadHash, BadSignature, ChitError
from chitnode.log.canonical import canonical
from chitnode.log.entry import (
    HEX32_RE,
    Entry,
    check_hash,
    check_sig,
    entry_from_stored,
    parse_entry,
)
from chitnode.log.export import is_seal_line, parse_header, read_lines
from chitnode.log.verify import verify_file
from chitnode.store.api import Store

RECEIPT_VERSION = 1
RECEIPT_FIELDS = frozenset({"v", "branch", "member_id", "what", "entry"})

# What a check finds (module docstring).
IN_LOG = "in_log"
MISSING = "missing_from_log"
CONFLICT = "conflict"
UNKNOWN_AUTHOR = "unknown_author"

# What a receipt is for: the passbook's words (ui/vm/passbook.py uses the same names).
CONTRIBUTION = "contribution"
PRIZE_DEDUCTION = "prize_deduction"
PRIZE = "prize"
DIVIDEND = "dividend"
LOAN_DISBURSED = "loan_disbursed"
LOAN_REPAID = "loan_repaid"
WALLET = "wallet"

CONTRIBUTED = "contribution.recorded"
PRIZE_PAID = "prize.paid"
DRAW_CLOSED = "auction.closed"  # the entry that settles a month: prize and shares of discount
DISBURSED = "loan.disbursed"
REPAID = "loan.repaid"
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")
_MEMBER_ID_RE = re.compile(r"\A[A-Za-z0-9._-]{1,64}\Z")  # ids as the kernel makes them


class ReceiptMalformed(ChitError):
    """The file is not a receipt (JSON with exactly the v1 fields and a well-formed entry)."""

    code = "receipt_malformed"


class ReceiptTampered(ChitError):
    """The receipt's entry does not hash to its hash, or its signature does not verify."""

    code = "receipt_tampered"


class ReceiptWrongBranch(ChitError):
    """The receipt is of another branch than the log it is checked against."""

    code = "receipt_wrong_branch"


class ReceiptNotFound(ChitError):
    """No receipt of this member is at that (author, seq) or hash."""

    code = "receipt_not_found"


@dataclass(frozen=True, slots=True)
class MemberReceipt:
    """A receipt: the file's four fields and the entry, checked (format, hash, signature).

    The fields after `entry` describe the passbook line it stands for; they are not in the
    file (a checker trusts only the entry's line) and are empty for a receipt read back.
    """

    branch: str
    member_id: str
    what: str
    entry: Entry
    category: str = ""  # CONTRIBUTION, PRIZE, DIVIDEND, ... ("" when read from a file)
    amount_paise: int = 0
    group_id: str = ""
    month: int = 0
    ticket: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "v": RECEIPT_VERSION,
            "branch": self.branch,
            "member_id": self.member_id,
            "what": self.what,
            "entry": self.entry.raw.decode(),
        }

    def to_bytes(self) -> bytes:
        """The file: canonical JSON (sorted keys, no spaces) and a newline."""
        return canonical(self.to_json()) + b"\n"

    @property
    def file_name(self) -> str:
        member = _UNSAFE_IN_NAME.sub("_", self.member_id)  # a file name, and an HTTP header's
        return f"receipt-{member}-{self.entry.author[:8]}-{self.entry.seq}.json"

    @property
    def ref(self) -> str:
        """Where the entry sits: `<author>:<seq>`."""
        return f"{self.entry.author}:{self.entry.seq}"

    @property
    def key(self) -> str:
        """This receipt among the member's: `<author>:<seq>/<category>/<ticket>`. One entry
        can stand for several lines (a month's close: a share for each of two tickets; a
        prize paid: the prize, the dues kept from it, a loan netted), each its receipt."""
        return f"{self.ref}/{self.category}/{self.ticket}"


def parse_receipt(data: bytes) -> MemberReceipt:
    """Read a receipt file; ReceiptMalformed or ReceiptTampered unless it checks out."""
    if len(data) > limits.RECEIPT_FILE_BYTES_MAX:
        raise ReceiptMalformed(f"a receipt is at most {limits.RECEIPT_FILE_BYTES_MAX} bytes")
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ReceiptMalformed("not a receipt: the file is not JSON text") from exc
    if not isinstance(obj, dict) or set(obj) != RECEIPT_FIELDS:
        raise ReceiptMalformed(f"a receipt has exactly the fields {sorted(RECEIPT_FIELDS)}")
    branch, member_id, what, line = obj["branch"], obj["member_id"], obj["what"], obj["entry"]
    if obj["v"] != RECEIPT_VERSION or isinstance(obj["v"], bool):
        raise ReceiptMalformed(f"not a version {RECEIPT_VERSION} receipt")
    well_formed = (
        isinstance(branch, str)
        and HEX32_RE.match(branch) is not None
        and isinstance(member_id, str)
        and _MEMBER_ID_RE.match(member_id) is not None
        and isinstance(what, str)
        and len(what) <= limits.RECEIPT_WHAT_CHARS_MAX
        and isinstance(line, str)
    )
    if not well_formed:
        raise ReceiptMalformed("a receipt's branch, member_id, what or entry is malformed")
    try:
        entry = parse_entry(line.encode("utf-8"))
    except (BadFormat, UnicodeEncodeError) as exc:
        raise ReceiptMalformed(f"the receipt's entry is not a log entry: {exc}") from exc
    try:
        check_hash(entry)
        check_sig(entry)
    except (BadHash, BadSignature) as exc:
        raise ReceiptTampered(f"the receipt was altered: {exc}") from exc
    if entry.branch != branch:
        raise ReceiptTampered("the receipt names another branch than its entry's")
    return MemberReceipt(branch, member_id, what, entry)


def read_receipt(path: Path) -> MemberReceipt:
    with path.open("rb") as stream:
        return parse_receipt(stream.read(limits.RECEIPT_FILE_BYTES_MAX + 1))


# --- the member's receipts ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    """A passbook line waiting for its entry."""

    category: str
    what: str
    amount_paise: int
    group_id: str = ""
    month: int = 0
    ticket: int = 0


@dataclass(slots=True)
class _Wanted:
    by_hash: dict[str, list[_Line]] = field(default_factory=dict)
    prizes_paid: dict[tuple[str, int], _Line] = field(default_factory=dict)  # (group, month)
    kinds: set[str] = field(default_factory=set)

    def add(self, digest: str, kind: str, line: _Line) -> None:
        self.by_hash.setdefault(digest, []).append(line)
        self.kinds.add(kind)


def _where(gid: str, month: int, ticket: int) -> str:
    return f"group {gid} · month {month} · ticket {ticket}"


def _contributions(state: State, member_id: str, wanted: _Wanted) -> None:
    for digest, row in state.rows(base.CONTRIBUTIONS).items():
        if row["member_id"] != member_id:
            continue
        gid, month, ticket = str(row["group_id"]), int(row["month"]), int(row["ticket"])
        amount = int(row["amount_paise"])
        deducted = row["source"] == PRIZE_DEDUCTION  # dues kept back from the prize
        words = "dues kept from the prize" if deducted else "payment"
        number = f" · receipt {row['receipt']}" if row["receipt"] else ""
        what = f"{words} {format_inr(amount)} · {_where(gid, month, ticket)}{number}"
        category = PRIZE_DEDUCTION if deducted else CONTRIBUTION
        line = _Line(category, what, amount, gid, month, ticket)
        wanted.add(digest, PRIZE_PAID if deducted else CONTRIBUTED, line)


def _settlements(state: State, member_id: str, wanted: _Wanted) -> None:
    mine: dict[str, list[int]] = {}
    for row in state.rows(base.TICKETS).values():
        if row["member_id"] == member_id:
            mine.setdefault(str(row["group_id"]), []).append(int(row["ticket"]))
    for gid, tickets in sorted(mine.items()):
        group = base.group_row(state, gid)
        to_all = group["dividend_to"] == "all"
        for row in base.settlement_rows(state, group):
            month, winner = int(row["month"]), int(row["winner_ticket"])
            if row["winner_member"] == member_id:
                prize = int(row["prize_paise"])
                where = _where(gid, month, winner)
                if row["prize_paid"]:  # the entry that paid it out
                    what = f"prize paid {format_inr(prize)} · {where}"
                    wanted.prizes_paid[(gid, month)] = _Line(PRIZE, what, prize, gid, month, winner)
                    wanted.kinds.add(PRIZE_PAID)
                else:  # won, not paid yet: the entry that settled the month
                    what = f"prize won {format_inr(prize)} · {where}"
                    line = _Line(PRIZE, what, prize, gid, month, winner)
                    wanted.add(str(row["close_hash"]), DRAW_CLOSED, line)
            share = int(row["per_ticket_dividend_paise"])
            for ticket in sorted(tickets):
                if share and (to_all or ticket != winner):
                    what = f"share of discount {format_inr(share)} · {_where(gid, month, ticket)}"
                    line = _Line(DIVIDEND, what, share, gid, month, ticket)
                    wanted.add(str(row["close_hash"]), DRAW_CLOSED, line)


def _loans(state: State, member_id: str, wanted: _Wanted) -> None:
    for loan in loan_views.member_loans(state, member_id):
        loan_id = str(loan["loan_id"])
        for tranche in loan["tranches"]:
            amount = int(tranche["amount_paise"])
            what = f"loan paid out {format_inr(amount)} · loan {loan_id}"
            wanted.add(str(tranche["hash"]), DISBURSED, _Line(LOAN_DISBURSED, what, amount))
    for key, row in state.rows(loan_views.LOAN_REPAYMENTS).items():
        if row["member_id"] == member_id:
            amount = int(row["amount_paise"])
            what = f"loan repaid {format_inr(amount)} · loan {row['loan_id']}"
            digest = key.partition("|")[0]  # "<hash>" or "<hash>|<loan>" (a prize netted)
            wanted.add(digest, REPAID, _Line(LOAN_REPAID, what, amount))
            wanted.kinds.add(PRIZE_PAID)


def _wallet(state: State, member_id: str, wanted: _Wanted) -> None:
    before: int | None = None
    seen = 0
    while seen < limits.MEMBER_RECEIPTS_MAX:
        page = wallet_views.history(
            state, member_id, limit=domain_limits.WALLET_HISTORY_PAGE_MAX, before=before
        )
        for move in page.moves:
            words = "wallet in" if move.amount_paise >= 0 else "wallet out"
            what = f"{words} {format_inr(abs(move.amount_paise))} · {move.kind}"
            wanted.add(move.hash, move.kind, _Line(WALLET, what, abs(move.amount_paise)))
        seen += len(page.moves)
        if page.next_before is None:
            return
        before = page.next_before


def receipts_for(state: State, store: Store, member_id: str) -> list[MemberReceipt]:
    """Every payment, prize, share of discount, loan and wallet move of `member_id` that
    the member sees, each with its entry from `store`: newest first, at most
    MEMBER_RECEIPTS_MAX. Refused with `unknown_member` for a stranger.

    The fold's rows name each line's entry by hash (a paid prize by its group and month);
    one pass over the applied entries of those kinds finds them.
    """
    base.member_row(state, member_id)
    wanted = _Wanted()
    _contributions(state, member_id, wanted)
    _settlements(state, member_id, wanted)
    _loans(state, member_id, wanted)
    _wallet(state, member_id, wanted)
    branch = store.meta("branch") or ""
    out: list[MemberReceipt] = []
    for entry in _wanted_entries(store, wanted):
        lines = list(wanted.by_hash.get(entry.hash, ()))
        if entry.kind == PRIZE_PAID:
            paid = wanted.prizes_paid.get(_group_month(entry))
            lines += [paid] if paid is not None else []
        out += [_receipt(branch, member_id, entry, line) for line in lines]
    out.sort(key=lambda r: (-r.entry.ts, r.entry.author, -r.entry.seq, r.category, r.ticket))
    return out[: limits.MEMBER_RECEIPTS_MAX]


def _wanted_entries(store: Store, wanted: _Wanted) -> Iterator[Entry]:
    """The applied entries `wanted` names, read from the rows' hashes; only those are
    decoded (a branch's log holds every member's payments: most rows are others')."""
    if not wanted.kinds:
        return
    for row in store.placed_entries(kinds=wanted.kinds, status=APPLIED):
        if row.hash in wanted.by_hash or (row.kind == PRIZE_PAID and wanted.prizes_paid):
            yield entry_from_stored(row.raw)  # checked when it was stored


def _group_month(entry: Entry) -> tuple[str, int]:
    return str(entry.body.get("group_id", "")), int(entry.body.get("month", 0))


def _receipt(branch: str, member_id: str, entry: Entry, line: _Line) -> MemberReceipt:
    return MemberReceipt(
        branch,
        member_id,
        line.what[: limits.RECEIPT_WHAT_CHARS_MAX],
        entry,
        line.category,
        line.amount_paise,
        line.group_id,
        line.month,
        line.ticket,
    )


def find_receipt(receipts: list[MemberReceipt], ref: str) -> MemberReceipt:
    """The receipt `ref` names: its key, else the first of its entry's by `<author>:<seq>`,
    by the entry's hash or by 12+ first digits of it."""
    ref = ref.strip()
    exact = next((r for r in receipts if r.key == ref), None)
    if exact is not None:
        return exact
    ref = ref.lower()
    for receipt in receipts:
        if ref in (receipt.ref, receipt.entry.hash) or (
            len(ref) >= limits.RECEIPT_REF_HASH_CHARS_MIN and receipt.entry.hash.startswith(ref)
        ):
            return receipt
    raise ReceiptNotFound(f"no receipt of this member at {ref!r}")


# --- checking a receipt against a log -------------------------------------------------------


class Log(Protocol):
    """What a receipt check asks of a log: a node's store, or an export file."""

    branch: str
    root: str
    where: str  # for people: "this node's log" or the export's file name

    def hash_at(self, author: str, seq: int) -> str | None: ...

    def head_of(self, author: str) -> int:
        """The highest seq the log holds of `author` (0: none)."""
        ...

    def knows(self, author: str) -> bool:
        """Whether `author` is the root or a device the log enrolled."""
        ...

    def holds_twin(self, entry: Entry) -> bool:
        """Whether the log keeps `entry` itself as fork evidence (off its main chain)."""
        ...

    def problems(self) -> list[str]:
        """The codes the log's own verification found (an export's), else none."""
        ...


@dataclass(frozen=True, slots=True)
class ReceiptCheck:
    status: str  # IN_LOG | MISSING | CONFLICT | UNKNOWN_AUTHOR
    receipt: MemberReceipt
    where: str  # the log checked
    log_head: int  # the log's highest seq of the receipt's author
    log_hash: str  # the log's entry at that place ("" when none)
    log_problems: tuple[str, ...]  # codes the export's own verification found

    @property
    def ok(self) -> bool:
        return self.status == IN_LOG

    def explain(self) -> str:
        """One paragraph for people: what the check found and what it proves."""
        entry, where = self.receipt.entry, self.where
        place = f"entry #{entry.seq} of device {entry.author[:12]}…"
        if self.status == IN_LOG:  # said from the signed entry: the receipt's words are not
            return f"{where} holds this very {place} ({signed_words(entry)}): it counts."
        if self.status == CONFLICT:
            return (
                f"{where} holds a different entry ({self.log_hash[:12]}…) where the receipt's"
                f" {place} should be: that device signed two entries at one place (a fork)."
                " Keep the receipt: with the log's entry it is evidence."
            )
        if self.status == UNKNOWN_AUTHOR:
            return (
                f"{where} knows no device {entry.author[:12]}…: the receipt is not from this"
                " branch's devices, or the log was cut back to before that device joined."
            )
        return (
            f"{where} lacks the receipt's {place} (it holds that device's entries up to"
            f" #{self.log_head}), yet the entry is signed by a device of the branch: the log"
            " was cut or rewritten after the receipt was given (unless the log is older"
            " than the receipt)."
        )


def signed_words(entry: Entry) -> str:
    """What the entry itself says: its kind, and its amount, group, month and ticket if
    its body has them (a receipt's `what` is not signed, so a check never repeats it)."""
    body = entry.body
    words = [entry.kind]
    amount = body.get("amount_paise")
    if isinstance(amount, int) and not isinstance(amount, bool):
        words.append(format_inr(amount))
    words += [f"{name} {body[name]}" for name in ("group_id", "month", "ticket") if name in body]
    return " · ".join(str(w) for w in words)


def check_receipt(log: Log, receipt: MemberReceipt) -> ReceiptCheck:
    """Where `receipt`'s entry stands in `log`; ReceiptWrongBranch for another branch's."""
    entry = receipt.entry
    if entry.branch != log.branch:
        raise ReceiptWrongBranch(
            f"the receipt is of branch {entry.branch}, {log.where} of branch {log.branch}"
        )
    found = log.hash_at(entry.author, entry.seq) or ""
    if found == entry.hash:
        status = IN_LOG
    elif found or log.holds_twin(entry):
        status = CONFLICT
    elif not log.knows(entry.author):
        status = UNKNOWN_AUTHOR
    else:
        status = MISSING
    head = log.head_of(entry.author)
    return ReceiptCheck(status, receipt, log.where, head, found, tuple(log.problems()))


class StoreLog:
    """A node's own log, as a receipt check reads it."""

    def __init__(self, store: Store, state: State) -> None:
        self.store, self.state = store, state
        self.branch = store.meta("branch") or ""
        self.root = store.meta("root") or ""
        self.where = "this node's log"

    def hash_at(self, author: str, seq: int) -> str | None:
        return self.store.hash_at(author, seq)

    def head_of(self, author: str) -> int:
        last = self.store.last_stored(author)
        return last[0] if last is not None else 0

    def knows(self, author: str) -> bool:
        return author == self.root or self.state.get("devices", author) is not None

    def holds_twin(self, entry: Entry) -> bool:
        return self.store.has(entry)

    def problems(self) -> list[str]:
        return []


class ExportLog:
    """An export file (`.chitlog`), verified once; an author's feed read in one pass."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as stream:
            header = parse_header(stream.readline(limits.EXPORT_LINE_BYTES_MAX + 1))
        self.branch, self.root = header.branch, header.root
        self.where = f"the export {path.name}"
        self.report = verify_file(path, role_allows=role_allows)
        self._problems = sorted(self.report.counts())
        self._read: tuple[str, dict[int, list[str]]] | None = None  # the last feed read

    def _feed(self, author: str) -> dict[int, list[str]]:
        """seq -> the hashes of `author`'s entries at it in the file (two: a fork), read in
        one pass over the file and kept for the next question about the same author."""
        if self._read is not None and self._read[0] == author:
            return self._read[1]
        needle = f'"author":"{author}"'.encode()
        found: dict[int, list[str]] = {}
        with self.path.open("rb") as stream:
            lines = read_lines(stream)
            next(lines, None)  # the header
            for raw in lines:
                line = raw.rstrip(b"\n")
                if needle not in line or is_seal_line(line):
                    continue
                try:
                    entry = parse_entry(line)
                except BadFormat:
                    continue  # verify reported it
                if entry.author == author:
                    found.setdefault(entry.seq, []).append(entry.hash)
        self._read = (author, found)
        return found

    def hash_at(self, author: str, seq: int) -> str | None:
        return next(iter(self._feed(author).get(seq, ())), None)

    def head_of(self, author: str) -> int:
        return max(self._feed(author), default=0)

    def knows(self, author: str) -> bool:
        return author == self.root or author in self.report.enrolled

    def holds_twin(self, entry: Entry) -> bool:
        return entry.hash in self._feed(entry.author).get(entry.seq, ())

    def problems(self) -> list[str]:
        return self._problems
