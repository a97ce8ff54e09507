"""Text responses compressed for clients that accept it: brotli or gzip, never both, never
for a body too small to gain.

Flask-Compress compresses every text response as it leaves (pages, feeds, avatars). The
static files (embed.js, its catalogues, the stylesheets) are compressed here instead, at the
best level, once each. So are the public list and the HTML fragment: each rendered page is
compressed once per encoding and kept in the page cache beside it, so the WSGI shortcut
(`fastpath`) and the views send the same bytes without compressing again.
A compressed answer's ETag is weak (as nginx makes it): the same page in another encoding
is not byte-for-byte the same, and the list revalidates by weak comparison anyway.
The moderators' pages and the readers' link pages are never compressed: they hold a secret (a
CSRF token, the link's own) next to text a stranger chose (a comment, a search, an article's
title), which is what BREACH needs to read the secret from the sizes.
"""

from __future__ import annotations

import gzip
from collections.abc import Hashable
from functools import lru_cache

import brotli
from flask import Flask, Response, request
from flask_compress import Compress
from werkzeug.datastructures import Headers
from werkzeug.http import parse_accept_header

from moderation.web.pagecache import PageCache

ENCODINGS = ("br", "gzip")  # brotli first: smaller at the same cost
MIN_SIZE = 500  # below this the headers cost more than the bytes saved
BROTLI_QUALITY, GZIP_LEVEL = 5, 6
TEXT_TYPES = ["text/html", "text/css", "text/plain", "text/xml", "text/javascript", "application/javascript",
              "application/json", "application/atom+xml", "image/svg+xml"]


UNCOMPRESSED = ("/moderate/", "/notices/")  # pages that carry a secret (CSRF, a reader's link) beside others' text
MAX_BUFFERED = 1 << 20  # a text file sent from disk (embed.js, a stylesheet) is read to be compressed


def init_app(app: Flask) -> None:
    """Compress every text response that the views below did not compress already."""
    app.config.update(COMPRESS_ALGORITHM=list(ENCODINGS), COMPRESS_MIMETYPES=TEXT_TYPES, COMPRESS_MIN_SIZE=MIN_SIZE,
                      COMPRESS_BR_LEVEL=BROTLI_QUALITY, COMPRESS_LEVEL=GZIP_LEVEL, COMPRESS_STREAMS=False)
    _Compress(app)
    app.after_request(_read_small_files)  # registered after Compress's hook, so it runs before it


class _Compress(Compress):
    """Flask-Compress, but not for the pages that hold a secret (see above: BREACH)."""

    def after_request(self, response: Response | None) -> Response:
        """Compress the response unless it is one of the pages that hold a secret."""
        if response is not None and request.path.startswith(UNCOMPRESSED):
            return response
        return super().after_request(response)


def _read_small_files(response: Response) -> Response:
    """A small text file from disk (embed.js, a catalogue, a stylesheet) compressed at brotli's or gzip's
    best, once per content and encoding: a file that never changes is worth the extra milliseconds."""
    if not (response.is_streamed and response.direct_passthrough and response.mimetype in TEXT_TYPES
            and (response.content_length or MAX_BUFFERED + 1) <= MAX_BUFFERED):
        return response
    response.direct_passthrough = False
    response.make_sequence()
    encoding = chosen(request.headers.get("Accept-Encoding"))
    if response.status_code == 200 and encoding and (response.content_length or 0) >= MIN_SIZE:
        response.set_data(_packed(response.get_data(), encoding))
        response.headers["Content-Encoding"] = encoding  # so Flask-Compress leaves it be
        etag, _ = response.get_etag()
        if etag:
            response.set_etag(etag, weak=True)  # the file's own ETag, in another encoding
    return response


@lru_cache(maxsize=32)
def _packed(body: bytes, encoding: str) -> bytes:
    """A static file's bytes compressed at the best level (the few files there are, each kept once)."""
    if encoding == "br":
        return bytes(brotli.compress(body, quality=11))
    return gzip.compress(body, 9, mtime=0)


def chosen(accept_encoding: str | None) -> str | None:
    """The encoding to send for this Accept-Encoding: the client's most preferred of ours, or None."""
    if not accept_encoding:
        return None
    accepted = parse_accept_header(accept_encoding)
    best = max(ENCODINGS, key=lambda encoding: (accepted[encoding], -ENCODINGS.index(encoding)))
    return best if accepted[best] > 0 else None


def compress(body: bytes, encoding: str) -> bytes:
    """The body in one of ENCODINGS (gzip with no timestamp, so the same page gives the same bytes)."""
    if encoding == "br":
        return bytes(brotli.compress(body, quality=BROTLI_QUALITY))
    return gzip.compress(body, GZIP_LEVEL, mtime=0)


def encoded(pages: PageCache, key: Hashable, body: bytes, encoding: str | None) -> tuple[bytes, str | None]:
    """The page in the chosen encoding (None when too small to gain), compressed once and kept beside it."""
    if encoding is None or len(body) < MIN_SIZE:
        return body, None
    return pages.get_or_render((key, encoding), lambda: compress(body, encoding)), encoding


def etag_value(etag: str, encoding: str | None) -> str:
    """The ETag header of a page for a client that takes `encoding`: weak when it may go out compressed."""
    return f'W/"{etag}"' if encoding else f'"{etag}"'


def add_headers(headers: Headers | dict[str, str], encoding: str | None) -> None:
    """Content-Encoding for a compressed body; Vary: Accept-Encoding always (the answer depends on it)."""
    if encoding:
        headers["Content-Encoding"] = encoding
    vary = headers.get("Vary")
    headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
