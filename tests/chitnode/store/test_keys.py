"""Device keys: never plaintext on disk; wrong passphrase refused; keyring rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from chitnode.errors import KeyUnavailable
from chitnode.node.node import Node
from chitnode.store import keys


def test_secret_key_bytes_are_nowhere_in_the_data_folder(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "n", "Secret")
    seed = bytes(node.key)
    node.submit("device.enrolled", {"key": "ab" * 32, "role": "member", "name": "m"})
    node.close()
    needles = [seed, seed.hex().encode(), seed.hex().upper().encode()]
    files = [p for p in (tmp_path / "n").rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"secret key found in {path.name}"


def test_reopen_with_the_right_passphrase_gives_the_same_key(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "n", "Keys")
    public = node.public
    node.close()
    with Node.open(tmp_path / "n") as again:
        assert again.public == public


def test_wrong_passphrase_is_refused_with_a_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Node.init(tmp_path / "n", "Keys").close()
    monkeypatch.setenv("CHITNODE_PASSPHRASE", "not-the-passphrase")
    with pytest.raises(KeyUnavailable) as info:
        Node.open(tmp_path / "n")
    assert info.value.code == "key_unavailable"


def test_short_passphrase_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHITNODE_PASSPHRASE", "short")
    with pytest.raises(KeyUnavailable):
        Node.init(tmp_path / "n", "Keys")


def test_plaintext_keyring_counts_as_no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    class PlaintextKeyring(keyring.backend.KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise AssertionError("must not be used")

        def delete_password(self, service: str, username: str) -> None:
            return None

    monkeypatch.delenv("CHITNODE_KEYSTORE")
    monkeypatch.setattr(keyring, "get_keyring", lambda: PlaintextKeyring())
    assert keys.usable_keyring() is None


def test_fail_keyring_of_headless_linux_falls_back_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.delenv("CHITNODE_KEYSTORE")
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    assert isinstance(keys.keystore_for(tmp_path), keys.FileKeyStore)
