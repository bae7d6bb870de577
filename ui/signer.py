"""The member's key on the phone: the signing page's node side (issue 15, part 1).

Flet's Python runs on the node, so a member's Ed25519 key cannot live in the app's
screens: it lives in a small static page the node serves (assets/signer/: index.html,
signer.js and the vendored @noble/ed25519 + @noble/hashes, pinned by its package-lock).
The page makes the key with `crypto.getRandomValues`, keeps it in the phone's
localStorage, and signs the bytes it is handed; only the public key and signatures
leave the phone. docs/member-keys.md describes the page's API and message flow.

This module is the node's half, and writes nothing to the log:

- `SignerDesk`: one-time tickets the app issues (`issue_signing` for a statement,
  `issue_enrolment` for a new key), the page's URLs for them, and a small in-memory
  table of what came back: a statement signed, or a key offered for enrolment with a
  signature over a challenge (so the phone proves it holds the key). The fold code
  consumes them with `take` (or `listen`); staff enrol a key in the log themselves.
- `add_signer_routes(app, desk)`: `/signer/` (the page and its files, nothing else
  under assets/signer/), `/signer/qr.png` (a public key's QR), `POST /signer/submit`
  and `POST /signer/enrol-request`. Bad input is a 400 with a stable code in a JSON
  body, and nothing is stored.

The checks (`read_post`, `accept`) are plain functions of bytes and the clock; the
routes are a thin Starlette edge over them.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import nacl.exceptions
import nacl.signing

from chitnode.clock import Clock
from chitnode.errors import BadFormat, ChitError
from chitnode.log.canonical import canonical, parse_canonical
from sync.invite import render
from ui import i18n, limits

log = logging.getLogger(__name__)
SIGNER_DIR = Path(__file__).resolve().parents[1] / "assets" / "signer"
ROUTE = "/signer"
PUBLIC_KEY_BYTES = 32  # Ed25519 (RFC 8032): not bounds, the algorithm's sizes
SIGNATURE_BYTES = 64
# The challenge a phone signs to offer its key: a namespace no statement for the log uses,
# so an enrolment signature can never be replayed as a member's consent, nor the reverse.
ENROL_NAMESPACE = "chitnode.signer.enrol.v1"
SIGN = "sign"  # a ticket's purpose: a statement for the log
# A field the phone fills in itself, and its size: the member's share of a draw by lot
# (`lot.contributed`'s `contribution`, 32 random bytes as 64 lower-case hex). The node
# issues the statement with the field blank (FILL_BLANK) and must not choose the bytes, or
# the lot's holder could steer the draw (docs/chit-rules.md); the phone draws them with
# crypto.getRandomValues and returns the completed statement, which the desk accepts only
# if it is the issued one with exactly that field filled.
FILLS: dict[str, int] = {"contribution": 32}
FILL_BLANK = ""
ENROL = "enrol"  # a ticket's purpose: a key offered for staff to enrol
# The files the page loads, and only these (package.json and the lock are for people).
PAGE_FILES: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "signer.js": "text/javascript; charset=utf-8",
    "signer.css": "text/css; charset=utf-8",
    "vendor/noble-ed25519/index.js": "text/javascript; charset=utf-8",
    "vendor/noble-hashes/sha2.js": "text/javascript; charset=utf-8",
    "vendor/noble-hashes/_md.js": "text/javascript; charset=utf-8",
    "vendor/noble-hashes/_u64.js": "text/javascript; charset=utf-8",
    "vendor/noble-hashes/utils.js": "text/javascript; charset=utf-8",
}
# The page runs only its own scripts, talks only to this node, and is framed only by the
# app (its iframe mode); the statement in its URL is sent to nobody else.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",  # a new page after an upgrade, checked on every load
}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_HEX_KEY = re.compile(rf"[0-9a-f]{{{2 * PUBLIC_KEY_BYTES}}}")
_NAME = re.compile(r"[A-Za-z0-9._-]+")  # branch ids and member numbers, as the kernel has them
_POST_FIELDS = frozenset({"ticket", "statement", "sig", "pub"})

# Status of each refusal: a client's mistake is 400, a full table the node's state (503).
STATUS = {
    "signer_bad_input": 400,
    "signer_bad_sig": 400,
    "signer_unknown_ticket": 400,
    "signer_statement_mismatch": 400,
    "signer_full": 503,
}


class SignerRefused(ChitError):
    """What the signing endpoints refuse; `code` is one of STATUS's."""

    code = "signer_bad_input"


