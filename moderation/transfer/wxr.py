"""PURE: WordPress's export (WXR 1.0–1.2, as Tools → Export writes it), read as a stream.

The file is untrusted: `xmlsource` reads it with defusedxml, which refuses a DTD, entities
and anything external, and hands over one post (`item`) at a time, dropped once read, so
memory stays flat however large the export (a gzipped export is read through). The bare "&"
WordPress leaves in author URLs is escaped on the way (`ampersands`). What maps to what:

| WXR | here |
|---|---|
| `wp:post_id` (or `wp:post_name` with `key="slug"`) | the article id |
| the item's `title`, `link` | the article's title and URL |
| `wp:comment_id`, with `wp:base_site_url` | the source id `wxr:<site>#<id>` |
| `wp:comment_parent` (0: none) | the thread |
| `wp:comment_author`, `_email`, `_url`, `_IP` | name, email, website, IP |
| `wp:comment_date_gmt` (`comment_date` when it is `0000-00-00 …`) | the date (UTC) |
| `wp:comment_content` | the text (HTML: the sanitizer keeps what it allows) |
| `wp:comment_approved` `1`, `0`, `spam` | approved, pending, spam |
| `wp:comment_approved` `trash`, `post-trashed` | skipped |
| `wp:comment_type` `pingback`, `trackback` | skipped, unless pings are asked for |
| any other `wp:comment_type` (an order note…) | skipped |
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import datetime, timezone
from xml.etree.ElementTree import Element

from moderation.transfer.records import (
    APPROVED,
    PENDING,
    SPAM,
    Item,
    Problem,
    Record,
    Skipped,
    Thread,
    article_id_from,
)
from moderation.transfer.ampersands import BareAmpersands
from moderation.transfer.xmlsource import CutShort, Source, elements

WP = "http://wordpress.org/export/"  # …1.0/, 1.1/ or 1.2/
STATES = {"1": APPROVED, "approve": APPROVED, "0": PENDING, "hold": PENDING, "spam": SPAM}
TRASHED = {"trash": "in the trash", "post-trashed": "its post is in the trash"}
PINGS = ("pingback", "trackback")
NO_DATE = "0000-00-00 00:00:00"


@functools.lru_cache(maxsize=256)  # a file has a few dozen tags, each met thousands of times
def local(tag: str) -> tuple[str, str]:
    """A tag's namespace ("wp" for any WordPress export version, else the URI) and its local name."""
    if tag.startswith("{"):
        uri, _, name = tag[1:].partition("}")
        return ("wp" if uri.startswith(WP) else uri), name
    return "", tag


def parse(source: Source, key: str = "post_id", include_pings: bool = False) -> Iterator[Record]:
    """The comments of a WordPress export, in file order (key: "post_id" or "slug" for the article id)."""
    site, items = "", 0
    try:
        for element, line in elements(source, "rss", depth=2, what="WordPress export", repair=BareAmpersands):
            namespace, name = local(element.tag)
            if namespace == "wp" and name == "base_site_url":
                site = (element.text or "").strip()
            elif not namespace and name == "item":
                items += 1
                post: dict[str, str] = {}
                for child in element:
                    child_namespace, child_name = local(child.tag)
                    if child_namespace == "wp" and child_name == "comment":
                        yield _comment(child, post, site, f"item {items} (line {line}", key, include_pings)
                    elif (child_namespace == "wp" and child_name in ("post_id", "post_name")
                          or not child_namespace and child_name in ("title", "link")):
                        post.setdefault(child_name, (child.text or "").strip())
    except CutShort as error:
        yield Problem(error.position, error.reason)


def _comment(element: Element, post: dict[str, str], site: str, item: str, key: str,
             include_pings: bool) -> Record:
    """One wp:comment as a record (item: where its post starts, for reports)."""
    fields = {local(child.tag)[1]: (child.text or "") for child in element if local(child.tag)[0] == "wp"}
    comment_id = fields.get("comment_id", "").strip()
    position = f"{item}, post {post.get('post_id') or '?'}), comment {comment_id or '?'}"
    source_id = f"wxr:{site}#{comment_id}" if comment_id else None
    kind = fields.get("comment_type", "").strip()
    state = fields.get("comment_approved", "").strip()
    if not source_id:
        return Problem(position, "it has no wp:comment_id")
    if state in TRASHED:
        return Skipped(source_id, position, TRASHED[state])
    if kind in PINGS and not include_pings:
        return Skipped(source_id, position, f"a {kind}")
    if kind not in ("", "comment", *PINGS):
        return Skipped(source_id, position, f"of type {kind!r}, not a comment")
    if state not in STATES:
        return Problem(position, f"its state {state!r} is none of 1, 0, spam, trash")
    article_id = article_id_from(post.get("post_name" if key == "slug" else "post_id", ""))
    if article_id is None:
        return Problem(position, f"its post has no usable {'slug' if key == 'slug' else 'ID'}")
    parent = fields.get("comment_parent", "0").strip()
    return Item(
        source_id=source_id, position=position,
        thread=Thread(article_id, post.get("title") or None, _http(post.get("link", ""))),
        parent_source_id=f"wxr:{site}#{parent}" if parent not in ("", "0") else None,
        status=STATES[state], name=fields.get("comment_author", ""), email=fields.get("comment_author_email", ""),
        website=fields.get("comment_author_url", ""), ip=fields.get("comment_author_IP", ""),
        created_at=_date(fields.get("comment_date_gmt", "")) or _date(fields.get("comment_date", "")),
        body=fields.get("comment_content", ""))


def _date(text: str) -> datetime | None:
    """A WordPress date ("2024-01-31 18:02:11", UTC for the _gmt field); None for none or nonsense."""
    text = text.strip()
    if not text or text == NO_DATE:
        return None
    try:
        moment = datetime.fromisoformat(text)  # "2024-01-31 18:02:11" (strptime took four times as long)
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _http(url: str) -> str | None:
    url = url.strip()
    return url if url.startswith(("http://", "https://")) and len(url) <= 2000 else None

