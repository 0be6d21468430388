"""Draw the resident pages' home-screen icons (run once; the PNGs are committed).

    python3 scripts/ledger_icons.py

A coin on the brand blue, filling the whole square ("maskable": a phone may cut it to a
circle or a rounded square, so everything that matters is inside the middle 80 %). Plain
Python (zlib), so it needs nothing installed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src/buurtkit/ledger/static/ledger/icons"
BLUE = (0x0B, 0x53, 0x94)
WHITE = (0xFF, 0xFF, 0xFF)
GOLD = (0xFF, 0xBF, 0x47)


def pixel(x: float, y: float) -> tuple[int, int, int]:
    """The colour at (x, y) in a unit square centred on (0, 0)."""
    r = (x * x + y * y) ** 0.5
    if r < 0.30:
        # the coin's face: a white "t" on gold
        if abs(x + 0.02) < 0.045 and -0.19 < y < 0.17:
            return WHITE
        if abs(y + 0.07) < 0.04 and -0.13 < x < 0.11:
            return WHITE
        if 0.10 < y < 0.17 and -0.02 < x < 0.12 and (x - 0.12) ** 2 + (y - 0.10) ** 2 > 0.0049:
            return WHITE
        return GOLD
    if r < 0.36:
        return WHITE
    return BLUE


def png(size: int) -> bytes:
    rows = bytearray()
    for j in range(size):
        rows.append(0)  # no filter
        for i in range(size):
            x, y = (i + 0.5) / size - 0.5, (j + 0.5) / size - 0.5
            rows.extend(pixel(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (OUT / f"icon-{size}.png").write_bytes(png(size))
        print(OUT / f"icon-{size}.png")
