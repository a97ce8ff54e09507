"""PURE: a reader that escapes the bare "&" WordPress leaves in its exports, so they parse.

WordPress writes `wp:comment_author_url` (and a few other fields) without CDATA and without
escaping, so one commenter's `https://example.org/?a=1&b=2` makes the whole export ill-formed
XML; its own importer falls back to regular expressions for that. Here, instead, every `&`
outside a CDATA section that does not start an entity or a character reference becomes
`&amp;` as the bytes stream past — inside CDATA nothing is touched — and the strict, hardened
parser then reads the file. Markers are ASCII, so it works on UTF-8 bytes directly.
"""

from __future__ import annotations

import re
from typing import Any

ENTITY = re.compile(rb"&(?:#[0-9]{1,8}|#x[0-9A-Fa-f]{1,8}|[A-Za-z][A-Za-z0-9]{0,31});")
OPEN, CLOSE = b"<![CDATA[", b"]]>"
LOOKAHEAD = 48  # bytes kept back from each chunk: the longest marker or reference must fit


class BareAmpersands:
    """A binary file's bytes, each bare "&" outside CDATA escaped; `repaired` counts them."""

    def __init__(self, file: Any) -> None:
        self.file = file
        self.pending = b""
        self.in_cdata = False
        self.repaired = 0

    def read(self, size: int = -1) -> bytes:
        """The next repaired bytes (b"" at the end)."""
        while True:
            chunk = self.file.read(size if size and size > 0 else 65536)
            data, final = self.pending + chunk, not chunk
            out, self.pending = self._scan(data, len(data) if final else len(data) - LOOKAHEAD)
            if out or final:
                return out

    def _scan(self, data: bytes, limit: int) -> tuple[bytes, bytes]:
        """The repaired bytes of data before limit (looking past it for markers), and the rest."""
        out, at = bytearray(), 0
        while at < limit:
            if self.in_cdata:
                end = data.find(CLOSE, at)
                if end == -1 or end >= limit:
                    out += data[at:limit]
                    at = limit
                    break
                out += data[at:end + len(CLOSE)]
                at, self.in_cdata = end + len(CLOSE), False
                continue
            amp, cdata = data.find(b"&", at, limit), data.find(OPEN, at)
            cdata = cdata if cdata != -1 and cdata < limit else -1
            following = min(position for position in (amp, cdata, limit) if position != -1)
            out += data[at:following]
            at = following
            if following == limit:
                break
            if following == cdata:
                out += OPEN
                at, self.in_cdata = at + len(OPEN), True
            else:
                escaped = ENTITY.match(data, at) is None
                out += b"&amp;" if escaped else b"&"
                self.repaired += escaped
                at += 1
        return bytes(out), data[max(at, 0):]
