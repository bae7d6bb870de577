"""A head office with two real branches imported, for the app's /hq tests (tests/ui, tests/system).

    office = two_branch_office(folder)   # HqOffice: the DuckDB file, the data folder, exports

Each branch is a demo branch under its own seed (tests/support/hq_branches.py), exported by
its node and imported by `HeadOffice.import_export`, as `chitnode hq import` does. The
caller sets the test passphrase and file keystore (a module fixture: MonkeyPatch.context).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chitnode.hq.office import HeadOffice
from tests.support.hq_branches import DEMO_BRANCHES, BranchExport, build_branch

# Two of the three demo branches: the fewest that make a total differ from each branch's.
APP_BRANCHES = DEMO_BRANCHES[1:]


@dataclass(frozen=True)
class HqOffice:
    db: Path  # the DuckDB file
    data: Path  # the head office's data folder (the branches' fold caches)
    branches: tuple[BranchExport, ...]


def two_branch_office(folder: Path) -> HqOffice:
    exports = tuple(build_branch(folder / name, name, seed) for name, seed in APP_BRANCHES)
    data = folder / "hq-data"
    db = data / "hq.duckdb"
    with HeadOffice.open(db, data=data) as office:
        for branch in exports:
            office.import_export(branch.export)
    return HqOffice(db, data, exports)
