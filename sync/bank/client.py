"""The bank gateway adapter: one HTTP call per pending request, answer mapped to an outcome.

Wire (what `sync/bank/sim.py` serves, docs/bank.md):

    POST {base}/deposits | {base}/withdrawals
    Idempotency-Key: <request_id>
    {"request_id": ..., "member_id": ..., "amount_paise": ...}

    200 {"status": "settled", "bank_ref": "..."}    -> SETTLE
    200 {"status": "rejected", "reason": "..."}     -> REFUSE  (also with 4xx)
    anything else: 5xx, 409, timeout, reset, refused, a malformed or oversized body -> RETRY

Only an explicit, well-formed answer closes a request: a misconfigured URL (404)
or a confused bank (409) keeps it pending, where the foreman sees it stuck,
instead of failing a deposit the bank may have taken. The bank keeps its answer
per Idempotency-Key, so asking again after a timeout or a crash is safe.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from types import TracebackType

import aiohttp

from chitnode.domain import bank_kinds as bank
from chitnode.services.bank_outbox import REFUSE, RETRY, SETTLE, BankAnswer, BankRequest
from sync import limits

IDEMPOTENCY_HEADER = "Idempotency-Key"
PATHS = {bank.DEPOSIT: "/deposits", bank.WITHDRAWAL: "/withdrawals"}
# A refusal's reason: printable ASCII, bounded.
REASON_RE = re.compile(rf"^[\x20-\x7e]{{1,{limits.BANK_ANSWER_REASON_CHARS_MAX}}}$")


def payload_of(request: BankRequest) -> dict[str, object]:
    return {
        "request_id": request.request_id,
        "member_id": request.member_id,
        "amount_paise": request.amount_paise,
    }


def answer_of(status: int, raw: bytes) -> BankAnswer:
    """Map one HTTP answer to SETTLE, REFUSE or RETRY (pure; see the module doc)."""
    if len(raw) > limits.BANK_ANSWER_BYTES_MAX:
        return BankAnswer(RETRY, reason="answer_too_large")
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        body = None
    verdict = body.get("status") if isinstance(body, dict) else None
    if status == 200 and verdict == "settled":
        ref = body.get("bank_ref") if isinstance(body, dict) else None
        if isinstance(ref, str) and bank.BANK_REF_RE.match(ref):
            return BankAnswer(SETTLE, bank_ref=ref)
        return BankAnswer(RETRY, reason="bad_answer: bank_ref")
    if (status == 200 or 400 <= status < 500) and verdict == "rejected" and status != 409:
        reason = body.get("reason") if isinstance(body, dict) else None
        ref = body.get("bank_ref", "") if isinstance(body, dict) else ""
        ok_ref = isinstance(ref, str) and (ref == "" or bank.BANK_REF_RE.match(ref) is not None)
        if isinstance(reason, str) and REASON_RE.match(reason) and ok_ref:
            return BankAnswer(REFUSE, bank_ref=str(ref), reason=reason)
        return BankAnswer(RETRY, reason="bad_answer: reason")
    if status == 200:
        return BankAnswer(RETRY, reason="bad_answer")
    return BankAnswer(RETRY, reason=f"http_{status}")


class BankClient:
    """An aiohttp session to one bank; `async with BankClient(url) as client:`."""

    def __init__(
        self,
        base_url: str,
        *,
        request_timeout_ms: int = limits.BANK_REQUEST_TIMEOUT_MS,
        connect_timeout_ms: int = limits.BANK_CONNECT_TIMEOUT_MS,
    ) -> None:
        assert base_url.startswith(("http://", "https://")), base_url
        assert request_timeout_ms > 0 and connect_timeout_ms > 0
        connect_timeout_ms = min(connect_timeout_ms, request_timeout_ms)
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(
            total=request_timeout_ms / 1000, sock_connect=connect_timeout_ms / 1000
        )
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> BankClient:
        # One connection per call: a bank that went down must not leave us a dead socket.
        connector = aiohttp.TCPConnector(limit=limits.BANK_CONCURRENT_CALLS_MAX, force_close=True)
        self._session = aiohttp.ClientSession(timeout=self.timeout, connector=connector)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, request: BankRequest) -> BankAnswer:
        """Ask the bank once; never raises for a network fault (that is a RETRY)."""
        session = self._session
        assert session is not None, "use `async with BankClient(...)`"
        url = self.base_url + PATHS[request.direction]
        headers = {IDEMPOTENCY_HEADER: request.request_id}
        try:
            async with session.post(url, json=payload_of(request), headers=headers) as resp:
                raw = await resp.content.read(limits.BANK_ANSWER_BYTES_MAX + 1)
                return answer_of(resp.status, raw)
        except TimeoutError:
            return BankAnswer(RETRY, reason="timeout")
        except aiohttp.ClientError as exc:
            return BankAnswer(RETRY, reason=f"unreachable: {type(exc).__name__}")

    async def send_all(self, requests: Sequence[BankRequest]) -> list[BankAnswer]:
        """Ask for each request, at most BANK_CONCURRENT_CALLS_MAX at once; answers in order."""
        gate = asyncio.Semaphore(limits.BANK_CONCURRENT_CALLS_MAX)

        async def one(request: BankRequest) -> BankAnswer:
            async with gate:
                return await self.send(request)

        return list(await asyncio.gather(*(one(r) for r in requests)))