@dataclass(frozen=True, slots=True)
class Ticket:
    """What the app asked of one member's phone, once."""

    ticket: str
    purpose: str  # SIGN or ENROL
    branch_id: str
    member_id: str
    statement: bytes  # canonical JSON, UTF-8: what the member sees and signs
    expires_ms: int
    fills: str = ""  # a FILLS field the phone fills in before signing ("" for none)


@dataclass(frozen=True, slots=True)
class Signed:
    """A signature the page sent back, verified under `public_key`; not yet in any log."""

    ticket: str
    purpose: str
    branch_id: str
    member_id: str
    statement: bytes
    signature: bytes
    public_key: bytes
    at_ms: int

    @property
    def public_key_hex(self) -> str:
        return self.public_key.hex()


@dataclass(frozen=True, slots=True)
class Post:
    """A POST body that parsed: the fields decoded, nothing checked against a ticket yet."""

    ticket: str  # as issued: unpadded base64url of SIGNER_TICKET_BYTES
    statement: bytes
    signature: bytes
    public_key: bytes


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 4648 §5), as the page sends and takes bytes."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str, what: str) -> bytes:
    """The bytes of strict unpadded base64url; anything else (padding, other letters,
    stray bits) is refused, so one byte string has one spelling."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise SignerRefused(f"{what} is not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SignerRefused(f"{what} is not base64url") from exc
    if b64url(data) != text:
        raise SignerRefused(f"{what} is not base64url (stray bits)")
    return data


def enrol_challenge(branch_id: str, member_id: str, ticket: str) -> bytes:
    """What a phone signs to offer its key for `member_id` (canonical JSON)."""
    body = {"branch": branch_id, "member": member_id, "ns": ENROL_NAMESPACE, "ticket": ticket}
    return canonical(body)


def check_statement(statement: bytes) -> None:
    """A statement the page will show: canonical JSON (UTF-8) of an object, bounded."""
    if len(statement) > limits.SIGNER_STATEMENT_BYTES_MAX:
        raise SignerRefused(
            f"the statement is {len(statement)} bytes; at most {limits.SIGNER_STATEMENT_BYTES_MAX}"
        )
    try:
        value = parse_canonical(statement)
    except BadFormat as exc:
        raise SignerRefused(f"the statement is not canonical JSON: {exc.message}") from exc
    if not isinstance(value, dict):
        raise SignerRefused("the statement is not a JSON object")


def check_fillable(statement: bytes, fills: str) -> None:
    """`fills` is a FILLS field, blank in `statement` (already a checked statement)."""
    doc = parse_canonical(statement)
    if fills not in FILLS or not isinstance(doc, dict) or doc.get(fills) != FILL_BLANK:
        raise SignerRefused(f"a statement the phone completes has {fills!r} blank")


def completed_fits(ticket: Ticket, statement: bytes) -> bool:
    """Whether `statement` is what the phone may sign for `ticket`: the issued bytes, or,
    for a ticket the phone completes, the issued statement with only its `fills` field set
    to FILLS[fills] bytes in lower-case hex (any other change, or none, does not fit)."""
    if not ticket.fills:
        return statement == ticket.statement
    try:
        doc = parse_canonical(statement)
    except BadFormat:
        return False
    value = doc.get(ticket.fills) if isinstance(doc, dict) else None
    size = FILLS[ticket.fills]
    if not isinstance(value, str) or not re.fullmatch(f"[0-9a-f]{{{2 * size}}}", value):
        return False
    issued = parse_canonical(ticket.statement)
    return canonical({**issued, ticket.fills: value}) == statement


def check_name(value: str, what: str) -> str:
    if len(value) > limits.SIGNER_NAME_CHARS_MAX or not _NAME.fullmatch(value):
        raise SignerRefused(f"{what}: 1-{limits.SIGNER_NAME_CHARS_MAX} letters, digits, . _ -")
    return value


def read_post(body: bytes) -> Post:
    """The POST body `{ticket, statement, sig, pub}`, decoded and sized; SignerRefused
    (signer_bad_input) for anything else."""
    if len(body) > limits.SIGNER_BODY_BYTES_MAX:
        raise SignerRefused(f"the request is over {limits.SIGNER_BODY_BYTES_MAX} bytes")
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SignerRefused("the request is not JSON") from exc
    if not isinstance(doc, dict) or set(doc) != _POST_FIELDS:
        raise SignerRefused(f"the request is an object of exactly {sorted(_POST_FIELDS)}")
    if not all(isinstance(doc[k], str) for k in _POST_FIELDS):
        raise SignerRefused("every field of the request is a string")
    ticket = doc["ticket"]
    if len(ticket) != ticket_chars() or not from_b64url(ticket, "ticket"):
        raise SignerRefused("the ticket is not one the app issues")
    statement = from_b64url(doc["statement"], "statement")
    if len(statement) > limits.SIGNER_STATEMENT_BYTES_MAX:
        raise SignerRefused(f"the statement is over {limits.SIGNER_STATEMENT_BYTES_MAX} bytes")
    signature = from_b64url(doc["sig"], "sig")
    if len(signature) != SIGNATURE_BYTES:
        raise SignerRefused(f"sig is {len(signature)} bytes, not {SIGNATURE_BYTES}")
    if not _HEX_KEY.fullmatch(doc["pub"]):
        raise SignerRefused(f"pub is not {PUBLIC_KEY_BYTES} bytes in lower-case hex")
    return Post(ticket, statement, signature, bytes.fromhex(doc["pub"]))


def ticket_chars() -> int:
    return len(b64url(bytes(limits.SIGNER_TICKET_BYTES)))


def verify(public_key: bytes, statement: bytes, signature: bytes) -> None:
    """SignerRefused (signer_bad_sig) unless `signature` is `public_key`'s over `statement`."""
    try:
        nacl.signing.VerifyKey(public_key).verify(statement, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError) as exc:
        raise SignerRefused(
            "the signature does not verify under that key", code="signer_bad_sig"
        ) from exc


