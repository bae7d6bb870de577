"""The command line says whose word a member's consent is (issue 15, gap 2).

`chitnode init --members-sign` records `branch.consent_rule_set`, so every group formed
from then on takes a member's consent only by the member's phone signature; without it,
init says how to turn it on. `chitnode submit group.created` says, in words, which rule
the new group has. In-process runs of `chitnode.cli.main.main`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chitnode.cli.main import main
from chitnode.domain import member_keys
from chitnode.node.node import Node

GROUP = {
    "group_id": "CLI-1",
    "name": "From the CLI",
    "chit_value_paise": 3_000_000,
    "tickets": 3,
    "months": 3,
    "commission_bps": 500,
    "max_discount_bps": 3_000,
}


@pytest.fixture(autouse=True)
def _keystore_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
    monkeypatch.setenv("CHITNODE_KEYSTORE", "file")
    monkeypatch.delenv("CHITNODE_DATA", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_init_members_sign_makes_every_new_group_signed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "d")
    code, out, _ = run(capsys, "--data", data, "init", "--branch-name", "Udupi", "--members-sign")
    assert code == 0
    assert "Members' consent: in every group formed from now, only by the member's own" in out
    code, out, err = run(capsys, "--data", data, "submit", "group.created", json.dumps(GROUP))
    assert code == 0, err
    assert "CLI-1: members agree (agreement, bids, minutes, draw) only by signing" in out
    with Node.open(Path(data)) as node:
        group = node.engine.state.get("groups", "CLI-1")
        assert member_keys.branch_requires_signed(node.engine.state)
    assert group is not None and group["consent"] == member_keys.CONSENT_SIGNED


def test_init_without_it_says_how_and_a_group_may_ask_for_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "d")
    code, out, _ = run(capsys, "--data", data, "init", "--branch-name", "Udupi")
    assert code == 0 and "branch.consent_rule_set" in out
    code, out, _ = run(capsys, "--data", data, "submit", "group.created", json.dumps(GROUP))
    assert code == 0 and "as in older groups, staff may record the consent" in out
    signed = {**GROUP, "group_id": "CLI-2", "consent": member_keys.CONSENT_SIGNED}
    code, out, _ = run(capsys, "--data", data, "submit", "group.created", json.dumps(signed))
    assert code == 0 and "CLI-2: members agree" in out
    off = {**GROUP, "group_id": "CLI-3", "consent": "unsigned"}
    code, out, err = run(capsys, "--data", data, "submit", "group.created", json.dumps(off))
    assert code == 1 and err.startswith("chitnode: error [bad_variant]: ") and out == ""
    quiet = json.dumps({**signed, "group_id": "CLI-4"})
    code, out, _ = run(capsys, "--data", data, "submit", "--json", "group.created", quiet)
    assert code == 0 and json.loads(out)["status"] == "applied"  # --json stays JSON
