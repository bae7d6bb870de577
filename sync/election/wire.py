"""Election messages as JSON frames, for the peer channel (docs/coordination.md).

One message per frame: `{"v": 1, "type": ..., "scope": ..., "term": ..., ...}`. A vote
answer also carries the vote itself, the voter's `lease.vote` entry line, so the
candidate's node can hold it before its grant names it as a dep. Everything a peer
sends is checked here before the core sees it: a frame that is not one of these
messages, or is too big, is refused with a stable code (`bad_message`,
`message_too_big`, `unsupported_version`) and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from chitnode.errors import ChitError
from chitnode.log.entry import HEX64_RE, Entry, check_hash, check_sig, parse_entry
from sync import limits
from sync.election.messages import (
    Heartbeat,
    HeartbeatAnswer,
    Message,
    PreVote,
    PreVoteAnswer,
    Ref,
    Released,
    TakeOver,
    TakeOverAnswer,
    Transferred,
    VoteAnswer,
    VoteRequest,
)
from sync.reconcile.errors import BadMessage, MessageTooBig, UnsupportedVersion

WIRE_VERSION = 1
_TYPES: dict[type, str] = {
    PreVote: "prevote",
    PreVoteAnswer: "prevote_answer",
    VoteRequest: "vote_request",
    VoteAnswer: "vote_answer",
    Heartbeat: "heartbeat",
    HeartbeatAnswer: "heartbeat_answer",
    Released: "released",
    Transferred: "transferred",
    TakeOver: "take_over",
    TakeOverAnswer: "take_over_answer",
}
_FIELDS: dict[str, set[str]] = {
    "prevote": {"scope", "term"},
    "prevote_answer": {"scope", "term", "granted", "voter_term"},
    "vote_request": {"scope", "term"},
    "vote_answer": {"scope", "term", "granted", "voter_term", "vote", "entry", "lease_ms"},
    "heartbeat": {"scope", "term", "round"},
    "heartbeat_answer": {"scope", "term", "round", "ok", "voter_term", "lease_ms"},
    "released": {"scope", "term"},
    "transferred": {"scope", "term", "to", "entry"},
    "take_over": {"scope", "term"},
    "take_over_answer": {"scope", "term", "ok", "voter_term", "lease_ms"},
}


def encode(message: Message, entry: Entry | None = None) -> str:
    """The frame of `message`; a granted vote answer carries its vote entry (`entry`)."""
    kind = _TYPES[type(message)]
    frame: dict[str, Any] = {"v": WIRE_VERSION, "type": kind}
    for name in _FIELDS[kind] - {"vote", "entry"}:
        frame[name] = getattr(message, name)
    if isinstance(message, VoteAnswer):
        frame["vote"] = message.vote.as_list() if message.vote else None
        frame["entry"] = entry.raw.decode() if entry is not None else None
    if isinstance(message, Transferred):
        assert entry is not None, "a transfer travels with its entry"
        frame["entry"] = entry.raw.decode()
    return json.dumps(frame, sort_keys=True, separators=(",", ":"))


def decode(text: str | bytes) -> tuple[Message, Entry | None]:
    """The message in a peer's frame, and the vote entry a vote answer carries."""
    if len(text) > limits.ELECTION_FRAME_BYTES_MAX:
        raise MessageTooBig(f"an election frame is at most {limits.ELECTION_FRAME_BYTES_MAX} bytes")
    try:
        frame = json.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadMessage("an election frame is a JSON object") from e
    _need(isinstance(frame, dict), "an election frame is a JSON object")
    if frame.get("v") != WIRE_VERSION:
        raise UnsupportedVersion(f"election frames of version {WIRE_VERSION} only")
    kind = frame.get("type")
    _need(isinstance(kind, str) and kind in _FIELDS, "unknown election message type")
    assert isinstance(kind, str)
    _need(set(frame) == _FIELDS[kind] | {"v", "type"}, f"{kind}: fields {sorted(_FIELDS[kind])}")
    scope, term = _scope(frame["scope"]), _int(frame["term"], "term")
    if kind == "prevote":
        return PreVote(scope, term), None
    if kind == "vote_request":
        return VoteRequest(scope, term), None
    if kind == "released":
        return Released(scope, term), None
    if kind == "heartbeat":
        return Heartbeat(scope, term, _int(frame["round"], "round")), None
    if kind == "take_over":
        return TakeOver(scope, term), None
    if kind == "transferred":
        to = frame["to"]
        _need(_hex64(to), "to is a device key")
        handed = _signed(frame["entry"], "lease.transferred", scope, term)
        _need(handed.body.get("to") == to, "the entry hands the scope to another device")
        return Transferred(scope, term, str(to)), handed
    voter_term = _int(frame["voter_term"], "voter_term")
    if kind == "heartbeat_answer":
        rnd, ok = _int(frame["round"], "round"), _bool(frame["ok"], "ok")
        lease_ms = _int(frame["lease_ms"], "lease_ms")
        return HeartbeatAnswer(scope, term, rnd, ok, voter_term, lease_ms), None
    if kind == "take_over_answer":
        ok, lease_ms = _bool(frame["ok"], "ok"), _int(frame["lease_ms"], "lease_ms")
        return TakeOverAnswer(scope, term, ok, voter_term, lease_ms), None
    granted = _bool(frame["granted"], "granted")
    if kind == "prevote_answer":
        return PreVoteAnswer(scope, term, granted, voter_term), None
    vote, entry = _vote(frame["vote"], frame["entry"], scope, term, granted)
    lease_ms = _int(frame["lease_ms"], "lease_ms")
    return VoteAnswer(scope, term, granted, voter_term, vote, lease_ms), entry


