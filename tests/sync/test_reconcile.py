"""The reconciliation core, without a network: frames, the Replica contract, sessions.

Frames: every message round-trips; any bytes decode to a message or fail with a
catalogued code (Hypothesis). The Replica contract holds for the memory replica and
the Node adapter alike. Sessions run in memory (`converse`): bounded pages, a few in
flight, a resumed session fetches only what is missing, forks are located at the
seq where two branches part and the evidence spreads, and a hostile peer gets a
stable code and changes nothing. Multi-node runs with faults: test_reconcile_sim.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from chitnode import limits as kernel
from chitnode.errors import CODES, ChitError
from chitnode.log.canonical import canonical
from chitnode.log.entry import ZERO_HASH, Entry, parse_entry, seal_entry
from chitnode.node.node import Node
from sync import limits
from sync.reconcile import (
    Done,
    ForkEvidence,
    Head,
    Hello,
    Message,
    Page,
    Reconciler,
    Replica,
    Want,
    WantEvidence,
    decode,
    encode,
)
from sync.reconcile.loopback import converse
from sync.reconcile.memory import MemoryReplica
from sync.reconcile.node_replica import NodeReplica

BRANCH = "5ea1" * 8
OTHER_BRANCH = "0f" * 16
T0_MS = 1_767_225_600_000
DECODE_CODES = frozenset({"bad_message", "message_too_big", "unsupported_version"})


def key(n: int) -> SigningKey:
    return SigningKey(bytes([n]) * 32)


def public(n: int) -> str:
    return key(n).verify_key.encode().hex()


def write(replica: MemoryReplica, n: int, count: int, ts_ms: int = T0_MS) -> list[Entry]:
    """`count` new entries of key `n`'s feed, one second apart from `ts_ms`."""
    return [replica.write(key(n), ts_ms + 1000 * i, {"i": i}) for i in range(count)]


def holding(*entries: list[Entry]) -> MemoryReplica:
    replica = MemoryReplica(BRANCH)
    for batch in entries:
        assert replica.ingest(batch).refused is None
    return replica


def sync(left: Replica, right: Replica, **options: int) -> tuple[Reconciler, Reconciler]:
    a, b = Reconciler(left, **options), Reconciler(right, **options)
    converse(a, b)
    assert a.finished and b.finished
    return a, b


def held_entries(replica: Replica) -> set[tuple[str, int, str]]:
    """(author, seq, hash) of every entry of every feed up to its head."""
    out = set()
    for author, (seq, _) in replica.heads().items():
        for line in replica.lines(author, 1, seq, 10**9):
            entry = parse_entry(line)
            out.add((entry.author, entry.seq, entry.hash))
    return out


def same(*replicas: MemoryReplica) -> bool:
    first = replicas[0]
    return all(
        (r.heads(), r.frozen(), r.digest()) == (first.heads(), first.frozen(), first.digest())
        for r in replicas
    )


def forked(prefix: int, left: int, right: int, n: int = 9) -> tuple[MemoryReplica, MemoryReplica]:
    """Two replicas holding key `n`'s feed: a shared prefix, then two branches."""
    a = MemoryReplica(BRANCH)
    shared = write(a, n, prefix)
    b = holding(shared)
    write(a, n, left, T0_MS + 100_000)
    write(b, n, right, T0_MS + 200_000)  # other bodies and times: other entries
    return a, b


# --------------------------------------------------------------------------- frames

hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)
seqs = st.integers(1, kernel.JSON_INT_MAX)
entry_lines = st.binary(min_size=1, max_size=300).filter(lambda b: b"\n" not in b)


@st.composite
def heads(draw: st.DrawFn) -> tuple[Head, ...]:
    authors = sorted(draw(st.lists(hex64, unique=True, max_size=6)))
    out = []
    for author in authors:
        frozen = draw(st.integers(0, 50))
        seq = draw(st.integers(0, frozen - 1)) if frozen else draw(st.integers(1, 10**12))
        hash_hex = ZERO_HASH if seq == 0 else draw(hex64.filter(lambda h: h != ZERO_HASH))
        out.append(Head(author, seq, hash_hex, frozen))
    return tuple(out)


