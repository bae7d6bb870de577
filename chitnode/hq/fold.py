"""A branch's fold cache: the kernel's own store and fold, fed only what is new.

The head office runs no chit rule of its own. For each branch it keeps a kernel store
(SQLite, under `<data>/hq-fold/<branch id>`) pinned to the branch's id and root, and
imports each export into it with the kernel's import (`services.archive`): the same
verifier as `chitnode verify`, the same per-feed decisions, the same fold. Entries it
already holds are skipped, so an import folds only what is new, and the cache's state
digest is the one the branch's own node computes over the same log.

The cache never signs: its node gets a key made for the run and thrown away. It records
which projection rows each commit changed (`changed`), so the head-office database is
brought up to date row by row; after a full re-fold (`rebuilt`) every row is sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nacl.signing import SigningKey

from chitnode.clock import SystemClock
from chitnode.log.export import ExportHeader
from chitnode.node.node import Node
from chitnode.services.archive import ImportPlan, ImportReport, apply_import, plan_import
from chitnode.store.sqlite import SqliteStore

FOLD_FOLDER = "hq-fold"  # under the data folder: one kernel store a branch
# A feed with two signed entries at one seq is refused whole at the head office: it is the
# branch's fork to resolve (docs/forks.md); the head office takes the resolved log later.
REFUSED_AS_FORK = "fork"


class BranchFold:
    def __init__(self, folder: Path, header: ExportHeader) -> None:
        store = SqliteStore.open(folder, create=True)
        try:
            if store.meta("branch") is None:
                with store.transaction():  # pinned like a joining device's store (wal-v1 §5)
                    store.set_meta("branch", header.branch)
                    store.set_meta("root", header.root)
            self.node = Node(store, SigningKey.generate(), SystemClock())
            self.changed: set[tuple[str, str]] = set()
            self.rebuilt = False
            store.before_commit.insert(0, self._collect)  # before the fold persists them
            self.node.engine.on_rebuilt.append(self._full)
            self.node.engine.load()
        except BaseException:
            store.close()
            raise

    @classmethod
    def open(cls, data: Path, header: ExportHeader) -> BranchFold:
        return cls(data / FOLD_FOLDER / header.branch, header)

    def _collect(self) -> None:
        self.changed |= self.node.engine.state.dirty

    def _full(self) -> None:
        self.rebuilt = True

    def plan(self, path: Path, progress: Callable[[], None] | None = None) -> ImportPlan:
        """The kernel's plan for `path`, with forked feeds refused too (writes nothing)."""
        plan = plan_import(self.node, path, progress)
        refused = dict(plan.refused)
        for author, codes in plan.verify.author_codes.items():
            if REFUSED_AS_FORK in codes:
                refused.setdefault(author, REFUSED_AS_FORK)
        accepted = {a: span for a, span in plan.accepted.items() if a not in refused}
        return ImportPlan(plan.path, plan.verify, accepted, refused)

    def apply(self, plan: ImportPlan) -> ImportReport:
        return apply_import(self.node, plan)

    def digest(self) -> str:
        return self.node.engine.digest()

    def close(self) -> None:
        self.node.close()

    def __enter__(self) -> BranchFold:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
