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
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli_proc import chitnode
from tests.support.election_procs import (
    BID_STEP_PAISE,
    FIRST_BID_PAISE,
    SCOPE,
    WAITING,
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


@dataclass(frozen=True)
class CutOff:
    """What a holder cut off from the majority wrote, and what became of it everywhere."""

    stale: str  # the cut-off holder's prize payout, written inside its lease
    higher: str  # the same prize paid by the holder the majority elected after the lease
    outcomes: list[dict[str, tuple[str, str]]]  # per node: payout hash -> (status, code)


def _cut_off_holder(tmp_path: Path, test: str) -> CutOff:
    """Laptop 1 holds the group; its cable goes out; it pays month 1's prize inside its
    lease; the desk pays it too once the majority elected another holder; laptop 1 is
    refused after that; the cable goes back in and every node converges."""
    branch = group_branch(tmp_path, drawn=True)  # month 1 drawn; its prize is still unpaid
    desk, one, two = branch.folders
    with lan_of(3) as lan, served(branch.folders, lan):
        opened = until_written(one, "auction.opened", open_body(MONTH + 1), "open-2")[0]
        assert opened.receipt is not None, opened  # laptop 1 stood and holds the group
        wait_for(lambda: leases(desk)[SCOPE]["holder"] == branch.keys[1], "desk sees laptop 1")

        lan.link(lan.hosts[1], up=False)  # laptop 1's cable out: the desk and laptop 2 remain
        cut = time.monotonic()
        pay = scope_body(MONTH, bank_ref="NEFT-LAPTOP")
        # inside its lease (a process start could outlast it on busy cores): written
        stale = submit(one, "prize.paid", pay, "pay-laptop", socket=True)
        stale_after_s = time.monotonic() - cut
        assert stale.receipt is not None, ("the holder writes until its lease ends", stale)

        pay = scope_body(MONTH, bank_ref="NEFT-DESK")
        done, refusals = until_written(desk, "prize.paid", pay, "pay-desk")
        new_holder_s = time.monotonic() - cut
        assert done.receipt is not None, done
        holder = leases(desk)[SCOPE]["holder"]
        assert holder in (branch.keys[0], branch.keys[2]), "the majority elected another"

        # The majority could elect only after laptop 1's lease ran out on its own clock
        # (and a margin), so laptop 1 writes no more: a bid there is refused.
        late = submit(one, "auction.bid", bid_body(MONTH + 1, 1, FIRST_BID_PAISE), "late")
        assert late.error in WAITING, late

        lan.link(lan.hosts[1], up=True)
        converged(desk, one, two)
        outcomes = []
        for folder in branch.folders:
            rows = log_rows(folder, "prize.paid")
            outcomes.append({str(r["hash"]): (str(r["status"]), str(r["code"])) for r in rows})
    run = CutOff(str(stale.receipt["hash"]), str(done.receipt["hash"]), outcomes)
    figures(
        test,
        operations=5 + refusals,
        faults=1,
        acknowledged_lost=sum(1 for o in outcomes for h in (run.stale, run.higher) if h not in o),
        stale_outcome=outcomes[0].get(run.stale),
        higher_outcome=outcomes[0].get(run.higher),
        stale_written_after_cut_s=round(stale_after_s, 2),
        new_holder_s=round(new_holder_s, 2),
    )
    return run


def test_a_holder_cut_off_from_the_majority_stops_and_the_prize_is_paid_once(
    tmp_path: Path,
) -> None:
    run = _cut_off_holder(tmp_path, "election_netns_partition")
    for outcome in run.outcomes:
        assert set(outcome) == {run.stale, run.higher}, "both payouts reach every node"
        applied = [h for h, (status, _) in outcome.items() if status == "applied"]
        assert len(applied) == 1, ("the prize is paid once in the books", outcome)
    assert all(o == run.outcomes[0] for o in run.outcomes), "every node decides alike"


def test_a_holder_cut_off_from_the_majority_is_fenced_stale_term_after_the_heal(
    tmp_path: Path,
) -> None:
    run = _cut_off_holder(tmp_path, "election_netns_partition_fencing")
    for outcome in run.outcomes:
        assert outcome[run.higher] == ("applied", ""), outcome
        assert outcome[run.stale] == ("rejected", "stale_term"), outcome


TRANSFER_FOR = "60s"  # the meeting's lease: short, to keep the test short


def test_a_laptop_handed_the_group_takes_bids_offline_and_syncs_back(tmp_path: Path) -> None:
    branch = group_branch(tmp_path)
    desk, one, two = branch.folders
    with lan_of(3) as lan, served(branch.folders, lan):
        opened = until_written(desk, "auction.opened", open_body(MONTH), "open-1")[0]
        assert opened.receipt is not None, opened  # the desk stood and holds the group
        handed = chitnode(
            "--data",
            desk,
            "lease",
            "transfer",
            SCOPE,
            "--to",
            branch.keys[1],
            "--for",
            TRANSFER_FOR,
        )
        assert handed.returncode == 0 and "handed to" in handed.stdout, handed.stderr
        wait_for(
            lambda: (
                leases(one)[SCOPE]["holder"] == branch.keys[1]
                and leases(one)[SCOPE]["status"] == "held"
            ),
            "laptop 1 holds the group for the meeting",
        )

        lan.link(lan.hosts[1], up=False)  # the meeting hall has no network
        acked = []
        discount = FIRST_BID_PAISE
        for ticket in (1, 2, 3):
            done = submit(one, "auction.bid", bid_body(MONTH, ticket, discount), f"b{ticket}")
            assert done.receipt is not None, ("the holder takes bids offline", done)
            acked.append(str(done.receipt["hash"]))
            discount += BID_STEP_PAISE
        refusals = []
        for where in (desk, two):  # nobody else may be elected while the meeting's lease runs
            done = submit(where, "auction.bid", bid_body(MONTH, 4, discount), f"b4-{where.name}")
            refusals.append(done.error)
        assert refusals == ["no_lease_holder", "no_lease_holder"], refusals
        assert leases(desk)[SCOPE]["holder"] == branch.keys[1]

        lan.link(lan.hosts[1], up=True)  # back at the office
        agreed = converged(desk, one, two)
        lost = 0
        for folder in branch.folders:
            bids = {str(r["hash"]): r for r in _applied(log_rows(folder, "auction.bid"))}
            lost += sum(1 for h in acked if h not in bids)
        figures(
            "election_netns_transfer_offline",
            operations=2 + len(acked) + len(refusals),
            faults=1,
            acknowledged_lost=lost,
            refused_elsewhere=len(refusals),
            entries=agreed["entries"],
        )
        assert lost == 0, "the meeting's bids reach every node"


def test_a_group_the_root_held_alone_is_elected_anew_once_it_has_an_electorate(
    tmp_path: Path,
) -> None:
    branch = group_branch(tmp_path, drawn=True, release=False)
    desk, one, _ = branch.folders
    with served(branch.folders):  # loopback: the network plays no part here
        assert leases(desk)[SCOPE]["holder"] == branch.keys[0]  # the books: the root, held
        opened = submit(one, "auction.opened", open_body(MONTH + 1), "open-2")
        assert opened.receipt is not None, opened
