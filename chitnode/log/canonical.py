"""Canonical JSON bytes (wal-v1 §2).

`canonical(x)` is `json.dumps(x, sort_keys=True, separators=(",", ":"),
ensure_ascii=False).encode()` for values within the spec's restrictions; both the
writer (`canonical`) and the reader (`parse_canonical`) enforce them.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from chitnode import limits
from chitnode.errors import BadFormat

JSONValue = Any  # None | bool | int | str | list[JSONValue] | dict[str, JSONValue]


def check_value(value: object, depth: int = 0) -> None:
    """Raise BadFormat unless `value` obeys wal-v1 §2 (ints only, ASCII keys, bounded)."""
    if depth > limits.BODY_DEPTH_MAX:
        raise BadFormat("nested too deeply")
    kind = type(value)  # exact types first: this walk runs for every entry written or read
    if kind is str:
        _check_string(value)  # type: ignore[arg-type]
    elif kind is int:
        if not -limits.JSON_INT_MAX <= value <= limits.JSON_INT_MAX:  # type: ignore[operator]
            raise BadFormat(f"integer out of range: {value}")
    elif kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str or not key.isascii():
                raise BadFormat(f"object keys must be ASCII strings: {key!r}")
            check_value(item, depth + 1)
    elif kind is list or kind is tuple:
        for item in value:  # type: ignore[attr-defined]
            check_value(item, depth + 1)
    elif value is None or kind is bool:
        return
    elif isinstance(value, str):  # subclasses (StrEnum) encode as their text
        _check_string(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        check_value(int(value), depth)
    elif isinstance(value, float):
        raise BadFormat("floats are not allowed; amounts are integer paise")
    else:
        raise BadFormat(f"not a JSON value: {kind.__name__}")


def _check_string(text: str) -> None:
    if len(text) * 4 <= limits.STRING_BYTES_MAX and text.isascii():
        return  # short ASCII: valid UTF-8 and within the bound without encoding it
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:  # lone surrogates cannot be UTF-8
        raise BadFormat("string is not valid Unicode") from exc
    if size > limits.STRING_BYTES_MAX:
        raise BadFormat("string too long")


def canonical(value: JSONValue) -> bytes:
    """The canonical bytes of `value`; raises BadFormat when it breaks §2."""
    check_value(value)
    return encode_checked(value)


def encode_checked(value: JSONValue) -> bytes:
    """Canonical bytes of a value already known to obey §2 (no second walk).

    orjson with sorted keys writes the same bytes as the spec's
    `json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` for
    every value §2 allows (ASCII keys, ints within 2^53): a differential property
    test (tests/chitnode/log/test_canonical.py) holds them to that. It is only
    faster; the spec's encoder is the definition.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return spec_encode(value)


def spec_encode(value: JSONValue) -> bytes:
    """wal-v1 §2, word for word."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise BadFormat(f"duplicate key: {key!r}")
        result[key] = value
    return result


def _reject_float(text: str) -> float:
    raise BadFormat(f"floats are not allowed: {text}")


def _reject_constant(text: str) -> float:
    raise BadFormat(f"not a JSON number: {text}")


def parse_canonical(data: bytes) -> JSONValue:
    """Parse bytes that must already be canonical; raise BadFormat otherwise.

    The fast path (orjson) accepts only bytes that re-encode to themselves and whose
    values pass §2; anything else goes through the spec's own decoder, which names
    the problem (or, should the two ever disagree, decides).
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _parse_by_the_spec(data)
    try:
        if canonical(value) == data:
            return value
    except BadFormat:
        pass
    return _parse_by_the_spec(data)


def _parse_by_the_spec(data: bytes) -> JSONValue:
    try:
        text = data.decode("utf-8")
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_reject_float,
            parse_constant=_reject_constant,
        )
    except UnicodeDecodeError as exc:
        raise BadFormat("not UTF-8") from exc
    except RecursionError as exc:
        raise BadFormat("nested too deeply") from exc
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        if isinstance(exc, BadFormat):
            raise
        raise BadFormat(f"not JSON: {exc}") from exc
    if canonical(value) != data:
        raise BadFormat("not canonical JSON (key order, whitespace or escaping)")
    return value
