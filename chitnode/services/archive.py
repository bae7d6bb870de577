"""Export a node's log to a sealed `.chitlog`, and import one (wal-v1 §6).

Import is the front door of a branch: files an operator brings and entries a peer
sends (sync feeds this same path) meet the same rules. It runs in two steps.

1. Decide (`plan_import`), writing nothing. The header must name this node's branch
   id *and* root (wal-v1 §5: a branch is both), else `wrong_branch`. The whole file is
   verified, streaming; a file-level problem (seal, count, header, an entry line that
   names no author) refuses the file. Then feed by feed: a feed with any integrity
   problem (`FEED_CODES`) is refused; so is the feed of an author neither this node nor
   the file can vouch for (`AUTHORITY_CODES`): not the root, not a device this node
   knows, not admitted by an authorised enrolment in the file.
2. Apply (`apply_import`): each accepted feed goes in whole, in one store transaction
   per feed (streamed to the fold in chunks of `limits.IMPORT_CHUNK_ENTRIES`). A feed that
   fails on the way, or whose lines no longer match what was verified, is rolled back
   whole and reported refused; a crash leaves every feed either all in or not at all.
   One transaction per feed rather than per file: a file of many feeds then never
   needs one giant transaction, and a late failure costs only its own feed.

Within an imported feed the fold still judges each entry (applied, rejected, or held
for a missing dep); the report counts them. Entries already held are counted, never
stored twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby, islice
from pathlib import Path

from chitnode import limits
from chitnode.domain.apply import APPLIED, REJECTED
from chitnode.domain.kinds import role_allows
from chitnode.errors import BadFormat, ChitError, WrongBranch
from chitnode.log.entry import Entry, entry_from_stored, parse_entry
from chitnode.log.export import ExportHeader, is_seal_line, parse_header, read_lines, write_export
from chitnode.log.verify import VerifyReport, line_author, verify_file
from chitnode.node.fold import IngestResult, TooManyHeld
from chitnode.node.node import Node

# Codes a refused feed is reported with, in the order of wal-v1 §6: the first that applies.
# Not `fork`: two signed entries at one seq are evidence the fold keeps and acts on (it
# freezes the key; docs/forks.md), and refusing the feed would lose the evidence with it.
FEED_CODES = ("bad_hash", "bad_sig", "broken_chain", "gap", "bad_format")
AUTHORITY_CODES = ("unknown_author", "unauthorised")


class ImportRefused(ChitError):
    code = "import_refused"


class ExportFailed(ChitError):
    code = "export_failed"


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What `apply_import` takes from a file, decided before anything is written."""

    path: Path
    verify: VerifyReport
    accepted: dict[str, tuple[int, int]]  # author -> (first, last) seq: a feed to take whole
    refused: dict[str, str]  # author -> the code its feed is refused with


@dataclass(slots=True)
class FeedTally:
    """What one feed's ingests did; counted into the report only once the feed commits."""

    stored: int = 0
    duplicates: int = 0
    forks: int = 0
    applied: int = 0
    rejected: int = 0
    held: set[tuple[str, int]] = field(default_factory=set)  # new entries not placed yet

    def add(self, node: Node, result: IngestResult) -> None:
        self.stored += len(result.stored)
        self.duplicates += result.duplicates
        self.forks += len(result.forks)
        for entry in result.stored:
            outcome = result.outcomes.get(entry.hash)  # none after a re-fold from the start
            status = outcome.status if outcome else _status(node, entry.author, entry.seq)
            self.count(status, (entry.author, entry.seq))

    def count(self, status: str, key: tuple[str, int]) -> None:
        if status == APPLIED:
            self.applied += 1
        elif status == REJECTED:
            self.rejected += 1
        else:  # held for a dep, or frozen by a fork: not placed
            self.held.add(key)


@dataclass(slots=True)
class ImportReport:
    verify: VerifyReport
    feeds: int = 0  # feeds imported whole (entries already held included)
    stored: int = 0  # new entries
    duplicates: int = 0  # entries this node already held
    applied: int = 0  # of the new entries: applied by the fold
    rejected: int = 0  # rejected by the fold (its rules, or authority at that point)
    forks: int = 0
    refused_feeds: dict[str, str] = field(default_factory=dict)  # author -> code
    refused_entries: dict[str, int] = field(default_factory=dict)  # author -> lines in the file
    # New entries not placed when their feed committed (at most the store's held bound);
    # a later feed of the file may place them, so they are looked up again at the end.
    held_keys: set[tuple[str, int]] = field(default_factory=set)

    @property
    def held(self) -> int:
        return len(self.held_keys)

    def add(self, tally: FeedTally) -> None:
        self.feeds += 1
        self.stored += tally.stored
        self.duplicates += tally.duplicates
        self.forks += tally.forks
        self.applied += tally.applied
        self.rejected += tally.rejected
        self.held_keys |= tally.held

    def settle(self, node: Node) -> None:
        """Count the held entries a later feed placed."""
        tally = FeedTally()
        for author, seq in self.held_keys:
            tally.count(_status(node, author, seq), (author, seq))
        self.applied += tally.applied
        self.rejected += tally.rejected
        self.held_keys = tally.held


