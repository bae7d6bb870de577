"""Forks as an admin sees them, and the way out of one (docs/forks.md).

- `fork_reports`: every forked author, the two (or more) entries at its fork seq, and
  where it stands: frozen, retired (a device key revoked after its fork), or resolved
  (the root kept one line).
- `resolve`: for a device key, an admin revokes it with `after_seq` = the last seq
  before the fork (wal-v1 §5), optionally enrolling its new key in the same commit;
  for the root key, the root's own device writes `fork.resolved` after the line it
  keeps. Nothing is ever deleted: both lines stay in the log and in exports.
- `rekey`: on a device whose key forked or was retired, a new key for the same folder;
  an admin then enrols it with the old key's role and name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nacl.signing import SigningKey

from chitnode import limits
from chitnode.errors import ChitError, NotFound, RuleViolation
from chitnode.log.entry import Dep, Entry, seal_entry
from chitnode.log.forks import RESOLVED, row_of, settle
from chitnode.node.node import Command, Node, Receipt
from chitnode.store.keys import keystore_for

FROZEN, RETIRED, RESOLVED_STATE = "frozen", "retired", "resolved"


class NotForked(ChitError):
    """The named key has no unresolved fork to resolve."""

    code = "not_forked"


class CannotResolve(ChitError):
    """The chosen line cannot be kept; nothing was written."""

    code = "cannot_resolve"


class AmbiguousLine(ChitError):
    """The line to keep forks again; `--keep` must name an entry further along it."""

    code = "ambiguous_line"


@dataclass(frozen=True, slots=True)
class Twin:
    """One entry at a fork seq: on this node's main chain, or kept aside as evidence."""

    hash: str
    main: bool
    discarded: bool  # a resolution dropped it (evidence only, never applied)


@dataclass(frozen=True, slots=True)
class ForkReport:
    author: str
    who: str  # "root", or the device's name and role
    fork_seq: int
    state: str  # frozen | retired | resolved
    twins: list[Twin]
    evidence: int  # entries of this author kept aside as evidence
    note: str  # how it was resolved, or what to do next

    def as_json(self) -> dict[str, Any]:
        return {
            "author": self.author,
            "who": self.who,
            "fork_seq": self.fork_seq,
            "state": self.state,
            "twins": [
                {"hash": t.hash, "main": t.main, "discarded": t.discarded} for t in self.twins
            ],
            "evidence": self.evidence,
            "note": self.note,
        }


def _root(node: Node) -> str:
    branch = node.engine.state.get("branch", "branch")
    return str(branch["root"]) if branch else ""


def fork_reports(node: Node) -> list[ForkReport]:
    """Every author with fork evidence, by author."""
    by_author: dict[str, list[Any]] = {}
    for fork in node.store.forks():
        by_author.setdefault(fork.author, []).append(fork)
    return [_report(node, author, forks) for author, forks in sorted(by_author.items())]


def _report(node: Node, author: str, forks: list[Any]) -> ForkReport:
    engine, state = node.engine, node.engine.state
    resolutions = sorted(
        (int(key.rpartition("|")[2]), row)
        for key, row in state.rows("fork_resolutions").items()
        if key.startswith(author + "|")
    )
    frozen = engine.frozen_from.get(author)
    fork_seq = frozen if frozen is not None else min(f.freeze_seq for f in forks)
    if resolutions and frozen is None:
        fork_seq = resolutions[0][0]
    main = node.store.hash_at(author, fork_seq)
    twins = [Twin(main, True, main in engine.discarded)] if main is not None else []
    twins += [Twin(f.hash, False, f.hash in engine.discarded) for f in forks if f.seq == fork_seq]
    device = state.get("devices", author)
    is_root = author == _root(node)
    who = "root" if is_root else (f"{device['name']} ({device['role']})" if device else "unknown")
    if is_root:
        state_name = FROZEN if frozen is not None else RESOLVED_STATE
        done = [
            f"fork at seq {seq} resolved by the root's entry #{row['by_seq']} "
            f"({row['by_hash'][:16]}…), keeping {row['keep'][:16]}…"
            for seq, row in resolutions
        ]
        todo = (
            [
                f"unresolved from seq {frozen}: on the root's own device run `chitnode fork "
                f"resolve {author}` (keeps that device's line) or add `--keep HASH`"
            ]
            if frozen is not None
            else []
        )
        note = "; ".join(done + todo)
    elif device is not None and device["status"] == "revoked":
        state_name = RETIRED
        after = device.get("after_seq")
        note = (
            f"key revoked ({device['reason']}"
            + (f", valid up to seq {after}" if after is not None else "")
            + f"); re-key the device: run `chitnode fork rekey` on it, then here `chitnode "
            f"enrol NEWKEY --role {device['role']} --name {device['name']!r}`"
        )
    else:
        state_name = FROZEN
        note = f"run `chitnode fork resolve {author}` on an admin's device"
    return ForkReport(author, who, fork_seq, state_name, twins, len(forks), note)


@dataclass(slots=True)
class Resolved:
    """What `resolve` wrote, and what the admin does next."""

    receipts: list[tuple[str, Receipt]] = field(default_factory=list)  # (kind, receipt)
    next_steps: list[str] = field(default_factory=list)


def resolve(
    node: Node,
    author: str,
    *,
    reason: str,
    keep: str | None = None,
    new_key: str | None = None,
) -> Resolved:
    """Resolve `author`'s fork from this node; see the module docstring."""
    if author not in node.engine.frozen_from:
        raise NotForked(f"{author[:12]}… has no unresolved fork (see `chitnode fork list`)")
    if author == _root(node):
        if new_key is not None:
            raise RuleViolation("the root key cannot be replaced", code="cannot_revoke_root")
        return _resolve_root(node, keep)
    if keep is not None:
        raise RuleViolation("--keep is for the root's own fork", code="usage")
    return _retire(node, author, reason, new_key)


