"""The election core's rules one by one (issue 11, points 1 and 2; docs/coordination.md).

Each test drives devices through tests/support/election.py: a lossless network unless a
device is cut off, clocks moved by hand, entries written to the feed as soon as asked.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from chitnode.errors import RuleViolation
from sync import limits
from sync.election import (
    BootClock,
    Heartbeat,
    HeartbeatAnswer,
    PersistVote,
    PreVote,
    PreVoteAnswer,
    Released,
    Send,
    VoteAnswer,
    VoteRequest,
    holder_margin_ms,
    lease_of,
    voter_margin_ms,
)
from tests.support.election import LEASE_MS, SCOPE, Cluster, fold_outcomes

HM = holder_margin_ms(LEASE_MS)
VM = voter_margin_ms(LEASE_MS)


def elected(n: int = 3, candidate: int = 0) -> Cluster:
    cluster = Cluster(n)
    # every device just started: wait out the promise to nobody a fresh process keeps
    cluster.advance(LEASE_MS + VM + 50)
    cluster.campaign(candidate)
    assert cluster.writers() == [cluster.keys[candidate]]
    return cluster


def answers(outputs: list[object]) -> list[object]:
    return [o.message for o in outputs if isinstance(o, Send)]


# --- one vote per term, persisted before the answer --------------------------------


def test_a_vote_is_answered_only_once_it_is_in_the_feed() -> None:
    cluster = Cluster(3)
    voter = cluster[2]
    voter.clock = LEASE_MS + VM  # past the fresh process's promise to nobody
    out = cluster.send(0, 2, VoteRequest(SCOPE, 1))
    assert out == [PersistVote(SCOPE, 1, cluster.keys[0])], "nothing is sent before the write"
    assert voter.take(out) == []
    sends = voter.complete()
    kind, body, ref = voter.feed[-1]
    assert (kind, body) == ("lease.vote", {"scope": SCOPE, "term": 1, "candidate": cluster.keys[0]})
    assert [s.message for s in sends] == [VoteAnswer(SCOPE, 1, True, 1, ref, LEASE_MS)]


def test_a_write_lost_in_a_crash_was_never_an_answer() -> None:
    cluster = Cluster(3)
    voter = cluster[2]
    voter.clock = LEASE_MS + VM
    voter.take(cluster.send(0, 2, VoteRequest(SCOPE, 1)))
    voter.restart(clock=5)  # the process died before the vote reached the feed
    assert voter.feed == []
    assert answers(cluster.send(0, 2, VoteRequest(SCOPE, 1))) == [
        VoteAnswer(SCOPE, 1, False, 0, None, 0)  # and the restarted voter waits out a lease
    ]


def test_one_vote_per_term_even_across_a_restart() -> None:
    cluster = Cluster(3)
    voter = cluster[2]
    voter.clock = LEASE_MS + VM
    cluster.run(voter, cluster.send(0, 2, VoteRequest(SCOPE, 1)))
    ref = voter.feed[-1][2]
    # another candidate, same term: refused, nothing written
    assert cluster.send(1, 2, VoteRequest(SCOPE, 1)) == [
        Send(cluster.keys[1], VoteAnswer(SCOPE, 1, False, 1, None, 0))
    ]
    # the same candidate asking again gets the same vote, not a second entry
    assert answers(cluster.send(0, 2, VoteRequest(SCOPE, 1))) == [
        VoteAnswer(SCOPE, 1, True, 1, ref, LEASE_MS)
    ]
    voter.restart(clock=0)
    voter.clock = LEASE_MS + VM
    assert answers(cluster.send(1, 2, VoteRequest(SCOPE, 1))) == [
        VoteAnswer(SCOPE, 1, False, 1, None, 0)
    ]
    assert answers(cluster.send(0, 2, VoteRequest(SCOPE, 1))) == [
        VoteAnswer(SCOPE, 1, True, 1, ref, LEASE_MS)
    ]
    assert [k for k, _, _ in voter.feed] == ["lease.vote"]


# --- PreVote -------------------------------------------------------------------------


def test_prevote_changes_nothing_on_the_voter() -> None:
    cluster = Cluster(3)
    voter = cluster[1]
    voter.clock = LEASE_MS + VM
    assert answers(cluster.send(0, 1, PreVote(SCOPE, 1))) == [PreVoteAnswer(SCOPE, 1, True, 0)]
    assert voter.core.term(SCOPE) == 0 and voter.feed == []


def test_a_cut_off_device_campaigning_for_long_does_not_inflate_terms() -> None:
    cluster = elected()
    cut = cluster[2]
    cluster.cut = {cut.key}
    cluster.run(cut, cut.core.campaign(cut.clock, SCOPE))
    cluster.advance(10 * LEASE_MS)
    assert cut.core.term(SCOPE) == 1 and cut.feed[-1][0] == "lease.vote"  # its vote for 0
    assert cut.feed[-1][1]["term"] == 1
    cluster.cut = set()
    cluster.advance(3 * LEASE_MS)
    # back among the others, it disturbs nobody: the holder keeps term 1
    assert cluster.writers() == [cluster.keys[0]]
    assert cluster[0].writes() == 1
    assert max(d.core.term(SCOPE) for d in cluster.devices.values()) == 1


def test_a_voter_that_hears_a_live_holder_refuses_prevotes() -> None:
    cluster = elected()
    cluster.advance(LEASE_MS // 2)
    assert answers(cluster.send(2, 1, PreVote(SCOPE, 2))) == [PreVoteAnswer(SCOPE, 2, False, 1)]


# --- CheckQuorum: renew with a majority, step down without -------------------------


def test_a_holder_with_its_majority_keeps_the_scope_at_one_term() -> None:
    cluster = elected()
    for _ in range(20):
        cluster.advance(LEASE_MS // 2)
        assert cluster.writers() == [cluster.keys[0]]
    assert cluster[0].granted_terms() == [1]


def test_a_holder_cut_off_from_its_majority_steps_down_before_anyone_is_elected() -> None:
    cluster = elected()
    holder, other = cluster[0], cluster[1]
    cluster.advance(LEASE_MS // 2)
    cluster.cut = {holder.key}
    cluster.run(other, other.core.campaign(other.clock, SCOPE))
    stopped_at = None
    for _ in range(4 * LEASE_MS // 50):
        cluster.advance(50)
        writers = cluster.writers()
        assert len(writers) <= 1
        if stopped_at is None and holder.writes() is None:
            stopped_at = holder.clock
        if other.key in writers:
            break
    assert other.writes() == 2 and holder.writes() is None
    assert stopped_at is not None and other.clock > stopped_at


def test_an_answer_naming_a_later_term_makes_the_holder_step_down_at_once() -> None:
    cluster = elected()
    holder = cluster[0]
    assert holder.writes() == 1
    cluster.send(1, 0, HeartbeatAnswer(SCOPE, 1, 1, False, 2, LEASE_MS))
    assert holder.writes() is None and holder.core.role(SCOPE) == "follower"


# --- leases and margins ---------------------------------------------------------------


def test_the_holder_stops_writing_a_margin_before_its_lease_runs_out() -> None:
    cluster = Cluster(3)
    cluster.advance(LEASE_MS + VM + 50)
    holder = cluster[0]
    asked_at = holder.clock
    cluster.campaign(0)  # elected at once: messages and writes take no time here
    cluster.cut = {holder.key}  # the votes are in; no renewal will come
    assert holder.writes() == 1
    holder.clock = asked_at + LEASE_MS - HM - 1
    assert holder.writes() == 1
    holder.clock = asked_at + LEASE_MS - HM
    assert holder.writes() is None
    assert HM == LEASE_MS * limits.ELECTION_HOLDER_MARGIN_PPM // 1_000_000 + (
        limits.ELECTION_HOLDER_MARGIN_MS
    )


def test_a_voter_votes_for_another_only_after_the_lease_plus_a_margin() -> None:
    cluster = Cluster(3)
    voter = cluster[2]
    voter.clock = 100_000
    cluster.send(0, 2, Heartbeat(SCOPE, 1, 1))  # 0 holds term 1: the voter promises it
    promised_at = voter.clock
    voter.clock = promised_at + LEASE_MS + VM - 1
    assert answers(cluster.send(1, 2, PreVote(SCOPE, 2))) == [PreVoteAnswer(SCOPE, 2, False, 1)]
    assert answers(cluster.send(1, 2, VoteRequest(SCOPE, 2))) == [
        VoteAnswer(SCOPE, 2, False, 1, None, 0)
    ]
    voter.clock = promised_at + LEASE_MS + VM
    assert answers(cluster.send(1, 2, PreVote(SCOPE, 2))) == [PreVoteAnswer(SCOPE, 2, True, 1)]
    assert cluster.send(1, 2, VoteRequest(SCOPE, 2)) == [PersistVote(SCOPE, 2, cluster.keys[1])]


def test_the_holder_margin_covers_the_clock_drift_bound() -> None:
    """Written down as arithmetic: the holder's longest real lease ends first."""
    drift = limits.ELECTION_CLOCK_DRIFT_PPM / 1_000_000
    for lease_ms in (1, LEASE_MS, lease_of(0), 60_000, 300_000, 3_600_000):
        lease = lease_of(lease_ms)
        holder_real_ms = (lease - holder_margin_ms(lease_ms)) / (1 - drift)
        voter_real_ms = (lease + voter_margin_ms(lease_ms)) / (1 + drift)
        assert holder_real_ms < voter_real_ms


