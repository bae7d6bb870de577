"""The only write path: command -> validate against state -> sign -> append -> apply.

A `Node` owns one data folder: its store (with the writer lock), its device key,
and the fold engine. Every state change, local or received, goes through
`submit` or `ingest`, inside one SQLite transaction with the fold, so an entry is
acknowledged only once it and its effects have committed (G7).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from chitnode import limits
from chitnode.clock import Clock, SystemClock, new_id
from chitnode.domain.apply import APPLIED, Outcome, decide
from chitnode.domain.kernel_kinds import GENESIS, electorate, latest_grant
from chitnode.domain.kinds import load_all
from chitnode.domain.state import Writes
from chitnode.errors import ChitError, NotInitialised, RuleViolation, UsageError, WrongBranch
from chitnode.log.canonical import encode_checked
from chitnode.log.entry import (
    HEX32_RE,
    HEX64_RE,
    ZERO_HASH,
    Dep,
    Entry,
    check_hash,
    check_sig,
    seal_entry,
)
from chitnode.node.fold import FoldEngine, IngestResult
from chitnode.store.api import CommandRecord, Store
from chitnode.store.keys import KeyStore, keystore_for
from chitnode.store.sqlite import SqliteStore


@dataclass(frozen=True, slots=True)
class Command:
    kind: str
    body: dict[str, Any]
    cmd_id: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a caller is told once its command has committed."""

    cmd_id: str
    hash: str
    seq: int
    status: str  # "applied" | "rejected"
    code: str
    already_done: bool = False