@dataclass(slots=True)
class _Slot:
    ticket: Ticket
    signed: Signed | None = None

    def gone(self, now_ms: int) -> bool:
        if self.signed is None:
            return now_ms >= self.ticket.expires_ms
        return now_ms >= self.signed.at_ms + limits.SIGNER_SIGNED_KEEP_MS


@dataclass(slots=True)
class SignerDesk:
    """Tickets out, signatures in: the pending table between the app and the phones.

    Lives on the serve's loop (the routes and the app's sessions share it); bounded by
    SIGNER_TICKETS_MAX, unsigned tickets die after SIGNER_TICKET_TTL_MS and signatures
    not taken after SIGNER_SIGNED_KEEP_MS. Nothing here survives a restart: a member
    whose signature was not taken in time signs again.
    """

    clock: Clock
    _slots: dict[str, _Slot] = field(default_factory=dict)
    _listeners: list[Callable[[Signed], None]] = field(default_factory=list)

    # --- the app's side ---

    def issue_signing(
        self, branch_id: str, member_id: str, statement: bytes, *, fills: str = ""
    ) -> Ticket:
        """A ticket for `member_id`'s phone to sign `statement` (canonical JSON bytes).
        With `fills` (a FILLS field, blank in `statement`), the phone fills that field with
        its own random bytes first, and the `Signed` holds the completed statement."""
        check_statement(statement)
        if fills:
            check_fillable(statement, fills)
        return self._issue(SIGN, branch_id, member_id, lambda _t: statement, fills)

    def issue_enrolment(self, branch_id: str, member_id: str) -> Ticket:
        """A ticket for `member_id`'s phone to offer its public key (pair mode)."""
        return self._issue(
            ENROL, branch_id, member_id, lambda t: enrol_challenge(branch_id, member_id, t)
        )

    def page_url(self, ticket: Ticket, *, return_url: str = "") -> str:
        """The page's path and query for `ticket` (the app prefixes its own address)."""
        query = {"branch": ticket.branch_id, "member": ticket.member_id, "ticket": ticket.ticket}
        if ticket.purpose == ENROL:
            query["pair"] = "1"
        if ticket.fills:
            query["fill"] = ticket.fills
        query["statement"] = b64url(ticket.statement)
        if return_url:
            query["return"] = return_url
        return f"{ROUTE}/?{urlencode(query)}"

    def take(self, ticket: str) -> Signed | None:
        """What came back for `ticket` (removed: taken once), or None if nothing yet."""
        self._forget_old()
        slot = self._slots.get(ticket)
        if slot is None or slot.signed is None:
            return None
        del self._slots[ticket]
        return slot.signed

    def waiting(self, purpose: str = ENROL) -> list[Signed]:
        """Signatures received for `purpose` and not yet taken, oldest first (staff's list
        of keys offered for enrolment)."""
        self._forget_old()
        found = [s.signed for s in self._slots.values() if s.signed and s.signed.purpose == purpose]
        return sorted(found, key=lambda s: s.at_ms)

    def listen(self, fn: Callable[[Signed], None]) -> Callable[[], None]:
        """Call `fn` with each signature accepted from now on; the un-listen function."""
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn) if fn in self._listeners else None

    # --- the page's side ---

    def accept(self, body: bytes, purpose: str) -> Signed:
        """A POST body from the page for a `purpose` ticket: checked, verified, stored.
        Raises SignerRefused with its code and stores nothing on any failure."""
        post = read_post(body)
        self._forget_old()
        slot = self._slots.get(post.ticket)
        if slot is None or slot.signed is not None or slot.ticket.purpose != purpose:
            raise SignerRefused(
                "no such open ticket: it expired, was used, or was never issued",
                code="signer_unknown_ticket",
            )
        if not completed_fits(slot.ticket, post.statement):
            raise SignerRefused(
                "the statement is not the one this ticket was issued for",
                code="signer_statement_mismatch",
            )
        verify(post.public_key, post.statement, post.signature)
        t = slot.ticket
        signed = Signed(
            t.ticket,
            t.purpose,
            t.branch_id,
            t.member_id,
            post.statement,  # the issued bytes, or those completed by the phone (FILLS)
            post.signature,
            post.public_key,
            self.clock.now_ms(),
        )
        slot.signed = signed
        for fn in list(self._listeners):
            try:  # a listener's bug is the app's; the phone's signature is kept and answered
                fn(signed)
            except Exception:
                log.exception("a signer listener failed on ticket %s", signed.ticket)
        return signed

    # --- the table ---

    def _issue(
        self,
        purpose: str,
        branch_id: str,
        member_id: str,
        statement: Callable[[str], bytes],
        fills: str = "",
    ) -> Ticket:
        check_name(branch_id, "branch")
        check_name(member_id, "member")
        self._forget_old()
        if len(self._slots) >= limits.SIGNER_TICKETS_MAX:
            raise SignerRefused(
                f"{limits.SIGNER_TICKETS_MAX} signatures are already open or waiting: "
                "wait until some are taken or expire",
                code="signer_full",
            )
        token = b64url(secrets.token_bytes(limits.SIGNER_TICKET_BYTES))
        expires = self.clock.now_ms() + limits.SIGNER_TICKET_TTL_MS
        ticket = Ticket(token, purpose, branch_id, member_id, statement(token), expires, fills)
        self._slots[token] = _Slot(ticket)
        return ticket

    def _forget_old(self) -> None:
        now = self.clock.now_ms()
        for token in [t for t, slot in self._slots.items() if slot.gone(now)]:
            del self._slots[token]


