"""An in-process event stream of folded entries, for the layers that show them (UI, sync).

    Node.submit ──► FoldEngine.on_applied ──► EventStream pending list      (inside the txn)
                    COMMIT ──► EventStream.flush() ──► every matching Subscription queue

`FoldEngine.on_applied` fires *inside* the store transaction, before COMMIT, so
the stream's listener only buffers. Nothing reaches a subscriber until the
writer calls `flush()` after its commit returned, and `discard()` drops the
buffer when the transaction failed: a subscriber never sees an entry that was
rolled back (G7: nothing is shown as done before it is durable).

Contract for every writer (this module, later the UI and sync): **call `flush()`
after every commit of a node with a stream attached, and `discard()` when a
write raised**. `submit_and_publish` and `CommittingNode` do exactly that for
`Node.submit`, `submit_many` and `ingest`.

Events are small frozen dataclasses built by `describe` from the entry, its
outcome and the state right after it folded. Each `Subscription` has a bounded
queue (`limits.SUBSCRIPTION_EVENTS_MAX`); when a reader falls behind the oldest events
are dropped and counted in `dropped`, so a slow view can never grow the node's
memory. A transfer's event names both members, and `flush()` puts it into every
open subscription of either member under one lock: all their views see it at
once, and in the same order as every other event.

A re-fold re-applies entries already folded (a late entry sorted earlier). The
stream remembers the outcome it last published for each of the latest
`limits.PUBLISHED_MEMORY_MAX` entries: a replay with that outcome is skipped; one whose
outcome changed (applied -> rejected, or back) is published again, so views can
correct themselves.

Only the fold decides an outcome; the stream never judges an entry itself. One commit
can fold an entry more than once (a revocation in the batch voids a credit placed
before it, and the engine re-folds), so `flush` publishes each entry's *last* outcome
of the commit, the one the store keeps, never an earlier one the same commit undid.
When the engine had to rebuild instead of re-folding, it tells no listener about the
entries it re-decided; then `flush` checks what it holds against the stored outcomes.
`replay_events` follows the stored outcomes too (see there).

Thread-safe: the writer thread calls the listener, `flush` and `discard`; any
thread may subscribe, read and close.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from chitnode import limits
from chitnode.domain import bank_kinds as bank
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import wallet_kinds as wallet
from chitnode.domain.apply import APPLIED, REJECTED, Outcome
from chitnode.domain.kinds import load_all
from chitnode.domain.state import State
from chitnode.errors import RuleViolation
from chitnode.log.entry import Entry, entry_from_stored
from chitnode.node.fold import IngestResult
from chitnode.node.node import Command, Node, Receipt

_T = TypeVar("_T")  # what a published write returns


@dataclass(frozen=True, slots=True)
class Event:
    """One folded entry, as a view needs it."""

    kind: str
    hash: str
    author: str
    seq: int
    ts_ms: int
    status: str  # "applied" | "rejected"
    code: str  # the rejection code, "" when applied
    members: tuple[str, ...]  # members touched: the payer first (a transfer's sender)
    amount_paise: int  # the money the entry moved for them, 0 if none
    group_id: str = ""
    month: int = 0
    ticket: int = 0
    detail: str = ""  # kind-specific: the recovery stage, a bank_ref

    @property
    def applied(self) -> bool:
        return self.status == "applied"


@dataclass(frozen=True, slots=True)
class Filter:
    """Which events a subscription wants; None means any."""

    members: frozenset[str] | None = None  # events touching any of these members
    kinds: frozenset[str] | None = None  # exact kinds, or prefixes ending in "." ("wallet.")
    include_rejected: bool = True

    def matches(self, event: Event) -> bool:
        if not self.include_rejected and not event.applied:
            return False
        if self.members is not None and self.members.isdisjoint(event.members):
            return False
        if self.kinds is None:
            return True
        return event.kind in self.kinds or any(
            k.endswith(".") and event.kind.startswith(k) for k in self.kinds
        )


class Subscription:
    """A bounded, thread-safe queue of the events one view asked for."""

    def __init__(
        self,
        stream: EventStream,
        event_filter: Filter,
        bound: int,
        wake: Callable[[], None] | None,
    ) -> None:
        self.filter = event_filter
        self.dropped = 0  # events lost because the reader fell `bound` behind
        self._stream = stream
        self._queue: deque[Event] = deque()
        self._bound = bound
        self._ready = threading.Condition()
        self._wake = wake  # e.g. `lambda: loop.call_soon_threadsafe(ev.set)` for asyncio
        self.closed = False

    def _put_many(self, events: list[Event]) -> None:
        with self._ready:
            if self.closed:
                return
            for event in events:
                if len(self._queue) >= self._bound:
                    self._queue.popleft()
                    self.dropped += 1
                self._queue.append(event)
            self._ready.notify_all()
        if self._wake is not None:
            self._wake()

    def get(self, timeout_s: float | None = None) -> Event | None:
        """The next event, waiting up to `timeout_s` (None: forever); None if none came."""
        with self._ready:
            if not self._ready.wait_for(lambda: self._queue or self.closed, timeout_s):
                return None
            return self._queue.popleft() if self._queue else None

    def drain(self) -> list[Event]:
        """Every queued event, oldest first, without waiting."""
        with self._ready:
            events = list(self._queue)
            self._queue.clear()
            return events

    def __len__(self) -> int:
        with self._ready:
            return len(self._queue)

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._ready.notify_all()
        self._stream._unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(slots=True)
class _Attached:
    node: Node
    listener: Callable[[Entry, Outcome], None]
    rebuilt: Callable[[], None]


class EventStream:
    """Fan-out of committed fold events to bounded subscriptions (see the module doc)."""

    def __init__(
        self,
        *,
        subscription_events_max: int = limits.SUBSCRIPTION_EVENTS_MAX,
        pending_events_max: int = limits.PENDING_EVENTS_MAX,
    ) -> None:
        self.subscription_events_max = subscription_events_max
        self.pending_events_max = pending_events_max
        self.pending_dropped = 0  # events lost from an oversized fold before its flush
        self.describe_errors = 0  # entries `describe` could not read (published bare)
        self.published = 0
        # (event, the node that folded it; None when `record` was called directly)
        self._pending: deque[tuple[Event, Node | None]] = deque()
        self._rebuilt: set[int] = set()  # id() of attached nodes that rebuilt since a flush
        self._subs: list[Subscription] = []
        self._last_status: OrderedDict[str, str] = OrderedDict()  # hash -> status published
        self._lock = threading.Lock()
        self._attached: list[_Attached] = []

    # --- subscribing ------------------------------------------------------------------

    def subscribe(
        self, event_filter: Filter | None = None, *, wake: Callable[[], None] | None = None
    ) -> Subscription:
        """Open a subscription; events committed from now on that match are queued for it.

        `wake`, if given, is called after events were queued, from the writer's thread
        with the stream's lock held: it must return at once and never call back into
        the stream (e.g. `loop.call_soon_threadsafe(flag.set)`).
        """
        sub = Subscription(self, event_filter or Filter(), self.subscription_events_max, wake)
        with self._lock:
            if len(self._subs) >= limits.SUBSCRIPTIONS_MAX:
                raise OverflowError(f"more than {limits.SUBSCRIPTIONS_MAX} open subscriptions")
            self._subs.append(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def subscriptions(self) -> int:
        with self._lock:
            return len(self._subs)

    # --- feeding ----------------------------------------------------------------------

    def attach(self, node: Node) -> None:
        """Listen to `node`'s fold: every applied or rejected entry is buffered as an event."""
        engine = node.engine

        def listener(entry: Entry, outcome: Outcome) -> None:
            self._buffer(self._describe(entry, outcome, engine.state), node)

        def rebuilt() -> None:
            with self._lock:
                self._rebuilt.add(id(node))

        engine.on_applied.append(listener)
        engine.on_rebuilt.append(rebuilt)
        self._attached.append(_Attached(node, listener, rebuilt))

    def detach(self, node: Node) -> None:
        for item in [a for a in self._attached if a.node is node]:
            node.engine.on_applied.remove(item.listener)
            node.engine.on_rebuilt.remove(item.rebuilt)
            self._attached.remove(item)

    def record(self, entry: Entry, outcome: Outcome, state: State) -> None:
        """Buffer one folded entry with the outcome the fold gave it. Never raises."""
        self._buffer(self._describe(entry, outcome, state), None)

    def _describe(self, entry: Entry, outcome: Outcome, state: State) -> Event:
        try:
            return describe(entry, outcome, state)
        except Exception:  # a view's bug must never roll back money: publish it bare
            self.describe_errors += 1
            return _bare(entry, outcome)

    def _buffer(self, event: Event, node: Node | None) -> None:
        with self._lock:
            if len(self._pending) >= self.pending_events_max:
                self._pending.popleft()
                self.pending_dropped += 1
            self._pending.append((event, node))

    def flush(self) -> int:
        """Publish what the last commit folded; call only after COMMIT returned. Returns a count.

        Each entry once, with the last outcome the commit gave it, in the order of those
        last folds (a re-fold's order is the fold order from where it started).
        """
        with self._lock:
            pending, self._pending = self._pending, deque()
            rebuilt, self._rebuilt = self._rebuilt, set()
        last: dict[str, tuple[Event, Node | None]] = {}
        for event, node in pending:
            last.pop(event.hash, None)  # moves to where it was folded last
            last[event.hash] = (event, node)
        kept = [  # the store is read outside the lock, on the writer's thread
            _as_stored(e, n) if n is not None and id(n) in rebuilt else e for e, n in last.values()
        ]
        with self._lock:
            events = [e for e in kept if e is not None and self._first_time(e)]
            self.published += len(events)
            for sub in self._subs:
                mine = [e for e in events if sub.filter.matches(e)]
                if mine:
                    sub._put_many(mine)
        return len(events)

    def flush_stored(self, node: Node) -> int:
        """`flush` after writes whose commits the caller did not follow one by one (a CLI
        command run inside a serving process: several writes, any of which may have
        rolled back): each buffered entry is published as the store now holds it, and
        one the store does not hold is dropped. Returns how many were published."""
        with self._lock:
            self._rebuilt.add(id(node))
        return self.flush()

    def discard(self) -> int:
        """Drop what a failed (rolled back) transaction folded. Returns how many."""
        with self._lock:
            dropped = len(self._pending)
            self._pending.clear()
            self._rebuilt.clear()
        return dropped

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def _first_time(self, event: Event) -> bool:
        """False for a re-fold's replay of an entry with the outcome already published."""
        if self._last_status.get(event.hash) == event.status:
            return False
        self._last_status[event.hash] = event.status
        self._last_status.move_to_end(event.hash)
        while len(self._last_status) > limits.PUBLISHED_MEMORY_MAX:
            self._last_status.popitem(last=False)
        return True


