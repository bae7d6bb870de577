"""Heads witnessed at the meeting (issue 15, point 5): `heads.witnessed`.

At the close of a meeting the devices and the member phones present sign the log's heads
as of that moment: one `[author, seq, hash]` per feed. A staff device (the foreman's
laptop) writes them as the author of a `heads.witnessed` entry, which its device key signs;
each member present adds a signature with their enrolled member key over the witness
statement (`statement`, below). Whoever keeps a copy (a member's phone, another device)
can later catch a node that shows a different history (a split view): any log that lacks
one of those entries, or holds another entry at its place, is not the log that was
witnessed (`chitnode.services.witness.check_against`; docs/witness.md).

The entry's body:

    {"group_id": str, "month": int, "heads": [[author, seq, hash], ...],
     "witnesses": [{"member_id": str, "key": hex64, "sig": hex128}, ...]}   (optional)

The fold checks:

- `heads`: 1..WITNESS_HEADS_MAX items, sorted by author, one per author, each a
  64-hex author, a seq >= 1 and a 64-hex hash (`witness_heads_bad`);
- each head of *another* feed is one of the entry's `deps` exactly, so wal-v1 §4 holds the
  entry until this log has every entry it names (a witness may have seen entries this node
  has not yet: the claim waits, it is not refused); the writer's own head is its own feed
  below the entry (its `prev` when just below it) (`witness_heads_not_held`). The writer
  pins those deps (Node: `_pinned_deps`), as a lease grant pins its votes;
- `witnesses`: at most WITNESSES_MAX, one per member (`witness_duplicate`), each signed by
  that member's current key (`countersig_no_key`, `countersig_key_revoked`,
  `countersig_bad`, as a consent's countersignature);
- the group exists and the month is one of its months (`unknown_group`, `bad_month`).

Table `heads_witnessed` [<author>:<seq> of the entry]: group_id, month, heads, witnesses
(member ids). Pure (DESIGN.md): signatures are checked by `chitnode.log.statement`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chitnode.domain import chit_kinds_base as base
from chitnode.domain import limits
from chitnode.domain.kinds import STAFF, kind
from chitnode.domain.member_keys import ACTIVE, MEMBER_KEYS
from chitnode.domain.state import Change, Put, State
from chitnode.errors import RuleViolation
from chitnode.log.canonical import canonical
from chitnode.log.entry import HEX64_RE, HEX128_RE, Entry
from chitnode.log.statement import signature_ok

KIND = "heads.witnessed"
# The witness statement's `ns`: versioned, and no other message a member key signs has it
# (a consent's is chitnode.consent.v1).
NAMESPACE = "chitnode.witness.v1"
TABLE = "heads_witnessed"
BODY_FIELDS = frozenset({"group_id", "month", "heads"})
BODY_OPTIONAL = frozenset({"witnesses", "cmd_id"})
WITNESS_FIELDS = frozenset({"member_id", "key", "sig"})

Head = tuple[str, int, str]  # (author, seq, hash): one feed's head


def need(cond: bool, code: str, message: str) -> None:
    if not cond:
        raise RuleViolation(message, code=code)


def statement(branch: str, group_id: str, month: int, heads: Sequence[Head]) -> bytes:
    """The exact bytes a member signs to witness `heads` at `group_id`'s meeting of `month`
    in `branch`: canonical JSON (wal-v1 §2) of {ns, branch, group_id, month, heads}."""
    return canonical(
        {
            "ns": NAMESPACE,
            "branch": branch,
            "group_id": group_id,
            "month": month,
            "heads": [list(h) for h in heads],
        }
    )


def parse_heads(value: object) -> list[Head]:
    """The `heads` of a body or a witness file, checked well formed; RuleViolation
    `witness_heads_bad` otherwise."""
    bad = "heads are 1..{} items [author hex64, seq >= 1, hash hex64], one per author, sorted"
    bad = bad.format(limits.WITNESS_HEADS_MAX)
    ok = isinstance(value, list) and 0 < len(value) <= limits.WITNESS_HEADS_MAX
    heads: list[Head] = []
    for item in value if ok and isinstance(value, list) else []:
        if not (isinstance(item, list) and len(item) == 3):
            ok = False
            break
        author, seq, digest = item
        ok = (
            isinstance(author, str)
            and HEX64_RE.match(author) is not None
            and base.is_int(seq)
            and seq >= 1
            and isinstance(digest, str)
            and HEX64_RE.match(digest) is not None
        )
        if not ok:
            break
        heads.append((author, seq, digest))
    authors = [h[0] for h in heads]
    need(ok and authors == sorted(set(authors)), "witness_heads_bad", bad)
    return heads


def _check_held(entry: Entry, heads: list[Head]) -> None:
    """Every head names an entry this log has placed before `entry` (wal-v1 §4 holds it
    until then): another feed's head through the deps, the writer's own through `prev`."""
    deps = set(entry.deps)
    for head in heads:
        author, seq, digest = head
        if author == entry.author:
            ok = seq < entry.seq and (seq != entry.seq - 1 or digest == entry.prev)
        else:
            ok = head in deps
        need(
            ok,
            "witness_heads_not_held",
            f"the witnessed head {author[:12]}…:{seq} is not among the entry's deps (or its"
            " own earlier entries): write it with the heads pinned as deps",
        )


def _check_witnesses(state: State, value: object, signed: bytes) -> list[str]:
    """The member ids of `value`'s witnesses, each signature checked against the member's
    current key; RuleViolation otherwise."""
    ok = isinstance(value, list) and len(value) <= limits.WITNESSES_MAX
    need(ok, "bad_body", f"witnesses: a list of at most {limits.WITNESSES_MAX}")
    members: list[str] = []
    for item in value if isinstance(value, list) else []:
        ok = isinstance(item, dict) and set(item) == WITNESS_FIELDS
        mid, key, sig = (item.get(f) for f in ("member_id", "key", "sig")) if ok else ("", "", "")
        ok = ok and isinstance(mid, str) and isinstance(key, str) and isinstance(sig, str)
        ok = ok and HEX64_RE.match(str(key)) is not None and HEX128_RE.match(str(sig)) is not None
        need(ok, "bad_body", 'a witness is {"member_id", "key": 64 hex, "sig": 128 hex}')
        mid, key, sig = str(mid), str(key), str(sig)
        need(mid not in members, "witness_duplicate", f"{mid} witnesses once per entry")
        base.member_row(state, mid)
        row = state.get(MEMBER_KEYS, mid)
        current = row is not None and row["status"] == ACTIVE
        need(current, "countersig_no_key", f"{mid} has no current key to check a signature by")
        assert row is not None
        if key != row["key"]:
            old = any(h["key"] == key for h in row["history"])
            need(not old, "countersig_key_revoked", f"that key of {mid}'s no longer signs")
            raise RuleViolation(f"not signed with {mid}'s key", code="countersig_bad")
        need(
            signature_ok(key, signed, sig),
            "countersig_bad",
            f"{mid}'s key did not sign these heads",
        )
        members.append(mid)
    return members


def witness_body(body: Mapping[str, Any]) -> tuple[str, int, list[Head]]:
    """(group_id, month, heads) of a `heads.witnessed` body, its fields and heads checked."""
    fields = set(body)
    ok = BODY_FIELDS <= fields <= BODY_FIELDS | BODY_OPTIONAL
    need(ok, "bad_body", f"{KIND} body is {{group_id, month, heads[, witnesses]}}")
    gid, month = body["group_id"], body["month"]
    need(isinstance(gid, str) and base.is_int(month), "bad_body", "group_id: str, month: int")
    return str(gid), int(month), parse_heads(body["heads"])


@kind(
    KIND,
    STAFF,
    summary="The log's heads at a meeting's close, signed by the device and members present.",
)
def heads_witnessed(state: State, entry: Entry) -> list[Change]:
    gid, month, heads = witness_body(entry.body)
    group = base.group_row(state, gid)
    base.month_of(entry.body, group)
    _check_held(entry, heads)
    signed = statement(entry.branch, gid, month, heads)
    members = _check_witnesses(state, entry.body.get("witnesses", []), signed)
    row = {
        "group_id": gid,
        "month": month,
        "heads": [list(h) for h in heads],
        "witnesses": members,
        "hash": entry.hash,
    }
    return [Put(TABLE, f"{entry.author}:{entry.seq}", row)]