# --- the edge: Starlette routes on the app's server -------------------------------------------


def refusal(exc: ChitError, lang: str = i18n.FALLBACK_LANG) -> tuple[int, dict[str, str]]:
    """The status and JSON body of a refusal: a stable code, a sentence for whoever reads
    logs, and the words the page shows the member (ui/i18n, in `lang`)."""
    lang = lang if lang in i18n.LANGS else i18n.FALLBACK_LANG
    body = {"code": exc.code, "message": exc.message, "words": i18n.error_text(lang, exc.code)}
    return STATUS.get(exc.code, 400), body


async def read_capped(request: Any) -> bytes:
    """The request's body, read no further than SIGNER_BODY_BYTES_MAX + 1 bytes."""
    cap = limits.SIGNER_BODY_BYTES_MAX
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > cap):
        raise SignerRefused(f"the request is over {cap} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise SignerRefused(f"the request is over {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def qr_png_bytes(text: str) -> bytes:
    import io

    out = io.BytesIO()
    render.qr(text).save(out, kind="png", scale=render.PNG_SCALE, border=render.QR_BORDER_MODULES)
    return out.getvalue()


def add_signer_routes(app: Any, desk: SignerDesk) -> None:
    """The page, its files, the key's QR and the two POSTs, ahead of Flet's static files
    (which match every path, assets/signer/ included)."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse, RedirectResponse, Response
    from starlette.routing import Route

    async def page_file(request: Request) -> Response:
        name = str(request.path_params.get("name") or "index.html")
        media = PAGE_FILES.get(name)
        if media is None:
            return Response(status_code=404)
        return Response((SIGNER_DIR / name).read_bytes(), media_type=media, headers=PAGE_HEADERS)

    async def to_page(request: Request) -> Response:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{ROUTE}/{query}", status_code=308)

    async def qr(request: Request) -> Response:
        key = request.query_params.get("pub", "")
        if not _HEX_KEY.fullmatch(key):  # only a public key: the node draws no other QR here
            status, body = refusal(SignerRefused("pub is 64 lower-case hex digits"))
            return JSONResponse(body, status_code=status)
        return Response(qr_png_bytes(key), media_type="image/png", headers=PAGE_HEADERS)

    def poster(purpose: str) -> Callable[[Request], Any]:
        async def post(request: Request) -> Response:
            try:
                signed = desk.accept(await read_capped(request), purpose)
            except SignerRefused as exc:
                status, body = refusal(exc, request.query_params.get("lang", ""))
                return JSONResponse(body, status_code=status)
            return JSONResponse({"ok": True, "ticket": signed.ticket, "pub": signed.public_key_hex})

        return post

    routes = [
        Route(ROUTE, to_page),
        Route(f"{ROUTE}/", page_file),
        Route(f"{ROUTE}/qr.png", qr),
        Route(f"{ROUTE}/submit", poster(SIGN), methods=["POST"]),
        Route(f"{ROUTE}/enrol-request", poster(ENROL), methods=["POST"]),
        Route(f"{ROUTE}/{{name:path}}", page_file),
    ]
    app.router.routes[0:0] = routes


__all__ = [
    "ENROL",
    "ENROL_NAMESPACE",
    "FILLS",
    "FILL_BLANK",
    "SIGN",
    "Signed",
    "SignerDesk",
    "SignerRefused",
    "Ticket",
    "add_signer_routes",
    "b64url",
    "enrol_challenge",
    "from_b64url",
    "read_post",
]
