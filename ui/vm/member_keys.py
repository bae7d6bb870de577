"""Members' keys in the app (issue 15): pure view-models and command builders.

A member's phone makes an Ed25519 key on the signing page (ui/signer.py, assets/signer/);
the page offers its public half to the node's SignerDesk, staff compare its short
fingerprint with the one on the phone and enrol it (`member.key_enrolled`), or revoke a
lost phone's key (`member.key_revoked`). From then on the member's consents carry the
member's signature over `chitnode.log.statement.statement_for(kind, body, branch)`.

Everything here is a function of a Reading (and of the desk's `Signed` values, plain
data): no flet, no I/O. The rules stay in the kernel (chitnode/domain/member_keys.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import member_keys as mk
from chitnode.domain import witness_kinds as wk
from chitnode.domain.state import State
from chitnode.log.statement import COUNTERSIG, statement_for
from ui.backend import Reading
from ui.signer import Signed
from ui.witness_desk import WitnessAsk

ENROL_KIND = "member.key_enrolled"
REVOKE_KIND = "member.key_revoked"
# Hex digits in one group, as the signing page shows a key ("1a2b3c4d 5e6f..."): the
# fingerprint is the page's first groups, so the foreman reads the same letters on both.
FINGERPRINT_GROUP_CHARS = 8
# Groups the fingerprint shows: 4 x 32 bits is far past what a stranger's phone on the
# Wi-Fi could match by making keys, and short enough to read out across a table.
FINGERPRINT_GROUPS = 4
# A bid's statement signs its command id (its nonce, statement.CONSENT_FIELDS); the others'
# command ids are only the app's retry guard and stay out of the body.
NONCED_KINDS = frozenset({"auction.bid"})

NO_KEY = "none"  # the member never had a key: consents go unsigned, as before keys
ACTIVE = mk.ACTIVE
REVOKED = mk.REVOKED


def fingerprint(key_hex: str) -> str:
    """The key's first groups of hex digits, spaced as the signing page shows them."""
    n = FINGERPRINT_GROUP_CHARS
    groups = [key_hex[i : i + n] for i in range(0, n * FINGERPRINT_GROUPS, n)]
    return " ".join(g for g in groups if g)


def member_name(state: State, member_id: str) -> str:
    row = state.get(mk.MEMBERS, member_id) or {}
    return str(row.get("name", member_id))


def current_key(state: State, member_id: str) -> str | None:
    """The member's enrolled key that signs now, or None (no key, or revoked)."""
    row = state.get(mk.MEMBER_KEYS, member_id)
    if row is None or row["status"] != mk.ACTIVE:
        return None
    return str(row["key"])


def keyed_members(state: State) -> frozenset[str]:
    """The members whose consents their phone's key must sign (a current key)."""
    rows = state.rows(mk.MEMBER_KEYS)
    return frozenset(m for m, row in rows.items() if row["status"] == mk.ACTIVE)


@dataclass(frozen=True, slots=True)
class MyKey:
    """The member's own key, as the "My signing key" screen shows it."""

    member_id: str
    branch_id: str
    status: str  # NO_KEY | ACTIVE | REVOKED
    fingerprint: str  # of the current key; "" when none signs

    @property
    def signs(self) -> bool:
        return self.status == ACTIVE


def my_key(r: Reading, member_id: str) -> MyKey:
    row = r.state.get(mk.MEMBER_KEYS, member_id)
    if row is None:
        return MyKey(member_id, r.branch_id, NO_KEY, "")
    key = current_key(r.state, member_id)
    return MyKey(member_id, r.branch_id, str(row["status"]), fingerprint(key) if key else "")


@dataclass(frozen=True, slots=True)
class Offer:
    """A key a phone offered for enrolment (the desk verified the phone holds it)."""

    ticket: str
    member_id: str
    name: str
    key: str
    fingerprint: str
    at_ms: int
    replaces: str  # the fingerprint of the member's key it supersedes; "" when none


@dataclass(frozen=True, slots=True)
class Enrolled:
    """A member's key in the log, for the staff list (revoke a lost phone's)."""

    member_id: str
    name: str
    key: str  # the current key; "" once revoked
    fingerprint: str
    status: str  # ACTIVE | REVOKED


@dataclass(frozen=True, slots=True)
class KeysDesk:
    offers: tuple[Offer, ...]
    enrolled: tuple[Enrolled, ...]


def keys_desk(r: Reading, waiting: Iterable[Signed]) -> KeysDesk:
    """Staff's "Member keys" screen: keys offered on this branch by its members (offers
    for a key already enrolled are left out), and every member's key in the log."""
    state = r.state
    owners = {str(row.get("key")) for row in state.rows(mk.MEMBER_KEYS).values()}
    offers = []
    for s in waiting:
        key = s.public_key_hex
        if s.branch_id != r.branch_id or state.get(mk.MEMBERS, s.member_id) is None:
            continue
        if key in owners or state.get(mk.KEY_OWNERS, key) is not None:
            continue
        old = current_key(state, s.member_id)
        name = member_name(state, s.member_id)
        offers.append(
            Offer(
                s.ticket, s.member_id, name, key, fingerprint(key), s.at_ms, fingerprint(old or "")
            )
        )
    enrolled = [
        Enrolled(
            mid,
            member_name(state, mid),
            str(row["key"] or ""),
            fingerprint(str(row["key"] or "")),
            str(row["status"]),
        )
        for mid, row in sorted(state.rows(mk.MEMBER_KEYS).items())
    ]
    return KeysDesk(tuple(offers), tuple(enrolled))


