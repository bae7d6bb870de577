"""WAL entries (wal-v1 §1-§3): the shared vectors parse and check, the writer's output
re-parses identically, and every field rule is enforced with `bad_format`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from chitnode import limits
from chitnode.errors import BadFormat, BadHash, BadSignature
from chitnode.log.canonical import canonical
from chitnode.log.entry import (
    ZERO_HASH,
    Entry,
    check_hash,
    check_sig,
    entry_from_json,
    entry_hash,
    parse_entry,
    seal_entry,
)
from tests.vectors import tamper

VECTOR_LINES = tamper.VECTOR_BYTES.splitlines()[1:-1]
ROOT_KEY = SigningKey(bytes.fromhex(tamper.KEYS_JSON["root_seed_hex"]))
FOREMAN_KEY = SigningKey(bytes.fromhex(tamper.KEYS_JSON["foreman_seed_hex"]))
OTHER = "ab" * 32


def vector(author: str, seq: int) -> dict[str, Any]:
    return dict(tamper.find(tamper.base(), author, seq))


def bad(obj: Any) -> None:
    """`obj` is refused as an entry, whether built from JSON or parsed from its line."""
    with pytest.raises(BadFormat) as built:
        entry_from_json(obj)
    assert built.value.code == "bad_format"
    try:
        line = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError):
        return
    with pytest.raises(BadFormat):
        parse_entry(line)


def resigned(**changes: Any) -> dict[str, Any]:
    """Foreman seq 2 with fields changed, then re-hashed and re-signed (so only format fails)."""
    return tamper.sign({**vector(tamper.FOREMAN, 2), **changes})


def seal(key: SigningKey = FOREMAN_KEY, **over: Any) -> Entry:
    fields: dict[str, Any] = {
        "branch": tamper.BRANCH,
        "seq": 1,
        "prev": ZERO_HASH,
        "ts": 1_767_225_600_000,
        "deps": (),
        "kind": "contribution.recorded",
        "body": {"amount": 500000, "note": "₹5,000"},
    }
    fields.update(over)
    return seal_entry(key, **fields)


# --------------------------------------------------------------------------- the vectors


@pytest.mark.parametrize("index", range(len(VECTOR_LINES)))
def test_shared_vectors_parse_and_check(index: int) -> None:
    line = VECTOR_LINES[index]
    entry = parse_entry(line)
    check_hash(entry)
    check_sig(entry)
    assert entry.raw == line
    assert canonical(entry.to_json()) == line
    assert entry_hash(entry.unsigned()) == entry.hash == json.loads(line)["hash"]
    assert entry.key == (entry.ts, entry.author, entry.seq)


def test_vectors_keys_are_the_authors() -> None:
    entries = [parse_entry(line) for line in VECTOR_LINES]
    assert {e.author for e in entries} == {tamper.ROOT, tamper.FOREMAN}
    assert ROOT_KEY.verify_key.encode().hex() == tamper.ROOT
    assert FOREMAN_KEY.verify_key.encode().hex() == tamper.FOREMAN


@pytest.mark.parametrize("index", range(len(VECTOR_LINES)))
def test_seal_entry_reproduces_every_vector_byte_for_byte(index: int) -> None:
    """Ed25519 is deterministic, so the writer must rebuild the vectors exactly."""
    want = parse_entry(VECTOR_LINES[index])
    key = ROOT_KEY if want.author == tamper.ROOT else FOREMAN_KEY
    got = seal_entry(
        key,
        branch=want.branch,
        seq=want.seq,
        prev=want.prev,
        ts=want.ts,
        deps=want.deps,
        kind=want.kind,
        body=want.body,
    )
    assert got == want
    assert got.raw == VECTOR_LINES[index]


# --------------------------------------------------------------------------- writer output


def test_seal_entry_output_reparses_identically() -> None:
    entry = seal(deps=((tamper.ROOT, 3, "cd" * 32),))
    again = parse_entry(entry.raw)
    assert again == entry
    check_hash(again)
    check_sig(again)
    # The independent implementation agrees on hash and signature.
    obj = json.loads(entry.raw)
    assert tamper.rv.entry_hash(obj) == entry.hash
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(entry.author)).verify(
        bytes.fromhex(entry.sig), b"chitnode.wal.v1:" + bytes.fromhex(entry.hash)
    )


bodies = st.dictionaries(
    st.text(st.characters(max_codepoint=127), max_size=6),
    st.none()
    | st.booleans()
    | st.integers(-(2**53 - 1), 2**53 - 1)
    | st.text(max_size=20)
    | st.lists(st.integers(-5, 5), max_size=3),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(body=bodies, seq=st.integers(1, 2**53 - 1), ts=st.integers(-(2**53 - 1), 2**53 - 1))
def test_any_sealed_entry_reparses_identically(body: dict[str, Any], seq: int, ts: int) -> None:
    entry = seal(body=body, seq=seq, ts=ts, prev=ZERO_HASH if seq == 1 else "12" * 32)
    assert parse_entry(entry.raw) == entry
    check_hash(entry)
    check_sig(entry)


def test_seq_1_with_a_non_zero_prev_is_not_a_format_error() -> None:
    """§6 makes that broken_chain, which is a feed rule, not a field rule."""
    entry = seal(prev="11" * 32)
    assert parse_entry(entry.raw) == entry


# --------------------------------------------------------------------------- hash and sig


def test_changed_body_is_bad_hash() -> None:
    obj = {**vector(tamper.FOREMAN, 2)}
    obj["body"] = {**obj["body"], "amount": 5_000_000}
    entry = entry_from_json(obj)
    with pytest.raises(BadHash) as caught:
        check_hash(entry)
    assert caught.value.code == "bad_hash"


@pytest.mark.parametrize(
    "sig",
    [
        pytest.param(lambda o: tamper.flip_hex(o["sig"]), id="flipped"),
        pytest.param(lambda o: "00" * 64, id="zeros"),
        pytest.param(
            lambda o: tamper.ROOT_SK.sign(b"chitnode.wal.v1:" + bytes.fromhex(o["hash"])).hex(),
            id="other-key",
        ),
        pytest.param(
            lambda o: tamper.FOREMAN_SK.sign(bytes.fromhex(o["hash"])).hex(), id="no-prefix"
        ),
        pytest.param(
            lambda o: tamper.FOREMAN_SK.sign(
                b"chitnode.export.v1:" + bytes.fromhex(o["hash"])
            ).hex(),
            id="export-prefix",
        ),
    ],
)
def test_bad_signatures(sig: Callable[[dict[str, Any]], str]) -> None:
    obj = vector(tamper.FOREMAN, 2)
    entry = entry_from_json({**obj, "sig": sig(obj)})
    check_hash(entry)
    with pytest.raises(BadSignature) as caught:
        check_sig(entry)
    assert caught.value.code == "bad_sig"


def test_author_that_is_not_a_curve_point_is_bad_sig_not_a_crash() -> None:
    obj = tamper.sign(vector(tamper.FOREMAN, 2), sk=tamper.FOREMAN_SK)
    obj = {**obj, "author": "ff" * 32}
    entry = entry_from_json(obj)
    with pytest.raises(BadSignature):
        check_sig(entry)


# --------------------------------------------------------------------------- bad_format


@pytest.mark.parametrize(
    "field", ["v", "branch", "author", "seq", "prev", "ts", "deps", "kind", "body", "hash", "sig"]
)
def test_missing_field(field: str) -> None:
    obj = resigned()
    del obj[field]
    bad(obj)


@pytest.mark.parametrize("extra", ["extra", "Hash", "signature", "note"])
def test_unknown_field(extra: str) -> None:
    bad({**resigned(), extra: 1})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("v", 2),
        ("v", 0),
        ("v", True),
        ("v", "1"),
        ("branch", "AB" * 16),
        ("branch", "ab" * 15),
        ("branch", "ab" * 32),
        ("branch", None),
        ("author", tamper.FOREMAN.upper()),
        ("author", tamper.FOREMAN[:-2]),
        ("author", 5),
        ("seq", 0),
        ("seq", -1),
        ("seq", "2"),
        ("seq", True),
        ("seq", 2**53),
        ("prev", "0" * 63),
        ("prev", "G" * 64),
        ("prev", None),
        ("ts", "1767225604000"),
        ("ts", True),
        ("ts", None),
        ("ts", 2**53),
        ("deps", {}),
        ("deps", None),
        ("deps", "[]"),
        ("kind", "Contribution.recorded"),
        ("kind", "contribution"),
        ("kind", "contribution.recorded."),
        ("kind", ".contribution.recorded"),
        ("kind", "contribution..recorded"),
        ("kind", "1contribution.recorded"),
        ("kind", "contribution-x.recorded"),
        ("kind", "a." + "b" * limits.KIND_BYTES_MAX),
        ("kind", 7),
        ("body", []),
        ("body", "x"),
        ("body", None),
        ("body", {"amount": 2**53}),
        ("body", {"nöte": "x"}),
        ("hash", "AB" * 32),
        ("hash", "ab" * 31),
        ("sig", "AB" * 64),
        ("sig", "ab" * 63),
        ("sig", None),
    ],
)
def test_wrong_types_and_values(field: str, value: Any) -> None:
    obj = {**vector(tamper.FOREMAN, 2), field: value}
    bad(obj)


@pytest.mark.parametrize("field", ["kind", "branch", "author", "prev", "hash", "sig"])
def test_trailing_newline_in_a_pattern_field_is_bad_format(field: str) -> None:
    obj = vector(tamper.FOREMAN, 2)
    obj[field] += "\n"
    if field not in ("hash", "sig"):
        obj = tamper.sign(obj, sk=tamper.FOREMAN_SK)  # a validly signed entry otherwise
    with pytest.raises(BadFormat):
        parse_entry(canonical(obj))


def test_float_fields_are_refused() -> None:
    bad({**vector(tamper.FOREMAN, 2), "ts": 1767225604000.0})
    bad({**vector(tamper.FOREMAN, 2), "body": {"amount": 5000.0}})
    line = VECTOR_LINES[4].replace(b'"month":1', b'"month":1.0')
    with pytest.raises(BadFormat):
        parse_entry(line)


def dep(author: str, seq: int = 1, hash_hex: str = "cd" * 32) -> list[Any]:
    return [author, seq, hash_hex]


A, B = sorted(["aa" * 32, "bb" * 32])


@pytest.mark.parametrize(
    "deps",
    [
        pytest.param([dep(B), dep(A)], id="unsorted"),
        pytest.param([dep(A, 1), dep(A, 2)], id="duplicate-author"),
        pytest.param([dep(A), dep(A)], id="identical-items"),
        pytest.param([dep(tamper.FOREMAN)], id="own-author"),
        pytest.param([dep(A), dep(tamper.FOREMAN)], id="own-author-among-others"),
        pytest.param([[A, 1]], id="not-a-triple"),
        pytest.param([[A, 1, "cd" * 32, 0]], id="four-items"),
        pytest.param([(A, 1, "cd" * 32)], id="tuple-item-in-json"),
        pytest.param([dep(A, 0)], id="seq-0"),
        pytest.param([dep(A, True)], id="seq-bool"),
        pytest.param([dep(A, "1")], id="seq-string"),
        pytest.param([dep(A.upper())], id="upper-author"),
        pytest.param([dep(A, 1, "CD" * 32)], id="upper-hash"),
        pytest.param([dep(A, 1, "cd" * 31)], id="short-hash"),
        pytest.param([{"author": A, "seq": 1, "hash": "cd" * 32}], id="object-item"),
        pytest.param([dep(f"{i:064x}") for i in range(limits.DEPS_MAX + 1)], id="too-many"),
    ],
)
def test_bad_deps(deps: list[Any]) -> None:
    obj = {**vector(tamper.FOREMAN, 2), "deps": deps}
    if deps and isinstance(deps[0], tuple):
        # a tuple cannot come out of JSON; entry_from_json still wants lists
        with pytest.raises(BadFormat):
            entry_from_json(obj)
        return
    bad(obj)


def test_good_deps_pass() -> None:
    obj = resigned(deps=[dep(A), dep(B)])
    assert entry_from_json(obj).deps == ((A, 1, "cd" * 32), (B, 1, "cd" * 32))
    many = [dep(f"{i:064x}") for i in range(limits.DEPS_MAX)]
    entry_from_json(resigned(deps=many))


def big_body(total: int) -> dict[str, str]:
    """A body of strings (each within STRING_BYTES_MAX) adding up to about `total` bytes."""
    chunk = limits.STRING_BYTES_MAX - 16
    return {f"k{i}": "x" * min(chunk, total - i * chunk) for i in range(-(-total // chunk))}


def test_oversize_entry() -> None:
    obj = resigned(body=big_body(limits.ENTRY_BYTES_MAX))
    line = canonical(obj)
    assert len(line) > limits.ENTRY_BYTES_MAX
    bad(obj)
    with pytest.raises(BadFormat):
        parse_entry(line + b" " * 10)  # refused on size before parsing
    with pytest.raises(BadFormat):
        seal(body=big_body(limits.ENTRY_BYTES_MAX))  # the writer refuses it too


def test_entry_just_under_the_bound_is_fine() -> None:
    small = resigned(body={})
    room = limits.ENTRY_BYTES_MAX - len(canonical(small)) - len('"k0":""') - 64
    obj = resigned(body=big_body(room))
    assert len(canonical(obj)) <= limits.ENTRY_BYTES_MAX
    entry = parse_entry(canonical(obj))
    check_hash(entry)
    check_sig(entry)


@pytest.mark.parametrize(
    "over",
    [
        pytest.param({"kind": "Bad"}, id="kind"),
        pytest.param({"seq": 0}, id="seq"),
        pytest.param({"branch": "x"}, id="branch"),
        pytest.param({"prev": "x"}, id="prev"),
        pytest.param({"deps": ((OTHER, 1, "x"),)}, id="deps"),
        pytest.param({"deps": ((FOREMAN_KEY.verify_key.encode().hex(), 1, "cd" * 32),)}, id="own"),
        pytest.param({"body": {"amount": 1.5}}, id="float"),
        pytest.param({"body": {"ключ": 1}}, id="key"),
    ],
)
def test_writer_refuses_what_a_reader_would(over: dict[str, Any]) -> None:
    with pytest.raises(BadFormat):
        seal(**over)


def test_non_canonical_line_of_a_valid_entry_is_bad_format() -> None:
    line = VECTOR_LINES[3]  # foreman seq 1: its note holds a raw "₹"
    assert "₹".encode() in line
    obj = json.loads(line)
    for variant in (
        json.dumps(obj, sort_keys=True).encode(),  # spaces
        json.dumps(obj, sort_keys=True, separators=(",", ":")).encode(),  # ₹ escaped
        json.dumps(dict(reversed(obj.items())), separators=(",", ":"), ensure_ascii=False).encode(),
        line + b"\n",
    ):
        assert json.loads(variant) == obj
        with pytest.raises(BadFormat):
            parse_entry(variant)


def test_entry_hash_excludes_hash_and_sig() -> None:
    obj = vector(tamper.ROOT, 1)
    unsigned = {k: v for k, v in obj.items() if k not in ("hash", "sig")}
    assert entry_hash(unsigned) == hashlib.sha256(canonical(unsigned)).hexdigest() == obj["hash"]


def test_signing_keys_are_told_apart_and_their_secrets_dropped() -> None:
    from chitnode.log import entry as entry_module

    keys = [SigningKey(bytes([n]) * 32) for n in (41, 42)]
    for key in keys:
        sealed = seal(key)
        assert sealed.author == key.verify_key.encode().hex()
        check_sig(sealed)  # made with this key's secret, not the other's
    idents = [id(k) for k in keys]
    assert all(i in entry_module._SECRETS for i in idents)
    del key, keys
    assert not any(i in entry_module._SECRETS for i in idents)
