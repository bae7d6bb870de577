"""Strings of the meeting screens (filled by the part that builds them).

Format: see ui/i18n/__init__.py. Keys start with "meeting.".
"""

from __future__ import annotations

MEMBER_FACING = False

STRINGS: dict[str, dict[str, str]] = {}
