"""Member keys and countersignatures (issue 15, point 2): a member's consent is the member's.

A member's phone makes an Ed25519 key that never leaves it; staff enrol its public key
for the member (`member.key_enrolled`), which supersedes any earlier key, and revoke it
when the phone is lost (`member.key_revoked`). From then on, every consent of that member
(`chitnode.log.statement.CONSENT_FIELDS`: agreement signed, bid placed, minutes attested,
lot contributed) must carry the member's signature over the consent's statement bytes,
made by the member's current key: a node, the foreman's included, can no longer put
words in that member's mouth. `apply.decide` calls `consent_rows` for every entry.

Revocation ends a key at the revoking entry's place in the fold's order (recorded as
`ended_at`): consents folded before it were judged when the key was current and stay
applied on every re-fold; after it, the key's signatures are refused
`countersig_key_revoked`. A member whose key was revoked and not yet replaced can consent
to nothing (`countersig_no_key`): otherwise revoking would be a way around the signature.

Which members are held to it is a term of each group (`consent`), rolled out the way lot
v2 was (docs/chit-rules.md): a group whose row says `consent: "signed.v1"` takes no
member's consent without the member's signature, so a member with no key consents to
nothing there (`countersig_no_key`: pair the member's phone first). A group gets the term
when its `group.created` asks for it, or by default once the branch admin has recorded
`branch.consent_rule_set` before it; nothing takes it away. In older groups a member with
no key ever enrolled consents unsigned, as before member keys, so their logs fold as they
did. A countersig such a member does carry is refused `countersig_no_key`, since nothing
could check it. Only the log decides: the group's row, folded from the log.

Tables:
- `member_keys` [member_id]: key (current, or None once revoked), status, history
  [{key, enrolled_at, ended, ended_at}], each place {author, seq, hash}
- `member_key_owners` [key]: member_id. A key is enrolled once, for one member, ever.
- `countersigs` [sha256 of the statement]: entry, member_id, key. A statement counts once.
- `consent_rule` ["branch"]: consent, set_ms, by, at. The branch's setting for new groups.

Pure (DESIGN.md): the signature check is `chitnode.log.statement.signature_ok`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from chitnode.domain import limits
from chitnode.domain.kinds import ADMIN, STAFF, kind
from chitnode.domain.state import Change, Put, State
from chitnode.errors import RuleViolation
from chitnode.log.entry import HEX64_RE, Entry
from chitnode.log.statement import (
    consent_member,
    countersig_of,
    is_consent,
    signature_ok,
    statement_for,
)

MEMBER_KEYS = "member_keys"
KEY_OWNERS = "member_key_owners"
COUNTERSIGS = "countersigs"
CONSENT_RULE = "consent_rule"
MEMBERS = "members"  # chit_kinds_base.MEMBERS (importing it would make an import cycle)
GROUPS = "groups"  # chit_kinds_base.GROUPS (likewise)

ACTIVE = "active"  # the member's current key signs
REVOKED = "revoked"  # the last key was revoked and none replaces it yet
SUPERSEDED = "superseded"  # a history item ended by the next enrolment
ENDED_REVOKED = "revoked"  # a history item ended by member.key_revoked

# The group term (`consent`, in the group's row and its agreement) under which every
# member's consent needs the member's own signature, keyed or not. The only value: a
# group without the term is an older one, and no value means "unsigned" (no way back).
CONSENT_SIGNED = "signed.v1"

BODY_FIELDS = frozenset({"member_id", "key"})
BODY_OPTIONAL = frozenset({"cmd_id"})


def need(cond: bool, code: str, message: str) -> None:
    if not cond:
        raise RuleViolation(message, code=code)


def _place(entry: Entry) -> dict[str, Any]:
    """Where an entry is in the log: its feed, seq and hash (what a history item records)."""
    return {"author": entry.author, "seq": entry.seq, "hash": entry.hash}


def _key_body(state: State, entry: Entry) -> tuple[str, str]:
    """(member_id, key) of a key entry: exactly those fields (and an optional cmd_id), a
    registered member and 64 lowercase hex digits."""
    body = entry.body
    fields = set(body)
    ok = BODY_FIELDS <= fields <= BODY_FIELDS | BODY_OPTIONAL
    need(ok, "bad_body", f"{entry.kind} body is {{member_id, key}}")
    key, mid = body["key"], body["member_id"]
    need(isinstance(key, str) and HEX64_RE.match(key) is not None, "bad_body", "key: 64 hex")
    need(
        isinstance(mid, str) and state.get(MEMBERS, mid) is not None,
        "unknown_member",
        f"no member {mid}",
    )
    return str(mid), str(key)


@kind(
    "member.key_enrolled",
    STAFF,
    summary="Enrols the public key a member's phone made; it supersedes the member's last key.",
)
def key_enrolled(state: State, entry: Entry) -> list[Change]:
    mid, key = _key_body(state, entry)
    need(
        state.get(KEY_OWNERS, key) is None,
        "member_key_in_use",
        "this key was enrolled before: each pairing makes a new key on the phone",
    )
    row = state.get(MEMBER_KEYS, mid)
    history: list[dict[str, Any]] = list(row["history"]) if row is not None else []
    need(
        len(history) < limits.MEMBER_KEYS_MAX,
        "too_many_member_keys",
        f"a member has at most {limits.MEMBER_KEYS_MAX} keys over the branch's life",
    )
    at = _place(entry)
    ended = [h if h["ended"] else {**h, "ended": SUPERSEDED, "ended_at": at} for h in history]
    item = {"key": key, "enrolled_at": at, "ended": "", "ended_at": None}
    new = {"member_id": mid, "key": key, "status": ACTIVE, "history": [*ended, item]}
    return [Put(MEMBER_KEYS, mid, new), Put(KEY_OWNERS, key, {"member_id": mid})]


@kind(
    "member.key_revoked", STAFF, summary="Revokes a member's key (phone lost); old consents hold."
)
def key_revoked(state: State, entry: Entry) -> list[Change]:
    mid, key = _key_body(state, entry)
    row = state.get(MEMBER_KEYS, mid)
    current = row is not None and row["status"] == ACTIVE and row["key"] == key
    need(current, "member_key_not_current", f"{key[:12]}… is not {mid}'s current key")
    assert row is not None
    at = _place(entry)
    history = [
        {**h, "ended": ENDED_REVOKED, "ended_at": at} if h["key"] == key else h
        for h in row["history"]
    ]
    return [Put(MEMBER_KEYS, mid, {**row, "key": None, "status": REVOKED, "history": history})]


# --- the switch-over: groups whose members all sign ------------------------------------


def branch_requires_signed(state: State) -> bool:
    """Whether the branch admin has recorded that new groups take only signed consents."""
    return state.get(CONSENT_RULE, "branch") is not None


@kind(
    "branch.consent_rule_set",
    ADMIN,
    summary="From now on, new groups take a member's consent only with the member's signature.",
)
def consent_rule_set(state: State, entry: Entry) -> list[Change]:
    """`{consent: "signed.v1"}`: groups formed after this entry default to signed consent.

    Groups formed before keep their agreement. There is no value to turn it off: once
    recorded, the first recording stands and a second one changes nothing.
    """
    body = entry.body
    ok = {"consent"} <= set(body) <= {"consent"} | BODY_OPTIONAL
    need(ok, "bad_body", f"{entry.kind} body is {{consent}}")
    need(body["consent"] == CONSENT_SIGNED, "bad_variant", f"consent: only {CONSENT_SIGNED!r}")
    if branch_requires_signed(state):
        return []
    row = {"consent": CONSENT_SIGNED, "set_ms": entry.ts, "by": entry.author, "at": _place(entry)}
    return [Put(CONSENT_RULE, "branch", row)]


def consent_term(state: State, body: dict[str, Any]) -> dict[str, str]:
    """The `consent` term a `group.created` body gives the new group: `signed.v1` when the
    body asks for it, or when it is silent and the branch requires it; none otherwise (an
    older-style group). Any other value is refused `bad_variant`: a group cannot opt out."""
    if "consent" not in body:
        return {"consent": CONSENT_SIGNED} if branch_requires_signed(state) else {}
    need(
        body["consent"] == CONSENT_SIGNED,
        "bad_variant",
        f"consent: only {CONSENT_SIGNED!r} (each member signs on their own phone)",
    )
    return {"consent": CONSENT_SIGNED}


def signed_group(group: dict[str, Any] | None) -> bool:
    """Whether a group's row holds it to signed consent (None: no such group)."""
    return group is not None and group.get("consent") == CONSENT_SIGNED


