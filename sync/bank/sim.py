"""A small bank to test against: `python -m sync.bank.sim --port P` or `chitnode bank-sim`.

It speaks the wire of `sync/bank/client.py` on loopback only, keeps one answer
per Idempotency-Key (asking again returns the same answer, even after its mode
changed), and can be told how to behave:

    POST /control {"mode": "up" | "down" | "slow" | "reject" | "drop",
                   "delay_ms": int, "reject_members": [member ids]}
    GET  /control  -> mode, delay_ms, calls, answers per direction
    GET  /ledger   -> {key: {"direction", "member_id", "amount_paise", "status",
                             "bank_ref", "reason"}} for every processed key

- `up`: settles every new request (`bank_ref` SIM00000001, ...), except those
  of `reject_members` (an account the bank refuses: "account_closed").
- `down`: answers 503 and processes nothing.
- `drop`: closes the connection without answering and processes nothing.
- `slow`: processes the request, then answers after `delay_ms`: the client may
  time out on a request the bank did take (its retry gets the same answer).
- `reject`: refuses every new request ("rejected_by_bank").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from chitnode.domain import bank_kinds as bank
from chitnode.domain.limits import BANK_REQUEST_AMOUNT_PAISE_MAX
from chitnode.errors import UsageError
from sync import limits
from sync.bank.options import SIM_HOSTS, SIM_MODES, add_sim_arguments

MODES = SIM_MODES
LOOPBACK_HOSTS = SIM_HOSTS
DIRECTIONS = {"/deposits": bank.DEPOSIT, "/withdrawals": bank.WITHDRAWAL}


@dataclass(slots=True)
class Answer:
    direction: str
    member_id: str
    amount_paise: int
    status: str  # "settled" | "rejected"
    bank_ref: str
    reason: str

    def wire(self) -> dict[str, Any]:
        if self.status == "settled":
            return {"status": "settled", "bank_ref": self.bank_ref}
        return {"status": "rejected", "reason": self.reason, "bank_ref": self.bank_ref}


@dataclass(slots=True)
class BankSim:
    """The simulated bank's memory and mode (one process, one event loop: no locks)."""

    mode: str = "up"
    delay_ms: int = 0
    reject_members: frozenset[str] = frozenset()
    answers: dict[str, Answer] = field(default_factory=dict)
    calls: int = 0
    refs: int = 0

    def control(self, body: object) -> str:
        """Apply a /control body; return "" or what is wrong with it."""
        if not isinstance(body, dict) or not set(body) <= {"mode", "delay_ms", "reject_members"}:
            return "control body: {mode, delay_ms, reject_members}"
        mode = body.get("mode", self.mode)
        delay_ms = body.get("delay_ms", self.delay_ms)
        members = body.get("reject_members", sorted(self.reject_members))
        if mode not in MODES:
            return f"mode must be one of {MODES}"
        if type(delay_ms) is not int or not 0 <= delay_ms <= limits.BANK_SIM_DELAY_MAX_MS:
            return f"delay_ms must be 0..{limits.BANK_SIM_DELAY_MAX_MS}"
        ok = isinstance(members, list) and len(members) <= limits.BANK_SIM_REJECT_MEMBERS_MAX
        if not ok or not all(isinstance(m, str) for m in members):
            return "reject_members must be a list of member ids"
        self.mode, self.delay_ms, self.reject_members = mode, delay_ms, frozenset(members)
        return ""

    def process(self, direction: str, key: str, body: object) -> tuple[int, dict[str, Any]]:
        """The answer to one call (remembered per key), as (HTTP status, JSON body)."""
        error = _request_error(key, body)
        if error:
            return 400, {"status": "bad_request", "error": error}
        assert isinstance(body, dict)
        known = self.answers.get(key)
        if known is not None:
            same = (known.direction, known.member_id, known.amount_paise) == (
                direction,
                body["member_id"],
                body["amount_paise"],
            )
            return (200, known.wire()) if same else (409, {"status": "key_reused"})
        if len(self.answers) >= limits.BANK_SIM_KEYS_MAX:
            return 503, {"status": "unavailable", "error": "too many keys"}
        refused = self.mode == "reject" or body["member_id"] in self.reject_members
        reason = "rejected_by_bank" if self.mode == "reject" else "account_closed"
        self.refs += 1
        answer = Answer(
            direction=direction,
            member_id=str(body["member_id"]),
            amount_paise=int(body["amount_paise"]),
            status="rejected" if refused else "settled",
            bank_ref=f"SIM{self.refs:08d}",
            reason=reason if refused else "",
        )
        self.answers[key] = answer
        return 200, answer.wire()

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for answer in self.answers.values():
            name = f"{answer.direction}_{answer.status}"
            counts[name] = counts.get(name, 0) + 1
        return {
            "mode": self.mode,
            "delay_ms": self.delay_ms,
            "reject_members": sorted(self.reject_members),
            "calls": self.calls,
            "keys": len(self.answers),
            "answers": counts,
        }

    def ledger(self) -> dict[str, dict[str, Any]]:
        return {
            key: {
                "direction": a.direction,
                "member_id": a.member_id,
                "amount_paise": a.amount_paise,
                "status": a.status,
                "bank_ref": a.bank_ref,
                "reason": a.reason,
            }
            for key, a in self.answers.items()
        }