@st.composite
def hellos(draw: st.DrawFn) -> Hello:
    parts = draw(st.integers(1, limits.HELLO_PARTS_MAX))
    branch = draw(st.text("0123456789abcdef", min_size=32, max_size=32))
    return Hello(
        branch, draw(st.integers(0, 10**9)), draw(st.integers(0, parts - 1)), parts, draw(heads())
    )


messages: st.SearchStrategy[Message] = st.one_of(
    hellos(),
    st.builds(Want, hex64, seqs, st.integers(1, limits.PAGE_ENTRIES_MAX)),
    st.builds(Page, hex64, seqs, st.lists(entry_lines, max_size=8).map(tuple)),
    st.builds(WantEvidence, hex64),
    st.builds(ForkEvidence, hex64, seqs, st.tuples(entry_lines, entry_lines)),
    st.builds(Done, st.integers(0, kernel.JSON_INT_MAX)),
)


def decodes_or_refuses(frame: bytes) -> Message | None:
    """The message `frame` holds, or None after checking the refusal's code."""
    try:
        return decode(frame)
    except ChitError as exc:
        assert exc.code in DECODE_CODES and exc.code in CODES, exc.code
        return None


@given(messages)
def test_every_message_round_trips(message: Message) -> None:
    frame = encode(message)
    assert decode(frame) == message
    assert len(frame) <= limits.MESSAGE_BYTES_MAX


@settings(max_examples=400)
@given(st.binary(max_size=3000))
def test_any_bytes_decode_to_a_message_or_a_catalogued_code(frame: bytes) -> None:
    decodes_or_refuses(frame)


@settings(max_examples=400)
@given(messages, st.data())
def test_damaged_frames_decode_to_a_message_or_a_catalogued_code(
    message: Message, data: st.DataObject
) -> None:
    frame = bytearray(encode(message))
    at = data.draw(st.integers(0, len(frame) - 1))
    how = data.draw(st.sampled_from(["flip", "cut", "insert", "repeat"]))
    if how == "flip":
        frame[at] ^= 1 << data.draw(st.integers(0, 7))
    elif how == "cut":
        del frame[at:]
    elif how == "insert":
        frame[at:at] = data.draw(st.binary(min_size=1, max_size=20))
    else:
        frame[at:at] = frame[at : at + data.draw(st.integers(1, 40))]
    decodes_or_refuses(bytes(frame))


def frame(header: dict[str, object], *lines: bytes) -> bytes:
    return canonical(header) + b"\n" + b"".join(line + b"\n" for line in lines)


A64, H64 = "a" * 64, "b" * 64
WANT = {"t": "want", "author": A64, "from_seq": 1, "limit": 4}
HELLO = {"t": "hello", "v": 1, "branch": BRANCH, "round": 0, "part": 0, "parts": 1, "heads": []}
PAGE = {"t": "page", "author": A64, "from_seq": 1, "count": 1}
BAD_FRAMES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "bad_message"),
    "no newline": (canonical(WANT), "bad_message"),
    "not json": (b"want me\n", "bad_message"),
    "not canonical": (json.dumps(WANT).encode() + b"\n", "bad_message"),
    "a list": (b"[1,2]\n", "bad_message"),
    "unknown type": (frame({**WANT, "t": "gimme"}), "bad_message"),
    "unknown field": (frame({**WANT, "please": 1}), "bad_message"),
    "missing field": (frame({"t": "want", "author": A64, "from_seq": 1}), "bad_message"),
    "seq 0": (frame({**WANT, "from_seq": 0}), "bad_message"),
    "bool for int": (frame({**WANT, "from_seq": True}), "bad_message"),
    "string for int": (frame({**WANT, "from_seq": "1"}), "bad_message"),
    "float": (
        b'{"author":"' + A64.encode() + b'","from_seq":1.0,"limit":4,"t":"want"}\n',
        "bad_message",
    ),
    "upper-case author": (frame({**WANT, "author": A64.upper()}), "bad_message"),
    "limit above a page": (
        frame({**WANT, "limit": limits.PAGE_ENTRIES_MAX + 1}),
        "message_too_big",
    ),
    "lines after a want": (frame(WANT, b"{}"), "bad_message"),
    "fewer lines than said": (frame({**PAGE, "count": 2}, b"{}"), "bad_message"),
    "more lines than said": (frame(PAGE, b"{}", b"{}"), "bad_message"),
    "empty line": (frame(PAGE, b""), "bad_message"),
    "unterminated line": (frame(PAGE, b"{}")[:-1], "bad_message"),
    "count above a page": (
        frame({**PAGE, "count": limits.PAGE_ENTRIES_MAX + 1}),
        "message_too_big",
    ),
    "line above an entry": (frame(PAGE, b"x" * (kernel.ENTRY_BYTES_MAX + 1)), "message_too_big"),
    "three evidence lines": (
        frame({"t": "evidence", "author": A64, "seq": 2}, b"1", b"2", b"3"),
        "bad_message",
    ),
    "version 2": (frame({**HELLO, "v": 2}), "unsupported_version"),
    "short branch": (frame({**HELLO, "branch": "ab"}), "bad_message"),
    "part past parts": (frame({**HELLO, "part": 1}), "bad_message"),
    "too many parts": (frame({**HELLO, "parts": limits.HELLO_PARTS_MAX + 1}), "message_too_big"),
    "unsorted heads": (
        frame({**HELLO, "heads": [[H64, 1, H64, 0], [A64, 1, H64, 0]]}),
        "bad_message",
    ),
    "twice one author": (
        frame({**HELLO, "heads": [[A64, 1, H64, 0], [A64, 2, H64, 0]]}),
        "bad_message",
    ),
    "head past its fork": (frame({**HELLO, "heads": [[A64, 5, H64, 5]]}), "bad_message"),
    "empty feed unfrozen": (frame({**HELLO, "heads": [[A64, 0, ZERO_HASH, 0]]}), "bad_message"),
    "zero hash at seq 3": (frame({**HELLO, "heads": [[A64, 3, ZERO_HASH, 0]]}), "bad_message"),
    "header too long": (b"{" + b" " * limits.HEADER_BYTES_MAX + b"}\n", "message_too_big"),
    "frame too long": (frame(PAGE, b"x" * limits.MESSAGE_BYTES_MAX), "message_too_big"),
}


