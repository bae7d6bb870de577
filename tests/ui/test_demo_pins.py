"""`python -m ui.demo`: run.sh gives every demo member one app PIN and names a few."""

from __future__ import annotations

from pathlib import Path

import pytest

from chitnode.node.node import Node
from sync.invite.pins import PinBook
from tests.support.clock import FakeClock
from ui.demo import DEMO_PIN, main, set_demo_pins


def test_every_member_can_log_in_with_the_demo_pin(tmp_path: Path, clock: FakeClock) -> None:
    folder = tmp_path / "node"
    node = Node.init(folder, "Demo", clock=clock)
    for mid, name in (("M1", "Asha"), ("M2", "Ravi")):
        node.submit("member.registered", {"member_id": mid, "name": name})
    node.close()
    set_demo_pins(folder)
    book = PinBook(folder)
    assert book.check("M1", DEMO_PIN) and book.check("M2", DEMO_PIN)
    assert not book.check("M1", "000000")


def test_a_folder_without_a_branch_is_refused_with_a_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "empty")]) == 1
    assert capsys.readouterr().err.startswith("error [")
    assert main([]) == 2
