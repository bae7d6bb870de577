"""An auditor's reading of a `.chitlog` export: verify it, fold it alone, list what is wrong.

Nothing here touches a node's store. The export is verified exactly as `chitnode verify`
does it (`verify_file`), then folded into a store of its own (in memory, or for a big
export a scratch SQLite store in a temporary folder) by the same fold engine every node
runs, so every member's and group's balance is recomputed from the log alone. The
findings name:

- broken entries, with their verify codes (bad_hash, bad_sig, broken_chain, gap, ...);
- forks: two signed entries by one author at one seq (the fold keeps both as evidence);
- fencing evidence: coordinated entries the fold rejected as `stale_term` (a device that
  acted on a lease a higher term had replaced);
- every rejected entry, counted by its code;
- prizes paid without complete minutes (the rules refuse it; an export that shows one
  was folded by other rules, or the rules have a hole);
- whether the balances sum to zero (G1) and no account outside `ext:` is negative (G2).

What folds: each feed up to its first broken entry. An entry whose hash or signature
fails, or that does not chain to the entry before it, ends its feed there: what follows
cannot be trusted to be the author's, while everything before it verifies and counts.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import groupby, islice
from pathlib import Path

from chitnode import limits
from chitnode.domain import chit_kinds_base as base
from chitnode.domain.apply import REJECTED
from chitnode.domain.kinds import role_allows
from chitnode.domain.state import BALANCES, EXTERNAL_PREFIX, State
from chitnode.domain.wallet_kinds import wallet_account
from chitnode.errors import ChitError, NotFound
from chitnode.log.entry import Entry, check_hash, parse_entry
from chitnode.log.export import is_seal_line, read_lines
from chitnode.log.verify import VerifyReport, check_line, line_author, verify_file
from chitnode.node.fold import FoldEngine
from chitnode.services.report_pdf import write_atomically
from chitnode.store.api import FROZEN, HELD, Store
from chitnode.store.memory import MemoryStore
from chitnode.store.sqlite import SqliteStore

STALE_TERM = "stale_term"  # the fold's code for a coordinated entry a higher term fenced off
FINDINGS_SUFFIX = ".findings.json"  # written next to the export: <name>.chitlog.findings.json

Tick = Callable[[], None]


@dataclass(frozen=True, slots=True)
class Broken:
    """An entry (or the file) verify found wrong; author and seq are None for the file."""

    code: str
    author: str | None
    seq: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class Refused:
    """An entry the fold judged and rejected, with the rule's code."""

    author: str
    seq: int
    kind: str
    actor: str
    code: str


@dataclass(frozen=True, slots=True)
class ForkSeen:
    author: str
    seq: int
    freeze_seq: int  # the author's feed is frozen from here
    hash: str  # the twin kept as evidence


@dataclass(frozen=True, slots=True)
class MemberBalance:
    member_id: str
    name: str
    wallet_paise: int  # the member's wallet account
    paid_paise: int  # instalments paid on the member's tickets
    prizes_paise: int  # prizes paid out to the member's tickets


@dataclass(frozen=True, slots=True)
class GroupBalance:
    group_id: str
    name: str
    status: str
    accounts: tuple[tuple[str, int], ...]  # every account naming the group, with its balance

    @property
    def total_paise(self) -> int:
        return sum(paise for _, paise in self.accounts)


@dataclass(slots=True)
class Findings:
    """What an audit of one export found; `to_json` is what is saved next to the export."""

    path: str
    branch_id: str = ""
    branch_name: str = ""
    entries: int = 0  # entry lines in the file
    verified: bool = False  # verify found nothing wrong
    counts: dict[str, int] = field(default_factory=dict)  # verify's problems by code
    broken: list[Broken] = field(default_factory=list)  # at most AUDIT_LISTED_MAX
    unlisted: int = 0  # problems counted but not listed
    folded: int = 0  # entries given to the fold
    not_folded: int = 0  # entry lines left out: at or after a feed's first broken entry
    held: int = 0  # folded entries that never found their place (a dep left out)
    rejected: list[Refused] = field(default_factory=list)  # at most AUDIT_LISTED_MAX
    rejected_by_code: dict[str, int] = field(default_factory=dict)
    fencing: list[Refused] = field(default_factory=list)  # stale_term rejections
    forks: list[ForkSeen] = field(default_factory=list)
    prizes_without_minutes: list[tuple[str, int]] = field(default_factory=list)  # (group, month)
    members: list[MemberBalance] = field(default_factory=list)
    groups: list[GroupBalance] = field(default_factory=list)
    total_paise: int = 0  # every account together: 0 when the books balance (G1)
    negative: list[str] = field(default_factory=list)  # accounts below zero outside ext: (G2)
    state_digest: str = ""

    @property
    def balanced(self) -> bool:
        return self.total_paise == 0 and not self.negative

    @property
    def anomalies(self) -> int:
        """How many things an auditor must look at; 0 for a clean, balanced export."""
        return (
            sum(self.counts.values())
            + sum(self.rejected_by_code.values())
            + len(self.forks)
            + len(self.prizes_without_minutes)
            + (0 if self.balanced else 1)
        )

    def to_json(self) -> bytes:
        data = asdict(self)
        data.update(balanced=self.balanced, anomalies=self.anomalies)
        for row, group in zip(data["groups"], self.groups, strict=True):
            row["total_paise"] = group.total_paise
        return json.dumps(data, indent=2, sort_keys=True).encode("utf-8") + b"\n"


