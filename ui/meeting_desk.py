"""The meeting table on this laptop: what a meeting holds that never enters the log.

The log records what the kernel judges (payments, the draw, attestations, the payout).
A meeting also has things that are only the table's: which meeting the foreman has open,
who is sitting there (a phone that checks in ticks its member present before the
attendance goes into `auction.opened`), the cash counted at the end and the note on a
difference, and the holder's lot secret between `auction.opened` (which commits to it)
and `lot.revealed`. The desk holds them process-wide, keyed by branch id, so every
browser session of this node sees the same table; nothing here is ever shown to another
node.

The API the member screens use (helper F, the phone's "I am here"):

    open_meetings(branch_id) -> list[OpenMeeting]
        The meetings open now on this node, oldest first; a phone offers a check-in
        for the ones whose group the member holds a ticket in.
    check_in(branch_id, group_id, month, member_id) -> OpenMeeting | None
        Ticks `member_id` present at that meeting (and marks them checked in); None when
        no such meeting is open. Whether the member holds a ticket in the group is the
        kernel's to judge when the attendance is written (`not_subscriber`).

Both run on the event loop (Flet handlers); `listen(fn)` calls `fn(branch_id, group_id,
month)` after every change, so the foreman's attendance screen refreshes on a check-in.

The lot secret is kept in memory AND in `<data>/meeting_lots.json` (owner-only, written
whole or not at all), so a laptop restarted between the opening and the reveal can still
reveal: a lost secret would stall the month for good (docs/chit-rules.md, "The lot").
Once revealed the secret is in the log and the desk forgets it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chitnode.domain.chit_rules import lot_commitment
from ui import limits

LOTS_FILE = "meeting_lots.json"  # <data>/: the holder's committed lot secrets, until revealed
PRIVATE_FILE_MODE = 0o600  # a lot secret lets its holder know the draw before anyone else
LOT_SECRET_BYTES = 32  # chit_rules.lot_commitment hashes 32 raw bytes (64 hex digits)

Listener = Callable[[str, str, int], None]


@dataclass(frozen=True, slots=True)
class OpenMeeting:
    """One meeting open at this node's table (a snapshot; the desk keeps the live one)."""

    branch_id: str
    group_id: str
    month: int
    opened_ms: int  # when the foreman opened it here: the meeting's date
    absent: frozenset[str] = frozenset()  # members the foreman unticked
    checked_in: frozenset[str] = frozenset()  # members whose phones said "I am here"
    counted_paise: int | None = None  # the cash counted at the end, once typed
    cash_note: str = ""  # why the count differs from what was expected
    closed: bool = False


@dataclass
class _Desk:
    meetings: dict[tuple[str, str, int], OpenMeeting] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)
    lots: dict[tuple[str, int], str] = field(default_factory=dict)  # (group, month) -> secret
    lock: threading.Lock = field(default_factory=threading.Lock)


_DESK = _Desk()


def _changed(branch_id: str, group_id: str, month: int) -> None:
    for fn in list(_DESK.listeners):
        with contextlib.suppress(Exception):  # one broken screen must not stop the others
            fn(branch_id, group_id, month)


def _put(meeting: OpenMeeting) -> OpenMeeting:
    with _DESK.lock:
        key = (meeting.branch_id, meeting.group_id, meeting.month)
        _DESK.meetings[key] = meeting
        while len(_DESK.meetings) > limits.MEETINGS_OPEN_MAX:
            del _DESK.meetings[next(iter(_DESK.meetings))]
    _changed(meeting.branch_id, meeting.group_id, meeting.month)
    return meeting


def open_meeting(branch_id: str, group_id: str, month: int, now_ms: int) -> OpenMeeting:
    """Open (or return, if already open) the meeting of `group_id`'s month `month`."""
    found = meeting(branch_id, group_id, month)
    if found is not None and not found.closed:
        return found
    return _put(OpenMeeting(branch_id, group_id, month, opened_ms=now_ms))


def meeting(branch_id: str, group_id: str, month: int) -> OpenMeeting | None:
    with _DESK.lock:
        return _DESK.meetings.get((branch_id, group_id, month))


def open_meetings(branch_id: str) -> list[OpenMeeting]:
    """The meetings open now at this branch's table, oldest first."""
    with _DESK.lock:
        found = [m for m in _DESK.meetings.values() if m.branch_id == branch_id and not m.closed]
    return sorted(found, key=lambda m: (m.opened_ms, m.group_id, m.month))


