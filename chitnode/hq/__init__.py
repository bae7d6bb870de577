"""The head office (issue 16): many branches' logs and folded state in one database.

The read API, for the CLI and the app's KPI dashboard in head-office mode:

    from chitnode.hq import HeadOffice

    with HeadOffice.open(target, data=data_folder) as hq:   # target: DuckDB file,
        kpis = hq.kpis()            # postgresql:// URL, or None for <data>/hq.duckdb
        kpis.total.pool_paise, kpis.total.default_rate, kpis.branches[0].collections
        hq.kpis("Udupi")            # one branch, by name or id (else hq_unknown_branch)
        hq.branches()               # BranchStatus: id, root, name, entries, digest, heads
        hq.state_of(branch_id)      # the branch's State, as its own node folds it

`Kpis` holds one `BranchKpis` per branch and their `total`: total pool, active members
and tickets, tickets in default and `default_rate`, loans and loans outstanding,
collections by month, entries by month; `to_json()` for --json and the app. Writes go
only through `HeadOffice.import_export(path)` (docs/hq.md: one rulebook, the kernel's
fold, incremental). Opening a database creates or migrates its schema and refuses a
newer one (`hq_schema_newer`); nothing else is written by a read.
"""

from chitnode.hq.kpis import BranchKpis, Kpis
from chitnode.hq.office import BranchStatus, HeadOffice, ImportResult

__all__ = ["BranchKpis", "BranchStatus", "HeadOffice", "ImportResult", "Kpis"]
