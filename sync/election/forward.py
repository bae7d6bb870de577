"""Coordinated commands forwarded to the scope's holder, as frames on the election socket.

A coordinated command (a bid, a payout, a sanction) submitted on a device that does not
hold its scope runs on the holder: the device sends `forward` with the commands, the
holder submits them through its own `Node.submit` and answers `forwarded` with the
receipts, or with the refusal's code and words. Free commands are never forwarded
(`not_forwardable`): they are written where they are made and travel by sync.

    {"v": 1, "type": "forward", "id": 7, "commands": [{"kind", "body", "cmd_id"}...]}
    {"v": 1, "type": "forwarded", "id": 7, "receipts": [{...Receipt}...]}
    {"v": 1, "type": "forwarded", "id": 7, "error": {"code": "...", "message": "..."}}

Everything here is checked before it is used: a frame that is neither this nor an
election message closes the socket with `bad_message` (sync/election/transport.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from chitnode.domain.kinds import load_all
from chitnode.errors import ChitError
from chitnode.node.node import Command, Receipt
from sync import limits
from sync.reconcile.errors import BadMessage, MessageTooBig

FORWARD_TYPES = frozenset({"forward", "forwarded"})
_RECEIPT_FIELDS = {"cmd_id", "hash", "seq", "status", "code", "already_done"}


class NotForwardable(ChitError):
    """Only coordinated commands of one scope go to the holder; the rest are written here."""

    code = "not_forwardable"


class NoLeaseHolder(ChitError):
    """No device holding the scope could be reached, and none could be elected in time."""

    code = "no_lease_holder"


class ForwardLost(NoLeaseHolder):
    """The socket a forward went out on closed before its answer: send it again (its
    command id makes a second run answer "already done")."""


@dataclass(frozen=True, slots=True)
class Forward:
    id: int
    commands: tuple[Command, ...]


@dataclass(frozen=True, slots=True)
class Forwarded:
    id: int
    receipts: tuple[Receipt, ...] | None
    error: tuple[str, str] | None  # (code, words)


def scope_of(commands: list[Command]) -> str:
    """The one scope all `commands` are coordinated in; NotForwardable if there is none."""
    specs = load_all()
    scopes = set()
    for command in commands:
        spec = specs.get(command.kind)
        if spec is None or not spec.coordinated:
            raise NotForwardable(f"{command.kind} is not coordinated: it is written here")
        scope = command.body.get("scope")
        if not isinstance(scope, str):
            raise NotForwardable("a coordinated command names its scope")
        scopes.add(scope)
    if len(scopes) != 1:
        raise NotForwardable("commands forwarded together share one scope")
    return scopes.pop()


def is_forward_frame(frame: Any) -> bool:
    return isinstance(frame, dict) and frame.get("type") in FORWARD_TYPES


def encode_forward(message: Forward | Forwarded) -> str:
    doc: dict[str, Any] = {"v": 1, "id": message.id}
    if isinstance(message, Forward):
        doc["type"] = "forward"
        doc["commands"] = [
            {"kind": c.kind, "body": c.body, "cmd_id": c.cmd_id} for c in message.commands
        ]
    else:
        doc["type"] = "forwarded"
        if message.receipts is not None:
            doc["receipts"] = [asdict(r) for r in message.receipts]
        else:
            assert message.error is not None
            doc["error"] = {"code": message.error[0], "message": message.error[1]}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    if len(text) > limits.ELECTION_FRAME_BYTES_MAX:
        raise MessageTooBig(f"a forward frame is at most {limits.ELECTION_FRAME_BYTES_MAX} bytes")
    return text


def decode_forward(frame: dict[str, Any]) -> Forward | Forwarded:
    """A parsed frame of type forward or forwarded, checked; BadMessage if it is not one."""
    fid = frame.get("id")
    _need(frame.get("v") == 1, "forward frames of version 1 only")
    _need(isinstance(fid, int) and not isinstance(fid, bool) and fid >= 0, "id")
    assert isinstance(fid, int)
    if frame.get("type") == "forward":
        _need(set(frame) == {"v", "type", "id", "commands"}, "forward: v, type, id, commands")
        items = frame["commands"]
        _need(isinstance(items, list) and 0 < len(items) <= limits.FORWARD_COMMANDS_MAX, "commands")
        return Forward(fid, tuple(_command(item) for item in items))
    fields = set(frame) - {"v", "type", "id"}
    _need(fields in ({"receipts"}, {"error"}), "forwarded: receipts or error")
    if "error" in frame:
        error = frame["error"]
        ok = isinstance(error, dict) and set(error) == {"code", "message"}
        _need(ok and all(isinstance(v, str) for v in error.values()), "error: code, message")
        code, words = str(error["code"]), str(error["message"])[: limits.FORWARD_ERROR_CHARS_MAX]
        _need(0 < len(code) <= 64, "error code")
        return Forwarded(fid, None, (code, words))
    receipts = frame["receipts"]
    ok = isinstance(receipts, list) and 0 < len(receipts) <= limits.FORWARD_COMMANDS_MAX
    _need(ok, "receipts")
    return Forwarded(fid, tuple(_receipt(r) for r in receipts), None)


def _command(item: Any) -> Command:
    ok = isinstance(item, dict) and set(item) == {"kind", "body", "cmd_id"}
    _need(ok, "a command is {kind, body, cmd_id}")
    kind, body, cmd_id = item["kind"], item["body"], item["cmd_id"]
    _need(isinstance(kind, str) and isinstance(body, dict), "kind and body")
    _need(cmd_id is None or (isinstance(cmd_id, str) and 0 < len(cmd_id) <= 64), "cmd_id")
    return Command(kind, body, cmd_id)


def _receipt(item: Any) -> Receipt:
    _need(isinstance(item, dict) and set(item) == _RECEIPT_FIELDS, "a receipt's fields")
    ok = (
        isinstance(item["cmd_id"], str)
        and isinstance(item["hash"], str)
        and isinstance(item["seq"], int)
        and isinstance(item["status"], str)
        and isinstance(item["code"], str)
        and isinstance(item["already_done"], bool)
    )
    _need(ok, "a receipt's fields")
    return Receipt(**item)


def _need(cond: bool, message: str) -> None:
    if not cond:
        raise BadMessage(f"forward frame: {message}")
