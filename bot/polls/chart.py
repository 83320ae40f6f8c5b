"""Draw final poll results as a small bar chart PNG, with zlib only (no imaging library)."""

from __future__ import annotations

import struct
import zlib

from bot.polls.results import PollResults

WIDTH = 480
BAR_HEIGHT = 26
GAP = 10
MARGIN = 12
BACKGROUND = (255, 255, 255)
TRACK = (228, 230, 235)
PALETTE = [
    (88, 101, 242),
    (87, 242, 135),
    (254, 231, 92),
    (235, 69, 158),
    (237, 66, 69),
    (52, 152, 219),
    (155, 89, 182),
    (241, 196, 15),
]


def bar_colour(position: int) -> tuple[int, int, int]:
    """Return the colour of an option's bar (the legend in the message uses the same order)."""
    return PALETTE[position % len(PALETTE)]


def results_chart(results: PollResults) -> bytes:
    """Render one bar per option, its length the option's share of the most-voted option."""
    rows = max(1, len(results.options))
    height = 2 * MARGIN + rows * BAR_HEIGHT + (rows - 1) * GAP
    top_votes = max((option.votes for option in results.options), default=0)
    track_width = WIDTH - 2 * MARGIN
    pixels = [bytearray(bytes(BACKGROUND) * WIDTH) for _ in range(height)]
    for index, option in enumerate(results.options):
        y0 = MARGIN + index * (BAR_HEIGHT + GAP)
        filled = round(track_width * option.votes / top_votes) if top_votes else 0
        track = bytes(TRACK) * track_width
        bar = bytes(bar_colour(option.position)) * filled
        for y in range(y0, y0 + BAR_HEIGHT):
            row = pixels[y]
            row[MARGIN * 3 : (MARGIN + track_width) * 3] = track
            row[MARGIN * 3 : (MARGIN + filled) * 3] = bar
    return encode_png(WIDTH, height, pixels)


def encode_png(width: int, height: int, rows: list[bytearray]) -> bytes:
    """Encode 8-bit RGB rows as a PNG file."""
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    """Frame one PNG chunk with its length and CRC."""
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
