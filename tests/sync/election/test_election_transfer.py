"""Handing a scope over before an offline meeting (issue 11, point 4; docs/coordination.md).

The holder writes `lease.transferred` and stops; the electors that learn of it promise the
new device a lease; the new device counts its lease from before it asks them to confirm
(`TakeOver`) and writes its grant, naming the transfer, once a majority did.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chitnode.errors import RuleViolation
from sync.election import PersistGrant, holder_margin_ms, voter_margin_ms
from sync.election.messages import TakeOver, TakeOverAnswer
from tests.support.election import LEASE_MS, SCOPE, Cluster, fold_outcomes

HM = holder_margin_ms(LEASE_MS)
VM = voter_margin_ms(LEASE_MS)


def elected(n: int = 3) -> Cluster:
    cluster = Cluster(n)
    cluster.advance(LEASE_MS + VM + 50)  # the promise to nobody of a fresh process
    cluster.campaign(0)
    cluster.advance(200)
    assert cluster.writers() == [cluster.keys[0]]
    return cluster


def test_a_transfer_hands_the_next_term_to_the_laptop_with_no_gap_of_two() -> None:
    cluster = elected(3)
    cluster.transfer(0, 2)
    assert cluster[0].writes() is None, "the old holder stops at once"
    assert cluster.writers() == [cluster.keys[2]]
    assert cluster[2].writes() == 2
    kinds = [(k, b.get("term")) for k, b, _ in cluster[2].feed]
    assert kinds[-1] == ("lease.granted", 2)
    assert "transfer" in cluster[2].feed[-1][1]


def test_the_laptop_alone_keeps_its_lease_until_it_runs_out_and_nobody_else_is_elected() -> None:
    cluster = elected(3)
    cluster.transfer(0, 2)
    cluster.cut.add(cluster.keys[2])  # the laptop leaves for the meeting: no network there
    cluster[1].core.campaign(cluster[1].clock, SCOPE)
    cluster[0].core.campaign(cluster[0].clock, SCOPE)
    for _ in range(LEASE_MS // 500):
        cluster.advance(500)
        writers = cluster.writers()
        assert len(writers) <= 1, f"two writers at once: {writers}"
    # the laptop's lease ran out (CheckQuorum: no renewal offline) before the promises
    assert cluster[2].writes() is None
    cluster.advance(VM)
    for _ in range(40):  # split votes may take a few rounds: bounded
        if cluster.writers():
            break
        cluster.advance(500)
    assert len(cluster.writers()) == 1 and cluster.keys[2] not in cluster.writers()


def test_the_new_holder_renews_its_lease_while_it_is_on_the_network() -> None:
    cluster = elected(3)
    cluster.transfer(0, 2)
    cluster.advance(3 * LEASE_MS)
    assert cluster.writers() == [cluster.keys[2]]


def test_only_the_holder_may_transfer_and_only_to_another_elector() -> None:
    cluster = elected(3)
    with pytest.raises(RuleViolation) as refused:
        cluster[1].core.transfer(cluster[1].clock, SCOPE, cluster.keys[2])
    assert refused.value.code == "not_lease_holder"
    with pytest.raises(RuleViolation) as refused:
        cluster[0].core.transfer(cluster[0].clock, SCOPE, cluster.keys[0])
    assert refused.value.code == "bad_transfer"
    with pytest.raises(RuleViolation) as refused:
        cluster[0].core.transfer(cluster[0].clock, SCOPE, "ab" * 32)
    assert refused.value.code == "bad_transfer"
    assert cluster.writers() == [cluster.keys[0]], "a refused transfer changes nothing"


def test_a_take_over_is_confirmed_only_by_electors_that_know_the_transfer() -> None:
    cluster = elected(3)
    out = cluster.send(2, 1, TakeOver(SCOPE, 2))  # the laptop claims a transfer never made
    assert [o.message for o in out] == [TakeOverAnswer(SCOPE, 2, False, 1, LEASE_MS)]


def test_the_laptop_waits_for_a_majority_before_it_writes_its_grant() -> None:
    cluster = elected(3)
    cluster.cut.add(cluster.keys[1])
    # the old holder (which knows) and the laptop: two of three, a majority
    cluster.transfer(0, 2)
    assert cluster[2].writes() == 2
    cluster = elected(5)
    for i in (1, 3, 4):
        cluster.cut.add(cluster.keys[i])
    cluster.transfer(0, 2)
    assert cluster[2].writes() is None, "two of five confirmed: no grant yet"
    assert not any(isinstance(p, PersistGrant) for p in cluster[2].pending)
    cluster.cut.clear()
    for i in (1, 3, 4):  # they learn of the transfer by sync
        cluster.run(cluster[i], cluster.transfer_seen(cluster[i], cluster[0]))
    cluster.advance(1_000)
    assert cluster.writers() == [cluster.keys[2]]


def test_the_fold_accepts_the_transfer_and_the_grant_that_names_it(tmp_path: Path) -> None:
    cluster = elected(3)
    cluster.transfer(0, 2)
    outcomes = fold_outcomes(cluster.written, cluster.signing, tmp_path)
    assert outcomes and all(status == "applied" for status, _ in outcomes.values()), outcomes
