"""`chitnode join CODE`: a new device joins a branch from an invite, then exits.

1. The data folder must be empty (or absent): a device joins once, into nothing.
2. An expired code is refused here, before anything is made (`invite_expired`).
3. The device makes its keys: a store pinned to the branch's id and root
   (`Node.join_empty`), its device key, its channel credential (`sync/channel`).
4. It dials the inviter's addresses in turn, TLS pinned to the certificate
   fingerprint in the code: a server showing another certificate gets nothing (the
   fingerprint is compared after the handshake, before the request is sent).
5. It sends the secret, its key and its certificate with its own signature over the
   binding; the inviter enrols it (`device.enrolled` + `device.channel_bound`, one
   transaction) or refuses with a code. On a refusal everything made in step 3 is
   removed: the folder is as empty as before.
6. Enrolled, it syncs the whole branch over `/v1/sync` with its new certificate
   (the normal reconciliation: every entry passes the import checks), remembers the
   inviter's address in the peer book, and fetches what its role may hold of the
   secrets that never enter the log (the staff key, members' PIN verifiers).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from chitnode.clock import Clock, SystemClock
from chitnode.domain.kinds import ROLES
from chitnode.errors import ChitError
from chitnode.log.entry import HEX64_RE
from chitnode.node.node import Node
from sync import limits
from sync.channel.credentials import ChannelCredential, load_or_create
from sync.discovery.book import PeerBook
from sync.invite import transfer
from sync.invite.book import InviteExpired
from sync.invite.code import Invite
from sync.invite.wire import JOIN_PATH, PROTOCOL, read_answer
from sync.node_thread import NodeThread
from sync.peer.client import sync_with
from sync.peer.context import PeerContext
from sync.peer.errors import PeerUnreachable


class NotEmpty(ChitError):
    code = "join_not_empty"


class WrongInviter(ChitError):
    """The server at the code's address showed another certificate than the code names."""

    code = "wrong_inviter"


class JoinIncomplete(ChitError):
    """Enrolled, but the branch did not arrive whole: `chitnode serve` finishes it."""

    code = "join_incomplete"


@dataclass(slots=True)
class Joined:
    device_key: str
    role: str
    name: str
    inviter: str
    address: tuple[str, int]
    entries: int
    state_digest: str
    secrets: list[str] = field(default_factory=list)  # what arrived, for the user


