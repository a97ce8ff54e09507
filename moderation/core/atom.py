"""PURE: an Atom 1.0 document of approved comments, built with ElementTree, so every string is escaped.

Readers' strings (names, titles) and the sanitized HTML go in as text, never as markup; the
characters XML 1.0 cannot carry at all (most control characters, lone surrogates) become U+FFFD,
so no stored text can break the document. Ids are tag: URIs that never change with a link.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit
from xml.etree import ElementTree

from moderation.core.times import timestamp

ATOM = "http://www.w3.org/2005/Atom"
# XML 1.0's Char production leaves these out; a parser refuses them even as &#…; references.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # an empty feed's `updated`: nothing ever was


@dataclass(frozen=True)
class Entry:
    """One comment as a feed shows it: only public fields (its author's name, never an address)."""

    id: str
    title: str
    author: str
    website: str | None
    link: str
    html: str
    published: datetime
    updated: datetime


@dataclass(frozen=True)
class Feed:
    """A feed's own fields and its entries, newest first."""

    id: str
    title: str
    self_url: str
    alternate: str | None
    entries: Sequence[Entry]

    @property
    def updated(self) -> datetime:
        """The latest change among the entries (the epoch for none): the same entries, the same value."""
        return max((entry.updated for entry in self.entries), default=EPOCH)


def xml_text(value: str) -> str:
    """The text with every character XML 1.0 cannot hold replaced by U+FFFD."""
    return NOT_XML.sub("\ufffd", value)


def _is_web(url: str | None) -> bool:
    """True for an http(s) address (a stored one may come from an import: never trust it to parse)."""
    if not url:
        return False
    try:
        return urlsplit(url).scheme in ("http", "https")
    except ValueError:  # an unclosed IPv6 bracket, say
        return False


def tag_authority(base_url: str) -> str:
    """The host of the service's public address, as a tag: URI names it (no scheme, no port)."""
    try:
        host = urlsplit(base_url).hostname
    except ValueError:
        host = None
    return (host or "localhost").lower()


def comment_id(authority: str, created: datetime, number: int) -> str:
    """A comment's Atom id (RFC 4151): the same in every feed and whatever its links become."""
    return f"tag:{authority},{created:%Y-%m-%d}:comment-{number}"


def permalink(article_url: str | None, fallback: str, number: int) -> str:
    """Where a reader finds the comment: the article's page (else fallback) at #comment-<id>."""
    page = article_url if article_url and _is_web(article_url) else fallback
    return f"{page.split('#', 1)[0]}#comment-{number}"


def _add(parent: ElementTree.Element, tag: str, text: str | None = None, **attributes: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, tag, {name: xml_text(value) for name, value in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def document(feed: Feed) -> bytes:
    """The feed as UTF-8 Atom 1.0, with its XML declaration."""
    # Unprefixed names under a default namespace declared by hand: ElementTree's default_namespace
    # refuses unprefixed attributes, and register_namespace would change a global table.
    root = ElementTree.Element("feed", xmlns=ATOM)
    _add(root, "id", feed.id)
    _add(root, "title", feed.title)
    _add(root, "updated", timestamp(feed.updated))
    _add(root, "link", rel="self", type="application/atom+xml", href=feed.self_url)
    if feed.alternate and _is_web(feed.alternate):
        _add(root, "link", rel="alternate", type="text/html", href=feed.alternate)
    for entry in feed.entries:
        item = _add(root, "entry")
        _add(item, "id", entry.id)
        _add(item, "title", entry.title)
        _add(item, "published", timestamp(entry.published))
        _add(item, "updated", timestamp(entry.updated))
        author = _add(item, "author")
        _add(author, "name", entry.author)
        if entry.website and _is_web(entry.website):
            _add(author, "uri", entry.website)
        _add(item, "link", rel="alternate", type="text/html", href=entry.link)
        _add(item, "content", entry.html, type="html")  # escaped once here; a reader unescapes it once
    written = io.BytesIO()
    ElementTree.ElementTree(root).write(written, encoding="utf-8", xml_declaration=True)
    return written.getvalue()