def _status(node: Node, author: str, seq: int) -> str:
    found = node.store.outcome_of(author, seq)
    return found[0] if found else ""


def _export_entries(node: Node, author: str | None, from_seq: int) -> Iterator[Entry]:
    """Each author's contiguous run from `from_seq` (a held gap ends the run), by author.

    A fork's evidence goes with it (docs/forks.md): each twin right after the main-chain
    entry at its seq, and a dropped line's entries past the main chain's end where they
    chain on. Evidence that chains to nothing in the file would read as a broken chain,
    so it stays out (the twin that proves the fork is always in).
    """
    evidence: dict[str, dict[int, list[Entry]]] = {}
    for fork in node.store.forks():
        if (author is None or fork.author == author) and fork.seq >= from_seq:
            at = evidence.setdefault(fork.author, {}).setdefault(fork.seq, [])
            at.append(entry_from_stored(fork.raw))
    authors = [author] if author else node.store.authors()
    for a in authors:
        twins = evidence.get(a, {})
        expected, below = from_seq, set[str]()
        for seq, raw in node.store.feed(a, from_seq):
            if seq != expected:
                break
            entry = entry_from_stored(raw)
            here = [entry, *sorted(twins.get(seq, ()), key=_by_hash)]
            yield from here
            expected, below = expected + 1, {e.hash for e in here}
        while below:  # a dropped line longer than the main chain
            here = sorted((e for e in twins.get(expected, ()) if e.prev in below), key=_by_hash)
            yield from here
            expected, below = expected + 1, {e.hash for e in here}


def _by_hash(entry: Entry) -> str:
    return entry.hash


def export_file(
    node: Node,
    path: Path,
    *,
    author: str | None = None,
    from_seq: int = 1,
    progress: Callable[[], None] | None = None,
) -> int:
    """Write a sealed export of this node's log; returns the number of entries."""
    count = sum(1 for _ in _export_entries(node, author, from_seq))
    if count == 0:
        raise BadFormat("nothing to export for that author and seq")
    header = ExportHeader(
        branch=node.branch,
        root=node.root or node.public,
        exporter=node.public,
        created_ms=node.clock.now_ms(),
        count=count,
    )

    def counted() -> Iterator[Entry]:
        for entry in _export_entries(node, author, from_seq):
            if progress is not None:
                progress()
            yield entry

    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as out:  # write then rename: a crash never leaves half a file
            write_export(out, node.key, header, counted())
        tmp.replace(path)
    except OSError as exc:
        raise ExportFailed(f"cannot write {path}: {exc.strerror or exc}") from exc
    return count


def import_file(node: Node, path: Path, progress: Callable[[], None] | None = None) -> ImportReport:
    """Decide what to take from `path`, then take it; see the module docstring."""
    return apply_import(node, plan_import(node, path, progress))


def plan_import(node: Node, path: Path, progress: Callable[[], None] | None = None) -> ImportPlan:
    """Verify the whole file and decide feed by feed; writes nothing.

    Raises WrongBranch for an export of another branch (its id or its root), and
    ImportRefused for a file-level problem.
    """
    if not path.is_file():
        raise ImportRefused(f"no such file: {path}")
    header = _header_of(path)
    if header is not None:  # refuse another branch's file before verifying all of it
        _check_branch(node, header)
    verify = verify_file(path, role_allows=role_allows, on_entry=progress)
    if verify.header is None or verify.file_codes:  # seal, count, header, a line of nobody
        found = ", ".join(sorted(verify.file_codes or {"bad_format"}))
        raise ImportRefused(f"export refused ({found}); nothing imported")
    if verify.authors_overflow:  # some feed's problems were not kept: it cannot be judged
        raise ImportRefused("export refused: too many feeds with problems; nothing imported")
    _check_branch(node, verify.header)
    refused: dict[str, str] = {}
    for author, codes in verify.author_codes.items():
        # a feed that is not intact is refused for that; then one nobody can vouch for
        broken = [c for c in FEED_CODES if c in codes]
        unproven = [c for c in AUTHORITY_CODES if c in codes]
        if broken:
            refused[author] = broken[0]
        elif unproven and not _vouched_for(node, verify, author):
            refused[author] = unproven[0]
    accepted = {a: span for a, span in verify.feeds.items() if a not in refused}
    return ImportPlan(path, verify, accepted, refused)


