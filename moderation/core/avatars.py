"""Deterministic GitHub-style SVG identicons drawn from a short hex digest.

Pure standard-library code: no I/O, no clock, no framework imports.
"""

import colorsys

AVATAR_DIGEST_LENGTH = 16  # hex characters
_HEX_DIGITS = frozenset("0123456789abcdef")
_GRID = 5
_BACKGROUND = "#f0f0f0"
_SATURATION = 0.6
_LIGHTNESS = 0.5


def is_avatar_digest(value: str) -> bool:
    """Return True only for exactly 16 lowercase ASCII hex characters."""
    return (
        isinstance(value, str)
        and len(value) == AVATAR_DIGEST_LENGTH
        and all(ch in _HEX_DIGITS for ch in value)
    )


def _colour(number: int) -> str:
    """Return the #rrggbb foreground colour for a digest's integer value."""
    hue = ((number >> 48) % 360) / 360.0
    red, green, blue = colorsys.hls_to_rgb(hue, _LIGHTNESS, _SATURATION)
    return "#{:02x}{:02x}{:02x}".format(
        round(red * 255), round(green * 255), round(blue * 255)
    )


def _cells(number: int) -> list[tuple[int, int]]:
    """Return the filled (x, y) cells, mirrored left-right, row by row."""
    half = (_GRID + 1) // 2  # columns 0..2 decide, 4..3 mirror them
    filled = set()
    for y in range(_GRID):
        for x in range(half):
            if number >> (y * half + x) & 1:
                filled.update({(x, y), (_GRID - 1 - x, y)})
    if not filled:
        filled = {(_GRID // 2, y) for y in range(_GRID)}
    return sorted(filled, key=lambda cell: (cell[1], cell[0]))


def identicon_svg(digest: str, size: int = 80) -> str:
    """Return a compact standalone SVG 1.1 identicon for a valid digest."""
    if not is_avatar_digest(digest):
        raise ValueError("avatar digest must be 16 lowercase hex characters")
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise ValueError("avatar size must be a positive integer")
    number = int(digest, 16)
    path = "".join(f"M{x} {y}h1v1h-1z" for x, y in _cells(number))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg"'
        f' width="{size}" height="{size}" viewBox="0 0 {_GRID} {_GRID}"'
        ' role="img" aria-label="avatar" shape-rendering="crispEdges">'
        f'<rect width="{_GRID}" height="{_GRID}" fill="{_BACKGROUND}"/>'
        f'<path fill="{_colour(number)}" d="{path}"/>'
        "</svg>"
    )
