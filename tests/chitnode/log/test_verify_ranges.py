"""The range path of `verify_file` for big exports: workers check byte ranges of the file
and the parent proves the whole file clean; anything not clean is verified again by
`verify_stream`. Either way the report must be exactly the sequential one.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chitnode import limits
from chitnode.log import verify
from chitnode.log.authority_check import Run, runs_authorised
from chitnode.log.verify import VerifyReport, line_ranges, verify_file, verify_stream
from tests.vectors import tamper as t
from tests.vectors.tamper import DEPUTY, DEPUTY_SK, FOREMAN, MEMBER, MEMBER_SK, ROOT, STRANGER_SK

Entry = dict[str, Any]
HEADER = t.parse(t.VECTOR_BYTES)[0]


def _next(feed: list[Entry], sk: Any, kind: str, body: dict[str, Any], deps: list[Any]) -> Entry:
    last = feed[-1] if feed else None
    entry = {
        "v": 1,
        "branch": t.BRANCH,
        "author": t.pub(sk),
        "seq": last["seq"] + 1 if last else 1,
        "prev": last["hash"] if last else "0" * 64,
        "ts": 1767225700000 + (last["seq"] if last else 0),
        "deps": deps,
        "kind": kind,
        "body": body,
    }
    return t.sign(entry)


def _dep(entry: Entry) -> list[Any]:
    return [entry["author"], entry["seq"], entry["hash"]]


def _entries(per_feed: int = (limits.VERIFY_PARALLEL_MIN_ENTRIES + 300) // 3) -> list[Entry]:
    """Root enrols a foreman and a deputy admin; the deputy enrols a member; three long
    feeds with deps that change every 97 entries (so several runs per feed)."""
    base = t.base()
    root = [t.find(base, ROOT, 1), t.find(base, ROOT, 2)]  # genesis, foreman enrolled
    enrol = {"key": DEPUTY, "role": "admin", "name": "deputy"}
    root.append(_next(root, t.ROOT_SK, "device.enrolled", enrol, []))
    deputy = [
        _next(
            [],
            DEPUTY_SK,
            "device.enrolled",
            {"key": MEMBER, "role": "member", "name": "m"},
            [_dep(root[2])],
        )
    ]
    member: list[Entry] = []
    foreman: list[Entry] = []
    for i in range(per_feed):
        root.append(_next(root, t.ROOT_SK, "note.added", {"i": i}, []))
        deps = [_dep(root[2 + 97 * (i // 97)])]
        foreman.append(_next(foreman, t.FOREMAN_SK, "note.added", {"i": i, "who": "f"}, deps))
        member.append(_next(member, MEMBER_SK, "note.added", {"i": i}, [_dep(deputy[0])]))
    return root + deputy + member + foreman


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return _entries()


def _file(tmp_path: Path, entries: list[Entry], name: str = "big.chitlog", **header: Any) -> Path:
    path = tmp_path / name
    path.write_bytes(t.build(entries, header={**HEADER, "count": len(entries), **header}))
    return path


def _sequential(path: Path, **kwargs: Any) -> VerifyReport:
    with open(path, "rb") as stream:
        return verify_stream(stream, workers=1, **kwargs)


def _same(a: VerifyReport, b: VerifyReport) -> None:
    assert a.problems == b.problems
    assert (a.entries, a.feeds, a.partial_from) == (b.entries, b.feeds, b.partial_from)
    assert a.header == b.header


def _parallel(path: Path, **kwargs: Any) -> tuple[VerifyReport, int]:
    calls: list[int] = []
    report = verify_file(path, workers=2, on_entry=lambda: calls.append(1), **kwargs)
    return report, len(calls)


@pytest.fixture
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "VERIFY_RANGE_BYTES", 64 * 1024)  # about 150 lines a range


def test_a_clean_big_file_is_proven_clean_by_ranges_alone(
    tmp_path: Path, entries: list[Entry], small_ranges: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, entries)
    expected = _sequential(path)
    assert expected.ok and expected.entries == len(entries) >= limits.VERIFY_PARALLEL_MIN_ENTRIES

    def no_second_pass(*args: Any, **kwargs: Any) -> VerifyReport:
        raise AssertionError("the range path fell back to verify_stream")

    monkeypatch.setattr(verify, "verify_stream", no_second_pass)
    report, ticks = _parallel(path)
    _same(report, expected)
    assert ticks == len(entries)


def test_line_ranges_cut_only_after_newlines() -> None:
    lines = [b"x" * (n % 37) for n in range(400)]
    data = b"H\n" + b"".join(line + b"\n" for line in lines)
    start, end = 2, len(data)
    for size in (1, 5, 36, 100, 1000, len(data)):
        ranges = line_ranges(io.BytesIO(data), start, end, size)
        assert ranges[0][0] == start and ranges[-1][1] == end
        assert all(a < b for a, b in ranges)
        assert all(b == c for (_, b), (c, _) in itertools.pairwise(ranges))
        assert all(data[b - 1 : b] == b"\n" for _, b in ranges)
        rejoined = [line for a, b in ranges for line in data[a : b - 1].split(b"\n")]
        assert rejoined == lines


def test_line_ranges_give_up_on_a_line_longer_than_an_export_line() -> None:
    data = b"H\n" + b"a\n" + b"x" * (limits.EXPORT_LINE_BYTES_MAX + 10) + b"\nb\n"
    with pytest.raises(verify._NotClean):
        line_ranges(io.BytesIO(data), 2, len(data), 10)


def _tampered(entries: list[Entry], index: int, change: Callable[[Entry], Entry]) -> list[Entry]:
    """`change` one entry; when that changes its hash, relink the rest of its feed, so
    the entry itself is the only thing wrong with the file."""
    out = list(entries)
    before = out[index]
    out[index] = change(before)
    i = index + 1
    while out[index]["hash"] != before["hash"] and i < len(out):
        if out[i]["author"] != before["author"]:
            break
        out[i] = t.sign({**out[i], "prev": out[i - 1]["hash"]})
        i += 1
    return out


MIDDLE = 2000  # a member entry, inside a range, far from its edges
TAMPERS: dict[str, Callable[[Entry], Entry]] = {
    "bad_sig": lambda e: {**e, "sig": "00" * 64},
    "bad_hash": lambda e: {**e, "ts": e["ts"] + 1},
    "broken_chain": lambda e: t.sign({**e, "prev": "ab" * 32}),
    "float_body": lambda e: t.sign({**e, "body": {"i": 1.5}}),
    "big_int_body": lambda e: t.sign({**e, "body": {"i": 2**53}}),
    "bool_dep_seq": lambda e: t.sign({**e, "deps": [[e["deps"][0][0], True, e["deps"][0][2]]]}),
    "wrong_dep_hash": lambda e: t.sign({**e, "deps": [[e["deps"][0][0], 1, "cd" * 32]]}),
    "unknown_author": lambda e: t.sign({**e, "author": t.pub(STRANGER_SK)}, STRANGER_SK),
}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_a_bad_line_inside_a_range_is_reported_as_the_sequential_path_does(
    tmp_path: Path, entries: list[Entry], small_ranges: None, name: str
) -> None:
    assert entries[MIDDLE]["author"] == MEMBER
    path = _file(tmp_path, _tampered(entries, MIDDLE, TAMPERS[name]))
    expected = _sequential(path)
    assert not expected.ok
    report, ticks = _parallel(path)
    _same(report, expected)
    assert ticks == expected.entries  # progress counted once, not once per pass


def test_a_non_canonical_line_inside_a_range(
    tmp_path: Path, entries: list[Entry], small_ranges: None
) -> None:
    data = t.build(entries, header={**HEADER, "count": len(entries)})
    lines = data.split(b"\n")
    lines[MIDDLE + 1] = lines[MIDDLE + 1].replace(b'"seq":', b'"seq": ', 1)
    path = tmp_path / "spaced.chitlog"
    path.write_bytes(t.reseal(b"\n".join(lines)))
    _same(_parallel(path)[0], _sequential(path))


def test_authority_problems_are_found_by_the_exact_pass(
    tmp_path: Path, entries: list[Entry], small_ranges: None
) -> None:
    # the deputy revokes the member after enrolling it: the member's later entries that
    # depend on the revocation are unauthorised; a role table may also forbid a kind
    deputy = [e for e in entries if e["author"] == DEPUTY]
    revoked = _next(deputy, DEPUTY_SK, "device.revoked", {"key": MEMBER, "reason": "lost"}, [])
    member = [e for e in entries if e["author"] == MEMBER]
    late = _next(member, MEMBER_SK, "note.added", {"i": -1}, [_dep(revoked)])
    changed = [*entries, revoked, late]
    path = _file(tmp_path, changed)
    expected = _sequential(path)
    found = {(p.code, p.seq, p.author) for p in expected.problems}
    assert ("unauthorised", late["seq"], MEMBER) in found
    _same(_parallel(path)[0], expected)
    clean = _file(tmp_path, entries, "clean.chitlog")

    def no_notes_for_members(role: str, kind: str) -> bool:
        return not (role == "member" and kind == "note.added")

    expected = _sequential(clean, role_allows=no_notes_for_members)
    assert {p.code for p in expected.problems} == {"unauthorised"}
    _same(_parallel(clean, role_allows=no_notes_for_members)[0], expected)


def test_a_partial_export_is_left_to_the_exact_pass(
    tmp_path: Path, entries: list[Entry], small_ranges: None
) -> None:
    partial = [e for e in entries if not (e["author"] == FOREMAN and e["seq"] < 5)]
    path = _file(tmp_path, partial)
    expected = _sequential(path)
    assert expected.partial_from == {FOREMAN: 5}
    _same(_parallel(path)[0], expected)


@pytest.mark.parametrize("cut_back", [0, 1, 600])
def test_ranges_that_end_near_the_seal(
    tmp_path: Path, entries: list[Entry], monkeypatch: pytest.MonkeyPatch, cut_back: int
) -> None:
    path = _file(tmp_path, entries)
    data = path.read_bytes()
    header_end = data.index(b"\n") + 1
    seal_at = data.rindex(b"\n", 0, len(data) - 1) + 1
    # one range of everything but the last `cut_back` bytes of entry lines, then the rest
    monkeypatch.setattr(limits, "VERIFY_RANGE_BYTES", max(1, seal_at - header_end - cut_back))
    expected = _sequential(path)
    _same(_parallel(path)[0], expected)
    bad_seal = data[:seal_at] + data[seal_at:].replace(b'"count":', b'"count":1', 1)
    path.write_bytes(bad_seal)
    _same(_parallel(path)[0], _sequential(path))
    path.write_bytes(data[:-1])  # the seal loses its newline
    _same(_parallel(path)[0], _sequential(path))


def test_runs_authorised_needs_every_run_judged_clean() -> None:
    root, admin = "a" * 64, "b" * 64
    genesis = Run(root, 1, 1, (), frozenset({"branch.genesis"}))
    enrol = Run(root, 2, 2, (), frozenset({"device.enrolled"}))
    notes = Run(admin, 1, 10, ((root, 2, "h"),), frozenset({"note.added"}))
    grants = {admin: [(root, 2, False, "admin", None)]}
    feeds = {root: [genesis, enrol], admin: [notes]}
    assert runs_authorised(feeds, root, grants)
    early = Run(admin, 1, 10, ((root, 1, "h"),), frozenset({"note.added"}))  # before enrolment
    assert not runs_authorised({root: [genesis, enrol], admin: [early]}, root, grants)
    self_grant = {admin: [(admin, 3, False, "admin", None), (root, 2, False, "admin", None)]}
    assert not runs_authorised(feeds, root, self_grant)  # not provable
    assert not runs_authorised(feeds, root, grants, lambda r, k: False)
    # a revocation the run never saw still cuts it past its after_seq (wal-v1 §5, amended)
    revoke = Run(root, 3, 3, (), frozenset({"device.revoked"}))
    revoked = {admin: [(root, 2, False, "admin", None), (root, 3, True, "", 5)]}
    assert not runs_authorised({root: [genesis, enrol, revoke], admin: [notes]}, root, revoked)
    kept = {admin: [(root, 2, False, "admin", None), (root, 3, True, "", 10)]}
    assert runs_authorised({root: [genesis, enrol, revoke], admin: [notes]}, root, kept)


def test_probe_finds_every_author_of_a_grouped_file(tmp_path: Path, entries: list[Entry]) -> None:
    path = _file(tmp_path, entries)
    with open(path, "rb") as stream:
        _, _, start, end = verify._frame(stream)
        assert verify._probe_authors(stream, start, end) == {e["author"] for e in entries}


def test_a_file_not_grouped_by_author(tmp_path: Path, entries: list[Entry]) -> None:
    # a foreman entry among the root's: the probe cannot see it, a worker does
    ordered = sorted(entries, key=lambda e: (e["author"], e["seq"]))
    at = next(i for i, e in enumerate(ordered) if e["author"] == FOREMAN)
    assert at > MIDDLE
    moved = [*ordered[:MIDDLE], ordered[at + 9], *ordered[MIDDLE : at + 9], *ordered[at + 10 :]]
    path = tmp_path / "ungrouped.chitlog"
    path.write_bytes(t.build(moved, header={**HEADER, "count": len(moved)}, order=False))
    expected = _sequential(path)
    assert "bad_format" in expected.counts()
    _same(_parallel(path)[0], expected)


def _nested(depth: int) -> Any:
    return {"a": _nested(depth - 1)} if depth else 1


def _signed_line(**changes: Any) -> bytes:
    return t.canon(t.sign({**t.find(t.base(), FOREMAN, 1), **changes}))


GOOD = _signed_line()
FOREMAN_1 = t.find(t.base(), FOREMAN, 1)
LINE_VARIANTS: dict[str, bytes] = {
    "good": GOOD,
    "space": GOOD.replace(b'"seq":', b'"seq": '),
    "key_order": GOOD.replace(b'{"author"', b'{"v":1,"author"').replace(b',"v":1}', b"}"),
    "upper_hash": GOOD.replace(FOREMAN_1["hash"].encode(), FOREMAN_1["hash"].upper().encode()),
    "upper_sig": GOOD.replace(FOREMAN_1["sig"].encode(), FOREMAN_1["sig"].upper().encode()),
    "ascii_escape": GOOD.replace("–".encode(), b"\\u2013"),
    "v_true": _signed_line(v=True),
    "v_2": _signed_line(v=2),
    "seq_0": _signed_line(seq=0),
    "seq_str": _signed_line(seq="1"),
    "seq_float": _signed_line(seq=1.0),
    "ts_huge": _signed_line(ts=2**53),
    "ts_negative": _signed_line(ts=-5),
    "kind_upper": _signed_line(kind="Contribution.recorded"),
    "kind_long": _signed_line(kind="a." + "b" * 70),
    "extra_field": _signed_line(extra=1),
    "body_list": _signed_line(body=[1]),
    "body_float": _signed_line(body={"amount": 1.5}),
    "body_big": _signed_line(body={"amount": -(2**53)}),
    "body_deep": _signed_line(body=_nested(17)),
    "body_non_ascii_key": _signed_line(body={"ä": 1}),
    "body_long_string": _signed_line(body={"s": "x" * (limits.STRING_BYTES_MAX + 1)}),
    "enrol_extra": _signed_line(
        kind="device.enrolled", body={"key": ROOT, "role": "admin", "name": "n", "x": "y"}
    ),
    "enrol_role": _signed_line(
        kind="device.enrolled", body={"key": ROOT, "role": "boss", "name": "n"}
    ),
    "enrol_key": _signed_line(
        kind="device.enrolled", body={"key": "AB" * 32, "role": "admin", "name": "n"}
    ),
    "enrol_ok": _signed_line(
        kind="device.enrolled", body={"key": ROOT, "role": "admin", "name": "n"}
    ),
    "deps_self": _signed_line(deps=[[FOREMAN, 1, "ab" * 32]]),
    "deps_unsorted": _signed_line(deps=[[ROOT, 1, "ab" * 32], [MEMBER, 1, "ab" * 32]]),
    "deps_twice": _signed_line(deps=[[ROOT, 1, "ab" * 32], [ROOT, 2, "ab" * 32]]),
    "deps_short": _signed_line(deps=[[ROOT, 1]]),
    "deps_seq_0": _signed_line(deps=[[ROOT, 0, "ab" * 32]]),
    "deps_bad_hash": _signed_line(deps=[[ROOT, 1, "AB" * 32]]),
    "deps_ok": _signed_line(deps=[[MEMBER, 1, "ab" * 32], [ROOT, 1, "ab" * 32]]),
    "branch_other": _signed_line(branch="ff" * 16),
    "hash_stale": t.canon({**t.sign(FOREMAN_1), "ts": 5}),
    "sig_wrong": t.canon({**FOREMAN_1, "sig": "00" * 64}),
    "not_json": GOOD[:-1],
    "trailing_cr": GOOD + b"\r",
}


@pytest.mark.parametrize("name", sorted(LINE_VARIANTS))
def test_a_line_passes_the_lean_check_only_if_the_exact_check_passes(name: str) -> None:
    line = LINE_VARIANTS[name]
    _, problems = verify.check_line(line)
    try:
        verify.check_lines([line], t.BRANCH, True)
        lean = True
    except Exception:
        lean = False
    assert not (lean and problems), problems
    if name in ("good", "enrol_ok", "deps_ok", "ts_negative"):
        assert lean and not problems


def test_a_body_with_its_own_branch_is_not_another_branch(tmp_path: Path) -> None:
    # e.g. a bank account's branch name: only the entry's top-level branch is compared
    entries = _entries()
    foreman = [e for e in entries if e["author"] == FOREMAN]
    last = foreman[-1]
    extra = _next(foreman, t.FOREMAN_SK, "note.added", {"branch": "f" * 32, "i": -1}, [])
    assert extra["seq"] == last["seq"] + 1
    path = _file(tmp_path, [*entries, extra])
    expected = _sequential(path)
    assert expected.ok, expected.problems
    _same(_parallel(path)[0], expected)
