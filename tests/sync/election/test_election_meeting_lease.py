"""A meeting's long lease set while a short one is held (`chitnode lease transfer --for 4h`,
the admin's hand-over button): the electorate's new `lease_ms` reaches the holder's core
before the transfer. The lease it holds was counted with the short lease; its margin must
be the short lease's too, or the longer margin (2.5 % of 4 h = 6 min) would end the holder's
writes at once and the transfer be refused `not_lease_holder`."""

from __future__ import annotations

from sync.election import voter_margin_ms
from tests.support.election import LEASE_MS, SCOPE, Cluster

MEETING_MS = 4 * 3_600_000


def test_a_meetings_lease_set_while_held_keeps_the_holder_and_goes_with_the_transfer() -> None:
    cluster = Cluster(3)
    cluster.advance(LEASE_MS + voter_margin_ms(LEASE_MS) + 50)  # a fresh process's promise
    cluster.campaign(0)
    cluster.advance(200)
    holder = cluster[0]
    assert cluster.writers() == [holder.key]
    for device in cluster.devices.values():  # every elector's books learn the meeting's lease
        device.core.set_electorate(SCOPE, cluster.keys, MEETING_MS)
    assert holder.writes() == 1, "the short lease it holds still counts, with its own margin"
    left = holder.core.time_left_ms(holder.clock, SCOPE)
    assert left is not None and 0 < left < LEASE_MS
    cluster.transfer(0, 2)
    laptop = cluster[2]
    assert cluster.writers() == [laptop.key]
    cluster.cut.add(laptop.key)  # the meeting hall has no network
    cluster[1].core.campaign(cluster[1].clock, SCOPE)
    cluster.advance(10 * LEASE_MS)
    assert cluster.writers() == [laptop.key], "the laptop holds past the everyday lease"
    left = laptop.core.time_left_ms(laptop.clock, SCOPE)
    assert left is not None and left > MEETING_MS - 11 * LEASE_MS - 400_000


def test_a_longer_lease_one_device_alone_knows_of_covers_nothing_unpromised() -> None:
    """The holder's books carry the meeting's lease, its voters' do not yet: every answer
    says what it promised, and the holder counts only what a majority promised, so it
    stops writing when the short promises run out, not hours later."""
    cluster = Cluster(3)
    cluster.advance(LEASE_MS + voter_margin_ms(LEASE_MS) + 50)
    holder = cluster[0]
    holder.core.set_electorate(SCOPE, cluster.keys, MEETING_MS)  # only its books know
    cluster.campaign(0)
    cluster.advance(3 * LEASE_MS)  # renewed by voters that promise the everyday lease
    assert cluster.writers() == [holder.key]
    left = holder.core.time_left_ms(holder.clock, SCOPE)
    assert left is not None and left < LEASE_MS, "not the meeting's lease: nobody promised it"
    cluster.cut.add(holder.key)
    cluster.advance(LEASE_MS)
    assert holder.writes() is None, "cut off, it stops within the lease its voters promised"
