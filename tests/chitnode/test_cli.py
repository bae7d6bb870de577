"""The `chitnode` command line: `chitnode.cli.main.main([...])` in-process, plus a few runs of
the installed console script. Bad arguments exit 2 with one line on stderr; refused
operations exit 1 with `error [code]`; never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode.cli.main import main
from chitnode.domain.chit_kinds_auction import LOT_V2, branch_rules
from chitnode.node.node import Node
from tests.support.clock import FakeClock
from tests.vectors import tamper as t

T0 = FakeClock().wall_ms  # 2026-01-01T00:00:00Z
DAY_MS = 86_400_000
KEY_A = "a1" * 32
KEY_B = "b2" * 32
PASSPHRASE = "test-passphrase"


@pytest.fixture(autouse=True)
def _keystore_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHITNODE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("CHITNODE_KEYSTORE", "file")
    monkeypatch.delenv("CHITNODE_DATA", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `chitnode argv...` in-process; (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse exits for bad arguments, --help and --version
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def usage_error(code: int, out: str, err: str) -> None:
    assert code == 2, (code, out, err)
    assert out == ""
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    assert err.startswith("chitnode: ")
    assert "Traceback" not in err


def refused(code: int, out: str, err: str, error_code: str) -> None:
    assert code == 1, (code, out, err)
    assert err.startswith(f"chitnode: error [{error_code}]: "), err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A data folder written on a fake clock, one entry a day from T0, and its root key.

    day 0 genesis, day 1 enrol A (foreman), day 2 enrol B (member), day 3 revoke A.
    Tests only read it.
    """
    folder = tmp_path_factory.mktemp("history") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHITNODE_PASSPHRASE", PASSPHRASE)
        mp.setenv("CHITNODE_KEYSTORE", "file")
        clock = FakeClock()
        with Node.init(folder, "Mangaluru Main", clock=clock) as node:
            root = node.public
            clock.advance(DAY_MS)
            node.submit("device.enrolled", {"key": KEY_A, "role": "foreman", "name": "Laptop"})
            clock.advance(DAY_MS)
            node.submit("device.enrolled", {"key": KEY_B, "role": "member", "name": "Phone"})
            clock.advance(DAY_MS)
            node.submit("device.revoked", {"key": KEY_A, "reason": "lost"})
    yield folder, root


@pytest.fixture
def folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A fresh branch founded through the CLI."""
    data = tmp_path / "data"
    code, out, _ = run(capsys, "--data", str(data), "init", "--branch-name", "Main")
    assert code == 0, out
    return data


def status_json(capsys: pytest.CaptureFixture[str], data: Path) -> dict[str, object]:
    code, out, _ = run(capsys, "--data", str(data), "status", "--json")
    assert code == 0
    return json.loads(out)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- init and status


def test_init_then_status(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = status_json(capsys, folder)
    assert doc["branch_name"] == "Main" and doc["role"] == "admin"
    assert doc["root"] == doc["device_key"]
    # the genesis and the branch's chit rules (issue 14 point 2: new groups draw unsteerably)
    assert (doc["entries"], doc["applied"], doc["rejected"], doc["held"]) == (2, 2, 0, 0)
    assert doc["forks"] == []
    assert list(doc["heads"]) == [doc["device_key"]]  # type: ignore[call-overload]

    code, out, err = run(capsys, "--data", str(folder), "status")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"Branch        Main ({doc['branch']})"
    assert lines[1] == f"This device   {doc['device_key']} (admin)"
    assert lines[2] == "Entries       2 (applied 2, rejected 0, held 0, frozen 0)"
    assert lines[3] == f"State digest  {doc['state_digest']}"
    assert "Forks         none" in lines[4:]  # then the plugins' lines (sync: peers, lag)


def test_init_prints_branch_and_key_and_refuses_a_second_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d"
    code, out, _ = run(capsys, "--data", str(data), "init", "--branch-name", "Udupi")
    assert code == 0
    first, second, third, fourth = out.splitlines()
    assert first.startswith("Founded branch 'Udupi' (") and first.endswith(f") in {data}")
    assert second.startswith("Root admin key: ") and len(second.split()[-1]) == 64
    assert third.startswith("Chit rules: India (Chit Funds Act 1982), discount ceiling 40% ")
    assert fourth.startswith("Members' consent: as before")  # test_cli_consent.py: the rest
    code, out, err = run(capsys, "--data", str(data), "init", "--branch-name", "Again")
    assert code == 2 and err.startswith("chitnode: error [usage]: ")
    code, out, err = run(capsys, "--data", str(tmp_path / "e"), "init", "--branch-name", " ")
    assert code == 2 and err.startswith("chitnode: error [usage]: ")


def test_init_records_the_branch_chit_rules_so_new_groups_draw_by_commit_reveal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14 point 2: a branch founded from the CLI is never on the steerable lot v1."""
    data = tmp_path / "d"
    argv = ("init", "--branch-name", "Udupi", "--state", "Karnataka")
    assert run(capsys, "--data", str(data), *argv, "--discount-ceiling-pct", "35")[0] == 0
    with Node.open(data) as node:
        rules = branch_rules(node.engine.state)
    assert rules is not None
    assert (rules["state"], rules["discount_ceiling_bps"], rules["lot"]) == (
        "Karnataka",
        3_500,
        LOT_V2,
    )
    code, _, err = run(capsys, "--data", str(tmp_path / "e"), *argv, "--state", " ")
    assert code == 2 and "--state" in err and not (tmp_path / "e").exists()


