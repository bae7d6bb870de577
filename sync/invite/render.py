"""An invite for people: the text, a QR code on the terminal, a PNG to show or print.

The QR holds the text form exactly (alphanumeric mode: capitals, digits and `-`), so
a phone that scans it and a person who types it give `chitnode join` the same code.
"""

from __future__ import annotations

import io
from pathlib import Path

import segno

QR_ERROR_LEVEL = "m"  # recovers ~15% of a smudged or creased printout, at a modest size
PNG_SCALE = 8  # pixels per module: ~500 px across, readable off a phone screen
QR_BORDER_MODULES = 4  # the quiet zone the QR standard asks for


def qr(text: str) -> segno.QRCode:
    return segno.make(text, error=QR_ERROR_LEVEL, micro=False)


def terminal_qr(text: str) -> str:
    """The QR in half-block characters (two modules a character row), for a terminal."""
    out = io.StringIO()
    qr(text).terminal(out=out, border=QR_BORDER_MODULES, compact=True)
    return out.getvalue()


def write_png(text: str, path: Path) -> Path:
    """Write the QR as a PNG (owner-only: whoever holds the code can join until it expires)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    qr(text).save(str(path), kind="png", scale=PNG_SCALE, border=QR_BORDER_MODULES)
    return path


__all__ = ["terminal_qr", "write_png"]
