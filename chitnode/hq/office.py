"""`HeadOffice`: many branches' verified logs and folded state in one database.

Writes go through `import_export` only: the kernel verifies and folds the export in the
branch's fold cache (`chitnode.hq.fold`), then one database transaction adds the new
entries, the changed state rows, the branch's KPI figures and its status row. Reads
(`branches`, `kpis`, `state_of`) only query the database, so the app and an auditor's
laptop read the same answers from DuckDB or PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from chitnode import limits
from chitnode.clock import Clock, SystemClock
from chitnode.domain.state import State
from chitnode.errors import ChitError, UsageError, WrongBranch
from chitnode.hq import schema
from chitnode.hq.db import DUCKDB_FILE, Db, connect
from chitnode.hq.fold import BranchFold
from chitnode.hq.kpis import BranchFigures, BranchKpis, Kpis, branch_figures, month_of
from chitnode.log.canonical import canonical
from chitnode.log.entry import entry_from_stored
from chitnode.log.export import ExportHeader, parse_header
from chitnode.services.archive import ImportRefused
from chitnode.services.archive import ImportReport as KernelReport

# Bytes of an export read at a time while its SHA-256 is taken.
HASH_CHUNK_BYTES = 1 << 20


class UnknownBranch(ChitError):
    code = "hq_unknown_branch"


class AlreadyImported(ChitError):
    code = "hq_already_imported"


class FeedsRefused(ChitError):
    code = "hq_feeds_refused"


@dataclass(frozen=True, slots=True)
class BranchStatus:
    branch_id: str
    root: str
    name: str
    entries: int
    state_digest: str
    heads: dict[str, dict[str, Any]]  # author -> {"seq", "hash"}
    anomalies: tuple[str, ...]
    last_import_ms: int

    def to_json(self) -> dict[str, Any]:
        return {
            "branch_id": self.branch_id,
            "root": self.root,
            "name": self.name,
            "entries": self.entries,
            "state_digest": self.state_digest,
            "heads": self.heads,
            "anomalies": list(self.anomalies),
            "last_import_ms": self.last_import_ms,
        }


@dataclass(slots=True)
class ImportResult:
    path: Path
    branch_id: str
    name: str
    new_entries: int
    duplicates: int
    state_digest: str
    refused: dict[str, str] = field(default_factory=dict)  # author -> code
    problems: list[str] = field(default_factory=list)  # the verifier's lines for those feeds


_BRANCH_COLUMNS = "branch_id, root, name, entries, state_digest, heads, anomalies, last_import_ms"
_KPI_COLUMNS = (
    "pool_paise",
    "groups_open",
    "tickets_active",
    "active_members",
    "tickets_in_default",
    "loans_count",
    "loans_outstanding_paise",
)


class HeadOffice:
    """Open with `HeadOffice.open(target, data=...)`; close, or use as a context manager."""

    def __init__(self, db: Db, data: Path | None, clock: Clock) -> None:
        self.db = db
        self.data = data  # the data folder: the DuckDB file's default home and the fold caches
        self.clock = clock

    @classmethod
    def open(
        cls,
        target: str | Path | None = None,
        *,
        data: Path | None = None,
        clock: Clock | None = None,
    ) -> HeadOffice:
        """`target`: a DuckDB file, a `postgresql://` URL, or None for `<data>/hq.duckdb`."""
        if target is None:
            if data is None:
                raise UsageError("the head office needs a database or a data folder")
            target = data / DUCKDB_FILE
        clock = clock or SystemClock()
        db = connect(target)
        try:
            schema.migrate(db, clock.now_ms())
        except BaseException:
            db.close()
            raise
        return cls(db, data, clock)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> HeadOffice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading -------------------------------------------------------------------------

    def branches(self) -> list[BranchStatus]:
        rows = self.db.query(f"SELECT {_BRANCH_COLUMNS} FROM branches ORDER BY name, branch_id")
        return [_status(row) for row in rows]

    def branch(self, ref: str) -> BranchStatus:
        """A branch by its id or its name; `hq_unknown_branch` if the head office has none."""
        if not 0 < len(ref) <= limits.HQ_BRANCH_ARG_CHARS_MAX:
            raise UnknownBranch("a branch is named by its id (32 hex digits) or its name")
        rows = self.db.query(
            f"SELECT {_BRANCH_COLUMNS} FROM branches WHERE branch_id = ? OR name = ?"
            " ORDER BY branch_id",
            (ref, ref),
        )
        if not rows:
            raise UnknownBranch(f"the head office holds no branch {ref!r} (see `hq status`)")
        if len(rows) > 1:
            raise UnknownBranch(f"{len(rows)} branches are named {ref!r}: give the branch id")
        return _status(rows[0])

    def kpis(self, branch: str | None = None) -> Kpis:
        """Each branch's KPIs and their total; `branch` (id or name) picks one."""
        where, params = "", tuple[str, ...]()
        if branch is not None:
            where, params = " WHERE b.branch_id = ?", (self.branch(branch).branch_id,)
        columns = ", ".join(f"k.{c}" for c in _KPI_COLUMNS)
        rows = self.db.query(
            f"SELECT b.branch_id, b.name, b.entries, {columns} FROM branches b"
            f" JOIN kpi_branch k ON k.branch_id = b.branch_id{where} ORDER BY b.name, b.branch_id",
            params,
        )
        monthly = where.replace("b.", "")
        collections = _months(
            self.db.query(
                f"SELECT branch_id, month, collected_paise FROM kpi_collections{monthly}", params
            )
        )
        activity = _months(
            self.db.query(f"SELECT branch_id, month, entries FROM kpi_activity{monthly}", params)
        )
        return Kpis(
            tuple(
                BranchKpis(
                    **_kpi_fields(r),
                    collections=collections.get(str(r[0]), ()),
                    activity=activity.get(str(r[0]), ()),
                )
                for r in rows
            )
        )

    def as_of(self) -> dict[str, int]:
        """branch id -> the time its KPIs are figured at: its newest entry's `ts`."""
        return {
            str(b): int(ms) for b, ms in self.db.query("SELECT branch_id, as_of_ms FROM kpi_branch")
        }

    def state_of(self, branch_id: str) -> State:
        """The branch's folded state as the head office holds it (the kernel's rows)."""
        tables: dict[str, dict[str, dict[str, Any]]] = {}
        rows = self.db.query(
            "SELECT table_name, row_key, row_json FROM state_rows WHERE branch_id = ?",
            (branch_id,),
        )
        for table, key, text in rows:
            tables.setdefault(str(table), {})[str(key)] = orjson.loads(text)
        return State(tables=tables)

    # --- importing ----------------------------------------------------------------------

    def import_export(self, path: Path, progress: Callable[[], None] | None = None) -> ImportResult:
        """Verify `path` with the kernel, fold what is new, store it: see the module doc.

        Raises `import_refused` (not a readable export), `wrong_branch` (a known branch id
        with another root), `hq_already_imported` (nothing new; nothing changed).
        Feeds the verifier refuses are left out and listed in the result.
        """
        if self.data is None:
            raise UsageError("importing needs a data folder (it keeps each branch's fold)")
        header = _header(path)
        digest_of_file = _sha256(path)
        known = self._known(header.branch)
        if known is not None and known.root != header.root:
            raise WrongBranch(
                f"export names root key {header.root} for branch {header.branch}; the head"
                f" office knows it with root {known.root}: not the same branch"
            )
        if self.db.query(
            "SELECT 1 FROM imports WHERE branch_id = ? AND file_sha256 = ?",
            (header.branch, digest_of_file),
        ):
            raise AlreadyImported(f"{path} was imported before; nothing was changed")
        with BranchFold.open(self.data, header) as fold:
            before = fold.digest()
            plan = fold.plan(path, progress)
            report = fold.apply(plan)
            after = fold.digest()
            in_sync = known is not None and known.state_digest == before and not fold.rebuilt
            entry_rows = self._new_entry_rows(fold, header.branch)
            if not entry_rows and in_sync and after == before and not plan.refused:
                raise AlreadyImported(f"the head office already holds all of {path}")
            if not entry_rows and known is None:  # nothing of a new branch verified
                found = "; ".join(p.line() for p in plan.verify.problems) or "no entries"
                raise FeedsRefused(f"nothing of {path} verified, nothing imported: {found}")
            result = _result(path, header, report, after, plan.refused)
            with self.db.transaction():
                self._write(fold, header, entry_rows, full=not in_sync, result=result)
                self.db.execute(
                    "INSERT INTO imports VALUES (?, ?, ?, ?)",
                    (header.branch, digest_of_file, self.clock.now_ms(), len(entry_rows)),
                )
        return result

    def _known(self, branch_id: str) -> BranchStatus | None:
        rows = self.db.query(
            f"SELECT {_BRANCH_COLUMNS} FROM branches WHERE branch_id = ?", (branch_id,)
        )
        return _status(rows[0]) if rows else None

    def _new_entry_rows(self, fold: BranchFold, branch_id: str) -> list[tuple[Any, ...]]:
        """Entries the fold cache holds and the database does not, by (author, seq)."""
        held: dict[str, int] = dict(
            self.db.query(
                "SELECT author, max(seq) FROM entries WHERE branch_id = ? GROUP BY author",
                (branch_id,),
            )
        )
        store = fold.node.store
        rows: list[tuple[Any, ...]] = []
        for author in store.authors():
            for seq, raw in store.feed(author, int(held.get(author, 0)) + 1):
                entry = entry_from_stored(raw)
                rows.append(
                    (
                        branch_id,
                        author,
                        seq,
                        entry.hash,
                        entry.kind,
                        entry.ts,
                        month_of(entry.ts),
                        raw,
                    )
                )
        return rows

    def _write(
        self,
        fold: BranchFold,
        header: ExportHeader,
        entry_rows: list[tuple[Any, ...]],
        *,
        full: bool,
        result: ImportResult,
    ) -> None:
        db, branch = self.db, header.branch
        db.insert("entries", entry_rows, "ON CONFLICT DO NOTHING")
        state = fold.node.engine.state
        if full:  # a first import, a re-fold, or a database behind its cache: every row
            keys = {(t, k) for t, rows in state.tables.items() for k in rows}
            keys |= {
                (str(t), str(k))
                for t, k in db.query(
                    "SELECT table_name, row_key FROM state_rows WHERE branch_id = ?", (branch,)
                )
            }
        else:
            keys = fold.changed
        puts = []
        gone = []
        for table, key in sorted(keys):
            row = state.get(table, key)
            if row is None:
                gone.append((branch, table, key))
            else:
                puts.append((branch, table, key, canonical(row).decode()))
        db.executemany(
            "DELETE FROM state_rows WHERE branch_id = ? AND table_name = ? AND row_key = ?", gone
        )
        db.insert(
            "state_rows",
            puts,
            "ON CONFLICT (branch_id, table_name, row_key)"
            " DO UPDATE SET row_json = excluded.row_json",
        )
        as_of = db.query("SELECT max(ts_ms) FROM entries WHERE branch_id = ?", (branch,))
        figures = branch_figures(state, int(as_of[0][0] or 0))
        self._write_figures(branch, figures)
        status = fold.node.status()
        result.name = str(status["branch_name"])
        values = (
            branch,
            header.root,
            result.name,
            int(status["entries"]),
            result.state_digest,
            json.dumps(status["heads"], sort_keys=True),
            json.dumps(_anomalies(status, result.refused)),
            self.clock.now_ms(),
        )
        updates = ", ".join(f"{c} = excluded.{c}" for c in _BRANCH_COLUMNS.split(", ")[1:])
        db.execute(
            f"INSERT INTO branches ({_BRANCH_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            f" ON CONFLICT (branch_id) DO UPDATE SET {updates}",
            values,
        )

    def _write_figures(self, branch: str, figures: BranchFigures) -> None:
        db = self.db
        activity: dict[str, int] = dict(
            db.query(
                "SELECT month, count(*) FROM entries WHERE branch_id = ? GROUP BY month", (branch,)
            )
        )
        self._write_months("kpi_activity", "entries", branch, activity)
        self._write_months("kpi_collections", "collected_paise", branch, figures.collections)
        values = [branch, figures.as_of_ms, *(getattr(figures, c) for c in _KPI_COLUMNS)]
        updates = ", ".join(f"{c} = excluded.{c}" for c in ("as_of_ms", *_KPI_COLUMNS))
        db.execute(
            f"INSERT INTO kpi_branch VALUES ({', '.join('?' * len(values))})"
            f" ON CONFLICT (branch_id) DO UPDATE SET {updates}",
            values,
        )

    def _write_months(self, table: str, column: str, branch: str, values: dict[str, int]) -> None:
        """Make `table`'s rows of `branch` (month -> `column`) exactly `values`."""
        db = self.db
        held = {
            str(m) for (m,) in db.query(f"SELECT month FROM {table} WHERE branch_id = ?", (branch,))
        }
        db.executemany(
            f"DELETE FROM {table} WHERE branch_id = ? AND month = ?",
            [(branch, m) for m in sorted(held - set(values))],
        )
        db.insert(
            table,
            [(branch, m, int(v)) for m, v in sorted(values.items())],
            f"ON CONFLICT (branch_id, month) DO UPDATE SET {column} = excluded.{column}",
        )


