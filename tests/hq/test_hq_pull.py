"""`chitnode hq pull` (sync/hq/pull.py): a head-office device of a branch catches up from
a serving node over the real mutual-TLS channel on loopback, writes nothing into the
branch, and the head office imports what it brought."""

from __future__ import annotations

from pathlib import Path

import pytest

from chitnode.errors import ChitError
from chitnode.hq.office import HeadOffice
from sync.hq.pull import DEVICES_FOLDER, device_folders, pull
from tests.support.peer import HOST, Peer, enrol, founder, joined, newcomer, register, running


def _head_office_device(tmp_path: Path, root: Peer) -> Peer:
    """An auditor device of the root's branch under <data>/hq-devices/, enrolled with its
    certificate bound by the root (what an invite does), before the root serves."""
    device = newcomer(tmp_path / "data" / DEVICES_FOLDER / "branch-1", root)
    enrol(root.node, device, role="auditor")
    return device


async def _join(device: Peer, root: Peer) -> None:
    """The device fetches the branch (as `chitnode join` does), then closes its folder."""
    await device.start(serve=False)
    await joined(device, root)
    await device.stop()


@pytest.mark.asyncio
async def test_pull_brings_what_is_new_and_writes_nothing_into_the_branch(
    office: HeadOffice, tmp_path: Path
) -> None:
    root = founder(tmp_path / "root")
    device = _head_office_device(tmp_path, root)
    register(root.node, 0, 10)
    async with running(root):
        await _join(device, root)
        assert device_folders(tmp_path / "data") == [device.node.store.data_dir]
        await root.run(lambda n: register(n, 10, 5))
        pulled = await pull(device.node.store.data_dir, [(HOST, root.port)])
        assert pulled.stored == 5 and pulled.peer == f"{HOST}:{root.port}"
        result = office.import_export(pulled.export)
        assert result.new_entries == await root.run(lambda n: n.status()["entries"])
        assert result.state_digest == await root.run(lambda n: n.engine.digest())
        assert await root.run(lambda n: n.store.heads().get(device.key)) is None  # read only
        again = await pull(device.node.store.data_dir, [(HOST, root.port)])
        assert again.stored == 0
        with pytest.raises(ChitError) as exc:
            office.import_export(again.export)
        assert exc.value.code == "hq_already_imported"


@pytest.mark.asyncio
async def test_a_pull_nobody_answers_is_a_clear_error(tmp_path: Path) -> None:
    root = founder(tmp_path / "root")
    device = _head_office_device(tmp_path, root)
    async with running(root):
        await _join(device, root)
        port = root.port
    folder = device.node.store.data_dir
    with pytest.raises(ChitError) as exc:
        await pull(folder, [])  # its book knows no peer
    assert exc.value.code == "hq_pull_failed"
    with pytest.raises(ChitError) as exc:
        await pull(folder, [(HOST, port)])  # the branch stopped serving
    assert exc.value.code == "hq_pull_failed"
