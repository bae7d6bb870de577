"""What a peer can get wrong in reconciliation, each with its stable code.

The core raises these on a peer's bad input before it changes anything in the
replica; the shell answers by closing the session (and rate-limiting the peer).
A broken invariant of our own stays an AssertionError: it is a bug, not input.
"""

from __future__ import annotations

from chitnode.errors import ChitError


class BadMessage(ChitError):
    """A frame that is not a message of this protocol (JSON, fields, types, ranges)."""

    code = "bad_message"


class MessageTooBig(BadMessage):
    """A frame, a header line or a list in it over its bound in `sync.limits`."""

    code = "message_too_big"


class UnsupportedVersion(BadMessage):
    code = "unsupported_version"


class BadPage(ChitError):
    """A page that contradicts the request it answers or itself (author, seq, links)."""

    code = "bad_page"


class BadEvidence(ChitError):
    """Fork evidence that is not two different entries of one author at one seq."""

    code = "bad_evidence"


class PageRefused(ChitError):
    """The replica refused a peer's entries; `code` is the check that failed (bad_sig, ...)."""

    code = "page_refused"