class Node:
    def __init__(self, store: Store, key: SigningKey, clock: Clock) -> None:
        self.store = store
        self.key = key
        self.clock = clock
        self.public = key.verify_key.encode().hex()
        self.engine = FoldEngine(store)
        self.branch = store.meta("branch") or ""
        self._lease_since_ms: dict[str, int] = {}
        # Where a scope's electorate is more than this device, the running election says
        # which term this device may write under now (sync/election/shell.py sets it);
        # None: nobody here runs one, so such a scope is never written from this node.
        self.elected: Callable[[str], int | None] | None = None
        # One SQLite connection and one in-memory fold: writers take turns. Without this a
        # second thread's failed BEGIN would reload the fold under the first one's feet.
        self._writing = threading.RLock()
        load_all()

    # --- opening ----------------------------------------------------------------

    @classmethod
    def init(
        cls,
        data_dir: Path | str,
        branch_name: str,
        *,
        clock: Clock | None = None,
        branch_id: str | None = None,
        keystore: KeyStore | None = None,
    ) -> Node:
        """Create a store and a root admin key, and write the branch's genesis."""
        node = cls._fresh(Path(data_dir), branch_id or new_id(), None, clock, keystore)
        try:
            node.submit(GENESIS, {"branch_name": branch_name, "root": node.public})
        except BaseException:
            node.close()
            raise
        return node

    @classmethod
    def join_empty(
        cls,
        data_dir: Path | str,
        branch_id: str,
        root: str,
        *,
        clock: Clock | None = None,
        keystore: KeyStore | None = None,
    ) -> Node:
        """Create an empty store for a device joining a branch someone else founded.

        A new device key, and the branch pinned to its id and its root (wal-v1 §5: a branch
        is both), so every entry received later is checked against them; no entries yet.
        The device writes nothing until an admin has enrolled its key (sync/invite).
        """
        if HEX32_RE.match(branch_id) is None or HEX64_RE.match(root) is None:
            raise UsageError("a branch id is 32 lowercase hex digits and its root key 64")
        return cls._fresh(Path(data_dir), branch_id, root, clock, keystore)

    @classmethod
    def _fresh(
        cls,
        data_dir: Path,
        branch_id: str,
        root: str | None,
        clock: Clock | None,
        keystore: KeyStore | None,
    ) -> Node:
        """A new store and device key in `data_dir`; `root` None: this key founds the branch."""
        store = SqliteStore.open(data_dir, create=True)
        try:
            if store.meta("device_key") is not None:
                raise UsageError(f"{data_dir} already holds a chitnode store")
            key = SigningKey.generate()
            public = key.verify_key.encode().hex()
            ks = keystore or keystore_for(data_dir)
            with store.transaction():
                store.set_meta("keystore", ks.save(key))
                store.set_meta("device_key", public)
                store.set_meta("branch", branch_id)
                # wal-v1 §5: the branch is its id and its root key; imports must match both
                store.set_meta("root", root or public)
            node = cls(store, key, clock or SystemClock())
            node.engine.load()
            return node
        except BaseException:
            store.close()
            raise

    @classmethod
    def open(
        cls, data_dir: Path | str, *, clock: Clock | None = None, keystore: KeyStore | None = None
    ) -> Node:
        data_dir = Path(data_dir)
        lent = _lent_here(data_dir)
        if lent is not None:  # this thread runs a command for a serving process: its node
            return lent
        store = SqliteStore.open(data_dir)
        try:
            public = store.meta("device_key")
            if public is None:
                raise NotInitialised(f"{data_dir} has no device key (run `chitnode init`)")
            ks = keystore or keystore_for(data_dir, store.meta("keystore"))
            node = cls(store, ks.load(public), clock or SystemClock())
            node.engine.load()
            return node
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        if getattr(_lending, "node", None) is self:  # lent: the lender closes it, later
            return
        self.store.close()

    @contextmanager
    def lend(self, data_dir: Path | str) -> Iterator[None]:
        """On this thread, `Node.open(data_dir)` returns this open node, and closing it
        leaves it open: a serving process (sync/serve) runs a command for the folder's
        owner with the node that holds the writer lock, the kernel CLI none the wiser."""
        _lending.node, _lending.folder = self, Path(data_dir).resolve()
        try:
            yield
        finally:
            _lending.node = _lending.folder = None

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ----------------------------------------------------------------

    def submit(self, kind: str, body: dict[str, Any], cmd_id: str | None = None) -> Receipt:
        """Validate, sign, append and apply one command; raise its RuleViolation if refused."""
        return self.submit_many([Command(kind, body, cmd_id)])[0]

    def submit_many(self, commands: Iterable[Command]) -> list[Receipt]:
        """Group-commit several commands in one transaction; all are refused if one is."""
        commands = list(commands)
        if not 0 < len(commands) <= limits.GROUP_COMMIT_ENTRIES_MAX:
            raise UsageError(f"submit 1..{limits.GROUP_COMMIT_ENTRIES_MAX} commands at once")
        with self._writing:
            return self._submit_locked(commands)

    def _submit_locked(self, commands: list[Command]) -> list[Receipt]:
        receipts: list[Receipt | None] = []
        fresh: list[tuple[int, str, Entry, Outcome | None]] = []
        try:
            with self.store.transaction():
                for command in commands:
                    cmd_id = command.cmd_id or new_id()
                    # an id made here is new: only a caller's own id can be a retry
                    done = self.store.command(cmd_id) if command.cmd_id else None
                    if done is not None:
                        receipts.append(self._already_done(command, cmd_id, done))
                        continue
                    entry, writes = self._write(command)
                    outcome = self._fold_own(entry, writes)
                    self.store.put_command(cmd_id, entry)
                    fresh.append((len(receipts), cmd_id, entry, outcome))
                    receipts.append(None)
        except BaseException:
            self.engine.load()  # the transaction rolled back: so does the in-memory fold
            raise
        for index, cmd_id, entry, known in fresh:
            # local appends sort last, so their outcome is final once folded
            status, code = (known.status, known.code) if known else self._outcome(*entry.key[1:])
            receipts[index] = Receipt(cmd_id, entry.hash, entry.seq, status, code)
        return [r for r in receipts if r is not None]

    def _write(self, command: Command) -> tuple[Entry, Writes]:
        """The command's entry, checked but not yet folded in.

        A coordinated kind first takes or renews its scope's lease: those vote and grant
        entries are folded in here, in the same transaction, before this entry is sealed.
        """
        spec = load_all().get(command.kind)
        if spec is None:
            raise RuleViolation(f"unknown kind {command.kind}", code="unknown_kind")
        body = dict(command.body)
        if spec.coordinated:
            scope = body.get("scope")
            if not isinstance(scope, str):
                raise RuleViolation("coordinated commands name a scope", code="bad_scope")
            self._ensure_lease(scope)
            body["term"] = self._held_term(scope)
        entry = self._seal(command.kind, body, pinned=_pinned_deps(command.kind, body))
        return entry, self._dry_run(entry)

    def _fold_own(self, entry: Entry, writes: Writes) -> Outcome | None:
        """Fold in an entry just sealed here; its outcome, None if it waits (it cannot)."""
        outcome = self.engine.append_local(entry, writes)
        if outcome is None:  # something else waits to be placed: the general path
            outcome = self.engine.ingest([entry]).outcomes.get(entry.hash)
        return outcome

    def _seal(
        self, kind: str, body: dict[str, Any], pinned: dict[str, tuple[int, str]] | None = None
    ) -> Entry:
        """`pinned`: for these authors, depend on that entry instead of their head (a grant
        names its votes as deps; a voter may have written more since its vote)."""
        heads = {**self.engine.heads, **(pinned or {})}
        deps: list[Dep] = sorted((a, s, h) for a, (s, h) in heads.items() if a != self.public)
        if pinned and len(deps) > limits.DEPS_MAX:  # the pinned ones first, then the rest
            deps = sorted(
                [d for d in deps if d[0] in pinned]
                + [d for d in deps if d[0] not in pinned][: limits.DEPS_MAX - len(pinned)]
            )
        own = self.engine.last_stored(self.public)
        seq, prev = (own[0] + 1, own[1]) if own else (1, ZERO_HASH)
        entry = seal_entry(
            self.key,
            branch=self.branch,
            seq=seq,
            prev=prev,
            ts=self.clock.now_ms(),
            deps=tuple(deps[: limits.DEPS_MAX]),
            kind=kind,
            body=body,
        )
        return entry

    def _append(self, kind: str, body: dict[str, Any]) -> Entry:
        entry = self._seal(kind, body)
        self._fold_own(entry, self._dry_run(entry))
        return entry

    def _dry_run(self, entry: Entry) -> Writes:
        """`entry`'s row writes; raise the rule violation it would be rejected with instead."""
        state = self.engine.state
        return state.resolve(decide(state, entry))

    def _held_term(self, scope: str) -> int:
        lease = self.engine.state.get("leases", f"{scope}|{self.public}")
        if lease is None or lease["status"] != "held":
            raise RuleViolation(f"this device does not hold {scope}", code="not_lease_holder")
        return int(lease["term"])

    def _ensure_lease(self, scope: str) -> None:
        """Hold `scope`, renewing a lapsed lease; a lone elector grants itself (majority of 1)."""
        state = self.engine.state
        keys, lease_ms = electorate(state, scope)
        lease = state.get("leases", f"{scope}|{self.public}")
        since = self._lease_since_ms.get(scope)
        fresh = since is not None and self.clock.monotonic_ms() - since < lease_ms
        if lease is not None and lease["status"] == "held" and fresh:
            return
        if keys != [self.public]:
            self._check_elected(scope, lease)
            return
        term = (latest_grant(state, scope) or (0, "", 0))[0] + 1
        asked_ms = self.clock.monotonic_ms()
        vote = self._append("lease.vote", {"scope": scope, "term": term, "candidate": self.public})
        self._append(
            "lease.granted",
            {"scope": scope, "term": term, "votes": [[vote.author, vote.seq, vote.hash]]},
        )
        self._lease_since_ms[scope] = asked_ms

    def _check_elected(self, scope: str, lease: dict[str, Any] | None) -> None:
        """The election running beside this node lets it write `scope` now, at the term
        its fold holds; otherwise not_lease_holder (sync forwards to the holder)."""
        term = self.elected(scope) if self.elected is not None else None
        if term is None:
            where = "not elected" if self.elected is not None else "no election runs here"
            raise RuleViolation(
                f"this device does not hold {scope} ({where})", code="not_lease_holder"
            )
        if lease is None or lease["status"] != "held" or int(lease["term"]) != term:
            raise RuleViolation(
                f"this device's grant of {scope} at term {term} is not in its books yet",
                code="not_lease_holder",
            )

    def _already_done(self, command: Command, cmd_id: str, done: CommandRecord) -> Receipt:
        """The first receipt of a retried command; another command under its id is refused."""
        first = self.store.entry_at(done.author, done.seq)
        if first is None or not _same_command(first, command):
            raise RuleViolation(
                f"command id {cmd_id} was used for another command: a retry repeats it exactly",
                code="cmd_id_reused",
            )
        status, code = self._outcome(done.author, done.seq)
        return Receipt(cmd_id, done.hash, done.seq, status, code, already_done=True)

    def _outcome(self, author: str, seq: int) -> tuple[str, str]:
        return self.store.outcome_of(author, seq) or ("missing", "")

    # --- receiving ----------------------------------------------------------------

    def ingest(self, entries: list[Entry], *, vouched: Collection[str] = ()) -> IngestResult:
        """Fold in entries from a peer or an import; all checked before any is stored.

        `vouched`: keys known to be enrolled that this node may not know yet (FoldEngine.ingest).
        """
        self._check_received(entries)
        with self._folding():
            return self.engine.ingest(entries, vouched=vouched)

    @contextmanager
    def receiving(
        self, *, vouched: Collection[str] = (), checked: bool = False
    ) -> Iterator[Callable[[list[Entry]], IngestResult]]:
        """One transaction for several batches (an import's whole feed): all commit, or none.

        The function yielded checks one batch as `ingest` does and folds it in; an exception
        anywhere in the block rolls back every batch of it, in the store and in the fold.
        `checked`: the caller checked branch, hashes and signatures itself (sync's page
        check, chitnode/log/page.py, which finishes before the block ends).
        """

        def receive(entries: list[Entry]) -> IngestResult:
            if not checked:
                self._check_received(entries)
            return self.engine.ingest(entries, vouched=vouched)

        with self._folding():
            yield receive

    def _check_received(self, entries: list[Entry]) -> None:
        for entry in entries:
            if entry.branch != self.branch:
                raise WrongBranch(f"entry belongs to branch {entry.branch}, not {self.branch}")
            check_hash(entry)
            check_sig(entry)

    @contextmanager
    def _folding(self) -> Iterator[None]:
        with self._writing:
            try:
                with self.store.transaction():
                    yield
            except BaseException:
                self.engine.load()  # the transaction rolled back: so does the in-memory fold
                raise

    # --- reading ----------------------------------------------------------------

    @property
    def root(self) -> str | None:
        """The branch's root key, pinned at init (None only for a store with no genesis)."""
        return self.engine.root

    def role(self) -> str | None:
        try:
            from chitnode.domain.apply import role_of

            return role_of(self.engine.state, self.public)
        except ChitError:
            return None

    def status(self) -> dict[str, Any]:
        store = self.store
        heads = store.heads()
        counts = store.status_counts()
        branch = self.engine.state.get("branch", "branch") or {}
        return {
            "branch": self.branch,
            "branch_name": branch.get("name", ""),
            "root": branch.get("root", ""),
            "device_key": self.public,
            "role": self.role(),
            "entries": sum(counts.values()),
            "applied": counts.get(APPLIED, 0),
            "rejected": counts.get("rejected", 0),
            "held": counts.get("held", 0),
            "frozen": counts.get("frozen", 0),
            "heads": {a: {"seq": s, "hash": h} for a, (s, h) in sorted(heads.items())},
            "forks": [
                {"author": f.author, "seq": f.seq, "hash": f.hash, "frozen_from": f.freeze_seq}
                for f in store.forks()
            ],
            "state_digest": self.engine.digest(),
        }


