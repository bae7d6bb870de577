"""Notifications (issue 4, part 3): in-app feeds per member and per role, and an e-mail outbox.

In-app: `notifications_for(event)` is a pure function of one `events.Event` (so of
the log: `events.replay_events` rebuilds every event from the stored entries)
giving the lines a member or a role sees, amounts in rupees with Indian digit
grouping (`money.format_inr`). Money events covered: transfers in and out,
cash deposits and withdrawals at the counter, bank deposits settled or failed and
bank withdrawals reserved, paid out or refused (`bank_kinds`), dues (a
contribution recorded), an auction won, a prize paid, a recovery case opened or
moved, and any wallet entry refused in the fold. EMI reminders join when the
loan kinds do (issue 4, part 4). `ROLE_FEEDS` says which role's feed gets which
kind. `Feed` keeps the newest `limits.NOTIFY_FEED_ITEMS_MAX` per audience, fed from an
`EventStream` subscription.

E-mail: `mails_for` turns member notifications into `Mail`s for the outbox
(`chitnode/store/mail_outbox.py`), which `sync/mail/smtp.py` sends.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from chitnode import limits
from chitnode.domain import bank_kinds as bank
from chitnode.domain import wallet_kinds as wallet
from chitnode.domain.money import format_inr
from chitnode.services.events import Event, Subscription
from chitnode.store.mail_outbox import Mail

# Which role feeds see which kinds (members see what touches them, whatever the kind).
ROLE_FEEDS: dict[str, tuple[str, ...]] = {
    bank.DEPOSIT_SETTLED: ("employee",),
    bank.DEPOSIT_FAILED: ("employee",),
    bank.WITHDRAWAL_REQUESTED: ("foreman",),
    bank.WITHDRAWAL_SETTLED: ("foreman",),
    bank.WITHDRAWAL_REJECTED: ("foreman",),
    wallet.DEPOSITED: ("employee",),
    wallet.TRANSFERRED: ("foreman",),
    wallet.WITHDRAWN: ("foreman",),
    "contribution.recorded": ("employee",),
    "auction.closed": ("foreman",),
    "prize.paid": ("foreman",),
    "recovery.opened": ("foreman", "employee"),
    "recovery.moved": ("foreman", "employee"),
}
REFUSED_ROLE = "admin"  # a money entry refused by the fold is evidence someone should read


@dataclass(frozen=True, slots=True)
class Notification:
    """One line of a feed: for a member (`member_id`) or for everyone holding `role`."""

    member_id: str  # "" when addressed to a role
    role: str  # "" when addressed to a member
    kind: str  # the entry kind it comes from
    text: str
    ref: str  # the entry's hash: the receipt, and the dedup key of its mail
    ts_ms: int

    @property
    def audience(self) -> str:
        return f"member:{self.member_id}" if self.member_id else f"role:{self.role}"


# --- in-app --------------------------------------------------------------------------------


def notifications_for(event: Event) -> list[Notification]:
    """What members and roles are told about one folded entry (empty: nothing to tell)."""
    if not event.applied:
        return _refused(event)
    member_lines = _member_lines(event)
    role_line = _role_line(event)
    out = [_note(event, text, member_id=m) for m, text in member_lines]
    if role_line:
        out += [_note(event, role_line, role=r) for r in ROLE_FEEDS.get(event.kind, ())]
    return out


def notifications(events: Iterable[Event]) -> list[Notification]:
    return [n for event in events for n in notifications_for(event)]


def member_feed(
    events: Iterable[Event], member_id: str, limit: int = limits.NOTIFY_FEED_ITEMS_MAX
) -> list[Notification]:
    """A member's feed, newest first, at most `limit` (pure: derived from the events)."""
    return _newest(events, lambda n: n.member_id == member_id, limit)


def role_feed(
    events: Iterable[Event], role: str, limit: int = limits.NOTIFY_FEED_ITEMS_MAX
) -> list[Notification]:
    return _newest(events, lambda n: n.role == role, limit)


def _newest(events: Iterable[Event], keep: _Keep, limit: int) -> list[Notification]:
    kept: deque[Notification] = deque(maxlen=max(0, min(limit, limits.NOTIFY_FEED_ITEMS_MAX)))
    for event in events:
        kept.extend(n for n in notifications_for(event) if keep(n))
    return list(reversed(kept))


class _Keep(Protocol):
    def __call__(self, n: Notification, /) -> bool: ...


def _note(event: Event, text: str, *, member_id: str = "", role: str = "") -> Notification:
    return Notification(member_id, role, event.kind, text, event.hash, event.ts_ms)


def _where(event: Event) -> str:
    return f"group {event.group_id}, ticket {event.ticket}"


def _member_lines(event: Event) -> list[tuple[str, str]]:
    amount, members = format_inr(event.amount_paise), event.members
    if event.kind == wallet.TRANSFERRED and len(members) == 2:
        sender, receiver = members
        return [
            (sender, f"You sent {amount} to {receiver}."),
            (receiver, f"You received {amount} from {sender}."),
        ]
    if not members:
        return []
    who = members[0]
    ref = f" (ref {event.detail})" if event.detail else ""
    lines = {
        wallet.DEPOSITED: f"{amount} was deposited into your wallet{ref}.",
        wallet.WITHDRAWN: f"{amount} was withdrawn from your wallet in cash{ref}.",
        "contribution.recorded": (
            f"Payment of {amount} received for {_where(event)}, month {event.month}"
            f" (receipt {event.detail})."
        ),
        "auction.closed": (
            f"You won month {event.month} of group {event.group_id} (ticket {event.ticket}):"
            f" prize {amount}."
        ),
        "prize.paid": f"Your prize of {amount} for group {event.group_id} was paid.",
        bank.DEPOSIT_SETTLED: f"Your bank deposit of {amount} is in your wallet{ref}.",
        bank.DEPOSIT_FAILED: f"Your bank deposit of {amount} did not arrive ({event.detail}).",
        bank.WITHDRAWAL_REQUESTED: f"{amount} is reserved in your wallet for a bank withdrawal.",
        bank.WITHDRAWAL_SETTLED: f"Your bank withdrawal of {amount} was paid out{ref}.",
        bank.WITHDRAWAL_REJECTED: (
            f"Your bank withdrawal of {amount} was refused ({event.detail});"
            " the money is back in your wallet."
        ),
        "recovery.opened": f"A recovery case was opened for {_where(event)}: dues are overdue.",
        "recovery.moved": f"Your recovery case for {_where(event)} moved to: {event.detail}.",
    }
    text = lines.get(event.kind)
    return [(who, text)] if text else []


