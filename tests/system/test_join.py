"""Invite and join between two real `chitnode serve` processes on loopback (issue 10, point 8).

The admin's node serves; `chitnode invite` reaches it through its control endpoint;
`chitnode join` runs in a fresh folder as its own process; then the new device serves
too, dialling the admin's node, and both hold the same entries and state digest. A
reused code and an expired one are refused with their codes and change nothing.
Every process is stopped by its pid; every wait is a bounded number of polls.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from chitnode.log.channel import cert_fingerprint
from sync.invite import code
from sync.invite.book import InviteBook
from sync.invite.code import Invite
from tests.support.cli_proc import chitnode, found_branch, ok, refused
from tests.support.serve_proc import ServeProcess

pytestmark = pytest.mark.system

SERVE_ARGS = ("--peer-port", "0", "--listen", "127.0.0.1", "--no-discovery")
CONVERGE_POLLS = 600  # x POLL_S: a minute for a sync on 2 shared cores
POLL_S = 0.1


def status(folder: Path) -> dict[str, Any]:
    doc = json.loads(ok(chitnode("--data", folder, "status", "--json")))
    assert isinstance(doc, dict)
    return doc


def same_log(one: Path, two: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both nodes' status once they hold the same entries and digest (bounded polls)."""
    a, b = status(one), status(two)
    for _ in range(CONVERGE_POLLS):
        if (a["entries"], a["state_digest"]) == (b["entries"], b["state_digest"]):
            break
        time.sleep(POLL_S)
        a, b = status(one), status(two)
    return a, b


def register(folder: Path, member_id: str) -> None:
    body = json.dumps({"member_id": member_id, "name": f"Member {member_id}"})
    ok(chitnode("--data", folder, "submit", "member.registered", body))


def invite(admin: Path, role: str, name: str) -> dict[str, Any]:
    run = chitnode("--data", admin, "invite", "--role", role, "--name", name, "--json")
    doc = json.loads(ok(run))
    assert isinstance(doc, dict)
    return doc


def test_invite_join_serve_and_refusals(tmp_path: Path) -> None:
    admin, joiner = tmp_path / "admin", tmp_path / "counter"
    found_branch(admin, "Join Branch")
    with ServeProcess(admin, *SERVE_ARGS) as serving:
        port = serving.wait_ready()["peer_port"]
        ok(
            chitnode(
                "--data", admin, "submit", "member.registered", '{"member_id":"M1","name":"A"}'
            )
        )
        made = invite(admin, "employee", "Counter 2")
        assert made["addresses"] == [f"127.0.0.1:{port}"]
        assert Path(made["png"]).read_bytes().startswith(b"\x89PNG")

        joined = json.loads(ok(chitnode("--data", joiner, "join", made["code"], "--json")))
        assert joined["role"] == "employee" and joined["name"] == "Counter 2"
        first = status(admin)
        assert (joined["entries"], joined["state_digest"]) == (
            first["entries"],
            first["state_digest"],
        )

        # the same code again, on another fresh device: refused, nothing made, nothing written
        refused(chitnode("--data", tmp_path / "second", "join", made["code"]), "invite_used")
        assert not (tmp_path / "second").exists()
        assert status(admin)["entries"] == first["entries"]

        # an expired code: the admin's node decides by its own clock and its own record
        late = expired_code(admin, port)
        refused(chitnode("--data", tmp_path / "late", "join", late), "invite_expired")
        assert not (tmp_path / "late").exists()

        # the new device serves, dialling the admin's node: a later entry reaches it
        with ServeProcess(joiner, *SERVE_ARGS, "--peer", f"127.0.0.1:{port}") as follower:
            follower.wait_ready()
            ok(
                chitnode(
                    "--data", admin, "submit", "member.registered", '{"member_id":"M2","name":"B"}'
                )
            )
            a, b = same_log(admin, joiner)
            assert (a["entries"], a["state_digest"]) == (b["entries"], b["state_digest"])
            assert b["role"] == "employee" and a["entries"] == first["entries"] + 1
            assert follower.stop() == 0
        assert serving.stop() == 0


def expired_code(admin: Path, port: int) -> str:
    """A code the admin's node recorded as expiring already, though the code itself says
    it is good for an hour: only the inviting node's record counts."""
    secret = bytes(range(16))
    now_ms = int(time.time() * 1000)
    InviteBook(admin).add(code.secret_hash(secret), "member", "Late", now_ms - 10, now_ms - 5)
    pem = (admin / "channel" / "cert.pem").read_text()
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
    root = status(admin)
    return code.encode(
        Invite(
            branch=root["branch"],
            root=root["root"],
            fingerprint=cert_fingerprint(der),
            secret=secret,
            expires_ms=now_ms + 3_600_000,
            addresses=(("127.0.0.1", port),),
        )
    )
