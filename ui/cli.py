"""The app's commands (entry points, `chitnode.commands`):

- `chitnode staff-pin set|clear [--pin-stdin]`: the staff PIN that unlocks this device's
  staff screens in the app, besides its passphrase (ui/auth.py). Set on a staff device
  (admin, foreman, employee) by whoever may open its node.
- `chitnode member-pin MEMBER_ID [--pin-stdin]`: a member's app PIN, at KYC, on a node
  that serves members; the app's KYC screen calls the same `ui.auth.set_member_pin`.

The PIN is asked twice on the terminal (never echoed), or read from one line of stdin
with `--pin-stdin` (scripts, tests). While `chitnode serve` runs for the folder, commands
go to it through its control socket (sync/serve/control.py), which carries the command
line but not the terminal: so `forward` below, a `chitnode.forward` plugin asked before
serve's, reads the PIN here and hands the running serve only its argon2id verifier
(`--verifier`, on the owner-only socket); with no serve it runs the command here.

Every `chitnode` command loads this module (the plugins are asked first), so the node,
the app and argon2 load only inside the handlers.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from chitnode.errors import UsageError
from chitnode.store.paths import data_folder

Subparsers = Any  # argparse's _SubParsersAction, private in typeshed
PIN_COMMANDS = frozenset({"staff-pin", "member-pin"})
# One line of stdin is read at most this long: far more than any PIN, and a runaway
# pipe is not read whole.
PIN_LINE_CHARS = 64


def _pin_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pin-stdin", action="store_true", help="read the PIN from one line of stdin")
    # What a client hands a running serve instead of the PIN (see `forward`).
    p.add_argument("--verifier", help=argparse.SUPPRESS)


def add_staff_pin(sub: Subparsers) -> None:
    p = sub.add_parser(
        "staff-pin", help="set or clear this device's staff PIN (unlocks the app's staff screens)"
    )
    p.add_argument("action", choices=("set", "clear"))
    _pin_options(p)
    p.set_defaults(handler=_staff_pin)


def add_member_pin(sub: Subparsers) -> None:
    p = sub.add_parser("member-pin", help="set a member's app PIN (at KYC; on a staff node)")
    p.add_argument("member_id", metavar="MEMBER_ID")
    _pin_options(p)
    p.set_defaults(handler=_member_pin)


def read_pin(args: argparse.Namespace) -> str:
    """The new PIN: one stdin line (`--pin-stdin`), else asked twice on the terminal."""
    if args.pin_stdin:
        line = sys.stdin.readline(PIN_LINE_CHARS + 1)
        if len(line) > PIN_LINE_CHARS:
            raise UsageError(f"the PIN line is longer than {PIN_LINE_CHARS} characters")
        return line.rstrip("\r\n")
    if sys.stdin is None or sys.stdin.closed or not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the PIN on: pipe it with --pin-stdin")
    try:
        first = getpass.getpass("New PIN: ")
        again = getpass.getpass("The same PIN again: ")
    except (EOFError, OSError) as exc:  # the terminal went away while asking
        raise UsageError(f"could not read the PIN: {exc or 'end of input'}") from exc
    if first != again:
        raise UsageError("the two PINs differ: nothing was changed")
    return first


def _verifier(args: argparse.Namespace) -> str:
    from sync.invite.pins import make_verifier
    from ui.auth import staff_pin_verifier

    if args.verifier:
        return str(args.verifier)
    pin = read_pin(args)
    return staff_pin_verifier(pin) if args.command == "staff-pin" else make_verifier(pin)


def forward(argv: list[str], args: argparse.Namespace) -> int | None:
    """The `chitnode.forward` plugin (named to be asked before serve's): a PIN command's
    PIN is read here, where the person typed the command; a running serve gets only its
    verifier. None for every other command (and for `staff-pin clear`: no secret)."""
    if args.command not in PIN_COMMANDS or args.verifier or getattr(args, "action", "") == "clear":
        return None
    from sync.serve import control

    args.verifier = _verifier(args)
    status = control.forward([*argv, "--verifier", args.verifier], args)
    return status if status is not None else int(args.handler(args))


def _staff_pin(args: argparse.Namespace) -> int:
    from chitnode.domain.kinds import STAFF
    from chitnode.node.node import Node
    from ui.auth import NotStaffDevice, StaffPins

    folder = data_folder(args.data)
    with Node.open(folder) as node:
        role = node.role()
        if role not in STAFF:
            raise NotStaffDevice(
                f"this device is a {role or 'device not enrolled'}: only a staff device"
                " (admin, foreman, employee) has staff screens to unlock"
            )
        pins = StaffPins(folder)
        if args.action == "clear":
            had = pins.clear()
            print(
                "Staff PIN cleared: staff screens unlock with the passphrase only."
                if had
                else "No staff PIN was set: nothing to clear."
            )
            return 0
        pins.set_verifier(_verifier(args), node.clock.now_ms())
    print("Staff PIN set: the app's staff screens on this machine unlock with it.")
    return 0


def _member_pin(args: argparse.Namespace) -> int:
    from chitnode.node.node import Node
    from ui.auth import member_name_in, set_member_pin
    from ui.backend import reading_of

    folder = data_folder(args.data)
    with Node.open(folder) as node:
        reading = reading_of(node, folder)
        verifier = _verifier(args)
        row = set_member_pin(reading, args.member_id, verifier)
        name = member_name_in(reading.state)(row.member_id)
    print(f"PIN set for member {row.member_id} ({name}): they log in to the app with it.")
    return 0


__all__ = ["PIN_COMMANDS", "add_member_pin", "add_staff_pin", "forward", "read_pin"]
