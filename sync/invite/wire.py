"""What the invite routes say on the wire, both sides: paths, version, answers."""

from __future__ import annotations

import json
from typing import Any

from chitnode.errors import CODES, ChitError
from sync import limits
from sync.peer.errors import PeerUnreachable

JOIN_PATH = "/v1/join"
STAFF_KEY_PATH = "/v1/secrets/staff-key"
PINS_PATH = "/v1/secrets/pins"
PROTOCOL = 1  # the join request's layout; another is refused (bad_join_request)


def read_answer(raw: bytes, status: int, where: str) -> dict[str, Any]:
    """The JSON object of an answer, or the refusal in it raised with its own code."""
    try:
        doc = json.loads(raw) if len(raw) <= limits.SECRETS_ANSWER_BYTES_MAX else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise PeerUnreachable(f"{where} answered {status} with no readable body")
    if status != 200 or "error" in doc:
        code = doc.get("error")
        message = str(doc.get("message", ""))[: limits.PEER_FAILURE_MESSAGE_CHARS_MAX]
        if not isinstance(code, str) or code not in CODES:  # a code is never the peer's text
            raise ChitError(f"{where} refused: {message}", code="peer_refused")
        raise ChitError(f"{where} refused: {message}", code=code)
    return doc


__all__ = ["JOIN_PATH", "PINS_PATH", "PROTOCOL", "STAFF_KEY_PATH", "read_answer"]
