"""The head office's two engines behind one small interface: DuckDB (a file) or PostgreSQL.

Only the plumbing the rest of `chitnode.hq` needs: run a statement with parameters, run
one for many rows, read rows, and one transaction at a time. Statements are written once
with `?` placeholders (DuckDB's own); for psycopg they become `%s`. Values always travel
as parameters, never inside the SQL text. Both drivers are imported only when a database
of theirs is opened, so the kernel loads neither until the head office is used.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chitnode import limits
from chitnode.errors import ChitError

DUCKDB = "duckdb"
POSTGRESQL = "postgresql"
# What `--db` takes for PostgreSQL: a libpq URL (psycopg reads the rest of it).
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
DUCKDB_FILE = "hq.duckdb"  # in the data folder when no --db is given

Row = tuple[Any, ...]
_BATCH_VIEW = "hq_batch"  # the name a DuckDB insert's rows are scanned under


class DbUnusable(ChitError):
    code = "hq_db_unusable"


def is_postgres_url(target: str) -> bool:
    return target.startswith(POSTGRES_SCHEMES)


class Db:
    """One open connection; `dialect` is DUCKDB or POSTGRESQL."""

    def __init__(self, conn: Any, dialect: str, where: str) -> None:
        self.conn = conn
        self.dialect = dialect
        self.where = where  # a file path, or a URL without its password (for messages)
        self._in_transaction = False

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == POSTGRESQL else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self.dialect == POSTGRESQL:
            self.conn.execute(self._sql(sql), tuple(params))
        else:
            self.conn.execute(sql, list(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """`sql` once per row, sent in batches of `limits.HQ_WRITE_BATCH_ROWS`."""
        step = limits.HQ_WRITE_BATCH_ROWS
        for at in range(0, len(rows), step):
            batch = [tuple(r) for r in rows[at : at + step]]
            if self.dialect == POSTGRESQL:
                with self.conn.cursor() as cur:
                    cur.executemany(self._sql(sql), batch)
            else:
                self.conn.executemany(sql, [list(r) for r in batch])

    def insert(self, table: str, rows: Sequence[Sequence[Any]], conflict: str = "") -> None:
        """INSERT every row of `rows` into `table` (all its columns, in order), then `conflict`
        (an ON CONFLICT clause). DuckDB takes the rows as one column-wise batch (numpy arrays
        it scans in place): its executemany runs one statement a row, ~300 rows/s here."""
        if not rows:
            return
        if self.dialect == POSTGRESQL:
            marks = ", ".join("?" * len(rows[0]))
            self.executemany(f"INSERT INTO {table} VALUES ({marks}) {conflict}", rows)
            return
        import numpy

        step = limits.HQ_WRITE_BATCH_ROWS
        for at in range(0, len(rows), step):
            columns = zip(*rows[at : at + step], strict=True)
            batch = {f"c{i}": numpy.array(col, dtype=object) for i, col in enumerate(columns)}
            self.conn.register(_BATCH_VIEW, batch)
            try:
                self.conn.execute(f"INSERT INTO {table} SELECT * FROM {_BATCH_VIEW} {conflict}")
            finally:
                self.conn.unregister(_BATCH_VIEW)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if self.dialect == POSTGRESQL:
            with self.conn.cursor() as cur:
                cur.execute(self._sql(sql), tuple(params))
                return [tuple(r) for r in cur.fetchall()]
        return [tuple(r) for r in self.conn.execute(sql, list(params)).fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All of the block or none of it; not nested."""
        if self._in_transaction:
            raise AssertionError("head-office transactions do not nest")
        self._in_transaction = True
        try:
            if self.dialect == POSTGRESQL:
                with self.conn.transaction():
                    yield
            else:
                self.conn.begin()
                try:
                    yield
                except BaseException:
                    self.conn.rollback()
                    raise
                self.conn.commit()
        finally:
            self._in_transaction = False

    def close(self) -> None:
        self.conn.close()


def connect(target: str | Path) -> Db:
    """Open a DuckDB file (made if missing) or a PostgreSQL database (`postgresql://...`)."""
    text = str(target)
    if is_postgres_url(text):
        return _postgres(text)
    return _duckdb(Path(text))


def _duckdb(path: Path) -> Db:
    import duckdb

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(str(path))
    except (OSError, duckdb.Error) as exc:
        raise DbUnusable(f"cannot open the head-office database {path}: {exc}") from exc
    return Db(conn, DUCKDB, str(path))


def _postgres(url: str) -> Db:
    import psycopg

    shown = _without_password(url)
    try:
        conn = psycopg.connect(url, connect_timeout=limits.HQ_CONNECT_TIMEOUT_S, autocommit=True)
    except psycopg.Error as exc:
        raise DbUnusable(f"cannot reach the head-office database {shown}: {exc}") from exc
    # autocommit: a statement outside `transaction()` stands alone (reads, migrations'
    # own transaction), and `conn.transaction()` opens a real BEGIN/COMMIT block.
    return Db(conn, POSTGRESQL, shown)


def _without_password(url: str) -> str:
    """`postgresql://user:secret@host/db` -> `postgresql://user@host/db` for messages."""
    scheme, _, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at:
        return url
    return f"{scheme}://{creds.partition(':')[0]}@{host}"