SIM_STATE = web.AppKey("bank_sim", BankSim)


def _request_error(key: str, body: object) -> str:
    if not bank.REQUEST_ID_RE.match(key):
        return "Idempotency-Key must be a request id"
    if not isinstance(body, dict) or set(body) != {"request_id", "member_id", "amount_paise"}:
        return "body: {request_id, member_id, amount_paise}"
    if body["request_id"] != key:
        return "request_id must equal the Idempotency-Key"
    if not isinstance(body["member_id"], str) or not bank.REQUEST_ID_RE.match(body["member_id"]):
        return "member_id"
    amount = body["amount_paise"]
    if type(amount) is not int or not 0 < amount <= BANK_REQUEST_AMOUNT_PAISE_MAX:
        return "amount_paise must be a positive integer"
    return ""


async def _json_body(request: web.Request) -> object:
    raw = await request.content.read(limits.BANK_SIM_BODY_BYTES_MAX + 1)
    if len(raw) > limits.BANK_SIM_BODY_BYTES_MAX:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


async def _money(request: web.Request) -> web.StreamResponse:
    sim = request.app[SIM_STATE]
    sim.calls += 1
    if sim.mode == "down":
        return web.json_response({"status": "unavailable"}, status=503)
    if sim.mode == "drop":
        if request.transport is not None:
            request.transport.abort()  # the client sees a reset, not an answer
        return web.Response(status=503)
    direction = DIRECTIONS[request.path]
    key = request.headers.get("Idempotency-Key", "")
    status, body = sim.process(direction, key, await _json_body(request))
    if sim.mode == "slow" and sim.delay_ms:
        await asyncio.sleep(sim.delay_ms / 1000)  # processed already: only the answer is late
    return web.json_response(body, status=status)


async def _control(request: web.Request) -> web.StreamResponse:
    sim = request.app[SIM_STATE]
    if request.method == "POST":
        error = sim.control(await _json_body(request))
        if error:
            return web.json_response({"error": error}, status=400)
    return web.json_response(sim.summary())


async def _ledger(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[SIM_STATE].ledger())


def build_app(sim: BankSim | None = None) -> web.Application:
    app = web.Application(client_max_size=limits.BANK_SIM_BODY_BYTES_MAX)
    app[SIM_STATE] = sim or BankSim()
    app.router.add_post("/deposits", _money)
    app.router.add_post("/withdrawals", _money)
    app.router.add_post("/control", _control)
    app.router.add_get("/control", _control)
    app.router.add_get("/ledger", _ledger)
    return app


async def serve(host: str, port: int, *, mode: str = "up") -> None:
    """Serve until SIGTERM or SIGINT; print the URL (with the real port) once listening."""
    if host not in LOOPBACK_HOSTS:
        raise UsageError(f"the bank simulator serves loopback only, not {host!r}")
    sim = BankSim()
    if sim.control({"mode": mode}):
        raise UsageError(f"mode must be one of {MODES}")
    runner = web.AppRunner(build_app(sim), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        actual = int(runner.addresses[0][1])  # the real port when asked for port 0
        print(f"bank-sim listening on http://{host}:{actual}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65_535:
        print("bank-sim: --port must be 0..65535", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(args.host, args.port, mode=args.mode))
    except OSError as exc:
        print(f"bank-sim: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sync.bank.sim", description=__doc__)
    add_sim_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
