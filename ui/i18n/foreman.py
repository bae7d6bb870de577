"""Strings of the foreman screens (filled by the part that builds them).

Format: see ui/i18n/__init__.py. Keys start with "foreman.".
"""

from __future__ import annotations

MEMBER_FACING = False

STRINGS: dict[str, dict[str, str]] = {}
