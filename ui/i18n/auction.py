"""Strings of the auction screens (filled by the part that builds them).

Format: see ui/i18n/__init__.py. Keys start with "auction.".
"""

from __future__ import annotations

MEMBER_FACING = True

STRINGS: dict[str, dict[str, str]] = {}
