"""mDNS discovery: advertise this node and find the others of its branch (a hint only).

A serving node advertises `<name>._chitnode._tcp.local.` with python-zeroconf's async
API (AsyncZeroconf, AsyncServiceInfo, AsyncServiceBrowser) on its IPv4 addresses,
and browses for the same type. The TXT record says which services are worth a dial:

    v  the sync protocol version (sync.reconcile PROTOCOL_VERSION)
    b  sha256 of the branch id (domain-separated), so the LAN learns which services
       belong together but not the branch id itself (nor, of course, its name)
    d  the device key's fingerprint (sha256, domain-separated, 32 hex): which device
       it claims to be, so a node skips itself and the shell can match it to an
       enrolled device before it dials

A service of another branch or protocol version, or with a malformed TXT, is ignored
and counted (`status()`); one that passes becomes a `PeerHint` for the shell. Nothing
in it is trusted: anyone on the LAN can advertise anything, and the channel
authenticates whoever answers at the address (docs/sync.md, "Discovery").

Interfaces change (a laptop joins Wi-Fi, a DHCP lease moves, a cable comes out), and
zeroconf 0.154 does not watch for that itself: it offers
`AsyncZeroconf.async_update_interfaces`, which re-binds the multicast sockets to a
new interface list and re-announces. So every `DISCOVERY_INTERFACE_POLL_S` this module
lists the up, non-loopback IPv4 addresses with psutil (portable: Linux, macOS and
Windows, one cheap call) and, when the set changed, passes it to
`async_update_interfaces` and re-publishes the service's address records with
`async_update_service`. A node that starts with no network starts zeroconf when the
first address appears; an error opening the sockets leaves discovery off and says why,
and the next poll tries again: `--peer` and remembered addresses still work.
IPv6 is not advertised: a link-local address needs its scope, which differs per host.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import psutil
from zeroconf import Error as ZeroconfError
from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from chitnode.clock import SystemClock
from sync import limits
from sync.reconcile import PROTOCOL_VERSION

_log = logging.getLogger(__name__)
SERVICE_TYPE = "_chitnode._tcp.local."
_BRANCH_DOMAIN = b"chitnode/mdns/branch/v1\x00"  # what the branch hash is of, besides the id
_DEVICE_DOMAIN = b"chitnode/mdns/device/v1\x00"
FINGERPRINT_HEX_CHARS = 32  # 128 bits: enough to tell a branch's devices apart, not a secret
_HEX_RE = re.compile(r"\A[0-9a-f]+\Z")


def branch_tag(branch_id: str) -> str:
    """The TXT `b` value: sha256 over a domain tag and the branch id, 64 hex."""
    return hashlib.sha256(_BRANCH_DOMAIN + branch_id.encode()).hexdigest()


def device_fingerprint(device_key: str) -> str:
    """The TXT `d` value of a device key (64 hex): a short domain-separated sha256."""
    digest = hashlib.sha256(_DEVICE_DOMAIN + device_key.encode()).hexdigest()
    return digest[:FINGERPRINT_HEX_CHARS]


@dataclass(frozen=True, slots=True)
class PeerHint:
    """A service of this branch and protocol version that someone on the LAN advertises."""

    name: str  # the mDNS instance name
    fingerprint: str  # the device it claims to be (device_fingerprint); unproven
    hosts: tuple[str, ...]  # IPv4 addresses, as advertised
    port: int


@dataclass(slots=True)
class DiscoveryStatus:
    """What discovery did, for `chitnode status` and `chitnode peers` (diagnosing a LAN)."""

    running: bool = False
    error: str | None = None  # why mDNS is off, when it is
    advertised: tuple[str, ...] = ()  # own addresses in the service's records
    hints: int = 0  # services of this branch found (each lookup that passed)
    ignored: dict[str, int] = field(default_factory=dict)  # reason -> services ignored
    last_hint_ms: int | None = None  # wall time of the last hint


def local_ipv4_addresses() -> tuple[str, ...]:
    """The up, non-loopback IPv4 addresses of this host, sorted (psutil)."""
    stats = psutil.net_if_stats()
    found: set[str] = set()
    for name, addresses in psutil.net_if_addrs().items():
        stat = stats.get(name)
        if stat is None or not stat.isup:
            continue
        for address in addresses:
            if (
                address.family == socket.AF_INET
                and not ipaddress.ip_address(address.address).is_loopback
            ):
                found.add(address.address)
    return tuple(sorted(found)[: limits.DISCOVERY_ADVERTISED_ADDRESSES_MAX])


def read_hint(info: AsyncServiceInfo, branch: str, own: str) -> PeerHint | str:
    """The hint a resolved service gives, or why it is ignored (a reason word)."""
    props: dict[bytes, bytes | None] = info.properties
    version, tag, fingerprint = props.get(b"v"), props.get(b"b"), props.get(b"d")
    if version is None or tag is None or fingerprint is None:
        return "malformed"
    if version != str(PROTOCOL_VERSION).encode():
        return "other_version"
    if tag != branch.encode():
        return "other_branch"
    fpr = fingerprint.decode("ascii", "replace")
    if len(fpr) != FINGERPRINT_HEX_CHARS or _HEX_RE.match(fpr) is None:
        return "malformed"
    if fpr == own:
        return "self"
    hosts = tuple(info.parsed_addresses(IPVersion.V4Only))[: limits.DISCOVERY_HINT_ADDRESSES_MAX]
    if not hosts or not info.port:
        return "no_address"
    return PeerHint(info.name, fpr, hosts, info.port)


class Discovery:
    """Advertise this node's peer port and report the branch's other nodes to `on_found`.

    `addresses` lists the IPv4 addresses to use, asked again every poll: by default the
    host's (`local_ipv4_addresses`); tests pass loopback ones. `on_found` runs on the event loop for
    each service found or updated; it must not block (schedule a dial, note the book).
    """

    def __init__(
        self,
        branch_id: str,
        device_key: str,
        port: int,
        on_found: Callable[[PeerHint], None],
        *,
        addresses: Callable[[], Sequence[str]] = local_ipv4_addresses,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self._branch = branch_tag(branch_id)
        self._fingerprint = device_fingerprint(device_key)
        self._port = port
        self._on_found = on_found
        self._list_addresses = addresses
        self._now_ms = now_ms or SystemClock().now_ms
        self._aiozc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._info: AsyncServiceInfo | None = None
        self._poll: asyncio.Task[None] | None = None
        self._resolving: set[asyncio.Task[None]] = set()
        self._status = DiscoveryStatus()
        self._rechecking = asyncio.Lock()  # the poll and a caller's recheck, one at a time

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def status(self) -> DiscoveryStatus:
        s = self._status
        return DiscoveryStatus(
            s.running, s.error, s.advertised, s.hints, dict(s.ignored), s.last_hint_ms
        )

    async def start(self) -> None:
        """Open mDNS on the current addresses and begin watching them; never raises.

        With no address yet, or when the sockets cannot be opened, discovery stays off
        (status says why) and the interface poll tries again.
        """
        await self.recheck()
        self._poll = asyncio.create_task(self._watch(), name="mdns-interfaces")

    async def stop(self) -> None:
        """Say goodbye on the LAN and close the sockets (bounded in time)."""
        if self._poll is not None:
            self._poll.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poll
            self._poll = None
        await self._close()

    # --- the interface list -------------------------------------------------------------

    async def recheck(self) -> None:
        """List the addresses again; if they changed (or mDNS is off), apply them."""
        try:
            addresses = tuple(self._list_addresses())[: limits.DISCOVERY_ADVERTISED_ADDRESSES_MAX]
        except OSError as exc:  # psutil could not list them: keep what we have
            _log.warning("cannot list network interfaces: %s", exc)
            return
        async with self._rechecking:
            if addresses != self._status.advertised or not self._status.running:
                await self._apply(addresses)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(limits.DISCOVERY_INTERFACE_POLL_S)
            await self.recheck()

    async def _apply(self, addresses: tuple[str, ...]) -> None:
        """Make mDNS use `addresses`: open, re-bind and re-announce, or close."""
        try:
            async with asyncio.timeout(limits.DISCOVERY_START_TIMEOUT_S):
                if not addresses:
                    await self._close()
                    self._status.error = "no network: no up, non-loopback IPv4 address"
                elif self._aiozc is None:
                    await self._open(addresses)
                else:
                    await self._aiozc.async_update_interfaces(interfaces=list(addresses))
                    self._info = self._service(addresses)
                    await self._aiozc.async_update_service(self._info)
                    _log.info("mDNS now on %s", ", ".join(addresses))
                self._status.advertised = addresses
        except (OSError, RuntimeError, TimeoutError, ValueError, ZeroconfError) as exc:
            # Sockets (OSError), interface lists (RuntimeError, ValueError), zeroconf's own
            # (NonUniqueName, NotRunning): discovery is a hint, so serve goes on without it.
            await self._fail(f"mDNS unavailable on {', '.join(addresses)}: {exc!r}")

    async def _open(self, addresses: tuple[str, ...]) -> None:
        aiozc = AsyncZeroconf(interfaces=list(addresses), ip_version=IPVersion.V4Only)
        self._aiozc = aiozc
        self._info = self._service(addresses)
        # allow_name_change: a previous run's name may still be held by a stale
        # responder; zeroconf then picks "<name> (2)", which nothing relies on.
        await aiozc.async_register_service(self._info, allow_name_change=True)
        self._browser = AsyncServiceBrowser(
            aiozc.zeroconf, SERVICE_TYPE, handlers=[self._on_change]
        )
        self._status.running, self._status.error = True, None
        _log.info("mDNS advertising %s on %s", self._info.name, ", ".join(addresses))

    def _service(self, addresses: tuple[str, ...]) -> AsyncServiceInfo:
        host = f"chitnode-{self._fingerprint[:16]}"
        return AsyncServiceInfo(
            SERVICE_TYPE,
            f"{host}.{SERVICE_TYPE}",
            port=self._port,
            properties={"v": str(PROTOCOL_VERSION), "b": self._branch, "d": self._fingerprint},
            server=f"{host}.local.",
            parsed_addresses=list(addresses),
        )

    async def _fail(self, why: str) -> None:
        if why != self._status.error:  # each poll retries; say it once, not every poll
            _log.warning("%s; peers are still reached by --peer and remembered addresses", why)
        await self._close()
        self._status.error = why

    async def _close(self) -> None:
        for task in list(self._resolving):
            task.cancel()
        aiozc, self._aiozc = self._aiozc, None
        browser, self._browser = self._browser, None
        self._status.running, self._status.advertised = False, ()
        if aiozc is None:
            return
        try:
            async with asyncio.timeout(limits.DISCOVERY_STOP_TIMEOUT_S):
                if browser is not None:
                    await browser.async_cancel()
                await aiozc.async_close()  # unregisters: goodbye packets, then closes
        except (OSError, TimeoutError) as exc:
            _log.warning("mDNS did not close cleanly: %r", exc)

    # --- what the browser hears ---------------------------------------------------------

    def _on_change(
        self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        """Called by the browser on the loop: look the service up in a task, bounded."""
        if state_change is ServiceStateChange.Removed or name == getattr(self._info, "name", ""):
            return
        if len(self._resolving) >= limits.DISCOVERY_RESOLVES_MAX:
            self._count("busy")  # its next announcement or update tries again
            return
        task = asyncio.get_running_loop().create_task(self._resolve(zeroconf, service_type, name))
        self._resolving.add(task)
        task.add_done_callback(self._resolving.discard)

    async def _resolve(self, zeroconf: Zeroconf, service_type: str, name: str) -> None:
        info = AsyncServiceInfo(service_type, name)
        try:
            found = await info.async_request(zeroconf, limits.DISCOVERY_RESOLVE_TIMEOUT_MS)
        except (OSError, RuntimeError, ValueError, ZeroconfError) as exc:  # closing under us
            _log.debug("mDNS lookup of %s failed: %r", name, exc)
            return
        if not found:
            self._count("unresolved")
            return
        hint = read_hint(info, self._branch, self._fingerprint)
        if isinstance(hint, str):
            self._count(hint)
            return
        self._status.hints += 1
        self._status.last_hint_ms = self._now_ms()
        try:
            self._on_found(hint)
        except Exception:  # the shell's bug must not stop discovery for everyone else
            _log.exception("on_found failed for %s", name)

    def _count(self, reason: str) -> None:
        self._status.ignored[reason] = self._status.ignored.get(reason, 0) + 1