def audit_export(
    path: Path,
    *,
    on_verify: Tick | None = None,
    on_fold: Tick | None = None,
    store: Store | None = None,
) -> Findings:
    """Verify `path`, fold what verifies into `store`, list findings.

    Without a `store`: a new MemoryStore for an export of up to AUDIT_MEMORY_FOLD_MAX
    entries, else a SqliteStore in a temporary folder (removed after), so a big export is
    never held in memory whole. Never the node's store.

    `on_verify` is called once per entry verified, `on_fold` once per entry line read for
    the fold: a caller shows both as progress. Raises NotFound for a missing file."""
    if not path.is_file():
        raise NotFound(f"no such file: {path}")
    report = verify_file(path, role_allows=role_allows, on_entry=on_verify)
    findings = Findings(path=str(path), entries=report.entries, verified=report.ok)
    findings.counts = report.counts()
    findings.unlisted = max(0, report.total - limits.AUDIT_LISTED_MAX)
    findings.broken = [
        Broken(p.code, p.author, p.seq, p.detail)
        for p in report.problems[: limits.AUDIT_LISTED_MAX]
    ]
    if report.header is None:  # nothing says whose branch this is: nothing to fold
        findings.not_folded = report.entries
        return findings
    findings.branch_id = report.header.branch
    if store is not None:
        read_findings(fold_export(path, report, findings, on_fold, store), findings)
    elif report.entries <= limits.AUDIT_MEMORY_FOLD_MAX:
        read_findings(fold_export(path, report, findings, on_fold, MemoryStore()), findings)
    else:  # a big export folds on disk, in a scratch folder of its own, removed after
        with tempfile.TemporaryDirectory(prefix="chitnode-audit-") as scratch:
            disk = SqliteStore.open(Path(scratch), create=True)
            try:
                read_findings(fold_export(path, report, findings, on_fold, disk), findings)
            finally:
                disk.close()
    return findings


def fold_export(
    path: Path, report: VerifyReport, findings: Findings, on_fold: Tick | None, store: Store
) -> FoldEngine:
    """Fold each feed of `path`, up to its first broken entry, into `store` (one
    transaction per feed, as an import does); counts go into `findings`."""
    assert report.header is not None
    with store.transaction():
        store.set_meta("root", report.header.root)  # a branch is its id and its root
        store.set_meta("branch", report.header.branch)
    engine = FoldEngine(store)
    engine.load()
    with open(path, "rb") as stream:
        lines = read_lines(stream)
        next(lines, None)  # the header
        for author, feed in groupby(_entry_lines(lines, on_fold), key=line_author):
            seen = [0]  # lines of this feed read, the first broken one included
            counted = _counting(feed, seen)
            trusted = _trusted(counted, report.header.branch, author in report.author_codes)
            given = 0
            while chunk := list(islice(trusted, limits.IMPORT_CHUNK_ENTRIES)):
                given += len(chunk)
                try:
                    with store.transaction():
                        result = engine.ingest(chunk, vouched=report.enrolled)
                except ChitError:  # the fold would not hold them (too many waiting): left out
                    findings.not_folded += len(chunk)
                    continue
                findings.folded += len(chunk) - len(result.refused)
                findings.not_folded += len(result.refused)
            for _ in counted:  # what follows the feed's first broken entry
                pass
            findings.not_folded += seen[0] - given
    return engine


def _counting(lines: Iterator[bytes], seen: list[int]) -> Iterator[bytes]:
    for line in lines:
        seen[0] += 1
        yield line


def _entry_lines(lines: Iterator[bytes], tick: Tick | None) -> Iterator[bytes]:
    """Every line between the header and the seal, without its newline."""
    for line in lines:
        if is_seal_line(line):
            return
        if tick is not None:
            tick()
        yield line.rstrip(b"\n")