def _role_line(event: Event) -> str:
    amount, members = format_inr(event.amount_paise), event.members
    who = members[0] if members else "?"
    ref = f" (ref {event.detail})" if event.detail else ""
    lines = {
        wallet.DEPOSITED: f"Cash {amount} received into {who}'s wallet.",
        wallet.TRANSFERRED: f"Transfer of {amount}: {' -> '.join(members)}.",
        wallet.WITHDRAWN: f"Cash {amount} paid out of {who}'s wallet.",
        "contribution.recorded": (
            f"Dues: {amount} from {who} for {_where(event)}, month {event.month}."
        ),
        "auction.closed": (
            f"Group {event.group_id} month {event.month} won by ticket {event.ticket}"
            f" ({who}): prize {amount}."
        ),
        "prize.paid": f"Prize of {amount} paid to {who} ({_where(event)}, month {event.month}).",
        bank.DEPOSIT_SETTLED: f"Bank deposit of {amount} for {who} settled{ref}.",
        bank.DEPOSIT_FAILED: f"Bank deposit of {amount} for {who} failed ({event.detail}).",
        bank.WITHDRAWAL_REQUESTED: f"Bank withdrawal of {amount} for {who} requested.",
        bank.WITHDRAWAL_SETTLED: f"Bank withdrawal of {amount} for {who} paid out{ref}.",
        bank.WITHDRAWAL_REJECTED: f"Bank withdrawal of {amount} for {who} refused.",
        "recovery.opened": f"Recovery opened: {_where(event)} ({who}).",
        "recovery.moved": f"Recovery {_where(event)} ({who}) moved to {event.detail}.",
    }
    return lines.get(event.kind, "")


def _refused(event: Event) -> list[Notification]:
    """A money entry the fold refused: its payer and the admins are told, with the code."""
    if event.kind not in wallet.WALLET_KINDS:
        return []
    amount = format_inr(event.amount_paise)
    what = {
        wallet.DEPOSITED: "deposit",
        wallet.TRANSFERRED: "transfer",
        wallet.WITHDRAWN: "withdrawal",
    }[event.kind]
    out = [_note(event, f"Refused: {what} of {amount} ({event.code}).", role=REFUSED_ROLE)]
    if event.members:
        text = f"Your {what} of {amount} was refused ({event.code})."
        out.insert(0, _note(event, text, member_id=event.members[0]))
    return out


class Feed:
    """Live in-app feeds: the newest `limits.NOTIFY_FEED_ITEMS_MAX` notifications per audience.

    Fed by `pull(subscription)` (an `EventStream` subscription with no filter).
    Thread-safe. A restarted node rebuilds it from the log:
    `feed.add_events(events.replay_events(events.stored_entries(node)))`.
    """

    def __init__(self) -> None:
        self._items: dict[str, deque[Notification]] = {}
        self._lock = threading.Lock()
        self.dropped_audiences = 0

    def add_events(self, events: Iterable[Event]) -> int:
        added = 0
        for note in notifications(events):
            with self._lock:
                items = self._items.get(note.audience)
                if items is None:
                    if len(self._items) >= limits.NOTIFY_FEED_AUDIENCES_MAX:
                        self.dropped_audiences += 1
                        continue
                    items = self._items[note.audience] = deque(maxlen=limits.NOTIFY_FEED_ITEMS_MAX)
                items.append(note)
            added += 1
        return added

    def pull(self, subscription: Subscription) -> int:
        """Move what the subscription holds into the feeds; returns notifications added."""
        return self.add_events(subscription.drain())

    def for_member(
        self, member_id: str, limit: int = limits.NOTIFY_FEED_ITEMS_MAX
    ) -> list[Notification]:
        return self._newest(f"member:{member_id}", limit)

    def for_role(self, role: str, limit: int = limits.NOTIFY_FEED_ITEMS_MAX) -> list[Notification]:
        return self._newest(f"role:{role}", limit)

    def _newest(self, audience: str, limit: int) -> list[Notification]:
        with self._lock:
            items = list(self._items.get(audience, ()))
        return items[::-1][: max(0, limit)]


def mails_for(
    items: Iterable[Notification], addresses: Mapping[str, str], *, subject_prefix: str = "chitnode"
) -> list[Mail]:
    """Mails for the member notifications whose member has an address (roles get none)."""
    out = []
    for note in items:
        to = addresses.get(note.member_id) if note.member_id else None
        if not to:
            continue
        subject = f"{subject_prefix}: {note.text}"[: limits.MAIL_SUBJECT_CHARS_MAX]
        body = f"{note.text}\n\nReference: {note.ref}\n"
        out.append(Mail(f"{note.ref}.{note.member_id}", to, subject, body))
    return out
