"""Two `chitnode serve` processes of one branch on loopback: links, live push, `peers`,
and the restored-backup guard (issue 10, points 1, 2 (`peers`), 7 and 10).

The branch is made in this process (a root and an enrolled employee whose certificate
the root bound, as an invite does); the employee gets the log by export and import,
then both serve on loopback, the employee with `--peer` naming the root.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sync.channel.credentials import ensure_bound
from tests.support.cli_proc import PASSPHRASE, chitnode, ok
from tests.support.peer import branch_of
from tests.support.serve_proc import free_port, serve_on, status, until

pytestmark = pytest.mark.system


def _branch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, str]:
    """Root in n0, an enrolled employee in n1 holding the root's log (both certificates
    bound in it, as an invite leaves them); the root's key."""
    monkeypatch.setenv("CHITNODE_PASSPHRASE", PASSPHRASE)
    root, bob = branch_of(tmp_path, 2, entries=5)
    ensure_bound(root.node, root.cred)  # bob trusts the root from the log he imports
    root_key = root.key
    root.node.close()
    bob.node.close()
    n0, n1 = tmp_path / "n0", tmp_path / "n1"
    ok(chitnode("--data", n0, "export", tmp_path / "all.chitlog"))
    ok(chitnode("--data", n1, "import", tmp_path / "all.chitlog"))
    return n0, n1, root_key


def _member(n: int) -> str:
    return json.dumps({"member_id": f"R{n}", "name": f"Restored {n}"})


def test_two_serves_link_push_live_and_a_restored_backup_catches_up_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n0, n1, root_key = _branch(tmp_path, monkeypatch)
    backup = tmp_path / "n0-backup"
    shutil.copytree(n0, backup)  # the root's device, as an old backup holds it
    p0, p1 = free_port(), free_port()
    with serve_on(n0, p0) as root, serve_on(n1, p1, p0) as bob:
        root.wait_ready()
        assert bob.wait_ready()["peer_port"] == p1
        for n in range(3):  # written on the root, pushed to bob over his link
            ok(chitnode("--data", n0, "submit", "member.registered", _member(n), "--id", f"r{n}"))
        head = status(n0)["heads"][root_key]["seq"]
        until(lambda: status(n1)["heads"].get(root_key, {}).get("seq") == head, "bob has it")
        bob_status = status(n1)
        links = bob_status["sync"]["links"]
        assert [(x["address"], x["state"], x["peer"]) for x in links] == [
            (f"127.0.0.1:{p0}", "connected", root_key)
        ]
        peers = ok(chitnode("--data", n1, "peers"))
        assert root_key[:16] in peers and f"127.0.0.1:{p0}" in peers
        assert f"127.0.0.1:{p0}" in peers.split("Links now")[1]
        assert "Discovery: off (--no-discovery)" in peers  # why mDNS adds nobody here
        assert root.stop() == 0, root.err

        shutil.rmtree(n0)
        shutil.copytree(backup, n0)  # restored: the root's own feed is behind bob's copy
        behind = status(n0)["heads"][root_key]["seq"]
        assert behind < head
        with serve_on(n0, p0, p1) as restored:
            restored.wait_ready()
            guard = status(n0)["sync"]["guard"]
            assert guard["state"] == "caught_up", guard
            assert (guard["own_seq_before"], guard["own_seq_after"]) == (behind, head)
            assert "caught_up" in ok(chitnode("--data", n0, "status"))
            out = ok(chitnode("--data", n0, "submit", "member.registered", _member(9)))
            assert f"entry #{head + 1}" in out  # after its real head: no fork of its key
            until(lambda: status(n1)["heads"][root_key]["seq"] == head + 1, "bob has it")
            assert status(n1)["forks"] == [] and status(n0)["forks"] == []
            assert status(n0)["state_digest"] == status(n1)["state_digest"]
            assert restored.stop() == 0, restored.err
        assert bob.stop() == 0, bob.err


def test_with_no_peer_answering_the_node_writes_and_status_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n0, _n1, _root = _branch(tmp_path, monkeypatch)
    nobody = free_port()  # nothing listens there
    with serve_on(n0, free_port(), nobody) as root:
        root.wait_ready()
        guard = status(n0)["sync"]["guard"]
        assert guard["state"] == "unchecked" and "none of 1 known peers answered" in guard["reason"]
        ok(chitnode("--data", n0, "submit", "member.registered", _member(1)))
        rows = json.loads(ok(chitnode("--data", n0, "peers", "--json")))["peers"]
        failed = [r for r in rows if f"127.0.0.1:{nobody}" in " ".join(r["addresses"])]
        assert failed and failed[0]["failure_code"] == "peer_unreachable", rows
        assert root.stop() == 0, root.err
