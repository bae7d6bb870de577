"""Canonical JSON bytes (wal-v1 §2): the writer and the reader agree, and both refuse
everything outside the spec's restrictions with `bad_format`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chitnode import limits
from chitnode.errors import BadFormat
from chitnode.log.canonical import canonical, check_value, parse_canonical
from tests.vectors import tamper

INT_MAX = 2**53 - 1
assert limits.JSON_INT_MAX == INT_MAX  # §2

ascii_keys = st.text(st.characters(max_codepoint=127), max_size=8)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-INT_MAX, max_value=INT_MAX)
    | st.text()  # hypothesis never draws lone surrogates by default
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(ascii_keys, inner, max_size=5),
    max_leaves=25,
)


def same(a: Any, b: Any) -> bool:
    """Equality that also tells `True` from `1` (plain == does not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def spec_bytes(value: Any) -> bytes:
    """The spec's own definition of canonical(x) (§2)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def rejected(data: bytes) -> BadFormat:
    with pytest.raises(BadFormat) as caught:
        parse_canonical(data)
    assert caught.value.code == "bad_format"
    return caught.value


def refused_by_writer(value: Any) -> None:
    with pytest.raises(BadFormat) as caught:
        canonical(value)
    assert caught.value.code == "bad_format"


# --------------------------------------------------------------------------- round trip


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_round_trip_any_value_within_the_restrictions(value: Any) -> None:
    data = canonical(value)
    assert data == spec_bytes(value)
    assert data == tamper.rv.canonical(value)  # the independent verifier's bytes too
    assert same(parse_canonical(data), value)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_canonical_is_a_fixed_point(value: Any) -> None:
    data = canonical(value)
    assert canonical(parse_canonical(data)) == data


def test_boundaries_are_accepted() -> None:
    for value in (INT_MAX, -INT_MAX, 0, -1, True, False, None, "", [], {}, "₹", "😀"):
        assert same(parse_canonical(canonical(value)), value)
    assert parse_canonical(b"true") is True
    assert parse_canonical(b"1") == 1 and parse_canonical(b"1") is not True


def test_raw_non_ascii_is_the_canonical_form() -> None:
    assert canonical("₹5,000") == '"₹5,000"'.encode()
    assert parse_canonical('"₹5,000"'.encode()) == "₹5,000"


def test_jcs_escapes() -> None:
    """Control characters as RFC 8785 writes them: short forms, else lowercase \\u00xx."""
    text = '\b\t\n\f\r\x00\x1f"\\/\x7f'
    expected = b'"\\b\\t\\n\\f\\r\\u0000\\u001f\\"\\\\/\x7f"'
    assert canonical(text) == expected
    assert parse_canonical(expected) == text
    rejected(b'"\\u001F"')  # upper-case hex escape: same value, other bytes
    rejected(b'"\\/"')  # an escaped solidus is not canonical


def test_keys_sorted_and_nested_objects_sorted() -> None:
    assert canonical({"b": 1, "a": {"d": [], "c": None}}) == b'{"a":{"c":null,"d":[]},"b":1}'


# --------------------------------------------------------------------------- writer refuses


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(1.0, id="float-1.0"),
        pytest.param(1e3, id="float-1e3"),
        pytest.param(-0.0, id="float-minus-zero"),
        pytest.param(float("nan"), id="nan"),
        pytest.param(float("inf"), id="infinity"),
        pytest.param({"amount": 2.5}, id="nested-float"),
        pytest.param(INT_MAX + 1, id="int-2^53"),
        pytest.param(-(INT_MAX + 1), id="int-minus-2^53"),
        pytest.param([10**30], id="nested-bigint"),
        pytest.param({"nöte": 1}, id="non-ascii-key"),
        pytest.param({"₹": 1}, id="rupee-key"),
        pytest.param({1: "a"}, id="int-key"),
        pytest.param("\ud800", id="lone-surrogate"),
        pytest.param({"a": ["x\udfff"]}, id="nested-lone-surrogate"),
        pytest.param(b"bytes", id="bytes"),
        pytest.param({"a": {1, 2}}, id="set"),
        pytest.param("x" * (limits.STRING_BYTES_MAX + 1), id="string-too-long"),
    ],
)
def test_writer_refuses_values_outside_the_restrictions(value: Any) -> None:
    refused_by_writer(value)


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_bound() -> None:
    ok = nested(limits.BODY_DEPTH_MAX)
    assert parse_canonical(canonical(ok)) == ok
    refused_by_writer(nested(limits.BODY_DEPTH_MAX + 1))
    rejected(canonical(ok).replace(b"0", b"[0]"))


def test_absurd_nesting_is_bad_format_not_recursion_error() -> None:
    rejected(b"[" * 100_000 + b"]" * 100_000)
    rejected(b'{"a":' * 50_000 + b"1" + b"}" * 50_000)


# --------------------------------------------------------------------------- reader refuses


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"1.0", id="float-1.0"),
        pytest.param(b"1e3", id="exponent"),
        pytest.param(b"1E3", id="exponent-upper"),
        pytest.param(b'{"a":1.5}', id="nested-float"),
        pytest.param(b"-0", id="minus-zero"),  # parses to 0, re-serialises as "0"
        pytest.param(b"-0.0", id="minus-zero-float"),
        pytest.param(b"9007199254740992", id="int-2^53"),
        pytest.param(b"-9007199254740992", id="int-minus-2^53"),
        pytest.param(b"123456789012345678901234567890", id="bigint"),
        pytest.param(b"01", id="leading-zero"),
        pytest.param(b"+1", id="plus-sign"),
        pytest.param(b"NaN", id="nan"),
        pytest.param(b"Infinity", id="infinity"),
        pytest.param(b"-Infinity", id="minus-infinity"),
        pytest.param(b'{"a":NaN}', id="nested-nan"),
        pytest.param('{"ñ":1}'.encode(), id="non-ascii-key-raw"),
        pytest.param(b'{"\\u00f1":1}', id="non-ascii-key-escaped"),
        pytest.param(b'{"a":1,"a":1}', id="duplicate-key-same-value"),
        pytest.param(b'{"a":1,"a":2}', id="duplicate-key"),
        pytest.param(b'{"a":{"b":1,"b":1}}', id="nested-duplicate-key"),
        pytest.param(b'{"a": 1}', id="space-after-colon"),
        pytest.param(b'{"a":1, "b":2}', id="space-after-comma"),
        pytest.param(b" 1", id="leading-space"),
        pytest.param(b"1\n", id="trailing-newline"),
        pytest.param(b"[1,2]\r", id="trailing-cr"),
        pytest.param(b"{\n}", id="newline-inside"),
        pytest.param(b'{"b":1,"a":2}', id="unsorted-keys"),
        pytest.param(b'{"a":{"d":1,"c":2}}', id="nested-unsorted-keys"),
        pytest.param(b'"\\u20b9"', id="escaped-rupee"),
        pytest.param(b'"\\u0041"', id="escaped-ascii"),
        pytest.param(b'"\\ud800"', id="lone-high-surrogate"),
        pytest.param(b'"\\udc00"', id="lone-low-surrogate"),
        pytest.param(b'"\\ud83d\\ude00"', id="escaped-surrogate-pair"),
        pytest.param(b'"\xff"', id="invalid-utf8"),
        pytest.param(b'"\xed\xa0\x80"', id="utf8-encoded-surrogate"),
        pytest.param(b'"\xc0\xaf"', id="overlong-utf8"),
        pytest.param(b"\xef\xbb\xbf1", id="byte-order-mark"),
        pytest.param(b"", id="empty"),
        pytest.param(b"[1,]", id="trailing-comma"),
        pytest.param(b"{'a':1}", id="single-quotes"),
        pytest.param(b"1 2", id="two-values"),
    ],
)
def test_reader_rejects_non_canonical_or_restricted_bytes(data: bytes) -> None:
    rejected(data)


def test_escaped_rupee_and_raw_rupee_are_the_same_value_but_only_raw_is_canonical() -> None:
    assert json.loads(b'"\\u20b9"') == json.loads('"₹"'.encode())
    rejected(b'"\\u20b9"')
    assert parse_canonical('"₹"'.encode()) == "₹"


def test_check_value_accepts_tuples_like_lists() -> None:
    check_value(("a", 1, None))
    assert canonical(("a", 1)) == b'["a",1]'


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(ascii_keys, json_values, min_size=2, max_size=4))
def test_pretty_printed_objects_are_rejected(value: dict[str, Any]) -> None:
    rejected(json.dumps(value, sort_keys=True, ensure_ascii=False).encode())


# --- the fast encoder is held to the spec's own (wal-v1 §2) ------------------------------

_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
_ASCII_KEYS = st.text(alphabet=st.characters(max_codepoint=127), max_size=10)
_INTS = st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
_SPEC_VALUES = st.recursive(
    st.none() | st.booleans() | _INTS | _TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_ASCII_KEYS, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=2000, deadline=None)
@given(_SPEC_VALUES)
def test_fast_encoder_writes_exactly_the_spec_bytes(value: object) -> None:
    from chitnode.log.canonical import encode_checked, spec_encode

    assert encode_checked(value) == spec_encode(value)
    assert parse_canonical(spec_encode(value)) == value


@pytest.mark.parametrize(
    "text", ["\x00\x01\x1f\x7f", "\u2028\u2029", "\ud7ff\ue000\U0010ffff", '"\\/', "\b\f\n\r\t"]
)
def test_fast_encoder_escapes_like_the_spec(text: str) -> None:
    from chitnode.log.canonical import encode_checked, spec_encode

    assert encode_checked(text) == spec_encode(text)
