"""Pull a branch for the head office: catch up a device folder from its peers, read only.

The head office keeps, per branch, the data folder of a device enrolled in that branch
(`chitnode --data <data>/hq-devices/<name> join CODE`, for example as an auditor). A
pull opens that folder, catches up with the peers its book remembers (and any given
with --peer) over the mutual-TLS channel, exactly as `chitnode serve` does on start,
and exports the device's log for `HeadOffice.import_export`. The device writes
nothing: a reconciliation sends only entries the other side lacks, and the device
holds none of its own (its certificate was bound by the admin who enrolled it). A
device whose key is not bound yet is refused rather than let it bind itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.services.archive import export_file
from chitnode.store.sqlite import DB_FILE
from sync import limits
from sync.channel.credentials import load_or_create
from sync.discovery.book import PeerBook
from sync.node_thread import NodeThread
from sync.peer.client import sync_with
from sync.peer.context import PeerContext

DEVICES_FOLDER = "hq-devices"  # under the head office's data folder: one device a branch
EXPORT_NAME = "hq-pull.chitlog"  # written in the device folder, removed after the import


class PullFailed(ChitError):
    code = "hq_pull_failed"


@dataclass(frozen=True, slots=True)
class Pulled:
    folder: Path
    branch: str
    stored: int  # entries the catch-ups brought
    peer: str  # host:port of the peer that finished a catch-up
    export: Path


def device_folders(data: Path) -> list[Path]:
    """Every device folder under `<data>/hq-devices/`, by name."""
    root = data / DEVICES_FOLDER
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / DB_FILE).is_file())


async def pull(folder: Path, peers: list[tuple[str, int]]) -> Pulled:
    """Catch `folder`'s device up from its peers; export its log. See the module doc."""
    node = Node.open(folder)
    nt = NodeThread(node)
    try:
        if node.role() is None:
            raise PullFailed(
                f"{folder}: this device is not enrolled in its branch yet (`chitnode join`)"
            )
        own = node.public
        before = await nt.run(_own_entries)
        cred = load_or_create(folder, own)
        book = PeerBook(folder)
        ctx = await PeerContext.open(nt, cred, book)
        remembered = [(c.host, c.port) for c in book.candidates(exclude_key=own)]
        dial = list(dict.fromkeys([*peers, *remembered]))[: limits.HQ_PULL_PEERS_MAX]
        if not dial:
            raise PullFailed(f"{folder}: no peer known: give one with --peer HOST:PORT")
        stored, reached, failures = 0, "", []
        for host, port in dial:
            report = await sync_with(ctx, host, port)
            if report.error is None and report.finished:
                stored, reached = stored + report.stored, f"{host}:{port}"
                break
            failures.append(f"{host}:{port} [{report.error or 'unfinished'}]")
        if not reached:
            raise PullFailed(f"{folder}: no peer finished a catch-up: {', '.join(failures)}")
        if await nt.run(_own_entries) != before:  # never expected: say so loudly
            raise PullFailed(f"{folder}: the device wrote entries during the pull")
        export = folder / EXPORT_NAME
        await nt.run(lambda n: export_file(n, export))
        return Pulled(folder, node.branch, stored, reached, export)
    finally:
        await nt.aclose()


def _own_entries(node: Node) -> int:
    head = node.store.heads().get(node.public)
    return head[0] if head else 0