def _vote(
    ref: Any, line: Any, scope: str, term: int, granted: bool
) -> tuple[Ref | None, Entry | None]:
    """A granted answer's vote: its place, and the signed `lease.vote` entry at that place."""
    if not granted:
        _need(ref is None and line is None, "a refusal carries no vote")
        return None, None
    _need(isinstance(ref, list) and len(ref) == 3, "vote is [author, seq, hash]")
    author, seq, hash_ = ref
    _need(_hex64(author) and _hex64(hash_), "vote is [author, seq, hash]")
    vote = Ref(author, _int(seq, "vote seq"), hash_)
    entry = _signed(line, "lease.vote", scope, term)
    _need((entry.author, entry.seq, entry.hash) == (author, vote.seq, hash_), "vote ref mismatch")
    return vote, entry


def _signed(line: Any, kind: str, scope: str, term: int) -> Entry:
    """The signed entry a frame carries: of `kind`, for this scope and term."""
    _need(isinstance(line, str), f"the frame carries its {kind} entry")
    try:
        entry = parse_entry(line.encode())
        check_hash(entry)
        check_sig(entry)
    except ChitError as e:
        raise BadMessage(f"the {kind} entry is not a valid entry: {e.code}") from e
    body = entry.body
    ok = entry.kind == kind and body.get("scope") == scope and body.get("term") == term
    _need(ok, f"the entry is not a {kind} for this scope and term")
    return entry


def _need(cond: bool, message: str) -> None:
    if not cond:
        raise BadMessage(message)


def _hex64(value: Any) -> bool:
    return isinstance(value, str) and HEX64_RE.match(value) is not None


def _int(value: Any, name: str) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool)
    _need(ok and 0 <= value <= limits.ELECTION_TERM_MAX, f"{name} is an integer >= 0")
    return int(value)


def _bool(value: Any, name: str) -> bool:
    _need(isinstance(value, bool), f"{name} is true or false")
    return bool(value)


def _scope(value: Any) -> str:
    ok = isinstance(value, str) and (value == "treasury" or value.startswith("group:"))
    _need(ok and len(value) <= limits.ELECTION_SCOPE_CHARS_MAX, "scope is treasury or group:<id>")
    return str(value)
