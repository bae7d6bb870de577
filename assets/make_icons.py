"""Draw chitnode's app icons (assets/favicon.png, assets/icons/*.png) with no image library.

The icon: members (dots) around a circle, the rotating pot of a chit fund, on indigo.
Run `python assets/make_icons.py` after changing it; the PNGs are committed. Flet's web
server serves a file from assets/ in place of its own (the Flet logo) of the same name.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
INDIGO = (63, 81, 181)
WHITE = (255, 255, 255)
GOLD = (255, 193, 7)
MEMBERS = 10  # dots around the ring
SIZES = {
    "favicon.png": (64, False),
    "icons/icon-192.png": (192, False),
    "icons/icon-512.png": (512, False),
    "icons/apple-touch-icon-192.png": (192, False),
    "icons/icon-maskable-192.png": (192, True),
    "icons/icon-maskable-512.png": (512, True),
}


def pixel(x: float, y: float, size: int, maskable: bool) -> tuple[int, int, int, int]:
    c = size / 2
    dx, dy = x - c, y - c
    r = math.hypot(dx, dy)
    scale = 0.8 if maskable else 1.0  # maskable icons keep their drawing in the safe zone
    corner = size * 0.22
    inside = maskable or (
        max(abs(dx) - (c - corner), 0) ** 2 + max(abs(dy) - (c - corner), 0) ** 2 <= corner**2
    )
    if not inside:
        return (0, 0, 0, 0)
    ring = size * 0.30 * scale
    for k in range(MEMBERS):
        a = 2 * math.pi * k / MEMBERS - math.pi / 2
        mx, my = c + ring * math.cos(a), c + ring * math.sin(a)
        if math.hypot(x - mx, y - my) <= size * 0.055 * scale:
            return (*(GOLD if k == 0 else WHITE), 255)  # this month's winner, in gold
    if abs(r - ring) <= size * 0.018 * scale:
        return (*WHITE, 200)
    if r <= size * 0.12 * scale:
        return (*GOLD, 255)  # the pot
    return (*INDIGO, 255)


def png(size: int, maskable: bool) -> bytes:
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            rows.extend(pixel(x + 0.5, y + 0.5, size, maskable))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    for name, (size, maskable) in SIZES.items():
        path = HERE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png(size, maskable))


if __name__ == "__main__":
    main()
