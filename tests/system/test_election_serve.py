"""Three `chitnode serve` processes of one branch elect, forward, hand over and fail over
(issue 11): the treasury's electorate is the admin desktop and two foreman laptops.

- a withdrawal submitted on laptop 1 elects laptop 1 and applies there;
- one submitted on laptop 2 is forwarded to laptop 1 and its receipt comes back;
- `chitnode lease transfer treasury --to <laptop 2>` hands it over: laptop 2 holds it
  (with time left on its own clock), laptop 1 writes no more for it;
- laptop 2 is killed with SIGKILL; a withdrawal on the desk is refused with
  `no_lease_holder` (naming who was tried) until the lease ran out, then a new holder is
  elected and it applies. No acknowledged withdrawal is lost; none is applied twice.

Figures (time to a new holder) are written as a JSON line to stdout.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from chitnode.domain import bank_kinds as bank
from chitnode.domain.wallet_kinds import deposit_body
from sync.channel.credentials import ensure_bound
from tests.support.cli_proc import PASSPHRASE, chitnode, ok
from tests.support.peer import enrol, founder, newcomer
from tests.support.serve_proc import free_port, serve_on, status, until

pytestmark = pytest.mark.system

RUPEE = 100
LEASE_MS = 5_000  # the shortest lease the election allows: failover in seconds
RETRIES_MAX = 40  # a user trying again after no_lease_holder, bounded


def _branch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Path], list[str]]:
    monkeypatch.setenv("CHITNODE_PASSPHRASE", PASSPHRASE)
    root = founder(tmp_path / "n0")
    laptops = [newcomer(tmp_path / f"n{i}", root) for i in (1, 2)]
    for laptop in laptops:
        enrol(root.node, laptop, "foreman")
    ensure_bound(root.node, root.cred)
    node = root.node
    node.submit("member.registered", {"member_id": "M1", "name": "Lakshmi"})
    node.submit("wallet.deposited_cash", deposit_body("M1", 5_000 * RUPEE, "d1", note="cash"))
    keys = sorted([root.key, *(p.key for p in laptops)])
    node.submit("scope.electorate_set", {"scope": "treasury", "keys": keys, "lease_ms": LEASE_MS})
    folders = [tmp_path / f"n{i}" for i in range(3)]
    found = [root.key, *(p.key for p in laptops)]
    for peer in (root, *laptops):
        peer.node.close()
    ok(chitnode("--data", folders[0], "export", tmp_path / "all.chitlog"))
    for folder in folders[1:]:
        ok(chitnode("--data", folder, "import", tmp_path / "all.chitlog"))
    return folders, found


def _withdraw(folder: Path, request_id: str) -> tuple[int, str, str]:
    body = bank.request_body(request_id, "M1", 100 * RUPEE, withdrawal=True)
    proc = chitnode("--data", folder, "submit", "bank.withdrawal_requested", json.dumps(body))
    return proc.returncode, proc.stdout, proc.stderr


def _withdraw_until_elected(folder: Path, request_id: str) -> tuple[int, str, str]:
    """A withdrawal tried again while it gets no_lease_holder, as a user would: freshly
    started serves vote for nobody for a whole lease (docs/coordination.md, Restarts)."""
    for _ in range(RETRIES_MAX):
        code, out, err = _withdraw(folder, request_id)
        if code == 0 or "no_lease_holder" not in err:
            return code, out, err
    return code, out, err


def _leases(folder: Path) -> dict[str, dict[str, object]]:
    rows = json.loads(ok(chitnode("--data", folder, "lease", "status", "--json")))
    return {str(r["scope"]): r for r in rows}


def _requests(folder: Path) -> dict[str, str]:
    out = ok(chitnode("--data", folder, "log", "--json", "--kind", "bank.withdrawal_requested"))
    return {json.loads(line)["body"]["request_id"]: line for line in out.splitlines() if line}


def test_elect_forward_transfer_and_fail_over_between_three_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders, keys = _branch(tmp_path, monkeypatch)
    ports = [free_port() for _ in folders]
    desk_dir, one_dir, two_dir = folders
    with (
        serve_on(desk_dir, ports[0], ports[1], ports[2]) as desk,
        serve_on(one_dir, ports[1], ports[0], ports[2]) as one,
        serve_on(two_dir, ports[2], ports[0], ports[1]) as two,
    ):
        for proc in (desk, one, two):
            proc.wait_ready()
        until(lambda: len(status(desk_dir)["sync"]["connected_in"]) == 2, "both laptops dial in")
        until(lambda: len(status(one_dir)["sync"]["connected_in"]) == 2, "laptop 1 is dialled")

        code, out, err = _withdraw_until_elected(one_dir, "W1")
        assert code == 0, err
        until(lambda: _leases(one_dir)["treasury"]["holder"] == keys[1], "laptop 1 holds")

        code, out, err = _withdraw_until_elected(two_dir, "W2")  # forwarded to laptop 1
        assert code == 0, err
        assert "Applied bank.withdrawal_requested" in out

        out = ok(chitnode("--data", one_dir, "lease", "transfer", "treasury", "--to", keys[2]))
        assert "handed to" in out
        until(
            lambda: (
                _leases(two_dir)["treasury"]["holder"] == keys[2]
                and _leases(two_dir)["treasury"]["status"] == "held"
            ),
            "laptop 2 holds after the transfer",
        )
        left = _leases(two_dir)["treasury"]["time_left_ms"]
        assert isinstance(left, int) and left > 0, "the holder knows its time left"
        code, out, err = _withdraw_until_elected(one_dir, "W3")  # forwarded to laptop 2
        assert code == 0, err

        two.stop(signal.SIGKILL)  # the holder dies mid-session
        killed = time.monotonic()
        refusals = 0
        for _ in range(RETRIES_MAX):
            code, out, err = _withdraw(desk_dir, "W4")
            if code == 0:
                break
            assert "no_lease_holder" in err, err
            refusals += 1
        else:
            raise AssertionError("no new holder was ever elected")
        failover_s = time.monotonic() - killed
        holder = _leases(desk_dir)["treasury"]["holder"]
        assert holder in (keys[0], keys[1])

        until(lambda: set(_requests(desk_dir)) >= {"W1", "W2", "W3", "W4"}, "all on the desk")
        print(
            json.dumps(
                {
                    "test": "election_serve",
                    "operations": 4,
                    "faults": 1,
                    "acknowledged_lost": 4 - len(_requests(desk_dir)),
                    "refused_while_electing": refusals,
                    "new_holder_s": round(failover_s, 2),
                }
            )
        )
        assert len(_requests(desk_dir)) == 4, "every acknowledged withdrawal, once"