def enrol_command(offer: Offer) -> tuple[str, dict[str, Any]]:
    return ENROL_KIND, {"member_id": offer.member_id, "key": offer.key}


def revoke_command(line: Enrolled) -> tuple[str, dict[str, Any]]:
    return REVOKE_KIND, {"member_id": line.member_id, "key": line.key}


def to_sign(kind: str, body: Mapping[str, Any], cmd_id: str | None) -> dict[str, Any]:
    """The body a keyed member signs and submits: the gate-stamped `body`, with its command
    id where the statement signs one (a bid)."""
    signed = dict(body)
    if kind in NONCED_KINDS and cmd_id:
        signed["cmd_id"] = cmd_id
    return signed


def statement(kind: str, body: Mapping[str, Any], branch_id: str) -> bytes:
    """The exact bytes the member's phone signs (RuleViolation when `body` is no consent)."""
    return statement_for(kind, body, branch_id)


def countersigned(body: Mapping[str, Any], signed: Signed) -> dict[str, Any]:
    """`body` with the phone's signature as its countersig (wal-format.md 10.4)."""
    return {**body, COUNTERSIG: {"key": signed.public_key_hex, "sig": signed.signature.hex()}}


# --- what the member's phone confirms, in words ---------------------------------------------


@dataclass(frozen=True, slots=True)
class MinutesWords:
    """The minutes a member attests, as the phone shows them before the signing page: the
    statement signs only their fingerprint, so the phone says what it stands for."""

    group_name: str
    month: int
    winner_ticket: int
    winner_name: str
    prize_paise: int
    minutes_hash: str


def minutes_words(r: Reading, group_id: str, month: int) -> MinutesWords | None:
    """The closed draw's minutes of `group_id`'s `month`, or None (not closed yet)."""
    doc = base.minutes_document(r.state, group_id, month)
    group = r.state.get(base.GROUPS, group_id)
    if doc is None or group is None:
        return None
    return MinutesWords(
        str(group["name"]),
        month,
        int(doc["winner_ticket"]),
        member_name(r.state, str(doc["winner_member"])),
        int(doc["prize_paise"]),
        base.sha256_doc(doc),
    )


@dataclass(frozen=True, slots=True)
class WitnessWords:
    """A witness request, as the member's phone says it: the log of the branch as of the
    foreman's asking, so many entries from so many devices, for this group's meeting."""

    branch_name: str
    group_name: str
    month: int
    entries: int  # every feed's head seq is its number of entries
    devices: int
    asked_ms: int


def group_name(state: State, group_id: str) -> str:
    group = state.get(base.GROUPS, group_id) or {}
    return str(group.get("name", group_id))


def witness_words(r: Reading, ask: WitnessAsk) -> WitnessWords:
    return WitnessWords(
        r.branch_name or r.branch_id[:8],
        group_name(r.state, ask.group_id),
        ask.month,
        sum(seq for _, seq, _ in ask.heads),
        len(ask.heads),
        ask.asked_ms,
    )


# --- witnesses at the meeting's close -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Witnessing:
    """A member present at the close, as the foreman's witness list shows them."""

    member_id: str
    name: str
    keyed: bool  # has a current key: can witness from the phone
    signed: bool  # the phone's signature is in the request


@dataclass(frozen=True, slots=True)
class WitnessRoll:
    present: tuple[Witnessing, ...]
    asked: bool  # the foreman asked (the heads are taken)
    signatures: int  # signatures by current keys, that the entry will carry
    written_seq: int  # the heads.witnessed's seq on this laptop's feed; 0 until written

    @property
    def keyed(self) -> tuple[str, ...]:
        return tuple(w.member_id for w in self.present if w.keyed)


def present_at_close(r: Reading, group_id: str, month: int, checked_in: Iterable[str]) -> list[str]:
    """The members present at the close: those in the minutes (the winner too) and any
    phone that checked in, registered members only, sorted."""
    doc = base.minutes_document(r.state, group_id, month) or {}
    ids = {str(m) for m in doc.get("present", [])} | set(checked_in)
    if doc.get("winner_member"):
        ids.add(str(doc["winner_member"]))
    return sorted(m for m in ids if r.state.get(mk.MEMBERS, m) is not None)


def witness_roll(r: Reading, present: Iterable[str], ask: WitnessAsk | None) -> WitnessRoll:
    signers = ask.signers if ask is not None else frozenset()
    rows = tuple(
        Witnessing(m, member_name(r.state, m), current_key(r.state, m) is not None, m in signers)
        for m in present
    )
    good = len(countersigs(r, ask)) if ask is not None else 0
    return WitnessRoll(rows, ask is not None, good, ask.written_seq if ask else 0)


def countersigs(r: Reading, ask: WitnessAsk) -> list[dict[str, str]]:
    """The request's signatures by each member's current key (a key revoked since the phone
    signed would make the fold refuse the whole entry: that one is left out)."""
    return [
        {"member_id": m, "key": key, "sig": sig}
        for m, key, sig in sorted(ask.signed)
        if current_key(r.state, m) == key
    ]


def witness_command(r: Reading, ask: WitnessAsk) -> tuple[str, dict[str, Any]]:
    """`heads.witnessed` over the request's heads, with the phones' signatures."""
    body: dict[str, Any] = {
        "group_id": ask.group_id,
        "month": ask.month,
        "heads": [list(h) for h in ask.heads],
    }
    witnesses = countersigs(r, ask)
    if witnesses:
        body["witnesses"] = witnesses
    return wk.KIND, body
