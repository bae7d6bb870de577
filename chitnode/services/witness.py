"""Heads witnessed at the meeting, and catching a split view with them (issue 15, point 5).

At a meeting's close the foreman's laptop writes `heads.witnessed` (chitnode.domain.
witness_kinds) over its log's heads, with the signatures of the member phones present over
the witness statement. The entry's line, kept as a *witness file* by a member (or any
device), is signed evidence of what this branch's log held then: the device's key signed
the entry, the members' keys the heads in it.

A node that later shows someone a different history (a split view: a log cut below what
was witnessed, or an entry rewritten at a witnessed place) is caught by any witness:
`check_against(log, heads)` asks the log, for every witnessed head (author, seq, hash),
for the entry at (author, seq), and finds

- `missing_from_log`: the log has nothing there (it was cut below the witnessed head, or
  it is older than the meeting: compare the dates);
- `conflict`: another entry is there: the device signed two entries at one place (a fork
  or a rewrite). The witness and the log's entry together are evidence;
- `unknown_author`: the log knows no such device (cut back to before it was enrolled).

No finding: the log agrees with the witness. The file format and the exact bytes are in
docs/witness.md and docs/wal-format.md ("Heads witnessed at the meeting").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chitnode import limits
from chitnode.domain import limits as domain_limits
from chitnode.domain import witness_kinds as wk
from chitnode.domain.member_keys import ACTIVE, MEMBER_KEYS
from chitnode.errors import BadFormat, BadHash, BadSignature, ChitError, RuleViolation
from chitnode.log.canonical import canonical
from chitnode.log.entry import HEX32_RE, HEX128_RE, Entry, check_hash, check_sig, parse_entry
from chitnode.log.statement import signature_ok
from chitnode.node.node import Node
from chitnode.services.member_receipts import CONFLICT, MISSING, UNKNOWN_AUTHOR, Log

WITNESS_VERSION = 1
WITNESS_FIELDS = frozenset({"v", "branch", "entry"})
AGREES = "agrees"  # a check with no finding


class WitnessMalformed(ChitError):
    """The file is not a witness (JSON {v, branch, entry} with a heads.witnessed entry)."""

    code = "witness_malformed"


class WitnessTampered(ChitError):
    """The witness's entry or a member's signature in it does not check out."""

    code = "witness_tampered"


class WitnessWrongBranch(ChitError):
    """The witness is of another branch than the log it is checked against."""

    code = "witness_wrong_branch"


@dataclass(frozen=True, slots=True)
class Witness:
    """A `heads.witnessed` entry, checked (hash, device signature, body, members' sigs)."""

    entry: Entry
    group_id: str
    month: int
    heads: tuple[wk.Head, ...]
    members: tuple[str, ...]  # the members whose signatures it carries

    @property
    def branch(self) -> str:
        return self.entry.branch

    def to_bytes(self) -> bytes:
        """The witness file: canonical JSON and a newline."""
        obj = {"v": WITNESS_VERSION, "branch": self.branch, "entry": self.entry.raw.decode()}
        return canonical(obj) + b"\n"


@dataclass(frozen=True, slots=True)
class Finding:
    """One witnessed head the log disagrees with."""

    status: str  # MISSING | CONFLICT | UNKNOWN_AUTHOR
    head: wk.Head
    log_hash: str  # the log's entry at that place ("" when none)
    log_head: int  # the log's highest seq of that author

    def explain(self, where: str) -> str:
        author, seq, digest = self.head
        place = f"entry #{seq} of device {author[:12]}…"
        if self.status == CONFLICT:
            return (
                f"{where} holds a different entry ({self.log_hash[:12]}…) where the witnessed"
                f" {place} ({digest[:12]}…) is: a fork or a rewrite of the witnessed history"
            )
        if self.status == UNKNOWN_AUTHOR:
            return f"{where} knows no device {author[:12]}…: it was cut back to before it joined"
        return (
            f"{where} lacks the witnessed {place} (it holds that device's entries up to"
            f" #{self.log_head}): the log was cut below what the meeting witnessed"
        )


def witness_of(entry: Entry) -> Witness:
    """The witness an entry is; WitnessMalformed unless a well-formed heads.witnessed whose
    members' signatures verify under the keys it names (which keys are *current* is the
    log's to say: the fold checked that when it applied the entry)."""
    if entry.kind != wk.KIND:
        raise WitnessMalformed(f"the entry is a {entry.kind}, not a {wk.KIND}")
    try:
        gid, month, heads = wk.witness_body(entry.body)
    except RuleViolation as exc:
        raise WitnessMalformed(f"the witnessed heads are malformed: {exc.message}") from exc
    signed = wk.statement(entry.branch, gid, month, heads)
    members: list[str] = []
    witnesses = entry.body.get("witnesses", [])
    for item in witnesses if isinstance(witnesses, list) else []:
        ok = isinstance(item, dict) and set(item) == wk.WITNESS_FIELDS
        ok = ok and isinstance(item["key"], str) and isinstance(item["sig"], str)
        if not ok or not signature_ok(item["key"], signed, item["sig"]):
            raise WitnessTampered("a member's signature in the witness does not verify")
        members.append(str(item["member_id"]))
    return Witness(entry, gid, month, tuple(heads), tuple(members))


def parse_witness(data: bytes) -> Witness:
    """Read a witness file; WitnessMalformed or WitnessTampered unless it checks out."""
    if len(data) > limits.WITNESS_FILE_BYTES_MAX:
        raise WitnessMalformed(f"a witness file is at most {limits.WITNESS_FILE_BYTES_MAX} bytes")
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WitnessMalformed("not a witness: the file is not JSON text") from exc
    if not isinstance(obj, dict) or set(obj) != WITNESS_FIELDS:
        raise WitnessMalformed(f"a witness file has exactly the fields {sorted(WITNESS_FIELDS)}")
    branch, line = obj["branch"], obj["entry"]
    if obj["v"] != WITNESS_VERSION or isinstance(obj["v"], bool):
        raise WitnessMalformed(f"not a version {WITNESS_VERSION} witness")
    if not (isinstance(branch, str) and HEX32_RE.match(branch) and isinstance(line, str)):
        raise WitnessMalformed("a witness's branch or entry is malformed")
    try:
        entry = parse_entry(line.encode("utf-8"))
    except (BadFormat, UnicodeEncodeError) as exc:
        raise WitnessMalformed(f"the witness's entry is not a log entry: {exc}") from exc
    try:
        check_hash(entry)
        check_sig(entry)
    except (BadHash, BadSignature) as exc:
        raise WitnessTampered(f"the witness was altered: {exc}") from exc
    if entry.branch != branch:
        raise WitnessTampered("the witness names another branch than its entry's")
    return witness_of(entry)


def read_witness(path: Path) -> Witness:
    with path.open("rb") as stream:
        return parse_witness(stream.read(limits.WITNESS_FILE_BYTES_MAX + 1))


# --- writing one ------------------------------------------------------------------------------


def current_heads(node: Node) -> list[wk.Head]:
    """The node's log heads now: each feed's highest placed entry, sorted by author."""
    heads = sorted((a, s, h) for a, (s, h) in node.engine.heads.items())
    most = domain_limits.WITNESS_HEADS_MAX
    if len(heads) > most:
        raise RuleViolation(
            f"the log has {len(heads)} feeds; a witness names at most {most}",
            code="witness_heads_bad",
        )
    return heads


def statement_now(node: Node, group_id: str, month: int) -> bytes:
    """The statement a member's phone signs to witness the node's heads now."""
    return wk.statement(node.branch, group_id, month, current_heads(node))


def heads_of_statement(data: bytes, branch: str, group_id: str, month: int) -> list[wk.Head]:
    """The heads of a statement printed earlier (`statement_now`), which must be of this
    branch, group and month: the heads the members signed, even if the log moved since."""
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WitnessMalformed("not a witness statement: the file is not JSON text") from exc
    want = {"ns": wk.NAMESPACE, "branch": branch, "group_id": group_id, "month": month}
    if not isinstance(obj, dict) or {k: obj.get(k) for k in want} != want:
        raise WitnessMalformed(f"not a witness statement of this branch, {group_id} month {month}")
    try:
        return wk.parse_heads(obj.get("heads"))
    except RuleViolation as exc:
        raise WitnessMalformed(exc.message) from exc


def sign(
    node: Node,
    group_id: str,
    month: int,
    countersigs: Mapping[str, str],
    heads: list[wk.Head] | None = None,
) -> Witness:
    """Write `heads.witnessed` for `group_id`'s meeting of `month` over `heads` (default:
    the node's heads now), with each member's signature in `countersigs` (member id ->
    128 hex, made by the member's current key over the statement); the written witness.
    Refused as the fold would refuse the entry (nothing written)."""
    heads = current_heads(node) if heads is None else heads
    witnesses = []
    for mid, sig in sorted(countersigs.items()):
        row = node.engine.state.get(MEMBER_KEYS, mid)
        if row is None or row["status"] != ACTIVE:
            raise RuleViolation(f"{mid} has no current key to sign with", code="countersig_no_key")
        if not HEX128_RE.match(sig):
            raise RuleViolation(f"{mid}'s signature is not 128 hex", code="countersig_bad")
        witnesses.append({"member_id": mid, "key": str(row["key"]), "sig": sig})
    body: dict[str, Any] = {
        "group_id": group_id,
        "month": month,
        "heads": [list(h) for h in heads],
    }
    if witnesses:
        body["witnesses"] = witnesses
    receipt = node.submit(wk.KIND, body)
    entry = node.store.entry_at(node.public, receipt.seq)
    assert entry is not None and entry.hash == receipt.hash
    return witness_of(entry)


# --- checking a log against one ---------------------------------------------------------------


def check_against(log: Log, heads: tuple[wk.Head, ...] | list[wk.Head]) -> list[Finding]:
    """What `log` disagrees with among the witnessed `heads`: none when it holds every one
    of those entries at its place."""
    findings: list[Finding] = []
    for head in heads:
        author, seq, digest = head
        found = log.hash_at(author, seq) or ""
        if found == digest:
            continue
        if found:
            status = CONFLICT
        elif not log.knows(author):
            status = UNKNOWN_AUTHOR
        else:
            status = MISSING
        findings.append(Finding(status, head, found, log.head_of(author)))
    return findings


@dataclass(frozen=True, slots=True)
class WitnessCheck:
    witness: Witness
    where: str
    findings: tuple[Finding, ...]
    log_problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def status(self) -> str:
        return AGREES if self.ok else self.findings[0].status

    def explain(self) -> list[str]:
        w = self.witness
        if self.ok:
            return [
                f"{self.where} holds every entry witnessed at group {w.group_id}'s meeting of"
                f" month {w.month} ({len(w.heads)} heads, {len(w.members)} member signatures)"
                " and the witness entry itself: it shows the history the meeting saw."
            ]
        return [f.explain(self.where) for f in self.findings]


def check_witness(log: Log, witness: Witness) -> WitnessCheck:
    """`check_against` for a witness file: its heads and its own entry; WitnessWrongBranch
    for another branch's log."""
    if witness.branch != log.branch:
        raise WitnessWrongBranch(
            f"the witness is of branch {witness.branch}, {log.where} of branch {log.branch}"
        )
    entry = witness.entry
    own: wk.Head = (entry.author, entry.seq, entry.hash)
    findings = check_against(log, [*witness.heads, own])
    return WitnessCheck(witness, log.where, tuple(findings), tuple(log.problems()))