def consent_words(group: dict[str, Any]) -> str:
    """Whose word a member's consent is in `group`, in plain English (the CLI says it when
    a group is formed; the app has its own catalogue sentences)."""
    if signed_group(group):
        return (
            f"Group {group['group_id']}: members agree (agreement, bids, minutes, draw) only by"
            " signing on their own paired phone; nobody can agree for them, and this cannot be"
            " switched off. Pair each member's phone before they sign the agreement."
        )
    return (
        f"Group {group['group_id']}: as in older groups, staff may record the consent of"
        " members without a paired phone (members with one sign on it)."
    )


def _in_signed_group(state: State, body: dict[str, Any]) -> bool:
    """Whether a consent's group takes only signed consents (every consent names its
    `group_id`; an unknown or malformed one is left to the kind's own rules)."""
    gid = body.get("group_id")
    return isinstance(gid, str) and signed_group(state.get(GROUPS, gid))


# --- countersignatures ------------------------------------------------------------------


def _judge(state: State, entry: Entry) -> tuple[str, str, str] | None:
    """(statement digest, member, key) of a valid countersignature the entry needs, None
    when it needs none; RuleViolation `countersig_*` (or `bad_body`) otherwise."""
    body = entry.body
    given = countersig_of(body)
    member = consent_member(entry.kind, body) if is_consent(entry.kind) else None
    if member is None:
        need(given is None, "bad_body", "only a member's consent carries a countersig")
        return None
    row = state.get(MEMBER_KEYS, member)
    if given is None:
        signed_only = _in_signed_group(state, body)
        if row is None and not signed_only:
            return None  # an older group's member who never had a key: as before keys
        where = f"group {body['group_id']} takes only members' signatures: " if signed_only else ""
        need(
            row is not None and row["status"] == ACTIVE,
            "countersig_no_key",
            f"{where}{member} has no current key: pair the member's phone and enrol its key first",
        )
        raise RuleViolation(
            f"{entry.kind} is {member}'s consent: it needs {member}'s signature",
            code="countersig_missing",
        )
    key, sig = given
    need(row is not None, "countersig_no_key", f"{member} has no enrolled key to check it by")
    assert row is not None
    if key != row["key"]:
        old = any(h["key"] == key for h in row["history"])
        need(not old, "countersig_key_revoked", f"that key of {member}'s no longer signs")
        raise RuleViolation(f"not signed with {member}'s key", code="countersig_bad")
    statement = statement_for(entry.kind, body, entry.branch)
    need(
        signature_ok(key, statement, sig),
        "countersig_bad",
        f"{member}'s key did not sign this statement",
    )
    digest = hashlib.sha256(statement).hexdigest()
    need(
        state.get(COUNTERSIGS, digest) is None,
        "countersig_replayed",
        "this signed statement was already used by another entry",
    )
    return digest, member, key


def check_countersignature(state: State, entry: Entry) -> None:
    """Raise the RuleViolation an entry's countersignature (or its lack) is refused with:
    `countersig_missing`, `countersig_bad`, `countersig_key_revoked`,
    `countersig_replayed`, `countersig_no_key`; return when it is valid or not needed."""
    _judge(state, entry)


def consent_rows(state: State, entry: Entry) -> list[Change]:
    """What a valid countersignature adds to the state (its statement, spent), or raise as
    `check_countersignature`. Called by `apply.decide` for every entry."""
    judged = _judge(state, entry)
    if judged is None:
        return []
    digest, member, key = judged
    return [Put(COUNTERSIGS, digest, {"entry": entry.hash, "member_id": member, "key": key})]