def _status(row: tuple[Any, ...]) -> BranchStatus:
    return BranchStatus(
        branch_id=str(row[0]),
        root=str(row[1]),
        name=str(row[2]),
        entries=int(row[3]),
        state_digest=str(row[4]),
        heads=json.loads(row[5]),
        anomalies=tuple(json.loads(row[6])),
        last_import_ms=int(row[7]),
    )


def _kpi_fields(row: tuple[Any, ...]) -> dict[str, Any]:
    """branch_id, name, entries, then _KPI_COLUMNS: as BranchKpis' keywords."""
    fields = {"branch_id": str(row[0]), "name": str(row[1]), "entries": int(row[2])}
    return fields | {c: int(v) for c, v in zip(_KPI_COLUMNS, row[3:], strict=True)}


def _months(rows: list[tuple[Any, ...]]) -> dict[str, tuple[tuple[str, int], ...]]:
    by_branch: dict[str, dict[str, int]] = {}
    for branch, month, value in rows:
        by_branch.setdefault(str(branch), {})[str(month)] = int(value)
    return {b: tuple(sorted(m.items())) for b, m in by_branch.items()}


def _anomalies(status: dict[str, Any], refused: dict[str, str]) -> list[str]:
    """What an admin should look at: entries not placed, forks, feeds the last import left."""
    found = [f"{status[what]} {what} entries" for what in ("held", "frozen") if int(status[what])]
    found += [f"fork: key {f['author']} at seq {f['seq']}" for f in status["forks"]]
    found += [f"last import refused feed {a}: {code}" for a, code in sorted(refused.items())]
    return found


def _result(
    path: Path, header: ExportHeader, report: KernelReport, digest: str, refused: dict[str, str]
) -> ImportResult:
    problems = [p.line() for p in report.verify.problems if p.author in refused]
    return ImportResult(
        path=path,
        branch_id=header.branch,
        name="",
        new_entries=report.stored,
        duplicates=report.duplicates,
        state_digest=digest,
        refused=dict(refused),
        problems=problems,
    )


def _header(path: Path) -> ExportHeader:
    if not path.is_file():
        raise ImportRefused(f"no such file: {path}")
    with open(path, "rb") as stream:
        first = stream.readline(limits.EXPORT_LINE_BYTES_MAX + 1)
    try:
        return parse_header(first)
    except ChitError as exc:
        raise ImportRefused(f"{path} is not a chitnode export ({exc.message})") from exc


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(HASH_CHUNK_BYTES), b""):
            h.update(chunk)
    return h.hexdigest()


def iter_branch_states(office: HeadOffice) -> Iterator[tuple[BranchStatus, State]]:
    for status in office.branches():
        yield status, office.state_of(status.branch_id)
