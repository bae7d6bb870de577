"""The election core of one device: who holds each scope's lease (sans-I/O).

coordination-v1 fixes what the fold accepts: signed `lease.vote` entries, a
`lease.granted` listing a strict majority of them, coordinated entries only under a held
term. This core decides when to write those entries and when this device may write
coordinated ones (docs/coordination.md):

- **PreVote.** A device that wants a scope first asks whether the electorate would vote
  for it at the next term; nobody changes anything for a PreVote. Only with a majority of
  yeses does it vote for itself (persisted) and ask for real votes, so a laptop that comes
  and goes, or sits behind a partition, never pushes the terms up (Raft thesis §9.6).
- **One vote per term, persisted before the answer.** A voter's decision goes out as
  `PersistVote`; the answer leaves only once the shell says the `lease.vote` is in the
  feed. A voter that restarts knows its last vote from its feed.
- **Leases.** A candidate notes its clock *before* it asks for votes; its lease runs
  `lease_ms` from there, and it writes coordinated entries only until a margin before the
  end. A voter that votes, or answers a holder's heartbeat, promises to vote for nobody
  else for `lease_ms` plus a margin on its own clock. Heartbeats renew the lease: a
  majority of answers to a round extends it to `lease_ms` after the round was sent.
- **CheckQuorum.** A holder that stops getting a majority of answers is not renewed, so
  it stops writing before its voters' promises end; any answer naming a higher term makes
  it step down at once. A voter that still has a promise to keep refuses PreVotes and
  votes for anyone else, so a live holder is never disturbed.
- **Restarts.** Clocks are never compared across processes. A core built after a restart
  holds nothing, and keeps, for every scope, a promise to nobody for a whole lease: any
  promise it gave before the crash (heartbeat answers are not persisted) has run out by
  then.

No sockets, no clock, no randomness of its own: every call takes `now`, this device's
reading of its elapsed-time clock (clock.BootClock), and the shell passes a seeded
`random.Random` for the election timeouts.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from chitnode.errors import RuleViolation, UsageError
from sync import limits
from sync.election.messages import (
    Heartbeat,
    HeartbeatAnswer,
    Message,
    Output,
    PersistGrant,
    PersistRelease,
    PersistTransfer,
    PersistVote,
    PreVote,
    PreVoteAnswer,
    Ref,
    Released,
    Send,
    TakeOver,
    TakeOverAnswer,
    Transferred,
    VoteAnswer,
    VoteRequest,
)

Role = Literal["follower", "prevote", "candidate", "holder"]
NOBODY = ""  # a promise to nobody: after a restart, every vote waits a whole lease
_PPM = 1_000_000


def lease_of(lease_ms: int) -> int:
    """The lease holders and voters measure: the electorate's, at least the minimum."""
    return max(lease_ms, limits.ELECTION_LEASE_MIN_MS)


def holder_margin_ms(lease_ms: int) -> int:
    """How long before its lease ends a holder stops writing coordinated entries."""
    lease = lease_of(lease_ms)
    return lease * limits.ELECTION_HOLDER_MARGIN_PPM // _PPM + limits.ELECTION_HOLDER_MARGIN_MS


def voter_margin_ms(lease_ms: int) -> int:
    """How much longer than a lease a voter keeps its promise."""
    lease = lease_of(lease_ms)
    return lease * limits.ELECTION_VOTER_MARGIN_PPM // _PPM + limits.ELECTION_VOTER_MARGIN_MS


@dataclass(frozen=True, slots=True)
class VoteRecord:
    """The last `lease.vote` this device wrote for a scope (read from its own feed)."""

    term: int
    candidate: str
    ref: Ref


