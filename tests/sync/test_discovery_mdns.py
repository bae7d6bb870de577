"""mDNS discovery (sync/discovery/mdns.py): real zeroconf sockets on loopback.

Multicast on `lo` works on Linux (the kernel loops multicast back to every member
socket), so two `Discovery` objects in one process find each other on 127.0.0.1
without a network. Each test uses a branch id of its own, so a run beside another
(another checkout's tests on the same host) sees the other's services only as
`other_branch`. Waits are bounded by `WAIT_S` and never asserted on.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import pytest
from zeroconf.asyncio import AsyncServiceInfo

from sync.discovery.mdns import (
    SERVICE_TYPE,
    Discovery,
    PeerHint,
    branch_tag,
    device_fingerprint,
    local_ipv4_addresses,
    read_hint,
)
from sync.reconcile import PROTOCOL_VERSION

pytestmark = pytest.mark.system  # real multicast sockets (on loopback)

WAIT_S = 20.0  # the longest a test waits for an announcement; mDNS answers within ~1 s
LOOPBACK = ("127.0.0.1",)


def new_key() -> str:
    return secrets.token_hex(32)


class Found:
    """The hints one Discovery reported, and a way to wait for one."""

    def __init__(self) -> None:
        self.hints: list[PeerHint] = []
        self._changed = asyncio.Event()

    def __call__(self, hint: PeerHint) -> None:
        self.hints.append(hint)
        self._changed.set()

    async def wait_for(self, check: Callable[[PeerHint], bool]) -> PeerHint:
        async with asyncio.timeout(WAIT_S):
            while True:
                for hint in self.hints:
                    if check(hint):
                        return hint
                self._changed.clear()
                await self._changed.wait()


@asynccontextmanager
async def serving(
    branch: str,
    key: str,
    port: int,
    addresses: Callable[[], Sequence[str]] = lambda: LOOPBACK,
) -> AsyncIterator[tuple[Discovery, Found]]:
    found = Found()
    discovery = Discovery(branch, key, port, found, addresses=addresses)
    await discovery.start()
    try:
        yield discovery, found
    finally:
        await discovery.stop()


@pytest.mark.asyncio
async def test_two_nodes_of_a_branch_find_each_other_on_loopback() -> None:
    branch, key_a, key_b = secrets.token_hex(16), new_key(), new_key()
    async with (
        serving(branch, key_a, 7401) as (a, found_a),
        serving(branch, key_b, 7402) as (b, found_b),
    ):
        assert a.status().running and a.status().advertised == LOOPBACK
        hint_b = await found_a.wait_for(lambda h: h.fingerprint == b.fingerprint)
        hint_a = await found_b.wait_for(lambda h: h.fingerprint == a.fingerprint)
    assert (hint_b.hosts, hint_b.port) == (LOOPBACK, 7402)
    assert (hint_a.hosts, hint_a.port) == (LOOPBACK, 7401)
    assert hint_a.fingerprint == device_fingerprint(key_a)
    # Neither reported itself.
    assert all(h.fingerprint != a.fingerprint for h in found_a.hints)
    assert a.status().running is False  # stopped


@pytest.mark.asyncio
async def test_a_service_of_another_branch_is_ignored_and_counted() -> None:
    key_a, key_b = new_key(), new_key()
    async with (
        serving(secrets.token_hex(16), key_a, 7401) as (a, found_a),
        serving(secrets.token_hex(16), key_b, 7402) as (_, found_b),
        asyncio.timeout(WAIT_S),
    ):
        while a.status().ignored.get("other_branch", 0) == 0:
            await asyncio.sleep(0.05)
    assert found_a.hints == [] and found_b.hints == []


@pytest.mark.asyncio
async def test_a_node_with_no_address_starts_mdns_when_one_appears() -> None:
    """A laptop that starts serve before it joins Wi-Fi: off at first, on at the recheck."""
    branch, key_a, key_b = secrets.token_hex(16), new_key(), new_key()
    up: list[str] = []
    async with serving(branch, key_a, 7401, addresses=lambda: tuple(up)) as (a, found_a):
        assert a.status().running is False
        assert a.status().error is not None and "no network" in a.status().error
        async with serving(branch, key_b, 7402) as (b, _):
            up.append("127.0.0.1")
            await a.recheck()  # what the interface poll does every DISCOVERY_INTERFACE_POLL_S
            assert a.status().running and a.status().error is None
            await found_a.wait_for(lambda h: h.fingerprint == b.fingerprint)


@pytest.mark.asyncio
async def test_a_changed_address_is_announced_again() -> None:
    """A DHCP lease moves: the poll re-binds zeroconf and re-publishes the address record."""
    branch, key_a, key_b = secrets.token_hex(16), new_key(), new_key()
    mine = ["127.0.0.1"]
    async with (
        serving(branch, key_a, 7401, addresses=lambda: tuple(mine)) as (a, _),
        serving(branch, key_b, 7402) as (_, found_b),
    ):
        await found_b.wait_for(lambda h: h.fingerprint == a.fingerprint)
        mine[:] = ["127.0.0.1", "127.0.0.2"]  # lo answers for all of 127/8
        await a.recheck()
        assert a.status().advertised == ("127.0.0.1", "127.0.0.2")
        moved = await found_b.wait_for(
            lambda h: h.fingerprint == a.fingerprint and "127.0.0.2" in h.hosts
        )
    assert set(moved.hosts) == {"127.0.0.1", "127.0.0.2"}


@pytest.mark.asyncio
async def test_sockets_that_cannot_open_leave_discovery_off_with_a_reason() -> None:
    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): no interface here holds 192.0.2.77.
    async with serving(secrets.token_hex(16), new_key(), 7401, lambda: ("192.0.2.77",)) as (a, _):
        status = a.status()
    assert status.running is False
    assert status.error is not None and "mDNS unavailable" in status.error


# --- the TXT record, read without a network ---------------------------------------------


def service(props: dict[str, str], addresses: Sequence[str] = LOOPBACK) -> AsyncServiceInfo:
    return AsyncServiceInfo(
        SERVICE_TYPE,
        f"peer.{SERVICE_TYPE}",
        port=7400,
        properties=props,
        server="peer.local.",
        parsed_addresses=list(addresses),
    )


BRANCH = branch_tag("0" * 32)
OWN = device_fingerprint("a" * 64)
OTHER = device_fingerprint("b" * 64)


@pytest.mark.parametrize(
    ("props", "addresses", "reason"),
    [
        ({"v": str(PROTOCOL_VERSION), "b": BRANCH}, LOOPBACK, "malformed"),
        ({"v": "999", "b": BRANCH, "d": OTHER}, LOOPBACK, "other_version"),
        (
            {"v": str(PROTOCOL_VERSION), "b": branch_tag("1" * 32), "d": OTHER},
            LOOPBACK,
            "other_branch",
        ),
        ({"v": str(PROTOCOL_VERSION), "b": BRANCH, "d": "not hex"}, LOOPBACK, "malformed"),
        ({"v": str(PROTOCOL_VERSION), "b": BRANCH, "d": OWN}, LOOPBACK, "self"),
        ({"v": str(PROTOCOL_VERSION), "b": BRANCH, "d": OTHER}, (), "no_address"),
    ],
    ids=["no-device", "other-version", "other-branch", "bad-fingerprint", "self", "no-address"],
)
def test_what_a_service_must_say_to_be_a_hint(
    props: dict[str, str], addresses: Sequence[str], reason: str
) -> None:
    assert read_hint(service(props, addresses), BRANCH, OWN) == reason


def test_a_good_service_is_a_hint() -> None:
    props = {"v": str(PROTOCOL_VERSION), "b": BRANCH, "d": OTHER}
    hint = read_hint(service(props, ("10.0.0.5", "192.168.1.9")), BRANCH, OWN)
    assert hint == PeerHint(f"peer.{SERVICE_TYPE}", OTHER, ("10.0.0.5", "192.168.1.9"), 7400)


def test_the_txt_record_names_neither_the_branch_id_nor_the_device_key() -> None:
    branch_id, key = "f" * 32, "e" * 64
    assert branch_id not in branch_tag(branch_id) and key not in device_fingerprint(key)
    assert len(branch_tag(branch_id)) == 64 and len(device_fingerprint(key)) == 32


def test_local_addresses_are_ipv4_and_never_loopback() -> None:
    for address in local_ipv4_addresses():
        assert address.count(".") == 3 and not address.startswith("127.")
