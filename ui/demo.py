"""Phones for the demo branch: every demo member gets the same app PIN, so anyone trying
chitnode can log in from a phone (`bash run.sh` runs this once, after `chitnode demo`).

    python -m ui.demo DATA_FOLDER [PIN]

A real branch never does this: each member chooses a PIN at KYC (`chitnode member-pin`,
or the app's member screen). Prints a few members to log in as, from running groups.
"""

from __future__ import annotations

import sys
from pathlib import Path

from chitnode.domain import chit_kinds_base as base
from chitnode.errors import ChitError
from chitnode.node.node import Node
from sync.invite.pins import PinBook

DEMO_PIN = "246810"
SHOWN_MEMBERS = 3  # how many members run.sh names as ready to log in


def set_demo_pins(folder: Path, pin: str = DEMO_PIN) -> list[tuple[str, str, str]]:
    """Give every member `pin`; (member id, name, group) of a few in running groups."""
    node = Node.open(folder)
    try:
        state = node.engine.state
        members = {mid: str(row.get("name", mid)) for mid, row in state.rows(base.MEMBERS).items()}
        groups = {
            str(t["member_id"]): str(t["group_id"])
            for t in state.rows(base.TICKETS).values()
            if (state.get(base.GROUPS, str(t["group_id"])) or {}).get("status") == "running"
        }
        now_ms = node.clock.now_ms()
    finally:
        node.close()
    book = PinBook(folder)
    for member_id in sorted(members):
        book.set_pin(member_id, pin, now_ms)
    shown = sorted((mid, members[mid], gid) for mid, gid in groups.items() if mid in members)
    return shown[:SHOWN_MEMBERS]


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print("usage: python -m ui.demo DATA_FOLDER [PIN]", file=sys.stderr)
        return 2
    pin = argv[1] if len(argv) == 2 else DEMO_PIN
    try:
        shown = set_demo_pins(Path(argv[0]), pin)
    except ChitError as exc:
        print(f"error [{exc.code}]: {exc}", file=sys.stderr)
        return 1
    print(f"Every demo member's app PIN is {pin}. Log in on a phone as, for example:")
    for member_id, name, group in shown:
        print(f"  {member_id:<10} {name:<24} group {group}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
