"""Invites and enrolment on the inviting node: the steps that touch the log.

Every function here runs on the node's writer thread (`NodeThread.run`), takes the
time as an argument and does no network I/O: the routes (`sync/invite/server.py`)
and the CLI call them.
"""

from __future__ import annotations

import secrets as random_bytes
from dataclasses import dataclass

from chitnode.domain.kernel_kinds import CHANNEL_BOUND, CHANNEL_CERTS
from chitnode.errors import ChitError, RuleViolation
from chitnode.node.node import Command, Node
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


def enrol(node: Node, pending: Pending, key: str, binding: dict[str, str]) -> Enrolment:
    """Enrol `key` with the invite's role and name, and bind its channel certificate.

    Two entries in one transaction (`submit_many`: both or neither): `device.enrolled`
    (wal-v1 §5 fixes its body) and the admin's `device.channel_bound` for the joiner,
    `binding` = {key, cert_b64, sig_b64}, the joiner's own signature over the binding
    (`chitnode.log.channel`; the fold refuses a bad one: `bad_channel_binding`). An empty
    `binding` enrols only. What is already in the log is not written again: the joiner
    retried after its answer was lost.
    """
    require_admin(node)
    state = node.engine.state
    commands: list[Command] = []
    device = state.get("devices", key)
    if device is None or device["status"] != "active" or device["role"] != pending.role:
        body = {"key": key, "role": pending.role, "name": pending.name}
        commands.append(Command("device.enrolled", body))
    if binding:
        bound = state.get(CHANNEL_CERTS, key)
        if bound is None or bound["cert_b64"] != binding.get("cert_b64"):
            commands.append(Command(CHANNEL_BOUND, dict(binding)))
    if commands:
        for receipt in node.submit_many(commands):
            check_applied(node, receipt)
    device = node.engine.state.get("devices", key)
    assert device is not None, "enrolled above, or before"
    seq = int(device["enrolled_seq"])
    entry = node.store.entry_at(str(device["enrolled_by"]), seq)
    return Enrolment(key, pending.role, str(device["name"]), seq, entry.hash if entry else "")


def admit(
    node: Node,
    book: InviteBook,
    secret: bytes,
    key: str,
    binding: dict[str, str],
    now_ms: int,
) -> Enrolment:
    """The whole join on the inviting node: claim the secret, enrol, or change nothing.

    The claim and the enrolment are two stores (invites.db, the log): a failed
    enrolment releases the claim, so a refused joiner leaves the invite usable.
    """
    require_admin(node)
    pending = book.claim(secret_hash(secret), key, now_ms)
    try:
        return enrol(node, pending, key, binding)
    except BaseException:
        book.release(pending.secret_hash, key)
        raise


__all__ = ["Enrolment", "NotAdmin", "admit", "enrol", "make_invite", "require_admin"]