def check_empty(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise NotEmpty(
            f"{folder} is not an empty folder: a device joins a branch into an empty data"
            " folder (choose another --data, or this device has joined already)"
        )


async def join(
    folder: Path,
    invite: Invite,
    *,
    clock: Clock | None = None,
    say: Callable[[str], None] = lambda _line: None,
) -> Joined:
    """Join the branch of `invite` into the empty `folder`; see the module's steps."""
    clock = clock or SystemClock()
    check_empty(folder)
    if clock.now_ms() >= invite.expires_ms:
        raise InviteExpired("this invite code has expired: ask the admin for a new one")
    existed = folder.exists()
    node = Node.join_empty(folder, invite.branch, invite.root, clock=clock)
    try:
        cred = load_or_create(folder, node.public)
        binding = cred.binding_for_admin(node.key, invite.branch)
        answer, address = await _ask_to_join(invite, node.public, binding)
        _check_answer(answer, node.public)
    except BaseException:
        _undo(node, folder, existed)
        raise
    say(f"enrolled as {answer['role']} {answer['name']!r} by {answer['inviter'][:16]}…")
    nt = NodeThread(node)  # from here on the node is the thread's: it closes it
    try:
        return await _receive(folder, nt, cred, invite, answer, address, say)
    finally:
        await nt.aclose()


def _check_answer(answer: dict[str, Any], key: str) -> None:
    """The inviter's answer names this device, a role and the inviter's key."""
    ok = answer.get("key") == key and answer.get("role") in ROLES
    ok = ok and isinstance(answer.get("name"), str)
    inviter = answer.get("inviter")
    if not (ok and isinstance(inviter, str) and HEX64_RE.match(inviter) is not None):
        raise PeerUnreachable("the inviting node's answer does not name this device's enrolment")


def _undo(node: Node, folder: Path, existed: bool) -> None:
    """Remove what this join made: the folder was empty (or absent) before."""
    node.close()
    if not existed:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


async def _ask_to_join(
    invite: Invite, key: str, binding: dict[str, Any]
) -> tuple[dict[str, Any], tuple[str, int]]:
    """POST /v1/join to the inviter's addresses in turn; its answer and the address used."""
    body = {"v": PROTOCOL, "secret": invite.secret.hex(), "key": key, **_cert_fields(binding)}
    failures: list[str] = []
    for host, port in invite.addresses:
        try:
            return await _post_join(invite.fingerprint, host, port, body), (host, port)
        except PeerUnreachable as exc:
            failures.append(exc.message)
    raise PeerUnreachable(
        "could not reach the inviting node at any address of the code ("
        + "; ".join(failures)
        + "): is `chitnode serve` running there, and is this device on the same network?"
    )


def _cert_fields(binding: dict[str, Any]) -> dict[str, str]:
    return {"cert_b64": str(binding["cert_b64"]), "sig_b64": str(binding["sig_b64"])}


async def _post_join(
    fingerprint: str, host: str, port: int, body: dict[str, Any]
) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(
        total=limits.JOIN_REQUEST_TIMEOUT_S, sock_connect=limits.JOIN_CONNECT_TIMEOUT_S
    )
    pinned = aiohttp.Fingerprint(bytes.fromhex(fingerprint))
    url = URL.build(scheme="https", host=host, port=port, path=JOIN_PATH)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.post(url, json=body, ssl=pinned) as response,
        ):
            raw = await response.content.read(limits.SECRETS_ANSWER_BYTES_MAX + 1)
            status = response.status
    except aiohttp.ServerFingerprintMismatch as exc:
        raise WrongInviter(
            f"{host}:{port} is not the node that made this invite (its certificate differs"
            " from the code's): nothing was sent to it"
        ) from exc
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise PeerUnreachable(f"{host}:{port}: {type(exc).__name__}: {exc}") from exc
    return read_answer(raw, status, f"{host}:{port}")


async def _receive(
    folder: Path,
    nt: NodeThread,
    cred: ChannelCredential,
    invite: Invite,
    answer: dict[str, Any],
    address: tuple[str, int],
    say: Callable[[str], None],
) -> Joined:
    """Sync the branch from the inviter, note it in the peer book, fetch the secrets."""
    inviter, (host, port) = str(answer["inviter"]), address
    book = PeerBook(folder)
    book.note_seen(inviter, host, port, via="invite")
    ctx = await PeerContext.open(nt, cred, book)
    report = await sync_with(ctx, host, port, server_fingerprint=invite.fingerprint)
    if report.error is not None or not report.finished:
        raise JoinIncomplete(
            f"enrolled, but the branch did not arrive whole ({report.error or 'unfinished'}:"
            f" {report.message}); run `chitnode serve` here to finish it"
        )
    say(f"received {report.stored} entries from {host}:{port}")
    await ctx.refresh_trust()  # the branch's certificates, the inviter's among them
    got = await transfer.pull_all(
        ctx, folder, host, port, str(answer["role"]), say, invite.fingerprint
    )
    status = await nt.run(lambda n: n.status())
    if status["role"] != answer["role"]:
        raise JoinIncomplete(
            f"the branch arrived but this device's enrolment did not apply (role "
            f"{status['role']}); run `chitnode serve` here, then `chitnode status`"
        )
    return Joined(
        device_key=str(status["device_key"]),
        role=str(answer["role"]),
        name=str(answer["name"]),
        inviter=inviter,
        address=address,
        entries=int(status["entries"]),
        state_digest=str(status["state_digest"]),
        secrets=got,
    )


__all__ = ["JoinIncomplete", "Joined", "NotEmpty", "WrongInviter", "check_empty", "join"]