# --- describing an entry ----------------------------------------------------------------


def describe(entry: Entry, outcome: Outcome, state: State) -> Event:
    """The event of `entry` folded with `outcome`; `state` is the state right after it."""
    facts: dict[str, Any] = {"group_id": _str(entry.body.get("group_id"))}
    reader = _FACTS.get(entry.kind)
    if reader is not None and (outcome.status == "applied" or entry.kind in wallet.WALLET_KINDS):
        facts.update(reader(entry, state))
    else:
        facts["members"] = _ids(entry.body.get("member_id"), entry.body.get("actor"))
    return Event(
        kind=entry.kind,
        hash=entry.hash,
        author=entry.author,
        seq=entry.seq,
        ts_ms=entry.ts,
        status=outcome.status,
        code=outcome.code,
        members=facts.pop("members", ()),
        amount_paise=facts.pop("amount_paise", 0),
        **facts,
    )


# Readers of what an entry did, by kind. Wallet kinds read the body (so a *rejected*
# transfer still reaches its sender); the others read the rows their applied entry wrote.


def _wallet_facts(entry: Entry, state: State) -> dict[str, Any]:
    body = entry.body
    if entry.kind == wallet.TRANSFERRED:
        members = _ids(body.get("from_member_id"), body.get("to_member_id"))
    else:
        members = _ids(body.get("member_id"))
    detail = _str(body.get("bank_ref"))
    return {"members": members, "amount_paise": _int(body.get("amount_paise")), "detail": detail}


