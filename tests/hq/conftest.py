"""The head-office tests run once a database engine: DuckDB always, PostgreSQL on a
throwaway cluster (tests/support/postgres.py) when installed, and always in CI
(.ci/run sets CHITNODE_REQUIRE_POSTGRES, so a missing server fails instead of skipping).

`demo_exports` builds three demo branches once (seeds differ, so do their logs) and
exports each; a test reads each branch's own digest, state and export from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode.hq.office import HeadOffice
from tests.support.hq_branches import DEMO_BRANCHES, BranchExport, build_branch
from tests.support.postgres import PgCluster, pg_cluster, required

ENGINES = ("duckdb", "postgresql")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgCluster | None]:
    with pg_cluster() as cluster:
        yield cluster


@pytest.fixture(params=ENGINES)
def hq_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty head-office database: a DuckDB file or a PostgreSQL URL."""
    if request.param == "duckdb":
        return str(tmp_path / "hq.duckdb")
    cluster = request.getfixturevalue("pg_server")
    if cluster is None:
        assert not required()
        pytest.skip("PostgreSQL is not installed (CI sets CHITNODE_REQUIRE_POSTGRES)")
    return str(cluster.new_database())


@pytest.fixture
def office(hq_target: str, tmp_path: Path) -> Iterator[HeadOffice]:
    with HeadOffice.open(hq_target, data=tmp_path / "data") as opened:
        yield opened


@pytest.fixture(scope="session")
def demo_exports(tmp_path_factory: pytest.TempPathFactory) -> list[BranchExport]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
        mp.setenv("CHITNODE_KEYSTORE", "file")
        base = tmp_path_factory.mktemp("hq-branches")
        return [build_branch(base / name, name, seed) for name, seed in DEMO_BRANCHES]