def _trusted(feed: Iterator[bytes], branch: str, suspect: bool) -> Iterator[Entry]:
    """The feed's entries up to (not including) its first broken one.

    A feed verify found nothing wrong with is only parsed and hash-checked (the file may
    have changed since); a suspect one is checked line by line as verify did. A fork's
    twin (a second valid entry at the seq just seen) is passed on: the fold keeps it as
    evidence."""
    last_seq, last_hashes = 0, set[str]()
    for line in feed:
        if suspect:
            _, problems = check_line(line)
            if problems:
                return
        try:
            entry = parse_entry(line)
            check_hash(entry)
        except ChitError:
            return
        if entry.branch != branch:
            return
        linked = entry.seq == last_seq + 1 and (entry.seq == 1 or entry.prev in last_hashes)
        twin = entry.seq == last_seq and entry.hash not in last_hashes
        if not (linked or twin):
            return
        if linked:
            last_seq, last_hashes = entry.seq, set()
        last_hashes.add(entry.hash)
        yield entry


def read_findings(engine: FoldEngine, findings: Findings) -> None:
    """What the folded export says: rejections, fencing, forks, prizes, balances."""
    store, state = engine.store, engine.state
    branch = state.get("branch", "branch") or {}
    findings.branch_name = str(branch.get("name", ""))
    for row in store.placed_entries(status=REJECTED):
        refused = Refused(row.author, row.seq, row.kind, row.actor, row.code)
        findings.rejected_by_code[row.code] = findings.rejected_by_code.get(row.code, 0) + 1
        if len(findings.rejected) < limits.AUDIT_LISTED_MAX:
            findings.rejected.append(refused)
        if row.code == STALE_TERM and len(findings.fencing) < limits.AUDIT_LISTED_MAX:
            findings.fencing.append(refused)
    findings.rejected_by_code = dict(sorted(findings.rejected_by_code.items()))
    findings.forks = [ForkSeen(f.author, f.seq, f.freeze_seq, f.hash) for f in store.forks()]
    findings.held = store.count(status=HELD) + store.count(status=FROZEN)
    findings.prizes_without_minutes = prizes_without_minutes(state)
    findings.members = member_balances(state)
    findings.groups = group_balances(state)
    rows = state.rows(BALANCES)
    findings.total_paise = sum(int(r["paise"]) for r in rows.values())
    findings.negative = sorted(
        a for a, r in rows.items() if int(r["paise"]) < 0 and not a.startswith(EXTERNAL_PREFIX)
    )
    findings.state_digest = engine.digest()


# --- pure readings of a folded state --------------------------------------------------------


def prizes_without_minutes(state: State) -> list[tuple[str, int]]:
    """(group, month) of every prize paid whose minutes are not complete."""
    found = []
    for key, settled in sorted(state.rows(base.SETTLEMENTS).items()):
        if settled["prize_paid"] and not base.minutes_complete(
            state.get(base.MINUTES, key), settled
        ):
            found.append((str(settled["group_id"]), int(settled["month"])))
    return found


def member_balances(state: State) -> list[MemberBalance]:
    """Each member's wallet, instalments paid and prizes received, from the fold alone."""
    paid: dict[str, int] = {}
    for ticket in state.rows(base.TICKETS).values():
        mid = str(ticket["member_id"])
        paid[mid] = paid.get(mid, 0) + int(ticket.get("paid_paise", 0))
    prizes: dict[str, int] = {}
    for settled in state.rows(base.SETTLEMENTS).values():
        if settled["prize_paid"]:
            mid = str(settled["winner_member"])
            prizes[mid] = prizes.get(mid, 0) + int(settled["paid_paise"])
    return [
        MemberBalance(
            mid,
            str(row.get("name", "")),
            state.balance(wallet_account(mid)),
            paid.get(mid, 0),
            prizes.get(mid, 0),
        )
        for mid, row in sorted(state.rows(base.MEMBERS).items())
    ]


def group_balances(state: State) -> list[GroupBalance]:
    """Each group's accounts (pool, dividend, commission, ...: `<prefix>:<group id>`)."""
    by_group: dict[str, list[tuple[str, int]]] = {}
    for account, row in sorted(state.rows(BALANCES).items()):
        _, _, gid = account.partition(":")
        by_group.setdefault(gid, []).append((account, int(row["paise"])))
    return [
        GroupBalance(
            gid,
            str(group.get("name", "")),
            str(group.get("status", "")),
            tuple(by_group.get(gid, ())),
        )
        for gid, group in sorted(state.rows(base.GROUPS).items())
    ]


def findings_path(export: Path) -> Path:
    """Where the findings of `export` are saved: next to it, `<name>.findings.json`."""
    return export.with_name(export.name + FINDINGS_SUFFIX)


def save_findings(findings: Findings, path: Path | None = None) -> Path:
    """Write the findings as JSON next to the export (atomically); returns where."""
    target = path or findings_path(Path(findings.path))
    write_atomically(target, findings.to_json())
    return target