def _contribution_facts(entry: Entry, state: State) -> dict[str, Any]:
    row = state.get(base.CONTRIBUTIONS, entry.hash) or {}
    return {
        "members": _ids(row.get("member_id")),
        "amount_paise": _int(row.get("amount_paise")),
        "month": _int(row.get("month")),
        "ticket": _int(row.get("ticket")),
        "detail": _str(row.get("receipt")),
    }


def _settlement_facts(entry: Entry, state: State) -> dict[str, Any]:
    gid, month = _str(entry.body.get("group_id")), _int(entry.body.get("month"))
    row = state.get(base.SETTLEMENTS, base.month_key(gid, month)) or {}
    field = "prize_paise" if entry.kind == "auction.closed" else "paid_paise"
    return {
        "members": _ids(row.get("winner_member")),
        "amount_paise": _int(row.get(field)),
        "month": month,
        "ticket": _int(row.get("winner_ticket")),
    }


def _recovery_facts(entry: Entry, state: State) -> dict[str, Any]:
    gid, ticket = _str(entry.body.get("group_id")), _int(entry.body.get("ticket"))
    row = state.get(base.TICKETS, base.ticket_key(gid, ticket)) or {}
    stage = _str(entry.body.get("to")) or "missed"  # recovery.opened starts at `missed`
    return {"members": _ids(row.get("member_id")), "ticket": ticket, "detail": stage}


def _bank_facts(entry: Entry, state: State) -> dict[str, Any]:
    """A bank request or outcome: the member and amount are on the request's row."""
    row = state.get(bank.REQUESTS, _str(entry.body.get("request_id"))) or {}
    detail = _str(entry.body.get("bank_ref")) or _str(entry.body.get("reason"))
    return {
        "members": _ids(row.get("member_id")),
        "amount_paise": _int(row.get("amount_paise")),
        "detail": detail,
    }