@pytest.mark.parametrize("name", sorted(BAD_FRAMES))
def test_bad_frames_get_their_code(name: str) -> None:
    data, code = BAD_FRAMES[name]
    with pytest.raises(ChitError) as caught:
        decode(data)
    assert caught.value.code == code


def test_many_heads_are_refused_past_the_bound() -> None:
    heads_list = [[f"{i:064x}", 1, H64, 0] for i in range(1, limits.HEADS_PER_MESSAGE_MAX + 2)]
    with pytest.raises(ChitError) as caught:
        decode(frame({**HELLO, "heads": heads_list}))
    assert caught.value.code == "message_too_big"


def test_encode_refuses_what_decode_would() -> None:
    for message in (
        Page(A64, 1, (b'{"a":1}\n{"b":2}',)),  # a newline inside a line
        Want(A64, 0, 1),
        Hello(BRANCH, 0, 0, 1, (Head(H64, 1, H64), Head(A64, 1, H64))),
    ):
        with pytest.raises(ChitError) as caught:
            encode(message)
        assert caught.value.code == "bad_message"


def test_the_largest_messages_fit_their_frames() -> None:
    """The bounds of sync/limits.py hold for real extremes, not only in their asserts."""
    big_line = b"x" * kernel.ENTRY_BYTES_MAX
    per_page = limits.PAGE_BYTES_MAX // kernel.ENTRY_BYTES_MAX
    full = Page(A64, kernel.JSON_INT_MAX, (big_line,) * per_page)
    assert decode(encode(full)) == full
    many = Page(A64, 1, (b"y" * (limits.PAGE_BYTES_MAX // limits.PAGE_ENTRIES_MAX - 1),) * 256)
    assert decode(encode(many)) == many
    fat = tuple(
        Head(f"{i:064x}", kernel.JSON_INT_MAX - 1, "f" * 64, kernel.JSON_INT_MAX)
        for i in range(1, limits.HEADS_PER_MESSAGE_MAX + 1)
    )
    hello = Hello("f" * 32, kernel.JSON_INT_MAX, 15, limits.HELLO_PARTS_MAX, fat)
    assert encode(hello).index(b"\n") <= limits.HEADER_BYTES_MAX
    assert decode(encode(hello)) == hello
    evidence = ForkEvidence(A64, 1, (big_line, big_line))
    assert decode(encode(evidence)) == evidence


# --------------------------------------------------------------------------- the Replica contract


@dataclass
class Subject:
    """A replica under test, the key of its own feed, and how to add entries to it."""

    replica: Replica
    signer: SigningKey
    append: Callable[[int], None]

    @property
    def author(self) -> str:
        return self.signer.verify_key.encode().hex()

    def entries(self) -> list[Entry]:
        seq = self.replica.head(self.author)[0]
        return [parse_entry(line) for line in self.replica.lines(self.author, 1, seq, 10**9)]


@pytest.fixture(params=["memory", "node"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    counter = iter(range(10**6))
    if request.param == "memory":
        memory, signer = MemoryReplica(BRANCH), key(7)

        def note(n: int) -> None:
            for _ in range(n):
                memory.write(signer, T0_MS + 1000 * next(counter), {})

        yield Subject(memory, signer, note)
        return
    node: Node = request.getfixturevalue("fresh_node")

    def register(n: int) -> None:
        for _ in range(n):
            node.submit("member.registered", {"member_id": f"m{next(counter)}", "name": "M"})

    yield Subject(NodeReplica(node), node.key, register)


def signed_after(subject: Subject, before: Entry, seq: int, prev: str) -> Entry:
    """A new entry of the subject's own key at `seq` after `prev`, like `before` but its body."""
    return seal_entry(
        subject.signer,
        branch=before.branch,
        seq=seq,
        prev=prev,
        ts=before.ts + 1,
        deps=before.deps,
        kind=before.kind,
        body={**before.body, "forged": True},
    )


def test_contract_heads_and_lines(subject: Subject) -> None:
    subject.append(5)
    entries = subject.entries()
    replica, author = subject.replica, subject.author
    assert len(entries) >= 5 and [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert replica.head(author) == (entries[-1].seq, entries[-1].hash)
    assert replica.heads()[author] == replica.head(author)
    assert replica.head("e" * 64) == (0, ZERO_HASH) and replica.frozen() == {}
    assert replica.lines(author, 2, 3, 10**9) == [e.raw for e in entries[1:4]]
    two = len(entries[1].raw) + len(entries[2].raw)
    assert replica.lines(author, 2, 3, two) == [e.raw for e in entries[1:3]]
    assert replica.lines(author, len(entries) + 1, 3, 10**9) == []
    assert replica.evidence(author) is None


def test_contract_ingest_is_idempotent(subject: Subject) -> None:
    subject.append(3)
    before = subject.replica.heads()
    report = subject.replica.ingest(subject.entries())
    assert (report.stored, report.forks, report.refused) == (0, 0, None)
    assert report.duplicates == len(subject.entries())
    assert subject.replica.heads() == before


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        (lambda e: replace(e, sig=("0" if e.sig[0] != "0" else "1") + e.sig[1:]), "bad_sig"),
        (lambda e: replace(e, raw=e.raw.replace(b'"forged":true', b'"forged":null')), "bad_hash"),
    ],
)
def test_contract_a_refused_batch_changes_nothing(
    subject: Subject, damage: Callable[[Entry], Entry], code: str
) -> None:
    subject.append(2)
    last = subject.entries()[-1]
    good = signed_after(subject, last, last.seq + 1, last.hash)
    bad = damage(good)
    before = (subject.replica.heads(), subject.replica.frozen())
    assert subject.replica.ingest([good, bad]).refused == code
    assert (subject.replica.heads(), subject.replica.frozen()) == before


def test_contract_another_branch_is_refused(subject: Subject) -> None:
    subject.append(1)
    stranger = seal_entry(
        key(3),
        branch=OTHER_BRANCH,
        seq=1,
        prev=ZERO_HASH,
        ts=T0_MS,
        deps=(),
        kind="note.written",
        body={},
    )
    assert subject.replica.ingest([stranger]).refused == "wrong_branch"


def test_contract_a_fork_freezes_the_feed_before_it(subject: Subject) -> None:
    subject.append(4)
    entries = subject.entries()
    at = entries[2]
    other = signed_after(subject, at, at.seq, at.prev)  # an equivocation
    report = subject.replica.ingest([other])
    assert report.forks == 1 and report.refused is None
    assert subject.replica.frozen() == {subject.author: at.seq}
    assert subject.replica.head(subject.author) == (at.seq - 1, entries[at.seq - 2].hash)
    evidence = subject.replica.evidence(subject.author)
    assert evidence is not None and set(evidence) == {at.raw, other.raw}
    assert subject.replica.ingest([other]).forks == 0  # evidence already held: idempotent


def test_evidence_just_past_the_head_freezes_the_feed(subject: Subject) -> None:
    """Both twins are new here: the first continues the feed, the second is the fork
    (found by the simulation on a real node: seed 1000058)."""
    subject.append(2)
    last = subject.entries()[-1]
    one = signed_after(subject, last, last.seq + 1, last.hash)
    two = seal_entry(
        subject.signer,
        branch=one.branch,
        seq=one.seq,
        prev=one.prev,
        ts=one.ts,
        deps=one.deps,
        kind=one.kind,
        body={**last.body, "twin": True},
    )
    session = Reconciler(subject.replica)
    assert session.receive(ForkEvidence(subject.author, one.seq, (one.raw, two.raw))) == []
    assert session.stats.evidence_used == 1
    assert subject.replica.frozen() == {subject.author: one.seq}
    assert subject.replica.head(subject.author) == (last.seq, last.hash)


# --------------------------------------------------------------------------- sessions


def test_a_node_far_behind_catches_up_in_bounded_pages() -> None:
    ahead = MemoryReplica(BRANCH)
    for n in (1, 2, 3):
        write(ahead, n, 200, T0_MS + n)
    behind = MemoryReplica(BRANCH)
    a = Reconciler(ahead, page_entries=16, pages_in_flight=3)
    b = Reconciler(behind, page_entries=16, pages_in_flight=3)
    in_flight = {"now": 0, "max": 0}  # pages `b` asked for and has not received

    def observe(receiver: Reconciler, frame: bytes) -> None:
        message = decode(frame)
        if isinstance(message, Want) and receiver is a:
            assert message.limit <= 16
            in_flight["now"] += 1
        elif isinstance(message, Page) and receiver is b:
            assert len(message.lines) <= 16
            in_flight["now"] -= 1
        in_flight["max"] = max(in_flight["max"], in_flight["now"])

    converse(a, b, observe=observe)
    assert same(ahead, behind)
    assert b.stats.lines_in == b.stats.stored == 600  # every entry fetched once
    assert b.stats.pages_in == 3 * -(-200 // 16)
    assert in_flight["max"] <= 3
    assert b.stats.buffered_max <= 3 * 16
    assert a.plan() == [] and b.plan() == []


def test_pages_are_also_cut_by_bytes() -> None:
    ahead = MemoryReplica(BRANCH)
    big = ["x" * 15_000] * 4  # ~60 kB lines: a 256-entry page holds 17 of them
    entries = [ahead.write(key(1), T0_MS + i, {"pad": big}) for i in range(40)]
    behind = MemoryReplica(BRANCH)
    _, b = sync(ahead, behind)
    assert same(ahead, behind)
    assert b.stats.lines_in == len(entries)
    assert b.stats.pages_in >= 3


def test_a_dropped_session_resumes_where_it_stopped() -> None:
    ahead = MemoryReplica(BRANCH)
    for n in (1, 2):
        write(ahead, n, 100, T0_MS + n)
    behind = MemoryReplica(BRANCH)
    a, b = (
        Reconciler(ahead, page_entries=8, pages_in_flight=2),
        Reconciler(behind, page_entries=8, pages_in_flight=2),
    )
    queue = [(b, m) for m in a.start()] + [(a, m) for m in b.start()]
    for _ in range(25):  # the connection drops after 25 frames
        receiver, message = queue.pop(0)
        sender = a if receiver is b else b
        queue.extend((sender, m) for m in receiver.receive(decode(encode(message))))
    got = sum(s for s, _ in behind.heads().values())
    assert 0 < got < 200
    _, again = sync(ahead, behind, page_entries=8, pages_in_flight=2)
    assert same(ahead, behind)
    assert again.stats.lines_in == 200 - got  # nothing fetched twice


def test_repeated_and_late_messages_change_nothing() -> None:
    ahead, behind = MemoryReplica(BRANCH), MemoryReplica(BRANCH)
    write(ahead, 1, 30)
    write(behind, 2, 20)
    a, b = Reconciler(ahead, page_entries=4), Reconciler(behind, page_entries=4)
    queue = [(b, m) for m in a.start()] + [(a, m) for m in b.start()]
    seen = 0
    while queue:
        receiver, message = queue.pop()  # last in, first out: everything arrives reordered
        sender = a if receiver is b else b
        for _ in range(2):  # and twice
            queue.extend((sender, m) for m in receiver.receive(message))
        seen += 1
        assert seen < 10_000
    assert same(ahead, behind)
    assert a.stats.unsolicited + b.stats.unsolicited > 0


def test_resend_recovers_from_lost_messages() -> None:
    ahead, behind = MemoryReplica(BRANCH), MemoryReplica(BRANCH)
    write(ahead, 1, 40)
    a, b = Reconciler(ahead, page_entries=4), Reconciler(behind, page_entries=4)
    for message in a.start():  # b hears a; every page a sends back is lost
        a_says = b.receive(message)
        for want in a_says:
            a.receive(want)
    assert not b.caught_up and b.plan()
    queue = [(a, m) for m in b.resend()]
    while queue:
        receiver, message = queue.pop(0)
        sender = a if receiver is b else b
        queue.extend((sender, m) for m in receiver.receive(message))
    assert same(ahead, behind) and b.caught_up


@pytest.mark.parametrize(
    ("prefix", "left", "right"), [(5, 3, 4), (0, 2, 2), (30, 1, 12), (4, 20, 20)]
)
def test_a_fork_is_found_where_the_branches_part(prefix: int, left: int, right: int) -> None:
    a, b = forked(prefix, left, right)
    far = holding()  # a third node holding only some of the prefix, from `a`
    sync(a, far, page_entries=2)
    ra, rb = sync(a, b, page_entries=2)  # probe pages of 2: the fork is found by walking back
    assert ra.stats.forks_found + rb.stats.forks_found >= 1
    fork = prefix + 1
    assert a.frozen() == b.frozen() == {public(9): fork}
    assert a.head(public(9))[0] == prefix
    assert same(a, b)
    sync(far, b, page_entries=2)  # `far` never saw both branches: the evidence travels
    assert same(a, b, far)


def test_evidence_reaches_a_node_that_never_saw_the_other_branch() -> None:
    a, b = forked(6, 3, 3)
    c = MemoryReplica(BRANCH)
    sync(a, c)  # c holds a's branch only
    sync(a, b)
    _, rc = sync(b, c)
    assert rc.stats.evidence_used == 1 or rc.stats.forks_found == 1
    assert same(a, b, c) and c.frozen() == {public(9): 7}


# --------------------------------------------------------------------------- a peer that lies


def asked_of(session: Reconciler, peer: MemoryReplica) -> list[Want]:
    """Give `session` the peer's summary; return the pages it asks for."""
    out: list[Message] = []
    for hello in Reconciler(peer).start():
        out.extend(session.receive(hello))
    return [m for m in out if isinstance(m, Want)]


def refused_with(session: Reconciler, message: Message, replica: MemoryReplica) -> str:
    before = (replica.heads(), replica.frozen(), replica.digest())
    with pytest.raises(ChitError) as caught:
        session.receive(message)
    assert (replica.heads(), replica.frozen(), replica.digest()) == before
    assert caught.value.code in CODES
    return caught.value.code


def tampered(line: bytes) -> bytes:
    obj = json.loads(line)
    obj["body"]["i"] = -1
    return canonical(obj)


@pytest.mark.parametrize(
    ("lie", "code"),
    [
        (
            lambda want, lines: Page(want.author, want.from_seq, (tampered(lines[0]), *lines[1:])),
            "bad_hash",
        ),
        (lambda want, lines: Page(want.author, want.from_seq, lines[1:]), "bad_page"),  # shifted
        (
            lambda want, lines: Page(want.author, want.from_seq, lines[:1] + lines[2:]),
            "bad_page",
        ),  # a gap
        (
            lambda want, lines: Page(want.author, want.from_seq, (*lines[:-1], lines[0])),
            "bad_page",
        ),  # a line again
        (lambda want, lines: Page(want.author, want.from_seq, (b"{}", *lines[1:])), "bad_page"),
        (lambda want, lines: Page(want.author, want.from_seq, (lines[0][:-1],)), "bad_page"),
    ],
)
def test_a_lying_page_is_refused_and_changes_nothing(
    lie: Callable[[Want, tuple[bytes, ...]], Page], code: str
) -> None:
    peer = MemoryReplica(BRANCH)
    write(peer, 1, 8)
    local = MemoryReplica(BRANCH)
    session = Reconciler(local, page_entries=4, pages_in_flight=1)
    (want,) = asked_of(session, peer)
    lines = tuple(peer.lines(want.author, want.from_seq, want.limit, 10**9))
    assert refused_with(session, lie(want, lines), local) == code


def test_another_authors_lines_are_refused() -> None:
    peer = MemoryReplica(BRANCH)
    write(peer, 1, 4)
    write(peer, 2, 4)
    local = MemoryReplica(BRANCH)
    session = Reconciler(local, page_entries=4, pages_in_flight=1)
    (want,) = asked_of(session, peer)
    stranger = 2 if want.author == public(1) else 1
    lines = tuple(peer.lines(public(stranger), 1, 4, 10**9))
    assert refused_with(session, Page(want.author, 1, lines), local) == "bad_page"


def test_false_evidence_is_refused() -> None:
    a, b = forked(3, 2, 2)
    local = holding([parse_entry(line) for line in a.lines(public(9), 1, 5, 10**9)])
    session = Reconciler(local)
    mine = a.lines(public(9), 4, 2, 10**9)
    theirs = b.lines(public(9), 4, 2, 10**9)
    cases = [
        (ForkEvidence(public(9), 4, (mine[0], mine[0])), "bad_evidence"),  # not two entries
        (ForkEvidence(public(9), 4, (mine[0], theirs[1])), "bad_evidence"),  # not one seq
        (ForkEvidence(public(9), 5, (mine[1], theirs[1])), "bad_evidence"),  # not one prev
        (ForkEvidence(public(8), 4, (mine[0], theirs[0])), "bad_evidence"),  # not that author
        (ForkEvidence(public(9), 4, (mine[0], tampered(theirs[0]))), "bad_hash"),
    ]
    for evidence, code in cases:
        assert refused_with(session, evidence, local) == code
    session.receive(ForkEvidence(public(9), 4, (mine[0], theirs[0])))
    assert local.frozen() == {public(9): 4}


def test_a_summary_of_another_branch_or_version_is_refused() -> None:
    local = MemoryReplica(BRANCH)
    session = Reconciler(local)
    assert refused_with(session, Hello(OTHER_BRANCH, 0, 0, 1, ()), local) == "wrong_branch"
    assert (
        refused_with(session, Hello(BRANCH, 0, 0, 1, (), version=2), local) == "unsupported_version"
    )


def test_a_newer_summary_without_a_feed_stops_its_fetch() -> None:
    """Found by the hostile-peer property: a page in flight for a feed the peer's newer
    summary no longer names is checked, and nothing past that summary is taken."""
    peer = MemoryReplica(BRANCH)
    write(peer, 1, 6)
    local = MemoryReplica(BRANCH)
    session = Reconciler(local, page_entries=3, pages_in_flight=1)
    (want,) = asked_of(session, peer)
    assert session.receive(Hello(BRANCH, 1, 0, 1, ())) == []  # the page is still out
    lines = tuple(peer.lines(want.author, want.from_seq, want.limit, 10**9))
    assert session.receive(Page(want.author, want.from_seq, lines)) == [Done(1)]
    assert local.heads() == {} and session.caught_up


def test_lines_past_the_request_are_not_taken() -> None:
    """Found by the simulation: after a resend, a late answer to an earlier, larger request
    at the same seq is what an honest peer sends; the lines past the request are left."""
    peer = MemoryReplica(BRANCH)
    write(peer, 1, 8)
    local = MemoryReplica(BRANCH)
    session = Reconciler(local, page_entries=3, pages_in_flight=1)
    (want,) = asked_of(session, peer)
    assert (want.from_seq, want.limit) == (1, 3)
    session.receive(Page(want.author, 1, tuple(peer.lines(want.author, 1, 8, 10**9))))
    assert local.head(public(1))[0] == 3


def test_pages_nobody_asked_for_are_dropped() -> None:
    peer = MemoryReplica(BRANCH)
    lines = tuple(e.raw for e in write(peer, 1, 4))
    local = MemoryReplica(BRANCH)
    session = Reconciler(local)
    assert session.receive(Page(public(1), 1, lines)) == []
    assert session.stats.unsolicited == 1 and local.heads() == {}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_hostile_peer_gets_a_code_and_changes_nothing(data: st.DataObject) -> None:
    """Honest answers, lies and junk in any order: a lie gets a code and is never stored.

    A refused message changes nothing; only a page can be refused after earlier,
    honest pages it released were ingested, so then the local log holds honest
    entries only.
    """
    a, b = forked(3, 3, 2)
    write(b, 2, 5)
    local = holding([parse_entry(line) for line in a.lines(public(9), 1, 4, 10**9)])
    pool = [
        line for r in (a, b) for au in (public(9), public(2)) for line in r.lines(au, 1, 10, 10**9)
    ]
    honest = {parse_entry(line).hash for line in pool}
    junk = st.one_of(st.sampled_from(pool), st.sampled_from(pool).map(tampered), entry_lines)
    session = Reconciler(local, page_entries=3, pages_in_flight=2)
    wants = asked_of(session, b)
    choices = ["honest"] * 5 + ["lie"] * 2 + ["junk", "evidence", "hello", "done"]
    for _ in range(data.draw(st.integers(1, 30))):
        choice = data.draw(st.sampled_from(choices))
        if choice in ("honest", "lie") and wants:
            want = wants.pop(data.draw(st.integers(0, len(wants) - 1)))
            lines = tuple(b.lines(want.author, want.from_seq, want.limit, 10**9))
            if choice == "lie":
                lines = tuple(data.draw(st.lists(junk, max_size=want.limit)))
            message: Message = Page(want.author, want.from_seq, lines)
        elif choice == "evidence":  # the true pair, or lines of the pool, or junk
            true = (a.lines(public(9), 4, 1, 10**9)[0], b.lines(public(9), 4, 1, 10**9)[0])
            other = st.tuples(st.sampled_from(pool), st.one_of(junk, st.sampled_from(pool)))
            first, second = data.draw(st.one_of(st.just(true), other))
            message = ForkEvidence(public(9), parse_entry(first).seq, (first, second))
        elif choice == "hello":  # b's summary again, or anyone's of this branch, or another's
            ours = hellos().map(lambda h: replace(h, branch=BRANCH))
            message = data.draw(st.one_of(st.sampled_from(Reconciler(b).start()), ours, hellos()))
        else:
            message = data.draw(st.one_of(messages, st.builds(Done, st.integers(0, 3))))
        before = (local.heads(), local.frozen(), local.digest())
        try:
            out = session.receive(message)
        except ChitError as exc:
            event(f"refused {exc.code}")
            assert exc.code in CODES
            if not isinstance(message, Page):
                assert (local.heads(), local.frozen(), local.digest()) == before
            assert {h for _, _, h in held_entries(local)} <= honest
            return  # the shell closes the session
        event(f"took a {choice} message")
        wants.extend(m for m in out if isinstance(m, Want))
        assert session.stats.buffered_max <= 3 * 2


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_two_replicas_converge_whatever_they_hold(data: st.DataObject) -> None:
    left, right = MemoryReplica(BRANCH), MemoryReplica(BRANCH)
    for n in range(1, data.draw(st.integers(1, 3)) + 1):
        prefix, more_left, more_right = (data.draw(st.integers(0, 6)) for _ in range(3))
        scribe = MemoryReplica(BRANCH)
        shared = write(scribe, n, prefix, T0_MS + n)
        if data.draw(st.booleans()):  # a fork after the prefix (when both branches go on)
            left_own = holding(shared)
            right_own = holding(shared)
            extra_left = write(left_own, n, more_left, T0_MS + 10_000)
            extra_right = write(right_own, n, more_right, T0_MS + 20_000)
        else:
            longer = write(scribe, n, max(more_left, more_right), T0_MS + 10_000)
            extra_left, extra_right = longer[:more_left], longer[:more_right]
        assert left.ingest(shared + extra_left).refused is None
        assert right.ingest(shared + extra_right).refused is None
    page = data.draw(st.integers(1, 5))
    flight = data.draw(st.integers(1, limits.PAGES_IN_FLIGHT_MAX))
    sync(left, right, page_entries=page, pages_in_flight=flight)
    assert same(left, right)
    assert all(
        seq < fork for author, fork in left.frozen().items() for seq in [left.head(author)[0]]
    )
