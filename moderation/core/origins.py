"""PURE: web origins — normalizing them, and choosing where a reader may be sent back to.

CORS (which sites may call the public API) and the plain form's redirect (where a reader
returns after posting) both ask the same question: is this URL's origin on the list?
A URL that a browser might read differently from Python is refused, never repaired.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Browsers drop or reinterpret these (tabs, newlines, spaces, backslashes as slashes),
# so a URL holding any of them could lead somewhere other than where it seems to.
AMBIGUOUS = re.compile(r"[\x00-\x20\x7f\\]")


def origin_of(url: str) -> str | None:
    """The origin `scheme://host[:port]` of an absolute http(s) URL, lowercased, default port dropped."""
    if not isinstance(url, str) or AMBIGUOUS.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number, or a netloc that NFKC would change
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in DEFAULT_PORTS or not host or "@" in parts.netloc or not host.isascii():
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def normalized_origins(origins: Iterable[str]) -> frozenset[str]:
    """The configured origins in the form `origin_of` returns, so they compare equal."""
    return frozenset(origin for origin in map(origin_of, origins) if origin)


def safe_target(url: str | None, allowed: Iterable[str], own_origin: str) -> str | None:
    """url (absolute) when it leads to an allowed origin or to the service itself; None otherwise."""
    if not url:
        return None
    if url.startswith("/") and not url.startswith("//"):
        url = own_origin.rstrip("/") + url
    origin = origin_of(url)
    if origin is None or origin not in normalized_origins([*allowed, own_origin]):
        return None
    return url


def with_marker(url: str, comment_id: int, approved: bool) -> str:
    """url ending in `#comment-<id>` when approved, else in `?comment=pending#respond`.

    Any other query parameter is kept exactly as it was; an old `comment=` is replaced.
    """
    address = url.partition("#")[0]
    path, _, query = address.partition("?")
    kept = [part for part in query.split("&") if part and part.partition("=")[0] != "comment"]
    if not approved:
        kept.append("comment=pending")
    query = "?" + "&".join(kept) if kept else ""
    return f"{path}{query}#comment-{comment_id}" if approved else f"{path}{query}#respond"