def test_data_folder_from_the_environment_and_after_the_subcommand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "env-data"
    monkeypatch.setenv("CHITNODE_DATA", str(data))
    assert run(capsys, "init", "--branch-name", "Env")[0] == 0
    assert (data / "chitnode.db").exists()
    monkeypatch.delenv("CHITNODE_DATA")
    code, out, _ = run(capsys, "status", "--json", "--data", str(data))
    assert code == 0 and json.loads(out)["branch_name"] == "Env"


def test_status_of_a_folder_without_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused(*run(capsys, "--data", str(tmp_path / "none"), "status"), "not_initialised")


def test_wrong_passphrase_is_an_error_not_a_traceback(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHITNODE_PASSPHRASE", "another-passphrase")
    refused(*run(capsys, "--data", str(folder), "status"), "key_unavailable")


# --------------------------------------------------------------------------- log


def log(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> list[dict[str, object]]:
    code, out, err = run(capsys, "--data", str(data), "log", "--json", *args)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_log_lists_the_audit_trail_in_fold_order(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data, root = history
    rows = log(capsys, data)
    assert [(r["seq"], r["kind"]) for r in rows] == [
        (1, "branch.genesis"),
        (2, "device.enrolled"),
        (3, "device.enrolled"),
        (4, "device.revoked"),
    ]
    assert [r["ts"] for r in rows] == [T0 + i * DAY_MS for i in range(4)]
    assert all(r["author"] == r["actor"] == root and r["status"] == "applied" for r in rows)
    assert rows[1]["body"] == {"key": KEY_A, "role": "foreman", "name": "Laptop"}

    code, out, _ = run(capsys, "--data", str(data), "log")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith(f"2026-01-01 00:00:00 {root[:8]}#1 ")
    assert "branch.genesis" in lines[0] and "branch_name=Mangaluru Main" in lines[0]
    assert lines[3].startswith(f"2026-01-04 00:00:00 {root[:8]}#4 ")
    assert "device.revoked" in lines[3] and "reason=lost" in lines[3]


@pytest.mark.parametrize(
    ("args", "seqs"),
    [
        pytest.param(["--kind", "device.enrolled"], [2, 3], id="kind"),
        pytest.param(["--kind", "no.such_kind"], [], id="kind-none"),
        pytest.param(["--actor", "ROOT"], [1, 2, 3, 4], id="actor-root"),
        pytest.param(["--actor", KEY_A], [], id="actor-other"),
        pytest.param(["--since", "2026-01-02"], [2, 3, 4], id="since-date"),
        pytest.param(["--since", str(T0 + 2 * DAY_MS)], [3, 4], id="since-ms"),
        pytest.param(["--until", "2026-01-02"], [1, 2], id="until-date"),
        pytest.param(["--until", "2026-01-02T23:59:59"], [1, 2], id="until-datetime"),
        pytest.param(["--until", str(T0 + 2 * DAY_MS - 1)], [1, 2], id="until-ms"),
        pytest.param(["--since", "2026-01-02", "--until", "2026-01-03"], [2, 3], id="window"),
        pytest.param(
            ["--since", "2026-01-02T05:30:00+05:30", "--until", "2026-01-02T05:30:00+05:30"],
            [2],
            id="timezone",
        ),
        pytest.param(["--kind", "device.enrolled", "--since", "2026-01-03"], [3], id="kind+since"),
        pytest.param(["--limit", "2"], [3, 4], id="limit-keeps-the-latest"),
    ],
)
def test_log_filters(
    history: tuple[Path, str],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    seqs: list[int],
) -> None:
    data, root = history
    args = [root if a == "ROOT" else a for a in args]
    assert [r["seq"] for r in log(capsys, data, *args)] == seqs


# --------------------------------------------------------------------------- enrol and revoke


def test_enrol_and_revoke(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data", str(folder)]
    code, out, _ = run(capsys, *data, "enrol", KEY_A, "--role", "foreman", "--name", "Laptop")
    assert code == 0
    assert out == f"Enrolled {KEY_A} as foreman: entry #3 applied\n"
    code, out, _ = run(capsys, *data, "revoke", KEY_A, "--reason", "lost")
    assert code == 0 and out == f"Revoked {KEY_A} after its entry #0: entry #4 applied\n"
    rows = log(capsys, folder)
    assert [r["kind"] for r in rows] == [
        "branch.genesis",
        "branch.chit_rules_set",
        "device.enrolled",
        "device.revoked",
    ]

    before = status_json(capsys, folder)
    refused(*run(capsys, *data, "revoke", KEY_A, "--reason", "again"), "already_revoked")
    refused(*run(capsys, *data, "enrol", KEY_A, "--role", "admin", "--name", "Back"), "key_revoked")
    refused(*run(capsys, *data, "revoke", KEY_B, "--reason", "never"), "unknown_device")
    assert status_json(capsys, folder) == before  # refused commands append nothing


# --------------------------------------------------------------------------- rebuild


def test_rebuild_keeps_the_digest(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = history
    digest = status_json(capsys, data)["state_digest"]
    code, out, _ = run(capsys, "--data", str(data), "rebuild")
    assert code == 0
    assert out.splitlines() == [f"before {digest}", f"after  {digest}", "same"]
    code, out, _ = run(capsys, "--data", str(data), "rebuild", "--json")
    assert code == 0
    assert json.loads(out) == {"before": digest, "after": digest, "same": True}
    assert status_json(capsys, data)["state_digest"] == digest


# --------------------------------------------------------------------------- export, import, verify


def test_export_verify_import(
    history: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, root = history
    path = tmp_path / "main.chitlog"
    code, out, _ = run(capsys, "--data", str(data), "export", str(path))
    assert code == 0 and out == f"Exported 4 entries to {path}\n"
    assert t.reference_codes(path.read_bytes()) == set()

    code, out, _ = run(capsys, "verify", str(path))
    assert code == 0 and out == "OK: 4 entries, 1 feeds, no problems\n"

    partial = tmp_path / "partial.chitlog"
    code, out, _ = run(
        capsys, "--data", str(data), "export", str(partial), "--author", root, "--from-seq", "3"
    )
    assert code == 0 and out == f"Exported 2 entries to {partial}\n"
    code, out, _ = run(capsys, "verify", str(partial))
    assert code == 0
    assert out.splitlines() == [
        f"note: feed {root} is partial from seq 3",
        "OK: 2 entries, 1 feeds, no problems",
    ]

    code, out, _ = run(capsys, "--data", str(data), "import", str(path))
    assert code == 0 and out == "Imported 0 new entries (4 already held) from 1 feed\n"

    # A second store founded with the same branch id, with its own (older) genesis, is
    # another branch (wal-v1 §5: a branch is its id and its root): refused, unchanged.
    other = second_store(capsys, data, tmp_path / "other", T0 - 30 * DAY_MS)
    before = status_json(capsys, other)
    refused(*run(capsys, "--data", str(other), "import", str(path)), "wrong_branch")
    assert status_json(capsys, other) == before


def second_store(
    capsys: pytest.CaptureFixture[str], data: Path, folder: Path, genesis_ms: int
) -> Path:
    """Another store of `data`'s branch, with its own genesis at `genesis_ms`, closed."""
    branch = status_json(capsys, data)["branch"]
    assert isinstance(branch, str)
    Node.init(folder, "Second", clock=FakeClock(wall_ms=genesis_ms), branch_id=branch).close()
    return folder


def test_import_of_a_tampered_export(
    history: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, root = history
    path = tmp_path / "main.chitlog"
    assert run(capsys, "--data", str(data), "export", str(path))[0] == 0
    lines = path.read_bytes().splitlines()

    # A bad seal refuses the whole file.
    seal = json.loads(lines[-1])
    bad_seal = tmp_path / "bad_seal.chitlog"
    bad_seal.write_bytes(
        b"\n".join([*lines[:-1], t.canon({**seal, "sig": t.flip_hex(seal["sig"])})]) + b"\n"
    )
    before = status_json(capsys, data)
    refused(*run(capsys, "--data", str(data), "import", str(bad_seal)), "import_refused")
    assert status_json(capsys, data) == before

    # A bad entry signature, re-sealed by another exporter: the feed is skipped, exit 1.
    header = {**json.loads(lines[0]), "exporter": t.STRANGER}
    entry = json.loads(lines[2])
    entry["sig"] = t.flip_hex(entry["sig"])
    resealed = t.seal_lines(
        [t.canon(header), lines[1], t.canon(entry), *lines[3:-1]], t.STRANGER_SK
    )
    bad_sig = tmp_path / "bad_sig.chitlog"
    bad_sig.write_bytes(resealed)
    code, out, err = run(capsys, "--data", str(data), "import", str(bad_sig))
    assert code == 1 and err == ""
    assert out.splitlines() == [
        "Imported 0 new entries (0 already held) from 0 feeds",
        f"REFUSED feed {root}: bad_sig (4 entries; nothing from this feed was stored)",
    ]
    assert status_json(capsys, data) == before

    code, out, _ = run(capsys, "verify", str(bad_sig))
    assert code == 1
    assert out.splitlines() == [f"bad_sig 2 {root}", "FAILED: 4 entries, 1 feeds, bad_sig 1"]


def test_import_of_a_missing_file(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refused(
        *run(capsys, "--data", str(folder), "import", str(folder / "nope.chitlog")),
        "import_refused",
    )


def test_export_with_nothing_to_export(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = folder.parent / "x.chitlog"
    refused(
        *run(capsys, "--data", str(folder), "export", str(out_file), "--from-seq", "9"),
        "bad_format",
    )
    assert not out_file.exists()


def test_export_into_a_missing_folder_is_an_error_not_a_traceback(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = folder.parent / "no-such-dir" / "x.chitlog"
    code, _, err = run(capsys, "--data", str(folder), "export", str(target))
    assert code == 1 and err.startswith("chitnode: error [")


def test_absurd_timestamp_is_a_usage_error(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = history
    usage_error(*run(capsys, "--data", str(data), "log", "--since", "9" * 20))


# --------------------------------------------------------------------------- calc


def test_calc_auction_worked_example(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["calc", "auction", "--chit-value", "10,00,000", "--tickets", "50"]
    code, out, _ = run(capsys, *args, "--discount", "3,00,000", "--commission-pct", "5")
    assert code == 0
    rows = {line[:34].strip(): line[34:].strip() for line in out.splitlines()}
    assert rows["Chit value"] == "₹10,00,000.00"
    assert rows["Monthly subscription"] == "₹20,000.00"
    assert rows["Winning discount"] == "₹3,00,000.00"
    assert rows["Foreman commission"] == "₹50,000.00"
    assert rows["Dividend pool"] == "₹2,50,000.00"
    assert rows["Dividend per ticket (x50)"] == "₹5,000.00"
    assert rows["Next instalment"] == "₹15,000.00"
    assert rows["Prize to the winner"] == "₹7,00,000.00"

    code, out, _ = run(capsys, *args, "--discount", "300000", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["prize_paise"] == 70_000_000
    assert doc["next_instalment_paise"] == 1_500_000
    assert doc["subscription_paise"] == 2_000_000
    assert doc["commission_paise"] == 5_000_000
    assert doc["dividend_pool_paise"] == 25_000_000
    assert doc["per_ticket_dividend_paise"] == 500_000
    assert all(isinstance(v, int) for k, v in doc.items() if k.endswith("_paise"))


def test_calc_emi_worked_example(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["calc", "emi", "--principal", "1,00,000", "--annual-rate", "10", "--months", "12"]
    code, out, _ = run(capsys, *args)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "EMI ₹8,791.59 for 12 months"
    assert len(lines) == 2 + 12 + 1
    assert lines[2].split() == ["1", "₹8,791.59", "₹833.33", "₹7,958.26", "₹92,041.74"]
    assert lines[13].split()[-1] == "₹0.00"
    code, out, _ = run(capsys, *args, "--json")
    doc = json.loads(out)
    assert doc["emi_paise"] == 879_159
    assert len(doc["schedule"]) == 12 and doc["schedule"][-1]["balance_paise"] == 0
    principal = sum(r["principal_paise"] for r in doc["schedule"])
    assert principal == 10_000_000  # every paisa of principal repaid exactly
    assert lines[-1] == "Total interest ₹" + f"{doc['total_interest_paise'] / 100:,.2f}"


def test_calc_rule_violations_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    auction = ["calc", "auction", "--chit-value", "10,00,000", "--tickets", "50"]
    refused(*run(capsys, *auction, "--discount", "9,00,000"), "bid_above_cap")
    refused(
        *run(capsys, *auction, "--discount", "3,00,000", "--commission-pct", "9"),
        "commission_above_cap",
    )
    emi = ["calc", "emi", "--principal", "0", "--annual-rate", "10", "--months", "12"]
    refused(*run(capsys, *emi), "non_positive_amount")


# --------------------------------------------------------------------------- bad arguments


KEY = "ab" * 32
AUCTION = ["calc", "auction", "--chit-value", "1", "--tickets", "1", "--discount", "1"]


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([], id="no-command"),
        pytest.param(["nosuch"], id="unknown-command"),
        pytest.param(["status", "--bogus"], id="unknown-option"),
        pytest.param(["--data"], id="data-without-value"),
        pytest.param(["init"], id="init-without-name"),
        pytest.param(["log", "--limit", "0"], id="limit-0"),
        pytest.param(["log", "--since", "garbage"], id="since-garbage"),
        pytest.param(["log", "--until", "2026-13-01"], id="until-bad-date"),
        pytest.param(["export"], id="export-without-file"),
        pytest.param(["export", "x", "--author", "AB" * 32], id="export-upper-author"),
        pytest.param(["export", "x", "--from-seq", "0"], id="export-from-seq-0"),
        pytest.param(["import"], id="import-without-file"),
        pytest.param(["verify"], id="verify-without-file"),
        pytest.param(["enrol", "zz", "--role", "foreman", "--name", "x"], id="enrol-bad-key"),
        pytest.param(["enrol", KEY, "--role", "king", "--name", "x"], id="enrol-bad-role"),
        pytest.param(["enrol", KEY, "--role", "member"], id="enrol-without-name"),
        pytest.param(["revoke", KEY], id="revoke-without-reason"),
        pytest.param(["calc"], id="calc-without-kind"),
        pytest.param(["calc", "auction"], id="auction-without-args"),
        pytest.param(
            ["calc", "auction", "--chit-value", "abc", "--tickets", "5", "--discount", "1"],
            id="auction-bad-amount",
        ),
        pytest.param(
            ["calc", "auction", "--chit-value", "100", "--tickets", "0", "--discount", "1"],
            id="auction-zero-tickets",
        ),
        pytest.param([*AUCTION, "--dividend-to", "nobody"], id="auction-bad-choice"),
        pytest.param([*AUCTION, "--commission-mode", "x"], id="auction-bad-mode"),
        pytest.param(
            ["calc", "emi", "--principal", "1.234", "--annual-rate", "1", "--months", "1"],
            id="emi-fractional-paise",
        ),
        pytest.param(
            ["calc", "emi", "--principal", "1", "--annual-rate", "x", "--months", "1"],
            id="emi-bad-rate",
        ),
        pytest.param(
            ["calc", "emi", "--principal", "1", "--annual-rate", "1", "--months", "0"],
            id="emi-zero-months",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    prefix = [] if argv == ["--data"] else ["--data", str(tmp_path / "unused")]
    usage_error(*run(capsys, *prefix, *argv))
    assert not (tmp_path / "unused").exists()


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("chitnode ")
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "verify" in out and "calc" in out


# --------------------------------------------------------------------------- the console script


def console_script() -> list[str]:
    beside = Path(sys.executable).parent / "chitnode"
    found = str(beside) if beside.exists() else shutil.which("chitnode")
    if found is None:
        pytest.skip("the chitnode console script is not installed")
    return [found]


def script(*argv: str, cmd: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [*(cmd or console_script()), *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
    )


def test_console_script_calc_emi() -> None:
    run_ = script("calc", "emi", "--principal", "1,00,000", "--annual-rate", "10", "--months", "12")
    assert run_.returncode == 0, run_.stderr
    assert run_.stdout.splitlines()[0] == "EMI ₹8,791.59 for 12 months"


def test_console_script_bad_arguments_and_errors(tmp_path: Path) -> None:
    bad = script("calc", "auction", "--tickets", "x")
    assert bad.returncode == 2 and bad.stdout == ""
    assert len(bad.stderr.splitlines()) == 1 and "Traceback" not in bad.stderr
    missing = script("--data", str(tmp_path / "none"), "status")
    assert missing.returncode == 1
    assert missing.stderr.startswith("chitnode: error [not_initialised]: ")
    assert "Traceback" not in missing.stderr


def test_console_script_init_and_verify(tmp_path: Path) -> None:
    data = tmp_path / "data"
    init = script("--data", str(data), "init", "--branch-name", "Subprocess")
    assert init.returncode == 0, init.stderr
    path = tmp_path / "out.chitlog"
    assert script("--data", str(data), "export", str(path)).returncode == 0
    ok = script("verify", str(path))
    assert ok.returncode == 0 and ok.stdout == "OK: 2 entries, 1 feeds, no problems\n"
    path.write_bytes(path.read_bytes().replace(b'"Subprocess"', b'"Subprocesz"'))
    failed = script("verify", str(path))
    assert failed.returncode == 1
    lines = failed.stdout.splitlines()
    assert lines[-1].startswith("FAILED: 2 entries, 1 feeds")
    assert "bad_seal - -" in lines and any(line.startswith("bad_hash 1 ") for line in lines)


def test_python_dash_m_chitnode() -> None:
    import chitnode

    if not (Path(chitnode.__file__).parent / "__main__.py").exists():
        pytest.skip("chitnode/__main__.py does not exist")
    run_ = script("--version", cmd=[sys.executable, "-m", "chitnode"])
    assert run_.returncode == 0 and run_.stdout.startswith("chitnode ")