def apply_import(node: Node, plan: ImportPlan) -> ImportReport:
    """Fold in every accepted feed whole, one transaction each; see the module docstring."""
    report = ImportReport(plan.verify, refused_feeds=dict(plan.refused))
    seen: set[str] = set()
    with open(plan.path, "rb") as stream:
        lines = read_lines(stream)
        next(lines, None)  # the header, decided on
        for author, feed_lines in groupby(_entry_lines(lines), key=line_author):
            key = author or ""
            span = plan.accepted.get(key)
            if span is None:
                count = sum(1 for _ in feed_lines)
                report.refused_entries[key] = report.refused_entries.get(key, 0) + count
                continue
            if key in seen:
                continue  # a second run of a feed already taken whole: not what was verified
            seen.add(key)
            try:
                tally = _import_feed(node, key, span, feed_lines, plan.verify.enrolled)
            except ChitError as exc:
                report.refused_feeds[key] = exc.code
                report.refused_entries[key] = span[1] - span[0] + 1
                continue
            report.add(tally)
    for author, (first, last) in plan.accepted.items():
        if author not in seen:  # the feed left the file after it was verified
            report.refused_feeds[author] = "bad_format"
            report.refused_entries[author] = last - first + 1
    report.settle(node)
    return report


def _header_of(path: Path) -> ExportHeader | None:
    with open(path, "rb") as stream:
        first = stream.readline(limits.EXPORT_LINE_BYTES_MAX + 1)
    try:
        return parse_header(first)
    except ChitError:
        return None  # verify reports it


def _check_branch(node: Node, header: ExportHeader) -> None:
    """wal-v1 §5: a branch is its id and its root; a file's own seal cannot change that."""
    if header.branch != node.branch:
        raise WrongBranch(f"export is of branch {header.branch}, not {node.branch}")
    if header.root != node.root:
        raise WrongBranch(
            f"export names root key {header.root} for branch {header.branch}; this node's"
            f" root is {node.root}: not the same branch"
        )


def _vouched_for(node: Node, verify: VerifyReport, author: str) -> bool:
    """The branch's root, a device this node knows, or one an enrolment in the file admits."""
    known = node.engine.state.get("devices", author) is not None
    return author == node.root or known or author in verify.enrolled


def _entry_lines(lines: Iterator[bytes]) -> Iterator[bytes]:
    """Every line between the header and the seal (the last line), without its newline."""
    previous: bytes | None = None
    for line in lines:
        if previous is not None:
            yield previous.rstrip(b"\n")
        previous = line
    if previous is not None and not is_seal_line(previous):
        yield previous.rstrip(b"\n")


def _import_feed(
    node: Node,
    author: str,
    span: tuple[int, int],
    lines: Iterable[bytes],
    enrolled: Collection[str],
) -> FeedTally:
    """One feed, whole, in one transaction; raises (and so rolls back) if it is not whole.

    Each line is checked again on the way in (hash and signature by the node, the links
    here), so a file changed since it was verified cannot slip part of a feed in.
    """
    first, last = span
    tally = FeedTally()
    seq, at_seq = first - 1, set[str]()  # the last seq seen, and every entry there (twins)
    lines = iter(lines)
    with node.receiving(vouched=enrolled) as receive:  # the file's enrolments: may be held
        while chunk := list(islice(lines, limits.IMPORT_CHUNK_ENTRIES)):
            entries = [parse_entry(line) for line in chunk]
            for entry in entries:
                linked = entry.seq == seq + 1 and (not at_seq or entry.prev in at_seq)
                twin = entry.seq == seq and entry.hash not in at_seq  # fork evidence
                if entry.author != author or not (linked or twin):
                    raise BadFormat(f"feed {author} changed since it was verified")
                if linked:
                    seq, at_seq = entry.seq, set()
                at_seq.add(entry.hash)
            result = receive(entries)
            if result.refused:  # the fold will not hold all of them (held.py): not whole
                why = result.refused[0]
                raise TooManyHeld(
                    f"{len(result.refused)} entries of feed {author} from seq {why.seq} cannot"
                    f" be held ({why.code}): import what they follow first"
                )
            tally.add(node, result)
        if seq != last:
            raise BadFormat(f"feed {author} changed since it was verified")
    return tally
