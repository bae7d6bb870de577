"""Who a browser session is, and what it may ask the node to write.

DESIGN.md: phones are not nodes; a member's act is signed by the serving node with the
authenticated member recorded as `actor`. The gate is where that record is made: every
command a session submits passes `check`, which refuses a member session anything but
the member's own acts and stamps the session's member id on the body, whatever the
browser sent. The kernel checks the rest (a bid's ticket is the actor's, and so on).
A guest (a phone before login) may submit nothing.

The foreman's node must never be able to speak for a member beyond this: issue 15 adds
the member's own signature; until then `actor` names the member the session proved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chitnode.errors import ChitError

STAFF = "staff"
MEMBER = "member"
GUEST = "guest"

# A member's own acts (docs/chit-law-actors.md), and the field naming the member in each.
MEMBER_KINDS: dict[str, str] = {
    "auction.bid": "",  # the kernel checks the ticket is the actor's
    "lot.contributed": "",
    "minutes.attested": "attester",
    "agreement.signed": "member_id",
    "loan.applied": "member_id",
    "wallet.transferred": "from_member_id",
    "bank.deposit_requested": "member_id",
    "bank.withdrawal_requested": "member_id",
}


class NotAllowedHere(ChitError):
    """A session asked for a write its login does not allow (a member for a staff act)."""

    code = "not_allowed_here"


@dataclass(frozen=True, slots=True)
class Who:
    """The person behind one browser session, as the session proved it."""

    role: str  # STAFF | MEMBER | GUEST
    member_id: str = ""  # for MEMBER
    name: str = ""
    device_role: str = ""  # for STAFF: the serving device's role (admin, foreman, ...)

    @property
    def is_admin(self) -> bool:
        return self.role == STAFF and self.device_role == "admin"

    @property
    def is_auditor(self) -> bool:
        return self.role == STAFF and self.device_role == "auditor"

    @property
    def is_staff(self) -> bool:
        return self.role == STAFF

    @property
    def is_member(self) -> bool:
        return self.role == MEMBER and bool(self.member_id)


GUEST_WHO = Who(GUEST)


def check(who: Who, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body to submit for `who`, or NotAllowedHere. Never trusts the browser's body."""
    if who.is_auditor:  # an auditor reads and verifies; it never writes (issue 13)
        raise NotAllowedHere(f"an auditor's session writes nothing ({kind})")
    if who.is_staff:
        return dict(body)
    if not who.is_member:
        raise NotAllowedHere(f"log in before asking for {kind}")
    if kind not in MEMBER_KINDS:
        raise NotAllowedHere(f"{kind} is a staff act; a member's session cannot ask for it")
    stamped = dict(body)
    field = MEMBER_KINDS[kind]
    if field:
        named = stamped.setdefault(field, who.member_id)
        if named != who.member_id:
            raise NotAllowedHere(f"{kind} names {named}: a member acts only for themselves")
    given = stamped.setdefault("actor", who.member_id)
    if given != who.member_id:
        raise NotAllowedHere(f"{kind} names {given} as actor: a member acts only for themselves")
    return stamped
