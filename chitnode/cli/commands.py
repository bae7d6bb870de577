"""Handlers of the `chitnode` subcommands (parsing lives in cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from chitnode import limits
from chitnode.domain import chit_views, member_keys
from chitnode.domain import limits as limits_domain
from chitnode.domain.kinds import role_allows, roles_markdown
from chitnode.domain.money import format_inr
from chitnode.errors import NotFound, StoreCorrupt, StoreLocked, UsageError
from chitnode.log.records import Problem
from chitnode.log.verify import verify_file
from chitnode.node.node import Node
from chitnode.services.archive import export_file, import_file
from chitnode.services.receipts import check_applied
from chitnode.store.api import EntryFilter, Store
from chitnode.store.cleanup import discard_unfounded, snapshot
from chitnode.store.failures import StoreDamaged, StoreTampered
from chitnode.store.integrity import CheckReport, check_fork_lines, check_lines
from chitnode.store.paths import data_folder
from chitnode.store.sqlite import SqliteStore

Handler = Callable[[argparse.Namespace], int]
# Rows `chitnode log` holds in memory at once (it prints the newest --limit, oldest first).
# Characters a terminal acts on rather than shows: C0 and C1 controls and DEL (ESC starts a
# control sequence that can rewrite the screen or the window title) and the bidi overrides
# (they reorder what follows). Entry bodies come from other devices: they are shown escaped.
_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F]
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ESCAPED = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in (*_CONTROLS, *_BIDI)}


def printable(text: str) -> str:
    """`text` safe to print on a terminal: control and bidi characters shown escaped."""
    return text.translate(_ESCAPED)


def data_dir(args: argparse.Namespace) -> Path:
    return data_folder(args.data)


def print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False))


class Progress:
    """A tqdm bar on a terminal for long runs; silent elsewhere (CI logs stay readable)."""

    def __init__(self, total: int, what: str) -> None:
        self.bar: Any = None
        if sys.stderr.isatty() and total > 2_000:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=" entries", desc=what, file=sys.stderr)

    def tick(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def cmd_init(args: argparse.Namespace) -> int:
    name = args.branch_name.strip()
    if not 0 < len(name) <= 200:
        raise UsageError("--branch-name must be 1..200 characters")
    rules = _init_rules(args)
    with _undo_if_refused(data_dir(args)):
        node = Node.init(data_dir(args), name)
        with node:
            node.submit("branch.chit_rules_set", rules)
            if args.members_sign:  # issue 15: no one can agree for a member in new groups
                node.submit("branch.consent_rule_set", {"consent": member_keys.CONSENT_SIGNED})
    with node:
        print(f"Founded branch {name!r} ({node.branch}) in {data_dir(args)}")
        print(f"Root admin key: {node.public}")
        print(
            f"Chit rules: {args.state}, discount ceiling {args.discount_ceiling_pct}%"
            " (record your state's figure with `chitnode submit branch.chit_rules_set`)"
        )
        print(_consent_line(args.members_sign))
    return 0


def _consent_line(members_sign: bool) -> str:
    if members_sign:
        return (
            "Members' consent: in every group formed from now, only by the member's own"
            " signature on their paired phone (cannot be turned off)"
        )
    return (
        "Members' consent: as before, staff may record it for members without a paired phone;"
        " require signatures for new groups with `chitnode submit branch.consent_rule_set"
        ' \'{"consent": "signed.v1"}\'` (or per group: "consent": "signed.v1" in group.created)'
    )


def _init_rules(args: argparse.Namespace) -> dict[str, Any]:
    state = args.state.strip()
    if not 0 < len(state) <= limits_domain.NAME_CHARS_MAX:
        raise UsageError(f"--state must be 1..{limits_domain.NAME_CHARS_MAX} characters")
    source = "chitnode init: the Chit Funds Act 1982's 40% unless --discount-ceiling-pct said"
    return {
        "state": state,
        "discount_ceiling_bps": args.discount_ceiling_pct * 100,
        "source": source,
    }


@contextmanager
def _undo_if_refused(folder: Path) -> Iterator[None]:
    """Founding a branch in `folder`: if refused, remove exactly what it created."""
    before = snapshot(folder)
    try:
        yield
    except StoreLocked:  # another process is founding or using it: none of this is ours
        raise
    except BaseException:
        discard_unfounded(before)
        raise


def cmd_demo(args: argparse.Namespace) -> int:
    from chitnode.services.demo import run_demo

    folder = data_dir(args)
    with _undo_if_refused(folder):
        summary = run_demo(folder, seed=args.seed)
    print(f"Demo branch ready in {folder}")
    for line in summary:
        print(f"  {line}")
    with Node.open(folder) as node:
        _print_status(node.status())
    return 0


def _print_status(status: dict[str, Any]) -> None:
    print(f"Branch        {printable(status['branch_name'])} ({status['branch']})")
    print(f"This device   {status['device_key']} ({status['role'] or 'not enrolled'})")
    print(
        f"Entries       {status['entries']} (applied {status['applied']}, rejected "
        f"{status['rejected']}, held {status['held']}, frozen {status['frozen']})"
    )
    print(f"State digest  {status['state_digest']}")
    print("Heads")
    for author, head in status["heads"].items():
        print(f"  {author}  seq {head['seq']}  {head['hash'][:16]}…")
    if status["forks"]:
        print("FORKS (evidence kept for good; `chitnode fork list` says which are resolved)")
        for fork in status["forks"]:
            print(f"  {fork['author']} seq {fork['seq']}  {fork['hash'][:16]}… (evidence)")
    else:
        print("Forks         none")


# Other packages add to `chitnode status` (sync/: peers, lag, the restored-backup guard):
# each entry point is `part(node, folder) -> (fields for --json, lines for the text)`.
STATUS_GROUP = "chitnode.status"


def cmd_status(args: argparse.Namespace) -> int:
    lines: list[str] = []
    with Node.open(data_dir(args)) as node:
        status = node.status()
        for plugin in sorted(entry_points(group=STATUS_GROUP), key=lambda e: e.name):
            fields, more = plugin.load()(node, data_dir(args))
            status |= fields
            lines += more
    if args.json:
        print_json(status)
    else:
        _print_status(status)
        for line in lines:
            print(printable(line))
    return 0


def _log_rows(node: Node, args: argparse.Namespace) -> list[dict[str, Any]]:
    match = EntryFilter(args.actor or None, args.kind or None, args.since, args.until)
    rows = node.store.latest_placed(args.limit or limits.LOG_ROWS_DEFAULT, match)
    fields = ("author", "seq", "ts", "kind", "actor", "status", "code", "hash")
    return [
        {k: getattr(r, k) for k in fields} | {"body": _stored_body(r.raw, r.author, r.seq)}
        for r in rows
    ]


def _stored_body(raw: str, author: str, seq: int) -> Any:
    try:
        return json.loads(raw)["body"]
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreTampered(
            f"entry {author[:12]}…#{seq} is stored as text that is no entry (edited outside "
            "chitnode): see `chitnode check`"
        ) from exc


def _summary(body: dict[str, Any]) -> str:
    parts = []
    for key in sorted(body):
        value = body[key]
        if key in ("cmd_id", "actor"):
            continue
        if isinstance(value, int) and not isinstance(value, bool) and key.endswith("_paise"):
            value = format_inr(value)
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        parts.append(f"{key}={text[:40]}")
    return " ".join(parts)


def cmd_log(args: argparse.Namespace) -> int:
    with Node.open(data_dir(args)) as node:
        rows = _log_rows(node, args)
        stalled = chit_views.stalled_draws(node.engine.state)
    if args.json:
        for row in rows:
            print(json.dumps(row, sort_keys=True, ensure_ascii=False))
        return 0
    for row in rows:
        mark = "" if row["status"] == "applied" else f" [{row['status']}: {row['code']}]"
        actor = "" if row["actor"] == row["author"] else f" for {row['actor']}"
        line = (
            f"{_when(row['ts'])} {row['author'][:8]}#{row['seq']:<5} {row['kind']:<24}"
            f"{mark}{actor} {_summary(row['body'])}"
        )
        print(printable(line))
    for draw in stalled:  # issue 14, point 2: a withheld reveal is seen, never silent
        stall = (
            f"STALLED draw {draw['group_id']} month {draw['month']}: closed "
            f"{_when(int(draw['closed_ms']))}, {len(draw['contributors'])} contribution(s), "
            f"awaiting the holder's reveal of commit {str(draw['commit'])[:12]}…"
        )
        print(printable(stall))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with Node.open(data_dir(args)) as node:
        _refuse_tampered(node.store, "exported", args.author, args.from_seq)
        bar = Progress(node.store.count(), "export")
        count = export_file(
            node, args.file, author=args.author, from_seq=args.from_seq, progress=bar.tick
        )
        bar.close()
    print(f"Exported {count} entries to {args.file}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with Node.open(data_dir(args)) as node:
        report = import_file(node, args.file)
    feeds = f"{report.feeds} feed" + ("" if report.feeds == 1 else "s")
    summary = f"Imported {report.stored} new entries ({report.duplicates} already held)"
    summary += f" from {feeds}"
    if report.stored:
        summary += f": {report.applied} applied, {report.rejected} rejected, {report.held} held"
    print(summary)
    for author, code in sorted(report.refused_feeds.items()):
        count = report.refused_entries.get(author, 0)
        print(f"REFUSED feed {author}: {code} ({count} entries; nothing from this feed was stored)")
    if report.forks:
        print(f"{report.forks} fork(s) found: see `chitnode status`")
    return 1 if report.refused_feeds else 0


def cmd_verify(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise UsageError(f"no such file: {args.file}")
    size = args.file.stat().st_size
    bar = Progress(size // 600, "verify")  # ~600 bytes an entry: a rough total is enough
    report = verify_file(args.file, role_allows=role_allows, on_entry=bar.tick)
    bar.close()
    if args.json:
        print_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "counts": report.counts(),
                "unlisted": report.unlisted,
                "problems": [
                    {"code": p.code, "seq": p.seq, "author": p.author, "detail": p.detail}
                    for p in report.problems
                ],
                "partial_from": report.partial_from,
                "feeds": {a: {"first": f, "last": la} for a, (f, la) in report.feeds.items()},
            }
        )
    else:
        for problem in report.problems:
            print(problem.line())
        if report.unlisted:
            print(f"... and {report.unlisted} more problems, counted below but not listed")
        for author, first in sorted(report.partial_from.items()):
            print(f"note: feed {author} is partial from seq {first}")
        verdict = "OK" if report.ok else "FAILED"
        counts = ", ".join(f"{c} {n}" for c, n in report.counts().items()) or "no problems"
        print(f"{verdict}: {report.entries} entries, {len(report.feeds)} feeds, {counts}")
    return 0 if report.ok else 1


def cmd_rebuild(args: argparse.Namespace) -> int:
    with Node.open(data_dir(args)) as node:
        _refuse_tampered(node.store, "rebuilt")
        before = node.engine.digest()
        with node.store.transaction():
            node.engine.rebuild()
        after = node.engine.digest()
    if args.json:
        print_json({"before": before, "after": after, "same": before == after})
    else:
        print(f"before {before}\nafter  {after}\n{'same' if before == after else 'DIFFERENT'}")
    return 0 if before == after else 1


def _refuse_tampered(store: Store, what: str, author: str | None = None, from_seq: int = 1) -> None:
    """Re-check the hash and chain of every entry about to be read; name each that fails."""
    report = CheckReport()
    check_lines(store.stored_lines(author, from_seq), report)
    if report.ok:
        return
    for problem in report.problems:
        print(_problem_line(problem))
    raise StoreTampered(
        f"{report.problems_total} stored entries fail their hash or chain check (edited "
        f"outside chitnode): nothing was {what}. See `chitnode check`"
    )


def _problem_line(problem: Problem) -> str:
    return printable(f"{problem.line()} {problem.detail}".rstrip())


def cmd_check(args: argparse.Namespace) -> int:
    """The store re-checked for an operator: database, head record, hashes, chains (sigs)."""
    report = CheckReport()
    try:
        store = SqliteStore.open(data_dir(args))
    except (StoreCorrupt, StoreDamaged) as exc:  # the problem is the store itself
        report.add(Problem(exc.code, None, None, exc.message))
    else:
        try:
            if store.lost_writes is not None:
                ack = store.acknowledged
                seq, author = (ack.seq, ack.author) if ack else (None, None)
                report.add(Problem(store.lost_writes.code, seq, author, store.lost_writes.message))
            branch = store.meta("branch")
            lines = store.stored_lines()
            check_lines(lines, report, branch=branch, full=True, signatures=args.signatures)
            check_fork_lines(store.fork_lines(), report, args.signatures)
        finally:
            store.close()
    if args.json:
        print_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "forks": report.forks,
                "signatures": args.signatures,
                "problems": [
                    {"code": p.code, "seq": p.seq, "author": p.author, "detail": p.detail}
                    for p in report.problems
                ],
                "problems_total": report.problems_total,
            }
        )
        return 0 if report.ok else 1
    for problem in report.problems:
        print(_problem_line(problem))
    checked = "hashes, chains, signatures" if args.signatures else "hashes, chains"
    if report.ok:
        print(f"OK: {report.entries} entries, {report.forks} forks ({checked})")
        return 0
    print(
        f"FAILED: {report.entries} entries, {report.problems_total} problems, "
        f"{report.forks} forks ({checked})"
    )
    return 1


def cmd_enrol(args: argparse.Namespace) -> int:
    with Node.open(data_dir(args)) as node:
        r = node.submit("device.enrolled", {"key": args.key, "role": args.role, "name": args.name})
        check_applied(node, r)  # written but frozen or rejected: exit 3, saying what to do
    print(f"Enrolled {args.key} as {args.role}: entry #{r.seq} {r.status}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    """wal-v1 §5 as amended: the revocation names the key's last valid entry (`after_seq`):
    by default its feed's head as this node has placed it, so whatever the key writes
    beyond it is void, seen by others or not, whatever its timestamp says."""
    with Node.open(data_dir(args)) as node:
        after_seq = args.after_seq
        if after_seq is None:
            after_seq = node.engine.heads.get(args.key, (0, ""))[0]
        body = {"key": args.key, "reason": args.reason, "after_seq": after_seq}
        r = node.submit("device.revoked", body)
        check_applied(node, r)
    print(f"Revoked {args.key} after its entry #{after_seq}: entry #{r.seq} {r.status}")
    return 0


def cmd_fork_list(args: argparse.Namespace) -> int:
    from chitnode.services import forks

    with Node.open(data_dir(args)) as node:
        reports = forks.fork_reports(node)
    if args.json:
        print_json([r.as_json() for r in reports])
        return 0
    if not reports:
        print("No forks")
    for r in reports:
        print(f"{r.author}  {r.who}: fork at seq {r.fork_seq}, {r.state.upper()}")
        for twin in r.twins:
            where = "main chain" if twin.main else "evidence"
            dropped = ", discarded by the resolution" if twin.discarded else ""
            print(f"  seq {r.fork_seq}  {twin.hash}  ({where}{dropped})")
        print(f"  {r.evidence} of its entries kept aside as evidence; both lines are exported")
        print(f"  {r.note}")
    return 0


def cmd_fork_resolve(args: argparse.Namespace) -> int:
    from chitnode.services import forks

    with Node.open(data_dir(args)) as node:
        out = forks.resolve(
            node, args.author, reason=args.reason, keep=args.keep, new_key=args.new_key
        )
        for kind, r in out.receipts:
            check_applied(node, r)
            print(f"Wrote {kind}: entry #{r.seq} {r.status}")
    for step in out.next_steps:
        print(f"next: {step}")
    return 0


def cmd_fork_rekey(args: argparse.Namespace) -> int:
    from chitnode.services import forks

    with Node.open(data_dir(args)) as node:
        old, device = node.public, node.engine.state.get("devices", node.public) or {}
        new = forks.rekey(node)
    role, name = device.get("role", "ROLE"), device.get("name", "NAME")
    print(f"This device's new key: {new}")
    print(f"Its old key {old} stays in the log as evidence.")
    print(f"next: on an admin's device: `chitnode enrol {new} --role {role} --name {name!r}`")
    print("next: then import that admin's export here")
    return 0


def cmd_kyc_show(args: argparse.Namespace) -> int:
    """Masked KYC for everyone; full values only for staff roles holding the staff key."""
    from chitnode.domain.chit_kinds_base import MEMBERS
    from chitnode.services import kyc_vault, staff_key

    with Node.open(data_dir(args)) as node:
        row = node.engine.state.get(MEMBERS, args.member_id)
        if row is None:
            raise NotFound(f"no member {args.member_id}")
        view = kyc_vault.kyc_view(row, node.role(), lambda: staff_key.load_staff_key(node))
    if args.json:
        print_json(view)
        return 0
    masked, full = view["masked"], view["full"] or {}
    print(f"Member        {view['member_id']}  {view['name']}  (KYC {view['kyc']})")
    for label, field in (("PAN", "pan"), ("Bank account", "bank_account"), ("Phone", "phone")):
        shown = full.get(field) or masked.get(field) or "-"
        print(f"{label:<13} {shown}")
    if view["ifsc"]:
        print(f"{'IFSC':<13} {view['ifsc']}")
    if view["full"]:
        print("Full values shown: a staff device holding the branch staff key")
    if view["hidden"]:
        print(f"Masked only: {view['hidden']}")
    if view["mismatch"]:
        print("WARNING: the sealed full values do not match the masked ones in the log")
    return 0


def cmd_report_statement(args: argparse.Namespace) -> int:
    from chitnode.services import reports

    with Node.open(data_dir(args)) as node:
        statement = reports.member_statement(node, args.member_id)
    if args.csv is None:
        print(reports.statement_text(statement), end="")
        return 0
    with args.csv.open("w", newline="", encoding="utf-8") as out:
        rows = reports.write_statement_csv(statement, out)
    print(f"Wrote {rows} lines of {args.member_id}'s statement to {args.csv}")
    return 0


def cmd_report_balance_sheet(args: argparse.Namespace) -> int:
    from chitnode.services import report_pdf, report_tables, reports

    with Node.open(data_dir(args)) as node:
        sheet = reports.balance_sheet(node.engine.state)
        if args.pdf is not None:
            report = report_tables.balance_sheet(node.engine.state)
            report_pdf.write_pdf(report, args.pdf, report_pdf.header_of(node))
            print(f"Wrote the balance sheet to {args.pdf}")
    if args.csv is not None:
        with args.csv.open("w", newline="", encoding="utf-8") as out:
            rows = reports.write_balance_sheet_csv(sheet, out)
        print(f"Wrote {rows} accounts to {args.csv}")
    elif args.pdf is None:
        print(reports.balance_sheet_text(sheet), end="")
    return 0 if sheet.balanced else 1


def cmd_report_printable(args: argparse.Namespace) -> int:
    """`chitnode report members|loans|defaults|passbook|closure|minutes [--csv F] [--pdf F]`:
    text on stdout without a file; each file written whole or not at all."""
    from chitnode.services import report_pdf, report_tables

    with Node.open(data_dir(args)) as node:
        state = node.engine.state
        build = {
            "members": lambda: report_tables.member_list(state),
            "loans": lambda: report_tables.loan_portfolio(state),
            "defaults": lambda: report_tables.default_summary(state, node.clock.now_ms()),
            "passbook": lambda: report_tables.passbook(state, args.member_id),
            "closure": lambda: report_tables.closure_statement(state, args.group_id),
            "minutes": lambda: report_tables.certified_minutes(state, args.group_id, args.month),
        }
        report = build[args.report_name]()
        header = report_pdf.header_of(node)
    if args.csv is not None:
        report_pdf.write_report_csv(report, args.csv)
        print(f"Wrote {report.title} (CSV) to {args.csv}")
    if args.pdf is not None:
        report_pdf.write_pdf(report, args.pdf, header)
        print(f"Wrote {report.title} (PDF) to {args.pdf}")
    if args.csv is None and args.pdf is None:
        print(printable(report_tables.report_text(report)), end="")
    return 0


def cmd_report_fingerprint(args: argparse.Namespace) -> int:
    """What a printed report's footer shows, for this node's log now, or (--export) the log
    fingerprint of an export file, once it verifies (no store needed, nothing written)."""
    from chitnode.services import report_pdf

    if args.export is not None:
        return _export_fingerprint(args)
    with Node.open(data_dir(args)) as node:
        header = report_pdf.header_of(node)
    found = {
        "branch": header.branch_id,
        "entries": header.entries,
        "state_digest": header.state_digest,
        "log_fingerprint": header.fingerprint,
        "heads": {h.author: {"seq": h.seq, "hash": h.hash} for h in header.heads},
    }
    if args.json:
        print_json(found)
        return 0
    print(f"Branch           {header.branch_name} ({header.branch_id})")
    print(f"Entries          {header.entries}")
    print(f"State digest     {header.state_digest}")
    print(f"Log fingerprint  {header.fingerprint}")
    for h in sorted(header.heads, key=lambda h: h.author):
        print(f"  {h.author}  seq {h.seq}  {h.hash}")
    return 0


# The one problem an export may carry and still have a fingerprint: a fork's twin, which
# every export keeps as evidence (docs/forks.md); the main chain's head is still its head.
FORK_EVIDENCE = "fork"


def _export_fingerprint(args: argparse.Namespace) -> int:
    from chitnode.services import report_pdf

    if not args.export.is_file():
        raise UsageError(f"no such file: {args.export}")
    checked = verify_file(args.export, role_allows=role_allows)
    counts = checked.counts()
    if set(counts) - {FORK_EVIDENCE}:  # a fork travels as evidence; anything else: refused
        codes = ", ".join(f"{c} {n}" for c, n in counts.items())
        print(f"FAILED: {args.export} does not verify ({codes}): see `chitnode verify`")
        return 1
    heads = report_pdf.export_heads(args.export)
    if counts:
        fork_note = f"the export carries {counts[FORK_EVIDENCE]} fork(s) as evidence: docs/forks.md"
        print(f"chitnode: note: {fork_note}", file=sys.stderr)  # stdout stays JSON with --json
    if args.json:
        found = {h.author: {"seq": h.seq, "hash": h.hash} for h in heads}
        print_json({"log_fingerprint": report_pdf.fingerprint(heads), "heads": found})
        return 0
    print(f"Log fingerprint  {report_pdf.fingerprint(heads)}  (of {args.export}, verified)")
    for h in sorted(heads, key=lambda h: h.author):
        print(f"  {h.author}  seq {h.seq}  {h.hash}")
    return 0


def cmd_loans_inbox(args: argparse.Namespace) -> int:
    from chitnode.services.loan_inbox import LoanInbox, SingleWriter

    with Node.open(data_dir(args)) as node, LoanInbox(SingleWriter(node), node.clock) as inbox:
        while inbox.refresh():  # one round per queue-full, until every application is assessed
            inbox.wait()
        rows, errors = inbox.recommendations(), inbox.errors()
    for r in rows:
        print(
            f"{r.loan_id:<16} {r.member_id:<12} {format_inr(r.amount_paise):>16}  "
            f"{r.action.upper():<7} risk {r.risk.total:>3}  EMI {format_inr(r.emi_paise)}  "
            f"[{r.eligibility.code}] {r.reason}"
        )
        pools = ", ".join(f"group:{g} ticket {t}" for g, t, _ in r.group_limits) or "treasury only"
        print(f"{'':<16} may be funded from: {pools}")  # s.14: a group lends on its tickets
    for loan_id, code in sorted(errors.items()):
        print(f"{loan_id:<16} not assessed: {code}")
    if not rows and not errors:
        print("No pending loan applications")
    return 0


def cmd_roles(args: argparse.Namespace) -> int:
    print(roles_markdown(), end="")
    return 0


HANDLERS: dict[str, Handler] = {
    "roles": cmd_roles,
    "init": cmd_init,
    "demo": cmd_demo,
    "status": cmd_status,
    "log": cmd_log,
    "export": cmd_export,
    "import": cmd_import,
    "verify": cmd_verify,
    "rebuild": cmd_rebuild,
    "check": cmd_check,
    "enrol": cmd_enrol,
    "revoke": cmd_revoke,
    "fork list": cmd_fork_list,
    "fork resolve": cmd_fork_resolve,
    "fork rekey": cmd_fork_rekey,
    "kyc show": cmd_kyc_show,
    "report statement": cmd_report_statement,
    "report balance-sheet": cmd_report_balance_sheet,
    "report printable": cmd_report_printable,
    "report fingerprint": cmd_report_fingerprint,
    "loans inbox": cmd_loans_inbox,
}