@dataclass(slots=True)
class _Scope:
    keys: frozenset[str]
    lease_ms: int  # lease_of(the electorate's lease_ms)
    term: int = 0  # the highest term known: voted, heard in a heartbeat or an answer, granted
    voted_term: int = 0
    voted_for: str | None = None
    vote_ref: Ref | None = None  # None while the vote is not yet in the feed
    promised_to: str | None = None  # whom this voter will not vote against ...
    promise_until: int = 0  # ... until then (this device's clock)
    holder: str | None = None  # the holder last heard from, and its term
    holder_term: int = 0
    holder_until: int = 0  # ... and until when we count it alive (a lease after its heartbeat)
    wanted: bool = False  # this device stands for the scope (`campaign`)
    role: Role = "follower"
    next_campaign: int = 0
    # the round in progress (prevote or candidate)
    round_term: int = 0
    asked_at: int = 0  # the candidate's lease starts here: before any vote is asked for
    round_ends: int = 0
    next_resend: int = 0
    yes: set[str] = field(default_factory=set)  # PreVote yeses (self included)
    votes: dict[str, Ref] = field(default_factory=dict)  # votes received (own included)
    promised: dict[str, int] = field(default_factory=dict)  # the lease each vote promised
    # holding
    held_term: int = 0
    lease_end: int = 0
    # writes stop here: lease_end less the margin of the lease it was counted with (an
    # electorate's new lease_ms, a meeting's 4 h, must not shrink a 5 s lease already held)
    write_end: int = 0
    held_lease: int = 0  # the lease last counted (what a majority promised): renewals pace
    grant_written: bool = False
    next_heartbeat: int = 0
    heartbeat_round: int = 0
    # renewal rounds: sent at, and each answer's promised lease
    heartbeats: dict[int, tuple[int, dict[str, int]]] = field(default_factory=dict)
    # transfers: the last one this device knows of (its term, to whom), and, when it is
    # to this device, the `lease.transferred` entry its grant will name
    transfer_term: int = 0
    transfer_to: str | None = None
    transfer_ref: Ref | None = None

    def majority(self, voters: Iterable[str]) -> bool:
        return 2 * len(set(voters) & self.keys) > len(self.keys)


