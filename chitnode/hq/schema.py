"""The head-office schema and its versioned migrations (the same SQL on both engines).

Every table's key starts with `branch_id`, so that PostgreSQL can spread the tables over
servers by branch with Citus (docs/hq.md) and every query of one branch reads one shard.
A branch is its id and its root key together (wal-v1 §5): `branches` pins the root, and
an export naming another root for a known id is refused before anything is written.

Migrations only ever append: `MIGRATIONS[n]` takes a database of version n to n + 1, in
one transaction with the new `schema_version` row. A database of a later version than
this code knows is refused (`hq_schema_newer`) and not touched.
"""

from __future__ import annotations

from chitnode.errors import ChitError
from chitnode.hq.db import Db

SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_ms BIGINT)"
)

_V1 = (
    # One row a branch: what `hq status` lists. heads and anomalies are JSON text.
    """CREATE TABLE branches (
        branch_id TEXT NOT NULL PRIMARY KEY,
        root TEXT NOT NULL,
        name TEXT NOT NULL,
        entries BIGINT NOT NULL,
        state_digest TEXT NOT NULL,
        heads TEXT NOT NULL,
        anomalies TEXT NOT NULL,
        last_import_ms BIGINT NOT NULL
    )""",
    # The raw log: each verified entry's canonical line, by (branch, author, seq).
    """CREATE TABLE entries (
        branch_id TEXT NOT NULL,
        author TEXT NOT NULL,
        seq BIGINT NOT NULL,
        hash TEXT NOT NULL,
        kind TEXT NOT NULL,
        ts_ms BIGINT NOT NULL,
        month TEXT NOT NULL,
        line TEXT NOT NULL,
        PRIMARY KEY (branch_id, author, seq)
    )""",
    # The kernel fold's rows, as the branch's own node holds them: canonical JSON.
    """CREATE TABLE state_rows (
        branch_id TEXT NOT NULL,
        table_name TEXT NOT NULL,
        row_key TEXT NOT NULL,
        row_json TEXT NOT NULL,
        PRIMARY KEY (branch_id, table_name, row_key)
    )""",
    # Each export file taken in (its SHA-256): a second import of it is told at once.
    """CREATE TABLE imports (
        branch_id TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        imported_ms BIGINT NOT NULL,
        entries_new BIGINT NOT NULL,
        PRIMARY KEY (branch_id, file_sha256)
    )""",
    # The figures the KPIs add up, one row a branch, from the kernel's own views.
    """CREATE TABLE kpi_branch (
        branch_id TEXT NOT NULL PRIMARY KEY,
        as_of_ms BIGINT NOT NULL,
        pool_paise BIGINT NOT NULL,
        groups_open BIGINT NOT NULL,
        tickets_active BIGINT NOT NULL,
        active_members BIGINT NOT NULL,
        tickets_in_default BIGINT NOT NULL,
        loans_count BIGINT NOT NULL,
        loans_outstanding_paise BIGINT NOT NULL
    )""",
    # Instalments collected by calendar month (UTC), as the balance sheet's chart counts.
    """CREATE TABLE kpi_collections (
        branch_id TEXT NOT NULL,
        month TEXT NOT NULL,
        collected_paise BIGINT NOT NULL,
        PRIMARY KEY (branch_id, month)
    )""",
)

_V2 = (
    # Entries written by calendar month (UTC), one row a branch and month, rewritten at
    # each import: the KPIs read these instead of scanning `entries` (bench_hq: the scan
    # took 0.42 s at 1M entries on PostgreSQL and grew linearly, 43 s predicted at 1e8).
    """CREATE TABLE kpi_activity (
        branch_id TEXT NOT NULL,
        month TEXT NOT NULL,
        entries BIGINT NOT NULL,
        PRIMARY KEY (branch_id, month)
    )""",
    """INSERT INTO kpi_activity
        SELECT branch_id, month, count(*) FROM entries GROUP BY branch_id, month""",
)

# MIGRATIONS[n] takes version n to n + 1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)
LATEST = len(MIGRATIONS)

# Tables keyed by branch: Citus distributes these by branch_id (docs/hq.md).
BRANCH_TABLES = (
    "branches",
    "entries",
    "state_rows",
    "imports",
    "kpi_branch",
    "kpi_collections",
    "kpi_activity",
)


class SchemaNewer(ChitError):
    code = "hq_schema_newer"


def version_of(db: Db) -> int:
    db.execute(SCHEMA_VERSION_TABLE)
    rows = db.query("SELECT max(version) FROM schema_version")
    return int(rows[0][0] or 0) if rows else 0


def migrate(db: Db, now_ms: int) -> int:
    """Bring `db` to LATEST; refuse a newer one untouched. Returns the version found."""
    found = version_of(db)
    if found > LATEST:
        raise SchemaNewer(
            f"the head-office database {db.where} is at schema version {found}; this chitnode"
            f" knows up to {LATEST}: update chitnode (nothing was changed)"
        )
    for version in range(found, LATEST):
        with db.transaction():
            for statement in MIGRATIONS[version]:
                db.execute(statement)
            db.execute("INSERT INTO schema_version VALUES (?, ?)", (version + 1, now_ms))
    return found
