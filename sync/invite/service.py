"""Invites and enrolment on the inviting node: the steps that touch the log.

Every function here runs on the node's writer thread (`NodeThread.run`), takes the
time as an argument and does no network I/O: the routes (`sync/invite/server.py`)
and the CLI call them.
"""

from __future__ import annotations

import secrets as random_bytes
from dataclasses import dataclass

from chitnode.errors import ChitError, RuleViolation
from chitnode.node.node import Node
from chitnode.services.receipts import check_applied
from sync import limits
from sync.invite.book import InviteBook, Pending, check_role_and_name
from sync.invite.code import SECRET_BYTES, Invite, secret_hash


class NotAdmin(ChitError):
    code = "not_admin"


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What a joiner is told once enrolled."""

    key: str
    role: str
    name: str
    seq: int  # the enrolling entry in the inviter's feed
    hash: str


def require_admin(node: Node) -> None:
    role = node.role()
    if role != "admin":
        raise NotAdmin(
            f"only an admin's device invites devices; this one is {role or 'not enrolled'}"
        )


def make_invite(
    node: Node,
    book: InviteBook,
    *,
    role: str,
    name: str,
    addresses: list[tuple[str, int]],
    fingerprint: str,
    now_ms: int,
    ttl_ms: int = limits.INVITE_TTL_DEFAULT_MS,
) -> tuple[Invite, Pending]:
    """A new one-time invite for a device of `role` called `name`, kept in `book` by hash."""
    require_admin(node)
    check_role_and_name(role, name)
    if not 0 < ttl_ms <= limits.INVITE_TTL_MAX_MS:
        raise RuleViolation(
            f"an invite lives 1 ms .. {limits.INVITE_TTL_MAX_MS // 3_600_000} h",
            code="bad_invite_ttl",
        )
    root = node.root
    assert root is not None, "an admin's node holds its branch's genesis"
    secret = random_bytes.token_bytes(SECRET_BYTES)
    invite = Invite(
        branch=node.branch,
        root=root,
        fingerprint=fingerprint,
        secret=secret,
        expires_ms=now_ms + ttl_ms,
        addresses=tuple(addresses[: limits.INVITE_ADDRESSES_MAX]),
    )
    digest = secret_hash(secret)
    book.add(digest, role, name, now_ms, invite.expires_ms)
    pending = Pending(digest, role, name, now_ms, invite.expires_ms, None, None)
    return invite, pending


def enrol(node: Node, pending: Pending, key: str, cert_fields: dict[str, str]) -> Enrolment:
    """Enrol `key` with the invite's role and name, and its channel certificate.

    `cert_fields` are the optional `device.enrolled` fields that bind the joiner's channel
    certificate in the same entry (`channel_cert_b64`, `channel_sig_b64`; the fold checks
    the joiner's signature). A key already enrolled active with this role is not written
    again: the joiner retried after a lost answer.
    """
    require_admin(node)
    device = node.engine.state.get("devices", key)
    if device is not None and device["status"] == "active" and device["role"] == pending.role:
        seq = int(device.get("enrolled_seq", 0))
        author = str(device["enrolled_by"])
        entry = node.store.entry_at(author, seq)
        return Enrolment(key, pending.role, str(device["name"]), seq, entry.hash if entry else "")
    body = {"key": key, "role": pending.role, "name": pending.name, **cert_fields}
    receipt = node.submit("device.enrolled", body)
    check_applied(node, receipt)
    return Enrolment(key, pending.role, pending.name, receipt.seq, receipt.hash)


__all__ = ["Enrolment", "NotAdmin", "enrol", "make_invite", "require_admin"]