class Election:
    """The leases of every scope this device is an elector of."""

    def __init__(
        self,
        me: str,
        now: int,
        rng: random.Random,
        electorates: Mapping[str, tuple[Iterable[str], int]],
        votes: Mapping[str, VoteRecord] | None = None,
        granted: Mapping[str, int] | None = None,
    ) -> None:
        """A core for device `me`, started at `now` (a fresh process: no lease held).

        `electorates`: scope -> (keys, lease_ms) from the fold; `votes`: this device's last
        `lease.vote` per scope, from its feed; `granted`: the highest granted term per
        scope this device's fold knows.
        """
        self.me = me
        self.rng = rng
        self.scopes: dict[str, _Scope] = {}
        for scope, (keys, lease_ms) in electorates.items():
            self.set_electorate(scope, keys, lease_ms)
            state = self.scopes[scope]
            # A promise to nobody for a whole lease: whatever this device promised before
            # it restarted has run out when this one does.
            state.promised_to = NOBODY
            state.promise_until = now + state.lease_ms + voter_margin_ms(state.lease_ms)
        for scope, record in (votes or {}).items():
            if scope in self.scopes:
                state = self.scopes[scope]
                state.voted_term, state.voted_for = record.term, record.candidate
                state.vote_ref = record.ref
                state.term = max(state.term, record.term)
        for scope, term in (granted or {}).items():
            if scope in self.scopes:
                self.scopes[scope].term = max(self.scopes[scope].term, term)

    # --- configuration and commands ---------------------------------------------

    def set_electorate(self, scope: str, keys: Iterable[str], lease_ms: int) -> None:
        """Follow `scope` (or take its new electorate from the fold)."""
        keyset = frozenset(keys)
        if not 0 < len(keyset) <= limits.ELECTION_ELECTORATE_MAX:
            raise UsageError(f"an electorate has 1..{limits.ELECTION_ELECTORATE_MAX} devices")
        state = self.scopes.get(scope)
        if state is None:
            if len(self.scopes) >= limits.ELECTION_SCOPES_MAX:
                raise UsageError(f"at most {limits.ELECTION_SCOPES_MAX} scopes")
            self.scopes[scope] = _Scope(keyset, lease_of(lease_ms))
            return
        state.keys, state.lease_ms = keyset, lease_of(lease_ms)

    def campaign(self, now: int, scope: str) -> list[Output]:
        """Stand for `scope`: seek its lease now and whenever it is free, until `withdraw`."""
        state = self._elector_scope(scope)
        state.wanted = True
        if state.role == "follower":
            state.next_campaign = min(state.next_campaign, now)
        return self.tick(now)

    def withdraw(self, now: int, scope: str) -> list[Output]:
        """Stop standing for `scope`; a held lease is released (`lease.released`).

        The holder stops writing at once and tells its electors, so their promises to it
        end now instead of a lease from now: the next election need not wait.
        """
        state = self._elector_scope(scope)
        state.wanted = False
        if state.role != "holder":
            self._follow(state)
            return []
        written, term = state.grant_written, state.held_term
        self._follow(state)
        out: list[Output] = [PersistRelease(scope, term)] if written else []
        self._to_others(state, Released(scope, term), out)
        return out

    def transfer(self, now: int, scope: str, to: str) -> list[Output]:
        """Hand the held `scope` to `to` (before an offline meeting, say): stop writing now.

        This device writes `lease.transferred` and promises `to` a lease, as every elector
        that learns of the transfer does; `to` then asks the electors to confirm
        (`TakeOver`) and writes its grant at the next term with a majority of them.
        """
        state = self._elector_scope(scope)
        term = self.may_write(now, scope)
        if term is None:
            raise RuleViolation(f"this device does not hold {scope}", code="not_lease_holder")
        if to not in state.keys or to == self.me:
            raise RuleViolation(
                f"{to[:12]} is not another device of the electorate of {scope}",
                code="bad_transfer",
            )
        state.wanted = False
        self._follow(state)
        self._transfer_known(now, state, term, to)
        return [PersistTransfer(scope, term, to)]

    def transfer_persisted(self, now: int, scope: str, term: int, to: str) -> list[Output]:
        """The `lease.transferred` is in this device's feed: tell the electors."""
        state = self.scopes.get(scope)
        out: list[Output] = []
        if state is not None:
            self._to_others(state, Transferred(scope, term, to), out)
        return out

    def transfer_seen(
        self, now: int, scope: str, term: int, holder: str, to: str, ref: Ref
    ) -> list[Output]:
        """The fold holds `holder`'s `lease.transferred` of `term` to `to`, at `ref`."""
        state = self.scopes.get(scope)
        stale = state is None or term <= state.transfer_term or term < state.term
        if stale or state is None or not 0 < term < limits.ELECTION_TERM_MAX:
            return []
        if state.role == "holder" and state.held_term == term and holder == self.me:
            self._follow(state)  # written by an earlier run of this device, say
        self._transfer_known(now, state, term, to)
        out: list[Output] = []
        if to != self.me or self.me not in state.keys:
            return out
        # Ours to take: a round like a candidate's, its lease counted from now.
        state.wanted = True
        state.role = "candidate"
        state.round_term = term + 1
        state.term = max(state.term, term + 1)
        state.asked_at = now
        # the electors may learn of the transfer only by sync: a lease to wait for them
        state.round_ends = now + state.lease_ms
        state.next_resend = now + limits.ELECTION_RESEND_MS
        state.votes, state.promised, state.yes = {}, {}, {self.me}
        state.transfer_ref = ref
        self._to_others(state, TakeOver(scope, term + 1), out)
        self._took_over(scope, state, out)
        return out

    def _transfer_known(self, now: int, state: _Scope, term: int, to: str) -> None:
        """A transfer of `term` to `to`: the old holder writes no more, `to` is promised a
        lease from now (its own is counted from before it asks for confirmations)."""
        state.transfer_term, state.transfer_to = term, to
        state.term = max(state.term, term)
        state.promised_to = to
        state.promise_until = now + state.lease_ms + voter_margin_ms(state.lease_ms)
        state.holder, state.holder_term = to, term + 1
        state.holder_until = now + state.lease_ms

    def _took_over(self, scope: str, state: _Scope, out: list[Output]) -> None:
        if state.role != "candidate" or state.transfer_ref is None:
            return
        if not state.majority(state.yes):
            return
        self._hold(state, state.lease_ms)  # take-over answers were at least this long
        ref, state.transfer_ref = state.transfer_ref, None
        out.append(PersistGrant(scope, state.held_term, (), transfer=ref))

    # --- what the shell asks -----------------------------------------------------

    def may_write(self, now: int, scope: str) -> int | None:
        """The term to write coordinated entries of `scope` under now, None if not ours."""
        state = self.scopes.get(scope)
        if state is None or state.role != "holder" or not state.grant_written:
            return None
        if now >= state.write_end:
            return None
        return state.held_term

    def time_left_ms(self, now: int, scope: str) -> int | None:
        """How long this device may still write `scope` (until its margin), None if not."""
        if self.may_write(now, scope) is None:
            return None
        state = self.scopes[scope]
        return state.write_end - now

    def holder(self, now: int, scope: str) -> tuple[str, int] | None:
        """The device this one believes holds `scope`, and its term (None: nobody known)."""
        state = self.scopes.get(scope)
        if state is None:
            return None
        if self.may_write(now, scope) is not None:
            return self.me, state.held_term
        if state.holder is None or state.holder == self.me or state.holder_until <= now:
            return None
        return state.holder, state.holder_term

    def awaits_vote(self, scope: str, term: int, voter: str) -> bool:
        """Whether a vote of `voter` at `term` would count now (a candidate's open round)."""
        state = self.scopes.get(scope)
        if state is None or state.role != "candidate" or state.round_term != term:
            return False
        return voter in state.keys and voter != self.me and voter not in state.votes

    def role(self, scope: str) -> Role:
        return self.scopes[scope].role

    def term(self, scope: str) -> int:
        return self.scopes[scope].term

    # --- time ------------------------------------------------------------------------

    def tick(self, now: int) -> list[Output]:
        """Time passed: renew, resend, give up a round, step down, or start a campaign."""
        out: list[Output] = []
        for scope, state in self.scopes.items():
            if state.role == "holder":
                self._tick_holder(now, scope, state, out)
            elif state.role in ("prevote", "candidate"):
                self._tick_round(now, scope, state, out)
            if state.role == "follower" and state.wanted and now >= state.next_campaign:
                self._start_prevote(now, scope, state, out)
        return out

    def _tick_holder(self, now: int, scope: str, state: _Scope, out: list[Output]) -> None:
        if now >= state.write_end:
            # CheckQuorum: no majority renewed the lease in time; the promises our voters
            # gave outlast this moment, so nobody else can be elected before it.
            self._follow(state)
            state.next_campaign = now + self._timeout()
            return
        if now >= state.next_heartbeat:
            self._heartbeat(now, scope, state, out)

    def _heartbeat(self, now: int, scope: str, state: _Scope, out: list[Output]) -> None:
        state.heartbeat_round += 1
        rnd = state.heartbeat_round
        state.heartbeats[rnd] = (now, {self.me: state.lease_ms})
        # our own answer: we promise ourselves, as our voters promise us
        self._promise(now, state, self.me)
        oldest = rnd - limits.ELECTION_HEARTBEAT_ROUNDS_KEPT
        for old in [r for r in state.heartbeats if r <= oldest]:
            del state.heartbeats[old]
        # paced by the lease a majority promised, not the books' lease_ms: a longer one only
        # this device knows of yet must not space the renewals past the promises' end
        pace = min(state.held_lease or state.lease_ms, state.lease_ms)
        state.next_heartbeat = now + pace // limits.ELECTION_HEARTBEATS_PER_LEASE
        self._to_others(state, Heartbeat(scope, state.held_term, rnd), out)
        self._renewed(state, rnd)

    def _tick_round(self, now: int, scope: str, state: _Scope, out: list[Output]) -> None:
        if now >= state.round_ends:
            self._follow(state)
            state.next_campaign = now + self._timeout()
            return
        if now < state.next_resend:
            return
        state.next_resend = now + limits.ELECTION_RESEND_MS
        if state.role == "prevote":
            self._to_others(state, PreVote(scope, state.round_term), out, skip=state.yes)
        elif state.transfer_ref is not None:  # taking over: ask the rest again
            self._to_others(state, TakeOver(scope, state.round_term), out, skip=state.yes)
        elif self.me in state.votes:  # our own vote is in the feed: ask the rest again
            request = VoteRequest(scope, state.round_term)
            self._to_others(state, request, out, skip=set(state.votes))

    def _start_prevote(self, now: int, scope: str, state: _Scope, out: list[Output]) -> None:
        if self.me not in state.keys:
            return
        if self._promise_binds(now, state, self.me):
            # a holder we answered is alive as far as we know: try when the promise ends
            state.next_campaign = state.promise_until
            return
        state.role = "prevote"
        state.round_term = state.term + 1
        state.round_ends = now + self._timeout()
        state.next_resend = now + limits.ELECTION_RESEND_MS
        state.yes = {self.me}
        state.votes, state.promised = {}, {}
        self._to_others(state, PreVote(scope, state.round_term), out)
        self._prevoted(now, scope, state, out)

    def _prevoted(self, now: int, scope: str, state: _Scope, out: list[Output]) -> None:
        """With a majority of PreVote yeses, vote for ourselves (persisted) at the term."""
        if state.role != "prevote" or not state.majority(state.yes):
            return
        term = max(state.round_term, state.term + 1)
        if term > limits.ELECTION_TERM_MAX or self._promise_binds(now, state, self.me):
            self._follow(state)
            return
        state.role = "candidate"
        state.round_term = term
        state.asked_at = now  # the lease clock starts before any vote is asked for
        state.round_ends = now + self._timeout()
        state.next_resend = now + limits.ELECTION_RESEND_MS
        state.votes, state.promised = {}, {}
        self._vote(now, state, self.me, term)
        out.append(PersistVote(scope, term, self.me))

    # --- messages --------------------------------------------------------------------

    def receive(self, now: int, sender: str, message: Message) -> list[Output]:
        """A message from `sender` (the channel's authenticated peer); what to do about it."""
        state = self.scopes.get(message.scope)
        if state is None or sender not in state.keys or self.me not in state.keys:
            return []  # not an elector of a scope we follow: nothing to say to it
        if sender == self.me or not 0 < message.term <= limits.ELECTION_TERM_MAX:
            return []
        out: list[Output] = []
        scope = message.scope
        if isinstance(message, PreVote):
            granted = message.term > state.term and not self._promise_binds(now, state, sender)
            out.append(Send(sender, PreVoteAnswer(scope, message.term, granted, state.term)))
        elif isinstance(message, VoteRequest):
            self._on_vote_request(now, sender, message, state, out)
        elif isinstance(message, Released):
            # Only the promise of the term we know last: a late copy of an older release
            # must not free a device elected again since.
            if message.term == state.term and state.promised_to == sender:
                state.promise_until = min(state.promise_until, now)
                state.holder_until = min(state.holder_until, now)
                state.next_campaign = min(state.next_campaign, now)  # stand now, if we do
        elif isinstance(message, Transferred):
            pass  # the shell folds the entry it carries and calls `transfer_seen`
        elif isinstance(message, TakeOver):
            ok = self._on_take_over(now, sender, message, state)
            taken = TakeOverAnswer(scope, message.term, ok, state.term, state.lease_ms)
            out.append(Send(sender, taken))
        elif isinstance(message, Heartbeat):
            ok = self._on_heartbeat(now, sender, message, state)
            answer = HeartbeatAnswer(
                scope, message.term, message.round, ok, state.term, state.lease_ms
            )
            out.append(Send(sender, answer))
        else:
            self._learn_term(now, state, message.voter_term)
            if isinstance(message, PreVoteAnswer):
                current = state.role == "prevote" and message.term == state.round_term
                if current and message.granted:
                    state.yes.add(sender)
                    self._prevoted(now, scope, state, out)
            elif isinstance(message, VoteAnswer):
                self._on_vote_answer(sender, message, state, out)
            elif isinstance(message, TakeOverAnswer):
                taking = state.transfer_ref is not None and message.term == state.round_term
                # a promise shorter than our lease does not cover it: the voter's books
                # lack the electorate's new lease_ms yet; it answers again once synced
                long_enough = message.lease_ms >= state.lease_ms
                if taking and message.ok and long_enough and state.role == "candidate":
                    state.yes.add(sender)
                    self._took_over(scope, state, out)
            elif message.ok and state.role == "holder" and message.term == state.held_term:
                sent = state.heartbeats.get(message.round)
                if sent is not None:
                    sent[1][sender] = message.lease_ms
                    self._renewed(state, message.round)
        return out

    def _on_vote_request(
        self, now: int, sender: str, message: VoteRequest, state: _Scope, out: list[Output]
    ) -> None:
        scope, term = message.scope, message.term
        if state.voted_term == term and state.voted_for == sender:
            if state.vote_ref is not None:  # asked again: the same vote, the same entry
                again = VoteAnswer(scope, term, True, state.term, state.vote_ref, state.lease_ms)
                out.append(Send(sender, again))
            return  # not yet in the feed: the answer leaves with `vote_persisted`
        if term <= state.term or self._promise_binds(now, state, sender):
            out.append(Send(sender, VoteAnswer(scope, term, False, state.term, None, 0)))
            return
        if state.role != "follower":
            self._follow(state)  # a later term: our own round or lease is over
        self._vote(now, state, sender, term)
        out.append(PersistVote(scope, term, sender))

    def _on_heartbeat(self, now: int, sender: str, message: Heartbeat, state: _Scope) -> bool:
        term = message.term
        if term < state.term or (state.holder_term == term and state.holder != sender):
            return False
        if state.role == "holder" and state.held_term == term:
            return False  # two holders of one term cannot be: refuse rather than guess
        if state.role != "follower":
            self._follow(state)  # a holder of this term or a later one: our round is over
        state.term = max(state.term, term)
        state.holder, state.holder_term = sender, term
        state.holder_until = now + state.lease_ms
        if state.promised_to == NOBODY and state.promise_until > now:
            # Restarted: answering a holder is safe (its voters are a majority that knows
            # every later term), voting is not yet; the promise to nobody grows instead.
            until = now + state.lease_ms + voter_margin_ms(state.lease_ms)
            state.promise_until = max(state.promise_until, until)
        else:
            # A promise to another device passes to this one: a term at least as late was
            # won by a majority that answered the other one no more, so its lease is over.
            self._promise(now, state, sender)
        return True

    def _on_take_over(self, now: int, sender: str, message: TakeOver, state: _Scope) -> bool:
        """Confirm `sender` takes over: only the `to` of the transfer this device knows."""
        ok = state.transfer_to == sender and state.transfer_term + 1 == message.term
        if not ok or message.term < state.term:
            return False
        state.term = message.term
        self._promise(now, state, sender)
        state.holder, state.holder_term = sender, message.term
        state.holder_until = now + state.lease_ms
        return True

    def _on_vote_answer(
        self, sender: str, message: VoteAnswer, state: _Scope, out: list[Output]
    ) -> None:
        if state.role != "candidate" or message.term != state.round_term:
            return
        vote = message.vote
        if not message.granted or vote is None or vote.author != sender:
            return
        state.votes[sender] = vote
        state.promised[sender] = message.lease_ms
        self._won(message.scope, state, out)

    def _won(self, scope: str, state: _Scope, out: list[Output]) -> None:
        if self.me not in state.votes or not state.majority(state.votes):
            return
        # the lease a majority of the votes promised at least (a voter whose books still
        # carry a shorter lease_ms promised only that)
        self._hold(state, self._majority_lease(state, {**state.promised, self.me: state.lease_ms}))
        votes = tuple(sorted(state.votes.values(), key=lambda r: r.author))
        out.append(PersistGrant(scope, state.held_term, votes))

    def _hold(self, state: _Scope, lease: int) -> None:
        """The round won (by votes or a take-over): hold its term for `lease`, counted from
        before the round asked; writes wait for the grant to be in the feed."""
        state.role = "holder"
        state.held_term = state.round_term
        state.lease_end = state.asked_at + lease
        state.write_end = state.lease_end - holder_margin_ms(lease)
        state.held_lease = lease
        state.grant_written = False
        state.heartbeats = {}
        state.next_heartbeat = state.asked_at  # renew at the next tick
        state.holder, state.holder_term = self.me, state.held_term

    def _renewed(self, state: _Scope, rnd: int) -> None:
        sent_at, acks = state.heartbeats[rnd]
        if state.majority(acks):
            lease = self._majority_lease(state, acks)
            state.held_lease = lease
            state.lease_end = max(state.lease_end, sent_at + lease)
            state.write_end = max(state.write_end, sent_at + lease - holder_margin_ms(lease))
            for old in [r for r in state.heartbeats if r <= rnd]:
                del state.heartbeats[old]

    @staticmethod
    def _majority_lease(state: _Scope, promises: dict[str, int]) -> int:
        """The longest lease a strict majority of `promises` covers: the majority-th longest
        promise of an elector (at most this device's own lease_ms)."""
        leases = sorted((v for k, v in promises.items() if k in state.keys), reverse=True)
        needed = len(state.keys) // 2 + 1
        covered = leases[needed - 1] if len(leases) >= needed else 0
        return min(covered, state.lease_ms)

    def _learn_term(self, now: int, state: _Scope, term: int) -> None:
        """An answer names a later term: a holder or a candidate of an older one gives up."""
        if not 0 <= term <= limits.ELECTION_TERM_MAX or term <= state.term:
            return
        state.term = term
        mine = state.held_term if state.role == "holder" else state.round_term
        if state.role != "follower" and term >= mine:
            self._follow(state)
            state.next_campaign = now + self._timeout()

    # --- the shell's reports -------------------------------------------------------

    def vote_persisted(self, now: int, scope: str, term: int, ref: Ref) -> list[Output]:
        """The `lease.vote` for `term` is in this device's feed at `ref`: answer with it."""
        state = self.scopes.get(scope)
        if state is None or state.voted_term != term or state.voted_for is None:
            return []
        state.vote_ref = ref
        candidate = state.voted_for
        if candidate != self.me:
            return [Send(candidate, VoteAnswer(scope, term, True, state.term, ref, state.lease_ms))]
        out: list[Output] = []
        if state.role == "candidate" and state.round_term == term:
            state.votes[self.me] = ref
            self._to_others(state, VoteRequest(scope, term), out)
            self._won(scope, state, out)
        return out

    def grant_persisted(self, now: int, scope: str, term: int) -> list[Output]:
        """The `lease.granted` for `term` is in this device's feed: coordinated writes may go."""
        state = self.scopes.get(scope)
        if state is not None and state.role == "holder" and state.held_term == term:
            state.grant_written = True
        return self.tick(now)

    def grant_seen(self, now: int, scope: str, term: int, holder: str) -> list[Output]:
        """The fold holds a grant of `scope` at `term` to `holder` (synced from a peer)."""
        state = self.scopes.get(scope)
        if state is None or not 0 < term <= limits.ELECTION_TERM_MAX:
            return []
        if holder != self.me:
            self._learn_term(now, state, term)
        return []

    # --- helpers -----------------------------------------------------------------------

    def _elector_scope(self, scope: str) -> _Scope:
        state = self.scopes.get(scope)
        if state is None or self.me not in state.keys:
            raise RuleViolation(
                f"this device is not in the electorate of {scope}", code="not_in_electorate"
            )
        return state

    def _vote(self, now: int, state: _Scope, candidate: str, term: int) -> None:
        state.term = max(state.term, term)
        state.voted_term, state.voted_for, state.vote_ref = term, candidate, None
        self._promise(now, state, candidate)

    def _promise(self, now: int, state: _Scope, to: str) -> None:
        until = now + state.lease_ms + voter_margin_ms(state.lease_ms)
        if state.promised_to == to:
            until = max(until, state.promise_until)
        state.promised_to, state.promise_until = to, until

    def _promise_binds(self, now: int, state: _Scope, candidate: str) -> bool:
        """Whether a promise still forbids voting for `candidate` now."""
        if state.promise_until <= now or state.promised_to == candidate:
            return False
        # A promise to ourselves protects a lease we hold; a round we gave up never
        # became one (its grant is never written), so it binds nobody.
        return not (state.promised_to == self.me and state.role != "holder")

    def _follow(self, state: _Scope) -> None:
        state.role = "follower"
        state.transfer_ref = None
        state.held_term = 0
        state.grant_written = False
        state.heartbeats = {}
        state.yes = set()
        state.votes, state.promised = {}, {}

    def _to_others(
        self, state: _Scope, message: Message, out: list[Output], skip: Iterable[str] = ()
    ) -> None:
        skipped = {self.me, *skip}
        out.extend(Send(k, message) for k in sorted(state.keys) if k not in skipped)

    def _timeout(self) -> int:
        return limits.ELECTION_TIMEOUT_MS + self.rng.randrange(limits.ELECTION_TIMEOUT_MS + 1)