# The node lent on each thread (Node.lend): a thread-local, so only the thread that owns
# the serving node (sync/node_thread.py) ever gets it from Node.open.
_lending = threading.local()


def _lent_here(data_dir: Path) -> Node | None:
    node: Node | None = getattr(_lending, "node", None)
    if node is None or _lending.folder != data_dir.resolve():
        return None
    return node


def _pinned_deps(kind: str, body: dict[str, Any]) -> dict[str, tuple[int, str]] | None:
    """The entries a lease grant must name in its deps (coordination-v1: every listed
    vote, or the transfer), by author; a heads.witnessed names the heads it witnesses (issue
    15: held until this log has them all); None for any other kind."""
    if kind == "heads.witnessed":
        refs = body.get("heads")
    elif kind != "lease.granted":
        return None
    else:
        refs = body.get("votes") if "votes" in body else [body.get("transfer")]
    pinned: dict[str, tuple[int, str]] = {}
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, list) and len(ref) == 3:
            author, seq, hash_ = ref
            if isinstance(author, str) and isinstance(seq, int) and isinstance(hash_, str):
                pinned[author] = (seq, hash_)
    return pinned


def _same_command(entry: Entry, command: Command) -> bool:
    """Whether `entry` is what `command` wrote: its kind and body (the lease term aside)."""
    body = dict(entry.body)
    if "term" not in command.body:  # a coordinated command's term is added when sealed
        body.pop("term", None)
    try:
        return entry.kind == command.kind and encode_checked(body) == encode_checked(command.body)
    except ChitError:  # a body that cannot even be encoded is not the one stored
        return False


__all__ = ["Command", "Node", "Outcome", "Receipt"]