_FACTS: dict[str, Callable[[Entry, State], dict[str, Any]]] = {
    bank.DEPOSIT_REQUESTED: _bank_facts,
    bank.DEPOSIT_SETTLED: _bank_facts,
    bank.DEPOSIT_FAILED: _bank_facts,
    bank.WITHDRAWAL_REQUESTED: _bank_facts,
    bank.WITHDRAWAL_SETTLED: _bank_facts,
    bank.WITHDRAWAL_REJECTED: _bank_facts,
    wallet.DEPOSITED: _wallet_facts,
    wallet.TRANSFERRED: _wallet_facts,
    wallet.WITHDRAWN: _wallet_facts,
    "contribution.recorded": _contribution_facts,
    "auction.closed": _settlement_facts,
    "prize.paid": _settlement_facts,
    "recovery.opened": _recovery_facts,
    "recovery.moved": _recovery_facts,
}


def _as_stored(event: Event, node: Node) -> Event | None:
    """`event` as the store now has its entry: after a rebuild that told no listener.

    None when the entry is not placed any more (frozen by a fork found in the commit).
    """
    store = node.store
    stored = store.outcome_of(event.author, event.seq)
    if store.hash_at(event.author, event.seq) != event.hash or stored is None:
        return None
    if stored[0] not in (APPLIED, REJECTED):
        return None
    if stored == (event.status, event.code):
        return event
    entry = store.entry_at(event.author, event.seq)
    assert entry is not None  # its hash was just read
    try:
        return describe(entry, Outcome(*stored), node.engine.state)
    except Exception:  # as in `record`: never fail the writer over a view
        return _bare(entry, Outcome(*stored))


def _bare(entry: Entry, outcome: Outcome) -> Event:
    status, code = outcome.status, outcome.code
    return Event(entry.kind, entry.hash, entry.author, entry.seq, entry.ts, status, code, (), 0)


def _ids(*values: Any) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        if isinstance(value, str) and value and value not in out:
            out.append(value)
    return tuple(out)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


# --- committing with publication ----------------------------------------------------------


def submit_and_publish(
    node: Node, stream: EventStream, kind: str, body: dict[str, Any], cmd_id: str | None = None
) -> Receipt:
    """`node.submit`, then publish what it committed; on any error drop the buffer instead."""
    return published(stream, lambda: node.submit(kind, body, cmd_id))


def published(stream: EventStream, write: Callable[[], _T]) -> _T:
    """Run one node write, then publish what it committed; on any error drop the buffer."""
    try:
        result = write()
    except BaseException:
        stream.discard()
        raise
    stream.flush()
    return result


class CommittingNode:
    """A Node whose writes publish to `stream` after commit (and discard after rollback)."""

    def __init__(self, node: Node, stream: EventStream) -> None:
        self.node = node
        self.stream = stream
        stream.attach(node)

    def submit(self, kind: str, body: dict[str, Any], cmd_id: str | None = None) -> Receipt:
        return submit_and_publish(self.node, self.stream, kind, body, cmd_id)

    def submit_many(self, commands: Iterable[Command]) -> list[Receipt]:
        return published(self.stream, lambda: self.node.submit_many(commands))

    def ingest(self, entries: list[Entry]) -> IngestResult:
        return published(self.stream, lambda: self.node.ingest(entries))

    def close(self) -> None:
        self.stream.detach(self.node)


@dataclass(frozen=True, slots=True)
class Folded:
    """A placed entry and the outcome the fold stored for it."""

    entry: Entry
    outcome: Outcome


def replay_events(log: Iterable[Folded]) -> Iterator[Event]:
    """Events of a placed log, in the order given (the fold order), from nothing.

    For feeds rebuilt from the log (notifications after a restart, an auditor's view):
    the same `describe` the live stream uses. Each entry keeps the outcome the fold
    stored for it; nothing is judged again. The fold decides authority over the whole
    log (a revocation's after_seq voids entries placed before it, a fork freezes a
    feed), which a replay entry by entry on a fresh state cannot see: re-deciding once
    showed a revoked key's rejected credit as money received. An applied entry's
    effects are redone on the replay's state (its kind's reducer, which `describe`
    reads rows from); a rejected one changes nothing.
    """
    state = State()
    kinds = load_all()
    for item in log:
        entry, outcome = item.entry, item.outcome
        spec = kinds.get(entry.kind)
        if outcome.status == APPLIED and spec is not None:
            # Raises only if this state is not the fold's (a log replayed from its middle):
            # the outcome still stands, and `describe` reads the rows as they are.
            with contextlib.suppress(RuleViolation):
                state.apply(spec.reducer(state, entry))
        yield describe(entry, outcome, state)


def stored_entries(node: Node) -> Iterator[Folded]:
    """The node's placed entries in fold order with their stored outcomes (the input
    `replay_events` expects)."""
    for row in node.store.placed_entries():
        yield Folded(entry_from_stored(row.raw), Outcome(row.status, row.code))
