"""The invite code (sync/invite/code.py) and its renderings (sync/invite/render.py)."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chitnode.errors import ChitError
from sync import limits
from sync.invite import code, render, server
from sync.invite.code import BadInvite, Invite

BRANCH = "0123456789abcdef0123456789abcdef"
ROOT = "ab" * 32
FINGERPRINT = "cd" * 32
SECRET = bytes(range(16))


def invite(**changes: object) -> Invite:
    fields: dict[str, object] = {
        "branch": BRANCH,
        "root": ROOT,
        "fingerprint": FINGERPRINT,
        "secret": SECRET,
        "expires_ms": 1_800_000_000_000,
        "addresses": (("192.168.1.20", 7400), ("fe80::1", 7400)),
    }
    fields.update(changes)
    return Invite(**fields)  # type: ignore[arg-type]


def test_round_trip_keeps_every_field() -> None:
    text = code.encode(invite())
    assert text.startswith("CHIT-")
    assert code.decode(text) == invite()


def test_the_text_is_qr_alphanumeric_and_compact() -> None:
    text = code.encode(invite(addresses=(("192.168.1.20", 7400),)))
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert len(text) < 230  # 115 bytes: 184 characters in 37 groups of 5, and the prefix
    assert render.qr(text).mode == "alphanumeric"


def test_typing_slack_is_forgiven() -> None:
    text = code.encode(invite())
    body = text.removeprefix("CHIT-")
    assert code.decode("chit " + body.lower().replace("-", " ")) == invite()
    # O for 0 and I or L for 1: what people type when they read a code aloud
    zeroes_and_ones = body.replace("0", "O").replace("1", "L")
    assert code.decode("CHIT-" + zeroes_and_ones) == invite()


@pytest.mark.parametrize("position", [5, 20, 77, 150, -1])
def test_a_mistyped_character_is_refused_with_a_code(position: int) -> None:
    text = code.encode(invite())
    wrong = "Z" if text[position] != "Z" else "Y"
    typo = text[:position] + wrong + text[position + 1 :] if position != -1 else text[:-1] + wrong
    with pytest.raises(BadInvite) as caught:
        code.decode(typo)
    assert caught.value.code == "bad_invite"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "CHIT-",
        "CHIT-ABCDE",
        "CHIT-UUUUU",  # U is no character of Crockford base32
        "XXXX-" + "A" * 190,
        "CHIT-" + "A" * (limits.INVITE_TEXT_CHARS_MAX),
    ],
)
def test_not_a_code(text: str) -> None:
    with pytest.raises(BadInvite):
        code.decode(text)


def test_a_code_cut_short_or_with_an_extra_character_is_refused() -> None:
    text = code.encode(invite())
    for damaged in (text[:-5], text[:-1], text + "0", text + "00000"):
        with pytest.raises(BadInvite):
            code.decode(damaged)


def test_another_version_is_refused_even_with_a_good_checksum() -> None:
    raw = bytearray(code.to_bytes(invite()))[: -code.CHECKSUM_BYTES]
    raw[0] = 2

    raw += hashlib.sha256(raw).digest()[: code.CHECKSUM_BYTES]
    with pytest.raises(BadInvite, match="version 2"):
        code.from_bytes(bytes(raw))


def test_damaged_addresses_are_refused() -> None:
    raw = code.to_bytes(invite(addresses=(("10.0.0.1", 1),)))[: -code.CHECKSUM_BYTES]
    fixed = struct.calcsize(">B16s32s32s16s6sB")

    for body in (raw[:fixed] + b"\x05" + raw[fixed + 1 :], raw + b"\x00"):
        with pytest.raises(BadInvite):
            code.from_bytes(body + hashlib.sha256(body).digest()[: code.CHECKSUM_BYTES])


@pytest.mark.parametrize(
    "changes",
    [
        {"branch": "xyz"},
        {"root": "AB" * 32},
        {"fingerprint": "00"},
        {"secret": b"short"},
        {"addresses": ()},
        {"addresses": (("printer.local", 80),)},
        {"addresses": (("10.0.0.1", 0),)},
        {"addresses": tuple(("10.0.0.1", 1 + i) for i in range(limits.INVITE_ADDRESSES_MAX + 1))},
        {"expires_ms": -1},
    ],
)
def test_an_invite_that_cannot_be_written_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(BadInvite):
        invite(**changes)


def test_the_longest_code_fits_the_bounds() -> None:
    many = tuple((f"2001:db8::{i + 1}", 65535) for i in range(limits.INVITE_ADDRESSES_MAX))
    text = code.encode(invite(addresses=many))
    assert len(code.to_bytes(invite(addresses=many))) == limits.INVITE_BYTES_MAX
    assert len(text) <= limits.INVITE_TEXT_CHARS_MAX
    assert code.decode(text).addresses == many


@given(
    secret=st.binary(min_size=16, max_size=16),
    expires=st.integers(0, 2**48 - 1),
    ips=st.lists(st.ip_addresses(), min_size=1, max_size=limits.INVITE_ADDRESSES_MAX),
    port=st.integers(1, 65535),
)
def test_any_invite_round_trips(secret: bytes, expires: int, ips: list[object], port: int) -> None:
    one = invite(secret=secret, expires_ms=expires, addresses=tuple((str(ip), port) for ip in ips))
    assert code.decode(code.encode(one)) == one


@given(st.text(max_size=300))
def test_any_text_is_an_invite_or_bad_invite(text: str) -> None:
    try:
        got = code.decode(text)
    except BadInvite as refused:
        assert refused.code == "bad_invite"
        return
    assert code.decode(code.encode(got)) == got


def test_secret_hash_is_not_the_secret() -> None:
    digest = code.secret_hash(SECRET)
    assert len(digest) == 64 and SECRET.hex() not in digest
    assert digest != code.secret_hash(bytes(16))


def test_terminal_qr_and_png(tmp_path: Path) -> None:
    text = code.encode(invite())
    lines = render.terminal_qr(text).splitlines()
    size = render.qr(text).symbol_size(border=render.QR_BORDER_MODULES)[0]
    assert len(lines) == (size + 1) // 2  # two modules per character row
    assert all(set(line) <= {" ", "█", "▀", "▄"} for line in lines)
    png = render.write_png(text, tmp_path / "invite.png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert png.stat().st_mode & 0o777 == 0o600


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)


@given(
    st.one_of(
        _JSON,
        st.fixed_dictionaries(
            {"v": _JSON, "secret": _JSON, "key": _JSON, "cert_b64": _JSON, "sig_b64": _JSON}
        ),
    )
)
def test_any_join_request_is_parsed_or_bad_join_request(doc: object) -> None:
    """The anonymous route's parser (sync/invite/server.py): a tuple or its one code."""
    try:
        secret, key, binding = server.parse_join(doc)
    except ChitError as refused:
        assert refused.code == "bad_join_request"
        return
    assert len(secret) == code.SECRET_BYTES and binding["key"] == key


def test_a_well_formed_join_request_is_parsed() -> None:
    doc = {"v": 1, "secret": "ab" * 16, "key": "cd" * 32, "cert_b64": "x", "sig_b64": "y"}
    assert server.parse_join(doc)[0] == bytes.fromhex("ab" * 16)
    for bad in ({**doc, "v": 2}, {**doc, "v": True}, {**doc, "secret": "zz" * 16}, {**doc, "x": 1}):
        with pytest.raises(ChitError):
            server.parse_join(bad)
