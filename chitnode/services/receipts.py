"""What a person is told when the entry their command wrote did not apply.

A command refused before it is written changes nothing and raises its `ChitError`. A
command can also be written and *not* applied: its author's key forked (every entry
it writes from the fork point on is frozen), or, rarely, the fold orders it where a
rule refuses it. The entry is signed and stored then, so the caller must hear that
it counts for nothing, why, and what to do: `not_applied` says so with a stable code.
"""

from __future__ import annotations

from chitnode.domain.apply import APPLIED
from chitnode.errors import ChitError
from chitnode.node.node import Node, Receipt
from chitnode.store.api import FROZEN, HELD

FORK_HELP = "run `chitnode fork list`, and see docs/forks.md for the way out"
# The exit status of a command whose entry was written (signed, in the log) but not
# applied: not the 1 of a refused command, which writes nothing, so a script can tell.
EXIT_NOT_APPLIED = 3


class NotApplied(ChitError):
    """The command's entry is in the log but the fold did not apply it; `code` says why."""

    code = "not_applied"
    exit_status = EXIT_NOT_APPLIED


def check_applied(node: Node, receipt: Receipt) -> None:
    """Raise NotApplied (code and next step) unless `receipt`'s entry applied."""
    problem = not_applied(node, receipt)
    if problem is not None:
        raise problem


def not_applied(node: Node, receipt: Receipt) -> NotApplied | None:
    """None when `receipt`'s entry applied; else the error to report (code and next step)."""
    if receipt.status == APPLIED:
        return None
    what = f"entry #{receipt.seq} ({receipt.hash[:16]}…) was written but"
    if receipt.status == FROZEN:
        fork = node.engine.frozen_from.get(node.public)
        where = f" at seq {fork}" if fork is not None else ""
        return NotApplied(
            f"{what} is frozen, not applied: this device's key forked{where} (two different"
            " entries at one seq), so nothing it writes counts until the fork is resolved;"
            f" {FORK_HELP}",
            code="author_frozen",
        )
    if receipt.status == HELD:
        return NotApplied(
            f"{what} waits for entries this node does not hold ({receipt.code}); it applies"
            " once they arrive (import a peer's export)",
            code=receipt.code or HELD,
        )
    return NotApplied(
        f"{what} the fold rejected it ({receipt.code}); it stays in the log as evidence and"
        " changed nothing: see `chitnode log` for it",
        code=receipt.code or receipt.status,
    )
