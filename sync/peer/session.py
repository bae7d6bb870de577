"""One peer session over a websocket: the reconciliation core's frames (docs/sync.md).

Both ends run the same `Session`: a `Reconciler` over the node's replica, every call
into it (decode, receive, encode; they read and write SQLite) on the node thread, one
websocket binary message per frame. The loop only moves bytes.

- A frame that is not a message, is over `MESSAGE_BYTES_MAX`, names another branch,
  or carries entries that fail the checks ends the session with that code: the
  session is closed with close code `ERROR_CLOSE` and the code as its reason, after
  which the peer's report carries it too. Nothing the bad frame carried is stored.
- A peer sending faster than `PEER_FRAMES_PER_S` (bursts of `PEER_FRAMES_BURST_MAX`)
  is `rate_limited`.
- An answer overdue `PEER_ANSWER_TIMEOUT_S` makes the core `resend`; after
  `PEER_RESENDS_MAX` silent periods the session ends `peer_timeout`.
- Live (`live=True`): the session subscribes to the node's events BEFORE it takes
  its first summary, so nothing committed in between is missed; once under way,
  every batch of new entries (de-duplicated by (author, seq), coalesced: everything
  queued since the last wake) goes out as one fresh summary, and the peer asks for
  what it lacks. A one-shot session (`live=False`) ends once both sides are caught up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import WSCloseCode, WSMsgType
from aiohttp.http_websocket import WebSocketError

from chitnode.errors import CODES, ChitError
from chitnode.log.entry import Entry
from chitnode.log.page import check_page, check_sigs
from chitnode.node.fold import IngestResult
from chitnode.node.node import Node
from chitnode.services.events import EventStream, Subscription, published
from sync import limits
from sync.peer.errors import ConnectionLost, PeerTimeout, RateLimited
from sync.reconcile.core import Reconciler
from sync.reconcile.errors import BadMessage, MessageTooBig
from sync.reconcile.messages import ForkEvidence, Message, WantEvidence, decode, encode
from sync.reconcile.node_replica import NodeReplica
from sync.reconcile.replica import IngestReport

SYNC_PATH = "/v1/sync"
ERROR_CLOSE = 4000  # application close code: the reason is a stable error code


class Socket(Protocol):
    """What a session needs of a websocket (aiohttp's server and client ones both have it)."""

    async def send_bytes(self, data: bytes) -> None: ...
    async def receive(self, timeout: float | None = None) -> Any: ...
    async def close(self, *, code: int = ..., message: bytes = ...) -> bool: ...
    def exception(self) -> BaseException | None: ...

    @property
    def closed(self) -> bool: ...

    @property
    def close_code(self) -> int | None: ...


@dataclass(slots=True)
class SyncReport:
    """How one session went: what came in, what is still missing, and why it ended."""

    peer: str | None  # the device key at the other end (None: not known, e.g. pinned)
    stored: int = 0  # entries stored here
    duplicates: int = 0
    pages_in: int = 0
    pages_out: int = 0
    frames_in: int = 0
    frames_out: int = 0
    pushes: int = 0  # fresh summaries sent because new entries were committed here
    lag: int = 0  # entries of the peer's latest summary still missing here at the end
    finished: bool = False  # both sides caught up with each other
    error: str | None = None  # stable code when the session failed
    message: str = ""
    elapsed_s: float = 0.0


class PublishingReplica(NodeReplica):
    """NodeReplica with the fast, strict page ingest (issue 10 point 5) and publication.

    Per page, on the node thread: branch, hash and links of every entry and one
    signature per linked run (`chitnode.log.page.check_page`, wal-v1 §7), then the fold.
    Meanwhile the other entries' own signatures are checked on `verifier` (libsodium
    runs without the GIL); the page's transaction commits only once they all passed, so
    an entry with a bad own signature is refused with its page (`bad_sig`) and never
    stored. What commits is published to the node's event stream (live push).
    """

    def __init__(self, node: Node, stream: EventStream, verifier: Executor) -> None:
        super().__init__(node)
        self._stream = stream
        self._verifier = verifier

    def ingest(self, entries: Sequence[Entry]) -> IngestReport:
        try:
            rest = check_page(entries, self.branch)
        except ChitError as exc:
            return IngestReport(refused=exc.code)
        pending = self._verifier.submit(check_sigs, rest) if rest else None

        def fold() -> IngestResult:
            with self._node.receiving(checked=True) as receive:
                result = receive(list(entries))
                if pending is not None:
                    pending.result()  # a bad signature raises here: the page rolls back
                return result

        try:
            result = published(self._stream, fold)
        except ChitError as exc:
            return IngestReport(refused=exc.code)
        finally:
            if pending is not None:
                pending.cancel()
        stored, forks = len(result.stored), len(result.forks)
        return IngestReport(stored, result.duplicates, forks, deferred=len(result.refused))


_VERIFIERS: list[ThreadPoolExecutor] = []


def _verifier() -> ThreadPoolExecutor:
    """The process's signature checker: its own thread(s), beside the node thread."""
    if not _VERIFIERS:
        _VERIFIERS.append(
            ThreadPoolExecutor(limits.PEER_SIG_THREADS, thread_name_prefix="chitnode-sigs")
        )
    return _VERIFIERS[0]


class FrameBudget:
    """A token bucket over frames received; `clock` in seconds (the loop's)."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        burst: int = limits.PEER_FRAMES_BURST_MAX,
        per_s: float = limits.PEER_FRAMES_PER_S,
    ) -> None:
        self._clock, self._burst, self._per_s = clock, burst, per_s
        self._tokens, self._at = float(burst), clock()

    def take(self) -> None:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._per_s)
        self._at = now
        if self._tokens < 1:
            raise RateLimited(f"more than {self._per_s:g} frames a second")
        self._tokens -= 1


class Session:
    """Drive one `Reconciler` over one websocket until finished, closed or failed."""

    def __init__(
        self,
        node_thread: Any,
        stream: EventStream,
        ws: Socket,
        peer: str | None,
        *,
        live: bool,
        budget: FrameBudget | None = None,
        answer_timeout_s: float = limits.PEER_ANSWER_TIMEOUT_S,
    ) -> None:
        self._nt = node_thread
        self._stream = stream
        self._ws = ws
        self._live = live
        self._budget = budget
        self._answer_timeout_s = answer_timeout_s
        self._rec: Reconciler | None = None
        # Feeds whose fork evidence we asked for and did not get yet. The core counts a
        # session caught up without it (the feed below the fork is all it fetches), and a
        # peer frozen through a broken link has no pair to show, so it never answers:
        # wait one answer period for it, then take the peer's silence as that answer.
        self._evidence_due: set[str] = set()
        self._sending = asyncio.Lock()
        self.report = SyncReport(peer)
        self.caught_up = asyncio.Event()  # set each time the session is caught up

    async def run(self) -> SyncReport:
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        self._budget = self._budget or FrameBudget(loop.time)
        wake = asyncio.Event()
        sub: Subscription | None = None
        push: asyncio.Task[None] | None = None
        try:
            if self._live:  # before the first summary: nothing committed after it is missed

                def on_commit() -> None:  # the writer's thread: hand over to the loop, at once
                    loop.call_soon_threadsafe(wake.set)

                sub = self._stream.subscribe(wake=on_commit)
            self._rec = await self._nt.run(self._open)
            await self._send(await self._nt.run(self._start))
            if sub is not None:
                push = asyncio.create_task(self._push(sub, wake))
            await self._receive_loop()
        except ChitError as exc:
            self.report.error, self.report.message = exc.code, exc.message
            await self._close(ERROR_CLOSE, exc.code)
        except (ConnectionError, asyncio.CancelledError) as exc:
            if isinstance(exc, asyncio.CancelledError):
                await self._close(WSCloseCode.GOING_AWAY, "")
                raise
            self.report.error, self.report.message = ConnectionLost.code, str(exc)
        finally:
            if push is not None:
                push.cancel()
            if sub is not None:
                sub.close()
            await self._final_stats()
            self.report.elapsed_s = time.monotonic() - started
        return self.report

    # --- on the node thread ------------------------------------------------------------

    def _open(self, node: Node) -> Reconciler:
        return Reconciler(PublishingReplica(node, self._stream, _verifier()))

    def _start(self, _node: Node) -> list[bytes]:
        assert self._rec is not None
        return self._encode(self._rec.start())

    def _answer(self, _node: Node, data: bytes) -> list[bytes]:
        assert self._rec is not None
        message = decode(data)
        if isinstance(message, ForkEvidence):
            self._evidence_due.discard(message.author)
        return self._encode(self._rec.receive(message))

    def _resend(self, _node: Node) -> list[bytes]:
        assert self._rec is not None
        return self._encode(self._rec.resend())

    def _encode(self, messages: list[Message]) -> list[bytes]:
        self._evidence_due.update(m.author for m in messages if isinstance(m, WantEvidence))
        return [encode(m) for m in messages]

    # --- on the loop ---------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        assert self._rec is not None and self._budget is not None
        silent = 0
        while True:
            finished = self._rec.finished and not self._evidence_due
            if finished:
                self.caught_up.set()
                if not self._live:
                    await self._close(WSCloseCode.OK, "")
                    return
            else:
                self.caught_up.clear()
            try:
                msg = await self._ws.receive(timeout=None if finished else self._answer_timeout_s)
            except TimeoutError:
                if self._rec.finished:  # only evidence is due: the peer has none to show
                    self._evidence_due.clear()
                    continue
                silent += 1
                if silent > limits.PEER_RESENDS_MAX:
                    raise PeerTimeout(f"no answer in {silent} periods") from None
                await self._send(await self._nt.run(self._resend))
                continue
            silent = 0
            if msg.type == WSMsgType.BINARY:
                self._budget.take()
                self.report.frames_in += 1
                await self._send(await self._nt.run(self._answer, msg.data))
            elif msg.type == WSMsgType.TEXT:
                raise BadMessage("a text frame: the sync protocol speaks binary frames")
            elif msg.type == WSMsgType.ERROR:
                self._raise_error(self._ws.exception())
            else:  # CLOSE, CLOSING, CLOSED
                self._on_close(msg)
                return

    def _raise_error(self, exc: BaseException | None) -> None:
        if isinstance(exc, WebSocketError) and exc.code == WSCloseCode.MESSAGE_TOO_BIG:
            raise MessageTooBig(f"a frame over {limits.MESSAGE_BYTES_MAX} bytes")
        if isinstance(exc, WebSocketError):
            raise BadMessage(f"not a websocket frame: {exc}")
        raise ConnectionLost(f"connection failed: {exc}")

    def _on_close(self, msg: Any) -> None:
        code = self._ws.close_code
        reason = msg.extra if isinstance(msg.extra, str) else ""
        if code == ERROR_CLOSE and reason in CODES:
            # the peer refused something of ours; its code is the report's
            raise ChitError(f"the peer closed the session: {reason}", code=reason)
        assert self._rec is not None
        if not self._rec.finished and not self._live:
            raise ConnectionLost(f"the peer closed the session (code {code})")

    async def _send(self, frames: list[bytes]) -> None:
        async with self._sending:
            for frame in frames:
                await self._ws.send_bytes(frame)
                self.report.frames_out += 1

    async def _push(self, sub: Subscription, wake: asyncio.Event) -> None:
        """Tell the peer about new entries: one fresh summary per batch of news."""
        told: dict[str, int] = {}  # author -> highest seq announced to this peer
        while True:
            await wake.wait()
            wake.clear()
            news = False
            for event in sub.drain():  # everything since the last wake: one summary
                if event.seq > told.get(event.author, 0):
                    told[event.author] = event.seq
                    news = True
            if news or sub.dropped:
                sub.dropped = 0
                await self._send(await self._nt.run(self._start))
                self.report.pushes += 1

    async def _close(self, code: int, reason: str) -> None:
        if not self._ws.closed:
            try:
                async with asyncio.timeout(limits.PEER_CLOSE_TIMEOUT_S):
                    await self._ws.close(code=code, message=reason.encode())
            except (TimeoutError, ConnectionError):
                return

    async def _final_stats(self) -> None:
        rec = self._rec
        if rec is None:
            return
        stats = rec.stats
        r = self.report
        r.stored, r.duplicates, r.pages_in, r.pages_out = (
            stats.stored,
            stats.duplicates,
            stats.pages_in,
            stats.pages_out,
        )
        r.finished = rec.finished
        try:
            ranges = await self._nt.run(lambda _node: rec.plan())
        except ChitError:  # the node is closing: the lag is unknown, say none
            ranges = []
        r.lag = sum(x.to_seq - x.from_seq + 1 for x in ranges)


__all__ = ["ERROR_CLOSE", "SYNC_PATH", "FrameBudget", "Session", "SyncReport"]
