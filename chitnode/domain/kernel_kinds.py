"""Kernel kinds: genesis, device enrolment (wal-v1 §5) and leases (coordination-v1).

Tables written here:
- `branch` ["branch"]: name, root, id
- `devices` [key]: role, name, status ("active" | "revoked"), enrolled_by, reason, after_seq
- `electorates` [scope]: keys, lease_ms
- `votes` [scope|term|voter]: candidate, seq, hash
- `grants` [scope|term]: holder, seq
- `leases` [scope|holder]: term, status ("held" | "transferred" | "released")
- `frozen` [author]: reason, seq  (double votes; forks are frozen by the engine)
- `fork_resolutions` [author|fork seq]: keep, by_seq, by_hash (the root's own forks)
- `channel_certs` [key]: cert_b64, fingerprint, by, seq (a device's peer-channel certificate)
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from chitnode.domain import limits
from chitnode.domain.authority import AFTER_SEQ, check_after_seq
from chitnode.domain.kinds import ADMIN, MANAGERS, ROLES, kind
from chitnode.domain.state import Change, Put, State
from chitnode.errors import RuleViolation
from chitnode.log import channel
from chitnode.log.entry import HEX64_RE, Entry
from chitnode.log.forks import RESOLVED, resolution_body

GENESIS = "branch.genesis"
COORDINATOR_ROLES = MANAGERS


def _need(cond: bool, code: str, message: str) -> None:
    if not cond:
        raise RuleViolation(message, code=code)


def _hex64(value: Any) -> bool:
    return isinstance(value, str) and HEX64_RE.match(value) is not None


def _body_fields(entry: Entry, fields: set[str]) -> None:
    _need(set(entry.body) == fields, "bad_body", f"{entry.kind} body must be {sorted(fields)}")


@kind(GENESIS, ADMIN, summary="Founds the branch; the root admin key's first entry.")
def genesis(state: State, entry: Entry) -> list[Change]:
    _body_fields(entry, {"branch_name", "root"})
    _need(state.get("branch", "branch") is None, "already_founded", "branch already has a genesis")
    _need(entry.seq == 1 and entry.body["root"] == entry.author, "unauthorised", "genesis by root")
    name = entry.body["branch_name"]
    _need(isinstance(name, str) and 0 < len(name) <= 200, "bad_body", "branch_name")
    row = {"id": entry.branch, "name": name, "root": entry.author, "founded_ms": entry.ts}
    return [Put("branch", "branch", row)]


@kind("device.enrolled", ADMIN, summary="Admits a device key with a role.")
def device_enrolled(state: State, entry: Entry) -> list[Change]:
    _body_fields(entry, {"key", "role", "name"})
    key, role, name = entry.body["key"], entry.body["role"], entry.body["name"]
    _need(_hex64(key), "bad_body", "key must be 64 lowercase hex")
    _need(role in ROLES, "bad_role", f"role must be one of {ROLES}")
    _need(isinstance(name, str) and 0 < len(name) <= 200, "bad_body", "name")
    old = state.get("devices", key)
    if old is not None and old["status"] == "revoked":
        raise RuleViolation("a revoked key stays revoked", code="key_revoked")
    row = {"role": role, "name": name, "status": "active", "enrolled_by": entry.author}
    return [Put("devices", key, {**row, "enrolled_seq": entry.seq, "reason": ""})]


@kind("device.revoked", ADMIN, summary="Ends a device key.")
def device_revoked(state: State, entry: Entry) -> list[Change]:
    # wal-v1 §5 as amended: `after_seq`, the key's last valid seq; older revocations lack it
    fields = set(entry.body) - {AFTER_SEQ}
    _need(fields == {"key", "reason"}, "bad_body", "device.revoked body is key, reason, after_seq")
    after_seq = check_after_seq(entry.body)
    key, reason = entry.body["key"], entry.body["reason"]
    old = state.get("devices", key) if isinstance(key, str) else None
    _need(old is not None, "unknown_device", "no such enrolled device")
    assert old is not None
    if old["status"] != "active":
        raise RuleViolation("device already revoked", code="already_revoked")
    _need(isinstance(reason, str) and len(reason) <= 500, "bad_body", "reason")
    root = state.get("branch", "branch")
    _need(
        root is None or key != root["root"], "cannot_revoke_root", "the root key cannot be revoked"
    )
    row = {**old, "status": "revoked", "reason": reason, AFTER_SEQ: after_seq}
    return [Put("devices", key, row)]


CHANNEL_BOUND = "device.channel_bound"
CHANNEL_CERTS = "channel_certs"  # [key]: cert_b64, fingerprint, by, seq


@kind(CHANNEL_BOUND, frozenset(ROLES), summary="Binds a device's peer-channel certificate.")
def device_channel_bound(state: State, entry: Entry) -> list[Change]:
    """Any active device binds its own certificate (`cert_b64`); an admin may bind a
    device's certificate for it (`key`, `cert_b64`, `sig_b64`: the device's signature
    over the binding, `chitnode.log.channel`), so a joining device is enrolled with its
    certificate at once. A later binding replaces the earlier one (a new certificate)."""
    fields = set(entry.body)
    if fields == {"cert_b64"}:
        key = entry.author
    else:
        _body_fields(entry, {"key", "cert_b64", "sig_b64"})
        key = entry.body["key"]
        _need(_hex64(key), "bad_body", "key must be 64 lowercase hex")
        author = state.get("devices", entry.author)
        admin = _is_root(state, entry.author) or (author is not None and author["role"] == "admin")
        _need(admin, "unauthorised", "only an admin binds another device's certificate")
    cert = _b64(entry.body["cert_b64"], limits.CHANNEL_CERT_BYTES_MAX, "cert_b64")
    _need(_active(state, key), "unknown_device", "the certificate's device is not active")
    if key != entry.author:
        sig = _b64(entry.body["sig_b64"], channel.SIG_BYTES, "sig_b64")
        if not channel.binding_ok(entry.branch, key, cert, sig):
            msg = "sig_b64 is not the device's signature of the binding"
            raise RuleViolation(msg, code="bad_channel_binding")
    row = {"cert_b64": entry.body["cert_b64"], "fingerprint": channel.cert_fingerprint(cert)}
    return [Put(CHANNEL_CERTS, key, {**row, "by": entry.author, "seq": entry.seq})]


def _b64(value: Any, bytes_max: int, name: str) -> bytes:
    """Strict base64 (the one canonical text of its bytes), 1..bytes_max bytes."""
    ok = isinstance(value, str) and 0 < len(value) <= 4 * (bytes_max + 2) // 3
    raw = b""
    if ok:
        try:
            raw = base64.b64decode(value, validate=True)
        except ValueError:
            ok = False
    ok = ok and 0 < len(raw) <= bytes_max and base64.b64encode(raw).decode() == value
    _need(ok, "bad_body", f"{name} must be base64 of 1..{bytes_max} bytes")
    return raw


def channel_certs(state: State) -> dict[str, bytes]:
    """key -> DER certificate of every active (not revoked) device that bound one."""
    rows = state.rows(CHANNEL_CERTS).items()
    return {key: base64.b64decode(row["cert_b64"]) for key, row in rows if _active(state, key)}


def _is_root(state: State, key: str) -> bool:
    root = state.get("branch", "branch")
    return root is not None and key == root["root"]


def _active(state: State, key: str) -> bool:
    """The root, or an enrolled device not revoked."""
    device = state.get("devices", key)
    return _is_root(state, key) or (device is not None and device["status"] == "active")


@kind(RESOLVED, ADMIN, summary="The root keeps one line of its own fork (docs/forks.md).")
def fork_resolved(state: State, entry: Entry) -> list[Change]:
    """Which line of the root's forked feed counts is the fold engine's rule
    (`chitnode/log/forks.py`): it reads this entry before it is applied. Applied, it is
    recorded so the resolution can be listed."""
    _body_fields(entry, {"seq", "keep"})
    resolves = resolution_body(entry.body)
    _need(resolves is not None, "bad_body", "seq is a fork seq >= 2, keep an entry hash")
    assert resolves is not None
    root = state.get("branch", "branch")
    _need(root is not None and entry.author == root["root"], "not_root", "only the root")
    _need(resolves[0] < entry.seq, "bad_body", "a resolution comes after the fork it resolves")
    row = {"keep": resolves[1], "by_seq": entry.seq, "by_hash": entry.hash}
    return [Put("fork_resolutions", f"{entry.author}|{resolves[0]}", row)]


def electorate(state: State, scope: str) -> tuple[list[str], int]:
    """The devices that may vote and hold `scope`, and the lease length; default: root alone."""
    row = state.get("electorates", scope)
    if row is not None:
        return list(row["keys"]), int(row["lease_ms"])
    branch = state.get("branch", "branch")
    return ([branch["root"]] if branch else []), limits.LEASE_DEFAULT_MS


def check_scope(value: Any) -> str:
    ok = isinstance(value, str) and (value == "treasury" or value.startswith("group:"))
    _need(ok and len(value) <= 80, "bad_scope", "scope is 'treasury' or 'group:<id>'")
    return str(value)


def check_term(value: Any) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    _need(ok, "bad_term", "term must be an integer >= 1")
    return int(value)


@kind("scope.electorate_set", ADMIN, summary="Names the devices that vote for and hold a scope.")
def electorate_set(state: State, entry: Entry) -> list[Change]:
    _body_fields(entry, {"scope", "keys", "lease_ms"})
    scope = check_scope(entry.body["scope"])
    keys, lease_ms = entry.body["keys"], entry.body["lease_ms"]
    _need(isinstance(keys, list) and 0 < len(keys) <= 15, "bad_body", "1..15 keys")
    _need(all(_hex64(k) for k in keys) and len(set(keys)) == len(keys), "bad_body", "keys")
    root = (state.get("branch", "branch") or {}).get("root")
    for key in keys:
        device = state.get("devices", key)
        ok = key == root or (
            device is not None
            and device["status"] == "active"
            and device["role"] in COORDINATOR_ROLES
        )
        _need(ok, "bad_electorate", "electorate members must be active admin or foreman devices")
    ok_ms = isinstance(lease_ms, int) and not isinstance(lease_ms, bool) and lease_ms > 0
    _need(ok_ms, "bad_body", "lease_ms must be a positive integer")
    return [Put("electorates", scope, {"keys": sorted(keys), "lease_ms": lease_ms})]


@kind("lease.vote", MANAGERS, summary="A signed vote for a lease candidate for one term.")
def lease_vote(state: State, entry: Entry) -> list[Change]:
    _body_fields(entry, {"scope", "term", "candidate"})
    scope, term = check_scope(entry.body["scope"]), check_term(entry.body["term"])
    candidate = entry.body["candidate"]
    _need(_hex64(candidate), "bad_body", "candidate must be a key")
    keys, _ = electorate(state, scope)
    _need(entry.author in keys, "not_in_electorate", "voter is not in the scope's electorate")
    vote_key = f"{scope}|{term}|{entry.author}"
    old = state.get("votes", vote_key)
    if old is not None and old["candidate"] != candidate:
        frozen = {"reason": "double_vote", "seq": entry.seq, "scope": scope, "term": term}
        # coordination-v1 rule 1: kept as evidence, author frozen (the entry stays rejected)
        return [Put("frozen", entry.author, frozen)]
    _need(old is None, "duplicate_vote", "already voted for this candidate")
    row = {"candidate": candidate, "seq": entry.seq, "hash": entry.hash}
    return [Put("votes", vote_key, row)]


def _grant_votes(state: State, entry: Entry, scope: str, term: int) -> None:
    votes = entry.body["votes"]
    _need(isinstance(votes, list) and 0 < len(votes) <= 15, "bad_body", "votes")
    dep_hashes = {d[2] for d in entry.deps}
    voters: set[str] = set()
    keys, _ = electorate(state, scope)
    for item in votes:
        _need(isinstance(item, list) and len(item) == 3, "bad_body", "vote is [author, seq, hash]")
        voter, _, vote_hash = item
        row = state.get("votes", f"{scope}|{term}|{voter}") if isinstance(voter, str) else None
        valid = row is not None and row["hash"] == vote_hash and row["candidate"] == entry.author
        _need(valid and voter in keys, "bad_vote", "a listed vote is not a valid vote for you")
        _need(voter == entry.author or vote_hash in dep_hashes, "bad_vote", "votes must be in deps")
        voters.add(str(voter))
    _need(2 * len(voters) > len(keys), "no_majority", "votes are not a strict majority")


@kind("lease.granted", MANAGERS, summary="Takes a scope's lease for a term, by votes or transfer.")
def lease_granted(state: State, entry: Entry) -> list[Change]:
    body = entry.body
    _need(
        set(body) in ({"scope", "term", "votes"}, {"scope", "term", "transfer"}),
        "bad_body",
        "lease.granted body is {scope, term, votes} or {scope, term, transfer}",
    )
    scope, term = check_scope(body["scope"]), check_term(body["term"])
    _need(state.get("grants", f"{scope}|{term}") is None, "term_taken", "term already granted")
    if "votes" in body:
        _grant_votes(state, entry, scope, term)
    else:
        _grant_transfer(state, entry, scope, term)
    return [
        Put("grants", f"{scope}|{term}", {"holder": entry.author, "seq": entry.seq}),
        Put(
            "leases", f"{scope}|{entry.author}", {"term": term, "status": "held", "seq": entry.seq}
        ),
    ]


def _grant_transfer(state: State, entry: Entry, scope: str, term: int) -> None:
    ref = entry.body["transfer"]
    _need(isinstance(ref, list) and len(ref) == 3, "bad_body", "transfer is [author, seq, hash]")
    holder = ref[0]
    row = state.get("transfers", f"{scope}|{term - 1}")
    ok = row is not None and row["holder"] == holder and row["to"] == entry.author
    _need(ok and row is not None and row["hash"] == ref[2], "bad_transfer", "no such transfer")
    _need(ref[2] in {d[2] for d in entry.deps}, "bad_transfer", "transfer must be in deps")


def _held_term(state: State, entry: Entry) -> tuple[str, int]:
    _need(set(entry.body) >= {"scope", "term"}, "bad_body", "needs scope and term")
    scope, term = check_scope(entry.body["scope"]), check_term(entry.body["term"])
    lease = state.get("leases", f"{scope}|{entry.author}")
    ok = lease is not None and lease["term"] == term and lease["status"] == "held"
    _need(ok, "not_lease_holder", "author does not hold this scope's lease at this term")
    return scope, term


@kind("lease.transferred", MANAGERS, summary="Hands a held lease to another device.")
def lease_transferred(state: State, entry: Entry) -> list[Change]:
    _body_fields(entry, {"scope", "term", "to"})
    scope, term = _held_term(state, entry)
    to = entry.body["to"]
    keys, _ = electorate(state, scope)
    _need(_hex64(to) and to in keys and to != entry.author, "bad_body", "to must be another voter")
    transfer = {"holder": entry.author, "to": to, "hash": entry.hash, "seq": entry.seq}
    return [
        Put("transfers", f"{scope}|{term}", transfer),
        Put(
            "leases",
            f"{scope}|{entry.author}",
            {"term": term, "status": "transferred", "seq": entry.seq},
        ),
    ]


@kind("lease.released", MANAGERS, summary="Gives up a held lease.")
def lease_released(state: State, entry: Entry) -> list[Change]:
    _body_fields(entry, {"scope", "term"})
    scope, term = _held_term(state, entry)
    row = {"term": term, "status": "released", "seq": entry.seq}
    return [Put("leases", f"{scope}|{entry.author}", row)]


def _grants(state: State) -> Iterator[tuple[str, tuple[int, str, int]]]:
    """(scope, (term, holder, seq)) of every grant (the `grants` table, keyed scope|term):
    the one reading of that table."""
    for key, grant in state.rows("grants").items():
        scope, _, term = key.rpartition("|")
        yield scope, (int(term), str(grant["holder"]), int(grant["seq"]))


def grants_of(state: State, scope: str) -> Iterator[tuple[int, str, int]]:
    """(term, holder, seq) of each grant of `scope`."""
    return (grant for g_scope, grant in _grants(state) if g_scope == scope)


def latest_grant(state: State, scope: str) -> tuple[int, str, int] | None:
    """(term, holder, seq) of `scope`'s highest granted term; None before any grant."""
    return max(grants_of(state, scope), default=None)


def latest_grants(state: State) -> dict[str, tuple[int, str, int]]:
    """Each granted scope's highest (term, holder, seq)."""
    best: dict[str, tuple[int, str, int]] = {}
    for scope, grant in _grants(state):
        if grant > best.get(scope, (0, "", 0)):
            best[scope] = grant
    return best


def higher_grants_seen(state: State, entry: Entry, scope: str, term: int) -> Iterator[bool]:
    """For each grant of `scope` above `term`: whether `entry`'s author had seen it (wrote
    it, or names its seq or later in the entry's deps)."""
    seen = {d[0]: d[1] for d in entry.deps}
    for g_term, holder, seq in grants_of(state, scope):
        if g_term > term:
            yield holder == entry.author or seen.get(holder, 0) >= seq


def check_coordinated(state: State, entry: Entry) -> None:
    """coordination-v1 rule 3: author holds (scope, term) and has seen no higher grant."""
    scope, term = _held_term(state, entry)
    if any(higher_grants_seen(state, entry, scope, term)):
        raise RuleViolation("a higher term of this scope was granted", code="stale_term")