def check_in(branch_id: str, group_id: str, month: int, member_id: str) -> OpenMeeting | None:
    """A member's phone says "I am here": ticked present; None if no such meeting is open."""
    found = meeting(branch_id, group_id, month)
    if found is None or found.closed:
        return None
    return _put(
        replace(
            found,
            absent=found.absent - {member_id},
            checked_in=found.checked_in | {member_id},
        )
    )


def set_present(
    branch_id: str, group_id: str, month: int, member_id: str, present: bool
) -> OpenMeeting | None:
    """The foreman ticks or unticks a member at the table."""
    found = meeting(branch_id, group_id, month)
    if found is None or found.closed:
        return None
    absent = found.absent - {member_id} if present else found.absent | {member_id}
    return _put(replace(found, absent=absent))


def note_cash(
    branch_id: str, group_id: str, month: int, counted_paise: int, note: str
) -> OpenMeeting | None:
    """The cash counted at the end, and the note on any difference."""
    found = meeting(branch_id, group_id, month)
    if found is None:
        return None
    return _put(replace(found, counted_paise=counted_paise, cash_note=note))


def close_meeting(branch_id: str, group_id: str, month: int) -> OpenMeeting | None:
    found = meeting(branch_id, group_id, month)
    if found is None:
        return None
    return _put(replace(found, closed=True))


def listen(fn: Listener) -> Callable[[], None]:
    """Call `fn(branch_id, group_id, month)` after every change; returns the undo."""
    with _DESK.lock:
        _DESK.listeners.append(fn)

    def stop() -> None:
        with _DESK.lock, contextlib.suppress(ValueError):
            _DESK.listeners.remove(fn)

    return stop


def follow(view: Any, following: weakref.WeakSet[Any], wants: Callable[[Any, str], bool]) -> None:
    """Rebuild a browser session's screen when the desk changes and `wants(view, group_id)`
    (the desk is not in the log, so no event says so). Once per session per `following`
    set; the listener goes when the session does. The desk may change on any thread: the
    rebuild is scheduled on the session's loop."""
    if view in following:
        return
    following.add(view)
    loop = asyncio.get_running_loop()
    ref = weakref.ref(view)
    stops: list[Callable[[], None]] = []

    def changed(branch_id: str, group_id: str, month: int) -> None:
        seen = ref()
        if seen is None:  # the session has gone
            for stop in stops:
                stop()
            return
        if wants(seen, group_id):
            loop.call_soon_threadsafe(lambda: loop.create_task(seen.rebuild()))

    stops.append(listen(changed))


def forget_all() -> None:
    """Empty the table (tests; a node that stops serving)."""
    with _DESK.lock:
        _DESK.meetings.clear()
        _DESK.lots.clear()


# --- the holder's lot secret (lot v2) -----------------------------------------------------


def _lots_path(folder: Path) -> Path:
    return folder / LOTS_FILE


def _read_lots(folder: Path) -> dict[str, str]:
    try:
        raw = json.loads(_lots_path(folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(k): str(v) for k, v in raw.items() if isinstance(v, str)}


def _write_lots(folder: Path, lots: dict[str, str]) -> None:
    """Whole or not at all (temp file, fsync, rename), owner-only from its creation."""
    path = _lots_path(folder)
    temp = path.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(lots, sort_keys=True))
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def _lot_key(group_id: str, month: int) -> str:
    return f"{group_id}|{month}"


def lot_secret(folder: Path, group_id: str, month: int) -> str | None:
    """The secret this node committed to for the month's draw, if it holds one."""
    with _DESK.lock:
        held = _DESK.lots.get((group_id, month))
    if held is not None:
        return held
    stored = _read_lots(folder).get(_lot_key(group_id, month))
    if stored is not None:
        with _DESK.lock:
            _DESK.lots[(group_id, month)] = stored
    return stored


def lot_commit(folder: Path, group_id: str, month: int) -> str:
    """The commitment to put in `auction.opened`: to the held secret, or to a new one,
    stored (memory and file) before it is shown to anyone."""
    secret = lot_secret(folder, group_id, month)
    if secret is None:
        secret = secrets.token_hex(LOT_SECRET_BYTES)
        lots = _read_lots(folder)
        lots[_lot_key(group_id, month)] = secret
        _write_lots(folder, lots)
        with _DESK.lock:
            _DESK.lots[(group_id, month)] = secret
    return lot_commitment(secret)


def forget_lot(folder: Path, group_id: str, month: int) -> None:
    """Once revealed (the secret is in the log), the desk drops its copy."""
    with _DESK.lock:
        _DESK.lots.pop((group_id, month), None)
    lots = _read_lots(folder)
    if lots.pop(_lot_key(group_id, month), None) is not None:
        _write_lots(folder, lots)
