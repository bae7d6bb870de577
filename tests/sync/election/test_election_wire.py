"""Election frames: every message round-trips; every bad frame is refused with its code."""

from __future__ import annotations

import json

import pytest

from chitnode.errors import ChitError
from chitnode.log.entry import Entry
from sync import limits
from sync.election import (
    Heartbeat,
    HeartbeatAnswer,
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
from sync.election.wire import decode, encode
from tests.support.election import SCOPE
from tests.support.feeds import Feed, founded, seeded_key


def vote_entry(term: int = 3, kind: str = "lease.vote") -> Entry:
    voter = Feed(seeded_key(7))
    root = founded()
    return voter.write(kind, {"scope": SCOPE, "term": term, "candidate": root.public})


def ref_of(entry: Entry) -> Ref:
    return Ref(entry.author, entry.seq, entry.hash)


@pytest.mark.parametrize(
    "message",
    [
        PreVote(SCOPE, 4),
        PreVoteAnswer("treasury", 4, True, 3),
        VoteRequest(SCOPE, 4),
        VoteAnswer(SCOPE, 4, False, 9, None, 0),
        Heartbeat(SCOPE, 4, 17),
        HeartbeatAnswer(SCOPE, 4, 17, True, 4, 30_000),
        Released(SCOPE, 4),
        TakeOver(SCOPE, 5),
        TakeOverAnswer(SCOPE, 5, False, 6, 30_000),
    ],
)
def test_messages_round_trip(message: object) -> None:
    assert decode(encode(message)) == (message, None)  # type: ignore[arg-type]


def test_a_granted_vote_travels_with_its_signed_entry() -> None:
    entry = vote_entry()
    answer = VoteAnswer(SCOPE, 3, True, 3, ref_of(entry), 30_000)
    message, carried = decode(encode(answer, entry))
    assert message == answer
    assert carried is not None and carried.raw == entry.raw


def _frame(**changes: object) -> str:
    entry = vote_entry()
    frame = json.loads(encode(VoteAnswer(SCOPE, 3, True, 3, ref_of(entry), 30_000), entry))
    frame.update(changes)
    return json.dumps(frame)


OTHER = vote_entry(term=4)
TAMPERED = vote_entry().raw.decode().replace('"term":3', '"term":5')
BAD_FRAMES = [
    ("not json", "{", "bad_message"),
    ("an array", "[]", "bad_message"),
    ("version 2", json.dumps({"v": 2, "type": "prevote", "scope": SCOPE, "term": 1}), None),
    ("unknown type", json.dumps({"v": 1, "type": "coup", "scope": SCOPE, "term": 1}), None),
    (
        "extra field",
        json.dumps({"v": 1, "type": "prevote", "scope": SCOPE, "term": 1, "x": 1}),
        None,
    ),
    ("missing field", json.dumps({"v": 1, "type": "heartbeat", "scope": SCOPE, "term": 1}), None),
    ("bool term", json.dumps({"v": 1, "type": "prevote", "scope": SCOPE, "term": True}), None),
    ("negative term", json.dumps({"v": 1, "type": "prevote", "scope": SCOPE, "term": -1}), None),
    ("huge term", json.dumps({"v": 1, "type": "prevote", "scope": SCOPE, "term": 2**60}), None),
    ("float term", json.dumps({"v": 1, "type": "prevote", "scope": SCOPE, "term": 1.5}), None),
    ("bad scope", json.dumps({"v": 1, "type": "prevote", "scope": "groups", "term": 1}), None),
    (
        "long scope",
        json.dumps({"v": 1, "type": "prevote", "scope": "group:" + "g" * 80, "term": 1}),
        None,
    ),
    ("granted, no entry", _frame(entry=None), None),
    ("granted, no vote", _frame(vote=None), None),
    ("refusal with a vote", _frame(granted=False), None),
    (
        "ok as a number",
        json.dumps(
            {
                "v": 1,
                "type": "heartbeat_answer",
                "scope": SCOPE,
                "term": 1,
                "round": 1,
                "ok": 1,
                "voter_term": 1,
            }
        ),
        None,
    ),
    ("entry of another vote", _frame(entry=OTHER.raw.decode()), None),
    ("entry tampered", _frame(entry=TAMPERED), None),
    ("entry not a vote", _frame(entry=vote_entry(kind="lease.released").raw.decode()), None),
    ("entry for another term", _frame(term=4), None),
    ("entry garbage", _frame(entry="{}"), None),
    ("too big", " " * (limits.ELECTION_FRAME_BYTES_MAX + 1), "message_too_big"),
]


@pytest.mark.parametrize(("what", "text", "code"), BAD_FRAMES, ids=[b[0] for b in BAD_FRAMES])
def test_bad_frames_are_refused_with_a_stable_code(what: str, text: str, code: str | None) -> None:
    with pytest.raises(ChitError) as info:
        decode(text)
    expected = code or ("unsupported_version" if what == "version 2" else "bad_message")
    assert info.value.code == expected, what


def test_a_transfer_travels_with_its_signed_entry_and_must_match_it() -> None:
    holder = Feed(seeded_key(7))
    to = "cd" * 32
    entry = holder.write("lease.transferred", {"scope": SCOPE, "term": 3, "to": to})
    message, carried = decode(encode(Transferred(SCOPE, 3, to), entry))
    assert message == Transferred(SCOPE, 3, to)
    assert carried is not None and carried.raw == entry.raw
    lying = json.loads(encode(Transferred(SCOPE, 3, to), entry))
    lying["to"] = "ef" * 32  # the frame names another device than the signed entry
    with pytest.raises(ChitError) as refused:
        decode(json.dumps(lying))
    assert refused.value.code == "bad_message"
