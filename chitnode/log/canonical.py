"""Canonical JSON bytes (wal-v1 §2).

`canonical(x)` is `json.dumps(x, sort_keys=True, separators=(",", ":"),
ensure_ascii=False).encode()` for values within the spec's restrictions; both the
writer (`canonical`) and the reader (`parse_canonical`) enforce them.
"""

from __future__ import annotations

import json
from typing import Any

from chitnode import limits
from chitnode.errors import BadFormat

JSONValue = Any  # None | bool | int | str | list[JSONValue] | dict[str, JSONValue]


def check_value(value: object, depth: int = 0) -> None:
    """Raise BadFormat unless `value` obeys wal-v1 §2 (ints only, ASCII keys, bounded)."""
    if depth > limits.BODY_DEPTH_MAX:
        raise BadFormat("nested too deeply")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > limits.JSON_INT_MAX:
            raise BadFormat(f"integer out of range: {value}")
        return
    if isinstance(value, float):
        raise BadFormat("floats are not allowed; amounts are integer paise")
    if isinstance(value, str):
        if len(value.encode("utf-8", "surrogatepass")) > limits.STRING_BYTES_MAX:
            raise BadFormat("string too long")
        _check_encodable(value)
        return
    if isinstance(value, list | tuple):
        for item in value:
            check_value(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise BadFormat(f"object keys must be ASCII strings: {key!r}")
            check_value(item, depth + 1)
        return
    raise BadFormat(f"not a JSON value: {type(value).__name__}")


def _check_encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates cannot be UTF-8
        raise BadFormat("string is not valid Unicode") from exc


def canonical(value: JSONValue) -> bytes:
    """The canonical bytes of `value`; raises BadFormat when it breaks §2."""
    check_value(value)
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
    """Parse bytes that must already be canonical; raise BadFormat otherwise."""
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
