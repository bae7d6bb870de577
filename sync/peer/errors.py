"""What can go wrong on a peer connection, each with its stable code (docs/sync.md)."""

from __future__ import annotations

from chitnode.errors import ChitError


class PeerTimeout(ChitError):
    """The peer stopped answering (resends gave nothing)."""

    code = "peer_timeout"


class RateLimited(ChitError):
    """The peer sent frames faster than a session allows."""

    code = "rate_limited"


class NotEnrolled(ChitError):
    """No active device of this branch is at the other end (anonymous, revoked, unknown)."""

    code = "not_enrolled"


class TooManySessions(ChitError):
    """The server holds as many sessions as it allows (in all, or for that device)."""

    code = "too_many_sessions"


class PeerUnreachable(ChitError):
    """No connection: refused, timed out, or TLS failed (e.g. our certificate not trusted)."""

    code = "peer_unreachable"


class ConnectionLost(ChitError):
    """The connection closed before the session finished."""

    code = "connection_lost"
