"""Full KYC values sealed to the branch staff key (DESIGN.md, Security; docs/privacy.md).

The log and exports hold masked values and ciphertext only, and verify without
any key; staff devices holding the staff key see full values, auditors and
members never do; the staff key travels sealed to one device's key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nacl.utils
import pytest
from nacl.secret import SecretBox
from nacl.signing import SigningKey

from chitnode.cli.main import main
from chitnode.domain import chit_kinds
from chitnode.domain import chit_kinds_base as base
from chitnode.domain.kinds import ROLES, role_allows
from chitnode.domain.limits import KYC_SEALED_BYTES_MAX
from chitnode.errors import ChitError
from chitnode.log.entry import Entry, entry_from_stored
from chitnode.log.verify import verify_file
from chitnode.node.node import Node
from chitnode.services import kyc_vault, staff_key
from chitnode.services.archive import export_file
from chitnode.store.keys import FileKeyStore
from chitnode.store.sqlite import SqliteStore
from tests.support.clock import FakeClock

PAN, ACCOUNT, PHONE = "ABCDE1234F", "123456789012", "9876543210"
MID = "M1"


# --- helpers ----------------------------------------------------------------------


def all_entries(node: Node) -> list[Entry]:
    return [
        entry_from_stored(raw)
        for author in node.store.authors()
        for _, raw in node.store.feed(author, 1)
    ]


def join(folder: Path, root: Node, role: str, *, enrol: bool = True) -> Node:
    """Another device of `root`'s branch with its key in `device.key`, holding root's log."""
    key = SigningKey.generate()
    public = key.verify_key.encode().hex()
    if enrol:
        root.submit("device.enrolled", {"key": public, "role": role, "name": f"{role} device"})
    store = SqliteStore.open(folder, create=True)
    with store.transaction():
        store.set_meta("keystore", FileKeyStore(folder).save(key))
        store.set_meta("device_key", public)
        store.set_meta("branch", root.branch)
    node = Node(store, key, FakeClock())
    node.engine.load()
    node.ingest(all_entries(root))
    return node


def submit_kyc(node: Node, key: bytes, mid: str = MID) -> str:
    """Register `mid` and submit its KYC with sealed full values; returns `sealed`."""
    node.submit("member.registered", {"member_id": mid, "name": "Lakshmi Nayak"})
    masked, sealed = kyc_vault.seal_kyc(key, PAN, ACCOUNT, PHONE)
    node.submit(
        "kyc.submitted", {"member_id": mid, "name": "Lakshmi Nayak", **masked, "sealed": sealed}
    )
    return sealed


def code_of(exc: pytest.ExceptionInfo[ChitError]) -> str:
    return exc.value.code


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


NEEDLES = [text.encode(enc) for text in (PAN, ACCOUNT, PHONE) for enc in ("utf-8", "utf-16-le")] + [
    text.encode().hex().encode() for text in (PAN, ACCOUNT, PHONE)
]


def assert_no_plaintext(path: Path) -> None:
    data = path.read_bytes()
    for needle in NEEDLES:
        assert needle not in data, f"{needle!r} found in {path.name}"


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Node]:
    node = Node.init(tmp_path / "root", "KYC Branch", clock=FakeClock())
    yield node
    node.close()


# --- sealing and opening (pure) ---------------------------------------------------------


def test_seal_open_round_trip_with_normalised_values_and_accepted_masks() -> None:
    key = nacl.utils.random(32)
    masked, sealed = kyc_vault.seal_kyc(key, " abcde1234f ", "1234 5678 9012", "+91 98765-43210")
    assert masked == {"pan": "XXXXX1234F", "bank_account": "XXXXXXXX9012", "phone": "+91XXXXXX3210"}
    assert chit_kinds.PAN_MASKED_RE.match(masked["pan"])
    assert chit_kinds.ACCOUNT_MASKED_RE.match(masked["bank_account"])
    assert chit_kinds.PHONE_MASKED_RE.match(masked["phone"])
    assert chit_kinds.SEALED_HEX_RE.match(sealed)
    assert kyc_vault.open_kyc(key, sealed) == {
        "pan": "ABCDE1234F",
        "bank_account": "123456789012",
        "phone": "+919876543210",
    }
    again = kyc_vault.seal_kyc(key, PAN, ACCOUNT, PHONE)[1]
    assert again != kyc_vault.seal_kyc(key, PAN, ACCOUNT, PHONE)[1]  # a fresh nonce each time


@pytest.mark.parametrize(
    ("pan", "account", "phone", "code"),
    [
        ("ABCD1234F", ACCOUNT, PHONE, "bad_pan"),
        ("ABCDE12345", ACCOUNT, PHONE, "bad_pan"),
        ("XXXXX12345", ACCOUNT, PHONE, "bad_pan"),
        (12345, ACCOUNT, PHONE, "bad_pan"),
        (PAN, "12345678", PHONE, "bad_bank_account"),
        (PAN, "1" * 19, PHONE, "bad_bank_account"),
        (PAN, "12345678901A", PHONE, "bad_bank_account"),
        (PAN, ACCOUNT, "987654321", "bad_phone"),
        (PAN, ACCOUNT, "5876543210", "bad_phone"),
        (PAN, ACCOUNT, "+449876543210", "bad_phone"),
        (PAN, ACCOUNT, "09876543210", "bad_phone"),
        (PAN, ACCOUNT, "9" * 100, "bad_phone"),
    ],
)
def test_bad_values_are_refused_with_their_code(
    pan: Any, account: str, phone: str, code: str
) -> None:
    with pytest.raises(ChitError) as info:
        kyc_vault.seal_kyc(nacl.utils.random(32), pan, account, phone)
    assert code_of(info) == code


def test_opening_fails_with_a_code() -> None:
    key = nacl.utils.random(32)
    sealed = kyc_vault.seal_kyc(key, PAN, ACCOUNT, PHONE)[1]
    cases: list[tuple[bytes | None, str, str]] = [
        (nacl.utils.random(32), sealed, "key_unavailable"),  # another staff key
        (None, sealed, "key_unavailable"),
        (b"short", sealed, "key_unavailable"),
        (key, sealed.upper() + "zz", "bad_sealed"),
        (key, "00" * 10, "bad_sealed"),
        (key, "00" * 1000, "bad_sealed"),
    ]
    box = SecretBox(key)
    for plain in (
        b"not json",
        b'{"pan":"ABCDE1234F"}',
        b'{"bank_account":"1","pan":"x","phone":"y"}',
    ):
        cases.append((key, bytes(box.encrypt(plain)).hex(), "bad_sealed"))
    for staff, text, code in cases:
        with pytest.raises(ChitError) as info:
            kyc_vault.open_kyc(staff, text)
        assert code_of(info) == code, (text[:20], code)


def test_only_staff_roles_see_full_values() -> None:
    assert {r for r in ROLES if kyc_vault.can_see_full(r)} == {"admin", "foreman", "employee"}
    assert not kyc_vault.can_see_full(None)
    key = nacl.utils.random(32)
    masked, sealed = kyc_vault.seal_kyc(key, PAN, ACCOUNT, PHONE)
    row = {
        "member_id": MID,
        "kyc_name": "Lakshmi Nayak",
        "kyc": base.KYC_SUBMITTED,
        "pan_masked": masked["pan"],
        "bank_account_masked": masked["bank_account"],
        "phone_masked": masked["phone"],
        "kyc_sealed": sealed,
    }

    def never() -> bytes:
        raise AssertionError("a non-staff view must not even load the staff key")

    for role in ("auditor", "member", None):
        view = kyc_vault.kyc_view(row, role, never)
        assert view["full"] is None and view["hidden_code"] == "not_staff"
        assert view["masked"] == masked
    for role in ("admin", "foreman", "employee"):
        view = kyc_vault.kyc_view(row, role, lambda: key)
        assert view["full"] == {"pan": PAN, "bank_account": ACCOUNT, "phone": PHONE}
        assert view["hidden"] is None and not view["mismatch"]
    other = kyc_vault.kyc_view(row, "admin", lambda: nacl.utils.random(32))
    assert other["full"] is None and other["hidden_code"] == "key_unavailable"
    lying = kyc_vault.kyc_view({**row, "pan_masked": "XXXXX9999Z"}, "admin", lambda: key)
    assert lying["mismatch"]


# --- the fold: shape only, never opened -------------------------------------------------


def test_fold_stores_sealed_and_refuses_bad_shapes(root: Node) -> None:
    key = nacl.utils.random(32)
    sealed = submit_kyc(root, key)
    row = root.engine.state.get(base.MEMBERS, MID)
    assert row is not None and row["kyc_sealed"] == sealed and row["pan_masked"] == "XXXXX1234F"
    masked = kyc_vault.seal_kyc(key, PAN, ACCOUNT, PHONE)[0]
    body = {"member_id": MID, "name": "Lakshmi Nayak", **masked}
    too_long = "ab" * (KYC_SEALED_BYTES_MAX + 1)
    for bad in (sealed.upper(), sealed[:-1], "", "ab" * 10, too_long, 7, ["ab"]):
        with pytest.raises(ChitError) as info:
            root.submit("kyc.submitted", {**body, "sealed": bad})
        assert code_of(info) == "bad_sealed", bad
    with pytest.raises(ChitError) as info:
        root.submit("kyc.submitted", {**body, "pan": PAN, "sealed": sealed})
    assert code_of(info) == "not_masked"  # full values in clear stay refused
    root.submit("kyc.submitted", body)  # resubmitted masked only: the old ciphertext goes
    row = root.engine.state.get(base.MEMBERS, MID)
    assert row is not None and "kyc_sealed" not in row


# --- the staff key on a device ----------------------------------------------------------


def test_root_makes_the_staff_key_once_and_keeps_it_sealed(tmp_path: Path) -> None:
    with Node.init(tmp_path / "root", "KYC Branch", clock=FakeClock()) as root:
        assert not staff_key.has_staff_key(root)
        key = staff_key.ensure_staff_key(root)
        assert len(key) == 32 and staff_key.ensure_staff_key(root) == key
        assert root.store.meta("staff_keystore") == "file"
    with Node.open(tmp_path / "root") as again:
        assert staff_key.load_staff_key(again) == key
    for path in (tmp_path / "root").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert key not in data and key.hex().encode() not in data, path.name


def test_wrong_passphrase_for_the_staff_key_is_key_unavailable(
    root: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff_key.ensure_staff_key(root)
    monkeypatch.setenv("CHITNODE_PASSPHRASE", "another-passphrase")
    with pytest.raises(ChitError) as info:
        staff_key.load_staff_key(root)
    assert code_of(info) == "key_unavailable"


def test_only_the_root_admin_makes_a_staff_key(root: Node, tmp_path: Path) -> None:
    with join(tmp_path / "admin2", root, "admin") as admin:
        with pytest.raises(ChitError) as info:
            staff_key.ensure_staff_key(admin)
        assert code_of(info) == "key_unavailable"
        assert not staff_key.has_staff_key(admin)


def test_staff_key_in_an_os_keyring_when_one_is_usable(
    root: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    secrets: dict[tuple[str, str], str] = {}

    class MemoryKeyring(KeyringBackend):
        priority = 1

        def get_password(self, service: str, username: str) -> str | None:
            return secrets.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            secrets[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            secrets.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())  # type: ignore[no-untyped-call]
    try:
        monkeypatch.delenv("CHITNODE_KEYSTORE")
        key = staff_key.ensure_staff_key(root)
        assert root.store.meta("staff_keystore") == "keyring"
        assert list(secrets) == [("chitnode", f"staff:{root.branch}")]
        assert not (root.store.data_dir / staff_key.STAFF_KEY_FILE).exists()
        assert staff_key.load_staff_key(root) == key
        monkeypatch.setenv("CHITNODE_KEYSTORE", "file")  # the keyring "goes away"
        with pytest.raises(ChitError) as info:
            staff_key.load_staff_key(root)
        assert code_of(info) == "key_unavailable"
    finally:
        keyring.set_keyring(previous)


# --- travel: sealed to one device ---------------------------------------------------------


def test_staff_key_travels_sealed_to_one_staff_device(root: Node, tmp_path: Path) -> None:
    key = staff_key.ensure_staff_key(root)
    sealed_record = submit_kyc(root, key)
    with (
        join(tmp_path / "foreman", root, "foreman") as foreman,
        join(tmp_path / "employee", root, "employee") as third,
    ):
        transfer = staff_key.export_for(root, foreman.public)
        assert key not in transfer
        with pytest.raises(ChitError) as info:
            staff_key.import_from(third, transfer)  # sealed to the foreman, not to this key
        assert code_of(info) == "key_unavailable" and not staff_key.has_staff_key(third)
        assert staff_key.import_from(foreman, transfer) == staff_key.fingerprint(key)
        assert staff_key.load_staff_key(foreman) == key
        assert kyc_vault.open_kyc(staff_key.load_staff_key(foreman), sealed_record)["pan"] == PAN
        staff_key.import_from(foreman, transfer)  # the same key again: a no-op
        other = staff_key.seal_to_device(nacl.utils.random(32), root.branch, foreman.public)
        with pytest.raises(ChitError) as info:
            staff_key.import_from(foreman, other)
        assert code_of(info) == "staff_key_conflict"
        with pytest.raises(ChitError) as info:
            staff_key.import_from(
                third, staff_key.seal_to_device(key, "other-branch", third.public)
            )
        assert code_of(info) == "wrong_branch"
        with pytest.raises(ChitError) as info:
            staff_key.import_from(third, b"\x00" * 80)
        assert code_of(info) == "key_unavailable"


@pytest.mark.parametrize("role", ["auditor", "member"])
def test_staff_key_is_never_exported_to_auditors_or_members(
    root: Node, tmp_path: Path, role: str
) -> None:
    staff_key.ensure_staff_key(root)
    with join(tmp_path / role, root, role) as device:
        with pytest.raises(ChitError) as info:
            staff_key.export_for(root, device.public)
        assert code_of(info) == "not_staff"
    with pytest.raises(ChitError) as info:
        staff_key.export_for(root, SigningKey.generate().verify_key.encode().hex())
    assert code_of(info) == "unknown_author"


# --- the log, exports and the CLI -------------------------------------------------------------


def test_log_and_export_hold_no_full_values_and_verify_without_the_key(
    root: Node, tmp_path: Path
) -> None:
    key = staff_key.ensure_staff_key(root)
    for number in range(1, 4):
        submit_kyc(root, key, f"M{number}")
    root.submit("kyc.approved", {"member_ids": ["M1", "M2"]})
    export = tmp_path / "branch.chitlog"
    assert export_file(root, export) > 0
    root.close()
    files = [p for p in (tmp_path / "root").rglob("*") if p.is_file()]
    assert any(p.name == "chitnode.db" for p in files)
    for path in [*files, export]:
        assert_no_plaintext(path)
    report = verify_file(export, role_allows=role_allows)  # no key anywhere near this call
    assert report.ok, [p.line() for p in report.problems]
    assert b'"pan":"XXXXX1234F"' in export.read_bytes()


def test_cli_kyc_show_full_for_staff_masked_for_others(
    root: Node, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = staff_key.ensure_staff_key(root)
    submit_kyc(root, key)
    root.submit("member.registered", {"member_id": "M2", "name": "No Seal"})
    masked = kyc_vault.seal_kyc(key, PAN, ACCOUNT, PHONE)[0]
    root.submit("kyc.submitted", {"member_id": "M2", "name": "No Seal", **masked})
    folders = {}
    for role in ("auditor", "member", "employee"):
        with join(tmp_path / role, root, role):
            folders[role] = tmp_path / role
    root.close()

    code, out, _ = run(capsys, "--data", str(tmp_path / "root"), "kyc", "show", MID)
    assert code == 0 and PAN in out and ACCOUNT in out and PHONE in out and "Masked only" not in out
    code, out, _ = run(capsys, "kyc", "show", "M2", "--data", str(tmp_path / "root"))
    assert code == 0 and "XXXXX1234F" in out and "submitted masked only" in out
    for role in ("auditor", "member"):
        code, out, _ = run(capsys, "kyc", "show", MID, "--data", str(folders[role]))
        assert code == 0 and "XXXXX1234F" in out and "XXXXXXXX9012" in out
        assert PAN not in out and ACCOUNT not in out and PHONE not in out
        assert f"role is {role}" in out
    code, out, _ = run(capsys, "kyc", "show", MID, "--data", str(folders["employee"]))
    assert code == 0 and PAN not in out and "holds no staff key" in out
    code, out, _ = run(capsys, "kyc", "show", MID, "--json", "--data", str(folders["auditor"]))
    view = json.loads(out)
    assert view["full"] is None and view["hidden_code"] == "not_staff"
    code, _, err = run(capsys, "kyc", "show", "M404", "--data", str(tmp_path / "root"))
    assert code == 1 and err.startswith("chitnode: error [not_found]")