def _retire(node: Node, author: str, reason: str, new_key: str | None) -> Resolved:
    device = node.engine.state.get("devices", author)
    if device is None:
        raise NotFound(f"{author[:12]}… is not an enrolled device of this branch")
    if device["status"] == "revoked":
        raise RuleViolation(
            f"{author[:12]}… is retired already: re-key the device and enrol its new key",
            code="already_revoked",
        )
    fork_seq = node.engine.frozen_from[author]
    body = {"key": author, "reason": reason, "after_seq": fork_seq - 1}
    commands = [Command("device.revoked", body)]
    role, name = str(device["role"]), str(device["name"])
    if new_key is not None:
        commands.append(Command("device.enrolled", {"key": new_key, "role": role, "name": name}))
    receipts = node.submit_many(commands)
    out = Resolved(receipts=[(c.kind, r) for c, r in zip(commands, receipts, strict=True)])
    if new_key is None:
        out.next_steps = [
            "on the device: `chitnode fork rekey` (prints its new key)",
            f"here: `chitnode enrol NEWKEY --role {role} --name {name!r}`",
            "then give the device an export of this node (`chitnode export`, `chitnode import`)",
        ]
    else:
        out.next_steps = [
            "on the device: import an export of this node; it writes with its new key only",
        ]
    return out


def forked_feed(node: Node, author: str, from_seq: int) -> list[Entry]:
    """`author`'s held entries from `from_seq` on, main chain and evidence, not discarded."""
    return node.engine.forked_feed(author, from_seq)


def _resolve_root(node: Node, keep: str | None) -> Resolved:
    root, engine = node.public, node.engine
    if _root(node) != root:
        raise RuleViolation(
            "only the root's own device can resolve the root's fork: it signs with the root key",
            code="not_root",
        )
    fork_seq = engine.frozen_from[root]
    below = node.store.hash_at(root, fork_seq - 1)
    rows = forked_feed(node, root, fork_seq)
    start = keep or node.store.hash_at(root, fork_seq)
    tip = _tip(rows, start)
    resolution = seal_entry(
        node.key,
        branch=node.branch,
        seq=tip.seq + 1,
        prev=tip.hash,
        ts=node.clock.now_ms(),
        deps=_deps(node),
        kind=RESOLVED,
        body={"seq": fork_seq, "keep": _ancestor(rows, tip, fork_seq).hash},
    )
    trial = settle(
        [row_of(e) for e in (*rows, resolution)], fork_seq, below or "", engine.discarded
    )
    if not trial.resolutions or trial.resolutions[0].by_hash != resolution.hash:
        raise CannotResolve("that line does not continue the entries before the fork")
    node.ingest([resolution])
    status, code = node.store.outcome_of(root, resolution.seq) or ("missing", "")
    receipt = Receipt("", resolution.hash, resolution.seq, status, code)
    out = Resolved(receipts=[(RESOLVED, receipt)])
    out.next_steps = [
        "export this node and import the export on every other node: each then keeps "
        "the same line, and the other stays in the log as evidence",
    ]
    return out


def _tip(rows: list[Entry], start: str | None) -> Entry:
    """The last entry of the line through `start`; AmbiguousLine if it forks again."""
    by_hash = {e.hash: e for e in rows}
    if start is None or start not in by_hash:
        raise NotFound("no such entry of the root at or after the fork (see `chitnode fork list`)")
    children: dict[str, list[Entry]] = {}
    for entry in rows:
        children.setdefault(entry.prev, []).append(entry)
    tip = by_hash[start]
    while children.get(tip.hash):
        following = children[tip.hash]
        if len(following) > 1:
            hashes = ", ".join(sorted(e.hash[:16] + "…" for e in following))
            raise AmbiguousLine(
                f"the line forks again after seq {tip.seq} ({hashes}): pass --keep with the "
                "full hash of the entry to keep there"
            )
        tip = following[0]
    return tip


def _ancestor(rows: list[Entry], entry: Entry, seq: int) -> Entry:
    """`entry`'s ancestor at `seq`; CannotResolve if its line is not held back that far."""
    by_hash = {e.hash: e for e in rows}
    while entry.seq > seq:
        parent = by_hash.get(entry.prev)
        if parent is None:
            raise CannotResolve(f"the line through entry #{entry.seq} is not held back to the fork")
        entry = parent
    return entry


def _deps(node: Node) -> tuple[Dep, ...]:
    """Every other feed's placed head, as a local append names them (Node._seal)."""
    heads = node.engine.heads
    deps = sorted((a, s, h) for a, (s, h) in heads.items() if a != node.public)
    return tuple(deps[: limits.DEPS_MAX])


def rekey(node: Node) -> str:
    """Give this device a new key; returns it. Close `node` after: it still holds the old one."""
    engine, old = node.engine, node.public
    if old == _root(node):
        raise RuleViolation(
            "the root key cannot be replaced: a branch is its id and its root together",
            code="cannot_revoke_root",
        )
    device = engine.state.get("devices", old)
    retired = device is not None and device["status"] == "revoked"
    if old not in engine.frozen_from and not retired:
        raise NotForked("this device's key has not forked and is not revoked: keep it")
    key = SigningKey.generate()
    public = key.verify_key.encode().hex()
    store = node.store
    kind = keystore_for(store.data_dir, store.meta("keystore")).save(key, replacing=old)
    with store.transaction():
        store.set_meta("keystore", kind)
        store.set_meta("device_key", public)
    return public
