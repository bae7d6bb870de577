"""One error root with stable codes (STYLE.md, Errors).

Tests, CLI output and HTTP bodies match `code`, never the message. Every
subclass names its code once; callers raise with a human message.
"""

from __future__ import annotations


class ChitError(Exception):
    """Root of every expected chitnode error. `code` is stable across releases."""

    code = "chit_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class BadFormat(ChitError):
    """Input that is not a well-formed entry, export or canonical JSON."""

    code = "bad_format"


class BadHash(ChitError):
    code = "bad_hash"


class BadSignature(ChitError):
    code = "bad_sig"


class BrokenChain(ChitError):
    code = "broken_chain"


class WrongBranch(ChitError):
    code = "wrong_branch"


class RuleViolation(ChitError):
    """A command or event breaks a domain rule; `code` names the rule."""

    code = "rule_violation"


class Unauthorised(ChitError):
    code = "unauthorised"


class NotFound(ChitError):
    code = "not_found"


class StoreLocked(ChitError):
    """Another process holds the data folder's single-writer lock."""

    code = "store_locked"


class StoreCorrupt(ChitError):
    code = "store_corrupt"


class KeyUnavailable(ChitError):
    """The device secret key cannot be loaded (no keyring entry, wrong passphrase)."""

    code = "key_unavailable"


class NotInitialised(ChitError):
    code = "not_initialised"


class UsageError(ChitError):
    """Bad command-line or API arguments."""

    code = "usage"
