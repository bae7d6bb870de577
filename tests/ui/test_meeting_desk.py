"""The meeting desk: the node's table (open meetings, check-ins, ticks, cash notes, the lot
secret kept owner-only until revealed)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode.domain.chit_rules import lot_commitment
from ui import limits, meeting_desk

BRANCH, OTHER = "B1", "B2"
NOW = 1_767_225_600_000


@pytest.fixture(autouse=True)
def clean_desk() -> Iterator[None]:
    meeting_desk.forget_all()
    yield
    meeting_desk.forget_all()


def test_open_meetings_are_per_branch_and_opening_twice_keeps_the_first() -> None:
    first = meeting_desk.open_meeting(BRANCH, "G1", 3, NOW)
    again = meeting_desk.open_meeting(BRANCH, "G1", 3, NOW + 5_000)
    assert again == first and again.opened_ms == NOW
    meeting_desk.open_meeting(BRANCH, "G2", 1, NOW + 1)
    meeting_desk.open_meeting(OTHER, "G9", 1, NOW)
    assert [(m.group_id, m.month) for m in meeting_desk.open_meetings(BRANCH)] == [
        ("G1", 3),
        ("G2", 1),
    ]
    assert [m.group_id for m in meeting_desk.open_meetings(OTHER)] == ["G9"]


def test_a_check_in_ticks_the_member_and_tells_the_listeners() -> None:
    heard: list[tuple[str, str, int]] = []
    stop = meeting_desk.listen(lambda b, g, m: heard.append((b, g, m)))
    assert meeting_desk.check_in(BRANCH, "G1", 3, "M1") is None  # no meeting open: nothing
    assert heard == []
    meeting_desk.open_meeting(BRANCH, "G1", 3, NOW)
    meeting_desk.set_present(BRANCH, "G1", 3, "M1", False)
    unticked = meeting_desk.meeting(BRANCH, "G1", 3)
    assert unticked is not None and unticked.absent == {"M1"}
    ticked = meeting_desk.check_in(BRANCH, "G1", 3, "M1")
    assert ticked is not None and ticked.absent == frozenset() and ticked.checked_in == {"M1"}
    assert heard[-1] == (BRANCH, "G1", 3) and len(heard) == 3
    stop()
    meeting_desk.check_in(BRANCH, "G1", 3, "M2")
    assert len(heard) == 3  # stopped listening


def test_a_broken_listener_does_not_stop_the_others() -> None:
    heard: list[str] = []

    def broken(branch: str, group: str, month: int) -> None:
        raise RuntimeError("a screen's bug")

    stops = [meeting_desk.listen(broken), meeting_desk.listen(lambda b, g, m: heard.append(g))]
    meeting_desk.open_meeting(BRANCH, "G1", 3, NOW)
    assert heard == ["G1"]
    for stop in stops:
        stop()


def test_cash_notes_and_closing() -> None:
    meeting_desk.open_meeting(BRANCH, "G1", 3, NOW)
    noted = meeting_desk.note_cash(BRANCH, "G1", 3, 12_300, "₹1 change given")
    assert noted is not None and (noted.counted_paise, noted.cash_note) == (
        12_300,
        "₹1 change given",
    )
    closed = meeting_desk.close_meeting(BRANCH, "G1", 3)
    assert closed is not None and closed.closed
    assert meeting_desk.open_meetings(BRANCH) == []
    assert meeting_desk.check_in(BRANCH, "G1", 3, "M1") is None  # closed: no more check-ins
    reopened = meeting_desk.open_meeting(BRANCH, "G1", 3, NOW + 9)
    assert not reopened.closed and reopened.counted_paise is None


def test_the_table_keeps_at_most_its_bound_of_meetings() -> None:
    for n in range(limits.MEETINGS_OPEN_MAX + 3):
        meeting_desk.open_meeting(BRANCH, f"G{n}", 1, NOW + n)
    held = meeting_desk.open_meetings(BRANCH)
    assert len(held) == limits.MEETINGS_OPEN_MAX
    assert held[0].group_id == "G3"  # the oldest went first


def test_the_lot_secret_is_kept_owner_only_across_a_restart_and_forgotten_once_revealed(
    tmp_path: Path,
) -> None:
    assert meeting_desk.lot_secret(tmp_path, "G1", 4) is None
    commit = meeting_desk.lot_commit(tmp_path, "G1", 4)
    assert meeting_desk.lot_commit(tmp_path, "G1", 4) == commit  # one secret per draw
    other = meeting_desk.lot_commit(tmp_path, "G2", 4)
    assert other != commit
    path = tmp_path / meeting_desk.LOTS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    meeting_desk.forget_all()  # the laptop restarts
    secret = meeting_desk.lot_secret(tmp_path, "G1", 4)
    assert secret is not None and len(secret) == 64 and lot_commitment(secret) == commit
    meeting_desk.forget_lot(tmp_path, "G1", 4)
    assert meeting_desk.lot_secret(tmp_path, "G1", 4) is None
    assert meeting_desk.lot_secret(tmp_path, "G2", 4) is not None


def test_a_damaged_lots_file_reads_as_empty_and_is_rewritten_whole(tmp_path: Path) -> None:
    (tmp_path / meeting_desk.LOTS_FILE).write_text("{not json", encoding="utf-8")
    assert meeting_desk.lot_secret(tmp_path, "G1", 1) is None
    commit = meeting_desk.lot_commit(tmp_path, "G1", 1)
    meeting_desk.forget_all()
    secret = meeting_desk.lot_secret(tmp_path, "G1", 1)
    assert secret is not None and lot_commitment(secret) == commit