def test_a_restarted_voter_waits_out_a_whole_lease_before_any_vote() -> None:
    cluster = elected()
    holder, voter, candidate = cluster[0], cluster[1], cluster[2]
    cluster.cut = set()
    cluster.advance(LEASE_MS // 2)
    # The holder renews through the voter; the candidate cannot hear the holder. The voter
    # restarts: the promise it gave (not persisted) must still be kept.
    voter.restart(clock=7)
    started = voter.clock
    for clock in (started, started + LEASE_MS + VM - 1):
        voter.clock = clock
        assert answers(cluster.send(2, 1, VoteRequest(SCOPE, 5))) == [
            VoteAnswer(SCOPE, 5, False, 1, None, 0)
        ]
    voter.clock = started + LEASE_MS + VM
    assert cluster.send(2, 1, VoteRequest(SCOPE, 5)) == [PersistVote(SCOPE, 5, candidate.key)]
    assert holder.writes() == 1


def test_a_restarted_holder_holds_nothing() -> None:
    cluster = elected()
    holder = cluster[0]
    holder.restart(clock=123)
    assert holder.writes() is None and holder.core.role(SCOPE) == "follower"
    assert holder.core.term(SCOPE) == 1  # its grant is in its feed: the term is known


def test_a_clock_stopped_in_suspend_outlives_its_lease_a_boot_clock_does_not() -> None:
    """The holder sleeps for two leases; meanwhile the others elect a new holder."""
    for counts_suspend in (True, False):
        cluster = elected()
        holder, other = cluster[0], cluster[1]
        cluster.asleep = {holder.key}
        cluster.run(other, other.core.campaign(other.clock, SCOPE))
        slept_ms = 2 * LEASE_MS + VM
        cluster.advance(slept_ms)
        if counts_suspend:
            holder.clock += slept_ms  # CLOCK_BOOTTIME: the sleep counts
        cluster.asleep = set()
        assert other.writes() == 2
        expected = [other.key] if counts_suspend else sorted([holder.key, other.key])
        assert sorted(cluster.writers()) == expected


def test_boot_clock_counts_from_clock_boottime_and_never_goes_back() -> None:
    clock = BootClock()
    assert clock.counts_suspend  # Linux: CLOCK_BOOTTIME
    before = time.clock_gettime_ns(time.CLOCK_BOOTTIME) // 1_000_000
    reading = clock.elapsed_ms()
    after = time.clock_gettime_ns(time.CLOCK_BOOTTIME) // 1_000_000
    assert before <= reading <= after
    # BOOTTIME is MONOTONIC plus the time spent suspended
    assert reading >= time.monotonic_ns() // 1_000_000 - 1
    readings = [clock.elapsed_ms() for _ in range(1_000)]
    assert readings == sorted(readings)


# --- the entries are the kernel's, and its fold accepts them ------------------------


def test_the_entries_the_cores_write_are_applied_by_the_real_fold(tmp_path: Path) -> None:
    cluster = elected(n=5, candidate=3)
    holder = cluster[3]
    # a second term: the holder gives the scope up, another device stands
    cluster.run(holder, holder.core.withdraw(holder.clock, SCOPE))
    cluster.campaign(1)
    cluster.advance(4 * limits.ELECTION_TIMEOUT_MS)
    assert cluster.writers() == [cluster.keys[1]]
    kinds = [d.feed[i][0] for d, i in cluster.written]
    assert kinds.count("lease.granted") == 2 and "lease.released" in kinds
    outcomes = fold_outcomes(cluster.written, cluster.signing, tmp_path)
    assert len(outcomes) == len(cluster.written)
    assert set(outcomes.values()) == {("applied", "")}


def test_a_release_frees_the_voters_at_once() -> None:
    cluster = elected()
    holder, other = cluster[0], cluster[1]
    cluster.advance(LEASE_MS // 2)
    cluster.run(holder, holder.core.withdraw(holder.clock, SCOPE))
    assert holder.writes() is None and holder.feed[-1][0] == "lease.released"
    cluster.deliver()
    cluster.campaign(1)
    assert cluster.writers() == [other.key]  # no lease to wait out
    assert other.writes() == 2


def test_a_late_copy_of_an_old_release_frees_nobody() -> None:
    cluster = elected()
    holder = cluster[0]
    cluster.run(holder, holder.core.withdraw(holder.clock, SCOPE))
    cluster.deliver()
    cluster.campaign(0)  # elected again, at term 2
    assert holder.writes() == 2
    cluster.send(0, 2, Released(SCOPE, 1))  # the network delivers the old release again
    assert answers(cluster.send(1, 2, PreVote(SCOPE, 3))) == [PreVoteAnswer(SCOPE, 3, False, 2)]


def test_a_device_outside_the_electorate_cannot_stand() -> None:
    cluster = Cluster(3)
    with pytest.raises(RuleViolation) as info:
        cluster[0].core.campaign(0, "group:other")
    assert info.value.code == "not_in_electorate"


def test_messages_from_outside_the_electorate_are_ignored() -> None:
    cluster = Cluster(3)
    core = cluster[0].core
    assert core.receive(LEASE_MS + VM, "f" * 64, VoteRequest(SCOPE, 1)) == []
    assert core.receive(LEASE_MS + VM, cluster.keys[1], VoteRequest("group:nope", 1)) == []
    assert core.receive(LEASE_MS + VM, cluster.keys[1], VoteRequest(SCOPE, 0)) == []
